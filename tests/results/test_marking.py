"""Marking essays: the plan, the anonymised queue, single and blind double marking,
adjudication, claims, the own-class rule, progress per marker, and the API."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import ClassMembership, ClassTeacher, Role, SchoolClass, User
from assess import services
from assess.models import RecordEntry, Result, Sitting
from results import marking, selectors
from results.models import Mark, Script
from tests.factories import make_essay_sitting, make_user, shown

pytestmark = pytest.mark.django_db

FULL = {"Lời giải": "Đầy đủ", "Trình bày": "Rõ ràng"}  # 2 points
PART = {"Lời giải": "Một phần", "Trình bày": "Rõ ràng"}  # 1.25 points
LOW = {"Lời giải": "Chưa có", "Trình bày": "Chưa rõ"}  # 0 points


def hand_in(sitting: Sitting, essay: str = "Bài làm của em.") -> None:
    """Every candidate answers item 1 right (A) and writes the essay (item 4); scored."""
    for attempt in sitting.attempts.order_by("pk"):
        token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
        services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
        services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=1, item=1, value=shown(attempt, 1, "A"))
        services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=2, item=4, value=essay)
        services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
        services.attempt_score(attempt_id=attempt.pk)


def board_of(sitting: Sitting) -> User:
    return User.objects.get(pk=sitting.created_by_id)


def teachers(sitting: Sitting, n: int) -> list[User]:
    return [make_user(Role.TEACHER, sitting.organisation) for _ in range(n)]


@pytest.fixture
def sitting() -> Sitting:
    sitting = make_essay_sitting(n_students=2)
    hand_in(sitting)
    return sitting


def test_single_marking_by_the_rubric_makes_the_result_final_and_enters_the_record(sitting):
    (marker,) = teachers(sitting, 1)
    plan = marking.plan_set(
        by=board_of(sitting), sitting_id=sitting.pk, double=False, tolerance=Decimal("0.5"), markers=[marker.pk]
    )
    assert plan.scripts.count() == 2  # one essay per candidate
    script = marking.script_next(by=marker, plan_id=plan.pk)
    assert script.claimed_by == marker
    done = marking.mark_submit(by=marker, code=script.code, levels=PART, comment="Ý đúng, thiếu dẫn chứng.")
    assert (done.status, done.final_points) == (Script.Status.DONE, Decimal("1.25"))
    result = Result.objects.get(attempt_id=script.attempt_id)
    assert result.pending_items == 0 and result.raw_score == Decimal("2.25")
    assert RecordEntry.objects.get(attempt_id=script.attempt_id).score == Decimal("4.5")  # 2.25 / 5
    second = marking.script_next(by=marker, plan_id=plan.pk)
    assert second is not None and second.pk != script.pk
    marking.mark_submit(by=marker, code=second.code, levels=LOW)
    assert marking.script_next(by=marker, plan_id=plan.pk) is None
    progress = selectors.plan_progress(plan)
    assert (progress["scripts"], progress["done"], progress["open"]) == (2, 2, 0)
    assert progress["markers"][0]["first"] == 2


def test_the_script_shows_nothing_of_the_candidate(sitting):
    (marker,) = teachers(sitting, 1)
    plan = marking.plan_set(
        by=board_of(sitting), sitting_id=sitting.pk, double=False, tolerance=Decimal("0.5"), markers=[marker.pk]
    )
    script = marking.script_next(by=marker, plan_id=plan.pk)
    view = selectors.script_view(script, marker=marker)
    text = json.dumps(view, ensure_ascii=False)
    student = script.attempt.student
    for secret in (student.username, student.learner_id, student.get_full_name() or student.username):
        assert secret not in text, secret
    assert not {"attempt", "student", "name", "learner_id", "username", "class"} & set(view)
    assert view["response"] == "Bài làm của em." and view["words"] == 4
    assert [c["criterion"] for c in view["rubric"]] == ["Lời giải", "Trình bày"]
    assert view["round"] == "first" and view["points"] == "2.00"


def test_blind_double_marking_takes_the_mean_within_the_tolerance(sitting):
    first, second, judge = teachers(sitting, 3)
    plan = marking.plan_set(
        by=board_of(sitting),
        sitting_id=sitting.pk,
        double=True,
        tolerance=Decimal("0.75"),
        markers=[first.pk, second.pk],
        adjudicators=[judge.pk],
    )
    script = marking.script_next(by=first, plan_id=plan.pk)
    marking.mark_submit(by=first, code=script.code, levels=FULL)  # 2
    # the first marker cannot mark it again, and it is not offered to them again
    with pytest.raises(ValidationError):
        marking.mark_submit(by=first, code=script.code, levels=FULL)
    assert marking.script_next(by=first, plan_id=plan.pk).pk != script.pk
    # the second marker gets it without seeing the first mark
    offered = [marking.script_next(by=second, plan_id=plan.pk)]
    assert offered[0].pk == script.pk
    view = selectors.script_view(offered[0], marker=second)
    assert view["round"] == "second" and view["marks"] == []
    done = marking.mark_submit(by=second, code=script.code, levels=PART)  # 1.25: 0.75 apart
    assert (done.status, done.final_points) == (Script.Status.DONE, Decimal("1.63"))  # 1.625, half up
    assert Result.objects.get(attempt_id=script.attempt_id).item_scores[3] == 1.63


def test_marks_too_far_apart_go_to_an_adjudicator_whose_mark_is_final(sitting):
    first, second, judge = teachers(sitting, 3)
    plan = marking.plan_set(
        by=board_of(sitting),
        sitting_id=sitting.pk,
        double=True,
        tolerance=Decimal("0.5"),
        markers=[first.pk, second.pk],
        adjudicators=[judge.pk],
    )
    script = marking.script_next(by=first, plan_id=plan.pk)
    marking.mark_submit(by=first, code=script.code, levels=FULL)  # 2
    assert marking.script_next(by=second, plan_id=plan.pk).pk == script.pk
    disputed = marking.mark_submit(by=second, code=script.code, levels=LOW)  # 0
    assert disputed.status == Script.Status.ADJUDICATION
    assert Result.objects.get(attempt_id=script.attempt_id).pending_items == 1  # not final yet
    # a marker who is not an adjudicator cannot settle it
    third = teachers(sitting, 1)[0]
    marking.plan_set(
        by=board_of(sitting),
        sitting_id=sitting.pk,
        double=True,
        tolerance=Decimal("0.5"),
        markers=[first.pk, second.pk, third.pk],
        adjudicators=[judge.pk],
    )
    with pytest.raises(PermissionDenied):
        marking.mark_submit(by=third, code=script.code, levels=PART)
    offered = marking.script_next(by=judge, plan_id=plan.pk)
    assert offered.pk == script.pk
    view = selectors.script_view(offered, marker=judge)
    assert view["round"] == "adjudication" and sorted(m["points"] for m in view["marks"]) == ["0.00", "2.00"]
    done = marking.mark_submit(by=judge, code=script.code, levels=PART)
    assert (done.status, done.final_points) == (Script.Status.DONE, Decimal("1.25"))
    assert list(Mark.objects.filter(script=script).values_list("round", flat=True)) == [
        "first",
        "second",
        "adjudication",
    ]
    # the plan no longer changes its rules once marking has begun
    with pytest.raises(ValidationError):
        marking.plan_set(
            by=board_of(sitting),
            sitting_id=sitting.pk,
            double=False,
            tolerance=Decimal("0.5"),
            markers=[first.pk],
        )


def test_a_claimed_script_is_nobody_elses_until_the_claim_lapses():
    sitting = make_essay_sitting(n_students=1)
    hand_in(sitting)
    one, other = teachers(sitting, 2)
    plan = marking.plan_set(
        by=board_of(sitting), sitting_id=sitting.pk, double=False, tolerance=Decimal("0.5"), markers=[one.pk, other.pk]
    )
    script = marking.script_next(by=one, plan_id=plan.pk)
    assert marking.script_next(by=one, plan_id=plan.pk).pk == script.pk  # a reload gives it back
    assert marking.script_next(by=other, plan_id=plan.pk) is None
    with pytest.raises(ValidationError):
        marking.mark_submit(by=other, code=script.code, levels=FULL)
    Script.objects.filter(pk=script.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert marking.script_next(by=other, plan_id=plan.pk).pk == script.pk
    marking.script_release(by=other, code=script.code)
    assert Script.objects.get(pk=script.pk).claimed_by is None


def test_a_marker_never_gets_nor_marks_a_student_of_their_own_class(sitting):
    own, stranger = teachers(sitting, 2)
    attempts = list(sitting.attempts.order_by("pk"))
    school_class = SchoolClass.objects.create(
        school=sitting.organisation, school_year="2026-2027", name="10A1", grade=10, homeroom_teacher=None
    )
    ClassTeacher.objects.create(school_class=school_class, teacher=own, subject=sitting.assessment.subject)
    ClassMembership.objects.create(
        school_class=school_class, student=attempts[0].student, school_year="2026-2027", joined_at=timezone.now()
    )
    plan = marking.plan_set(
        by=board_of(sitting),
        sitting_id=sitting.pk,
        double=False,
        tolerance=Decimal("0.5"),
        markers=[own.pk, stranger.pk],
    )
    script = marking.script_next(by=own, plan_id=plan.pk)
    assert script.attempt_id == attempts[1].pk
    assert marking.script_next(by=own, plan_id=plan.pk).pk == script.pk  # the same, still theirs
    marking.mark_submit(by=own, code=script.code, levels=FULL)
    assert marking.script_next(by=own, plan_id=plan.pk) is None  # the other is their own student's
    theirs = Script.objects.get(plan=plan, attempt=attempts[0])
    with pytest.raises(PermissionDenied):
        marking.mark_submit(by=own, code=theirs.code, levels=FULL)
    assert marking.script_next(by=stranger, plan_id=plan.pk).pk == theirs.pk
    (row,) = selectors.plans_of_marker(own)
    assert (row["left"], row["own_students"]) == (0, 1)


def test_only_the_board_running_the_sitting_sets_the_plan_with_markers_it_oversees(sitting):
    (marker,) = teachers(sitting, 1)
    with pytest.raises(PermissionDenied):
        marking.plan_set(by=marker, sitting_id=sitting.pk, double=False, tolerance=Decimal(0), markers=[marker.pk])
    elsewhere = make_user(Role.TEACHER, make_essay_sitting(n_students=1).organisation)
    student = sitting.attempts.first().student
    board = board_of(sitting)
    for markers in ([elsewhere.pk], [student.pk]):
        with pytest.raises(ValidationError):
            marking.plan_set(by=board, sitting_id=sitting.pk, double=False, tolerance=Decimal(0), markers=markers)
    with pytest.raises(ValidationError) as refused:
        marking.plan_set(by=board, sitting_id=sitting.pk, double=True, tolerance=Decimal(0), markers=[marker.pk])
    assert set(refused.value.message_dict) == {"markers", "adjudicators"}
    with pytest.raises(PermissionDenied):  # not a marker of the plan
        plan = marking.plan_set(
            by=board, sitting_id=sitting.pk, double=False, tolerance=Decimal(0), markers=[marker.pk]
        )
        marking.script_next(by=elsewhere, plan_id=plan.pk)


def test_wrong_marks_are_refused_and_nothing_is_written(sitting):
    (marker,) = teachers(sitting, 1)
    plan = marking.plan_set(
        by=board_of(sitting), sitting_id=sitting.pk, double=False, tolerance=Decimal("0.5"), markers=[marker.pk]
    )
    script = marking.script_next(by=marker, plan_id=plan.pk)
    for levels in ({}, {"Lời giải": "Đầy đủ"}, {"Lời giải": "Xuất sắc", "Trình bày": "Rõ ràng"}, {**FULL, "X": "Y"}):
        with pytest.raises(ValidationError):
            marking.mark_submit(by=marker, code=script.code, levels=levels)
    with pytest.raises(ValidationError):
        marking.mark_submit(by=marker, code="NOSUCH00", levels=FULL)
    assert not Mark.objects.exists()
    assert Result.objects.get(attempt_id=script.attempt_id).pending_items == 1


def test_the_api_sets_the_plan_serves_scripts_and_takes_marks(sitting):
    first, second = teachers(sitting, 2)
    board = Client()
    board.force_login(board_of(sitting))
    board.cookies["django_language"] = "vi"
    url = f"/api/sittings/{sitting.pk}/marking/"
    assert board.get(url).json() == {"plan": None}
    unknown = board.put(url, {"markers": ["nobody"]}, content_type="application/json")
    assert unknown.status_code == 400 and "nobody" in json.dumps(unknown.json(), ensure_ascii=False)
    body = {"double": False, "tolerance": "0.5", "markers": [first.username, second.username]}
    answer = board.put(url, body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    plan = answer.json()["plan"]
    assert (plan["scripts"], plan["open"], len(plan["markers"])) == (2, 2, 2)

    marker = Client()
    marker.force_login(first)
    marker.cookies["django_language"] = "vi"
    mine = marker.get("/api/marking/").json()
    assert mine[0]["plan"] == plan["plan"] and mine[0]["left"] == 2
    script = marker.post(f"/api/marking/{plan['plan']}/next/").json()
    assert script["round"] == "first"
    wrong = marker.post(
        f"/api/marking/scripts/{script['code']}/marks/", {"levels": {"Lời giải": "?"}}, content_type="application/json"
    )
    assert wrong.status_code == 400
    assert "mức" in wrong.json()["error"]["fields"]["levels"][0]  # in Vietnamese
    marked = marker.post(
        f"/api/marking/scripts/{script['code']}/marks/", {"levels": FULL}, content_type="application/json"
    )
    assert marked.json() == {"code": script["code"], "status": "done", "final_points": "2.00"}
    marker.post(f"/api/marking/{plan['plan']}/next/")
    marker.post(f"/api/marking/{plan['plan']}/next/")
    # the board sees the progress per marker; a marker may not change the plan
    progress = board.get(url).json()["plan"]
    assert progress["done"] == 1 and {m["username"]: m["marks"] for m in progress["markers"]}[first.username] == 1
    assert marker.put(url, body, content_type="application/json").status_code in (403, 404)
    # a student is neither a board nor a marker
    student = Client()
    student.force_login(sitting.attempts.first().student)
    assert student.get(url).status_code == 403
    assert student.post(f"/api/marking/{plan['plan']}/next/").status_code == 403
    # nothing left for the second marker once the first holds the last script and marked the other
    other = Client()
    other.force_login(second)
    assert other.post(f"/api/marking/{plan['plan']}/next/").status_code == 204


def _desk_queries(n_students: int) -> tuple[int, int]:
    """Queries of a marker taking the next script (with its view) and marking it, in a sitting
    of ``n_students`` essays."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sitting = make_essay_sitting(n_students=n_students)
    hand_in(sitting)
    (marker,) = teachers(sitting, 1)
    plan = marking.plan_set(
        by=board_of(sitting), sitting_id=sitting.pk, double=False, tolerance=Decimal("0.5"), markers=[marker.pk]
    )
    with CaptureQueriesContext(connection) as taking:
        script = marking.script_next(by=marker, plan_id=plan.pk)
        selectors.script_view(script, marker=marker)
    with CaptureQueriesContext(connection) as marking_it:
        marking.mark_submit(by=marker, code=script.code, levels=FULL)
    return len(taking), len(marking_it)


def test_the_markers_desk_costs_the_same_queries_whatever_the_number_of_scripts():
    few, many = _desk_queries(3), _desk_queries(12)
    assert few == many, f"{few} queries with 3 scripts, {many} with 12"
    taking, marking_it = many
    assert taking <= 20 and marking_it <= 27, many  # the mark rescores the attempt and writes the record
