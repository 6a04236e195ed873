"""Sign-in lockout: LOGIN_LOCKOUT_FAILURES failures for one (username, IP address)
within LOGIN_LOCKOUT_MINUTES lock that pair for LOGIN_LOCKOUT_MINUTES.

The authentication backend (core.auth_backends) calls `is_locked` before checking a
password and `record_failure` / `record_success` after, so every sign-in path that goes
through `django.contrib.auth.authenticate()` (the portal's login page, the admin's, a
password-protected API client) shares one counter. `LockoutMiddleware` turns a refused
attempt into an HTTP 429 response.
"""

from __future__ import annotations

import datetime
import ipaddress

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import LoginLockout


def failure_limit() -> int:
    return settings.LOGIN_LOCKOUT_FAILURES


def lock_duration() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def normalise_username(username: str | None) -> str:
    return (username or "").strip().lower()[:254]


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the address the trusted proxies saw.

    With NUM_PROXIES = n (the same setting DRF's throttles read), the n-th address
    from the right of X-Forwarded-For is the client: the ones on its left can be
    forged by the client itself, so they are never used.
    """
    remote = request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 - a placeholder, not a bind address
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if chain:
            remote = chain[-min(proxies, len(chain))]
    try:
        return str(ipaddress.ip_address(remote))
    except ValueError:
        return "0.0.0.0"  # noqa: S104


def is_locked(*, username: str, ip: str, now: datetime.datetime | None = None) -> bool:
    now = now or timezone.now()
    return LoginLockout.objects.filter(
        username=normalise_username(username), ip_address=ip, locked_until__gt=now
    ).exists()


@transaction.atomic
def record_failure(*, username: str, ip: str, now: datetime.datetime | None = None) -> LoginLockout:
    """Count one failed attempt; lock the pair when the limit is reached."""
    now = now or timezone.now()
    window = lock_duration()
    lockout, _created = LoginLockout.objects.select_for_update().get_or_create(
        username=normalise_username(username), ip_address=ip, defaults={"window_started_at": now}
    )
    expired_lock = lockout.locked_until is not None and lockout.locked_until <= now
    if expired_lock or lockout.window_started_at <= now - window:
        lockout.failures = 0
        lockout.window_started_at = now
        lockout.locked_until = None
    lockout.failures += 1
    if lockout.failures >= failure_limit():
        lockout.locked_until = now + window
    lockout.save()
    # Old rows are useless: prune them here rather than in a periodic job.
    LoginLockout.objects.filter(window_started_at__lt=now - datetime.timedelta(days=1)).exclude(
        locked_until__gt=now
    ).delete()
    return lockout


def record_success(*, username: str, ip: str) -> None:
    LoginLockout.objects.filter(username=normalise_username(username), ip_address=ip).delete()
