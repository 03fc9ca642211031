"""REST API of proctoring: labs and seat maps, a sitting's rooms and seats, moves, consoles.

- Labs: school administrators and the exam board of the organisations they oversee.
- A sitting's rooms (split, proctors, placement): whoever runs the sitting (its board).
- A room of a sitting (its seat map with candidates, its console snapshot, moving a
  candidate): the room's proctors and the board; a proctor sees only their rooms.

A row outside one's reach does not exist (404); the services check again who may do what.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role, User
from accounts.permissions import BOARD, IsBoard, IsProctor, IsRoomKeeper, organisation_subtree, scope_of
from assess.authoring_api import _valid
from assess.models import Attempt, Sitting
from assess.sittings import sittings_run_by
from config.ids import IdField

from . import console, placement, services
from .models import MAX_COLUMNS, MAX_NETWORKS, MAX_ROWS, Room, SittingRoom

MAX_LABELS = MAX_ROWS * MAX_COLUMNS


class RoomInput(serializers.Serializer):
    school = IdField(required=False, help_text="The school the room is in (on creation; default: one's own).")
    name = serializers.CharField(max_length=services.MAX_NAME)
    rows = serializers.IntegerField(min_value=1, max_value=MAX_ROWS)
    columns = serializers.IntegerField(min_value=1, max_value=MAX_COLUMNS)
    networks = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, default=list, max_length=MAX_NETWORKS
    )
    missing = serializers.ListField(
        child=serializers.CharField(max_length=8), required=False, default=list, max_length=MAX_LABELS
    )
    spares = serializers.ListField(
        child=serializers.CharField(max_length=8), required=False, default=list, max_length=MAX_LABELS
    )
    proctors_needed = serializers.IntegerField(min_value=1, max_value=10, required=False, default=2)


class SeatOutput(serializers.Serializer):
    label = serializers.CharField()
    row = serializers.IntegerField()
    column = serializers.IntegerField()
    spare = serializers.BooleanField()


class RoomOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    school = serializers.IntegerField(source="organisation_id")
    school_name = serializers.CharField(source="organisation.name")
    rows = serializers.IntegerField()
    columns = serializers.IntegerField()
    networks = serializers.ListField(child=serializers.CharField())
    proctors_needed = serializers.IntegerField()
    seats = SeatOutput(many=True, source="seats.all")
    missing = serializers.SerializerMethodField()
    spares = serializers.SerializerMethodField()
    capacity = serializers.SerializerMethodField(help_text="Seats that are not spare.")

    def get_missing(self, room: Room) -> list[str]:
        present = {(seat.row, seat.column) for seat in room.seats.all()}
        return [
            placement.seat_label(placement.Seat(row, column))
            for row in range(1, room.rows + 1)
            for column in range(1, room.columns + 1)
            if (row, column) not in present
        ]

    def get_spares(self, room: Room) -> list[str]:
        return [seat.label for seat in room.seats.all() if seat.spare]

    def get_capacity(self, room: Room) -> int:
        return sum(1 for seat in room.seats.all() if not seat.spare)


class RoomsOutput(serializers.Serializer):
    results = RoomOutput(many=True)


def _rooms(request: Request):
    scope = scope_of(request.user)
    rooms = Room.objects.select_related("organisation").prefetch_related("seats")
    return rooms if scope.is_admin else rooms.filter(organisation_id__in=scope.overseen)


def _spec(data: dict[str, Any]) -> services.RoomSpec:
    return services.RoomSpec(
        name=data["name"],
        rows=data["rows"],
        columns=data["columns"],
        networks=tuple(data["networks"]),
        missing=tuple(data["missing"]),
        spares=tuple(data["spares"]),
        proctors_needed=data["proctors_needed"],
    )


@extend_schema(methods=["GET"], responses={200: RoomsOutput}, operation_id="rooms_list")
@extend_schema(methods=["POST"], request=RoomInput, responses={201: RoomOutput})
@api_view(["GET", "POST"])
@permission_classes([IsRoomKeeper])
def room_list(request: Request) -> Response:
    """The labs of the schools one oversees, or add one (its seats follow the grid)."""
    if request.method == "GET":
        return Response({"results": RoomOutput(_rooms(request).order_by("organisation__name", "name"), many=True).data})
    data = _valid(RoomInput, request.data)
    school = data.get("school") or request.user.organisation_id
    room = services.room_save(by=request.user, organisation_id=school, spec=_spec(data))
    return Response(RoomOutput(_rooms(request).get(pk=room.pk)).data, status=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses={200: RoomOutput})
@extend_schema(methods=["PUT"], request=RoomInput, responses={200: RoomOutput})
@extend_schema(methods=["DELETE"], responses={204: None})
@api_view(["GET", "PUT", "DELETE"])
@permission_classes([IsRoomKeeper])
def room_detail(request: Request, room_id: int) -> Response:
    room = _rooms(request).get(pk=room_id)
    if request.method == "GET":
        return Response(RoomOutput(room).data)
    if request.method == "DELETE":
        services.room_delete(by=request.user, room_id=room.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
    data = _valid(RoomInput, request.data)
    services.room_save(by=request.user, organisation_id=room.organisation_id, spec=_spec(data), room_id=room.pk)
    return Response(RoomOutput(_rooms(request).get(pk=room.pk)).data)


# --- a sitting's rooms ------------------------------------------------------------------------


class RoomPlanInput(serializers.Serializer):
    room = IdField()
    proctors = serializers.ListField(child=IdField(), required=False, default=list, max_length=10)
    separate = serializers.BooleanField(
        required=False, default=False, help_text="Kept for candidates whose accommodation asks for a separate room."
    )


class PlacementInput(serializers.Serializer):
    rooms = RoomPlanInput(many=True, max_length=500)
    seed = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False, allow_null=True, default=None)


class ProctorOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


class CandidateSeatOutput(serializers.Serializer):
    attempt = serializers.IntegerField()
    student_id = serializers.IntegerField()
    has_photo = serializers.BooleanField(help_text="GET /api/people/<student_id>/photo/ gives it.")
    citizen_id = serializers.CharField(allow_null=True)
    seat = serializers.CharField()
    row = serializers.IntegerField()
    column = serializers.IntegerField()
    student = serializers.CharField()
    name = serializers.CharField()
    learner_id = serializers.CharField(allow_null=True)
    test_code = serializers.CharField()
    status = serializers.CharField()


class SittingRoomOutput(serializers.Serializer):
    id = serializers.IntegerField()
    sitting = serializers.IntegerField(source="sitting_id")
    room = RoomOutput()
    proctors = ProctorOutput(many=True, source="proctors.all")
    access_code = serializers.CharField()
    opened_at = serializers.DateTimeField(allow_null=True)
    together = serializers.BooleanField()
    separate = serializers.BooleanField(
        help_text="Kept for candidates with a separate-room accommodation: it holds only such candidates."
    )
    candidates = serializers.SerializerMethodField()

    def get_candidates(self, sitting_room: SittingRoom) -> list[dict[str, Any]]:
        attempts = (
            Attempt.objects.filter(room=sitting_room)
            .select_related("student", "seat", "form")
            .order_by("seat__row", "seat__column")
        )
        return CandidateSeatOutput(
            [
                {
                    "attempt": a.pk,
                    "student_id": a.student_id,
                    "has_photo": bool(a.student.photo),
                    "citizen_id": a.student.citizen_id or None,
                    "seat": a.seat.label,
                    "row": a.seat.row,
                    "column": a.seat.column,
                    "student": a.student.username,
                    "name": a.student.get_full_name() or a.student.username,
                    "learner_id": a.student.learner_id,
                    "test_code": a.form.code,
                    "status": a.status,
                }
                for a in attempts
                if a.seat is not None
            ],
            many=True,
        ).data


class SittingRoomsOutput(serializers.Serializer):
    rooms = SittingRoomOutput(many=True)
    unplaced = serializers.IntegerField(help_text="Candidates (not voided) without a seat.")
    separate_room_candidates = serializers.IntegerField(
        help_text="Candidates (not voided) whose accommodation asks for a separate room."
    )
    can_place = serializers.BooleanField(help_text="Whether everyone may still be placed again (nobody checked in).")
    available_rooms = RoomOutput(many=True, help_text="Labs of the sitting's schools one may use.")
    available_proctors = ProctorOutput(many=True, help_text="Proctors of the sitting's schools.")


def _sitting_rooms(request: Request, sitting: Sitting) -> dict[str, Any]:
    reach = organisation_subtree(sitting.organisation_id)
    scope = scope_of(request.user)
    rooms = _rooms(request).filter(organisation_id__in=reach)
    proctors = User.objects.filter(
        organisation_id__in=reach, is_active=True, role__in=(Role.PROCTOR, Role.BOARD)
    ).order_by("last_name", "first_name", "username")
    if not scope.is_admin:
        proctors = proctors.filter(organisation_id__in=scope.overseen)
    unplaced = (
        Attempt.objects.filter(sitting=sitting, seat__isnull=True).exclude(status="voided").aggregate(n=Count("pk"))
    )
    needs = services.separate_room_needs(sitting)
    return SittingRoomsOutput(
        {
            "rooms": services.rooms_of_sitting(sitting),
            "unplaced": unplaced["n"],
            "separate_room_candidates": len(needs),
            "can_place": services.placing_allowed(sitting),
            "available_rooms": rooms.order_by("name")[:500],
            "available_proctors": proctors[:2000],
        }
    ).data


@extend_schema(methods=["GET"], responses={200: SittingRoomsOutput}, operation_id="sitting_rooms_get")
@extend_schema(methods=["PUT"], request=PlacementInput, responses={200: SittingRoomsOutput})
@api_view(["GET", "PUT"])
@permission_classes([IsBoard])
def sitting_rooms(request: Request, sitting_id: int) -> Response:
    """The sitting's rooms, proctors and seat maps; PUT splits it over rooms and places everyone.

    The board's; a proctor reads their own rooms (``sitting_room``)."""
    sitting = sittings_run_by(request.user).filter(kind=Sitting.Kind.EXAM).get(pk=sitting_id)
    if request.method == "PUT":
        data = _valid(PlacementInput, request.data)
        plan = [
            services.RoomPlan(room_id=entry["room"], proctor_ids=tuple(entry["proctors"]), separate=entry["separate"])
            for entry in data["rooms"]
        ]
        services.sitting_place(by=request.user, sitting_id=sitting.pk, plan=plan, seed=data["seed"])
    return Response(_sitting_rooms(request, sitting))


def _watched(request: Request):
    """The rooms of sittings one watches: a proctor their own, the board its sittings'."""
    scope = scope_of(request.user)
    rooms = SittingRoom.objects.select_related("room__organisation", "sitting").prefetch_related(
        "proctors", "room__seats"
    )
    if scope.is_admin:
        return rooms
    board = Q(sitting__organisation_id__in=scope.overseen) if scope.has_role(*BOARD) else Q(pk__in=[])
    return rooms.filter(board | Q(proctors=scope.user_id)).distinct()


class SittingRoomListItem(serializers.Serializer):
    id = serializers.IntegerField()
    sitting = serializers.IntegerField(source="sitting_id")
    sitting_title = serializers.CharField(source="sitting.title")
    opens_at = serializers.DateTimeField(source="sitting.opens_at")
    closes_at = serializers.DateTimeField(source="sitting.closes_at")
    room = serializers.CharField(source="room.name")
    school = serializers.CharField(source="room.organisation.name")


class SittingRoomListOutput(serializers.Serializer):
    results = SittingRoomListItem(many=True)


@extend_schema(responses={200: SittingRoomListOutput}, operation_id="sitting_rooms_list")
@api_view(["GET"])
@permission_classes([IsProctor])
def sitting_room_list(request: Request) -> Response:
    """The rooms one watches, the latest sittings first (a proctor: the rooms they are named for)."""
    rooms = _watched(request).order_by("-sitting__opens_at", "room__name")[:500]
    return Response({"results": SittingRoomListItem(rooms, many=True).data})


@extend_schema(responses={200: SittingRoomOutput})
@api_view(["GET"])
@permission_classes([IsProctor])
def sitting_room(request: Request, sitting_room_id: int) -> Response:
    """One room of a sitting: its proctors, access code and the seat map with its candidates."""
    return Response(SittingRoomOutput(_watched(request).get(pk=sitting_room_id)).data)


class ConsoleOutput(serializers.Serializer):
    sitting = serializers.IntegerField()
    room = serializers.IntegerField(allow_null=True)
    attempts = serializers.DictField(child=serializers.JSONField(), help_text="proctoring.console: one row an attempt.")


@extend_schema(responses={200: ConsoleOutput})
@api_view(["GET"])
@permission_classes([IsProctor])
def sitting_room_console(request: Request, sitting_room_id: int) -> Response:
    """The room's console snapshot (``proctoring.console``); events follow on the websocket."""
    sitting_room = _watched(request).get(pk=sitting_room_id)
    return Response(console.snapshot(sitting_id=sitting_room.sitting_id, room_id=sitting_room.pk))


class MoveInput(serializers.Serializer):
    seat = serializers.CharField(max_length=8, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class MovedOutput(serializers.Serializer):
    attempt = serializers.IntegerField(source="pk")
    seat = serializers.CharField(source="seat.label")


@extend_schema(request=MoveInput, responses={200: MovedOutput})
@api_view(["POST"])
@permission_classes([IsProctor])
def attempt_seat(request: Request, attempt_id: int) -> Response:
    """Move a candidate to a seat of their room (a free spare one if ``seat`` is blank)."""
    attempt = Attempt.objects.filter(room__in=_watched(request)).get(pk=attempt_id)
    data = _valid(MoveInput, request.data)
    moved = services.seat_move(by=request.user, attempt_id=attempt.pk, seat_label=data["seat"], reason=data["reason"])
    return Response(MovedOutput(moved).data)


@extend_schema(responses={200: ConsoleOutput})
@api_view(["GET"])
@permission_classes([IsBoard])
def sitting_console(request: Request, sitting_id: int) -> Response:
    """The board's console snapshot over every room of the sitting; events follow on the websocket."""
    sitting = sittings_run_by(request.user).filter(kind=Sitting.Kind.EXAM).get(pk=sitting_id)
    return Response(console.snapshot(sitting_id=sitting.pk))


class CheckedInOutput(serializers.Serializer):
    attempt = serializers.IntegerField(source="pk")
    status = serializers.CharField()


@extend_schema(request=None, responses={200: CheckedInOutput})
@api_view(["POST"])
@permission_classes([IsProctor])
def attempt_check_in(request: Request, attempt_id: int) -> Response:
    """Check a candidate in (the proctor has seen them at their seat); a repeat changes nothing."""
    attempt = Attempt.objects.filter(room__in=_watched(request)).get(pk=attempt_id)
    return Response(CheckedInOutput(services.attempt_check_in(by=request.user, attempt_id=attempt.pk)).data)


class OpenInput(serializers.Serializer):
    together = serializers.BooleanField(help_text="Start every candidate checked in now, at once.")


@extend_schema(request=OpenInput, responses={200: SittingRoomOutput})
@api_view(["POST"])
@permission_classes([IsProctor])
def sitting_room_open(request: Request, sitting_room_id: int) -> Response:
    """Open the room: start everyone checked in together, or let each start when ready."""
    watched = _watched(request).prefetch_related(None).values_list("pk", flat=True).get(pk=sitting_room_id)
    data = _valid(OpenInput, request.data)
    services.room_open(by=request.user, sitting_room_id=watched, together=data["together"])
    return Response(SittingRoomOutput(_watched(request).get(pk=watched)).data)


# --- proctors' actions ------------------------------------------------------------------------


class ActionReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ExtendInput(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=services.MAX_EXTEND_MINUTES)
    reason = serializers.CharField(max_length=300)


class MessageInput(serializers.Serializer):
    text = serializers.CharField(max_length=services.MAX_MESSAGE)


class OutcomeOutput(serializers.Serializer):
    changed = serializers.ListField(child=serializers.IntegerField(), help_text="Attempts this call changed.")
    already = serializers.ListField(child=serializers.IntegerField(), help_text="Attempts found so already.")


class AttemptStatusOutput(serializers.Serializer):
    attempt = serializers.IntegerField(source="pk")
    status = serializers.CharField()
    deadline = serializers.DateTimeField(allow_null=True)
    remaining_ms = serializers.SerializerMethodField()

    def get_remaining_ms(self, attempt: Attempt) -> int | None:
        return attempt.remaining_ms()


class SentOutput(serializers.Serializer):
    sent = serializers.IntegerField(help_text="Candidates the message was sent to.")


def _reachable_attempt(request: Request, attempt_id: int) -> Attempt:
    """An attempt of a room one watches or of a sitting one runs; else it does not exist."""
    rooms = _watched(request)
    return (
        Attempt.objects.filter(Q(room__in=rooms) | Q(sitting__in=sittings_run_by(request.user)))
        .distinct()
        .get(pk=attempt_id)
    )


def _target(request: Request, *, attempt_id=None, sitting_room_id=None, sitting_id=None) -> services.Target:
    if attempt_id is not None:
        return services.Target(attempt_id=_reachable_attempt(request, attempt_id).pk)
    if sitting_room_id is not None:
        return services.Target(sitting_room_id=_watched(request).get(pk=sitting_room_id).pk)
    return services.Target(
        sitting_id=sittings_run_by(request.user).filter(kind=Sitting.Kind.EXAM).get(pk=sitting_id).pk
    )


def _switch(request: Request, action, **where) -> Response:
    target = _target(request, **where)
    data = _valid(ActionReasonInput, request.data)
    outcome = action(by=request.user, target=target, reason=data["reason"])
    return Response(OutcomeOutput({"changed": list(outcome.changed), "already": list(outcome.already)}).data)


def _message(request: Request, **where) -> Response:
    target = _target(request, **where)
    data = _valid(MessageInput, request.data)
    return Response(SentOutput({"sent": services.message(by=request.user, target=target, text=data["text"])}).data)


@extend_schema(request=ActionReasonInput, responses={200: OutcomeOutput})
@api_view(["POST"])
@permission_classes([IsProctor])
def attempt_pause(request: Request, attempt_id: int) -> Response:
    """Pause one candidate (their clock stops; the time left is kept). A reason is required."""
    return _switch(request, services.pause, attempt_id=attempt_id)


@extend_schema(request=ActionReasonInput, responses={200: OutcomeOutput})
@api_view(["POST"])
@permission_classes([IsProctor])
def attempt_resume(request: Request, attempt_id: int) -> Response:
    """Resume one paused candidate with the time they had left."""
    return _switch(request, services.resume, attempt_id=attempt_id)


@extend_schema(request=ActionReasonInput, responses={200: OutcomeOutput})
@api_view(["POST"])
@permission_classes([IsProctor])
def room_pause(request: Request, sitting_room_id: int) -> Response:
    """Pause every candidate of the room answering now (a power cut, a network failure)."""
    return _switch(request, services.pause, sitting_room_id=sitting_room_id)


@extend_schema(request=ActionReasonInput, responses={200: OutcomeOutput})
@api_view(["POST"])
@permission_classes([IsProctor])
def room_resume(request: Request, sitting_room_id: int) -> Response:
    """Resume every paused candidate of the room."""
    return _switch(request, services.resume, sitting_room_id=sitting_room_id)


@extend_schema(request=ActionReasonInput, responses={200: OutcomeOutput})
@api_view(["POST"])
@permission_classes([IsBoard])
def sitting_pause(request: Request, sitting_id: int) -> Response:
    """Pause every candidate of the sitting answering now, in every room."""
    return _switch(request, services.pause, sitting_id=sitting_id)


@extend_schema(request=ActionReasonInput, responses={200: OutcomeOutput})
@api_view(["POST"])
@permission_classes([IsBoard])
def sitting_resume(request: Request, sitting_id: int) -> Response:
    """Resume every paused candidate of the sitting."""
    return _switch(request, services.resume, sitting_id=sitting_id)


@extend_schema(request=ExtendInput, responses={200: AttemptStatusOutput})
@api_view(["POST"])
@permission_classes([IsProctor])
def attempt_extend(request: Request, attempt_id: int) -> Response:
    """Give a candidate more minutes, with the reason (time lost to an incident)."""
    attempt = _reachable_attempt(request, attempt_id)
    data = _valid(ExtendInput, request.data)
    extended = services.extend(by=request.user, attempt_id=attempt.pk, minutes=data["minutes"], reason=data["reason"])
    return Response(AttemptStatusOutput(extended).data)


@extend_schema(request=ActionReasonInput, responses={200: AttemptStatusOutput})
@api_view(["POST"])
@permission_classes([IsProctor])
def attempt_void(request: Request, attempt_id: int) -> Response:
    """Void a candidate's attempt, with the reason; it counts for nothing."""
    attempt = _reachable_attempt(request, attempt_id)
    data = _valid(ActionReasonInput, request.data)
    return Response(
        AttemptStatusOutput(services.void(by=request.user, attempt_id=attempt.pk, reason=data["reason"])).data
    )


@extend_schema(request=MessageInput, responses={200: SentOutput})
@api_view(["POST"])
@permission_classes([IsProctor])
def attempt_message(request: Request, attempt_id: int) -> Response:
    """Send a message to one candidate's exam page."""
    return _message(request, attempt_id=attempt_id)


@extend_schema(request=MessageInput, responses={200: SentOutput})
@api_view(["POST"])
@permission_classes([IsProctor])
def room_message(request: Request, sitting_room_id: int) -> Response:
    """Send a message to every candidate of the room still working."""
    return _message(request, sitting_room_id=sitting_room_id)


@extend_schema(request=MessageInput, responses={200: SentOutput})
@api_view(["POST"])
@permission_classes([IsBoard])
def sitting_message(request: Request, sitting_id: int) -> Response:
    """Send a message to every candidate of the sitting still working."""
    return _message(request, sitting_id=sitting_id)


class ActionOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    by = serializers.CharField(source="by.username")
    by_name = serializers.SerializerMethodField()
    room = serializers.IntegerField(source="room_id", allow_null=True)
    attempt = serializers.IntegerField(source="attempt_id", allow_null=True)
    reason = serializers.CharField()
    detail = serializers.JSONField()

    def get_by_name(self, action) -> str:
        return action.by.get_full_name() or action.by.username


class RefusalOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    code = serializers.CharField()
    user = serializers.CharField(source="user.username", allow_null=True)
    attempt = serializers.IntegerField(source="attempt_id", allow_null=True)
    room = serializers.IntegerField(source="room_id", allow_null=True)
    address = serializers.CharField(allow_null=True)
    detail = serializers.CharField()


class LogOutput(serializers.Serializer):
    actions = ActionOutput(many=True)
    refusals = RefusalOutput(many=True)


@extend_schema(responses={200: LogOutput})
@api_view(["GET"])
@permission_classes([IsProctor])
def sitting_room_log(request: Request, sitting_room_id: int) -> Response:
    """The room's log: every action (who, when, why) and every refusal, oldest first."""
    room = _watched(request).get(pk=sitting_room_id)
    actions = room.actions.select_related("by").order_by("at", "pk")
    refusals = room.refusals.select_related("user").order_by("at", "pk")
    return Response(LogOutput({"actions": actions, "refusals": refusals}).data)


@extend_schema(responses={200: LogOutput})
@api_view(["GET"])
@permission_classes([IsBoard])
def sitting_log(request: Request, sitting_id: int) -> Response:
    """Every room's log of the sitting, and the sitting-wide actions: for the board."""
    from .models import Action, Refusal

    sitting = sittings_run_by(request.user).filter(kind=Sitting.Kind.EXAM).get(pk=sitting_id)
    actions = (
        Action.objects.filter(Q(sitting=sitting) | Q(room__sitting=sitting)).select_related("by").order_by("at", "pk")
    )
    refusals = Refusal.objects.filter(Q(room__sitting=sitting) | Q(attempt__sitting=sitting)).select_related("user")
    return Response(LogOutput({"actions": actions[:5000], "refusals": refusals.order_by("at", "pk")[:5000]}).data)
