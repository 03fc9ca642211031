"""The transcript (học bạ) PDF: what it prints, page by page, from plain values."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from pypdf import PdfReader

from printing.transcript import SubjectLine, Transcript, Words, YearRecord, render

ROOT = Path(__file__).resolve().parents[2]

SUBJECTS = [
    ("Ngữ văn", "7,8", "8,4", "8,2"),
    ("Toán", "8,3", "8,9", "8,7"),
    ("Lịch sử", "6,5", "7,1", "6,9"),
    ("Giáo dục thể chất", "Đạt", "Đạt", "Đạt"),
]


def _year(school_year: str = "2025-2026", **changes: object) -> YearRecord:
    year = YearRecord(
        school_year=school_year,
        grade=10,
        class_name="10A1",
        school="Trường THPT Chu Văn An",
        subjects=[SubjectLine(name, first, second, whole, "Tiến bộ rõ.") for name, first, second, whole in SUBJECTS],
        level_first="Khá",
        level_second="Tốt",
        level_year="Tốt",
        retakes=[],
        homeroom_comment="Chăm ngoan, có trách nhiệm với tập thể.",
        homeroom_teacher="Nguyễn Thị Hoa",
        principal="Trần Văn Bình",
    )
    return replace(year, **changes)  # type: ignore[arg-type]


def _transcript(years: list[YearRecord] | None = None, **changes: object) -> Transcript:
    transcript = Transcript(
        student_name="Lê Thị Ánh Tuyết",
        learner_id="0110012345",
        date_of_birth="03/09/2010",
        school="Trường THPT Chu Văn An",
        years=[_year()] if years is None else years,
        serial="HB-2026-000123",
        issued_at="15/06/2026",
        issued_by="Phạm Thu Hà",
        words=Words(),
    )
    return replace(transcript, **changes)  # type: ignore[arg-type]


def _pages(pdf: bytes) -> list[str]:
    """Each page's text, its whitespace made single spaces."""
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def test_the_transcript_prints_the_student_the_results_and_the_levels_in_vietnamese():
    [page] = _pages(render(_transcript()))

    for text in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "HỌC BẠ",
        "Họ và tên: Lê Thị Ánh Tuyết",
        "Mã định danh: 0110012345",
        "Ngày sinh: 03/09/2010",
        "Năm học: 2025-2026",
        "Lớp: 10A1",
        "Khối: 10",
        "Học kỳ I Học kỳ II Cả năm",
        "Ngữ văn 7,8 8,4 8,2",
        "Toán 8,3 8,9 8,7",
        "Giáo dục thể chất Đạt Đạt Đạt",
        "Kết quả học tập Khá Tốt Tốt",
        "Môn học phải kiểm tra lại: Không",
        "Nhận xét của giáo viên chủ nhiệm: Chăm ngoan, có trách nhiệm với tập thể.",
        "Giáo viên chủ nhiệm",
        "Hiệu trưởng",
        "Nguyễn Thị Hoa",
        "Trần Văn Bình",
    ):
        assert text in page, text


def test_retakes_are_listed_and_a_year_without_grade_prints_none():
    year = _year(grade=None, retakes=["Toán", "Vật lí"], level_year="Chưa đạt")
    [page] = _pages(render(_transcript([year])))

    assert "Môn học phải kiểm tra lại: Toán, Vật lí" in page
    assert "Khối" not in page


def test_every_page_carries_the_serial_the_date_of_issue_and_its_number():
    pages = _pages(render(_transcript([_year("2024-2025"), _year("2025-2026"), _year("2026-2027")])))

    assert len(pages) == 3
    for number, page in enumerate(pages, start=1):
        assert f"Số: HB-2026-000123 · Ngày cấp: 15/06/2026 · Trang {number}/3" in page


def test_each_school_year_starts_a_page_of_its_own_naming_the_student():
    years = ["2024-2025", "2025-2026", "2026-2027"]
    printed = [_pages(render(_transcript([_year(y) for y in years[:n]]))) for n in (1, 2, 3)]
    pages = printed[-1]

    assert [len(pages) for pages in printed] == [1, 2, 3]
    for year, page in zip(years, pages, strict=True):
        assert f"Năm học: {year}" in page
        assert "Lê Thị Ánh Tuyết" in page
        assert sum(other in page for other in years) == 1


def test_a_long_year_runs_onto_the_next_page_with_the_column_headings_again():
    subjects = [SubjectLine(f"Môn {n}", "8,0", "8,0", "8,0", "Nhận xét " * 12) for n in range(30)]
    pages = _pages(render(_transcript([_year(subjects=subjects)])))

    with_subjects = [page for page in pages if re.search(r"Môn \d+ ", page)]
    assert len(with_subjects) >= 2
    assert all("Môn học Học kỳ I Học kỳ II Cả năm" in page for page in with_subjects)
    assert "Môn 0 " in pages[0]
    assert "Môn 29 " in with_subjects[-1]
    assert "Kết quả học tập Khá Tốt Tốt" in with_subjects[-1]


def test_a_transcript_without_years_says_so():
    [page] = _pages(render(_transcript([])))

    assert "Chưa có kết quả học tập." in page


def test_the_same_transcript_prints_the_same_bytes():
    assert render(_transcript()) == render(_transcript())
    assert render(_transcript()) != render(_transcript(serial="HB-2026-000124"))


def test_user_text_is_printed_as_text_never_read_as_markup():
    hostile = '<img src="/etc/passwd"/> & <b>x</b> </para>'
    year = _year(
        school=hostile,
        subjects=[SubjectLine(hostile, "<i>", "&amp;", "9,0", hostile)],
        retakes=[hostile],
        homeroom_comment=hostile,
        homeroom_teacher=hostile,
        class_name="<font size=40>",
    )
    pdf = render(_transcript([year], student_name=hostile, serial="<b>S&1</b>", issued_by=hostile))
    text = " ".join(_pages(pdf))

    assert text.count(hostile) >= 6
    assert "Số: <b>S&1</b>" in text  # in the footer too
    assert "<font size=40>" in text
    assert "&amp;" in text


def test_the_words_are_the_callers():
    words = replace(
        Words(),
        title="TRANSCRIPT",
        student_name="Name",
        first="Semester I",
        second="Semester II",
        year="Year",
        serial="No.",
        issued_at="Issued",
        page="Page %(page)d of %(pages)d",
    )
    [page] = _pages(render(_transcript(words=words)))

    assert "TRANSCRIPT" in page
    assert "HỌC BẠ" not in page
    assert "Name: Lê Thị Ánh Tuyết" in page
    assert "Semester I Semester II Year" in page
    assert "No.: HB-2026-000123 · Issued: 15/06/2026 · Page 1 of 1" in page


IMPORTS = "import printing.transcript, printing.signing; "
CHECK = (
    "import sys; "
    "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), "
    "sorted(m for m in sys.modules if m.split('.')[0] == 'django')"
)


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_transcript_and_signing_modules_do_not_import_django():
    completed = _python(IMPORTS + CHECK)

    assert completed.returncode == 0, completed.stderr


def test_the_django_check_can_fail():
    completed = _python("import django; " + CHECK)

    assert completed.returncode != 0
    assert "AssertionError" in completed.stderr
