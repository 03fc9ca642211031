"""Import of Word (.docx) question files in the common Vietnamese layout.

``parse_docx`` reads a .docx with ``python-docx`` (after the shared zip guard,
``accounts.archive``, has checked the container and read every part once with
the limits below), turns the document into a stream of text lines, finds the questions in
it and maps them to the bank's content model (docs/decisions/0003). Like the other
importers it never raises for bad input: everything it cannot read is an ``ImportIssue``
naming the question ("Câu N") and the paragraph (1-based, in document order, paragraphs
inside tables included).

Layout understood
-----------------
- A question starts a line with "Câu N." / "Câu N:" (optionally "Câu N (NB):") or
  "Question N.". Text before the first question (titles, instructions) is ignored.
- Options "A." … "D." (or "A)"), one per line, several on a line ("A. x   B. y"), or in
  table cells; an option continues on the following lines until the next marker.
- "PHẦN I" / "PHẦN II" / "PHẦN III" (national exam from 2025) set the part: part I is
  ``single_choice``; part II questions with statements "a)" … "d)" are
  ``true_false_group`` with the national scale; part III questions (no options) are
  ``short_numeric``. Question numbers restart in each part.
- The key, in order of precedence:
  1. a key table after an "ĐÁP ÁN" / "BẢNG ĐÁP ÁN" heading: a table (a row of question
     numbers above a row of answers, number/answer cell pairs, or "1.A" cells) or lines
     such as "1.A 2.B", "1-A", "Câu 1: a) Đ, b) S, c) Đ, d) S", "Câu 2: 1,5";
  2. a line "Đáp án: B" inside the question (or "Chọn B" in its explanation);
  3. a key column in a question-per-row table (the VNHSGE layout: ID | image | question |
     key letter | image | explanation);
  4. formatting of the option (letter or most of its text): underline first, then a
     colour or highlight, then bold; it counts only if exactly one option has it. In part
     II, underlined (coloured, bold) statements are the true ones.
  When an explicit key and the formatting disagree, the explicit key wins with a warning.
- Explanations: lines after "Lời giải" / "Hướng dẫn giải" / "Giải thích", and the
  explanation column of a question-per-row table, go to ``feedback["general"]``.
- Word equations (OMML) become LaTeX between ``$…$``; parts that cannot be converted keep
  their linear text, with a warning on the item.
- Images: ``<img src="media:NAME" alt="">`` where they stand; ``metadata["media"]`` lists
  them (name, part name, content type, size) and ``metadata["files"]`` holds the bytes
  (the Moodle importer's convention).
- Only subscript, superscript and italics are kept from the character formatting:
  underline, bold and colour are how keys are marked, so they never reach the student.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from accounts.archive import ArchiveError, ArchiveLimits, open_archive
from itembank.interchange.base import ImportedItem, ImportIssue, ParseResult, SourceLocation
from itembank.richtext import sanitize_html

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_MEMBER_BYTES = 100 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
RATIO_FLOOR_BYTES = 1024 * 1024  # the ratio is checked for members at least this large
MAX_IMAGES = 6000  # one private-use character per image in the line text

NATIONAL_SCALE = {"0": "0", "1": "0.1", "2": "0.25", "3": "0.5", "4": "1"}

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_M = "http://schemas.openxmlformats.org/officeDocument/2006/math"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_V = "urn:schemas-microsoft-com:vml"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


def _m(tag: str) -> str:
    return f"{{{_M}}}{tag}"


# Character flags kept per character of a line.
_UNDERLINE, _BOLD, _COLOUR, _SUB, _SUP, _ITALIC = 1, 2, 4, 8, 16, 32
_MARKS = (_UNDERLINE, _COLOUR, _BOLD)  # key-marking signals, strongest first
_IMAGE_BASE = 0xE000

_QUESTION_RE = re.compile(
    r"^\s*(?:Câu|Question)\s*(\d{1,4})\s*(?:\([^)]{0,30}\)|\[[^\]]{0,30}\])?\s*[.:]",
    re.IGNORECASE,
)
_PART_RE = re.compile(r"^\s*PHẦN\s+(III|II|I|[123])(?![A-Za-z0-9])", re.IGNORECASE)
_KEY_HEADING_RE = re.compile(r"^\s*(?:BẢNG\s+)?ĐÁP\s*ÁN\b", re.IGNORECASE)
_INLINE_KEY_RE = re.compile(r"^\s*(?:Đáp\s*án(?:\s+đúng)?|ĐA)\s*[:.]?\s*(.+?)\s*$", re.IGNORECASE)
_CHOOSE_RE = re.compile(r"\bchọn\s*(?:đáp\s*án\s*)?[:.]?\s*([A-H])\s*\.?\s*$", re.IGNORECASE)
_EXPLANATION_RE = re.compile(r"^\s*(?:Lời\s+giải|Hướng\s+dẫn(?:\s+giải)?|Giải\s+thích|Giải)\s*[:.]", re.IGNORECASE)
_OPTION_START_RE = re.compile(r"^\s*([A-H])\s*[.)]")
_STATEMENT_START_RE = re.compile(r"^\s*([a-h])\s*[).]")
_PAIR_RE = re.compile(r"(?<!\d)(\d{1,3})\s*[.\-:)–]?\s*([A-H])(?![A-Za-zÀ-ỹĐđ])")
_TF_PAIR_RE = re.compile(r"([a-h])\s*[).:]?\s*(Đúng|Sai|Đ|S|T|F)(?![A-Za-zÀ-ỹ])", re.IGNORECASE)
_NUMBER_RE = re.compile(r"[+\-−]?\s*\d+(?:[.,]\d+)?")
_ROMAN = {"1": "I", "2": "II", "3": "III", "I": "I", "II": "II", "III": "III"}


class _Refused(Exception):
    """The whole file is refused; the message says why."""


# --------------------------------------------------------------------------- entry point


def parse_docx(data: bytes, *, filename: str) -> ParseResult:
    """Read a .docx file into items and a report; never raises for bad input."""
    whole = SourceLocation(file=filename)
    try:
        document = _open(data)
        reader = _Reader(filename, document)
        reader.read()
    except _Refused as exc:
        return ParseResult(items=(), issues=(ImportIssue(whole, str(exc)),))
    except Exception as exc:  # noqa: BLE001 - a report, never a crash, for any input
        return ParseResult(items=(), issues=(ImportIssue(whole, f"cannot read the document ({type(exc).__name__})"),))
    return ParseResult(items=tuple(reader.items), issues=tuple(reader.issues))


def _archive_limits() -> ArchiveLimits:
    return ArchiveLimits(
        max_archive_bytes=MAX_FILE_BYTES,
        max_members=MAX_ZIP_MEMBERS,
        max_total_bytes=MAX_UNCOMPRESSED_BYTES,
        max_member_bytes=MAX_MEMBER_BYTES,
        max_ratio=MAX_COMPRESSION_RATIO,
        ratio_floor_bytes=RATIO_FLOOR_BYTES,
        backslashes="refuse",  # OPC part names never hold one
        what="package",
    )


def _open(data: bytes) -> Any:
    """The python-docx document, after the zip guard checked the package and read every
    part once (so python-docx never meets a lying header)."""
    try:
        archive = open_archive(data, limits=_archive_limits())
        if "word/document.xml" not in archive and "[Content_Types].xml" not in archive:
            raise _Refused("not a Word .docx file (the package has no word/document.xml)")
        archive.verify()
    except ArchiveError as exc:
        if exc.code == "not_zip":
            raise _Refused(f"not a Word .docx file (a .docx is a zip package): {exc}") from exc
        raise _Refused(str(exc) if exc.code == "too_large" else f"refused: {exc}") from exc
    import docx  # python-docx; imported here so the module loads without it

    try:
        return docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds
        raise _Refused(f"not a Word .docx file python-docx can open ({type(exc).__name__}: {exc})") from exc


# --------------------------------------------------------------------------- lines


@dataclass
class _Line:
    """One line of text (a paragraph, or part of one split at a line break)."""

    text: str
    flags: list[int]
    para: int
    warnings: list[str] = field(default_factory=list)

    def slice(self, start: int, end: int | None = None) -> _Line:
        return _Line(self.text[start:end], self.flags[start:end], self.para, self.warnings)

    def strip(self) -> _Line:
        left = len(self.text) - len(self.text.lstrip())
        right = len(self.text.rstrip())
        return self.slice(left, max(left, right))


@dataclass
class _Question:
    number: int
    part: str | None
    para: int
    lines: list[_Line] = field(default_factory=list)
    explanation: list[_Line] = field(default_factory=list)
    inline_key: str | None = None
    column_key: str | None = None
    source_id: str = ""
    extra_stem: list[_Line] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"Câu {self.number}" if self.part is None else f"Phần {self.part}, Câu {self.number}"


class _Invalid(Exception):
    pass


@dataclass
class _Key:
    kind: str  # "letter" | "tf" | "number"
    value: Any
    para: int


class _Reader:
    def __init__(self, filename: str, document: Any) -> None:
        self.filename = filename
        self.document = document
        self.items: list[ImportedItem] = []
        self.issues: list[ImportIssue] = []
        self.images: list[dict[str, Any]] = []
        self.image_bytes: list[bytes] = []
        self.para_index: dict[Any, int] = {}
        self.keys: dict[tuple[str | None, int], _Key] = {}
        self.key_parts_seen = False
        self.questions: list[_Question] = []
        self.part: str | None = None
        self.current: _Question | None = None
        self.in_keys = False
        self.key_part: str | None = None
        self.explaining = False

    # --- document walk -----------------------------------------------------------------

    def read(self) -> None:
        body = self.document.element.body
        for number, p in enumerate(body.iter(_w("p")), start=1):
            self.para_index[p] = number
        for child in self._block_children(body):
            if child.tag == _w("p"):
                for line in self._lines(child):
                    self._handle_line(line)
            else:
                self._handle_table(child)
        self._finish()

    def _handle_table(self, tbl: Any) -> None:
        rows = [[tc for tc in tr if tc.tag == _w("tc")] for tr in tbl if tr.tag == _w("tr")]
        if self.in_keys:
            self._key_table(rows)
            return
        with_question = sum(1 for row in rows if self._question_cell(row) is not None)
        if with_question and with_question * 2 >= len(rows):
            # A question-per-row table (as in the VNHSGE corpus).
            self.current = None
            for row in rows:
                index = self._question_cell(row)
                if index is not None:
                    self._row_question(row, index)
            return
        for row in rows:  # any other table: its cells are read as lines, in order
            for tc in row:
                for child in self._block_children(tc):
                    if child.tag == _w("p"):
                        for line in self._lines(child):
                            self._handle_line(line)
                    else:
                        self._handle_table(child)

    def _handle_line(self, line: _Line) -> None:
        text = line.text.strip()
        if not text:
            return
        if part_match := _PART_RE.match(text):
            roman = _ROMAN[part_match.group(1).upper()]
            if self.in_keys:
                self.key_part = roman
                self.key_parts_seen = True
            else:
                self.part, self.current, self.explaining = roman, None, False
            return
        if self.questions and _is_key_heading(text):
            self.in_keys, self.current, self.key_part = True, None, None
            if part_match := re.search(r"PHẦN\s+(III|II|I|[123])(?![A-Za-z0-9])", text, re.IGNORECASE):
                self.key_part = _ROMAN[part_match.group(1).upper()]
                self.key_parts_seen = True
            return
        if self.in_keys:
            self._key_line(text, self.key_part, line.para)
            return
        if match := _QUESTION_RE.match(line.text):
            self.current = _Question(int(match.group(1)), self.part, line.para, lines=[line])
            self.questions.append(self.current)
            self.explaining = False
            return
        current = self.current
        if current is None:
            return
        if _EXPLANATION_RE.match(text):
            self.explaining = True
            current.explanation.append(line)
            return
        inline = _INLINE_KEY_RE.match(text)
        if inline and _key_value(inline.group(1)):
            current.inline_key = inline.group(1)
            return
        if self.explaining:
            if (choose := _CHOOSE_RE.search(text)) and current.inline_key is None:
                current.inline_key = choose.group(1)
            current.explanation.append(line)
            return
        current.lines.append(line)

    def _finish(self) -> None:
        if not self.questions:
            self.issues.append(
                ImportIssue(
                    SourceLocation(file=self.filename),
                    "no questions found: expected paragraphs starting with 'Câu 1.' or 'Câu 1:' (or 'Question 1.')",
                )
            )
            return
        seen: dict[tuple[str | None, int], int] = {}
        for q in self.questions:
            where = SourceLocation(file=self.filename, line=q.para, element=f"Câu {q.number}")
            ident = (q.part, q.number)
            if ident in seen:
                self.issues.append(
                    ImportIssue(
                        where,
                        f"{q.label} (paragraph {q.para}): duplicate question number "
                        f"(already at paragraph {seen[ident]}); not imported",
                    )
                )
                continue
            seen[ident] = q.para
            try:
                self.items.append(self._build(q, where))
            except _Invalid as exc:
                self.issues.append(ImportIssue(where, f"{q.label} (paragraph {q.para}): {exc}"))
            except Exception as exc:  # noqa: BLE001 - a report, never a crash
                self.issues.append(
                    ImportIssue(where, f"{q.label} (paragraph {q.para}): could not read ({type(exc).__name__})")
                )

    def _block_children(self, parent: Any) -> Iterator[Any]:
        for child in parent:
            if child.tag in (_w("p"), _w("tbl")):
                yield child
            elif child.tag in (_w("sdt"), _w("customXml")):
                content = child.find(_w("sdtContent")) if child.tag == _w("sdt") else child
                if content is not None:
                    yield from self._block_children(content)

    def _question_cell(self, row: list[Any]) -> int | None:
        for index, tc in enumerate(row):
            text = "".join(t.text or "" for t in tc.iter(_w("t")))
            if _QUESTION_RE.match(text):
                return index
        return None

    def _cell_lines(self, tc: Any) -> list[_Line]:
        lines: list[_Line] = []
        for child in self._block_children(tc):
            if child.tag == _w("p"):
                lines.extend(self._lines(child))
            else:
                for tr in child.iter(_w("tc")):
                    for p in tr.findall(_w("p")):
                        lines.extend(self._lines(p))
        return lines

    def _row_question(self, row: list[Any], index: int) -> None:
        cells = [self._cell_lines(tc) for tc in row]
        question = cells[index]
        first = next(i for i, line in enumerate(question) if _QUESTION_RE.match(line.text))
        question = question[first:]
        match = _QUESTION_RE.match(question[0].text)
        assert match is not None
        q = _Question(int(match.group(1)), self.part, question[0].para, lines=question)
        for position, lines in enumerate(cells):
            if position == index:
                continue
            text = "\n".join(line.text for line in lines).strip()
            images = [line for line in lines if any(_is_image(c) for c in line.text)]
            if position < index:  # an identifier, or an image that belongs to the question
                if text and not q.source_id and not _only_images(text):
                    q.source_id = text
                q.extra_stem.extend(images)
            elif q.column_key is None and text and len(text) <= 40 and _key_value(text):
                q.column_key = text
            else:  # the explanation (and its images)
                q.explanation.extend(line for line in lines if line.text.strip())
        self.questions.append(q)

    def _lines(self, p: Any) -> Iterator[_Line]:
        para = self.para_index.get(p, 0)
        text: list[str] = []
        flags: list[int] = []
        warnings: list[str] = []
        for piece, flag in self._pieces(p, 0, warnings):
            if piece == "\n":
                yield _Line("".join(text), flags, para, warnings)
                text, flags, warnings = [], [], []
                continue
            text.append(piece)
            flags.extend([flag] * len(piece))
        yield _Line("".join(text), flags, para, warnings)

    def _pieces(self, elem: Any, flag: int, warnings: list[str]) -> Iterator[tuple[str, int]]:
        """Text pieces of a paragraph in order, with character flags; "\\n" is a line break."""
        for child in elem:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag == _w("r"):
                yield from self._pieces(child, _run_flags(child), warnings)
            elif tag == _w("t"):
                yield child.text or "", flag
            elif tag == _w("tab"):
                yield "\t", flag
            elif tag in (_w("br"), _w("cr")):
                yield "\n", 0
            elif tag == _w("noBreakHyphen"):
                yield "-", flag
            elif tag == _w("sym"):
                yield _symbol(child), flag
            elif tag in (_w("drawing"), _w("pict"), _w("object")):
                yield from self._image_pieces(child)
            elif tag in (_m("oMath"), _m("oMathPara")):
                latex, ok = _omml_to_latex(child)
                if not ok:
                    warnings.append("an equation could not be fully converted; its linear text is kept")
                yield f"${latex}$" if latex.strip() else "", 0
            elif tag == f"{{{_MC}}}AlternateContent":
                choice = child.find(f"{{{_MC}}}Choice")
                if choice is not None:
                    yield from self._pieces(choice, flag, warnings)
                else:
                    fallback = child.find(f"{{{_MC}}}Fallback")
                    if fallback is not None:
                        yield from self._pieces(fallback, flag, warnings)
            elif tag in (_w("rPr"), _w("pPr"), _w("del"), _w("moveFrom"), _w("instrText"), _w("delText")):
                continue
            else:  # hyperlink, ins, smartTag, fldSimple, sdt content, ...
                yield from self._pieces(child, flag, warnings)

    def _image_pieces(self, elem: Any) -> Iterator[tuple[str, int]]:
        ids = [blip.get(f"{{{_R}}}embed") for blip in elem.iter(f"{{{_A}}}blip")]
        ids += [data.get(f"{{{_R}}}id") for data in elem.iter(f"{{{_V}}}imagedata")]
        for rid in ids:
            if not rid:
                continue
            try:
                part = self.document.part.related_parts[rid]
            except KeyError:
                continue
            if len(self.images) >= MAX_IMAGES:
                raise _Refused(f"refused: the document has more than {MAX_IMAGES} images")
            blob = part.blob
            partname = str(part.partname)
            self.images.append(
                {
                    "name": posixpath.basename(partname),
                    "part": partname,
                    "content_type": part.content_type,
                    "size": len(blob),
                }
            )
            self.image_bytes.append(blob)
            yield chr(_IMAGE_BASE + len(self.images) - 1), 0

    # --- keys ----------------------------------------------------------------------------

    def _store_key(self, part: str | None, number: int, key: _Key, para: int) -> None:
        key.para = para
        self.keys.setdefault((part, number), key)

    def _key_line(self, text: str, part: str | None, para: int) -> None:
        match = re.match(r"^\s*(?:Câu|Question)\s*(\d{1,4})\s*[:.\-]?\s*(.+)$", text, re.IGNORECASE)
        if match and (key := _key_value(match.group(2))):
            self._store_key(part, int(match.group(1)), key, para)
            return
        for number, letter in _PAIR_RE.findall(text):
            self._store_key(part, int(number), _Key("letter", letter, 0), para)

    def _key_table(self, rows: list[list[Any]]) -> None:
        """A key table: numbers above answers, number/answer cell pairs, or "1.A" cells."""
        part = self.key_part
        texts: list[list[str]] = []
        paras: list[list[int]] = []
        for row in rows:
            row_texts, row_paras = [], []
            for tc in row:
                lines = self._cell_lines(tc)
                row_texts.append(" ".join(line.text for line in lines).strip())
                row_paras.append(lines[0].para if lines else 0)
            texts.append(row_texts)
            paras.append(row_paras)
        for row_texts, row_paras in zip(texts, paras, strict=True):
            for text, para in zip(row_texts, row_paras, strict=True):
                if part_match := _PART_RE.match(text):
                    part = _ROMAN[part_match.group(1).upper()]
                    self.key_parts_seen = True
                elif not _question_number(text):
                    self._key_line(text, part, para)
        # Numbers above answers: a row labelled "Câu" holding numbers, or a row of numbers
        # over a row without any.
        horizontal = any(
            row
            and row[0]
            and not _question_number(row[0])
            and not _key_value(row[0])
            and any(_question_number(t) for t in row[1:])
            for row in texts
        ) or any(
            sum(1 for t in texts[i] if _question_number(t)) >= 2 and not any(_question_number(t) for t in texts[i + 1])
            for i in range(len(texts) - 1)
        )
        if horizontal:
            used: set[int] = set()
            for index in range(len(texts) - 1):
                numbers, answers = texts[index], texts[index + 1]
                if index in used or not any(_question_number(t) for t in numbers):
                    continue
                used.add(index + 1)  # an answers row is never a numbers row too
                for column, text in enumerate(numbers):
                    number = _question_number(text)
                    if number and column < len(answers) and (key := _key_value(answers[column])):
                        self._store_key(part, number, key, paras[index + 1][column])
            return
        current: int | None = None
        for row_texts, row_paras in zip(texts, paras, strict=True):
            for column, text in enumerate(row_texts):
                following = row_texts[column + 1] if column + 1 < len(row_texts) else ""
                para = row_paras[column]
                if number := _question_number(text):
                    current = number
                    if key := _key_value(following):
                        self._store_key(part, number, key, para)
                elif current is not None and (statement := re.fullmatch(r"([a-h])\s*\)?", text)):
                    word = following.strip().strip(".")
                    if re.fullmatch(r"Đúng|Sai|Đ|S|T|F", word, re.IGNORECASE):
                        existing = self.keys.get((part, current))
                        if existing is None or existing.kind != "tf":
                            existing = _Key("tf", {}, para)
                            self.keys[(part, current)] = existing
                        existing.value[statement.group(1)] = _truth(word)

    def _lookup(self, q: _Question) -> _Key | None:
        key = self.keys.get((q.part, q.number))
        if key is None and (q.part is None or not self.key_parts_seen):
            key = self.keys.get((None, q.number))
        return key

    # --- one question --------------------------------------------------------------------

    def _build(self, q: _Question, where: SourceLocation) -> ImportedItem:
        first = q.lines[0]
        match = _QUESTION_RE.match(first.text)
        assert match is not None
        lines = [first.slice(match.end())] + q.lines[1:]
        stem: list[_Line] = []
        options: list[tuple[str, list[_Line]]] = []
        statements: list[tuple[str, list[_Line], _Line]] = []
        allow_statements = q.part in (None, "II")
        for line in lines:
            stripped = line.strip()
            expected = chr(ord("A") + len(options))
            start = _OPTION_START_RE.match(stripped.text)
            if start and start.group(1) == expected and not statements:
                for letter, piece in _split_options(stripped, expected):
                    options.append((letter, [piece]))
                continue
            expected_statement = chr(ord("a") + len(statements))
            start = _STATEMENT_START_RE.match(stripped.text)
            if allow_statements and not options and start and start.group(1) == expected_statement:
                statements.append((expected_statement, [stripped.slice(start.end())], stripped))
                continue
            if options:
                options[-1][1].append(line)
            elif statements:
                statements[-1][1].append(line)
            else:
                stem.append(line)
        stem.extend(q.extra_stem)

        warnings: list[str] = []
        for line in q.lines + q.explanation:
            for warning in line.warnings:
                if warning not in warnings:
                    warnings.append(warning)
        images: list[int] = []
        metadata: dict[str, Any] = {}
        if q.part:
            metadata["part"] = q.part
        metadata["number"] = q.number
        if q.source_id:
            metadata["source_id"] = q.source_id

        explicit = self._lookup(q)
        explicit_from = "the key table"
        if explicit is None and q.inline_key:
            explicit, explicit_from = _key_value(q.inline_key), "the 'Đáp án' line"
        if explicit is None and q.column_key:
            explicit, explicit_from = _key_value(q.column_key), "the key column"

        if options:
            if statements:  # "a) ... b) ..." listed in the stem of a single-choice question
                stem.extend(raw for _, _, raw in statements)
            item_type = "single_choice"
            ids = [letter for letter, _ in options]
            marked = _marked_choice([lines_ for _, lines_ in options], warnings)
            if explicit is not None:
                if explicit.kind != "letter":
                    raise _Invalid(f"the key in {explicit_from} is not an option letter")
                key = explicit.value
                if marked is not None and ids[marked] != key:
                    warnings.append(f"{explicit_from} gives {key} but option {ids[marked]} is marked; {key} kept")
            elif marked is not None:
                key = ids[marked]
            else:
                raise _Invalid("no key: no option is marked (underline, colour or bold) and no key table entry")
            if key not in ids:
                raise _Invalid(f"the key {key} is not among the options ({', '.join(ids)})")
            content: dict[str, Any] = {
                "stem": self._html(stem, images),
                "options": [{"id": letter, "text": self._html(lines_, images)} for letter, lines_ in options],
                "key": key,
            }
        elif statements and q.part != "III":
            item_type = "true_false_group"
            ids = [letter for letter, _, _ in statements]
            if explicit is not None:
                if explicit.kind != "tf":
                    raise _Invalid(f"the key in {explicit_from} is not a true/false key (a) Đ, b) S, ...)")
                keys = dict(explicit.value)
                missing = [s for s in ids if s not in keys]
                extra = [s for s in keys if s not in ids]
                if missing or extra:
                    raise _Invalid(
                        f"the key in {explicit_from} names statements {', '.join(sorted(keys))}, "
                        f"the question has {', '.join(ids)}"
                    )
            else:
                truth = _marked_statements([lines_ for _, lines_, _ in statements])
                if truth is None:
                    raise _Invalid("no key: no statement is marked and no key table entry")
                keys = dict(zip(ids, truth, strict=True))
            content = {
                "stem": self._html(stem, images),
                "statements": [{"id": letter, "text": self._html(lines_, images)} for letter, lines_, _ in statements],
                "keys": {s: keys[s] for s in ids},
            }
            if len(ids) == 4:
                content["scale"] = dict(NATIONAL_SCALE)
            else:
                n = len(ids)
                content["scale"] = {str(c): str(Decimal(c) / Decimal(n)) for c in range(n + 1)}
                warnings.append(f"{n} statements (not 4): a proportional scale is used instead of the national one")
        elif q.part == "III" or (explicit is not None and explicit.kind == "number"):
            item_type = "short_numeric"
            if statements:
                stem.extend(raw for _, _, raw in statements)
            if explicit is None:
                raise _Invalid("no key: the short answer has no entry in the key table")
            if explicit.kind != "number":
                raise _Invalid(f"the key in {explicit_from} is not a number")
            content = {"stem": self._html(stem, images), "boxes": None, "answer": explicit.value, "tolerance": "0"}
        else:
            raise _Invalid("no options: expected lines starting with 'A.', 'B.', 'C.', 'D.'")

        if not content["stem"].strip():
            warnings.append("the stem is empty")
        feedback: dict[str, str] = {}
        if q.explanation:
            feedback["general"] = self._html(q.explanation, images)
        if images:
            metadata["media"] = [dict(self.images[i]) for i in images]
            metadata["files"] = {self.images[i]["name"]: self.image_bytes[i] for i in images}
        return ImportedItem(
            item_type=item_type,
            content=content,
            source=where,
            title=q.label,
            metadata=metadata,
            feedback=feedback,
            warnings=tuple(warnings),
        )

    def _html(self, lines: list[_Line], images: list[int]) -> str:
        parts = []
        for line in lines:
            rendered = _line_html(line.strip(), self.images, images)
            if rendered:
                parts.append(rendered)
        return sanitize_html("<br>".join(parts)).strip()


# --------------------------------------------------------------------------- helpers


def _key_value(text: str) -> _Key | None:
    """An answer as written in a key: a letter, true/false statements or a number."""
    value = text.strip().lstrip(":;,. ").rstrip(".;, ")  # keep a leading minus sign
    if not value:
        return None
    if re.fullmatch(r"[A-H]", value):
        return _Key("letter", value, 0)
    pairs = _TF_PAIR_RE.findall(value)
    if len(pairs) >= 2:
        return _Key("tf", {letter.lower(): _truth(word) for letter, word in pairs}, 0)
    compact = re.sub(r"[\s,;.\-]", "", value)
    if re.fullmatch(r"[ĐđSs]{2,8}|[TF]{2,8}", compact):
        return _Key("tf", {chr(ord("a") + i): _truth(ch) for i, ch in enumerate(compact)}, 0)
    if _NUMBER_RE.fullmatch(value):
        return _Key("number", _decimal_text(value), 0)
    return None


def _question_number(text: str) -> int | None:
    match = re.fullmatch(r"(?:Câu\s*)?(\d{1,3})\s*[.:]?", text.strip(), re.IGNORECASE)
    return int(match.group(1)) if match else None


def _is_key_heading(text: str) -> bool:
    """ "ĐÁP ÁN", "BẢNG ĐÁP ÁN", "Đáp án", "ĐÁP ÁN VÀ HƯỚNG DẪN CHẤM" -- not "Đáp án: B"."""
    match = _KEY_HEADING_RE.match(text)
    if not match:
        return False
    rest = text[match.end() :].strip()
    if _key_value(rest):
        return False
    return not rest or not any(ch.islower() for ch in rest) or text.lower().startswith("bảng")


def _run_flags(run: Any) -> int:
    rpr = run.find(_w("rPr"))
    if rpr is None:
        return 0
    flags = 0
    u = rpr.find(_w("u"))
    if u is not None and u.get(_w("val"), "single") != "none":
        flags |= _UNDERLINE
    b = rpr.find(_w("b"))
    if b is not None and b.get(_w("val"), "true") not in ("0", "false", "off"):
        flags |= _BOLD
    color = rpr.find(_w("color"))
    if color is not None and color.get(_w("val"), "auto").lower() not in ("auto", "000000"):
        flags |= _COLOUR
    highlight = rpr.find(_w("highlight"))
    if highlight is not None and highlight.get(_w("val"), "none") != "none":
        flags |= _COLOUR
    shading = rpr.find(_w("shd"))
    if shading is not None and shading.get(_w("fill"), "auto").lower() not in ("auto", "ffffff", "000000"):
        flags |= _COLOUR
    i = rpr.find(_w("i"))
    if i is not None and i.get(_w("val"), "true") not in ("0", "false", "off"):
        flags |= _ITALIC
    align = rpr.find(_w("vertAlign"))
    if align is not None:
        if align.get(_w("val")) == "subscript":
            flags |= _SUB
        elif align.get(_w("val")) == "superscript":
            flags |= _SUP
    return flags


def _symbol(sym: Any) -> str:
    code = sym.get(_w("char"), "")
    try:
        value = int(code, 16)
    except ValueError:
        return ""
    if 0xF000 <= value <= 0xF0FF:  # Symbol font codes
        value -= 0xF000
        symbol_font = {0x61: "α", 0x62: "β", 0x67: "γ", 0x64: "δ", 0x70: "π", 0x6C: "λ", 0x77: "ω", 0x57: "Ω"}
        symbol_font.update({0xB0: "°", 0xB1: "±", 0xB4: "×", 0xB8: "÷", 0xAE: "→", 0xA3: "≤", 0xB3: "≥", 0xB9: "≠"})
        return symbol_font.get(value, chr(value) if 0x20 <= value < 0x7F else "")
    return chr(value)


def _is_image(char: str) -> bool:
    return _IMAGE_BASE <= ord(char) < _IMAGE_BASE + MAX_IMAGES


def _only_images(text: str) -> bool:
    return all(_is_image(c) or c.isspace() for c in text)


def _truth(word: str) -> bool:
    return word.strip().lower() in ("đ", "đúng", "t", "true")


def _decimal_text(value: str) -> str:
    text = value.replace(" ", "").replace("−", "-").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern only lets numbers through
        raise _Invalid(f"{value!r} is not a number") from exc
    return f"{number:f}"


def _split_options(line: _Line, first: str) -> list[tuple[str, _Line]]:
    """Split "A. x   B. y" into options; only the next letters in order start an option."""
    start = _OPTION_START_RE.match(line.text)
    assert start is not None
    found = [(first, start.start(1), start.end())]
    position = start.end()
    while True:
        letter = chr(ord(found[-1][0]) + 1)
        match = re.compile(rf"(?<=\s){letter}\s*[.)]").search(line.text, position)
        if not match:
            break
        found.append((letter, match.start(), match.end()))
        position = match.end()
    pieces = []
    for index, (letter, marker_start, text_start) in enumerate(found):
        end = found[index + 1][1] if index + 1 < len(found) else len(line.text)
        # The marker letter is kept in the piece (its formatting may mark the key), then cut.
        pieces.append((letter, _OptionLine(line.slice(marker_start, end), text_start - marker_start)))
    return [(letter, piece) for letter, piece in pieces]


class _OptionLine(_Line):
    """An option's first line: the marker ("A.") is kept for mark detection only."""

    def __init__(self, line: _Line, marker_end: int) -> None:
        super().__init__(line.text, line.flags, line.para, line.warnings)
        self.marker_end = marker_end

    def strip(self) -> _Line:
        return _Line(self.text[self.marker_end :], self.flags[self.marker_end :], self.para, self.warnings).strip()


def _mark_level(lines: list[_Line], flag: int) -> bool:
    first = lines[0]
    marker_end = getattr(first, "marker_end", 0)
    if marker_end and any(
        f & flag for ch, f in zip(first.text[:marker_end], first.flags, strict=False) if ch.isalnum()
    ):
        return True
    chars = [
        f
        for line in lines
        for ch, f in zip(
            line.text[getattr(line, "marker_end", 0) :], line.flags[getattr(line, "marker_end", 0) :], strict=True
        )
        if not ch.isspace()
    ]
    return bool(chars) and sum(1 for f in chars if f & flag) * 2 >= len(chars)


def _marked_choice(options: list[list[_Line]], warnings: list[str]) -> int | None:
    for flag in _MARKS:
        marked = [index for index, lines in enumerate(options) if _mark_level(lines, flag)]
        if len(marked) == 1:
            return marked[0]
        if flag == _UNDERLINE and 1 < len(marked) < len(options):
            warnings.append(f"{len(marked)} options are underlined; underline not used as the key")
    return None


def _marked_statements(statements: list[list[_Line]]) -> list[bool] | None:
    for flag in _MARKS:
        marked = [_mark_level(lines, flag) for lines in statements]
        if any(marked) and not all(marked):
            return marked
    return None


def _line_html(line: _Line, images: list[dict[str, Any]], used: list[int]) -> str:
    out: list[str] = []
    open_tags: list[str] = []
    text = line.text.replace("\t", " ")
    for ch, flag in zip(text, line.flags, strict=True):
        wanted = [tag for bit, tag in ((_ITALIC, "i"), (_SUB, "sub"), (_SUP, "sup")) if flag & bit]
        if wanted != open_tags:
            out.extend(f"</{tag}>" for tag in reversed(open_tags))
            out.extend(f"<{tag}>" for tag in wanted)
            open_tags = wanted
        if _is_image(ch):
            index = ord(ch) - _IMAGE_BASE
            if index < len(images):
                if index not in used:
                    used.append(index)
                out.append(f'<img src="media:{html.escape(images[index]["name"])}" alt="">')
            continue
        out.append(html.escape(ch, quote=False))
    out.extend(f"</{tag}>" for tag in reversed(open_tags))
    return re.sub(r"[ \u00a0]{2,}", " ", "".join(out)).strip()


# --------------------------------------------------------------------------- OMML -> LaTeX

_NARY = {"∑": r"\sum", "∏": r"\prod", "∫": r"\int", "∬": r"\iint", "∭": r"\iiint", "∮": r"\oint", "⋃": r"\bigcup"}
_ACCENTS = {"\u0302": r"\hat", "\u20d7": r"\vec", "\u0303": r"\tilde", "\u0307": r"\dot", "\u0304": r"\bar"}
_SYMBOLS = {
    "α": r"\alpha",
    "β": r"\beta",
    "γ": r"\gamma",
    "δ": r"\delta",
    "Δ": r"\Delta",
    "ε": r"\varepsilon",
    "θ": r"\theta",
    "λ": r"\lambda",
    "μ": r"\mu",
    "π": r"\pi",
    "ρ": r"\rho",
    "σ": r"\sigma",
    "φ": r"\varphi",
    "ω": r"\omega",
    "Ω": r"\Omega",
    "≤": r"\le",
    "≥": r"\ge",
    "≠": r"\ne",
    "±": r"\pm",
    "×": r"\times",
    "÷": r"\div",
    "∞": r"\infty",
    "→": r"\to",
    "⇒": r"\Rightarrow",
    "⇔": r"\Leftrightarrow",
    "∈": r"\in",
    "∉": r"\notin",
    "⊂": r"\subset",
    "∪": r"\cup",
    "∩": r"\cap",
    "∅": r"\emptyset",
    "°": r"^{\circ}",
    "·": r"\cdot",
    "−": "-",
    "ℝ": r"\mathbb{R}",
}


def _omml_to_latex(elem: Any) -> tuple[str, bool]:
    state = {"ok": True}
    latex = _omml(elem, state).strip()
    return re.sub(r"\s+", " ", latex), state["ok"]


def _arg(elem: Any, name: str, state: dict[str, bool]) -> str:
    child = elem.find(_m(name))
    return _omml(child, state) if child is not None else ""


def _omml(elem: Any, state: dict[str, bool]) -> str:
    out: list[str] = []
    for child in elem:
        tag = child.tag if isinstance(child.tag, str) else ""
        local = tag.split("}")[-1]
        if tag.endswith("Pr") or local in ("ctrlPr",):
            continue
        if tag == _m("r"):
            text = "".join(t.text or "" for t in child.iter(_m("t")))
            out.append(
                "".join(
                    _SYMBOLS.get(ch, ch) + (" " if ch in _SYMBOLS and _SYMBOLS[ch][0] == "\\" else "") for ch in text
                )
            )
        elif tag == _m("f"):
            out.append(rf"\frac{{{_arg(child, 'num', state)}}}{{{_arg(child, 'den', state)}}}")
        elif tag == _m("sSup"):
            out.append(f"{{{_arg(child, 'e', state)}}}^{{{_arg(child, 'sup', state)}}}")
        elif tag == _m("sSub"):
            out.append(f"{{{_arg(child, 'e', state)}}}_{{{_arg(child, 'sub', state)}}}")
        elif tag == _m("sSubSup"):
            out.append(f"{{{_arg(child, 'e', state)}}}_{{{_arg(child, 'sub', state)}}}^{{{_arg(child, 'sup', state)}}}")
        elif tag == _m("sPre"):
            out.append(
                f"{{}}_{{{_arg(child, 'sub', state)}}}^{{{_arg(child, 'sup', state)}}}{{{_arg(child, 'e', state)}}}"
            )
        elif tag == _m("rad"):
            degree = _arg(child, "deg", state)
            body = _arg(child, "e", state)
            out.append(rf"\sqrt[{degree}]{{{body}}}" if degree.strip() else rf"\sqrt{{{body}}}")
        elif tag == _m("d"):
            pr = child.find(_m("dPr"))
            begin, end, sep = "(", ")", ","
            if pr is not None:
                for name, default in (("begChr", "("), ("endChr", ")"), ("sepChr", ",")):
                    node = pr.find(_m(name))
                    value = node.get(_m("val"), default) if node is not None else default
                    if name == "begChr":
                        begin = value
                    elif name == "endChr":
                        end = value
                    else:
                        sep = value
            inner = sep.join(_omml(e, state) for e in child.findall(_m("e")))
            left = {"{": r"\{", "": ".", "|": "|", "[": "[", "(": "("}.get(begin, begin)
            right = {"}": r"\}", "": ".", "|": "|", "]": "]", ")": ")"}.get(end, end)
            out.append(rf"\left{left}{inner}\right{right}")
        elif tag == _m("nary"):
            pr = child.find(_m("naryPr"))
            node = pr.find(_m("chr")) if pr is not None else None
            op = _NARY.get(node.get(_m("val"), "∫") if node is not None else "∫", r"\int")
            out.append(
                f"{op}_{{{_arg(child, 'sub', state)}}}^{{{_arg(child, 'sup', state)}}}{{{_arg(child, 'e', state)}}}"
            )
        elif tag == _m("func"):
            name = _arg(child, "fName", state).strip()
            known = {"sin", "cos", "tan", "cot", "log", "ln", "lim", "exp", "max", "min"}
            out.append((f"\\{name}" if name in known else name) + f"{{{_arg(child, 'e', state)}}}")
        elif tag in (_m("limLow"), _m("limUpp")):
            base = _arg(child, "e", state).strip()
            base = f"\\{base}" if base in ("lim", "max", "min") else base
            mark = "_" if tag == _m("limLow") else "^"
            out.append(f"{base}{mark}{{{_arg(child, 'lim', state)}}}")
        elif tag == _m("acc"):
            pr = child.find(_m("accPr"))
            node = pr.find(_m("chr")) if pr is not None else None
            command = _ACCENTS.get(node.get(_m("val"), "\u0302") if node is not None else "\u0302", r"\hat")
            out.append(f"{command}{{{_arg(child, 'e', state)}}}")
        elif tag == _m("bar"):
            out.append(rf"\overline{{{_arg(child, 'e', state)}}}")
        elif tag in (_m("box"), _m("borderBox"), _m("e"), _m("oMath"), _m("oMathPara"), _m("num"), _m("den")):
            out.append(_omml(child, state))
        elif tag == _m("eqArr"):
            rows = [_omml(e, state) for e in child.findall(_m("e"))]
            out.append(r"\begin{cases}" + r" \\ ".join(rows) + r"\end{cases}")
        elif tag == _m("m"):
            rows = [" & ".join(_omml(e, state) for e in mr.findall(_m("e"))) for mr in child.findall(_m("mr"))]
            out.append(r"\begin{matrix}" + r" \\ ".join(rows) + r"\end{matrix}")
        elif tag in (_w("r"),):
            out.append("".join(t.text or "" for t in child.iter(_w("t"))))
        else:
            state["ok"] = False
            out.append("".join(t.text or "" for t in child.iter(_m("t"))))
    return "".join(out)
