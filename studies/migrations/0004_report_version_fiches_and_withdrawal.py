"""Each report version records the fiches its PDF contains (read from the snapshot the
PDF was rendered from, for the versions generated before), and can be withdrawn."""

import django.contrib.postgres.fields
from django.db import migrations, models


def snapshot_experience_ids(snapshot) -> list[int]:
    items = (snapshot or {}).get("items") or []
    ids = []
    for item in items:
        try:
            ids.append(int(item["experience"]["id"]))
        except (KeyError, TypeError, ValueError):
            continue
    return sorted(set(ids))


def backfill(apps, schema_editor):
    version_model = apps.get_model("studies", "ReportVersion")
    for version in version_model.objects.only("pk", "snapshot", "experience_ids").iterator():
        ids = snapshot_experience_ids(version.snapshot)
        if ids != list(version.experience_ids):
            version_model.objects.filter(pk=version.pk).update(experience_ids=ids)


class Migration(migrations.Migration):

    dependencies = [
        ('studies', '0003_report_language'),
    ]

    operations = [
        migrations.AddField(
            model_name='reportversion',
            name='experience_ids',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.BigIntegerField(), blank=True, default=list, editable=False, verbose_name='fiches contenues'),
        ),
        migrations.AddField(
            model_name='reportversion',
            name='withdrawn_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='retirée le'),
        ),
        migrations.AddField(
            model_name='reportversion',
            name='withdrawn_reason',
            field=models.CharField(blank=True, editable=False, max_length=300, verbose_name='motif du retrait'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
