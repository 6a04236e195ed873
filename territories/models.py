"""Territories: every administrative unit an experience can be attached to.

This app is a leaf: it imports no other portal app.
"""

import unicodedata

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .querysets import TerritoryQuerySet


def normalize_name(value: str) -> str:
    """Lower-case, accent-free, punctuation-as-space form used for lookups.

    "Saint-Étienne" -> "saint etienne". Stored on the row so that a plain
    trigram GIN index serves autocomplete without an immutable unaccent wrapper.
    """
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    cleaned = "".join(c if c.isalnum() else " " for c in stripped)
    return " ".join(cleaned.split())


class Territory(models.Model):
    """An administrative unit: country, région, département, EPCI, commune, province…"""

    class Kind(models.TextChoices):
        COUNTRY = "country", _("Pays")
        REGION = "region", _("Région")
        DEPARTMENT = "department", _("Département")
        PROVINCE = "province", _("Province")
        EPCI = "epci", _("EPCI")
        COMMUNE = "commune", _("Commune")
        OTHER = "other", _("Autre collectivité")

    class Subkind(models.TextChoices):
        NONE = "", _("—")
        CC = "CC", _("Communauté de communes")
        CA = "CA", _("Communauté d'agglomération")
        CU = "CU", _("Communauté urbaine")
        METRO = "METRO", _("Métropole")
        EPT = "EPT", _("Établissement public territorial")

    class DensityClass(models.TextChoices):
        # Thresholds (inhabitants per km²) approximate INSEE's communal density
        # grid, which is computed on 1 km cells we do not have. Belgian
        # municipalities use the same thresholds: Statbel's degree of
        # urbanisation (Eurostat's DEGURBA) is on the same grid, which is not
        # in our sources either, and one scale keeps both countries comparable.
        DENSE = "dense", _("Urbain dense")
        INTERMEDIATE = "intermediate", _("Densité intermédiaire")
        RURAL = "rural", _("Rural")
        VERY_RURAL = "very_rural", _("Rural très peu dense")

    DENSITY_THRESHOLDS = ((1500, "dense"), (300, "intermediate"), (25, "rural"), (0, "very_rural"))
    # A density class describes a settlement: a commune, or an EPCI of neighbouring
    # communes. A département, a province or a région mixes a city and its
    # countryside (Gironde, 174 inhabitants per km², is neither "rural" nor
    # Bordeaux): larger units keep their density figure and get no class.
    DENSITY_CLASS_KINDS = ("commune", "epci")

    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices, db_index=True)
    subkind = models.CharField(_("sous-type"), max_length=8, choices=Subkind.choices, blank=True, default="")
    code = models.CharField(
        _("code officiel"), max_length=32, help_text=_("Code INSEE/COG, SIREN de l'EPCI ou code NIS.")
    )
    country = models.CharField(_("pays"), max_length=2, help_text=_("Code ISO 3166 alpha-2."), db_index=True)
    name = models.CharField(_("nom"), max_length=200)
    search_name = models.CharField(_("nom normalisé"), max_length=200, editable=False, default="")
    slug = models.SlugField(_("slug"), max_length=220, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    epci = models.ForeignKey(
        "self",
        verbose_name=_("EPCI"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member_communes",
        limit_choices_to={"kind": "epci"},
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(_("année de la population"), null=True, blank=True)
    area_km2 = models.FloatField(_("superficie (km²)"), null=True, blank=True)
    density = models.FloatField(_("densité (hab./km²)"), null=True, blank=True)
    density_class = models.CharField(
        _("classe de densité"), max_length=16, choices=DensityClass.choices, blank=True, default=""
    )
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    is_current = models.BooleanField(_("en vigueur"), default=True)

    objects = TerritoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("territoire")
        verbose_name_plural = _("territoires")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["country", "kind", "code"], name="territory_unique_code_per_country_kind"),
            models.CheckConstraint(
                condition=Q(area_km2__isnull=True) | Q(area_km2__gt=0), name="territory_area_positive"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="territory_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="territory_longitude_range",
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="territory_not_own_parent"),
            models.CheckConstraint(condition=Q(subkind="") | Q(kind="epci"), name="territory_subkind_only_for_epci"),
        ]
        indexes = [
            GinIndex(fields=["search_name"], name="territory_search_name_trgm", opclasses=["gin_trgm_ops"]),
            models.Index(fields=["kind", "country"], name="territory_kind_country"),
            # Codes typed in the autocomplete and the resolvers: equality and prefix (LIKE '251%').
            models.Index(fields=["code"], name="territory_code", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs):
        # Derived columns kept in step with their sources; not business logic.
        self.search_name = normalize_name(self.name)
        self.density = self.density_for(self.population, self.area_km2)
        self.density_class = self.density_class_for(self.density, self.kind)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("territory_detail", kwargs={"slug": self.slug})

    @classmethod
    def form_field(cls, **kwargs):
        """The one form field that chooses a territory (the combobox of territories.forms), for
        apps that may not import this one (accounts)."""
        from .forms import TerritoryField

        return TerritoryField(**kwargs)

    @property
    def label(self) -> str:
        if self.kind == self.Kind.COMMUNE and self.country == "FR" and self.code[:2]:
            dep = self.code[:3] if self.code.startswith("97") else self.code[:2]
            return f"{self.name} ({dep})"
        return self.name

    @classmethod
    def density_class_for(cls, density: float | None, kind: str) -> str:
        """The density class of a commune or EPCI of this density; "" for larger units or an unknown density."""
        if density is None or kind not in cls.DENSITY_CLASS_KINDS:
            return ""
        for threshold, value in cls.DENSITY_THRESHOLDS:
            if density >= threshold:
                return value
        return "very_rural"

    @staticmethod
    def density_for(population: int | None, area_km2: float | None) -> float | None:
        """Inhabitants per km², or None when either figure is unknown (an empty village is 0, not None)."""
        if population is None or not area_km2:
            return None
        return round(population / area_km2, 1)
