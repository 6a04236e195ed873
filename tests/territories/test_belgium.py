"""Belgium in the shipped reference data: every current municipality with its figures, the 2025 mergers, sums."""

import pytest
from django.db.models import Q, Sum

from territories.models import Territory
from territories.services import territories_import
from tests.reference_data import imported, write_rows

pytestmark = pytest.mark.django_db

# Statbel, population on 1 January 2020 of the municipalities merged on 1 January 2025.
STATBEL_2020 = {
    "Bastenaken": 16_276,
    "Bertogne": 3_656,
    "Merelbeke": 24_756,
    "Melle": 11_811,
    "Antwerpen": 529_247,
    "Borsbeek": 10_949,
    "Beveren": 49_047,
    "Kruibeke": 16_846,
    "Zwijndrecht": 19_154,
    "Galmaarden": 8_836,
    "Gooik": 9_189,
    "Herne": 6_699,
}


@pytest.fixture(scope="module", autouse=True)
def belgium(django_db_setup, django_db_blocker, tmp_path_factory):
    with (
        django_db_blocker.unblock(),
        imported(lambda row: row["country"] == "BE", tmp_path_factory.mktemp("be")) as rows,
    ):
        yield rows


def municipalities():
    return Territory.objects.filter(country="BE", kind="commune", is_current=True)


def test_all_565_current_municipalities_have_population_area_density_class_and_a_point():
    assert municipalities().count() == 565
    incomplete = municipalities().filter(
        Q(population__isnull=True) | Q(area_km2__isnull=True) | Q(density_class="") | Q(latitude__isnull=True)
    )
    assert list(incomplete.values_list("name", flat=True)) == []
    assert set(municipalities().values_list("population_year", flat=True)) == {2020}
    # Every point lies in Belgium.
    assert not municipalities().exclude(latitude__range=(49.45, 51.55), longitude__range=(2.5, 6.45)).exists()


def test_belgian_municipalities_are_classed_on_the_french_density_scale():
    assert Territory.objects.get(country="BE", kind="commune", code="21014").density_class == "dense"  # Saint-Josse
    assert Territory.objects.get(country="BE", kind="commune", code="92094").density_class == "intermediate"  # Namur
    assert Territory.objects.get(country="BE", kind="commune", code="25122").density_class == "rural"  # Ramillies
    assert Territory.objects.get(country="BE", kind="commune", code="84059").density_class == "rural"  # Saint-Hubert
    assert Territory.objects.filter(country="BE").exclude(kind="commune").filter(density_class="").count() == 14


def test_province_region_and_country_populations_are_the_sums_of_their_municipalities():
    for unit in Territory.objects.filter(country="BE", kind__in=["province", "region"]):
        # A région's municipalities hang under its provinces, or under it directly (Brussels).
        inside = municipalities().filter(Q(parent=unit) | Q(parent__parent=unit))
        total = inside.aggregate(population=Sum("population"), area=Sum("area_km2"))
        assert unit.population == total["population"], unit.name
        assert unit.area_km2 == pytest.approx(total["area"], abs=0.05), unit.name
        assert unit.population_year == 2020 and unit.latitude and unit.density
    country = Territory.objects.get(country="BE", kind="country")
    assert country.population == municipalities().aggregate(s=Sum("population"))["s"] == 11_492_641


def test_the_2025_mergers_sum_their_predecessors():
    def commune(code):
        return Territory.objects.get(country="BE", kind="commune", code=code)

    s = STATBEL_2020
    assert commune("82039").population == s["Bastenaken"] + s["Bertogne"]  # Bastogne
    assert commune("44088").population == s["Merelbeke"] + s["Melle"]  # Merelbeke-Melle
    assert commune("11002").population == s["Antwerpen"] + s["Borsbeek"]  # Antwerp kept its code
    assert commune("46030").population == s["Beveren"] + s["Kruibeke"] + s["Zwijndrecht"]
    assert commune("23106").population == s["Galmaarden"] + s["Gooik"] + s["Herne"]  # Pajottegem
    # Beveren-Kruibeke-Zwijndrecht took Zwijndrecht into East Flanders.
    assert commune("46030").parent.code == "40000"
    # The union of the old areas: Bastogne (172 km²) and Bertogne (94 km²).
    assert 255 < commune("82039").area_km2 < 275
    # The old codes are not current territories.
    assert not Territory.objects.filter(country="BE", code__in=["82003", "82005", "44040", "11007"]).exists()


def test_reimporting_belgium_changes_nothing(belgium, tmp_path):
    result = territories_import(path=write_rows(belgium, tmp_path / "again.csv"), progress=False)
    assert result.changes == 0 and result.total == len(belgium) == 579


def test_a_belgian_import_refreshes_the_fiches_led_there(belgium, tmp_path):
    from experiences.models import Experience
    from experiences.search import refresh_search_fields
    from tests.factories import ExperienceFactory

    namur = Territory.objects.get(country="BE", kind="commune", code="92094")
    fiche = ExperienceFactory(lead_territory=namur)
    refresh_search_fields([fiche.pk])
    moved = [dict(row, population="120000") if row["code"] == "92094" else row for row in belgium]
    territories_import(path=write_rows(moved, tmp_path / "moved.csv"), progress=False)
    fiche = Experience.objects.get(pk=fiche.pk)
    assert fiche.search_population == 120_000
