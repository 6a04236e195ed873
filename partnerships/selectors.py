"""Read use cases for partnerships. Every one starts from `visible_to(viewer)`."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.db.models import Count, Prefetch, Q, Sum
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext

from accounts.roles import Role, role_of
from core.fields import RichTextField
from core.richtext import to_text
from experiences.models import Experience
from studies.models import Study

from . import charts
from .filtersets import YEAR_MAX, YEAR_MIN, PartnershipFilterSet
from .geo import COUNTRY_CENTROIDS, country_name
from .models import Deliverable, Milestone, Partnership, PartnershipDocument, PartnershipFunding, PartnershipParty

DUE_SOON_DAYS = 30
ENDING_SOON_DAYS = 90
# Reminders: one e-mail this many days before the due date, one after it has passed.
REMINDER_LEAD_DAYS = 7
# Deliverables overdue for longer than this get no first reminder (no flood of
# e-mails about years-old items when the feature is switched on).
OVERDUE_REMINDER_WINDOW_DAYS = 90
MAP_KINDS = (Partnership.Kind.DECENTRALISED_COOPERATION, Partnership.Kind.TWINNING)


# --- List, facets ------------------------------------------------------------------


def partnership_list(*, viewer, params: Mapping[str, Any] | None = None) -> PartnershipFilterSet:
    """Filtered, visible partnerships ready for the list page, the API list or an export."""
    base = Partnership.objects.visible_to(viewer).with_list_relations()
    return PartnershipFilterSet(params or {}, queryset=base)


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


FACETS = ("kind", "phase", "party", "funder", "territory", "country", "year")


def _without(params: Mapping[str, Any], *names: str) -> QueryDict:
    copy = params.copy() if isinstance(params, QueryDict) else QueryDict(mutable=True)
    if not isinstance(params, QueryDict):
        for key, value in params.items():
            copy[key] = value
    for name in (*names, "page", "sort"):
        copy.pop(name, None)
    return copy


def partnership_facets(*, viewer, params: Mapping[str, Any]) -> dict[str, list[FacetValue]]:
    """Counts for each facet value, one SQL query per facet.

    Each facet is counted over the results filtered by every *other* facet, so
    choosing a type still shows how many partnerships the other types hold.
    """
    base = Partnership.objects.visible_to(viewer)
    facets: dict[str, list[FacetValue]] = {}
    for name in FACETS:
        others = _without(params, name, "role") if name == "party" else _without(params, name)
        ids = PartnershipFilterSet(others, queryset=base).qs.order_by().values("pk")
        selected = str(params.get(name) or "")
        values = [
            FacetValue(value=str(v), label=str(label), count=n, selected=str(v) == selected)
            for v, label, n in _FACET_COUNTERS[name](ids)
        ]
        if selected and not any(v.selected for v in values):
            # Keep the active choice on screen even when it matches nothing (or is past the top values).
            values.append(FacetValue(value=selected, label=selected, count=0, selected=True))
        facets[name] = values
    return facets


def _kind_counts(ids):
    counts = dict(
        Partnership.objects.filter(pk__in=ids)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    return [(k, label, counts[k]) for k, label in Partnership.Kind.choices if counts.get(k)]


def _phase_counts(ids):
    today = timezone.localdate()
    counts = Partnership.objects.filter(pk__in=ids).aggregate(
        upcoming=Count("pk", filter=Q(start_date__gt=today)),
        ended=Count("pk", filter=Q(end_date__lt=today)),
        active=Count("pk", filter=Q(start_date__lte=today) & (Q(end_date__isnull=True) | Q(end_date__gte=today))),
    )
    return [(p, label, counts[p]) for p, label in Partnership.Phase.choices if counts[p]]


def _org_counts(model, org_field: str, ids, limit: int = 40):
    rows = (
        model.objects.filter(partnership__in=ids)
        .order_by()
        .values_list(f"{org_field}__slug", f"{org_field}__name")
        .annotate(n=Count("partnership", distinct=True))
        .order_by("-n", f"{org_field}__name")[:limit]
    )
    return [(slug, name, n) for slug, name, n in rows]


def _party_counts(ids):
    return _org_counts(PartnershipParty, "organisation", ids)


def _funder_counts(ids):
    return _org_counts(PartnershipFunding, "funder", ids)


def _territory_counts(ids, limit: int = 40):
    through = Partnership.territories.through
    rows = (
        through.objects.filter(partnership__in=ids)
        .order_by()
        .values_list("territory__slug", "territory__name", "territory__country")
        .annotate(n=Count("partnership", distinct=True))
        .order_by("-n", "territory__name")[:limit]
    )
    return [(slug, name if country == "FR" else f"{name} ({country})", n) for slug, name, country, n in rows]


def _country_counts(ids):
    through = Partnership.territories.through
    rows = (
        through.objects.filter(partnership__in=ids)
        .order_by()
        .values_list("territory__country")
        .annotate(n=Count("partnership", distinct=True))
        .order_by("-n", "territory__country")
    )
    return [(code, country_name(code), n) for code, n in rows]


def _year_counts(ids):
    """Years in which partnerships were running; ongoing ones count up to this year."""
    this_year = timezone.localdate().year
    counter: Counter[int] = Counter()
    for start, end in Partnership.objects.filter(pk__in=ids).values_list("start_date", "end_date"):
        last = end.year if end else max(this_year, start.year)
        counter.update(range(max(start.year, YEAR_MIN), min(last, YEAR_MAX) + 1))
    return [(year, str(year), counter[year]) for year in sorted(counter, reverse=True)]


_FACET_COUNTERS = {
    "kind": _kind_counts,
    "phase": _phase_counts,
    "party": _party_counts,
    "funder": _funder_counts,
    "territory": _territory_counts,
    "country": _country_counts,
    "year": _year_counts,
}


# --- Funding --------------------------------------------------------------------


@dataclass
class FundingRow:
    funder_name: str
    funder_slug: str
    cells: list[Decimal | None]
    total: Decimal


@dataclass
class FundingTable:
    """Funding of one partnership in one currency: funders × years, with totals."""

    currency: str
    years: list[int]
    rows: list[FundingRow]
    year_totals: list[Decimal]
    total: Decimal
    received: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.total - self.received


def funding_tables(*, partnership: Partnership) -> list[FundingTable]:
    """The funder × year matrix and its totals, from one grouped SQL query (one table per currency)."""
    rows = (
        PartnershipFunding.objects.filter(partnership=partnership)
        .order_by()
        .values("currency", "funder__slug", "funder__name", "year")
        .annotate(total=Sum("amount"), received_total=Sum("amount", filter=Q(received=True)))
        .order_by("currency", "funder__name", "year")
    )
    matrix: dict[str, dict[tuple[str, str], dict[int, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    received: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        matrix[row["currency"]][(row["funder__name"], row["funder__slug"])][row["year"]] = row["total"]
        received[row["currency"]] += row["received_total"] or Decimal(0)
    tables = []
    for currency, by_funder in matrix.items():
        years = sorted({year for cells in by_funder.values() for year in cells})
        table_rows = [
            FundingRow(
                funder_name=name,
                funder_slug=slug,
                cells=[cells.get(year) for year in years],
                total=sum(cells.values(), Decimal(0)),
            )
            for (name, slug), cells in by_funder.items()
        ]
        year_totals = [sum((cells.get(y, Decimal(0)) for cells in by_funder.values()), Decimal(0)) for y in years]
        tables.append(
            FundingTable(
                currency=currency,
                years=years,
                rows=table_rows,
                year_totals=year_totals,
                total=sum(year_totals, Decimal(0)),
                received=received[currency],
            )
        )
    return tables


# --- Detail ---------------------------------------------------------------------


@dataclass
class HistoryEntry:
    date: datetime.datetime
    user: str
    action: str
    subject: str
    fields: list[str]


@dataclass
class PartnershipDetail:
    partnership: Partnership
    parties: list[PartnershipParty]
    territories: list
    deliverables: list[Deliverable]
    milestones: list[Milestone]
    documents: list[PartnershipDocument]
    funding: list[FundingTable]
    studies: list[Study]
    experiences: list[Experience]
    timeline: charts.Timeline
    can_edit: bool
    history: list[HistoryEntry] = field(default_factory=list)


def visible_partnership(*, viewer, slug: str) -> Partnership:
    """One visible partnership (404 otherwise), without its relations."""
    return get_object_or_404(Partnership.objects.visible_to(viewer), slug=slug)


def partnership_detail(*, viewer, slug: str) -> PartnershipDetail:
    """Everything the partnership page shows. Linked studies and experiences go through
    their own `visible_to(viewer)`: a public partnership may cite a confidential study."""
    partnership = get_object_or_404(
        Partnership.objects.visible_to(viewer)
        .select_related("manager")
        .prefetch_related(
            Partnership.objects.parties_prefetch(),
            Prefetch("territories", queryset=_territories_queryset()),
            "deliverables",
            "milestones",
            "documents",
        ),
        slug=slug,
    )
    studies, experiences = partnership_links(viewer=viewer, partnership=partnership)
    deliverables = list(partnership.deliverables.all())
    milestones = list(partnership.milestones.all())
    today = timezone.localdate()
    timeline = charts.build_timeline(
        start=partnership.start_date,
        end=partnership.end_date,
        milestones=[(m.date, m.title) for m in milestones],
        deliverables=[
            (d.due_date, d.title, "overdue" if d.is_overdue else d.status, d.get_status_display()) for d in deliverables
        ],
        today=today,
    )
    is_staff = role_of(viewer) == Role.STAFF
    return PartnershipDetail(
        partnership=partnership,
        parties=list(partnership.parties.all()),
        territories=list(partnership.territories.all()),
        deliverables=deliverables,
        milestones=milestones,
        documents=list(partnership.documents.all()),
        funding=funding_tables(partnership=partnership),
        studies=studies,
        experiences=experiences,
        timeline=timeline,
        can_edit=is_staff,
        history=partnership_history(partnership=partnership) if is_staff else [],
    )


def partnership_links(*, viewer, partnership: Partnership) -> tuple[list[Study], list[Experience]]:
    """Linked studies and experiences, each through its own visibility rule (one query each)."""
    studies = list(
        Study.objects.visible_to(viewer)
        .filter(partnerships=partnership)
        .select_related("client_organisation")
        .order_by("title")
    )
    experiences = list(
        Experience.objects.visible_to(viewer)
        .filter(partnerships=partnership)
        .select_related("lead_territory")
        .order_by("title")
    )
    return studies, experiences


def _territories_queryset():
    from territories.models import Territory

    return Territory.objects.select_related("parent").order_by("country", "name")


def partnership_history(*, partnership: Partnership, limit: int = 25) -> list[HistoryEntry]:
    """Latest changes to the partnership and its parts, newest first, in one query per history table.

    Diffs are computed in Python between consecutive versions of each object,
    because simple_history's `prev_record` costs a query per record.
    """
    sources = [
        (partnership.history.model.objects.filter(id=partnership.pk), _partnership_subject),
        (PartnershipParty.history.model.objects.filter(partnership_id=partnership.pk), _party_subject),
        (PartnershipFunding.history.model.objects.filter(partnership_id=partnership.pk), _funding_subject),
        (Deliverable.history.model.objects.filter(partnership_id=partnership.pk), _deliverable_subject),
        (Milestone.history.model.objects.filter(partnership_id=partnership.pk), _milestone_subject),
        (PartnershipDocument.history.model.objects.filter(partnership_id=partnership.pk), _document_subject),
    ]
    actions = {"+": gettext("création"), "~": gettext("modification"), "-": gettext("suppression")}
    entries: list[HistoryEntry] = []
    for queryset, subject in sources:
        records = list(queryset.select_related("history_user").order_by("id", "history_date", "history_id")[:500])
        model = queryset.model.instance_type
        tracked = [
            f
            for f in model._meta.concrete_fields
            if f.name not in ("id", "created_at", "updated_at", "reminder_sent_on", "overdue_reminder_sent_on")
        ]
        previous: dict[int, Any] = {}
        for record in records:
            before = previous.get(record.id)
            changed = []
            if record.history_type == "~" and before is not None:
                changed = [str(f.verbose_name) for f in tracked if _compared(f, before) != _compared(f, record)]
                if not changed:
                    previous[record.id] = record
                    continue
            previous[record.id] = record
            entries.append(
                HistoryEntry(
                    date=record.history_date,
                    user=str(record.history_user) if record.history_user else "",
                    action=str(actions.get(record.history_type, record.history_type)),
                    subject=subject(record),
                    fields=changed,
                )
            )
    entries.sort(key=lambda e: e.date, reverse=True)
    return entries[:limit]


def _compared(field, record):
    """What a change is measured on: the text of a long text (not its markup), the value otherwise."""
    value = getattr(record, field.attname, None)
    return to_text(value) if isinstance(field, RichTextField) else value


def _partnership_subject(record) -> str:  # noqa: ARG001 - same signature as the others
    return gettext("Partenariat")


def _party_subject(record) -> str:
    return gettext("Partie (organisation n° %(id)s, %(role)s)") % {
        "id": record.organisation_id,
        "role": PartnershipParty.Role(record.role).label
        if record.role in PartnershipParty.Role.values
        else record.role,
    }


def _funding_subject(record) -> str:
    return gettext("Financement %(year)s : %(amount)s %(currency)s") % {
        "year": record.year,
        "amount": record.amount,
        "currency": record.currency,
    }


def _deliverable_subject(record) -> str:
    return gettext("Livrable « %(title)s »") % {"title": record.title}


def _milestone_subject(record) -> str:
    return gettext("Jalon « %(title)s »") % {"title": record.title}


def _document_subject(record) -> str:
    return gettext("Document « %(title)s »") % {"title": record.title}


# --- Staff dashboard ----------------------------------------------------------------


@dataclass
class FundingYear:
    currency: str
    expected: Decimal
    received: Decimal

    @property
    def outstanding(self) -> Decimal:
        return self.expected - self.received


@dataclass
class Dashboard:
    today: datetime.date
    due_soon: list[Deliverable]
    overdue: list[Deliverable]
    funding_year: int
    funding_totals: list[FundingYear]
    funding_lines: list[PartnershipFunding]
    ending_soon: list[Partnership]


def due_soon_deliverables(*, viewer, today: datetime.date):
    """Open deliverables due from today to today + 30 days, both included."""
    return (
        Deliverable.objects.visible_to(viewer)
        .open()
        .filter(due_date__gte=today, due_date__lte=today + datetime.timedelta(days=DUE_SOON_DAYS))
        .select_related("partnership")
        .order_by("due_date", "id")
    )


def overdue_deliverables(*, viewer, today: datetime.date):
    """Open deliverables whose due date has passed (due today is not overdue)."""
    return (
        Deliverable.objects.visible_to(viewer)
        .open()
        .filter(due_date__lt=today)
        .select_related("partnership")
        .order_by("due_date", "id")
    )


def ending_soon_partnerships(*, viewer, today: datetime.date):
    """Partnerships ending from today to today + 90 days, both included."""
    return (
        Partnership.objects.visible_to(viewer)
        .filter(end_date__gte=today, end_date__lte=today + datetime.timedelta(days=ENDING_SOON_DAYS))
        .order_by("end_date", "title")
    )


def funding_expected(*, viewer, year: int) -> tuple[list[FundingYear], list[PartnershipFunding]]:
    """Totals expected and received for a year, per currency (one query), and the lines (one query)."""
    lines = PartnershipFunding.objects.visible_to(viewer).filter(year=year)
    totals = [
        FundingYear(currency=row["currency"], expected=row["expected"], received=row["received_total"] or Decimal(0))
        for row in lines.order_by()
        .values("currency")
        .annotate(expected=Sum("amount"), received_total=Sum("amount", filter=Q(received=True)))
        .order_by("currency")
    ]
    return totals, list(lines.select_related("partnership", "funder").order_by("received", "partnership__title", "id"))


def dashboard(*, viewer, today: datetime.date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    totals, lines = funding_expected(viewer=viewer, year=today.year)
    return Dashboard(
        today=today,
        due_soon=list(due_soon_deliverables(viewer=viewer, today=today)),
        overdue=list(overdue_deliverables(viewer=viewer, today=today)),
        funding_year=today.year,
        funding_totals=totals,
        funding_lines=lines,
        ending_soon=list(ending_soon_partnerships(viewer=viewer, today=today)),
    )


def deliverables_to_remind(*, today: datetime.date) -> tuple[list[int], list[int]]:
    """Deliverables whose "due soon" or "overdue" reminder has not been sent yet.

    System-wide (the recipients are staff), hence no viewer. The reminder
    service re-checks each row under a lock, so a stale list is harmless.
    """
    open_items = Deliverable.objects.open()
    due = open_items.filter(
        due_date__gte=today,
        due_date__lte=today + datetime.timedelta(days=REMINDER_LEAD_DAYS),
        reminder_sent_on__isnull=True,
    )
    overdue = open_items.filter(
        due_date__lt=today,
        due_date__gte=today - datetime.timedelta(days=OVERDUE_REMINDER_WINDOW_DAYS),
        overdue_reminder_sent_on__isnull=True,
    )
    return list(due.order_by("due_date").values_list("pk", flat=True)), list(
        overdue.order_by("due_date").values_list("pk", flat=True)
    )


# --- Cooperation map -------------------------------------------------------------------


@dataclass
class CooperationEntry:
    partnership: Partnership
    french: list  # territories drawn on the map, France first
    abroad: list
    approximate: list  # drawn at their country's centre
    unmapped: list  # neither coordinates nor a known country centre


def cooperation_map(*, viewer) -> tuple[charts.MapFrame, list[CooperationEntry]]:
    """Cooperations and twinnings, plus any partnership spanning several countries, as points and arcs.

    Arcs join each French territory to each foreign one; a partnership without
    a French side (or without a foreign one) is drawn as a chain of its places.
    A territory without coordinates (nor a parent with some) is drawn at its
    country's centre, one point per country.
    """
    partnerships = list(
        Partnership.objects.visible_to(viewer)
        .annotate(n_countries=Count("territories__country", distinct=True))
        .filter(Q(kind__in=MAP_KINDS) | Q(n_countries__gte=2))
        .prefetch_related(Prefetch("territories", queryset=_territories_queryset()))
        .order_by("-start_date", "title")
    )
    points: dict[str, charts.MapPoint] = {}
    arcs: dict[tuple[str, str], charts.MapArc] = {}
    entries = []
    for partnership in partnerships:
        entry = CooperationEntry(partnership=partnership, french=[], abroad=[], approximate=[], unmapped=[])
        keys: list[tuple[str, bool]] = []
        for territory in partnership.territories.all():
            coords = _coordinates(territory)
            key, name, url = f"t{territory.pk}", territory.name, territory.get_absolute_url()
            if coords is None and territory.country in COUNTRY_CENTROIDS:
                coords = COUNTRY_CENTROIDS[territory.country]
                key, name, url = f"c{territory.country}", country_name(territory.country), ""
                entry.approximate.append(territory)
            if coords is None:
                entry.unmapped.append(territory)
                continue
            is_france = territory.country == "FR"
            (entry.french if is_france else entry.abroad).append(territory)
            if (key, is_france) in keys:
                continue
            keys.append((key, is_france))
            point = points.get(key)
            if point is None:
                point = points[key] = charts.MapPoint(
                    key=key,
                    name=name,
                    country=territory.country,
                    url=url,
                    lat=coords[0],
                    lon=coords[1],
                    is_france=is_france,
                )
            point.partnerships += 1
        french = [k for k, fr in keys if fr]
        foreign = [k for k, fr in keys if not fr]
        pairs = [(a, b) for a in french for b in foreign] if french and foreign else list(pairwise(french or foreign))
        for a, b in pairs:
            arc = arcs.setdefault((a, b), charts.MapArc(a=a, b=b, kind=partnership.kind))
            arc.titles.append(partnership.title)
        entries.append(entry)
    frame = charts.build_map(points=list(points.values()), arcs=list(arcs.values()))
    return frame, entries


def _coordinates(territory) -> tuple[float, float] | None:
    """A territory's own point, else its parent's."""
    for place in (territory, territory.parent):
        if place is not None and place.latitude is not None and place.longitude is not None:
            return place.latitude, place.longitude
    return None
