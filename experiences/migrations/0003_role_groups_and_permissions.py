"""Create the three role groups (core.roles.ROLE_GROUPS) and give them their permissions.

`experiences.publish_experience` goes to the staff group; a designated
reviewer gets it as a per-user permission. Idempotent: existing groups are
kept and only receive the missing permissions.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MEMBER_GROUP = "Membres"
CONSULTANT_GROUP = "Consultants"
STAFF_GROUP = "Équipe"

MEMBER_PERMS = ["view_experience", "view_theme", "view_tag", "view_organisation"]
CONSULTANT_PERMS = [
    *MEMBER_PERMS,
    "add_experience",
    "change_experience",
    "add_organisation",
    "change_organisation",
    "add_tag",
    "change_tag",
    "delete_tag",
    "add_importrun",
    "view_importrun",
    "add_exportjob",
    "view_exportjob",
] + [
    f"{action}_{model}"
    for model in ("fundingline", "contact", "source", "attachment", "experienceorganisation")
    for action in ("add", "change", "delete", "view")
]


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate);
    # create them now so that a fresh database gets the groups filled in.
    for label in ("experiences", "territories"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    experience_perms = Permission.objects.filter(content_type__app_label="experiences")
    by_codename = {p.codename: p for p in experience_perms}

    members, _ = Group.objects.get_or_create(name=MEMBER_GROUP)
    members.permissions.add(*[by_codename[c] for c in MEMBER_PERMS])
    consultants, _ = Group.objects.get_or_create(name=CONSULTANT_GROUP)
    consultants.permissions.add(*[by_codename[c] for c in CONSULTANT_PERMS])
    staff, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    staff.permissions.add(*experience_perms)
    staff.permissions.add(*Permission.objects.filter(content_type__app_label="territories"))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("territories", "0001_initial"),
        ("experiences", "0002_workspace_completeness_history_jobs"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
