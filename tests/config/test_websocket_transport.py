"""Reading a websocket on demand (config/websocket_transport.py).

Against a real Daphne, tests/integration/test_exam_end_to_end.py floods a socket at line rate;
here the middleware's bookkeeping is pinned frame by frame, with a transport that records what
Twisted's would be told.
"""

from __future__ import annotations

import asyncio
import functools

from config.websocket_transport import ReadOnDemand, SocketControl


class RecordingTransport:
    """What Daphne's protocol exposes of Twisted's TCP transport, recording each call."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def pauseProducing(self) -> None:  # noqa: N802 (Twisted's names)
        self.calls.append("pause")

    def resumeProducing(self) -> None:  # noqa: N802
        self.calls.append("resume")

    def loseConnection(self) -> None:  # noqa: N802
        self.calls.append("lose")


class Protocol:
    def __init__(self) -> None:
        self.transport = RecordingTransport()


async def _reply(protocol, message) -> None:  # Daphne's Server.handle_reply
    pass


def daphne_connection():
    """``receive`` and ``send`` as Daphne hands them to an application, and its transport."""
    protocol = Protocol()
    queue: asyncio.Queue = asyncio.Queue()
    return queue, functools.partial(_reply, protocol), protocol.transport


def run_app(app, scope, queue, send):
    """Start ``app`` on a connection and hand back what it saw."""
    seen: dict = {}

    async def inner(scope, receive, send):
        seen["scope"], seen["receive"] = scope, receive

    asyncio.run(ReadOnDemand(app or inner, high_water=3)(scope, queue.get, send))
    return seen


def test_reading_pauses_at_the_high_water_mark_and_resumes_when_the_queue_is_drained():
    queue, send, transport = daphne_connection()

    async def app(scope, receive, send):
        assert scope["socket_control"].paused is False
        queue.put_nowait({"type": "websocket.receive", "text": "1"})
        queue.put_nowait({"type": "websocket.receive", "text": "2"})
        assert transport.calls == []
        queue.put_nowait({"type": "websocket.receive", "text": "3"})  # the third waiting: pause
        queue.put_nowait({"type": "websocket.receive", "text": "4"})  # parsed from the same read
        assert transport.calls == ["pause"]
        taken = [(await receive())["text"] for _ in range(4)]
        assert taken == ["1", "2", "3", "4"] and transport.calls == ["pause"]
        # The queue is empty: the next receive reads the socket again before it waits.
        waiting = asyncio.ensure_future(receive())
        await asyncio.sleep(0)
        assert transport.calls == ["pause", "resume"]
        queue.put_nowait({"type": "websocket.disconnect", "code": 1000})
        assert (await waiting)["type"] == "websocket.disconnect"

    asyncio.run(ReadOnDemand(app, high_water=3)({"type": "websocket"}, queue.get, send))
    assert transport.calls == ["pause", "resume"]


def test_the_consumer_still_sees_how_many_frames_wait():
    queue, send, _ = daphne_connection()
    seen = run_app(None, {"type": "websocket"}, queue, send)
    queue.put_nowait({"type": "websocket.receive", "text": "1"})
    assert seen["receive"].__self__ is queue and seen["receive"].__self__.qsize() == 1


def test_a_dropped_connection_is_lost_once_and_never_paused_or_resumed_again():
    transport = RecordingTransport()
    control = SocketControl(transport)
    control.pause()
    control.drop()
    control.drop()
    control.resume()
    control.pause()
    assert transport.calls == ["pause", "lose"]


def test_without_daphne_the_connection_passes_through_unchanged():
    queue: asyncio.Queue = asyncio.Queue()

    async def plain_send(message) -> None:
        pass

    seen = run_app(None, {"type": "websocket"}, queue, plain_send)
    assert seen["scope"]["socket_control"] is None and seen["receive"] == queue.get
    # HTTP is none of its business.
    seen = run_app(None, {"type": "http"}, queue, plain_send)
    assert "socket_control" not in seen["scope"]
    assert SocketControl.of(functools.partial(_reply, object())) is None
