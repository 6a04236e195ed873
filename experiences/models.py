"""Experiences (fiches), their thesaurus, tags and organisations."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

from .querysets import ExperienceQuerySet, OrganisationQuerySet, TagQuerySet, ThemeQuerySet


class Organisation(TimeStampedModel):
    """A collectivité, consultancy, association, university, funder…"""

    class Kind(models.TextChoices):
        COLLECTIVITE = "collectivite", _("Collectivité")
        CONSULTANCY = "consultancy", _("Cabinet de conseil")
        ASSOCIATION = "association", _("Association")
        UNIVERSITY = "university", _("Université / recherche")
        PUBLIC_FUNDER = "public_funder", _("Financeur public")
        COMPANY = "company", _("Entreprise")
        OTHER = "other", _("Autre")

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    country = models.CharField(_("pays"), max_length=2, default="FR")
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("territoire"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organisations",
    )
    website = models.URLField(_("site web"), blank=True)
    description = models.TextField(_("description"), blank=True)
    history = HistoricalRecords()

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        indexes = [GinIndex(fields=["name"], name="organisation_name_trgm", opclasses=["gin_trgm_ops"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("experiences:organisation", kwargs={"slug": self.slug})


class Theme(models.Model):
    """A node of the controlled, hierarchical thesaurus, with synonyms."""

    name = models.CharField(_("nom"), max_length=120)
    name_en = models.CharField(_("nom (anglais)"), max_length=120, blank=True)
    slug = models.SlugField(_("slug"), max_length=140, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("thème parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    synonyms = ArrayField(models.CharField(max_length=120), verbose_name=_("synonymes"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = ThemeQuerySet.as_manager()

    class Meta:
        verbose_name = _("thème")
        verbose_name_plural = _("thèmes")
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="theme_not_own_parent"),
            models.UniqueConstraint(fields=["parent", "name"], name="theme_unique_name_per_parent"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if get_language() == "en" and self.name_en:
            return self.name_en
        return self.name


class Tag(models.Model):
    """A free keyword added by consultants; may be merged or promoted to a theme."""

    name = models.CharField(_("nom"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        verbose_name = _("mot-clé")
        verbose_name_plural = _("mots-clés")
        ordering = ["name"]
        indexes = [GinIndex(fields=["name"], name="tag_name_trgm", opclasses=["gin_trgm_ops"])]

    def __str__(self) -> str:
        return self.name


class Experience(TimeStampedModel):
    """A fiche expérience: what a territory did, and what others can learn from it."""

    class ProjectStatus(models.TextChoices):
        PLANNED = "planned", _("En projet")
        ONGOING = "ongoing", _("En cours")
        COMPLETED = "completed", _("Terminé")
        ABANDONED = "abandoned", _("Abandonné")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        REVIEW = "review", _("En relecture")
        PUBLISHED = "published", _("Publiée")
        ARCHIVED = "archived", _("Archivée")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Publique")
        MEMBERS = "members", _("Membres")
        CONFIDENTIAL = "confidential", _("Confidentielle (client)")

    title = models.CharField(_("titre"), max_length=255)
    title_en = models.CharField(_("titre (anglais)"), max_length=255, blank=True)
    slug = models.SlugField(_("slug"), max_length=280, unique=True)
    summary = models.TextField(_("résumé"))
    summary_en = models.TextField(_("résumé (anglais)"), blank=True)
    context = models.TextField(_("contexte"), blank=True)
    actions = models.TextField(_("actions menées"), blank=True)
    results = models.TextField(_("résultats"), blank=True)
    vigilance_points = models.TextField(_("points de vigilance"), blank=True)
    period_start = models.DateField(_("début"), null=True, blank=True)
    period_end = models.DateField(_("fin"), null=True, blank=True)
    project_status = models.CharField(
        _("état du projet"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.ONGOING
    )
    budget_amount = models.DecimalField(_("budget"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    lead_territory = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("territoire porteur"),
        on_delete=models.PROTECT,
        related_name="led_experiences",
    )
    territories = models.ManyToManyField(
        "territories.Territory", verbose_name=_("autres territoires"), blank=True, related_name="experiences"
    )
    organisations = models.ManyToManyField(
        Organisation, through="ExperienceOrganisation", verbose_name=_("acteurs"), blank=True
    )
    themes = models.ManyToManyField(Theme, verbose_name=_("thèmes"), blank=True, related_name="experiences")
    tags = models.ManyToManyField(Tag, verbose_name=_("mots-clés"), blank=True, related_name="experiences")
    language = models.CharField(_("langue"), max_length=8, choices=settings.LANGUAGES, default="fr")
    status = models.CharField(_("statut éditorial"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    visibility = models.CharField(
        _("visibilité"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    client_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("client (si confidentielle)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="confidential_experiences",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="authored_experiences",
    )
    published_at = models.DateTimeField(_("publiée le"), null=True, blank=True)
    external_ref = models.CharField(
        _("référence externe"), max_length=100, null=True, blank=True, unique=True,
        help_text=_("Identifiant stable utilisé par les imports."),
    )
    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[themes, tags])

    objects = ExperienceQuerySet.as_manager()

    class Meta:
        verbose_name = _("expérience")
        verbose_name_plural = _("expériences")
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__isnull=True) | Q(period_start__isnull=True) | Q(period_end__gte=F("period_start")),
                name="experience_period_order",
            ),
            models.CheckConstraint(
                condition=Q(budget_amount__isnull=True) | Q(budget_amount__gte=0), name="experience_budget_positive"
            ),
            models.CheckConstraint(
                condition=~Q(visibility="confidential") | Q(client_organisation__isnull=False),
                name="experience_confidential_has_client",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "review"]) | Q(published_at__isnull=False),
                name="experience_published_has_date",
            ),
        ]
        indexes = [models.Index(fields=["status", "visibility"], name="experience_status_visibility")]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        if get_language() == "en" and self.title_en:
            return self.title_en
        return self.title

    @property
    def display_summary(self) -> str:
        if get_language() == "en" and self.summary_en:
            return self.summary_en
        return self.summary

    def get_absolute_url(self) -> str:
        return reverse("experiences:detail", kwargs={"slug": self.slug})


class ExperienceOrganisation(models.Model):
    """An organisation's role in an experience."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Porteur")
        PARTNER = "partner", _("Partenaire")
        FUNDER = "funder", _("Financeur")
        PROVIDER = "provider", _("Prestataire / AMO")
        OTHER = "other", _("Autre")

    experience = models.ForeignKey(Experience, on_delete=models.CASCADE, related_name="actor_links")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="experience_links")
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices, default=Role.PARTNER)

    class Meta:
        verbose_name = _("acteur")
        verbose_name_plural = _("acteurs")
        constraints = [
            models.UniqueConstraint(fields=["experience", "organisation", "role"], name="experience_actor_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display()})"


class FundingLine(models.Model):
    """One source of funding of an experience."""

    experience = models.ForeignKey(Experience, on_delete=models.CASCADE, related_name="funding_lines")
    funder = models.ForeignKey(
        Organisation, verbose_name=_("financeur"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField(_("dispositif"), max_length=200, blank=True)
    amount = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)
    year = models.PositiveSmallIntegerField(_("année"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ligne de financement")
        verbose_name_plural = _("lignes de financement")
        ordering = ["year", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="funding_line_amount_positive")]

    def __str__(self) -> str:
        return f"{self.label or self.funder}: {self.amount}"


class Contact(models.Model):
    """A person to contact about an experience. Personal data: members only."""

    experience = models.ForeignKey(Experience, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("nom"), max_length=200)
    role = models.CharField(_("fonction"), max_length=200, blank=True)
    email = models.EmailField(_("courriel"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Source(models.Model):
    """A document or page the fiche was written from."""

    experience = models.ForeignKey(Experience, on_delete=models.CASCADE, related_name="sources")
    title = models.CharField(_("titre"), max_length=300)
    url = models.URLField(_("adresse"), max_length=500, blank=True)
    publisher = models.CharField(_("éditeur"), max_length=200, blank=True)
    published_on = models.DateField(_("date"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


def attachment_path(instance, filename: str) -> str:
    return f"attachments/{instance.experience_id}/{filename}"


class Attachment(TimeStampedModel):
    """A file attached to an experience (PDF, image, office document)."""

    experience = models.ForeignKey(Experience, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(_("titre"), max_length=200)
    file = models.FileField(_("fichier"), upload_to=attachment_path)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("taille (octets)"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="attachment_size_positive")]

    def __str__(self) -> str:
        return self.title
