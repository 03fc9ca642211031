"""Privacy and roles on the exam day (issue 10, point 10): every proctoring endpoint, page and
console websocket, tried by every role. A proctor reaches only their rooms, a board only its
sittings; everyone else is refused (403, or 404 where the row is outside their reach), and a
refused call changes nothing.

The people of one sitting placed over two rooms (A and B): a candidate of room A, a teacher and
the school administrator of the school, the proctor of room A, the proctor of room B, the
sitting's board, and another organisation's board.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import Role
from assess import services as delivery
from assess import statuses
from assess.models import Attempt, AttemptTransition
from config.asgi import websocket_application
from proctoring import incidents, services
from proctoring.models import Action, Incident, ReopenRequest, SittingRoom
from tests.assess.test_consumer import HOST, ORIGIN
from tests.factories import logged_in_client, make_department, make_sitting, make_user, session_cookie

pytestmark = pytest.mark.django_db

ROLES = ("student", "teacher", "school_admin", "proctor_a", "proctor_b", "board", "other_board")
REFUSED = (403, 404)


@dataclass
class World:
    people: dict
    ids: dict


def world() -> World:
    sitting = make_sitting(n_students=4)
    school = sitting.organisation
    keeper = make_user(Role.SCHOOL_ADMIN, school)
    rooms = [
        services.room_save(by=keeper, organisation_id=school.pk, spec=services.RoomSpec(name=name, rows=2, columns=2))
        for name in ("A", "B")
    ]
    proctor_a, proctor_b = make_user(Role.PROCTOR, school), make_user(Role.PROCTOR, school)
    services.sitting_place(
        by=sitting.created_by,
        sitting_id=sitting.pk,
        plan=[
            services.RoomPlan(room_id=rooms[0].pk, proctor_ids=(proctor_a.pk,)),
            services.RoomPlan(room_id=rooms[1].pk, proctor_ids=(proctor_b.pk,)),
        ],
    )
    room_a = SittingRoom.objects.get(sitting=sitting, room=rooms[0])
    in_a = list(Attempt.objects.filter(room=room_a).select_related("student").order_by("pk"))
    assert len(in_a) >= 2
    for attempt in in_a:
        services.attempt_check_in(by=proctor_a, attempt_id=attempt.pk)
    services.room_open(by=proctor_a, sitting_room_id=room_a.pk, together=True)
    working, done = in_a[0], in_a[1]
    token = delivery.attempt_connect(attempt_id=done.pk, user=done.student).token
    delivery.attempt_submit(attempt_id=done.pk, user=done.student, token=token)
    incident = incidents.incident_log(
        by=proctor_a, kind=Incident.Kind.PC_FAILURE, time_lost=3, description="Máy treo", attempt_id=working.pk
    )
    request = services.reopen_request(by=proctor_a, attempt_id=done.pk, reason="Bấm nhầm")
    people = {
        "student": working.student,
        "teacher": make_user(Role.TEACHER, school),
        "school_admin": keeper,
        "proctor_a": proctor_a,
        "proctor_b": proctor_b,
        "board": sitting.created_by,
        "other_board": make_user(Role.BOARD, make_department()),
    }
    ids = {
        "sitting": sitting.pk,
        "lab": rooms[0].pk,
        "sr": room_a.pk,
        "attempt": working.pk,
        "done": done.pk,
        "incident": incident.pk,
        "request": request.pk,
    }
    return World(people, ids)


BOARD_ONLY = {"board"}
ROOM_A = {"proctor_a", "board"}
KEEPERS = {"school_admin", "board", "other_board"}  # labs: each their own (checked below)

# (method, path, body, who may): every other role is refused.
ENDPOINTS = [
    ("GET", "/api/rooms/", None, KEEPERS),
    ("GET", "/api/rooms/{lab}/", None, {"school_admin", "board"}),
    ("GET", "/api/sittings/{sitting}/rooms/", None, BOARD_ONLY),
    ("GET", "/api/sittings/{sitting}/console/", None, BOARD_ONLY),
    ("GET", "/api/sitting-rooms/{sr}/", None, ROOM_A),
    ("GET", "/api/sitting-rooms/{sr}/console/", None, ROOM_A),
    ("POST", "/api/sitting-rooms/{sr}/open/", {"together": False}, ROOM_A),
    ("POST", "/api/attempts/{attempt}/seat/", {"seat": "B2", "reason": "x"}, ROOM_A),
    ("POST", "/api/attempts/{attempt}/check-in/", {}, ROOM_A),
    ("POST", "/api/attempts/{attempt}/pause/", {"reason": "x"}, ROOM_A),
    ("POST", "/api/attempts/{attempt}/resume/", {}, ROOM_A),
    ("POST", "/api/attempts/{attempt}/extend/", {"minutes": 1, "reason": "x"}, ROOM_A),
    ("POST", "/api/attempts/{attempt}/void/", {"reason": "x"}, ROOM_A),
    ("POST", "/api/attempts/{attempt}/message/", {"text": "x"}, ROOM_A),
    ("GET", "/api/attempts/{attempt}/integrity/", None, ROOM_A),
    ("POST", "/api/sitting-rooms/{sr}/pause/", {"reason": "x"}, ROOM_A),
    ("POST", "/api/sitting-rooms/{sr}/resume/", {}, ROOM_A),
    ("POST", "/api/sitting-rooms/{sr}/message/", {"text": "x"}, ROOM_A),
    ("GET", "/api/sitting-rooms/{sr}/log/", None, ROOM_A),
    ("GET", "/api/sitting-rooms/{sr}/incidents/", None, ROOM_A),
    ("POST", "/api/sitting-rooms/{sr}/incidents/", {"kind": "power", "time_lost": 5}, ROOM_A),
    ("GET", "/api/sitting-rooms/{sr}/report.pdf", None, ROOM_A),
    ("POST", "/api/incidents/{incident}/confirm/", {"minutes": 3}, ROOM_A),
    ("POST", "/api/incidents/{incident}/dismiss/", {"note": "x"}, ROOM_A),
    ("POST", "/api/attempts/{done}/reopen/", {"reason": "x"}, ROOM_A),
    ("POST", "/api/sittings/{sitting}/pause/", {"reason": "x"}, BOARD_ONLY),
    ("POST", "/api/sittings/{sitting}/resume/", {}, BOARD_ONLY),
    ("POST", "/api/sittings/{sitting}/message/", {"text": "x"}, BOARD_ONLY),
    ("GET", "/api/sittings/{sitting}/log/", None, BOARD_ONLY),
    ("GET", "/api/sittings/{sitting}/incidents/", None, BOARD_ONLY),
    ("GET", "/api/sittings/{sitting}/integrity-policy/", None, BOARD_ONLY),
    ("PUT", "/api/sittings/{sitting}/integrity-policy/", {"focus_loss_times": 4}, BOARD_ONLY),
    ("GET", "/api/sittings/{sitting}/seb/", None, BOARD_ONLY),
    ("PUT", "/api/sittings/{sitting}/seb/", {"required": False}, BOARD_ONLY),
    ("GET", "/api/sittings/{sitting}/collusion/", None, BOARD_ONLY),
    ("POST", "/api/sittings/{sitting}/collusion/", {}, BOARD_ONLY),
    ("GET", "/api/sittings/{sitting}/accommodations/", None, BOARD_ONLY),
    ("POST", "/api/reopen-requests/{request}/approve/", {}, BOARD_ONLY),
    ("POST", "/api/reopen-requests/{request}/refuse/", {"note": "x"}, BOARD_ONLY),
    # Everyone with a proctor's role gets an answer, but only of their own rooms (checked below).
    ("GET", "/api/sitting-rooms/", None, {"proctor_a", "proctor_b", "board", "other_board"}),
    ("GET", "/api/sittings/{sitting}/reopen-requests/", None, {"proctor_a", "proctor_b", "board"}),
]


def state(w: World) -> tuple:
    """What a refused call must leave as it was."""
    return (
        list(Attempt.objects.filter(sitting_id=w.ids["sitting"]).order_by("pk").values_list("status", "deadline")),
        AttemptTransition.objects.count(),
        Action.objects.count(),
        list(Incident.objects.order_by("pk").values_list("status", "time_lost")),
        list(ReopenRequest.objects.order_by("pk").values_list("status", flat=True)),
        SittingRoom.objects.get(pk=w.ids["sr"]).opened_at,
    )


def call(client, method: str, path: str, body):
    if method == "GET":
        return client.get(path)
    return client.generic(method, path, json.dumps(body or {}), content_type="application/json")


@pytest.mark.parametrize("method, template, body, allowed", ENDPOINTS, ids=[f"{m} {p}" for m, p, *_ in ENDPOINTS])
def test_every_role_on_every_endpoint(method, template, body, allowed):
    w = world()
    path = template.format(**w.ids)
    before = state(w)
    for role in ROLES:
        if role in allowed:
            continue
        response = call(logged_in_client(w.people[role]), method, path, body)
        assert response.status_code in REFUSED, (role, response.status_code, response.content[:300])
        assert state(w) == before, f"{role} changed something with {method} {path}"
    for role in sorted(allowed):
        response = call(logged_in_client(w.people[role]), method, path, body)
        assert response.status_code not in (401, 403, 404) and response.status_code < 500, (
            role,
            response.status_code,
            response.content[:300],
        )
        if template == "/api/sitting-rooms/" and role != "board":
            rooms = [r["id"] for r in response.json()["results"]]
            assert (w.ids["sr"] in rooms) == (role == "proctor_a"), (role, rooms)
        if template.endswith("/reopen-requests/") and role == "proctor_b":
            assert response.json()["results"] == []
        if template == "/api/rooms/":
            labs = [r["id"] for r in response.json()["results"]]
            assert (w.ids["lab"] in labs) == (role != "other_board"), (role, labs)


PAGES = [
    ("/rooms/", KEEPERS),
    ("/proctor/", {"proctor_a", "proctor_b", "board", "other_board"}),
    ("/proctor/rooms/{sr}/", ROOM_A),
    ("/board/sittings/{sitting}/", BOARD_ONLY),
    ("/board/sittings/{sitting}/console/", BOARD_ONLY),
    ("/board/sittings/{sitting}/collusion/", BOARD_ONLY),
    ("/exam/{attempt}/", {"student"}),
]


@pytest.mark.parametrize("template, allowed", PAGES, ids=[p for p, _ in PAGES])
def test_every_role_on_every_page(template, allowed):
    w = world()
    path = template.format(**w.ids)
    for role in ROLES:
        response = logged_in_client(w.people[role]).get(path)
        if role in allowed:
            assert response.status_code == 200, (role, response.status_code)
        else:
            assert response.status_code in (302, *REFUSED), (role, response.status_code)
            if response.status_code == 302:  # a page of another role sends one to one's own home
                assert not response["Location"].startswith(path)


async def open_socket(path: str, user) -> tuple[WebsocketCommunicator, dict]:
    cookie = await database_sync_to_async(session_cookie)(user)
    headers = [(b"host", HOST), (b"origin", ORIGIN), (b"cookie", cookie.encode())]
    communicator = WebsocketCommunicator(websocket_application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    first = json.loads(await communicator.receive_from(timeout=5))
    return communicator, first


SOCKETS = [
    ("/ws/consoles/rooms/{sr}/", ROOM_A, "snapshot"),
    ("/ws/consoles/sittings/{sitting}/", BOARD_ONLY, "snapshot"),
    ("/ws/attempts/{attempt}/", {"student"}, "state"),
]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("template, allowed, first", SOCKETS, ids=[p for p, *_ in SOCKETS])
async def test_every_role_on_every_websocket(template, allowed, first):
    w = await database_sync_to_async(world)()
    path = template.format(**w.ids)
    for role in ROLES:
        socket, message = await open_socket(path, w.people[role])
        if role in allowed:
            assert message["type"] == first, (role, message)
            if first == "snapshot":
                attempts = message["attempts"]
                assert str(w.ids["attempt"]) in attempts
        else:
            assert (message["type"], message["code"]) in {("error", "forbidden"), ("error", "not_found")}, (
                role,
                message,
            )
            assert (await socket.receive_output(timeout=3))["code"] in (4403, 4404)
        await socket.disconnect()


def test_a_room_console_shows_only_its_own_candidates():
    w = world()
    view = logged_in_client(w.people["proctor_a"]).get(f"/api/sitting-rooms/{w.ids['sr']}/console/").json()
    others = set(
        Attempt.objects.filter(sitting_id=w.ids["sitting"]).exclude(room_id=w.ids["sr"]).values_list("pk", flat=True)
    )
    shown = {int(key) for key in view["attempts"]}
    assert shown and not shown & others
    assert Attempt.objects.get(pk=w.ids["attempt"]).status == statuses.IN_PROGRESS
