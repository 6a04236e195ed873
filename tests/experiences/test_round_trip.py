"""Export → import → export loses nothing, in CSV, XLSX and JSON.

Fiches are generated the way users fill them (editor HTML with paragraphs, lists,
bold, italic and links; text starting with = + - @; tabs, carriage returns, accents,
emoji; 10,000-character fields; empty optional fields), written through the
services, exported, imported back (0 to create, 0 to update) and exported again:
the second file is the first one. Then the edits a person makes in a spreadsheet
(openpyxl, a CSV re-saved with « ; ») come back as edits, and nothing else moves.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import uuid
from decimal import Decimal

import openpyxl
import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from core.richtext import clean_plain, from_text, to_text
from experiences import exports, services
from experiences.columns import COLUMNS
from experiences.content import CONTENT_FIELDS
from experiences.importers import import_experiences
from experiences.models import Experience
from tests.factories import OrganisationFactory, TerritoryFactory, ThemeFactory, UserFactory

pytestmark = pytest.mark.django_db

# --- Generated content ---------------------------------------------------------------------------

TRICKY = [
    "=HYPERLINK(\"http://evil\",\"clic\")", "+33 1 23 45", "-1 point", "@SUM(A1)", "\tindenté", "\rretour",
    "- pas une puce", "1. pas un numéro", "**", "*", "[crochets]", "<https://x.fr>", "a\\b", "'=déjà", "l'été",
    "Île-de-France", "Çà et là", "😀 🚉", "5 < 6 & 7 > 3", "\xa0: ;", "«\u202fguillemets\u202f»",
]  # fmt: skip
CHARACTERS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
WORD = st.one_of(st.sampled_from(TRICKY), st.text(CHARACTERS, min_size=1, max_size=12))
PHRASE = st.lists(WORD, min_size=1, max_size=6).map(" ".join)
URL = st.sampled_from(["https://www.commune.fr/gare", "http://a.fr/x?y=1&z=2", "mailto:elu@ville.fr"])


@st.composite
def inline_html(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        text = draw(PHRASE).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        kind = draw(st.sampled_from(["plain", "plain", "b", "i", "b-i", "a"]))
        if kind == "b":
            text = f"<b>{text}</b>"
        elif kind == "i":
            text = f"<em>{text}</em>"
        elif kind == "b-i":
            text = f"<strong><i>{text}</i></strong>"
        elif kind == "a":
            text = f'<a href="{draw(URL)}">{text}</a>'
        parts.append(text)
    return draw(st.sampled_from([" ", "", "<br>"])).join(parts)


@st.composite
def editor_html(draw) -> str:
    """What the editor posts: paragraphs (<div> or <p>), bulleted and numbered lists."""
    blocks = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["p", "div", "ul", "ol"]))
        if kind in ("ul", "ol"):
            items = "".join(f"<li>{draw(inline_html())}</li>" for _ in range(draw(st.integers(1, 4))))
            blocks.append(f"<{kind}>{items}</{kind}>")
        else:
            blocks.append(f"<{kind}>{draw(inline_html())}</{kind}>")
    return "".join(blocks)


LONG = st.just(("Le tiers-lieu de la gare accueille un café, un fab-lab et des permanences. " * 140)[:10_000])
RICH = st.one_of(st.just(""), editor_html(), LONG.map(lambda t: f"<p>{t}</p><ul><li>{t[:200]}</li></ul>"))
PLAIN = st.one_of(st.sampled_from(TRICKY), st.text(CHARACTERS, min_size=1, max_size=80))


def _not_blank(value: str) -> str:
    return value if clean_plain(value) else "Titre"


@st.composite
def fiche(draw, world) -> dict:
    start = draw(st.one_of(st.none(), st.dates(datetime.date(1990, 1, 1), datetime.date(2030, 1, 1))))
    end = draw(st.one_of(st.none(), st.dates(start or datetime.date(1990, 1, 1), datetime.date(2035, 1, 1))))
    visibility = draw(st.sampled_from(["public", "members", "confidential"]))
    fields = {
        "title": _not_blank(draw(PLAIN))[:255],
        "summary": _not_blank(draw(st.one_of(PLAIN, LONG))),
        "title_en": draw(st.one_of(st.just(""), PLAIN))[:255],
        "summary_en": draw(st.one_of(st.just(""), PLAIN)),
        "context": draw(RICH),
        "actions": draw(RICH),
        "results": draw(RICH),
        "vigilance_points": draw(RICH),
        "period_start": start,
        "period_end": end,
        "project_status": draw(st.sampled_from(["planned", "ongoing", "completed", "abandoned"])),
        "budget_amount": draw(st.one_of(st.none(), st.decimals(0, Decimal("999999999.99"), places=2, allow_nan=False))),
        "currency": draw(st.sampled_from(["EUR", "XOF", "CHF"])),
        "lead_territory": draw(st.sampled_from(world["territories"])),
        "language": draw(st.sampled_from(["fr", "en"])),
        "visibility": visibility,
        "client_organisation": draw(st.sampled_from(world["clients"])) if visibility == "confidential" else None,
        "external_ref": draw(st.one_of(st.just(""), st.just(f"REF-{uuid.uuid4().hex[:10]}"))),
    }
    return {
        "fields": fields,
        "themes": draw(st.lists(st.sampled_from(world["themes"]), max_size=3, unique=True)),
        "tags": draw(st.lists(st.sampled_from(["gare", "Ruralité", "tiers-lieu", "été 2024", "=moins"]), max_size=3)),
        "territories": draw(st.lists(st.sampled_from(world["territories"]), max_size=2, unique=True)),
        "sources": draw(
            st.one_of(
                st.just([]),
                st.just([{"title": "Article de presse", "url": "https://example.org/article"}]),
                st.just([{"title": "Rapport sans adresse"}, {"title": "Second", "url": "https://b.fr"}]),
            )
        ),
    }


# --- The world the fiches live in ------------------------------------------------------------------


@pytest.fixture
def world(db):
    departement = TerritoryFactory(kind="department", code="35", name="Ille-et-Vilaine", slug="ille-et-vilaine")
    return {
        "author": UserFactory(role="consultant"),
        "territories": [
            TerritoryFactory(code="35238", name="Rennes", slug="rennes-35238"),
            departement,
            TerritoryFactory(code="84", kind="department", name="Vaucluse", slug="vaucluse"),
            TerritoryFactory(code="84", kind="region", name="Auvergne-Rhône-Alpes", slug="ara"),
            TerritoryFactory(code="21004", country="BE", name="Bruxelles", slug="bruxelles-21004"),
        ],
        # Two themes named alike under different parents: the export must tell them apart.
        "themes": [
            ThemeFactory(name="Tiers-lieux", slug="tiers-lieux"),
            ThemeFactory(name="Concertation", slug="concertation", synonyms=["participation"]),
            ThemeFactory(name="Évaluation", slug="evaluation-management"),
            ThemeFactory(name="Évaluation", slug="evaluation-politiques", parent=ThemeFactory(name="Politiques")),
        ],
        "clients": [OrganisationFactory(name="Commune de Bourganeuf"), OrganisationFactory(name="Client; et Cie")],
    }


def _create(world, generated: list[dict]) -> list[int]:
    ids = []
    for item in generated:
        experience = services.experience_create(author=world["author"], **item)
        ids.append(experience.pk)
    return ids


def _export(world, ids: list[int], fmt: str) -> bytes:
    queryset = exports.export_queryset(viewer=world["author"], params={"ids": ids})
    content, _filename = exports.build_export(queryset=queryset, viewer=world["author"], format=fmt)
    return content


def _sheet(content: bytes) -> list[list[tuple]]:
    """An XLSX's first sheet as (value, type) cells: the file's bytes hold a creation time."""
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]


def _same(fmt: str, first: bytes, second: bytes) -> bool:
    return _sheet(first) == _sheet(second) if fmt == "xlsx" else first == second


def _round_trip(world, generated: list[dict], fmt: str) -> None:
    with transaction.atomic():
        ids = _create(world, generated)
        before = {e.pk: {f: getattr(e, f) for f in CONTENT_FIELDS} for e in Experience.objects.filter(pk__in=ids)}
        first = _export(world, ids, fmt)
        report = import_experiences(content=first, filename=f"export.{fmt}", by=world["author"], commit=True)
        assert report.ok, (report.file_error, report.errors[:5])
        assert (report.created, report.updated, report.unchanged) == (0, 0, len(ids))
        after = {e.pk: {f: getattr(e, f) for f in CONTENT_FIELDS} for e in Experience.objects.filter(pk__in=ids)}
        assert after == before
        second = _export(world, ids, fmt)
        assert _same(fmt, first, second)
        transaction.set_rollback(True)


# Each example writes, exports and imports through the real services (about 0.8 s): a third of
# the profile's examples per format keeps the suite fast; HYPOTHESIS_PROFILE=thorough searches deeper.
EXAMPLES = max(10, settings.default.max_examples // 3)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_export_import_export_of_generated_fiches_is_identical_with_nothing_to_update(world, fmt):
    @settings(max_examples=EXAMPLES)
    @given(st.lists(fiche(world), min_size=1, max_size=3))
    def check(generated):
        _round_trip(world, generated, fmt)

    check()


# --- What people do with the file ------------------------------------------------------------------


@pytest.fixture
def written(world):
    """A fiche written in the editor: a list, bold text, a link, a formula-looking result."""
    experience = services.experience_create(
        author=world["author"],
        fields={
            "title": "Un tiers-lieu dans l'ancienne gare",
            "summary": "La commune rachète la gare et y ouvre un tiers-lieu.",
            "context": "<div>Bâtiment SNCF <b>vacant</b> depuis 2015.</div><div><br></div><div>Voir "
            '<a href="https://www.commune.fr/gare">le dossier</a>.</div>',
            "actions": "<ul><li>Rachat du bâtiment</li><li>Travaux <i>par tranches</i></li></ul>",
            "results": "<p>-30 % de vacance commerciale</p><ol><li>un café</li><li>un fab-lab</li></ol>",
            "lead_territory": world["territories"][0],
            "external_ref": "GARE-1",
        },
        themes=[world["themes"][0]],
        tags=["gare"],
    )
    return experience


def test_the_export_carries_every_import_column_and_readable_text(world, written):
    rows = list(csv.DictReader(io.StringIO(_export(world, [written.pk], "csv").decode("utf-8-sig")), delimiter=";"))
    assert {c.key for c in COLUMNS if c.importable} <= set(rows[0])
    row = rows[0]
    assert (
        row["contexte"] == "Bâtiment SNCF **vacant** depuis 2015.\n\nVoir [le dossier] <https://www.commune.fr/gare>."
    )
    # A list starts with "-": in CSV, the apostrophe that keeps it from being a formula (removed on import).
    assert row["actions"] == "'- Rachat du bâtiment\n- Travaux *par tranches*"
    assert row["resultats"] == "'-30 % de vacance commerciale\n\n1. un café\n2. un fab-lab"
    assert row["url"] == f"http://testserver.example/experiences/{written.slug}/"
    assert row["etat_projet"] == "en cours" and row["visibilite"] == "publique"


@pytest.fixture(autouse=True)
def _portal_address(settings):
    settings.PORTAL_BASE_URL = "http://testserver.example"


def test_an_xlsx_edited_with_openpyxl_updates_what_was_edited_only(world, written):
    other = services.experience_create(
        author=world["author"],
        fields={"title": "Autre", "summary": "Rien ne change.", "lead_territory": world["territories"][1]},
    )
    workbook = openpyxl.load_workbook(io.BytesIO(_export(world, [written.pk, other.pk], "xlsx")))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[header.index("reference")].value == "GARE-1")
    cell = row[header.index("actions")]
    cell.value += "\n- Ouverture en **2024**"
    row[header.index("etat_projet")].value = "terminé"
    buffer = io.BytesIO()
    workbook.save(buffer)

    report = import_experiences(content=buffer.getvalue(), filename="edite.xlsx", by=world["author"], commit=True)
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    written.refresh_from_db()
    assert written.actions == (
        "<ul><li>Rachat du bâtiment</li><li>Travaux <em>par tranches</em></li>"
        "<li>Ouverture en <strong>2024</strong></li></ul>"
    )
    assert written.project_status == "completed"
    assert to_text(written.context).startswith("Bâtiment SNCF **vacant**")


def test_a_csv_resaved_by_a_spreadsheet_with_semicolons_changes_nothing(world, written):
    exported = _export(world, [written.pk], "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported, newline=""), delimiter=";"))
    # What a spreadsheet writes back: no BOM, quotes only where needed, LF line ends.
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\n").writerows(rows)
    report = import_experiences(content=buffer.getvalue().encode(), filename="resave.csv", by=world["author"])
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)


def test_json_export_reimports_and_a_fiche_without_reference_is_found_by_its_address(world):
    experience = services.experience_create(
        author=world["author"],
        fields={
            "title": "Sans référence",
            "summary": "Créée dans l'éditeur.",
            "lead_territory": world["territories"][4],
        },
    )
    data = json.loads(_export(world, [experience.pk], "json"))
    assert data["experiences"][0]["reference"] == "" and data["experiences"][0]["territoire_pays"] == "BE"
    data["experiences"][0]["resultats"] = "1. un\n2. deux"
    content = json.dumps(data, ensure_ascii=False).encode()
    report = import_experiences(content=content, filename="export.json", by=world["author"], commit=True)
    assert report.ok, report.errors
    assert (report.created, report.updated) == (0, 1)
    experience.refresh_from_db()
    assert experience.results == from_text("1. un\n2. deux") == "<ol><li>un</li><li>deux</li></ol>"
    assert experience.external_ref is None


def test_only_the_apostrophe_the_export_added_is_removed(world):
    experience = services.experience_create(
        author=world["author"],
        fields={
            "title": "'=déjà une apostrophe",
            "summary": "-1 point",
            "lead_territory": world["territories"][0],
            "external_ref": "APOS-1",
        },
    )
    content = _export(world, [experience.pk], "csv")
    assert "''=déjà une apostrophe" in content.decode("utf-8-sig") and "'-1 point" in content.decode("utf-8-sig")
    report = import_experiences(content=content, filename="export.csv", by=world["author"])
    assert (report.updated, report.unchanged) == (0, 1)


def test_every_content_field_has_a_spreadsheet_column():
    mapped = {c.field for c in COLUMNS if c.field} | {"lead_territory"}
    assert mapped == set(CONTENT_FIELDS)
