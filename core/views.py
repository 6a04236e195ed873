"""Project-wide error views."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found as django_page_not_found


def page_not_found(request, exception):
    """404 for an address no route matches: JSON under /api/ (as DRF answers), HTML elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Page introuvable.")}, status=404)
    return django_page_not_found(request, exception)
