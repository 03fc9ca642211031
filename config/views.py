"""Operational endpoints."""

from __future__ import annotations

import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from config import errors
from config.api import error_body


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # report, do not raise: this is what health checks are for
        return f"error: {type(exc).__name__}"
    return "ok"


def _channel_layer_state() -> str:
    layer = get_channel_layer()
    if layer is None:
        return "error: not configured"
    try:
        channel = async_to_sync(layer.new_channel)("healthz.")
        async_to_sync(layer.send)(channel, {"type": "healthz", "nonce": uuid.uuid4().hex})
        async_to_sync(layer.receive)(channel)
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with the mode when the database and the channel layer answer; 503 otherwise."""
    database = _database_state()
    channel_layer = _channel_layer_state()
    healthy = database == "ok" and channel_layer == "ok"
    return JsonResponse(
        {
            "status": "ok" if healthy else "degraded",
            "mode": settings.RUNTIME_MODE,
            "database": {"engine": settings.DATABASE_MODE, "state": database},
            "channel_layer": {
                "backend": "redis" if settings.REDIS_URL else "in-memory",
                "state": channel_layer,
            },
            "celery": "broker" if settings.REDIS_URL else "eager",
        },
        status=200 if healthy else 503,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused CSRF check: the API's JSON error shape, the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            error_body(
                "csrf_failed",
                _("CSRF check failed: %(reason)s. Fetch /api/auth/csrf/ and send X-CSRFToken.") % {"reason": reason},
            ),
            status=403,
        )
    return errors.csrf_failure_page(request)
