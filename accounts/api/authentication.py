"""API authentication: personal tokens (hashed at rest) for scripts, the session for
the browsable API. Clients send `Authorization: Token <key>`."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from ..models import ApiToken

# Writing last_used_at on every call would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class ApiTokenAuthentication(TokenAuthentication):
    keyword = "Token"
    model = ApiToken

    def authenticate_credentials(self, key):
        token = (
            ApiToken.objects.select_related("user", "user__organisation")
            .filter(key_digest=ApiToken.digest(key))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Jeton invalide."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Compte désactivé."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": str(
                _(
                    "Jeton personnel, créé et révoqué dans « Mon compte » : "
                    "envoyer l'en-tête `Authorization: Token <clé>`."
                )
            ),
        }
