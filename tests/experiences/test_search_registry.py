"""One test per filter of the search registry and FilterSet (as NetBox tests its filtersets).

Each test writes a fiche that matches and one that does not, then checks that
the FilterSet's `.qs` (what exports and other read paths use), the search page
and the API all return exactly the matching one.
"""

import datetime

import pytest
from django.http import QueryDict

from experiences import search
from experiences.filtersets import ExperienceFilterSet
from experiences.models import ExperienceOrganisation, Organisation
from experiences.search import engine, registry
from experiences.selectors import experience_search
from tests.experiences.search_helpers import fiche, make_geo, theme_tree
from tests.factories import OrganisationFactory, TagFactory, TerritoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def geo(db):
    return make_geo()


@pytest.fixture
def themes(db):
    return theme_tree()


def _ids_everywhere(client, viewer, query: str) -> tuple[set, set, set]:
    """(FilterSet .qs, search page, API) ids of one query string."""
    from types import SimpleNamespace

    from experiences.models import Experience

    params = QueryDict(query)
    filterset = ExperienceFilterSet(params, queryset=Experience.objects.all(), request=SimpleNamespace(user=viewer))
    assert filterset.is_valid(), filterset.errors
    qs_ids = set(filterset.qs.values_list("pk", flat=True))
    page_ids = {e.pk for e in experience_search(viewer=viewer, params=params).experiences}
    api = client.get("/api/v1/experiences/?" + query)
    assert api.status_code == 200, api.content
    api_ids = {hit["id"] for hit in api.json()["results"]}
    return qs_ids, page_ids, api_ids


def _agree(client, visitor, query: str, expected) -> None:
    qs_ids, page_ids, api_ids = _ids_everywhere(client, visitor, query)
    assert qs_ids == page_ids == api_ids == {e.pk for e in expected}, query


def _pair(**differences):
    """Two fiches differing by one attribute each: (kwargs of the match, kwargs of the other)."""
    return [fiche(**{"title": f"fiche {n}", **kwargs}) for n, kwargs in enumerate(differences.values())]


def test_every_registry_facet_is_a_filter_of_the_filterset_and_a_column_of_the_engine():
    for facet in registry.FACETS:
        assert facet.name in ExperienceFilterSet.base_filters
        assert engine.FACET_COLUMNS[facet.name] == (facet.column, facet.shape)
    assert set(ExperienceFilterSet.FACETS) == set(registry.NAMES)


def test_filter_theme(client, visitor, geo, themes):
    _innovation, tiers, _democratie, concertation = themes
    match, _other = _pair(a={"themes": [tiers]}, b={"themes": [concertation]})
    _agree(client, visitor, "theme=tiers-lieux", [match])


def test_filter_theme_includes_sub_themes(client, visitor, geo, themes):
    innovation, tiers, _democratie, concertation = themes
    match, _other = _pair(a={"themes": [tiers]}, b={"themes": [concertation]})
    _agree(client, visitor, f"theme={innovation.slug}", [match])


def test_filter_tag(client, visitor, geo):
    halle, gare = TagFactory(name="halle", slug="halle"), TagFactory(name="gare", slug="gare")
    match, _other = _pair(a={"tags": [halle]}, b={"tags": [gare]})
    _agree(client, visitor, "tag=halle", [match])


def test_filter_territory_kind(client, visitor, geo):
    match, _other = _pair(a={"lead_territory": geo.cc_vallons}, b={"lead_territory": geo.chabaniere})
    _agree(client, visitor, "territory_kind=epci", [match])


def test_filter_country(client, visitor, geo):
    gesves = TerritoryFactory(country="BE", code="92054", name="Gesves", slug="gesves")
    match, _other = _pair(a={"lead_territory": gesves}, b={"lead_territory": geo.chabaniere})
    _agree(client, visitor, "country=BE", [match])


def test_filter_region(client, visitor, geo):
    match, _other = _pair(a={"lead_territory": geo.chabaniere}, b={"lead_territory": geo.montpellier})
    _agree(client, visitor, "region=region-ara", [match])


def test_filter_department(client, visitor, geo):
    match, _other = _pair(a={"lead_territory": geo.chabaniere}, b={"lead_territory": geo.neighbour})
    _agree(client, visitor, "department=departement-rhone", [match])


def test_filter_epci_type(client, visitor, geo):
    match, _other = _pair(a={"lead_territory": geo.chabaniere}, b={"lead_territory": geo.lyon})
    assert match.search_epci_type == "CC"
    _agree(client, visitor, "epci_type=CC", [match])


def test_filter_population(client, visitor, geo):
    match, other = _pair(a={"lead_territory": geo.village}, b={"lead_territory": geo.lyon})
    assert match.search_population_band != other.search_population_band
    _agree(client, visitor, f"population={match.search_population_band}", [match])


def test_filter_density(client, visitor, geo):
    match, other = _pair(a={"lead_territory": geo.village}, b={"lead_territory": geo.lyon})
    assert match.search_density_class != other.search_density_class
    _agree(client, visitor, f"density={match.search_density_class}", [match])


def test_filter_year(client, visitor, geo):
    match, _other = _pair(a={"period_start": datetime.date(2019, 3, 1)}, b={"period_start": datetime.date(2023, 1, 1)})
    _agree(client, visitor, "year=2019", [match])


def test_filter_project_status(client, visitor, geo):
    match, _other = _pair(a={"project_status": "ongoing"}, b={"project_status": "completed"})
    _agree(client, visitor, "project_status=ongoing", [match])


def test_filter_budget(client, visitor, geo):
    match, other = _pair(a={"budget_amount": 5_000}, b={"budget_amount": 2_000_000})
    assert match.search_budget_band != other.search_budget_band
    _agree(client, visitor, f"budget={match.search_budget_band}", [match])


def test_filter_organisation_kind(client, visitor, geo):
    match, _other = _pair(a={}, b={})
    association = OrganisationFactory(kind=Organisation.Kind.ASSOCIATION)
    ExperienceOrganisation.objects.create(experience=match, organisation=association)
    search.refresh_search_fields([match.pk])
    _agree(client, visitor, f"organisation_kind={Organisation.Kind.ASSOCIATION}", [match])


def test_filter_language(client, visitor, geo):
    match, _other = _pair(a={"language": "en", "title": "A community shop"}, b={"language": "fr"})
    _agree(client, visitor, "language=en", [match])


def test_filter_text(client, visitor, geo):
    match, _other = _pair(a={"title": "Une halle ferroviaire"}, b={"title": "Un marché"})
    _agree(client, visitor, "q=halles", [match])


def test_filter_territory_takes_everything_inside_it(client, visitor, geo):
    match, _other = _pair(a={"lead_territory": geo.mornant}, b={"lead_territory": geo.neighbour})
    _agree(client, visitor, "territory=cc-vallons", [match])


def test_filter_status_for_staff(client, staff, geo):
    match, _other = _pair(a={"status": "draft"}, b={})
    client.force_login(staff)
    qs_ids, page_ids, api_ids = _ids_everywhere(client, staff, "status=draft")
    assert qs_ids == page_ids == api_ids == {match.pk}


def test_filter_comparable_band_applies_to_every_path(client, visitor, geo):
    # The FilterSet used to ignore `comparable` (exports gave 3 fiches where the page showed 1).
    near = fiche(title="bourg voisin", lead_territory=geo.mornant)
    fiche(title="métropole", lead_territory=geo.lyon)
    fiche(title="village", lead_territory=geo.village)
    _agree(client, visitor, "ref=chabaniere&comparable=1", [near])


def test_filter_sort_orders_without_filtering(client, visitor, geo):
    older = fiche(title="ancienne", published_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    newer = fiche(title="récente")
    _agree(client, visitor, "sort=newest", [older, newer])
    assert [e.pk for e in experience_search(viewer=visitor, params=QueryDict("sort=newest")).experiences] == [
        newer.pk,
        older.pk,
    ]


def test_the_language_facet_is_counted_labelled_and_offered_by_the_api(client, visitor, geo):
    fiche(title="A community shop", language="en")
    fiche(title="Une épicerie", language="fr")
    fiche(title="Une halle", language="fr")
    result = experience_search(viewer=visitor, params=QueryDict("q=épicerie OR shop OR halle"))
    language = next(f for f in result.facets if f.name == "language")
    assert str(language.label) == "Langue de la fiche"
    assert [(v.value, v.label, v.count) for v in language.values] == [("fr", "Français", 2), ("en", "Anglais", 1)]
    facets = client.get("/api/v1/experiences/?language=en").json()["facets"]
    assert [(v["value"], v["count"], v["selected"]) for v in facets["language"]] == [
        ("fr", 2, False),
        ("en", 1, True),
    ]


def test_the_filterset_qs_searches_as_its_reader(consultant, geo):
    from experiences.selectors import experience_list

    members_only = fiche(title="Une halle", visibility="members")
    draft = fiche(title="Une halle en projet", status="draft")
    assert set(experience_list(viewer=consultant, params={"q": "halle"}).qs) == {members_only, draft}
