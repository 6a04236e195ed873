"""The downloadable template: every column the import reads, documented on a second sheet."""

from __future__ import annotations

import csv
import io

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from ..columns import IMPORT_COLUMNS

TEMPLATE_COLUMNS = tuple(c for c in IMPORT_COLUMNS if c.key != "url")  # written by exports only


def template_xlsx() -> bytes:
    """The columns on a first sheet (one example row), their documentation on a second."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Fiches")
    bold = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="1D3557")
    header = []
    for column in TEMPLATE_COLUMNS:
        cell = WriteOnlyCell(sheet, value=column.key)
        cell.font, cell.fill = bold, fill
        header.append(cell)
    for index, column in enumerate(TEMPLATE_COLUMNS, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = max(
            14, min(40, len(column.example) + 4)
        )
    sheet.freeze_panes = "A2"
    sheet.append(header)
    example = []
    for column in TEMPLATE_COLUMNS:
        cell = WriteOnlyCell(sheet, value=column.example)
        cell.data_type = "s"
        example.append(cell)
    sheet.append(example)

    # The documentation in the reader's language; the column keys and the example row stay
    # the import's own words (what the import reads in any language).
    doc = workbook.create_sheet(_("Colonnes"))
    doc.column_dimensions["A"].width = 24
    doc.column_dimensions["B"].width = 14
    doc.column_dimensions["C"].width = 100
    doc.append([WriteOnlyCell(doc, value=v) for v in (_("colonne"), _("obligatoire"), _("contenu"))])
    wrap = Alignment(wrap_text=True, vertical="top")
    for column in IMPORT_COLUMNS:
        cells = [
            WriteOnlyCell(doc, value=column.key),
            WriteOnlyCell(doc, value=_("oui") if column.required else ""),
            WriteOnlyCell(doc, value=str(column.help)),
        ]
        cells[2].alignment = wrap
        doc.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.key for c in TEMPLATE_COLUMNS])
    writer.writerow([c.example for c in TEMPLATE_COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
