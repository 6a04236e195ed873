"""Database constraints: they hold even for writes that skip the services."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from partnerships.models import Deliverable, Partnership, PartnershipDocument, PartnershipFunding
from tests.factories import OrganisationFactory, PartnershipFactory

pytestmark = pytest.mark.django_db


def _violates(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_end_date_before_start_date_is_refused_by_the_database():
    _violates(lambda: PartnershipFactory(start_date=datetime.date(2024, 1, 1), end_date=datetime.date(2023, 12, 31)))


def test_end_date_equal_to_start_date_is_allowed():
    p = PartnershipFactory(start_date=datetime.date(2024, 1, 1), end_date=datetime.date(2024, 1, 1))
    assert p.pk


def test_period_order_error_is_readable_in_full_clean():
    p = PartnershipFactory.build(start_date=datetime.date(2024, 1, 1), end_date=datetime.date(2023, 1, 1))
    with pytest.raises(ValidationError) as exc:
        p.full_clean()
    assert "La fin du partenariat ne peut précéder son début." in str(exc.value)


@pytest.mark.parametrize("currency", ["eur", "E1R", "", "€ "])
def test_malformed_currency_is_refused_by_the_database(currency):
    _violates(lambda: PartnershipFactory(currency=currency))


def test_malformed_currency_is_refused_by_full_clean():
    p = PartnershipFactory.build(currency="eu")
    with pytest.raises(ValidationError) as exc:
        p.full_clean()
    assert "currency" in exc.value.message_dict


def test_negative_funding_amount_is_refused_by_the_database():
    p = PartnershipFactory()
    funder = OrganisationFactory()
    _violates(lambda: PartnershipFunding.objects.create(partnership=p, funder=funder, year=2024, amount=Decimal("-1")))


def test_zero_funding_amount_is_allowed():
    line = PartnershipFunding.objects.create(
        partnership=PartnershipFactory(), funder=OrganisationFactory(), year=2024, amount=0
    )
    assert line.pk


def test_funding_currency_must_be_iso():
    p = PartnershipFactory()
    _violates(
        lambda: PartnershipFunding.objects.create(
            partnership=p, funder=OrganisationFactory(), year=2024, amount=10, currency="€"
        )
    )


def test_funding_year_out_of_range_is_refused():
    p = PartnershipFactory()
    _violates(
        lambda: PartnershipFunding.objects.create(partnership=p, funder=OrganisationFactory(), year=1800, amount=10)
    )


def test_delivered_deliverable_needs_a_delivery_date():
    p = PartnershipFactory()
    _violates(
        lambda: Deliverable.objects.create(
            partnership=p, title="Rapport", due_date=datetime.date(2024, 1, 1), status="delivered"
        )
    )


def test_document_needs_a_file_or_a_link():
    p = PartnershipFactory()
    _violates(lambda: PartnershipDocument.objects.create(partnership=p, title="Convention"))


def test_phase_is_computed_from_the_period_and_today(today):
    day = datetime.timedelta(days=1)
    assert PartnershipFactory(start_date=today + day).phase == Partnership.Phase.UPCOMING
    assert PartnershipFactory(start_date=today - 10 * day, end_date=today - day).phase == Partnership.Phase.ENDED
    assert PartnershipFactory(start_date=today, end_date=today).phase == Partnership.Phase.ACTIVE
    assert PartnershipFactory(start_date=today - 10 * day, end_date=None).phase == Partnership.Phase.ACTIVE


def test_phase_queryset_agrees_with_the_property(today):
    day = datetime.timedelta(days=1)
    PartnershipFactory(start_date=today + day)
    PartnershipFactory(start_date=today - 10 * day, end_date=today - day)
    PartnershipFactory(start_date=today, end_date=today)
    PartnershipFactory(start_date=today - 10 * day)
    for phase in Partnership.Phase.values:
        in_sql = set(Partnership.objects.in_phase(phase).values_list("pk", flat=True))
        in_python = {p.pk for p in Partnership.objects.all() if p.phase == phase}
        assert in_sql == in_python, phase
