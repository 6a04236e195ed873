"""Roles are Django groups; this module is the one place that names them.

anonymous visitor < collectivité member < consultant < staff.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    VISITOR = "visitor"
    MEMBER = "member"
    CONSULTANT = "consultant"
    STAFF = "staff"


ROLE_GROUPS = {Role.MEMBER: "Membres", Role.CONSULTANT: "Consultants", Role.STAFF: "Équipe"}
ROLE_LABELS = {
    Role.VISITOR: _("Visiteur"),
    Role.MEMBER: _("Membre collectivité"),
    Role.CONSULTANT: _("Consultant·e"),
    Role.STAFF: _("Équipe"),
}
_RANK = {Role.VISITOR: 0, Role.MEMBER: 1, Role.CONSULTANT: 2, Role.STAFF: 3}


def role_of(user) -> Role:
    """The highest role a user holds (cached on the user object per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Role.VISITOR
    cached = getattr(user, "_periscope_role", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        role = Role.STAFF
    else:
        # A registered account in no group reads what an anonymous visitor reads.
        names = set(user.groups.values_list("name", flat=True))
        role = Role.VISITOR
        for candidate in (Role.STAFF, Role.CONSULTANT, Role.MEMBER):
            if ROLE_GROUPS[candidate] in names:
                role = candidate
                break
    user._periscope_role = role
    return role


def has_role(user, minimum: Role) -> bool:
    return _RANK[role_of(user)] >= _RANK[minimum]
