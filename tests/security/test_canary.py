"""Canary crawl: the unique word planted in each object hidden from a role appears in
no response that role gets, across every page, API list and detail, browsable-API form,
OPTIONS metadata, autocomplete, facet, export and the OpenAPI schema.

The crawl starts from every route of the resolver (filled with every object of the
world, and with search, filter, format and page parameters for routes without
arguments) and follows the links it finds (HTML href/src/hx-get, JSON url/next), up
to a budget per role. As a positive control, the canary of every object the role MAY
see must show up somewhere: a crawl that reaches nothing proves nothing.
"""

from __future__ import annotations

import json
import re
from collections import deque
from urllib.parse import urlsplit

import pytest

from .crawl import build_url, fill_kwargs, leaks, model_label, response_text, strip_echo
from .routes import project_routes
from .rules import rule_for
from .world import ROLES, word

# Parameters tried on every route without arguments: search and autocomplete terms
# (prefixes of canaries, never a whole canary, which a search box would echo back),
# facet filters, formats, pages.
QUERY_VARIANTS = [
    "",
    "?q=zq&term=zq&search=zq",
    "?q=tiers&format=json",
    "?status=draft",
    "?status=archived",
    "?visibility=confidential",
    "?theme=tiers-lieux-test&territory=chabaniere-test",
    "?format=api",
    "?page=2",
]
MAX_REQUESTS_PER_ROLE = 2500
LINK_RE = re.compile(r"""(?:href|src|hx-get|action)=["']([^"'#]+)["']""")
SKIP_LINK_PREFIXES = ("/static/", "/media/", "/admin/", "/i18n/", "/en/", "/comptes/deconnexion/")


def _links(url: str, response, text: str) -> list[str]:
    content_type = response.get("Content-Type", "")
    found: list[str] = []
    if "html" in content_type:
        found = LINK_RE.findall(text)
    elif "json" in content_type:
        try:
            data = json.loads(text)
        except ValueError:
            return []

        def walk(value):
            if isinstance(value, dict):
                for key, item in value.items():
                    if key in {"url", "next", "previous", "download_url", "file"} and isinstance(item, str):
                        found.append(item)
                    else:
                        walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(data)
    result = []
    for link in found:
        parts = urlsplit(link.replace("&amp;", "&"))
        if parts.netloc and parts.netloc not in {"testserver", "localhost"}:
            continue
        if not parts.path:
            path = urlsplit(url).path
        elif not parts.path.startswith("/"):
            continue
        else:
            path = parts.path
        if path.startswith(SKIP_LINK_PREFIXES):
            continue
        result.append(path + (f"?{parts.query}" if parts.query else ""))
    return result


def seeds(world) -> list[tuple[str, str]]:
    """(method, url) to start from."""
    result = []
    for route in project_routes():
        is_api = route.route.startswith("api/")
        if not route.kwargs:
            url = build_url(route, {})
            if url:
                result.extend(("GET", url + variant) for variant in QUERY_VARIANTS)
                if is_api:
                    result.append(("OPTIONS", url))
            continue
        if not is_api:
            continue  # HTML detail pages: the permission matrix requests each; here they come from links
        rule = rule_for(route.name)
        options_done = False
        for obj in world.objects:
            if rule and rule.model and model_label(obj) != rule.model:
                continue
            kwargs = fill_kwargs(route, obj)
            url = build_url(route, kwargs) if kwargs is not None else None
            if url:
                # Plain GETs of each object are the matrix's job; the browsable API page adds
                # forms and filter choices, OPTIONS adds metadata (the same for every object).
                result.append(("GET", url + "?format=api"))
                if not options_done:
                    result.append(("OPTIONS", url))
                    options_done = True
    return list(dict.fromkeys(result))


def crawl(client, world, role: str):
    forbidden = world.forbidden_words(role)
    failures: list[str] = []
    seen_text: list[str] = []
    queue = deque(seeds(world))
    visited: set[tuple[str, str]] = set()
    while queue and len(visited) < MAX_REQUESTS_PER_ROLE:
        method, url = queue.popleft()
        if (method, url) in visited:
            continue
        visited.add((method, url))
        response = client.options(url) if method == "OPTIONS" else client.get(url)
        if response.status_code >= 500:
            failures.append(f"{role} {method} {url} -> {response.status_code}")
            continue
        # A page may echo the address it was asked for (a 404 in the browsable API does):
        # that is the reader's own input, not a leak.
        text = strip_echo(response_text(response), url)
        seen_text.append(text)
        failures.extend(f"{role} {method} {url} shows {leak}" for leak in leaks(text, forbidden))
        if method == "GET" and response.status_code == 200:
            for link in _links(url, response, text):
                if ("GET", link) not in visited:
                    queue.append(("GET", link))
    return failures, visited, "\n".join(seen_text).lower()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_no_response_to_a_role_contains_the_canary_of_an_object_hidden_from_it(role, world, client_for):
    failures, visited, everything = crawl(client_for(role), world, role)
    assert len(visited) > 200, "the crawl reached too few URLs to mean anything"
    assert not failures, f"{len(failures)} leak(s) or error(s) for {role}:\n" + "\n".join(failures[:200])

    # Positive control: what the role may see was reached by the crawl.
    forbidden = world.forbidden_words(role)
    expected_visible = [w for w in world.canaries().values() if w not in forbidden]
    missing = [w for w in expected_visible if w.lower() not in everything]
    assert not missing, f"the crawl never reached these objects visible to {role}: {missing}"
    if role in {"member", "member_b", "consultant", "staff"}:
        assert word("exp", "published") + "pii" in everything, "members should see the contacts of a public fiche"
