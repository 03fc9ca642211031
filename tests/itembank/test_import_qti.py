"""QTI import (itembank.interchange.qti): the shared corpus, exact mappings and hostile input.

No database: the importer only returns ``ParseResult``.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from itembank.interchange.base import ParseResult
from itembank.interchange.media import safe_name
from itembank.interchange.qti import (
    STIMULUS_WARNING,
    TEST_WARNING,
    parse_qti,
    parse_qti_item,
    parse_qti_package,
)
from scoring.item_rules import validate_key

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")

_KEY_FIELDS = {
    "single_choice": ("key",),
    "multiple_response": ("keys", "scoring"),
    "short_numeric": ("answer", "tolerance", "boxes"),
    "text_entry": ("answers", "match", "ignore_diacritics"),
    "inline_choice": ("keys", "scoring"),
    "matching": ("pairs", "scoring"),
    "true_false_group": ("keys", "scale"),
    "ordering": ("order", "scoring"),
    "essay": ("rubric", "max_words"),
}


def _corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    found = []
    for folder in ("qti3", "qti21"):
        found += [p for p in (CORPUS / folder).rglob("*") if p.suffix in {".xml", ".zip"}]
    return sorted(found)


def _read(relative: str) -> ParseResult:
    path = CORPUS / relative
    return parse_qti(path.read_bytes(), filename=relative)


def _one(relative: str):
    result = _read(relative)
    assert result.issues == () or all(i.severity == "warning" for i in result.issues), result.issues
    assert len(result.items) == 1
    return result.items[0]


def _check_keys(result: ParseResult) -> None:
    for item in result.items:
        key = {k: item.content[k] for k in _KEY_FIELDS[item.item_type] if item.content.get(k) not in (None, [])}
        validate_key(item.item_type, key, item.points)


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buffer.getvalue()


# --- the corpus: every file imports or is refused precisely -----------------------------


@needs_corpus
@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_corpus_file_imports_or_gives_a_precise_issue(path: Path) -> None:
    relative = str(path.relative_to(CORPUS))
    result = parse_qti(path.read_bytes(), filename=relative)
    assert result.items or result.issues
    for issue in result.issues:
        assert issue.source.file.startswith(relative)
        assert issue.message
    _check_keys(result)
    for item in result.items:
        assert item.content["stem"] or item.item_type == "inline_choice"
        assert "<qti-" not in item.content["stem"] and "Interaction" not in item.content["stem"]


@needs_corpus
def test_corpus_outcomes_by_file() -> None:
    expected = {
        "qti3/items/QTI3-associate.xml": "associate interactions are not supported yet",
        "qti3/items/QTI3-hotspot.xml": "hotspot interactions are not supported yet",
        "qti3/items/hot-text-example-1.xml": "hottext interactions are not supported yet",
        "qti3/items/graphic-gap-match-item1.xml": "graphic gap match interactions are not supported yet",
        "qti21/v2p1/hotspot.xml": "hotspot interactions are not supported yet",
        "qti21/v2p1/hottext.xml": "hottext interactions are not supported yet",
        "qti21/v2p1/associate.xml": "associate interactions are not supported yet",
    }
    for relative, message in expected.items():
        result = _read(relative)
        assert result.items == ()
        assert [i.message for i in result.errors] == [message], relative
        assert result.errors[0].source.line is not None


# --- exact mappings ---------------------------------------------------------------------


@needs_corpus
def test_qti21_single_choice() -> None:
    item = _one("qti21/v2p1/choice.xml")
    assert item.item_type == "single_choice"
    assert item.content["key"] == "ChoiceA"
    assert [o["id"] for o in item.content["options"]] == ["ChoiceA", "ChoiceB", "ChoiceC"]
    assert item.title == "Unattended Luggage"
    assert item.points == Decimal("1")
    assert item.metadata["qti_version"] == "2.1"
    assert item.metadata["media"] == [{"src": "images/sign.png", "path": "images/sign.png", "kind": "image"}]
    # The path is not one of the bank's files: the text keeps the image without it (the bank's
    # import then refuses the item, itembank.richtext.reference_problems).
    assert '<img alt="NEVER LEAVE LUGGAGE UNATTENDED">' in item.content["stem"]


@needs_corpus
def test_qti3_mathml_is_kept_in_the_stem() -> None:
    item = _one("qti3/items/MathML.xml")
    assert item.item_type == "single_choice" and item.content["key"] == "E"
    assert "<math>" in item.content["stem"] and "<msup>" in item.content["stem"]


@needs_corpus
def test_multiple_response_keys_and_scoring() -> None:
    item = _one("qti3/items/QTI3multiplechoice2.xml")
    assert item.item_type == "multiple_response"
    assert item.content["keys"] == ["H", "O"]
    assert item.content["scoring"] == "all_or_nothing"
    mapped = _one("qti21/v2p1/choice_multiple.xml")
    assert mapped.content["keys"] == ["H", "O"]
    assert mapped.content["scoring"] == "partial"
    assert mapped.points == Decimal("2")


@needs_corpus
def test_text_entry_answers() -> None:
    item = _one("qti21/v2p1/text_entry.xml")
    assert item.item_type == "text_entry"
    assert item.content["answers"] == ["York"]
    assert item.content["match"] == "exact"
    assert "______" in item.content["stem"]
    assert any("'york' (0.5)" in w for w in item.warnings)
    bg = _one("qti3/package-beginners-guide/items/BG010.xml")
    assert bg.item_type == "text_entry" and "York" in bg.content["answers"]


def test_numeric_text_entry_is_short_numeric() -> None:
    xml = b"""<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="n" title="N">
      <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="float">
        <qti-correct-response><qti-value>3.14</qti-value></qti-correct-response>
      </qti-response-declaration>
      <qti-item-body><p>Pi to two places: <qti-text-entry-interaction response-identifier="RESPONSE"/></p></qti-item-body>
      <qti-response-processing><qti-response-condition><qti-response-if>
        <qti-equal tolerance-mode="absolute" tolerance="0.01 0.01">
          <qti-variable identifier="RESPONSE"/><qti-correct identifier="RESPONSE"/></qti-equal>
      </qti-response-if></qti-response-condition></qti-response-processing>
    </qti-assessment-item>"""
    result = parse_qti_item(xml, filename="n.xml")
    (item,) = result.items
    assert item.item_type == "short_numeric"
    assert (item.content["answer"], item.content["tolerance"]) == ("3.14", "0.01")


@needs_corpus
def test_inline_choice_gaps_and_keys() -> None:
    item = _one("qti3/items/QTI3-inline-choice.xml")
    assert item.item_type == "inline_choice"
    assert item.content["keys"] == {"RESPONSE": "Y"}
    assert [o["id"] for o in item.content["gaps"][0]["options"]] == ["G", "L", "Y"]
    assert "sun of\n        {{RESPONSE}};" in item.content["stem"]
    assert "Gloucester" not in item.content["stem"]


@needs_corpus
def test_gap_match_becomes_inline_choice() -> None:
    item = _one("qti21/v2p1/gap_match.xml")
    assert item.item_type == "inline_choice"
    assert item.content["keys"] == {"G1": "W", "G2": "Su"}
    assert [g["id"] for g in item.content["gaps"]] == ["G1", "G2"]
    assert [o["id"] for o in item.content["gaps"][0]["options"]] == ["W", "Sp", "Su", "A"]
    assert "Now is the {{G1}} of our discontent" in item.content["stem"]
    assert "autumn" not in item.content["stem"]


@needs_corpus
def test_match_pairs() -> None:
    item = _one("qti3/items/QTI3-match.xml")
    assert item.item_type == "matching"
    assert item.content["pairs"] == {"C": "R", "D": "M", "L": "M", "P": "T"}
    assert [p["id"] for p in item.content["premises"]] == ["C", "D", "L", "P"]
    assert [r["id"] for r in item.content["responses"]] == ["M", "R", "T"]
    assert item.content["scoring"] == "per_pair"
    assert item.points == Decimal("3")


def test_match_with_two_answers_for_one_premise_is_an_error() -> None:
    xml = b"""<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="m" title="M">
      <responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="directedPair">
        <correctResponse><value>A X</value><value>A Y</value></correctResponse></responseDeclaration>
      <itemBody><matchInteraction responseIdentifier="RESPONSE">
        <simpleMatchSet><simpleAssociableChoice identifier="A">a</simpleAssociableChoice></simpleMatchSet>
        <simpleMatchSet><simpleAssociableChoice identifier="X">x</simpleAssociableChoice>
          <simpleAssociableChoice identifier="Y">y</simpleAssociableChoice></simpleMatchSet>
      </matchInteraction></itemBody></assessmentItem>"""
    result = parse_qti_item(xml, filename="m.xml")
    assert result.items == ()
    assert "premise 'A' has several correct matches" in result.errors[0].message


# --- true/false groups written as a match to true/false -------------------------------

QTI22_TRUE_FALSE = """<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p2" identifier="tf22" title="Phần II"
    adaptive="false" timeDependent="false" xml:lang="vi">
  <responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="directedPair">
    <correctResponse>
      <value>S1 T</value><value>S2 F</value><value>S3 F</value><value>S4 T</value>
    </correctResponse>
    <mapping defaultValue="0">
      <mapEntry mapKey="S1 T" mappedValue="1"/><mapEntry mapKey="S2 F" mappedValue="1"/>
      <mapEntry mapKey="S3 F" mappedValue="1"/><mapEntry mapKey="S4 T" mappedValue="1"/>
    </mapping>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float">
    <defaultValue><value>0</value></defaultValue></outcomeDeclaration>
  <outcomeDeclaration identifier="MAXSCORE" cardinality="single" baseType="float">
    <defaultValue><value>1</value></defaultValue></outcomeDeclaration>
  <outcomeDeclaration identifier="RIGHT" cardinality="single" baseType="integer"/>
  <itemBody>
    <p>Cho hàm số y = x<sup>3</sup> - 3x.</p>
    <matchInteraction responseIdentifier="RESPONSE" shuffle="false" maxAssociations="4">
      <prompt>Mỗi ý sau đúng hay sai?</prompt>
      <simpleMatchSet>
        <simpleAssociableChoice identifier="S1" matchMax="1">Hàm số đồng biến trên (1; +∞)</simpleAssociableChoice>
        <simpleAssociableChoice identifier="S2" matchMax="1">Hàm số có ba cực trị</simpleAssociableChoice>
        <simpleAssociableChoice identifier="S3" matchMax="1">y(1) = 1</simpleAssociableChoice>
        <simpleAssociableChoice identifier="S4" matchMax="1">y(0) = 0</simpleAssociableChoice>
      </simpleMatchSet>
      <simpleMatchSet>
        <simpleAssociableChoice identifier="T" matchMax="4">True</simpleAssociableChoice>
        <simpleAssociableChoice identifier="F" matchMax="4">False</simpleAssociableChoice>
      </simpleMatchSet>
    </matchInteraction>
  </itemBody>
  <responseProcessing>
    <setOutcomeValue identifier="RIGHT"><mapResponse identifier="RESPONSE"/></setOutcomeValue>
    <responseCondition>
      <responseIf>
        <equal toleranceMode="exact"><baseValue baseType="integer">4</baseValue><variable identifier="RIGHT"/></equal>
        <setOutcomeValue identifier="SCORE"><baseValue baseType="float">1</baseValue></setOutcomeValue>
      </responseIf>
      <responseElseIf>
        <equal toleranceMode="exact"><variable identifier="RIGHT"/><baseValue baseType="integer">3</baseValue></equal>
        <setOutcomeValue identifier="SCORE"><baseValue baseType="float">0.5</baseValue></setOutcomeValue>
      </responseElseIf>
      <responseElseIf>
        <equal toleranceMode="exact"><variable identifier="RIGHT"/><baseValue baseType="integer">2</baseValue></equal>
        <setOutcomeValue identifier="SCORE"><baseValue baseType="float">0.25</baseValue></setOutcomeValue>
      </responseElseIf>
      <responseElseIf>
        <equal toleranceMode="exact"><variable identifier="RIGHT"/><baseValue baseType="integer">1</baseValue></equal>
        <setOutcomeValue identifier="SCORE"><baseValue baseType="float">0.1</baseValue></setOutcomeValue>
      </responseElseIf>
      <responseElse>
        <setOutcomeValue identifier="SCORE"><baseValue baseType="float">0</baseValue></setOutcomeValue>
      </responseElse>
    </responseCondition>
  </responseProcessing>
</assessmentItem>
"""

QTI3_TRUE_FALSE = """<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="tf3"
    title="Ba ý" adaptive="false" time-dependent="false">
  <qti-response-declaration identifier="R1" cardinality="multiple" base-type="directedPair">
    <qti-correct-response>{correct}</qti-correct-response>
    {mapping}
  </qti-response-declaration>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>
    <p>Về nước:</p>
    <qti-match-interaction response-identifier="R1" shuffle="true" max-associations="3">
      <qti-simple-match-set>
        <qti-simple-associable-choice identifier="a" match-max="1">Sôi ở 100 °C</qti-simple-associable-choice>
        <qti-simple-associable-choice identifier="b" match-max="1">Đông đặc ở 10 °C</qti-simple-associable-choice>
        <qti-simple-associable-choice identifier="c" match-max="1">Công thức H<sub>2</sub>O</qti-simple-associable-choice>
      </qti-simple-match-set>
      <qti-simple-match-set>
        <qti-simple-associable-choice identifier="{true}" match-max="3">Đúng</qti-simple-associable-choice>
        <qti-simple-associable-choice identifier="{false}" match-max="3">Sai</qti-simple-associable-choice>
      </qti-simple-match-set>
    </qti-match-interaction>
  </qti-item-body>
  {processing}
</qti-assessment-item>
"""
THIRDS = {"1": "0.3333333333333333333333333333", "2": "0.6666666666666666666666666667", "3": "1"}  # k/3
MAP_RESPONSE = (
    '<qti-response-processing template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/map_response.xml"/>'
)
MATCH_CORRECT = (
    '<qti-response-processing template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"/>'
)


def _tf3(
    *,
    true: str = "D",
    false: str = "S",
    pairs: tuple[str, ...] = ("a D", "b S", "c D"),
    weights: tuple[str, ...] | None = None,
    processing: str = "",
) -> bytes:
    correct = "".join(f"<qti-value>{p}</qti-value>" for p in pairs)
    mapping = ""
    if weights is not None:
        entries = "".join(
            f'<qti-map-entry map-key="{p}" mapped-value="{w}"/>' for p, w in zip(pairs, weights, strict=True)
        )
        mapping = f'<qti-mapping default-value="0">{entries}</qti-mapping>'
    return QTI3_TRUE_FALSE.format(
        correct=correct, mapping=mapping, true=true, false=false, processing=processing
    ).encode()


def _tf_item(data: bytes):
    result = parse_qti_item(data, filename="tf.xml")
    assert result.errors == (), result.errors
    (item,) = result.items
    assert item.item_type == "true_false_group"
    validate_key("true_false_group", {"keys": item.content["keys"], "scale": item.content["scale"]}, item.points)
    return item


def test_qti22_match_to_true_false_is_a_true_false_group_with_the_national_scale() -> None:
    item = _tf_item(QTI22_TRUE_FALSE.encode())
    assert item.metadata["qti_version"] == "2.2"
    assert [s["id"] for s in item.content["statements"]] == ["S1", "S2", "S3", "S4"]
    assert item.content["statements"][1]["text"] == "Hàm số có ba cực trị"
    assert item.content["keys"] == {"S1": True, "S2": False, "S3": False, "S4": True}
    assert item.content["scale"] is None  # the conditions give the national 0.1/0.25/0.5/1
    assert item.content["stem"] == "<p>Cho hàm số y = x<sup>3</sup> - 3x.</p>\n    <div>Mỗi ý sau đúng hay sai?</div>"
    assert item.points == Decimal("1")
    assert item.warnings == ()


def test_qti22_counting_conditions_give_a_scale_relative_to_the_points() -> None:
    # MAXSCORE 2: the scores 0.2/0.5/1/2 are the national fractions of 2 points.
    doubled = (
        QTI22_TRUE_FALSE.replace(
            '<baseValue baseType="float">1</baseValue>', '<baseValue baseType="float">2</baseValue>'
        )
        .replace("0.5</baseValue>", "1</baseValue>")
        .replace("0.25</baseValue>", "0.5</baseValue>")
        .replace("0.1</baseValue>", "0.2</baseValue>")
        .replace("<defaultValue><value>1</value></defaultValue>", "<defaultValue><value>2</value></defaultValue>")
    )
    item = _tf_item(doubled.encode())
    assert (item.points, item.content["scale"]) == (Decimal("2"), None)
    # Counts 1 and 2 without a condition keep SCORE's default 0; no MAXSCORE: 4 correct is the worth.
    sparse = QTI22_TRUE_FALSE.replace("MAXSCORE", "OTHER")
    for count in ("2", "1"):
        start = sparse.index(f'<baseValue baseType="integer">{count}</baseValue>')
        sparse = (
            sparse[: sparse.rindex("<responseElseIf>", 0, start)]
            + sparse[sparse.index("</responseElseIf>", start) + 17 :]
        )
    item = _tf_item(sparse.encode())
    assert item.points == Decimal("1")
    assert item.content["scale"] == {"1": "0", "2": "0", "3": "0.5", "4": "1"}


def test_qti3_true_false_with_d_s_identifiers_and_map_response_is_proportional() -> None:
    item = _tf_item(_tf3(weights=("1", "1", "1"), processing=MAP_RESPONSE))
    assert item.metadata["qti_version"] == "3.0"
    assert item.content["keys"] == {"a": True, "b": False, "c": True}
    assert item.content["statements"][2]["text"] == "Công thức H<sub>2</sub>O"
    assert item.content["scale"] == THIRDS
    assert item.points == Decimal("3")  # what the mapping can give
    assert item.warnings == ()
    assert "Đúng" not in item.content["stem"]


@pytest.mark.parametrize(
    ("true", "false"), [("true", "false"), ("TRUE", "False"), ("T", "F"), ("t", "f"), ("dung", "sai"), ("Dung", "SAI")]
)
def test_every_spelling_of_true_and_false_is_recognised(true: str, false: str) -> None:
    pairs = (f"a {true}", f"b {false}", f"c {true}")
    item = _tf_item(_tf3(true=true, false=false, pairs=pairs, processing=MATCH_CORRECT))
    assert item.content["keys"] == {"a": True, "b": False, "c": True}
    assert item.content["scale"] == {"1": "0", "2": "0", "3": "1"}  # match_correct: all or nothing


def test_true_and_false_may_come_in_either_order() -> None:
    item = _tf_item(_tf3(true="F", false="T", pairs=("a T", "b F", "c F"), processing=MATCH_CORRECT))
    assert item.content["keys"] == {"a": True, "b": False, "c": False}


def test_written_out_match_correct_is_all_or_nothing() -> None:
    processing = """<qti-response-processing><qti-response-condition><qti-response-if>
        <qti-match><qti-variable identifier="R1"/><qti-correct identifier="R1"/></qti-match>
        <qti-set-outcome-value identifier="SCORE"><qti-base-value base-type="float">1</qti-base-value></qti-set-outcome-value>
      </qti-response-if></qti-response-condition></qti-response-processing>"""
    item = _tf_item(_tf3(processing=processing))
    assert item.content["scale"] == {"1": "0", "2": "0", "3": "1"}
    assert item.warnings == ()


@pytest.mark.parametrize(
    ("count", "weights", "processing", "scale", "assumed"),
    [
        (4, None, "", None, "the national scale (1/2/3/4 correct: 0.1/0.25/0.5/1 of the points) was assumed"),
        (3, None, "", THIRDS, "a proportional scale (k of 3 correct: k/3 of the points) was assumed"),
        (4, ("1", "2", "1", "1"), MAP_RESPONSE, None, "the national scale"),  # unequal weights
        (3, ("1", "1", "1"), "<qti-response-processing/>", THIRDS, "a proportional scale"),  # no SCORE at all
    ],
)  # fmt: skip
def test_without_a_readable_scale_the_assumed_rule_is_named(count, weights, processing, scale, assumed) -> None:
    data = _tf3(pairs=("a D", "b S", "c D", "d S")[:count], weights=weights, processing=processing)
    if count == 4:
        data = data.replace(
            b"</qti-simple-match-set>\n      <qti-simple-match-set>",
            b'<qti-simple-associable-choice identifier="d">Nhe hon dau</qti-simple-associable-choice>'
            b"</qti-simple-match-set>\n      <qti-simple-match-set>",
        )
    item = _tf_item(data)
    assert len(item.content["statements"]) == count
    assert item.content["scale"] == scale
    (warning,) = item.warnings
    assert warning.startswith("the response processing gives no true/false scale the bank reads")
    assert assumed in warning


def test_a_true_false_match_missing_a_pair_is_refused_naming_the_statement() -> None:
    result = parse_qti_item(_tf3(pairs=("a D", "c D"), processing=MATCH_CORRECT), filename="tf.xml")
    assert result.items == ()
    (error,) = result.errors
    assert error.message == (
        "the statements ['b'] have no correct pair: a true/false match needs one ('b D' or 'b S') for every statement"
    )
    assert error.source.line is not None and error.source.element == "tf3"


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (("a D", "a S", "b S", "c D"), "the statement 'a' is both true and false in the correct response"),
        (("a D", "b S", "c D", "x D"), "the correct pair 'x D' does not join a statement to 'D' or 'S'"),
        ((), "no correct response, so there is no key"),
    ],
)
def test_a_true_false_match_with_wrong_pairs_is_refused(pairs, message) -> None:
    result = parse_qti_item(_tf3(pairs=pairs, processing=MATCH_CORRECT), filename="tf.xml")
    assert result.items == ()
    assert [e.message for e in result.errors] == [message]


def _counting(scores: dict[str, str], maxscore: str | None = "3") -> str:
    conditions = "".join(
        f"""<qti-response-condition><qti-response-if>
          <qti-equal><qti-variable identifier="N"/><qti-base-value base-type="integer">{k}</qti-base-value></qti-equal>
          <qti-set-outcome-value identifier="SCORE"><qti-base-value base-type="float">{v}</qti-base-value>
          </qti-set-outcome-value></qti-response-if></qti-response-condition>"""
        for k, v in scores.items()
    )
    return (
        '<qti-response-processing><qti-set-outcome-value identifier="N"><qti-map-response identifier="R1"/>'
        f"</qti-set-outcome-value>{conditions}</qti-response-processing>"
    )


def _with_maxscore(data: bytes, points: str) -> bytes:
    return data.replace(
        b"<qti-item-body>",
        b'<qti-outcome-declaration identifier="MAXSCORE" cardinality="single" base-type="float">'
        b"<qti-default-value><qti-value>" + points.encode() + b"</qti-value></qti-default-value>"
        b"</qti-outcome-declaration><qti-item-body>",
    )


def test_qti3_counting_conditions_give_the_scale_and_the_points() -> None:
    item = _tf_item(_tf3(weights=("1", "1", "1"), processing=_counting({"1": "0.3", "2": "0.9", "3": "1.5"})))
    assert item.points == Decimal("1.5")  # no MAXSCORE: the score for all correct
    assert item.content["scale"] == {"1": "0.2", "2": "0.6", "3": "1"}
    with_zero = _tf3(processing=_counting({"0": "0", "1": "1", "2": "2", "3": "3"}))
    assert _tf_item(_with_maxscore(with_zero, "3")).content["scale"] == {"0": "0", **THIRDS}


@pytest.mark.parametrize(
    ("scores", "maxscore", "message"),
    [
        ({"1": "1", "4": "3"}, "3", "the response processing gives a score for 4 correct; "
         "a true/false group of 3 statements has 0 to 3 correct"),
        ({"1": "1", "2": "2", "3": "2"}, "3",
         "the response processing gives 2 for all 3 correct, not the item's 3 points"),
        ({"1": "2", "2": "1", "3": "3"}, "3", "the response processing gives less for 2 correct than for 1; "
         "the bank's scale must not fall"),
        ({"1": "1", "2": "4", "3": "3"}, "3",
         "the response processing gives 4 for 2 correct, outside 0 to the item's 3 points"),
    ],
)  # fmt: skip
def test_counting_conditions_the_bank_cannot_hold_are_refused_with_the_reason(scores, maxscore, message) -> None:
    result = parse_qti_item(_with_maxscore(_tf3(processing=_counting(scores)), maxscore), filename="tf.xml")
    assert result.items == ()
    assert [e.message for e in result.errors] == [message]


def test_a_zero_point_true_false_match_keeps_no_scale_from_its_conditions() -> None:
    item = _tf_item(_with_maxscore(_tf3(processing=_counting({"1": "0", "2": "0", "3": "0"})), "0"))
    assert item.points == Decimal("0")
    assert item.content["scale"] == THIRDS
    assert item.warnings[0] == "the item is worth 0 points: its scale cannot be read from the response processing"


@pytest.mark.parametrize(
    ("responses", "pairs"),
    [
        (("true", "maybe"), ("a true", "b maybe", "c true")),  # not a true and a false
        (("true", "yes"), ("a true", "b yes", "c yes")),
        (("T", "t"), ("a T", "b t", "c T")),  # two true ones
        (("X", "Y"), ("a X", "b Y", "c X")),
    ],
)
def test_an_ordinary_match_with_two_responses_is_still_matching(responses, pairs) -> None:
    result = parse_qti_item(_tf3(true=responses[0], false=responses[1], pairs=pairs), filename="m.xml")
    (item,) = result.items
    assert item.item_type == "matching"
    assert item.content["pairs"] == dict(p.split() for p in pairs)
    assert [r["id"] for r in item.content["responses"]] == list(responses)
    assert item.content["scoring"] == "all_or_nothing"


def test_a_match_with_three_responses_including_true_and_false_is_still_matching() -> None:
    data = _tf3(true="true", false="false", pairs=("a true", "b false", "c maybe")).replace(
        b'match-max="3">Sai</qti-simple-associable-choice>',
        b'match-max="3">Sai</qti-simple-associable-choice>'
        b'<qti-simple-associable-choice identifier="maybe" match-max="3">?</qti-simple-associable-choice>',
    )
    (item,) = parse_qti_item(data, filename="m.xml").items
    assert item.item_type == "matching"
    assert item.content["pairs"] == {"a": "true", "b": "false", "c": "maybe"}


@needs_corpus
def test_order() -> None:
    item = _one("qti3/items/QTI3-order.xml")
    assert item.item_type == "ordering"
    assert item.content["order"] == ["DriverC", "DriverA", "DriverB"]
    assert item.content["scoring"] == "all_or_nothing"
    partial = _one("qti21/v2p2/order_partial_scoring.xml")
    assert partial.content["scoring"] == "partial"


@needs_corpus
def test_essay() -> None:
    item = _one("qti21/v2p1/extended_text.xml")
    assert item.item_type == "essay"
    assert item.content["rubric"] == [] and item.content["max_words"] is None
    assert "postcard" in item.content["stem"].lower()


@needs_corpus
def test_modal_feedback_is_kept_with_a_warning() -> None:
    item = _one("qti3/items/Example01-modalFeedback.xml")
    assert item.feedback
    assert any("without the conditions" in w for w in item.warnings)


@needs_corpus
def test_stimulus_ref_is_recorded() -> None:
    item = _one("qti3/items/unbelievable_night_item2.xml")
    assert item.metadata["stimulus_href"] == "../passages/unbelievableNight.xml"
    assert STIMULUS_WARNING in item.warnings


@needs_corpus
def test_composite_item_is_refused_naming_the_interactions() -> None:
    result = _read("qti3/items/shakespeare_biography.xml")
    assert result.items == ()
    (error,) = result.errors
    assert error.message == (
        "items with several interaction types are not supported yet (inline choice, inline choice, text entry)"
    )


def test_several_inline_choices_make_one_item() -> None:
    xml = b"""<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="x" title="X">
      <qti-response-declaration identifier="R1" cardinality="single" base-type="identifier">
        <qti-correct-response><qti-value>a</qti-value></qti-correct-response></qti-response-declaration>
      <qti-response-declaration identifier="R2" cardinality="single" base-type="identifier">
        <qti-correct-response><qti-value>d</qti-value></qti-correct-response></qti-response-declaration>
      <qti-item-body><p>One <qti-inline-choice-interaction response-identifier="R1">
        <qti-inline-choice identifier="a">A</qti-inline-choice><qti-inline-choice identifier="b">B</qti-inline-choice>
      </qti-inline-choice-interaction> two <qti-inline-choice-interaction response-identifier="R2">
        <qti-inline-choice identifier="c">C</qti-inline-choice><qti-inline-choice identifier="d">D</qti-inline-choice>
      </qti-inline-choice-interaction>.</p></qti-item-body></qti-assessment-item>"""
    (item,) = parse_qti_item(xml, filename="x.xml").items
    assert item.content["stem"] == "<p>One {{R1}} two {{R2}}.</p>"
    assert item.content["keys"] == {"R1": "a", "R2": "d"}
    assert item.content["scoring"] == "per_gap"


@needs_corpus
def test_test_and_stimulus_files_are_warnings() -> None:
    test = _read("qti3/package-beginners-guide/BGtest.xml")
    assert test.items == () and [i.message for i in test.issues] == [TEST_WARNING]
    assert test.ok
    passage = _read("qti3/passages/unbelievableNight.xml")
    assert passage.items == () and [i.message for i in passage.issues] == [STIMULUS_WARNING]


# --- packages ---------------------------------------------------------------------------


@needs_corpus
def test_bbqs_package() -> None:
    result = _read("qti3/packages/BBQsTest.zip")
    _check_keys(result)
    assert Counter(item.item_type for item in result.items) == {
        "single_choice": 4,
        "essay": 2,
        "inline_choice": 2,
        "matching": 1,
        "multiple_response": 1,
        "ordering": 2,
        "text_entry": 1,
    }
    assert len(result.items) == 13
    assert [i.message for i in result.issues if i.severity == "warning"] == [TEST_WARNING]
    errors = {i.source.file.rsplit("/", 1)[1]: i.message for i in result.errors}
    assert errors == {
        "hotspot-maximum.xml": "select point interactions are not supported yet",
        "Likert-match-questionSet.xml": "the premises ['A', 'NAD', 'D', 'SD', 'NA'] have no correct match",
        "matching-associate-trigDeriv.xml": "associate interactions are not supported yet",
        "upload-file.xml": "upload interactions are not supported yet",
        "QuizBowl-multi-geometry.xml": (
            "items with several interaction types are not supported yet (inline choice, text entry)"
        ),
        "SineRule-001.xml": "template (randomised) items are not supported yet",
        "SineRule-002-maths.xml": "template (randomised) items are not supported yet",
        "text_entry-Lycidas.xml": "items with several text entry interactions are not supported yet",
        "TheAnswer-001.xml": "no correct response, so there is no key",
    }
    for issue in result.errors:
        assert issue.source.file.startswith("qti3/packages/BBQsTest.zip!id-")


@needs_corpus
def test_qti22_package() -> None:
    result = _read("qti21/packages/qtiv2p2-examples-items.zip")
    _check_keys(result)
    assert len(result.items) == 27
    assert len(result.errors) == 30
    with_media = [item for item in result.items if item.metadata.get("media")]
    assert with_media
    for item in with_media:
        for ref in item.metadata["media"]:
            assert not ref["path"].startswith("/") and ".." not in ref["path"]


@needs_corpus
def test_beginners_guide_folder_as_a_package() -> None:
    folder = CORPUS / "qti3" / "package-beginners-guide"
    members = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    result = parse_qti_package(_zip(members), filename="bg.zip")
    assert [item.metadata["identifier"] for item in result.items] == [
        "firstexample",
        "beginnersguide007",
        "beginnersguide008",
        "beginnersguide009",
        "beginnersguide010",
        "beginnersguide011",
    ]
    assert result.items[0].source.file == "bg.zip!items/firstexample.xml"
    media = {ref["path"]: ref.get("size") for ref in result.items[-1].metadata["media"]}
    assert media["items/resources/crows.jpg"] == (folder / "items/resources/crows.jpg").stat().st_size
    assert media["items/resources/crow_movie.mp4"] is None  # listed upstream, not in the corpus
    assert any("crow_movie.mp4' is not in the package" in w for w in result.items[-1].warnings)
    assert [i.message for i in result.issues] == [TEST_WARNING]


# --- hostile input ----------------------------------------------------------------------

_ITEM = b"""<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="c" title="C">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value>A</value></correctResponse></responseDeclaration>
  <itemBody><choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><prompt>Q?</prompt>
    <simpleChoice identifier="A">a</simpleChoice><simpleChoice identifier="B">b</simpleChoice>
  </choiceInteraction></itemBody></assessmentItem>"""
_MANIFEST = b"""<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>
  <resource identifier="i" type="imsqti_item_xmlv2p1" href="item.xml"/></resources></manifest>"""


def test_a_minimal_package_imports() -> None:
    result = parse_qti(_zip({"imsmanifest.xml": _MANIFEST, "item.xml": _ITEM}), filename="p.zip")
    assert result.ok and len(result.items) == 1
    assert result.items[0].content["stem"] == "<div>Q?</div>"


def test_xxe_is_refused() -> None:
    xml = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1">&e;</assessmentItem>"""
    result = parse_qti_item(xml, filename="x.xml")
    assert result.items == () and "refused" in result.errors[0].message


def test_billion_laughs_is_refused() -> None:
    xml = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><a>&lol3;</a>"""
    result = parse_qti(xml, filename="lol.xml")
    assert result.items == () and "refused" in result.errors[0].message


def test_malformed_xml_has_a_line() -> None:
    result = parse_qti_item(b"<assessmentItem>\n<itemBody>\n</assessmentItem>", filename="bad.xml")
    (error,) = result.errors
    assert error.source.line == 3 and "not well-formed" in error.message


def test_wrong_root_and_oversized_item() -> None:
    assert "not a QTI item" in parse_qti_item(b"<quiz/>", filename="q.xml").errors[0].message
    big = b"<a>" + b" " * (5 * 1024 * 1024) + b"</a>"
    assert "too large" in parse_qti_item(big, filename="big.xml").errors[0].message


def test_zip_with_parent_path_is_refused() -> None:
    data = _zip({"imsmanifest.xml": _MANIFEST, "../evil.xml": _ITEM})
    result = parse_qti_package(data, filename="p.zip")
    assert result.items == ()
    assert result.errors[0].source.file == "p.zip!../evil.xml"
    assert "leaves the package" in result.errors[0].message


def test_zip_with_absolute_path_is_refused() -> None:
    result = parse_qti_package(_zip({"imsmanifest.xml": _MANIFEST, "/etc/evil.xml": _ITEM}), filename="p.zip")
    assert result.items == () and "absolute" in result.errors[0].message


def test_zip_bomb_is_refused_before_extraction() -> None:
    data = _zip({"imsmanifest.xml": _MANIFEST, "item.xml": _ITEM, "bomb.bin": b"0" * (60 * 1024 * 1024)})
    assert len(data) < 200_000
    result = parse_qti_package(data, filename="bomb.zip")
    assert result.items == ()
    messages = " | ".join(i.message for i in result.errors)
    assert "compression ratio" in messages and "at most 52428800" in messages


def test_high_compression_ratio_alone_is_refused() -> None:
    data = _zip({"imsmanifest.xml": _MANIFEST, "item.xml": _ITEM, "zeros.bin": b"0" * (2 * 1024 * 1024)})
    result = parse_qti_package(data, filename="z.zip")
    assert result.items == () and "compression ratio" in result.errors[0].message


def test_too_many_members_is_refused() -> None:
    members = {f"f{n}.txt": b"" for n in range(2001)}
    result = parse_qti_package(_zip(members, zipfile.ZIP_STORED), filename="many.zip")
    assert result.items == () and "2001 files" in result.errors[0].message


def test_not_a_zip_and_no_manifest() -> None:
    assert "not a readable zip" in parse_qti_package(b"PK\x03\x04junk", filename="j.zip").errors[0].message
    result = parse_qti(_zip({"item.xml": _ITEM}), filename="n.zip")
    assert "no imsmanifest.xml" in result.errors[0].message


def test_manifest_pointing_at_a_missing_item() -> None:
    result = parse_qti(_zip({"imsmanifest.xml": _MANIFEST}), filename="m.zip")
    assert result.items == () and "'item.xml' is not in the package" in result.errors[0].message


# --- media in packages ------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4
MP3 = b"ID3\x04\x00" + bytes(range(256)) * 4
_MEDIA_MANIFEST = b"""<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>
  <resource identifier="q" type="imsqti_item_xmlv3p0" href="items/q.xml"/></resources></manifest>"""


def _media_item(body: str, identifier: str = "q") -> bytes:
    return f"""<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="{identifier}">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
    <qti-correct-response><qti-value>A</qti-value></qti-correct-response></qti-response-declaration>
  <qti-item-body>
    {body}
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-simple-choice identifier="A">a</qti-simple-choice><qti-simple-choice identifier="B">b</qti-simple-choice>
    </qti-choice-interaction></qti-item-body></qti-assessment-item>""".encode()


def _media_package(body: str, files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> ParseResult:
    members = {"imsmanifest.xml": _MEDIA_MANIFEST, "items/q.xml": _media_item(body), **files}
    return parse_qti_package(_zip(members, compression), filename="p.zip")


def test_package_image_bytes_go_to_files_and_the_source_to_media() -> None:
    result = _media_package('<p><img src="images/pic.png" alt="a picture"/></p>', {"items/images/pic.png": PNG})
    assert result.issues == ()
    (item,) = result.items
    assert item.metadata["files"] == {"pic.png": PNG}
    assert '<img src="media:pic.png" alt="a picture">' in item.content["stem"]
    assert item.metadata["media"] == [
        {
            "src": "images/pic.png",
            "path": "items/images/pic.png",
            "kind": "image",
            "size": len(PNG),
            "name": "pic.png",
            "content_type": "image/png",
        }
    ]


def test_same_base_name_in_two_folders_gets_two_names_and_one_file_is_read_once() -> None:
    body = (
        '<p><img src="a/pic.png"/><img src="b/pic.png"/></p>'
        '<qti-feedback-block outcome-identifier="FB" identifier="x"><img src="a/pic.png"/></qti-feedback-block>'
    )
    result = _media_package(body, {"items/a/pic.png": PNG, "items/b/pic.png": PNG + b"2"})
    (item,) = result.items
    assert item.metadata["files"] == {"pic.png": PNG, "pic-2.png": PNG + b"2"}
    assert 'src="media:pic.png"' in item.content["stem"] and 'src="media:pic-2.png"' in item.content["stem"]
    assert any('src="media:pic.png"' in text for text in item.feedback.values())


def test_missing_image_is_an_error_for_its_item() -> None:
    result = _media_package('<p>\n<img src="images/gone.png"/></p>', {})
    assert result.items == ()
    (error,) = result.errors
    assert error.message == "image 'images/gone.png' is not in the package (no file 'items/images/gone.png')"
    assert (error.source.file, error.source.line, error.source.element) == ("p.zip!items/q.xml", 6, "q")


def test_oversized_image_is_refused_before_it_is_read() -> None:
    big = PNG + b"\0" * (10 * 1024 * 1024)
    result = _media_package('<img src="big.png"/>', {"items/big.png": big}, zipfile.ZIP_STORED)
    assert result.items == ()
    (error,) = result.errors
    assert error.message == (
        f"image 'big.png' is refused: 'items/big.png' is {len(big)} bytes uncompressed (at most 10485760)"
    )


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("pic.png", JPEG, "its name says a PNG image but its bytes are a JPEG image"),
        ("pic.jpg", b"<html><script>alert(1)</script></html>", "its name says a JPEG image but its bytes are an HTML"),
        ("pic.webp", b"\x00\x01 garbage", "its name says a WebP image but its bytes are not any image or audio type"),
        ("pic.gif", b"%PDF-1.7", "its name says a GIF image but its bytes are a PDF document"),
        ("pic.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "SVG images are not accepted"),
        ("map.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG images are not accepted"),
        ("pic.bmp", b"BM" + bytes(100), "the file type ('.bmp') is not accepted for image"),
        ("song.mp3", MP3, "the file type ('.mp3') is not accepted for image"),
    ],
)
def test_image_whose_type_is_wrong_or_not_allowed_is_refused(name: str, data: bytes, reason: str) -> None:
    result = _media_package(f'<img src="{name}"/>', {f"items/{name}": data})
    assert result.items == ()
    (error,) = result.errors
    assert error.message.startswith(f"image {name!r} is refused: {reason}")
    assert error.source.file == "p.zip!items/q.xml"


@pytest.mark.parametrize("src", ["../../outside.png", "../../../etc/passwd.png", "/abs.png", "C:/x.png"])
def test_image_path_escaping_the_package_is_an_error(src: str) -> None:
    result = _media_package(f'<img src="{src}"/>', {"outside.png": PNG, "abs.png": PNG})
    assert result.items == ()
    (error,) = result.errors
    assert error.message == f"image {src!r} points outside the package"


def test_image_inside_the_package_above_the_item_folder_is_read() -> None:
    result = _media_package('<img src="../shared/pic.png"/>', {"shared/pic.png": PNG})
    (item,) = result.items
    assert item.metadata["files"] == {"pic.png": PNG} and item.metadata["media"][0]["path"] == "shared/pic.png"


def test_audio_is_kept_and_missing_audio_is_a_warning() -> None:
    body = '<audio controls="controls"><source src="a.mp3" type="audio/mpeg"/></audio><audio src="gone.ogg"/>'
    result = _media_package(body, {"items/a.mp3": MP3})
    (item,) = result.items
    assert item.metadata["files"] == {"a.mp3": MP3}
    assert [m["content_type"] for m in item.metadata["media"] if "name" in m] == ["audio/mpeg"]
    assert "audio" not in item.content["stem"]  # the bank shows no player yet
    (warning,) = result.issues
    assert warning.severity == "warning" and warning.source.file == "p.zip!items/q.xml"
    assert warning.message == (
        "audio 'gone.ogg' is not in the package (no file 'items/gone.ogg'); the item is imported without it"
    )


def test_video_is_still_only_recorded() -> None:
    result = _media_package('<video><source src="v.mp4"/></video>', {"items/v.mp4": b"\0\0\0\x18ftypmp42"})
    (item,) = result.items
    assert "files" not in item.metadata
    assert item.metadata["media"] == [{"src": "v.mp4", "path": "items/v.mp4", "kind": "source", "size": 12}]
    assert "audio and video are not shown by the bank yet; dropped" in item.warnings


def test_loose_item_file_records_relative_paths_and_keeps_no_foreign_source() -> None:
    result = parse_qti_item(_media_item('<img src="images/pic.png"/>'), filename="q.xml")
    (item,) = result.items
    assert "files" not in item.metadata and [m["path"] for m in item.metadata["media"]] == ["images/pic.png"]
    assert "<img>" in item.content["stem"]  # refused by the bank's import: the image has no file


def test_media_names_are_safe() -> None:
    assert safe_name("items/hình ảnh 1.PNG", set()) == "hinh_anh_1.png"
    assert safe_name("a/.hidden.png", set()) == "hidden.png"
    assert safe_name("a/?.gif", set()) == "file.gif"
    assert safe_name("x/pic.png", {"pic.png", "pic-2.png"}) == "pic-3.png"
    assert len(safe_name("x" * 300 + ".jpeg", set())) <= 100
