"""A sitting of a few thousand attempts scored at its close by two real Celery worker processes,
one of them killed (SIGKILL) in the middle of a chunk: every attempt is still scored exactly once.

The sitting has closed with every attempt handed in; nothing queues its scoring but the beat of
the second worker (the run sweep starts the scoring of a closed exam sitting). To kill the
first worker mid-chunk for sure, this test holds every attempt's row lock while the run starts:
each worker claims a chunk (its lease and its name are committed) and waits in its chunk's
transaction for the attempts. The first worker is killed there; the locks are released. Its
chunk stays claimed, its transaction dies with its connection, and once its lease has run out
the second worker's sweep queues it again; the second worker scores it and the rest. One result
per attempt, one record entry per student, one ``submitted -> scored`` transition each.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from django.db.models import Count
from django.utils import timezone

from accounts.models import Role, User
from assess import authoring, statuses, test_codes
from assess.models import Answer, Attempt, AttemptTransition, FormItem, RecordEntry, Result, ScoringChunk, ScoringRun
from itembank.models import Subject
from tests import processes
from tests.factories import make_assessment, make_school, make_user, make_versions, password_hash, schedule
from tests.processes import celery_worker_process, kill_hard

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

CANDIDATES = 3000
ITEMS = 10
CHUNK = 250
WAIT = 60.0  # seconds for the whole scoring, the kill and the sweep included


@contextmanager
def neighbour_redis_url() -> Iterator[str]:
    """An empty Redis database other than REDIS_URL's, claimed and emptied afterwards: the workers
    of this test consume only this test's tasks, and nobody else's. The search goes on from
    REDIS_URL's number past databases that another run on the machine holds."""
    parts = urlsplit(os.environ["REDIS_URL"])
    current = int(parts.path.strip("/") or 0)
    for step in range(1, 16):
        url = urlunsplit(parts._replace(path=f"/{(current + step) % 16}"))
        client = redis.Redis.from_url(url, socket_timeout=5)
        if client.dbsize() == 0 and client.set("scoring-pipeline-test:claim", "1", nx=True):
            break
        client.close()
    else:
        pytest.fail("no empty Redis database on the server for the workers")
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def closed_sitting():
    """A closed exam of ``ITEMS`` items (two test codes), every candidate's attempt handed in."""
    school = make_school()
    board = make_user(Role.BOARD, school.parent)
    teacher = make_user(Role.TEACHER, school)
    subject, _ = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    versions = make_versions(teacher, subject, ITEMS, reviewer=board)
    assessment = make_assessment(organisation=school, subject=subject, created_by=board)
    master = authoring.form_of_versions(by=board, assessment=assessment, code="GOC", item_versions=versions)
    test_codes.codes_generate(by=board, form_id=master.pk, count=2, seed=1)
    User.objects.bulk_create(
        User(
            username=f"ts{n:05d}",
            role=Role.STUDENT,
            organisation=school,
            learner_id=f"TS{n:08d}",
            password=password_hash(),
        )
        for n in range(CANDIDATES)
    )
    students = list(User.objects.filter(username__startswith="ts").order_by("pk"))
    sitting = schedule(by=board, form=master, students=students)
    items = {}
    for fi in FormItem.objects.filter(form__assessment=assessment):
        items.setdefault(fi.form_id, []).append(fi.pk)
    attempts = list(Attempt.objects.filter(sitting=sitting).values_list("pk", "form_id"))
    Answer.objects.bulk_create(
        (
            Answer(attempt_id=pk, form_item_id=item, value="ABCD"[(pk * 7 + item) % 4], value_seq=1)
            for pk, form in attempts
            for item in items[form]
            if (pk + item) % 13
        ),
        batch_size=5000,
    )
    handed_in = timezone.now() - timedelta(minutes=5)
    Attempt.objects.filter(sitting=sitting).update(
        status=statuses.SUBMITTED,
        started_at=handed_in - timedelta(minutes=40),
        submitted_at=handed_in,
        submit_reason=Attempt.SubmitReason.DEADLINE,
        updated_at=handed_in,
    )
    type(sitting).objects.filter(pk=sitting.pk).update(
        opens_at=handed_in - timedelta(hours=1), closes_at=timezone.now() - timedelta(minutes=1)
    )
    return sitting


def wait_for(condition, what: str, deadline: float):
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, f"waited in vain for {what}"
        time.sleep(0.05)


def test_two_workers_score_a_closed_sitting_once_though_one_is_killed_mid_chunk(tmp_path):
    sitting = closed_sitting()
    settings = {
        "SCORING_CHUNK_SIZE": str(CHUNK),
        "SCORING_CHUNK_LEASE_SECONDS": "3",
        "SCORING_RUN_SWEEP_SECONDS": "1",
        # The per-attempt sweep of lost scoring tasks stays out of the way: the run scores them.
        "SCORING_SWEEP_SECONDS": "3600",
        "SCORING_SWEEP_GRACE_SECONDS": "3600",
    }
    with ExitStack() as stack:
        env = {"REDIS_URL": stack.enter_context(neighbour_redis_url()), **settings}
        # Every attempt locked, from another connection: the workers' chunks wait for them.
        holder = stack.enter_context(psycopg.connect(processes.test_database_url()))
        holder.execute("SELECT id FROM assess_attempt WHERE sitting_id = %s FOR UPDATE", [sitting.pk]).fetchall()
        for name in ("first", "second"):
            (tmp_path / name).mkdir()
        first = stack.enter_context(celery_worker_process(tmp_path / "first", **env))
        stack.enter_context(celery_worker_process(tmp_path / "second", beat=True, **env))
        deadline = time.monotonic() + WAIT

        run = wait_for(lambda: ScoringRun.objects.filter(sitting=sitting).first(), "the run started at close", deadline)
        assert run.started_by_id is None and run.total_chunks == CANDIDATES // CHUNK

        def claimed_by_first():
            running = ScoringChunk.objects.filter(run=run, status="running")
            by_first = running.filter(worker__endswith=f":{first.pid}").first()
            return by_first if by_first and running.exclude(pk=by_first.pk).exists() else None

        killed_chunk = wait_for(claimed_by_first, "both workers waiting in a chunk", deadline)
        kill_hard(first)  # in the middle of its chunk: claimed, its transaction open
        holder.commit()  # the attempts free: the second worker goes on

        def finished():
            run.refresh_from_db()
            return run.status in ("done", "failed")

        wait_for(finished, "the run to finish", deadline)
        time.sleep(1.5)  # a sweep more: nothing is left to queue again

    assert run.status == "done", run.errors
    assert (run.done_chunks, run.done_attempts, run.scored) == (run.total_chunks, CANDIDATES, CANDIDATES)
    killed_chunk.refresh_from_db()
    assert killed_chunk.status == "done" and killed_chunk.tries == 2
    assert not killed_chunk.worker.endswith(f":{first.pid}")  # the second worker scored it
    assert set(Attempt.objects.filter(sitting=sitting).values_list("status", flat=True)) == {statuses.SCORED}
    assert Result.objects.filter(attempt__sitting=sitting).count() == CANDIDATES
    entries = RecordEntry.objects.filter(attempt__sitting=sitting)
    assert entries.count() == CANDIDATES == entries.values("student").distinct().count()
    scorings = AttemptTransition.objects.filter(
        attempt__sitting=sitting, from_status=statuses.SUBMITTED, to_status=statuses.SCORED
    )
    assert scorings.count() == CANDIDATES
    assert not scorings.values("attempt").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert run.statistics["attempts"] == CANDIDATES and len(run.statistics["items"]) == ITEMS
