"""REST API of the board's collusion report (``proctoring.collusion_report``).

- ``POST /api/sittings/<id>/collusion/`` starts the report of a finished sitting as a job (202;
  a report being made is returned instead of a second); a sitting still running is refused
  (400, at once).
- ``GET /api/sittings/<id>/collusion/`` the latest report, as its job kept it (nothing is
  computed again): the pairs ranked by p-value, paginated (``limit``, ``offset``), filtered by
  room (``room``: a sitting room's id; either candidate in it) or to flagged pairs
  (``flagged=true``), and the candidates whose pattern or pace stands out.

The exam board overseeing the sitting's organisation only: every other role is refused (403),
another organisation's sitting does not exist (404). The report is evidence for review: nothing
here changes an attempt.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsBoard
from assess.authoring_api import _valid
from config.api import Instant
from jobs.api import job_data

from . import collusion_report


class CollusionStartInput(serializers.Serializer):
    alpha = serializers.FloatField(
        min_value=collusion_report.MIN_ALPHA,
        max_value=collusion_report.MAX_ALPHA,
        required=False,
        default=collusion_report.DEFAULT_ALPHA,
        help_text="The level at which a pair is flagged, after the Bonferroni correction (default 0.001).",
    )


class CollusionParams(serializers.Serializer):
    room = serializers.IntegerField(
        required=False, min_value=1, help_text="A sitting room's id: pairs with a candidate in it."
    )
    flagged = serializers.BooleanField(required=False, default=False, help_text="Only the flagged pairs.")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    offset = serializers.IntegerField(required=False, min_value=0)


class CollusionJobOutput(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    percent = serializers.IntegerField()
    message = serializers.CharField()
    error = serializers.JSONField(allow_null=True)
    created_at = Instant()
    finished_at = Instant(allow_null=True)


class CollusionCandidateOutput(serializers.Serializer):
    attempt = serializers.IntegerField()
    name = serializers.CharField()
    learner_id = serializers.CharField()
    room_id = serializers.IntegerField(allow_null=True)
    room = serializers.CharField(allow_null=True)
    seat = serializers.CharField(allow_null=True)
    row = serializers.IntegerField(allow_null=True)
    column = serializers.IntegerField(allow_null=True)
    code = serializers.CharField(help_text="The test code (form) the candidate had.")
    theta = serializers.FloatField(allow_null=True, help_text="Ability used by the test.")
    person_fit = serializers.FloatField(allow_null=True, help_text="l_z: low values are unlikely answer patterns.")
    minutes = serializers.FloatField(allow_null=True, help_text="Working time, start to hand-in.")
    speed = serializers.FloatField(allow_null=True, help_text="Robust z of the log working time in the sitting.")
    answered = serializers.IntegerField()


class CollusionPairOutput(serializers.Serializer):
    rank = serializers.IntegerField()
    first = CollusionCandidateOutput()
    second = CollusionCandidateOutput()
    family = serializers.ChoiceField(
        choices=["room", "class", "sitting"],
        help_text="room/class: a pair tested because they sat together; sitting: found across the sitting.",
    )
    same_room = serializers.BooleanField()
    adjacency = serializers.CharField(allow_null=True, help_text="orthogonal, diagonal, or null.")
    same_code = serializers.BooleanField()
    shared_addresses = serializers.ListField(child=serializers.CharField())
    index = serializers.FloatField(allow_null=True, help_text="(matches - expected) / SD.")
    pvalue = serializers.FloatField(help_text="Raw p-value of the generalized binomial test (both directions).")
    adjusted_pvalue = serializers.FloatField(help_text="Bonferroni: the p-value times the pairs of its family.")
    flagged = serializers.BooleanField()
    matches = serializers.IntegerField()
    expected = serializers.FloatField(allow_null=True)
    shared_items = serializers.IntegerField()
    identical_wrong = serializers.IntegerField()
    close_in_time = serializers.IntegerField(help_text="Identical answers saved within timing_seconds of each other.")


class CollusionRoomOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CollusionSummaryOutput(serializers.Serializer):
    sitting = serializers.IntegerField()
    computed_at = serializers.CharField()
    alpha = serializers.FloatField()
    correction = serializers.CharField()
    candidates_analysed = serializers.IntegerField()
    items = serializers.IntegerField()
    item_parameters = serializers.CharField(help_text="bank: the bank's IRT parameters; calibrated: from the sitting.")
    pairs_within = serializers.IntegerField()
    pairs_across_tested = serializers.IntegerField()
    pairs_across_family = serializers.IntegerField()
    pairs_stored = serializers.IntegerField()
    flagged = serializers.IntegerField()
    addresses_known = serializers.IntegerField()
    timing_seconds = serializers.IntegerField()
    person_fit_limit = serializers.FloatField()
    speed_limit = serializers.FloatField()
    rooms = CollusionRoomOutput(many=True)


class CollusionOutput(serializers.Serializer):
    job = CollusionJobOutput(allow_null=True, help_text="The latest report's job (null: never started).")
    report = CollusionSummaryOutput(allow_null=True, help_text="The report's figures (null until a job succeeded).")
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = CollusionPairOutput(many=True)
    outliers = CollusionCandidateOutput(many=True)


class CollusionStartOutput(serializers.Serializer):
    job = CollusionJobOutput()


def _job(job) -> dict[str, Any]:
    data = job_data(job)
    return {key: data[key] for key in ("id", "status", "percent", "message", "error", "created_at", "finished_at")}


def _report(request: Request, job) -> dict[str, Any]:
    params = _valid(CollusionParams, request.query_params)
    body: dict[str, Any] = {
        "job": _job(job) if job else None,
        "report": None,
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
        "outliers": [],
    }
    result = job.result if job is not None and job.status == job.Status.SUCCEEDED else None
    if not result:
        return body
    people = result["candidates"]
    pairs = result["pairs"]
    if params.get("room"):
        room = params["room"]
        pairs = [p for p in pairs if room in (people[str(p["first"])]["room_id"], people[str(p["second"])]["room_id"])]
    if params["flagged"]:
        pairs = [p for p in pairs if p["flagged"]]
    paginator = LimitOffsetPagination()
    page = paginator.paginate_queryset(pairs, request) or []
    body.update(
        report={key: value for key, value in result.items() if key not in ("candidates", "pairs", "outliers")},
        count=paginator.count,
        next=paginator.get_next_link(),
        previous=paginator.get_previous_link(),
        results=[{**p, "first": people[str(p["first"])], "second": people[str(p["second"])]} for p in page],
        outliers=[people[str(attempt)] for attempt in result["outliers"]],
    )
    return body


@extend_schema(
    methods=["GET"], parameters=[CollusionParams], responses={200: CollusionOutput}, operation_id="collusion_report"
)
@extend_schema(
    methods=["POST"],
    request=CollusionStartInput,
    responses={202: CollusionStartOutput},
    operation_id="collusion_report_start",
)
@api_view(["GET", "POST"])
@permission_classes([IsBoard])
def sitting_collusion(request: Request, sitting_id: int) -> Response:
    """The board's collusion report of a finished sitting: read the latest, or make it anew (a job)."""
    if request.method == "POST":
        data = _valid(CollusionStartInput, request.data)
        job = collusion_report.collusion_report_start(by=request.user, sitting_id=sitting_id, alpha=data["alpha"])
        return Response({"job": _job(job)}, status=status.HTTP_202_ACCEPTED)
    job = collusion_report.latest_job(user=request.user, sitting_id=sitting_id)
    return Response(_report(request, job))
