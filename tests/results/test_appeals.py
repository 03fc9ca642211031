"""Appeals (phúc khảo): a candidate appeals their published result in time; the board reviews
the script, marks its essay again or not, and the result and the record follow."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from accounts.models import Role, User
from assess import services, sittings
from assess.models import AttemptTransition, RecordEntry, Result
from results import appeals
from results.models import Appeal
from tests.factories import make_essay_sitting, make_user
from tests.results.test_marking import hand_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    """One candidate: item 1 right (1 point), the essay marked 1 of 2: 2 of 5, 4.0; published."""
    sitting = make_essay_sitting(n_students=1)
    hand_in(sitting)
    attempt = sitting.attempts.get()
    essay = attempt.form.form_items.get(position=4)
    services.attempt_mark_response(attempt_id=attempt.pk, form_item_id=essay.pk, points=Decimal(1), detail={})
    board = User.objects.get(pk=sitting.created_by_id)
    sittings.sitting_release(by=board, sitting_id=sitting.pk)
    attempt.refresh_from_db()
    return attempt, board


def test_an_appeal_in_time_is_reviewed_and_a_changed_mark_reaches_the_result_and_the_record(published):
    attempt, board = published
    assert RecordEntry.objects.get(attempt=attempt).score == Decimal("4.0")
    appeal = appeals.appeal_file(by=attempt.student, attempt_id=attempt.pk, reason="Em nghĩ bài luận đủ ý.")
    assert (appeal.status, appeal.score_before) == ("open", Decimal("4.0"))
    with pytest.raises(ValidationError):  # one open appeal at a time
        appeals.appeal_file(by=attempt.student, attempt_id=attempt.pk, reason="Lần nữa.")
    decided = appeals.appeal_decide(by=board, appeal_id=appeal.pk, decision="Chấm lại: đủ ý.", marks={4: "2"})
    assert (decided.status, decided.score_after) == ("changed", Decimal("6.0"))
    assert decided.changes == [{"item": 4, "before": "1.00", "after": "2"}]
    assert Result.objects.get(attempt=attempt).score_10 == Decimal("6.0")
    assert RecordEntry.objects.get(attempt=attempt).score == Decimal("6.0")
    attempt.refresh_from_db()
    assert attempt.status == "published"  # the student sees the new result at once
    with pytest.raises(ValidationError):
        appeals.appeal_decide(by=board, appeal_id=appeal.pk, decision="Again.")


def test_an_appeal_that_changes_nothing_is_kept_as_such(published):
    attempt, board = published
    appeal = appeals.appeal_file(by=attempt.student, attempt_id=attempt.pk, reason="Xin phúc khảo.")
    decided = appeals.appeal_decide(by=board, appeal_id=appeal.pk, decision="Giữ nguyên.", marks={4: "1"})
    assert (decided.status, decided.changes, decided.score_after) == ("unchanged", [], Decimal("4.0"))
    with pytest.raises(ValidationError):  # the decision is final: no second appeal
        appeals.appeal_file(by=attempt.student, attempt_id=attempt.pk, reason="Lần nữa.")


def test_late_foreign_unpublished_and_wrong_appeals_are_refused(published):
    attempt, board = published
    other = make_user(Role.STUDENT, attempt.sitting.organisation)
    with pytest.raises(PermissionDenied):
        appeals.appeal_file(by=other, attempt_id=attempt.pk, reason="Không phải bài của em.")
    with pytest.raises(ValidationError):
        appeals.appeal_file(by=attempt.student, attempt_id=attempt.pk, reason="   ")
    AttemptTransition.objects.filter(attempt=attempt, to_status="published").update(
        at=AttemptTransition.objects.get(attempt=attempt, to_status="published").at - timedelta(days=11)
    )
    with pytest.raises(ValidationError) as late:
        appeals.appeal_file(by=attempt.student, attempt_id=attempt.pk, reason="Muộn.")
    assert "attempt" in late.value.message_dict
    assert not Appeal.objects.exists()
    # a board's decision is checked too
    AttemptTransition.objects.filter(attempt=attempt, to_status="published").update(at=attempt.updated_at)
    appeal = appeals.appeal_file(by=attempt.student, attempt_id=attempt.pk, reason="Xin phúc khảo.")
    for marks in ({1: "1"}, {4: "2.5"}, {4: "x"}):  # not a marked item; over the points; not a number
        with pytest.raises(ValidationError):
            appeals.appeal_decide(by=board, appeal_id=appeal.pk, decision="?", marks=marks)
    with pytest.raises(ValidationError):
        appeals.appeal_decide(by=board, appeal_id=appeal.pk, decision=" ")
    stranger = make_user(Role.BOARD, make_essay_sitting(n_students=1).organisation.parent)
    with pytest.raises(PermissionDenied):
        appeals.appeal_decide(by=stranger, appeal_id=appeal.pk, decision="x")
    assert Appeal.objects.get(pk=appeal.pk).status == "open"


def test_the_api_for_the_student_and_the_board(published):
    attempt, board_user = published
    student = Client()
    student.force_login(attempt.student)
    student.cookies["django_language"] = "vi"
    url = f"/api/attempts/{attempt.pk}/appeal/"
    before = student.get(url).json()
    assert before["appeals"] == [] and before["deadline"]
    filed = student.post(url, {"reason": "Em nghĩ bài luận đủ ý."}, content_type="application/json")
    assert filed.status_code == 201 and filed.json()["status"] == "open"
    again = student.post(url, {"reason": "Lần nữa."}, content_type="application/json")
    assert again.status_code == 400 and "đang" in str(again.json())
    other = Client()
    other.force_login(make_user(Role.STUDENT, attempt.sitting.organisation))
    assert other.get(url).status_code == 404

    board = Client()
    board.force_login(board_user)
    listed = board.get(f"/api/sittings/{attempt.sitting_id}/appeals/").json()
    assert listed[0]["learner_id"] == attempt.student.learner_id and listed[0]["items"][0]["mark"] == "1.00"
    assert listed[0]["items"][0]["response"] == "Bài làm của em."
    decided = board.post(
        f"/api/appeals/{listed[0]['id']}/decide/",
        {"decision": "Chấm lại.", "marks": [{"item": 4, "points": "1.5"}]},
        content_type="application/json",
    )
    assert decided.status_code == 200 and decided.json()["score_after"] == "5.0"
    assert student.get(url).json()["appeals"][0]["status"] == "changed"
    assert student.get(f"/api/sittings/{attempt.sitting_id}/appeals/").status_code == 403
