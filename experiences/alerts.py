"""Saved searches and their weekly e-mail alert of new matching experiences.

A saved search keeps the exact state of the search page: its query string with
the reference territory made explicit (the remembered collectivité the page
applied, or `ref=` for none), the comparability band, the sort and every facet
value; it reopens, and its alert runs, with exactly that. Only when the reader
chose "comparable to my territory" is the reference left out of the saved
query: the reader's *current* reference territory is then put in each time it
runs, so the alert follows a change of collectivité.

The digest runs the saved query through the search selector with the owner as
viewer (the visibility rule applies: a confidential fiche of another client is
never mailed), keeps the fiches published since the search was saved and not
yet sent for it, records them in `SavedSearchNotification` (unique per search
and experience) and sends the e-mail in the same transaction: a failed sending
rolls the records back for the next run, and a second run finds nothing new.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import ROLE_GROUPS, Role, has_role

from . import selectors
from .models import Experience, SavedSearch, SavedSearchNotification

logger = logging.getLogger(__name__)

# Parameters that describe a page of results, not the search itself.
VOLATILE_PARAMS = ("page", "page_size", "ref_q", "csrfmiddlewaretoken", "saved")
DIGEST_MAX = 30  # fiches listed in one e-mail; the link shows them all
# The beat runs every morning; an alert is due when its last run is older than this
# (a little under its period, so that a run a few minutes late still counts as due).
DIGEST_INTERVALS = {
    SavedSearch.AlertFrequency.DAILY: datetime.timedelta(hours=20),
    SavedSearch.AlertFrequency.WEEKLY: datetime.timedelta(days=6),
}
DIGEST_INTERVAL = DIGEST_INTERVALS[SavedSearch.AlertFrequency.WEEKLY]
COMPARABLE_DEFAULT_LEVEL = "2"


def clean_query(query: str | QueryDict) -> str:
    """The query string without paging and form noise, keys sorted (stable, comparable)."""
    params = query.copy() if isinstance(query, QueryDict) else QueryDict(query or "", mutable=True)
    params._mutable = True
    for key in VOLATILE_PARAMS:
        params.pop(key, None)
    for key in list(params):
        values = [v for v in params.getlist(key) if v != ""]
        if key == "ref" and not values:
            params.setlist(key, [""])  # explicitly no reference: not the owner's remembered one
        elif values:
            params.setlist(key, values)
        else:
            del params[key]
    ordered = QueryDict(mutable=True)
    for key in sorted(params):
        ordered.setlist(key, params.getlist(key))
    return ordered.urlencode()


def saved_search_params(saved: SavedSearch) -> QueryDict:
    """The parameters the search runs with, the owner's reference territory put in when asked."""
    params = QueryDict(saved.query, mutable=True)
    if saved.comparable_to_mine and "ref" not in params:
        reference = saved.user.reference_territory
        if reference is not None:
            params["ref"] = reference.slug
            if not params.get("comparable"):
                params["comparable"] = COMPARABLE_DEFAULT_LEVEL
        else:
            params.pop("comparable", None)
    return params


def saved_search_url(saved: SavedSearch, *, reopened: bool = False) -> str:
    """The search page of this saved search; `reopened` adds `saved=<id>`, so that the owner
    can save changed criteria back into it ("Mettre à jour")."""
    params = saved_search_params(saved)
    if reopened:
        params["saved"] = str(saved.pk)
    query = params.urlencode()
    return reverse("experiences:list") + (f"?{query}" if query else "")


def can_have_alerts(user) -> bool:
    """E-mail alerts are for members (and above); a visitor account saves searches only."""
    return has_role(user, Role.MEMBER)


def members_q(prefix: str = "user__") -> Q:
    """Accounts with a member role or above, as a condition (for querysets of their rows)."""
    return Q(**{f"{prefix}is_superuser": True}) | Q(**{f"{prefix}groups__name__in": list(ROLE_GROUPS.values())})


def _check_alerts_allowed(user, weekly_digest: bool | None) -> None:
    if weekly_digest and not can_have_alerts(user):
        raise PermissionDenied(_("Les alertes par courriel sont réservées aux membres."))


def _check_owner(saved: SavedSearch, by) -> None:
    if saved.user_id != getattr(by, "pk", None):
        raise PermissionDenied(_("Cette recherche enregistrée ne vous appartient pas."))


# --- Writes ------------------------------------------------------------------------------------


@transaction.atomic
def saved_search_create(
    *,
    user,
    name: str,
    query: str,
    comparable_to_mine: bool = False,
    weekly_digest: bool = False,
    alert_frequency: str = SavedSearch.AlertFrequency.WEEKLY,
    language: str = "",
) -> SavedSearch:
    """Save a search for a signed-in reader."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Connectez-vous pour enregistrer une recherche."))
    _check_alerts_allowed(user, weekly_digest)
    query = clean_query(query)
    if comparable_to_mine:
        # Following the reader's reference territory: the one of today is not part of the state.
        params = QueryDict(query, mutable=True)
        params.pop("ref", None)
        query = params.urlencode()
    saved = SavedSearch(
        user=user,
        name=name.strip(),
        query=query,
        comparable_to_mine=comparable_to_mine,
        weekly_digest=weekly_digest,
        alert_frequency=alert_frequency,
        language=language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE,
    )
    saved.full_clean()
    saved.save()
    return saved


@transaction.atomic
def saved_search_update(
    *,
    saved: SavedSearch,
    by,
    name: str | None = None,
    query: str | None = None,
    comparable_to_mine: bool | None = None,
    weekly_digest: bool | None = None,
    alert_frequency: str | None = None,
    language: str | None = None,
) -> SavedSearch:
    """Rename, re-criteria, turn the alert on or off or change how often it runs (owner only)."""
    _check_owner(saved, by)
    _check_alerts_allowed(by, weekly_digest)
    if name is not None:
        saved.name = name.strip()
    if query is not None:
        saved.query = clean_query(query)
    if comparable_to_mine is not None:
        saved.comparable_to_mine = comparable_to_mine
    if weekly_digest is not None:
        saved.weekly_digest = weekly_digest
    if alert_frequency is not None:
        saved.alert_frequency = alert_frequency
    if language is not None and language in dict(settings.LANGUAGES):
        saved.language = language
    saved.full_clean()
    saved.save()
    return saved


@transaction.atomic
def saved_search_delete(*, saved: SavedSearch, by) -> None:
    _check_owner(saved, by)
    saved.delete()


# --- The weekly digest -----------------------------------------------------------------------


def due_saved_searches(*, now: datetime.datetime | None = None) -> list[int]:
    """Ids of the saved searches whose alert is on and was not run within its period."""
    now = now or timezone.now()
    members = SavedSearch.objects.filter(members_q()).values("pk")
    qs = SavedSearch.objects.filter(weekly_digest=True, user__is_active=True, pk__in=members).exclude(user__email="")
    for frequency, interval in DIGEST_INTERVALS.items():
        qs = qs.exclude(alert_frequency=frequency, last_notified_at__gt=now - interval)
    return list(qs.order_by("pk").values_list("pk", flat=True))


@dataclass
class DigestOutcome:
    sent: bool
    experiences: int


def new_matches(saved: SavedSearch) -> list[Experience]:
    """Published fiches matching the saved search, visible to its owner, published since it was
    saved and never sent for it; newest first (at most DIGEST_MAX)."""
    params = saved_search_params(saved)
    params["sort"] = "newest"
    params.setlist("status", ["published"])
    params["page_size"] = "100"
    result = selectors.experience_search(viewer=saved.user, params=params, with_facets=False)
    if not result.valid:
        logger.warning("Saved search %s no longer validates: %s", saved.pk, result.errors)
        return []
    already = set(saved.notifications.values_list("experience_id", flat=True))
    fresh = [
        e
        for e in result.experiences
        if e.status == Experience.Status.PUBLISHED
        and e.published_at is not None
        and e.published_at >= saved.created_at
        and e.pk not in already
    ]
    return fresh[:DIGEST_MAX]


def saved_search_send_digest(*, saved_search_id: int, now: datetime.datetime | None = None) -> DigestOutcome:
    """Send one saved search's alert if it has new matches; record each fiche sent (once ever)."""
    now = now or timezone.now()
    with transaction.atomic():
        saved = (
            SavedSearch.objects.select_for_update(of=("self",))
            .select_related("user__reference_territory")
            .filter(pk=saved_search_id, weekly_digest=True)
            .first()
        )
        if saved is None or not saved.user.is_active or not saved.user.email or not can_have_alerts(saved.user):
            return DigestOutcome(False, 0)
        interval = DIGEST_INTERVALS.get(saved.alert_frequency, DIGEST_INTERVAL)
        if saved.last_notified_at and saved.last_notified_at > now - interval:
            return DigestOutcome(False, 0)  # already run this period (a second beat, a retried task)
        saved.last_notified_at = now
        saved.save(update_fields=["last_notified_at"])
        # The user's language, for the search labels and for the e-mail alike.
        with translation.override(saved.language):
            matches = new_matches(saved)
            if not matches:
                return DigestOutcome(False, 0)
            SavedSearchNotification.objects.bulk_create(
                [SavedSearchNotification(saved_search=saved, experience=e) for e in matches]
            )
            base = getattr(settings, "PORTAL_BASE_URL", "").rstrip("/")
            context = {
                "saved": saved,
                "experiences": matches,
                "search_url": base + saved_search_url(saved),
                "manage_url": base + reverse("experiences:saved_searches"),
                "base_url": base,
                "portal_name": settings.PORTAL_NAME,
            }
            subject = render_to_string("experiences/email/saved_search_digest_subject.txt", context)
            body = render_to_string("experiences/email/saved_search_digest.txt", context)
        send_mail(" ".join(subject.split()), body, None, [saved.user.email])
    return DigestOutcome(True, len(matches))
