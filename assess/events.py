"""The typed events of exam delivery, and the groups that hear them.

A service that changes an attempt says what changed with one of these events and
``publish``-es it; the event leaves on commit (nothing is told of a write that was rolled
back) for the channel groups that follow it:

- ``attempt.<id>``: every live connection of the candidate (``AttemptConsumer``);
- ``sitting.<id>``: the board's console over the whole sitting;
- ``room.<id>``: the proctors' console of one room.

A console builds its view from a snapshot (``proctoring.console.snapshot``) and then applies
each event it hears (``proctoring.console.apply``, and the same rules in the console's
script): the snapshot plus the events that follow it equals a fresh snapshot, which
``tests/proctoring/test_console_events.py`` checks for every event below.

Inside ``collect()`` (the websocket's service entry) events are not sent but handed back to
the caller, who sends them from its own event loop after it has answered the candidate: the
answer's acknowledgement never waits on the console's fan-out.

On the wire (the channel layer) an event is ``{"type": "delivery.event", "event": {...}}``,
``event`` being ``Event.wire()``: its ``kind`` and its fields, JSON types only.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from . import statuses

if TYPE_CHECKING:
    from .models import Attempt

logger = logging.getLogger(__name__)

CHANNEL_TYPE = "delivery.event"  # the channel-layer message type (handler ``delivery_event``)


def attempt_group(attempt_id: int) -> str:
    """Every live connection of one attempt (at most one writes: the takeover rule)."""
    return f"attempt.{attempt_id}"


def sitting_group(sitting_id: int) -> str:
    """The board's consoles over one sitting."""
    return f"sitting.{sitting_id}"


def room_group(room_id: int) -> str:
    """The proctors' consoles of one room."""
    return f"room.{room_id}"


@dataclass(frozen=True)
class Event:
    """Something that changed in a sitting; subclasses add their fields (JSON types only)."""

    kind: ClassVar[str]
    to_candidate: ClassVar[bool] = False  # heard by the candidate's connections
    to_consoles: ClassVar[bool] = True  # heard by the sitting's and the room's consoles

    sitting: int
    room: int | None

    def groups(self) -> tuple[str, ...]:
        groups = []
        if self.to_consoles:
            groups.append(sitting_group(self.sitting))
            if self.room is not None:
                groups.append(room_group(self.room))
        return tuple(groups)

    def wire(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class AttemptEvent(Event):
    """What changed in one attempt."""

    to_candidate: ClassVar[bool] = True

    attempt: int

    def groups(self) -> tuple[str, ...]:
        mine = (attempt_group(self.attempt),) if self.to_candidate else ()
        return mine + super().groups()


@dataclass(frozen=True)
class StatusChanged(AttemptEvent):
    """The attempt moved (started, paused, resumed, handed in, scored, voided…) or its clock did.

    ``deadline`` runs while ``in_progress``; ``paused_remaining_ms`` is the time held while
    ``paused``. ``connection`` is the token of the candidate's connection whose own message
    caused it (that connection has its answer already), else None.
    """

    kind: ClassVar[str] = "status"

    status: str
    deadline: str | None
    paused_remaining_ms: int | None
    submit_reason: str | None
    connection: str | None = None


@dataclass(frozen=True)
class AnswerSaved(AttemptEvent):
    """An item's stored answer or flag changed: ``answered`` / ``flagged`` say what it is now
    (None: that side did not change). The candidate knows already (the ``ack``)."""

    kind: ClassVar[str] = "answer"
    to_candidate: ClassVar[bool] = False

    item: int
    answered: bool | None
    flagged: bool | None
    at: str


@dataclass(frozen=True)
class TakenOver(AttemptEvent):
    """A new connection owns the attempt: every other connection of it steps down."""

    kind: ClassVar[str] = "takeover"
    to_consoles: ClassVar[bool] = False

    token: str


@dataclass(frozen=True)
class Presence(AttemptEvent):
    """The candidate's connection came or went (sent at once by the connection itself:
    there is no transaction to wait for)."""

    kind: ClassVar[str] = "presence"
    to_candidate: ClassVar[bool] = False

    connected: bool
    token: str  # the connection's: a newer one's arrival outranks an older one's leaving
    ip: str | None
    at: str


@dataclass(frozen=True)
class Seated(AttemptEvent):
    """The candidate was placed on a seat, or moved (``room`` is the room now; ``from_room``
    the room before, told too when it differs). The candidate's page does not show seats."""

    kind: ClassVar[str] = "seated"
    to_candidate: ClassVar[bool] = False

    from_room: int | None
    seat: str | None
    row: int | None
    column: int | None

    def groups(self) -> tuple[str, ...]:
        groups = super().groups()
        if self.from_room is not None and self.from_room != self.room:
            groups += (room_group(self.from_room),)
        return groups


@dataclass(frozen=True)
class Notice(AttemptEvent):
    """A message from a proctor or the board to the candidate (the consoles keep it in the
    room's log, not in their view)."""

    kind: ClassVar[str] = "notice"
    to_consoles: ClassVar[bool] = False

    text: str
    sender: str
    at: str


@dataclass(frozen=True)
class RoomOpened(Event):
    """A proctor opened the room: everyone checked in started at once (``together``), or each
    starts when ready."""

    kind: ClassVar[str] = "room_opened"

    opened_at: str
    together: bool


KINDS: dict[str, type[Event]] = {
    cls.kind: cls for cls in (StatusChanged, AnswerSaved, TakenOver, Presence, Seated, Notice, RoomOpened)
}


def from_wire(data: dict[str, Any]) -> Event:
    """The event a ``wire()`` dict describes (KeyError or TypeError when it describes none)."""
    cls = KINDS[data["kind"]]
    names = {f.name for f in fields(cls)}
    return cls(**{name: value for name, value in data.items() if name in names})


def status_of(attempt: Attempt, *, connection: str | None = None) -> StatusChanged:
    """The attempt's status event as the attempt stands now."""
    return StatusChanged(
        attempt=attempt.pk,
        sitting=attempt.sitting_id,
        room=room_of(attempt),
        status=statuses.live(attempt.status),
        deadline=attempt.deadline.isoformat() if attempt.deadline else None,
        paused_remaining_ms=_ms(attempt.paused_remaining) if attempt.status == statuses.PAUSED else None,
        submit_reason=attempt.submit_reason or None,
        connection=connection,
    )


def room_of(attempt: Attempt) -> int | None:
    """The room of the sitting the attempt is placed in (``proctoring.models.SittingRoom``), if any."""
    return attempt.room_id


def _ms(duration: timedelta | None) -> int | None:
    return None if duration is None else max(0, int(duration.total_seconds() * 1000))


def stamp(at: datetime) -> str:
    return at.isoformat()


# --- sending ------------------------------------------------------------------------------------

_outbox: ContextVar[list[Event] | None] = ContextVar("delivery_outbox", default=None)


@contextlib.contextmanager
def collect() -> Iterator[list[Event]]:
    """Keep the events committed inside this block instead of sending them; yield the list."""
    outbox: list[Event] = []
    reset = _outbox.set(outbox)
    try:
        yield outbox
    finally:
        _outbox.reset(reset)


def publish(event: Event | Callable[[], Event]) -> None:
    """Send ``event`` when the current transaction commits (at once outside of one).

    ``event`` may be a callable returning the event, to build it from the rows as they stand
    at commit (a transition sets the attempt's fields after it is announced).
    """
    outbox = _outbox.get()

    def deliver() -> None:
        built = event if isinstance(event, Event) else event()
        if outbox is not None:
            outbox.append(built)
        else:
            send(built)

    transaction.on_commit(deliver)


def send(event: Event) -> None:
    """Send one event to its groups now, from synchronous code. A lost event never undoes a
    committed write: consoles and candidates resynchronise from a snapshot."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": CHANNEL_TYPE, "event": event.wire()}
    for group in event.groups():
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:
            logger.exception("event %s for %s was not sent", event.kind, group)


async def send_async(layer, events: list[Event]) -> None:
    """Send events from an event loop (the websocket, after its reply)."""
    for event in events:
        message = {"type": CHANNEL_TYPE, "event": event.wire()}
        for group in event.groups():
            try:
                await layer.group_send(group, message)
            except Exception:
                logger.exception("event %s for %s was not sent", event.kind, group)
