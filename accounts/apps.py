from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Comptes")

    def ready(self):
        from django.db.models.signals import post_migrate

        from accounts.roles import ensure_role_groups

        # Groups and their permissions exist after every migrate and test-database flush.
        post_migrate.connect(ensure_role_groups, dispatch_uid="periscope_role_groups")
