"""Export of bank items to IMS/1EdTech QTI 3.0: single items and content packages.

``item_to_qti3`` writes one ``qti-assessment-item``; ``items_to_qti3_package`` a zip content
package (``imsmanifest.xml``, one file per item under ``items/``, the items' media under
``items/media/<identifier>/`` and a ``qti-assessment-test`` in ``assessment.xml`` listing
the items in order). The output is written so that ``itembank.interchange.qti`` reads it
back to the same type, content, points and media files (tests/itembank/test_export_qti.py).

Mapping (bank type -> QTI 3.0):

- ``single_choice``: ``qti-choice-interaction`` max-choices 1, the key as correct response.
- ``multiple_response``: max-choices 0, the keys as correct response; ``partial`` adds a
  ``qti-mapping`` (each key ``points / n``, each other choice ``-points / n``, lower bound 0).
- ``text_entry``: string ``qti-text-entry-interaction`` where the stem has its blank
  (``______``, else in a paragraph after the stem); the first answer is the correct
  response, every answer is in the mapping at full value (``normalised``:
  ``case-sensitive="false"``).
- ``short_numeric``: float text entry; the tolerance is ``qti-equal`` with
  ``tolerance-mode="absolute"`` in the response processing (``exact`` for 0).
- ``essay``: ``qti-extended-text-interaction``, SCORE ``external-scored="human"``.
- ``inline_choice``: each ``{{gap}}`` marker of the stem becomes a
  ``qti-inline-choice-interaction`` with its own response declaration named after the gap;
  ``per_gap`` adds a mapping per gap.
- ``matching``: ``qti-match-interaction`` (two ``qti-simple-match-set``), directedPair
  correct response; ``per_pair`` adds a mapping.
- ``ordering``: ``qti-order-interaction``, ordered cardinality; all-or-nothing uses the
  ``match_correct`` template, ``partial`` its own processing (the importer reads any
  non-template processing as partial; the bank's partial rule has no QTI expression).
- ``true_false_group``: ``qti-match-interaction`` (shuffle false, max-associations n) whose
  first ``qti-simple-match-set`` holds the statements (match-max 1) and whose second holds
  the two choices ``true`` ("Đúng") and ``false`` ("Sai") (match-max n); directedPair
  correct response ``"<statement> true|false"`` per statement and a ``qti-mapping`` giving
  1 per correct pair (default 0). The processing counts: ``NUM_CORRECT`` =
  ``qti-map-response``; then one ``qti-response-condition`` per count k (``qti-equal``
  NUM_CORRECT k -> SCORE = scale[k] x points) for k = 1..n, and for 0 only when the scale
  names 0 (else 0 correct keeps SCORE's default 0). A null scale (4 statements) is written
  as the national 0.1/0.25/0.5/1. The importer reads the counts back as the scale (the
  national one, for 4 statements and no count 0, as null); fractions come back in plain
  form ("0.50" -> "0.5"); a 0-point item has no scale to read back. A statement id
  ``true`` or ``false`` (any case) raises ``ValueError`` (it would clash with the choices).

Points are SCORE's normal maximum and MAXSCORE's default value; the item's title and
``metadata["language"]`` (``xml:lang``) are kept. Not written (no place in QTI the importer
reads): category, feedback, warnings and other metadata; an essay's rubric and
``max_words``; short numeric ``boxes`` (written only as ``expected-length``, read back as
null); ``ignore_diacritics`` of a text entry (read back as false). A text entry with
``match: pattern`` raises ``ValueError`` (its pattern would be read back as a literal answer).

Media: a package writes every file of an item's ``metadata["files"]`` (``{name: bytes}``,
what every importer produces) to ``items/media/<identifier>/<name>`` (the name made safe
and unique by ``itembank.interchange.media.safe_name``), lists it as a ``file`` of the
item's resource in the manifest, and rewrites the item's ``media:NAME`` sources (``src``,
``href``, ``data``) to the relative path ``media/<identifier>/<name>``; the importer reads
them back into ``metadata["files"]`` with ``media:NAME`` sources. A lone item document
(``item_to_qti3`` without ``media``) has nowhere to put bytes: its ``media:NAME`` sources
are written as they are (and a reader drops them). Other image sources are written as they
are. A file no written element refers to (audio: the bank's HTML keeps no audio element
yet; an image used only in feedback, which is not written) is still in the package, but a
re-import reads only the files its items refer to.

Stems and texts are the sanitiser's HTML (``itembank.richtext``), which is not XML
(``<br>``), so they are read with ``html.parser`` into elements (HTML in the QTI namespace,
MathML in the MathML namespace) and written by a small serialiser that escapes every text
and attribute and drops characters XML 1.0 forbids. Identifiers (item, choice, gap) are
written as they are, also when they are not NCNames (``"1"``): renaming them would change
the keys.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from itembank.interchange.base import CannotHold, ImportedItem
from itembank.interchange.media import safe_name
from scoring.item_rules import DEFAULT_TRUE_FALSE_SCALE

QTI3_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
IMSCP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
XML_NS = "http://www.w3.org/XML/1998/namespace"
ITEM_RESOURCE_TYPE = "imsqti_item_xmlv3p0"
TEST_RESOURCE_TYPE = "imsqti_test_xmlv3p0"
MATCH_CORRECT = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"
TEXT_BLANK = "______"  # what the importer puts where a text entry was
COUNT_OUTCOME = "NUM_CORRECT"  # a true/false group's number of correct statements
TRUE_FALSE_CHOICES = ({"id": "true", "text": "Đúng"}, {"id": "false", "text": "Sai"})

_VOID = {"br", "img", "hr", "wbr", "col", "area", "input", "source", "track", "embed", "meta", "link", "param"}
_BAD_XML_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_GAP = re.compile(r"\{\{([^{}]+)\}\}")
_BLANK = re.compile(re.escape(TEXT_BLANK))
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_MEDIA_ATTRS = ("src", "href", "data")


# --- a minimal element tree ---------------------------------------------------------------


class _El:
    """An element: (namespace, name), attributes, text and children (strings or elements)."""

    __slots__ = ("attrs", "children", "name", "ns")

    def __init__(self, name: str, attrs: dict[str, str] | None = None, *, ns: str = QTI3_NS) -> None:
        self.ns = ns
        self.name = name
        self.attrs: dict[str, str] = dict(attrs or {})
        self.children: list[_El | str] = []

    def add(self, child: _El | str | None) -> _El | str | None:
        if child is not None and child != "":
            self.children.append(child)
        return child

    def sub(self, name: str, attrs: dict[str, str] | None = None, *, text: str | None = None) -> _El:
        child = _El(name, attrs)
        if text is not None:
            child.add(text)
        self.children.append(child)
        return child

    def iter(self) -> Iterator[_El]:
        yield self
        for child in self.children:
            if isinstance(child, _El):
                yield from child.iter()


def _clean(text: str) -> str:
    return _BAD_XML_CHARS.sub("", text)


def _escape_text(text: str) -> str:
    return _clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attr(text: str) -> str:
    text = _escape_text(text).replace('"', "&quot;")
    return text.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")


def _write(elem: _El, out: list[str], parent_ns: str | None, indent: str | None) -> None:
    """Serialise ``elem``; ``indent`` (None: none) only where no child is text."""
    out.append(f"<{elem.name}")
    if elem.ns != parent_ns:
        out.append(f' xmlns="{elem.ns}"')
    for name, value in elem.attrs.items():
        out.append(f' {name}="{_escape_attr(value)}"')
    if not elem.children:
        out.append("/>")
        return
    out.append(">")
    mixed = indent is None or any(isinstance(c, str) for c in elem.children) or elem.name == "qti-item-body"
    inner = None if mixed else indent + "  "
    for child in elem.children:
        if isinstance(child, str):
            out.append(_escape_text(child))
        else:
            if inner is not None:
                out.append("\n" + inner)
            _write(child, out, elem.ns, inner)
    if inner is not None:
        out.append("\n" + (indent or ""))
    out.append(f"</{elem.name}>")


def _document(root: _El) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    _write(root, out, None, "")
    out.append("\n")
    return "".join(out).encode("utf-8")


# --- HTML fragments ----------------------------------------------------------------------


class _FragmentParser(HTMLParser):
    """Build elements from an HTML fragment: HTML in the QTI namespace, MathML in its own."""

    def __init__(self, holder: _El) -> None:
        super().__init__(convert_charrefs=True)
        self.stack = [holder]

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> _El:
        in_math = tag == "math" or self.stack[-1].ns == MATHML_NS
        elem = _El(tag, ns=MATHML_NS if in_math else QTI3_NS)
        for name, value in attrs:
            if name == "xmlns" or name.startswith("xmlns:") or not re.fullmatch(r"[A-Za-z_][\w.-]*", name):
                continue
            if name == "lang" and not in_math:
                name = "xml:lang"
            elem.attrs[name] = value if value is not None else ""
        self.stack[-1].add(elem)
        return elem

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        elem = self._element(tag, attrs)
        if not (tag in _VOID and elem.ns == QTI3_NS):
            self.stack.append(elem)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].name == tag:
                del self.stack[depth:]
                return  # an end tag without a start tag is ignored

    def handle_data(self, data: str) -> None:
        parent = self.stack[-1]
        if parent.children and isinstance(parent.children[-1], str):
            parent.children[-1] += data
        else:
            parent.add(data)


def _fragment(html: str, holder: _El) -> _El:
    """Parse ``html`` into ``holder`` (appended to its children); return ``holder``."""
    parser = _FragmentParser(holder)
    parser.feed(html or "")
    parser.close()
    return holder


def _substitute(holder: _El, pattern: re.Pattern[str], make: Callable[[re.Match[str]], _El | None]) -> None:
    """Replace matches of ``pattern`` in the texts of ``holder`` (outside MathML) by the
    element ``make`` returns (None: leave the text)."""
    for elem in list(holder.iter()):
        if elem.ns != QTI3_NS:
            continue
        children: list[_El | str] = []
        for child in elem.children:
            if not isinstance(child, str):
                children.append(child)
                continue
            last = 0
            for match in pattern.finditer(child):
                replacement = make(match)
                if replacement is None:
                    continue
                if match.start() > last:
                    children.append(child[last : match.start()])
                children.append(replacement)
                last = match.end()
            if last < len(child):
                children.append(child[last:])
        elem.children = children


# --- helpers -----------------------------------------------------------------------------


def _num(value: Any) -> str:
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return f"{number.quantize(Decimal(1)):f}"
    return f"{number.normalize():f}"


def _share(points: Decimal, count: int) -> Decimal:
    return (points / count).quantize(Decimal("0.000001")) if count else Decimal(0)


def _declaration(
    identifier: str,
    cardinality: str,
    base_type: str,
    correct: Sequence[str] = (),
    mapping: Sequence[tuple[str, Decimal]] = (),
    *,
    lower: Decimal | None = None,
    upper: Decimal | None = None,
    case_sensitive: bool = True,
) -> _El:
    decl = _El(
        "qti-response-declaration",
        {"identifier": identifier, "cardinality": cardinality, "base-type": base_type},
    )
    if correct:
        holder = decl.sub("qti-correct-response")
        for value in correct:
            holder.sub("qti-value", text=value)
    if mapping:
        attrs = {"default-value": "0"}
        if lower is not None:
            attrs["lower-bound"] = _num(lower)
        if upper is not None:
            attrs["upper-bound"] = _num(upper)
        map_elem = decl.sub("qti-mapping", attrs)
        for key, value in mapping:
            entry = {"map-key": key, "mapped-value": _num(value)}
            if base_type == "string":
                entry["case-sensitive"] = "true" if case_sensitive else "false"
            map_elem.sub("qti-map-entry", entry)
    return decl


def _outcomes(points: Decimal, *, human: bool = False) -> list[_El]:
    score_attrs = {"identifier": "SCORE", "cardinality": "single", "base-type": "float"}
    if human:
        score_attrs["external-scored"] = "human"
    score_attrs["normal-maximum"] = _num(points)
    score = _El("qti-outcome-declaration", score_attrs)
    score.sub("qti-default-value").sub("qti-value", text="0")
    maximum = _El("qti-outcome-declaration", {"identifier": "MAXSCORE", "cardinality": "single", "base-type": "float"})
    maximum.sub("qti-default-value").sub("qti-value", text=_num(points))
    return [score, maximum]


def _variable(identifier: str) -> _El:
    return _El("qti-variable", {"identifier": identifier})


def _match_correct(identifier: str) -> _El:
    match = _El("qti-match")
    match.add(_variable(identifier))
    match.add(_El("qti-correct", {"identifier": identifier}))
    return match


def _set_score(expression: _El) -> _El:
    setter = _El("qti-set-outcome-value", {"identifier": "SCORE"})
    setter.add(expression)
    return setter


def _base_float(value: Decimal) -> _El:
    base = _El("qti-base-value", {"base-type": "float"})
    base.add(_num(value))
    return base


def _processing_if(condition: _El, points: Decimal) -> _El:
    """SCORE = points if ``condition`` holds (SCORE's default is 0)."""
    processing = _El("qti-response-processing")
    branch = processing.sub("qti-response-condition").sub("qti-response-if")
    branch.add(condition)
    branch.add(_set_score(_base_float(points)))
    return processing


def _processing_mapped(identifiers: Sequence[str]) -> _El:
    """SCORE = the sum of the mapped responses."""
    processing = _El("qti-response-processing")
    maps = [_El("qti-map-response", {"identifier": i}) for i in identifiers]
    if len(maps) == 1:
        processing.add(_set_score(maps[0]))
    else:
        total = _El("qti-sum")
        for item in maps:
            total.add(item)
        processing.add(_set_score(total))
    return processing


def _choices(parent: _El, tag: str, options: Sequence[dict[str, Any]], extra: dict[str, str] | None = None) -> None:
    for option in options:
        pinned = {"fixed": "true"} if option.get("pinned") else {}
        choice = parent.sub(tag, {"identifier": str(option["id"]), **pinned, **(extra or {})})
        _fragment(str(option.get("text") or ""), choice)


def _bool(value: Any) -> str:
    return "true" if value else "false"


def _stem(content: dict[str, Any], body: _El) -> _El:
    return _fragment(str(content.get("stem") or ""), body)


def _place_inline(body: _El, interaction: _El) -> None:
    """Put ``interaction`` where the stem has its blank, else in a paragraph after it."""
    placed = False

    def make(_match: re.Match[str]) -> _El | None:
        nonlocal placed
        if placed:
            return None
        placed = True
        return interaction

    _substitute(body, _BLANK, make)
    if not placed:
        body.sub("p").add(interaction)


# --- the types ---------------------------------------------------------------------------

_Parts = tuple[list[_El], _El, _El | None, dict[str, Any]]  # declarations, body, processing, options


def _single_choice(item: ImportedItem, body: _El, points: Decimal) -> _Parts:
    content = item.content
    interaction = body.sub(
        "qti-choice-interaction",
        {"response-identifier": "RESPONSE", "shuffle": _bool(item.metadata.get("shuffle")), "max-choices": "1"},
    )
    _choices(interaction, "qti-simple-choice", content["options"])
    decl = _declaration("RESPONSE", "single", "identifier", [str(content["key"])])
    return [decl], body, _processing_if(_match_correct("RESPONSE"), points), {}


def _multiple_response(item: ImportedItem, body: _El, points: Decimal) -> _Parts:
    content = item.content
    keys = [str(k) for k in content["keys"]]
    interaction = body.sub(
        "qti-choice-interaction",
        {"response-identifier": "RESPONSE", "shuffle": _bool(item.metadata.get("shuffle")), "max-choices": "0"},
    )
    _choices(interaction, "qti-simple-choice", content["options"])
    if content.get("scoring", "all_or_nothing") == "partial":
        share = _share(points, len(keys))
        mapping = [(str(o["id"]), share if str(o["id"]) in keys else -share) for o in content["options"]]
        decl = _declaration("RESPONSE", "multiple", "identifier", keys, mapping, lower=Decimal(0), upper=points)
        return [decl], body, _processing_mapped(["RESPONSE"]), {}
    decl = _declaration("RESPONSE", "multiple", "identifier", keys)
    return [decl], body, _processing_if(_match_correct("RESPONSE"), points), {}


def _true_false_scale(scale: Any, count: int) -> dict[int, Decimal]:
    """``{correct count: fraction}`` to write: the item's scale, or the national one (count 0
    left out, SCORE's default 0 gives it)."""
    if scale is None:
        if count != len(DEFAULT_TRUE_FALSE_SCALE) - 1:
            raise ValueError(f"a true/false group of {count} statements needs a scale: the national scale is for 4")
        return {k: v for k, v in DEFAULT_TRUE_FALSE_SCALE.items() if k}
    if not isinstance(scale, Mapping):
        raise ValueError("the true/false scale must map a number correct to a fraction of the points")
    return {int(str(k)): Decimal(str(v)) for k, v in scale.items()}


def _true_false_group(item: ImportedItem, body: _El, points: Decimal) -> _Parts:
    content = item.content
    statements = content["statements"]
    keys = content["keys"]
    count = len(statements)
    truths: list[tuple[str, bool]] = []
    for statement in statements:
        statement_id = str(statement["id"])
        if statement_id.lower() in {c["id"] for c in TRUE_FALSE_CHOICES}:
            raise ValueError(f"the statement id {statement_id!r} clashes with the true/false choices of QTI")
        truth = keys.get(statement_id)
        if not isinstance(truth, bool):
            raise ValueError(f"the statement {statement_id!r} has no true/false key")
        truths.append((statement_id, truth))
    scale = _true_false_scale(content.get("scale"), count)

    interaction = body.sub(
        "qti-match-interaction",
        {"response-identifier": "RESPONSE", "shuffle": "false", "max-associations": str(count)},
    )
    _choices(interaction.sub("qti-simple-match-set"), "qti-simple-associable-choice", statements, {"match-max": "1"})
    _choices(
        interaction.sub("qti-simple-match-set"),
        "qti-simple-associable-choice",
        TRUE_FALSE_CHOICES,
        {"match-max": str(count)},
    )
    pairs = [f"{statement_id} {_bool(truth)}" for statement_id, truth in truths]
    decl = _declaration("RESPONSE", "multiple", "directedPair", pairs, [(p, Decimal(1)) for p in pairs])

    processing = _El("qti-response-processing")
    counted = processing.sub("qti-set-outcome-value", {"identifier": COUNT_OUTCOME})
    counted.add(_El("qti-map-response", {"identifier": "RESPONSE"}))
    for correct, fraction in sorted(scale.items()):
        branch = processing.sub("qti-response-condition").sub("qti-response-if")
        equal = branch.sub("qti-equal", {"tolerance-mode": "exact"})
        equal.add(_variable(COUNT_OUTCOME))
        equal.sub("qti-base-value", {"base-type": "integer"}, text=str(correct))
        branch.add(_set_score(_base_float(fraction * points)))
    outcome = _El(
        "qti-outcome-declaration", {"identifier": COUNT_OUTCOME, "cardinality": "single", "base-type": "float"}
    )
    outcome.sub("qti-default-value").sub("qti-value", text="0")
    return [decl], body, processing, {"outcomes": [outcome]}


def _text_entry(item: ImportedItem, body: _El, points: Decimal) -> _Parts:
    content = item.content
    match = content.get("match", "exact")
    if match == "pattern":
        raise CannotHold(
            item,
            format="qti3",
            kind="pattern",
            reason="a text entry matched by a pattern cannot be exported to QTI 3.0 yet",
        )
    answers = [str(a) for a in content["answers"]]
    attrs = {"response-identifier": "RESPONSE"}
    if item.metadata.get("expected_length"):
        attrs["expected-length"] = str(item.metadata["expected_length"])
    _place_inline(body, _El("qti-text-entry-interaction", attrs))
    mapping = [(a, points) for a in dict.fromkeys(answers)]
    decl = _declaration(
        "RESPONSE", "single", "string", answers[:1], mapping, upper=points, case_sensitive=match != "normalised"
    )
    return [decl], body, _processing_mapped(["RESPONSE"]), {}


def _short_numeric(item: ImportedItem, body: _El, points: Decimal) -> _Parts:
    content = item.content
    attrs = {"response-identifier": "RESPONSE"}
    length = item.metadata.get("expected_length") or content.get("boxes")
    if length:
        attrs["expected-length"] = str(length)
    _place_inline(body, _El("qti-text-entry-interaction", attrs))
    answer = Decimal(str(content["answer"]))
    tolerance = abs(Decimal(str(content.get("tolerance") or 0)))
    equal = _El("qti-equal", {"tolerance-mode": "exact"})
    if tolerance:
        equal.attrs = {"tolerance-mode": "absolute", "tolerance": _num(tolerance)}
    equal.add(_variable("RESPONSE"))
    equal.add(_El("qti-correct", {"identifier": "RESPONSE"}))
    decl = _declaration("RESPONSE", "single", "float", [f"{answer:f}"])
    return [decl], body, _processing_if(equal, points), {}


def _essay(item: ImportedItem, body: _El, points: Decimal) -> _Parts:
    attrs = {"response-identifier": "RESPONSE"}
    for key, attr in (("expected_length", "expected-length"), ("expected_lines", "expected-lines")):
        if item.metadata.get(key):
            attrs[attr] = str(item.metadata[key])
    body.sub("qti-extended-text-interaction", attrs)
    return [_declaration("RESPONSE", "single", "string")], body, None, {"human": True}


def _inline_choice(item: ImportedItem, body: _El, points: Decimal) -> _Parts:
    content = item.content
    gaps = {str(g["id"]): g for g in content["gaps"]}
    keys = {str(k): str(v) for k, v in content["keys"].items()}
    placed: set[str] = set()

    def interaction(gap_id: str) -> _El:
        elem = _El("qti-inline-choice-interaction", {"response-identifier": gap_id, "shuffle": "false"})
        _choices(elem, "qti-inline-choice", gaps[gap_id]["options"])
        placed.add(gap_id)
        return elem

    def make(match: re.Match[str]) -> _El | None:
        gap_id = match.group(1)
        return interaction(gap_id) if gap_id in gaps and gap_id not in placed else None

    _substitute(body, _GAP, make)
    missing = [g for g in gaps if g not in placed]
    if missing:
        paragraph = body.sub("p")
        for gap_id in missing:
            paragraph.add(interaction(gap_id))
    per_gap = content.get("scoring", "all_or_nothing") == "per_gap"
    share = _share(points, len(gaps))
    decls = [
        _declaration(gap_id, "single", "identifier", [keys[gap_id]], [(keys[gap_id], share)] if per_gap else ())
        for gap_id in gaps
    ]
    if per_gap:
        return decls, body, _processing_mapped(list(gaps)), {}
    condition = _El("qti-and")
    for gap_id in gaps:
        condition.add(_match_correct(gap_id))
    return decls, body, _processing_if(condition if len(gaps) > 1 else _match_correct(next(iter(gaps))), points), {}


def _matching(item: ImportedItem, body: _El, points: Decimal) -> _Parts:
    content = item.content
    premises, responses = content["premises"], content["responses"]
    interaction = body.sub(
        "qti-match-interaction",
        {
            "response-identifier": "RESPONSE",
            "shuffle": _bool(item.metadata.get("shuffle")),
            "max-associations": str(len(premises)),
        },
    )
    _choices(interaction.sub("qti-simple-match-set"), "qti-simple-associable-choice", premises, {"match-max": "1"})
    _choices(
        interaction.sub("qti-simple-match-set"),
        "qti-simple-associable-choice",
        responses,
        {"match-max": str(len(premises))},
    )
    pairs = [f"{p} {r}" for p, r in content["pairs"].items()]
    if content.get("scoring", "all_or_nothing") == "per_pair":
        share = _share(points, len(pairs))
        decl = _declaration(
            "RESPONSE", "multiple", "directedPair", pairs, [(p, share) for p in pairs], lower=Decimal(0), upper=points
        )
        return [decl], body, _processing_mapped(["RESPONSE"]), {}
    decl = _declaration("RESPONSE", "multiple", "directedPair", pairs)
    return [decl], body, _processing_if(_match_correct("RESPONSE"), points), {}


def _ordering(item: ImportedItem, body: _El, points: Decimal) -> _Parts:
    content = item.content
    interaction = body.sub(
        "qti-order-interaction", {"response-identifier": "RESPONSE", "shuffle": _bool(item.metadata.get("shuffle"))}
    )
    _choices(interaction, "qti-simple-choice", content["elements"])
    decl = _declaration("RESPONSE", "ordered", "identifier", [str(i) for i in content["order"]])
    if content.get("scoring", "all_or_nothing") == "partial":
        # No QTI expression of the bank's partial rule: full points for the right order
        # here; the importer reads any non-template processing as "partial".
        return [decl], body, _processing_if(_match_correct("RESPONSE"), points), {}
    return [decl], body, _El("qti-response-processing", {"template": MATCH_CORRECT}), {}


_WRITERS: dict[str, Callable[[ImportedItem, _El, Decimal], _Parts]] = {
    "single_choice": _single_choice,
    "multiple_response": _multiple_response,
    "true_false_group": _true_false_group,
    "text_entry": _text_entry,
    "short_numeric": _short_numeric,
    "essay": _essay,
    "inline_choice": _inline_choice,
    "matching": _matching,
    "ordering": _ordering,
}


# --- entry points ------------------------------------------------------------------------


def item_to_qti3(item: ImportedItem, *, identifier: str, media: Mapping[str, str] | None = None) -> bytes:
    """One item as a QTI 3.0 ``qti-assessment-item`` document (UTF-8).

    ``media`` maps a file name of ``metadata["files"]`` to the path, relative to the item
    document, where the file is written: its ``media:NAME`` sources are rewritten to it.
    Raises ``ValueError`` for a type or setting QTI 3.0 (as read back by our importer)
    cannot express: a text entry matched by a pattern, a true/false group whose statement
    is named ``true``/``false`` or that has no scale.
    """
    writer = _WRITERS.get(item.item_type)
    if writer is None:
        raise CannotHold(item, format="qti3", kind="type", reason=f"{item.item_type} cannot be exported to QTI 3.0")
    if not identifier or not identifier.strip():
        raise ValueError("an item needs a non-empty identifier")
    points = Decimal(str(item.points))
    body = _stem(item.content, _El("qti-item-body"))
    declarations, body, processing, options = writer(item, body, points)

    attrs = {
        "identifier": identifier,
        "title": item.title or identifier,
        "adaptive": "false",
        "time-dependent": "false",
    }
    if item.metadata.get("language"):
        attrs["xml:lang"] = str(item.metadata["language"])
    root = _El("qti-assessment-item", attrs)
    for decl in declarations:
        root.add(decl)
    for outcome in [*_outcomes(points, human=bool(options.get("human"))), *options.get("outcomes", ())]:
        root.add(outcome)
    root.add(body)
    if processing is not None:
        root.add(processing)
    if media:
        for elem in root.iter():
            for attr in _MEDIA_ATTRS:
                value = elem.attrs.get(attr, "")
                if value.startswith("media:") and value[len("media:") :] in media:
                    elem.attrs[attr] = media[value[len("media:") :]]
    return _document(root)


def _media_members(item: ImportedItem, identifier: str) -> dict[str, tuple[str, bytes]]:
    """``{name: (member path, bytes)}`` for the item's ``metadata["files"]``."""
    files = item.metadata.get("files") or {}
    if not isinstance(files, Mapping):
        raise ValueError(f"item {identifier}: metadata['files'] is not a mapping of names to bytes")
    members: dict[str, tuple[str, bytes]] = {}
    taken: set[str] = set()
    for name, data in files.items():
        if not isinstance(name, str) or not name or "/" in name or "\\" in name or name in {".", ".."}:
            raise ValueError(f"item {identifier}: a media file has an unusable name {name!r}")
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ValueError(f"item {identifier}: the media file {name!r} is not bytes")
        member = safe_name(name, taken)
        taken.add(member)
        members[name] = (f"items/media/{identifier}/{member}", bytes(data))
    return members


def _package_identifiers(items: Sequence[ImportedItem]) -> list[str]:
    """The items' own identifiers where usable and unique, else ``item-N``."""
    used: set[str] = set()
    result = []
    for index, item in enumerate(items, start=1):
        own = str(item.metadata.get("identifier") or "")
        name = own if _NCNAME.match(own) and own.lower() not in used else f"item-{index:04d}"
        while name.lower() in used:
            name += "_"
        used.add(name.lower())
        result.append(name)
    return result


def items_to_qti3_package(items: Sequence[ImportedItem], *, title: str = "Exported items") -> bytes:
    """A QTI 3.0 content package (zip) of ``items`` in order: ``imsmanifest.xml``,
    ``items/<identifier>.xml``, their media under ``items/media/<identifier>/`` and
    ``assessment.xml`` (a test listing them)."""
    identifiers = _package_identifiers(items)
    media = [_media_members(item, i) for item, i in zip(items, identifiers, strict=True)]
    documents = [
        item_to_qti3(item, identifier=i, media={name: path[len("items/") :] for name, (path, _) in files.items()})
        for item, i, files in zip(items, identifiers, media, strict=True)
    ]
    hrefs = [f"items/{i}.xml" for i in identifiers]

    test = _El("qti-assessment-test", {"identifier": "assessment", "title": title})
    part = test.sub(
        "qti-test-part", {"identifier": "part-1", "navigation-mode": "linear", "submission-mode": "individual"}
    )
    section = part.sub("qti-assessment-section", {"identifier": "section-1", "title": title, "visible": "true"})
    for identifier, href in zip(identifiers, hrefs, strict=True):
        section.sub("qti-assessment-item-ref", {"identifier": identifier, "href": href})

    manifest = _El("manifest", {"identifier": "manifest-1"}, ns=IMSCP_NS)
    metadata = _El("metadata", ns=IMSCP_NS)
    metadata.add(_text_el("schema", "QTI Package"))
    metadata.add(_text_el("schemaversion", "3.0.0"))
    manifest.add(metadata)
    manifest.add(_El("organizations", ns=IMSCP_NS))
    resources = _El("resources", ns=IMSCP_NS)
    manifest.add(resources)
    for identifier, href, files in zip(identifiers, hrefs, media, strict=True):
        resource = _El("resource", {"identifier": identifier, "type": ITEM_RESOURCE_TYPE, "href": href}, ns=IMSCP_NS)
        resource.add(_El("file", {"href": href}, ns=IMSCP_NS))
        for path, _ in files.values():
            resource.add(_El("file", {"href": path}, ns=IMSCP_NS))
        resources.add(resource)
    test_resource = _El(
        "resource", {"identifier": "assessment", "type": TEST_RESOURCE_TYPE, "href": "assessment.xml"}, ns=IMSCP_NS
    )
    test_resource.add(_El("file", {"href": "assessment.xml"}, ns=IMSCP_NS))
    for identifier in identifiers:
        test_resource.add(_El("dependency", {"identifierref": identifier}, ns=IMSCP_NS))
    resources.add(test_resource)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("imsmanifest.xml", _document(manifest))
        zf.writestr("assessment.xml", _document(test))
        for href, document, files in zip(hrefs, documents, media, strict=True):
            zf.writestr(href, document)
            for path, data in files.values():
                zf.writestr(path, data)
    return buffer.getvalue()


def _text_el(name: str, text: str) -> _El:
    elem = _El(name, ns=IMSCP_NS)
    elem.add(text)
    return elem
