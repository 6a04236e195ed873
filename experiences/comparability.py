"""Comparability of territories: how far a fiche's lead territory is from the
reader's reference territory ("ma collectivité"), as an SQL score over the
search columns of a fiche row `e`, as the bands of "comparable territories
only", and as a reason in words. The README's "Comparable experiences" table
documents the weights and rules.

French and Belgian territories are compared alike: a Belgian municipality is a
commune, a province is a unit of the same level as a département, both
countries' populations and areas are known. Density classes describe a
settlement (communes, EPCI); larger units are compared by population band
instead. The EPCI type is a French criterion: where it does not apply (a
Belgian municipality, a département), it is left out of the score rather than
counted as a mismatch.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.formats import format_number
from territories.countries import country_name
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
# Units of the same level in both countries: a Belgian province is to its région
# what a département is to its région. Every other kind is its own level.
LEVELS = {"department": "intermediate", "province": "intermediate"}
# Kinds that a density class describes (see Territory.DENSITY_CLASS_KINDS).
LOCAL_KINDS = ("commune", "epci")
# Kinds compared by population band instead of density class (upper bounds, inhabitants).
LARGE_KINDS = ("department", "province", "region", "country")
LARGE_UNIT_BANDS = (300_000, 700_000, 1_500_000, 4_000_000)
# "Comparable territories only": levels, each wider than the previous one.
COMPARABLE_LEVELS = {
    1: {"kind": 0.8, "ratio": 2.0, "density_steps": 0},
    2: {"kind": 0.4, "ratio": 4.0, "density_steps": 1},
    3: {"kind": 0.4, "ratio": 10.0, "density_steps": None},
}


def level_of(kind: str) -> str:
    return LEVELS.get(kind, kind)


def large_unit_band(population: int | None) -> int | None:
    """The population band of a département, province, région or country: 0 (< 300,000) … 4 (≥ 4 million)."""
    if population is None:
        return None
    return next((i for i, upper in enumerate(LARGE_UNIT_BANDS) if population < upper), len(LARGE_UNIT_BANDS))


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
    department_kind: str = ""  # "department" or "province": how to say "même département"

    @classmethod
    def of(cls, territory: Territory) -> Reference:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT p.kind, p.country, p.population, p.density_class, p.epci_type, p.epci_id, p.region_id,"
                f" p.department_id, d.kind FROM ({TERRITORY_PROFILE_SQL}) p"
                f" LEFT JOIN territories_territory d ON d.id = p.department_id WHERE p.territory_id = %s",
                [territory.pk],
            )
            row = cursor.fetchone()
        kind, country, population, density, epci_type, epci_id, region_id, department_id, department_kind = row
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
            department_kind=department_kind or "",
        )

    @property
    def is_large(self) -> bool:
        return self.kind in LARGE_KINDS


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


def _kinds(kinds) -> str:
    return "(" + ", ".join(_lit(k) for k in kinds) + ")"


def _same_level(ref: Reference) -> list[str]:
    return [k for k in Territory.Kind.values if level_of(k) == level_of(ref.kind)]


def kind_score_sql(ref: Reference) -> str:
    parts = [f"WHEN e.search_territory_kind IN {_kinds(_same_level(ref))} THEN 1.0"]
    if ref.kind == "commune" and ref.epci_id:
        parts.append(f"WHEN e.lead_territory_id = {_lit(ref.epci_id)} THEN 0.8")  # its own EPCI
    if ref.kind == "epci":
        parts.append(f"WHEN e.search_epci_id = {_lit(ref.territory.pk)} THEN 0.8")  # one of its communes
    if ref.kind in LOCAL_KINDS:
        parts.append(f"WHEN e.search_territory_kind IN {_kinds(LOCAL_KINDS)} THEN 0.4")
    return "(CASE " + " ".join(parts) + " ELSE 0.0 END)"


def _kind_at_least_sql(ref: Reference, threshold: float) -> str:
    """kind_score_sql(ref) >= threshold, as a plain condition (cheaper than the CASE)."""
    conds = [f"e.search_territory_kind IN {_kinds(_same_level(ref))}"]
    if threshold <= 0.8 and ref.kind == "commune" and ref.epci_id:
        conds.append(f"e.lead_territory_id = {_lit(ref.epci_id)}")
    if threshold <= 0.8 and ref.kind == "epci":
        conds.append(f"e.search_epci_id = {_lit(ref.territory.pk)}")
    if threshold <= 0.4 and ref.kind in LOCAL_KINDS:
        conds.append(f"e.search_territory_kind IN {_kinds(LOCAL_KINDS)}")
    return "(" + " OR ".join(conds) + ")"


def population_score_sql(ref: Reference) -> str:
    if not ref.population:
        return "0.3"
    return (
        f"(CASE WHEN e.search_population IS NULL THEN 0.3 ELSE greatest(0.0, 1.0 - abs(ln("
        f"greatest(e.search_population, 1)::float8 / {_lit(float(ref.population))})) / ln({POPULATION_SPAN})) END)"
    )


def density_score_sql(ref: Reference) -> str:
    """Density class for a commune or EPCI reference; population band for a larger one.

    A candidate the criterion does not describe (a département for a commune, a
    commune for a province) scores 0; an unknown figure 0.3, as for population.
    Each class or band's score is computed here, so that a row costs one CASE.
    """
    if ref.is_large:
        band = large_unit_band(ref.population)
        if band is None:
            return "0.3"
        steps = [
            f"WHEN e.search_population < {upper} THEN {1.0 - min(abs(i - band), 2) * 0.5}"
            for i, upper in enumerate(LARGE_UNIT_BANDS)
        ]
        last = 1.0 - min(abs(len(LARGE_UNIT_BANDS) - band), 2) * 0.5
        return (
            f"(CASE WHEN e.search_territory_kind NOT IN {_kinds(LARGE_KINDS)} THEN 0.0"
            f" WHEN e.search_population IS NULL THEN 0.3 {' '.join(steps)} ELSE {last} END)"
        )
    if ref.density_class not in DENSITY_RANK:
        return "0.3"
    rank = DENSITY_RANK[ref.density_class]
    classes = " ".join(
        f"WHEN '{name}' THEN {1.0 - min(abs(other - rank), 2) * 0.5}" for name, other in DENSITY_RANK.items()
    )
    return (
        f"(CASE e.search_density_class {classes}"
        f" ELSE (CASE WHEN e.search_territory_kind IN {_kinds(LOCAL_KINDS)} THEN 0.3 ELSE 0.0 END) END)"
    )


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


def criteria_score_sql(ref: Reference) -> str:
    """The weighted score of the five criteria, in [0, 1] (weights in WEIGHTS).

    The EPCI type counts only between two territories that have one; otherwise
    the other criteria are scaled up to fill its weight (a weighted mean over the
    criteria that apply), so a Belgian municipality is not marked down for not
    being in a French EPCI.
    """
    others = (
        f"{WEIGHTS['kind']} * {kind_score_sql(ref)} + {WEIGHTS['population']} * {population_score_sql(ref)}"
        f" + {WEIGHTS['density']} * {density_score_sql(ref)} + {WEIGHTS['geography']} * {geography_score_sql(ref)}"
    )
    full = 1.0 / (1.0 - WEIGHTS["epci_type"])
    if not ref.epci_type:
        return f"(({others}) * {full!r})"
    return (
        f"(({others}) * (CASE WHEN e.search_epci_type = '' THEN {full!r} ELSE 1.0 END)"
        f" + (CASE WHEN e.search_epci_type = {_lit(ref.epci_type)} THEN {WEIGHTS['epci_type']} ELSE 0.0 END))"
    )


def comparable_tier_sql(ref: Reference) -> str:
    """3 for a row comparable at level 1 ("très comparable"), 2 at level 2, 1 at level 3, else 0."""
    whens = " ".join(f"WHEN {comparable_level_sql(ref, level)} THEN {4 - level}" for level in sorted(COMPARABLE_LEVELS))
    return f"(CASE {whens} ELSE 0 END)"


def comparability_sql(ref: Reference) -> str:
    """The comparability in [0, 1] of row `e` to the reference.

    The comparable levels come first, as a consultant reads them: every
    territory of the same kind within ×2 of the population and of the same
    density class ranks above every one within ×4 and one density class away,
    which rank above those within ×10, then the rest; within a level, the
    weighted score of the five criteria orders them (criteria_score_sql).
    """
    tiers = len(COMPARABLE_LEVELS) + 1
    # The reference's own fiches score 1 and every other one less, so they always come
    # first (a village of the same size, density and EPCI would otherwise tie with it).
    return (
        f"(CASE WHEN e.lead_territory_id = {_lit(ref.territory.pk)} THEN 1.0"
        f" ELSE ({comparable_tier_sql(ref)} + {criteria_score_sql(ref)}) / {float(tiers)!r} * 0.99 END)"
    )


def comparable_level_sql(ref: Reference, level: int) -> str:
    """Condition: row `e` is comparable to the reference at this level (1 strict … 3 wide)."""
    spec = COMPARABLE_LEVELS[level]
    conds = [_kind_at_least_sql(ref, spec["kind"])]
    if ref.population:
        low, high = ref.population / spec["ratio"], ref.population * spec["ratio"]
        conds.append(f"e.search_population BETWEEN {math.floor(low)} AND {math.ceil(high)}")
    steps = spec["density_steps"]
    if steps is not None and ref.density_class in DENSITY_RANK:
        # The classes within `steps` of the reference's, as a list: cheaper per row than ranking each.
        rank = DENSITY_RANK[ref.density_class]
        near = [name for name, other in DENSITY_RANK.items() if abs(other - rank) <= steps]
        conds.append(f"e.search_density_class IN {_kinds(near)}")
    return "(" + " AND ".join(conds) + ")"


# --------------------------------------------------------------------------
# The reason, in words
# --------------------------------------------------------------------------


def _noun(kind: str, epci_type: str) -> tuple[str, str]:
    """(noun, grammatical gender) of a territory kind, an EPCI named by its type."""
    if kind == "epci":
        return {
            "CC": (pgettext("territoire", "communauté de communes"), "f"),
            "CA": (pgettext("territoire", "communauté d'agglomération"), "f"),
            "CU": (pgettext("territoire", "communauté urbaine"), "f"),
            "METRO": (pgettext("territoire", "métropole"), "f"),
            "EPT": (pgettext("territoire", "établissement public territorial"), "m"),
        }.get(epci_type, (pgettext("territoire", "intercommunalité"), "f"))
    return {
        "commune": (pgettext("territoire", "commune"), "f"),
        "department": (pgettext("territoire", "département"), "m"),
        "province": (pgettext("territoire", "province"), "f"),
        "region": (pgettext("territoire", "région"), "f"),
        "country": (pgettext("territoire", "pays"), "m"),
    }.get(kind, (pgettext("territoire", "collectivité"), "f"))


def _epci_type_words(epci_type: str) -> str:
    return _noun("epci", epci_type)[0]


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


def _band_words(band: int) -> str:
    return [
        _("moins de 300 000 hab."),
        _("300 000 à 700 000 hab."),
        _("700 000 à 1,5 million d'hab."),
        _("1,5 à 4 millions d'hab."),
        _("plus de 4 millions d'hab."),
    ][band]


def _number(value: int) -> str:
    # The reader's language groups the digits: "1 770" in French (narrow no-break space,
    # as before), "1,770" in English.
    return format_number(value, 0).replace("\xa0", "\u202f")


def _phrases(voice: str) -> dict[str, str]:
    """What a reason says of the reference: "your …" to the reader, "its …" of a fiche's own territory."""
    if voice == "fiche":
        return {
            "self": _("même territoire"),
            "population": _("celle-ci : %(population)s"),
            "own_epci": _("son intercommunalité"),
            "member": _("une commune de son intercommunalité"),
            "department": _("son département"),
            "province": _("sa province"),
            "region": _("sa région"),
            "country": _("son pays"),
            "in_department": _("dans son département"),
            "in_province": _("dans sa province"),
            "in_region": _("dans sa région"),
            "in_country": _("dans son pays"),
        }
    return {
        "self": _("votre territoire"),
        "population": _("la vôtre : %(population)s"),
        "own_epci": _("votre intercommunalité"),
        "member": _("une commune de votre intercommunalité"),
        "department": _("votre département"),
        "province": _("votre province"),
        "region": _("votre région"),
        "country": _("votre pays"),
        "in_department": _("dans votre département"),
        "in_province": _("dans votre province"),
        "in_region": _("dans votre région"),
        "in_country": _("dans votre pays"),
    }


def _relation(experience: Experience, ref: Reference, say: dict[str, str]) -> str:
    """How the fiche's territory and the reference are related, if one contains the other."""
    lead = experience.lead_territory_id
    ref_pk = ref.territory.pk
    if ref.kind == "commune" and lead == ref.epci_id:
        return say["own_epci"]
    if lead and lead == ref.department_id:
        return say["province" if ref.department_kind == "province" else "department"]
    if lead and lead == ref.region_id:
        return say["region"]
    if experience.search_territory_kind == "country" and experience.search_country == ref.country:
        return say["country"]
    if ref.kind == "epci" and experience.search_epci_id == ref_pk:
        return say["member"]
    if ref.kind in ("department", "province") and experience.search_department_id == ref_pk:
        return say["in_province" if ref.kind == "province" else "in_department"]
    if ref.kind == "region" and experience.search_region_id == ref_pk:
        return say["in_region"]
    if ref.kind == "country" and experience.search_country == ref.country:
        return say["in_country"]
    return ""


def comparability_reason(experience: Experience, ref: Reference, *, voice: str = "reader") -> str:
    """Why a fiche's territory is comparable to the reference, in words, in the active language.

    e.g. "commune de 4 323 hab. — la vôtre : 3 900 ; rurale ; même intercommunalité ;
    même département", "province de 495 832 hab., unité de même niveau — la vôtre :
    1 650 000 ; même tranche de population (300 000 à 700 000 hab.) ; autre pays :
    Belgique", "votre territoire". Reads the fiche's denormalised columns.
    `voice="fiche"` speaks of a fiche's own territory ("celle-ci", "son
    département") for the similar experiences of a fiche.
    """
    say = _phrases(voice)
    if experience.lead_territory_id and experience.lead_territory_id == ref.territory.pk:
        return say["self"]
    kind = experience.search_territory_kind
    noun, gender = _noun(kind, experience.search_epci_type)
    first = noun
    if experience.search_population:
        first = _("%(noun)s de %(population)s hab.") % {
            "noun": noun,
            "population": _number(experience.search_population),
        }
    if kind != ref.kind and level_of(kind) == level_of(ref.kind):
        first += ", " + _("unité de même niveau")
    if experience.search_population and ref.population:
        first += " — " + say["population"] % {"population": _number(ref.population)}
    parts = [first]

    if kind in LOCAL_KINDS and ref.kind in LOCAL_KINDS:
        if experience.search_density_class and experience.search_density_class == ref.density_class:
            parts.append(_density_words(experience.search_density_class, gender))
    elif kind in LARGE_KINDS and ref.is_large:
        band, ref_band = large_unit_band(experience.search_population), large_unit_band(ref.population)
        if band is not None and band == ref_band:
            parts.append(_("même tranche de population (%(band)s)") % {"band": _band_words(band)})

    relation = _relation(experience, ref, say)
    if relation:
        parts.append(relation)
    elif ref.epci_id and experience.search_epci_id == ref.epci_id:
        parts.append(_("même intercommunalité"))
    elif ref.epci_type and experience.search_epci_type == ref.epci_type:
        if kind == "epci" and ref.kind == "epci":
            parts.append(_("même type d'intercommunalité"))
        else:
            parts.append(
                _("même type d'intercommunalité (%(type)s)") % {"type": _epci_type_words(experience.search_epci_type)}
            )

    if not relation:  # a relation already says where the fiche's territory is
        if ref.department_id and experience.search_department_id == ref.department_id:
            parts.append(_("même province") if ref.department_kind == "province" else _("même département"))
        elif ref.region_id and experience.search_region_id == ref.region_id:
            parts.append(_("même région"))
    if experience.search_country and experience.search_country != ref.country:
        parts.append(_("autre pays : %(country)s") % {"country": country_name(experience.search_country)})
    # French sets a space before a semicolon, English does not.
    return pgettext("séparateur des raisons", " ; ").join(p for p in parts if p)
