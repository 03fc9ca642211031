"""Incidents (issue 10, point 8): logged by the room's proctors for a candidate or the whole room
with the time lost; confirmed once (the time given back as extra time, audited and pushed to the
candidate, in the same transaction) or dismissed; who may, at every door."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Role
from assess import statuses
from assess.models import Attempt
from proctoring import incidents
from proctoring.models import Action, Incident
from tests.assess.test_consumer import connect, receive_type
from tests.factories import logged_in_client, make_department, make_user
from tests.proctoring.test_actions import post, running_room

pytestmark = pytest.mark.django_db

ALL = (incidents.OPEN, incidents.CONFIRMED, incidents.DISMISSED)


@pytest.mark.parametrize("current", ALL)
@pytest.mark.parametrize("to", ALL)
def test_the_transition_table_allows_only_deciding_an_open_incident(current, to):
    allowed = current == incidents.OPEN and to != incidents.OPEN
    if allowed:
        incidents.check_transition(current, to)
    else:
        with pytest.raises(ValueError):
            incidents.check_transition(current, to)


def log(client, room, **body):
    return post(client, f"/api/sitting-rooms/{room.pk}/incidents/", body)


def test_a_proctor_logs_an_incident_and_confirming_it_gives_the_time_back():
    room, [attempt, other, _], [proctor, second] = running_room()
    client = logged_in_client(proctor)
    response = log(client, room, attempt=attempt.pk, kind="pc_failure", time_lost=7, description="Máy treo")
    assert response.status_code == 201
    logged = response.json()
    assert (logged["status"], logged["time_lost"], logged["candidate"]["seat"]) == ("open", 7, attempt.seat.label)
    assert logged["reported_by"] == (proctor.get_full_name() or proctor.username)
    before = Attempt.objects.get(pk=attempt.pk).deadline
    response = post(client, f"/api/incidents/{logged['id']}/confirm/", {"minutes": 5, "note": "Đã xác minh"})
    assert response.status_code == 200
    body = response.json()
    assert body["given"] == [attempt.pk] and body["incident"]["minutes_given"] == 5
    assert "5" in body["message"]
    assert Attempt.objects.get(pk=attempt.pk).deadline - before == timedelta(minutes=5)
    assert Attempt.objects.get(pk=other.pk).deadline == other.deadline
    (action,) = Action.objects.filter(kind=Action.Kind.EXTEND)
    assert action.detail == {"minutes": 5, "attempts": [attempt.pk], "incident": logged["id"]}
    assert action.attempt_id == attempt.pk and action.by == proctor
    # The other proctor confirms a moment later: refused, told who did it; no second extension.
    response = post(logged_in_client(second), f"/api/incidents/{logged['id']}/confirm/")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "already_decided" and (proctor.get_full_name() or proctor.username) in error["message"]
    assert Attempt.objects.get(pk=attempt.pk).deadline - before == timedelta(minutes=5)
    assert post(client, f"/api/incidents/{logged['id']}/dismiss/", {"note": "x"}).status_code == 409
    incident = Incident.objects.get(pk=logged["id"])
    assert (incident.status, incident.decided_by, incident.decision_note) == ("confirmed", proctor, "Đã xác minh")


def test_the_minutes_logged_are_given_back_by_default_and_a_paused_candidate_holds_them():
    room, [attempt, *_], [proctor, _] = running_room(n_students=1)
    from proctoring import services

    services.pause(by=proctor, target=services.Target(attempt_id=attempt.pk), reason="Ốm")
    held = Attempt.objects.get(pk=attempt.pk).paused_remaining
    incident = incidents.incident_log(
        by=proctor, attempt_id=attempt.pk, kind="illness", time_lost=4, description="Chóng mặt"
    )
    decided = incidents.incident_confirm(by=proctor, incident_id=incident.pk)
    assert decided.given == (attempt.pk,) and decided.incident.minutes_given == 4
    assert Attempt.objects.get(pk=attempt.pk).paused_remaining - held == timedelta(minutes=4)


def test_a_power_cut_in_the_room_gives_every_candidate_under_way_the_time_and_skips_the_others():
    room, [first, second, third], [proctor, _] = running_room()
    from proctoring import services

    services.void(by=proctor, attempt_id=third.pk, reason="Gian lận")
    client = logged_in_client(proctor)
    logged = log(client, room, kind="power", time_lost=10, description="Mất điện toàn phòng").json()
    assert logged["attempt"] is None and logged["candidate"] is None
    deadlines = dict(Attempt.objects.filter(room=room).values_list("pk", "deadline"))
    # The second hands in meanwhile (time up): it cannot get time back, the first still does.
    Attempt.objects.filter(pk=second.pk).update(deadline=first.deadline - timedelta(hours=2))
    body = post(logged_in_client(room.sitting.created_by), f"/api/incidents/{logged['id']}/confirm/").json()
    assert body["given"] == [first.pk] and body["skipped"] == [second.pk]
    assert Attempt.objects.get(pk=first.pk).deadline - deadlines[first.pk] == timedelta(minutes=10)
    assert Attempt.objects.get(pk=third.pk).status == statuses.VOIDED
    (action,) = Action.objects.filter(kind=Action.Kind.EXTEND)
    assert action.attempt_id is None and action.detail["attempts"] == [first.pk]


def test_an_incident_of_a_finished_attempt_is_confirmed_without_time_and_says_so():
    room, [attempt, *_], [proctor, _] = running_room(n_students=1)
    from assess import services as delivery

    Attempt.objects.filter(pk=attempt.pk).update(deadline=attempt.deadline - timedelta(hours=2))
    delivery.attempt_expire(attempt_id=attempt.pk)
    assert Attempt.objects.get(pk=attempt.pk).status in statuses.FINISHED
    client = logged_in_client(proctor)
    logged = log(client, room, attempt=attempt.pk, kind="illness", time_lost=5, description="Sốt").json()
    response = post(client, f"/api/incidents/{logged['id']}/confirm/")
    assert response.status_code == 200
    body = response.json()
    assert body["given"] == [] and body["skipped"] == [attempt.pk]
    assert body["incident"]["status"] == "confirmed" and body["incident"]["minutes_given"] == 0
    assert not Action.objects.filter(kind=Action.Kind.EXTEND).exists()


def test_dismissing_needs_a_reason_and_is_final():
    room, [attempt, *_], [proctor, _] = running_room(n_students=1)
    client = logged_in_client(proctor)
    logged = log(client, room, attempt=attempt.pk, kind="misconduct", time_lost=0, description="Nói chuyện").json()
    path = f"/api/incidents/{logged['id']}/dismiss/"
    response = post(client, path, {"note": "  "})
    assert response.status_code == 400 and "note" in response.json()["error"]["fields"]
    assert post(client, path, {"note": "Nhầm thí sinh"}).json()["incident"]["status"] == "dismissed"
    response = post(client, f"/api/incidents/{logged['id']}/confirm/", {"minutes": 3})
    assert response.status_code == 409 and "already_decided" == response.json()["error"]["code"]
    with pytest.raises(incidents.AlreadyDecided):
        incidents.incident_dismiss(by=proctor, incident_id=logged["id"], note="again")


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "integrity"},  # raised by the server only
        {"kind": "earthquake"},
        {"kind": "power", "time_lost": 121},
        {"kind": "power", "time_lost": -1},
        {"kind": "other"},  # say what happened
        {"kind": "misconduct", "description": " "},
        {"kind": "power", "description": "x" * 501},
    ],
)
def test_a_bad_incident_is_refused(body):
    room, _attempts, [proctor, _] = running_room(n_students=1)
    response = log(logged_in_client(proctor), room, **body)
    assert response.status_code == 400
    assert not Incident.objects.exists()


def test_minutes_given_back_stay_within_the_bounds():
    room, [attempt, *_], [proctor, _] = running_room(n_students=1)
    incident = incidents.incident_log(by=proctor, attempt_id=attempt.pk, kind="network", time_lost=3, description="")
    client = logged_in_client(proctor)
    for minutes in (-1, 121, "x"):
        assert post(client, f"/api/incidents/{incident.pk}/confirm/", {"minutes": minutes}).status_code == 400
    assert Incident.objects.get(pk=incident.pk).status == "open"
    with pytest.raises(ValidationError):
        incidents.incident_confirm(by=proctor, incident_id=incident.pk, minutes=500)
    assert Incident.objects.get(pk=incident.pk).status == "open"


def test_who_may_log_read_and_decide_incidents():
    room, [attempt, *_], [proctor, _] = running_room(n_students=1)
    organisation = room.sitting.organisation
    incident = incidents.incident_log(by=proctor, attempt_id=attempt.pk, kind="network", time_lost=2, description="")
    paths = {
        "list": ("get", f"/api/sitting-rooms/{room.pk}/incidents/"),
        "log": ("post", f"/api/sitting-rooms/{room.pk}/incidents/"),
        "sitting": ("get", f"/api/sittings/{room.sitting_id}/incidents/"),
        "confirm": ("post", f"/api/incidents/{incident.pk}/confirm/"),
        "dismiss": ("post", f"/api/incidents/{incident.pk}/dismiss/"),
        "report": ("get", f"/api/sitting-rooms/{room.pk}/report.pdf"),
    }

    def call(client, name):
        method, path = paths[name]
        if method == "get":
            return client.get(path).status_code
        return post(client, path, {"kind": "power", "note": "x"}).status_code

    for role in (Role.STUDENT, Role.TEACHER, Role.SCHOOL_ADMIN):
        client = logged_in_client(make_user(role, organisation))
        assert {name: call(client, name) for name in paths} == dict.fromkeys(paths, 403)
    client = logged_in_client(attempt.student)
    assert {name: call(client, name) for name in paths} == dict.fromkeys(paths, 403)
    # Another room's proctor: nothing of this room exists for them; the sitting's list is the board's.
    stranger = logged_in_client(make_user(Role.PROCTOR, organisation))
    assert {name: call(stranger, name) for name in paths} == {**dict.fromkeys(paths, 404), "sitting": 403}
    # Another organisation's board: nothing exists either.
    foreign = logged_in_client(make_user(Role.BOARD, make_department("Sở khác")))
    assert {name: call(foreign, name) for name in paths} == dict.fromkeys(paths, 404)
    assert Incident.objects.get(pk=incident.pk).status == "open" and Incident.objects.count() == 1
    # The services check again, whoever calls them.
    outsider = make_user(Role.PROCTOR, organisation)
    with pytest.raises(PermissionDenied):
        incidents.incident_confirm(by=outsider, incident_id=incident.pk)
    with pytest.raises(PermissionDenied):
        incidents.incident_dismiss(by=outsider, incident_id=incident.pk, note="")
    with pytest.raises(PermissionDenied):
        incidents.incident_log(by=outsider, sitting_room_id=room.pk, kind="power", time_lost=1, description="")
    # The board of the sitting reads every room's and decides.
    board = logged_in_client(room.sitting.created_by)
    assert [i["id"] for i in board.get(paths["sitting"][1]).json()["results"]] == [incident.pk]
    assert post(board, paths["dismiss"][1], {"note": "Mạng ổn định lại ngay"}).status_code == 200


def test_a_candidate_of_another_room_cannot_be_logged_in_this_one():
    room, _attempts, [proctor, _] = running_room(n_students=1)
    other_room, [elsewhere, *_], _ = running_room(n_students=1)
    response = log(logged_in_client(proctor), room, attempt=elsewhere.pk, kind="illness", time_lost=1)
    assert response.status_code == 404
    assert not Incident.objects.exists()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_candidate_hears_the_time_given_back_at_once():
    room, [attempt, *_], [proctor, _] = await database_sync_to_async(running_room)(1)
    ws, ok, _ = await connect(attempt.pk, attempt.student)
    assert ok
    before = await receive_type(ws, "state")
    incident = await database_sync_to_async(incidents.incident_log)(
        by=proctor, attempt_id=attempt.pk, kind="pc_failure", time_lost=6, description="Máy khởi động lại"
    )
    await database_sync_to_async(incidents.incident_confirm)(by=proctor, incident_id=incident.pk)
    after = await receive_type(ws, "state")
    assert after["remaining_ms"] - before["remaining_ms"] > 5 * 60 * 1000
    await ws.disconnect()
