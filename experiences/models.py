"""Experiences (fiches), their thesaurus, tags and organisations."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import ExtractYear
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.fields import RichTextField
from core.models import TimeStampedModel
from core.storage import private_storage

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
    description = RichTextField(_("description"), blank=True)
    vetted = models.BooleanField(
        _("vérifiée par l'équipe"),
        default=False,
        help_text=_(
            "Visible de tous. Sinon, une organisation n'est visible que de ceux qui peuvent lire "
            "une fiche, un partenariat ou une étude où elle figure."
        ),
    )
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
        return self.label_for(english=get_language() == "en")

    def label_for(self, *, english: bool) -> str:
        """The label in English or French (for loops that ask for the language once)."""
        return self.name_en if english and self.name_en else self.name


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


# Search configuration created by migration experiences 0004: the `french`
# configuration with stop words removed before `unaccent`, then the stemmer.
SEARCH_CONFIG = "periscope_fr"
# (code, label, upper bound excluded); the last band has no upper bound.
POPULATION_BANDS = (
    ("lt500", _("moins de 500 hab."), 500),
    ("500-2k", _("500 à 2 000 hab."), 2_000),
    ("2k-5k", _("2 000 à 5 000 hab."), 5_000),
    ("5k-20k", _("5 000 à 20 000 hab."), 20_000),
    ("20k-100k", _("20 000 à 100 000 hab."), 100_000),
    ("100k-500k", _("100 000 à 500 000 hab."), 500_000),
    ("gt500k", _("plus de 500 000 hab."), None),
)
BUDGET_BANDS = (
    ("lt10k", _("moins de 10 k€"), 10_000),
    ("10k-50k", _("10 à 50 k€"), 50_000),
    ("50k-200k", _("50 à 200 k€"), 200_000),
    ("200k-1m", _("200 k€ à 1 M€"), 1_000_000),
    ("1m-5m", _("1 à 5 M€"), 5_000_000),
    ("gt5m", _("plus de 5 M€"), None),
)
SEARCH_FIELDS = (
    "search_keywords",
    "search_places",
    "search_theme_ids",
    "search_tag_ids",
    "search_org_kinds",
    "search_territory_kind",
    "search_country",
    "search_region_id",
    "search_department_id",
    "search_epci_id",
    "search_epci_type",
    "search_population",
    "search_density_class",
    "search_population_band",
    "search_budget_band",
    "search_year",
    "search_vector",
)


def band_expression(field: str, bands) -> Case:
    """SQL CASE giving the band code of a number ('' when unknown), for a generated column."""
    whens = [When(**{f"{field}__isnull": True}, then=Value(""))]
    whens += [When(**{f"{field}__lt": upper}, then=Value(code)) for code, _label, upper in bands if upper is not None]
    return Case(*whens, default=Value(bands[-1][0]), output_field=models.CharField(max_length=12))


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
    context = RichTextField(_("contexte"), blank=True)
    actions = RichTextField(_("actions menées"), blank=True)
    results = RichTextField(_("résultats"), blank=True)
    vigilance_points = RichTextField(_("points de vigilance"), blank=True)
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
    visibility = models.CharField(_("visibilité"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
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
        _("référence externe"),
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        help_text=_("Identifiant stable utilisé par les imports."),
    )
    completeness = models.PositiveSmallIntegerField(
        _("complétude (%)"),
        default=0,
        editable=False,
        db_index=True,
        help_text=_(
            "Part des rubriques utiles renseignées, recalculée à chaque écriture (voir experiences.completeness)."
        ),
    )
    # --- Search (see experiences/search.py) --------------------------------
    # Facet keys and the lead territory's profile, copied onto the row so that
    # search, facet counts and comparability read one table without a join.
    # Columns computed from this row are GENERATED by PostgreSQL; the others are
    # kept in step by experiences.search.refresh_search_fields(), which every
    # write path calls (themes, tags, actors and territories live elsewhere).
    search_keywords = models.TextField(editable=False, blank=True, default="")  # themes + synonyms + ancestors, tags
    search_places = models.TextField(editable=False, blank=True, default="")  # lead territory and its parents
    search_theme_ids = ArrayField(models.IntegerField(), editable=False, blank=True, default=list)  # with ancestors
    search_tag_ids = ArrayField(models.IntegerField(), editable=False, blank=True, default=list)
    search_org_kinds = ArrayField(models.CharField(max_length=20), editable=False, blank=True, default=list)
    search_territory_kind = models.CharField(max_length=16, editable=False, blank=True, default="")
    search_country = models.CharField(max_length=2, editable=False, blank=True, default="")
    search_region_id = models.BigIntegerField(editable=False, null=True, blank=True)
    search_department_id = models.BigIntegerField(editable=False, null=True, blank=True)  # or Belgian province
    search_epci_id = models.BigIntegerField(editable=False, null=True, blank=True)  # a commune's EPCI, an EPCI itself
    search_epci_type = models.CharField(max_length=8, editable=False, blank=True, default="")
    search_population = models.PositiveIntegerField(editable=False, null=True, blank=True)
    search_density_class = models.CharField(max_length=16, editable=False, blank=True, default="")
    search_population_band = models.GeneratedField(
        expression=band_expression("search_population", POPULATION_BANDS),
        output_field=models.CharField(max_length=12),
        db_persist=True,
    )
    search_budget_band = models.GeneratedField(
        expression=band_expression("budget_amount", BUDGET_BANDS),
        output_field=models.CharField(max_length=12),
        db_persist=True,
    )
    search_year = models.GeneratedField(
        expression=ExtractYear("period_start"), output_field=models.SmallIntegerField(null=True), db_persist=True
    )
    search_vector = models.GeneratedField(
        expression=(
            SearchVector("title", "title_en", config=SEARCH_CONFIG, weight="A")
            + SearchVector("summary", "summary_en", "search_keywords", config=SEARCH_CONFIG, weight="B")
            + SearchVector("context", "actions", "results", "vigilance_points", config=SEARCH_CONFIG, weight="C")
            + SearchVector("search_places", config=SEARCH_CONFIG, weight="D")
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    # `completeness` is derived from the other fields: keeping it out of the
    # history keeps every version's diff about what a person changed. So are
    # the search columns.
    history = HistoricalRecords(
        excluded_fields=["updated_at", "completeness", *SEARCH_FIELDS], m2m_fields=[themes, tags, territories]
    )

    objects = ExperienceQuerySet.as_manager()

    class Meta:
        verbose_name = _("expérience")
        verbose_name_plural = _("expériences")
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__isnull=True)
                | Q(period_start__isnull=True)
                | Q(period_end__gte=F("period_start")),
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
        indexes = [
            # Review queues and drafts. Not (status, visibility): with 80 % of the rows
            # published and public, the planner ANDed that index with the text index
            # and doubled the time of a common-word search.
            models.Index(fields=["status"], condition=~Q(status="published"), name="experience_unpublished"),
            # Search: full text, array facets, territory facets, newest-first landing page.
            GinIndex(fields=["search_vector"], name="experience_search_vector"),
            GinIndex(fields=["search_theme_ids"], name="experience_search_themes"),
            GinIndex(fields=["search_tag_ids"], name="experience_search_tags"),
            models.Index(fields=["search_region_id"], name="experience_search_region"),
            models.Index(fields=["search_department_id"], name="experience_search_department"),
            models.Index(
                F("published_at").desc(nulls_last=True),
                F("created_at").desc(),
                F("id").desc(),
                name="experience_newest",
            ),
        ]
        permissions = [("publish_experience", _("Peut relire, publier et archiver les expériences"))]

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
    history = HistoricalRecords()

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
    """A file attached to an experience (PDF, image, office document).

    Stored privately (core/storage.py) and served only by `attachment_download`,
    after the fiche's `visible_to` check."""

    experience = models.ForeignKey(Experience, on_delete=models.CASCADE, related_name="attachments")
    title = models.CharField(_("titre"), max_length=200)
    file = models.FileField(_("fichier"), upload_to=attachment_path, storage=private_storage)
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


class ImportRun(TimeStampedModel):
    """One spreadsheet uploaded for import: checked (dry run), then committed.

    The file is kept in the row between the dry run and the commit so that the
    commit re-reads exactly what was checked; it is dropped once committed.
    """

    class State(models.TextChoices):
        CHECKED = "checked", _("Vérifié")
        COMMITTED = "committed", _("Importé")
        FAILED = "failed", _("Refusé")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("par"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(_("fichier"), max_length=255)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    data = models.BinaryField(_("contenu"), null=True, editable=False)
    state = models.CharField(_("état"), max_length=12, choices=State.choices, default=State.CHECKED)
    report = models.JSONField(_("rapport"), default=dict, blank=True)
    committed_at = models.DateTimeField(_("importé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("import d'expériences")
        verbose_name_plural = _("imports d'expériences")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename


class ExportJob(TimeStampedModel):
    """A large export built by a Celery task; its state lives here, not only in Celery."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"
        JSON = "json", "JSON"

    class State(models.TextChoices):
        PENDING = "pending", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("demandé par"), on_delete=models.CASCADE, related_name="export_jobs"
    )
    format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    params = models.JSONField(_("critères"), default=dict, blank=True)
    state = models.CharField(_("état"), max_length=12, choices=State.choices, default=State.PENDING)
    total = models.PositiveIntegerField(_("lignes à écrire"), default=0)
    done = models.PositiveIntegerField(_("lignes écrites"), default=0)
    filename = models.CharField(_("nom du fichier"), max_length=120, blank=True)
    # Kept in the database rather than under MEDIA_ROOT: an export holds rows
    # only its requester may read, and media files are served without checks.
    content = models.BinaryField(_("contenu"), null=True, editable=False)
    error = models.TextField(_("erreur"), blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("export d'expériences")
        verbose_name_plural = _("exports d'expériences")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(done__lte=F("total")), name="export_job_done_le_total")]

    def __str__(self) -> str:
        return f"{self.get_format_display()} — {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class SearchTerm(models.Model):
    """A word of the public corpus, for "Vouliez-vous dire" suggestions.

    Built from published public fiches and the thesaurus only, so that a
    suggestion never reveals a word of a fiche the reader may not see.
    """

    word = models.CharField(_("mot"), max_length=100, primary_key=True)  # accent-free, lower case
    display = models.CharField(_("forme affichée"), max_length=100)  # most frequent accented form
    ndoc = models.PositiveIntegerField(_("nombre de fiches"), default=0)

    class Meta:
        verbose_name = _("terme de recherche")
        verbose_name_plural = _("termes de recherche")
        indexes = [GinIndex(fields=["word"], name="search_term_word_trgm", opclasses=["gin_trgm_ops"])]

    def __str__(self) -> str:
        return self.display


# --- Reader tools: selection, saved searches (see experiences/selection.py, experiences/alerts.py)


class SelectionItem(models.Model):
    """An experience a signed-in reader keeps in their selection (anonymous readers: the session)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utilisateur"),
        on_delete=models.CASCADE,
        related_name="selection_items",
    )
    experience = models.ForeignKey(Experience, verbose_name=_("expérience"), on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(_("ajoutée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("expérience sélectionnée")
        verbose_name_plural = _("expériences sélectionnées")
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "experience"], name="selection_item_unique")]

    def __str__(self) -> str:
        return f"{self.user} — {self.experience_id}"


class SavedSearch(models.Model):
    """A search a member keeps, optionally followed by an e-mail of new matching fiches (daily or weekly)."""

    class AlertFrequency(models.TextChoices):
        DAILY = "daily", _("Chaque jour")
        WEEKLY = "weekly", _("Chaque semaine")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("utilisateur"), on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(_("nom"), max_length=120)
    query = models.TextField(_("critères"), blank=True, help_text=_("Paramètres de la recherche (chaîne de requête)."))
    comparable_to_mine = models.BooleanField(
        _("territoires comparables au mien"),
        default=False,
        help_text=_("Suit ma collectivité de référence, même si j'en change."),
    )
    # The alert's on/off switch (named when alerts were weekly only); how often: alert_frequency.
    weekly_digest = models.BooleanField(_("alerte par courriel"), default=False)
    alert_frequency = models.CharField(
        _("fréquence de l'alerte"), max_length=8, choices=AlertFrequency.choices, default=AlertFrequency.WEEKLY
    )
    language = models.CharField(_("langue des courriels"), max_length=8, choices=settings.LANGUAGES, default="fr")
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    last_notified_at = models.DateTimeField(_("dernière alerte"), null=True, blank=True)

    class Meta:
        verbose_name = _("recherche enregistrée")
        verbose_name_plural = _("recherches enregistrées")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_search_unique_name_per_user")]
        indexes = [models.Index(fields=["weekly_digest", "last_notified_at"], name="saved_search_digest_due")]

    def __str__(self) -> str:
        return self.name


class SavedSearchNotification(models.Model):
    """One experience sent in a saved search's alert: never sent twice for that search."""

    saved_search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="notifications")
    experience = models.ForeignKey(Experience, on_delete=models.CASCADE, related_name="+")
    notified_at = models.DateTimeField(_("envoyée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("expérience signalée")
        verbose_name_plural = _("expériences signalées")
        constraints = [
            models.UniqueConstraint(fields=["saved_search", "experience"], name="saved_search_notification_unique")
        ]

    def __str__(self) -> str:
        return f"{self.saved_search_id} — {self.experience_id}"


# The fiche vectors of semantic search live in their own module (pgvector may be absent).
from .semantic.models import ExperienceVector  # noqa: E402, F401
