"""Mass connects and disconnects on a real Daphne process leave nothing behind (issue 12, point 6).

A lab's sockets all close at once: every close makes two ``group_discard`` calls and a
presence note. With a channel-layer pool of only 4 Redis connections (production has 200 per
process), the burst must queue for connections, not fail: no ``MaxConnectionsError`` in the
server's log, no group membership left in Redis. Meanwhile HTTP requests and websocket work
share a database pool of 3 connections per process, and the process never holds more.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
import uuid

import pytest
import redis
import websockets
from django.conf import settings
from django.db import connection

from tests.factories import make_sitting, session_cookie
from tests.processes import daphne_process

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

STUDENTS = 150


APPLICATION = "churn-daphne"  # the server's connections say so (libpq reads PGAPPNAME)


def server_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APPLICATION])
        return cursor.fetchone()[0]


async def open_all(base: str, seats: list[tuple[int, str]]) -> list:
    async def one(attempt_id: int, cookie: str):
        ws = await websockets.connect(
            f"{base.replace('http', 'ws')}/ws/attempts/{attempt_id}/",
            additional_headers={"Cookie": cookie},
            origin=base,
            open_timeout=60,
            max_size=2**22,
        )
        while json.loads(await ws.recv())["type"] != "state":
            pass
        return ws

    return await asyncio.gather(*(one(*seat) for seat in seats))


async def http_storm(base: str, cookies: list[str], during: float) -> list[int]:
    """Students read their attempts over REST, many at once, while the sockets churn."""
    loop = asyncio.get_running_loop()

    def get(cookie: str) -> int:
        request = urllib.request.Request(f"{base}/api/me/attempts/", headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status

    statuses: list[int] = []
    deadline = loop.time() + during
    while loop.time() < deadline:
        statuses += await asyncio.gather(*(loop.run_in_executor(None, get, cookie) for cookie in cookies[:40]))
    return statuses


def test_a_lab_closing_at_once_leaves_no_group_behind_and_the_pools_hold(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the database pool is PostgreSQL's")
    sitting = make_sitting(n_items=3, n_students=STUDENTS)
    seats = [(a.pk, session_cookie(a.student)) for a in sitting.attempts.select_related("student")]
    prefix = f"churn{uuid.uuid4().hex[:8]}"
    env = {
        "REDIS_MAX_CONNECTIONS": "4",
        "REDIS_POOL_TIMEOUT": "60",
        "CHANNEL_PREFIX": prefix,
        "DB_POOL_MAX_SIZE": "3",
        "DB_POOL_MIN_SIZE": "1",
        "DB_THREADS": "8",
        "LOG_LEVEL": "INFO",
        "PGAPPNAME": APPLICATION,
    }
    with daphne_process(tmp_path, "churn", **env) as base:

        async def scenario() -> tuple[list[int], int]:
            peak, done = 0, False

            def sample() -> None:  # the server's connections, every 20 ms throughout
                nonlocal peak
                while not done:
                    peak = max(peak, server_backends())
                    time.sleep(0.02)

            sampler = asyncio.ensure_future(asyncio.to_thread(sample))
            try:
                sockets = await open_all(base, seats)
                for round_ in range(2):  # connect all, close all at once, twice
                    storm = asyncio.ensure_future(http_storm(base, [cookie for _, cookie in seats], during=2.0))
                    await asyncio.gather(*(ws.close() for ws in sockets))
                    statuses = await storm
                    if round_ == 0:
                        sockets = await open_all(base, seats)
            finally:
                done = True  # the sampler's thread ends, whatever happened
                await sampler
            return statuses, peak

        statuses, peak = asyncio.run(scenario())
        log = (tmp_path / "churn.log").read_text(errors="replace")
        # every membership removed: the groups' sorted sets are gone or empty
        client = redis.Redis.from_url(settings.REDIS_URL)
        left = 0
        for _ in range(50):
            left = sum(client.zcard(key) for key in client.scan_iter(f"{prefix}:group:*"))
            if left == 0:
                break
            time.sleep(0.2)
    assert "MaxConnectionsError" not in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert left == 0, f"{left} group memberships left behind"
    assert statuses and set(statuses) == {200}
    # the process never held more than its pool's 3 connections
    assert 1 <= peak <= 3
