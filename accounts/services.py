"""Every write about accounts, API tokens and personal data.

Keyword-only, typed, atomic. Views, the admin and management commands call these.
What other apps keep about people (fiche contacts, report snapshots, authored fiches)
is reached through `accounts.personal_data`, so accounts imports no portal app.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import personal_data
from .models import ApiToken
from .roles import ROLE_GROUPS, Role, has_role, role_of

logger = logging.getLogger(__name__)

User = get_user_model()
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
    if not by.has_perm("accounts.invite_user"):
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
    return base_url.rstrip("/") + reverse("accounts:invitation_accept", kwargs={"uidb64": uid, "token": token})


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
    if not by.has_perm("accounts.invite_user"):
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
    """Delete an account and what is only about it (tokens, sign-in failures, sessions).

    Fiches, studies and history rows it wrote stay, with their author set to empty
    (the foreign keys are SET_NULL): they belong to the organisation, not to the person.
    """
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.sessions.models import Session

    pk = str(user.pk)
    # django-axes records sign-ins under the account's username (accounts.backends.axes_username).
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=user.username).delete()
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == pk:
            session.delete()
    user.delete()
    logger.info("Account %s deleted at its owner's request", pk)


def user_export_data(*, user) -> dict[str, Any]:
    """Everything Périscope keeps about a person's account (RGPD right of access)."""
    data: dict[str, Any] = {
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
    }
    for holder in personal_data.holders():
        if holder.export is not None:
            data.update(holder.export(user))
    return data


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


def contact_matches(*, email: str = "", name: str = "") -> list:
    """Records about a person, matching an e-mail address (any case) or an exact name."""
    email, name = email.strip(), name.strip()
    if not email and not name:
        return []
    found: list = []
    for holder in personal_data.holders():
        if holder.find is not None:
            found.extend(holder.find(email=email, name=name))
    return found


@transaction.atomic
def contact_erase(*, by, email: str = "", name: str = "") -> dict[str, int]:
    """Erase a person everywhere Périscope keeps them (RGPD): every holder of
    `accounts.personal_data` erases what it has about the person's identifiers.

    The experiences app deletes the contacts and every historical version of them;
    the studies app replaces the person's details in the data frozen with each report
    version and withdraws the PDF files that showed them (a PDF cannot be edited: the
    file is deleted, the version row stays with the reason, staff generate a new one).
    """
    if not by.has_perm("accounts.erase_personal_data"):
        raise PermissionDenied
    identifiers = {email.strip().lower(), name.strip().lower()}
    for holder in personal_data.holders():
        if holder.identifiers is not None:
            identifiers |= {i.lower() for i in holder.identifiers(email=email.strip(), name=name.strip())}
    identifiers.discard("")
    if not identifiers:
        raise ValidationError(_("Indiquez une adresse ou un nom."))
    result = {"contacts": 0, "history": 0, "report_versions": 0}
    for holder in personal_data.holders():
        if holder.erase is not None:
            for key, count in holder.erase(
                email=email.strip(), name=name.strip(), identifiers=identifiers, by=by
            ).items():
                result[key] = result.get(key, 0) + count
    logger.info("Personal data erased by user %s: %s", by.pk, result)
    return result


def user_may_erase_personal_data(user) -> bool:
    return has_role(user, Role.STAFF) and user.has_perm("accounts.erase_personal_data")
