"""How fast a student's exam connection may send: a token bucket (docs/protocol.md, "Rate limit").

Every frame costs one token, taken before the frame is decoded; a message that brings the
whole state back (``sync``, ``start``) and opening a connection cost ``WS_RATE_STATE_COST``.
Tokens come back at ``WS_RATE_PER_SECOND`` up to ``WS_RATE_BURST``. A frame that finds too
few tokens is refused unread (``rate_limited``, with the time to wait). A connection that goes
on sending into refusals, more than a burst of them, or that has more frames waiting than its
tokens and refusals could ever cover, is closed, and leaves the student a burst's worth of
tokens in debt: the next connection waits until the debt is paid back.

The tokens belong to the student, not to one connection: a connection starts from the count
the student's connections last wrote to the cache (Redis when configured, so every server
process sees it), refilled since, and writes its own count back as it spends: after a
state's worth of tokens, at the first refusal, and when it closes. Reconnecting therefore
refills nothing, and a client that reconnects faster than the old connection's last write
gains less than the new connection costs. No message costs a cache round trip otherwise.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass
class TokenBucket:
    """``tokens`` out of ``capacity`` at wall-clock second ``at``; refilled at ``per_second``."""

    capacity: float
    per_second: float
    tokens: float
    at: float

    @classmethod
    def full(cls, capacity: float, per_second: float, now: float) -> TokenBucket:
        return cls(capacity=capacity, per_second=per_second, tokens=capacity, at=now)

    def refill(self, now: float) -> None:
        if now > self.at:  # a clock stepping back refills nothing and takes nothing
            self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.per_second)
            self.at = now

    def level(self, now: float) -> float:
        """The tokens there are at ``now``."""
        self.refill(now)
        return self.tokens

    def take(self, cost: float, now: float) -> float:
        """Take ``cost`` tokens and return 0, or take nothing and return the seconds to wait."""
        self.refill(now)
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.per_second


def retry_after_ms(wait: float) -> int:
    """A wait in seconds as the whole milliseconds a client is told to wait (never 0)."""
    return max(1, math.ceil(wait * 1000))


def _key(user_id: int) -> str:
    return f"ws-allowance:{user_id}"


def _ttl() -> int:
    """Seconds after which a stored allowance is full again anyway, so the cache may forget it."""
    return math.ceil(settings.WS_RATE_BURST / settings.WS_RATE_PER_SECOND) + 60


def new_bucket(now: float | None = None) -> TokenBucket:
    """A full bucket of the configured size (also counts a connection's refused frames)."""
    return TokenBucket.full(settings.WS_RATE_BURST, settings.WS_RATE_PER_SECOND, time.time() if now is None else now)


@dataclass
class Allowance:
    """A student's tokens while one connection holds them; ``save`` writes the count back."""

    user_id: int
    bucket: TokenBucket
    unsaved: float = 0.0  # tokens spent since the count was last written

    def take(self, cost: float, now: float | None = None) -> float:
        """As ``TokenBucket.take``."""
        wait = self.bucket.take(cost, time.time() if now is None else now)
        if not wait:
            self.unsaved += cost
        return wait

    def save_due(self, *, refused: bool) -> bool:
        """Write the count back after a state's worth of spending, or at a refusal after any."""
        return self.unsaved >= settings.WS_RATE_STATE_COST or (refused and self.unsaved > 0)

    def punish(self, now: float | None = None) -> float:
        """A connection closed for flooding leaves the student a burst's worth in debt; returns
        the seconds until a new connection is affordable."""
        now = time.time() if now is None else now
        self.bucket.tokens, self.bucket.at = -self.bucket.capacity, now
        self.unsaved = 1.0  # the debt must be written back
        return (settings.WS_RATE_STATE_COST - self.bucket.tokens) / self.bucket.per_second

    def save(self, now: float | None = None) -> None:
        self.bucket.refill(time.time() if now is None else now)
        cache.set(_key(self.user_id), (self.bucket.tokens, self.bucket.at), _ttl())
        self.unsaved = 0.0


def allowance_take(*, user_id: int, now: float | None = None) -> Allowance:
    """The student's tokens for a connection that opens: the last count written, refilled since."""
    now = time.time() if now is None else now
    bucket = new_bucket(now)
    stored = cache.get(_key(user_id))
    if isinstance(stored, tuple) and len(stored) == 2:
        bucket.tokens, bucket.at = min(float(stored[0]), bucket.capacity), float(stored[1])
        bucket.refill(now)
    return Allowance(user_id=user_id, bucket=bucket)


class RecentRefusals:
    """Sessions whose handshakes this process refused for the rate limit, until when.

    An economy only: a client reconnecting in a loop is then turned away before its session,
    its user or its count are read (config/middleware.py, ``WebsocketRateLimitGate``). A
    process that does not remember (another one, after a restart) asks the cache as usual, so
    forgetting changes nothing but the cost. Bounded: the oldest entries go first.
    """

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._until: OrderedDict[str, float] = OrderedDict()

    def note(self, session_key: str, until: float) -> None:
        self._until[session_key] = until
        self._until.move_to_end(session_key)
        while len(self._until) > self.size:
            self._until.popitem(last=False)

    def refused(self, session_key: str, now: float) -> bool:
        until = self._until.get(session_key)
        if until is None:
            return False
        if now >= until:
            del self._until[session_key]
            return False
        return True


recent_refusals = RecentRefusals()
