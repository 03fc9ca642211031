"""Request parameters Django's own views mishandle, refused with 400 before they run.

Django 5.2's admin reads ``_to_field`` (the field a popup links by) and, when it is present but
empty, looks up a field named ``""`` on the change and delete pages: ``FieldDoesNotExist``, a
server error. An empty ``_to_field`` names no field: the request is malformed.
"""

from __future__ import annotations

from django.contrib.admin.options import TO_FIELD_VAR
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _


class MalformedParameterMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for query in (request.GET, request.POST if request.method == "POST" else {}):
            if TO_FIELD_VAR in query and not query.get(TO_FIELD_VAR):
                return HttpResponseBadRequest(
                    _("The parameter %(name)s is empty.") % {"name": TO_FIELD_VAR},
                    content_type="text/plain; charset=utf-8",
                )
        return self.get_response(request)
