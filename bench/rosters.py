"""Benchmark: a province's grade imported from one roster workbook, then the same file again.

    .venv/bin/python bench/rosters.py [--students 50000] [--classes 1200] [--schools 40]

Writes a workbook (sheets Lớp, Giáo viên, Học sinh: one homeroom teacher per class, the
students spread over the classes of ``--schools`` schools, each row with its school's code),
then, as a department's administrator would through the Classes page or ``POST /api/rosters/``:

1. previews it (``accounts.services.roster_plan``: read, check every row, decide, write nothing);
2. imports it (``roster_import``: the same, then every row in one transaction);
3. imports the same file again, which must change nothing.

Into a fresh database: SQLite in a temporary folder, or the PostgreSQL server of
``DATABASE_URL`` (a database ``bench_rosters`` is made there and dropped after). The issue's
targets: the import in under 60 s, the re-import in under 30 s with 0 changes.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_xlsx import fresh_database, machine  # noqa: E402  (bench/import_xlsx.py: the machine, a database)

YEAR = "2026-2027"
IMPORT_TARGET, REIMPORT_TARGET = 60.0, 30.0
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Thu", "Đức", "Thanh", "Hoài"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Khoa", "Lan", "Mai", "Nam", "Phúc", "Quân", "Trang", "Vy"]


def workbook(students: int, classes: int, schools: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    class_sheet = book.create_sheet("Lớp")
    class_sheet.append(["Mã trường", "Lớp", "Khối"])
    teacher_sheet = book.create_sheet("Giáo viên")
    teacher_sheet.append(["Mã trường", "Mã cán bộ", "Họ và tên", "Môn dạy", "Lớp dạy", "Chủ nhiệm"])
    names = []
    for c in range(classes):
        school = f"truong-{c % schools:03d}"
        name = f"10A{c // schools + 1}"
        names.append((school, name))
        class_sheet.append([school, name, 10])
        teacher_sheet.append(
            [school, f"GV{c:06d}", f"{FAMILY[c % 12]} {MIDDLE[c % 8]} {GIVEN[c % 14]}", "Toán", name, name]
        )
    student_sheet = book.create_sheet("Học sinh")
    student_sheet.append(["Mã trường", "Mã định danh", "Họ và tên", "Ngày sinh", "Giới tính", "Lớp"])
    for s in range(students):
        school, name = names[s % classes]
        student_sheet.append(
            [
                school,
                f"{79_000_000_000 + s:012d}",
                f"{FAMILY[s % 12]} {MIDDLE[s % 8]} {GIVEN[(s // 3) % 14]}",
                f"{1 + s % 28:02d}/{1 + s % 12:02d}/2010",
                "Nam" if s % 2 else "Nữ",
                name,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=50_000)
    parser.add_argument("--classes", type=int, default=1_200)
    parser.add_argument("--schools", type=int, default=40)
    args = parser.parse_args()

    started = time.perf_counter()
    data = workbook(args.students, args.classes, args.schools)
    print(f"machine:    {machine()}")
    print(
        f"workbook:   {args.students:,} students, {args.classes:,} classes and teachers in {args.schools} schools, "
        f"{len(data) / 1e6:.1f} MB (written in {time.perf_counter() - started:.1f} s)"
    )

    with fresh_database("bench_rosters"):
        from django.db import connection

        from accounts.models import ClassMembership, Organisation, Role, User
        from accounts.services import roster_import, roster_plan
        from itembank.models import Subject

        department = Organisation.objects.create(name="Sở", code="so", kind=Organisation.Kind.DEPARTMENT)
        for n in range(args.schools):
            Organisation.objects.create(
                name=f"Trường {n}", code=f"truong-{n:03d}", kind=Organisation.Kind.SCHOOL, parent=department
            )
        admin = User.objects.create(username="quantri", role=Role.SCHOOL_ADMIN, organisation=department)
        Subject.objects.create(code="toan", name="Toán")

        def timed(work):
            started = time.perf_counter()
            result = work(by=admin, organisation_id=department.pk, school_year=YEAR, data=data, filename="tinh.xlsx")
            return result, time.perf_counter() - started

        plan, preview_seconds = timed(roster_plan)
        assert not plan.problems, [p.as_dict() for p in plan.problems[:3]]
        print(f"preview:    {preview_seconds:.1f} s (read and check every row; nothing written)")
        (plan, _record), import_seconds = timed(roster_import)
        students = User.objects.filter(role=Role.STUDENT).count()
        placed = ClassMembership.objects.filter(left_at__isnull=True).count()
        print(
            f"import:     {import_seconds:.1f} s into {connection.vendor}: {students:,} students in {placed:,} places"
        )
        (again, _record), reimport_seconds = timed(roster_import)
        counts = again.counts()
        changes = sum(v for kind in counts.values() for k, v in kind.items() if k != "unchanged")
        print(f"re-import:  {reimport_seconds:.1f} s, {changes} changes {counts}")
    print(f"peak RSS:   {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (whole process)")
    ok = students == args.students and placed == args.students and changes == 0
    verdict = "PASS" if ok and import_seconds < IMPORT_TARGET and reimport_seconds < REIMPORT_TARGET else "FAIL"
    print(
        f"target:     import < {IMPORT_TARGET:.0f} s, re-import < {REIMPORT_TARGET:.0f} s with 0 changes -> {verdict}"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
