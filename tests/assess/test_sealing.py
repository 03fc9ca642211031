"""The sealed form (assess/sealing.py, docs/protocol.md): a waiting page that asks holds its
questions encrypted before the start, and the start brings only the key; nothing readable
before the start, the same state as read from the database after it, and pages that do not
ask (or cannot) get the questions with the start as before."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

import pytest
from channels.db import database_sync_to_async
from cryptography.exceptions import InvalidTag
from django.utils import timezone

from assess import accommodations, sealing, selectors, statuses
from assess.accommodations import AccommodationSpec
from assess.models import AssessmentPart, FormItem
from proctoring import services
from tests.assess.test_consumer import connect, receive_type
from tests.factories import make_sitting
from tests.proctoring.test_check_in import placed

SEAL = "seal=aes-gcm"
MINUTES_20 = timedelta(minutes=20)


@pytest.mark.django_db
def test_a_sealed_form_opens_only_with_its_own_key_to_the_items_the_state_shows():
    sitting = make_sitting(n_students=2)
    form_id = sitting.attempts.first().form_id
    seal = sealing.sealed(sitting.pk, form_id)
    assert seal["alg"] == "aes-gcm" and len(base64.b64decode(seal["iv"])) == 12
    key = sealing.key_text(sitting.pk, form_id)
    assert len(base64.b64decode(key)) == 32
    assert sealing.unseal(seal, key) == list(selectors.form_content(form_id))
    # Nothing of the questions is readable in it, and another sitting's or form's key fails.
    first_stem = selectors.form_content(form_id)[0]
    assert str(first_stem)[:40] not in base64.b64decode(seal["data"]).decode("latin-1")
    for other in (sealing.key_text(sitting.pk + 1, form_id), sealing.key_text(sitting.pk, form_id + 1)):
        assert other != key
        with pytest.raises(InvalidTag):
            sealing.unseal(seal, other)
    tampered = dict(seal, data=base64.b64encode(b"\0" + base64.b64decode(seal["data"])[1:]).decode())
    with pytest.raises(InvalidTag):
        sealing.unseal(tampered, key)


@pytest.mark.django_db
def test_only_a_whole_form_before_its_start_is_sealed():
    sitting = make_sitting(n_items=4, n_students=1)
    form_id = sitting.attempts.get().form_id
    assert sealing.sealable(statuses.SCHEDULED, form_id) and sealing.sealable(statuses.CHECKED_IN, form_id)
    for status in (statuses.IN_PROGRESS, statuses.PAUSED, statuses.SUBMITTED):
        assert not sealing.sealable(status, form_id)
    assert not sealing.sealable(statuses.SCHEDULED, None)
    # Items opened section by section: one key would open them all, so never sealed.
    sectioned = make_sitting(n_items=4, n_students=1)
    sectioned_form = sectioned.attempts.get().form_id
    AssessmentPart.objects.create(
        assessment=sectioned.assessment, position=1, label="I", item_count=4, points_per_item=1, time_limit=MINUTES_20
    )
    FormItem.objects.filter(form_id=sectioned_form).update(part=1)
    assert not sealing.sealable(statuses.CHECKED_IN, sectioned_form)


def _room_with_large_text():
    room, attempts, [proctor, _] = placed(n_students=3, networks=())
    for attempt in attempts:
        services.attempt_check_in(by=proctor, attempt_id=attempt.pk)
    accommodations.accommodation_create(
        by=attempts[0].sitting.created_by,
        sitting_id=attempts[0].sitting_id,
        spec=AccommodationSpec(student=attempts[0].student.username, extra_minutes=30, large_text=True),
    )
    return room, attempts, proctor


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_the_room_s_start_sends_the_key_and_the_state_the_database_holds():
    room, [sealed_one, plain_one, odd_one], proctor = await database_sync_to_async(_room_with_large_text)()
    sealed_ws, ok, _ = await connect(sealed_one.pk, sealed_one.student, query=SEAL)
    assert ok
    plain_ws, ok, _ = await connect(plain_one.pk, plain_one.student)
    assert ok
    odd_ws, ok, _ = await connect(odd_one.pk, odd_one.student, query="seal=rot13")  # unknown: not sealed
    assert ok
    waiting = await receive_type(sealed_ws, "state")
    assert waiting["status"] == statuses.CHECKED_IN and waiting["items"] == [] and "unseal" not in waiting
    seal = waiting["sealed"]
    for ws in (plain_ws, odd_ws):
        state = await receive_type(ws, "state")
        assert state["status"] == statuses.CHECKED_IN and "sealed" not in state and state["items"] == []

    await database_sync_to_async(services.room_open)(by=proctor, sitting_room_id=room.pk, together=True)
    started = await receive_type(sealed_ws, "state")
    assert started["status"] == statuses.IN_PROGRESS and "items" not in started and "sealed" not in started
    items = sealing.unseal(seal, started["unseal"])
    # What the page has then is what a fresh read of the attempt gives (the clock aside).
    read = await database_sync_to_async(selectors.attempt_state)(sealed_one.pk)
    assert items == read.pop("items")
    assert started.pop("unseal") == sealing.key_text(sealed_one.sitting_id, sealed_one.form_id)
    clocks = [(s["attempt"].pop("remaining_ms"), s.pop("remaining_ms"), s.pop("server_time")) for s in (started, read)]
    assert abs(clocks[0][0] - clocks[1][0]) < 5_000 and abs(clocks[0][1] - clocks[1][1]) < 5_000
    assert started == read
    assert started["large_text"] is True  # the accommodation's, fixed at the start
    assert datetime.fromisoformat(started["deadline"]) - timezone.now() > timedelta(minutes=30)
    for ws, attempt in ((plain_ws, plain_one), (odd_ws, odd_one)):
        state = await receive_type(ws, "state")
        assert "unseal" not in state and state["items"] == list(selectors.form_content(attempt.form_id))
        assert state["large_text"] is False
    # A sync afterwards, or a reconnect, brings the questions themselves.
    await sealed_ws.send_json_to({"type": "sync"})
    again = await receive_type(sealed_ws, "state")
    assert "unseal" not in again and again["items"] == items
    await sealed_ws.disconnect()
    back, ok, _ = await connect(sealed_one.pk, sealed_one.student, query=SEAL)
    resumed = await receive_type(back, "state")
    assert "sealed" not in resumed and resumed["items"] == items
    for ws in (back, plain_ws, odd_ws):
        await ws.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_page_starting_by_itself_gets_the_key_once_then_the_questions():
    room, [attempt, *_], [proctor, _] = await database_sync_to_async(placed)(networks=())
    await database_sync_to_async(services.attempt_check_in)(by=proctor, attempt_id=attempt.pk)
    await database_sync_to_async(services.room_open)(by=proctor, sitting_room_id=room.pk, together=False)
    ws, ok, _ = await connect(attempt.pk, attempt.student, query=SEAL)
    assert ok
    seal = (await receive_type(ws, "state"))["sealed"]
    await ws.send_json_to({"type": "start", "access_code": room.access_code})
    started = await receive_type(ws, "state")
    assert started["status"] == statuses.IN_PROGRESS and "items" not in started
    assert sealing.unseal(seal, started["unseal"]) == list(selectors.form_content(attempt.form_id))
    await ws.send_json_to({"type": "sync"})
    assert (await receive_type(ws, "state"))["items"] == list(selectors.form_content(attempt.form_id))
    await ws.disconnect()
