"""REST API of sittings: schedule, enrol, move, cancel, make up, release, withdraw, results,
and the scoring runs of a sitting (``assess.scoring_runs``).

An exam board sees and runs the sittings of the organisations it oversees; a teacher the
assignments of the assessments they built (``assess.sittings.sittings_run_by``); anyone else
is refused (403), and a sitting outside one's reach does not exist (404). The services check
again who may change what.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsAssessor, IsStudent
from accounts.roster import UnreadableFile, read_tables
from config.api import ErrorSerializer, Instant, error_body
from config.ids import IdField

from . import scoring_runs, selectors, sittings, statuses
from .api import AttemptOutput
from .authoring_api import _valid
from .models import Sitting, SittingEvent

MAX_LIST = 20_000
MAX_FILE_BYTES = 5 * 1024 * 1024


class CandidatesInput(serializers.Serializer):
    classes = serializers.ListField(child=IdField(), required=False, default=list, max_length=2000)
    grade = serializers.IntegerField(min_value=1, max_value=12, required=False, allow_null=True, default=None)
    students = serializers.ListField(
        child=serializers.CharField(max_length=150), required=False, default=list, max_length=MAX_LIST
    )


class SittingInput(CandidatesInput):
    form = IdField()
    title = serializers.CharField(max_length=sittings.MAX_TITLE)
    opens_at = Instant()
    closes_at = Instant()
    latest_start = Instant(required=False, allow_null=True, default=None)
    access_code = serializers.CharField(
        max_length=sittings.MAX_ACCESS_CODE, required=False, default="", allow_blank=True
    )
    new_access_code = serializers.BooleanField(required=False, default=False)
    late_rule = serializers.ChoiceField(
        choices=Sitting.LateRule.values, required=False, default=Sitting.LateRule.FULL_TIME
    )
    max_attempts = serializers.IntegerField(min_value=1, max_value=sittings.MAX_ATTEMPTS, required=False, default=1)
    counting = serializers.ChoiceField(choices=Sitting.Counting.values, required=False, default=Sitting.Counting.BEST)
    feedback_timing = serializers.ChoiceField(
        choices=Sitting.FeedbackTiming.values, required=False, default=Sitting.FeedbackTiming.ON_RELEASE
    )
    feedback_detail = serializers.ChoiceField(
        choices=Sitting.FeedbackDetail.values, required=False, default=Sitting.FeedbackDetail.SCORE
    )
    practice = serializers.BooleanField(required=False, default=False)


class MakeupInput(serializers.Serializer):
    title = serializers.CharField(max_length=sittings.MAX_TITLE)
    opens_at = Instant()
    closes_at = Instant()
    latest_start = Instant(required=False, allow_null=True, default=None)
    access_code = serializers.CharField(
        max_length=sittings.MAX_ACCESS_CODE, required=False, default="", allow_blank=True
    )


class RescheduleInput(serializers.Serializer):
    opens_at = Instant()
    closes_at = Instant()
    latest_start = Instant(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=sittings.MAX_REASON)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=sittings.MAX_REASON)


class SittingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    assessment = serializers.CharField(source="assessment.title")
    assessment_id = serializers.IntegerField()
    subject = serializers.CharField(source="assessment.subject.name")
    organisation = serializers.CharField(source="organisation.name")
    form = serializers.IntegerField(source="form_id")
    opens_at = Instant()
    closes_at = Instant()
    latest_start = Instant(allow_null=True)
    has_access_code = serializers.SerializerMethodField()
    late_rule = serializers.CharField()
    max_attempts = serializers.IntegerField()
    counting = serializers.CharField()
    feedback_timing = serializers.CharField()
    feedback_detail = serializers.CharField()
    practice = serializers.BooleanField()
    makeup_of = serializers.IntegerField(source="makeup_of_id", allow_null=True)
    released_at = Instant(allow_null=True)

    def get_has_access_code(self, sitting: Sitting) -> bool:
        return bool(sitting.access_code)


class EventOutput(serializers.Serializer):
    kind = serializers.CharField()
    by = serializers.CharField(source="by.username")
    reason = serializers.CharField()
    detail = serializers.JSONField()
    at = Instant()


class SittingDetailOutput(SittingOutput):
    access_code = serializers.CharField()
    candidates = serializers.SerializerMethodField()
    classes = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()

    def get_candidates(self, sitting: Sitting) -> int:
        return sitting.attempts.filter(number=1).count()

    def get_classes(self, sitting: Sitting) -> list[dict[str, Any]]:
        return [{"id": c.pk, "name": c.name, "school": c.school.name} for c in sitting.classes.select_related("school")]

    def get_events(self, sitting: Sitting) -> list[dict[str, Any]]:
        return EventOutput(SittingEvent.objects.filter(sitting=sitting).select_related("by"), many=True).data


class SittingsOutput(serializers.Serializer):
    results = SittingOutput(many=True)


class EnrolledOutput(serializers.Serializer):
    added = serializers.IntegerField()
    already = serializers.IntegerField(help_text="Candidates enrolled before.")


class SittingEnrolledOutput(SittingDetailOutput):
    enrolled = EnrolledOutput()


class SittingReleasedOutput(SittingDetailOutput):
    released = serializers.IntegerField(help_text="Attempts whose results were released by this call.")


class SittingWithdrawnOutput(SittingDetailOutput):
    withdrawn = serializers.IntegerField(help_text="Attempts whose results were withdrawn by this call.")


class ResultsSittingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    assessment_id = serializers.IntegerField()
    assessment = serializers.CharField()
    subject = serializers.CharField()
    opens_at = Instant()
    closes_at = Instant()


class CandidateResultOutput(serializers.Serializer):
    attempt = serializers.IntegerField()
    student = serializers.CharField()
    name = serializers.CharField()
    learner_id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=statuses.ALL)
    submitted_at = Instant(allow_null=True)
    submit_reason = serializers.CharField(allow_null=True)
    raw_score = serializers.CharField(allow_null=True)
    max_score = serializers.CharField(allow_null=True)
    number_correct = serializers.IntegerField(allow_null=True)
    score_10 = serializers.CharField(allow_null=True, help_text="So far, while pending_items is above 0.")
    pending_items = serializers.IntegerField(help_text="Responses awaiting a marker: the result is not final.")
    theta = serializers.FloatField(allow_null=True)
    theta_se = serializers.FloatField(allow_null=True)


class ScoreBinOutput(serializers.Serializer):
    # "from" is a Python keyword: the field is named in get_fields.
    to = serializers.IntegerField()
    count = serializers.IntegerField()

    def get_fields(self) -> dict[str, serializers.Field]:
        return {"from": serializers.IntegerField(), **super().get_fields()}


class SittingResultsOutput(serializers.Serializer):
    """``assess.selectors.sitting_results``."""

    sitting = ResultsSittingOutput()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Attempts per status.")
    awaiting_marking = serializers.IntegerField(help_text="Scored attempts with responses awaiting a marker.")
    candidates = CandidateResultOutput(many=True)
    distribution = ScoreBinOutput(many=True, help_text="10-point scores in the bins [0,1), ..., [9,10].")
    mean = serializers.CharField(allow_null=True)


def _candidates(data: dict[str, Any]) -> sittings.Candidates:
    return sittings.Candidates(class_ids=tuple(data["classes"]), grade=data["grade"], names=tuple(data["students"]))


def _run(request: Request):
    return sittings.sittings_run_by(request.user)


def _detail(request: Request, sitting_id: int, **extra: Any) -> dict[str, Any]:
    return {**SittingDetailOutput(_run(request).get(pk=sitting_id)).data, **extra}


class SittingListParams(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Sitting.Kind.values, required=False)
    since = Instant(required=False)
    until = Instant(required=False)


@extend_schema(
    methods=["GET"], parameters=[SittingListParams], responses={200: SittingsOutput}, operation_id="sittings_list"
)
@extend_schema(methods=["POST"], request=SittingInput, responses={201: SittingEnrolledOutput})
@api_view(["GET", "POST"])
@permission_classes([IsAssessor])
def sitting_list(request: Request) -> Response:
    """The sittings one runs (a calendar: ``since``/``until`` bound the windows), or schedule one."""
    if request.method == "GET":
        params = _valid(SittingListParams, request.query_params)
        queryset = _run(request).order_by("opens_at", "pk")
        if params.get("kind"):
            queryset = queryset.filter(kind=params["kind"])
        if params.get("since"):
            queryset = queryset.filter(closes_at__gte=params["since"])
        if params.get("until"):
            queryset = queryset.filter(opens_at__lte=params["until"])
        return Response({"results": SittingOutput(queryset[:1000], many=True).data})
    data = _valid(SittingInput, request.data)
    spec = sittings.SittingSpec(
        title=data["title"],
        opens_at=data["opens_at"],
        closes_at=data["closes_at"],
        latest_start=data["latest_start"],
        access_code=sittings.new_access_code() if data["new_access_code"] else data["access_code"],
        late_rule=data["late_rule"],
        max_attempts=data["max_attempts"],
        counting=data["counting"],
        feedback_timing=data["feedback_timing"],
        feedback_detail=data["feedback_detail"],
        practice=data["practice"],
    )
    sitting, enrolment = sittings.sitting_schedule(
        by=request.user, form_id=data["form"], spec=spec, candidates=_candidates(data)
    )
    body = _detail(request, sitting.pk, enrolled={"added": enrolment.added, "already": enrolment.already})
    return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(responses={200: SittingDetailOutput})
@api_view(["GET"])
@permission_classes([IsAssessor])
def sitting_detail(request: Request, sitting_id: int) -> Response:
    return Response(_detail(request, sitting_id))


def _names_from_file(upload) -> list[str]:
    """The first column of the first sheet of an XLSX or CSV file (a header row is skipped)."""
    try:
        tables = read_tables(upload.read(MAX_FILE_BYTES + 1))
    except UnreadableFile as error:
        raise serializers.ValidationError({"file": [str(error)]}) from None
    rows = tables[0][1] if tables else []
    names = [str(row[0]).strip() for row in rows if row and row[0] is not None and str(row[0]).strip()]
    if names and not any(ch.isdigit() for ch in names[0]):
        names = names[1:]  # a header such as "Mã định danh"
    if not names:
        raise serializers.ValidationError({"file": [_("The file lists nobody.")]})
    if len(names) > MAX_LIST:
        raise serializers.ValidationError({"file": [_("List at most %(max)d students.") % {"max": MAX_LIST}]})
    return names


class EnrolFileInput(serializers.Serializer):
    file = serializers.FileField(help_text="XLSX or CSV: learner identifiers or user names in the first column.")


@extend_schema(
    request={
        "application/json": CandidatesInput,
        "multipart/form-data": EnrolFileInput,
        "application/x-www-form-urlencoded": CandidatesInput,
    },
    responses={200: SittingEnrolledOutput},
)
@api_view(["POST"])
@permission_classes([IsAssessor])
@parser_classes([JSONParser, MultiPartParser, FormParser])
def sitting_enrol(request: Request, sitting_id: int) -> Response:
    """Enrol classes, a grade, a list of learner identifiers or user names, or a file of them."""
    sitting = _run(request).get(pk=sitting_id)
    if "file" in request.FILES:
        candidates = sittings.Candidates(names=tuple(_names_from_file(request.FILES["file"])))
    else:
        candidates = _candidates(_valid(CandidatesInput, request.data))
    enrolment = sittings.sitting_enrol(by=request.user, sitting_id=sitting.pk, candidates=candidates)
    return Response(_detail(request, sitting.pk, enrolled={"added": enrolment.added, "already": enrolment.already}))


@extend_schema(request=RescheduleInput, responses={200: SittingDetailOutput})
@api_view(["POST"])
@permission_classes([IsAssessor])
def sitting_reschedule(request: Request, sitting_id: int) -> Response:
    sitting = _run(request).get(pk=sitting_id)
    data = _valid(RescheduleInput, request.data)
    sittings.sitting_reschedule(
        by=request.user,
        sitting_id=sitting.pk,
        opens_at=data["opens_at"],
        closes_at=data["closes_at"],
        latest_start=data["latest_start"],
        reason=data["reason"],
    )
    return Response(_detail(request, sitting.pk))


@extend_schema(request=ReasonInput, responses={200: SittingDetailOutput})
@api_view(["POST"])
@permission_classes([IsAssessor])
def sitting_cancel(request: Request, sitting_id: int) -> Response:
    sitting = _run(request).get(pk=sitting_id)
    sittings.sitting_cancel(by=request.user, sitting_id=sitting.pk, reason=_valid(ReasonInput, request.data)["reason"])
    return Response(_detail(request, sitting.pk))


@extend_schema(request=MakeupInput, responses={201: SittingEnrolledOutput})
@api_view(["POST"])
@permission_classes([IsAssessor])
def sitting_makeup(request: Request, sitting_id: int) -> Response:
    sitting = _run(request).get(pk=sitting_id)
    data = _valid(MakeupInput, request.data)
    makeup, enrolment = sittings.sitting_makeup(
        by=request.user, sitting_id=sitting.pk, spec=sittings.SittingSpec(**data)
    )
    body = _detail(request, makeup.pk, enrolled={"added": enrolment.added, "already": enrolment.already})
    return Response(body, status=status.HTTP_201_CREATED)


def _refuse_exam(sitting: Sitting) -> None:
    if sitting.kind == Sitting.Kind.EXAM:
        raise serializers.ValidationError(
            {
                "sitting": [
                    _(
                        "An exam's results are published after their review: "
                        "use the sitting's review and publication page."
                    )
                ]
            }
        )


@extend_schema(request=None, responses={200: SittingReleasedOutput})
@api_view(["POST"])
@permission_classes([IsAssessor])
def sitting_release(request: Request, sitting_id: int) -> Response:
    """Release an assignment's results. An exam's are published after their review
    (``/api/sittings/{id}/publication/``)."""
    sitting = _run(request).get(pk=sitting_id)
    _refuse_exam(sitting)
    released = sittings.sitting_release(by=request.user, sitting_id=sitting.pk)
    return Response(_detail(request, sitting.pk, released=released))


@extend_schema(request=ReasonInput, responses={200: SittingWithdrawnOutput})
@api_view(["POST"])
@permission_classes([IsAssessor])
def sitting_withdraw(request: Request, sitting_id: int) -> Response:
    sitting = _run(request).get(pk=sitting_id)
    _refuse_exam(sitting)
    reason = _valid(ReasonInput, request.data)["reason"]
    withdrawn = sittings.sitting_withdraw(by=request.user, sitting_id=sitting.pk, reason=reason)
    return Response(_detail(request, sitting.pk, withdrawn=withdrawn))


@extend_schema(responses={200: SittingResultsOutput})
@api_view(["GET"])
@permission_classes([IsAssessor])
def sitting_results(request: Request, sitting_id: int) -> Response:
    return Response(selectors.sitting_results(_run(request).get(pk=sitting_id)))


@extend_schema(request=None, responses={201: AttemptOutput})
@api_view(["POST"])
@permission_classes([IsStudent])
def attempt_again(request: Request, sitting_id: int) -> Response:
    """A student's next attempt at an assignment that allows more."""
    attempt = sittings.attempt_again(sitting_id=sitting_id, user=request.user)
    return Response(selectors.attempt_summary(attempt), status=status.HTTP_201_CREATED)


# --- scoring runs -------------------------------------------------------------------------------


class ScoringRunInput(serializers.Serializer):
    rescore = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Work every scored result out again from the current keys, moderation and marks "
        "(after a re-key); otherwise score what was handed in and is not scored yet.",
    )


class ScoringChunksOutput(serializers.Serializer):
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()


class ScoringAttemptsOutput(serializers.Serializer):
    total = serializers.IntegerField(help_text="Handed-in attempts the run covers.")
    done = serializers.IntegerField(help_text="Of them, in chunks that are done.")


class OptionOutput(serializers.Serializer):
    option = serializers.CharField(allow_null=True, help_text="The option's id; null: omitted.")
    count = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    key = serializers.BooleanField(help_text="The key, as moderated.")
    accepted = serializers.BooleanField(help_text="Accepted besides the key (moderation).")
    point_biserial = serializers.FloatField(allow_null=True)


class OptionAnalysisOutput(serializers.Serializer):
    key = serializers.CharField()
    upper_lower = serializers.FloatField(allow_null=True, help_text="Upper third minus lower third choosing the key.")
    choices = OptionOutput(many=True)


class ItemStatisticsOutput(serializers.Serializer):
    position = serializers.IntegerField(help_text="On the master form.")
    item = serializers.IntegerField()
    version = serializers.IntegerField()
    item_type = serializers.CharField()
    points = serializers.CharField()
    counted = serializers.BooleanField(help_text="Neither a trial item nor dropped.")
    trial = serializers.BooleanField()
    dropped = serializers.BooleanField()
    responses = serializers.IntegerField(help_text="Scored responses (awaiting a marker: not counted).")
    p_value = serializers.FloatField(allow_null=True, help_text="Mean score over the points: difficulty, 0 to 1.")
    point_biserial = serializers.FloatField(allow_null=True, help_text="With the total of the counted items.")
    corrected_item_total = serializers.FloatField(allow_null=True, help_text="With the total without the item.")
    omit_rate = serializers.FloatField(allow_null=True)
    note = serializers.CharField(help_text="Why a figure is undefined, if one is.")
    options = OptionAnalysisOutput(allow_null=True, help_text="Single-choice items: each option chosen.")


class SittingStatisticsOutput(serializers.Serializer):
    attempts = serializers.IntegerField()
    alpha = serializers.FloatField(allow_null=True, help_text="Cronbach's alpha of the counted items.")
    items = ItemStatisticsOutput(many=True)


class ScoringRunOutput(serializers.Serializer):
    """``assess.scoring_runs.run_data``."""

    id = serializers.IntegerField()
    mode = serializers.CharField(help_text="score or rescore.")
    status = serializers.CharField(help_text="queued, running, done or failed.")
    started_by = serializers.CharField(allow_null=True, help_text="Null: started when the sitting closed.")
    created_at = Instant()
    started_at = Instant(allow_null=True)
    finished_at = Instant(allow_null=True)
    chunks = ScoringChunksOutput()
    attempts = ScoringAttemptsOutput()
    percent = serializers.IntegerField()
    scored = serializers.IntegerField(help_text="Attempts scored for the first time.")
    changed = serializers.IntegerField(help_text="Results a rescore changed.")
    published = serializers.IntegerField(help_text="Results published as they became final.")
    record_entries = serializers.IntegerField(help_text="Record entries written or corrected.")
    errors = serializers.ListField(child=serializers.CharField())
    statistics = SittingStatisticsOutput(allow_null=True, help_text="The item analysis, once the run is done.")


class ScoringRunsOutput(serializers.Serializer):
    results = ScoringRunOutput(many=True, help_text="The latest runs, the newest first.")


@extend_schema(methods=["GET"], responses={200: ScoringRunsOutput}, operation_id="sittings_scoring_runs_list")
@extend_schema(
    methods=["POST"],
    request=ScoringRunInput,
    responses={
        201: ScoringRunOutput,
        409: OpenApiResponse(
            ErrorSerializer, description="scoring_running: a run is queued or running; it is given in `run`."
        ),
    },
    operation_id="sittings_scoring_runs_start",
)
@api_view(["GET", "POST"])
@permission_classes([IsAssessor])
def sitting_scoring_runs(request: Request, sitting_id: int) -> Response:
    """The sitting's latest scoring runs (progress, outcome, item analysis), or start one.

    A run scores every handed-in attempt not scored yet (``rescore``: works every result out
    again) in chunks shared by the workers; follow it here. A second start while one is queued
    or running is ``409 scoring_running``, with that run.
    """
    sitting = _run(request).get(pk=sitting_id)
    if request.method == "GET":
        runs = scoring_runs.runs_of(sitting)
        return Response({"results": ScoringRunOutput([scoring_runs.run_data(r) for r in runs], many=True).data})
    data = _valid(ScoringRunInput, request.data)
    try:
        run = scoring_runs.sitting_score_start(by=request.user, sitting_id=sitting.pk, rescore=data["rescore"])
    except scoring_runs.RunInProgress as running:
        body = {
            **error_body("scoring_running", running.message),
            "run": ScoringRunOutput(scoring_runs.run_data(running.run)).data,
        }
        return Response(body, status=status.HTTP_409_CONFLICT)
    run.refresh_from_db()  # without a broker the run is over already
    return Response(ScoringRunOutput(scoring_runs.run_data(run)).data, status=status.HTTP_201_CREATED)
