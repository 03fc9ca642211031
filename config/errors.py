"""What a refused or failed request gets back: the API's JSON error, or a page of the site.

Wired in ``config/urls.py`` (``handler400``, ``handler403``, ``handler404``, ``handler500``) and used by the
CSRF failure view (``config.views.csrf_failure``). Django calls them only when ``DEBUG`` is
off. A path under ``/api/`` gets the error shape of every API answer (``config/api.py``):
``{"error": {"code": ..., "message": ...}}``; any other path a page in the look of the site,
in the language the person chose, with a way back home.

The 500 page assumes nothing works: it is rendered without the request's context (no user,
no session, no database, no CSRF token), from ``frontend/errors/500.html``, which extends
nothing, and in the language of the language cookie read here, since the failure may have
happened before the language middleware ran.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from config.api import error_body
from config.middleware import chosen_language


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """400: a request Django could not take (a bad host, a malformed upload, too many fields)."""
    if is_api(request):
        return JsonResponse(error_body("bad_request", _("The request is not valid.")), status=400)
    return render(request, "frontend/errors/400.html", status=400)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404: no page at this address, or not one this person may know about."""
    if is_api(request):
        return JsonResponse(error_body("not_found", _("No such object.")), status=404)
    return render(request, "frontend/errors/404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403: this person may not open this page (the API says why when the refusal does)."""
    if is_api(request):
        message = str(exception) if isinstance(exception, PermissionDenied) and str(exception) else ""
        return JsonResponse(error_body("forbidden", message or _("You may not do this.")), status=403)
    return render(request, "frontend/errors/403.html", status=403)


def csrf_failure_page(request: HttpRequest) -> HttpResponse:
    """403 for a form sent without its CSRF token (most often: a page open for too long)."""
    return render(request, "frontend/errors/csrf.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """500: something broke. Nothing here may need the database or the request's context."""
    with translation.override(chosen_language(getattr(request, "COOKIES", {}))):
        if is_api(request):
            message = _("The server could not complete this request. Try again in a moment.")
            return JsonResponse(error_body("server_error", message), status=500)
        try:
            home = reverse("home")
        except Exception:  # a broken URL configuration may be why we are here
            home = "/"
        context = {"home": home, "language": translation.get_language()}
        return HttpResponse(loader.get_template("frontend/errors/500.html").render(context), status=500)
