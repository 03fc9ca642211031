"""Delivery by sections (``assess.sections``): the server refuses what the navigation does not
allow, ends sections and breaks at their own times, freezes their clocks under a pause, and
tells the candidate where they are without ever sending a key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Role
from assess import authoring, errors, protocol, services, statuses
from assess.models import AssessmentPart, Attempt, FormItem
from assess.selectors import attempt_state
from tests.factories import logged_in_client, make_sitting, make_user

pytestmark = pytest.mark.django_db

FREE, LINEAR, NO_RETURN = "free", "linear", "no_return"
MIN = timedelta(minutes=1)


def sectioned(parts, *, n_items: int = 6, duration=timedelta(minutes=60)):
    """A started attempt whose form's items are split over ``parts``: each is (label, item
    positions, time limit, navigation, break after)."""
    sitting = make_sitting(n_items=n_items, n_students=1, duration=duration)
    attempt = sitting.attempts.get()
    for position, (label, items, limit, navigation, pause) in enumerate(parts, start=1):
        AssessmentPart.objects.create(
            assessment=sitting.assessment,
            position=position,
            label=label,
            item_count=len(items),
            points_per_item=1,
            time_limit=limit,
            navigation=navigation,
            break_after=pause,
        )
        FormItem.objects.filter(form_id=attempt.form_id, position__in=items).update(part=position)
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    attempt.refresh_from_db()
    return attempt, token


def option(attempt, position, letter="B"):
    return FormItem.objects.get(form_id=attempt.form_id, position=position).response_ids["options"][letter]


_seq = iter(range(1, 10_000))


def answer(attempt, token, position, letter="B"):
    return services.attempt_record_answer(
        attempt_id=attempt.pk, token=token, seq=next(_seq), item=position, value=option(attempt, position, letter)
    )


def flag(attempt, token, position):
    return services.attempt_set_flag(attempt_id=attempt.pk, token=token, seq=next(_seq), item=position, flagged=True)


def send(attempt, token, message):
    return services.attempt_message(attempt_id=attempt.pk, user=attempt.student, token=token, message=message)


def codes(reply):
    return [m.code for m in reply.messages if isinstance(m, protocol.Error)]


TWO_FREE_TIMED = [("Phần I", [1, 2, 3], 10 * MIN, FREE, None), ("Phần II", [4, 5, 6], 10 * MIN, FREE, None)]


def test_an_assessment_without_a_policy_runs_as_before():
    attempt, token = sectioned([("Phần I", [1, 2, 3], None, FREE, None), ("Phần II", [4, 5, 6], None, FREE, None)])
    assert attempt.section is None
    state = attempt_state(attempt.pk)
    assert state["sections"] == [] and state["section"] is None and len(state["items"]) == 6
    assert not answer(attempt, token, 6).duplicate


def test_only_the_current_section_takes_answers_and_next_section_moves_on():
    attempt, token = sectioned(TWO_FREE_TIMED)
    assert attempt.section == 0 and attempt.section_deadline is not None
    state = attempt_state(attempt.pk)
    assert [s["state"] for s in state["sections"]] == ["current", "later"]
    assert [item["item"] for item in state["items"]] == [1, 2, 3]  # later sections' content is withheld
    answer(attempt, token, 3)
    answer(attempt, token, 1)  # free: any order
    with pytest.raises(errors.SectionClosed):
        answer(attempt, token, 4)
    with pytest.raises(errors.SectionClosed):
        flag(attempt, token, 5)
    reply = send(attempt, token, protocol.NextSection())
    assert codes(reply) == []
    state = reply.messages[-1].content
    assert state["section"] == 1 and [s["state"] for s in state["sections"]] == ["closed", "current"]
    assert [item["item"] for item in state["items"]] == [4, 5, 6]
    answer(attempt, token, 4)
    with pytest.raises(errors.SectionClosed):  # a timed section left is closed
        answer(attempt, token, 2)
    assert codes(send(attempt, token, protocol.NextSection())) == ["last_section"]


def test_a_refused_answer_is_not_recorded_and_says_where_the_attempt_is():
    attempt, token = sectioned(TWO_FREE_TIMED)
    reply = send(attempt, token, protocol.AnswerMessage(seq=900, item=5, value=option(attempt, 5)))
    assert codes(reply) == ["section_closed"]
    progress = reply.messages[1]
    assert isinstance(progress, protocol.Progress) and progress.content["section"] == 0
    assert not attempt.answer_events.exists()


def test_a_free_untimed_section_stays_open_a_no_return_one_does_not():
    attempt, token = sectioned(
        [
            ("Phần I", [1, 2], None, FREE, None),
            ("Phần II", [3, 4], None, NO_RETURN, None),
            ("Phần III", [5, 6], None, FREE, None),
        ]
    )
    send(attempt, token, protocol.NextSection())
    answer(attempt, token, 1)  # free and untimed: the candidate may come back to it
    answer(attempt, token, 3)
    send(attempt, token, protocol.NextSection())
    answer(attempt, token, 2)
    with pytest.raises(errors.SectionClosed):  # no return once left
        answer(attempt, token, 4)
    assert [s["state"] for s in attempt_state(attempt.pk)["sections"]] == ["open", "closed", "current"]


def test_a_linear_section_goes_item_by_item_forward_only():
    attempt, token = sectioned([("Phần I", [1, 2, 3], None, LINEAR, None), ("Phần II", [4, 5, 6], None, FREE, None)])
    assert attempt.item_reached == 1
    with pytest.raises(errors.ItemNotReached):
        answer(attempt, token, 2)
    answer(attempt, token, 1)
    answer(attempt, token, 1, "C")  # the current item may change
    reply = send(attempt, token, protocol.NextItem())
    assert reply.messages[0].content["item_reached"] == 2
    with pytest.raises(errors.ItemClosed):
        answer(attempt, token, 1)
    with pytest.raises(errors.ItemClosed):
        flag(attempt, token, 1)
    answer(attempt, token, 2)
    send(attempt, token, protocol.NextItem())
    assert codes(send(attempt, token, protocol.NextItem())) == ["navigation_refused"]  # the last item
    send(attempt, token, protocol.NextSection())
    with pytest.raises(errors.SectionClosed):  # a linear section left is closed
        answer(attempt, token, 3)
    assert codes(send(attempt, token, protocol.NextItem())) == ["navigation_refused"]  # not linear


def test_a_replayed_answer_is_acknowledged_after_its_section_closed():
    attempt, token = sectioned(TWO_FREE_TIMED)
    value = option(attempt, 2)
    services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=500, item=2, value=value)
    send(attempt, token, protocol.NextSection())
    again = services.attempt_record_answer(attempt_id=attempt.pk, token=token, seq=500, item=2, value=value)
    assert again.duplicate is True


def test_the_server_moves_on_when_a_section_s_time_is_up():
    attempt, token = sectioned(TWO_FREE_TIMED)
    ended = timezone.now() - timedelta(seconds=30)
    Attempt.objects.filter(pk=attempt.pk).update(section_deadline=ended)
    assert services.attempts_submit_expired() == 0  # moved on, not handed in
    attempt.refresh_from_db()
    assert attempt.section == 1 and attempt.status == statuses.IN_PROGRESS
    # The next section's clock started when the first one ended, not when someone noticed.
    assert attempt.section_deadline == ended + 10 * MIN
    with pytest.raises(errors.SectionClosed):
        answer(attempt, token, 1)


def test_an_answer_after_the_section_ended_is_refused_even_before_the_sweep():
    attempt, token = sectioned(TWO_FREE_TIMED)
    Attempt.objects.filter(pk=attempt.pk).update(section_deadline=timezone.now() - timedelta(seconds=1))
    reply = send(attempt, token, protocol.AnswerMessage(seq=77, item=1, value=option(attempt, 1)))
    assert codes(reply) == ["section_closed"]
    assert reply.messages[1].content["section"] == 1
    attempt.refresh_from_db()
    assert attempt.section == 1  # the move was kept


def test_the_time_up_of_the_consumer_clock_moves_on_and_sends_the_state():
    attempt, token = sectioned(TWO_FREE_TIMED)
    Attempt.objects.filter(pk=attempt.pk).update(section_deadline=timezone.now() - timedelta(seconds=1))
    reply = services.attempt_time_up(attempt_id=attempt.pk)
    state = reply.messages[0].content
    assert state["type"] == "state" and state["section"] == 1 and [i["item"] for i in state["items"]] == [4, 5, 6]


def test_the_last_section_s_end_hands_the_attempt_in():
    attempt, token = sectioned(TWO_FREE_TIMED)
    send(attempt, token, protocol.NextSection())
    attempt.refresh_from_db()
    assert attempt.deadline <= attempt.section_deadline  # the last section bounds the attempt
    Attempt.objects.filter(pk=attempt.pk).update(
        section_deadline=timezone.now() - timedelta(seconds=1), deadline=timezone.now() - timedelta(seconds=1)
    )
    assert services.attempts_submit_expired() == 1
    attempt.refresh_from_db()
    assert attempt.status == statuses.SUBMITTED and attempt.submit_reason == Attempt.SubmitReason.DEADLINE


def test_a_break_refuses_answers_does_not_count_and_ends_at_its_time_or_on_request():
    attempt, token = sectioned(
        [
            ("Phần I", [1, 2, 3], 10 * MIN, FREE, 5 * MIN),
            ("Phần II", [4, 5], 10 * MIN, FREE, None),
            ("Phần III", [6], None, FREE, None),
        ]
    )
    deadline = attempt.deadline
    reply = send(attempt, token, protocol.NextSection())
    state = reply.messages[-1].content
    assert state["on_break"] is True and state["items"] == [] and state["break_remaining_ms"] > 299_000
    attempt.refresh_from_db()
    assert attempt.deadline == deadline + 5 * MIN  # the break is not exam time
    with pytest.raises(errors.OnBreak):
        answer(attempt, token, 4)
    assert codes(send(attempt, token, protocol.NextSection())) == ["navigation_refused"]
    # Ended early: the unused break goes back off the deadline, and the next section starts now.
    reply = send(attempt, token, protocol.EndBreak())
    state = reply.messages[-1].content
    assert state["on_break"] is False and state["section"] == 1
    attempt.refresh_from_db()
    assert abs(attempt.deadline - deadline) < timedelta(seconds=5)
    answer(attempt, token, 4)
    assert codes(send(attempt, token, protocol.EndBreak())) == ["navigation_refused"]


def test_a_break_ends_by_itself_at_its_time():
    attempt, token = sectioned(
        [("Phần I", [1, 2, 3], 10 * MIN, FREE, 5 * MIN), ("Phần II", [4, 5, 6], 10 * MIN, FREE, None)]
    )
    ended = timezone.now() - 6 * MIN
    Attempt.objects.filter(pk=attempt.pk).update(section_deadline=ended)
    services.attempts_submit_expired()
    attempt.refresh_from_db()
    # The section ended 6 minutes ago, the break 1 minute ago: the second section runs since.
    assert attempt.section == 1 and attempt.break_until is None
    assert attempt.section_deadline == ended + 5 * MIN + 10 * MIN
    answer(attempt, token, 5)


def test_a_pause_freezes_the_section_clock_and_the_break_clock():
    attempt, token = sectioned(
        [("Phần I", [1, 2, 3], 10 * MIN, FREE, 5 * MIN), ("Phần II", [4, 5, 6], 10 * MIN, FREE, None)]
    )
    proctor = make_user(Role.PROCTOR, attempt.sitting.organisation)
    Attempt.objects.filter(pk=attempt.pk).update(section_deadline=timezone.now() + 4 * MIN)
    paused = services.attempt_pause(attempt_id=attempt.pk, by=proctor)
    assert 4 * MIN - timedelta(seconds=3) < paused.section_paused_remaining <= 4 * MIN
    state = attempt_state(attempt.pk)
    assert 237_000 < state["section_remaining_ms"] <= 240_000
    # Time passes while paused: nothing moves on.
    Attempt.objects.filter(pk=attempt.pk).update(section_deadline=timezone.now() - timedelta(hours=1))
    assert services.attempts_submit_expired() == 0
    resumed = services.attempt_resume(attempt_id=attempt.pk, by=proctor)
    assert resumed.section == 0
    assert 4 * MIN - timedelta(seconds=5) < resumed.section_deadline - timezone.now() <= 4 * MIN
    # The same on a break.
    send(attempt, token, protocol.NextSection())
    paused = services.attempt_pause(attempt_id=attempt.pk, by=proctor)
    assert 5 * MIN - timedelta(seconds=5) < paused.section_paused_remaining <= 5 * MIN
    Attempt.objects.filter(pk=attempt.pk).update(break_until=timezone.now() - timedelta(hours=1))
    resumed = services.attempt_resume(attempt_id=attempt.pk, by=proctor)
    assert resumed.break_until is not None and resumed.section == 0
    assert 5 * MIN - timedelta(seconds=5) < resumed.break_until - timezone.now() <= 5 * MIN


def test_more_time_from_the_proctor_moves_the_section_s_end_too():
    attempt, token = sectioned(TWO_FREE_TIMED)
    proctor = make_user(Role.PROCTOR, attempt.sitting.organisation)
    before = attempt.section_deadline
    extended = services.attempt_extend(attempt_id=attempt.pk, by=proctor, minutes=5, reason="mất điện")
    assert extended.section_deadline == before + 5 * MIN


def test_the_state_carries_the_sections_and_never_a_key():
    attempt, token = sectioned(
        [("Phần I", [1, 2, 3], 10 * MIN, LINEAR, 5 * MIN), ("Phần II", [4, 5, 6], 20 * MIN, NO_RETURN, None)]
    )
    state = attempt_state(attempt.pk)
    assert state["sections"] == [
        {
            "index": 0,
            "label": "Phần I",
            "items": [1, 2, 3],
            "time_limit_seconds": 600,
            "navigation": "linear",
            "break_seconds": 300,
            "state": "current",
        },
        {
            "index": 1,
            "label": "Phần II",
            "items": [4, 5, 6],
            "time_limit_seconds": 1200,
            "navigation": "no_return",
            "break_seconds": None,
            "state": "later",
        },
    ]
    assert state["item_reached"] == 1 and 599_000 < state["section_remaining_ms"] <= 600_000
    text = repr(state)
    assert "key" not in text and "irt" not in text and "correct" not in text
    for item in state["items"]:
        assert set(item) == {"item", "type", "points", "stem_html", "options", "stimulus"}


def test_navigation_messages_parse_and_refuse_extra_fields():
    assert protocol.parse({"type": "next_section"}) == protocol.NextSection()
    assert protocol.parse({"type": "end_break"}) == protocol.EndBreak()
    assert protocol.parse({"type": "next_item"}) == protocol.NextItem()
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.parse({"type": "next_section", "section": 2})
    assert refused.value.code == "invalid_field"


def test_navigation_in_an_attempt_without_sections_is_refused():
    attempt, token = sectioned([("Phần I", [1, 2, 3, 4, 5, 6], None, FREE, None)])
    assert codes(send(attempt, token, protocol.NextSection())) == ["navigation_refused"]


# --- authoring ---------------------------------------------------------------------------------


def test_authors_set_the_sections_through_the_api_with_clear_errors():
    sitting = make_sitting(n_items=2, n_students=1, duration=timedelta(minutes=60))
    assessment = sitting.assessment
    sitting.opens_at = timezone.now() + timedelta(days=1)
    sitting.closes_at = timezone.now() + timedelta(days=2)
    sitting.save()
    for position in (1, 2):
        AssessmentPart.objects.create(
            assessment=assessment, position=position, label=f"P{position}", item_count=1, points_per_item=1
        )
    client = logged_in_client(assessment.created_by)
    url = f"/api/assessments/{assessment.pk}/sections/"
    bad = client.put(
        url,
        {
            "parts": [
                {"time_limit_minutes": 90, "navigation": "linear", "break_minutes": 200},
                {"time_limit_minutes": 0, "break_minutes": 5},
            ]
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    fields = bad.json()["error"]["fields"]
    assert {"parts.0.time_limit_minutes", "parts.0.break_minutes", "parts.1.time_limit_minutes"} <= set(fields)
    assert "parts.1.break_minutes" in fields  # no break after the last part
    assert client.put(url, {"parts": [{}]}, content_type="application/json").status_code == 400  # one per part
    good = client.put(
        url,
        {
            "parts": [
                {"time_limit_minutes": 30, "navigation": "linear", "break_minutes": 10},
                {"navigation": "no_return"},
            ]
        },
        content_type="application/json",
    )
    assert good.status_code == 200, good.content
    parts = good.json()["parts"]
    assert (
        parts[0]["time_limit_minutes"] == 30 and parts[0]["navigation"] == "linear" and parts[0]["break_minutes"] == 10
    )
    assert parts[1]["time_limit_minutes"] is None and parts[1]["navigation"] == "no_return"
    student = sitting.attempts.get().student
    assert logged_in_client(student).put(url, {"parts": [{}, {}]}, content_type="application/json").status_code == 403


def test_the_sections_no_longer_change_once_a_sitting_opened():
    sitting = make_sitting(n_items=2, n_students=1)
    assessment = sitting.assessment
    AssessmentPart.objects.create(assessment=assessment, position=1, label="P1", item_count=2, points_per_item=1)
    with pytest.raises(ValidationError) as refused:
        authoring.assessment_set_sections(
            by=assessment.created_by, assessment_id=assessment.pk, sections=[authoring.SectionSpec(10, LINEAR, None)]
        )
    assert "assessment" in refused.value.message_dict
