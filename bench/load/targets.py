"""The two stacks a load run drives, each made from nothing and torn down after:

- ``engine``: this project, served by Daphne processes on a database of its own
  (``<DATABASE_URL's name>_load``) with the Redis channel layer, a sitting of N candidates on
  a 40-item form of about 20 KB, every candidate logged in (a session of their own, made
  before the measured window; ``bench.load --mode logins`` measures logging in itself);
- ``reference``: ``bench/reference/app.py`` on ``<name>_ref``, the same form and candidates.

Both hand the generator one ``Seat`` per candidate: where to connect and with what. For the
release mode the candidates are also placed in rooms of ``room_size`` and checked in, and the
build says how a room is started together (``Release``): the engine's board member's
``POST /api/sitting-rooms/<id>/open/``, the reference's ``POST /release/<room>``.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from config import serve

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# A question as long as a real one: a short passage, the question, four options.
STEM = (
    "Đọc đoạn trích sau và trả lời câu hỏi. Trong một cuộc khảo sát về thói quen đọc sách của "
    "học sinh trung học phổ thông, người ta ghi lại số giờ đọc mỗi tuần của từng em và chia "
    "thành các nhóm theo khối lớp. Kết quả cho thấy học sinh khối 12 đọc ít hơn khối 10, nhưng "
    "đọc sách tham khảo nhiều hơn. Câu {n}: theo đoạn trích, nhận xét nào sau đây là đúng?"
)
OPTIONS = [
    "Học sinh khối 12 đọc nhiều giờ hơn khối 10.",
    "Học sinh khối 10 đọc sách tham khảo nhiều hơn.",
    "Học sinh khối 12 đọc sách tham khảo nhiều hơn.",
    "Không có khác biệt giữa các khối lớp.",
]


@dataclass(frozen=True)
class Seat:
    """One candidate's way in: the websocket path and the headers to open it with."""

    path: str
    headers: tuple[tuple[str, str], ...]
    username: str = ""
    room: int = 0  # release mode: the room it sits in (what ``Release.rooms`` names)


@dataclass(frozen=True)
class Release:
    """How the release mode starts a room together: a POST of ``body`` to ``path.format(room)``
    with ``headers``, for each of ``rooms``."""

    rooms: tuple[int, ...]
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class Build:
    seats: list[Seat]
    release: Release | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_named(url: str, suffix: str) -> str:
    """A fresh, empty database ``<name>_<suffix>`` on the server of ``url``; its URL."""
    import psycopg

    base, _, name = url.rpartition("/")
    target = f"{name.split('?')[0] or 'postgres'}_{suffix}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{target}"')
    return f"{base}/{target}"


def throwaway_database(suffix: str) -> str:
    """A fresh database for a benchmark run, made DATABASE_URL for this process: on the
    PostgreSQL server DATABASE_URL names (``<name>_<suffix>``), else a temporary SQLite file."""
    import tempfile

    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        url = database_named(url, suffix)
    else:
        data_dir = tempfile.mkdtemp(prefix="bench-")
        os.environ["DATA_DIR"] = data_dir
        url = f"sqlite:///{data_dir}/{suffix}.sqlite3"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    return url


def wait_healthy(processes: list[tuple[subprocess.Popen, int]], path: str, log_dir: Path) -> None:
    for process, port in processes:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    for other, _ in processes:
                        other.terminate()
                    raise RuntimeError(f"the server on port {port} did not start; see {log_dir}") from None
                time.sleep(0.2)


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


# --- the engine -----------------------------------------------------------------------------


def engine_environment(database_url: str, redis_url: str) -> dict[str, str]:
    """The engine's processes' environment; without ``redis_url`` the embedded default (the
    in-memory channel layer, tasks run eagerly)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
        PYTHONUNBUFFERED="1",
    )
    if not redis_url:
        del env["REDIS_URL"]
    if database_url.startswith("sqlite:///"):
        env["DATA_DIR"] = str(Path(database_url.removeprefix("sqlite:///")).parent)
    return env


def engine_setup(database_url: str, redis_url: str) -> None:
    """Point this process's Django at the engine's database and migrate it."""
    os.environ.update(engine_environment(database_url, redis_url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def engine_form(items: int, duration=None) -> tuple:
    """A school, its board member and a released form of ``items`` questions as long as real
    ones (about 20 KB shown): ``(school, board, form)``."""
    from accounts.models import Role
    from assess import authoring
    from itembank import services as bank
    from itembank.models import CognitiveLevel, Subject
    from tests.factories import make_assessment, make_school, make_user, release_version

    school = make_school()
    board = make_user(Role.BOARD, school.parent)
    teacher = make_user(Role.TEACHER, school)
    subject, _ = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    versions = []
    for n in range(items):
        version = bank.item_create(
            by=teacher,
            subject=subject,
            level=CognitiveLevel.KNOW,
            content={
                "stem": STEM.format(n=n + 1),
                "options": [{"id": letter, "text": text} for letter, text in zip("ABCD", OPTIONS, strict=True)],
                "key": "ABCD"[n % 4],
            },
            points="0.25",
        )
        versions.append(release_version(version, author=teacher, reviewer=board))
    extra = {"duration": duration} if duration is not None else {}
    assessment = make_assessment(organisation=school, subject=subject, created_by=board, **extra)
    form = authoring.form_of_versions(by=board, assessment=assessment, code="101", item_versions=versions)
    return school, board, form


def engine_sitting(school, board, form, *, prefix: str, count: int, title: str, closes_at=None) -> list[dict]:
    """A sitting of ``count`` new students (user names ``<prefix>-00000``...), each logged in (a
    session made here, before any measured window): ``{"attempt", "path", "cookie",
    "username"}`` per candidate, in attempt order."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from accounts.models import Role, User
    from assess.models import Attempt
    from tests.factories import password_hash, schedule

    hashed = password_hash()
    User.objects.bulk_create(
        User(
            username=f"{prefix}-{n:06d}",
            role=Role.STUDENT,
            organisation=school,
            learner_id=f"{''.join(ch for ch in prefix if ch.isalnum())[:6].upper()}{n:08d}",
            password=hashed,
            first_name="Thí sinh",
            last_name=f"{n:06d}",
        )
        for n in range(count)
    )
    people = list(User.objects.filter(username__startswith=f"{prefix}-", role=Role.STUDENT).order_by("username"))
    sitting = schedule(by=board, form=form, students=people, title=title, closes_at=closes_at)
    expires = timezone.now() + timezone.timedelta(hours=6)
    store = SessionStore()
    sessions = {}
    rows = []
    for person in people:
        key = secrets.token_hex(16)
        data = {
            SESSION_KEY: str(person.pk),
            BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            HASH_SESSION_KEY: person.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        sessions[person.pk] = key
    Session.objects.bulk_create(rows, batch_size=2000)
    cookie = settings.SESSION_COOKIE_NAME
    return [
        {
            "attempt": attempt_id,
            "path": f"/ws/attempts/{attempt_id}/",
            "cookie": f"{cookie}={sessions[student_id]}",
            "username": username,
        }
        for attempt_id, student_id, username in Attempt.objects.filter(sitting=sitting)
        .order_by("pk")
        .values_list("pk", "student_id", "student__username")
    ]


def engine_build(database_url: str, redis_url: str, students: int, items: int, room_size: int = 0) -> Build:
    """Migrate the engine's database, author the form and enrol and log in ``students``; with
    ``room_size``, place them in rooms of that many and check them in (the release mode)."""
    engine_setup(database_url, redis_url)
    school, board, form = engine_form(items)
    candidates = engine_sitting(school, board, form, prefix="ts", count=students, title="Ca thi tải")
    rooms = engine_rooms(school, board, [c["attempt"] for c in candidates], room_size) if room_size else {}
    seats = [
        Seat(
            path=c["path"],
            headers=(("Cookie", c["cookie"]),),
            username=c["username"],
            room=rooms.get(c["attempt"], 0),
        )
        for c in candidates
    ]
    if not room_size:
        return Build(seats)
    cookie, token = staff_session(board)
    release = Release(
        rooms=tuple(sorted(set(rooms.values()))),
        path="/api/sitting-rooms/{}/open/",
        headers=(("Cookie", cookie), ("X-CSRFToken", token), ("Content-Type", "application/json")),
        body=b'{"together": true}',
    )
    return Build(seats, release)


def engine_rooms(school, board, attempt_ids: list[int], room_size: int) -> dict[int, int]:
    """The sitting of ``attempt_ids`` placed in rooms of ``room_size`` seats (one proctor each,
    no network rule), every candidate checked in by the proctor: attempt -> its sitting room."""
    from accounts.models import Role
    from assess.models import Attempt
    from proctoring import services as proctoring
    from tests.factories import make_user

    keeper = make_user(Role.SCHOOL_ADMIN, school)
    columns = 8
    plan = []
    for n in range(-(-len(attempt_ids) // room_size)):
        proctor = make_user(Role.PROCTOR, school)
        spec = proctoring.RoomSpec(
            name=f"P{n + 1:04d}", rows=-(-room_size // columns), columns=columns, proctors_needed=1
        )
        room = proctoring.room_save(by=keeper, organisation_id=school.pk, spec=spec)
        plan.append(proctoring.RoomPlan(room_id=room.pk, proctor_ids=(proctor.pk,)))
    sitting_id = Attempt.objects.get(pk=attempt_ids[0]).sitting_id
    proctoring.sitting_place(by=board, sitting_id=sitting_id, plan=plan)
    for attempt_id in attempt_ids:
        proctoring.attempt_check_in(by=board, attempt_id=attempt_id)
    return dict(Attempt.objects.filter(pk__in=attempt_ids).values_list("pk", "room_id"))


def staff_session(user) -> tuple[str, str]:
    """A logged-in session of ``user`` and a CSRF token: (the Cookie header, the X-CSRFToken)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store.update(
        {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
    )
    store.create()
    token = secrets.token_hex(16)
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}; {settings.CSRF_COOKIE_NAME}={token}", token


def engine_servers(
    count: int, env: dict[str, str], log_dir: Path, *, root: Path = ROOT
) -> list[tuple[subprocess.Popen, int]]:
    """``count`` server processes of the project at ``root`` (another checkout, to measure the
    code before a change side by side: one without config/serve.py gets Daphne's own command)."""
    servers = []
    for index in range(count):
        port = free_port()
        if (root / "config" / "serve.py").exists():
            command = serve.command(port=port)
        else:
            command = [
                str(BIN / "daphne"),
                "-e",
                f"tcp:port={port}:interface=127.0.0.1:backlog=4096",
                "config.asgi:application",
            ]
        log = log_dir / f"daphne-{index}.log"
        servers.append(
            (subprocess.Popen(command, cwd=root, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT), port)
        )
    wait_healthy(servers, "/healthz", log_dir)
    return servers


# --- the reference stack --------------------------------------------------------------------

REFERENCE_SCHEMA = """
CREATE TABLE ref_form (id int PRIMARY KEY, content jsonb NOT NULL);
CREATE TABLE ref_attempt (
    id bigint PRIMARY KEY, token text NOT NULL, status text NOT NULL DEFAULT 'scheduled',
    started_at timestamptz, last_seq int NOT NULL DEFAULT 0, room int NOT NULL DEFAULT 0
);
CREATE INDEX ref_attempt_room ON ref_attempt (room);
CREATE TABLE ref_event (
    attempt_id bigint NOT NULL REFERENCES ref_attempt, seq int NOT NULL, item int NOT NULL,
    value jsonb, at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (attempt_id, seq)
);
CREATE TABLE ref_answer (
    attempt_id bigint NOT NULL REFERENCES ref_attempt, item int NOT NULL, seq int NOT NULL,
    value jsonb, PRIMARY KEY (attempt_id, item)
);
"""


def reference_build(database_url: str, students: int, items: int, room_size: int = 0) -> Build:
    import psycopg
    from psycopg.types.json import Jsonb

    content = [
        {
            "item": n + 1,
            "type": "single_choice",
            "points": "0.25",
            "stem": STEM.format(n=n + 1),
            "options": [{"id": letter, "text": text} for letter, text in zip("ABCD", OPTIONS, strict=True)],
        }
        for n in range(items)
    ]
    tokens = [secrets.token_hex(16) for _ in range(students)]
    status = "checked_in" if room_size else "scheduled"

    def room(n: int) -> int:
        return (n - 1) // room_size + 1 if room_size else 0

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(REFERENCE_SCHEMA)
        conn.execute("INSERT INTO ref_form (id, content) VALUES (1, %s)", (Jsonb(content),))
        with conn.cursor().copy("COPY ref_attempt (id, token, status, room) FROM STDIN") as copy:
            for n, token in enumerate(tokens, start=1):
                copy.write_row((n, token, status, room(n)))
    seats = [
        Seat(path=f"/ws/attempts/{n}/?token={token}", headers=(), room=room(n))
        for n, token in enumerate(tokens, start=1)
    ]
    if not room_size:
        return Build(seats)
    return Build(seats, Release(rooms=tuple(sorted({seat.room for seat in seats})), path="/release/{}"))


def reference_servers(
    count: int, database_url: str, log_dir: Path, *, server: str = "uvicorn"
) -> list[tuple[subprocess.Popen, int]]:
    env = dict(os.environ, REFERENCE_DATABASE_URL=database_url, PYTHONUNBUFFERED="1")
    servers = []
    for index in range(count):
        port = free_port()
        if server == "uvicorn":
            command = [
                str(BIN / "uvicorn"),
                "bench.reference.app:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--backlog",
                "4096",
                "--log-level",
                "warning",
                "--no-access-log",
            ]
        else:
            command = [
                str(BIN / "daphne"),
                "-e",
                f"tcp:port={port}:interface=127.0.0.1:backlog=4096",
                "bench.reference.app:app",
            ]
        servers.append((spawn(command, env, log_dir / f"reference-{index}.log"), port))
    wait_healthy(servers, "/", log_dir)
    return servers


def stop(servers: list[tuple[subprocess.Popen, int]]) -> None:
    for process, _ in servers:
        if process.poll() is None:
            process.terminate()
    for process, _ in servers:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
