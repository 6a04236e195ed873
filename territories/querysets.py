from django.db import models


class TerritoryQuerySet(models.QuerySet):
    """Territories are public reference data: visible to everyone."""

    def visible_to(self, user):
        return self

    def current(self):
        return self.filter(is_current=True)
