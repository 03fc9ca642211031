"""Benchmark: enrol a grade of 10,000 students into one exam sitting; a student's page with a long past.

    .venv/bin/python bench/sittings.py [--students 10000] [--past 200] [--requests 200]

1. Fills a fresh database with a department of 10 schools, ``--students`` students in classes
   of 40 (grade 10), an exam board, and a periodic assessment with a master form and 24 test
   codes; then, as the board would through ``POST /api/sittings/`` with ``"grade": 10``,
   schedules a sitting and enrols the whole grade (``assess.sittings.sitting_schedule``:
   the classes, the roster order, the codes dealt in turn, one bulk write).
2. Gives one student ``--past`` sittings already taken, scored and released, then asks for
   their page ``--requests`` times through the whole Django stack (session, middleware,
   view): the dashboard API (``GET /api/me/dashboard/``) and the page (``GET /exam/``).

SQLite in a temporary folder, or the PostgreSQL server of ``DATABASE_URL`` (a database
``bench_sittings`` is made and dropped). The issue's targets: the enrolment in under 10 s,
the student's page in p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_xlsx import fresh_database, machine  # noqa: E402

ENROL_TARGET, PAGE_TARGET_MS = 10.0, 100.0
YEAR = "2026-2027"


def populate(students: int):
    from django.utils import timezone

    from accounts.models import ClassMembership, Organisation, Role, SchoolClass, User
    from assess import authoring, test_codes
    from itembank.content import validate_content
    from itembank.models import Item, ItemVersion, Subject

    department = Organisation.objects.create(name="Sở", code="so", kind=Organisation.Kind.DEPARTMENT)
    schools = [
        Organisation.objects.create(name=f"Trường {n}", code=f"t{n}", kind=Organisation.Kind.SCHOOL, parent=department)
        for n in range(10)
    ]
    board = User.objects.create(username="hoidong", role=Role.BOARD, organisation=department)
    classes = SchoolClass.objects.bulk_create(
        SchoolClass(school=schools[c % 10], school_year=YEAR, name=f"10A{c // 10 + 1}", grade=10)
        for c in range(-(-students // 40))
    )
    people = User.objects.bulk_create(
        (
            User(
                username=f"hs{n:06d}",
                role=Role.STUDENT,
                organisation_id=classes[n // 40].school_id,
                learner_id=f"{79_000_000_000 + n:012d}",
                first_name=["An", "Bình", "Chi", "Dũng"][n % 4],
                last_name="Nguyễn",
            )
            for n in range(students)
        ),
        batch_size=2000,
    )
    now = timezone.now()
    ClassMembership.objects.bulk_create(
        (
            ClassMembership(school_class=classes[n // 40], student=person, school_year=YEAR, joined_at=now)
            for n, person in enumerate(people)
        ),
        batch_size=2000,
    )
    subject = Subject.objects.create(code="toan", name="Toán")
    items = []
    for n in range(4):
        content = validate_content(
            "single_choice",
            {"stem": f"Câu {n}", "options": [{"id": x, "text": x} for x in "ABCD"], "key": "A"},
            Decimal(1),
        )
        item = Item.objects.create(
            owner=department, author=board, subject=subject, level="biet", visibility="department"
        )
        ItemVersion.objects.create(item=item, number=1, status="published", content=content, created_by=board)
        items.append(item.pk)
    assessment = authoring.assessment_create(
        by=board,
        spec=authoring.AssessmentSpec(
            title="Thi thử",
            kind="periodic",
            subject_id=subject.pk,
            school_year=YEAR,
            term=1,
            record_entry_type="midterm",
            duration_minutes=45,
            parts=(authoring.PartSpec("Phần I", 4, Decimal("2.5"), "single_choice"),),
            organisation_id=department.pk,
        ),
    )
    form = authoring.form_build(by=board, assessment_id=assessment.pk, code="GOC", item_ids=[items])
    test_codes.codes_generate(by=board, form_id=form.pk, count=24, seed=1)
    return board, form, people[0]


def give_past(student, form, board, past: int) -> None:
    """``past`` sittings the student took, scored and released (rows written in bulk)."""
    from django.utils import timezone

    from assess import statuses
    from assess.models import Attempt, Result, Sitting

    now = timezone.now()
    sittings = Sitting.objects.bulk_create(
        Sitting(
            assessment=form.assessment,
            form=form,
            organisation_id=form.assessment.organisation_id,
            title=f"Ca {n}",
            opens_at=now - timedelta(days=n + 2),
            closes_at=now - timedelta(days=n + 1),
            released_at=now - timedelta(days=n),
            released_by=board,
            created_by=board,
        )
        for n in range(past)
    )
    attempts = Attempt.objects.bulk_create(
        Attempt(
            sitting=sitting,
            student=student,
            form=form,
            status=statuses.PUBLISHED,
            started_at=sitting.opens_at,
            submitted_at=sitting.opens_at + timedelta(minutes=40),
        )
        for sitting in sittings
    )
    Result.objects.bulk_create(
        Result(
            attempt=attempt,
            raw_score=Decimal("7.50"),
            max_score=Decimal("10.00"),
            number_correct=3,
            item_count=4,
            score_10=Decimal("7.5"),
        )
        for attempt in attempts
    )


def timed_requests(client, path: str, count: int) -> list[float]:
    durations = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path)
        durations.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return durations


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--past", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    print(f"machine:    {machine()}")

    with fresh_database("bench_sittings"):
        from django.db import connection
        from django.test import Client
        from django.utils import timezone

        from assess import sittings
        from assess.models import Attempt

        started = time.perf_counter()
        board, form, student = populate(args.students)
        print(
            f"setup:      {args.students:,} students in classes of 40 in {connection.vendor} ({time.perf_counter() - started:.1f} s)"
        )

        now = timezone.now()
        spec = sittings.SittingSpec(
            title="Ca thi", opens_at=now + timedelta(hours=1), closes_at=now + timedelta(hours=3)
        )
        started = time.perf_counter()
        sitting, enrolment = sittings.sitting_schedule(
            by=board, form_id=form.pk, spec=spec, candidates=sittings.Candidates(grade=10)
        )
        enrol_seconds = time.perf_counter() - started
        codes = Attempt.objects.filter(sitting=sitting).values("form_id").distinct().count()
        print(f"enrol:      {enrolment.added:,} candidates in {enrol_seconds:.2f} s ({codes} test codes dealt)")

        give_past(student, form, board, args.past)
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(student)
        client.get("/api/me/dashboard/")  # the session's first request writes it
        figures = {}
        for label, path in (("dashboard API", "/api/me/dashboard/"), ("student page", "/exam/")):
            durations = sorted(timed_requests(client, path, args.requests))
            p50 = statistics.median(durations)
            p95 = durations[int(0.95 * len(durations)) - 1]
            figures[label] = p95
            print(
                f"{label + ':':<16}{args.past} past sittings, {args.requests} requests: p50 {p50:.1f} ms, p95 {p95:.1f} ms"
            )
    print(f"peak RSS:   {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (whole process)")
    ok = enrolment.added == args.students and enrol_seconds < ENROL_TARGET and max(figures.values()) < PAGE_TARGET_MS
    verdict = "PASS" if ok else "FAIL"
    print(f"target:     enrol < {ENROL_TARGET:.0f} s, the student's page p95 < {PAGE_TARGET_MS:.0f} ms -> {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
