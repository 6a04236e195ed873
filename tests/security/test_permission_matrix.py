"""Permission matrix: every URL pattern of the resolver × every role × every object state.

For each route (read from `get_resolver()`, so new routes join by themselves) and each
role, the test requests:
- the route with arguments naming nothing (the "unknown object" baseline);
- the route with the arguments of every object of the world that fits its pattern
  (experiences in each state, partnerships, studies, report versions, deliverables…).
It asserts that
1. no answer is a server error;
2. an object the role may not see is answered exactly like the unknown one (same status,
   same redirect target): 404 rather than 403, nothing that tells it exists;
3. an object the role may see, or a page without object, gets the status of the rule table;
4. no answer contains the canary word of an object hidden from the role, nor, for a role
   that may not see personal data, a contact's name, e-mail or phone.
"""

from __future__ import annotations

import os

import pytest

from accounts.roles import Role
from experiences.models import Experience, Organisation
from partnerships.models import Partnership
from studies.models import ReportVersion, Study

from .crawl import (
    build_url,
    fill_kwargs,
    is_visible,
    leaks,
    location_path,
    model_label,
    response_text,
    strip_echo,
    unknown_kwargs,
)
from .routes import project_routes
from .rules import rule_for
from .world import (
    EXPECTED_EXPERIENCES,
    EXPECTED_ORGANISATIONS,
    EXPECTED_PARTNERSHIPS,
    EXPECTED_REPORT_VERSIONS,
    EXPECTED_STUDIES,
    ROLES,
)


def _dump(route, role, objs, status) -> None:
    """PERISCOPE_MATRIX_DUMP=file appends what each route answered: a help to write its rule."""
    path = os.environ.get("PERISCOPE_MATRIX_DUMP")
    if path:
        with open(path, "a") as out:
            out.write(f"{route.name}\t{role}\t{','.join(sorted({model_label(o) for o in objs}))}\t{status}\n")


def _answer(client, url: str):
    response = client.get(url)
    return response.status_code, location_path(response), strip_echo(response_text(response), url)


def run_matrix(world, client, role: str) -> tuple[list[str], int]:
    user = world.user(role)
    forbidden = world.forbidden_words(role)
    failures: list[str] = []
    requests = 0
    for route in project_routes():
        rule = rule_for(route.name)
        if not route.kwargs:
            url = build_url(route, {})
            if url is None:
                failures.append(f"{route.label}: cannot build its URL")
                continue
            status, _location, text = _answer(client, url)
            requests += 1
            _dump(route, role, [], status)
            if status >= 500:
                failures.append(f"{role} GET {url} ({route.label}) -> {status}")
            elif rule and status != rule.expected[role]:
                failures.append(f"{role} GET {url} ({route.label}) -> {status}, rule says {rule.expected[role]}")
            failures.extend(f"{role} GET {url} shows {leak}" for leak in leaks(text, forbidden))
            continue

        unknown_url = build_url(route, unknown_kwargs(route))
        if unknown_url is None:
            failures.append(f"{route.label}: cannot build a URL for an unknown object")
            continue
        base_status, base_location, _base_text = _answer(client, unknown_url)
        requests += 1
        if base_status >= 500:
            failures.append(f"{role} GET {unknown_url} ({route.label}, unknown object) -> {base_status}")
        # Several objects can fill the same URL (a pk is a pk of every model): the URL is
        # "hidden" only when every object it could name is hidden from the role.
        owners: dict[str, list] = {}
        for obj in world.objects:
            kwargs = fill_kwargs(route, obj)
            url = build_url(route, kwargs) if kwargs is not None else None
            if url is not None and url != unknown_url:
                owners.setdefault(url, []).append(obj)
        for url, objs in owners.items():
            status, location, text = _answer(client, url)
            requests += 1
            _dump(route, role, objs, status)
            what = f"{role} GET {url} ({route.label}, " + ", ".join(f"{model_label(o)} {o.pk}" for o in objs) + ")"
            if status >= 500:
                failures.append(f"{what} -> {status}")
                continue
            visible = [o for o in objs if is_visible(o, user)]
            if not visible:
                if (status, location) != (base_status, base_location):
                    failures.append(
                        f"{what} is hidden from {role} but answers {status} {location or ''}; "
                        f"an unknown object answers {base_status} {base_location or ''}"
                    )
            elif rule and rule.model in {model_label(o) for o in visible} and status != rule.expected[role]:
                failures.append(f"{what} -> {status}, rule says {rule.expected[role]}")
            failures.extend(f"{what} shows {leak}" for leak in leaks(text, forbidden))
    return failures, requests


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_rules_say_and_hidden_objects_are_indistinguishable_from_unknown_ones(
    role, world, client_for
):
    failures, requests = run_matrix(world, client_for(role), role)
    assert requests > 50
    assert not failures, f"{len(failures)} problem(s) for {role}:\n" + "\n".join(failures)


def test_every_route_has_a_rule():
    missing = [route.label for route in project_routes() if rule_for(route.name) is None]
    assert not missing, (
        "These routes have no line in tests/security/rules.py (add one with the expected status per role; "
        "the safe default already checks them for 500s, hidden == unknown and canaries):\n" + "\n".join(missing)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_visible_to_agrees_with_the_expected_visibility_tables(role, world):
    user = world.user(role)
    experiences = {
        s for s, e in world.experiences.items() if Experience.objects.visible_to(user).filter(pk=e.pk).exists()
    }
    partnerships = {
        s for s, p in world.partnerships.items() if Partnership.objects.visible_to(user).filter(pk=p.pk).exists()
    }
    studies = {s for s, st in world.studies.items() if Study.objects.visible_to(user).filter(pk=st.pk).exists()}
    assert experiences == EXPECTED_EXPERIENCES[role]
    assert partnerships == EXPECTED_PARTNERSHIPS[role]
    assert studies == EXPECTED_STUDIES[role]
    organisations = {"a": world.org_a, "b": world.org_b, **world.organisations}
    visible_orgs = {
        s for s, o in organisations.items() if Organisation.objects.visible_to(user).filter(pk=o.pk).exists()
    }
    assert visible_orgs == EXPECTED_ORGANISATIONS[role]
    versions = {k for k, v in world.versions.items() if ReportVersion.objects.visible_to(user).filter(pk=v.pk).exists()}
    assert versions == EXPECTED_REPORT_VERSIONS[role]


@pytest.mark.django_db
def test_role_of_each_world_account_is_the_one_its_name_says(world):
    from accounts.roles import role_of

    assert role_of(world.user("visitor")) == Role.VISITOR
    assert role_of(world.users["registered"]) == Role.VISITOR
    assert role_of(world.users["member"]) == Role.MEMBER
    assert role_of(world.users["consultant"]) == Role.CONSULTANT
    assert role_of(world.users["staff"]) == Role.STAFF
