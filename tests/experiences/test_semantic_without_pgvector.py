"""A PostgreSQL without pgvector (the machine's PostgreSQL 15): migrations pass, `migrate` and
`manage.py check --database default` warn, every semantic feature degrades quietly and
search works with words only.

Runs `manage.py` in subprocesses against its own database on 127.0.0.1:5432
(periscope_sem_novector; PERISCOPE_NOVECTOR_URL overrides it); skipped when no such
server answers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
URL = os.environ.get("PERISCOPE_NOVECTOR_URL", "postgres://postgres@127.0.0.1:5432/periscope_sem_novector")

SCRIPT = r"""
from django.contrib.auth.models import AnonymousUser
from django.core.management import CommandError, call_command
from django.db import transaction

from experiences import services
from experiences.models import Experience
from experiences.semantic import availability, hybrid, jobs
from experiences.semantic.duplicates import duplicate_candidates
from experiences.semantic.similar import similar_experiences
from experiences.semantic.themes import theme_suggestions
from territories.models import Territory

assert not availability.available()
with transaction.atomic():
    territory = Territory.objects.create(kind="commune", country="FR", code="99001", name="Sansvecteur", slug="sansvecteur", population=900)
    fiche = Experience.objects.create(title="Un tiers-lieu dans l'ancienne gare", slug="sans-vecteur-gare",
        summary="La gare désaffectée devient un tiers-lieu.", lead_territory=territory, status="published",
        visibility="public", published_at="2024-01-01T00:00:00Z")
    services.refresh_derived_fields([fiche.pk])  # queues nothing: no vector table
    hits = hybrid.hybrid_search(viewer=AnonymousUser(), text="tiers-lieu gare")
    assert [h.experience_id for h in hits] == [fiche.pk] and hits[0].reasons == ["words"], hits
    assert hybrid.hybrid_search(viewer=AnonymousUser(), text="third place in a former railway station") == []
    assert similar_experiences(experience=fiche, viewer=AnonymousUser()) == []
    assert duplicate_candidates(title="Un tiers-lieu dans l'ancienne gare de la commune", summary="La gare devient un tiers-lieu.",
        territory=territory, viewer=AnonymousUser()) == []
    theme_suggestions(title="Un tiers-lieu dans la gare", summary="La gare devient un lieu partagé", viewer=AnonymousUser())
    assert jobs.embed_experiences([fiche.pk]).embedded == 0 and jobs.stale_ids() == []
    try:
        call_command("embed_experiences")
    except CommandError as exc:
        assert "pgvector" in str(exc)
    else:
        raise AssertionError("embed_experiences should refuse")
    fiche.delete()  # no vector table to cascade into: still fine
    transaction.set_rollback(True)
print("DEGRADED-QUIETLY")
"""


def _server_answers() -> bool:
    try:
        with psycopg.connect(URL.rsplit("/", 1)[0] + "/postgres", connect_timeout=3, autocommit=True) as conn:
            name = URL.rsplit("/", 1)[1]
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
            return not conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
    except psycopg.OperationalError:
        return False


pytestmark = pytest.mark.skipif(not _server_answers(), reason=f"no PostgreSQL without pgvector at {URL}")


def _manage(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": URL, "DJANGO_SETTINGS_MODULE": "benchmark_portal.settings.test"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_without_pgvector_migrations_pass_check_warns_and_search_works_with_words_only():
    migrate = _manage("migrate", "--noinput", "-v", "0")
    assert migrate.returncode == 0, migrate.stderr
    assert "experiences.W001" in migrate.stderr + migrate.stdout  # migrate runs the database checks
    check = _manage("check", "--database", "default")
    assert check.returncode == 0, check.stderr
    assert "experiences.W001" in check.stderr + check.stdout
    assert "no pgvector extension" in check.stderr + check.stdout
    run = _manage("shell", "-c", SCRIPT)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "DEGRADED-QUIETLY" in run.stdout
