"""THE filter definition for experiences, shared by the HTML view and the API.

Every filter reads the experience row only (the denormalised `search_*`
columns), so the search selector can compile the same conditions into its one
SQL statement, and `.qs` gives the same rows for any other read path.
Facet filters take several values (repeated parameter): OR within a facet,
AND across facets.
"""

import copy
import re
from functools import cached_property

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from territories import countries
from territories.models import Territory

from .models import BUDGET_BANDS, POPULATION_BANDS, Experience, Organisation, Tag, Theme

SORT_CHOICES = [
    ("relevance", _("Pertinence")),
    ("newest", _("Plus récentes")),
    ("comparability", _("Comparabilité")),
]
COMPARABLE_CHOICES = [
    ("1", _("Territoires très comparables")),
    ("2", _("Territoires proches")),
    ("3", _("Élargi")),
]
EPCI_TYPE_CHOICES = [c for c in Territory.Subkind.choices if c[0]]
POPULATION_CHOICES = [(code, label) for code, label, _upper in POPULATION_BANDS]
BUDGET_CHOICES = [(code, label) for code, label, _upper in BUDGET_BANDS]
COUNTRY_NAMES = countries.COUNTRY_NAMES  # from the CLDR, every country in the reader's language


class PeriscopeSearchQuery(SearchQuery):
    """`periscope_tsquery(text)`: websearch syntax over the French configuration (see migration 0004)."""

    def as_sql(self, compiler, connection, function=None, template=None):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"periscope_tsquery({sql})", params


class CodeListField(forms.Field):
    """Several short codes (e.g. ?country=FR&country=BE) validated by a pattern, not a fixed list."""

    widget = forms.SelectMultiple

    def __init__(self, *, pattern: str, convert=str, **kwargs):
        self.pattern = re.compile(pattern)
        self.convert = convert
        super().__init__(**kwargs)

    def to_python(self, value):
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        cleaned = []
        for item in values:
            item = str(item).strip().upper() if self.convert is str else str(item).strip()
            if not self.pattern.fullmatch(item):
                raise forms.ValidationError(_("Valeur invalide : %(value)s"), params={"value": item[:20]})
            cleaned.append(self.convert(item))
        return list(dict.fromkeys(cleaned))


class CodeListFilter(django_filters.Filter):
    field_class = CodeListField


def plain_value(value):
    """A cleaned value, with an unselected model facet (`queryset.none()`) as [] and no query run."""
    if isinstance(value, QuerySet):
        return [] if value.query.is_empty() else list(value)
    return value


def _visible_tags(request):
    # A tag used only on fiches the reader may not see must not be accepted,
    # or its name would show in the chips of selected filters.
    return Tag.objects.visible_to(getattr(request, "user", None))


class _ShallowCopied(dict):
    """Declared filters whose deepcopy() copies each filter one level deep."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, declared in self.items():
            filter_ = copy.copy(declared)
            filter_.extra = dict(declared.extra)
            filter_.__dict__.pop("_field", None)
            if declared.method is not None:
                filter_.method = declared.method  # a FilterMethod bound to this copy
            copies[name] = filter_
        return copies


class _ShallowFields(dict):
    """A form class's fields whose deepcopy() (one per form instance) copies each field one level deep.

    Django deep-copies every field for each form, and a model choice field
    clones its queryset when copied: most of a search's form validation. The
    copies share widgets and querysets, which nothing here writes to: cleaning
    a value builds new querysets from the shared one.
    """

    def __deepcopy__(self, memo):
        return {name: copy.copy(form_field) for name, form_field in self.items()}


_FORM_CLASSES: dict = {}


class ExperienceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Recherche"), method="filter_text", max_length=200)
    theme = django_filters.ModelMultipleChoiceFilter(
        label=_("Thème"), queryset=Theme.objects.all(), to_field_name="slug", method="filter_facet"
    )
    tag = django_filters.ModelMultipleChoiceFilter(
        label=_("Mot-clé"), queryset=_visible_tags, to_field_name="slug", method="filter_facet"
    )
    territory_kind = django_filters.MultipleChoiceFilter(
        label=_("Type de territoire"), choices=Territory.Kind.choices, method="filter_facet"
    )
    country = CodeListFilter(label=_("Pays"), pattern=r"[A-Z]{2}", method="filter_facet")
    region = django_filters.ModelMultipleChoiceFilter(
        label=_("Région"),
        queryset=Territory.objects.filter(kind=Territory.Kind.REGION),
        to_field_name="slug",
        method="filter_facet",
    )
    department = django_filters.ModelMultipleChoiceFilter(
        label=_("Département / province"),
        queryset=Territory.objects.filter(kind__in=[Territory.Kind.DEPARTMENT, Territory.Kind.PROVINCE]),
        to_field_name="slug",
        method="filter_facet",
    )
    epci_type = django_filters.MultipleChoiceFilter(
        label=_("Type d'EPCI"), choices=EPCI_TYPE_CHOICES, method="filter_facet"
    )
    population = django_filters.MultipleChoiceFilter(
        label=_("Population"), choices=POPULATION_CHOICES, method="filter_facet"
    )
    density = django_filters.MultipleChoiceFilter(
        label=_("Densité"), choices=Territory.DensityClass.choices, method="filter_facet"
    )
    year = CodeListFilter(label=_("Année de début"), pattern=r"(19|20)\d\d", convert=int, method="filter_facet")
    project_status = django_filters.MultipleChoiceFilter(
        label=_("État du projet"), choices=Experience.ProjectStatus.choices, method="filter_facet"
    )
    budget = django_filters.MultipleChoiceFilter(label=_("Budget"), choices=BUDGET_CHOICES, method="filter_facet")
    organisation_kind = django_filters.MultipleChoiceFilter(
        label=_("Type d'acteur"), choices=Organisation.Kind.choices, method="filter_facet"
    )
    territory = django_filters.ModelChoiceFilter(
        label=_("Dans le territoire"),
        queryset=Territory.objects.all(),
        to_field_name="slug",
        method="filter_territory",
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Statut éditorial"), choices=Experience.Status.choices, field_name="status"
    )
    # Not row filters: the reference territory, how strictly to compare, the order.
    ref = django_filters.ModelChoiceFilter(
        label=_("Ma collectivité"), queryset=Territory.objects.all(), to_field_name="slug", method="filter_noop"
    )
    ref_q = django_filters.CharFilter(label=_("Ma collectivité (nom)"), method="filter_noop", max_length=100)
    comparable = django_filters.ChoiceFilter(
        label=_("Territoires comparables uniquement"), choices=COMPARABLE_CHOICES, method="filter_noop"
    )
    sort = django_filters.ChoiceFilter(label=_("Trier par"), choices=SORT_CHOICES, method="filter_noop")

    FACETS = (
        "theme",
        "tag",
        "territory_kind",
        "country",
        "region",
        "department",
        "epci_type",
        "population",
        "density",
        "year",
        "project_status",
        "budget",
        "organisation_kind",
    )

    class Meta:
        model = Experience
        fields = []

    def __init__(self, *args, **kwargs):
        # django-filter deep-copies every declared filter for each instance
        # (querysets, choices, lazy labels): a third of the Python time of a
        # search. A shallow copy per filter is enough, with its own `extra`
        # (the queryset filters write the reader's queryset into it) and no
        # cached form field.
        self.base_filters = _ShallowCopied(type(self).base_filters)
        super().__init__(*args, **kwargs)

    def get_form_class(self):
        # django-filter builds a new form class (and every field) per instance.
        # Only the tag field depends on the reader (the tags they may see), so
        # readers of one visibility class share one class; its querysets stay
        # lazy, and each form instance copies its fields one level deep.
        from .search import visibility_class

        key = (type(self), visibility_class(getattr(self.request, "user", None)))
        form_class = _FORM_CLASSES.get(key)
        if form_class is None:
            if len(_FORM_CLASSES) > 1024:
                _FORM_CLASSES.clear()
            form_class = _FORM_CLASSES[key] = super().get_form_class()
            form_class.base_fields = _ShallowFields(form_class.base_fields)
        return form_class

    # --- The conditions, as Q objects over the experience row ---------------
    @staticmethod
    def facet_q(name: str, value) -> Q | None:
        """The condition of one facet (OR of its values), or None if nothing is selected."""
        value = plain_value(value)
        if not value:
            return None
        if name in ("theme", "tag", "region", "department"):
            ids = [obj.pk for obj in value]
            if name == "theme":
                return Q(search_theme_ids__overlap=ids)
            if name == "tag":
                return Q(search_tag_ids__overlap=ids)
            return Q(**{f"search_{name}_id__in": ids})
        column = {
            "territory_kind": "search_territory_kind",
            "country": "search_country",
            "epci_type": "search_epci_type",
            "population": "search_population_band",
            "density": "search_density_class",
            "year": "search_year",
            "project_status": "project_status",
            "budget": "search_budget_band",
        }.get(name)
        if column:
            return Q(**{f"{column}__in": list(value)})
        if name == "organisation_kind":
            return Q(search_org_kinds__overlap=list(value))
        raise KeyError(name)

    @staticmethod
    def territory_q(territory: Territory) -> Q:
        """Fiches led in this territory or anywhere inside it."""
        if territory.kind == Territory.Kind.COUNTRY:
            return Q(search_country=territory.country)
        if territory.kind == Territory.Kind.REGION:
            return Q(search_region_id=territory.pk)
        if territory.kind in (Territory.Kind.DEPARTMENT, Territory.Kind.PROVINCE):
            return Q(search_department_id=territory.pk)
        if territory.kind == Territory.Kind.EPCI:
            return Q(search_epci_id=territory.pk)
        return Q(lead_territory_id=territory.pk)

    @cached_property
    def values(self) -> dict:
        """The validated parameters, unselected model facets as [] (see plain_value)."""
        return {name: plain_value(value) for name, value in self.form.cleaned_data.items()}

    def facet_conditions(self) -> dict:
        data = self.values
        conditions = {name: self.facet_q(name, data.get(name)) for name in self.FACETS}
        return {name: q for name, q in conditions.items() if q is not None}

    def other_conditions(self) -> list[Q]:
        data = self.values
        conditions = []
        if data.get("territory"):
            conditions.append(self.territory_q(data["territory"]))
        if data.get("status"):
            conditions.append(Q(status__in=data["status"]))
        return conditions

    # --- django-filter methods (for `.qs`) ---------------------------------
    def filter_text(self, queryset, name, value):
        value = (value or "").strip()
        return queryset.filter(search_vector=PeriscopeSearchQuery(value)) if value else queryset

    def filter_facet(self, queryset, name, value: list[str]):
        q = self.facet_q(name, value)
        return queryset if q is None else queryset.filter(q)

    def filter_territory(self, queryset, name, value: str):
        return queryset.filter(self.territory_q(value)) if value else queryset

    def filter_noop(self, queryset, name, value: str):
        return queryset
