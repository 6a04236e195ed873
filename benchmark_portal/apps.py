from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenchmarkPortalConfig(AppConfig):
    """Project-level commands (demo content) that span every app."""

    name = "benchmark_portal"
    verbose_name = _("Portail")
