"""Format detection: every corpus file goes to the importer its content calls for."""

from __future__ import annotations

from pathlib import Path

import pytest

from itembank.interchange.detect import detect_format, parse_file

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")

EXPECTED = {
    "gift/mc5.gift": "gift",
    "gift/moodle-questions_encoding_windows-1252.gift.txt": "gift",
    "moodlexml/qtype_truefalse-testquestion.moodle.xml": "moodle",
    "moodlexml/qformat_xml-error_invalid_grades.xml": "moodle",
    "qti3/items/QTI3-order.xml": "qti",
    "qti21/v2p1/choice.xml": "qti",
    "qti3/packages/BBQsTest.zip": "qti",
    "qti21/packages/qtiv2p2-examples-items.zip": "qti",
    "vi/MET_His_IE_2019.docx": "docx",
}


@needs_corpus
@pytest.mark.parametrize("relative, expected", sorted(EXPECTED.items()))
def test_corpus_files_are_detected_by_content(relative, expected):
    data = (CORPUS / relative).read_bytes()
    assert detect_format(data, filename="upload.bin" if expected != "gift" else relative) == expected
    result = parse_file(data, filename=relative)
    assert result.items or result.issues


def test_excel_is_detected():
    from itembank.interchange.xlsx import template_xlsx

    data = template_xlsx()
    assert detect_format(data, filename="anything") == "xlsx"
    assert parse_file(data, filename="template.xlsx").items


@pytest.mark.parametrize(
    "data", [b"%PDF-1.7 not an item file", b"<html><body>x</body></html>", b"PK\x03\x04broken", b"\x00\x01\x02"]
)
def test_other_files_are_refused_with_a_clear_reason(data):
    result = parse_file(data, filename="upload.bin")
    assert result.items == () and len(result.errors) == 1
    assert "not a file this bank can import" in result.errors[0].message


def test_explicit_format_is_used_and_unknown_format_refused():
    assert parse_file(b"::T:: Q {T}", filename="x.txt", format="gift").items
    with pytest.raises(ValueError):
        parse_file(b"", filename="x", format="pdf")
