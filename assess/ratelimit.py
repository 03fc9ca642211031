"""How fast a student's exam connection may send: a token bucket (docs/protocol.md, "Rate limit").

Every frame costs one token, taken before the frame is decoded; a message that brings the
whole state back (``sync``, ``start``) and opening a connection cost ``WS_RATE_STATE_COST``.
Tokens come back at ``WS_RATE_PER_SECOND`` up to ``WS_RATE_BURST``. A frame that finds too
few tokens is refused unread (``rate_limited``, with the time to wait); a connection that
goes on sending into refusals, more than a burst of them, is closed.

The tokens belong to the student, not to one connection: a connection starts from what the
student's last connection left in the cache (Redis when configured, so every server process
sees it), refilled since, and puts back what it has left when it closes. Reconnecting
therefore refills nothing; while it lives, the count is the connection's own, so no message
costs a cache round trip. Connections open side by side (a takeover, a second attempt) each
start from the same stored count: the few a student can hold at once bound what that gives.
"""

from __future__ import annotations

import math
import time
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


def allowance_take(*, user_id: int, now: float | None = None) -> TokenBucket:
    """The student's tokens for a connection that opens: what the last one left, refilled since."""
    now = time.time() if now is None else now
    bucket = new_bucket(now)
    stored = cache.get(_key(user_id))
    if isinstance(stored, tuple) and len(stored) == 2:
        bucket.tokens, bucket.at = min(float(stored[0]), bucket.capacity), float(stored[1])
        bucket.refill(now)
    return bucket


def allowance_return(*, user_id: int, bucket: TokenBucket, now: float | None = None) -> None:
    """Put back what a closing connection has left."""
    now = time.time() if now is None else now
    bucket.refill(now)
    cache.set(_key(user_id), (bucket.tokens, bucket.at), _ttl())
