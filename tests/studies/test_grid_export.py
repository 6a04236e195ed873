"""Comparison grids exported to XLSX (one row per criterion, one column per fiche,
formula-safe) and to a landscape PDF with the report's grid."""

from __future__ import annotations

import io
import subprocess

import pikepdf
import pytest
from django.test import Client
from openpyxl import load_workbook

from accounts.roles import Role
from tests.factories import UserFactory
from tests.studies.report_fixtures import editor_study

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def test_a_studys_grid_exports_to_xlsx_one_row_per_criterion_and_formula_safe_and_to_a_landscape_pdf():
    study, staff = editor_study(4)
    client = Client()
    client.force_login(staff)
    response = client.get(f"/etudes/{study.slug}/grille.xlsx")
    assert response.status_code == 200 and response["Content-Type"].endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "Critère" and rows[0][1].startswith("01 Gare 1")
    assert len(rows[0]) == 5 and [r[0] for r in rows[1:]] == ["Budget", "Portage", "Public visé"]
    budget = next(row for row in sheet.iter_rows() if row[0].value == "Budget")
    assert budget[1].value == "=SUM(A1)" and all(cell.data_type == "s" for cell in budget)  # text, not a formula
    response = client.get(f"/etudes/{study.slug}/grille.pdf")
    assert response["Content-Type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(response.content)) as pdf:
        box = pdf.pages[0].mediabox
        assert float(box[2]) > float(box[3])  # landscape
    text = pdf_text(response.content)
    assert "Grille de comparaison" in text and "Public visé" in text and "=SUM(A1)" in text


def test_the_comparison_page_exports_its_grid_and_an_outsider_gets_nothing():
    study, staff = editor_study(3)
    ids = ",".join(str(i.experience_id) for i in study.items.order_by("position"))
    client = Client()
    client.force_login(staff)
    response = client.get(f"/etudes/comparer/grille.xlsx?ids={ids}&etude={study.slug}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [row[0].value for row in sheet.iter_rows()]
    assert names[:3] == ["Critère", "Territoire", "Population"] and "Budget" in names and "Public visé" in names
    assert sheet.max_column == 4
    response = client.get(f"/etudes/comparer/grille.pdf?ids={ids}")
    assert response.status_code == 200 and "Territoire" in pdf_text(response.content)
    assert client.get(f"/etudes/comparer/grille.xlsx?ids={ids.split(',')[0]}").status_code == 404  # one fiche
    assert client.get(f"/etudes/{study.slug}/grille.csv").status_code == 404
    outsider = UserFactory(role=Role.CONSULTANT)
    client.force_login(outsider)
    assert client.get(f"/etudes/{study.slug}/grille.xlsx").status_code == 404
