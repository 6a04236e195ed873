"""Who may do what in the editorial workflow. Services enforce these rules;
views and templates use them only to show or hide buttons.

- Consultants and staff create fiches; they edit any fiche they may read
  (`visible_to`), so a confidential fiche stays with its author and client.
- Publishing, archiving and sending back to draft a fiche in review belong to
  staff and to designated reviewers (a consultant holding the model permission
  `experiences.publish_experience`).
- Restoring an old version and promoting a tag to the thesaurus are staff only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, has_role, role_of

from .models import Experience

PUBLISH_PERMISSION = "experiences.publish_experience"
S = Experience.Status


def can_create(user) -> bool:
    return has_role(user, Role.CONSULTANT)


def can_edit(user, experience: Experience) -> bool:
    if not has_role(user, Role.CONSULTANT):
        return False
    return Experience.objects.visible_to(user).filter(pk=experience.pk).exists()


def can_publish(user) -> bool:
    """Staff, or a consultant designated as reviewer (per-user permission)."""
    if role_of(user) == Role.STAFF:
        return True
    return has_role(user, Role.CONSULTANT) and user.has_perm(PUBLISH_PERMISSION)


def can_restore(user) -> bool:
    return role_of(user) == Role.STAFF


def can_view_history(user) -> bool:
    return has_role(user, Role.CONSULTANT)


def can_manage_tags(user) -> bool:
    return has_role(user, Role.CONSULTANT)


def can_promote_tags(user) -> bool:
    return role_of(user) == Role.STAFF


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    label: Promise
    needs_publisher: bool
    reason: str  # stored as the history change reason


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("submit", (S.DRAFT,), S.REVIEW, _("Soumettre à relecture"), False, "Soumise à relecture"),
        Transition("withdraw", (S.REVIEW,), S.DRAFT, _("Repasser en brouillon"), False, "Repassée en brouillon"),
        Transition("publish", (S.REVIEW, S.ARCHIVED), S.PUBLISHED, _("Publier"), True, "Publiée"),
        Transition("archive", (S.PUBLISHED,), S.ARCHIVED, _("Archiver"), True, "Archivée"),
    )
}


def can_transition(user, experience: Experience, action: str) -> bool:
    transition = TRANSITIONS.get(action)
    if transition is None or experience.status not in transition.sources:
        return False
    if not can_edit(user, experience):
        return False
    return can_publish(user) if transition.needs_publisher else True


def allowed_transitions(user, experience: Experience) -> list[Transition]:
    if not can_edit(user, experience):
        return []
    publisher = can_publish(user)
    return [t for t in TRANSITIONS.values() if experience.status in t.sources and (publisher or not t.needs_publisher)]
