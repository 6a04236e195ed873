from django.conf import settings

from .roles import Role, role_of


def portal(request):
    role = role_of(getattr(request, "user", None))
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "user_role": role.value,
        "is_consultant": role in (Role.CONSULTANT, Role.STAFF),
        "is_staff_role": role == Role.STAFF,
        # Same rule as accounts.visibility.can_see_personal_data, without a second role lookup.
        "can_see_personal_data": role != Role.VISITOR,
    }
