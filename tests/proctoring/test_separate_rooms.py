"""Candidates whose accommodation asks for a room of their own sit only in the rooms the board
keeps for them (``proctoring.services.sitting_place`` with ``RoomPlan.separate``)."""

from __future__ import annotations

import pytest

from assess import accommodations
from assess.accommodations import AccommodationSpec
from assess.models import Attempt
from tests.proctoring.test_rooms import place_sitting

pytestmark = pytest.mark.django_db


def _plan(made, proctors, separate=()):
    return {
        "rooms": [
            {"room": room["id"], "proctors": [p.pk for p in proctors[2 * i : 2 * i + 2]], "separate": i in separate}
            for i, room in enumerate(made)
        ],
        "seed": 3,
    }


def _needing(sitting, count):
    attempts = list(Attempt.objects.filter(sitting=sitting).select_related("student").order_by("pk")[:count])
    for attempt in attempts:
        accommodations.accommodation_create(
            by=sitting.created_by,
            sitting_id=sitting.pk,
            spec=AccommodationSpec(student=attempt.student.username, separate_room=True, extra_minutes=10),
        )
    return {attempt.pk for attempt in attempts}


def test_those_who_need_a_separate_room_sit_only_in_the_room_kept_for_them():
    sitting, made, proctors, board = place_sitting(n_students=10, rooms=[(3, 4, ()), (2, 2, ())])
    needing = _needing(sitting, 2)
    url = f"/api/sittings/{sitting.pk}/rooms/"
    response = board.put(url, _plan(made, proctors, separate={1}), content_type="application/json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["unplaced"] == 0 and body["separate_room_candidates"] == 2
    main, apart = body["rooms"]
    assert (main["separate"], apart["separate"]) == (False, True)
    assert {c["attempt"] for c in apart["candidates"]} == needing
    assert not needing & {c["attempt"] for c in main["candidates"]} and len(main["candidates"]) == 8
    # The answer of GET says the same, and so does the room's own page for its proctor.
    assert [room["separate"] for room in board.get(url).json()["rooms"]] == [False, True]
    assert board.get(f"/api/sitting-rooms/{apart['id']}/").json()["separate"] is True


def test_without_a_room_kept_for_them_placing_is_refused_naming_how_many_need_one():
    sitting, made, proctors, board = place_sitting(n_students=6, rooms=[(3, 4, ()), (2, 2, ())])
    _needing(sitting, 3)
    url = f"/api/sittings/{sitting.pk}/rooms/"
    response = board.put(url, _plan(made, proctors), content_type="application/json")
    assert response.status_code == 400
    (message,) = response.json()["error"]["fields"]["rooms"]
    assert "3" in message
    assert not Attempt.objects.filter(sitting=sitting, seat__isnull=False).exists()  # nothing kept
    # A room kept for them with too few seats is refused too, the shortfall named.
    sitting, made, proctors, board = place_sitting(n_students=8, rooms=[(3, 4, ()), (1, 2, ())])
    _needing(sitting, 3)
    response = board.put(
        f"/api/sittings/{sitting.pk}/rooms/", _plan(made, proctors, separate={1}), content_type="application/json"
    )
    assert response.status_code == 400
    (message,) = response.json()["error"]["fields"]["rooms"]
    assert "3" in message and "2" in message and "1" in message


def test_a_room_kept_apart_with_nobody_needing_one_stays_empty():
    sitting, made, proctors, board = place_sitting(n_students=5, rooms=[(2, 2, ()), (3, 4, ())])
    response = board.put(
        f"/api/sittings/{sitting.pk}/rooms/", _plan(made, proctors, separate={0}), content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    first, second = response.json()["rooms"]
    assert first["candidates"] == [] and len(second["candidates"]) == 5
