"""Read use cases for territories."""

from __future__ import annotations

import re

from django.db import connection

from .models import Territory, normalize_name

# Spelled-out EPCI kinds, so that "communauté de communes plaine" finds "CC de la Plaine…".
KIND_PHRASES = (
    ("communaute de communes", "cc"),
    ("communaute d agglomeration", "ca"),
    ("communaute urbaine", "cu"),
)
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
# Among equally good matches, larger units first: they are the better known.
KIND_RANK = {"country": 6, "region": 5, "department": 4, "province": 4, "epci": 3, "commune": 2, "other": 1}


def territory_autocomplete(*, query: str, limit: int = 10, kinds: list[str] | None = None) -> list[Territory]:
    """Accent- and case-insensitive autocomplete over every current territory, best-known first.

    A territory matches when its normalised name starts with the query, when
    every word of the query starts a word of its name ("cc plaine" → "CC de la
    Plaine de l'Ain"), or when it is close by trigram word similarity (typos).
    Ranking: exact name, whole-name prefix, all-words prefix, then similarity;
    ties go to the larger kind and the larger population. Every condition is
    served by the trigram GIN index on `search_name`. Hand-written SQL: the
    ORM spent longer compiling the equivalent query than PostgreSQL running it.
    """
    q = normalize_name(query)
    for phrase, short in KIND_PHRASES:
        q = q.replace(phrase, short)
    words = [ABBREVIATIONS.get(word, word) for word in q.split()][:8]
    q = " ".join(words)
    if not q:
        return []
    # normalize_name leaves letters, digits and spaces only: no LIKE wildcard can get in.
    all_words = " AND ".join(["(t.search_name LIKE %s OR t.search_name LIKE %s)"] * len(words))
    all_words_params = [p for word in words for p in (f"{word}%", f"% {word}%")]
    fuzzy = "t.search_name %%> %s" if len(q) >= 3 else "FALSE"
    kind_rank = " ".join(f"WHEN '{kind}' THEN {rank}" for kind, rank in KIND_RANK.items())
    fields = Territory._meta.concrete_fields
    columns = ", ".join(f"t.{f.column}" for f in fields) + ", " + ", ".join(f"p.{f.column}" for f in fields)
    # One statement returns the territories and their parents (rows built with from_db,
    # no second query).
    sql = f"""
        SELECT {columns} FROM (
            SELECT t.*,
                   CASE WHEN t.search_name = %s THEN 3 WHEN t.search_name LIKE %s THEN 2
                        WHEN {all_words} THEN 1 ELSE 0 END AS match_rank
            FROM territories_territory t
            WHERE t.is_current {"AND t.kind = ANY(%s)" if kinds else ""}
              AND (t.search_name LIKE %s OR ({all_words}) OR {fuzzy})
        ) t
        LEFT JOIN territories_territory p ON p.id = t.parent_id
        ORDER BY t.match_rank DESC,
                 CASE WHEN t.match_rank = 0 THEN word_similarity(%s, t.search_name) ELSE 1 END DESC,
                 CASE t.kind {kind_rank} ELSE 0 END DESC,
                 COALESCE(t.population, 0) DESC, t.name
        LIMIT %s
    """  # noqa: S608 - fixed fragments; every value is a parameter
    params = [q, f"{q}%", *all_words_params]
    if kinds:
        params.append(list(kinds))
    params += [f"{q}%", *all_words_params]
    if len(q) >= 3:
        params.append(q)
    params += [q, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    names, n = [f.attname for f in fields], len(fields)
    found = []
    for row in rows:
        territory = Territory.from_db(connection.alias, names, row[:n])
        parent = Territory.from_db(connection.alias, names, row[n:]) if row[n] is not None else None
        territory._state.fields_cache["parent"] = parent
        found.append(territory)
    return found


def territory_context(territory: Territory) -> str:
    """The name of the parent that situates a territory: "Rhône", "Liège", "Occitanie"."""
    parent = territory.parent
    if parent is None or parent.kind == Territory.Kind.COUNTRY:
        return ""
    return re.sub(r"^(Province|Région) (de la |de l'|de l’|du |de |d'|d’)", "", parent.name)


def territory_display(territory: Territory) -> str:
    """ "Chabanière (Rhône)", "Comblain-au-Pont (Liège)", "CC de la Plaine de l'Ain (Ain)"."""
    context = territory_context(territory)
    return f"{territory.name} ({context})" if context else territory.name
