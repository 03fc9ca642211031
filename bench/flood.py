"""Benchmark: do flooding sockets move honest students' acknowledgement latency?

    python bench/flood.py [--honest 50] [--interval 1.0] [--flooders 8] [--seconds 20]

Honest students (one websocket each, to real Daphne processes) answer at a steady rate, one
answer every ``--interval`` seconds each, and time every acknowledgement. Three phases of
``--seconds`` each: the honest students alone; with ``--flooders`` other students sending
answers as fast as their sockets take them (replies read but never waited for); with as many
sending ``sync`` as fast as they can. A flooder whose connection is closed reconnects at once,
as an attacker would. The flooders run in a process of their own, so that their work does not
delay the honest clients' event loop (they share the machine's cores all the same).

Prints, per phase: the honest acks' p50/p99/max latency, what the flooders sent and what the
server did with it (stored answers, states sent, refusals, closes, refused reconnects) and
the servers' CPU. Same environment rules as bench/load: with DATABASE_URL and
REDIS_URL, PostgreSQL (a throw-away `<name>_bench` database) and Redis with 2 Daphne
processes; without, SQLite and the in-memory layer in 1 process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import measure, targets  # noqa: E402  (environment, servers, percentiles)

PHASES = ("honest only", "+ answer flood", "+ sync flood")


async def _open(client: dict, port: int):
    import websockets

    return await websockets.connect(
        f"ws://127.0.0.1:{port}/ws/attempts/{client['attempt']}/",
        additional_headers={"Cookie": client["cookie"]},
        origin=f"http://127.0.0.1:{port}",
        open_timeout=60,
        max_size=2**22,
    )


# --- honest students ------------------------------------------------------------------------


async def honest_student(
    client: dict, port: int, interval: float, stop_at: float, phase_of, samples: dict, errors: list
) -> None:
    """Answer every ``interval`` seconds (a steady schedule, random phase); time each ack."""
    ws = await _open(client, port)
    try:

        async def next_of(*kinds: str) -> dict:
            while True:
                message = json.loads(await ws.recv())
                if message["type"] in kinds or message["type"] == "error":
                    return message

        await next_of("state")
        await ws.send(json.dumps({"type": "start"}))
        state = await next_of("state")
        n_items = len(state["items"])
        seq = state["last_seq"]
        due = time.perf_counter() + random.uniform(0, interval)
        while True:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if time.perf_counter() >= stop_at:
                return
            seq += 1
            item = state["items"][(seq - 1) % n_items]
            option = item["options"][seq % len(item["options"])]["id"]  # the form's own ids
            frame = json.dumps({"type": "answer", "seq": seq, "item": item["item"], "value": option})
            sent = time.perf_counter()
            phase = phase_of(sent)
            while True:
                await ws.send(frame)
                reply = await next_of("ack")
                if reply.get("code") != "rate_limited":
                    break
                errors.append("rate_limited")  # an honest client must never see this
                await asyncio.sleep(reply["retry_after_ms"] / 1000)
            if reply["type"] == "ack":
                if phase is not None:
                    samples[phase].append(time.perf_counter() - sent)
            else:
                errors.append(reply["code"])
            due += interval
    finally:
        await ws.close()


# --- flooders (a process of their own) --------------------------------------------------------
#
# A flooder must cost this machine little, as a real one runs on another PC: it speaks the
# websocket protocol over a raw socket, writes frames built with a zero mask (the payload goes
# as it is) in 64 KiB blocks, and reads the replies only to count them.

CLOSE_RATE_LIMITED = (4429).to_bytes(2, "big")


def _client_frame(payload: bytes) -> bytes:
    """A masked text frame (RFC 6455) with a zero masking key."""
    size = len(payload)
    if size < 126:
        header = bytes([0x81, 0x80 | size])
    else:
        header = bytes([0x81, 0x80 | 126]) + size.to_bytes(2, "big")
    return header + b"\0\0\0\0" + payload


def _frame(kind: str, seq: int, options: dict[int, list[str]]) -> bytes:
    """An answer (valid: an option id the form shows, so that every one the server reads is
    stored) or a sync."""
    if kind == "answer":
        position = seq % 5 + 1
        ids = options[position]
        value = ids[seq % len(ids)].encode()
        return _client_frame(b'{"type":"answer","seq":%d,"item":%d,"value":"%s"}' % (seq, position, value))
    return _client_frame(b'{"type":"sync"}')


def _frames(kind: str, seq: int, count: int, options: dict[int, list[str]]) -> tuple[bytes, int]:
    """``count`` answer frames (increasing seq) or sync frames; returns (bytes, next seq)."""
    frames = [_frame(kind, seq + i if kind == "answer" else seq, options) for i in range(count)]
    return b"".join(frames), seq + count if kind == "answer" else seq


class _Replies:
    """Counts the server's frames on a flooder's socket (unmasked, RFC 6455)."""

    def __init__(self, counts: dict) -> None:
        self.counts, self.buffer, self.opened, self.close_code = counts, b"", False, None
        self.replies = 0  # text frames received
        self.arrived = asyncio.Event()

    def feed(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 2:
            opcode, size = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F
            start = 2
            if size == 126:
                size, start = int.from_bytes(self.buffer[2:4], "big"), 4
            elif size == 127:
                size, start = int.from_bytes(self.buffer[2:10], "big"), 10
            if len(self.buffer) < start + size:
                return
            payload, self.buffer = self.buffer[start : start + size], self.buffer[start + size :]
            if opcode == 0x8:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
            elif opcode == 0x1:
                self.replies += 1
                self.arrived.set()
                head = payload[:40]
                if head.startswith(b'{"type":"ack"'):
                    self.counts["acks"] += 1
                elif head.startswith(b'{"type":"state"'):
                    self.counts["states"] += 1
                    self.opened = True
                elif b'"rate_limited"' in payload[:60]:
                    self.counts["refused"] += 1
                elif head.startswith(b'{"type":"error"'):
                    self.counts["other_errors"] += 1


async def _handshake(client: dict, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytes]:
    import base64

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /ws/attempts/{client['attempt']}/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Origin: http://127.0.0.1:{port}\r\nCookie: {client['cookie']}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = await reader.read(4096)
        if not chunk:
            raise ConnectionError("closed during the handshake")
        response += chunk
    head, _, rest = response.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise ConnectionError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
    return reader, writer, rest


async def _flooder(client: dict, port: int, kind: str, window: int, stop_at: float, counts: dict) -> None:
    """Flood one student's attempt until ``stop_at``, reconnecting whenever the server closes.

    ``window`` 0: write 64 KiB blocks of frames as fast as TCP takes them (line rate). Else keep
    at most ``window`` frames without a reply: as fast as the server answers.
    """
    seq = 10**6  # well clear of anything else
    while time.perf_counter() < stop_at:
        try:
            reader, writer, rest = await _handshake(client, port)
        except (ConnectionError, OSError):
            counts["failed_connects"] += 1
            await asyncio.sleep(0.05)
            continue
        counts["connects"] += 1
        replies = _Replies(counts)
        replies.feed(rest)

        async def read(reader=reader, replies=replies) -> None:
            while True:
                data = await reader.read(65536)
                if not data:
                    return
                replies.feed(data)

        reading = asyncio.ensure_future(read())
        sent = 0
        try:
            writer.write(_client_frame(b'{"type":"start"}'))
            while not reading.done() and replies.close_code is None and time.perf_counter() < stop_at:
                if not window:  # about 64 KiB at a time, as fast as TCP takes them
                    block, seq = _frames(kind, seq, 1200, client["options"])
                    writer.write(block)
                    counts["sent"] += 1200
                    await writer.drain()
                    continue
                room = window - (sent - replies.replies)
                if room > 0:
                    block, seq = _frames(kind, seq, room, client["options"])
                    writer.write(block)
                    sent += room
                    counts["sent"] += room
                    await writer.drain()
                else:
                    replies.arrived.clear()
                    try:
                        await asyncio.wait_for(replies.arrived.wait(), timeout=1.0)
                    except TimeoutError:
                        pass
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            reading.cancel()
            if replies.close_code == 4429:
                counts["closed_4429" if replies.opened else "refused_connects"] += 1


def flood_process(
    clients: list[dict], ports: list[int], kind: str, window: int, start_at: float, stop_at: float, out
) -> None:
    """Entry point of the flooders' process: wait for ``start_at``, flood until ``stop_at``."""

    async def run() -> dict:
        counts = dict.fromkeys(
            (
                "sent",
                "acks",
                "states",
                "refused",
                "other_errors",
                "closed_4429",
                "connects",
                "refused_connects",
                "failed_connects",
            ),
            0,
        )
        await asyncio.sleep(max(0.0, start_at - time.time()))
        stop = time.perf_counter() + (stop_at - time.time())
        await asyncio.gather(
            *(_flooder(client, ports[i % len(ports)], kind, window, stop, counts) for i, client in enumerate(clients))
        )
        return counts

    out.put((kind, asyncio.run(run())))


# --- the run ------------------------------------------------------------------------------------


def _shown_options(attempt_id: int) -> dict[int, list[str]]:
    """Position -> the option ids a student of this attempt is shown (the form's own)."""
    from assess import selectors
    from assess.models import Attempt

    form_id = Attempt.objects.values_list("form_id", flat=True).get(pk=attempt_id)
    return {item["item"]: [o["id"] for o in item["options"]] for item in selectors.form_content(form_id)}


def build_state(n_students: int, n_items: int) -> list[dict]:
    """A sitting of ``n_students`` logged in (a session each), in the throw-away database."""
    import django

    django.setup()
    from django.core.management import call_command

    from tests.factories import make_sitting, session_cookie

    call_command("migrate", verbosity=0)
    sitting = make_sitting(n_items=n_items, n_students=n_students)
    return [
        {"attempt": attempt.pk, "cookie": session_cookie(attempt.student)}
        for attempt in sitting.attempts.select_related("student")
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--honest", type=int, default=50, help="honest students")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between an honest student's answers")
    parser.add_argument("--flooders", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument(
        "--window",
        type=int,
        default=64,
        help="frames a flooder keeps without a reply (as fast as the server answers); 0: line rate",
    )
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--servers", type=int, default=None, help="Daphne processes (default 2 with Redis, else 1)")
    args = parser.parse_args()

    database_url = targets.throwaway_database("bench")
    mode = "services" if os.environ.get("REDIS_URL") else "embedded"
    servers_count = args.servers or (2 if mode == "services" else 1)
    if mode == "embedded" and servers_count > 1:
        parser.error("several server processes need REDIS_URL (the in-memory layer is per process)")
    clients = build_state(args.honest + 2 * args.flooders, args.items)
    for client in clients[args.honest :]:  # flooders learn the form's option ids from its student view
        client["options"] = _shown_options(client["attempt"])
    honest, answer_flooders, sync_flooders = (
        clients[: args.honest],
        clients[args.honest : args.honest + args.flooders],
        clients[args.honest + args.flooders :],
    )
    log_dir = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    servers = targets.engine_servers(servers_count, dict(os.environ), log_dir)
    ports = [port for _, port in servers]
    samples: dict[int, list[float]] = {i: [] for i in range(len(PHASES))}
    errors: list[str] = []
    flood_counts: dict[int, dict] = {}
    cpu: dict[int, float] = {}
    try:
        warmup = 3.0
        began = time.time() + warmup
        bounds = [began + i * args.seconds for i in range(len(PHASES) + 1)]
        stop_perf = time.perf_counter() + (bounds[-1] - time.time())

        def phase_of(perf: float) -> int | None:
            wall = time.time() - (time.perf_counter() - perf)
            for index in range(len(PHASES)):
                # leave out the first second of a phase (flooders connecting, the previous draining)
                if bounds[index] + 1.0 <= wall < bounds[index + 1]:
                    return index
            return None

        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        floods = [
            context.Process(
                target=flood_process, args=(group, ports, kind, args.window, bounds[i], bounds[i + 1], queue)
            )
            for i, (group, kind) in ((1, (answer_flooders, "answer")), (2, (sync_flooders, "sync")))
        ]
        for process in floods:
            process.start()

        async def run_honest() -> None:
            async def cpu_marks() -> None:
                for index in range(len(PHASES) + 1):
                    await asyncio.sleep(max(0.0, bounds[index] - time.time()))
                    cpu[index] = sum(measure.cpu_seconds(p.pid) for p, _ in servers)

            await asyncio.gather(
                cpu_marks(),
                *(
                    honest_student(client, ports[i % len(ports)], args.interval, stop_perf, phase_of, samples, errors)
                    for i, client in enumerate(honest)
                ),
            )

        asyncio.run(run_honest())
        for _ in floods:
            kind, counts = queue.get(timeout=120)
            flood_counts[1 if kind == "answer" else 2] = counts
        for process in floods:
            process.join(timeout=30)
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=10)

    print(
        f"machine  : {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"mode     : {mode}, database {database_url.split('://')[0]}, {servers_count} Daphne process(es)")
    print(
        f"load     : {args.honest} honest students, one answer every {args.interval:g} s each; "
        f"{args.flooders} flooders "
        + (f"(at most {args.window} frames without a reply)" if args.window else "(line rate, replies not awaited)")
        + f"; phases of {args.seconds:g} s (first second of each left out)"
    )
    print(f"honest errors: {len(errors)} {sorted(set(errors))}")
    for index, name in enumerate(PHASES):
        lat = [x * 1000 for x in samples[index]]
        server_cpu = (cpu.get(index + 1, 0) - cpu.get(index, 0)) / args.seconds
        line = (
            f"{name:<15}: honest acks {len(lat):5d}, p50 {measure.percentile(lat, 0.5):7.1f} ms, "
            f"p99 {measure.percentile(lat, 0.99):7.1f} ms, max {max(lat, default=float('nan')):7.1f} ms; "
            f"servers {server_cpu:.2f} cores"
        )
        print(line)
        counts = flood_counts.get(index)
        if counts:
            per_second = {key: value / args.seconds for key, value in counts.items()}
            print(
                f"{'':<15}  flooders sent {per_second['sent']:7.0f}/s: stored answers {per_second['acks']:5.0f}/s, "
                f"states {per_second['states']:5.1f}/s, refused {per_second['refused']:6.0f}/s, "
                f"closed 4429 {counts['closed_4429']}, connects {counts['connects']} "
                f"(refused 4429 {counts['refused_connects']}, failed {counts['failed_connects']}), "
                f"other errors {counts['other_errors']}"
            )


if __name__ == "__main__":
    main()
