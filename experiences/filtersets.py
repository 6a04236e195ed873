"""THE filter definition for experiences, shared by the HTML view and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from territories.models import Territory

from .models import Experience


class ExperienceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Recherche"), method="filter_text")
    theme = django_filters.CharFilter(label=_("Thème"), method="filter_theme")
    tag = django_filters.CharFilter(label=_("Mot-clé"), field_name="tags__slug")
    country = django_filters.CharFilter(label=_("Pays"), field_name="lead_territory__country")
    territory_kind = django_filters.ChoiceFilter(
        label=_("Type de territoire"), field_name="lead_territory__kind", choices=Territory.Kind.choices
    )
    territory = django_filters.CharFilter(label=_("Territoire"), method="filter_territory")
    project_status = django_filters.ChoiceFilter(choices=Experience.ProjectStatus.choices, label=_("État du projet"))
    status = django_filters.ChoiceFilter(choices=Experience.Status.choices, label=_("Statut éditorial"))

    class Meta:
        model = Experience
        fields = []

    def filter_text(self, queryset, name, value):
        from django.db.models import Q

        for word in value.split():
            queryset = queryset.filter(Q(title__unaccent__icontains=word) | Q(summary__unaccent__icontains=word))
        return queryset

    def filter_theme(self, queryset, name, value):
        return queryset.filter(themes__slug=value).distinct()

    def filter_territory(self, queryset, name, value):
        return queryset.filter(lead_territory__slug=value)
