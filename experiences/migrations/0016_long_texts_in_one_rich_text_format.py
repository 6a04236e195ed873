"""The long texts become the one rich-text format (core.richtext): the columns keep their
type; stored plain text is converted to canonical HTML, editor HTML is normalised.
Idempotent (canonical rows are left alone). History rows keep what was written then:
the history page reads both formats through core.richtext.to_text."""


import core.fields
from core.fields import canonicalise_stored
from django.db import migrations


# The long texts of this app at the time of this migration (a frozen copy, not the models' list).
LONG_TEXTS = {
    "Experience": ('context', 'actions', 'results', 'vigilance_points'),
    "Organisation": ('description',),
}


def to_canonical_html(apps, schema_editor):
    for model_name, fields in LONG_TEXTS.items():
        canonicalise_stored(apps.get_model("experiences", model_name), fields)



class Migration(migrations.Migration):

    dependencies = [
        ('experiences', '0015_experience_vectors'),
    ]

    operations = [
        migrations.AlterField(
            model_name='experience',
            name='actions',
            field=core.fields.RichTextField(blank=True, verbose_name='actions menées'),
        ),
        migrations.AlterField(
            model_name='experience',
            name='context',
            field=core.fields.RichTextField(blank=True, verbose_name='contexte'),
        ),
        migrations.AlterField(
            model_name='experience',
            name='results',
            field=core.fields.RichTextField(blank=True, verbose_name='résultats'),
        ),
        migrations.AlterField(
            model_name='experience',
            name='vigilance_points',
            field=core.fields.RichTextField(blank=True, verbose_name='points de vigilance'),
        ),
        migrations.AlterField(
            model_name='historicalexperience',
            name='actions',
            field=core.fields.RichTextField(blank=True, verbose_name='actions menées'),
        ),
        migrations.AlterField(
            model_name='historicalexperience',
            name='context',
            field=core.fields.RichTextField(blank=True, verbose_name='contexte'),
        ),
        migrations.AlterField(
            model_name='historicalexperience',
            name='results',
            field=core.fields.RichTextField(blank=True, verbose_name='résultats'),
        ),
        migrations.AlterField(
            model_name='historicalexperience',
            name='vigilance_points',
            field=core.fields.RichTextField(blank=True, verbose_name='points de vigilance'),
        ),
        migrations.AlterField(
            model_name='historicalorganisation',
            name='description',
            field=core.fields.RichTextField(blank=True, verbose_name='description'),
        ),
        migrations.AlterField(
            model_name='organisation',
            name='description',
            field=core.fields.RichTextField(blank=True, verbose_name='description'),
        ),
        migrations.RunPython(to_canonical_html, migrations.RunPython.noop, elidable=False),
    ]
