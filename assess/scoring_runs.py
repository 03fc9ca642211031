"""Scoring a whole sitting at once: in chunks, on several Celery workers, with its progress.

A *run* (``ScoringRun``) scores every handed-in attempt of a sitting (``score``) or works every
scored result out again from the current keys, moderation and marks (``rescore``). It is split
into *chunks* (``ScoringChunk``) of about ``SCORING_CHUNK_SIZE`` attempts, every attempt of a
student in the same chunk (the record entry counts a student's attempts together), and each
chunk is one Celery task: the workers share the sitting.

A chunk is scored in one transaction: its attempts are locked, their answers and marks read in
a few queries, every result computed by the one rule (``assess.services.FormRule``, which
``compute_result`` uses for a single attempt: each distinct response scored once, abilities as
one matrix), then written in bulk: results, ``submitted -> scored`` (``-> published`` where the
sitting's results show) with their audit rows, record entries; the chunk is marked done and the
run's counters grow in the same transaction. Whatever dies when, an attempt is scored exactly
once: a chunk's writes commit together or not at all, an attempt already scored (by its own task
at submit, or by a chunk before) is left as it is, and a worker blocked on the attempts' locks
finds them scored when it gets them.

A worker *claims* a chunk before working on it: ``running`` with a lease (``lease_until``,
``SCORING_CHUNK_LEASE_SECONDS``, longer than a task may run) and its name. A worker killed
mid-chunk leaves the chunk ``running`` and its transaction rolled back; the sweep
(:func:`scoring_runs_sweep`, beat every ``SCORING_RUN_SWEEP_SECONDS``, the embedded server's
beat without Redis) queues it again once its lease has run out and no transaction holds its row
(``skip_locked``: a slow worker still at it keeps it). The sweep also queues again the chunks
of a run that stopped moving (their messages lost), finishes runs whose finishing task was lost,
and starts the run of an exam sitting that closed with every attempt handed in.

When the last chunk is done the run finishes (:func:`scoring_run_finish`): the item analysis
of the sitting (``scoring.classical``: difficulty, point-biserial, omit rate, option counts of
choice items, alpha) from the figures each chunk kept, written with the run.

Starting is refused while a run of the sitting is queued or running (``RunInProgress``, the
API's ``409``), for a cancelled sitting, and for a sitting nobody has handed in yet; the runs
can be followed through :func:`runs_of` and :func:`run_data` (the API and the board's page).
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from scoring import classical, grades

from . import sittings, statuses
from .models import (
    Answer,
    Assessment,
    Attempt,
    AttemptTransition,
    FormItem,
    ItemMark,
    RecordEntry,
    Result,
    ScoringChunk,
    ScoringRun,
    Sitting,
)
from .services import Computed, FormRule, counts

logger = logging.getLogger(__name__)

ACTIVE = (ScoringRun.Status.QUEUED, ScoringRun.Status.RUNNING)
FINISHED = (ScoringChunk.Status.DONE, ScoringChunk.Status.FAILED)
HANDED_IN = (statuses.SUBMITTED, statuses.SCORED, statuses.PUBLISHED)
SCORED = (statuses.SCORED, statuses.PUBLISHED)
# A chunk whose worker died this many times is given up (it may be what kills them).
MAX_TRIES = 5
# Exam sittings that closed longer ago than this are not started by the sweep (old sittings
# when this is first deployed); the board starts them by hand.
AUTO_START_DAYS = 7
# Rows per statement of the bulk writes.
BATCH = 1000
RESULT_FIELDS = (
    "raw_score",
    "max_score",
    "number_correct",
    "item_count",
    "score_10",
    "pending_items",
    "item_scores",
    "theta",
    "theta_se",
)


class RunInProgress(Exception):
    """A run of this sitting is queued or running already: the one running is named."""

    def __init__(self, run: ScoringRun) -> None:
        super().__init__(_("This sitting is being scored already: wait for that run to finish."))
        self.run = run
        self.message = str(self.args[0])


# --- reads ----------------------------------------------------------------------------------


def running(sitting: Sitting) -> QuerySet[ScoringRun]:
    """The sitting's runs queued or going on (at most one: a constraint)."""
    return ScoringRun.objects.filter(sitting=sitting, status__in=ACTIVE)


def runs_of(sitting: Sitting, *, limit: int = 5) -> list[ScoringRun]:
    """The sitting's latest runs, the newest first."""
    return list(
        ScoringRun.objects.filter(sitting=sitting).select_related("started_by").order_by("-created_at", "-id")[:limit]
    )


def run_data(run: ScoringRun) -> dict[str, Any]:
    """A run as the API and the board's page show it: status, progress, outcome, statistics."""
    total = run.total_attempts
    percent = 100 if run.status == ScoringRun.Status.DONE else (100 * run.done_attempts // total if total else 0)
    return {
        "id": run.pk,
        "mode": run.mode,
        "status": run.status,
        "started_by": run.started_by.username if run.started_by_id else None,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "chunks": {"total": run.total_chunks, "done": run.done_chunks, "failed": run.failed_chunks},
        "attempts": {"total": total, "done": run.done_attempts},
        "percent": percent,
        "scored": run.scored,
        "changed": run.changed,
        "published": run.published,
        "record_entries": run.record_entries,
        "errors": list(run.errors or []),
        "statistics": run.statistics,
    }


# --- starting -------------------------------------------------------------------------------


def _chunks_of(rows: Sequence[tuple[int, int]], size: int) -> list[list[int]]:
    """Attempt ids cut into chunks of about ``size``, never between two attempts of a student
    (``rows``: (attempt, student) ordered by student)."""
    chunks: list[list[int]] = []
    current: list[int] = []
    previous = None
    for attempt_id, student_id in rows:
        if len(current) >= size and student_id != previous:
            chunks.append(current)
            current = []
        current.append(attempt_id)
        previous = student_id
    if current:
        chunks.append(current)
    return chunks


@transaction.atomic
def sitting_score_start(*, by: User | None, sitting_id: int, rescore: bool = False) -> ScoringRun:
    """Queue the scoring of a sitting's handed-in attempts (``rescore``: the scored ones worked
    out again too); the run. ``by`` None: the sweep, at the sitting's close.

    Every handed-in attempt is in a chunk: the submitted ones are scored, the scored ones are
    left as they are (or rescored), and all of them make the item analysis. Starting again
    once a run is done scores what was handed in since and gives the same rows for the rest.
    """
    sitting = Sitting.objects.select_for_update().select_related("assessment").get(pk=sitting_id)
    if by is not None:
        sittings.require_runner(by, sitting)
    if sitting.status == Sitting.Status.CANCELLED:
        raise ValidationError({"sitting": [_("The sitting is cancelled.")]})
    active = running(sitting).first()
    if active is not None:
        raise RunInProgress(active)
    rows = list(
        Attempt.objects.filter(sitting=sitting, status__in=HANDED_IN)
        .order_by("student_id", "number", "pk")
        .values_list("pk", "student_id")
    )
    if not rows:
        raise ValidationError(
            {"sitting": [_("Nobody has handed in an attempt of this sitting yet: nothing to score.")]}
        )
    pieces = _chunks_of(rows, settings.SCORING_CHUNK_SIZE)
    now = timezone.now()
    run = ScoringRun.objects.create(
        sitting=sitting,
        mode=ScoringRun.Mode.RESCORE if rescore else ScoringRun.Mode.SCORE,
        started_by=by,
        total_attempts=len(rows),
        total_chunks=len(pieces),
        created_at=now,
        progressed_at=now,
    )
    chunks = ScoringChunk.objects.bulk_create(
        ScoringChunk(run=run, number=number, attempt_ids=ids, size=len(ids), queued_at=now)
        for number, ids in enumerate(pieces, start=1)
    )
    chunk_ids = [chunk.pk for chunk in chunks]
    transaction.on_commit(lambda: _queue(chunk_ids))
    logger.info("scoring run %s of sitting %s: %d attempts in %d chunks", run.pk, sitting.pk, len(rows), len(pieces))
    return run


def _queue(chunk_ids: Iterable[int]) -> None:
    from .tasks import scoring_chunk_run_task  # tasks import this module

    for chunk_id in chunk_ids:
        scoring_chunk_run_task.delay(chunk_id)


def _queue_finish(run_id: int) -> None:
    from .tasks import scoring_run_finish_task

    scoring_run_finish_task.delay(run_id)


# --- a chunk --------------------------------------------------------------------------------


def worker_name() -> str:
    """Which process works on a chunk (shown to operators; the integration test finds it)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def scoring_chunk_run(*, chunk_id: int, worker: str = "") -> str:
    """Claim a chunk and score it (the chunk task); what happened: done, skipped, failed, retry.

    A chunk that is done, or held by a live lease, is skipped: a task delivered twice, or
    queued again by the sweep while its first worker was only slow, changes nothing.
    """
    now = timezone.now()
    lease = timedelta(seconds=settings.SCORING_CHUNK_LEASE_SECONDS)
    claimed = (
        ScoringChunk.objects.filter(pk=chunk_id)
        .filter(Q(status=ScoringChunk.Status.QUEUED) | Q(status=ScoringChunk.Status.RUNNING, lease_until__lt=now))
        .update(status=ScoringChunk.Status.RUNNING, lease_until=now + lease, tries=F("tries") + 1, worker=worker[:100])
    )
    if not claimed:
        return "skipped"
    chunk = ScoringChunk.objects.only("run_id", "tries").get(pk=chunk_id)
    ScoringRun.objects.filter(pk=chunk.run_id, status=ScoringRun.Status.QUEUED).update(
        status=ScoringRun.Status.RUNNING, started_at=now
    )
    if chunk.tries > MAX_TRIES:
        _chunk_failed(
            chunk_id, _("Stopped after %(tries)d tries: the workers scoring it stopped.") % {"tries": MAX_TRIES}
        )
        return "failed"
    try:
        with transaction.atomic():
            return _score_chunk(chunk_id)
    except (OperationalError, InterfaceError):
        # The database went away: the chunk stays claimed, and the sweep queues it again
        # once its lease has run out.
        logger.warning("scoring chunk %s: database unavailable, left for the sweep", chunk_id, exc_info=True)
        return "retry"
    except Exception:  # noqa: BLE001 - a chunk never fails silently: it says so in its run
        logger.exception("scoring chunk %s failed", chunk_id)
        _chunk_failed(chunk_id, _("The chunk could not be scored (error logged on the worker)."))
        return "failed"


@transaction.atomic
def _chunk_failed(chunk_id: int, message: str) -> None:
    chunk = ScoringChunk.objects.select_for_update().get(pk=chunk_id)
    if chunk.status in FINISHED:
        return
    now = timezone.now()
    chunk.status, chunk.error, chunk.finished_at, chunk.lease_until = ScoringChunk.Status.FAILED, message, now, None
    chunk.save(update_fields=["status", "error", "finished_at", "lease_until"])
    run = ScoringRun.objects.select_for_update().get(pk=chunk.run_id)
    run.failed_chunks += 1
    run.errors = [*(run.errors or []), f"{chunk.number}: {message}"][-50:]
    run.progressed_at = now
    run.save(update_fields=["failed_chunks", "errors", "progressed_at"])
    _finish_if_last(run)


def _finish_if_last(run: ScoringRun) -> None:
    """Queue the run's finishing once no chunk is left (the run row is locked by the caller,
    so of two chunks ending together the second sees the first done)."""
    if run.done_chunks + run.failed_chunks >= run.total_chunks:
        run_id = run.pk
        transaction.on_commit(lambda: _queue_finish(run_id))


def _score_chunk(chunk_id: int) -> str:
    """The chunk's work, in the caller's transaction (see the module's docstring)."""
    chunk = ScoringChunk.objects.select_for_update().get(pk=chunk_id)
    if chunk.status != ScoringChunk.Status.RUNNING:
        return "skipped"  # done meanwhile by the worker whose lease ran out, or given back
    run = ScoringRun.objects.select_related("sitting__assessment").get(pk=chunk.run_id)
    sitting = run.sitting
    rescore = run.mode == ScoringRun.Mode.RESCORE
    work = _ChunkWork(sitting, rescore=rescore)
    work.read(chunk.attempt_ids)
    work.compute()
    work.write()
    now = timezone.now()
    chunk.status, chunk.finished_at, chunk.lease_until, chunk.error = ScoringChunk.Status.DONE, now, None, ""
    chunk.scored, chunk.changed, chunk.published = work.scored, work.changed, work.published
    chunk.record_entries = work.entries
    chunk.data = work.figures()
    chunk.save(
        update_fields=[
            "status",
            "finished_at",
            "lease_until",
            "error",
            "scored",
            "changed",
            "published",
            "record_entries",
            "data",
        ]
    )
    run = ScoringRun.objects.select_for_update().get(pk=run.pk)
    run.done_chunks += 1
    run.done_attempts += chunk.size
    run.scored += work.scored
    run.changed += work.changed
    run.published += work.published
    run.record_entries += work.entries
    run.progressed_at = now
    run.save(
        update_fields=[
            "done_chunks",
            "done_attempts",
            "scored",
            "changed",
            "published",
            "record_entries",
            "progressed_at",
        ]
    )
    _finish_if_last(run)
    return "done"


def _stored(value: Decimal) -> Decimal:
    """A decimal as a two-place column keeps it (PostgreSQL rounds half away from zero)."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _same(result: dict[str, Any], computed: Computed) -> bool:
    """Whether a stored result already holds what was computed."""
    return (
        result["raw_score"] == _stored(computed.raw_score)
        and result["max_score"] == _stored(computed.max_score)
        and result["score_10"] == _stored(computed.score_10)
        and result["number_correct"] == computed.number_correct
        and result["item_count"] == computed.item_count
        and result["pending_items"] == computed.pending_items
        and list(result["item_scores"] or []) == computed.item_scores
        and result["theta"] == computed.theta
        and result["theta_se"] == computed.theta_se
    )


class _ChunkWork:
    """One chunk's reads, computation and writes (its attempts locked by ``read``)."""

    def __init__(self, sitting: Sitting, *, rescore: bool) -> None:
        self.sitting = sitting
        self.rescore = rescore
        self.step = sitting.assessment.score_step
        self.now = timezone.now()
        self.store = _PostgresStore() if connection.vendor == "postgresql" else _OrmStore()
        self.scored = self.changed = self.published = self.entries = 0

    def read(self, attempt_ids: list[int]) -> None:
        # Locked in id order, as every service locking attempts does: a per-attempt scoring
        # task or a marker's mark of one of them waits for this chunk, then finds it scored.
        self.attempts = {row[0]: row[1:] for row in self.store.lock_attempts(attempt_ids)}
        ids = list(self.attempts)
        forms = {form for _s, _n, form, _st in self.attempts.values()}
        items: dict[int, list[FormItem]] = defaultdict(list)
        for fi in FormItem.objects.filter(form_id__in=forms).select_related("item_version__item"):
            items[fi.form_id].append(fi)
        # In the master form's order, whichever test code: every code's scores line up.
        self.rules = {
            form: FormRule(sorted(rows, key=lambda fi: fi.master_position or fi.position), step=self.step)
            for form, rows in items.items()
        }
        self.choice_columns = {form: _choice_columns(rule) for form, rule in self.rules.items()}
        # The JSON text as stored: most responses repeat, and a text seen before is neither
        # parsed nor scored again (FormRule).
        self.answers: dict[int, dict[int, str | None]] = defaultdict(dict)
        for attempt_id, form_item_id, text in self.store.answers(ids):
            self.answers[attempt_id][form_item_id] = text
        self.marks: dict[int, dict[int, Decimal]] = defaultdict(dict)
        for attempt_id, form_item_id, points in self.store.marks(ids):
            self.marks[attempt_id][form_item_id] = points
        self.results = {row["attempt_id"]: row for row in self.store.results(ids)}

    def compute(self) -> None:
        """Results of the submitted attempts (and, rescoring, of the scored ones)."""
        by_form: dict[int, list[int]] = defaultdict(list)
        for pk, (_s, _n, form, status) in self.attempts.items():
            if status == statuses.SUBMITTED or (self.rescore and status in SCORED and pk in self.results):
                by_form[form].append(pk)
        self.outcomes: dict[int, list] = {}
        self.computed: dict[int, Computed] = {}
        empty: dict = {}
        for form, pks in by_form.items():
            rule = self.rules[form]
            rows = [(pk, rule.row_of_texts(self.answers.get(pk, empty), self.marks.get(pk, empty))) for pk in pks]
            self.outcomes.update(rows)
            self.computed.update(rule.results(rows))  # type: ignore[arg-type]

    def write(self) -> None:
        visible = sittings.results_visible(self.sitting, self.now)
        new, changed, transitions, to_scored, to_published = [], [], [], [], []
        final_students: set[int] = set()
        for pk, computed in self.computed.items():
            student, _number, _form, status = self.attempts[pk]
            final = not computed.pending_items
            if status == statuses.SUBMITTED:
                new.append((pk, computed))
                transitions.append((pk, statuses.SUBMITTED, statuses.SCORED, "scored"))
                if final and visible:  # released, or a policy that shows it now
                    transitions.append((pk, statuses.SCORED, statuses.PUBLISHED, "feedback policy"))
                    to_published.append(pk)
                else:
                    to_scored.append(pk)
            else:
                stored = self.results[pk]
                if not _same(stored, computed):
                    changed.append((stored["pk"], computed))
                # The last mark awaited makes the result final (``attempt_rescore``).
                if final and stored["pending_items"] and status == statuses.SCORED and visible:
                    transitions.append((pk, statuses.SCORED, statuses.PUBLISHED, "rescored"))
                    to_published.append(pk)
            if final:
                final_students.add(student)
        store, now = self.store, self.now
        store.insert_results(new, now)
        store.update_results(changed, now)
        store.insert_transitions(transitions, now)
        store.set_status(to_scored, statuses.SCORED, now)
        store.set_status(to_published, statuses.PUBLISHED, now)
        for pks, status in ((to_scored, statuses.SCORED), (to_published, statuses.PUBLISHED)):
            for pk in pks:
                student, number, form, _old = self.attempts[pk]
                self.attempts[pk] = (student, number, form, status)
        self.scored, self.changed, self.published = len(new), len(changed), len(to_published)
        self.entries = _write_record_entries(store, self.sitting, final_students)

    def figures(self) -> bytes:
        """The item analysis's inputs for this chunk's scored attempts, as numpy arrays:
        item scores in points (NaN awaiting a marker), omissions, and the option chosen of
        each single-choice item (its index among the version's options; NaN omitted or not
        an option). Columns in the master form's order."""
        rows, omitted, choices = [], [], []
        empty: dict = {}
        nan = float("nan")
        for pk, (_student, _number, form, status) in self.attempts.items():
            rule = self.rules.get(form)
            if status not in SCORED or rule is None:
                continue
            answers = self.answers.get(pk, empty)
            outcomes = self.outcomes.get(pk) or rule.row_of_texts(answers, self.marks.get(pk, empty))
            computed = self.computed.get(pk)
            scores = computed.item_scores if computed is not None else (self.results.get(pk) or {}).get("item_scores")
            if scores is None or len(scores) != len(rule.ids):
                continue
            rows.append([nan if s is None else s for s in scores])
            omitted.append([outcome[2] for outcome in outcomes])
            codes = [nan] * len(rule.ids)
            for j, pk_item, known, ids in self.choice_columns[form]:
                text = answers.get(pk_item)
                code = known.get(text)
                if code is None:
                    value = None if text is None else json.loads(text)
                    code = known[text] = float(ids.index(value)) if value in ids else nan
                codes[j] = code
            choices.append(codes)
        shape = (len(rows), len(rows[0]) if rows else 0)
        buffer = io.BytesIO()
        np.savez(
            buffer,
            scores=np.array(rows, dtype=np.float64).reshape(shape),
            omitted=np.array(omitted, dtype=bool).reshape(shape),
            choices=np.array(choices, dtype=np.float32).reshape(shape),
        )
        return buffer.getvalue()


def _choice_columns(rule: FormRule) -> list[tuple[int, int, dict, list]]:
    """The single-choice columns of a form: (column, form item, codes by answer text, option ids)."""
    return [
        (j, fi.pk, {}, [option.get("id") for option in fi.item_version.content.get("options", [])])
        for j, fi in enumerate(rule.form_items)
        if fi.item_version.item.item_type == "single_choice"
    ]


class _OrmStore:
    """A chunk's reads and writes through the ORM: any database (the embedded default's SQLite).
    :class:`_PostgresStore` does the same in fewer, cheaper statements."""

    def lock_attempts(self, ids: list[int]) -> Iterable[tuple[int, int, int, int, str]]:
        return (
            Attempt.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", "student_id", "number", "form_id", "status")
        )

    def answers(self, ids: list[int]) -> Iterable[tuple[int, int, str | None]]:
        return (
            Answer.objects.filter(attempt_id__in=ids)
            .annotate(text=Cast("value", TextField()))
            .values_list("attempt_id", "form_item_id", "text")
        )

    def marks(self, ids: list[int]) -> Iterable[tuple[int, int, Decimal]]:
        return ItemMark.objects.filter(attempt_id__in=ids).values_list("attempt_id", "form_item_id", "points")

    def results(self, ids: list[int]) -> Iterable[dict[str, Any]]:
        return Result.objects.filter(attempt_id__in=ids).values("pk", "attempt_id", *RESULT_FIELDS)

    def insert_results(self, rows: list[tuple[int, Computed]], now: datetime) -> None:
        # ON CONFLICT DO NOTHING: a result is never written twice, whatever raced.
        Result.objects.bulk_create(
            (Result(attempt_id=pk, computed_at=now, **computed.fields()) for pk, computed in rows),
            batch_size=BATCH,
            ignore_conflicts=True,
        )

    def update_results(self, rows: list[tuple[int, Computed]], now: datetime) -> None:
        Result.objects.bulk_update(
            [Result(pk=pk, computed_at=now, **computed.fields()) for pk, computed in rows],
            ["computed_at", *RESULT_FIELDS],
            batch_size=BATCH,
        )

    def insert_transitions(self, rows: list[tuple[int, str, str, str]], now: datetime) -> None:
        AttemptTransition.objects.bulk_create(
            (
                AttemptTransition(attempt_id=pk, from_status=old, to_status=new, by=None, reason=reason, at=now)
                for pk, old, new, reason in rows
            ),
            batch_size=BATCH,
        )

    def set_status(self, ids: list[int], status: str, now: datetime) -> None:
        if ids:
            Attempt.objects.filter(pk__in=ids).update(status=status, updated_at=now)

    def final_scores(self, sitting_id: int, students: list[int]) -> Iterable[tuple[int, int, Decimal]]:
        """(student, attempt, 10-point score) of the final results, by student and attempt number."""
        return (
            Result.objects.filter(
                attempt__sitting_id=sitting_id,
                attempt__student_id__in=students,
                attempt__status__in=SCORED,
                pending_items=0,
            )
            .order_by("attempt__student_id", "attempt__number")
            .values_list("attempt__student_id", "attempt_id", "score_10")
        )

    def entries(self, sitting_id: int, students: list[int]) -> Iterable[tuple[int, int, int, Decimal]]:
        """(entry, student, attempt, score) of the students' record entries of the sitting."""
        return RecordEntry.objects.filter(attempt__sitting_id=sitting_id, attempt__student_id__in=students).values_list(
            "pk", "attempt__student_id", "attempt_id", "score"
        )

    def insert_entries(
        self, assessment: Assessment, sitting: Sitting, rows: list[tuple[int, int, Decimal]], now: datetime
    ) -> None:
        """New record entries: (student, attempt, score) of the sitting's assessment."""
        RecordEntry.objects.bulk_create(
            (
                RecordEntry(
                    attempt_id=attempt_id,
                    student_id=student,
                    subject_id=assessment.subject_id,
                    school_year=assessment.school_year,
                    term=assessment.term,
                    entry_type=assessment.record_entry_type,
                    score=score,
                    organisation_id=sitting.organisation_id,
                    created_at=now,
                )
                for student, attempt_id, score in rows
            ),
            batch_size=BATCH,
        )

    def update_entries(self, rows: list[tuple[int, int, Decimal]]) -> None:
        RecordEntry.objects.bulk_update(
            [RecordEntry(pk=pk, attempt_id=attempt_id, score=score) for pk, attempt_id, score in rows],
            ["attempt", "score"],
            batch_size=BATCH,
        )


def _columns(computed: Sequence[Computed]) -> list[list[Any]]:
    """A result's fields as columns (arrays for ``unnest``), in RESULT_FIELDS' order."""
    return [
        [c.raw_score for c in computed],
        [c.max_score for c in computed],
        [c.number_correct for c in computed],
        [c.item_count for c in computed],
        [c.score_10 for c in computed],
        [c.pending_items for c in computed],
        [json.dumps(c.item_scores) for c in computed],
        [c.theta for c in computed],
        [c.theta_se for c in computed],
    ]


_RESULT_ARRAYS = (
    "%s::numeric[], %s::numeric[], %s::integer[], %s::integer[], %s::numeric[], %s::integer[], "
    "%s::text[], %s::float8[], %s::float8[]"
)
_RESULT_NAMES = (
    "raw_score, max_score, number_correct, item_count, score_10, pending_items, item_scores, theta, theta_se"
)


class _PostgresStore(_OrmStore):
    """The chunk's statements on PostgreSQL: ids as one array (``= ANY(%s)``), rows written as
    arrays (``unnest``). Measured on a chunk of 2,000 attempts x 40 items: the ORM's statements
    with 2,000 placeholders per list and one per value took 1.7 s of a worker's time, a third of
    it turning the SQL and its 24,000 parameters into text; these take a fraction of that. The
    ORM store stays the reference (the embedded default runs it; the tests run both)."""

    def _rows(self, sql: str, params: Sequence[Any]) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _execute(self, sql: str, params: Sequence[Any]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    def lock_attempts(self, ids: list[int]) -> Iterable[tuple[int, int, int, int, str]]:
        return self._rows(
            f"SELECT id, student_id, number, form_id, status FROM {Attempt._meta.db_table} "
            "WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE",
            [ids],
        )

    def answers(self, ids: list[int]) -> Iterable[tuple[int, int, str | None]]:
        return self._rows(
            f"SELECT attempt_id, form_item_id, value::text FROM {Answer._meta.db_table} WHERE attempt_id = ANY(%s::bigint[])",
            [ids],
        )

    def marks(self, ids: list[int]) -> Iterable[tuple[int, int, Decimal]]:
        return self._rows(
            f"SELECT attempt_id, form_item_id, points FROM {ItemMark._meta.db_table} WHERE attempt_id = ANY(%s::bigint[])",
            [ids],
        )

    def results(self, ids: list[int]) -> Iterable[dict[str, Any]]:
        rows = self._rows(
            f"SELECT id, attempt_id, {_RESULT_NAMES.replace('item_scores', 'item_scores::text')} "
            f"FROM {Result._meta.db_table} WHERE attempt_id = ANY(%s::bigint[])",
            [ids],
        )
        names = ("pk", "attempt_id", *RESULT_FIELDS)
        found = []
        for row in rows:
            result = dict(zip(names, row, strict=True))
            result["item_scores"] = json.loads(result["item_scores"]) if result["item_scores"] else []
            found.append(result)
        return found

    def insert_results(self, rows: list[tuple[int, Computed]], now: datetime) -> None:
        if not rows:
            return
        # ON CONFLICT DO NOTHING: a result is never written twice, whatever raced.
        self._execute(
            f"INSERT INTO {Result._meta.db_table} (attempt_id, {_RESULT_NAMES}, computed_at) "
            f"SELECT v.attempt_id, {_RESULT_NAMES.replace('item_scores', 'item_scores::jsonb')}, %s "
            f"FROM unnest(%s::bigint[], {_RESULT_ARRAYS}) AS v(attempt_id, {_RESULT_NAMES}) "
            "ON CONFLICT (attempt_id) DO NOTHING",
            [now, [pk for pk, _c in rows], *_columns([c for _pk, c in rows])],
        )

    def update_results(self, rows: list[tuple[int, Computed]], now: datetime) -> None:
        if not rows:
            return
        assignments = ", ".join(
            f"{name} = v.{name}::jsonb" if name == "item_scores" else f"{name} = v.{name}" for name in RESULT_FIELDS
        )
        self._execute(
            f"UPDATE {Result._meta.db_table} AS t SET {assignments}, computed_at = %s "
            f"FROM unnest(%s::bigint[], {_RESULT_ARRAYS}) AS v(id, {_RESULT_NAMES}) WHERE t.id = v.id",
            [now, [pk for pk, _c in rows], *_columns([c for _pk, c in rows])],
        )

    def insert_transitions(self, rows: list[tuple[int, str, str, str]], now: datetime) -> None:
        if not rows:
            return
        self._execute(
            f"INSERT INTO {AttemptTransition._meta.db_table} (attempt_id, from_status, to_status, by_id, reason, at) "
            "SELECT v.a, v.f, v.t, NULL, v.r, %s FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) "
            "AS v(a, f, t, r)",
            [now, *(list(column) for column in zip(*rows, strict=True))],
        )

    def set_status(self, ids: list[int], status: str, now: datetime) -> None:
        if ids:
            self._execute(
                f"UPDATE {Attempt._meta.db_table} SET status = %s, updated_at = %s WHERE id = ANY(%s::bigint[])",
                [status, now, ids],
            )

    def final_scores(self, sitting_id: int, students: list[int]) -> Iterable[tuple[int, int, Decimal]]:
        # Status and pending filtered here, not in SQL: right after a chunk moves thousands of
        # attempts to "scored", the planner's statistics still say there are none and it chose
        # to scan the status index for them (0.6 s a chunk instead of 10 ms).
        rows = self._rows(
            f"SELECT a.student_id, a.id, r.score_10, a.status, r.pending_items FROM {Attempt._meta.db_table} a "
            f"JOIN {Result._meta.db_table} r ON r.attempt_id = a.id "
            "WHERE a.sitting_id = %s AND a.student_id = ANY(%s::bigint[]) ORDER BY a.student_id, a.number",
            [sitting_id, students],
        )
        return [
            (student, pk, score) for student, pk, score, status, pending in rows if status in SCORED and not pending
        ]

    def entries(self, sitting_id: int, students: list[int]) -> Iterable[tuple[int, int, int, Decimal]]:
        return self._rows(
            f"SELECT e.id, a.student_id, e.attempt_id, e.score FROM {RecordEntry._meta.db_table} e "
            f"JOIN {Attempt._meta.db_table} a ON a.id = e.attempt_id "
            "WHERE a.sitting_id = %s AND a.student_id = ANY(%s::bigint[])",
            [sitting_id, students],
        )

    def insert_entries(
        self, assessment: Assessment, sitting: Sitting, rows: list[tuple[int, int, Decimal]], now: datetime
    ) -> None:
        if not rows:
            return
        students, attempts, scores = (list(column) for column in zip(*rows, strict=True))
        self._execute(
            f"INSERT INTO {RecordEntry._meta.db_table} "
            "(student_id, attempt_id, score, subject_id, school_year, term, entry_type, organisation_id, created_at, "
            "source, comment_result, note) "
            "SELECT v.s, v.a, v.c, %s, %s, %s, %s, %s, %s, 'attempt', '', '' "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[]) AS v(s, a, c)",
            [
                assessment.subject_id,
                assessment.school_year,
                assessment.term,
                assessment.record_entry_type,
                sitting.organisation_id,
                now,
                students,
                attempts,
                scores,
            ],
        )

    def update_entries(self, rows: list[tuple[int, int, Decimal]]) -> None:
        if not rows:
            return
        self._execute(
            f"UPDATE {RecordEntry._meta.db_table} AS t SET attempt_id = v.a, score = v.c "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[]) AS v(id, a, c) WHERE t.id = v.id",
            [list(column) for column in zip(*rows, strict=True)],
        )


def _write_record_entries(store: _OrmStore, sitting: Sitting, students: set[int]) -> int:
    """Write or correct the record entry of each of ``students`` whose results count
    (``services.write_record_entry`` for many students); how many were written or corrected."""
    if sitting.practice or not students:
        return 0
    assessment = sitting.assessment
    ordered = sorted(students)
    scored: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for student, attempt_id, score in store.final_scores(sitting.pk, ordered):
        scored[student].append((attempt_id, score))
    existing = {
        student: (pk, attempt_id, score) for pk, student, attempt_id, score in store.entries(sitting.pk, ordered)
    }
    new, corrected = [], []
    for student, rows in scored.items():
        counted = sittings.counted_score([score for _a, score in rows], sitting.counting)
        if counted is None:
            continue
        score = grades.record_score(counted)
        source = next((a for a, s in reversed(rows) if s == counted), rows[-1][0])
        if student in existing:
            pk, attempt_id, old = existing[student]
            if (attempt_id, old) != (source, score):
                corrected.append((pk, source, score))
            continue
        new.append((student, source, score))
    store.insert_entries(assessment, sitting, new, timezone.now())
    store.update_entries(corrected)
    return len(new) + len(corrected)


# --- finishing: the item analysis ------------------------------------------------------------


@transaction.atomic
def scoring_run_finish(*, run_id: int) -> str:
    """Finish a run whose chunks have all ended: its item analysis, its final status."""
    run = ScoringRun.objects.select_for_update().select_related("sitting").get(pk=run_id)
    if run.status not in ACTIVE:
        return "finished already"
    ends = list(run.chunks.values_list("status", flat=True))
    if any(status not in FINISHED for status in ends):
        return "not yet"
    errors = list(run.errors or [])
    try:
        run.statistics = _statistics(run)
    except Exception:  # noqa: BLE001 - the scores are written: the run still ends, and says so
        logger.exception("scoring run %s: item analysis failed", run.pk)
        errors.append(_("The item analysis could not be computed (error logged on the worker)."))
    now = timezone.now()
    failed = sum(1 for status in ends if status == ScoringChunk.Status.FAILED)
    run.status = ScoringRun.Status.FAILED if failed else ScoringRun.Status.DONE
    run.errors, run.finished_at, run.progressed_at = errors[-50:], now, now
    run.started_at = run.started_at or now
    run.save(update_fields=["status", "statistics", "errors", "finished_at", "progressed_at", "started_at"])
    ScoringChunk.objects.filter(run=run).update(data=None)
    logger.info("scoring run %s of sitting %s: %s", run.pk, run.sitting_id, run.status)
    return str(run.status)


def _number(value: float, places: int = 4) -> float | None:
    """A figure for JSON: rounded, None where undefined (NaN)."""
    value = float(value)
    return None if not np.isfinite(value) else round(value, places)


def _statistics(run: ScoringRun) -> dict[str, Any]:
    """The item analysis of the run's sitting, from the figures its chunks kept."""
    master = sorted(
        FormItem.objects.filter(form_id=run.sitting.form_id).select_related("item_version__item"),
        key=lambda fi: fi.position,
    )
    parts = []
    for data in run.chunks.exclude(data=None).values_list("data", flat=True):
        with np.load(io.BytesIO(bytes(data))) as stored:
            part = {name: stored[name] for name in ("scores", "omitted", "choices")}
        if part["scores"].shape[0] and part["scores"].shape[1] == len(master):
            parts.append(part)
    if not parts or not master:
        return {"attempts": 0, "alpha": None, "items": []}
    scores = np.concatenate([part["scores"] for part in parts])
    omitted = np.concatenate([part["omitted"] for part in parts])
    choices = np.concatenate([part["choices"] for part in parts]).astype(np.float64)
    n_persons = scores.shape[0]
    points = np.array([float(fi.points) for fi in master])
    # classical.item_statistics takes whole-number scores: points in the smallest unit used.
    scale = 100.0
    while scale < 1e6 and not np.allclose(
        np.round(scores[~np.isnan(scores)] * scale), scores[~np.isnan(scores)] * scale
    ):
        scale *= 10
    whole = np.where(np.isnan(scores), np.nan, np.round(scores * scale))
    maxima = np.maximum(np.round(points * scale), 1.0)
    counted = [j for j, fi in enumerate(master) if counts(fi)]
    per_item: dict[int, tuple[Any, int]] = {}
    if counted:
        base = classical.item_statistics(whole[:, counted], max_score=maxima[counted])
        for column, j in enumerate(counted):
            per_item[j] = (base, column)
    for j in range(len(master)):
        if j not in per_item:  # a trial or dropped item: against the total of the counted ones
            extra = classical.item_statistics(
                np.column_stack([whole[:, counted], whole[:, j]]), max_score=np.append(maxima[counted], maxima[j])
            )
            per_item[j] = (extra, len(counted))
    options_of = _option_analysis(master, choices)
    alpha = None
    if len(counted) >= 2 and n_persons >= 2:
        try:
            alpha = _number(classical.cronbach_alpha(whole[:, counted], missing="pairwise"))
        except ValueError:
            alpha = None
    items = []
    for j, fi in enumerate(master):
        stats, column = per_item[j]
        version = fi.item_version
        items.append(
            {
                "position": fi.position,
                "item": version.item_id,
                "version": version.pk,
                "item_type": version.item.item_type,
                "points": str(fi.points),
                "counted": counts(fi),
                "trial": fi.trial,
                "dropped": fi.dropped,
                "responses": int(stats.n_responses[column]),
                "p_value": _number(stats.p_value[column]),
                "point_biserial": _number(stats.point_biserial[column]),
                "corrected_item_total": _number(stats.corrected_item_total[column]),
                "omit_rate": _number(omitted[:, j].mean() if n_persons else np.nan),
                "note": stats.reasons.get(column, ""),
                "options": options_of.get(j),
            }
        )
    return {"attempts": n_persons, "alpha": alpha, "items": items}


def _option_analysis(master: list[FormItem], choices: np.ndarray) -> dict[int, dict[str, Any]]:
    """Option counts and point-biserials of the single-choice items (``distractor_analysis``),
    under each item's key as moderated."""
    columns, keys, ids_of = [], [], {}
    for j, fi in enumerate(master):
        version = fi.item_version
        if version.item.item_type != "single_choice":
            continue
        ids = [option.get("id") for option in version.content.get("options", [])]
        key = {**version.scoring_key(), **(fi.key_override or {})}.get("key")
        if key not in ids:
            continue
        columns.append(j)
        keys.append(float(ids.index(key)))
        ids_of[j] = (ids, key, {accepted.get("key") for accepted in fi.accepted_keys if isinstance(accepted, dict)})
    if not columns or not choices.shape[0]:
        return {}
    analysis = classical.distractor_analysis(choices[:, columns], np.array(keys))
    found: dict[int, dict[str, Any]] = {}
    n_persons = choices.shape[0]
    for j, item in zip(columns, analysis.items, strict=True):
        ids, key, accepted = ids_of[j]
        rows = []
        for index, option in enumerate(item.options):
            label = None if option is None else ids[int(option)]
            count = int(item.counts[index].sum())
            rows.append(
                {
                    "option": label,
                    "count": count,
                    "share": _number(count / n_persons),
                    "key": label == key,
                    "accepted": label in accepted,
                    "point_biserial": _number(item.point_biserial[index]),
                }
            )
        found[j] = {"key": key, "upper_lower": _number(item.discrimination), "choices": rows}
    return found


# --- the sweep --------------------------------------------------------------------------------


def scoring_runs_sweep(*, now: datetime | None = None) -> int:
    """Keep runs moving (beat): queue again the chunks whose worker died and the chunks of a
    run that stopped moving, finish runs whose last step was lost, start the scoring of exam
    sittings that closed. How many things it did."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.SCORING_CHUNK_LEASE_SECONDS)
    done = 0
    with transaction.atomic():
        # A chunk whose lease ran out and whose row nobody holds: its worker died (a live
        # worker keeps the row locked while it scores). Back to the queue: a claim it had is
        # void, and that worker, were it only slow, finds the chunk queued and leaves it.
        stranded = list(
            ScoringChunk.objects.select_for_update(skip_locked=True)
            .filter(status=ScoringChunk.Status.RUNNING, lease_until__lt=now)
            .values_list("pk", flat=True)[:1000]
        )
        # Chunks waiting in a run that has not moved for a lease: their messages were lost.
        waiting = list(
            ScoringChunk.objects.select_for_update(skip_locked=True, of=("self",))  # not the runs' rows
            .filter(
                status=ScoringChunk.Status.QUEUED,
                queued_at__lt=now - lease,
                run__status__in=ACTIVE,
                run__progressed_at__lt=now - lease,
            )
            .values_list("pk", flat=True)[:1000]
        )
        again = stranded + waiting
        if again:
            ScoringChunk.objects.filter(pk__in=again).update(
                status=ScoringChunk.Status.QUEUED, queued_at=now, lease_until=None
            )
            logger.warning("scoring: %d chunks queued again (%d whose worker died)", len(again), len(stranded))
            transaction.on_commit(lambda: _queue(again))
    done += len(again)
    # Runs whose chunks have all ended but that were not finished (the task was lost).
    unfinished = ScoringChunk.objects.filter(run=OuterRef("pk")).exclude(status__in=FINISHED)
    for run_id in (
        ScoringRun.objects.filter(status__in=ACTIVE, progressed_at__lt=now - timedelta(seconds=5))
        .filter(~Exists(unfinished))
        .values_list("pk", flat=True)[:100]
    ):
        if scoring_run_finish(run_id=run_id) in (ScoringRun.Status.DONE, ScoringRun.Status.FAILED):
            done += 1
    done += _start_closed(now)
    return done


def _start_closed(now: datetime) -> int:
    """Start the scoring of exam sittings that closed (within ``AUTO_START_DAYS``) with every
    attempt handed in or never started, and that no run has scored yet."""
    open_attempts = Attempt.objects.filter(sitting=OuterRef("pk"), status__in=statuses.OPEN)
    handed_in = Attempt.objects.filter(sitting=OuterRef("pk"), status__in=HANDED_IN)
    due = (
        Sitting.objects.filter(
            kind=Sitting.Kind.EXAM,
            status=Sitting.Status.SCHEDULED,
            closes_at__lte=now,
            closes_at__gte=now - timedelta(days=AUTO_START_DAYS),
        )
        .filter(Exists(handed_in), ~Exists(open_attempts), ~Exists(ScoringRun.objects.filter(sitting=OuterRef("pk"))))
        .values_list("pk", flat=True)[:20]
    )
    started = 0
    for sitting_id in due:
        try:
            sitting_score_start(by=None, sitting_id=sitting_id)
        except (RunInProgress, ValidationError) as refusal:
            logger.info("sitting %s not scored at close: %s", sitting_id, refusal)
            continue
        started += 1
    return started
