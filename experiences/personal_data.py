"""What the experiences app keeps about people, for the RGPD export and erasure
(registered with `accounts.personal_data` in ExperiencesConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

from accounts.personal_data import Holder

from .models import Contact, Experience


def _contacts(*, email: str, name: str):
    q = Q()
    if email:
        q |= Q(email__iexact=email)
    if name:
        q |= Q(name__iexact=name)
    if not q:
        return Contact.objects.none()
    return Contact.objects.filter(q).select_related("experience")


def export(user) -> dict[str, Any]:
    return {
        "authored_experiences": [
            {"title": title, "slug": slug}
            for title, slug in Experience.objects.filter(author=user).values_list("title", "slug")
        ]
    }


def identifiers(*, email: str, name: str) -> set[str]:
    """The e-mail, name and phone of every contact found, so that history rows holding
    any of them (written before an edit changed one) are found too."""
    found: set[str] = set()
    for contact in _contacts(email=email, name=name):
        found |= {contact.email, contact.name, contact.phone}
    return found


@transaction.atomic
def erase(*, email: str, name: str, identifiers: set[str], by) -> dict[str, int]:  # noqa: ARG001 - Holder signature
    """Delete the contacts found by the e-mail or name, and every historical version
    holding any identifier of the person."""
    history_model = Contact.history.model
    q = Q()
    for ident in identifiers:
        q |= Q(email__iexact=ident) | Q(name__iexact=ident) | Q(phone__iexact=ident)
    contact_ids = list(_contacts(email=email, name=name).values_list("pk", flat=True))
    history_q = q | Q(id__in=contact_ids)
    erased_history = history_model.objects.filter(history_q).delete()[0]
    erased_contacts = Contact.objects.filter(pk__in=contact_ids).delete()[0]
    # Deleting the contacts above wrote new history rows ("-" records) about them: gone too.
    erased_history += history_model.objects.filter(history_q).delete()[0]
    return {"contacts": erased_contacts, "history": erased_history}


def find(*, email: str, name: str) -> list[Contact]:
    return list(_contacts(email=email, name=name))


HOLDER = Holder(name="experiences", export=export, find=find, identifiers=identifiers, erase=erase)
