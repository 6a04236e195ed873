"""The production settings pass Django's deployment checklist with no warning, and refuse
to start without their secrets."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "benchmark_portal.settings.production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "periscope.example.org",
    "PORTAL_BASE_URL": "https://periscope.example.org",
    "DJANGO_EMAIL_HOST": "smtp.example.org",
    "DJANGO_EMAIL_USER": "periscope",
    "DJANGO_EMAIL_PASSWORD": secrets.token_urlsafe(16),
    "DJANGO_LOG_LEVEL": "ERROR",
}


def manage(*args, env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    # The checks never connect; a URL keeps the embedded server from starting.
    base.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check_with_no_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_read_the_security_settings():
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_NAME, *map(str, s.SECURE_CSP['frame-ancestors']),"
        " s.MAILERS['default']['BACKEND'])"
    )
    result = manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "31536000",
        "True",
        "True",
        "True",
        "True",
        "__Host-sessionid",
        "'none'",
        "django.core.mail.backends.smtp.EmailBackend",
    ]


@pytest.mark.parametrize(
    "secret", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DJANGO_EMAIL_PASSWORD", "PORTAL_BASE_URL"]
)
def test_production_refuses_to_start_without_each_secret(secret):
    dotenv = ROOT / ".env"
    if dotenv.exists() and secret in dotenv.read_text():
        pytest.skip(f"{secret} is set in the local .env file")
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != secret}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert secret in result.stderr
