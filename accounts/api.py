"""Log in and out for API and websocket clients (browsers use the login page); a person's
own password; the locked accounts a proctor, board member or administrator may unlock.

Login is CSRF-protected like any form: fetch ``GET /api/auth/csrf`` first, then post with
the ``X-CSRFToken`` header and the ``csrftoken`` cookie (docs/protocol.md). Every password
check goes through the throttled backend (accounts/throttle.py).
"""

from __future__ import annotations

import json

from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import error_body

from . import selectors, services, throttle
from .backends import refusal_of
from .forms import PasswordChangeForm
from .models import LoginThrottle, User
from .permissions import IsUnlocker

# HTTP status of each refusal by the login throttle.
REFUSAL_STATUS = {throttle.ACCOUNT_LOCKED: 403, throttle.TOO_MANY_ATTEMPTS: 429}


def refusal_response(refused: throttle.Refusal) -> JsonResponse:
    """The answer to an attempt the throttle refused: its code, a message, Retry-After."""
    response = JsonResponse(
        error_body(refused.code, throttle.refusal_message(refused)), status=REFUSAL_STATUS[refused.code]
    )
    if refused.retry_after is not None:
        response["Retry-After"] = str(refused.retry_after)
    return response


def user_data(user: User) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.get_full_name() or user.username,
        "role": user.role,
        "organisation": user.organisation_id,
        "learner_id": user.learner_id,
        "must_change_password": user.must_change_password,
    }


@require_GET
@ensure_csrf_cookie
def csrf(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"csrf_token": get_token(request)})


@require_POST
@csrf_protect
def login_view(request: HttpRequest) -> JsonResponse:
    if len(request.body) > 4096:
        return JsonResponse(error_body("too_large", _("The request is too large.")), status=413)
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse(error_body("malformed", _("Send a JSON object.")), status=400)
    if not isinstance(payload, dict):
        return JsonResponse(error_body("malformed", _("Send a JSON object.")), status=400)
    username, password = payload.get("username"), payload.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        return JsonResponse(
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
        return JsonResponse(error_body("invalid_credentials", _("Wrong username or password.")), status=401)
    login(request, user)
    return JsonResponse({"user": user_data(user), "csrf_token": get_token(request)})


@require_POST
@csrf_protect
def logout_view(request: HttpRequest) -> JsonResponse:
    logout(request)
    return JsonResponse({"ok": True})


@require_GET
def me(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse(error_body("not_authenticated", _("Log in first.")), status=401)
    return JsonResponse({"user": user_data(request.user)})


@require_POST
@csrf_protect
def password_change(request: HttpRequest) -> JsonResponse:
    """A person changes their own password: the old one, then a new one every validator accepts."""
    if not request.user.is_authenticated:
        return JsonResponse(error_body("not_authenticated", _("Log in first.")), status=401)
    if len(request.body) > 4096:
        return JsonResponse(error_body("too_large", _("The request is too large.")), status=413)
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return JsonResponse(error_body("malformed", _("Send a JSON object.")), status=400)
    old, new = payload.get("old_password"), payload.get("new_password")
    missing = {
        name: ["required"]
        for name, value in (("old_password", old), ("new_password", new))
        if not isinstance(value, str) or not value
    }
    if missing:
        return JsonResponse(error_body("invalid", _("Give your old and your new password."), missing), status=400)
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
        return JsonResponse(error_body("invalid", message, fields), status=400)
    user = form.save()
    update_session_auth_hash(request, user)
    return JsonResponse({"ok": True, "csrf_token": get_token(request)})


def _locked_account(lock: LoginThrottle) -> dict:
    user = lock.user
    return {
        "user": {
            "id": user.pk,
            "username": user.username,
            "name": user.get_full_name() or user.username,
            "role": user.role,
            "organisation": user.organisation_id,
            "organisation_name": user.organisation.name if user.organisation else None,
        },
        "failures": lock.failures,
        "locked_at": lock.locked_at.isoformat() if lock.locked_at else None,
        "locked_until": lock.locked_until.isoformat() if lock.locked_until else None,
        "last_address": lock.last_address,
    }


@api_view(["GET"])
@permission_classes([IsUnlocker])
def locked_accounts(request: Request) -> Response:
    """The locked accounts the user may unlock, the most recent lock first."""
    locks = selectors.locked_accounts_for(request.user, timezone.now())
    return Response({"results": [_locked_account(lock) for lock in locks]})


@api_view(["POST"])
@permission_classes([IsUnlocker])
def account_unlock(request: Request, user_id: int) -> Response:
    """Unlock one account (audited); unlocking one that is not locked changes nothing."""
    unlocked = services.account_unlock(by=request.user, user_id=user_id)
    return Response({"user": user_data(User.objects.get(pk=user_id)), "unlocked": unlocked})
