"""Territory pages roll up the fiches of every territory inside them; the directory counts them; each role its own."""

import pytest
from django.urls import reverse

from experiences.search import refresh_search_fields
from tests.factories import ExperienceFactory, TerritoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def places():
    t = TerritoryFactory
    fr = t(kind="country", code="FR", name="France", slug="pays-france-fr", population=None, area_km2=None)
    be = t(kind="country", country="BE", code="BE", name="Belgique", slug="pays-belgique-be", population=None)
    occitanie = t(kind="region", code="76", name="Occitanie", slug="region-occitanie-76", parent=fr)
    aude = t(kind="department", code="11", name="Aude", slug="departement-aude-11", parent=occitanie)
    herault = t(kind="department", code="34", name="Hérault", slug="departement-herault-34", parent=occitanie)
    cc = t(kind="epci", subkind="CC", code="200071926", name="CC des Pyrénées audoises", slug="cc-pa", parent=aude)
    chalabre = t(code="11091", name="Chalabre", slug="chalabre-11091", parent=aude, epci=cc, population=1084)
    puivert = t(code="11302", name="Puivert", slug="puivert-11302", parent=aude, epci=cc, population=480)
    limoux = t(code="11206", name="Limoux", slug="limoux-11206", parent=aude, population=10_000)
    wallonie = t(kind="region", country="BE", code="03000", name="Région wallonne", slug="region-wallonne", parent=be)
    bruxelles_region = t(
        kind="region", country="BE", code="04000", name="Région de Bruxelles-Capitale", slug="region-bxl", parent=be
    )
    namur = t(
        kind="province", country="BE", code="90000", name="Province de Namur", slug="province-namur", parent=wallonie
    )
    gesves = t(country="BE", code="92054", name="Gesves", slug="gesves-92054", parent=namur, population=7_200)
    ixelles = t(country="BE", code="21009", name="Ixelles", slug="ixelles-21009", parent=bruxelles_region)
    return locals()


def fiche(title, territory, **kwargs):
    experience = ExperienceFactory(title=title, lead_territory=territory, **kwargs)
    refresh_search_fields([experience.pk])
    return experience


def page(client, territory):
    response = client.get(territory.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_a_departement_page_lists_the_fiches_of_its_communes_counted_per_epci(client, places):
    fiche("Un tiers-lieu en gare à Chalabre", places["chalabre"])
    fiche("La halle de Puivert", places["puivert"])
    fiche("Limoux numérique", places["limoux"])
    fiche("Montpellier ailleurs", places["herault"])
    html = page(client, places["aude"])
    assert "Aucune expérience" not in html
    assert "Un tiers-lieu en gare à Chalabre" in html and "Limoux numérique" in html
    assert "Montpellier ailleurs" not in html
    assert "3 expériences dans ce territoire" in html
    # Per intercommunalité, linked to the search narrowed to it, and the search counts the same.
    assert 'href="/experiences/?territory=cc-pa">2</a>' in html
    assert 'href="/experiences/?territory=departement-aude-11"' in html
    assert client.get("/api/v1/experiences/?territory=departement-aude-11").json()["total"] == 3
    assert "Communes ayant des expériences" in html and "Chalabre" in html


def test_a_region_page_counts_per_departement(client, places):
    fiche("Chalabre", places["chalabre"])
    fiche("Hérault", places["herault"])
    html = page(client, places["occitanie"])
    assert "2 expériences dans ce territoire" in html
    assert 'href="/experiences/?territory=departement-aude-11">1</a>' in html
    assert 'href="/experiences/?territory=departement-herault-34">1</a>' in html


def test_a_belgian_province_counts_per_commune_and_brussels_per_commune(client, places):
    fiche("Gesves : une maison des emplois", places["gesves"])
    fiche("Un parcours numérique provincial", places["namur"])
    fiche("Ixelles : budget participatif", places["ixelles"])
    html = page(client, places["namur"])
    assert "Gesves : une maison des emplois" in html and "Un parcours numérique provincial" in html
    assert "2 expériences dans ce territoire" in html and "Par commune" in html
    table = html[html.index("Par commune") :]
    assert 'href="/experiences/?territory=gesves-92054">1</a>' in table
    assert "/territoires/province-namur/" not in table  # the province's own fiche is no commune's
    html = page(client, places["bruxelles_region"])
    assert 'href="/experiences/?territory=ixelles-21009">1</a>' in html


def test_an_epci_page_lists_its_member_communes_fiches(client, places):
    fiche("La halle de Puivert", places["puivert"])
    html = page(client, places["cc"])
    assert "La halle de Puivert" in html
    assert 'href="/experiences/?territory=puivert-11302">1</a>' in html


def test_a_commune_page_shows_its_epci_and_departement_fiches_as_nearby(client, places):
    fiche("Chalabre chez elle", places["chalabre"])
    fiche("La halle de Puivert", places["puivert"])
    fiche("Projet de la CC", places["cc"])
    fiche("Limoux numérique", places["limoux"])
    fiche("Montpellier ailleurs", places["herault"])
    html = page(client, places["chalabre"])
    assert "1 expérience dans la commune" in html
    nearby_epci = html.index("À proximité, dans CC des Pyrénées audoises")
    nearby_department = html.index("À proximité, ailleurs dans Aude")
    assert nearby_epci < html.index("La halle de Puivert") < nearby_department < html.index("Limoux numérique")
    assert html.count(">La halle de Puivert</a>") == 1  # not repeated under the département
    assert "Montpellier ailleurs" not in html


@pytest.mark.parametrize(
    ("role", "seen"),
    [("visitor", {"public"}), ("member", {"public", "members", "client A"}), ("member_b", {"public", "members"})],
)
def test_roll_up_and_directory_count_only_what_each_role_may_read(client, places, org_a, role, seen, request):
    fiche("public", places["chalabre"])
    fiche("members", places["puivert"], visibility="members")
    fiche("client A", places["limoux"], visibility="confidential", client_organisation=org_a)
    fiche("draft", places["limoux"], status="draft", published_at=None)
    user = request.getfixturevalue(role)
    if role != "visitor":
        client.force_login(user)
    html = page(client, places["aude"])
    for title in ("public", "members", "client A", "draft"):
        assert (f">{title}</a>" in html) == (title in seen), title
    assert f"{len(seen)} expérience" in html
    directory = client.get(reverse("territory_directory")).content.decode()
    assert f'href="/experiences/?territory=departement-aude-11">{len(seen)}</a>' in directory


def test_directory_lists_regions_then_departements_and_provinces(client, places, django_assert_max_num_queries):
    fiche("Gesves", places["gesves"])
    with django_assert_max_num_queries(12):
        response = client.get("/territoires/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("Occitanie") < html.index("Aude") < html.index("Hérault")
    assert html.index("Région wallonne") < html.index("Province de Namur")
    assert 'href="/experiences/?territory=province-namur">1</a>' in html
    english = client.get("/en/territoires/").content.decode()
    assert '<h1 class="h2">Territories</h1>' in english and "Belgium" in english


def test_territory_page_query_count_does_not_grow_with_fiches(client, places, django_assert_max_num_queries):
    for n in range(8):
        fiche(f"Fiche {n}", places["chalabre"] if n % 2 else places["limoux"])
    with django_assert_max_num_queries(14):
        page(client, places["aude"])
    with django_assert_max_num_queries(14):
        page(client, places["chalabre"])
