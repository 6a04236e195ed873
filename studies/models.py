"""Benchmarking studies done for a client, and their PDF reports."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.fields import RichTextField
from core.models import TimeStampedModel
from core.storage import private_storage

from .querysets import ReportJobQuerySet, ReportVersionQuerySet, StudyQuerySet


class Study(TimeStampedModel):
    """An étude de benchmarking: a client's question answered with experiences."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("En préparation")
        IN_PROGRESS = "in_progress", _("En cours")
        DELIVERED = "delivered", _("Livrée")
        ARCHIVED = "archived", _("Archivée")

    title = models.CharField(_("titre"), max_length=255)
    slug = models.SlugField(_("slug"), max_length=280, unique=True)
    client_organisation = models.ForeignKey(
        "experiences.Organisation", verbose_name=_("client"), on_delete=models.PROTECT, related_name="studies"
    )
    client_territory = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("territoire du client"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="studies",
    )
    question = RichTextField(_("problématique"))
    scope = RichTextField(_("périmètre"), blank=True)
    method = RichTextField(_("méthode"), blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chef·fe de projet"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_studies",
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("équipe"), blank=True, related_name="studies"
    )
    deadline = models.DateField(_("échéance"), null=True, blank=True)
    status = models.CharField(_("statut"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    conclusions = RichTextField(_("conclusions"), blank=True)
    recommendations = RichTextField(_("recommandations"), blank=True)
    include_contacts = models.BooleanField(
        _("inclure les contacts dans le rapport"),
        default=False,
        help_text=_("Données personnelles : à n'activer qu'avec l'accord des personnes."),
    )
    experiences = models.ManyToManyField(
        "experiences.Experience", through="StudyExperience", verbose_name=_("expériences retenues"), blank=True
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = StudyQuerySet.as_manager()

    class Meta:
        verbose_name = _("étude")
        verbose_name_plural = _("études")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("studies:detail", kwargs={"slug": self.slug})


class StudyExperience(models.Model):
    """An experience retained in a study, with the analyst's note."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="items")
    experience = models.ForeignKey("experiences.Experience", on_delete=models.PROTECT, related_name="study_items")
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    analysis_note = RichTextField(_("note d'analyse"), blank=True)
    transferability = RichTextField(
        _("ce qui est transposable"), blank=True, help_text=_("Ce que le client peut reprendre de cette expérience.")
    )
    client_vigilance = RichTextField(
        _("points de vigilance pour le client"),
        blank=True,
        help_text=_("Ce à quoi le client devra veiller s'il s'en inspire."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("expérience retenue")
        verbose_name_plural = _("expériences retenues")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["study", "experience"], name="study_experience_unique")]

    def __str__(self) -> str:
        return f"{self.study} · {self.experience}"


class Criterion(models.Model):
    """A comparison criterion of a study (budget, duration, governance…)."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("critère"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("critère de comparaison")
        verbose_name_plural = _("critères de comparaison")
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["study", "name"], name="criterion_unique_name_per_study")]

    def __str__(self) -> str:
        return self.name


class CriterionValue(models.Model):
    """The value of one criterion for one retained experience."""

    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="values")
    item = models.ForeignKey(StudyExperience, on_delete=models.CASCADE, related_name="criterion_values")
    value = models.TextField(_("valeur"), blank=True)

    class Meta:
        verbose_name = _("valeur de critère")
        verbose_name_plural = _("valeurs de critère")
        constraints = [models.UniqueConstraint(fields=["criterion", "item"], name="criterion_value_unique")]

    def __str__(self) -> str:
        return self.value[:60]


class ReportJob(TimeStampedModel):
    """One request to render a study's PDF report; its state lives here, not only in Celery."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("En file d'attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="report_jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("demandé par")
    )
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("sections rendues"), default=0)
    total = models.PositiveSmallIntegerField(_("sections"), default=0)
    message = models.CharField(_("étape"), max_length=200, blank=True)
    error = models.TextField(_("erreur"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    task_id = models.CharField(_("tâche Celery"), max_length=64, blank=True)
    # The worker rendering the job ("node name#instance", see studies.worker) and when it last
    # said so: a worker that starts takes back the jobs of a holder that is gone.
    holder = models.CharField(_("worker"), max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(_("dernier signe de vie"), null=True, blank=True)
    started_at = models.DateTimeField(_("démarré le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    language = models.CharField(
        _("langue du rapport"), max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    objects = ReportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("génération de rapport")
        verbose_name_plural = _("générations de rapport")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=models.F("total")) | Q(total=0), name="report_job_progress_bounded"
            )
        ]

    def __str__(self) -> str:
        return f"{self.study} · {self.get_status_display()}"


def report_path(instance, filename: str) -> str:
    return f"reports/{instance.study_id}/{filename}"


class ReportVersion(models.Model):
    """An immutable generated report (v1, v2, …) and the data it was made from.

    `experience_ids` is the exact set of fiches the PDF contains: whoever downloads
    the version must be able to read every one of them (ReportVersionQuerySet.visible_to).
    A withdrawn version keeps its record (number, checksum, snapshot) but not its file."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="versions")
    job = models.OneToOneField(ReportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="version")
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("fichier"), upload_to=report_path, storage=private_storage)
    checksum = models.CharField(_("empreinte SHA-256"), max_length=64)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    size = models.PositiveIntegerField(_("taille (octets)"), default=0)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("généré par")
    )
    generated_at = models.DateTimeField(_("généré le"), auto_now_add=True)
    snapshot = models.JSONField(_("données figées"), default=dict)
    language = models.CharField(
        _("langue du rapport"), max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # Ids, not a many-to-many: a fiche deleted later must keep the version unreadable
    # to those who could not read it (a join row would vanish with the fiche).
    experience_ids = ArrayField(
        models.BigIntegerField(), verbose_name=_("fiches contenues"), default=list, blank=True, editable=False
    )
    withdrawn_at = models.DateTimeField(_("retirée le"), null=True, blank=True, editable=False)
    withdrawn_reason = models.CharField(_("motif du retrait"), max_length=300, blank=True, editable=False)

    objects = ReportVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("version de rapport")
        verbose_name_plural = _("versions de rapport")
        ordering = ["study", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["study", "number"], name="report_version_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="report_version_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.study} v{self.number}"


def branding_logo_path(instance, filename: str) -> str:  # noqa: ARG001 - upload_to signature
    return f"branding/{filename}"


class ReportBranding(models.Model):
    """The consultancy's branding on PDF reports, editable in the admin.

    One row at most; when there is none, the REPORT_BRAND_* settings apply.
    """

    key = models.CharField(max_length=16, default="default", unique=True, editable=False)
    name = models.CharField(_("nom du cabinet"), max_length=120)
    tagline = models.CharField(_("signature"), max_length=200, blank=True)
    logo = models.FileField(
        _("logo"), upload_to=branding_logo_path, blank=True, help_text=_("SVG ou PNG, affiché en couverture.")
    )
    primary_color = models.CharField(_("couleur principale"), max_length=7, default="#1d3557")
    accent_color = models.CharField(_("couleur d'accent"), max_length=7, default="#e63946")
    footer_note = models.CharField(_("mention de pied de page"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("identité des rapports")
        verbose_name_plural = _("identité des rapports")
        constraints = [
            models.CheckConstraint(condition=Q(primary_color__regex=r"^#[0-9a-fA-F]{6}$"), name="branding_primary_hex"),
            models.CheckConstraint(condition=Q(accent_color__regex=r"^#[0-9a-fA-F]{6}$"), name="branding_accent_hex"),
        ]

    def __str__(self) -> str:
        return self.name
