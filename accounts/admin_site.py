"""The Django admin site, for platform administrators only.

The admin edits rows directly, past the services' checks (sharing, review workflow,
organisations): so nobody but a platform administrator (``accounts.permissions.can_use_admin``)
may enter it, whatever their ``is_staff`` flag or model permissions say. Everyone else works
through the pages and the API, which go through the services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .forms import AdminLoginForm
from .permissions import can_use_admin, scope_of


class PlatformAdminAuthenticationForm(AdminLoginForm):
    """The admin's login: passwords checked through the login throttle (``AdminLoginForm``),
    and everyone but platform administrators refused before a session is opened."""

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

    def password_change(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """The site's own page, whose old-password check goes through the throttle."""
        return redirect("password-change")
