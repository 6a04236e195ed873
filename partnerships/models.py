"""Partnerships: conventions, cooperations, twinnings, networks, programmes."""

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

from .querysets import ChildQuerySet, PartnershipQuerySet


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

    title = models.CharField(_("intitulé"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=280, unique=True)
    kind = models.CharField(_("type"), max_length=32, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True)
    visibility = models.CharField(_("visibilité"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    notes = models.TextField(_("notes"), blank=True)
    territories = models.ManyToManyField(
        "territories.Territory", verbose_name=_("territoires"), blank=True, related_name="partnerships"
    )
    organisations = models.ManyToManyField(
        "experiences.Organisation", through="PartnershipParty", verbose_name=_("parties"), blank=True
    )
    studies = models.ManyToManyField("studies.Study", verbose_name=_("études liées"), blank=True, related_name="partnerships")
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
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")), name="partnership_period_order"
            ),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="partnership_currency_iso"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("partnerships:detail", kwargs={"slug": self.slug})

    @property
    def phase(self) -> str:
        today = timezone.localdate()
        if self.start_date > today:
            return "upcoming"
        if self.end_date and self.end_date < today:
            return "ended"
        return "active"


class PartnershipParty(models.Model):
    """An organisation taking part in a partnership, with its role."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Chef de file")
        PARTNER = "partner", _("Partenaire")
        FUNDER = "funder", _("Financeur")
        BENEFICIARY = "beneficiary", _("Bénéficiaire")

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="parties")
    organisation = models.ForeignKey("experiences.Organisation", on_delete=models.PROTECT, related_name="partnership_parties")
    role = models.CharField(_("rôle"), max_length=16, choices=Role.choices, default=Role.PARTNER)

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
    funder = models.ForeignKey("experiences.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("financeur"))
    year = models.PositiveSmallIntegerField(_("année"))
    amount = models.DecimalField(_("montant"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    received = models.BooleanField(_("perçu"), default=False)
    history = HistoricalRecords()

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("financement")
        verbose_name_plural = _("financements")
        ordering = ["year", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="partnership_funding_amount_positive"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="partnership_funding_currency_iso"),
            models.CheckConstraint(condition=Q(year__gte=1950, year__lte=2100), name="partnership_funding_year_range"),
        ]

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
    file = models.FileField(_("fichier"), upload_to=deliverable_path, blank=True)
    reminder_sent_on = models.DateField(_("relance envoyée le"), null=True, blank=True)
    history = HistoricalRecords()

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("livrable")
        verbose_name_plural = _("livrables")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_on__isnull=False), name="deliverable_delivered_has_date"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    """A dated event in a partnership's timeline."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="milestones")
    date = models.DateField(_("date"))
    title = models.CharField(_("intitulé"), max_length=255)

    objects = ChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("jalon")
        verbose_name_plural = _("jalons")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return self.title
