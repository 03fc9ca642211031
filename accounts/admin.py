from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from .forms import AdminLoginForm
from .models import Organisation, User

# The admin's login checks passwords through the same throttle, with the same messages.
admin.site.login_form = AdminLoginForm


def _password_change(request, extra_context=None):
    """The admin's "change password" is the site's page, whose old-password check is throttled."""
    return redirect("password-change")


admin.site.password_change = _password_change


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "parent")
    list_filter = ("kind",)
    search_fields = ("name", "code")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "organisation", "learner_id")
    list_filter = ("role", "organisation", "is_active")
    search_fields = ("username", "first_name", "last_name", "learner_id")
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("Role and organisation"), {"fields": ("role", "organisation", "learner_id")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        (_("Role and organisation"), {"fields": ("role", "organisation", "learner_id")}),
    )
