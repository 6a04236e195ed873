"""A database for the semantic benchmarks: demo fiches + bench/data/extra_fiches.json, with vectors.

With DATABASE_URL set, that database is used (it must have pgvector). Without it, a
database `periscope_semantic_bench` is created on the project's embedded PostgreSQL
(var/postgres/, which ships pgvector), so the portal's own database is left alone.
Everything is idempotent: the first run migrates, imports the territories, loads the
demo and the extra fiches and embeds them (a few minutes on 2 cores); the next runs
only check.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
BENCH_DB = "periscope_semantic_bench"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmark_portal.settings.test")
    if not os.environ.get("DATABASE_URL"):
        import psycopg

        from benchmark_portal.database import database_url, embedded_database

        settings = embedded_database(ROOT)
        with psycopg.connect(
            host=settings["HOST"], port=settings["PORT"] or None, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone():
                conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
        os.environ["DATABASE_URL"] = database_url(settings, name=BENCH_DB)
    import logging

    import django

    django.setup()
    for name in ("periscope", "django", "pikepdf", "experiences", "celery", "kombu"):
        logging.getLogger(name).setLevel(logging.ERROR)


def staff_user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="equipe")


def load_extra_fiches() -> int:
    """bench/data/extra_fiches.json through the services (created, published). Returns how many were added."""
    from experiences import services
    from experiences.models import Experience, Theme
    from territories.models import Territory

    staff = staff_user()
    themes = {t.slug: t for t in Theme.objects.all()}
    added = 0
    for row in json.loads((DATA / "extra_fiches.json").read_text()):
        experience = Experience.objects.filter(external_ref=row["ref"]).first()
        if experience is not None:
            if experience.status == Experience.Status.DRAFT:
                services.experience_submit(experience=experience, by=staff)
            if experience.status == Experience.Status.REVIEW:
                services.experience_publish(experience=experience, by=staff)
            continue
        territory = Territory.objects.get(code=row["territory"], country=row.get("country", "FR"))
        fields = {
            k: row[k]
            for k in ("title", "title_en", "summary", "summary_en", "context", "actions", "results")
            if k in row
        }
        experience = services.experience_create(
            author=staff,
            fields={**fields, "lead_territory": territory, "external_ref": row["ref"], "visibility": "public"},
            themes=[themes[s] for s in row["themes"]],
        )
        services.experience_submit(experience=experience, by=staff)
        services.experience_publish(experience=experience, by=staff)
        added += 1
    return added


def prepare(*, quiet: bool = False) -> dict:
    """Migrate, load and embed what is missing. Returns {ref: id} of every fiche."""
    from django.core.management import call_command

    from experiences.models import Experience
    from experiences.semantic import availability, jobs
    from territories.models import Territory

    out = open(os.devnull, "w") if quiet else sys.stderr  # noqa: SIM115 - closed with the process
    call_command("migrate", verbosity=0, stdout=out)
    if not Territory.objects.exists():
        call_command("import_territories", stdout=out, stderr=out)
    if not Experience.objects.filter(external_ref="demo-001").exists():
        call_command("load_demo", stdout=out)
    load_extra_fiches()
    if not availability.available():
        raise SystemExit("This database has no pgvector: the semantic benchmarks need it.")
    stale = jobs.stale_ids()
    if stale:
        print(f"embedding {len(stale)} fiches…", file=sys.stderr)
        jobs.embed_experiences(stale)
    return dict(Experience.objects.exclude(external_ref=None).values_list("external_ref", "pk"))
