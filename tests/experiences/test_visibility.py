"""`Experience.objects.visible_to(user)` for every role × every state."""

import pytest

from experiences.models import Experience, Tag
from tests.factories import ExperienceFactory, TagFactory

STATES = {
    "draft_public": {"status": "draft", "visibility": "public", "published_at": None},
    "review_public": {"status": "review", "visibility": "public", "published_at": None},
    "published_public": {"status": "published", "visibility": "public"},
    "published_members": {"status": "published", "visibility": "members"},
    "confidential_a": {"status": "published", "visibility": "confidential", "client": "a"},
    "confidential_b": {"status": "published", "visibility": "confidential", "client": "b"},
    "archived_public": {"status": "archived", "visibility": "public"},
}

EXPECTED = {
    "visitor": {"published_public"},
    "member": {"published_public", "published_members", "confidential_a"},
    "member_b": {"published_public", "published_members", "confidential_b"},
    "consultant": {"draft_public", "review_public", "published_public", "published_members", "archived_public"},
    "staff": set(STATES),
}


@pytest.fixture
def experiences_by_state(org_a, org_b):
    made = {}
    for name, spec in STATES.items():
        spec = dict(spec)
        client = spec.pop("client", None)
        made[name] = ExperienceFactory(title=name, client_organisation={"a": org_a, "b": org_b}.get(client), **spec)
    return made


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_exactly_the_expected_states(role, request, experiences_by_state):
    user = request.getfixturevalue(role)
    seen = set(Experience.objects.visible_to(user).values_list("title", flat=True))
    assert seen == EXPECTED[role]


@pytest.mark.django_db
def test_consultant_sees_confidential_fiche_they_wrote(consultant, org_a):
    mine = ExperienceFactory(visibility="confidential", client_organisation=org_a, author=consultant)
    assert Experience.objects.visible_to(consultant).filter(pk=mine.pk).exists()


@pytest.mark.django_db
def test_tag_used_only_on_confidential_fiche_is_hidden_from_visitors(visitor, member, org_a):
    secret = TagFactory(name="canari-secret")
    public = TagFactory(name="ouvert")
    ExperienceFactory(visibility="confidential", client_organisation=org_a, tags=[secret])
    ExperienceFactory(tags=[public])
    assert set(Tag.objects.visible_to(visitor).values_list("name", flat=True)) == {"ouvert"}
    assert set(Tag.objects.visible_to(member).values_list("name", flat=True)) == {"ouvert", "canari-secret"}
