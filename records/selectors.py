"""Reading the records: who may read which, and a class's records worked out by Circular 22.

:func:`class_record` gathers a class's entries in one query and works every student's subject
averages (or comment results), levels and retakes out with ``scoring.grades``, for a semester
or the year. What counts is what the student may see: entries the teacher entered, and entries
of attempts whose results are published; an attempt's entry awaiting publication is shown to
teachers, marked, and counted nowhere.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import ClassMembership, ClassTeacher, Role, SchoolClass, User
from accounts.permissions import BOARD, scope_of
from assess import statuses
from assess.models import RecordEntry, RecordEntryType
from itembank.models import Subject
from scoring import grades

from . import policy
from .models import RecordEvent, SemesterClosing, SubjectRule, TeacherComment

YEAR = "year"
PERIODS = ("1", "2", YEAR)
READERS = (Role.SCHOOL_ADMIN, *BOARD)  # read every record of the schools they oversee


# --- who reads what ----------------------------------------------------------------------------


def oversees_school(user: User, school_class: SchoolClass) -> bool:
    scope = scope_of(user)
    return scope.has_role(*READERS) and scope.oversees(school_class.school_id)


def teaches(user: User, school_class: SchoolClass, subject_id: int) -> bool:
    return ClassTeacher.objects.filter(school_class=school_class, teacher=user, subject_id=subject_id).exists()


def is_homeroom(user: User, school_class: SchoolClass) -> bool:
    return school_class.homeroom_teacher_id == user.pk


def may_read_class(user: User, school_class: SchoolClass) -> bool:
    return is_homeroom(user, school_class) or oversees_school(user, school_class)


def may_read_subject(user: User, school_class: SchoolClass, subject_id: int) -> bool:
    return may_read_class(user, school_class) or teaches(user, school_class, subject_id)


def classes_of(user: User, school_year: str | None = None) -> QuerySet[SchoolClass]:
    """The classes whose records a person keeps or reads: homeroom and subject classes of a
    teacher, every class of the schools a school administrator or a board oversees."""
    scope = scope_of(user)
    classes = SchoolClass.objects.select_related("school", "homeroom_teacher")
    if school_year:
        classes = classes.filter(school_year=school_year)
    if scope.is_admin:
        return classes
    if scope.has_role(*READERS):
        return classes.filter(school_id__in=scope.overseen)
    if scope.has_role(Role.TEACHER):
        return classes.filter(Q(homeroom_teacher=user) | Q(subject_teachers__teacher=user)).distinct()
    return classes.none()


# --- the rules of a class's subjects -----------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    subject_id: int
    name: str
    mode: str  # SubjectRule.Mode
    periods: int
    continuous: int  # continuous assessments a semester
    source: str  # "school", "department" or "default"

    @property
    def scored(self) -> bool:
        return self.mode == SubjectRule.Mode.SCORED


def subject_rules(school_class: SchoolClass) -> dict[int, Rule]:
    """The class's subjects (those taught in it, those its school's or department's rules name
    for its grade) with how each is assessed: the school's rule, else the department's, else
    by score with ``RECORDS_DEFAULT_PERIODS`` periods."""
    from django.conf import settings

    school = school_class.school
    owners = {school.pk: "school"}
    if school.parent_id:
        owners[school.parent_id] = "department"
    found: dict[int, SubjectRule] = {}
    rules = SubjectRule.objects.filter(
        organisation_id__in=owners, school_year=school_class.school_year, grade=school_class.grade
    ).select_related("subject")
    for rule in sorted(rules, key=lambda r: owners[r.organisation_id] == "school"):
        found[rule.subject_id] = rule  # the school's last: it wins
    taught = set(ClassTeacher.objects.filter(school_class=school_class).values_list("subject_id", flat=True))
    names = dict(Subject.objects.filter(pk__in=taught | set(found)).values_list("pk", "name"))
    result = {}
    for subject_id in sorted(taught | set(found), key=lambda pk: names.get(pk, "")):
        rule = found.get(subject_id)
        if rule is None:
            periods, mode, source = settings.RECORDS_DEFAULT_PERIODS, SubjectRule.Mode.SCORED, "default"
        else:
            periods, mode, source = rule.periods, rule.mode, owners[rule.organisation_id]
        result[subject_id] = Rule(
            subject_id, names.get(subject_id, ""), mode, periods, policy.continuous_required(periods), source
        )
    return result


# --- a class's records -------------------------------------------------------------------------


@dataclass
class Cell:
    """One entry as the gradebook shows it."""

    id: int
    value: str  # "8.5" or "Đạt"
    source: str
    counted: bool  # False: an attempt's result awaiting publication
    note: str


@dataclass
class SubjectTerm:
    """A student's subject in one semester: its entries and what they come to."""

    continuous: list[Cell] = field(default_factory=list)
    midterm: list[Cell] = field(default_factory=list)
    endterm: list[Cell] = field(default_factory=list)
    average: Decimal | None = None  # a scored subject, once complete
    result: str | None = None  # a comment subject: Đạt / Chưa đạt, once known
    missing: int = 0  # assessments still needed

    def counted(self, kind: str) -> list[Cell]:
        return [cell for cell in getattr(self, kind) if cell.counted]


@dataclass
class StudentRecord:
    student: User
    subjects: dict[int, dict[str, SubjectTerm]]  # subject -> "1" / "2" -> SubjectTerm
    year: dict[int, dict[str, Any]] = field(default_factory=dict)  # subject -> {"average" | "result"}
    levels: dict[str, str | None] = field(default_factory=dict)  # "1", "2", "year" -> level
    retakes: list[int] = field(default_factory=list)  # subjects, once the year's level is Chưa đạt


def _cell(row: dict[str, Any]) -> Cell:
    value = str(row["score"]) if row["score"] is not None else row["comment_result"]
    counted = row["source"] == RecordEntry.Source.TEACHER or row["attempt__status"] == statuses.PUBLISHED
    return Cell(row["id"], value, row["source"], counted, row["note"])


def _work_out(term: SubjectTerm, rule: Rule) -> None:
    continuous, midterm, endterm = term.counted("continuous"), term.counted("midterm"), term.counted("endterm")
    term.missing = max(rule.continuous - len(continuous), 0) + (not midterm) + (not endterm)
    if rule.scored:
        if midterm and endterm and continuous and not term.missing:
            # The latest mid-term and end-of-term count: a second is a retake of the first.
            term.average = grades.semester_average(
                [Decimal(c.value) for c in continuous], Decimal(midterm[-1].value), Decimal(endterm[-1].value)
            )
    else:
        given = [c.value for c in continuous + midterm[-1:] + endterm[-1:]]
        term.result = grades.comment_subject_result(given, len(given) + term.missing)


def _level(averages: list[Decimal | None], results: list[str | None]) -> str | None:
    if any(a is None for a in averages) or any(r is None for r in results):
        return None  # not every subject is complete
    if not averages and not results:
        return None
    return grades.result_level(averages, results, policy.level_policy())  # type: ignore[arg-type]


def class_students(school_class: SchoolClass) -> list[User]:
    members = (
        ClassMembership.objects.filter(school_class=school_class, left_at__isnull=True)
        .select_related("student")
        .order_by("student__last_name", "student__first_name", "student__username")
    )
    return [m.student for m in members]


def class_record(school_class: SchoolClass, *, students: list[User] | None = None) -> dict[str, Any]:
    """Every student's record of the class's school year: per subject and semester the entries,
    the semester averages (or comment results), the year's averages, the levels of each
    semester and the year, the retakes. Three queries and the rules' few, whatever the size."""
    rules = subject_rules(school_class)
    students = class_students(school_class) if students is None else students
    by_student = {
        s.pk: StudentRecord(s, {pk: {"1": SubjectTerm(), "2": SubjectTerm()} for pk in rules}) for s in students
    }
    entries = (
        RecordEntry.objects.filter(
            student_id__in=list(by_student), school_year=school_class.school_year, subject_id__in=list(rules)
        )
        .order_by("created_at", "id")
        .values(
            "id",
            "student_id",
            "subject_id",
            "term",
            "entry_type",
            "score",
            "comment_result",
            "source",
            "note",
            "attempt__status",
        )
    )
    kinds = {
        RecordEntryType.CONTINUOUS: "continuous",
        RecordEntryType.MIDTERM: "midterm",
        RecordEntryType.ENDTERM: "endterm",
    }
    for row in entries.iterator(chunk_size=5000):
        term = by_student[row["student_id"]].subjects[row["subject_id"]][str(row["term"])]
        getattr(term, kinds[row["entry_type"]]).append(_cell(row))
    level_policy = policy.level_policy()
    for record in by_student.values():
        for subject_id, rule in rules.items():
            terms = record.subjects[subject_id]
            for term in terms.values():
                _work_out(term, rule)
            first, second = terms["1"], terms["2"]
            if rule.scored:
                average = (
                    grades.year_average(first.average, second.average)
                    if first.average is not None and second.average is not None
                    else None
                )
                record.year[subject_id] = {"average": average}
            else:
                record.year[subject_id] = {"result": second.result}  # the year's is semester II's
        scored = [pk for pk, rule in rules.items() if rule.scored]
        comment = [pk for pk, rule in rules.items() if not rule.scored]
        for period in ("1", "2"):
            record.levels[period] = _level(
                [record.subjects[pk][period].average for pk in scored],
                [record.subjects[pk][period].result for pk in comment],
            )
        record.levels[YEAR] = _level(
            [record.year[pk]["average"] for pk in scored], [record.year[pk]["result"] for pk in comment]
        )
        if record.levels[YEAR] == grades.FAILED:
            names = {str(pk): pk for pk in rules}
            retake = grades.retake_subjects(
                {str(pk): record.year[pk]["average"] for pk in scored},
                {str(pk): record.year[pk]["result"] for pk in comment},
                level_policy,
            )
            record.retakes = [names[name] for name in retake]
    closings = {
        c.term: c for c in SemesterClosing.objects.filter(school_class=school_class).select_related("closed_by")
    }
    return {"school_class": school_class, "rules": rules, "students": list(by_student.values()), "closings": closings}


def comments_of(school_class: SchoolClass, students: list[User], term: int) -> dict[tuple[int, int | None], str]:
    rows = TeacherComment.objects.filter(
        student__in=students, school_year=school_class.school_year, term=term
    ).values_list("student_id", "subject_id", "text")
    return {(student, subject): text for student, subject, text in rows}


def missing_of(record: dict[str, Any], term: str) -> list[dict[str, Any]]:
    """What keeps a semester from closing: each student's subjects with assessments missing."""
    found = []
    for student_record in record["students"]:
        for subject_id, rule in record["rules"].items():
            missing = student_record.subjects[subject_id][term].missing
            if missing:
                found.append({"student": student_record.student, "subject": rule.name, "missing": missing})
    return found


def closed(school_class_id: int, term: int) -> bool:
    return SemesterClosing.objects.filter(school_class_id=school_class_id, term=term).exists()


# --- as the API and the pages show them ----------------------------------------------------------


def person_name(user: User) -> str:
    """A person as the records write them: the full name (family name first), else the username."""
    return user.get_full_name() or user.username


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def rule_data(rule: Rule) -> dict[str, Any]:
    return {
        "subject": rule.subject_id,
        "name": rule.name,
        "mode": rule.mode,
        "periods": rule.periods,
        "continuous": rule.continuous,
        "source": rule.source,
    }


def _cell_data(cell: Cell) -> dict[str, Any]:
    return {"id": cell.id, "value": cell.value, "source": cell.source, "counted": cell.counted, "note": cell.note}


def _term_data(term: SubjectTerm) -> dict[str, Any]:
    return {
        "continuous": [_cell_data(c) for c in term.continuous],
        "midterm": [_cell_data(c) for c in term.midterm],
        "endterm": [_cell_data(c) for c in term.endterm],
        "average": _decimal(term.average),
        "result": term.result,
        "missing": term.missing,
    }


def class_info(school_class: SchoolClass) -> dict[str, Any]:
    return {
        "id": school_class.pk,
        "name": school_class.name,
        "grade": school_class.grade,
        "school_year": school_class.school_year,
        "school": school_class.school.name,
        "homeroom_teacher": person_name(school_class.homeroom_teacher) if school_class.homeroom_teacher else None,
    }


def class_data(record: dict[str, Any]) -> dict[str, Any]:
    """A class's records: each student's subjects by semester and year, levels, retakes."""
    school_class = record["school_class"]
    closings = record["closings"]
    students = []
    for student_record in record["students"]:
        student = student_record.student
        subjects = []
        for subject_id in record["rules"]:
            terms = student_record.subjects[subject_id]
            year = student_record.year[subject_id]
            subjects.append(
                {
                    "subject": subject_id,
                    "terms": {
                        period: {
                            "average": _decimal(terms[period].average),
                            "result": terms[period].result,
                            "missing": terms[period].missing,
                        }
                        for period in ("1", "2")
                    },
                    "year": {"average": _decimal(year.get("average")), "result": year.get("result")},
                }
            )
        students.append(
            {
                "id": student.pk,
                "name": person_name(student),
                "learner_id": student.learner_id,
                "subjects": subjects,
                "levels": dict(student_record.levels),
                "retakes": student_record.retakes,
            }
        )
    return {
        "class": class_info(school_class),
        "subjects": [rule_data(rule) for rule in record["rules"].values()],
        "closed": {
            str(term): {"by": person_name(closing.closed_by), "at": closing.closed_at.isoformat()}
            for term, closing in closings.items()
        },
        "students": students,
    }


def gradebook_data(record: dict[str, Any], subject_id: int, term: int) -> dict[str, Any]:
    """One subject of a class in one semester: every student's entries, average or result, comment."""
    school_class = record["school_class"]
    students = [r.student for r in record["students"]]
    comments = comments_of(school_class, students, term)
    rows = []
    for student_record in record["students"]:
        student = student_record.student
        rows.append(
            {
                "id": student.pk,
                "name": person_name(student),
                "learner_id": student.learner_id,
                **_term_data(student_record.subjects[subject_id][str(term)]),
                "comment": comments.get((student.pk, subject_id), ""),
            }
        )
    return {
        "class": {"id": school_class.pk, "name": school_class.name, "school_year": school_class.school_year},
        "subject": rule_data(record["rules"][subject_id]),
        "term": term,
        "closed": term in record["closings"],
        "students": rows,
    }


def classes_data(user: User, classes: QuerySet[SchoolClass]) -> list[dict[str, Any]]:
    classes = list(classes.order_by("-school_year", "grade", "name"))
    taught: dict[int, list[int]] = defaultdict(list)
    for class_id, subject_id in ClassTeacher.objects.filter(school_class__in=classes, teacher=user).values_list(
        "school_class_id", "subject_id"
    ):
        taught[class_id].append(subject_id)
    return [
        {
            "id": c.pk,
            "name": c.name,
            "grade": c.grade,
            "school_year": c.school_year,
            "school": c.school.name,
            "homeroom": c.homeroom_teacher_id == user.pk,
            "subjects": sorted(taught.get(c.pk, [])),
        }
        for c in classes
    ]


def events_data(school_class: SchoolClass, *, limit: int = 200) -> list[dict[str, Any]]:
    events = (
        RecordEvent.objects.filter(school_class=school_class)
        .select_related("student", "subject", "by")
        .order_by("-at", "-id")[:limit]
    )
    return [
        {
            "kind": event.kind,
            "student": person_name(event.student) if event.student else None,
            "subject": event.subject.name if event.subject else None,
            "term": event.term,
            "entry_type": event.entry_type,
            "before": event.before,
            "after": event.after,
            "reason": event.reason,
            "by": person_name(event.by),
            "at": event.at.isoformat(),
        }
        for event in events
    ]


def rules_of(user: User, organisation_id: int, school_year: str) -> QuerySet[SubjectRule]:
    """An organisation's rules, for whoever acts for it (none otherwise)."""
    if not scope_of(user).oversees(organisation_id):
        return SubjectRule.objects.none()
    return SubjectRule.objects.filter(organisation_id=organisation_id, school_year=school_year).order_by(
        "grade", "subject__name"
    )


def issue_data(issue: Any) -> dict[str, Any]:
    return {
        "serial": issue.serial,
        "years": issue.years,
        "issued_at": issue.issued_at.isoformat(),
        "issued_by": person_name(issue.issued_by),
        "sha256": issue.sha256,
        "fingerprint": issue.key.fingerprint,
        "download": f"/api/records/transcripts/{issue.serial}/pdf/",
    }


def transcript_data(user: User, student: User) -> dict[str, Any]:
    """A student's transcript as the page and the API show it, with the copies issued."""
    from . import transcripts
    from .models import TranscriptIssue

    issues = TranscriptIssue.objects.filter(student=student).select_related("issued_by", "key").defer("pdf")
    return {
        "student": student.pk,
        "name": person_name(student),
        "learner_id": student.learner_id,
        "years": transcripts.years_of(student),
        "issues": [issue_data(issue) for issue in issues],
        "may_issue": transcripts.may_issue(user, student),
    }
