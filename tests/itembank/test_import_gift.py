"""GIFT import: every file of the shared corpus parses, with exact expectations for several,
and every error path reports its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from itembank.interchange import gift
from itembank.interchange.gift import parse_gift

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "gift"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"GIFT corpus folder {CORPUS} is absent")


def _corpus_files() -> list[Path]:
    return sorted(CORPUS.iterdir()) if CORPUS.is_dir() else []


def _read(name: str):
    return parse_gift((CORPUS / name).read_bytes(), filename=name)


def _types(result) -> list[str]:
    return [item.item_type for item in result.items]


# ----------------------------------------------------------------------------- the corpus


@needs_corpus
@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: p.name)
def test_every_corpus_file_parses_without_errors(path):
    result = parse_gift(path.read_bytes(), filename=path.name)
    assert result.ok, [str(issue) for issue in result.errors]
    for item in result.items:
        assert item.source.file == path.name and item.source.line >= 1


@needs_corpus
def test_corpus_item_counts():
    counts = {path.name: len(parse_gift(path.read_bytes(), filename=path.name).items) for path in _corpus_files()}
    assert counts == {
        "category1.gift": 0,
        "description1.gift": 1,
        "escapeAll.gift": 1,
        "essay1.gift": 1,
        "giftFormatPhpExamples.gift": 10,
        "matching1.gift": 2,
        "mc5.gift": 4,
        "mcHTMLComment.gift": 1,
        "moodle-examples.txt": 43,
        "moodle-questions.gift.txt": 9,
        "moodle-questions_encoding_windows-1252.gift.txt": 3,
        "moodle-questions_in_category.gift.txt": 4,
        "multiLineFeedback1.gift": 2,
        "multipleAnswersFloat.gift": 1,
        "numerical1.gift": 10,
        "options1.gift": 14,
        "shortAnswer2.gift": 2,
        "tf2.gift": 2,
    }


@needs_corpus
def test_format_php_examples():
    result = _read("giftFormatPhpExamples.gift")
    assert _types(result) == [
        "single_choice",
        "inline_choice",
        "true_false_group",
        "text_entry",
        "short_numeric",
        "matching",
        "inline_choice",
        "single_choice",
        "text_entry",
        "short_numeric",
    ]
    assert [item.source.line for item in result.items] == [5, 7, 9, 11, 13, 15, 22, 28, 33, 40]
    mc, missing, tf, short, num, match, tomb, weighted, jesus, numex = result.items
    assert mc.content["options"][2] == {"id": "C", "text": "no one"} and mc.content["key"] == "C"
    assert missing.content["stem"] == "Grant is {{1}} in Grant's tomb."
    assert missing.content["gaps"][0]["options"][1] == {"id": "B", "text": "entombed"}
    assert missing.content["keys"] == {"1": "B"}
    assert tf.content["stem"] == ""
    assert tf.content["statements"] == [{"id": "1", "text": "Grant is buried in Grant's tomb."}]
    assert tf.content["keys"] == {"1": False}
    assert short.content["answers"] == ["no one", "nobody"] and short.content["match"] == "normalised"
    assert (num.content["answer"], num.content["tolerance"]) == ("1822", "5")
    assert match.content["pairs"] == {"1": "A", "2": "B", "3": "C"}
    assert [r["text"] for r in match.content["responses"]] == ["Ottawa", "Rome", "Tokyo"]
    assert tomb.title == "Grant's Tomb" and tomb.source.element == "Grant's Tomb"
    assert tomb.feedback["option:B"] == "Right answer!"
    assert weighted.metadata == {"gift_weights": {"B": "50"}} and weighted.warnings
    assert jesus.content == {
        "stem": "Jesus Christ was from _____.",
        "match": "normalised",
        "ignore_diacritics": False,
        "answers": ["Nazareth"],
    }
    assert numex.title == "Numerical example" and numex.feedback["correct"] == "Correct! 100% credit"


@needs_corpus
def test_numerical_file_tolerances_and_ranges():
    result = _read("numerical1.gift")
    assert set(_types(result)) == {"short_numeric"}
    keys = [(item.content["answer"], item.content["tolerance"]) for item in result.items]
    assert keys == [
        ("1822", "0"),
        ("-1", "0"),
        ("3.1415", "0.0005"),
        ("-3.142", "0.001"),
        ("3.1415", "0.0005"),  # {#3.141..3.142}
        ("-3.1415", "0.0005"),  # {#-3.142..-3.141}
        ("3", "2"),  # {#1..5}
        ("0", "5"),  # {#-5..5}
        ("1822", "0"),
        ("9", "0"),  # the %100% answer among %0% ones
    ]
    grasp = result.items[-1]
    assert grasp.title == "Combien de principes GRASP y a-t-il?" and grasp.source.line == 23
    assert grasp.content["stem"] == "<p>Combien de principes GRASP y a-t-il?</p>"


@needs_corpus
def test_multiple_answers_with_fractional_weights():
    (item,) = _read("multipleAnswersFloat.gift").items
    assert item.item_type == "multiple_response"
    assert item.content["scoring"] == "partial"
    assert item.content["keys"] == ["A", "B", "D"]
    assert item.content["stem"] == "Select all of the options below which name a continent:"
    assert item.metadata["gift_weights"]["C"] == "-100"


@needs_corpus
def test_category_titles_and_html():
    result = _read("moodle-questions_in_category.gift.txt")
    assert _types(result) == ["matching", "single_choice", "text_entry", "true_false_group"]
    assert [item.title for item in result.items] == ["Moodle activities", "Greeting", "Moodle user", "Moodle acronym"]
    assert [item.source.line for item in result.items] == [5, 14, 22, 27]
    assert all(item.category == ("Default for New Features",) for item in result.items)
    matching, greeting, user, acronym = result.items
    assert len(matching.content["premises"]) == 4 and len(matching.content["responses"]) == 5  # "= -> Chat"
    assert matching.content["pairs"] == {"1": "A", "2": "B", "3": "C", "4": "D"}
    assert matching.content["scoring"] == "per_pair"
    # \= and \: unescaped, then the link (off-site) and style attributes sanitised away
    assert greeting.content["stem"] == "Listen to this greeting:<br><br>What language is being spoken?"
    assert greeting.content["key"] == "B"
    assert user.content["answers"] == ["Moodler"]
    assert acronym.content["keys"] == {"1": True}
    assert "style" not in acronym.content["statements"][0]["text"]


@needs_corpus
def test_moodle_questions_fixture():
    result = _read("moodle-questions.gift.txt")
    assert _types(result) == [
        "essay",
        "matching",
        "single_choice",
        "multiple_response",
        "short_numeric",
        "text_entry",
        "true_false_group",
        "true_false_group",
        "true_false_group",
    ]
    essay, activities, q2, colours, q5, animal, q1, tsl1, tsl2 = result.items
    assert essay.content["stem"] == "How are you?" and essay.title == "Q8"
    assert activities.content["stem"] == "Match the <b>activity</b> to the description."
    assert q2.feedback["option:B"] == "wrong, it's yellow"  # [html] feedback format read
    assert colours.content["keys"] == ["A", "C"] and colours.content["scoring"] == "partial"
    assert (q5.content["answer"], q5.content["tolerance"]) == ("3", "2")
    assert animal.content["answers"] == ["Frog"]
    assert q1.feedback == {
        "general": "This is, of course, a Hitchiker's Guide to the Galaxy reference.",
        "incorrect": "42 is the Ultimate Answer.",
        "correct": "You gave the right answer.",
    }
    assert tsl1.content["keys"] == tsl2.content["keys"] == {"1": True}
    markdown = [i for i in result.issues if "markdown" in i.message]
    assert markdown and markdown[0].severity == "warning" and markdown[0].source.line == 5


@needs_corpus
def test_windows_1252_file_is_decoded_with_a_warning():
    result = _read("moodle-questions_encoding_windows-1252.gift.txt")
    assert result.ok
    assert [(i.severity, i.source.line) for i in result.issues] == [("warning", 15)]
    assert "windows-1252" in result.issues[0].message
    assert _types(result) == ["essay", "essay", "matching"]
    matching = result.items[2]
    assert matching.content["premises"][0]["text"] == "<p>aödf<br></p>"
    assert matching.content["responses"] == [{"id": "A", "text": "asdf"}]
    assert matching.category == ("Default for LTTEST",)


@needs_corpus
def test_escaped_control_characters():
    (item,) = _read("escapeAll.gift").items
    assert item.item_type == "single_choice" and item.title == "GIFT Control Characters"
    assert [o["text"] for o in item.content["options"]] == ["~", "=", "#", "{", "}", ":", "\\"]
    assert item.content["key"] == "G"
    assert item.feedback["option:D"] == "{ is a control character."


@needs_corpus
def test_true_false_description_and_essay_files():
    tf = _read("tf2.gift")
    assert [item.content["keys"] for item in tf.items] == [{"1": False}, {"1": True}]
    assert [item.source.line for item in tf.items] == [3, 5]
    described = _read("description1.gift")
    assert _types(described) == ["true_false_group"]
    (skipped,) = described.issues
    assert skipped.severity == "warning" and skipped.source.line == 1
    assert skipped.source.element == "Description Title"
    (essay,) = _read("essay1.gift").items
    assert essay.item_type == "essay" and essay.content["stem"] == "Write a short biography of Dag Hammarskjöld."


@needs_corpus
def test_missing_word_choices_become_inline_choice():
    result = _read("mc5.gift")
    assert _types(result) == ["single_choice", "inline_choice", "inline_choice", "single_choice"]
    thanksgiving = result.items[2]
    assert thanksgiving.content["stem"] == (
        "The American holiday of Thanksgiving is celebrated on the {{1}} Thursday of November."
    )
    assert thanksgiving.content["keys"] == {"1": "C"}
    assert result.items[3].source.line == 17


@needs_corpus
def test_html_general_feedback_is_sanitised():
    (item,) = _read("mcHTMLComment.gift").items
    assert item.content["key"] == "C"
    assert item.content["options"][2]["text"] == "Nunca."
    general = item.feedback["general"]
    assert general.startswith("<p><span><strong>Artículo 5")
    assert "<!--" not in general and "style" not in general and "href" not in general


# ----------------------------------------------------------------------------- small cases


def _one_error(text: str):
    result = parse_gift(text, filename="t.gift")
    assert len(result.errors) == 1, [str(i) for i in result.issues]
    return result, result.errors[0]


def test_unclosed_brace_reports_its_line_and_parsing_continues():
    result, error = _one_error("Q1 {=a ~b}\n\n// c\nQ2 text\nmore {=a ~b\n\nQ3 {T}\n")
    assert "unbalanced" in error.message and error.source.line == 5
    assert [item.source.line for item in result.items] == [1, 7]


def test_close_brace_without_open():
    _, error = _one_error("\n\nQ } oops\n")
    assert "unbalanced" in error.message and error.source.line == 3


def test_two_answer_blocks_are_unbalanced():
    _, error = _one_error("::T::Q {=a ~b}\nand {=c ~d}\n")
    assert "more than one answer block" in error.message
    assert error.source.line == 2 and error.source.element == "T"


def test_multiple_choice_without_right_answer():
    _, error = _one_error("x\n\n::No key::Q? {~a ~b ~c}\n")
    assert "no right answer" in error.message and error.source.line == 3


def test_weights_that_do_not_add_up():
    _, error = _one_error("Q? {~%50%a ~%40%b ~c}\n")
    assert "don't add up" in error.message and "90" in error.message and error.source.line == 1


def test_weight_that_is_not_a_number():
    _, error = _one_error("\nQ? {~%abc%a =b}\n")
    assert "not a number" in error.message and error.source.line == 2


def test_numeric_answer_that_is_not_a_number():
    _, error = _one_error("A\n\nB\n\nHow many? {#twelve:1}\n")
    assert "not a number" in error.message and error.source.line == 5


def test_numeric_range_reversed():
    _, error = _one_error("Q {#5..1}")
    assert "reversed" in error.message


def test_unknown_question_type():
    _, error = _one_error("Q {abc ~def}")
    assert "unknown question type" in error.message and error.source.line == 1


def test_several_equals_become_all_or_nothing_multiple_response():
    result = parse_gift("Q {=a =b ~c}", filename="t.gift")
    (item,) = result.items
    assert item.item_type == "multiple_response"
    assert item.content["scoring"] == "all_or_nothing" and item.content["keys"] == ["A", "B"]
    assert item.warnings and result.issues[0].severity == "warning"


def test_single_positive_weight_is_single_choice():
    (item,) = parse_gift("Q {~%100%a ~b}", filename="t.gift").items
    assert item.item_type == "single_choice" and item.content["key"] == "A"


def test_plain_text_is_escaped_and_html_is_sanitised():
    result = parse_gift(
        "a <b> & c {=<i>x</i>}\n\n[html]<p onclick='x()'>y</p><script>z</script>{}\n", filename="t.gift"
    )
    short, essay = result.items
    assert short.content["stem"] == "a &lt;b&gt; &amp; c"
    assert short.content["answers"] == ["<i>x</i>"]  # answers stay plain: they are compared, not shown
    assert essay.content["stem"] == "<p>y</p>"


def test_category_title_and_crlf_line_numbers():
    text = "$CATEGORY: $course$/top/tech//IT/gift\r\n\r\n// comment\r\n::T1::\r\nWhat? {T}\r\n"
    (item,) = parse_gift(text.encode("utf-8-sig"), filename="t.gift").items
    assert item.category == ("tech/IT", "gift")
    assert item.title == "T1" and item.source.line == 4
    assert item.source.element == "T1"


def test_new_line_escape_and_utf8_bom():
    (item,) = parse_gift("\ufeffLine\\none {=x}".encode(), filename="t.gift").items
    assert item.content["stem"] == "Line\none"


def test_file_too_large(monkeypatch):
    monkeypatch.setattr(gift, "MAX_BYTES", 10)
    result = parse_gift(b"Q {=a ~b}\n\n" * 2, filename="big.gift")
    assert result.items == () and "file too large" in result.errors[0].message


def test_default_limit_is_ten_megabytes():
    assert gift.MAX_BYTES == 10 * 1024 * 1024
