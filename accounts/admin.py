from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "parent")
    list_filter = ("kind",)
    search_fields = ("name", "code")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "organisation", "learner_id")
    list_filter = ("role", "organisation", "is_active")
    search_fields = ("username", "first_name", "last_name", "learner_id", "citizen_id")
    # The photo is not here: it is stored only re-encoded, through accounts.photos.
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Role and organisation"), {"fields": ("role", "organisation", "learner_id", "citizen_id")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        (_("Role and organisation"), {"fields": ("role", "organisation", "learner_id")}),
    )
