from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q

from core.visibility import Role, role_of, viewer_organisation_id


class PartnershipQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Public to all, members-only to signed-in users, confidential to its parties (and staff)."""
        role = role_of(user)
        if role == Role.STAFF:
            return self
        if role == Role.VISITOR:
            return self.filter(visibility="public")
        q = Q(visibility__in=["public", "members"])
        org_id = viewer_organisation_id(user)
        if org_id:
            from .models import PartnershipParty

            party = PartnershipParty.objects.filter(partnership=OuterRef("pk"), organisation_id=org_id)
            q |= Q(Exists(party))
        return self.filter(q)


class ChildQuerySet(models.QuerySet):
    """Deliverables, funding lines…: visible when their partnership is."""

    def visible_to(self, user):
        from .models import Partnership

        return self.filter(partnership__in=Partnership.objects.visible_to(user).values("pk"))
