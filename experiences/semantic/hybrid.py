"""Hybrid ranking: the words' ranking and the meaning's ranking, fused by reciprocal rank.

    score(fiche) = W_LEXICAL / (K + lexical rank) + W_SEMANTIC / (K + semantic rank)

(Cormack, Clarke & Büttcher, SIGIR 2009: reciprocal rank fusion.) A fiche absent from
one list gets nothing from it. The lexical ranking is today's French full-text search
(`experience_search`, the words-only mode); the semantic ranking is the fiches nearest
to the query's e5 vector, kept only when close enough: cosine ≥ SEMANTIC_FLOOR, within
SEMANTIC_MARGIN of the best one, and SEMANTIC_MIN_Z standard deviations above the
corpus's mean similarity for this query (calibration.py), so that a query about
nothing in the base brings few "neighbours". Both rankings come from fiches
`visible_to(viewer)`.

The search page runs this fusion inside its one SQL statement (experiences.search:
_meaning_ctes, _hybrid_page_cte), with `meaning_query` below; `fuse` and `hybrid_search`
are the same rules in Python, for the tuning in bench/relevance.py, which measures both. The constants were tuned on
half of the relevance set and checked on the other half (see bench/relevance.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import availability, calibration, encoder, neighbours
from .fields import vector_literal

# Tuned by `bench/relevance.py --tune` on split A of the relevance set (1,350 settings;
# 400 within 0.02 of the best NDCG@10, 0.830; among those, the one keeping the fewest
# neighbours for off-topic queries), then measured on split B, which tuning never saw:
# NDCG@10 0.842 against 0.266 for words only. A small K and a double weight let a strong
# meaning match lead; no fr_exact query loses anything (checked on both splits). The
# z-score (calibration.py) is what keeps a query about nothing in the base from getting
# half the base as neighbours (6.5 fiches of 69 on average for 8 such queries, 32 without).
RRF_K = 5
W_LEXICAL = 1.0
W_SEMANTIC = 2.0
DEPTH = 100  # fiches read from each ranking
SEMANTIC_FLOOR = 0.78
SEMANTIC_MARGIN = 0.08
SEMANTIC_MIN_Z = 1.25  # see calibration.py: how far above the corpus's mean for this query


@dataclass(frozen=True)
class FusionParams:
    k: float = RRF_K
    w_lexical: float = W_LEXICAL
    w_semantic: float = W_SEMANTIC
    floor: float = SEMANTIC_FLOOR
    margin: float = SEMANTIC_MARGIN
    min_z: float = SEMANTIC_MIN_Z


@dataclass
class HybridHit:
    experience_id: int
    score: float
    lexical_rank: int | None = None
    semantic_rank: int | None = None
    similarity: float | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def matched_words(self) -> bool:
        return self.lexical_rank is not None

    @property
    def matched_meaning(self) -> bool:
        return self.semantic_rank is not None


def lexical_ranking(*, viewer, text: str, depth: int = DEPTH) -> list[int]:
    """Ids of today's words-only search, best first (the search page's own ranking)."""
    from ..selectors import experience_search

    result = experience_search(
        viewer=viewer, params={"q": text, "page_size": depth, "match": "words"}, with_facets=False
    )
    return [experience.pk for experience in result.experiences]


def semantic_ranking(*, viewer, text: str, depth: int = DEPTH) -> list[tuple[int, float, float]]:
    """[(id, cosine, z-score)] of the visible fiches nearest to the query, unfiltered."""
    if not text.strip() or not availability.available():
        return []
    vector = encoder.embed_query(text)
    near = neighbours.nearest(viewer=viewer, vector=vector, limit=depth)
    z = calibration.zscores(vector, [sim for _pk, sim in near])
    return [(pk, sim, score) for (pk, sim), score in zip(near, z, strict=True)]


def kept_neighbours(
    semantic: list[tuple[int, float, float]], params: FusionParams = FusionParams()
) -> list[tuple[int, float]]:
    """[(id, cosine)] of the neighbours close enough in meaning to count as matches, best first."""
    if not semantic:
        return []
    best = semantic[0][1]
    return [
        (pk, sim)
        for pk, sim, z in semantic
        if sim >= params.floor and sim >= best - params.margin and z >= params.min_z
    ]


@dataclass(frozen=True)
class MeaningQuery:
    """What the search statement needs to add the fiches close to a query in meaning
    (experiences.search._meaning_ctes): the same rules as `kept_neighbours`, as SQL values."""

    vector: str  # pgvector's text form of the query's e5 vector
    model: str
    min_similarity: float  # max(floor, the cosine at SEMANTIC_MIN_Z for this query)
    margin: float
    depth: int = DEPTH


def meaning_query(text: str, params: FusionParams = FusionParams()) -> MeaningQuery | None:
    """The query's vector and thresholds, or None when semantic search is off or the text empty."""
    text = (text or "").strip()
    if not text or not availability.available():
        return None
    vector = encoder.embed_query(text)
    floor = max(params.floor, calibration.similarity_at(vector, params.min_z))
    return MeaningQuery(vector_literal(vector), encoder.model_id(), floor, params.margin, DEPTH)


def fuse(
    lexical: list[int], semantic: list[tuple[int, float, float]], params: FusionParams = FusionParams()
) -> list[HybridHit]:
    hits: dict[int, HybridHit] = {}
    for rank, pk in enumerate(lexical, start=1):
        hits[pk] = HybridHit(pk, params.w_lexical / (params.k + rank), lexical_rank=rank)
    if semantic:
        kept = kept_neighbours(semantic, params)
        for rank, (pk, sim) in enumerate(kept, start=1):
            hit = hits.setdefault(pk, HybridHit(pk, 0.0))
            hit.score += params.w_semantic / (params.k + rank)
            hit.semantic_rank, hit.similarity = rank, sim
    ordered = sorted(hits.values(), key=lambda h: (-h.score, h.lexical_rank or 10**6, -h.experience_id))
    for hit in ordered:
        # What the search page will show: "les mots" and/or "sens proche".
        hit.reasons = [name for name, ok in (("words", hit.matched_words), ("meaning", hit.matched_meaning)) if ok]
    return ordered


def hybrid_search(*, viewer, text: str, limit: int = 20, params: FusionParams = FusionParams()) -> list[HybridHit]:
    """The fiches for a text query, words and meaning fused; words only when semantic search is off."""
    text = (text or "").strip()
    if not text:
        return []
    return fuse(lexical_ranking(viewer=viewer, text=text), semantic_ranking(viewer=viewer, text=text), params)[:limit]
