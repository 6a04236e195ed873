"""Accounts: invitations, sign-in, passwords, profile, API tokens, personal data, roles."""

import json
import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.models import ApiToken, User
from accounts.roles import ROLE_GROUPS, Role, role_of
from tests.factories import ExperienceFactory, OrganisationFactory, StudyFactory, TerritoryFactory, UserFactory

PASSWORD = "secret-pass-123"
NEW_PASSWORD = "Tiers-lieux-en-gare-2026"


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


@pytest.mark.django_db
def test_the_three_role_groups_exist_with_their_permissions():
    staff = Group.objects.get(name=ROLE_GROUPS[Role.STAFF])
    assert staff.permissions.filter(codename="invite_user").exists()
    assert staff.permissions.filter(codename="erase_personal_data").exists()
    assert Group.objects.filter(name=ROLE_GROUPS[Role.CONSULTANT]).exists()
    assert Group.objects.filter(name=ROLE_GROUPS[Role.MEMBER]).exists()
    assert not Group.objects.get(name=ROLE_GROUPS[Role.CONSULTANT]).permissions.filter(codename="invite_user").exists()


@pytest.mark.django_db
def test_staff_invite_a_member_who_chooses_a_password_and_is_signed_in(
    client, staff, django_capture_on_commit_callbacks
):
    org = OrganisationFactory(name="Commune de Bourganeuf")
    territory = TerritoryFactory(slug="bourganeuf-23030", name="Bourganeuf")
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:invite"),
            {
                "email": "Agent@Bourganeuf.fr",
                "first_name": "Alex",
                "last_name": "Martin",
                "role": "member",
                "organisation": org.pk,
                "reference_territory": "bourganeuf-23030",
            },
        )
    assert response.status_code == 302
    invited = User.objects.get(email="Agent@bourganeuf.fr")
    assert role_of(invited) == Role.MEMBER
    assert invited.organisation == org and invited.reference_territory == territory
    assert not invited.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["Agent@bourganeuf.fr"]

    client.logout()
    link = link_in(mail.outbox[0])
    form_page = client.get(link, follow=True)
    assert "Activer mon compte" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert done.status_code == 200
    assert client.session["_auth_user_id"] == str(invited.pk)
    # The link works once.
    client.logout()
    assert "plus valable" in client.get(link, follow=True).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["member", "consultant"])
def test_only_staff_invite(role, client, request):
    client.force_login(request.getfixturevalue(role))
    assert client.post(reverse("accounts:invite"), {"email": "x@example.org", "role": "staff"}).status_code == 403
    assert not User.objects.filter(email="x@example.org").exists()


@pytest.mark.django_db
def test_inviting_an_existing_address_is_refused(client, staff):
    UserFactory(email="deja@example.org")
    client.force_login(staff)
    response = client.post(reverse("accounts:invite"), {"email": "DEJA@example.org", "role": "member"})
    assert response.status_code == 200
    assert "existe déjà" in response.content.decode()


@pytest.mark.django_db
def test_staff_change_a_role_and_staff_rights_follow(client, staff):
    user = UserFactory(role=Role.MEMBER)
    client.force_login(staff)
    client.post(reverse("accounts:user_role", args=[user.pk]), {"role": "staff"})
    user = User.objects.get(pk=user.pk)
    assert role_of(user) == Role.STAFF and user.is_staff
    client.post(reverse("accounts:user_role", args=[user.pk]), {"role": "consultant"})
    user = User.objects.get(pk=user.pk)
    assert role_of(user) == Role.CONSULTANT and not user.is_staff
    page = client.get(reverse("accounts:users")).content.decode()
    assert user.username in page


@pytest.mark.django_db
def test_sign_in_with_username_or_email_then_sign_out(client):
    user = UserFactory(username="camille", email="camille@example.org")
    assert client.post(reverse("login"), {"username": "Camille@Example.org", "password": PASSWORD}).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_email_shared_by_two_accounts_does_not_sign_in(client):
    UserFactory(email="commun@example.org")
    UserFactory(email="commun@example.org")
    response = client.post(reverse("login"), {"username": "commun@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_password_reset_by_email_then_sign_in_with_the_new_password(client):
    user = UserFactory(email="reset@example.org")
    response = client.post(reverse("password_reset"), {"email": "reset@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    form_page = client.get(link_in(mail.outbox[0]), follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "personne@example.org"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


@pytest.mark.django_db
def test_password_change(client, member):
    client.force_login(member)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_profile_shows_organisation_and_territory_and_can_be_edited(client, member):
    territory = TerritoryFactory(slug="chabaniere-69228", name="Chabanière")
    client.force_login(member)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert member.organisation.name in page
    response = client.post(
        reverse("accounts:profile_edit"),
        {
            "first_name": "Alex",
            "last_name": "Martin",
            "email": "alex@example.org",
            "reference_territory": territory.slug,
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.reference_territory == territory and member.first_name == "Alex"
    assert "Chabanière" in client.get(reverse("accounts:profile")).content.decode()


@pytest.mark.django_db
def test_a_token_is_shown_once_stored_as_a_digest_works_for_the_api_and_stops_when_revoked(client, member):
    confidential = ExperienceFactory(visibility="confidential", client_organisation=member.organisation)
    client.force_login(member)
    response = client.post(reverse("accounts:token_create"), {"name": "script de veille"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    key = re.search(r'value="(psc_[^"]+)"', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=member)
    assert token.key_digest == ApiToken.digest(key) and key not in token.key_digest
    assert key not in client.get(reverse("accounts:profile")).content.decode()

    api = client_class_without_session()
    anonymous = api.get(f"/api/v1/experiences/{confidential.slug}/")
    assert anonymous.status_code == 404
    signed = api.get(f"/api/v1/experiences/{confidential.slug}/", HTTP_AUTHORIZATION=f"Token {key}")
    assert signed.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None

    client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    revoked = api.get("/api/v1/experiences/", HTTP_AUTHORIZATION=f"Token {key}")
    assert revoked.status_code == 401


def client_class_without_session():
    from django.test import Client

    return Client()


@pytest.mark.django_db
def test_a_user_cannot_revoke_someone_elses_token(client, member, member_b):
    token, _key = services.token_create(user=member_b, name="à moi")
    client.force_login(member)
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


@pytest.mark.django_db
def test_the_schema_describes_token_and_session_authentication(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schemes["tokenAuth"]["description"],
    }
    assert "cookieAuth" in schemes
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            assert {"tokenAuth": []} in operation["security"]
            assert {"401", "404", "429"} <= set(operation["responses"])


@pytest.mark.django_db
def test_swagger_ui_and_redoc_are_served_from_the_site(client):
    for url in ["/api/v1/docs/", "/api/v1/redoc/"]:
        page = client.get(url).content.decode()
        assert "/static/drf_spectacular_sidecar/" in page
        assert "cdn" not in page.lower() and "googleapis" not in page


@pytest.mark.django_db
def test_a_user_downloads_their_own_data(client, consultant):
    ExperienceFactory(author=consultant, title="Ma fiche")
    study = StudyFactory(title="Mon étude")
    study.team.add(consultant)
    services.token_create(user=consultant, name="tableur")
    client.force_login(consultant)
    response = client.get(reverse("accounts:data_export"))
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["username"] == consultant.username
    assert data["account"]["role"] == "consultant"
    assert [t["name"] for t in data["api_tokens"]] == ["tableur"]
    assert "key_digest" not in response.content.decode()
    assert data["authored_experiences"][0]["title"] == "Ma fiche"
    assert data["studies"][0]["title"] == "Mon étude"


@pytest.mark.django_db
def test_a_user_deletes_their_account_with_their_password(client, consultant):
    experience = ExperienceFactory(author=consultant)
    services.token_create(user=consultant, name="script")
    client.force_login(consultant)
    wrong = client.post(reverse("accounts:account_delete"), {"password": "pas le bon"})
    assert wrong.status_code == 200 and User.objects.filter(pk=consultant.pk).exists()
    response = client.post(reverse("accounts:account_delete"), {"password": PASSWORD})
    assert response.status_code == 302
    assert not User.objects.filter(pk=consultant.pk).exists()
    assert not ApiToken.objects.exists()
    experience.refresh_from_db()
    assert experience.author is None
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_privacy_page_says_what_is_kept_and_is_linked_from_every_page(client):
    page = client.get(reverse("privacy")).content.decode()
    assert "Ce que nous conservons" in page
    assert reverse("privacy") in client.get("/").content.decode()


@pytest.mark.django_db
def test_null_bytes_in_a_query_are_refused_with_400_not_500(client):
    assert client.get("/experiences/?q=a%00b").status_code == 400
    response = client.get("/api/v1/territories/?q=a%00b")
    assert response.status_code == 400 and response.json()["detail"]


@pytest.mark.django_db
def test_an_unknown_api_address_answers_json_404(client):
    response = client.get("/api/v1/nulle-part.json/x/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
