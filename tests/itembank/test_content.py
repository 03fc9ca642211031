"""Item content documents per type (itembank.content) and their rendering (render_html).

No database: every function here is pure over a content dict.
"""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from itembank import content as item_content
from itembank.content import (
    check_response,
    content_diff,
    from_single_choice_columns,
    key_summary,
    response_rule,
    scoring_key,
    search_text,
    student_view,
    validate_content,
)
from itembank.rendering import render_html, render_rich_text
from scoring.item_rules import ITEM_TYPES, score_response


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _options(*texts: str) -> list[dict[str, str]]:
    return [{"id": "ABCDEFGHIJKLMNOP"[index], "text": text} for index, text in enumerate(texts)]


# type -> (content, the correct response, points)
VALID = {
    "single_choice": (
        {"stem": "Đạo hàm của $y = x^2$ là", "options": _options("$2x$", "$x$", "$x^2$", "$2$"), "key": "A"},
        "A",
        "1",
    ),
    "multiple_response": (
        {
            "stem": "Chọn các số nguyên tố",
            "options": _options("2", "4", "5", "9"),
            "scoring": "partial",
            "keys": ["A", "C"],
        },
        ["C", "A"],
        "1",
    ),
    "true_false_group": (
        {
            "stem": "Cho hàm số $y = x^3 - 3x$.",
            "statements": [
                {"id": "a", "text": "Hàm số đồng biến trên $(1; +\\infty)$."},
                {"id": "b", "text": "Hàm số có hai cực trị."},
                {"id": "c", "text": "Giá trị cực đại là $-2$."},
                {"id": "d", "text": "Đồ thị đi qua gốc toạ độ."},
            ],
            "scale": None,
            "keys": {"a": True, "b": True, "c": False, "d": True},
        },
        {"a": True, "b": True, "c": False, "d": True},
        "1",
    ),
    "short_numeric": (
        {"stem": "Giải phương trình $2x + 3 = 0$.", "boxes": 4, "answer": "-1,5", "tolerance": "0"},
        "-1,5",
        "0.25",
    ),
    "text_entry": (
        {"stem": "Thủ đô của Việt Nam là", "match": "normalised", "ignore_diacritics": True, "answers": ["Hà Nội"]},
        "ha noi",
        "1",
    ),
    "inline_choice": (
        {
            "stem": "<p>Nước sôi ở {{g1}} độ C, đá tan ở {{g2}} độ C.</p>",
            "gaps": [
                {"id": "g1", "options": [{"id": "x", "text": "100"}, {"id": "y", "text": "<b>90</b>"}]},
                {"id": "g2", "options": [{"id": "p", "text": "0"}, {"id": "q", "text": "10"}]},
            ],
            "scoring": "per_gap",
            "keys": {"g1": "x", "g2": "p"},
        },
        {"g1": "x", "g2": "p"},
        "1",
    ),
    "matching": (
        {
            "stem": "Nối thủ đô với quốc gia",
            "premises": [{"id": "1", "text": "Pháp"}, {"id": "2", "text": "Nhật Bản"}, {"id": "3", "text": "Ý"}],
            "responses": [
                {"id": "a", "text": "Tokyo"},
                {"id": "b", "text": "Paris"},
                {"id": "c", "text": "Rome"},
                {"id": "d", "text": "Berlin"},
            ],
            "scoring": "per_pair",
            "pairs": {"1": "b", "2": "a", "3": "c"},
        },
        {"1": "b", "2": "a", "3": "c"},
        "1",
    ),
    "ordering": (
        {
            "stem": "Sắp xếp theo thứ tự thời gian",
            "elements": [
                {"id": "a", "text": "Cách mạng tháng Tám"},
                {"id": "b", "text": "Điện Biên Phủ"},
                {"id": "c", "text": "Khởi nghĩa Bà Trưng"},
            ],
            "scoring": "partial",
            "order": ["c", "a", "b"],
        },
        ["c", "a", "b"],
        "1",
    ),
    "essay": (
        {
            "stem": "Trình bày suy nghĩ về tinh thần tự học.",
            "rubric": [
                {
                    "criterion": "Nội dung",
                    "levels": [{"label": "Tốt", "points": "2"}, {"label": "Chưa", "points": "0"}],
                },
                {
                    "criterion": "Hình thức",
                    "levels": [{"label": "Tốt", "points": "1"}, {"label": "Chưa", "points": "0"}],
                },
            ],
            "max_words": 400,
        },
        "Tự học là ...",
        "3",
    ),
}

FIELDS = {
    "single_choice": ["stem", "options", "key"],
    "multiple_response": ["stem", "options", "scoring", "keys"],
    "true_false_group": ["stem", "statements", "scale", "keys"],
    "short_numeric": ["stem", "boxes", "answer", "tolerance"],
    "text_entry": ["stem", "match", "ignore_diacritics", "answers"],
    "inline_choice": ["stem", "gaps", "scoring", "keys"],
    "matching": ["stem", "premises", "responses", "scoring", "pairs"],
    "ordering": ["stem", "elements", "scoring", "order"],
    "essay": ["stem", "rubric", "max_words"],
}


def valid(item_type: str) -> dict:
    return copy.deepcopy(VALID[item_type][0])


def normalised(item_type: str) -> dict:
    return validate_content(item_type, valid(item_type), VALID[item_type][2])


def test_every_item_type_is_covered():
    assert sorted(VALID) == sorted(ITEM_TYPES) == sorted(FIELDS)


# --------------------------------------------------------------------------- validate_content: valid


@pytest.mark.parametrize("item_type", ITEM_TYPES)
def test_valid_content_round_trips(item_type):
    source = valid(item_type)
    result = validate_content(item_type, source, VALID[item_type][2])
    assert list(result) == FIELDS[item_type]
    assert result is not source and source == VALID[item_type][0]  # input left alone
    assert validate_content(item_type, result, VALID[item_type][2]) == result  # idempotent
    assert json.loads(json.dumps(result)) == result  # plain JSON: no Decimal, no tuples


def test_text_is_sanitised_and_stripped():
    content = {
        "stem": '  <p onclick="steal()">Câu 1 &lt; 2</p><script>alert(1)</script>  ',
        "options": [
            {"id": "A", "text": ' <img src="media:x" onerror="alert(1)"> '},
            {"id": "B", "text": "\n<b>hai</b>\n"},
        ],
        "key": "B",
    }
    result = validate_content("single_choice", content, 1)
    assert result["stem"] == "<p>Câu 1 &lt; 2</p>"
    assert result["options"] == [{"id": "A", "text": '<img src="media:x">'}, {"id": "B", "text": "<b>hai</b>"}]


@pytest.mark.parametrize(
    "item_type, content, expected",
    [
        (
            "multiple_response",
            {"stem": "s", "options": _options("1", "2"), "keys": ["A"]},
            {"scoring": "all_or_nothing"},
        ),
        (
            "true_false_group",
            {
                "stem": "s",
                "statements": [{"id": str(i), "text": "t"} for i in range(4)],
                "keys": dict.fromkeys("0123", True),
            },
            {"scale": None},
        ),
        ("short_numeric", {"stem": "s", "answer": 2}, {"boxes": None, "answer": "2", "tolerance": "0"}),
        (
            "short_numeric",
            {"stem": "s", "answer": "-1,50", "tolerance": "0,05"},
            {"answer": "-1.50", "tolerance": "0.05"},
        ),
        (
            "text_entry",
            {"stem": "s", "answers": ["  Huế "]},
            {"match": "exact", "ignore_diacritics": False, "answers": ["Huế"]},
        ),
        ("text_entry", {"stem": "s", "match": "pattern", "answers": [" a+ "]}, {"answers": [" a+ "]}),
        (
            "inline_choice",
            {"stem": "{{1}}", "gaps": [{"id": "1", "options": _options("x", "y")}], "keys": {"1": "A"}},
            {"scoring": "all_or_nothing"},
        ),
        (
            "matching",
            {
                "stem": "s",
                "premises": _options("p", "q"),
                "responses": _options("r", "s"),
                "pairs": {"A": "B", "B": "A"},
            },
            {"scoring": "all_or_nothing"},
        ),
        (
            "ordering",
            {"stem": "s", "elements": _options("1", "2"), "order": ["B", "A"]},
            {"scoring": "all_or_nothing"},
        ),
        ("essay", {"stem": "s"}, {"rubric": [], "max_words": None}),
        (
            "true_false_group",
            {
                "stem": "",
                "statements": _options("p", "q"),
                "scale": {"1": "0,5", "2": 1},
                "keys": {"A": True, "B": False},
            },
            {"stem": "", "scale": {"1": "0.5", "2": "1"}},
        ),
        (
            "essay",
            {"stem": "s", "rubric": [{"criterion": " Ý ", "levels": [{"label": " Đạt ", "points": 0.5}]}]},
            {"rubric": [{"criterion": "Ý", "levels": [{"label": "Đạt", "points": "0.5"}]}]},
        ),
    ],
)
def test_settings_are_defaulted_and_values_normalised(item_type, content, expected):
    result = validate_content(item_type, content, "1")
    assert {name: result[name] for name in expected} == expected


# --------------------------------------------------------------------------- validate_content: invalid


def _set(path: str, value):
    """A change to a valid document: ``path`` like "options.2.text"; value DELETE removes."""

    def change(document):
        *parents, last = path.split(".")
        target = document
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if value is DELETE:
            del target[int(last) if isinstance(target, list) else last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
        return document

    return change


DELETE = object()
LONG_ID = "x" * 41

INVALID = [
    # single choice: options
    ("single_choice", _set("options", _options("only")), "options", "Give between 2 and 10 options; there are 1."),
    (
        "single_choice",
        _set("options", _options(*"abcdefghijk")),
        "options",
        "Give between 2 and 10 options; there are 11.",
    ),
    ("single_choice", _set("options.2.text", ""), "options", "Option 3 has no text."),
    ("single_choice", _set("options.2.text", "<script>x</script> <p> </p>"), "options", "Option 3 has no text."),
    ("single_choice", _set("options.2.text", "x" * 5001), "options", "Option 3 is longer than 5000 characters."),
    ("single_choice", _set("options.1.id", "A"), "options", "Option 2 repeats the id 'A'."),
    ("single_choice", _set("options.1.id", ""), "options", "Option 2 has no id."),
    ("single_choice", _set("options.1.id", LONG_ID), "options", "Option 2 has an id longer than 40 characters."),
    ("single_choice", _set("options.1.id", "B C"), "options", "Option 2 has the id 'B C', which contains spaces"),
    ("single_choice", _set("options.1.colour", "red"), "options", "Option 2 has unknown fields: colour."),
    ("single_choice", _set("options.1", "B"), "options", "Option 2 must be an object with an id and a text."),
    ("single_choice", _set("options", DELETE), "options", "Give the options as a list."),
    ("single_choice", _set("key", "E"), "key", "The key 'E' is not one of the options A, B, C, D."),
    ("single_choice", _set("key", DELETE), "key", "Choose the key"),
    ("single_choice", _set("key", ["A"]), "key", "The key must be one option id."),
    ("single_choice", _set("stem", " <p></p> "), "stem", "The stem is empty."),
    ("single_choice", _set("stem", "x" * 20001), "stem", "The stem is longer than 20000 characters."),
    ("single_choice", _set("stem", 5), "stem", "The stem must be text."),
    ("single_choice", _set("keys", ["A"]), "content", "Unknown fields for this item type: keys."),
    # multiple response
    ("multiple_response", _set("keys", []), "keys", "Choose the keys"),
    ("multiple_response", _set("keys", ["A", "A"]), "keys", "The key 'A' is given twice."),
    ("multiple_response", _set("keys", ["A", "E"]), "keys", "The key 'E' is not one of the options A, B, C, D."),
    ("multiple_response", _set("keys", [["A"]]), "keys", "Each key must be an option id."),
    ("multiple_response", _set("scoring", "some"), "scoring", "'some' is not a scoring setting"),
    # true/false group
    ("true_false_group", _set("statements", []), "statements", "between 1 and 8 statements"),
    (
        "true_false_group",
        _set("statements", [{"id": c, "text": c} for c in "abcdefghi"]),
        "statements",
        "Give between 1 and 8 statements; there are 9.",
    ),
    ("true_false_group", _set("keys.c", DELETE), "keys", "Statement c has no key"),
    ("true_false_group", _set("keys.c", "yes"), "keys", "The key of statement c must be true or false."),
    ("true_false_group", _set("keys.e", True), "keys", "The key names 'e', which is not one of the statements"),
    (
        "true_false_group",
        _set("statements.3", DELETE),
        "scale",
        "The national scale is for 4 statements; this group has 3",
    ),
    (
        "true_false_group",
        _set("scale", {"1": "0.5", "2": "0.25", "3": "0.5", "4": "1"}),
        "scale",
        "must not fall: 2 correct give less than 1",
    ),
    ("true_false_group", _set("scale", {"1": "0.1", "2": "0.2", "3": "0.3", "4": "0.9"}), "scale", "All 4 correct"),
    ("true_false_group", _set("scale", {"1": "0.1", "2": "0.2", "4": "1"}), "scale", "no fraction for 3 correct"),
    ("true_false_group", _set("scale", {"1": "2", "2": "2", "3": "2", "4": "1"}), "scale", "from 0 to 1"),
    (
        "true_false_group",
        _set("scale", {"5": "1"}),
        "scale",
        "The scale names '5' correct; use whole numbers from 0 to the number of statements.",
    ),
    ("true_false_group", _set("scale", "national"), "scale", "The scale must map"),
    # short numeric
    ("short_numeric", _set("answer", "1.000,5"), "answer", "The answer must be a number"),
    ("short_numeric", _set("answer", DELETE), "answer", "The answer must be a number"),
    ("short_numeric", _set("tolerance", "-0.1"), "tolerance", "The tolerance must be a number of 0 or more."),
    ("short_numeric", _set("boxes", 0), "boxes", "from 1 to 20"),
    ("short_numeric", _set("boxes", True), "boxes", "from 1 to 20"),
    ("short_numeric", _set("boxes", 3), "boxes", "The answer -1.5 does not fit in 3 boxes"),
    # text entry
    ("text_entry", _set("answers", []), "answers", "Give at least one accepted answer."),
    ("text_entry", _set("answers", ["Hà Nội", "  "]), "answers", "Accepted answer 2 is empty."),
    ("text_entry", _set("answers", ["x" * 1001]), "answers", "longer than 1000 characters"),
    ("text_entry", _set("answers", ["a"] * 21), "answers", "Give at most 20 accepted answers."),
    ("text_entry", _set("match", "fuzzy"), "match", "'fuzzy' is not a match setting"),
    ("text_entry", _set("match", "exact"), "ignore_diacritics", "only with normalised matching"),
    ("text_entry", _set("ignore_diacritics", "yes"), "ignore_diacritics", "must be true or false"),
    (
        "text_entry",
        lambda c: {**c, "match": "pattern", "ignore_diacritics": False, "answers": ["(a+)+"]},
        "answers",
        "Accepted answer 1 is not a usable pattern",
    ),
    (
        "text_entry",
        lambda c: {**c, "match": "pattern", "ignore_diacritics": False, "answers": ["("]},
        "answers",
        "is not a valid regular expression",
    ),
    # inline choice
    ("inline_choice", _set("stem", "Nước sôi ở {{g1}} độ C."), "stem", "The gap g2 has no {{g2}} marker in the stem."),
    (
        "inline_choice",
        _set("stem", "{{g1}} {{g2}} {{g3}}"),
        "stem",
        "The stem has a gap {{g3}} that is not in the list",
    ),
    ("inline_choice", _set("stem", "{{g1}} {{g2}} {{g1}}"), "stem", "The stem has the gap {{g1}} more than once."),
    ("inline_choice", _set("keys.g1", "p"), "keys", "The key 'p' of gap g1 is not one of its options x, y."),
    ("inline_choice", _set("keys.g2", DELETE), "keys", "Gap g2 has no key."),
    ("inline_choice", _set("keys.g9", "x"), "keys", "The key names 'g9', which is not a gap."),
    ("inline_choice", _set("gaps.1.options", [{"id": "p", "text": "0"}]), "gaps", "Gap g2: Give between 2 and 10"),
    ("inline_choice", _set("gaps.1.options.1.text", ""), "gaps", "Option 2 of gap g2 has no text."),
    ("inline_choice", _set("gaps.1.id", "g1"), "gaps", "Gap 2 repeats the id 'g1'."),
    ("inline_choice", _set("gaps.1.id", "g{2}"), "gaps", "Gap 2 has the id 'g{2}', which contains"),
    ("inline_choice", _set("gaps", []), "gaps", "Give between 1 and 20 gaps; there are 0."),
    ("inline_choice", _set("scoring", "partial"), "scoring", "'partial' is not a scoring setting"),
    # matching
    ("matching", _set("pairs.3", DELETE), "pairs", "Premise 3 has no matching response."),
    ("matching", _set("pairs.3", "z"), "pairs", "Premise 3 is paired with 'z', which is not one of the responses"),
    ("matching", _set("pairs.9", "a"), "pairs", "The pairs name '9', which is not a premise."),
    ("matching", _set("responses", []), "responses", "Give between 1 and 12 responses"),
    ("matching", _set("premises.2.text", " "), "premises", "Premise 3 has no text."),
    # ordering
    ("ordering", _set("order", ["c", "a"]), "order", "The order leaves out b."),
    ("ordering", _set("order", ["c", "a", "b", "a"]), "order", "The order has element a more than once."),
    ("ordering", _set("order", ["c", "a", "b", "z"]), "order", "The order names 'z', which is not one of the elements"),
    ("ordering", _set("order", [["c"], "a", "b"]), "order", "The order must list element ids."),
    ("ordering", _set("elements", _options(*"abcdefghijklm")), "elements", "Give between 2 and 12 elements"),
    # essay
    (
        "essay",
        _set("rubric.0.levels.0.points", "5"),
        "rubric",
        "The rubric can award 6 points, more than the item's 3.",
    ),
    ("essay", _set("rubric.0.levels.1.points", "-1"), "rubric", "must give a number of points of 0 or more"),
    ("essay", _set("rubric.1.criterion", "Nội dung"), "rubric", "The criterion 'Nội dung' appears twice."),
    ("essay", _set("rubric.1.levels", []), "rubric", "The criterion 'Hình thức' needs 1 to 10 levels."),
    ("essay", _set("rubric.1.levels.1.label", "Tốt"), "rubric", "has the level 'Tốt' twice"),
    ("essay", _set("max_words", 0), "max_words", "from 1 to 5000"),
]


@pytest.mark.parametrize(
    "item_type, change, field, message", INVALID, ids=[f"{t}-{f}-{i}" for i, (t, _c, f, _m) in enumerate(INVALID)]
)
def test_invalid_content_names_the_field(item_type, change, field, message):
    document = change(valid(item_type))
    with pytest.raises(ValidationError) as caught:
        validate_content(item_type, document, VALID[item_type][2])
    errors = caught.value.message_dict
    assert field in errors, errors
    assert any(message in text for text in errors[field]), errors


def test_all_problems_are_reported_together():
    document = valid("single_choice")
    document["options"][2]["text"] = ""
    document["stem"] = ""
    document["colour"] = "red"
    with pytest.raises(ValidationError) as caught:
        validate_content("single_choice", document, 1)
    assert set(caught.value.message_dict) == {"options", "stem", "content"}


@pytest.mark.parametrize(
    "item_type, content, points, field",
    [
        ("true_or_false", {"stem": "x"}, 1, "item_type"),
        ("single_choice", ["stem"], 1, "content"),
        ("single_choice", VALID["single_choice"][0], "-1", "points"),
        ("single_choice", VALID["single_choice"][0], "many", "points"),
    ],
)
def test_type_document_and_points_errors(item_type, content, points, field):
    with pytest.raises(ValidationError) as caught:
        validate_content(item_type, content, points)
    assert field in caught.value.message_dict


def test_bad_points_are_reported_once():
    with pytest.raises(ValidationError) as caught:
        validate_content("essay", valid("essay"), "-3")
    assert set(caught.value.message_dict) == {"points"}


def test_a_key_the_scoring_rule_refuses_is_reported_on_the_key_field(monkeypatch):
    def refuse(item_type, key, points):
        raise ValueError("answer and tolerance are too far apart")

    monkeypatch.setattr(item_content, "validate_key", refuse)
    with pytest.raises(ValidationError) as caught:
        validate_content("ordering", valid("ordering"), 1)
    assert caught.value.message_dict == {
        "order": ["The scoring rule refuses the key: answer and tolerance are too far apart."]
    }


def test_messages_go_through_gettext():
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        validate_content("single_choice", {**valid("single_choice"), "key": "E"}, 1)
    english = caught.value.message_dict["key"]
    assert english == ["The key 'E' is not one of the options A, B, C, D."]
    with translation.override("vi"), pytest.raises(ValidationError) as caught:
        validate_content("single_choice", {**valid("single_choice"), "key": "E"}, 1)
    (vietnamese,) = caught.value.message_dict["key"]
    assert vietnamese != english[0] and "'E'" in vietnamese and "A, B, C, D" in vietnamese


# --------------------------------------------------------------------------- scoring_key


@pytest.mark.parametrize("item_type", ITEM_TYPES)
def test_scoring_key_gives_full_marks_to_the_correct_response(item_type):
    _content, correct, points = VALID[item_type]
    document = normalised(item_type)
    score = score_response(item_type, correct, scoring_key(item_type, document), points)
    if item_type == "essay":
        assert score.pending and score.detail["answered"]
        return
    assert score.points == Decimal(points) and score.fraction == 1, score


WRONG = {
    "single_choice": "B",
    "multiple_response": ["B"],
    "true_false_group": {"a": False, "b": False, "c": True, "d": False},
    "short_numeric": "1,5",
    "text_entry": "Huế",
    "inline_choice": {"g1": "y", "g2": "q"},
    "matching": {"1": "a", "2": "b", "3": "d"},
    "ordering": ["b", "a", "c"],
}


@pytest.mark.parametrize("item_type", sorted(WRONG))
def test_scoring_key_gives_no_marks_to_a_wrong_response(item_type):
    score = score_response(item_type, WRONG[item_type], scoring_key(item_type, normalised(item_type)), "1")
    assert score.points == 0


def test_scoring_key_carries_the_settings():
    assert scoring_key("multiple_response", normalised("multiple_response")) == {
        "keys": ["A", "C"],
        "scoring": "partial",
        "options": ["A", "B", "C", "D"],
    }
    assert scoring_key("inline_choice", normalised("inline_choice"))["options"] == {"g1": ["x", "y"], "g2": ["p", "q"]}
    assert scoring_key("short_numeric", normalised("short_numeric")) == {"answer": "-1.5", "tolerance": "0", "boxes": 4}
    assert scoring_key("essay", validate_content("essay", {"stem": "s"}, 1)) == {}


# --------------------------------------------------------------------------- student_view

KEY_FIELD_NAMES = ("key", "keys", "answer", "answers", "tolerance", "scale", "rubric", "match", "pairs", "order")
KEY_FIELD_NAMES += ("ignore_diacritics", "scoring", "criterion", "levels")
VIEW_FIELDS = {
    "single_choice": {"options"},
    "multiple_response": {"options"},
    "true_false_group": {"statements"},
    "short_numeric": {"boxes"},
    "text_entry": set(),
    "inline_choice": {"gaps"},
    "matching": {"premises", "responses"},
    "ordering": {"elements"},
    "essay": {"max_words"},
}


@pytest.mark.parametrize("item_type", ITEM_TYPES)
def test_student_view_never_holds_the_key(item_type):
    view = student_view(item_type, normalised(item_type), seed=7)
    assert set(view) == {"type", "stem_html"} | VIEW_FIELDS[item_type]
    assert view["type"] == item_type
    dump = json.dumps(view, ensure_ascii=False)
    for name in KEY_FIELD_NAMES:
        assert f'"{name}"' not in dump
    assert not re.search(r":\s*(true|false)\b", dump)  # no true/false key values


@pytest.mark.parametrize(
    "item_type, secret",
    [
        ("short_numeric", "1.5"),
        ("short_numeric", "1,5"),
        ("text_entry", "Hà Nội"),
        ("essay", "Nội dung"),
        ("essay", "Hình thức"),
        ("true_false_group", "True"),
        ("multiple_response", "partial"),
        ("text_entry", "normalised"),
    ],
)
def test_student_view_leaves_out_key_values(item_type, secret):
    assert secret not in json.dumps(student_view(item_type, normalised(item_type), seed=1), ensure_ascii=False)


def test_student_view_renders_text():
    view = student_view("single_choice", normalised("single_choice"), seed=0)
    assert "<math" in view["stem_html"] and "$" not in view["stem_html"]
    assert [option["id"] for option in view["options"]] == ["A", "B", "C", "D"]
    assert all(option["html"].startswith("<math") for option in view["options"])


def test_student_view_resolves_media():
    document = {**normalised("single_choice"), "stem": '<img src="media:12" alt="Hình 1">'}
    view = student_view("single_choice", document, seed=0, media_url=lambda name: f"/media/{name}/")
    assert view["stem_html"] == '<img src="/media/12/" alt="Hình 1">'


def test_inline_choice_view_marks_the_gaps_and_gives_plain_option_text():
    view = student_view("inline_choice", normalised("inline_choice"), seed=0)
    assert view["stem_html"] == (
        '<p>Nước sôi ở <span class="gap" data-gap="g1"></span> độ C, '
        'đá tan ở <span class="gap" data-gap="g2"></span> độ C.</p>'
    )
    assert view["gaps"] == [
        {"id": "g1", "options": [{"id": "x", "text": "100"}, {"id": "y", "text": "90"}]},
        {"id": "g2", "options": [{"id": "p", "text": "0"}, {"id": "q", "text": "10"}]},
    ]


def _ordering(count: int) -> dict:
    ids = [f"e{index}" for index in range(count)]
    return validate_content(
        "ordering",
        {"stem": "s", "elements": [{"id": i, "text": i.upper()} for i in ids], "order": ids},
        1,
    )


@pytest.mark.parametrize("count", [2, 3, 5])
def test_ordering_is_shuffled_deterministically_and_never_in_the_key_order(count):
    document = _ordering(count)
    shown = set()
    for seed in range(300):
        view = student_view("ordering", document, seed=seed)
        ids = [element["id"] for element in view["elements"]]
        assert sorted(ids) == sorted(document["order"])
        assert ids != document["order"]
        assert view == student_view("ordering", document, seed=seed)
        shown.add(tuple(ids))
    if count < 5:
        assert len(shown) == {2: 1, 3: 5}[count]  # every order but the key's
    else:
        assert len(shown) > 100  # of the 119 others


def test_matching_responses_are_shuffled_deterministically():
    document = normalised("matching")
    orders = {tuple(r["id"] for r in student_view("matching", document, seed=seed)["responses"]) for seed in range(100)}
    assert len(orders) > 1 and all(sorted(order) == ["a", "b", "c", "d"] for order in orders)
    assert [p["id"] for p in student_view("matching", document, seed=3)["premises"]] == ["1", "2", "3"]
    assert student_view("matching", document, seed=3) == student_view("matching", document, seed=3)


# --------------------------------------------------------------------------- responses


GOOD_RESPONSES = [
    ("single_choice", "C"),
    ("multiple_response", ["A", "D"]),
    ("multiple_response", []),
    ("true_false_group", {"a": True, "c": False}),
    ("true_false_group", {"a": True, "b": None}),
    ("short_numeric", "-1,5"),
    ("short_numeric", "+1,5"),  # a leading plus takes no box
    ("short_numeric", " 0.25 "),
    ("short_numeric", ",25"),
    ("short_numeric", "\u22121,5"),  # the minus sign U+2212
    ("text_entry", "Hà Nội"),
    ("text_entry", "x" * 1000),
    ("inline_choice", {"g2": "q"}),
    ("inline_choice", {"g1": None, "g2": "p"}),
    ("matching", {"1": "d", "3": "d"}),
    ("ordering", ["b", "c"]),
    ("ordering", ["c", "a", "b"]),
    ("essay", "x" * 20000),
    ("essay", "từ " * 400),  # max_words 400
]


@pytest.mark.parametrize("item_type, value", GOOD_RESPONSES)
def test_check_response_accepts_good_and_partial_values(item_type, value):
    rule = response_rule(item_type, normalised(item_type))
    assert check_response(item_type, rule, value) is None


@pytest.mark.parametrize("item_type", ITEM_TYPES)
def test_null_always_clears_and_rules_are_hashable(item_type):
    rule = response_rule(item_type, normalised(item_type))
    hash(rule)
    check_response(item_type, rule, None)


BAD_RESPONSES = [
    ("single_choice", "E", "'E' is not an option; expected one of A, B, C, D"),
    ("single_choice", ["A"], "must give the id of an option as text, not a list"),
    ("single_choice", 1, "must give the id of an option as text, not a number"),
    ("multiple_response", "A", "must be a list of ids, not text"),
    ("multiple_response", ["A", "A"], "'A' is given twice"),
    ("multiple_response", ["A", "Z"], "'Z' is not an option"),
    ("multiple_response", ["A", 1], "must give the id of an option as text"),
    ("true_false_group", {"a": 1}, "must be true, false or null"),
    ("true_false_group", {"a": "true"}, "must be true, false or null"),
    ("true_false_group", {"z": True}, "'z' is not a statement"),
    ("true_false_group", [True], "must be an object from the ids of the statements to answers, not a list"),
    ("short_numeric", "1" * 21, "at most 20"),
    ("short_numeric", 1.5, "must be text, not a number"),
    ("short_numeric", "abc", "'abc' is not a number"),
    ("short_numeric", "1.234.5", "'1.234.5' is not a number"),
    ("short_numeric", "1.000,5", "is not a number"),
    ("short_numeric", "5,", "is not a number"),
    ("short_numeric", "--1", "is not a number"),
    ("short_numeric", "1-", "is not a number"),
    ("short_numeric", "1e3", "is not a number"),
    ("short_numeric", "1 5", "is not a number"),
    ("short_numeric", "   ", "is not a number"),
    ("short_numeric", "\u0661", "is not a number"),  # an Arabic-Indic digit
    ("short_numeric", "12345", "'12345' needs 5 boxes; this item has 4"),
    ("short_numeric", "-1,25", "needs 5 boxes"),
    ("text_entry", "x" * 1001, "at most 1000"),
    ("text_entry", ["Hà Nội"], "must be text, not a list"),
    ("inline_choice", {"g1": "p"}, "'p' is not an option of gap 'g1'"),
    ("inline_choice", {"g3": "x"}, "'g3' is not a gap"),
    ("inline_choice", {"g1": ["x"]}, "must give the id of an option of gap 'g1' as text, not a list"),
    ("inline_choice", "x", "must be an object from the ids of the gaps"),
    ("matching", {"1": "z"}, "'z' is not a response"),
    ("matching", {"9": "a"}, "'9' is not a premise"),
    ("ordering", ["a", "a"], "'a' is given twice"),
    ("ordering", ["a", "z"], "'z' is not an element"),
    ("ordering", {"a": 1}, "must be a list of ids, not an object"),
    ("ordering", ["a", "b", "c", "a"], "there are only 3"),
    ("essay", "x" * 20001, "at most 20000"),
    ("essay", {"text": "x"}, "must be text, not an object"),
    ("essay", "từ " * 401, "The essay has 401 words; at most 400 are allowed"),
]


@pytest.mark.parametrize("item_type, value, message", BAD_RESPONSES)
def test_check_response_rejects_bad_values(item_type, value, message):
    rule = response_rule(item_type, normalised(item_type))
    with pytest.raises(ValueError, match=re.escape(message)):
        check_response(item_type, rule, value)


def test_response_rules_are_compact():
    assert response_rule("single_choice", normalised("single_choice")) == ("A", "B", "C", "D")
    assert response_rule("inline_choice", normalised("inline_choice")) == (("g1", ("x", "y")), ("g2", ("p", "q")))
    assert response_rule("matching", normalised("matching")) == (("1", "2", "3"), ("a", "b", "c", "d"))
    assert response_rule("short_numeric", normalised("short_numeric")) == (item_content.MAX_NUMERIC_CHARS, 4)
    assert response_rule("essay", normalised("essay")) == (item_content.MAX_ESSAY_CHARS, 400)
    assert response_rule("text_entry", normalised("text_entry")) == (item_content.MAX_TEXT_ENTRY_CHARS,)


NUMERIC_TYPING = st.text(alphabet="0123456789,.-+\u2212 e", max_size=8)


@given(typed=NUMERIC_TYPING)
def test_short_numeric_answers_are_checked_in_the_notation_scoring_reads(typed):
    """What the check lets through is what scoring reads and fits the boxes; what it refuses,
    scoring would have found unreadable or too long for the boxes (one rule, two callers)."""
    document = normalised("short_numeric")
    rule = response_rule("short_numeric", document)
    score = score_response("short_numeric", typed, scoring_key("short_numeric", document), 1)
    unreadable = score.detail["status"] in ("invalid", "unanswered") or score.detail.get("reason") == (
        "does not fit the boxes"
    )
    try:
        check_response("short_numeric", rule, typed)
    except ValueError:
        assert unreadable, (typed, score.detail)
    else:
        assert not unreadable, (typed, score.detail)


@given(text=st.text(alphabet=" \t\n\u00a0\u3000ab", max_size=30))
def test_essay_words_are_counted_as_scoring_counts_them(text):
    rule = (item_content.MAX_ESSAY_CHARS, 3)
    words = score_response("essay", text, {}, 1).detail["words"]
    try:
        check_response("essay", rule, text)
    except ValueError:
        assert words > 3
    else:
        assert words <= 3


@pytest.mark.parametrize("item_type, value", [(t, v) for t, v in GOOD_RESPONSES if v not in ([],)])
def test_responses_go_to_the_shown_ids_and_back(item_type, value):
    document = normalised(item_type)
    ids = item_content.new_response_ids(item_type, document)
    shown = item_content.response_to_shown(item_type, ids, value)
    check_response(item_type, response_rule(item_type, document, ids=ids), shown)
    assert item_content.response_from_shown(item_type, item_content.shown_id_lookup(ids), shown) == value
    if ids:  # a type with ids shows none of the version's
        assert json.dumps(shown) != json.dumps(value)


@pytest.mark.parametrize("item_type", ITEM_TYPES)
def test_the_versions_ids_are_not_answers_in_shown_ids(item_type):
    document = normalised(item_type)
    ids = item_content.new_response_ids(item_type, document)
    rule = response_rule(item_type, document, ids=ids)
    correct = VALID[item_type][1]
    if not ids:
        assert ids == {} and rule == response_rule(item_type, document)
        return
    with pytest.raises(ValueError) as refused:
        check_response(item_type, rule, correct)
    # The message quotes only shown ids, never the author's (they may follow the key).
    assert all(old not in str(refused.value).split("expected one of")[-1] for old in ("A", "B", "C", "D"))


@pytest.mark.parametrize("item_type", ITEM_TYPES)
def test_the_view_in_shown_ids_is_the_view_in_the_versions(item_type):
    document = normalised(item_type)
    ids = item_content.new_response_ids(item_type, document)
    lookup = item_content.shown_id_lookup(ids)
    plain = student_view(item_type, document, seed=5)
    shown = student_view(item_type, document, seed=5, ids=ids)
    dumped = json.dumps(shown, ensure_ascii=False)
    for new, old in lookup.items():
        dumped = dumped.replace(f'"{new}"', json.dumps(old)).replace(f'\\"{new}\\"', f'\\"{old}\\"')
    assert json.loads(dumped) == plain


# --------------------------------------------------------------------------- search, key summary, diff


def test_search_text_is_plain_text_of_what_students_see():
    document = {
        "stem": "<p>Tính  <b>giá&nbsp;trị</b> &lt; 5</p><p>H<sub>2</sub>O</p>",
        "options": [{"id": "A", "text": "<i>một</i>"}, {"id": "B", "text": "hai &amp; ba"}],
        "key": "A",
    }
    assert search_text("single_choice", validate_content("single_choice", document, 1)) == (
        "Tính giá trị < 5 H2O một hai & ba"
    )


@pytest.mark.parametrize("item_type", ITEM_TYPES)
def test_search_text_has_no_markup(item_type):
    text = search_text(item_type, normalised(item_type))
    assert text and "<" not in text and "{{" not in text and "  " not in text


def test_search_text_leaves_out_keys_and_includes_every_visible_text():
    assert "Hà Nội" not in search_text("text_entry", normalised("text_entry"))
    assert search_text("inline_choice", normalised("inline_choice")) == ("Nước sôi ở độ C, đá tan ở độ C. 100 90 0 10")
    assert "Berlin" in search_text("matching", normalised("matching"))


@pytest.mark.parametrize(
    "item_type, summary",
    [
        ("single_choice", "A"),
        ("multiple_response", "A, C"),
        ("true_false_group", "a True, b True, c False, d True"),
        ("short_numeric", "-1.5 (± 0)"),
        ("text_entry", "Hà Nội"),
        ("inline_choice", "g1 → x, g2 → p"),
        ("matching", "1 → b, 2 → a, 3 → c"),
        ("ordering", "c, a, b"),
        ("essay", "Marked by rubric"),
    ],
)
def test_key_summary(item_type, summary):
    assert key_summary(item_type, normalised(item_type)) == summary


def test_key_summary_of_several_answers_and_an_essay_without_rubric():
    document = {**normalised("text_entry"), "answers": ["Hà Nội", "Ha Noi"]}
    assert key_summary("text_entry", document) == "Hà Nội | Ha Noi"
    assert key_summary("essay", validate_content("essay", {"stem": "s"}, 1)) == "Marked by a person"


def test_arranged_key_names_what_the_view_shows_with_its_seed():
    """Matching: premises numbered as listed, responses lettered as the view with that seed
    shows them; ordering: the view's elements lettered a, b, ... in the right order."""
    matching, ordering = normalised("matching"), normalised("ordering")
    keys = {"matching": set(), "ordering": set()}
    for seed in range(40):
        shown = [r["id"] for r in student_view("matching", matching, seed=seed)["responses"]]
        expected = "; ".join(
            f"{n}-{'ABCD'[shown.index(matching['pairs'][p['id']])]}" for n, p in enumerate(matching["premises"], 1)
        )
        assert item_content.arranged_key("matching", matching, None, seed=seed) == expected
        keys["matching"].add(expected)
        shown = [e["id"] for e in student_view("ordering", ordering, seed=seed)["elements"]]
        expected = ", ".join("abc"[shown.index(element)] for element in ordering["order"])
        assert item_content.arranged_key("ordering", ordering, None, seed=seed) == expected
        keys["ordering"].add(expected)
    assert len(keys["matching"]) > 1 and len(keys["ordering"]) > 1  # the seed is used


def test_arranged_key_of_gaps_answers_and_essays():
    assert item_content.arranged_key("inline_choice", normalised("inline_choice"), None, seed=1) == "(1) A; (2) A"
    document = {**normalised("inline_choice"), "keys": {"g1": "y", "g2": "q"}}
    assert item_content.arranged_key("inline_choice", document, None, seed=1) == "(1) B; (2) B"
    document = {**normalised("text_entry"), "answers": ["Hà Nội", "Ha Noi"]}
    assert item_content.arranged_key("text_entry", document, None, seed=1) == "Hà Nội | Ha Noi"
    document = {**document, "match": "pattern", "ignore_diacritics": False, "answers": ["^H[aà] N[oộ]i$"]}
    assert item_content.arranged_key("text_entry", document, None, seed=1) == "Pattern: ^H[aà] N[oộ]i$"
    assert item_content.arranged_key("essay", normalised("essay"), None, seed=1) == "Marked by hand"
    # A number as candidates write it: with a decimal comma.
    assert item_content.arranged_key("short_numeric", normalised("short_numeric"), None, seed=1) == "-1,5"


def test_content_diff_lists_changed_fields_only():
    old = normalised("single_choice")
    new = copy.deepcopy(old)
    new["options"][2]["text"] = "$x^3$ <b>mới</b>"
    new["key"] = "B"
    changes = content_diff("single_choice", old, "single_choice", new)
    assert [change["field"] for change in changes] == ["options[2].text", "key"]
    text_change = changes[0]
    assert text_change["before"] == "$x^2$" and text_change["after"] == "$x^3$ <b>mới</b>"
    assert "<del>" in text_change["html"] and "<ins>" in text_change["html"]
    assert "&lt;b&gt;" in text_change["html"] and "<b>" not in text_change["html"]
    assert changes[1] == {"field": "key", "before": "A", "after": "B", "html": "<del>A</del><ins>B</ins>"}
    assert content_diff("single_choice", old, "single_choice", copy.deepcopy(old)) == []


def test_content_diff_marks_words_and_handles_added_fields_and_type_changes():
    changes = content_diff(
        "single_choice",
        {"stem": "Tính đạo hàm của hàm số"},
        "essay",
        {"stem": "Tính tích phân của hàm số", "max_words": 100},
    )
    assert changes[0] == {
        "field": "item_type",
        "before": "single_choice",
        "after": "essay",
        "html": "<del>single_choice</del><ins>essay</ins>",
    }
    assert changes[1]["html"] == "Tính <del>đạo hàm</del><ins>tích phân</ins> của hàm số"
    assert changes[2] == {"field": "max_words", "before": "", "after": "100", "html": "<ins>100</ins>"}


def test_content_diff_of_key_mappings():
    old = normalised("true_false_group")
    new = copy.deepcopy(old)
    new["keys"]["c"] = True
    assert content_diff("true_false_group", old, "true_false_group", new) == [
        {"field": "keys.c", "before": "false", "after": "true", "html": "<del>false</del><ins>true</ins>"}
    ]


def test_from_single_choice_columns_escapes_plain_text():
    document = from_single_choice_columns(
        "Tính $\\frac{1}{2} < x$\r\nbiết <b>",
        [{"id": "A", "text": "a & b"}, {"id": "B", "text": "c"}],
        "B",
    )
    assert document == {
        "stem": "Tính $\\frac{1}{2} &lt; x$<br>biết &lt;b&gt;",
        "options": [{"id": "A", "text": "a &amp; b"}, {"id": "B", "text": "c"}],
        "key": "B",
    }
    assert validate_content("single_choice", document, 1) == document
    stem_html = student_view("single_choice", document, seed=0)["stem_html"]
    assert "<mo>&lt;</mo>" in stem_html and "<br>" in stem_html and "&lt;b&gt;" in stem_html


# --------------------------------------------------------------------------- render_html


def test_latex_in_text_becomes_mathml():
    rendered = render_html("<p>Tính $\\frac{1}{2}$ và $$x^2$$</p>")
    assert rendered.startswith("<p>Tính <math") and rendered.endswith("</math></p>")
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline"><mrow><mfrac>' in rendered
    assert 'display="block"' in rendered and "$" not in rendered


def test_latex_source_is_unescaped_first():
    rendered = render_html("$a &lt; b$")
    assert "<mi>a</mi><mo>&lt;</mo><mi>b</mi>" in rendered and "&amp;lt;" not in rendered


def test_latex_in_attributes_math_and_code_is_left_alone():
    rendered = render_html('<img src="media:1" alt="$x$"><math><mi>$y$</mi></math><code>$z$</code>')
    assert rendered == '<img src="media:1" alt="$x$"><math><mi>$y$</mi></math><code>$z$</code>'


def test_escaped_dollar_is_a_literal_dollar():
    assert render_html("giá \\$5 và \\$6") == "giá $5 và $6"


def test_text_is_escaped():
    assert render_html("a &lt;b&gt; &amp; c") == "a &lt;b&gt; &amp; c"


def test_latex_error_shows_the_source():
    rendered = render_html("x $\\frac{1}{$ y")
    assert rendered == 'x <code class="latex-error" title="LaTeX">\\frac{1}{</code> y'


def test_media_sources_become_urls():
    fragment = '<img src="media:a&amp;b" alt="Hình"><img src="scan.png">'
    rendered = render_html(fragment, media_url=lambda name: f"/media/{name}/?v=1&x=2")
    # An image from anywhere but the bank's media (stored before that rule) loses its source.
    assert rendered == '<img src="/media/a&amp;b/?v=1&amp;x=2" alt="Hình"><img>'
    assert render_html(fragment) == '<img src="media:a&amp;b" alt="Hình"><img>'


@pytest.mark.parametrize(
    "fragment, forbidden",
    [
        ("<script>alert(1)</script>x", "<script"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ('<p onclick="alert(1)">x</p>', "onclick"),
        ('<img src="javascript:alert(1)">', "javascript"),
        ("$\\text{<script>alert(1)</script>}$", "<script"),
        ("$\\text{<img src=x onerror=alert(1)>}$", "onerror"),
        ("$\\href{javascript:alert(1)}{x}$", "javascript"),
        ("$\\style{background:url(x)}{x}$", "style"),
        ("$\\class{evil}{x}$", "class"),
    ],
)
def test_active_content_never_survives(fragment, forbidden):
    assert forbidden not in render_html(fragment)


def test_rich_text_math_is_sanitised_too():
    rendered = render_rich_text("$\\text{<script>alert(1)</script>}$ và $\\href{javascript:alert(1)}{x}$")
    assert "<script" not in rendered and "javascript" not in rendered and "<math" in rendered


def test_output_is_stable():
    fragment = '<p>Cho $f(x) = \\sqrt{x}$, <img src="media:7" alt="đồ thị"> và $$\\int_0^1 x\\,dx$$.</p>'
    first = render_html(fragment, media_url=lambda name: f"/m/{name}")
    assert first == render_html(fragment, media_url=lambda name: f"/m/{name}")
    assert render_html(first) == render_html(render_html(first))  # rendering its own output settles


def test_gap_markers_are_replaced_only_in_text_and_only_for_known_gaps():
    rendered = render_html('<img src="media:1" alt="{{g1}}"> {{g1}} {{g2}}', gaps={"g1"})
    assert rendered == '<img src="media:1" alt="{{g1}}"> <span class="gap" data-gap="g1"></span> {{g2}}'


def test_render_html_keeps_structure():
    fragment = "<table><tbody><tr><td>$x$</td><td>y<br>z</td></tr></tbody></table><ul><li>a</li></ul>"
    rendered = render_html(fragment)
    assert rendered.startswith("<table><tbody><tr><td><math")
    assert rendered.endswith("</math></td><td>y<br>z</td></tr></tbody></table><ul><li>a</li></ul>")
