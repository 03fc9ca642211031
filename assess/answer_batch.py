"""Answers committed in groups, on the event loop: the hot path of delivery on PostgreSQL.

The rule of an answer is ``services._record`` (lock the attempt, check it, append the event,
upsert the latest answer, count the event: one transaction). That rule runs in a worker
thread, through the ORM, with four round trips and a commit per answer. Here the same write is
ONE statement for many answers at once: the answers that arrived in a server process while the
previous statement was running go together, as one transaction and one commit (group commit).
A lone answer goes at once, alone; a busy process writes larger groups. No answer is
acknowledged before the statement that holds it has committed.

The statement commits an answer only when ``_record`` would certainly accept it, checked in the
statement itself under the attempt's row lock: the connection's token, the attempt in
progress, before its deadline, not delivered by sections (their rules stay in
``assess.sections``), the item not checked, the history below its cap, and a sequence number
never used by the attempt. Any other answer is *declined* and nothing of it is written: the
consumer then sends it down the canonical path, which refuses it with the right error, or
acknowledges a replay (``duplicate``), or handles a section. So this module decides nothing
that ``_record`` would decide differently; a rule added to ``_record`` must be added to the
guard below, or make it decline (tests/assess/test_answer_batch.py runs both paths on the
same cases).

Flags, checks, starts and every other message keep the canonical path. SQLite (the embedded
default) never uses this module.

Connections: each server process keeps ``DELIVERY_WRITERS`` connections of its own (autocommit,
on the event loop), besides Django's pool; docs/operations.md counts them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
import weakref
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config import metrics

from . import statuses

logger = logging.getLogger(__name__)

# One statement for a group of answers, at most one per attempt (two of one attempt would
# upsert one row twice). Attempts are locked in id order: two groups never deadlock.
_STATEMENT = """
WITH input AS (
    SELECT * FROM unnest(%(attempt)s::bigint[], %(seq)s::bigint[], %(form_item)s::bigint[],
                         %(position)s::int[], %(value)s::text[], %(token)s::uuid[])
           AS t(attempt_id, seq, form_item_id, position, value, token)
), locked AS (
    SELECT a.id, a.status, a.deadline, a.connection_token, a.event_count, a.checked_items,
           a.section, a.sitting_id, a.room_id
    FROM assess_attempt a
    WHERE a.id = ANY(%(attempt)s::bigint[])
    ORDER BY a.id
    FOR UPDATE OF a
), accepted AS (
    SELECT i.* FROM input i JOIN locked l ON l.id = i.attempt_id
    WHERE l.connection_token = i.token
      AND l.status = %(in_progress)s
      AND (l.deadline IS NULL OR l.deadline > %(now)s)
      AND l.section IS NULL
      AND l.event_count < %(cap)s
      AND NOT (COALESCE(l.checked_items, '[]'::jsonb) @> to_jsonb(i.position))
), event AS (
    INSERT INTO assess_answerevent (attempt_id, seq, form_item_id, kind, value, received_at, connection_token)
    SELECT attempt_id, seq, form_item_id, 'answer', value::jsonb, %(now)s, token FROM accepted
    ON CONFLICT (attempt_id, seq) DO NOTHING
    RETURNING attempt_id, seq, form_item_id, value
), latest AS (
    INSERT INTO assess_answer (attempt_id, form_item_id, value, value_seq, flagged, flag_seq, updated_at)
    SELECT attempt_id, form_item_id, value, seq, FALSE, 0, %(now)s FROM event
    ON CONFLICT (attempt_id, form_item_id) DO UPDATE
    SET value = excluded.value, value_seq = excluded.value_seq, updated_at = excluded.updated_at
    WHERE assess_answer.value_seq < excluded.value_seq
    RETURNING attempt_id
), counted AS (  -- run although nothing reads it, as every data-modifying part is
    UPDATE assess_attempt a
    SET event_count = a.event_count + 1, last_seq = GREATEST(a.last_seq, e.seq)
    FROM event e WHERE a.id = e.attempt_id
)
SELECT i.attempt_id, e.seq IS NOT NULL, l2.attempt_id IS NOT NULL, l.deadline, l.sitting_id, l.room_id
FROM input i
LEFT JOIN event e ON e.attempt_id = i.attempt_id
LEFT JOIN latest l2 ON l2.attempt_id = i.attempt_id
LEFT JOIN locked l ON l.id = i.attempt_id
"""


@dataclass(frozen=True)
class Stored:
    """An answer committed by a group: what its acknowledgement and event need."""

    remaining_ms: int | None
    changed: bool  # the latest answer of the item is this one (not a later one already)
    sitting: int
    room: int | None
    at: datetime  # when it was received, as stored (the consoles show it)


@dataclass
class _Answer:
    attempt_id: int
    seq: int
    form_item_id: int
    position: int
    value: str | None  # JSON of the answer in the version's ids; None clears
    token: uuid.UUID
    done: asyncio.Future = field(repr=False)


def enabled() -> bool:
    return connection.vendor == "postgresql" and settings.DELIVERY_GROUP_COMMIT


class Writers:
    """One server process's group writers: at most ``DELIVERY_WRITERS`` statements at a time,
    each on a connection of its own; what arrives meanwhile waits for the next free writer."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.waiting: deque[_Answer] = deque()
        self.idle: list[psycopg.AsyncConnection | None] = [None] * settings.DELIVERY_WRITERS
        self.busy = 0
        self.tasks: set[asyncio.Task] = set()

    async def record(self, answer: _Answer) -> Stored | None:
        self.waiting.append(answer)
        self.start()
        return await answer.done

    def start(self) -> None:
        while self.idle and self.waiting:
            group = self.take()
            conn = self.idle.pop()
            task = self.loop.create_task(self.write(conn, group))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def take(self) -> list[_Answer]:
        """The next group: the answers in arrival order, one per attempt (a second answer of an
        attempt waits for the next group, keeping each attempt's order)."""
        group: list[_Answer] = []
        seen: set[int] = set()
        kept: deque[_Answer] = deque()
        limit = settings.DELIVERY_GROUP_MAX
        while self.waiting and len(group) < limit:
            answer = self.waiting.popleft()
            if answer.attempt_id in seen:
                kept.append(answer)
            else:
                seen.add(answer.attempt_id)
                group.append(answer)
        kept.extend(self.waiting)
        self.waiting = kept
        return group

    async def write(self, conn: psycopg.AsyncConnection | None, group: list[_Answer]) -> None:
        try:
            if conn is None or conn.closed:
                conn = await psycopg.AsyncConnection.connect(**_connection_params(), autocommit=True)
            now = timezone.now()
            cursor = await conn.execute(
                _STATEMENT,
                {
                    "attempt": [a.attempt_id for a in group],
                    "seq": [a.seq for a in group],
                    "form_item": [a.form_item_id for a in group],
                    "position": [a.position for a in group],
                    "value": [a.value for a in group],
                    "token": [a.token for a in group],
                    "in_progress": statuses.IN_PROGRESS,
                    "now": now,
                    "cap": settings.ATTEMPT_HISTORY_MAX_EVENTS,
                },
                prepare=True,
            )
            rows = {row[0]: row for row in await cursor.fetchall()}
            metrics.answer_group_written(len(group), sum(1 for row in rows.values() if not row[1]))
            for answer in group:
                _attempt, stored, changed, deadline, sitting, room = rows[answer.attempt_id]
                if answer.done.done():
                    continue
                if not stored:
                    answer.done.set_result(None)  # declined: the canonical path decides
                    continue
                remaining = None if deadline is None else max(0, int((deadline - now).total_seconds() * 1000))
                answer.done.set_result(
                    Stored(remaining_ms=remaining, changed=changed, sitting=sitting, room=room, at=now)
                )
        except Exception as exc:  # nothing of the group was committed: one statement
            logger.warning("a group of %d answers failed: %s", len(group), exc)
            if conn is not None and not conn.closed:
                await conn.close()
            conn = None
            for answer in group:
                if not answer.done.done():
                    answer.done.set_exception(exc)
        finally:
            self.idle.append(conn)
            self.start()

    def discard(self) -> None:
        """Close the connections of writers whose event loop has ended (tests make one per test)."""
        for conn in self.idle:
            if conn is not None and not conn.closed:
                conn.pgconn.finish()
        self.idle = []


def discard_all() -> None:
    """Close every writer's connection (the end of a test session)."""
    for loop, found in list(_writers.items()):
        found.discard()
        del _writers[loop]


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Writers] = weakref.WeakKeyDictionary()


def _connection_params() -> dict:
    """The database Django uses (the test database during tests), for a connection of our own."""
    params = connection.settings_dict
    return {
        key: value
        for key, value in {
            "dbname": params["NAME"],
            "user": params.get("USER") or None,
            "password": params.get("PASSWORD") or None,
            "host": params.get("HOST") or None,
            "port": params.get("PORT") or None,
            "application_name": "assess-answers",
        }.items()
        if value is not None
    }


def writers() -> Writers:
    loop = asyncio.get_running_loop()
    found = _writers.get(loop)
    if found is None:
        for other_loop, other in list(_writers.items()):
            if other_loop.is_closed():
                other.discard()
                del _writers[other_loop]
        found = _writers[loop] = Writers(loop)
    return found


async def record(
    *, attempt_id: int, token: uuid.UUID, seq: int, form_item_id: int, position: int, value: object
) -> Stored | None:
    """Commit one answer (already in the version's ids, checked against its item's rules) with
    the others arriving now; ``None`` if declined (nothing written: take the canonical path).
    Raises what the database raised (nothing of it was written either)."""
    answer = _Answer(
        attempt_id=attempt_id,
        seq=seq,
        form_item_id=form_item_id,
        position=position,
        value=None if value is None else json.dumps(value),
        token=token,
        done=asyncio.get_running_loop().create_future(),
    )
    return await writers().record(answer)
