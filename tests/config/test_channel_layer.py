"""The channel layer under a crowd (config/channel_layer.py): calls beyond its pool wait their
turn instead of failing, and callers cancelled half-way lose no connection from the pool."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from django.conf import settings

from config.channel_layer import BoundedRedisChannelLayer

pytestmark = [pytest.mark.services]


def layer(max_connections: int) -> BoundedRedisChannelLayer:
    return BoundedRedisChannelLayer(
        hosts=[{"address": settings.REDIS_URL, "max_connections": max_connections, "pool_timeout": 30}],
        prefix=f"layer{uuid.uuid4().hex[:8]}",
    )


def in_use(channel_layer: BoundedRedisChannelLayer) -> int:
    pool = channel_layer.connection(0).connection_pool
    return len(pool._in_use_connections)


def test_a_crowd_of_calls_waits_for_its_turn_and_cancelled_callers_leak_nothing():
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    channel_layer = layer(max_connections=6)

    async def scenario() -> tuple[int, int, int]:
        channels = [f"specific.test!{n}" for n in range(400)]
        # 400 joins at once through a pool of 6: none fails
        await asyncio.gather(*(channel_layer.group_add("crowd", channel) for channel in channels))
        members = await channel_layer.connection(0).zcard(channel_layer._group_key("crowd"))
        # 400 leaves at once, half of their callers cancelled on the way (a storm's sockets)
        calls = [asyncio.ensure_future(channel_layer.group_discard("crowd", channel)) for channel in channels]
        await asyncio.sleep(0)
        for call in calls[::2]:
            call.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
        while channel_layer._running:  # the shielded calls finish by themselves
            await asyncio.sleep(0.01)
        left = await channel_layer.connection(0).zcard(channel_layer._group_key("crowd"))
        return members, left, in_use(channel_layer)

    members, left, still_in_use = asyncio.run(scenario())
    assert members == 400
    assert left == 0  # the cancelled callers' discards were done all the same
    assert still_in_use == 0  # every connection went back to the pool
