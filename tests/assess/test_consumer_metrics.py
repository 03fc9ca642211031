"""The exam websocket feeds the operator's metrics (config/metrics.py): a connection opened and
closed, answers acknowledged with their durations, errors sent by code, refusals counted."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from tests.assess.test_consumer import connect, option, receive_type, setup_sitting, started

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_connection_its_answers_and_its_errors_are_counted():
    _sitting, attempts, keys = await setup_sitting()
    before = {
        "connects": value("assess_ws_connects_total"),
        "open": value("assess_ws_connections_open"),
        "acked": value("assess_answers_acked_total"),
        "ack_count": value("assess_answer_ack_duration_seconds_count"),
        "answers": value("assess_ws_messages_total", kind="answer"),
        "unknown_item": value("assess_ws_errors_sent_total", code="unknown_item"),
        "closed": value("assess_ws_disconnects_total", code="1000"),
        "connect_count": value("assess_ws_connect_duration_seconds_count"),
        "layer_errors": value("assess_channel_layer_errors_total"),
    }
    ws, state = await started(attempts[0])
    assert value("assess_ws_connects_total") == before["connects"] + 1
    assert value("assess_ws_connections_open") == before["open"] + 1
    assert value("assess_ws_connect_duration_seconds_count") == before["connect_count"] + 1
    for seq, item in enumerate([1, 2], start=1):
        await ws.send_json_to({"type": "answer", "seq": seq, "item": item, "value": option(state, item, keys[item])})
        assert (await receive_type(ws, "ack"))["seq"] == seq
    await ws.send_json_to({"type": "answer", "seq": 3, "item": 99, "value": "A"})
    assert (await receive_type(ws, "ack"))["code"] == "unknown_item"
    assert value("assess_ws_messages_total", kind="answer") == before["answers"] + 3
    assert value("assess_answers_acked_total") == before["acked"] + 2  # the refused one is not
    assert value("assess_answer_ack_duration_seconds_count") == before["ack_count"] + 2
    assert value("assess_ws_errors_sent_total", code="unknown_item") == before["unknown_item"] + 1
    await ws.disconnect(code=1000)
    assert value("assess_ws_connections_open") == before["open"]
    # the takeover, presence and answers went through the channel layer without a failure
    assert value("assess_channel_layer_errors_total") == before["layer_errors"]
    assert value("assess_ws_disconnects_total", code="1000") == before["closed"] + 1


async def test_a_refused_handshake_leaves_the_open_count_alone():
    _sitting, attempts, _keys = await setup_sitting()
    before = value("assess_ws_connections_open")
    communicator, connected, _ = await connect(attempts[0].pk)  # no session: refused after accept
    assert connected
    assert (await receive_type(communicator, "error"))["code"] == "not_authenticated"
    await communicator.wait()
    assert value("assess_ws_connections_open") == before
