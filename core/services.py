"""Every write about accounts, API tokens and personal data.

Keyword-only, typed, atomic. Views, the admin and management commands call these.
Models of the portal apps are reached through `apps.get_model` so that core imports
no portal app at module level.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import ApiToken, LoginLockout
from .roles import ROLE_GROUPS, Role, has_role, role_of

logger = logging.getLogger(__name__)

User = get_user_model()
ERASED = "[effacé]"
MAX_TOKENS_PER_USER = 20


# --- Accounts -------------------------------------------------------------------------


def _unique_username(email: str) -> str:
    base = slugify(email.split("@", 1)[0])[:140] or "membre"
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


@transaction.atomic
def user_set_role(*, user, role: Role, by) -> None:
    """Put the user in exactly one role group (none for a visitor account)."""
    if not by.has_perm("core.invite_user"):
        raise PermissionDenied
    role = Role(role)
    user.groups.remove(*Group.objects.filter(name__in=ROLE_GROUPS.values()))
    if role != Role.VISITOR:
        group, _created = Group.objects.get_or_create(name=ROLE_GROUPS[role])
        user.groups.add(group)
    # The admin site is for staff only; superusers keep their access whatever their group.
    user.is_staff = role == Role.STAFF or user.is_superuser
    user.full_clean()
    user.save(update_fields=["is_staff"])
    user.__dict__.pop("_periscope_role", None)


def invitation_url(*, user, base_url: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return base_url.rstrip("/") + reverse("core:invitation_accept", kwargs={"uidb64": uid, "token": token})


@transaction.atomic
def user_invite(
    *,
    by,
    email: str,
    role: Role,
    base_url: str,
    first_name: str = "",
    last_name: str = "",
    organisation=None,
    reference_territory=None,
):
    """Create an account with no usable password and e-mail its owner a link to choose one.

    The link is a password-reset token: it works once (setting the password changes the
    hash it is derived from) and expires after PASSWORD_RESET_TIMEOUT.
    """
    if not by.has_perm("core.invite_user"):
        raise PermissionDenied
    email = User.objects.normalize_email(email).strip()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("Un compte existe déjà avec cette adresse.")})
    user = User(
        username=_unique_username(email),
        email=email,
        first_name=first_name,
        last_name=last_name,
        organisation=organisation,
        reference_territory=reference_territory,
    )
    user.set_unusable_password()
    user.full_clean()
    user.save()
    user_set_role(user=user, role=role, by=by)
    url = invitation_url(user=user, base_url=base_url)
    context = {"user": user, "url": url, "inviter": by, "role": role}
    subject = render_to_string("account/invitation_subject.txt", context).strip()
    body = render_to_string("account/invitation_email.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))
    return user


@transaction.atomic
def profile_update(*, user, first_name: str, last_name: str, email: str, reference_territory=None) -> None:
    """What a member may change about themselves (their organisation is set by staff)."""
    email = User.objects.normalize_email(email).strip()
    if email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ValidationError({"email": _("Un autre compte utilise déjà cette adresse.")})
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.reference_territory = reference_territory
    user.full_clean()
    user.save(update_fields=["first_name", "last_name", "email", "reference_territory"])


@transaction.atomic
def user_delete(*, user) -> None:
    """Delete an account and what is only about it (tokens, lockouts, sessions).

    Fiches, studies and history rows it wrote stay, with their author set to empty
    (the foreign keys are SET_NULL): they belong to the organisation, not to the person.
    """
    from django.contrib.sessions.models import Session

    username = user.username
    pk = str(user.pk)
    LoginLockout.objects.filter(username__in=[username.lower(), (user.email or "").lower()]).delete()
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == pk:
            session.delete()
    user.delete()
    logger.info("Account %s deleted at its owner's request", pk)


def user_export_data(*, user) -> dict[str, Any]:
    """Everything Périscope keeps about a person's account (RGPD right of access)."""
    experience_model = apps.get_model("experiences", "Experience")
    study_model = apps.get_model("studies", "Study")
    return {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "role": role_of(user).value,
            "groups": sorted(user.groups.values_list("name", flat=True)),
            "organisation": str(user.organisation) if user.organisation_id else None,
            "reference_territory": str(user.reference_territory) if user.reference_territory_id else None,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "api_tokens": [
            {
                "name": t.name,
                "prefix": t.prefix,
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
            }
            for t in user.api_tokens.all()
        ],
        "authored_experiences": [
            {"title": title, "slug": slug}
            for title, slug in experience_model.objects.filter(author=user).values_list("title", "slug")
        ],
        "studies": [
            {"title": title, "slug": slug}
            for title, slug in study_model.objects.filter(Q(team=user) | Q(lead=user))
            .distinct()
            .values_list("title", "slug")
        ],
    }


# --- API tokens -----------------------------------------------------------------------


@transaction.atomic
def token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new personal API key. Returns the row and the key, which is shown only this once."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied
    if user.api_tokens.count() >= MAX_TOKENS_PER_USER:
        raise ValidationError({"name": _("Vous avez déjà %(n)d jetons : révoquez-en un.") % {"n": MAX_TOKENS_PER_USER}})
    key = "psc_" + secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip(), prefix=key[:10], key_digest=ApiToken.digest(key))
    token.full_clean()
    token.save()
    return token, key


@transaction.atomic
def token_revoke(*, user, token_id: int) -> None:
    """Revoke one of the user's own tokens (someone else's is reported as not found)."""
    deleted, _detail = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise ApiToken.DoesNotExist


# --- Personal data of contacts ----------------------------------------------------------


def contact_matches(*, email: str = "", name: str = ""):
    """Current contacts matching an e-mail address (any case) or an exact name."""
    contact_model = apps.get_model("experiences", "Contact")
    q = Q()
    if email.strip():
        q |= Q(email__iexact=email.strip())
    if name.strip():
        q |= Q(name__iexact=name.strip())
    if not q:
        return contact_model.objects.none()
    return contact_model.objects.filter(q).select_related("experience")


def _scrub(value, needles: list[str]):
    """Replace every string containing one of the needles, anywhere in a JSON value."""
    if isinstance(value, str):
        lowered = value.lower()
        return ERASED if any(n in lowered for n in needles) else value
    if isinstance(value, list):
        return [_scrub(v, needles) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, needles) for k, v in value.items()}
    return value


@transaction.atomic
def contact_erase(*, by, email: str = "", name: str = "") -> dict[str, int]:
    """Erase a person from every fiche, from history and from report snapshots (RGPD).

    Deletes the matching contacts, every historical version of them (including versions
    whose e-mail, name or phone was the person's before an edit) and replaces the person's
    details in the data frozen with each report version. Already generated PDF files
    cannot be edited: the number of report versions concerned is returned so that staff
    regenerate or withdraw them.
    """
    if not by.has_perm("core.erase_personal_data"):
        raise PermissionDenied
    contacts = list(contact_matches(email=email, name=name))
    identifiers = {email.strip().lower(), name.strip().lower()}
    for contact in contacts:
        identifiers |= {contact.email.lower(), contact.name.lower(), contact.phone.lower()}
    identifiers.discard("")
    if not identifiers:
        raise ValidationError(_("Indiquez une adresse ou un nom."))
    contact_model = apps.get_model("experiences", "Contact")
    history_model = contact_model.history.model
    q = Q()
    for ident in identifiers:
        q |= Q(email__iexact=ident) | Q(name__iexact=ident) | Q(phone__iexact=ident)
    contact_ids = [c.pk for c in contacts]
    history_q = q | Q(id__in=contact_ids)
    erased_history, _detail = history_model.objects.filter(history_q).delete()
    erased_contacts, _detail = contact_model.objects.filter(pk__in=contact_ids).delete()
    # Deleting the contacts above wrote new history rows ("-" records) about them: gone too.
    erased_history += history_model.objects.filter(history_q).delete()[0]

    reports = 0
    version_model = apps.get_model("studies", "ReportVersion")
    needles = [i for i in identifiers if len(i) >= 3]
    for version in version_model.objects.only("pk", "snapshot").iterator():
        scrubbed = _scrub(version.snapshot, needles)
        if scrubbed != version.snapshot:
            version_model.objects.filter(pk=version.pk).update(snapshot=scrubbed)
            reports += 1
    logger.info(
        "Personal data erased by user %s: %d contacts, %d history rows, %d report versions",
        by.pk,
        erased_contacts,
        erased_history,
        reports,
    )
    return {"contacts": erased_contacts, "history": erased_history, "report_versions": reports}


def user_may_erase_personal_data(user) -> bool:
    return has_role(user, Role.STAFF) and user.has_perm("core.erase_personal_data")
