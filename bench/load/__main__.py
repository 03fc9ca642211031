"""The delivery load generator: the engine beside the raw reference stack, in one run.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/assess REDIS_URL=redis://127.0.0.1:6379/9 \\
        python -m bench.load --mode closed --students 500 --seconds 20
    ... --mode open --students 10000 --interval 10 --seconds 60
    ... --mode storm --students 5000 --storm 10
    ... --mode idle --students 10000 --seconds 60
    ... --mode release --students 5000 --storm 10 --room-size 40 [--seal]

Modes (docs/protocol.md; each student logged in before the measured window):
- ``closed``: saturation; each student sends its next answer when the last is acknowledged;
- ``open``: each student answers every ``--interval`` seconds (± ``--jitter``), whatever the
  server's pace (no coordinated omission: answers go out on time, acks are awaited apart);
- ``storm``: the students connect, start and receive their form within ``--storm`` seconds;
- ``idle``: connected and doing nothing but the page's heartbeat, to price idle connections;
- ``release``: the exam day's start (docs/operations.md): the students, placed in rooms of
  ``--room-size`` and checked in, connect before the window (at the ``--ramp`` pace, as they
  arrive at their seats) and wait; within ``--storm`` seconds every room is started together
  (``POST /api/sitting-rooms/<id>/open/`` as the board), and each page gets the state with its
  form over its websocket. The time counted is from the room's start to the form. With
  ``--seal`` the pages ask for the sealed form: they hold it encrypted while they wait and the
  start brings its key (the reference stack ignores it and pushes the form).

``--target both`` (the default) runs the reference stack (bench/reference/app.py), then the
engine, with the same students and plan, and prints each figure of the engine as a ratio to
the reference's. Prints offered and acknowledged rates, latency p50/p95/p99/max, connect-to-
form times, errors and disconnects, the CPU of each group of processes (servers, PostgreSQL,
Redis, the generator) and the servers' memory per connection.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from . import targets
from .client import Outcome, Plan, run_share
from .measure import CpuMeter, machine, percentile, rss_bytes


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("closed", "open", "storm", "idle", "release"), default="closed")
    parser.add_argument("--target", choices=("both", "engine", "reference"), default="both")
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20.0, help="the measured window")
    parser.add_argument("--interval", type=float, default=10.0, help="open loop: seconds between answers")
    parser.add_argument("--jitter", type=float, default=0.5)
    parser.add_argument("--storm", type=float, default=10.0, help="storm: seconds over which students start")
    parser.add_argument("--ping", type=float, default=10.0, help="heartbeat: a ping after this long without a frame")
    parser.add_argument("--ramp", type=float, default=400.0, help="connections a second before the window")
    parser.add_argument("--servers", type=int, default=2, help="server processes of each stack")
    parser.add_argument("--generators", type=int, default=0, help="generator processes (default: 1 per 3,000)")
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--room-size", type=int, default=40, help="release: candidates per room")
    parser.add_argument(
        "--seal",
        action="store_true",
        help="pages ask for the sealed form before the start (docs/protocol.md), the start brings its key",
    )
    parser.add_argument("--reference-server", choices=("uvicorn", "daphne"), default="uvicorn")
    args = parser.parse_args()
    postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    if args.target != "engine" and not postgres:
        parser.error(
            "the reference stack needs DATABASE_URL=postgresql://... (databases <name>_load and _ref are made "
            "there); without it, --target engine measures the embedded default (SQLite, one process)"
        )
    if not os.environ.get("REDIS_URL") and args.servers > 1:
        print("no REDIS_URL: one engine process (the in-memory channel layer is per process)")
        args.servers = 1
    return args


def release_rooms(
    release: targets.Release, bases: list[str], at: float, spread: float
) -> dict[int, tuple[float, float]]:
    """Start every room together, each at a moment drawn within ``spread`` seconds of ``at``
    (wall clock), through the servers in turn: room -> (the request sent, its seconds)."""
    done: dict[int, tuple[float, float]] = {}
    failed: Counter = Counter()

    def one(index: int, room: int) -> None:
        time.sleep(max(0.0, at + random.uniform(0, spread) - time.time()))
        address = urlsplit(bases[index % len(bases)].replace("ws://", "http://"))
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
        sent = time.time()
        try:
            connection.request("POST", release.path.format(room), body=release.body, headers=dict(release.headers))
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failed[response.status] += 1
            done[room] = (sent, time.time() - sent)
        except OSError as exc:
            failed[type(exc).__name__] += 1
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=min(64, max(1, len(release.rooms)))) as pool:
        list(pool.map(one, range(len(release.rooms)), release.rooms))
    if failed:
        print(f"release   : {dict(failed)} rooms not started", flush=True)
    return done


def run_generators(
    seats, bases, plan: Plan, count: int, meter: CpuMeter, servers, release: targets.Release | None = None
) -> tuple[Outcome, dict]:
    """Split the seats over ``count`` generator processes, start the window together, gather."""
    context = multiprocessing.get_context("spawn")
    pipes, workers = [], []
    for index in range(count):
        parent, child = context.Pipe()
        share = seats[index::count]
        worker = context.Process(target=run_share, args=(share, bases, plan, index, child), daemon=True)
        worker.start()
        pipes.append(parent)
        workers.append(worker)
    meter.groups["generator"] = [worker.pid for worker in workers]
    began = time.monotonic()
    for pipe in pipes:
        kind, _ = pipe.recv()
        assert kind == "ready", kind
    extra = {"ramp_seconds": time.monotonic() - began, "rss_connected": sum(rss_bytes(p.pid) for p, _ in servers)}
    start = time.time() + 1.0
    for pipe in pipes:
        pipe.send(start)
    time.sleep(max(0.0, start - time.time()))
    print(f"window    : open after a ramp of {extra['ramp_seconds']:.1f} s", flush=True)
    meter.start()
    window_began = time.monotonic()
    released: dict[int, tuple[float, float]] = {}
    releasing = None
    if release is not None:
        releasing = threading.Thread(
            target=lambda: released.update(release_rooms(release, bases, start, plan.storm)), daemon=True
        )
        releasing.start()
    for pipe in pipes:
        kind, _ = pipe.recv()
        assert kind == "done", kind
    if releasing is not None:
        releasing.join()
    extra["elapsed"] = time.monotonic() - window_began
    extra["released"] = released
    meter.stop()
    extra["rss_end"] = sum(rss_bytes(p.pid) for p, _ in servers)
    total = Outcome()
    for pipe, worker in zip(pipes, workers, strict=True):
        kind, outcome = pipe.recv()
        total.latencies += outcome.latencies
        total.form_times += outcome.form_times
        total.released += outcome.released
        total.resume_times += outcome.resume_times
        for name in ("offered", "acked", "disconnects", "refused", "duplicates", "unacked", "cpu_seconds"):
            setattr(total, name, getattr(total, name) + getattr(outcome, name))
        total.errors.update(outcome.errors)
        total.form_bytes = max(total.form_bytes, outcome.form_bytes)
        worker.join(timeout=60)
    return total, extra


def log_errors(log_dir: Path) -> Counter:
    """Errors the servers logged: the last line of each traceback, or the logger's line."""
    found: Counter = Counter()
    for log in log_dir.glob("*.log"):
        in_traceback = False  # one pass: a log of 10,000 students' churn holds some 500,000 lines
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("Traceback"):
                in_traceback = True
            elif in_traceback and line and not line.startswith(" "):  # its last line: the exception
                found[re.sub(r"\d+", "N", line)[:120]] += 1
                in_traceback = False
    return found


def run_target(name: str, args: argparse.Namespace, plan: Plan) -> dict:
    database = os.environ.get("DATABASE_URL", "")
    log_dir = Path(tempfile.mkdtemp(prefix=f"load-{name}-"))
    built = time.monotonic()
    if name == "engine":
        redis = os.environ.get("REDIS_URL", "")
        if database.startswith(("postgres://", "postgresql://")):
            url = targets.database_named(database, "load")
        else:  # the embedded default: a SQLite file of its own
            url = f"sqlite:///{log_dir}/load.sqlite3"
        room_size = args.room_size if args.mode == "release" else 0
        build = targets.engine_build(url, redis, args.students, args.items, room_size)
        servers = targets.engine_servers(args.servers, targets.engine_environment(url, redis), log_dir)
    else:
        url = targets.database_named(database, "ref")
        build = targets.reference_build(url, args.students, args.items, args.room_size if args.mode == "release" else 0)
        servers = targets.reference_servers(args.servers, url, log_dir, server=args.reference_server)
    seats = build.seats
    print(f"[{name}] {len(seats)} students ready in {time.monotonic() - built:.0f} s; logs in {log_dir}", flush=True)
    rss_idle = sum(rss_bytes(process.pid) for process, _ in servers)
    groups: dict = {"servers": [process.pid for process, _ in servers]}
    if url.startswith(("postgres://", "postgresql://")):
        groups["postgres"] = ("postgres",)
    if name == "engine" and os.environ.get("REDIS_URL"):
        groups["redis"] = ("redis-server",)
    meter = CpuMeter(groups)
    generators = args.generators or max(1, -(-args.students // 3000))
    bases = [f"ws://127.0.0.1:{port}" for _, port in servers]
    try:
        outcome, extra = run_generators(seats, bases, plan, generators, meter, servers, build.release)
    finally:
        targets.stop(servers)
    return {
        "name": name,
        "outcome": outcome,
        "cpu": meter.used,
        "rss_idle": rss_idle,
        "generators": generators,
        "errors_logged": log_errors(log_dir),
        **extra,
    }


def ms(value: float) -> str:
    return f"{value * 1000:,.0f}" if value >= 0.1 else f"{value * 1000:.1f}"


def report(run: dict, args: argparse.Namespace) -> dict:
    o: Outcome = run["outcome"]
    seconds = args.seconds if args.mode not in ("storm", "release") else run["elapsed"]
    if args.mode == "release":  # from the room's start to the form, per student
        released = run["released"]
        o.form_times = [at - released[room][0] for room, at in o.released if room in released]
    lat = o.latencies
    figures = {
        "acks_per_s": o.acked / seconds,
        "p50": percentile(lat, 0.5),
        "p99": percentile(lat, 0.99),
        "form_p99": percentile(o.form_times, 0.99),
    }
    name = run["name"]
    print(f"\n== {name} ({args.servers} {'Daphne' if name == 'engine' else args.reference_server} processes)")
    if args.mode in ("closed", "open"):
        print(f"offered   : {o.offered / seconds:,.0f} answers/s ({o.offered} in {seconds:.0f} s)")
        print(
            f"acked     : {figures['acks_per_s']:,.0f} acks/s ({o.acked}; {o.offered - o.acked} not acknowledged in time)"
        )
        if lat:
            print(
                f"latency   : p50 {ms(figures['p50'])} ms, p95 {ms(percentile(lat, 0.95))} ms, "
                f"p99 {ms(figures['p99'])} ms, max {ms(max(lat))} ms"
            )
    if args.mode in ("storm", "release"):
        ft = o.form_times
        print(
            f"started   : {len(ft)} of {args.students} received their form ({o.form_bytes:,} bytes) within {run['elapsed']:.1f} s"
        )
        if args.mode == "release":
            print(f"ramp      : {args.students} students connected and waiting in {run['ramp_seconds']:.1f} s")
            took = [seconds for _, seconds in run["released"].values()]
            if took:
                print(
                    f"rooms     : {len(took)} of {-(-args.students // args.room_size)} started together, the request "
                    f"p50 {ms(percentile(took, 0.5))} ms, max {ms(max(took))} ms"
                )
        if ft:
            what = "room's start" if args.mode == "release" else "connect"
            print(
                f"form time : {what} to form p50 {ms(percentile(ft, 0.5))} ms, p95 {ms(percentile(ft, 0.95))} ms, "
                f"p99 {ms(percentile(ft, 0.99))} ms, max {ms(max(ft))} ms"
            )
        if lat:
            print(f"first ack : p50 {ms(figures['p50'])} ms, p99 {ms(figures['p99'])} ms ({o.acked} of {o.offered})")
    else:
        print(f"ramp      : {args.students} students connected and started in {run['ramp_seconds']:.1f} s")
    print(
        f"errors    : {sum(o.errors.values())} {dict(o.errors) or ''}; disconnects {o.disconnects}, "
        f"refused handshakes {o.refused}, still unacknowledged at the end {o.unacked}"
    )
    if run["errors_logged"]:
        print(f"server log: {dict(run['errors_logged'].most_common(5))}")
    cpu = run["cpu"]
    window = run["elapsed"]
    print(
        "cpu       : "
        + ", ".join(f"{group} {used / window:.2f}" for group, used in cpu.items())
        + f" cores over the window ({window:.1f} s)"
    )
    counted, label, by = (
        (o.acked, "per ack", "acks") if args.mode in ("closed", "open") else (len(o.form_times), "per start", "starts")
    )
    if counted and args.mode != "idle":
        per = ", ".join(
            f"{group} {used / counted * 1000:.2f} ms" for group, used in cpu.items() if group != "generator"
        )
        print(f"{label:<10}: {per} of CPU (everything in the window / {by})")
    per_conn = (run["rss_connected"] - run["rss_idle"]) / max(1, args.students)
    if args.mode not in ("storm", "release"):
        print(
            f"memory    : servers {run['rss_connected'] / 2**20:,.0f} MiB with everyone connected "
            f"({per_conn / 1024:.1f} KiB per connection), {run['rss_end'] / 2**20:,.0f} MiB at the window's end"
        )
    figures["cpu_servers"] = cpu["servers"] / window
    return figures


def main() -> None:
    args = parse()
    plan = Plan(
        mode=args.mode,
        window=args.seconds if args.mode not in ("storm", "release") else args.storm,
        interval=args.interval,
        jitter=args.jitter,
        storm=args.storm,
        ping=args.ping,
        ramp=args.ramp,
        seal=args.seal,
    )
    print(f"machine   : {machine()}")
    print(
        f"plan      : {args.mode}, {args.students} students, "
        + {
            "closed": f"closed loop for {args.seconds:.0f} s",
            "open": f"one answer every {args.interval:g} s ± {args.jitter:.0%} for {args.seconds:.0f} s",
            "storm": f"all connect and start within {args.storm:g} s",
            "release": f"connected and checked in, rooms of {args.room_size} started together within {args.storm:g} s"
            + (", forms sealed before the start" if args.seal else ""),
            "idle": f"connected, heartbeat every {args.ping:g} s, for {args.seconds:.0f} s",
        }[args.mode],
        flush=True,
    )
    order = ["reference", "engine"] if args.target == "both" else [args.target]
    figures = {}
    for name in order:
        figures[name] = report(run_target(name, args, plan), args)
        sys.stdout.flush()
    if len(figures) == 2:
        engine, reference = figures["engine"], figures["reference"]
        print("\n== engine / reference")
        if args.mode == "closed":
            print(f"acks/s    : {engine['acks_per_s'] / reference['acks_per_s']:.2f} (target at least 0.8)")
        for key, label in (("p50", "latency p50"), ("p99", "latency p99"), ("form_p99", "form p99")):
            if reference[key] == reference[key] and engine[key] == engine[key] and reference[key] > 0:
                print(f"{label:<10}: {engine[key] / reference[key]:.2f} times the reference's")
        print(f"server cpu: {engine['cpu_servers'] / max(reference['cpu_servers'], 1e-9):.2f} times the reference's")


if __name__ == "__main__":
    main()
