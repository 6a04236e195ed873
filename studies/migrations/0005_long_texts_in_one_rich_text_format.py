"""The long texts become the one rich-text format (core.richtext): the columns keep their
type; stored plain text is converted to canonical HTML, editor HTML is normalised.
Idempotent (canonical rows are left alone). History rows keep what was written then:
the history page reads both formats through core.richtext.to_text."""


import core.fields
from core.fields import canonicalise_stored
from django.db import migrations


# The long texts of this app at the time of this migration (a frozen copy, not the models' list).
LONG_TEXTS = {
    "Study": ('question', 'scope', 'method', 'conclusions', 'recommendations'),
    "StudyExperience": ('analysis_note', 'transferability', 'client_vigilance'),
}


def to_canonical_html(apps, schema_editor):
    for model_name, fields in LONG_TEXTS.items():
        canonicalise_stored(apps.get_model("studies", model_name), fields)



class Migration(migrations.Migration):

    dependencies = [
        ('studies', '0004_report_version_fiches_and_withdrawal'),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicalstudy',
            name='conclusions',
            field=core.fields.RichTextField(blank=True, verbose_name='conclusions'),
        ),
        migrations.AlterField(
            model_name='historicalstudy',
            name='method',
            field=core.fields.RichTextField(blank=True, verbose_name='méthode'),
        ),
        migrations.AlterField(
            model_name='historicalstudy',
            name='question',
            field=core.fields.RichTextField(verbose_name='problématique'),
        ),
        migrations.AlterField(
            model_name='historicalstudy',
            name='recommendations',
            field=core.fields.RichTextField(blank=True, verbose_name='recommandations'),
        ),
        migrations.AlterField(
            model_name='historicalstudy',
            name='scope',
            field=core.fields.RichTextField(blank=True, verbose_name='périmètre'),
        ),
        migrations.AlterField(
            model_name='historicalstudyexperience',
            name='analysis_note',
            field=core.fields.RichTextField(blank=True, verbose_name="note d'analyse"),
        ),
        migrations.AlterField(
            model_name='historicalstudyexperience',
            name='client_vigilance',
            field=core.fields.RichTextField(blank=True, help_text="Ce à quoi le client devra veiller s'il s'en inspire.", verbose_name='points de vigilance pour le client'),
        ),
        migrations.AlterField(
            model_name='historicalstudyexperience',
            name='transferability',
            field=core.fields.RichTextField(blank=True, help_text='Ce que le client peut reprendre de cette expérience.', verbose_name='ce qui est transposable'),
        ),
        migrations.AlterField(
            model_name='study',
            name='conclusions',
            field=core.fields.RichTextField(blank=True, verbose_name='conclusions'),
        ),
        migrations.AlterField(
            model_name='study',
            name='method',
            field=core.fields.RichTextField(blank=True, verbose_name='méthode'),
        ),
        migrations.AlterField(
            model_name='study',
            name='question',
            field=core.fields.RichTextField(verbose_name='problématique'),
        ),
        migrations.AlterField(
            model_name='study',
            name='recommendations',
            field=core.fields.RichTextField(blank=True, verbose_name='recommandations'),
        ),
        migrations.AlterField(
            model_name='study',
            name='scope',
            field=core.fields.RichTextField(blank=True, verbose_name='périmètre'),
        ),
        migrations.AlterField(
            model_name='studyexperience',
            name='analysis_note',
            field=core.fields.RichTextField(blank=True, verbose_name="note d'analyse"),
        ),
        migrations.AlterField(
            model_name='studyexperience',
            name='client_vigilance',
            field=core.fields.RichTextField(blank=True, help_text="Ce à quoi le client devra veiller s'il s'en inspire.", verbose_name='points de vigilance pour le client'),
        ),
        migrations.AlterField(
            model_name='studyexperience',
            name='transferability',
            field=core.fields.RichTextField(blank=True, help_text='Ce que le client peut reprendre de cette expérience.', verbose_name='ce qui est transposable'),
        ),
        migrations.RunPython(to_canonical_html, migrations.RunPython.noop, elidable=False),
    ]
