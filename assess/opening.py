"""A candidate's exam websocket opening: everything the server reads and writes for it, in one
worker-thread call (one database connection taken from the pool, once).

In order, as the consumer did in six calls before: the session still lives (a logout that came
before the socket's session group was joined is seen here); the sitting's Safe Exam Browser
rule (refused before the takeover: a refused browser never steps another connection down);
the takeover (``services.attempt_connect``: the new connection's token, the integrity note);
where the candidate is connected (``assess.presence``); the attempt's whole state (with the
sealed form for a waiting page that asked for it, ``assess.sealing``); and, when
answers go in groups, the form's slots (``assess.answer_batch``). Each part is the service that
owns its rule; this module only puts them in one call, which a start storm of thousands of
candidates pays once per connection (bench/RESULTS.md, the start storm).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import sessions
from accounts.models import User
from proctoring import seb_settings

from . import answer_batch, events, presence, sealing, selectors, services
from .models import Attempt

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refused:
    """The opening refused: the error's code, its message and the close code's name."""

    code: str
    message: str
    close: str  # "not_authenticated", "forbidden" or "not_found"


@dataclass(frozen=True)
class Opened:
    connected: services.Connected
    events: tuple[events.Event, ...]  # the takeover first, then the integrity note, the presence
    state: dict
    slots: dict[int, selectors.FormSlot] | None
    sealed: bool = False  # the state carries the sealed form (``assess.sealing``)


def attempt_open(
    *,
    attempt_id: int,
    user: User,
    session_key: str,
    url: str,
    headers: Mapping[str, str],
    address: str | None,
    seal: bool = False,
) -> Opened | Refused:
    if not sessions.session_exists(session_key):
        return Refused("not_authenticated", _("Log in first."), "not_authenticated")
    if user.must_change_password:
        message = _("Change the password you were given before anything else.")
        return Refused("password_change_required", message, "not_authenticated")
    refused = seb_settings.socket_refusal(
        attempt_id=attempt_id, user_id=user.pk, url=url, headers=headers, address=address
    )
    if refused is not None:  # the sitting requires Safe Exam Browser and this is not it
        return Refused("seb_required", refused, "forbidden")
    try:
        connected = services.attempt_connect(attempt_id=attempt_id, user=user, address=address, session_key=session_key)
    except Attempt.DoesNotExist:
        return Refused("not_found", _("There is no such attempt."), "not_found")
    except PermissionDenied:
        return Refused("forbidden", _("This attempt is not yours."), "forbidden")
    arrived = events.Presence(
        attempt=attempt_id,
        sitting=connected.sitting,
        room=connected.room,
        connected=True,
        token=str(connected.token),
        ip=address,
        at=events.stamp(timezone.now()),
    )
    try:
        presence.note(arrived)
    except Exception:  # the consoles still hear the event; a snapshot may miss it until the next
        logger.exception("attempt %s: presence not kept", attempt_id)
    slots = selectors.form_index(connected.form) if connected.form is not None and answer_batch.enabled() else None
    state = selectors.attempt_state(attempt_id)
    sealed = seal and sealing.sealable(state["status"], connected.form)
    if sealed:  # waiting for the start, on a page that can decrypt: its questions now, sealed
        state["sealed"] = sealing.sealed(connected.sitting, connected.form)
    return Opened(connected=connected, events=(*connected.events, arrived), state=state, slots=slots, sealed=sealed)
