"""The fault drills, short (issue 12, point 7): ``bench/drills`` with 30 students a drill.

Each drill runs an exam on two real Daphne processes, injects its fault in the middle (a Daphne
process SIGKILLed, PostgreSQL restarted, Redis restarted, a Celery worker SIGKILLed inside a
scoring task, the network of some students cut for 8 s), then checks the database against what
the students saw acknowledged: no acked answer lost, none stored twice or stored unsent, every
student who lost the connection back with its state, within 5 s after a process kill.

The drills run on a PostgreSQL and a Redis of their own (``bench.drills.infra``: a cluster
made by ``initdb`` in a temporary folder, a ``redis-server`` that keeps nothing on disk) and
restart those, never the servers ``DATABASE_URL`` and ``REDIS_URL`` name: those serve this
test session (its own connections, its test database), and other people's test runs and
servers on the same machine. Nothing of this session's state is touched, so later tests are
not affected. The servers are shared by the drills of this module (built once: the migrations
take most of the setup), the Daphne kill last.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.types.json import Jsonb

from bench.drills import drills, verify
from bench.drills.proxy import Proxy
from bench.load.client import StudentLog

SETTINGS = drills.Settings(
    students=30,
    items=10,
    interval=1.0,
    jitter=0.5,
    fault_at=1.5,
    after=2.5,
    postgres_down=1.5,
    redis_down=1.0,
    cut_seconds=8.0,
    ping=1.0,
    dead_after=3.0,
    grace=30.0,
    scoring_wait=60.0,
)
# The process kill last: the other drills then run on the two servers the run started with.
ORDER = ("postgres-restart", "redis-restart", "celery-kill", "network-cut", "daphne-kill")


@pytest.fixture(scope="module")
def context(tmp_path_factory) -> Iterator[drills.Context]:
    # One sitting per drill, and one for the books' own test below.
    with drills.prepared(SETTINGS, [*ORDER, "books"], tmp_path_factory.mktemp("drills")) as ctx:
        yield ctx


@pytest.mark.services
@pytest.mark.parametrize("name", ORDER)
def test_drill_loses_nothing_and_everyone_resumes(context, name):
    report = drills.run_drill(context, name)
    print(drills.table([report]))  # shown with -s, or with the failure
    assert report.students == SETTINGS.students
    assert report.acked >= SETTINGS.students, "some students never answered: nothing was tested"
    assert report.lost == 0
    assert report.duplicates == 0
    assert report.resumed == report.affected
    if name == "daphne-kill":
        assert report.affected > 0
        assert max(report.resume_times) <= SETTINGS.resume_limit
    if name == "network-cut":
        assert report.affected == round(SETTINGS.students * SETTINGS.cut_share)
    assert report.ok, drills.table([report])


@pytest.mark.services
def test_the_books_catch_an_answer_lost_one_stored_unsent_and_a_wrong_latest(context):
    """What the drills assert can fail: the checks against the database, on rows made by hand."""
    attempt = verify.attempt_of(context.seats["books"][0].path)
    with psycopg.connect(context.database_url, autocommit=True) as conn:
        form_item, response_ids = conn.execute(
            "SELECT f.id, f.response_ids FROM assess_formitem f JOIN assess_attempt a ON a.form_id = f.form_id"
            " WHERE a.id = %s AND f.position = 1",
            (attempt,),
        ).fetchone()
        shown = response_ids["options"]  # the version's option id -> the id the form shows
        conn.execute(
            "INSERT INTO assess_answerevent (attempt_id, seq, form_item_id, kind, value, received_at)"
            " VALUES (%s, 1, %s, 'answer', %s, now())",
            (attempt, form_item, Jsonb("A")),
        )
        conn.execute(
            "INSERT INTO assess_answer (attempt_id, form_item_id, value, value_seq, flagged, flag_seq, updated_at)"
            " VALUES (%s, %s, %s, 1, false, 0, now())",
            (attempt, form_item, Jsonb("A")),
        )

    def answer(seq: int, option: str) -> tuple[float, dict]:
        return 0.0, {"type": "answer", "seq": seq, "item": 1, "value": shown[option]}

    path = f"/ws/attempts/{attempt}/"
    clean = verify.check_exam(context.database_url, {path: StudentLog(sent={1: answer(1, "A")}, acked={1: 0.0})})
    assert (clean.acked, clean.lost, clean.duplicates, clean.latest_wrong) == (1, [], [], [])

    lost = StudentLog(sent={1: answer(1, "A"), 2: answer(2, "B")}, acked={1: 0.0, 2: 0.0})
    check = verify.check_exam(context.database_url, {path: lost})
    assert check.lost == [(attempt, 2)]
    assert check.latest_wrong == [(attempt, 1)]  # the last ack was seq 2, the row holds seq 1

    unsent = StudentLog(sent={1: answer(1, "C")}, acked={1: 0.0})  # seq 1 is stored with another value
    check = verify.check_exam(context.database_url, {path: unsent})
    assert check.duplicates == [(attempt, 1)]
    assert check.latest_wrong == [(attempt, 1)]


def test_the_drills_watch_the_connection_as_the_exam_page_does():
    """The full drills' heartbeat is the page's (frontend/student_views.py, read by exam.js)."""
    from frontend import student_views

    assert drills.HEARTBEAT_SECONDS * 1000 == student_views.HEARTBEAT_MS
    assert drills.DEAD_AFTER_SECONDS * 1000 == student_views.DEAD_AFTER_MS


def _echo_server() -> tuple[socket.socket, int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return

            def echo(conn: socket.socket = conn) -> None:
                with conn:
                    while data := conn.recv(1024):
                        conn.sendall(data)

            threading.Thread(target=echo, daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


def _reply(sock: socket.socket, timeout: float) -> bytes | None:
    sock.settimeout(timeout)
    try:
        return sock.recv(1024)
    except TimeoutError:
        return None


def test_the_proxy_black_holes_a_cut_and_lets_everything_through_after():
    server, port = _echo_server()
    proxy = Proxy("127.0.0.1", port)
    try:
        before = socket.create_connection(("127.0.0.1", proxy.port))
        before.sendall(b"one")
        assert _reply(before, 5) == b"one"

        proxy.cut()
        before.sendall(b"two")
        during = socket.create_connection(("127.0.0.1", proxy.port))  # accepted, not passed on
        during.sendall(b"three")
        assert _reply(before, 0.5) is None  # nothing, and no close (that would read b"")
        assert _reply(during, 0.5) is None

        proxy.restore()
        assert _reply(before, 5) == b"two"
        assert _reply(during, 5) == b"three"
        before.close()
        during.close()
        deadline = time.monotonic() + 5
        while proxy.pipes and time.monotonic() < deadline:  # closed on both sides
            time.sleep(0.05)
        assert not proxy.pipes
    finally:
        proxy.close()
        server.close()
