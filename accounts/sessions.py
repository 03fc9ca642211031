"""Sessions on shared lab PCs: they end when the browser closes, after an idle time, and at logout.

- The cookie has no expiry date (``SESSION_EXPIRE_AT_BROWSER_CLOSE``): closing the browser
  forgets it.
- A session unused for ``SESSION_IDLE_SECONDS`` ends on the server. Activity (an HTTP request,
  an open websocket: ``config/middleware.py``) is written into the session at most once per
  ``SESSION_ACTIVITY_SECONDS``, which also pushes the row's expiry date forward (the session
  backend no longer loads a row past that date).
- Logging out (the page or ``POST /api/auth/logout/``) tells the websockets opened with that
  session to close: each joins the channel group :func:`session_group` names.

The rules live here and nowhere else; the HTTP and websocket middlewares and the exam
consumer call them.
"""

from __future__ import annotations

import hashlib
import logging
from importlib import import_module
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

logger = logging.getLogger(__name__)

# Seconds since the epoch of the last activity recorded in the session.
LAST_ACTIVITY = "_last_activity"
# The message a session's websockets receive when it ends (the consumer's ``session_ended``).
SESSION_ENDED = {"type": "session.ended"}


def session_group(session_key: str) -> str:
    """The channel group of the websockets opened with one session.

    A digest, not the key: group names are visible in Redis, the key is a credential.
    """
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:48]


def is_signed_in(session: Any) -> bool:
    """Whether the session belongs to a logged-in user (an anonymous one is never touched)."""
    return SESSION_KEY in session


def is_idle(session: Any, now: float) -> bool:
    """Whether the session went unused for longer than ``SESSION_IDLE_SECONDS``."""
    last = session.get(LAST_ACTIVITY)
    return isinstance(last, int | float) and now - last > settings.SESSION_IDLE_SECONDS


def note_activity(session: Any, now: float) -> bool:
    """Record activity in the session if the last record is ``SESSION_ACTIVITY_SECONDS`` old.

    Returns whether it did; the session is then modified and must be saved, which also moves
    its expiry date to ``SESSION_IDLE_SECONDS`` from now. Once a minute or so, not on every
    request: a save is a database write.
    """
    last = session.get(LAST_ACTIVITY)
    if isinstance(last, int | float) and now - last < settings.SESSION_ACTIVITY_SECONDS:
        return False
    session[LAST_ACTIVITY] = int(now)
    return True


def session_exists(session_key: str) -> bool:
    """Whether a session is still stored (not ended by logout or expiry)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    return bool(store().exists(session_key))


@receiver(user_logged_out, dispatch_uid="accounts.sessions.close_sockets_at_logout")
def close_sockets_at_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Tell the websockets of the session being logged out, on every server process, to close."""
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    layer = get_channel_layer()
    if not key or layer is None:
        return
    try:
        async_to_sync(layer.group_send)(session_group(key), dict(SESSION_ENDED))
    except Exception:  # the logout itself must go through; say it in the log
        logger.exception("telling the websockets of an ended session failed")
