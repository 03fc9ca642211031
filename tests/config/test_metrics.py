"""GET /metrics (config/metrics.py): who may read it, what it holds, across processes and tasks.

The helpers are called and the exposition read back as Prometheus would parse it; the values
are compared before and after, so the tests hold whatever other tests counted before them.
The multiprocess test runs real processes sharing a PROMETHEUS_MULTIPROC_DIR, since
prometheus_client chooses its storage once per process, when it is imported.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from config import metrics
from config.celery import app

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "m" * 40
OUTSIDE = "203.0.113.7"  # TEST-NET-3: never one of the default networks


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by (name, sorted labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(**extra) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = Client().get("/metrics", **extra)
    assert response.status_code == 200, response.status_code
    return samples(response.content.decode())


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


# --- who may read it ---------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_a_local_address_reads_the_metrics(address):
    response = Client(REMOTE_ADDR=address).get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert response["Cache-Control"] == "no-store"
    assert "# TYPE assess_ws_connections_open gauge" in response.content.decode()


@pytest.mark.parametrize("address", [OUTSIDE, "10.1.2.3", "2001:db8::1", "", "unix-socket"])
def test_any_other_address_is_refused(address):
    response = Client(REMOTE_ADDR=address).get("/metrics")
    assert response.status_code == 403
    assert response.content == b"403 Forbidden\n" and response["Content-Type"].startswith("text/plain")


def test_the_allowed_networks_come_from_the_settings(settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "2001:db8::/32"]
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="2001:db8::1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 403
    assert Client(REMOTE_ADDR="11.0.0.1").get("/metrics").status_code == 403


@pytest.mark.parametrize(
    "authorization, status",
    [
        (f"Bearer {TOKEN}", 200),
        (f"bearer {TOKEN}", 200),
        (f"Bearer  {TOKEN} ", 200),
        (f"Bearer {TOKEN}x", 403),
        (f"Bearer {TOKEN[:-1]}", 403),
        (f"Basic {TOKEN}", 403),
        (TOKEN, 403),
        ("Bearer ", 403),
        ("Bearer żółw", 403),  # not ASCII: refused, not a server error
        ("", 403),
    ],
)
def test_the_token_opens_the_metrics_from_anywhere(settings, authorization, status):
    settings.METRICS_TOKEN = TOKEN
    client = Client(REMOTE_ADDR=OUTSIDE)
    response = client.get("/metrics", headers={"Authorization": authorization} if authorization else {})
    assert response.status_code == status


def test_without_a_token_set_no_bearer_opens_the_metrics(settings):
    settings.METRICS_TOKEN = ""
    for given in ("", " ", "Bearer", "None"):
        response = Client(REMOTE_ADDR=OUTSIDE).get("/metrics", headers={"Authorization": f"Bearer {given}"})
        assert response.status_code == 403


def test_only_get_is_answered():
    assert Client().post("/metrics").status_code == 405
    assert Client().put("/metrics").status_code == 405


@pytest.mark.parametrize(
    "accept, content_type",
    [
        (None, "text/plain; version=0.0.4"),
        ("application/openmetrics-text; version=1.0.0", "application/openmetrics-text; version=1.0.0"),
        ("text/plain; version=abc", "text/plain; version=0.0.4"),  # the library cannot compare it
        ("application/openmetrics-text; version=1.x", "text/plain; version=0.0.4"),
        ("\x00, */*", "text/plain; version=0.0.4"),
    ],
)
def test_the_format_follows_the_accept_header(accept, content_type):
    response = Client().get("/metrics", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and response["Content-Type"].startswith(content_type)
    assert b"assess_ws_connects" in response.content


SETTINGS_PROBE = "import django; django.setup(); from django.conf import settings; print(settings.METRICS_TOKEN)"


@pytest.mark.parametrize(
    "env, error",
    [
        ({"METRICS_ALLOWED_NETWORKS": "10.0.0.0/8,not-a-network"}, "METRICS_ALLOWED_NETWORKS"),
        ({"METRICS_ALLOWED_NETWORKS": "10.0.0.5/8"}, "has host bits set"),
        ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN must be at least 32 characters"),
        ({"METRICS_ALLOWED_NETWORKS": "192.168.10.0/24, fd00::/8", "METRICS_TOKEN": TOKEN}, None),
    ],
)
def test_the_settings_refuse_a_bad_network_or_a_short_token(tmp_path, env, error):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("METRICS_", "PROMETHEUS_"))}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DATA_DIR": str(tmp_path / "var"), **env})
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
    if error is None:
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == TOKEN
    else:
        assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr and error in result.stderr


# --- what it holds -----------------------------------------------------------------------------


def test_every_helper_shows_in_the_exposition():
    before = scrape()
    metrics.ws_connected()
    metrics.ws_connected()
    metrics.ws_disconnected(1000)
    metrics.ws_disconnected(4999)  # not a code of ours
    metrics.ws_connected()
    metrics.message_received("answer")
    metrics.message_received("answer")
    metrics.message_received("ping")
    metrics.message_received("x" * 100)  # a client's own type: one series, "other"
    metrics.message_received(None)
    metrics.answer_acked(0.004)
    metrics.answer_acked(3.0)
    metrics.connect_done(0.2)
    metrics.error_sent("history_full")
    metrics.error_sent("Not A Code!")
    metrics.rate_limited()
    metrics.rate_limited("connection")
    metrics.rate_limited("flood")
    metrics.channel_layer_error()
    metrics.database_error()
    after = scrape()

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("assess_ws_connections_open") == 1
    assert grew("assess_ws_connects_total") == 3
    assert grew("assess_ws_disconnects_total", code="1000") == 1
    assert grew("assess_ws_disconnects_total", code="other") == 1
    assert grew("assess_ws_messages_total", kind="answer") == 2
    assert grew("assess_ws_messages_total", kind="ping") == 1
    assert grew("assess_ws_messages_total", kind="other") == 2
    assert grew("assess_answers_acked_total") == 2
    assert grew("assess_answer_ack_duration_seconds_count") == 2
    assert grew("assess_answer_ack_duration_seconds_bucket", le="0.005") == 1
    assert grew("assess_answer_ack_duration_seconds_bucket", le="2.5") == 1
    assert grew("assess_answer_ack_duration_seconds_bucket", le="5.0") == 2
    assert grew("assess_answer_ack_duration_seconds_sum") == pytest.approx(3.004)
    assert grew("assess_ws_connect_duration_seconds_count") == 1
    assert grew("assess_ws_connect_duration_seconds_bucket", le="0.25") == 1
    assert grew("assess_ws_errors_sent_total", code="history_full") == 1
    assert grew("assess_ws_errors_sent_total", code="other") == 1
    assert grew("assess_ws_rate_limited_total", what="frame") == 1
    assert grew("assess_ws_rate_limited_total", what="connection") == 1
    assert grew("assess_ws_rate_limited_total", what="flood") == 1
    assert grew("assess_channel_layer_errors_total") == 1
    assert grew("assess_database_errors_total") == 1
    metrics.ws_disconnected(1006)
    assert value(scrape(), "assess_ws_connections_open") == value(before, "assess_ws_connections_open")


def test_known_labels_are_exposed_before_anything_happens():
    found = scrape()
    for code in (*metrics.CLOSE_CODES, "other"):
        assert ("assess_ws_disconnects_total", (("code", code),)) in found
    for kind in ("answer", "flag", "sync", "start", "ping", "other"):
        assert ("assess_ws_messages_total", (("kind", kind),)) in found


def test_the_close_codes_are_the_protocols():
    from assess import consumers

    ours = {value for name, value in vars(consumers).items() if name.startswith("CLOSE_")}
    assert ours and {str(code) for code in ours} <= set(metrics.CLOSE_CODES)


def metric_names() -> set[str]:
    """The names of every metric config.metrics defines (counters without their _total)."""
    from prometheus_client.metrics import MetricWrapperBase

    return {item._name for item in vars(metrics).values() if isinstance(item, MetricWrapperBase)}


def test_the_docstring_and_the_operations_guide_list_every_metric():
    defined = metric_names()
    assert len(defined) >= 14 and all(name.startswith("assess_") for name in defined)
    documented = {name.removesuffix("_total") for name in re.findall(r"``(assess_\w+)", metrics.__doc__ or "")}
    assert documented == defined
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "# Operations" in guide and "## Metrics (Prometheus)" in guide
    missing = [name for name in defined if name not in guide]
    assert not missing, f"docs/operations.md does not describe {missing}"


# --- Celery ------------------------------------------------------------------------------------


@app.task(name="tests.config.metrics_probe_task", shared=False)
def metrics_probe_task(fail: bool = False) -> str:
    if fail:
        raise ValueError("the probe failed, as asked")
    return "done"


def test_celery_tasks_are_counted_by_name_through_the_signals():
    assert app.conf.task_always_eager  # tests/conftest.py runs tasks in-process
    name = "tests.config.metrics_probe_task"
    before = scrape()
    assert metrics_probe_task.delay().get() == "done"
    # As a worker runs it: the failure stored, not raised into the caller (which, eagerly,
    # would skip Celery's failure and postrun signals).
    failed = metrics_probe_task.apply(kwargs={"fail": True}, throw=False)
    assert failed.failed() and isinstance(failed.result, ValueError)
    after = scrape()
    assert (
        value(after, "assess_celery_tasks_started_total", task=name)
        - value(before, "assess_celery_tasks_started_total", task=name)
        == 2
    )
    assert (
        value(after, "assess_celery_tasks_failed_total", task=name)
        - value(before, "assess_celery_tasks_failed_total", task=name)
        == 1
    )
    assert (
        value(after, "assess_celery_task_duration_seconds_count", task=name)
        - value(before, "assess_celery_task_duration_seconds_count", task=name)
        == 2
    )
    assert metrics._task_started_at == {}  # nothing left behind for the tasks that ended


def test_tasks_that_never_end_are_not_kept_for_ever(monkeypatch):
    monkeypatch.setattr(metrics, "_task_started_at", {})
    for number in range(metrics.TASKS_TIMED_AT_MOST + 5):
        metrics.task_started("tests.config.never_ending", f"id-{number}")
    assert len(metrics._task_started_at) == metrics.TASKS_TIMED_AT_MOST
    assert (
        "id-0" not in metrics._task_started_at and f"id-{metrics.TASKS_TIMED_AT_MOST + 4}" in metrics._task_started_at
    )


# --- several processes -------------------------------------------------------------------------

WRITER = """
import sys
from config import metrics
metrics.ws_connected()
metrics.ws_connected()
metrics.ws_disconnected(1000)
metrics.message_received("answer")
metrics.answer_acked(0.003)
metrics.task_started("assess.tasks.probe_task", "id-1")
metrics.task_failed("assess.tasks.probe_task")
print("written", flush=True)
if sys.argv[1] == "stay":
    sys.stdin.readline()  # one connection stays open until the test lets the process go
"""

READER = """
import django
django.setup()
from django.test import Client
from config import metrics
assert metrics.MULTIPROCESS_DIR
response = Client().get("/metrics", HTTP_HOST="127.0.0.1")
assert response.status_code == 200, response.status_code
print(response.content.decode())
"""


def test_the_node_sums_its_processes_and_forgets_the_open_connections_of_dead_ones(tmp_path):
    folder = tmp_path / "prometheus"  # not there yet: the first process makes it
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METRICS_", "PROMETHEUS_"))}
    env.update(
        {
            "PROMETHEUS_MULTIPROC_DIR": str(folder),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATA_DIR": str(tmp_path / "var"),
        }
    )

    def run(script: str, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    staying = subprocess.Popen(
        [sys.executable, "-c", WRITER, "stay"], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert staying.stdout is not None and staying.stdout.readline() == b"written\n"
        assert "written" in run(WRITER, "exit")  # the same, by a process that then exits
        found = samples(run(READER))
        assert value(found, "assess_ws_connects_total") == 4
        assert value(found, "assess_ws_disconnects_total", code="1000") == 2
        assert value(found, "assess_ws_messages_total", kind="answer") == 2
        assert value(found, "assess_answers_acked_total") == 2
        assert value(found, "assess_answer_ack_duration_seconds_bucket", le="0.005") == 2
        assert value(found, "assess_celery_tasks_started_total", task="assess.tasks.probe_task") == 2
        assert value(found, "assess_celery_tasks_failed_total", task="assess.tasks.probe_task") == 2
        # Open: the living process's one connection; the exited one's was dropped at its exit.
        assert value(found, "assess_ws_connections_open") == 1
    finally:
        staying.communicate(b"\n", timeout=30)
    assert staying.returncode == 0
    found = samples(run(READER))
    assert value(found, "assess_ws_connections_open") == 0
    assert value(found, "assess_ws_connects_total") == 4  # what happened stays counted
    assert not list(folder.glob("gauge_livesum_*.db"))  # every writer marked itself dead


def test_without_the_folder_a_process_serves_its_own_registry():
    if metrics.MULTIPROCESS_DIR:
        pytest.skip("this run has PROMETHEUS_MULTIPROC_DIR set")
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain")
    assert b"python_info" in body and b"assess_ws_connects_total" in body


EMPTY_PROBE = """
import os
from config import metrics
print(metrics.MULTIPROCESS_DIR, "PROMETHEUS_MULTIPROC_DIR" in os.environ)
"""


def test_an_empty_folder_variable_means_none(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": " ", "DATA_DIR": str(tmp_path / "var")}
    result = subprocess.run(
        [sys.executable, "-c", EMPTY_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["None", "False"]  # no files written into the working directory
