"""Every server process is started by one command line (config/serve.py): the backlog and the
websocket handshake timeout a start storm needs hold in make run, the image and the tests."""

from __future__ import annotations

import sys

from config import serve


def test_daphne_gets_the_backlog_and_the_handshake_timeout_of_the_settings(settings):
    settings.SERVE_BACKLOG = 2048
    settings.WS_HANDSHAKE_TIMEOUT = 45
    arguments = serve.daphne_arguments(port=8123, host="0.0.0.0", proxy_headers=True)
    assert arguments == [
        "-e",
        "tcp:port=8123:interface=0.0.0.0:backlog=2048",
        "--websocket_connect_timeout",
        "45",
        "--proxy-headers",
        "config.asgi:application",
    ]
    assert "--proxy-headers" not in serve.daphne_arguments(port=8123)


def test_processes_are_spawned_through_the_same_module():
    assert serve.command(port=9000) == [sys.executable, "-m", "config.serve", "--port", "9000", "--host", "127.0.0.1"]


def test_autobahn_s_per_connection_settings_line_is_formatted_only_when_logged():
    """The servers' autobahn builds its debug line of settings lazily (a start storm's 5 %); the
    line reads the same when it is logged, and the timings' text is still text."""
    import pprint

    from autobahn.websocket import protocol

    serve.defer_autobahn_config_log()
    attributes = [("openHandshakeTimeout", 5, "WebSocketServerFactory")]
    deferred = protocol.pformat(attributes)
    assert not isinstance(deferred, str)
    assert f"\n{deferred}" == "\n" + pprint.pformat(attributes)
    timings = protocol.Timings()
    timings.track("onOpen")
    assert isinstance(str(timings), str) and "onOpen" in str(timings)
