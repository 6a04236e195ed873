"""Helpers shared by the production tests: database URLs for subprocesses, table fingerprints."""

from __future__ import annotations

import psycopg
from psycopg import sql

from benchmark_portal.database import database_url  # noqa: F401 - re-exported for the tests


def connect(settings_dict: dict, *, name: str | None = None, autocommit: bool = True) -> psycopg.Connection:
    params = {
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "dbname": name or settings_dict["NAME"],
    }
    return psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=autocommit)


def table_fingerprints(conn: psycopg.Connection) -> dict[str, tuple[int, str]]:
    """Row count and md5 of the ordered rows (as text) of every table in the public schema."""
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1"
        )
    ]
    fingerprints = {}
    for table in tables:
        query = sql.SQL(
            "SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {} AS t"
        ).format(sql.Identifier("public", table))
        count, digest = conn.execute(query).fetchone()
        fingerprints[table] = (count, digest)
    return fingerprints


def sequence_values(conn: psycopg.Connection) -> dict[str, int | None]:
    return dict(conn.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"))


def schema_objects(conn: psycopg.Connection) -> dict[str, list[str]]:
    """Extensions and text search configurations (search depends on both)."""
    return {
        "extensions": sorted(r[0] for r in conn.execute("SELECT extname FROM pg_extension")),
        "ts_configs": sorted(
            r[0] for r in conn.execute("SELECT cfgname FROM pg_ts_config WHERE cfgnamespace = 'public'::regnamespace")
        ),
        "indexes": sorted(r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")),
    }
