"""Reopening an attempt handed in by mistake (issue 10, point 6): a proctor asks, the exam board
decides; an approved attempt is paused again with the time it had left, its result dropped, and
the room's proctor resumes it. Refusals are clear and change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from assess import services as delivery
from assess import statuses
from assess.models import Attempt, RecordEntry, Result, Sitting
from proctoring.models import Action, ReopenRequest
from tests.factories import logged_in_client, make_department, make_user
from tests.proctoring.test_actions import post, running_room

pytestmark = pytest.mark.django_db


def hand_in(attempt):
    """The candidate hands in (scored once the transaction commits)."""
    token = delivery.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    delivery.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    attempt.refresh_from_db()
    return attempt


def test_a_proctor_asks_the_board_approves_and_the_candidate_resumes_with_the_time_left(
    django_capture_on_commit_callbacks,
):
    room, attempts, [proctor, other] = running_room(n_students=2)
    attempt = attempts[0]
    with django_capture_on_commit_callbacks(execute=True):
        hand_in(attempt)
    attempt.refresh_from_db()
    assert attempt.status == statuses.SCORED and Result.objects.filter(attempt=attempt).exists()
    left = attempt.deadline - attempt.submitted_at

    asked = post(logged_in_client(proctor), f"/api/attempts/{attempt.pk}/reopen/", {"reason": "Bấm nhầm nộp bài"})
    assert asked.status_code == 201, asked.json()
    request = asked.json()
    assert (request["status"], request["reason"], request["room"]) == ("pending", "Bấm nhầm nộp bài", room.pk)
    # The other proctor asks again: told it waits already.
    again = post(logged_in_client(other), f"/api/attempts/{attempt.pk}/reopen/", {"reason": "x"})
    assert again.status_code == 400 and again.json()["error"]["fields"]["attempt"]
    assert ReopenRequest.objects.filter(attempt=attempt).count() == 1

    board = logged_in_client(room.sitting.created_by)
    listed = board.get(f"/api/sittings/{room.sitting_id}/reopen-requests/").json()
    assert listed["pending"] == 1 and listed["results"][0]["id"] == request["id"]
    approved = post(board, f"/api/reopen-requests/{request['id']}/approve/", {"note": "Đồng ý"})
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved" and approved.json()["decided_by"]

    attempt.refresh_from_db()
    assert attempt.status == statuses.PAUSED and attempt.submitted_at is None and attempt.submit_reason == ""
    assert abs(attempt.paused_remaining - left) < timedelta(seconds=1)
    assert not Result.objects.filter(attempt=attempt).exists()
    assert not RecordEntry.objects.filter(attempt=attempt).exists()
    kinds = list(Action.objects.filter(attempt=attempt).values_list("kind", flat=True))
    assert kinds[-2:] == [Action.Kind.REOPEN_REQUEST, Action.Kind.REOPEN]

    # Deciding twice is refused; the proctor resumes, the candidate answers and hands in again.
    twice = post(board, f"/api/reopen-requests/{request['id']}/refuse/", {"note": "x"})
    assert twice.status_code == 400
    assert post(logged_in_client(proctor), f"/api/attempts/{attempt.pk}/resume/").status_code == 200
    attempt.refresh_from_db()
    assert attempt.status == statuses.IN_PROGRESS
    assert abs((attempt.deadline - timezone.now()) - left) < timedelta(seconds=5)
    with django_capture_on_commit_callbacks(execute=True):
        token = delivery.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
        delivery.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    assert Attempt.objects.get(pk=attempt.pk).status == statuses.SCORED
    assert Result.objects.filter(attempt=attempt).exists()


def test_the_board_refuses_and_nothing_changes():
    room, attempts, [proctor, _] = running_room(n_students=1)
    attempt = hand_in(attempts[0])
    status_before = attempt.status
    request = post(logged_in_client(proctor), f"/api/attempts/{attempt.pk}/reopen/", {"reason": "Nhầm"}).json()
    board = logged_in_client(room.sitting.created_by)
    refused = post(board, f"/api/reopen-requests/{request['id']}/refuse/", {"note": "Không có căn cứ"})
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert Attempt.objects.get(pk=attempt.pk).status == status_before
    assert Action.objects.filter(attempt=attempt, kind=Action.Kind.REOPEN_REFUSED, reason="Không có căn cứ").exists()


def test_what_cannot_be_reopened_is_refused_clearly():
    room, attempts, [proctor, _] = running_room(n_students=3)
    client = logged_in_client(proctor)
    # Still answering.
    response = post(client, f"/api/attempts/{attempts[0].pk}/reopen/", {"reason": "x"})
    assert response.status_code == 400 and response.json()["error"]["fields"]["attempt"]
    # Handed in by the server when time was up.
    expired = attempts[1]
    Attempt.objects.filter(pk=expired.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    delivery.attempt_expire(attempt_id=expired.pk)
    response = post(client, f"/api/attempts/{expired.pk}/reopen/", {"reason": "x"})
    assert response.status_code == 400
    # A reason is needed; results released; the window closed.
    done = hand_in(attempts[2])
    assert post(client, f"/api/attempts/{done.pk}/reopen/", {"reason": " "}).status_code == 400
    Sitting.objects.filter(pk=room.sitting_id).update(released_at=timezone.now())
    assert post(client, f"/api/attempts/{done.pk}/reopen/", {"reason": "x"}).status_code == 400
    Sitting.objects.filter(pk=room.sitting_id).update(released_at=None, closes_at=timezone.now())
    assert post(client, f"/api/attempts/{done.pk}/reopen/", {"reason": "x"}).status_code == 400
    assert not ReopenRequest.objects.exists()


def test_an_approval_that_can_no_longer_be_carried_out_leaves_the_request_pending():
    room, attempts, [proctor, _] = running_room(n_students=1)
    attempt = hand_in(attempts[0])
    request = post(logged_in_client(proctor), f"/api/attempts/{attempt.pk}/reopen/", {"reason": "Nhầm"}).json()
    Sitting.objects.filter(pk=room.sitting_id).update(closes_at=timezone.now())
    board = logged_in_client(room.sitting.created_by)
    response = post(board, f"/api/reopen-requests/{request['id']}/approve/")
    assert response.status_code == 400
    assert ReopenRequest.objects.get(pk=request["id"]).status == ReopenRequest.Status.PENDING
    assert Attempt.objects.get(pk=attempt.pk).status in statuses.FINISHED


def test_who_may_ask_see_and_decide():
    room, attempts, [proctor, _] = running_room(n_students=1)
    attempt = hand_in(attempts[0])
    school = room.sitting.organisation
    stranger = make_user(Role.PROCTOR, school)  # a proctor of the school, not of this room
    teacher = make_user(Role.TEACHER, school)
    for person, expected in ((stranger, 404), (teacher, 403), (attempt.student, 403)):
        response = post(logged_in_client(person), f"/api/attempts/{attempt.pk}/reopen/", {"reason": "x"})
        assert response.status_code == expected, (person.role, response.json())
    request = post(logged_in_client(proctor), f"/api/attempts/{attempt.pk}/reopen/", {"reason": "Nhầm"}).json()
    # Proctors see their rooms' requests, never decide; for a proctor of none of its rooms the sitting does not exist.
    assert logged_in_client(proctor).get(f"/api/sittings/{room.sitting_id}/reopen-requests/").json()["pending"] == 1
    assert logged_in_client(stranger).get(f"/api/sittings/{room.sitting_id}/reopen-requests/").status_code == 404
    assert logged_in_client(teacher).get(f"/api/sittings/{room.sitting_id}/reopen-requests/").status_code == 403
    assert post(logged_in_client(proctor), f"/api/reopen-requests/{request['id']}/approve/").status_code == 403
    other_board = make_user(Role.BOARD, make_department())  # another organisation's board
    assert post(logged_in_client(other_board), f"/api/reopen-requests/{request['id']}/approve/").status_code == 404
    assert ReopenRequest.objects.get(pk=request["id"]).status == ReopenRequest.Status.PENDING


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_candidates_page_hears_the_reopening():
    from channels.db import database_sync_to_async

    from tests.assess.test_consumer import connect, receive_type

    room, attempts, [proctor, _] = await database_sync_to_async(running_room)(1)
    student = attempts[0].student
    attempt = await database_sync_to_async(hand_in)(attempts[0])
    ws, ok, _ = await connect(attempt.pk, student)
    assert ok
    assert (await receive_type(ws, "state"))["status"] in statuses.FINISHED

    board = await database_sync_to_async(lambda: room.sitting.created_by)()

    def reopen():
        from proctoring import services

        request = services.reopen_request(by=proctor, attempt_id=attempt.pk, reason="Nhầm")
        services.reopen_decide(by=board, request_id=request.pk, approve=True)

    await database_sync_to_async(reopen)()
    state = await receive_type(ws, "state")
    assert state["status"] == statuses.PAUSED
    await ws.disconnect()
