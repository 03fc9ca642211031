"""Labs, seat maps, a sitting split over rooms, candidates placed and moved (issue 10, point 1)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from assess import services as delivery
from assess import statuses, test_codes
from assess.models import Attempt, Sitting
from proctoring import placement
from proctoring.models import Action, Room, SittingRoom
from tests.factories import logged_in_client, make_school, make_sitting, make_user

pytestmark = pytest.mark.django_db


def room_body(**extra):
    return {"name": "Phòng máy 1", "rows": 3, "columns": 4, "networks": ["10.1.2.0/24"], **extra}


def make_room(client, **extra) -> dict:
    response = client.post("/api/rooms/", room_body(**extra), content_type="application/json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_school_administrator_draws_a_lab_with_an_aisle_and_spare_machines():
    school = make_school()
    client = logged_in_client(make_user(Role.SCHOOL_ADMIN, school))
    room = make_room(client, missing=["A3", "B3", "C3"], spares=["c4"])
    assert room["school"] == school.pk and room["networks"] == ["10.1.2.0/24"]
    assert room["missing"] == ["A3", "B3", "C3"] and room["spares"] == ["C4"]
    assert room["capacity"] == 3 * 4 - 3 - 1 and len(room["seats"]) == 9 and room["proctors_needed"] == 2
    # Redrawn: a fourth row, no aisle; the seats follow.
    response = client.put(
        f"/api/rooms/{room['id']}/", room_body(rows=4, spares=["D1"]), content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["capacity"] == 15 and response.json()["missing"] == []
    assert client.get("/api/rooms/").json()["results"][0]["id"] == room["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (room_body(networks=["10.1.2.300/24"]), "networks"),
        (room_body(networks=["phòng máy"]), "networks"),
        (room_body(spares=["E1"]), "spares"),
        (room_body(missing=["A0"]), "missing"),
        (room_body(missing=["A1"], spares=["A1"]), "spares"),
        (room_body(rows=0), "rows"),
        (room_body(columns=41), "columns"),
        (room_body(name=" "), "name"),
        (room_body(rows=1, columns=2, spares=["A1", "A2"]), "spares"),
    ],
)
def test_a_wrong_seat_map_is_refused_naming_what_is_wrong_and_nothing_is_kept(body, field):
    school = make_school()
    client = logged_in_client(make_user(Role.SCHOOL_ADMIN, school))
    response = client.post("/api/rooms/", body, content_type="application/json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not Room.objects.exists()


def test_two_rooms_of_one_name_in_a_school_are_refused():
    school = make_school()
    client = logged_in_client(make_user(Role.SCHOOL_ADMIN, school))
    make_room(client)
    response = client.post("/api/rooms/", room_body(), content_type="application/json")
    assert response.status_code == 400 and "name" in response.json()["error"]["fields"]


def test_only_keepers_of_the_school_see_and_change_its_rooms():
    school = make_school()
    room = make_room(logged_in_client(make_user(Role.SCHOOL_ADMIN, school)))
    other = logged_in_client(make_user(Role.SCHOOL_ADMIN, make_school()))
    assert other.get(f"/api/rooms/{room['id']}/").status_code == 404
    assert other.get("/api/rooms/").json()["results"] == []
    assert other.post("/api/rooms/", room_body(school=school.pk), content_type="application/json").status_code == 403
    for role in (Role.TEACHER, Role.PROCTOR, Role.STUDENT):
        client = logged_in_client(make_user(role, school))
        assert client.get("/api/rooms/").status_code == 403
        assert client.delete(f"/api/rooms/{room['id']}/").status_code == 403
    board = logged_in_client(make_user(Role.BOARD, school.parent))
    assert board.get(f"/api/rooms/{room['id']}/").status_code == 200


def place_sitting(n_students=10, rooms=((3, 4, ()),), codes=0):
    now = timezone.now()
    sitting = make_sitting(n_students=n_students, opens_at=now + timedelta(hours=1), closes_at=now + timedelta(hours=4))
    if codes:  # made before the sitting opens (a form is locked once one has)
        test_codes.codes_generate(by=sitting.created_by, form_id=sitting.form_id, count=codes, first="201")
    Sitting.objects.filter(pk=sitting.pk).update(opens_at=now - timedelta(minutes=5))
    school = sitting.organisation
    keeper = make_user(Role.SCHOOL_ADMIN, school)
    made = []
    for index, (rows, columns, spares) in enumerate(rooms):
        made.append(
            make_room(logged_in_client(keeper), name=f"P{index + 1}", rows=rows, columns=columns, spares=list(spares))
        )
    proctors = [make_user(Role.PROCTOR, school) for _ in range(2 * len(made))]
    board = logged_in_client(sitting.created_by)
    return sitting, made, proctors, board


def put_plan(board, sitting, made, proctors, seed=7):
    plan = {
        "rooms": [
            {"room": room["id"], "proctors": [p.pk for p in proctors[2 * i : 2 * i + 2]]} for i, room in enumerate(made)
        ],
        "seed": seed,
    }
    return board.put(f"/api/sittings/{sitting.pk}/rooms/", plan, content_type="application/json")


def test_the_board_splits_a_sitting_over_two_rooms_and_every_candidate_gets_a_seat():
    sitting, made, proctors, board = place_sitting(n_students=16, rooms=[(3, 4, ["C4"]), (2, 4, ["B4"])], codes=4)
    response = put_plan(board, sitting, made, proctors)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["unplaced"] == 0 and len(body["rooms"]) == 2
    first, second = body["rooms"]
    assert len(first["candidates"]) == 11 and len(second["candidates"]) == 5  # the first room fills first
    assert [p["id"] for p in first["proctors"]] == [proctors[0].pk, proctors[1].pk]
    assert first["access_code"].isdigit() and len(first["access_code"]) == 6
    seats = [c["seat"] for room in body["rooms"] for c in room["candidates"]]
    assert "C4" not in [c["seat"] for c in first["candidates"]] and "B4" not in [
        c["seat"] for c in second["candidates"]
    ]
    assert len(seats) == 16
    # Neighbours (left/right, front/back, and corners with four codes) have different test codes.
    for room in body["rooms"]:
        code_at = {(c["row"], c["column"]): c["test_code"] for c in room["candidates"]}
        for (row, column), code in code_at.items():
            for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
                assert code_at.get((row + dr, column + dc)) != code
    attempts = Attempt.objects.filter(sitting=sitting)
    assert {a.form.code for a in attempts} == {c["test_code"] for room in body["rooms"] for c in room["candidates"]}
    assert all(a.room_id and a.seat_id for a in attempts)


def test_placing_refuses_too_few_seats_wrong_rooms_and_proctors_and_after_check_in_has_begun():
    sitting, made, proctors, board = place_sitting(n_students=12, rooms=[(3, 4, ["C4"])])
    response = put_plan(board, sitting, made, proctors)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["rooms"] == ["12 thí sinh và 11 chỗ không dự phòng: còn thiếu 1 chỗ."]
    other_school_room = make_room(logged_in_client(make_user(Role.SCHOOL_ADMIN, make_school())), name="X")
    response = put_plan(board, sitting, [other_school_room], proctors)
    assert response.status_code == 400 and "rooms" in response.json()["error"]["fields"]
    sitting, made, proctors, board = place_sitting(n_students=3)
    stranger = make_user(Role.PROCTOR, make_school())
    response = put_plan(board, sitting, made, [stranger, proctors[0]])
    assert response.status_code == 400 and "proctors" in response.json()["error"]["fields"]
    teacher = make_user(Role.TEACHER, sitting.organisation)
    response = put_plan(board, sitting, made, [teacher])
    assert response.status_code == 400 and "proctors" in response.json()["error"]["fields"]
    plan = {"rooms": [{"room": made[0]["id"]}, {"room": made[0]["id"]}]}
    response = board.put(f"/api/sittings/{sitting.pk}/rooms/", plan, content_type="application/json")
    assert response.status_code == 400 and "rooms" in response.json()["error"]["fields"]
    assert not Attempt.objects.filter(sitting=sitting, seat__isnull=False).exists()  # nothing kept
    assert put_plan(board, sitting, made, proctors).status_code == 200
    attempt = Attempt.objects.filter(sitting=sitting).first()
    delivery.attempt_move(attempt_id=attempt.pk, to=statuses.CHECKED_IN, by=proctors[0])
    response = put_plan(board, sitting, made, proctors, seed=8)
    assert response.status_code == 400 and "sitting" in response.json()["error"]["fields"]


def test_only_the_board_places_and_a_proctor_sees_only_their_rooms():
    sitting, made, proctors, board = place_sitting(n_students=6, rooms=[(2, 4, ()), (2, 4, ())])
    assert put_plan(board, sitting, made, proctors).status_code == 200
    mine, theirs = SittingRoom.objects.filter(sitting=sitting).order_by("room__name")
    proctor = logged_in_client(proctors[0])
    assert put_plan(proctor, sitting, made, proctors).status_code == 403
    assert proctor.get(f"/api/sittings/{sitting.pk}/rooms/").status_code == 403
    assert [r["id"] for r in proctor.get("/api/sitting-rooms/").json()["results"]] == [mine.pk]
    assert proctor.get(f"/api/sitting-rooms/{mine.pk}/").status_code == 200
    assert proctor.get(f"/api/sitting-rooms/{theirs.pk}/").status_code == 404
    assert proctor.get(f"/api/sitting-rooms/{theirs.pk}/console/").status_code == 404
    snapshot = proctor.get(f"/api/sitting-rooms/{mine.pk}/console/").json()
    assert snapshot["room"] == mine.pk and len(snapshot["attempts"]) == 6
    stranger = logged_in_client(make_user(Role.PROCTOR, sitting.organisation))
    assert stranger.get("/api/sitting-rooms/").json()["results"] == []
    assert stranger.get(f"/api/sitting-rooms/{mine.pk}/").status_code == 404
    for role in (Role.STUDENT, Role.TEACHER, Role.SCHOOL_ADMIN):
        client = logged_in_client(make_user(role, sitting.organisation))
        assert client.get("/api/sitting-rooms/").status_code == 403
        assert client.get(f"/api/sittings/{sitting.pk}/console/").status_code == 403
    assert len(board.get(f"/api/sittings/{sitting.pk}/console/").json()["attempts"]) == 6


def test_a_proctor_moves_a_candidate_to_a_spare_seat_and_the_attempt_continues_there():
    sitting, made, proctors, board = place_sitting(n_students=5, rooms=[(2, 4, ["B3", "B4"])], codes=2)
    assert put_plan(board, sitting, made, proctors).status_code == 200
    proctor = logged_in_client(proctors[0])
    attempt = Attempt.objects.filter(sitting=sitting).select_related("seat", "student").first()
    assert proctor.post(f"/api/attempts/{attempt.pk}/check-in/").json()["status"] == statuses.CHECKED_IN
    room = SittingRoom.objects.get(sitting=sitting)
    assert (
        proctor.post(
            f"/api/sitting-rooms/{room.pk}/open/", {"together": False}, content_type="application/json"
        ).status_code
        == 200
    )
    token = delivery.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    delivery.attempt_start(
        attempt_id=attempt.pk, user=attempt.student, token=token, access_code=room.access_code, address="10.1.2.9"
    )
    old = attempt.seat.label
    response = proctor.post(
        f"/api/attempts/{attempt.pk}/seat/", {"reason": "Máy hỏng"}, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["seat"] in ("B3", "B4")
    move = Action.objects.get(attempt=attempt, kind=Action.Kind.MOVE)
    assert (move.detail["from"], move.detail["to"], move.by, move.reason) == (
        old,
        response.json()["seat"],
        proctors[0],
        "Máy hỏng",
    )
    attempt.refresh_from_db()
    assert attempt.status == statuses.IN_PROGRESS  # the attempt is untouched: it continues on the new PC
    # Refusals: a taken seat, a seat that does not exist, nothing spare left, someone else's room.
    taken = Attempt.objects.filter(sitting=sitting).exclude(pk=attempt.pk).select_related("seat").first().seat.label
    for seat, message in ((taken, f"Chỗ {taken} đã có người."), ("Z9", "Phòng P1 không có chỗ Z9.")):
        response = proctor.post(
            f"/api/attempts/{attempt.pk}/seat/",
            {"seat": seat},
            content_type="application/json",
        )
        assert response.status_code == 400 and response.json()["error"]["fields"]["seat"] == [message]
    other = Attempt.objects.filter(sitting=sitting).exclude(pk=attempt.pk).first()
    assert proctor.post(f"/api/attempts/{other.pk}/seat/", {}, content_type="application/json").status_code == 200
    third = Attempt.objects.filter(sitting=sitting).exclude(pk__in=[attempt.pk, other.pk]).first()
    response = proctor.post(f"/api/attempts/{third.pk}/seat/", {}, content_type="application/json")
    assert response.status_code == 400 and "seat" in response.json()["error"]["fields"]
    stranger = logged_in_client(make_user(Role.PROCTOR, sitting.organisation))
    assert stranger.post(f"/api/attempts/{third.pk}/seat/", {}, content_type="application/json").status_code == 404


def test_a_finished_attempt_is_not_moved_and_a_seat_in_use_is_not_redrawn():
    sitting, made, proctors, board = place_sitting(n_students=2, rooms=[(2, 4, ["B4"])])
    assert put_plan(board, sitting, made, proctors).status_code == 200
    attempt = Attempt.objects.filter(sitting=sitting).select_related("seat").first()
    keeper = logged_in_client(make_user(Role.SCHOOL_ADMIN, sitting.organisation))
    response = keeper.put(
        f"/api/rooms/{made[0]['id']}/",
        room_body(rows=2, columns=4, missing=[attempt.seat.label]),
        content_type="application/json",
    )
    assert response.status_code == 400 and attempt.seat.label in response.json()["error"]["fields"]["seats"][0]
    assert keeper.delete(f"/api/rooms/{made[0]['id']}/").status_code == 400
    Attempt.objects.filter(pk=attempt.pk).update(status=statuses.VOIDED, updated_at=timezone.now())
    response = logged_in_client(proctors[0]).post(
        f"/api/attempts/{attempt.pk}/seat/", {}, content_type="application/json"
    )
    assert response.status_code == 400 and "attempt" in response.json()["error"]["fields"]


def test_a_room_admits_the_pcs_of_its_networks_only():
    room = Room(networks=["10.1.2.0/24", "fd00:1::/64"])
    assert room.admits("10.1.2.77") and room.admits("fd00:1::5")
    assert not room.admits("10.1.3.1") and not room.admits(None) and not room.admits("not an address")
    assert Room(networks=[]).admits("203.0.113.9")


def test_seat_labels_of_the_map_read_back():
    assert placement.parse_label("AA12") == (27, 12)
