"""Visibility vocabulary shared by every app that has private records.

Each model that can be hidden exposes `QuerySet.visible_to(user)`; those
methods build on the helpers here so that the rule reads the same everywhere.
"""

from __future__ import annotations

from .roles import Role, role_of


def viewer_organisation_id(user) -> int | None:
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "organisation_id", None)


__all__ = ["Role", "role_of", "viewer_organisation_id"]
