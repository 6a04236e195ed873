from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _selection_on_login(sender, request, user, **kwargs):  # noqa: ARG001 - signal receiver signature
    # Sign-in is the one moment an anonymous selection can be merged into the
    # reader's stored one (Django keeps session data across login()); doing it
    # here also saves the first page after sign-in a query.
    if request is not None and hasattr(request, "session"):
        from .selection import selection_sync

        selection_sync(request, user=user)


class ExperiencesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "experiences"
    verbose_name = _("Expériences")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_selection_on_login, dispatch_uid="periscope_selection_on_login")
