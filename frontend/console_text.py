"""The words of the exam-day consoles' scripts (``console.js``, ``proctor_rooms.js``), translated
on the server and handed to them in ``#console-text``. The scripts hold no words of their own.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def console_text() -> dict[str, str]:
    return {
        # A candidate's state as the console shows it (console.js, derive): each beside its icon.
        "state_not_checked_in": pgettext("candidate state", "Not checked in"),
        "state_checked_in": pgettext("candidate state", "Checked in"),
        "state_waiting": pgettext("candidate state", "Connected, waiting to start"),
        "state_answering": pgettext("candidate state", "Answering"),
        "state_disconnected": pgettext("candidate state", "Disconnected"),
        "state_paused": pgettext("candidate state", "Paused"),
        "state_finished": pgettext("candidate state", "Handed in"),
        "state_voided": pgettext("candidate state", "Voided"),
        "state_unknown": pgettext("candidate state", "Unknown"),
        "noSignal": _("No signal for %(n)s s"),
        "leftAt": _("Disconnected at %(time)s"),
        "notConnected": _("Not connected"),
        "secondsAgo": _("%(n)s s ago"),
        "minutesAgo": _("%(n)s min ago"),
        # the facts of a seat card, and the board's table headings
        "answered": pgettext("console", "Answered"),
        "flagged": pgettext("console", "Flagged"),
        "timeLeft": pgettext("console", "Time left"),
        "heard": pgettext("console", "Last heard"),
        "ip": pgettext("console", "IP address"),
        "room": pgettext("console", "Room"),
        "seat": pgettext("console", "Seat"),
        "name": pgettext("console", "Candidate"),
        "state": pgettext("console", "State"),
        "testCode": _("Code %(code)s"),
        "citizenShort": _("ID card %(id)s"),
        "spare": pgettext("seat", "Spare"),
        "spareFree": _("Spare seat, free"),
        "emptySeat": _("Empty seat"),
        "notPlaced": _("No seat yet"),
        "candidates": _("Candidates: %(n)s"),
        "shown": _("Shown: %(shown)s of %(total)s"),
        # actions
        "checkIn": _("Check in"),
        "checkedIn": _("%(name)s (seat %(seat)s) is checked in."),
        "noPhoto": _("No photo on file: compare the name and the numbers with the identity card."),
        "photoOf": _("Photo of %(name)s"),
        "move": _("Move…"),
        "moveWho": _("%(name)s, now at seat %(seat)s"),
        "moveAuto": _("The best free spare seat (chosen by the server)"),
        "seatSpare": _("%(seat)s (spare)"),
        "moved": _("%(name)s moved to seat %(seat)s."),
        # opening the room
        "notOpen": _("Not open yet: nobody can start."),
        "openedTogether": _("Opened at %(time)s: everyone started together."),
        "openedEach": _("Opened at %(time)s: each candidate starts when ready."),
        "openTogetherTitle": _("Start everyone together?"),
        "openEachTitle": _("Let each candidate start when ready?"),
        "openTogetherWhat": _(
            "Checked in: %(checked)s. They all start now, at once, their time running from now. "
            "Not checked in yet: %(waiting)s; each of them starts later, once checked in. This cannot be undone."
        ),
        "openEachWhat": _(
            "Checked in so far: %(checked)s. The room opens now and each candidate checked in starts when "
            "they type the access code, their time running from their own start. Not checked in yet: "
            "%(waiting)s. This cannot be undone."
        ),
        "openTogether": _("Start everyone together"),
        "openEach": _("Let each start when ready"),
        "openedTogetherDone": _("The room is open: everyone checked in has started."),
        "openedEachDone": _("The room is open: each candidate starts when ready."),
        # the connection
        "connecting": _("Connecting to the room…"),
        "offline": _("Console disconnected — reconnecting… The states shown are not live."),
        "closed": _("The console has stopped. Reload the page."),
        "networkError": _("The server cannot be reached. Check the connection and try again."),
        "notFound": _("There is no such room or sitting."),
        "error": _("Error"),
        # the list of rooms (proctor_rooms.js)
        "openConsole": _("Open the console"),
        "noRooms": _("You are not named for any exam room yet: the exam board names each room's proctors."),
    }
