"""Answers committed in groups (assess/answer_batch.py) against the canonical path
(``services.attempt_record_answer``): the same rows for the answers it stores, and nothing
written for every answer the canonical path would refuse, replay or handle by sections."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.utils import timezone
from prometheus_client import REGISTRY

from assess import answer_batch, selectors, services
from assess.models import Answer, AnswerEvent, Attempt
from tests.factories import make_sitting, shown

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("answers go in groups on PostgreSQL only; SQLite takes the canonical path")


@database_sync_to_async
def setup(n_students: int = 2, n_items: int = 5):
    sitting = make_sitting(n_items=n_items, n_students=n_students)
    attempts = []
    for attempt in sitting.attempts.select_related("student", "sitting").order_by("pk"):
        token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
        services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
        attempt.refresh_from_db()
        attempts.append((attempt, token))
    keys = {fi.position: fi.item_version.content["key"] for fi in attempts[0][0].form.form_items.all()}
    return attempts, keys


@database_sync_to_async
def shown_value(attempt: Attempt, position: int, letter: str) -> str:
    return shown(attempt, position, letter)


async def in_group(attempt: Attempt, token, seq: int, position: int, shown_letter: str | None):
    slot = (await database_sync_to_async(selectors.form_index)(attempt.form_id))[position]
    value = slot.accept(shown_letter)
    return await answer_batch.record(
        attempt_id=attempt.pk, token=token, seq=seq, form_item_id=slot.form_item_id, position=position, value=value
    )


@database_sync_to_async
def history(attempt: Attempt) -> tuple:
    attempt.refresh_from_db()
    events = list(
        AnswerEvent.objects.filter(attempt=attempt)
        .order_by("seq")
        .values_list("seq", "form_item__position", "kind", "value")
    )
    latest = list(
        Answer.objects.filter(attempt=attempt)
        .order_by("form_item__position")
        .values_list("form_item__position", "value", "value_seq")
    )
    return events, latest, attempt.last_seq, attempt.event_count


def groups_written() -> float:
    return REGISTRY.get_sample_value("assess_answer_group_size_count") or 0.0


async def test_stored_answers_are_the_rows_the_canonical_path_writes():
    [(a, token_a), (b, token_b)], _keys = await setup()
    # in order, a change of an item, and an older change arriving after a newer one
    plan = [(1, 1, "A"), (2, 2, "B"), (3, 1, "C"), (5, 3, "D"), (4, 3, "A"), (6, 4, None)]
    for seq, position, letter in plan:
        value = await shown_value(a, position, letter) if letter else None
        stored = await in_group(a, token_a, seq, position, value)
        assert stored is not None and stored.sitting == a.sitting_id
        assert 0 < stored.remaining_ms <= 45 * 60 * 1000
        assert stored.changed is (seq != 4)  # seq 5 already holds item 3
        received = await database_sync_to_async(
            lambda: AnswerEvent.objects.get(attempt=a, seq=seq).received_at  # noqa: B023
        )()
        assert stored.at == received  # the consoles show the instant stored
        await database_sync_to_async(services.attempt_record_answer)(
            attempt_id=b.pk,
            token=token_b,
            seq=seq,
            item=position,
            value=await shown_value(b, position, letter) if letter else None,
        )
    assert await history(a) == await history(b)
    events, latest, last_seq, count = await history(a)
    assert [e[0] for e in events] == [1, 2, 3, 4, 5, 6] and last_seq == 6 and count == 6
    assert dict((p, s) for p, _v, s in latest) == {1: 3, 2: 2, 3: 5, 4: 6}


@pytest.mark.parametrize(
    "case",
    [
        "wrong_token",
        "paused",
        "submitted",
        "deadline_passed",
        "checked_item",
        "history_full",
        "sections",
        "replay",
        "seq_reused",
    ],
)
async def test_whatever_the_canonical_path_refuses_or_replays_is_declined_and_nothing_written(case, settings):
    [(attempt, token), _], keys = await setup()
    value = await shown_value(attempt, 2, keys[2])
    token_used = token

    @database_sync_to_async
    def arrange() -> None:
        nonlocal token_used
        board = attempt.sitting.created_by
        if case == "wrong_token":
            import uuid

            token_used = uuid.uuid4()
        elif case == "paused":
            services.attempt_pause(attempt_id=attempt.pk, by=board)
        elif case == "submitted":
            services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
        elif case == "deadline_passed":
            Attempt.objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=1))
        elif case == "checked_item":
            Attempt.objects.filter(pk=attempt.pk).update(checked_items=[2])
        elif case == "history_full":
            Attempt.objects.filter(pk=attempt.pk).update(event_count=settings.ATTEMPT_HISTORY_MAX_EVENTS)
        elif case == "sections":
            Attempt.objects.filter(pk=attempt.pk).update(section=0)
        elif case in ("replay", "seq_reused"):
            services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=1, item=2, value=value)

    await arrange()
    before = await history(attempt)
    seq, position = (1, 2) if case == "replay" else (1, 3) if case == "seq_reused" else (7, 2)
    letter = value if position == 2 else await shown_value(attempt, 3, "A")
    assert await in_group(attempt, token_used, seq, position, letter) is None
    assert await history(attempt) == before


async def test_answers_arriving_together_are_committed_together_each_attempt_in_order():
    attempts, keys = await setup(n_students=30)
    before = groups_written()
    values = {}
    for attempt, _token in attempts:
        values[attempt.pk] = (await shown_value(attempt, 1, "A"), await shown_value(attempt, 1, "B"))
    # every candidate answers item 1 twice at once (seq 1 then 2): 60 answers in flight
    outcomes = await asyncio.gather(
        *(
            in_group(attempt, token, seq, 1, values[attempt.pk][seq - 1])
            for attempt, token in attempts
            for seq in (1, 2)
        )
    )
    assert all(stored is not None for stored in outcomes)
    statements = groups_written() - before
    assert statements <= 8, statements  # grouped: far fewer statements than the 60 answers
    for attempt, _token in attempts:
        events, latest, last_seq, count = await history(attempt)
        assert [e[0] for e in events] == [1, 2] and count == 2 and last_seq == 2
        assert latest == [(1, "B", 2)]  # the later seq holds the item (in the version's ids)


async def test_a_database_failure_fails_the_answer_and_writes_nothing(monkeypatch):
    [(attempt, token), _], keys = await setup()
    value = await shown_value(attempt, 1, keys[1])
    answer_batch.discard_all()  # the writers connect again, to a database that is not there
    real = answer_batch._connection_params
    monkeypatch.setattr(answer_batch, "_connection_params", lambda: {**real(), "dbname": "no_such_database_here"})
    with pytest.raises(Exception, match="no_such_database_here"):
        await in_group(attempt, token, 1, 1, value)
    assert (await history(attempt))[0] == []
    monkeypatch.setattr(answer_batch, "_connection_params", real)
    answer_batch.discard_all()
    assert await in_group(attempt, token, 1, 1, value) is not None
