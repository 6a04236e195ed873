"""The long texts become the one rich-text format (core.richtext): the columns keep their
type; stored plain text is converted to canonical HTML, editor HTML is normalised.
Idempotent (canonical rows are left alone). History rows keep what was written then:
the history page reads both formats through core.richtext.to_text."""


import core.fields
from core.fields import canonicalise_stored
from django.db import migrations


# The long texts of this app at the time of this migration (a frozen copy, not the models' list).
LONG_TEXTS = {
    "Partnership": ('description', 'notes'),
}


def to_canonical_html(apps, schema_editor):
    for model_name, fields in LONG_TEXTS.items():
        canonicalise_stored(apps.get_model("partnerships", model_name), fields)



class Migration(migrations.Migration):

    dependencies = [
        ('partnerships', '0003_files_in_private_storage'),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicalpartnership',
            name='description',
            field=core.fields.RichTextField(blank=True, verbose_name='description'),
        ),
        migrations.AlterField(
            model_name='historicalpartnership',
            name='notes',
            field=core.fields.RichTextField(blank=True, verbose_name='notes internes'),
        ),
        migrations.AlterField(
            model_name='partnership',
            name='description',
            field=core.fields.RichTextField(blank=True, verbose_name='description'),
        ),
        migrations.AlterField(
            model_name='partnership',
            name='notes',
            field=core.fields.RichTextField(blank=True, verbose_name='notes internes'),
        ),
        migrations.RunPython(to_canonical_html, migrations.RunPython.noop, elidable=False),
    ]
