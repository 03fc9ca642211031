"""Every write of proctoring: labs and their seat maps, splitting a sitting over rooms, seats.

Who may:

- a lab (``Room``) is kept by its school's administrators and the exam board above it
  (``ROOM_KEEPERS`` overseeing the room's school);
- a sitting is split over rooms, its candidates placed and its proctors named by whoever runs
  the sitting (``assess.sittings.require_runner``: its board);
- a candidate is moved to another seat by a proctor of the room or the board.

Placing is ``proctoring.placement`` (neighbours on different test codes, classes spread,
spares kept free); here the rows are read, checked and written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import ClassMembership, Organisation, Role, User
from accounts.permissions import BOARD, PROCTORS, ROOM_KEEPERS, organisation_subtree, require, scope_of
from assess import events, statuses
from assess import services as delivery
from assess.accommodations import separate_room_candidates
from assess.models import Attempt, Form, Sitting
from assess.sittings import new_access_code, require_runner

from . import placement
from .models import MAX_COLUMNS, MAX_ROWS, Action, Refusal, ReopenRequest, Room, Seat, SittingRoom, validate_networks

MAX_NAME = 100


@dataclass(frozen=True)
class RoomSpec:
    """A lab as its keeper describes it: the grid, the cells without a seat, the spare seats."""

    name: str
    rows: int
    columns: int
    networks: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # labels of cells with no seat (an aisle, the proctor's desk)
    spares: tuple[str, ...] = ()  # labels of seats kept free for moves
    proctors_needed: int = 2


@dataclass(frozen=True)
class RoomPlan:
    """One room of a sitting and the proctors named for it; ``separate``: the room is kept for
    the candidates whose accommodation asks for a room of their own (they sit nowhere else)."""

    room_id: int
    proctor_ids: tuple[int, ...] = ()
    separate: bool = False


def may_keep(user: User, room: Room) -> bool:
    scope = scope_of(user)
    return scope.has_role(*ROOM_KEEPERS) and scope.oversees(room.organisation_id)


def may_watch(user: User, sitting_room: SittingRoom) -> bool:
    """The room's own proctors, and the board overseeing the sitting."""
    scope = scope_of(user)
    if scope.has_role(*BOARD) and scope.oversees(sitting_room.sitting.organisation_id):
        return True
    return scope.has_role(*PROCTORS) and sitting_room.proctors.filter(pk=scope.user_id).exists()


# --- labs ---------------------------------------------------------------------------------------


def _cells(spec: RoomSpec) -> tuple[set[tuple[int, int]], set[tuple[int, int]], dict[str, list[str]]]:
    """(cells without a seat, spare cells, errors) read from the labels of ``spec``."""
    errors: dict[str, list[str]] = {}
    found: dict[str, set[tuple[int, int]]] = {"missing": set(), "spares": set()}
    for field, labels in (("missing", spec.missing), ("spares", spec.spares)):
        wrong = []
        for label in labels:
            try:
                row, column = placement.parse_label(str(label))
            except ValueError:
                wrong.append(str(label)[:10])
                continue
            if row > spec.rows or column > spec.columns:
                wrong.append(str(label)[:10])
            else:
                found[field].add((row, column))
        if wrong:
            errors[field] = [
                _("These are not seats of a %(rows)d x %(columns)d room: %(labels)s.")
                % {"rows": spec.rows, "columns": spec.columns, "labels": ", ".join(wrong[:20])}
            ]
    both = found["missing"] & found["spares"]
    if both:
        labels = ", ".join(placement.seat_label(placement.Seat(*cell)) for cell in sorted(both))
        errors.setdefault("spares", []).append(_("A spare seat needs a seat: %(labels)s.") % {"labels": labels})
    return found["missing"], found["spares"], errors


def _check_room(spec: RoomSpec) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not spec.name.strip() or len(spec.name) > MAX_NAME:
        errors["name"] = [_("Name the room (up to %(max)d characters).") % {"max": MAX_NAME}]
    if not 1 <= spec.rows <= MAX_ROWS:
        errors["rows"] = [_("A room has 1 to %(max)d rows.") % {"max": MAX_ROWS}]
    if not 1 <= spec.columns <= MAX_COLUMNS:
        errors["columns"] = [_("A room has 1 to %(max)d seats in a row.") % {"max": MAX_COLUMNS}]
    if not 1 <= spec.proctors_needed <= 10:
        errors["proctors_needed"] = [_("A room needs 1 to 10 proctors.")]
    try:
        validate_networks(list(spec.networks))
    except ValidationError as exc:
        errors["networks"] = list(exc.messages)
    return errors


@transaction.atomic
def room_save(*, by: User, organisation_id: int, spec: RoomSpec, room_id: int | None = None) -> Room:
    """Create a lab, or change one: its seats follow the grid. A seat a candidate is placed on
    in a sitting still to come (or under way) is neither removed nor made spare."""
    scope = scope_of(by)
    require(scope.has_role(*ROOM_KEEPERS), _("Only school administrators and the exam board keep rooms."))
    if room_id is None:
        require(scope.oversees(organisation_id), _("You may not add rooms to this school."))
        if not Organisation.objects.filter(pk=organisation_id, kind=Organisation.Kind.SCHOOL).exists():
            raise ValidationError({"school": [_("A room belongs to a school: choose the school it is in.")]})
        room = Room(organisation_id=organisation_id)
    else:
        room = Room.objects.select_for_update().get(pk=room_id)
        require(may_keep(by, room), _("You may not change this room."))
    errors = _check_room(spec)
    if "rows" not in errors and "columns" not in errors:
        missing, spares, cell_errors = _cells(spec)
        errors.update(cell_errors)
    if errors:
        raise ValidationError(errors)
    wanted = {
        (row, column): (row, column) in spares
        for row in range(1, spec.rows + 1)
        for column in range(1, spec.columns + 1)
        if (row, column) not in missing
    }
    if not any(not spare for spare in wanted.values()):
        raise ValidationError({"spares": [_("A room needs at least one seat that is not spare.")]})
    room.name, room.rows, room.columns = spec.name.strip(), spec.rows, spec.columns
    room.networks = [str(network).strip() for network in spec.networks]
    room.proctors_needed = spec.proctors_needed
    try:
        with transaction.atomic():
            room.save()
    except IntegrityError:
        raise ValidationError({"name": [_("This school has a room of that name already.")]}) from None
    seats = {(seat.row, seat.column): seat for seat in Seat.objects.filter(room=room)}
    changing = [seat for cell, seat in seats.items() if cell not in wanted or wanted[cell] != seat.spare]
    in_use = _seats_in_use([seat.pk for seat in changing])
    if in_use:
        labels = ", ".join(sorted(seat.label for seat in changing if seat.pk in in_use))
        raise ValidationError(
            {"seats": [_("Candidates are placed on these seats: %(labels)s. Move them first.") % {"labels": labels}]}
        )
    Seat.objects.filter(pk__in=[seat.pk for cell, seat in seats.items() if cell not in wanted]).delete()
    for cell, spare in wanted.items():
        seat = seats.get(cell)
        if seat is None:
            Seat.objects.create(room=room, row=cell[0], column=cell[1], spare=spare)
        elif seat.spare != spare:
            seat.spare = spare
            seat.save(update_fields=["spare"])
    return room


def _seats_in_use(seat_ids: Sequence[int]) -> set[int]:
    """The seats among these that a candidate of a sitting not handed in yet is placed on."""
    if not seat_ids:
        return set()
    return set(
        Attempt.objects.filter(seat_id__in=seat_ids)
        .exclude(status__in=statuses.FINISHED)
        .values_list("seat_id", flat=True)
    )


@transaction.atomic
def room_delete(*, by: User, room_id: int) -> None:
    room = Room.objects.select_for_update().get(pk=room_id)
    require(may_keep(by, room), _("You may not change this room."))
    if SittingRoom.objects.filter(room=room).exists():
        raise ValidationError({"room": [_("Sittings have used this room: it is kept for their records.")]})
    room.delete()


# --- a sitting over rooms -----------------------------------------------------------------------


def _groups(sitting: Sitting, student_ids: list[int]) -> dict[int, str]:
    """Each candidate's class in the sitting's school year (to spread classes); "" if none."""
    rows = ClassMembership.objects.filter(
        student_id__in=student_ids, left_at__isnull=True, school_year=sitting.assessment.school_year
    ).values_list("student_id", "school_class__name")
    return {student: name for student, name in rows}


@transaction.atomic
def sitting_place(*, by: User, sitting_id: int, plan: Sequence[RoomPlan], seed: int | None = None) -> list[SittingRoom]:
    """Split the sitting over ``plan``'s rooms, name their proctors, and place every candidate.

    Candidates fill the rooms in the order given, in roster order (class, then name); those whose
    accommodation asks for a room of their own only the rooms marked ``separate``, everyone else
    only the others (``placement.split_over_rooms``; refused if no room is marked for them). In each
    room ``placement.place`` seats them and deals the test codes anew (neighbours get different
    codes). Rooms left out of the plan are taken off the sitting. Placing again is allowed until
    the first candidate is checked in or starts; after that candidates are moved one by one.
    """
    sitting = Sitting.objects.select_for_update().select_related("assessment", "form").get(pk=sitting_id)
    require_runner(by, sitting)
    if sitting.kind != Sitting.Kind.EXAM:
        raise ValidationError({"sitting": [_("Only exam sittings are held in rooms.")]})
    attempts = list(
        Attempt.objects.select_for_update(of=("self",))
        .filter(sitting=sitting)
        .exclude(status=statuses.VOIDED)
        .select_related("student")
        .order_by("pk")
    )
    if not placing_allowed(sitting):
        raise ValidationError(
            {"sitting": [_("Check-in has begun: move candidates one by one instead of placing them all again.")]}
        )
    errors: dict[str, list[str]] = {}
    room_ids = [entry.room_id for entry in plan]
    if not plan:
        errors["rooms"] = [_("Choose at least one room.")]
    elif len(set(room_ids)) != len(room_ids):
        errors["rooms"] = [_("A room is listed twice.")]
    reach = organisation_subtree(sitting.organisation_id)
    scope = scope_of(by)
    rooms = {room.pk: room for room in Room.objects.filter(pk__in=room_ids).prefetch_related("seats")}
    unknown = [str(pk) for pk in room_ids if pk not in rooms or rooms[pk].organisation_id not in reach]
    unknown += [str(pk) for pk in room_ids if pk in rooms and not scope.oversees(rooms[pk].organisation_id)]
    if unknown:
        errors.setdefault("rooms", []).append(
            _("These rooms are not rooms of this sitting's schools: %(rooms)s.") % {"rooms": ", ".join(unknown)}
        )
    proctor_ids = {pk for entry in plan for pk in entry.proctor_ids}
    proctors = {
        user.pk: user
        for user in User.objects.filter(pk__in=proctor_ids, is_active=True, role__in=(Role.PROCTOR, Role.BOARD))
    }
    wrong = [str(pk) for pk in sorted(proctor_ids) if pk not in proctors or proctors[pk].organisation_id not in reach]
    if wrong:
        errors["proctors"] = [
            _("These are not proctors of this sitting's schools: %(people)s.") % {"people": ", ".join(wrong)}
        ]
    named = [pk for entry in plan for pk in entry.proctor_ids]
    if len(named) != len(set(named)):
        errors.setdefault("proctors", []).append(_("A proctor is named for two rooms."))
    if errors:
        raise ValidationError(errors)

    groups = _groups(sitting, [attempt.student_id for attempt in attempts])
    attempts.sort(key=lambda a: (groups.get(a.student_id, ""), a.student.first_name, a.student.last_name, a.student_id))
    planned = [
        placement.PlannedRoom(
            key=entry.room_id,
            seats=sum(1 for seat in rooms[entry.room_id].seats.all() if not seat.spare),
            separate=entry.separate,
        )
        for entry in plan
    ]
    split = _split(planned, attempts, separate_room_needs(sitting))
    codes = list(Form.objects.filter(parent_id=sitting.form_id).order_by("code")) or [sitting.form]

    # Free every seat first: the one-candidate-per-seat constraint holds at every statement.
    # The room each candidate leaves is told too (its console drops them).
    rooms_before = {attempt.pk: attempt.room_id for attempt in attempts}
    Attempt.objects.filter(sitting=sitting).update(room=None, seat=None)
    SittingRoom.objects.filter(sitting=sitting).exclude(room_id__in=room_ids).delete()
    placed: list[SittingRoom] = []
    by_key = {attempt.pk: attempt for attempt in attempts}
    for entry in plan:
        room = rooms[entry.room_id]
        sitting_room, _created = SittingRoom.objects.get_or_create(
            sitting=sitting, room=room, defaults={"access_code": new_access_code()}
        )
        sitting_room.order = len(placed) + 1  # the order the board chose: rooms fill in it
        sitting_room.separate = entry.separate
        sitting_room.save(update_fields=["order", "separate"])
        sitting_room.proctors.set([proctors[pk] for pk in entry.proctor_ids])
        seats = {(seat.row, seat.column): seat for seat in room.seats.all()}
        chunk = [by_key[key] for key in split[entry.room_id]]
        candidates = [placement.Candidate(key=a.pk, group=groups.get(a.student_id, "")) for a in chunk]
        for placed_seat in placement.place([seat.cell for seat in seats.values()], candidates, len(codes), seed=seed):
            attempt = by_key[placed_seat.candidate]
            attempt.room = sitting_room
            attempt.seat = seats[placed_seat.seat.position]
            attempt.form = codes[placed_seat.code]
        placed.append(sitting_room)
    Attempt.objects.bulk_update(attempts, ["room", "seat", "form"], batch_size=2000)
    for attempt in attempts:
        events.publish(_seated(attempt, from_room=rooms_before[attempt.pk]))
    return placed


def separate_room_needs(sitting: Sitting) -> set[int]:
    """The attempts (not voided) whose candidate's accommodation asks for a room of their own."""
    students = separate_room_candidates(sitting)
    if not students:
        return set()
    return set(
        Attempt.objects.filter(sitting=sitting, student_id__in=students)
        .exclude(status=statuses.VOIDED)
        .values_list("pk", flat=True)
    )


def _split(planned: list[placement.PlannedRoom], attempts: list[Attempt], needs: set[int]) -> dict[int, list[int]]:
    """``placement.split_over_rooms``, its refusals as the board reads them."""
    try:
        return placement.split_over_rooms(planned, [attempt.pk for attempt in attempts], needs)
    except placement.NoSeparateRoom as refused:
        message = ngettext(
            "%(count)d candidate needs a separate room (an accommodation): mark a room of the plan for it.",
            "%(count)d candidates need a separate room (an accommodation): mark a room of the plan for them.",
            refused.candidates,
        ) % {"count": refused.candidates}
    except placement.RoomsTooSmall as refused:
        values = {"candidates": refused.candidates, "seats": refused.seats, "missing": refused.missing}
        if refused.separate:
            message = (
                ngettext(
                    "%(candidates)d candidates need a separate room and the rooms marked for them have %(seats)d "
                    "seats that are not spare: %(missing)d seat is missing.",
                    "%(candidates)d candidates need a separate room and the rooms marked for them have %(seats)d "
                    "seats that are not spare: %(missing)d seats are missing.",
                    refused.missing,
                )
                % values
            )
        else:
            message = (
                ngettext(
                    "%(candidates)d candidates and %(seats)d seats that are not spare: %(missing)d seat is missing.",
                    "%(candidates)d candidates and %(seats)d seats that are not spare: %(missing)d seats are missing.",
                    refused.missing,
                )
                % values
            )
    raise ValidationError({"rooms": [message]})


def _seated(attempt: Attempt, *, from_room: int | None) -> events.Seated:
    seat = attempt.seat
    return events.Seated(
        attempt=attempt.pk,
        sitting=attempt.sitting_id,
        room=attempt.room_id,
        from_room=from_room,
        seat=seat.label if seat else None,
        row=seat.row if seat else None,
        column=seat.column if seat else None,
    )


@transaction.atomic
def seat_move(*, by: User, attempt_id: int, seat_label: str | None = None, reason: str = "") -> Attempt:
    """Move a candidate to another seat of their room (a free spare one if none is named).

    Their attempt continues there: answers and time are the attempt's, not the PC's. Refused
    for a seat that does not exist, holds someone, or for a finished attempt.
    """
    attempt = (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("room__room", "room__sitting", "seat")
        .get(pk=attempt_id)
    )
    if attempt.room is None or attempt.seat is None:
        raise ValidationError({"seat": [_("This candidate has no room yet: place the sitting's candidates first.")]})
    require(may_watch(by, attempt.room), _("Only the room's proctors and the exam board may move its candidates."))
    if attempt.status in statuses.FINISHED:
        raise ValidationError({"attempt": [_("This attempt is finished: there is nobody to move.")]})
    room = attempt.room.room
    seats = list(room.seats.all())
    taken = set(
        Attempt.objects.filter(sitting_id=attempt.sitting_id, seat__room=room)
        .exclude(pk=attempt.pk)
        .values_list("seat_id", flat=True)
    )
    if seat_label:
        try:
            cell = placement.parse_label(seat_label)
        except ValueError:
            cell = None
        target = next((seat for seat in seats if (seat.row, seat.column) == cell), None)
        if target is None:
            raise ValidationError(
                {"seat": [_("Room %(room)s has no seat %(seat)s.") % {"room": room, "seat": seat_label}]}
            )
        if target.pk in taken:
            raise ValidationError({"seat": [_("Seat %(seat)s is taken.") % {"seat": target.label}]})
    else:
        others = Attempt.objects.filter(sitting_id=attempt.sitting_id, seat__room=room).exclude(pk=attempt.pk)
        current = [
            placement.Placement(candidate=pk, seat=placement.Seat(row, column), code=form_id)
            for pk, row, column, form_id in others.values_list("pk", "seat__row", "seat__column", "form_id")
        ]
        current.append(placement.Placement(candidate=attempt.pk, seat=attempt.seat.cell, code=attempt.form_id))
        try:
            chosen = placement.move_to_spare(current, attempt.pk, [seat.cell for seat in seats])
        except placement.NoFreeSpare:
            raise ValidationError({"seat": [_("No spare seat is free in room %(room)s.") % {"room": room}]}) from None
        target = next(seat for seat in seats if (seat.row, seat.column) == chosen.seat.position)
    if attempt.seat_id == target.pk:
        return attempt
    Action.objects.create(
        room=attempt.room,
        attempt=attempt,
        kind=Action.Kind.MOVE,
        by=by,
        reason=reason[:300],
        detail={"from": attempt.seat.label, "to": target.label},
    )
    attempt.seat = target
    try:
        with transaction.atomic():
            attempt.save(update_fields=["seat", "updated_at"])
    except IntegrityError:  # taken meanwhile by another proctor's move
        raise ValidationError({"seat": [_("Seat %(seat)s is taken.") % {"seat": target.label}]}) from None
    events.publish(_seated(attempt, from_room=attempt.room_id))
    return attempt


# --- the exam day -------------------------------------------------------------------------------


@transaction.atomic
def attempt_check_in(*, by: User, attempt_id: int) -> Attempt:
    """The proctor has seen the candidate (photo, name, identifiers) at their seat. A repeat is
    a no-op; an attempt under way or finished is not checked in again."""
    attempt = Attempt.objects.select_for_update(of=("self",)).select_related("room__sitting", "seat").get(pk=attempt_id)
    if attempt.room is None:
        raise ValidationError({"attempt": [_("This candidate has no room yet: place the sitting's candidates first.")]})
    require(may_watch(by, attempt.room), _("Only the room's proctors and the exam board check candidates in."))
    if attempt.status == statuses.CHECKED_IN:
        return attempt
    if attempt.status != statuses.SCHEDULED:
        raise ValidationError({"attempt": [_("This candidate has started already.")]})
    if attempt.room.sitting.status == Sitting.Status.CANCELLED:
        raise ValidationError({"sitting": [_("The sitting is cancelled.")]})
    delivery.attempt_move(attempt_id=attempt.pk, to=statuses.CHECKED_IN, by=by, reason="check-in")
    Action.objects.create(room=attempt.room, attempt=attempt, kind=Action.Kind.CHECK_IN, by=by)
    attempt.refresh_from_db(fields=["status"])
    return attempt


def room_open(*, by: User, sitting_room_id: int, together: bool) -> SittingRoom:
    """Let the room start: everyone checked in now, at once (``together``), or each when ready.

    Opening twice is refused with who opened it and how (two proctors at once: one wins, the
    other is told); candidates checked in later start on their own, their time by the
    sitting's late rule. The events of the commit (each candidate's start, the room's opening)
    go out together after it, in one hop to the event loop (inside a caller's transaction they
    go at its commit, one by one, as every event does).
    """
    if transaction.get_connection().in_atomic_block:
        return _room_open(by=by, sitting_room_id=sitting_room_id, together=together)
    with events.collect() as outbox:
        room = _room_open(by=by, sitting_room_id=sitting_room_id, together=together)
    events.send_all(outbox)
    return room


@transaction.atomic
def _room_open(*, by: User, sitting_room_id: int, together: bool) -> SittingRoom:
    room = (
        SittingRoom.objects.select_for_update(of=("self",))
        .select_related("sitting", "room", "opened_by")
        .get(pk=sitting_room_id)
    )
    require(may_watch(by, room), _("Only the room's proctors and the exam board open it."))
    if room.opened_at is not None:
        how = _("together") if room.together else _("each when ready")
        raise ValidationError(
            {
                "room": [
                    _("%(name)s opened this room at %(at)s (%(how)s).")
                    % {
                        "name": room.opened_by.get_full_name() or room.opened_by.username,
                        "at": timezone.localtime(room.opened_at).strftime("%H:%M:%S"),
                        "how": how,
                    }
                ]
            }
        )
    sitting = room.sitting
    now = timezone.now()
    if sitting.status == Sitting.Status.CANCELLED or not sitting.is_open(now):
        raise ValidationError({"sitting": [_("The sitting is not open now.")]})
    room.opened_at, room.opened_by, room.together = now, by, together
    room.save(update_fields=["opened_at", "opened_by", "together"])
    started = delivery.attempts_start_together(room=room, by=by, now=now) if together else []
    Action.objects.create(
        room=room,
        kind=Action.Kind.START_TOGETHER if together else Action.Kind.OPEN,
        by=by,
        detail={"started": len(started)},
    )
    events.publish(events.RoomOpened(sitting=sitting.pk, room=room.pk, opened_at=events.stamp(now), together=together))
    return room


def placing_allowed(sitting: Sitting) -> bool:
    """Whether the candidates may still be placed all again (nobody checked in or started)."""
    return (
        not Attempt.objects.filter(sitting=sitting).exclude(status__in=(statuses.SCHEDULED, statuses.VOIDED)).exists()
    )


def rooms_of_sitting(sitting: Sitting) -> list[SittingRoom]:
    return list(
        SittingRoom.objects.filter(sitting=sitting)
        .order_by("order", "room__name")
        .select_related("room__organisation")
        .prefetch_related("proctors", "room__seats")
    )


def console_room(*, user: User, sitting_room_id: int) -> tuple[int, int]:
    """(sitting, room) of a room's console ``user`` may watch; DoesNotExist or PermissionDenied."""
    room = SittingRoom.objects.select_related("sitting").get(pk=sitting_room_id)
    require(may_watch(user, room), _("Only the room's proctors and the exam board watch it."))
    return room.sitting_id, room.pk


def console_sitting(*, user: User, sitting_id: int) -> int:
    """The sitting whose console ``user`` may watch (its board); DoesNotExist or PermissionDenied."""
    sitting = Sitting.objects.get(pk=sitting_id, kind=Sitting.Kind.EXAM)
    require_runner(user, sitting)
    return sitting.pk


# --- proctors' actions on the day --------------------------------------------------------------

MAX_MESSAGE = 500
MAX_EXTEND_MINUTES = 120


@dataclass(frozen=True)
class Target:
    """What an action is for: one attempt, every attempt of a room, or of the whole sitting."""

    attempt_id: int | None = None
    sitting_room_id: int | None = None
    sitting_id: int | None = None


@dataclass(frozen=True)
class Outcome:
    """The attempts an action changed, and those it found already so (another proctor's)."""

    changed: tuple[int, ...]
    already: tuple[int, ...]


def _attempts_of(by: User, target: Target) -> tuple[list[int], SittingRoom | None, Sitting]:
    """The attempt ids of ``target`` (not finished) after checking that ``by`` may act on it."""
    if target.attempt_id is not None:
        attempt = Attempt.objects.select_related("room__sitting", "sitting").get(pk=target.attempt_id)
        room = attempt.room
        if room is not None:
            require(may_watch(by, room), _("Only the room's proctors and the exam board act on its candidates."))
        else:
            require_runner(by, attempt.sitting)
        return [attempt.pk], room, attempt.sitting
    if target.sitting_room_id is not None:
        room = SittingRoom.objects.select_related("sitting").get(pk=target.sitting_room_id)
        require(may_watch(by, room), _("Only the room's proctors and the exam board act on its candidates."))
        ids = Attempt.objects.filter(room=room).exclude(status__in=statuses.FINISHED).order_by("pk")
        return list(ids.values_list("pk", flat=True)), room, room.sitting
    sitting = Sitting.objects.get(pk=target.sitting_id)
    require_runner(by, sitting)
    ids = Attempt.objects.filter(sitting=sitting).exclude(status__in=statuses.FINISHED).order_by("pk")
    return list(ids.values_list("pk", flat=True)), None, sitting


def _log(by: User, kind: str, target: Target, room, sitting, *, reason: str = "", **detail) -> None:
    Action.objects.create(
        room=room,
        sitting=sitting,
        attempt_id=target.attempt_id,
        kind=kind,
        by=by,
        reason=reason[:300],
        detail=detail,
    )


def _last_move(attempt_ids: Sequence[int], to: str) -> str:
    """Who made the latest move of these attempts to ``to``, and when (for the one told)."""
    from assess.models import AttemptTransition

    last = (
        AttemptTransition.objects.filter(attempt_id__in=attempt_ids, to_status=to)
        .select_related("by")
        .order_by("-at")
        .first()
    )
    if last is None or last.by is None:
        return ""
    return _("%(name)s at %(at)s") % {
        "name": last.by.get_full_name() or last.by.username,
        "at": timezone.localtime(last.at).strftime("%H:%M:%S"),
    }


def pause(*, by: User, target: Target, reason: str) -> Outcome:
    """Stop the clocks of the target's attempts under way (a power cut, a fire drill), in one go.

    What is paused already is left as it is and said; when nothing changed because another
    proctor paused it first, the refusal names them (and is kept).
    """
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why (it goes into the room's report).")]})
    return _switch(
        by,
        target,
        Action.Kind.PAUSE,
        reason,
        source=statuses.IN_PROGRESS,
        to=statuses.PAUSED,
        move=delivery.attempt_pause,
        done=_("Already paused"),
        none=_("Nobody is answering now."),
    )


def resume(*, by: User, target: Target, reason: str = "") -> Outcome:
    """Restart the clocks of the target's paused attempts, each with the time it had left."""
    return _switch(
        by,
        target,
        Action.Kind.RESUME,
        reason,
        source=statuses.PAUSED,
        to=statuses.IN_PROGRESS,
        move=delivery.attempt_resume,
        done=_("Already resumed"),
        none=_("Nobody is paused."),
    )


class _NothingToDo(Exception):
    def __init__(self, already: list[int]) -> None:
        self.already = already


def _switch(by: User, target: Target, kind: str, reason: str, *, source: str, to: str, move, done: str, none: str):
    """Move every attempt of ``target`` that is ``source`` to ``to``, all in one transaction,
    deciding under the attempts' locks (two proctors at once: the second finds them moved)."""
    ids, room, sitting = _attempts_of(by, target)
    try:
        with transaction.atomic():
            now = dict(
                Attempt.objects.select_for_update(of=("self",))
                .filter(pk__in=ids)
                .order_by("pk")
                .values_list("pk", "status")
            )
            moving = [pk for pk in ids if now.get(pk) == source]
            already = [pk for pk in ids if now.get(pk) == to]
            if not moving:
                raise _NothingToDo(already)
            for pk in moving:
                move(attempt_id=pk, by=by, reason=reason)
            _log(by, kind, target, room, sitting, reason=reason, attempts=moving)
    except _NothingToDo as nothing:
        _nothing_to_do(by, target, room, nothing.already, to, done, none)
    return Outcome(changed=tuple(moving), already=tuple(already))


def _nothing_to_do(by: User, target: Target, room, already: list[int], status: str, done: str, none: str) -> None:
    """Refuse an action that would change nothing, saying why; kept as a refusal (a race lost).
    Called outside of a transaction, so that the refusal stays."""
    who = _last_move(already, status) if already else ""
    message = f"{done}: {who}." if who else none
    Refusal.objects.create(user=by, attempt_id=target.attempt_id, room=room, code="nothing_to_do", detail=message[:300])
    raise Conflict(message)


class Conflict(ValidationError):
    """Another proctor did it first (or there is nothing to do): the one told why."""

    def __init__(self, message: str) -> None:
        super().__init__({"attempt": [message]})


@transaction.atomic
def extend(*, by: User, attempt_id: int, minutes: int, reason: str) -> Attempt:
    """Give one candidate ``minutes`` more, with the reason kept (time lost, an accommodation)."""
    if not 1 <= minutes <= MAX_EXTEND_MINUTES:
        raise ValidationError({"minutes": [_("Give 1 to %(max)d minutes.") % {"max": MAX_EXTEND_MINUTES}]})
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why (it goes into the room's report).")]})
    target = Target(attempt_id=attempt_id)
    _ids, room, sitting = _attempts_of(by, target)
    attempt = delivery.attempt_extend(attempt_id=attempt_id, by=by, minutes=minutes, reason=reason)
    _log(by, Action.Kind.EXTEND, target, room, sitting, reason=reason, minutes=minutes)
    return attempt


@transaction.atomic
def void(*, by: User, attempt_id: int, reason: str) -> Attempt:
    """Void one candidate's attempt, the reason kept; it counts for nothing."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why (it goes into the room's report).")]})
    target = Target(attempt_id=attempt_id)
    _ids, room, sitting = _attempts_of(by, target)
    attempt = delivery.attempt_void(attempt_id=attempt_id, by=by, reason=reason)
    _log(by, Action.Kind.VOID, target, room, sitting, reason=reason)
    return attempt


@transaction.atomic
def message(*, by: User, target: Target, text: str) -> int:
    """Send a message to a candidate or every candidate of a room or the sitting still
    working; pushed to their exam page. How many it reached."""
    text = text.strip()
    if not text or len(text) > MAX_MESSAGE:
        raise ValidationError({"text": [_("Write a message of 1 to %(max)d characters.") % {"max": MAX_MESSAGE}]})
    ids, room, sitting = _attempts_of(by, target)
    sender = by.get_full_name() or by.username
    at = events.stamp(timezone.now())
    rooms = dict(Attempt.objects.filter(pk__in=ids).values_list("pk", "room_id"))
    for pk in ids:
        events.publish(
            events.Notice(attempt=pk, sitting=sitting.pk, room=rooms.get(pk), text=text, sender=sender, at=at)
        )
    _log(by, Action.Kind.MESSAGE, target, room, sitting, reason=text, attempts=ids)
    return len(ids)


# --- reopening an attempt handed in by mistake ---------------------------------------------------


@transaction.atomic
def reopen_request(*, by: User, attempt_id: int, reason: str) -> ReopenRequest:
    """A proctor of the room (or the board) asks the board to reopen an attempt the candidate
    handed in by mistake. Refused at once when it could not be reopened; one pending a time."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why (it goes into the room's report).")]})
    target = Target(attempt_id=attempt_id)
    _ids, room, sitting = _attempts_of(by, target)
    attempt = Attempt.objects.select_for_update(of=("self",)).select_related("sitting").get(pk=attempt_id)
    refusal = delivery.reopen_refusal(attempt, timezone.now())
    if refusal is not None:
        raise ValidationError({"attempt": [refusal]})
    if ReopenRequest.objects.filter(attempt=attempt, status=ReopenRequest.Status.PENDING).exists():
        raise Conflict(_("A request to reopen this attempt is waiting for the exam board already."))
    request = ReopenRequest.objects.create(
        attempt=attempt, sitting=sitting, room=room, reason=reason.strip()[:300], requested_by=by
    )
    _log(by, Action.Kind.REOPEN_REQUEST, target, room, sitting, reason=request.reason, request=request.pk)
    return request


@transaction.atomic
def reopen_decide(*, by: User, request_id: int, approve: bool, note: str = "") -> ReopenRequest:
    """The exam board approves (the attempt is paused again with the time it had left: the
    room's proctor resumes it) or refuses a request. Decided once; an approval that can no
    longer be carried out (the window closed meanwhile) is refused and the request stays."""
    request = ReopenRequest.objects.select_for_update(of=("self",)).select_related("sitting").get(pk=request_id)
    require_runner(by, request.sitting)
    if request.status != ReopenRequest.Status.PENDING:
        raise Conflict(
            _("This request was decided already: %(status)s.") % {"status": request.get_status_display().lower()}
        )
    note = note.strip()[:300]
    if approve:
        delivery.attempt_reopen(attempt_id=request.attempt_id, by=by, reason=("reopened: " + request.reason)[:200])
    request.status = ReopenRequest.Status.APPROVED if approve else ReopenRequest.Status.REFUSED
    request.decided_by, request.decided_at, request.decision_note = by, timezone.now(), note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    kind = Action.Kind.REOPEN if approve else Action.Kind.REOPEN_REFUSED
    target = Target(attempt_id=request.attempt_id)
    _log(by, kind, target, request.room, request.sitting, reason=note or request.reason, request=request.pk)
    return request


def reopen_requests(*, by: User, sitting_id: int):
    """A sitting's requests, newest first: all of them for its board, those of one's rooms for
    a proctor (nothing for anyone else: PermissionDenied)."""
    sitting = Sitting.objects.get(pk=sitting_id)
    requests = ReopenRequest.objects.filter(sitting=sitting).select_related(
        "attempt__student", "room__room", "requested_by", "decided_by"
    )
    scope = scope_of(by)
    if scope.is_admin or (scope.has_role(*BOARD) and scope.oversees(sitting.organisation_id)):
        return requests.order_by("-requested_at", "-pk")
    require(scope.has_role(*PROCTORS), _("Only the room's proctors and the exam board see these requests."))
    return requests.filter(room__proctors=by).order_by("-requested_at", "-pk")
