"""Serve the project with Daphne: the one command line every server process is started with.

    python -m config.serve [--port 8000] [--host 127.0.0.1] [--proxy-headers]

``make run``, the Docker image, docker-compose, the integration tests and the benchmarks all
start Daphne through here, so the settings a start storm needs hold everywhere:

- the listen backlog (``SERVE_BACKLOG``, default 4096; Daphne's own is 50): in a storm the
  kernel otherwise drops connection attempts and each client waits a 1 s retransmit;
- the websocket handshake timeout (``WS_HANDSHAKE_TIMEOUT``, default 60 s; Daphne's own is
  5 s): Daphne drops a websocket the application has not accepted within it, and a client
  that retries adds a connection to the queue that made it wait; in a storm of thousands the
  5 s default turned a queue into a collapse (bench/RESULTS.md, the start storm);
- autobahn's per-connection debug line built lazily (``defer_autobahn_config_log``).
"""

from __future__ import annotations

import argparse
import os
import pprint
import sys

APPLICATION = "config.asgi:application"


def daphne_arguments(*, port: int, host: str = "127.0.0.1", proxy_headers: bool = False) -> list[str]:
    """Daphne's command-line arguments (without the program's name) for this project."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    arguments = [
        "-e",
        f"tcp:port={port}:interface={host}:backlog={settings.SERVE_BACKLOG}",
        "--websocket_connect_timeout",
        str(settings.WS_HANDSHAKE_TIMEOUT),
    ]
    if proxy_headers:
        arguments.append("--proxy-headers")
    return [*arguments, APPLICATION]


def command(*, port: int, host: str = "127.0.0.1", proxy_headers: bool = False) -> list[str]:
    """The whole command line, run with this Python (tests and benchmarks spawn it)."""
    return [sys.executable, "-m", "config.serve", *_flags(port, host, proxy_headers)]


def _flags(port: int, host: str, proxy_headers: bool) -> list[str]:
    return ["--port", str(port), "--host", host, *(["--proxy-headers"] if proxy_headers else [])]


class _Deferred:
    """``pprint.pformat(value)``, formatted only if a log line is ever written with it."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value

    def __str__(self) -> str:
        return pprint.pformat(self.value)


def defer_autobahn_config_log() -> None:
    """autobahn pretty-prints every websocket's thirty-odd settings for a debug line at each
    connection, logged or not: about 5 % of a server's CPU in a start storm (py-spy, bench/RESULTS.md).
    Its ``pformat`` is made lazy, so the line still reads the same when debug logging is on
    (and its one other use, the timings' text, formats at once as before)."""
    from autobahn.websocket import protocol

    protocol.pformat = _Deferred
    protocol.Timings.__str__ = lambda timings: pprint.pformat({key: timings[key] for key in timings})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m config.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-For (behind the proxy)")
    args = parser.parse_args(argv)
    from daphne.cli import CommandLineInterface

    defer_autobahn_config_log()

    CommandLineInterface().run(daphne_arguments(port=args.port, host=args.host, proxy_headers=args.proxy_headers))


if __name__ == "__main__":
    main()
