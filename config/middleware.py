"""Middlewares of the HTTP stack (settings.MIDDLEWARE) and of the websocket stack (config/asgi.py).

- Language: Vietnamese unless the person chose otherwise. Django's LocaleMiddleware follows
  the browser's Accept-Language, so a lab PC with an English browser would show English to
  every student. Here only an explicit choice (the language cookie set by the language menu)
  changes the language; otherwise LANGUAGE_CODE. Pages and websocket messages alike.
- Sessions on shared PCs (rules in accounts/sessions.py): a session idle for too long ends
  on the server; requests and open websockets count as activity.
- The websocket Origin check: only the page's own origin (scheme, host and port) or a
  trusted one may open a websocket with the student's cookie.
- The websocket rate limit's gate: a session refused a moment ago is turned away before any
  database work.
- A password that must be changed (a first password, or one reset by an administrator) is
  changed before anything else is reached.
"""

from __future__ import annotations

import asyncio
import logging
import time
from importlib import import_module
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import UpdateError
from django.http import JsonResponse
from django.http.request import split_domain_port, validate_host
from django.shortcuts import redirect
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import is_same_domain
from django.utils.translation import gettext as _

from accounts import sessions
from assess import ratelimit
from config.api import error_body

logger = logging.getLogger(__name__)


def chosen_language(cookies: dict[str, str]) -> str:
    """The language of the language cookie when it names one the site offers, else LANGUAGE_CODE."""
    chosen = cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
    return chosen if chosen in {code for code, _ in settings.LANGUAGES} else settings.LANGUAGE_CODE


class ChosenLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = chosen_language(request.COOKIES)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class SessionIdleMiddleware:
    """End a signed-in session idle for longer than SESSION_IDLE_SECONDS; note this request as activity.

    Sits right after Django's SessionMiddleware, which saves the session when the activity
    note changed it (at most once per SESSION_ACTIVITY_SECONDS).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if sessions.is_signed_in(session):
            now = time.time()
            if sessions.is_idle(session, now):
                session.flush()  # the request goes on as anonymous; the cookie is deleted
            else:
                sessions.note_activity(session, now)
        return self.get_response(request)


# --- websockets ------------------------------------------------------------------------------


def _headers(scope: dict[str, Any], name: bytes) -> list[str]:
    return [value.decode("latin1") for key, value in scope.get("headers", []) if key == name]


def _origin_parts(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, the port filled in for http and https; None if not one."""
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host or parts.path not in ("", "/") or parts.query:
        return None
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80)


def _allowed_hosts() -> list[str]:
    hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not hosts:  # as Django's HttpRequest.get_host()
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return hosts


def _page_scheme(scope: dict[str, Any]) -> str:
    """The scheme of the page that opens this websocket: https for wss, or behind a TLS proxy
    that says so (BEHIND_TLS_PROXY, the same header Django trusts for HTTP); else http."""
    if scope.get("scheme") == "wss":
        return "https"
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name, secure_value = proxy_header
        header = name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin1")
        values = _headers(scope, header)
        if values and values[0].split(",")[0].strip() == secure_value:
            return "https"
    return "http"


def websocket_origin_allowed(scope: dict[str, Any]) -> bool:
    """Whether the handshake comes from the page's own origin or a trusted one.

    Own origin: the scheme of the page (see ``_page_scheme``) with the ``Host`` the browser
    connected to, host *and* port, that host being in ALLOWED_HOSTS. Trusted: an entry of
    CSRF_TRUSTED_ORIGINS (``https://exam.school.edu.vn``, or ``https://*.school.edu.vn`` for
    its subdomains), as for forms. A missing or repeated Origin or Host is refused.
    """
    origins, hosts = _headers(scope, b"origin"), _headers(scope, b"host")
    if len(origins) != 1 or len(hosts) != 1:
        return False
    origin = _origin_parts(origins[0])
    if origin is None:
        return False
    host_name, _port = split_domain_port(hosts[0])
    if host_name and validate_host(host_name, _allowed_hosts()):
        if origin == _origin_parts(f"{_page_scheme(scope)}://{hosts[0]}"):
            return True
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        scheme, _, rest = trusted.partition("://")
        if rest.startswith("*."):
            wildcard = _origin_parts(f"{scheme}://{rest[2:]}")
            if wildcard and origin[0] == wildcard[0] and origin[2] == wildcard[2]:
                if is_same_domain(origin[1], "." + wildcard[1]):  # the domain and its subdomains, as for forms
                    return True
        elif origin == _origin_parts(trusted):
            return True
    return False


class WebsocketOriginValidator:
    """Refuse (HTTP 403, no websocket) a handshake whose Origin is not the page's own or trusted.

    Cookies go with every handshake whatever page opens it, so without this check a page on
    another site, or on another port of the same host, could use a student's session.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not websocket_origin_allowed(scope):
            logger.warning(
                "websocket refused: origin %r is not the page's own (host %r) nor trusted",
                _headers(scope, b"origin")[:1],
                _headers(scope, b"host")[:1],
            )
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)


class WebsocketRateLimitGate:
    """Turn away at once (HTTP 403) a handshake of a session this process refused a moment ago
    for the rate limit (assess/ratelimit.py), before the session or the user is read: a client
    reconnecting in a loop then costs next to nothing. Needs Channels' CookieMiddleware."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        key = scope.get("cookies", {}).get(settings.SESSION_COOKIE_NAME)
        if scope["type"] == "websocket" and key and ratelimit.recent_refusals.refused(key, time.time()):
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)


class WebsocketLanguageMiddleware:
    """Websocket messages in the language pages are shown in (needs Channels' CookieMiddleware)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        with translation.override(chosen_language(scope.get("cookies", {}))):
            return await self.app(scope, receive, send)


def _session_opens(session: Any) -> bool:
    """At the handshake: end an idle session (the socket is then not authenticated), note activity."""
    if not sessions.is_signed_in(session):
        return False
    now = time.time()
    if sessions.is_idle(session, now):
        session.flush()
        return False
    if sessions.note_activity(session, now):
        try:
            session.save()
        except UpdateError:  # logged out a moment ago
            return False
    return True


def _session_touch(session_key: str) -> bool:
    """Note activity in the stored session, read afresh (HTTP requests may have changed it).

    False once the session is gone (logged out, expired): the keep-alive stops.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if not sessions.is_signed_in(store):
        return False
    if sessions.note_activity(store, time.time()):
        try:
            store.save()
        except UpdateError:
            return False
    return True


def _session_user(session: Any) -> tuple[bool, Any]:
    """At the handshake, in one worker-thread call: whether the session opens (``_session_opens``)
    and its user, read and checked as Django reads a request's (``django.contrib.auth.get_user``:
    a password changed since the login ends the session)."""
    if not _session_opens(session):
        return False, AnonymousUser()
    user = auth.get_user(SimpleNamespace(session=session))
    return user.is_authenticated, user


class WebsocketSessionMiddleware:
    """Sessions on shared PCs, for websockets, and the user they carry (after Channels' Session
    middleware; it does the work of Channels' AuthMiddleware in the same worker-thread call).

    A handshake with a session idle for longer than SESSION_IDLE_SECONDS finds it ended, so the
    consumer sees no user (``scope["user"]`` anonymous) and refuses it as not authenticated. An
    open websocket is activity: it notes it at the handshake and then every third of
    SESSION_IDLE_SECONDS while it lives, so a student reading a long passage in silence is not
    logged out in the middle of an exam. The session and the user are read in one call: a start
    storm pays one thread hop per connection for them, not two, and not on the one thread that
    Channels' own user lookup serialises a process's handshakes on (bench/RESULTS.md).
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        session = scope.get("session")
        if scope["type"] != "websocket" or session is None:
            return await self.app({**scope, "user": AnonymousUser()}, receive, send)
        opens, user = await database_sync_to_async(_session_user, thread_sensitive=False)(session)
        scope = {**scope, "user": user}
        if not opens:
            return await self.app(scope, receive, send)
        keep_alive = asyncio.ensure_future(self.keep_alive(session.session_key))
        try:
            return await self.app(scope, receive, send)
        finally:
            keep_alive.cancel()

    async def keep_alive(self, session_key: str) -> None:
        interval = max(settings.SESSION_ACTIVITY_SECONDS, settings.SESSION_IDLE_SECONDS / 3)
        touch = database_sync_to_async(_session_touch, thread_sensitive=False)
        try:
            while True:
                await asyncio.sleep(interval)
                if not await touch(session_key):
                    return
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("keeping a websocket's session alive failed")


# Where someone who must change their password may still go: the password pages and the API
# that changes it, logging out, their own details, the language menu and static files.
PASSWORD_CHANGE_EXEMPT = (
    "/password/",
    "/logout/",
    "/login/",
    "/i18n/",
    "/static/",
    "/healthz",
    "/api/me/password/",
    "/api/auth/",
)


class PasswordChangeRequiredMiddleware:
    """A first password (a login card's) or one reset by an administrator is changed before
    anything else: pages redirect to the password page, the API answers
    ``403 password_change_required`` (``GET /api/me/`` still answers, with the flag)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(PASSWORD_CHANGE_EXEMPT) or request.path == "/api/me/":
            return self.get_response(request)  # decided before the user is loaded (health checks)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            if request.path.startswith("/api/"):
                message = _("Change the password you were given before anything else.")
                return JsonResponse(error_body("password_change_required", message), status=403)
            return redirect("password-change")
        return self.get_response(request)
