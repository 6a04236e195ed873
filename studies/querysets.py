from __future__ import annotations

from django.db import models
from django.db.models import Q

from core.visibility import Role, role_of


class StudyQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see every study; others only the studies whose team they are on."""
        role = role_of(user)
        if role == Role.STAFF:
            return self
        if role == Role.VISITOR:
            return self.none()
        return self.filter(Q(team=user) | Q(lead=user)).distinct()


class ReportQuerySet(models.QuerySet):
    """Report jobs and versions are visible exactly when their study is."""

    def visible_to(self, user):
        from .models import Study

        return self.filter(study__in=Study.objects.visible_to(user).values("pk"))
