"""The site's URLs plus views that fail, for the error page tests (tests/config/test_error_pages.py)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401  (Django reads them from here)
from config.urls import urlpatterns as site


def broken(request):
    raise RuntimeError("a bug in a view")


def malformed(request):
    raise SuspiciousOperation("a request that makes no sense")


def refused(request):
    raise PermissionDenied("Không được phép.")


urlpatterns = [
    path("broken/", broken),
    path("malformed/", malformed),
    path("api/malformed/", malformed),
    path("api/broken/", broken),
    path("api/refused/", refused),
    *site,
]
