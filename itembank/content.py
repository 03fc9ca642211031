"""Authoring-time logic over an item version's ``content`` document, per item type.

An item version stores ``item_type`` and ``content`` (decision 0003): the stem, the type's
fields and its key fields, text as sanitised HTML fragments that may hold LaTeX. This module
is the one place that knows each type's document:

- :func:`validate_content` checks a whole document and returns it normalised (text
  sanitised, settings defaulted); errors are a ``ValidationError`` keyed by field.
- :func:`scoring_key` is the key document ``scoring.item_rules.score_response`` needs.
- :func:`student_view` is everything a student may see, rendered; never a key.
- :func:`response_rule` and :func:`check_response` check a response against its item's
  rules on delivery.
- :func:`new_response_ids` draws the random ids a student is shown instead of the
  version's (kept per form item); :func:`response_from_shown` and
  :func:`response_to_shown` translate responses between the two.
- :func:`search_text`, :func:`key_summary` and :func:`content_diff` serve the bank's lists,
  search and review.

Each type is one handler in ``_HANDLERS``; the public functions only dispatch.
"""

from __future__ import annotations

import difflib
import html
import random
import re
import secrets
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from functools import partial
from html.parser import HTMLParser
from types import MappingProxyType
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from scoring.item_rules import (
    DEFAULT_TRUE_FALSE_SCALE,
    MAX_RESPONSE_LENGTH,
    boxes_used,
    count_words,
    parse_decimal_answer,
    validate_key,
)

from .media import map_texts
from .rendering import GAP_MARKER, render_html
from .richtext import reference_problems, sanitize_html

__all__ = [
    "COUNT_LIMITS",
    "MAX_ESSAY_CHARS",
    "MAX_ID_CHARS",
    "MAX_NUMERIC_CHARS",
    "MAX_OPTION_CHARS",
    "MAX_STEM_CHARS",
    "MAX_TEXT_ENTRY_CHARS",
    "ResponseIds",
    "check_response",
    "content_diff",
    "from_single_choice_columns",
    "key_summary",
    "new_response_ids",
    "response_from_shown",
    "response_rule",
    "response_to_shown",
    "shown_id_lookup",
    "scoring_key",
    "search_text",
    "student_view",
    "validate_content",
]

MediaUrl = Callable[[str], str]

MAX_STEM_CHARS = 20_000
EXPLANATION = "explanation"
"""An optional field of every type: why the key is right, shown to a student only when the
feedback policy of their sitting allows it, after their results are released."""

MAX_OPTION_CHARS = 5_000
"""Limit of every option-like text: options, statements, gap options, premises, responses, elements."""
MAX_ID_CHARS = 40
COUNT_LIMITS: Mapping[str, tuple[int, int]] = MappingProxyType(
    {
        "options": (2, 10),
        "statements": (1, 8),  # a single true/false question is a group of one (Moodle, GIFT)
        "gaps": (1, 20),
        "gap options": (2, 10),
        "premises": (2, 12),
        "responses": (1, 12),  # several premises may share one response
        "elements": (2, 12),
    }
)
"""How many entries each list may have (inclusive)."""
MAX_ANSWERS = 20
MAX_ANSWER_CHARS = 1_000
MAX_BOXES = 20
MAX_WORDS = 5_000
MAX_RUBRIC_CRITERIA = 20
MAX_RUBRIC_LEVELS = 10
MAX_RUBRIC_TEXT = 200

# Longest response values a student may send (the contract's limits).
MAX_NUMERIC_CHARS = 20
MAX_TEXT_ENTRY_CHARS = MAX_RESPONSE_LENGTH
MAX_ESSAY_CHARS = 20_000

_BAD_ID = re.compile(r"[\s{}]")  # spaces would break QTI pairs, braces the {{gap}} markers


# --------------------------------------------------------------------------- errors


class _Errors:
    """Collects messages by field; raises them together as one ``ValidationError``."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(message)

    def has(self, *fields: str) -> bool:
        return any(field in self.by_field for field in fields)

    def raise_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


# --------------------------------------------------------------------------- text helpers


# Tags that separate words (inline ones such as <sub> do not: H<sub>2</sub>O is one word).
_BREAKING_TAGS = frozenset(
    {"p", "br", "div", "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "caption"}
    | {"pre", "img", "math"}
)


class _TextCollector(HTMLParser):
    """The text of a fragment (entities unescaped), and whether it shows an image or formula."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.media = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKING_TAGS:
            self.parts.append(" ")
        self.media = self.media or tag in {"img", "math"}

    def handle_endtag(self, tag: str) -> None:
        if tag in _BREAKING_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _collect(fragment: str) -> _TextCollector:
    collector = _TextCollector()
    collector.feed(fragment)
    collector.close()
    return collector


def _plain(fragment: str) -> str:
    """The text of an HTML fragment: tags dropped, entities unescaped, whitespace collapsed."""
    return " ".join("".join(_collect(fragment).parts).split())


def _is_blank(fragment: str) -> bool:
    """No visible text and no image or formula."""
    collector = _collect(fragment)
    return not collector.media and not "".join(collector.parts).strip()


def _collect_reference_problems(found: list[str], text: str) -> str:
    found.extend(reference_problems(text))
    return text


def _html_text(value: object) -> str | None:
    """A text field as stored: sanitised and stripped; ``None`` if it is not a string."""
    if not isinstance(value, str):
        return None
    return sanitize_html(value).strip()


def _id_problem(value: object, where: str) -> str | None:
    if not isinstance(value, str) or not value:
        return _("%(where)s has no id.") % {"where": where}
    if len(value) > MAX_ID_CHARS:
        return _("%(where)s has an id longer than %(max)d characters.") % {"where": where, "max": MAX_ID_CHARS}
    if _BAD_ID.search(value) or any(unicodedata.category(ch).startswith("C") for ch in value):
        return _("%(where)s has the id '%(id)s', which contains spaces, braces or control characters.") % {
            "where": where,
            "id": value,
        }
    return None


def _decimal(value: object) -> Decimal | None:
    """A decimal from a number or a decimal string (comma or point); ``None`` if not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float):
        number = Decimal(str(value))
    elif isinstance(value, str):
        parsed = parse_decimal_answer(value)
        if parsed is None:
            return None
        number = parsed
    else:
        return None
    return number if number.is_finite() else None


def _decimal_text(number: Decimal) -> str:
    return format(number, "f")


def _count_problem(items: Sequence[object], limits: tuple[int, int], plural: str, where: str = "") -> str | None:
    minimum, maximum = limits
    if minimum <= len(items) <= maximum:
        return None
    message = _("Give between %(min)d and %(max)d %(items)s; there are %(count)d.") % {
        "min": minimum,
        "max": maximum,
        "items": _(plural),
        "count": len(items),
    }
    return f"{where}: {message}" if where else message


def _list_of(value: object) -> list[object] | None:
    return list(value) if isinstance(value, list | tuple) else None


def _choices(
    value: object,
    *,
    field: str,
    errors: _Errors,
    label: Callable[[int], str],
    plural: str,
    limits: tuple[int, int],
    where: str = "",
    pinnable: bool = False,
) -> list[dict[str, Any]] | None:
    """A list of ``{id, text}``: count, shape, ids and texts checked; ``None`` if unusable.

    ``label(n)`` names the n-th entry in messages ("Option 3"); ``where`` prefixes the
    count message ("Gap g1"). With ``pinnable``, an entry may carry ``"pinned": true``: it
    keeps its place when a test code shuffles the others (:func:`new_arrangement`), as
    "all of the above" must; ``false`` is dropped, so unpinned content stays as it was.
    """
    entries = _list_of(value)
    if entries is None:
        message = _("Give the %(items)s as a list.") % {"items": _(plural)}
        errors.add(field, f"{where}: {message}" if where else message)
        return None
    problem = _count_problem(entries, limits, plural, where)
    if problem:
        errors.add(field, problem)
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    ok = problem is None
    allowed = {"id", "text", "pinned"} if pinnable else {"id", "text"}
    for number, entry in enumerate(entries, start=1):
        name = label(number)
        if not isinstance(entry, Mapping):
            errors.add(field, _("%(where)s must be an object with an id and a text.") % {"where": name})
            ok = False
            continue
        unknown = sorted(str(key) for key in entry if key not in allowed)
        if unknown:
            errors.add(
                field, _("%(where)s has unknown fields: %(fields)s.") % {"where": name, "fields": ", ".join(unknown)}
            )
            ok = False
        entry_id = entry.get("id")
        id_problem = _id_problem(entry_id, name)
        if id_problem:
            errors.add(field, id_problem)
            ok = False
        elif entry_id in seen:
            errors.add(field, _("%(where)s repeats the id '%(id)s'.") % {"where": name, "id": entry_id})
            ok = False
        text = _html_text(entry.get("text"))
        if text is None or _is_blank(text):
            errors.add(field, _("%(where)s has no text.") % {"where": name})
            ok = False
        elif len(text) > MAX_OPTION_CHARS:
            errors.add(
                field, _("%(where)s is longer than %(max)d characters.") % {"where": name, "max": MAX_OPTION_CHARS}
            )
            ok = False
        pinned = entry.get("pinned", False)
        if not isinstance(pinned, bool):
            errors.add(field, _("%(where)s: 'pinned' must be true or false.") % {"where": name})
            ok = False
        if isinstance(entry_id, str) and text is not None:
            seen.add(entry_id)
            result.append({"id": entry_id, "text": text, **({"pinned": True} if pinned is True else {})})
    return result if ok else None


def _ids_text(ids: Sequence[str]) -> str:
    return ", ".join(ids)


def _mode(content: Mapping[str, Any], field: str, allowed: Sequence[str], errors: _Errors) -> str:
    value = content.get(field)
    if value is None:
        return allowed[0]
    if value not in allowed:
        errors.add(
            field,
            _("'%(value)s' is not a %(field)s setting; use one of %(allowed)s.")
            % {"value": value, "field": field, "allowed": ", ".join(allowed)},
        )
        return allowed[0]
    return str(value)


def _views(entries: Sequence[Mapping[str, str]], media_url: MediaUrl | None) -> list[dict[str, str]]:
    return [{"id": entry["id"], "html": str(render_html(entry["text"], media_url=media_url))} for entry in entries]


def _ids(entries: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(str(entry["id"]) for entry in entries)


# --------------------------------------------------------------------------- response checks

# Messages a student's client may show (invalid_value): translated, never naming a key. The
# ids they quote are the ones the student was shown (the rule is built over those).


def _kind_name(value: object) -> str:
    if isinstance(value, str):
        return str(_("text"))
    if isinstance(value, bool):
        return str(_("true or false"))
    if isinstance(value, int | float):
        return str(_("a number"))
    if isinstance(value, list):
        return str(_("a list"))
    if isinstance(value, Mapping):
        return str(_("an object"))
    return str(_("nothing"))


def _response_text(value: object, limit: int) -> str:
    if not isinstance(value, str):
        raise ValueError(_("The answer must be text, not %(kind)s.") % {"kind": _kind_name(value)})
    if len(value) > limit:
        raise ValueError(
            _("The text has %(count)d characters; at most %(max)d are allowed.") % {"count": len(value), "max": limit}
        )
    return value


def _response_id(value: object, allowed: Sequence[str], what: str) -> None:
    if not isinstance(value, str):
        raise ValueError(
            _("The answer must give the id of %(what)s as text, not %(kind)s.")
            % {"what": what, "kind": _kind_name(value)}
        )
    if value not in allowed:
        raise ValueError(
            _("'%(id)s' is not %(what)s; expected one of %(ids)s.")
            % {"id": value[:MAX_ID_CHARS], "what": what, "ids": ", ".join(allowed)}
        )


def _response_id_list(value: object, allowed: Sequence[str], what: str) -> None:
    if not isinstance(value, list):
        raise ValueError(_("The answer must be a list of ids, not %(kind)s.") % {"kind": _kind_name(value)})
    if len(value) > len(allowed):
        raise ValueError(
            _("The list has %(count)d ids; there are only %(max)d.") % {"count": len(value), "max": len(allowed)}
        )
    seen: set[str] = set()
    for entry in value:
        _response_id(entry, allowed, what)
        if entry in seen:
            raise ValueError(_("'%(id)s' is given twice.") % {"id": entry})
        seen.add(entry)


def _response_mapping(value: object, what: str) -> Mapping[object, object]:
    if not isinstance(value, Mapping):
        raise ValueError(
            _("The answer must be an object from the ids of %(what)s to answers, not %(kind)s.")
            % {"what": what, "kind": _kind_name(value)}
        )
    return value


# --------------------------------------------------------------------------- response ids

Rename = Callable[[str, str], str]
"""``rename(group, id)``: the id that replaces ``id`` of the id group ``group``."""

ResponseIds = Mapping[str, Mapping[str, str]]
"""The ids a student is shown of one item, per id group: the version's id -> the shown id.

Groups: ``"options"`` (single choice, multiple response), ``"statements"``, ``"gaps"`` and
``"gap:<gap id>"`` (the options of one gap), ``"premises"``, ``"responses"``, ``"elements"``.
Types without ids (short numeric, text entry, essay) have none: ``{}``."""

SHOWN_ID_BYTES = 4
"""Random bytes of a shown id: 8 hexadecimal characters."""


def _relabel_entries(entries: Sequence[Mapping[str, Any]], group: str, rename: Rename) -> list[dict[str, Any]]:
    return [{**entry, "id": rename(group, str(entry["id"]))} for entry in entries]


def _relabel_gap_markers(stem: str, gap_ids: Mapping[str, str]) -> str:
    """The stem with each ``{{gap}}`` marker of a known gap renamed (the id may be HTML-escaped)."""

    def replace(match: re.Match[str]) -> str:
        new = gap_ids.get(html.unescape(match.group(1)))
        return "{{" + new + "}}" if new is not None else match.group(0)

    return GAP_MARKER.sub(replace, stem)


# --------------------------------------------------------------------------- the item types


class _ItemType(ABC):
    """The behaviour of one item type over its content document."""

    name: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]  # every field of the document, in the normalised order
    key_field: ClassVar[str]  # where a key problem found by the scoring rules is reported
    empty_stem_allowed: ClassVar[bool] = False
    # The lists a test code shows in an order of its own (:func:`new_arrangement`).
    arranged: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def validate(self, content: Mapping[str, Any], points: Decimal, errors: _Errors) -> dict[str, Any]:
        """Check the type's fields (not the stem); return them normalised (best effort on errors)."""

    @abstractmethod
    def key(self, content: Mapping[str, Any]) -> dict[str, Any]:
        """The key document for ``score_response`` (settings included)."""

    def view(self, content: Mapping[str, Any], seed: int, media_url: MediaUrl | None) -> dict[str, Any]:
        """The student view's fields besides ``type`` and ``stem_html``."""
        return {}

    def stem_gaps(self, content: Mapping[str, Any]) -> tuple[str, ...]:
        """Ids of the ``{{gap}}`` markers the stem holds."""
        return ()

    @abstractmethod
    def rule(self, content: Mapping[str, Any]) -> tuple[Any, ...]:
        """What ``check`` needs to know of the content, hashable."""

    @abstractmethod
    def check(self, rule: tuple[Any, ...], value: object) -> None:
        """ValueError if the (non-null) response does not fit ``rule``."""

    def texts(self, content: Mapping[str, Any]) -> list[str]:
        """Student-visible HTML texts besides the stem."""
        return []

    def relabel(self, content: Mapping[str, Any], rename: Rename) -> dict[str, Any]:
        """The document with every response id (in lists, keys and stem markers) renamed."""
        return dict(content)

    def relabel_response(self, value: object, rename: Rename) -> object:
        """A (checked, non-null) response with every id renamed."""
        return value

    @abstractmethod
    def summary(self, content: Mapping[str, Any]) -> str:
        """The key in a few characters."""


class _Choice(_ItemType):
    """Shared by single choice and multiple response: a list of options."""

    arranged = ("options",)

    def options(self, content: Mapping[str, Any], errors: _Errors) -> list[dict[str, str]] | None:
        return _choices(
            content.get("options"),
            field="options",
            errors=errors,
            label=lambda n: _("Option %(number)d") % {"number": n},
            plural=gettext_noop("options"),
            limits=COUNT_LIMITS["options"],
            pinnable=True,
        )

    def view(self, content: Mapping[str, Any], seed: int, media_url: MediaUrl | None) -> dict[str, Any]:
        return {"options": _views(content["options"], media_url)}

    def rule(self, content: Mapping[str, Any]) -> tuple[Any, ...]:
        return _ids(content["options"])

    def texts(self, content: Mapping[str, Any]) -> list[str]:
        return [option["text"] for option in content["options"]]

    def relabel_options(self, content: Mapping[str, Any], rename: Rename) -> dict[str, Any]:
        return {**content, "options": _relabel_entries(content["options"], "options", rename)}


class _SingleChoice(_Choice):
    name = "single_choice"
    fields = ("stem", "options", "key")
    key_field = "key"

    def validate(self, content: Mapping[str, Any], points: Decimal, errors: _Errors) -> dict[str, Any]:
        options = self.options(content, errors)
        key = content.get("key")
        if key is None or key == "":
            errors.add("key", _("Choose the key: the option that is correct."))
        elif not isinstance(key, str):
            errors.add("key", _("The key must be one option id."))
        elif options is not None and key not in _ids(options):
            errors.add(
                "key",
                _("The key '%(key)s' is not one of the options %(ids)s.")
                % {"key": key, "ids": _ids_text(_ids(options))},
            )
        return {"options": options or [], "key": key}

    def key(self, content: Mapping[str, Any]) -> dict[str, Any]:
        return {"key": content["key"]}

    def check(self, rule: tuple[Any, ...], value: object) -> None:
        _response_id(value, rule, _("an option"))

    def relabel(self, content: Mapping[str, Any], rename: Rename) -> dict[str, Any]:
        return {**self.relabel_options(content, rename), "key": rename("options", content["key"])}

    def relabel_response(self, value: object, rename: Rename) -> object:
        return rename("options", str(value))

    def summary(self, content: Mapping[str, Any]) -> str:
        return str(content.get("key", ""))


class _MultipleResponse(_Choice):
    name = "multiple_response"
    fields = ("stem", "options", "scoring", "keys")
    key_field = "keys"

    def validate(self, content: Mapping[str, Any], points: Decimal, errors: _Errors) -> dict[str, Any]:
        options = self.options(content, errors)
        scoring = _mode(content, "scoring", ("all_or_nothing", "partial"), errors)
        keys = _list_of(content.get("keys"))
        if not keys:
            errors.add("keys", _("Choose the keys: at least one option that is correct."))
            keys = []
        for key in keys:
            if not isinstance(key, str):
                errors.add("keys", _("Each key must be an option id."))
            elif keys.count(key) > 1:
                errors.add("keys", _("The key '%(key)s' is given twice.") % {"key": key})
            elif options is not None and key not in _ids(options):
                errors.add(
                    "keys",
                    _("The key '%(key)s' is not one of the options %(ids)s.")
                    % {"key": key, "ids": _ids_text(_ids(options))},
                )
        kept = [key for key in keys if isinstance(key, str)]
        return {"options": options or [], "scoring": scoring, "keys": list(dict.fromkeys(kept))}

    def key(self, content: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "keys": list(content["keys"]),
            "scoring": content.get("scoring", "all_or_nothing"),
            "options": list(_ids(content["options"])),
        }

    def check(self, rule: tuple[Any, ...], value: object) -> None:
        _response_id_list(value, rule, _("an option"))

    def relabel(self, content: Mapping[str, Any], rename: Rename) -> dict[str, Any]:
        return {**self.relabel_options(content, rename), "keys": [rename("options", key) for key in content["keys"]]}

    def relabel_response(self, value: object, rename: Rename) -> object:
        return [rename("options", str(option)) for option in _list_of(value) or ()]

    def summary(self, content: Mapping[str, Any]) -> str:
        return ", ".join(content.get("keys", []))


class _TrueFalseGroup(_ItemType):
    name = "true_false_group"
    fields = ("stem", "statements", "scale", "keys")
    key_field = "keys"
    empty_stem_allowed = True  # the statements may stand alone (an imported single true/false)

    def validate(self, content: Mapping[str, Any], points: Decimal, errors: _Errors) -> dict[str, Any]:
        statements = _choices(
            content.get("statements"),
            field="statements",
            errors=errors,
            label=lambda n: _("Statement %(number)d") % {"number": n},
            plural=gettext_noop("statements"),
            limits=COUNT_LIMITS["statements"],
        )
        raw_keys = content.get("keys")
        keys: dict[str, bool] = {}
        if not isinstance(raw_keys, Mapping):
            errors.add("keys", _("Give the keys: whether each statement is true or false."))
        elif statements is not None:
            ids = _ids(statements)
            for statement_id in raw_keys:
                if statement_id not in ids:
                    errors.add(
                        "keys",
                        _("The key names '%(id)s', which is not one of the statements %(ids)s.")
                        % {"id": statement_id, "ids": _ids_text(ids)},
                    )
            for statement_id in ids:
                value = raw_keys.get(statement_id)
                if value is None:
                    errors.add(
                        "keys",
                        _("Statement %(id)s has no key: say whether it is true or false.") % {"id": statement_id},
                    )
                elif not isinstance(value, bool):
                    errors.add("keys", _("The key of statement %(id)s must be true or false.") % {"id": statement_id})
                else:
                    keys[statement_id] = value
        scale = self._scale(content.get("scale"), len(statements) if statements is not None else None, errors)
        return {"statements": statements or [], "scale": scale, "keys": keys}

    def _scale(self, value: object, count: int | None, errors: _Errors) -> dict[str, str] | None:
        """``None`` (the national scale, for 4 statements) or ``{correct count: fraction}``."""
        if value is None:
            if count is not None and count != len(DEFAULT_TRUE_FALSE_SCALE) - 1:
                errors.add(
                    "scale",
                    _(
                        "The national scale is for 4 statements; this group has %(count)d. "
                        "Give the fraction of the points for each number of correct answers."
                    )
                    % {"count": count},
                )
            return None
        if not isinstance(value, Mapping):
            errors.add("scale", _("The scale must map a number of correct answers to a fraction of the points."))
            return None
        table: dict[int, Decimal] = {}
        for raw_count, raw_fraction in value.items():
            text = str(raw_count)
            correct = int(text) if text.isascii() and text.isdigit() else None
            if correct is None or (count is not None and correct > count):
                errors.add(
                    "scale",
                    _("The scale names '%(count)s' correct; use whole numbers from 0 to the number of statements.")
                    % {"count": raw_count},
                )
                continue
            fraction = _decimal(raw_fraction)
            if fraction is None or not Decimal(0) <= fraction <= Decimal(1):
                errors.add(
                    "scale",
                    _("The scale's fraction for %(count)d correct must be a number from 0 to 1.") % {"count": correct},
                )
                continue
            table[correct] = fraction
        if count is None or errors.has("scale"):
            return {str(k): _decimal_text(v) for k, v in sorted(table.items())}
        missing = [str(k) for k in range(1, count + 1) if k not in table]
        if missing:
            errors.add(
                "scale",
                _("The scale has no fraction for %(missing)s correct.") % {"missing": ", ".join(missing)},
            )
        else:
            full = {0: Decimal(0), **table}
            for correct in range(1, count + 1):
                if full[correct] < full[correct - 1]:
                    errors.add(
                        "scale",
                        _("The scale must not fall: %(more)d correct give less than %(less)d.")
                        % {"more": correct, "less": correct - 1},
                    )
                    break
            if table[count] != 1:
                errors.add("scale", _("All %(count)d correct must give all the points (1).") % {"count": count})
        return {str(k): _decimal_text(v) for k, v in sorted(table.items())}

    def key(self, content: Mapping[str, Any]) -> dict[str, Any]:
        return {"keys": dict(content["keys"]), "scale": content.get("scale")}

    def view(self, content: Mapping[str, Any], seed: int, media_url: MediaUrl | None) -> dict[str, Any]:
        return {"statements": _views(content["statements"], media_url)}

    def rule(self, content: Mapping[str, Any]) -> tuple[Any, ...]:
        return _ids(content["statements"])

    def check(self, rule: tuple[Any, ...], value: object) -> None:
        for statement, truth in _response_mapping(value, _("the statements")).items():
            _response_id(statement, rule, _("a statement"))
            if truth is not None and not isinstance(truth, bool):
                raise ValueError(
                    _("The answer for statement '%(id)s' must be true, false or null.") % {"id": statement}
                )

    def texts(self, content: Mapping[str, Any]) -> list[str]:
        return [statement["text"] for statement in content["statements"]]

    def relabel(self, content: Mapping[str, Any], rename: Rename) -> dict[str, Any]:
        return {
            **content,
            "statements": _relabel_entries(content["statements"], "statements", rename),
            "keys": {rename("statements", statement): truth for statement, truth in content["keys"].items()},
        }

    def relabel_response(self, value: object, rename: Rename) -> object:
        return {
            rename("statements", str(statement)): truth for statement, truth in _response_mapping(value, "").items()
        }

    def summary(self, content: Mapping[str, Any]) -> str:
        return ", ".join(
            f"{statement} {_('True') if truth else _('False')}" for statement, truth in content.get("keys", {}).items()
        )


class _ShortNumeric(_ItemType):
    name = "short_numeric"
    fields = ("stem", "boxes", "answer", "tolerance")
    key_field = "answer"

    def validate(self, content: Mapping[str, Any], points: Decimal, errors: _Errors) -> dict[str, Any]:
        answer = _decimal(content.get("answer"))
        if answer is None:
            errors.add(
                "answer", _("The answer must be a number such as -1,5 or 0.25 (no thousands separators or exponents).")
            )
        raw_tolerance = content.get("tolerance")
        tolerance = Decimal(0) if raw_tolerance is None else _decimal(raw_tolerance)
        if tolerance is None or tolerance < 0:
            errors.add("tolerance", _("The tolerance must be a number of 0 or more."))
        boxes = content.get("boxes")
        if boxes is not None and (not isinstance(boxes, int) or isinstance(boxes, bool) or not 1 <= boxes <= MAX_BOXES):
            errors.add("boxes", _("The boxes must be a whole number from 1 to %(max)d, or empty.") % {"max": MAX_BOXES})
        normalised = {
            "boxes": boxes,
            "answer": _decimal_text(answer) if answer is not None else content.get("answer"),
            "tolerance": _decimal_text(tolerance) if tolerance is not None else raw_tolerance,
        }
        if not errors.has("answer", "tolerance", "boxes") and boxes is not None:
            try:
                validate_key(self.name, {"answer": normalised["answer"], "boxes": boxes}, points)
            except ValueError:
                errors.add(
                    "boxes",
                    _("The answer %(answer)s does not fit in %(boxes)d boxes (the sign and the comma take one each).")
                    % {"answer": normalised["answer"], "boxes": boxes},
                )
        return normalised

    def key(self, content: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "answer": content["answer"],
            "tolerance": content.get("tolerance") or "0",
            "boxes": content.get("boxes"),
        }

    def view(self, content: Mapping[str, Any], seed: int, media_url: MediaUrl | None) -> dict[str, Any]:
        return {"boxes": content.get("boxes")}

    def rule(self, content: Mapping[str, Any]) -> tuple[Any, ...]:
        return (MAX_NUMERIC_CHARS, content.get("boxes"))

    def check(self, rule: tuple[Any, ...], value: object) -> None:
        # The notation and the boxes are scoring's own rules (parse_decimal_answer,
        # boxes_used): what is stored is what scoring reads. Nothing here depends on the key.
        limit, boxes = rule
        text = _response_text(value, limit)
        if parse_decimal_answer(text) is None:
            raise ValueError(
                _(
                    "'%(value)s' is not a number: write digits with at most one decimal comma or point, "
                    "and a minus sign in front if it is negative (such as -1,5)."
                )
                % {"value": text}
            )
        if boxes is not None and boxes_used(text) > boxes:
            raise ValueError(
                _("'%(value)s' needs %(used)d boxes; this item has %(boxes)d (a minus sign and a comma take one each).")
                % {"value": text.strip(), "used": boxes_used(text), "boxes": boxes}
            )

    def summary(self, content: Mapping[str, Any]) -> str:
        return f"{content.get('answer', '')} (± {content.get('tolerance') or '0'})"


class _TextEntry(_ItemType):
    name = "text_entry"
    fields = ("stem", "match", "ignore_diacritics", "answers")
    key_field = "answers"

    def validate(self, content: Mapping[str, Any], points: Decimal, errors: _Errors) -> dict[str, Any]:
        match = _mode(content, "match", ("exact", "normalised", "pattern"), errors)
        ignore = content.get("ignore_diacritics", False)
        if not isinstance(ignore, bool):
            errors.add("ignore_diacritics", _("Ignoring diacritics must be true or false."))
            ignore = False
        elif ignore and match != "normalised":
            errors.add("ignore_diacritics", _("Diacritics can be ignored only with normalised matching."))
        raw = _list_of(content.get("answers"))
        answers: list[str] = []
        if not raw:
            errors.add("answers", _("Give at least one accepted answer."))
            raw = []
        elif len(raw) > MAX_ANSWERS:
            errors.add("answers", _("Give at most %(max)d accepted answers.") % {"max": MAX_ANSWERS})
        for number, answer in enumerate(raw, start=1):
            if not isinstance(answer, str) or not answer.strip():
                errors.add("answers", _("Accepted answer %(number)d is empty.") % {"number": number})
                continue
            # Patterns are kept as written; an answer's surrounding spaces would never be typed.
            answer = unicodedata.normalize("NFC", answer if match == "pattern" else answer.strip())
            if len(answer) > MAX_ANSWER_CHARS:
                errors.add(
                    "answers",
                    _("Accepted answer %(number)d is longer than %(max)d characters.")
                    % {"number": number, "max": MAX_ANSWER_CHARS},
                )
                continue
            if match == "pattern":
                try:
                    validate_key(self.name, {"answers": [answer], "match": "pattern"}, points)
                except ValueError as exc:
                    errors.add(
                        "answers",
                        _("Accepted answer %(number)d is not a usable pattern: %(reason)s")
                        % {"number": number, "reason": exc},
                    )
                    continue
            answers.append(answer)
        return {"match": match, "ignore_diacritics": ignore, "answers": answers}

    def key(self, content: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "answers": list(content["answers"]),
            "match": content.get("match", "exact"),
            "ignore_diacritics": content.get("ignore_diacritics", False),
        }

    def rule(self, content: Mapping[str, Any]) -> tuple[Any, ...]:
        return (MAX_TEXT_ENTRY_CHARS,)

    def check(self, rule: tuple[Any, ...], value: object) -> None:
        _response_text(value, rule[0])

    def summary(self, content: Mapping[str, Any]) -> str:
        return " | ".join(content.get("answers", []))


class _InlineChoice(_ItemType):
    name = "inline_choice"
    fields = ("stem", "gaps", "scoring", "keys")
    key_field = "keys"

    def validate(self, content: Mapping[str, Any], points: Decimal, errors: _Errors) -> dict[str, Any]:
        scoring = _mode(content, "scoring", ("all_or_nothing", "per_gap"), errors)
        raw_gaps = _list_of(content.get("gaps"))
        gaps: list[dict[str, Any]] = []
        if raw_gaps is None:
            errors.add("gaps", _("The gaps must be a list."))
            raw_gaps = []
        elif problem := _count_problem(raw_gaps, COUNT_LIMITS["gaps"], gettext_noop("gaps")):
            errors.add("gaps", problem)
        seen: set[str] = set()
        for number, gap in enumerate(raw_gaps, start=1):
            where = _("Gap %(number)d") % {"number": number}
            if not isinstance(gap, Mapping):
                errors.add("gaps", _("%(where)s must be an object with an id and options.") % {"where": where})
                continue
            unknown = sorted(str(key) for key in gap if key not in {"id", "options"})
            if unknown:
                errors.add(
                    "gaps",
                    _("%(where)s has unknown fields: %(fields)s.") % {"where": where, "fields": ", ".join(unknown)},
                )
            gap_id = gap.get("id")
            if problem := _id_problem(gap_id, where):
                errors.add("gaps", problem)
                continue
            gap_id = str(gap_id)  # _id_problem made sure it is one
            if gap_id in seen:
                errors.add("gaps", _("%(where)s repeats the id '%(id)s'.") % {"where": where, "id": gap_id})
                continue
            seen.add(gap_id)
            options = _choices(
                gap.get("options"),
                field="gaps",
                errors=errors,
                label=partial(_gap_option_label, gap_id),
                plural=gettext_noop("options"),
                limits=COUNT_LIMITS["gap options"],
                where=_("Gap %(gap)s") % {"gap": gap_id},
            )
            gaps.append({"id": gap_id, "options": options or []})
        self._markers(content.get("stem"), [gap["id"] for gap in gaps], errors)
        keys = self._keys(content.get("keys"), gaps, errors)
        return {"gaps": gaps, "scoring": scoring, "keys": keys}

    def _markers(self, stem: object, gap_ids: Sequence[str], errors: _Errors) -> None:
        text = _plain(sanitize_html(stem)) if isinstance(stem, str) else ""
        found = [match.group(1) for match in GAP_MARKER.finditer(text)]
        for marker in dict.fromkeys(found):
            if marker not in gap_ids:
                errors.add("stem", _("The stem has a gap {{%(id)s}} that is not in the list of gaps.") % {"id": marker})
            elif found.count(marker) > 1:
                errors.add("stem", _("The stem has the gap {{%(id)s}} more than once.") % {"id": marker})
        for gap_id in gap_ids:
            if gap_id not in found:
                errors.add("stem", _("The gap %(id)s has no {{%(id)s}} marker in the stem.") % {"id": gap_id})

    def _keys(self, value: object, gaps: Sequence[Mapping[str, Any]], errors: _Errors) -> dict[str, str]:
        if not isinstance(value, Mapping):
            errors.add("keys", _("Give the keys: the correct option of each gap."))
            return {}
        options = {gap["id"]: _ids(gap["options"]) for gap in gaps}
        for gap_id in value:
            if gap_id not in options:
                errors.add("keys", _("The key names '%(id)s', which is not a gap.") % {"id": gap_id})
        keys: dict[str, str] = {}
        for gap_id, ids in options.items():
            key = value.get(gap_id)
            if key is None or key == "":
                errors.add("keys", _("Gap %(gap)s has no key.") % {"gap": gap_id})
            elif not isinstance(key, str):
                errors.add("keys", _("The key of gap %(gap)s must be one option id.") % {"gap": gap_id})
            elif ids and key not in ids:
                errors.add(
                    "keys",
                    _("The key '%(key)s' of gap %(gap)s is not one of its options %(ids)s.")
                    % {"key": key, "gap": gap_id, "ids": _ids_text(ids)},
                )
            else:
                keys[gap_id] = key
        return keys

    def key(self, content: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "keys": dict(content["keys"]),
            "scoring": content.get("scoring", "all_or_nothing"),
            "options": {gap["id"]: list(_ids(gap["options"])) for gap in content["gaps"]},
        }

    def stem_gaps(self, content: Mapping[str, Any]) -> tuple[str, ...]:
        return _ids(content["gaps"])

    def view(self, content: Mapping[str, Any], seed: int, media_url: MediaUrl | None) -> dict[str, Any]:
        return {
            "gaps": [
                {
                    "id": gap["id"],
                    "options": [{"id": option["id"], "text": _plain(option["text"])} for option in gap["options"]],
                }
                for gap in content["gaps"]
            ]
        }

    def rule(self, content: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple((gap["id"], _ids(gap["options"])) for gap in content["gaps"])

    def check(self, rule: tuple[Any, ...], value: object) -> None:
        options = dict(rule)
        for gap, choice in _response_mapping(value, _("the gaps")).items():
            _response_id(gap, tuple(options), _("a gap"))
            if choice is not None:
                _response_id(choice, options[gap], _("an option of gap '%(gap)s'") % {"gap": gap})

    def relabel(self, content: Mapping[str, Any], rename: Rename) -> dict[str, Any]:
        gaps = [
            {"id": rename("gaps", gap["id"]), "options": _relabel_entries(gap["options"], f"gap:{gap['id']}", rename)}
            for gap in content["gaps"]
        ]
        return {
            **content,
            "stem": _relabel_gap_markers(
                str(content.get("stem", "")),
                {gap["id"]: new["id"] for gap, new in zip(content["gaps"], gaps, strict=True)},
            ),
            "gaps": gaps,
            "keys": {rename("gaps", gap): rename(f"gap:{gap}", option) for gap, option in content["keys"].items()},
        }

    def relabel_response(self, value: object, rename: Rename) -> object:
        return {
            rename("gaps", str(gap)): None if option is None else rename(f"gap:{gap}", str(option))
            for gap, option in _response_mapping(value, "").items()
        }

    def texts(self, content: Mapping[str, Any]) -> list[str]:
        return [option["text"] for gap in content["gaps"] for option in gap["options"]]

    def summary(self, content: Mapping[str, Any]) -> str:
        return ", ".join(f"{gap} → {key}" for gap, key in content.get("keys", {}).items())


def _gap_option_label(gap_id: str, number: int) -> str:
    return str(_("Option %(number)d of gap %(gap)s") % {"number": number, "gap": gap_id})


class _Matching(_ItemType):
    name = "matching"
    fields = ("stem", "premises", "responses", "scoring", "pairs")
    key_field = "pairs"

    def validate(self, content: Mapping[str, Any], points: Decimal, errors: _Errors) -> dict[str, Any]:
        premises = _choices(
            content.get("premises"),
            field="premises",
            errors=errors,
            label=lambda n: _("Premise %(number)d") % {"number": n},
            plural=gettext_noop("premises"),
            limits=COUNT_LIMITS["premises"],
        )
        responses = _choices(
            content.get("responses"),
            field="responses",
            errors=errors,
            label=lambda n: _("Response %(number)d") % {"number": n},
            plural=gettext_noop("responses"),
            limits=COUNT_LIMITS["responses"],
        )
        scoring = _mode(content, "scoring", ("all_or_nothing", "per_pair"), errors)
        raw = content.get("pairs")
        pairs: dict[str, str] = {}
        if not isinstance(raw, Mapping):
            errors.add("pairs", _("Give the pairs: the correct response of each premise."))
        elif premises is not None and responses is not None:
            premise_ids, response_ids = _ids(premises), _ids(responses)
            for premise in raw:
                if premise not in premise_ids:
                    errors.add("pairs", _("The pairs name '%(id)s', which is not a premise.") % {"id": premise})
            for premise in premise_ids:
                response = raw.get(premise)
                if response is None or response == "":
                    errors.add("pairs", _("Premise %(id)s has no matching response.") % {"id": premise})
                elif response not in response_ids:
                    errors.add(
                        "pairs",
                        _("Premise %(id)s is paired with '%(response)s', which is not one of the responses %(ids)s.")
                        % {"id": premise, "response": response, "ids": _ids_text(response_ids)},
                    )
                else:
                    pairs[premise] = response
        return {"premises": premises or [], "responses": responses or [], "scoring": scoring, "pairs": pairs}

    def key(self, content: Mapping[str, Any]) -> dict[str, Any]:
        return {"pairs": dict(content["pairs"]), "scoring": content.get("scoring", "all_or_nothing")}

    def view(self, content: Mapping[str, Any], seed: int, media_url: MediaUrl | None) -> dict[str, Any]:
        responses = list(content["responses"])
        random.Random(seed).shuffle(responses)
        return {"premises": _views(content["premises"], media_url), "responses": _views(responses, media_url)}

    def rule(self, content: Mapping[str, Any]) -> tuple[Any, ...]:
        return (_ids(content["premises"]), _ids(content["responses"]))

    def check(self, rule: tuple[Any, ...], value: object) -> None:
        premises, responses = rule
        for premise, response in _response_mapping(value, _("the premises")).items():
            _response_id(premise, premises, _("a premise"))
            if response is not None:
                _response_id(response, responses, _("a response"))

    def relabel(self, content: Mapping[str, Any], rename: Rename) -> dict[str, Any]:
        return {
            **content,
            "premises": _relabel_entries(content["premises"], "premises", rename),
            "responses": _relabel_entries(content["responses"], "responses", rename),
            "pairs": {
                rename("premises", premise): rename("responses", response)
                for premise, response in content["pairs"].items()
            },
        }

    def relabel_response(self, value: object, rename: Rename) -> object:
        return {
            rename("premises", str(premise)): None if response is None else rename("responses", str(response))
            for premise, response in _response_mapping(value, "").items()
        }

    def texts(self, content: Mapping[str, Any]) -> list[str]:
        return [entry["text"] for entry in (*content["premises"], *content["responses"])]

    def summary(self, content: Mapping[str, Any]) -> str:
        return ", ".join(f"{premise} → {response}" for premise, response in content.get("pairs", {}).items())


class _Ordering(_ItemType):
    name = "ordering"
    fields = ("stem", "elements", "scoring", "order")
    key_field = "order"

    def validate(self, content: Mapping[str, Any], points: Decimal, errors: _Errors) -> dict[str, Any]:
        elements = _choices(
            content.get("elements"),
            field="elements",
            errors=errors,
            label=lambda n: _("Element %(number)d") % {"number": n},
            plural=gettext_noop("elements"),
            limits=COUNT_LIMITS["elements"],
        )
        scoring = _mode(content, "scoring", ("all_or_nothing", "partial"), errors)
        order = _list_of(content.get("order"))
        if order is None:
            errors.add("order", _("Give the order: the list of element ids in the correct order."))
            order = []
        elif not all(isinstance(element, str) for element in order):
            errors.add("order", _("The order must list element ids."))
        elif elements is not None:
            ids = _ids(elements)
            for element in dict.fromkeys(order):
                if element not in ids:
                    errors.add(
                        "order",
                        _("The order names '%(id)s', which is not one of the elements %(ids)s.")
                        % {"id": element, "ids": _ids_text(ids)},
                    )
                elif order.count(element) > 1:
                    errors.add("order", _("The order has element %(id)s more than once.") % {"id": element})
            missing = [element for element in ids if element not in order]
            if missing:
                errors.add("order", _("The order leaves out %(ids)s.") % {"ids": _ids_text(missing)})
        return {"elements": elements or [], "scoring": scoring, "order": order}

    def key(self, content: Mapping[str, Any]) -> dict[str, Any]:
        return {"order": list(content["order"]), "scoring": content.get("scoring", "all_or_nothing")}

    def view(self, content: Mapping[str, Any], seed: int, media_url: MediaUrl | None) -> dict[str, Any]:
        elements = list(content["elements"])
        random.Random(seed).shuffle(elements)
        if len(elements) >= 2 and list(_ids(elements)) == list(content["order"]):
            elements = elements[1:] + elements[:1]  # never show the key's order
        return {"elements": _views(elements, media_url)}

    def rule(self, content: Mapping[str, Any]) -> tuple[Any, ...]:
        return _ids(content["elements"])

    def check(self, rule: tuple[Any, ...], value: object) -> None:
        _response_id_list(value, rule, _("an element"))

    def relabel(self, content: Mapping[str, Any], rename: Rename) -> dict[str, Any]:
        return {
            **content,
            "elements": _relabel_entries(content["elements"], "elements", rename),
            "order": [rename("elements", element) for element in content["order"]],
        }

    def relabel_response(self, value: object, rename: Rename) -> object:
        return [rename("elements", str(element)) for element in _list_of(value) or ()]

    def texts(self, content: Mapping[str, Any]) -> list[str]:
        return [element["text"] for element in content["elements"]]

    def summary(self, content: Mapping[str, Any]) -> str:
        return ", ".join(content.get("order", []))


class _Essay(_ItemType):
    name = "essay"
    fields = ("stem", "rubric", "max_words")
    key_field = "rubric"

    def validate(self, content: Mapping[str, Any], points: Decimal, errors: _Errors) -> dict[str, Any]:
        max_words = content.get("max_words")
        if max_words is not None and (
            not isinstance(max_words, int) or isinstance(max_words, bool) or not 1 <= max_words <= MAX_WORDS
        ):
            errors.add(
                "max_words",
                _("The word limit must be a whole number from 1 to %(max)d, or empty.") % {"max": MAX_WORDS},
            )
        return {"rubric": self._rubric(content.get("rubric"), points, errors), "max_words": max_words}

    def _rubric(self, value: object, points: Decimal, errors: _Errors) -> list[dict[str, Any]]:
        raw = [] if value is None else _list_of(value)
        if raw is None:
            errors.add("rubric", _("The rubric must be a list of criteria."))
            return []
        if len(raw) > MAX_RUBRIC_CRITERIA:
            errors.add("rubric", _("Give at most %(max)d criteria.") % {"max": MAX_RUBRIC_CRITERIA})
        rubric: list[dict[str, Any]] = []
        best_total = Decimal(0)
        for number, entry in enumerate(raw, start=1):
            if not isinstance(entry, Mapping) or set(entry) - {"criterion", "levels"}:
                errors.add(
                    "rubric",
                    _("Criterion %(number)d must be an object with a criterion and levels.") % {"number": number},
                )
                continue
            name = entry.get("criterion")
            if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_RUBRIC_TEXT:
                errors.add(
                    "rubric",
                    _("Criterion %(number)d needs a name of 1 to %(max)d characters.")
                    % {"number": number, "max": MAX_RUBRIC_TEXT},
                )
                continue
            name = name.strip()
            if any(criterion["criterion"] == name for criterion in rubric):
                errors.add("rubric", _("The criterion '%(name)s' appears twice.") % {"name": name})
                continue
            levels = self._levels(name, entry.get("levels"), errors)
            if levels:
                best_total += max(Decimal(level["points"]) for level in levels)
            rubric.append({"criterion": name, "levels": levels})
        if not errors.has("rubric", "points") and best_total > points:
            errors.add(
                "rubric",
                _("The rubric can award %(best)s points, more than the item's %(points)s.")
                % {"best": _decimal_text(best_total), "points": _decimal_text(points)},
            )
        return rubric

    def _levels(self, criterion: str, value: object, errors: _Errors) -> list[dict[str, str]]:
        raw = _list_of(value)
        if not raw or len(raw) > MAX_RUBRIC_LEVELS:
            errors.add(
                "rubric",
                _("The criterion '%(name)s' needs 1 to %(max)d levels.")
                % {"name": criterion, "max": MAX_RUBRIC_LEVELS},
            )
            return []
        levels: list[dict[str, str]] = []
        for level in raw:
            label = level.get("label") if isinstance(level, Mapping) else None
            points = _decimal(level.get("points")) if isinstance(level, Mapping) else None
            if (
                not isinstance(level, Mapping)
                or set(level) - {"label", "points"}
                or not isinstance(label, str)
                or not label.strip()
                or len(label.strip()) > MAX_RUBRIC_TEXT
            ):
                errors.add(
                    "rubric",
                    _("Each level of '%(name)s' needs a label of 1 to %(max)d characters and its points.")
                    % {"name": criterion, "max": MAX_RUBRIC_TEXT},
                )
                continue
            label = label.strip()
            if points is None or points < 0:
                errors.add(
                    "rubric",
                    _("The level '%(label)s' of '%(name)s' must give a number of points of 0 or more.")
                    % {"label": label, "name": criterion},
                )
                continue
            if any(existing["label"] == label for existing in levels):
                errors.add(
                    "rubric",
                    _("The criterion '%(name)s' has the level '%(label)s' twice.")
                    % {"name": criterion, "label": label},
                )
                continue
            levels.append({"label": label, "points": _decimal_text(points)})
        return levels

    def key(self, content: Mapping[str, Any]) -> dict[str, Any]:
        key: dict[str, Any] = {}
        if content.get("rubric"):
            key["rubric"] = content["rubric"]
        if content.get("max_words") is not None:
            key["max_words"] = content["max_words"]
        return key

    def view(self, content: Mapping[str, Any], seed: int, media_url: MediaUrl | None) -> dict[str, Any]:
        return {"max_words": content.get("max_words")}

    def rule(self, content: Mapping[str, Any]) -> tuple[Any, ...]:
        return (MAX_ESSAY_CHARS, content.get("max_words"))

    def check(self, rule: tuple[Any, ...], value: object) -> None:
        limit, max_words = rule
        text = _response_text(value, limit)
        if max_words is not None and (words := count_words(text)) > max_words:
            raise ValueError(
                _("The essay has %(count)d words; at most %(max)d are allowed.") % {"count": words, "max": max_words}
            )

    def summary(self, content: Mapping[str, Any]) -> str:
        return _("Marked by rubric") if content.get("rubric") else _("Marked by a person")


_HANDLERS: dict[str, _ItemType] = {
    handler.name: handler
    for handler in (
        _SingleChoice(),
        _MultipleResponse(),
        _TrueFalseGroup(),
        _ShortNumeric(),
        _TextEntry(),
        _InlineChoice(),
        _Matching(),
        _Ordering(),
        _Essay(),
    )
}


def _handler(item_type: str) -> _ItemType:
    try:
        return _HANDLERS[item_type]
    except (KeyError, TypeError):
        raise ValueError(f"unknown item type {item_type!r}; expected one of {', '.join(_HANDLERS)}") from None


# --------------------------------------------------------------------------- public API


def validate_content(item_type: str, content: object, points: object) -> dict[str, Any]:
    """Check an item's whole content document and return it normalised.

    Checks the shape (required fields present, unknown fields refused), ids (non-empty, at
    most :data:`MAX_ID_CHARS` characters, no spaces or braces, distinct), counts (options
    2..10, statements 2..8, gaps 1..20, premises and responses 2..12, elements 2..12),
    text lengths (stem :data:`MAX_STEM_CHARS`, each option-like text
    :data:`MAX_OPTION_CHARS`, after sanitising), that the key is consistent with the
    options, and, through ``scoring.item_rules.validate_key``, everything the scoring rule
    checks (the true/false scale, the answer fitting its boxes, patterns, an essay rubric
    against ``points``).

    Returns a new dict with the type's fields in a fixed order: every text field
    sanitised (``itembank.richtext.sanitize_html``) and stripped, settings defaulted as
    ``score_response`` defaults them (``scoring`` ``"all_or_nothing"``, ``match``
    ``"exact"``, ``ignore_diacritics`` false, ``tolerance`` ``"0"``, ``boxes``,
    ``scale`` (the national scale) and ``max_words`` null, ``rubric`` empty), decimals as
    strings with a decimal point. Validating the result again returns it unchanged.

    Raises
    ------
    ValidationError
        With a dict of field name (``"stem"``, ``"options"``, ``"key"``, ``"keys"``,
        ``"scale"``, ``"gaps"``, ...) to messages; ``"item_type"`` for an unknown type,
        ``"content"`` for a document that is not an object or has unknown fields,
        ``"points"`` for points that are not a number >= 0.
    """
    try:
        handler = _handler(item_type)
    except ValueError:
        raise ValidationError({"item_type": _("'%(type)s' is not an item type.") % {"type": item_type}}) from None
    if not isinstance(content, Mapping):
        raise ValidationError({"content": _("The content must be an object.")})
    errors = _Errors()
    unknown = sorted(str(name) for name in content if name not in handler.fields and name != EXPLANATION)
    if unknown:
        errors.add("content", _("Unknown fields for this item type: %(fields)s.") % {"fields": ", ".join(unknown)})
    for name in (*handler.fields, EXPLANATION):  # text that would load anything but the bank's media is refused
        found: list[str] = []
        map_texts(content.get(name), partial(_collect_reference_problems, found))
        for problem in dict.fromkeys(found):
            errors.add(name, problem)
    total = _decimal(points)
    if total is None or total < 0:
        errors.add("points", _("The points must be a number of 0 or more."))
        total = Decimal(0)
    stem = _html_text(content.get("stem", ""))
    if stem is None:
        errors.add("stem", _("The stem must be text."))
        stem = ""
    elif len(stem) > MAX_STEM_CHARS:
        errors.add("stem", _("The stem is longer than %(max)d characters.") % {"max": MAX_STEM_CHARS})
    elif _is_blank(stem) and not handler.empty_stem_allowed:
        errors.add("stem", _("The stem is empty."))
    explanation = _html_text(content.get(EXPLANATION, ""))
    if explanation is None:
        errors.add(EXPLANATION, _("The explanation must be text."))
        explanation = ""
    elif len(explanation) > MAX_STEM_CHARS:
        errors.add(EXPLANATION, _("The explanation is longer than %(max)d characters.") % {"max": MAX_STEM_CHARS})
    normalised: dict[str, Any] = {"stem": stem, **handler.validate(content, total, errors)}
    if not errors.by_field:
        try:
            validate_key(item_type, handler.key(normalised), total)
        except ValueError as exc:  # a check the scoring rule makes that the ones above missed
            errors.add(handler.key_field, _("The scoring rule refuses the key: %(reason)s.") % {"reason": exc})
    errors.raise_any()
    document = {name: normalised[name] for name in handler.fields}
    if not _is_blank(explanation):
        document[EXPLANATION] = explanation
    return document


def scoring_key(item_type: str, content: Mapping[str, Any]) -> dict[str, Any]:
    """The key document ``scoring.item_rules.score_response`` needs for ``content``.

    ``content`` is a validated document (:func:`validate_content`); omitted settings take
    the scoring rule's defaults. ``score_response(item_type, correct, scoring_key(...),
    points)`` gives full marks for the correct response.
    """
    return _handler(item_type).key(content)


def student_view(
    item_type: str,
    content: Mapping[str, Any],
    *,
    seed: int,
    media_url: MediaUrl | None = None,
    ids: ResponseIds | None = None,
    arrangement: Arrangement | None = None,
) -> dict[str, Any]:
    """What a student sees of an item: ``type``, ``stem_html`` and the type's fields.

    Text is rendered with :func:`itembank.rendering.render_html` (LaTeX to MathML,
    ``media:`` sources through ``media_url``). The common ``item`` and ``points`` fields
    are the caller's. Never holds a key, a rubric, a scale, a tolerance, accepted answers
    or the match mode. Matching responses and ordering elements are shuffled with
    ``random.Random(seed)``; ordering elements are never shown in the key's order when
    there are two or more.

    With ``ids`` (:func:`new_response_ids`, kept per form item) every option, statement,
    gap, gap option, premise, response and element carries its shown id instead of the
    version's; the view is otherwise the same, entry for entry and byte for byte (the
    shuffles do not depend on the ids). Without, the version's own ids (the authors' preview).
    With ``arrangement`` (a test code's, :func:`new_arrangement`), the options in its order.
    """
    handler = _handler(item_type)
    if arrangement:
        content = arrange(item_type, content, arrangement)
    if ids is not None:
        content = handler.relabel(content, _renamer(ids))
    stem_html = render_html(str(content.get("stem", "")), media_url=media_url, gaps=handler.stem_gaps(content))
    return {"type": item_type, "stem_html": str(stem_html), **handler.view(content, seed, media_url)}


Arrangement = Mapping[str, Sequence[str]]
"""A test code's order of an item's lists: group ("options") -> the version's ids, in order."""

OPTION_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def new_arrangement(item_type: str, content: Mapping[str, Any], rng: random.Random) -> dict[str, list[str]]:
    """A shuffled order of each list a test code may reorder (the options of a choice item).

    Pinned entries (``"pinned": true``, e.g. "all of the above") keep their places; the
    others are shuffled among the remaining places with ``rng`` (so a seed gives the same
    codes again). Types with nothing to reorder give ``{}``.
    """
    arrangement: dict[str, list[str]] = {}
    for group in _handler(item_type).arranged:
        entries = content[group]
        movable = [entry["id"] for entry in entries if not entry.get("pinned")]
        rng.shuffle(movable)
        shuffled = iter(movable)
        arrangement[group] = [entry["id"] if entry.get("pinned") else next(shuffled) for entry in entries]
    return arrangement


def arrange(item_type: str, content: Mapping[str, Any], arrangement: Arrangement | None) -> dict[str, Any]:
    """``content`` with its lists in the test code's order; a missing group keeps its order.

    Raises ``ValueError`` if an arrangement does not hold exactly the list's ids (a code that
    would not map back to its form).
    """
    arranged = dict(content)
    for group in _handler(item_type).arranged:
        order = (arrangement or {}).get(group)
        if order is None:
            continue
        by_id = {entry["id"]: entry for entry in content[group]}
        if sorted(order) != sorted(by_id) or len(order) != len(by_id):
            raise ValueError(f"the arrangement of {group!r} does not hold the item's ids")
        arranged[group] = [by_id[entry_id] for entry_id in order]
    return arranged


PAPER_LETTERS = OPTION_LETTERS.lower()
"""Labels a), b), c) of the statements of a true/false group and the elements of an ordering
item, on paper (``assess.papers``) and in a key table."""


def shown_order(item_type: str, content: Mapping[str, Any], group: str, *, seed: int) -> list[dict[str, Any]]:
    """The entries of ``content[group]`` in the order the student view shows them with ``seed``
    (matching responses and ordering elements are shuffled by the item's view; other lists keep
    their order). ``content`` is already in the test code's order (:func:`arrange`).

    The view's shuffle is used as it is, over a copy without texts: it depends on the ids and
    the seed alone, and nothing needs rendering.
    """
    bare = {
        field: [{**entry, "text": ""} for entry in value] if field in ("premises", "responses", "elements") else value
        for field, value in content.items()
    }
    by_id = {entry["id"]: entry for entry in content[group]}
    return [by_id[entry["id"]] for entry in _handler(item_type).view(bare, seed, None)[group]]


def arranged_key(item_type: str, content: Mapping[str, Any], arrangement: Arrangement | None, *, seed: int) -> str:
    """The key as a key table prints it for a test code, in the labels its candidates see on
    the exam page and on paper (``assess.papers``), never an author's id.

    ``seed`` is the one the student view shuffles with (the version's primary key,
    ``itembank.preview.student_preview``).

    - single choice, multiple response: the option letters in the code's order ("AC");
    - true/false group: one letter a statement, "Đ" or "S" ("ĐSĐS");
    - short numeric: the answer with a decimal comma ("-1,5"), as candidates write it;
    - text entry: the accepted answers ("cos x | cosx"), patterns marked as such;
    - inline choice: a gap's number and the letter of its option, gaps in order ("(1) A; (2) B");
    - matching: a premise's number and the letter of its response as shown ("1-B; 2-A; 3-C");
    - ordering: the shown elements' letters in the right order ("c, a, b");
    - essay: a note that a person marks it.
    """
    content = arrange(item_type, content, arrangement)
    if item_type in ("single_choice", "multiple_response"):
        letters = {entry["id"]: OPTION_LETTERS[index] for index, entry in enumerate(content["options"])}
        keys = [content["key"]] if item_type == "single_choice" else content["keys"]
        return "".join(sorted(letters[key] for key in keys))
    if item_type == "true_false_group":
        true, false = pgettext("key table", "T"), pgettext("key table", "F")
        return "".join(true if content["keys"][entry["id"]] else false for entry in content["statements"])
    if item_type == "short_numeric":  # written as candidates write it, with a decimal comma
        return str(content.get("answer", "")).replace(".", ",")
    if item_type == "text_entry":
        answers = " | ".join(content.get("answers", []))
        if content.get("match") == "pattern":
            return str(pgettext("key table", "Pattern: %(answers)s") % {"answers": answers})
        return answers
    if item_type == "inline_choice":
        keys = content["keys"]
        return "; ".join(
            f"({number}) {OPTION_LETTERS[_ids(gap['options']).index(keys[gap['id']])]}"
            for number, gap in enumerate(content["gaps"], start=1)
        )
    if item_type == "matching":
        responses = _ids(shown_order(item_type, content, "responses", seed=seed))
        return "; ".join(
            f"{number}-{OPTION_LETTERS[responses.index(content['pairs'][premise['id']])]}"
            for number, premise in enumerate(content["premises"], start=1)
        )
    if item_type == "ordering":
        elements = _ids(shown_order(item_type, content, "elements", seed=seed))
        return ", ".join(PAPER_LETTERS[elements.index(element)] for element in content["order"])
    if item_type == "essay":
        return str(pgettext("key table", "Marked by hand"))
    raise ValueError(f"unknown item type {item_type!r}")


UNANSWERED_PART = "–"
"""What :func:`arranged_response` writes for a part of a response left unanswered."""


def arranged_response(
    item_type: str,
    content: Mapping[str, Any],
    arrangement: Arrangement | None,
    value: object,
    *,
    seed: int,
    limit: int = 120,
) -> str:
    """A stored response (in the version's ids) as :func:`arranged_key` writes the key, in the
    labels its candidate saw on their test code: "B", "AC", "ĐS–Đ", "-1,5", "(1) A; (2) –",
    "1-B; 2-–", "c, a, b"; a text (an essay, a text entry) cut to ``limit`` characters.

    No response gives ""; a part left unanswered (a statement, a gap, a premise) gives
    :data:`UNANSWERED_PART`. For the exam board's eyes only: it is read next to the key.
    """
    if value is None:
        return ""
    try:
        return _arranged_response(item_type, arrange(item_type, content, arrangement), value, seed, limit)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):  # not a response of this item
        return _shortened(str(value), limit)


def _shortened(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def _arranged_response(item_type: str, content: Mapping[str, Any], value: Any, seed: int, limit: int) -> str:
    gap = UNANSWERED_PART
    if item_type in ("single_choice", "multiple_response"):
        letters = {entry["id"]: OPTION_LETTERS[index] for index, entry in enumerate(content["options"])}
        chosen = [value] if item_type == "single_choice" else list(value)
        return "".join(sorted(letters[option] for option in chosen))
    if item_type == "true_false_group":
        true, false = pgettext("key table", "T"), pgettext("key table", "F")
        truths = [value.get(entry["id"]) for entry in content["statements"]]
        return "".join(gap if truth is None else true if truth else false for truth in truths)
    if item_type in ("short_numeric", "text_entry", "essay"):
        return _shortened(str(value), limit)
    if item_type == "inline_choice":
        return "; ".join(
            f"({number}) "
            + (
                gap
                if value.get(entry["id"]) is None
                else OPTION_LETTERS[_ids(entry["options"]).index(value[entry["id"]])]
            )
            for number, entry in enumerate(content["gaps"], start=1)
        )
    if item_type == "matching":
        responses = _ids(shown_order(item_type, content, "responses", seed=seed))
        return "; ".join(
            f"{number}-"
            + (gap if value.get(premise["id"]) is None else OPTION_LETTERS[responses.index(value[premise["id"]])])
            for number, premise in enumerate(content["premises"], start=1)
        )
    if item_type == "ordering":
        elements = _ids(shown_order(item_type, content, "elements", seed=seed))
        return ", ".join(PAPER_LETTERS[elements.index(element)] for element in value)
    raise ValueError(f"unknown item type {item_type!r}")


def correct_response(item_type: str, content: Mapping[str, Any]) -> object | None:
    """A response that earns full marks, in the shape a student answers with (the version's
    ids), for a review after release; ``None`` where there is no single one to show (an
    essay, a text matched by a pattern)."""
    if item_type == "single_choice":
        return content["key"]
    if item_type in ("multiple_response", "true_false_group", "inline_choice"):
        return content["keys"]
    if item_type == "short_numeric":
        return str(content["answer"]).replace(".", ",")
    if item_type == "text_entry":
        return None if content.get("match") == "pattern" else (content.get("answers") or [None])[0]
    if item_type == "matching":
        return content["pairs"]
    if item_type == "ordering":
        return content["order"]
    return None


def new_response_ids(item_type: str, content: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Fresh random ids for everything of ``content`` a student answers with (:data:`ResponseIds`).

    Each id is :data:`SHOWN_ID_BYTES` random bytes from :mod:`secrets` in hexadecimal,
    distinct within the item: neither its text nor its order tells anything of the key or
    of the ids the author typed. ``content`` is a validated document.
    """
    ids: dict[str, dict[str, str]] = {}
    used: set[str] = set()

    def draw(group: str, old: str) -> str:
        mapping = ids.setdefault(group, {})
        if old not in mapping:
            new = secrets.token_hex(SHOWN_ID_BYTES)
            while new in used:  # pragma: no cover - one chance in millions
                new = secrets.token_hex(SHOWN_ID_BYTES)
            used.add(new)
            mapping[old] = new
        return mapping[old]

    _handler(item_type).relabel(content, draw)
    return ids


def _renamer(ids: ResponseIds) -> Rename:
    def rename(group: str, old: str) -> str:
        try:
            return ids[group][old]
        except KeyError:
            raise ValueError(f"no shown id for {old!r} of {group!r}") from None

    return rename


def shown_id_lookup(ids: ResponseIds) -> dict[str, str]:
    """Shown id -> the version's id, over all groups (shown ids are distinct within an item)."""
    return {new: old for mapping in ids.values() for old, new in mapping.items()}


def response_from_shown(item_type: str, lookup: Mapping[str, str], value: object) -> object:
    """A response in shown ids (checked against the shown rule) -> the same in the version's ids.

    ``lookup`` is :func:`shown_id_lookup` of the item's ids; ``None`` stays ``None``.
    Raises ``ValueError`` for an id it does not know (a response that was not checked).
    """
    if value is None:
        return None

    def rename(group: str, shown: str) -> str:
        try:
            return lookup[shown]
        except KeyError:
            raise ValueError(f"{shown[:MAX_ID_CHARS]!r} is not an id of this item") from None

    return _handler(item_type).relabel_response(value, rename)


def response_to_shown(item_type: str, ids: ResponseIds, value: object) -> object:
    """A stored response in the version's ids -> the same in the ids the student is shown.

    Raises ``ValueError`` for an id that has no shown id.
    """
    if value is None:
        return None
    return _handler(item_type).relabel_response(value, _renamer(ids))


def response_rule(item_type: str, content: Mapping[str, Any], *, ids: ResponseIds | None = None) -> tuple[Any, ...]:
    """A hashable, compact description of the valid responses to ``content``.

    For :func:`check_response`: the option, statement or element ids; ``((gap, (option,
    ...)), ...)`` for inline choice; ``(premises, responses)`` for matching; ``(max
    characters, boxes)`` for short numeric, ``(max characters, max words)`` for essays,
    ``(max characters,)`` for text entry. With ``ids``, over the shown ids (the ones a
    student answers with, and the only ones a message may quote). Cheap to keep per form.
    """
    handler = _handler(item_type)
    if ids is not None:
        content = handler.relabel(content, _renamer(ids))
    return handler.rule(content)


def check_response(item_type: str, rule: tuple[Any, ...], value: object) -> None:
    """Check a response a student sends against its item's rules; ``None`` (clear) is always valid.

    Partial answers are valid (some statements, some gaps, some premises, some
    elements; ``null`` for one of them clears it). Values are not scored here, and no
    check depends on the key: a refusal tells nothing of it.

    Raises
    ------
    ValueError
        With a translated message, for the wrong shape, an unknown or repeated id, a
        true/false answer that is not a boolean, text over the limit
        (:data:`MAX_NUMERIC_CHARS`, :data:`MAX_TEXT_ENTRY_CHARS`, :data:`MAX_ESSAY_CHARS`),
        a short numeric answer that is not a number in the notation scoring reads
        (``scoring.item_rules.parse_decimal_answer``) or that needs more than the item's
        boxes (``scoring.item_rules.boxes_used``), or an essay over its ``max_words``
        (``scoring.item_rules.count_words``).
    """
    handler = _handler(item_type)
    if value is None:
        return
    handler.check(rule, value)


def search_text(item_type: str, content: Mapping[str, Any]) -> str:
    """Plain text of the stem and every student-visible text, for the search index."""
    handler = _handler(item_type)
    stem = str(content.get("stem", ""))
    if handler.stem_gaps(content):
        stem = GAP_MARKER.sub(" ", stem)
    return " ".join(part for part in (_plain(text) for text in (stem, *handler.texts(content))) if part)


def key_summary(item_type: str, content: Mapping[str, Any]) -> str:
    """The key in a few characters, for reviewers and lists: ``"B"``, ``"A, C"``,
    ``"a True, b False"``, ``"-1.5 (± 0)"``, ``"Hà Nội | Ha Noi"``, ``"g1 → x"``,
    ``"1 → b, 2 → a"``, ``"c, a, b"``; an essay says how it is marked."""
    return _handler(item_type).summary(content)


def content_diff(
    old_type: str, old_content: Mapping[str, Any], new_type: str, new_content: Mapping[str, Any]
) -> list[dict[str, str]]:
    """What changed between two versions' documents, one entry per changed field.

    Each entry is ``{"field": path, "before": text, "after": text, "html": inline diff}``;
    paths read ``stem``, ``options[2].text``, ``keys.b``, ``scale.3`` (list indexes from
    0); a field present on one side only has ``""`` on the other; ``item_type`` comes
    first when the type changed. ``html`` is the escaped text with word-level
    ``<del>``/``<ins>`` marks. Unchanged fields are omitted.
    """
    before = {"item_type": old_type, **_flatten(old_content)}
    after = {"item_type": new_type, **_flatten(new_content)}
    changes = []
    for field in dict.fromkeys([*before, *after]):
        old, new = before.get(field, ""), after.get(field, "")
        if old != new:
            changes.append({"field": field, "before": old, "after": new, "html": _inline_diff(old, new)})
    return changes


def from_single_choice_columns(stem: str, options: Sequence[Mapping[str, str]], key: str) -> dict[str, Any]:
    """A single-choice content document from the old plain-text columns (data migration).

    Text is escaped and line breaks become ``<br>``; LaTeX stays as text.
    """

    def to_html(text: str) -> str:
        return html.escape(text.replace("\r\n", "\n").replace("\r", "\n"), quote=False).replace("\n", "<br>")

    return {
        "stem": to_html(stem),
        "options": [{"id": option["id"], "text": to_html(option["text"])} for option in options],
        "key": key,
    }


# --------------------------------------------------------------------------- diff helpers


_FIELD_ORDER = (
    "stem",
    "options",
    "statements",
    "gaps",
    "premises",
    "responses",
    "elements",
    "boxes",
    "match",
    "ignore_diacritics",
    "scoring",
    "scale",
    "rubric",
    "max_words",
    "id",
    "text",
    "key",
    "keys",
    "answer",
    "tolerance",
    "answers",
    "pairs",
    "order",
)
_FIELD_RANK = {name: rank for rank, name in enumerate(_FIELD_ORDER)}


def _scalar_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _flatten(value: object, path: str = "") -> dict[str, str]:
    if isinstance(value, Mapping):
        flat: dict[str, str] = {}
        # A stored document's key order is the database's (PostgreSQL's jsonb sorts keys):
        # the author's order is the one of _FIELD_ORDER, then by name.
        for key in sorted(value, key=lambda name: (_FIELD_RANK.get(str(name), len(_FIELD_RANK)), str(name))):
            flat.update(_flatten(value[key], f"{path}.{key}" if path else str(key)))
        return flat
    if isinstance(value, list | tuple):
        flat = {}
        for index, item in enumerate(value):
            flat.update(_flatten(item, f"{path}[{index}]"))
        return flat
    return {path: _scalar_text(value)}


_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


def _inline_diff(before: str, after: str) -> str:
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    opcodes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    # Runs of changes separated only by spaces read as one change: "<del>đạo hàm</del>".
    merged: list[list[Any]] = []
    for index, (operation, i1, i2, j1, j2) in enumerate(opcodes):
        between = operation == "equal" and 0 < index < len(opcodes) - 1 and not "".join(old[i1:i2]).strip()
        if (operation != "equal" or between) and merged and merged[-1][0] == "change":
            merged[-1][2], merged[-1][4] = i2, j2
        else:
            merged.append(["equal" if operation == "equal" and not between else "change", i1, i2, j1, j2])
    parts: list[str] = []
    for operation, i1, i2, j1, j2 in merged:
        if operation == "equal":
            parts.append(html.escape("".join(old[i1:i2])))
            continue
        if i2 > i1:
            parts.append(f"<del>{html.escape(''.join(old[i1:i2]))}</del>")
        if j2 > j1:
            parts.append(f"<ins>{html.escape(''.join(new[j1:j2]))}</ins>")
    return "".join(parts)
