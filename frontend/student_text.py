"""The words of the student's scripts, translated on the server: the dashboard's
(``student.js``, in ``#student-text``) and the exam runner's (``exam.js``, in ``#runner-text``).

The scripts hold no words of their own.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def student_text() -> dict[str, str]:
    return {
        "error": _("Error"),
        "networkError": _("The server cannot be reached. Check the connection and try again."),
        "preparing": _("Preparing a new attempt…"),
    }


def runner_text() -> dict[str, str]:
    """The exam runner's messages."""
    return {
        "connected": _("Connected"),
        "connecting": _("Connecting…"),
        "offline": _("Connection lost, reconnecting… Your saved answers are safe."),
        "saving": _("Saving…"),
        "saved": _("All answers saved"),
        "question": _("Question"),
        "check": _("Check my answer"),
        "checkAnswerFirst": _("Answer the question before checking it."),
        "correctAnswer": _("Correct answer"),
        "fb_correct": _("Right"),
        "fb_partial": _("Partly right"),
        "fb_incorrect": _("Not right"),
        "fb_unanswered": _("Not answered"),
        "fb_invalid": _("Not right"),
        "fb_pending": _("Marked by your teacher later"),
        "trueShort": pgettext("true/false key", "T"),
        "falseShort": pgettext("true/false key", "F"),
        "flag": _("Mark for review"),
        "clear": _("Clear answer"),
        # A question's state, in the palette's accessible names and the review before submitting.
        "stateAnswered": pgettext("question state", "answered"),
        "stateUnanswered": pgettext("question state", "not answered"),
        "stateFlagged": pgettext("question state", "flagged"),
        "stateUnsaved": pgettext("question state", "not saved yet"),
        # Beside each question: a change of it waits for the server's acknowledgement, or none does.
        "itemUnsaved": pgettext("question state", "Not saved yet"),
        "itemSaved": pgettext("question state", "Saved"),
        # Neither IndexedDB nor localStorage keeps the changes (journal.js): only the open page does.
        "journalLost": _(
            "This browser cannot keep your answers if the page closes. Keep this page open until every answer is saved."
        ),
        "submitting": _("Handing in… Your exam is submitted as soon as every answer is saved."),
        "reason_student": _("You submitted the exam."),
        "reason_deadline": _("Time ran out: the server submitted your exam with every saved answer."),
        "reason_staff": _("The exam was submitted by the staff."),
        "submittedState": _("Submitted"),
        "warn10": _("10 minutes left."),
        "warn5": _("5 minutes left."),
        "receipt": _("Handed in at %(time)s (this computer's clock): %(answered)s of %(total)s questions answered."),
        "fromProctor": _("Message from %(sender)s at %(time)s:"),
        "takenOver": _("This exam was opened in another window or on another computer. This window is closed."),
        "error": _("Error"),
        # Delivery by sections (assess/sections.py).
        "sectionOf": _("Section %(number)s of %(count)s: %(label)s"),
        "sectionTime": _("Time for this section"),
        "nextQuestion": _("Next question"),
        "nextSection": _("Go to the next section"),
        "lastQuestion": _("This is the last question of the section."),
        "linearHint": _("This section goes question by question: once you move on you cannot come back."),
        "noReturnHint": _("Once you leave this section you cannot come back to it."),
        "reviewSection": _("Check this section before you go on"),
        "leaveSection": _("Leave this section now? You cannot come back to it afterwards."),
        "leaveSectionFree": _("Go on to the next section now?"),
        "breakUntil": _("Break: the next section starts in %(time)s."),
    }
