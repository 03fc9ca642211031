"""The exam websocket protocol: parsing of client messages (pure; no Django, no I/O).

See ``docs/protocol.md`` for the wire format. ``parse`` either returns a typed message
or raises ``ProtocolError`` carrying a stable error code and, where one was readable, the
client's sequence number, so that the client can match the error to what it sent.

Messages are English templates marked for translation (``gettext_noop``, found by
``makemessages``) with their values apart: the consumer translates them into the
connection's language, so this module stays free of Django.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_SEQ = 2**53 - 1  # the largest integer a JavaScript client represents exactly
MAX_POSITION = 10_000
MAX_VALUE_CHARS = 20_000  # an essay; each item type bounds its own answers further
MAX_VALUE_PARTS = 50  # entries of a list or object value (choices, statements, gaps, pairs)
MAX_PART_CHARS = 100  # each id or short text inside a list or object value

Value = str | list[str] | dict[str, str | bool] | None

# Text a message may not carry anywhere (values, object keys, list parts, the type): a lone
# surrogate is not Unicode (no reply or state holding it can be encoded as UTF-8 again) and
# NUL is refused by PostgreSQL's jsonb (the write would fail on every retry).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def gettext_noop(message: str) -> str:
    """Mark a message for translation (``makemessages`` looks for this name); the consumer translates."""
    return message


class ProtocolError(Exception):
    def __init__(self, code: str, message: str, seq: int | None = None, params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message  # an English template; ``params`` fill its %(name)s fields
        self.seq = seq
        self.params = params or {}

    def text(self) -> str:
        """The message in English with its values filled in."""
        return self.message % self.params if self.params else self.message


@dataclass(frozen=True)
class Start:
    access_code: str = ""


@dataclass(frozen=True)
class AnswerMessage:
    seq: int
    item: int
    value: Value


@dataclass(frozen=True)
class FlagMessage:
    seq: int
    item: int
    flagged: bool


@dataclass(frozen=True)
class Submit:
    pass


@dataclass(frozen=True)
class Sync:
    pass


@dataclass(frozen=True)
class Ping:
    """The client's heartbeat: answered with ``pong`` (a connection that hears nothing is dead)."""


@dataclass(frozen=True)
class Check:
    """Feedback after each item: score this answered item now (its answer is then fixed)."""

    item: int


@dataclass(frozen=True)
class Integrity:
    """What the exam page noticed (``proctoring.integrity``): the page left (and for how long),
    full screen left, a copy, a paste, the context menu. The server never takes a second
    session or a new address from the client: it sees them itself."""

    kind: str
    duration_ms: int | None = None


INTEGRITY_KINDS = ("focus_loss", "fullscreen_exit", "copy", "paste", "context_menu")
MAX_FOCUS_LOSS_MS = 6 * 3600 * 1000  # longer than any exam: a page away longer is a clock gone wrong


@dataclass(frozen=True)
class NextSection:
    """Leave the current section for the next one (or its break): ``assess.sections``."""


@dataclass(frozen=True)
class EndBreak:
    """End the break between two sections now and start the next section."""


@dataclass(frozen=True)
class NextItem:
    """A linear section: leave the current item for the next one (no way back)."""


Message = (
    Start | AnswerMessage | FlagMessage | Submit | Sync | Check | Ping | Integrity | NextSection | EndBreak | NextItem
)


def decode(text: str | None, bytes_data: bytes | None, *, max_bytes: int) -> Any:
    """Turn a websocket frame into JSON data, refusing binary, oversized and malformed frames."""
    if text is None:
        raise ProtocolError("malformed", gettext_noop("Send text frames holding JSON objects."))
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise ProtocolError(
            "too_large",
            gettext_noop("A message may hold at most %(max_bytes)s bytes."),
            params={"max_bytes": max_bytes},
        )
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("malformed", gettext_noop("The message is not valid JSON.")) from exc


def unstorable_text(content: Any) -> bool:
    """Whether any string in decoded JSON, object keys included, holds a lone surrogate or NUL."""
    stack = [content]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if _UNSTORABLE.search(node):
                return True
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _readable_seq(content: dict[str, Any]) -> int | None:
    seq = content.get("seq")
    return seq if type(seq) is int and 1 <= seq <= MAX_SEQ else None


def _seq(content: dict[str, Any]) -> int:
    seq = _readable_seq(content)
    if seq is None:
        raise ProtocolError(
            "invalid_field", gettext_noop("seq must be an integer from 1 to %(max_seq)s."), params={"max_seq": MAX_SEQ}
        )
    return seq


def _item(content: dict[str, Any], seq: int) -> int:
    item = content.get("item")
    if type(item) is not int or not 1 <= item <= MAX_POSITION:
        raise ProtocolError(
            "invalid_field", gettext_noop("item must be the item's position on the form (1, 2, ...)."), seq
        )
    return item


def _only(content: dict[str, Any], allowed: set[str], seq: int | None) -> None:
    unknown = set(content) - allowed
    if unknown:
        names = ", ".join(sorted(name[:40] for name in unknown))
        raise ProtocolError("invalid_field", gettext_noop("Unknown field(s): %(names)s."), seq, {"names": names})


def _short(part: Any) -> bool:
    return isinstance(part, str) and 0 < len(part) <= MAX_PART_CHARS


def _value(value: Any, seq: int) -> Value:
    """An answer's shape, whatever the item type: the item's own rule is checked on the server.

    A non-empty string; a list of short strings; an object of short strings to short strings
    or booleans; or null (clears the answer).
    """
    if value is None:
        return None
    if isinstance(value, str):
        if 0 < len(value) <= MAX_VALUE_CHARS:
            return value
        raise ProtocolError(
            "invalid_value",
            gettext_noop("A text value has 1 to %(max_chars)s characters."),
            seq,
            {"max_chars": MAX_VALUE_CHARS},
        )
    if isinstance(value, list):
        if 0 < len(value) <= MAX_VALUE_PARTS and all(_short(part) for part in value):
            return value
        raise ProtocolError(
            "invalid_value",
            gettext_noop("A list value holds 1 to %(max_parts)s ids of 1 to %(max_chars)s characters."),
            seq,
            {"max_parts": MAX_VALUE_PARTS, "max_chars": MAX_PART_CHARS},
        )
    if isinstance(value, dict):
        if 0 < len(value) <= MAX_VALUE_PARTS and all(
            _short(key) and (isinstance(part, bool) or _short(part)) for key, part in value.items()
        ):
            return value
        raise ProtocolError(
            "invalid_value",
            gettext_noop("An object value maps 1 to %(max_parts)s ids to ids or true/false."),
            seq,
            {"max_parts": MAX_VALUE_PARTS},
        )
    raise ProtocolError("invalid_value", gettext_noop("value must be a string, a list, an object or null."), seq)


def parse(content: Any) -> Message:
    """Validate one decoded client message and return it typed."""
    if not isinstance(content, dict):
        raise ProtocolError("malformed", gettext_noop('A message is a JSON object with a "type".'))
    if unstorable_text(content):
        raise ProtocolError(
            "invalid_value",
            gettext_noop("The message holds text that is not valid Unicode or a NUL character."),
            _readable_seq(content),
        )
    kind = content.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("malformed", gettext_noop('A message needs a "type" string.'))
    if kind == "answer":
        seq = _seq(content)
        _only(content, {"type", "seq", "item", "value"}, seq)
        item = _item(content, seq)
        if "value" not in content:
            raise ProtocolError("invalid_field", gettext_noop("An answer needs a value (null clears it)."), seq)
        return AnswerMessage(seq=seq, item=item, value=_value(content["value"], seq))
    if kind == "flag":
        seq = _seq(content)
        _only(content, {"type", "seq", "item", "flagged"}, seq)
        item = _item(content, seq)
        flagged = content.get("flagged")
        if not isinstance(flagged, bool):
            raise ProtocolError("invalid_field", gettext_noop("flagged must be true or false."), seq)
        return FlagMessage(seq=seq, item=item, flagged=flagged)
    if kind == "start":
        _only(content, {"type", "access_code"}, None)
        code = content.get("access_code", "")
        if not isinstance(code, str) or len(code) > 40:
            raise ProtocolError("invalid_field", gettext_noop("access_code must be a short text."))
        return Start(access_code=code)
    if kind == "check":
        _only(content, {"type", "item"}, None)
        return Check(item=_item(content, None))
    if kind == "submit":
        _only(content, {"type"}, None)
        return Submit()
    if kind == "sync":
        _only(content, {"type"}, None)
        return Sync()
    if kind == "ping":
        _only(content, {"type"}, None)
        return Ping()
    if kind == "integrity":
        return _integrity(content)
    if kind in _NAVIGATION:
        _only(content, {"type"}, None)
        return _NAVIGATION[kind]()
    raise ProtocolError("unknown_type", gettext_noop("Unknown message type %(type)r."), params={"type": kind[:40]})


_NAVIGATION: dict[str, type[NextSection | EndBreak | NextItem]] = {
    "next_section": NextSection,
    "end_break": EndBreak,
    "next_item": NextItem,
}


def _integrity(content: dict[str, Any]) -> Integrity:
    what = content.get("kind")
    if what not in INTEGRITY_KINDS:
        raise ProtocolError(
            "invalid_field",
            gettext_noop("kind must be one of %(kinds)s."),
            params={"kinds": ", ".join(INTEGRITY_KINDS)},
        )
    if what != "focus_loss":
        _only(content, {"type", "kind"}, None)
        return Integrity(kind=what)
    _only(content, {"type", "kind", "duration_ms"}, None)
    duration = content.get("duration_ms")
    if type(duration) is not int or not 0 <= duration <= MAX_FOCUS_LOSS_MS:
        raise ProtocolError(
            "invalid_field",
            gettext_noop("duration_ms must be an integer from 0 to %(max_ms)s."),
            params={"max_ms": MAX_FOCUS_LOSS_MS},
        )
    return Integrity(kind=what, duration_ms=duration)


# --- server messages ----------------------------------------------------------------------------
# What the server sends, built here as the client's messages are parsed here: each has its
# ``type`` and ``json()``; ``encode`` writes one frame. Texts arrive translated.


@dataclass(frozen=True)
class Ack:
    seq: int
    item: int
    remaining_ms: int | None
    duplicate: bool = False

    def json(self) -> dict[str, Any]:
        reply: dict[str, Any] = {"type": "ack", "seq": self.seq, "item": self.item, "remaining_ms": self.remaining_ms}
        if self.duplicate:
            reply["duplicate"] = True
        return reply


@dataclass(frozen=True)
class Error:
    code: str
    message: str
    seq: int | None = None
    retry_after_ms: int | None = None

    def json(self) -> dict[str, Any]:
        reply: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.seq is not None:
            reply["seq"] = self.seq
        if self.retry_after_ms is not None:
            reply["retry_after_ms"] = self.retry_after_ms
        return reply


@dataclass(frozen=True)
class Submitted:
    reason: str
    status: str

    def json(self) -> dict[str, Any]:
        return {"type": "submitted", "reason": self.reason, "status": self.status}


@dataclass(frozen=True)
class TimeLeft:
    remaining_ms: int
    deadline: str
    # By sections: the time left in the current section, or of the break.
    section_remaining_ms: int | None = None
    break_remaining_ms: int | None = None

    def json(self) -> dict[str, Any]:
        reply: dict[str, Any] = {"type": "time", "remaining_ms": self.remaining_ms, "deadline": self.deadline}
        if self.section_remaining_ms is not None:
            reply["section_remaining_ms"] = self.section_remaining_ms
        if self.break_remaining_ms is not None:
            reply["break_remaining_ms"] = self.break_remaining_ms
        return reply


@dataclass(frozen=True)
class Progress:
    """Where the attempt is in its sections (``assess.selectors.attempt_progress`` shapes it)."""

    content: dict[str, Any]

    def json(self) -> dict[str, Any]:
        return {"type": "progress", **self.content}


@dataclass(frozen=True)
class State:
    """The whole state of the attempt (``assess.selectors.attempt_state`` shapes it)."""

    content: dict[str, Any]

    def json(self) -> dict[str, Any]:
        return self.content


@dataclass(frozen=True)
class Feedback:
    """One checked item's feedback (``assess.selectors.checked_feedback`` shapes it)."""

    content: dict[str, Any]

    def json(self) -> dict[str, Any]:
        return self.content


@dataclass(frozen=True)
class TakenOver:
    message: str

    def json(self) -> dict[str, Any]:
        return {"type": "taken_over", "message": self.message}


@dataclass(frozen=True)
class Pong:
    server_time: str

    def json(self) -> dict[str, Any]:
        return {"type": "pong", "server_time": self.server_time}


@dataclass(frozen=True)
class Notice:
    """A message from the proctor or the exam board, shown to the candidate as it is."""

    text: str
    sender: str
    at: str

    def json(self) -> dict[str, Any]:
        return {"type": "notice", "text": self.text, "from": self.sender, "at": self.at}


@dataclass(frozen=True)
class Noted:
    """The reply to ``integrity``: heard (every frame gets a reply: the page's heartbeat counts on it)."""

    kind: str

    def json(self) -> dict[str, Any]:
        return {"type": "noted", "kind": self.kind}


Outgoing = Ack | Error | Submitted | TimeLeft | State | Feedback | TakenOver | Pong | Notice | Progress | Noted


def encode(message: Outgoing) -> str:
    """One server frame: compact JSON, UTF-8 text as it is."""
    return json.dumps(message.json(), ensure_ascii=False, separators=(",", ":"))
