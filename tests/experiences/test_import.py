"""Bulk import from CSV/XLSX: dry run, all-or-nothing commit, stable references, hostile files."""

import io
import os
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from experiences import importers
from experiences.importers import COLUMNS, import_experiences
from experiences.models import Experience, ImportRun, Source, Tag
from tests.factories import ExperienceFactory, OrganisationFactory, TerritoryFactory

from .workspace_helpers import HEADERS, csv_bytes, valid_row, xlsx_bytes


def col(name: str) -> int:
    return HEADERS.index(name)


# --- Template -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_template_documents_every_column(client, consultant):
    client.force_login(consultant)
    response = client.get(reverse("experiences:import_template", args=["xlsx"]))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    template = [c.key for c in COLUMNS if c.key != "url"]  # the fiche's address: written by exports
    assert [c.value for c in workbook["Fiches"][1]] == template
    documented = {row[0].value: row[2].value for row in workbook["Colonnes"].iter_rows(min_row=2)}
    assert set(documented) == {c.key for c in COLUMNS} and all(documented.values())
    csv_template = client.get(reverse("experiences:import_template", args=["csv"])).content.decode("utf-8-sig")
    assert csv_template.splitlines()[0] == ";".join(template)
    page = client.get(reverse("experiences:import")).content.decode()
    assert all(c.key in page for c in COLUMNS)


@pytest.mark.django_db
def test_the_template_example_row_imports_once_its_territory_exists(consultant):
    TerritoryFactory(name="Rennes", code="35238", slug="rennes-x")
    TerritoryFactory(name="Ille-et-Vilaine", code="35", slug="ille-et-vilaine", kind="department")
    from tests.factories import ThemeFactory

    ThemeFactory(name="Tiers-lieux", slug="tl")
    ThemeFactory(name="Concertation", slug="co")
    report = import_experiences(content=importers.template_xlsx(), filename="modele.xlsx", by=consultant, commit=True)
    assert report.ok, report.errors
    assert report.created == 1


# --- Dry run and commit ---------------------------------------------------------------------


@pytest.mark.django_db
def test_dry_run_then_commit_of_a_thousand_rows_with_one_bad_row(consultant, rennes, tiers_lieux):
    rows = [valid_row(n, rennes, tiers_lieux) for n in range(1000)]
    rows[636][col("debut")] = "31/02/2024"
    content = xlsx_bytes(rows)

    dry = import_experiences(content=content, filename="cas.xlsx", by=consultant, commit=False)
    assert not Experience.objects.exists()
    assert (dry.rows, dry.created, dry.error_count) == (1000, 999, 1)
    error = dry.errors[0]
    # Row 1 holds the headers, so data row index 636 is spreadsheet row 638.
    assert (error.row, error.column) == (638, "debut")
    assert "date illisible « 31/02/2024 »" in error.message

    committed = import_experiences(content=content, filename="cas.xlsx", by=consultant, commit=True)
    assert not committed.committed and committed.error_count == 1
    assert Experience.objects.count() == 0 and Source.objects.count() == 0
    assert not Tag.objects.filter(name="tableur").exists()

    rows[636][col("debut")] = "2024-02-29"
    fixed = import_experiences(content=xlsx_bytes(rows), filename="cas.xlsx", by=consultant, commit=True)
    assert fixed.committed and fixed.created == 1000
    assert Experience.objects.count() == 1000
    sample = Experience.objects.get(external_ref="REF-00636")
    assert sample.status == "draft" and sample.author == consultant and sample.lead_territory == rennes
    assert str(sample.period_start) == "2024-02-29" and sample.budget_amount == Decimal("125000")
    assert list(sample.themes.all()) == [tiers_lieux]
    assert sorted(sample.tags.values_list("name", flat=True)) == ["import", "tableur"]
    assert sample.vigilance_points == "<ul><li>Un point</li><li>Un autre</li></ul>"
    assert sample.sources.get().url == "https://example.org/source-636"
    assert sample.completeness > 0 and tiers_lieux.pk in sample.search_theme_ids


@pytest.mark.django_db
def test_reimporting_the_same_file_creates_no_duplicates(consultant, rennes, tiers_lieux):
    content = xlsx_bytes([valid_row(n, rennes, tiers_lieux) for n in range(20)])
    first = import_experiences(content=content, filename="a.xlsx", by=consultant, commit=True)
    second = import_experiences(content=content, filename="a.xlsx", by=consultant, commit=True)
    assert (first.created, second.created, second.updated, second.unchanged) == (20, 0, 0, 20)
    assert Experience.objects.count() == 20 and Source.objects.count() == 20
    assert Tag.objects.count() == 2


@pytest.mark.django_db
def test_reimport_updates_only_the_columns_present_and_keeps_the_status(consultant, staff, rennes, tiers_lieux):
    import_experiences(
        content=xlsx_bytes([valid_row(1, rennes, tiers_lieux)]), filename="a.xlsx", by=consultant, commit=True
    )
    experience = Experience.objects.get()
    experience.status, experience.published_at = "published", experience.created_at
    experience.save()
    content = csv_bytes([["REF-00001", "Nouveau titre", "90 000,50 €"]], headers=["Référence", "Titre", "Budget"])
    report = import_experiences(content=content, filename="maj.csv", by=consultant, commit=True)
    assert (report.updated, report.created) == (1, 0)
    experience.refresh_from_db()
    assert experience.title == "Nouveau titre" and experience.budget_amount == Decimal("90000.50")
    assert experience.status == "published" and experience.summary == "Résumé de l'expérience 1."
    assert list(experience.themes.all()) == [tiers_lieux]


@pytest.mark.django_db
def test_reference_of_a_fiche_the_importer_cannot_read_is_refused(consultant, rennes, org_a):
    ExperienceFactory(external_ref="SECRET", visibility="confidential", client_organisation=org_a)
    row = valid_row(1, rennes)
    row[0] = "SECRET"
    report = import_experiences(content=xlsx_bytes([row]), filename="x.xlsx", by=consultant, commit=True)
    assert not report.committed and report.errors[0].column == "reference"
    assert "ne pouvez pas modifier" in report.errors[0].message


@pytest.mark.django_db
def test_members_cannot_import(member, rennes):
    report = import_experiences(content=xlsx_bytes([valid_row(1, rennes)]), filename="x.xlsx", by=member, commit=True)
    assert report.file_error and not Experience.objects.exists()


# --- Row errors -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_row_errors_name_the_row_the_column_and_the_fix(consultant, rennes, tiers_lieux):
    TerritoryFactory(name="Saint-Denis", code="93066", slug="sd93")
    TerritoryFactory(name="Saint-Denis", code="97411", slug="sd974")
    headers = [*HEADERS, "territoire_nom", "visibilite"]
    rows = [[*valid_row(n, rennes, tiers_lieux), "", ""] for n in range(8)]
    rows[0][col("territoire_code")] = "99999"
    rows[1][col("territoire_code")] = ""
    rows[1][-2] = "Saint-Denis"
    rows[2][col("debut")] = "hier"
    rows[3][col("themes")] = "tiers-lieux ; Aquaculture"
    rows[4][col("budget")] = "beaucoup"
    rows[5][0] = rows[6][0]
    rows[7][-1] = "confidentielle"
    report = import_experiences(content=xlsx_bytes(rows, headers), filename="x.xlsx", by=consultant, commit=False)
    found = {(e.row, e.column): e.message for e in report.errors}
    assert "aucun territoire FR n'a le code « 99999 »" in found[(2, "territoire_code")]
    assert "plusieurs territoires s'appellent « Saint-Denis »" in found[(3, "territoire_nom")]
    assert "Saint-Denis (93)" in found[(3, "territoire_nom")] and "97411" in found[(3, "territoire_nom")]
    assert "date illisible « hier »" in found[(4, "debut")]
    assert "thème inconnu « Aquaculture »" in found[(5, "themes")]
    assert "montant illisible" in found[(6, "budget")]
    assert "une fiche confidentielle doit avoir un client" in found[(9, "client")]
    assert "déjà présente ligne 7" in found[(8, "reference")]
    assert report.error_count == len(found)


@pytest.mark.django_db
def test_territory_code_shared_by_two_kinds_asks_for_the_type(consultant, tiers_lieux):
    TerritoryFactory(name="Auvergne-Rhône-Alpes", code="84", kind="region", slug="ara")
    vaucluse = TerritoryFactory(name="Vaucluse", code="84", kind="department", slug="vaucluse")
    row = valid_row(1, vaucluse, tiers_lieux)
    row[col("territoire_type")] = ""
    report = import_experiences(content=xlsx_bytes([row]), filename="x.xlsx", by=consultant, commit=False)
    assert "précisez le type" in report.errors[0].message and "Vaucluse" in report.errors[0].message
    row[col("territoire_type")] = "département"
    report = import_experiences(content=xlsx_bytes([row]), filename="x.xlsx", by=consultant, commit=True)
    assert report.committed and Experience.objects.get().lead_territory == vaucluse


@pytest.mark.django_db
def test_themes_match_names_synonyms_and_slugs_and_clients_match_names(consultant, rennes, tiers_lieux):
    client_org = OrganisationFactory(name="Région Bretagne")
    headers = ["reference", "titre", "resume", "territoire_code", "themes", "visibilite", "client"]
    rows = [
        ["A", "t", "r", rennes.code, "coworking", "confidentielle", "région bretagne"],
        ["B", "t", "r", rennes.code, "TIERS-LIEUX", "publique", ""],
    ]
    report = import_experiences(content=xlsx_bytes(rows, headers), filename="x.xlsx", by=consultant, commit=True)
    assert report.committed, report.errors
    assert Experience.objects.get(external_ref="A").client_organisation == client_org
    assert all(list(e.themes.all()) == [tiers_lieux] for e in Experience.objects.all())


@pytest.mark.django_db
def test_csv_with_commas_in_windows_encoding_is_read(consultant, rennes):
    content = csv_bytes(
        [["C1", "Fête de quartier", "Résumé", rennes.code]],
        headers=["reference", "titre", "resume", "territoire_code"],
        delimiter=",",
        encoding="cp1252",
    )
    report = import_experiences(content=content, filename="x.csv", by=consultant, commit=True)
    assert report.committed and Experience.objects.get().title == "Fête de quartier"


@pytest.mark.django_db
def test_missing_columns_and_unknown_headers_are_explained(consultant):
    report = import_experiences(content=csv_bytes([["x"]], headers=["nom"]), filename="x.csv", by=consultant)
    assert "Aucune colonne reconnue" in report.file_error
    report = import_experiences(content=csv_bytes([["t"]], headers=["titre"]), filename="x.csv", by=consultant)
    assert "Colonne obligatoire absente : reference" in report.file_error


# --- Hostile files ---------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _zip_bomb(size_mb: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"0" * (1024 * 1024)
            for _ in range(size_mb):
                member.write(chunk)
    return buffer.getvalue()


def _with_sheet(xml: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([])))
    members = {name: source.read(name) for name in source.namelist()}
    sheet = next(n for n in members if n.startswith("xl/worksheets/"))
    members[sheet] = xml
    return _zip(members)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>"""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        (
            "oversize.csv",
            lambda: b"reference;titre\n" + b"x" * (importers.MAX_FILE_BYTES + 1),
            "la limite est de 15 Mo",
        ),
        ("bomb.xlsx", lambda: _zip_bomb(200), "Une fois décompressé"),
        ("entities.xlsx", lambda: _with_sheet(BILLION_LAUGHS), "illisible"),
        ("random.xlsx", lambda: os.urandom(50_000), "n'est pas un classeur XLSX valide"),
        ("random.csv", lambda: os.urandom(50_000), "contenu binaire"),
        ("truncated.xlsx", lambda: xlsx_bytes([["A", "b", "c"]] * 50)[:1500], "tronqué"),
        ("old.xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "Ancien format Excel"),
        ("archive.xlsx", lambda: _zip({"notes.txt": b"hello"}), "n'est pas un classeur XLSX"),
        ("report.csv", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\x00stream", "contenu binaire"),
        ("empty.csv", lambda: b"", "vide"),
    ],
)
def test_hostile_files_get_a_clear_error_and_write_nothing(consultant, name, make, message):
    report = import_experiences(content=make(), filename=name, by=consultant, commit=True)
    assert message in report.file_error
    assert not report.committed and not Experience.objects.exists()


@pytest.mark.django_db
def test_row_limit(consultant, rennes, monkeypatch):
    monkeypatch.setattr(importers, "MAX_ROWS", 5)
    report = import_experiences(
        content=csv_bytes([valid_row(n, rennes) for n in range(6)]), filename="x.csv", by=consultant
    )
    assert "plus de 5 lignes" in report.file_error


@pytest.mark.django_db
def test_hostile_upload_in_the_browser_gets_a_page_not_a_server_error(client, consultant):
    client.force_login(consultant)
    upload = SimpleUploadedFile("cas.xlsx", os.urandom(4096))
    response = client.post(reverse("experiences:import"), {"file": upload}, follow=True)
    assert response.status_code == 200
    assert "Ce fichier ne peut pas être importé" in response.content.decode()
    run = ImportRun.objects.get()
    assert run.state == "failed" and run.data is None


# --- Browser and command line --------------------------------------------------------------------


@pytest.mark.django_db
def test_browser_import_checks_then_commits(client, consultant, rennes, tiers_lieux):
    rows = [valid_row(n, rennes, tiers_lieux) for n in range(3)]
    client.force_login(consultant)
    response = client.post(
        reverse("experiences:import"), {"file": SimpleUploadedFile("cas.xlsx", xlsx_bytes(rows))}, follow=True
    )
    page = response.content.decode()
    assert "Vérification réussie" in page and "Importer : 3 créations, 0 mises à jour" in page
    assert not Experience.objects.exists()
    run = ImportRun.objects.get()
    response = client.post(reverse("experiences:import_commit", args=[run.pk]), follow=True)
    assert "Import terminé : 3 fiches créées" in response.content.decode()
    assert Experience.objects.count() == 3
    run.refresh_from_db()
    assert run.state == "committed" and run.data is None
    # A second commit of the same run is refused.
    response = client.post(reverse("experiences:import_commit", args=[run.pk]), follow=True)
    assert "déjà été traité" in response.content.decode() and Experience.objects.count() == 3


@pytest.mark.django_db
def test_an_import_run_belongs_to_its_uploader(client, consultant, staff, rennes):
    client.force_login(consultant)
    client.post(reverse("experiences:import"), {"file": SimpleUploadedFile("a.csv", csv_bytes([valid_row(1, rennes)]))})
    run = ImportRun.objects.get()
    client.force_login(staff)
    assert client.get(reverse("experiences:import_detail", args=[run.pk])).status_code == 404
    assert client.post(reverse("experiences:import_commit", args=[run.pk])).status_code == 404


@pytest.mark.django_db
def test_command_line_dry_run_and_commit(tmp_path, consultant, rennes, tiers_lieux, capsys):
    path = tmp_path / "cas.xlsx"
    path.write_bytes(xlsx_bytes([valid_row(n, rennes, tiers_lieux) for n in range(4)]))
    call_command("import_experiences", str(path), "--dry-run", "--user", consultant.username)
    assert "4 à créer" in capsys.readouterr().out and not Experience.objects.exists()
    call_command("import_experiences", str(path), "--user", consultant.username)
    assert "4 fiches créées" in capsys.readouterr().out
    assert Experience.objects.filter(author=consultant).count() == 4
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([[*valid_row(9, rennes)[:3], "00000"]], headers=HEADERS[:4]))
    with pytest.raises(CommandError, match="rien n'a été importé"):
        call_command("import_experiences", str(bad))
    assert "ligne 2, colonne territoire_code" in capsys.readouterr().err
    with pytest.raises(CommandError, match="n'est pas un classeur"):
        (tmp_path / "x.xlsx").write_bytes(b"garbage")
        call_command("import_experiences", str(tmp_path / "x.xlsx"))


@pytest.mark.django_db
def test_belgian_territories_by_qualified_code_or_by_a_name_only_belgium_has(consultant, tiers_lieux):
    ramillies_be = TerritoryFactory(country="BE", code="25122", name="Ramillies", slug="ramillies-be")
    TerritoryFactory(country="FR", code="59492", name="Ramillies", slug="ramillies-fr")
    chapelle = TerritoryFactory(country="FR", code="25122", name="Chapelle-d'Huin", slug="chapelle")
    comblain = TerritoryFactory(country="BE", code="62026", name="Comblain-au-Pont", slug="comblain")
    headers = [*HEADERS, "territoire_nom"]
    rows = [[*valid_row(n, ramillies_be, tiers_lieux), ""] for n in range(4)]
    rows[0][col("territoire_code")] = "BE-25122"  # the country in the code
    rows[1][col("territoire_code")] = "25122"  # a bare code is French, as the template says
    rows[2][col("territoire_code")], rows[2][-1] = "", "Comblain-au-Pont"  # only Belgium has it
    rows[3][col("territoire_code")], rows[3][-1] = "", "Ramillies"  # both countries: ask
    report = import_experiences(content=xlsx_bytes(rows, headers), filename="x.xlsx", by=consultant, commit=False)
    found = {(e.row, e.column): e.message for e in report.errors}
    assert list(found) == [(5, "territoire_nom")]
    assert "plusieurs territoires s'appellent « Ramillies »" in found[5, "territoire_nom"]
    assert "BE-25122" in found[5, "territoire_nom"] and "FR-59492" in found[5, "territoire_nom"]
    del rows[3]
    report = import_experiences(content=xlsx_bytes(rows, headers), filename="x.xlsx", by=consultant, commit=True)
    assert report.ok, report.errors
    led = dict(Experience.objects.values_list("external_ref", "lead_territory"))
    assert led == {"REF-00000": ramillies_be.pk, "REF-00001": chapelle.pk, "REF-00002": comblain.pk}
