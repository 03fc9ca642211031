"""Accommodations (``assess.accommodations``): the board sets them per candidate or per class,
with clear refusals; the server scales the deadline and every section's time by them and opens
the page in large text."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts import services as people
from accounts.models import Role
from assess import accommodations, services
from assess.accommodations import AccommodationSpec
from assess.models import Accommodation, AssessmentPart, Attempt, FormItem
from assess.selectors import attempt_state
from tests.factories import logged_in_client, make_school, make_sitting, make_user

pytestmark = pytest.mark.django_db

MIN = timedelta(minutes=1)


def start(attempt: Attempt) -> Attempt:
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    attempt.refresh_from_db()
    return attempt


def board_of(sitting):
    return sitting.created_by


@pytest.fixture
def exam():
    """A 60-minute sitting of two candidates, its window three hours."""
    return make_sitting(n_items=4, n_students=2, duration=timedelta(minutes=60))


def _url(sitting, accommodation_id=None):
    base = f"/api/sittings/{sitting.pk}/accommodations/"
    return f"{base}{accommodation_id}/" if accommodation_id else base


def test_extra_minutes_lengthen_the_deadline(exam):
    first, second = exam.attempts.order_by("pk")
    accommodations.accommodation_create(
        by=board_of(exam), sitting_id=exam.pk, spec=AccommodationSpec(student=first.student.username, extra_minutes=15)
    )
    first, second = start(first), start(second)
    assert abs((first.deadline - first.started_at) - 75 * MIN) < timedelta(seconds=1)
    assert abs((second.deadline - second.started_at) - 60 * MIN) < timedelta(seconds=1)
    assert first.time_scale == pytest.approx(1.25) and second.time_scale == 1.0


def test_a_multiplier_scales_the_deadline_and_every_section(exam):
    attempt = exam.attempts.order_by("pk").first()
    for position, (items, limit) in enumerate((([1, 2], 20 * MIN), ([3, 4], 30 * MIN)), start=1):
        AssessmentPart.objects.create(
            assessment=exam.assessment,
            position=position,
            label=f"P{position}",
            item_count=2,
            points_per_item=1,
            time_limit=limit,
        )
        FormItem.objects.filter(form_id=attempt.form_id, position__in=items).update(part=position)
    accommodations.accommodation_create(
        by=board_of(exam),
        sitting_id=exam.pk,
        spec=AccommodationSpec(student=attempt.student.learner_id, time_multiplier=Decimal("1.5"), large_text=True),
    )
    attempt = start(attempt)
    assert abs((attempt.deadline - attempt.started_at) - 90 * MIN) < timedelta(seconds=1)
    assert attempt.section_deadline - attempt.started_at == 30 * MIN  # 20 minutes x 1.5
    state = attempt_state(attempt.pk)
    assert state["large_text"] is True
    assert [s["time_limit_seconds"] for s in state["sections"]] == [1800, 2700]
    # The second section's clock scales too.
    token = Attempt.objects.get(pk=attempt.pk).connection_token
    from assess import protocol

    services.attempt_message(attempt_id=attempt.pk, user=attempt.student, token=token, message=protocol.NextSection())
    attempt.refresh_from_db()
    assert abs((attempt.section_deadline - timezone.now()) - 45 * MIN) < timedelta(seconds=5)


def test_the_window_s_close_moves_by_the_extra_time(db):
    now = timezone.now()
    sitting = make_sitting(
        n_items=2, n_students=1, duration=timedelta(minutes=60), opens_at=now - MIN, closes_at=now + 30 * MIN
    )
    attempt = sitting.attempts.get()
    accommodations.accommodation_create(
        by=board_of(sitting),
        sitting_id=sitting.pk,
        spec=AccommodationSpec(student=attempt.student.username, extra_minutes=20),
    )
    attempt = start(attempt)
    assert abs(attempt.deadline - (sitting.closes_at + 20 * MIN)) < timedelta(seconds=1)


def test_a_class_accommodation_applies_to_its_members_and_a_candidate_s_own_wins(exam):
    first, second = exam.attempts.order_by("pk")
    school = first.student.organisation
    admin = make_user(Role.SCHOOL_ADMIN, school)
    school_class = people.class_create(by=admin, school_id=school.pk, school_year="2026-2027", name="10A1", grade=10)
    for attempt in (first, second):
        people.class_place_student(by=admin, class_id=school_class.pk, student_id=attempt.student_id)
    accommodations.accommodation_create(
        by=board_of(exam),
        sitting_id=exam.pk,
        spec=AccommodationSpec(school_class_id=school_class.pk, time_multiplier=Decimal("2"), separate_room=True),
    )
    accommodations.accommodation_create(
        by=board_of(exam), sitting_id=exam.pk, spec=AccommodationSpec(student=second.student.username, large_text=True)
    )
    assert accommodations.separate_room_candidates(exam) == {first.student_id}
    first, second = start(first), start(second)
    assert first.time_scale == 2.0 and not first.large_text
    assert second.time_scale == 1.0 and second.large_text


def test_a_room_s_accommodations_are_read_together_by_the_same_rules(django_assert_num_queries):
    """A room started together reads its candidates' accommodations in two queries, not one per
    candidate, and each gets what it would alone: their own, else their classes' most time."""
    exam = make_sitting(n_items=2, n_students=4, duration=timedelta(minutes=60))
    first, second, third, fourth = exam.attempts.order_by("pk")
    school = first.student.organisation
    admin = make_user(Role.SCHOOL_ADMIN, school)
    a1 = people.class_create(by=admin, school_id=school.pk, school_year="2026-2027", name="10A1", grade=10)
    a2 = people.class_create(by=admin, school_id=school.pk, school_year="2026-2027", name="10A2", grade=10)
    for attempt in (first, second):
        people.class_place_student(by=admin, class_id=a1.pk, student_id=attempt.student_id)
    people.class_place_student(by=admin, class_id=a2.pk, student_id=third.student_id)
    board = board_of(exam)
    for school_class, minutes in ((a1, 10), (a2, 30)):
        accommodations.accommodation_create(
            by=board, sitting_id=exam.pk, spec=AccommodationSpec(school_class_id=school_class.pk, extra_minutes=minutes)
        )
    accommodations.accommodation_create(
        by=board, sitting_id=exam.pk, spec=AccommodationSpec(student=second.student.username, large_text=True)
    )
    students = [attempt.student_id for attempt in (first, second, third, fourth)]
    with django_assert_num_queries(2):
        together = accommodations.accommodations_for(exam.pk, students)
    alone = {student: accommodations.accommodation_for(exam.pk, student) for student in students}
    assert together == alone
    assert together[first.student_id].extra_minutes == 10
    assert together[second.student_id].large_text and together[second.student_id].extra_minutes is None
    assert together[third.student_id].extra_minutes == 30
    assert together[fourth.student_id] is None
    with django_assert_num_queries(1):
        accommodations.accommodations_for(exam.pk, [fourth.student_id, first.student_id - 10**6])


@pytest.mark.parametrize(
    "body, field",
    [
        ({"extra_minutes": 0}, "extra_minutes"),
        ({"extra_minutes": 301}, "extra_minutes"),
        ({"time_multiplier": "0.5"}, "time_multiplier"),
        ({"time_multiplier": "3.5"}, "time_multiplier"),
        ({"extra_minutes": 10, "time_multiplier": "1.5"}, "extra_minutes"),
        ({}, "accommodation"),
    ],
)
def test_the_api_refuses_bad_times_with_clear_errors(exam, body, field):
    student = exam.attempts.first().student
    response = logged_in_client(board_of(exam)).post(
        _url(exam), {"student": student.username, **body}, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Accommodation.objects.exists()


def test_the_api_refuses_someone_who_is_not_a_candidate_and_both_or_neither(exam):
    client = logged_in_client(board_of(exam))
    outsider = make_user(Role.STUDENT, exam.organisation)
    for body in ({"student": outsider.username, "extra_minutes": 5}, {"extra_minutes": 5}):
        response = client.post(_url(exam), body, content_type="application/json")
        assert response.status_code == 400 and "student" in response.json()["error"]["fields"]


def test_the_board_lists_creates_updates_and_deletes_through_the_api(exam):
    student = exam.attempts.first().student
    client = logged_in_client(board_of(exam))
    created = client.post(
        _url(exam),
        {"student": student.username, "extra_minutes": 30, "note": "Khuyết tật"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["student"]["username"] == student.username and body["extra_minutes"] == 30
    twice = client.post(_url(exam), {"student": student.username, "large_text": True}, content_type="application/json")
    assert twice.status_code == 400 and "student" in twice.json()["error"]["fields"]
    updated = client.put(
        _url(exam, body["id"]),
        {"student": student.username, "time_multiplier": "1.25", "separate_room": True},
        content_type="application/json",
    )
    assert updated.status_code == 200
    assert updated.json()["time_multiplier"] == "1.25" and updated.json()["extra_minutes"] is None
    listed = client.get(_url(exam)).json()["results"]
    assert [a["id"] for a in listed] == [body["id"]] and listed[0]["separate_room"] is True
    assert client.delete(_url(exam, body["id"])).status_code == 204
    assert client.get(_url(exam)).json()["results"] == []


@pytest.mark.parametrize("role", [Role.TEACHER, Role.STUDENT, Role.PROCTOR])
def test_only_the_board_sets_accommodations(exam, role):
    student = exam.attempts.first().student
    person = make_user(role, exam.organisation)
    response = logged_in_client(person).post(
        _url(exam), {"student": student.username, "extra_minutes": 5}, content_type="application/json"
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        accommodations.accommodation_create(
            by=person, sitting_id=exam.pk, spec=AccommodationSpec(student=student.username, extra_minutes=5)
        )
    assert not Accommodation.objects.exists()


def test_another_organisation_s_board_cannot_set_accommodations(exam):
    student = exam.attempts.first().student
    stranger = make_user(Role.BOARD, make_school().parent)
    response = logged_in_client(stranger).post(
        _url(exam), {"student": student.username, "extra_minutes": 5}, content_type="application/json"
    )
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        accommodations.accommodation_create(
            by=stranger, sitting_id=exam.pk, spec=AccommodationSpec(student=student.username, extra_minutes=5)
        )
    assert not Accommodation.objects.exists()


def test_a_sitting_too_big_to_list_asks_for_the_username(monkeypatch):
    sitting = make_sitting(n_students=3)
    candidates, _classes = accommodations.choices_of(sitting)
    assert candidates is not None and len(candidates) == 3
    monkeypatch.setattr(accommodations, "CHOICES_MAX", 2)
    candidates, _classes = accommodations.choices_of(sitting)
    assert candidates is None  # the page then offers a text field for the username
    page = logged_in_client(sitting.created_by).get(f"/board/sittings/{sitting.pk}/")
    assert page.status_code == 200 and b'"candidates": null' in page.content
