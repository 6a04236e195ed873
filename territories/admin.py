from django.contrib import admin

from .models import Territory, normalize_name


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "subkind", "code", "country", "population", "density_class", "is_current")
    list_filter = ("kind", "country", "subkind", "density_class", "is_current")
    search_fields = ("search_name", "code")
    autocomplete_fields = ("parent", "epci")
    readonly_fields = ("search_name", "density", "density_class")
    list_select_related = ("parent",)

    def get_search_results(self, request, queryset, search_term):
        # Accent-insensitive: "chabaniere" finds "Chabanière".
        return super().get_search_results(request, queryset, normalize_name(search_term) or search_term)
