"""Every cache object of a process shares one Redis client and pool (config/cache.py): a
consumer's calls, each in a worker thread and a copy of its context, no longer open a
connection each."""

from __future__ import annotations

import asyncio
import threading

from asgiref.sync import sync_to_async

from config.cache import SharedRedisCache

LOCATION = "redis://127.0.0.1:6379/15"


def test_cache_objects_of_every_thread_and_context_share_one_client_and_pool():
    made = []

    def make() -> None:
        made.append(SharedRedisCache(LOCATION, {}))

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    async def in_contexts() -> None:
        for _ in range(3):
            await sync_to_async(make, thread_sensitive=False)()

    asyncio.run(in_contexts())
    clients = {id(cache._cache) for cache in made}
    assert len(made) == 7 and len(clients) == 1
    client = made[0]._cache
    assert client._get_connection_pool(write=True) is made[-1]._cache._get_connection_pool(write=True)
    # another server or other options: a client of its own
    assert SharedRedisCache("redis://127.0.0.1:6379/14", {})._cache is not client
