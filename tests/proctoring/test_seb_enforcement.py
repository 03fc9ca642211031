"""A sitting that requires Safe Exam Browser (issue 10, point 7): the board sets the keys; the
exam page and the exam websocket's handshake check SEB's request hashes (SHA-256 of the URL
and the key); a missing or forged header is refused clearly and kept as a refusal, and a
refused browser never takes the attempt over from the candidate's real one."""

from __future__ import annotations

import hashlib

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import Role
from assess import statuses
from config.asgi import websocket_application
from proctoring import seb
from proctoring.models import Refusal
from tests.assess.test_consumer import HOST, ORIGIN, connect, receive, receive_type
from tests.factories import logged_in_client, make_department, make_sitting, make_user, session_cookie

pytestmark = pytest.mark.django_db

CONFIG_KEY = "a1" * 32
BROWSER_KEY = "b2" * 32
OTHER_KEY = "c3" * 32


def digest(url: str, key: str) -> str:
    return hashlib.sha256((url + key).encode()).hexdigest()


def require_seb(sitting, **keys):
    body = {"required": True, "config_keys": [CONFIG_KEY], **keys}
    response = logged_in_client(sitting.created_by).put(
        f"/api/sittings/{sitting.pk}/seb/", body, content_type="application/json"
    )
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_board_sets_the_keys_and_bad_ones_are_refused():
    sitting = make_sitting(n_students=1)
    board = logged_in_client(sitting.created_by)
    path = f"/api/sittings/{sitting.pk}/seb/"
    assert board.get(path).json() == {"required": False, "config_keys": [], "browser_exam_keys": [], "updated_at": None}
    saved = require_seb(sitting, browser_exam_keys=[BROWSER_KEY.upper(), BROWSER_KEY])
    assert saved["required"] and saved["browser_exam_keys"] == [BROWSER_KEY]  # lower case, once
    for body in (
        {"required": True, "config_keys": ["not-hex"]},
        {"required": True, "config_keys": ["ab" * 31]},
        {"required": True},  # required but nothing to check against
        {"required": "yes please", "config_keys": [CONFIG_KEY]},
    ):
        response = board.put(path, body, content_type="application/json")
        assert response.status_code == 400, body
    assert board.get(path).json()["config_keys"] == [CONFIG_KEY]  # the bad bodies changed nothing
    school = sitting.organisation
    for person, expected in (
        (make_user(Role.PROCTOR, school), 403),
        (make_user(Role.TEACHER, school), 403),
        (sitting.attempts.first().student, 403),
        (make_user(Role.BOARD, make_department()), 404),
    ):
        assert logged_in_client(person).get(path).status_code == expected, person.role


def test_the_exam_page_opens_only_in_the_sittings_safe_exam_browser():
    sitting = make_sitting(n_students=1)
    attempt = sitting.attempts.select_related("student").get()
    client = logged_in_client(attempt.student)
    url = f"http://testserver/exam/{attempt.pk}/"
    assert client.get(f"/exam/{attempt.pk}/").status_code == 200  # not required yet
    require_seb(sitting, browser_exam_keys=[BROWSER_KEY])

    plain = client.get(f"/exam/{attempt.pk}/")
    assert plain.status_code == 403 and b"seb-refusal" in plain.content
    forged = client.get(
        f"/exam/{attempt.pk}/",
        HTTP_X_SAFEEXAMBROWSER_CONFIGKEYHASH=digest(url, OTHER_KEY),
        HTTP_X_SAFEEXAMBROWSER_REQUESTHASH=digest(url, BROWSER_KEY),
    )
    assert forged.status_code == 403
    wrong_url = client.get(  # a hash made for another page is worth nothing here
        f"/exam/{attempt.pk}/",
        HTTP_X_SAFEEXAMBROWSER_CONFIGKEYHASH=digest("http://testserver/exam/", CONFIG_KEY),
        HTTP_X_SAFEEXAMBROWSER_REQUESTHASH=digest(url, BROWSER_KEY),
    )
    assert wrong_url.status_code == 403
    good = client.get(
        f"/exam/{attempt.pk}/",
        HTTP_X_SAFEEXAMBROWSER_CONFIGKEYHASH=digest(url, CONFIG_KEY),
        HTTP_X_SAFEEXAMBROWSER_REQUESTHASH=digest(url, BROWSER_KEY),
    )
    assert good.status_code == 200
    codes = list(Refusal.objects.filter(attempt=attempt).order_by("at", "pk").values_list("code", flat=True))
    assert codes == ["seb_missing_header", "seb_wrong_config_key", "seb_wrong_config_key"]


async def seb_socket(attempt_id: int, user, key: str | None):
    path = f"/ws/attempts/{attempt_id}/"
    url = f"ws://{HOST.decode()}{path}"
    headers = [(b"host", HOST), (b"origin", ORIGIN)]
    headers.append((b"cookie", (await database_sync_to_async(session_cookie)(user)).encode()))
    if key is not None:
        headers.append((seb.CONFIG_KEY_HEADER.lower().encode(), digest(url, key).encode()))
    communicator = WebsocketCommunicator(websocket_application, path, headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_websocket_handshake_checks_the_keys_and_a_refused_browser_takes_nothing_over():
    sitting = await database_sync_to_async(make_sitting)(n_students=1)
    attempt = await database_sync_to_async(lambda: sitting.attempts.select_related("student").get())()
    await database_sync_to_async(require_seb)(sitting)

    genuine = await seb_socket(attempt.pk, attempt.student, CONFIG_KEY)
    assert (await receive_type(genuine, "state"))["status"] == statuses.SCHEDULED

    for key, code in ((None, "seb_missing_header"), (OTHER_KEY, "seb_wrong_config_key")):
        refused = await seb_socket(attempt.pk, attempt.student, key)
        error = await receive(refused)
        assert (error["type"], error["code"]) == ("error", "seb_required") and error["message"]
        assert (await refused.receive_output(timeout=3))["code"] == 4403
        assert await database_sync_to_async(Refusal.objects.filter(attempt=attempt, code=code).exists)()

    # The genuine connection still owns the attempt: it is not stepped down.
    await genuine.send_json_to({"type": "ping"})
    assert (await receive_type(genuine, "pong"))["type"] == "pong"
    await genuine.disconnect()

    # Once the board lifts the requirement, a plain browser connects as before.
    await database_sync_to_async(
        lambda: logged_in_client(sitting.created_by).put(
            f"/api/sittings/{sitting.pk}/seb/", {"required": False}, content_type="application/json"
        )
    )()
    plain, ok, _ = await connect(attempt.pk, attempt.student)
    assert ok
    assert (await receive_type(plain, "state"))["status"] == statuses.SCHEDULED
    await plain.disconnect()
