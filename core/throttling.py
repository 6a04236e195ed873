"""Rate limits: one definition for the API and the HTML views.

Scopes and rates live in one place, settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
(anon, user for every API call; exports, pdf, reports, imports, password_reset for
heavy work). `ScopedThrottle` is a DRF throttle keyed on the account (or the client
address for visitors, DJANGO_NUM_PROXIES-aware); API views use `throttle_class(scope)`,
Django views the `@throttle(scope)` decorator, which answers 429 with Retry-After and a
readable page. Both count in the same cache bucket, so an export through the API and
one through the page share the allowance.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django.shortcuts import render
from rest_framework.throttling import SimpleRateThrottle


class ScopedThrottle(SimpleRateThrottle):
    """One bucket per (scope, account), or per (scope, address) for visitors."""

    scope: str = ""

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        ident = f"u{user.pk}" if user is not None and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressThrottle(ScopedThrottle):
    """Keyed on the client address even when signed in (password reset: no account yet)."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


@functools.cache
def throttle_class(scope: str, *, by_address: bool = False) -> type[ScopedThrottle]:
    """The DRF throttle class of a scope (for `throttle_classes` / `get_throttles`)."""
    base = AddressThrottle if by_address else ScopedThrottle
    return type(f"{scope.title().replace('_', '')}Throttle", (base,), {"scope": scope})


def too_many_requests(request, wait: float | None):
    """429 with Retry-After and a page that says when to come back."""
    seconds = int(wait) + 1 if wait is not None else None
    minutes = -(-seconds // 60) if seconds is not None else None
    response = render(request, "429.html", {"retry_after": seconds, "minutes": minutes}, status=429)
    if seconds is not None:
        response["Retry-After"] = str(seconds)
    return response


def throttle(scope: str, *, methods: Iterable[str] | None = None, by_address: bool = False):
    """Apply a scope's rate to a Django view; `methods` limits it to those (e.g. POST)."""
    counted = {m.upper() for m in methods} if methods else None

    def decorator(view_func):
        @functools.wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if counted is None or request.method in counted:
                limiter = throttle_class(scope, by_address=by_address)()
                if not limiter.allow_request(request, None):
                    return too_many_requests(request, limiter.wait())
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator
