"""Where each candidate's live connection is: kept in the cache (Redis with real services),
never in the database, written by the connection itself as it comes and goes.

One rule (``merged``) decides what a presence event does to what is known, for the store here
and for every console applying the same events: a connection that arrives is the candidate's
connection from then on (the takeover rule of ``assess.services.attempt_connect``), and a
connection that leaves counts only if it is still that one (an old window closing after the
candidate moved to a new PC does not mark them gone).
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache

from .events import Presence

KEEP_SECONDS = 24 * 3600  # longer than any sitting day


def _key(attempt_id: int) -> str:
    return f"presence.{attempt_id}"


def merged(current: dict[str, Any] | None, event: Presence) -> dict[str, Any] | None:
    """What is known of the attempt's connection after ``event`` (``current`` is not changed)."""
    if not event.connected and (current is None or current["token"] != event.token):
        return current
    return {"connected": event.connected, "token": event.token, "ip": event.ip, "at": event.at}


def note(event: Presence) -> None:
    """Keep what ``event`` says (a read and a write: two leaves of one attempt at once are the
    same connection's, and an arrival always wins)."""
    key = _key(event.attempt)
    if event.connected:
        beat(event.attempt, event.at)
    current = cache.get(key)
    after = merged(current, event)
    if after is not current:
        cache.set(key, after, KEEP_SECONDS)


def of(attempt_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The known connection of each attempt that has one, in one cache round trip."""
    found = cache.get_many([_key(attempt_id) for attempt_id in attempt_ids])
    return {attempt_id: found[_key(attempt_id)] for attempt_id in attempt_ids if _key(attempt_id) in found}


def _seen_key(attempt_id: int) -> str:
    return f"presence.seen.{attempt_id}"


def beat(attempt_id: int, at: str) -> None:
    """The candidate's connection was heard from at ``at`` (its heartbeat): kept apart from the
    connection itself, read by consoles now and then (``seen``) rather than pushed."""
    cache.set(_seen_key(attempt_id), at, KEEP_SECONDS)


def seen(attempt_ids: list[int]) -> dict[int, str]:
    """When each attempt's connection was last heard from, in one cache round trip."""
    found = cache.get_many([_seen_key(attempt_id) for attempt_id in attempt_ids])
    return {attempt_id: found[_seen_key(attempt_id)] for attempt_id in attempt_ids if _seen_key(attempt_id) in found}
