"""Accounts take over the tables the `core` app created.

On a database migrated before the accounts app existed, 0001 and 0002 count as
applied (they replace core 0001-0003); this migration then
- renames core_user, core_user_groups, core_user_user_permissions and core_apitoken
  to accounts_* (foreign keys follow the tables, rows are untouched);
- moves the content types of the user and token models to the accounts app, so
  their permissions (and the groups and users holding them) and admin history stay;
- drops core's login lockout table (django-axes keeps its own);
- rewrites the authentication backend stored in open sessions, so nobody is signed out.
On a fresh database the same steps rename freshly created tables and find nothing
else to do. Every step is idempotent.
"""

from django.db import migrations

OLD_BACKEND = "core.auth_backends.PortalAuthBackend"
NEW_BACKEND = "accounts.backends.PortalAuthBackend"


def move_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in ("user", "apitoken"):
        old = content_type.objects.filter(app_label="core", model=model).first()
        if old is None:
            continue
        if content_type.objects.filter(app_label="accounts", model=model).exists():
            continue  # created by an earlier run of the new code: keep it
        old.app_label = "accounts"
        old.save(update_fields=["app_label"])
    # The lockout model is gone; its permissions go with its content type.
    content_type.objects.filter(app_label="core", model="loginlockout").delete()


def move_content_types_back(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="accounts", model__in=["user", "apitoken"]).update(app_label="core")


def rewrite_session_backends(apps, schema_editor, old=OLD_BACKEND, new=NEW_BACKEND):
    """Sessions name the backend that signed their user in; Django signs out a session
    whose backend is no longer configured."""
    from django.contrib.sessions.backends.db import SessionStore

    session_model = apps.get_model("sessions", "Session")
    store = SessionStore()
    for session in session_model.objects.filter(session_data__isnull=False).iterator():
        data = store.decode(session.session_data)
        if data.get("_auth_user_backend") == old:
            data["_auth_user_backend"] = new
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])


def rewrite_session_backends_back(apps, schema_editor):
    rewrite_session_backends(apps, schema_editor, old=NEW_BACKEND, new=OLD_BACKEND)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(name="user", table=None),
        migrations.AlterModelTable(name="apitoken", table=None),
        migrations.RunSQL("DROP TABLE IF EXISTS core_loginlockout", reverse_sql=migrations.RunSQL.noop),
        migrations.RunPython(move_content_types, move_content_types_back),
        migrations.RunPython(rewrite_session_backends, rewrite_session_backends_back),
    ]
