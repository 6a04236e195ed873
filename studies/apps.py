from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudiesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "studies"
    verbose_name = _("Études")

    def ready(self):
        from accounts import personal_data
        from experiences.querysets import register_organisation_link

        from .personal_data import HOLDER
        from .querysets import organisation_link

        personal_data.register(HOLDER)
        register_organisation_link("studies", organisation_link)
