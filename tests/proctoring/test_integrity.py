"""Integrity events (issue 10, point 7): what the exam page reports, strictly parsed; what the
server sees itself (a second session, a new address); counted per attempt with a cap on the rows
kept; the sitting's thresholds raising one incident each; the board setting them."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role
from assess import events, presence, protocol
from assess import services as delivery
from assess.models import Attempt
from proctoring import integrity
from proctoring.models import AttemptIntegrity, Incident, IntegrityEvent, IntegrityPolicy
from tests.assess.test_consumer import connect, receive_type
from tests.factories import logged_in_client, make_department, make_user
from tests.proctoring.test_actions import running_room
from tests.proctoring.test_check_in import placed

pytestmark = pytest.mark.django_db


# --- the message ------------------------------------------------------------------------------------


def test_the_page_reports_five_kinds_and_focus_loss_carries_its_duration():
    assert protocol.parse({"type": "integrity", "kind": "focus_loss", "duration_ms": 4200}) == protocol.Integrity(
        "focus_loss", 4200
    )
    for kind in ("fullscreen_exit", "copy", "paste", "context_menu"):
        assert protocol.parse({"type": "integrity", "kind": kind}) == protocol.Integrity(kind)


@pytest.mark.parametrize(
    "content",
    [
        {"type": "integrity"},
        {"type": "integrity", "kind": "second_session"},  # the server's to see, never the client's
        {"type": "integrity", "kind": "ip_change"},
        {"type": "integrity", "kind": "FOCUS_LOSS", "duration_ms": 1},
        {"type": "integrity", "kind": ["copy"]},
        {"type": "integrity", "kind": "focus_loss"},
        {"type": "integrity", "kind": "focus_loss", "duration_ms": -1},
        {"type": "integrity", "kind": "focus_loss", "duration_ms": 1.5},
        {"type": "integrity", "kind": "focus_loss", "duration_ms": True},
        {"type": "integrity", "kind": "focus_loss", "duration_ms": "100"},
        {"type": "integrity", "kind": "focus_loss", "duration_ms": protocol.MAX_FOCUS_LOSS_MS + 1},
        {"type": "integrity", "kind": "copy", "duration_ms": 10},
        {"type": "integrity", "kind": "paste", "text": "the clipboard"},
    ],
)
def test_a_bad_integrity_message_is_refused_with_a_stable_code(content):
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.parse(content)
    assert refused.value.code == "invalid_field"


_VALUES = st.one_of(
    st.sampled_from([*protocol.INTEGRITY_KINDS, "ip_change", None, True]),
    st.integers(min_value=-10, max_value=protocol.MAX_FOCUS_LOSS_MS + 10),
    st.floats(allow_nan=False),
    st.text(max_size=8),
)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.dictionaries(st.sampled_from(["kind", "duration_ms", "seq", "x"]), _VALUES, max_size=3))
def test_any_integrity_message_either_parses_within_its_bounds_or_is_refused(content):
    content["type"] = "integrity"
    try:
        message = protocol.parse(content)
    except protocol.ProtocolError as exc:
        assert exc.code in ("invalid_field", "invalid_value")  # invalid_value: a NUL or lone surrogate anywhere
        return
    assert isinstance(message, protocol.Integrity) and message.kind in protocol.INTEGRITY_KINDS
    if message.kind == "focus_loss":
        assert type(message.duration_ms) is int and 0 <= message.duration_ms <= protocol.MAX_FOCUS_LOSS_MS
    else:
        assert message.duration_ms is None and set(content) == {"type", "kind"}


# --- counting -------------------------------------------------------------------------------------


def report(attempt: Attempt, token, content: dict) -> list[dict]:
    reply = delivery.attempt_message(
        attempt_id=attempt.pk, user=attempt.student, token=token, message=protocol.parse(content)
    )
    return [message.json() for message in reply.messages]


def connected(attempt: Attempt, **where):
    return delivery.attempt_connect(attempt_id=attempt.pk, user=attempt.student, **where).token


def test_reports_count_only_while_the_attempt_is_under_way_and_each_gets_a_reply():
    room, [attempt, *_], _proctors = placed(n_students=1, networks=())
    token = connected(attempt)
    assert report(attempt, token, {"type": "integrity", "kind": "copy"}) == [{"type": "noted", "kind": "copy"}]
    assert not AttemptIntegrity.objects.filter(attempt=attempt).exists()  # not started: not counted
    room, [attempt, *_], _proctors = running_room(n_students=1)
    token = connected(attempt)
    report(attempt, token, {"type": "integrity", "kind": "copy"})
    report(attempt, token, {"type": "integrity", "kind": "focus_loss", "duration_ms": 1500})
    state = AttemptIntegrity.objects.get(attempt=attempt)
    assert state.counts == {"copy": 1, "focus_loss": 1} and state.focus_ms == 1500
    # An old window's report is refused: it no longer owns the attempt.
    connected(attempt)
    (error,) = report(attempt, token, {"type": "integrity", "kind": "paste"})
    assert error["code"] == "superseded"
    assert AttemptIntegrity.objects.get(attempt=attempt).counts == {"copy": 1, "focus_loss": 1}


def test_a_flood_is_counted_in_one_row_and_keeps_only_the_first_rows_of_a_kind():
    room, [attempt, *_], _proctors = running_room(n_students=1)
    IntegrityPolicy.objects.create(sitting_id=room.sitting_id, context_menu_times=0)
    token = connected(attempt)
    for _n in range(integrity.MAX_ROWS_PER_KIND + 15):
        report(attempt, token, {"type": "integrity", "kind": "context_menu"})
    assert IntegrityEvent.objects.filter(attempt=attempt).count() == integrity.MAX_ROWS_PER_KIND
    assert AttemptIntegrity.objects.get(attempt=attempt).counts == {"context_menu": integrity.MAX_ROWS_PER_KIND + 15}
    assert not Incident.objects.exists()  # the board turned that threshold off


# --- thresholds -------------------------------------------------------------------------------------


def test_three_focus_losses_raise_exactly_one_incident_and_sixty_seconds_another():
    room, [attempt, other, _], _proctors = running_room()
    token = connected(attempt)
    focus = {"type": "integrity", "kind": "focus_loss", "duration_ms": 2000}
    report(attempt, token, focus)
    report(attempt, token, focus)
    assert not Incident.objects.exists()
    report(attempt, token, focus)
    (incident,) = Incident.objects.all()
    assert (incident.kind, incident.attempt, incident.room, incident.status) == ("integrity", attempt, room, "open")
    assert incident.detail == {"threshold": "focus_loss_times", "count": 3, "limit": 3}
    assert incident.reported_by is None and incident.time_lost == 0
    for _n in range(5):
        report(attempt, token, focus)
    assert Incident.objects.count() == 1  # once per threshold
    report(attempt, token, {**focus, "duration_ms": 60_000})
    assert [i.detail["threshold"] for i in Incident.objects.order_by("pk")] == [
        "focus_loss_times",
        "focus_loss_seconds",
    ]
    assert not Incident.objects.filter(attempt=other).exists()
    assert "3" in integrity.threshold_text(incident.detail)


def test_the_board_sets_the_thresholds_and_zero_turns_one_off():
    room, [attempt, *_], [proctor, _] = running_room(n_students=1)
    board = logged_in_client(room.sitting.created_by)
    path = f"/api/sittings/{room.sitting_id}/integrity-policy/"
    defaults = board.get(path).json()
    assert defaults["default"] is True and defaults["focus_loss_times"] == 3 and defaults["ip_change_times"] == 1
    response = board.put(path, {"copy_paste_times": 1, "focus_loss_times": 0}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["copy_paste_times"] == 1 and response.json()["default"] is False
    assert response.json()["focus_loss_seconds"] == 60  # the others kept
    for body in ({"copy_paste_times": -1}, {"focus_loss_seconds": 36_001}, {"copy_paste_times": "x"}):
        assert board.put(path, body, content_type="application/json").status_code == 400
    token = connected(attempt)
    for _n in range(4):
        report(attempt, token, {"type": "integrity", "kind": "focus_loss", "duration_ms": 10})
    assert not Incident.objects.exists()
    report(attempt, token, {"type": "integrity", "kind": "paste"})
    assert [i.detail["threshold"] for i in Incident.objects.all()] == ["copy_paste_times"]
    # Who may not: a proctor, a teacher, a student (403); another organisation's board (404).
    assert logged_in_client(proctor).get(path).status_code == 403
    for role in (Role.TEACHER, Role.STUDENT):
        assert logged_in_client(make_user(role, room.sitting.organisation)).get(path).status_code == 403
    stranger = logged_in_client(make_user(Role.BOARD, make_department("Sở khác")))
    assert stranger.get(path).status_code == 404
    assert stranger.put(path, {"copy_paste_times": 9}, content_type="application/json").status_code == 404
    assert IntegrityPolicy.objects.get(sitting_id=room.sitting_id).copy_paste_times == 1


# --- what the server sees -----------------------------------------------------------------------------


def live(attempt: Attempt, token) -> None:
    """The presence store says ``token``'s connection is open (as the consumer writes it)."""
    presence.note(
        events.Presence(
            attempt=attempt.pk,
            sitting=attempt.sitting_id,
            room=attempt.room_id,
            connected=True,
            token=str(token),
            ip="10.0.0.1",
            at=events.stamp(timezone.now()),
        )
    )


def test_a_second_session_is_an_open_connection_taken_over_by_another_login():
    room, [attempt, *_], _proctors = running_room(n_students=1)
    first = connected(attempt, address="10.0.0.1", session_key="session-a")
    live(attempt, first)
    # The same browser again (a reload, a second tab): not a second session.
    again = connected(attempt, address="10.0.0.1", session_key="session-a")
    assert not IntegrityEvent.objects.exists()
    live(attempt, again)
    # Another login while it is open: a second session, and an alert.
    connected(attempt, address="10.0.0.1", session_key="session-b")
    (event,) = IntegrityEvent.objects.all()
    assert (event.kind, event.address) == ("second_session", "10.0.0.1")
    (incident,) = Incident.objects.all()
    assert incident.detail["threshold"] == "second_session_times"
    # The old connection is gone (a PC that failed): logging in elsewhere is no second session.
    presence.note(
        events.Presence(
            attempt=attempt.pk,
            sitting=attempt.sitting_id,
            room=room.pk,
            connected=False,
            token=str(Attempt.objects.get(pk=attempt.pk).connection_token),
            ip=None,
            at=events.stamp(timezone.now()),
        )
    )
    connected(attempt, address="10.0.0.1", session_key="session-c")
    assert IntegrityEvent.objects.count() == 1


def test_a_new_address_is_noted_by_the_server_once_the_attempt_is_under_way():
    room, [attempt, *_], [proctor, _] = placed(n_students=1, networks=())
    connected(attempt, address="192.168.1.20", session_key="s")  # at home, before the exam
    connected(attempt, address="10.0.0.7", session_key="s")  # in the lab: not started, not counted
    assert not IntegrityEvent.objects.exists()
    assert AttemptIntegrity.objects.get(attempt=attempt).last_address == "10.0.0.7"
    from proctoring import services

    services.attempt_check_in(by=proctor, attempt_id=attempt.pk)
    services.room_open(by=proctor, sitting_room_id=room.pk, together=True)
    connected(attempt, address="10.0.0.7", session_key="s")
    assert not IntegrityEvent.objects.exists()
    connected(attempt, address="10.0.0.8", session_key="s")
    (event,) = IntegrityEvent.objects.all()
    assert (event.kind, event.detail) == ("ip_change", {"from": "10.0.0.7", "to": "10.0.0.8"})
    (incident,) = Incident.objects.all()
    assert incident.detail == {"threshold": "ip_change_times", "count": 1, "limit": 1}
    assert AttemptIntegrity.objects.get(attempt=attempt).last_session == integrity.session_digest("s") != "s"


def test_a_candidates_integrity_events_are_read_by_the_rooms_proctors_only():
    room, [attempt, *_], [proctor, _] = running_room(n_students=1)
    token = connected(attempt)
    report(attempt, token, {"type": "integrity", "kind": "focus_loss", "duration_ms": 700})
    path = f"/api/attempts/{attempt.pk}/integrity/"
    body = logged_in_client(proctor).get(path).json()
    assert body["counts"] == {"focus_loss": 1} and body["focus_ms"] == 700
    assert [e["kind"] for e in body["events"]] == ["focus_loss"]
    assert logged_in_client(make_user(Role.PROCTOR, room.sitting.organisation)).get(path).status_code == 404
    assert logged_in_client(attempt.student).get(path).status_code == 403


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_page_reports_through_its_websocket_and_the_console_hears_it():
    from tests.proctoring.test_console_events import Console

    room, [attempt, *_], _proctors = await database_sync_to_async(running_room)(1)
    watching = await database_sync_to_async(Console)(room.sitting_id, room.pk)
    ws, ok, _ = await connect(attempt.pk, attempt.student)
    assert ok
    await receive_type(ws, "state")
    await ws.send_json_to({"type": "integrity", "kind": "focus_loss", "duration_ms": 3000})
    assert await receive_type(ws, "noted") == {"type": "noted", "kind": "focus_loss"}
    await ws.send_json_to({"type": "integrity", "kind": "ip_change"})
    assert (await receive_type(ws, "error"))["code"] == "invalid_field"
    heard = await database_sync_to_async(watching.assert_fresh)()
    assert [e.kind for e in heard] == ["presence", "integrity"]
    row = watching.view["attempts"][str(attempt.pk)]
    assert row["integrity"] == {"counts": {"focus_loss": 1}, "focus_ms": 3000}
    await ws.disconnect()
