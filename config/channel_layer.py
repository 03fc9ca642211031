"""The Redis channel layer, its calls bounded per process and never cut off half-way.

Two failures of channels-redis under a crowd, measured (bench/RESULTS.md, issue 12):

- its pool (redis-py's ``ConnectionPool``) raises ``MaxConnectionsError`` the moment every
  connection is in use: a lab's sockets closing at once make two ``group_discard`` calls each,
  and with thousands in flight the discards failed, leaving memberships behind;
- a call cancelled half-way (Daphne cancels the application of a connection that gave up,
  Channels the tasks of a consumer that stops) may be cancelled again while it hands its
  connection back, and the connection is lost to the pool; in a start storm of thousands the
  pool drained this way until every call failed with "No connection available".

So every call that is not the process's receive loop (``group_add``, ``group_discard``,
``group_send``, ``send``) takes a place among ``REDIS_MAX_CONNECTIONS`` less a few first (a burst
beyond waits its turn, at most ``REDIS_POOL_TIMEOUT`` seconds), and runs shielded: a caller that
is cancelled stops waiting, the call itself finishes and gives its connection back. The pool is
sized above the places, so it never runs dry. Connections survive a Redis restart (``retrying``).

Four costs of a start storm are cut (bench/RESULTS.md): a process reads its inbox up to
``RECEIVE_BATCH`` messages a round trip instead of one per four (``receive_single``); a group is
joined in one round trip instead of two; many groups are sent to at once in two round trips per Redis host instead of
four per group (``group_send_many``: a room of forty started together is forty events); and the
pool's new connections share one ``DriverInfo`` (redis-py otherwise reads its own version from
the installed package's metadata for each: 0.46 against 0.02 ms).
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import defaultdict, deque

from channels_redis.core import RedisChannelLayer
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.driver_info import DriverInfo
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Adds one message to each inbox (KEYS) that is below its capacity, as channels-redis's
# ``group_send`` does; ARGV: the messages, one per inbox, then the capacities, the time, the
# expiry in seconds. Returns how many inboxes were full.
_GROUP_SEND_LUA = """
local n = #KEYS
local now, expiry = ARGV[2 * n + 1], ARGV[2 * n + 2]
local full = 0
for i = 1, n do
  if redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[n + i]) then
    full = full + 1
  else
    redis.call('ZADD', KEYS[i], now, ARGV[i])
    redis.call('EXPIRE', KEYS[i], expiry)
  end
end
return full
"""
RECEIVE_BATCH = 200  # messages of a process's inbox read in one round trip, at most
RESERVED = 8  # connections kept out of the places: the receive loop's, and a margin
DRIVER = DriverInfo()  # what each connection tells Redis it is (CLIENT SETINFO), read once


def retrying() -> dict:
    """What makes a pooled connection survive a Redis restart: redis-py gives its connections
    no retry by default, so every connection idle in the pool failed its first command after
    one (``Connection closed by server``; bench/drills, redis-restart). With these a command
    on a broken connection reconnects and runs again, three times within about a second."""
    return {
        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
    }


class BoundedRedisChannelLayer(RedisChannelLayer):
    def __init__(self, hosts=None, **kwargs):
        super().__init__(hosts=hosts, **kwargs)
        first = self.hosts[0] if self.hosts else {}
        self.max_connections = int(first.get("max_connections", 200))
        self.wait_seconds = float(first.get("pool_timeout", 30))
        self._places: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )
        self._running: set[asyncio.Task] = set()
        self._held: dict[str, deque] = {}  # per inbox: messages read, in order, not yet handed out
        self._pulls: dict[str, asyncio.Task] = {}

    # --- receiving: a process's inbox read many messages at a time -------------------------

    async def receive_single(self, channel):
        """The next message of the process's inbox (``specific.<process>!``): channels-redis reads
        one per four round trips (a script, the pop, a backup copy and its removal), one after
        the other, so under load a process drains its inbox at the pace of its busy loop (a room's
        start: thousands of pushes queued for seconds). Here one pop takes up to
        ``RECEIVE_BATCH`` messages, held in order for the next calls. The read runs as a task of
        its own that a cancelled caller does not stop (the backup copy's purpose upstream): what
        it took is held for the next caller, never lost. Other channels: as upstream."""
        if "!" not in channel:
            return await super().receive_single(channel)
        held = self._held.setdefault(channel, deque())
        while not held:
            pull = self._pulls.get(channel)
            if pull is None or pull.done() or pull.get_loop() is not asyncio.get_running_loop():
                pull = self._pulls[channel] = asyncio.ensure_future(self._pull(channel, held))
                pull.add_done_callback(self._finished)
            await asyncio.shield(pull)
        return held.popleft()

    async def _pull(self, channel: str, held: deque) -> None:
        """Wait for the inbox's first message, then take what else waits (up to a batch)."""
        assert self.require_valid_channel_name(channel, receive=True), "Channel name invalid"
        key = self.prefix + channel
        connection = self.connection(self.consistent_hash(channel))
        first = None
        while first is None:
            first = await connection.bzpopmin(key, timeout=self.brpop_timeout)
        held.append(self._unpacked(channel, first[1]))
        try:
            more = await connection.zpopmin(key, RECEIVE_BATCH - 1)
        except Exception:  # the first is held; the rest wait in Redis for the next pull
            logger.exception("inbox %s: read after its first message failed", channel)
            return
        held.extend(self._unpacked(channel, member) for member, _score in more)

    async def flush(self):
        self._held.clear()
        return await super().flush()

    def _unpacked(self, channel: str, content: bytes) -> tuple:
        """(the channel or channels it is for, the message), as channels-redis unpacks it."""
        message = self.deserialize(content)
        return message.pop("__asgi_channel__", channel), message

    def create_pool(self, index: int) -> aioredis.ConnectionPool:
        host = {**retrying(), "driver_info": DRIVER, **self.hosts[index]}
        address = host.pop("address")
        host.pop("pool_timeout", None)
        return aioredis.ConnectionPool.from_url(address, **host)

    def places(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        found = self._places.get(loop)
        if found is None:
            reserved = min(RESERVED, self.max_connections // 2)
            found = self._places[loop] = asyncio.Semaphore(max(1, self.max_connections - reserved))
        return found

    async def _bounded(self, call, *args):
        places = self.places()

        async def run():
            async with asyncio.timeout(self.wait_seconds):
                await places.acquire()
            try:
                return await call(*args)
            finally:
                places.release()

        task = asyncio.ensure_future(run())
        self._running.add(task)
        task.add_done_callback(self._finished)
        return await asyncio.shield(task)

    def _finished(self, task: asyncio.Task) -> None:
        self._running.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: a caller cancelled meanwhile no longer will

    async def send(self, channel, message):
        return await self._bounded(super().send, channel, message)

    async def group_add(self, group, channel):
        return await self._bounded(self._group_add, group, channel)

    async def _group_add(self, group, channel):
        """channels-redis's ``group_add`` (the member with its time, the group's expiry renewed)
        in one round trip."""
        assert self.require_valid_group_name(group), "Group name not valid"
        assert self.require_valid_channel_name(channel), "Channel name not valid"
        key = self._group_key(group)
        connection = self.connection(self.consistent_hash(group))
        async with connection.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {channel: time.time()})
            pipe.expire(key, self.group_expiry)
            await pipe.execute()

    async def group_discard(self, group, channel):
        return await self._bounded(super().group_discard, group, channel)

    async def group_send(self, group, message):
        return await self._bounded(super().group_send, group, message)

    async def group_send_many(self, sends: list[tuple[str, dict]]) -> None:
        """``group_send`` of each (group, message), in one place and two pipelines per host."""
        return await self._bounded(self._group_send_many, sends)

    async def _group_send_many(self, sends: list[tuple[str, dict]]) -> None:
        """What channels-redis's ``group_send`` does for one group (the members read, expired
        ones and expired messages dropped, each member's message added within its inbox's
        capacity, by the same script), for many: the groups' members read in one pipeline per
        host of groups, the messages added in one pipeline per host of inboxes."""
        by_host: dict[int, list[tuple[str, dict]]] = defaultdict(list)
        for group, message in sends:
            assert self.require_valid_group_name(group), "Group name not valid"
            by_host[self.consistent_hash(group)].append((group, message))
        members: list[tuple[str, dict, list[str]]] = []
        for index, of_host in by_host.items():
            async with self.connection(index).pipeline(transaction=False) as pipe:
                for group, _message in of_host:
                    key = self._group_key(group)
                    pipe.zremrangebyscore(key, min=0, max=int(time.time()) - self.group_expiry)
                    pipe.zrange(key, 0, -1)
                read = await pipe.execute()
            for (group, message), names in zip(of_host, read[1::2], strict=True):
                members.append((group, message, [name.decode("utf8") for name in names]))
        scripts: dict[int, list[tuple[str, list, list]]] = defaultdict(list)
        for group, message, names in members:
            to_host, messages, capacities = self._map_channel_keys_to_connection(names, message)
            for index, keys in to_host.items():
                scripts[index].append((group, keys, [*(messages[k] for k in keys), *(capacities[k] for k in keys)]))
        for index, calls in scripts.items():
            async with self.connection(index).pipeline(transaction=False) as pipe:
                expired = int(time.time()) - int(self.expiry)
                for _group, keys, _args in calls:
                    for key in keys:
                        pipe.zremrangebyscore(key, min=0, max=expired)
                now = time.time()
                for order, (_group, keys, args) in enumerate(calls):  # a microsecond apart: in order
                    pipe.eval(_GROUP_SEND_LUA, len(keys), *keys, *args, now + order * 1e-6, self.expiry)
                results = await pipe.execute()
            for (group, _keys, _args), over in zip(calls, results[-len(calls) :], strict=True):
                if over:
                    logger.info("%s channels over capacity in group %s", over, group)
