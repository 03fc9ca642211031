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

Two costs of a start storm are cut (bench/RESULTS.md): a group is joined in one round trip
instead of two, and the pool's new connections share one ``DriverInfo`` (redis-py otherwise reads
its own version from the installed package's metadata for each: 0.46 against 0.02 ms).
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref

from channels_redis.core import RedisChannelLayer
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.driver_info import DriverInfo
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

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
