"""Checks that a request comes from Safe Exam Browser (SEB) with an allowed configuration.

Pure Python: no Django, no I/O. A view, middleware or consumer builds the absolute URL of the
request and passes it here with the request's headers and the sitting's allowed keys.

The rule, from SEB's developer documentation
--------------------------------------------
Sources: "Config Key" (https://safeexambrowser.org/developer/seb-config-key.html) and the
"Browser Exam Key" specification
(https://safeexambrowser.org/developer/documents/SEB-Specification-BrowserExamKey.pdf).

- When the SEB setting "Use Browser & Config Keys (send in HTTP header)" is on (settings key
  ``sendBrowserExamKey``), SEB adds two headers to every HTTP request:
  ``X-SafeExamBrowser-ConfigKeyHash`` (for the Config Key) and
  ``X-SafeExamBrowser-RequestHash`` (for the Browser Exam Key).
- Each value is the SHA-256 hash, Base16 encoded (64 hex characters), of the absolute URL of
  the request followed by the key. The URL comes first, then the key. The URL is taken as a
  UTF-8 string with its fragment (from ``#`` on) removed. The key is itself a 64-character
  Base16 string.
- Because the URL is part of the hash, the header differs for every URL and does not reveal
  the key.
- The Config Key depends only on the settings. It is the same for every SEB version and
  platform, and an exam system that generates the SEB settings can compute it. The Browser
  Exam Key also depends on the SEB version. A sitting may therefore allow several keys of
  each kind.
- The modern WebView of SEB 3.x for macOS and iOS sends no such headers. There the same
  hashes, computed over the page's URL without its fragment, are available to the page's
  JavaScript as ``SafeExamBrowser.security.configKey`` and ``...browserExamKey``. ``matches``
  checks a value obtained that way.

What this module decides
------------------------
``verify`` checks only the kinds of key for which the sitting lists at least one key. With
no key of either kind it returns ``ok``, and whether SEB is required at all is the caller's
decision. Header names are matched without regard to case. Each comparison runs in constant
time (``hmac.compare_digest``), and all allowed keys are compared, so the time taken does not
say which key matched. The Config Key is checked first. The reasons are stable codes, never
translated: ``missing_header``, ``wrong_config_key``, ``wrong_browser_exam_key``.

The URL must be the one the client requested (scheme, host, port, path and query as SEB sent
them). Behind a reverse proxy that needs the forwarded scheme and host. For a websocket
handshake it is the ``ws://`` or ``wss://`` URL the page opened. SEB's documentation speaks of
HTTP requests; whether a given SEB version also adds the headers to the websocket handshake
should be checked with the versions in use.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

CONFIG_KEY_HEADER = "X-SafeExamBrowser-ConfigKeyHash"
BROWSER_EXAM_KEY_HEADER = "X-SafeExamBrowser-RequestHash"

OK = "ok"
MISSING_HEADER = "missing_header"
WRONG_CONFIG_KEY = "wrong_config_key"
WRONG_BROWSER_EXAM_KEY = "wrong_browser_exam_key"


@dataclass(frozen=True)
class Verdict:
    """The outcome of ``verify``: ``reason`` is ``OK`` or one of the stable codes.

    ``header`` names the header that was missing or wrong (empty when ``ok``).
    """

    reason: str
    header: str = ""

    @property
    def ok(self) -> bool:
        return self.reason == OK


def without_fragment(url: str) -> str:
    """The URL without its fragment (everything from the first ``#``)."""
    return url.split("#", 1)[0]


def request_hash(url: str, key: str) -> str:
    """What SEB sends for ``url`` and ``key``: hex SHA-256 of the fragment-less URL, then the key.

    ``key`` is used exactly as given (SEB's keys are lower-case hex; ``verify`` normalises the
    configured keys before calling this).
    """
    return hashlib.sha256((without_fragment(url) + key).encode("utf-8")).hexdigest()


def _normalised_key(key: str) -> str:
    # Keys are pasted by people from SEB's settings: stray spaces and upper-case hex are
    # common, and SEB itself hashes the lower-case form.
    return key.strip().lower()


def matches(url: str, received: str, keys: Iterable[str]) -> bool:
    """Whether ``received`` is the hash of ``url`` with any of ``keys``; constant time per key.

    Every key is compared even after a match. Surrounding spaces and the case of the received
    hex are ignored.
    """
    value = received.strip().lower().encode("utf-8", "replace")
    found = False
    for key in keys:
        expected = request_hash(url, _normalised_key(key)).encode("ascii")
        found |= hmac.compare_digest(expected, value)
    return found


def _header_values(headers: Mapping[str, str], name: str) -> list[str]:
    wanted = name.lower()
    return [value for key, value in headers.items() if key.lower() == wanted]


def verify(
    url: str,
    headers: Mapping[str, str],
    *,
    config_keys: Sequence[str],
    browser_exam_keys: Sequence[str],
) -> Verdict:
    """Check SEB's headers on a request to ``url`` against the sitting's allowed keys.

    A kind of key is checked only when its list is not empty. If a header appears more than
    once (under differently cased names), every copy must match. Returns ``Verdict(OK)`` or the
    first failure: ``MISSING_HEADER`` or ``WRONG_CONFIG_KEY`` for the Config Key, then the same
    for the Browser Exam Key (``WRONG_BROWSER_EXAM_KEY``).
    """
    checks = (
        (CONFIG_KEY_HEADER, config_keys, WRONG_CONFIG_KEY),
        (BROWSER_EXAM_KEY_HEADER, browser_exam_keys, WRONG_BROWSER_EXAM_KEY),
    )
    for header, keys, wrong in checks:
        if not keys:
            continue
        values = _header_values(headers, header)
        if not values or not any(value.strip() for value in values):
            return Verdict(MISSING_HEADER, header)
        if not all(matches(url, value, keys) for value in values):
            return Verdict(wrong, header)
    return Verdict(OK)


def scope_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """A Channels/ASGI scope's ``headers`` as a dict for ``verify`` (Latin-1, as HTTP defines).

    A repeated header becomes one value joined with ", " (as WSGI servers and Django do), so
    that two different hashes in one request match no key.
    """
    headers: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers
