"""Incidents of the exam day: logged, then confirmed (the time lost given back) or dismissed.

An incident happens to one candidate (illness, a computer that froze, misconduct, an integrity
alert) or to a whole room (a power cut, the network: no attempt). The room's proctors and the
board log it with the minutes it cost; the board or a proctor of the room decides it, once::

    open ──> confirmed   (the minutes confirmed are given back as extra time, in the same
      │                   transaction, through the audited extension of ``assess.services``)
      └────> dismissed   (with a reason)

A decided incident stays decided: deciding it again is refused (``AlreadyDecided``, naming
who decided and when), so that no time is ever given twice. Integrity alerts are raised by the
server (``proctoring.integrity``), never logged by hand.

Who may: the room's proctors and the board overseeing the sitting (``services.may_watch``); an
incident of a candidate placed in no room (an online sitting), only the board. Every change is
announced on commit to the room's and the sitting's consoles (``events.IncidentChanged``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.permissions import BOARD, require, scope_of
from assess import events, statuses
from assess import services as delivery
from assess.models import Attempt, Sitting

from .models import Action, Incident, SittingRoom
from .services import MAX_EXTEND_MINUTES, may_watch

OPEN, CONFIRMED, DISMISSED = Incident.Status.OPEN, Incident.Status.CONFIRMED, Incident.Status.DISMISSED
ALLOWED: dict[str, frozenset[str]] = {
    OPEN: frozenset({CONFIRMED, DISMISSED}),
    CONFIRMED: frozenset(),
    DISMISSED: frozenset(),
}
LOGGED_KINDS = frozenset(Incident.Kind.values) - {Incident.Kind.INTEGRITY}  # integrity: the server's
MAX_DESCRIPTION = 500
MAX_NOTE = 300


class AlreadyDecided(ValidationError):
    """The incident was confirmed or dismissed already (by whom, when): nothing is done twice."""

    code = "already_decided"

    def __init__(self, message: str) -> None:
        super().__init__({"status": [message]})
        self.text = message


def check_transition(current: str, to: str) -> None:
    if to not in ALLOWED[current]:
        raise ValueError(f"an incident does not go from {current} to {to}")


def _name(user: User | None) -> str | None:
    return None if user is None else (user.get_full_name() or user.username)


def incident_view(incident: Incident) -> dict[str, Any]:
    """An incident as the consoles show it (snapshot and ``IncidentChanged`` alike)."""
    return {
        "id": incident.pk,
        "attempt": incident.attempt_id,
        "room": incident.room_id,
        "kind": incident.kind,
        "status": incident.status,
        "description": incident.description,
        "detail": dict(incident.detail),
        "time_lost": incident.time_lost,
        "minutes_given": incident.minutes_given,
        "reported_at": events.stamp(incident.reported_at),
        "reported_by": _name(incident.reported_by),
        "decided_at": events.stamp(incident.decided_at) if incident.decided_at else None,
        "decided_by": _name(incident.decided_by),
        "note": incident.decision_note,
    }


def announce(incident: Incident) -> None:
    """Tell the consoles of the incident as it stands at commit."""
    events.publish(
        lambda: events.IncidentChanged(
            sitting=incident.sitting_id, room=incident.room_id, incident=incident_view(incident)
        )
    )


def describe(incident: Incident) -> str:
    """The incident in words (its description; an integrity alert says which threshold)."""
    if incident.kind != Incident.Kind.INTEGRITY:
        return incident.description
    from .integrity import threshold_text

    return threshold_text(incident.detail)


# --- who may --------------------------------------------------------------------------------------


def may_decide(user: User, *, sitting: Sitting, room: SittingRoom | None) -> bool:
    """The room's proctors and the board; without a room, the board only."""
    if room is not None:
        return may_watch(user, room)
    scope = scope_of(user)
    return scope.has_role(*BOARD) and scope.oversees(sitting.organisation_id)


def _require(user: User, sitting: Sitting, room: SittingRoom | None) -> None:
    require(
        may_decide(user, sitting=sitting, room=room),
        _("Only the room's proctors and the exam board deal with its incidents."),
    )


# --- logging ---------------------------------------------------------------------------------------


@transaction.atomic
def incident_log(
    *,
    by: User,
    kind: str,
    time_lost: int,
    description: str,
    attempt_id: int | None = None,
    sitting_room_id: int | None = None,
) -> Incident:
    """Log what happened to one candidate (``attempt_id``) or to the whole room
    (``sitting_room_id``), with the minutes it cost (0 to ``MAX_EXTEND_MINUTES``)."""
    if (attempt_id is None) == (sitting_room_id is None):
        raise ValueError("an incident is either a candidate's or a room's")
    attempt = None
    if attempt_id is not None:
        attempt = Attempt.objects.select_related("sitting", "room__sitting").get(pk=attempt_id)
        room, sitting = attempt.room, attempt.sitting
    else:
        room = SittingRoom.objects.select_related("sitting").get(pk=sitting_room_id)
        sitting = room.sitting
    _require(by, sitting, room)
    errors: dict[str, list[str]] = {}
    if kind not in LOGGED_KINDS:
        errors["kind"] = [_("Choose what happened.")]
    if not 0 <= time_lost <= MAX_EXTEND_MINUTES:
        errors["time_lost"] = [_("The time lost is 0 to %(max)d minutes.") % {"max": MAX_EXTEND_MINUTES}]
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = [_("Describe it in at most %(max)d characters.") % {"max": MAX_DESCRIPTION}]
    elif not description and kind in (Incident.Kind.MISCONDUCT, Incident.Kind.OTHER):
        errors["description"] = [_("Say what happened (it goes into the room's report).")]
    if errors:
        raise ValidationError(errors)
    incident = Incident.objects.create(
        sitting=sitting,
        room=room,
        attempt=attempt,
        kind=kind,
        description=description,
        time_lost=time_lost,
        reported_by=by,
    )
    announce(incident)
    return incident


def incident_raise_integrity(*, attempt: Attempt, detail: dict[str, Any]) -> Incident:
    """Raise an integrity alert for ``attempt`` (locked by the caller): one of the sitting's
    thresholds was crossed (``proctoring.integrity``). No time is lost."""
    incident = Incident.objects.create(
        sitting_id=attempt.sitting_id,
        room_id=attempt.room_id,
        attempt=attempt,
        kind=Incident.Kind.INTEGRITY,
        detail=detail,
    )
    announce(incident)
    return incident


# --- deciding -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decided:
    """A decided incident; for a confirmed one, the attempts given the time back and those that
    could not get it (finished meanwhile, not started)."""

    incident: Incident
    given: tuple[int, ...] = ()
    skipped: tuple[int, ...] = ()


def _lock(incident_id: int) -> Incident:
    return (
        Incident.objects.select_for_update(of=("self",))
        .select_related("sitting", "room__sitting", "reported_by", "decided_by")
        .get(pk=incident_id)
    )


def _refuse_repeat(incident: Incident) -> None:
    """Refuse deciding a decided incident, saying who decided it and how."""
    values = {
        "name": _name(incident.decided_by) or "?",
        "at": timezone.localtime(incident.decided_at).strftime("%H:%M:%S") if incident.decided_at else "?",
    }
    if incident.status == CONFIRMED:
        given = ngettext("%(n)d minute given back", "%(n)d minutes given back", incident.minutes_given) % {
            "n": incident.minutes_given
        }
        raise AlreadyDecided(_("Already confirmed by %(name)s at %(at)s (%(given)s).") % {**values, "given": given})
    raise AlreadyDecided(_("Already dismissed by %(name)s at %(at)s.") % values)


def _decide(by: User, incident: Incident, to: str, note: str) -> None:
    _require(by, incident.sitting, incident.room)
    if incident.status != OPEN:
        _refuse_repeat(incident)
    check_transition(incident.status, to)
    incident.status, incident.decided_by, incident.decided_at = to, by, timezone.now()
    incident.decision_note = note[:MAX_NOTE]


@transaction.atomic
def incident_confirm(*, by: User, incident_id: int, minutes: int | None = None, note: str = "") -> Decided:
    """Confirm an incident and give the minutes lost (``minutes``, else those logged) back as
    extra time: to its candidate, or to every candidate of its room under way. A candidate whose
    attempt is over (or not started) gets none, and is said; all in one transaction."""
    incident = _lock(incident_id)
    _decide(by, incident, CONFIRMED, note.strip())
    minutes = incident.time_lost if minutes is None else minutes
    if not 0 <= minutes <= MAX_EXTEND_MINUTES:
        raise ValidationError({"minutes": [_("Give back 0 to %(max)d minutes.") % {"max": MAX_EXTEND_MINUTES}]})
    given: list[int] = []
    skipped: list[int] = []
    if minutes:
        if incident.attempt_id is not None:
            candidates = [incident.attempt_id]
        else:
            candidates = list(
                Attempt.objects.filter(room_id=incident.room_id)
                .exclude(status__in=statuses.FINISHED)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        reason = _("Time lost: %(kind)s (incident %(id)d)") % {"kind": incident.get_kind_display(), "id": incident.pk}
        for attempt_id in candidates:
            try:
                with transaction.atomic():  # a candidate who cannot get time leaves the others theirs
                    delivery.attempt_extend(attempt_id=attempt_id, by=by, minutes=minutes, reason=reason)
            except ValidationError:
                skipped.append(attempt_id)
            else:
                given.append(attempt_id)
        if given:
            Action.objects.create(
                room=incident.room,
                sitting=incident.sitting,
                attempt_id=incident.attempt_id,
                kind=Action.Kind.EXTEND,
                by=by,
                reason=reason[:300],
                detail={"minutes": minutes, "attempts": given, "incident": incident.pk},
            )
    incident.minutes_given = minutes if given else 0
    incident.given_to = given
    incident.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "minutes_given", "given_to"])
    announce(incident)
    return Decided(incident=incident, given=tuple(given), skipped=tuple(skipped))


@transaction.atomic
def incident_dismiss(*, by: User, incident_id: int, note: str) -> Decided:
    """Dismiss an incident (nothing happened, a false alert), saying why."""
    incident = _lock(incident_id)
    if not note.strip():
        _require(by, incident.sitting, incident.room)
        raise ValidationError({"note": [_("Say why (it goes into the room's report).")]})
    _decide(by, incident, DISMISSED, note.strip())
    incident.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    announce(incident)
    return Decided(incident=incident)


def incidents_of(*, sitting_id: int, room_id: int | None = None):
    """The incidents of a sitting, or of one of its rooms, oldest first."""
    incidents = Incident.objects.filter(sitting_id=sitting_id)
    if room_id is not None:
        incidents = incidents.filter(room_id=room_id)
    return incidents.select_related("reported_by", "decided_by", "attempt__student", "attempt__seat").order_by(
        "reported_at", "pk"
    )
