"""Writes go through the services: validation, history attribution, reminder re-arming."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from partnerships import services
from partnerships.models import Deliverable, Partnership
from tests.factories import DeliverableFactory, OrganisationFactory, PartnershipFactory, TerritoryFactory

pytestmark = pytest.mark.django_db


def test_create_validates_uppercases_currency_and_records_the_author(staff):
    territory = TerritoryFactory()
    p = services.partnership_create(
        by=staff,
        title="Jumelage Fosses – Kampti",
        kind=Partnership.Kind.TWINNING,
        start_date=datetime.date(2004, 5, 1),
        currency="xof",
        territories=[territory],
    )
    assert p.slug == "jumelage-fosses-kampti"
    assert p.currency == "XOF"
    assert list(p.territories.all()) == [territory]
    assert p.history.get().history_user == staff


def test_create_refuses_a_period_that_ends_before_it_starts(staff):
    with pytest.raises(ValidationError):
        services.partnership_create(
            by=staff,
            title="À l'envers",
            kind=Partnership.Kind.NETWORK,
            start_date=datetime.date(2024, 1, 1),
            end_date=datetime.date(2023, 1, 1),
        )
    assert not Partnership.objects.exists()


def test_slugs_are_unique_and_never_shadow_a_page_of_the_app(staff):
    first = services.partnership_create(by=staff, title="Carte", kind="network", start_date=datetime.date(2024, 1, 1))
    second = services.partnership_create(by=staff, title="Carte", kind="network", start_date=datetime.date(2024, 1, 1))
    assert first.slug == "carte-2"
    assert second.slug == "carte-3"


def test_update_records_a_history_row_with_the_changed_field(staff):
    p = PartnershipFactory(title="Avant")
    services.partnership_update(partnership=p, by=staff, data={"title": "Après"})
    latest = p.history.order_by("-history_date").first()
    assert latest.title == "Après"
    assert latest.history_user == staff


def test_update_refuses_unknown_fields(staff):
    with pytest.raises(ValueError):
        services.partnership_update(partnership=PartnershipFactory(), by=staff, data={"slug": "x"})


def test_negative_funding_is_refused_before_reaching_the_database(staff):
    with pytest.raises(ValidationError) as exc:
        services.funding_line_add(
            partnership=PartnershipFactory(), by=staff, funder=OrganisationFactory(), year=2024, amount=-5
        )
    assert "amount" in exc.value.message_dict


def test_funding_line_takes_the_partnership_currency_by_default(staff):
    p = PartnershipFactory(currency="XOF")
    line = services.funding_line_add(partnership=p, by=staff, funder=OrganisationFactory(), year=2024, amount="1500.50")
    assert line.currency == "XOF"
    assert str(line.amount) == "1500.50"


def test_marking_a_deliverable_delivered_dates_it_today(staff, today):
    d = DeliverableFactory()
    services.deliverable_update(deliverable=d, by=staff, data={"status": Deliverable.Status.DELIVERED})
    d.refresh_from_db()
    assert d.delivered_on == today


def test_moving_the_due_date_re_arms_both_reminders(staff, today):
    d = DeliverableFactory(reminder_sent_on=today, overdue_reminder_sent_on=today)
    services.deliverable_update(deliverable=d, by=staff, data={"title": "Nouveau titre"})
    d.refresh_from_db()
    assert d.reminder_sent_on == today  # untouched: the date did not move
    services.deliverable_update(deliverable=d, by=staff, data={"due_date": today + datetime.timedelta(days=40)})
    d.refresh_from_db()
    assert d.reminder_sent_on is None
    assert d.overdue_reminder_sent_on is None


def test_removing_a_party_is_kept_in_the_history(staff):
    p = PartnershipFactory()
    party = services.party_add(partnership=p, by=staff, organisation=OrganisationFactory(), role="funder")
    services.party_remove(party=party, by=staff)
    assert not p.parties.exists()
    assert [
        r.history_type for r in party.history.model.objects.filter(partnership_id=p.pk).order_by("history_date")
    ] == [
        "+",
        "-",
    ]
