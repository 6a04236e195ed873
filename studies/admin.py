from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Criterion, CriterionValue, ReportBranding, ReportJob, ReportVersion, Study, StudyExperience


class ItemInline(admin.TabularInline):
    model = StudyExperience
    autocomplete_fields = ("experience",)
    extra = 0


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


@admin.register(Study)
class StudyAdmin(SimpleHistoryAdmin):
    list_display = ("title", "client_organisation", "status", "deadline")
    list_filter = ("status",)
    search_fields = ("title", "question")
    autocomplete_fields = ("client_organisation", "client_territory", "lead", "team")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [ItemInline, CriterionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(CriterionValue)
class CriterionValueAdmin(admin.ModelAdmin):
    list_display = ("criterion", "item", "value")


@admin.register(ReportJob)
class ReportJobAdmin(admin.ModelAdmin):
    list_display = ("study", "status", "progress", "total", "created_at", "finished_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in ReportJob._meta.fields]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(ReportVersion)
class ReportVersionAdmin(admin.ModelAdmin):
    list_display = ("study", "number", "pages", "checksum", "generated_by", "generated_at")
    readonly_fields = [f.name for f in ReportVersion._meta.fields]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(ReportBranding)
class ReportBrandingAdmin(admin.ModelAdmin):
    """The consultancy's name, logo and colours on PDF reports (one row; settings apply without it)."""

    list_display = ("name", "primary_color", "accent_color")

    def has_add_permission(self, request):
        return not ReportBranding.objects.exists() and super().has_add_permission(request)
