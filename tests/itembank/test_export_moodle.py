"""Moodle XML export: every type round-trips through our importer (no database)."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from itembank.interchange.base import ImportedItem, SourceLocation
from itembank.interchange.moodle import parse_moodle_xml
from itembank.interchange.moodle_export import items_to_moodle_xml

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "moodlexml"
CORPUS_FILES = sorted(CORPUS.glob("*.xml")) if CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(not CORPUS_FILES, reason=f"Moodle XML corpus not found at {CORPUS}")

SOURCE = SourceLocation(file="test")
TRICKY = "Tiếng Việt: &amp; &lt;b&gt; ]]&gt; đúng"


def item(item_type: str, content: dict[str, Any], **kwargs: Any) -> ImportedItem:
    kwargs.setdefault("title", f"{item_type} question")
    return ImportedItem(item_type=item_type, content=content, source=SOURCE, **kwargs)


def round_trip(*items: ImportedItem) -> list[ImportedItem]:
    data = items_to_moodle_xml(items)
    assert data.startswith(b"<?xml")
    ET.fromstring(data)  # well-formed
    result = parse_moodle_xml(data, filename="export.xml")
    assert result.ok, [str(issue) for issue in result.issues]
    assert len(result.items) == len(items)
    return list(result.items)


def same(a: ImportedItem, b: ImportedItem, *, ignore_metadata: tuple[str, ...] = ("moodle_type",)) -> None:
    assert b.item_type == a.item_type
    assert b.content == a.content
    assert b.title == a.title
    assert b.points == a.points
    assert b.category == a.category
    assert b.feedback == a.feedback
    meta_a = {k: v for k, v in a.metadata.items() if k not in ignore_metadata}
    meta_b = {k: v for k, v in b.metadata.items() if k not in ignore_metadata}
    assert meta_b == meta_a


OPTIONS = [{"id": "A", "text": "<p>một</p>"}, {"id": "B", "text": TRICKY}, {"id": "C", "text": "ba"}]

EXACT = {
    "single_choice": item(
        "single_choice",
        {"stem": f"<p>{TRICKY}</p>", "options": OPTIONS, "key": "B"},
        points=Decimal("2.5"),
        category=("Toán", "Lớp 12"),
        metadata={"shuffle": True, "idnumber": "sc-1", "tags": ["đại số", "a&b"], "hints": ["<p>Gợi ý</p>"]},
        feedback={"general": "<p>Chung &amp; riêng</p>", "correct": "Đúng", "option:A": "<p>Không</p>"},
    ),
    "multiple_response_partial": item(
        "multiple_response",
        {"stem": "Chọn", "options": OPTIONS, "scoring": "partial", "keys": ["A", "C"]},
        metadata={"shuffle": False},
    ),
    "multiple_response_one_key": item(
        "multiple_response",
        {"stem": "Chọn", "options": OPTIONS, "scoring": "all_or_nothing", "keys": ["B"]},
        metadata={"shuffle": False},
    ),
    "true_false_group": item(
        "true_false_group",
        {
            "stem": "",
            "statements": [{"id": "a", "text": f"<p>{TRICKY}</p>"}],
            "scale": {"1": "1"},
            "keys": {"a": False},
        },
        points=Decimal("3"),
        feedback={"true": "<p>Sai rồi</p>", "false": "Đúng"},
    ),
    "text_entry_exact": item(
        "text_entry",
        {
            "stem": "Thủ đô?",
            "match": "exact",
            "ignore_diacritics": False,
            "answers": ["Hà Nội", "a & b < c ]]>", "&amp;"],
        },
        feedback={"answer:Hà Nội": "<p>Giỏi</p>"},
    ),
    "text_entry_normalised": item(
        "text_entry", {"stem": "x", "match": "normalised", "ignore_diacritics": False, "answers": ["hanoi"]}
    ),
    "short_numeric": item(
        "short_numeric",
        {"stem": "π ≈ ?", "boxes": None, "answer": "3.14", "tolerance": "0.005"},
        points=Decimal("0.25"),
    ),
    "matching": item(
        "matching",
        {
            "stem": "Ghép",
            "premises": [{"id": "1", "text": "<p>ếch</p>"}, {"id": "2", "text": TRICKY}, {"id": "3", "text": "mèo"}],
            "responses": [
                {"id": "A", "text": "lưỡng cư"},
                {"id": "B", "text": "a &amp; b &lt; c ]]&gt;"},
                {"id": "C", "text": "thú"},
                {"id": "D", "text": "chim"},
            ],
            "scoring": "per_pair",
            "pairs": {"1": "A", "2": "B", "3": "C"},
        },
        metadata={"shuffle": True},
        feedback={"correct": "Tốt", "partially_correct": "Gần", "incorrect": "Sai"},
    ),
    "ordering_partial": item(
        "ordering",
        {
            "stem": "Sắp xếp",
            "elements": [{"id": "A", "text": "hai"}, {"id": "B", "text": TRICKY}, {"id": "C", "text": "<p>một</p>"}],
            "scoring": "partial",
            "order": ["C", "A", "B"],
        },
        metadata={"moodle_gradingtype": "LONGEST_ORDERED_SUBSET"},
    ),
    "ordering_all": item(
        "ordering",
        {
            "stem": "Sắp xếp",
            "elements": [{"id": "A", "text": "x"}, {"id": "B", "text": "y"}],
            "scoring": "all_or_nothing",
            "order": ["B", "A"],
        },
        metadata={"moodle_gradingtype": "ALL_OR_NOTHING"},
    ),
    "inline_choice": item(
        "inline_choice",
        {
            "stem": "<p>Con {{1}} ngồi trên {{2}}, {{3}} &amp; ]]&gt;.</p>",
            "gaps": [
                {"id": "1", "options": [{"id": "A", "text": "mèo"}, {"id": "B", "text": "a &amp; b"}]},
                {"id": "2", "options": [{"id": "A", "text": "chiếu"}, {"id": "B", "text": "bàn"}]},
                {"id": "3", "options": [{"id": "A", "text": "mèo"}, {"id": "B", "text": "a &amp; b"}]},
            ],
            "scoring": "per_gap",
            "keys": {"1": "A", "2": "B", "3": "B"},
        },
        metadata={"penalty": "0.3333333"},  # the importer reads no shuffle for gapselect
        feedback={"correct": "Đúng", "general": "Chung"},
    ),
    "essay": item(
        "essay",
        {"stem": "Viết một đoạn văn.", "rubric": [], "max_words": 200},
        points=Decimal("10"),
        metadata={"min_words": 50, "response_template": "<p>Mở bài…</p>"},
        feedback={"grader": "<p>Chấm theo ý</p>"},
    ),
}


@pytest.mark.parametrize("name", sorted(EXACT))
def test_each_type_round_trips_exactly(name: str) -> None:
    original = EXACT[name]
    (back,) = round_trip(original)
    same(original, back)


def test_all_types_in_one_file_with_nested_categories() -> None:
    items = [
        item("essay", {"stem": "top", "rubric": [], "max_words": None}),
        EXACT["single_choice"],  # Toán/Lớp 12
        item("essay", {"stem": "a", "rubric": [], "max_words": None}, category=("Toán",)),
        item("essay", {"stem": "b", "rubric": [], "max_words": None}, category=("Toán", "Lớp 12", "Hình/học")),
        item("essay", {"stem": "c", "rubric": [], "max_words": None}, category=("Văn & Sử <1>",)),
        item("essay", {"stem": "d", "rubric": [], "max_words": None}),
        *EXACT.values(),
    ]
    back = round_trip(*items)
    for a, b in zip(items, back, strict=True):
        same(a, b)
    data = items_to_moodle_xml(items).decode("utf-8")
    assert "$course$/top/Toán/Lớp 12/Hình//học" in data
    categories = ET.fromstring(data.encode()).findall("question[@type='category']")
    assert len(categories) == 7  # written only when the category changes


def test_document_shape() -> None:
    data = items_to_moodle_xml([EXACT["single_choice"], EXACT["multiple_response_partial"]])
    root = ET.fromstring(data)
    assert root.tag == "quiz"
    single = root.find("question[@type='multichoice']")
    assert single is not None
    assert single.findtext("questiontext/text") == "<p>Tiếng Việt: &amp; &lt;b&gt; ]]&gt; đúng</p>"
    assert single.find("questiontext").get("format") == "html"
    assert single.findtext("defaultgrade") == "2.5"
    assert [a.get("fraction") for a in single.findall("answer")] == ["0", "100", "0"]
    multi = root.findall("question[@type='multichoice']")[1]
    assert multi.findtext("single") == "false"
    assert [a.get("fraction") for a in multi.findall("answer")] == ["50", "-50", "50"]


@pytest.mark.parametrize(("keys", "grade"), [(3, "33.33333"), (6, "16.66667"), (7, "14.28571"), (9, "11.11111")])
def test_multiple_response_grades_are_moodle_grades(keys: int, grade: str) -> None:
    options = [{"id": chr(65 + i), "text": str(i)} for i in range(keys + 1)]
    original = item(
        "multiple_response",
        {"stem": "s", "options": options, "scoring": "partial", "keys": [o["id"] for o in options[:keys]]},
        metadata={"shuffle": False},
    )
    root = ET.fromstring(items_to_moodle_xml([original]))
    fractions = [a.get("fraction") for a in root.iter("answer")]
    assert fractions == [grade] * keys + ["-" + grade]
    (back,) = round_trip(original)
    same(original, back)


def test_multiple_response_all_or_nothing_with_several_keys_comes_back_partial() -> None:
    original = item(
        "multiple_response",
        {"stem": "s", "options": OPTIONS, "scoring": "all_or_nothing", "keys": ["A", "B"]},
        metadata={"shuffle": False},
    )
    (back,) = round_trip(original)
    assert back.content == {**original.content, "scoring": "partial"}  # the documented loss


def test_multiple_response_with_too_many_keys_is_refused() -> None:
    options = [{"id": f"o{i}", "text": str(i)} for i in range(12)]
    bad = item(
        "multiple_response",
        {"stem": "s", "options": options, "scoring": "partial", "keys": [o["id"] for o in options[:11]]},
        title="Mười một",
    )
    with pytest.raises(ValueError, match="Mười một.*not one of Moodle's grades"):
        items_to_moodle_xml([bad])


def test_ids_are_renamed_by_position_and_keys_follow() -> None:
    original = item(
        "single_choice",
        {"stem": "s", "options": [{"id": "x", "text": "1"}, {"id": "y", "text": "2"}], "key": "y"},
        metadata={"shuffle": False},
    )
    (back,) = round_trip(original)
    assert back.content["options"] == [{"id": "A", "text": "1"}, {"id": "B", "text": "2"}]
    assert back.content["key"] == "B"


def test_name_from_the_stem_when_no_title() -> None:
    original = item("essay", {"stem": "<p>Viết về mùa xuân ở quê em</p>", "rubric": [], "max_words": None}, title="")
    (back,) = round_trip(original)
    assert back.title == "Viết về mùa xuân ở quê em"


def test_embedded_files_round_trip() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    original = item(
        "essay",
        {"stem": '<p><img src="media:hình.png" alt="hình"> media: stays</p>', "rubric": [], "max_words": None},
        metadata={"files": {"hình.png": png}},
    )
    data = items_to_moodle_xml([original])
    root = ET.fromstring(data)
    assert "@@PLUGINFILE@@/hình.png" in root.findtext(".//questiontext/text")
    file_elem = root.find(".//questiontext/file")
    assert file_elem.get("name") == "hình.png" and file_elem.get("encoding") == "base64"
    assert base64.b64decode(file_elem.text) == png
    (back,) = round_trip(original)
    same(original, back)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            item(
                "true_false_group",
                {
                    "stem": "",
                    "statements": [{"id": "a", "text": "1"}, {"id": "b", "text": "2"}],
                    "scale": {"1": "0.5", "2": "1"},
                    "keys": {"a": True, "b": False},
                },
            ),
            "Moodle XML has no true/false group with several statements",
        ),
        (
            item("text_entry", {"stem": "s", "match": "pattern", "ignore_diacritics": False, "answers": ["a+"]}),
            "pattern",
        ),
        (
            item("text_entry", {"stem": "s", "match": "normalised", "ignore_diacritics": True, "answers": ["a"]}),
            "diacritics",
        ),
        (
            item(
                "essay",
                {
                    "stem": "s",
                    "rubric": [{"criterion": "c", "levels": [{"label": "x", "points": "1"}]}],
                    "max_words": 9,
                },
            ),
            "rubric",
        ),
        (
            item(
                "inline_choice",
                {
                    "stem": "[[1]] {{1}}",
                    "gaps": [{"id": "1", "options": [{"id": "A", "text": "a"}, {"id": "B", "text": "b"}]}],
                    "scoring": "per_gap",
                    "keys": {"1": "A"},
                },
            ),
            r"\[\[n\]\]",
        ),
        (item("essay", {"stem": "s", "rubric": [], "max_words": None}, category=("/lead",)), "category"),
        (item("essay", {"stem": "bad \x01", "rubric": [], "max_words": None}), "control character"),
    ],
)
def test_unexportable_items_raise_naming_the_item(bad: ImportedItem, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        items_to_moodle_xml([EXACT["essay"], bad])
    assert "item 2" in str(info.value) and bad.title in str(info.value)


def test_true_false_stem_is_kept_inside_the_statement() -> None:
    original = item(
        "true_false_group",
        {
            "stem": "<p>Xét:</p>",
            "statements": [{"id": "s1", "text": "<p>1 &gt; 0</p>"}],
            "scale": None,
            "keys": {"s1": True},
        },
    )
    (back,) = round_trip(original)
    assert back.content["stem"] == ""
    assert back.content["statements"] == [{"id": "a", "text": "<p>Xét:</p><p>1 &gt; 0</p>"}]
    assert back.content["keys"] == {"a": True}


def test_short_answer_asterisk_is_escaped_for_moodle() -> None:
    original = item("text_entry", {"stem": "s", "match": "exact", "ignore_diacritics": False, "answers": ["2*3"]})
    root = ET.fromstring(items_to_moodle_xml([original]))
    assert root.findtext(".//answer/text") == "2\\*3"  # Moodle's literal asterisk
    (back,) = round_trip(original)
    assert back.content["answers"] == ["2*3"] and not back.warnings


# --- the corpus ---------------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_items_export_and_import_back_unchanged(path: Path) -> None:
    imported = parse_moodle_xml(path.read_bytes(), filename=path.name)
    if not imported.items:
        pytest.skip("nothing importable in this file")
    back = round_trip(*imported.items)
    for a, b in zip(imported.items, back, strict=True):
        same(a, b, ignore_metadata=())
