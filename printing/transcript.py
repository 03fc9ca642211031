"""A student's transcript (học bạ) as an A4 PDF, from plain values: the document the school signs.

The caller (the records app) reads the results, formats every number and level as the
regulations print them ("8,3", "Đạt", "Tốt": Circular 22/2021 rounds averages to one decimal)
and translates the labels (:class:`Words`, Vietnamese by default); this module only lays them
out, so it imports no Django and a transcript can be printed from a test or a script.

The layout follows the paper học bạ: the national heading, the title and the student's
identity, then one section per school year, each on a page of its own (a page holds a year of
secondary school: about fifteen subjects) with

- the table of subjects: semester I, semester II and year results, and the subject teacher's
  comment, closed by the row of learning result levels (Kết quả học tập);
- the subjects to retake, the homeroom teacher's comment, and the signature lines of the
  homeroom teacher and the principal.

The serial number and the date of issue are in the footer of every page, so that a single
page taken out of the file still says which issued copy it belongs to. Like every document of
:mod:`printing.pdf`, the same transcript prints the same bytes: the digital signature
(:mod:`printing.signing`) is then what differs from one issuance to the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.colors import Color, black
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle

from .pdf import SERIF, SERIF_BOLD, build, escape, frame_width, register_fonts


@dataclass(frozen=True)
class SubjectLine:
    """One subject of a school year: its results as printed ("8,3", "Đạt") and the subject
    teacher's comment."""

    name: str
    first: str
    second: str
    year: str
    comment: str = ""


@dataclass(frozen=True)
class YearRecord:
    """One school year of a transcript.

    ``grade`` is the grade (khối) the class belongs to, None where unknown; ``school`` the
    school of that year (a student who moved has several); ``level_*`` the learning result
    levels of semester I, semester II and the year; ``retakes`` the subjects to retake
    (none is an empty sequence).
    """

    school_year: str
    grade: int | None
    class_name: str
    school: str
    subjects: Sequence[SubjectLine]
    level_first: str
    level_second: str
    level_year: str
    retakes: Sequence[str]
    homeroom_comment: str
    homeroom_teacher: str
    principal: str


@dataclass(frozen=True)
class Words:
    """Every label a transcript prints, in the reader's language (Vietnamese by default).

    ``page`` holds ``%(page)d`` and ``%(pages)d`` (the footer's "Trang 1/3"), as the
    project's translated strings do.
    """

    nation: str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    motto: str = "Độc lập – Tự do – Hạnh phúc"
    title: str = "HỌC BẠ"
    student_name: str = "Họ và tên"
    learner_id: str = "Mã định danh"
    date_of_birth: str = "Ngày sinh"
    school: str = "Trường"
    school_year: str = "Năm học"
    class_name: str = "Lớp"
    grade: str = "Khối"
    subject: str = "Môn học"
    first: str = "Học kỳ I"
    second: str = "Học kỳ II"
    year: str = "Cả năm"
    comment: str = "Nhận xét của giáo viên môn học"
    results: str = "Kết quả học tập"
    retakes: str = "Môn học phải kiểm tra lại"
    no_retakes: str = "Không"
    homeroom_comment: str = "Nhận xét của giáo viên chủ nhiệm"
    homeroom_teacher: str = "Giáo viên chủ nhiệm"
    principal: str = "Hiệu trưởng"
    sign_hint: str = "(Ký và ghi rõ họ tên)"
    no_years: str = "Chưa có kết quả học tập."
    serial: str = "Số"
    issued_at: str = "Ngày cấp"
    issued_by: str = "Người cấp"
    page: str = "Trang %(page)d/%(pages)d"


@dataclass(frozen=True)
class Transcript:
    """A student's transcript as issued: who, which years, and which issued copy (``serial``,
    ``issued_at`` and ``issued_by`` as printed, e.g. "HB-2026-000123", "15/06/2026")."""

    student_name: str
    learner_id: str
    date_of_birth: str
    school: str
    years: Sequence[YearRecord]
    serial: str
    issued_at: str
    issued_by: str
    words: Words = Words()


_GREY = Color(0.9, 0.9, 0.9)

_body = ParagraphStyle("transcript-body", fontName=SERIF, fontSize=10.5, leading=13.5, alignment=TA_LEFT)
_STYLES = {
    "body": _body,
    "centre": ParagraphStyle("transcript-centre", parent=_body, alignment=TA_CENTER),
    "title": ParagraphStyle(
        "transcript-title",
        parent=_body,
        fontName=SERIF_BOLD,
        fontSize=20,
        leading=26,
        alignment=TA_CENTER,
        spaceBefore=14,
        spaceAfter=10,
    ),
    "year": ParagraphStyle(
        "transcript-year", parent=_body, fontName=SERIF_BOLD, fontSize=12, leading=15, spaceBefore=4, spaceAfter=6
    ),
    "cell": ParagraphStyle("transcript-cell", parent=_body, fontSize=9.5, leading=11.5),
    "cell-centre": ParagraphStyle(
        "transcript-cell-centre", parent=_body, fontSize=9.5, leading=11.5, alignment=TA_CENTER
    ),
    "head": ParagraphStyle(
        "transcript-head", parent=_body, fontName=SERIF_BOLD, fontSize=9.5, leading=11.5, alignment=TA_CENTER
    ),
    "small": ParagraphStyle("transcript-small", parent=_body, fontSize=9, leading=11, alignment=TA_CENTER),
}


def _labelled(label: str, value: str) -> str:
    """``label: value`` as markup, the value in bold (both escaped)."""
    return f"{escape(label)}: <b>{escape(value)}</b>"


def _header(transcript: Transcript, width: float) -> list[Flowable]:
    """The national heading, the title and the student's identity: the top of page one, in
    two columns so that a year of secondary school still fits below it."""
    words, styles = transcript.words, _STYLES
    pairs = [
        ((words.student_name, transcript.student_name), (words.learner_id, transcript.learner_id)),
        ((words.date_of_birth, transcript.date_of_birth), (words.school, transcript.school)),
        ((words.serial, transcript.serial), (words.issued_at, transcript.issued_at)),
        ((words.issued_by, transcript.issued_by), None),
    ]
    rows = [
        [Paragraph(_labelled(*pair), styles["body"]) if pair else "" for pair in (left, right)] for left, right in pairs
    ]
    identity = Table(rows, colWidths=[width * 0.55, width * 0.45])
    identity.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return [
        Paragraph(f"<b>{escape(words.nation)}</b>", styles["centre"]),
        Paragraph(f"<b>{escape(words.motto)}</b>", styles["centre"]),
        Paragraph(escape(words.title), styles["title"]),
        identity,
        Spacer(1, 10),
    ]


def _subjects_table(year: YearRecord, words: Words, width: float) -> Table:
    """Subjects by semester I, semester II, year and comment, closed by the levels row; the
    column headings repeat on a page the table runs onto."""
    styles = _STYLES
    cell, centre = styles["cell"], styles["cell-centre"]
    headings = (words.subject, words.first, words.second, words.year, words.comment)
    rows: list[list[Flowable]] = [[Paragraph(escape(text), styles["head"]) for text in headings]]
    for line in year.subjects:
        rows.append(
            [
                Paragraph(escape(line.name), cell),
                Paragraph(escape(line.first), centre),
                Paragraph(escape(line.second), centre),
                Paragraph(f"<b>{escape(line.year)}</b>", centre),
                Paragraph(escape(line.comment), cell),
            ]
        )
    rows.append(
        [
            Paragraph(f"<b>{escape(words.results)}</b>", cell),
            Paragraph(f"<b>{escape(year.level_first)}</b>", centre),
            Paragraph(f"<b>{escape(year.level_second)}</b>", centre),
            Paragraph(f"<b>{escape(year.level_year)}</b>", centre),
            Paragraph("", cell),
        ]
    )
    result = 60.0  # a result column: "Học kỳ II" and "Chưa đạt" in bold 9.5-point type, on one line
    subject = 118.0
    table = Table(rows, colWidths=[subject, result, result, result, width - subject - 3 * result], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, black),
                ("BACKGROUND", (0, 0), (-1, 0), _GREY),
                ("BACKGROUND", (0, -1), (-1, -1), _GREY),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                # Tight rows: fifteen subjects with two-line comments, the closing block and
                # the identity of page one share an A4 page.
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        )
    )
    return table


def _signatures(year: YearRecord, words: Words, width: float) -> Table:
    """The homeroom teacher's and the principal's signature lines, side by side, with room
    to sign by hand on a printed copy."""
    styles = _STYLES

    def block(role: str, name: str) -> list[Flowable]:
        return [
            Paragraph(f"<b>{escape(role)}</b>", styles["centre"]),
            Paragraph(f"<i>{escape(words.sign_hint)}</i>", styles["small"]),
            Spacer(1, 40),
            Paragraph(f"<b>{escape(name)}</b>", styles["centre"]),
        ]

    table = Table(
        [[block(words.homeroom_teacher, year.homeroom_teacher), block(words.principal, year.principal)]],
        colWidths=[width / 2, width / 2],
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _year(transcript: Transcript, year: YearRecord, width: float, *, first: bool) -> list[Flowable]:
    """One school year: its heading, the subjects table, then retakes, the homeroom comment
    and the signatures kept together (a comment is never parted from its signature). A year
    after the first starts its page with the student's name and identifier: a page is also
    read on its own."""
    words, styles = transcript.words, _STYLES
    heading = [
        _labelled(words.school_year, year.school_year),
        _labelled(words.class_name, year.class_name),
    ]
    if year.grade is not None:
        heading.append(_labelled(words.grade, str(year.grade)))
    heading.append(_labelled(words.school, year.school))
    student = [
        _labelled(words.student_name, transcript.student_name),
        _labelled(words.learner_id, transcript.learner_id),
    ]
    retakes = ", ".join(year.retakes) if year.retakes else words.no_retakes
    closing: list[Flowable] = [
        Spacer(1, 8),
        Paragraph(_labelled(words.retakes, retakes), styles["body"]),
        Spacer(1, 6),
        Paragraph(f"<b>{escape(words.homeroom_comment)}:</b> {escape(year.homeroom_comment)}", styles["body"]),
        Spacer(1, 10),
        _signatures(year, words, width),
    ]
    return [
        *([] if first else [Paragraph(" · ".join(student), styles["body"])]),
        Paragraph(" · ".join(heading), styles["year"]),
        _subjects_table(year, words, width),
        KeepTogether(closing),
    ]


def render(transcript: Transcript) -> bytes:
    """The transcript as an A4 PDF: the identity on page one, each school year from a page of
    its own, serial, date of issue and "page/pages" in every footer."""
    register_fonts()  # before the first paragraph: its <b> looks the bold face up
    words = transcript.words
    width = frame_width()
    story = _header(transcript, width)
    if not transcript.years:
        story.append(Paragraph(escape(words.no_years), _STYLES["centre"]))
    for number, year in enumerate(transcript.years):
        if number:
            story.append(PageBreak())
        story.extend(_year(transcript, year, width, first=not number))

    def footer(page: int, pages: int) -> str:
        # Drawn as plain canvas text, not markup: nothing to escape.
        return " · ".join(
            [
                f"{words.serial}: {transcript.serial}",
                f"{words.issued_at}: {transcript.issued_at}",
                words.page % {"page": page, "pages": pages},
            ]
        )

    return build(story, title=f"{words.title} – {transcript.student_name}", footer=footer)
