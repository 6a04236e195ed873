from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, (_("Périscope"), {"fields": ("organisation", "reference_territory")}))
    list_display = ("username", "email", "first_name", "last_name", "organisation", "is_staff")
    autocomplete_fields = ("organisation", "reference_territory")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Staff can see and revoke tokens; keys are never shown (only their digest is stored)."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at")
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at")
    exclude = ("key_digest",)

    def has_add_permission(self, request):
        return False
