"""Where each candidate's live connection is: kept in the cache (Redis with real services),
never in the database, written by the connection itself as it comes and goes.

One rule (``merged``) decides what a presence event does to what is known, for the store here
and for every console applying the same events: a connection that arrives is the candidate's
connection from then on (the takeover rule of ``assess.services.attempt_connect``), and a
connection that leaves counts only if it is still that one (an old window closing after the
candidate moved to a new PC does not mark them gone).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from asgiref.sync import sync_to_async
from django.core.cache import cache

from .events import Presence

logger = logging.getLogger(__name__)

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


def beats(heard: dict[int, str]) -> None:
    """Many heartbeats at once (``Beats``): one cache round trip."""
    cache.set_many({_seen_key(attempt_id): at for attempt_id, at in heard.items()}, KEEP_SECONDS)


class Beats:
    """The heartbeats of one server process's connections, written together once a second.

    Thousands of idle candidates each ping every few seconds; one cache write (and one worker
    thread) per heartbeat made idle connections the largest cost of a quiet exam. A console
    reads "last heard" every few seconds, so a second's delay changes nothing it shows.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: dict[int, str] = {}
        self.due: asyncio.TimerHandle | None = None
        self.writing: set[asyncio.Future] = set()

    def note(self, attempt_id: int, at: str) -> None:
        self.waiting[attempt_id] = at
        if self.due is None:
            self.due = self.loop.call_later(BEATS_FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        self.due = None
        heard, self.waiting = self.waiting, {}
        if heard:
            future = asyncio.ensure_future(sync_to_async(_write_beats, thread_sensitive=False)(heard))
            self.writing.add(future)
            future.add_done_callback(self.writing.discard)


def _write_beats(heard: dict[int, str]) -> None:
    try:
        beats(heard)
    except Exception:  # the next heartbeats write them again; "last heard" only ages meanwhile
        logger.exception("%d heartbeats not kept", len(heard))


BEATS_FLUSH_SECONDS = 1.0
_beats: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Beats] = weakref.WeakKeyDictionary()


def beats_of_this_process() -> Beats:
    loop = asyncio.get_running_loop()
    found = _beats.get(loop)
    if found is None:
        found = _beats[loop] = Beats(loop)
    return found


def seen(attempt_ids: list[int]) -> dict[int, str]:
    """When each attempt's connection was last heard from, in one cache round trip."""
    found = cache.get_many([_seen_key(attempt_id) for attempt_id in attempt_ids])
    return {attempt_id: found[_seen_key(attempt_id)] for attempt_id in attempt_ids if _seen_key(attempt_id) in found}
