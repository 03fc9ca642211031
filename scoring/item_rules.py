"""Scoring rules for every item type of the item bank (issue 4, decision 0003).

One pure function per item type. Each takes the candidate's response, the item's key
and settings, and the points the item is worth, and returns a :class:`Score`. The engine
calls :func:`score_response` with the item type name and the key document produced by
the item bank (see the table in ``docs/decisions/0003-item-bank-content-model.md``).

Conventions
-----------
- **Decimal arithmetic throughout.** Points, tolerances and fractions are
  :class:`decimal.Decimal`. Inputs may also be ``int`` or decimal strings; a ``float``
  is read through ``str()`` (``0.1`` becomes ``Decimal("0.1")``), never ``Decimal(0.1)``.
  All arithmetic runs in a private decimal context, so a caller's
  ``decimal.getcontext()`` changes cannot alter scores.
- **Rounding.** Where a rule multiplies (the true/false scale) points are exact. Where a
  rule divides the item's points into equal shares (partial multiple response, per-gap
  cloze, per-pair matching, partial ordering) the points are
  ``min(quantize(points * k / n, 0.01, ROUND_HALF_UP), points)``; full credit is always
  exactly ``points`` and a partial score never exceeds ``points``. ``Score.fraction`` keeps
  the unrounded ``k / n`` (28 significant digits).
- **Keys are trusted input that is validated**: an invalid key or setting raises
  ``ValueError`` with a message naming the field. Validate at authoring time with
  :func:`validate_key`.
- **Responses are untrusted** (they arrive over the network): a missing, malformed or
  oversized response never raises; it scores 0 with ``detail["status"]`` set to
  ``"unanswered"`` or ``"invalid"`` and ``detail["reason"]`` saying why.
- ``Score.detail`` is a JSON-serialisable ``dict`` (str, int, bool, lists and dicts only).
  Its ``"status"`` is one of :data:`STATUSES`.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, Inexact, InvalidOperation, localcontext
from functools import lru_cache
from typing import Final

__all__ = [
    "DEFAULT_TRUE_FALSE_SCALE",
    "ITEM_TYPES",
    "MAX_RESPONSE_LENGTH",
    "POINTS_QUANTUM",
    "STATUSES",
    "Score",
    "boxes_used",
    "count_words",
    "normalise_text",
    "parse_decimal_answer",
    "score_essay",
    "score_essay_by_rubric",
    "score_inline_choice",
    "score_matching",
    "score_multiple_response",
    "score_ordering",
    "score_response",
    "score_short_numeric",
    "score_single_choice_item",
    "score_text_entry",
    "score_true_false_group",
    "validate_key",
]

Number = Decimal | int | str
"""A decimal quantity as accepted by the rules: ``Decimal``, ``int`` or a decimal string."""

ITEM_TYPES: Final = (
    "single_choice",
    "multiple_response",
    "true_false_group",
    "short_numeric",
    "text_entry",
    "inline_choice",
    "matching",
    "ordering",
    "essay",
)
"""Item type names understood by :func:`score_response`."""

STATUSES: Final = ("correct", "partial", "incorrect", "unanswered", "invalid", "pending")
"""Values of ``Score.detail["status"]``."""

DEFAULT_TRUE_FALSE_SCALE: Final[Mapping[int, Decimal]] = {
    0: Decimal("0"),
    1: Decimal("0.1"),
    2: Decimal("0.25"),
    3: Decimal("0.5"),
    4: Decimal("1.0"),
}
"""The national graduation exam's part II rule: fraction of the item's points by the number
of correct statements out of 4."""

POINTS_QUANTUM: Final = Decimal("0.01")
"""Step to which equal-share partial credit is rounded (half up)."""

MAX_RESPONSE_LENGTH: Final = 1000
"""Longest text response (in characters) that is examined; longer ones score 0 ("too long")."""

_MAX_KEY_TEXT: Final = 1000
_CONTEXT: Final = Context(prec=28, rounding=ROUND_HALF_UP)
# Exact context for tolerance bounds: raises Inexact instead of rounding silently.
_EXACT: Final = Context(prec=4000, traps=[Inexact, InvalidOperation])
_ZERO: Final = Decimal("0")
_ONE: Final = Decimal("1")
_MINUS_SIGNS: Final = ("-", "\u2212")  # ASCII hyphen-minus and U+2212 MINUS SIGN
_NUMBER_RE: Final = re.compile(r"([+\-\u2212]?)([0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)")

# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class Score:
    """The outcome of scoring one response.

    Attributes
    ----------
    points : Decimal or None
        Points awarded, ``0 <= points <= max_points``; ``None`` while the score is pending
        (an essay waiting for a person).
    max_points : Decimal
        Points the item is worth, ``>= 0``.
    fraction : Decimal or None
        Credit fraction the rule awarded, in ``[0, 1]``, before points were rounded
        (meaningful even for a 0-point trial item); ``None`` while pending.
    detail : dict
        Machine-readable, JSON-serialisable explanation: always ``"status"`` (one of
        :data:`STATUSES`), ``"reason"`` for an unanswered or invalid response, and the
        per-part correctness where the item has parts. Treat as read-only.
    pending : bool
        ``True`` when the response needs a person (``points`` and ``fraction`` are ``None``).
    """

    points: Decimal | None
    max_points: Decimal
    fraction: Decimal | None
    detail: Mapping[str, object] = field(default_factory=dict)
    pending: bool = False

    def __post_init__(self) -> None:
        if self.pending:
            if self.points is not None or self.fraction is not None:
                raise ValueError("a pending score has no points and no fraction")
            return
        if self.points is None or self.fraction is None:
            raise ValueError("a score that is not pending needs points and a fraction")
        if not _ZERO <= self.points <= self.max_points:
            raise ValueError(f"points {self.points} must be between 0 and max_points {self.max_points}")
        if not _ZERO <= self.fraction <= _ONE:
            raise ValueError(f"fraction {self.fraction} must be between 0 and 1")


def _score(points: Decimal, fraction: Decimal, status: str, /, **detail: object) -> Score:
    """Points = fraction * max, exact (used where fraction is an exact decimal)."""
    with localcontext(_CONTEXT):
        awarded = min(points * fraction, points) if fraction > 0 else _ZERO
    return Score(awarded, points, fraction, {"status": status, **detail})


def _share_score(points: Decimal, correct: int, total: int, /, **detail: object) -> Score:
    """``correct / total`` of ``points``, rounded to POINTS_QUANTUM half up, capped at points."""
    if correct >= total:
        return Score(points, points, _ONE, {"status": "correct", **detail})
    if correct <= 0:
        return Score(_ZERO, points, _ZERO, {"status": "incorrect", **detail})
    with localcontext(_CONTEXT):
        fraction = Decimal(correct) / Decimal(total)
        awarded = min((points * correct / total).quantize(POINTS_QUANTUM, rounding=ROUND_HALF_UP), points)
    return Score(awarded, points, fraction, {"status": "partial", **detail})


def _zero(points: Decimal, status: str, reason: str | None = None, /, **detail: object) -> Score:
    extra: dict[str, object] = {"reason": reason} if reason is not None else {}
    return Score(_ZERO, points, _ZERO, {"status": status, **extra, **detail})


def _unanswered(points: Decimal, **detail: object) -> Score:
    return _zero(points, "unanswered", "no response", **detail)


def _invalid(points: Decimal, reason: str, **detail: object) -> Score:
    return _zero(points, "invalid", reason, **detail)


# --------------------------------------------------------------------------- key validation


def all_or_nothing(score: Score) -> Score:
    """``score`` under an all-or-nothing rule: full points only when every part is right.

    A part of an assessment may score its items so (HUST's TSA does), overriding the items'
    own partial credit; a pending score stays pending.
    """
    if score.pending or score.fraction == _ONE or score.points == _ZERO:
        return score
    return Score(_ZERO, score.max_points, _ZERO, {**score.detail, "status": "incorrect", "all_or_nothing": True})


def _decimal(value: object, what: str) -> Decimal:
    """Read a key-side decimal: Decimal, int, decimal string (point or comma) or float via str()."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a decimal number, got {value!r}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float):
        try:
            number = Decimal(str(value))
        except InvalidOperation as exc:  # pragma: no cover - str() of a number always parses
            raise ValueError(f"{what} must be a decimal number, got {value!r}") from exc
    elif isinstance(value, str):
        parsed = parse_decimal_answer(value)
        if parsed is None:
            raise ValueError(f"{what} must be a decimal number such as '0.25' or '-1,5', got {value!r}")
        number = parsed
    else:
        raise ValueError(f"{what} must be a decimal number, got {type(value).__name__}")
    if not number.is_finite():
        raise ValueError(f"{what} must be finite, got {value!r}")
    return number


def _points(points: object) -> Decimal:
    value = _decimal(points, "points")
    if value < 0:
        raise ValueError(f"points must be >= 0, got {points!r}")
    return value


def _identifier(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string id, got {value!r}")
    return value


def _identifiers(value: object, what: str, *, ordered: bool = False) -> list[str]:
    if not isinstance(value, list | tuple | set | frozenset) or (ordered and not isinstance(value, list | tuple)):
        kind = "a list" if ordered else "a list or set"
        raise ValueError(f"{what} must be {kind} of ids, got {type(value).__name__}")
    ids = [_identifier(item, f"each id in {what}") for item in value]
    if not ids:
        raise ValueError(f"{what} must not be empty")
    duplicates = sorted({item for item in ids if ids.count(item) > 1})
    if duplicates:
        raise ValueError(f"{what} repeats ids {duplicates}")
    return ids


def _id_mapping(value: object, what: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not value:
        raise ValueError(f"{what} must be a non-empty mapping of id to id")
    return {
        _identifier(k, f"each id in {what}"): _identifier(v, f"the value of {k!r} in {what}") for k, v in value.items()
    }


def _bool_mapping(value: object, what: str) -> dict[str, bool]:
    if not isinstance(value, Mapping) or not value:
        raise ValueError(f"{what} must be a non-empty mapping of statement id to true/false")
    result: dict[str, bool] = {}
    for k, v in value.items():
        if not isinstance(v, bool):
            raise ValueError(f"the value of {k!r} in {what} must be true or false, got {v!r}")
        result[_identifier(k, f"each id in {what}")] = v
    return result


def _mode(value: object, allowed: Sequence[str], what: str = "scoring") -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _options_check(options: Collection[str] | None, ids: Collection[str], what: str) -> frozenset[str] | None:
    if options is None:
        return None
    allowed = frozenset(_identifiers(options, "options"))
    unknown = sorted(set(ids) - allowed)
    if unknown:
        raise ValueError(f"{what} {unknown} are not among the options")
    return allowed


# --------------------------------------------------------------------------- response helpers


def _response_ids(response: object) -> list[str] | str:
    """A list/tuple/set of id strings, or the reason it is not one."""
    if isinstance(response, str | bytes) or isinstance(response, Mapping):
        return "not a list of ids"
    if not isinstance(response, list | tuple | set | frozenset):
        return "not a list of ids"
    if len(response) > MAX_RESPONSE_LENGTH:
        return "too long"
    if not all(isinstance(item, str) for item in response):
        return "not a list of ids"
    return [item for item in response if isinstance(item, str)]


# --------------------------------------------------------------------------- 1. single choice


def score_single_choice_item(response: object, key: str, points: Number) -> Score:
    """Score a single-choice item (one correct option).

    Rule: full points if the chosen option id equals ``key`` exactly (no case or
    whitespace folding: option ids are normalised upstream), otherwise 0.

    Parameters
    ----------
    response : object
        The chosen option id (``str``); ``None`` or ``""`` means unanswered; anything
        else is an invalid response and scores 0.
    key : str
        The correct option id, non-empty.
    points : Decimal, int or str
        Points the item is worth, ``>= 0``.

    Returns
    -------
    Score
        ``detail``: ``{"status", "reason"?}``.

    Raises
    ------
    ValueError
        If ``key`` is not a non-empty string or ``points`` is negative or not a number.

    Notes
    -----
    Unlike :func:`scoring.rules.score_single_choice` (floats), this returns a
    :class:`Score` with Decimal points, like every rule in this module.
    """
    total = _points(points)
    answer = _identifier(key, "key")
    if response is None or response == "":
        return _unanswered(total)
    if not isinstance(response, str):
        return _invalid(total, "not an option id")
    if response == answer:
        return _score(total, _ONE, "correct")
    return _zero(total, "incorrect")


# --------------------------------------------------------------------------- 2. multiple response


def score_multiple_response(
    response: object,
    keys: Collection[str],
    points: Number,
    *,
    scoring: str = "all_or_nothing",
    options: Collection[str] | None = None,
) -> Score:
    """Score a multiple-response item (choose all that apply).

    Rules
    -----
    ``"all_or_nothing"``
        Full points only if the set of chosen ids equals the set ``keys`` exactly.
    ``"partial"`` (right minus wrong, floored at 0)
        With ``R`` the chosen ids in ``keys`` and ``W`` the chosen ids not in ``keys``::

            fraction = max(0, |R| - |W|) / |keys|

        i.e. each correct choice earns ``1/|keys|``, each wrong choice costs ``1/|keys|``,
        never below 0. Choosing every option therefore does not pay. Points are rounded
        as described in the module notes.

    Parameters
    ----------
    response : object
        A list, tuple or set of chosen option ids (duplicates count once). ``None`` or an
        empty collection is unanswered; anything else, a non-string element, or (when
        ``options`` is given) an id that is not an option, is invalid and scores 0.
    keys : collection of str
        The correct option ids: non-empty, distinct.
    points : Decimal, int or str
        Points the item is worth, ``>= 0``.
    scoring : {"all_or_nothing", "partial"}
        The rule above.
    options : collection of str, optional
        All option ids; when given, ``keys`` must be among them.

    Returns
    -------
    Score
        ``detail``: ``{"status", "right", "wrong", "missed"}`` (counts) or a reason.

    Raises
    ------
    ValueError
        For an empty or repeated ``keys``, a key that is not an option, an unknown
        ``scoring`` or invalid ``points``.
    """
    total = _points(points)
    correct = frozenset(_identifiers(keys, "keys"))
    mode = _mode(scoring, ("all_or_nothing", "partial"))
    allowed = _options_check(options, correct, "keys")
    if response is None:
        return _unanswered(total)
    chosen_list = _response_ids(response)
    if isinstance(chosen_list, str):
        return _invalid(total, chosen_list)
    chosen = frozenset(chosen_list)
    if not chosen:
        return _unanswered(total)
    if allowed is not None and not chosen <= allowed:
        return _invalid(total, "unknown option id")
    right, wrong = len(chosen & correct), len(chosen - correct)
    counts = {"right": right, "wrong": wrong, "missed": len(correct) - right}
    if mode == "all_or_nothing":
        if chosen == correct:
            return _score(total, _ONE, "correct", **counts)
        return _zero(total, "incorrect", **counts)
    return _share_score(total, max(0, right - wrong), len(correct), **counts)


# --------------------------------------------------------------------------- 3. true/false group


def _tf_scale(scale: object, n: int) -> dict[int, Decimal]:
    if scale is None:
        if n != len(DEFAULT_TRUE_FALSE_SCALE) - 1:
            raise ValueError(
                f"a true/false group of {n} statements needs a scale: the default (national) scale is for 4"
            )
        return dict(DEFAULT_TRUE_FALSE_SCALE)
    if not isinstance(scale, Mapping):
        raise ValueError("scale must be a mapping of number correct to fraction of the points")
    table: dict[int, Decimal] = {}
    for raw_count, raw_fraction in scale.items():
        count: object = raw_count
        if isinstance(raw_count, str) and raw_count.isascii() and raw_count.isdigit():
            count = int(raw_count)  # JSON object keys are strings
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= n:
            raise ValueError(f"scale keys must be counts from 0 to {n}, got {raw_count!r}")
        if count in table:
            raise ValueError(f"scale gives count {count} twice")
        fraction = _decimal(raw_fraction, f"the scale's fraction for {count} correct")
        if not _ZERO <= fraction <= _ONE:
            raise ValueError(f"the scale's fraction for {count} correct must be between 0 and 1, got {fraction}")
        table[count] = fraction
    missing = [count for count in range(1, n + 1) if count not in table]
    if missing:
        raise ValueError(f"scale must give a fraction for every count from 1 to {n}; missing {missing}")
    table.setdefault(0, _ZERO)
    for count in range(1, n + 1):
        if table[count] < table[count - 1]:
            raise ValueError(
                f"scale must not decrease: {count} correct gives {table[count]}, "
                f"{count - 1} correct gives {table[count - 1]}"
            )
    if table[n] != _ONE:
        raise ValueError(f"scale must give 1 (all the points) for all {n} correct, got {table[n]}")
    return table


def score_true_false_group(
    response: object,
    keys: Mapping[str, bool],
    points: Number,
    *,
    scale: Mapping[int, Number] | Mapping[str, Number] | None = None,
) -> Score:
    """Score a group of true/false statements sharing one stem (national exam part II).

    Rule: count the statements answered correctly, ``c`` of ``n``; the score is
    ``scale[c] * points``, exactly (no rounding). The default scale is the national rule
    for ``n = 4``: ``{0: 0, 1: 0.1, 2: 0.25, 3: 0.5, 4: 1.0}`` (so an item worth 1 point
    gives 0, 0.1, 0.25, 0.5, 1.0).

    Parameters
    ----------
    response : object
        A mapping of statement id to ``True``/``False``. A statement that is missing, or
        whose value is not a boolean, is unanswered and not correct; ids that are not
        statements are ignored. ``None`` or an empty mapping is unanswered; a
        non-mapping is invalid. Both score 0.
    keys : mapping of str to bool
        The truth of each statement; non-empty.
    points : Decimal, int or str
        Points the item is worth, ``>= 0``.
    scale : mapping of int to Decimal, optional
        Fraction of the points by number correct, required when ``n != 4``. Keys are the
        counts ``1..n`` (all required) and optionally ``0`` (default 0; JSON digit strings
        such as ``"2"`` are accepted); fractions are in ``[0, 1]``, non-decreasing in the
        count, and all ``n`` correct must give 1.

    Returns
    -------
    Score
        ``detail``: ``{"status", "correct_count", "total", "statements": {id: "correct" |
        "incorrect" | "unanswered"}}``.

    Raises
    ------
    ValueError
        For empty or non-boolean ``keys``, a missing or invalid ``scale``, or bad ``points``.
    """
    total = _points(points)
    truth = _bool_mapping(keys, "keys")
    table = _tf_scale(scale, len(truth))
    if response is None:
        return _unanswered(total, correct_count=0, total=len(truth))
    if not isinstance(response, Mapping):
        return _invalid(total, "not a mapping of statement to true/false", correct_count=0, total=len(truth))
    if not response:
        return _unanswered(total, correct_count=0, total=len(truth))
    marks: dict[str, str] = {}
    for statement, expected in truth.items():
        given = response.get(statement)
        if not isinstance(given, bool):
            marks[statement] = "unanswered"
        else:
            marks[statement] = "correct" if given == expected else "incorrect"
    count = sum(1 for mark in marks.values() if mark == "correct")
    fraction = table[count]
    status = "correct" if fraction == _ONE else "partial" if fraction > 0 else "incorrect"
    return _score(total, fraction, status, correct_count=count, total=len(truth), statements=marks)


# --------------------------------------------------------------------------- 4. short numeric


def parse_decimal_answer(text: str) -> Decimal | None:
    """Parse a number as a student types it; ``None`` if it is not one.

    Accepted: surrounding whitespace; an optional leading sign ``+``, ``-`` or ``−``
    (U+2212); ASCII digits with at most one decimal separator, comma or point
    (``"-1,5"``, ``"+0.25"``, ``",5"``). Rejected: thousands separators or several
    separators (``"1.000,5"``, ``"1 000"``), a trailing separator (``"5,"``), exponents,
    letters, non-ASCII digits, and text over :data:`MAX_RESPONSE_LENGTH` characters.
    """
    if len(text) > MAX_RESPONSE_LENGTH:
        return None
    match = _NUMBER_RE.fullmatch(text.strip())
    if match is None:
        return None
    sign, body = match.groups()
    value = Decimal(body.replace(",", "."))
    return -value if sign in _MINUS_SIGNS else value


def _boxes_needed(value: Decimal) -> int:
    """Fewest boxes for ``value``: minus sign, integer digits (none if 0 before a comma), comma, decimals."""
    text = format(value.normalize() if value != 0 else _ZERO, "f")
    negative = text.startswith("-")
    text = text.lstrip("-")
    integer, _, decimals = text.partition(".")
    if integer == "0" and decimals:
        integer = ""
    return int(negative) + len(integer) + (1 + len(decimals) if decimals else 0)


def boxes_used(text: str) -> int:
    """Boxes a typed answer uses: every character after stripping spaces, except a leading '+'.

    The one rule for the national answer boxes: :func:`score_short_numeric` scores with it
    and the engine checks answers against it before storing them.
    """
    typed = text.strip()
    return len(typed) - 1 if typed.startswith("+") else len(typed)


def score_short_numeric(
    response: object,
    answer: Number,
    points: Number,
    *,
    tolerance: Number = 0,
    boxes: int | None = None,
) -> Score:
    """Score a short numeric answer (national exam part III).

    Rule: the typed text is parsed by :func:`parse_decimal_answer` (decimal comma or
    point, optional sign); the response is correct iff ``|value - answer| <= tolerance``,
    computed exactly (a response exactly at the tolerance is correct).

    Box layout (optional, the national layout is *unconfirmed*, so it is a parameter):
    with ``boxes = k`` the answer must be written in ``k`` character boxes, one character
    per box; the minus sign and the decimal comma each take a box, a leading ``+`` takes
    none (positive numbers carry no sign on the answer sheet) and surrounding spaces are
    ignored. ``"-1,5"`` needs 4 boxes, ``"0,25"`` 4 and ``",25"`` 3. A response that
    needs more than ``k`` boxes is wrong with reason ``"does not fit the boxes"``, even if
    its value is right.

    Parameters
    ----------
    response : object
        The text the student typed. ``None`` or blank is unanswered; a non-string or
        unparseable text (reason ``"unparseable"``) is invalid. Both score 0.
    answer : Decimal, int or str
        The correct value; a string may use a comma or point.
    points : Decimal, int or str
        Points the item is worth, ``>= 0``.
    tolerance : Decimal, int or str, default 0
        Absolute tolerance, ``>= 0``.
    boxes : int, optional
        Number of character boxes, ``>= 1``; ``answer`` must fit them.

    Returns
    -------
    Score
        ``detail``: ``{"status", "value"?: str, "reason"?}``; ``value`` is the parsed
        response with a decimal point.

    Raises
    ------
    ValueError
        For an unparseable ``answer``, a negative ``tolerance``, ``boxes < 1``, an answer
        that does not fit the boxes, or bad ``points``.
    """
    total = _points(points)
    expected = _decimal(answer, "answer")
    margin = _decimal(tolerance, "tolerance")
    if margin < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
    if boxes is not None:
        if not isinstance(boxes, int) or isinstance(boxes, bool) or boxes < 1:
            raise ValueError(f"boxes must be a whole number >= 1 or None, got {boxes!r}")
        if _boxes_needed(expected) > boxes:
            raise ValueError(f"answer {expected} does not fit in {boxes} boxes")
    try:
        with localcontext(_EXACT):
            low, high = expected - margin, expected + margin
    except (Inexact, InvalidOperation) as exc:
        raise ValueError("answer and tolerance are too far apart in scale to compare exactly") from exc
    if response is None or (isinstance(response, str) and not response.strip()):
        return _unanswered(total)
    if not isinstance(response, str):
        return _invalid(total, "not text")
    value = parse_decimal_answer(response)
    if value is None:
        return _invalid(total, "unparseable")
    shown = format(value, "f")
    if boxes is not None and boxes_used(response) > boxes:
        return _zero(total, "incorrect", "does not fit the boxes", value=shown)
    if low <= value <= high:
        return _score(total, _ONE, "correct", value=shown)
    return _zero(total, "incorrect", value=shown)


# --------------------------------------------------------------------------- 5. text entry


def normalise_text(text: str, *, ignore_diacritics: bool = False) -> str:
    """Normalise text for ``"normalised"`` matching.

    Unicode NFC, case folded (:meth:`str.casefold`), runs of whitespace collapsed to one
    space and trimmed. With ``ignore_diacritics``, Vietnamese (and other) marks are
    removed: decompose (NFD), drop combining marks, map ``đ``/``Đ`` to ``d``/``D``,
    recompose (NFC), so ``"Hà Nội"`` and ``"ha noi"`` both become ``"ha noi"``.
    """
    text = unicodedata.normalize("NFC", text).casefold()
    if ignore_diacritics:
        decomposed = unicodedata.normalize("NFD", text)
        stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        text = unicodedata.normalize("NFC", stripped.replace("đ", "d").replace("Đ", "D"))
    return " ".join(text.split())


_QUANTIFIED_GROUP_RE: Final = re.compile(r"\)(?:[*+]|\{\d*(?:,\d*)?\})")  # ')' then a repetition
_UNBOUNDED_BRACES_RE: Final = re.compile(r"\{\d*,\}")  # {m,}


def _nested_quantifier(pattern: str) -> bool:
    r"""Heuristic: an unboundedly repeated group that itself contains a repetition.

    Scans the pattern for groups (ignoring escapes and character classes); flags a group
    followed by a repetition (``*``, ``+``, ``{m}``, ``{m,n}``, ``{m,}``) whose body holds an
    unbounded one (``*``, ``+``, ``{m,}``). Bounded inner repetitions such as
    ``(\d{3}\.)+`` are allowed.
    """
    stack: list[bool] = []  # per open group: does it contain a quantifier?
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif ch == "(":
            stack.append(False)
        elif ch == ")" and stack:
            inner = stack.pop()
            if inner and _QUANTIFIED_GROUP_RE.match(pattern, i):
                return True
            if stack:
                stack[-1] = stack[-1] or inner
        elif stack and (ch in "*+" or (ch == "{" and _UNBOUNDED_BRACES_RE.match(pattern, i))):
            stack[-1] = True
        i += 1
    return False


def _prepare_text(text: str, mode: str, ignore_diacritics: bool) -> str:
    if mode == "normalised":
        return normalise_text(text, ignore_diacritics=ignore_diacritics)
    if mode == "pattern":
        return unicodedata.normalize("NFC", text).strip()
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=1024)
def _compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile an accepted pattern once (cached); ValueError for invalid or risky patterns."""
    if len(pattern) > _MAX_KEY_TEXT:
        raise ValueError(f"pattern is longer than {_MAX_KEY_TEXT} characters")
    if _nested_quantifier(pattern):
        raise ValueError(
            f"pattern {pattern!r} repeats a group that contains a repetition (like '(a+)+'), "
            "which can take exponential time; rewrite it without nested quantifiers"
        )
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from exc


def score_text_entry(
    response: object,
    answers: Sequence[str],
    points: Number,
    *,
    match: str = "exact",
    ignore_diacritics: bool = False,
) -> Score:
    """Score a text entry (fill in a word or phrase).

    Rules (``match``)
    -----------------
    ``"exact"``
        The response equals an accepted answer exactly (after Unicode NFC of both, so
        composed and decomposed Vietnamese letters compare equal; no trimming).
    ``"normalised"``
        :func:`normalise_text` of the response equals that of an accepted answer: case
        folded, whitespace collapsed and trimmed, NFC; with ``ignore_diacritics`` also
        marks removed and ``đ`` read as ``d``.
    ``"pattern"``
        Each accepted answer is a Python regular expression; the response (NFC,
        surrounding whitespace trimmed) must match one in full (:func:`re.fullmatch`, no
        flags: write ``(?i)`` for case-insensitivity). Patterns are validated and
        compiled once (cached). Guard against catastrophic backtracking: patterns with
        nested unbounded quantifiers (``(a+)+``, ``(\\w*)*``) are rejected as keys, and
        responses longer than :data:`MAX_RESPONSE_LENGTH` (1,000) characters are never
        matched. The length cap bounds polynomial backtracking (``.*.*x``) but cannot
        make every pattern safe (e.g. overlapping alternatives ``(a|a)*``): patterns are
        reviewed with the item.

    Parameters
    ----------
    response : object
        The typed text. ``None`` or blank is unanswered; a non-string, or text over
        :data:`MAX_RESPONSE_LENGTH` characters (reason ``"too long"``), is invalid.
    answers : sequence of str
        Accepted answers (or patterns), non-empty; each non-blank.
    points : Decimal, int or str
        Points the item is worth, ``>= 0``.
    match : {"exact", "normalised", "pattern"}
        The rule above.
    ignore_diacritics : bool, default False
        Only with ``match="normalised"``.

    Returns
    -------
    Score
        ``detail``: ``{"status", "matched"?: index of the accepted answer, "reason"?}``.

    Raises
    ------
    ValueError
        For no answers, a blank or non-string answer, an invalid or risky pattern, an
        unknown ``match``, ``ignore_diacritics`` outside normalised matching, bad points.
    """
    total = _points(points)
    mode = _mode(match, ("exact", "normalised", "pattern"), "match")
    if not isinstance(ignore_diacritics, bool):
        raise ValueError(f"ignore_diacritics must be true or false, got {ignore_diacritics!r}")
    if ignore_diacritics and mode != "normalised":
        raise ValueError("ignore_diacritics applies only to match 'normalised'")
    if isinstance(answers, str) or not isinstance(answers, list | tuple) or not answers:
        raise ValueError("answers must be a non-empty list of accepted answers")
    for answer in answers:
        if not isinstance(answer, str) or not answer.strip():
            raise ValueError(f"each accepted answer must be non-blank text, got {answer!r}")
        if len(answer) > _MAX_KEY_TEXT:
            raise ValueError(f"accepted answers are limited to {_MAX_KEY_TEXT} characters")
    patterns = [_compile_pattern(answer) for answer in answers] if mode == "pattern" else []
    targets = [_prepare_text(answer, mode, ignore_diacritics) for answer in answers] if mode != "pattern" else []
    if response is None or (isinstance(response, str) and not response.strip()):
        return _unanswered(total)
    if not isinstance(response, str):
        return _invalid(total, "not text")
    if len(response) > MAX_RESPONSE_LENGTH:
        return _invalid(total, "too long")
    text = _prepare_text(response, mode, ignore_diacritics)
    if mode == "pattern":
        matched = next((i for i, pattern in enumerate(patterns) if pattern.fullmatch(text) is not None), None)
    else:
        matched = next((i for i, target in enumerate(targets) if text == target), None)
    if matched is None:
        return _zero(total, "incorrect")
    return _score(total, _ONE, "correct", matched=matched)


# --------------------------------------------------------------------------- 6, 7. gaps and pairs


def _score_parts(
    response: object,
    key: dict[str, str],
    total: Decimal,
    mode: str,
    *,
    split_mode: str,
    allowed: Mapping[str, frozenset[str]] | None = None,
    part_name: str,
) -> Score:
    """Shared rule for mappings of part id -> chosen id (cloze gaps, matching premises)."""
    if response is None:
        return _unanswered(total, correct_count=0, total=len(key))
    if not isinstance(response, Mapping):
        return _invalid(total, f"not a mapping of {part_name} to choice", correct_count=0, total=len(key))
    marks: dict[str, str] = {}
    for part, expected in key.items():
        given = response.get(part)
        if given is None or given == "":
            marks[part] = "unanswered"
        elif not isinstance(given, str) or (allowed is not None and given not in allowed[part]):
            marks[part] = "invalid"
        else:
            marks[part] = "correct" if given == expected else "incorrect"
    count = sum(1 for mark in marks.values() if mark == "correct")
    detail: dict[str, object] = {"correct_count": count, "total": len(key), f"{part_name}s": marks}
    if all(mark == "unanswered" for mark in marks.values()):
        return _unanswered(total, **detail)
    if mode == split_mode:
        return _share_score(total, count, len(key), **detail)
    if count == len(key):
        return _score(total, _ONE, "correct", **detail)
    return _zero(total, "incorrect", **detail)


def score_inline_choice(
    response: object,
    keys: Mapping[str, str],
    points: Number,
    *,
    scoring: str = "all_or_nothing",
    options: Mapping[str, Collection[str]] | None = None,
) -> Score:
    """Score an inline-choice cloze (a drop-down list in each gap of a text).

    Rules
    -----
    ``"all_or_nothing"``: full points only if every gap holds its key option.
    ``"per_gap"``: each gap is worth an equal share, ``points * correct / gaps``, rounded
    to 0.01 half up and never above ``points`` (all gaps right is exactly ``points``).

    Parameters
    ----------
    response : object
        Mapping of gap id to chosen option id. A missing, ``None`` or empty gap is
        unanswered; a non-string (or, with ``options``, unknown) choice is invalid for that
        gap; ids that are not gaps are ignored. A non-mapping is invalid. All score 0 for
        those gaps.
    keys : mapping of str to str
        Gap id -> correct option id; non-empty.
    points : Decimal, int or str
        Points the item is worth, ``>= 0``.
    scoring : {"all_or_nothing", "per_gap"}
    options : mapping of str to collection of str, optional
        Each gap's option ids; when given, every gap must have options holding its key.

    Returns
    -------
    Score
        ``detail``: ``{"status", "correct_count", "total", "gaps": {gap: "correct" |
        "incorrect" | "unanswered" | "invalid"}}``.

    Raises
    ------
    ValueError
        For empty or non-string keys, a key not among its gap's options, an unknown
        ``scoring``, bad points.
    """
    total = _points(points)
    key = _id_mapping(keys, "keys")
    mode = _mode(scoring, ("all_or_nothing", "per_gap"))
    allowed: dict[str, frozenset[str]] | None = None
    if options is not None:
        if not isinstance(options, Mapping):
            raise ValueError("options must be a mapping of gap id to a list of option ids")
        allowed = {}
        for gap, expected in key.items():
            if gap not in options:
                raise ValueError(f"gap {gap!r} has no options")
            allowed[gap] = frozenset(_identifiers(options[gap], f"options of gap {gap!r}"))
            if expected not in allowed[gap]:
                raise ValueError(f"the key {expected!r} of gap {gap!r} is not among its options")
    return _score_parts(response, key, total, mode, split_mode="per_gap", allowed=allowed, part_name="gap")


def score_matching(
    response: object,
    pairs: Mapping[str, str],
    points: Number,
    *,
    scoring: str = "all_or_nothing",
) -> Score:
    """Score a matching item (premises matched to responses).

    Rules
    -----
    ``"all_or_nothing"``: full points only if every premise is matched to its key.
    ``"per_pair"``: each premise is worth an equal share, ``points * correct / premises``,
    rounded to 0.01 half up and never above ``points``. Several premises may share a
    response id (as in QTI ``matchMax`` > 1); extra pairs for unknown premises are ignored.

    Parameters
    ----------
    response : object
        Mapping of premise id to response id; missing, ``None`` or empty is unanswered
        for that premise, a non-string value invalid for it; a non-mapping is invalid.
    pairs : mapping of str to str
        Premise id -> correct response id; non-empty.
    points : Decimal, int or str
        Points the item is worth, ``>= 0``.
    scoring : {"all_or_nothing", "per_pair"}

    Returns
    -------
    Score
        ``detail``: ``{"status", "correct_count", "total", "premises": {premise: mark}}``.

    Raises
    ------
    ValueError
        For empty or non-string pairs, an unknown ``scoring``, bad points.
    """
    total = _points(points)
    key = _id_mapping(pairs, "pairs")
    mode = _mode(scoring, ("all_or_nothing", "per_pair"))
    return _score_parts(response, key, total, mode, split_mode="per_pair", part_name="premise")


# --------------------------------------------------------------------------- 8. ordering


def _longest_increasing(values: Sequence[int]) -> int:
    """Length of the longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []
    for value in values:
        at = bisect_left(tails, value)
        if at == len(tails):
            tails.append(value)
        else:
            tails[at] = value
    return len(tails)


def score_ordering(
    response: object,
    order: Sequence[str],
    points: Number,
    *,
    scoring: str = "all_or_nothing",
) -> Score:
    """Score an ordering item (put the elements in the right order).

    Rules
    -----
    ``"all_or_nothing"``
        Full points only if the response is exactly ``order``.
    ``"partial"`` (longest correctly ordered subsequence)
        ``L`` is the length of the longest subsequence of the response whose elements
        appear in the same relative order as in ``order`` (the longest common subsequence
        of the two sequences). With ``n = len(order)``::

            fraction = L / n   if L >= 2,   0 otherwise

        A single element is always "in order" by itself, so it earns nothing: a fully
        reversed order scores 0, one element moved to the wrong place ``(n - 1) / n``.
        Points are rounded as in the module notes.

    Parameters
    ----------
    response : object
        List of element ids in the order given. ``None`` or empty is unanswered; a
        non-list, a non-string element, a repeated element or an id not in ``order`` is
        invalid. A response that omits elements is scored on what it holds (all or
        nothing needs them all).
    order : sequence of str
        The correct order; at least 2 distinct ids.
    points : Decimal, int or str
        Points the item is worth, ``>= 0``.
    scoring : {"all_or_nothing", "partial"}

    Returns
    -------
    Score
        ``detail``: ``{"status", "in_order": L, "total": n}`` or a reason.

    Raises
    ------
    ValueError
        For fewer than 2 or repeated ids, an unknown ``scoring``, bad points.
    """
    total = _points(points)
    correct = _identifiers(order, "order", ordered=True)
    if len(correct) < 2:
        raise ValueError("order must have at least 2 elements")
    mode = _mode(scoring, ("all_or_nothing", "partial"))
    if response is None:
        return _unanswered(total)
    if not isinstance(response, list | tuple):
        return _invalid(total, "not a list of ids")
    if not response:
        return _unanswered(total)
    position = {element: index for index, element in enumerate(correct)}
    if len(response) > len(correct) or not all(isinstance(item, str) and item in position for item in response):
        return _invalid(total, "unknown element id")
    if len(set(response)) != len(response):
        return _invalid(total, "repeated element id")
    longest = _longest_increasing([position[item] for item in response])
    detail = {"in_order": longest, "total": len(correct)}
    if mode == "all_or_nothing":
        if list(response) == correct:
            return _score(total, _ONE, "correct", **detail)
        return _zero(total, "incorrect", **detail)
    return _share_score(total, longest if longest >= 2 else 0, len(correct), **detail)


# --------------------------------------------------------------------------- 9. essay


def count_words(text: str) -> int:
    """Words of an essay: runs of characters between Unicode whitespace (``str.split()``).

    The one word count of the engine: an essay's ``max_words`` is checked with it when an
    answer arrives, and :func:`score_essay` reports it.
    """
    return len(text.split())


def score_essay(response: object, points: Number) -> Score:
    """Record an essay response: no automatic score.

    Rule: always pending (``points`` and ``fraction`` are ``None``); a person marks it
    against the rubric with :func:`score_essay_by_rubric`.

    Parameters
    ----------
    response : object
        The essay text; anything else (or blank) is recorded as not answered.
    points : Decimal, int or str
        Points the item is worth, ``>= 0``.

    Returns
    -------
    Score
        ``pending=True``; ``detail``: ``{"status": "pending", "reason": "needs a person
        with a rubric", "answered": bool, "words": int}``.
    """
    total = _points(points)
    answered = isinstance(response, str) and bool(response.strip())
    words = count_words(response) if isinstance(response, str) else 0
    detail = {"status": "pending", "reason": "needs a person with a rubric", "answered": answered, "words": words}
    return Score(None, total, None, detail, pending=True)


def _rubric(rubric: object) -> dict[str, dict[str, Decimal]]:
    if isinstance(rubric, str | Mapping) or not isinstance(rubric, Sequence) or not rubric:
        raise ValueError("rubric must be a non-empty list of {criterion, levels} objects")
    table: dict[str, dict[str, Decimal]] = {}
    for entry in rubric:
        if not isinstance(entry, Mapping):
            raise ValueError("each rubric criterion must be a {criterion, levels} object")
        name = _identifier(entry.get("criterion"), "rubric criterion")
        if name in table:
            raise ValueError(f"rubric criterion {name!r} appears twice")
        levels = entry.get("levels")
        if isinstance(levels, str | Mapping) or not isinstance(levels, Sequence) or not levels:
            raise ValueError(f"rubric criterion {name!r} needs a non-empty list of levels")
        table[name] = {}
        for level in levels:
            if not isinstance(level, Mapping):
                raise ValueError(f"each level of criterion {name!r} must be a {{label, points}} object")
            label = _identifier(level.get("label"), f"a level label of criterion {name!r}")
            if label in table[name]:
                raise ValueError(f"criterion {name!r} has level {label!r} twice")
            value = _decimal(level.get("points"), f"points of level {label!r} of criterion {name!r}")
            if value < 0:
                raise ValueError(f"points of level {label!r} of criterion {name!r} must be >= 0")
            table[name][label] = value
    return table


def _rubric_maximum(table: Mapping[str, Mapping[str, Decimal]], total: Decimal) -> Decimal:
    """The most the rubric can award; ValueError if that exceeds the item's points."""
    with localcontext(_CONTEXT):
        best = sum((max(options.values()) for options in table.values()), _ZERO)
    if best > total:
        raise ValueError(f"the rubric can award {best} points, more than the item's {total}")
    return best


def score_essay_by_rubric(
    levels: Mapping[str, str],
    rubric: Sequence[Mapping[str, object]],
    points: Number,
) -> Score:
    """Score an essay from the rubric levels a marker chose.

    Rule: the sum of the chosen level's points over every criterion, exact.

    Parameters
    ----------
    levels : mapping of str to str
        Criterion name -> chosen level label; every criterion must be marked.
    rubric : sequence of mappings
        ``[{"criterion": name, "levels": [{"label": label, "points": decimal}, ...]}, ...]``
        (decision 0003's shape); names and labels distinct, level points ``>= 0``; the
        best level of every criterion together must not exceed ``points``.
    points : Decimal, int or str
        Points the item is worth, ``>= 0``.

    Returns
    -------
    Score
        ``detail``: ``{"status", "criteria": {criterion: {"level": label, "points": str}}}``.

    Raises
    ------
    ValueError
        For an invalid rubric, a rubric worth more than ``points``, a criterion not marked,
        an unknown criterion, or a chosen level that does not exist. (Markers' choices are
        validated, unlike students' responses: a wrong choice is a form error to show.)
    """
    total = _points(points)
    table = _rubric(rubric)
    best = _rubric_maximum(table, total)
    if not isinstance(levels, Mapping):
        raise ValueError("levels must be a mapping of criterion to chosen level label")
    unknown = sorted(str(name) for name in levels if name not in table)
    if unknown:
        raise ValueError(f"criteria {unknown} are not in the rubric")
    missing = [name for name in table if name not in levels]
    if missing:
        raise ValueError(f"criteria {missing} have no level chosen")
    awarded = _ZERO
    criteria: dict[str, object] = {}
    for name, options in table.items():
        label = levels[name]
        if not isinstance(label, str) or label not in options:
            raise ValueError(f"level {label!r} does not exist for criterion {name!r}; choose one of {list(options)}")
        with localcontext(_CONTEXT):
            awarded += options[label]
        criteria[name] = {"level": label, "points": str(options[label])}
    with localcontext(_CONTEXT):
        fraction = awarded / total if total > 0 else (_ONE if best == awarded else _ZERO)
    status = "correct" if awarded == total else "partial" if awarded > 0 else "incorrect"
    return Score(awarded, total, fraction, {"status": status, "criteria": criteria})


# --------------------------------------------------------------------------- dispatcher

_KEY_FIELDS: Final[Mapping[str, frozenset[str]]] = {
    "single_choice": frozenset({"key"}),
    "multiple_response": frozenset({"keys", "scoring", "options"}),
    "true_false_group": frozenset({"keys", "scale"}),
    "short_numeric": frozenset({"answer", "tolerance", "boxes"}),
    "text_entry": frozenset({"answers", "match", "ignore_diacritics"}),
    "inline_choice": frozenset({"keys", "scoring", "options"}),
    "matching": frozenset({"pairs", "scoring"}),
    "ordering": frozenset({"order", "scoring"}),
    "essay": frozenset({"rubric", "max_words"}),
}


def _number_field(value: object, what: str) -> Number:
    return _decimal(value, what)


def score_response(item_type: str, response: object, key: Mapping[str, object], points: Number) -> Score:
    """Score one response with the rule of its item type (the engine's entry point).

    Parameters
    ----------
    item_type : str
        One of :data:`ITEM_TYPES`.
    response : object
        The candidate's response as received (JSON-decoded); never raises on it.
    key : mapping
        The key document of decision 0003 (``key(content)`` of the item type):

        - ``single_choice``: ``{"key": id}``
        - ``multiple_response``: ``{"keys": [id], "scoring"?: "all_or_nothing" | "partial",
          "options"?: [id]}``
        - ``true_false_group``: ``{"keys": {id: bool}, "scale"?: {count: fraction}}``
        - ``short_numeric``: ``{"answer": "decimal", "tolerance"?: "decimal",
          "boxes"?: int | null}``
        - ``text_entry``: ``{"answers": [text], "match"?: "exact" | "normalised" |
          "pattern", "ignore_diacritics"?: bool}``
        - ``inline_choice``: ``{"keys": {gap: option}, "scoring"?: "all_or_nothing" |
          "per_gap", "options"?: {gap: [option]}}``
        - ``matching``: ``{"pairs": {premise: response}, "scoring"?: "all_or_nothing" |
          "per_pair"}``
        - ``ordering``: ``{"order": [id], "scoring"?: "all_or_nothing" | "partial"}``
        - ``essay``: ``{"rubric"?: [...], "max_words"?: int}`` (always pending here)

        Omitted settings take the rule's default (``all_or_nothing``, ``exact``,
        tolerance 0, no boxes, the national true/false scale). Unknown fields are an error.
    points : Decimal, int or str
        Points the item is worth, ``>= 0``.

    Returns
    -------
    Score

    Raises
    ------
    ValueError
        For an unknown item type, a key that is not a mapping, a missing or unknown field,
        or any invalid key value (see each rule).
    """
    if item_type not in _KEY_FIELDS:
        raise ValueError(f"unknown item type {item_type!r}; expected one of {', '.join(ITEM_TYPES)}")
    if not isinstance(key, Mapping):
        raise ValueError(f"the key of a {item_type} item must be a mapping")
    unknown = sorted(str(name) for name in key if name not in _KEY_FIELDS[item_type])
    if unknown:
        raise ValueError(f"unknown fields {unknown} in the key of a {item_type} item")

    def need(name: str) -> object:
        if name not in key:
            raise ValueError(f"the key of a {item_type} item needs {name!r}")
        return key[name]

    scoring_mode = key.get("scoring", "all_or_nothing")
    if not isinstance(scoring_mode, str):
        raise ValueError(f"scoring must be a string such as 'all_or_nothing', got {scoring_mode!r}")
    if item_type == "single_choice":
        return score_single_choice_item(response, _identifier(need("key"), "key"), points)
    if item_type == "multiple_response":
        options = key.get("options")
        return score_multiple_response(
            response,
            _identifiers(need("keys"), "keys"),
            points,
            scoring=scoring_mode,
            options=None if options is None else _identifiers(options, "options"),
        )
    if item_type == "true_false_group":
        scale = key.get("scale")
        if scale is not None and not isinstance(scale, Mapping):
            raise ValueError("scale must be a mapping of number correct to fraction of the points")
        table = None if scale is None else {k: _number_field(v, "a scale fraction") for k, v in scale.items()}
        return score_true_false_group(response, _bool_mapping(need("keys"), "keys"), points, scale=table)
    if item_type == "short_numeric":
        boxes = key.get("boxes")
        if boxes is not None and (not isinstance(boxes, int) or isinstance(boxes, bool)):
            raise ValueError(f"boxes must be a whole number >= 1 or null, got {boxes!r}")
        return score_short_numeric(
            response,
            _number_field(need("answer"), "answer"),
            points,
            tolerance=_number_field(key.get("tolerance", 0), "tolerance"),
            boxes=boxes,
        )
    if item_type == "text_entry":
        answers = need("answers")
        if isinstance(answers, str) or not isinstance(answers, list | tuple):
            raise ValueError("answers must be a non-empty list of accepted answers")
        match = key.get("match", "exact")
        ignore = key.get("ignore_diacritics", False)
        if not isinstance(ignore, bool):
            raise ValueError(f"ignore_diacritics must be true or false, got {ignore!r}")
        return score_text_entry(
            response,
            [a if isinstance(a, str) else _identifier(a, "an accepted answer") for a in answers],
            points,
            match=_mode(match, ("exact", "normalised", "pattern"), "match"),
            ignore_diacritics=ignore,
        )
    if item_type == "inline_choice":
        options = key.get("options")
        if options is not None and not isinstance(options, Mapping):
            raise ValueError("options must be a mapping of gap id to a list of option ids")
        gap_options = (
            None
            if options is None
            else {str(gap): _identifiers(ids, f"options of gap {gap!r}") for gap, ids in options.items()}
        )
        return score_inline_choice(
            response, _id_mapping(need("keys"), "keys"), points, scoring=scoring_mode, options=gap_options
        )
    if item_type == "matching":
        return score_matching(response, _id_mapping(need("pairs"), "pairs"), points, scoring=scoring_mode)
    if item_type == "ordering":
        return score_ordering(
            response, _identifiers(need("order"), "order", ordered=True), points, scoring=scoring_mode
        )
    rubric = key.get("rubric")
    if rubric is not None:
        _rubric_maximum(_rubric(rubric), _points(points))
    return score_essay(response, points)


def validate_key(item_type: str, key: Mapping[str, object], points: Number) -> None:
    """Check an item's key and settings at authoring time.

    Runs :func:`score_response` on an unanswered response, so it applies exactly the
    checks scoring applies (and, for essays, validates the rubric against ``points``).

    Raises
    ------
    ValueError
        With the first problem found.
    """
    score_response(item_type, None, key, points)
