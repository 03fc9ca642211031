"""Primary school records by Circular 27/2020, the records' second policy (grades
``RECORDS_PRIMARY_GRADES``).

A primary pupil is not averaged: each semester the subject's teacher gives every subject a level
(Hoàn thành tốt / Hoàn thành / Chưa hoàn thành) from the continuous assessment by comment, the
subjects with a periodic test (those whose rule says *by score*) take a mid-term and an
end-of-term test marked in whole numbers, and the homeroom teacher gives each quality and
competence a level (Tốt / Đạt / Cần cố gắng). The year's result (Hoàn thành xuất sắc / Hoàn
thành tốt / Hoàn thành / Chưa hoàn thành) is ``scoring.grades.primary_year_level`` of semester
II's levels and end-of-term marks, under the policy from the settings
(``records.policy.primary_policy``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import SchoolClass, User
from assess import statuses
from assess.models import RecordEntry, RecordEntryType
from scoring import grades

from . import policy, selectors
from .models import LevelEntry, SemesterClosing

# The qualities (phẩm chất) and the general and special competences (năng lực) a homeroom
# teacher assesses (Circular 27, article 7, from the 2018 general education programme).
ASPECTS: tuple[tuple[str, Any], ...] = (
    ("patriotism", _("Patriotism (yêu nước)")),
    ("kindness", _("Kindness (nhân ái)")),
    ("diligence", _("Diligence (chăm chỉ)")),
    ("honesty", _("Honesty (trung thực)")),
    ("responsibility", _("Responsibility (trách nhiệm)")),
    ("self_study", _("Autonomy and self-study (tự chủ và tự học)")),
    ("communication", _("Communication and cooperation (giao tiếp và hợp tác)")),
    ("problem_solving", _("Problem solving and creativity (giải quyết vấn đề và sáng tạo)")),
    ("language", _("Language (ngôn ngữ)")),
    ("calculation", _("Calculation (tính toán)")),
    ("science", _("Science (khoa học)")),
    ("technology", _("Technology (công nghệ)")),
    ("informatics", _("Informatics (tin học)")),
    ("aesthetics", _("Aesthetics (thẩm mỹ)")),
    ("physical", _("Physical (thể chất)")),
)
ASPECT_CODES = tuple(code for code, _label in ASPECTS)


def is_primary(school_class: SchoolClass) -> bool:
    return policy.is_primary(school_class.grade)


@dataclass
class PupilRecord:
    student: User
    # subject -> "1" / "2" -> {"level": str | None, "midterm": int | None, "endterm": int | None}
    subjects: dict[int, dict[str, dict[str, Any]]]
    aspects: dict[str, dict[str, str | None]]  # aspect -> "1" / "2" -> level
    missing: dict[str, int] = field(default_factory=dict)
    year_level: str | None = None


def _mark(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


def class_record(school_class: SchoolClass, *, students: list[User] | None = None) -> dict[str, Any]:
    """Every pupil's subject levels, test marks and quality/competence levels by semester,
    what each semester still lacks, and the year's result once semester II is complete."""
    rules = selectors.subject_rules(school_class)
    students = selectors.class_students(school_class) if students is None else students
    year = school_class.school_year
    pupils = {
        s.pk: PupilRecord(
            s,
            {pk: {t: {"level": None, "midterm": None, "endterm": None} for t in ("1", "2")} for pk in rules},
            {code: {"1": None, "2": None} for code in ASPECT_CODES},
        )
        for s in students
    }
    marks = (
        RecordEntry.objects.filter(
            student_id__in=list(pupils),
            school_year=year,
            subject_id__in=list(rules),
            entry_type__in=(RecordEntryType.MIDTERM, RecordEntryType.ENDTERM),
            score__isnull=False,
        )
        .order_by("created_at", "id")
        .values_list("student_id", "subject_id", "term", "entry_type", "score", "source", "attempt__status")
    )
    for student_id, subject_id, term, kind, score, source, status in marks:
        if source == RecordEntry.Source.TEACHER or status == statuses.PUBLISHED:
            pupils[student_id].subjects[subject_id][str(term)][kind] = _mark(score)  # the latest counts
    levels = LevelEntry.objects.filter(student_id__in=list(pupils), school_year=year).values_list(
        "student_id", "subject_id", "aspect", "term", "level"
    )
    for student_id, subject_id, aspect, term, level in levels:
        pupil = pupils[student_id]
        if subject_id in pupil.subjects:
            pupil.subjects[subject_id][str(term)]["level"] = level
        elif aspect in pupil.aspects:
            pupil.aspects[aspect][str(term)] = level
    tested = [pk for pk, rule in rules.items() if rule.scored]
    for pupil in pupils.values():
        for term in ("1", "2"):
            pupil.missing[term] = (
                sum(pupil.subjects[pk][term]["level"] is None for pk in rules)
                + sum(pupil.subjects[pk][term]["endterm"] is None for pk in tested)
                + sum(pupil.aspects[code][term] is None for code in ASPECT_CODES)
            )
        if not pupil.missing["2"] and rules:
            pupil.year_level = grades.primary_year_level(
                [pupil.subjects[pk]["2"]["level"] for pk in rules],
                [pupil.aspects[code]["2"] for code in ASPECT_CODES],
                [pupil.subjects[pk]["2"]["endterm"] for pk in tested],
                policy.primary_policy(),
            )
    closings = {
        c.term: c for c in SemesterClosing.objects.filter(school_class=school_class).select_related("closed_by")
    }
    return {"school_class": school_class, "rules": rules, "students": list(pupils.values()), "closings": closings}


def missing_of(record: dict[str, Any], term: str) -> list[dict[str, Any]]:
    """What keeps a primary semester from closing: each pupil with levels or marks missing."""
    return [
        {"student": pupil.student, "subject": _("levels and marks"), "missing": pupil.missing[term]}
        for pupil in record["students"]
        if pupil.missing[term]
    ]


def summary(record: dict[str, Any], term: str) -> dict[str, Any]:
    return {
        "policy": "circular-27",
        "students": {
            str(pupil.student.pk): {
                "subjects": {str(pk): pupil.subjects[pk][term] for pk in record["rules"]},
                "aspects": {code: pupil.aspects[code][term] for code in ASPECT_CODES},
                **({"year_level": pupil.year_level} if term == "2" else {}),
            }
            for pupil in record["students"]
        },
    }


def class_data(record: dict[str, Any], term: str) -> dict[str, Any]:
    """A primary class's record in one semester, as the API and the page show it."""
    return {
        "class": selectors.class_info(record["school_class"]),
        "policy": "circular-27",
        "term": int(term),
        "closed": int(term) in record["closings"],
        "subjects": [selectors.rule_data(rule) for rule in record["rules"].values()],
        "aspects": [{"code": code, "name": str(label)} for code, label in ASPECTS],
        "students": [
            {
                "id": pupil.student.pk,
                "name": selectors.person_name(pupil.student),
                "learner_id": pupil.student.learner_id,
                "subjects": [{"subject": pk, **pupil.subjects[pk][term]} for pk in record["rules"]],
                "aspects": [{"code": code, "level": pupil.aspects[code][term]} for code in ASPECT_CODES],
                "missing": pupil.missing[term],
                "year_level": pupil.year_level,
            }
            for pupil in record["students"]
        ],
    }
