"""Read use cases for experiences. Every one starts from `visible_to(viewer)`."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import comparability, search
from .filtersets import ExperienceFilterSet
from .models import Contact, Experience, ExperienceOrganisation, FundingLine, Organisation, Tag, Theme


def experience_list(*, viewer, params=None):
    """Filtered, visible experiences ready for a list page or API list."""
    base = Experience.objects.visible_to(viewer).with_list_relations()
    # The viewer travels with the FilterSet: `.qs` runs the search engine's conditions as this reader.
    return ExperienceFilterSet(params or {}, queryset=base, request=_Request(viewer))


def experience_detail(*, viewer, slug: str) -> Experience:
    """One visible experience with everything a fiche shows (404 otherwise)."""
    qs = (
        Experience.objects.visible_to(viewer)
        .select_related("lead_territory__parent__parent", "lead_territory__epci", "client_organisation", "author")
        .prefetch_related(
            # One query per relation: the objects each one points to come by a join.
            Prefetch("themes", queryset=Theme.objects.select_related("parent")),
            "tags",
            "territories",
            Prefetch("actor_links", queryset=ExperienceOrganisation.objects.select_related("organisation")),
            Prefetch("funding_lines", queryset=FundingLine.objects.select_related("funder")),
            "sources",
            "attachments",
            Prefetch("contacts", queryset=Contact.objects.select_related("organisation")),
        )
    )
    return get_object_or_404(qs, slug=slug)


def theme_counts(*, viewer):
    """Root themes with the number of visible experiences in each (subtree included)."""
    visible = Experience.objects.visibility_q(viewer)
    themes = list(Theme.objects.all())
    direct = dict(
        Experience.objects.filter(visible if visible is not None else Q())
        .values_list("themes")
        .annotate(n=Count("id", distinct=True))
        .values_list("themes", "n")
    )
    children: dict[int | None, list[Theme]] = {}
    for theme in themes:
        children.setdefault(theme.parent_id, []).append(theme)
    return [
        (root, direct.get(root.pk, 0) + sum(direct.get(c.pk, 0) for c in children.get(root.pk, [])))
        for root in children.get(None, [])
    ]


def tag_counts(*, viewer, limit: int = 30):
    """Most used tags, counting only experiences the viewer may read."""
    visible = Experience.objects.visibility_q(viewer)
    count_filter = None if visible is None else _prefix(visible, "experiences__")
    qs = Tag.objects.visible_to(viewer).annotate(n=Count("experiences", filter=count_filter, distinct=True))
    return qs.filter(n__gt=0).order_by("-n", "name")[:limit]


def _prefix(q: Q, prefix: str) -> Q:
    """Re-root a Q object written for Experience onto a relation (e.g. tags' experiences)."""
    new = Q()
    new.connector = q.connector
    new.negated = q.negated
    for child in q.children:
        if isinstance(child, Q):
            new.children.append(_prefix(child, prefix))
        else:
            key, value = child
            new.children.append((prefix + key, value))
    return new


def organisation_detail(*, viewer, slug: str):
    org = get_object_or_404(Organisation.objects.visible_to(viewer).select_related("territory"), slug=slug)
    experiences = (
        Experience.objects.visible_to(viewer)
        .filter(Q(actor_links__organisation=org) | Q(client_organisation=org))
        .with_list_relations()
        .distinct()
    )
    return org, experiences


def territory_experiences(*, viewer, territory, limit: int = 50):
    """Visible experiences led by a territory or involving it."""
    return (
        Experience.objects.visible_to(viewer)
        .filter(Q(lead_territory=territory) | Q(territories=territory))
        .with_list_relations()
        .distinct()[:limit]
    )


FEATURED_COUNT = 3
LATEST_COUNT = 6


def home_context(*, viewer) -> dict:
    """What the home page shows: featured and latest fiches, themes with counts, key figures, the map.

    "Featured" has no editorial flag: it is the most complete published fiches
    (completeness, then recency), which are the ones that read best.

    Everything here depends only on the fiches the viewer's visibility class
    may read, so it is cached per class and language under the search
    generation (bumped by every write to fiches, themes, tags or actors): a
    new or edited fiche shows at the next request.
    """
    from .selectors_map import department_map

    key = f"{search.landing_cache_key(viewer)}:home:{get_language()}"
    cached = cache.get(key)
    if cached is None:
        visible = Experience.objects.visible_to(viewer)
        published = visible.filter(status="published").with_list_relations()
        featured = list(published.order_by("-completeness", "-published_at", "-pk")[:FEATURED_COUNT])
        latest = published.exclude(pk__in=[e.pk for e in featured]).order_by("-published_at", "-pk")
        cached = {
            "featured": featured,
            "latest": list(latest[:LATEST_COUNT]),
            "themes": theme_counts(viewer=viewer),
            "tags": list(tag_counts(viewer=viewer, limit=20)),
            "figures": visible.aggregate(experiences=Count("id"), territories=Count("lead_territory", distinct=True)),
            "department_map": department_map(viewer=viewer),
        }
        cache.set(key, cached, search.LANDING_CACHE_SECONDS)
    # `cache_key` also keys the template's cached fragments (the map and the themes).
    return {**cached, "figures": dict(cached["figures"]), "cache_key": key}


# --------------------------------------------------------------------------
# Search: the one entry point lives in experiences/search/ (re-exported for callers of selectors)
# --------------------------------------------------------------------------

from .search.results import (  # noqa: E402, F401
    Chip,
    Facet,
    FacetValue,
    SearchResult,
    _Request,
    experience_facets,
    experience_search,
)


@dataclass
class SimilarExperience:
    experience: Experience
    score: float
    reason: str


def similar_experiences(*, experience: Experience, viewer, limit: int = 5) -> list[SimilarExperience]:
    """The fiches most similar to this one by content and territory profile, each with its reason.

    Score = 0.35 × shared themes (Jaccard, ancestors included) + 0.25 × shared
    tags (Jaccard) + 0.2 × text (rank of the other fiche against this one's
    title words) + 0.2 × comparability of the territories. Visible fiches only.
    """
    reference = comparability.Reference.of(experience.lead_territory)
    rows = search.similar_ids(experience=experience, viewer=viewer, reference=reference, limit=limit)
    if not rows:
        return []
    objects = (
        Experience.objects.visible_to(viewer)
        .filter(pk__in=[row[0] for row in rows])
        .select_related("lead_territory")
        .defer("search_vector", "search_keywords", "search_places", "context", "actions", "results", "vigilance_points")
    )
    by_id = {e.pk: e for e in objects}
    similar = []
    for pk, score, theme_names, tag_names in rows:
        other = by_id.get(pk)
        if other is None:
            continue
        parts = []
        if theme_names:
            parts.append(_("thèmes communs : %(themes)s") % {"themes": ", ".join(theme_names[:3])})
        if tag_names:
            parts.append(_("mots-clés communs : %(tags)s") % {"tags": ", ".join(tag_names[:3])})
        parts.append(comparability.comparability_reason(other, reference, voice="fiche"))
        similar.append(SimilarExperience(other, score, " · ".join(parts)))
    return similar
