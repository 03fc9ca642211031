"""Excel template import and export: round trips per type, every row error with its row and
column, Vietnamese and English headers, and hostile files. No database."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from itembank.interchange import xlsx
from itembank.interchange.base import ImportedItem, ParseResult, SourceLocation
from itembank.interchange.xlsx import parse_xlsx, template_xlsx, write_xlsx

VI = ["Loại", "Môn", "Chủ đề", "Mức độ", "Câu hỏi", "A", "B", "C", "D", "Đáp án", "Sai số", "Số ô", "Điểm", "Chấm"]
EN = ["Type", "Subject", "Topic", "Level", "Stem", "A", "B", "C", "D", "Key", "Tolerance", "Boxes", "Points", "Scoring"]
BOTH = [
    "Loại / Type",
    "Môn / Subject",
    "Chủ đề / Topic",
    "Mức độ / Level",
    "Câu hỏi / Stem",
    "A",
    "B",
    "C",
    "D",
    "Đáp án / Key",
    "Sai số / Tolerance",
    "Số ô / Boxes",
    "Điểm / Points",
    "Chấm / Scoring",
]
# In these headers: E = stem, F..I = options A..D, J = key, K = tolerance, L = boxes, M = points, N = scoring.


def book(*rows: list[object], header: list[str] | None = None, sheet: str = "Items") -> bytes:
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append(header if header is not None else BOTH)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def row(
    kind: str,
    stem: str = "Câu hỏi",
    options: tuple[str, ...] = (),
    key: object = None,
    *,
    level: str | None = None,
    tolerance: object = None,
    boxes: object = None,
    points: object = None,
    scoring: object = None,
) -> list[object]:
    opts = list(options) + [None] * (4 - len(options))
    return [kind, "Toán", "Hàm số", level, stem, *opts, key, tolerance, boxes, points, scoring]


def parse(data: bytes) -> ParseResult:
    return parse_xlsx(data, filename="bank.xlsx")


def only_error(result: ParseResult) -> tuple[str, SourceLocation]:
    assert result.items == ()
    errors = result.errors
    assert len(errors) == 1, result.issues
    return errors[0].message, errors[0].source


# --- round trips ------------------------------------------------------------------------

LOC = SourceLocation(file="x")
META = {"subject": "Toán", "topic": "Hàm số", "level": "understand", "source": "Đề 2025", "expected_seconds": 90}

ROUND_TRIP_ITEMS = [
    ImportedItem(
        "single_choice",
        {
            "stem": "Giá trị của $x^2$ khi x = 3 là <b>bao nhiêu</b>?",
            "options": [{"id": "A", "text": "6"}, {"id": "B", "text": "9"}, {"id": "C", "text": "a &lt; b"}],
            "key": "B",
        },
        LOC,
        points=Decimal("0.25"),
        metadata=dict(META),
    ),
    ImportedItem(
        "multiple_response",
        {
            "stem": "Dòng 1<br>Dòng 2",
            "options": [{"id": c, "text": f"Phương án {c}"} for c in "ABCDE"],
            "scoring": "partial",
            "keys": ["A", "C", "E"],
        },
        LOC,
        points=Decimal("1.5"),
        metadata={"subject": "Lý", "level": "apply"},
    ),
    ImportedItem(
        "true_false_group",
        {
            "stem": "Xét các mệnh đề",
            "statements": [{"id": c, "text": f"Mệnh đề {c}"} for c in "abcd"],
            "scale": {"1": "0.1", "2": "0.25", "3": "0.5", "4": "1"},
            "keys": {"a": True, "b": False, "c": True, "d": False},
        },
        LOC,
        metadata={"level": "know"},
    ),
    ImportedItem(
        "true_false_group",
        {
            "stem": "",
            "statements": [{"id": "a", "text": "Trái Đất quay quanh Mặt Trời"}],
            "scale": {"1": "1"},
            "keys": {"a": True},
        },
        LOC,
    ),
    ImportedItem(
        "short_numeric",
        {"stem": "Nghiệm là", "boxes": 4, "answer": "-1.5", "tolerance": "0.05"},
        LOC,
        points=Decimal("0.5"),
        metadata={"notes": "=SUM(A1:A2) không phải công thức"},
    ),
    ImportedItem(
        "short_numeric",
        {"stem": "Số", "boxes": None, "answer": "2.25", "tolerance": "0"},
        LOC,
    ),
    ImportedItem(
        "text_entry",
        {"stem": "Thủ đô", "match": "exact", "ignore_diacritics": False, "answers": ["Hà Nội", "Ha Noi"]},
        LOC,
        title="Câu 5",
    ),
    ImportedItem(
        "text_entry",
        {"stem": "Mẫu", "match": "pattern", "ignore_diacritics": False, "answers": ["(a|b)c"]},
        LOC,
    ),
    ImportedItem(
        "text_entry",
        {"stem": "Không dấu", "match": "normalised", "ignore_diacritics": True, "answers": ["ha noi"]},
        LOC,
    ),
    ImportedItem(
        "essay",
        {
            "stem": "Viết đoạn văn",
            "rubric": [
                {
                    "criterion": "Nội dung",
                    "levels": [{"label": "Tốt", "points": "1.5"}, {"label": "Yếu", "points": "0"}],
                },
                {"criterion": "Trình bày", "levels": [{"label": "Tốt", "points": "0.5"}]},
            ],
            "max_words": 200,
        },
        LOC,
        points=Decimal("2"),
        metadata={"expected_seconds": 600},
    ),
    ImportedItem("essay", {"stem": "Tự do", "rubric": [], "max_words": None}, LOC),
]


@pytest.mark.parametrize("item", ROUND_TRIP_ITEMS, ids=[f"{i.item_type}-{n}" for n, i in enumerate(ROUND_TRIP_ITEMS)])
def test_round_trip_per_type(item: ImportedItem) -> None:
    result = parse(write_xlsx([item]))
    assert result.issues == ()
    (back,) = result.items
    assert back.item_type == item.item_type
    assert back.content == item.content
    assert back.points == item.points
    assert back.metadata == item.metadata
    assert back.title == item.title
    assert back.source == SourceLocation(file="bank.xlsx", row=2)
    # and once more: the exported file of the imported item is the same
    again = parse(write_xlsx([back])).items[0]
    assert again.content == back.content


def test_round_trip_all_together_keeps_order_and_rows() -> None:
    result = parse(write_xlsx(ROUND_TRIP_ITEMS))
    assert result.ok and len(result.items) == len(ROUND_TRIP_ITEMS)
    assert [i.source.row for i in result.items] == list(range(2, 2 + len(ROUND_TRIP_ITEMS)))


def test_export_has_guide_sheet_and_writes_formula_like_text_as_text() -> None:
    data = write_xlsx([ROUND_TRIP_ITEMS[4]])
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames[0] == "Items"
    assert "Hướng dẫn" in workbook.sheetnames[1]
    notes = [c for c in workbook["Items"][2] if isinstance(c.value, str) and c.value.startswith("=SUM")]
    assert notes and notes[0].data_type == "s"


def test_export_refuses_types_the_template_cannot_hold() -> None:
    item = ImportedItem("ordering", {"stem": "x", "elements": [], "order": []}, LOC)
    with pytest.raises(ValueError, match="cannot hold"):
        write_xlsx([item])


def test_template_has_one_valid_example_per_type() -> None:
    result = parse(template_xlsx())
    assert result.issues == ()
    assert [i.item_type for i in result.items] == list(xlsx.SUPPORTED_TYPES)


# --- headers ----------------------------------------------------------------------------


@pytest.mark.parametrize("header", [VI, EN, BOTH, [h.upper() for h in EN]], ids=["vi", "en", "both", "upper"])
def test_header_in_vietnamese_or_english(header: list[str]) -> None:
    result = parse(book(row("single_choice", "Câu", ("1", "2"), "b", level="Hiểu", points="0,25"), header=header))
    assert result.issues == ()
    (item,) = result.items
    assert item.content["key"] == "B"
    assert item.points == Decimal("0.25")
    assert item.metadata == {"subject": "Toán", "topic": "Hàm số", "level": "understand"}


def test_columns_in_any_order_and_unknown_column_is_a_warning() -> None:
    data = book(["?", "A", "Câu", "single_choice", "x", "y"], header=["Lạ / Strange", "Key", "Stem", "Type", "A", "B"])
    result = parse(data)
    assert len(result.items) == 1
    (issue,) = result.issues
    assert issue.severity == "warning"
    assert issue.source == SourceLocation(file="bank.xlsx", row=1, element="A")
    assert "Strange" in issue.message


def test_missing_required_columns_is_one_error_and_no_items() -> None:
    message, source = only_error(parse(book(["single_choice", "x"], header=["Type", "Subject"])))
    assert "Câu hỏi / Stem" in message and "Đáp án / Key" in message
    assert source.row == 1


def test_repeated_column_is_an_error() -> None:
    message, source = only_error(parse(book(header=["Type", "Loại", "Stem", "Key"])))
    assert "repeats column A" in message and source.element == "B"


def test_sheet_not_named_items_is_read_with_a_warning() -> None:
    result = parse(book(row("essay", "Viết"), sheet="Sheet1"))
    assert len(result.items) == 1
    assert result.issues[0].severity == "warning" and "Items" in result.issues[0].message


def test_blank_rows_are_skipped_and_rows_numbered_as_in_the_sheet() -> None:
    data = book(
        row("single_choice", "Một", ("x", "y"), "A"),
        [],
        [None, "  ", None],
        row("essay", "Hai"),
    )
    result = parse(data)
    assert result.issues == ()
    assert [i.source.row for i in result.items] == [2, 5]


# --- values -----------------------------------------------------------------------------


def test_short_numeric_decimal_comma_key_and_numeric_cells() -> None:
    result = parse(
        book(
            row("short_numeric", "a", (), "-1,5", boxes=4),
            row("short_numeric", "b", (), 2.25, tolerance=0.01, points=0.5),
            row("short_numeric", "c", (), "−0,25", tolerance="0,1", boxes="4"),
        )
    )
    assert result.issues == ()
    a, b, c = result.items
    assert a.content == {"stem": "a", "boxes": 4, "answer": "-1.5", "tolerance": "0"}
    assert b.content == {"stem": "b", "boxes": None, "answer": "2.25", "tolerance": "0.01"}
    assert b.points == Decimal("0.5")
    assert c.content["answer"] == "-0.25" and c.content["tolerance"] == "0.1"


def test_key_forms() -> None:
    result = parse(
        book(
            row("multiple_response", "m", ("1", "2", "3"), "a; c", scoring="partial"),
            row("multiple_response", "m", ("1", "2", "3"), "AB"),
            row("true_false_group", "t", ("p", "q", "r", "s"), "T,F,T,F"),
            row("true_false_group", "t", ("p", "q", "r", "s"), "ĐSSĐ"),
            row("Đúng/Sai", "t", ("p", "q"), "Đúng, Sai", scoring="partial"),
            row("true_false_group", "t", ("p", "q"), "S,Đ", scoring="0,5/1"),
            row("text_entry", "e", (), " Hà Nội | Ha Noi "),
            row("Tự luận", "e"),
        )
    )
    assert result.issues == ()
    m1, m2, t1, t2, t3, t4, e1, e2 = result.items
    assert m1.content["keys"] == ["A", "C"] and m1.content["scoring"] == "partial"
    assert m2.content["keys"] == ["A", "B"] and m2.content["scoring"] == "all_or_nothing"
    assert t1.content["keys"] == {"a": True, "b": False, "c": True, "d": False}
    assert t2.content["keys"] == {"a": True, "b": False, "c": False, "d": True}
    assert t3.content["scale"] == {"1": "0.5", "2": "1"}
    assert t4.content["scale"] == {"1": "0.5", "2": "1"} and t4.content["keys"] == {"a": False, "b": True}
    assert e1.content["answers"] == ["Hà Nội", "Ha Noi"] and e1.content["match"] == "normalised"
    assert e2.item_type == "essay" and e2.content["rubric"] == []


def test_plain_text_is_escaped_and_html_is_sanitised() -> None:
    result = parse(
        book(
            row("essay", "a < b và c > d\ndòng hai"),
            row("essay", "x<sup>2</sup><script>alert(1)</script>"),
        )
    )
    a, b = result.items
    assert a.content["stem"] == "a &lt; b và c &gt; d<br>dòng hai"
    assert b.content["stem"] == "x<sup>2</sup>"


# --- row errors: the row and the column -------------------------------------------------

ERROR_CASES = [
    (row("single_choice", "s", ("x", "y")), "J", "column J (Đáp án / Key) is empty"),
    (row("single_choice", "s", ("x", "y", "z", "w"), "E"), "J", "key 'E' is not one of the options A–D"),
    (row("single_choice", "s", ("x", "y"), "A,B"), "J", "a single-choice item has one key"),
    (row("single_choice", "s", ("x",), "A"), None, "at least two options"),
    (row("single_choice", "s", ("x", None, "z"), "A"), "G", "column G (B) is empty but option C is filled"),
    (row("multiple_response", "s", ("x", "y"), "A,A"), "J", "key 'A' is given twice"),
    (row("multiple_response", "s", ("x", "y"), "A", scoring="most"), "N", "unknown scoring 'most'"),
    (row("quiz", "s"), "A", "unknown item type 'quiz'"),
    (row(None, "s", (), "A"), "A", "column A (Loại / Type) is empty"),
    (row("essay", ""), "E", "column E (Câu hỏi / Stem) is empty"),
    (row("essay", "s", level="Sáng tạo"), "D", "unknown level 'Sáng tạo'"),
    (row("essay", "s", points="hai"), "M", "points 'hai' is not a number"),
    (row("essay", "s", points=-1), "M", "points -1 are negative"),
    (row("short_numeric", "s", (), "abc"), "J", "key 'abc' is not a number"),
    (row("short_numeric", "s", (), "1,2,3"), "J", "key '1,2,3' is not a number"),
    (row("short_numeric", "s", (), "-12,5", boxes=3), "J", "does not fit in 3 boxes"),
    (row("short_numeric", "s", (), "1", boxes=2.5), "L", "boxes 2.5 is not a whole number"),
    (row("short_numeric", "s", (), "1", tolerance="-0,1"), "K", "tolerance -0.1 is negative"),
    (row("true_false_group", "s", ("p", "q", "r", "s"), "Đ,S,Đ"), "J", "gives 3 values for 4 statements"),
    (row("true_false_group", "s", ("p", "q", "r", "s"), "Đ,S,X,Đ"), "J", "'x' for statement c is not Đ/S"),
    (row("true_false_group", "s", ("p", "q"), "Đ,S"), "N", "national true/false scale is for 4 statements"),
    (row("true_false_group", "s", ("p", "q"), "Đ,S", scoring="1/0,5"), "J", "scale must not decrease"),
    (row("text_entry", "s", (), "a||b"), "J", "an accepted answer between '|' is empty"),
    (row("essay", "s", (), "Nội dung Tốt=2", points=2), "J", "is not 'criterion: level=points"),
    (row("essay", "s", (), "Nội dung: Tốt=5", points=2), "J", "more than the item's 2"),
]


@pytest.mark.parametrize(("cells", "column", "message"), ERROR_CASES, ids=[c[2][:40] for c in ERROR_CASES])
def test_row_errors_name_row_and_column(cells: list[object], column: str | None, message: str) -> None:
    data = book(row("essay", "ổn"), [], cells, row("essay", "cũng ổn"))
    result = parse(data)
    assert [i.source.row for i in result.items] == [2, 5]
    (error,) = result.errors
    assert error.source == SourceLocation(file="bank.xlsx", row=4, element=column)
    assert message in error.message, error.message
    assert str(error).startswith("bank.xlsx, row 4")


def test_bad_expected_seconds_and_too_long_cell() -> None:
    header = [*BOTH, "Thời gian (giây) / Expected seconds"]
    long_stem = "x" * (xlsx.MAX_CELL_CHARS + 1)
    result = parse(book([*row("essay", "s"), "1,5 phút"], [*row("essay", long_stem), 30], header=header))
    first, second = result.errors
    assert first.source == SourceLocation(file="bank.xlsx", row=2, element="O")
    assert "expected seconds '1,5 phút' is not a number" in first.message
    assert second.source == SourceLocation(file="bank.xlsx", row=3, element="E")
    assert f"at most {xlsx.MAX_CELL_CHARS}" in second.message


# --- hostile and wrong files ------------------------------------------------------------


def zip_of(**members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_not_a_zip() -> None:
    message, _ = only_error(parse(b"Loai,Cau hoi\nsingle_choice,x\n"))
    assert "not a zip archive" in message


def test_zip_that_is_not_a_workbook() -> None:
    message, _ = only_error(parse(zip_of(**{"word/document.xml": b"<w/>"})))
    assert "no xl/workbook.xml" in message


def test_zip_with_parent_path_member() -> None:
    data = book(row("essay", "s"))
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members["../../evil.xml"] = b"<x/>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    message, _ = only_error(parse(out.getvalue()))
    assert "unsafe path" in message and "../../evil.xml" in message


def test_zip_bomb_member() -> None:
    data = zip_of(**{"xl/workbook.xml": b"<w/>", "xl/sharedStrings.xml": b"\0" * (xlsx.RATIO_FLOOR_BYTES + 1024)})
    message, _ = only_error(parse(data))
    assert "zip bomb" in message


def test_zip_too_large_when_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_UNCOMPRESSED_BYTES", 1000)
    message, _ = only_error(parse(book(row("essay", "s"))))
    assert "expands to" in message


def test_too_many_members(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_ZIP_MEMBERS", 3)
    message, _ = only_error(parse(book(row("essay", "s"))))
    assert "members" in message


def test_file_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_FILE_BYTES", 100)
    message, _ = only_error(parse(book(row("essay", "s"))))
    assert "file too large" in message


def test_too_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)
    ok = parse(book(*[row("essay", f"s{n}") for n in range(3)]))
    assert len(ok.items) == 3
    message, _ = only_error(parse(book(*[row("essay", f"s{n}") for n in range(4)])))
    assert "more than 3 rows" in message


def test_damaged_workbook_is_one_error() -> None:
    message, _ = only_error(parse(zip_of(**{"xl/workbook.xml": b"<not-a-workbook", "[Content_Types].xml": b"<x/>"})))
    assert "xlsx" in message or "workbook" in message


def test_wrong_dimension_does_not_hide_rows() -> None:
    data = book(row("essay", "a"), row("essay", "b"), row("essay", "c"))
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    members["xl/worksheets/sheet1.xml"] = re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:B2"', sheet).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    assert len(parse(out.getvalue()).items) == 3
