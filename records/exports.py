"""Reports and exports of the records: a class's record as XLSX or CSV, the start- and
end-of-year statistics of a school or a department, and the export for the education database.

- :func:`class_rows`: a class's record in one period (semester I, II or the year) as a table:
  one row a student, a column a subject, the level and the retakes. Written by
  :func:`xlsx_bytes` or :func:`csv_bytes` (UTF-8 with a byte order mark, so that a spreadsheet
  opens Vietnamese as it is; both from ``printing.tables``).
- :func:`statistics`: for each school of an organisation (a school, or a department and its
  schools) and for the organisation as a whole: at the start of the year, the classes and the
  students by grade and gender; at the end of each period, the students by level (Tốt, Khá,
  Đạt, Chưa đạt, not complete), the mean of the subjects' averages, the comment subjects'
  Đạt counts, and the students with retakes. Worked out from the records (``class_record``),
  a class at a time.
- :func:`education_export`: a ZIP of CSV files with a documented schema
  (``docs/records-export.md``, ``SCHEMA``): the schools, the classes, the students, every
  subject's results by period, every student's levels and retakes.

Statistics and the education export of a department take minutes: they run as jobs
(``records.jobs``).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, SchoolClass, User
from accounts.permissions import organisation_subtree
from itembank.models import Subject
from printing.tables import csv_bytes
from scoring import grades

from . import policy, selectors

Report = Callable[[int, int, str], None]
LEVEL_KEYS = (grades.EXCELLENT, grades.GOOD, grades.PASSED, grades.FAILED, None)
SCHEMA_VERSION = "assess-records/1"


# --- tables -----------------------------------------------------------------------------------------


def _cell(period_value: dict[str, Any]) -> str:
    return period_value.get("average") or period_value.get("result") or ""


def class_rows(data: dict[str, Any], period: str) -> tuple[list[str], list[list[Any]]]:
    """A class's record in one period (``selectors.class_data``): header and rows."""
    header = [_("Learner ID"), _("Student")] + [s["name"] for s in data["subjects"]] + [_("Result level")]
    if period == selectors.YEAR:
        header.append(_("Retakes"))
    names = {s["subject"]: s["name"] for s in data["subjects"]}
    rows = []
    for student in data["students"]:
        values = [
            _cell(subject["year"] if period == selectors.YEAR else subject["terms"][period])
            for subject in student["subjects"]
        ]
        row = [student["learner_id"] or "", student["name"], *values, student["levels"][period] or ""]
        if period == selectors.YEAR:
            row.append(", ".join(names[pk] for pk in student["retakes"]))
        rows.append(row)
    return header, rows


# --- statistics ---------------------------------------------------------------------------------------


def _schools(organisation: Organisation) -> list[Organisation]:
    if organisation.kind == Organisation.Kind.SCHOOL:
        return [organisation]
    return list(
        Organisation.objects.filter(
            pk__in=organisation_subtree(organisation.pk), kind=Organisation.Kind.SCHOOL
        ).order_by("name")
    )


def _mean(values: list[Decimal]) -> str | None:
    if not values:
        return None
    return str((sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


class _Tally:
    """One school's (or the organisation's) figures, added class by class."""

    def __init__(self) -> None:
        self.classes = 0
        self.students = 0
        self.by_grade: Counter[int] = Counter()
        self.by_gender: Counter[str] = Counter()
        self.levels: dict[str, Counter[str]] = {p: Counter() for p in selectors.PERIODS}
        self.averages: dict[str, dict[int, list[Decimal]]] = {p: defaultdict(list) for p in selectors.PERIODS}
        self.passed: dict[str, dict[int, Counter[str]]] = {p: defaultdict(Counter) for p in selectors.PERIODS}
        self.retakes = 0

    def count(self, school_class: SchoolClass, students: list[User]) -> None:
        """The start of the year's figures of a class: its students by grade and gender."""
        self.classes += 1
        for student in students:
            self.students += 1
            self.by_grade[school_class.grade] += 1
            self.by_gender[student.gender or "unknown"] += 1

    def add(self, record: dict[str, Any]) -> None:
        school_class = record["school_class"]
        self.count(school_class, [student_record.student for student_record in record["students"]])
        for student_record in record["students"]:
            self.retakes += bool(student_record.retakes)
            for period in selectors.PERIODS:
                self.levels[period][student_record.levels[period] or "incomplete"] += 1
            for subject_id, rule in record["rules"].items():
                terms = student_record.subjects[subject_id]
                year = student_record.year[subject_id]
                for period in selectors.PERIODS:
                    if rule.scored:
                        value = year.get("average") if period == selectors.YEAR else terms[period].average
                        if value is not None:
                            self.averages[period][subject_id].append(value)
                    else:
                        result = year.get("result") if period == selectors.YEAR else terms[period].result
                        if result is not None:
                            self.passed[period][subject_id][result] += 1

    def merge(self, other: _Tally) -> None:
        self.classes += other.classes
        self.students += other.students
        self.by_grade.update(other.by_grade)
        self.by_gender.update(other.by_gender)
        self.retakes += other.retakes
        for period in selectors.PERIODS:
            self.levels[period].update(other.levels[period])
            for subject_id, values in other.averages[period].items():
                self.averages[period][subject_id].extend(values)
            for subject_id, counts in other.passed[period].items():
                self.passed[period][subject_id].update(counts)

    def data(self, names: dict[int, str]) -> dict[str, Any]:
        periods = {}
        for period in selectors.PERIODS:
            periods[period] = {
                "levels": {key or "incomplete": self.levels[period].get(key or "incomplete", 0) for key in LEVEL_KEYS},
                "subjects": [
                    {"subject": pk, "name": names.get(pk, ""), "students": len(values), "mean": _mean(values)}
                    for pk, values in sorted(self.averages[period].items(), key=lambda kv: names.get(kv[0], ""))
                ],
                "comment_subjects": [
                    {
                        "subject": pk,
                        "name": names.get(pk, ""),
                        "passed": counts.get(grades.PASSED, 0),
                        "failed": counts.get(grades.FAILED, 0),
                    }
                    for pk, counts in sorted(self.passed[period].items(), key=lambda kv: names.get(kv[0], ""))
                ],
            }
        return {
            "classes": self.classes,
            "students": self.students,
            "by_grade": {str(grade): n for grade, n in sorted(self.by_grade.items())},
            "by_gender": dict(sorted(self.by_gender.items())),
            "retakes": self.retakes,
            "periods": periods,
        }


def statistics(organisation: Organisation, school_year: str, report: Report | None = None) -> dict[str, Any]:
    """The start- and end-of-year statistics of an organisation's schools, and of them all."""
    report = report or (lambda done, total, message="": None)
    schools = _schools(organisation)
    classes = list(
        SchoolClass.objects.filter(school__in=schools, school_year=school_year)
        .select_related("school", "homeroom_teacher")
        .order_by("school__name", "grade", "name")
    )
    names = dict(Subject.objects.values_list("pk", "name"))
    tallies = {school.pk: _Tally() for school in schools}
    for done, school_class in enumerate(classes):
        report(done, len(classes), school_class.name)
        if policy.is_primary(school_class.grade):  # Circular 27: no averages nor levels of Circular 22
            tallies[school_class.school_id].count(school_class, selectors.class_students(school_class))
        else:
            tallies[school_class.school_id].add(selectors.class_record(school_class))
    total = _Tally()
    for tally in tallies.values():
        total.merge(tally)
    return {
        "organisation": {"id": organisation.pk, "name": organisation.name, "kind": organisation.kind},
        "school_year": school_year,
        "made_at": timezone.now().isoformat(),
        "total": total.data(names),
        "schools": [{"id": school.pk, "name": school.name, **tallies[school.pk].data(names)} for school in schools],
    }


def statistics_sheets(figures: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The statistics as workbook sheets: the start of the year, then each period's levels and
    subjects, a row a school and a last row for them all."""
    rows_of = [*figures["schools"], {"name": _("All"), **figures["total"]}]
    grades_seen = sorted({int(g) for row in rows_of for g in row["by_grade"]})
    start = (
        _("Start of year"),
        [_("School"), _("Classes"), _("Students"), _("Female"), _("Male")]
        + [_("Grade %(n)s") % {"n": g} for g in grades_seen],
        [
            [
                row["name"],
                row["classes"],
                row["students"],
                row["by_gender"].get("female", 0),
                row["by_gender"].get("male", 0),
            ]
            + [row["by_grade"].get(str(g), 0) for g in grades_seen]
            for row in rows_of
        ],
    )
    sheets = [start]
    labels = {"1": _("Semester I"), "2": _("Semester II"), selectors.YEAR: _("Whole year")}
    for period, label in labels.items():
        subjects = sorted(
            {(s["subject"], s["name"]) for row in rows_of for s in row["periods"][period]["subjects"]},
            key=lambda x: x[1],
        )
        sheets.append(
            (
                label,
                [_("School"), _("Students"), "Tốt", "Khá", "Đạt", "Chưa đạt", _("Not complete")]
                + ([_("Retakes")] if period == selectors.YEAR else [])
                + [_("Mean: %(subject)s") % {"subject": name} for _pk, name in subjects],
                [
                    [row["name"], row["students"]]
                    + [row["periods"][period]["levels"][key or "incomplete"] for key in LEVEL_KEYS]
                    + ([row["retakes"]] if period == selectors.YEAR else [])
                    + [
                        next((s["mean"] for s in row["periods"][period]["subjects"] if s["subject"] == pk), "") or ""
                        for pk, _name in subjects
                    ]
                    for row in rows_of
                ],
            )
        )
    return sheets


# --- the education database ------------------------------------------------------------------------

SCHEMA: dict[str, Any] = {
    "version": SCHEMA_VERSION,
    "files": {
        "schools.csv": ["school_code", "school_name", "department_code"],
        "classes.csv": ["school_code", "school_year", "class_name", "grade", "homeroom_teacher"],
        "students.csv": [
            "learner_id",
            "family_name",
            "given_name",
            "date_of_birth",
            "gender",
            "citizen_id",
            "school_code",
            "school_year",
            "class_name",
            "grade",
        ],
        "subject_results.csv": [
            "learner_id",
            "school_year",
            "subject_code",
            "subject_name",
            "assessed",
            "period",
            "average",
            "result",
        ],
        "levels.csv": ["learner_id", "school_year", "period", "level", "retakes"],
    },
}


def _student_row(student: User, school_class: SchoolClass) -> list[Any]:
    return [
        student.learner_id or "",
        student.last_name,
        student.first_name,
        student.date_of_birth.isoformat() if student.date_of_birth else "",
        student.gender,
        student.citizen_id or "",
        school_class.school.code,
        school_class.school_year,
        school_class.name,
        school_class.grade,
    ]


def education_export(organisation: Organisation, school_year: str, report: Report | None = None) -> bytes:
    """A ZIP of CSV files (``SCHEMA``) of an organisation's schools for a school year."""
    report = report or (lambda done, total, message="": None)
    schools = _schools(organisation)
    classes = list(
        SchoolClass.objects.filter(school__in=schools, school_year=school_year)
        .select_related("school__parent", "homeroom_teacher")
        .order_by("school__name", "grade", "name")
    )
    codes = dict(Subject.objects.values_list("pk", "code"))
    tables: dict[str, list[list[Any]]] = {name: [] for name in SCHEMA["files"]}
    for school in schools:
        tables["schools.csv"].append([school.code, school.name, school.parent.code if school.parent_id else ""])
    for done, school_class in enumerate(classes):
        report(done, len(classes), school_class.name)
        school_code = school_class.school.code
        homeroom = school_class.homeroom_teacher
        tables["classes.csv"].append(
            [
                school_code,
                school_year,
                school_class.name,
                school_class.grade,
                homeroom.get_full_name() if homeroom else "",
            ]
        )
        primary_class = policy.is_primary(school_class.grade)
        record = (
            {"students": [], "rules": {}} if primary_class else selectors.class_record(school_class)
        )  # a primary class: its pupils only (Circular 27 has no averages)
        pupils = selectors.class_students(school_class) if primary_class else []
        for pupil in pupils:
            tables["students.csv"].append(_student_row(pupil, school_class))
        for student_record in record["students"]:
            student: User = student_record.student
            learner = student.learner_id or ""
            tables["students.csv"].append(_student_row(student, school_class))
            for subject_id, rule in record["rules"].items():
                terms = student_record.subjects[subject_id]
                year = student_record.year[subject_id]
                for period in selectors.PERIODS:
                    source = (
                        year
                        if period == selectors.YEAR
                        else {"average": terms[period].average, "result": terms[period].result}
                    )
                    average, result = source.get("average"), source.get("result")
                    if average is None and result is None:
                        continue
                    tables["subject_results.csv"].append(
                        [
                            learner,
                            school_year,
                            codes.get(subject_id, ""),
                            rule.name,
                            rule.mode,
                            period,
                            "" if average is None else str(average),
                            result or "",
                        ]
                    )
            for period in selectors.PERIODS:
                level = student_record.levels[period]
                if level is None:
                    continue
                retakes = (
                    ";".join(codes.get(pk, "") for pk in student_record.retakes) if period == selectors.YEAR else ""
                )
                tables["levels.csv"].append([learner, school_year, period, level, retakes])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, columns in SCHEMA["files"].items():
            archive.writestr(name, csv_bytes(columns, tables[name]))
        archive.writestr(
            "schema.json",
            json.dumps(
                {
                    **SCHEMA,
                    "organisation": organisation.code,
                    "school_year": school_year,
                    "made_at": timezone.now().isoformat(),
                },
                ensure_ascii=False,
                indent=2,
            ),
        )
    return buffer.getvalue()
