"""Suite-wide fixtures and the rules for tests that need real services or a browser.

With no services configured the suite runs on the embedded default and the tests marked
``services`` or ``browser`` are skipped with a visible reason; with ``REQUIRE_SERVICES=1`` a
missing service fails the run instead.
"""

from __future__ import annotations

import os
import shutil
import weakref

import pytest
from django.db.backends.signals import connection_created

from tests.factories import *  # noqa: F401,F403  (fixtures)

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Debian's Chromium, never a downloaded one; nothing reaches the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def _missing_services() -> str | None:
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        return f"needs {' and '.join(missing)} (PostgreSQL and Redis); see README 'Tests'"
    if not os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        return "needs DATABASE_URL to point at PostgreSQL"
    return None


def _missing_browser() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "needs the playwright package (requirements-dev.txt)"
    return None


_REASONS: dict[str, str | None] = {}


def pytest_configure(config):
    _REASONS["services"] = _missing_services()
    _REASONS["browser"] = _missing_browser()


def pytest_runtest_setup(item):
    for marker, reason in _REASONS.items():
        if reason and item.get_closest_marker(marker):
            if REQUIRE_SERVICES:
                pytest.fail(f"REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
            pytest.skip(reason)


@pytest.fixture(autouse=True)
def _celery_eager_in_process(request):
    """In-process tests run tasks eagerly even when a broker is configured; tests marked
    ``services`` use a real worker process instead."""
    from config.celery import app

    if request.node.get_closest_marker("services"):
        yield
        return
    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def _clear_form_caches():
    """Forms never change in production, but a rolled-back test may reuse a form's id."""
    from assess import sealing, sections, selectors

    selectors.form_content.cache_clear()
    selectors.form_index.cache_clear()
    sections.form_sections.cache_clear()
    sealing.sealed.cache_clear()
    yield


@pytest.fixture(autouse=True)
def _consoles_marks_read_at_every_send(settings):
    """A server process reads which consoles are open at most every second (assess/events.py);
    tests read the marks at every send, as ``_empty_cache`` clears them between tests."""
    from assess import events

    settings.CONSOLE_WATCH_REFRESH_SECONDS = 0
    events.listening.forget()
    yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: what one leaves there (a student's websocket
    tokens, under a user id the next run's fresh database gives out again) is not another's."""
    from django.core.cache import cache

    cache.clear()
    yield


_THREAD_CONNECTIONS: weakref.WeakSet = weakref.WeakSet()


def _track_connection(sender, connection, **kwargs) -> None:
    _THREAD_CONNECTIONS.add(connection)


connection_created.connect(_track_connection)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """No connection pool in the test process itself: consumers run there inside the test
    harness, whose worker threads keep their connections (below), so a pool would run dry
    after a few dozen tests. The server processes the integration and browser tests start
    (tests/processes.py) run with the pool, as production does."""
    from django.conf import settings

    settings.DATABASES["default"].get("OPTIONS", {}).pop("pool", None)


@pytest.fixture(scope="session", autouse=True)
def _close_worker_thread_connections(django_db_setup):
    """Consumers reach the database from worker threads, each keeping its connection open;
    close them all before the test database is dropped (it cannot be while they are open)."""
    yield
    from assess import answer_batch

    answer_batch.discard_all()
    for wrapper in list(_THREAD_CONNECTIONS):
        if wrapper.connection is not None:
            wrapper.connection.close()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Bank media under each test's own folder, with the default size limits (whatever the
    environment says): no test writes into var/media or sees another test's files."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_IMAGE_MAX_BYTES = 5 * 1024 * 1024
    settings.MEDIA_AUDIO_MAX_BYTES = 20 * 1024 * 1024
    return settings.MEDIA_ROOT
