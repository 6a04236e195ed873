"""Accounts: the user model and its personal API tokens.

The tables were created by the `core` app before accounts existed; migration
accounts 0003 renames them (see README, "Upgrading to the accounts app").
"""

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A portal account. Its role comes from its groups (see accounts.roles)."""

    organisation = models.ForeignKey(
        "experiences.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    reference_territory = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("ma collectivité"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Territoire de référence pour les expériences comparables."),
    )

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["username"]
        permissions = [
            ("invite_user", _("Peut inviter des utilisateurs et changer leur rôle")),
            ("erase_personal_data", _("Peut effacer les données personnelles d'un contact")),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A personal API key for scripts. Only its SHA-256 digest is stored: the key is
    shown once, when created, and a leaked database does not leak usable keys."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("utilisateur"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("nom"), max_length=100, help_text=_("À quoi sert ce jeton (script, outil…)."))
    prefix = models.CharField(_("début de la clé"), max_length=12)
    key_digest = models.CharField(_("empreinte"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="api_token_unique_name_per_user")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest(key: str) -> str:
        # Keys carry 256 bits of randomness: a plain SHA-256 is enough (no need for a slow KDF).
        return hashlib.sha256(key.encode()).hexdigest()
