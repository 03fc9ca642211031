"""The words of the consoles' incidents and integrity (``console.js``, ``incidents.js``), handed to
the scripts with the consoles' other words (``#console-text``), and of the exam page's
``integrity.js`` (none: it says nothing to the candidate)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from proctoring.integrity import THRESHOLDS
from proctoring.models import Incident, IntegrityEvent


def incident_text() -> dict[str, str]:
    words = {
        # a seat card or a row: open incidents, integrity counts
        "incidentsOpen": _("Open incidents: %(n)s (%(kinds)s)"),
        "logIncidentShort": _("Incident…"),
        # the panel
        "incidentsNone": _("No incident so far."),
        "wholeRoom": _("Whole room"),
        "byServer": _("raised by the server"),
        "reportedBy": _("logged by %(name)s at %(time)s"),
        "minutesLost": _("%(n)s min lost"),
        "minutesGiven": _("%(n)s min given back"),
        "decidedBy": _("%(status)s by %(name)s at %(time)s"),
        "confirm": _("Confirm…"),
        "dismiss": _("Dismiss…"),
        "openReport": _("Room report (PDF)"),
        "logged": _("The incident is logged."),
        "dismissed": _("The incident is dismissed."),
        "confirmTitle": _("Confirm the incident"),
        "dismissTitle": _("Dismiss the incident"),
        "confirmHint": _("The minutes confirmed are given back as extra time, at once."),
        "confirmHintRoom": _("The minutes confirmed are given back to every candidate of the room still working."),
        "dismissHint": _("Say why it is dismissed: it goes into the room's report."),
        "whoRoom": _("The whole room"),
    }
    for kind, label in Incident.Kind.choices:
        words[f"incident_kind_{kind}"] = str(label)
    for status, label in Incident.Status.choices:
        words[f"incident_status_{status}"] = str(label)
    for kind, label in IntegrityEvent.Kind.choices:
        words[f"integrity_{kind}"] = str(label)
    for threshold in THRESHOLDS:
        words[f"threshold_{threshold.field}"] = str(threshold.text)
    return words
