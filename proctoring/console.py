"""The proctor's and the board's live view of a sitting: a snapshot, and the events that follow.

A console opens with ``snapshot`` (the database read once, connections from the presence
store) and from then on applies each event it hears (``apply``; the console's script applies
the same rules). The rule the tests hold it to, after Zulip's: the snapshot taken before any
sequence of actions, with the events those actions published applied in order, equals a
fresh snapshot taken after them (``tests/proctoring/test_console_events.py``). A console that
lost its connection takes a fresh snapshot: there is nothing else to catch up on.

One row per attempt, keyed by the attempt's id (a string, as in JSON):

- ``status``: the attempt's status as the day follows it (``assess.statuses.live``);
- ``deadline`` (running), ``paused_remaining_ms`` (held while paused), ``submit_reason``;
- ``answered`` and ``flagged``: the items' positions, sorted; ``items``: how many the form has;
- ``last_answer_at``: when an answer or flag last changed;
- ``connection``: the candidate's connection as last known, or None (``assess.presence``);
- ``room`` and ``seat`` (its label, row and column): where the candidate sits, or None.

- ``integrity``: what the candidate's integrity events add up to (``counts`` per kind,
  ``focus_ms`` away from the page), or None before the first (``proctoring.integrity``);
- ``incidents``: the candidate's open incidents, ``open`` (how many) and ``kinds`` (the latest
  three kinds, newest first), worked out from the view's ``incidents``.

And one row per room of the view (``rooms``): its name, when it was opened and whether
together; and every incident of the view's room or sitting (``incidents``, by id, as
``proctoring.incidents.incident_view`` shows one: a candidate's or the whole room's).

A room's console drops a candidate moved to another room; one moved in makes it read the room
again (``stale``: the row's person is not in the event), as a room new to the sitting makes the
sitting's console read the sitting again.
"""

from __future__ import annotations

import bisect
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Q

from assess import events, presence
from assess.models import Answer, Attempt, FormItem

from .incidents import incident_view, incidents_of
from .models import AttemptIntegrity, SittingRoom


def snapshot(*, sitting_id: int, room_id: int | None = None) -> dict[str, Any]:
    """The console of the sitting (the board's) or of one of its rooms (``room_id``, a
    ``SittingRoom``: its proctors'), as the database and the presence store hold it now."""
    placed = {"room_id": room_id} if room_id is not None else {}
    attempts = list(
        Attempt.objects.filter(sitting_id=sitting_id, **placed)
        .select_related("student", "seat")
        .only(
            "status",
            "deadline",
            "paused_remaining",
            "submit_reason",
            "form_id",
            "sitting_id",
            "room_id",
            "seat__row",
            "seat__column",
            "seat__spare",
            "student__username",
            "student__first_name",
            "student__last_name",
            "student__learner_id",
        )
        .order_by("student__username", "number")
    )
    forms = {attempt.form_id for attempt in attempts}
    items = dict(FormItem.objects.filter(form_id__in=forms).values_list("form_id").annotate(n=Count("pk")).order_by())
    answers = (
        Answer.objects.filter(attempt__sitting_id=sitting_id, **{f"attempt__{k}": v for k, v in placed.items()})
        .annotate(answered=ExpressionWrapper(Q(value__isnull=False), output_field=BooleanField()))
        .values_list("attempt_id", "form_item__position", "answered", "flagged")
        .order_by("attempt_id", "form_item__position")
    )
    last = dict(
        Answer.objects.filter(attempt__sitting_id=sitting_id, **{f"attempt__{k}": v for k, v in placed.items()})
        .values_list("attempt_id")
        .annotate(at=Max("updated_at"))
        .order_by()
    )
    connections = presence.of([attempt.pk for attempt in attempts])
    integrity = {
        pk: {"counts": dict(counts), "focus_ms": focus_ms}
        for pk, counts, focus_ms in AttemptIntegrity.objects.filter(
            attempt__sitting_id=sitting_id, **{f"attempt__{k}": v for k, v in placed.items()}
        ).values_list("attempt_id", "counts", "focus_ms")
        if counts
    }
    incidents = {
        str(incident.pk): incident_view(incident) for incident in incidents_of(sitting_id=sitting_id, room_id=room_id)
    }
    rows: dict[str, dict[str, Any]] = {}
    for attempt in attempts:
        status = events.status_of(attempt)
        rows[str(attempt.pk)] = {
            "attempt": attempt.pk,
            "student": {
                "username": attempt.student.username,
                "name": attempt.student.get_full_name() or attempt.student.username,
                "learner_id": attempt.student.learner_id,
            },
            "room": attempt.room_id,
            "seat": _seat(attempt.seat.label, attempt.seat.row, attempt.seat.column) if attempt.seat else None,
            "status": status.status,
            "deadline": status.deadline,
            "paused_remaining_ms": status.paused_remaining_ms,
            "submit_reason": status.submit_reason,
            "items": items.get(attempt.form_id, 0),
            "answered": [],
            "flagged": [],
            "last_answer_at": events.stamp(last[attempt.pk]) if attempt.pk in last else None,
            "connection": connections.get(attempt.pk),
            "integrity": integrity.get(attempt.pk),
            "incidents": _open_incidents(incidents, attempt.pk),
        }
    for attempt_id, position, answered, flagged in answers:
        row = rows[str(attempt_id)]
        if answered:
            row["answered"].append(position)
        if flagged:
            row["flagged"].append(position)
    rooms = SittingRoom.objects.filter(sitting_id=sitting_id, **({"pk": room_id} if room_id is not None else {}))
    return {
        "sitting": sitting_id,
        "room": room_id,
        "rooms": {
            str(room.pk): {
                "name": room.room.name,
                "opened_at": events.stamp(room.opened_at) if room.opened_at else None,
                "together": room.together,
            }
            for room in rooms.select_related("room")
        },
        "attempts": rows,
        "incidents": incidents,
    }


def _seat(label: str | None, row: int | None, column: int | None) -> dict[str, Any] | None:
    return None if label is None else {"label": label, "row": row, "column": column}


def _open_incidents(incidents: dict[str, dict[str, Any]], attempt_id: int) -> dict[str, Any]:
    """A candidate's open incidents: how many, and their kinds, the latest first (three at most)."""
    mine = sorted(
        (i for i in incidents.values() if i["attempt"] == attempt_id and i["status"] == "open"),
        key=lambda i: (i["reported_at"], i["id"]),
        reverse=True,
    )
    kinds: list[str] = []
    for incident in mine:
        if incident["kind"] not in kinds:
            kinds.append(incident["kind"])
    return {"open": len(mine), "kinds": kinds[:3]}


def apply(view: dict[str, Any], event: events.Event) -> None:
    """Change ``view`` (a snapshot) as ``event`` says; events of attempts it lacks are ignored."""
    if isinstance(event, events.IncidentChanged):
        if view["room"] is not None and event.room != view["room"]:
            return
        incident = dict(event.incident)
        view["incidents"][str(incident["id"])] = incident
        row = view["attempts"].get(str(incident["attempt"]))
        if row is not None:
            row["incidents"] = _open_incidents(view["incidents"], incident["attempt"])
        return
    if isinstance(event, events.RoomOpened):
        room = view["rooms"].get(str(event.room))
        if room is not None:
            room.update(opened_at=event.opened_at, together=event.together)
        return
    assert isinstance(event, events.AttemptEvent)
    row = view["attempts"].get(str(event.attempt))
    if isinstance(event, events.Seated) and event.room is not None and str(event.room) not in view["rooms"]:
        if view["room"] is None:  # a room new to the sitting: read the sitting again
            view["stale"] = True
    if isinstance(event, events.Seated) and view["room"] is not None:
        if event.room != view["room"]:  # moved out of this room
            view["attempts"].pop(str(event.attempt), None)
            return
        if row is None:  # moved in: the console reads the room again (``stale``)
            view["stale"] = True
            return
    if row is None:
        return
    if isinstance(event, events.StatusChanged):
        row["status"] = event.status
        row["deadline"] = event.deadline
        row["paused_remaining_ms"] = event.paused_remaining_ms
        row["submit_reason"] = event.submit_reason
    elif isinstance(event, events.AnswerSaved):
        if event.answered is not None:
            _mark(row["answered"], event.item, event.answered)
        if event.flagged is not None:
            _mark(row["flagged"], event.item, event.flagged)
        row["last_answer_at"] = event.at
    elif isinstance(event, events.Seated):
        row["room"] = event.room
        row["seat"] = _seat(event.seat, event.row, event.column)
    elif isinstance(event, events.Presence):
        row["connection"] = presence.merged(row["connection"], event)
    elif isinstance(event, events.IntegrityNoted):
        row["integrity"] = {"counts": dict(event.counts), "focus_ms": event.focus_ms}


def _mark(positions: list[int], item: int, present: bool) -> None:
    """Add or remove ``item`` in a sorted list of positions."""
    at = bisect.bisect_left(positions, item)
    there = at < len(positions) and positions[at] == item
    if present and not there:
        positions.insert(at, item)
    elif not present and there:
        del positions[at]
