"""The one authentication backend: username or e-mail, with the sign-in lockout."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from . import lockout


class PortalAuthBackend(ModelBackend):
    """ModelBackend that accepts a username or an e-mail address and refuses every
    attempt for a locked (username, IP) pair without looking at the password.

    Without a request (a management command, `Client.login()` in a test) there is no
    address to key the lockout on, so the plain check runs.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        if request is None:
            return self._check(username, password)
        ip = lockout.client_ip(request)
        if lockout.is_locked(username=username, ip=ip):
            request.login_locked_out = True
            return None
        user = self._check(username, password)
        if user is None:
            state = lockout.record_failure(username=username, ip=ip)
            if state.locked_until is not None:
                request.login_locked_out = True
        else:
            lockout.record_success(username=username, ip=ip)
        return user

    def _check(self, username: str, password: str):
        user_model = get_user_model()
        user = user_model._default_manager.filter(username=username).first()
        if user is None and "@" in username:
            # E-mail sign-in only when the address names exactly one account.
            matches = list(user_model._default_manager.filter(email__iexact=username)[:2])
            user = matches[0] if len(matches) == 1 else None
        if user is None:
            # Run the hasher once anyway so that timing does not tell which accounts exist.
            user_model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
