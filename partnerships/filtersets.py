"""THE filter definition for partnerships, shared by the HTML list, the API and the exports.

Relation filters use EXISTS subqueries rather than joins, so a partnership with
two matching parties or funding lines is never counted twice and no DISTINCT
is needed (which keeps the facet counts and the pagination cheap).
"""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from .models import Partnership, PartnershipFunding, PartnershipParty

YEAR_MIN, YEAR_MAX = 1950, 2100


class PartnershipFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Recherche"), method="filter_text")
    kind = django_filters.ChoiceFilter(label=_("Type"), choices=Partnership.Kind.choices)
    phase = django_filters.ChoiceFilter(label=_("État"), choices=Partnership.Phase.choices, method="filter_phase")
    party = django_filters.CharFilter(label=_("Partie"), method="filter_party")
    role = django_filters.ChoiceFilter(
        label=_("Rôle de la partie"), choices=PartnershipParty.Role.choices, method="filter_noop"
    )
    territory = django_filters.CharFilter(label=_("Territoire"), method="filter_territory")
    country = django_filters.CharFilter(label=_("Pays"), method="filter_country")
    year = django_filters.NumberFilter(
        label=_("Année"),
        method="filter_year",
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        widget=forms.NumberInput(attrs={"min": YEAR_MIN, "max": YEAR_MAX}),
    )
    funder = django_filters.CharFilter(label=_("Financeur"), method="filter_funder")
    visibility = django_filters.ChoiceFilter(label=_("Visibilité"), choices=Partnership.Visibility.choices)
    sort = django_filters.OrderingFilter(
        label=_("Tri"),
        fields=(("start_date", "start_date"), ("end_date", "end_date"), ("title", "title")),
        field_labels={
            "-start_date": _("Début (récent d'abord)"),
            "start_date": _("Début (ancien d'abord)"),
            "end_date": _("Fin (proche d'abord)"),
            "title": _("Intitulé"),
        },
    )

    class Meta:
        model = Partnership
        fields = []

    def filter_text(self, queryset, name, value):
        for word in value.split()[:8]:
            parties = PartnershipParty.objects.filter(
                partnership=OuterRef("pk"), organisation__name__unaccent__icontains=word
            )
            queryset = queryset.filter(
                Q(title__unaccent__icontains=word) | Q(description__unaccent__icontains=word) | Q(Exists(parties))
            )
        return queryset

    def filter_phase(self, queryset, name, value):
        return queryset.in_phase(value)

    def filter_noop(self, queryset, name, value):
        # `role` only narrows `party` (see filter_party); alone it filters nothing.
        return queryset

    def filter_party(self, queryset, name, value):
        parties = PartnershipParty.objects.filter(partnership=OuterRef("pk"), organisation__slug=value)
        role = self.form.cleaned_data.get("role")
        if role:
            parties = parties.filter(role=role)
        return queryset.filter(Exists(parties))

    def filter_territory(self, queryset, name, value):
        links = Partnership.territories.through.objects.filter(partnership=OuterRef("pk"), territory__slug=value)
        return queryset.filter(Exists(links))

    def filter_country(self, queryset, name, value):
        links = Partnership.territories.through.objects.filter(
            partnership=OuterRef("pk"), territory__country=value.strip().upper()
        )
        return queryset.filter(Exists(links))

    def filter_year(self, queryset, name, value):
        return queryset.active_in_year(int(value))

    def filter_funder(self, queryset, name, value):
        lines = PartnershipFunding.objects.filter(partnership=OuterRef("pk"), funder__slug=value)
        return queryset.filter(Exists(lines))
