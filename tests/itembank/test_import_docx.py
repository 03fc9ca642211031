"""Word (.docx) import: the Vietnamese corpus, small generated documents, and hostile input."""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.shared import RGBColor

from itembank.interchange.base import ParseResult
from itembank.interchange.docx import NATIONAL_SCALE, parse_docx

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "vi"
HISTORY = CORPUS / "MET_His_IE_2019.docx"
HISTORY_JSON = CORPUS / "MET_His_IE_2019.json"
PHYSICS = CORPUS / "MET_Phy_IE_2019.docx"

needs_corpus = pytest.mark.skipif(
    not (HISTORY.is_file() and HISTORY_JSON.is_file() and PHYSICS.is_file()),
    reason=f"Vietnamese corpus not found at {CORPUS}",
)


def build(*paragraphs: str | list[tuple[str, dict]], table: list[list[str]] | None = None) -> bytes:
    """A .docx with one paragraph per argument; a list gives runs with formatting."""
    document = Document()
    for paragraph in paragraphs:
        p = document.add_paragraph()
        if isinstance(paragraph, str):
            p.add_run(paragraph)
            continue
        for text, fmt in paragraph:
            run = p.add_run(text)
            run.underline = fmt.get("u")
            run.bold = fmt.get("b")
            if "color" in fmt:
                run.font.color.rgb = RGBColor.from_string(fmt["color"])
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, text in enumerate(row):
                grid.cell(r, c).text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def parse(data: bytes) -> ParseResult:
    return parse_docx(data, filename="test.docx")


def errors(result: ParseResult) -> list[str]:
    return [str(issue) for issue in result.errors]


def plain(html_text: str) -> str:
    text = re.sub(r"<[^>]+>", " ", html_text).replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")
    return " ".join(unicodedata.normalize("NFC", text).split())


# --- the corpus -------------------------------------------------------------------------


@needs_corpus
def test_history_corpus_matches_the_json() -> None:
    expected = json.loads(HISTORY_JSON.read_text(encoding="utf-8"))
    result = parse_docx(HISTORY.read_bytes(), filename=HISTORY.name)
    assert result.issues == ()
    assert len(result.items) == len(expected) == 40
    by_number = {item.metadata["number"]: item for item in result.items}
    for entry in expected:
        number = int(entry["ID"].rsplit("_", 1)[1])
        item = by_number[number]
        assert item.item_type == "single_choice"
        assert item.content["key"] == entry["Choice"], number
        assert [o["id"] for o in item.content["options"]] == ["A", "B", "C", "D"]
        assert item.source.file == HISTORY.name
        assert item.source.element == f"Câu {number}"
        assert item.source.line is not None and item.source.line >= 1
        assert item.metadata["source_id"] == entry["ID"]
        # The stem is the JSON question's first line without "Câu N:", compared normalised.
        first_line = entry["Question"].split("\n", 1)[0]
        prefix = " ".join(re.sub(r"^\s*Câu\s*\d+\s*[.:]", "", first_line).split())[:40]
        assert plain(item.content["stem"]).startswith(unicodedata.normalize("NFC", prefix)), number
        assert "CHỌN" in item.feedback["general"].upper()


@needs_corpus
def test_physics_corpus_keys_and_images() -> None:
    result = parse_docx(PHYSICS.read_bytes(), filename=PHYSICS.name)
    assert result.issues == ()
    assert len(result.items) == 40
    assert sorted(item.metadata["number"] for item in result.items) == list(range(1, 41))
    for item in result.items:
        assert item.content["key"] in {"A", "B", "C", "D"}
        # The key column agrees with the "Chọn X" that ends each explanation.
        choose = re.findall(r"Chọn\s*([A-D])", item.feedback["general"], re.IGNORECASE)
        if choose:
            assert choose[-1].upper() == item.content["key"], item.metadata["number"]
    with_media = [item for item in result.items if item.metadata.get("media")]
    assert with_media
    for item in with_media:
        for media in item.metadata["media"]:
            assert media["size"] > 0 and media["part"].startswith("/word/media/")
            assert item.metadata["files"][media["name"]]
            assert f'src="media:{media["name"]}"' in item.content["stem"] + item.feedback.get("general", "")
    # Câu 24 and 25 have their image in the question column: it is in the stem.
    stems = {item.metadata["number"]: item.content["stem"] for item in result.items}
    assert "<img" in stems[24] and "<img" in stems[25]


# --- generated documents ----------------------------------------------------------------


def test_underline_marks_the_key_and_is_not_kept() -> None:
    data = build(
        "ĐỀ KIỂM TRA",
        "Câu 1. Thủ đô của Việt Nam là",
        "A. Huế",
        [("B.", {"u": True}), (" Hà Nội", {})],
        "C. Đà Nẵng",
        "D. Sài Gòn",
        "Câu 2: Chọn số lớn nhất",
        "A. 1",
        "B. 2",
        [("C. 3", {"color": "FF0000"})],
        "D. 0",
        "Câu 3. Màu của lá",
        [("A. xanh", {"b": True})],
        "B. đỏ",
        "C. tím",
        "D. vàng",
    )
    result = parse(data)
    assert result.issues == ()
    assert [item.content["key"] for item in result.items] == ["B", "C", "A"]
    first = result.items[0]
    assert first.content["stem"] == "Thủ đô của Việt Nam là"
    assert first.content["options"][1] == {"id": "B", "text": "Hà Nội"}
    assert first.source.line == 2 and first.source.element == "Câu 1"


def test_key_table_at_the_end_and_options_on_one_line() -> None:
    data = build(
        "Câu 1. Một cộng một bằng",
        "A. 1\tB. 2\tC. 3\tD. 4",
        "Câu 2. Hai nhân hai bằng",
        "A. 4         B. 5",
        "C. 6         D. 8",
        "Câu 3: Ba trừ một",
        "A) 2    B) 3    C) 1    D) 0",
        "BẢNG ĐÁP ÁN",
        table=[["Câu", "1", "2", "3"], ["Đáp án", "B", "A", "A"]],
    )
    result = parse(data)
    assert result.issues == ()
    assert [item.content["key"] for item in result.items] == ["B", "A", "A"]
    assert [o["text"] for o in result.items[0].content["options"]] == ["1", "2", "3", "4"]
    assert [o["text"] for o in result.items[1].content["options"]] == ["4", "5", "6", "8"]


def test_key_lines_after_the_heading() -> None:
    data = build(
        "Câu 1. x",
        "A. a",
        "B. b",
        "Câu 2. y",
        "A. a",
        "B. b",
        "ĐÁP ÁN",
        "1.B 2-A",
    )
    result = parse(data)
    assert result.issues == ()
    assert [item.content["key"] for item in result.items] == ["B", "A"]


def test_national_three_part_layout_with_a_key_table() -> None:
    data = build(
        "PHẦN I. Câu trắc nghiệm nhiều phương án lựa chọn",
        "Câu 1. Chất nào là kim loại?",
        "A. Sắt   B. Lưu huỳnh   C. Oxi   D. Clo",
        "Câu 2. Số proton của H",
        "A. 1   B. 2   C. 3   D. 4",
        "PHẦN II. Câu trắc nghiệm đúng sai",
        "Câu 1. Cho các phát biểu về nước:",
        "a) Nước sôi ở 100 °C ở áp suất thường.",
        "b) Nước là đơn chất.",
        "c) Công thức của nước là H2O.",
        "d) Nước đá nặng hơn nước lỏng.",
        "PHẦN III. Câu trắc nghiệm trả lời ngắn",
        "Câu 1. Khối lượng mol của nước (g/mol) là bao nhiêu?",
        "Câu 2. Nồng độ (mol/L) là bao nhiêu?",
        "ĐÁP ÁN",
        "PHẦN I",
        "1.A 2.A",
        "PHẦN II",
        "Câu 1: a) Đ, b) S, c) Đ, d) S",
        "PHẦN III",
        "Câu 1: 18",
        "Câu 2: -0,5",
    )
    result = parse(data)
    assert result.issues == ()
    types = [(item.metadata["part"], item.metadata["number"], item.item_type) for item in result.items]
    assert types == [
        ("I", 1, "single_choice"),
        ("I", 2, "single_choice"),
        ("II", 1, "true_false_group"),
        ("III", 1, "short_numeric"),
        ("III", 2, "short_numeric"),
    ]
    tf = result.items[2]
    assert tf.content["keys"] == {"a": True, "b": False, "c": True, "d": False}
    assert tf.content["scale"] == NATIONAL_SCALE
    assert [s["id"] for s in tf.content["statements"]] == ["a", "b", "c", "d"]
    assert tf.content["statements"][1]["text"] == "Nước là đơn chất."
    assert result.items[3].content["answer"] == "18"
    assert result.items[4].content["answer"] == "-0.5"
    assert result.items[4].content["tolerance"] == "0"


def test_national_key_table_as_a_grid() -> None:
    data = build(
        "PHẦN II",
        "Câu 1. Phát biểu",
        "a) một",
        "b) hai",
        "c) ba",
        "d) bốn",
        "PHẦN III",
        "Câu 1. Bao nhiêu?",
        "ĐÁP ÁN PHẦN II",
        table=[["Câu", "1"], ["Đáp án", "ĐSSĐ"]],
    )
    result = parse(data)
    # The key table names no part for Phần III, Câu 1: it has no key.
    assert [item.content["keys"] for item in result.items] == [{"a": True, "b": False, "c": False, "d": True}]
    assert any("Phần III, Câu 1" in message and "no key" in message for message in errors(result))


def test_marked_statements_give_the_true_false_key() -> None:
    data = build(
        "PHẦN II",
        "Câu 1. Phát biểu",
        [("a) đúng", {"u": True})],
        "b) sai",
        [("c) đúng", {"u": True})],
        "d) sai",
    )
    result = parse(data)
    assert result.issues == ()
    assert result.items[0].content["keys"] == {"a": True, "b": False, "c": True, "d": False}


# --- problems -----------------------------------------------------------------------------


def test_missing_key_is_reported_and_the_others_parse() -> None:
    data = build("Câu 1. x", "A. a", [("B. b", {"u": True})], "Câu 2. y", "A. a", "B. b")
    result = parse(data)
    assert [item.content["key"] for item in result.items] == ["B"]
    (message,) = errors(result)
    assert "Câu 2" in message and "paragraph 4" in message and "no key" in message
    assert result.errors[0].source.line == 4


def test_key_not_among_the_options() -> None:
    data = build("Câu 1. x", "A. a", "B. b", "C. c", "D. d", "ĐÁP ÁN", "1.E")
    (message,) = errors(parse(data))
    assert "Câu 1" in message and "E is not among the options" in message


def test_duplicate_question_number() -> None:
    data = build(
        "Câu 3. x",
        [("A. a", {"u": True})],
        "B. b",
        "Câu 3. y",
        "A. a",
        [("B. b", {"u": True})],
    )
    result = parse(data)
    assert len(result.items) == 1
    (message,) = errors(result)
    assert "Câu 3" in message and "duplicate" in message and "paragraph 4" in message


def test_question_without_options() -> None:
    data = build("Câu 1. x", "Câu 2. y", [("A. a", {"u": True})], "B. b")
    result = parse(data)
    assert len(result.items) == 1
    (message,) = errors(result)
    assert "Câu 1" in message and "no options" in message


def test_no_questions() -> None:
    result = parse(build("Just a letter.", "Nothing to see."))
    assert result.items == ()
    (message,) = errors(result)
    assert "no questions found" in message


def test_not_a_zip() -> None:
    result = parse(b"%PDF-1.4 not a word file")
    assert result.items == ()
    (message,) = errors(result)
    assert "not a Word .docx file" in message


def test_zip_with_path_traversal_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        archive.writestr("../evil.txt", "x")
    (message,) = errors(parse(out.getvalue()))
    assert "unsafe path" in message and "../evil.txt" in message


def test_zip_bomb_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (5 * 1024 * 1024))
    (message,) = errors(parse(out.getvalue()))
    assert "refused" in message


def test_too_large() -> None:
    (message,) = errors(parse(b"PK" + b"\0" * (20 * 1024 * 1024)))
    assert "too large" in message


def test_equation_becomes_latex() -> None:
    document = Document()
    p = document.add_paragraph("Câu 1. Tính ")
    math = (
        '<m:oMath xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math">'
        "<m:f><m:num><m:r><m:t>1</m:t></m:r></m:num><m:den><m:r><m:t>2</m:t></m:r></m:den></m:f>"
        "<m:sSup><m:e><m:r><m:t>x</m:t></m:r></m:e><m:sup><m:r><m:t>2</m:t></m:r></m:sup></m:sSup>"
        "</m:oMath>"
    )
    from docx.oxml import parse_xml

    p._p.append(parse_xml(math))
    for text in ("A. 1", "B. 2"):
        document.add_paragraph(text)
    document.add_paragraph("Đáp án: A")
    out = io.BytesIO()
    document.save(out)
    result = parse(out.getvalue())
    assert result.issues == ()
    assert result.items[0].content["stem"] == r"Tính $\frac{1}{2}{x}^{2}$"
    assert result.items[0].content["key"] == "A"
