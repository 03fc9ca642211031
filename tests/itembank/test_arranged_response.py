"""A candidate's response written in the labels of their test code (itembank.content.arranged_response),
as the key table writes the key: the correct response reads as the key, on every arrangement."""

from __future__ import annotations

import random

import pytest
from django.utils import translation

from itembank import content as item_content
from tests.itembank.test_content import normalised

KEYED_TYPES = ["single_choice", "multiple_response", "true_false_group", "inline_choice", "matching", "ordering"]


@pytest.mark.parametrize("item_type", KEYED_TYPES)
def test_the_correct_response_reads_as_the_key_on_every_test_code(item_type):
    document = normalised(item_type)
    correct = item_content.correct_response(item_type, document)
    rng = random.Random(5)
    seen = set()
    for seed in range(12):
        arrangement = item_content.new_arrangement(item_type, document, rng)
        key = item_content.arranged_key(item_type, document, arrangement, seed=seed)
        assert item_content.arranged_response(item_type, document, arrangement, correct, seed=seed) == key
        seen.add(key)
    if item_type in ("single_choice", "multiple_response", "matching", "ordering"):
        assert len(seen) > 1  # the arrangement or the seed is used


def test_a_wrong_response_names_the_letter_the_candidate_saw():
    document = normalised("single_choice")  # options A, B, C, D; key A
    arrangement = {"options": ["C", "A", "D", "B"]}  # shown: A=C, B=A, C=D, D=B
    assert item_content.arranged_response("single_choice", document, arrangement, "D", seed=1) == "C"
    assert item_content.arranged_response("single_choice", document, arrangement, "A", seed=1) == "B"
    assert item_content.arranged_key("single_choice", document, arrangement, seed=1) == "B"
    assert item_content.arranged_response("multiple_response", normalised("multiple_response"), None, [], seed=1) == ""


def test_parts_left_unanswered_and_texts():
    gap = item_content.UNANSWERED_PART
    with translation.override("vi"):
        tf = item_content.arranged_response(
            "true_false_group", normalised("true_false_group"), None, {"a": True, "c": False}, seed=1
        )
    assert tf == f"Đ{gap}S{gap}"
    with translation.override("en"):
        assert item_content.arranged_response("true_false_group", normalised("true_false_group"), None, {}, seed=1) == (
            gap * 4
        )
    assert (
        item_content.arranged_response("inline_choice", normalised("inline_choice"), None, {"g2": "q"}, seed=1)
        == f"(1) {gap}; (2) B"
    )
    assert item_content.arranged_response("matching", normalised("matching"), None, {}, seed=1) == (
        f"1-{gap}; 2-{gap}; 3-{gap}"
    )
    assert item_content.arranged_response("short_numeric", normalised("short_numeric"), None, "-1,5", seed=1) == "-1,5"
    essay = "Tự   học là\nrất quan trọng " * 20
    shown = item_content.arranged_response("essay", normalised("essay"), None, essay, seed=1, limit=30)
    assert len(shown) == 30 and shown.endswith("…") and shown.startswith("Tự học là rất quan trọng")
    assert item_content.arranged_response("essay", normalised("essay"), None, None, seed=1) == ""


def test_a_value_that_is_no_response_of_the_item_is_shown_as_it_is():
    assert item_content.arranged_response("single_choice", normalised("single_choice"), None, "Z", seed=1) == "Z"
    assert item_content.arranged_response("ordering", normalised("ordering"), None, 7, seed=1) == "7"
