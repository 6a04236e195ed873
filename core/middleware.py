"""Small middleware: NUL-byte rejection, the API's language."""

from __future__ import annotations

from urllib.parse import unquote

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils import translation


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


class ApiLanguageMiddleware:
    """The API speaks the reader's language too.

    It lives outside `i18n_patterns` (its URLs have no /en/ prefix), where LocaleMiddleware
    keeps French; here the language comes from the language cookie or `Accept-Language`,
    as for any HTTP client, and the response says which one it used (Content-Language, and
    Vary: Accept-Language, both from LocaleMiddleware's response step).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
