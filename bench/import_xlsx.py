"""Benchmark: import of a large Excel workbook in the bank's template.

    .venv/bin/python bench/import_xlsx.py [--items 10000]

Generates a workbook of ``--items`` items (the six supported types in turn) with
``write_xlsx``, then times ``parse_xlsx`` on it and reports seconds, items/s and (in a second
parse under tracemalloc) the peak Python memory and what the returned items hold, with the machine. The issue's target: 10,000
items in under 60 s with bounded memory. No database is used.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import tracemalloc
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
    verdict = "PASS" if ok and seconds < TARGET_SECONDS else "FAIL"
    print(f"target:         < {TARGET_SECONDS:.0f} s for 10,000 items -> {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
