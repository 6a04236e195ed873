"""The search entry point: parameters and viewer in, one page of fiches, total, facets,
chips, suggestion and comparability rescue out (`experience_search`).

The page, the API, exports (`search_ids`), the results map, the selection,
saved searches and alerts all call it with the same parameters, so they find
the same fiches. Every count and every fiche comes from rows `visible_to(viewer)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.cache import cache
from django.db import connection
from django.http import QueryDict
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.richtext import to_excerpt
from territories.models import Territory

from .. import comparability, highlight
from ..content import RICH_TEXT_FIELDS
from ..filtersets import ExperienceFilterSet
from ..models import Experience, Tag, Theme
from . import caches, registry
from . import engine as search
from .text import meaningful_text

# --------------------------------------------------------------------------
# Search, facets, comparability, similar experiences (see experiences/search.py)
# --------------------------------------------------------------------------


@dataclass
class FacetValue:
    # The API sends each value's __dict__ as is: keep these fields, in this order,
    # and no other instance attribute (a test compares it with the serializer).
    value: str
    label: str
    count: int
    selected: bool
    depth: int = 0


@dataclass
class Facet:
    name: str
    label: str
    values: list[FacetValue]

    @property
    def selected_count(self) -> int:
        return sum(1 for v in self.values if v.selected)


@dataclass
class Chip:
    """An active filter, with the query string that removes it."""

    label: str
    value_label: str
    remove_query: str


@dataclass
class SearchResult:
    filterset: ExperienceFilterSet
    valid: bool
    total: int = 0
    page: int = 1
    page_size: int = search.PAGE_SIZE
    experiences: list = field(default_factory=list)
    facets: list[Facet] = field(default_factory=list)
    chips: list[Chip] = field(default_factory=list)
    suggestion: str | None = None
    suggestion_query: str = ""
    reference: comparability.Reference | None = None
    comparable_level: int | None = None
    rescue: tuple[int, int] | None = None  # (wider level, count); level 0 = without the filter
    rescue_query: str = ""
    sort: str = "relevance"
    query: str = ""
    stop_words_only: bool = False  # the query held only stop words: searched as no text
    match: str = "hybrid"  # "words": the reader switched meaning off
    meaning_offered: bool = False  # a text query on a portal that can search by meaning
    params: QueryDict = field(default_factory=QueryDict)
    errors: dict = field(default_factory=dict)

    @property
    def num_pages(self) -> int:
        return max(1, min(search.MAX_PAGE, -(-self.total // self.page_size)))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def words_query(self) -> str:
        return _query_with(self.params, match="words")

    @property
    def hybrid_query(self) -> str:
        return _query_with(self.params, match=None)

    def page_query(self, number: int) -> str:
        return _query_with(self.params, page=str(number))

    @property
    def previous_query(self) -> str:
        return self.page_query(self.page - 1)

    @property
    def next_query(self) -> str:
        return self.page_query(self.page + 1)

    @property
    def page_links(self) -> list[tuple[int | None, str]]:
        """Page numbers around the current one, None for a gap: 1 … 4 5 [6] 7 8 … 40."""
        last = self.num_pages
        wanted = {1, last, *range(max(1, self.page - 2), min(last, self.page + 2) + 1)}
        links: list[tuple[int | None, str]] = []
        for number in sorted(wanted):
            if links and links[-1][0] is not None and number - links[-1][0] > 1:
                links.append((None, ""))
            links.append((number, self.page_query(number)))
        return links


def _query_with(params: QueryDict, **changes) -> str:
    q = params.copy()
    for key, value in changes.items():
        if value is None:
            q.pop(key, None)
        else:
            q[key] = value
    if "page" not in changes:
        q.pop("page", None)
    return q.urlencode()


def _query_without(params: QueryDict, key: str, value: str | None = None) -> str:
    q = params.copy()
    if value is None:
        q.pop(key, None)
    else:
        q.setlist(key, [v for v in q.getlist(key) if v != value])
    q.pop("page", None)
    return q.urlencode()


def effective_params(params, viewer) -> QueryDict:
    """The request's parameters, plus the remembered reference territory when none is given.

    An explicit empty `ref=` means "no reference"; the remembered one is only a default.
    """
    q = params.copy() if isinstance(params, QueryDict) else _to_querydict(params)
    q._mutable = True
    if "ref" not in q and "ref_q" not in q and getattr(viewer, "is_authenticated", False):
        remembered = getattr(viewer, "reference_territory", None)
        if remembered is not None:
            q["ref"] = remembered.slug
    if "ref_q" in q:
        # The search form sends the name typed in "ma collectivité": empty means
        # no reference; a name other than the current reference's is resolved to
        # the best autocomplete match (this is the path without JavaScript).
        typed = q.pop("ref_q")[-1].strip()
        current = Territory.objects.filter(slug=q.get("ref", "")).first() if q.get("ref") else None
        if not typed:
            q["ref"] = ""
        elif current is None or typed not in (current.name, current.label):  # the combobox shows the label
            from territories.selectors import territory_autocomplete

            best = list(territory_autocomplete(query=typed, limit=1))
            q["ref"] = best[0].slug if best else ""
    return q


def _to_querydict(params) -> QueryDict:
    q = QueryDict(mutable=True)
    for key, value in (params or {}).items():
        if isinstance(value, list | tuple):
            q.setlist(key, [str(v) for v in value])
        else:
            q[key] = str(value)
    return q


def _prepared(params, viewer) -> tuple[ExperienceFilterSet, QueryDict]:
    params = effective_params(params or {}, viewer)
    filterset = ExperienceFilterSet(params, queryset=Experience.objects.visible_to(viewer), request=_Request(viewer))
    return filterset, params


def _int_param(params, name: str, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(params.get(name, default))))
    except (TypeError, ValueError):
        return default


def _semantic_available() -> bool:
    from experiences.semantic import availability

    return availability.available()


def _meaning(text: str, match: str | None):
    """What the search statement needs to find fiches by meaning too (hybrid search), or None for words only."""
    if not text or match == "words":
        return None
    from experiences.semantic import hybrid

    return hybrid.meaning_query(text)


def spec_of(filterset: ExperienceFilterSet, *, viewer, with_facets: bool = True) -> search.SearchSpec:
    """The engine's spec of a validated FilterSet: the one translation of parameters into a search."""
    data = filterset.values
    params = filterset.data
    text = meaningful_text(data.get("q") or "")
    reference = comparability.Reference.of(data["ref"]) if data.get("ref") else None
    sort = data.get("sort") or ("comparability" if reference and not text else "relevance")
    return search.SearchSpec(
        viewer=viewer,
        text=text,
        facet_conditions=filterset.facet_conditions(),
        conditions=filterset.other_conditions(),
        reference=reference,
        comparable_level=int(data["comparable"]) if data.get("comparable") and reference else None,
        sort=sort,
        page=_int_param(params, "page", 1, 1, search.MAX_PAGE),
        page_size=_int_param(params, "page_size", search.PAGE_SIZE, 1, 100),
        theme_ids=[t.pk for t in data.get("theme") or []],
        selected_tag_ids=[t.pk for t in data.get("tag") or []],
        with_facets=with_facets,
        meaning=_meaning(text, data.get("match")),
    )


def search_ids(*, viewer, params=None, limit: int | None = None) -> list[int] | None:
    """Every fiche id of the search in the page's order (at most `limit`), None when invalid."""
    filterset, _params = _prepared(params, viewer)
    if not filterset.is_valid():
        return None
    return search.ordered_ids(spec_of(filterset, viewer=viewer, with_facets=False), limit=limit)


def matching_sql(*, viewer, params=None) -> tuple[str, list] | None:
    """`SELECT e.id …` of every fiche of the search (for a `pk__in`), None when invalid."""
    filterset, _params = _prepared(params, viewer)
    if not filterset.is_valid():
        return None
    return search.matching_sql(spec_of(filterset, viewer=viewer, with_facets=False))


def experience_search(*, viewer, params=None, with_facets: bool = True) -> SearchResult:
    """The search page and the API list: results, total, facets, suggestion, comparability.

    Every count and every result comes from rows `visible_to(viewer)`.
    """
    filterset, params = _prepared(params, viewer)
    result = SearchResult(filterset=filterset, valid=filterset.is_valid(), params=params)
    if not result.valid:
        result.errors = filterset.errors
        return result
    data = filterset.values
    spec = spec_of(filterset, viewer=viewer, with_facets=with_facets)
    text, reference = spec.text, spec.reference
    typed = (data.get("q") or "").strip()
    result.stop_words_only = bool(typed) and not text
    if spec.is_landing and with_facets:
        raw = search.cached_landing(spec)
    else:
        landing = None
        if with_facets and len(spec.facet_conditions) == 1 and not text and not spec.conditions:
            landing = search.cached_landing(search.SearchSpec(viewer=viewer, page_size=0)).facets
        raw = search.run_search(spec, landing_facets=landing)
    result.total, result.page, result.sort, result.query = raw.total, spec.page, spec.sort, typed
    result.page_size = spec.page_size
    result.reference, result.comparable_level = reference, spec.comparable_level
    result.match = "words" if data.get("match") == "words" else "hybrid"
    result.meaning_offered = bool(text) and _semantic_available()
    result.experiences = _page_experiences(raw=raw, text=text, reference=reference)
    if with_facets and raw.cache_key:
        # Landing page: the labelled facets are the same for the whole visibility class.
        key = f"{raw.cache_key}:facets:{get_language()}"
        result.facets = cache.get(key)
        if result.facets is None:
            result.facets = _facets(raw.facets, data, raw.generation)
            cache.set(key, result.facets, search.LANDING_CACHE_SECONDS)
    elif with_facets:
        result.facets = _facets(raw.facets, data, raw.generation)
    result.chips = _chips(filterset, data, params, reference)
    found = raw.total if raw.lexical_total is None else raw.lexical_total  # fiches with the words
    if text and found < 5:
        suggestion = search.suggest_query(spec, found=found)
        if suggestion:
            result.suggestion = suggestion
            result.suggestion_query = _query_with(params, q=suggestion)
    if raw.total == 0 and spec.comparable_level:
        result.rescue = search.comparable_rescue(spec)
        if result.rescue:
            level = result.rescue[0]
            result.rescue_query = _query_with(params, comparable=str(level) if level else None)
    return result


class _Request:
    """What django-filter's callable querysets need: the viewer."""

    def __init__(self, user):
        self.user = user


class _Label(NamedTuple):
    slug: str
    name: str


class _Vocabulary(NamedTuple):
    """Themes and tag names of one search generation (any write to them bumps it)."""

    generation: int
    themes: dict[int, Theme]
    tags: dict[int, _Label]


def _vocabulary(generation: int | None, *, force: bool = False) -> _Vocabulary:
    """The thesaurus and tag names, read once per search generation and process."""
    if generation is None:
        generation = search.current_generation()

    def build() -> _Vocabulary:
        themes = {t.pk: t for t in Theme.objects.all()}
        tags = {pk: _Label(slug, name) for pk, slug, name in Tag.objects.values_list("id", "slug", "name")}
        return _Vocabulary(generation, themes, tags)

    return caches.per_generation("vocabulary", generation, build, force=force)


def _page_rows(raw) -> dict[int, Experience]:
    """The fiches of one result page, from the rows the search statement returned."""
    columns = raw.columns
    n, m, db = len(columns.experience), len(columns.territory), connection.alias
    cache_territory = Experience._meta.get_field("lead_territory").set_cached_value
    by_id = {}
    for pk, row in raw.rows.items():
        experience = Experience.from_db(db, columns.experience, row[:n])
        territory_row = row[n : n + m]
        territory = None if territory_row[0] is None else Territory.from_db(db, columns.territory, territory_row)
        cache_territory(experience, territory)
        experience.direct_theme_ids = row[-1]
        by_id[pk] = experience
    return by_id


def _plain_body(experience: Experience) -> list[str]:
    """The texts a snippet is cut from, each field apart: summary, then the long texts' words
    (no tag, entity or list sign)."""
    return [
        to_excerpt(value) if name in RICH_TEXT_FIELDS else value
        for name in search.BODY_FIELDS
        if (value := getattr(experience, name))
    ]


def _page_experiences(*, raw, text: str, reference) -> list:
    ids = [hit[0] for hit in raw.hits]
    if not ids:
        return []
    vocabulary = _vocabulary(raw.generation)
    by_id = _page_rows(raw)
    known = vocabulary.themes.keys() | vocabulary.tags.keys()
    if any(i not in known for e in by_id.values() for i in (*e.direct_theme_ids, *e.search_tag_ids)):
        # Written after this generation was read (its own bump comes at commit): read them again.
        vocabulary = _vocabulary(raw.generation, force=True)
    # Every word of the page looked up at once (nothing to ask once the process has seen them).
    bodies = {pk: _plain_body(e) for pk, e in by_id.items()} if text else {}
    marker = (
        highlight.Marker(raw.tsquery, [*(t for b in bodies.values() for t in b), *(e.title for e in by_id.values())])
        if text
        else None
    )
    page, english = [], get_language() == "en"
    for pk, score, comparability_score in raw.hits:
        experience = by_id.get(pk)
        if experience is None:
            continue
        experience.score = score
        experience.comparability = comparability_score
        # Why it matched (hybrid search): the words, the meaning ("sens proche"), or both.
        words, meaning_rank = raw.matched.get(pk, (bool(text), None))
        experience.matched_words, experience.matched_meaning = words, meaning_rank is not None
        themes = sorted(
            (vocabulary.themes[i] for i in experience.direct_theme_ids if i in vocabulary.themes),
            key=lambda t: (t.position, t.name),
        )
        experience.theme_slugs = [t.slug for t in themes]
        experience.theme_labels = [t.label_for(english=english) for t in themes]
        experience.tag_names = sorted(
            vocabulary.tags[i].name for i in experience.search_tag_ids if i in vocabulary.tags
        )
        if marker and experience.matched_words:
            experience.title_html = marker.mark_all(experience.title)
            experience.snippet = marker.snippet(bodies[pk])
        else:
            experience.title_html = experience.snippet = None
        # Set even when empty: a missing attribute costs the template a dir() of the instance.
        experience.comparability_reason = (
            comparability.comparability_reason(experience, reference) if reference is not None else None
        )
        page.append(experience)
    return page


_STATIC_LABELS: dict[str | None, dict[str, dict[str, str]]] = {}


def _static_labels() -> dict[str, dict[str, str]]:
    """The registry's labels (facets and fixed choices), translated once per language and process."""
    language = get_language()
    if language not in _STATIC_LABELS:
        labels = {facet.name: facet.labels() for facet in registry.FACETS}
        labels["_facet"] = {facet.name: str(facet.label) for facet in registry.FACETS}
        _STATIC_LABELS[language] = labels
    return _STATIC_LABELS[language]


def _labels(table: str, ids) -> dict[int, _Label]:
    """{id: (slug, name)} of these rows of a table with slug and name columns."""
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, slug, name FROM {table} WHERE id = ANY(%s)", [sorted(ids)])  # noqa: S608 - our table names
        return {pk: _Label(slug, name) for pk, slug, name in cursor.fetchall()}


def _territory_labels(ids: set[int], generation: int | None) -> dict[int, _Label]:
    """Names of the régions and départements in the facets, kept per process and search generation
    (a territory import ends with a full refresh of the search columns, which bumps it)."""
    known: dict[int, _Label] = caches.per_generation(
        "territory_labels", search.current_generation() if generation is None else generation, dict
    )
    missing = ids - known.keys()
    if missing:
        known.update(_labels(Territory._meta.db_table, missing))
    return {pk: known[pk] for pk in ids if pk in known}


def _facets(counts: dict, data: dict, generation: int | None = None) -> list[Facet]:
    """Facet values with labels, selected values kept even at zero, themes as a tree."""
    static = _static_labels()
    selected = {f.name: {f.key(v) for v in (data.get(f.name) or [])} for f in registry.FACETS}
    vocabulary = _vocabulary(generation)
    themes = list(vocabulary.themes.values())
    by_territory = [f.name for f in registry.FACETS if f.vocabulary == "territory"]
    territory_ids = {v for name in by_territory for v, _n in counts.get(name, []) if v is not None}
    territory_ids |= {t.pk for name in by_territory for t in data.get(name) or []}
    # Labels as plain tuples: model instances for a hundred départements cost
    # more than the counts themselves.
    territories = _territory_labels(territory_ids, generation)
    tags = vocabulary.tags
    if data.get("tag"):
        tags = {**tags, **{t.pk: t for t in data["tag"]}}
    facets = []
    for facet in registry.FACETS:
        name = facet.name
        raw = {str(v): n for v, n in counts.get(name, []) if v not in (None, "")}
        values: list[FacetValue] = []
        keys = list(raw) + [k for k in selected[name] if k not in raw]
        if facet.vocabulary == "theme":
            values = _theme_tree(themes, raw, selected[name], english=get_language() == "en")
        elif facet.vocabulary is not None:
            objects = tags if facet.vocabulary == "tag" else territories
            for key in keys:
                obj = objects.get(int(key))
                if obj is not None:
                    values.append(FacetValue(obj.slug, obj.name, raw.get(key, 0), key in selected[name]))
        else:
            labels = static.get(name, {})
            for key in keys:
                values.append(FacetValue(key, labels.get(key, key), raw.get(key, 0), key in selected[name]))
        if facet.vocabulary == "tag":
            pass  # the statement already ordered them: selected first, then the most used
        elif facet.order == registry.NEWEST_FIRST:
            values.sort(key=lambda v: v.value, reverse=True)
        elif facet.order == registry.BY_CHOICES and facet.vocabulary is None:
            order = {key: i for i, key in enumerate(static.get(name, {}))}
            values.sort(key=lambda v, order=order: order.get(v.value, 99))
        elif facet.vocabulary != "theme":
            values.sort(key=lambda v: (-v.count, v.label))
        facets.append(Facet(name, static["_facet"][name], values))
    return facets


def _theme_tree(themes, counts: dict, selected: set, *, english: bool) -> list[FacetValue]:
    """Themes with a count (or selected), each followed by its children, depth-first."""
    by_parent: dict = {}
    parent_of = {}
    for theme in themes:
        by_parent.setdefault(theme.parent_id, []).append(theme)
        parent_of[theme.pk] = theme.parent_id
    # A theme is listed when it has a count or is selected, and so are its
    # ancestors (a selected sub-theme at zero keeps its place in the tree).
    keep = set()
    for theme in themes:
        key = str(theme.pk)
        if counts.get(key) or key in selected:
            node = theme.pk
            while node is not None and node not in keep:
                keep.add(node)
                node = parent_of.get(node)
    values: list[FacetValue] = []

    def walk(parent_id, depth):
        for theme in by_parent.get(parent_id, []):
            if theme.pk in keep:
                key = str(theme.pk)
                values.append(
                    FacetValue(theme.slug, theme.label_for(english=english), counts.get(key, 0), key in selected, depth)
                )
                walk(theme.pk, depth + 1)

    walk(None, 0)
    return values


def _chips(filterset, data: dict, params: QueryDict, reference) -> list[Chip]:
    chips = []
    if data.get("q"):
        chips.append(Chip(str(_("Recherche")), data["q"], _query_without(params, "q")))
    static = _static_labels()
    for name in registry.NAMES:
        for value in data.get(name) or []:
            if hasattr(value, "slug"):
                raw, label = value.slug, getattr(value, "label", None) or value.name
            else:
                raw, label = str(value), str(static.get(name, {}).get(str(value), value))
            chips.append(Chip(static["_facet"][name], str(label), _query_without(params, name, raw)))
    if data.get("territory"):
        chips.append(Chip(str(_("Dans le territoire")), data["territory"].label, _query_without(params, "territory")))
    for status in data.get("status") or []:
        label = dict(Experience.Status.choices).get(status, status)
        chips.append(Chip(str(_("Statut")), str(label), _query_without(params, "status", status)))
    if data.get("comparable") and reference:
        label = dict(filterset.filters["comparable"].extra["choices"]).get(data["comparable"])
        chips.append(Chip(str(_("Comparables")), str(label), _query_without(params, "comparable")))
    return chips


def experience_facets(*, viewer, params=None) -> list[Facet]:
    """Only the facet counts of a search (same rules as experience_search)."""
    return experience_search(viewer=viewer, params=params).facets
