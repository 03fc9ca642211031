"""Primary school records by Circular 27 (records.primary), the records' second policy: subject
levels, whole-number test marks, qualities and competences, the year's result from semester II
under the policy from the settings; closing; refusals; the API and the page."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import translation

from accounts import services as people
from accounts.models import ClassTeacher, Role
from itembank.models import Subject
from records import policy, primary, services
from tests.factories import logged_in_client, make_department, make_school, make_user

pytestmark = pytest.mark.django_db

YEAR = "2026-2027"


class Primary:
    """Class 4A of a primary school: two pupils; Toán tested (175 periods), Đạo đức by level
    only; the homeroom teacher teaches Toán, another teacher Đạo đức."""

    def __init__(self) -> None:
        self.school = make_school(make_department())
        self.admin = make_user(Role.SCHOOL_ADMIN, self.school)
        self.homeroom = make_user(Role.TEACHER, self.school)
        self.ethics_teacher = make_user(Role.TEACHER, self.school)
        self.maths = Subject.objects.create(code="toan-tieu-hoc", name="Toán")
        self.ethics = Subject.objects.create(code="dao-duc", name="Đạo đức")
        self.school_class = people.class_create(
            by=self.admin,
            school_id=self.school.pk,
            school_year=YEAR,
            name="4A",
            grade=4,
            homeroom_teacher_id=self.homeroom.pk,
        )
        self.pupils = []
        for given in ("Mai", "Nam"):
            pupil = make_user(Role.STUDENT, self.school, first_name=given, last_name="Trần")
            people.class_place_student(by=self.admin, class_id=self.school_class.pk, student_id=pupil.pk)
            self.pupils.append(pupil)
        ClassTeacher.objects.create(school_class=self.school_class, teacher=self.homeroom, subject=self.maths)
        ClassTeacher.objects.create(school_class=self.school_class, teacher=self.ethics_teacher, subject=self.ethics)
        for subject, mode, periods in ((self.maths, "scored", 175), (self.ethics, "comment", 35)):
            services.subject_rule_set(
                by=self.admin,
                organisation_id=self.school.pk,
                school_year=YEAR,
                grade=4,
                subject_id=subject.pk,
                mode=mode,
                periods=periods,
            )

    def semester(self, pupil, term, *, maths="Hoàn thành tốt", ethics="Hoàn thành tốt", mark="9", aspects="Tốt"):
        c = self.school_class.pk
        services.level_set(
            by=self.homeroom, class_id=c, student_id=pupil.pk, term=term, subject_id=self.maths.pk, level=maths
        )
        services.level_set(
            by=self.ethics_teacher, class_id=c, student_id=pupil.pk, term=term, subject_id=self.ethics.pk, level=ethics
        )
        services.entry_enter(
            by=self.homeroom,
            class_id=c,
            subject_id=self.maths.pk,
            student_id=pupil.pk,
            term=term,
            entry_type="endterm",
            score=mark,
        )
        for code in primary.ASPECT_CODES:
            services.level_set(by=self.homeroom, class_id=c, student_id=pupil.pk, term=term, aspect=code, level=aspects)


@pytest.fixture
def world():
    with translation.override("en"):
        yield Primary()


def _pupil(record, pupil):
    return next(p for p in record["students"] if p.student.pk == pupil.pk)


def test_the_years_result_follows_circular_27(world):
    mai, nam = world.pupils
    world.semester(mai, 1)
    world.semester(mai, 2)
    world.semester(nam, 2, ethics="Hoàn thành", mark="8", aspects="Đạt")
    record = primary.class_record(world.school_class)
    assert _pupil(record, mai).year_level == "Hoàn thành xuất sắc"  # all excellent, all Tốt, 9
    assert _pupil(record, nam).year_level == "Hoàn thành"
    assert _pupil(record, mai).subjects[world.maths.pk]["2"] == {
        "level": "Hoàn thành tốt",
        "midterm": None,
        "endterm": 9,
    }
    assert _pupil(record, nam).missing["1"] == 2 + 1 + len(primary.ASPECT_CODES)  # nothing of semester I


@override_settings(RECORDS_PRIMARY_POLICY={"outstanding_from": 8, "excellent_from": 7, "done_from": 5})
def test_the_policy_comes_from_the_settings(world):
    policy.clear()
    try:
        world.semester(world.pupils[0], 2, mark="8")
        assert _pupil(primary.class_record(world.school_class), world.pupils[0]).year_level == "Hoàn thành xuất sắc"
    finally:
        policy.clear()
    # Under the circular's own policy (9 for Hoàn thành xuất sắc) the same pupil is Hoàn thành tốt.
    with override_settings(RECORDS_PRIMARY_POLICY={}):
        policy.clear()
        try:
            assert _pupil(primary.class_record(world.school_class), world.pupils[0]).year_level == "Hoàn thành tốt"
        finally:
            policy.clear()


def test_marks_are_whole_levels_are_the_circulars_and_each_teacher_gives_their_own(world):
    mai = world.pupils[0]
    c = world.school_class.pk
    for bad, field in (("8.5", "score"), ("11", "score")):
        with pytest.raises(ValidationError) as refused:
            services.entry_enter(
                by=world.homeroom,
                class_id=c,
                subject_id=world.maths.pk,
                student_id=mai.pk,
                term=1,
                entry_type="endterm",
                score=bad,
            )
        assert field in refused.value.message_dict
    with pytest.raises(ValidationError, match="continuous assessment is by comment"):
        services.entry_enter(
            by=world.homeroom,
            class_id=c,
            subject_id=world.maths.pk,
            student_id=mai.pk,
            term=1,
            entry_type="continuous",
            score="8",
        )
    with pytest.raises(ValidationError):
        services.entry_enter(
            by=world.ethics_teacher,
            class_id=c,
            subject_id=world.ethics.pk,
            student_id=mai.pk,
            term=1,
            entry_type="endterm",
            score="8",
        )
    with pytest.raises(ValidationError, match="Choose one of"):
        services.level_set(
            by=world.homeroom, class_id=c, student_id=mai.pk, term=1, subject_id=world.maths.pk, level="Tốt"
        )
    with pytest.raises(PermissionDenied):
        services.level_set(
            by=world.homeroom, class_id=c, student_id=mai.pk, term=1, subject_id=world.ethics.pk, level="Hoàn thành"
        )
    with pytest.raises(PermissionDenied):
        services.level_set(
            by=world.ethics_teacher, class_id=c, student_id=mai.pk, term=1, aspect="honesty", level="Tốt"
        )
    with pytest.raises(ValidationError):
        services.level_set(by=world.homeroom, class_id=c, student_id=mai.pk, term=1, aspect="bravery", level="Tốt")
    # A level changed is kept; an empty one removes it.
    services.level_set(by=world.homeroom, class_id=c, student_id=mai.pk, term=1, aspect="honesty", level="Đạt")
    services.level_set(by=world.homeroom, class_id=c, student_id=mai.pk, term=1, aspect="honesty", level="Tốt")
    services.level_set(by=world.homeroom, class_id=c, student_id=mai.pk, term=1, aspect="honesty", level="")
    assert _pupil(primary.class_record(world.school_class), mai).aspects["honesty"]["1"] is None


def test_closing_a_primary_semester(world):
    mai, nam = world.pupils
    world.semester(mai, 1)
    with pytest.raises(ValidationError, match="missing"):
        services.semester_close(by=world.homeroom, class_id=world.school_class.pk, term=1)
    world.semester(nam, 1)
    closing = services.semester_close(by=world.homeroom, class_id=world.school_class.pk, term=1)
    assert closing.summary["policy"] == "circular-27"
    with pytest.raises(ValidationError, match="closed"):
        services.level_set(
            by=world.homeroom, class_id=world.school_class.pk, student_id=mai.pk, term=1, aspect="honesty", level="Đạt"
        )


def test_the_api_and_the_page(world):
    mai = world.pupils[0]
    base = f"/api/records/classes/{world.school_class.pk}/"
    homeroom = logged_in_client(world.homeroom)
    put = homeroom.put(
        f"{base}levels/",
        {"student": mai.pk, "term": 1, "aspect": "kindness", "level": "Tốt"},
        content_type="application/json",
    )
    assert put.status_code == 204
    data = homeroom.get(f"{base}primary/?term=1").json()
    row = next(p for p in data["students"] if p["id"] == mai.pk)
    assert {"code": "kindness", "level": "Tốt"} in row["aspects"] and data["policy"] == "circular-27"
    assert homeroom.get(base).status_code == 400  # Circular 22's record: not for this class
    bad = homeroom.put(
        f"{base}levels/", {"student": mai.pk, "term": 1, "level": "Tốt"}, content_type="application/json"
    )
    assert bad.status_code == 400
    page = homeroom.get(f"/records/classes/{world.school_class.pk}/").content.decode()
    assert 'data-testid="primary-subjects"' in page and 'data-testid="aspect-level"' in page
    ethics = logged_in_client(world.ethics_teacher).get(f"/records/classes/{world.school_class.pk}/").content.decode()
    assert 'data-testid="subject-level"' in ethics and 'data-testid="aspect-level"' not in ethics
    gradebook = homeroom.get(f"/records/classes/{world.school_class.pk}/subjects/{world.maths.pk}/?term=2")
    assert gradebook.status_code == 302 and gradebook["Location"].endswith("?period=2")
    stranger = logged_in_client(make_user(Role.TEACHER, world.school))
    assert stranger.get(f"/records/classes/{world.school_class.pk}/").status_code == 404
