"""What a drill checks in the database after the fact, against what its students saw.

Read with plain SQL (psycopg), not through Django: the drill runs beside servers it restarts
and holds no connection of theirs. The tables and their meaning are the engine's
(``assess.models``): ``assess_answerevent`` is the append-only history, one row per
(attempt, seq); ``assess_answer`` the latest answer of each item (the highest seq wins).
Answers are stored in the item version's own ids; a student sends the ids its form shows, and
``assess_formitem.response_ids`` (version id -> shown id, per group) translates.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import psycopg

from bench.load.client import StudentLog

# Statuses after a hand-in that a scored attempt may have (assess/statuses.py).
SCORED = ("scored", "published")


@dataclass
class ExamCheck:
    """The students' acknowledged answers held against the database."""

    students: int = 0
    acked: int = 0  # changes acknowledged to the students (a replay's duplicate ack included)
    lost: list[tuple[int, int]] = field(default_factory=list)  # (attempt, seq) acked, not stored
    duplicates: list[tuple[int, int]] = field(default_factory=list)  # stored, but never sent so
    latest_wrong: list[tuple[int, int]] = field(default_factory=list)  # (attempt, item) not the last ack
    stored_unseen: int = 0  # stored, but the student saw no ack (its connection died first)
    refused: int = 0  # changes the server refused with an error naming them
    pending: int = 0  # changes never acknowledged by the end


def attempt_of(path: str) -> int:
    """``/ws/attempts/<id>/`` -> id."""
    return int(path.rstrip("/").rsplit("/", 1)[1])


def _shown_to_stored(response_ids: dict) -> dict[str, str]:
    """Shown id -> the version's id, over all groups (as ``itembank.content.shown_id_lookup``)."""
    return {shown: own for mapping in response_ids.values() for own, shown in mapping.items()}


def _stored(value: object, lookup: dict[str, str]) -> object:
    """A choice answer in shown ids, in the version's ids (the drills answer choice items only)."""
    if isinstance(value, str):
        return lookup.get(value, value)
    if isinstance(value, list):
        return [lookup.get(v, v) for v in value]
    return value


def check_exam(database_url: str, logs: dict[str, StudentLog]) -> ExamCheck:
    """Every acked seq stored as sent; nothing stored that was not sent; the latest answer of
    each item is the last one acknowledged (or one sent later, stored without its ack seen)."""
    check = ExamCheck(students=len(logs))
    attempts = {attempt_of(path): log for path, log in logs.items()}
    ids = list(attempts)
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        forms = dict(conn.execute("SELECT id, form_id FROM assess_attempt WHERE id = ANY(%s)", (ids,)).fetchall())
        lookups: dict[tuple[int, int], dict[str, str]] = {}
        for form_id, position, response_ids in conn.execute(
            "SELECT form_id, position, response_ids FROM assess_formitem WHERE form_id = ANY(%s)",
            (list(set(forms.values())),),
        ):
            lookups[form_id, position] = _shown_to_stored(response_ids)
        events: dict[int, dict[int, tuple[str, int, object]]] = defaultdict(dict)
        for attempt_id, seq, kind, position, value in conn.execute(
            "SELECT e.attempt_id, e.seq, e.kind, f.position, e.value FROM assess_answerevent e"
            " JOIN assess_formitem f ON f.id = e.form_item_id WHERE e.attempt_id = ANY(%s)",
            (ids,),
        ):
            if seq in events[attempt_id]:
                check.duplicates.append((attempt_id, seq))  # cannot be, with the unique constraint
            events[attempt_id][seq] = (kind, position, value)
        latest: dict[tuple[int, int], tuple[int, object]] = {
            (attempt_id, position): (value_seq, value)
            for attempt_id, position, value_seq, value in conn.execute(
                "SELECT a.attempt_id, f.position, a.value_seq, a.value FROM assess_answer a"
                " JOIN assess_formitem f ON f.id = a.form_item_id WHERE a.attempt_id = ANY(%s) AND a.value_seq > 0",
                (ids,),
            )
        }
    for attempt_id, log in attempts.items():
        form_id = forms[attempt_id]

        def as_stored(message: dict) -> tuple[str, int, object]:
            position = message["item"]
            return ("answer", position, _stored(message["value"], lookups[form_id, position]))  # noqa: B023

        check.acked += len(log.acked)
        check.refused += len(log.refused)
        check.pending += log.pending_at_end
        stored = events[attempt_id]
        for seq in log.acked:
            if seq not in stored:
                check.lost.append((attempt_id, seq))
            elif stored[seq] != as_stored(log.sent[seq][1]):
                check.duplicates.append((attempt_id, seq))  # another change under an acked seq
        for seq, event in stored.items():
            if seq not in log.sent or event != as_stored(log.sent[seq][1]):
                if (attempt_id, seq) not in check.duplicates:
                    check.duplicates.append((attempt_id, seq))
            elif seq not in log.acked:
                check.stored_unseen += 1
        last_acked: dict[int, int] = {}
        for seq in log.acked:
            position = log.sent[seq][1]["item"]
            last_acked[position] = max(seq, last_acked.get(position, 0))
        positions = set(last_acked) | {position for (a, position) in latest if a == attempt_id}
        for position in positions:
            value_seq, value = latest.get((attempt_id, position), (0, None))
            expected = last_acked.get(position, 0)
            if value_seq == expected and expected:
                right = value == as_stored(log.sent[expected][1])[2]
            else:
                # Only a change sent later than the last ack, stored without its ack seen, may
                # stand there instead.
                right = (
                    value_seq > expected
                    and value_seq in log.sent
                    and value_seq not in log.refused
                    and log.sent[value_seq][1]["item"] == position
                    and value == as_stored(log.sent[value_seq][1])[2]
                )
            if not right:
                check.latest_wrong.append((attempt_id, position))
    return check


@dataclass
class ScoringCheck:
    attempts: int = 0
    scored: int = 0  # attempts scored or published
    results: int = 0
    scorings: dict[int, int] = field(default_factory=dict)  # attempt -> its submitted -> scored moves
    entries: dict[int, int] = field(default_factory=dict)  # attempt -> its record entries

    @property
    def exactly_once(self) -> bool:
        return (
            self.scored == self.results == self.attempts
            and set(self.scorings.values()) == {1}
            and len(self.scorings) == self.attempts
            and set(self.entries.values()) == {1}
            and len(self.entries) == self.attempts
        )

    def __str__(self) -> str:
        many = sum(1 for n in self.scorings.values() if n > 1) + sum(1 for n in self.entries.values() if n > 1)
        return (
            f"{self.scored}/{self.attempts} scored, {self.results} results, "
            f"{sum(self.scorings.values())} scorings, {sum(self.entries.values())} record entries"
            + (f", {many} attempts with more than one" if many else "")
        )


def scored_count(database_url: str, attempt_ids: list[int]) -> int:
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        return conn.execute("SELECT count(*) FROM assess_result WHERE attempt_id = ANY(%s)", (attempt_ids,)).fetchone()[
            0
        ]


def check_scoring(database_url: str, attempt_ids: list[int]) -> ScoringCheck:
    """One result, one ``submitted -> scored`` transition and one record entry per attempt."""
    check = ScoringCheck(attempts=len(attempt_ids))
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        check.scored = conn.execute(
            "SELECT count(*) FROM assess_attempt WHERE id = ANY(%s) AND status = ANY(%s)", (attempt_ids, list(SCORED))
        ).fetchone()[0]
        check.results = scored_count(database_url, attempt_ids)
        check.scorings = dict(
            conn.execute(
                "SELECT attempt_id, count(*) FROM assess_attempttransition WHERE attempt_id = ANY(%s)"
                " AND from_status = 'submitted' AND to_status = 'scored' GROUP BY attempt_id",
                (attempt_ids,),
            ).fetchall()
        )
        check.entries = dict(
            conn.execute(
                "SELECT attempt_id, count(*) FROM assess_recordentry WHERE attempt_id = ANY(%s) GROUP BY attempt_id",
                (attempt_ids,),
            ).fetchall()
        )
    return check
