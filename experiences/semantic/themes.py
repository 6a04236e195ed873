"""Theme suggestions for a fiche being written or imported.

Two sources, mixed: the themes of its nearest visible fiches (each neighbour votes for
its themes, closer neighbours louder), and the similarity of the fiche's text to each
theme's labels and synonyms (French and English), embedded on e5's query side. Only
themes without sub-themes are offered (their parents come with them in search).

Visibility: neighbours come from `visible_to(viewer)` in the vector statement, so a
suggestion never comes from, nor names, a fiche the viewer cannot read.
bench/semantic.py measures the mix (leave-one-out over the demo and extra fiches).
"""

from __future__ import annotations

import hashlib
import math
import threading
from dataclasses import dataclass, field

import numpy as np
from django.core.cache import cache
from django.utils.translation import gettext as _

from ..models import Experience, Theme
from . import availability, encoder, neighbours, passages

NEIGHBOURS = 8
# A neighbour's vote weighs exp((similarity − best) / TEMPERATURE): 0.02 lower counts 1/e.
TEMPERATURE = 0.02
W_NEIGHBOURS = 0.6
W_LABELS = 0.4
MIN_SCORE = 0.25
THEME_CACHE_SECONDS = 7 * 24 * 3600  # the key changes with the labels and the model

_lock = threading.Lock()
_theme_cache: dict[str, tuple[list[int], np.ndarray]] = {}


@dataclass
class ThemeSuggestion:
    theme: Theme
    score: float
    fiches: list[Experience] = field(default_factory=list)  # visible neighbours carrying it
    label_similarity: float = 0.0

    @property
    def reason(self) -> str:
        if self.fiches:
            titles = ", ".join(f"« {e.display_title} »" for e in self.fiches[:2])
            return _("comme %(titles)s") % {"titles": titles}
        return _("d'après son intitulé")


def theme_text(theme: Theme, parent: Theme | None) -> str:
    names = [theme.name, theme.name_en, *theme.synonyms]
    if parent is not None:
        names.append(parent.name)
    return " ; ".join(dict.fromkeys(n for n in names if n))


def theme_vectors() -> tuple[list[int], np.ndarray]:
    """(ids, vectors) of the leaf themes, computed once per process and vocabulary."""
    themes = list(Theme.objects.all())
    by_id = {t.pk: t for t in themes}
    parents = {t.parent_id for t in themes}
    leaves = [t for t in themes if t.pk not in parents]
    texts = [theme_text(t, by_id.get(t.parent_id)) for t in leaves]
    key = hashlib.sha256(
        "\n".join([encoder.model_id(), *map(str, (t.pk for t in leaves)), *texts]).encode()
    ).hexdigest()
    with _lock:
        hit = _theme_cache.get(key)
    if hit is None:
        # Shared through the cache (Redis in production): ~40 labels cost a second or more to
        # embed, which the first form of every process would otherwise pay. The embedding
        # task warms it (tasks.py).
        hit = cache.get(f"semantic:themes:{key}")
    if hit is None:
        vectors = encoder.embed_queries(texts) if texts else np.zeros((0, 384), dtype=np.float32)
        hit = ([t.pk for t in leaves], vectors)
        cache.set(f"semantic:themes:{key}", hit, THEME_CACHE_SECONDS)
    with _lock:
        if key not in _theme_cache:
            _theme_cache.clear()
            _theme_cache[key] = hit
    return hit


def suggestions_for_vector(
    *,
    vector: np.ndarray,
    viewer,
    exclude_theme_ids=(),
    exclude_id: int | None = None,
    limit: int = 5,
    w_neighbours: float = W_NEIGHBOURS,
    w_labels: float = W_LABELS,
) -> list[ThemeSuggestion]:
    ids, vectors = theme_vectors()
    if not ids:
        return []
    scores = dict.fromkeys(ids, 0.0)
    label_sims = dict(zip(ids, (vectors @ vector).tolist(), strict=True))
    low, high = min(label_sims.values()), max(label_sims.values())
    for pk, sim in label_sims.items():
        scores[pk] += w_labels * ((sim - low) / (high - low) if high > low else 0.0)
    near = neighbours.nearest(viewer=viewer, vector=vector, limit=NEIGHBOURS, exclude_ids=[exclude_id or 0])
    carriers: dict[int, list[int]] = {}
    if near:
        best = near[0][1]
        weights = {pk: math.exp((sim - best) / TEMPERATURE) for pk, sim in near}
        total = sum(weights.values())
        through = Experience.themes.through
        for experience_id, theme_id in through.objects.filter(experience_id__in=list(weights)).values_list(
            "experience_id", "theme_id"
        ):
            if theme_id in scores:
                scores[theme_id] += w_neighbours * weights[experience_id] / total
                carriers.setdefault(theme_id, []).append(experience_id)
    excluded = {int(pk) for pk in exclude_theme_ids}
    ranked = [
        (pk, s) for pk, s in sorted(scores.items(), key=lambda kv: -kv[1]) if pk not in excluded and s >= MIN_SCORE
    ]
    ranked = ranked[:limit]
    themes = Theme.objects.in_bulk([pk for pk, _s in ranked])
    order = {pk: i for i, (pk, _s) in enumerate(near)}
    fiche_ids = {e for pk, _s in ranked for e in carriers.get(pk, [])}
    fiches = Experience.objects.visible_to(viewer).only("id", "slug", "title", "title_en").in_bulk(list(fiche_ids))
    return [
        ThemeSuggestion(
            theme=themes[pk],
            score=score,
            fiches=[fiches[e] for e in sorted(carriers.get(pk, []), key=order.get) if e in fiches],
            label_similarity=label_sims[pk],
        )
        for pk, score in ranked
        if pk in themes
    ]


def theme_suggestions(
    *, title: str, summary: str, viewer, exclude_theme_ids=(), exclude_id: int | None = None, limit: int = 5
) -> list[ThemeSuggestion]:
    """The thesaurus themes most likely to apply to this title and summary, each with its reason.

    Without pgvector the labels alone suggest; with semantic search off, nothing.
    """
    if not availability.enabled() or len(f"{title} {summary}".split()) < 3:
        return []
    passage = passages.draft_passage(title=title, summary=summary)
    vector = encoder.embed_passages([passage.text])[0]
    return suggestions_for_vector(
        vector=vector, viewer=viewer, exclude_theme_ids=exclude_theme_ids, exclude_id=exclude_id, limit=limit
    )
