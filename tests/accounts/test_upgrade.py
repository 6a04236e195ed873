"""The data steps of accounts 0003, which move a database migrated by the `core` app to
the accounts app (content types and open sessions); the whole upgrade is described and
was checked by hand on a copy of such a database (README, "Upgrading to the accounts app")."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session

from tests.factories import UserFactory

migration = importlib.import_module("accounts.migrations.0003_accounts_tables_and_content_types")
pytestmark = pytest.mark.django_db


def test_the_user_content_type_moves_to_accounts_with_its_permissions_and_the_step_is_idempotent():
    ContentType.objects.filter(app_label="accounts", model="apitoken").delete()
    old = ContentType.objects.create(app_label="core", model="apitoken")
    permission = Permission.objects.create(content_type=old, codename="view_apitoken_old", name="Voir")
    user = UserFactory()
    user.user_permissions.add(permission)
    ContentType.objects.create(app_label="core", model="loginlockout")
    for _ in range(2):
        migration.move_content_types(apps, None)
    moved = ContentType.objects.get(pk=old.pk)
    assert (moved.app_label, moved.model) == ("accounts", "apitoken")
    assert user.has_perm("accounts.view_apitoken_old")
    assert not ContentType.objects.filter(app_label="core").exists()


def test_open_sessions_keep_their_user_signed_in_after_the_backend_moved():
    user = UserFactory()
    store = SessionStore()
    store.update({"_auth_user_id": str(user.pk), "_auth_user_backend": migration.OLD_BACKEND, "_auth_user_hash": "x"})
    store.create()
    for _ in range(2):
        migration.rewrite_session_backends(apps, None)
    data = SessionStore().decode(Session.objects.get(pk=store.session_key).session_data)
    assert data["_auth_user_backend"] == "accounts.backends.PortalAuthBackend"
    assert data["_auth_user_id"] == str(user.pk)
