"""The search engine pieces: denormalised columns, the one search statement,
facet counts, comparability, suggestions and the landing-page cache.

How it works (the README has the long version):

- Every searchable fact of a fiche is a column of `experiences_experience`:
  `search_vector` (a stored generated tsvector over the `periscope_fr` French
  configuration, weights A title, B summary + themes/synonyms + tags, C the
  rest, D places), facet keys (`search_theme_ids` with ancestors,
  `search_tag_ids`, `search_region_id`…) and the lead territory's profile
  (kind, population, density class, EPCI…). Search reads one table, no join.
- `refresh_search_fields(ids)` recomputes the copied columns in one UPDATE;
  PostgreSQL recomputes the generated ones by itself.
- `run_search()` builds ONE statement returning total, page and every facet
  count; facets are disjunctive (a facet's counts ignore its own selection).
- Counts for the unfiltered landing page are cached per visibility class and
  per "search generation", a sequence bumped by statement-level triggers on
  every table the counts read (so any write path invalidates them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q

from accounts.visibility import Role, role_of, viewer_organisation_id
from territories.models import Territory

from .. import facet_store
from ..comparability import (
    COMPARABLE_LEVELS,
    TERRITORY_PROFILE_SQL,
    Reference,
    comparability_sql,
    comparable_level_sql,
)
from ..models import Experience
from . import registry
from .text import plain_word

PAGE_SIZE = 20
MAX_PAGE = 500  # deeper pages cost a sort over every match for nobody
TAG_FACET_SIZE = 25
LANDING_CACHE_SECONDS = 600  # a backstop: the generation number already invalidates on write
TABLE = Experience._meta.db_table

# Facets: URL parameter -> (column, "scalar" or "array"), read from the registry.
FACET_COLUMNS: dict[str, tuple[str, str]] = {f.name: (f.column, f.shape) for f in registry.FACETS}
SCALAR_FACETS = [name for name, (_col, kind) in FACET_COLUMNS.items() if kind == "scalar"]
ARRAY_FACETS = [name for name, (_col, kind) in FACET_COLUMNS.items() if kind == "array"]


# --------------------------------------------------------------------------
# Keeping the denormalised columns in step
# --------------------------------------------------------------------------

# The copied columns that are not facets (facets say how theirs are computed in the registry),
# as SQL over the aliases of the `fresh` statement below.
COPIED_COLUMNS: dict[str, str] = {
    "search_keywords": "concat_ws(' ', themes.words, tags.words)",
    "search_places": "COALESCE(p.places, '')",
    "search_epci_id": "p.epci_id",
    "search_population": "p.population",
    **{f.column: f.compute for f in registry.FACETS if f.compute},
}

_REFRESH_TEMPLATE = f"""
WITH RECURSIVE target AS (
    SELECT id, lead_territory_id FROM {TABLE} e WHERE __WHERE__
),
ancestors(theme_id, ancestor_id) AS (
    SELECT id, id FROM experiences_theme
    UNION
    SELECT a.theme_id, t.parent_id FROM ancestors a JOIN experiences_theme t ON t.id = a.ancestor_id
    WHERE t.parent_id IS NOT NULL
),
themes AS (
    SELECT et.experience_id,
           array_agg(DISTINCT a.ancestor_id::int ORDER BY a.ancestor_id::int) AS ids,
           string_agg(DISTINCT concat_ws(' ', th.name, th.name_en, array_to_string(th.synonyms, ' '))
                      COLLATE "C", ' ') AS words
    FROM experiences_experience_themes et
    JOIN target ON target.id = et.experience_id
    JOIN ancestors a ON a.theme_id = et.theme_id
    JOIN experiences_theme th ON th.id = a.ancestor_id
    GROUP BY et.experience_id
),
tags AS (
    SELECT et.experience_id, array_agg(DISTINCT et.tag_id::int ORDER BY et.tag_id::int) AS ids,
           string_agg(DISTINCT tg.name COLLATE "C", ' ') AS words
    FROM experiences_experience_tags et
    JOIN target ON target.id = et.experience_id
    JOIN experiences_tag tg ON tg.id = et.tag_id
    GROUP BY et.experience_id
),
orgs AS (
    SELECT eo.experience_id, array_agg(DISTINCT o.kind COLLATE "C")::varchar(20)[] AS kinds
    FROM experiences_experienceorganisation eo
    JOIN target ON target.id = eo.experience_id
    JOIN experiences_organisation o ON o.id = eo.organisation_id
    GROUP BY eo.experience_id
),
fresh AS (
    SELECT target.id, __FRESH__
    FROM target
    -- LATERAL: the profile of each target's own territory, by primary key, whatever
    -- the planner's statistics say about the territory table.
    LEFT JOIN LATERAL ({TERRITORY_PROFILE_SQL} WHERE t.id = target.lead_territory_id) p ON TRUE
    LEFT JOIN themes ON themes.experience_id = target.id
    LEFT JOIN tags ON tags.experience_id = target.id
    LEFT JOIN orgs ON orgs.experience_id = target.id
)
UPDATE {TABLE} e SET __SET__
FROM fresh
WHERE e.id = fresh.id
  -- Rewriting an unchanged row would recompute its tsvector and bloat the table.
  AND (__OLD__) IS DISTINCT FROM (__NEW__)
"""
_REFRESH_SQL = (
    _REFRESH_TEMPLATE.replace("__FRESH__", ", ".join(f"{sql} AS {col}" for col, sql in COPIED_COLUMNS.items()))
    .replace("__SET__", ", ".join(f"{col} = fresh.{col}" for col in COPIED_COLUMNS))
    .replace("__OLD__", ", ".join(f"e.{col}" for col in COPIED_COLUMNS))
    .replace("__NEW__", ", ".join(f"fresh.{col}" for col in COPIED_COLUMNS))
)


def refresh_search_fields(experience_ids=None) -> int:
    """Recompute the denormalised search columns of these experiences (all when None).

    One set-based UPDATE; rows whose values did not change are not rewritten.
    Call it after every write that touches a fiche, its themes, tags, actors or
    lead territory (services do), and with no argument after a thesaurus or
    territory import. Returns the number of rows rewritten.
    """
    if experience_ids is None:
        where, params = "TRUE", []
    else:
        ids = sorted({int(pk) for pk in experience_ids})
        if not ids:
            return 0
        where, params = "e.id = ANY(%s)", [ids]
    with connection.cursor() as cursor:
        cursor.execute(_REFRESH_SQL.replace("__WHERE__", where), params)
        changed = cursor.rowcount
    if experience_ids is not None:
        # A full refresh (after a territory import) changes no word of a fiche;
        # the vocabulary is rebuilt by rebuild_search_terms() on its own schedule.
        add_search_terms(experience_ids)
    bump_generation()
    return changed


def bump_generation() -> None:
    """Invalidate cached counts once the current transaction commits.

    The triggers already bumped the generation when the rows were written; this
    second bump, after commit, closes the window in which a reader could cache
    counts computed before the commit under the new generation number.
    """

    def bump():
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval('experiences_search_generation')")

    transaction.on_commit(bump)


def current_generation() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM experiences_search_generation")
        return cursor.fetchone()[0]


# --------------------------------------------------------------------------
# Suggestion vocabulary ("Vouliez-vous dire")
# --------------------------------------------------------------------------

# Words of published public fiches (themes and tags included through
# search_keywords) and of the whole public thesaurus; 4 to 40 letters, no digit.
_TERMS_SELECT = f"""
    SELECT unaccent(word) AS plain, word, ndoc FROM ts_stat($q$
        SELECT to_tsvector('periscope_words', concat_ws(' ', title, summary, context, actions, results,
                                                        vigilance_points, search_keywords))
        FROM {TABLE} WHERE status = 'published' AND visibility = 'public' {{where}}
        UNION ALL
        SELECT to_tsvector('periscope_words', concat_ws(' ', name, array_to_string(synonyms, ' ')))
        FROM experiences_theme WHERE {{theme_where}}
    $q$)
    WHERE length(word) BETWEEN 4 AND 40 AND word !~ '[0-9_]'
"""


def rebuild_search_terms() -> int:
    """Rebuild the suggestion vocabulary from scratch (nightly, or after a big import)."""
    select = _TERMS_SELECT.format(where="", theme_where="TRUE")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM experiences_searchterm")
        cursor.execute(
            f"""INSERT INTO experiences_searchterm (word, display, ndoc)
                SELECT left(plain, 100), left((array_agg(word ORDER BY ndoc DESC))[1], 100), sum(ndoc)
                FROM ({select}) s GROUP BY left(plain, 100)"""
        )
        return cursor.rowcount


def add_search_terms(experience_ids=None) -> None:
    """Add the words of these fiches to the vocabulary (counts are approximate until the next rebuild)."""
    if experience_ids is None:
        rebuild_search_terms()
        return
    ids = sorted({int(pk) for pk in experience_ids})
    if not ids:
        return
    id_list = ",".join(str(pk) for pk in ids)  # integers only: safe inside the ts_stat text
    select = _TERMS_SELECT.format(where=f"AND id IN ({id_list})", theme_where="FALSE")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO experiences_searchterm (word, display, ndoc)
                SELECT left(plain, 100), left((array_agg(word ORDER BY ndoc DESC))[1], 100), sum(ndoc)
                FROM ({select}) s GROUP BY left(plain, 100)
                ON CONFLICT (word) DO UPDATE SET ndoc = experiences_searchterm.ndoc + EXCLUDED.ndoc"""
        )


def suggest_query(spec: SearchSpec, *, found: int) -> str | None:
    """A corrected query when some words are unknown and a close known word exists.

    Offered only when the correction is another query for PostgreSQL (not the
    same lexemes spelt otherwise: "à l'écoles" for "à l'école") and finds more
    fiches than the `found` the search already has, with every other filter of
    `spec` and only among the fiches the viewer may read: the vocabulary never
    reveals anything, and a suggestion never leads to fewer results. Words are compared
    with words: in a hybrid search, `found` counts the fiches that have the words.
    """
    query = spec.text
    words = [w for w in re.findall(r"\w+", query, re.UNICODE) if len(w) >= 4 and not w.isdigit()]
    if not words:
        return None
    plains = [plain_word(w) for w in words]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT w.plain, best.display
            FROM unnest(%s::text[]) AS w(plain)
            CROSS JOIN LATERAL (
                SELECT st.display FROM experiences_searchterm st
                WHERE st.word %% w.plain
                ORDER BY similarity(st.word, w.plain) DESC, st.ndoc DESC LIMIT 1
            ) best
            WHERE NOT EXISTS (SELECT 1 FROM experiences_searchterm k WHERE k.word = w.plain)
            """,
            [plains],
        )
        fixes = dict(cursor.fetchall())
    if not fixes:
        return None
    corrected = query
    for word, plain in zip(words, plains, strict=True):
        if plain in fixes and plain_word(fixes[plain]) != plain:
            corrected = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", fixes[plain], corrected, count=1)
    if corrected == query:
        return None
    where_sql, where_params = _where(replace(spec, text=corrected, meaning=None), with_facets=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT periscope_tsquery(%s)::text <> periscope_tsquery(%s)::text,
                       (SELECT count(*) FROM (SELECT 1 FROM {TABLE} e WHERE {where_sql} LIMIT %s) m)""",
            [query, corrected, *where_params, found + 1],
        )
        different, count = cursor.fetchone()
    return corrected if different and count > found else None


# --------------------------------------------------------------------------
# SQL fragments
# --------------------------------------------------------------------------


def q_to_sql(q: Q) -> tuple[str, list]:
    """The WHERE fragment of a Q over experiences_experience's own columns (no join allowed)."""
    query = Experience.objects.filter(q).query
    if sum(1 for count in query.alias_refcount.values() if count) > 1:
        raise ValueError("search conditions must read the experience row only")
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(query.where)
    return sql or "TRUE", list(params)


_VISIBILITY_SQL: dict[str, tuple[str, tuple]] = {}


def visibility_sql(viewer) -> tuple[str, list]:
    """The visibility rule as SQL on alias-free columns, compiled once per visibility class.

    Viewers of one class see exactly the same fiches (see `visibility_class`),
    so they share the compiled fragment; the rule has no other input.
    """
    key = visibility_class(viewer)
    found = _VISIBILITY_SQL.get(key)
    if found is None:
        q = Experience.objects.visibility_q(viewer)
        sql, params = ("TRUE", []) if q is None else q_to_sql(q)
        if len(_VISIBILITY_SQL) > 1024:  # consultants' classes are per person: keep it bounded
            _VISIBILITY_SQL.clear()
        found = _VISIBILITY_SQL[key] = (sql, tuple(params))
    return found[0], list(found[1])


def visibility_class(viewer) -> str:
    """Viewers who see exactly the same fiches share a class (and cached counts)."""
    role = role_of(viewer)
    org = viewer_organisation_id(viewer) or 0
    if role == Role.STAFF:
        return "staff"
    if role == Role.CONSULTANT:
        # Consultants also see the confidential fiches they wrote: per person.
        return f"consultant:{org}:{viewer.pk}"
    if role == Role.MEMBER:
        return f"member:{org}"
    return "visitor"


# --------------------------------------------------------------------------
# The search statement
# --------------------------------------------------------------------------


@dataclass
class SearchSpec:
    """Everything a search needs, already validated (built by the selector from the FilterSet)."""

    viewer: Any
    text: str = ""
    facet_conditions: dict[str, Q] = field(default_factory=dict)  # facet name -> condition (OR inside)
    conditions: list[Q] = field(default_factory=list)  # other filters (AND)
    reference: Reference | None = None
    comparable_level: int | None = None
    sort: str = "relevance"
    page: int = 1
    page_size: int = PAGE_SIZE
    theme_ids: list[int] = field(default_factory=list)  # selected themes, for theme relevance
    selected_tag_ids: list[int] = field(default_factory=list)
    with_facets: bool = True
    # Hybrid search: the query's vector and thresholds (experiences.semantic.hybrid.meaning_query);
    # the statement adds the fiches close in meaning to those matching the words. None: words only.
    meaning: Any = None

    @property
    def is_landing(self) -> bool:
        return not (self.text or self.facet_conditions or self.conditions or self.comparable_level)


@dataclass
class RawResult:
    total: int
    hits: list[tuple[int, float, float | None]]  # (id, score, comparability)
    facets: dict[str, list[tuple[Any, int]]]  # facet -> [(value, count)]
    labels: dict[
        str, dict[Any, tuple[str, str, int | None]]
    ]  # theme/tag/region/department -> {id: (slug, name, parent)}
    highlights: dict[int, tuple[str, str]]
    cache_key: str | None = None  # set for the landing page: derived data may be cached under it
    tsquery: str = ""  # the text query as PostgreSQL parsed it (for highlighting)
    generation: int | None = None  # search generation the statement saw (keys label caches)
    # The page's fiches, read by the same statement: id -> values in `page_columns()` order.
    rows: dict[int, tuple] = field(default_factory=dict)
    columns: PageColumns | None = None
    # Hybrid search: id -> (matched the words, rank among the meaning matches or None), for the page.
    matched: dict[int, tuple[bool, int | None]] = field(default_factory=dict)
    lexical_total: int | None = None  # hybrid search: how many of `total` have the words


# What a result card, the API hit and the comparability sentence read (the long text fields stay out).
PAGE_FIELDS = (
    "id",
    "title",
    "title_en",
    "slug",
    "summary",
    "summary_en",
    "period_start",
    "period_end",
    "project_status",
    "budget_amount",
    "currency",
    "status",
    "visibility",
    "published_at",
    "language",
    "lead_territory_id",
    "search_tag_ids",
    "search_territory_kind",
    "search_epci_type",
    "search_population",
    "search_density_class",
    "search_epci_id",
    "search_department_id",
    "search_region_id",
    "search_country",
)
PAGE_TERRITORY_FIELDS = ("id", "slug", "kind", "subkind", "code", "country", "name", "population", "density_class")
BODY_FIELDS = ("summary", "context", "actions", "results", "vigilance_points")  # the text snippets are cut from


@dataclass(frozen=True)
class PageColumns:
    """The columns of a result page's rows: the fiche's, its lead territory's, its direct theme ids."""

    experience: tuple[str, ...]  # attnames, in the model's field order
    territory: tuple[str, ...]
    select: str  # the select list, on aliases `e` (fiche) and `t` (territory)


_PAGE_COLUMNS: dict[bool, PageColumns] = {}


def page_columns(with_body: bool) -> PageColumns:
    """The page rows' columns; `with_body` adds the long texts snippets are cut from."""
    if with_body not in _PAGE_COLUMNS:
        wanted = {*PAGE_FIELDS, *(BODY_FIELDS if with_body else ())}
        exp_fields = [f for f in Experience._meta.concrete_fields if f.attname in wanted]
        territory_fields = [f for f in Territory._meta.concrete_fields if f.attname in PAGE_TERRITORY_FIELDS]
        select = ", ".join(
            [
                *(f"e.{f.column}" for f in exp_fields),
                *(f"t.{f.column}" for f in territory_fields),
                f"ARRAY(SELECT x.theme_id FROM {Experience.themes.through._meta.db_table} x"
                " WHERE x.experience_id = e.id)",
            ]
        )
        _PAGE_COLUMNS[with_body] = PageColumns(
            tuple(f.attname for f in exp_fields), tuple(f.attname for f in territory_fields), select
        )
    return _PAGE_COLUMNS[with_body]


def _page_rows_sql(ids_sql: str, with_body: bool, *, padding: int = 0) -> str:
    """The page's rows for the ids `ids_sql` selects (as column `id`), each led by its id
    and `padding` NULL columns."""
    return f"""SELECT pg.id, {"NULL, " * padding}{page_columns(with_body).select}
               FROM ({ids_sql}) pg JOIN {TABLE} e ON e.id = pg.id
               LEFT JOIN {Territory._meta.db_table} t ON t.id = e.lead_territory_id"""


def _score_sql(spec: SearchSpec) -> tuple[str, list, str]:
    """(score expression, params, ORDER BY) for the requested sort."""
    text = "0.0"
    params: list = []
    if spec.text:
        # Weights D, C, B, A; normalisation 32 maps the rank into [0, 1).
        text = "ts_rank('{0.1, 0.2, 0.4, 1.0}', e.search_vector, periscope_tsquery(%s), 32)"
        params.append(spec.text)
    theme = None
    if len(spec.theme_ids) > 1:
        ids = ",".join(str(int(i)) for i in spec.theme_ids)
        theme = (
            f"((SELECT count(*) FROM unnest(e.search_theme_ids) x WHERE x IN ({ids}))::float8 / {len(spec.theme_ids)})"
        )
    comp = comparability_sql(spec.reference) if spec.reference else None
    newest = "e.published_at DESC NULLS LAST, e.created_at DESC, e.id DESC"
    sort = spec.sort
    if sort == "comparability" and comp is None:
        sort = "relevance"
    if sort == "relevance" and not spec.text and comp is None and theme is None:
        sort = "newest"
    if sort == "newest":
        return "0.0", [], newest
    if sort == "comparability":
        expr = f"0.7 * {comp} + 0.2 * {text}" + (f" + 0.1 * {theme}" if theme else "")
    else:
        expr = text
        if theme:
            expr += f" + 0.2 * {theme}"
        if comp:
            # A tie-breaker more than a reorder: text decides, comparability separates equals.
            expr += f" + 0.1 * {comp}"
    return f"({expr})", params, f"score DESC, {newest}"


def _where(
    spec: SearchSpec, *, with_facets: bool = False, with_level: bool = True, match: str = "either"
) -> tuple[str, list]:
    """Visibility, text, non-facet conditions (and optionally every facet), on alias `e`.

    With a hybrid search (`spec.meaning`), `match` says which fiches: "words" (those with
    the words), "meaning" (those only close in meaning: the `kept` CTE of _meaning_ctes),
    or "either".
    """
    vis_sql, vis_params = visibility_sql(spec.viewer)
    where, params = [vis_sql], list(vis_params)
    if spec.text and spec.meaning and match != "words":
        words = "e.search_vector @@ periscope_tsquery(%s)"
        if match == "meaning":
            where.append(f"e.id IN (SELECT id FROM kept) AND NOT ({words})")
        else:
            where.append(f"{words} OR e.id IN (SELECT id FROM kept)")
        params.append(spec.text)
    elif spec.text:
        where.append("e.search_vector @@ periscope_tsquery(%s)")
        params.append(spec.text)
    for cond in [*spec.conditions, *(spec.facet_conditions.values() if with_facets else [])]:
        sql, p = q_to_sql(cond)
        where.append(sql)
        params += p
    if with_level and spec.reference and spec.comparable_level:
        where.append(comparable_level_sql(spec.reference, spec.comparable_level))
    return " AND ".join(f"({w})" for w in where).replace('"experiences_experience".', "e."), params


def matching_sql(spec: SearchSpec) -> tuple[str, list]:
    """`SELECT e.id FROM … WHERE …`: every fiche of the search (all its conditions, the
    comparability band included, and the fiches close in meaning of a hybrid search), for a
    `pk__in` or a count."""
    meaning_sql, meaning_params = _meaning_ctes(spec)
    if meaning_sql:
        sql, params = _hybrid_matches(spec, "e.id", [], with_facets=True)
        return f"WITH {meaning_sql} SELECT id FROM ({sql}) m", [*meaning_params, *params]
    where_sql, params = _where(spec, with_facets=True)
    return f"SELECT e.id FROM {TABLE} e WHERE {where_sql}", params


def ordered_ids(spec: SearchSpec, *, limit: int | None = None) -> list[int]:
    """Every fiche id of the search in the page's order (the first `limit`): what exports write."""
    where_sql, where_params = _where(spec, with_facets=True)
    score_sql, score_params, order_sql = _score_sql(spec)
    comp_sql = comparability_sql(spec.reference) if spec.reference else "NULL::float8"
    limit_sql = "" if limit is None else f" LIMIT {int(limit)}"
    meaning_sql, meaning_params = _meaning_ctes(spec)
    if meaning_sql:  # the page's order: words and meaning fused
        columns = f"e.id, e.published_at, e.created_at, {score_sql} AS score, {comp_sql} AS comparability"
        hits_sql, hits_params = _hybrid_matches(spec, columns, score_params, with_facets=True)
        ranks, _score, order = _hybrid_ranking(spec, order_sql)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH {meaning_sql}, hits AS MATERIALIZED ({hits_sql}), {ranks}"
                f" SELECT e.id FROM {_RANKED} ORDER BY {order}{limit_sql}",
                [*meaning_params, *hits_params],
            )
            return [row[0] for row in cursor.fetchall()]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT e.id FROM (SELECT e.id, e.published_at, e.created_at, {score_sql} AS score,
                                        {comp_sql} AS comparability
                                 FROM {TABLE} e WHERE {where_sql}) e
                ORDER BY {order_sql}{limit_sql}""",
            [*score_params, *where_params],
        )
        return [row[0] for row in cursor.fetchall()]


def run_search(spec: SearchSpec, *, landing_facets: dict | None = None, facets_in_sql: bool = False) -> RawResult:
    """Total, one page of ids and every facet count, in one SQL statement.

    `landing_facets` (the cached unfiltered counts) serve the counts of a facet
    when it is the only filter: its disjunctive counts are then the landing ones.
    When no facet is selected, the statement returns the ids of its matches and
    the in-memory facet store counts them (`facet_store`), unless
    `facets_in_sql`: then, as with selected facets, the statement counts.
    """
    hybrid = bool(spec.text and spec.meaning)
    where_sql, where_params = _where(spec, match="words")
    facet_sql: dict[str, tuple[str, list]] = {}
    for name, cond in spec.facet_conditions.items():
        sql, p = q_to_sql(cond)
        facet_sql[name] = (sql.replace('"experiences_experience".', "e."), p)
    flags = list(facet_sql)
    only_facets = not (spec.text or spec.conditions or (spec.reference and spec.comparable_level))
    from_cache = {n for n in flags if landing_facets is not None and only_facets and flags == [n]}
    needs_all_but = [n for n in flags if n not in from_cache] if spec.with_facets else []

    # base: the rows any count needs, i.e. those failing at most the one
    # selected facet whose counts are being computed; a boolean per facet.
    def conj(names) -> tuple[str, list]:
        names = list(names)
        if not names:
            return "TRUE", []
        return " AND ".join(f"({facet_sql[n][0]})" for n in names), [p for n in names for p in facet_sql[n][1]]

    combos = [[m for m in flags if m != n] for n in needs_all_but] or [flags]
    combo_sql = [conj(c) for c in combos]
    base_filter = " OR ".join(f"({sql})" for sql, _p in combo_sql)
    base_filter_params = [p for _sql, ps in combo_sql for p in ps]

    score_sql, score_params, order_sql = _score_sql(spec)
    comp_sql = comparability_sql(spec.reference) if spec.reference else "NULL::float8"
    page = max(1, min(spec.page, MAX_PAGE))
    offset = (page - 1) * spec.page_size
    flag_cols = "".join(f", ({facet_sql[n][0]}) AS f_{n}" for n in flags)
    flag_params = [p for n in flags for p in facet_sql[n][1]]
    all_flags = " AND ".join(f"f_{n}" for n in flags) or "TRUE"

    def but(name: str) -> str:
        return " AND ".join(f"f_{n}" for n in flags if n != name) or "TRUE"

    # No facet selected: the store counts the matches, the statement only lists them.
    use_store = spec.with_facets and not flags and not facets_in_sql
    facet_cols = "" if use_store else "".join(f", e.{col}" for col, _kind in FACET_COLUMNS.values())
    select = f"""SELECT e.id, e.published_at, e.created_at{facet_cols},
                   {score_sql} AS score, {comp_sql} AS comparability{", TRUE AS lexical" if hybrid else ""}{flag_cols}
            FROM {TABLE} e
            WHERE {where_sql} AND ({base_filter})"""
    params = score_params + flag_params + where_params + base_filter_params
    if hybrid:
        # The fiches close in meaning without the words, as a second arm: an OR of the two
        # conditions would read the whole table (its GIN index no longer usable: 147 ms instead
        # of 3 for "numérique agents" at 100,000 fiches); this arm reads at most DEPTH rows by key.
        meaning_sql, meaning_where = _where(spec, match="meaning")
        select += "\nUNION ALL\n" + select.replace("TRUE AS lexical", "FALSE AS lexical").replace(
            f"WHERE {where_sql} AND", f"WHERE {meaning_sql} AND"
        )
        params += score_params + flag_params + meaning_where + base_filter_params
    base_body = f"(\n{select}\n)"

    parts = [
        "(SELECT last_value FROM experiences_search_generation) AS generation",
        "(SELECT count(*) FROM hits) AS total",
        "(SELECT COALESCE(json_agg(json_build_array(id, score, comparability)), '[]') FROM pg) AS page",
    ]
    page_cte = f"""pg AS (SELECT id, score, comparability FROM hits e
                           ORDER BY {order_sql} LIMIT {int(spec.page_size)} OFFSET {int(offset)})"""
    if hybrid:
        page_cte = _hybrid_page_cte(spec, order_sql, offset)
        parts.append("(SELECT json_agg(json_build_array(id, lexical, meaning_rank)) FROM pg) AS matched")
        parts.append("(SELECT count(*) FILTER (WHERE lexical) FROM hits) AS lexical_total")
    unselected_scalars = [n for n in SCALAR_FACETS if n not in flags]
    if use_store:
        parts.append("(SELECT string_agg(int8send(id), ''::bytea) FROM hits) AS hit_ids")
    elif spec.with_facets:
        if unselected_scalars:
            cols = [FACET_COLUMNS[n][0] for n in unselected_scalars]
            sets = ", ".join(f"({c})" for c in cols)
            # GROUPING() tells which set a row belongs to: one pass over hits for all of them.
            parts.append(
                f"""(SELECT json_agg(json_build_array(g, {", ".join(cols)}, n))
                     FROM (SELECT {", ".join(cols)}, grouping({", ".join(cols)}) AS g, count(*) AS n
                           FROM hits GROUP BY GROUPING SETS ({sets})) g) AS scalars"""
            )
        for name in SCALAR_FACETS:
            if name in needs_all_but:
                col = FACET_COLUMNS[name][0]
                parts.append(
                    f"""(SELECT json_agg(json_build_array(v, n)) FROM (
                          SELECT {col} AS v, count(*) AS n FROM base WHERE {but(name)} GROUP BY {col}) g
                        ) AS facet_{name}"""
                )
        for name in ARRAY_FACETS:
            if name in from_cache:
                continue
            col = FACET_COLUMNS[name][0]
            source, cond = ("base", but(name)) if name in flags else ("hits", "TRUE")
            limit = ""
            if name == "tag":
                # The most used tags, plus the selected ones whatever their count.
                keep = ",".join(str(int(i)) for i in spec.selected_tag_ids) or "NULL"
                limit = f" ORDER BY (v IN ({keep})) DESC, n DESC, v LIMIT {TAG_FACET_SIZE + len(spec.selected_tag_ids)}"
            # unnest() in the select list (ProjectSet) is several times cheaper than a lateral join.
            parts.append(
                f"""(SELECT json_agg(json_build_array(v, n)) FROM (
                      SELECT v, count(*) AS n FROM (SELECT unnest({col}) AS v FROM {source} WHERE {cond}) u
                      GROUP BY v{limit}) g
                    ) AS facet_{name}"""
            )
    if spec.text:
        parts.append("periscope_tsquery(%s)::text AS tsquery")
    if flags:
        ctes = f"base AS MATERIALIZED {base_body},\nhits AS (SELECT * FROM base WHERE {all_flags})"
    else:
        # No facet selected: every count reads the matches themselves; copying
        # them from one CTE into another took a tenth of a common-word search.
        ctes = f"hits AS MATERIALIZED {base_body}"
    meaning_sql, meaning_params = _meaning_ctes(spec)
    if meaning_sql:
        ctes = f"{meaning_sql},\n{ctes}"
        params = meaning_params + params
    sql = f"WITH {ctes},\n{page_cte}\nSELECT NULL::bigint AS row_id, " + ",\n".join(parts)
    columns = page_columns(bool(spec.text))
    if spec.page_size:
        # The page's fiches in the same statement: rows after the first, led by their id.
        n_page = len(columns.experience) + len(columns.territory) + 1
        sql += ", " + ", ".join(["NULL"] * n_page)
        sql += "\nUNION ALL\n" + _page_rows_sql("SELECT id FROM pg", bool(spec.text), padding=len(parts))
    if spec.text:
        params.append(spec.text)

    with connection.cursor() as cursor:
        # The statement may aggregate tens of thousands of rows in memory; JIT
        # compilation would cost more than it saves at this size. One round
        # trip: the statements of one query string run as one implicit
        # transaction, so SET LOCAL holds for this search only (parameters are
        # bound client-side, as Django does by default with psycopg 3).
        cursor.execute("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; " + sql, params)
        # psycopg builds a new list of column objects at each reading of description: read it once.
        description = cursor.description
        while description is None and cursor.nextset():
            description = cursor.description
        result_rows = cursor.fetchall()
        names = [d.name for d in description[: 1 + len(parts)]]
    page_rows = {}
    for result_row in result_rows:
        if result_row[0] is None:
            data = dict(zip(names, result_row[: len(names)], strict=True))
        else:
            page_rows[result_row[0]] = result_row[1 + len(parts) :]
    facets: dict[str, list[tuple[Any, int]]] = {}
    if use_store:
        store = facet_store.store_for(data["generation"], FACET_COLUMNS)
        ids = np.frombuffer(data["hit_ids"] or b"", dtype=">i8").astype(np.int64)
        rows = store.rows(ids)
        if rows is None:  # a fiche written after the store was read: count in SQL this time
            return run_search(spec, landing_facets=landing_facets, facets_in_sql=True)
        for name in FACET_COLUMNS:
            facets[name] = store.counts(name, rows)
        keep = set(spec.selected_tag_ids)
        facets["tag"] = sorted(facets["tag"], key=lambda vn: (vn[0] not in keep, -vn[1], vn[0]))[
            : TAG_FACET_SIZE + len(keep)
        ]
    elif spec.with_facets:
        n_cols = len(unselected_scalars)
        for name in unselected_scalars:
            facets[name] = []
        for entry in data.get("scalars") or []:
            mask, values, count = entry[0], entry[1 : 1 + n_cols], entry[-1]
            for i, name in enumerate(unselected_scalars):
                # The GROUPING bit is 0 for the column the row is grouped by.
                if not mask & (1 << (n_cols - 1 - i)):
                    facets[name].append((values[i], count))
        for name in FACET_COLUMNS:
            if f"facet_{name}" in data:
                facets[name] = [(v, n) for v, n in (data[f"facet_{name}"] or [])]
            elif name in from_cache:
                facets[name] = list(landing_facets.get(name, []))
    hits = [(int(i), float(s or 0), None if c is None else float(c)) for i, s, c in data["page"]]
    return RawResult(
        total=data["total"],
        hits=hits,
        facets=facets,
        labels={},
        highlights={},
        tsquery=data.get("tsquery") or "",
        generation=data["generation"],
        rows=page_rows,
        columns=columns,
        matched={int(i): (bool(lex), rank) for i, lex, rank in data.get("matched") or []},
        lexical_total=data.get("lexical_total"),
    )


def _meaning_ctes(spec: SearchSpec) -> tuple[str, list]:
    """(CTEs, params) of the fiches close to the query in meaning, for the search statement.

    `sem`: the DEPTH fiches nearest to the query's vector among those the viewer may read
    (the visibility rule in the same statement; pgvector's HNSW index with an iterative
    scan, which keeps reading the graph until DEPTH visible fiches are found: the connection
    options of settings.DATABASES). `kept`:
    those close enough to count as matches (experiences/semantic/hybrid.py: a floor, a
    margin under the best one, and a z-score against the corpus turned into a cosine for
    this query), with their rank by meaning.
    """
    meaning = spec.meaning
    if not (spec.text and meaning):
        return "", []
    vis_sql, vis_params = visibility_sql(spec.viewer)
    vis_sql = vis_sql.replace('"experiences_experience".', "e.")
    sql = f"""sem AS MATERIALIZED (
        SELECT v.experience_id AS id, 1 - (v.embedding <=> %s::vector) AS sim
        FROM experiences_experiencevector v JOIN {TABLE} e ON e.id = v.experience_id
        WHERE v.model = %s AND ({vis_sql})
        ORDER BY v.embedding <=> %s::vector LIMIT {int(meaning.depth)}),
    kept AS (SELECT id, sim, row_number() OVER (ORDER BY sim DESC, id) AS position FROM sem
             WHERE sim >= %s AND sim >= (SELECT max(sim) FROM sem) - %s)"""
    params = [meaning.vector, meaning.model, *vis_params, meaning.vector, meaning.min_similarity, meaning.margin]
    return sql, params


def _hybrid_ranking(spec: SearchSpec, order_sql: str) -> tuple[str, str, str]:
    """(CTEs `lx` and `sm`, score expression, ORDER BY) of a hybrid search over the CTE `hits`.

    score = W_LEXICAL / (K + rank by words) + W_SEMANTIC / (K + rank by meaning), each
    ranking counted over its first DEPTH fiches (experiences/semantic/hybrid.py, where the
    constants are tuned on the relevance set); a fiche past both is ordered by its words'
    score. The ranks are taken among the rows that pass visibility and every filter, in
    this statement. Sorts other than relevance keep their own order.
    """
    from experiences.semantic import hybrid

    fused = (
        f"(COALESCE({hybrid.W_LEXICAL}::float8 / ({hybrid.RRF_K} + lx.r), 0)"
        f" + COALESCE({hybrid.W_SEMANTIC}::float8 / ({hybrid.RRF_K} + sm.r), 0))"
    )
    newest = "e.published_at DESC NULLS LAST, e.created_at DESC, e.id DESC"
    if spec.sort == "relevance":
        score, order = fused, f"{fused} DESC, e.score DESC, {newest}"
    else:
        score, order = "e.score", order_sql.replace("score DESC", "e.score DESC")
    # The meaning ranks among the matches only: a neighbour the filters leave out takes no rank.
    ctes = f"""lx AS (SELECT {_CANDIDATE.format(a="t")},
                            row_number() OVER (ORDER BY score DESC, {newest.replace("e.", "")}) AS r
                     FROM (SELECT * FROM hits e WHERE lexical ORDER BY score DESC, {newest}
                           LIMIT {hybrid.DEPTH}) t),
    sm AS (SELECT {_CANDIDATE.format(a="h")}, row_number() OVER (ORDER BY k.position) AS r
           FROM kept k JOIN hits h ON h.id = k.id)"""
    return ctes, score, order


# The columns of a ranked fiche that the page's order reads.
_CANDIDATE = "{a}.id, {a}.score, {a}.comparability, {a}.lexical, {a}.published_at, {a}.created_at"


_RANKED = "hits e LEFT JOIN lx ON lx.id = e.id LEFT JOIN sm ON sm.id = e.id"


def _hybrid_page_cte(spec: SearchSpec, order_sql: str, offset: int) -> str:
    """The CTE `pg` (with the ranks it reads) of a hybrid search's page."""
    from experiences.semantic import hybrid

    ctes, score, order = _hybrid_ranking(spec, order_sql)
    ranked = _RANKED
    if spec.sort == "relevance" and offset + spec.page_size <= hybrid.DEPTH:
        # The page lies among the fiches ranked by words or by meaning: when fewer than DEPTH
        # fiches have the words, those two lists hold every match; otherwise the DEPTH fiches
        # ranked by words score above all the others. Ordering those ≤ 2 × DEPTH rows instead
        # of every match (8,463 for "numérique agents" at 100,000 fiches).
        ranked = (
            f"(SELECT {_CANDIDATE.format(a='lx')} FROM lx UNION SELECT {_CANDIDATE.format(a='sm')} FROM sm) e"
            " LEFT JOIN lx ON lx.id = e.id LEFT JOIN sm ON sm.id = e.id"
        )
    return f"""{ctes},
    pg AS (SELECT e.id, {score} AS score, e.comparability, e.lexical, sm.r AS meaning_rank FROM {ranked}
           ORDER BY {order} LIMIT {int(spec.page_size)} OFFSET {int(offset)})"""


def _hybrid_matches(spec: SearchSpec, columns: str, column_params: list, *, with_facets: bool) -> tuple[str, list]:
    """`SELECT {columns}, lexical …` of a hybrid search's fiches: those with the words, then those
    only close in meaning (two arms: an OR would make PostgreSQL read the whole table)."""
    words_sql, words_params = _where(spec, with_facets=with_facets, match="words")
    meaning_sql, meaning_params = _where(spec, with_facets=with_facets, match="meaning")
    sql = f"""SELECT {columns}, TRUE AS lexical FROM {TABLE} e WHERE {words_sql}
              UNION ALL
              SELECT {columns}, FALSE AS lexical FROM {TABLE} e WHERE {meaning_sql}"""
    return sql, [*column_params, *words_params, *column_params, *meaning_params]


def comparable_rescue(spec: SearchSpec) -> tuple[int, int] | None:
    """When a comparable-only search is empty: the nearest wider level with results and its count.

    Level 0 means "without the comparable filter".
    """
    if not (spec.reference and spec.comparable_level):
        return None
    where_sql, params = _where(spec, with_facets=True, with_level=False)
    meaning_sql, meaning_params = _meaning_ctes(spec)
    levels = [lvl for lvl in COMPARABLE_LEVELS if lvl > spec.comparable_level]
    counts = [f"count(*) FILTER (WHERE {comparable_level_sql(spec.reference, lvl)})" for lvl in levels]
    select = f"SELECT {', '.join([*counts, 'count(*)'])} FROM {TABLE} e WHERE {where_sql}"
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {meaning_sql} {select}" if meaning_sql else select, meaning_params + params)
        row = cursor.fetchone()
    for level, count in zip([*levels, 0], row, strict=True):
        if count:
            return level, count
    return None


def landing_cache_key(viewer, generation: int | None = None) -> str:
    generation = current_generation() if generation is None else generation
    return f"search:landing:{generation}:{visibility_class(viewer)}"


def cached_landing(spec: SearchSpec) -> RawResult:
    """The unfiltered page: total and facet counts from the cache (per visibility class), one page query.

    The page is ordered newest first, or by comparability when a reference is set.
    """
    generation = current_generation()
    key = landing_cache_key(spec.viewer, generation)
    cached = cache.get(key)
    if cached is None:
        full = run_search(SearchSpec(viewer=spec.viewer, sort="newest", page=1, page_size=0))
        cached = {"total": full.total, "facets": full.facets}
        cache.set(key, cached, LANDING_CACHE_SECONDS)
    hits: list[tuple[int, float, float | None]] = []
    rows: dict[int, tuple] = {}
    if spec.page_size:
        where_sql, where_params = _where(spec)
        score_sql, score_params, order_sql = _score_sql(spec)
        comp_sql = comparability_sql(spec.reference) if spec.reference else "NULL::float8"
        page = max(1, min(spec.page, MAX_PAGE))
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT e.id, {score_sql} AS score, {comp_sql} AS comparability, {page_columns(False).select}
                    FROM {TABLE} e LEFT JOIN {Territory._meta.db_table} t ON t.id = e.lead_territory_id
                    WHERE {where_sql} ORDER BY {order_sql} LIMIT %s OFFSET %s""",
                [*score_params, *where_params, spec.page_size, (page - 1) * spec.page_size],
            )
            for row in cursor.fetchall():
                hits.append((row[0], float(row[1] or 0), row[2]))
                rows[row[0]] = row[3:]
    return RawResult(
        total=cached["total"],
        hits=hits,
        facets=cached["facets"],
        labels={},
        highlights={},
        cache_key=key,
        generation=generation,
        rows=rows,
        columns=page_columns(False),
    )


# --------------------------------------------------------------------------
# Similar experiences
# --------------------------------------------------------------------------

SIMILAR_CANDIDATES = 120  # best candidates by shared tags and themes, then scored in full
SIMILAR_TEXT_ONLY = 200  # at most this many candidates found by title words alone
# Per tag or theme of the fiche, the most recent fiches sharing it (a rare key's are all
# taken; a key on thousands of fiches would otherwise cost a fiche page half a second).
SIMILAR_PER_KEY = 1500


def similar_ids(
    *, experience: Experience, viewer, reference: Reference, limit: int = 5
) -> list[tuple[int, float, list[str], list[str]]]:
    """(id, score, shared theme names, shared tag names) of the fiches most similar to this one.

    Shared themes are named at their most specific level (an ancestor of another shared theme is left out).

    Candidates share a tag or a theme (found through the link tables, tags
    counting double; at most SIMILAR_PER_KEY of the most recent per key) or,
    for at most SIMILAR_TEXT_ONLY of them, only title words; the first
    SIMILAR_CANDIDATES visible ones are scored with shared themes and tags,
    text and territory comparability. Visible fiches only.
    """
    vis_sql, vis_params = visibility_sql(viewer)
    vis_sql = vis_sql.replace('"experiences_experience".', "e.")
    comp = comparability_sql(reference)
    pre_cut = SIMILAR_CANDIDATES * 4  # best candidates by pre-score, before the visibility check
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH src AS (
                SELECT s.id, s.search_theme_ids AS themes, s.search_tag_ids AS tags,
                       (SELECT string_agg(quote_literal(u.lexeme), ' | ')::tsquery
                        FROM unnest(s.search_vector) u WHERE 'A' = ANY(u.weights)) AS words
                FROM {TABLE} s WHERE s.id = %s
            ),
            -- Candidates first by key, with no array work: fiches sharing a tag (weight 2) or
            -- a theme of the source (1), through the link tables' indexes, plus a bounded
            -- sample of fiches sharing only title words.
            keyed AS (
                SELECT l.experience_id, 2 AS w FROM src, unnest(src.tags) k(id), LATERAL (
                    SELECT et.experience_id FROM experiences_experience_tags et
                    WHERE et.tag_id = k.id AND et.experience_id <> src.id
                    ORDER BY et.experience_id DESC LIMIT {SIMILAR_PER_KEY}) l
                UNION ALL
                SELECT l.experience_id, 1 FROM src, unnest(src.themes) k(id), LATERAL (
                    SELECT eh.experience_id FROM experiences_experience_themes eh
                    WHERE eh.theme_id = k.id AND eh.experience_id <> src.id
                    ORDER BY eh.experience_id DESC LIMIT {SIMILAR_PER_KEY}) l
            ),
            shared AS (
                SELECT x.experience_id AS id, sum(x.w) AS pre
                FROM (
                    SELECT experience_id, w FROM keyed
                    UNION ALL
                    -- Title words only fill in: with {pre_cut} fiches sharing a key, none of
                    -- these (pre-score 0) would pass the cut below, so they are not looked for.
                    (SELECT t.id, 0 FROM {TABLE} t, src
                     WHERE src.words IS NOT NULL
                       AND (SELECT count(DISTINCT experience_id) FROM keyed) < {pre_cut}
                       AND t.search_vector @@ src.words LIMIT {SIMILAR_TEXT_ONLY})
                ) x, src
                WHERE x.experience_id <> src.id
                GROUP BY x.experience_id
            ),
            candidates AS (
                SELECT e.id, e.search_vector, e.search_theme_ids, e.search_tag_ids,
                       e.search_territory_kind, e.search_population, e.search_density_class, e.search_epci_type,
                       e.search_epci_id, e.search_department_id, e.search_region_id, e.search_country,
                       e.lead_territory_id,
                       ARRAY(SELECT unnest(e.search_theme_ids) INTERSECT SELECT unnest(src.themes)) AS shared_themes,
                       ARRAY(SELECT unnest(e.search_tag_ids) INTERSECT SELECT unnest(src.tags)) AS shared_tags
                FROM (SELECT sh.id, sh.pre
                      FROM (SELECT * FROM shared ORDER BY pre DESC, id DESC LIMIT {pre_cut}) sh
                      JOIN {TABLE} e ON e.id = sh.id WHERE ({vis_sql})
                      ORDER BY sh.pre DESC, sh.id DESC LIMIT {SIMILAR_CANDIDATES}) best
                JOIN {TABLE} e ON e.id = best.id, src
            ),
            ranked AS (
                SELECT c.*, src.themes, src.tags, src.words FROM candidates c, src
                ORDER BY cardinality(c.shared_tags) * 2 + cardinality(c.shared_themes) DESC, c.id DESC
                LIMIT {SIMILAR_CANDIDATES}
            )
            SELECT e.id,
                   0.35 * cardinality(e.shared_themes)::float8
                        / greatest(cardinality(e.search_theme_ids) + cardinality(e.themes)
                                   - cardinality(e.shared_themes), 1)
                 + 0.25 * cardinality(e.shared_tags)::float8
                        / greatest(cardinality(e.search_tag_ids) + cardinality(e.tags) - cardinality(e.shared_tags), 1)
                 + 0.2 * COALESCE(ts_rank(e.search_vector, e.words, 32) * 2, 0)
                 + 0.2 * {comp} AS score,
                 ARRAY(SELECT th.name FROM experiences_theme th WHERE th.id = ANY(e.shared_themes)
                       AND NOT EXISTS (SELECT 1 FROM experiences_theme c
                                       WHERE c.parent_id = th.id AND c.id = ANY(e.shared_themes))
                       ORDER BY th.position, th.name),
                 ARRAY(SELECT tg.name FROM experiences_tag tg WHERE tg.id = ANY(e.shared_tags) ORDER BY tg.name)
            FROM ranked e
            ORDER BY score DESC, e.id DESC
            LIMIT %s
            """,
            [experience.pk, *vis_params, limit],
        )
        return [(row[0], float(row[1]), list(row[2]), list(row[3])) for row in cursor.fetchall()]
