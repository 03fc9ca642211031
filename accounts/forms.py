"""Forms that check a password: the login page's, the admin's, and the password change.

Each one asks ``authenticate`` (the throttled backend) and, when the throttle refused the
attempt unchecked, says why instead of "wrong password".
"""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import services, throttle
from .backends import refusal_of


class _ThrottleMessages:
    request = None

    def get_invalid_login_error(self) -> ValidationError:
        refused = refusal_of(self.request)
        if refused is None:
            return super().get_invalid_login_error()  # type: ignore[misc]
        return ValidationError(throttle.refusal_message(refused), code=refused.code)


class AuthenticationForm(_ThrottleMessages, auth_forms.AuthenticationForm):
    """The login page's form."""

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _("Wrong username or password."),
    }


class AdminLoginForm(_ThrottleMessages, AdminAuthenticationForm):
    """The admin's login form (same throttle, same messages)."""


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """A person changes their own password: the old one is checked through the throttle,
    the new one against every validator of ``AUTH_PASSWORD_VALIDATORS``."""

    error_messages = {
        **auth_forms.PasswordChangeForm.error_messages,
        "password_incorrect": _("Your old password was entered incorrectly. Please enter it again."),
    }

    def __init__(self, user, *args, request=None, **kwargs) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        checked = authenticate(self.request, username=self.user.get_username(), password=old_password)
        if checked is None or checked.pk != self.user.pk:
            refused = refusal_of(self.request)
            if refused is not None:
                raise ValidationError(throttle.refusal_message(refused), code=refused.code)
            raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password

    def save(self, commit: bool = True):
        return services.password_change(
            user=self.user,
            new_password=self.cleaned_data["new_password1"],
            address=throttle.client_address(self.request),
        )
