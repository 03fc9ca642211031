"""Races of the exam day, after Saleor's: the competing call is forced to run first, to its
commit, in another thread with its own connection, at the moment the call under test is
about to take its lock. Then the same pairs run truly at once, many times over.

PostgreSQL only (row locks are the point): marked ``services``, with tasks run eagerly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Role
from assess import protocol, services, statuses
from assess.models import Answer, Attempt, AttemptTransition
from tests.factories import make_sitting, make_user, shown

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _eager_tasks():
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def in_thread(call: Callable[[], Any]) -> Any:
    """Run ``call`` to its end in another thread (its own connection, its own transaction)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001  (handed to the test)
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the competing call hung: it waited on a lock held here"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@contextmanager
def first(target: str, competitor: Callable[[], Any]):
    """Run ``competitor`` to its commit just before the first call of ``services.<target>``."""
    original = getattr(services, target)
    results: list[Any] = []

    def wrapped(*args, **kwargs):
        if not results:
            results.append(in_thread(competitor))
        return original(*args, **kwargs)

    with mock.patch.object(services, target, wrapped):
        yield results
    assert results, f"services.{target} was never reached"


def setup(n_students: int = 1):
    sitting = make_sitting(n_items=3, n_students=n_students)
    attempts = []
    for attempt in sitting.attempts.select_related("student").order_by("pk"):
        token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
        services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
        attempt.refresh_from_db()
        attempts.append((attempt, token))
    return sitting, attempts


def send(attempt: Attempt, token, content: dict) -> list[dict]:
    reply = services.attempt_message(
        attempt_id=attempt.pk, user=attempt.student, token=token, message=protocol.parse(content)
    )
    return [message.json() for message in reply.messages]


def answer(attempt: Attempt, seq: int = 1, item: int = 1) -> dict:
    """The right answer to ``item`` (``make_versions`` keys them A, B, C, …)."""
    return {"type": "answer", "seq": seq, "item": item, "value": shown(attempt, item, "ABCD"[(item - 1) % 4])}


def stored(attempt: Attempt) -> dict[int, object]:
    return dict(Answer.objects.filter(attempt=attempt, value__isnull=False).values_list("form_item__position", "value"))


def submissions(attempt: Attempt) -> int:
    return AttemptTransition.objects.filter(attempt=attempt, to_status=statuses.SUBMITTED).count()


def test_a_submit_that_commits_first_refuses_the_answer_and_nothing_of_it_is_kept():
    _, [(attempt, token)] = setup()
    with first("_record", lambda: send(attempt, token, {"type": "submit"})) as competed:
        reply = send(attempt, token, answer(attempt))
    assert competed == [[{"type": "submitted", "reason": "student", "status": "submitted"}]]
    assert [(m["type"], m["code"]) for m in reply] == [("error", "attempt_closed")]
    assert stored(attempt) == {} and submissions(attempt) == 1
    attempt.refresh_from_db()
    assert attempt.status == statuses.SCORED and attempt.result.item_scores[0] == 0


def test_an_answer_that_commits_first_is_in_the_submitted_attempt_and_its_score():
    _, [(attempt, token)] = setup()
    with first("_submit", lambda: send(attempt, token, answer(attempt))) as competed:
        reply = send(attempt, token, {"type": "submit"})
    assert competed[0][0]["type"] == "ack"
    assert reply == [{"type": "submitted", "reason": "student", "status": "submitted"}]
    attempt.refresh_from_db()
    assert stored(attempt) == {1: attempt.form.form_items.get(position=1).item_version.content["key"]}
    assert attempt.result.item_scores[0] == 1


def test_the_deadline_sweeper_first_refuses_an_answer_sent_just_before_time():
    _, [(attempt, token)] = setup()
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(milliseconds=1))
    with first("_record", services.attempts_submit_expired) as competed:
        reply = send(attempt, token, answer(attempt))
    assert competed == [1]
    assert [(m["type"], m["code"]) for m in reply] == [("error", "attempt_closed")]
    attempt.refresh_from_db()
    assert attempt.submit_reason == "deadline" and submissions(attempt) == 1 and stored(attempt) == {}


def test_a_late_answer_first_hands_the_attempt_in_and_the_sweeper_then_has_nothing_to_do():
    _, [(attempt, token)] = setup()
    Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(milliseconds=1))
    with first("attempt_expire", lambda: send(attempt, token, answer(attempt))) as competed:
        swept = services.attempts_submit_expired()
    assert [m["type"] for m in competed[0]] == ["error", "submitted"]
    assert competed[0][0]["code"] == "deadline_passed" and competed[0][1]["reason"] == "deadline"
    assert swept == 0 and submissions(attempt) == 1 and stored(attempt) == {}


def test_a_pause_that_commits_first_refuses_the_answer_and_keeps_the_time_left():
    sitting, [(attempt, token)] = setup()
    proctor = make_user(Role.PROCTOR, sitting.organisation)
    with first("_record", lambda: services.attempt_pause(attempt_id=attempt.pk, by=proctor)) as competed:
        reply = send(attempt, token, answer(attempt))
    assert competed[0].status == statuses.PAUSED
    assert [(m["type"], m["code"]) for m in reply] == [("error", "paused")]
    attempt.refresh_from_db()
    assert attempt.status == statuses.PAUSED and attempt.paused_remaining > timedelta(minutes=40)
    assert stored(attempt) == {}


def test_an_answer_that_commits_first_is_kept_through_the_pause():
    sitting, [(attempt, token)] = setup()
    proctor = make_user(Role.PROCTOR, sitting.organisation)
    with first("_lock", lambda: send(attempt, token, answer(attempt))) as competed:
        paused = services.attempt_pause(attempt_id=attempt.pk, by=proctor, reason="mất điện")
    assert competed[0][0]["type"] == "ack"
    assert paused.status == statuses.PAUSED and set(stored(attempt)) == {1}
    assert send(attempt, token, answer(attempt, seq=2, item=2))[0]["code"] == "paused"


def test_answers_and_a_submit_at_once_every_acknowledged_answer_is_kept_and_no_refused_one():
    for _round in range(5):
        _, [(attempt, token)] = setup()
        replies = at_once([answering(attempt, token, item) for item in (1, 2, 3)] + [submitting(attempt, token)])
        assert replies[3][0]["type"] == "submitted"
        acknowledged = {item for item in (1, 2, 3) if replies[item - 1][0]["type"] == "ack"}
        refused = {item for item in (1, 2, 3) if replies[item - 1][0]["type"] == "error"}
        assert {replies[item - 1][0]["code"] for item in refused} <= {"attempt_closed"}
        assert set(stored(attempt)) == acknowledged and acknowledged | refused == {1, 2, 3}
        attempt.refresh_from_db()
        assert submissions(attempt) == 1
        assert list(attempt.result.item_scores) == [1 if i in acknowledged else 0 for i in (1, 2, 3)]


def answering(attempt: Attempt, token, item: int) -> Callable[[], list[dict]]:
    return lambda: send(attempt, token, answer(attempt, seq=item, item=item))


def submitting(attempt: Attempt, token) -> Callable[[], list[dict]]:
    return lambda: send(attempt, token, {"type": "submit"})


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results
