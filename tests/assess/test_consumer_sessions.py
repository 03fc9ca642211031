"""Sessions and the exam websocket: logout closes the sockets of that session, an idle-expired
session opens none, and an open socket keeps its session alive.

Before: an exam socket kept working after its student logged out, so the next person at the
lab PC could go on answering in their name.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from accounts import sessions
from assess.models import AnswerEvent
from config.asgi import websocket_application
from tests.assess.test_consumer import HOST, ORIGIN, receive, receive_type, setup_sitting

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def idle_seconds() -> int:
    return getattr(settings, "SESSION_IDLE_SECONDS", 30 * 60)


@database_sync_to_async
def browser_session(user) -> Client:
    """A browser logged in as ``user`` (its own session cookie)."""
    client = Client()
    client.force_login(user)
    return client


def cookie_of(client: Client) -> str:
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def open_exam(attempt_id: int, client: Client) -> WebsocketCommunicator:
    headers = [(b"host", HOST), (b"origin", ORIGIN), (b"cookie", cookie_of(client).encode())]
    communicator = WebsocketCommunicator(websocket_application, f"/ws/attempts/{attempt_id}/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def closed_with(communicator: WebsocketCommunicator) -> int | None:
    """Skip messages until the server closes; return the close code."""
    while True:
        output = await communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            return output.get("code")


@pytest.mark.parametrize("logout_path", ["/api/auth/logout/", "/logout/"])
async def test_logout_closes_the_exam_sockets_of_that_session(logout_path):
    _, attempts, _ = await setup_sitting()
    attempt = attempts[0]
    browser = await browser_session(attempt.student)
    ws = await open_exam(attempt.pk, browser)
    state = await receive_type(ws, "state")
    await ws.send_json_to({"type": "start"})
    state = await receive_type(ws, "state")
    assert state["status"] == "in_progress"

    response = await database_sync_to_async(browser.post)(logout_path)
    assert response.status_code in (200, 302)

    error = await receive_type(ws, "error")
    assert error["code"] == "logged_out" and error["message"]
    assert await closed_with(ws) == 4401
    # What the next person at the PC would have done: nothing more is read or stored.
    await ws.send_json_to({"type": "answer", "seq": 1, "item": 1, "value": "A"})
    assert not await database_sync_to_async(AnswerEvent.objects.filter(attempt=attempt).exists)()
    await ws.disconnect()


async def test_logout_of_another_session_leaves_this_socket_open():
    _, attempts, _ = await setup_sitting()
    attempt = attempts[0]
    lab_pc, other_pc = await browser_session(attempt.student), await browser_session(attempt.student)
    ws = await open_exam(attempt.pk, lab_pc)
    await receive_type(ws, "state")
    await database_sync_to_async(other_pc.post)("/api/auth/logout/")
    await ws.send_json_to({"type": "sync"})
    assert (await receive_type(ws, "state"))["status"] == "scheduled"
    await ws.disconnect()


async def test_an_idle_expired_session_opens_no_socket():
    _, attempts, _ = await setup_sitting()
    attempt = attempts[0]
    browser = await browser_session(attempt.student)
    key = browser.cookies[settings.SESSION_COOKIE_NAME].value

    def idle_for(seconds: float) -> None:
        store = SessionStore(key)
        store[sessions.LAST_ACTIVITY] = int(time.time() - seconds)
        store.save()

    await database_sync_to_async(idle_for)(idle_seconds() + 5)
    ws = await open_exam(attempt.pk, browser)
    error = await receive(ws)
    assert error["type"] == "error" and error["code"] == "not_authenticated"
    assert await closed_with(ws) == 4401
    assert not await database_sync_to_async(SessionStore().exists)(key)
    await ws.disconnect()


async def test_an_open_socket_keeps_its_session_alive(settings):
    """A student reading a long passage sends nothing for longer than the idle time: the open
    socket is activity, so the session lives on; once the socket closes, idleness counts again."""
    settings.SESSION_IDLE_SECONDS = 3
    settings.SESSION_ACTIVITY_SECONDS = 1
    _, attempts, _ = await setup_sitting()
    attempt = attempts[0]
    browser = await browser_session(attempt.student)
    ws = await open_exam(attempt.pk, browser)
    await receive_type(ws, "state")
    await asyncio.sleep(4.5)  # silence on the socket and no page request
    assert (await database_sync_to_async(browser.get)("/api/me/")).status_code == 200
    await ws.send_json_to({"type": "sync"})
    assert (await receive_type(ws, "state"))["type"] == "state"
    await ws.disconnect()
    await asyncio.sleep(4.5)
    response = await database_sync_to_async(browser.get)("/api/me/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
