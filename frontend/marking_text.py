"""The words of the marking pages (``board_marking.js``, ``marking_desk.js``), translated on the
server and handed to them in ``#bank-text`` (read through ``bank.js``). Placeholders read
``%(name)s``."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .bank_text import shared_text


def marking_text() -> dict[str, str]:
    return {
        **shared_text(),
        "saved": _("The marking plan is saved."),
        "saving": _("Saving…"),
        "noPlan": _("No marking plan yet: name the markers and save."),
        "summary": _("%(scripts)s scripts: %(open)s to mark, %(adjudication)s to adjudicate, %(done)s marked."),
        "adjudicatorYes": _("Adjudicator"),
        "markerOnly": _("Marker"),
        "removed": _("No longer a marker"),
        "loading": _("Taking the next script…"),
        "nothingLeft": _("Nothing left for you to mark in this sitting. Thank you."),
        "round_first": _("First marking"),
        "round_second": _("Second marking (blind: the first mark is not shown)"),
        "round_adjudication": _("Adjudication: the two marks differ by more than the tolerance"),
        "scriptCode": _("Script %(code)s"),
        "outOf": _("out of %(points)s points"),
        "words": _("%(count)s words"),
        "emptyResponse": _("The candidate wrote nothing."),
        "levelPoints": _("%(label)s (%(points)s points)"),
        "givenMarks": _("The marks given"),
        "givenMark": _("%(round)s: %(points)s points"),
        "pointsLabel": _("Points"),
        "marked": _("Marked: %(points)s points."),
        "markedPartly": _("Your mark is saved: the script needs another mark."),
        "claimedUntil": _("On your desk until %(time)s."),
        "released": _("The script is back in the queue."),
    }
