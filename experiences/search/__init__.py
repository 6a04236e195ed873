"""Périscope's search, behind a small public surface.

- `search(params=..., viewer=...)` → `SearchResult`: the one entry point. The
  search page, the API, the results map, saved searches and their alerts call
  it; exports and the FilterSet's `.qs` call `search_ids` / `matching_sql`,
  built from the same parameters by the same code. A hybrid (semantic) rank
  would plug in as another `sort` of the engine's statement.
- `registry`: the one definition of every facet (see its docstring).
- The engine's maintenance functions (`refresh_search_fields`, the suggestion
  vocabulary, the search generation) and the similar-fiches statement.

Modules: `registry` (facets), `engine` (SQL), `text` (stop words, suggestions,
snippets' words), `results` (the entry point, labels, chips).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import registry
from .engine import (
    BODY_FIELDS,
    FACET_COLUMNS,
    LANDING_CACHE_SECONDS,
    MAX_PAGE,
    PAGE_FIELDS,
    PAGE_SIZE,
    SearchSpec,
    add_search_terms,
    bump_generation,
    cached_landing,
    comparable_rescue,
    current_generation,
    landing_cache_key,
    rebuild_search_terms,
    refresh_search_fields,
    run_search,
    similar_ids,
    suggest_query,
    visibility_class,
    visibility_sql,
)

if TYPE_CHECKING:
    from .results import SearchResult

__all__ = [
    "BODY_FIELDS",
    "FACET_COLUMNS",
    "LANDING_CACHE_SECONDS",
    "MAX_PAGE",
    "PAGE_FIELDS",
    "PAGE_SIZE",
    "SearchSpec",
    "add_search_terms",
    "bump_generation",
    "cached_landing",
    "comparable_rescue",
    "current_generation",
    "landing_cache_key",
    "matching_sql",
    "rebuild_search_terms",
    "refresh_search_fields",
    "registry",
    "run_search",
    "search",
    "search_ids",
    "similar_ids",
    "suggest_query",
    "visibility_class",
    "visibility_sql",
]


def search(*, params, viewer, with_facets: bool = True) -> SearchResult:
    """The search of these query-string parameters as `viewer` sees it (see `results.experience_search`)."""
    from .results import experience_search

    return experience_search(viewer=viewer, params=params, with_facets=with_facets)


def search_ids(*, params, viewer, limit: int | None = None) -> list[int] | None:
    """Every fiche id of the search, in the page's order (None when the parameters are invalid)."""
    from .results import search_ids as ids

    return ids(viewer=viewer, params=params, limit=limit)


def matching_sql(*, params, viewer) -> tuple[str, list] | None:
    """`SELECT e.id …` of every fiche of the search, for a `pk__in` (None when invalid)."""
    from .results import matching_sql as sql

    return sql(viewer=viewer, params=params)
