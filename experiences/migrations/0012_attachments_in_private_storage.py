"""Fiche attachments move to private storage (core/storage.py): the files move from
MEDIA_ROOT to PRIVATE_MEDIA_ROOT under the same names (idempotent)."""

import core.storage
import experiences.models
from django.db import migrations, models

from core.storage import move_to_private


def move_files(apps, schema_editor):
    attachment = apps.get_model("experiences", "Attachment")
    move_to_private(attachment.objects.values_list("file", flat=True).iterator())


class Migration(migrations.Migration):

    dependencies = [
        ('experiences', '0011_search_stamp'),
    ]

    operations = [
        migrations.AlterField(
            model_name='attachment',
            name='file',
            field=models.FileField(storage=core.storage.private_storage, upload_to=experiences.models.attachment_path, verbose_name='fichier'),
        ),
        migrations.RunPython(move_files, migrations.RunPython.noop),
    ]
