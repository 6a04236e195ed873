"""The home map and the search map: visible experiences only, placed in their lead territory's département."""

import pytest

from experiences import selectors_map
from tests.experiences.search_helpers import fiche, make_geo
from tests.factories import TerritoryFactory


@pytest.fixture
def geo(db):
    return make_geo()


def _count(chart, code):
    return next(d.count for d in chart.departments if d.code == code)


@pytest.mark.django_db
def test_experiences_are_placed_in_the_departement_of_their_commune_epci_or_departement(geo, visitor):
    fiche(title="Commune", lead_territory=geo.chabaniere)
    fiche(title="EPCI", lead_territory=geo.cc_vallons)
    fiche(title="Département", lead_territory=geo.isere)
    fiche(title="Région", lead_territory=geo.ara)  # spread nowhere
    chart = selectors_map.department_map(viewer=visitor)
    assert _count(chart, "69") == 2
    assert _count(chart, "38") == 1
    assert chart.total == 3


@pytest.mark.django_db
def test_the_home_map_counts_only_what_the_reader_may_see(geo, visitor, member, org_a):
    fiche(title="Public", lead_territory=geo.lyon)
    fiche(title="Membres", lead_territory=geo.lyon, visibility="members")
    fiche(title="Client A", lead_territory=geo.lyon, visibility="confidential", client_organisation=org_a)
    fiche(title="Brouillon", lead_territory=geo.lyon, status="draft", published_at=None)
    assert _count(selectors_map.department_map(viewer=visitor), "69") == 1
    assert _count(selectors_map.department_map(viewer=member), "69") == 3


@pytest.mark.django_db
def test_each_departement_with_experiences_links_to_the_search_filtered_on_it(geo, visitor):
    fiche(lead_territory=geo.montpellier)
    chart = selectors_map.department_map(viewer=visitor)
    herault = next(d for d in chart.departments if d.code == "34")
    assert herault.url == "/experiences/?department=departement-herault"
    assert next(d for d in chart.departments if d.code == "69").url == ""


@pytest.mark.django_db
def test_home_shows_the_map_its_table_and_featured_experiences(client, geo, django_assert_max_num_queries):
    fiche(title="Tiers-lieu de Montpellier", lead_territory=geo.montpellier)
    fiche(title="Concertation à Lyon", lead_territory=geo.lyon)
    with django_assert_max_num_queries(14):
        response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'role="group"' in body and 'aria-labelledby="home-map-title"' in body
    assert 'href="/experiences/?department=departement-herault"' in body
    assert "Hérault (34) : 1 expérience" in body  # the <title> of the département
    assert "Voir la carte sous forme de tableau" in body
    assert "À la une" in body
    assert len(response.context["featured"]) == 2

    # Served from the cache until content changes: the search generation, studies, partnerships.
    with django_assert_max_num_queries(4):
        assert client.get("/").status_code == 200
    fiche(title="Nouvelle fiche à Montpellier", lead_territory=geo.montpellier)
    body = client.get("/").content.decode()
    assert "Nouvelle fiche à Montpellier" in body
    assert "Hérault (34) : 2 expériences" in body


@pytest.mark.django_db
def test_search_map_follows_the_filters_and_lists_experiences_abroad(client, geo):
    bologna = TerritoryFactory(kind="other", country="IT", code="IT-BOLOGNA", name="Bologna", slug="bologna")
    fiche(title="Tiers-lieu à Lyon", lead_territory=geo.lyon, project_status="ongoing")
    fiche(title="Tiers-lieu à Montpellier", lead_territory=geo.montpellier, project_status="completed")
    fiche(title="Tiers-lieu à Bologne", lead_territory=bologna, project_status="ongoing")
    response = client.get("/experiences/carte/", {"project_status": "ongoing"})
    assert response.status_code == 200
    data = response.context["data"]
    assert _count(data.map, "69") == 1
    assert _count(data.map, "34") == 0  # filtered out
    assert [g.country for g in data.elsewhere] == ["IT"]
    assert [e.title for e in data.elsewhere[0].experiences] == ["Tiers-lieu à Bologne"]
    body = response.content.decode()
    assert "project_status=ongoing" in body  # département links keep the current filters
    assert "Tiers-lieu à Bologne" in body


@pytest.mark.django_db
def test_search_map_shows_only_the_selected_departements(client, geo):
    fiche(lead_territory=geo.lyon)
    fiche(lead_territory=geo.montpellier)
    data = client.get("/experiences/carte/", {"department": "departement-rhone"}).context["data"]
    assert _count(data.map, "69") == 1
    assert _count(data.map, "34") == 0


@pytest.mark.django_db
def test_search_map_never_places_an_experience_the_reader_may_not_see(client, geo, org_a):
    fiche(title="Secret", lead_territory=geo.lyon, visibility="confidential", client_organisation=org_a)
    data = client.get("/experiences/carte/").context["data"]
    assert data.map.total == 0


@pytest.fixture
def belgium_and_overseas(geo):
    t = TerritoryFactory
    be = t(kind="country", country="BE", code="BE", name="Belgique", slug="pays-belgique-be", population=None)
    wallonie = t(kind="region", country="BE", code="03000", name="Région wallonne", slug="region-wallonne", parent=be)
    bxl = t(
        kind="region", country="BE", code="04000", name="Région de Bruxelles-Capitale", slug="region-bxl", parent=be
    )
    namur = t(
        kind="province", country="BE", code="90000", name="Province de Namur", slug="province-namur", parent=wallonie
    )
    reunion_region = t(kind="region", code="04", name="La Réunion", slug="region-reunion", parent=geo.france)
    reunion = t(kind="department", code="974", name="La Réunion", slug="departement-reunion", parent=reunion_region)
    return {
        "wallonie": wallonie,
        "gesves": t(country="BE", code="92054", name="Gesves", slug="gesves", parent=namur),
        "ixelles": t(country="BE", code="21009", name="Ixelles", slug="ixelles", parent=bxl),
        "saint_denis": t(code="97411", name="Saint-Denis", slug="saint-denis-97411", parent=reunion),
    }


def _unit(chart, country, code):
    return next(d for d in chart.departments if (d.country, d.code) == (country, code))


@pytest.mark.django_db
def test_belgian_provinces_brussels_and_overseas_departements_are_on_the_map(geo, belgium_and_overseas, visitor):
    places = belgium_and_overseas
    fiche(title="Gesves", lead_territory=places["gesves"])
    fiche(title="Ixelles", lead_territory=places["ixelles"])
    fiche(title="Saint-Denis", lead_territory=places["saint_denis"])
    fiche(title="Wallonie", lead_territory=places["wallonie"])  # a région: placed nowhere
    chart = selectors_map.department_map(viewer=visitor)
    assert _unit(chart, "BE", "90000").url == "/experiences/?department=province-namur"
    assert _unit(chart, "BE", "04000").url == "/experiences/?region=region-bxl"
    assert _unit(chart, "FR", "974").url == "/experiences/?department=departement-reunion"
    assert chart.total == 3


@pytest.mark.django_db
def test_home_map_draws_belgium_and_the_overseas_insets(client, geo, belgium_and_overseas):
    fiche(title="Gesves", lead_territory=belgium_and_overseas["gesves"])
    fiche(title="Saint-Denis", lead_territory=belgium_and_overseas["saint_denis"])
    body = client.get("/").content.decode()
    svg = body[body.index('<svg class="map-france"') : body.index("</svg>", body.index('<svg class="map-france"'))]
    assert svg.count('data-country="BE"') == 11  # ten provinces and Brussels-Capital
    assert svg.count('data-country="FR"') == 101
    assert 'class="map-border"' in svg
    for name in ("Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte"):
        assert f">{name}</text>" in svg
    assert "Province de Namur : 1 expérience" in svg and "La Réunion (974) : 1 expérience" in svg
    english = client.get("/en/").content.decode()
    assert "Province de Namur: 1 experience" in english


@pytest.mark.django_db
def test_search_map_places_belgian_fiches_and_lists_only_other_countries_beside_it(client, geo, belgium_and_overseas):
    bologna = TerritoryFactory(kind="other", country="IT", code="IT-BOLOGNA", name="Bologna", slug="bologna")
    fiche(title="Gesves", lead_territory=belgium_and_overseas["gesves"])
    fiche(title="Wallonie", lead_territory=belgium_and_overseas["wallonie"])
    fiche(title="Bologne", lead_territory=bologna)
    data = client.get("/experiences/carte/").context["data"]
    assert _unit(data.map, "BE", "90000").count == 1
    assert "department=province-namur" in _unit(data.map, "BE", "90000").url
    assert [g.country for g in data.elsewhere] == ["IT"]
    assert data.unplaced == 1  # the Walloon région's fiche
