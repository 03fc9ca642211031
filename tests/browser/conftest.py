"""The browser tests' server: one Daphne process (and, with Redis, one Celery worker) for the
whole package, started once on the test database instead of once per test.

Each test still gets its own rows (``transactional_db`` flushes them after it) and its own
Chromium, closed before the flush so that its sockets are gone first. What the processes keep
in memory between tests is keyed by row ids, which a flushed database never gives out again
(PostgreSQL's sequences and SQLite's AUTOINCREMENT are not reset). Tests that need a server
configured otherwise (a small rate bucket, two processes, a strict policy) start their own.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from django.conf import settings

from tests.processes import celery_worker_process, daphne_process


@pytest.fixture(scope="package")
def package_media(tmp_path_factory) -> Path:
    """The server processes' media folder (never var/media); a test that stores files the
    server must serve (a student's photo) stores them here too."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="package")
def package_server(django_db_setup, tmp_path_factory, package_media: Path) -> Iterator[str]:
    """Daphne on the test database; with Redis, a Celery worker too (it does the scoring)."""
    logs = tmp_path_factory.mktemp("servers")
    media = {"MEDIA_ROOT": str(package_media)}
    with ExitStack() as stack:
        if settings.REDIS_URL:
            stack.enter_context(celery_worker_process(logs, **media))
        yield stack.enter_context(daphne_process(logs, **media))


def settle(base: str) -> None:
    """Return once the server has handled what the closed browser left it: the sockets'
    goodbyes queue on the same database thread a plain request then waits behind."""
    with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
        response.read()
