"""Django's Redis cache with its connection pools shared by the whole process.

Django keeps a cache object per thread and per asynchronous context (``django.core.cache.
caches`` is a context-local handler), and each ``RedisCache`` object builds its own client
and connection pool. A websocket consumer's database and cache work runs in worker threads,
each call in a copy of the consumer's context: every call got a fresh cache object, so a
fresh pool, so a new TCP connection to Redis (connect, health check) for a single GET or SET.
Under a start storm that was a large share of the servers' time. redis-py's pools are
thread-safe: here every cache object of the process uses the same client, one pool per server.
"""

from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

_clients: dict[tuple, RedisCacheClient] = {}
_lock = threading.Lock()


class SharedRedisCache(RedisCache):
    @cached_property
    def _cache(self) -> RedisCacheClient:
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            client = _clients.get(key)
            if client is None:
                # Connections that survive a Redis restart (as the channel layer's do).
                options = {
                    "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
                    "retry_on_error": [RedisConnectionError, RedisTimeoutError],
                    **self._options,
                }
                client = _clients[key] = self._class(self._servers, **options)
        return client
