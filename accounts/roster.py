"""Reading a school's roster: students, teachers and classes from the education database's export.

A roster file is an Excel workbook (.xlsx) or a CSV file (UTF-8, comma or semicolon). Each
sheet (a CSV file is one sheet) is recognised by its header row, wherever it is in the first
rows, whatever the sheet is called; the columns may come in any order, with Vietnamese or
English labels, and other columns are ignored:

- **students**: ``Mã định danh`` (the learner identifier, Circular 42/2021), ``Họ và tên``,
  ``Ngày sinh`` (dd/mm/yyyy or a date cell), ``Giới tính`` (Nam / Nữ), ``Lớp``; optionally
  ``Số CCCD`` (the citizen ID number, 12 digits; a file without the column leaves the numbers
  recorded as they are); and, for a department's import, ``Mã trường`` (the school's code);
- **teachers**: ``Mã cán bộ`` (the staff identifier), ``Họ và tên``, ``Môn dạy`` (subjects,
  separated by commas), ``Lớp dạy`` (classes, separated by commas), ``Chủ nhiệm`` (the class
  they are the homeroom teacher of), and ``Mã trường``;
- **classes**: ``Lớp``, ``Khối`` (the grade, 1 to 12), and ``Mã trường``.

:func:`read_roster` turns the bytes into rows and problems (sheet, row, column, what is wrong)
and never raises for bad input: formulas, a workbook that is not one, a sheet nobody
recognises, missing columns, malformed cells. What the rows mean against the database (unknown
classes, identifiers already used elsewhere) is decided by ``accounts.services.roster_plan``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

from .archive import ArchiveError, ArchiveLimits, open_archive

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000  # a province's grade is about 50,000
MAX_HEADER_SCAN = 10
CLASS_NAME_MAX = 30  # SchoolClass.name
STAFF_ID_PATTERN = re.compile(r"[0-9A-Za-z._-]{1,64}")


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class StudentRow:
    sheet: str
    row: int
    learner_id: str
    full_name: str
    date_of_birth: date | None
    gender: str
    class_name: str
    school_code: str
    citizen_id: str | None = None  # None: the file has no such column; "": the cell is empty


@dataclass(frozen=True)
class TeacherRow:
    sheet: str
    row: int
    staff_id: str
    full_name: str
    subjects: tuple[str, ...]
    classes: tuple[str, ...]
    homeroom: str
    school_code: str


@dataclass(frozen=True)
class ClassRow:
    sheet: str
    row: int
    name: str
    grade: int
    school_code: str


@dataclass
class Roster:
    students: list[StudentRow] = field(default_factory=list)
    teachers: list[TeacherRow] = field(default_factory=list)
    classes: list[ClassRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# --- columns ------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """A label or name compared without case, diacritics or extra spaces ("Mã  định danh" ~ "ma dinh danh")."""
    text = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return " ".join(text.casefold().replace("_", " ").split())


# field -> the labels it is known by (folded). The first label is the template's.
STUDENT_COLUMNS = {
    "learner_id": ("Mã định danh", "ma hoc sinh", "ma dinh danh hoc sinh", "learner id", "learner identifier"),
    "citizen_id": (
        "Số CCCD",
        "cccd",
        "so can cuoc",
        "can cuoc",
        "so can cuoc cong dan",
        "can cuoc cong dan",
        "so cmnd/cccd",
        "so dinh danh ca nhan",
        "dinh danh ca nhan",
        "citizen id",
        "citizen id number",
        "citizen identity number",
        "national id",
    ),
    "full_name": ("Họ và tên", "ho ten", "ten hoc sinh", "full name", "name"),
    "date_of_birth": ("Ngày sinh", "date of birth", "birth date"),
    "gender": ("Giới tính", "gender", "sex"),
    "class_name": ("Lớp", "ten lop", "class"),
    "school_code": ("Mã trường", "truong", "school", "school code"),
}
TEACHER_COLUMNS = {
    "staff_id": ("Mã cán bộ", "ma giao vien", "ma can bo giao vien", "staff id", "staff identifier"),
    "full_name": ("Họ và tên", "ho ten", "ten giao vien", "full name", "name"),
    "subjects": ("Môn dạy", "mon", "subjects", "subject"),
    "classes": ("Lớp dạy", "classes", "classes taught"),
    "homeroom": ("Chủ nhiệm", "lop chu nhiem", "homeroom", "homeroom class"),
    "school_code": ("Mã trường", "truong", "school", "school code"),
}
CLASS_COLUMNS = {
    "name": ("Lớp", "ten lop", "class"),
    "grade": ("Khối", "khoi lop", "grade"),
    "school_code": ("Mã trường", "truong", "school", "school code"),
}
REQUIRED = {
    "students": ("learner_id", "full_name", "class_name"),
    "teachers": ("staff_id", "full_name"),
    "classes": ("name", "grade"),
}


def _labels(columns: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {fold(label): name for name, labels in columns.items() for label in labels}


COLUMNS = {"students": STUDENT_COLUMNS, "teachers": TEACHER_COLUMNS, "classes": CLASS_COLUMNS}
_KINDS = {kind: _labels(columns) for kind, columns in COLUMNS.items()}


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class _Header:
    kind: str
    row: int
    columns: dict[str, int]  # field -> column index

    def letter(self, name: str) -> str:
        return _column_letter(self.columns[name])


def _recognise(values: tuple[Any, ...], number: int) -> _Header | None:
    """The header a row is, if it is one: students (a learner identifier column), teachers (a
    staff identifier), or classes (a grade without either)."""
    folded = [fold(v) if isinstance(v, str) and v.strip() else None for v in values]
    found: dict[str, dict[str, int]] = {}
    for kind, labels in _KINDS.items():
        columns: dict[str, int] = {}
        for index, label in enumerate(folded):
            name = labels.get(label) if label else None
            if name and name not in columns:
                columns[name] = index
        found[kind] = columns
    if "learner_id" in found["students"]:
        return _Header("students", number, found["students"])
    if "staff_id" in found["teachers"]:
        return _Header("teachers", number, found["teachers"])
    if "grade" in found["classes"] and "name" in found["classes"]:
        return _Header("classes", number, found["classes"])
    return None


# --- cells --------------------------------------------------------------------------------------


class _CellError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an identifier typed into a number cell
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for pattern in (r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", r"(\d{4})-(\d{1,2})-(\d{1,2})"):
        match = re.fullmatch(pattern, text)
        if match:
            a, b, c = (int(g) for g in match.groups())
            day, month, year = (a, b, c) if len(match.group(3)) == 4 else (c, b, a)
            try:
                born = date(year, month, day)
            except ValueError:
                break
            if not 1900 <= born.year <= date.today().year:
                break
            return born
    raise ValueError(text)


CITIZEN_ID_PATTERN = re.compile(r"[0-9]{12}")  # accounts.models.validate_citizen_id


def _citizen_id(value: Any) -> str:
    """A citizen ID number as written, without the spaces or dots that group its digits."""
    return re.sub(r"[\s.]", "", _text(value))


_GENDERS = {"nam": "male", "male": "male", "m": "male", "nu": "female", "female": "female", "f": "female"}


def split_list(text: str) -> tuple[str, ...]:
    """``"Toán, Tin học; Vật lí"`` -> the three, in order, without repeats."""
    parts = [" ".join(p.split()) for p in re.split(r"[,;\n]", text)]
    return tuple(dict.fromkeys(p for p in parts if p))


class _Row:
    def __init__(self, sheet: str, number: int, values: tuple[Any, ...], header: _Header) -> None:
        self.sheet, self.number, self.values, self.header = sheet, number, values, header

    def raw(self, name: str) -> Any:
        index = self.header.columns.get(name)
        if index is None or index >= len(self.values):
            return None
        return self.values[index]

    def text(self, name: str, *, required: bool = False) -> str:
        value = _text(self.raw(name))
        if required and not value:
            raise _CellError(name, _("This cell is empty."))
        return value


def _student(row: _Row) -> StudentRow:
    try:
        born = _date(row.raw("date_of_birth"))
    except ValueError as exc:
        raise _CellError(
            "date_of_birth", _("Not a date of birth: %(value)s (write dd/mm/yyyy).") % {"value": exc}
        ) from None
    gender_text = row.text("gender")
    gender = _GENDERS.get(fold(gender_text), None) if gender_text else ""
    if gender is None:
        raise _CellError("gender", _("Not a gender: %(value)s (write Nam or Nữ).") % {"value": gender_text})
    citizen_id = None
    if "citizen_id" in row.header.columns:
        citizen_id = _citizen_id(row.raw("citizen_id"))
        if citizen_id and not CITIZEN_ID_PATTERN.fullmatch(citizen_id):
            raise _CellError(
                "citizen_id",
                _("Not a citizen ID number: %(value)s (12 digits; format the cell as text so that leading zeros stay).")
                % {"value": citizen_id[:40]},
            )
    return StudentRow(
        sheet=row.sheet,
        row=row.number,
        learner_id=row.text("learner_id", required=True),
        full_name=row.text("full_name", required=True),
        date_of_birth=born,
        gender=gender,
        class_name=row.text("class_name", required=True),
        school_code=row.text("school_code"),
        citizen_id=citizen_id,
    )


def _teacher(row: _Row) -> TeacherRow:
    return TeacherRow(
        sheet=row.sheet,
        row=row.number,
        staff_id=row.text("staff_id", required=True),
        full_name=row.text("full_name", required=True),
        subjects=split_list(row.text("subjects")),
        classes=split_list(row.text("classes")),
        homeroom=row.text("homeroom"),
        school_code=row.text("school_code"),
    )


def _class(row: _Row) -> ClassRow:
    grade_text = row.text("grade", required=True)
    match = re.fullmatch(r"(?:khoi\s*)?(\d{1,2})", fold(grade_text))
    if not match or not 1 <= int(match.group(1)) <= 12:
        raise _CellError("grade", _("Not a grade from 1 to 12: %(value)s.") % {"value": grade_text})
    name = row.text("name", required=True)
    if len(name) > CLASS_NAME_MAX:
        raise _CellError("name", _("A class name has at most %(count)d characters.") % {"count": CLASS_NAME_MAX})
    return ClassRow(
        sheet=row.sheet,
        row=row.number,
        name=name,
        grade=int(match.group(1)),
        school_code=row.text("school_code"),
    )


_READERS = {"students": _student, "teachers": _teacher, "classes": _class}  # kind -> reader (Roster's list)


# --- sheets -------------------------------------------------------------------------------------


def _read_sheet(roster: Roster, title: str, rows: Iterable[tuple[Any, ...]], formulas: bool = False) -> None:
    """Read one sheet's rows into ``roster``; a sheet without a known header is a problem."""
    header: _Header | None = None
    count = 0
    for number, values in enumerate(rows, start=1):
        if header is None:
            if number > MAX_HEADER_SCAN:
                break
            header = _recognise(values, number)
            if header is not None:
                missing = [n for n in REQUIRED[header.kind] if n not in header.columns]
                if missing:
                    names = ", ".join(COLUMNS[header.kind][n][0] for n in missing)
                    roster.problems.append(
                        Problem(title, number, None, _("Missing columns: %(names)s.") % {"names": names})
                    )
                    return
            continue
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        count += 1
        if count > MAX_ROWS:
            roster.problems.append(
                Problem(title, number, None, _("Too many rows: at most %(count)d in one file.") % {"count": MAX_ROWS})
            )
            return
        if formulas:
            formula = next((i for i, v in enumerate(values) if isinstance(v, str) and v.startswith("=")), None)
            if formula is not None:
                roster.problems.append(
                    Problem(
                        title,
                        number,
                        _column_letter(formula),
                        _("A formula, not a value: copy the sheet and paste values only."),
                    )
                )
                continue
        try:
            getattr(roster, header.kind).append(_READERS[header.kind](_Row(title, number, tuple(values), header)))
        except _CellError as exc:
            roster.problems.append(Problem(title, number, header.letter(exc.column), str(exc)))
    if header is None:
        roster.problems.append(
            Problem(
                title,
                None,
                None,
                _(
                    "No header row of students (Mã định danh), teachers (Mã cán bộ) or classes (Lớp, Khối) "
                    "in the first %(count)d rows: is this the right sheet?"
                )
                % {"count": MAX_HEADER_SCAN},
            )
        )


def _workbook_sheets(data: bytes) -> Iterator[tuple[str, Iterable[tuple[Any, ...]]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        for sheet in workbook.worksheets:
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # a wrong <dimension> must not hide rows
            yield sheet.title, sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def _csv_rows(text: str) -> list[tuple[str, ...]]:
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    return [tuple(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _limits() -> ArchiveLimits:
    return ArchiveLimits(
        max_archive_bytes=MAX_FILE_BYTES,
        max_members=1000,
        max_total_bytes=1024 * 1024 * 1024,
        max_member_bytes=512 * 1024 * 1024,
        max_ratio=200,
        ratio_floor_bytes=10 * 1024 * 1024,
        backslashes="refuse",
        what="workbook",
    )


class UnreadableFile(ValueError):
    """Neither a workbook nor a CSV file that can be read; the message says so."""


def read_tables(data: bytes) -> list[tuple[str | None, list[tuple[Any, ...]]]]:
    """Every sheet of an XLSX workbook (checked as an archive first), or the one table of a CSV
    file in UTF-8 (comma or semicolon), as (sheet title or None, rows).

    Raises :class:`UnreadableFile` with a message for a file that is larger than allowed or
    neither; never anything else for bad input.
    """
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile(_("The file is larger than %(mb)d MB.") % {"mb": MAX_FILE_BYTES // 2**20})
    if data[:4] == b"PK\x03\x04":
        try:
            archive = open_archive(data, limits=_limits())
            if "xl/workbook.xml" not in archive:
                raise ArchiveError("not_xlsx", "no xl/workbook.xml")
            archive.verify()
            return [(title, list(rows)) for title, rows in _workbook_sheets(data)]
        except Exception:  # noqa: BLE001 - a message, never a crash, for any input
            raise UnreadableFile(_("Not an Excel workbook (.xlsx) that can be read.")) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = "\x00"  # not text either way
    if "\x00" in text:
        raise UnreadableFile(_("Neither an Excel workbook (.xlsx) nor a CSV file in UTF-8."))
    return [(None, list(_csv_rows(text)))]


def read_roster(data: bytes, filename: str) -> Roster:
    """The rows of a roster file and every problem found in it; never raises for bad input."""
    roster = Roster()
    name = filename or "roster"
    try:
        tables = read_tables(data)
    except UnreadableFile as error:
        roster.problems.append(Problem(name, None, None, str(error)))
        return roster
    for title, rows in tables:
        _read_sheet(roster, title or name, rows, formulas=True)
    return roster


# --- the template -------------------------------------------------------------------------------


def template_xlsx() -> bytes:
    """A workbook with the three sheets, their columns and one example row each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheets = [
        (
            "Lớp",
            [labels[0] for labels in CLASS_COLUMNS.values()],
            ["10A1", 10, ""],
        ),
        (
            "Giáo viên",
            [labels[0] for labels in TEACHER_COLUMNS.values()],
            ["GV0001", "Trần Thị Bình", "Toán", "10A1", "10A1", ""],
        ),
        (
            "Học sinh",
            [labels[0] for labels in STUDENT_COLUMNS.values()],
            ["001208012345", "001210012345", "Nguyễn Văn An", "15/03/2010", "Nam", "10A1", ""],
        ),
    ]
    first = True
    for title, header, example in sheets:
        sheet = workbook.active if first else workbook.create_sheet()
        first = False
        sheet.title = title
        sheet.append(header)
        sheet.append(example)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for index in range(len(header)):
            sheet.column_dimensions[_column_letter(index)].width = 18
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.number_format = "@"  # identifiers stay text (leading zeros)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
