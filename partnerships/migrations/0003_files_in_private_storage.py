"""Deliverable files and partnership documents move to private storage (core/storage.py):
the files move from MEDIA_ROOT to PRIVATE_MEDIA_ROOT under the same names (idempotent)."""

import core.storage
import partnerships.models
from django.db import migrations, models

from core.storage import move_to_private


def move_files(apps, schema_editor):
    for name in ("Deliverable", "PartnershipDocument"):
        model = apps.get_model("partnerships", name)
        move_to_private(model.objects.exclude(file="").values_list("file", flat=True).iterator())


class Migration(migrations.Migration):

    dependencies = [
        ('partnerships', '0002_partnership_manager_documents_reminders'),
    ]

    operations = [
        migrations.AlterField(
            model_name='deliverable',
            name='file',
            field=models.FileField(blank=True, storage=core.storage.private_storage, upload_to=partnerships.models.deliverable_path, verbose_name='fichier'),
        ),
        migrations.AlterField(
            model_name='partnershipdocument',
            name='file',
            field=models.FileField(blank=True, storage=core.storage.private_storage, upload_to=partnerships.models.document_path, verbose_name='fichier'),
        ),
        migrations.RunPython(move_files, migrations.RunPython.noop),
    ]
