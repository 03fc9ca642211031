"""Benchmark: import of a large Excel workbook in the bank's template.

    .venv/bin/python bench/import_xlsx.py [--items 10000]

Generates a workbook of ``--items`` items (the six supported types in turn) with
``write_xlsx`` and then:

1. times ``parse_xlsx`` alone, and again under tracemalloc for the peak Python memory;
2. times the whole import as a teacher does it (``itembank.importing.import_commit``: parse,
   check every item, write every item with its version in one transaction) into a fresh
   database: SQLite in a temporary folder, or the PostgreSQL server of ``DATABASE_URL``
   (a database ``bench_import`` is made there and dropped after), and reports the peak
   resident memory of the process.

The issue's target: 10,000 items in under 60 s with bounded memory.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from itembank.interchange.base import ImportedItem, SourceLocation  # noqa: E402
from itembank.interchange.xlsx import parse_xlsx, write_xlsx  # noqa: E402

TARGET_SECONDS = 60.0


def make_items(n: int) -> list[ImportedItem]:
    where = SourceLocation(file="bench")
    items = []
    for i in range(n):
        stem = f"Câu {i + 1}. Cho hàm số $y = x^3 - {i % 7}x + {i % 5}$. Tính giá trị biểu thức theo yêu cầu sau đây."
        meta = {
            "subject": "Toán",
            "topic": f"Chủ đề {i % 20}",
            "level": ("know", "understand", "apply")[i % 3],
            "source": f"Đề thử {i % 50}",
            "expected_seconds": 60 + i % 120,
        }
        kind = i % 6
        if kind == 0:
            content = {
                "stem": stem,
                "options": [{"id": c, "text": f"Phương án {c} của câu {i}"} for c in "ABCD"],
                "key": "ABCD"[i % 4],
            }
            items.append(ImportedItem("single_choice", content, where, points=Decimal("0.25"), metadata=meta))
        elif kind == 1:
            content = {
                "stem": stem,
                "options": [{"id": c, "text": f"Lựa chọn {c}"} for c in "ABCDE"],
                "scoring": "partial",
                "keys": ["A", "C"],
            }
            items.append(ImportedItem("multiple_response", content, where, points=Decimal("0.5"), metadata=meta))
        elif kind == 2:
            content = {
                "stem": stem,
                "statements": [{"id": c, "text": f"Mệnh đề {c}) số {i}"} for c in "abcd"],
                "scale": {"1": "0.1", "2": "0.25", "3": "0.5", "4": "1"},
                "keys": {"a": True, "b": False, "c": i % 2 == 0, "d": True},
            }
            items.append(ImportedItem("true_false_group", content, where, metadata=meta))
        elif kind == 3:
            content = {"stem": stem, "boxes": 4, "answer": f"-{i % 10}.5", "tolerance": "0"}
            items.append(ImportedItem("short_numeric", content, where, points=Decimal("0.5"), metadata=meta))
        elif kind == 4:
            content = {"stem": stem, "match": "normalised", "ignore_diacritics": False, "answers": ["Hà Nội", "Ha Noi"]}
            items.append(ImportedItem("text_entry", content, where, metadata=meta))
        else:
            content = {
                "stem": stem,
                "rubric": [{"criterion": "Nội dung", "levels": [{"label": "Tốt", "points": "1"}]}],
                "max_words": 200,
            }
            items.append(ImportedItem("essay", content, where, metadata=meta))
    return items


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()

    started = time.perf_counter()
    data = write_xlsx(make_items(args.items))
    write_seconds = time.perf_counter() - started

    started = time.perf_counter()
    result = parse_xlsx(data, filename="bench.xlsx")
    seconds = time.perf_counter() - started
    del result

    # A second parse under tracemalloc (which slows Python down) for the memory figures.
    tracemalloc.start()
    result = parse_xlsx(data, filename="bench.xlsx")
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    ok = result.ok and len(result.items) == args.items
    print(f"machine:        {machine()}")
    print(f"workbook:       {args.items} items, {len(data) / 1e6:.2f} MB (written in {write_seconds:.2f} s)")
    print(f"parse_xlsx:     {seconds:.2f} s, {args.items / seconds:,.0f} items/s")
    print(f"peak memory:    {peak / 1e6:.1f} MB during parse_xlsx (tracemalloc), of which {retained / 1e6:.1f} MB")
    print("                is the returned ParseResult (the items themselves)")
    print(f"items read:     {len(result.items)}, issues: {len(result.issues)}")
    del result
    full_seconds, database, imported = full_import(data)
    print(f"import_commit:  {full_seconds:.2f} s into {database}, {imported / full_seconds:,.0f} items/s")
    print(f"peak RSS:       {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (whole process)")
    ok = ok and imported == args.items
    verdict = "PASS" if ok and full_seconds < TARGET_SECONDS else "FAIL"
    print(f"target:         whole import < {TARGET_SECONDS:.0f} s for 10,000 items -> {verdict}")
    return 0 if verdict == "PASS" else 1


@contextmanager
def fresh_database(name: str) -> Iterator[None]:
    """A throw-away database for a bench run, dropped after: SQLite in a temporary folder, or
    ``name`` on the PostgreSQL server of ``DATABASE_URL``. Django is set up inside it, migrated."""
    url = os.environ.get("DATABASE_URL", "")
    scratch = tempfile.mkdtemp(prefix=f"{name}-")
    os.environ["DATA_DIR"] = scratch
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    base = url.rpartition("/")[0]
    if url:
        import psycopg

        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{base}/{name}"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0)
        yield
    finally:
        connection.close()
        shutil.rmtree(scratch, ignore_errors=True)
        if url:
            import psycopg

            with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def full_import(data: bytes) -> tuple[float, str, int]:
    """Import the workbook into a fresh database as a teacher; seconds, database, items written."""
    with fresh_database("bench_import"):
        from django.db import connection

        from accounts.models import Organisation, Role, User
        from itembank.importing import ImportDefaults, import_commit
        from itembank.models import Item, Subject

        department = Organisation.objects.create(name="Sở", code="so", kind=Organisation.Kind.DEPARTMENT)
        school = Organisation.objects.create(
            name="Trường", code="truong", kind=Organisation.Kind.SCHOOL, parent=department
        )
        teacher = User.objects.create(username="teacher", role=Role.TEACHER, organisation=school)
        subject = Subject.objects.create(code="toan", name="Toán")
        started = time.perf_counter()
        report, versions = import_commit(
            by=teacher, data=data, filename="bench.xlsx", defaults=ImportDefaults(subject=subject)
        )
        seconds = time.perf_counter() - started
        assert report.ok, report.as_dict()["file_errors"][:3]
        written = Item.objects.count()
        vendor = f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else ''}"
        return seconds, vendor.strip(), min(written, len(versions))


if __name__ == "__main__":
    raise SystemExit(main())
