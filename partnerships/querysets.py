from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Case, Exists, IntegerField, OuterRef, Prefetch, Q, Value, When
from django.utils import timezone

from accounts.visibility import Role, role_of, viewer_organisation_id


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

    def parties_prefetch(self) -> Prefetch:
        """Parties with their organisation, lead first, then funders, partners, beneficiaries."""
        from .models import PartnershipParty

        order = Case(
            *(When(role=role, then=Value(i)) for i, role in enumerate(PartnershipParty.Role.values)),
            output_field=IntegerField(),
        )
        return Prefetch(
            "parties",
            queryset=PartnershipParty.objects.select_related("organisation").order_by(order, "organisation__name"),
        )

    def with_list_relations(self):
        return self.prefetch_related(self.parties_prefetch(), "territories")

    def in_phase(self, phase: str, *, today: datetime.date | None = None):
        """Upcoming (starts after today), ended (ended before today) or active (otherwise)."""
        today = today or timezone.localdate()
        if phase == "upcoming":
            return self.filter(start_date__gt=today)
        if phase == "ended":
            return self.filter(end_date__lt=today)
        if phase == "active":
            return self.filter(Q(start_date__lte=today) & (Q(end_date__isnull=True) | Q(end_date__gte=today)))
        return self

    def active_in_year(self, year: int):
        """Partnerships whose period overlaps the calendar year."""
        return self.filter(
            Q(start_date__lte=datetime.date(year, 12, 31))
            & (Q(end_date__isnull=True) | Q(end_date__gte=datetime.date(year, 1, 1)))
        )


class ChildQuerySet(models.QuerySet):
    """Deliverables, funding lines…: visible when their partnership is."""

    def visible_to(self, user):
        from .models import Partnership

        return self.filter(partnership__in=Partnership.objects.visible_to(user).values("pk"))

    def open(self):
        """Deliverables still expected (neither delivered nor cancelled)."""
        return self.exclude(status__in=["delivered", "cancelled"])


def organisation_link(user) -> Exists:
    """An organisation is visible to whoever may read a partnership it is a party to or funds
    (registered with experiences.querysets.register_organisation_link)."""
    from .models import Partnership, PartnershipFunding, PartnershipParty

    readable = Partnership.objects.visible_to(user).values("pk")
    return Exists(PartnershipParty.objects.filter(organisation=OuterRef("pk"), partnership__in=readable)) | Exists(
        PartnershipFunding.objects.filter(funder=OuterRef("pk"), partnership__in=readable)
    )
