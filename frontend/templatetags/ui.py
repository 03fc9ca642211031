"""Presentation helpers for the templates."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats
from django.utils.translation import gettext_lazy as _

register = template.Library()

# Attempt statuses are stored and sent untranslated (assess.statuses); people read these.
STATUS_LABELS = {
    "scheduled": _("Not started"),
    "checked_in": _("Checked in"),
    "in_progress": _("In progress"),
    "paused": _("Paused"),
    "submitted": _("Submitted"),
    "scored": _("Scored"),
    "published": _("Published"),
    "voided": _("Voided"),
}


@register.filter
def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


@register.filter
def score(value: object) -> str:
    """A score given as a decimal string (``"7.25"``), in the language's number format with the
    places it has (``7,25`` in Vietnamese); empty for None."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    places = max(0, -int(number.as_tuple().exponent))
    return formats.number_format(number, decimal_pos=places, use_l10n=True)


@register.filter
def get_term(mapping: object, key: object) -> object:
    """``mapping[key]`` in a template (a semester's entries, a label by its value); None if absent."""
    if isinstance(mapping, dict):
        return mapping.get(str(key), mapping.get(key))  # type: ignore[call-overload]
    return None
