"""Fault drills: a Daphne process killed, PostgreSQL and Redis restarted, a Celery worker killed
while it scores, a client's network cut, each in the middle of an exam; then the database
checked against what the students saw acknowledged.

    python -m bench.drills                      # every drill, 200 students each, a 60 s cut
    python -m bench.drills --only network-cut --cut-seconds 20 --students 50

Needs nothing running: the drills start a PostgreSQL and a Redis of their own (the machine's
binaries) and restart those, never the machine's. Prints one line per drill (students, answers
acknowledged, acknowledged answers lost, duplicates, students who lost their connection and got
their state back, time to resume p50/p99/max, errors seen) and what each checked; exits 1 if
a drill failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench.load.measure import machine

from .drills import DRILLS, Settings, environment_note, run, table


def parse() -> argparse.Namespace:
    defaults = Settings()
    parser = argparse.ArgumentParser(prog="python -m bench.drills", description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=defaults.students, help="students per drill")
    parser.add_argument(
        "--only", action="append", choices=DRILLS, help="run this drill only (may be given more than once)"
    )
    parser.add_argument("--cut-seconds", type=float, default=defaults.cut_seconds, help="network-cut: the cut")
    parser.add_argument("--interval", type=float, default=defaults.interval, help="seconds between answers")
    parser.add_argument("--fault-at", type=float, default=defaults.fault_at, help="seconds of answering before")
    parser.add_argument("--after", type=float, default=defaults.after, help="seconds of answering after")
    parser.add_argument("--dead-after", type=float, default=defaults.dead_after, help="the page's DEAD_AFTER, s")
    parser.add_argument("--ping", type=float, default=defaults.ping, help="the page's heartbeat, s")
    parser.add_argument("--items", type=int, default=defaults.items)
    return parser.parse_args()


def main() -> None:
    args = parse()
    settings = replace(
        Settings(),
        students=args.students,
        cut_seconds=args.cut_seconds,
        interval=args.interval,
        fault_at=args.fault_at,
        after=args.after,
        items=args.items,
        dead_after=args.dead_after,
        ping=args.ping,
    )
    names = [name for name in DRILLS if not args.only or name in args.only]
    print(f"machine : {machine()}; {environment_note()}")
    print(
        f"plan    : {settings.students} students a drill, one answer every {settings.interval:g} s "
        f"± {settings.jitter:.0%}, the fault after {settings.fault_at:g} s, {settings.after:g} s more after it; "
        f"network cut {settings.cut_seconds:g} s for {settings.cut_share:.0%} of the students",
        flush=True,
    )
    began = time.monotonic()

    def progress(report) -> None:
        print(f"[{report.drill}] {'ok' if report.ok else 'FAIL'} in {report.seconds:.0f} s", flush=True)

    root = Path(tempfile.mkdtemp(prefix="drills-"))
    print(f"logs    : {root / 'logs'}", flush=True)
    reports = run(settings, names, root, on_report=progress)
    print(f"\n{table(reports)}\n\n{len(reports)} drills in {time.monotonic() - began:.0f} s")
    sys.exit(0 if all(report.ok for report in reports) else 1)


if __name__ == "__main__":
    main()
