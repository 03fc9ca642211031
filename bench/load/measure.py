"""What a load run reads off the machine: percentiles, and the CPU and memory of its processes
(Linux /proc), grouped as the report prints them: servers, PostgreSQL, Redis, the generator."""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``; NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.5) - 1))]


def machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; pace {pace_ms():.0f} ms"
    )


def pace_ms(rounds: int = 5) -> float:
    """How fast this machine runs Python today: the best of ``rounds`` times of one core adding
    a million integers in a loop, in milliseconds. This machine's cores are shared with other
    hosts, and their pace moves from day to day: load figures are compared at the pace they
    were measured at (bench/RESULTS.md)."""
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        total = 0
        for number in range(1_000_000):
            total += number
        best = min(best, time.perf_counter() - began)
    return best * 1000


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (FileNotFoundError, ProcessLookupError):
        return 0


def pids_named(*names: str) -> list[int]:
    """Processes whose command name starts with one of ``names`` (PostgreSQL's backends are all
    ``postgres``; Redis is ``redis-server``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if comm.startswith(names):
            found.append(int(entry.name))
    return found


@dataclass
class CpuMeter:
    """CPU seconds of named groups of processes between ``start()`` and ``stop()``. Groups given
    as names are looked up again at each reading, so that backends born during the window count
    (those that ended inside it are lost: a small undercount, said in the report)."""

    groups: dict[str, list[int] | tuple[str, ...]]
    before: dict[str, dict[int, float]] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)

    def _read(self) -> dict[str, dict[int, float]]:
        reading = {}
        for group, spec in self.groups.items():
            pids = pids_named(*spec) if isinstance(spec, tuple) else spec
            reading[group] = {pid: cpu_seconds(pid) for pid in pids}
        return reading

    def start(self) -> None:
        self.before = self._read()

    def stop(self) -> dict[str, float]:
        after = self._read()
        self.used = {
            group: sum(seconds - self.before[group].get(pid, 0.0) for pid, seconds in after[group].items())
            for group in self.groups
        }
        return self.used
