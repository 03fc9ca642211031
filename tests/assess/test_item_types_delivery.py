"""Every item type through delivery: the student view, answers of each shape, scoring."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import User
from assess import errors, services
from assess.management.commands.seed_demo import EVERY_TYPE, PRACTICE_TITLE
from assess.models import AnswerEvent, FormItem, Result, Sitting
from assess.selectors import attempt_state
from tests.factories import shown

pytestmark = pytest.mark.django_db

# The right answer to each demo item, in the shape a student's browser sends.
RIGHT = {
    "single_choice": "B",
    "true_false_group": {"a": True, "b": False, "c": True, "d": True},
    "short_numeric": "-1,5",
    "multiple_response": ["C", "A"],
    "text_entry": "  COS X ",
    "inline_choice": {"g1": "x", "g2": "q"},
    "matching": {"1": "a", "2": "b", "3": "c"},
    "ordering": ["s1", "s2", "s3", "s4"],
    "essay": "Ta có y' = -2x + 4 = 0 khi x = 2, so sánh y(0), y(2), y(3).",
}
# Answers of the wrong shape, naming what the item does not have, or breaking its rules
# (written over the form item's shown ids; the author's ids are refused too): refused,
# nothing stored.
WRONG = {
    "single_choice": lambda ids: ["E", "B", [ids["options"]["B"]]],
    "true_false_group": lambda ids: [{ids["statements"]["a"]: "yes"}, {"z": True}, {"a": True}, ["a"]],
    "short_numeric": lambda ids: ["1" * 21, ["1"], "abc", "1.234.5", "12345", "-1,25", "+-1", "1,5,", "1 5"],
    "multiple_response": lambda ids: [[ids["options"]["A"]] * 2, ["Z"], ["A", "C"], ids["options"]["A"]],
    "text_entry": lambda ids: ["x" * 1001, {"a": "b"}],
    "inline_choice": lambda ids: [{ids["gaps"]["g1"]: ids["gap:g2"]["q"]}, {"g9": "x"}, {"g1": "x"}, "x"],
    "matching": lambda ids: [{ids["premises"]["1"]: "z"}, {"9": "a"}, {"1": "a"}, ["a"]],
    "ordering": lambda ids: [[ids["elements"]["s1"]] * 2, ["s9"], ["s1", "s2", "s3", "s4"], ids["elements"]["s1"]],
    "essay": lambda ids: [["text"], {"a": "b"}, "từ " * 301],  # max_words 300
}


@pytest.fixture
def practice(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    sitting = Sitting.objects.get(title=PRACTICE_TITLE)
    attempt = sitting.attempts.get(student=User.objects.get(username="student01"))
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    attempt.refresh_from_db()
    return attempt, token


def _positions(attempt) -> dict[str, int]:
    return {item["type"]: item["item"] for item in attempt_state(attempt.pk)["items"]}


def _ids(attempt, position: int) -> dict:
    return FormItem.objects.get(form_id=attempt.form_id, position=position).response_ids


def test_the_state_holds_each_type_and_no_key(practice):
    attempt, _ = practice
    items = attempt_state(attempt.pk)["items"]
    assert sorted(item["type"] for item in items) == sorted(RIGHT)
    text = json.dumps(items, ensure_ascii=False)
    for name in ('"key"', '"keys"', '"answer"', '"answers"', '"pairs"', '"order"', '"tolerance"', '"rubric"', "cosx"):
        assert name not in text, name
    ordering = next(item for item in items if item["type"] == "ordering")
    order = [_ids(attempt, ordering["item"])["elements"][element] for element in ("s1", "s2", "s3", "s4")]
    assert [e["id"] for e in ordering["elements"]] != order  # never shown in the key's order
    numeric = next(item for item in items if item["type"] == "short_numeric")
    assert numeric["boxes"] == 4


def test_every_type_is_answered_and_scored(practice):
    attempt, token = practice
    positions = _positions(attempt)
    for seq, (item_type, value) in enumerate(RIGHT.items(), start=1):
        ack = services.attempt_record_answer(
            attempt_id=attempt.pk,
            token=token,
            seq=seq,
            item=positions[item_type],
            value=shown(attempt, positions[item_type], value),
        )
        assert not ack.duplicate
    position = positions["true_false_group"]
    assert attempt_state(attempt.pk)["answers"][str(position)] == shown(attempt, position, RIGHT["true_false_group"])
    services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    services.attempt_score(attempt_id=attempt.pk)  # the task the commit would queue
    result = Result.objects.get(attempt=attempt)
    points = {item_type: Decimal(p) for item_type, _level, _content, p in EVERY_TYPE}
    assert result.raw_score == sum(p for t, p in points.items() if t != "essay")
    assert result.max_score == sum(points.values())
    essay = positions["essay"] - 1
    assert result.item_scores[essay] is None  # waits for a person
    assert result.number_correct == len(RIGHT) - 1


def test_partial_answers_earn_the_rules_credit(practice):
    attempt, token = practice
    positions = _positions(attempt)
    partial = {
        "true_false_group": {"a": True, "b": False, "c": False, "d": False},  # 2 of 4 right: 0.25
        "multiple_response": ["A"],  # 1 of 2 keys, partial: half
        "inline_choice": {"g1": "x"},  # 1 of 2 gaps: half
    }
    for seq, (item_type, value) in enumerate(partial.items(), start=1):
        services.attempt_record_answer(
            attempt_id=attempt.pk,
            token=token,
            seq=seq,
            item=positions[item_type],
            value=shown(attempt, positions[item_type], value),
        )
    services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    services.attempt_score(attempt_id=attempt.pk)  # the task the commit would queue
    scores = Result.objects.get(attempt=attempt).item_scores
    assert scores[positions["true_false_group"] - 1] == 0.25
    assert scores[positions["multiple_response"] - 1] == 0.25
    assert scores[positions["inline_choice"] - 1] == 0.25


@pytest.mark.parametrize("item_type", list(WRONG))
def test_answers_of_the_wrong_shape_or_breaking_the_rules_are_refused_and_nothing_is_stored(practice, item_type):
    attempt, token = practice
    position = _positions(attempt)[item_type]
    for seq, value in enumerate(WRONG[item_type](_ids(attempt, position)), start=1):
        with pytest.raises(errors.InvalidValue) as raised:
            services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=seq, item=position, value=value)
        assert f"{position}: " in raised.value.message and raised.value.seq == seq, value
    assert attempt_state(attempt.pk)["answers"] == {}
    assert not AnswerEvent.objects.filter(attempt=attempt).exists()
    # The refused sequence numbers were not used up.
    ack = services.attempt_record_answer(
        attempt_id=attempt.pk, token=token, seq=1, item=position, value=shown(attempt, position, RIGHT[item_type])
    )
    assert not ack.duplicate


@pytest.mark.parametrize(
    "item_type, value",
    [("short_numeric", "abc"), ("short_numeric", "1.234.5"), ("short_numeric", "12345"), ("essay", "từ " * 301)],
)
def test_answers_breaking_their_items_rules_are_not_acknowledged(practice, item_type, value):
    """Issue 8, finding 10: these were acknowledged and stored (4 answer boxes, 300 words)."""
    attempt, token = practice
    position = _positions(attempt)[item_type]
    with pytest.raises(errors.InvalidValue):
        services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=1, item=position, value=value)
    assert not AnswerEvent.objects.filter(attempt=attempt).exists()
