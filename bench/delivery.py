"""Benchmark: durable answer acknowledgements over real websockets to real Daphne processes.

    python bench/delivery.py [--clients 200] [--answers 20] [--servers N]

Each simulated student logs in (a session made directly in the database), connects, starts
the exam and answers in a closed loop: the next answer goes out when the previous one is
acknowledged (i.e. committed). Prints throughput (acks/s), ack latency percentiles, the
connect time and the machine. With DATABASE_URL and REDIS_URL set it uses a separate
database `<name>_bench` on that PostgreSQL server and the Redis channel layer; without, a
temporary SQLite file and the in-memory layer (then one server process only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def prepare_environment() -> tuple[str, str]:
    """Point Django at a throw-away database; returns (database url, mode)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        base, _, name = url.rpartition("/")
        bench_name = f"{name.split('?')[0]}_bench"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{bench_name}"')
        bench_url = f"{base}/{bench_name}"
    else:
        data_dir = tempfile.mkdtemp(prefix="bench-")
        os.environ["DATA_DIR"] = data_dir
        bench_url = f"sqlite:///{data_dir}/bench.sqlite3"
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    return bench_url, ("services" if os.environ.get("REDIS_URL") else "embedded")


def build_state(n_students: int, n_items: int) -> list[dict]:
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


def start_servers(count: int, log_dir: Path, *, root: Path = ROOT) -> list[tuple[subprocess.Popen, int]]:
    """``count`` Daphne processes of the tree at ``root`` (another checkout, to measure the code
    before a change side by side), each on a free port, once their health check answers."""
    import socket
    import urllib.request

    servers = []
    for index in range(count):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        log = open(log_dir / f"daphne-{index}.log", "wb")
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "daphne"),
                "-e",
                f"tcp:port={port}:interface=127.0.0.1:backlog=4096",
                "config.asgi:application",
            ],
            cwd=root,
            env=dict(os.environ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        servers.append((process, port))
    for process, port in servers:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    for other, _port in servers:  # none left running behind the failure
                        other.terminate()
                    raise RuntimeError(f"daphne on port {port} did not start; see {log_dir}") from None
                time.sleep(0.2)
    return servers


async def student(client: dict, port: int, answers: int, latencies: list[float], errors: list[str]) -> float:
    import websockets

    began = time.perf_counter()
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/ws/attempts/{client['attempt']}/",
        additional_headers={"Cookie": client["cookie"]},
        origin=f"http://127.0.0.1:{port}",
        open_timeout=60,
        max_size=2**22,
    ) as ws:

        async def next_of(kind: str) -> dict:
            while True:
                message = json.loads(await ws.recv())
                if message["type"] in (kind, "error"):
                    return message

        state = await next_of("state")
        await ws.send(json.dumps({"type": "start"}))
        state = await next_of("state")
        connected = time.perf_counter() - began
        items = state["items"]
        for seq in range(1, answers + 1):
            item = items[(seq - 1) % len(items)]
            option = item["options"][seq % len(item["options"])]["id"]  # the form's own ids
            sent = time.perf_counter()
            await ws.send(json.dumps({"type": "answer", "seq": seq, "item": item["item"], "value": option}))
            reply = await next_of("ack")
            if reply["type"] == "error":
                errors.append(reply["code"])
            else:
                latencies.append(time.perf_counter() - sent)
    return connected


async def run_clients(clients: list[dict], ports: list[int], answers: int) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    began = time.perf_counter()
    connect_times = await asyncio.gather(
        *(student(client, ports[i % len(ports)], answers, latencies, errors) for i, client in enumerate(clients))
    )
    elapsed = time.perf_counter() - began
    return {"latencies": latencies, "errors": errors, "elapsed": elapsed, "connect": list(connect_times)}


def _process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--answers", type=int, default=20, help="answers per client")
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--servers", type=int, default=None, help="Daphne processes (default 2 with Redis, else 1)")
    args = parser.parse_args()

    database_url, mode = prepare_environment()
    servers_count = args.servers or (2 if mode == "services" else 1)
    if mode == "embedded" and servers_count > 1:
        parser.error("several server processes need REDIS_URL (the in-memory layer is per process)")
    clients = build_state(args.clients, args.items)
    log_dir = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    servers = start_servers(servers_count, log_dir)
    try:
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        outcome = asyncio.run(run_clients(clients, [port for _, port in servers], args.answers))
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        server_cpu = [_process_cpu_seconds(process.pid) for process, _ in servers]
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=10)
    lat = [x * 1000 for x in outcome["latencies"]]
    acks = len(lat)
    print(
        f"machine   : {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"mode      : {mode}, database {database_url.split('://')[0]}, {servers_count} Daphne process(es)")
    print(f"load      : {args.clients} clients x {args.answers} answers, closed loop (next answer after the ack)")
    print(f"acks      : {acks} durable acks in {outcome['elapsed']:.2f} s = {acks / outcome['elapsed']:.0f} acks/s")
    print(
        f"latency   : p50 {percentile(lat, 0.5):.1f} ms, p95 {percentile(lat, 0.95):.1f} ms, p99 {percentile(lat, 0.99):.1f} ms, max {max(lat):.1f} ms"
    )
    print(
        f"connect   : connect+state+start p50 {statistics.median(outcome['connect']) * 1000:.0f} ms, max {max(outcome['connect']) * 1000:.0f} ms"
    )
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    print(
        f"cpu       : load generator {client_cpu / outcome['elapsed']:.2f} cores, "
        f"servers {sum(server_cpu) / outcome['elapsed']:.2f} cores (including start-up), same machine"
    )
    print(f"errors    : {len(outcome['errors'])} {sorted(set(outcome['errors']))}")


if __name__ == "__main__":
    main()
