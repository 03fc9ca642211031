"""Who may start in a room, and when their time ends: the start rules of a placed candidate.

An attempt placed in a room of its sitting (``Attempt.room``) starts only

1. once the room's proctor has checked the candidate in (``checked_in``);
2. once the room is open (``SittingRoom.opened_at``): together, when the proctor started
   everyone at once, or each when ready;
3. from a PC of the room's network ranges (``Room.networks``; none listed: anywhere);
4. with the room's access code, shown on its proctors' screen.

The sitting's own rules (its window, the latest start) are checked by the caller
(``assess.services``), as for an attempt without a room.

The deadline of a late starter follows the sitting's rule (``Sitting.late_rule``): the full
duration from their own start, or the end of their room (opened + duration). Never past the
window's close.
"""

from __future__ import annotations

import ipaddress
import secrets
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from assess import errors, statuses
from assess.models import Attempt, Sitting

from .models import Refusal, SittingRoom


def check_start(attempt: Attempt, room: SittingRoom, *, address: str | None, access_code: str) -> None:
    """Raise the ``DeliveryError`` that refuses this start, if any."""
    if attempt.status == statuses.SCHEDULED:
        raise errors.NotCheckedIn(_("The proctor has not checked you in yet: show them your identity card."))
    if room.opened_at is None:
        raise errors.RoomNotOpen(_("Wait: the proctor has not opened room %(room)s yet.") % {"room": room.room.name})
    if not room.room.admits(address):
        raise errors.WrongNetwork(
            _("Start from a computer of room %(room)s: this one is not on the room's network.")
            % {"room": room.room.name}
        )
    if room.access_code and not secrets.compare_digest(access_code.strip().upper(), room.access_code.upper()):
        raise errors.AccessCode(
            _("Type the access code shown by the proctor of room %(room)s.") % {"room": room.room.name}
        )


def deadline(attempt: Attempt, room: SittingRoom | None, sitting: Sitting, now: datetime) -> datetime:
    """When the time of an attempt starting ``now`` ends.

    An accommodation's time (``Attempt.time_scale``, set at the start) lengthens the duration
    and moves the room's end and the window's close for this candidate by as much.
    """
    duration = sitting.assessment.duration
    own = timedelta(seconds=round(duration.total_seconds() * attempt.time_scale))
    extra = own - duration
    end = now + own
    if room is not None and room.opened_at is not None and sitting.late_rule == Sitting.LateRule.SAME_END:
        end = min(end, room.opened_at + own)
    return min(end, sitting.closes_at + extra)


def refused(*, error: errors.DeliveryError, attempt_id: int, user_id: int | None, address: str | None) -> None:
    """Keep a start refused by these rules (``Refusal``), in its own transaction."""
    attempt = Attempt.objects.filter(pk=attempt_id).only("room_id").first()
    Refusal.objects.create(
        user_id=user_id,
        attempt_id=attempt_id,
        room_id=attempt.room_id if attempt else None,
        code=error.code,
        address=ip(address),
        detail=error.message[:300],
    )


def ip(address: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((address or "").split("%")[0]))
    except ValueError:
        return None


# The refusals of a start that are audited (a wrong network or code may be an attempt to sit
# the exam from elsewhere).
AUDITED = frozenset({errors.WrongNetwork.code, errors.AccessCode.code, errors.NotCheckedIn.code})
