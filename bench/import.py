"""Benchmark: import 10,000 valid fiches from an XLSX (or CSV) file.

    DATABASE_URL=postgres://… .venv/bin/python bench/import.py [--rows 10000] [--format xlsx|csv] [--keep]

Needs territories and a thesaurus in the database (`make db-ready`, or
`manage.py import_territories` and `manage.py load_demo`); without them it
creates a few synthetic ones. Prints the time of each phase: building the
file, dry run, commit, and a re-import of the same file (nothing to change);
then the round trip of the docs: an export of those fiches in the same format,
its re-import (nothing to change either) and a second export, identical.
Target: commit of 10,000 rows under 60 s. The rows it created are deleted at
the end unless --keep.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmark_portal.settings.local")

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.roles import ROLE_GROUPS, Role  # noqa: E402
from experiences import exports  # noqa: E402
from experiences.importers import import_experiences  # noqa: E402
from experiences.models import Experience, Tag, Theme  # noqa: E402
from territories.models import Territory  # noqa: E402

HEADERS = [
    "reference", "titre", "resume", "territoire_code", "territoire_type", "themes", "mots_cles", "contexte",
    "actions", "resultats", "points_de_vigilance", "debut", "fin", "etat_projet", "budget", "visibilite",
    "source_titre", "source_url",
]  # fmt: skip
SUBJECTS = ["tiers-lieu", "maison France services", "budget participatif", "plan vélo", "cantine bio", "fablab",
            "réseau de chaleur", "conseil citoyen", "mutualisation des achats", "guichet numérique"]  # fmt: skip


def fixtures():
    communes = list(Territory.objects.filter(kind="commune", population__gt=1000).values_list("code", flat=True)[:500])
    if not communes:
        for n in range(200):
            Territory.objects.get_or_create(
                country="FR", kind="commune", code=f"B{n:04d}",
                defaults={"name": f"Bench {n}", "slug": f"bench-commune-{n}", "population": 2000 + n},
            )  # fmt: skip
        communes = [f"B{n:04d}" for n in range(200)]
    themes = list(Theme.objects.values_list("name", flat=True))
    if not themes:
        for n in range(20):
            Theme.objects.get_or_create(slug=f"bench-theme-{n}", defaults={"name": f"Bench thème {n}"})
        themes = list(Theme.objects.values_list("name", flat=True))
    user, created = User.objects.get_or_create(username="bench-importer")
    if created:
        user.groups.add(Group.objects.get_or_create(name=ROLE_GROUPS[Role.CONSULTANT])[0])
    tags = [f"bench-mot-{n}" for n in range(80)]
    return communes, themes, tags, User.objects.get(pk=user.pk)


def rows(n: int, run: str, rng: random.Random, communes, themes, tags):
    for i in range(n):
        subject = rng.choice(SUBJECTS)
        year = rng.randint(2012, 2024)
        yield [
            f"BENCH-{run}-{i:05d}",
            f"Un {subject} pour la commune (cas {i})",
            f"La commune a lancé un {subject} en {year} avec ses habitants et ses partenaires.",
            rng.choice(communes),
            "commune",
            " ; ".join(rng.sample(themes, k=min(2, len(themes)))),
            " ; ".join(rng.sample(tags, k=3)),
            "Le contexte du projet.\n\nUn second paragraphe plus long pour ressembler à une vraie fiche. " * 2,
            "- Diagnostic\n- Concertation\n- Mise en œuvre",
            f"{rng.randint(10, 500)} usagers la première année.",
            "Le portage politique doit être durable.",
            f"{year}-{rng.randint(1, 12):02d}-01",
            "",
            rng.choice(["en cours", "terminé", "en projet"]),
            str(rng.randint(5, 2000) * 1000),
            "publique",
            "Article de presse locale",
            f"https://example.org/{run}/{i}",
        ]


def build(fmt: str, data) -> bytes:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(HEADERS)
        writer.writerows(data)
        return buffer.getvalue().encode("utf-8")
    # A normal (not write-only) workbook, like one saved by Excel or LibreOffice:
    # shared strings and a <dimension> element, which read-only parsing relies on.
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Fiches"
    sheet.append(HEADERS)
    for row in data:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<34} {elapsed:7.2f} s")
    return result, elapsed


def _sheet(content: bytes) -> list:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def round_trip(fmt: str, imported, user) -> None:
    """Export the imported fiches, import the export back (nothing changes), export again (same file)."""
    queryset = imported.order_by("-published_at", "-created_at", "pk")

    def export():
        return exports.build_export(queryset=queryset, viewer=user, format=fmt)[0]

    first, _ = timed(f"export ({fmt})", export)
    print(f"{'export size':<34} {len(first) / 1_048_576:7.2f} MB")
    back, _ = timed("import of the export", lambda: import_experiences(content=first, filename=f"x.{fmt}", by=user))
    assert back.ok and (back.created, back.updated) == (0, 0), (back.file_error, back.errors[:5], back.updated)
    second, _ = timed(f"export again ({fmt})", export)
    same = _sheet(first) == _sheet(second) if fmt == "xlsx" else first == second
    print(f"{'export → import → export identical':<34} {'yes' if same else 'NO'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    parser.add_argument("--keep", action="store_true", help="keep the imported fiches")
    args = parser.parse_args()

    rng = random.Random(42)
    run = time.strftime("%H%M%S")
    communes, themes, tags, user = fixtures()
    print(f"Import of {args.rows:,} rows ({args.format}), {len(communes)} territories, {len(themes)} themes")
    content, _ = timed("build file", lambda: build(args.format, rows(args.rows, run, rng, communes, themes, tags)))
    print(f"{'file size':<34} {len(content) / 1_048_576:7.2f} MB")
    name = f"bench.{args.format}"
    dry, _ = timed("dry run", lambda: import_experiences(content=content, filename=name, by=user, commit=False))
    assert dry.ok, (dry.file_error, dry.errors[:5])
    report, commit_seconds = timed(
        "commit", lambda: import_experiences(content=content, filename=name, by=user, commit=True)
    )
    assert report.committed and report.created == args.rows, (report.file_error, report.errors[:5])
    again, _ = timed(
        "re-import (no change)", lambda: import_experiences(content=content, filename=name, by=user, commit=True)
    )
    assert again.created == 0 and again.unchanged == args.rows
    imported = Experience.objects.filter(external_ref__startswith=f"BENCH-{run}-")
    print(f"{'fiches in database':<34} {imported.count():7d}")
    round_trip(args.format, imported, user)
    print(f"{'versions recorded':<34} {Experience.history.filter(external_ref__startswith=f'BENCH-{run}-').count():7d}")
    print(f"RESULT: {args.rows:,} rows committed in {commit_seconds:.1f} s (target < 60 s): "
          f"{'OK' if commit_seconds < 60 else 'TOO SLOW'}")  # fmt: skip
    if not args.keep:
        ids = list(imported.values_list("pk", flat=True))
        Experience.history.filter(id__in=ids).delete()
        imported.delete()
        Tag.objects.filter(name__startswith="bench-mot-", experiences__isnull=True).delete()
    return 0 if commit_seconds < 60 else 1


if __name__ == "__main__":
    sys.exit(main())
