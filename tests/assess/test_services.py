"""Delivery services: answers, replays, deadlines, submission, scoring and records."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import Role
from assess import errors, services, sittings, statuses
from assess.models import Answer, AnswerEvent, Attempt, AttemptTransition, FormItem, RecordEntry, Result
from assess.selectors import attempt_state
from tests.factories import make_sitting, make_user

pytestmark = pytest.mark.django_db


def answer(attempt, token, seq, item, value):
    """Answer with an option as the author named it ("A"-"D"), sent in the id the form shows."""
    form_item = FormItem.objects.filter(form_id=attempt.form_id, position=item).first()
    if form_item is not None and isinstance(value, str):
        value = form_item.response_ids["options"].get(value, value)
    return services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=seq, item=item, value=value)


def test_answer_is_stored_and_history_kept(started):
    attempt, token = started
    ack = answer(attempt, token, 1, 1, "A")
    assert (ack.seq, ack.item, ack.duplicate) == (1, 1, False)
    answer(attempt, token, 2, 1, "B")
    latest = Answer.objects.get(attempt=attempt, form_item__position=1)
    assert latest.value == "B" and latest.value_seq == 2
    assert list(AnswerEvent.objects.filter(attempt=attempt).values_list("seq", "value")) == [(1, "A"), (2, "B")]
    attempt.refresh_from_db()
    assert attempt.last_seq == 2


def test_replayed_seq_is_acknowledged_without_second_write(started):
    attempt, token = started
    answer(attempt, token, 1, 1, "A")
    again = answer(attempt, token, 1, 1, "A")
    assert again.duplicate is True
    assert AnswerEvent.objects.filter(attempt=attempt).count() == 1


def test_reused_seq_with_other_content_is_refused(started):
    attempt, token = started
    answer(attempt, token, 1, 1, "A")
    with pytest.raises(errors.SequenceReused):
        answer(attempt, token, 1, 1, "C")
    assert Answer.objects.get(attempt=attempt, form_item__position=1).value == "A"


def test_latest_sequence_wins_even_when_it_arrives_first(started):
    attempt, token = started
    answer(attempt, token, 5, 2, "D")
    answer(attempt, token, 4, 2, "C")  # older change delivered late
    assert Answer.objects.get(attempt=attempt, form_item__position=2).value == "D"
    assert AnswerEvent.objects.filter(attempt=attempt).count() == 2


def test_clearing_an_answer(started):
    attempt, token = started
    answer(attempt, token, 1, 3, "A")
    answer(attempt, token, 2, 3, None)
    assert "3" not in attempt_state(attempt.pk)["answers"]


@pytest.mark.parametrize("item, value, error", [(99, "A", errors.UnknownItem), (1, "Z", errors.InvalidValue)])
def test_bad_answers_are_refused_and_nothing_written(started, item, value, error):
    attempt, token = started
    with pytest.raises(error):
        answer(attempt, token, 1, item, value)
    assert not AnswerEvent.objects.filter(attempt=attempt).exists()


def test_answer_before_start_is_refused(attempt):
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    with pytest.raises(errors.NotStarted):
        answer(attempt, token, 1, 1, "A")


def test_new_connection_supersedes_old_one(started):
    attempt, old = started
    new = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    with pytest.raises(errors.Superseded):
        answer(attempt, old, 1, 1, "A")
    assert answer(attempt, new, 1, 1, "A").duplicate is False


def test_another_student_cannot_connect(attempt):
    other = attempt.sitting.attempts.exclude(pk=attempt.pk).first().student
    with pytest.raises(PermissionDenied):
        services.attempt_connect(attempt_id=attempt.pk, user=other)


def test_start_sets_deadline_capped_by_window(db):
    now = timezone.now()
    sitting = make_sitting(duration=timedelta(minutes=45), closes_at=now + timedelta(minutes=10))
    attempt = sitting.attempts.first()
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    started = services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    assert started.status == statuses.IN_PROGRESS
    assert started.deadline <= sitting.closes_at
    # Starting again (a reload) changes nothing.
    again = services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    assert again.deadline == started.deadline


def test_start_outside_window_is_refused(db):
    now = timezone.now()
    sitting = make_sitting(opens_at=now + timedelta(hours=1), closes_at=now + timedelta(hours=2))
    attempt = sitting.attempts.first()
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    with pytest.raises(errors.SittingNotOpen):
        services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)


def test_late_answer_is_refused_and_deadline_submits(started, django_capture_on_commit_callbacks):
    attempt, token = started
    answer(attempt, token, 1, 1, "A")
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    with pytest.raises(errors.DeadlinePassed):
        answer(attempt, token, 2, 2, "B")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.attempts_submit_expired() == 1
    attempt.refresh_from_db()
    assert attempt.status == statuses.SCORED  # eager Celery scored it on commit
    assert attempt.submit_reason == Attempt.SubmitReason.DEADLINE
    assert not AnswerEvent.objects.filter(attempt=attempt, seq=2).exists()
    with pytest.raises(errors.AttemptClosed):
        answer(attempt, token, 3, 2, "B")


def test_submit_scores_and_writes_record_once(started, django_capture_on_commit_callbacks):
    attempt, token = started
    keys = {
        fi.position: fi.item_version.content["key"] for fi in attempt.form.form_items.select_related("item_version")
    }
    answer(attempt, token, 1, 1, keys[1])
    answer(attempt, token, 2, 2, keys[2])
    answer(attempt, token, 3, 3, "A" if keys[3] != "A" else "B")
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    attempt.refresh_from_db()
    assert attempt.status == statuses.SCORED
    result = Result.objects.get(attempt=attempt)
    assert (result.number_correct, result.raw_score, result.max_score) == (2, Decimal("2"), Decimal("5"))
    assert result.score_10 == Decimal("4.0")
    assert result.theta is not None and 0 < result.theta_se < 1
    entry = RecordEntry.objects.get(attempt=attempt)
    assessment = attempt.sitting.assessment
    assert (entry.student_id, entry.subject_id, entry.school_year, entry.term, entry.entry_type, entry.score) == (
        attempt.student_id,
        assessment.subject_id,
        "2026-2027",
        1,
        "midterm",
        Decimal("4.0"),
    )
    # Scoring again, or submitting again, changes nothing.
    services.attempt_score(attempt_id=attempt.pk)
    services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    assert Result.objects.filter(attempt=attempt).count() == 1
    assert RecordEntry.objects.filter(student=attempt.student).count() == 1
    assert list(attempt.transitions.values_list("from_status", "to_status")) == [
        ("scheduled", "in_progress"),
        ("in_progress", "submitted"),
        ("submitted", "scored"),
    ]


def test_scoring_without_irt_parameters_gives_no_theta(db, django_capture_on_commit_callbacks):
    sitting = make_sitting(irt=False)
    attempt = sitting.attempts.first()
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    result = Result.objects.get(attempt=attempt)
    assert result.theta is None and result.score_10 == Decimal("0.0")


ALL_PAIRS = [(a, b) for a in statuses.ALL for b in statuses.ALL if a != b]


@pytest.mark.parametrize("current, target", ALL_PAIRS)
def test_transition_table(attempt, current, target):
    Attempt.objects.filter(pk=attempt.pk).update(status=current)
    if target in statuses.ALLOWED[current]:
        moved = services.attempt_move(attempt_id=attempt.pk, to=target, by=None, reason="test")
        assert moved.status == target
        assert AttemptTransition.objects.filter(attempt=attempt, from_status=current, to_status=target).exists()
    else:
        with pytest.raises(statuses.IllegalTransition):
            services.attempt_move(attempt_id=attempt.pk, to=target, by=None)
        attempt.refresh_from_db()
        assert attempt.status == current


def test_repeated_move_is_a_no_op(attempt):
    services.attempt_move(attempt_id=attempt.pk, to=statuses.CHECKED_IN, by=None)
    services.attempt_move(attempt_id=attempt.pk, to=statuses.CHECKED_IN, by=None)
    assert attempt.transitions.count() == 1


def test_state_never_contains_keys(started):
    attempt, token = started
    state = attempt_state(attempt.pk)
    text = repr(state)
    assert len(state["items"]) == 5
    assert "key" not in text and "irt" not in text
    for item in state["items"]:
        assert set(item) == {"item", "type", "points", "stem_html", "options", "stimulus"}


def test_only_board_of_the_organisation_schedules(db, sitting):
    teacher = make_user(Role.TEACHER, sitting.organisation)
    with pytest.raises(PermissionDenied):
        sittings.sitting_enrol(by=teacher, sitting_id=sitting.pk, candidates=sittings.Candidates(names=("x",)))


def test_unknown_token_is_superseded(started):
    attempt, _ = started
    with pytest.raises(errors.Superseded):
        answer(attempt, uuid.uuid4(), 1, 1, "A")


def test_pause_keeps_the_time_left_and_resume_gives_it_back(started):
    attempt, token = started
    proctor = make_user(Role.PROCTOR, attempt.sitting.organisation)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() + timedelta(minutes=10))
    paused = services.attempt_pause(attempt_id=attempt.pk, by=proctor, reason="mất điện")
    assert paused.status == statuses.PAUSED
    assert timedelta(minutes=9, seconds=58) < paused.paused_remaining <= timedelta(minutes=10)
    assert services.attempt_pause(attempt_id=attempt.pk, by=proctor).status == statuses.PAUSED  # repeat
    with pytest.raises(errors.Paused):
        answer(attempt, token, 1, 1, "A")
    # Time passing while paused is not counted, and the sweep leaves a paused attempt alone.
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(hours=1))
    assert services.attempts_submit_expired() == 0
    resumed = services.attempt_resume(attempt_id=attempt.pk, by=proctor)
    assert resumed.status == statuses.IN_PROGRESS and resumed.paused_remaining is None
    assert timedelta(minutes=9, seconds=55) < resumed.deadline - timezone.now() <= timedelta(minutes=10)
    assert answer(attempt, token, 1, 1, "A").duplicate is False
    reasons = list(attempt.transitions.values_list("to_status", "reason", "by"))
    assert (statuses.PAUSED, "mất điện", proctor.pk) in reasons


def test_attempts_whose_scoring_was_lost_are_scored_by_the_sweep_once(
    started, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """A submit whose task never ran (a worker killed, a broker down) leaves the attempt
    submitted without a result; the sweep queues it again after the grace, and only then."""
    attempt, token = started
    lost: list[int] = []
    monkeypatch.setattr(services, "_score_later", lost.append)  # the task is lost
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    assert lost == [attempt.pk] and not Result.objects.filter(attempt=attempt).exists()
    monkeypatch.undo()

    settings.SCORING_SWEEP_GRACE_SECONDS = 120
    other = make_sitting(n_students=2).attempts.order_by("pk")  # scheduled and running: not for scoring
    assert services.attempts_score_stranded() == 0  # within the grace: its task may only be slow
    later = timezone.now() + timedelta(seconds=121)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.attempts_score_stranded(now=later) == 1
    attempt.refresh_from_db()
    assert attempt.status == statuses.SCORED
    assert Result.objects.filter(attempt=attempt).count() == 1
    assert RecordEntry.objects.filter(attempt=attempt).count() == 1
    # Scored: nothing left for the next sweep; a late duplicate task changes nothing.
    assert services.attempts_score_stranded(now=later + timedelta(hours=1)) == 0
    services.attempt_score(attempt_id=attempt.pk)
    assert Result.objects.filter(attempt=attempt).count() == 1
    assert all(a.status == statuses.SCHEDULED for a in other)


@pytest.mark.parametrize("role", [Role.STUDENT, Role.TEACHER])
def test_only_staff_of_the_organisation_pause(started, role):
    attempt, _ = started
    with pytest.raises(PermissionDenied):
        services.attempt_pause(attempt_id=attempt.pk, by=make_user(role, attempt.sitting.organisation))
    outsider = make_user(Role.PROCTOR, make_sitting().organisation)
    with pytest.raises(PermissionDenied):
        services.attempt_pause(attempt_id=attempt.pk, by=outsider)
    attempt.refresh_from_db()
    assert attempt.status == statuses.IN_PROGRESS


# --- the history cap (issue 8, finding 6) -----------------------------------------------------


def test_history_is_capped_and_refusing_loses_no_acknowledged_answer(started, settings):
    settings.ATTEMPT_HISTORY_MAX_EVENTS = 5
    attempt, token = started
    for seq in range(1, 5):
        answer(attempt, token, seq, seq, "A")
    services.attempt_set_flag(attempt_id=attempt.pk, token=token, seq=5, item=1, flagged=True)
    # One socket stored 180 answers a second, without end: now the sixth change is refused ...
    with pytest.raises(errors.DeliveryError) as refused:
        answer(attempt, token, 6, 2, "B")
    assert refused.value.code == "history_full" and refused.value.seq == 6
    with pytest.raises(errors.DeliveryError) as refused:
        services.attempt_set_flag(attempt_id=attempt.pk, token=token, seq=7, item=2, flagged=True)
    assert refused.value.code == "history_full"
    # ... a change stored before is still acknowledged (a client resending after a reconnect) ...
    assert answer(attempt, token, 3, 3, "A").duplicate is True
    # ... and nothing acknowledged is lost: the history, the answers, the flag, the sequence.
    assert list(AnswerEvent.objects.filter(attempt=attempt).values_list("seq", flat=True)) == [1, 2, 3, 4, 5]
    state = attempt_state(attempt.pk)
    assert sorted(state["answers"]) == ["1", "2", "3", "4"] and state["flags"] == [1] and state["last_seq"] == 5
    services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    services.attempt_score(attempt_id=attempt.pk)
    assert Result.objects.get(attempt=attempt).item_scores[:4] == [1.0, 0.0, 0.0, 0.0]  # item 1's key is A


def test_the_history_count_follows_every_stored_change(started):
    attempt, token = started
    answer(attempt, token, 5, 2, "D")
    answer(attempt, token, 4, 2, "C")  # late: stored in the history, counted
    answer(attempt, token, 5, 2, "D")  # a replay: not stored again
    services.attempt_set_flag(attempt_id=attempt.pk, token=token, seq=6, item=2, flagged=True)
    with pytest.raises(errors.InvalidValue):
        answer(attempt, token, 7, 2, "Z")
    attempt.refresh_from_db()
    assert attempt.event_count == AnswerEvent.objects.filter(attempt=attempt).count() == 3
    assert attempt.last_seq == 6
