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
``event`` being ``Event.wire()``: its ``kind`` and its fields, JSON types only. Candidates'
answers reach consoles gathered, ``{"type": "delivery.events", "events": [...]}``, and only
groups a console watches hear consoles' events at all (see "who listens" below).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from config import metrics

from . import statuses

if TYPE_CHECKING:
    from .models import Attempt

logger = logging.getLogger(__name__)

CHANNEL_TYPE = "delivery.event"  # the channel-layer message type (handler ``delivery_event``)
BATCH_TYPE = "delivery.events"  # several events in one message (handler ``delivery_events``)


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
    caused it (that connection has its answer already), else None. ``large_text``: the
    candidate's page shows larger text (an accommodation, fixed at the start): a page holding
    its sealed form starts from this event alone (``assess.sealing``).
    """

    kind: ClassVar[str] = "status"

    status: str
    deadline: str | None
    paused_remaining_ms: int | None
    submit_reason: str | None
    connection: str | None = None
    large_text: bool = False


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


@dataclass(frozen=True)
class IntegrityNoted(AttemptEvent):
    """The attempt's integrity events add up to this now (``proctoring.integrity``): ``counts``
    per kind and ``focus_ms``, the time away from the page in all. For the consoles only."""

    kind: ClassVar[str] = "integrity"
    to_candidate: ClassVar[bool] = False

    counts: dict[str, int]
    focus_ms: int


@dataclass(frozen=True)
class IncidentChanged(Event):
    """An incident was logged, raised by an integrity threshold, confirmed or dismissed
    (``proctoring.incidents``): ``incident`` is the whole incident as the consoles show it
    (``proctoring.incidents.incident_view``). ``room`` is None for an unplaced candidate's."""

    kind: ClassVar[str] = "incident"

    incident: dict[str, Any]


KINDS: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        StatusChanged,
        AnswerSaved,
        TakenOver,
        Presence,
        Seated,
        Notice,
        RoomOpened,
        IntegrityNoted,
        IncidentChanged,
    )
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
        large_text=attempt.large_text,
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
    groups = event.groups()
    stale = listening.stale(groups, time.monotonic())
    if stale:
        listening.read(stale, time.monotonic())
    message = {"type": CHANNEL_TYPE, "event": event.wire()}
    for group in listening.heard(groups):
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:
            logger.exception("event %s for %s was not sent", event.kind, group)
            metrics.channel_layer_error()


def send_all(events: list[Event]) -> None:
    """Send many events from synchronous code in one hop to the event loop (``send`` makes one
    per event and group): a room of forty started together is forty events."""
    layer = get_channel_layer()
    if layer is None or not events:
        return
    try:
        async_to_sync(send_async)(layer, events)
    except Exception:
        logger.exception("%d events were not sent", len(events))
        metrics.channel_layer_error()


async def send_async(layer, events: list[Event]) -> None:
    """Send events from an event loop (the websocket, after its reply). Candidates' answers go
    out gathered (``Gathered``): a console hears them a fraction of a second later, in order."""
    now = time.monotonic()
    stale = sorted({group for event in events for group in listening.stale(event.groups(), now)})
    if stale:
        await sync_to_async(listening.read, thread_sensitive=False)(stale, now)
    sends: list[tuple[str, dict[str, Any], str]] = []
    for event in events:
        groups = listening.heard(event.groups())
        if not groups:
            continue
        wire = event.wire()
        if isinstance(event, AnswerSaved):
            gathered(layer).add(groups, wire)
            continue
        message = {"type": CHANNEL_TYPE, "event": wire}
        sends.extend((group, message, event.kind) for group in groups)
    many = getattr(layer, "group_send_many", None)
    if many is not None and len(sends) > 1:  # the Redis layer: all of them in a few round trips
        try:
            await many([(group, message) for group, message, _kind in sends])
        except Exception:
            logger.exception("%d events were not sent", len(sends))
            metrics.channel_layer_error()
        return
    for group, message, kind in sends:
        try:
            await layer.group_send(group, message)
        except Exception:
            logger.exception("event %s for %s was not sent", kind, group)
            metrics.channel_layer_error()


# --- who listens ----------------------------------------------------------------------------
# Most events are for consoles, and at any moment most rooms have no console open. An open
# console marks its group in the cache (``watch``; renewed while it stays open). Each server
# process reads the mark of a group it sends to at most every CONSOLE_WATCH_REFRESH_SECONDS,
# and sends a console's event only to a marked group. A console takes its snapshot that long
# after marking (``proctoring/consumers.py``): from then on every process sends to it, and
# whatever was sent nowhere before was committed before, so it is in the snapshot.

WATCH_SECONDS = 60  # a mark's life; an open console renews it every WATCH_SECONDS / 4
KNOWN_MAX = 20_000  # groups a process remembers before it forgets the oldest readings


def _watch_key(group: str) -> str:
    return f"watch.{group}"


def _for_consoles(group: str) -> bool:
    return not group.startswith("attempt.")


def watch(group: str) -> None:
    """Mark ``group`` as heard by an open console (a cache write: from a worker thread)."""
    cache.set(_watch_key(group), True, WATCH_SECONDS)


class Listening:
    """What this process knows of which consoles' groups are watched, and since when."""

    def __init__(self) -> None:
        self.known: dict[str, tuple[bool, float]] = {}  # group: (watched, read at, monotonic)

    def stale(self, groups: tuple[str, ...], now: float) -> list[str]:
        """The consoles' groups among ``groups`` whose mark is to be read (again)."""
        refresh = settings.CONSOLE_WATCH_REFRESH_SECONDS
        known = self.known
        return [g for g in groups if _for_consoles(g) and (g not in known or now - known[g][1] >= refresh)]

    def read(self, groups: list[str], now: float) -> None:
        """Read the marks of ``groups`` in one cache round trip (a cache that fails: all heard)."""
        try:
            found = cache.get_many([_watch_key(group) for group in groups])
        except Exception:
            logger.exception("consoles' marks not read: sending to every group")
            found = {_watch_key(group): True for group in groups}
        if len(self.known) > KNOWN_MAX:
            self.known = {}
        for group in groups:
            self.known[group] = (_watch_key(group) in found, now)

    def heard(self, groups: tuple[str, ...]) -> tuple[str, ...]:
        """``groups`` but the consoles' groups known to be unwatched (unknown ones are kept)."""
        known = self.known
        return tuple(g for g in groups if not _for_consoles(g) or known.get(g, (True, 0.0))[0])

    def forget(self) -> None:
        self.known = {}


listening = Listening()


class Gathered:
    """One process's answer events for the consoles, sent per group as one message
    (``delivery.events``, the events in the order they were committed) every
    CONSOLE_BATCH_SECONDS: a sitting's board console hears a few messages a second instead of
    one per answer."""

    def __init__(self, layer) -> None:
        self.layer = layer
        self.waiting: dict[str, list[dict[str, Any]]] = {}
        self.timer: asyncio.TimerHandle | None = None
        self.sending: set[asyncio.Task] = set()

    def add(self, groups: tuple[str, ...], wire: dict[str, Any]) -> None:
        for group in groups:
            self.waiting.setdefault(group, []).append(wire)
        if self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(settings.CONSOLE_BATCH_SECONDS, self.flush)

    def flush(self) -> None:
        self.timer = None
        waiting, self.waiting = self.waiting, {}
        task = asyncio.ensure_future(self.send(waiting))
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)

    async def send(self, waiting: dict[str, list[dict[str, Any]]]) -> None:
        for group, wires in waiting.items():
            try:
                await self.layer.group_send(group, {"type": BATCH_TYPE, "events": wires})
            except Exception:
                logger.exception("%d events for %s were not sent", len(wires), group)
                metrics.channel_layer_error()


_gathered: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Gathered] = weakref.WeakKeyDictionary()


def gathered(layer) -> Gathered:
    """The running loop's ``Gathered`` (one per process under Daphne; one per test loop)."""
    loop = asyncio.get_running_loop()
    found = _gathered.get(loop)
    if found is None or found.layer is not layer:
        found = _gathered[loop] = Gathered(layer)
    return found
