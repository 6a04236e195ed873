"""`make backup` / `make restore`: scripts/backup.sh and scripts/restore.sh against the real server."""

import hashlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.roles import Role
from experiences.models import Experience
from tests.factories import (
    ContactFactory,
    CriterionFactory,
    ExperienceFactory,
    PartnershipFundingFactory,
    StudyExperienceFactory,
    TagFactory,
    ThemeFactory,
    UserFactory,
)

from .support import connect, database_url, schema_objects, sequence_values, table_fingerprints

ROOT = Path(settings.BASE_DIR)


def run_script(script: str, *args: str, env: dict, stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / script), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=stdin,
        timeout=300,
    )


@pytest.fixture
def script_env(tmp_path):
    """The environment of `make backup`: the test database and a media folder of our own."""
    media = tmp_path / "media"
    media.mkdir()
    private = tmp_path / "private"
    private.mkdir()
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmark_portal.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "DJANGO_MEDIA_ROOT": str(media),
        "DJANGO_PRIVATE_MEDIA_ROOT": str(private),
        "PY": sys.executable,
    }


@pytest.fixture
def scratch_database():
    """A fresh empty database on the same server, dropped afterwards."""
    name = f"{connection.settings_dict['NAME'].removeprefix('test_')}_restore_{secrets.token_hex(4)}"
    with connect(connection.settings_dict, name="postgres") as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with connect(connection.settings_dict, name="postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def files_digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def only_backup(root: Path) -> Path:
    backups = sorted(root.glob("periscope-*"))
    assert len(backups) == 1, backups
    return backups[0]


@pytest.mark.django_db(transaction=True)
def test_backup_restored_into_a_fresh_database_has_identical_tables_sequences_and_media(
    tmp_path, script_env, scratch_database
):
    # Committed rows across the apps (pg_dump runs in another process), with accents,
    # many-to-many links, history rows and generated search columns.
    themes = [ThemeFactory(name="Tiers-lieux"), ThemeFactory(name="Concertation")]
    for i in range(5):
        ExperienceFactory(title=f"Tiers-lieu en gare n°{i} — « Les Ateliers »", themes=themes, tags=[TagFactory()])
    ExperienceFactory(visibility=Experience.Visibility.MEMBERS, status=Experience.Status.DRAFT)
    item = StudyExperienceFactory()
    CriterionFactory(study=item.study)
    ContactFactory(name="Zoé Lefèvre")
    PartnershipFundingFactory(amount=5000)
    UserFactory(role=Role.STAFF)
    media = Path(script_env["DJANGO_MEDIA_ROOT"])
    (media / "attachments" / "2026").mkdir(parents=True)
    (media / "attachments" / "2026" / "délibération.pdf").write_bytes(b"%PDF-1.4 " + secrets.token_bytes(2048))
    (media / "reports" / "v1").mkdir(parents=True)
    (media / "reports" / "v1" / "rapport.pdf").write_bytes(secrets.token_bytes(4096))
    # Private files (attachments, partnership files, reports) are backed up too.
    private = Path(script_env["DJANGO_PRIVATE_MEDIA_ROOT"])
    (private / "attachments" / "12").mkdir(parents=True)
    (private / "attachments" / "12" / "convention-été.pdf").write_bytes(b"%PDF-1.4 " + secrets.token_bytes(1024))

    backups = tmp_path / "backups"
    result = run_script("backup.sh", str(backups), env=script_env)
    assert result.returncode == 0, result.stderr
    backup = only_backup(backups)
    assert {p.name for p in backup.iterdir()} == {"db.dump", "media.tar.gz", "private.tar.gz", "SHA256SUMS", "INFO"}
    assert backup.joinpath("db.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    restored_media = tmp_path / "restored-media"
    restored_private = tmp_path / "restored-private"
    result = run_script(
        "restore.sh",
        str(backup),
        "--yes",
        "--database-url",
        database_url(connection.settings_dict, name=scratch_database),
        "--media-root",
        str(restored_media),
        "--private-root",
        str(restored_private),
        env=script_env,
    )
    assert result.returncode == 0, result.stderr

    with connect(connection.settings_dict) as source, connect(connection.settings_dict, name=scratch_database) as copy:
        source_tables = table_fingerprints(source)
        copy_tables = table_fingerprints(copy)
        assert source_tables["experiences_experience"][0] == Experience.objects.count() >= 7
        assert len(source_tables) > 20
        assert copy_tables == source_tables
        assert sequence_values(copy) == sequence_values(source)
        assert schema_objects(copy) == schema_objects(source)
    assert files_digest(restored_media) == files_digest(media)
    assert "attachments/2026/délibération.pdf" in files_digest(restored_media)
    assert files_digest(restored_private) == files_digest(private)
    assert "attachments/12/convention-été.pdf" in files_digest(restored_private)


@pytest.mark.django_db(transaction=True)
def test_restore_replaces_media_files_and_rows_added_after_the_backup(tmp_path, script_env, scratch_database):
    ExperienceFactory(title="Avant la sauvegarde")
    media = Path(script_env["DJANGO_MEDIA_ROOT"])
    (media / "kept.txt").write_text("dans la sauvegarde")
    backups = tmp_path / "backups"
    assert run_script("backup.sh", str(backups), env=script_env).returncode == 0
    backup = only_backup(backups)
    target_url = database_url(connection.settings_dict, name=scratch_database)
    restore_args = [str(backup), "--yes", "--database-url", target_url, "--media-root", str(media)]
    assert run_script("restore.sh", *restore_args, env=script_env).returncode == 0

    # Changes made after the backup disappear when it is restored again over them.
    with connect(connection.settings_dict, name=scratch_database) as copy:
        copy.execute("DELETE FROM experiences_experience_themes")
        copy.execute("UPDATE experiences_experience SET title = 'Modifié après'")
    (media / "added-later.txt").write_text("à supprimer")
    (media / "kept.txt").write_text("modifié")
    result = run_script("restore.sh", *restore_args, env=script_env)
    assert result.returncode == 0, result.stderr

    with connect(connection.settings_dict, name=scratch_database) as copy:
        assert [r[0] for r in copy.execute("SELECT title FROM experiences_experience")] == ["Avant la sauvegarde"]
    assert sorted(p.name for p in media.iterdir()) == ["kept.txt"]
    assert (media / "kept.txt").read_text() == "dans la sauvegarde"


@pytest.mark.django_db
def test_restore_refuses_to_run_unattended_without_confirmation(tmp_path, script_env):
    backup = tmp_path / "periscope-20260101T000000Z"
    backup.mkdir()
    (backup / "db.dump").write_bytes(b"PGDMP not really")
    (backup / "media.tar.gz").write_bytes(b"")
    subprocess.run("sha256sum db.dump media.tar.gz > SHA256SUMS", shell=True, cwd=backup, check=True)

    result = run_script("restore.sh", str(backup), env=script_env)

    assert result.returncode == 2
    assert "without --yes" in result.stderr


@pytest.mark.django_db
def test_restore_rejects_a_corrupted_backup_before_touching_anything(tmp_path, script_env):
    backup = tmp_path / "periscope-20260101T000000Z"
    backup.mkdir()
    (backup / "db.dump").write_bytes(b"PGDMP original")
    (backup / "media.tar.gz").write_bytes(b"")
    subprocess.run("sha256sum db.dump media.tar.gz > SHA256SUMS", shell=True, cwd=backup, check=True)
    (backup / "db.dump").write_bytes(b"PGDMP tampered")
    media = Path(script_env["DJANGO_MEDIA_ROOT"])
    (media / "untouched.txt").write_text("x")

    result = run_script("restore.sh", str(backup), "--yes", env=script_env)

    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr
    assert (media / "untouched.txt").exists()


@pytest.mark.django_db(transaction=True)
def test_backup_keep_deletes_all_but_the_newest_backups(tmp_path, script_env):
    backups = tmp_path / "backups"
    for _ in range(3):
        result = run_script("backup.sh", "--keep", "2", str(backups), env=script_env)
        assert result.returncode == 0, result.stderr

    names = sorted(p.name for p in backups.iterdir())

    assert len(names) == 2
    assert all(name.startswith("periscope-") for name in names)
