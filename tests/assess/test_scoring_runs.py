"""Scoring a whole sitting in chunks (assess.scoring_runs), on the embedded default: the same rows
as scoring each attempt alone, run twice or rescored; refusals, permissions, the sweep, the
item analysis, the query count of a chunk."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from assess import authoring, scoring_runs, services, sittings, statuses, test_codes
from assess.authoring import PartSpec
from assess.models import (
    Assessment,
    Attempt,
    AttemptTransition,
    Form,
    FormItem,
    ItemMark,
    RecordEntry,
    Result,
    ScoringChunk,
    ScoringRun,
    Sitting,
)
from itembank import content
from itembank import services as bank
from itembank.models import CognitiveLevel
from tests.assess.test_authoring import TF_KEYS, World
from tests.factories import logged_in_client, make_department, make_school, make_user, release_version, schedule

pytestmark = pytest.mark.django_db


# --- building sittings --------------------------------------------------------------------------


def essay_item(world: World):
    version = bank.item_create(
        by=world.teacher,
        subject=world.subject,
        level=CognitiveLevel.APPLY,
        item_type="essay",
        content={"stem": "Trình bày cách giải."},
        points="1",
    )
    release_version(version, author=world.teacher, reviewer=world.board)
    return version.item


def build_form(
    world: World, *, kind: str = Assessment.Kind.PERIODIC, codes: int = 2, step: str = "0.1", essay: bool = True
) -> Form:
    """A master form: 4 single-choice items (0.25, calibrated), 2 true/false groups (1 point), an
    essay (1 point) unless told not to; ``codes`` test codes of it."""
    parts = (
        PartSpec("Phần I", 4, Decimal("0.25"), "single_choice"),
        PartSpec("Phần II", 2, Decimal("1"), "true_false_group"),
    )
    if essay:
        parts += (PartSpec("Phần III", 1, Decimal("1"), "essay"),)
    spec = world.spec(kind=kind, score_step=step, parts=parts)
    if kind == Assessment.Kind.CONTINUOUS:
        spec = world.spec(kind=kind, score_step=step, parts=spec.parts, record_entry_type="continuous")
    assessment = authoring.assessment_create(by=world.board, spec=spec)
    choices = world.choice(world.algebra, n=4)
    for number, item in enumerate(choices):
        bank.item_version_set_calibration(
            by=world.board,
            version_id=item.versions.get(status="published").pk,
            irt_a=0.8 + number / 5,
            irt_b=-1 + number / 2,
            calibration="test",
        )
    groups = world.true_false(world.geometry, n=2)
    picks = [[i.pk for i in choices], [i.pk for i in groups]]
    if essay:
        picks.append([essay_item(world).pk])
    master = authoring.form_build(by=world.board, assessment_id=assessment.pk, code="GOC", item_ids=picks)
    if codes:
        test_codes.codes_generate(by=world.board, form_id=master.pk, count=codes, seed=3)
    return master


def answers_of(index: int) -> dict[int, object]:
    """A candidate's answers by master position, in the versions' own ids: varied, with blanks."""
    answers: dict[int, object] = {}
    for position in range(1, 5):
        if (index + position) % 5:
            answers[position] = "ABCD"[(index * 3 + position) % 4]
    for position in (5, 6):
        if (index + position) % 4:
            flipped = {k: (not v if (index + ord(k) + position) % 3 == 0 else v) for k, v in TF_KEYS.items()}
            answers[position] = flipped
    if index % 2 == 0:
        answers[7] = f"Bài làm của thí sinh {index}."
    return answers


def without_essay(answers: dict[int, object]) -> dict[int, object]:
    return {position: value for position, value in answers.items() if position != 7}


def take(attempt: Attempt, answers: dict[int, object]) -> None:
    """The candidate answers (master positions, versions' ids) and hands in; the scoring task
    the commit queues is not run (no on-commit callbacks run in these tests)."""
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    by_master = {
        (fi.master_position or fi.position): fi
        for fi in FormItem.objects.filter(form_id=attempt.form_id).select_related("item_version__item")
    }
    for seq, (position, value) in enumerate(sorted(answers.items()), start=1):
        fi = by_master[position]
        shown = content.response_to_shown(fi.item_version.item.item_type, fi.response_ids, value)
        services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=seq, item=fi.position, value=shown)
    services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)


def exam_sitting(
    world: World, *, n_students: int = 10, codes: int = 2, step: str = "0.1", essay: bool = True
) -> Sitting:
    """An exam of :func:`build_form` for ``n_students``, all but the last handed in."""
    master = build_form(world, codes=codes, step=step, essay=essay)
    students = [make_user(Role.STUDENT, world.school) for _ in range(n_students)]
    sitting = schedule(by=world.board, form=master, students=students)
    for index, attempt in enumerate(sitting.attempts.order_by("pk")):
        if index == n_students - 1:
            continue  # absent: never handed in
        take(attempt, answers_of(index) if essay else without_essay(answers_of(index)))
    return sitting


def moderate(sitting: Sitting, position: int, **fields) -> None:
    """Moderate the item at master ``position`` on the master form and every test code."""
    version = FormItem.objects.get(form_id=sitting.form_id, position=position).item_version_id
    FormItem.objects.filter(form__assessment=sitting.assessment, item_version_id=version).update(**fields)


# --- snapshots and the reference (attempt_score one by one) ------------------------------------


def snapshot(sitting: Sitting) -> dict:
    """Every row scoring writes, without the instants."""
    return {
        "results": {
            r["attempt_id"]: r
            for r in Result.objects.filter(attempt__sitting=sitting).values("attempt_id", *scoring_runs.RESULT_FIELDS)
        },
        "entries": sorted(
            RecordEntry.objects.filter(attempt__sitting=sitting).values_list(
                "student_id",
                "attempt_id",
                "score",
                "subject_id",
                "school_year",
                "term",
                "entry_type",
                "organisation_id",
            )
        ),
        "statuses": dict(Attempt.objects.filter(sitting=sitting).values_list("pk", "status")),
        "transitions": sorted(
            AttemptTransition.objects.filter(attempt__sitting=sitting, from_status__in=statuses.FINISHED).values_list(
                "attempt_id", "from_status", "to_status", "by_id", "reason"
            )
        ),
    }


def unscore(sitting: Sitting) -> None:
    """Back to handed in, as before any scoring (to score the same attempts another way)."""
    RecordEntry.objects.filter(attempt__sitting=sitting).delete()
    Result.objects.filter(attempt__sitting=sitting).delete()
    AttemptTransition.objects.filter(attempt__sitting=sitting, from_status__in=statuses.FINISHED).delete()
    Attempt.objects.filter(sitting=sitting, status__in=(statuses.SCORED, statuses.PUBLISHED)).update(
        status=statuses.SUBMITTED
    )


def score_one_by_one(sitting: Sitting) -> dict:
    unscore(sitting)
    for attempt_id in Attempt.objects.filter(sitting=sitting).order_by("pk").values_list("pk", flat=True):
        services.attempt_score(attempt_id=attempt_id)
    return snapshot(sitting)


def run(sitting: Sitting, by, capture, **options) -> ScoringRun:
    """Start a run and let its tasks run (eagerly, as the embedded default does at commit)."""
    with capture(execute=True):
        started = scoring_runs.sitting_score_start(by=by, sitting_id=sitting.pk, **options)
    started.refresh_from_db()
    return started


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def small_chunks(settings):
    settings.SCORING_CHUNK_SIZE = 3


# --- the same rows as one by one ------------------------------------------------------------------


def test_a_run_in_chunks_writes_what_scoring_each_attempt_alone_writes(
    world, small_chunks, django_capture_on_commit_callbacks
):
    sitting = exam_sitting(world, n_students=10)
    moderate(sitting, 2, key_override={"key": "D"})  # re-keyed
    moderate(sitting, 3, accepted_keys=[{"key": "A"}])  # a further key accepted
    moderate(sitting, 4, dropped=True)
    moderate(sitting, 6, trial=True)
    for index, marked in enumerate(sitting.attempts.order_by("pk")[:8:2]):  # a person marked their essays
        essay = FormItem.objects.get(form_id=marked.form_id, item_version__item__item_type="essay")
        ItemMark.objects.create(attempt=marked, form_item=essay, points=Decimal("0.25") * index)

    finished = run(sitting, world.board, django_capture_on_commit_callbacks)

    assert (finished.status, finished.total_chunks, finished.done_chunks) == ("done", 3, 3)
    assert (finished.total_attempts, finished.done_attempts, finished.scored) == (9, 9, 9)
    by_run = snapshot(sitting)
    assert len(by_run["results"]) == 9 and len({a.form_id for a in sitting.attempts.all()}) == 2
    assert sum(1 for r in by_run["results"].values() if r["pending_items"]) == 5  # essays awaiting a marker
    assert len(by_run["entries"]) == 4 and finished.record_entries == 4
    assert any(r["theta"] is not None for r in by_run["results"].values())
    assert by_run == score_one_by_one(sitting)


@pytest.mark.parametrize("counting", ["best", "last", "mean"])
def test_several_attempts_of_an_assignment_count_by_its_rule_like_one_by_one(
    world, small_chunks, django_capture_on_commit_callbacks, counting
):
    master = build_form(world, kind=Assessment.Kind.CONTINUOUS, codes=2, essay=False)
    students = [make_user(Role.STUDENT, world.school) for _ in range(4)]
    sitting = schedule(by=world.board, form=master, students=students, max_attempts=3, counting=counting)
    for index, student in enumerate(students):
        for number in range(index % 3 + 1):
            attempt = Attempt.objects.filter(sitting=sitting, student=student).order_by("-number").first()
            if number:
                attempt = sittings.attempt_again(sitting_id=sitting.pk, user=student)
            take(attempt, without_essay(answers_of(index * 3 + number)))

    finished = run(sitting, world.board, django_capture_on_commit_callbacks)

    chunks = list(finished.chunks.all())
    students_of = [
        set(Attempt.objects.filter(pk__in=c.attempt_ids).values_list("student_id", flat=True)) for c in chunks
    ]
    assert all(not (a & b) for i, a in enumerate(students_of) for b in students_of[i + 1 :])  # never split
    by_run = snapshot(sitting)
    assert len(by_run["results"]) == 7 and len(by_run["entries"]) == 4
    assert by_run == score_one_by_one(sitting)


def test_practice_writes_no_record_and_released_results_are_published(world, django_capture_on_commit_callbacks):
    master = build_form(world, kind=Assessment.Kind.CONTINUOUS, codes=0, essay=False)
    students = [make_user(Role.STUDENT, world.school) for _ in range(3)]
    practice = schedule(by=world.board, form=master, students=students, practice=True, title="Luyện tập")
    for index, attempt in enumerate(practice.attempts.order_by("pk")):
        take(attempt, without_essay(answers_of(index)))
    finished = run(practice, world.board, django_capture_on_commit_callbacks)
    assert finished.scored == 3 and finished.record_entries == 0
    assert not RecordEntry.objects.filter(attempt__sitting=practice).exists()

    exam = exam_sitting(world, n_students=5, codes=0)
    marked = exam.attempts.order_by("pk")[1]
    essay = FormItem.objects.get(form_id=marked.form_id, item_version__item__item_type="essay")
    ItemMark.objects.create(attempt=marked, form_item=essay, points=Decimal("1"))
    sittings.sitting_release(by=world.board, sitting_id=exam.pk)
    finished = run(exam, world.board, django_capture_on_commit_callbacks)
    by_run = snapshot(exam)
    published = [pk for pk, status in by_run["statuses"].items() if status == statuses.PUBLISHED]
    assert finished.published == len(published) == 1 and published == [marked.pk]  # the others await a marker
    assert by_run == score_one_by_one(exam)


# --- idempotence, and what another path scored meanwhile ---------------------------------------------


def test_a_second_run_writes_nothing_new_and_a_late_attempt_is_scored_once(
    world, small_chunks, django_capture_on_commit_callbacks
):
    sitting = exam_sitting(world, n_students=8)
    first = run(sitting, world.board, django_capture_on_commit_callbacks)
    before = snapshot(sitting)
    second = run(sitting, world.board, django_capture_on_commit_callbacks)
    assert (first.scored, second.scored, second.changed, second.record_entries) == (7, 0, 0, 0)
    assert second.status == "done" and second.total_attempts == 7
    assert snapshot(sitting) == before

    # Handed in after the run: its own task scored it before a run got to it.
    late = sitting.attempts.exclude(status__in=statuses.FINISHED).get()
    take(late, answers_of(3))
    started = scoring_runs.sitting_score_start(by=world.board, sitting_id=sitting.pk)  # queued: tasks not run
    services.attempt_score(attempt_id=late.pk)
    for chunk in ScoringChunk.objects.filter(run=started).order_by("number"):
        scoring_runs.scoring_chunk_run(chunk_id=chunk.pk)
    scoring_runs.scoring_run_finish(run_id=started.pk)
    started.refresh_from_db()
    assert started.status == "done" and started.scored == 0
    assert Result.objects.filter(attempt=late).count() == 1
    assert AttemptTransition.objects.filter(attempt=late, to_status=statuses.SCORED).count() == 1
    assert Result.objects.filter(attempt__sitting=sitting).count() == RecordEntry.objects.filter(
        attempt__sitting=sitting
    ).count() + sum(1 for r in Result.objects.filter(attempt__sitting=sitting) if r.pending_items)


def test_a_chunk_whose_worker_died_is_queued_again_by_the_sweep_and_scored_once(
    world, small_chunks, django_capture_on_commit_callbacks
):
    sitting = exam_sitting(world, n_students=7)
    started = scoring_runs.sitting_score_start(by=world.board, sitting_id=sitting.pk)  # queued: tasks not run
    chunks = list(started.chunks.order_by("number"))
    # A worker claimed the first chunk and died: its transaction rolled back, its lease ran out.
    ScoringChunk.objects.filter(pk=chunks[0].pk).update(
        status="running", tries=1, worker="dead:1", lease_until=timezone.now() - timedelta(seconds=1)
    )
    for chunk in chunks[1:]:
        assert scoring_runs.scoring_chunk_run(chunk_id=chunk.pk) == "done"
    assert scoring_runs.scoring_chunk_run(chunk_id=chunks[1].pk) == "skipped"  # delivered twice
    with django_capture_on_commit_callbacks(execute=True):
        assert scoring_runs.scoring_runs_sweep() == 1
    started.refresh_from_db()
    dead = ScoringChunk.objects.get(pk=chunks[0].pk)
    assert (dead.status, dead.tries) == ("done", 2) and started.status == "done"
    assert (started.done_chunks, started.done_attempts, started.scored) == (2, 6, 6)
    assert Result.objects.filter(attempt__sitting=sitting).count() == 6
    assert AttemptTransition.objects.filter(attempt__sitting=sitting, to_status=statuses.SCORED).count() == 6
    assert started.statistics["attempts"] == 6


def test_a_chunk_that_keeps_killing_its_workers_is_given_up_and_the_run_fails_saying_so(world, small_chunks):
    sitting = exam_sitting(world, n_students=5)
    started = scoring_runs.sitting_score_start(by=world.board, sitting_id=sitting.pk)
    first, second = started.chunks.order_by("number")
    ScoringChunk.objects.filter(pk=first.pk).update(
        status="running", tries=scoring_runs.MAX_TRIES, lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert scoring_runs.scoring_chunk_run(chunk_id=second.pk) == "done"
    assert scoring_runs.scoring_chunk_run(chunk_id=first.pk) == "failed"
    scoring_runs.scoring_run_finish(run_id=started.pk)
    started.refresh_from_db()
    assert started.status == "failed" and started.failed_chunks == 1
    assert started.errors[0].startswith(f"{first.number}: ") and "5" in started.errors[0]  # stopped after 5 tries
    # Nothing of the failed chunk was written; a new run scores it.
    assert Result.objects.filter(attempt_id__in=first.attempt_ids).count() == 0
    scoring_runs.sitting_score_start(by=world.board, sitting_id=sitting.pk)


# --- rescoring ----------------------------------------------------------------------------------


def test_a_rescore_after_a_re_key_changes_the_right_results_and_record_entries(
    world, small_chunks, django_capture_on_commit_callbacks
):
    sitting = exam_sitting(world, n_students=10, essay=False)
    run(sitting, world.board, django_capture_on_commit_callbacks)
    before = snapshot(sitting)
    master_item = FormItem.objects.select_related("item_version").get(form_id=sitting.form_id, position=1)
    moderate(sitting, 1, key_override={"key": "C"})
    # What moderation previews before the re-key is saved: unsaved copies, nothing read or written.
    expected = {}
    for attempt in sitting.attempts.filter(status=statuses.SCORED).select_related("sitting__assessment"):
        form_items, answers, marks = services._inputs(attempt)
        expected[attempt.pk] = services.compute_result(form_items, answers, marks, step="0.1")

    finished = run(sitting, world.board, django_capture_on_commit_callbacks, rescore=True)

    after = snapshot(sitting)
    differing = {pk for pk in before["results"] if before["results"][pk] != after["results"][pk]}
    assert finished.mode == "rescore" and finished.changed == len(differing) > 0
    for pk in differing:  # only the re-keyed item's score (and what follows from it) moved
        old, new = before["results"][pk]["item_scores"], after["results"][pk]["item_scores"]
        assert old[1:] == new[1:] and old[0] != new[0]
    for pk, computed in expected.items():
        stored = after["results"][pk]
        assert stored["raw_score"] == computed.raw_score and stored["item_scores"] == computed.item_scores
        assert stored["theta"] == computed.theta
    assert after["entries"] != before["entries"] and finished.record_entries > 0
    assert after["transitions"] == before["transitions"]  # a rescore moves no attempt here
    assert master_item.item_version.content["key"] != "C"
    assert after == score_one_by_one(sitting)  # the same as scoring afresh under the new key


def test_score_attempts_previews_a_re_key_on_unsaved_form_items_without_a_query(
    world, django_capture_on_commit_callbacks, django_assert_num_queries
):
    sitting = exam_sitting(world, n_students=6, codes=0)
    run(sitting, world.board, django_capture_on_commit_callbacks)
    attempts = list(sitting.attempts.filter(status=statuses.SCORED).order_by("pk"))
    inputs = {a.pk: services._inputs(a) for a in attempts}
    form_items = inputs[attempts[0].pk][0]
    form_items[0].key_override = {"key": "B"}  # considered, not saved
    rows = [(pk, answers, marks) for pk, (_fi, answers, marks) in inputs.items()]
    with django_assert_num_queries(0):
        preview = services.score_attempts(form_items, rows, step="0.1")
    moderate(sitting, 1, key_override={"key": "B"})
    run(sitting, world.board, django_capture_on_commit_callbacks, rescore=True)
    for attempt in attempts:
        stored = Result.objects.filter(attempt=attempt).values(*scoring_runs.RESULT_FIELDS).get()
        assert stored == {
            name: (Decimal(str(value)).quantize(Decimal("0.01")) if isinstance(value, Decimal) else value)
            for name, value in preview[attempt.pk].fields().items()
        }


def test_many_attempts_scored_together_get_what_each_gets_alone_to_the_last_bit(world):
    master = build_form(world, codes=0)
    form_items = sorted(master.form_items.select_related("item_version__item"), key=lambda fi: fi.position)
    ids = [fi.pk for fi in form_items]
    rows = []
    for index in range(60):
        answers = {ids[p - 1]: v for p, v in answers_of(index).items()}
        rows.append((index, answers, {ids[6]: Decimal("0.5")} if index % 7 == 0 else {}))
    together = services.score_attempts(form_items, rows, step="0.25")
    for key, answers, marks in rows:
        assert together[key] == services.compute_result(form_items, answers, marks, step="0.25")
    assert len({c.theta for c in together.values()}) > 5


# --- refusals and permissions ------------------------------------------------------------------------


def test_a_second_start_while_one_runs_is_refused_and_so_are_empty_and_cancelled_sittings(world):
    sitting = exam_sitting(world, n_students=3)
    started = scoring_runs.sitting_score_start(by=world.board, sitting_id=sitting.pk)
    with pytest.raises(scoring_runs.RunInProgress) as refused:
        scoring_runs.sitting_score_start(by=world.board, sitting_id=sitting.pk, rescore=True)
    assert refused.value.run == started
    assert ScoringRun.objects.filter(sitting=sitting).count() == 1

    nobody = schedule(by=world.board, form=sitting.form, students=[make_user(Role.STUDENT, world.school)])
    with pytest.raises(ValidationError) as empty:
        scoring_runs.sitting_score_start(by=world.board, sitting_id=nobody.pk)
    sittings.sitting_cancel(by=world.board, sitting_id=nobody.pk, reason="Trùng lịch")
    with pytest.raises(ValidationError) as cancelled:
        scoring_runs.sitting_score_start(by=world.board, sitting_id=nobody.pk)
    assert empty.value.messages != cancelled.value.messages and "sitting" in cancelled.value.message_dict
    with pytest.raises(PermissionDenied):
        scoring_runs.sitting_score_start(by=world.teacher, sitting_id=sitting.pk)


def test_the_api_starts_and_shows_runs_to_the_board_only(world, django_capture_on_commit_callbacks):
    sitting = exam_sitting(world, n_students=4)
    url = f"/api/sittings/{sitting.pk}/scoring-runs/"
    board = logged_in_client(world.board)
    board.cookies["django_language"] = "en"
    assert board.get(url).json() == {"results": []}
    with django_capture_on_commit_callbacks(execute=True):  # the tasks run once the request commits
        started = board.post(url, {"rescore": False}, content_type="application/json")
    assert started.status_code == 201, started.content
    assert started.json()["status"] == "queued" and started.json()["attempts"] == {"total": 3, "done": 0}
    listed = board.get(url).json()["results"]
    body = listed[0]
    assert [r["id"] for r in listed] == [started.json()["id"]]
    assert body["status"] == "done" and body["percent"] == 100 and body["attempts"] == {"total": 3, "done": 3}
    assert body["chunks"] == {"total": 1, "done": 1, "failed": 0} and body["scored"] == 3
    items = listed[0]["statistics"]["items"]
    assert [i["position"] for i in items] == list(range(1, 8))
    assert items[0]["options"]["choices"][0]["option"] in "ABCD"

    # Queued and not yet run (a worker's job): a second start is 409 with the run under way.
    queued = board.post(url, {"rescore": True}, content_type="application/json")
    assert queued.status_code == 201 and queued.json()["status"] == "queued"
    again = board.post(url, {}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "scoring_running" and again.json()["run"]["id"] == queued.json()["id"]
    assert board.post(url, {"rescore": "maybe"}, content_type="application/json").status_code == 400

    other_board = logged_in_client(make_user(Role.BOARD, make_department()))
    assert other_board.get(url).status_code == 404
    assert other_board.post(url, {}, content_type="application/json").status_code == 404
    assert logged_in_client(world.teacher).post(url, {}, content_type="application/json").status_code == 404
    proctor = logged_in_client(make_user(Role.PROCTOR, world.school))
    assert proctor.get(url).status_code == 403
    student = logged_in_client(make_user(Role.STUDENT, world.school))
    assert student.post(url, {}, content_type="application/json").status_code == 403
    assert Client().get(url).status_code in (401, 403)
    assert ScoringRun.objects.filter(sitting=sitting).count() == 2


def test_the_boards_sitting_page_shows_the_scoring_block(world, django_capture_on_commit_callbacks):
    sitting = exam_sitting(world, n_students=3)
    run(sitting, world.board, django_capture_on_commit_callbacks)
    client = logged_in_client(world.board)
    client.cookies["django_language"] = "vi"
    page = client.get(f"/board/sittings/{sitting.pk}/").content.decode()
    assert 'data-testid="scoring-runs"' in page and "board_scoring.js" in page
    assert 'id="scoring-config"' in page


# --- the sweep starts an exam sitting that closed ----------------------------------------------------


def test_the_sweep_scores_an_exam_sitting_once_it_has_closed_and_nobody_is_still_writing(
    world, django_capture_on_commit_callbacks
):
    sitting = exam_sitting(world, n_students=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert scoring_runs.scoring_runs_sweep() == 0  # still open
    Sitting.objects.filter(pk=sitting.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    writing = sitting.attempts.exclude(status__in=statuses.FINISHED).get()
    token = services.attempt_connect(attempt_id=writing.pk, user=writing.student).token
    Attempt.objects.filter(pk=writing.pk).update(status=statuses.IN_PROGRESS)  # a late starter still writing
    with django_capture_on_commit_callbacks(execute=True):
        assert scoring_runs.scoring_runs_sweep() == 0
    assert token and not ScoringRun.objects.exists()
    Attempt.objects.filter(pk=writing.pk).update(status=statuses.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        assert scoring_runs.scoring_runs_sweep() == 1
    automatic = ScoringRun.objects.get(sitting=sitting)
    assert automatic.status == "done" and automatic.started_by is None and automatic.scored == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert scoring_runs.scoring_runs_sweep() == 0  # once
    assert ScoringRun.objects.count() == 1


# --- the item analysis ---------------------------------------------------------------------------


def test_the_item_analysis_counts_options_omissions_and_difficulty(world, django_capture_on_commit_callbacks):
    sitting = exam_sitting(world, n_students=12, codes=2)
    finished = run(sitting, world.board, django_capture_on_commit_callbacks)
    statistics = finished.statistics
    assert statistics["attempts"] == 11
    first = statistics["items"][0]
    key = FormItem.objects.get(form_id=sitting.form_id, position=1).item_version.content["key"]
    chosen = [answers_of(i).get(1) for i in range(11)]
    assert first["p_value"] == round(sum(1 for c in chosen if c == key) / 11, 4)
    assert first["omit_rate"] == round(sum(1 for c in chosen if c is None) / 11, 4)
    counts = {row["option"]: row["count"] for row in first["options"]["choices"]}
    assert counts == {
        **{o: sum(1 for c in chosen if c == o) for o in "ABCD" if o in chosen or o == key},
        **({None: chosen.count(None)} if None in chosen else {}),
    }
    assert [row["option"] for row in first["options"]["choices"] if row["key"]] == [key]
    essay = statistics["items"][6]
    assert essay["item_type"] == "essay" and essay["options"] is None
    assert essay["responses"] == 0 and essay["p_value"] is None  # every essay awaits a marker


# --- the query count of a chunk ----------------------------------------------------------------------

# The claim, the attempts locked, the form items, answers, marks and results read, results and
# transitions written, statuses set, record entries read and written, the chunk and the run
# saved: the same statements for 3 attempts or 2,000.
QUERIES_PER_CHUNK = 18


@pytest.mark.parametrize("n_students", [4, 16])
def test_a_chunk_takes_the_same_few_queries_however_many_attempts_it_holds(
    world, settings, django_assert_num_queries, n_students
):
    settings.SCORING_CHUNK_SIZE = 100
    sitting = exam_sitting(world, n_students=n_students, codes=2)
    started = scoring_runs.sitting_score_start(by=world.board, sitting_id=sitting.pk)
    chunk = started.chunks.get()
    with django_assert_num_queries(QUERIES_PER_CHUNK):
        assert scoring_runs.scoring_chunk_run(chunk_id=chunk.pk) == "done"
    assert Result.objects.filter(attempt__sitting=sitting).count() == n_students - 1


def test_a_rescore_chunk_takes_as_few(
    world, settings, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    settings.SCORING_CHUNK_SIZE = 100
    sitting = exam_sitting(world, n_students=12, codes=2)
    run(sitting, world.board, django_capture_on_commit_callbacks)
    moderate(sitting, 1, key_override={"key": "C"})
    started = scoring_runs.sitting_score_start(by=world.board, sitting_id=sitting.pk, rescore=True)
    with django_assert_max_num_queries(QUERIES_PER_CHUNK):
        assert scoring_runs.scoring_chunk_run(chunk_id=started.chunks.get().pk) == "done"


def test_a_school_of_another_department_cannot_see_the_runs(world, django_capture_on_commit_callbacks):
    sitting = exam_sitting(world, n_students=2)
    run(sitting, world.board, django_capture_on_commit_callbacks)
    stranger = make_user(Role.BOARD, make_school())
    assert logged_in_client(stranger).get(f"/api/sittings/{sitting.pk}/scoring-runs/").status_code == 404
