"""REST conventions shared by every app: one error shape for every failure.

Every error body is ``{"error": {"code": "...", "message": "...", "fields": {...}}}``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Instant(serializers.DateTimeField):
    """An instant as the API writes and reads it.

    Written: ISO 8601 with the offset it is stored with (UTC),
    ``"2026-11-28T12:07:12.303651+00:00"`` (DRF's own field would move it to the site's time
    zone). Read: what DRF's field reads, from the year :data:`MIN_YEAR` to :data:`MAX_YEAR`:
    an exam in the year 98 is a typing mistake, and before 1906 the site's time zone is a
    local mean time whose offset is no whole minute, which no ISO 8601 reader takes back.
    """

    MIN_YEAR, MAX_YEAR = 2000, 2199
    default_error_messages = {
        "out_of_range": gettext_lazy("Give a date from the year {min} to {max}."),
    }

    def to_internal_value(self, value: Any) -> Any:
        instant = super().to_internal_value(value)
        if not self.MIN_YEAR <= instant.year <= self.MAX_YEAR:
            self.fail("out_of_range", min=self.MIN_YEAR, max=self.MAX_YEAR)
        return instant

    def to_representation(self, value: Any) -> str | None:
        return value.isoformat() if value else None


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable English identifier: branch on it (docs/protocol.md, section 3).")
    message = serializers.CharField(help_text="For people, in the person's language; may change.")
    fields = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Present when particular input fields are at fault: each field's problems.",
    )
    reasons = serializers.ListField(
        child=serializers.JSONField(), required=False, help_text="topic_in_use: what still uses the topic."
    )


class ErrorSerializer(serializers.Serializer):
    """Every error answer of the API (:func:`error_body`). A few carry more beside ``error``:
    ``report`` (``import_rejected``, ``roster_problems``), ``seed`` and ``shortfalls`` (``shortfall``)."""

    error = ErrorDetailSerializer()


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else None
        message = "; ".join(exc.messages)
        return Response(error_body("invalid", message, fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        return Response(
            error_body("forbidden", str(exc) or _("You may not do this.")),
            status=status.HTTP_403_FORBIDDEN,
        )
    if isinstance(exc, (ObjectDoesNotExist, Http404)):
        return Response(error_body("not_found", _("No such object.")), status=status.HTTP_404_NOT_FOUND)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = error_body("invalid", _("The request is not valid."), fields)
    else:
        code = getattr(exc, "default_code", "error")
        if isinstance(exc, exceptions.ParseError):
            code = "malformed"  # the body is not the JSON it says it is
        elif isinstance(exc, exceptions.NotAuthenticated):
            code = "not_authenticated"
        elif isinstance(exc, exceptions.PermissionDenied):
            code = "csrf_failed" if exc.default_code == "csrf_failed" else "forbidden"
        response.data = error_body(code, str(getattr(exc, "detail", exc)))
    return response


class TooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request is too large.")
    default_code = "too_large"


class SmallJsonObjectParser(parsers.JSONParser):
    """A JSON object of at most :attr:`max_bytes` (logging in, changing a password): a longer
    body is refused (``413 too_large``) before it is read, anything but an object is
    ``400 malformed``."""

    max_bytes = 4096

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict[str, Any] | None = None) -> Any:
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if length and length.isdigit() and int(length) > self.max_bytes:
            raise TooLarge()
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise exceptions.ParseError(_("Send a JSON object."))
        return data
