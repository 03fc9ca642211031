"""Database ids as they arrive from outside: in a path, a query parameter or a body field.

Every table's id is a 64-bit integer (``BigAutoField``: at most 9,223,372,036,854,775,807) and
SQLite raises ``OverflowError`` for a larger Python int, PostgreSQL a ``DataError`` in some
statements. An id from outside therefore has at most :data:`MAX_ID_DIGITS` digits:

- in a path, the converter ``<id:name>`` (:class:`IdConverter`, registered once for every
  ``urls.py`` and the websocket routes by :func:`register`) matches 1 to 18 digits, so a
  longer one is an unknown address (404) before any view runs;
- in a query parameter or a body field, :class:`IdField` (Django REST framework) or
  :func:`parse_id` refuses anything but a whole number from 1 to :data:`MAX_ID` (400).

Objects named by a code (a subject's ``toan``) are looked up by :class:`CodeRelatedField`,
which refuses text that cannot be a code before it reaches the database (PostgreSQL cannot
even compare a string holding a NUL character).
"""

from __future__ import annotations

import re

from django.urls import register_converter
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

MAX_ID_DIGITS = 18
MAX_ID = 10**MAX_ID_DIGITS - 1
"""The largest id accepted from outside: below the 64-bit limit of every id column."""


class IdConverter:
    """``<id:name>`` in a route: 1 to 18 digits, given to the view as an ``int``."""

    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int | str) -> str:
        return str(int(value))


def register() -> None:
    """Make ``<id:...>`` known to every route (idempotent: ``config`` calls it on import)."""
    from django.urls.converters import get_converters

    if "id" not in get_converters():
        register_converter(IdConverter, "id")


class IdField(serializers.IntegerField):
    """An id in a request: a whole number from 1 to :data:`MAX_ID` (else a field error, 400)."""

    default_error_messages = {
        "invalid": _("An id is a whole number."),
        "min_value": _("An id is a whole number of 1 or more."),
        "max_value": _("No object has an id this large."),
        "max_string_length": _("No object has an id this large."),
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data: object) -> int:
        # Bounds checked here too, not only by the validators: a related field's ``pk_field``
        # converts without validating, and its lookup must never see an overflowing number.
        number = super().to_internal_value(data)
        if number < self.min_value:
            self.fail("min_value")
        if number > self.max_value:
            self.fail("max_value")
        return number


def parse_id(value: str | None) -> int | None:
    """The id written in ``value`` (digits only, 1 to :data:`MAX_ID`), or ``None``."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > MAX_ID_DIGITS:
        return None
    number = int(value)
    return number if number >= 1 else None


CODE = re.compile(r"[-a-zA-Z0-9_]{1,50}")
"""What a code (a ``SlugField``) can be."""


class CodeRelatedField(serializers.SlugRelatedField):
    """An object named by its ``code``; text that cannot be a code is not looked up (400)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def to_internal_value(self, data: object):
        if not isinstance(data, str) or not CODE.fullmatch(data):
            self.fail("invalid")
        return super().to_internal_value(data)
