"""The raw reference stack: the least a server can do for the exam's durable acknowledgement.

    REFERENCE_DATABASE_URL=postgresql://... uvicorn bench.reference.app:app
    REFERENCE_DATABASE_URL=postgresql://... daphne bench.reference.app:app

A bare ASGI application (no Django, no Channels, no channel layer) with an async PostgreSQL
pool (psycopg_pool), speaking the subset of docs/protocol.md the load generator uses:

- ``/ws/attempts/<id>/?token=<t>``: the attempt and its token are checked (one query); the
  state goes back (the form, about 20 KB, encoded once per process), as the engine's does;
- ``{"type": "start"}``: the attempt moves to ``in_progress`` (one statement), the state again;
- ``{"type": "answer", "seq", "item", "value"}``: ONE durable transaction, as the engine's
  answer: append the event to the history (``ON CONFLICT DO NOTHING``: a replayed seq is not
  written twice), upsert the latest answer unless a later seq holds it, ``synchronous_commit``
  on; then ``{"type": "ack", "seq", "item"}``, after the commit;
- ``{"type": "ping"}``: ``pong``; anything else: an error message;
- ``POST /release/<room>``: a proctor starting a room together (the release mode): the room's
  checked-in attempts move to ``in_progress`` and a ``NOTIFY`` in the same transaction tells
  every process; each reads the room's attempts once and pushes the state with the form to
  the sockets of that room it holds.

It checks no session, no deadline, no sequence rules, no rate limit, tells no console: it is
the ceiling the engine's figures are divided by (bench/load, ``--target reference``), measured
in the same run on the same machine. The tables are made by ``bench.load.targets``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import re
from urllib.parse import parse_qs

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

PATH = re.compile(r"^/ws/attempts/(\d+)/$")
RELEASE = re.compile(r"^/release/(\d+)$")
CHANNEL = "ref_release"
POOL_SIZE = int(os.environ.get("REFERENCE_POOL_SIZE", "10"))

_pool: AsyncConnectionPool | None = None
_form: list[dict] | None = None
_rooms: dict[int, dict[int, object]] = {}  # room -> attempt -> the socket's send, on this process
_listening: asyncio.Task | None = None


async def pool() -> AsyncConnectionPool:
    global _pool
    if _pool is None:
        _pool = AsyncConnectionPool(
            os.environ["REFERENCE_DATABASE_URL"], min_size=POOL_SIZE, max_size=POOL_SIZE, open=False
        )
        await _pool.open(wait=True)
    return _pool


async def form() -> list[dict]:
    """The form every candidate gets, read once per process (as the engine caches it)."""
    global _form
    if _form is None:
        async with (await pool()).connection() as conn:
            row = await (await conn.execute("SELECT content FROM ref_form WHERE id = 1")).fetchone()
        _form = row[0]
    return _form


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await pool()
                gc.freeze()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if _pool is not None:
                    await _pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http":
        await receive()
        status, body = 200, b"ok"
        released = RELEASE.match(scope["path"])
        if released is not None and scope["method"] == "POST":
            body = str(await release(int(released.group(1)))).encode()
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": body})
        return
    if scope["type"] == "websocket":
        await websocket(scope, receive, send)


async def release(room: int) -> int:
    """Start a room's checked-in attempts and tell every process: the number started."""
    async with (await pool()).connection() as conn, conn.transaction():
        cursor = await conn.execute(
            "UPDATE ref_attempt SET status = 'in_progress', started_at = now() WHERE room = %s AND status = 'checked_in'",
            (room,),
        )
        await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(room)))
    return cursor.rowcount


async def listen() -> None:
    """Push the state to this process's sockets of each room released (by any process)."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(os.environ["REFERENCE_DATABASE_URL"], autocommit=True) as conn:
        await conn.execute(f"LISTEN {CHANNEL}")
        async for notice in conn.notifies():
            room = int(notice.payload)
            sockets = dict(_rooms.get(room, {}))
            if not sockets:
                continue
            async with (await pool()).connection() as db:
                rows = await (
                    await db.execute("SELECT id, status, last_seq FROM ref_attempt WHERE room = %s", (room,))
                ).fetchall()
            items = await form()
            for attempt_id, status, last_seq in rows:
                send = sockets.get(attempt_id)
                if send is not None and status == "in_progress":
                    reply = {"type": "state", "status": status, "last_seq": last_seq, "items": items}
                    try:
                        await send({"type": "websocket.send", "text": json.dumps(reply)})
                    except Exception:  # closed meanwhile
                        pass


async def state(conn, attempt_id: int) -> dict:
    row = await (await conn.execute("SELECT status, last_seq FROM ref_attempt WHERE id = %s", (attempt_id,))).fetchone()
    status, last_seq = row
    return {
        "type": "state",
        "status": status,
        "last_seq": last_seq,
        "items": await form() if status == "in_progress" else [],
    }


async def websocket(scope, receive, send) -> None:
    await receive()  # websocket.connect
    match = PATH.match(scope["path"])
    token = parse_qs(scope.get("query_string", b"").decode()).get("token", [""])[0]
    if match is None:
        await send({"type": "websocket.close", "code": 4404})
        return
    attempt_id = int(match.group(1))
    database = await pool()
    async with database.connection() as conn:
        row = await (await conn.execute("SELECT token, room FROM ref_attempt WHERE id = %s", (attempt_id,))).fetchone()
        if row is None or row[0] != token:
            await send({"type": "websocket.close", "code": 4403})
            return
        await send({"type": "websocket.accept"})
        reply = await state(conn, attempt_id)
    room = row[1]
    if room:
        global _listening
        if _listening is None:
            _listening = asyncio.ensure_future(listen())
        _rooms.setdefault(room, {})[attempt_id] = send
    await send({"type": "websocket.send", "text": json.dumps(reply)})
    try:
        await serve(attempt_id, database, receive, send)
    finally:
        if room:
            _rooms.get(room, {}).pop(attempt_id, None)


async def serve(attempt_id: int, database: AsyncConnectionPool, receive, send) -> None:
    while True:
        event = await receive()
        if event["type"] == "websocket.disconnect":
            return
        try:
            message = json.loads(event.get("text") or event.get("bytes") or b"")
            kind = message["type"]
        except (ValueError, KeyError, TypeError):
            await send({"type": "websocket.send", "text": '{"type": "error", "code": "malformed"}'})
            continue
        if kind == "answer":
            seq, item, value = int(message["seq"]), int(message["item"]), message["value"]
            async with database.connection() as conn, conn.transaction():
                await conn.execute(
                    "INSERT INTO ref_event (attempt_id, seq, item, value) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    (attempt_id, seq, item, Jsonb(value)),
                )
                await conn.execute(
                    "INSERT INTO ref_answer (attempt_id, item, seq, value) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (attempt_id, item) DO UPDATE SET seq = EXCLUDED.seq, value = EXCLUDED.value"
                    " WHERE ref_answer.seq < EXCLUDED.seq",
                    (attempt_id, item, seq, Jsonb(value)),
                )
            reply = {"type": "ack", "seq": seq, "item": item}
        elif kind == "start":
            async with database.connection() as conn:
                await conn.execute(
                    "UPDATE ref_attempt SET status = 'in_progress', started_at = now()"
                    " WHERE id = %s AND status = 'scheduled'",
                    (attempt_id,),
                )
                reply = await state(conn, attempt_id)
        elif kind == "sync":
            async with database.connection() as conn:
                reply = await state(conn, attempt_id)
        elif kind == "ping":
            reply = {"type": "pong"}
        else:
            reply = {"type": "error", "code": "unknown_type"}
        await send({"type": "websocket.send", "text": json.dumps(reply)})
