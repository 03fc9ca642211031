"""Benchmark: the semester records of a school of 2,000 students x 12 subjects (Circular 22).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/records_semester.py [--students 2000] [--class-size 40] [--keep]

Uses a database of its own, ``assess_bench_records`` on the PostgreSQL server of DATABASE_URL
(made afresh, migrated, dropped afterwards unless ``--keep``).

1. Setup (not timed): a school, 50 classes of 40 students (``--students`` / ``--class-size``),
   12 subjects (10 assessed by score with 70 periods a year: 3 continuous assessments a
   semester; 2 by comment with 35 periods: 2), a teacher a subject in every class, a homeroom
   teacher a class, and every assessment of both semesters (232,000 record entries), written
   with PostgreSQL's COPY.
2. Records: every class's record worked out (``records.selectors.class_record``: semester and
   year averages in exact decimals, comment results, levels, retakes), timed for the school.
3. Closing: semester I closed in every class (``records.services.semester_close``: checks every
   assessment is there, works the records out and keeps their summary), timed for the school.

Prints the figures and the machine. The issue's target: the semester records of a school of
2,000 students x 12 subjects in under 5 s.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scoring_pipeline import copy_rows, drop_database, machine, use_database  # noqa: E402

BENCH_DATABASE = "assess_bench_records"
TARGET = 5.0
YEAR = "2026-2027"
SCORED, COMMENT = 10, 2


def populate(n_students: int, class_size: int):
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import ClassMembership, ClassTeacher, Organisation, Role, SchoolClass, User
    from assess.models import RecordEntry
    from itembank.models import Subject
    from records.models import SubjectRule

    rng = random.Random(22)
    now = timezone.now()
    department = Organisation.objects.create(name="Sở GD&ĐT", code="so", kind=Organisation.Kind.DEPARTMENT)
    school = Organisation.objects.create(
        name="Trường THPT", code="thpt", kind=Organisation.Kind.SCHOOL, parent=department
    )
    password = make_password("bench-password")
    admin = User.objects.create(username="quantri", role=Role.SCHOOL_ADMIN, organisation=school, password=password)
    subjects = [Subject.objects.create(code=f"mon-{k}", name=f"Môn {k:02d}") for k in range(SCORED + COMMENT)]
    for k, subject in enumerate(subjects):
        comment = k >= SCORED
        SubjectRule.objects.create(
            organisation=school,
            school_year=YEAR,
            grade=10,
            subject=subject,
            mode="comment" if comment else "scored",
            periods=35 if comment else 70,
            updated_by=admin,
        )
    teachers = User.objects.bulk_create(
        User(username=f"gv{k}", role=Role.TEACHER, organisation=school, password=password) for k in range(len(subjects))
    )
    n_classes = (n_students + class_size - 1) // class_size
    homerooms = User.objects.bulk_create(
        User(username=f"gvcn{k}", role=Role.TEACHER, organisation=school, password=password) for k in range(n_classes)
    )
    classes = SchoolClass.objects.bulk_create(
        SchoolClass(school=school, school_year=YEAR, name=f"10A{k + 1}", grade=10, homeroom_teacher=homerooms[k])
        for k in range(n_classes)
    )
    ClassTeacher.objects.bulk_create(
        ClassTeacher(school_class=c, teacher=teachers[k], subject=subject)
        for c in classes
        for k, subject in enumerate(subjects)
    )
    students = User.objects.bulk_create(
        User(
            username=f"hs{k:05d}",
            role=Role.STUDENT,
            organisation=school,
            password=password,
            learner_id=f"HS{k:08d}",
            first_name="Học sinh",
            last_name=f"{k:05d}",
        )
        for k in range(n_students)
    )
    ClassMembership.objects.bulk_create(
        ClassMembership(school_class=classes[k // class_size], student=s, school_year=YEAR, joined_at=now)
        for k, s in enumerate(students)
    )

    def lines():
        stamp = now.isoformat()
        for student in students:
            ability = rng.gauss(6.8, 1.3)
            for k, subject in enumerate(subjects):
                comment = k >= SCORED
                for term in (1, 2):
                    kinds = ["continuous"] * (2 if comment else 3) + ["midterm", "endterm"]
                    for kind in kinds:
                        if comment:
                            score, result = "\\N", ("Đạt" if rng.random() < 0.97 else "Chưa đạt")
                        else:
                            value = min(10.0, max(0.0, rng.gauss(ability, 1.2)))
                            score, result = str(Decimal(str(round(value, 1)))), ""
                        yield (
                            f"{student.pk}\t{subject.pk}\t{YEAR}\t{term}\t{kind}\t{score}\t{result}\t{school.pk}\t"
                            f"teacher\t\t{stamp}\n"
                        )

    copy_rows(
        RecordEntry,
        [
            "student_id",
            "subject_id",
            "school_year",
            "term",
            "entry_type",
            "score",
            "comment_result",
            "organisation_id",
            "source",
            "note",
            "created_at",
        ],
        lines(),
    )
    return classes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--class-size", type=int, default=40)
    parser.add_argument("--keep", action="store_true", help=f"keep the database {BENCH_DATABASE} afterwards")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        parser.error("needs DATABASE_URL (a PostgreSQL server)")
    bench_url = use_database(url, reuse=False, name=BENCH_DATABASE)
    from django.db import connection

    from accounts.models import SchoolClass
    from assess.models import RecordEntry
    from records import selectors, services
    from records.models import SemesterClosing

    ok = True
    try:
        started = time.perf_counter()
        classes = populate(args.students, args.class_size)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("SHOW server_version")
            pg_version = cursor.fetchone()[0]
        n_entries = RecordEntry.objects.count()
        print(f"machine:  {machine()}, PostgreSQL {pg_version}")
        print(
            f"setup:    {args.students:,} students in {len(classes)} classes x {SCORED + COMMENT} subjects, "
            f"{n_entries:,} record entries in {time.perf_counter() - started:.1f} s (not timed)"
        )
        classes = list(SchoolClass.objects.select_related("school", "homeroom_teacher").order_by("pk"))

        started = time.perf_counter()
        levels: dict[str | None, int] = {}
        retakes = 0
        for school_class in classes:
            record = selectors.class_record(school_class)
            for student in record["students"]:
                levels[student.levels["year"]] = levels.get(student.levels["year"], 0) + 1
                retakes += bool(student.retakes)
        records_seconds = time.perf_counter() - started
        complete = None not in levels and sum(levels.values()) == args.students
        ok = ok and complete and records_seconds < TARGET
        print(
            f"records:  {records_seconds:.2f} s for every class's semester and year averages, levels and retakes "
            f"({args.students / records_seconds:,.0f} students/s); year levels {dict(sorted((k or '-', v) for k, v in levels.items()))}, "
            f"{retakes} students with retakes -> {'PASS' if complete and records_seconds < TARGET else 'FAIL'} "
            f"(target < {TARGET:.0f} s)"
        )

        started = time.perf_counter()
        for school_class in classes:
            services.semester_close(by=school_class.homeroom_teacher, class_id=school_class.pk, term=1)
        closing_seconds = time.perf_counter() - started
        closed = SemesterClosing.objects.filter(term=1).count()
        right = closed == len(classes)
        ok = ok and right and closing_seconds < TARGET
        print(
            f"closing:  {closing_seconds:.2f} s to close semester I in {closed} classes (every assessment checked, "
            f"the summaries kept) -> {'PASS' if right and closing_seconds < TARGET else 'FAIL'} (target < {TARGET:.0f} s)"
        )
    finally:
        if not args.keep:
            drop_database(bench_url, BENCH_DATABASE)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
