"""The exam-day consoles: the rooms a proctor watches (``/proctor/``), one room's console with its
seat map (``/proctor/rooms/<id>/``) and the board's view over every room of a sitting
(``/board/sittings/<id>/console/``).

The pages hold no state of the day: ``console.js`` reads the people from the REST API
(``GET /api/sitting-rooms/<id>/``, ``GET /api/sittings/<id>/rooms/``) and the live state from
the console's websocket (a snapshot, then events: ``proctoring.console``), joined by attempt.
Here only who may open which page, and what the script needs to find its data
(``#console-config``) and its words (``#console-text``, ``console_text``). See
docs/proctoring.md, section 4.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.permissions import BOARD, PROCTORS, page_for
from assess.models import Sitting
from proctoring import services
from proctoring.models import SittingRoom

from .action_text import action_text
from .console_text import console_text
from .incident_text import incident_text

# The console's rhythm (console.js). It asks when each candidate was last heard from every
# SEEN_MS (the cache, not the database), pings every PING_MS, and takes its own connection for
# dead after DEAD_AFTER_MS of silence (a lost network gives no close event for minutes). A
# candidate connected but not heard from for STALE_AFTER_MS shows "no signal": their page pings
# every 10 s (student_views.HEARTBEAT_MS), so 25 s is two missed beats and some slack.
SEEN_MS = 5_000
PING_MS = 10_000
DEAD_AFTER_MS = 25_000
STALE_AFTER_MS = 25_000
# The requests to reopen an attempt are not pushed: the consoles read them again this often.
REOPEN_POLL_MS = 20_000

_ANY = 999_999_999_999_999_999  # an id standing for "{attempt}" while a path is reversed


def _path(name: str, placeholder: str) -> str:
    """The path of ``name`` with ``placeholder`` where its one id goes (the script fills it)."""
    return reverse(name, args=[_ANY]).replace(str(_ANY), placeholder)


def _config(**config: Any) -> dict[str, Any]:
    return {
        "seenMs": SEEN_MS,
        "pingMs": PING_MS,
        "deadAfterMs": DEAD_AFTER_MS,
        "staleAfterMs": STALE_AFTER_MS,
        "timeZone": settings.TIME_ZONE,
        "checkInUrl": _path("api-attempt-check-in", "{attempt}"),
        "seatUrl": _path("api-attempt-seat", "{attempt}"),
        "photoUrl": _path("api-person-photo", "{student}"),
        "roomPageUrl": _path("proctor-room", "{room}"),
        "confirmUrl": _path("api-incident-confirm", "{incident}"),
        "dismissUrl": _path("api-incident-dismiss", "{incident}"),
        "reportUrl": _path("api-sitting-room-report", "{room}"),
        # the actions (actions.js): one candidate's, and deciding a request to reopen
        "attemptPauseUrl": _path("api-attempt-pause", "{attempt}"),
        "attemptResumeUrl": _path("api-attempt-resume", "{attempt}"),
        "attemptExtendUrl": _path("api-attempt-extend", "{attempt}"),
        "attemptVoidUrl": _path("api-attempt-void", "{attempt}"),
        "attemptMessageUrl": _path("api-attempt-message", "{attempt}"),
        "attemptReopenUrl": _path("api-attempt-reopen", "{attempt}"),
        "reopenApproveUrl": _path("api-reopen-approve", "{request}"),
        "reopenRefuseUrl": _path("api-reopen-refuse", "{request}"),
        "maxExtendMinutes": services.MAX_EXTEND_MINUTES,
        "maxMessage": services.MAX_MESSAGE,
        "reopenPollMs": REOPEN_POLL_MS,
        **config,
    }


@page_for(*PROCTORS)
def proctor_rooms(request: HttpRequest) -> HttpResponse:
    """Phòng thi: the rooms one watches (a proctor their own, the board its sittings'), listed by
    ``proctor_rooms.js`` from ``GET /api/sitting-rooms/``."""
    return render(
        request,
        "frontend/proctor_rooms.html",
        {"console_config": _config(listUrl=reverse("api-sitting-room-list")), "console_text": console_text()},
    )


@page_for(*PROCTORS)
def proctor_room(request: HttpRequest, sitting_room_id: int) -> HttpResponse:
    """One room's console: its access code, opening, seat map, check-in and moves, live."""
    try:
        services.console_room(user=request.user, sitting_room_id=sitting_room_id)
    except (ObjectDoesNotExist, PermissionDenied):  # another room's proctor does not learn it exists
        raise Http404 from None
    sitting_room = SittingRoom.objects.select_related("sitting", "room__organisation").get(pk=sitting_room_id)
    return render(
        request,
        "frontend/proctor_room.html",
        {
            "sitting_room": sitting_room,
            "sitting": sitting_room.sitting,
            "console_config": _config(
                kind="room",
                sittingId=sitting_room.sitting_id,
                roomId=sitting_room.pk,
                wsPath=f"/ws/consoles/rooms/{sitting_room.pk}/",
                roomUrl=reverse("api-sitting-room", args=[sitting_room.pk]),
                openUrl=reverse("api-sitting-room-open", args=[sitting_room.pk]),
                incidentsUrl=reverse("api-sitting-room-incidents", args=[sitting_room.pk]),
                groupPauseUrl=reverse("api-sitting-room-pause", args=[sitting_room.pk]),
                groupResumeUrl=reverse("api-sitting-room-resume", args=[sitting_room.pk]),
                groupMessageUrl=reverse("api-sitting-room-message", args=[sitting_room.pk]),
                reopenRequestsUrl=reverse("api-sitting-reopen-requests", args=[sitting_room.sitting_id]),
            ),
            "console_text": {**console_text(), **incident_text(), **action_text()},
        },
    )


@page_for(*BOARD)
def board_console(request: HttpRequest, sitting_id: int) -> HttpResponse:
    """The board's console over every room of an exam sitting: a line per room, a row per candidate."""
    try:
        services.console_sitting(user=request.user, sitting_id=sitting_id)
    except (ObjectDoesNotExist, PermissionDenied):
        raise Http404 from None
    sitting = Sitting.objects.get(pk=sitting_id)
    return render(
        request,
        "frontend/board_console.html",
        {
            "sitting": sitting,
            "console_config": _config(
                kind="sitting",
                sittingId=sitting.pk,
                roomId=None,
                wsPath=f"/ws/consoles/sittings/{sitting.pk}/",
                roomsUrl=reverse("api-sitting-rooms", args=[sitting.pk]),
                groupPauseUrl=reverse("api-sitting-pause", args=[sitting.pk]),
                groupResumeUrl=reverse("api-sitting-resume", args=[sitting.pk]),
                groupMessageUrl=reverse("api-sitting-message", args=[sitting.pk]),
                reopenRequestsUrl=reverse("api-sitting-reopen-requests", args=[sitting.pk]),
            ),
            "console_text": {**console_text(), **incident_text(), **action_text()},
        },
    )
