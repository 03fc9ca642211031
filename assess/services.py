"""Every write of assessment delivery: transitions, answers, submission, scoring, records.

Each service locks the attempt row, treats a repeat as a no-op where the domain allows it,
writes an audit row for status changes, and publishes its typed events (``assess/events.py``)
and schedules its tasks on commit. ``attempt_message`` is the one entry for a message of the
candidate's websocket: it returns the reply and the events its commit produced.
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

import scoring
from accounts.models import Role, User
from accounts.permissions import BOARD, PROCTORS, scope_of
from scoring import grades
from scoring.item_rules import Score, all_or_nothing, score_response

from . import accommodations, errors, events, protocol, sections, selectors, sittings, statuses
from .models import (
    Answer,
    AnswerEvent,
    Assessment,
    Attempt,
    AttemptTransition,
    FormItem,
    ItemMark,
    RecordEntry,
    Result,
    Sitting,
)

logger = logging.getLogger(__name__)


# --- transitions ------------------------------------------------------------------------


def _move(
    attempt: Attempt,
    to: str,
    *,
    by: User | None,
    reason: str = "",
    now: datetime | None = None,
    connection: uuid.UUID | None = None,
    audit: list[AttemptTransition] | None = None,
) -> None:
    """Apply one checked transition to a locked attempt, audit it and announce it on commit.

    The event is built at commit, from the attempt as the transaction left it (its deadline,
    time held and reason are set after the move). ``connection``: the candidate's connection
    whose message made the move (it has its reply already). ``audit``: where to put the
    transition's row for the caller to insert with others' (a room started together).
    """
    statuses.check_transition(attempt.status, to)
    if statuses.live(attempt.status) != statuses.live(to):  # not scoring, release, withdrawal
        events.publish(lambda: events.status_of(attempt, connection=str(connection) if connection else None))
    transition = AttemptTransition(
        attempt=attempt,
        from_status=attempt.status,
        to_status=to,
        by=by,
        reason=reason[:200],
        at=now or timezone.now(),
    )
    if audit is None:
        transition.save(force_insert=True)
    else:
        audit.append(transition)
    attempt.status = to


def _lock(attempt_id: int, *, with_sitting: bool = False) -> Attempt:
    """Lock one attempt row, reading its sitting and assessment along where asked.

    ``of=("self",)`` matters: a plain FOR UPDATE with joins locks the joined sitting row too,
    and every candidate of a sitting would then queue on it (a start storm crawled).
    """
    attempts = Attempt.objects.select_for_update(of=("self",))
    if with_sitting:
        attempts = attempts.select_related("sitting__assessment")
    return attempts.get(pk=attempt_id)


@transaction.atomic
def attempt_move(*, attempt_id: int, to: str, by: User | None, reason: str = "") -> Attempt:
    """Move an attempt to ``to``; a repeated request for the current status is a no-op."""
    attempt = _lock(attempt_id)
    if attempt.status == to:
        return attempt
    _move(attempt, to, by=by, reason=reason)
    attempt.save(update_fields=["status", "updated_at"])
    return attempt


# --- connection and start -------------------------------------------------------------------


def check_student_owns(attempt: Attempt, user: User) -> None:
    scope = scope_of(user)
    if not scope.has_role(Role.STUDENT) or attempt.student_id != scope.user_id:
        raise PermissionDenied(_("This attempt is not yours."))


@dataclass(frozen=True)
class Connected:
    token: uuid.UUID
    sitting: int
    room: int | None
    events: tuple[events.Event, ...]
    form: int | None = None


def attempt_connect(
    *, attempt_id: int, user: User, address: str | None = None, session_key: str | None = None
) -> Connected:
    """Make a new live connection the only one allowed to write, and return its token with the
    events to send once it listens (the takeover first: older connections step down).

    A deadline that passed while nobody was connected is enforced here too. ``address`` and
    ``session_key`` are the connection's: a second session or a new address of an attempt under
    way is an integrity event, seen here by the server (``proctoring.integrity.on_connect``).
    """
    with events.collect() as outbox:
        with transaction.atomic():
            attempt = _lock(attempt_id)
            check_student_owns(attempt, user)
            _expire_if_due(attempt, now=timezone.now())
            previous = attempt.connection_token
            token = uuid.uuid4()
            attempt.connection_token = token
            attempt.save(update_fields=["connection_token", "updated_at"])
            if address is not None or session_key is not None:
                from proctoring import integrity

                integrity.on_connect(
                    attempt=attempt,
                    previous_token=str(previous) if previous else None,
                    address=address,
                    session_key=session_key,
                )
            room = events.room_of(attempt)
            takeover = events.TakenOver(attempt=attempt.pk, sitting=attempt.sitting_id, room=room, token=str(token))
    return Connected(
        token=token, sitting=attempt.sitting_id, room=room, events=(takeover, *outbox), form=attempt.form_id
    )


@transaction.atomic
def attempt_start(
    *, attempt_id: int, user: User, token: uuid.UUID, access_code: str = "", address: str | None = None
) -> Attempt:
    """Start the clock: the deadline is the duration from now, but never past the window.

    Starting an attempt that runs already is a no-op (a reload sends start again). No
    attempt starts after the sitting's latest start, nor without its access code if it has one;
    one placed in a room only by its room's rules (``proctoring.gate``).
    """
    return _start(attempt_id=attempt_id, user=user, token=token, access_code=access_code, address=address)


def _start(
    *, attempt_id: int, user: User, token: uuid.UUID, access_code: str = "", address: str | None = None
) -> Attempt:
    now = timezone.now()
    attempt = _lock(attempt_id, with_sitting=True)
    check_student_owns(attempt, user)
    _check_token(attempt, token)
    if attempt.status in statuses.OPEN:
        return attempt
    if attempt.status in statuses.FINISHED:
        raise errors.AttemptClosed(_("This attempt has been submitted."))
    sitting = attempt.sitting
    if not sitting.is_open(now):
        raise errors.SittingNotOpen(
            _("The sitting is open from %(opens)s to %(closes)s.")
            % {"opens": sitting.opens_at.isoformat(), "closes": sitting.closes_at.isoformat()}
        )
    if sitting.latest_start is not None and now > sitting.latest_start:
        raise errors.SittingNotOpen(
            _("The last moment to start was %(latest)s.") % {"latest": sitting.latest_start.isoformat()}
        )
    room = None
    if attempt.room_id is not None:  # placed in a room: its proctors let the candidate start
        from proctoring import gate
        from proctoring.models import SittingRoom

        room = SittingRoom.objects.select_related("room").get(pk=attempt.room_id)
        gate.check_start(attempt, room, address=address, access_code=access_code)
    elif sitting.access_code and not secrets.compare_digest(access_code.strip().upper(), sitting.access_code.upper()):
        raise errors.AccessCode(_("Type the access code the proctor gives in the room."))
    _begin(attempt, by=user, now=now, room=room, connection=token)
    return attempt


_UNREAD = object()
_BEGUN_FIELDS = ["status", "started_at", "time_scale", "large_text", *sections.FIELDS, "updated_at"]


def _begin(
    attempt: Attempt,
    *,
    by: User,
    now: datetime,
    room,
    connection: uuid.UUID | None = None,
    accommodation=_UNREAD,
    audit: list[AttemptTransition] | None = None,
) -> None:
    """Start the clock of a locked attempt (its sitting loaded): the deadline by the rules.
    ``accommodation``: the one that applies, when the caller read it (else read here).
    ``audit``: the caller audits and saves (``_move``; ``_BEGUN_FIELDS`` are what changed)."""
    from proctoring import gate

    _move(attempt, statuses.IN_PROGRESS, by=by, now=now, connection=connection, audit=audit)
    # The accommodation as it stands at the start: its times scale the deadline and sections.
    if accommodation is _UNREAD:
        accommodation = accommodations.accommodation_for(attempt.sitting_id, attempt.student_id)
    attempt.time_scale = accommodations.time_scale(accommodation, attempt.sitting.assessment.duration)
    attempt.large_text = bool(accommodation and accommodation.large_text)
    attempt.started_at = now
    attempt.deadline = gate.deadline(attempt, room, attempt.sitting, now)
    plan = sections.form_sections(attempt.form_id)
    if plan:
        sections.enter(attempt, plan, 0, now)
    if audit is None:
        attempt.save(update_fields=_BEGUN_FIELDS)


def attempts_start_together(*, room, by: User, now: datetime) -> list[int]:
    """Start every checked-in attempt of a room (``proctoring.models.SittingRoom``) at ``now``:
    its proctor started the room together. The ids started."""
    attempts = list(
        Attempt.objects.select_for_update(of=("self",))
        .select_related("sitting__assessment")
        .filter(room=room, status=statuses.CHECKED_IN)
        .order_by("pk")
    )
    # A whole room in a few statements, not a few per candidate: the accommodations read once,
    # the transitions inserted together, and one UPDATE per set of values (the candidates without
    # an accommodation share theirs; Django's bulk_update builds a CASE per row and field, which
    # cost more CPU than the rest of the release: bench/RESULTS.md).
    applying = accommodations.accommodations_for(room.sitting_id, [attempt.student_id for attempt in attempts])
    audit: list[AttemptTransition] = []
    alike: dict[tuple, list[int]] = defaultdict(list)
    for attempt in attempts:
        _begin(attempt, by=by, now=now, room=room, accommodation=applying[attempt.student_id], audit=audit)
        attempt.updated_at = now
        alike[tuple(getattr(attempt, name) for name in _BEGUN_FIELDS)].append(attempt.pk)
    AttemptTransition.objects.bulk_create(audit)
    for values, ids in alike.items():
        Attempt.objects.filter(pk__in=ids).update(**dict(zip(_BEGUN_FIELDS, values, strict=True)))
    return [attempt.pk for attempt in attempts]


def _check_token(attempt: Attempt, token: uuid.UUID | None) -> None:
    if token is None or attempt.connection_token != token:
        raise errors.Superseded(_("This attempt was opened in another window or on another computer."))


# --- pause and resume (proctors and the board) -------------------------------------------------


def check_staff(attempt: Attempt, by: User) -> None:
    """The exam board overseeing the sitting; a proctor of its organisation, and once the
    attempt is placed in a room, only a proctor named for that room."""
    scope = scope_of(by)
    if not scope.has_role(*PROCTORS) or not scope.oversees(attempt.sitting.organisation_id):
        raise PermissionDenied(_("Only proctors and the exam board of this organisation may do this."))
    if attempt.room_id is not None and not scope.has_role(*BOARD):
        from proctoring.models import SittingRoom

        if not SittingRoom.proctors.through.objects.filter(sittingroom_id=attempt.room_id, user_id=by.pk).exists():
            raise PermissionDenied(_("Only the room's proctors and the exam board may do this."))


def _check_board(by: User, organisation_id: int, message: str) -> None:
    scope = scope_of(by)
    if not scope.has_role(*BOARD) or not scope.oversees(organisation_id):
        raise PermissionDenied(message)


@transaction.atomic
def attempt_pause(*, attempt_id: int, by: User, reason: str = "") -> Attempt:
    """Stop the clock (an incident in the room); the time left is kept. Repeats are no-ops."""
    now = timezone.now()
    attempt = _lock(attempt_id, with_sitting=True)
    check_staff(attempt, by)
    if attempt.status == statuses.PAUSED or _expire_if_due(attempt, now=now):
        return attempt
    _move(attempt, statuses.PAUSED, by=by, reason=reason, now=now)
    attempt.paused_remaining = max(attempt.deadline - now, timedelta(0))
    sections.freeze(attempt, now)  # the section's or the break's clock stands still too
    attempt.save(
        update_fields=["status", "paused_remaining", "section_paused_remaining", *sections.FIELDS, "updated_at"]
    )
    return attempt


@transaction.atomic
def attempt_resume(*, attempt_id: int, by: User, reason: str = "") -> Attempt:
    """Restart the clock with the time that was left at the pause. Repeats are no-ops."""
    now = timezone.now()
    attempt = _lock(attempt_id, with_sitting=True)
    check_staff(attempt, by)
    if attempt.status == statuses.IN_PROGRESS:
        return attempt
    _move(attempt, statuses.IN_PROGRESS, by=by, reason=reason, now=now)
    attempt.deadline = now + (attempt.paused_remaining or timedelta(0))
    attempt.paused_remaining = None
    sections.thaw(attempt, now)
    attempt.save(
        update_fields=["status", "deadline", "paused_remaining", "section_paused_remaining", *sections.FIELDS]
        + ["updated_at"]
    )
    return attempt


@transaction.atomic
def attempt_extend(*, attempt_id: int, by: User, minutes: int, reason: str) -> Attempt:
    """Give ``minutes`` more (time lost to an incident, an accommodation): the running deadline
    moves, or the time held while paused grows. It may reach past the window's close: the
    extension is the proctor's decision, audited with its reason."""
    attempt = _lock(attempt_id, with_sitting=True)
    check_staff(attempt, by)
    if attempt.status not in statuses.OPEN:
        raise ValidationError({"attempt": [_("Only an attempt under way gets more time.")]})
    if _expire_if_due(attempt, now=timezone.now()):
        raise ValidationError({"attempt": [_("Time was up: the attempt has been handed in.")]})
    extra = timedelta(minutes=minutes)
    if attempt.status == statuses.PAUSED:
        attempt.paused_remaining = (attempt.paused_remaining or timedelta(0)) + extra
    else:
        attempt.deadline = attempt.deadline + extra
    sections.extend(attempt, extra)
    attempt.save(update_fields=["paused_remaining", "section_paused_remaining", *sections.FIELDS, "updated_at"])
    events.publish(lambda: events.status_of(attempt))
    return attempt


@transaction.atomic
def attempt_void(*, attempt_id: int, by: User, reason: str) -> Attempt:
    """Void an attempt (misconduct, a wrong candidate): it counts for nothing and ends now.
    Repeats are no-ops; a published result is withdrawn first."""
    attempt = _lock(attempt_id, with_sitting=True)
    check_staff(attempt, by)
    if attempt.status == statuses.VOIDED:
        return attempt
    if attempt.status == statuses.PUBLISHED:
        raise ValidationError({"attempt": [_("This result is published: withdraw the results first.")]})
    _move(attempt, statuses.VOIDED, by=by, reason=reason)
    attempt.save(update_fields=["status", "updated_at"])
    RecordEntry.objects.filter(attempt=attempt).delete()
    return attempt


def reopen_refusal(attempt: Attempt, now: datetime) -> str | None:
    """Why this attempt cannot be reopened now (None: it can). Only an attempt the candidate
    handed in themselves, with time left, before the results are released and the window closes."""
    if attempt.status not in (statuses.SUBMITTED, statuses.SCORED):
        return _("Only an attempt that has been handed in can be reopened.")
    if attempt.submit_reason != Attempt.SubmitReason.STUDENT:
        return _("Only an attempt the candidate handed in themselves can be reopened: this one ended with its time.")
    if attempt.sitting.released_at is not None:
        return _("The sitting's results are released: withdraw them before reopening an attempt.")
    if now >= attempt.sitting.closes_at:
        return _("The sitting's window has closed: the attempt can no longer be reopened.")
    if attempt.deadline is None or attempt.submitted_at is None or attempt.deadline <= attempt.submitted_at:
        return _("No time was left when the attempt was handed in.")
    return None


@transaction.atomic
def attempt_reopen(*, attempt_id: int, by: User, reason: str) -> Attempt:
    """Reopen an attempt the candidate handed in by mistake: the exam board's decision
    (``proctoring.reopening``). It is paused with the time it had left when handed in (its
    section's too); the room's proctor resumes it once the candidate is back at their seat.
    Its result and record entry, if it was scored, go: handing it in again scores it again."""
    now = timezone.now()
    attempt = _lock(attempt_id, with_sitting=True)
    _check_board(by, attempt.sitting.organisation_id, _("Only the exam board of this organisation reopens attempts."))
    refusal = reopen_refusal(attempt, now)
    if refusal is not None:
        raise ValidationError({"attempt": [refusal]})
    assert attempt.deadline is not None and attempt.submitted_at is not None  # reopen_refusal
    _move(attempt, statuses.PAUSED, by=by, reason=reason, now=now)
    attempt.paused_remaining = attempt.deadline - attempt.submitted_at
    sections.freeze(attempt, attempt.submitted_at)  # what the section's clock had left then
    attempt.submitted_at = None
    attempt.submit_reason = ""
    attempt.save(
        update_fields=[
            "status",
            "paused_remaining",
            "section_paused_remaining",
            "submitted_at",
            "submit_reason",
            "updated_at",
        ]
    )
    RecordEntry.objects.filter(attempt=attempt).delete()
    Result.objects.filter(attempt=attempt).delete()
    return attempt


# --- answers ------------------------------------------------------------------------------


Ack = protocol.Ack


def _check_writable(attempt: Attempt, now: datetime, seq: int) -> None:
    if attempt.status in statuses.NOT_STARTED:
        raise errors.NotStarted(_("Start the attempt before answering."), seq)
    if attempt.status == statuses.PAUSED:
        raise errors.Paused(_("The attempt is paused; answers are not accepted now."), seq)
    if attempt.status in statuses.FINISHED:
        raise errors.AttemptClosed(_("This attempt has been submitted; the answer was not recorded."), seq)
    if attempt.deadline is not None and now >= attempt.deadline:
        raise errors.DeadlinePassed(_("Time is up; the answer was not recorded."), seq)


# The hot path of delivery writes in SQL (FIELD-NOTES: the ORM costs a third of the
# throughput here). Portable across PostgreSQL and SQLite 3.24+: upserts, no RETURNING.
_INSERT_EVENT = (
    "INSERT INTO assess_answerevent (attempt_id, seq, form_item_id, kind, value, received_at, connection_token)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (attempt_id, seq) DO NOTHING"
)
_UPSERT_VALUE = (
    "INSERT INTO assess_answer (attempt_id, form_item_id, value, value_seq, flagged, flag_seq, updated_at)"
    " VALUES (%s, %s, %s, %s, FALSE, 0, %s) ON CONFLICT (attempt_id, form_item_id) DO UPDATE"
    " SET value = excluded.value, value_seq = excluded.value_seq, updated_at = excluded.updated_at"
    " WHERE assess_answer.value_seq < excluded.value_seq"
)
_UPSERT_FLAG = (
    "INSERT INTO assess_answer (attempt_id, form_item_id, value, value_seq, flagged, flag_seq, updated_at)"
    " VALUES (%s, %s, NULL, 0, %s, %s, %s) ON CONFLICT (attempt_id, form_item_id) DO UPDATE"
    " SET flagged = excluded.flagged, flag_seq = excluded.flag_seq, updated_at = excluded.updated_at"
    " WHERE assess_answer.flag_seq < excluded.flag_seq"
)
# One statement counts the new event and raises last_seq: the history cap needs no COUNT(*).
_COUNT_EVENT = (
    "UPDATE assess_attempt SET event_count = event_count + 1,"
    " last_seq = CASE WHEN last_seq < %s THEN %s ELSE last_seq END WHERE id = %s"
)


# What the answer path reads of the attempt's sections, besides its status and deadline.
_SECTION_READ = ("section", "section_deadline", "break_until", "item_reached", "time_scale", "large_text")


def _db_value(model, field: str, value):
    return model._meta.get_field(field).get_db_prep_save(value, connection)


def _record(*, attempt_id: int, token: uuid.UUID, seq: int, position: int, kind: str, value) -> Ack:
    """Lock the attempt, check, append the event, upsert the latest answer: one transaction.

    An answer arrives in the ids its form shows and is checked against its item's rules
    (``FormSlot.accept``); it is stored, compared with a replay and scored in the item
    version's own ids.
    """
    now = timezone.now()
    attempt = (
        Attempt.objects.select_for_update()
        .only(
            "status",
            "deadline",
            "connection_token",
            "form_id",
            "sitting_id",
            "room_id",
            "last_seq",
            "event_count",
            "checked_items",
            *_SECTION_READ,
        )
        .get(pk=attempt_id)
    )
    _check_token(attempt, token)
    if sections.catch_up(attempt, now):  # a section or break that ended meanwhile ends first
        attempt.save(update_fields=[*sections.FIELDS, "updated_at"])
    slot = selectors.form_index(attempt.form_id).get(position)
    refusal: errors.DeliveryError | None = None
    if slot is None:
        refusal = errors.UnknownItem(_("There is no item %(item)d on this form.") % {"item": position}, seq)
    elif kind == AnswerEvent.Kind.ANSWER and position in attempt.checked_items:
        refusal = errors.ItemChecked(
            _("Item %(item)d was checked: its answer no longer changes.") % {"item": position}, seq
        )
    elif kind == AnswerEvent.Kind.ANSWER:
        try:
            value = slot.accept(value)
        except ValueError as exc:
            refusal = errors.InvalidValue(_("Item %(item)d: %(problem)s") % {"item": position, "problem": exc}, seq)
    try:
        _check_writable(attempt, now, seq)
        if slot is not None:
            sections.check_item(attempt, position, seq)
    except errors.DeliveryError:
        # Committed before the close (of the attempt, its section or the item in a linear
        # section): say so (a value that does not pass was never stored).
        if refusal is None and _replayed(attempt_id, seq, kind, position, value):
            return Ack(seq=seq, item=position, duplicate=True, remaining_ms=attempt.remaining_ms(now))
        raise
    if refusal is not None:
        raise refusal
    assert slot is not None  # refused above otherwise
    if attempt.event_count >= settings.ATTEMPT_HISTORY_MAX_EVENTS:
        # Full: nothing more is stored, but a change stored before is still acknowledged.
        if _replayed(attempt_id, seq, kind, position, value):
            return Ack(seq=seq, item=position, duplicate=True, remaining_ms=attempt.remaining_ms(now))
        raise errors.HistoryFull(
            _(
                "This attempt holds the most changes allowed (%(max)d): this one was not recorded. "
                "The answers recorded so far are kept; tell the proctor."
            )
            % {"max": settings.ATTEMPT_HISTORY_MAX_EVENTS},
            seq,
        )
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_EVENT,
            [
                attempt_id,
                seq,
                slot.form_item_id,
                kind,
                _db_value(AnswerEvent, "value", value),
                _db_value(AnswerEvent, "received_at", now),
                _db_value(AnswerEvent, "connection_token", token),
            ],
        )
        if cursor.rowcount == 0:  # this sequence number was written before
            if not _replayed(attempt_id, seq, kind, position, value):
                raise errors.SequenceReused(
                    _("Sequence %(seq)d was already used for another change.") % {"seq": seq}, seq
                )
            return Ack(seq=seq, item=position, duplicate=True, remaining_ms=attempt.remaining_ms(now))
        stamp = _db_value(Answer, "updated_at", now)
        if kind == AnswerEvent.Kind.ANSWER:
            cursor.execute(
                _UPSERT_VALUE, [attempt_id, slot.form_item_id, _db_value(Answer, "value", value), seq, stamp]
            )
        else:
            cursor.execute(_UPSERT_FLAG, [attempt_id, slot.form_item_id, bool(value), seq, stamp])
        changed = cursor.rowcount > 0  # not when a later change of the item is stored already
        cursor.execute(_COUNT_EVENT, [seq, seq, attempt_id])
    if changed:
        answer = kind == AnswerEvent.Kind.ANSWER
        events.publish(
            events.AnswerSaved(
                attempt=attempt_id,
                sitting=attempt.sitting_id,
                room=events.room_of(attempt),
                item=position,
                answered=(value is not None) if answer else None,
                flagged=None if answer else bool(value),
                at=events.stamp(now),
            )
        )
    return Ack(seq=seq, item=position, duplicate=False, remaining_ms=attempt.remaining_ms(now))


def _replayed(attempt_id: int, seq: int, kind: str, position: int, value) -> bool:
    """Whether ``seq`` holds exactly this change already (a replay, acknowledged again).

    ``value`` is in the version's ids, as stored.
    """
    stored = (
        AnswerEvent.objects.filter(attempt_id=attempt_id, seq=seq)
        .values_list("kind", "value", "form_item__position")
        .first()
    )
    return stored is not None and stored == (kind, value, position)


@transaction.atomic
def attempt_record_answer(*, attempt_id: int, token: uuid.UUID, seq: int, item: int, value: object) -> Ack:
    """Store one answer durably; the caller acknowledges only after this returns.

    A replayed ``seq`` is acknowledged again without a second write. The full history is
    kept in ``AnswerEvent``; ``Answer`` holds the change with the highest ``seq``.
    """
    return _record(
        attempt_id=attempt_id, token=token, seq=seq, position=item, kind=AnswerEvent.Kind.ANSWER, value=value
    )


@transaction.atomic
def attempt_check_item(*, attempt_id: int, token: uuid.UUID, item: int) -> dict:
    """Check one item (``_check_item``), in a transaction of its own."""
    return _check_item(attempt_id=attempt_id, token=token, item=item)


def _check_item(*, attempt_id: int, token: uuid.UUID, item: int) -> dict:
    """Feedback after each item: score one answered item now and fix its answer.

    Only where the sitting's policy says so (``Sitting.FeedbackTiming.AFTER_ITEM``); the reply
    shows what the policy's detail allows (``assess.dashboard.item_feedback``). Checking an
    item again answers the same.
    """
    now = timezone.now()
    attempt = _lock(attempt_id, with_sitting=True)
    _check_token(attempt, token)
    if sections.catch_up(attempt, now):
        attempt.save(update_fields=[*sections.FIELDS, "updated_at"])
    _check_writable(attempt, now, None)
    sections.check_item(attempt, item, None)
    sitting = attempt.sitting
    if sitting.feedback_timing != Sitting.FeedbackTiming.AFTER_ITEM:
        raise errors.CheckNotAllowed(_("This assessment shows no feedback before it is handed in."))
    slot = selectors.form_index(attempt.form_id).get(item)
    if slot is None:
        raise errors.UnknownItem(_("There is no item %(item)d on this form.") % {"item": item})
    answer = (
        Answer.objects.filter(attempt_id=attempt_id, form_item_id=slot.form_item_id)
        .values_list("value", flat=True)
        .first()
    )
    if answer is None:
        raise errors.CheckNotAllowed(_("Answer item %(item)d before checking it.") % {"item": item})
    if item not in attempt.checked_items:
        attempt.checked_items = sorted({*attempt.checked_items, item})
        attempt.save(update_fields=["checked_items", "updated_at"])
    return selectors.checked_feedback(attempt, [item])[item]


@transaction.atomic
def attempt_set_flag(*, attempt_id: int, token: uuid.UUID, seq: int, item: int, flagged: bool) -> Ack:
    """Mark or unmark an item for review, with the same guarantees as an answer."""
    return _record(
        attempt_id=attempt_id, token=token, seq=seq, position=item, kind=AnswerEvent.Kind.FLAG, value=flagged
    )


# --- submission -----------------------------------------------------------------------------


def _submit_locked(
    attempt: Attempt, *, by: User | None, reason: str, now: datetime, connection: uuid.UUID | None = None
) -> None:
    _move(attempt, statuses.SUBMITTED, by=by, reason=reason, now=now, connection=connection)
    attempt.submitted_at = now
    attempt.submit_reason = reason
    attempt.save(update_fields=["status", "submitted_at", "submit_reason", "updated_at"])
    attempt_id = attempt.pk
    transaction.on_commit(lambda: _score_later(attempt_id))


def _score_later(attempt_id: int) -> None:
    from .tasks import attempt_score_task  # tasks import services: import here to avoid a cycle

    attempt_score_task.delay(attempt_id)


@transaction.atomic
def attempt_submit(*, attempt_id: int, user: User, token: uuid.UUID) -> Attempt:
    """Hand in (``_submit``), in a transaction of its own."""
    return _submit(attempt_id=attempt_id, user=user, token=token)


def _submit(*, attempt_id: int, user: User, token: uuid.UUID) -> Attempt:
    """The student hands in. Submitting twice is a no-op; after the deadline the server has."""
    now = timezone.now()
    attempt = _lock(attempt_id)
    check_student_owns(attempt, user)
    _check_token(attempt, token)
    if attempt.status in statuses.FINISHED:
        return attempt
    if attempt.status in statuses.NOT_STARTED:
        raise errors.NotStarted(_("The attempt has not been started."))
    if _expire_if_due(attempt, now=now):
        return attempt
    _submit_locked(attempt, by=user, reason=Attempt.SubmitReason.STUDENT, now=now, connection=token)
    return attempt


def _expire_if_due(attempt: Attempt, *, now: datetime) -> bool:
    """Submit a running attempt whose deadline has passed; True if it did.

    Sections and breaks that ended by now end first (``sections.catch_up``), at their own
    instants: that may move the deadline (a break is not exam time).
    """
    if sections.catch_up(attempt, now):
        attempt.save(update_fields=[*sections.FIELDS, "updated_at"])
    if attempt.status == statuses.IN_PROGRESS and attempt.deadline and now >= attempt.deadline:
        _submit_locked(attempt, by=None, reason=Attempt.SubmitReason.DEADLINE, now=now)
        return True
    return False


@transaction.atomic
def attempt_expire(*, attempt_id: int) -> bool:
    """Submit the attempt if its deadline has passed (safe to call any time, any number)."""
    attempt = _lock(attempt_id)
    return _expire_if_due(attempt, now=timezone.now())


def attempts_submit_expired(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Submit every running attempt past its deadline; returns how many it submitted.

    Attempts whose section or break ended are moved on as well (``sections.catch_up``), so
    the next section's clock runs from its own start whoever is connected.
    """
    now = now or timezone.now()
    due = list(
        Attempt.objects.filter(status=statuses.IN_PROGRESS)
        .filter(Q(deadline__lte=now) | Q(section_deadline__lte=now) | Q(break_until__lte=now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for attempt_id in due if attempt_expire(attempt_id=attempt_id))


def attempts_score_stranded(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Queue again the scoring of submitted attempts still without a result
    ``SCORING_SWEEP_GRACE_SECONDS`` after their last change; returns how many.

    Their task was lost: a worker killed while scoring, a broker that did not answer when the
    attempt was handed in. :func:`attempt_score` is idempotent (the attempt's row is locked and
    a scored attempt is left as it is), so an attempt whose first task was only slow is still
    scored once.
    """
    now = now or timezone.now()
    left_since = now - timedelta(seconds=settings.SCORING_SWEEP_GRACE_SECONDS)
    stranded = list(
        Attempt.objects.filter(status=statuses.SUBMITTED, updated_at__lte=left_since)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    if stranded:
        logger.warning("%d submitted attempts without a result: scoring queued again", len(stranded))
    for attempt_id in stranded:
        _score_later(attempt_id)
    return len(stranded)


# --- the websocket's one entry ------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """What one client message produced: the messages for its connection, the events its
    commit produced (the caller sends them after the messages), and whether the connection
    lost the attempt to a newer one (it steps down)."""

    messages: tuple[protocol.Outgoing, ...]
    events: tuple[events.Event, ...] = ()
    step_down: bool = False


def attempt_message(
    *, attempt_id: int, user: User, token: uuid.UUID, message: protocol.Message, address: str | None = None
) -> Reply:
    """Handle one parsed client message of the candidate's connection, in one transaction.

    Its consequences are committed here, the expiry of a passed deadline included: an answer
    that arrives after time is up is refused and the attempt is handed in by the same
    transaction, and the reply says both. A refusal is an ``error`` message in the reply (a
    refused start from the wrong network or with a wrong code is also kept:
    ``proctoring.gate.refused``); ``PermissionDenied`` (not the student's attempt) is raised.
    ``address`` is the candidate's PC's (the rooms' network rule).
    """
    seq = getattr(message, "seq", None)
    with events.collect() as outbox:
        try:
            with transaction.atomic():
                messages = _handle(attempt_id, user, token, message, address)
        except errors.DeliveryError as exc:
            if isinstance(message, protocol.Start):
                from proctoring import gate

                if exc.code in gate.AUDITED:
                    gate.refused(error=exc, attempt_id=attempt_id, user_id=user.pk, address=address)
            error = protocol.Error(exc.code, exc.message, exc.seq if exc.seq is not None else seq)
            return Reply(messages=(error,), events=tuple(outbox), step_down=exc.close)
    if isinstance(message, protocol.Start | protocol.Sync | protocol.NextSection | protocol.EndBreak):
        # read after the commit, no lock held
        messages = (*messages, protocol.State(selectors.attempt_state(attempt_id)))
    return Reply(messages=messages, events=tuple(outbox))


def _handle(
    attempt_id: int, user: User, token: uuid.UUID, message: protocol.Message, address: str | None
) -> tuple[protocol.Outgoing, ...]:
    try:
        if isinstance(message, protocol.AnswerMessage):
            kind, value = AnswerEvent.Kind.ANSWER, message.value
        elif isinstance(message, protocol.FlagMessage):
            kind, value = AnswerEvent.Kind.FLAG, message.flagged
        elif isinstance(message, protocol.Start):
            _start(attempt_id=attempt_id, user=user, token=token, access_code=message.access_code, address=address)
            return ()
        elif isinstance(message, protocol.Check):
            return (protocol.Feedback(_check_item(attempt_id=attempt_id, token=token, item=message.item)),)
        elif isinstance(message, protocol.Submit):
            attempt = _submit(attempt_id=attempt_id, user=user, token=token)
            return (protocol.Submitted(attempt.submit_reason, attempt.status),)
        elif isinstance(message, protocol.Integrity):
            from proctoring import integrity

            attempt = _lock(attempt_id)
            _check_token(attempt, token)
            integrity.record_reported(attempt=attempt, kind=message.kind, duration_ms=message.duration_ms)
            return (protocol.Noted(message.kind),)
        elif isinstance(message, protocol.NextSection | protocol.EndBreak | protocol.NextItem):
            return _navigate(attempt_id=attempt_id, user=user, token=token, message=message)
        elif isinstance(message, protocol.Sync):  # a section or break that ended meanwhile ends
            _expire_if_due(_lock(attempt_id), now=timezone.now())
            return ()
        else:  # ping: nothing to write
            return ()
        ack = _record(
            attempt_id=attempt_id, token=token, seq=message.seq, position=message.item, kind=kind, value=value
        )
        return (ack,)
    except errors.DeadlinePassed as exc:
        # Nothing was written before the refusal: hand the attempt in within this transaction.
        attempt = _lock(attempt_id)
        _expire_if_due(attempt, now=timezone.now())
        error = protocol.Error(exc.code, exc.message, exc.seq)
        return (error, protocol.Submitted(attempt.submit_reason or Attempt.SubmitReason.DEADLINE, attempt.status))
    except (errors.SectionClosed, errors.ItemClosed, errors.ItemNotReached, errors.OnBreak) as exc:
        # Nothing of the change was written; a section that ended meanwhile did end (kept):
        # the reply says where the attempt is now.
        attempt = _lock(attempt_id)
        _expire_if_due(attempt, now=timezone.now())
        error = protocol.Error(exc.code, exc.message, exc.seq)
        return (error, _where(attempt))


def _where(attempt: Attempt) -> protocol.Outgoing:
    """Where an attempt is: handed in, or its progress through its sections."""
    if attempt.status in statuses.FINISHED:
        return protocol.Submitted(attempt.submit_reason or Attempt.SubmitReason.DEADLINE, attempt.status)
    return protocol.Progress(selectors.attempt_progress(attempt))


def _navigate(
    *, attempt_id: int, user: User, token: uuid.UUID, message: protocol.Message
) -> tuple[protocol.Outgoing, ...]:
    """The candidate moves on: to the next section, out of the break, to the next question of
    a linear section (``assess.sections``).

    The reply to ``next_item`` is the progress; to the others the whole state, sent after the
    commit (``attempt_message``): the items of the section now open come with it.
    """
    now = timezone.now()
    attempt = _lock(attempt_id)
    check_student_owns(attempt, user)
    _check_token(attempt, token)
    if _expire_if_due(attempt, now=now):
        return (_where(attempt),)
    _check_writable(attempt, now, None)
    if isinstance(message, protocol.NextSection):
        sections.next_section(attempt, now)
    elif isinstance(message, protocol.EndBreak):
        sections.end_break_now(attempt, now)
    else:
        sections.next_item(attempt)
    attempt.save(update_fields=[*sections.FIELDS, "updated_at"])
    return (_where(attempt),) if isinstance(message, protocol.NextItem) else ()


def attempt_time_up(*, attempt_id: int) -> Reply:
    """The connection's clock reached the deadline, or the end of a section or a break: hand
    the attempt in if it is still due, move it on to its next section or break if that is.

    The reply is ``submitted`` when the attempt is handed in (now or before), else the state
    (the deadline moved, the attempt was paused meanwhile, or it is in its next section).
    """
    with events.collect() as outbox:
        with transaction.atomic():
            attempt = _lock(attempt_id)
            _expire_if_due(attempt, now=timezone.now())
    if attempt.status in statuses.FINISHED:
        reply: protocol.Outgoing = protocol.Submitted(
            attempt.submit_reason or Attempt.SubmitReason.DEADLINE, attempt.status
        )
    else:
        reply = protocol.State(selectors.attempt_state(attempt_id))
    return Reply(messages=(reply,), events=tuple(outbox))


# --- scoring and records ----------------------------------------------------------------------


@transaction.atomic
def attempt_score(*, attempt_id: int) -> Result | None:
    """Score a submitted attempt and write its result into the student's record.

    Running it again changes nothing: a scored attempt keeps its result and record entry.
    """
    attempt = _lock(attempt_id, with_sitting=True)
    if attempt.status in (statuses.SCORED, statuses.PUBLISHED):
        return attempt.result
    if attempt.status != statuses.SUBMITTED:
        logger.info("attempt %s is %s, not submitted: not scored", attempt_id, attempt.status)
        return None
    # In the master form's order, whichever test code the attempt had: every code's scores
    # line up with the form's items (item analysis, calibration).
    form_items, answers, marks = _inputs(attempt)
    computed = compute_result(form_items, answers, marks, step=attempt.sitting.assessment.score_step)
    pending = computed.pending_items
    result = Result.objects.create(attempt=attempt, **computed.fields())
    _move(attempt, statuses.SCORED, by=None, reason="scored")
    if not pending and sittings.results_visible(attempt.sitting):  # released, or a policy that shows it now
        _move(attempt, statuses.PUBLISHED, by=None, reason="feedback policy")
    attempt.save(update_fields=["status", "updated_at"])
    if not pending:
        write_record_entry(attempt)
    return result


def _inputs(attempt: Attempt) -> tuple[list[FormItem], dict[int, object], dict[int, Decimal]]:
    """An attempt's form items in the master form's order, its answers and its marks."""
    form_items = sorted(
        FormItem.objects.filter(form_id=attempt.form_id).select_related("item_version__item"),
        key=lambda fi: fi.master_position or fi.position,
    )
    answers = {a.form_item_id: a.value for a in Answer.objects.filter(attempt_id=attempt.pk)}
    marks = {m.form_item_id: m.points for m in ItemMark.objects.filter(attempt_id=attempt.pk)}
    return form_items, answers, marks


def attempt_rescore(attempt: Attempt) -> Result:
    """Work an attempt's result out again (its row locked by the caller) from its answers, the
    marks given since and the items as moderated; the record entry follows a final result.

    The last mark awaited makes the result final: it is published if the sitting's results
    show already, and it enters the record.
    """
    result: Result = Result.objects.select_for_update().get(attempt_id=attempt.pk)
    was_pending = result.pending_items
    form_items, answers, marks = _inputs(attempt)
    computed = compute_result(form_items, answers, marks, step=attempt.sitting.assessment.score_step)
    for name, value in computed.fields().items():
        setattr(result, name, value)
    result.computed_at = timezone.now()
    result.save()
    if computed.pending_items:
        return result
    if was_pending and attempt.status == statuses.SCORED and sittings.results_visible(attempt.sitting):
        _move(attempt, statuses.PUBLISHED, by=None, reason="marked")
        attempt.save(update_fields=["status", "updated_at"])
    write_record_entry(attempt)
    return result


@transaction.atomic
def attempt_mark_response(*, attempt_id: int, form_item_id: int, points: Decimal, detail: dict) -> Result:
    """Write a person's final mark of one response of a scored attempt and rescore it
    (the marking workflow's last step; who may mark is ``results.marking``'s rule)."""
    attempt = _lock(attempt_id, with_sitting=True)
    if attempt.status not in (statuses.SCORED, statuses.PUBLISHED):
        raise ValidationError({"attempt": [_("Only a scored attempt is marked.")]})
    form_item = FormItem.objects.filter(pk=form_item_id, form_id=attempt.form_id).first()
    if form_item is None:
        raise ValidationError({"item": [_("The attempt's form has no such item.")]})
    if not Decimal(0) <= points <= form_item.points:
        raise ValidationError(
            {"points": [_("A mark is 0 to %(max)s points.") % {"max": format(form_item.points.normalize(), "f")}]}
        )
    ItemMark.objects.update_or_create(
        attempt=attempt, form_item=form_item, defaults={"points": points, "detail": detail, "marked_at": timezone.now()}
    )
    return attempt_rescore(attempt)


def write_record_entry(attempt: Attempt) -> None:
    """Write (or correct) the student's one record entry for the sitting (none for practice).

    With several attempts (an assignment), the entry holds the score that counts by the
    sitting's rule (best, last or mean) and points at the attempt it came from (the last
    one for a mean). Only results with nothing awaiting a marker count. The record holds one
    decimal (``scoring.grades.record_score``): a score counted in quarters is rounded half up.
    """
    sitting: Sitting = attempt.sitting
    if sitting.practice:
        return
    assessment: Assessment = sitting.assessment
    scored = list(
        Result.objects.filter(
            attempt__sitting=sitting,
            attempt__student_id=attempt.student_id,
            attempt__status__in=(statuses.SCORED, statuses.PUBLISHED),
            pending_items=0,
        )
        .order_by("attempt__number")
        .values_list("attempt_id", "score_10")
    )
    counted = sittings.counted_score([score for _a, score in scored], sitting.counting)
    if counted is None:
        return
    score = grades.record_score(counted)
    source = next((a for a, s in reversed(scored) if s == counted), scored[-1][0])
    existing = RecordEntry.objects.filter(attempt__sitting=sitting, attempt__student_id=attempt.student_id).first()
    if existing is not None:
        existing.attempt_id, existing.score = source, score
        existing.save(update_fields=["attempt", "score"])
        return
    RecordEntry.objects.create(
        attempt_id=source,
        student_id=attempt.student_id,
        subject_id=assessment.subject_id,
        school_year=assessment.school_year,
        term=assessment.term,
        entry_type=assessment.record_entry_type,
        score=score,
        organisation_id=sitting.organisation_id,
    )


def item_score(form_item: FormItem, answer: object, mark: Decimal | None = None) -> Score:
    """The item's score by its own rule (or all or nothing where its part says so), under
    its key as moderated: the re-keyed fields in place of the version's, and the best credit
    under any further accepted key. A person's ``mark`` (an essay marked) is the score."""
    if mark is not None:
        fraction = mark / form_item.points if form_item.points else Decimal(0)
        return Score(mark, form_item.points, fraction, {"status": "marked"})
    version = form_item.item_version
    key = {**version.scoring_key(), **(form_item.key_override or {})}
    item_type = version.item.item_type
    best = score_response(item_type, answer, key, form_item.points)
    for accepted in form_item.accepted_keys:
        other = score_response(item_type, answer, {**key, **accepted}, form_item.points)
        if not best.pending and other.points is not None and other.points > (best.points or 0):
            best = other
    return all_or_nothing(best) if form_item.all_or_nothing else best


def counts(form_item: FormItem) -> bool:
    """Whether the item counts in scores: neither a trial item nor dropped by moderation."""
    return not (form_item.trial or form_item.dropped)


@dataclass(frozen=True)
class Computed:
    """An attempt's result as :func:`compute_result` works it out (``Result``'s fields)."""

    raw_score: Decimal
    max_score: Decimal
    number_correct: int
    item_count: int
    score_10: Decimal
    pending_items: int
    item_scores: list[float | None]
    theta: float | None
    theta_se: float | None

    def fields(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def compute_result(
    form_items: list[FormItem], answers: dict[int, object], marks: dict[int, Decimal], *, step: str
) -> Computed:
    """The one rule from responses to a result, for a single attempt and for a whole sitting.

    ``form_items`` in the master form's order (with their versions and items loaded),
    ``answers`` and ``marks`` by form item id. Every item is scored (``item_scores``, None
    for a response awaiting a person), trial and dropped items too: item analysis and
    calibration read them; only the counted items make the raw score, the maximum, the
    number correct and the 10-point score in ``step``. A response a person must mark counts 0
    until marked, and ``pending_items`` says how many wait.

    One attempt is a sitting of one: :class:`FormRule` does the work for both, so an attempt
    scored alone and the same attempt scored in a chunk of thousands get the same result,
    to the last bit of its ability estimate.
    """
    return FormRule(form_items, step=step).score_values([(0, answers, marks)])[0]


def score_attempts(
    form_items: list[FormItem],
    rows: Iterable[tuple[Hashable, Mapping[int, object], Mapping[int, Decimal]]],
    *,
    step: str,
) -> dict[Hashable, Computed]:
    """The results of many attempts of one form, from inputs in memory; nothing is read or written.

    ``rows``: ``(key, answers, marks)`` per attempt, answers and marks by form item id as
    :func:`compute_result` takes them; the answer is ``{key: Computed}``. The form items may be
    unsaved, modified copies (a re-key being considered): moderation previews every
    candidate's score under a change before making it.
    """
    return FormRule(form_items, step=step).score_values(rows)


# An item's outcome for one response, as the scores need it: points (None while a person must
# mark it), full credit, unanswered, and the item_scores entry.
_Outcome = tuple[Decimal | None, bool, bool, float | None]
_MISSING = object()


class FormRule:
    """One form's items made ready to score many attempts by :func:`item_score`'s rule.

    Most responses repeat (a choice item has four options and a blank), so each distinct
    (item, response) is scored once and remembered: keyed by the response's JSON text, as
    the database hands it over or as ``json.dumps`` writes a value in memory (two texts of
    one value are two keys of the same outcome). A person's mark is never remembered. The
    10-point score is remembered per raw score.

    Ability: the calibrated counted items form one matrix, a row per attempt (NaN for a
    response awaiting a marker), estimated row by row (``chunk_size=1``): a BLAS product over
    a block would round a row's sums differently with other rows beside it, and an attempt
    must get the same θ whether it is scored alone or with its sitting. Identical rows are
    estimated once.
    """

    def __init__(self, form_items: Sequence[FormItem], *, step: str) -> None:
        self.form_items = list(form_items)
        self.ids = [fi.pk for fi in self.form_items]
        self.step = step
        self.counted = [counts(fi) for fi in self.form_items]
        self.maximum = sum((fi.points for fi, c in zip(self.form_items, self.counted, strict=True) if c), Decimal("0"))
        self.item_count = sum(self.counted)
        self.calibrated = [
            j for j, fi in enumerate(self.form_items) if self.counted[j] and fi.item_version.irt_a is not None
        ]
        self._memo: list[dict[object, _Outcome]] = [{} for _ in self.form_items]
        self._scores_10: dict[Decimal, Decimal] = {}

    def outcome(self, j: int, answer: object, mark: Decimal | None = None) -> _Outcome:
        """Item ``j``'s outcome for a response given as a value (and a person's mark, if any)."""
        if mark is not None:
            return self._outcome(j, None, mark)  # the mark is the score, whatever the response
        try:
            key: object = json.dumps(answer)
        except (TypeError, ValueError):  # not JSON: not from the database; scored, not remembered
            return self._outcome(j, answer, None)
        return self.outcome_of_text(j, key, answer)

    def outcome_of_text(self, j: int, text: object, value: object = _MISSING) -> _Outcome:
        """Item ``j``'s outcome for a response given as its JSON text (None: no response)."""
        memo = self._memo[j]
        found = memo.get(text)
        if found is None:
            if value is _MISSING:
                value = None if text is None else json.loads(text)  # type: ignore[arg-type]
            found = memo[text] = self._outcome(j, value, None)
        return found

    def _outcome(self, j: int, answer: object, mark: Decimal | None) -> _Outcome:
        score = item_score(self.form_items[j], answer, mark)
        if score.pending:  # awaiting a person; a blank still counts as omitted for the item analysis
            return (None, False, mark is None and answer in (None, ""), None)
        unanswered = score.detail.get("status") == "unanswered"
        return (score.points, score.fraction == 1, unanswered, float(score.points))

    def score_10(self, raw: Decimal) -> Decimal:
        found = self._scores_10.get(raw)
        if found is None:
            maximum = self.maximum
            found = (
                Decimal(str(scoring.scale_to_ten(float(raw), float(maximum), step=self.step)))
                if maximum
                else Decimal(0)
            )
            self._scores_10[raw] = found
        return found

    def score_values(
        self, rows: Iterable[tuple[Hashable, Mapping[int, object], Mapping[int, Decimal]]]
    ) -> dict[Hashable, Computed]:
        """Results of attempts whose answers are values (``score_attempts``)."""
        outcomes: list[tuple[Hashable, list[_Outcome]]] = []
        for key, answers, marks in rows:
            outcomes.append((key, [self.outcome(j, answers.get(pk), marks.get(pk)) for j, pk in enumerate(self.ids)]))
        return self.results(outcomes)

    def score_texts(
        self, rows: Iterable[tuple[Hashable, Mapping[int, str | None], Mapping[int, Decimal]]]
    ) -> dict[Hashable, Computed]:
        """Results of attempts whose answers are JSON texts, as the database returns them."""
        return self.results([(key, self.row_of_texts(answers, marks)) for key, answers, marks in rows])

    def row_of_texts(self, answers: Mapping[int, str | None], marks: Mapping[int, Decimal]) -> list[_Outcome]:
        """One attempt's outcomes, item by item, from its answers' JSON texts and its marks.

        An outcome is ``(points or None while a person must mark it, full credit, unanswered,
        the item_scores entry)``: what :meth:`results` adds up, and what the item analysis reads.
        """
        outcome_of_text = self.outcome_of_text
        if marks:
            # A person's mark is the score, whatever the response (``item_score``).
            return [
                self._outcome(j, None, marks[pk]) if pk in marks else outcome_of_text(j, answers.get(pk))
                for j, pk in enumerate(self.ids)
            ]
        # The remembered outcome straight from each item's memo (the hot loop of a sitting's
        # scoring: 40 lookups an attempt); a text not seen yet is scored once.
        return [
            memo.get(text) or outcome_of_text(j, text)
            for j, memo, text in zip(range(len(self.ids)), self._memo, map(answers.get, self.ids), strict=True)
        ]

    def results(self, outcomes: list[tuple[Hashable, list[_Outcome]]]) -> dict[Hashable, Computed]:
        """Each attempt's result from its items' outcomes (in the form's order)."""
        counted = self.counted
        zero = Decimal("0")
        thetas = self._abilities([row for _key, row in outcomes])
        computed: dict[Hashable, Computed] = {}
        for index, (key, row) in enumerate(outcomes):
            raw = zero
            correct = pending = 0
            for (points, full, _unanswered, _value), count in zip(row, counted, strict=True):
                if not count:
                    continue
                if points is None:
                    pending += 1
                else:
                    raw += points
                    correct += full
            theta, theta_se = thetas[index]
            computed[key] = Computed(
                raw_score=raw,
                max_score=self.maximum,
                number_correct=correct,
                item_count=self.item_count,
                score_10=self.score_10(raw),
                pending_items=pending,
                item_scores=[outcome[3] for outcome in row],
                theta=theta,
                theta_se=theta_se,
            )
        return computed

    def _abilities(self, rows: list[list[_Outcome]]) -> list[tuple[float | None, float | None]]:
        """EAP ability and its standard error of each row over the calibrated counted items.

        The calibrated models are dichotomous: full credit is a correct response, anything
        else (partial credit included) is not; pending items are left out (NaN). A row with
        no calibrated response left has none.
        """
        if not self.calibrated or not rows:
            return [(None, None)] * len(rows)
        columns = self.calibrated
        matrix = np.array(
            [[np.nan if row[j][0] is None else (1.0 if row[j][1] else 0.0) for j in columns] for row in rows]
        )
        versions = [self.form_items[j].item_version for j in columns]
        items = scoring.ItemParams(
            a=np.array([v.irt_a for v in versions]),
            b=np.array([v.irt_b for v in versions]),
            c=np.array([v.irt_c or 0.0 for v in versions]),
        )
        codes = np.where(np.isnan(matrix), 2, matrix).astype(np.int8)
        unique, first, inverse = np.unique(codes, axis=0, return_index=True, return_inverse=True)
        ability = scoring.estimate_ability(matrix[first], items, "eap", chunk_size=1)
        answered = (unique != 2).any(axis=1)
        per_pattern = [
            (float(t), float(s)) if seen else (None, None)
            for t, s, seen in zip(ability.theta, ability.se, answered, strict=True)
        ]
        return [per_pattern[i] for i in np.asarray(inverse).reshape(-1)]
