from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _selection_on_login(sender, request, user, **kwargs):  # noqa: ARG001 - signal receiver signature
    # Sign-in is the one moment an anonymous selection can be merged into the
    # reader's stored one (Django keeps session data across login()); doing it
    # here also saves the first page after sign-in a query.
    if request is not None and hasattr(request, "session"):
        from .selection import selection_sync

        selection_sync(request, user=user)


def _vocabulary_changed(sender, **kwargs):  # noqa: ARG001 - signal receiver signature
    # The table triggers bump the search generation when the row is written,
    # before commit; a reader may cache the old names under that number. A
    # second bump after commit makes result cards read the new names.
    from .search import bump_generation

    bump_generation()


def _territories_imported(sender, **kwargs):  # noqa: ARG001 - signal receiver signature
    # Fiches copy their lead territory's population, density class and parents
    # into search columns; a territory import (new populations, Belgian figures,
    # a commune moved to another EPCI) must reach them in the same transaction.
    from .search import refresh_search_fields

    refresh_search_fields()


class ExperiencesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "experiences"
    verbose_name = _("Expériences")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from accounts import personal_data
        from territories.signals import territories_imported

        from .personal_data import HOLDER
        from .semantic import checks  # noqa: F401 - registers the pgvector check

        personal_data.register(HOLDER)

        user_logged_in.connect(_selection_on_login, dispatch_uid="periscope_selection_on_login")
        territories_imported.connect(_territories_imported, dispatch_uid="periscope_territories_imported")
        for model in ("Theme", "Tag"):
            for name, signal in (("save", post_save), ("delete", post_delete)):
                signal.connect(
                    _vocabulary_changed, sender=f"experiences.{model}", dispatch_uid=f"periscope_{model}_{name}"
                )
