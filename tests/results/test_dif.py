"""Differential item functioning where the board asks (results.dif): Mantel-Haenszel between
girls and boys, or one school and the others, on the sitting's scored responses."""

from __future__ import annotations

import pytest
from django.utils import translation

from accounts.models import Role, User
from assess.models import Result
from tests.assess.test_authoring import World
from tests.factories import logged_in_client, make_user
from tests.results.test_calibration import build_sitting

pytestmark = pytest.mark.django_db


def test_an_item_harder_for_girls_at_the_same_ability_is_flagged_and_the_others_are_not():
    with translation.override("en"):
        world = World()
        sitting = build_sitting(world, n=800)
    students = list(User.objects.filter(role=Role.STUDENT, attempts__sitting=sitting).order_by("pk"))
    girls = {s.pk for s in students[::2]}
    User.objects.filter(pk__in=girls).update(gender="female")
    User.objects.filter(pk__in=[s.pk for s in students if s.pk not in girls]).update(gender="male")
    User.objects.filter(pk=students[1].pk).update(gender="")  # not recorded: left out
    # Item 12 loses its right answers for two girls in three: unfair to girls whatever their ability.
    changed = []
    for n, result in enumerate(Result.objects.filter(attempt__student_id__in=girls).order_by("pk")):
        if n % 3 and result.item_scores[11]:
            result.item_scores[11] = 0.0
            changed.append(result)
    Result.objects.bulk_update(changed, ["item_scores"])
    board = logged_in_client(world.board)
    answer = board.get(f"/api/sittings/{sitting.pk}/dif/?by=gender")
    assert answer.status_code == 200, answer.json()
    data = answer.json()
    assert data["n_focal"] == 400 and data["n_reference"] == 399
    by_position = {row["position"]: row for row in data["items"]}
    assert by_position[12]["ets_class"] == "C" and by_position[12]["delta"] < -1.5
    assert 16 not in by_position  # the essay: a person marks it
    others = [row for position, row in by_position.items() if position != 12]
    assert sum(row["ets_class"] == "A" for row in others) >= len(others) - 2

    # One school against the others.
    moved = [s.pk for s in students[:300]]
    User.objects.filter(pk__in=moved).update(organisation=world.other_school)
    by_school = board.get(f"/api/sittings/{sitting.pk}/dif/?by=school&focal={world.other_school.pk}").json()
    assert by_school["n_focal"] == 300 and by_school["n_reference"] == 500 and by_school["items"]

    # Refusals: no school named, a comparison that does not exist, a teacher, a student.
    assert board.get(f"/api/sittings/{sitting.pk}/dif/?by=school").status_code == 400
    assert board.get(f"/api/sittings/{sitting.pk}/dif/?by=age").status_code == 400
    assert logged_in_client(world.teacher).get(f"/api/sittings/{sitting.pk}/dif/?by=gender").status_code == 404
    assert (
        logged_in_client(make_user(Role.STUDENT, world.school))
        .get(f"/api/sittings/{sitting.pk}/dif/?by=gender")
        .status_code
        == 403
    )
