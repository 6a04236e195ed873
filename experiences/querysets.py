"""Reusable queries. `visible_to(user)` is THE read rule for each model."""

from __future__ import annotations

from collections.abc import Callable

from django.db import models
from django.db.models import Exists, OuterRef, Q

from accounts.visibility import Role, can_see_personal_data, role_of, viewer_organisation_id


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


# Links other apps add to the organisation rule (a party of a visible partnership, the
# client of a visible study): each takes the viewer and returns a condition on an
# organisation row. Registered from AppConfig.ready(), so experiences imports no app above it.
_organisation_links: dict[str, Callable[[object], Q | Exists]] = {}


def register_organisation_link(name: str, rule: Callable[[object], Q | Exists]) -> None:
    _organisation_links[name] = rule


class OrganisationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """An organisation is as visible as what it is linked to, or vetted by staff.

        Visible to staff always; to anyone else when it is vetted (`vetted`, set by staff
        in the admin), is the viewer's own organisation, or is linked to something the
        viewer may read: an actor or a funder of a readable fiche, the organisation of a
        contact of a readable fiche (for those who may see contacts), the client of a
        readable fiche (a confidential fiche is readable only by its client's members,
        its author and staff, so its client becomes known to no one else), or what other
        apps register (a party or funder of a readable partnership, the client of a
        readable study). A name typed into a draft or confidential fiche thus stays
        exactly as visible as that fiche.
        """
        from .models import Contact, Experience, ExperienceOrganisation, FundingLine

        fiche_q = Experience.objects.visibility_q(user)
        if fiche_q is None:
            return self
        readable = Experience.objects.filter(fiche_q).values("pk")
        q = Q(vetted=True)
        org_id = viewer_organisation_id(user)
        if org_id:
            q |= Q(pk=org_id)
        q |= Exists(ExperienceOrganisation.objects.filter(organisation=OuterRef("pk"), experience__in=readable))
        q |= Exists(FundingLine.objects.filter(funder=OuterRef("pk"), experience__in=readable))
        q |= Exists(Experience.objects.filter(fiche_q, client_organisation=OuterRef("pk")))
        if can_see_personal_data(user):
            q |= Exists(Contact.objects.filter(organisation=OuterRef("pk"), experience__in=readable))
        for rule in _organisation_links.values():
            q |= rule(user)
        return self.filter(q)


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
