"""Records by Circular 22 (records.services, records.selectors, the API): entries a teacher
enters, semester and year averages in exact decimals, comment subjects, levels, retakes,
corrections kept and locked once the homeroom teacher closes the semester; refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import translation

from accounts import services as people
from accounts.models import ClassTeacher, Role
from assess.models import RecordEntry
from itembank.models import Subject
from records import policy, selectors, services
from records.models import RecordEvent, SemesterClosing, SubjectRule
from tests.factories import logged_in_client, make_department, make_school, make_user

pytestmark = pytest.mark.django_db

YEAR = "2026-2027"


class School:
    """A school with a class 10A1 of three students; Toán (scored, 70 periods: 3 continuous) by
    one teacher, Thể dục (comment only, 35 periods: 2 continuous) by another; a homeroom teacher
    and the school's administrator; a teacher of another school."""

    def __init__(self) -> None:
        self.department = make_department()
        self.school = make_school(self.department)
        self.admin = make_user(Role.SCHOOL_ADMIN, self.school)
        self.homeroom = make_user(Role.TEACHER, self.school)
        self.maths_teacher = make_user(Role.TEACHER, self.school)
        self.pe_teacher = make_user(Role.TEACHER, self.school)
        self.stranger = make_user(Role.TEACHER, make_school(self.department))
        self.maths = Subject.objects.create(code="toan-rec", name="Toán")
        self.pe = Subject.objects.create(code="td-rec", name="Thể dục")
        self.school_class = people.class_create(
            by=self.admin,
            school_id=self.school.pk,
            school_year=YEAR,
            name="10A1",
            grade=10,
            homeroom_teacher_id=self.homeroom.pk,
        )
        self.students = []
        for given in ("An", "Bình", "Chi"):
            student = make_user(Role.STUDENT, self.school, first_name=given, last_name="Nguyễn")
            people.class_place_student(by=self.admin, class_id=self.school_class.pk, student_id=student.pk)
            self.students.append(student)
        ClassTeacher.objects.create(school_class=self.school_class, teacher=self.maths_teacher, subject=self.maths)
        ClassTeacher.objects.create(school_class=self.school_class, teacher=self.pe_teacher, subject=self.pe)
        for subject, mode, periods in ((self.maths, "scored", 70), (self.pe, "comment", 35)):
            services.subject_rule_set(
                by=self.admin,
                organisation_id=self.school.pk,
                school_year=YEAR,
                grade=10,
                subject_id=subject.pk,
                mode=mode,
                periods=periods,
            )

    def enter(self, student, term, entry_type, value, subject=None):
        subject = subject or self.maths
        teacher = self.maths_teacher if subject == self.maths else self.pe_teacher
        scored = subject == self.maths
        return services.entry_enter(
            by=teacher,
            class_id=self.school_class.pk,
            subject_id=subject.pk,
            student_id=student.pk,
            term=term,
            entry_type=entry_type,
            score=value if scored else None,
            comment=None if scored else value,
        )

    def complete(self, student, term, maths, pe="Đạt"):
        """A whole semester of both subjects: ``maths`` = (c1, c2, c3, mid, end)."""
        *continuous, mid, end = maths
        for value in continuous:
            self.enter(student, term, "continuous", value)
        self.enter(student, term, "midterm", mid)
        self.enter(student, term, "endterm", end)
        for kind in ("continuous", "continuous", "midterm", "endterm"):
            self.enter(student, term, kind, pe, subject=self.pe)


@pytest.fixture
def world() -> School:
    return School()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _student(record, student):
    return next(r for r in record["students"] if r.student.pk == student.pk)


def test_semester_averages_round_halves_up_in_exact_decimals(world):
    an = world.students[0]
    # (8.5 + 8.0 + 8.5 + 2 x 8.5 + 3 x 8.0) / 8 = 66 / 8 = 8.25: 8.3 (a binary float's round gives 8.2)
    world.complete(an, 1, ("8.5", "8", "8,5", "8.5", "8.0"))
    record = selectors.class_record(world.school_class)
    term = _student(record, an).subjects[world.maths.pk]["1"]
    assert term.average == Decimal("8.3") and term.missing == 0
    assert round(66 / 8, 1) == 8.2  # what float arithmetic would have written
    assert _student(record, an).subjects[world.pe.pk]["1"].result == "Đạt"
    # Semester II: (7 + 7 + 7 + 2 x 6.5 + 3 x 9) / 8 = 61 / 8 = 7.625: 7.6; the year (8.3 + 2 x 7.6) / 3 = 7.8333: 7.8
    world.complete(an, 2, ("7", "7", "7", "6.5", "9"))
    record = selectors.class_record(world.school_class)
    mine = _student(record, an)
    assert mine.subjects[world.maths.pk]["2"].average == Decimal("7.6")
    assert mine.year[world.maths.pk]["average"] == Decimal("7.8")
    assert mine.year[world.pe.pk]["result"] == "Đạt"
    # Two subjects cannot reach the circular's six subjects at 5.0: Chưa đạt.
    assert mine.levels["1"] == "Chưa đạt" and mine.levels["year"] == "Chưa đạt"
    # The others have nothing yet: no average, no level, everything missing.
    binh = _student(record, world.students[1])
    assert binh.subjects[world.maths.pk]["1"].average is None and binh.subjects[world.maths.pk]["1"].missing == 5
    assert binh.levels["1"] is None


@override_settings(RECORDS_LEVEL_POLICY={"subjects_needed": 1})
def test_levels_and_retakes_follow_the_policy_from_the_settings(world):
    policy.clear()
    try:
        an, binh, chi = world.students
        world.complete(an, 1, ("9", "9", "9", "8.5", "9"))  # 8.9, PE Đạt: Tốt
        world.complete(binh, 1, ("6", "7", "6", "7", "6.5"))  # 6.6: Khá
        world.complete(
            chi, 1, ("3", "4", "3", "4", "4"), pe="Chưa đạt"
        )  # 3.7, PE failed: Đạt at most... 3.7 >= 3.5 but < 5
        world.complete(an, 2, ("9", "9", "9", "9", "9"))
        world.complete(binh, 2, ("7", "7", "7", "7", "7"))
        world.complete(chi, 2, ("4", "4", "4", "4", "4"), pe="Chưa đạt")
        record = selectors.class_record(world.school_class)
        levels = {r.student.pk: r.levels for r in record["students"]}
        assert levels[an.pk]["1"] == "Tốt" and levels[an.pk]["year"] == "Tốt"
        assert levels[binh.pk]["1"] == "Khá"
        assert levels[chi.pk]["year"] == "Chưa đạt"
        retakes = _student(record, chi).retakes
        assert retakes == [world.maths.pk, world.pe.pk]  # scored below 5.0, then comment Chưa đạt
        assert _student(record, an).retakes == []
    finally:
        policy.clear()


def test_entries_follow_the_subjects_rules_and_counts(world):
    an = world.students[0]
    for bad in ("10.5", "-1", "7.25", "bảy", ""):
        with pytest.raises(ValidationError):
            world.enter(an, 1, "continuous", bad)
    with pytest.raises(ValidationError, match="assessed by comment"):
        services.entry_enter(
            by=world.pe_teacher,
            class_id=world.school_class.pk,
            subject_id=world.pe.pk,
            student_id=an.pk,
            term=1,
            entry_type="continuous",
            score="8",
        )
    for _ in range(3):
        world.enter(an, 1, "continuous", "8")
    with pytest.raises(ValidationError, match="takes 3 continuous"):
        world.enter(an, 1, "continuous", "9")
    world.enter(an, 1, "midterm", "7")
    with pytest.raises(ValidationError, match="correct it instead"):
        world.enter(an, 1, "midterm", "8")
    with pytest.raises(ValidationError):
        world.enter(an, 3, "midterm", "8")
    outsider = make_user(Role.STUDENT, world.school)
    with pytest.raises(ValidationError, match="not in class"):
        world.enter(outsider, 1, "midterm", "8")
    # Only the subject's teacher enters: not the homeroom teacher, not the other subject's.
    for who in (world.homeroom, world.pe_teacher, world.stranger):
        with pytest.raises(PermissionDenied):
            services.entry_enter(
                by=who,
                class_id=world.school_class.pk,
                subject_id=world.maths.pk,
                student_id=an.pk,
                term=1,
                entry_type="endterm",
                score="8",
            )
    assert RecordEntry.objects.filter(student=an).count() == 4
    assert RecordEvent.objects.filter(kind="entered").count() == 4


def test_corrections_are_kept_and_locked_once_the_semester_closes(world):
    an, binh, chi = world.students
    entry = world.enter(an, 1, "endterm", "6.5")
    with pytest.raises(ValidationError, match="Say why"):
        services.entry_correct(by=world.maths_teacher, entry_id=entry.pk, score="7.5", reason=" ")
    services.entry_correct(by=world.maths_teacher, entry_id=entry.pk, score="7.5", reason="Cộng sai điểm bài thi.")
    entry.refresh_from_db()
    assert entry.score == Decimal("7.5")
    event = RecordEvent.objects.get(kind="corrected")
    assert (event.before, event.after, event.by) == (
        {"score": "6.5", "comment": None},
        {"score": "7.5", "comment": None},
        world.maths_teacher,
    )
    with pytest.raises(PermissionDenied):
        services.entry_correct(by=world.homeroom, entry_id=entry.pk, score="9", reason="x")

    # Closing needs every assessment; it names what is missing.
    with pytest.raises(ValidationError, match="assessments are missing") as refused:
        services.semester_close(by=world.homeroom, class_id=world.school_class.pk, term=1)
    assert "Nguyễn An" in str(refused.value) or "An Nguyễn" in str(refused.value)
    entry.delete()
    for student in (an, binh, chi):
        world.complete(student, 1, ("8", "8", "8", "8", "8"))
    with pytest.raises(PermissionDenied):
        services.semester_close(by=world.maths_teacher, class_id=world.school_class.pk, term=1)
    with pytest.raises(ValidationError, match="semester I first"):
        services.semester_close(by=world.homeroom, class_id=world.school_class.pk, term=2)
    closing = services.semester_close(by=world.homeroom, class_id=world.school_class.pk, term=1)
    assert closing.summary["students"][str(an.pk)]["subjects"][str(world.maths.pk)]["average"] == "8.0"

    # Closed: no entry, correction, removal or comment of semester I.
    locked = RecordEntry.objects.get(student=an, term=1, entry_type="endterm", subject=world.maths)
    with pytest.raises(ValidationError, match="closed"):
        services.entry_correct(by=world.maths_teacher, entry_id=locked.pk, score="9", reason="Sửa")
    with pytest.raises(ValidationError, match="closed"):
        services.entry_remove(by=world.maths_teacher, entry_id=locked.pk, reason="Sửa")
    with pytest.raises(ValidationError, match="closed"):
        services.comment_set(
            by=world.maths_teacher,
            class_id=world.school_class.pk,
            student_id=an.pk,
            term=1,
            subject_id=world.maths.pk,
            text="Chăm chỉ",
        )
    with pytest.raises(ValidationError, match="closed"):
        services.semester_close(by=world.homeroom, class_id=world.school_class.pk, term=1)
    # Semester II is open meanwhile.
    world.enter(an, 2, "midterm", "9")

    # Only the school's administrator reopens, with a reason; then the correction goes through.
    with pytest.raises(PermissionDenied):
        services.semester_reopen(by=world.homeroom, class_id=world.school_class.pk, term=1, reason="x")
    services.semester_reopen(by=world.admin, class_id=world.school_class.pk, term=1, reason="Phúc khảo bài cuối kỳ.")
    services.entry_correct(by=world.maths_teacher, entry_id=locked.pk, score="9", reason="Phúc khảo")
    kinds = list(RecordEvent.objects.filter(school_class=world.school_class).values_list("kind", flat=True))
    assert {"closed", "reopened", "corrected", "entered"} <= set(kinds)
    assert not SemesterClosing.objects.filter(term=1).exists()


def test_a_computer_test_counts_once_published_and_is_not_corrected_here(world):
    from tests.factories import make_sitting

    an = world.students[0]
    sitting = make_sitting(n_students=1)
    attempt = sitting.attempts.get()
    entry = RecordEntry.objects.create(
        student=an,
        subject=world.maths,
        school_year=YEAR,
        term=1,
        entry_type="midterm",
        score=Decimal("6.0"),
        organisation=world.school,
        attempt=attempt,
        source="attempt",
    )
    record = selectors.class_record(world.school_class)
    cell = _student(record, an).subjects[world.maths.pk]["1"].midterm[0]
    assert not cell.counted and _student(record, an).subjects[world.maths.pk]["1"].missing == 5
    type(attempt).objects.filter(pk=attempt.pk).update(status="published")
    record = selectors.class_record(world.school_class)
    assert _student(record, an).subjects[world.maths.pk]["1"].midterm[0].counted
    with pytest.raises(ValidationError, match="taken on the computer"):
        services.entry_correct(by=world.maths_teacher, entry_id=entry.pk, score="9", reason="Sửa")
    # A second mid-term entered by hand is refused: the test's is there.
    with pytest.raises(ValidationError, match="correct it instead"):
        world.enter(an, 1, "midterm", "8")


def test_comments_by_the_subject_and_homeroom_teachers(world):
    an = world.students[0]
    services.comment_set(
        by=world.maths_teacher,
        class_id=world.school_class.pk,
        student_id=an.pk,
        term=1,
        subject_id=world.maths.pk,
        text="Tiến bộ rõ.",
    )
    services.comment_set(
        by=world.homeroom, class_id=world.school_class.pk, student_id=an.pk, term=1, text="Ngoan, chăm học."
    )
    with pytest.raises(PermissionDenied):
        services.comment_set(
            by=world.maths_teacher, class_id=world.school_class.pk, student_id=an.pk, term=1, text="Không phải GVCN"
        )
    with pytest.raises(PermissionDenied):
        services.comment_set(
            by=world.pe_teacher,
            class_id=world.school_class.pk,
            student_id=an.pk,
            term=1,
            subject_id=world.maths.pk,
            text="x",
        )
    comments = selectors.comments_of(world.school_class, [an], 1)
    assert comments == {(an.pk, world.maths.pk): "Tiến bộ rõ.", (an.pk, None): "Ngoan, chăm học."}
    services.comment_set(by=world.homeroom, class_id=world.school_class.pk, student_id=an.pk, term=1, text="")
    assert (an.pk, None) not in selectors.comments_of(world.school_class, [an], 1)


def test_subject_rules_are_the_school_administrators(world):
    assert SubjectRule.objects.count() == 2
    with pytest.raises(PermissionDenied):
        services.subject_rule_set(
            by=world.maths_teacher,
            organisation_id=world.school.pk,
            school_year=YEAR,
            grade=10,
            subject_id=world.maths.pk,
            mode="scored",
            periods=105,
        )
    with pytest.raises(ValidationError):
        services.subject_rule_set(
            by=world.admin,
            organisation_id=world.school.pk,
            school_year="2026",
            grade=10,
            subject_id=world.maths.pk,
            mode="scored",
            periods=105,
        )
    services.subject_rule_set(
        by=world.admin,
        organisation_id=world.school.pk,
        school_year=YEAR,
        grade=10,
        subject_id=world.maths.pk,
        mode="scored",
        periods=105,
    )
    rules = selectors.subject_rules(world.school_class)
    assert rules[world.maths.pk].continuous == 4 and rules[world.pe.pk].continuous == 2
    assert rules[world.pe.pk].mode == "comment" and rules[world.pe.pk].source == "school"


def test_the_api_for_teachers_homeroom_students_and_strangers(world):
    an = world.students[0]
    teacher = logged_in_client(world.maths_teacher)
    base = f"/api/records/classes/{world.school_class.pk}/"
    classes = teacher.get("/api/records/classes/").json()["results"]
    assert classes == [
        {
            "id": world.school_class.pk,
            "name": "10A1",
            "grade": 10,
            "school_year": YEAR,
            "school": world.school.name,
            "homeroom": False,
            "subjects": [world.maths.pk],
        }
    ]
    created = teacher.post(
        f"{base}subjects/{world.maths.pk}/entries/",
        {"student": an.pk, "term": 1, "entry_type": "midterm", "score": "7,5", "note": "Bài trên giấy"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    entry = created.json()
    assert entry["score"] == "7.5" and entry["source"] == "teacher"
    bad = teacher.post(
        f"{base}subjects/{world.maths.pk}/entries/",
        {"student": an.pk, "term": 1, "entry_type": "endterm", "score": "11"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "score" in bad.json()["error"]["fields"]
    book = teacher.get(f"{base}subjects/{world.maths.pk}/?term=1").json()
    row = next(r for r in book["students"] if r["id"] == an.pk)
    assert row["midterm"][0]["value"] == "7.5" and row["missing"] == 4 and book["subject"]["continuous"] == 3
    patched = teacher.patch(
        f"/api/records/entries/{entry['id']}/", {"score": "8", "reason": "Nhập nhầm"}, content_type="application/json"
    )
    assert patched.status_code == 200 and patched.json()["score"] == "8.0"
    assert teacher.get(f"{base}subjects/{world.pe.pk}/?term=1").status_code == 403  # not their subject
    assert teacher.get(base).status_code == 403  # the class's whole record: the homeroom teacher's
    homeroom = logged_in_client(world.homeroom)
    whole = homeroom.get(base).json()
    assert [s["name"] for s in whole["subjects"]] == ["Thể dục", "Toán"] and len(whole["students"]) == 3
    assert homeroom.post(f"{base}close/", {"term": 1}, content_type="application/json").status_code == 400
    events = homeroom.get(f"{base}events/").json()["results"]
    assert [e["kind"] for e in events] == ["corrected", "entered"] and events[0]["reason"] == "Nhập nhầm"
    # The student reads a teacher's entry at once; a stranger sees no class.
    student = logged_in_client(an)
    mine = student.get(f"/api/students/{an.pk}/record/").json()["entries"]
    assert [(e["score"], e["source"], e["attempt"]) for e in mine] == [("8.0", "teacher", None)]
    assert student.get(base).status_code == 404
    stranger = logged_in_client(world.stranger)
    assert stranger.get(base).status_code == 404
    assert (
        stranger.patch(
            f"/api/records/entries/{entry['id']}/", {"score": "1", "reason": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    removed = teacher.post(
        f"/api/records/entries/{entry['id']}/remove/", {"reason": "Trùng"}, content_type="application/json"
    )
    assert removed.status_code == 204 and not RecordEntry.objects.filter(pk=entry["id"]).exists()
    rules = logged_in_client(world.admin).get(f"/api/records/rules/?organisation={world.school.pk}&school_year={YEAR}")
    assert len(rules.json()["results"]) == 2
    # The school's staff read its rules; another school's do not.
    assert (
        len(teacher.get(f"/api/records/rules/?organisation={world.school.pk}&school_year={YEAR}").json()["results"])
        == 2
    )
    assert (
        stranger.get(f"/api/records/rules/?organisation={world.school.pk}&school_year={YEAR}").json()["results"] == []
    )
