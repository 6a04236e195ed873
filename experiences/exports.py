"""Exports of a search result or a selection to CSV, XLSX and JSON.

Every export starts from `Experience.objects.visible_to(viewer)`; the columns
are those of `experiences.columns` that the viewer's role sees (editorial
columns for consultants only), written the way the import reads them back: an
export re-imported unchanged changes nothing. Formula neutralisation never alters
data: CSV cells that a spreadsheet would read as a formula get an apostrophe the
import removes again (`core.spreadsheet`); XLSX cells are typed strings, never
formulas, and need none; JSON holds the values as they are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from accounts.roles import Role, has_role
from core.spreadsheet import neutralise

from . import search
from .columns import COLUMNS, Column, ExportContext
from .models import Experience, SelectionItem

# Up to this many rows the file is built in the request; beyond, a Celery job.
SYNC_MAX_ROWS = 1_000
MAX_ROWS = 100_000
CHUNK = 500  # fiches read per query (with their relations prefetched)
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def columns_for(viewer) -> list[Column]:
    consultant = has_role(viewer, Role.CONSULTANT)
    return [c for c in COLUMNS if consultant or not c.consultant_only]


class ExportRows:
    """The fiches of an export, in order: their ids and the queryset they are read from."""

    def __init__(self, ids: list[int], queryset: QuerySet):
        self.ids = ids
        self.queryset = queryset

    def count(self) -> int:
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)


def export_queryset(*, viewer, params: Mapping[str, Any]) -> ExportRows:
    """The fiches of a search (its query-string parameters, through the search entry point, in
    the page's order), of a list of `ids`, or of the reader's selection (`selection=1`), always
    within what `viewer` may read."""
    base = Experience.objects.visible_to(viewer)
    query = QueryDict(mutable=True)
    for key, value in params.items():
        query.setlist(key, [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)])
    ids = [int(v) for v in query.getlist("ids") if str(v).isdigit()]
    if query.get("selection") and getattr(viewer, "is_authenticated", False):
        # The reader's kept selection; still intersected with what they may read.
        wanted = list(
            SelectionItem.objects.filter(user=viewer).order_by("added_at", "id").values_list("experience_id", flat=True)
        )
        ids = list(base.filter(pk__in=wanted).values_list("pk", flat=True))
        order = {pk: n for n, pk in enumerate(wanted)}
        ids.sort(key=order.__getitem__)
    elif ids:
        visible = set(base.filter(pk__in=ids).values_list("pk", flat=True))
        ids = [pk for pk in dict.fromkeys(ids) if pk in visible]
    else:
        for key in ("page", "page_size", "format"):
            query.pop(key, None)
        ids = search.search_ids(params=query, viewer=viewer, limit=MAX_ROWS + 1) or []
    return ExportRows(ids, base)


def _rows(rows: ExportRows, columns: list[Column], progress: Callable[[int], None] | None) -> Iterator[list[Any]]:
    ctx = ExportContext.build()
    queryset = rows.queryset.select_related("lead_territory", "client_organisation").prefetch_related(
        "themes", "tags", "territories", "sources"
    )
    n = 0
    for offset in range(0, len(rows.ids), CHUNK):
        chunk = rows.ids[offset : offset + CHUNK]
        by_id = {e.pk: e for e in queryset.filter(pk__in=chunk)}
        for pk in chunk:
            experience = by_id.get(pk)
            if experience is None:  # deleted or hidden since the ids were read
                continue
            n += 1
            yield [column.export(experience, ctx) for column in columns]
            if progress is not None and n % CHUNK == 0:
                progress(n)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return value


def write_csv(rows: Iterator[list[Any]], columns: list[Column]) -> bytes:
    # Semicolons and a BOM: what a French Excel opens correctly by double-click.
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.key for c in columns])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_cell(sheet, value: Any) -> WriteOnlyCell:
    if isinstance(value, str) or value is None:
        # Characters XML cannot hold (C0 controls) cannot be written; long texts never hold them.
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value or ""))
        # Set after the value: openpyxl guesses "f" (formula) for text starting with "=".
        # A typed string never runs, so the text stays exactly as written (no apostrophe).
        cell.data_type = "s"
        return cell
    cell = WriteOnlyCell(sheet, value=value)
    if hasattr(value, "isoformat"):
        cell.number_format = "yyyy-mm-dd"
    return cell


def write_xlsx(rows: Iterator[list[Any]], columns: list[Column]) -> bytes:
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
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _json_value(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if value is not None and not isinstance(value, str | int | float | bool):
        return str(value)
    return value


def write_json(rows: Iterator[list[Any]], columns: list[Column]) -> bytes:
    keys = [c.key for c in columns]
    items = [dict(zip(keys, map(_json_value, row), strict=True)) for row in rows]
    return json.dumps({"count": len(items), "experiences": items}, ensure_ascii=False, indent=1).encode("utf-8")


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "json": write_json}


def build_export(
    *, queryset: ExportRows | QuerySet, viewer, format: str, progress: Callable[[int], None] | None = None
) -> tuple[bytes, str]:
    """The file's bytes and its name."""
    if format not in WRITERS:
        raise ValueError(f"Unknown export format: {format}")
    columns = columns_for(viewer)
    if isinstance(queryset, QuerySet):  # fiches already chosen (an import's, in the benchmark)
        queryset = ExportRows(list(queryset.values_list("pk", flat=True)[:MAX_ROWS]), queryset)
    rows = ExportRows(queryset.ids[:MAX_ROWS], queryset.queryset)
    content = WRITERS[format](_rows(rows, columns, progress), columns)
    filename = f"periscope-experiences-{timezone.localtime():%Y%m%d-%H%M}.{format}"
    return content, filename
