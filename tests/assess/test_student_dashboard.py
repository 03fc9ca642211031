"""The student's page: sittings by state, results only once released, reviews by policy, no key before."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assess import services, sittings, statuses
from assess.models import Assessment
from itembank import content
from tests.assess.test_sittings import School, _take
from tests.factories import logged_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> School:
    return School()


def _schedule(world, by, form, **spec):
    now = timezone.now()
    window = {"opens_at": now - timedelta(minutes=5), "closes_at": now + timedelta(hours=2)}
    sitting, _ = sittings.sitting_schedule(
        by=by,
        form_id=form.pk,
        spec=sittings.SittingSpec(**{"title": "Ca", **window, **spec}),
        candidates=sittings.Candidates(class_ids=(world.classes["10A1"].pk,)),
    )
    return sitting


def _sections(client) -> dict:
    body = client.get("/api/me/dashboard/").json()
    return {name: [row["sitting"]["id"] for row in rows] for name, rows in body["sections"].items()}


def test_the_dashboard_says_where_each_sitting_stands(world):
    now = timezone.now()
    exam = world.form(world.board)
    quiz = world.form(world.teacher, kind=Assessment.Kind.CONTINUOUS)
    upcoming = _schedule(world, world.board, exam, opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=2))
    open_exam = _schedule(world, world.board, exam, access_code="A1B2")
    running = _schedule(world, world.teacher, quiz, max_attempts=2, feedback_timing="after_submit")
    missed = _schedule(
        world, world.board, exam, opens_at=now - timedelta(hours=1), latest_start=now - timedelta(minutes=1)
    )
    cancelled = _schedule(world, world.board, exam)
    sittings.sitting_cancel(by=world.board, sitting_id=cancelled.pk, reason="trùng lịch")
    student = world.students["An"]
    attempt = running.attempts.get(student=student)
    token = services.attempt_connect(attempt_id=attempt.pk, user=student).token
    services.attempt_start(attempt_id=attempt.pk, user=student, token=token)

    client = logged_in_client(student)
    sections = _sections(client)
    assert sections["upcoming"] == [upcoming.pk]
    assert sections["open"] == [open_exam.pk]
    assert sections["in_progress"] == [running.pk]
    assert sections["missed"] == [missed.pk]
    assert sections["cancelled"] == [cancelled.pk]
    body = client.get("/api/me/dashboard/").json()
    row = body["sections"]["in_progress"][0]
    assert row["attempts_used"] == 1 and row["max_attempts"] == 2 and 0 < row["remaining_ms"] <= 15 * 60 * 1000
    assert body["sections"]["open"][0]["sitting"]["needs_access_code"] is True
    assert "A1B2" not in json.dumps(body)

    # Done once submitted; with an attempt left and the window open, it is open again.
    attempt = running.attempts.get(student=student)
    services.attempt_submit(attempt_id=attempt.pk, user=student, token=token)
    services.attempt_score(attempt_id=attempt.pk)
    row = next(
        r for r in client.get("/api/me/dashboard/").json()["sections"]["open"] if r["sitting"]["id"] == running.pk
    )
    assert row["can_try_again"] is True and row["results"][0]["score_10"] == "0.0"
    assert logged_in_client(world.teacher).get("/api/me/dashboard/").status_code == 403


def test_results_and_reviews_wait_for_the_release_and_follow_the_policy(world):
    exam = world.form(world.board)
    sitting = _schedule(world, world.board, exam, feedback_detail="answers")
    student = world.students["An"]
    attempt = sitting.attempts.get(student=student)
    _take(attempt, right=False)
    client = logged_in_client(student)
    done = client.get("/api/me/dashboard/").json()["sections"]["done"]
    assert done[0]["results"] == []
    review = f"/api/attempts/{attempt.pk}/review/"
    assert client.get(review).status_code == 403
    # Nothing of the key anywhere before the release: not the page, the dashboard, the state.
    keys = {fi.response_ids["options"][fi.item_version.content["key"]] for fi in attempt.form.form_items.all()}
    wrong = {fi.response_ids["options"]["B"] for fi in attempt.form.form_items.all()}
    for text in (client.get("/api/me/dashboard/").content.decode(), client.get("/exam/").content.decode()):
        assert not any(key in text for key in keys)

    sittings.sitting_release(by=world.board, sitting_id=sitting.pk)
    body = client.get(review).json()
    assert body["score_10"] == "0.0" and body["feedback_detail"] == "answers"
    assert {item["correct"] for item in body["items"]} == keys
    assert {item["response"] for item in body["items"]} == wrong
    assert all(item["score"] == "0.00" for item in body["items"])
    assert all("explanation_html" not in item for item in body["items"])
    assert logged_in_client(world.students["Bình"]).get(review).status_code == 404
    sittings.sitting_withdraw(by=world.board, sitting_id=sitting.pk, reason="chấm lại")
    assert client.get(review).status_code == 403


def test_a_score_only_policy_never_shows_the_correct_answers_and_explanations_need_their_mode(world):
    version = world.form(world.board).form_items.first().item_version
    item = version.item
    from itembank import services as bank
    from tests.factories import release_version

    draft = bank.item_version_create(
        by=world.teacher, item_id=item.pk, content={**version.content, "explanation": "Vì $x=1$."}
    )
    release_version(draft, author=world.teacher, reviewer=world.board)
    exam = world.form(world.board)
    for detail, correct, explained in (("score", False, False), ("explanations", True, True)):
        sitting = _schedule(world, world.board, exam, feedback_detail=detail)
        attempt = sitting.attempts.get(student=world.students["Chi"])
        _take(attempt, right=True)
        sittings.sitting_release(by=world.board, sitting_id=sitting.pk)
        body = logged_in_client(world.students["Chi"]).get(f"/api/attempts/{attempt.pk}/review/").json()
        assert all(("correct" in row) is correct for row in body["items"])
        assert any("explanation_html" in row for row in body["items"]) is explained
        if explained:
            assert "<math" in next(row["explanation_html"] for row in body["items"] if "explanation_html" in row)


def test_the_dashboard_costs_the_same_queries_whatever_the_history(world):
    exam = world.form(world.board)
    student = world.students["An"]
    client = logged_in_client(student)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/me/dashboard/").status_code == 200
        return len(queries)

    for _ in range(3):
        _schedule(world, world.board, exam)
    count()  # the session's first request writes it
    few = count()
    for _ in range(9):
        sitting = _schedule(world, world.board, exam)
        attempt = sitting.attempts.get(student=student)
        _take(attempt, right=True)
        sittings.sitting_release(by=world.board, sitting_id=sitting.pk)
    assert count() == few


def test_a_key_is_never_in_the_exam_state_even_with_a_review_policy(world):
    exam = world.form(world.board)
    sitting = _schedule(world, world.board, exam, feedback_detail="explanations")
    attempt = sitting.attempts.get(student=world.students["An"])
    from assess import selectors

    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    state = json.dumps(selectors.attempt_state(attempt.pk))
    for fi in attempt.form.form_items.all():
        correct = content.correct_response("single_choice", fi.item_version.content)
        assert correct not in json.loads(state).get("answers", {}).values()
        assert '"key"' not in state and "explanation" not in state
    assert attempt.status == statuses.SCHEDULED  # the stale object; the state above is what counts


def test_the_page_shows_the_latest_past_assessments_and_all_of_them_on_request(world):
    from assess.models import Attempt, Sitting

    exam = world.form(world.board)
    student = world.students["An"]
    now = timezone.now()
    past = Sitting.objects.bulk_create(
        Sitting(
            assessment=exam.assessment,
            form=exam,
            organisation_id=exam.assessment.organisation_id,
            title=f"Ca {n:02d}",
            opens_at=now - timedelta(days=n + 2),
            closes_at=now - timedelta(days=n + 1),
            created_by=world.board,
        )
        for n in range(25)
    )
    Attempt.objects.bulk_create(
        Attempt(sitting=s, student=student, form=exam, status=statuses.SUBMITTED, started_at=s.opens_at) for s in past
    )
    client = logged_in_client(student)
    page = client.get("/exam/").content.decode()
    done = page[page.index('data-section="done"') :]
    assert done.count("<article") == 20 and "Ca 00" in done and "Ca 24" not in done
    assert 'data-testid="show-all"' in done and ">25<" in done
    everything = client.get("/exam/?all=1").content.decode()
    assert everything.count("<article") == 25 and 'data-testid="show-all"' not in everything
    assert len(client.get("/api/me/dashboard/").json()["sections"]["done"]) == 25
