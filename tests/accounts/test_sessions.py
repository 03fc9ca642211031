"""Sessions on shared lab PCs over HTTP: no lasting cookie, an idle time enforced on the server.

A 14-day cookie let the next person at a lab PC continue as the student before them; now the
cookie goes with the browser and a session unused for SESSION_IDLE_SECONDS ends on the server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from accounts import sessions
from accounts.models import Role
from tests.factories import PASSWORD, make_school, make_user

pytestmark = pytest.mark.django_db


def idle_seconds() -> int:
    """settings.SESSION_IDLE_SECONDS (its default where the setting does not exist, as before it did)."""
    return getattr(settings, "SESSION_IDLE_SECONDS", 30 * 60)


@pytest.fixture
def student():
    return make_user(Role.STUDENT, make_school())


def logged_in(student) -> Client:
    client = Client()
    response = client.post(
        "/api/auth/login/", {"username": student.username, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200
    return client


def stored(client: Client) -> Session:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def set_last_activity(client: Client, seconds_ago: float) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value)
    store[sessions.LAST_ACTIVITY] = int(time.time() - seconds_ago)
    store.save()


def test_the_session_cookie_ends_with_the_browser(student):
    client = Client()
    response = client.post(
        "/api/auth/login/", {"username": student.username, "password": PASSWORD}, content_type="application/json"
    )
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value
    assert cookie["expires"] == "" and cookie["max-age"] == "", "a lasting cookie outlives the student at a lab PC"
    # The stored session lives for the idle time from its last save, not for 14 days.
    left = stored(client).expire_date - timezone.now()
    assert timedelta(seconds=idle_seconds() - 30) < left <= timedelta(seconds=idle_seconds())


def test_a_session_idle_for_too_long_ends_on_the_server(student):
    client = logged_in(student)
    assert client.get("/api/me/").status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    set_last_activity(client, idle_seconds() + 5)
    response = client.get("/api/me/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
    assert not Session.objects.filter(session_key=key).exists()
    assert response.cookies[settings.SESSION_COOKIE_NAME].value == ""  # the browser forgets it too
    # Pages send the student to the login page.
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    assert client.get("/exam/").status_code == 302


def test_a_session_in_use_stays_and_its_expiry_moves_on(student):
    client = logged_in(student)
    assert client.get("/api/me/").status_code == 200
    set_last_activity(client, idle_seconds() - 5)  # nearly idle, not quite
    before = stored(client).expire_date
    assert client.get("/api/me/").status_code == 200
    session = stored(client)
    assert session.expire_date > before
    assert abs(session.get_decoded()[sessions.LAST_ACTIVITY] - time.time()) < 5


def test_activity_is_written_at_most_once_a_minute(student, django_assert_num_queries):
    client = logged_in(student)
    client.get("/api/me/")  # notes the activity: the session is written
    written = stored(client).expire_date
    # Within SESSION_ACTIVITY_SECONDS: read the session and the user, write nothing.
    with django_assert_num_queries(2):
        assert client.get("/api/me/").status_code == 200
    assert stored(client).expire_date == written


def test_anonymous_requests_store_no_session():
    client = Client()
    assert client.get("/api/me/").status_code == 401
    assert client.get("/login/").status_code == 200
    assert Session.objects.count() == 0


SETTINGS_PROBE = (
    "import django, json; from django.conf import settings; django.setup(); "
    "print(json.dumps([settings.SESSION_COOKIE_AGE, settings.SESSION_EXPIRE_AT_BROWSER_CLOSE]))"
)


def probe_settings(tmp_path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SESSION_")}
    clean.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DATA_DIR": str(tmp_path / "var"), **env})
    root = Path(__file__).resolve().parents[2]
    return subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE], cwd=root, env=clean, capture_output=True, text=True, timeout=60
    )


def test_idle_settings_come_from_the_environment(tmp_path):
    result = probe_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [30 * 60, True]
    result = probe_settings(tmp_path, SESSION_IDLE_SECONDS="900")
    assert json.loads(result.stdout) == [900, True]
    result = probe_settings(tmp_path, SESSION_IDLE_SECONDS="900", SESSION_ACTIVITY_SECONDS="600")
    assert result.returncode != 0 and "SESSION_ACTIVITY_SECONDS must be at most half" in result.stderr
