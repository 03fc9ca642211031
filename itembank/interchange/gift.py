"""Import of Moodle GIFT text files (hand-written parser of the published GIFT grammar).

``parse_gift(data, filename=...)`` returns a ``ParseResult``: one ``ImportedItem`` per
question it could read (content per docs/decisions/0003) and an ``ImportIssue`` for every
question it could not read or had to change. A bad question never stops the file: parsing
goes on with the next question (questions are separated by blank lines).

Mapping of the GIFT question kinds:

- ``{~a =b ~c}`` with exactly one right answer (``=`` or a ``~%100%`` weight):
  ``single_choice``. Partial-credit weights on the other options cannot be scored by a
  single-choice item; they are kept in ``metadata["gift_weights"]`` with a warning.
- ``{~%50%a ~%50%b ~%-100%c}`` (no answer worth 100 %, the positive weights sum to 100):
  ``multiple_response`` with ``scoring="partial"`` (the weights are fractions of the
  mark, as in Moodle); the weights are kept in ``metadata["gift_weights"]``.
  Several answers marked ``=`` (``{=a =b ~c}``) are not fractional: they become a
  ``multiple_response`` with ``scoring="all_or_nothing"`` and a warning (Moodle would
  accept any one of them).
- The same choices in the middle of a sentence (text after the closing brace):
  ``inline_choice`` with one gap ``"1"``; the stem has ``{{1}}`` where the braces were.
- ``{T}``/``{F}``/``{TRUE}``/``{FALSE}``: ``true_false_group`` with one statement
  (``statements=[{"id": "1", "text": <question text>}]``, ``keys={"1": bool}``) and an
  empty stem (the statement is the whole question; no invented instruction text); scale
  ``{"1": "1"}``. ``#wrong#right`` feedback goes to ``feedback["incorrect"/"correct"]``.
- ``{=a =b}`` / ``{a}``: ``text_entry`` (``match="normalised"``), keeping the answers
  worth 100 %; answers with a lower weight (and ``*`` wildcards) are dropped with a warning.
- ``{#3.14:0.01}``: ``short_numeric`` (decimal strings). A range ``{#1..5}`` becomes the
  midpoint with a half-width tolerance. Of several numeric answers the first one worth
  100 % is the key; the others are dropped with a warning.
- ``{=x -> y ...}``: ``matching`` (``scoring="per_pair"``, as Moodle marks each pair);
  ``= -> y`` is an extra response (distractor); equal responses are merged.
- ``{}``: ``essay``. No braces at all: a description, skipped with a warning.
- In any other kind, text after the braces makes Moodle's "missing word" form: the stem
  gets ``_____`` where the braces were.

Text: plain/[moodle] text is HTML-escaped; [html] text goes through
``itembank.richtext.sanitize_html``; [markdown] text is kept as escaped text with a
warning. Answers and feedback default to the question's format. ``text_entry`` answers and
numeric keys are stored as plain strings (they are compared, not displayed).
Escapes ``\\~ \\= \\# \\{ \\} \\: \\\\`` give the literal character, ``\\n`` a new line.
Feedback keys: ``general`` (``####``), ``option:<id>``, ``answer:<n>``, ``correct``,
``incorrect``. Option ids are letters (``A``, ``B``, … ``Z``, ``AA``…); matching premises
are numbered ``1``, ``2``…, responses lettered.

``$CATEGORY: $course$/top/A/B`` sets ``category=("A", "B")`` for the questions after it.

Decoding: UTF-8 (a BOM is allowed); otherwise windows-1252 with a warning. Files over
``MAX_BYTES`` are refused with an error.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from itembank.interchange.base import ImportedItem, ImportIssue, ParseResult, SourceLocation
from itembank.richtext import sanitize_html

MAX_BYTES = 10 * 1024 * 1024
_FORMATS = ("html", "markdown", "plain", "moodle")
_FORMAT_RE = re.compile(r"^\s*\[(html|markdown|plain|moodle)\]", re.IGNORECASE)
_WEIGHT_RE = re.compile(r"^\s*%([^%]*)%")
_ESCAPABLE = "~=#{}:\\"
_TF = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_HUNDRED = Decimal(100)
_WEIGHT_SLACK = Decimal("0.01")
_BLANK = "_____"


class _GiftError(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class _Answer:
    prefix: str  # "=", "~" or "" (no prefix)
    weight: Decimal | None
    text: str  # raw (still escaped) text
    fmt: str
    feedback: list[str]  # raw feedback parts after each unescaped "#"


@dataclass
class _Block:
    text: str
    offsets: list[tuple[int, int]]  # (position in text, source line number)

    @property
    def first_line(self) -> int:
        return self.offsets[0][1]

    def line_at(self, pos: int) -> int:
        line = self.offsets[0][1]
        for start, number in self.offsets:
            if start > pos:
                break
            line = number
        return line


# ----------------------------------------------------------------------------- decoding


def _decode(data: bytes | str, filename: str, issues: list[ImportIssue]) -> str | None:
    if isinstance(data, str):
        if len(data) > MAX_BYTES:
            issues.append(ImportIssue(SourceLocation(filename), f"file too large (over {MAX_BYTES} characters)"))
            return None
        return data.removeprefix("\ufeff")
    if len(data) > MAX_BYTES:
        issues.append(ImportIssue(SourceLocation(filename), f"file too large (over {MAX_BYTES} bytes)"))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        issues.append(
            ImportIssue(
                SourceLocation(filename, line=line),
                "the file is not UTF-8; it was read as windows-1252",
                severity="warning",
            )
        )
        return data.decode("cp1252", errors="replace")


# ----------------------------------------------------------------------------- text helpers


def _find_unescaped(text: str, target: str, start: int = 0) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(target, i):
            return i
        i += 1
    return -1


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    start = 0
    while True:
        pos = _find_unescaped(text, sep, start)
        if pos < 0:
            parts.append(text[start:])
            return parts
        parts.append(text[start:pos])
        start = pos + len(sep)


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in _ESCAPABLE:
                out.append(nxt)
                i += 2
                continue
            if nxt == "n":
                out.append("\n")
                i += 2
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def _take_format(raw: str, default: str) -> tuple[str, str]:
    match = _FORMAT_RE.match(raw)
    if match:
        return match.group(1).lower(), raw[match.end() :]
    return default, raw


def _letter(index: int) -> str:
    label = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        label = chr(ord("A") + rem) + label
    return label


def _decimal_str(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class _Question:
    """The state of one question while it is being turned into an item."""

    def __init__(self, block: _Block) -> None:
        self.block = block
        self.warnings: list[str] = []
        self.markdown_seen = False

    def html(self, raw: str, fmt: str) -> str:
        text = _unescape(raw).strip()
        if fmt == "html":
            return sanitize_html(text).strip()
        if fmt == "markdown" and not self.markdown_seen:
            self.markdown_seen = True
            self.warnings.append("[markdown] text is kept as plain text (markdown is not converted)")
        return html.escape(text, quote=False)

    def feedback(self, answer: _Answer) -> str:
        """The HTML of an answer's first feedback part ("" if none); it may carry its own [format]."""
        if not answer.feedback:
            return ""
        fmt, raw = _take_format(answer.feedback[0], answer.fmt)
        return self.html(raw, fmt)


# ----------------------------------------------------------------------------- blocks


def _blocks(text: str) -> list[_Block]:
    """Split the file into questions: blank lines separate them, ``//`` lines are dropped."""
    blocks: list[_Block] = []
    lines: list[str] = []
    offsets: list[tuple[int, int]] = []
    length = 0

    def flush() -> None:
        nonlocal lines, offsets, length
        if lines:
            blocks.append(_Block("\n".join(lines), offsets))
        lines, offsets, length = [], [], 0

    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        if stripped.startswith("//"):
            continue
        offsets.append((length, number))
        lines.append(line)
        length += len(line) + 1
    flush()
    return blocks


# ----------------------------------------------------------------------------- answers


def _parse_weight(raw: str, line: int) -> tuple[Decimal | None, str]:
    match = _WEIGHT_RE.match(raw)
    if not match:
        return None, raw
    try:
        weight = Decimal(match.group(1).strip())
    except InvalidOperation:
        raise _GiftError(f"answer weight %{match.group(1)}% is not a number", line) from None
    if not weight.is_finite() or not -_HUNDRED <= weight <= _HUNDRED:
        raise _GiftError(f"answer weight %{match.group(1)}% is not between -100 and 100", line)
    return weight, raw[match.end() :]


def _split_answers(body: str, default_fmt: str, line: int) -> list[_Answer]:
    """Split an answer block at each unescaped ``=`` or ``~``."""
    segments: list[tuple[str, str]] = []
    current_prefix, start, i = "", 0, 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "=~":
            segments.append((current_prefix, body[start:i]))
            current_prefix, start = ch, i + 1
        i += 1
    segments.append((current_prefix, body[start:]))
    answers: list[_Answer] = []
    for prefix, raw in segments:
        if not prefix and not raw.strip():
            continue
        weight, rest = _parse_weight(raw, line)
        fmt, rest = _take_format(rest, default_fmt)
        text, *feedback = _split_unescaped(rest, "#")
        answers.append(_Answer(prefix, weight, text, fmt, feedback))
    return answers


def _effective_weight(answer: _Answer) -> Decimal:
    if answer.weight is not None:
        return answer.weight
    return _HUNDRED if answer.prefix in ("=", "") else Decimal(0)


def _number(raw: str, line: int) -> Decimal:
    text = _unescape(raw).strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _GiftError(f"numeric answer {text!r} is not a number", line) from None
    if not value.is_finite():
        raise _GiftError(f"numeric answer {text!r} is not a number", line)
    return value


# ----------------------------------------------------------------------------- parser


def parse_gift(data: bytes | str, *, filename: str) -> ParseResult:
    """Read a GIFT file into items and a report; see the module docstring for the mapping."""
    issues: list[ImportIssue] = []
    text = _decode(data, filename, issues)
    if text is None:
        return ParseResult(items=(), issues=tuple(issues))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    items: list[ImportedItem] = []
    category: tuple[str, ...] = ()
    for block in _blocks(text):
        if block.text.lstrip().startswith("$CATEGORY:"):
            first, _, rest = block.text.partition("\n")
            path = first.lstrip()[len("$CATEGORY:") :].strip()
            category = _category(path)
            if not rest.strip():
                continue
            block = _Block(rest, [(pos - len(first) - 1, n) for pos, n in block.offsets[1:]])
        title: str | None = None
        try:
            title, item = _parse_question(block, filename, category)
        except _GiftError as exc:
            title = title or _peek_title(block.text)
            line = exc.line if exc.line is not None else block.first_line
            issues.append(ImportIssue(SourceLocation(filename, line=line, element=title), exc.message))
            continue
        if isinstance(item, ImportIssue):
            issues.append(item)
            continue
        items.append(item)
        for warning in item.warnings:
            issues.append(ImportIssue(item.source, warning, severity="warning"))
    return ParseResult(items=tuple(items), issues=tuple(issues))


def _category(path: str) -> tuple[str, ...]:
    """``$course$/top/A//B/C`` gives ``("A/B", "C")``, as the Moodle XML importer does: "//"
    is a "/" inside a name; the context marker (``$course$``…) and ``top`` are dropped."""
    names: list[str] = []
    current = ""
    i = 0
    while i < len(path):
        if path.startswith("//", i):
            current += "/"
            i += 2
        elif path[i] == "/":
            names.append(current.strip())
            current = ""
            i += 1
        else:
            current += path[i]
            i += 1
    names.append(current.strip())
    names = [name for name in names if name]
    if names and len(names[0]) > 1 and names[0].startswith("$") and names[0].endswith("$"):
        names = names[1:]
    if names and names[0] == "top":
        names = names[1:]
    return tuple(names)


def _peek_title(text: str) -> str | None:
    stripped = text.lstrip()
    if stripped.startswith("::"):
        end = _find_unescaped(stripped, "::", 2)
        if end > 0:
            return _unescape(stripped[2:end]).strip() or None
    return None


def _parse_question(
    block: _Block, filename: str, category: tuple[str, ...]
) -> tuple[str | None, ImportedItem | ImportIssue]:
    text = block.text
    line = block.first_line
    title: str | None = None
    body_start = len(text) - len(text.lstrip())
    if text.startswith("::", body_start):
        end = _find_unescaped(text, "::", body_start + 2)
        if end < 0:
            raise _GiftError("the question title is not closed with ::", line)
        title = _unescape(text[body_start + 2 : end]).strip() or None
        body_start = end + 2
    source = SourceLocation(filename, line=line, element=title)

    open_pos = _find_unescaped(text, "{", body_start)
    close_pos = _find_unescaped(text, "}", body_start)
    if open_pos < 0 and close_pos < 0:
        return title, ImportIssue(source, "description (no question) skipped", severity="warning")
    if close_pos < 0:
        raise _GiftError("unbalanced braces: '{' is not closed", block.line_at(open_pos))
    if open_pos < 0 or close_pos < open_pos:
        raise _GiftError("unbalanced braces: '}' without '{'", block.line_at(close_pos))
    nested = _find_unescaped(text, "{", open_pos + 1)
    if 0 <= nested < close_pos:
        raise _GiftError("unbalanced braces: '{' inside an answer block (escape it as \\{)", block.line_at(nested))
    for extra in (_find_unescaped(text, "{", close_pos + 1), _find_unescaped(text, "}", close_pos + 1)):
        if extra >= 0:
            raise _GiftError(
                "unbalanced braces: more than one answer block (escape literal braces as \\{ \\})",
                block.line_at(extra),
            )

    fmt, before = _take_format(text[body_start:open_pos].lstrip(), "moodle")
    body = text[open_pos + 1 : close_pos]
    after = text[close_pos + 1 :]
    missing_word = bool(after.strip())
    q = _Question(block)

    def stem(marker: str) -> str:
        if missing_word:
            return q.html(before + marker + after, fmt)
        return q.html(before, fmt)

    stem.missing_word = missing_word  # type: ignore[attr-defined]

    feedback: dict[str, str] = {}
    general_pos = _find_unescaped(body, "####")
    if general_pos >= 0:
        general = q.html(*reversed(_take_format(body[general_pos + 4 :], fmt)))
        if general:
            feedback["general"] = general
        body = body[:general_pos]

    item_type, content, metadata = _classify(q, body, fmt, stem, feedback, line)

    return title, ImportedItem(
        item_type=item_type,
        content=content,
        source=source,
        title=title or "",
        category=category,
        metadata=metadata,
        feedback=feedback,
        warnings=tuple(q.warnings),
    )


def _classify(q: _Question, body: str, fmt: str, stem, feedback: dict[str, str], line: int):
    stripped = body.strip()
    metadata: dict[str, object] = {}
    if not stripped:
        return "essay", {"stem": stem(_BLANK), "rubric": [], "max_words": None}, metadata

    tf_parts = _split_unescaped(stripped, "#")
    if tf_parts[0].strip().upper() in _TF:
        value = _TF[tf_parts[0].strip().upper()]
        for key, raw in zip(("incorrect", "correct"), tf_parts[1:], strict=False):
            text = q.html(*reversed(_take_format(raw, fmt)))
            if text:
                feedback[key] = text
        content = {
            "stem": "",
            "statements": [{"id": "1", "text": stem(_BLANK)}],
            "scale": {"1": "1"},
            "keys": {"1": value},
        }
        return "true_false_group", content, metadata

    if stripped.startswith("#"):
        return _numeric(q, stripped[1:], fmt, stem, feedback, line)

    answers = _split_answers(body, fmt, line)
    if stripped.startswith("=") and _find_unescaped(stripped, "->") >= 0:
        return _matching(q, answers, stem, line)
    if any(a.prefix == "" for a in answers) and len(answers) > 1:
        raise _GiftError("unknown question type: every answer must start with = or ~", line)
    if any(a.prefix == "~" for a in answers):
        return _choice(q, answers, stem, feedback, line)
    if len(answers) == 1 and answers[0].prefix == "" and _find_unescaped(stripped, "->") >= 0:
        raise _GiftError("unknown question type: matching answers must start with =", line)
    return _short_answer(q, answers, stem, feedback, line)


def _choice(q: _Question, answers: list[_Answer], stem, feedback: dict[str, str], line: int):
    options = []
    weights: dict[str, str] = {}
    for index, answer in enumerate(answers):
        option_id = _letter(index)
        options.append({"id": option_id, "text": q.html(answer.text, answer.fmt)})
        if answer.weight is not None:
            weights[option_id] = _decimal_str(answer.weight)
        note = q.feedback(answer)
        if note:
            feedback[f"option:{option_id}"] = note
    eff = {_letter(i): _effective_weight(a) for i, a in enumerate(answers)}
    metadata: dict[str, object] = {"gift_weights": weights} if weights else {}
    full = [oid for oid, w in eff.items() if w == _HUNDRED]
    positive = [oid for oid, w in eff.items() if w > 0]
    if not positive:
        raise _GiftError("multiple-choice question has no right answer (= or a positive %weight%)", line)

    if len(full) == 1:
        others = [oid for oid, w in eff.items() if oid != full[0] and w != 0]
        if others:
            q.warnings.append(
                "partial-credit weights on options " + ", ".join(others) + " are dropped (single_choice has one key)"
            )
        if stem.missing_word:
            content = {
                "stem": stem("{{1}}"),
                "gaps": [{"id": "1", "options": options}],
                "scoring": "all_or_nothing",
                "keys": {"1": full[0]},
            }
            return "inline_choice", content, metadata
        return "single_choice", {"stem": stem(_BLANK), "options": options, "key": full[0]}, metadata

    if len(full) > 1:
        if len(positive) != len(full):
            raise _GiftError("weights don't add up: answers worth 100% mixed with partial-credit answers", line)
        q.warnings.append(
            "several answers are marked right (=): imported as multiple_response, all of them to be chosen"
            " (all or nothing)"
        )
        content = {"stem": stem(_BLANK), "options": options, "scoring": "all_or_nothing", "keys": full}
        return "multiple_response", content, metadata

    total = sum((eff[oid] for oid in positive), Decimal(0))
    if abs(total - _HUNDRED) > _WEIGHT_SLACK:
        raise _GiftError(f"weights don't add up: the positive weights sum to {_decimal_str(total)}%, not 100%", line)
    if stem.missing_word:
        q.warnings.append("multiple answers in a sentence: imported as multiple_response with a blank in the stem")
    content = {"stem": stem(_BLANK), "options": options, "scoring": "partial", "keys": positive}
    return "multiple_response", content, metadata


def _short_answer(q: _Question, answers: list[_Answer], stem, feedback: dict[str, str], line: int):
    kept: list[str] = []
    dropped: list[str] = []
    for answer in answers:
        text = _unescape(answer.text).strip()
        if _effective_weight(answer) == _HUNDRED and text and text != "*":
            kept.append(text)
            note = q.feedback(answer)
            if note:
                feedback[f"answer:{len(kept)}"] = note
        else:
            dropped.append(text or "(empty)")
    if not kept:
        raise _GiftError("short-answer question has no answer worth 100%", line)
    if dropped:
        q.warnings.append("answers below 100% are dropped: " + ", ".join(dropped))
    content = {
        "stem": stem(_BLANK),
        "match": "normalised",
        "ignore_diacritics": False,
        "answers": kept,
    }
    return "text_entry", content, {}


def _matching(q: _Question, answers: list[_Answer], stem, line: int):
    premises: list[dict[str, str]] = []
    responses: list[dict[str, str]] = []
    pairs: dict[str, str] = {}
    by_text: dict[str, str] = {}
    for answer in answers:
        if answer.prefix != "=":
            raise _GiftError("matching answers must start with =", line)
        raw = answer.text + "".join("#" + part for part in answer.feedback)
        arrow = _find_unescaped(raw, "->")
        if arrow < 0:
            raise _GiftError("matching answer without ->", line)
        premise = q.html(raw[:arrow], answer.fmt)
        response = q.html(raw[arrow + 2 :], answer.fmt)
        if not response:
            raise _GiftError("matching answer with an empty response after ->", line)
        if response not in by_text:
            by_text[response] = _letter(len(responses))
            responses.append({"id": by_text[response], "text": response})
        if premise:
            premise_id = str(len(premises) + 1)
            premises.append({"id": premise_id, "text": premise})
            pairs[premise_id] = by_text[response]
    if not premises:
        raise _GiftError("matching question has no premise", line)
    content = {
        "stem": stem(_BLANK),
        "premises": premises,
        "responses": responses,
        "scoring": "per_pair",
        "pairs": pairs,
    }
    return "matching", content, {}


def _numeric(q: _Question, body: str, fmt: str, stem, feedback: dict[str, str], line: int):
    answers = _split_answers(body, fmt, line)
    if not answers:
        raise _GiftError("numerical question has no answer", line)
    key: tuple[Decimal, Decimal] | None = None
    dropped = 0
    for answer in answers:
        if answer.prefix == "~":  # a wrong answer: only feedback in Moodle
            dropped += 1
            continue
        raw = _unescape(answer.text).strip()
        if not raw:
            raise _GiftError("numerical answer is empty", line)
        if ".." in raw:
            low_raw, _, high_raw = raw.partition("..")
            low, high = _number(low_raw, line), _number(high_raw, line)
            if high < low:
                raise _GiftError(f"numerical range {raw!r} has its bounds reversed", line)
            value, tolerance = (low + high) / 2, (high - low) / 2
        elif ":" in raw:
            value_raw, _, tol_raw = raw.partition(":")
            value, tolerance = _number(value_raw, line), _number(tol_raw, line)
            if tolerance < 0:
                raise _GiftError(f"numerical tolerance {tol_raw.strip()!r} is negative", line)
        else:
            value, tolerance = _number(raw, line), Decimal(0)
        if key is None and _effective_weight(answer) == _HUNDRED:
            key = (value, tolerance)
            note = q.feedback(answer)
            if note:
                feedback["correct"] = note
        else:
            dropped += 1
    if key is None:
        raise _GiftError("numerical question has no answer worth 100%", line)
    if dropped:
        q.warnings.append(f"{dropped} other numerical answer(s) dropped (one key with a tolerance is kept)")
    content = {
        "stem": stem(_BLANK),
        "boxes": None,
        "answer": _decimal_str(key[0]),
        "tolerance": _decimal_str(key[1]),
    }
    return "short_numeric", content, {}
