"""The exam websocket: one student, one attempt, one live connection (docs/protocol.md).

Thin: take a token for the frame (assess/ratelimit.py), decode and parse it, hand it to the one
service entry (``services.attempt_message``) in a worker thread, send the reply it returns,
then the events its commit produced (``assess/events.py``: the consoles hear of the answer
after the candidate has its acknowledgement). An answer is acknowledged only after the
service has committed it. Messages to the student are translated into the connection's
language (config/middleware.py activates it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import psycopg
from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, OperationalError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import sessions
from config import metrics
from proctoring import seb

from . import answer_batch, events, opening, presence, protocol, ratelimit, sealing, selectors, services, statuses

logger = logging.getLogger(__name__)

# Close codes (docs/protocol.md). Errors that do not end the connection are messages only.
CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TAKEN_OVER = 4409
CLOSE_RATE_LIMITED = 4429
# Too busy to open the connection now: come back later (as HTTP 503). Not RFC 6455's 1013:
# autobahn, under Daphne, sends no code but 1000 and 3000 to 4999 (it raised on 1013).
CLOSE_BUSY = 4503
# A page told the server is busy stays away this long at least (``retry_after_ms``; it waits
# once to twice that): a crowd turned away together comes back spread over seconds.
BUSY_RETRY_SECONDS = 5.0

_CLOSE_CODES = {
    "not_authenticated": CLOSE_NOT_AUTHENTICATED,
    "forbidden": CLOSE_FORBIDDEN,
    "not_found": CLOSE_NOT_FOUND,
}

BEAT_SECONDS = 5.0  # a connection's "last heard" is written at most this often


# Database work of consumers runs on a pool of its own, sized by DB_THREADS: each thread
# holds one database connection while it lives, so the size bounds the connections a server
# process opens (mind PostgreSQL's max_connections across all processes).
_DB_POOL = ThreadPoolExecutor(max_workers=settings.DB_THREADS, thread_name_prefix="db")


def db_thread(function):
    """Run a self-contained service in a pool thread (FIELD-NOTES, pitfall 1: not the one
    thread that thread_sensitive=True would serialise every call of the process on)."""
    return database_sync_to_async(function, thread_sensitive=False, executor=_DB_POOL)


class PoolConsumer(AsyncWebsocketConsumer):
    """A consumer whose database work all runs in ``db_thread`` (whose threads close their stale
    connections around each call, as Channels' ``database_sync_to_async`` does).

    Channels closes stale connections before handling every message too, from the process's
    one thread for synchronous code: a hop there and back for each frame and each event, all
    of a process's sockets queued on that one thread. Nothing here uses that thread's
    connection, so the hop is skipped (bench/RESULTS.md: a tenth of a start storm's server time).
    """

    async def dispatch(self, message: dict) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


class AttemptConsumer(PoolConsumer):
    attempt_id: int
    token = None
    clock: asyncio.Task | None = None
    deadline: datetime | None = None  # the attempt's, counted down by the "time" pushes
    wake: datetime | None = None  # when the clock acts: the deadline, or a section's or break's end
    section_end: datetime | None = None
    break_end: datetime | None = None
    finished = False
    allowance: ratelimit.Allowance | None = None  # the student's tokens, held while connected
    refusals: ratelimit.TokenBucket | None = None  # refused frames this connection may still send
    groups_joined: tuple[str, ...] = ()
    sitting_id: int | None = None
    room_id: int | None = None
    last_heard = float("-inf")  # monotonic seconds of the last heartbeat kept
    closing = False  # the socket is closed or being closed: the clock pushes nothing more
    counted = False  # accepted, and counted among the open connections (config/metrics.py)
    slots: dict[int, selectors.FormSlot] | None = None  # the form's, when answers go in groups
    early: list[dict] | None = None  # events of the attempt that arrived while it opened
    form_id: int | None = None
    # The waiting state sent with the sealed form (``assess.sealing``), until the page has the key
    waiting: dict | None = None

    async def __call__(self, scope, receive, send):
        return await super().__call__(scope, self.within_limit(receive), send)

    def within_limit(self, receive):
        """``receive``, taking a token for each frame as it is pulled from the connection's queue.

        Channels hands a consumer one message per turn of the event loop, while a client
        writing as fast as it can gets a thousand frames parsed in one turn. So frames without
        tokens are refused here, all that wait in one go, unread; and a connection with more
        frames waiting than its tokens and refusals left could ever cover is a flood, closed at
        once. (How many wait is read from the queue behind ``receive``, an ``asyncio.Queue``
        under Daphne and Channels' test client alike; without one, only the refusals count.)
        """
        waiting = getattr(getattr(receive, "__self__", None), "qsize", None)

        async def receive_within_limit():
            while True:
                message = await receive()
                if message["type"] != "websocket.receive" or self.allowance is None:
                    return message
                if self.token is None:
                    continue  # closed, or being closed: what still arrives is dropped unread
                now = time.time()
                if waiting is not None and waiting() > self.allowance.bucket.level(now) + self.refusals.level(now):
                    await self.close_for_flooding()
                    continue
                wait = await self.spend(self.allowance, 1)
                if not wait:
                    return message
                await self.refuse(wait)

        return receive_within_limit

    async def connect(self) -> None:
        began = time.perf_counter()
        self.attempt_id = int(self.scope["url_route"]["kwargs"]["attempt_id"])
        self.group = events.attempt_group(self.attempt_id)
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            # Opening a connection costs what a sync does, from the student's own tokens. Without
            # them the handshake is refused (HTTP 403) before it is accepted: a client
            # reconnecting in a loop cannot send a single frame, nor touch the attempt.
            allowance = await db_thread(ratelimit.allowance_take)(user_id=user.pk)
            wait = await self.spend(allowance, settings.WS_RATE_STATE_COST)
            if wait:
                logger.info("attempt %s: connection refused for the rate limit", self.attempt_id)
                metrics.rate_limited("connection")
                ratelimit.recent_refusals.note(self.scope["session"].session_key, time.time() + wait)
                await self.close()
                return
            self.allowance, self.refusals = allowance, ratelimit.new_bucket()
        await self.accept()
        self.counted = True
        metrics.ws_connected()
        if user is None or not user.is_authenticated:
            await self.fail("not_authenticated", _("Log in first."), close=CLOSE_NOT_AUTHENTICATED)
            return
        # Join the session's and the attempt's groups before the opening reads anything: a
        # logout from now on reaches this socket and one that came before is seen by the
        # opening's check; an event of the attempt arriving while it runs is held (``early``)
        # and handled once the connection holds its token.
        session_key = self.scope["session"].session_key
        self.early = []
        try:
            await self.join(sessions.session_group(session_key))
            await self.join(self.group)
        except TimeoutError:  # no channel-layer place within REDIS_POOL_TIMEOUT: a crowd connecting
            self.early = None
            logger.warning("attempt %s: the channel layer is busy; the page is asked to come back", self.attempt_id)
            metrics.channel_layer_error()
            await self.refuse_busy()
            return
        opened = await db_thread(opening.attempt_open)(
            attempt_id=self.attempt_id,
            user=user,
            session_key=session_key,
            url=self.url,
            headers=seb.scope_headers(self.scope.get("headers", ())),
            address=self.address,
            seal=self.seal_asked,
        )
        if isinstance(opened, opening.Refused):
            self.early = None
            await self.fail(opened.code, opened.message, close=_CLOSE_CODES[opened.close])
            return
        connected = opened.connected
        self.token, self.sitting_id, self.room_id = connected.token, connected.sitting, connected.room
        self.slots, self.form_id = opened.slots, connected.form
        self.waiting = opened.state if opened.sealed else None
        # The takeover first: any older connection of this attempt, on any process, steps down.
        await events.send_async(self.channel_layer, list(opened.events))
        await self.send_state(opened.state)
        early, self.early = self.early, None
        for message in early:  # what happened to the attempt while the connection opened
            await self.delivery_event(message)
        metrics.connect_done(time.perf_counter() - began)

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined += (group,)

    async def leave_groups(self) -> None:
        groups, self.groups_joined = self.groups_joined, ()
        for group in groups:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the membership expires with the layer's group expiry
                logger.exception("attempt %s: group %s not left", self.attempt_id, group)
                metrics.channel_layer_error()

    @property
    def url(self) -> str:
        """The URL the page opened (Safe Exam Browser hashes it with its keys)."""
        headers = dict(self.scope.get("headers", ()))
        host = headers.get(b"host", b"").decode("latin-1")
        query = self.scope.get("query_string", b"").decode("latin-1")
        url = f"{self.scope.get('scheme', 'ws')}://{host}{self.scope.get('path', '')}"
        return f"{url}?{query}" if query else url

    @property
    def seal_asked(self) -> bool:
        """The page decrypts a sealed form (``?seal=aes-gcm``, ``assess.sealing``)."""
        query = self.scope.get("query_string", b"").decode("latin-1")
        return f"seal={sealing.ALGORITHM}" in query.split("&")

    @property
    def address(self) -> str | None:
        """The candidate's PC's address (behind the bundled proxy: from its forwarded header)."""
        client = self.scope.get("client")
        return client[0] if client else None

    async def announce_presence(self, *, connected: bool) -> None:
        """Keep where the candidate is connected (``assess/presence.py``) and tell the consoles."""
        event = events.Presence(
            attempt=self.attempt_id,
            sitting=self.sitting_id,
            room=self.room_id,
            connected=connected,
            token=str(self.token),
            ip=self.address,
            at=events.stamp(timezone.now()),
        )
        try:
            await db_thread(presence.note)(event)
        except Exception:  # the consoles still hear it; a snapshot may miss it until the next
            logger.exception("attempt %s: presence not kept", self.attempt_id)
        await events.send_async(self.channel_layer, [event])

    async def websocket_disconnect(self, message: dict) -> None:
        self.closing = True
        await super().websocket_disconnect(message)

    async def disconnect(self, code: int) -> None:
        self.closing = True
        self.uncount(code)
        if self.clock is not None:
            self.clock.cancel()
        if self.token is not None and self.sitting_id is not None:
            await self.announce_presence(connected=False)
        await self.leave_groups()
        if self.allowance is not None and self.allowance.unsaved:
            await db_thread(self.allowance.save)()

    def uncount(self, code: int) -> None:
        """The connection leaves the open ones (once, whoever closes it first)."""
        if self.counted:
            self.counted = False
            metrics.ws_disconnected(code)

    async def spend(self, allowance: ratelimit.Allowance, cost: float) -> float:
        """Take ``cost`` tokens (0 returned) or none (the seconds to wait returned); write the
        count back to the cache when it is due."""
        wait = allowance.take(cost)
        if allowance.save_due(refused=bool(wait)):
            await db_thread(allowance.save)()
        return wait

    # --- client messages ------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.token is None:
            return  # connection is being refused or was taken over
        # The frame's token is taken (``within_limit``); the state costs more.
        seq = None
        began = time.perf_counter()
        try:
            content = protocol.decode(text_data, bytes_data, max_bytes=settings.WS_MAX_MESSAGE_BYTES)
            message = protocol.parse(content)
            metrics.message_received(_KINDS.get(type(message), "other"))
            seq = getattr(message, "seq", None)
            if isinstance(message, protocol.Sync | protocol.Start | protocol.NextSection | protocol.EndBreak):
                # the whole state goes back
                wait = await self.spend(self.allowance, settings.WS_RATE_STATE_COST - 1)
                if wait:  # sent again, the frame costs its own token too
                    await self.refuse(wait + 1 / settings.WS_RATE_PER_SECOND)
                    return
            self.heard()
            if isinstance(message, protocol.Ping):  # the heartbeat: nothing else to do
                await self.send_message(protocol.Pong(timezone.now().isoformat()))
                return
            reply = None
            if isinstance(message, protocol.AnswerMessage) and self.slots is not None:
                reply = await self.answer_in_group(message)
            if reply is None:  # not an answer, or declined by the group: the canonical path
                reply = await db_thread(services.attempt_message)(
                    attempt_id=self.attempt_id,
                    user=self.scope["user"],
                    token=self.token,
                    message=message,
                    address=self.address,
                )
            await self.deliver(reply)
            if isinstance(message, protocol.AnswerMessage) and any(isinstance(m, protocol.Ack) for m in reply.messages):
                metrics.answer_acked(time.perf_counter() - began)
        except protocol.ProtocolError as exc:
            await self.send_message(protocol.Error(exc.code, _translated(exc), exc.seq))
        except PermissionDenied:
            await self.fail("forbidden", _("This attempt is not yours."), close=CLOSE_FORBIDDEN)
        except Exception as exc:
            # Nothing was acknowledged, so nothing is lost: the client sends it again.
            if isinstance(exc, OperationalError | psycopg.OperationalError):
                # The database is unreachable (a restart, a failover): one line, not a traceback
                # for each of the thousands of answers resent meanwhile; the metric counts them.
                logger.warning("attempt %s: message failed, database unavailable: %s", self.attempt_id, exc)
            else:
                logger.exception("attempt %s: message failed", self.attempt_id)
            if isinstance(exc, DatabaseError | psycopg.Error):
                metrics.database_error()
            await self.send_message(
                protocol.Error("server_error", _("The server could not process this; send it again."), seq)
            )

    async def answer_in_group(self, message: protocol.AnswerMessage) -> services.Reply | None:
        """Commit an answer with the others arriving now (``assess/answer_batch.py``); None when
        the group declines it (nothing written), for ``services.attempt_message`` to decide."""
        slot = self.slots.get(message.item) if self.slots is not None else None
        if slot is None or self.token is None:
            return None
        try:
            value = slot.accept(message.value)
        except ValueError:
            return None  # refused with its reason by the canonical path
        stored = await answer_batch.record(
            attempt_id=self.attempt_id,
            token=self.token,
            seq=message.seq,
            form_item_id=slot.form_item_id,
            position=message.item,
            value=value,
        )
        if stored is None:
            return None
        ack = protocol.Ack(seq=message.seq, item=message.item, remaining_ms=stored.remaining_ms)
        if not stored.changed:
            return services.Reply(messages=(ack,))
        saved = events.AnswerSaved(
            attempt=self.attempt_id,
            sitting=stored.sitting,
            room=stored.room,
            item=message.item,
            answered=value is not None,
            flagged=None,
            at=events.stamp(stored.at),
        )
        return services.Reply(messages=(ack,), events=(saved,))

    async def deliver(self, reply: services.Reply) -> None:
        """Send a service's reply to this connection, then its events to their groups."""
        for message in reply.messages:
            if isinstance(message, protocol.State):
                await self.send_state(message.content)
            elif isinstance(message, protocol.Progress):
                await self.send_message(message)
                self.set_clock(message.content)
            elif isinstance(message, protocol.Submitted):
                await self.send_submitted(message, reply=True)
            else:
                await self.send_message(message)
        if reply.events:
            await events.send_async(self.channel_layer, list(reply.events))
        if reply.step_down:
            await self.step_down()

    def heard(self) -> None:
        """Note that the candidate's PC was heard from (any frame; at most every few seconds),
        for the consoles' "last heard" (``assess.presence.seen``), written with the process's
        other heartbeats within a second (``presence.Beats``)."""
        now = time.monotonic()
        if now - self.last_heard >= BEAT_SECONDS:
            self.last_heard = now
            presence.beats_of_this_process().note(self.attempt_id, timezone.now().isoformat())

    async def refuse(self, wait: float) -> None:
        """Refuse a frame unread; close a connection that keeps sending into refusals."""
        metrics.rate_limited()
        if self.refusals.take(1, time.time()):
            await self.close_for_flooding()
        else:
            await self.send_rate_limited(wait)

    async def close_for_flooding(self) -> None:
        """Close with 4429, leaving the student a burst's worth of tokens in debt."""
        logger.warning("attempt %s: closed for flooding", self.attempt_id)
        metrics.rate_limited("flood")
        wait = self.allowance.punish()
        await db_thread(self.allowance.save)()
        ratelimit.recent_refusals.note(self.scope["session"].session_key, time.time() + wait)
        await self.send_rate_limited(wait)
        await self.fail_quietly(close=CLOSE_RATE_LIMITED)
        # Nothing more is read: no close handshake for a client that would go on sending.
        if (control := self.scope.get("socket_control")) is not None:
            control.drop()

    # --- events from other processes (channel layer) ---------------------------------------

    async def delivery_event(self, message: dict) -> None:
        """An event of this attempt (``assess/events.py``), from any process."""
        if self.token is None:
            if self.early is not None:  # opening: handled once the connection holds its token
                self.early.append(message)
            return
        event = events.from_wire(message["event"])
        if isinstance(event, events.TakenOver):
            if event.token != str(self.token):
                await self.step_down()
        elif isinstance(event, events.Notice):
            await self.send_message(protocol.Notice(event.text, event.sender, event.at))
        elif isinstance(event, events.StatusChanged):
            if event.status in statuses.FINISHED:
                await self.send_submitted(protocol.Submitted(event.submit_reason or "deadline", event.status))
            elif event.connection != str(self.token):  # staff paused, resumed, extended, released…
                if self.waiting is not None and event.status == statuses.IN_PROGRESS and event.deadline:
                    await self.send_started(event)  # started by the room: nothing to read
                else:
                    await self.send_state()

    async def session_ended(self, event: dict) -> None:
        """The session this socket was opened with was logged out (accounts/sessions.py)."""
        await self.fail(
            "logged_out", _("You have logged out. Log in again to continue."), close=CLOSE_NOT_AUTHENTICATED
        )

    # --- replies ------------------------------------------------------------------------------

    async def send(self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False) -> None:
        """Send a frame; a socket the client closed meanwhile takes nothing more (Daphne raises
        there: a reply, the clock or an event racing the close is not a fault)."""
        if self.closing and not close:
            return
        try:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except Disconnected:
            self.closing = True

    async def send_message(self, message: protocol.Outgoing) -> None:
        if isinstance(message, protocol.Error):
            metrics.error_sent(message.code)
        await self.send(text_data=protocol.encode(message))

    async def send_state(self, content: dict | None = None) -> None:
        """Send the attempt's whole state (read now unless given) and set the clock by it."""
        if content is None:
            content = await db_thread(selectors.attempt_state)(self.attempt_id)
        self.finished = content["status"] in statuses.FINISHED
        if self.waiting is not None and content["status"] in statuses.OPEN and "items" in content:
            # the page holds the sealed form: its key, once (a page that fails to open it syncs)
            self.waiting = None
            content = sealing.opened(content, sitting_id=self.sitting_id, form_id=self.form_id)
        await self.send_message(protocol.State(content))
        self.set_clock(content)

    async def send_started(self, event: events.StatusChanged) -> None:
        """The attempt started while this page waited with its sealed form: the started state
        built from the waiting one and the event (``assess.sealing.started``), the key in it."""
        content = sealing.started(
            self.waiting,
            sitting_id=self.sitting_id,
            form_id=self.form_id,
            deadline=event.deadline,
            large_text=event.large_text,
            now=timezone.now(),
        )
        self.waiting = None
        await self.send_message(protocol.State(content))
        self.set_clock(content)

    def set_clock(self, content: dict) -> None:
        """Count down to what the state or progress says, restarting the clock if it moved."""
        deadline, section_end, break_end = _running_clocks(content)
        wake = min((t for t in (deadline, section_end, break_end) if t is not None), default=None)
        if self.clock is None or wake != self.wake or deadline != self.deadline:
            self.deadline, self.section_end, self.break_end, self.wake = deadline, section_end, break_end, wake
            self.restart_clock()

    def restart_clock(self) -> None:
        if self.clock is not None:
            self.clock.cancel()
        self.clock = asyncio.ensure_future(self.run_clock())

    async def send_submitted(self, message: protocol.Submitted, *, reply: bool = False) -> None:
        """Tell the client once that the attempt is handed in (and every time it asks)."""
        if self.finished and not reply:
            return
        self.finished = True
        self.deadline = self.wake = None
        await self.send_message(message)

    async def send_error(self, code: str, message: str) -> None:
        await self.send_message(protocol.Error(code, message))

    async def send_rate_limited(self, wait: float) -> None:
        retry_ms = ratelimit.retry_after_ms(wait)
        message = _("Too many messages: this one was not read. Send it again in %(ms)s ms.") % {"ms": retry_ms}
        await self.send_message(protocol.Error("rate_limited", message, retry_after_ms=retry_ms))

    async def refuse_busy(self) -> None:
        """Too busy to open the connection now: the page is told when to come back, closed 4503."""
        retry_ms = ratelimit.retry_after_ms(BUSY_RETRY_SECONDS)
        message = _("The server is busy. The page connects again by itself in a moment; nothing is lost.")
        await self.send_message(protocol.Error("busy", message, retry_after_ms=retry_ms))
        await self.fail_quietly(close=CLOSE_BUSY)

    async def fail(self, code: str, message: str, *, close: int) -> None:
        await self.send_error(code, message)
        await self.fail_quietly(close=close)

    async def fail_quietly(self, *, close: int) -> None:
        """Close with ``close`` after the error already sent; nothing more is read or pushed."""
        self.token = None
        self.closing = True
        self.uncount(close)
        if self.clock is not None:
            self.clock.cancel()
        await self.leave_groups()
        await self.close(code=close)

    async def step_down(self) -> None:
        """Another connection owns the attempt now: say so and close."""
        self.token = None
        self.uncount(CLOSE_TAKEN_OVER)
        if self.clock is not None:
            self.clock.cancel()
        await self.send_message(protocol.TakenOver(_("This exam was opened in another window or on another computer.")))
        self.closing = True
        await self.leave_groups()
        await self.close(code=CLOSE_TAKEN_OVER)

    # --- the server's clock -------------------------------------------------------------------

    async def run_clock(self) -> None:
        """Push the remaining time now and then; submit the attempt at its deadline, and move
        it on at the end of a section or a break (``assess.sections``)."""
        try:
            while True:
                wait = float(settings.WS_TIME_PUSH_SECONDS)
                if self.wake is not None and self.deadline is not None and not self.finished:
                    now = timezone.now()
                    left = (self.wake - now).total_seconds()
                    if left <= 0:
                        reply = await db_thread(services.attempt_time_up)(attempt_id=self.attempt_id)
                        # The event tells every connection; this one hears the reply even if
                        # another process handed the attempt in first or the event was lost.
                        await self.deliver(reply)
                        wait = 1.0
                    elif not self.closing:
                        await self.send_message(
                            protocol.TimeLeft(
                                _ms(self.deadline - now),
                                self.deadline.isoformat(),
                                section_remaining_ms=_ms(self.section_end - now) if self.section_end else None,
                                break_remaining_ms=_ms(self.break_end - now) if self.break_end else None,
                            )
                        )
                        wait = min(wait, left + 0.05)
                await asyncio.sleep(wait)
        except asyncio.CancelledError:
            raise
        except Exception:
            if self.closing:  # the socket went while the clock spoke: nothing was lost
                logger.debug("clock of attempt %s stopped by the closing socket", self.attempt_id)
                return
            logger.exception("clock of attempt %s failed", self.attempt_id)


def _running_clocks(state: dict) -> tuple[datetime | None, datetime | None, datetime | None]:
    """The deadline, the section's end and the break's end the clock counts down to (of a
    state or a progress message); none while paused (the clocks stand still)."""
    if state["status"] != statuses.IN_PROGRESS or not state["deadline"]:
        return None, None, None

    def instant(name: str) -> datetime | None:
        value = state.get(name)
        return datetime.fromisoformat(value) if value else None

    return instant("deadline"), instant("section_deadline"), instant("break_until")


# The kinds of client messages the metrics count (config/metrics.py).
_KINDS = {
    protocol.AnswerMessage: "answer",
    protocol.FlagMessage: "flag",
    protocol.Sync: "sync",
    protocol.Start: "start",
    protocol.Ping: "ping",
}


def _ms(delta) -> int:
    return max(0, int(delta.total_seconds() * 1000))


def _translated(exc: protocol.ProtocolError) -> str:
    """A protocol error's message in the connection's language, its values filled in."""
    message = _(exc.message)
    return message % exc.params if exc.params else message


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Any other websocket path: say so and close, instead of failing the handshake."""

    async def connect(self) -> None:
        await self.accept()
        await self.send(text_data=protocol.encode(protocol.Error("not_found", _("No such websocket path."))))
        await self.close(code=CLOSE_NOT_FOUND)
