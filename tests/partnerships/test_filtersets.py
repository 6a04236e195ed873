"""PartnershipFilterSet on its own: the HTML list, the API and the exports share it."""

import datetime

import pytest

from partnerships.filtersets import PartnershipFilterSet
from partnerships.models import Partnership
from tests.factories import (
    OrganisationFactory,
    PartnershipFactory,
    PartnershipFundingFactory,
    PartnershipPartyFactory,
    TerritoryFactory,
)

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def titles(params):
    return sorted(PartnershipFilterSet(params, queryset=Partnership.objects.all()).qs.values_list("title", flat=True))


@pytest.fixture
def data(today):
    pau = OrganisationFactory(name="Ville de Pau", slug="ville-de-pau")
    optima = OrganisationFactory(name="Chaire OPTIMA", slug="optima")
    bologna = TerritoryFactory(kind="other", country="IT", code="IT-BOLOGNA", name="Bologna", slug="bologna")
    brest = TerritoryFactory(name="Brest", slug="brest")
    chair = PartnershipFactory(
        title="Chaire Pau",
        kind=Partnership.Kind.RESEARCH_PRINCIPAL,
        description="Management public local",
        start_date=datetime.date(2011, 1, 1),
        end_date=datetime.date(2015, 12, 31),
    )
    PartnershipPartyFactory(partnership=chair, organisation=optima, role="lead")
    PartnershipPartyFactory(partnership=chair, organisation=pau, role="funder")
    PartnershipFundingFactory(partnership=chair, funder=pau, year=2011)
    PartnershipFundingFactory(partnership=chair, funder=pau, year=2012)  # two lines: still one result
    erasmus = PartnershipFactory(
        title="Erasmus gouvernance",
        kind=Partnership.Kind.EUROPEAN_PROGRAMME,
        start_date=datetime.date(2018, 9, 1),
        end_date=datetime.date(2020, 8, 31),
    )
    erasmus.territories.set([bologna, brest])
    PartnershipFactory(title="Réseau à venir", kind=Partnership.Kind.NETWORK, start_date=today + 30 * DAY)
    PartnershipFactory(title="Réseau en cours", kind=Partnership.Kind.NETWORK, start_date=today - 30 * DAY)


def test_kind(data):
    assert titles({"kind": "network"}) == ["Réseau en cours", "Réseau à venir"]


def test_phase(data):
    assert titles({"phase": "upcoming"}) == ["Réseau à venir"]
    assert titles({"phase": "active"}) == ["Réseau en cours"]
    assert titles({"phase": "ended"}) == ["Chaire Pau", "Erasmus gouvernance"]


def test_party_and_its_role(data):
    assert titles({"party": "ville-de-pau"}) == ["Chaire Pau"]
    assert titles({"party": "ville-de-pau", "role": "funder"}) == ["Chaire Pau"]
    assert titles({"party": "ville-de-pau", "role": "lead"}) == []


def test_funder_matches_once_whatever_the_number_of_lines(data):
    assert titles({"funder": "ville-de-pau"}) == ["Chaire Pau"]


def test_territory_and_country(data):
    assert titles({"territory": "bologna"}) == ["Erasmus gouvernance"]
    assert titles({"country": "it"}) == ["Erasmus gouvernance"]
    assert titles({"country": "FR"}) == ["Erasmus gouvernance"]


def test_year_means_running_during_that_year(data):
    assert titles({"year": 2013}) == ["Chaire Pau"]
    assert titles({"year": 2015}) == ["Chaire Pau"]
    assert titles({"year": 2016}) == []
    assert titles({"year": 2019}) == ["Erasmus gouvernance"]


def test_text_search_ignores_accents_and_reads_party_names(data):
    assert titles({"q": "MANAGEMENT"}) == ["Chaire Pau"]
    assert titles({"q": "reseau venir"}) == ["Réseau à venir"]
    assert titles({"q": "optima"}) == ["Chaire Pau"]


def test_invalid_year_is_reported_and_ignored(data):
    filterset = PartnershipFilterSet({"year": "1200"}, queryset=Partnership.objects.all())
    assert "year" in filterset.errors
    assert filterset.qs.count() == 4


def test_sort(data):
    qs = PartnershipFilterSet({"sort": "title"}, queryset=Partnership.objects.all()).qs
    assert next(iter(qs.values_list("title", flat=True))) == "Chaire Pau"
