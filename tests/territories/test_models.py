import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from territories.models import Territory, normalize_name
from tests.factories import TerritoryFactory


def violates(constraint: str, **fields) -> None:
    """Saving a territory with `fields` is refused by the database, naming `constraint`."""
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        TerritoryFactory(**fields)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Chabanière", "chabaniere"),
        ("Saint-Étienne", "saint etienne"),
        ("L'Haÿ-les-Roses", "l hay les roses"),
        ("  Œuilly ", "œuilly"),
        ("Provence-Alpes-Côte d'Azur", "provence alpes cote d azur"),
        ("", ""),
    ],
)
def test_normalize_name_strips_accents_case_and_punctuation(raw, expected):
    assert normalize_name(raw) == expected


@pytest.mark.parametrize(
    ("density", "expected"),
    [
        (None, ""),
        (0, "very_rural"),
        (24.9, "very_rural"),
        (25, "rural"),
        (299.9, "rural"),
        (300, "intermediate"),
        (1499.9, "intermediate"),
        (1500, "dense"),
        (21000, "dense"),
    ],
)
def test_density_class_follows_the_thresholds(density, expected):
    assert Territory.density_class_for(density, "commune") == expected
    assert Territory.density_class_for(density, "epci") == expected


@pytest.mark.parametrize("kind", ["department", "province", "region", "country"])
def test_units_larger_than_an_epci_have_a_density_but_no_density_class(kind):
    # Gironde: 174 inhabitants per km², a metropolis and its countryside, neither "rural" nor urban.
    assert Territory.density_class_for(174.0, kind) == ""


@pytest.mark.django_db
def test_a_departement_keeps_its_density_figure_without_a_class():
    gironde = TerritoryFactory(kind="department", code="33", name="Gironde", population=1_693_000, area_km2=9_975.6)
    assert gironde.density == 169.7
    assert gironde.density_class == ""


@pytest.mark.django_db
def test_save_derives_search_name_and_density():
    commune = TerritoryFactory(name="Chabanière", population=4323, area_km2=34.89)

    assert commune.search_name == "chabaniere"
    assert commune.density == 123.9
    assert commune.density_class == Territory.DensityClass.RURAL


@pytest.mark.django_db
def test_save_clears_density_when_population_becomes_unknown():
    commune = TerritoryFactory(population=4000, area_km2=2.0)
    assert commune.density_class == Territory.DensityClass.DENSE

    commune.population = None
    commune.save()

    assert commune.density is None
    assert commune.density_class == ""


@pytest.mark.django_db
def test_same_code_twice_for_one_country_and_kind_is_refused():
    TerritoryFactory(code="69228")

    violates("territory_unique_code_per_country_kind", code="69228")


@pytest.mark.django_db
def test_same_code_is_allowed_in_another_country_or_kind():
    TerritoryFactory(code="21004")

    TerritoryFactory(code="21004", country="BE")
    TerritoryFactory(code="21004", kind=Territory.Kind.DEPARTMENT)

    assert Territory.objects.filter(code="21004").count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("area", [0, -3.5])
def test_area_must_be_positive(area):
    violates("territory_area_positive", area_km2=area)


@pytest.mark.django_db
def test_area_may_be_unknown():
    assert TerritoryFactory(area_km2=None).density is None


@pytest.mark.django_db
@pytest.mark.parametrize("latitude", [-90.01, 90.01])
def test_latitude_must_be_within_range(latitude):
    violates("territory_latitude_range", latitude=latitude)


@pytest.mark.django_db
@pytest.mark.parametrize("longitude", [-180.01, 180.01])
def test_longitude_must_be_within_range(longitude):
    violates("territory_longitude_range", longitude=longitude)


@pytest.mark.django_db
def test_extreme_coordinates_are_accepted():
    TerritoryFactory(latitude=-90, longitude=180)
    TerritoryFactory(latitude=90, longitude=-180)


@pytest.mark.django_db
def test_subkind_is_refused_on_a_commune():
    violates("territory_subkind_only_for_epci", subkind=Territory.Subkind.CC)


@pytest.mark.django_db
def test_subkind_is_accepted_on_an_epci():
    epci = TerritoryFactory(kind=Territory.Kind.EPCI, code="246900740", subkind=Territory.Subkind.CC)

    assert epci.get_subkind_display() == "Communauté de communes"


@pytest.mark.django_db
def test_territory_cannot_be_its_own_parent():
    commune = TerritoryFactory()
    commune.parent = commune

    with pytest.raises(IntegrityError, match="territory_not_own_parent"), transaction.atomic():
        commune.save()


@pytest.mark.django_db
def test_full_clean_reports_a_constraint_before_the_database_does():
    commune = TerritoryFactory.build(latitude=123)

    with pytest.raises(ValidationError) as excinfo:
        commune.full_clean()

    assert "territory_latitude_range" in str(excinfo.value)


@pytest.mark.django_db
def test_french_commune_label_carries_its_department():
    assert TerritoryFactory(name="Chabanière", code="69228").label == "Chabanière (69)"
    assert TerritoryFactory(name="Mamoudzou", code="97611").label == "Mamoudzou (976)"
    assert TerritoryFactory(name="Namur", code="92094", country="BE").label == "Namur"
