"""Admission of exam connections: a bounded number of openings at work per server process.

Opening an exam connection costs about twenty milliseconds of a server process's CPU (the
session and user loaded, the groups joined, the attempt locked and read, its state sent), and
a process has one core. When a crowd connects faster than that (a lab's PCs switched on
together, a sitting's ten thousand candidates in a minute, a node restarted), every opening
started at once would share the core with the rest: each would take minutes, the channel
layer's places would run out under them, and the answers of the candidates already writing
would queue behind them. So at most ``WS_OPENINGS_AT_WORK`` openings work at a time in a
process; the others wait their turn, first come first served, at no cost but a future. One
that would wait longer than ``WS_OPENING_WAIT`` seconds (foreseen from the queue ahead of it
and the pace openings finish at, or found when its wait runs out) is refused: the consumer
tells the page the server is busy and when to come back (``retry_after_ms``), and closes 4503.
Nothing of the attempt is touched by a refused opening.

The gate belongs to one event loop (a server process has one; the tests make many).
"""

from __future__ import annotations

import asyncio
import collections
import time
import weakref
from contextlib import asynccontextmanager

from django.conf import settings

from config import metrics

# How long the pace of finished openings is measured over, in seconds; from how many of
# them at least, spread over at least how long.
PACE_WINDOW = 10.0
PACE_SAMPLES = 8
PACE_SPAN_MIN = 0.1
# A refused opening is told to come back after at least this long, and at most the other.
RETRY_AFTER_MIN = 1.0
RETRY_AFTER_MAX = 60.0


class Busy(Exception):
    """The opening cannot begin within ``WS_OPENING_WAIT``; come back after ``retry_after``."""

    def __init__(self, retry_after: float):
        super().__init__(f"come back in {retry_after:.1f} s")
        self.retry_after = retry_after


class Gate:
    """At most ``limit`` openings at work; the others wait, for at most ``wait`` seconds."""

    def __init__(self, limit: int, wait: float, clock=time.monotonic):
        self.limit = limit
        self.wait = wait
        self.clock = clock
        self.at_work = 0  # places held, a place passed to a waiting opening included
        self.waiting = 0  # openings waiting for a place
        # Their turns, first come first served; a turn given up (its wait ran out) stays here,
        # done, until it reaches the front and is skipped.
        self.queue: collections.deque[asyncio.Future] = collections.deque()
        self.finished: collections.deque[float] = collections.deque()  # when each recent opening ended

    def pace(self) -> float:
        """Openings finished a second over the last ``PACE_WINDOW`` seconds; 0 (unknown) with
        fewer than ``PACE_SAMPLES`` of them (a process just started, a quiet one)."""
        now = self.clock()
        while self.finished and self.finished[0] < now - PACE_WINDOW:
            self.finished.popleft()
        if len(self.finished) < PACE_SAMPLES:
            return 0.0
        return (len(self.finished) - 1) / max(PACE_SPAN_MIN, self.finished[-1] - self.finished[0])

    def foreseen_wait(self, ahead: int) -> float | None:
        """Seconds an opening with ``ahead`` others waiting before it should wait (None: unknown)."""
        pace = self.pace()
        return (ahead + 1) / pace if pace else None

    def retry_after(self) -> float:
        """When a refused opening should come back: once the queue of now has gone through."""
        foreseen = self.foreseen_wait(self.waiting)
        return min(RETRY_AFTER_MAX, max(RETRY_AFTER_MIN, foreseen if foreseen is not None else self.wait))

    @asynccontextmanager
    async def opening(self):
        """Hold one of the places at work for the body; raise ``Busy`` instead of waiting too long."""
        if self.at_work < self.limit and not self.waiting:
            self.at_work += 1
        else:
            foreseen = self.foreseen_wait(self.waiting)
            if foreseen is not None and foreseen > self.wait:
                raise Busy(self.retry_after())
            await self._queue_up()  # returns holding the place its predecessor passed on
        try:
            yield
        finally:
            self.finished.append(self.clock())
            self._pass_on()

    async def _queue_up(self) -> None:
        turn = asyncio.get_running_loop().create_future()
        self.queue.append(turn)
        self.waiting += 1
        metrics.openings_waiting(+1)
        try:
            async with asyncio.timeout(self.wait):
                await turn
        except TimeoutError:
            if turn.done() and not turn.cancelled():  # its turn came just as the wait ran out
                return
            raise Busy(self.retry_after()) from None
        except asyncio.CancelledError:  # the connection went while it waited
            if turn.done() and not turn.cancelled():  # handed a place it will not use: pass it on
                self._pass_on()
            raise
        finally:
            turn.cancel()  # no-op once it has its result; else _pass_on skips it
            self.waiting -= 1
            metrics.openings_waiting(-1)

    def _pass_on(self) -> None:
        """A place at work is given up: to the first opening still waiting, or back to the gate."""
        while self.queue:
            turn = self.queue.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self.at_work -= 1


_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Gate] = weakref.WeakKeyDictionary()


def gate() -> Gate:
    """This event loop's gate, as the settings of now have it."""
    loop = asyncio.get_running_loop()
    current = _gates.get(loop)
    limit, wait = settings.WS_OPENINGS_AT_WORK, float(settings.WS_OPENING_WAIT)
    if current is None or (current.limit, current.wait) != (limit, wait):
        current = _gates[loop] = Gate(limit, wait)
    return current
