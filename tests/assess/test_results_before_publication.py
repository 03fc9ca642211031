"""Nothing of a result reaches a student before the exam board publishes it, through any door.

Security review, finding 5: a student read the score of a ``scored``, unpublished attempt at
``/api/students/<id>/record/``. Scored is the board's working state (review, moderation,
re-keying may still change the score); only ``published`` is the student's to see.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from accounts.models import Role
from assess import selectors, services, statuses
from assess.models import RecordEntry, Result
from config.asgi import application
from tests.factories import make_user, session_cookie, shown

pytestmark = pytest.mark.django_db(transaction=True)

# Fields of a result; none may appear in what a student receives before publication.
RESULT_FIELDS = {"score", "score_10", "raw_score", "max_score", "number_correct", "theta", "theta_se", "item_scores"}


@pytest.fixture
def scored(sitting, django_capture_on_commit_callbacks):
    """A submitted, scored attempt whose result the board has not published."""
    attempt = sitting.attempts.order_by("pk").first()
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    first = attempt.form.form_items.select_related("item_version").get(position=1)
    key = shown(attempt, 1, first.item_version.content["key"])
    services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=1, item=1, value=key)
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    attempt.refresh_from_db()
    assert attempt.status == statuses.SCORED and RecordEntry.objects.filter(attempt=attempt).exists()
    return attempt


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


def test_the_record_shows_a_student_only_published_entries(client, scored):
    client.force_login(scored.student)
    url = f"/api/students/{scored.student_id}/record/"
    assert client.get(url).json()["entries"] == []
    services.attempt_move(attempt_id=scored.pk, to=statuses.PUBLISHED, by=None, reason="published")
    entries = client.get(url).json()["entries"]
    assert [entry["attempt"] for entry in entries] == [scored.pk]
    assert Decimal(entries[0]["score"]) == Result.objects.get(attempt=scored).score_10


def test_the_board_sees_the_unpublished_entry(client, scored):
    client.force_login(make_user(Role.BOARD, scored.sitting.organisation.parent))
    entries = client.get(f"/api/students/{scored.student_id}/record/").json()["entries"]
    assert [entry["attempt"] for entry in entries] == [scored.pk]


def test_no_other_door_gives_the_student_a_result(client, scored):
    client.force_login(scored.student)
    for url in ("/api/me/attempts/", f"/api/attempts/{scored.pk}/"):
        body = client.get(url).json()
        assert not (_keys(body) & RESULT_FIELDS), url
    score = Result.objects.get(attempt=scored).score_10
    shown = {f">{score}<", f">{str(score).replace('.', ',')}<"}  # as a cell would show it, either notation
    for url in ("/exam/", f"/exam/{scored.pk}/"):
        page = client.get(url).content.decode()
        assert not any(text in page for text in shown), url
    for url in (f"/api/sittings/{scored.sitting_id}/results/", f"/board/sittings/{scored.sitting_id}/"):
        assert client.get(url).status_code == 403, url
    assert not (_keys(selectors.attempt_state(scored.pk)) & RESULT_FIELDS)


def test_the_exam_socket_gives_no_result(scored):
    cookie = session_cookie(scored.student).encode()

    async def state() -> dict:
        communicator = WebsocketCommunicator(
            application,
            f"/ws/attempts/{scored.pk}/",
            headers=[
                (b"origin", b"http://127.0.0.1"),
                (b"host", b"127.0.0.1"),
                (b"cookie", cookie),
            ],
        )
        connected, _subprotocol = await communicator.connect()
        assert connected
        message = json.loads(await communicator.receive_from())
        await communicator.send_to(text_data=json.dumps({"type": "sync"}))
        again = json.loads(await communicator.receive_from())
        await communicator.disconnect()
        return {"first": message, "again": again}

    messages = async_to_sync(state)()
    assert messages["first"]["type"] == "state" and messages["first"]["status"] == statuses.SCORED
    assert not (_keys(messages) & RESULT_FIELDS)
