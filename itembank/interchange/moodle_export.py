"""Export of items to Moodle XML (``<quiz><question type="...">``).

``items_to_moodle_xml`` writes the neutral ``ImportedItem`` records (docs/decisions/0003)
as a Moodle XML file that ``itembank.interchange.moodle.parse_moodle_xml`` reads back.
It raises ``ValueError`` (naming the item) for anything Moodle XML cannot hold without
changing how the item is scored.

Mapping (bank type -> Moodle type) and what the round trip keeps:

- ``single_choice`` -> ``multichoice`` single: 100% for the key, 0% otherwise. Exact.
- ``multiple_response`` -> ``multichoice`` multiple. Moodle adds the grades of the chosen
  answers and clamps the sum to 0..100%. Each key gets ``100/|keys|`` % (one of Moodle's
  grades: 100, 50, 33.33333, 25, 20, 16.66667, 14.28571, 12.5, 11.11111, 10; more than
  ten keys -> ``ValueError``).

  * ``partial`` (right minus wrong, floored at 0): wrong answers get ``-100/|keys|`` %, so
    Moodle grades exactly like the bank. The importer reads grades below 100% as
    ``partial``: exact round trip for two or more keys. With one key, ``partial`` and
    ``all_or_nothing`` score identically; it comes back as ``all_or_nothing``.
  * ``all_or_nothing``: Moodle cannot express it. With one key the key gets 100% and wrong
    answers -100%, which is exactly all-or-nothing (exact round trip). With several keys
    the item is written like ``partial`` (wrong answers -100/|keys| %) and comes back as
    ``partial``: a documented loss.
- ``true_false_group`` with one statement -> ``truefalse`` (the statement is the question
  text; a non-empty ``stem`` is put before it, so it comes back inside the statement).
  More statements -> ``ValueError``.
- ``text_entry`` -> ``shortanswer``: ``usecase`` 1 for ``exact``, 0 for ``normalised``
  (Moodle then ignores case only, not Unicode form or repeated spaces).
  ``pattern`` and ``ignore_diacritics`` -> ``ValueError``. A literal ``*`` is written as
  ``\\*`` (Moodle's wildcard otherwise); the importer keeps the backslash (see below).
- ``short_numeric`` -> ``numerical`` (answer and tolerance, 100%). ``boxes`` is not kept.
- ``matching`` -> ``matching``: one sub-question per premise, then one empty sub-question
  per unused response (a distractor). Moodle grades per pair; ``all_or_nothing`` comes back
  as ``per_pair``. Responses are plain text in Moodle (HTML is unescaped; tags are lost).
- ``ordering`` -> ``ordering`` (qtype_ordering): the answers in element order with
  ``fraction`` = the element's place; ``all_or_nothing`` -> ``ALL_OR_NOTHING``, ``partial``
  -> ``LONGEST_ORDERED_SUBSET`` (or the imported ``moodle_gradingtype``). Exact.
- ``inline_choice`` -> ``gapselect``: gaps with the same options share a group; the marker
  ``[[n]]`` names the right choice. Moodle grades per gap; ``all_or_nothing`` comes back as
  ``per_gap``; cloze gap weights (``metadata["gap_weights"]``) are not kept.
  Choices are plain text in Moodle.
- ``essay`` -> ``essay`` (``maxwordlimit``; ``min_words`` and ``response_template`` from
  metadata; grader feedback -> ``graderinfo``). A rubric -> ``ValueError``.

Ids: the importer names options, statements, elements and responses A, B, C... and
premises and gaps 1, 2, 3... by position; items with other ids come back renamed
(the keys follow). Text is written with ``format="html"`` (``media:NAME`` in ``src`` /
``href`` becomes ``@@PLUGINFILE@@/NAME``; ``metadata["files"]`` are embedded as base64
``<file>`` elements). ``title`` is the question name (the first words of the stem if empty).
"""

from __future__ import annotations

import base64
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from itembank.interchange import moodle
from itembank.interchange.base import CannotHold, ImportedItem

__all__ = ["items_to_moodle_xml"]

_MEDIA_REF = re.compile(r"""((?:src|href)\s*=\s*["'])media:""")
_GAP_MARKER = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
_GAPSELECT_MARKER = re.compile(r"\[\[\d+\]\]")
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TAG = re.compile(r"<[^>]*>")
_MAX_KEYS = 10  # 100/k is one of Moodle's grades for k = 1..10


class _ExportError(ValueError):
    pass


def items_to_moodle_xml(items: Iterable[ImportedItem]) -> bytes:
    """A Moodle XML ``<quiz>`` document (UTF-8) with the items, in order.

    Raises ``ValueError`` naming the item for an item Moodle XML cannot hold."""
    root = ET.Element("quiz")
    category: tuple[str, ...] = ()
    for number, item in enumerate(items, start=1):
        label = _label(number, item)
        try:
            if item.category != category:
                root.append(_category_question(item.category))
                category = item.category
            root.append(_question(item))
        except CannotHold as exc:
            raise exc.labelled(label) from None
        except _ExportError as exc:
            raise ValueError(f"{label}: {exc}") from None
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _label(number: int, item: ImportedItem) -> str:
    name = item.title or _first_words(str(item.content.get("stem", "")))
    return f'item {number} "{name}" ({item.source})' if name else f"item {number} ({item.source})"


# --- categories -------------------------------------------------------------------------


def _category_question(path: tuple[str, ...]) -> ET.Element:
    text = "/".join(["$course$", "top", *(part.replace("/", "//") for part in path)])
    # The importer's own reading decides whether a name can be written at all
    # (e.g. a name starting or ending with "/", or with surrounding spaces, cannot).
    if moodle._category_path(text) != tuple(path):  # noqa: SLF001 - the reader is the spec
        raise _ExportError(f"the category {'/'.join(path)!r} cannot be written as a Moodle category path")
    question = ET.Element("question", type="category")
    _text_child(question, "category", text)
    return question


# --- one question -----------------------------------------------------------------------


def _question(item: ImportedItem) -> ET.Element:
    writer = _WRITERS.get(item.item_type)
    if writer is None:  # every bank type has a writer; be explicit anyway
        raise CannotHold(
            item, format="moodle", kind="type", reason=f"item type {item.item_type!r} cannot be exported to Moodle XML"
        )
    content = item.content
    moodle_type, write_body = writer(item)
    question = ET.Element("question", type=moodle_type)
    _text_child(question, "name", item.title.strip() or _first_words(str(content.get("stem", ""))) or "Question")
    questiontext = write_body(question)  # returns the questiontext element, first child after name
    _html_child(question, "generalfeedback", item.feedback.get("general", ""))
    _plain_child(question, "defaultgrade", _number(item.points))
    if "penalty" in item.metadata:
        _plain_child(question, "penalty", str(item.metadata["penalty"]))
    _plain_child(question, "hidden", "0")
    if item.metadata.get("idnumber"):
        _plain_child(question, "idnumber", str(item.metadata["idnumber"]))
    for hint in item.metadata.get("hints", ()):
        _html_child(question, "hint", hint)
    if tags := item.metadata.get("tags"):
        tags_elem = ET.SubElement(question, "tags")
        for tag in tags:
            _text_child(tags_elem, "tag", str(tag))
    files = item.metadata.get("files") or {}
    for name, data in files.items():
        if not name or "/" in name or "\\" in name or name in {".", ".."}:
            raise _ExportError(f"embedded file has an unusable name {name!r}")
        file_elem = ET.SubElement(questiontext, "file", name=name, path="/", encoding="base64")
        file_elem.text = base64.b64encode(bytes(data)).decode("ascii")
    _order(question)
    return question


# Moodle writes the common fields first; the importer does not care, people reading do.
_ORDER = ("name", "questiontext", "generalfeedback", "defaultgrade", "penalty", "hidden", "idnumber")


def _order(question: ET.Element) -> None:
    children = list(question)
    first = [c for tag in _ORDER for c in children if c.tag == tag]
    tail_tags = ("hint", "tags")
    rest = [c for c in children if c.tag not in _ORDER and c.tag not in tail_tags]
    tail = [c for tag in tail_tags for c in children if c.tag == tag]
    for child in children:
        question.remove(child)
    question.extend(first + rest + tail)


# --- text -------------------------------------------------------------------------------


def _check(text: str) -> str:
    if _INVALID_XML.search(text):
        raise _ExportError("the text holds a control character that XML 1.0 cannot hold")
    return text


def _html(text: str) -> str:
    return _MEDIA_REF.sub(r"\1@@PLUGINFILE@@/", _check(text))


def _plain_child(parent: ET.Element, tag: str, text: str) -> ET.Element:
    elem = ET.SubElement(parent, tag)
    elem.text = _check(text)
    return elem


def _text_child(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    elem = ET.SubElement(parent, tag, attrs)
    ET.SubElement(elem, "text").text = _check(text)
    return elem


def _html_child(parent: ET.Element, tag: str, text: str) -> ET.Element:
    return _text_child(parent, tag, _html(text), format="html")


def _to_plain(fragment: str) -> str:
    """An HTML fragment as the plain text Moodle shows for it (tags dropped)."""
    return html.unescape(_TAG.sub("", fragment))


def _first_words(stem: str, limit: int = 8) -> str:
    words = _to_plain(stem).split()
    text = " ".join(words[:limit])
    return text + " …" if len(words) > limit else text


def _number(value: Decimal | str | int) -> str:
    number = Decimal(str(value))
    text = f"{number.normalize():f}"
    return text if "." not in text else text.rstrip("0").rstrip(".")


def _grade(percent: Decimal) -> str:
    """A grade in percent as Moodle writes it (7 decimals of a fraction)."""
    return _number(percent.quantize(Decimal("0.00001"), rounding=ROUND_HALF_EVEN))


def _combined_feedback(question: ET.Element, feedback: Mapping[str, str]) -> None:
    for key, tag in (
        ("correct", "correctfeedback"),
        ("partially_correct", "partiallycorrectfeedback"),
        ("incorrect", "incorrectfeedback"),
    ):
        _html_child(question, tag, feedback.get(key, ""))


def _shuffle(question: ET.Element, item: ImportedItem) -> None:
    _plain_child(question, "shuffleanswers", "true" if item.metadata.get("shuffle") else "false")


def _stem(question: ET.Element, item: ImportedItem) -> ET.Element:
    return _html_child(question, "questiontext", str(item.content.get("stem", "")))


def _answer(parent: ET.Element, fraction: str, text: str, feedback: str = "", *, fmt: str = "html") -> ET.Element:
    answer = ET.SubElement(parent, "answer", fraction=fraction, format=fmt)
    ET.SubElement(answer, "text").text = _html(text) if fmt == "html" else _check(text)
    _html_child(answer, "feedback", feedback)
    return answer


# --- the types --------------------------------------------------------------------------

_Writer = tuple[str, Any]


def _single_choice(item: ImportedItem) -> _Writer:
    content = item.content
    options = content["options"]
    if not any(option["id"] == content["key"] for option in options):
        raise _ExportError(f"the key {content['key']!r} is not an option")

    def body(q: ET.Element) -> ET.Element:
        text = _stem(q, item)
        _plain_child(q, "single", "true")
        _shuffle(q, item)
        _plain_child(q, "answernumbering", "abc")
        _combined_feedback(q, item.feedback)
        for option in options:
            fraction = "100" if option["id"] == content["key"] else "0"
            _answer(q, fraction, option["text"], item.feedback.get(f"option:{option['id']}", ""))
        return text

    return "multichoice", body


def _multiple_response(item: ImportedItem) -> _Writer:
    content = item.content
    options = content["options"]
    keys = list(dict.fromkeys(content["keys"]))
    ids = {option["id"] for option in options}
    if not keys or any(key not in ids for key in keys):
        raise _ExportError("the keys must be options")
    if len(keys) > _MAX_KEYS:
        raise _ExportError(
            f"{len(keys)} keys would each need the grade {Decimal(100) / len(keys):.5f}%, "
            "which is not one of Moodle's grades (at most 10 keys)"
        )
    right = _grade(Decimal(100) / len(keys))
    # Wrong answers: -100/k is the bank's right-minus-wrong rule; with one key, -100 is
    # also exactly all-or-nothing.
    wrong = "-" + right

    def body(q: ET.Element) -> ET.Element:
        text = _stem(q, item)
        _plain_child(q, "single", "false")
        _shuffle(q, item)
        _plain_child(q, "answernumbering", "abc")
        _combined_feedback(q, item.feedback)
        for option in options:
            fraction = right if option["id"] in keys else wrong
            _answer(q, fraction, option["text"], item.feedback.get(f"option:{option['id']}", ""))
        return text

    return "multichoice", body


def _true_false(item: ImportedItem) -> _Writer:
    content = item.content
    statements = content["statements"]
    if len(statements) != 1:
        raise CannotHold(
            item,
            format="moodle",
            kind="several_statements",
            reason="Moodle XML has no true/false group with several statements",
        )
    statement = statements[0]
    key = content["keys"][statement["id"]]
    stem = str(content.get("stem", "")).strip()
    text = f"{stem}{statement['text']}" if stem else statement["text"]

    def body(q: ET.Element) -> ET.Element:
        questiontext = _html_child(q, "questiontext", text)
        for value in (True, False):
            word = "true" if value else "false"
            _answer(q, "100" if key is value else "0", word, item.feedback.get(word, ""), fmt="moodle_auto_format")
        return questiontext

    return "truefalse", body


def _short_answer_text(answer: str) -> str:
    # The importer unescapes HTML entities; Moodle reads "*" as a wildcard and "\*" as "*".
    if html.unescape(answer) != answer:
        answer = answer.replace("&", "&amp;")
    return answer.replace("*", "\\*")


def _text_entry(item: ImportedItem) -> _Writer:
    content = item.content
    match = content.get("match", "exact")
    if match == "pattern":
        raise CannotHold(
            item,
            format="moodle",
            kind="pattern",
            reason="Moodle XML short answers cannot hold a regular-expression (pattern) key",
        )
    if match not in {"exact", "normalised"}:
        raise _ExportError(f"unknown match {match!r}")
    if content.get("ignore_diacritics"):
        raise _ExportError("Moodle short answers cannot ignore diacritics")
    answers = list(content["answers"])
    if not answers:
        raise _ExportError("a text-entry item needs at least one answer")

    def body(q: ET.Element) -> ET.Element:
        text = _stem(q, item)
        _plain_child(q, "usecase", "1" if match == "exact" else "0")
        for answer in answers:
            feedback = item.feedback.get(f"answer:{answer}", "")
            _answer(q, "100", _short_answer_text(answer), feedback, fmt="moodle_auto_format")
        return text

    return "shortanswer", body


def _short_numeric(item: ImportedItem) -> _Writer:
    content = item.content
    answer = str(content["answer"]).strip()
    tolerance = str(content.get("tolerance") or "0").strip()
    for what, value in (("answer", answer), ("tolerance", tolerance)):
        try:
            if not Decimal(value).is_finite():
                raise ValueError
        except (ArithmeticError, ValueError):
            raise _ExportError(f"the {what} {value!r} is not a number") from None

    def body(q: ET.Element) -> ET.Element:
        text = _stem(q, item)
        elem = _answer(q, "100", answer, fmt="moodle_auto_format")
        _plain_child(elem, "tolerance", tolerance)
        _plain_child(q, "unitgradingtype", "0")
        _plain_child(q, "unitpenalty", "0.1000000")
        _plain_child(q, "showunits", "3")
        _plain_child(q, "unitsleft", "0")
        return text

    return "numerical", body


def _matching(item: ImportedItem) -> _Writer:
    content = item.content
    responses = {r["id"]: _to_plain(r["text"]).strip() for r in content["responses"]}
    texts = list(responses.values())
    if len(set(texts)) != len(texts):
        raise _ExportError("two matching responses have the same text; Moodle would merge them")
    if any(not text for text in texts):
        raise _ExportError("a matching response has no text")
    pairs = content["pairs"]
    premises = content["premises"]
    if any(premise["id"] not in pairs or pairs[premise["id"]] not in responses for premise in premises):
        raise _ExportError("every premise needs a pair with a response")
    used = {pairs[premise["id"]] for premise in premises}

    def body(q: ET.Element) -> ET.Element:
        text = _stem(q, item)
        _shuffle(q, item)
        _combined_feedback(q, item.feedback)
        for premise in premises:
            sub = _text_child(q, "subquestion", _html(premise["text"]), format="html")
            _text_child(sub, "answer", responses[pairs[premise["id"]]])
        for rid, response in responses.items():
            if rid not in used:
                sub = _text_child(q, "subquestion", "", format="html")
                _text_child(sub, "answer", response)
        return text

    return "matching", body


def _ordering(item: ImportedItem) -> _Writer:
    content = item.content
    elements = content["elements"]
    order = list(content["order"])
    ids = [element["id"] for element in elements]
    if sorted(order) != sorted(ids) or len(set(ids)) != len(ids):
        raise _ExportError("the order must name every element once")
    scoring = content.get("scoring", "all_or_nothing")
    imported = item.metadata.get("moodle_gradingtype")
    if scoring == "all_or_nothing":
        gradingtype = "ALL_OR_NOTHING"
    elif isinstance(imported, str) and imported and imported != "ALL_OR_NOTHING":
        gradingtype = imported
    else:
        gradingtype = "LONGEST_ORDERED_SUBSET"

    def body(q: ET.Element) -> ET.Element:
        text = _stem(q, item)
        _plain_child(q, "layouttype", "VERTICAL")
        _plain_child(q, "selecttype", "ALL")
        _plain_child(q, "selectcount", "0")
        _plain_child(q, "gradingtype", gradingtype)
        _plain_child(q, "showgrading", "SHOW")
        _plain_child(q, "numberingstyle", "none")
        _combined_feedback(q, item.feedback)
        for element in elements:
            _answer(q, str(order.index(element["id"]) + 1), element["text"])
        return text

    return "ordering", body


def _inline_choice(item: ImportedItem) -> _Writer:
    content = item.content
    stem = str(content.get("stem", ""))
    if _GAPSELECT_MARKER.search(stem):
        raise _ExportError("the stem holds [[n]], which Moodle would read as a gap")
    gaps = {gap["id"]: gap for gap in content["gaps"]}
    keys = content["keys"]
    choices: list[tuple[str, int]] = []  # (plain text, group)
    groups: dict[tuple[str, ...], tuple[int, list[int]]] = {}  # option texts -> (group, choice indexes)

    def marker(match: re.Match[str]) -> str:
        gap = gaps.get(match.group(1))
        if gap is None:
            raise _ExportError(f"the stem names the gap {match.group(1)!r}, which does not exist")
        texts = tuple(_to_plain(option["text"]).strip() for option in gap["options"])
        if len(set(texts)) != len(texts) or not all(texts):
            raise _ExportError(f"gap {gap['id']!r} has empty or repeated choices")
        if texts not in groups:
            group = len(groups) + 1
            indexes = []
            for text in texts:
                choices.append((text, group))
                indexes.append(len(choices))
            groups[texts] = (group, indexes)
        _, indexes = groups[texts]
        option_ids = [option["id"] for option in gap["options"]]
        if keys.get(gap["id"]) not in option_ids:
            raise _ExportError(f"gap {gap['id']!r} has no key among its options")
        return f"[[{indexes[option_ids.index(keys[gap['id']])]}]]"

    text = _GAP_MARKER.sub(marker, stem)
    if not choices:
        raise _ExportError("the stem has no {{gap}} markers")

    def body(q: ET.Element) -> ET.Element:
        questiontext = _html_child(q, "questiontext", text)
        _shuffle(q, item)
        _combined_feedback(q, item.feedback)
        for choice, group in choices:
            elem = _text_child(q, "selectoption", choice)
            _plain_child(elem, "group", str(group))
        return questiontext

    return "gapselect", body


def _essay(item: ImportedItem) -> _Writer:
    content = item.content
    if content.get("rubric"):
        raise _ExportError("Moodle essays cannot hold a marking rubric")
    max_words = content.get("max_words")
    min_words = item.metadata.get("min_words")

    def body(q: ET.Element) -> ET.Element:
        text = _stem(q, item)
        _plain_child(q, "responseformat", "editor")
        _plain_child(q, "responserequired", "1")
        _plain_child(q, "responsefieldlines", "15")
        _plain_child(q, "minwordenabled", "1" if min_words else "0")
        _plain_child(q, "minwordlimit", str(min_words) if min_words else "")
        _plain_child(q, "maxwordenabled", "1" if max_words else "0")
        _plain_child(q, "maxwordlimit", str(max_words) if max_words else "")
        _plain_child(q, "attachments", "0")
        _plain_child(q, "attachmentsrequired", "0")
        _html_child(q, "graderinfo", item.feedback.get("grader", ""))
        _html_child(q, "responsetemplate", item.metadata.get("response_template", ""))
        return text

    return "essay", body


_WRITERS = {
    "single_choice": _single_choice,
    "multiple_response": _multiple_response,
    "true_false_group": _true_false,
    "text_entry": _text_entry,
    "short_numeric": _short_numeric,
    "matching": _matching,
    "ordering": _ordering,
    "inline_choice": _inline_choice,
    "essay": _essay,
}
