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


# What each group may do, as Django permissions ("app_label.codename" or "app_label.*"
# for every permission of an app, "app_label.add_*" for a prefix). Reading is governed
# by `visible_to(user)`; these permissions govern writing and management pages.
ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    # The experiences migration (0003_role_groups_and_permissions) grants the members' and
    # consultants' permissions on fiches; this table adds what the staff group manages.
    Role.MEMBER: (),
    Role.CONSULTANT: (),
    Role.STAFF: (
        "accounts.*",
        "territories.*",
        "experiences.*",
        "studies.*",
        "partnerships.*",
    ),
}


def ensure_role_groups(**kwargs) -> None:
    """Create the three groups and grant them ROLE_PERMISSIONS (idempotent, additive).

    Connected to `post_migrate`, so the groups and their permissions exist after every
    `migrate` and after a test database flush. It never removes a permission another
    migration granted (e.g. the publish permission of the experiences app).
    """
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    using = kwargs.get("using", "default")
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.using(using).get_or_create(name=ROLE_GROUPS[role])
        if not patterns:
            continue
        query = Q()
        for pattern in patterns:
            app_label, codename = pattern.split(".", 1)
            if codename == "*":
                query |= Q(content_type__app_label=app_label)
            elif codename.endswith("*"):
                query |= Q(content_type__app_label=app_label, codename__startswith=codename[:-1])
            else:
                query |= Q(content_type__app_label=app_label, codename=codename)
        wanted = set(Permission.objects.using(using).filter(query).values_list("pk", flat=True))
        missing = wanted - set(group.permissions.values_list("pk", flat=True))
        if missing:
            group.permissions.add(*missing)
