from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnershipsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "partnerships"
    verbose_name = _("Partenariats")

    def ready(self):
        from experiences.querysets import register_organisation_link

        from .querysets import organisation_link

        register_organisation_link("partnerships", organisation_link)
