"""The Django admin site, for platform administrators only.

The admin edits rows directly, past the services' checks (sharing, review workflow,
organisations): so nobody but a platform administrator (``accounts.permissions.can_use_admin``)
may enter it, whatever their ``is_staff`` flag or model permissions say. Everyone else works
through the pages and the API, which go through the services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from .permissions import can_use_admin, scope_of


class PlatformAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login refuses everyone but platform administrators (no session is opened)."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not can_use_admin(scope_of(user)):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class PlatformAdminSite(admin.AdminSite):
    login_form = PlatformAdminAuthenticationForm

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and can_use_admin(scope_of(request.user))
