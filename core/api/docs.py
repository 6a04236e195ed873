"""Swagger UI and ReDoc, served from the drf-spectacular-sidecar static files (no CDN)
under the portal's Content Security Policy."""

from __future__ import annotations

from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

# ReDoc builds its styles at run time (styled-components) and renders the schema in a
# web worker: on this page only, inline <style> elements and blob: workers are allowed.
# Scripts stay restricted to the portal's own files.
REDOC_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "worker-src": [CSP.SELF, "blob:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}


class SwaggerView(SpectacularSwaggerView):
    """Swagger UI; its start-up script is inline with the request's CSP nonce."""

    template_name = "api/swagger_ui.html"
    # An HTML page: OPTIONS metadata has no template to render into.
    http_method_names = ["get", "head"]


@method_decorator(csp_override(REDOC_CSP), name="dispatch")
class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"
    http_method_names = ["get", "head"]
