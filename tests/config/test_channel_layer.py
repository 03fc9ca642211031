"""The channel layer under a crowd (config/channel_layer.py): calls beyond its pool wait their
turn instead of failing, and callers cancelled half-way lose no connection from the pool."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from django.conf import settings

from config.channel_layer import BoundedRedisChannelLayer

pytestmark = [pytest.mark.services]


def layer(max_connections: int, capacity: int = 100) -> BoundedRedisChannelLayer:
    return BoundedRedisChannelLayer(
        hosts=[{"address": settings.REDIS_URL, "max_connections": max_connections, "pool_timeout": 30}],
        prefix=f"layer{uuid.uuid4().hex[:8]}",
        capacity=capacity,
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


def test_a_group_is_joined_with_its_expiry_in_one_round_trip_and_heard_by_its_members():
    """``group_add`` sets the member and renews the group's expiry as channels-redis's own does,
    in one pipelined round trip; a message sent to the group reaches the member."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    channel_layer = layer(max_connections=6)

    async def scenario():
        channel = await channel_layer.new_channel()
        await channel_layer.group_add("room.1", channel)
        redis = channel_layer.connection(0)
        key = channel_layer._group_key("room.1")
        members = await redis.zrange(key, 0, -1)
        ttl = await redis.ttl(key)
        await channel_layer.group_send("room.1", {"type": "hello"})
        heard = await asyncio.wait_for(channel_layer.receive(channel), 5)
        await channel_layer.flush()
        return members, ttl, heard

    members, ttl, heard = asyncio.run(scenario())
    assert len(members) == 1
    assert 0 < ttl <= channel_layer.group_expiry
    assert heard == {"type": "hello"}


def test_a_release_s_pushes_to_every_socket_of_a_process_all_arrive():
    """A process's consumers share one inbox in Redis: a room-by-room release pushes one state
    to each of its candidates within seconds, before its loop reads them. All of them arrive
    (with channels-redis's capacity of 1,000 the rest were dropped without a word)."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    config = dict(settings.CHANNEL_LAYERS["default"]["CONFIG"], prefix=f"layer{uuid.uuid4().hex[:8]}")
    channel_layer = BoundedRedisChannelLayer(**config)
    candidates = 1500

    async def scenario() -> int:
        channels = [await channel_layer.new_channel() for _ in range(candidates)]
        await asyncio.gather(*(channel_layer.group_add(f"attempt.{n}", c) for n, c in enumerate(channels)))
        await asyncio.gather(*(channel_layer.group_send(f"attempt.{n}", {"type": "state"}) for n in range(candidates)))
        heard = await asyncio.gather(*(asyncio.wait_for(channel_layer.receive(c), 30) for c in channels))
        await channel_layer.flush()
        return sum(1 for message in heard if message == {"type": "state"})

    assert asyncio.run(scenario()) == candidates


def test_many_groups_sent_to_at_once_hear_what_each_would_alone_in_order():
    """``group_send_many`` (a room's start: an event per candidate) does what ``group_send`` does
    for each group: every member of a group hears its group's message, each once, the messages
    of one member in the order given, an empty group nothing; inboxes at capacity take none."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    channel_layer = layer(max_connections=6)

    async def scenario():
        one, two, three = [await channel_layer.new_channel() for _ in range(3)]
        await channel_layer.group_add("attempt.1", one)
        await channel_layer.group_add("attempt.2", two)
        await channel_layer.group_add("room.9", one)
        await channel_layer.group_add("room.9", three)
        await channel_layer.group_send_many(
            [
                ("attempt.1", {"type": "first"}),
                ("attempt.2", {"type": "only"}),
                ("attempt.1", {"type": "second"}),
                ("room.9", {"type": "room"}),
                ("attempt.7", {"type": "nobody"}),
                ("attempt.1", {"type": "third"}),
            ]
        )
        heard = {}
        for name, channel, count in (("one", one, 4), ("two", two, 1), ("three", three, 1)):
            heard[name] = [(await asyncio.wait_for(channel_layer.receive(channel), 5))["type"] for _ in range(count)]
        left = await channel_layer.connection(0).zcard(channel_layer.prefix + channel_layer.non_local_name(one))
        await channel_layer.flush()
        return heard, left

    heard, left = asyncio.run(scenario())
    assert heard == {"one": ["first", "second", "room", "third"], "two": ["only"], "three": ["room"]}
    assert left == 0


def test_a_full_inbox_takes_no_more_from_many_groups():
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    channel_layer = layer(max_connections=6, capacity=2)

    async def scenario():
        channel = await channel_layer.new_channel()
        await channel_layer.group_add("attempt.1", channel)
        await channel_layer.group_send_many([("attempt.1", {"type": "m", "n": n}) for n in range(5)])
        heard = [(await asyncio.wait_for(channel_layer.receive(channel), 5))["n"] for _ in range(2)]
        left = await channel_layer.connection(0).zcard(channel_layer.prefix + channel_layer.non_local_name(channel))
        await channel_layer.flush()
        return heard, left

    assert asyncio.run(scenario()) == ([0, 1], 0)


def test_a_process_s_inbox_is_read_in_batches_in_order_and_a_cancelled_reader_loses_nothing():
    """A process reads its inbox many messages a round trip (``receive_single``): every socket
    hears its own messages in the order sent, and a socket that stops listening while the read
    is under way (a candidate's page closing) costs no other socket its message."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    channel_layer = layer(max_connections=6, capacity=1000)

    async def scenario():
        leaving, staying = await channel_layer.new_channel(), await channel_layer.new_channel()
        waiting = asyncio.ensure_future(channel_layer.receive(leaving))
        await asyncio.sleep(0.2)  # its read of the inbox is waiting in Redis
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        for n in range(300):  # more than a batch
            await channel_layer.send(staying, {"type": "push", "n": n})
        heard = [(await asyncio.wait_for(channel_layer.receive(staying), 5))["n"] for _ in range(300)]
        await channel_layer.flush()
        return heard

    assert asyncio.run(scenario()) == list(range(300))
