"""Integrity events of an attempt, and the sitting's thresholds that turn them into incidents.

Two sources, never mixed:

- the exam page reports what only it can see (the ``integrity`` message of the exam websocket,
  ``assess.protocol.Integrity``): the page left and for how long (``focus_loss``), full screen
  left, copy, paste, the context menu. Taken as told, counted only while the attempt is under
  way (``in_progress``), and only from the connection that owns the attempt;
- the server sees the rest on each connection (``on_connect``), never taken from the client:
  ``second_session`` (the attempt taken over from a connection that is still open, by another
  login session or from another address: not a reload, not a second tab of the same browser)
  and ``ip_change`` (an address other than that of the attempt's previous connection).

A flood cannot fill the database: every event adds to one row per attempt (``AttemptIntegrity``:
counts per kind, the time away in all), and only the first ``MAX_ROWS_PER_KIND`` events of a
kind are kept as rows (``IntegrityEvent``); the websocket's rate limit bounds the rest.

Thresholds (``IntegrityPolicy``, per sitting, set by its board; defaults without a row): when
a count reaches its threshold an integrity incident is raised (``incidents``), once per
threshold and attempt; 0 turns a threshold off. Every change of the counts is announced to the
consoles (``events.IntegrityNoted``) on commit.

The caller holds the attempt's row lock (``assess.services``): one attempt's events are counted
one at a time.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from assess import events, presence, statuses
from assess.models import Attempt, Sitting
from assess.sittings import require_runner

from . import incidents
from .models import AttemptIntegrity, IntegrityEvent, IntegrityPolicy

MAX_ROWS_PER_KIND = 20
Kind = IntegrityEvent.Kind


@dataclass(frozen=True)
class Threshold:
    """One threshold of the policy: its field, what it measures, its largest value, its words."""

    field: str
    measure: Callable[[AttemptIntegrity], int]
    maximum: int
    text: Any  # a lazy template with %(count)s and %(limit)s


def _count(*kinds: str) -> Callable[[AttemptIntegrity], int]:
    return lambda state: sum(int(state.counts.get(kind, 0)) for kind in kinds)


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold(
        "focus_loss_times",
        _count(Kind.FOCUS_LOSS),
        1000,
        gettext_lazy("Left the exam page %(count)s× (limit %(limit)s)"),
    ),
    Threshold(
        "focus_loss_seconds",
        lambda state: state.focus_ms // 1000,
        36_000,
        gettext_lazy("Away from the exam page %(count)s s in all (limit %(limit)s s)"),
    ),
    Threshold(
        "fullscreen_exit_times",
        _count(Kind.FULLSCREEN_EXIT),
        1000,
        gettext_lazy("Left full screen %(count)s× (limit %(limit)s)"),
    ),
    Threshold(
        "copy_paste_times",
        _count(Kind.COPY, Kind.PASTE),
        1000,
        gettext_lazy("Copied or pasted %(count)s× (limit %(limit)s)"),
    ),
    Threshold(
        "context_menu_times",
        _count(Kind.CONTEXT_MENU),
        1000,
        gettext_lazy("Opened the context menu %(count)s× (limit %(limit)s)"),
    ),
    Threshold(
        "second_session_times",
        _count(Kind.SECOND_SESSION),
        1000,
        gettext_lazy("Opened the exam in a second session %(count)s× (limit %(limit)s)"),
    ),
    Threshold(
        "ip_change_times",
        _count(Kind.IP_CHANGE),
        1000,
        gettext_lazy("Connected from another address %(count)s× (limit %(limit)s)"),
    ),
)
BY_FIELD = {threshold.field: threshold for threshold in THRESHOLDS}


def threshold_text(detail: Mapping[str, Any]) -> str:
    """An integrity alert in words, from its ``detail`` (threshold, count, limit)."""
    threshold = BY_FIELD.get(str(detail.get("threshold")))
    if threshold is None:
        return _("Integrity alert")
    return str(threshold.text) % {"count": detail.get("count", "?"), "limit": detail.get("limit", "?")}


# --- the sitting's policy --------------------------------------------------------------------------


def policy_of(sitting_id: int) -> IntegrityPolicy:
    """The sitting's thresholds (the defaults, unsaved, if its board set none)."""
    return IntegrityPolicy.objects.filter(sitting_id=sitting_id).first() or IntegrityPolicy(sitting_id=sitting_id)


def policy_values(policy: IntegrityPolicy) -> dict[str, int]:
    return {threshold.field: int(getattr(policy, threshold.field)) for threshold in THRESHOLDS}


@transaction.atomic
def policy_save(*, by: User, sitting_id: int, values: Mapping[str, int]) -> IntegrityPolicy:
    """Set some or all of a sitting's thresholds (its board); the others keep their values."""
    sitting = Sitting.objects.get(pk=sitting_id)
    require_runner(by, sitting)
    errors = {}
    for field, value in values.items():
        threshold = BY_FIELD.get(field)
        if threshold is None:
            errors[field] = [_("There is no such threshold.")]
        elif type(value) is not int or not 0 <= value <= threshold.maximum:
            errors[field] = [_("Give a whole number from 0 (off) to %(max)d.") % {"max": threshold.maximum}]
    if errors:
        raise ValidationError(errors)
    policy = IntegrityPolicy.objects.select_for_update().filter(sitting_id=sitting_id).first()
    policy = policy or IntegrityPolicy(sitting_id=sitting_id)
    for field, value in values.items():
        setattr(policy, field, value)
    policy.updated_by, policy.updated_at = by, timezone.now()
    policy.save()
    return policy


# --- counting --------------------------------------------------------------------------------------


def _state(attempt_id: int) -> AttemptIntegrity:
    state, _created = AttemptIntegrity.objects.get_or_create(attempt_id=attempt_id)
    return state


def _note(state: AttemptIntegrity, kind: str, *, duration_ms: int | None = None, **row: Any) -> None:
    """Count one event; keep it as a row while the kind has fewer than the cap."""
    counts = dict(state.counts)
    counts[kind] = int(counts.get(kind, 0)) + 1
    state.counts = counts
    if kind == Kind.FOCUS_LOSS and duration_ms:
        state.focus_ms += duration_ms
    if counts[kind] <= MAX_ROWS_PER_KIND:
        IntegrityEvent.objects.create(attempt_id=state.attempt_id, kind=kind, duration_ms=duration_ms, **row)


def _settle(attempt: Attempt, state: AttemptIntegrity) -> None:
    """Raise an incident for each threshold newly reached, save the counts, tell the consoles."""
    policy = policy_of(attempt.sitting_id)
    raised = list(state.raised)
    for threshold in THRESHOLDS:
        limit = int(getattr(policy, threshold.field))
        value = threshold.measure(state)
        if limit and value >= limit and threshold.field not in raised:
            raised.append(threshold.field)
            incidents.incident_raise_integrity(
                attempt=attempt, detail={"threshold": threshold.field, "count": value, "limit": limit}
            )
    state.raised = raised
    state.save()
    counts, focus_ms = dict(state.counts), state.focus_ms
    events.publish(
        events.IntegrityNoted(
            attempt=attempt.pk, sitting=attempt.sitting_id, room=attempt.room_id, counts=counts, focus_ms=focus_ms
        )
    )


def record_reported(*, attempt: Attempt, kind: str, duration_ms: int | None = None) -> bool:
    """What the exam page of ``attempt`` (locked, its connection checked) reported; counted only
    while the attempt is under way. Whether it was counted."""
    if attempt.status != statuses.IN_PROGRESS or kind not in REPORTED:
        return False
    state = _state(attempt.pk)
    _note(state, kind, duration_ms=duration_ms if kind == Kind.FOCUS_LOSS else None)
    _settle(attempt, state)
    return True


REPORTED = frozenset({Kind.FOCUS_LOSS, Kind.FULLSCREEN_EXIT, Kind.COPY, Kind.PASTE, Kind.CONTEXT_MENU})


def _ip(address: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((address or "").split("%")[0]))
    except ValueError:
        return None


def session_digest(session_key: str | None) -> str:
    """A login session as kept here: a digest, never the key itself (it would log one in)."""
    return hashlib.sha256(session_key.encode()).hexdigest()[:32] if session_key else ""


def on_connect(*, attempt: Attempt, previous_token: str | None, address: str | None, session_key: str | None) -> None:
    """A new connection took ``attempt`` (locked) over from ``previous_token``'s: note a second
    session or a new address if the attempt is under way; keep the address and session."""
    ip, session = _ip(address), session_digest(session_key)
    if attempt.status not in statuses.OPEN and ip and session:
        # Not under way (the morning's connect storm, before the start): nothing to compare,
        # only the address and session kept, in one statement.
        AttemptIntegrity.objects.bulk_create(
            [AttemptIntegrity(attempt_id=attempt.pk, last_address=ip, last_session=session)],
            update_conflicts=True,
            unique_fields=["attempt"],
            update_fields=["last_address", "last_session", "updated_at"],
        )
        return
    state = _state(attempt.pk)
    noted = False
    if attempt.status in statuses.OPEN:
        known = presence.of([attempt.pk]).get(attempt.pk)
        live = bool(previous_token and known and known.get("connected") and known.get("token") == previous_token)
        other_session = bool(session and state.last_session and session != state.last_session)
        other_address = bool(ip and state.last_address and ip != state.last_address)
        if live and (other_session or other_address):
            _note(state, Kind.SECOND_SESSION, address=ip, detail={"previous_address": state.last_address})
            noted = True
        if other_address:
            _note(state, Kind.IP_CHANGE, address=ip, detail={"from": state.last_address, "to": ip})
            noted = True
    moved = (ip and ip != state.last_address) or (session and session != state.last_session)
    state.last_address = ip or state.last_address
    state.last_session = session or state.last_session
    if noted:
        _settle(attempt, state)
    elif moved:
        state.save(update_fields=["last_address", "last_session", "updated_at"])


def counts_of(attempt_ids: list[int]) -> dict[int, dict[str, Any]]:
    """What the integrity events of each attempt add up to, for those that have any (one query)."""
    rows = AttemptIntegrity.objects.filter(attempt_id__in=attempt_ids).values_list("attempt_id", "counts", "focus_ms")
    return {pk: {"counts": dict(counts), "focus_ms": focus_ms} for pk, counts, focus_ms in rows if counts}
