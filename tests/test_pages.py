"""The first pages render, show only what the reader may see, and keep their query counts."""

import pytest

from tests.factories import ExperienceFactory, OrganisationFactory, TerritoryFactory, ThemeFactory


@pytest.fixture
def content(org_a):
    region = TerritoryFactory(kind="region", code="84", name="Auvergne-Rhône-Alpes", slug="region-ara", population=None)
    dep = TerritoryFactory(kind="department", code="69", name="Rhône", slug="departement-rhone", parent=region)
    epci = TerritoryFactory(
        kind="epci", subkind="CC", code="200066587", name="CC des Vallons du Lyonnais", slug="cc-vdl", parent=dep
    )
    commune = TerritoryFactory(
        code="69228", name="Chabanière", slug="chabaniere-69228", parent=dep, epci=epci, population=5123
    )
    theme = ThemeFactory(name="Tiers-lieux", slug="tiers-lieux")
    public = [
        ExperienceFactory(title=f"Tiers-lieu public {i}", lead_territory=commune, themes=[theme]) for i in range(5)
    ]
    secret = ExperienceFactory(
        title="Projet confidentiel canari", lead_territory=commune, visibility="confidential", client_organisation=org_a
    )
    draft = ExperienceFactory(title="Brouillon canari", lead_territory=commune, status="draft", published_at=None)
    return {"commune": commune, "epci": epci, "public": public, "secret": secret, "draft": draft, "theme": theme}


@pytest.mark.django_db
def test_home_shows_public_experiences_themes_and_key_figures_to_anonymous_visitors(
    client, content, django_assert_max_num_queries
):
    with django_assert_max_num_queries(13):  # cold cache: the generation, then every block
        response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Tiers-lieu public 0" in body
    assert "canari" not in body
    assert "Tiers-lieux" in body
    assert response.context["figures"]["experiences"] == 5


@pytest.mark.django_db
def test_experience_detail_is_404_for_what_the_reader_may_not_know_exists(client, content, member):
    assert client.get(content["secret"].get_absolute_url()).status_code == 404
    assert client.get(content["draft"].get_absolute_url()).status_code == 404
    client.force_login(member)
    assert client.get(content["secret"].get_absolute_url()).status_code == 200
    assert client.get(content["draft"].get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_experience_detail_keeps_its_query_count(client, content, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        response = client.get(content["public"][0].get_absolute_url())
    assert response.status_code == 200
    assert "Chabanière" in response.content.decode()


@pytest.mark.django_db
def test_territory_page_lists_its_visible_experiences_parents_and_epci(client, content, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        response = client.get(content["commune"].get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "Tiers-lieu public 3" in body
    assert "CC des Vallons du Lyonnais" in body
    assert "Rhône" in body
    assert "canari" not in body


@pytest.mark.django_db
def test_epci_page_lists_its_member_communes(client, content):
    body = client.get(content["epci"].get_absolute_url()).content.decode()
    assert "Chabanière" in body


@pytest.mark.django_db
def test_organisation_page_lists_only_visible_experiences(client, content, org_a):
    org = OrganisationFactory(name="Mairie de Chabanière", slug="mairie-chabaniere")
    for exp in (content["public"][0], content["secret"]):
        exp.actor_links.create(organisation=org, role="lead")
    body = client.get(org.get_absolute_url()).content.decode()
    assert "Tiers-lieu public 0" in body
    assert "canari" not in body
