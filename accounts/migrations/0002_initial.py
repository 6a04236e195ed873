"""The user's relations, permissions and API tokens, first created by the `core` app
(core 0002 and 0003, whose login lockout table django-axes replaces: 0003 drops it)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True
    replaces = [("core", "0002_initial"), ("core", "0003_api_tokens_login_lockouts_permissions")]

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('accounts', '0001_initial'),
        ('experiences', '0001_initial'),
        ('territories', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='organisation',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='members', to='experiences.organisation', verbose_name='organisation'),
        ),
        migrations.AddField(
            model_name='user',
            name='reference_territory',
            field=models.ForeignKey(blank=True, help_text='Territoire de référence pour les expériences comparables.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='territories.territory', verbose_name='ma collectivité'),
        ),
        migrations.AddField(
            model_name='user',
            name='user_permissions',
            field=models.ManyToManyField(blank=True, help_text='Specific permissions for this user.', related_name='user_set', related_query_name='user', to='auth.permission', verbose_name='user permissions'),
        ),
        migrations.AlterModelOptions(
            name='user',
            options={'db_table': 'core_user', 'ordering': ['username'], 'permissions': [('invite_user', 'Peut inviter des utilisateurs et changer leur rôle'), ('erase_personal_data', "Peut effacer les données personnelles d'un contact")], 'verbose_name': 'utilisateur', 'verbose_name_plural': 'utilisateurs'},
        ),
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='À quoi sert ce jeton (script, outil…).', max_length=100, verbose_name='nom')),
                ('prefix', models.CharField(max_length=12, verbose_name='début de la clé')),
                ('key_digest', models.CharField(max_length=64, unique=True, verbose_name='empreinte')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='créé le')),
                ('last_used_at', models.DateTimeField(blank=True, null=True, verbose_name='dernière utilisation')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL, verbose_name='utilisateur')),
            ],
            options={
                'verbose_name': "jeton d'API",
                'verbose_name_plural': "jetons d'API",
                'ordering': ['-created_at'],
                'db_table': 'core_apitoken',
                'constraints': [models.UniqueConstraint(fields=('user', 'name'), name='api_token_unique_name_per_user')],
            },
        ),
    ]
