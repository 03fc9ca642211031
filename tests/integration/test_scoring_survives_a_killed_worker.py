"""A Celery worker killed in the middle of a sitting's scoring: every attempt is still scored,
exactly once (issue 11, point 1).

Forty attempts are handed in while their scoring tasks are lost (as when the broker does not
answer at submit). A real worker with its beat finds them through the stranded-scoring sweep
and starts scoring; it is killed (SIGKILL: no goodbye, its unacknowledged task left behind)
once some results exist. A second worker's sweep queues the rest again. Every attempt ends
scored with one result, one record entry and one ``submitted -> scored`` transition, whatever
was queued twice.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from datetime import timedelta

import pytest
from django.utils import timezone

from assess import statuses
from assess.models import Attempt, AttemptTransition, RecordEntry, Result
from tests.factories import make_sitting
from tests.integration.test_exam_end_to_end import private_redis_url
from tests.processes import celery_worker_process, kill_hard

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CANDIDATES = 40
WAIT = 60.0  # seconds for the workers to get through the sitting


def scored(sitting) -> int:
    return Result.objects.filter(attempt__sitting=sitting).count()


def test_a_worker_killed_mid_scoring_leaves_every_attempt_scored_exactly_once(tmp_path):
    sitting = make_sitting(n_items=5, n_students=CANDIDATES)
    handed_in = timezone.now() - timedelta(minutes=5)
    Attempt.objects.filter(sitting=sitting).update(
        status=statuses.SUBMITTED,
        started_at=handed_in - timedelta(minutes=40),
        submitted_at=handed_in,
        submit_reason=Attempt.SubmitReason.STUDENT,
        updated_at=handed_in,
    )
    sweep = {"SCORING_SWEEP_SECONDS": "1", "SCORING_SWEEP_GRACE_SECONDS": "1"}
    with ExitStack() as stack:
        env = {"REDIS_URL": stack.enter_context(private_redis_url()), **sweep}
        (tmp_path / "first").mkdir()
        (tmp_path / "second").mkdir()
        first = stack.enter_context(celery_worker_process(tmp_path / "first", beat=True, **env))
        deadline = time.monotonic() + WAIT
        while scored(sitting) < 3:
            assert time.monotonic() < deadline, "the first worker scored nothing"
            time.sleep(0.02)
        kill_hard(first)  # in the middle of the sitting
        assert scored(sitting) < CANDIDATES, "the worker finished before it was killed: nothing was tested"

        stack.enter_context(celery_worker_process(tmp_path / "second", beat=True, **env))
        while scored(sitting) < CANDIDATES:
            assert time.monotonic() < deadline, f"{scored(sitting)} of {CANDIDATES} scored"
            time.sleep(0.2)
        time.sleep(2)  # the sweeps and duplicate tasks still running find nothing to do

    attempts = Attempt.objects.filter(sitting=sitting)
    assert set(attempts.values_list("status", flat=True)) == {statuses.SCORED}
    assert Result.objects.filter(attempt__sitting=sitting).count() == CANDIDATES
    assert RecordEntry.objects.filter(attempt__sitting=sitting).count() == CANDIDATES
    scorings = AttemptTransition.objects.filter(
        attempt__sitting=sitting, from_status=statuses.SUBMITTED, to_status=statuses.SCORED
    )
    assert scorings.count() == CANDIDATES and scorings.values("attempt").distinct().count() == CANDIDATES
