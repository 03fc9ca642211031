"""The protocol parser: every frame either parses to a typed message or fails with a code."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assess import protocol

CODES = {"malformed", "too_large", "unknown_type", "invalid_field", "invalid_value"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)

# Any code point, lone surrogates (category Cs) and NUL included: what json.loads makes of
# "\ud800" or "\u0000" escapes in a frame.
any_text = st.text(st.characters(codec=None, categories=None), max_size=12)
BAD_TEXT = st.sampled_from(["\ud800", "\udfff", "\x00", "cos\ud800x", "a\x00b", "\udc00\ud800"])
wild_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2, max_value=2**53) | any_text | BAD_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(any_text | BAD_TEXT, children, max_size=4),
    max_leaves=12,
)


def storable(text: str) -> bool:
    """What PostgreSQL's jsonb stores and a reply can carry: valid UTF-8 without NUL."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def strings_in(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in strings_in(key) + strings_in(value)]
    if isinstance(node, list):
        return [s for part in node for s in strings_in(part)]
    return []


@given(st.text(max_size=200))
def test_any_text_parses_or_fails_with_a_code(text):
    try:
        message = protocol.parse(protocol.decode(text, None, max_bytes=16384))
    except protocol.ProtocolError as exc:
        assert exc.code in CODES
    else:
        assert isinstance(
            message, (protocol.Start, protocol.AnswerMessage, protocol.FlagMessage, protocol.Submit, protocol.Sync)
        )


@given(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["answer", "flag", "start", "submit", "sync", "x"])},
        optional={
            "seq": json_values,
            "item": json_values,
            "value": json_values,
            "flagged": json_values,
            "other": json_values,
        },
    )
)
def test_structured_messages_parse_or_fail_with_a_code(content):
    try:
        message = protocol.parse(content)
    except protocol.ProtocolError as exc:
        assert exc.code in CODES
        if exc.seq is not None:
            assert content.get("seq") == exc.seq
    else:
        if isinstance(message, protocol.AnswerMessage):
            assert type(message.seq) is int and message.seq >= 1
            assert message.value is None or isinstance(message.value, str)


def test_valid_messages():
    assert protocol.parse({"type": "answer", "seq": 3, "item": 2, "value": "B"}) == protocol.AnswerMessage(3, 2, "B")
    assert protocol.parse({"type": "answer", "seq": 4, "item": 2, "value": None}).value is None
    assert protocol.parse({"type": "flag", "seq": 5, "item": 1, "flagged": False}).flagged is False
    assert protocol.parse({"type": "start"}) == protocol.Start()
    # the shapes of the other item types: choices, statements, gaps and pairs, an essay
    assert protocol.parse({"type": "answer", "seq": 6, "item": 1, "value": ["A", "C"]}).value == ["A", "C"]
    tf = {"a": True, "b": False}
    assert protocol.parse({"type": "answer", "seq": 7, "item": 1, "value": tf}).value == tf
    assert protocol.parse({"type": "answer", "seq": 8, "item": 1, "value": {"g1": "x"}}).value == {"g1": "x"}
    assert len(protocol.parse({"type": "answer", "seq": 9, "item": 1, "value": "ệ" * 20_000}).value) == 20_000


@pytest.mark.parametrize(
    "content, code",
    [
        ({"type": "answer", "seq": True, "item": 1, "value": "A"}, "invalid_field"),
        ({"type": "answer", "seq": 2**53, "item": 1, "value": "A"}, "invalid_field"),
        ({"type": "answer", "seq": 1, "item": 1.0, "value": "A"}, "invalid_field"),
        ({"type": "answer", "seq": 1, "item": 1, "value": ""}, "invalid_value"),
        ({"type": "answer", "seq": 1, "item": 1, "value": "x" * 20_001}, "invalid_value"),
        ({"type": "answer", "seq": 1, "item": 1, "value": []}, "invalid_value"),
        ({"type": "answer", "seq": 1, "item": 1, "value": ["A", ""]}, "invalid_value"),
        ({"type": "answer", "seq": 1, "item": 1, "value": ["A"] * 51}, "invalid_value"),
        ({"type": "answer", "seq": 1, "item": 1, "value": ["x" * 101]}, "invalid_value"),
        ({"type": "answer", "seq": 1, "item": 1, "value": [["A"]]}, "invalid_value"),
        ({"type": "answer", "seq": 1, "item": 1, "value": {}}, "invalid_value"),
        ({"type": "answer", "seq": 1, "item": 1, "value": {"a": 1}}, "invalid_value"),
        ({"type": "answer", "seq": 1, "item": 1, "value": {"a": None}}, "invalid_value"),
        ({"type": "answer", "seq": 1, "item": 1, "value": {"a": {"b": "c"}}}, "invalid_value"),
        ({"type": "answer", "seq": 1, "item": 1, "value": 3}, "invalid_value"),
        ({"type": "answer", "seq": 1, "item": 1, "value": True}, "invalid_value"),
        ({"type": "start", "seq": 1}, "invalid_field"),
        ({"type": 5}, "malformed"),
    ],
)
def test_invalid_messages(content, code):
    """Values of every item type's shape pass; anything else is refused before the database."""
    with pytest.raises(protocol.ProtocolError) as info:
        protocol.parse(content)
    assert info.value.code == code


def test_size_limit_counts_bytes_not_characters():
    text = json.dumps({"type": "sync", "pad": "ệ" * 3000}, ensure_ascii=False)
    assert len(text) < 16384 / 2 < len(text.encode())
    with pytest.raises(protocol.ProtocolError) as info:
        protocol.decode(text, None, max_bytes=8192)
    assert info.value.code == "too_large"


def test_deeply_nested_json_is_malformed_not_a_crash():
    with pytest.raises(protocol.ProtocolError) as info:
        protocol.decode("[" * 100_000 + "]" * 100_000, None, max_bytes=10**6)
    assert info.value.code == "malformed"


@given(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["answer", "flag", "start", "submit", "sync"]) | any_text},
        optional={
            "seq": st.integers(min_value=0, max_value=2**53) | wild_values,
            "item": st.integers(min_value=0, max_value=10) | wild_values,
            "value": wild_values,
            "flagged": st.booleans() | wild_values,
        },
    ).flatmap(
        lambda content: st.dictionaries(any_text | BAD_TEXT, wild_values, max_size=2).map(
            lambda extra: {**extra, **content}
        )
    )
)
def test_text_that_cannot_be_stored_is_refused_anywhere_in_a_message(content):
    """A lone surrogate or NUL in any value, key or list part: invalid_value, with the seq when readable."""
    bad = not all(storable(text) for text in strings_in(content))
    try:
        message = protocol.parse(content)
    except protocol.ProtocolError as exc:
        assert exc.code in CODES
        assert storable(exc.text()), "an error message never echoes text it cannot carry"
        if bad:
            assert exc.code == "invalid_value"
            seq = content.get("seq")
            readable = type(seq) is int and 1 <= seq <= protocol.MAX_SEQ
            assert exc.seq == (seq if readable else None)
    else:
        assert not bad
        assert all(storable(text) for text in strings_in(message.__dict__))


@pytest.mark.parametrize(
    "content",
    [
        {"type": "answer", "seq": 4, "item": 1, "value": "cos\ud800x"},
        {"type": "answer", "seq": 4, "item": 1, "value": "a\x00b"},
        {"type": "answer", "seq": 4, "item": 1, "value": ["A", "\udfff"]},
        {"type": "answer", "seq": 4, "item": 1, "value": {"a\ud800": True}},
        {"type": "answer", "seq": 4, "item": 1, "value": {"g1": "\x00"}},
        {"type": "flag", "seq": 4, "item": 1, "flagged": True, "\ud800": 1},
    ],
)
def test_lone_surrogates_and_nul_are_invalid_values_with_the_seq(content):
    with pytest.raises(protocol.ProtocolError) as info:
        protocol.parse(content)
    assert (info.value.code, info.value.seq) == ("invalid_value", 4)


def test_escaped_surrogates_and_nul_in_a_frame_are_refused_but_pairs_are_text():
    frame = '{"type": "answer", "seq": 2, "item": 1, "value": "cos\\ud800x"}'
    with pytest.raises(protocol.ProtocolError) as info:
        protocol.parse(protocol.decode(frame, None, max_bytes=1024))
    assert (info.value.code, info.value.seq) == ("invalid_value", 2)
    frame = '{"type": "answer", "seq": 3, "item": 1, "value": "x\\u0000"}'
    with pytest.raises(protocol.ProtocolError):
        protocol.parse(protocol.decode(frame, None, max_bytes=1024))
    # A surrogate pair is one character outside the BMP: an emoji in an essay is fine.
    frame = '{"type": "answer", "seq": 5, "item": 1, "value": "\\ud83d\\ude00 \u1ec7"}'
    assert protocol.parse(protocol.decode(frame, None, max_bytes=1024)).value == "\U0001f600 \u1ec7"


def test_every_close_code_the_exam_socket_uses_is_one_daphne_can_send():
    """Daphne closes through autobahn, which sends 1000 or a code from 3000 to 4999 and raises
    on any other (RFC 6455's 1013 among them: a busy server's close once failed so, under
    Daphne only; Channels' test client sends anything)."""
    from autobahn.websocket.protocol import WebSocketProtocol

    from assess import consumers

    frames = []
    socket = WebSocketProtocol.__new__(WebSocketProtocol)
    socket.sendCloseFrame = lambda **frame: frames.append(frame["code"])
    codes = {value for name, value in vars(consumers).items() if name.startswith("CLOSE_")}
    assert {4401, 4403, 4404, 4409, 4429, 4503} <= codes
    for code in sorted(codes):
        WebSocketProtocol.sendClose(socket, code=code)
    assert frames == sorted(codes)
    with pytest.raises(Exception, match="invalid close code"):
        WebSocketProtocol.sendClose(socket, code=1013)
