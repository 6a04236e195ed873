"""Territory autocomplete: accent- and case-insensitive, prefix, word prefixes, trigram, best-known first."""

import pytest

from territories.models import Territory
from territories.selectors import territory_autocomplete, territory_display
from tests.factories import TerritoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def places():
    t = TerritoryFactory
    rhone = t(kind="department", code="69", name="Rhône", slug="departement-rhone", population=1_900_000)
    ain = t(kind="department", code="01", name="Ain", slug="departement-ain", population=660_000)
    liege = t(kind="province", country="BE", code="60000", name="Province de Liège", slug="province-liege")
    t(code="69228", name="Chabanière", slug="chabaniere", parent=rhone, population=4_323)
    t(code="01999", name="Chabanier", slug="chabanier", parent=ain, population=120)
    t(country="BE", code="62026", name="Comblain-au-Pont", slug="comblain-au-pont", parent=liege, population=None)
    t(code="62999", name="Camblain-Châtelain", slug="camblain", population=1_800)
    t(
        kind="epci",
        subkind="CC",
        code="240100883",
        name="CC de la Plaine de l'Ain",
        slug="cc-plaine-ain",
        parent=ain,
        population=83_857,
    )
    t(code="01888", name="Plaine", slug="plaine", parent=ain, population=300)
    t(code="42218", name="Saint-Étienne", slug="saint-etienne", population=172_000)
    t(code="69001", name="Rhôneville", slug="rhoneville", parent=rhone, population=900)
    return rhone


def names(query, **kwargs):
    return [t.name for t in territory_autocomplete(query=query, **kwargs)]


def test_accents_and_case_are_ignored(places):
    assert names("CHABANIERE")[0] == "Chabanière"


def test_chabaniere_is_shown_with_its_departement(places):
    first = territory_autocomplete(query="chabaniere")[0]
    assert territory_display(first) == "Chabanière (Rhône)"


def test_belgian_commune_is_found_and_situated(places):
    first = territory_autocomplete(query="comblain")[0]
    assert territory_display(first) == "Comblain-au-Pont (Liège, Belgique)"


def test_words_of_an_epci_name_match_in_any_position(places):
    assert names("cc plaine")[0] == "CC de la Plaine de l'Ain"
    assert names("communauté de communes plaine")[0] == "CC de la Plaine de l'Ain"


def test_abbreviated_saint_matches(places):
    assert names("st etienne")[0] == "Saint-Étienne"


def test_prefix_matches_come_before_fuzzy_ones(places):
    assert names("comblain")[:2] == ["Comblain-au-Pont", "Camblain-Châtelain"]


def test_typos_still_find_the_territory(places):
    assert "Chabanière" in names("chabanere")


def test_best_known_first_among_equal_matches(places):
    assert names("rhone")[:2] == ["Rhône", "Rhôneville"]
    assert names("chaban")[:2] == ["Chabanière", "Chabanier"]  # the larger population first


def test_an_exact_name_wins_unless_a_longer_one_is_far_better_known(places):
    t = TerritoryFactory
    t(code="01777", name="Plainemont", slug="plainemont", population=700)
    t(code="01778", name="Plaine-la-Grande", slug="plaine-la-grande", population=30_000)
    # "plaine": Plaine (300) is named exactly; Plainemont (700) only starts the same
    # way; Plaine-la-Grande is 100 times better known, as Clermont-Ferrand is to Clermont.
    assert names("plaine", kinds=["commune"]) == ["Plaine-la-Grande", "Plaine", "Plainemont"]
    assert names("chabanier")[:2] == ["Chabanière", "Chabanier"]  # 4,323 inhabitants against 120


def test_kind_filter(places):
    assert names("plaine", kinds=[Territory.Kind.COMMUNE]) == ["Plaine"]


def test_api_autocomplete_returns_display_names(client, places, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        data = client.get("/api/v1/territories/?q=chabaniere").json()["results"]
    assert data[0]["display"] == "Chabanière (Rhône)"
    assert data[0]["slug"] == "chabaniere" and data[0]["kind_label"] == "Commune"
