"""The fault drills: one exam each, a fault in the middle of it, then the books checked.

A run starts a PostgreSQL and a Redis of its own (``infra``), builds the engine's database
with a sitting per drill (``build``), and serves it with two Daphne processes, no proxy in
front: each student is given both servers' addresses, its own first, and fails over to the
other when a connection does not open (``bench.load.client.Student``). The servers are shared
by the drills of a run, one drill after the other; a server a drill killed is replaced before
the next one. Every drill:

1. connects its students (``bench.load.client``, in generator processes) and starts their
   exam; each then answers in an open loop, one answer every ``interval`` seconds (± jitter),
   journaling every answer until its ack and replaying the journal with the same seqs after
   a reconnect;
2. injects its fault ``fault_at`` seconds into the answering, keeps answering ``after``
   seconds past the fault's end, waits for the last acks (and hands the attempts in where the
   drill needs it);
3. checks the database (``verify``): every acked seq stored as sent (else *lost*), nothing
   stored that was not sent so (*duplicates*), each item's latest answer the last one acked;
   and, from the students' logs, who lost their connection, whether they got their state back
   (*resumed*) and how long that took (loss to state, per student, the longest).

The drills:

- ``daphne-kill``: SIGKILL one of the two Daphne processes; its students fail over to the
  other. Each must be back within ``resume_limit`` (5 s).
- ``postgres-restart``: PostgreSQL stopped (fast: sessions cut) and started again after
  ``postgres_down`` seconds. Answers in flight fail (``server_error``) and are sent again;
  both servers must answer ``/healthz`` afterwards (their connection pools recovered).
- ``redis-restart``: Redis (channel layer, cache, Celery broker) stopped and started empty
  after ``redis_down`` seconds while a Celery worker runs; afterwards the students hand in and
  every attempt must be scored exactly once (a task lost with Redis is queued again by the
  stranded-scoring sweep).
- ``celery-kill``: the students hand in; a worker scoring the sitting is SIGKILLed in the
  middle of a task (the rows of the half handed in last are held locked, so that it scores
  the first half and is then surely inside a task, waiting); a second worker's sweep
  finishes: every attempt scored exactly once (the approach of
  tests/integration/test_scoring_survives_a_killed_worker.py, with its helpers).
- ``network-cut``: a share of the students reach the servers through a proxy (``proxy``) that
  black-holes everything for ``cut_seconds``; they notice as the page does (no frame for
  ``dead_after`` while a reply is awaited), reconnect once the network is back and replay what
  they answered meanwhile, which must all be acknowledged after the cut.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import psycopg

from bench.load import targets
from bench.load.client import Outcome, Plan, StudentLog, run_share
from bench.load.measure import percentile
from bench.load.targets import Seat

from . import verify
from .infra import PrivatePostgres, PrivateRedis
from .proxy import Proxy

DRILLS = ("daphne-kill", "postgres-restart", "redis-restart", "celery-kill", "network-cut")

# The exam page's heartbeat (frontend/student_views.py HEARTBEAT_MS, DEAD_AFTER_MS; exam.js):
# a ping after this long without sending, a connection silent this long taken for dead.
HEARTBEAT_SECONDS = 10.0
DEAD_AFTER_SECONDS = 25.0

# The sweeps of the drills' Celery workers: stranded scoring queued again after 2 s.
WORKER_ENV = {"SCORING_SWEEP_SECONDS": "1", "SCORING_SWEEP_GRACE_SECONDS": "2", "DEADLINE_SWEEP_SECONDS": "1"}


@dataclass(frozen=True)
class Settings:
    """The figures of a run; the defaults are ``make drills``'s, the CI test's are smaller."""

    students: int = 200  # per drill
    items: int = 40
    interval: float = 1.5  # seconds between a student's answers, on average
    jitter: float = 1 / 3  # each interval drawn from interval * (1 ± jitter): 1 to 2 s
    fault_at: float = 10.0  # seconds of answering before the fault
    after: float = 15.0  # seconds of answering after the fault is over
    resume_limit: float = 5.0  # seconds: every student back within this after a process kill
    postgres_down: float = 3.0
    redis_down: float = 1.0
    cut_seconds: float = 60.0
    cut_share: float = 0.25  # of the students, behind the proxy that cuts
    # The heartbeat of the students behind the cut (the others keep the page's): CI shortens it.
    ping: float = HEARTBEAT_SECONDS
    dead_after: float = DEAD_AFTER_SECONDS
    grace: float = 60.0  # after the answering: the longest wait for the last acks
    scoring_wait: float = 120.0  # the longest wait for a sitting to be scored
    # Reconnecting (bench.load.client.Plan): the first wait 100-300 ms, doubling up to 2 s.
    reconnect_min: float = 0.1
    reconnect_first: float = 0.3
    reconnect_cap: float = 2.0


@dataclass
class Report:
    """One drill's line of the table, and what it found wrong."""

    drill: str
    students: int = 0
    acked: int = 0
    lost: int = 0
    duplicates: int = 0
    affected: int = 0  # students whose connection was lost
    resumed: int = 0  # of those, back with their state
    resume_times: list[float] = field(default_factory=list)  # per student: the longest loss-to-state
    errors: Counter = field(default_factory=Counter)  # the students' error codes
    server_errors: Counter = field(default_factory=Counter)  # tracebacks in the servers' logs
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail_if(self, condition: bool, what: str) -> None:
        if condition:
            self.failures.append(what)


# --- the servers ------------------------------------------------------------------------------


class Engine:
    """The drills' two Daphne processes (and the Celery workers a drill starts)."""

    def __init__(self, database_url: str, redis_url: str, log_dir: Path) -> None:
        self.env = targets.engine_environment(database_url, redis_url)
        self.log_dir = log_dir
        self.servers: list[tuple[subprocess.Popen, int]] = []
        self.replaced = 0

    def start(self, count: int = 2) -> None:
        self.servers = targets.engine_servers(count, self.env, self.log_dir)

    @property
    def ports(self) -> list[int]:
        return [port for _, port in self.servers]

    @property
    def bases(self) -> list[str]:
        return [f"ws://127.0.0.1:{port}" for port in self.ports]

    def replace_dead(self) -> None:
        """Start a new server for each that is gone (its log in a folder of its own)."""
        for index, (process, _) in enumerate(self.servers):
            if process.poll() is not None:
                self.replaced += 1
                log_dir = self.log_dir / f"replacement-{self.replaced}"
                log_dir.mkdir()
                self.servers[index] = targets.engine_servers(1, self.env, log_dir)[0]

    def healthy(self, timeout: float = 30.0) -> dict[int, str]:
        """Each live server's /healthz, asked until it answers 200 (within ``timeout``): "ok",
        with how many refusals came first, or the last answer."""
        states = {}
        deadline = time.monotonic() + timeout
        for process, port in self.servers:
            if process.poll() is not None:
                states[port] = "exited"
                continue
            refused = 0
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                        states[port] = f"ok after {refused} refusals" if refused else "ok"
                        break
                except OSError as exc:
                    refused += 1
                    states[port] = str(getattr(exc, "code", None) or type(exc).__name__)
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
        return states

    @contextmanager
    def worker(self, name: str) -> Iterator[subprocess.Popen]:
        """A Celery worker with its beat (sweeps every second), as tests/processes.py runs one."""
        from tests.processes import celery_worker_process

        folder = self.log_dir / name
        folder.mkdir()
        with celery_worker_process(folder, beat=True, base_env=self.env, **WORKER_ENV) as process:
            yield process

    def stop(self) -> None:
        targets.stop(self.servers)


# A log record's first line: the servers' format (config/settings.py LOGGING) or Celery's.
RECORD = re.compile(
    r"^(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (?P<level>[A-Z]+) (?P<logger>\S+) "
    r"|\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+: (?P<celery>[A-Z]+)/[^\]]+\] )(?P<message>.*)"
)
ACCESS = re.compile(r"^\S+:\d+ - - \[")  # Daphne's access log


def _shape(text: str) -> str:
    """A message without its numbers and keys, to count alike ones together."""
    return re.sub(r"\d+", "N", re.sub(r"\b[0-9a-f]{12,}\b", "X", text))[:110]


class LogWatch:
    """The errors the servers' and workers' logs gained since ``mark()``: each ERROR record
    once, as its logger and message with the exception it ends with."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.sizes: dict[Path, int] = {}

    def mark(self) -> None:
        self.sizes = {log: log.stat().st_size for log in self.log_dir.rglob("*.log")}

    def since(self) -> Counter:
        found: Counter = Counter()
        for log in self.log_dir.rglob("*.log"):
            with log.open("rb") as stream:
                stream.seek(self.sizes.get(log, 0))
                lines = stream.read().decode(errors="replace").splitlines()
            record, exception = None, None
            for line in [*lines, "127.0.0.1:0 - - [end"]:
                match = RECORD.match(line)
                if match or ACCESS.match(line):
                    if record is not None:
                        found[record + (f" -- {exception}" if exception else "")] += 1
                    record, exception = None, None
                    if match and (match["level"] or match["celery"]) in ("ERROR", "CRITICAL"):
                        record = _shape(f"{match['logger'] or 'celery'}: {match['message']}")
                elif (
                    record is not None and line and not line.startswith((" ", "\t", "Traceback", "During", "The above"))
                ):
                    exception = _shape(line)
        return found


# --- the students -----------------------------------------------------------------------------


# Students who reach the servers by the same ways and behave alike: a generator process.
Group = tuple[list[Seat], list[str], Plan]


class Crowd:
    """Students in generator processes (``run_share``), one per group; the window starts when
    ``start()`` says."""

    def __init__(self, groups: list[Group]) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes, self.workers = [], []
        for seats, bases, plan in groups:
            if not seats:
                continue
            parent, child = context.Pipe()
            worker = context.Process(target=run_share, args=(seats, bases, plan, 0, child), daemon=True)
            worker.start()
            self.pipes.append(parent)
            self.workers.append(worker)

    def _receive(self, pipe, timeout: float, expected: str):
        if not pipe.poll(timeout):
            raise TimeoutError(f"no {expected!r} from a generator within {timeout:.0f} s")
        kind, value = pipe.recv()
        assert kind == expected, (kind, expected)
        return value

    def start(self) -> float:
        """Wait until every student has its started exam; the wall-clock start of the window."""
        for pipe in self.pipes:
            self._receive(pipe, 180, "ready")
        start = time.time() + 0.5
        for pipe in self.pipes:
            pipe.send(start)
        return start

    def finish(self, timeout: float) -> Outcome:
        total = Outcome()
        for pipe in self.pipes:
            self._receive(pipe, timeout, "done")
        for pipe, worker in zip(self.pipes, self.workers, strict=True):
            outcome: Outcome = self._receive(pipe, 60, "outcome")
            total.latencies += outcome.latencies
            total.resume_times += outcome.resume_times
            total.errors.update(outcome.errors)
            total.logs.update(outcome.logs)
            for name in ("offered", "acked", "disconnects", "refused", "duplicates", "unacked"):
                setattr(total, name, getattr(total, name) + getattr(outcome, name))
            worker.join(timeout=30)
        return total

    def kill(self) -> None:
        for worker in self.workers:
            if worker.is_alive():
                worker.kill()


# --- a run ------------------------------------------------------------------------------------


@dataclass
class Context:
    settings: Settings
    postgres: PrivatePostgres
    redis: PrivateRedis
    database_url: str
    redis_url: str
    seats: dict[str, list[Seat]]
    engine: Engine
    logs: LogWatch
    root: Path


def build(database_url: str, redis_url: str, items: int, groups: dict[str, int], out: Path) -> dict[str, list[Seat]]:
    """The engine's database and the drills' seats, made in a process of its own."""
    command = [sys.executable, "-m", "bench.drills.build", database_url, redis_url, str(items), str(out)]
    command += [f"{name}={count}" for name, count in groups.items()]
    subprocess.run(command, cwd=targets.ROOT, check=True, timeout=600)
    made = json.loads(out.read_text())
    return {
        name: [Seat(path=s["path"], headers=(("Cookie", s["cookie"]),), username=s["username"]) for s in seats]
        for name, seats in made.items()
    }


@contextmanager
def prepared(settings: Settings, names: list[str], root: Path | None = None) -> Iterator[Context]:
    """PostgreSQL and Redis of the run's own, the database built, both servers up."""
    root = Path(root or tempfile.mkdtemp(prefix="drills-"))
    log_dir = root / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        postgres = PrivatePostgres(log_dir)
        stack.callback(postgres.destroy)
        postgres.create()
        redis = PrivateRedis(log_dir)
        stack.callback(redis.destroy)
        redis.start()
        with psycopg.connect(postgres.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE assess_drills")
        database_url, redis_url = postgres.url("assess_drills"), redis.url(0)
        seats = build(
            database_url, redis_url, settings.items, {n: settings.students for n in names}, root / "seats.json"
        )
        engine = Engine(database_url, redis_url, log_dir)
        stack.callback(engine.stop)
        engine.start()
        yield Context(settings, postgres, redis, database_url, redis_url, seats, engine, LogWatch(log_dir), root)


def plan_for(settings: Settings, window: float, **changes) -> Plan:
    """The students' plan: the open loop, the reconnects of the settings, and the exam page's
    own heartbeat (the settings' shorter one is for the network cut only: a short dead-after
    on a busy machine would take a slow server for a dead connection)."""
    plan = Plan(
        mode="open",
        window=window,
        interval=settings.interval,
        jitter=settings.jitter,
        ping=HEARTBEAT_SECONDS,
        grace=settings.grace,
        ramp=200.0,
        reconnect_min=settings.reconnect_min,
        reconnect_first=settings.reconnect_first,
        reconnect_cap=settings.reconnect_cap,
        dead_after=DEAD_AFTER_SECONDS,
        keep_log=True,
    )
    return replace(plan, **changes)


def exam(
    ctx: Context,
    name: str,
    fault: Callable[[], dict],
    fault_seconds: float,
    *,
    groups: Callable[[Plan], list[Group]] | None = None,
    submit: bool = False,
    after: float | None = None,
) -> tuple[Outcome, dict]:
    """The students of ``name`` answer; ``fault()`` runs ``fault_at`` seconds in and returns
    what it did (wall-clock instants and figures); they answer ``after`` seconds more (the
    settings' unless given). ``groups`` makes the groups from the plan (default: everyone,
    both servers)."""
    s = ctx.settings
    window = s.fault_at + fault_seconds + (s.after if after is None else after)
    plan = plan_for(s, window, submit=submit)
    crowd = Crowd(groups(plan) if groups else [(ctx.seats[name], ctx.engine.bases, plan)])
    try:
        start = crowd.start()
        time.sleep(max(0.0, start + s.fault_at - time.time()))
        done = fault()
        outcome = crowd.finish(timeout=max(0.0, start + window - time.time()) + s.grace + 120)
    finally:
        crowd.kill()
    return outcome, done


def account(report: Report, ctx: Context, outcome: Outcome) -> verify.ExamCheck:
    """The common part of every drill's report: the books, the losses and the resumes."""
    logs = outcome.logs
    check = verify.check_exam(ctx.database_url, logs)
    report.students = check.students
    report.acked = check.acked
    report.lost = len(check.lost)
    report.duplicates = len(check.duplicates)
    report.errors.update(outcome.errors)
    affected = [log for log in logs.values() if log.losses]
    report.affected = len(affected)
    report.resumed = sum(1 for log in affected if not log.lost_at_end)
    report.resume_times = [max(back - lost for lost, back in log.resumes) for log in affected if log.resumes]
    report.fail_if(bool(check.lost), f"acked but not stored: {check.lost[:5]}")
    report.fail_if(bool(check.duplicates), f"stored but not sent so: {check.duplicates[:5]}")
    report.fail_if(bool(check.latest_wrong), f"latest answer not the last acked: {check.latest_wrong[:5]}")
    report.fail_if(check.pending > 0, f"{check.pending} answers never acknowledged")
    report.fail_if(report.resumed < report.affected, f"{report.affected - report.resumed} students never back")
    if outcome.duplicates:
        report.notes.append(
            f"{outcome.duplicates} replayed answers acknowledged as already stored (their first ack lost with the connection)"
        )
    if check.stored_unseen:
        report.notes.append(f"{check.stored_unseen} answers stored whose ack the student never saw")
    if outcome.latencies:
        report.notes.append(f"longest wait for an ack {_ms(max(outcome.latencies))}")
    return check


def on_server_at(log: StudentLog, instant: float) -> str | None:
    """The server the student was connected to at ``instant`` (by its last state before it)."""
    before = [base for at, base in log.servers if at <= instant]
    return before[-1] if before else None


# --- the drills ---------------------------------------------------------------------------------


def daphne_kill(ctx: Context, report: Report) -> None:
    victim_process, victim_port = ctx.engine.servers[0]
    victim = f"ws://127.0.0.1:{victim_port}"

    def fault() -> dict:
        at = time.time()
        victim_process.kill()
        victim_process.wait(timeout=10)
        return {"at": at}

    outcome, done = exam(ctx, "daphne-kill", fault, 0.0)
    account(report, ctx, outcome)
    on_victim = {path for path, log in outcome.logs.items() if on_server_at(log, done["at"]) == victim}
    hit = {path for path, log in outcome.logs.items() if log.losses}
    report.fail_if(not on_victim, "no student was on the killed server")
    report.fail_if(bool(on_victim - hit), f"{len(on_victim - hit)} students of the killed server saw no loss")
    report.fail_if(bool(hit - on_victim), f"{len(hit - on_victim)} students of the other server lost their connection")
    slow = [t for t in report.resume_times if t > ctx.settings.resume_limit]
    report.fail_if(bool(slow), f"{len(slow)} students back after more than {ctx.settings.resume_limit:g} s")
    moved = sum(1 for path in on_victim if outcome.logs[path].servers[-1][1] != victim)
    report.notes.append(f"{len(on_victim)} students on the killed server, {moved} failed over to the other")
    ctx.engine.replace_dead()


def postgres_restart(ctx: Context, report: Report) -> None:
    def fault() -> dict:
        at = time.time()
        ctx.postgres.stop("fast")
        time.sleep(ctx.settings.postgres_down)
        ctx.postgres.start()
        return {"at": at, "outage": time.time() - at}

    outcome, done = exam(ctx, "postgres-restart", fault, ctx.settings.postgres_down)
    account(report, ctx, outcome)
    health = ctx.engine.healthy()
    report.fail_if(not all(state.startswith("ok") for state in health.values()), f"servers not healthy after: {health}")
    report.notes.insert(0, f"PostgreSQL down {done['outage']:.1f} s; servers after: {health}")


def redis_restart(ctx: Context, report: Report) -> None:
    with ctx.engine.worker("worker-redis"):

        def fault() -> dict:
            at = time.time()
            ctx.redis.stop()
            time.sleep(ctx.settings.redis_down)
            ctx.redis.start()
            return {"at": at, "outage": time.time() - at}

        outcome, done = exam(ctx, "redis-restart", fault, ctx.settings.redis_down, submit=True)
        account(report, ctx, outcome)
        health = ctx.engine.healthy()
        report.fail_if(
            not all(state.startswith("ok") for state in health.values()), f"servers not healthy after: {health}"
        )
        report.notes.insert(0, f"Redis down {done['outage']:.1f} s; servers after: {health}")
        scored_once(ctx, report, outcome)


def scored_once(ctx: Context, report: Report, outcome: Outcome) -> None:
    """Wait until every attempt handed in is scored; then check it was scored exactly once."""
    attempts = [verify.attempt_of(path) for path in outcome.logs]
    handed_in = sum(1 for log in outcome.logs.values() if log.submitted)
    report.fail_if(handed_in < len(attempts), f"{len(attempts) - handed_in} attempts not handed in")
    began = time.monotonic()
    while verify.scored_count(ctx.database_url, attempts) < len(attempts):
        if time.monotonic() - began > ctx.settings.scoring_wait:
            break
        time.sleep(0.2)
    took = time.monotonic() - began
    time.sleep(2)  # the sweeps and the tasks queued twice still running find nothing to do
    check = verify.check_scoring(ctx.database_url, attempts)
    report.fail_if(not check.exactly_once, f"not scored exactly once: {check}")
    report.notes.append(f"scoring: {check} (waited {took:.1f} s for it)")


def celery_kill(ctx: Context, report: Report) -> None:
    from tests.processes import kill_hard

    outcome, _ = exam(ctx, "celery-kill", dict, 0.0, submit=True, after=0.0)  # the fault comes after the hand-in
    account(report, ctx, outcome)
    attempts = sorted(verify.attempt_of(path) for path in outcome.logs)
    with psycopg.connect(ctx.database_url) as locker, psycopg.connect(ctx.database_url, autocommit=True) as watcher:
        # The attempts handed in last (their tasks are queued last) stay locked until the kill:
        # the worker scores the first half, then waits inside the next task, where it is killed.
        locker.execute(
            "SELECT id FROM assess_attempt WHERE id IN (SELECT id FROM assess_attempt WHERE id = ANY(%s)"
            " ORDER BY submitted_at DESC, id DESC LIMIT %s) FOR UPDATE",
            (attempts, max(1, len(attempts) // 2)),
        )
        with ctx.engine.worker("worker-first") as first:
            began = time.monotonic()
            while not watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> %s",
                (locker.info.backend_pid,),
            ).fetchone()[0]:
                if time.monotonic() - began > 60:
                    report.failures.append("the first worker never reached a locked attempt")
                    break
                time.sleep(0.05)
            before = verify.scored_count(ctx.database_url, attempts)
            kill_hard(first)  # inside a task: waiting for an attempt's lock
        locker.rollback()
    report.notes.append(f"worker SIGKILLed inside a task with {before} of {len(attempts)} attempts scored")
    report.fail_if(before >= len(attempts), "every attempt was scored before the kill: nothing was tested")
    with ctx.engine.worker("worker-second"):
        scored_once(ctx, report, outcome)


def network_cut(ctx: Context, report: Report) -> None:
    s = ctx.settings
    seats = ctx.seats["network-cut"]
    cut = seats[: max(1, round(len(seats) * s.cut_share))]
    proxies = [Proxy("127.0.0.1", port) for port in ctx.engine.ports]
    try:
        proxied = [f"ws://127.0.0.1:{proxy.port}" for proxy in proxies]

        def fault() -> dict:
            at = time.time()
            for proxy in proxies:
                proxy.cut()
            time.sleep(s.cut_seconds)
            for proxy in proxies:
                proxy.restore()
            return {"at": at, "until": time.time()}

        def groups(plan: Plan) -> list[Group]:
            watching = replace(plan, ping=s.ping, dead_after=s.dead_after)  # the settings' heartbeat
            return [(cut, proxied, watching), (seats[len(cut) :], ctx.engine.bases, plan)]

        outcome, done = exam(ctx, "network-cut", fault, s.cut_seconds, groups=groups)
    finally:
        for proxy in proxies:
            proxy.close()
    account(report, ctx, outcome)
    cut_paths = {seat.path for seat in cut}
    hit = {path for path, log in outcome.logs.items() if log.losses}
    if s.cut_seconds > s.dead_after + s.ping:  # long enough that the heartbeat must see it
        report.fail_if(bool(cut_paths - hit), f"{len(cut_paths - hit)} cut students never noticed the cut")
    report.fail_if(bool(hit - cut_paths), f"{len(hit - cut_paths)} students outside the cut lost their connection")
    during = [
        (log, seq)
        for path, log in outcome.logs.items()
        if path in cut_paths
        for seq, (sent_at, _) in log.sent.items()
        if done["at"] <= sent_at < done["until"]
    ]
    late = [(log, seq) for log, seq in during if seq in log.acked and log.acked[seq] < done["until"]]
    missing = [(log, seq) for log, seq in during if seq not in log.acked]
    report.fail_if(bool(missing), f"{len(missing)} answers given during the cut never acknowledged")
    report.fail_if(bool(late), f"{len(late)} answers given during the cut acknowledged during it")
    back = [
        log.resumes[-1][1] - done["until"] for path, log in outcome.logs.items() if path in cut_paths and log.resumes
    ]
    noticed = [log.losses[0] - done["at"] for path, log in outcome.logs.items() if path in cut_paths and log.losses]
    report.notes.append(
        f"{len(cut)} students cut for {s.cut_seconds:g} s; {len(noticed)} took their connection for dead "
        f"({_seconds(noticed)} into the cut; dead after {s.dead_after:g} s) and were back "
        f"{_seconds(back)} after the cut ended; {len(during)} answers given during the cut, "
        f"{len(during) - len(missing)} acknowledged after it"
    )


def _seconds(values: list[float]) -> str:
    if not values:
        return "–"
    return f"p50 {percentile(values, 0.5):.1f} s, max {max(values):.1f} s"


RUNNERS: dict[str, Callable[[Context, Report], None]] = {
    "daphne-kill": daphne_kill,
    "postgres-restart": postgres_restart,
    "redis-restart": redis_restart,
    "celery-kill": celery_kill,
    "network-cut": network_cut,
}


def run_drill(ctx: Context, name: str) -> Report:
    report = Report(name)
    ctx.logs.mark()
    began = time.monotonic()
    try:
        RUNNERS[name](ctx, report)
    except Exception as exc:  # the drill itself broke: say so in its line, go on with the next
        report.failures.append(f"drill failed: {type(exc).__name__}: {exc}")
    report.server_errors = ctx.logs.since()
    report.seconds = time.monotonic() - began
    return report


def run(settings: Settings, names: list[str], root: Path | None = None, on_report=None) -> list[Report]:
    reports = []
    with prepared(settings, names, root) as ctx:
        for name in names:
            report = run_drill(ctx, name)
            reports.append(report)
            if on_report is not None:
                on_report(report)
            ctx.engine.replace_dead()
    return reports


# --- the table ------------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value * 1000:,.0f} ms" if value < 10 else f"{value:.1f} s"


def row(report: Report) -> list[str]:
    times = report.resume_times
    resume = " / ".join(_ms(v) for v in (percentile(times, 0.5), percentile(times, 0.99), max(times))) if times else "–"
    errors = dict(report.errors.most_common())
    seen = ", ".join(f"{code} {n}" for code, n in errors.items()) or "none"
    if report.server_errors:
        seen += f"; server logs: {sum(report.server_errors.values())} errors"
    return [
        report.drill,
        str(report.students),
        str(report.acked),
        str(report.lost),
        str(report.duplicates),
        f"{report.resumed}/{report.affected}",
        resume,
        seen,
        "ok" if report.ok else "FAIL",
    ]


HEADER = [
    "drill",
    "students",
    "answers acked",
    "lost",
    "duplicates",
    "resumed",
    "resume p50 / p99 / max",
    "errors seen",
    "",
]


def table(reports: list[Report]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
    lines += ["| " + " | ".join(row(report)) + " |" for report in reports]
    for report in reports:
        for note in report.notes:
            lines.append(f"- {report.drill}: {note}")
        for error, n in report.server_errors.most_common(6):
            lines.append(f"- {report.drill}: server log, {n} x {error}")
        for failure in report.failures:
            lines.append(f"- {report.drill}: FAIL {failure}")
    return "\n".join(lines)


def environment_note() -> str:
    return f"{os.cpu_count()} cores; PostgreSQL and Redis of the run's own; 2 Daphne processes"
