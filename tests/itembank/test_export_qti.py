"""QTI 3.0 export (itembank.interchange.qti_export): every exportable type round-trips
through our QTI importer; the documents are well-formed QTI 3; packages list every item.

No database.
"""

from __future__ import annotations

import io
import itertools
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from itembank.interchange.base import ImportedItem, SourceLocation
from itembank.interchange.qti import TEST_WARNING, parse_qti, parse_qti_item, parse_qti_package
from itembank.interchange.qti_export import (
    COUNT_OUTCOME,
    ITEM_RESOURCE_TYPE,
    QTI3_NS,
    item_to_qti3,
    items_to_qti3_package,
)
from scoring.item_rules import score_true_false_group

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
MATHML = "http://www.w3.org/1998/Math/MathML"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
HERE = SourceLocation(file="test")


def _item(item_type: str, content: dict, points: str = "1", **kwargs) -> ImportedItem:
    return ImportedItem(item_type=item_type, content=content, source=HERE, points=Decimal(points), **kwargs)


def _options(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"id": i, "text": t} for i, t in pairs]


ITEMS = {
    "single_choice": _item(
        "single_choice",
        {"stem": "<p>Thủ đô của Việt Nam là?</p>", "options": _options(("A", "Hà Nội"), ("B", "Huế")), "key": "A"},
        "0.25",
        title="Thủ đô",
    ),
    "multiple_response": _item(
        "multiple_response",
        {
            "stem": "<p>Số nguyên tố?</p>",
            "options": _options(("a", "2"), ("b", "3"), ("c", "4")),
            "scoring": "all_or_nothing",
            "keys": ["a", "b"],
        },
        "2",
    ),
    "multiple_response_partial": _item(
        "multiple_response",
        {
            "stem": "<p>Chọn các số chẵn</p>",
            "options": _options(("a", "2"), ("b", "3"), ("c", "4")),
            "scoring": "partial",
            "keys": ["a", "c"],
        },
        "1.5",
    ),
    "text_entry": _item(
        "text_entry",
        {
            "stem": "<p>Thủ đô của Pháp là ______.</p>",
            "match": "exact",
            "ignore_diacritics": False,
            "answers": ["Paris"],
        },
    ),
    "text_entry_normalised": _item(
        "text_entry",
        {
            "stem": "<p>Viết tên: ______</p>",
            "match": "normalised",
            "ignore_diacritics": False,
            "answers": ["Hồ Chí Minh", "Thành phố Hồ Chí Minh"],
        },
        "3",
    ),
    "short_numeric": _item(
        "short_numeric",
        {"stem": "<p>π ≈ ______</p>", "boxes": None, "answer": "3.14", "tolerance": "0.01"},
        "0.5",
    ),
    "short_numeric_exact": _item(
        "short_numeric",
        {"stem": "<p>2 + 2 = ______</p>", "boxes": None, "answer": "4", "tolerance": "0"},
    ),
    "essay": _item(
        "essay",
        {"stem": "<p>Trình bày suy nghĩ của em.</p><p>Ít nhất 200 chữ.</p>", "rubric": [], "max_words": None},
        "4",
    ),
    "inline_choice": _item(
        "inline_choice",
        {
            "stem": "<p>Nước {{g1}} ở 100 °C.</p>",
            "gaps": [{"id": "g1", "options": _options(("x", "sôi"), ("y", "đóng băng"))}],
            "scoring": "all_or_nothing",
            "keys": {"g1": "x"},
        },
    ),
    "inline_choice_per_gap": _item(
        "inline_choice",
        {
            "stem": "<p>{{1}} là thủ đô của {{2}}.</p>",
            "gaps": [
                {"id": "1", "options": _options(("a", "Hà Nội"), ("b", "Huế"))},
                {"id": "2", "options": _options(("c", "Việt Nam"), ("d", "Lào"))},
            ],
            "scoring": "per_gap",
            "keys": {"1": "a", "2": "c"},
        },
        "2",
    ),
    "matching": _item(
        "matching",
        {
            "stem": "<p>Nối tỉnh với vùng</p>",
            "premises": _options(("p1", "Lào Cai"), ("p2", "Cà Mau")),
            "responses": _options(("r1", "Miền Bắc"), ("r2", "Miền Nam"), ("r3", "Miền Trung")),
            "scoring": "all_or_nothing",
            "pairs": {"p1": "r1", "p2": "r2"},
        },
    ),
    "matching_per_pair": _item(
        "matching",
        {
            "stem": "<p>Match</p>",
            "premises": _options(("p1", "1"), ("p2", "2"), ("p3", "3")),
            "responses": _options(("r1", "one"), ("r2", "two"), ("r3", "three")),
            "scoring": "per_pair",
            "pairs": {"p1": "r1", "p2": "r2", "p3": "r3"},
        },
        "3",
    ),
    "true_false_group": _item(
        "true_false_group",
        {
            "stem": "<p>Cho hàm số <i>y</i> = <i>x</i><sup>3</sup>.</p>",
            "statements": _options(
                ("a", "Đồng biến trên ℝ"), ("b", "Có hai cực trị"), ("c", "y(0) = 0"), ("d", "y(1) = 2")
            ),
            "scale": None,  # the national 0.1/0.25/0.5/1
            "keys": {"a": True, "b": False, "c": True, "d": False},
        },
        "1",
        title="Phần II",
    ),
    "true_false_group_custom_3": _item(
        "true_false_group",
        {
            "stem": "<p>Ba mệnh đề</p>",
            "statements": _options(("1", "2 là số nguyên tố"), ("2", "9 là số nguyên tố"), ("3", "1 &lt; 2")),
            "scale": {"1": "0.2", "2": "0.6", "3": "1"},
            "keys": {"1": True, "2": False, "3": True},
        },
        "1.5",
    ),
    "true_false_group_all_or_nothing": _item(
        "true_false_group",
        {
            "stem": "<p>Tất cả đúng mới có điểm</p>",
            "statements": _options(("a", "x"), ("b", "y"), ("c", "z"), ("d", "t")),
            "scale": {"1": "0", "2": "0", "3": "0", "4": "1"},
            "keys": {"a": False, "b": False, "c": True, "d": True},
        },
        "2",
    ),
    "true_false_group_national_spelt_out_with_0": _item(
        "true_false_group",
        {
            "stem": "",  # a group's statements may stand alone
            "statements": _options(("a", "x"), ("b", "y"), ("c", "z"), ("d", "t")),
            "scale": {"0": "0", "1": "0.1", "2": "0.25", "3": "0.5", "4": "1"},
            "keys": {"a": True, "b": True, "c": True, "d": False},
        },
        "0.25",
    ),
    "true_false_one": _item(
        "true_false_group",
        {"stem": "", "statements": _options(("a", "Hà Nội là thủ đô.")), "scale": {"1": "1"}, "keys": {"a": True}},
    ),
    "ordering": _item(
        "ordering",
        {
            "stem": "<p>Sắp xếp theo thời gian</p>",
            "elements": _options(("e1", "1945"), ("e2", "1954"), ("e3", "1975")),
            "scoring": "all_or_nothing",
            "order": ["e1", "e2", "e3"],
        },
    ),
    "ordering_partial": _item(
        "ordering",
        {
            "stem": "<p>Order</p>",
            "elements": _options(("e1", "a"), ("e2", "b"), ("e3", "c")),
            "scoring": "partial",
            "order": ["e3", "e1", "e2"],
        },
        "2",
    ),
}


def _round_trip(item: ImportedItem, identifier: str = "item-1") -> ImportedItem:
    data = item_to_qti3(item, identifier=identifier)
    result = parse_qti_item(data, filename=f"{identifier}.xml")
    assert result.issues == (), result.issues
    assert len(result.items) == 1
    return result.items[0]


def _package_round_trip(item: ImportedItem) -> ImportedItem:
    result = parse_qti_package(items_to_qti3_package([item]), filename="p.zip")
    assert [i.message for i in result.issues] == [TEST_WARNING], result.issues
    assert len(result.items) == 1
    return result.items[0]


def _assert_same(back: ImportedItem, item: ImportedItem) -> None:
    assert back.item_type == item.item_type
    assert back.content == item.content
    assert back.points == item.points


@pytest.mark.parametrize("name", sorted(ITEMS))
def test_every_type_round_trips(name: str) -> None:
    item = ITEMS[name]
    back = _round_trip(item)
    _assert_same(back, item)
    assert back.title == (item.title or "item-1")
    assert back.metadata["identifier"] == "item-1"
    assert back.metadata["qti_version"] == "3.0"


@pytest.mark.parametrize("name", sorted(ITEMS))
def test_documents_are_well_formed_qti3(name: str) -> None:
    data = item_to_qti3(ITEMS[name], identifier="q1")
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(data)
    assert root.tag == f"{{{QTI3_NS}}}qti-assessment-item"
    assert root.get("identifier") == "q1"
    body = root.find(f"{{{QTI3_NS}}}qti-item-body")
    assert body is not None
    assert all(e.tag.startswith(f"{{{QTI3_NS}}}") for e in root.iter())
    values = {
        o.get("identifier"): o.find(f"{{{QTI3_NS}}}qti-default-value/{{{QTI3_NS}}}qti-value").text
        for o in root.iter(f"{{{QTI3_NS}}}qti-outcome-declaration")
    }
    assert Decimal(values["MAXSCORE"]) == ITEMS[name].points
    assert values["SCORE"] == "0"


def test_single_choice_declares_one_choice() -> None:
    root = ET.fromstring(item_to_qti3(ITEMS["single_choice"], identifier="q"))
    interaction = root.find(f".//{{{QTI3_NS}}}qti-choice-interaction")
    assert interaction.get("max-choices") == "1"
    decl = root.find(f"{{{QTI3_NS}}}qti-response-declaration")
    assert (decl.get("cardinality"), decl.get("base-type")) == ("single", "identifier")


def test_partial_multiple_response_has_an_equal_share_mapping() -> None:
    root = ET.fromstring(item_to_qti3(ITEMS["multiple_response_partial"], identifier="q"))
    mapping = root.find(f".//{{{QTI3_NS}}}qti-mapping")
    assert mapping.get("lower-bound") == "0"
    assert Decimal(mapping.get("upper-bound")) == Decimal("1.5")
    entries = {e.get("map-key"): Decimal(e.get("mapped-value")) for e in mapping}
    assert entries == {"a": Decimal("0.75"), "b": Decimal("-0.75"), "c": Decimal("0.75")}
    assert root.find(f".//{{{QTI3_NS}}}qti-choice-interaction").get("max-choices") == "0"


def test_text_entry_normalised_is_case_insensitive_mapping() -> None:
    root = ET.fromstring(item_to_qti3(ITEMS["text_entry_normalised"], identifier="q"))
    entries = root.findall(f".//{{{QTI3_NS}}}qti-map-entry")
    assert [e.get("case-sensitive") for e in entries] == ["false", "false"]
    assert [e.get("mapped-value") for e in entries] == ["3", "3"]
    correct = root.findall(f".//{{{QTI3_NS}}}qti-correct-response/{{{QTI3_NS}}}qti-value")
    assert [v.text for v in correct] == ["Hồ Chí Minh"]


def test_short_numeric_tolerance_is_an_absolute_equal() -> None:
    root = ET.fromstring(item_to_qti3(ITEMS["short_numeric"], identifier="q"))
    equal = root.find(f".//{{{QTI3_NS}}}qti-equal")
    assert (equal.get("tolerance-mode"), equal.get("tolerance")) == ("absolute", "0.01")
    decl = root.find(f"{{{QTI3_NS}}}qti-response-declaration")
    assert decl.get("base-type") == "float"


def test_text_entry_without_a_blank_gets_its_box_after_the_stem_and_comes_back_unchanged() -> None:
    item = _item(
        "text_entry",
        {"stem": "<p>Capital of France?</p>", "match": "exact", "ignore_diacritics": False, "answers": ["Paris"]},
    )
    document = item_to_qti3(item, identifier="t1").decode()
    assert document.index("Capital of France?") < document.index("qti-text-entry-interaction")
    back = _round_trip(item)
    assert back.content["stem"] == "<p>Capital of France?</p>"  # the box's own paragraph is not stem text
    assert back.content["answers"] == ["Paris"]
    inline = _item("text_entry", {**item.content, "stem": "<p>The capital of France is ______.</p>"})
    assert _round_trip(inline).content["stem"] == "<p>The capital of France is ______.</p>"


def test_stem_with_mathml_special_characters_and_vietnamese_round_trips() -> None:
    stem = (
        "<p>Cho hàm số <math><mi>f</mi><mo>(</mo><mi>x</mi><mo>)</mo><mo>=</mo>"
        "<mfrac><mn>1</mn><mi>x</mi></mfrac></math> &amp; a &lt; b &gt; c, "
        "\"ngoặc\" 'đơn' — tiếng Việt: ắ ặ ỡ ự<br>dòng 2</p>"
        "<ul><li><b>đậm</b> và <sub>2</sub></li></ul>"
    )
    item = _item(
        "single_choice",
        {
            "stem": stem,
            "options": _options(("A", "<math><msqrt><mn>2</mn></msqrt></math>"), ("B", "x &lt; 1")),
            "key": "B",
        },
    )
    data = item_to_qti3(item, identifier="math")
    root = ET.fromstring(data)
    maths = list(root.iter(f"{{{MATHML}}}math"))
    assert len(maths) == 2
    assert root.find(f".//{{{MATHML}}}mfrac") is not None
    assert "hàm số".encode() in data
    _assert_same(_round_trip(item), item)


def test_mathml_namespace_attribute_is_the_only_difference() -> None:
    # The sanitiser keeps xmlns on <math>; the importer drops namespaces, so it comes back
    # without it (the same element in HTML).
    stem = '<p><math xmlns="http://www.w3.org/1998/Math/MathML"><mi>y</mi></math></p>'
    item = _item("essay", {"stem": stem, "rubric": [], "max_words": None})
    back = _round_trip(item)
    assert back.content["stem"] == "<p><math><mi>y</mi></math></p>"


def test_characters_xml_forbids_are_dropped_not_written() -> None:
    item = _item("essay", {"stem": "<p>a\x0bb\x00c &amp; ]]&gt; d</p>", "rubric": [], "max_words": None})
    data = item_to_qti3(item, identifier="q")
    ET.fromstring(data)
    assert _round_trip(item).content["stem"] == "<p>abc &amp; ]]&gt; d</p>"


def test_language_and_shuffle_round_trip() -> None:
    item = _item(
        "single_choice",
        {"stem": "<p>x</p>", "options": _options(("A", "1"), ("B", "2")), "key": "A"},
        metadata={"language": "vi", "shuffle": True},
    )
    back = _round_trip(item)
    assert back.metadata["language"] == "vi"
    assert back.metadata["shuffle"] is True


def _q(name: str) -> str:
    return f"{{{QTI3_NS}}}{name}"


def test_true_false_group_is_a_match_of_statements_to_true_and_false() -> None:
    root = ET.fromstring(item_to_qti3(ITEMS["true_false_group"], identifier="tf"))
    (interaction,) = root.iter(_q("qti-match-interaction"))
    assert interaction.attrib == {"response-identifier": "RESPONSE", "shuffle": "false", "max-associations": "4"}
    statements, truths = interaction.findall(_q("qti-simple-match-set"))
    choices = statements.findall(_q("qti-simple-associable-choice"))
    assert [(c.get("identifier"), c.get("match-max")) for c in choices] == [(i, "1") for i in "abcd"]
    assert choices[1].text == "Có hai cực trị"
    choices = truths.findall(_q("qti-simple-associable-choice"))
    assert [(c.get("identifier"), c.text, c.get("match-max")) for c in choices] == [
        ("true", "Đúng", "4"),
        ("false", "Sai", "4"),
    ]
    decl = root.find(_q("qti-response-declaration"))
    assert (decl.get("cardinality"), decl.get("base-type")) == ("multiple", "directedPair")
    correct = [v.text for v in decl.iterfind(f"{_q('qti-correct-response')}/{_q('qti-value')}")]
    assert correct == ["a true", "b false", "c true", "d false"]
    mapping = decl.find(_q("qti-mapping"))
    assert mapping.get("default-value") == "0"
    assert {e.get("map-key"): e.get("mapped-value") for e in mapping} == dict.fromkeys(correct, "1")
    outcomes = {o.get("identifier"): o for o in root.iter(_q("qti-outcome-declaration"))}
    assert set(outcomes) == {"SCORE", "MAXSCORE", COUNT_OUTCOME}
    assert outcomes[COUNT_OUTCOME].get("base-type") == "float"


def _conditions(root: ET.Element) -> dict[int, Decimal]:
    """``{count: SCORE}`` of the exported counting conditions (checking their shape)."""
    processing = root.find(_q("qti-response-processing"))
    counted, *conditions = list(processing)
    assert counted.tag == _q("qti-set-outcome-value") and counted.get("identifier") == COUNT_OUTCOME
    assert [(e.tag, e.get("identifier")) for e in counted] == [(_q("qti-map-response"), "RESPONSE")]
    scores = {}
    for condition in conditions:
        assert condition.tag == _q("qti-response-condition")
        (branch,) = condition
        equal, setter = branch
        variable, count = equal
        assert (equal.tag, variable.tag, variable.get("identifier")) == (
            _q("qti-equal"),
            _q("qti-variable"),
            COUNT_OUTCOME,
        )
        assert setter.tag == _q("qti-set-outcome-value") and setter.get("identifier") == "SCORE"
        (value,) = setter
        assert value.tag == _q("qti-base-value")
        scores[int(count.text)] = Decimal(value.text)
    return scores


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("true_false_group", {1: "0.1", 2: "0.25", 3: "0.5", 4: "1"}),
        ("true_false_group_custom_3", {1: "0.3", 2: "0.9", 3: "1.5"}),
        ("true_false_group_all_or_nothing", {1: "0", 2: "0", 3: "0", 4: "2"}),
        ("true_false_group_national_spelt_out_with_0", {0: "0", 1: "0.025", 2: "0.0625", 3: "0.125", 4: "0.25"}),
        ("true_false_one", {1: "1"}),
    ],
)
def test_true_false_scores_per_count_are_scale_times_points(name: str, expected: dict[int, str]) -> None:
    root = ET.fromstring(item_to_qti3(ITEMS[name], identifier="tf"))
    assert _conditions(root) == {k: Decimal(v) for k, v in expected.items()}
    maxscore = root.find(f"{_q('qti-outcome-declaration')}[@identifier='MAXSCORE']")
    assert Decimal(maxscore.find(f"{_q('qti-default-value')}/{_q('qti-value')}").text) == ITEMS[name].points


@pytest.mark.parametrize("name", [n for n in ITEMS if ITEMS[n].item_type == "true_false_group"])
def test_true_false_processing_scores_every_response_as_the_bank_does(name: str) -> None:
    # Run the exported processing (map the pairs, count, pick the condition) on every
    # answer sheet and compare with the bank's own rule.
    item = ITEMS[name]
    root = ET.fromstring(item_to_qti3(item, identifier="tf"))
    mapping = {e.get("map-key"): Decimal(e.get("mapped-value")) for e in root.iter(_q("qti-map-entry"))}
    scores = _conditions(root)
    ids = [s["id"] for s in item.content["statements"]]
    for answers in itertools.product([True, False, None], repeat=len(ids)):
        response = {i: a for i, a in zip(ids, answers, strict=True) if a is not None}
        pairs = {f"{i} {'true' if a else 'false'}" for i, a in response.items()}
        count = sum((mapping.get(p, Decimal(0)) for p in pairs), Decimal(0))
        qti_score = scores.get(int(count), Decimal(0))
        bank = score_true_false_group(response, item.content["keys"], item.points, scale=item.content["scale"])
        assert qti_score == bank.points, (response, qti_score, bank.points)


def test_true_false_group_statement_named_like_a_choice_is_refused() -> None:
    content = {**ITEMS["true_false_one"].content, "statements": _options(("True", "x")), "keys": {"True": True}}
    with pytest.raises(ValueError, match="'True' clashes with the true/false choices"):
        item_to_qti3(_item("true_false_group", content), identifier="tf")


def test_true_false_group_of_3_without_a_scale_is_refused() -> None:
    content = {**ITEMS["true_false_group_custom_3"].content, "scale": None}
    with pytest.raises(ValueError, match="3 statements needs a scale"):
        item_to_qti3(_item("true_false_group", content), identifier="tf")


def test_a_spelt_out_national_scale_without_0_comes_back_as_null() -> None:
    # The same rule either way; QTI keeps only the scores, so the reader cannot tell them apart.
    spelt = {"1": "0.1", "2": "0.25", "3": "0.5", "4": "1"}
    back = _round_trip(_item("true_false_group", {**ITEMS["true_false_group"].content, "scale": spelt}))
    assert back.content["scale"] is None


def test_a_zero_point_true_false_group_loses_its_scale_with_warnings() -> None:
    # Every count scores 0 points: there is no fraction to read back (a documented loss).
    item = _item("true_false_group", ITEMS["true_false_group_custom_3"].content, "0")
    result = parse_qti_item(item_to_qti3(item, identifier="tf"), filename="tf.xml")
    (back,) = result.items
    assert back.points == Decimal("0")
    assert back.content["scale"] == {
        "1": "0.3333333333333333333333333333",
        "2": "0.6666666666666666666666666667",
        "3": "1",
    }
    assert back.warnings[0] == "the item is worth 0 points: its scale cannot be read from the response processing"
    assert "a proportional scale (k of 3 correct: k/3 of the points) was assumed" in back.warnings[1]


def test_true_false_fractions_come_back_in_plain_form() -> None:
    content = {**ITEMS["true_false_group_custom_3"].content, "scale": {"1": "0.20", "2": "0.600", "3": "1.0"}}
    back = _round_trip(_item("true_false_group", content, "3"))
    assert back.content["scale"] == {"1": "0.2", "2": "0.6", "3": "1"}


def test_pattern_text_entry_is_refused() -> None:
    item = _item(
        "text_entry", {"stem": "<p>______</p>", "match": "pattern", "ignore_diacritics": False, "answers": ["a+"]}
    )
    with pytest.raises(ValueError, match="pattern"):
        item_to_qti3(item, identifier="p")


def test_several_gaps_all_or_nothing_come_back_per_gap() -> None:
    # Known importer limitation (qti._read_inline_choice): several inline choices are read as
    # "per_gap" whatever the response processing says. The export writes all-or-nothing
    # (qti-and of the matches, no mapping), so only the importer needs a change.
    item = _item("inline_choice", {**ITEMS["inline_choice_per_gap"].content, "scoring": "all_or_nothing"}, "2")
    root = ET.fromstring(item_to_qti3(item, identifier="q"))
    assert root.find(f".//{{{QTI3_NS}}}qti-mapping") is None
    assert root.find(f".//{{{QTI3_NS}}}qti-and") is not None
    back = _round_trip(item)
    assert back.content == {**item.content, "scoring": "per_gap"}


def test_package_lists_every_item_in_order_and_round_trips() -> None:
    items = list(ITEMS.values())
    data = items_to_qti3_package(items)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        manifest = ET.fromstring(zf.read("imsmanifest.xml"))
        test = ET.fromstring(zf.read("assessment.xml"))
    assert manifest.tag == f"{{{CP}}}manifest"
    resources = [r for r in manifest.iter(f"{{{CP}}}resource") if r.get("type") == ITEM_RESOURCE_TYPE]
    hrefs = [r.get("href") for r in resources]
    assert len(hrefs) == len(items)
    assert all(h.startswith("items/") and h in names for h in hrefs)
    assert test.tag == f"{{{QTI3_NS}}}qti-assessment-test"
    refs = [r.get("href") for r in test.iter(f"{{{QTI3_NS}}}qti-assessment-item-ref")]
    assert refs == hrefs

    result = parse_qti_package(data, filename="export.zip")
    assert result.errors == ()
    assert len(result.items) == len(items)
    for back, item in zip(result.items, items, strict=True):
        _assert_same(back, item)
    assert parse_qti(data, filename="export.zip").items == result.items


def test_package_keeps_usable_identifiers_and_makes_the_others_unique() -> None:
    base = ITEMS["single_choice"]
    items = [
        _item(base.item_type, base.content, metadata={"identifier": "Q-1"}),
        _item(base.item_type, base.content, metadata={"identifier": "Q-1"}),
        _item(base.item_type, base.content, metadata={"identifier": "1 bad"}),
    ]
    result = parse_qti_package(items_to_qti3_package(items), filename="p.zip")
    assert [i.metadata["identifier"] for i in result.items] == ["Q-1", "item-0002", "item-0003"]


def _corpus_items() -> list[tuple[str, ImportedItem]]:
    if not (CORPUS / "qti3").is_dir():
        return []
    found = []
    paths = sorted((CORPUS / "qti3").rglob("*")) + sorted((CORPUS / "qti21").rglob("*"))
    for path in paths:
        if path.suffix not in {".xml", ".zip"}:
            continue
        for index, item in enumerate(parse_qti(path.read_bytes(), filename=path.name).items):
            found.append((f"{path.relative_to(CORPUS)}#{index}", item))
    return found


CORPUS_ITEMS = _corpus_items()


@pytest.mark.skipif(not CORPUS_ITEMS, reason=f"shared corpus not found at {CORPUS}")
@pytest.mark.parametrize("item", [i for _, i in CORPUS_ITEMS], ids=[n for n, _ in CORPUS_ITEMS])
def test_corpus_items_round_trip(item: ImportedItem) -> None:
    identifier = item.metadata.get("identifier") or "corpus"
    if item.metadata.get("files"):
        back = _package_round_trip(item)  # only a package carries the media bytes
        assert back.metadata["files"] == item.metadata["files"]
    else:
        back = _round_trip(item, identifier=identifier)
    assert back.item_type == item.item_type
    expected = dict(item.content)
    if item.item_type == "inline_choice" and len(item.content["gaps"]) > 1:
        expected["scoring"] = "per_gap"  # the importer's limitation, see the test above
    assert back.content == expected
    assert back.points == item.points


# --- media ----------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
GIF = b"GIF89a" + bytes(range(256)) * 2


def test_package_writes_media_files_and_a_round_trip_keeps_the_bytes() -> None:
    item = _item(
        "single_choice",
        {
            "stem": '<p>Hình nào? <img src="media:pic.png" alt="hình"></p>',
            "options": _options(("A", '<img src="media:a.gif" alt="">'), ("B", "không")),
            "key": "A",
        },
        metadata={"identifier": "Q1", "files": {"pic.png": PNG, "a.gif": GIF}},
    )
    data = items_to_qti3_package([item])
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.read("items/media/Q1/pic.png") == PNG and zf.read("items/media/Q1/a.gif") == GIF
        manifest = ET.fromstring(zf.read("imsmanifest.xml"))
        document = zf.read("items/Q1.xml").decode()
    (resource,) = [r for r in manifest.iter(f"{{{CP}}}resource") if r.get("identifier") == "Q1"]
    assert [f.get("href") for f in resource.iter(f"{{{CP}}}file")] == [
        "items/Q1.xml",
        "items/media/Q1/pic.png",
        "items/media/Q1/a.gif",
    ]
    assert 'src="media/Q1/pic.png"' in document and "media:" not in document

    back = _package_round_trip(item)
    _assert_same(back, item)
    assert back.metadata["files"] == {"pic.png": PNG, "a.gif": GIF}


def test_package_media_names_are_made_safe_and_the_sources_follow() -> None:
    # Moodle file names may hold spaces and diacritics; the package member gets a safe name
    # and the item comes back referring to it.
    item = _item(
        "essay",
        {"stem": '<p><img src="media:ảnh 1.png" alt=""></p>', "rubric": [], "max_words": None},
        metadata={"files": {"ảnh 1.png": PNG}},
    )
    back = _package_round_trip(item)
    assert back.metadata["files"] == {"anh_1.png": PNG}
    assert back.content["stem"] == '<p><img src="media:anh_1.png" alt=""></p>'


def test_package_keeps_each_items_files_apart() -> None:
    first = _item("essay", {"stem": '<p><img src="media:x.png"></p>', "rubric": [], "max_words": None})
    first = ImportedItem(**{**first.__dict__, "metadata": {"files": {"x.png": PNG}}})
    second = ImportedItem(**{**first.__dict__, "metadata": {"files": {"x.png": PNG + b"2"}}})
    result = parse_qti_package(items_to_qti3_package([first, second]), filename="p.zip")
    assert [i.metadata["files"] for i in result.items] == [{"x.png": PNG}, {"x.png": PNG + b"2"}]


def test_package_refuses_an_unusable_media_name() -> None:
    item = _item("essay", {"stem": "<p>x</p>", "rubric": [], "max_words": None}, metadata={"files": {"../x.png": PNG}})
    with pytest.raises(ValueError, match="unusable name '../x.png'"):
        items_to_qti3_package([item])


def test_lone_item_document_leaves_media_sources_alone() -> None:
    item = _item(
        "essay",
        {"stem": '<p><img src="media:pic.png" alt=""></p>', "rubric": [], "max_words": None},
        metadata={"files": {"pic.png": PNG}},
    )
    assert b'src="media:pic.png"' in item_to_qti3(item, identifier="q")
