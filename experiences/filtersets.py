"""THE filter definition for experiences, shared by the HTML view and the API.

The facet filters are declared from the search registry
(`experiences.search.registry`); this FilterSet validates parameters, and the
search engine compiles the validated values into its one SQL statement, for
the page as for `.qs` (which runs the same statement's conditions). Facet
filters take several values (repeated parameter): OR within a facet, AND
across facets.
"""

import copy
import re
from functools import cached_property

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from territories.models import Territory

from .models import Experience
from .search import registry

SORT_CHOICES = [
    ("relevance", _("Pertinence")),
    ("newest", _("Plus récentes")),
    ("comparability", _("Comparabilité")),
]
# How a text query matches: its words or its meaning (hybrid, the default), or its words only.
MATCH_CHOICES = [
    ("hybrid", _("Les mots et le sens")),
    ("words", _("Les mots seulement")),
]
COMPARABLE_CHOICES = [
    ("1", _("Territoires très comparables")),
    ("2", _("Territoires proches")),
    ("3", _("Élargi")),
]
COUNTRY_NAMES = registry.COUNTRY_NAMES


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


def facet_filter(facet: registry.Facet) -> django_filters.Filter:
    """The FilterSet filter of one registry facet (several values: repeated parameter)."""
    common = {"label": facet.label, "method": "filter_noop"}
    if facet.queryset is not None:
        return django_filters.ModelMultipleChoiceFilter(queryset=facet.queryset, to_field_name="slug", **common)
    if facet.pattern is not None:
        return CodeListFilter(pattern=facet.pattern, convert=facet.convert, **common)
    return django_filters.MultipleChoiceFilter(choices=facet.choices, **common)


class _ExperienceFilters(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Recherche"), method="filter_noop", max_length=200)
    territory = django_filters.ModelChoiceFilter(
        label=_("Dans le territoire"),
        queryset=Territory.objects.all(),
        to_field_name="slug",
        method="filter_noop",
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Statut éditorial"), choices=Experience.Status.choices, method="filter_noop"
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
    match = django_filters.ChoiceFilter(label=_("Correspondance"), choices=MATCH_CHOICES, method="filter_noop")

    FACETS = registry.NAMES

    class Meta:
        model = Experience
        fields = []

    def __init__(self, *args, **kwargs):
        # django-filter deep-copies every declared filter for each instance
        # (querysets, choices, lazy labels), and builds a form class per instance.
        # Measured by bench/search_tricks.py (2026-12-06, 2 shared cores): with
        # the shallow copies and the shared form class below, validation takes
        # 1.2 ms instead of 6.9 ms per search — about half of a rare-word search.
        # They rely on django-filter's FilterSet.__init__/get_form_class and on
        # Django's BaseForm deep copy of base_fields: django-filter is pinned in
        # pyproject.toml, and tests/experiences/test_search.py checks `.qs` and
        # the reader-dependent tag field still work. A shallow copy per filter is enough, with its own `extra`
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
        return registry.BY_NAME[name].q(plain_value(value))

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

    # --- `.qs`: the search entry point's fiches ------------------------------
    def filter_queryset(self, queryset):
        """The fiches the search finds for these parameters, the comparability band included.

        Not filter by filter: the conditions are compiled once, by the search
        engine from `values`, so `.qs` cannot drift from the page.
        """
        from .search import engine
        from .search.results import spec_of

        sql, params = engine.matching_sql(spec_of(self, viewer=getattr(self.request, "user", None)))
        return queryset.filter(pk__in=RawSQL(sql, params))  # noqa: S611 - the engine's SQL, values as parameters

    # Every filter's own method does nothing: filter_queryset() above applies them all.
    def filter_noop(self, queryset, name, value: str):
        return queryset


# The facet filters come from the registry: declared through the FilterSet's own metaclass, so
# django-filter sees them exactly as if they were written in the class body.
ExperienceFilterSet = type(_ExperienceFilters)(
    "ExperienceFilterSet",
    (_ExperienceFilters,),
    {
        "__module__": __name__,
        "__doc__": "The experience filters: the registry's facets, text, territory, status, reference and sort.",
        **{facet.name: facet_filter(facet) for facet in registry.FACETS},
    },
)
