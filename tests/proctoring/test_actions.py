"""Proctors' actions on the day (issue 10, point 6): pause and resume a candidate, a room or the
sitting; give more time with a reason; void; send messages; each audited and pushed; two
proctors at once: one wins, the other is told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async

from accounts.models import Role
from assess import statuses
from assess.models import Attempt, AttemptTransition, RecordEntry
from proctoring import services
from proctoring.models import Action, Refusal
from tests.assess.test_consumer import connect, receive_type
from tests.factories import logged_in_client, make_user
from tests.proctoring.test_check_in import placed, start

pytestmark = pytest.mark.django_db


def running_room(n_students=3):
    """A placed sitting whose room was started together: everyone answering."""
    room, attempts, proctors = placed(n_students=n_students, networks=())
    for attempt in attempts:
        services.attempt_check_in(by=proctors[0], attempt_id=attempt.pk)
    services.room_open(by=proctors[0], sitting_room_id=room.pk, together=True)
    for attempt in attempts:
        attempt.refresh_from_db(fields=["status", "started_at", "deadline"])
    return room, attempts, proctors


def post(client, path, body=None):
    return client.post(path, body or {}, content_type="application/json")


def test_a_proctor_pauses_and_resumes_the_room_and_each_keeps_their_time():
    room, attempts, [first, second] = running_room()
    client = logged_in_client(first)
    response = post(client, f"/api/sitting-rooms/{room.pk}/pause/", {"reason": "Mất điện"})
    assert response.status_code == 200
    assert sorted(response.json()["changed"]) == sorted(a.pk for a in attempts)
    held = {a.pk: a.paused_remaining for a in Attempt.objects.filter(room=room)}
    assert set(Attempt.objects.filter(room=room).values_list("status", flat=True)) == {statuses.PAUSED}
    # The other proctor presses pause a moment later: nothing changes and they are told who did it.
    response = post(logged_in_client(second), f"/api/sitting-rooms/{room.pk}/pause/", {"reason": "Mất điện"})
    assert response.status_code == 400
    (told,) = response.json()["error"]["fields"]["attempt"]
    assert (first.get_full_name() or first.username) in told
    assert Refusal.objects.filter(user=second, code="nothing_to_do").exists()
    assert post(client, f"/api/sitting-rooms/{room.pk}/resume/").json()["changed"]
    for attempt in Attempt.objects.filter(room=room):
        assert attempt.status == statuses.IN_PROGRESS
        assert abs((attempt.deadline - attempt.updated_at) - held[attempt.pk]) < timedelta(seconds=2)
    kinds = list(Action.objects.filter(room=room).values_list("kind", "by", "reason"))
    assert (Action.Kind.PAUSE, first.pk, "Mất điện") in kinds and (Action.Kind.RESUME, first.pk, "") in kinds


def test_a_pause_needs_a_reason_and_nothing_to_do_is_said():
    room, attempts, [proctor, _] = running_room(n_students=1)
    client = logged_in_client(proctor)
    response = post(client, f"/api/attempts/{attempts[0].pk}/pause/")
    assert response.status_code == 400 and "reason" in response.json()["error"]["fields"]
    response = post(client, f"/api/attempts/{attempts[0].pk}/resume/")
    assert response.status_code == 400 and response.json()["error"]["fields"]["attempt"]
    assert Attempt.objects.get(pk=attempts[0].pk).status == statuses.IN_PROGRESS


def test_the_board_pauses_the_whole_sitting_and_a_proctor_may_not():
    room, attempts, [proctor, _] = running_room()
    sitting_id = room.sitting_id
    assert post(logged_in_client(proctor), f"/api/sittings/{sitting_id}/pause/", {"reason": "x"}).status_code == 403
    board = logged_in_client(room.sitting.created_by)
    response = post(board, f"/api/sittings/{sitting_id}/pause/", {"reason": "Sự cố mạng toàn điểm thi"})
    assert len(response.json()["changed"]) == len(attempts)
    assert post(board, f"/api/sittings/{sitting_id}/resume/").status_code == 200
    log = board.get(f"/api/sittings/{sitting_id}/log/").json()
    assert [a["kind"] for a in log["actions"]][-2:] == ["pause", "resume"]
    assert log["actions"][-2]["reason"] == "Sự cố mạng toàn điểm thi"


def test_five_minutes_given_back_move_the_deadline_and_reach_the_page():
    room, [attempt, *_], [proctor, _] = running_room()
    client = logged_in_client(proctor)
    before = Attempt.objects.get(pk=attempt.pk).deadline
    response = post(client, f"/api/attempts/{attempt.pk}/extend/", {"minutes": 5, "reason": "Máy treo 5 phút"})
    assert response.status_code == 200
    after = Attempt.objects.get(pk=attempt.pk).deadline
    assert after - before == timedelta(minutes=5)
    for body in ({"minutes": 0, "reason": "x"}, {"minutes": 121, "reason": "x"}, {"minutes": 5}):
        assert post(client, f"/api/attempts/{attempt.pk}/extend/", body).status_code == 400
    # Paused, the time held grows instead.
    post(client, f"/api/attempts/{attempt.pk}/pause/", {"reason": "Ốm"})
    held = Attempt.objects.get(pk=attempt.pk).paused_remaining
    post(client, f"/api/attempts/{attempt.pk}/extend/", {"minutes": 3, "reason": "Ốm"})
    assert Attempt.objects.get(pk=attempt.pk).paused_remaining - held == timedelta(minutes=3)
    log = client.get(f"/api/sitting-rooms/{room.pk}/log/").json()["actions"]
    assert [(a["kind"], a["detail"].get("minutes")) for a in log if a["kind"] == "extend"] == [
        ("extend", 5),
        ("extend", 3),
    ]


def test_voiding_ends_the_attempt_with_its_reason_and_a_finished_one_gets_no_time():
    room, [attempt, other, _], [proctor, _] = running_room()
    client = logged_in_client(proctor)
    assert post(client, f"/api/attempts/{attempt.pk}/void/", {"reason": ""}).status_code == 400
    response = post(client, f"/api/attempts/{attempt.pk}/void/", {"reason": "Sử dụng tài liệu"})
    assert response.json()["status"] == statuses.VOIDED
    transition = AttemptTransition.objects.get(attempt=attempt, to_status=statuses.VOIDED)
    assert (transition.by, transition.reason) == (proctor, "Sử dụng tài liệu")
    assert post(client, f"/api/attempts/{attempt.pk}/extend/", {"minutes": 5, "reason": "x"}).status_code == 400
    assert not RecordEntry.objects.filter(attempt=attempt).exists()
    assert post(client, f"/api/attempts/{attempt.pk}/void/", {"reason": "again"}).status_code == 200  # a no-op
    assert AttemptTransition.objects.filter(attempt=attempt, to_status=statuses.VOIDED).count() == 1
    assert Attempt.objects.get(pk=other.pk).status == statuses.IN_PROGRESS


def test_who_may_act_on_a_candidate():
    room, [attempt, *_], _proctors = running_room(n_students=1)
    stranger = logged_in_client(make_user(Role.PROCTOR, room.sitting.organisation))
    for path in ("pause", "resume", "void", "message"):
        assert post(stranger, f"/api/attempts/{attempt.pk}/{path}/", {"reason": "x", "text": "x"}).status_code == 404
    assert post(stranger, f"/api/sitting-rooms/{room.pk}/pause/", {"reason": "x"}).status_code == 404
    assert stranger.get(f"/api/sitting-rooms/{room.pk}/log/").status_code == 404
    for role in (Role.TEACHER, Role.STUDENT, Role.SCHOOL_ADMIN):
        client = logged_in_client(make_user(role, room.sitting.organisation))
        assert post(client, f"/api/attempts/{attempt.pk}/pause/", {"reason": "x"}).status_code == 403
    # The services check again, whoever calls them.
    from django.core.exceptions import PermissionDenied

    outsider = make_user(Role.PROCTOR, room.sitting.organisation)
    with pytest.raises(PermissionDenied):
        services.pause(by=outsider, target=services.Target(attempt_id=attempt.pk), reason="x")
    from assess import services as delivery

    with pytest.raises(PermissionDenied):
        delivery.attempt_pause(attempt_id=attempt.pk, by=outsider)


def test_a_message_must_say_something_and_is_kept_in_the_log():
    room, attempts, [proctor, _] = running_room()
    client = logged_in_client(proctor)
    assert post(client, f"/api/sitting-rooms/{room.pk}/message/", {"text": " "}).status_code == 400
    assert post(client, f"/api/sitting-rooms/{room.pk}/message/", {"text": "x" * 501}).status_code == 400
    response = post(client, f"/api/sitting-rooms/{room.pk}/message/", {"text": "Còn 15 phút."})
    assert response.json()["sent"] == len(attempts)
    (logged,) = Action.objects.filter(kind=Action.Kind.MESSAGE)
    assert logged.reason == "Còn 15 phút." and sorted(logged.detail["attempts"]) == sorted(a.pk for a in attempts)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_candidates_page_hears_the_pause_the_extra_time_and_the_message_at_once():
    room, [attempt, *_], [proctor, _] = await database_sync_to_async(running_room)(1)
    ws, ok, _ = await connect(attempt.pk, attempt.student)
    assert ok
    state = await receive_type(ws, "state")
    assert state["status"] == statuses.IN_PROGRESS
    target = services.Target(attempt_id=attempt.pk)
    await database_sync_to_async(services.pause)(by=proctor, target=target, reason="Mất điện")
    assert (await receive_type(ws, "state"))["status"] == statuses.PAUSED
    await database_sync_to_async(services.resume)(by=proctor, target=target)
    resumed = await receive_type(ws, "state")
    await database_sync_to_async(services.extend)(by=proctor, attempt_id=attempt.pk, minutes=5, reason="Mất điện")
    extended = await receive_type(ws, "state")
    assert extended["remaining_ms"] - resumed["remaining_ms"] > 4 * 60 * 1000
    await database_sync_to_async(services.message)(by=proctor, target=target, text="Hãy giữ trật tự.")
    notice = await receive_type(ws, "notice")
    assert notice["text"] == "Hãy giữ trật tự." and notice["from"] == (proctor.get_full_name() or proctor.username)
    await database_sync_to_async(services.void)(by=proctor, attempt_id=attempt.pk, reason="Gian lận")
    assert (await receive_type(ws, "submitted"))["status"] == statuses.VOIDED
    await ws.disconnect()


def test_starting_a_placed_candidate_through_the_entry_still_works_after_actions():
    room, [attempt, *_], [proctor, _] = placed(n_students=1, networks=())
    services.attempt_check_in(by=proctor, attempt_id=attempt.pk)
    services.room_open(by=proctor, sitting_room_id=room.pk, together=False)
    assert [m["type"] for m in start(attempt, code=room.access_code)] == ["state"]
