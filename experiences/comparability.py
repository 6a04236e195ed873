"""Comparability of territories: how far a fiche's lead territory is from the
reader's reference territory ("ma collectivité"), as an SQL score over the
search columns of a fiche row `e`, as the bands of "comparable territories
only", and as a reason in words. The README's "Comparable experiences" table
documents the weights and rules.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from territories.models import Territory

from .models import Experience

# The profile of a territory as search sees it: région and département (or
# Belgian province) found among itself and its three first ancestors, the EPCI
# of a commune (an EPCI is its own), the EPCI type, names for the D-weighted
# "places" text. Shared by refresh_search_fields and the reference territory.
TERRITORY_PROFILE_SQL = """
    SELECT t.id AS territory_id,
           t.kind, t.country, t.population, t.density_class,
           CASE WHEN t.kind = 'epci' THEN t.subkind ELSE COALESCE(ep.subkind, '') END AS epci_type,
           CASE WHEN t.kind = 'epci' THEN t.id ELSE t.epci_id END AS epci_id,
           CASE WHEN t.kind = 'region' THEN t.id WHEN p1.kind = 'region' THEN p1.id
                WHEN p2.kind = 'region' THEN p2.id WHEN p3.kind = 'region' THEN p3.id END AS region_id,
           CASE WHEN t.kind IN ('department', 'province') THEN t.id
                WHEN p1.kind IN ('department', 'province') THEN p1.id
                WHEN p2.kind IN ('department', 'province') THEN p2.id END AS department_id,
           concat_ws(' ', t.name, ep.name,
                     CASE WHEN p1.kind <> 'country' THEN p1.name END,
                     CASE WHEN p2.kind <> 'country' THEN p2.name END) AS places
    FROM territories_territory t
    LEFT JOIN territories_territory ep ON ep.id = t.epci_id
    LEFT JOIN territories_territory p1 ON p1.id = t.parent_id
    LEFT JOIN territories_territory p2 ON p2.id = p1.parent_id
    LEFT JOIN territories_territory p3 ON p3.id = p2.parent_id
"""

DENSITY_RANK = {"dense": 3, "intermediate": 2, "rural": 1, "very_rural": 0}
# Weights of the comparability score (sum 1). See the README.
WEIGHTS = {"kind": 0.25, "population": 0.30, "density": 0.20, "epci_type": 0.10, "geography": 0.15}
# Population distance: score 1 - |ln(p/ref)| / ln(POPULATION_SPAN): ×2 → 0.77, ×4 → 0.54, ×20 → 0.
POPULATION_SPAN = 20.0
# "Comparable territories only": levels, each wider than the previous one.
COMPARABLE_LEVELS = {
    1: {"kind": 0.8, "ratio": 2.0, "density_steps": 0},
    2: {"kind": 0.4, "ratio": 4.0, "density_steps": 1},
    3: {"kind": 0.4, "ratio": 10.0, "density_steps": None},
}


@dataclass(frozen=True)
class Reference:
    """The reference territory ("ma collectivité") and its search profile."""

    territory: Territory
    kind: str
    country: str
    population: int | None
    density_class: str
    epci_type: str
    epci_id: int | None
    region_id: int | None
    department_id: int | None

    @classmethod
    def of(cls, territory: Territory) -> Reference:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT kind, country, population, density_class, epci_type, epci_id, region_id, department_id "
                f"FROM ({TERRITORY_PROFILE_SQL}) p WHERE p.territory_id = %s",
                [territory.pk],
            )
            row = cursor.fetchone()
        kind, country, population, density, epci_type, epci_id, region_id, department_id = row
        return cls(
            territory=territory,
            kind=kind,
            country=country,
            population=population,
            density_class=density or "",
            epci_type=epci_type or "",
            epci_id=epci_id,
            region_id=region_id,
            department_id=department_id,
        )


def _lit(value) -> str:
    """An SQL literal for a value read from our own tables (ints, floats, known codes)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(int(value))
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_-]{0,20}", value):
        return f"'{value}'"
    raise ValueError(f"unexpected literal {value!r}")


def _density_rank_sql(column: str) -> str:
    return "CASE " + column + " " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in DENSITY_RANK.items()) + " END"


def kind_score_sql(ref: Reference) -> str:
    related = "('commune', 'epci')"
    parts = [f"WHEN e.search_territory_kind = {_lit(ref.kind)} THEN 1.0"]
    if ref.kind == "commune" and ref.epci_id:
        parts.append(f"WHEN e.lead_territory_id = {_lit(ref.epci_id)} THEN 0.8")  # its own EPCI
    if ref.kind == "epci":
        parts.append(f"WHEN e.search_epci_id = {_lit(ref.territory.pk)} THEN 0.8")  # one of its communes
    if ref.kind in ("commune", "epci"):
        parts.append(f"WHEN e.search_territory_kind IN {related} THEN 0.4")
    return "(CASE " + " ".join(parts) + " ELSE 0.0 END)"


def population_score_sql(ref: Reference) -> str:
    if not ref.population:
        return "0.3"
    return (
        f"(CASE WHEN e.search_population IS NULL THEN 0.3 ELSE greatest(0.0, 1.0 - abs(ln("
        f"greatest(e.search_population, 1)::float8 / {_lit(float(ref.population))})) / ln({POPULATION_SPAN})) END)"
    )


def density_score_sql(ref: Reference) -> str:
    if ref.density_class not in DENSITY_RANK:
        return "0.3"
    rank = DENSITY_RANK[ref.density_class]
    col = _density_rank_sql("e.search_density_class")
    return f"(CASE WHEN e.search_density_class = '' THEN 0.3 ELSE 1.0 - least(abs({col} - {rank}), 2) * 0.5 END)"


def geography_score_sql(ref: Reference) -> str:
    parts = []
    if ref.epci_id:
        parts.append(f"WHEN e.search_epci_id = {_lit(ref.epci_id)} THEN 1.0")
    if ref.department_id:
        parts.append(f"WHEN e.search_department_id = {_lit(ref.department_id)} THEN 1.0")
    if ref.region_id:
        parts.append(f"WHEN e.search_region_id = {_lit(ref.region_id)} THEN 0.6")
    parts.append(f"WHEN e.search_country = {_lit(ref.country)} THEN 0.3")
    return "(CASE " + " ".join(parts) + " ELSE 0.0 END)"


def comparability_sql(ref: Reference) -> str:
    """The comparability score in [0, 1] of row `e` to the reference (weights in WEIGHTS)."""
    epci = f"(CASE WHEN e.search_epci_type = {_lit(ref.epci_type)} THEN 1.0 ELSE 0.0 END)" if ref.epci_type else "0.0"
    return (
        f"({WEIGHTS['kind']} * {kind_score_sql(ref)} + {WEIGHTS['population']} * {population_score_sql(ref)}"
        f" + {WEIGHTS['density']} * {density_score_sql(ref)} + {WEIGHTS['epci_type']} * {epci}"
        f" + {WEIGHTS['geography']} * {geography_score_sql(ref)})"
    )


def comparable_level_sql(ref: Reference, level: int) -> str:
    """Condition: row `e` is comparable to the reference at this level (1 strict … 3 wide)."""
    spec = COMPARABLE_LEVELS[level]
    conds = [f"{kind_score_sql(ref)} >= {spec['kind']}"]
    if ref.population:
        low, high = ref.population / spec["ratio"], ref.population * spec["ratio"]
        conds.append(f"e.search_population BETWEEN {math.floor(low)} AND {math.ceil(high)}")
    steps = spec["density_steps"]
    if steps is not None and ref.density_class in DENSITY_RANK:
        rank = DENSITY_RANK[ref.density_class]
        conds.append(f"abs({_density_rank_sql('e.search_density_class')} - {rank}) <= {steps}")
    return "(" + " AND ".join(conds) + ")"


KIND_NOUNS = {
    "commune": (pgettext("territoire", "commune"), "f"),
    "epci": (pgettext("territoire", "intercommunalité"), "f"),
    "department": (pgettext("territoire", "département"), "m"),
    "province": (pgettext("territoire", "province"), "f"),
    "region": (pgettext("territoire", "région"), "f"),
    "country": (pgettext("territoire", "pays"), "m"),
    "other": (pgettext("territoire", "collectivité"), "f"),
}


def _density_words(density: str, gender: str) -> str:
    words = {
        ("dense", "f"): pgettext("densité, féminin", "urbaine dense"),
        ("dense", "m"): pgettext("densité, masculin", "urbain dense"),
        ("intermediate", "f"): pgettext("densité, féminin", "de densité intermédiaire"),
        ("intermediate", "m"): pgettext("densité, masculin", "de densité intermédiaire"),
        ("rural", "f"): pgettext("densité, féminin", "rurale"),
        ("rural", "m"): pgettext("densité, masculin", "rural"),
        ("very_rural", "f"): pgettext("densité, féminin", "rurale très peu dense"),
        ("very_rural", "m"): pgettext("densité, masculin", "rural très peu dense"),
    }
    return words.get((density, gender), "")


def _number(value: int) -> str:
    # The reader's language groups the digits: "1 770" in French (narrow no-break space,
    # as before), "1,770" in English.
    from django.utils.formats import number_format

    return number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True).replace("\xa0", "\u202f")


def comparability_reason(experience: Experience, ref: Reference) -> str:
    """Why a fiche's territory is comparable to the reference, in words.

    e.g. "commune de 4 323 hab. — la vôtre : 3 900 ; rurale ; même département".
    Reads the fiche's denormalised columns and its (selected) lead territory.
    """
    kind = experience.search_territory_kind
    noun, gender = KIND_NOUNS.get(kind, (kind, "f"))
    if kind == "epci" and experience.search_epci_type:
        noun = f"{noun} ({experience.search_epci_type})"
    first = noun
    if experience.search_population:
        first = _("%(noun)s de %(population)s hab.") % {
            "noun": noun,
            "population": _number(experience.search_population),
        }
        if ref.population:
            first += " — " + _("la vôtre : %(population)s") % {"population": _number(ref.population)}
    parts = [first]
    if experience.search_density_class and experience.search_density_class == ref.density_class:
        parts.append(_density_words(experience.search_density_class, gender))
    if ref.kind == "commune" and experience.lead_territory_id == ref.epci_id:
        parts.append(_("votre intercommunalité"))
    elif ref.kind == "epci" and experience.search_epci_id == ref.territory.pk:
        parts.append(_("une commune de votre intercommunalité"))
    elif ref.epci_id and experience.search_epci_id == ref.epci_id and kind == ref.kind:
        parts.append(_("même intercommunalité"))
    elif ref.epci_type and experience.search_epci_type == ref.epci_type:
        parts.append(_("même type d'EPCI (%(type)s)") % {"type": ref.epci_type})
    if ref.department_id and experience.search_department_id == ref.department_id:
        parts.append(_("même département"))
    elif ref.region_id and experience.search_region_id == ref.region_id:
        parts.append(_("même région"))
    elif experience.search_country and experience.search_country != ref.country:
        from .filtersets import COUNTRY_NAMES

        country = COUNTRY_NAMES.get(experience.search_country, experience.search_country)
        parts.append(_("autre pays : %(country)s") % {"country": country})
    return " ; ".join(p for p in parts if p)
