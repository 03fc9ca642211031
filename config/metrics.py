"""Metrics an operator watches on exam day, served in Prometheus' text format at ``GET /metrics``.

Built on ``prometheus_client``. Every call below is cheap (an in-memory or memory-mapped
addition) and never touches the database: nothing is computed when the endpoint is scraped.

Processes. With ``PROMETHEUS_MULTIPROC_DIR`` set (a real node: several Daphne processes and
Celery workers), every process writes its values into files of that folder and a scrape of any
Daphne process of the node reads them all (prometheus_client's multiprocess mode): counters and
histograms are summed over every process that ever wrote since the folder was emptied, the open
connections gauge over the live processes only. The folder must exist and be emptied when the
node starts, before any of its processes (docs/operations.md). A process marks itself dead when
it exits (``atexit``; Celery's pool processes through ``worker_process_shutdown`` in
config/celery.py). Without the variable (``make run``, the tests) each process keeps its own
values and serves them with the process's own ``process_*`` and ``python_*`` metrics.

Metrics (counters are exposed with the ``_total`` suffix; the helper that feeds each is named):

Exam websockets (assess/consumers.py)
    ``assess_ws_connections_open`` (gauge, summed over live processes): exam websockets
        accepted and not yet closed. ``ws_connected()``, ``ws_disconnected(code)``.
    ``assess_ws_connects_total`` (counter): exam websockets accepted. ``ws_connected()``.
    ``assess_ws_disconnects_total{code}`` (counter): accepted websockets closed, by close code:
        1000 normal, 1001 going away, 1005 no code, 1006 dropped without a close frame, 1011
        server error, 4401 not authenticated, 4403 forbidden, 4404 not found, 4409 taken over,
        4429 rate limited, 4503 too busy to open it now (come back later), ``other``.
        ``ws_disconnected(code)``.
    ``assess_ws_messages_total{kind}`` (counter): frames received, by kind: answer, flag, sync,
        start, ping, other. ``message_received(kind)``.
    ``assess_answers_acked_total`` (counter): answers acknowledged (committed, then acked).
        ``answer_acked(seconds)``.
    ``assess_answer_ack_duration_seconds`` (histogram, 1 ms to 5 s): from an answer frame's
        arrival to its acknowledgement being sent. ``answer_acked(seconds)``.
    ``assess_answer_group_size`` (histogram, 1 to 256): answers one statement committed
        together (group commit, assess/answer_batch.py): near 1 on a quiet node, larger under
        load. ``answer_group_written(size, declined)``.
    ``assess_answers_declined_total`` (counter): answers the group statement declined (a
        replay, a paused or closed attempt, sections...), decided by the canonical path
        instead. ``answer_group_written(size, declined)``.
    ``assess_ws_connect_duration_seconds`` (histogram, 5 ms to 30 s): from the connection's
        arrival to the attempt's state being sent. ``connect_done(seconds)``.
    ``assess_ws_errors_sent_total{code}`` (counter): error messages sent to clients, by their
        protocol code (docs/protocol.md). ``error_sent(code)``.
    ``assess_ws_rate_limited_total{what}`` (counter): refusals of the rate limit: ``frame``
        (a frame refused unread), ``connection`` (a handshake refused), ``flood`` (a connection
        closed for flooding). ``rate_limited(what)``.

Plumbing
    ``assess_channel_layer_errors_total`` (counter): channel-layer calls that failed (Redis
        unreachable, a full channel). ``channel_layer_error()``.
    ``assess_database_errors_total`` (counter): database connection or pool failures (a
        connection refused or broken, no connection free in time). ``database_error()``.

Celery (signals hooked in config/celery.py; the task label is the registered task name)
    ``assess_celery_tasks_started_total{task}`` (counter): tasks begun (``task_prerun``).
    ``assess_celery_tasks_failed_total{task}`` (counter): tasks that raised (``task_failure``;
        Celery sends none for a task run eagerly that raises into its caller, as in ``make run``).
    ``assess_celery_task_duration_seconds{task}`` (histogram, 10 ms to 2 min): run time of the
        tasks that ended, failed or not (``task_postrun``); started minus this histogram's count
        is the tasks running, or lost with their process.

Labels take values from the small sets above only (anything else counts as ``other``), so a
client cannot grow the number of series.
"""

from __future__ import annotations

import atexit
import os
import re
import time

# prometheus_client picks its storage when it is first imported, from this variable: an empty
# value would put the files in the working directory. Unset and empty mean the same here.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip():
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)

from prometheus_client import (  # noqa: E402
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, choose_encoder, generate_latest  # noqa: E402

MULTIPROCESS_DIR: str | None = os.environ.get("PROMETHEUS_MULTIPROC_DIR")

if MULTIPROCESS_DIR:
    os.makedirs(MULTIPROCESS_DIR, exist_ok=True)
    # A process that died without marking itself (killed) may have had this pid: its open
    # connections are not ours. Done before the gauge below opens its file.
    multiprocess.mark_process_dead(os.getpid(), MULTIPROCESS_DIR)

CLOSE_CODES = ("1000", "1001", "1005", "1006", "1011", "4401", "4403", "4404", "4409", "4429", "4503")
MESSAGE_KINDS = ("answer", "flag", "sync", "start", "ping")
RATE_LIMITED = ("frame", "connection", "flood")
OTHER = "other"
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")

# Seconds. An answer is acked after its commit: a few ms on a quiet node; past 1 s students see
# their "saving…" linger. Connecting reads the whole attempt (the form, answers, the clock).
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
CONNECT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Up to the hard time limit (CELERY_TASK_TIME_LIMIT, 120 s).
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0)

WS_OPEN = Gauge(
    "assess_ws_connections_open",
    "Exam websockets accepted and not yet closed (summed over the node's live processes).",
    multiprocess_mode="livesum",
)
WS_CONNECTS = Counter("assess_ws_connects", "Exam websockets accepted.")
WS_DISCONNECTS = Counter("assess_ws_disconnects", "Accepted exam websockets closed, by close code.", ["code"])
WS_MESSAGES = Counter("assess_ws_messages", "Exam websocket frames received, by kind.", ["kind"])
ANSWERS_ACKED = Counter("assess_answers_acked", "Answers acknowledged to the student (after their commit).")
ANSWER_ACK_SECONDS = Histogram(
    "assess_answer_ack_duration_seconds",
    "Seconds from an answer frame's arrival to its acknowledgement.",
    buckets=ACK_BUCKETS,
)
CONNECT_SECONDS = Histogram(
    "assess_ws_connect_duration_seconds",
    "Seconds from an exam websocket's arrival to the attempt's state being sent.",
    buckets=CONNECT_BUCKETS,
)
ERRORS_SENT = Counter("assess_ws_errors_sent", "Error messages sent to exam clients, by protocol code.", ["code"])
RATE_LIMITED_TOTAL = Counter(
    "assess_ws_rate_limited", "Refusals of the exam websocket's rate limit: frame, connection or flood.", ["what"]
)
ANSWER_GROUP_SIZE = Histogram(
    "assess_answer_group_size",
    "Answers committed together by one statement (assess/answer_batch.py).",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
ANSWERS_DECLINED = Counter(
    "assess_answers_declined", "Answers the group statement declined, sent down the canonical path instead."
)
CHANNEL_LAYER_ERRORS = Counter("assess_channel_layer_errors", "Channel-layer calls that failed.")
DATABASE_ERRORS = Counter("assess_database_errors", "Database connection or pool failures.")
TASKS_STARTED = Counter("assess_celery_tasks_started", "Celery tasks begun, by task name.", ["task"])
TASKS_FAILED = Counter("assess_celery_tasks_failed", "Celery tasks that raised, by task name.", ["task"])
TASK_SECONDS = Histogram(
    "assess_celery_task_duration_seconds",
    "Seconds Celery tasks ran, failed or not, by task name.",
    ["task"],
    buckets=TASK_BUCKETS,
)

# Every series of a known label value exists from the start, at 0: rate() and alerts then see
# the first occurrence instead of a series appearing.
for _code in (*CLOSE_CODES, OTHER):
    WS_DISCONNECTS.labels(_code)
for _kind in (*MESSAGE_KINDS, OTHER):
    WS_MESSAGES.labels(_kind)
for _what in RATE_LIMITED:
    RATE_LIMITED_TOTAL.labels(_what)

# When each task running in this process began (monotonic seconds), by task id. A task run
# eagerly with its errors propagated (the embedded default) that fails never sends
# ``task_postrun``: the oldest entries past this many are forgotten (a worker's process runs
# one task at a time).
_task_started_at: dict[str, float] = {}
TASKS_TIMED_AT_MOST = 1000


# --- exam websockets ----------------------------------------------------------------------------


def ws_connected() -> None:
    """An exam websocket was accepted. Pair it with one ``ws_disconnected`` when it closes (a
    handshake refused before ``accept`` is neither: count it with ``rate_limited`` or not at all)."""
    WS_CONNECTS.inc()
    WS_OPEN.inc()


def ws_disconnected(code: int | str | None) -> None:
    """An exam websocket counted by ``ws_connected`` closed, with this close code."""
    WS_OPEN.dec()
    WS_DISCONNECTS.labels(close_code_label(code)).inc()


def close_code_label(code: int | str | None) -> str:
    """The label of a close code: itself when it is one of ``CLOSE_CODES``, else ``other``."""
    label = str(code)
    return label if label in CLOSE_CODES else OTHER


def message_received(kind: str | None) -> None:
    """A frame was received; ``kind`` is its ``type`` (anything unknown counts as ``other``)."""
    WS_MESSAGES.labels(kind if kind in MESSAGE_KINDS else OTHER).inc()


def answer_acked(seconds: float) -> None:
    """An answer was acknowledged, ``seconds`` after its frame arrived."""
    ANSWERS_ACKED.inc()
    ANSWER_ACK_SECONDS.observe(seconds)


def answer_group_written(size: int, declined: int) -> None:
    """One statement committed a group of ``size`` answers, ``declined`` of them not written."""
    ANSWER_GROUP_SIZE.observe(size)
    if declined:
        ANSWERS_DECLINED.inc(declined)


def connect_done(seconds: float) -> None:
    """A connection got its state, ``seconds`` after it arrived."""
    CONNECT_SECONDS.observe(seconds)


def error_sent(code: str) -> None:
    """An error message with this protocol code was sent to a client."""
    ERRORS_SENT.labels(code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else OTHER).inc()


def rate_limited(what: str = "frame") -> None:
    """The rate limit refused a ``frame``, a ``connection`` (its handshake), or closed a ``flood``."""
    RATE_LIMITED_TOTAL.labels(what if what in RATE_LIMITED else "frame").inc()


# --- plumbing ---------------------------------------------------------------------------------


def channel_layer_error() -> None:
    """A channel-layer call (send, group send, group add or discard) failed."""
    CHANNEL_LAYER_ERRORS.inc()


def database_error() -> None:
    """A database connection could not be had or broke (OperationalError, InterfaceError, a
    pool's timeout)."""
    DATABASE_ERRORS.inc()


# --- Celery (connected to its signals in config/celery.py) ---------------------------------------


def task_started(name: str, task_id: str | None) -> None:
    """A task began in this process (``task_prerun``)."""
    TASKS_STARTED.labels(name).inc()
    if task_id is not None:
        _task_started_at[task_id] = time.monotonic()
        while len(_task_started_at) > TASKS_TIMED_AT_MOST:
            del _task_started_at[next(iter(_task_started_at))]


def task_finished(name: str, task_id: str | None) -> None:
    """A task ended in this process, failed or not (``task_postrun``)."""
    started = _task_started_at.pop(task_id, None) if task_id is not None else None
    if started is not None:
        TASK_SECONDS.labels(name).observe(time.monotonic() - started)


def task_failed(name: str) -> None:
    """A task raised (``task_failure``)."""
    TASKS_FAILED.labels(name).inc()


# --- processes and the scrape -----------------------------------------------------------------


def mark_process_dead(pid: int | None = None) -> None:
    """Drop a process's share of the open connections gauge (this process's by default) when
    it exits; its counters and histograms stay in the sums. Nothing to do without the folder."""
    if MULTIPROCESS_DIR:
        multiprocess.mark_process_dead(os.getpid() if pid is None else pid, MULTIPROCESS_DIR)


if MULTIPROCESS_DIR:
    atexit.register(mark_process_dead)


def render(accept: str | None = None) -> tuple[bytes, str]:
    """The exposition (body, content type) for a scrape sending this ``Accept`` header: the
    node's processes summed in multiprocess mode, this process's registry otherwise."""
    if MULTIPROCESS_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=MULTIPROCESS_DIR)
    else:
        registry = REGISTRY
    try:
        encoder, content_type = choose_encoder(accept or "")
    except (TypeError, ValueError):  # a version it cannot compare ("version=abc"): the classic text
        encoder, content_type = generate_latest, CONTENT_TYPE_PLAIN_0_0_4
    return encoder(registry), content_type
