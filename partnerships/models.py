"""Partnerships: conventions, cooperations, twinnings, networks, programmes."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.fields import RichTextField
from core.models import TimeStampedModel
from core.storage import private_storage

from .querysets import ChildQuerySet, PartnershipQuerySet

currency_validator = RegexValidator(
    r"^[A-Z]{3}$", _("Code de devise ISO 4217 attendu : trois lettres capitales (EUR, XOF…)."), code="currency"
)


class Partnership(TimeStampedModel):
    """A lasting relationship between organisations or territories."""

    class Kind(models.TextChoices):
        RESEARCH_PRINCIPAL = "research_principal", _("Partenariat de recherche principal")
        RESEARCH_SPECIFIC = "research_specific", _("Partenariat de recherche spécifique")
        DECENTRALISED_COOPERATION = "decentralised_cooperation", _("Coopération décentralisée")
        TWINNING = "twinning", _("Jumelage")
        NETWORK = "network", _("Réseau")
        EUROPEAN_PROGRAMME = "european_programme", _("Programme européen")
        CONSULTANCY_MISSION = "consultancy_mission", _("Mission de conseil")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        MEMBERS = "members", _("Membres")
        CONFIDENTIAL = "confidential", _("Confidentiel (parties)")

    class Phase(models.TextChoices):
        """Computed from the period and today's date, never stored."""

        UPCOMING = "upcoming", _("À venir")
        ACTIVE = "active", _("En cours")
        ENDED = "ended", _("Terminé")

    title = models.CharField(_("intitulé"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=280, unique=True)
    kind = models.CharField(_("type"), max_length=32, choices=Kind.choices)
    description = RichTextField(_("description"), blank=True)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True)
    visibility = models.CharField(_("visibilité"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    currency = models.CharField(_("devise"), max_length=3, default="EUR", validators=[currency_validator])
    notes = RichTextField(_("notes internes"), blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("suivi par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_partnerships",
        help_text=_("Reçoit les relances des livrables ; à défaut, toute l'équipe."),
    )
    territories = models.ManyToManyField(
        "territories.Territory", verbose_name=_("territoires"), blank=True, related_name="partnerships"
    )
    organisations = models.ManyToManyField(
        "experiences.Organisation", through="PartnershipParty", verbose_name=_("parties"), blank=True
    )
    studies = models.ManyToManyField(
        "studies.Study", verbose_name=_("études liées"), blank=True, related_name="partnerships"
    )
    experiences = models.ManyToManyField(
        "experiences.Experience", verbose_name=_("expériences liées"), blank=True, related_name="partnerships"
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = PartnershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("partenariat")
        verbose_name_plural = _("partenariats")
        ordering = ["-start_date", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="partnership_period_order",
                violation_error_message=_("La fin du partenariat ne peut précéder son début."),
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"),
                name="partnership_currency_iso",
                violation_error_message=_("Code de devise ISO 4217 attendu : trois lettres capitales (EUR, XOF…)."),
            ),
        ]
        indexes = [models.Index(fields=["kind", "start_date"], name="partnership_kind_start")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("partnerships:detail", kwargs={"slug": self.slug})

    @property
    def phase(self) -> str:
        today = timezone.localdate()
        if self.start_date > today:
            return self.Phase.UPCOMING
        if self.end_date and self.end_date < today:
            return self.Phase.ENDED
        return self.Phase.ACTIVE

    def get_phase_display(self) -> str:
        return str(self.Phase(self.phase).label)


class PartnershipParty(models.Model):
    """An organisation taking part in a partnership, with its role."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Chef de file")
        PARTNER = "partner", _("Partenaire")
        FUNDER = "funder", _("Financeur")
        BENEFICIARY = "beneficiary", _("Bénéficiaire")

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="parties")
    organisation = models.ForeignKey(
        "experiences.Organisation", on_delete=models.PROTECT, related_name="partnership_parties"
    )
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices, default=Role.PARTNER)
    history = HistoricalRecords()

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("partie")
        verbose_name_plural = _("parties")
        constraints = [
            models.UniqueConstraint(fields=["partnership", "organisation", "role"], name="partnership_party_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display()})"


class PartnershipFunding(models.Model):
    """Funding expected or received for a partnership, per year and funder."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="funding_lines")
    funder = models.ForeignKey(
        "experiences.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("financeur")
    )
    year = models.PositiveSmallIntegerField(_("année"), validators=[MinValueValidator(1950), MaxValueValidator(2100)])
    amount = models.DecimalField(_("montant"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(_("devise"), max_length=3, default="EUR", validators=[currency_validator])
    received = models.BooleanField(_("perçu"), default=False)
    history = HistoricalRecords()

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("financement")
        verbose_name_plural = _("financements")
        ordering = ["year", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="partnership_funding_amount_positive",
                violation_error_message=_("Un montant ne peut être négatif."),
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"),
                name="partnership_funding_currency_iso",
                violation_error_message=_("Code de devise ISO 4217 attendu : trois lettres capitales (EUR, XOF…)."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1950, year__lte=2100),
                name="partnership_funding_year_range",
                violation_error_message=_("Année attendue entre 1950 et 2100."),
            ),
        ]
        indexes = [models.Index(fields=["year"], name="partnership_funding_year")]

    def __str__(self) -> str:
        return f"{self.funder} {self.year}: {self.amount}"


def deliverable_path(instance, filename: str) -> str:
    return f"deliverables/{instance.partnership_id}/{filename}"


class Deliverable(models.Model):
    """Something a partnership must deliver by a date."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Prévu")
        IN_PROGRESS = "in_progress", _("En cours")
        DELIVERED = "delivered", _("Livré")
        LATE = "late", _("En retard")
        CANCELLED = "cancelled", _("Annulé")

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="deliverables")
    title = models.CharField(_("intitulé"), max_length=255)
    due_date = models.DateField(_("échéance"))
    status = models.CharField(_("état"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    delivered_on = models.DateField(_("livré le"), null=True, blank=True)
    file = models.FileField(_("fichier"), upload_to=deliverable_path, storage=private_storage, blank=True)
    # One e-mail before the due date and one once it has passed: each date is
    # claimed under a row lock by the reminder service, so each is sent once.
    reminder_sent_on = models.DateField(_("relance envoyée le"), null=True, blank=True)
    overdue_reminder_sent_on = models.DateField(_("relance de retard envoyée le"), null=True, blank=True)
    history = HistoricalRecords()

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("livrable")
        verbose_name_plural = _("livrables")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_on__isnull=False),
                name="deliverable_delivered_has_date",
                violation_error_message=_("Un livrable livré doit avoir une date de livraison."),
            )
        ]
        # Dashboard and reminders only ever scan open deliverables by due date.
        indexes = [
            models.Index(
                fields=["due_date"], condition=~Q(status__in=["delivered", "cancelled"]), name="deliverable_open_due"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.DELIVERED, self.Status.CANCELLED)

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_date < timezone.localdate()


class Milestone(models.Model):
    """A dated event in a partnership's timeline."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="milestones")
    date = models.DateField(_("date"))
    title = models.CharField(_("intitulé"), max_length=255)
    history = HistoricalRecords()

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("jalon")
        verbose_name_plural = _("jalons")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return self.title


def document_path(instance, filename: str) -> str:
    return f"partnership-documents/{instance.partnership_id}/{filename}"


class PartnershipDocument(TimeStampedModel):
    """A convention, an annex, minutes…: an uploaded file or a link."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("intitulé"), max_length=255)
    file = models.FileField(_("fichier"), upload_to=document_path, storage=private_storage, blank=True)
    url = models.URLField(_("lien"), max_length=500, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(file="") | ~Q(url=""),
                name="partnership_document_file_or_url",
                violation_error_message=_("Joignez un fichier ou indiquez un lien."),
            )
        ]

    def __str__(self) -> str:
        return self.title
