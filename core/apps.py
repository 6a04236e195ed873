from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = _("Noyau")

    def ready(self):
        from django.db.backends.signals import connection_created

        from core import checks  # noqa: F401 - registers the system checks
        from core.logging import connect_celery_signals, install_slow_query_wrapper

        connection_created.connect(install_slow_query_wrapper, dispatch_uid="periscope_slow_query_wrapper")
        connect_celery_signals()
