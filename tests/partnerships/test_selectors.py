"""Read use cases: funding totals, dashboard boundaries, facets, the cooperation map."""

import datetime
from decimal import Decimal

import pytest

from partnerships import selectors
from partnerships.models import Partnership
from territories.models import Territory
from tests.factories import (
    DeliverableFactory,
    OrganisationFactory,
    PartnershipFactory,
    PartnershipFundingFactory,
    PartnershipPartyFactory,
    TerritoryFactory,
)

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


# --- Funding totals ---------------------------------------------------------------


def test_funding_table_sums_by_funder_and_by_year_in_one_query(django_assert_num_queries):
    p = PartnershipFactory()
    pau = OrganisationFactory(name="Ville de Pau")
    agglo = OrganisationFactory(name="Agglomération")
    for year in (2011, 2012, 2013):
        PartnershipFundingFactory(partnership=p, funder=pau, year=year, amount=5000, received=year < 2013)
    PartnershipFundingFactory(partnership=p, funder=agglo, year=2012, amount=2500)
    PartnershipFundingFactory(partnership=p, funder=agglo, year=2012, amount=500)  # two lines, same cell
    with django_assert_num_queries(1):
        (table,) = selectors.funding_tables(partnership=p)
    assert table.currency == "EUR"
    assert table.years == [2011, 2012, 2013]
    rows = {row.funder_name: row for row in table.rows}
    assert rows["Ville de Pau"].cells == [5000, 5000, 5000]
    assert rows["Ville de Pau"].total == 15000
    assert rows["Agglomération"].cells == [None, 3000, None]
    assert table.year_totals == [5000, 8000, 5000]
    assert table.total == Decimal(18000)
    assert table.received == Decimal(10000)
    assert table.outstanding == Decimal(8000)


def test_funding_in_two_currencies_is_never_added_together():
    p = PartnershipFactory()
    funder = OrganisationFactory()
    PartnershipFundingFactory(partnership=p, funder=funder, year=2024, amount=1000, currency="EUR")
    PartnershipFundingFactory(partnership=p, funder=funder, year=2024, amount=650000, currency="XOF")
    tables = {t.currency: t.total for t in selectors.funding_tables(partnership=p)}
    assert tables == {"EUR": 1000, "XOF": 650000}


def test_partnership_without_funding_has_no_table():
    assert selectors.funding_tables(partnership=PartnershipFactory()) == []


# --- Dashboard ------------------------------------------------------------------------


@pytest.fixture
def deliverables(today):
    p = PartnershipFactory()
    offsets = {"yesterday": -1, "today": 0, "in_30": 30, "in_31": 31, "long_ago": -400}
    made = {
        name: DeliverableFactory(partnership=p, title=name, due_date=today + n * DAY) for name, n in offsets.items()
    }
    made["delivered_late"] = DeliverableFactory(
        partnership=p, title="delivered_late", due_date=today - DAY, status="delivered", delivered_on=today
    )
    made["cancelled"] = DeliverableFactory(partnership=p, title="cancelled", due_date=today + DAY, status="cancelled")
    made["late_status"] = DeliverableFactory(
        partnership=p, title="late_status", due_date=today - 2 * DAY, status="late"
    )
    return made


def test_due_soon_runs_from_today_to_thirty_days_included(staff, today, deliverables):
    titles = [d.title for d in selectors.due_soon_deliverables(viewer=staff, today=today)]
    assert titles == ["today", "in_30"]


def test_overdue_starts_yesterday_and_skips_delivered_and_cancelled(staff, today, deliverables):
    titles = [d.title for d in selectors.overdue_deliverables(viewer=staff, today=today)]
    assert titles == ["long_ago", "late_status", "yesterday"]


def test_ending_soon_runs_from_today_to_ninety_days_included(staff, today):
    start = today - 400 * DAY
    for name, offset in {"ended_yesterday": -1, "ends_today": 0, "in_90": 90, "in_91": 91}.items():
        PartnershipFactory(title=name, start_date=start, end_date=today + offset * DAY)
    PartnershipFactory(title="open_ended", start_date=start, end_date=None)
    titles = [p.title for p in selectors.ending_soon_partnerships(viewer=staff, today=today)]
    assert titles == ["ends_today", "in_90"]


def test_funding_expected_counts_this_year_only_and_splits_received(staff, today):
    p = PartnershipFactory()
    PartnershipFundingFactory(partnership=p, year=today.year, amount=3000, received=True)
    PartnershipFundingFactory(partnership=p, year=today.year, amount=2000)
    PartnershipFundingFactory(partnership=p, year=today.year - 1, amount=99999)
    totals, lines = selectors.funding_expected(viewer=staff, year=today.year)
    assert [(t.currency, t.expected, t.received, t.outstanding) for t in totals] == [
        ("EUR", Decimal(5000), Decimal(3000), Decimal(2000))
    ]
    assert [line.received for line in lines] == [False, True]  # what is still expected comes first


def test_dashboard_in_a_handful_of_queries(staff, today, deliverables, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        board = selectors.dashboard(viewer=staff, today=today)
    assert len(board.overdue) == 3
    assert len(board.due_soon) == 2


def test_dashboard_of_a_member_holds_only_what_they_may_read(member, today, world):
    DeliverableFactory(partnership=world["conf_b"], due_date=today)
    DeliverableFactory(partnership=world["conf_a"], due_date=today)
    board = selectors.dashboard(viewer=member, today=today)
    assert [d.partnership.title for d in board.due_soon] == ["Confidentiel A"]


# --- Reminders to send --------------------------------------------------------------


def test_reminder_windows(today, deliverables):
    due, overdue = selectors.deliverables_to_remind(today=today)
    titles = {d.pk: d.title for d in deliverables.values()}
    assert [titles[pk] for pk in due] == ["today"]  # in_30 is past the 7-day lead
    # long_ago is past the 90-day window: no flood of reminders about old items.
    assert sorted(titles[pk] for pk in overdue) == ["late_status", "yesterday"]


def test_a_reminder_already_sent_is_not_listed_again(today):
    DeliverableFactory(due_date=today + 3 * DAY, reminder_sent_on=today - DAY)
    DeliverableFactory(due_date=today - 3 * DAY, overdue_reminder_sent_on=today - DAY)
    assert selectors.deliverables_to_remind(today=today) == ([], [])


# --- Facets ---------------------------------------------------------------------------


def test_facets_count_each_value_over_the_other_filters(staff):
    org = OrganisationFactory(name="Chaire OPTIMA", slug="optima")
    a = PartnershipFactory(kind=Partnership.Kind.RESEARCH_SPECIFIC)
    PartnershipFactory(kind=Partnership.Kind.RESEARCH_SPECIFIC)
    PartnershipFactory(kind=Partnership.Kind.TWINNING)
    PartnershipPartyFactory(partnership=a, organisation=org, role="lead")
    facets = selectors.partnership_facets(viewer=staff, params={"kind": "research_specific"})
    kinds = {f.value: (f.count, f.selected) for f in facets["kind"]}
    # The chosen type does not hide the count of the others…
    assert kinds == {"research_specific": (2, True), "twinning": (1, False)}
    # …but it narrows every other facet.
    assert [(f.value, f.count) for f in facets["party"]] == [("optima", 1)]


def test_facets_never_count_what_the_viewer_may_not_read(visitor, member, world):
    secret = OrganisationFactory(name="Partenaire secret", slug="secret")
    PartnershipPartyFactory(partnership=world["conf_b"], organisation=secret)
    for viewer, expected in ((visitor, 1), (member, 3)):
        facets = selectors.partnership_facets(viewer=viewer, params={})
        assert sum(f.count for f in facets["phase"]) == expected
        assert "secret" not in {f.value for f in facets["party"]}


def test_year_facet_counts_every_year_a_partnership_ran(staff):
    PartnershipFactory(start_date=datetime.date(2011, 1, 1), end_date=datetime.date(2013, 12, 31))
    PartnershipFactory(start_date=datetime.date(2013, 6, 1), end_date=datetime.date(2013, 9, 1))
    years = {f.value: f.count for f in selectors.partnership_facets(viewer=staff, params={})["year"]}
    assert years == {"2011": 1, "2012": 1, "2013": 2}


def test_facets_take_a_handful_of_queries(staff, kampti, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        selectors.partnership_facets(viewer=staff, params={"q": "Kampti", "country": "BF"})


# --- Cooperation map ---------------------------------------------------------------------


def test_map_joins_french_territories_to_foreign_ones(visitor, kampti):
    frame, entries = selectors.cooperation_map(viewer=visitor)
    names = {p.key: p.name for p in frame.points}
    assert sorted(names.values()) == ["CA Roissy Pays de France", "Kampti"]
    (arc,) = frame.arcs
    assert (names[arc.a], names[arc.b]) == ("CA Roissy Pays de France", "Kampti")
    assert arc.d.startswith("M") and " Q" in arc.d
    assert [e.partnership for e in entries] == [kampti]


def test_map_places_a_territory_without_coordinates_at_its_country_centre(visitor):
    namur = TerritoryFactory(kind="province", country="BE", code="90000", name="Province de Namur")
    bastia = TerritoryFactory(kind="epci", code="242000354", name="CA de Bastia", latitude=42.7, longitude=9.45)
    nowhere = TerritoryFactory(kind="other", country="ZZ", code="ZZ-1", name="Inconnu")
    p = PartnershipFactory(kind=Partnership.Kind.EUROPEAN_PROGRAMME)
    p.territories.set([namur, bastia, nowhere])
    frame, (entry,) = selectors.cooperation_map(viewer=visitor)
    assert {pt.name for pt in frame.points} == {"CA de Bastia", "Belgique"}
    assert entry.approximate == [namur]
    assert entry.unmapped == [nowhere]


def test_map_leaves_out_single_country_partnerships_that_are_not_cooperations(visitor):
    p = PartnershipFactory(kind=Partnership.Kind.RESEARCH_SPECIFIC)
    p.territories.set([TerritoryFactory(latitude=43.3, longitude=-0.37)])
    frame, entries = selectors.cooperation_map(viewer=visitor)
    assert entries == []
    assert frame.points == []


def test_map_hides_confidential_cooperations_from_visitors(visitor, kampti):
    kampti.visibility = Partnership.Visibility.CONFIDENTIAL
    kampti.save()
    frame, entries = selectors.cooperation_map(viewer=visitor)
    assert entries == [] and frame.points == []


def test_map_places_belgian_communes_of_the_reference_data_at_their_own_points(visitor, tmp_path):
    # The seeds' European programme: Assesse, Gesves and Ramillies used to be drawn
    # together "at the centre of Belgium"; the reference file now gives each its point.
    from tests.reference_data import imported

    codes = {"92006", "92054", "25122"}  # Assesse, Gesves, Ramillies
    with imported(lambda row: row["country"] == "BE" and row["code"] in codes, tmp_path):
        communes = list(Territory.objects.filter(country="BE", code__in=codes))
        bastia = TerritoryFactory(kind="epci", code="242000354", name="CA de Bastia", latitude=42.7, longitude=9.45)
        p = PartnershipFactory(kind=Partnership.Kind.EUROPEAN_PROGRAMME)
        p.territories.set([*communes, bastia])
        frame, (entry,) = selectors.cooperation_map(viewer=visitor)
    assert entry.approximate == [] and entry.unmapped == []
    points = {pt.name: pt for pt in frame.points}
    assert set(points) == {"Assesse", "Gesves", "Ramillies", "CA de Bastia"}
    belgian = [points[name] for name in ("Assesse", "Gesves", "Ramillies")]
    assert len({(pt.lat, pt.lon) for pt in belgian}) == 3
    assert all(50.3 < pt.lat < 50.8 and 4.7 < pt.lon < 5.2 for pt in belgian)  # around Namur, not Belgium's centre
