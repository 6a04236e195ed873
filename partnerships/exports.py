"""CSV and XLSX exports of a (filtered, visible) list of partnerships.

Spreadsheet programs run a cell that starts with = + - @ (or a tab / carriage
return that precedes one) as a formula: a title like `=HYPERLINK(...)` typed by
anyone who can edit a record would run on the reader's machine (CSV/formula
injection, OWASP). In CSV such a cell gets an apostrophe (`core.spreadsheet`, the
rule the fiche exports follow); XLSX cells are typed strings, which never run.
Numbers and dates are written as such.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core.spreadsheet import neutralise

from .geo import country_name
from .models import Deliverable, PartnershipFunding

Cell = str | int | Decimal | datetime.date | None


def export_queryset(queryset):
    """The queryset with the figures an export needs, computed in SQL (no query per row)."""
    funding = (
        PartnershipFunding.objects.filter(partnership=OuterRef("pk"), currency=OuterRef("currency"))
        .order_by()
        .values("partnership")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    today = timezone.localdate()
    deliverables = (
        Deliverable.objects.filter(partnership=OuterRef("pk"))
        .order_by()
        .values("partnership")
        .annotate(
            n=Count("pk"),
        )
        .values("n")
    )
    open_deliverables = (
        Deliverable.objects.open()
        .filter(partnership=OuterRef("pk"))
        .order_by()
        .values("partnership")
        .annotate(n=Count("pk", filter=Q(due_date__lt=today)))
        .values("n")
    )
    return queryset.annotate(
        funding_total=Coalesce(
            Subquery(funding), Decimal(0), output_field=DecimalField(max_digits=16, decimal_places=2)
        ),
        deliverable_count=Coalesce(Subquery(deliverables), 0),
        overdue_count=Coalesce(Subquery(open_deliverables), 0),
    )


def header() -> list[str]:
    return [
        _("Intitulé"),
        _("Type"),
        _("État"),
        _("Début"),
        _("Fin"),
        _("Visibilité"),
        _("Parties (rôle)"),
        _("Territoires"),
        _("Pays"),
        _("Financement total"),
        _("Devise"),
        _("Livrables"),
        _("Livrables en retard"),
        _("Adresse"),
    ]


def rows(queryset, *, base_url: str = "") -> Iterator[list[Cell]]:
    """One row per partnership; `queryset` must come from `export_queryset` with list relations."""
    for p in queryset:
        parties = [f"{party.organisation.name} ({party.get_role_display()})" for party in p.parties.all()]
        territories = list(p.territories.all())
        countries = sorted({t.country for t in territories})
        yield [
            p.title,
            p.get_kind_display(),
            p.get_phase_display(),
            p.start_date,
            p.end_date,
            p.get_visibility_display(),
            "; ".join(parties),
            "; ".join(t.name for t in territories),
            "; ".join(country_name(c) for c in countries),
            p.funding_total,
            p.currency,
            p.deliverable_count,
            p.overdue_count,
            base_url + p.get_absolute_url(),
        ]


def _plain(value):
    """Lazy translations and other str-like values become plain str."""
    if value is None or isinstance(value, str | int | Decimal | datetime.date):
        return value
    return str(value)


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def to_csv(data: Iterable[list[Cell]]) -> bytes:
    """UTF-8 with a BOM and semicolons: what French spreadsheet programs open without an import dialog."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(str(h)) for h in header()])
    for row in data:
        writer.writerow([_text(_plain(v)) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(data: Iterable[list[Cell]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Partenariats")[:31])
    bold = Font(bold=True)

    def cell(value: Cell, *, font=None) -> WriteOnlyCell:
        if isinstance(value, str):
            c = WriteOnlyCell(sheet, value=value)
            c.data_type = "s"  # a typed string: never a formula, so no apostrophe either
        else:
            c = WriteOnlyCell(sheet, value=value)
            if isinstance(value, datetime.date):
                c.number_format = "DD/MM/YYYY"
            elif isinstance(value, Decimal):
                c.number_format = "#,##0.00"
        if font:
            c.font = font
        return c

    sheet.append([cell(str(h), font=bold) for h in header()])
    for row in data:
        sheet.append([cell(_plain(v)) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
