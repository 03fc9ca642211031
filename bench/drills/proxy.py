"""A TCP proxy that can cut the network without closing anything: a black hole.

Between some students and a server. While cut, it neither reads nor writes on either side of
any connection, and connections opened meanwhile are accepted but not passed on: no byte, no
FIN, no RST goes anywhere, as when a cable is pulled (what was sent waits in the kernel's
buffers, as unacknowledged TCP segments wait to be sent again). When the cut ends everything
flows again: a side that was closed or reset meanwhile is then seen as such and the other side
is closed too (a reset one is reset), as TCP finds out once its segments get through again; a
connection opened during the cut is passed on to the server then, as a retransmitted SYN is.

It runs its own event loop in a thread, so that the drill that uses it may block.
"""

from __future__ import annotations

import asyncio
import threading


class _Side(asyncio.Protocol):
    """One socket of a proxied connection (the student's or the server's)."""

    def __init__(self, pipe: _Pipe) -> None:
        self.pipe = pipe
        self.transport: asyncio.Transport | None = None
        self.peer: _Side | None = None
        self.buffered: list[bytes] = []  # arrived before the other side was connected
        self.gone: Exception | None | bool = False  # closed (None: cleanly) or reset (the error)
        self.eof = False  # this side sent its FIN

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        if self.pipe.proxy.cut_now:
            transport.pause_reading()

    def data_received(self, data: bytes) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.write(data)
        else:
            self.buffered.append(data)

    def eof_received(self) -> bool:
        self.eof = True
        peer = self.peer
        if peer is None or peer.transport is None or peer.eof or not peer.transport.can_write_eof():
            return False  # this side closes; connection_lost closes the other
        peer.transport.write_eof()
        return True  # half-closed: the other direction may still flow

    def connection_lost(self, exc: Exception | None) -> None:
        self.gone = exc if exc is not None else None
        self.pipe.lost(self, exc)


class _Pipe:
    """A student's connection and the proxy's own to the server."""

    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy
        self.client = _Side(self)
        self.server: _Side | None = None

    async def open_upstream(self) -> None:
        loop = asyncio.get_running_loop()
        server = _Side(self)
        try:
            await loop.create_connection(lambda: server, self.proxy.target_host, self.proxy.target_port)
        except OSError:
            if self.client.transport is not None:
                self.client.transport.abort()
            return
        if self.client.gone is not False:  # the student gave up meanwhile
            server.transport.abort()
            return
        self.server = server
        server.peer, self.client.peer = self.client, server
        if not self.proxy.cut_now:  # else when the cut ends
            self.flush()

    def flush(self) -> None:
        """Pass on what the student sent before the server side was connected."""
        if self.server is not None and self.server.transport is not None:
            for data in self.client.buffered:
                self.server.transport.write(data)
            self.client.buffered.clear()

    def lost(self, side: _Side, exc: Exception | None) -> None:
        other = side.peer
        if other is None or other.transport is None or other.transport.is_closing():
            self.proxy.pipes.discard(self)
            return
        if exc is None:
            other.transport.close()
        else:
            other.transport.abort()  # a reset passes on as a reset
        self.proxy.pipes.discard(self)

    def transports(self) -> list[asyncio.Transport]:
        return [s.transport for s in (self.client, self.server) if s is not None and s.transport is not None]


class Proxy:
    """Listens on 127.0.0.1:``port`` and passes every connection on to ``target``."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host, self.target_port = target_host, target_port
        self.cut_now = False
        self.pipes: set[_Pipe] = set()
        self.waiting: list[_Pipe] = []  # opened during a cut: passed on when it ends
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="drill-proxy", daemon=True)
        self.thread.start()
        self.server = self._call(self._listen())
        self.port = self.server.sockets[0].getsockname()[1]

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    async def _listen(self) -> asyncio.Server:
        return await self.loop.create_server(self._accepted, "127.0.0.1", 0, backlog=4096)

    def _accepted(self) -> _Side:
        pipe = _Pipe(self)
        self.pipes.add(pipe)
        if self.cut_now:
            self.waiting.append(pipe)
        else:
            self.loop.create_task(pipe.open_upstream())
        return pipe.client

    async def _cut(self) -> None:
        self.cut_now = True
        for pipe in list(self.pipes):
            for transport in pipe.transports():
                if not transport.is_closing():
                    transport.pause_reading()

    async def _restore(self) -> None:
        self.cut_now = False
        waiting, self.waiting = self.waiting, []
        for pipe in list(self.pipes):
            for transport in pipe.transports():
                if not transport.is_closing():
                    transport.resume_reading()
            pipe.flush()
        for pipe in waiting:
            if pipe.client.gone is False:
                await pipe.open_upstream()
            else:
                self.pipes.discard(pipe)

    def cut(self) -> None:
        """Stop passing anything on, in both directions, on every connection."""
        self._call(self._cut())

    def restore(self) -> None:
        """Let everything flow again."""
        self._call(self._restore())

    def close(self) -> None:
        async def shut() -> None:
            self.server.close()
            for pipe in list(self.pipes):
                for transport in pipe.transports():
                    transport.abort()

        self._call(shut())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
