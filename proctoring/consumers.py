"""The live console's websocket: a room's (its proctors and the board) or a sitting's (the board).

On connecting the console joins the group of its room or sitting (``assess/events.py``) and
then gets its snapshot (``proctoring.console.snapshot``): an event committed in between is
both in the snapshot and heard after it, and applying it again changes nothing (every event
sets what it says, it adds nothing). From then on every event of the room or sitting is
forwarded as it is heard, from whichever server process made the change; the database is
read again only when the console asks for a snapshot (after a reconnect, or when an event
says its view is stale).

Client messages (JSON objects): ``{"type": "snapshot"}`` (the whole view again),
``{"type": "seen"}`` (when each candidate's connection was last heard from: the cache, not
the database) and ``{"type": "ping"}``. Server messages: ``snapshot``, ``event`` (``event``:
the event's wire form), ``events`` (``events``: several answers in order), ``seen``, ``pong``
and ``error``. See docs/proctoring.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import sessions
from assess import events, presence, ratelimit
from assess.consumers import CLOSE_FORBIDDEN, CLOSE_NOT_AUTHENTICATED, CLOSE_NOT_FOUND, PoolConsumer, db_thread

from . import console, services

logger = logging.getLogger(__name__)

SNAPSHOT_COST = 10  # a snapshot reads the database: it costs what ten other frames do


class ConsoleConsumer(PoolConsumer):
    sitting_id: int
    room_id: int | None = None
    attempt_ids: list[int]
    bucket: ratelimit.TokenBucket | None = None
    groups_joined: tuple[str, ...] = ()
    watching: asyncio.Future | None = None
    live = False

    async def connect(self) -> None:
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.fail("not_authenticated", _("Log in first."), CLOSE_NOT_AUTHENTICATED)
            return
        session_key = self.scope["session"].session_key
        await self.join(sessions.session_group(session_key))
        if not await db_thread(sessions.session_exists)(session_key):
            await self.fail("not_authenticated", _("Log in first."), CLOSE_NOT_AUTHENTICATED)
            return
        kwargs = self.scope["url_route"]["kwargs"]
        try:
            if "sitting_room_id" in kwargs:
                self.sitting_id, self.room_id = await db_thread(services.console_room)(
                    user=user, sitting_room_id=int(kwargs["sitting_room_id"])
                )
            else:
                self.sitting_id = await db_thread(services.console_sitting)(
                    user=user, sitting_id=int(kwargs["sitting_id"])
                )
        except ObjectDoesNotExist:
            await self.fail("not_found", _("There is no such room or sitting."), CLOSE_NOT_FOUND)
            return
        except PermissionDenied as exc:
            await self.fail("forbidden", str(exc), CLOSE_FORBIDDEN)
            return
        group = events.sitting_group(self.sitting_id) if self.room_id is None else events.room_group(self.room_id)
        # Marked as watched and joined before the snapshot, which waits until every server
        # process has read the mark: nothing committed after the snapshot is missed.
        try:
            await db_thread(events.watch)(group)
        except Exception:  # a failing cache: events go to every group meanwhile (assess.events)
            logger.exception("console of %s: mark not written at connect", group)
        await self.join(group)
        self.watching = asyncio.ensure_future(self.keep_watching(group))
        await asyncio.sleep(settings.CONSOLE_WATCH_REFRESH_SECONDS)
        self.bucket = ratelimit.new_bucket()
        self.live = True
        await self.send_snapshot()

    async def keep_watching(self, group: str) -> None:
        """Renew the group's mark while the console is open (``assess.events.watch``)."""
        while True:
            await asyncio.sleep(events.WATCH_SECONDS / 4)
            try:
                await db_thread(events.watch)(group)
            except Exception:  # the next renewal may succeed; the mark outlives three misses
                logger.exception("console of %s: mark not renewed", group)

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined += (group,)

    async def disconnect(self, code: int) -> None:
        self.live = False
        if self.watching is not None:
            self.watching.cancel()
        groups, self.groups_joined = self.groups_joined, ()
        for group in groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def fail(self, code: str, message: str, close: int) -> None:
        self.live = False
        await self.send_json({"type": "error", "code": code, "message": message})
        await self.disconnect(close)
        await self.close(code=close)

    async def send_json(self, content: dict) -> None:
        await self.send(text_data=json.dumps(content, ensure_ascii=False, separators=(",", ":")))

    async def send_snapshot(self) -> None:
        view = await db_thread(console.snapshot)(sitting_id=self.sitting_id, room_id=self.room_id)
        self.attempt_ids = [int(key) for key in view["attempts"]]
        seen = await db_thread(presence.seen)(self.attempt_ids)
        await self.send_json({"type": "snapshot", **view, "seen": {str(k): v for k, v in seen.items()}})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.live:
            return
        try:
            content = json.loads(text_data or "")
            kind = content.get("type") if isinstance(content, dict) else None
        except ValueError:
            kind = None
        cost = SNAPSHOT_COST if kind == "snapshot" else 1
        wait = self.bucket.take(cost, time.time())
        if wait:
            retry = ratelimit.retry_after_ms(wait)
            message = _("Too many messages: this one was not read. Send it again in %(ms)s ms.") % {"ms": retry}
            await self.send_json({"type": "error", "code": "rate_limited", "message": message, "retry_after_ms": retry})
            return
        if kind == "snapshot":
            await self.send_snapshot()
        elif kind == "seen":
            seen = await db_thread(presence.seen)(self.attempt_ids)
            await self.send_json({"type": "seen", "seen": {str(k): v for k, v in seen.items()}})
        elif kind == "ping":
            await self.send_json({"type": "pong", "server_time": timezone.now().isoformat()})
        else:
            await self.send_json(
                {"type": "error", "code": "unknown_type", "message": _("Send snapshot, seen or ping.")}
            )

    async def delivery_event(self, message: dict) -> None:
        """An event of the room or sitting (``assess/events.py``), from any process: forwarded."""
        if self.live:
            await self.send_json({"type": "event", "event": message["event"]})

    async def delivery_events(self, message: dict) -> None:
        """Candidates' answers gathered by one process (``assess.events.Gathered``): forwarded
        as one message, in order."""
        if self.live:
            await self.send_json({"type": "events", "events": message["events"]})

    async def session_ended(self, event: dict) -> None:
        await self.fail("logged_out", _("You have logged out. Log in again to continue."), CLOSE_NOT_AUTHENTICATED)
