"""French by default, English complete: the catalogue has no untranslated or fuzzy message, covers
every string of the code, and pages render in both languages with numbers, amounts and dates
written the way each language writes them."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

from tests.experiences.search_helpers import fiche, make_geo

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
# The same folders as `make messages` ignores (locale: the copy gets a fresh, empty catalogue).
IGNORED = [".venv", "var", "node_modules", "tests", "bench", ".git", "locale"]


def _untranslated(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return not entry.msgstr_plural or any(not text for text in entry.msgstr_plural.values())
    return not entry.msgstr


@pytest.fixture(scope="session")
def compiled_catalogue():
    """The .mo files are build products (git-ignored): compile them when the .po is newer."""
    if not MO_FILE.exists() or MO_FILE.stat().st_mtime < PO_FILE.stat().st_mtime:
        call_command("compilemessages", ignore_patterns=[".venv", "var", "node_modules"], verbosity=0)


def test_english_catalogue_has_no_untranslated_or_fuzzy_message():
    po = polib.pofile(str(PO_FILE))
    entries = [e for e in po if not e.obsolete]
    assert len(entries) > 1000
    untranslated = [e.msgid for e in entries if _untranslated(e)]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert not untranslated, f"{len(untranslated)} untranslated: " + " | ".join(untranslated[:20])
    assert not fuzzy, f"{len(fuzzy)} fuzzy: " + " | ".join(fuzzy[:20])


def test_english_catalogue_covers_every_string_of_the_code(tmp_path):
    """makemessages run on a copy of the sources finds no message missing from the catalogue."""
    copy = tmp_path / "src"
    shutil.copytree(
        ROOT, copy, ignore=shutil.ignore_patterns(*IGNORED, "__pycache__", "*.pyc", "screenshots", "static")
    )
    (copy / "locale" / "en" / "LC_MESSAGES").mkdir(parents=True)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-obsolete", "-v", "0"]
        + [f"--ignore={pattern}" for pattern in IGNORED],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "benchmark_portal.settings.test",
            # Any URL: makemessages never connects, and without one the settings would start
            # the embedded PostgreSQL in the copy.
            "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/unused"),
        },
        timeout=120,
    )
    extracted = polib.pofile(str(copy / "locale" / "en" / "LC_MESSAGES" / "django.po"))
    catalogue = {(e.msgctxt, e.msgid, e.msgid_plural) for e in polib.pofile(str(PO_FILE)) if not e.obsolete}
    missing = [e.msgid for e in extracted if (e.msgctxt, e.msgid, e.msgid_plural) not in catalogue]
    assert not missing, (
        f"{len(missing)} message(s) of the code are not in locale/en (run `make messages`, then "
        "translate the new entries in django.po): " + " | ".join(missing[:20])
    )


@pytest.fixture
def world(db):
    geo = make_geo()
    experience = fiche(
        title="Former 1 800 agents au numérique",
        title_en="Training 1,800 staff in digital skills",
        summary="Un plan de formation.",
        summary_en="A training plan.",
        lead_territory=geo.montpellier,
        budget_amount=5000,
        period_start=datetime.date(2024, 3, 1),
    )
    return geo, experience


@pytest.mark.django_db
def test_pages_render_in_french_by_default_and_in_english_under_en(client, world, compiled_catalogue):
    french = client.get("/").content.decode()
    english = client.get("/en/").content.decode()
    assert '<html lang="fr">' in french and "Ce que des territoires comme le vôtre ont fait" in french
    assert '<html lang="en">' in english and "What territories like yours have done" in english
    assert "Ce que des territoires" not in english


@pytest.mark.django_db
def test_numbers_and_amounts_follow_the_language(client, world, compiled_catalogue):
    _geo, experience = world
    french = client.get(f"/experiences/{experience.slug}/").content.decode()
    english = client.get(f"/en/experiences/{experience.slug}/").content.decode()
    # Population of Montpellier (300 000) and the budget (5 000 €).
    assert "300\xa0000" in french and "5\xa0000\xa0€" in french
    assert "300,000" in english and "€5,000" in english
    assert "Training 1,800 staff in digital skills" in english


@pytest.mark.django_db
def test_the_language_switch_sets_english_and_back(client, world, compiled_catalogue):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302 and response.url == "/en/"
    # From an English page the switch posts to /en/i18n/setlang/ (see benchmark_portal/urls.py).
    english = client.get("/en/experiences/").content.decode()
    assert 'action="/en/i18n/setlang/"' in english
    response = client.post("/en/i18n/setlang/", {"language": "fr", "next": "/en/experiences/"})
    assert response.url == "/experiences/"
