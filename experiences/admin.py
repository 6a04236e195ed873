from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Attachment,
    Contact,
    Experience,
    ExperienceOrganisation,
    FundingLine,
    Organisation,
    Source,
    Tag,
    Theme,
)


class ActorInline(admin.TabularInline):
    model = ExperienceOrganisation
    autocomplete_fields = ("organisation",)
    extra = 0


class FundingInline(admin.TabularInline):
    model = FundingLine
    autocomplete_fields = ("funder",)
    extra = 0


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class SourceInline(admin.TabularInline):
    model = Source
    extra = 0


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0


@admin.register(Experience)
class ExperienceAdmin(SimpleHistoryAdmin):
    list_display = ("title", "lead_territory", "status", "visibility", "project_status", "published_at")
    list_filter = ("status", "visibility", "project_status", "themes")
    search_fields = ("title", "summary", "external_ref")
    autocomplete_fields = ("lead_territory", "territories", "client_organisation", "author", "tags")
    filter_horizontal = ("themes",)
    prepopulated_fields = {"slug": ("title",)}
    inlines = [ActorInline, FundingInline, ContactInline, SourceInline, AttachmentInline]
    list_select_related = ("lead_territory",)

    def get_queryset(self, request):
        # The admin is a read path too: non-superusers see what visible_to allows.
        return super().get_queryset(request).visible_to(request.user)


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "position")
    search_fields = ("name", "name_en", "synonyms")
    list_filter = ("parent",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    """Staff vet organisations here ("vérifiée par l'équipe"): a vetted one is public."""

    list_display = ("name", "kind", "country", "territory", "vetted")
    list_filter = ("vetted", "kind", "country")
    list_editable = ("vetted",)
    search_fields = ("name",)
    autocomplete_fields = ("territory",)
    prepopulated_fields = {"slug": ("name",)}
