"""Reusable queries. `visible_to(user)` is THE read rule for each model."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q

from accounts.visibility import Role, role_of, viewer_organisation_id


class ExperienceQuerySet(models.QuerySet):
    def visibility_q(self, user) -> Q | None:
        """The visibility rule as a Q object (None = everything)."""
        role = role_of(user)
        org_id = viewer_organisation_id(user)
        if role == Role.STAFF:
            return None
        if role == Role.CONSULTANT:
            # Consultants see every status (drafts, review, archive) but a fiche
            # confidential to a client only if they wrote it or belong to the client.
            q = ~Q(visibility="confidential") | Q(author_id=user.pk)
            if org_id:
                q |= Q(client_organisation_id=org_id)
            return q
        published = Q(status="published")
        if role == Role.MEMBER:
            q = Q(visibility__in=["public", "members"])
            if org_id:
                q |= Q(visibility="confidential", client_organisation_id=org_id)
            return published & q
        return published & Q(visibility="public")

    def visible_to(self, user):
        q = self.visibility_q(user)
        return self if q is None else self.filter(q)

    def published(self):
        return self.filter(status="published")

    def with_list_relations(self):
        return self.select_related("lead_territory", "lead_territory__parent").prefetch_related("themes", "tags")


class OrganisationQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self


class ThemeQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self

    def roots(self):
        return self.filter(parent__isnull=True)


class TagQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Tags used by at least one experience the user may read.

        A tag used only on a confidential or draft fiche would otherwise leak
        its name through tag lists and autocomplete.
        """
        from .models import Experience

        q = Experience.objects.visibility_q(user)
        if q is None:
            return self
        visible = Experience.objects.filter(q, tags=OuterRef("pk"))
        return self.filter(Exists(visible))
