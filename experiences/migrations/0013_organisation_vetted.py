"""Organisations get a "vetted" flag: staff mark an organisation public (experiences.querysets.OrganisationQuerySet)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('experiences', '0012_attachments_in_private_storage'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalorganisation',
            name='vetted',
            field=models.BooleanField(default=False, help_text="Visible de tous. Sinon, une organisation n'est visible que de ceux qui peuvent lire une fiche, un partenariat ou une étude où elle figure.", verbose_name="vérifiée par l'équipe"),
        ),
        migrations.AddField(
            model_name='organisation',
            name='vetted',
            field=models.BooleanField(default=False, help_text="Visible de tous. Sinon, une organisation n'est visible que de ceux qui peuvent lire une fiche, un partenariat ou une étude où elle figure.", verbose_name="vérifiée par l'équipe"),
        ),
    ]
