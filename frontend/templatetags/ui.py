"""Presentation helpers for the templates."""

from __future__ import annotations

from django import template
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
