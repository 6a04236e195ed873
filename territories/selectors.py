"""Read use cases for territories: autocomplete, labels, and finding a territory from what a person typed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .countries import COUNTRY_NAMES, country_name
from .models import Territory, normalize_name

# Spelled-out EPCI kinds, so that "communauté de communes plaine" finds "CC de la Plaine…".
KIND_PHRASES = (
    ("communaute de communes", "cc"),
    ("communaute d agglomeration", "ca"),
    ("communaute urbaine", "cu"),
)
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
# How well known a territory is, for ranking name matches: its population times
# this weight. A commune is what people most often mean by a place name, so the
# commune of Lyon (520,000) comes before the Métropole de Lyon (1.4 million × 0.3)
# and the commune of Paris before the département (same population × 0.5); the
# Métropole still comes before a village of the same name.
KIND_WEIGHT = {"commune": 1.0, "epci": 0.3, "department": 0.5, "province": 0.5, "region": 0.5, "country": 1.0}
# A territory whose population is unknown (a foreign unit) ranks as a town of this size.
UNKNOWN_POPULATION = 1000
# Match bonus, in powers of ten of that weighted population: an exact name wins over a
# longer name that starts the same way unless that one is more than ~3× better known
# ("clermont": Clermont-Ferrand, 146,000, before Clermont in the Oise, 10,600).
EXACT_BONUS, PREFIX_BONUS = 1.0, 0.5
# Among territories sharing a code, the usual reading first: "84" is the Vaucluse
# before the région Auvergne-Rhône-Alpes, "75" Paris before Nouvelle-Aquitaine.
CODE_KIND_ORDER = {"department": 0, "province": 0, "commune": 1, "epci": 2, "region": 3, "country": 4, "other": 5}

# A code as people write it: INSEE commune (69228, 2A004, 97411), département (69, 2A,
# 974), région (84), EPCI SIREN (9 digits), Belgian NIS (5 digits), optionally with the
# country or the kind of code before it ("BE-25122", "NIS 25122", "SIREN 246900740")
# or the country after it ("25122 (BE)").
CODE_RE = re.compile(
    r"^(?:(?P<prefix>nis|insee|siren|cog|[a-z]{2})[\s:\-]*)?"
    r"(?P<code>\d{2,9}|2[ab]\d{0,3})"
    r"(?:\s*\((?P<suffix>[a-z]{2})\))?$",
    re.IGNORECASE,
)
CODE_SYSTEMS = {"nis": "BE", "insee": "FR", "siren": "FR", "cog": "FR"}
LABEL_RE = re.compile(r"^(?P<name>.+?)\s*\((?P<qualifier>[^()]+)\)$")
PREFIXES_RE = re.compile(r"^(Province|Région) (de la |de l'|de l’|du |de |d'|d’)", re.IGNORECASE)


# --------------------------------------------------------------------------
# Labels
# --------------------------------------------------------------------------


def _short(name: str) -> str:
    """ "Province du Brabant wallon" → "Brabant wallon", "Région de Bruxelles-Capitale" → "Bruxelles-Capitale"."""
    return PREFIXES_RE.sub("", name)


def territory_context(territory: Territory) -> str:
    """The name of the parent that situates a territory: "Rhône", "Liège", "Occitanie" ("" at the top)."""
    parent = territory.parent
    if parent is None or parent.kind == Territory.Kind.COUNTRY:
        return ""
    return _short(parent.name)


def _kind_word(kind: str) -> str:
    return {
        "commune": pgettext("libellé de territoire", "commune"),
        "epci": pgettext("libellé de territoire", "intercommunalité"),
        "department": pgettext("libellé de territoire", "département"),
        "province": pgettext("libellé de territoire", "province"),
        "region": pgettext("libellé de territoire", "région"),
    }.get(kind, "")


def territory_qualifiers(territory: Territory) -> list[str]:
    """What tells a territory from its namesakes, most specific first.

    A commune or an EPCI: its département or province (Brussels' communes: their
    région), or its kind when that bears the same name ("Paris (commune)"); a
    French département or région: its kind, as several share a name with a commune
    (Vienne, Landes, Paris); a foreign territory: its country as well.
    """
    qualifiers = []
    kind = territory.kind
    if kind in ("commune", "epci"):
        context = territory_context(territory)
        if not context and kind == "commune" and territory.country == "FR" and territory.parent_id is None:
            code = territory.code  # no parent loaded: the département code begins the INSEE code
            context = code[:3] if code.startswith("97") else code[:2]
        same_name = not context or normalize_name(context) == normalize_name(territory.name)
        qualifiers.append(_kind_word(kind) if same_name else context)
    elif kind in ("department", "region") and not normalize_name(territory.name).startswith(("province", "region")):
        qualifiers.append(_kind_word(kind))
    if territory.country != "FR" and kind != "country":
        qualifiers.append(country_name(territory.country))
    return [q for q in qualifiers if q]


def territory_display(territory: Territory) -> str:
    """A territory's name with what tells it from its namesakes (the parent must be loaded).

    "Clermont (Ariège)", "Ramillies (Brabant wallon, Belgique)", "Ramillies (Nord)",
    "Paris (commune)", "Paris (département)", "CC de la Plaine de l'Ain (Ain)",
    "Bologna (Italie)", "Province de Namur (Belgique)".
    """
    qualifiers = territory_qualifiers(territory)
    return f"{territory.name} ({', '.join(qualifiers)})" if qualifiers else territory.name


def territory_code_label(territory: Territory) -> str:
    """The code with its country, which no other territory shares: "BE-25122", "FR-25122"."""
    return (
        f"{territory.country}-{territory.code}" if not territory.code.startswith(territory.country) else territory.code
    )


# --------------------------------------------------------------------------
# Autocomplete
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeQuery:
    code: str
    country: str | None  # None: any country


def parse_code(text: str) -> CodeQuery | None:
    """A code typed alone or with its country: "25122", "BE-25122", "NIS 25122", "25122 (BE)", "2a004"."""
    match = CODE_RE.match(" ".join((text or "").split()))
    if not match:
        return None
    prefix, suffix = (match["prefix"] or "").lower(), (match["suffix"] or "").upper()
    country = CODE_SYSTEMS.get(prefix) or (prefix.upper() if prefix else None) or suffix or None
    if country is not None and country not in COUNTRY_NAMES and prefix not in CODE_SYSTEMS:
        return None
    return CodeQuery(code=match["code"].upper(), country=country)


def _rows_with_parents(sql: str, params: list) -> list[Territory]:
    """Territories and their parents from one statement selecting `t.*` then `p.*` columns."""
    fields = Territory._meta.concrete_fields
    names, n = [f.attname for f in fields], len(fields)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        territory = Territory.from_db(connection.alias, names, row[:n])
        parent = Territory.from_db(connection.alias, names, row[n:]) if row[n] is not None else None
        territory._state.fields_cache["parent"] = parent
        found.append(territory)
    return found


def _columns() -> str:
    fields = Territory._meta.concrete_fields
    return ", ".join(f"t.{f.column}" for f in fields) + ", " + ", ".join(f"p.{f.column}" for f in fields)


def _kind_case(mapping: dict[str, float | int], default: float | int) -> str:
    return (
        "CASE t.kind "
        + " ".join(f"WHEN '{kind}' THEN {value}" for kind, value in mapping.items())
        + f" ELSE {default} END"
    )


def territories_by_code(
    code: CodeQuery, *, limit: int = 10, kinds: list[str] | None = None, prefix: bool = False
) -> list[Territory]:
    """Current territories with this official code (in this country), the usual reading first.

    With `prefix` (typing in the autocomplete), a code of three digits or more
    also finds the codes it begins ("2512" → 25120…25129), after the exact ones.
    """
    like = prefix and len(code.code) >= 3
    sql = f"""
        SELECT {_columns()} FROM territories_territory t
        LEFT JOIN territories_territory p ON p.id = t.parent_id
        WHERE {"t.code LIKE %s" if like else "t.code = %s"} AND t.is_current
              {"AND t.country = %s" if code.country else ""} {"AND t.kind = ANY(%s)" if kinds else ""}
        ORDER BY t.code = %s DESC, {_kind_case(CODE_KIND_ORDER, 9)}, COALESCE(t.population, 0) DESC, t.code, t.country
        LIMIT %s
    """  # noqa: S608 - fixed fragments; every value is a parameter
    params: list = [f"{code.code}%" if like else code.code]
    if code.country:
        params.append(code.country)
    if kinds:
        params.append(list(kinds))
    return _rows_with_parents(sql, [*params, code.code, limit])


def territory_autocomplete(*, query: str, limit: int = 10, kinds: list[str] | None = None) -> list[Territory]:
    """Accent- and case-insensitive autocomplete over every current territory, the one meant first.

    An official code ("25122", "BE-25122", "69", "246900740") finds the
    territories with that code. A name matches when its normalised form starts
    with the query, when every word of the query starts a word of it ("cc
    plaine" → "CC de la Plaine de l'Ain", "lyon" → "Métropole de Lyon"), or
    when it is close by trigram word similarity (typos). Name matches are ranked
    by how well known the territory is — log10(population × KIND_WEIGHT) — plus
    a bonus for an exact name and a smaller one for a name starting with the
    query; similar-only names come last. A label typed back with its qualifier
    ("Clermont (Ariège)") keeps the territories it describes. Every condition is
    served by the trigram GIN index on `search_name` (codes by the index on
    `code`). Hand-written SQL: the ORM spent longer compiling the equivalent
    query than PostgreSQL running it.
    """
    code = parse_code(query)
    if code is not None:
        return territories_by_code(code, limit=limit, kinds=kinds, prefix=True)
    qualifier = ""
    label = LABEL_RE.match(query.strip())
    if label:
        query, qualifier = label["name"], label["qualifier"]
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
    weight = _kind_case(KIND_WEIGHT, 1.0)
    fetch = limit if not qualifier else max(limit, 50)
    sql = f"""
        SELECT {_columns()} FROM (
            SELECT t.*,
                   CASE WHEN t.search_name = %s THEN 3 WHEN t.search_name LIKE %s THEN 2
                        WHEN {all_words} THEN 1 ELSE 0 END AS match_rank
            FROM territories_territory t
            WHERE t.is_current {"AND t.kind = ANY(%s)" if kinds else ""}
              AND (t.search_name LIKE %s OR ({all_words}) OR {fuzzy})
        ) t
        LEFT JOIN territories_territory p ON p.id = t.parent_id
        ORDER BY t.match_rank > 0 DESC,
                 CASE WHEN t.match_rank = 0 THEN word_similarity(%s, t.search_name)
                      -- float8, not numeric: numeric's log is computed to many digits, and slowly.
                      ELSE log(greatest(COALESCE(t.population, {UNKNOWN_POPULATION})::float8 * {weight}, 1.0::float8))
                           + CASE t.match_rank WHEN 3 THEN {EXACT_BONUS} WHEN 2 THEN {PREFIX_BONUS} ELSE 0 END
                 END DESC,
                 COALESCE(t.population, 0) DESC, t.name
        LIMIT %s
    """  # noqa: S608 - fixed fragments; every value is a parameter
    params = [q, f"{q}%", *all_words_params]
    if kinds:
        params.append(list(kinds))
    params += [f"{q}%", *all_words_params]
    if len(q) >= 3:
        params.append(q)
    params += [q, fetch]
    found = _rows_with_parents(sql, params)
    if qualifier:
        found = [t for t in found if qualifier_matches(t, qualifier)]
    return found[:limit]


def qualifier_matches(territory: Territory, qualifier: str) -> bool:
    """Whether "(Ariège)", "(09)", "(Brabant wallon, Belgique)", "(BE)", "(commune)" describes this territory.

    Every comma-separated part must name the territory's département, province
    or région (by name or code), its country (by name or code) or its kind.
    """
    parent = territory.parent
    names = {normalize_name(territory_context(territory))} if parent is not None else set()
    if parent is not None:
        names |= {normalize_name(parent.code), normalize_name(parent.name)}
    if territory.kind == "commune" and territory.country == "FR":
        names.add(territory.code[:3].lower() if territory.code.startswith("97") else territory.code[:2].lower())
    names |= {normalize_name(territory.country), normalize_name(country_name(territory.country))}
    names |= {normalize_name(_kind_word(territory.kind)), normalize_name(territory.get_kind_display())}
    names.discard("")
    return all(normalize_name(part) in names for part in qualifier.split(",") if part.strip())


# --------------------------------------------------------------------------
# Finding a territory from what a person typed (forms without JavaScript, imports)
# --------------------------------------------------------------------------


def territory_lookup(text: str, *, kinds: list[str] | None = None) -> list[Territory]:
    """Every current territory that `text` may designate, the most likely first.

    `text` is a slug, an official code (alone or with its country: "25122" is a
    commune in the Doubs and Ramillies in Belgium, "BE-25122" only Ramillies), a
    label as the autocomplete writes it ("Ramillies (Brabant wallon, Belgique)",
    "Clermont (09)") or a name ("Ramillies": both). One result means the text is
    unambiguous; several, that the person must choose.
    """
    text = " ".join((text or "").split())
    if not text:
        return []
    by_slug = Territory.objects.current().select_related("parent").filter(slug=text.lower())
    if kinds:
        by_slug = by_slug.filter(kind__in=kinds)
    found = list(by_slug[:1])
    if found:
        return found
    code = parse_code(text)
    if code is not None:
        return territories_by_code(code, kinds=kinds)
    label = LABEL_RE.match(text)
    name, qualifier = (label["name"], label["qualifier"]) if label else (text, "")
    queryset = Territory.objects.current().select_related("parent").filter(search_name=normalize_name(name))
    if kinds:
        queryset = queryset.filter(kind__in=kinds)
    candidates = sorted(queryset[:50], key=lambda t: (-(t.population or 0) * KIND_WEIGHT.get(t.kind, 1.0), t.pk))
    if qualifier:
        candidates = [t for t in candidates if qualifier_matches(t, qualifier)]
    return candidates


def territory_choices_text(candidates: list[Territory], limit: int = 6) -> str:
    """ "Ramillies (Brabant wallon, Belgique) — code BE-25122 ; Ramillies (Nord) — code FR-59492"."""
    return " ; ".join(
        _("%(label)s — code %(code)s") % {"label": territory_display(t), "code": territory_code_label(t)}
        for t in candidates[:limit]
    )
