"""The Redis channel layer with a bounded, waiting connection pool.

channels-redis builds its pool with redis-py's ``ConnectionPool``, which raises
``MaxConnectionsError`` the moment every connection is in use. A lab's worth of sockets closing
at once makes two ``group_discard`` calls each (the session's and the attempt's groups): with
thousands in flight the pool ran dry and the discards failed, leaving memberships behind until
they expired. ``BlockingConnectionPool`` waits (up to ``pool_timeout`` seconds) for a
connection instead, so a burst queues at Redis's pace and nothing is left behind, while the
number of connections a process opens stays bounded by ``max_connections``.
"""

from __future__ import annotations

from channels_redis.core import RedisChannelLayer
from redis import asyncio as aioredis


class BoundedRedisChannelLayer(RedisChannelLayer):
    def create_pool(self, index: int) -> aioredis.BlockingConnectionPool:
        host = dict(self.hosts[index])
        address = host.pop("address")
        timeout = host.pop("pool_timeout", 30)
        return aioredis.BlockingConnectionPool.from_url(address, timeout=timeout, **host)
