"""Scoring rules of every item type (scoring/item_rules.py)."""

from __future__ import annotations

import json
import time
import unicodedata
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.item_rules import (
    DEFAULT_TRUE_FALSE_SCALE,
    ITEM_TYPES,
    MAX_RESPONSE_LENGTH,
    Score,
    normalise_text,
    parse_decimal_answer,
    score_essay,
    score_essay_by_rubric,
    score_inline_choice,
    score_matching,
    score_multiple_response,
    score_ordering,
    score_response,
    score_short_numeric,
    score_single_choice_item,
    score_text_entry,
    score_true_false_group,
    validate_key,
)

D = Decimal
TF_KEYS = {"a": True, "b": False, "c": True, "d": False}


def assert_zero(score: Score, status: str, reason: str | None = None) -> None:
    assert score.points == 0
    assert score.fraction == 0
    assert score.detail["status"] == status
    if reason is not None:
        assert score.detail["reason"] == reason


# --------------------------------------------------------------------------- Score


def test_score_invariants():
    with pytest.raises(ValueError, match="between 0 and max_points"):
        Score(D("2"), D("1"), D("1"), {})
    with pytest.raises(ValueError, match="pending"):
        Score(D("1"), D("1"), D("1"), {}, pending=True)
    with pytest.raises(ValueError, match="needs points"):
        Score(None, D("1"), None, {})


def test_points_are_decimals_and_float_input_is_read_through_str():
    score = score_single_choice_item("A", "A", 0.1)  # type: ignore[arg-type]
    assert score.points == D("0.1")
    assert isinstance(score.points, Decimal)


@pytest.mark.parametrize("points", [D("-0.25"), D("NaN"), D("Infinity"), "abc", None, True, [1]])
def test_bad_points_raise(points):
    with pytest.raises(ValueError, match="points"):
        score_single_choice_item("A", "A", points)


def test_caller_decimal_context_does_not_change_scores():
    with localcontext() as ctx:
        ctx.prec = 2
        score = score_inline_choice({"g1": "x"}, {"g1": "x", "g2": "y", "g3": "z"}, D("12.5"), scoring="per_gap")
    assert score.points == D("4.17")


# --------------------------------------------------------------------------- 1. single choice


@pytest.mark.parametrize(
    ("response", "points", "status"),
    [("B", D("0.25"), "correct"), ("A", D("0"), "incorrect"), ("b", D("0"), "incorrect"), (None, D("0"), "unanswered")],
)
def test_single_choice(response, points, status):
    score = score_single_choice_item(response, "B", D("0.25"))
    assert score.points == points
    assert score.max_points == D("0.25")
    assert score.detail["status"] == status


def test_single_choice_malformed_and_invalid_key():
    assert_zero(score_single_choice_item(["B"], "B", 1), "invalid", "not an option id")
    assert_zero(score_single_choice_item("", "B", 1), "unanswered")
    with pytest.raises(ValueError, match="key"):
        score_single_choice_item("B", "", 1)


# --------------------------------------------------------------------------- 2. multiple response


def test_multiple_response_all_or_nothing():
    keys = {"A", "C"}
    assert score_multiple_response(["C", "A"], keys, D("1")).points == 1
    assert score_multiple_response(["A", "A", "C"], keys, D("1")).points == 1  # duplicates count once
    assert_zero(score_multiple_response(["A"], keys, D("1")), "incorrect")
    assert_zero(score_multiple_response(["A", "B", "C"], keys, D("1")), "incorrect")
    assert_zero(score_multiple_response([], keys, D("1")), "unanswered")


@pytest.mark.parametrize(
    ("chosen", "points", "fraction"),
    [
        (["A", "B", "C"], D("1"), D("1")),
        (["A", "B"], D("0.67"), D(2) / D(3)),
        (["A"], D("0.33"), D(1) / D(3)),
        (["A", "B", "D"], D("0.33"), D(1) / D(3)),  # 2 right - 1 wrong
        (["A", "D"], D("0"), D("0")),  # 1 - 1
        (["A", "B", "C", "D", "E"], D("0.33"), D(1) / D(3)),  # choosing everything: 3 - 2
        (["D", "E"], D("0"), D("0")),  # floor at 0
    ],
)
def test_multiple_response_partial_right_minus_wrong(chosen, points, fraction):
    score = score_multiple_response(chosen, ["A", "B", "C"], D("1"), scoring="partial")
    assert score.points == points
    assert score.fraction == fraction


def test_multiple_response_options_and_invalid_keys():
    assert_zero(score_multiple_response(["Z"], ["A"], 1, options=["A", "B"]), "invalid", "unknown option id")
    assert_zero(score_multiple_response("A", ["A"], 1), "invalid", "not a list of ids")
    assert_zero(score_multiple_response([1, "A"], ["A"], 1), "invalid")
    assert_zero(score_multiple_response({"A": True}, ["A"], 1), "invalid")
    with pytest.raises(ValueError, match="empty"):
        score_multiple_response(["A"], [], 1)
    with pytest.raises(ValueError, match="repeats"):
        score_multiple_response(["A"], ["A", "A"], 1)
    with pytest.raises(ValueError, match="not among the options"):
        score_multiple_response(["A"], ["A", "E"], 1, options=["A", "B"])
    with pytest.raises(ValueError, match="scoring"):
        score_multiple_response(["A"], ["A"], 1, scoring="generous")


# --------------------------------------------------------------------------- 3. true/false group


def _tf_response(correct: int) -> dict[str, bool]:
    ids = list(TF_KEYS)
    return {sid: TF_KEYS[sid] if i < correct else not TF_KEYS[sid] for i, sid in enumerate(ids)}


@pytest.mark.parametrize(
    ("correct", "expected"),
    [(0, D("0")), (1, D("0.1")), (2, D("0.25")), (3, D("0.5")), (4, D("1.0"))],
)
def test_true_false_national_table_exactly(correct, expected):
    score = score_true_false_group(_tf_response(correct), TF_KEYS, D("1"))
    assert score.points == expected
    assert score.fraction == expected
    assert score.detail["correct_count"] == correct
    assert str(score.points) == str(expected) or score.points == 0


@pytest.mark.parametrize(("correct", "expected"), [(1, D("0.05")), (2, D("0.125")), (3, D("0.25")), (4, D("0.5"))])
def test_true_false_points_are_exact_products(correct, expected):
    assert score_true_false_group(_tf_response(correct), TF_KEYS, D("0.5")).points == expected


def test_true_false_missing_and_malformed_statements_are_not_correct():
    score = score_true_false_group({"a": True, "b": "false", "c": 1, "x": True}, TF_KEYS, D("1"))
    assert score.points == D("0.1")
    assert score.detail["statements"] == {"a": "correct", "b": "unanswered", "c": "unanswered", "d": "unanswered"}
    assert_zero(score_true_false_group(None, TF_KEYS, 1), "unanswered")
    assert_zero(score_true_false_group({}, TF_KEYS, 1), "unanswered")
    assert_zero(score_true_false_group([True] * 4, TF_KEYS, 1), "invalid")


def test_true_false_custom_scale():
    keys = {"a": True, "b": True, "c": False}
    scale = {1: D("0.2"), 2: D("0.5"), 3: D("1")}
    assert score_true_false_group({"a": True, "b": True, "c": True}, keys, 2, scale=scale).points == D("1.0")
    assert score_true_false_group({"a": False, "b": False, "c": True}, keys, 2, scale=scale).points == 0
    with_zero = {0: D("0.1"), 1: D("0.2"), 2: D("0.5"), 3: D("1")}
    assert score_true_false_group({"a": False, "b": False, "c": True}, keys, 2, scale=with_zero).points == D("0.2")
    # JSON object keys are strings
    assert score_true_false_group({"a": True}, keys, 1, scale={"1": "0.2", "2": "0.5", "3": "1"}).points == D("0.2")


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        (None, "needs a scale"),
        ({1: D("0.5"), 2: D("1")}, "missing \\[3\\]"),
        ({1: D("0.5"), 2: D("0.4"), 3: D("1")}, "must not decrease"),
        ({1: D("0.5"), 2: D("1.5"), 3: D("1")}, "between 0 and 1"),
        ({1: D("-0.1"), 2: D("0.5"), 3: D("1")}, "between 0 and 1"),
        ({1: D("0.1"), 2: D("0.5"), 3: D("0.9")}, "must give 1"),
        ({1: D("0.1"), 2: D("0.5"), 3: D("1"), 4: D("1")}, "counts from 0 to 3"),
        ({0: D("0.5"), 1: D("0.1"), 2: D("0.5"), 3: D("1")}, "must not decrease"),
        ([0.1, 0.5, 1], "mapping"),
    ],
)
def test_true_false_invalid_scale(scale, message):
    with pytest.raises(ValueError, match=message):
        score_true_false_group({}, {"a": True, "b": True, "c": False}, 1, scale=scale)


def test_true_false_invalid_keys():
    with pytest.raises(ValueError, match="true or false"):
        score_true_false_group({}, {"a": "true", "b": True, "c": True, "d": True}, 1)
    with pytest.raises(ValueError, match="non-empty"):
        score_true_false_group({}, {}, 1)


def test_default_scale_is_the_national_rule():
    assert DEFAULT_TRUE_FALSE_SCALE == {0: 0, 1: D("0.1"), 2: D("0.25"), 3: D("0.5"), 4: 1}


# --------------------------------------------------------------------------- 4. short numeric


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3,14", D("3.14")),
        ("3.14", D("3.14")),
        ("  -1,5 ", D("-1.5")),
        ("\u22121,5", D("-1.5")),
        ("+2", D("2")),
        (",5", D("0.5")),
        ("-0", D("0")),
        ("007", D("7")),
    ],
)
def test_parse_decimal_answer_accepts(text, value):
    assert parse_decimal_answer(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "1.000,5",
        "1,000.5",
        "1 000",
        "1,2,3",
        "5,",
        "1e3",
        "abc",
        "--1",
        "+-1",
        "- 1",
        "",
        "١٢",
        "1_000",
        "0x10",
        "NaN",
        "∞",
    ],
)
def test_parse_decimal_answer_rejects(text):
    assert parse_decimal_answer(text) is None


def test_short_numeric_comma_point_and_sign():
    for typed in ("-1,5", "-1.5", " -1,50 ", "\u22121,5"):
        assert score_short_numeric(typed, "-1,5", D("0.5")).points == D("0.5"), typed
    assert_zero(score_short_numeric("1,5", "-1,5", D("0.5")), "incorrect")


def test_short_numeric_tolerance_boundaries_are_inclusive_and_exact():
    # In floats 1.55 - 1.5 > 0.05; in decimals it is exactly the tolerance.
    assert 1.55 - 1.5 > 0.05
    for typed in ("1,55", "1,45", "1.5"):
        assert score_short_numeric(typed, "1.5", 1, tolerance="0.05").detail["status"] == "correct", typed
    for typed in ("1,5500001", "1,4499999", "1,56"):
        assert score_short_numeric(typed, "1.5", 1, tolerance="0.05").detail["status"] == "incorrect", typed
    assert score_short_numeric("2", "2,0", 1).points == 1  # tolerance 0: equal values
    assert_zero(score_short_numeric("2,01", "2", 1), "incorrect")


def test_short_numeric_malformed_responses():
    assert_zero(score_short_numeric("1.000,5", "1000.5", 1), "invalid", "unparseable")
    assert_zero(score_short_numeric("12abc", "12", 1), "invalid", "unparseable")
    assert_zero(score_short_numeric(12, "12", 1), "invalid", "not text")
    assert_zero(score_short_numeric(None, "12", 1), "unanswered")
    assert_zero(score_short_numeric("   ", "12", 1), "unanswered")
    assert_zero(score_short_numeric("1" * (MAX_RESPONSE_LENGTH + 1), "12", 1), "invalid", "unparseable")


def test_short_numeric_boxes():
    assert score_short_numeric("-1,5", "-1.5", 1, boxes=4).points == 1  # sign, 1, comma, 5
    assert score_short_numeric("+12,5", "12.5", 1, boxes=4).points == 1  # '+' takes no box
    assert score_short_numeric(" 0,25 ", "0.25", 1, boxes=4).points == 1  # spaces take no box
    assert score_short_numeric(",25", "0.25", 1, boxes=3).points == 1
    score = score_short_numeric("-0,25", "-0.25", 1, boxes=4)
    assert_zero(score, "incorrect", "does not fit the boxes")
    assert score_short_numeric("-,25", "-0.25", 1, boxes=4).points == 1
    assert_zero(score_short_numeric("12,50", "12.5", 1, boxes=4), "incorrect", "does not fit the boxes")
    assert score_short_numeric("12,50", "12.5", 1).points == 1  # no box layout: fine


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"answer": "1.000,5"}, "answer"),
        ({"answer": "x"}, "answer"),
        ({"answer": "1", "tolerance": "-0.1"}, "tolerance"),
        ({"answer": "1", "boxes": 0}, "boxes"),
        ({"answer": "1", "boxes": True}, "boxes"),
        ({"answer": "-12,5", "boxes": 4}, "does not fit"),
        ({"answer": D("1E+9999"), "tolerance": "0.1"}, "scale"),
    ],
)
def test_short_numeric_invalid_keys(kwargs, message):
    answer = kwargs.pop("answer")
    with pytest.raises(ValueError, match=message):
        score_short_numeric("1", answer, 1, **kwargs)


# --------------------------------------------------------------------------- 5. text entry


def test_text_entry_exact():
    assert score_text_entry("Hà Nội", ["Hà Nội"], 1).points == 1
    decomposed = unicodedata.normalize("NFD", "Hà Nội")
    assert decomposed != "Hà Nội"
    assert score_text_entry(decomposed, ["Hà Nội"], 1).points == 1  # NFC on both sides
    assert_zero(score_text_entry("hà nội", ["Hà Nội"], 1), "incorrect")
    assert_zero(score_text_entry(" Hà Nội", ["Hà Nội"], 1), "incorrect")


def test_text_entry_normalised_and_vietnamese_diacritics():
    assert score_text_entry("  HÀ   nội ", ["Hà Nội"], 1, match="normalised").points == 1
    assert_zero(score_text_entry("ha noi", ["Hà Nội"], 1, match="normalised"), "incorrect")
    assert score_text_entry("ha noi", ["Hà Nội"], 1, match="normalised", ignore_diacritics=True).points == 1
    assert score_text_entry("Hà Nội", ["ha noi"], 1, match="normalised", ignore_diacritics=True).points == 1
    assert score_text_entry("DA NANG", ["Đà Nẵng"], 1, match="normalised", ignore_diacritics=True).points == 1
    assert normalise_text("Đường   Trường Sơn", ignore_diacritics=True) == "duong truong son"
    score = score_text_entry("nuoc", ["đất", "nước"], 1, match="normalised", ignore_diacritics=True)
    assert score.detail == {"status": "correct", "matched": 1}


def test_text_entry_pattern():
    key = [r"(?i)h2o", r"[0-9]{1,3}(?:[.,][0-9]+)? ?kg"]
    assert score_text_entry("H2O", key, 1, match="pattern").points == 1
    assert score_text_entry(" 12,5 kg ", key, 1, match="pattern").detail["matched"] == 1
    assert_zero(score_text_entry("H2O2", key, 1, match="pattern"), "incorrect")  # fullmatch, not search


@pytest.mark.parametrize("pattern", ["(a+)+$", r"(\w*)*x", "(a|b+)*", "((ab)*c)+", "(x+){2,}", "(x+){30}", "(a{1,})+"])
def test_text_entry_rejects_nested_quantifiers(pattern):
    with pytest.raises(ValueError, match="nested quantifiers"):
        score_text_entry("a", [pattern], 1, match="pattern")


@pytest.mark.parametrize(
    "pattern", [r"(ab)+", r"(a|b)*c", r"[(+*)]+", r"\(a+\)+", r"(?:[a-z]+ )?\d+", r"(\d{3}\.)+\d{3}", r"(a+)?b"]
)
def test_text_entry_allows_ordinary_patterns(pattern):
    score_text_entry("a", [pattern], 1, match="pattern")


def test_text_entry_long_response_is_not_matched_quickly():
    start = time.perf_counter()
    score = score_text_entry("a" * 100_000, [".*.*.*b"], 1, match="pattern")
    assert time.perf_counter() - start < 1
    assert_zero(score, "invalid", "too long")


@pytest.mark.parametrize(
    ("answers", "kwargs", "message"),
    [
        (["("], {"match": "pattern"}, "not a valid regular expression"),
        ([], {}, "non-empty list"),
        ("Hà Nội", {}, "non-empty list"),
        (["  "], {}, "non-blank"),
        ([1], {}, "non-blank"),
        (["a"], {"match": "fuzzy"}, "match"),
        (["a"], {"ignore_diacritics": True}, "only to match 'normalised'"),
    ],
)
def test_text_entry_invalid_keys(answers, kwargs, message):
    with pytest.raises(ValueError, match=message):
        score_text_entry("a", answers, 1, **kwargs)


def test_text_entry_malformed_responses():
    assert_zero(score_text_entry(None, ["a"], 1), "unanswered")
    assert_zero(score_text_entry(" ", ["a"], 1), "unanswered")
    assert_zero(score_text_entry(["a"], ["a"], 1), "invalid", "not text")


# --------------------------------------------------------------------------- 6. inline choice


CLOZE = {"g1": "x", "g2": "y", "g3": "z"}


def test_inline_choice_all_or_nothing():
    assert score_inline_choice({"g1": "x", "g2": "y", "g3": "z"}, CLOZE, D("1")).points == 1
    score = score_inline_choice({"g1": "x", "g2": "y", "g3": "q"}, CLOZE, D("1"))
    assert_zero(score, "incorrect")
    assert score.detail["gaps"] == {"g1": "correct", "g2": "correct", "g3": "incorrect"}


@pytest.mark.parametrize(
    ("response", "points"),
    [
        ({"g1": "x", "g2": "y", "g3": "z"}, D("1")),
        ({"g1": "x", "g2": "y"}, D("0.67")),  # 2/3 rounds half up
        ({"g1": "x"}, D("0.33")),
        ({"g1": "q"}, D("0")),
    ],
)
def test_inline_choice_per_gap(response, points):
    assert score_inline_choice(response, CLOZE, D("1"), scoring="per_gap").points == points


def test_per_gap_rounding_never_exceeds_max():
    # 0.125 has more decimals than the quantum: 2/3 of it is 0.0833 -> 0.08; full credit is exact.
    keys = {"g1": "x", "g2": "y", "g3": "z"}
    assert score_inline_choice({"g1": "x", "g2": "y"}, keys, D("0.125"), scoring="per_gap").points == D("0.08")
    assert score_inline_choice(keys, keys, D("0.125"), scoring="per_gap").points == D("0.125")
    # 7/8 of 0.01 rounds to 0.01, capped at the maximum
    eight = {f"g{i}": "x" for i in range(8)}
    almost = {f"g{i}": "x" for i in range(7)}
    score = score_inline_choice(almost, eight, D("0.01"), scoring="per_gap")
    assert score.points == D("0.01")
    assert score.points <= score.max_points


def test_inline_choice_options_and_malformed():
    options = {"g1": ["x", "w"], "g2": ["y", "w"], "g3": ["z", "w"]}
    score = score_inline_choice({"g1": "x", "g2": "nope", "g3": 3}, CLOZE, 1, scoring="per_gap", options=options)
    assert score.detail["gaps"] == {"g1": "correct", "g2": "invalid", "g3": "invalid"}
    assert score.points == D("0.33")
    assert_zero(score_inline_choice(["x"], CLOZE, 1), "invalid")
    assert_zero(score_inline_choice({}, CLOZE, 1), "unanswered")
    with pytest.raises(ValueError, match="not among its options"):
        score_inline_choice({}, CLOZE, 1, options={"g1": ["w"], "g2": ["y"], "g3": ["z"]})
    with pytest.raises(ValueError, match="has no options"):
        score_inline_choice({}, CLOZE, 1, options={"g1": ["x"]})
    with pytest.raises(ValueError, match="scoring"):
        score_inline_choice({}, CLOZE, 1, scoring="per_pair")
    with pytest.raises(ValueError, match="non-empty mapping"):
        score_inline_choice({}, {}, 1)


# --------------------------------------------------------------------------- 7. matching


def test_matching():
    pairs = {"p1": "r1", "p2": "r2", "p3": "r2", "p4": "r4"}  # responses may repeat
    assert score_matching(dict(pairs), pairs, D("2")).points == D("2")
    wrong_one = {**pairs, "p4": "r1"}
    assert_zero(score_matching(wrong_one, pairs, D("2")), "incorrect")
    assert score_matching(wrong_one, pairs, D("2"), scoring="per_pair").points == D("1.50")
    assert score_matching({"p1": "r1"}, pairs, D("1"), scoring="per_pair").points == D("0.25")
    assert score_matching(None, pairs, 1).detail["status"] == "unanswered"
    with pytest.raises(ValueError, match="pairs"):
        score_matching({}, {"p1": 2}, 1)
    with pytest.raises(ValueError, match="scoring"):
        score_matching({}, pairs, 1, scoring="per_gap")


# --------------------------------------------------------------------------- 8. ordering


ORDER = ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    ("response", "in_order", "points"),
    [
        (["a", "b", "c", "d"], 4, D("1")),
        (["b", "a", "c", "d"], 3, D("0.75")),
        (["d", "a", "b", "c"], 3, D("0.75")),  # one element moved
        (["c", "d", "a", "b"], 2, D("0.50")),
        (["d", "c", "b", "a"], 1, D("0")),  # reversed: a single element earns nothing
        (["a", "c"], 2, D("0.50")),  # incomplete response
    ],
)
def test_ordering_partial_longest_ordered_subsequence(response, in_order, points):
    score = score_ordering(response, ORDER, D("1"), scoring="partial")
    assert score.detail["in_order"] == in_order
    assert score.points == points


def test_ordering_all_or_nothing_and_malformed():
    assert score_ordering(("a", "b", "c", "d"), ORDER, 1).points == 1
    assert_zero(score_ordering(["a", "b", "d", "c"], ORDER, 1), "incorrect")
    assert_zero(score_ordering(["a", "b", "c"], ORDER, 1), "incorrect")
    assert_zero(score_ordering(["a", "a", "b", "c"], ORDER, 1, scoring="partial"), "invalid")
    assert_zero(score_ordering(["a", "b", "c", "d", "e"], ORDER, 1, scoring="partial"), "invalid")
    assert_zero(score_ordering(["a", "a", "b"], ORDER, 1, scoring="partial"), "invalid", "repeated element id")
    assert_zero(score_ordering("abcd", ORDER, 1), "invalid")
    assert_zero(score_ordering([], ORDER, 1), "unanswered")
    with pytest.raises(ValueError, match="at least 2"):
        score_ordering([], ["a"], 1)
    with pytest.raises(ValueError, match="repeats"):
        score_ordering([], ["a", "b", "a"], 1)
    with pytest.raises(ValueError, match="a list"):
        score_ordering([], {"a", "b"}, 1)


# --------------------------------------------------------------------------- 9. essay


RUBRIC = [
    {"criterion": "content", "levels": [{"label": "weak", "points": "0"}, {"label": "good", "points": "2.5"}]},
    {"criterion": "language", "levels": [{"label": "weak", "points": 0}, {"label": "good", "points": "1,5"}]},
]


def test_essay_is_pending():
    score = score_essay("Một bài văn ngắn.", D("6"))
    assert score.pending and score.points is None and score.fraction is None
    assert score.max_points == 6
    assert score.detail == {"status": "pending", "reason": "needs a person with a rubric", "answered": True, "words": 4}
    assert score_essay(None, 6).detail["answered"] is False


def test_essay_by_rubric():
    score = score_essay_by_rubric({"content": "good", "language": "weak"}, RUBRIC, D("4"))
    assert score.points == D("2.5")
    assert score.fraction == D("0.625")
    assert score.detail["criteria"] == {
        "content": {"level": "good", "points": "2.5"},
        "language": {"level": "weak", "points": "0"},
    }
    assert score_essay_by_rubric({"content": "good", "language": "good"}, RUBRIC, D("4")).points == D("4.0")


@pytest.mark.parametrize(
    ("levels", "rubric", "points", "message"),
    [
        ({"content": "great", "language": "weak"}, RUBRIC, 4, "does not exist"),
        ({"content": "good"}, RUBRIC, 4, "no level chosen"),
        ({"content": "good", "language": "good", "style": "good"}, RUBRIC, 4, "not in the rubric"),
        ({"content": "good", "language": "good"}, RUBRIC, D("3.9"), "more than the item"),
        ({}, [], 4, "non-empty list"),
        ({}, [RUBRIC[0], RUBRIC[0]], 10, "twice"),
        ({}, [{"criterion": "c", "levels": [{"label": "x", "points": "-1"}]}], 4, ">= 0"),
        ({}, [{"criterion": "c", "levels": []}], 4, "levels"),
    ],
)
def test_essay_by_rubric_validation(levels, rubric, points, message):
    with pytest.raises(ValueError, match=message):
        score_essay_by_rubric(levels, rubric, points)


# --------------------------------------------------------------------------- dispatcher


@pytest.mark.parametrize(
    ("item_type", "response", "key", "points", "expected"),
    [
        ("single_choice", "B", {"key": "B"}, "0.25", D("0.25")),
        ("multiple_response", ["A", "B"], {"keys": ["A", "C"], "scoring": "partial"}, 1, D("0")),
        ("multiple_response", ["A"], {"keys": ["A", "C"], "scoring": "partial", "options": list("ABCD")}, 1, D("0.50")),
        ("true_false_group", {"a": True, "b": False, "c": False}, {"keys": TF_KEYS}, 1, D("0.25")),
        ("true_false_group", {"a": True}, {"keys": {"a": True, "b": True}, "scale": {"1": 0.4, "2": 1}}, 1, D("0.4")),
        ("short_numeric", "-1,5", {"answer": "-1.5", "tolerance": "0", "boxes": 4}, "0.5", D("0.5")),
        ("short_numeric", "3,15", {"answer": 3.14, "tolerance": 0.01}, "0.5", D("0.5")),
        ("text_entry", "ha noi", {"answers": ["Hà Nội"], "match": "normalised", "ignore_diacritics": True}, 1, D("1")),
        (
            "inline_choice",
            {"g1": "x"},
            {"keys": CLOZE, "scoring": "per_gap", "options": {g: [o] for g, o in CLOZE.items()}},
            3,
            D("1.00"),
        ),
        ("matching", {"p1": "r1"}, {"pairs": {"p1": "r1", "p2": "r2"}, "scoring": "per_pair"}, 1, D("0.50")),
        ("ordering", ["a", "b"], {"order": ["a", "b"]}, 1, D("1")),
    ],
)
def test_score_response_dispatches(item_type, response, key, points, expected):
    score = score_response(item_type, response, key, points)
    assert score.points == expected
    json.dumps(score.detail)


def test_score_response_essay_is_pending_and_checks_rubric():
    assert score_response("essay", "text", {"rubric": RUBRIC, "max_words": 300}, 4).pending
    with pytest.raises(ValueError, match="more than the item"):
        score_response("essay", "text", {"rubric": RUBRIC}, 3)


@pytest.mark.parametrize(
    ("item_type", "key", "message"),
    [
        ("true_or_false", {}, "unknown item type"),
        ("single_choice", {}, "needs 'key'"),
        ("single_choice", {"key": "A", "keys": ["A"]}, "unknown fields"),
        ("single_choice", ["A"], "mapping"),
        ("multiple_response", {"keys": "AC"}, "list or set"),
        ("multiple_response", {"keys": ["A"], "scoring": 1}, "scoring"),
        ("true_false_group", {"keys": {"a": True}}, "needs a scale"),
        ("true_false_group", {"keys": TF_KEYS, "scale": [1]}, "scale"),
        ("short_numeric", {"answer": "1,2,3"}, "answer"),
        ("short_numeric", {"answer": "1", "boxes": "4"}, "boxes"),
        ("text_entry", {"answers": "a"}, "list"),
        ("text_entry", {"answers": ["(a+)+"], "match": "pattern"}, "nested"),
        ("text_entry", {"answers": ["a"], "ignore_diacritics": "yes"}, "ignore_diacritics"),
        ("inline_choice", {"keys": {"g1": "x"}, "options": ["x"]}, "options"),
        ("matching", {"pairs": []}, "pairs"),
        ("ordering", {"order": ["a"]}, "at least 2"),
        ("essay", {"rubric": "good"}, "rubric"),
    ],
)
def test_invalid_keys_raise(item_type, key, message):
    with pytest.raises(ValueError, match=message):
        validate_key(item_type, key, 1)


def test_validate_key_accepts_valid_keys():
    validate_key("true_false_group", {"keys": TF_KEYS}, 1)
    validate_key("essay", {"rubric": RUBRIC}, 4)
    validate_key("text_entry", {"answers": [r"\d+"], "match": "pattern"}, 1)


# --------------------------------------------------------------------------- malformed responses never raise

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["A", "B", "a", "g1", "x", "p1", "r1", "-1,5", "1.000,5", "Hà Nội", " ", ""]),
    lambda children: (
        st.lists(children, max_size=6)
        | st.dictionaries(
            st.sampled_from(["a", "b", "c", "d", "g1", "g2", "p1", "p2"]) | st.text(max_size=5), children, max_size=6
        )
    ),
    max_leaves=15,
)

KEYS = {
    "single_choice": {"key": "A"},
    "multiple_response": {"keys": ["A", "B"], "scoring": "partial", "options": ["A", "B", "C"]},
    "true_false_group": {"keys": TF_KEYS},
    "short_numeric": {"answer": "-1,5", "tolerance": "0.05", "boxes": 4},
    "text_entry": {"answers": ["Hà Nội", r"\d+"], "match": "pattern"},
    "inline_choice": {"keys": {"g1": "x", "g2": "y"}, "scoring": "per_gap"},
    "matching": {"pairs": {"p1": "r1", "p2": "r2"}, "scoring": "per_pair"},
    "ordering": {"order": ["a", "b", "c"], "scoring": "partial"},
    "essay": {},
}


def test_every_item_type_has_a_fuzz_key():
    assert set(KEYS) == set(ITEM_TYPES)


@settings(max_examples=300, deadline=None)
@given(item_type=st.sampled_from(ITEM_TYPES), response=json_values)
def test_malformed_responses_never_raise(item_type, response):
    points = D("0.25")
    score = score_response(item_type, response, KEYS[item_type], points)
    assert score.max_points == points
    if item_type == "essay":
        assert score.pending
    else:
        assert score.points is not None
        assert 0 <= score.points <= points
        assert score.fraction is not None and 0 <= score.fraction <= 1
    assert score.detail["status"] in {"correct", "partial", "incorrect", "unanswered", "invalid", "pending"}
    json.dumps(score.detail)


@settings(max_examples=200, deadline=None)
@given(
    response=st.dictionaries(st.sampled_from(list(TF_KEYS)), json_values, max_size=4),
    modes=st.sampled_from(["exact", "normalised"]),
)
def test_mapping_shaped_garbage_never_raises(response, modes):
    for item_type in ("true_false_group", "inline_choice", "matching"):
        score = score_response(item_type, response, KEYS[item_type], 1)
        assert score.points is not None and 0 <= score.points <= 1
    score = score_text_entry(json.dumps(response), ["x"], 1, match=modes)
    assert score.points in (0, 1)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=30))
def test_short_numeric_text_never_raises(text):
    score = score_short_numeric(text, "1,5", 1, tolerance="0.1", boxes=4)
    assert score.points in (0, 1)
    if score.points == 1:
        value = parse_decimal_answer(text)
        assert value is not None and abs(value - D("1.5")) <= D("0.1")
