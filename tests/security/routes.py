"""Every URL pattern of the project, read from the resolver, so that a new route is
tested as soon as it exists. Used by the permission matrix and the canary crawl."""

from __future__ import annotations

import dataclasses
import re

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter, UUIDConverter
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern

# Patterns outside the matrix, each with the reason; the admin has its own test.
SKIPPED_PREFIXES = {
    "admin/": "Django admin: tested on its own (tests/security/test_admin_access.py)",
    "static/": "static files",
    "media/": "uploaded files are served by views that check visibility, or not at all",
    "i18n/": "set_language is POST-only and public",
}
SKIPPED_NAMES = {
    "healthz": "liveness probe: no data",
    "readyz": "readiness probe: pings Redis, no data",
}
# kwargs that only secrets can fill (password-reset and invitation tokens): those routes
# are tested by tests/core/test_accounts.py with real tokens.
SECRET_KWARGS = {"uidb64", "token"}

UNKNOWN_VALUES = {
    "int": 987654321,
    "slug": "zz-inconnu-zz",
    "str": "zz-inconnu-zz",
    "path": "zz-inconnu-zz",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


@dataclasses.dataclass(frozen=True)
class Route:
    name: str | None  # "namespace:name"
    route: str  # human-readable pattern, e.g. "experiences/<slug:slug>/"
    kwargs: tuple[tuple[str, str], ...]  # (name, converter kind)
    callback: object

    @property
    def label(self) -> str:
        return f"{self.name or '(unnamed)'} [{self.route}]"

    @property
    def kwarg_names(self) -> tuple[str, ...]:
        return tuple(name for name, _kind in self.kwargs)


def _converter_kind(converter) -> str:
    if isinstance(converter, IntConverter):
        return "int"
    if isinstance(converter, SlugConverter):
        return "slug"
    if isinstance(converter, UUIDConverter):
        return "uuid"
    if isinstance(converter, PathConverter):
        return "path"
    if isinstance(converter, StringConverter):
        return "str"
    return "str"


def _pattern_text(pattern) -> str:
    if isinstance(pattern, LocalePrefixPattern):
        return ""
    if isinstance(pattern, RoutePattern):
        return str(pattern._route)
    if isinstance(pattern, RegexPattern):
        return pattern._regex.lstrip("^").rstrip("$").replace("\\Z", "")
    return str(pattern)


def _kwargs_of(pattern) -> list[tuple[str, str]]:
    if isinstance(pattern, RoutePattern):
        return [(name, _converter_kind(conv)) for name, conv in pattern.converters.items()]
    if isinstance(pattern, RegexPattern):
        return [(name, "str") for name in re.compile(pattern._regex).groupindex]
    return []


def iter_routes(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "", kwargs=()):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        text = prefix + _pattern_text(entry.pattern)
        entry_kwargs = [*kwargs, *_kwargs_of(entry.pattern)]
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            yield from iter_routes(entry, text, ns, entry_kwargs)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield Route(name=name, route=text, kwargs=tuple(entry_kwargs), callback=entry.callback)


def skip_reason(route: Route) -> str | None:
    for prefix, reason in SKIPPED_PREFIXES.items():
        if route.route.startswith(prefix):
            return reason
    if route.name in SKIPPED_NAMES:
        return SKIPPED_NAMES[route.name]
    if set(route.kwarg_names) & SECRET_KWARGS:
        return "needs a secret token (tested in tests/core/test_accounts.py)"
    if "format" in route.kwarg_names or "drf_format_suffix" in route.route:
        return "DRF format-suffix twin of another route"
    return None


def project_routes() -> list[Route]:
    """Every route the matrix covers, deduplicated by (name, kwargs)."""
    seen = set()
    routes = []
    for route in iter_routes():
        if skip_reason(route):
            continue
        key = (route.name, route.route)
        if key in seen:
            continue
        seen.add(key)
        routes.append(route)
    return routes
