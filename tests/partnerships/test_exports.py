"""CSV / XLSX exports: visible rows, figures, and formula neutralisation."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from partnerships import exports
from partnerships.models import Partnership
from tests.factories import DeliverableFactory, PartnershipFactory, PartnershipPartyFactory

pytestmark = pytest.mark.django_db

DANGEROUS = ['=HYPERLINK("http://x")', "+33 1 23", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_neutralise_prefixes_every_formula_trigger(value):
    assert exports.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Jumelage", "", "5 000 €", "Île-de-France"])
def test_neutralise_leaves_ordinary_text_alone(value):
    assert exports.neutralise(value) == value


def _export(client, fmt, **params):
    response = client.get(reverse(f"partnerships:export_{fmt}"), params)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    return response


def test_csv_neutralises_titles_and_party_names(client):
    p = PartnershipFactory(title='=HYPERLINK("http://evil","clic")', description="x")
    PartnershipPartyFactory(partnership=p, organisation__name="@Organisation")
    body = _export(client, "csv").content.decode("utf-8-sig")
    (row,) = list(csv.reader(io.StringIO(body), delimiter=";"))[1:]
    assert row[0] == '\'=HYPERLINK("http://evil","clic")'
    assert row[6].startswith("'@Organisation")


def test_xlsx_cells_are_text_never_formulas(client):
    p = PartnershipFactory(title="=1+1", start_date=datetime.date(2020, 1, 1))
    PartnershipPartyFactory(partnership=p, organisation__name="-Moins")
    workbook = load_workbook(io.BytesIO(_export(client, "xlsx").content))
    sheet = workbook.active
    title, parties = sheet.cell(row=2, column=1), sheet.cell(row=2, column=7)
    assert (title.value, title.data_type) == ("=1+1", "s")  # a typed string: no formula, no apostrophe
    assert parties.value.startswith("-Moins")
    assert sheet.cell(row=2, column=4).value == datetime.datetime(2020, 1, 1)  # a real date
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


def test_export_columns_hold_funding_and_overdue_counts(client, kampti, today):
    DeliverableFactory(partnership=kampti, due_date=today - datetime.timedelta(days=2))
    workbook = load_workbook(io.BytesIO(_export(client, "xlsx", country="BF").content))
    header, row = list(workbook.active.iter_rows(values_only=True))
    record = dict(zip(header, row, strict=True))
    assert record["Intitulé"] == "Coopération Roissy – Kampti"
    assert record["Financement total"] == 185000
    assert record["Livrables"] == 3
    assert record["Livrables en retard"] == 1
    assert record["Pays"] == "Burkina Faso; France"
    assert record["Adresse"].endswith("/partenariats/roissy-kampti/")


def test_export_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    for _ in range(20):
        PartnershipPartyFactory(partnership=PartnershipFactory(visibility=Partnership.Visibility.PUBLIC))
    with django_assert_max_num_queries(4):
        _export(client, "csv")
