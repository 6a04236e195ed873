"""Schemathesis against the served OpenAPI schema, in-process (WSGI), once per role.

For every GET operation of /api/v1/schema/ and each role (anonymous, member token,
consultant token, staff token) Hypothesis generates ≥ 100 requests — random query
parameters and path parameters, mixed with the slugs and ids of the real objects of
the world in every visibility state — and checks each answer: no server error, a
documented status code, a content type and a body that match the schema.

Only GET operations: the API writes nothing today (fiches are written through the
HTML workspace); a future write operation should get its own stateful run rather
than multiply this one's time.
"""

from __future__ import annotations

import contextlib
import json
import time

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts import services

from .world import build_world

EXAMPLES_PER_OPERATION = 100
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ["anonymous", "member", "consultant", "staff"]


@contextlib.contextmanager
def django_wsgi_app():
    """Django's WSGI handler inside the test transaction: like the test client, keep the
    request signals from closing the connection that holds the transaction (enter it
    after any test-client request: the client reconnects them when it finishes)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _path_values(world) -> dict[str, list]:
    """Real values for path parameters, from objects in every state."""
    slugs, ids = [], []
    for obj in world.objects:
        if getattr(obj, "slug", None):
            slugs.append(obj.slug)
        ids.append(obj.pk)
    return {"slug": sorted(set(slugs)), "pk": sorted(set(ids)), "id": sorted(set(ids))}


def _strategy(operation, headers: dict, values: dict[str, list]):
    strategies = [operation.as_strategy(headers=headers)]
    names = [p.name for p in operation.path_parameters]
    for name in names:
        for value in values.get(name, [])[:40]:
            strategies.append(operation.as_strategy(headers=headers, path_parameters={name: value}))
    return st.one_of(*strategies)


def _run_operation(operation, headers: dict, values: dict, app, counts: dict) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(case=_strategy(operation, headers, values))
    def run(case):
        counts[operation.label] += 1
        response = case.call(app=app, headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_get_operation_answers_within_its_schema_and_never_fails(role, settings_fixture, tmp_path):
    settings_fixture.MEDIA_ROOT = tmp_path / "media"
    world = build_world()
    headers = {}
    if role != "anonymous":
        _token, key = services.token_create(user=world.users[role], name="schemathesis")
        headers = {"Authorization": f"Token {key}"}
    raw = Client().get(
        "/api/v1/schema/?format=json", **({"HTTP_AUTHORIZATION": headers["Authorization"]} if headers else {})
    )
    assert raw.status_code == 200
    schema = schemathesis.openapi.from_dict(json.loads(raw.content))
    values = _path_values(world)

    failures: list[str] = []
    counts: dict[str, int] = {}
    started = time.perf_counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    get_operations = [op for op in operations if op.method.upper() == "GET"]
    assert get_operations, "the schema lists no GET operation"
    with django_wsgi_app() as wsgi_app:
        for operation in get_operations:
            counts[operation.label] = 0
            try:
                _run_operation(operation, headers, values, wsgi_app, counts)
            except (Exception, BaseExceptionGroup) as error:
                failures.append(f"{role} {operation.label}:\n{str(error)[:3000]}")

    elapsed = time.perf_counter() - started
    print(f"\n{role}: {sum(counts.values())} requests over {len(counts)} GET operations in {elapsed:.1f}s: {counts}")
    assert not failures, "\n\n".join(failures)
    # Operations without any parameter have a single possible request: Hypothesis stops there.
    few = {
        label: n
        for label, n in counts.items()
        if n < EXAMPLES_PER_OPERATION
        and any(op.label == label and (op.query or op.path_parameters) for op in get_operations)
    }
    assert not few, f"fewer than {EXAMPLES_PER_OPERATION} examples: {few}"


@pytest.fixture
def settings_fixture(settings):
    return settings
