"""The admin: only staff get in; every change list opens for staff (or is refused by a
Django permission), never with a server error."""

import pytest
from django.contrib import admin
from django.urls import reverse


def changelists():
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") for model in admin.site._registry
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["visitor", "registered", "member", "consultant"])
def test_only_staff_enter_the_admin(role, world, client_for):
    client = client_for(role)
    for url in [reverse("admin:index"), *changelists()]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


@pytest.mark.django_db
def test_every_change_list_opens_for_staff_or_is_refused_by_permission(world, client_for):
    client = client_for("staff")  # the "Équipe" group, not a superuser
    statuses = {url: client.get(url).status_code for url in changelists()}
    assert not {url: s for url, s in statuses.items() if s not in (200, 403)}
    assert statuses[reverse("admin:accounts_user_changelist")] == 200
    page = client.get(reverse("admin:experiences_experience_changelist")).content.decode()
    assert "zqexpconfbcanari" in page  # staff see every fiche


@pytest.mark.django_db
def test_the_api_token_admin_never_shows_a_key_digest(world, client_for):
    from accounts import services

    token, key = services.token_create(user=world.users["member"], name="script")
    page = client_for("staff").get(reverse("admin:accounts_apitoken_change", args=[token.pk])).content.decode()
    assert token.key_digest not in page and key not in page
