"""Sittings: scheduling and enrolment, latest start and access codes, moves and cancellations
(audited), make-ups, assignments with several attempts and feedback policies, release."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from accounts import services as people
from accounts.models import ClassTeacher, Role
from assess import authoring, errors, selectors, services, sittings, statuses
from assess.authoring import AssessmentSpec, PartSpec
from assess.models import Assessment, Attempt, Form, RecordEntry, RecordEntryType, Sitting, SittingEvent
from itembank import content
from itembank import services as bank
from itembank.models import CognitiveLevel, Subject
from tests.factories import logged_in_client, make_department, make_school, make_user, release_version

pytestmark = pytest.mark.django_db
YEAR = "2026-2027"


class School:
    """A department with two schools; classes 10A1, 10A2 (grade 10) and 11B (grade 11) in the
    first, 10C in the second; a board, a school administrator, two teachers."""

    def __init__(self) -> None:
        self.department = make_department()
        self.school = make_school(self.department)
        self.other = make_school(self.department)
        self.board = make_user(Role.BOARD, self.department)
        self.admin = make_user(Role.SCHOOL_ADMIN, self.department)
        self.teacher = make_user(Role.TEACHER, self.school)
        self.colleague = make_user(Role.TEACHER, self.school)
        self.subject = Subject.objects.create(code="toan-st", name="Toán")
        self.classes = {}
        self.students = {}
        for school, name, grade, names in (
            (self.school, "10A1", 10, ["Bình", "An", "Chi"]),
            (self.school, "10A2", 10, ["Dũng", "Giang"]),
            (self.school, "11B", 11, ["Hà"]),
            (self.other, "10C", 10, ["Khoa", "Lan"]),
        ):
            school_class = people.class_create(
                by=self.admin, school_id=school.pk, school_year=YEAR, name=name, grade=grade
            )
            self.classes[name] = school_class
            for given in names:
                student = make_user(Role.STUDENT, school, first_name=given, last_name="Nguyễn")
                people.class_place_student(by=self.admin, class_id=school_class.pk, student_id=student.pk)
                self.students[given] = student
        ClassTeacher.objects.create(school_class=self.classes["10A1"], teacher=self.teacher, subject=self.subject)
        ClassTeacher.objects.create(school_class=self.classes["10A2"], teacher=self.colleague, subject=self.subject)
        versions = []
        for n in range(2):
            version = bank.item_create(
                by=self.teacher,
                subject=self.subject,
                level=CognitiveLevel.KNOW,
                content={"stem": f"Câu {n}", "options": [{"id": x, "text": x} for x in "ABCD"], "key": "A"},
            )
            versions.append(release_version(version, author=self.teacher, reviewer=self.board))
        self.items = [v.item_id for v in versions]

    def assessment(self, by, kind=Assessment.Kind.PERIODIC):
        entry = RecordEntryType.MIDTERM if kind == Assessment.Kind.PERIODIC else RecordEntryType.CONTINUOUS
        return authoring.assessment_create(
            by=by,
            spec=AssessmentSpec(
                title="Bài kiểm tra",
                kind=kind,
                subject_id=self.subject.pk,
                school_year=YEAR,
                term=1,
                record_entry_type=entry,
                duration_minutes=15,
                parts=(PartSpec("Phần I", 2, Decimal("5"), "single_choice"),),
                organisation_id=self.school.pk if by.role == Role.TEACHER else self.department.pk,
            ),
        )

    def form(self, by, kind=Assessment.Kind.PERIODIC, codes: int = 0):
        assessment = self.assessment(by, kind)
        form = authoring.form_build(by=by, assessment_id=assessment.pk, code="GOC", item_ids=[self.items])
        if codes:
            from assess import test_codes

            test_codes.codes_generate(by=by, form_id=form.pk, count=codes, seed=1)
        return form


@pytest.fixture
def world() -> School:
    return School()


def _window(**fields):
    now = timezone.now()
    return {"opens_at": now - timedelta(minutes=5), "closes_at": now + timedelta(hours=2), **fields}


def _body(form, **fields):
    window = {k: v.isoformat() for k, v in _window().items()}
    return json.dumps({"form": form.pk, "title": "Ca 1", **window, **fields})


def _post(client, url, body):
    return client.post(url, data=body if isinstance(body, str) else json.dumps(body), content_type="application/json")


def _spec(**fields):
    return sittings.SittingSpec(**{"title": "Ca", **_window(), **fields})


# --- scheduling and enrolment --------------------------------------------------------------------


def test_the_board_schedules_an_exam_for_classes_in_roster_order_with_codes_dealt_in_turn(world):
    form = world.form(world.board, codes=2)
    client = logged_in_client(world.board)
    classes = [world.classes["10A2"].pk, world.classes["10A1"].pk]
    response = client.post(
        "/api/sittings/", data=_body(form, classes=classes, new_access_code=True), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "exam" and body["enrolled"] == {"added": 5, "already": 0}
    assert body["has_access_code"] and len(body["access_code"]) == 6 and body["access_code"].isdigit()
    attempts = list(Attempt.objects.filter(sitting_id=body["id"]).select_related("student", "form").order_by("pk"))
    # 10A1 before 10A2; within a class by given name, as Vietnamese rosters sort.
    assert [a.student.first_name for a in attempts] == ["An", "Bình", "Chi", "Dũng", "Giang"]
    assert [a.form.code for a in attempts] == ["101", "102", "101", "102", "101"]
    assert [e["kind"] for e in body["events"]] == ["scheduled", "enrolled"]
    assert sorted(c["name"] for c in body["classes"]) == ["10A1", "10A2"]

    again = _post(client, f"/api/sittings/{body['id']}/enrol/", {"classes": [world.classes["10A1"].pk]})
    assert again.json()["enrolled"] == {"added": 0, "already": 3}
    assert Attempt.objects.filter(sitting_id=body["id"]).count() == 5


def test_the_board_enrols_a_whole_grade_across_its_schools(world):
    form = world.form(world.board)
    sitting, enrolment = sittings.sitting_schedule(
        by=world.board, form_id=form.pk, spec=_spec(), candidates=sittings.Candidates(grade=10)
    )
    assert enrolment.added == 7  # 10A1, 10A2 and 10C of the other school; not 11B
    assert not Attempt.objects.filter(sitting=sitting, student=world.students["Hà"]).exists()
    with pytest.raises(PermissionDenied):
        sittings.sitting_enrol(by=world.teacher, sitting_id=sitting.pk, candidates=sittings.Candidates(grade=11))


def test_enrolment_by_list_and_file_refuses_strangers_and_writes_nothing(world):
    form = world.form(world.board)
    sitting, _ = sittings.sitting_schedule(by=world.board, form_id=form.pk, spec=_spec())
    stranger = make_user(Role.STUDENT, make_school())
    teacher = world.teacher
    client = logged_in_client(world.board)
    url = f"/api/sittings/{sitting.pk}/enrol/"
    response = _post(
        client, url, {"students": [world.students["An"].learner_id, stranger.learner_id, teacher.username, "nobody"]}
    )
    assert response.status_code == 400
    messages = " ".join(response.json()["error"]["fields"]["students"])
    assert stranger.learner_id in messages and teacher.username in messages and "nobody" in messages
    assert not Attempt.objects.filter(sitting=sitting).exists()

    csv_file = SimpleUploadedFile(
        "ds.csv", f"Mã định danh\n{world.students['An'].learner_id}\n{world.students['Chi'].username}\n".encode()
    )
    assert client.post(url, {"file": csv_file}).json()["enrolled"] == {"added": 2, "already": 0}
    book = Workbook()
    book.active.append(["Mã định danh"])
    book.active.append([world.students["Bình"].learner_id])
    data = io.BytesIO()
    book.save(data)
    xlsx = SimpleUploadedFile("ds.xlsx", data.getvalue())
    assert client.post(url, {"file": xlsx}).json()["enrolled"] == {"added": 1, "already": 0}
    for bad in (b"\x00\x01 not a table", b"PK\x03\x04 broken zip"):
        response = client.post(url, {"file": SimpleUploadedFile("x.xlsx", bad)})
        assert response.status_code == 400 and "file" in response.json()["error"]["fields"]
    assert Attempt.objects.filter(sitting=sitting).count() == 3


def test_a_teacher_assigns_only_to_their_own_classes_and_never_an_exam(world):
    quiz = world.form(world.teacher, kind=Assessment.Kind.CONTINUOUS)
    client = logged_in_client(world.teacher)
    theirs = _post(client, "/api/sittings/", _body(quiz, classes=[world.classes["10A2"].pk]))
    assert theirs.status_code == 400 and "classes" in theirs.json()["error"]["fields"]
    assert not Sitting.objects.exists()
    mine = _post(client, "/api/sittings/", _body(quiz, classes=[world.classes["10A1"].pk], max_attempts=3))
    assert mine.status_code == 201 and mine.json()["kind"] == "assignment"
    assert mine.json()["enrolled"]["added"] == 3
    # The colleague does not see it; a periodic exam is not the teacher's to schedule.
    assert logged_in_client(world.colleague).get(f"/api/sittings/{mine.json()['id']}/").status_code == 404
    exam = world.form(world.board)
    assert _post(client, "/api/sittings/", _body(exam)).status_code == 404  # not even visible
    with pytest.raises(Form.DoesNotExist):
        sittings.sitting_schedule(by=world.teacher, form_id=exam.pk, spec=_spec())
    assert logged_in_client(world.students["An"]).get("/api/sittings/").status_code == 403


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"closes_at": "2020-01-01T00:00:00Z"}, "closes_at"),
        ({"latest_start": "2020-01-01T00:00:00Z"}, "latest_start"),
        ({"access_code": "12 34"}, "access_code"),
        ({"max_attempts": 2}, "max_attempts"),
        ({"feedback_timing": "after_submit"}, "feedback_timing"),
        ({"practice": True}, "practice"),
        ({"title": ""}, "title"),
    ],
)
def test_a_bad_exam_sitting_is_refused_and_nothing_is_written(world, fields, field):
    form = world.form(world.board)
    response = _post(logged_in_client(world.board), "/api/sittings/", _body(form, **fields))
    assert response.status_code == 400 and field in response.json()["error"]["fields"], response.content
    assert not Sitting.objects.exists() and not SittingEvent.objects.exists()


# --- starting -------------------------------------------------------------------------------------


def _connect(attempt):
    return services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token


def test_no_start_after_the_latest_start_nor_without_the_access_code(world):
    form = world.form(world.board)
    now = timezone.now()
    sitting, _ = sittings.sitting_schedule(
        by=world.board,
        form_id=form.pk,
        spec=_spec(opens_at=now - timedelta(hours=1), latest_start=now - timedelta(minutes=1), access_code="X7K2"),
        candidates=sittings.Candidates(class_ids=(world.classes["10A1"].pk,)),
    )
    attempt = sitting.attempts.first()
    token = _connect(attempt)
    with pytest.raises(errors.SittingNotOpen):
        services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token, access_code="X7K2")
    sittings.sitting_reschedule(
        by=world.board,
        sitting_id=sitting.pk,
        opens_at=sitting.opens_at,
        closes_at=sitting.closes_at,
        latest_start=now + timedelta(minutes=30),
        reason="late bus",
    )
    for wrong in ("", "X7K3"):
        with pytest.raises(errors.AccessCode):
            services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token, access_code=wrong)
    attempt = services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token, access_code=" x7k2 ")
    assert attempt.status == statuses.IN_PROGRESS
    event = SittingEvent.objects.get(sitting=sitting, kind="rescheduled")
    assert (event.reason, event.by) == ("late bus", world.board)


# --- moving, cancelling, make-ups -----------------------------------------------------------------


def test_cancelling_needs_a_reason_voids_the_attempts_and_is_refused_once_someone_started(world):
    form = world.form(world.board)
    candidates = sittings.Candidates(class_ids=(world.classes["10A1"].pk,))
    sitting, _ = sittings.sitting_schedule(by=world.board, form_id=form.pk, spec=_spec(), candidates=candidates)
    client = logged_in_client(world.board)
    assert _post(client, f"/api/sittings/{sitting.pk}/cancel/", {"reason": ""}).status_code == 400
    assert (
        _post(
            client, f"/api/sittings/{sitting.pk}/reschedule/", {**{k: v.isoformat() for k, v in _window().items()}}
        ).status_code
        == 400
    )
    response = _post(client, f"/api/sittings/{sitting.pk}/cancel/", {"reason": "mất điện"})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert set(sitting.attempts.values_list("status", flat=True)) == {statuses.VOIDED}
    assert SittingEvent.objects.get(sitting=sitting, kind="cancelled").reason == "mất điện"

    started, _ = sittings.sitting_schedule(by=world.board, form_id=form.pk, spec=_spec(), candidates=candidates)
    attempt = started.attempts.first()
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=_connect(attempt))
    with pytest.raises(ValidationError):
        sittings.sitting_cancel(by=world.board, sitting_id=started.pk, reason="x")


def test_a_makeup_enrols_only_those_who_did_not_sit(world):
    form = world.form(world.board)
    now = timezone.now()
    sitting, _ = sittings.sitting_schedule(
        by=world.board,
        form_id=form.pk,
        spec=_spec(opens_at=now - timedelta(hours=2), closes_at=now + timedelta(hours=1)),
        candidates=sittings.Candidates(class_ids=(world.classes["10A1"].pk,)),
    )
    with pytest.raises(ValidationError):  # not before the sitting closes
        sittings.sitting_makeup(by=world.board, sitting_id=sitting.pk, spec=_spec(title="Thi bù"))
    sat = sitting.attempts.order_by("pk").first()
    services.attempt_start(attempt_id=sat.pk, user=sat.student, token=_connect(sat))
    sittings.sitting_reschedule(
        by=world.board,
        sitting_id=sitting.pk,
        opens_at=now - timedelta(hours=2),
        closes_at=now - timedelta(minutes=1),
        latest_start=None,
        reason="closed early for the test",
    )
    later = now + timedelta(days=1)
    response = _post(
        logged_in_client(world.board),
        f"/api/sittings/{sitting.pk}/makeup/",
        {"title": "Thi bù", "opens_at": later.isoformat(), "closes_at": (later + timedelta(hours=1)).isoformat()},
    )
    assert response.status_code == 201, response.content
    makeup = Sitting.objects.get(pk=response.json()["id"])
    assert makeup.makeup_of == sitting and response.json()["enrolled"]["added"] == 2
    assert sat.student_id not in set(makeup.attempts.values_list("student_id", flat=True))


# --- assignments and release -----------------------------------------------------------------------


def _take(attempt, right: bool):
    token = _connect(attempt)
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    for fi in attempt.form.form_items.select_related("item_version__item"):
        key = fi.item_version.content["key"] if right else "B"
        value = content.response_to_shown("single_choice", fi.response_ids, key)
        services.attempt_record_answer(
            attempt_id=attempt.pk, token=token, seq=fi.position, item=fi.position, value=value
        )
    services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    return services.attempt_score(attempt_id=attempt.pk)


@pytest.mark.parametrize(("counting", "expected"), [("best", "10.0"), ("last", "0.0"), ("mean", "5.0")])
def test_an_assignment_allows_attempts_and_records_the_one_that_counts(world, counting, expected):
    quiz = world.form(world.teacher, kind=Assessment.Kind.CONTINUOUS, codes=2)
    sitting, _ = sittings.sitting_schedule(
        by=world.teacher,
        form_id=quiz.pk,
        spec=_spec(max_attempts=2, counting=counting, feedback_timing="after_submit", feedback_detail="answers"),
        candidates=sittings.Candidates(class_ids=(world.classes["10A1"].pk,)),
    )
    student = world.students["An"]
    first = sitting.attempts.get(student=student)
    _take(first, right=True)
    first.refresh_from_db()
    assert first.status == statuses.PUBLISHED  # after each submission: at once
    client = logged_in_client(student)
    response = client.post(f"/api/sittings/{sitting.pk}/attempts/")
    assert response.status_code == 201, response.content
    second = Attempt.objects.get(pk=response.json()["id"])
    assert second.number == 2 and second.form_id != first.form_id
    _take(second, right=False)
    assert client.post(f"/api/sittings/{sitting.pk}/attempts/").status_code == 400  # both used
    [entry] = RecordEntry.objects.filter(student=student)
    assert str(entry.score) == expected
    assert [str(e.score) for e in selectors.record_of_student(student.pk, published_only=True)] == [expected]


def test_practice_feeds_no_record_and_after_close_results_wait_for_the_window(world):
    quiz = world.form(world.teacher, kind=Assessment.Kind.CONTINUOUS)
    sitting, _ = sittings.sitting_schedule(
        by=world.teacher,
        form_id=quiz.pk,
        spec=_spec(practice=True, feedback_timing="after_close"),
        candidates=sittings.Candidates(class_ids=(world.classes["10A1"].pk,)),
    )
    attempt = sitting.attempts.first()
    _take(attempt, right=True)
    attempt.refresh_from_db()
    assert attempt.status == statuses.SCORED and not RecordEntry.objects.exists()
    assert sittings.sittings_release_due() == 0
    assert sittings.sittings_release_due(now=sitting.closes_at + timedelta(seconds=1)) == 1
    attempt.refresh_from_db()
    assert attempt.status == statuses.PUBLISHED


def test_release_shows_results_to_students_and_withdrawal_takes_them_back_audited(world):
    form = world.form(world.board)
    sitting, _ = sittings.sitting_schedule(
        by=world.board,
        form_id=form.pk,
        spec=_spec(),
        candidates=sittings.Candidates(class_ids=(world.classes["10A1"].pk,)),
    )
    attempt = sitting.attempts.first()
    _take(attempt, right=True)
    student = logged_in_client(attempt.student)
    record = f"/api/students/{attempt.student_id}/record/"
    assert student.get(record).json()["entries"] == []
    client = logged_in_client(world.board)
    assert logged_in_client(world.teacher).post(f"/api/sittings/{sitting.pk}/release/").status_code == 404
    # an exam's results are published after their review, not by the assignments' release
    refused = client.post(f"/api/sittings/{sitting.pk}/release/")
    assert refused.status_code == 400 and "sitting" in refused.json()["error"]["fields"]
    assert client.post(f"/api/sittings/{sitting.pk}/publication/review/").json()["status"] == "reviewed"
    response = client.post(f"/api/sittings/{sitting.pk}/publication/publish/")
    assert response.status_code == 200 and response.json()["status"] == "published"
    assert [e["score"] for e in student.get(record).json()["entries"]] == ["10.0"]
    assert _post(client, f"/api/sittings/{sitting.pk}/withdraw/", {"reason": "x"}).status_code == 400
    assert _post(client, f"/api/sittings/{sitting.pk}/publication/withdraw/", {"reason": ""}).status_code == 400
    response = _post(client, f"/api/sittings/{sitting.pk}/publication/withdraw/", {"reason": "sai đáp án câu 2"})
    assert response.json()["status"] == "draft"
    sitting.refresh_from_db()
    assert sitting.released_at is None
    assert student.get(record).json()["entries"] == []
    kinds = list(SittingEvent.objects.filter(sitting=sitting).values_list("kind", flat=True))
    assert kinds[-2:] == ["released", "withdrawn"]
    attempt.refresh_from_db()
    assert attempt.status == statuses.SCORED
    assert list(attempt.transitions.values_list("to_status", flat=True))[-2:] == ["published", "scored"]
