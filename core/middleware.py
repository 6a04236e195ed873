"""Small hardening middleware: NUL-byte rejection."""

from __future__ import annotations

from urllib.parse import unquote

from django.http import HttpResponseBadRequest, JsonResponse


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
