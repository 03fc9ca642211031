"""The words of the consoles' actions (``actions.js``): pausing, resuming, more time, voiding and
messages for a candidate, a room or a whole sitting, and the requests to reopen an attempt.
Handed to the script with the consoles' other words (``#console-text``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def action_text() -> dict[str, str]:
    return {
        # a seat card's "More…" and the list of what applies to the candidate
        "moreActions": pgettext("seat card", "More…"),
        "moreActionsFor": _("More actions for %(name)s (seat %(seat)s)"),
        "actionsTitle": _("%(name)s, seat %(seat)s"),
        "actionPause": _("Pause…"),
        "actionResume": _("Resume…"),
        "actionExtend": _("More time…"),
        "actionMessage": _("Message…"),
        "actionReopen": _("Ask to reopen…"),
        "actionVoid": _("Void…"),
        "nothingApplies": _("No action applies to this candidate now."),
        # the action's dialog: titles
        "pauseTitle": _("Pause %(name)s"),
        "resumeTitle": _("Let %(name)s resume"),
        "extendTitle": _("More time for %(name)s"),
        "messageTitle": _("Message to %(name)s"),
        "reopenTitle": _("Ask the exam board to reopen the attempt of %(name)s"),
        "voidTitle": _("Void the attempt of %(name)s"),
        "roomPauseTitle": _("Pause the whole room"),
        "roomResumeTitle": _("Let the whole room resume"),
        "roomMessageTitle": _("Message every candidate of the room"),
        "sittingPauseTitle": _("Pause every room of the sitting"),
        "sittingResumeTitle": _("Let every room of the sitting resume"),
        "sittingMessageTitle": _("Message every candidate of the sitting"),
        "approveTitle": _("Approve reopening the attempt of %(name)s"),
        "refuseTitle": _("Refuse reopening the attempt of %(name)s"),
        # the action's dialog: what it does
        "pauseHint": _("Their clock stops and the time left is kept; their page says so at once."),
        "groupPauseHint": _("Every candidate answering now stops: their clocks stop, the time left is kept."),
        "resumeHint": _("Each paused candidate continues with the time they had left."),
        "extendHint": _("The minutes (1 to %(max)s) are added to the time left; it may run past the window's close."),
        "messageHint": _("Shown at once on the exam page of every candidate still working."),
        "reopenHint": _(
            "Only for an attempt the candidate handed in by mistake with time left. Once the exam board "
            "approves, the attempt is paused: resume it when the candidate is back at their seat."
        ),
        "voidWarning": _(
            "Voiding cannot be undone: the attempt counts for nothing and ends now, and its answers are not scored."
        ),
        "approveHint": _(
            "The attempt is paused again with the time it had left when handed in; the room's proctor "
            "resumes it. If it was scored, its result is dropped until it is handed in again."
        ),
        "refuseHint": _("Say why: the room's proctor reads it."),
        # the action's dialog: the field and the button
        "reasonRequired": _("Reason (kept in the room's log)"),
        "reasonOptional": _("Reason (optional, kept in the room's log)"),
        "messageLabel": pgettext("to candidates", "Message"),
        "noteLabel": _("Note for the proctor (optional)"),
        "pauseConfirm": pgettext("action", "Pause"),
        "resumeConfirm": pgettext("action", "Resume"),
        "extendConfirm": _("Give the time"),
        "messageConfirm": pgettext("message", "Send"),
        "reopenConfirm": _("Send the request"),
        "voidConfirm": _("Void the attempt"),
        "approveConfirm": pgettext("reopen", "Approve"),
        "refuseConfirm": pgettext("reopen", "Refuse"),
        # what came of it
        "attemptPaused": _("%(name)s is paused."),
        "attemptResumed": _("%(name)s continues."),
        "groupPaused": _("Candidates paused: %(n)s."),
        "groupResumed": _("Candidates resumed: %(n)s."),
        "alreadyPaused": _("Paused already (by another proctor): %(n)s."),
        "alreadyResumed": _("Resumed already: %(n)s."),
        "extended": _("%(name)s has %(n)s min more: %(left)s left."),
        "voided": _("The attempt of %(name)s is voided."),
        "messageSent": _("Message sent. Candidates it reached: %(n)s."),
        "reopenAsked": _("The request to reopen the attempt of %(name)s is sent to the exam board."),
        "approved": _("Approved: the attempt of %(name)s is paused again; the room's proctor resumes it."),
        "refused": _("Refused: the room's proctor of %(name)s is told."),
        # the requests to reopen
        "reopenWaiting": _("(%(n)s waiting)"),
        "reopenAskedBy": _("asked by %(name)s at %(time)s"),
        "reopenDecided": _("%(status)s by %(name)s at %(time)s"),
        "reopenResumeNow": _("Approved: resume the candidate once they are back at their seat."),
        "reopenApprove": _("Approve…"),
        "reopenRefuse": _("Refuse…"),
    }
