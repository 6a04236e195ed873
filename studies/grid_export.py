"""Comparison grids exported to XLSX (one row per criterion, one column per fiche,
every cell a string: no formula can run) and to PDF (landscape, the report's grid
template): a study's grid, and the side-by-side comparison page."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font

from core import richtext
from core.pdf import render_pdf

from . import reports
from .templatetags.report_tags import colon, money, number, period

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Grid:
    title: str
    items: list[dict]  # {"number", "experience", "values": {criterion id: text}} as in a report snapshot
    criteria: list[dict]  # {"id", "name", "description"}


def study_grid(snapshot: dict) -> Grid:
    """The grid of a study's report: its criteria, its fiches (read as the snapshot's viewer)."""
    reports._localise(snapshot)
    return Grid(title=snapshot["study"]["title"], items=snapshot["items"], criteria=snapshot["criteria"])


def comparison_grid(experiences: list[dict], criteria_rows: list[tuple[dict, list[str]]], title: str) -> Grid:
    """The comparison page's rows (territory, population, period, budget…) then the study's criteria."""
    snapshot = {"study": {"team": []}, "items": [{"number": n, "experience": e} for n, e in enumerate(experiences, 1)]}
    reports._localise(snapshot)
    rows = [
        ("territory", _("Territoire"), lambda e: f"{e['territory']['label']} ({e['territory']['kind_label']})"),
        ("population", _("Population"), lambda e: number(e["territory"]["population"]) or "—"),
        ("period", _("Période"), lambda e: " · ".join(filter(None, [period(e), e["project_status_label"]]))),
        ("budget", _("Budget"), lambda e: money(e["budget_amount"], e["currency"]) or "—"),
        (
            "funding",
            _("Financements"),
            lambda e: "\n".join(
                f"{f['label'] or f['funder']}{colon()}{money(f['amount'], e['currency'])}" for f in e["funding"]
            ),
        ),
        ("themes", _("Thèmes"), lambda e: ", ".join(e["themes"])),
        ("actors", _("Acteurs"), lambda e: "\n".join(f"{a['name']} ({a['role_label']})" for a in e["actors"])),
        ("results", _("Résultats"), lambda e: richtext.to_excerpt(e["results"])),
        ("vigilance", _("Points de vigilance"), lambda e: richtext.to_excerpt(e["vigilance_points"])),
    ]
    criteria = [{"id": key, "name": name, "description": ""} for key, name, _f in rows]
    criteria += [{**c, "id": f"c{c['id']}"} for c, _values in criteria_rows]
    items = []
    for index, item in enumerate(snapshot["items"]):
        values = {key: text(item["experience"]) or "—" for key, _name, text in rows}
        values |= {f"c{c['id']}": vals[index] for c, vals in criteria_rows}
        items.append({**item, "values": values})
    return Grid(title=title, items=items, criteria=criteria)


def _cell(sheet, value, *, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", str(value or "")))
    cell.data_type = "s"  # a string, always: "=SUM(…)" typed in a cell stays text
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    if bold:
        cell.font = Font(bold=True)
    return cell


def grid_xlsx(grid: Grid) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Grille")[:31])
    sheet.column_dimensions["A"].width = 30
    for index in range(len(grid.items)):
        sheet.column_dimensions[chr(ord("B") + index)].width = 40
    header = [_cell(sheet, _("Critère"), bold=True)]
    header += [_cell(sheet, f"{i['number']:02d} {i['experience']['title']}", bold=True) for i in grid.items]
    sheet.append(header)
    for criterion in grid.criteria:
        row = [_cell(sheet, criterion["name"], bold=True)]
        row += [_cell(sheet, item["values"].get(str(criterion["id"]), "")) for item in grid.items]
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def grid_pdf(grid: Grid) -> bytes:
    html = render_to_string(
        "reports/grid.html",
        {
            "title": grid.title,
            "criteria": grid.criteria,
            "chunks": reports._chunks(grid.items, reports.GRID_COLUMNS),
            "chapters": {"grid": 1},
            "brand": reports.branding(),
            "generated_at": timezone.now(),
        },
    )
    return render_pdf(html).content
