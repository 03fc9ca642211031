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
- ``{"type": "ping"}``: ``pong``; anything else: an error message.

It checks no session, no deadline, no sequence rules, no rate limit, tells no console: it is
the ceiling the engine's figures are divided by (bench/load, ``--target reference``), measured
in the same run on the same machine. The tables are made by ``bench.load.targets``.
"""

from __future__ import annotations

import gc
import json
import os
import re
from urllib.parse import parse_qs

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

PATH = re.compile(r"^/ws/attempts/(\d+)/$")
POOL_SIZE = int(os.environ.get("REFERENCE_POOL_SIZE", "10"))

_pool: AsyncConnectionPool | None = None
_form: list[dict] | None = None


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
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    if scope["type"] == "websocket":
        await websocket(scope, receive, send)


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
        row = await (await conn.execute("SELECT token FROM ref_attempt WHERE id = %s", (attempt_id,))).fetchone()
        if row is None or row[0] != token:
            await send({"type": "websocket.close", "code": 4403})
            return
        await send({"type": "websocket.accept"})
        reply = await state(conn, attempt_id)
    await send({"type": "websocket.send", "text": json.dumps(reply)})
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
