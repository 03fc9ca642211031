"""A whole exam over real processes: two Daphne servers, one Celery worker with beat, Redis.

The client here is written from docs/protocol.md alone: it logs in over HTTP with a cookie
jar (CSRF first), finds its attempt through the REST API, and takes the exam through a real
websocket client. The database is read only to check what the servers committed.
"""

from __future__ import annotations

import base64
import json
import os
import random
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from accounts.models import Role, User
from assess import statuses
from assess.models import Answer, AnswerEvent, Attempt, AttemptTransition, RecordEntry, Sitting
from tests.factories import PASSWORD, make_sitting
from tests.processes import celery_worker_process, daphne_process

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

WAIT = 10.0  # seconds: the longest any single reply may take
SCORING_WAIT = 30.0  # seconds: from submission to a scored attempt and its record entry
WS_MAX_MESSAGE_BYTES = 65_536  # the default of config/settings.py
CHANNEL_PREFIX = f"it{uuid.uuid4().hex[:12]}"

# Keys of the items made by tests.factories.make_versions: item n has key "ABCD"[(n - 1) % 4].
KEYS = {1: "A", 2: "B", 3: "C", 4: "D", 5: "A"}


# --- servers --------------------------------------------------------------------------------------


@dataclass
class Cluster:
    a: str  # base URL of Daphne A
    b: str  # base URL of Daphne B
    celery_log: Path


@contextmanager
def private_redis_url() -> Iterator[str]:
    """The configured Redis server, on a database number nobody uses, emptied again afterwards.

    The worker of this run then consumes only the tasks of this run: on a shared database a
    concurrent test run's worker would take them (and look for the attempts in its own test
    database), and this run's worker would take theirs.
    """
    parts = urlsplit(os.environ["REDIS_URL"])
    current = int(parts.path.strip("/") or 0)
    numbers = [n for n in range(16) if n != current]
    random.shuffle(numbers)
    for number in numbers:
        url = urlunsplit(parts._replace(path=f"/{number}"))
        client = redis.Redis.from_url(url, socket_timeout=5)
        try:
            empty = client.dbsize() == 0
        except redis.ResponseError:  # a server with fewer databases
            empty = False
        if empty:
            break
        client.close()
    else:
        pytest.fail("no empty Redis database for the integration servers")
    try:
        yield url
    finally:
        for pattern in ("_kombu.*", "unacked*", f"{CHANNEL_PREFIX}*", "celery*"):
            keys = list(client.scan_iter(match=pattern, count=1000))
            if keys:
                client.delete(*keys)
        client.close()


@pytest.fixture(scope="module")
def cluster(django_db_setup, tmp_path_factory) -> Iterator[Cluster]:
    """Two Daphne processes and one Celery worker with embedded beat (deadline sweep every 1 s)."""
    tmp = tmp_path_factory.mktemp("cluster")
    with ExitStack() as stack:
        env = {
            "REDIS_URL": stack.enter_context(private_redis_url()),
            "CHANNEL_PREFIX": CHANNEL_PREFIX,
            "DEADLINE_SWEEP_SECONDS": "1",
            # The default bucket (120 tokens), refilled faster than the default 5 a second:
            # the bad-input test syncs after each of its twenty-odd frames.
            "WS_RATE_PER_SECOND": "20",
        }
        stack.enter_context(celery_worker_process(tmp, beat=True, **env))
        a = stack.enter_context(daphne_process(tmp, "daphne-a", **env))
        b = stack.enter_context(daphne_process(tmp, "daphne-b", **env))
        yield Cluster(a=a, b=b, celery_log=tmp / "celery.log")


# --- an HTTP client, from docs/protocol.md ---------------------------------------------------------


class HttpClient:
    """Cookie jar + JSON; CSRF token from GET /api/auth/csrf/, sent back as X-CSRFToken."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def request(self, method: str, path: str, payload: Any = None, headers: dict | None = None) -> tuple[int, Any]:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(request, timeout=WAIT) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body.decode(errors="replace")

    def get(self, path: str) -> tuple[int, Any]:
        return self.request("GET", path)

    def login(self, username: str, password: str = PASSWORD) -> dict:
        status, body = self.get("/api/auth/csrf/")
        assert status == 200, body
        token = self.cookie("csrftoken")
        assert token and body["csrf_token"]
        status, body = self.request(
            "POST", "/api/auth/login/", {"username": username, "password": password}, {"X-CSRFToken": token}
        )
        assert status == 200, body
        assert self.cookie("sessionid")
        return body["user"]


def logged_in(base: str, user: User) -> HttpClient:
    client = HttpClient(base)
    assert client.login(user.username)["id"] == user.pk
    return client


# --- a websocket client, from docs/protocol.md -----------------------------------------------------


@dataclass
class ExamSocket:
    """One exam connection: JSON in and out; ``time`` pushes are collected, not returned."""

    conn: ClientConnection
    times: list[dict] = field(default_factory=list)
    seen: list[dict] = field(default_factory=list)
    refusals: list[dict] = field(default_factory=list)

    def send(self, message: dict | str | bytes) -> None:
        self.conn.send(message if isinstance(message, (str, bytes)) else json.dumps(message))

    def next(self, timeout: float = WAIT) -> dict:
        """The next message other than a ``time`` push."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no message within {timeout} s; seen {self.seen[-5:]}")
            message = json.loads(self.conn.recv(timeout=left))
            self.seen.append(message)
            if message["type"] == "time":
                self.times.append(message)
                continue
            return message

    def expect(self, kind: str, timeout: float = WAIT, **fields: Any) -> dict:
        message = self.next(timeout)
        assert message["type"] == kind, message
        for name, value in fields.items():
            assert message.get(name) == value, (name, message)
        return message

    def exchange(self, message: dict | str | bytes) -> dict:
        """Send one message and return its reply; while it is refused for the rate limit (not
        read), wait ``retry_after_ms`` and send it again (docs/protocol.md, section 14)."""
        while True:
            self.send(message)
            reply = self.next()
            if reply.get("code") != "rate_limited":
                return reply
            assert "seq" not in reply and reply["retry_after_ms"] > 0, reply
            self.refusals.append(reply)
            time.sleep(reply["retry_after_ms"] / 1000)

    def call(self, message: dict, kind: str, **fields: Any) -> dict:
        reply = self.exchange(message)
        assert reply["type"] == kind, reply
        for name, value in fields.items():
            assert reply.get(name) == value, (name, reply)
        return reply

    def answer(self, seq: int, item: int, value: str | None, *, duplicate: bool = False) -> dict:
        ack = self.call({"type": "answer", "seq": seq, "item": item, "value": value}, "ack", seq=seq, item=item)
        assert ack.get("duplicate", False) is duplicate, ack
        assert isinstance(ack["remaining_ms"], int) and ack["remaining_ms"] >= 0, ack
        return ack

    def flag(self, seq: int, item: int, flagged: bool) -> dict:
        ack = self.call({"type": "flag", "seq": seq, "item": item, "flagged": flagged}, "ack", seq=seq, item=item)
        assert "duplicate" not in ack, ack
        return ack

    def error(self, message: dict | str | bytes, code: str, seq: int | None = None) -> dict:
        reply = self.exchange(message)
        assert (reply["type"], reply.get("code")) == ("error", code), reply
        assert reply.get("seq") == seq, reply
        assert reply["message"], reply
        return reply

    def sync(self) -> dict:
        return self.call({"type": "sync"}, "state")

    def expect_close(self, timeout: float = WAIT) -> int | None:
        """Read (and keep) messages until the server closes; return the close code."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.seen.append(json.loads(self.conn.recv(timeout=max(0.01, deadline - time.monotonic()))))
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd is not None else None
        raise TimeoutError(f"the server did not close within {timeout} s; seen {self.seen[-5:]}")

    def drop(self) -> None:
        """Lose the network: the TCP connection ends without a websocket closing handshake."""
        self.conn.socket.shutdown(socket.SHUT_RDWR)
        self.conn.socket.close()

    def close(self) -> None:
        self.conn.close()


Opener = Callable[..., ExamSocket]


@pytest.fixture
def sockets() -> Iterator[Opener]:
    """Opens exam connections (``open(base, ws_path, cookies, origin=...)``), all closed at the end.

    ``origin`` defaults to the server's own origin; ``None`` sends no Origin header.
    """
    with ExitStack() as stack:

        def open_socket(base: str, ws_path: str, cookies: str, *, origin: str | None = "same") -> ExamSocket:
            conn = connect(
                base.replace("http://", "ws://", 1) + ws_path,
                additional_headers={"Cookie": cookies} if cookies else {},
                origin=base if origin == "same" else origin,
                open_timeout=WAIT,
                close_timeout=2,
            )
            return ExamSocket(stack.enter_context(conn))

        yield open_socket


# --- helpers -----------------------------------------------------------------------------------------


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s")


def scored_entry(attempt_id: int) -> RecordEntry | None:
    attempt = Attempt.objects.get(pk=attempt_id)
    if attempt.status != statuses.SCORED:
        return None
    return RecordEntry.objects.filter(attempt_id=attempt_id).first()


def my_attempt(client: HttpClient, attempt_id: int) -> dict:
    status, body = client.get("/api/me/attempts/")
    assert status == 200, body
    summary = next(a for a in body["results"] if a["id"] == attempt_id)
    assert summary["ws_path"] == f"/ws/attempts/{attempt_id}/"
    return summary


def option_ids(state: dict) -> dict[int, dict[str, str]]:
    """Position -> the author's letter of each option (A, B, ... in the order shown) -> its id.

    A client knows no letters: it sends the id the state shows for the option the student
    chose. The tests write the author's letters, which their keys use."""
    return {item["item"]: {"ABCD"[i]: o["id"] for i, o in enumerate(item["options"])} for item in state["items"]}


def board_member_of(sitting: Sitting) -> User:
    return User.objects.get(role=Role.BOARD, organisation_id=sitting.organisation.parent_id)


# --- tests -------------------------------------------------------------------------------------------


def test_full_exam_across_two_servers_ends_at_the_server_deadline(cluster: Cluster, sockets: Opener):
    sitting = make_sitting(n_items=5, n_students=2, duration=timedelta(seconds=10))
    attempt = sitting.attempts.order_by("pk").first()
    student = attempt.student

    # Log in on A, find the attempt.
    http = logged_in(cluster.a, student)
    status, me = http.get("/api/me/")
    assert status == 200 and me["user"]["role"] == "student" and me["user"]["id"] == student.pk
    summary = my_attempt(http, attempt.pk)
    assert summary["status"] == "scheduled" and summary["sitting"]["open"] is True
    assert summary["assessment"]["duration_seconds"] == 10
    status, detail = http.get(f"/api/attempts/{attempt.pk}/")
    assert status == 200 and detail["id"] == attempt.pk and detail["status"] == "scheduled"

    # Connect to A and start.
    a = sockets(cluster.a, summary["ws_path"], http.cookie_header())
    state = a.expect("state", status="scheduled", last_seq=0, items=[], answers={}, flags=[])
    state = a.call({"type": "start"}, "state", status="in_progress")
    deadline = state["deadline"]
    assert deadline and 0 < state["remaining_ms"] <= 10_000
    assert [item["item"] for item in state["items"]] == [1, 2, 3, 4, 5]
    assert all(set(item) == {"item", "type", "points", "stem_html", "options", "stimulus"} for item in state["items"])
    # Ids are the form's own, random, never the author's (A-D, which say where the key is).
    shown = option_ids(state)
    assert all(not set(ids.values()) & set("ABCD") and len(set(ids.values())) == 4 for ids in shown.values())
    a.call({"type": "start"}, "state", status="in_progress", deadline=deadline)  # a repeated start is a no-op

    # Answer several items; every change is acknowledged.
    seq = state["last_seq"]
    changes = [(1, "C"), (2, "B"), (3, "A"), (4, "D")]
    for item, value in changes:
        seq += 1
        a.answer(seq, item, shown[item][value])
    seq += 1
    a.flag(seq, 2, True)
    seq += 1
    a.answer(seq, 1, shown[1]["A"])  # a change of mind: the latest sequence number wins
    assert seq == 6

    # A replay of an acknowledged change is acknowledged again, and not written twice.
    a.answer(3, 3, shown[3]["A"], duplicate=True)
    assert AnswerEvent.objects.filter(attempt=attempt).count() == 6
    assert AnswerEvent.objects.filter(attempt=attempt, seq=3).count() == 1

    # One more change goes out, and the network drops before its ack arrives.
    a.send({"type": "answer", "seq": 7, "item": 3, "value": shown[3]["C"]})
    a.drop()

    # Reconnect to the other server: the whole state is back.
    b = sockets(cluster.b, summary["ws_path"], http.cookie_header())
    state = b.expect("state", status="in_progress", deadline=deadline)
    assert state["last_seq"] in (6, 7)  # 7 if the unacknowledged change was committed
    third = "C" if state["last_seq"] == 7 else "A"
    assert state["answers"] == {"1": shown[1]["A"], "2": shown[2]["B"], "3": shown[3][third], "4": shown[4]["D"]}
    assert state["flags"] == [2]
    assert 0 < state["remaining_ms"] <= 10_000
    assert len(state["items"]) == 5
    # Resend what was not acknowledged, with its own sequence number.
    b.answer(7, 3, shown[3]["C"], duplicate=state["last_seq"] == 7)
    seq = 7
    state = b.sync()
    assert state["answers"]["3"] == shown[3]["C"] and state["last_seq"] == 7
    # The server pushed the clock to this connection, opened on a running attempt.
    assert b.times, b.seen
    assert b.times[0]["deadline"] == deadline and 0 < b.times[0]["remaining_ms"] <= 10_000

    # A second connection on A takes over: B is told and closed, across processes, via Redis.
    a2 = sockets(cluster.a, summary["ws_path"], http.cookie_header())
    state = a2.expect("state", status="in_progress", last_seq=7, flags=[2])
    assert state["answers"] == {"1": shown[1]["A"], "2": shown[2]["B"], "3": shown[3]["C"], "4": shown[4]["D"]}
    taken = b.expect("taken_over")
    assert taken["message"]
    assert b.expect_close() == 4409

    # Keep answering on the new connection.
    seq += 1
    a2.answer(seq, 5, shown[5]["A"])
    seq += 1
    a2.flag(seq, 2, False)
    assert a2.sync()["flags"] == []

    # The server's deadline passes: it submits, and says so.
    submitted = a2.expect("submitted", timeout=12.0, reason="deadline")
    assert submitted["status"] in ("submitted", "scored")
    late = a2.call({"type": "answer", "seq": seq + 1, "item": 1, "value": shown[1]["B"]}, "error", seq=seq + 1)
    assert late["code"] in ("deadline_passed", "attempt_closed"), late
    state = a2.sync()  # still open after the error
    assert state["status"] in ("submitted", "scored") and state["submit_reason"] == "deadline"
    assert state["remaining_ms"] is None
    a2.close()

    # The worker process scores it and writes the record entry.
    entry = wait_for(lambda: scored_entry(attempt.pk), SCORING_WAIT, "scored attempt with a record entry")
    # Final answers 1 A, 2 B, 3 C, 4 D, 5 A: all correct, stored in the author's ids.
    assert {a.form_item.position: a.value for a in Answer.objects.filter(attempt=attempt)} == KEYS
    assert entry.score == Decimal("10.0") and entry.student_id == student.pk
    attempt.refresh_from_db()
    assert attempt.submit_reason == "deadline" and attempt.submitted_at >= attempt.deadline
    assert attempt.result.number_correct == 5
    assert list(AnswerEvent.objects.filter(attempt=attempt).values_list("seq", flat=True)) == list(range(1, 10))
    log = cluster.celery_log.read_text(errors="replace")
    assert "assess.tasks.attempt_score_task[" in log and "succeeded" in log

    # The exam board sees it through the board endpoints; the student sees the record.
    board = logged_in(cluster.b, board_member_of(sitting))
    status, body = board.get("/api/sittings/")
    assert status == 200 and sitting.pk in [s["id"] for s in body["results"]]
    status, body = board.get(f"/api/sittings/{sitting.pk}/results/")
    assert status == 200 and body["counts"] == {"scored": 1, "scheduled": 1}
    row = next(r for r in body["candidates"] if r["attempt"] == attempt.pk)
    assert (row["status"], row["submit_reason"], row["score_10"], row["number_correct"]) == (
        "scored",
        "deadline",
        "10.0",
        5,
    )
    # Scored, not yet published: the board sees the record entry, the student nothing of it.
    status, body = board.get(f"/api/students/{student.pk}/record/")
    assert status == 200 and [(e["attempt"], e["score"]) for e in body["entries"]] == [(attempt.pk, "10.0")]
    status, body = http.get(f"/api/students/{student.pk}/record/")
    assert status == 200 and body["entries"] == []


def test_student_who_never_returns_is_submitted_by_the_sweep_and_scored(cluster: Cluster, sockets: Opener):
    sitting = make_sitting(n_items=4, n_students=1, duration=timedelta(seconds=3))
    attempt = sitting.attempts.get()
    http = logged_in(cluster.b, attempt.student)
    summary = my_attempt(http, attempt.pk)

    ws = sockets(cluster.b, summary["ws_path"], http.cookie_header())
    ws.expect("state", status="scheduled")
    state = ws.call({"type": "start"}, "state", status="in_progress")
    shown = option_ids(state)
    ws.answer(state["last_seq"] + 1, 1, shown[1]["A"])  # right
    ws.answer(state["last_seq"] + 2, 2, shown[2]["C"])  # wrong (key B)
    ws.drop()  # and never comes back

    entry = wait_for(lambda: scored_entry(attempt.pk), SCORING_WAIT, "scored attempt with a record entry")
    attempt.refresh_from_db()
    assert attempt.submit_reason == "deadline"
    lateness = (attempt.submitted_at - attempt.deadline).total_seconds()
    assert 0 <= lateness < 5, lateness  # the sweep runs every second
    submission = AttemptTransition.objects.get(attempt=attempt, to_status=statuses.SUBMITTED)
    assert submission.by is None and submission.reason == "deadline"
    assert attempt.result.number_correct == 1 and entry.score == Decimal("2.5")


def test_bad_input_gets_clear_errors_and_loses_nothing(cluster: Cluster, sockets: Opener):
    sitting = make_sitting(n_items=3, n_students=2, duration=timedelta(minutes=10))
    mine, theirs = sitting.attempts.order_by("pk")
    http = logged_in(cluster.a, mine.student)
    summary = my_attempt(http, mine.pk)
    path = summary["ws_path"]

    # REST errors have one shape.
    status, body = http.get(f"/api/attempts/{theirs.pk}/")  # another's: not even its existence
    assert status == 404 and body["error"]["code"] == "not_found" and body["error"]["message"]
    status, body = http.get("/api/attempts/999999999/")
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body = HttpClient(cluster.a).get("/api/me/")
    assert status == 401 and body["error"]["code"] == "not_authenticated"
    stranger = HttpClient(cluster.a)
    stranger.get("/api/auth/csrf/")
    status, body = stranger.request(
        "POST",
        "/api/auth/login/",
        {"username": mine.student.username, "password": "wrong"},
        {"X-CSRFToken": stranger.cookie("csrftoken")},
    )
    assert status == 401 and body["error"]["code"] == "invalid_credentials"
    status, _ = HttpClient(cluster.a).request("POST", "/api/auth/login/", {"username": "x", "password": "y"})
    assert status == 403  # no CSRF cookie and token

    # Handshakes from any origin but the page's own (scheme, host and port) are refused
    # before any exam code runs: another port of the same host is another site.
    port = urlsplit(cluster.a).port
    for origin in (None, "http://evil.example", f"http://127.0.0.1:{port + 1}", f"https://127.0.0.1:{port}"):
        with pytest.raises(InvalidStatus) as refused:
            sockets(cluster.a, path, http.cookie_header(), origin=origin)
        assert refused.value.response.status_code == 403

    # Accepted, then refused with an error and a close code.
    anonymous = sockets(cluster.a, path, "")
    anonymous.expect("error", code="not_authenticated")
    assert anonymous.expect_close() == 4401
    other = sockets(cluster.a, f"/ws/attempts/{theirs.pk}/", http.cookie_header())
    other.expect("error", code="forbidden")
    assert other.expect_close() == 4403
    missing = sockets(cluster.a, "/ws/attempts/999999999/", http.cookie_header())
    missing.expect("error", code="not_found")
    assert missing.expect_close() == 4404
    theirs.refresh_from_db()
    assert theirs.status == statuses.SCHEDULED and theirs.connection_token is None

    ws = sockets(cluster.a, path, http.cookie_header())
    ws.expect("state", status="scheduled")
    ws.error({"type": "answer", "seq": 1, "item": 1, "value": "B"}, "not_started", 1)
    ws.error({"type": "submit"}, "not_started")
    shown = option_ids(ws.call({"type": "start"}, "state", status="in_progress"))
    ws.answer(1, 1, shown[1]["B"])
    ws.flag(2, 1, True)

    def intact() -> None:
        state = ws.sync()  # the connection still works
        assert (state["status"], state["answers"], state["flags"], state["last_seq"]) == (
            "in_progress",
            {"1": shown[1]["B"]},
            [1],
            2,
        )
        assert list(AnswerEvent.objects.filter(attempt=mine).values_list("seq", "value")) == [(1, "B"), (2, True)]

    bad: list[tuple[dict | str | bytes, str, int | None]] = [
        ("{not json", "malformed", None),
        (b'{"type": "sync"}', "malformed", None),  # binary frame
        ("[1, 2]", "malformed", None),
        ({"seq": 3}, "malformed", None),
        ({"type": "answer", "seq": 3, "item": 2, "value": "A" * (WS_MAX_MESSAGE_BYTES + 100)}, "too_large", None),
        ({"type": "hello"}, "unknown_type", None),
        ({"type": "answer", "seq": 0, "item": 2, "value": "A"}, "invalid_field", None),
        ({"type": "answer", "seq": "3", "item": 2, "value": "A"}, "invalid_field", None),
        ({"type": "answer", "seq": 3, "item": 0, "value": "A"}, "invalid_field", 3),
        ({"type": "answer", "seq": 3, "item": 2}, "invalid_field", 3),
        ({"type": "answer", "seq": 3, "item": 2, "value": "A", "extra": 1}, "invalid_field", 3),
        ({"type": "flag", "seq": 3, "item": 2, "flagged": "yes"}, "invalid_field", 3),
        ({"type": "start", "now": 1}, "invalid_field", None),
        ({"type": "answer", "seq": 3, "item": 2, "value": ""}, "invalid_value", 3),
        ({"type": "answer", "seq": 3, "item": 2, "value": 1}, "invalid_value", 3),
        ({"type": "answer", "seq": 3, "item": 2, "value": "Z"}, "invalid_value", 3),
        ({"type": "answer", "seq": 3, "item": 2, "value": "B"}, "invalid_value", 3),  # the author's id
        ({"type": "answer", "seq": 3, "item": 2, "value": ["A", "B"]}, "invalid_value", 3),  # single choice
        ({"type": "answer", "seq": 3, "item": 2, "value": {"a": True}}, "invalid_value", 3),
        ({"type": "answer", "seq": 3, "item": 999, "value": "A"}, "unknown_item", 3),
        ({"type": "answer", "seq": 1, "item": 1, "value": shown[1]["C"]}, "seq_conflict", 1),
        ({"type": "answer", "seq": 2, "item": 1, "value": shown[1]["B"]}, "seq_conflict", 2),
    ]
    for message, code, seq in bad:
        ws.error(message, code, seq)
        intact()

    # A sequence number refused with an error was not used up.
    ws.answer(3, 2, shown[2]["B"])
    ws.call({"type": "submit"}, "submitted", reason="student", status="submitted")
    ws.error({"type": "answer", "seq": 4, "item": 3, "value": shown[3]["C"]}, "attempt_closed", 4)
    ws.answer(3, 2, shown[2]["B"], duplicate=True)  # a replay is still acknowledged after submission
    assert ws.sync()["status"] in ("submitted", "scored")
    ws.close()

    wait_for(lambda: scored_entry(mine.pk), SCORING_WAIT, "scored attempt with a record entry")
    mine.refresh_from_db()
    assert mine.result.number_correct == 1  # item 1 (key A) wrong, item 2 (key B) right, item 3 blank
    assert list(AnswerEvent.objects.filter(attempt=mine).values_list("seq", flat=True)) == [1, 2, 3]


def test_logout_on_one_server_closes_the_exam_socket_on_the_other(cluster: Cluster, sockets: Opener):
    """The next person at a lab PC must not go on answering in the name of a student who logged out."""
    sitting = make_sitting(n_items=2, n_students=1, duration=timedelta(minutes=10))
    attempt = sitting.attempts.get()
    http = logged_in(cluster.a, attempt.student)
    summary = my_attempt(http, attempt.pk)
    cookies = http.cookie_header()

    ws = sockets(cluster.b, summary["ws_path"], cookies)
    ws.expect("state", status="scheduled")
    shown = option_ids(ws.call({"type": "start"}, "state", status="in_progress"))
    ws.answer(1, 1, shown[1]["A"])

    status, body = http.request("POST", "/api/auth/logout/", headers={"X-CSRFToken": http.cookie("csrftoken")})
    assert (status, body) == (200, {"ok": True})
    error = ws.expect("error", code="logged_out")
    assert error["message"]
    assert ws.expect_close() == 4401

    # The old cookie opens nothing any more, on either server.
    for base in (cluster.a, cluster.b):
        again = sockets(base, summary["ws_path"], cookies)
        again.expect("error", code="not_authenticated")
        assert again.expect_close() == 4401
    assert list(AnswerEvent.objects.filter(attempt=attempt).values_list("seq", flat=True)) == [1]


def test_a_flooding_socket_is_closed_and_the_other_server_does_not_refill_its_tokens(cluster: Cluster, sockets: Opener):
    sitting = make_sitting(n_items=2, n_students=1, duration=timedelta(minutes=10))
    attempt = sitting.attempts.get()
    http = logged_in(cluster.a, attempt.student)
    path, cookies = my_attempt(http, attempt.pk)["ws_path"], http.cookie_header()

    flood = sockets(cluster.a, path, cookies)
    flood.expect("state", status="scheduled")
    for _ in range(300):  # as fast as the socket takes them, replies unread
        flood.send({"type": "sync"})
    assert flood.expect_close() == 4429
    refused = [m for m in flood.seen if m.get("code") == "rate_limited"]
    assert refused and all("seq" not in m and m["retry_after_ms"] > 0 for m in refused)
    assert len([m for m in flood.seen if m["type"] == "state"]) < 30  # 300 asked for

    # The tokens are the student's, kept in Redis: the other server does not hand out new ones.
    # Closed for flooding: a burst of 120 tokens in debt, plus the 10 a connection costs, at 20
    # a second in this cluster.
    assert 6000 <= refused[-1]["retry_after_ms"] <= 6500
    with pytest.raises(InvalidStatus) as refused_handshake:
        sockets(cluster.b, path, cookies)
    assert refused_handshake.value.response.status_code == 403
    time.sleep(refused[-1]["retry_after_ms"] / 1000 + 0.3)
    honest = sockets(cluster.b, path, cookies)
    honest.expect("state", status="scheduled")
    shown = option_ids(honest.call({"type": "start"}, "state", status="in_progress"))
    honest.answer(1, 1, shown[1]["A"])


# --- a client flooding at line rate, over a raw socket (RFC 6455) ----------------------------------


def raw_exam_socket(base: str, ws_path: str, cookies: str) -> socket.socket:
    """A websocket opened by hand: the handshake, then the bare TCP socket."""
    parts = urlsplit(base)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=WAIT)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {ws_path} HTTP/1.1\r\nHost: {parts.netloc}\r\nOrigin: {base}\r\nCookie: {cookies}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(4096)
        assert chunk, f"closed during the handshake: {response!r}"
        response += chunk
    assert response.startswith(b"HTTP/1.1 101"), response.split(b"\r\n", 1)[0]
    return sock


def client_frame(message: dict) -> bytes:
    """A masked text frame; the masking key is zero, so the payload goes as it is."""
    payload = json.dumps(message).encode()
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


def test_a_line_rate_flooder_is_read_no_faster_than_served_then_dropped(cluster: Cluster, sockets: Opener):
    """A client writing answers as fast as TCP carries them, never reading: the server stops
    reading its socket, closes it for flooding and drops the connection without waiting for a
    closing handshake (config/websocket_transport.py), while the student beside it is served."""
    sitting = make_sitting(n_items=2, n_students=2, duration=timedelta(minutes=10))
    flooding, honest_attempt = sitting.attempts.order_by("pk")
    http = logged_in(cluster.a, flooding.student)
    path, cookies = my_attempt(http, flooding.pk)["ws_path"], http.cookie_header()
    first = sockets(cluster.a, path, cookies)
    first.expect("state", status="scheduled")
    shown = option_ids(first.call({"type": "start"}, "state", status="in_progress"))
    first.close()
    honest_http = logged_in(cluster.a, honest_attempt.student)
    honest = sockets(cluster.a, my_attempt(honest_http, honest_attempt.pk)["ws_path"], honest_http.cookie_header())
    honest.expect("state", status="scheduled")
    honest_shown = option_ids(honest.call({"type": "start"}, "state", status="in_progress"))

    block = b"".join(
        client_frame({"type": "answer", "seq": seq, "item": 1, "value": shown[1]["ABCD"[seq % 4]]})
        for seq in range(1, 20_001)
    )
    flood = raw_exam_socket(cluster.a, path, cookies)
    flood.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65_536)
    written, ended = 0, None
    while written < 64 * len(block):
        try:
            written += flood.send(block[written % len(block) :])
        except TimeoutError:
            ended = "writes blocked and the connection was never dropped"
            break
        except OSError as exc:  # reset or broken pipe: the server dropped the connection
            ended = type(exc).__name__
            break
    flood.close()
    # The server stopped reading, then dropped the connection: what it took is what the
    # sockets' buffers hold (about 0.3 MB here), where a server reading everything until the
    # end of a closing handshake took 4 MB (1.3 MB is one block of 20,000 frames).
    assert ended in ("ConnectionResetError", "BrokenPipeError"), (ended, written)
    assert written < len(block), written

    # Closed for flooding: the student's next connection is refused until the debt is paid,
    # and no more answers were stored than the burst allows.
    with pytest.raises(InvalidStatus) as refused_handshake:
        sockets(cluster.b, path, cookies)
    assert refused_handshake.value.response.status_code == 403
    assert AnswerEvent.objects.filter(attempt=flooding).count() <= 120
    # The student beside it was served throughout.
    honest.answer(1, 1, honest_shown[1]["B"])
    assert list(AnswerEvent.objects.filter(attempt=honest_attempt).values_list("seq", flat=True)) == [1]


def test_a_console_on_one_server_follows_candidates_connected_to_the_other(cluster: Cluster, sockets: Opener):
    """Issue 10: a proctor's console on Daphne B sees, within a moment, what a candidate
    connected to Daphne A does, and the proctor's actions on B reach the candidate on A."""
    from proctoring import services as proctoring
    from proctoring.models import SittingRoom

    sitting = make_sitting(n_items=5, n_students=2)
    school = sitting.organisation
    keeper = User.objects.create_user("it-keeper", password=PASSWORD, role=Role.SCHOOL_ADMIN, organisation=school)
    proctor = User.objects.create_user("it-proctor", password=PASSWORD, role=Role.PROCTOR, organisation=school)
    room = proctoring.room_save(
        by=keeper, organisation_id=school.pk, spec=proctoring.RoomSpec(name="P1", rows=2, columns=2)
    )
    proctoring.sitting_place(
        by=sitting.created_by,
        sitting_id=sitting.pk,
        plan=[proctoring.RoomPlan(room_id=room.pk, proctor_ids=(proctor.pk,))],
    )
    sitting_room = SittingRoom.objects.get(sitting=sitting)
    attempt = Attempt.objects.filter(sitting=sitting).select_related("student").order_by("pk").first()

    watching = logged_in(cluster.b, proctor)
    console = sockets(cluster.b, f"/ws/consoles/rooms/{sitting_room.pk}/", watching.cookie_header())
    snapshot = console.expect("snapshot", room=sitting_room.pk)
    assert snapshot["attempts"][str(attempt.pk)]["status"] == statuses.SCHEDULED

    def heard(kind: str, **fields: Any) -> dict:
        while True:
            message = console.next()
            assert message["type"] in ("event", "events"), message
            for event in message.get("events") or [message.get("event")]:  # answers come gathered
                if event["kind"] == kind and all(event.get(k) == v for k, v in fields.items()):
                    return event

    candidate = logged_in(cluster.a, attempt.student)
    exam = sockets(cluster.a, my_attempt(candidate, attempt.pk)["ws_path"], candidate.cookie_header())
    assert exam.expect("state")["status"] == statuses.SCHEDULED
    assert heard("presence", attempt=attempt.pk)["connected"] is True

    csrf = {"X-CSRFToken": watching.cookie("csrftoken") or ""}
    status, body = watching.request("POST", f"/api/attempts/{attempt.pk}/check-in/", {}, csrf)
    assert (status, body["status"]) == (200, statuses.CHECKED_IN)
    assert heard("status", attempt=attempt.pk)["status"] == statuses.CHECKED_IN
    assert exam.expect("state")["status"] == statuses.CHECKED_IN  # pushed across processes
    status, body = watching.request("POST", f"/api/sitting-rooms/{sitting_room.pk}/open/", {"together": True}, csrf)
    assert status == 200 and body["together"] is True, body
    state = exam.expect("state", status=statuses.IN_PROGRESS)
    assert heard("status", attempt=attempt.pk)["status"] == statuses.IN_PROGRESS
    assert heard("room_opened", room=sitting_room.pk)["together"] is True

    exam.answer(1, 1, option_ids(state)[1][KEYS[1]])
    event = heard("answer", attempt=attempt.pk)
    assert (event["item"], event["answered"]) == (1, True)
    exam.call({"type": "ping"}, "pong")
    console.send({"type": "seen"})
    assert str(attempt.pk) in console.expect("seen")["seen"]

    exam.close()  # the candidate's PC goes away: the console on the other server is told
    assert heard("presence", attempt=attempt.pk)["connected"] is False
    console.send({"type": "snapshot"})
    row = console.expect("snapshot")["attempts"][str(attempt.pk)]
    assert row["connection"]["connected"] is False and row["answered"] == [1]
