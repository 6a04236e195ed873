"""Editorial workflow: draft → review → published → archived, and who may do each step."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.roles import Role
from experiences import services
from experiences.completeness import completeness_report
from experiences.models import Experience
from tests.factories import ExperienceFactory, UserFactory

STATE_FOR = {"submit": "draft", "withdraw": "review", "publish": "review", "archive": "published"}
TARGET = {"submit": "review", "withdraw": "draft", "publish": "published", "archive": "archived"}
# action → roles allowed (author = the consultant who wrote it; reviewer = consultant with the permission)
ALLOWED = {
    "submit": {"author", "consultant", "reviewer", "staff"},
    "withdraw": {"author", "consultant", "reviewer", "staff"},
    "publish": {"reviewer", "staff"},
    "archive": {"reviewer", "staff"},
}
ROLES = ("visitor", "member", "author", "consultant", "reviewer", "staff")


@pytest.fixture
def author(db):
    return UserFactory(role=Role.CONSULTANT)


def _fiche(status, author):
    published = status in ("published", "archived")
    return ExperienceFactory(status=status, author=author, published_at=None if not published else "2024-01-01T00:00Z")


@pytest.mark.django_db
@pytest.mark.parametrize("action", list(ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_each_transition_is_allowed_or_refused_by_role(request, action, role, author):
    user = author if role == "author" else request.getfixturevalue(role)
    experience = _fiche(STATE_FOR[action], author)
    if role in ALLOWED[action]:
        result = services.experience_transition(experience=experience, action=action, by=user)
        assert result.status == TARGET[action]
        assert experience.history.first().history_user_id == user.pk
    else:
        with pytest.raises(PermissionDenied):
            services.experience_transition(experience=experience, action=action, by=user)
        assert Experience.objects.get(pk=experience.pk).status == STATE_FOR[action]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "expected"), [("consultant", 403), ("reviewer", 302), ("staff", 302)])
def test_publish_button_obeys_the_same_rule(client, request, role, expected, author):
    experience = _fiche("review", author)
    client.force_login(request.getfixturevalue(role))
    response = client.post(reverse("experiences:transition", args=[experience.slug, "publish"]))
    assert response.status_code == expected
    assert Experience.objects.get(pk=experience.pk).status == ("published" if expected == 302 else "review")


@pytest.mark.django_db
def test_a_transition_from_the_wrong_state_is_refused_with_a_reason(staff, author):
    experience = _fiche("draft", author)
    with pytest.raises(ValidationError, match="la fiche est au statut « Brouillon »"):
        services.experience_publish(experience=experience, by=staff)


@pytest.mark.django_db
def test_publishing_sets_the_date_once_and_archive_keeps_it(staff, author):
    experience = _fiche("review", author)
    published = services.experience_publish(experience=experience, by=staff)
    assert published.published_at is not None
    archived = services.experience_archive(experience=published, by=staff)
    republished = services.experience_publish(experience=archived, by=staff)
    assert republished.published_at == published.published_at


@pytest.mark.django_db
def test_editing_a_published_fiche_keeps_it_published_and_records_the_change(consultant, author):
    experience = _fiche("published", author)
    services.experience_update(experience=experience, by=consultant, fields={"title": "Titre corrigé"})
    experience.refresh_from_db()
    assert experience.status == "published" and experience.title == "Titre corrigé"
    last = experience.history.first()
    assert last.history_user == consultant and last.title == "Titre corrigé" and last.status == "published"


@pytest.mark.django_db
def test_staff_group_holds_the_publish_permission(staff):
    assert staff.has_perm("experiences.publish_experience")


@pytest.mark.django_db
def test_my_work_lists_drafts_items_in_review_and_recent_publications(
    client, author, consultant, django_assert_max_num_queries
):
    draft = _fiche("draft", author)
    mine_in_review = _fiche("review", author)
    other_in_review = _fiche("review", consultant)
    published = _fiche("published", author)
    published.published_at = published.created_at
    published.save()
    client.force_login(author)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("experiences:workspace"))
    assert [e.pk for e in response.context["drafts"]] == [draft.pk]
    assert response.context["drafts"][0].missing == completeness_report(draft).missing  # one rule, two readings
    assert [e.pk for e in response.context["review"]] == [mine_in_review.pk]
    assert [e.pk for e in response.context["published"]] == [published.pk]
    assert other_in_review.title not in response.content.decode()


@pytest.mark.django_db
def test_reviewers_see_everything_awaiting_review(client, author, reviewer):
    fiches = {_fiche("review", author).pk, _fiche("review", UserFactory(role=Role.CONSULTANT)).pk}
    client.force_login(reviewer)
    response = client.get(reverse("experiences:workspace"))
    assert {e.pk for e in response.context["review"]} == fiches
    assert "Publier" in response.content.decode()


@pytest.mark.django_db
def test_detail_page_shows_completeness_and_actions_to_consultants_only(client, author, member):
    experience = _fiche("review", author)
    client.force_login(author)
    page = client.get(experience.get_absolute_url()).content.decode()
    assert "Suivi éditorial" in page and "À compléter" in page and "pas encore de résultats" in page
    assert reverse("experiences:edit", args=[experience.slug]) in page
    assert reverse("experiences:history", args=[experience.slug]) in page
    assert reverse("experiences:transition", args=[experience.slug, "withdraw"]) in page
    assert reverse("experiences:transition", args=[experience.slug, "publish"]) not in page
    experience.status = "published"
    experience.published_at = experience.created_at
    experience.save()
    client.force_login(member)
    page = client.get(experience.get_absolute_url()).content.decode()
    assert "Suivi éditorial" not in page and "/modifier/" not in page
