"""A console's snapshot plus the events that follow it equals a fresh snapshot (after Zulip's
``test_events``): every action of the exam day, through the services and the websocket, is
followed by a console listening on the sitting's channel group, as the live console does.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from accounts.models import Role
from assess import events, protocol, services, sittings, statuses
from assess.models import Attempt
from proctoring import console
from tests.assess.test_consumer import connect, option, receive_type
from tests.factories import make_sitting, make_user

pytestmark = pytest.mark.django_db(transaction=True)


class Console:
    """A console of one sitting: a snapshot, then every event heard on the sitting's group."""

    def __init__(self, sitting_id: int, room_id: int | None = None) -> None:
        self.layer = get_channel_layer()
        self.sitting_id, self.room_id = sitting_id, room_id
        # A plain channel name: read directly, not through a process-local buffer bound to one
        # event loop (each ``async_to_sync`` call runs its own).
        self.channel = f"console.test.{uuid.uuid4().hex}"
        group = events.sitting_group(sitting_id) if room_id is None else events.room_group(room_id)
        events.watch(group)  # as the console's websocket does (tests read marks at every send)
        async_to_sync(self.layer.group_add)(group, self.channel)
        self.view = console.snapshot(sitting_id=sitting_id, room_id=room_id)
        self.heard: list[events.Event] = []

    async def take(self) -> list[events.Event]:
        heard = []
        while True:
            try:
                message = await asyncio.wait_for(self.layer.receive(self.channel), 0.3)
            except TimeoutError:
                return heard
            assert message["type"] in (events.CHANNEL_TYPE, events.BATCH_TYPE), message
            for wire in message.get("events") or [message["event"]]:  # answers come gathered
                heard.append(events.from_wire(json.loads(json.dumps(wire))))  # JSON on the wire

    def catch_up(self) -> list[events.Event]:
        heard = async_to_sync(self.take)()
        for event in heard:
            console.apply(self.view, event)
        self.heard.extend(heard)
        return heard

    def assert_fresh(self, *, stale: bool = False) -> list[events.Event]:
        """Apply what was heard; the view must equal a fresh snapshot (or say it is stale, when
        told to: then the console reads it again)."""
        heard = self.catch_up()
        assert self.view.pop("stale", False) == stale
        if stale:
            self.view = console.snapshot(sitting_id=self.sitting_id, room_id=self.room_id)
        assert self.view == console.snapshot(sitting_id=self.sitting_id, room_id=self.room_id)
        return heard


def said(reply: services.Reply) -> list[protocol.Outgoing]:
    """Send a reply's events as the websocket does after answering; return its messages."""
    for event in reply.events:
        events.send(event)
    return list(reply.messages)


def message(attempt: Attempt, token, content: dict) -> list[protocol.Outgoing]:
    parsed = protocol.parse(content)
    return said(services.attempt_message(attempt_id=attempt.pk, user=attempt.student, token=token, message=parsed))


def test_every_action_of_the_day_reaches_the_console_as_an_event_that_rebuilds_the_snapshot():
    sitting = make_sitting(n_items=4, n_students=3)
    first, second, third = sitting.attempts.select_related("student").order_by("pk")
    proctor = make_user(Role.PROCTOR, sitting.organisation)
    watching = Console(sitting.pk)
    assert watching.view["attempts"][str(first.pk)]["status"] == statuses.SCHEDULED

    tokens = {}
    for attempt in (first, second, third):
        connected = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student)
        tokens[attempt.pk] = connected.token
        for event in connected.events:
            events.send(event)
        state = message(attempt, connected.token, {"type": "start"})[-1]
        assert isinstance(state, protocol.State) and state.content["status"] == statuses.IN_PROGRESS
    heard = watching.assert_fresh()
    assert [e.kind for e in heard] == ["status"] * 3  # takeovers are for the candidate only
    assert {e.connection for e in heard} == {str(token) for token in tokens.values()}

    ids = {p: option(_state(first), p, "A") for p in (1, 2, 3)}
    token = tokens[first.pk]
    steps = [
        ({"type": "answer", "seq": 1, "item": 1, "value": ids[1]}, {"answered": [1], "flagged": []}),
        ({"type": "answer", "seq": 2, "item": 1, "value": option(_state(first), 1, "B")}, {"answered": [1]}),
        ({"type": "answer", "seq": 4, "item": 2, "value": ids[2]}, {"answered": [1, 2]}),
        ({"type": "flag", "seq": 5, "item": 3, "flagged": True}, {"answered": [1, 2], "flagged": [3]}),
        ({"type": "answer", "seq": 6, "item": 1, "value": None}, {"answered": [2], "flagged": [3]}),
        ({"type": "flag", "seq": 7, "item": 3, "flagged": False}, {"flagged": []}),
    ]
    for content, expected in steps:
        (ack,) = message(first, token, content)
        assert isinstance(ack, protocol.Ack) and not ack.duplicate
        heard = watching.assert_fresh()
        assert [e.kind for e in heard] == ["answer"]
        row = watching.view["attempts"][str(first.pk)]
        assert {key: row[key] for key in expected} == expected
    # An older change of item 2 arriving late is stored in the history but changes nothing shown.
    (ack,) = message(first, token, {"type": "answer", "seq": 3, "item": 2, "value": option(_state(first), 2, "C")})
    assert isinstance(ack, protocol.Ack)
    assert watching.assert_fresh() == []
    # A replay is acknowledged again and announced nowhere.
    (ack,) = message(first, token, {"type": "answer", "seq": 4, "item": 2, "value": ids[2]})
    assert ack.duplicate and watching.assert_fresh() == []

    services.attempt_pause(attempt_id=first.pk, by=proctor, reason="mất điện")
    (heard,) = watching.assert_fresh()
    assert heard.status == statuses.PAUSED and heard.paused_remaining_ms > 0 and heard.connection is None
    (refusal,) = message(first, token, {"type": "answer", "seq": 8, "item": 4, "value": ids[1]})
    assert isinstance(refusal, protocol.Error) and refusal.code == "paused"
    assert watching.assert_fresh() == []
    services.attempt_resume(attempt_id=first.pk, by=proctor)
    (heard,) = watching.assert_fresh()
    assert heard.status == statuses.IN_PROGRESS and heard.deadline

    # Time is up for the second: its late answer is refused and it is handed in, in one go.
    Attempt.objects.filter(pk=second.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    watching.view = console.snapshot(sitting_id=sitting.pk)  # the update above is no service
    late = message(second, tokens[second.pk], {"type": "answer", "seq": 1, "item": 1, "value": ids[1]})
    assert [m.json()["type"] for m in late] == ["error", "submitted"]
    assert late[0].code == "deadline_passed" and late[1] == protocol.Submitted("deadline", statuses.SUBMITTED)
    (heard,) = watching.assert_fresh()
    assert heard.status == statuses.SUBMITTED and heard.submit_reason == "deadline"

    # The third is handed in by the sweeper; the first by the student (then scored at once).
    Attempt.objects.filter(pk=third.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    watching.view = console.snapshot(sitting_id=sitting.pk)
    assert services.attempts_submit_expired() == 1
    assert [e.status for e in watching.assert_fresh()] == [statuses.SUBMITTED]
    (submitted,) = message(first, token, {"type": "submit"})
    assert submitted == protocol.Submitted("student", statuses.SUBMITTED)
    assert [e.status for e in watching.assert_fresh()] == [statuses.SUBMITTED]
    first.refresh_from_db()
    assert first.status == statuses.SCORED  # scored on commit: the day's view is still "handed in"

    sittings.sitting_release(by=sitting.created_by, sitting_id=sitting.pk)
    assert watching.assert_fresh() == []
    assert {row["status"] for row in watching.view["attempts"].values()} == {statuses.SUBMITTED}


def test_placing_and_moving_candidates_reach_the_sittings_and_the_rooms_consoles():
    from proctoring import services as proctoring
    from proctoring.models import SittingRoom

    sitting = make_sitting(n_students=4)
    school = sitting.organisation
    keeper = make_user(Role.SCHOOL_ADMIN, school)
    rooms = [
        proctoring.room_save(
            by=keeper, organisation_id=school.pk, spec=proctoring.RoomSpec(name=name, rows=2, columns=2, spares=("B2",))
        )
        for name in ("P1", "P2")
    ]
    proctor = make_user(Role.PROCTOR, school)
    board = Console(sitting.pk)
    plan = [
        proctoring.RoomPlan(room_id=rooms[0].pk, proctor_ids=(proctor.pk,)),
        proctoring.RoomPlan(room_id=rooms[1].pk),
    ]
    proctoring.sitting_place(by=sitting.created_by, sitting_id=sitting.pk, plan=plan, seed=1)
    assert [e.kind for e in board.assert_fresh(stale=True)] == ["seated"] * 4  # two rooms new to it
    first, second = SittingRoom.objects.filter(sitting=sitting).order_by("room__name")
    in_first = Console(sitting.pk, first.pk)
    in_second = Console(sitting.pk, second.pk)
    assert len(in_first.view["attempts"]) == 3 and len(in_second.view["attempts"]) == 1
    moved = Attempt.objects.filter(room=first).first()
    proctoring.seat_move(by=proctor, attempt_id=moved.pk, reason="Máy hỏng")
    (heard,) = in_first.assert_fresh()
    assert heard.seat == "B2" and in_first.view["attempts"][str(moved.pk)]["seat"]["label"] == "B2"
    board.assert_fresh()
    assert in_second.assert_fresh() == []
    # Placed again before check-in, a candidate may change rooms: the old room drops them, the
    # new one reads itself again.
    plan.reverse()
    proctoring.sitting_place(by=sitting.created_by, sitting_id=sitting.pk, plan=plan, seed=2)
    board.assert_fresh()
    in_first.assert_fresh(stale=True)  # two candidates of the second room came in
    in_second.assert_fresh(stale=True)


def test_a_cancelled_sitting_voids_every_attempt_on_the_console():
    sitting = make_sitting(n_students=3)
    watching = Console(sitting.pk)
    sittings.sitting_cancel(by=sitting.created_by, sitting_id=sitting.pk, reason="Bão")
    heard = watching.assert_fresh()
    assert sorted(e.attempt for e in heard) == sorted(int(key) for key in watching.view["attempts"])
    assert {row["status"] for row in watching.view["attempts"].values()} == {statuses.VOIDED}


def test_a_rolled_back_action_announces_nothing():
    sitting = make_sitting()
    attempt = sitting.attempts.select_related("student").first()
    watching = Console(sitting.pk)
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    message(attempt, token, {"type": "start"})
    watching.assert_fresh()
    # Refusals roll back: nothing is told.
    (error,) = message(attempt, token, {"type": "answer", "seq": 1, "item": 99, "value": "x"})
    assert error.code == "unknown_item"
    (error,) = message(attempt, token, {"type": "start", "access_code": "X"})  # a repeat: a no-op
    assert isinstance(error, protocol.State)
    assert watching.assert_fresh() == []


def _state(attempt: Attempt) -> dict:
    from assess import selectors

    return selectors.attempt_state(attempt.pk)


@pytest.mark.asyncio
async def test_the_candidates_connection_its_answers_and_its_leaving_reach_the_console_through_the_websocket():
    sitting = await database_sync_to_async(make_sitting)(n_students=1)
    attempt = await database_sync_to_async(lambda: sitting.attempts.select_related("student").get())()
    watching = await database_sync_to_async(Console)(sitting.pk)
    ws, connected, _ = await connect(attempt.pk, attempt.student)
    assert connected
    await receive_type(ws, "state")
    await ws.send_json_to({"type": "start"})
    state = await receive_type(ws, "state")
    await ws.send_json_to({"type": "answer", "seq": 1, "item": 1, "value": option(state, 1, "A")})
    assert (await receive_type(ws, "ack"))["seq"] == 1
    await ws.send_json_to({"type": "flag", "seq": 2, "item": 2, "flagged": True})
    await receive_type(ws, "ack")
    heard = await database_sync_to_async(watching.assert_fresh)()
    assert [e.kind for e in heard] == ["presence", "status", "answer", "answer"]
    row = watching.view["attempts"][str(attempt.pk)]
    assert row["connection"]["connected"] and row["answered"] == [1] and row["flagged"] == [2]

    # A second window takes over: the candidate stays connected when the first one goes (a
    # connection that stepped down is no longer the candidate's: its leaving is not news). It is
    # another login session while the first was open: a second session, raising an alert.
    ws2, connected, _ = await connect(attempt.pk, attempt.student)
    assert connected
    assert (await receive_type(ws, "taken_over"))["type"] == "taken_over"
    await receive_type(ws2, "state")
    await ws.wait()
    heard = await database_sync_to_async(watching.assert_fresh)()
    assert [e.kind for e in heard] == ["incident", "integrity", "presence"]
    assert heard[-1].connected and heard[1].counts == {"second_session": 1}
    assert watching.view["attempts"][str(attempt.pk)]["incidents"] == {"open": 1, "kinds": ["integrity"]}
    assert watching.view["attempts"][str(attempt.pk)]["connection"]["connected"]
    await ws2.disconnect()
    heard = await database_sync_to_async(watching.assert_fresh)()
    assert [(e.kind, e.connected) for e in heard] == [("presence", False)]
    assert watching.view["attempts"][str(attempt.pk)]["connection"]["connected"] is False


def test_check_in_and_starting_a_room_together_reach_its_console():
    from proctoring import services as proctoring
    from tests.proctoring.test_check_in import placed

    room, attempts, [proctor, _] = placed()
    in_room, board = Console(room.sitting_id, room.pk), Console(room.sitting_id)
    for attempt in attempts[:2]:
        proctoring.attempt_check_in(by=proctor, attempt_id=attempt.pk)
    assert [e.status for e in in_room.assert_fresh()] == [statuses.CHECKED_IN] * 2
    proctoring.room_open(by=proctor, sitting_room_id=room.pk, together=True)
    heard = in_room.assert_fresh()
    assert [e.kind for e in heard] == ["status", "status", "room_opened"]
    assert in_room.view["rooms"][str(room.pk)]["together"] is True
    board.assert_fresh()


def test_pausing_extending_and_voiding_reach_the_console():
    from proctoring import services as proctoring
    from tests.proctoring.test_actions import running_room

    room, [first, second, _third], [proctor, _] = running_room()
    in_room = Console(room.sitting_id, room.pk)
    proctoring.pause(by=proctor, target=proctoring.Target(sitting_room_id=room.pk), reason="Mất điện")
    assert {e.status for e in in_room.assert_fresh()} == {statuses.PAUSED}
    proctoring.extend(by=proctor, attempt_id=first.pk, minutes=5, reason="Mất điện")
    (heard,) = in_room.assert_fresh()
    assert heard.paused_remaining_ms > 5 * 60 * 1000
    proctoring.resume(by=proctor, target=proctoring.Target(sitting_room_id=room.pk))
    assert {e.status for e in in_room.assert_fresh()} == {statuses.IN_PROGRESS}
    proctoring.void(by=proctor, attempt_id=second.pk, reason="Gian lận")
    assert [e.status for e in in_room.assert_fresh()] == [statuses.VOIDED]
    proctoring.message(by=proctor, target=proctoring.Target(sitting_room_id=room.pk), text="Còn 5 phút")
    assert in_room.assert_fresh() == []  # messages are for the candidates; the log keeps them


def test_integrity_events_and_incidents_reach_the_rooms_and_the_sittings_consoles():
    from proctoring import incidents
    from tests.proctoring.test_actions import running_room

    room, [first, second, _third], [proctor, _] = running_room()
    in_room, board = Console(room.sitting_id, room.pk), Console(room.sitting_id)
    connected = services.attempt_connect(attempt_id=first.pk, user=first.student)
    for event in connected.events:
        events.send(event)
    for _n in range(3):
        (noted,) = message(first, connected.token, {"type": "integrity", "kind": "focus_loss", "duration_ms": 1500})
        assert noted == protocol.Noted("focus_loss")
    heard = in_room.assert_fresh()
    assert [e.kind for e in heard] == ["integrity", "integrity", "incident", "integrity"]
    row = in_room.view["attempts"][str(first.pk)]
    assert row["integrity"] == {"counts": {"focus_loss": 3}, "focus_ms": 4500}
    assert row["incidents"] == {"open": 1, "kinds": ["integrity"]}
    alert = next(e for e in heard if e.kind == "incident").incident
    assert alert["detail"] == {"threshold": "focus_loss_times", "count": 3, "limit": 3} and alert["reported_by"] is None

    illness = incidents.incident_log(by=proctor, attempt_id=first.pk, kind="illness", time_lost=3, description="Sốt")
    power = incidents.incident_log(
        by=proctor, sitting_room_id=room.pk, kind="power", time_lost=5, description="Mất điện"
    )
    assert [e.kind for e in in_room.assert_fresh()] == ["incident", "incident"]
    assert in_room.view["attempts"][str(first.pk)]["incidents"] == {"open": 2, "kinds": ["illness", "integrity"]}
    assert in_room.view["incidents"][str(power.pk)]["attempt"] is None
    incidents.incident_confirm(by=proctor, incident_id=power.pk)
    heard = in_room.assert_fresh()
    assert sorted(e.kind for e in heard) == ["incident"] + ["status"] * 3  # every candidate got 5 minutes
    assert in_room.view["incidents"][str(power.pk)]["minutes_given"] == 5
    incidents.incident_dismiss(by=proctor, incident_id=alert["id"], note="Cửa sổ thông báo của máy")
    incidents.incident_confirm(by=proctor, incident_id=illness.pk, minutes=2)
    in_room.assert_fresh()
    assert in_room.view["attempts"][str(first.pk)]["incidents"] == {"open": 0, "kinds": []}
    assert in_room.view["attempts"][str(second.pk)]["incidents"] == {"open": 0, "kinds": []}
    board.assert_fresh()
    assert {i["status"] for i in board.view["incidents"].values()} == {"confirmed", "dismissed"}
