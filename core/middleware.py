"""Small hardening middleware: sign-in lockout responses and NUL-byte rejection."""

from __future__ import annotations

from urllib.parse import unquote

from django.http import HttpResponseBadRequest, JsonResponse
from django.template.response import TemplateResponse

from . import lockout


class LockoutMiddleware:
    """Answer HTTP 429 when the authentication backend refused a locked (username, IP) pair.

    The backend only flags the request (`request.login_locked_out`); any view that
    called `authenticate()` — the portal's login page, the admin's — gets the same answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "login_locked_out", False):
            minutes = int(lockout.lock_duration().total_seconds() // 60)
            response = TemplateResponse(request, "registration/lockout.html", {"minutes": minutes}, status=429)
            response["Retry-After"] = str(minutes * 60)
            response.render()
        return response


class RejectNullBytesMiddleware:
    """400 for a NUL character in the path or the query string.

    PostgreSQL refuses NUL in text, so without this any view that passes a query
    parameter to the database unvalidated would answer 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "\x00" in unquote(query) or "%00" in query:
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "NUL character in request."}, status=400)
            return HttpResponseBadRequest("NUL character in request", content_type="text/plain")
        return self.get_response(request)
