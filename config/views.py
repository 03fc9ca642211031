"""Operational endpoints."""

from __future__ import annotations

import hmac
import ipaddress
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from config import errors, metrics
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


def _bearer_token_matches(request: HttpRequest) -> bool:
    """Whether the request carries ``Authorization: Bearer <METRICS_TOKEN>`` (none is set: no)."""
    token = settings.METRICS_TOKEN
    scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    # Bytes: compare_digest refuses a str with anything but ASCII in it.
    return hmac.compare_digest(given.strip().encode("utf-8", "replace"), token.encode("utf-8"))


def _address_allowed(address: str) -> bool:
    """Whether the client address is in METRICS_ALLOWED_NETWORKS (an IPv4 address reaching a
    dual-stack socket, ::ffff:a.b.c.d, counts as a.b.c.d)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # a Unix socket, or nothing
    candidates = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        candidates.append(ip.ipv4_mapped)
    networks = [ipaddress.ip_network(network) for network in settings.METRICS_ALLOWED_NETWORKS]
    return any(candidate in network for candidate in candidates for network in networks)


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The node's metrics in Prometheus' format (config/metrics.py), for the operators' scraper
    only: an address of METRICS_ALLOWED_NETWORKS or the METRICS_TOKEN bearer token; 403 otherwise."""
    if not (_bearer_token_matches(request) or _address_allowed(request.META.get("REMOTE_ADDR", ""))):
        # Plain text for a machine (a scraper set up wrong), not the site's page; logged by Django.
        return HttpResponseForbidden(b"403 Forbidden\n", content_type="text/plain; charset=utf-8")
    body, content_type = metrics.render(request.headers.get("Accept"))
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response


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
