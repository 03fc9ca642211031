"""Import of Moodle XML question files (``<quiz><question type="...">``).

``parse_moodle_xml`` reads the whole file with ``defusedxml`` (no DTD, no entities, no
external references), maps each Moodle question to the bank's content model
(docs/decisions/0003) and reports, for everything it cannot map, where and why. It never
raises for bad input and never returns half a file: a file that is not well-formed XML or
is refused for safety yields one issue and no items.

Mapping (Moodle type -> bank type):

- ``multichoice`` single -> ``single_choice``; multiple -> ``multiple_response``
- ``truefalse`` -> ``true_false_group`` with one statement
- ``shortanswer`` -> ``text_entry``; ``numerical`` -> ``short_numeric``
- ``matching`` -> ``matching``; ``ordering`` -> ``ordering``; ``essay`` -> ``essay``
- ``gapselect`` / ``ddwtos`` -> ``inline_choice``; ``cloze`` (multianswer) with only
  MULTICHOICE gaps -> ``inline_choice``
- ``description`` is skipped with a warning; ``category`` sets the category of the
  questions after it.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.parsers import expat

import defusedxml
import defusedxml.ElementTree as DET

from itembank.interchange.base import ImportedItem, ImportIssue, ParseResult, SourceLocation
from itembank.richtext import sanitize_html

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_EMBEDDED_FILE_BYTES = 5 * 1024 * 1024

# The grades Moodle offers for an answer, in percent (1/9, 1/8, ... 1/1 and their
# negatives). Moodle writes them rounded to 7 decimals of a fraction, e.g. 33.33333.
_GRADE_STEPS = (
    Decimal(0),
    Decimal(5),
    Decimal(10),
    Decimal(100) / 9,
    Decimal("12.5"),
    Decimal(100) / 7,
    Decimal(100) / 6,
    Decimal(20),
    Decimal(25),
    Decimal(30),
    Decimal(100) / 3,
    Decimal(40),
    Decimal(50),
    Decimal(60),
    Decimal(200) / 3,
    Decimal(70),
    Decimal(75),
    Decimal(80),
    Decimal(250) / 3,
    Decimal(90),
    Decimal(100),
)
_GRADE_TOLERANCE = Decimal("0.0001")

_PLUGINFILE = "@@PLUGINFILE@@/"
_GAPSELECT_MARKER = re.compile(r"\[\[(\d+)\]\]")
# {weight:TYPE:answers} with backslash escapes inside the answers; the answers part may
# be missing altogether (a broken sub-question).
_CLOZE_MARKER = re.compile(r"\{(\d*):([A-Za-z_]+)(?::((?:\\.|[^\\}])*))?\}", re.DOTALL)
_CLOZE_TYPES = {
    "MULTICHOICE": "MULTICHOICE",
    "MC": "MULTICHOICE",
    "MULTICHOICE_V": "MULTICHOICE",
    "MCV": "MULTICHOICE",
    "MULTICHOICE_H": "MULTICHOICE",
    "MCH": "MULTICHOICE",
    "MULTICHOICE_S": "MULTICHOICE",
    "MCS": "MULTICHOICE",
    "MULTICHOICE_VS": "MULTICHOICE",
    "MCVS": "MULTICHOICE",
    "MULTICHOICE_HS": "MULTICHOICE",
    "MCHS": "MULTICHOICE",
    "MULTIRESPONSE": "MULTIRESPONSE",
    "MR": "MULTIRESPONSE",
    "MULTIRESPONSE_H": "MULTIRESPONSE",
    "MRH": "MULTIRESPONSE",
    "MULTIRESPONSE_S": "MULTIRESPONSE",
    "MRS": "MULTIRESPONSE",
    "MULTIRESPONSE_HS": "MULTIRESPONSE",
    "MRHS": "MULTIRESPONSE",
    "SHORTANSWER": "SHORTANSWER",
    "SA": "SHORTANSWER",
    "MW": "SHORTANSWER",
    "SHORTANSWER_C": "SHORTANSWER",
    "SAC": "SHORTANSWER",
    "MWC": "SHORTANSWER",
    "NUMERICAL": "NUMERICAL",
    "NM": "NUMERICAL",
}


class _Invalid(Exception):
    """A question that cannot be imported; the message says why."""


@dataclass
class _Context:
    filename: str
    category: tuple[str, ...] = ()
    items: list[ImportedItem] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)


@dataclass
class _Question:
    """What one ``<question>`` element gives besides its type's content."""

    elem: ET.Element
    name: str
    source: SourceLocation
    warnings: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)


def parse_moodle_xml(data: bytes, *, filename: str) -> ParseResult:
    """Read a Moodle XML file into items and a report; never raises for bad input."""
    whole = SourceLocation(file=filename)
    if len(data) > MAX_FILE_BYTES:
        return _refuse(whole, f"file too large: {len(data)} bytes (at most {MAX_FILE_BYTES})")
    try:
        root = DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden:
        return _refuse(whole, "refused: the file has a DOCTYPE declaration (DTDs are not allowed)")
    except defusedxml.EntitiesForbidden as exc:
        return _refuse(_at(filename, exc), f"refused: the file declares the entity {exc.name!r}")
    except defusedxml.ExternalReferenceForbidden:
        return _refuse(whole, "refused: the file refers to an external resource")
    except defusedxml.DefusedXmlException as exc:
        return _refuse(whole, f"refused: unsafe XML ({type(exc).__name__})")
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        where = SourceLocation(file=filename, line=line)
        return _refuse(where, f"not well-formed XML at line {line}, column {column}: {_expat_reason(exc)}")
    except (ValueError, UnicodeError) as exc:  # e.g. an encoding expat does not know
        return _refuse(whole, f"cannot read the file as XML: {exc}")

    if root.tag != "quiz":
        return _refuse(
            SourceLocation(file=filename, line=1, element=root.tag),
            f"not a Moodle XML file: the root element is <{root.tag}>, expected <quiz>",
        )

    lines = _question_lines(data)
    questions = root.findall("question")
    if len(lines) != len(questions):  # cannot happen for a file expat accepted; be safe
        lines = [None] * len(questions)

    ctx = _Context(filename=filename)
    for elem, line in zip(questions, lines, strict=True):
        _read_question(ctx, elem, line)
    if not questions:
        ctx.issues.append(ImportIssue(whole, "the file holds no <question> elements", "warning"))
    return ParseResult(items=tuple(ctx.items), issues=tuple(ctx.issues))


# --- file level -------------------------------------------------------------------------


def _refuse(where: SourceLocation, message: str) -> ParseResult:
    return ParseResult(items=(), issues=(ImportIssue(where, message),))


def _at(filename: str, exc: Exception) -> SourceLocation:
    return SourceLocation(file=filename, element=getattr(exc, "name", None))


def _expat_reason(exc: ET.ParseError) -> str:
    code = getattr(exc, "code", None)
    if code:
        return expat.ErrorString(code)
    return str(exc)


def _question_lines(data: bytes) -> list[int | None]:
    """The line of every ``<question>`` directly under the root, in document order.

    ElementTree keeps no line numbers, so a second pass with expat records them. It only
    runs after defusedxml accepted the file (no DTD, hence no entities)."""
    parser = expat.ParserCreate()
    depth = 0
    lines: list[int | None] = []

    def start(name: str, _attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth == 2 and name == "question":
            lines.append(parser.CurrentLineNumber)

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.Parse(data, True)
    return lines


# --- one question -----------------------------------------------------------------------


def _read_question(ctx: _Context, elem: ET.Element, line: int | None) -> None:
    qtype = (elem.get("type") or "").strip()
    name = _plain(elem.find("name"))
    source = SourceLocation(file=ctx.filename, line=line, element=name or f"question type={qtype!r}")

    if qtype == "category":
        path = _plain(elem.find("category"))
        ctx.category = _category_path(path)
        return
    if qtype == "description":
        ctx.issues.append(ImportIssue(source, "description (text without an answer) skipped", "warning"))
        return
    reader = _READERS.get(qtype)
    if reader is None:
        label = qtype or "(none)"
        ctx.issues.append(ImportIssue(source, f"question type {label!r} is not supported"))
        return

    q = _Question(elem=elem, name=name, source=source)
    try:
        item_type, content, feedback, extra_metadata = reader(q)
        general = _html_of(q, elem.find("generalfeedback"))
        if general:
            feedback = {"general": general, **feedback}
        points = _points(q, content)
        metadata = _metadata(q)  # last: it also collects the files of every text read
        metadata.update(extra_metadata)
        item = ImportedItem(
            item_type=item_type,
            content=content,
            source=source,
            title=name,
            points=points,
            category=ctx.category,
            metadata=metadata,
            feedback=feedback,
            warnings=tuple(q.warnings),
        )
    except _Invalid as exc:
        label = f'question "{name}"' if name else "question"
        ctx.issues.append(ImportIssue(source, f"{label}: {exc}"))
        return
    except Exception as exc:  # noqa: BLE001 - a report, never a crash, for any input
        ctx.issues.append(ImportIssue(source, f"could not read this question ({type(exc).__name__}: {exc})"))
        return
    ctx.items.append(item)


def _category_path(path: str) -> tuple[str, ...]:
    """``$course$/top/A//B/C`` -> ``("A/B", "C")``: Moodle writes a "/" inside a name as
    "//"; the context marker (``$course$``, ``$system$``, ...) and ``top`` are dropped."""
    parts = [part.replace("\0", "/").strip() for part in path.replace("//", "\0").split("/")]
    parts = [part for part in parts if part]
    if parts and parts[0].startswith("$") and parts[0].endswith("$"):
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return tuple(parts)


def _points(q: _Question, content: dict[str, Any]) -> Decimal:
    text = _plain(q.elem.find("defaultgrade"))
    if not text:
        weights = content.pop("_default_points", None)
        return Decimal(weights) if weights is not None else Decimal("1")
    content.pop("_default_points", None)
    value = _decimal(text, "defaultgrade")
    if value < 0:
        raise _Invalid(f"defaultgrade {text} is negative")
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral() else value


def _metadata(q: _Question) -> dict[str, Any]:
    meta: dict[str, Any] = {"moodle_type": q.elem.get("type")}
    idnumber = _plain(q.elem.find("idnumber"))
    if idnumber:
        meta["idnumber"] = idnumber
    tags = [_plain(tag) for tag in q.elem.findall("tags/tag")]
    if tags := [tag for tag in tags if tag]:
        meta["tags"] = tags
    hints = [h for h in (_html_of(q, hint) for hint in q.elem.findall("hint")) if h]
    if hints:
        meta["hints"] = hints
    penalty = _plain(q.elem.find("penalty"))
    if penalty:
        meta["penalty"] = penalty
    if q.files:
        meta["files"] = dict(q.files)
    return meta


def _combined_feedback(q: _Question) -> dict[str, str]:
    feedback = {}
    for tag, key in (
        ("correctfeedback", "correct"),
        ("partiallycorrectfeedback", "partially_correct"),
        ("incorrectfeedback", "incorrect"),
    ):
        text = _html_of(q, q.elem.find(tag))
        if text:
            feedback[key] = text
    return feedback


# --- text -------------------------------------------------------------------------------


def _plain(elem: ET.Element | None) -> str:
    """The text of ``elem/text`` (or of ``elem`` itself), stripped, as plain text."""
    if elem is None:
        return ""
    text_elem = elem.find("text")
    node = text_elem if text_elem is not None else elem
    return (node.text or "").strip()


def _html_of(q: _Question, elem: ET.Element | None, default_format: str = "html") -> str:
    """The text of a Moodle text element as a sanitised HTML fragment; embedded files are
    collected into ``q.files``."""
    if elem is None:
        return ""
    for file_elem in elem.findall("file"):
        _collect_file(q, file_elem)
    return _to_html(q, _raw_text(elem), elem.get("format") or default_format)


def _raw_text(elem: ET.Element) -> str:
    text_elem = elem.find("text")
    return ((text_elem.text if text_elem is not None else elem.text) or "").strip()


def _to_html(q: _Question, text: str, fmt: str) -> str:
    if not text:
        return ""
    if fmt == "html":
        return sanitize_html(text.replace(_PLUGINFILE, "media:")).strip()
    if fmt == "markdown":
        q.warnings.append("Markdown text imported as plain text")
    # plain_text, moodle_auto_format, markdown: the text is shown as it is.
    return html.escape(text).replace("\n", "<br>")


def _collect_file(q: _Question, elem: ET.Element) -> None:
    name = (elem.get("name") or "").strip()
    if not name or "/" in name or "\\" in name or name in {".", ".."}:
        raise _Invalid(f"embedded file has an unusable name {name!r}")
    encoding = elem.get("encoding") or "base64"
    if encoding != "base64":
        raise _Invalid(f"embedded file {name!r} has the unknown encoding {encoding!r}")
    payload = elem.text or ""
    if len(payload) // 4 * 3 > MAX_EMBEDDED_FILE_BYTES + 3 * 1024:  # cheap bound before decoding
        raise _Invalid(f"embedded file {name!r} is too large (at most {MAX_EMBEDDED_FILE_BYTES} bytes)")
    try:
        content = base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Invalid(f"embedded file {name!r} is not valid base64") from exc
    if len(content) > MAX_EMBEDDED_FILE_BYTES:
        raise _Invalid(f"embedded file {name!r} is too large: {len(content)} bytes (at most {MAX_EMBEDDED_FILE_BYTES})")
    q.files[name] = content


# --- numbers ----------------------------------------------------------------------------


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError) as exc:
        raise _Invalid(f"{what} {text!r} is not a number") from exc
    if not value.is_finite():
        raise _Invalid(f"{what} {text!r} is not a number")
    return value


def _fraction(text: str | None, where: str) -> Decimal:
    """An answer's grade in percent, checked against the grades Moodle offers."""
    value = _decimal(text or "0", f"{where}: grade")
    if not any(abs(abs(value) - step) <= _GRADE_TOLERANCE for step in _GRADE_STEPS):
        raise _Invalid(f"{where} has the grade {text}%, which is not one of Moodle's grades (e.g. 33.33333, 50, 100)")
    return value


def _is_full(value: Decimal) -> bool:
    return abs(value - 100) <= _GRADE_TOLERANCE


def _letters(n: int) -> list[str]:
    """A, B, ..., Z, AA, AB, ..."""
    ids = []
    for index in range(n):
        label = ""
        index += 1
        while index:
            index, rest = divmod(index - 1, 26)
            label = chr(65 + rest) + label
        ids.append(label)
    return ids


# --- the types --------------------------------------------------------------------------

_Read = tuple[str, dict[str, Any], dict[str, str], dict[str, Any]]


def _stem(q: _Question) -> str:
    return _html_of(q, q.elem.find("questiontext"))


def _answers(q: _Question) -> list[tuple[ET.Element, Decimal, str]]:
    """Each ``<answer>`` with its checked grade and its HTML text."""
    result = []
    for number, answer in enumerate(q.elem.findall("answer"), start=1):
        fraction = _fraction(answer.get("fraction"), f"answer {number}")
        result.append((answer, fraction, _html_of(q, answer, default_format="moodle_auto_format")))
    return result


def _answer_feedback(q: _Question, answer: ET.Element) -> str:
    return _html_of(q, answer.find("feedback"))


def _read_multichoice(q: _Question) -> _Read:
    stem = _stem(q)
    answers = _answers(q)
    if len(answers) < 2:
        raise _Invalid("a multiple-choice question needs at least two answers")
    ids = _letters(len(answers))
    options = [{"id": oid, "text": text} for oid, (_, _, text) in zip(ids, answers, strict=True)]
    feedback = _combined_feedback(q)
    for oid, (answer, _, _) in zip(ids, answers, strict=True):
        if text := _answer_feedback(q, answer):
            feedback[f"option:{oid}"] = text
    single = _plain(q.elem.find("single")).lower() in {"true", "1", ""}
    metadata = {"shuffle": _plain(q.elem.find("shuffleanswers")).lower() in {"true", "1"}}
    if single:
        full = [oid for oid, (_, fraction, _) in zip(ids, answers, strict=True) if _is_full(fraction)]
        if not full:
            raise _Invalid("no answer has the grade 100%, so there is no key")
        if len(full) > 1:
            raise _Invalid(f"answers {', '.join(full)} all have the grade 100%; a single-choice item has one key")
        partial = [
            f"{oid} ({fraction.normalize():f}%)"
            for oid, (_, fraction, _) in zip(ids, answers, strict=True)
            if fraction != 0 and not _is_full(fraction)
        ]
        if partial:
            q.warnings.append(f"partial or negative grades dropped: {', '.join(partial)}")
        content = {"stem": stem, "options": options, "key": full[0]}
        return "single_choice", content, feedback, metadata

    keys = [oid for oid, (_, fraction, _) in zip(ids, answers, strict=True) if fraction > 0]
    if not keys:
        raise _Invalid("no answer has a positive grade, so there is no key")
    positive = [fraction for _, fraction, _ in answers if fraction > 0]
    scoring = "all_or_nothing" if all(_is_full(f) for f in positive) else "partial"
    if abs(sum(positive) - 100) > Decimal("0.01"):
        q.warnings.append(f"the positive grades add up to {sum(positive).normalize():f}%, not 100%")
    if any(fraction < 0 for _, fraction, _ in answers):
        q.warnings.append("negative grades of wrong answers dropped; the bank's scoring rule applies")
    content = {"stem": stem, "options": options, "scoring": scoring, "keys": keys}
    return "multiple_response", content, feedback, metadata


def _read_truefalse(q: _Question) -> _Read:
    stem = _stem(q)
    key: bool | None = None
    feedback: dict[str, str] = {}
    for answer, fraction, _ in _answers(q):
        value = _raw_text(answer).lower()
        if value not in {"true", "false"}:
            raise _Invalid(f"a true/false answer must be 'true' or 'false', not {value!r}")
        if text := _answer_feedback(q, answer):
            feedback[value] = text
        if _is_full(fraction):
            if key is not None:
                raise _Invalid("both 'true' and 'false' have the grade 100%")
            key = value == "true"
    if key is None:
        raise _Invalid("neither 'true' nor 'false' has the grade 100%")
    content = {
        "stem": "",
        "statements": [{"id": "a", "text": stem}],
        "scale": {"1": "1"},
        "keys": {"a": key},
    }
    return "true_false_group", content, feedback, {}


def _read_shortanswer(q: _Question) -> _Read:
    stem = _stem(q)
    answers: list[str] = []
    dropped: list[str] = []
    feedback: dict[str, str] = {}
    for answer, fraction, _ in _answers(q):
        text = html.unescape(_raw_text(answer))
        if _is_full(fraction):
            if not text:
                raise _Invalid("an answer with the grade 100% is empty")
            # In Moodle an unescaped * is a wildcard and \* a literal asterisk.
            if re.search(r"(?<!\\)\*", text):
                q.warnings.append(f"the answer {text!r} uses Moodle's * wildcard; it is kept as literal text")
            text = text.replace("\\*", "*")
            answers.append(text)
            if fb := _answer_feedback(q, answer):
                feedback[f"answer:{text}"] = fb
        elif fraction > 0:
            dropped.append(f"{text!r} ({fraction.normalize():f}%)")
    if not answers:
        raise _Invalid("no answer has the grade 100%, so there is no key")
    if dropped:
        q.warnings.append(f"partial-credit answers dropped: {', '.join(dropped)}")
    exact = _plain(q.elem.find("usecase")) == "1"
    content = {
        "stem": stem,
        "match": "exact" if exact else "normalised",
        "ignore_diacritics": False,
        "answers": answers,
    }
    return "text_entry", content, feedback, {}


def _read_numerical(q: _Question) -> _Read:
    stem = _stem(q)
    full: list[tuple[Decimal, Decimal]] = []
    dropped = []
    for number, (answer, fraction, _) in enumerate(_answers(q), start=1):
        text = _raw_text(answer)
        if text == "*":  # Moodle's catch-all answer, for feedback only
            continue
        value = _decimal(text, f"answer {number}")
        tolerance = abs(_decimal(_plain(answer.find("tolerance")) or "0", f"answer {number}: tolerance"))
        if _is_full(fraction):
            full.append((value, tolerance))
        elif fraction > 0:
            dropped.append(f"{text} ({fraction.normalize():f}%)")
    if not full:
        raise _Invalid("no answer has the grade 100%, so there is no key")
    if len(full) > 1:
        q.warnings.append(f"{len(full)} answers have the grade 100%; only the first is kept")
    if dropped:
        q.warnings.append(f"partial-credit answers dropped: {', '.join(dropped)}")
    units = [_plain(unit.find("unit_name")) for unit in q.elem.findall("units/unit")]
    if units := [u for u in units if u]:
        q.warnings.append(f"units ignored: {', '.join(units)}")
    value, tolerance = full[0]
    content = {"stem": stem, "boxes": None, "answer": f"{value:f}", "tolerance": f"{tolerance:f}"}
    return "short_numeric", content, {}, {}


def _read_matching(q: _Question) -> _Read:
    stem = _stem(q)
    premises: list[dict[str, str]] = []
    responses: list[dict[str, str]] = []
    response_ids: dict[str, str] = {}
    pairs: dict[str, str] = {}
    subquestions = q.elem.findall("subquestion")
    answer_texts = [_plain(sub.find("answer")) for sub in subquestions]
    letters = iter(_letters(len(subquestions)))
    for sub, answer in zip(subquestions, answer_texts, strict=True):
        if not answer:
            raise _Invalid("a matching sub-question has no answer")
        if answer not in response_ids:
            response_ids[answer] = next(letters)
            responses.append({"id": response_ids[answer], "text": html.escape(answer)})
        text = _html_of(q, sub)
        if text:  # an empty premise only adds a distractor answer
            premise_id = str(len(premises) + 1)
            premises.append({"id": premise_id, "text": text})
            pairs[premise_id] = response_ids[answer]
    if len(premises) < 2:
        raise _Invalid("a matching question needs at least two sub-questions with text")
    content = {"stem": stem, "premises": premises, "responses": responses, "scoring": "per_pair", "pairs": pairs}
    metadata = {"shuffle": _plain(q.elem.find("shuffleanswers")).lower() in {"true", "1"}}
    return "matching", content, _combined_feedback(q), metadata


def _read_ordering(q: _Question) -> _Read:
    stem = _stem(q)
    answers = q.elem.findall("answer")
    if len(answers) < 2:
        raise _Invalid("an ordering question needs at least two elements")
    ids = _letters(len(answers))
    elements = []
    positions = []
    for number, (oid, answer) in enumerate(zip(ids, answers, strict=True), start=1):
        # In ordering questions the "fraction" is the element's place in the right order.
        positions.append((_decimal(answer.get("fraction") or str(number), f"element {number}: position"), number, oid))
        elements.append({"id": oid, "text": _html_of(q, answer, default_format="moodle_auto_format")})
    order = [oid for _, _, oid in sorted(positions)]
    gradingtype = _plain(q.elem.find("gradingtype")) or "ABSOLUTE_POSITION"
    selecttype = _plain(q.elem.find("selecttype")) or "ALL"
    if selecttype != "ALL":
        q.warnings.append(f"Moodle shows a subset of the elements ({selecttype}); all are imported")
    # The bank's partial rule is Moodle's LONGEST_ORDERED_SUBSET; other Moodle rules
    # (absolute position, contiguous runs, ...) are approximated by it.
    scoring = "all_or_nothing" if gradingtype == "ALL_OR_NOTHING" else "partial"
    if gradingtype not in {"ALL_OR_NOTHING", "LONGEST_ORDERED_SUBSET"}:
        q.warnings.append(f"Moodle grading {gradingtype} replaced by the longest-ordered-subset partial rule")
    content = {"stem": stem, "elements": elements, "scoring": scoring, "order": order}
    metadata = {"moodle_gradingtype": gradingtype}
    return "ordering", content, _combined_feedback(q), metadata


def _read_essay(q: _Question) -> _Read:
    stem = _stem(q)
    max_words_text = _plain(q.elem.find("maxwordlimit"))
    max_words = int(_decimal(max_words_text, "maxwordlimit")) if max_words_text else None
    metadata: dict[str, Any] = {}
    min_words = _plain(q.elem.find("minwordlimit"))
    if min_words:
        metadata["min_words"] = int(_decimal(min_words, "minwordlimit"))
    if template := _html_of(q, q.elem.find("responsetemplate")):
        metadata["response_template"] = template
    attachments = _plain(q.elem.find("attachments"))
    if attachments not in {"", "0"}:
        q.warnings.append("file attachments to the answer are not supported; ignored")
    feedback = {}
    if grader := _html_of(q, q.elem.find("graderinfo")):
        feedback["grader"] = grader
    content = {"stem": stem, "rubric": [], "max_words": max_words}
    return "essay", content, feedback, metadata


def _read_gapselect(q: _Question) -> _Read:
    """gapselect (and ddwtos): ``[[n]]`` in the text is a gap whose right choice is the
    n-th choice; the gap offers every choice of the same group."""
    choice_tag = "selectoption" if q.elem.get("type") == "gapselect" else "dragbox"
    if choice_tag == "dragbox":
        q.warnings.append("drag-and-drop words imported as drop-down gaps")
    choices = [
        (_html_of(q, c, default_format="moodle_auto_format"), _plain(c.find("group")) or "1")
        for c in q.elem.findall(choice_tag)
    ]
    groups: dict[str, list[int]] = {}
    for index, (_, group) in enumerate(choices):
        groups.setdefault(group, []).append(index)
    qtext = q.elem.find("questiontext")
    raw = _raw_text(qtext) if qtext is not None else ""
    gaps: list[dict[str, Any]] = []
    keys: dict[str, str] = {}

    def to_gap(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if not 1 <= number <= len(choices):
            raise _Invalid(f"the gap [[{number}]] refers to a choice that does not exist")
        members = groups[choices[number - 1][1]]
        ids = _letters(len(members))
        gap_id = str(len(gaps) + 1)
        gaps.append(
            {"id": gap_id, "options": [{"id": oid, "text": choices[i][0]} for oid, i in zip(ids, members, strict=True)]}
        )
        keys[gap_id] = ids[members.index(number - 1)]
        return "{{" + gap_id + "}}"

    # The Moodle number names the right choice, so the gaps are renumbered by position.
    converted = _GAPSELECT_MARKER.sub(to_gap, raw.replace("{{", "{ {"))
    if not gaps:
        raise _Invalid("the text has no [[n]] gaps")
    if qtext is not None:
        for file_elem in qtext.findall("file"):
            _collect_file(q, file_elem)
    stem = _to_html(q, converted, (qtext.get("format") if qtext is not None else None) or "html")
    content = {"stem": stem, "gaps": gaps, "scoring": "per_gap", "keys": keys}
    return "inline_choice", content, _combined_feedback(q), {}


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, current, index = [], [], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if char == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def _unescape_cloze(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _read_cloze(q: _Question) -> _Read:
    """Cloze (multianswer): ``{weight:TYPE:=right#feedback~wrong#feedback}`` gaps in the text.

    Only MULTICHOICE gaps map to the bank (``inline_choice``); other gap types are reported."""
    qtext = q.elem.find("questiontext")
    raw = _raw_text(qtext) if qtext is not None else ""
    markers = list(_CLOZE_MARKER.finditer(raw))
    if not markers:
        raise _Invalid("the cloze text has no sub-questions ({1:MULTICHOICE:...} etc.)")
    problems: list[str] = []
    unsupported: list[str] = []
    gaps: list[dict[str, Any]] = []
    keys: dict[str, str] = {}
    weights: list[int] = []
    for number, marker in enumerate(markers, start=1):
        weight_text, kind_text, body = marker.group(1), marker.group(2).upper(), marker.group(3)
        kind = _CLOZE_TYPES.get(kind_text)
        where = f"sub-question {number} ({kind_text})"
        if kind is None:
            problems.append(f"{where}: unknown cloze type")
            continue
        if kind != "MULTICHOICE" and kind not in unsupported:
            unsupported.append(kind)
        weights.append(int(weight_text) if weight_text else 1)
        answers = [] if not body else [a for a in _split_unescaped(body, "~") if a.strip()]
        if not answers:
            problems.append(f"{where} has no answers")
            continue
        parsed: list[tuple[Decimal, str]] = []
        for answer in answers:
            text = _split_unescaped(answer, "#")[0].strip()
            if text.startswith("="):
                fraction, text = Decimal(100), text[1:]
            elif match := re.match(r"%(-?[\d.]+)%", text):
                # Cloze weights are any percentage (e.g. %66%), not only Moodle's steps.
                label = f"{where}: answer {_unescape_cloze(text[match.end() :])!r}"
                try:
                    fraction = _decimal(match.group(1), f"{label}: grade")
                except _Invalid as exc:
                    problems.append(str(exc))
                    continue
                if not -100 <= fraction <= 100:
                    problems.append(f"{label} has the grade {match.group(1)}%, outside -100..100")
                    continue
                text = text[match.end() :]
            else:
                fraction = Decimal(0)
            parsed.append((fraction, _unescape_cloze(text).strip()))
        if kind == "NUMERICAL":
            for _, text in parsed:
                value = text.split(":", 1)[0].strip()
                if value != "*":
                    try:
                        _decimal(value, "")
                    except _Invalid:
                        problems.append(f"{where}: the answer {value!r} is not a number")
        if kind != "MULTICHOICE":
            continue
        if len(parsed) < 2:
            problems.append(f"{where} has only {len(parsed)} choice; at least two are needed")
            continue
        full = [index for index, (fraction, _) in enumerate(parsed) if _is_full(fraction)]
        if len(full) != 1:
            problems.append(
                f"{where} has {'no' if not full else len(full)} completely correct (100%) choices; exactly one is needed"
            )
            continue
        ids = _letters(len(parsed))
        gap_id = str(number)
        gaps.append(
            {
                "id": gap_id,
                "options": [
                    {"id": oid, "text": sanitize_html(text)} for oid, (_, text) in zip(ids, parsed, strict=True)
                ],
            }
        )
        keys[gap_id] = ids[full[0]]
        if any(f != 0 and not _is_full(f) for f, _ in parsed):
            q.warnings.append(f"{where}: partial grades dropped")
    if unsupported:
        problems.append(f"cloze with {'/'.join(unsupported)} sub-questions is not supported yet")
    if problems:
        raise _Invalid("; ".join(problems))

    counter = iter(range(1, len(markers) + 1))
    converted = _CLOZE_MARKER.sub(lambda _m: "{{" + str(next(counter)) + "}}", raw.replace("{{", "{ {"))
    if qtext is not None:
        for file_elem in qtext.findall("file"):
            _collect_file(q, file_elem)
    stem = _to_html(q, converted, (qtext.get("format") if qtext is not None else None) or "html")
    content: dict[str, Any] = {"stem": stem, "gaps": gaps, "scoring": "per_gap", "keys": keys}
    content["_default_points"] = sum(weights)
    metadata: dict[str, Any] = {}
    if any(w != 1 for w in weights):
        metadata["gap_weights"] = {gap["id"]: w for gap, w in zip(gaps, weights, strict=True)}
    return "inline_choice", content, {}, metadata


_READERS = {
    "multichoice": _read_multichoice,
    "truefalse": _read_truefalse,
    "shortanswer": _read_shortanswer,
    "numerical": _read_numerical,
    "matching": _read_matching,
    "ordering": _read_ordering,
    "essay": _read_essay,
    "gapselect": _read_gapselect,
    "ddwtos": _read_gapselect,
    "cloze": _read_cloze,
    "multianswer": _read_cloze,
}
