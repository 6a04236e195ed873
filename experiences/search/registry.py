"""The one definition of every search facet: what the FilterSet accepts, what the
search statement filters and counts, what the page labels and orders, and how
the value is computed for a fiche.

Every other piece reads this list: the FilterSet declares one filter per entry
(`filtersets.ExperienceFilterSet`), the search statement and the in-memory
facet store count `column` (`engine.FACET_COLUMNS`), the refresh statement
copies `compute` onto the row (`engine.refresh_search_fields`), and the page,
the API, the chips and the map label values with `label`, `choices` and
`order`. Adding a facet is one entry here (and a migration when the value
needs a new column): see the README, "Adding a facet".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from territories import countries

SCALAR = "scalar"
ARRAY = "array"

# How a facet's values are ordered on the page.
BY_CHOICES = "choices"  # the order of `choices` (bands, kinds: a natural order)
BY_COUNT = "count"  # most frequent first, then by label
NEWEST_FIRST = "value_desc"  # years


def _territory_kinds():
    from territories.models import Territory

    return Territory.Kind.choices


def _epci_types():
    from territories.models import Territory

    return [c for c in Territory.Subkind.choices if c[0]]


def _densities():
    from territories.models import Territory

    return Territory.DensityClass.choices


def _population_bands():
    from experiences.models import POPULATION_BANDS

    return [(code, label) for code, label, _upper in POPULATION_BANDS]


def _budget_bands():
    from experiences.models import BUDGET_BANDS

    return [(code, label) for code, label, _upper in BUDGET_BANDS]


def _project_statuses():
    from experiences.models import Experience

    return Experience.ProjectStatus.choices


def _organisation_kinds():
    from experiences.models import Organisation

    return Organisation.Kind.choices


def _languages():
    return settings.LANGUAGES


# Every country, named in the reader's language from the CLDR (territories.countries, Babel).
COUNTRY_NAMES = countries.COUNTRY_NAMES


def _countries():
    return list(COUNTRY_NAMES.items())


def _themes(request):  # noqa: ARG001 - django-filter passes the request
    from experiences.models import Theme

    return Theme.objects.all()


def _tags(request):
    # A tag used only on fiches the reader may not see must not be accepted,
    # or its name would show in the chips of selected filters.
    from experiences.models import Tag

    return Tag.objects.visible_to(getattr(request, "user", None))


def _regions(request):  # noqa: ARG001
    from territories.models import Territory

    return Territory.objects.filter(kind=Territory.Kind.REGION)


def _departments(request):  # noqa: ARG001
    from territories.models import Territory

    return Territory.objects.filter(kind__in=[Territory.Kind.DEPARTMENT, Territory.Kind.PROVINCE])


@dataclass(frozen=True)
class Facet:
    """One filter of the search that is also counted (a facet).

    - `column`: the column of `experiences_experience` holding the fiche's
      value(s); `shape` SCALAR (one value) or ARRAY (several, e.g. themes with
      their ancestors).
    - `compute`: the SQL expression `refresh_search_fields` copies into
      `column` (aliases of its `fresh` statement: `p` the lead territory's
      profile, `themes`, `tags`, `orgs`); None when the column is a field the
      forms write or a generated column PostgreSQL computes.
    - `choices`: the accepted values and their labels, in display order
      (a callable, read at request time so labels follow the language); None
      for values that are rows of a table (`queryset`, matched by slug) or
      free codes (`pattern`).
    - `vocabulary`: how rows are labelled: "theme" (a tree), "tag" or
      "territory" (régions, départements).
    """

    name: str
    label: Any
    column: str
    shape: str = SCALAR
    compute: str | None = None
    choices: Callable[[], Iterable[tuple[Any, Any]]] | None = None
    order: str = BY_CHOICES
    queryset: Callable[[Any], Any] | None = None  # (request) -> queryset of the rows a value names
    vocabulary: str | None = None
    pattern: str | None = None  # free codes: each value must match this pattern
    convert: Callable[[str], Any] = str

    def q(self, values: list) -> Q | None:
        """The condition on the fiche row (OR of the values), None when nothing is selected."""
        if not values:
            return None
        keys = [getattr(v, "pk", v) for v in values]
        lookup = "overlap" if self.shape == ARRAY else "in"
        return Q(**{f"{self.column}__{lookup}": keys})

    def key(self, value) -> str:
        """A selected value as the facet lists it (a row's id, a code as text)."""
        return str(getattr(value, "pk", value))

    def labels(self) -> dict[str, str]:
        """{value: label} of a facet with fixed choices, in the current language."""
        if self.choices is None:
            return {}
        return {str(key): str(label) for key, label in self.choices()}


FACETS: tuple[Facet, ...] = (
    Facet(
        "theme",
        _("Thème"),
        "search_theme_ids",
        ARRAY,
        compute="COALESCE(themes.ids, '{}')",
        queryset=_themes,
        vocabulary="theme",
    ),
    Facet(
        "tag",
        _("Mot-clé"),
        "search_tag_ids",
        ARRAY,
        compute="COALESCE(tags.ids, '{}')",
        queryset=_tags,
        vocabulary="tag",
        order=BY_COUNT,
    ),
    Facet(
        "territory_kind", _("Type de territoire"), "search_territory_kind", compute="p.kind", choices=_territory_kinds
    ),
    Facet(
        "country",
        _("Pays"),
        "search_country",
        compute="p.country",
        choices=_countries,
        pattern=r"[A-Z]{2}",
        order=BY_COUNT,
    ),
    Facet(
        "region",
        _("Région"),
        "search_region_id",
        compute="p.region_id",
        queryset=_regions,
        vocabulary="territory",
        order=BY_COUNT,
    ),
    Facet(
        "department",
        _("Département / province"),
        "search_department_id",
        compute="p.department_id",
        queryset=_departments,
        vocabulary="territory",
        order=BY_COUNT,
    ),
    Facet("epci_type", _("Type d'EPCI"), "search_epci_type", compute="COALESCE(p.epci_type, '')", choices=_epci_types),
    Facet("population", _("Population"), "search_population_band", choices=_population_bands),
    Facet(
        "density",
        _("Densité"),
        "search_density_class",
        compute="COALESCE(p.density_class, '')",
        choices=_densities,
    ),
    Facet("year", _("Année de début"), "search_year", pattern=r"(19|20)\d\d", convert=int, order=NEWEST_FIRST),
    Facet("project_status", _("État du projet"), "project_status", choices=_project_statuses),
    Facet("budget", _("Budget"), "search_budget_band", choices=_budget_bands),
    Facet(
        "organisation_kind",
        _("Type d'acteur"),
        "search_org_kinds",
        ARRAY,
        compute="COALESCE(orgs.kinds, '{}')",
        choices=_organisation_kinds,
        order=BY_COUNT,
    ),
    # The language the fiche is written in: a field of the fiche, nothing to compute.
    Facet("language", _("Langue de la fiche"), "language", choices=_languages),
)

BY_NAME: dict[str, Facet] = {facet.name: facet for facet in FACETS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
