"""The exam websocket through Channels' test client: happy path, takeover, bad input.

Every test drives the real websocket stack (origin check, session auth, routing) and a
file-backed database, as Channels' own tests do.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone

from assess import statuses
from assess.models import Answer, AnswerEvent, Attempt, RecordEntry
from config.asgi import websocket_application
from tests.factories import make_sitting, session_cookie

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

HOST = b"127.0.0.1:8000"  # the host (and port) the browser connected to
ORIGIN = b"http://127.0.0.1:8000"  # the page's origin: same scheme, host and port


async def connect(
    attempt_id: int, user=None, *, origin: bytes | None = ORIGIN, host: bytes | None = HOST, query: str = ""
):
    headers = []
    if host is not None:
        headers.append((b"host", host))
    if origin is not None:
        headers.append((b"origin", origin))
    if user is not None:
        cookie = await database_sync_to_async(session_cookie)(user)
        headers.append((b"cookie", cookie.encode()))
    path = f"/ws/attempts/{attempt_id}/" + (f"?{query}" if query else "")
    communicator = WebsocketCommunicator(websocket_application, path, headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def receive(communicator, timeout: float = 3) -> dict:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def receive_type(communicator, kind: str, timeout: float = 3) -> dict:
    """Skip clock messages until the expected type arrives."""
    while True:
        message = await receive(communicator, timeout)
        if message["type"] == kind or message["type"] == "error":
            return message


@database_sync_to_async
def setup_sitting(**kwargs):
    sitting = make_sitting(**kwargs)
    sitting = type(sitting).objects.select_related("organisation").get(pk=sitting.pk)
    attempts = list(sitting.attempts.select_related("student").order_by("pk"))
    keys = {
        fi.position: fi.item_version.content["key"] for fi in attempts[0].form.form_items.select_related("item_version")
    }
    return sitting, attempts, keys


def option(state: dict, item: int, letter: str) -> str:
    """The id shown for option ``letter`` (the author's A-D, in the order shown) of ``item``."""
    return state["items"][item - 1]["options"]["ABCD".index(letter)]["id"]


async def started(attempt):
    communicator, connected, _ = await connect(attempt.pk, attempt.student)
    assert connected
    state = await receive_type(communicator, "state")
    assert state["status"] == "scheduled" and state["items"] == []
    await communicator.send_json_to({"type": "start"})
    state = await receive_type(communicator, "state")
    assert state["status"] == "in_progress"
    return communicator, state


async def test_full_exam_over_the_websocket():
    sitting, attempts, keys = await setup_sitting()
    attempt = attempts[0]
    ws, state = await started(attempt)
    assert len(state["items"]) == 5 and 0 < state["remaining_ms"] <= 45 * 60 * 1000
    assert "key" not in json.dumps(state)
    for seq, item in enumerate([1, 2, 3], start=1):
        await ws.send_json_to({"type": "answer", "seq": seq, "item": item, "value": option(state, item, keys[item])})
        ack = await receive_type(ws, "ack")
        assert ack["seq"] == seq and ack["item"] == item and "duplicate" not in ack
    await ws.send_json_to({"type": "flag", "seq": 4, "item": 5, "flagged": True})
    assert (await receive_type(ws, "ack"))["seq"] == 4
    # The ack came after the commit: the rows are there now.
    assert await database_sync_to_async(AnswerEvent.objects.filter(attempt=attempt).count)() == 4
    await ws.send_json_to({"type": "answer", "seq": 2, "item": 2, "value": option(state, 2, keys[2])})
    assert (await receive_type(ws, "ack"))["duplicate"] is True
    await ws.send_json_to({"type": "submit"})
    submitted = await receive_type(ws, "submitted")
    assert submitted["reason"] == "student"
    await ws.send_json_to({"type": "submit"})  # repeated: answered again, nothing changes
    assert (await receive_type(ws, "submitted"))["reason"] == "student"
    await ws.disconnect()
    attempt = await database_sync_to_async(Attempt.objects.get)(pk=attempt.pk)
    assert attempt.status == statuses.SCORED
    entry = await database_sync_to_async(RecordEntry.objects.get)(attempt=attempt)
    assert str(entry.score) == "6.0"


async def test_reconnect_gets_whole_state_back():
    _, attempts, keys = await setup_sitting()
    attempt = attempts[0]
    ws, shown = await started(attempt)
    await ws.send_json_to({"type": "answer", "seq": 1, "item": 1, "value": option(shown, 1, "B")})
    await receive_type(ws, "ack")
    await ws.send_json_to({"type": "flag", "seq": 2, "item": 4, "flagged": True})
    await receive_type(ws, "ack")
    await ws.disconnect()
    again, connected, _ = await connect(attempt.pk, attempt.student)
    assert connected
    state = await receive_type(again, "state")
    assert state["status"] == "in_progress"
    assert state["answers"] == {"1": option(shown, 1, "B")} and state["flags"] == [4] and state["last_seq"] == 2
    assert len(state["items"]) == 5 and state["remaining_ms"] > 0
    await again.disconnect()


async def test_second_connection_takes_over():
    _, attempts, _ = await setup_sitting()
    attempt = attempts[0]
    first, _ = await started(attempt)
    second, connected, _ = await connect(attempt.pk, attempt.student)
    assert connected
    assert (await receive_type(first, "taken_over"))["type"] == "taken_over"
    assert (await first.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4409}
    state = await receive_type(second, "state")
    answer = {"type": "answer", "seq": state["last_seq"] + 1, "item": 1, "value": option(state, 1, "A")}
    await second.send_json_to(answer)
    assert (await receive_type(second, "ack"))["item"] == 1
    await second.disconnect()


BAD_FRAMES = [
    ("{not json", "malformed"),
    ("[1, 2]", "malformed"),
    ('{"no": "type"}', "malformed"),
    ('{"type": "teleport"}', "unknown_type"),
    ('{"type": "answer", "seq": 0, "item": 1, "value": "A"}', "invalid_field"),
    ('{"type": "answer", "seq": "1", "item": 1, "value": "A"}', "invalid_field"),
    ('{"type": "answer", "seq": 1, "item": 1}', "invalid_field"),
    ('{"type": "answer", "seq": 7, "item": 1, "value": 7}', "invalid_value"),
    ('{"type": "answer", "seq": 1, "item": 1, "value": "A", "extra": 1}', "invalid_field"),
    ('{"type": "answer", "seq": 7, "item": 999, "value": "A"}', "unknown_item"),
    ('{"type": "answer", "seq": 7, "item": 1, "value": "Z"}', "invalid_value"),
    ('{"type": "flag", "seq": 1, "item": 1, "flagged": "yes"}', "invalid_field"),
]


async def test_bad_frames_get_clear_errors_and_lose_nothing():
    _, attempts, _ = await setup_sitting()
    attempt = attempts[0]
    ws, shown = await started(attempt)
    await ws.send_json_to({"type": "answer", "seq": 1, "item": 1, "value": option(shown, 1, "C")})
    await receive_type(ws, "ack")
    for frame, code in BAD_FRAMES:
        await ws.send_to(text_data=frame)
        error = await receive_type(ws, "error")
        assert error["code"] == code, frame
    await ws.send_to(text_data=json.dumps({"type": "sync", "pad": "x" * settings.WS_MAX_MESSAGE_BYTES}))
    assert (await receive_type(ws, "error"))["code"] == "too_large"
    await ws.send_to(bytes_data=b"\x00\x01")
    assert (await receive_type(ws, "error"))["code"] == "malformed"
    # The connection still works and the stored answer is intact.
    await ws.send_json_to({"type": "sync"})
    state = await receive_type(ws, "state")
    assert state["answers"] == {"1": option(shown, 1, "C")} and state["last_seq"] == 1
    await ws.send_json_to({"type": "answer", "seq": 2, "item": 2, "value": option(shown, 2, "D")})
    assert (await receive_type(ws, "ack"))["seq"] == 2
    await ws.disconnect()


async def test_answers_after_submit_and_after_deadline_are_refused():
    _, attempts, _ = await setup_sitting()
    ws, _ = await started(attempts[0])
    await ws.send_json_to({"type": "submit"})
    await receive_type(ws, "submitted")
    await ws.disconnect()

    ws2, _ = await started(attempts[1])
    await database_sync_to_async(Attempt.objects.filter(pk=attempts[1].pk).update)(
        deadline=timezone.now() - timedelta(seconds=1)
    )
    await ws2.send_json_to({"type": "answer", "seq": 1, "item": 1, "value": "A"})
    error = await receive_type(ws2, "error")
    assert error["code"] == "deadline_passed" and error["seq"] == 1
    submitted = await receive_type(ws2, "submitted")
    assert submitted["reason"] == "deadline"
    await ws2.send_json_to({"type": "answer", "seq": 2, "item": 1, "value": "A"})
    assert (await receive_type(ws2, "error"))["code"] == "attempt_closed"
    assert not await database_sync_to_async(Answer.objects.filter(attempt_id=attempts[1].pk).exists)()
    await ws2.disconnect()


async def test_server_submits_at_the_deadline_while_connected():
    _, attempts, _ = await setup_sitting(duration=timedelta(seconds=2))
    ws, state = await started(attempts[0])
    assert state["remaining_ms"] <= 2000
    submitted = await receive_type(ws, "submitted", timeout=6)
    assert submitted["reason"] == "deadline"
    await ws.disconnect()
    # Scoring runs right after the broadcast (eagerly here): wait for it, boundedly.
    for _ in range(50):
        attempt = await database_sync_to_async(Attempt.objects.get)(pk=attempts[0].pk)
        if attempt.status == statuses.SCORED:
            break
        await asyncio.sleep(0.1)
    assert attempt.status == statuses.SCORED and attempt.submit_reason == "deadline"


async def test_another_students_attempt_is_forbidden():
    _, attempts, _ = await setup_sitting()
    ws, connected, _ = await connect(attempts[0].pk, attempts[1].student)
    assert connected
    assert (await receive(ws))["code"] == "forbidden"
    assert (await ws.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4403}


async def test_anonymous_and_unknown_attempts():
    _, attempts, _ = await setup_sitting()
    ws, connected, _ = await connect(attempts[0].pk, None)
    assert connected
    assert (await receive(ws))["code"] == "not_authenticated"
    assert (await ws.receive_output(timeout=3))["code"] == 4401
    ws, connected, _ = await connect(999_999, attempts[0].student)
    assert (await receive(ws))["code"] == "not_found"
    assert (await ws.receive_output(timeout=3))["code"] == 4404


async def test_a_password_that_must_be_changed_opens_no_exam():
    """A first or reset password is changed before anything else, the exam included."""
    _, attempts, _ = await setup_sitting()
    student = attempts[0].student
    student.must_change_password = True
    await database_sync_to_async(student.save)(update_fields=["must_change_password"])
    ws, connected, _ = await connect(attempts[0].pk, student)
    assert connected
    assert (await receive(ws))["code"] == "password_change_required"
    assert (await ws.receive_output(timeout=3))["code"] == 4401
    assert not await database_sync_to_async(AnswerEvent.objects.filter(attempt=attempts[0]).exists)()


@pytest.mark.parametrize(
    "origin",
    [
        b"http://evil.example",
        b"http://127.0.0.1:9999",  # a page on another port of the same host
        b"https://127.0.0.1:8000",  # another scheme
        b"http://localhost:8000",  # another allowed host: another site all the same
        None,
    ],
)
async def test_an_origin_other_than_the_pages_own_opens_nothing(origin):
    """A page elsewhere (even on another port of the same host) used a student's cookie to read
    the state and write a flag; the handshake is refused now, before any exam code runs."""
    _, attempts, _ = await setup_sitting()
    attempt = attempts[0]
    ws, connected, _ = await connect(attempt.pk, attempt.student, origin=origin)
    if connected:  # what the attack did
        await receive_type(ws, "state")
        await ws.send_json_to({"type": "flag", "seq": 1, "item": 1, "flagged": True})
        await ws.receive_from(timeout=3)
        await ws.disconnect()
    assert not connected
    assert not await database_sync_to_async(AnswerEvent.objects.filter(attempt=attempt).exists)()
    # The control: the page's own origin, same scheme, host and port, opens it.
    ws, connected, _ = await connect(attempt.pk, attempt.student, origin=ORIGIN)
    assert connected and (await receive_type(ws, "state"))["status"] == "scheduled"
    await ws.disconnect()


async def test_start_outside_the_window_is_refused():
    now = timezone.now()
    _, attempts, _ = await setup_sitting(opens_at=now + timedelta(hours=1), closes_at=now + timedelta(hours=2))
    ws, connected, _ = await connect(attempts[0].pk, attempts[0].student)
    await receive_type(ws, "state")
    await ws.send_json_to({"type": "start"})
    assert (await receive_type(ws, "error"))["code"] == "sitting_not_open"
    await ws.send_json_to({"type": "answer", "seq": 1, "item": 1, "value": "A"})
    assert (await receive_type(ws, "error"))["code"] == "not_started"
    await ws.disconnect()


async def test_unexpected_failure_is_reported_and_the_connection_survives(monkeypatch):
    _, attempts, _ = await setup_sitting()
    ws, state = await started(attempts[0])
    from assess import services

    original = services._record

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_record", broken)
    await ws.send_json_to({"type": "answer", "seq": 1, "item": 1, "value": "A"})
    error = await receive_type(ws, "error")
    assert error == {"type": "error", "code": "server_error", "message": error["message"], "seq": 1}
    monkeypatch.setattr(services, "_record", original)
    await ws.send_json_to({"type": "answer", "seq": 1, "item": 1, "value": option(state, 1, "A")})
    assert (await receive_type(ws, "ack"))["seq"] == 1
    await ws.disconnect()


async def test_pause_and_resume_reach_the_student_at_once():
    from accounts.models import Role
    from assess import services
    from tests.factories import make_user

    sitting, attempts, _ = await setup_sitting()
    ws, shown = await started(attempts[0])
    proctor = await database_sync_to_async(lambda: make_user(Role.PROCTOR, sitting.organisation))()
    await database_sync_to_async(services.attempt_pause)(attempt_id=attempts[0].pk, by=proctor)
    state = await receive_type(ws, "state")
    assert state["status"] == "paused" and state["remaining_ms"] > 0
    await ws.send_json_to({"type": "answer", "seq": 1, "item": 1, "value": "A"})
    assert (await receive_type(ws, "error"))["code"] == "paused"
    await database_sync_to_async(services.attempt_resume)(attempt_id=attempts[0].pk, by=proctor)
    state = await receive_type(ws, "state")
    assert state["status"] == "in_progress"
    await ws.send_json_to({"type": "answer", "seq": 1, "item": 1, "value": option(shown, 1, "A")})
    assert (await receive_type(ws, "ack"))["seq"] == 1
    await ws.disconnect()


async def test_unknown_websocket_path_is_refused_clearly():
    communicator = WebsocketCommunicator(
        websocket_application, "/ws/nothing/", headers=[(b"host", HOST), (b"origin", ORIGIN)]
    )
    connected, _ = await communicator.connect()
    assert connected
    assert (await receive(communicator))["code"] == "not_found"
    assert (await communicator.receive_output(timeout=3))["code"] == 4404


@database_sync_to_async
def practice_attempt():
    """The demo's practice sitting (one item of every type), student01's attempt and item positions."""
    from django.core.management import call_command

    from accounts.models import User
    from assess.management.commands.seed_demo import PRACTICE_TITLE
    from assess.models import Sitting

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    sitting = Sitting.objects.get(title=PRACTICE_TITLE)
    return Attempt.objects.select_related("student").get(
        sitting=sitting, student=User.objects.get(username="student01")
    )


@pytest.mark.parametrize(
    "kind, value",
    [
        ("text_entry", "cos\ud800x"),
        ("essay", "Ta c\u00f3 \udc00"),
        ("text_entry", "cos\x00x"),
        ("essay", "a\x00b"),
    ],
)
async def test_text_that_is_not_unicode_or_holds_nul_is_refused_and_the_attempt_reopens(kind, value):
    """A lone surrogate was acknowledged and stored, and then no state could be encoded any more
    (the attempt could not be reopened); NUL made PostgreSQL's write fail on every retry."""
    attempt = await practice_attempt()
    ws, state = await started(attempt)
    position = next(item["item"] for item in state["items"] if item["type"] == kind)
    # The frame as a browser's JSON.stringify would send it: the bad characters escaped.
    frame = json.dumps({"type": "answer", "seq": 1, "item": position, "value": value})
    await ws.send_to(text_data=frame)
    error = await receive_type(ws, "error")
    assert (error["code"], error["seq"]) == ("invalid_value", 1)
    assert not await database_sync_to_async(AnswerEvent.objects.filter(attempt=attempt).exists)()
    # The seq was not used up, the connection still works, and the attempt reopens with its state.
    await ws.send_json_to({"type": "answer", "seq": 1, "item": position, "value": None})
    assert (await receive_type(ws, "ack"))["seq"] == 1
    await ws.disconnect()
    again, connected, _ = await connect(attempt.pk, attempt.student)
    assert connected
    frame = await again.receive_from(timeout=3)
    frame.encode("utf-8")  # what Daphne does with every text frame it sends
    assert json.loads(frame)["type"] == "state" and json.loads(frame)["last_seq"] == 1
    await again.disconnect()


async def test_frames_are_handled_without_a_hop_to_the_synchronous_thread(monkeypatch):
    """Channels closes stale database connections from its one synchronous thread before each
    message; the exam socket does its database work in its own pool's threads only, and skips
    that hop (assess/consumers.py, ``PoolConsumer``): the answers are stored all the same."""
    import channels.consumer

    hops = []

    async def counted():
        hops.append(1)

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    sitting, attempts, keys = await setup_sitting()
    ws, state = await started(attempts[0])
    for seq, item in enumerate([1, 2, 3], start=1):
        await ws.send_json_to({"type": "answer", "seq": seq, "item": item, "value": option(state, item, keys[item])})
        assert (await receive_type(ws, "ack"))["seq"] == seq
    await ws.disconnect()
    assert hops == []
    assert await database_sync_to_async(Answer.objects.filter(attempt=attempts[0]).count)() == 3


async def test_a_connection_finding_the_channel_layer_busy_is_asked_to_come_back_and_the_next_one_opens(monkeypatch):
    """No channel-layer place within REDIS_POOL_TIMEOUT (a crowd connecting at once): the page
    hears ``busy`` and a 4503 close (it comes back after ``retry_after_ms``), nothing of the attempt is
    touched; the next connection opens as usual."""
    from channels.layers import get_channel_layer

    _, attempts, _ = await setup_sitting()
    attempt = attempts[0]
    layer = get_channel_layer()

    async def no_place(group, channel):
        raise TimeoutError

    with monkeypatch.context() as patched:
        patched.setattr(layer, "group_add", no_place)
        ws, connected, _ = await connect(attempt.pk, attempt.student)
        assert connected
        error = await receive(ws)
        assert error["code"] == "busy" and error["message"]
        assert error["retry_after_ms"] == 5000  # stay away at least this long (BUSY_RETRY_SECONDS)
        assert (await ws.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4503}
    fresh = await database_sync_to_async(Attempt.objects.get)(pk=attempt.pk)
    assert fresh.connection_token is None  # the opening never ran: no takeover, no presence

    ws, connected, _ = await connect(attempt.pk, attempt.student)
    assert connected
    assert (await receive_type(ws, "state"))["status"] == "scheduled"
    await ws.disconnect()
