from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Deliverable, Milestone, Partnership, PartnershipDocument, PartnershipFunding, PartnershipParty


class PartyInline(admin.TabularInline):
    model = PartnershipParty
    autocomplete_fields = ("organisation",)
    extra = 0


class FundingInline(admin.TabularInline):
    model = PartnershipFunding
    autocomplete_fields = ("funder",)
    extra = 0


class DeliverableInline(admin.TabularInline):
    model = Deliverable
    extra = 0


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


class DocumentInline(admin.TabularInline):
    model = PartnershipDocument
    extra = 0


@admin.register(Partnership)
class PartnershipAdmin(SimpleHistoryAdmin):
    list_display = ("title", "kind", "start_date", "end_date", "visibility", "manager")
    list_filter = ("kind", "visibility")
    search_fields = ("title", "description")
    autocomplete_fields = ("territories", "studies", "experiences", "manager")
    prepopulated_fields = {"slug": ("title",)}
    inlines = [PartyInline, FundingInline, DeliverableInline, MilestoneInline, DocumentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)
