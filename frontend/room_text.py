"""The words of the rooms pages' scripts, translated on the server and handed to them: the
labs page's (``rooms.js``) and the board sitting page's rooms section (``board_rooms.js``).

Both read them from ``#bank-text`` through ``bank.js``; the scripts hold no words of their own.
Placeholders read ``%(name)s``; the scripts fill them in.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from .bank_text import shared_text


def room_text() -> dict[str, str]:
    """The labs page (``rooms.js``): the list, the form and its seat map editor."""
    return {
        **shared_text(),
        "none": "–",
        "noRooms": _("No computer rooms yet."),
        "addRoom": _("Add a room"),
        "editRoom": _("Edit the room %(name)s"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "editNamed": _("Edit %(name)s"),
        "deleteNamed": _("Delete %(name)s"),
        "confirmDelete": _("Delete the room %(name)s?"),
        "deleted": _("Room %(name)s deleted."),
        "saved": _("Room %(name)s saved."),
        "saving": _("Saving…"),
        "fixErrors": _("Not saved: fix the fields marked in red."),
        "name": _("Name of the room"),
        "school": _("School"),
        "size": _("Rows × columns"),
        "capacity": _("Seats for candidates"),
        "spares": _("Spare seats"),
        "networks": _("Network ranges"),
        "anyNetwork": _("any network"),
        "gridSize": _("%(rows)s × %(columns)s"),
        # the seat map editor: a cell cycles seat -> spare seat -> no seat
        "stateSeat": _("seat"),
        "stateSpare": _("spare seat"),
        "stateMissing": _("no seat (aisle)"),
        "cellName": _("%(label)s, %(state)s"),
        "mapCounts": _(
            "Seats for candidates: %(capacity)s · spare seats: %(spares)s · cells without a seat: %(missing)s"
        ),
    }


def board_rooms_text() -> dict[str, str]:
    """The board sitting page's rooms section (``board_rooms.js``): the plan and the seat maps."""
    return {
        **shared_text(),
        "none": "–",
        "chooseRoom": _("Choose a room…"),
        "addProctor": _("Add a proctor…"),
        "noRoomChosen": _("No room chosen yet: add the rooms in the order they fill."),
        "noRoomsToChoose": _("This sitting's schools have no computer rooms yet."),
        "roomFacts": _("%(school)s · seats for candidates: %(capacity)s · spare seats: %(spares)s"),
        "proctorsOf": _("Proctors of %(room)s"),
        "proctorsShort": _("This room needs %(needed)s proctors: %(chosen)s chosen."),
        "removeProctor": _("Remove %(name)s"),
        "moveUp": _("Move %(room)s up"),
        "moveDown": _("Move %(room)s down"),
        "takeOff": _("Take %(room)s off"),
        "up": _("Up"),
        "down": _("Down"),
        "remove": _("Remove"),
        "add": _("Add"),
        "seatsForCandidates": _("Seats for candidates in the chosen rooms: %(seats)s · candidates: %(candidates)s"),
        "tooFewSeats": _("Too few seats: choose more rooms or larger ones."),
        "separateRoom": _("For candidates with a separate room"),
        "separateSeats": _("seats kept for a separate room: %(seats)s · candidates who need one: %(candidates)s"),
        "separateNone": _("Mark a room for the candidates who need a separate room."),
        "separateBadge": _("Separate room"),
        "place": _("Place the candidates"),
        "placeAgain": _("Place the candidates again"),
        "placing": _("Placing the candidates…"),
        "placed": _("Candidates placed."),
        "unplaced": _("Candidates without a seat: %(count)s"),
        "allPlaced": _("Every candidate has a seat."),
        "noRoomsYet": _("The candidates have no rooms yet."),
        "accessCode": _("Room access code"),
        "proctors": _("Proctors"),
        "noProctors": _("no proctor named yet"),
        "roomCount": _("Candidates: %(count)s · seats for candidates: %(capacity)s"),
        "seatMap": _("Seat map of %(room)s"),
        "front": _("Front of the room"),
        "seat": _("Seat"),
        "candidate": _("Candidate"),
        "testCode": _("Test code"),
        "seatTaken": _("%(seat)s: %(name)s, test code %(code)s"),
        "seatFree": _("%(seat)s: free"),
        "seatSpare": _("%(seat)s: spare seat"),
        "spare": _("spare"),
    }
