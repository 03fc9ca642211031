"""Phòng máy (``/rooms/``): the computer rooms of the schools one oversees, with their seat
maps; and the rooms section of the board's sitting page (splitting an exam sitting over rooms).

The pages hold no data: their scripts (``rooms.js``, ``board_rooms.js``) read and write through
``/api/rooms/`` and ``/api/sittings/<id>/rooms/``, where every check is made
(``proctoring.services``). The views hand them only what the API does not list: the schools
one may add a room to.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Organisation
from accounts.permissions import BOARD, ROOM_KEEPERS, page_for, scope_of
from assess.models import Sitting
from proctoring.models import MAX_COLUMNS, MAX_NETWORKS, MAX_ROWS

from .room_text import board_rooms_text, room_text


def _schools_kept_by(request: HttpRequest) -> list[Organisation]:
    """The schools one may add a room to: those one oversees (an administrator: every one)."""
    scope = scope_of(request.user)
    schools = Organisation.objects.filter(kind=Organisation.Kind.SCHOOL).order_by("name")
    if scope.overseen_ids is not None:
        schools = schools.filter(pk__in=scope.overseen_ids)
    return list(schools[:1000])


@page_for(*ROOM_KEEPERS)
def rooms(request: HttpRequest) -> HttpResponse:
    """The labs list and the form that draws one (rows, columns, then a seat per cell)."""
    schools = _schools_kept_by(request)
    # A school's administrator adds rooms to their own school; whoever oversees several (or
    # sits above the schools, as a department's board) chooses one.
    choose_school = not (len(schools) == 1 and schools[0].pk == request.user.organisation_id)
    return render(
        request,
        "frontend/rooms.html",
        {
            "schools": schools,
            "choose_school": choose_school,
            "max_rows": MAX_ROWS,
            "max_columns": MAX_COLUMNS,
            "bank_config": {
                "chooseSchool": choose_school,
                "maxRows": MAX_ROWS,
                "maxColumns": MAX_COLUMNS,
                "maxNetworks": MAX_NETWORKS,
            },
            "bank_text": room_text(),
        },
    )


def board_rooms_context(request: HttpRequest, sitting: Sitting) -> dict[str, Any]:
    """What the board's sitting page needs for its rooms section: shown for an exam sitting to
    the board (an assignment is not held in rooms; its teacher does not place anyone)."""
    shown = sitting.kind == Sitting.Kind.EXAM and scope_of(request.user).has_role(*BOARD)
    if not shown:
        return {"rooms_section": False}
    return {
        "rooms_section": True,
        "rooms_config": {"sitting": sitting.pk},
        "rooms_text": board_rooms_text(),
    }
