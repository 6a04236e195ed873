from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, (_("Périscope"), {"fields": ("organisation", "reference_territory")}))
    list_display = ("username", "email", "first_name", "last_name", "organisation", "is_staff")
    autocomplete_fields = ("organisation", "reference_territory")
