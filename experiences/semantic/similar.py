"""Similar experiences on a fiche page: meaning, territory, themes and tags, each with its reason.

    score = 0.40 × meaning + 0.25 × shared themes + 0.15 × shared tags + 0.20 × comparability

meaning: the cosine of the two fiches' passages, mapped from [SIM_LOW, SIM_HIGH] to
[0, 1] (two unrelated demo fiches sit near 0.80, two fiches on the same kind of
project above 0.90); shared themes and tags: Jaccard over the fiches' theme ids
(ancestors included) and tag ids; comparability: experiences.comparability's score of
the other fiche's territory against this fiche's. Candidates: the 60 nearest fiches
by meaning plus up to 200 sharing a tag or a theme — all from `visible_to(viewer)`,
inside the one statement. A fiche without a vector yet, or a portal without semantic
search, gets today's list (experiences.selectors.similar_experiences).
"""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _

from .. import comparability
from ..models import Experience, Tag, Theme
from ..selectors import SimilarExperience
from ..selectors import similar_experiences as lexical_similar_experiences
from . import availability, encoder

WEIGHTS = {"meaning": 0.40, "themes": 0.25, "tags": 0.15, "territory": 0.20}
SIM_LOW, SIM_HIGH = 0.80, 0.95
MEANING_REASON_AT = 0.88  # cosine from which "sens proche" is given as a reason
NEAR = 60
KEYED = 200

_SQL = """
WITH src AS (
    SELECT s.id, s.search_theme_ids AS themes, s.search_tag_ids AS tags, v.embedding
    FROM experiences_experience s
    JOIN experiences_experiencevector v ON v.experience_id = s.id AND v.model = %s
    WHERE s.id = %s
),
near AS (
    SELECT v.experience_id AS id FROM experiences_experiencevector v, src
    WHERE v.model = %s AND v.experience_id <> src.id AND v.experience_id IN ({visible})
    ORDER BY v.embedding <=> src.embedding LIMIT {near}
),
keyed AS (
    SELECT e.id FROM experiences_experience e, src
    WHERE e.id <> src.id AND (e.search_tag_ids && src.tags OR e.search_theme_ids && src.themes)
      AND e.id IN ({visible})
    ORDER BY e.id DESC LIMIT {keyed}
)
SELECT e.id,
       COALESCE(1 - (v.embedding <=> src.embedding), 0) AS sim,
       cardinality(ARRAY(SELECT unnest(e.search_theme_ids) INTERSECT SELECT unnest(src.themes)))::float8
           / greatest(cardinality(ARRAY(SELECT unnest(e.search_theme_ids) UNION SELECT unnest(src.themes))), 1),
       cardinality(ARRAY(SELECT unnest(e.search_tag_ids) INTERSECT SELECT unnest(src.tags)))::float8
           / greatest(cardinality(ARRAY(SELECT unnest(e.search_tag_ids) UNION SELECT unnest(src.tags))), 1),
       ({comparability})::float8 AS comp,
       ARRAY(SELECT unnest(e.search_theme_ids) INTERSECT SELECT unnest(src.themes)),
       ARRAY(SELECT unnest(e.search_tag_ids) INTERSECT SELECT unnest(src.tags))
FROM (SELECT id FROM near UNION SELECT id FROM keyed) c
JOIN experiences_experience e ON e.id = c.id
LEFT JOIN experiences_experiencevector v ON v.experience_id = e.id AND v.model = %s
CROSS JOIN src
WHERE e.id IN ({visible})
"""


def _meaning(sim: float) -> float:
    return min(1.0, max(0.0, (sim - SIM_LOW) / (SIM_HIGH - SIM_LOW)))


def similar_experiences(*, experience: Experience, viewer, limit: int = 5) -> list[SimilarExperience]:
    """The fiches most like this one, visible to the viewer, each with why (« sens proche », themes…)."""
    if not availability.available():
        return lexical_similar_experiences(experience=experience, viewer=viewer, limit=limit)
    reference = comparability.Reference.of(experience.lead_territory)
    visible_sql, visible_params = Experience.objects.visible_to(viewer).order_by().values("pk").query.sql_with_params()
    model = encoder.model_id()
    sql = _SQL.format(
        visible=visible_sql, near=NEAR, keyed=KEYED, comparability=comparability.comparability_sql(reference)
    )
    params = [model, experience.pk, model, *visible_params, *visible_params, model, *visible_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        # No vector for this fiche yet (the statement's `src` is empty): today's list.
        return lexical_similar_experiences(experience=experience, viewer=viewer, limit=limit)
    scored = sorted(
        (
            (
                WEIGHTS["meaning"] * _meaning(sim)
                + WEIGHTS["themes"] * themes
                + WEIGHTS["tags"] * tags
                + WEIGHTS["territory"] * comp,
                pk,
                sim,
                shared_themes,
                shared_tags,
            )
            for pk, sim, themes, tags, comp, shared_themes, shared_tags in rows
        ),
        key=lambda row: (-row[0], -row[1]),
    )[:limit]
    objects = (
        Experience.objects.visible_to(viewer)
        .filter(pk__in=[row[1] for row in scored])
        .select_related("lead_territory")
        .defer("search_vector", "search_keywords", "search_places", "context", "actions", "results", "vigilance_points")
        .in_bulk()
    )
    theme_ids = {t for row in scored for t in row[3]}
    themes = {t.pk: t for t in Theme.objects.filter(pk__in=theme_ids)}
    tags = dict(Tag.objects.filter(pk__in={t for row in scored for t in row[4]}).values_list("pk", "name"))
    similar = []
    for score, pk, sim, shared_themes, shared_tags in scored:
        other = objects.get(pk)
        if other is None:
            continue
        # Shared themes at their most specific level: an ancestor of another shared theme is left out.
        parents = {themes[t].parent_id for t in shared_themes if t in themes}
        theme_names = sorted(
            (themes[t] for t in shared_themes if t in themes and t not in parents), key=lambda t: (t.position, t.name)
        )
        parts = []
        if sim >= MEANING_REASON_AT:
            parts.append(_("sens proche"))
        if theme_names:
            parts.append(_("thèmes communs : %(themes)s") % {"themes": ", ".join(t.label for t in theme_names[:3])})
        if shared_tags:
            names = sorted(tags[t] for t in shared_tags if t in tags)
            parts.append(_("mots-clés communs : %(tags)s") % {"tags": ", ".join(names[:3])})
        parts.append(comparability.comparability_reason(other, reference, voice="fiche"))
        similar.append(SimilarExperience(other, score, " · ".join(parts)))
    return similar
