"""REST API of incidents, integrity and the room report (docs/proctoring.md, section 5).

- A room's incidents (list, log one) and its report: the room's proctors and the board;
  a sitting's incidents and its integrity thresholds: its board.
- Deciding an incident (confirm, dismiss): the room's proctors and the board; an incident of a
  candidate placed in no room: the board.

A row outside one's reach does not exist (404); the services check again who may do what.
A second decision on an incident is ``409 already_decided``, naming who decided it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsBoard, IsProctor
from assess.authoring_api import _valid
from assess.models import Attempt, Sitting
from assess.sittings import sittings_run_by
from config.api import error_body

from . import incidents, integrity, report
from .api import _reachable_attempt, _watched
from .models import Incident, IntegrityEvent
from .services import MAX_EXTEND_MINUTES


class CandidateOutput(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    learner_id = serializers.CharField(allow_null=True)
    seat = serializers.CharField(allow_null=True)


class IncidentOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    sitting = serializers.IntegerField(source="sitting_id")
    room = serializers.IntegerField(source="room_id", allow_null=True)
    attempt = serializers.IntegerField(source="attempt_id", allow_null=True, help_text="None: the whole room.")
    candidate = serializers.SerializerMethodField()
    kind = serializers.CharField(help_text="power, network, pc_failure, illness, misconduct, integrity, other")
    kind_label = serializers.CharField(source="get_kind_display")
    status = serializers.CharField(help_text="open, confirmed or dismissed")
    status_label = serializers.CharField(source="get_status_display")
    description = serializers.CharField()
    text = serializers.SerializerMethodField(help_text="The description, or an integrity alert's threshold in words.")
    detail = serializers.JSONField()
    time_lost = serializers.IntegerField(help_text="Minutes, as logged.")
    minutes_given = serializers.IntegerField(help_text="Minutes given back on confirming.")
    given_to = serializers.ListField(child=serializers.IntegerField(), help_text="The attempts that got them.")
    reported_at = serializers.DateTimeField()
    reported_by = serializers.SerializerMethodField(help_text="None: raised by the server.")
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.SerializerMethodField()
    note = serializers.CharField(source="decision_note")

    def get_candidate(self, incident: Incident) -> dict[str, Any] | None:
        attempt = incident.attempt
        if attempt is None:
            return None
        student = attempt.student
        return {
            "username": student.username,
            "name": student.get_full_name() or student.username,
            "learner_id": student.learner_id,
            "seat": attempt.seat.label if attempt.seat else None,
        }

    def get_text(self, incident: Incident) -> str:
        return incidents.describe(incident)

    def get_reported_by(self, incident: Incident) -> str | None:
        user = incident.reported_by
        return None if user is None else user.get_full_name() or user.username

    def get_decided_by(self, incident: Incident) -> str | None:
        user = incident.decided_by
        return None if user is None else user.get_full_name() or user.username


class IncidentsOutput(serializers.Serializer):
    results = IncidentOutput(many=True)


class IncidentInput(serializers.Serializer):
    attempt = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="The candidate; none: the whole room."
    )
    kind = serializers.ChoiceField(choices=sorted(incidents.LOGGED_KINDS))
    time_lost = serializers.IntegerField(min_value=0, max_value=MAX_EXTEND_MINUTES, required=False, default=0)
    description = serializers.CharField(
        max_length=incidents.MAX_DESCRIPTION, required=False, allow_blank=True, default=""
    )


class ConfirmInput(serializers.Serializer):
    minutes = serializers.IntegerField(
        min_value=0,
        max_value=MAX_EXTEND_MINUTES,
        required=False,
        allow_null=True,
        default=None,
        help_text="Minutes to give back (default: the time lost logged).",
    )
    note = serializers.CharField(max_length=incidents.MAX_NOTE, required=False, allow_blank=True, default="")


class DismissInput(serializers.Serializer):
    note = serializers.CharField(max_length=incidents.MAX_NOTE, allow_blank=True, help_text="Why (required).")


class DecidedOutput(serializers.Serializer):
    incident = IncidentOutput()
    given = serializers.ListField(child=serializers.IntegerField(), help_text="Attempts given the time back.")
    skipped = serializers.ListField(child=serializers.IntegerField(), help_text="Attempts that could not get it.")
    message = serializers.CharField()


def _incidents(queryset):
    return queryset.select_related("reported_by", "decided_by", "attempt__student", "attempt__seat").order_by(
        "reported_at", "pk"
    )


def _reachable_incident(request: Request, incident_id: int) -> Incident:
    """An incident of a room one watches or of a sitting one runs; else it does not exist."""
    return (
        Incident.objects.filter(Q(room__in=_watched(request)) | Q(sitting__in=sittings_run_by(request.user)))
        .distinct()
        .get(pk=incident_id)
    )


def _fresh(incident_id: int) -> Incident:
    return _incidents(Incident.objects.filter(pk=incident_id)).get()


@extend_schema(methods=["GET"], responses={200: IncidentsOutput}, operation_id="sitting_room_incidents_list")
@extend_schema(methods=["POST"], request=IncidentInput, responses={201: IncidentOutput})
@api_view(["GET", "POST"])
@permission_classes([IsProctor])
def room_incidents(request: Request, sitting_room_id: int) -> Response:
    """The room's incidents, oldest first; POST logs one, for a candidate or the whole room."""
    room = _watched(request).get(pk=sitting_room_id)
    if request.method == "GET":
        return Response({"results": IncidentOutput(_incidents(room.incidents.all()), many=True).data})
    data = _valid(IncidentInput, request.data)
    where: dict[str, int] = {"sitting_room_id": room.pk}
    if data["attempt"] is not None:
        where = {"attempt_id": Attempt.objects.filter(room=room).get(pk=data["attempt"]).pk}
    incident = incidents.incident_log(
        by=request.user, kind=data["kind"], time_lost=data["time_lost"], description=data["description"], **where
    )
    return Response(IncidentOutput(_fresh(incident.pk)).data, status=status.HTTP_201_CREATED)


@extend_schema(responses={200: IncidentsOutput}, operation_id="sitting_incidents_list")
@api_view(["GET"])
@permission_classes([IsBoard])
def sitting_incidents(request: Request, sitting_id: int) -> Response:
    """Every incident of the sitting, in every room: for its board."""
    sitting = sittings_run_by(request.user).filter(kind=Sitting.Kind.EXAM).get(pk=sitting_id)
    return Response({"results": IncidentOutput(_incidents(sitting.incidents.all()), many=True).data})


def _decided(decided: incidents.Decided) -> Response:
    incident = decided.incident
    if incident.status == Incident.Status.DISMISSED:
        message = _("Dismissed.")
    elif decided.given:
        message = ngettext(
            "%(minutes)d minutes given back to %(n)d candidate.",
            "%(minutes)d minutes given back to %(n)d candidates.",
            len(decided.given),
        ) % {"minutes": incident.minutes_given, "n": len(decided.given)}
    elif decided.skipped:
        message = _("Confirmed. No time was given back: the attempt is over or not started.")
    else:
        message = _("Confirmed. No time to give back.")
    body = {"incident": _fresh(incident.pk), "given": list(decided.given), "skipped": list(decided.skipped)}
    return Response(DecidedOutput({**body, "message": message}).data)


def _already(exc: incidents.AlreadyDecided) -> Response:
    return Response(error_body("already_decided", exc.text, {"status": [exc.text]}), status=status.HTTP_409_CONFLICT)


@extend_schema(request=ConfirmInput, responses={200: DecidedOutput})
@api_view(["POST"])
@permission_classes([IsProctor])
def incident_confirm(request: Request, incident_id: int) -> Response:
    """Confirm an incident: the minutes lost go back as extra time to its candidate, or to every
    candidate of its room under way. Deciding twice is ``409 already_decided``."""
    incident = _reachable_incident(request, incident_id)
    data = _valid(ConfirmInput, request.data)
    try:
        decided = incidents.incident_confirm(
            by=request.user, incident_id=incident.pk, minutes=data["minutes"], note=data["note"]
        )
    except incidents.AlreadyDecided as exc:
        return _already(exc)
    return _decided(decided)


@extend_schema(request=DismissInput, responses={200: DecidedOutput})
@api_view(["POST"])
@permission_classes([IsProctor])
def incident_dismiss(request: Request, incident_id: int) -> Response:
    """Dismiss an incident, saying why. Deciding twice is ``409 already_decided``."""
    incident = _reachable_incident(request, incident_id)
    data = _valid(DismissInput, request.data)
    try:
        decided = incidents.incident_dismiss(by=request.user, incident_id=incident.pk, note=data["note"])
    except incidents.AlreadyDecided as exc:
        return _already(exc)
    return _decided(decided)


# --- integrity ------------------------------------------------------------------------------------


class PolicyInput(serializers.Serializer):
    focus_loss_times = serializers.IntegerField(min_value=0, max_value=1000, required=False)
    focus_loss_seconds = serializers.IntegerField(min_value=0, max_value=36_000, required=False)
    fullscreen_exit_times = serializers.IntegerField(min_value=0, max_value=1000, required=False)
    copy_paste_times = serializers.IntegerField(min_value=0, max_value=1000, required=False)
    context_menu_times = serializers.IntegerField(min_value=0, max_value=1000, required=False)
    second_session_times = serializers.IntegerField(min_value=0, max_value=1000, required=False)
    ip_change_times = serializers.IntegerField(min_value=0, max_value=1000, required=False)


class PolicyOutput(PolicyInput):
    default = serializers.BooleanField(help_text="The defaults: the board set none for this sitting.")


def _policy(sitting_id: int) -> dict[str, Any]:
    policy = integrity.policy_of(sitting_id)
    return {**integrity.policy_values(policy), "default": policy.updated_at is None}


@extend_schema(methods=["GET"], responses={200: PolicyOutput}, operation_id="sitting_integrity_policy_get")
@extend_schema(methods=["PUT"], request=PolicyInput, responses={200: PolicyOutput})
@api_view(["GET", "PUT"])
@permission_classes([IsBoard])
def sitting_integrity_policy(request: Request, sitting_id: int) -> Response:
    """When the sitting's integrity events raise an incident (0: never); PUT sets some or all."""
    sitting = sittings_run_by(request.user).get(pk=sitting_id)
    if request.method == "PUT":
        data = _valid(PolicyInput, request.data)
        integrity.policy_save(by=request.user, sitting_id=sitting.pk, values=data)
    return Response(PolicyOutput(_policy(sitting.pk)).data)


class IntegrityEventOutput(serializers.Serializer):
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    at = serializers.DateTimeField()
    duration_ms = serializers.IntegerField(allow_null=True)
    address = serializers.CharField(allow_null=True)
    detail = serializers.JSONField()


class AttemptIntegrityOutput(serializers.Serializer):
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Every event, per kind.")
    focus_ms = serializers.IntegerField(help_text="Time away from the exam page in all.")
    events = IntegrityEventOutput(many=True, help_text=f"The first {integrity.MAX_ROWS_PER_KIND} of each kind.")


@extend_schema(responses={200: AttemptIntegrityOutput})
@api_view(["GET"])
@permission_classes([IsProctor])
def attempt_integrity(request: Request, attempt_id: int) -> Response:
    """A candidate's integrity events: the counts and the events kept."""
    attempt = _reachable_attempt(request, attempt_id)
    counts = integrity.counts_of([attempt.pk]).get(attempt.pk, {"counts": {}, "focus_ms": 0})
    rows = IntegrityEvent.objects.filter(attempt=attempt).order_by("at", "pk")[:500]
    return Response(AttemptIntegrityOutput({**counts, "events": rows}).data)


# --- the room report --------------------------------------------------------------------------------


@extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
@api_view(["GET"])
@permission_classes([IsProctor])
def room_report(request: Request, sitting_room_id: int) -> HttpResponse:
    """The room's report (biên bản) as a PDF: seat map, attendance, incidents, actions, signatures."""
    room = _watched(request).get(pk=sitting_room_id)
    content = report.room_report_pdf(room.pk)
    response = HttpResponse(content, content_type="application/pdf")
    name = slugify(f"bien-ban-{room.sitting.title}-{room.room.name}")[:80] or "bien-ban"
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
