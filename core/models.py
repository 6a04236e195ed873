"""Shared kernel models: the user account and a timestamp base."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        abstract = True


class User(AbstractUser):
    """A portal account. Its role comes from its groups (see core.roles)."""

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

    def __str__(self) -> str:
        return self.get_full_name() or self.username
