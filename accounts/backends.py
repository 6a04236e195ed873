"""Sign-in: username or e-mail, with django-axes' lockout.

AUTHENTICATION_BACKENDS runs `LockoutBackend` (django-axes) first: it refuses every
attempt for a locked (account, address) pair without looking at the password, and
axes counts each failure that `PortalAuthBackend` reports (Django's
`user_login_failed` signal). Every sign-in path that calls `authenticate()` with the
request — the portal's login page, the admin's — shares the counter. The API takes
personal tokens and sessions, never passwords, so it has nothing to lock.

Axes keys its counter on `axes_username(request, credentials)`: the account's own
username whatever was typed (the username in any case, or the account's e-mail), so
five wrong passwords lock the account itself, not the spelling of its name.
"""

from __future__ import annotations

import ipaddress

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.template.response import TemplateResponse
from rest_framework.throttling import BaseThrottle


def client_ip(request) -> str:
    """The client's address, exactly as the API throttles see it: REMOTE_ADDR, or with
    DJANGO_NUM_PROXIES = n the n-th address from the right of X-Forwarded-For (those on
    its left can be forged by the client). Axes reads it (AXES_CLIENT_IP_CALLABLE), so
    the lockout and the rate limits agree on who the client is."""
    ident = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(ident))
    except ValueError:
        return "0.0.0.0"  # noqa: S104 - a placeholder, not a bind address


def find_account(identifier: str, *, any_case: bool = False):
    """The account a sign-in identifier names: the username, else the e-mail address
    when it names exactly one account; None when it names none. `any_case` also reads
    the username in any case (when one account matches), for counting failures."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    users = get_user_model()._default_manager
    user = users.filter(username=identifier).first()
    if user is None and any_case:
        matches = list(users.filter(username__iexact=identifier)[:2])
        user = matches[0] if len(matches) == 1 else None
    if user is None and "@" in identifier:
        matches = list(users.filter(email__iexact=identifier)[:2])
        user = matches[0] if len(matches) == 1 else None
    return user


def axes_username(request, credentials) -> str:
    """What axes counts failures under: the account's username, or what was typed
    (lower-cased, at most 254 characters) when it names no account."""
    typed = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if typed is None and request is not None:
        typed = request.POST.get(settings.AXES_USERNAME_FORM_FIELD)
    user = find_account(typed or "", any_case=True)
    if user is not None:
        return user.username
    return (typed or "").strip().lower()[:254]


def lockout_response(request, original_response=None, credentials=None):  # noqa: ARG001 - axes signature
    """HTTP 429 with Retry-After and a readable page (AXES_LOCKOUT_CALLABLE)."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    response = TemplateResponse(request, "registration/lockout.html", {"minutes": seconds // 60}, status=429)
    response["Retry-After"] = str(seconds)
    return response.render()


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, skipped when there is no request (a management command,
    `Client.login()` in a test): without an address there is no pair to key on."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class PortalAuthBackend(ModelBackend):
    """ModelBackend that accepts a username or an e-mail address."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = find_account(username)
        if user is None:
            # Run the hasher once anyway so that timing does not tell which accounts exist.
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
