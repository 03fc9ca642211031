"""Feedback after each item: a student checks an answered item, sees what the policy shows,
and that answer no longer changes; refused where the policy is another, or nothing is answered."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from assess import errors, protocol, selectors, services, sittings
from assess.models import Answer, Assessment
from itembank import content
from tests.assess.test_consumer import connect, receive_type
from tests.assess.test_sittings import School

pytestmark = pytest.mark.django_db


def assign(world: School, **spec):
    quiz = world.form(world.teacher, kind=Assessment.Kind.CONTINUOUS)
    now = timezone.now()
    sitting, _ = sittings.sitting_schedule(
        by=world.teacher,
        form_id=quiz.pk,
        spec=sittings.SittingSpec(
            **{
                "title": "Luyện tập",
                "opens_at": now - timedelta(minutes=5),
                "closes_at": now + timedelta(days=1),
                **spec,
            }
        ),
        candidates=sittings.Candidates(class_ids=(world.classes["10A1"].pk,)),
    )
    attempt = sitting.attempts.get(student=world.students["An"])
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    return attempt, token


def shown(attempt, position: int, letter: str) -> str:
    fi = attempt.form.form_items.get(position=position)
    return fi.response_ids["options"][letter]


def test_a_checked_item_shows_its_feedback_and_its_answer_is_then_fixed():
    world = School()
    attempt, token = assign(world, feedback_timing="after_item", feedback_detail="answers")
    services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=1, item=1, value=shown(attempt, 1, "B"))
    feedback = services.attempt_check_item(attempt_id=attempt.pk, token=token, item=1)
    assert feedback["type"] == "feedback" and feedback["item"] == 1
    assert feedback["status"] == "incorrect" and feedback["score"] == "0.00" and feedback["max_points"] == "5.00"
    assert feedback["response"] == shown(attempt, 1, "B") and feedback["correct"] == shown(attempt, 1, "A")
    assert services.attempt_check_item(attempt_id=attempt.pk, token=token, item=1) == feedback  # again: the same

    with pytest.raises(errors.ItemChecked):
        services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=2, item=1, value=shown(attempt, 1, "A"))
    assert Answer.objects.get(attempt=attempt, form_item__position=1).value == "B"
    # A flag still changes, and the other item is still open.
    services.attempt_set_flag(attempt_id=attempt.pk, token=token, seq=3, item=1, flagged=True)
    services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=4, item=2, value=shown(attempt, 2, "A"))
    # A reconnect gets the feedback back with the state, and the key of nothing unchecked.
    state = selectors.attempt_state(attempt.pk)
    assert list(state["checked"]) == ["1"] and state["attempt"]["sitting"]["check_items"] is True
    assert shown(attempt, 2, "A") not in json.dumps(state["checked"])


def test_score_only_feedback_tells_no_key_and_explanations_need_their_mode():
    world = School()
    attempt, token = assign(world, feedback_timing="after_item", feedback_detail="score")
    services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=1, item=1, value=shown(attempt, 1, "A"))
    feedback = services.attempt_check_item(attempt_id=attempt.pk, token=token, item=1)
    assert feedback["status"] == "correct" and feedback["score"] == "5.00"
    assert "correct" not in feedback and "explanation_html" not in feedback


@pytest.mark.parametrize("policy", ["after_submit", "on_release"])
def test_checking_is_refused_where_the_policy_is_another_and_nothing_changes(policy):
    world = School()
    attempt, token = assign(world, feedback_timing=policy)
    services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=1, item=1, value=shown(attempt, 1, "B"))
    with pytest.raises(errors.CheckNotAllowed):
        services.attempt_check_item(attempt_id=attempt.pk, token=token, item=1)
    attempt.refresh_from_db()
    assert attempt.checked_items == []
    assert selectors.attempt_state(attempt.pk)["checked"] == {}


def test_an_unanswered_or_unknown_item_cannot_be_checked_nor_after_the_deadline():
    world = School()
    attempt, token = assign(world, feedback_timing="after_item")
    with pytest.raises(errors.CheckNotAllowed):
        services.attempt_check_item(attempt_id=attempt.pk, token=token, item=1)
    with pytest.raises(errors.UnknownItem):
        services.attempt_check_item(attempt_id=attempt.pk, token=token, item=9)
    with pytest.raises(errors.Superseded):
        services.attempt_check_item(attempt_id=attempt.pk, token=None, item=1)
    services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=1, item=1, value=shown(attempt, 1, "A"))
    type(attempt).objects.filter(pk=attempt.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    with pytest.raises(errors.DeadlinePassed):
        services.attempt_check_item(attempt_id=attempt.pk, token=token, item=1)


def test_the_check_message_is_parsed_strictly():
    assert protocol.parse({"type": "check", "item": 2}) == protocol.Check(item=2)
    for bad in ({"type": "check"}, {"type": "check", "item": "2"}, {"type": "check", "item": 1, "value": "A"}):
        with pytest.raises(protocol.ProtocolError):
            protocol.parse(bad)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_student_checks_an_item_over_the_websocket():
    world = await database_sync_to_async(School)()

    @database_sync_to_async
    def setup():
        quiz = world.form(world.teacher, kind=Assessment.Kind.CONTINUOUS)
        now = timezone.now()
        sitting, _ = sittings.sitting_schedule(
            by=world.teacher,
            form_id=quiz.pk,
            spec=sittings.SittingSpec(
                title="Luyện tập",
                opens_at=now - timedelta(minutes=5),
                closes_at=now + timedelta(days=1),
                feedback_timing="after_item",
                feedback_detail="answers",
            ),
            candidates=sittings.Candidates(class_ids=(world.classes["10A1"].pk,)),
        )
        attempt = sitting.attempts.select_related("student", "form").get(student=world.students["An"])
        return attempt, shown(attempt, 1, "A")

    attempt, right = await setup()
    communicator, connected, _ = await connect(attempt.pk, attempt.student)
    assert connected
    await receive_type(communicator, "state")
    await communicator.send_json_to({"type": "start"})
    state = await receive_type(communicator, "state")
    assert state["attempt"]["sitting"]["check_items"] is True and state["checked"] == {}
    await communicator.send_json_to({"type": "check", "item": 1})
    refused = await receive_type(communicator, "error")
    assert refused["code"] == "check_not_allowed"
    await communicator.send_json_to({"type": "answer", "seq": 1, "item": 1, "value": right})
    await receive_type(communicator, "ack")
    await communicator.send_json_to({"type": "check", "item": 1})
    feedback = await receive_type(communicator, "feedback")
    assert (feedback["item"], feedback["status"], feedback["correct"]) == (1, "correct", right)
    await communicator.send_json_to({"type": "answer", "seq": 2, "item": 1, "value": right})
    refused = await receive_type(communicator, "error")
    assert refused["code"] == "item_checked" and refused["seq"] == 2
    await communicator.disconnect()
    assert content  # the module the shown ids come from
