"""Import and export of items as an Excel workbook (the bank's Excel template).

``parse_xlsx`` streams the rows of the sheet with openpyxl in read-only mode (bounded
memory: 10,000 items and more), maps every row to the bank's content model
(docs/decisions/0003) and reports, for every row it cannot map, the row and the column at
fault. It never raises for bad input: a file that is not an xlsx workbook, or that is
refused for safety, yields one issue and no items. ``write_xlsx`` writes the same template,
so that ``parse_xlsx(write_xlsx(items))`` gives the items back; ``template_xlsx`` is an
empty template with one example row per type.

The template
------------
One sheet ``Items`` (if there is none, the first sheet is read, with a warning). The first
non-blank row is the header; every later row is one item; blank rows are skipped. Header
labels are matched without regard to case, spacing or order; each column may be labelled
in Vietnamese, in English or both (``"Loại / Type"``, ``"Loại"`` and ``"Type"`` are the
same column). A column the importer does not know is reported as a warning and ignored.

=============================================  ==========================================
column                                         content
=============================================  ==========================================
``Loại / Type`` (required)                     ``single_choice``, ``multiple_response``,
                                               ``true_false_group``, ``short_numeric``,
                                               ``text_entry``, ``essay`` (Vietnamese names
                                               such as ``Một lựa chọn``, ``Nhiều lựa
                                               chọn``, ``Đúng/Sai``, ``Trả lời ngắn``,
                                               ``Điền từ``, ``Tự luận`` are accepted too)
``Môn / Subject``                              metadata ``subject``
``Chủ đề / Topic``                             metadata ``topic``
``Mức độ / Level``                             ``Biết``/``Hiểu``/``Vận dụng`` or
                                               ``know``/``understand``/``apply`` (also
                                               ``Nhận biết``, ``Thông hiểu``, ``NB``,
                                               ``TH``, ``VD``); metadata ``level`` is the
                                               English word
``Câu hỏi / Stem`` (required)                  the question text
``A`` … ``H``                                  the options (single/multiple choice, option
                                               ids ``"A"``, ``"B"``, …, filled from ``A``
                                               without gaps, at least two); the statements
                                               of a true/false group (ids ``"a"``,
                                               ``"b"``, …)
``Đáp án / Key`` (required)                    single choice ``B``; multiple response
                                               ``A,C``; true/false group ``Đ,S,Đ,S`` or
                                               ``T,F,T,F`` (one per statement); short
                                               numeric a number, decimal comma or point
                                               (``-1,5``, ``2.25``); text entry the
                                               accepted answers separated by ``|`` (or one
                                               per line, which allows a ``|`` inside an
                                               answer); essay: empty, or a rubric
                                               ``Nội dung: Tốt=2; Đạt=1; Chưa đạt=0 |
                                               Trình bày: Tốt=1; Chưa=0``
``Sai số / Tolerance``                         short numeric: absolute tolerance (0)
``Số ô / Boxes``                               short numeric: number of answer boxes
                                               (empty: no box layout)
``Điểm / Points``                              points, decimal comma or point (1)
``Chấm / Scoring``                             multiple response: ``all_or_nothing``
                                               (default) or ``partial``; true/false group:
                                               empty (the national scale 0.1/0.25/0.5/1,
                                               four statements), ``all_or_nothing``,
                                               ``partial`` (k/n) or the fractions for 1..n
                                               correct separated by ``/``
                                               (``0.1/0.25/0.5/1``)
``Khớp / Match``                               text entry: ``exact``, ``normalised``
                                               (default: case and spacing ignored),
                                               ``normalised_no_diacritics``, ``pattern``
``Số từ tối đa / Max words``                   essay: word limit
``Tiêu đề / Title``                            the item's title
``Nguồn / Source``                             metadata ``source``
``Thời gian (giây) / Expected seconds``        metadata ``expected_seconds`` (whole number)
``Ghi chú / Notes``                            metadata ``notes``
=============================================  ==========================================

Text cells are plain text (escaped; line breaks become ``<br>``; LaTeX between ``$…$``
stays as text) unless they contain a tag of the bank's HTML subset (``<sup>``, ``<p>``,
``<math>`` …), in which case they are HTML and are sanitised.

Limits: the file at most :data:`MAX_FILE_BYTES`; at most :data:`MAX_ROWS` rows after the
header; a cell at most :data:`MAX_CELL_CHARS` characters. Before openpyxl sees the file
the shared zip guard (``accounts.archive``) checks the container (member
count, sizes, compression ratio of large members, member names, links, encryption) and
reads every member once with a hard cap.
"""

from __future__ import annotations

import html
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from accounts.archive import ArchiveError, ArchiveLimits, open_archive
from itembank.interchange.base import CannotHold, ImportedItem, ImportIssue, ParseResult, SourceLocation
from itembank.richtext import sanitize_html
from scoring.item_rules import DEFAULT_TRUE_FALSE_SCALE, parse_decimal_answer, validate_key

__all__ = ["MAX_CELL_CHARS", "MAX_FILE_BYTES", "MAX_ROWS", "parse_xlsx", "template_xlsx", "write_xlsx"]

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000
MAX_CELL_CHARS = 20_000
MAX_ZIP_MEMBERS = 1_000
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
MAX_MEMBER_BYTES = 512 * 1024 * 1024
MAX_RATIO = 200  # for members larger than RATIO_FLOOR_BYTES
RATIO_FLOOR_BYTES = 10 * 1024 * 1024
MAX_HEADER_SCAN = 20  # the header must be within the first rows

SHEET_NAME = "Items"
GUIDE_SHEET_NAME = "Hướng dẫn - Guide"  # "/" is not allowed in a sheet name

OPTION_LETTERS = tuple("ABCDEFGH")
SUPPORTED_TYPES = (
    "single_choice",
    "multiple_response",
    "true_false_group",
    "short_numeric",
    "text_entry",
    "essay",
)

# field name -> header label written by write_xlsx (accepted labels: either half, or all)
_COLUMNS: tuple[tuple[str, str], ...] = (
    ("type", "Loại / Type"),
    ("title", "Tiêu đề / Title"),
    ("subject", "Môn / Subject"),
    ("topic", "Chủ đề / Topic"),
    ("level", "Mức độ / Level"),
    ("stem", "Câu hỏi / Stem"),
    *((f"option:{letter}", letter) for letter in OPTION_LETTERS),
    ("key", "Đáp án / Key"),
    ("tolerance", "Sai số / Tolerance"),
    ("boxes", "Số ô / Boxes"),
    ("points", "Điểm / Points"),
    ("scoring", "Chấm / Scoring"),
    ("match", "Khớp / Match"),
    ("max_words", "Số từ tối đa / Max words"),
    ("source", "Nguồn / Source"),
    ("expected_seconds", "Thời gian (giây) / Expected seconds"),
    ("notes", "Ghi chú / Notes"),
)
_LABELS = dict(_COLUMNS)
_REQUIRED = ("type", "stem", "key")
_EXTRA_ALIASES = {
    "loại câu": "type",
    "dạng": "type",
    "item type": "type",
    "môn học": "subject",
    "mức": "level",
    "cấp độ": "level",
    "question": "stem",
    "nội dung": "stem",
    "đáp án đúng": "key",
    "answer": "key",
    "thời gian": "expected_seconds",
    "seconds": "expected_seconds",
    "ghi chú": "notes",
    "note": "notes",
}

_GUIDE = (
    ("Loại / Type", "single_choice | multiple_response | true_false_group | short_numeric | text_entry | essay"),
    ("Tiêu đề / Title", "Tên ngắn của câu hỏi (không bắt buộc) / short title (optional)"),
    ("Môn / Subject", "Môn học / subject"),
    ("Chủ đề / Topic", "Chủ đề / topic"),
    ("Mức độ / Level", "Biết | Hiểu | Vận dụng  (know | understand | apply)"),
    ("Câu hỏi / Stem", "Nội dung câu hỏi; công thức LaTeX trong $…$ / question text, LaTeX between $…$"),
    ("A … H", "Các phương án (A, B, …) hoặc các mệnh đề a) b) c) d) của câu Đúng/Sai / options or statements"),
    (
        "Đáp án / Key",
        "B  |  A,C (nhiều đáp án)  |  Đ,S,Đ,S hoặc T,F,T,F (đúng/sai)  |  -1,5 (trả lời ngắn)  |  "
        "đáp án 1|đáp án 2 (điền từ)  |  tự luận: trống hoặc 'Tiêu chí: Mức=điểm; Mức=điểm | …'",
    ),
    ("Sai số / Tolerance", "Sai số cho phép (trả lời ngắn) / absolute tolerance (short numeric)"),
    ("Số ô / Boxes", "Số ô ghi đáp án (trả lời ngắn) / number of answer boxes"),
    ("Điểm / Points", "Điểm của câu (mặc định 1) / points (default 1)"),
    (
        "Chấm / Scoring",
        "Nhiều đáp án: all_or_nothing | partial.  Đúng/Sai: trống = thang điểm quốc gia 0,1/0,25/0,5/1; "
        "all_or_nothing | partial | 0.1/0.25/0.5/1",
    ),
    ("Khớp / Match", "Điền từ: exact | normalised (mặc định) | normalised_no_diacritics | pattern"),
    ("Số từ tối đa / Max words", "Tự luận: giới hạn số từ / essay word limit"),
    ("Nguồn / Source", "Nguồn câu hỏi / source"),
    ("Thời gian (giây) / Expected seconds", "Thời gian dự kiến (giây) / expected time in seconds"),
    ("Ghi chú / Notes", "Ghi chú / notes"),
)

_TYPE_ALIASES = {
    **{name: name for name in SUPPORTED_TYPES},
    "single choice": "single_choice",
    "một lựa chọn": "single_choice",
    "một đáp án": "single_choice",
    "trắc nghiệm": "single_choice",
    "multiple response": "multiple_response",
    "nhiều lựa chọn": "multiple_response",
    "nhiều đáp án": "multiple_response",
    "true/false": "true_false_group",
    "true false": "true_false_group",
    "đúng/sai": "true_false_group",
    "đúng sai": "true_false_group",
    "short numeric": "short_numeric",
    "trả lời ngắn": "short_numeric",
    "text entry": "text_entry",
    "điền từ": "text_entry",
    "tự luận": "essay",
}
_LEVELS = {
    "know": "know",
    "biết": "know",
    "nhận biết": "know",
    "nb": "know",
    "understand": "understand",
    "hiểu": "understand",
    "thông hiểu": "understand",
    "th": "understand",
    "apply": "apply",
    "vận dụng": "apply",
    "vd": "apply",
}
_LEVEL_LABELS = {"know": "Biết", "understand": "Hiểu", "apply": "Vận dụng"}
_TRUE = {"đ", "đúng", "d", "dung", "t", "true", "1"}
_FALSE = {"s", "sai", "f", "false", "0"}
_MATCHES = ("exact", "normalised", "normalised_no_diacritics", "pattern")
_HTML_TAG = re.compile(
    r"</?(?:p|br|b|strong|i|em|u|sub|sup|span|div|blockquote|ul|ol|li|table|thead|tbody|tr|th|td|caption|img"
    r"|code|pre|math|mrow|mi|mn|mo|msub|msup|mfrac|msqrt)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_KEY_SPLIT = re.compile(r"[\s,;/]+")


class _RowError(Exception):
    """A row that cannot be imported; ``column`` is the field at fault, if one is."""

    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class _Header:
    row: int
    columns: dict[str, int]  # field -> 0-based column index
    width: int


# --- helpers ----------------------------------------------------------------------------


def _fmt(value: Decimal) -> str:
    """A decimal as plain text without exponent or trailing zeros: 1.0 -> "1", 0.250 -> "0.25"."""
    value = value.normalize()
    if value == value.to_integral():
        value = value.quantize(Decimal(1))
    return f"{value:f}"


_NATIONAL_SCALE = {str(k): _fmt(v) for k, v in DEFAULT_TRUE_FALSE_SCALE.items() if k}


def _column_letter(index: int) -> str:
    label = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        label = chr(65 + rest) + label
    return label


def _norm_label(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _label_fields() -> dict[str, str]:
    table: dict[str, str] = {}
    for name, label in _COLUMNS:
        table[_norm_label(label)] = name
        for part in label.split(" / "):
            table[_norm_label(part)] = name
    table.update(_EXTRA_ALIASES)
    return table


_LABEL_FIELDS = _label_fields()


def _field_of(label: str) -> str | None:
    norm = _norm_label(label)
    if norm in _LABEL_FIELDS:
        return _LABEL_FIELDS[norm]
    for part in re.split(r"\s*/\s*", norm):
        if part in _LABEL_FIELDS:
            return _LABEL_FIELDS[part]
    return None


def _text_to_html(text: str) -> str:
    if _HTML_TAG.search(text):
        return sanitize_html(text).strip()
    return html.escape(text, quote=False).replace("\r\n", "\n").replace("\n", "<br>")


def _html_to_text(fragment: str) -> str:
    """The cell text that ``_text_to_html`` turns back into ``fragment``."""
    plain = html.unescape(fragment.replace("<br>", "\n"))
    if _text_to_html(plain) == fragment:
        return plain
    return fragment


# --- reading ----------------------------------------------------------------------------


class _Row:
    def __init__(self, number: int, values: tuple[Any, ...], header: _Header) -> None:
        self.number = number
        self.values = values
        self.header = header

    def letter(self, name: str) -> str:
        return _column_letter(self.header.columns[name])

    def where(self, name: str) -> str:
        return f"column {self.letter(name)} ({_LABELS[name]})"

    def raw(self, name: str) -> Any:
        index = self.header.columns.get(name)
        if index is None or index >= len(self.values):
            return None
        return self.values[index]

    def text(self, name: str) -> str:
        value = self.raw(name)
        if value is None:
            return ""
        if isinstance(value, bool):
            text = "TRUE" if value else "FALSE"
        elif isinstance(value, float):
            text = repr(value) if not value.is_integer() else str(int(value))
        else:
            text = str(value)
        return unicodedata.normalize("NFC", text).strip()

    def number_value(self, name: str, what: str) -> Decimal | None:
        value = self.raw(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            raise _RowError(f"{self.where(name)}: {what} {value!r} is not a number", name)
        if isinstance(value, int | float | Decimal):
            try:
                number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            except InvalidOperation as exc:
                raise _RowError(f"{self.where(name)}: {what} {value!r} is not a number", name) from exc
            if not number.is_finite():
                raise _RowError(f"{self.where(name)}: {what} {value!r} is not a number", name)
            return number
        parsed = parse_decimal_answer(str(value))
        if parsed is None:
            raise _RowError(f"{self.where(name)}: {what} {str(value).strip()!r} is not a number", name)
        return parsed


def parse_xlsx(data: bytes, *, filename: str) -> ParseResult:
    """Read an Excel workbook in the bank's template into items and a report; never raises
    for bad input."""
    whole = SourceLocation(file=filename)
    problem = _check_zip(data)
    if problem:
        return _refuse(whole, problem)
    try:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - a report, never a crash, for any input
        return _refuse(whole, f"not a readable Excel workbook (.xlsx): {type(exc).__name__}: {exc}")
    try:
        return _parse_workbook(workbook, filename)
    except Exception as exc:  # noqa: BLE001
        return _refuse(whole, f"could not read the workbook: {type(exc).__name__}: {exc}")
    finally:
        workbook.close()


def _refuse(where: SourceLocation, message: str) -> ParseResult:
    return ParseResult(items=(), issues=(ImportIssue(where, message),))


def _archive_limits() -> ArchiveLimits:
    return ArchiveLimits(
        max_archive_bytes=MAX_FILE_BYTES,
        max_members=MAX_ZIP_MEMBERS,
        max_total_bytes=MAX_UNCOMPRESSED_BYTES,
        max_member_bytes=MAX_MEMBER_BYTES,
        max_ratio=MAX_RATIO,
        ratio_floor_bytes=RATIO_FLOOR_BYTES,
        backslashes="refuse",  # OPC part names never hold one
        what="workbook",
    )


def _check_zip(data: bytes) -> str | None:
    """Why the zip container is refused, or None (the guard reads every member once, so
    openpyxl never meets a lying header)."""
    try:
        archive = open_archive(data, limits=_archive_limits())
        if "xl/workbook.xml" not in archive:
            return "not an Excel workbook (.xlsx): the zip archive has no xl/workbook.xml"
        archive.verify()
    except ArchiveError as exc:
        if exc.code == "not_zip":
            return f"not an Excel workbook (.xlsx): {exc}; an old .xls, CSV or other file?"
        return str(exc) if exc.code == "too_large" else f"refused: {exc}"
    return None


def _parse_workbook(workbook: Any, filename: str) -> ParseResult:
    issues: list[ImportIssue] = []
    items: list[ImportedItem] = []
    whole = SourceLocation(file=filename)
    names = {name.casefold(): name for name in workbook.sheetnames}
    if SHEET_NAME.casefold() in names:
        sheet = workbook[names[SHEET_NAME.casefold()]]
    else:
        if not workbook.sheetnames:
            return _refuse(whole, "the workbook has no sheets")
        sheet = workbook[workbook.sheetnames[0]]
        issues.append(
            ImportIssue(whole, f"no sheet named {SHEET_NAME!r}; read the first sheet {sheet.title!r}", "warning")
        )
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()  # a wrong <dimension> must not hide rows
    sheet_where = SourceLocation(file=filename, element=sheet.title)

    header, header_issues = _read_header(sheet, filename)
    issues.extend(header_issues)
    if header is None:
        return ParseResult(items=(), issues=tuple(issues))

    count = 0
    rows = sheet.iter_rows(min_row=header.row + 1, max_col=header.width, values_only=True)
    for number, values in enumerate(rows, start=header.row + 1):
        count += 1
        if count > MAX_ROWS:
            return _refuse(sheet_where, f"too many rows: more than {MAX_ROWS} rows after the header")
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        row = _Row(number, tuple(values), header)
        try:
            items.append(_read_row(row, filename))
        except _RowError as exc:
            element = row.letter(exc.column) if exc.column and exc.column in header.columns else None
            issues.append(ImportIssue(SourceLocation(file=filename, row=number, element=element), str(exc)))
    if not items and not any(issue.severity == "error" for issue in issues):
        issues.append(ImportIssue(sheet_where, "the sheet has no item rows", "warning"))
    return ParseResult(items=tuple(items), issues=tuple(issues))


def _read_header(sheet: Any, filename: str) -> tuple[_Header | None, list[ImportIssue]]:
    issues: list[ImportIssue] = []
    for number, values in enumerate(sheet.iter_rows(max_row=MAX_HEADER_SCAN, values_only=True), start=1):
        cells = [(i, str(v).strip()) for i, v in enumerate(values) if v is not None and str(v).strip()]
        if not cells:
            continue
        columns: dict[str, int] = {}
        for index, label in cells:
            where = SourceLocation(file=filename, row=number, element=_column_letter(index))
            name = _field_of(label)
            if name is None:
                issues.append(ImportIssue(where, f"unknown column {label!r} ignored", "warning"))
            elif name in columns:
                issues.append(
                    ImportIssue(
                        where,
                        f"column {_column_letter(index)} ({label!r}) repeats column "
                        f"{_column_letter(columns[name])} ({_LABELS[name]})",
                    )
                )
                return None, issues
            else:
                columns[name] = index
        missing = [_LABELS[name] for name in _REQUIRED if name not in columns]
        if missing:
            issues.append(
                ImportIssue(
                    SourceLocation(file=filename, row=number),
                    f"the header row lacks the required column(s) {', '.join(repr(m) for m in missing)}",
                )
            )
            return None, issues
        return _Header(row=number, columns=columns, width=max(columns.values()) + 1), issues
    issues.append(
        ImportIssue(
            SourceLocation(file=filename),
            f"no header row found in the first {MAX_HEADER_SCAN} rows of sheet {sheet.title!r}",
        )
    )
    return None, issues


def _cell_text(row: _Row, name: str) -> str:
    text = row.text(name)
    if len(text) > MAX_CELL_CHARS:
        raise _RowError(f"{row.where(name)} holds {len(text)} characters (at most {MAX_CELL_CHARS})", name)
    return text


def _read_row(row: _Row, filename: str) -> ImportedItem:
    for name in row.header.columns:
        _cell_text(row, name)  # the length bound, before any work
    type_text = row.text("type")
    if not type_text:
        raise _RowError(f"{row.where('type')} is empty", "type")
    item_type = _TYPE_ALIASES.get(_norm_label(type_text).replace("-", "_"))
    if item_type is None:
        raise _RowError(
            f"{row.where('type')}: unknown item type {type_text!r}; expected one of {', '.join(SUPPORTED_TYPES)}",
            "type",
        )
    stem_text = row.text("stem")
    if not stem_text and item_type != "true_false_group":  # a group's statements may stand alone
        raise _RowError(f"{row.where('stem')} is empty", "stem")
    points = row.number_value("points", "points") if "points" in row.header.columns else None
    if points is None:
        points = Decimal(1)
    if points < 0:
        raise _RowError(f"{row.where('points')}: points {_fmt(points)} are negative", "points")
    points = Decimal(_fmt(points))

    content: dict[str, Any] = {"stem": _text_to_html(stem_text)}
    content.update(_READERS[item_type](row))
    key_doc = _key_document(item_type, content)
    try:
        validate_key(item_type, key_doc, points)
    except ValueError as exc:
        raise _RowError(f"{row.where('key')}: {exc}", "key") from exc
    return ImportedItem(
        item_type=item_type,
        content=content,
        source=SourceLocation(file=filename, row=row.number),
        title=row.text("title"),
        points=points,
        metadata=_metadata(row),
    )


def _metadata(row: _Row) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for name in ("subject", "topic", "source", "notes"):
        if text := row.text(name):
            meta[name] = text
    if level_text := row.text("level"):
        level = _LEVELS.get(_norm_label(level_text))
        if level is None:
            raise _RowError(
                f"{row.where('level')}: unknown level {level_text!r}; use Biết, Hiểu, Vận dụng "
                "(or know, understand, apply)",
                "level",
            )
        meta["level"] = level
    seconds = row.number_value("expected_seconds", "expected seconds")
    if seconds is not None:
        if seconds != seconds.to_integral() or seconds <= 0:
            raise _RowError(
                f"{row.where('expected_seconds')}: expected seconds {_fmt(seconds)} is not a whole number > 0",
                "expected_seconds",
            )
        meta["expected_seconds"] = int(seconds)
    return meta


def _key_document(item_type: str, content: dict[str, Any]) -> dict[str, Any]:
    if item_type == "single_choice":
        return {"key": content["key"]}
    if item_type == "multiple_response":
        return {
            "keys": content["keys"],
            "scoring": content["scoring"],
            "options": [o["id"] for o in content["options"]],
        }
    if item_type == "true_false_group":
        return {"keys": content["keys"], "scale": content["scale"]}
    if item_type == "short_numeric":
        return {"answer": content["answer"], "tolerance": content["tolerance"], "boxes": content["boxes"]}
    if item_type == "text_entry":
        return {k: content[k] for k in ("answers", "match", "ignore_diacritics")}
    key: dict[str, Any] = {"max_words": content["max_words"]} if content.get("max_words") is not None else {}
    if content["rubric"]:
        key["rubric"] = content["rubric"]
    return key


def _options(row: _Row, *, lower: bool, what: str) -> list[dict[str, str]]:
    present = [(letter, row.text(f"option:{letter}")) for letter in OPTION_LETTERS]
    filled = [letter for letter, text in present if text]
    last = filled[-1] if filled else None
    options = []
    for letter, text in present:
        if not text:
            if last is not None and letter < last and f"option:{letter}" in row.header.columns:
                raise _RowError(
                    f"{row.where(f'option:{letter}')} is empty but {what} {last} is filled", f"option:{letter}"
                )
            if last is not None and letter < last:
                raise _RowError(f"{what} {letter} is missing but {what} {last} is filled")
            continue
        options.append({"id": letter.lower() if lower else letter, "text": _text_to_html(text)})
    return options


def _span(ids: list[str]) -> str:
    return f"{ids[0]}–{ids[-1]}" if len(ids) > 1 else ids[0]


def _need_key(row: _Row) -> str:
    text = row.text("key")
    if not text:
        raise _RowError(f"{row.where('key')} is empty", "key")
    return text


def _choice_letters(row: _Row, text: str, ids: list[str]) -> list[str]:
    tokens = [t for t in _KEY_SPLIT.split(text.upper()) if t]
    if len(tokens) == 1 and len(tokens[0]) > 1 and tokens[0].isalpha():
        tokens = list(tokens[0])  # "AC"
    letters = []
    for token in tokens:
        token = token.rstrip(".)")
        if token not in ids:
            raise _RowError(f"key {token!r} is not one of the options {_span(ids)}", "key")
        if token in letters:
            raise _RowError(f"key {token!r} is given twice", "key")
        letters.append(token)
    return letters


def _read_single(row: _Row) -> dict[str, Any]:
    options = _options(row, lower=False, what="option")
    if len(options) < 2:
        raise _RowError(f"a single-choice item needs at least two options (columns A, B, …); it has {len(options)}")
    ids = [o["id"] for o in options]
    letters = _choice_letters(row, _need_key(row), ids)
    if len(letters) != 1:
        raise _RowError(
            f"{row.where('key')}: a single-choice item has one key, got {', '.join(letters)} "
            "(use the type multiple_response for several)",
            "key",
        )
    return {"options": options, "key": letters[0]}


def _scoring(row: _Row, allowed: tuple[str, ...], default: str) -> str:
    text = _norm_label(row.text("scoring")).replace(" ", "_").replace("-", "_")
    if not text:
        return default
    if text not in allowed:
        raise _RowError(
            f"{row.where('scoring')}: unknown scoring {row.text('scoring')!r}; expected {' or '.join(allowed)}",
            "scoring",
        )
    return text


def _read_multiple(row: _Row) -> dict[str, Any]:
    options = _options(row, lower=False, what="option")
    if len(options) < 2:
        raise _RowError(f"a multiple-response item needs at least two options (columns A, B, …); it has {len(options)}")
    ids = [o["id"] for o in options]
    keys = _choice_letters(row, _need_key(row), ids)
    scoring = _scoring(row, ("all_or_nothing", "partial"), "all_or_nothing")
    return {"options": options, "scoring": scoring, "keys": keys}


def _read_true_false(row: _Row) -> dict[str, Any]:
    statements = _options(row, lower=True, what="statement")
    if not statements:
        raise _RowError("a true/false group needs its statements in the columns A, B, …")
    text = _need_key(row)
    tokens = [t for t in _KEY_SPLIT.split(_norm_label(text)) if t]
    if len(tokens) == 1 and len(tokens[0]) == len(statements) > 1:
        tokens = list(tokens[0])  # "ĐSĐS"
    if len(tokens) != len(statements):
        raise _RowError(
            f"{row.where('key')}: key {text!r} gives {len(tokens)} values for {len(statements)} statements "
            "(one Đ/S or T/F per statement, e.g. Đ,S,Đ,S)",
            "key",
        )
    keys: dict[str, bool] = {}
    for statement, token in zip(statements, tokens, strict=True):
        if token in _TRUE:
            keys[statement["id"]] = True
        elif token in _FALSE:
            keys[statement["id"]] = False
        else:
            raise _RowError(f"{row.where('key')}: {token!r} for statement {statement['id']} is not Đ/S or T/F", "key")
    return {"statements": statements, "scale": _tf_scale(row, len(statements)), "keys": keys}


def _tf_scale(row: _Row, n: int) -> dict[str, str]:
    text = row.text("scoring")
    mode = _norm_label(text).replace(" ", "_").replace("-", "_")
    if not mode or mode in {"national", "quốc_gia"}:
        if n != 4:
            raise _RowError(
                f"{row.where('scoring') if 'scoring' in row.header.columns else 'the scoring'}: the national "
                f"true/false scale is for 4 statements, this group has {n}; give all_or_nothing, partial or "
                "the fractions (e.g. 0.5/1)",
                "scoring",
            )
        return dict(_NATIONAL_SCALE)
    if mode == "all_or_nothing":
        return {str(k): ("1" if k == n else "0") for k in range(1, n + 1)}
    if mode == "partial":
        return {str(k): _fmt(Decimal(k) / Decimal(n)) for k in range(1, n + 1)}
    parts = [p.strip() for p in text.split("/")]
    fractions = [parse_decimal_answer(p) for p in parts]
    if any(f is None for f in fractions):
        raise _RowError(
            f"{row.where('scoring')}: unknown scoring {text!r}; expected empty (national scale), all_or_nothing, "
            "partial or fractions such as 0.1/0.25/0.5/1",
            "scoring",
        )
    if len(parts) != n:
        raise _RowError(f"{row.where('scoring')}: {len(parts)} fractions for {n} statements", "scoring")
    return {str(k): _fmt(f) for k, f in enumerate(fractions, start=1) if f is not None}


def _read_short_numeric(row: _Row) -> dict[str, Any]:
    if row.raw("key") is None or not row.text("key"):
        raise _RowError(f"{row.where('key')} is empty", "key")
    answer = row.number_value("key", "key")
    assert answer is not None
    tolerance = row.number_value("tolerance", "tolerance") if "tolerance" in row.header.columns else None
    tolerance = tolerance if tolerance is not None else Decimal(0)
    if tolerance < 0:
        raise _RowError(f"{row.where('tolerance')}: tolerance {_fmt(tolerance)} is negative", "tolerance")
    boxes_value = row.number_value("boxes", "boxes") if "boxes" in row.header.columns else None
    boxes = None
    if boxes_value is not None:
        if boxes_value != boxes_value.to_integral() or boxes_value < 1:
            raise _RowError(f"{row.where('boxes')}: boxes {_fmt(boxes_value)} is not a whole number >= 1", "boxes")
        boxes = int(boxes_value)
    return {"boxes": boxes, "answer": f"{answer:f}", "tolerance": f"{tolerance:f}"}


def _read_text_entry(row: _Row) -> dict[str, Any]:
    text = row.raw("key")
    raw = "" if text is None else unicodedata.normalize("NFC", str(text))
    if not raw.strip():
        raise _RowError(f"{row.where('key')} is empty", "key")
    lines = raw.replace("\r\n", "\n").split("\n")
    if len(lines) > 1:  # one answer per line; "|" is then part of an answer
        answers = [line.strip() for line in lines if line.strip()]
    else:
        answers = [part.strip() for part in raw.split("|")]
        if not all(answers):
            raise _RowError(f"{row.where('key')}: an accepted answer between '|' is empty", "key")
    match_text = _norm_label(row.text("match")).replace(" ", "_").replace("-", "_").replace("normalized", "normalised")
    match = match_text or "normalised"
    if match not in _MATCHES:
        raise _RowError(
            f"{row.where('match')}: unknown match {row.text('match')!r}; expected {', '.join(_MATCHES)}", "match"
        )
    ignore = match == "normalised_no_diacritics"
    return {"match": "normalised" if ignore else match, "ignore_diacritics": ignore, "answers": answers}


def _read_essay(row: _Row) -> dict[str, Any]:
    rubric = _parse_rubric(row, row.text("key")) if row.text("key") else []
    max_words_value = row.number_value("max_words", "max words") if "max_words" in row.header.columns else None
    max_words = None
    if max_words_value is not None:
        if max_words_value != max_words_value.to_integral() or max_words_value < 1:
            raise _RowError(
                f"{row.where('max_words')}: max words {_fmt(max_words_value)} is not a whole number >= 1", "max_words"
            )
        max_words = int(max_words_value)
    return {"rubric": rubric, "max_words": max_words}


def _parse_rubric(row: _Row, text: str) -> list[dict[str, Any]]:
    rubric = []
    for chunk in text.replace("\r\n", "\n").replace("\n", "|").split("|"):
        if not chunk.strip():
            continue
        name, colon, levels_text = chunk.partition(":")
        if not colon or not name.strip():
            raise _RowError(
                f"{row.where('key')}: rubric criterion {chunk.strip()!r} is not 'criterion: level=points; …'", "key"
            )
        levels = []
        for level_text in levels_text.split(";"):
            if not level_text.strip():
                continue
            label, equals, points_text = level_text.rpartition("=")
            value = parse_decimal_answer(points_text) if equals else None
            if not label.strip() or value is None:
                raise _RowError(
                    f"{row.where('key')}: rubric level {level_text.strip()!r} of {name.strip()!r} is not 'label=points'",
                    "key",
                )
            levels.append({"label": label.strip(), "points": _fmt(value)})
        rubric.append({"criterion": name.strip(), "levels": levels})
    return rubric


_READERS = {
    "single_choice": _read_single,
    "multiple_response": _read_multiple,
    "true_false_group": _read_true_false,
    "short_numeric": _read_short_numeric,
    "text_entry": _read_text_entry,
    "essay": _read_essay,
}


# --- writing ----------------------------------------------------------------------------


def write_xlsx(items: Iterable[ImportedItem]) -> bytes:
    """Write items in the template (sheet ``Items`` and a guide sheet); the inverse of
    :func:`parse_xlsx` for the supported types.

    Raises ``ValueError`` for an item the template cannot hold (another type, more than
    eight options, a text entry answer with both ``|`` and a line break, ...)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAME)
    bold = Font(bold=True)
    header = []
    for _, label in _COLUMNS:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        header.append(cell)
    sheet.freeze_panes = "A2"
    widths = {"stem": 60, "key": 16, "type": 18}
    for index, (name, _) in enumerate(_COLUMNS):
        sheet.column_dimensions[_column_letter(index)].width = widths.get(name, 24 if ":" not in name else 20)
    sheet.append(header)
    try:
        for item in items:
            sheet.append([_cell(sheet, value) for value in _row_of(item)])
    except Exception:
        workbook.save(io.BytesIO())  # close the streamed sheet cleanly, then report
        raise
    guide = workbook.create_sheet(GUIDE_SHEET_NAME)
    guide.column_dimensions["A"].width = 36
    guide.column_dimensions["B"].width = 110
    title = WriteOnlyCell(guide, value="Cột / Column")
    title.font = bold
    note = WriteOnlyCell(guide, value="Cách ghi / How to fill in")
    note.font = bold
    guide.append([title, note])
    for label, text in _GUIDE:
        cell = WriteOnlyCell(guide, value=text)
        cell.alignment = Alignment(wrap_text=True)
        guide.append([label, cell])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(sheet: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # text, never a formula
        return cell
    return value


def _row_of(item: ImportedItem) -> list[Any]:
    if item.item_type not in SUPPORTED_TYPES:
        raise CannotHold(
            item, format="xlsx", kind="type", reason=f"the Excel template cannot hold a {item.item_type} item"
        )
    content = item.content
    values: dict[str, Any] = {
        "type": item.item_type,
        "title": item.title or None,
        "stem": _html_to_text(content.get("stem", "")),
        "points": item.points,
    }
    meta = item.metadata
    for name in ("subject", "topic", "source", "notes", "expected_seconds"):
        if meta.get(name) not in (None, ""):
            values[name] = meta[name]
    if meta.get("level"):
        values["level"] = _LEVEL_LABELS.get(meta["level"], meta["level"])
    writer = _WRITERS[item.item_type]
    values.update(writer(item))
    return [values.get(name) for name, _ in _COLUMNS]


def _write_options(item: ImportedItem, entries: list[dict[str, str]]) -> dict[str, Any]:
    if len(entries) > len(OPTION_LETTERS):
        raise ValueError(f"{item.source}: {len(entries)} options; the template has {len(OPTION_LETTERS)} columns")
    values = {}
    for letter, entry in zip(OPTION_LETTERS, entries, strict=False):
        if entry["id"].upper() != letter:
            raise ValueError(f"{item.source}: option id {entry['id']!r} in the place of {letter}")
        values[f"option:{letter}"] = _html_to_text(entry["text"])
    return values


def _write_single(item: ImportedItem) -> dict[str, Any]:
    return {**_write_options(item, item.content["options"]), "key": item.content["key"]}


def _write_multiple(item: ImportedItem) -> dict[str, Any]:
    scoring = item.content.get("scoring", "all_or_nothing")
    return {
        **_write_options(item, item.content["options"]),
        "key": ",".join(item.content["keys"]),
        "scoring": scoring,
    }


def _write_true_false(item: ImportedItem) -> dict[str, Any]:
    statements = item.content["statements"]
    keys = item.content["keys"]
    scale = {str(k): _fmt(Decimal(str(v))) for k, v in (item.content.get("scale") or {}).items() if str(k) != "0"}
    n = len(statements)
    if not scale and n != 4:
        raise ValueError(f"{item.source}: a group of {n} statements without a scale")
    scoring = None if not scale or scale == _NATIONAL_SCALE else "/".join(scale[str(k)] for k in range(1, n + 1))
    return {
        **_write_options(item, statements),
        "key": ",".join("Đ" if keys[s["id"]] else "S" for s in statements),
        "scoring": scoring,
    }


def _write_short_numeric(item: ImportedItem) -> dict[str, Any]:
    content = item.content
    tolerance = content.get("tolerance") or "0"
    return {
        "key": str(content["answer"]),
        "tolerance": None if Decimal(str(tolerance)) == 0 and str(tolerance) == "0" else str(tolerance),
        "boxes": content.get("boxes"),
    }


def _write_text_entry(item: ImportedItem) -> dict[str, Any]:
    answers = [str(a) for a in item.content["answers"]]
    if any("\n" in a for a in answers):
        raise ValueError(f"{item.source}: an accepted answer holds a line break")
    separator = "\n" if any("|" in a for a in answers) else "|"
    if separator == "\n" and len(answers) == 1:
        answers = [*answers, ""]  # a second line marks the line-per-answer form
    match = item.content.get("match", "exact")
    if item.content.get("ignore_diacritics"):
        match = "normalised_no_diacritics"
    return {"key": separator.join(answers), "match": match}


def _write_essay(item: ImportedItem) -> dict[str, Any]:
    rubric = item.content.get("rubric") or []
    parts = []
    for criterion in rubric:
        name = criterion["criterion"]
        if any(ch in name for ch in "|:\n"):
            raise ValueError(f"{item.source}: rubric criterion {name!r} holds '|', ':' or a line break")
        levels = []
        for level in criterion["levels"]:
            if any(ch in level["label"] for ch in "|;\n"):
                raise ValueError(f"{item.source}: rubric level {level['label']!r} holds '|', ';' or a line break")
            levels.append(f"{level['label']}={_fmt(Decimal(str(level['points'])))}")
        parts.append(f"{name}: {'; '.join(levels)}")
    return {"key": " | ".join(parts) or None, "max_words": item.content.get("max_words")}


_WRITERS = {
    "single_choice": _write_single,
    "multiple_response": _write_multiple,
    "true_false_group": _write_true_false,
    "short_numeric": _write_short_numeric,
    "text_entry": _write_text_entry,
    "essay": _write_essay,
}


# --- the empty template -----------------------------------------------------------------


def _examples() -> Iterator[ImportedItem]:
    where = SourceLocation(file="template.xlsx")
    common = {"subject": "Toán", "topic": "Hàm số", "source": "Ví dụ / example"}
    yield ImportedItem(
        "single_choice",
        {
            "stem": "Đạo hàm của $y = x^2$ là",
            "options": [{"id": i, "text": t} for i, t in zip("ABCD", ("$2x$", "$x$", "$x^2$", "$2$"), strict=True)],
            "key": "A",
        },
        where,
        points=Decimal("0.25"),
        metadata={**common, "level": "know", "expected_seconds": 60},
    )
    yield ImportedItem(
        "multiple_response",
        {
            "stem": "Chọn các số nguyên tố",
            "options": [{"id": i, "text": t} for i, t in zip("ABCD", ("2", "4", "5", "9"), strict=True)],
            "scoring": "partial",
            "keys": ["A", "C"],
        },
        where,
        points=Decimal("0.5"),
        metadata={**common, "level": "understand"},
    )
    yield ImportedItem(
        "true_false_group",
        {
            "stem": "Cho hàm số $y = x^3 - 3x$. Xét tính đúng sai của các mệnh đề sau.",
            "statements": [
                {"id": i, "text": t}
                for i, t in zip(
                    "abcd",
                    ("Hàm số có hai cực trị", "Hàm số đồng biến trên ℝ", "$y'(1) = 0$", "Đồ thị đi qua gốc tọa độ"),
                    strict=True,
                )
            ],
            "scale": dict(_NATIONAL_SCALE),
            "keys": {"a": True, "b": False, "c": True, "d": True},
        },
        where,
        points=Decimal("1"),
        metadata={**common, "level": "understand"},
    )
    yield ImportedItem(
        "short_numeric",
        {"stem": "Giải phương trình $2x + 3 = 0$.", "boxes": 4, "answer": "-1.5", "tolerance": "0"},
        where,
        points=Decimal("0.5"),
        metadata={**common, "level": "apply"},
    )
    yield ImportedItem(
        "text_entry",
        {
            "stem": "Thủ đô của Việt Nam là",
            "match": "normalised",
            "ignore_diacritics": False,
            "answers": ["Hà Nội", "Ha Noi"],
        },
        where,
        metadata={"subject": "Địa lí", "level": "know"},
    )
    yield ImportedItem(
        "essay",
        {
            "stem": "Trình bày cách khảo sát một hàm số bậc ba.",
            "rubric": [
                {
                    "criterion": "Nội dung",
                    "levels": [{"label": "Tốt", "points": "2"}, {"label": "Chưa đạt", "points": "0"}],
                },
                {
                    "criterion": "Trình bày",
                    "levels": [{"label": "Tốt", "points": "1"}, {"label": "Chưa", "points": "0"}],
                },
            ],
            "max_words": 300,
        },
        where,
        points=Decimal("3"),
        metadata={**common, "level": "apply", "expected_seconds": 900},
    )


def template_xlsx() -> bytes:
    """An empty template: the header, one example row per supported type, and the guide."""
    return write_xlsx(_examples())
