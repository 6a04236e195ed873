import datetime

import pytest
from django.utils import timezone

from partnerships.models import Milestone, Partnership
from tests.factories import (
    DeliverableFactory,
    OrganisationFactory,
    PartnershipFactory,
    PartnershipFundingFactory,
    PartnershipPartyFactory,
    TerritoryFactory,
)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def world(db, org_a, org_b):
    """Public, members-only, confidential-to-A and confidential-to-B partnerships."""
    made = {
        "public": PartnershipFactory(title="Public", visibility=Partnership.Visibility.PUBLIC),
        "members": PartnershipFactory(title="Membres", visibility=Partnership.Visibility.MEMBERS),
        "conf_a": PartnershipFactory(title="Confidentiel A", visibility=Partnership.Visibility.CONFIDENTIAL),
        "conf_b": PartnershipFactory(title="Confidentiel B", visibility=Partnership.Visibility.CONFIDENTIAL),
    }
    PartnershipPartyFactory(partnership=made["conf_a"], organisation=org_a, role="beneficiary")
    PartnershipPartyFactory(partnership=made["conf_b"], organisation=org_b, role="lead")
    return made


@pytest.fixture
def kampti(db):
    """A decentralised cooperation between a French agglomeration and Kampti (Burkina Faso)."""
    roissy = TerritoryFactory(
        kind="epci",
        subkind="CA",
        code="200055655",
        name="CA Roissy Pays de France",
        slug="ca-roissy",
        latitude=49.0,
        longitude=2.5,
    )
    kampti = TerritoryFactory(
        kind="other", country="BF", code="BF-KAMPTI", name="Kampti", slug="kampti", latitude=10.13, longitude=-3.45
    )
    lead = OrganisationFactory(name="Roissy Pays de France", slug="roissy-pays-de-france")
    partner = OrganisationFactory(name="Commune de Kampti", slug="commune-de-kampti", country="BF")
    p = PartnershipFactory(
        title="Coopération Roissy – Kampti",
        slug="roissy-kampti",
        kind=Partnership.Kind.DECENTRALISED_COOPERATION,
        start_date=datetime.date(1998, 1, 1),
        description="Programme de développement local.",
    )
    p.territories.set([roissy, kampti])
    PartnershipPartyFactory(partnership=p, organisation=lead, role="lead")
    PartnershipPartyFactory(partnership=p, organisation=partner, role="partner")
    for year, amount in ((2024, 90000), (2025, 95000)):
        PartnershipFundingFactory(partnership=p, funder=lead, year=year, amount=amount, received=year == 2024)
    DeliverableFactory(
        partnership=p,
        title="Ouvrage des 20 ans",
        due_date=datetime.date(2018, 10, 31),
        status="delivered",
        delivered_on=datetime.date(2018, 10, 31),
    )
    DeliverableFactory(
        partnership=p, title="Rapport annuel", due_date=timezone.localdate() + datetime.timedelta(days=10)
    )
    Milestone.objects.create(partnership=p, date=datetime.date(2018, 10, 13), title="Vingt ans du jumelage")
    return p
