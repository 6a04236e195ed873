"""E-mail alerts are for members: the weekly alert of a saved search owned by a visitor
account (no role group, not a superuser) is switched off; the search itself is kept.
Idempotent."""

from django.db import migrations
from django.db.models import Q

# accounts.roles.ROLE_GROUPS, frozen here: a migration must not follow later renames.
ROLE_GROUP_NAMES = ["Membres", "Consultants", "Équipe"]


def switch_off_visitor_alerts(apps, schema_editor):
    saved_search = apps.get_model("experiences", "SavedSearch")
    members = saved_search.objects.filter(
        Q(user__is_superuser=True) | Q(user__groups__name__in=ROLE_GROUP_NAMES)
    ).values("pk")
    saved_search.objects.filter(weekly_digest=True).exclude(pk__in=members).update(weekly_digest=False)


class Migration(migrations.Migration):
    dependencies = [
        ("experiences", "0013_organisation_vetted"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(switch_off_visitor_alerts, migrations.RunPython.noop)]
