"""Check-in and start control (issue 10, point 2): a placed candidate starts only once checked in,
with the room open, from its network, with its code; together or each; late arrivals by the
sitting's rule; every refused start kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from assess import protocol, statuses
from assess import services as delivery
from assess.models import Attempt, Sitting
from proctoring import services
from proctoring.models import Action, Refusal, SittingRoom
from tests.assess.test_consumer import connect, receive_type
from tests.factories import logged_in_client, make_sitting, make_user

NETWORK_PC = "10.1.2.9"


def placed(n_students=3, *, late_rule=Sitting.LateRule.FULL_TIME, networks=("10.1.2.0/24",)):
    sitting = make_sitting(n_students=n_students)
    Sitting.objects.filter(pk=sitting.pk).update(late_rule=late_rule)
    school = sitting.organisation
    keeper = make_user(Role.SCHOOL_ADMIN, school)
    room = services.room_save(
        by=keeper,
        organisation_id=school.pk,
        spec=services.RoomSpec(name="P1", rows=2, columns=3, networks=tuple(networks)),
    )
    proctors = [make_user(Role.PROCTOR, school), make_user(Role.PROCTOR, school)]
    services.sitting_place(
        by=sitting.created_by,
        sitting_id=sitting.pk,
        plan=[services.RoomPlan(room_id=room.pk, proctor_ids=tuple(p.pk for p in proctors))],
    )
    sitting_room = SittingRoom.objects.get(sitting=sitting)
    attempts = list(Attempt.objects.filter(sitting=sitting).select_related("student", "sitting__assessment"))
    return sitting_room, attempts, proctors


def start(attempt, *, code="", address=NETWORK_PC) -> list[dict]:
    token = delivery.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    reply = delivery.attempt_message(
        attempt_id=attempt.pk,
        user=attempt.student,
        token=token,
        message=protocol.Start(access_code=code),
        address=address,
    )
    return [message.json() for message in reply.messages]


def codes(reply: list[dict]) -> list[str]:
    return [m.get("code", m["type"]) for m in reply]


@pytest.mark.django_db
def test_a_candidate_starts_only_checked_in_in_an_open_room_from_its_network_with_its_code():
    room, [attempt, *_], [proctor, _] = placed()
    assert codes(start(attempt, code=room.access_code)) == ["not_checked_in"]
    services.attempt_check_in(by=proctor, attempt_id=attempt.pk)
    assert codes(start(attempt, code=room.access_code)) == ["room_not_open"]
    services.room_open(by=proctor, sitting_room_id=room.pk, together=False)
    assert codes(start(attempt, code=room.access_code, address="192.168.0.7")) == ["wrong_network"]
    assert codes(start(attempt, code="000000" if room.access_code != "000000" else "111111")) == ["access_code"]
    assert codes(start(attempt, code=room.access_code.lower() + " ")) == ["state"]
    attempt.refresh_from_db()
    assert attempt.status == statuses.IN_PROGRESS
    assert attempt.deadline - attempt.started_at == attempt.sitting.assessment.duration
    refused = list(Refusal.objects.filter(attempt=attempt).values_list("code", "address"))
    assert refused == [
        ("not_checked_in", NETWORK_PC),
        ("wrong_network", "192.168.0.7"),
        ("access_code", NETWORK_PC),
    ]
    assert list(Action.objects.filter(room=room).values_list("kind", "by")) == [
        (Action.Kind.CHECK_IN, proctor.pk),
        (Action.Kind.OPEN, proctor.pk),
    ]


@pytest.mark.django_db
def test_starting_together_starts_everyone_checked_in_and_a_late_one_ends_with_the_room():
    room, attempts, [proctor, _] = placed(late_rule=Sitting.LateRule.SAME_END)
    first, second, late = attempts
    for attempt in (first, second):
        services.attempt_check_in(by=proctor, attempt_id=attempt.pk)
    opened = services.room_open(by=proctor, sitting_room_id=room.pk, together=True)
    for attempt in (first, second):
        attempt.refresh_from_db()
        assert attempt.status == statuses.IN_PROGRESS and attempt.started_at == opened.opened_at
    late.refresh_from_db()
    assert late.status == statuses.SCHEDULED
    Action.objects.filter(kind=Action.Kind.START_TOGETHER).get(detail={"started": 2})
    # Ten minutes late: checked in, then started on their own; their time ends with the room's.
    SittingRoom.objects.filter(pk=room.pk).update(opened_at=opened.opened_at - timedelta(minutes=10))
    services.attempt_check_in(by=proctor, attempt_id=late.pk)
    assert codes(start(late, code=room.access_code)) == ["state"]
    late.refresh_from_db()
    room.refresh_from_db()
    assert late.deadline == room.opened_at + late.sitting.assessment.duration
    assert late.deadline - late.started_at < late.sitting.assessment.duration


def _checked_in(n_students: int):
    room, attempts, [proctor, _] = placed(n_students=n_students, networks=())
    for attempt in attempts:
        services.attempt_check_in(by=proctor, attempt_id=attempt.pk)
    return room, attempts, proctor


@pytest.mark.django_db
def test_a_room_started_together_gets_each_candidate_s_times_and_audit_in_statements_not_growing_with_it():
    """The proctor's start of a room is a few statements whatever its size (one more for each
    different set of times an accommodation gives), and each candidate gets what a start alone
    would give: the accommodation's times and text size, the transition audited by the proctor."""
    from assess import accommodations
    from assess.accommodations import AccommodationSpec

    counts = []
    for n_students in (3, 6):  # the same three sets of times: two accommodations and the rest
        room, attempts, proctor = _checked_in(n_students)
        first, second = attempts[:2]
        board = first.sitting.created_by
        accommodations.accommodation_create(
            by=board,
            sitting_id=first.sitting_id,
            spec=AccommodationSpec(student=first.student.username, extra_minutes=30),
        )
        accommodations.accommodation_create(
            by=board,
            sitting_id=first.sitting_id,
            spec=AccommodationSpec(student=second.student.username, large_text=True),
        )
        with CaptureQueriesContext(connection) as captured:  # counted, compared below
            services.room_open(by=proctor, sitting_room_id=room.pk, together=True)
        counts.append(len(captured.captured_queries))
        duration = first.sitting.assessment.duration
        for attempt in attempts:
            attempt.refresh_from_db()
            assert attempt.status == statuses.IN_PROGRESS
            transition = attempt.transitions.get(to_status=statuses.IN_PROGRESS)
            assert (transition.from_status, transition.by_id) == (statuses.CHECKED_IN, proctor.pk)
            extra = timedelta(minutes=30) if attempt.pk == first.pk else timedelta(0)
            assert attempt.deadline - attempt.started_at == duration + extra
            assert attempt.large_text == (attempt.pk == second.pk)
    assert counts[0] == counts[1], counts


@pytest.mark.django_db
def test_with_the_full_time_rule_a_late_starter_has_the_whole_duration():
    room, [attempt, *_], [proctor, _] = placed()
    services.room_open(by=proctor, sitting_room_id=room.pk, together=True)
    SittingRoom.objects.filter(pk=room.pk).update(opened_at=timezone.now() - timedelta(minutes=10))
    services.attempt_check_in(by=proctor, attempt_id=attempt.pk)
    assert codes(start(attempt, code=room.access_code)) == ["state"]
    attempt.refresh_from_db()
    assert attempt.deadline - attempt.started_at == attempt.sitting.assessment.duration


@pytest.mark.django_db
def test_a_room_opened_by_one_proctor_is_not_opened_again_by_the_other_who_is_told_by_whom():
    room, _attempts, [first, second] = placed()
    client = logged_in_client(second)
    assert (
        logged_in_client(first)
        .post(f"/api/sitting-rooms/{room.pk}/open/", {"together": True}, content_type="application/json")
        .json()["together"]
    )
    response = client.post(
        f"/api/sitting-rooms/{room.pk}/open/",
        {"together": False},
        content_type="application/json",
    )
    assert response.status_code == 400
    (message,) = response.json()["error"]["fields"]["room"]
    assert message.startswith(first.get_full_name() or first.username) and "(đồng loạt)" in message
    room.refresh_from_db()
    assert room.together and room.opened_by == first


@pytest.mark.django_db
def test_check_in_and_opening_belong_to_the_rooms_proctors_and_the_board():
    room, [attempt, *_], _ = placed()
    stranger = logged_in_client(make_user(Role.PROCTOR, room.sitting.organisation))
    assert stranger.post(f"/api/attempts/{attempt.pk}/check-in/").status_code == 404
    assert (
        stranger.post(
            f"/api/sitting-rooms/{room.pk}/open/", {"together": True}, content_type="application/json"
        ).status_code
        == 404
    )
    for role in (Role.TEACHER, Role.STUDENT, Role.SCHOOL_ADMIN):
        client = logged_in_client(make_user(role, room.sitting.organisation))
        assert client.post(f"/api/attempts/{attempt.pk}/check-in/").status_code == 403
    board = logged_in_client(room.sitting.created_by)
    assert board.post(f"/api/attempts/{attempt.pk}/check-in/").json()["status"] == statuses.CHECKED_IN
    assert board.post(f"/api/attempts/{attempt.pk}/check-in/").status_code == 200  # a repeat: no change
    assert Action.objects.filter(kind=Action.Kind.CHECK_IN).count() == 1


@pytest.mark.django_db
def test_a_started_or_closed_sitting_refuses_what_no_longer_applies():
    room, [attempt, *_], [proctor, _] = placed(networks=())
    services.attempt_check_in(by=proctor, attempt_id=attempt.pk)
    services.room_open(by=proctor, sitting_room_id=room.pk, together=False)
    assert codes(start(attempt, code=room.access_code, address="203.0.113.5")) == ["state"]  # no ranges: anywhere
    response = logged_in_client(proctor).post(f"/api/attempts/{attempt.pk}/check-in/")
    assert response.status_code == 400 and response.json()["error"]["fields"]["attempt"] == [
        "Thí sinh này đã bắt đầu làm bài."
    ]
    room2, [other, *_], [proctor2, _] = placed()
    Sitting.objects.filter(pk=room2.sitting_id).update(
        opens_at=timezone.now() - timedelta(hours=5), closes_at=timezone.now() - timedelta(hours=1)
    )
    response = logged_in_client(proctor2).post(
        f"/api/sitting-rooms/{room2.pk}/open/", {"together": True}, content_type="application/json"
    )
    assert response.status_code == 400 and "sitting" in response.json()["error"]["fields"]


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_waiting_candidates_page_starts_when_the_proctor_starts_the_room_together():
    room, [attempt, *_], [proctor, _] = await database_sync_to_async(placed)()
    ws, connected, _ = await connect(attempt.pk, attempt.student)
    assert connected
    assert (await receive_type(ws, "state"))["status"] == statuses.SCHEDULED
    await ws.send_json_to({"type": "start", "access_code": room.access_code})
    assert (await receive_type(ws, "error"))["code"] == "not_checked_in"
    await database_sync_to_async(services.attempt_check_in)(by=proctor, attempt_id=attempt.pk)
    assert (await receive_type(ws, "state"))["status"] == statuses.CHECKED_IN
    await database_sync_to_async(services.room_open)(by=proctor, sitting_room_id=room.pk, together=True)
    state = await receive_type(ws, "state")
    assert state["status"] == statuses.IN_PROGRESS and state["items"] and state["remaining_ms"] > 0
    await ws.disconnect()
