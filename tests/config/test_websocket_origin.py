"""The websocket Origin check: the page's own scheme, host and port, or a trusted origin.

A handshake carries the student's cookie whatever page opens it; before this check compared
scheme, host and port, a page on another port of the same host read a student's state and
wrote a flag.
"""

from __future__ import annotations

import pytest

from config.middleware import websocket_origin_allowed


def scope(origin: str | None, host: str | None = "127.0.0.1:8000", *extra: tuple[str, str]) -> dict:
    headers = [(b"host", host.encode())] if host is not None else []
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    headers += [(name.encode(), value.encode()) for name, value in extra]
    return {"type": "websocket", "headers": headers}


@pytest.mark.parametrize(
    "origin, host",
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000"),
        ("http://localhost:8000", "localhost:8000"),
        ("http://LOCALHOST:8000", "localhost:8000"),
        ("http://127.0.0.1", "127.0.0.1"),  # port 80 left out on both sides
        ("http://127.0.0.1:80", "127.0.0.1"),
        ("http://[::1]:8000", "[::1]:8000"),
    ],
)
def test_the_pages_own_origin_is_accepted(origin, host):
    assert websocket_origin_allowed(scope(origin, host))


@pytest.mark.parametrize(
    "origin, host",
    [
        ("http://127.0.0.1:9999", "127.0.0.1:8000"),  # another port of the same host
        ("http://127.0.0.1", "127.0.0.1:8000"),
        ("http://127.0.0.1:8000", "127.0.0.1"),
        ("https://127.0.0.1:8000", "127.0.0.1:8000"),  # another scheme: not a page this server served
        ("http://localhost:8000", "127.0.0.1:8000"),  # another allowed host is still another site
        ("http://evil.example", "127.0.0.1:8000"),
        ("http://evil.example:8000", "evil.example:8000"),  # a Host outside ALLOWED_HOSTS
        ("null", "127.0.0.1:8000"),  # sandboxed frames and files
        ("http://127.0.0.1:8000/exam/", "127.0.0.1:8000"),
        ("ws://127.0.0.1:8000", "127.0.0.1:8000"),
        ("http://127.0.0.1:99999", "127.0.0.1:99999"),
        (None, "127.0.0.1:8000"),  # no Origin at all
        ("http://127.0.0.1:8000", None),  # no Host
    ],
)
def test_any_other_origin_is_refused(origin, host):
    assert not websocket_origin_allowed(scope(origin, host))


def test_a_repeated_origin_is_refused():
    assert not websocket_origin_allowed(scope("http://127.0.0.1:8000", "127.0.0.1:8000", ("origin", "http://x.org")))


def test_behind_a_tls_proxy_the_page_is_https(settings):
    forwarded = ("x-forwarded-proto", "https")
    assert not websocket_origin_allowed(scope("https://127.0.0.1:8080", "127.0.0.1:8080", forwarded))
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # BEHIND_TLS_PROXY=1
    assert websocket_origin_allowed(scope("https://127.0.0.1:8080", "127.0.0.1:8080", forwarded))
    assert not websocket_origin_allowed(scope("http://127.0.0.1:8080", "127.0.0.1:8080", forwarded))
    # Without the header the proxy says the browser used plain http.
    assert websocket_origin_allowed(scope("http://127.0.0.1:8080", "127.0.0.1:8080"))
    assert not websocket_origin_allowed(scope("https://127.0.0.1:8080", "127.0.0.1:8080"))


def test_a_wss_scope_expects_an_https_page():
    wss = {**scope("https://127.0.0.1:8443", "127.0.0.1:8443"), "scheme": "wss"}
    assert websocket_origin_allowed(wss)
    assert not websocket_origin_allowed({**scope("http://127.0.0.1:8443", "127.0.0.1:8443"), "scheme": "wss"})


def test_trusted_origins_are_accepted_as_for_forms(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://exam.school.edu.vn", "https://*.lab.edu.vn"]
    assert websocket_origin_allowed(scope("https://exam.school.edu.vn"))
    assert websocket_origin_allowed(scope("https://exam.school.edu.vn:443"))
    assert websocket_origin_allowed(scope("https://pc12.lab.edu.vn"))
    assert websocket_origin_allowed(scope("https://lab.edu.vn"))
    assert not websocket_origin_allowed(scope("http://exam.school.edu.vn"))
    assert not websocket_origin_allowed(scope("https://exam.school.edu.vn:8443"))
    assert not websocket_origin_allowed(scope("https://evil-lab.edu.vn"))
    assert not websocket_origin_allowed(scope("https://pc12.lab.edu.vn.evil.example"))
