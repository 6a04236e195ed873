from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = _("Comptes et noyau")

    def ready(self):
        from django.db.backends.signals import connection_created

        from core.logging import connect_celery_signals, install_slow_query_wrapper

        connection_created.connect(install_slow_query_wrapper, dispatch_uid="periscope_slow_query_wrapper")
        connect_celery_signals()

        from django.db.models.signals import post_migrate

        from core.roles import ensure_role_groups

        # Groups and their permissions exist after every migrate and test-database flush.
        post_migrate.connect(ensure_role_groups, dispatch_uid="periscope_role_groups")
