"""Every write on partnerships: keyword-only, atomic, validated with full_clean() before save.

Each write records who made it in the history (django-simple-history), whatever
the caller: a view, the API, a command or a task.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.roles import ROLE_GROUPS, Role
from core.fields import clean_rich_text
from core.formats import format_date

from .models import Deliverable, Milestone, Partnership, PartnershipDocument, PartnershipFunding, PartnershipParty
from .selectors import OVERDUE_REMINDER_WINDOW_DAYS, REMINDER_LEAD_DAYS

logger = logging.getLogger(__name__)

PARTNERSHIP_FIELDS = frozenset(
    {"title", "kind", "description", "start_date", "end_date", "visibility", "currency", "notes", "manager"}
)
PARTNERSHIP_M2M = frozenset({"territories", "studies", "experiences"})


def _save(instance, *, by) -> None:
    """Canonical rich text, validate, attribute the history row to `by`, save."""
    clean_rich_text(instance)
    instance.full_clean()
    if by is not None:
        instance._history_user = by
    instance.save()


def _delete(instance, *, by) -> None:
    if by is not None:
        instance._history_user = by
    instance.delete()


def _apply(instance, data: Mapping[str, Any], allowed: Iterable[str]) -> list[str]:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValueError(f"Unknown fields: {', '.join(sorted(unknown))}")
    changed = []
    for name, value in data.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed


# Path segments of partnerships/urls.py that a slug must not shadow.
RESERVED_SLUGS = frozenset({"nouveau", "tableau-de-bord", "carte", "suggestions"})


def _unique_slug(title: str) -> str:
    base = slugify(title)[:270] or "partenariat"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Partnership.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


def _set_relations(partnership: Partnership, relations: Mapping[str, Iterable]) -> None:
    for name, values in relations.items():
        if values is not None:
            getattr(partnership, name).set(list(values))


# --- Partnership --------------------------------------------------------------------


@transaction.atomic
def partnership_create(
    *,
    by,
    title: str,
    kind: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    description: str = "",
    visibility: str = Partnership.Visibility.PUBLIC,
    currency: str = "EUR",
    notes: str = "",
    manager=None,
    slug: str | None = None,
    territories: Iterable = (),
    studies: Iterable = (),
    experiences: Iterable = (),
) -> Partnership:
    """Create a partnership and link its territories, studies and experiences."""
    partnership = Partnership(
        title=title.strip(),
        slug=slug or _unique_slug(title),
        kind=kind,
        start_date=start_date,
        end_date=end_date,
        description=description,
        visibility=visibility,
        currency=(currency or "").strip().upper(),
        notes=notes,
        manager=manager,
    )
    _save(partnership, by=by)
    _set_relations(partnership, {"territories": territories, "studies": studies, "experiences": experiences})
    return partnership


@transaction.atomic
def partnership_update(*, partnership: Partnership, by, data: Mapping[str, Any]) -> Partnership:
    """Change fields and/or replace linked territories, studies, experiences (keys of `data`)."""
    fields = {k: v for k, v in data.items() if k not in PARTNERSHIP_M2M}
    if "currency" in fields:
        fields["currency"] = (fields["currency"] or "").strip().upper()
    if _apply(partnership, fields, PARTNERSHIP_FIELDS):
        _save(partnership, by=by)
    _set_relations(partnership, {k: v for k, v in data.items() if k in PARTNERSHIP_M2M})
    return partnership


@transaction.atomic
def partnership_delete(*, partnership: Partnership, by) -> None:
    _delete(partnership, by=by)


# --- Parties -------------------------------------------------------------------------


@transaction.atomic
def party_add(
    *, partnership: Partnership, by, organisation, role: str = PartnershipParty.Role.PARTNER
) -> PartnershipParty:
    party = PartnershipParty(partnership=partnership, organisation=organisation, role=role)
    _save(party, by=by)
    return party


@transaction.atomic
def party_update(*, party: PartnershipParty, by, data: Mapping[str, Any]) -> PartnershipParty:
    if _apply(party, data, {"organisation", "role"}):
        _save(party, by=by)
    return party


@transaction.atomic
def party_remove(*, party: PartnershipParty, by) -> None:
    _delete(party, by=by)


# --- Funding ------------------------------------------------------------------------


@transaction.atomic
def funding_line_add(
    *,
    partnership: Partnership,
    by,
    funder,
    year: int,
    amount: Decimal | int | str,
    currency: str | None = None,
    received: bool = False,
) -> PartnershipFunding:
    """A funding line; its currency defaults to the partnership's."""
    line = PartnershipFunding(
        partnership=partnership,
        funder=funder,
        year=year,
        amount=Decimal(str(amount)),
        currency=(currency or partnership.currency).strip().upper(),
        received=received,
    )
    _save(line, by=by)
    return line


@transaction.atomic
def funding_line_update(*, line: PartnershipFunding, by, data: Mapping[str, Any]) -> PartnershipFunding:
    data = dict(data)
    if "currency" in data:
        data["currency"] = (data["currency"] or line.partnership.currency).strip().upper()
    if _apply(line, data, {"funder", "year", "amount", "currency", "received"}):
        _save(line, by=by)
    return line


@transaction.atomic
def funding_line_remove(*, line: PartnershipFunding, by) -> None:
    _delete(line, by=by)


# --- Deliverables --------------------------------------------------------------------


def _settle_delivery(deliverable: Deliverable) -> None:
    if deliverable.status == Deliverable.Status.DELIVERED and deliverable.delivered_on is None:
        deliverable.delivered_on = timezone.localdate()


@transaction.atomic
def deliverable_add(
    *,
    partnership: Partnership,
    by,
    title: str,
    due_date: datetime.date,
    status: str = Deliverable.Status.PLANNED,
    delivered_on: datetime.date | None = None,
    file: File | None = None,
) -> Deliverable:
    """A deliverable; marked delivered without a date, it is dated today."""
    deliverable = Deliverable(
        partnership=partnership, title=title, due_date=due_date, status=status, delivered_on=delivered_on
    )
    if file:
        deliverable.file = file
    _settle_delivery(deliverable)
    _save(deliverable, by=by)
    return deliverable


@transaction.atomic
def deliverable_update(*, deliverable: Deliverable, by, data: Mapping[str, Any]) -> Deliverable:
    """Change a deliverable. A new due date re-arms both reminders: they concern the old date."""
    old_due = deliverable.due_date
    changed = _apply(deliverable, data, {"title", "due_date", "status", "delivered_on", "file"})
    if "due_date" in changed and deliverable.due_date != old_due:
        deliverable.reminder_sent_on = None
        deliverable.overdue_reminder_sent_on = None
    _settle_delivery(deliverable)
    if changed:
        _save(deliverable, by=by)
    return deliverable


@transaction.atomic
def deliverable_remove(*, deliverable: Deliverable, by) -> None:
    _delete(deliverable, by=by)


# --- Milestones and documents ----------------------------------------------------------


@transaction.atomic
def milestone_add(*, partnership: Partnership, by, date: datetime.date, title: str) -> Milestone:
    milestone = Milestone(partnership=partnership, date=date, title=title)
    _save(milestone, by=by)
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, by, data: Mapping[str, Any]) -> Milestone:
    if _apply(milestone, data, {"date", "title"}):
        _save(milestone, by=by)
    return milestone


@transaction.atomic
def milestone_remove(*, milestone: Milestone, by) -> None:
    _delete(milestone, by=by)


@transaction.atomic
def document_add(
    *, partnership: Partnership, by, title: str, file: File | None = None, url: str = ""
) -> PartnershipDocument:
    document = PartnershipDocument(partnership=partnership, title=title, url=url)
    if file:
        document.file = file
    _save(document, by=by)
    return document


@transaction.atomic
def document_update(*, document: PartnershipDocument, by, data: Mapping[str, Any]) -> PartnershipDocument:
    if _apply(document, data, {"title", "file", "url"}):
        _save(document, by=by)
    return document


@transaction.atomic
def document_remove(*, document: PartnershipDocument, by) -> None:
    _delete(document, by=by)


# --- Reminders -------------------------------------------------------------------------

ReminderKind = Literal["due", "overdue"]
_REMINDER_FIELD = {"due": "reminder_sent_on", "overdue": "overdue_reminder_sent_on"}


def reminder_recipients(partnership: Partnership) -> list[str]:
    """The partnership's manager, or else every active staff member with an address."""
    manager = partnership.manager
    if manager is not None and manager.is_active and manager.email:
        return [manager.email]
    User = get_user_model()
    staff = (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=ROLE_GROUPS[Role.STAFF]))
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
        .order_by("email")
    )
    return list(staff)


def _still_due(deliverable: Deliverable, kind: ReminderKind, today: datetime.date) -> bool:
    if not deliverable.is_open:
        return False
    if kind == "due":
        return today <= deliverable.due_date <= today + datetime.timedelta(days=REMINDER_LEAD_DAYS)
    return today - datetime.timedelta(days=OVERDUE_REMINDER_WINDOW_DAYS) <= deliverable.due_date < today


def deliverable_send_reminder(*, deliverable_id: int, kind: ReminderKind, today: datetime.date | None = None) -> bool:
    """Send one reminder e-mail for one deliverable, at most once per kind.

    The row is locked (SELECT … FOR UPDATE) and its `*_sent_on` date checked and
    set in the same transaction as the sending: a second worker running the same
    reminder waits for the lock, then finds the date set and sends nothing. If the
    mail cannot be sent the transaction rolls back, so the next run tries again.
    Returns True when an e-mail went out.
    """
    if kind not in _REMINDER_FIELD:
        raise ValueError(f"Unknown reminder kind: {kind}")
    today = today or timezone.localdate()
    sent_field = _REMINDER_FIELD[kind]
    with transaction.atomic():
        deliverable = (
            Deliverable.objects.select_for_update(of=("self",))
            .select_related("partnership__manager")
            .filter(pk=deliverable_id, **{f"{sent_field}__isnull": True})
            .first()
        )
        if deliverable is None or not _still_due(deliverable, kind, today):
            return False
        recipients = reminder_recipients(deliverable.partnership)
        if not recipients:
            logger.warning("No recipient for the %s reminder of deliverable %s", kind, deliverable_id)
            return False
        with translation.override(settings.LANGUAGE_CODE):
            context = {
                "deliverable": deliverable,
                "partnership": deliverable.partnership,
                "kind": kind,
                "days": (deliverable.due_date - today).days,
                "late_days": (today - deliverable.due_date).days,
                "url": getattr(settings, "PORTAL_BASE_URL", "").rstrip("/")
                + deliverable.partnership.get_absolute_url(),
                "portal_name": settings.PORTAL_NAME,
            }
            if kind == "due":
                subject = _("[%(portal)s] Livrable attendu le %(date)s : %(title)s")
            else:
                subject = _("[%(portal)s] Livrable en retard depuis le %(date)s : %(title)s")
            subject = subject % {
                "portal": settings.PORTAL_NAME,
                "date": format_date(deliverable.due_date, "short"),
                "title": deliverable.title,
            }
            body = render_to_string("partnerships/email/deliverable_reminder.txt", context)
        send_mail(subject, body, None, recipients)
        Deliverable.objects.filter(pk=deliverable.pk).update(**{sent_field: today})
    return True
