"""The live console's websocket: who may watch, the snapshot, forwarded events, bad input."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import Role
from config.asgi import websocket_application
from proctoring import services
from tests.assess.test_consumer import HOST, ORIGIN, connect, option, receive_type
from tests.factories import make_user, session_cookie
from tests.proctoring.test_check_in import placed

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def console(path: str, user=None, *, origin: bytes = ORIGIN):
    headers = [(b"host", HOST), (b"origin", origin)]
    if user is not None:
        headers.append((b"cookie", (await database_sync_to_async(session_cookie)(user)).encode()))
    communicator = WebsocketCommunicator(websocket_application, path, headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


async def receive(communicator, timeout: float = 3) -> dict:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def next_event(communicator, kind: str) -> dict:
    while True:
        message = await receive(communicator)
        for event in message.get("events") or [message.get("event")]:  # answers come gathered
            if message["type"] in ("event", "events") and event["kind"] == kind:
                return event


async def test_the_rooms_proctor_gets_the_snapshot_then_every_event_of_the_room():
    room, attempts, [proctor, _] = await database_sync_to_async(placed)(networks=())
    ws, connected = await console(f"/ws/consoles/rooms/{room.pk}/", proctor)
    assert connected
    snapshot = await receive(ws)
    assert snapshot["type"] == "snapshot" and snapshot["room"] == room.pk
    assert set(snapshot["attempts"]) == {str(a.pk) for a in attempts} and snapshot["seen"] == {}
    attempt = attempts[0]
    await database_sync_to_async(services.attempt_check_in)(by=proctor, attempt_id=attempt.pk)
    assert (await next_event(ws, "status"))["status"] == "checked_in"
    await database_sync_to_async(services.room_open)(by=proctor, sitting_room_id=room.pk, together=True)
    assert (await next_event(ws, "status"))["status"] == "in_progress"
    assert (await next_event(ws, "room_opened"))["together"] is True

    candidate, ok, _ = await connect(attempt.pk, attempt.student)
    assert ok
    state = await receive_type(candidate, "state")
    assert (await next_event(ws, "presence"))["connected"] is True
    await candidate.send_json_to({"type": "answer", "seq": 1, "item": 1, "value": option(state, 1, "A")})
    await receive_type(candidate, "ack")
    assert (await next_event(ws, "answer"))["item"] == 1
    await candidate.send_json_to({"type": "ping"})
    await receive_type(candidate, "pong")
    await ws.send_json_to({"type": "seen"})
    seen = await receive(ws)
    assert seen["type"] == "seen" and str(attempt.pk) in seen["seen"]
    await candidate.disconnect()
    assert (await next_event(ws, "presence"))["connected"] is False
    await ws.send_json_to({"type": "snapshot"})
    again = await receive(ws)
    assert again["type"] == "snapshot" and again["attempts"][str(attempt.pk)]["answered"] == [1]
    await ws.send_json_to({"type": "ping"})
    assert (await receive(ws))["type"] == "pong"
    await ws.disconnect()


async def test_a_console_opens_and_follows_its_room_while_the_cache_fails(monkeypatch):
    """The open consoles' marks live in the cache; with the cache down the console still opens,
    and events reach it (a process that cannot read the marks sends to every group)."""
    from django.core.cache import cache

    from assess import events

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    room, attempts, [proctor, _] = await database_sync_to_async(placed)(networks=())
    monkeypatch.setattr(events, "watch", down)
    monkeypatch.setattr(cache, "get_many", down)
    ws, connected = await console(f"/ws/consoles/rooms/{room.pk}/", proctor)
    assert connected
    assert (await receive(ws))["type"] == "snapshot"
    await database_sync_to_async(services.attempt_check_in)(by=proctor, attempt_id=attempts[0].pk)
    event = await next_event(ws, "status")
    assert event["attempt"] == attempts[0].pk and event["status"] == "checked_in"
    await ws.disconnect()


async def test_nobody_else_watches_a_room_and_the_board_watches_the_sitting():
    room, _attempts, [proctor, _] = await database_sync_to_async(placed)()
    organisation = await database_sync_to_async(lambda: room.sitting.organisation)()
    for role in (Role.PROCTOR, Role.TEACHER, Role.STUDENT, Role.SCHOOL_ADMIN):
        stranger = await database_sync_to_async(make_user)(role, organisation)
        ws, connected = await console(f"/ws/consoles/rooms/{room.pk}/", stranger)
        assert connected
        error = await receive(ws)
        assert error["code"] == "forbidden"
        assert (await ws.receive_output(timeout=3))["code"] == 4403
    ws, _ = await console(f"/ws/consoles/sittings/{room.sitting_id}/", proctor)
    assert (await receive(ws))["code"] == "forbidden"
    ws, _ = await console(f"/ws/consoles/rooms/{room.pk + 1000}/", proctor)
    assert (await receive(ws))["code"] == "not_found"
    ws, _ = await console(f"/ws/consoles/rooms/{room.pk}/")
    assert (await receive(ws))["code"] == "not_authenticated"
    board = await database_sync_to_async(lambda: room.sitting.created_by)()
    ws, _ = await console(f"/ws/consoles/sittings/{room.sitting_id}/", board)
    snapshot = await receive(ws)
    assert snapshot["type"] == "snapshot" and snapshot["room"] is None and str(room.pk) in snapshot["rooms"]
    await ws.disconnect()
    ws, connected = await console(f"/ws/consoles/rooms/{room.pk}/", proctor, origin=b"http://evil.example")
    assert not connected


async def test_bad_frames_are_refused_and_a_flood_is_slowed():
    room, _attempts, [proctor, _] = await database_sync_to_async(placed)()
    ws, _ = await console(f"/ws/consoles/rooms/{room.pk}/", proctor)
    await receive(ws)
    for frame in ("not json", "[]", '{"type": "teleport"}'):
        await ws.send_to(text_data=frame)
        assert (await receive(ws))["code"] == "unknown_type"
    codes = []
    for _ in range(20):  # a snapshot costs ten frames: a bucket of 120 holds about a dozen
        await ws.send_json_to({"type": "snapshot"})
        codes.append((await receive(ws)).get("code", "snapshot"))
    assert "rate_limited" in codes and codes[0] == "snapshot"
    await ws.disconnect()


async def test_logging_out_closes_the_console():
    from channels.layers import get_channel_layer

    from accounts import sessions

    room, _attempts, [proctor, _] = await database_sync_to_async(placed)()
    cookie = await database_sync_to_async(session_cookie)(proctor)
    headers = [(b"host", HOST), (b"origin", ORIGIN), (b"cookie", cookie.encode())]
    ws = WebsocketCommunicator(websocket_application, f"/ws/consoles/rooms/{room.pk}/", headers=headers)
    assert (await ws.connect())[0]
    await receive(ws)
    key = cookie.split("sessionid=", 1)[1].split(";", 1)[0]
    await get_channel_layer().group_send(sessions.session_group(key), dict(sessions.SESSION_ENDED))
    assert (await receive(ws))["code"] == "logged_out"
    assert (await ws.receive_output(timeout=3))["code"] == 4401
