"""Is semantic search on, and can this database serve it?

Two conditions: the SEMANTIC_SEARCH setting, and a database with the `vector`
extension and the vector table (migration experiences 0012 creates both only where
pgvector is installed). Without them every semantic feature returns nothing and
the portal searches with words only; `manage.py check` says why (checks.py).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

TABLE = "experiences_experiencevector"
EXTENSION = "vector"
# The answer is kept a minute per process and database: installing pgvector and running
# `manage.py embed_experiences` is noticed without a restart, and a request pays no query.
CACHE_SECONDS = 60.0
_cache: dict[tuple, tuple[float, bool]] = {}


def enabled() -> bool:
    """The SEMANTIC_SEARCH setting (environment variable, default on)."""
    return bool(getattr(settings, "SEMANTIC_SEARCH", True))


def _key(using: str) -> tuple:
    db = connections[using].settings_dict
    return (using, db.get("NAME"), db.get("HOST"), db.get("PORT"))


def database_status(using: str = "default") -> dict[str, bool]:
    """{'available': pgvector can be installed, 'installed': it is, 'table': the vector table exists}."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = %s),"
            " EXISTS (SELECT 1 FROM pg_extension WHERE extname = %s),"
            " to_regclass(%s) IS NOT NULL",
            [EXTENSION, EXTENSION, TABLE],
        )
        available, installed, table = cursor.fetchone()
    return {"available": available, "installed": installed, "table": table}


def available(using: str = "default") -> bool:
    """True when semantic features can run: the setting is on and the vector table exists."""
    if not enabled():
        return False
    key = _key(using)
    hit = _cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    try:
        status = database_status(using)
    except DatabaseError:
        logger.warning("Semantic search: could not read the database's extensions", exc_info=True)
        return False
    answer = status["installed"] and status["table"]
    _cache[key] = (time.monotonic(), answer)
    return answer


def forget() -> None:
    """Drop the cached answers (after the schema was created, and in tests)."""
    _cache.clear()
