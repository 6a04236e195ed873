"""Visibility vocabulary shared by every app that has private records.

Each model that can be hidden exposes `QuerySet.visible_to(user)`; those
methods build on the helpers here so that the rule reads the same everywhere.
Personal data (the names, e-mails and phone numbers of contacts) has its own
one-line rule, `can_see_personal_data`, used by every path that could show it:
pages, API serializers, exports, PDF reports.
"""

from __future__ import annotations

from .roles import Role, has_role, role_of


def viewer_organisation_id(user) -> int | None:
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "organisation_id", None)


def can_see_personal_data(user) -> bool:
    """Contacts are shown to signed-in members (and above), never to visitors.

    A registered account in no group reads what an anonymous visitor reads, so it
    does not see contacts either. PDF reports add a second condition of their own
    (the study's `include_contacts`, chosen by staff).
    """
    return has_role(user, Role.MEMBER)


__all__ = ["Role", "can_see_personal_data", "role_of", "viewer_organisation_id"]
