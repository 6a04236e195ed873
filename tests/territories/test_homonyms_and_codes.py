"""The autocomplete and the resolvers on real places: the one meant first, homonyms told apart, codes of both countries."""

import json

import pytest

from territories.models import normalize_name
from territories.selectors import territory_autocomplete, territory_display, territory_lookup
from tests.reference_data import imported

pytestmark = pytest.mark.django_db

NAMES = ("clermont", "paris", "lyon", "ramillies", "namur", "chapelle d huin", "chabaniere", "vienne", "bruxelles")


@pytest.fixture(scope="module", autouse=True)
def real_places(django_db_setup, django_db_blocker, tmp_path_factory):
    def keep(row):
        name = normalize_name(row["name"])
        return any(name.startswith(n) or f" {n}" in name for n in NAMES) or row["code"] in ("25122", "84")

    with django_db_blocker.unblock(), imported(keep, tmp_path_factory.mktemp("ref")) as rows:
        yield rows


def found(query, **kwargs):
    return [territory_display(t) for t in territory_autocomplete(query=query, **kwargs)]


def test_clermont_ferrand_then_its_metropole_come_before_the_small_clermont():
    results = found("clermont", limit=20)
    assert results[:2] == ["Clermont-Ferrand (Puy-de-Dôme)", "Clermont Auvergne Métropole (Puy-de-Dôme)"]
    assert results.index("Clermont (Ariège)") > 1
    assert {"Clermont (Oise)", "Clermont (Landes)", "Clermont (Haute-Savoie)"} <= set(results)


def test_the_commune_of_paris_comes_before_the_departement():
    results = found("paris")
    assert results[:2] == ["Paris (commune)", "Paris (département)"]


def test_lyon_and_its_metropole_come_before_lyons_la_foret():
    results = found("lyon")
    assert results[:2] == ["Lyon (Rhône)", "Métropole de Lyon (Rhône)"]
    assert results.index("Lyons-la-Forêt (Eure)") > 1


def test_namesakes_of_two_countries_are_labelled_with_province_and_country():
    assert found("ramillies") == ["Ramillies (Brabant wallon, Belgique)", "Ramillies (Nord)"]
    assert found("namur")[:2] == ["Namur (commune, Belgique)", "Province de Namur (Belgique)"]
    assert "Vienne (département)" in found("vienne") and "Vienne (Isère)" in found("vienne")


def test_a_label_typed_back_keeps_only_the_territory_it_describes():
    assert found("Clermont (Ariège)") == ["Clermont (Ariège)"]
    assert found("Clermont (09)") == ["Clermont (Ariège)"]
    assert found("Ramillies (Belgique)") == ["Ramillies (Brabant wallon, Belgique)"]


def test_a_code_shared_by_two_countries_lists_both_and_a_country_prefix_chooses():
    assert found("25122") == ["Ramillies (Brabant wallon, Belgique)", "Chapelle-d'Huin (Doubs)"]
    for query in ("BE-25122", "be 25122", "NIS 25122", "25122 (BE)"):
        assert found(query) == ["Ramillies (Brabant wallon, Belgique)"], query
    assert found("FR-25122") == found("INSEE 25122") == ["Chapelle-d'Huin (Doubs)"]


def test_insee_siren_and_departement_codes_are_accepted():
    assert found("63113") == ["Clermont-Ferrand (Puy-de-Dôme)"]
    assert found("246300701") == ["Clermont Auvergne Métropole (Puy-de-Dôme)"]
    assert found("SIREN 246300701") == ["Clermont Auvergne Métropole (Puy-de-Dôme)"]
    # "84" is read as the Vaucluse first, then the région that shares its code.
    assert found("84") == ["Vaucluse (département)", "Auvergne-Rhône-Alpes (région)"]


def test_the_beginning_of_a_code_already_suggests_it():
    assert "Ramillies (Brabant wallon, Belgique)" in found("2512")


def test_resolver_accepts_a_qualified_code_and_lists_both_for_a_bare_one():
    assert [t.name for t in territory_lookup("BE-25122")] == ["Ramillies"]
    assert [t.country for t in territory_lookup("25122")] == ["BE", "FR"]
    assert [t.country for t in territory_lookup("Ramillies")] == ["BE", "FR"]
    assert [t.code for t in territory_lookup("Ramillies (Brabant wallon, Belgique)")] == ["25122"]
    assert [t.code for t in territory_lookup("Ramillies (59)")] == ["59492"]
    assert [t.code for t in territory_lookup("Clermont (Oise)")] == ["60157"]
    assert territory_lookup("Clermont (Gironde)") == []


def test_autocomplete_endpoint_sends_the_label_with_its_qualifier(client):
    data = json.loads(client.get("/territoires/autocomplete/", {"q": "ramillies"}).content)["results"]
    assert [r["label"] for r in data] == ["Ramillies (Brabant wallon, Belgique)", "Ramillies (Nord)"]
    assert {k: data[0][k] for k in ("name", "code", "country", "kind")} == {
        "name": "Ramillies",
        "code": "25122",
        "country": "BE",
        "kind": "Commune",
    }
    assert data[0]["population"] == 6548 and data[0]["slug"]


def test_api_autocomplete_displays_the_qualified_label(client):
    data = client.get("/api/v1/territories/", {"q": "clermont"}).json()
    results = data["results"] if isinstance(data, dict) else data
    assert results[0]["display"] == "Clermont-Ferrand (Puy-de-Dôme)"


def test_api_labels_follow_the_lang_parameter_of_an_english_page(client):
    results = client.get("/api/v1/territories/", {"q": "ramillies", "lang": "en"}).json()["results"]
    assert [r["display"] for r in results] == ["Ramillies (Brabant wallon, Belgium)", "Ramillies (Nord)"]
    assert results[0]["kind_label"] == "Municipality"
    english = json.loads(client.get("/en/territoires/autocomplete/", {"q": "paris"}).content)["results"]
    assert [r["label"] for r in english[:2]] == ["Paris (municipality)", "Paris (département)"]
