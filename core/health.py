"""Health probes for load balancers and docker-compose.

``/healthz`` says the process is alive and serving (no I/O: a database outage
must not get every web container restarted). ``/readyz`` says this instance can
serve traffic: the database answers, Redis answers (broker, result backend and
cache, whichever use Redis) and no migration is pending.

Both are mounted in ``benchmark_portal/urls.py`` outside ``i18n_patterns``; the
middleware below also answers them before host validation and the HTTPS
redirect, because probes come from inside the network with the container's own
address as Host and over plain HTTP.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 2.0
_migrations_applied = False


def _json(payload: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(payload, status=status)
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> JsonResponse:  # noqa: ARG001 (view signature)
    """Liveness: the process runs and answers."""
    return _json({"status": "ok"})


def check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def redis_urls() -> list[str]:
    """Every Redis URL the portal is configured to use, without duplicates."""
    candidates = [
        getattr(settings, "CELERY_BROKER_URL", "") or "",
        getattr(settings, "CELERY_RESULT_BACKEND", "") or "",
    ]
    for cache in settings.CACHES.values():
        location = cache.get("LOCATION")
        if "redis" in cache.get("BACKEND", "").lower():
            candidates.extend(location if isinstance(location, list | tuple) else [location or ""])
    urls = []
    for url in candidates:
        if url.startswith(("redis://", "rediss://", "unix://")) and url not in urls:
            urls.append(url)
    return urls


def check_redis() -> str | None:
    """Ping each configured Redis; None when no Redis is configured (tasks run eagerly)."""
    import redis

    urls = redis_urls()
    for url in urls:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=PROBE_TIMEOUT_SECONDS, socket_timeout=PROBE_TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
    return None if urls else "not configured"


def check_migrations() -> None:
    """Raise if a migration is pending. A positive answer is kept for the process's life:
    the code (hence the migration files) cannot change under a running process."""
    global _migrations_applied
    if _migrations_applied:
        return
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} pending migration(s), first {plan[0][0].app_label}.{plan[0][0].name}")
    _migrations_applied = True


CHECKS: dict[str, Callable[[], str | None]] = {
    "database": check_database,
    "redis": check_redis,
    "migrations": check_migrations,
}


def readyz(request: HttpRequest) -> JsonResponse:  # noqa: ARG001 (view signature)
    """Readiness: 200 when every check passes, 503 otherwise, with one entry per check.

    Error details go to the log, not to the response (the probe is reachable
    from outside); the response names the failing check and the exception class."""
    results: dict[str, dict] = {}
    ready = True
    for name, check in CHECKS.items():
        if name == "migrations" and not results["database"]["ok"]:
            results[name] = {"ok": False, "error": "database unavailable"}
            continue
        started = time.perf_counter()
        try:
            note = check()
        except Exception as exc:
            ready = False
            results[name] = {"ok": False, "error": type(exc).__name__}
            logger.warning("readiness check %s failed: %s", name, exc, extra={"check": name})
            if name == "database":
                # Drop the broken connection so the next probe reconnects.
                connections[DEFAULT_DB_ALIAS].close()
            continue
        results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
        if note:
            results[name]["note"] = note
    return _json({"status": "ok" if ready else "unavailable", "checks": results}, status=200 if ready else 503)


PROBES: dict[str, Callable[[HttpRequest], JsonResponse]] = {"/healthz": healthz, "/readyz": readyz}


class HealthProbeMiddleware:
    """Answer probes before ALLOWED_HOSTS and SECURE_SSL_REDIRECT apply.

    A probe from docker or a load balancer uses the container's address as Host
    and plain HTTP: going through the normal stack it would get a 400 or a 301."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
