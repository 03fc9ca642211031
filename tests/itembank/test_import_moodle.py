"""Moodle XML import: the shared corpus, exact expectations, and hostile input."""

from __future__ import annotations

import base64
from decimal import Decimal
from pathlib import Path

import pytest

from itembank.interchange import moodle
from itembank.interchange.base import ITEM_TYPES, ParseResult
from itembank.interchange.moodle import parse_moodle_xml

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "moodlexml"
CORPUS_FILES = sorted(CORPUS.glob("*.xml")) if CORPUS.is_dir() else []

needs_corpus = pytest.mark.skipif(not CORPUS_FILES, reason=f"Moodle XML corpus not found at {CORPUS}")


def corpus(name: str) -> ParseResult:
    path = CORPUS / name
    return parse_moodle_xml(path.read_bytes(), filename=name)


def quiz(*questions: str, category: str | None = None) -> bytes:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n']
    if category:
        parts.append(f'<question type="category"><category><text>{category}</text></category></question>\n')
    parts.extend(questions)
    parts.append("</quiz>\n")
    return "".join(parts).encode()


def only_error(result: ParseResult) -> str:
    assert result.items == ()
    assert len(result.issues) == 1
    assert result.issues[0].severity == "error"
    return result.issues[0].message


# --- every corpus file ------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_every_corpus_file_imports_or_is_rejected_with_reasons(path: Path) -> None:
    result = parse_moodle_xml(path.read_bytes(), filename=path.name)
    assert result.items or result.issues
    for item in result.items:
        assert item.item_type in ITEM_TYPES
        assert item.source.file == path.name
        assert item.source.line is not None and item.source.line > 1
        assert item.title
        assert "stem" in item.content
    for issue in result.issues:
        assert issue.source.file == path.name
        assert issue.source.line is not None
        assert issue.message
        assert issue.severity in {"error", "warning"}


EXPECTED_TYPES = {
    "qformat_multianswer-multianswer-all-types.xml": [],
    "qformat_xml-broken_cloze_questions.xml": [],
    "qformat_xml-category_with_description.xml": ["true_false_group"],
    "qformat_xml-error_invalid_grades.xml": [],
    "qformat_xml-html_chars_in_idnumbers.xml": ["true_false_group"],
    "qformat_xml-multianswer.xml": [],
    "qformat_xml-multichoice.xml": ["single_choice"],
    "qformat_xml-nested_categories_with_questions.xml": ["true_false_group", "essay"] + ["true_false_group"] * 3,
    "qtype_description-testquestion.moodle.xml": [],
    "qtype_essay-testquestion.moodle.xml": ["essay"],
    "qtype_gapselect-testquestion.moodle.xml": ["inline_choice"],
    "qtype_match-testquestion.moodle.xml": ["matching"],
    "qtype_multichoice-testquestion.moodle.xml": ["multiple_response"],
    "qtype_numerical-testquestion.moodle.xml": ["short_numeric"],
    "qtype_ordering-testquestion.moodle.xml": ["ordering"],
    "qtype_shortanswer-testquestion.moodle.xml": ["text_entry"],
    "qtype_truefalse-testquestion.moodle.xml": ["true_false_group"],
}


@needs_corpus
def test_corpus_item_types_per_file() -> None:
    assert sorted(p.name for p in CORPUS_FILES) == sorted(EXPECTED_TYPES)
    for name, types in EXPECTED_TYPES.items():
        assert [item.item_type for item in corpus(name).items] == types, name


# --- exact expectations -----------------------------------------------------------------


@needs_corpus
def test_multichoice_single_with_embedded_files() -> None:
    result = corpus("qformat_xml-multichoice.xml")
    assert result.issues == ()
    (item,) = result.items
    assert item.item_type == "single_choice"
    assert item.title == "Greeting"
    assert item.source.line == 12 and item.source.element == "Greeting"
    assert item.category == ("Default for testhead", "Multichoice")
    assert item.points == Decimal("1")
    assert [o["id"] for o in item.content["options"]] == ["A", "B", "C", "D"]
    assert item.content["key"] == "B"
    assert '<img src="media:flag-france.jpg" alt="French flag"' in item.content["options"][1]["text"]
    assert "@@PLUGINFILE@@" not in str(item.content)
    files = item.metadata["files"]
    assert sorted(files) == ["bonjour.mp3", "flag-denmark.jpg", "flag-france.jpg", "flag-german.jpg", "flag-uk.jpg"]
    assert files["flag-uk.jpg"][:3] == b"\xff\xd8\xff"  # a JPEG
    assert files["bonjour.mp3"][:3] == b"ID3"
    assert item.feedback["option:B"] == "<p>Yes, well done!</p>"


@needs_corpus
def test_multichoice_multiple_partial() -> None:
    (item,) = corpus("qtype_multichoice-testquestion.moodle.xml").items
    assert item.item_type == "multiple_response"
    assert item.content["keys"] == ["C", "E"]  # London, Paris at 50% each
    assert item.content["scoring"] == "partial"
    assert item.feedback["general"] == "Berlin, Paris and London"
    assert item.feedback["correct"] == "Your answer is correct."
    assert item.metadata["hints"] == ["First hint", "Second hint"]


@needs_corpus
def test_truefalse_one_statement() -> None:
    (item,) = corpus("qtype_truefalse-testquestion.moodle.xml").items
    assert item.content["statements"] == [{"id": "a", "text": "The answer is true."}]
    assert item.content["keys"] == {"a": True}
    assert item.category == ("Test questions",)
    assert item.source.line == 12


@needs_corpus
def test_shortanswer_keeps_full_answers_and_warns_about_partial() -> None:
    (item,) = corpus("qtype_shortanswer-testquestion.moodle.xml").items
    assert item.content["answers"] == ["frog"]
    assert item.content["match"] == "normalised"  # usecase 0
    assert any("toad" in w for w in item.warnings)


@needs_corpus
def test_numerical_answer_and_tolerance() -> None:
    (item,) = corpus("qtype_numerical-testquestion.moodle.xml").items
    assert item.item_type == "short_numeric"
    assert item.content["answer"] == "6.25"
    assert item.content["tolerance"] == "0.05"
    assert item.content["boxes"] is None


@needs_corpus
def test_matching_with_distractor() -> None:
    (item,) = corpus("qtype_match-testquestion.moodle.xml").items
    assert [p["text"] for p in item.content["premises"]] == ["frog", "cat", "newt"]
    assert [r["text"] for r in item.content["responses"]] == ["amphibian", "mammal", "insect"]
    assert item.content["pairs"] == {"1": "A", "2": "B", "3": "A"}
    assert item.content["scoring"] == "per_pair"


@needs_corpus
def test_ordering_uses_the_positions() -> None:
    (item,) = corpus("qtype_ordering-testquestion.moodle.xml").items
    assert [e["text"] for e in item.content["elements"]][:2] == ["Modular", "Object"]
    assert item.content["order"] == ["A", "B", "C", "D", "E", "F"]
    assert item.metadata["idnumber"] == "dd1"
    assert item.content["scoring"] == "partial"
    assert item.warnings == ("Moodle grading ABSOLUTE_POSITION replaced by the longest-ordered-subset partial rule",)


@needs_corpus
def test_gapselect_renumbers_gaps_by_position() -> None:
    (item,) = corpus("qtype_gapselect-testquestion.moodle.xml").items
    assert item.content["stem"] == "The {{1}} {{2}} on the {{3}}."
    assert [g["id"] for g in item.content["gaps"]] == ["1", "2", "3"]
    assert [o["text"] for o in item.content["gaps"][0]["options"]] == ["cat", "sat", "mat", "dog", "table"]
    assert item.content["keys"] == {"1": "A", "2": "B", "3": "C"}
    assert item.content["scoring"] == "per_gap"


@needs_corpus
def test_essay_word_limit() -> None:
    (item,) = corpus("qtype_essay-testquestion.moodle.xml").items
    assert item.content == {"stem": "Write an essay with 500 words.", "rubric": [], "max_words": 20}
    assert item.category == ("Default for C1",)


@needs_corpus
def test_description_is_skipped_with_a_warning() -> None:
    result = corpus("qtype_description-testquestion.moodle.xml")
    assert result.items == ()
    (issue,) = result.issues
    assert issue.severity == "warning" and result.ok
    assert issue.source.line == 12 and issue.source.element == "description-001"


@needs_corpus
def test_nested_categories_and_lines() -> None:
    result = corpus("qformat_xml-nested_categories_with_questions.xml")
    assert result.issues == ()
    assert [(i.title, i.category, i.source.line) for i in result.items] == [
        ("Iota Question", ("Iota",), 15),
        ("Kappa Essay Question", ("Iota", "Kappa"), 55),
        ("Kappa Question", ("Iota", "Kappa"), 87),
        ("Lambda Question", ("Iota", "Kappa", "Lambda"), 127),
        ("Mu Question", ("Iota", "Mu"), 167),
    ]
    # moodle_auto_format text is escaped, not sanitised as HTML
    assert result.items[1].content["stem"] == "Testing Kappa Essay Question"


@needs_corpus
def test_html_chars_in_idnumber() -> None:
    (item,) = corpus("qformat_xml-html_chars_in_idnumbers.xml").items
    assert item.metadata["idnumber"] == "T & F"
    assert item.category == ("Alpha",)


@needs_corpus
def test_invalid_grades_name_the_question() -> None:
    message = only_error(corpus("qformat_xml-error_invalid_grades.xml"))
    assert "invalid grades" in message
    assert "answer 2" in message and "33%" in message
    assert corpus("qformat_xml-error_invalid_grades.xml").issues[0].source.line == 4


@needs_corpus
def test_broken_cloze_questions_are_errors() -> None:
    result = corpus("qformat_xml-broken_cloze_questions.xml")
    assert result.items == ()
    assert [i.source.line for i in result.issues] == [4, 20, 36, 52, 68]
    assert all(i.severity == "error" for i in result.issues)
    messages = [i.message for i in result.issues]
    assert "no sub-questions" in messages[0]
    assert "has no answers" in messages[1]
    assert "only 1 choice" in messages[2]
    assert "no completely correct" in messages[3]
    assert "'zero' is not a number" in messages[4]


@needs_corpus
def test_cloze_with_other_sub_questions_is_not_supported_yet() -> None:
    message = only_error(corpus("qformat_xml-multianswer.xml"))
    assert "cloze with SHORTANSWER sub-questions is not supported yet" in message
    message = only_error(corpus("qformat_multianswer-multianswer-all-types.xml"))
    assert "MULTIRESPONSE/NUMERICAL/SHORTANSWER" in message


# --- hand-made questions ----------------------------------------------------------------


def test_cloze_with_multichoice_only_is_inline_choice() -> None:
    data = quiz(
        '<question type="cloze"><name><text>Cities</text></name>'
        '<questiontext format="html"><text><![CDATA[<p>Paris is in {1:MULTICHOICE:=France#yes~Spain#no}'
        " and Rome in {2:MC:Spain~%100%Italy}.</p>]]></text></questiontext></question>",
        category="$course$/top/Geo//Maps/Europe",
    )
    (item,) = parse_moodle_xml(data, filename="c.xml").items
    assert item.item_type == "inline_choice"
    assert item.content["stem"] == "<p>Paris is in {{1}} and Rome in {{2}}.</p>"
    assert item.content["keys"] == {"1": "A", "2": "B"}
    assert item.points == Decimal("3")  # no defaultgrade: the sum of the weights
    assert item.category == ("Geo/Maps", "Europe")


def test_plain_text_is_escaped_and_html_is_sanitised() -> None:
    data = quiz(
        '<question type="essay"><name><text>E</text></name>'
        '<questiontext format="plain_text"><text>a &lt;b&gt; c</text></questiontext>'
        '<generalfeedback format="html"><text><![CDATA[<p onclick="x()">ok<script>bad()</script></p>]]></text>'
        "</generalfeedback><defaultgrade>2.5000000</defaultgrade><idnumber>e-1</idnumber>"
        "<tags><tag><text>algebra</text></tag><tag><text>grade 10</text></tag></tags></question>"
    )
    (item,) = parse_moodle_xml(data, filename="e.xml").items
    assert item.content["stem"] == "a &lt;b&gt; c"
    assert item.feedback["general"] == "<p>ok</p>"
    assert item.points == Decimal("2.5")
    assert item.metadata["idnumber"] == "e-1"
    assert item.metadata["tags"] == ["algebra", "grade 10"]


def test_usecase_exact_and_numerical_units_warning() -> None:
    data = quiz(
        '<question type="shortanswer"><name><text>S</text></name><questiontext><text>Q</text></questiontext>'
        '<usecase>1</usecase><answer fraction="100"><text>H2O</text></answer></question>',
        '<question type="numerical"><name><text>N</text></name><questiontext><text>Q</text></questiontext>'
        '<answer fraction="100"><text>9.81</text><tolerance>0.01</tolerance></answer>'
        "<units><unit><multiplier>1</multiplier><unit_name>m/s2</unit_name></unit></units></question>",
    )
    short, numeric = parse_moodle_xml(data, filename="u.xml").items
    assert short.content["match"] == "exact" and short.content["answers"] == ["H2O"]
    assert numeric.content["answer"] == "9.81" and numeric.content["tolerance"] == "0.01"
    assert numeric.warnings == ("units ignored: m/s2",)


def test_multiple_response_all_or_nothing() -> None:
    data = quiz(
        '<question type="multichoice"><name><text>M</text></name><questiontext><text>Q</text></questiontext>'
        "<single>false</single>"
        '<answer fraction="100"><text>a</text></answer><answer fraction="0"><text>b</text></answer></question>'
    )
    (item,) = parse_moodle_xml(data, filename="m.xml").items
    assert item.content["keys"] == ["A"] and item.content["scoring"] == "all_or_nothing"


def test_unknown_type_is_an_error_and_other_questions_still_import() -> None:
    data = quiz(
        '<question type="calculated"><name><text>Calc</text></name></question>\n',
        '<question type="truefalse"><name><text>TF</text></name><questiontext><text>Q</text></questiontext>'
        '<answer fraction="0"><text>true</text></answer><answer fraction="100"><text>false</text></answer>'
        "</question>",
    )
    result = parse_moodle_xml(data, filename="x.xml")
    assert [i.item_type for i in result.items] == ["true_false_group"]
    assert result.items[0].content["keys"] == {"a": False}
    (issue,) = result.issues
    assert issue.source.line == 3 and "'calculated' is not supported" in issue.message


# --- hostile input ----------------------------------------------------------------------


def test_xxe_is_refused() -> None:
    data = (
        b'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        b'<quiz><question type="essay"><name><text>&xxe;</text></name></question></quiz>'
    )
    message = only_error(parse_moodle_xml(data, filename="xxe.xml"))
    assert "DOCTYPE" in message and "refused" in message


def test_billion_laughs_is_refused() -> None:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    data = f'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY l0 "lol">{entities}]>\n<quiz>&l9;</quiz>'.encode()
    message = only_error(parse_moodle_xml(data, filename="lol.xml"))
    assert "refused" in message


def test_malformed_xml_gives_line_and_column() -> None:
    result = parse_moodle_xml(b"<quiz>\n<question type='essay'>\n</quiz>", filename="bad.xml")
    message = only_error(result)
    assert "not well-formed XML at line 3" in message and "mismatched tag" in message
    assert result.issues[0].source.line == 3


def test_empty_input_is_malformed() -> None:
    assert "not well-formed" in only_error(parse_moodle_xml(b"", filename="empty.xml"))


def test_non_quiz_root_is_refused() -> None:
    message = only_error(parse_moodle_xml(b"<assessmentItem/>", filename="qti.xml"))
    assert "root element is <assessmentItem>, expected <quiz>" in message


def test_oversized_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moodle, "MAX_FILE_BYTES", 100)
    message = only_error(parse_moodle_xml(quiz(" " * 200), filename="big.xml"))
    assert message.startswith("file too large")


def test_default_file_size_limit() -> None:
    data = b"<quiz>" + b" " * moodle.MAX_FILE_BYTES + b"</quiz>"
    assert only_error(parse_moodle_xml(data, filename="big.xml")).startswith("file too large")


def test_oversized_embedded_file_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moodle, "MAX_EMBEDDED_FILE_BYTES", 1000)
    payload = base64.b64encode(b"x" * 5000).decode()
    data = quiz(
        '<question type="essay"><name><text>Pic</text></name><questiontext format="html">'
        '<text><![CDATA[<img src="@@PLUGINFILE@@/big.png" alt="big">]]></text>'
        f'<file name="big.png" encoding="base64">{payload}</file></questiontext></question>'
    )
    message = only_error(parse_moodle_xml(data, filename="pic.xml"))
    assert "question \"Pic\": embedded file 'big.png' is too large" in message


def test_embedded_file_with_bad_name_or_base64_is_an_error() -> None:
    for file_elem, expected in (
        ('<file name="../x.png" encoding="base64">AAAA</file>', "unusable name"),
        ('<file name="x.png" encoding="base64">not*base64</file>', "not valid base64"),
    ):
        data = quiz(
            '<question type="essay"><name><text>P</text></name><questiontext format="html">'
            f"<text>t</text>{file_elem}</questiontext></question>"
        )
        assert expected in only_error(parse_moodle_xml(data, filename="p.xml"))
