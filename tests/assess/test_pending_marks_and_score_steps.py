"""An attempt with responses awaiting a marker is not final anywhere; scores count in the
assessment's step (tenths for school tests, quarters for the national exam)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client

from accounts.models import Role, User
from assess import dashboard, selectors, services, sittings, statuses
from assess.models import Assessment, Attempt, RecordEntry, Result
from tests.factories import make_essay_sitting, make_user, take

pytestmark = pytest.mark.django_db


def board_of(sitting) -> User:
    return User.objects.get(pk=sitting.created_by_id)


def test_an_answered_essay_leaves_the_result_pending_with_no_record_entry():
    sitting = make_essay_sitting()
    attempt = sitting.attempts.order_by("pk").first()
    result = take(attempt, {1: "A", 2: "B", 4: "Em nghĩ tự học là cần thiết."})
    attempt.refresh_from_db()
    assert attempt.status == statuses.SCORED
    assert result.pending_items == 1
    assert result.item_scores[3] is None
    assert result.raw_score == Decimal("2")  # the essay counts nothing so far
    assert not RecordEntry.objects.filter(attempt__sitting=sitting).exists()


def test_an_unanswered_essay_is_still_marked_by_a_person():
    """A blank essay is a response to mark (0 points) like any other: a person confirms it."""
    sitting = make_essay_sitting()
    result = take(sitting.attempts.order_by("pk").first(), {1: "A"})
    assert result.pending_items == 1


def test_release_publishes_final_results_only_and_the_board_sees_who_awaits_marking():
    sitting = make_essay_sitting(n_students=2, n_choice=2)
    first, second = sitting.attempts.order_by("pk")
    take(first, {1: "A", 3: "Bài làm."})
    take(second, {1: "A", 2: "B"})
    # as if the second student's essay were marked (the marking workflow clears it)
    Result.objects.filter(attempt=second).update(pending_items=0)
    released = sittings.sitting_release(by=board_of(sitting), sitting_id=sitting.pk)
    assert released == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (statuses.SCORED, statuses.PUBLISHED)
    results = selectors.sitting_results(sitting)
    rows = {row["attempt"]: row for row in results["candidates"]}
    assert rows[first.pk]["pending_items"] == 1 and rows[second.pk]["pending_items"] == 0
    assert results["awaiting_marking"] == 1
    # only the final result is in the distribution and the mean
    assert sum(b["count"] for b in results["distribution"]) == 1
    assert Decimal(results["mean"]) == Decimal(rows[second.pk]["score_10"])


def test_the_student_and_the_board_pages_and_api_say_a_result_awaits_marking():
    sitting = make_essay_sitting(n_students=1)
    attempt = sitting.attempts.get()
    take(attempt, {1: "A", 4: "Bài làm."})
    rows = dashboard.student_dashboard(attempt.student)["sections"]
    row = next(r for section in rows.values() for r in section if r["attempt"] == attempt.pk)
    assert row["awaiting_marking"] is True and row["results"] == []

    student = Client()
    student.force_login(attempt.student)
    student.cookies["django_language"] = "vi"
    api_row = next(r for section in student.get("/api/me/dashboard/").json()["sections"].values() for r in section)
    assert api_row["awaiting_marking"] is True
    page = student.get("/exam/").content.decode()
    assert 'data-testid="awaiting-marking"' in page and "đang được giáo viên chấm" in page

    board = Client()
    board.force_login(board_of(sitting))
    board.cookies["django_language"] = "vi"
    body = board.get(f"/api/sittings/{sitting.pk}/results/").json()
    assert body["awaiting_marking"] == 1 and body["candidates"][0]["pending_items"] == 1
    page = board.get(f"/board/sittings/{sitting.pk}/").content.decode()
    assert 'data-testid="pending"' in page and "chờ chấm" in page


@pytest.mark.parametrize(
    ("step", "answers", "score", "shown_score", "record"),
    [
        # 3 of 4 single-choice points + 0 of 2 essay points (pending cleared) = 3 of 6: 5.0
        ("0.1", {1: "A", 2: "B", 3: "C"}, Decimal("5.0"), "5.0", Decimal("5.0")),
        # 1 of 4 choice items of 1 point, + quarters: 1/6 * 10 = 1.666.. -> 1.75 in quarters
        ("0.25", {1: "A"}, Decimal("1.75"), "1.75", Decimal("1.8")),
        # the same in tenths: 1.7
        ("0.1", {1: "A"}, Decimal("1.7"), "1.7", Decimal("1.7")),
        # whole marks (primary school): 2
        ("1", {1: "A"}, Decimal("2"), "2", Decimal("2.0")),
    ],
)
def test_the_score_counts_in_the_assessments_step_and_the_record_in_tenths(step, answers, score, shown_score, record):
    sitting = make_essay_sitting(n_students=1, n_choice=4, score_step=step)
    attempt = sitting.attempts.get()
    # the essay (position 5) unanswered and marked 0 by hand: the result becomes final
    result = take(attempt, answers)
    assert result.score_10 == score or result.pending_items == 1
    Result.objects.filter(pk=result.pk).update(pending_items=0)
    attempt.refresh_from_db()
    services.write_record_entry(attempt)
    result.refresh_from_db()
    assert result.score_10 == score
    assert selectors.sitting_results(sitting)["candidates"][0]["score_10"] == shown_score
    assert RecordEntry.objects.get(attempt=attempt).score == record


def test_a_quarter_on_the_half_enters_the_record_rounded_half_up():
    """7.25 in quarters is 7.3 in the record: in floats round(7.25, 1) gives 7.2."""
    from scoring import grades

    assert round(7.25, 1) == 7.2  # the float trap the record must not fall into
    assert grades.record_score(Decimal("7.25")) == Decimal("7.3")
    assert grades.record_score("8,05") == Decimal("8.1")
    assert grades.mean_score(["7.25", "7.3"]) == Decimal("7.3")  # 7.275 -> 7.3


def test_the_score_step_is_chosen_through_the_api_and_wrong_steps_are_refused():
    school_board = make_user(Role.BOARD, make_essay_sitting(n_students=1).organisation.parent)
    client = Client()
    client.force_login(school_board)
    client.cookies["django_language"] = "vi"
    body = {
        "title": "Thi thử tốt nghiệp",
        "kind": "periodic",
        "subject": "ngu-van",
        "organisation": Assessment.objects.get().organisation_id,
        "school_year": "2026-2027",
        "term": 2,
        "record_entry_type": "endterm",
        "score_step": "0.25",
        "duration_minutes": 50,
        "parts": [{"label": "Phần I", "item_type": "single_choice", "item_count": 4, "points_per_item": "0.25"}],
    }
    created = client.post("/api/assessments/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["score_step"] == "0.25"
    assert Assessment.objects.get(pk=created.json()["id"]).score_step == "0.25"
    refused = client.post("/api/assessments/", {**body, "score_step": "0.3"}, content_type="application/json")
    assert refused.status_code == 400
    assert "score_step" in refused.json()["error"]["fields"]
    presets = client.get("/api/assessment-presets/").json()["results"]
    steps = {p["key"]: p["score_step"] for p in presets}
    assert steps["national_mathematics"] == "0.25" and steps["continuous_15"] == "0.1"


def test_the_essays_mark_makes_the_result_final_and_enters_the_record():
    sitting = make_essay_sitting(n_students=1)
    attempt = sitting.attempts.get()
    take(attempt, {1: "A", 2: "A", 4: "Bài làm."})  # 1 of 3 choice points
    essay = attempt.form.form_items.get(position=4)
    result = services.attempt_mark_response(
        attempt_id=attempt.pk, form_item_id=essay.pk, points=Decimal("1.5"), detail={"by": "test"}
    )
    assert result.pending_items == 0
    assert result.raw_score == Decimal("2.5") and result.score_10 == Decimal("5.0")
    assert result.item_scores[3] == 1.5
    assert RecordEntry.objects.get(attempt=attempt).score == Decimal("5.0")
    # marked again (an appeal): the result and the record follow, no second entry
    services.attempt_mark_response(attempt_id=attempt.pk, form_item_id=essay.pk, points=Decimal("2"), detail={})
    assert RecordEntry.objects.get(attempt=attempt).score == Decimal("6.0")
    # scoring again changes nothing: the mark is kept
    assert services.attempt_score(attempt_id=attempt.pk).raw_score == Decimal("3")


def test_a_mark_out_of_range_or_of_an_unscored_attempt_is_refused_and_nothing_changes():
    from django.core.exceptions import ValidationError

    sitting = make_essay_sitting(n_students=2)
    first, second = sitting.attempts.order_by("pk")
    take(first, {4: "Bài làm."})
    essay = first.form.form_items.get(position=4)
    for points in (Decimal("2.01"), Decimal("-1")):
        with pytest.raises(ValidationError):
            services.attempt_mark_response(attempt_id=first.pk, form_item_id=essay.pk, points=points, detail={})
    with pytest.raises(ValidationError):  # not handed in
        services.attempt_mark_response(attempt_id=second.pk, form_item_id=essay.pk, points=Decimal(1), detail={})
    assert Result.objects.get(attempt=first).pending_items == 1
    assert not RecordEntry.objects.exists()


def test_the_last_mark_publishes_a_result_whose_sitting_is_released():
    sitting = make_essay_sitting(n_students=1)
    attempt = sitting.attempts.get()
    take(attempt, {4: "Bài làm."})
    sittings.sitting_release(by=board_of(sitting), sitting_id=sitting.pk)
    attempt.refresh_from_db()
    assert attempt.status == statuses.SCORED  # released without it: its essay awaited a marker
    essay = attempt.form.form_items.get(position=4)
    services.attempt_mark_response(attempt_id=attempt.pk, form_item_id=essay.pk, points=Decimal(1), detail={})
    attempt.refresh_from_db()
    assert attempt.status == statuses.PUBLISHED


def test_trial_dropped_re_keyed_and_several_keys_items_score_as_moderated():
    """Keys of the choice items are A, B, C (positions 1-3); the essay (4) is marked 2."""
    sitting = make_essay_sitting(n_students=1)
    attempt = sitting.attempts.get()
    take(attempt, {1: "A", 2: "C", 3: "C", 4: "Bài làm."})
    items = {fi.position: fi for fi in attempt.form.form_items.all()}
    services.attempt_mark_response(attempt_id=attempt.pk, form_item_id=items[4].pk, points=Decimal(2), detail={})

    def rescored() -> Result:
        with transaction.atomic():
            locked = Attempt.objects.select_for_update().select_related("sitting__assessment").get(pk=attempt.pk)
            return services.attempt_rescore(locked)

    assert (rescored().raw_score, rescored().max_score) == (Decimal(4), Decimal(5))
    items[2].accepted_keys = [{"key": "C"}]  # item 2 accepts C besides B
    items[2].save()
    assert rescored().raw_score == Decimal(5)
    items[3].key_override = {"key": "D"}  # item 3 re-keyed to D: C is wrong now
    items[3].save()
    result = rescored()
    assert result.raw_score == Decimal(4) and result.item_scores[2] == 0.0
    items[1].dropped = True  # item 1 counts for no one
    items[1].save()
    result = rescored()
    assert (result.raw_score, result.max_score, result.item_count) == (Decimal(3), Decimal(4), 3)
    assert result.item_scores[0] == 1.0  # still scored, for the item analysis
    items[2].trial = True  # a trial item: delivered, never counted
    items[2].save()
    result = rescored()
    assert (result.raw_score, result.max_score) == (Decimal(2), Decimal(3))
    assert RecordEntry.objects.get(attempt=attempt).score == result.score_10 == Decimal("6.7")
