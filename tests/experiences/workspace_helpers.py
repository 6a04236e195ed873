"""Shared data for the consultant-workspace tests (form, workflow, import, export, history, tags)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from experiences.models import Theme
from territories.models import Territory
from tests.factories import TerritoryFactory, ThemeFactory, UserFactory

HEADERS = [
    "reference",
    "titre",
    "resume",
    "territoire_code",
    "territoire_type",
    "themes",
    "mots_cles",
    "debut",
    "fin",
    "budget",
    "resultats",
    "points_de_vigilance",
    "source_titre",
    "source_url",
]


@pytest.fixture
def rennes(db):
    return TerritoryFactory(name="Rennes", slug="rennes", code="35238", population=225_000)


@pytest.fixture
def brest(db):
    return TerritoryFactory(name="Brest", slug="brest", code="29019", population=140_000)


@pytest.fixture
def tiers_lieux(db):
    root = ThemeFactory(name="Innovation territoriale", slug="innovation-territoriale")
    return ThemeFactory(name="Tiers-lieux", slug="tiers-lieux", parent=root, synonyms=["coworking", "fablab"])


@pytest.fixture
def concertation(db):
    root = ThemeFactory(name="Démocratie locale", slug="democratie-locale")
    return ThemeFactory(name="Concertation", slug="concertation", parent=root)


@pytest.fixture
def reviewer(db):
    """A consultant designated as reviewer through the per-user permission."""
    from django.contrib.auth.models import Permission

    from accounts.roles import Role

    user = UserFactory(role=Role.CONSULTANT)
    user.user_permissions.add(Permission.objects.get(codename="publish_experience"))
    return type(user).objects.get(pk=user.pk)


def xlsx_bytes(rows: list[list], headers: list[str] = HEADERS) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Fiches")
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], headers: list[str] = HEADERS, delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def valid_row(n: int, territory: Territory, theme: Theme | None = None) -> list:
    return [
        f"REF-{n:05d}",
        f"Expérience importée {n}",
        f"Résumé de l'expérience {n}.",
        territory.code,
        "commune",
        theme.name if theme else "",
        "import ; tableur",
        "2021-03-01",
        "",
        "125000",
        "Des résultats.",
        "- Un point\n- Un autre",
        "Article source",
        f"https://example.org/source-{n}",
    ]
