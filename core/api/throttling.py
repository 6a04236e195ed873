"""Rate limits. Anonymous and signed-in limits apply to every API view (settings);
exports have their own, stricter scope ("exports", 20 per hour by default) shared by
the API and the HTML export views."""

from __future__ import annotations

import functools

from django.http import HttpResponse
from django.utils.translation import gettext as _
from rest_framework.throttling import SimpleRateThrottle


class ExportRateThrottle(SimpleRateThrottle):
    """One bucket per account (or per address for visitors) for every export.

    Use it on an API view with `throttle_classes = [*api_settings.DEFAULT_THROTTLE_CLASSES,
    ExportRateThrottle]`, or on a plain Django view with `@throttle_exports`.
    """

    scope = "exports"

    def get_cache_key(self, request, view):
        user = getattr(request, "user", None)
        ident = user.pk if user is not None and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


def throttle_exports(view_func):
    """Apply the exports rate limit to a plain Django view (HTML/CSV/XLSX/PDF download)."""

    @functools.wraps(view_func)
    def wrapper(request, *args, **kwargs):
        throttle = ExportRateThrottle()
        if not throttle.allow_request(request, None):
            wait = throttle.wait()
            response = HttpResponse(
                _("Trop d'exports : réessayez plus tard."), status=429, content_type="text/plain; charset=utf-8"
            )
            if wait is not None:
                response["Retry-After"] = str(int(wait) + 1)
            return response
        return view_func(request, *args, **kwargs)

    return wrapper
