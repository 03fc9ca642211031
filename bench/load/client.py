"""Simulated students speaking docs/protocol.md, as the exam page does.

A student connects, reads the state, starts the exam if it is not started, and from then on
answers as the mode says. In the release mode a student is checked in to a room and does not
start: it waits, connected, until its room's proctor starts the room together and the state
with the form arrives over the websocket. Like the page, it keeps every answer until its acknowledgement,
and after a lost connection it reconnects (backoff with full jitter, starting again once a
state arrives) and sends what is waiting again with the same sequence numbers. A student is
given every server's address: a connection that fails to open moves it on to the next one.
With ``Plan.dead_after`` it watches its connection as the page's heartbeat does (a ping when
nothing went out for ``Plan.ping`` seconds; a connection that brought no frame for
``dead_after`` seconds while a reply was awaited, or that did not open in that time, is
dropped without a close handshake and opened again). An answer's latency runs from its
first sending to its acknowledgement, whatever happened between (a reconnect included).

``run_share`` is the entry of one generator process: a share of the seats, one asyncio loop.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import websockets
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .targets import Seat

# Errors carrying the seq of a change the server refused: it was not stored and will not be
# (docs/protocol.md section 9); the page drops it from its journal. Any other error with a
# seq (server_error, or a code this client does not know) is sent again.
REFUSALS = frozenset(
    {
        "invalid_field",
        "invalid_value",
        "unknown_item",
        "item_checked",
        "not_started",
        "attempt_closed",
        "deadline_passed",
        "paused",
        "seq_conflict",
        "history_full",
        "section_closed",
        "item_closed",
        "item_not_reached",
        "on_break",
    }
)
RESEND_AFTER = 0.5  # seconds before a change answered with server_error goes again


@dataclass(frozen=True)
class Plan:
    """What every student of a run does, in monotonic seconds of the process running it."""

    mode: str  # "closed", "open", "storm", "idle", "release"
    window: float  # seconds measured
    interval: float = 10.0  # open loop: seconds between a student's answers (on average)
    jitter: float = 0.5  # open loop: each interval drawn from interval * (1 ± jitter)
    storm: float = 10.0  # storm: the seconds over which the students connect
    ping: float = 10.0  # a ping when nothing else went out for this long (the page's heartbeat)
    ramp: float = 400.0  # connections a second before the window (closed, open, idle)
    grace: float = 15.0  # after the window: how long acknowledgements still count
    stop_at_window_end: bool = True
    # Reconnecting: after the n-th failure in a row (n from 0) a wait drawn between
    # reconnect_min and min(cap, reconnect_first * 2^n); cap is reconnect_cap once the student
    # had its state, at least 5 s before (a start storm). A state starts the count again.
    reconnect_min: float = 0.05
    reconnect_first: float = 0.5
    reconnect_cap: float = 2.0
    open_timeout: float = 120.0  # a handshake not done by then fails (dead_after when that is set)
    dead_after: float | None = None  # the page's DEAD_AFTER_MS in seconds; None: not watched
    submit: bool = False  # after the window, once nothing waits: hand the attempt in
    keep_log: bool = False  # keep each student's log (Outcome.logs) to check against the database
    seal: bool = False  # ask for the sealed form (?seal=aes-gcm) and open it with the start's key


@dataclass
class StudentLog:
    """What one student sent, saw acknowledged and lived through, in wall-clock seconds
    (``time.time()``, comparable across the processes of a run)."""

    sent: dict[int, tuple[float, dict]] = field(default_factory=dict)  # seq -> (first sent, change)
    acked: dict[int, float] = field(default_factory=dict)  # seq -> acknowledged at, in that order
    refused: dict[int, str] = field(default_factory=dict)  # seq -> the error that refused it
    servers: list[tuple[float, str]] = field(default_factory=list)  # (state received, base) of each connection
    losses: list[float] = field(default_factory=list)  # a connection that had its state was lost
    resumes: list[tuple[float, float]] = field(default_factory=list)  # (lost, state again)
    dead: int = 0  # connections the heartbeat took for dead
    lost_at_end: bool = False  # lost and never back
    pending_at_end: int = 0  # changes never acknowledged
    submitted: str | None = None  # the status a `submitted` message or a finished state gave


@dataclass
class Outcome:
    """What one generator process saw; summed by the parent."""

    latencies: list[float] = field(default_factory=list)  # acks of answers sent in the window
    offered: int = 0  # answers first sent in the window
    acked: int = 0  # of those, acknowledged (by the end of the grace)
    form_times: list[float] = field(default_factory=list)  # connect to the started state, first time
    released: list[tuple[int, float]] = field(default_factory=list)  # release mode: (room, form received at)
    resume_times: list[float] = field(default_factory=list)  # connection lost to the state again
    form_bytes: int = 0
    errors: Counter = field(default_factory=Counter)
    disconnects: int = 0
    refused: int = 0  # handshakes that failed
    duplicates: int = 0  # acks flagged as a replay already stored
    unacked: int = 0  # answers still waiting at the end
    acked_seqs: dict[str, list[int]] = field(default_factory=dict)  # path -> acknowledged seqs
    cpu_seconds: float = 0.0
    ready_at: float = 0.0
    logs: dict[str, StudentLog] = field(default_factory=dict)  # path -> log (Plan.keep_log)


class Student:
    def __init__(self, seat: Seat, base: str | list[str], plan: Plan, outcome: Outcome, window_start: float):
        """``base``: the server to use, or every server in the order to try them (the first
        one first; a connection that fails to open moves on to the next)."""
        self.seat, self.plan, self.outcome = seat, plan, outcome
        self.bases = [base] if isinstance(base, str) else list(base)
        self.current = 0
        self.window_start, self.window_end = window_start, window_start + plan.window
        self.ws = None
        self.items: list[dict] = []
        self.next_seq = 1
        self.pending: dict[int, dict] = {}  # seq -> message, in the journal until acknowledged
        self.first_sent: dict[int, float] = {}
        self.acked_event = asyncio.Event()
        self.formed = asyncio.Event()
        self.waiting = asyncio.Event()  # a first state came (release mode: checked in, waiting)
        self.handed_in = asyncio.Event()
        self.stopped = False
        self.submit_sent = False
        self.last_sent = 0.0
        self.last_heard = 0.0
        self.failures = 0  # connections lost or failed since the last state: the backoff's n
        self.busy_after = 0.0  # seconds the last `busy` asked to stay away (close 4503)
        self.lost_at: float | None = None
        self.acked_seqs: list[int] = []
        self.state_bytes = 0  # the size of the last state received
        self.sealed: dict | None = None  # the sealed form of the last waiting state
        self.log = StudentLog()

    @property
    def base(self) -> str:
        return self.bases[self.current]

    # --- the connection ----------------------------------------------------------------------

    async def connection(self, first_connect_at: float | None = None) -> None:
        """Keep the student connected until stopped (reconnecting as the page does)."""
        plan = self.plan
        first = True
        while not self.stopped:
            began = time.monotonic()
            opened = False
            try:
                async with websockets.connect(
                    self.base
                    + self.seat.path
                    + (("&" if "?" in self.seat.path else "?") + "seal=aes-gcm" if plan.seal else ""),
                    additional_headers=list(self.seat.headers),
                    origin=self.base.replace("ws://", "http://"),
                    open_timeout=plan.dead_after or plan.open_timeout,
                    close_timeout=5,
                    max_size=2**23,
                    ping_interval=None,
                    compression=None,
                ) as ws:
                    opened = True
                    self.ws = ws
                    self.last_heard = self.last_sent = time.monotonic()
                    await self.serve(ws, began if first else None)
            except (TimeoutError, OSError, websockets.exceptions.InvalidHandshake):
                if not opened:
                    self.outcome.refused += 1
                    self.current = (self.current + 1) % len(self.bases)  # fail over
            except websockets.exceptions.ConnectionClosed:
                pass
            finally:
                self.ws = None
            if self.stopped:
                return
            first = False
            self.outcome.disconnects += 1
            if self.lost_at is None and self.formed.is_set():
                self.lost_at = time.monotonic()
                self.log.losses.append(time.time())
            cap = plan.reconnect_cap if self.formed.is_set() else max(plan.reconnect_cap, 5.0)
            ceiling = min(cap, plan.reconnect_first * 2 ** min(self.failures, 20))
            self.failures += 1
            wait = random.uniform(plan.reconnect_min, max(plan.reconnect_min, ceiling))  # full jitter
            if self.busy_after:  # told the server was busy: as the page, after once to twice that
                wait, self.busy_after = max(wait, self.busy_after * (1 + random.random())), 0.0
            await asyncio.sleep(wait)

    async def serve(self, ws, connect_began: float | None) -> None:
        state = await self.next_state(ws)
        self.waiting.set()
        if self.plan.mode == "release":
            while state["status"] in ("scheduled", "checked_in"):  # until the room is started
                state = await self.next_state(ws)
            if state["status"] == "in_progress" and not self.formed.is_set():
                self.outcome.released.append((self.seat.room, time.time()))
        elif state["status"] in ("scheduled", "checked_in"):
            await self.send({"type": "start"})
            state = await self.next_state(ws)
        if state["status"] != "in_progress":
            if not self.submit_sent:
                self.outcome.errors[f"status_{state['status']}"] += 1
            self.finished(state["status"])
            self.stopped = True
            return
        now = time.monotonic()
        self.failures = 0
        self.log.servers.append((time.time(), self.base))
        self.outcome.form_bytes = max(self.outcome.form_bytes, self.state_bytes)
        if connect_began is not None and self.plan.mode != "release":
            self.outcome.form_times.append(now - connect_began)
        if self.lost_at is not None:
            self.outcome.resume_times.append(now - self.lost_at)
            self.log.resumes.append((self.log.losses[-1], time.time()))
            self.lost_at = None
        self.items = [item for item in state["items"] if item.get("options")]
        self.next_seq = max(self.next_seq, int(state.get("last_seq") or 0) + 1, max(self.pending, default=0) + 1)
        self.formed.set()
        for seq in sorted(self.pending):  # the journal, replayed with the same numbers
            await self.send(self.pending[seq])
        async for raw in ws:
            self.last_heard = time.monotonic()
            message = json.loads(raw)
            kind = message.get("type")
            if kind == "ack":
                self.acknowledged(message)
            elif kind == "error":
                self.refusal(message)
            elif kind == "submitted":
                self.finished(message.get("status", "submitted"))

    async def next_state(self, ws) -> dict:
        while True:
            raw = await ws.recv()
            self.last_heard = time.monotonic()
            message = json.loads(raw)
            if message.get("type") == "state":
                self.state_bytes = len(raw)
                self.sealed = message.get("sealed") or self.sealed
                if "unseal" in message and "items" not in message:  # the page opens its sealed form
                    if not self.open_sealed(message):
                        self.outcome.errors["unsealed"] += 1
                        await self.send({"type": "sync"})  # the questions themselves come back
                        continue
                return message
            if message.get("type") == "error":
                self.outcome.errors[message.get("code", "?")] += 1
                if message.get("code") == "busy":  # close 4503 follows: come back when told
                    self.busy_after = (message.get("retry_after_ms") or 0) / 1000

    def open_sealed(self, state: dict) -> bool:
        """Decrypt the sealed form with the state's key into its ``items`` (docs/protocol.md)."""
        if self.sealed is None:
            return False
        key, iv, data = (base64.b64decode(v) for v in (state["unseal"], self.sealed["iv"], self.sealed["data"]))
        try:
            state["items"] = json.loads(AESGCM(key).decrypt(iv, data, None))
        except InvalidTag:
            return False
        self.sealed = None
        return True

    def resend(self, seq: int) -> None:
        if seq in self.pending and self.ws is not None:
            asyncio.ensure_future(self.send(self.pending[seq]))

    async def send(self, message: dict) -> None:
        ws = self.ws
        if ws is None:
            return  # kept in the journal: sent again after the reconnect
        try:
            await ws.send(json.dumps(message))
            self.last_sent = time.monotonic()
        except websockets.exceptions.ConnectionClosed:
            pass

    def acknowledged(self, message: dict) -> None:
        seq = message.get("seq")
        if seq not in self.pending:
            return
        del self.pending[seq]
        self.acked_seqs.append(seq)
        self.log.acked[seq] = time.time()
        if message.get("duplicate"):
            self.outcome.duplicates += 1
        sent = self.first_sent.pop(seq)
        if self.window_start <= sent < self.window_end:
            self.outcome.acked += 1
            self.outcome.latencies.append(time.monotonic() - sent)
        self.acked_event.set()

    def refusal(self, message: dict) -> None:
        """An error: a change refused leaves the journal; one the server could not process
        goes again; after ``rate_limited`` (which names no seq) everything waiting goes again."""
        code = message.get("code", "?")
        self.outcome.errors[code] += 1
        loop = asyncio.get_running_loop()
        seq = message.get("seq")
        if code == "rate_limited":
            wait = (message.get("retry_after_ms") or 500) / 1000
            for waiting in sorted(self.pending):
                loop.call_later(wait, self.resend, waiting)
        elif seq in self.pending and code in REFUSALS:
            del self.pending[seq]
            self.first_sent.pop(seq, None)
            self.log.refused[seq] = code
            self.acked_event.set()
        elif seq in self.pending:
            loop.call_later(RESEND_AFTER, self.resend, seq)

    def finished(self, status: str) -> None:
        if self.log.submitted is None:
            self.log.submitted = status
        self.handed_in.set()

    # --- what the student does -----------------------------------------------------------------

    async def answer(self) -> int:
        seq = self.next_seq
        self.next_seq += 1
        item = self.items[(seq - 1) % len(self.items)]
        option = item["options"][seq % len(item["options"])]["id"]
        message = {"type": "answer", "seq": seq, "item": item["item"], "value": option}
        now = time.monotonic()
        self.pending[seq] = message
        self.first_sent[seq] = now
        if self.plan.keep_log:
            self.log.sent[seq] = (time.time(), message)
        if self.window_start <= now < self.window_end:
            self.outcome.offered += 1
        await self.send(message)
        return seq

    async def heartbeat(self) -> None:
        plan = self.plan
        step = min(1.0, plan.ping / 2)
        while not self.stopped:
            await asyncio.sleep(step * (1 + random.random()))
            ws = self.ws
            if ws is None:
                continue
            now = time.monotonic()
            silent = now - self.last_heard
            if plan.dead_after is not None and self.last_sent > self.last_heard and silent > plan.dead_after:
                # Silence while a reply is awaited: taken for dead, as the page does. Its close
                # handshake could not finish: the socket is dropped, and a new one opens.
                self.log.dead += 1
                self.outcome.errors["dead_connection"] += 1
                ws.transport.abort()
                continue
            if now - self.last_sent >= plan.ping:
                await self.send({"type": "ping"})

    async def until(self, instant: float) -> None:
        await asyncio.sleep(max(0.0, instant - time.monotonic()))

    async def work(self) -> None:
        """Answer in the window as the plan says, then wait for what is still unacknowledged
        (and hand the attempt in if the plan says so)."""
        plan = self.plan
        if plan.mode in ("storm", "release"):  # the form is what is measured: not waited for forever
            limit = self.window_start + plan.window + plan.grace + plan.open_timeout
            try:
                await asyncio.wait_for(self.formed.wait(), timeout=max(0.0, limit - time.monotonic()))
            except TimeoutError:
                self.outcome.errors["no_form"] += 1
                return
        await self.formed.wait()
        await self.until(self.window_start)
        if plan.mode == "closed":
            while time.monotonic() < self.window_end:
                if self.ws is None:
                    await asyncio.sleep(0.05)
                    continue
                self.acked_event.clear()
                await self.answer()
                while self.pending and time.monotonic() < self.window_end + plan.grace:
                    self.acked_event.clear()
                    try:
                        await asyncio.wait_for(self.acked_event.wait(), timeout=1.0)
                    except TimeoutError:
                        pass
        elif plan.mode == "open":
            await asyncio.sleep(random.uniform(0, plan.interval))
            while time.monotonic() < self.window_end:
                await self.answer()
                pause = plan.interval * random.uniform(1 - plan.jitter, 1 + plan.jitter)
                await asyncio.sleep(min(pause, max(0.0, self.window_end - time.monotonic())))  # not past the window
        elif plan.mode in ("storm", "release"):
            # the form received: one answer, as a student's first click, to prove the exam runs
            await self.answer()
        deadline = max(time.monotonic(), self.window_end) + plan.grace
        while self.pending and time.monotonic() < deadline:
            self.acked_event.clear()
            try:
                await asyncio.wait_for(self.acked_event.wait(), timeout=0.5)
            except TimeoutError:
                pass
        if plan.submit:
            await self.submit(deadline)

    async def submit(self, deadline: float) -> None:
        """Hand the attempt in once nothing waits (as the page does), until ``submitted``."""
        while not self.handed_in.is_set() and time.monotonic() < deadline:
            if self.ws is not None and not self.pending:
                self.submit_sent = True
                await self.send({"type": "submit"})
            try:
                await asyncio.wait_for(self.handed_in.wait(), timeout=2.0)
            except TimeoutError:
                pass


async def _run(seats: list[Seat], bases: list[str], plan: Plan, offset: int, control) -> Outcome:
    outcome = Outcome()
    loop = asyncio.get_running_loop()
    students = []
    connections = []

    def servers(n: int) -> list[str]:
        """Every base, this student's own first (the students are spread over the servers)."""
        first = (offset + n) % len(bases)
        return bases[first:] + bases[:first]

    if plan.mode != "storm":
        # Connect and start everyone before the window, at the ramp's pace.
        for n, seat in enumerate(seats):
            student = Student(seat, servers(n), plan, outcome, float("inf"))
            students.append(student)
            connections.append(asyncio.ensure_future(student.connection()))
            await asyncio.sleep(1 / plan.ramp)
        await asyncio.gather(*((s.waiting if plan.mode == "release" else s.formed).wait() for s in students))
        outcome.ready_at = time.time()
        outcome.form_times.clear()
        control.send(("ready", len(students)))
        wall_start = await loop.run_in_executor(None, control.recv)
        start = time.monotonic() + (wall_start - time.time())
        for student in students:
            student.window_start, student.window_end = start, start + plan.window
    else:
        control.send(("ready", 0))
        wall_start = await loop.run_in_executor(None, control.recv)
        start = time.monotonic() + (wall_start - time.time())
        for n, seat in enumerate(seats):
            student = Student(seat, servers(n), plan, outcome, start)
            student.window_end = start + plan.window
            students.append(student)

        async def later(student: Student, at: float) -> None:
            await student.until(at)
            await student.connection()

        for student in students:
            connections.append(asyncio.ensure_future(later(student, start + random.uniform(0, plan.storm))))
    cpu_before = time.process_time()
    beats = [asyncio.ensure_future(s.heartbeat()) for s in students]
    await asyncio.gather(*(s.work() for s in students))
    if plan.mode == "idle":
        await asyncio.sleep(max(0.0, students[0].window_end - time.monotonic()) if students else 0)
    outcome.cpu_seconds = time.process_time() - cpu_before
    for student in students:
        student.stopped = True
        outcome.unacked += len(student.pending)
        outcome.acked_seqs[student.seat.path] = student.acked_seqs
        if plan.keep_log:
            student.log.lost_at_end = student.lost_at is not None
            student.log.pending_at_end = len(student.pending)
            outcome.logs[student.seat.path] = student.log
    for beat in beats:
        beat.cancel()
    control.send(("done", 0))
    # Every socket closed at once: the mass disconnect the servers must survive without leaks.
    await asyncio.gather(*(s.ws.close() for s in students if s.ws is not None), return_exceptions=True)
    for connection in connections:
        connection.cancel()
    await asyncio.gather(*connections, return_exceptions=True)
    return outcome


def run_share(seats: list[Seat], bases: list[str], plan: Plan, offset: int, control) -> None:
    """One generator process: run ``seats`` and send the outcome back through ``control``."""
    outcome = asyncio.run(_run(seats, bases, plan, offset, control))
    control.send(("outcome", outcome))
