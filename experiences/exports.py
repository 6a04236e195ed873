"""Exports of a search result or a selection to CSV, XLSX and JSON.

Every export starts from `Experience.objects.visible_to(viewer)`; the columns
are those the viewer's role sees (editorial columns for consultants only).
Text cells that a spreadsheet would read as a formula (=, +, -, @, tab,
carriage return first) are neutralised with a leading apostrophe, and XLSX
cells are written as strings, never as formulas. Column keys match the
import template, so an export can be edited and imported back.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from accounts.roles import Role, has_role

from .filtersets import ExperienceFilterSet
from .models import Experience, SelectionItem
from .richtext import html_to_text

# Up to this many rows the file is built in the request; beyond, a Celery job.
SYNC_MAX_ROWS = 1_000
MAX_ROWS = 100_000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def neutralise(value: str) -> str:
    """Make a text cell inert in spreadsheets (OWASP "CSV injection")."""
    if value and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


@dataclass(frozen=True)
class ExportColumn:
    key: str
    label: Any
    get: Callable[[Experience], Any]
    width: int = 18
    consultant_only: bool = False


def _join(items) -> str:
    return " ; ".join(items)


def _absolute(path: str) -> str:
    base = getattr(settings, "PORTAL_BASE_URL", "") or ""
    return base.rstrip("/") + path


COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("reference", _("Référence"), lambda e: e.external_ref or "", 16),
    ExportColumn("titre", _("Titre"), lambda e: e.title, 50),
    ExportColumn("territoire_nom", _("Territoire"), lambda e: e.lead_territory.name, 24),
    ExportColumn("territoire_code", _("Code du territoire"), lambda e: e.lead_territory.code, 12),
    ExportColumn("territoire_type", _("Type de territoire"), lambda e: e.lead_territory.kind, 12),
    ExportColumn("territoire_pays", _("Pays"), lambda e: e.lead_territory.country, 6),
    ExportColumn("population", _("Population"), lambda e: e.lead_territory.population, 12),
    ExportColumn("themes", _("Thèmes"), lambda e: _join(t.name for t in e.themes.all()), 30),
    ExportColumn("mots_cles", _("Mots-clés"), lambda e: _join(t.name for t in e.tags.all()), 30),
    ExportColumn("debut", _("Début"), lambda e: e.period_start, 12),
    ExportColumn("fin", _("Fin"), lambda e: e.period_end, 12),
    ExportColumn("etat_projet", _("État du projet"), lambda e: e.get_project_status_display(), 14),
    ExportColumn("budget", _("Budget"), lambda e: e.budget_amount, 14),
    ExportColumn("devise", _("Devise"), lambda e: e.currency, 8),
    ExportColumn("resume", _("Résumé"), lambda e: e.summary, 60),
    ExportColumn("resultats", _("Résultats"), lambda e: html_to_text(e.results), 60),
    ExportColumn("points_de_vigilance", _("Points de vigilance"), lambda e: html_to_text(e.vigilance_points), 60),
    ExportColumn("url", _("Adresse de la fiche"), lambda e: _absolute(e.get_absolute_url()), 40),
    ExportColumn("statut", _("Statut éditorial"), lambda e: e.get_status_display(), 14, consultant_only=True),
    ExportColumn("visibilite", _("Visibilité"), lambda e: e.get_visibility_display(), 14, consultant_only=True),
    ExportColumn("completude", _("Complétude (%)"), lambda e: e.completeness, 12, consultant_only=True),
)


def columns_for(viewer) -> list[ExportColumn]:
    consultant = has_role(viewer, Role.CONSULTANT)
    return [c for c in COLUMNS if consultant or not c.consultant_only]


def export_queryset(*, viewer, params: Mapping[str, Any]) -> QuerySet:
    """The fiches of a search (its query-string parameters), of a list of `ids`, or of the
    reader's selection (`selection=1`), always within what `viewer` may read."""
    base = Experience.objects.visible_to(viewer)
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query.setlist(key, [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)])
    ids = [int(v) for v in query.getlist("ids") if str(v).isdigit()]
    if query.get("selection") and getattr(viewer, "is_authenticated", False):
        # The reader's kept selection; still intersected with what they may read.
        queryset = base.filter(pk__in=SelectionItem.objects.filter(user=viewer).values("experience_id"))
    elif ids:
        queryset = base.filter(pk__in=ids)
    else:
        filterset = ExperienceFilterSet(query, queryset=base, request=SimpleNamespace(user=viewer))
        queryset = filterset.qs if filterset.is_valid() else base.none()
    return (
        queryset.select_related("lead_territory")
        .prefetch_related("themes", "tags")
        .order_by("-published_at", "-created_at", "pk")
    )


def _rows(
    queryset: QuerySet, columns: list[ExportColumn], progress: Callable[[int], None] | None
) -> Iterator[list[Any]]:
    for n, experience in enumerate(queryset.iterator(chunk_size=500), start=1):
        yield [column.get(experience) for column in columns]
        if progress is not None and n % 500 == 0:
            progress(n)


def _text_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    return value


def write_csv(rows: Iterator[list[Any]], columns: list[ExportColumn]) -> bytes:
    # Semicolons and a BOM: what a French Excel opens correctly by double-click.
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.key for c in columns])
    for row in rows:
        writer.writerow([_text_cell(v if not hasattr(v, "isoformat") else v.isoformat()) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(rows: Iterator[list[Any]], columns: list[ExportColumn]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("Expériences")))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.key)
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1D3557")
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str) or value is None:
                cell = WriteOnlyCell(sheet, value=neutralise(value or ""))
                # Set after the value: openpyxl guesses "f" (formula) for text starting with "=".
                cell.data_type = "s"
            else:
                cell = WriteOnlyCell(sheet, value=value)
                if hasattr(value, "isoformat"):
                    cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_json(rows: Iterator[list[Any]], columns: list[ExportColumn]) -> bytes:
    keys = [c.key for c in columns]

    def plain(value):
        if hasattr(value, "isoformat"):
            return value.isoformat()
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if value is not None and not isinstance(value, str | int | float | bool):
            return str(value)
        return value

    items = [dict(zip(keys, map(plain, row), strict=True)) for row in rows]
    return json.dumps({"count": len(items), "experiences": items}, ensure_ascii=False, indent=1).encode("utf-8")


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "json": write_json}


def build_export(
    *, queryset: QuerySet, viewer, format: str, progress: Callable[[int], None] | None = None
) -> tuple[bytes, str]:
    """The file's bytes and its name."""
    if format not in WRITERS:
        raise ValueError(f"Unknown export format: {format}")
    columns = columns_for(viewer)
    content = WRITERS[format](_rows(queryset[:MAX_ROWS], columns, progress), columns)
    filename = f"periscope-experiences-{timezone.localtime():%Y%m%d-%H%M}.{format}"
    return content, filename
