"""Comparability evaluated on real French and Belgian territories, as a consultant would check it.

Over 40 reference territories of every kind and size in both countries, the
results ranked by comparability must obey the rules the README documents,
recomputed here from the territories' own figures (not from the SQL):

1. the reference's own fiche comes first, said "votre territoire";
2. comparable levels first: same kind (a province is a département's level; a
   commune and its own EPCI are related), population within ×2 and the same
   density class, then ×4 and one class away, then ×10, then the rest;
3. within a level, a result is never ranked below one that it beats or equals
   on every criterion (kind, population distance, density or population band,
   EPCI type, geography) and beats on at least one;
4. every reason is in words: no code, no density class for a département, a
   province or a région, "unité de même niveau" between a province and a
   département, the country named.

The checks read the top 40 results of a pool of about 700 fiches, one per
territory sampled among all régions, départements and provinces, the EPCI and
communes of eight French départements and a third of Belgium's municipalities.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict
from django.utils import timezone, translation

from experiences.comparability import COMPARABLE_LEVELS, DENSITY_RANK, LARGE_KINDS, large_unit_band
from experiences.models import Experience
from experiences.search import refresh_search_fields
from experiences.selectors import experience_search
from territories.models import Territory
from tests.reference_data import imported

pytestmark = pytest.mark.django_db

DEPARTMENTS = ("01", "09", "33", "35", "63", "69", "75", "79")
# (country, kind, code): communes from 117 to 2.1 million inhabitants, EPCI of every
# type, départements, provinces and régions, in France and Belgium.
REFERENCES = [
    ("FR", "commune", "01216"),  # Lhuis, 886
    ("FR", "commune", "09097"),  # Clermont (Ariège), 117
    ("FR", "commune", "09261"),  # Saint-Girons, 6,000
    ("FR", "commune", "09122"),  # Foix, 9,900
    ("FR", "commune", "69228"),  # Chabanière, 4,300
    ("FR", "commune", "69123"),  # Lyon
    ("FR", "commune", "63113"),  # Clermont-Ferrand
    ("FR", "commune", "63300"),  # Riom
    ("FR", "commune", "79191"),  # Niort
    ("FR", "commune", "79329"),  # Thouars
    ("FR", "commune", "35238"),  # Rennes
    ("FR", "commune", "35360"),  # Vitré
    ("FR", "commune", "33063"),  # Bordeaux
    ("FR", "commune", "33009"),  # Arcachon
    ("FR", "commune", "75056"),  # Paris
    ("FR", "epci", "246300701"),  # Clermont Auvergne Métropole
    ("FR", "epci", "200046977"),  # Métropole de Lyon
    ("FR", "epci", "243300316"),  # Bordeaux Métropole
    ("FR", "epci", "200041317"),  # CA du Niortais
    ("FR", "epci", "243500139"),  # Rennes Métropole
    ("FR", "epci", "200067940"),  # CC Couserans-Pyrénées
    ("FR", "epci", "200069193"),  # CC de la Dombes
    ("FR", "department", "33"),  # Gironde
    ("FR", "department", "09"),  # Ariège
    ("FR", "department", "48"),  # Lozère
    ("FR", "department", "75"),  # Paris
    ("FR", "department", "63"),  # Puy-de-Dôme
    ("FR", "region", "84"),  # Auvergne-Rhône-Alpes
    ("FR", "region", "94"),  # Corse
    ("FR", "region", "53"),  # Bretagne
    ("BE", "commune", "92094"),  # Namur
    ("BE", "commune", "25122"),  # Ramillies
    ("BE", "commune", "62026"),  # Comblain-au-Pont
    ("BE", "commune", "51017"),  # Ellezelles
    ("BE", "commune", "84059"),  # Saint-Hubert
    ("BE", "commune", "21004"),  # Bruxelles
    ("BE", "commune", "62063"),  # Liège
    ("BE", "commune", "82039"),  # Bastogne (merged in 2025)
    ("BE", "province", "90000"),  # Province de Namur
    ("BE", "province", "80000"),  # Province du Luxembourg
    ("BE", "province", "10000"),  # Province d'Anvers
    ("BE", "region", "03000"),  # Wallonia
    ("BE", "region", "04000"),  # Brussels-Capital
]
TOP = 40


def keep(row) -> bool:
    if row["kind"] in ("country", "region", "department", "province"):
        return True
    if row["country"] == "BE":
        return True
    return row["parent_code"] in DEPARTMENTS or (row["kind"] == "epci" and row["subkind"] in ("METRO", "CU"))


@pytest.fixture(scope="module")
def pool(django_db_setup, django_db_blocker, tmp_path_factory):
    """A fiche for a sample of the territories, their search columns up to date."""
    with django_db_blocker.unblock(), imported(keep, tmp_path_factory.mktemp("ref")):
        references = set(REFERENCES)
        territories = list(Territory.objects.exclude(kind="country").order_by("kind", "-population", "code"))
        sample, seen = [], {}
        for t in territories:
            n = seen[t.country, t.kind] = seen.get((t.country, t.kind), -1) + 1
            step = 3 if (t.country, t.kind) in (("BE", "commune"), ("FR", "commune")) else 1
            if n % step == 0 or (t.country, t.kind, t.code) in references:
                sample.append(t)
        now = timezone.now()
        fiches = Experience.objects.bulk_create(
            Experience(
                title=f"Projet de {t.name}",
                slug=f"projet-{t.pk}",
                summary="Un projet.",
                lead_territory=t,
                status="published",
                visibility="public",
                published_at=now,
            )
            for t in sample
        )
        refresh_search_fields([f.pk for f in fiches])
        yield {t.pk: t for t in sample}


# --- The rules, recomputed from the territories --------------------------------------


@dataclass(frozen=True)
class Profile:
    kind: str
    country: str
    population: int | None
    density_class: str
    epci_type: str
    epci_id: int | None
    department_id: int | None
    region_id: int | None


def profile(t: Territory) -> Profile:
    chain = [t, t.parent, t.parent.parent if t.parent else None, None]
    if chain[2] is not None:
        chain[3] = chain[2].parent
    chain = [c for c in chain if c is not None]
    department = next((c.pk for c in chain if c.kind in ("department", "province")), None)
    region = next((c.pk for c in chain if c.kind == "region"), None)
    epci = t if t.kind == "epci" else t.epci
    return Profile(
        t.kind,
        t.country,
        t.population,
        t.density_class,
        epci.subkind if epci else "",
        epci.pk if epci else None,
        department,
        region,
    )


def level(kind: str) -> str:
    return "intermediate" if kind in ("department", "province") else kind


def kind_score(ref: Territory, r: Profile, c: Territory, p: Profile) -> float:
    if level(p.kind) == level(r.kind):
        return 1.0
    if (r.kind == "commune" and c.pk == r.epci_id) or (r.kind == "epci" and p.epci_id == ref.pk):
        return 0.8
    if r.kind in ("commune", "epci") and p.kind in ("commune", "epci"):
        return 0.4
    return 0.0


def tier(ref: Territory, r: Profile, c: Territory, p: Profile) -> int:
    for number, spec in sorted(COMPARABLE_LEVELS.items()):
        if kind_score(ref, r, c, p) < spec["kind"]:
            continue
        if r.population and not (
            p.population and r.population / spec["ratio"] <= p.population <= r.population * spec["ratio"]
        ):
            continue
        steps = spec["density_steps"]
        far = abs(DENSITY_RANK.get(p.density_class, 99) - DENSITY_RANK.get(r.density_class, 0))
        if steps is not None and r.density_class in DENSITY_RANK and far > steps:
            continue
        return 4 - number
    return 0


def criteria(ref: Territory, r: Profile, c: Territory, p: Profile) -> tuple | None:
    """Each criterion as "larger is better", or None when a figure is unknown (not compared)."""
    if not (r.population and p.population):
        return None
    if r.kind in LARGE_KINDS:
        if p.kind not in LARGE_KINDS:
            density = -2  # scored as a band two steps away
        else:
            density = -min(abs(large_unit_band(p.population) - large_unit_band(r.population)), 2)
    elif r.density_class:
        if not p.density_class:
            return None
        density = -min(abs(DENSITY_RANK[p.density_class] - DENSITY_RANK[r.density_class]), 2)
    else:
        density = 0
    if (r.epci_id and p.epci_id == r.epci_id) or (r.department_id and p.department_id == r.department_id):
        geography = 1.0
    elif r.region_id and p.region_id == r.region_id:
        geography = 0.6
    else:
        geography = 0.3 if p.country == r.country else 0.0
    epci = (p.epci_type == r.epci_type) if r.epci_type and p.epci_type else None
    closeness = -round(abs(math.log(p.population / r.population)), 9)
    return (kind_score(ref, r, c, p), max(closeness, -math.log(20)), density, geography, epci)


def dominates(a: tuple, b: tuple) -> bool:
    """a is at least as good as b on every criterion and better on one (EPCI type compared only where both apply)."""
    pairs = [(x, y) for x, y in zip(a[:4], b[:4], strict=True)]
    if (a[4] is None) != (b[4] is None):
        return False
    if a[4] is not None:
        pairs.append((int(a[4]), int(b[4])))
    return all(x >= y for x, y in pairs) and any(x > y for x, y in pairs)


RAW_CODE = re.compile(r"\b(CC|CA|CU|METRO|EPT|EPCI|FR|BE|IT|ML|[0-9]{5,9})\b")
DENSITY_WORDS = re.compile(r"rural|dense|densité")


def ranked(reference: Territory, lang: str = "fr"):
    with translation.override(lang):
        result = experience_search(viewer=AnonymousUser(), params=QueryDict(f"ref={reference.slug}&page_size={TOP}"))
    assert result.valid and result.reference.territory == reference
    return result.experiences


@pytest.mark.parametrize("key", REFERENCES, ids=lambda key: "-".join(key))
def test_ranking_by_comparability_obeys_the_documented_rules(pool, key):
    reference = Territory.objects.select_related("parent__parent__parent", "epci").get(
        country=key[0], kind=key[1], code=key[2]
    )
    r = profile(reference)
    results = ranked(reference)
    territories = {
        t.pk: t
        for t in Territory.objects.select_related("parent__parent__parent", "epci").filter(
            pk__in=[e.lead_territory_id for e in results]
        )
    }
    assert results, "no result"

    # 1. Your own territory first.
    assert results[0].lead_territory_id == reference.pk
    assert results[0].comparability_reason == "votre territoire"
    others = results[1:]

    # 2. Comparable levels first; the first result is in the best level the pool offers.
    tiers = [
        tier(reference, r, territories[e.lead_territory_id], profile(territories[e.lead_territory_id])) for e in others
    ]
    assert tiers == sorted(tiers, reverse=True), [
        (e.lead_territory.name, t) for e, t in zip(others, tiers, strict=True)
    ]
    best_available = max(tier(reference, r, t, profile(t)) for pk, t in pool.items() if pk != reference.pk)
    assert tiers[0] == best_available

    # 3. Within a level, no result is ranked below one it dominates.
    scored = [
        (t, criteria(reference, r, territories[e.lead_territory_id], profile(territories[e.lead_territory_id])), e)
        for t, e in zip(tiers, others, strict=True)
    ]
    for i, (tier_a, a, ea) in enumerate(scored):
        for tier_b, b, eb in scored[i + 1 :]:
            if tier_a == tier_b and a and b:
                assert not dominates(b, a), f"{eb.lead_territory.name} ranked below {ea.lead_territory.name}"

    # 4. Reasons in words.
    for e in others:
        reason = e.comparability_reason
        kind = territories[e.lead_territory_id].kind
        assert not RAW_CODE.search(reason), reason
        if kind in LARGE_KINDS or reference.kind in LARGE_KINDS:
            assert not DENSITY_WORDS.search(reason), reason
        if {kind, reference.kind} == {"department", "province"}:
            assert "unité de même niveau" in reason
        if e.lead_territory.country != reference.country:
            assert "autre pays : " + ("France" if reference.country == "BE" else "Belgique") in reason


def test_a_belgian_reference_tells_french_communes_of_different_sizes_apart(pool):
    namur = Territory.objects.get(country="BE", kind="commune", code="92094")
    results = ranked(namur)
    by_code = {e.lead_territory.code: e.comparability for e in results if e.lead_territory.country == "FR"}
    # Niort (60,000) within ×2 and of Namur's density; Clermont-Ferrand (146,000), denser; Lhuis (886), far smaller.
    niort = by_code["79191"]
    clermont = by_code["63113"]
    assert niort > clermont
    everything = {e.lead_territory.code: e.comparability for e in ranked(namur)}
    assert "01216" not in everything or everything["01216"] < clermont


def comparability_of(reference: Territory, country: str, code: str):
    """The fiche of one territory, as ranked for this reference."""
    territory = Territory.objects.get(country=country, kind="commune", code=code)
    with translation.override("fr"):
        result = experience_search(
            viewer=AnonymousUser(), params=QueryDict(f"ref={reference.slug}&territory={territory.slug}")
        )
    (fiche,) = result.experiences
    return fiche


def test_a_belgian_village_ranks_among_french_villages_by_its_figures(pool):
    # Chabanière, a rural commune of 4,323 in a CC: Ramillies (6,548, rural, in Belgium)
    # is "très comparable" (same kind, within ×2, same density class), hence above Lyon
    # or Saint-Girons (6,008, one density class away), though both are French.
    chabaniere = Territory.objects.get(country="FR", kind="commune", code="69228")
    ramillies = comparability_of(chabaniere, "BE", "25122")
    assert ramillies.lead_territory.country == "BE"
    assert ramillies.comparability_reason == (
        "commune de 6\u202f548 hab. — la vôtre : 4\u202f323 ; rurale ; autre pays : Belgique"
    )
    assert ramillies.comparability > 0.74  # level 1: (3 + criteria) / 4
    assert ramillies.comparability > comparability_of(chabaniere, "FR", "69123").comparability
    assert ramillies.comparability > comparability_of(chabaniere, "FR", "09261").comparability


def test_reasons_are_in_english_on_english_pages(pool):
    gironde = Territory.objects.get(country="FR", kind="department", code="33")
    ramillies = Territory.objects.get(country="BE", kind="commune", code="25122")
    french = re.compile(r"(commune de|même|votre|vôtre|\bhab\.|autre pays|unité|rurale|densité| ;)")
    for reference in (gironde, ramillies):
        results = ranked(reference, lang="en")
        assert results[0].comparability_reason == "your territory"
        for e in results[1:]:
            assert not french.search(e.comparability_reason), e.comparability_reason
    provinces = [e for e in ranked(gironde, lang="en") if e.lead_territory.kind == "province"]
    assert provinces and "same level" in provinces[0].comparability_reason
    assert "other country: Belgium" in provinces[0].comparability_reason
