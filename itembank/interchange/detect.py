"""Choosing the importer for a file: by what the bytes are, then by the file's name.

``parse_file(data, filename=..., format="auto")`` is what the import command, the API and
the import wizard call. ``auto`` looks inside: a zip is a Word document, an Excel workbook
or a QTI content package by its members; XML is Moodle XML (root ``quiz``) or QTI (an
``assessmentItem`` or ``qti-assessment-item`` root); anything else that is text is GIFT.
"""

from __future__ import annotations

import io
import re
import zipfile

from .base import ImportIssue, ParseResult, SourceLocation
from .docx import parse_docx
from .gift import parse_gift
from .moodle import parse_moodle_xml
from .qti import parse_qti
from .xlsx import parse_xlsx

FORMATS = ("auto", "qti", "moodle", "gift", "xlsx", "docx")
_PARSERS = {"qti": parse_qti, "moodle": parse_moodle_xml, "gift": parse_gift, "xlsx": parse_xlsx, "docx": parse_docx}
# The first element of an XML document, after any declaration, comments and doctype.
_ROOT = re.compile(rb"<\s*(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")


def detect_format(data: bytes, *, filename: str) -> str | None:
    """The format of ``data``, or None when it is none of the supported ones."""
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "imsmanifest.xml" in names:
            return "qti"
        return None
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        body = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", b"", head, flags=re.DOTALL).lstrip()
        match = _ROOT.match(body)
        root = match.group(1).decode("ascii", "replace") if match else ""
        if root == "quiz":
            return "moodle"
        if root in ("assessmentItem", "qti-assessment-item"):
            return "qti"
        return None
    if filename.lower().endswith((".gift", ".txt")) or b"{" in data[:65536]:
        return "gift"
    return None


def parse_file(data: bytes, *, filename: str, format: str = "auto") -> ParseResult:
    """Parse ``data`` with the importer of ``format`` (detected when ``auto``)."""
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    chosen = detect_format(data, filename=filename) if format == "auto" else format
    if chosen is None:
        issue = ImportIssue(
            SourceLocation(file=filename),
            "not a file this bank can import: expected QTI (XML or a content package zip), "
            "Moodle XML, GIFT, an Excel workbook (.xlsx) or a Word document (.docx)",
        )
        return ParseResult(items=(), issues=(issue,))
    return _PARSERS[chosen](data, filename=filename)
