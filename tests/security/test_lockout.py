"""Sign-in lockout (django-axes): 5 failures for one (account, IP address) lock that pair for
15 minutes with HTTP 429, however the account was named (username in any case, or its
e-mail address); the same account still signs in from another address."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

PASSWORD = "secret-pass-123"


@pytest.fixture
def account(db):
    return UserFactory(username="camille", email="camille@example.org")


def attempt(client, username, password, ip="203.0.113.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_lock_the_pair_with_429_even_for_the_right_password(client, account):
    statuses = [attempt(client, "camille", "wrong").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    locked = attempt(client, "camille", PASSWORD)
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(15 * 60)
    assert "Connexion suspendue" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_locked_pair_does_not_lock_the_same_account_from_another_address(client, account):
    for _ in range(5):
        attempt(client, "camille", "wrong", ip="203.0.113.7")
    response = attempt(client, "camille", PASSWORD, ip="198.51.100.20")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(account.pk)


def test_the_lock_is_per_username_so_other_accounts_sign_in_from_the_locked_address(client, account):
    other = UserFactory(username="dominique")
    for _ in range(5):
        attempt(client, "camille", "wrong")
    assert attempt(client, "dominique", PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(other.pk)


def test_the_lock_lifts_after_fifteen_minutes(client, account):
    for _ in range(5):
        attempt(client, "camille", "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=15, seconds=1))
    assert attempt(client, "camille", PASSWORD).status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, account):
    for _ in range(4):
        attempt(client, "camille", "wrong")
    assert attempt(client, "camille", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert attempt(client, "camille", "wrong").status_code == 200
    assert attempt(client, "camille", PASSWORD).status_code == 302


def test_usernames_differing_only_by_case_share_one_counter(client, account):
    for name in ["camille", "CAMILLE", "Camille", "camillE", "CaMiLLe"]:
        attempt(client, name, "wrong")
    assert attempt(client, "camille", PASSWORD).status_code == 429


def test_unknown_usernames_are_counted_too(client, db):
    statuses = [attempt(client, "nobody", "wrong").status_code for _ in range(6)]
    assert statuses[-2:] == [429, 429]


def test_the_admin_login_shares_the_lockout(client, account):
    for _ in range(5):
        attempt(client, "camille", "wrong")
    response = client.post(
        reverse("admin:login"), {"username": "camille", "password": PASSWORD}, REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code == 429


def test_a_forged_forwarded_for_header_does_not_dodge_the_lock(client, account):
    for i in range(5):
        client.post(
            reverse("login"),
            {"username": "camille", "password": "wrong"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
        )
    assert attempt(client, "camille", PASSWORD, ip="203.0.113.7").status_code == 429


def test_behind_one_trusted_proxy_the_client_address_is_the_forwarded_one(client, account, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for _ in range(5):
        client.post(
            reverse("login"),
            {"username": "camille", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7",
        )
    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"
    ok = client.post(
        reverse("login"),
        {"username": "camille", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert ok.status_code == 302


def test_failures_with_the_e_mail_address_lock_the_account_for_its_username_too(client, account):
    for _ in range(3):
        attempt(client, "camille", "wrong")
    for _ in range(2):
        attempt(client, "Camille@Example.org", "wrong")
    assert attempt(client, "camille", PASSWORD).status_code == 429
    assert attempt(client, "camille@example.org", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_five_failures_by_username_lock_the_e_mail_sign_in_of_the_same_account(client, account):
    for _ in range(5):
        attempt(client, "camille", "wrong")
    response = attempt(client, "camille@example.org", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # The counter is the account's: one row, under its username.
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["camille"]


def test_the_e_mail_sign_in_works_and_a_success_resets_the_count(client, account):
    for _ in range(4):
        attempt(client, "camille", "wrong")
    assert attempt(client, "camille@example.org", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.exists()
