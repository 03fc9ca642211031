"""Log in and out for API and websocket clients (browsers use the login page); a person's
own password; the locked accounts a proctor, board member or administrator may unlock.

Login is CSRF-protected like any form: fetch ``GET /api/auth/csrf`` first, then post with
the ``X-CSRFToken`` header and the ``csrftoken`` cookie (docs/protocol.md). Every password
check goes through the throttled backend (accounts/throttle.py).
"""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, parser_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import ErrorSerializer, Instant, SmallJsonObjectParser, error_body
from config.authentication import enforce_csrf

from . import selectors, services, throttle
from .backends import refusal_of
from .forms import PasswordChangeForm
from .models import Role, User
from .permissions import IsUnlocker

# HTTP status of each refusal by the login throttle.
REFUSAL_STATUS = {throttle.ACCOUNT_LOCKED: 403, throttle.TOO_MANY_ATTEMPTS: 429}


def refusal_response(refused: throttle.Refusal) -> Response:
    """The answer to an attempt the throttle refused: its code, a message, Retry-After."""
    response = Response(
        error_body(refused.code, throttle.refusal_message(refused)), status=REFUSAL_STATUS[refused.code]
    )
    if refused.retry_after is not None:
        response["Retry-After"] = str(refused.retry_after)
    return response


class UserOutput(serializers.Serializer):
    """The user object (``GET /api/me/``, the login's answer)."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField(help_text="The full name, family name first; else the username.")
    role = serializers.ChoiceField(choices=Role.choices)
    organisation = serializers.IntegerField(source="organisation_id", allow_null=True)
    learner_id = serializers.CharField(allow_null=True, help_text="A student's learner identifier; null for staff.")
    must_change_password = serializers.BooleanField()

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.username


def user_data(user: User) -> dict:
    return UserOutput(user).data


class CsrfOutput(serializers.Serializer):
    csrf_token = serializers.CharField(help_text="A masked form of the csrftoken cookie's secret, for X-CSRFToken.")


class LoginInput(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField()


class LoginOutput(serializers.Serializer):
    user = UserOutput()
    csrf_token = serializers.CharField(help_text="The new token: login rotates the CSRF secret.")


class OkOutput(serializers.Serializer):
    ok = serializers.BooleanField()


class MeOutput(serializers.Serializer):
    user = UserOutput()


class PasswordChangeInput(serializers.Serializer):
    old_password = serializers.CharField()
    new_password = serializers.CharField()


class PasswordChangeOutput(OkOutput):
    csrf_token = serializers.CharField()


THROTTLED = {
    403: OpenApiResponse(ErrorSerializer, description="csrf_failed, or account_locked (with Retry-After)"),
    413: ErrorSerializer,
    429: OpenApiResponse(ErrorSerializer, description="too_many_attempts (with Retry-After)"),
}


@extend_schema(responses={200: CsrfOutput}, auth=[])
@ensure_csrf_cookie
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def csrf(request: Request) -> Response:
    """Set the ``csrftoken`` cookie; no login needed."""
    return Response({"csrf_token": get_token(request)})


# Logging in and out are checked against CSRF like any form, and their small JSON body is read
# by SmallJsonObjectParser: 413 ``too_large`` over 4096 bytes, 400 ``malformed`` if not an object.
@extend_schema(
    request=LoginInput,
    responses={200: LoginOutput, 401: OpenApiResponse(ErrorSerializer, description="invalid_credentials"), **THROTTLED},
    auth=[],
)
@api_view(["POST"])
@permission_classes([AllowAny])
@parser_classes([SmallJsonObjectParser])
def login_view(request: Request) -> Response:
    enforce_csrf(request)
    username, password = request.data.get("username"), request.data.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        return Response(
            error_body(
                "invalid", _("Give a username and a password."), {"username": ["required"], "password": ["required"]}
            ),
            status=400,
        )
    user = authenticate(request, username=username, password=password)
    if user is None:
        refused = refusal_of(request)
        if refused is not None:
            return refusal_response(refused)
        return Response(error_body("invalid_credentials", _("Wrong username or password.")), status=401)
    login(request, user)
    return Response({"user": user_data(user), "csrf_token": get_token(request)})


@extend_schema(request=None, responses={200: OkOutput})
@api_view(["POST"])
@permission_classes([AllowAny])
@parser_classes([SmallJsonObjectParser])
def logout_view(request: Request) -> Response:
    enforce_csrf(request)
    logout(request)
    return Response({"ok": True})


@extend_schema(responses={200: MeOutput})
@api_view(["GET"])
def me(request: Request) -> Response:
    return Response({"user": user_data(request.user)})


@extend_schema(request=PasswordChangeInput, responses={200: PasswordChangeOutput, **THROTTLED})
@api_view(["POST"])
@parser_classes([SmallJsonObjectParser])
def password_change(request: Request) -> Response:
    """A person changes their own password: the old one, then a new one every validator accepts."""
    old, new = request.data.get("old_password"), request.data.get("new_password")
    missing = {
        name: ["required"]
        for name, value in (("old_password", old), ("new_password", new))
        if not isinstance(value, str) or not value
    }
    if missing:
        return Response(error_body("invalid", _("Give your old and your new password."), missing), status=400)
    form = PasswordChangeForm(
        request.user, request=request, data={"old_password": old, "new_password1": new, "new_password2": new}
    )
    if not form.is_valid():
        refused = refusal_of(request)
        if refused is not None:
            return refusal_response(refused)
        errors = form.errors.as_data()
        fields = {}
        if "old_password" in errors:
            fields["old_password"] = [error.messages[0] for error in errors["old_password"]]
        new_errors = errors.get("new_password2", []) + errors.get("new_password1", [])
        if new_errors:
            fields["new_password"] = [message for error in new_errors for message in error.messages]
        message = _("Your old password is wrong.") if "old_password" in fields else _("Choose another password.")
        return Response(error_body("invalid", message, fields), status=400)
    user = form.save()
    update_session_auth_hash(request, user)
    return Response({"ok": True, "csrf_token": get_token(request)})


class LockedUserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()
    role = serializers.ChoiceField(choices=Role.choices)
    organisation = serializers.IntegerField(source="organisation_id", allow_null=True)
    organisation_name = serializers.CharField(source="organisation.name", allow_null=True)

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.username


class LockedAccountOutput(serializers.Serializer):
    user = LockedUserOutput()
    failures = serializers.IntegerField()
    locked_at = Instant(allow_null=True)
    locked_until = Instant(allow_null=True, help_text="null: locked until a person unlocks it.")
    last_address = serializers.CharField()


class LockedAccountsOutput(serializers.Serializer):
    results = LockedAccountOutput(many=True)


class UnlockOutput(serializers.Serializer):
    user = UserOutput()
    unlocked = serializers.BooleanField(help_text="false: the account was not locked (nothing changed).")


@extend_schema(responses={200: LockedAccountsOutput})
@api_view(["GET"])
@permission_classes([IsUnlocker])
def locked_accounts(request: Request) -> Response:
    """The locked accounts the user may unlock, the most recent lock first."""
    locks = selectors.locked_accounts_for(request.user, timezone.now())
    return Response(LockedAccountsOutput({"results": locks}).data)


@extend_schema(request=None, responses={200: UnlockOutput})
@api_view(["POST"])
@permission_classes([IsUnlocker])
def account_unlock(request: Request, user_id: int) -> Response:
    """Unlock one account (audited); unlocking one that is not locked changes nothing."""
    unlocked = services.account_unlock(by=request.user, user_id=user_id)
    return Response({"user": user_data(User.objects.get(pk=user_id)), "unlocked": unlocked})
