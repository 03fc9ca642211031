"""Read a websocket's socket only as fast as the application takes its frames.

Daphne reads every byte a client sends and parses it into frames as soon as it arrives, on the
event loop that serves every other student of the process, whatever the application does with
them: a client writing as fast as TCP carries its bytes costs the process a core's worth of
frame parsing, and the honest students around it wait (bench/flood.py, docs/security.md). The
ASGI interface gives an application no say over reading, so this middleware reaches for the
connection's transport, the one object that has it:

- **Read on demand.** When ``WS_READ_HIGH_WATER`` frames wait unread in the connection's
  queue, reading from its socket pauses; it resumes when the application has taken them all.
  A paused socket fills the kernel's buffers and TCP's window closes: the client's own writes
  block, and nothing more of its costs this process. An honest client, with one frame in flight,
  never reaches the mark.
- **Drop.** A connection the application closed for flooding is dropped at once
  (``scope["socket_control"].drop()``): its close frame is written, and nothing more is read,
  instead of the second that the websocket closing handshake lets a client go on sending.

Daphne hands an application ``send`` as ``functools.partial(server.handle_reply, protocol)``
and ``receive`` as its ``asyncio.Queue``'s ``get``; the protocol's ``transport`` is Twisted's,
with ``pauseProducing``, ``resumeProducing`` and ``loseConnection``. Under another server (or
Channels' test communicator) those are not found, the middleware passes the connection through
unchanged, and ``scope["socket_control"]`` is ``None``.
"""

from __future__ import annotations

import asyncio
import functools
import logging

from django.conf import settings

logger = logging.getLogger(__name__)


class SocketControl:
    """Pause, resume and drop the socket of one websocket connection."""

    def __init__(self, transport) -> None:
        self.transport = transport
        self.paused = False
        self.dropped = False

    @classmethod
    def of(cls, send) -> SocketControl | None:
        """The control of the connection behind Daphne's ``send``, or ``None`` elsewhere."""
        if not isinstance(send, functools.partial) or not send.args:
            return None
        transport = getattr(send.args[0], "transport", None)
        if not all(hasattr(transport, name) for name in ("pauseProducing", "resumeProducing", "loseConnection")):
            return None
        return cls(transport)

    def pause(self) -> None:
        if not self.paused and not self.dropped:
            self.paused = True
            self.transport.pauseProducing()

    def resume(self) -> None:
        if self.paused and not self.dropped:
            self.paused = False
            self.transport.resumeProducing()

    def drop(self) -> None:
        """Write what is queued (the close frame), then close the socket, reading nothing more."""
        if not self.dropped:
            self.dropped = True
            self.transport.loseConnection()


class ReadOnDemand:
    """ASGI middleware: websockets read from their sockets no faster than the application reads."""

    def __init__(self, app, high_water: int | None = None) -> None:
        self.app = app
        self.high_water = high_water

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        control = SocketControl.of(send)
        queue = getattr(receive, "__self__", None)
        if control is None or not isinstance(queue, asyncio.Queue):
            return await self.app(dict(scope, socket_control=None), receive, send)
        high_water = self.high_water or settings.WS_READ_HIGH_WATER
        put_nowait = queue.put_nowait

        def put_and_pause(message) -> None:
            # Daphne's protocol puts every frame it parses here, on the event loop's thread.
            put_nowait(message)
            if queue.qsize() >= high_water:
                control.pause()

        queue.put_nowait = put_and_pause

        async def receive_on_demand():
            if control.paused and queue.empty():
                control.resume()
            return await receive()

        # What waits is still read off the queue behind ``receive`` (assess/consumers.py).
        receive_on_demand.__self__ = queue
        return await self.app(dict(scope, socket_control=control), receive_on_demand, send)
