"""Log in and out for API and websocket clients (browsers use the login page).

Login is CSRF-protected like any form: fetch ``GET /api/auth/csrf`` first, then post with
the ``X-CSRFToken`` header and the ``csrftoken`` cookie (docs/protocol.md).
"""

from __future__ import annotations

import json

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from config.api import error_body

from .models import User


def user_data(user: User) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "name": user.get_full_name() or user.username,
        "role": user.role,
        "organisation": user.organisation_id,
        "learner_id": user.learner_id,
    }


@require_GET
@ensure_csrf_cookie
def csrf(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"csrf_token": get_token(request)})


@require_POST
@csrf_protect
def login_view(request: HttpRequest) -> JsonResponse:
    if len(request.body) > 4096:
        return JsonResponse(error_body("too_large", "The request is too large."), status=413)
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        return JsonResponse(error_body("malformed", "Send a JSON object."), status=400)
    if not isinstance(payload, dict):
        return JsonResponse(error_body("malformed", "Send a JSON object."), status=400)
    username, password = payload.get("username"), payload.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        return JsonResponse(
            error_body(
                "invalid", "Give a username and a password.", {"username": ["required"], "password": ["required"]}
            ),
            status=400,
        )
    user = authenticate(request, username=username, password=password)
    if user is None:
        return JsonResponse(error_body("invalid_credentials", "Wrong username or password."), status=401)
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
        return JsonResponse(error_body("not_authenticated", "Log in first."), status=401)
    return JsonResponse({"user": user_data(request.user)})
