"""/healthz and /readyz, in the test client and behind gunicorn with the production settings."""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from .support import database_url

ROOT = Path(settings.BASE_DIR)


def test_healthz_answers_without_touching_the_database(client):
    # No `db` fixture: any query would raise instead of passing silently.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_is_ok_when_database_redis_and_migrations_are_ready(client, settings, redis_url):
    settings.CELERY_BROKER_URL = redis_url

    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "redis": True,
        "migrations": True,
    }


@pytest.mark.django_db
def test_readyz_reports_redis_as_not_configured_when_tasks_run_in_process(client, settings):
    settings.CELERY_BROKER_URL = ""
    settings.CELERY_RESULT_BACKEND = None
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == {"ok": True, "ms": pytest.approx(0, abs=50), "note": "not configured"}


@pytest.mark.django_db
def test_readyz_is_unavailable_when_redis_does_not_answer(client, settings, redis_url, closed_port):
    settings.CELERY_BROKER_URL = redis_url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        }
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_readyz_is_unavailable_while_a_migration_is_pending(client, settings):
    settings.CELERY_BROKER_URL = ""
    app, name = sorted(MigrationLoader(connection).graph.leaf_nodes())[0]
    with connection.cursor() as cursor:  # "unapply" the latest migration of an app; rolled back with the test
        cursor.execute("DELETE FROM django_migrations WHERE app = %s AND name = %s", [app, name])

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {"ok": False, "error": "RuntimeError"}


def test_readyz_is_unavailable_when_the_database_is_down(client, settings, django_db_blocker, closed_port):
    settings.CELERY_BROKER_URL = ""
    db = connections["default"]
    saved = dict(db.settings_dict)
    with django_db_blocker.unblock():
        db.close()
        db.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port), OPTIONS={})
        try:
            response = client.get("/readyz")
        finally:
            db.close()
            db.settings_dict.clear()
            db.settings_dict.update(saved)

    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert response.json()["checks"]["migrations"] == {"ok": False, "error": "database unavailable"}


@pytest.mark.django_db
def test_probes_answer_an_internal_host_over_http_despite_allowed_hosts_and_https_redirect(client, settings):
    settings.ALLOWED_HOSTS = ["periscope.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    settings.CELERY_BROKER_URL = ""

    assert client.get("/healthz", HTTP_HOST="172.18.0.5:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="172.18.0.5:8000").status_code == 200
    # Every other path still gets the usual protections.
    assert client.get("/", HTTP_HOST="172.18.0.5:8000").status_code == 400
    assert client.get("/", HTTP_HOST="periscope.example.org").status_code == 301


def test_probes_are_mounted_outside_the_language_prefix():
    from django.urls import reverse

    assert reverse("healthz") == "/healthz"
    assert reverse("readyz") == "/readyz"


# --- gunicorn + production settings -------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def production_gunicorn(django_db_setup, tmp_path, redis_url):
    """gunicorn with benchmark_portal/gunicorn.conf.py and the production settings, on loopback."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmark_portal.settings.production",
        "DJANGO_SECRET_KEY": "production-test-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "periscope.example.org",
        "PORTAL_BASE_URL": "https://periscope.example.org",
        "DJANGO_EMAIL_HOST": "localhost",
        "DJANGO_EMAIL_USER": "",
        "DJANGO_EMAIL_PASSWORD": "",
        "DATABASE_URL": database_url(connection.settings_dict),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "CELERY_BROKER_URL": redis_url,
        "DJANGO_LOG_FORMAT": "json",
        "GUNICORN_WORKERS": "1",
    }
    env.pop("DJANGO_LOG_LEVEL", None)
    # The project's own files only: compressing the API docs' bundles takes ~15 s.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"]
        + [f"--ignore={app}" for app in ("admin", "rest_framework", "drf_spectacular_sidecar", "django_filters")],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    port = free_port()
    env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "benchmark_portal/gunicorn.conf.py", "benchmark_portal.wsgi"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if fetch(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base, log_path, tmp_path / "static"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_gunicorn_with_production_settings_serves_probes_pages_and_static_files(production_gunicorn):
    base, log_path, static_root = production_gunicorn
    internal = {"Host": "172.18.0.5:8000"}
    public = {"Host": "periscope.example.org", "X-Forwarded-Proto": "https"}

    # The compose health check: plain HTTP, container address as Host.
    status, _, body = fetch(base + "/readyz", internal)
    assert status == 200, body
    assert json.loads(body)["status"] == "ok"

    # Pages: HTTPS enforced, request id echoed, one JSON log line with the same id.
    assert fetch(base + "/", {"Host": "periscope.example.org"})[0] == 301
    status, headers, body = fetch(base + "/", {**public, "X-Request-ID": "lb-trace-42"})
    assert status == 200
    assert headers["X-Request-ID"] == "lb-trace-42"
    assert "Strict-Transport-Security" in headers

    # Static files from WhiteNoise under hashed names, cached for good.
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed_css = manifest["css/periscope.css"]
    assert hashed_css in body.decode()
    status, headers, _ = fetch(f"{base}/static/{hashed_css}", {**public, "Accept-Encoding": "gzip"})
    assert status == 200
    assert "immutable" in headers["Cache-Control"]
    assert headers.get("Content-Encoding") == "gzip"

    time.sleep(0.3)  # let the worker flush its log line
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "periscope.request" and line.get("path") == "/"]
    assert any(
        line["request_id"] == "lb-trace-42" and line["status"] == 200 and line["duration_ms"] > 0 for line in requests
    ), requests
    # gunicorn's own messages are JSON lines too; successful probes are not logged.
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    assert not [line for line in lines if line.get("path") in ("/healthz", "/readyz")]
    assert not re.search(r"Traceback", log_path.read_text())
