"""The exam websocket's rate limit: a token bucket per student, counted before a frame is read.

Before: one socket pushed about 1,900 messages a second (180 stored answers a second), and a
few sockets sending `sync` as fast as they could slowed every other student's acknowledgements.
Now a frame beyond the student's tokens is refused unread (nothing stored, nothing
acknowledged: an honest client sends it again after `retry_after_ms`), a `sync` costs more,
a connection that goes on sending into refusals is closed with 4429, and reconnecting refills
nothing. The defaults never limit honest use.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from assess.models import AnswerEvent
from tests.assess.test_consumer import connect, option, receive, receive_type, setup_sitting, started

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def small_bucket(settings):
    """20 tokens, one back every 2 s, a state costs 5: connect + start leave 10."""
    settings.WS_RATE_BURST = 20
    settings.WS_RATE_PER_SECOND = 0.5
    settings.WS_RATE_STATE_COST = 5
    return settings


async def connect_with(attempt_id: int, browser):
    from channels.testing import WebsocketCommunicator

    from config.asgi import websocket_application
    from tests.assess.test_consumer import HOST, ORIGIN
    from tests.assess.test_consumer_sessions import cookie_of

    headers = [(b"host", HOST), (b"origin", ORIGIN), (b"cookie", cookie_of(browser).encode())]
    communicator = WebsocketCommunicator(websocket_application, f"/ws/attempts/{attempt_id}/", headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected, None


async def replies(ws, count: int) -> list[dict]:
    """The next ``count`` replies, clock pushes left out."""
    found = []
    while len(found) < count:
        message = await receive(ws)
        if message["type"] != "time":
            found.append(message)
    return found


def stored_seqs(attempt_id: int):
    return database_sync_to_async(
        lambda: sorted(AnswerEvent.objects.filter(attempt_id=attempt_id).values_list("seq", flat=True))
    )()


async def test_a_flood_is_refused_unread_and_nothing_refused_is_stored(small_bucket):
    _, attempts, _ = await setup_sitting()
    attempt = attempts[0]
    ws, state = await started(attempt)
    for seq in range(1, 31):  # as fast as the socket takes them, no waiting for acks
        await ws.send_json_to(
            {
                "type": "answer",
                "seq": seq,
                "item": (seq - 1) % 5 + 1,
                "value": option(state, (seq - 1) % 5 + 1, "ABCD"[seq % 4]),
            }
        )
    answers = await replies(ws, 30)
    acked = [m["seq"] for m in answers if m["type"] == "ack"]
    refused = [m for m in answers if m["type"] == "error"]
    assert 10 <= len(acked) <= 11 and acked == list(range(1, len(acked) + 1))
    assert len(refused) == 30 - len(acked)
    for error in refused:
        # Refused before it was read: no seq to give back, a time to wait.
        assert error["code"] == "rate_limited" and "seq" not in error and error["message"]
        assert 1 <= error["retry_after_ms"] <= 2000
    assert await stored_seqs(attempt.pk) == acked  # the refused ones were not stored

    # An honest client waits as told and sends the refused change again: it is stored.
    await asyncio.sleep(refused[-1]["retry_after_ms"] / 1000)
    await ws.send_json_to({"type": "answer", "seq": 30, "item": 5, "value": option(state, 5, "C")})
    assert (await receive_type(ws, "ack"))["seq"] == 30
    assert (await stored_seqs(attempt.pk))[-1] == 30
    await ws.disconnect()


async def test_a_sync_costs_the_whole_state(small_bucket):
    _, attempts, _ = await setup_sitting()
    ws, state = await started(attempts[0])  # 10 tokens left
    await ws.send_json_to({"type": "sync"})  # 5 of them
    for seq in range(1, 7):
        await ws.send_json_to({"type": "answer", "seq": seq, "item": 1, "value": option(state, 1, "A")})
    kinds = [m["type"] if m["type"] != "error" else m["code"] for m in await replies(ws, 7)]
    assert kinds == ["state"] + ["ack"] * 5 + ["rate_limited"]
    await ws.disconnect()


async def test_sending_on_into_refusals_closes_and_reconnecting_refills_nothing(small_bucket):
    _, attempts, _ = await setup_sitting()
    attempt = attempts[0]
    ws, state = await started(attempt)  # 10 tokens left; 20 refusals allowed
    kinds = []
    for seq in range(1, 32):  # one at a time, each reply read before the next frame goes
        await ws.send_json_to(
            {"type": "answer", "seq": seq, "item": seq % 5 + 1, "value": option(state, seq % 5 + 1, "A")}
        )
        reply = (await replies(ws, 1))[0]
        kinds.append(reply["type"] if reply["type"] != "error" else reply["code"])
    assert kinds[:10] == ["ack"] * 10 and kinds[10:] == ["rate_limited"] * 21, kinds
    # The 21st refusal closed it, telling how long the debt of a burst takes to pay back.
    assert (await ws.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4429}
    assert await stored_seqs(attempt.pk) == list(range(1, 11))
    await ws.disconnect()

    # The tokens are the student's, not the connection's: a new connection, on any server
    # process, finds the debt, and its handshake is refused before it is accepted.
    again, connected, _ = await connect(attempt.pk, attempt.student)
    assert not connected


async def test_a_reconnect_loop_is_turned_away_before_any_database_work(small_bucket):
    from django.contrib.sessions.models import Session

    from tests.assess.test_consumer_sessions import browser_session, open_exam

    _, attempts, _ = await setup_sitting()
    attempt = attempts[0]
    browser = await browser_session(attempt.student)
    ws = await open_exam(attempt.pk, browser)
    await replies(ws, 1)  # the state
    for _ in range(60):  # a flood: closed at once, a burst of debt left
        await ws.send_to(text_data='{"type": "sync"}')
    assert (await replies(ws, 1))[0]["code"] == "rate_limited"
    assert (await ws.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4429}
    await ws.disconnect()
    # The session is gone from the database, yet the next handshake is not told "log in"
    # (accepted, 4401): this process remembers the refusal and never reads the session.
    await database_sync_to_async(Session.objects.all().delete)()
    again, connected, _ = await connect_with(attempt.pk, browser)
    assert not connected


async def test_more_frames_waiting_than_could_ever_be_read_is_a_flood_closed_at_once(small_bucket):
    _, attempts, _ = await setup_sitting()
    attempt = attempts[0]
    ws, state = await started(attempt)  # 10 tokens and 20 refusals: 30 frames at most are answered
    for seq in range(1, 61):  # written at once, as a client flooding the socket does
        await ws.send_to(
            text_data=json.dumps({"type": "answer", "seq": seq, "item": 1, "value": option(state, 1, "A")})
        )
    error = (await replies(ws, 1))[0]
    assert error["code"] == "rate_limited"
    assert error["retry_after_ms"] == 50_000  # a burst of debt plus a connection: 25 tokens at 0.5 a second
    assert (await ws.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4429}
    assert await stored_seqs(attempt.pk) == []
    await ws.disconnect()
    again, connected, _ = await connect(attempt.pk, attempt.student)
    assert not connected


async def test_honest_use_is_never_limited_by_the_defaults(settings):
    """Answer and flag every item of a 40-item form as fast as a browser sends, lose the network,
    come back with all 80 changes unacknowledged and send them again at once: never limited."""
    assert (settings.WS_RATE_BURST, settings.WS_RATE_PER_SECOND, settings.WS_RATE_STATE_COST) == (120, 5, 10)
    _, attempts, _ = await setup_sitting(n_items=40)
    attempt = attempts[0]
    ws, state = await started(attempt)
    changes = []
    for item in range(1, 41):
        changes.append(
            {"type": "answer", "seq": 2 * item - 1, "item": item, "value": option(state, item, "ABCD"[item % 4])}
        )
        changes.append({"type": "flag", "seq": 2 * item, "item": item, "flagged": item % 3 == 0})
    for change in changes[:6]:
        await ws.send_json_to(change)
    assert [m["type"] for m in await replies(ws, 6)] == ["ack"] * 6
    await ws.disconnect()  # the network drops

    ws, connected, _ = await connect(attempt.pk, attempt.student)
    assert connected and (await receive_type(ws, "state"))["last_seq"] == 6
    for change in changes:  # the whole queue again, the first six being replays
        await ws.send_json_to(change)
    answers = await replies(ws, 80)
    assert [m["type"] for m in answers] == ["ack"] * 80, [m for m in answers if m["type"] != "ack"][:3]
    assert await stored_seqs(attempt.pk) == list(range(1, 81))
    await ws.disconnect()


async def test_a_refused_sync_is_told_the_wait_for_the_whole_sync(settings):
    """A sync read and then refused for its extra cost: waiting what the refusal says and sending
    it again gets the state, not another refusal (the frame's own token counts too)."""
    settings.WS_RATE_BURST, settings.WS_RATE_PER_SECOND, settings.WS_RATE_STATE_COST = 20, 2, 5
    _, attempts, _ = await setup_sitting()
    ws, state = await started(attempts[0])  # 10 tokens left
    await ws.send_json_to({"type": "sync"})  # 5 left
    for seq in range(1, 4):  # 2 left
        await ws.send_json_to({"type": "answer", "seq": seq, "item": seq, "value": option(state, seq, "A")})
    await ws.send_json_to({"type": "sync"})  # read (1 left), then refused: it needs 4 more
    answers = await replies(ws, 5)
    assert [m["type"] for m in answers[:4]] == ["state", "ack", "ack", "ack"]
    refusal = answers[4]
    # 4 tokens at 2 a second (less what refilled while the frames before it were handled: the
    # answers' group commit takes its time); without the frame's own token it would be 3 (1,500 ms)
    assert refusal["code"] == "rate_limited" and 1600 <= refusal["retry_after_ms"] <= 2000
    await asyncio.sleep(refusal["retry_after_ms"] / 1000)
    await ws.send_json_to({"type": "sync"})
    assert (await replies(ws, 1))[0]["type"] == "state"
    await ws.disconnect()
