"""Benchmark: logins against real Daphne processes, alone and under a password-guessing attack.

    python bench/logins.py [--root PATH] [--servers N] [--only throughput,lab,school,attack]

Every login is what a browser-less client does (docs/protocol.md): ``GET /api/auth/csrf/``,
``POST /api/auth/login/``, then ``GET /api/me/`` with the new session. Clients send from
addresses of the loopback range (127.0.0.0/8), so "one lab behind one NAT address" and
"an attacker elsewhere" are different client addresses to the server. Prints:

* throughput: logins per second the node sustains, closed loop, right passwords;
* lab: 40 students arriving at random within a minute from one address, one in five
  mistyping once first (open loop): time from arrival to ``/api/me/`` answered;
* school: 1,000 students within three minutes from one address, one in six mistyping once;
* attack: 32 loops sending wrong passwords, spread over 1,000 students' names, for 30 s,
  while a real login (every second) and ``/api/me/`` of a logged-in session (every 0.25 s)
  are timed, over the whole run and over its second half (once an address's burst is
  spent); from another address, then from the lab's own address (where people who logged
  in from it before are timed, and first-time users' outcomes counted).

``--root`` benchmarks another checkout of the project (the code before a change: ``git
archive <commit> | tar -x -C /tmp/before``); the script itself runs from this one. With
DATABASE_URL and REDIS_URL set it uses a database ``<name>_logins`` on that PostgreSQL server
and the Redis channel layer (2 Daphne processes by default); without, a temporary SQLite
file (1 process).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.load import targets as load_targets  # noqa: E402  (the Daphne processes)

HERE = Path(__file__).resolve().parent.parent
PASSWORD = "Lúa chín vàng đồng 2026"
LAB_ADDRESS = "127.0.0.2"
SCHOOL_ADDRESS = "127.0.0.3"
PROBE_ADDRESS = "127.0.0.4"
ATTACKER_ADDRESS = "127.0.0.66"
NAT_ADDRESS = "127.0.0.5"
THROUGHPUT_ADDRESSES = [f"127.0.1.{n}" for n in range(1, 41)]


# --- state -------------------------------------------------------------------------------


def prepare_environment(root: Path) -> tuple[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        base, _, name = url.rpartition("/")
        bench_name = f"{name.split('?')[0]}_logins"
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{bench_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{bench_name}"')
        bench_url = f"{base}/{bench_name}"
    else:
        data_dir = tempfile.mkdtemp(prefix="bench-logins-")
        os.environ["DATA_DIR"] = data_dir
        bench_url = f"sqlite:///{data_dir}/bench.sqlite3"
    os.environ["DATABASE_URL"] = bench_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    return bench_url, ("services" if os.environ.get("REDIS_URL") else "embedded")


def build_students(root: Path, count: int) -> tuple[list[str], str]:
    """``count`` students with one real hash of PASSWORD made by ``root``'s default hasher."""
    sys.path.insert(0, str(root))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from accounts.models import Organisation, Role, User

    call_command("migrate", verbosity=0)
    department = Organisation.objects.create(name="Sở", code="bench-dept", kind="department")
    school = Organisation.objects.create(name="Trường", code="bench-school", kind="school", parent=department)
    encoded = make_password(PASSWORD)
    User.objects.bulk_create(
        User(
            username=f"hs{n:05d}",
            role=Role.STUDENT,
            organisation=school,
            learner_id=f"HS{n:08d}",
            password=encoded,
        )
        for n in range(count)
    )
    return [
        f"hs{n:05d}" for n in range(count)
    ], f"{settings.PASSWORD_HASHERS[0].rsplit('.', 1)[-1]} ({encoded.split('$')[0]}${encoded.split('$')[1]})"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- one client ----------------------------------------------------------------------------


class Client:
    """One browser-less client: its own connection from a chosen address, its own cookies."""

    def __init__(self, port: int, address: str) -> None:
        self.port, self.address = port, address
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict, dict]:
        headers = {"Host": "127.0.0.1", "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=120, source_address=(self.address, 0)
                )
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
                break
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = {}
        return response.status, payload, dict(response.getheaders())

    def login(self, username: str, password: str) -> tuple[int, str]:
        if "csrftoken" not in self.cookies:
            self.request("GET", "/api/auth/csrf/")
        status, payload, _headers = self.request(
            "POST", "/api/auth/login/", {"username": username, "password": password}
        )
        code = "ok" if status == 200 else payload.get("error", {}).get("code", f"http {status}")
        return status, code

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def person_logs_in(port: int, address: str, username: str, mistypes: int) -> tuple[float, str]:
    """A person at a lab PC: maybe a wrong password first, then the right one, then /api/me/.
    Returns (seconds from arrival to /api/me/ answered, outcome)."""
    began = time.perf_counter()
    client = Client(port, address)
    try:
        for _ in range(mistypes):
            client.login(username, PASSWORD + "x")
        status, code = client.login(username, PASSWORD)
        if status != 200:
            return time.perf_counter() - began, code
        status, payload, _headers = client.request("GET", "/api/me/")
        outcome = "ok" if status == 200 and payload["user"]["username"] == username else f"me {status}"
        return time.perf_counter() - began, outcome
    except Exception as exc:  # noqa: BLE001 - reported in the figures
        return time.perf_counter() - began, type(exc).__name__
    finally:
        client.close()


# --- scenarios -----------------------------------------------------------------------------


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return f"p50 {at(0.5) * 1000:.0f} ms, p95 {at(0.95) * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"


def throughput(ports: list[int], users: list[str], seconds: float, workers: int) -> dict:
    stop = time.monotonic() + seconds
    counts: Counter = Counter()
    lock = threading.Lock()
    latencies: list[float] = []

    def loop(index: int) -> None:
        n = index
        while time.monotonic() < stop:
            client = Client(ports[n % len(ports)], THROUGHPUT_ADDRESSES[n % len(THROUGHPUT_ADDRESSES)])
            began = time.perf_counter()
            try:
                status, code = client.login(users[n % len(users)], PASSWORD)
            finally:
                client.close()
            with lock:
                counts[code] += 1
                if status == 200:
                    latencies.append(time.perf_counter() - began)
            n += workers

    began = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {"logins_per_s": counts["ok"] / elapsed, "counts": dict(counts), "latency": percentiles(latencies)}


def arrivals(ports: list[int], address: str, users: list[str], window: float, mistype_every: int, seed: int) -> dict:
    """Open loop: each person arrives at a uniformly random instant of the window."""
    rng = random.Random(seed)
    plan = sorted((rng.uniform(0, window), username) for username in users)
    results: list[tuple[float, str]] = []
    lock = threading.Lock()
    threads = []
    start = time.perf_counter()

    def person(index: int, username: str) -> None:
        outcome = person_logs_in(ports[index % len(ports)], address, username, 1 if index % mistype_every == 0 else 0)
        with lock:
            results.append(outcome)

    for index, (at, username) in enumerate(plan):
        delay = at - (time.perf_counter() - start)
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=person, args=(index, username))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    span = time.perf_counter() - start
    outcomes = Counter(outcome for _, outcome in results)
    return {
        "people": len(users),
        "window_s": window,
        "done_in_s": span,
        "outcomes": dict(outcomes),
        "time_to_me": percentiles([seconds for seconds, outcome in results if outcome == "ok"]),
    }


def attack(
    ports: list[int],
    targets: list[str],
    probes: list[str],
    seconds: float,
    loops: int,
    attacker: str,
    probe_address: str,
) -> dict:
    """``loops`` threads of wrong passwords while a real login and /api/me/ are timed."""
    stop = threading.Event()
    attempts: Counter = Counter()
    lock = threading.Lock()

    def guess(index: int) -> None:
        client = Client(ports[index % len(ports)], attacker)
        n = 0
        while not stop.is_set():
            try:
                # Spraying: each guess at the next name, so that no name collects enough
                # wrong passwords to lock; only the address's budget stops it.
                _status, code = client.login(targets[(index + loops * n) % len(targets)], f"guess-{index}-{n}")
            except Exception as exc:  # noqa: BLE001
                code = type(exc).__name__
                client.close()
            with lock:
                attempts[code] += 1
            n += 1
        client.close()

    # A logged-in session whose /api/me/ is timed, and people whose real logins are timed.
    me_client = Client(ports[0], probe_address)
    assert me_client.login(probes[0], PASSWORD)[0] == 200
    known = probes[1 : len(probes) // 2]
    for username in known:  # they logged in from this address before (a lab's regular users)
        person_logs_in(ports[0], probe_address, username, 0)
    newcomers = probes[len(probes) // 2 :]
    me_times: list[float] = []
    login_times: list[float] = []
    login_outcomes: Counter = Counter()
    newcomer_outcomes: Counter = Counter()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(loops)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(2)  # let the attack reach full speed before timing
    next_login = time.perf_counter()
    n = 0
    while time.perf_counter() - began < seconds:
        sent = time.perf_counter()
        status, _payload, _headers = me_client.request("GET", "/api/me/")
        me_times.append((sent - began, time.perf_counter() - sent))
        if time.perf_counter() >= next_login:
            took, outcome = person_logs_in(ports[n % len(ports)], probe_address, known[n % len(known)], 0)
            login_outcomes[outcome] += 1
            if outcome == "ok":
                login_times.append((sent - began, took))
            _took, outcome = person_logs_in(ports[n % len(ports)], probe_address, newcomers[n % len(newcomers)], 0)
            newcomer_outcomes[outcome] += 1
            n += 1
            next_login = time.perf_counter() + 1.0
        time.sleep(max(0.0, 0.25 - (time.perf_counter() - sent)))
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    me_client.close()
    return {
        "attempts_per_s": sum(attempts.values()) / elapsed,
        "attack_answers": dict(attempts),
        "real_login": percentiles([took for _at, took in login_times]),
        "real_login_second_half": percentiles([took for at, took in login_times if at >= seconds / 2]),
        "real_login_outcomes": dict(login_outcomes),
        "first_time_login_outcomes": dict(newcomer_outcomes),
        "me": percentiles([took for _at, took in me_times]),
        "me_second_half": percentiles([took for at, took in me_times if at >= seconds / 2]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=HERE, help="the project checkout to benchmark (default: this one)")
    parser.add_argument("--servers", type=int, default=None, help="Daphne processes (default 2 with Redis, else 1)")
    parser.add_argument("--only", default="throughput,lab,school,attack")
    parser.add_argument("--throughput-seconds", type=float, default=20)
    parser.add_argument("--throughput-clients", type=int, default=8)
    parser.add_argument("--lab", type=int, default=40)
    parser.add_argument("--lab-window", type=float, default=60)
    parser.add_argument("--school", type=int, default=1000)
    parser.add_argument("--school-window", type=float, default=180)
    parser.add_argument("--attack-loops", type=int, default=32)
    parser.add_argument("--attack-seconds", type=float, default=30)
    args = parser.parse_args()
    scenarios = set(args.only.split(","))
    root = args.root.resolve()

    database_url, mode = prepare_environment(root)
    servers_count = args.servers or (2 if mode == "services" else 1)
    if mode == "embedded" and servers_count > 1:
        parser.error("several server processes need REDIS_URL")
    total = 200 + args.lab + args.school + 40
    users, hasher = build_students(root, total)
    pool = iter(users)

    def take(n: int) -> list[str]:
        return [next(pool) for _ in range(n)]

    throughput_users, lab_users, school_users = take(200), take(args.lab), take(args.school)
    probes, nat_probes = take(20), take(20)
    targets = school_users  # the names an attacker of the school would know
    commit = subprocess.run(
        ["git", "-C", str(root), "log", "-1", "--format=%h %<(60,trunc)%s"], capture_output=True, text=True
    ).stdout.strip()

    log_dir = Path(tempfile.mkdtemp(prefix="bench-logins-logs-"))
    servers = load_targets.engine_servers(servers_count, dict(os.environ), log_dir, root=root)
    ports = [port for _, port in servers]
    print(
        f"machine   : {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"code      : {root}{' (' + commit + ')' if commit else ''}")
    print(f"mode      : {mode}, database {database_url.split('://')[0]}, {servers_count} Daphne process(es)")
    print(f"hasher    : {hasher}")
    sys.stdout.flush()
    try:

        def run(name: str, function, *call_args) -> None:
            cpu_before = [cpu_seconds(process.pid) for process, _ in servers]
            began = time.perf_counter()
            result = function(*call_args)
            elapsed = time.perf_counter() - began
            cpu = sum(cpu_seconds(process.pid) for process, _ in servers) - sum(cpu_before)
            result["server_cpu"] = f"{cpu:.1f} s over {elapsed:.1f} s ({cpu / elapsed:.2f} cores)"
            print(
                f"{name:<10}: "
                + "; ".join(
                    f"{key} {value:.1f}" if isinstance(value, float) else f"{key} {value}"
                    for key, value in result.items()
                )
            )
            sys.stdout.flush()

        if "throughput" in scenarios:
            run("throughput", throughput, ports, throughput_users, args.throughput_seconds, args.throughput_clients)
        if "lab" in scenarios:
            run("lab", arrivals, ports, LAB_ADDRESS, lab_users, args.lab_window, 5, 1)
        if "school" in scenarios:
            run("school", arrivals, ports, SCHOOL_ADDRESS, school_users, args.school_window, 6, 2)
        if "attack" in scenarios:
            run(
                "attack",
                attack,
                ports,
                targets,
                probes,
                args.attack_seconds,
                args.attack_loops,
                ATTACKER_ADDRESS,
                PROBE_ADDRESS,
            )
            # The same attack from inside a lab: the attacker shares the real users' address.
            run(
                "attack-nat",
                attack,
                ports,
                targets,
                nat_probes,
                args.attack_seconds,
                args.attack_loops,
                NAT_ADDRESS,
                NAT_ADDRESS,
            )
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
