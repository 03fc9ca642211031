"""REST API of marking.

The board that runs a sitting sets its marking plan and follows its progress
(``/api/sittings/{id}/marking/``); markers ask for their next script, mark it and put it back
(``/api/marking/...``). Scripts are known by their code only: nothing in these answers names
the candidate. The services check who may do what (``results.marking``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.permissions import IsAssessor
from assess.authoring_api import _valid
from assess.models import Attempt
from assess.sittings import sittings_run_by
from config.ids import IdField
from jobs.api import JobOutput, job_data
from jobs.services import job_start

from . import appeals, chart_data, dif, marking, moderation, publication, selectors
from . import calibration as calibration_service
from . import exports as results_exports
from .models import Appeal, Calibration, MarkingPlan, ModerationChange, Publication, Script

MAX_MARKERS = 500


class PlanInput(serializers.Serializer):
    double = serializers.BooleanField(default=False)
    tolerance = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=10, default="0.5")
    markers = serializers.ListField(child=serializers.CharField(max_length=150), max_length=MAX_MARKERS)
    adjudicators = serializers.ListField(
        child=serializers.CharField(max_length=150), max_length=MAX_MARKERS, required=False, default=list
    )


class MarkerProgressOutput(serializers.Serializer):
    user = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    adjudicator = serializers.BooleanField()
    first = serializers.IntegerField()
    second = serializers.IntegerField()
    adjudication = serializers.IntegerField()
    marks = serializers.IntegerField()
    removed = serializers.BooleanField(help_text="No longer a marker: the marks they gave stand.")


class PlanProgressOutput(serializers.Serializer):
    """``results.selectors.plan_progress``."""

    plan = serializers.IntegerField()
    sitting = serializers.IntegerField()
    double = serializers.BooleanField()
    tolerance = serializers.CharField()
    scripts = serializers.IntegerField()
    open = serializers.IntegerField()
    adjudication = serializers.IntegerField()
    done = serializers.IntegerField()
    marks_needed = serializers.IntegerField()
    markers = MarkerProgressOutput(many=True)


class MarkingOutput(serializers.Serializer):
    plan = PlanProgressOutput(allow_null=True, help_text="Null until the board sets one.")


class MarkerPlanOutput(serializers.Serializer):
    plan = serializers.IntegerField()
    sitting = serializers.IntegerField()
    title = serializers.CharField()
    subject = serializers.CharField()
    double = serializers.BooleanField()
    adjudicator = serializers.BooleanField()
    my_marks = serializers.IntegerField()
    left = serializers.IntegerField(help_text="Scripts still needing a mark that this marker may give.")
    own_students = serializers.IntegerField(help_text="Scripts left of students this marker teaches: others mark them.")


class RubricLevelOutput(serializers.Serializer):
    label = serializers.CharField()
    points = serializers.CharField()


class RubricCriterionOutput(serializers.Serializer):
    criterion = serializers.CharField()
    levels = RubricLevelOutput(many=True)


class GivenMarkOutput(serializers.Serializer):
    round = serializers.CharField()
    points = serializers.CharField()
    levels = serializers.DictField(child=serializers.CharField())
    comment = serializers.CharField()


class ScriptOutput(serializers.Serializer):
    """``results.selectors.script_view``: no name, number or class of the candidate."""

    code = serializers.CharField()
    plan = serializers.IntegerField()
    sitting = serializers.CharField()
    round = serializers.ChoiceField(choices=["first", "second", "adjudication"])
    points = serializers.CharField(help_text="The item's points: the most a mark may give.")
    stem_html = serializers.CharField()
    stimulus = serializers.JSONField(allow_null=True)
    rubric = RubricCriterionOutput(many=True)
    response = serializers.CharField(allow_blank=True)
    words = serializers.IntegerField()
    marks = GivenMarkOutput(many=True, help_text="For an adjudicator only: the two marks that differ.")
    claimed_until = serializers.CharField(allow_null=True)


class MarkInput(serializers.Serializer):
    levels = serializers.DictField(child=serializers.CharField(max_length=200), required=False, default=dict)
    points = serializers.CharField(max_length=20, required=False, allow_null=True, default=None)
    comment = serializers.CharField(max_length=marking.MAX_COMMENT, required=False, allow_blank=True, default="")


class MarkedOutput(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.ChoiceField(choices=Script.Status.choices)
    final_points = serializers.CharField(allow_null=True)


def _user_ids(names: list[str], field: str) -> list[int]:
    found = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    unknown = [name for name in names if name not in found]
    if unknown:
        raise serializers.ValidationError(
            {field: [_("No such users: %(names)s.") % {"names": ", ".join(sorted(set(unknown))[:20])}]}
        )
    return [found[name] for name in names]


@extend_schema(request=PlanInput, responses={200: MarkingOutput})
@api_view(["GET", "PUT"])
@permission_classes([IsAssessor])
def sitting_marking(request: Request, sitting_id: int) -> Response:
    """The sitting's marking plan and progress (GET); set or change the plan (PUT)."""
    sitting = sittings_run_by(request.user).get(pk=sitting_id)
    if request.method == "PUT":
        data = _valid(PlanInput, request.data)
        marking.plan_set(
            by=request.user,
            sitting_id=sitting.pk,
            double=data["double"],
            tolerance=data["tolerance"],
            markers=_user_ids(data["markers"], "markers"),
            adjudicators=_user_ids(data["adjudicators"], "adjudicators"),
        )
    plan = MarkingPlan.objects.filter(sitting=sitting).first()
    if plan is not None and request.method == "GET":
        with transaction.atomic():
            marking.scripts_sync(plan)
    return Response({"plan": selectors.plan_progress(plan) if plan else None})


@extend_schema(responses={200: MarkerPlanOutput(many=True)})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def my_marking(request: Request) -> Response:
    """The sittings this person marks, with their marks given and the scripts left for them."""
    return Response(selectors.plans_of_marker(request.user))


@extend_schema(request=None, responses={200: ScriptOutput, 204: OpenApiResponse(description="Nothing left to mark.")})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def next_script(request: Request, plan_id: int) -> Response:
    """The next script for this marker, on their desk until they mark it or the claim lapses."""
    script = marking.script_next(by=request.user, plan_id=plan_id)
    if script is None:
        return Response(status=status.HTTP_204_NO_CONTENT)
    return Response(selectors.script_view(script, marker=request.user))


@extend_schema(request=MarkInput, responses={200: MarkedOutput})
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def script_mark(request: Request, code: str) -> Response:
    """Mark a script: the rubric's level per criterion, or the points where it has no rubric."""
    data = _valid(MarkInput, request.data)
    script = marking.mark_submit(
        by=request.user, code=code, levels=data["levels"], points=data["points"], comment=data["comment"]
    )
    return Response(_marked(script))


def _marked(script: Script) -> dict[str, Any]:
    final = script.final_points
    return {"code": script.code, "status": script.status, "final_points": str(final) if final is not None else None}


@extend_schema(
    request=None,
    responses={204: OpenApiResponse(description="Back in the queue.")},
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def script_release(request: Request, code: str) -> Response:
    """Put a script this marker holds back in the queue."""
    marking.script_release(by=request.user, code=code)
    return Response(status=status.HTTP_204_NO_CONTENT)


# --- moderation -------------------------------------------------------------------------------


class ModerationInput(serializers.Serializer):
    position = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=ModerationChange.Kind.choices)
    reason = serializers.CharField(max_length=moderation.MAX_REASON)
    key = serializers.CharField(max_length=100, required=False, allow_null=True, default=None)
    keys = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list, max_length=20
    )


class ModerationChangeOutput(serializers.Serializer):
    """``results.selectors.change_data``."""

    id = serializers.IntegerField()
    position = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ModerationChange.Kind.choices)
    before = serializers.JSONField(help_text='{"dropped", "key_override", "accepted_keys"} before the change.')
    after = serializers.JSONField()
    reason = serializers.CharField()
    summary = serializers.JSONField(
        help_text='{"candidates", "changed", "up", "down", "mean_before", "mean_after"} as previewed.'
    )
    status = serializers.ChoiceField(choices=ModerationChange.Status.choices)
    created_by = serializers.CharField()
    created_at = serializers.CharField()
    applied_by = serializers.CharField(allow_null=True)
    applied_at = serializers.CharField(allow_null=True)
    run = serializers.IntegerField(allow_null=True, help_text="The rescore it started (GET .../scoring-runs/).")


class DiffRowOutput(serializers.Serializer):
    attempt = serializers.IntegerField()
    student = serializers.CharField()
    name = serializers.CharField()
    learner_id = serializers.CharField(allow_null=True)
    raw_before = serializers.CharField()
    raw_after = serializers.CharField()
    score_before = serializers.CharField()
    score_after = serializers.CharField()
    delta = serializers.CharField()


class ModerationPreviewOutput(serializers.Serializer):
    change = ModerationChangeOutput()
    rows = DiffRowOutput(many=True, help_text="The candidates whose score changes, largest changes first.")


class ModerationItemOutput(serializers.Serializer):
    position = serializers.IntegerField()
    item_type = serializers.CharField()
    item_type_label = serializers.CharField()
    points = serializers.CharField()
    stem_html = serializers.CharField()
    options = serializers.JSONField(help_text='[{"id", "text"}] of a single-choice item.')
    own_key = serializers.CharField(allow_null=True)
    key = serializers.CharField(allow_null=True)
    accepted = serializers.ListField(child=serializers.CharField())
    dropped = serializers.BooleanField()
    trial = serializers.BooleanField()
    statistics = serializers.JSONField(allow_null=True, help_text="The item's figures from the last scoring run.")
    flags = serializers.ListField(
        child=serializers.ChoiceField(
            choices=["negative", "low_discrimination", "very_easy", "very_hard", "distractor"]
        )
    )


class ModerationOutput(serializers.Serializer):
    """``results.selectors.moderation_view``."""

    sitting = serializers.IntegerField()
    run = serializers.IntegerField(allow_null=True)
    attempts = serializers.IntegerField()
    items = ModerationItemOutput(many=True)
    changes = ModerationChangeOutput(many=True)


def _change_of(request: Request, change_id: int) -> ModerationChange:
    """A change of a sitting the person runs (404 otherwise)."""
    return ModerationChange.objects.get(pk=change_id, sitting__in=sittings_run_by(request.user))


@extend_schema(responses={200: ModerationOutput})
@api_view(["GET"])
@permission_classes([IsAssessor])
def sitting_moderation(request: Request, sitting_id: int) -> Response:
    """Every item with its scoring, figures and flags, and the changes made so far."""
    sitting = sittings_run_by(request.user).select_related("form").get(pk=sitting_id)
    return Response(selectors.moderation_view(sitting))


@extend_schema(request=ModerationInput, responses={201: ModerationPreviewOutput})
@api_view(["POST"])
@permission_classes([IsAssessor])
def moderation_preview(request: Request, sitting_id: int) -> Response:
    """Preview a change: every candidate's score before and after (nothing is written but the
    previewed change)."""
    sitting = sittings_run_by(request.user).get(pk=sitting_id)
    data = _valid(ModerationInput, request.data)
    change, rows = moderation.moderation_preview(by=request.user, sitting_id=sitting.pk, **data)
    return Response({"change": selectors.change_data(change), "rows": rows}, status=status.HTTP_201_CREATED)


@extend_schema(request=None, responses={200: ModerationChangeOutput})
@api_view(["POST"])
@permission_classes([IsAssessor])
def moderation_apply(request: Request, change_id: int) -> Response:
    """Apply a previewed change to the item on every test code; the sitting is rescored."""
    change = moderation.moderation_apply(by=request.user, change_id=_change_of(request, change_id).pk)
    return Response(selectors.change_data(change))


@extend_schema(request=None, responses={200: ModerationChangeOutput})
@api_view(["POST"])
@permission_classes([IsAssessor])
def moderation_discard(request: Request, change_id: int) -> Response:
    change = moderation.moderation_discard(by=request.user, change_id=_change_of(request, change_id).pk)
    return Response(selectors.change_data(change))


# --- publication ------------------------------------------------------------------------------


class ReadinessOutput(serializers.Serializer):
    unscored = serializers.IntegerField()
    awaiting_marks = serializers.IntegerField()
    running = serializers.IntegerField()
    results = serializers.IntegerField()


class PublicationEventOutput(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:  # "from" is a Python keyword
        return {"from": serializers.CharField(), **super().get_fields()}

    to = serializers.CharField()
    by = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    detail = serializers.JSONField()
    at = serializers.CharField()


class PublicationOutput(serializers.Serializer):
    """``results.publication.publication_data``."""

    status = serializers.ChoiceField(choices=Publication.Status.choices)
    note = serializers.CharField()
    readiness = ReadinessOutput()
    events = PublicationEventOutput(many=True)


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=publication.MAX_REASON, required=False, allow_blank=True, default="")


class WithdrawInput(serializers.Serializer):
    reason = serializers.CharField(max_length=publication.MAX_REASON)


@extend_schema(responses={200: PublicationOutput})
@api_view(["GET"])
@permission_classes([IsAssessor])
def sitting_publication(request: Request, sitting_id: int) -> Response:
    return Response(publication.publication_data(sittings_run_by(request.user).get(pk=sitting_id)))


@extend_schema(request=NoteInput, responses={200: PublicationOutput})
@api_view(["POST"])
@permission_classes([IsAssessor])
def publication_review(request: Request, sitting_id: int) -> Response:
    """The board has checked the complete results (draft -> reviewed)."""
    sitting = sittings_run_by(request.user).get(pk=sitting_id)
    publication.publication_review(by=request.user, sitting_id=sitting.pk, **_valid(NoteInput, request.data))
    return Response(publication.publication_data(sitting))


@extend_schema(request=None, responses={200: PublicationOutput})
@api_view(["POST"])
@permission_classes([IsAssessor])
def publication_publish(request: Request, sitting_id: int) -> Response:
    """Release the reviewed results to the students and their records (reviewed -> published)."""
    sitting = sittings_run_by(request.user).get(pk=sitting_id)
    publication.publication_publish(by=request.user, sitting_id=sitting.pk)
    return Response(publication.publication_data(sitting))


@extend_schema(request=WithdrawInput, responses={200: PublicationOutput})
@api_view(["POST"])
@permission_classes([IsAssessor])
def publication_withdraw(request: Request, sitting_id: int) -> Response:
    sitting = sittings_run_by(request.user).get(pk=sitting_id)
    publication.publication_withdraw(by=request.user, sitting_id=sitting.pk, **_valid(WithdrawInput, request.data))
    return Response(publication.publication_data(sitting))


# --- appeals ----------------------------------------------------------------------------------


class AppealInput(serializers.Serializer):
    reason = serializers.CharField(max_length=appeals.MAX_TEXT)


class AppealMarkInput(serializers.Serializer):
    item = serializers.IntegerField(min_value=1, help_text="The item's position on the candidate's form.")
    points = serializers.CharField(max_length=20)


class DecideInput(serializers.Serializer):
    decision = serializers.CharField(max_length=appeals.MAX_TEXT)
    marks = AppealMarkInput(many=True, required=False, default=list, max_length=50)


class AppealChangeOutput(serializers.Serializer):
    item = serializers.IntegerField()
    before = serializers.CharField(allow_null=True)
    after = serializers.CharField()


class AppealOutput(serializers.Serializer):
    """``results.appeals.appeal_data`` (the board's answer adds the candidate and the items)."""

    id = serializers.IntegerField()
    attempt = serializers.IntegerField()
    reason = serializers.CharField()
    status = serializers.ChoiceField(choices=Appeal.Status.choices)
    filed_at = serializers.CharField()
    score_before = serializers.CharField()
    score_after = serializers.CharField(allow_null=True)
    decision = serializers.CharField()
    decided_at = serializers.CharField(allow_null=True)
    changes = AppealChangeOutput(many=True)


class BoardAppealItemOutput(serializers.Serializer):
    item = serializers.IntegerField()
    points = serializers.CharField()
    stem_html = serializers.CharField()
    response = serializers.CharField(allow_blank=True)
    rubric = RubricCriterionOutput(many=True)
    mark = serializers.CharField(allow_null=True)


class BoardAppealOutput(AppealOutput):
    student = serializers.CharField()
    name = serializers.CharField()
    learner_id = serializers.CharField(allow_null=True)
    decided_by = serializers.CharField(allow_null=True)
    items = BoardAppealItemOutput(many=True)


class MyAppealsOutput(serializers.Serializer):
    deadline = serializers.CharField(allow_null=True, help_text="Until when this result may be appealed.")
    appeals = AppealOutput(many=True)


@extend_schema(methods=["GET"], responses={200: MyAppealsOutput})
@extend_schema(methods=["POST"], request=AppealInput, responses={201: AppealOutput})
@api_view(["GET", "POST"])
@permission_classes([IsAuthenticated])
def attempt_appeal(request: Request, attempt_id: int) -> Response:
    """A student's appeals of their own published result (GET), or a new one (POST)."""
    attempt = Attempt.objects.get(pk=attempt_id, student=request.user)
    if request.method == "POST":
        appeal = appeals.appeal_file(by=request.user, attempt_id=attempt.pk, **_valid(AppealInput, request.data))
        return Response(appeals.appeal_data(appeal), status=status.HTTP_201_CREATED)
    deadline = appeals.appeal_deadline(attempt) if attempt.status == "published" else None
    return Response(
        {
            "deadline": deadline.isoformat() if deadline else None,
            "appeals": [appeals.appeal_data(a) for a in attempt.appeals.all()],
        }
    )


@extend_schema(responses={200: BoardAppealOutput(many=True)})
@api_view(["GET"])
@permission_classes([IsAssessor])
def sitting_appeals(request: Request, sitting_id: int) -> Response:
    """The appeals of a sitting's results, open first, with the scripts' marked responses."""
    sitting = sittings_run_by(request.user).get(pk=sitting_id)
    found = (
        Appeal.objects.filter(attempt__sitting=sitting)
        .select_related("attempt__student", "attempt__sitting__assessment", "decided_by")
        .order_by("filed_at")
    )
    rows = sorted(found, key=lambda a: a.status != Appeal.Status.OPEN)  # open first, each by filing time
    return Response([appeals.appeal_data(a, for_board=True) for a in rows])


@extend_schema(request=DecideInput, responses={200: BoardAppealOutput})
@api_view(["POST"])
@permission_classes([IsAssessor])
def appeal_decide(request: Request, appeal_id: int) -> Response:
    """Settle an appeal: new marks of the script's marked responses, if any, and the decision."""
    appeal = Appeal.objects.get(pk=appeal_id, attempt__sitting__in=sittings_run_by(request.user))
    data = _valid(DecideInput, request.data)
    decided = appeals.appeal_decide(
        by=request.user,
        appeal_id=appeal.pk,
        decision=data["decision"],
        marks={mark["item"]: mark["points"] for mark in data["marks"]},
    )
    return Response(appeals.appeal_data(decided, for_board=True))


# --- calibration ------------------------------------------------------------------------------


class CalibrationInput(serializers.Serializer):
    model = serializers.ChoiceField(choices=Calibration.Model.choices, default=Calibration.Model.TWO_PL)


class CalibrationApplyInput(serializers.Serializer):
    versions = serializers.ListField(
        child=IdField(),
        max_length=1000,
        required=False,
        allow_null=True,
        default=None,
        help_text="The item versions to write; every writable one when left out.",
    )


class BankParametersOutput(serializers.Serializer):
    a = serializers.FloatField()
    b = serializers.FloatField()
    c = serializers.FloatField()


class CalibrationItemOutput(serializers.Serializer):
    position = serializers.IntegerField()
    item = serializers.IntegerField()
    version = serializers.IntegerField()
    version_number = serializers.IntegerField()
    title = serializers.CharField()
    item_type = serializers.CharField()
    counted = serializers.BooleanField()
    trial = serializers.BooleanField()
    dropped = serializers.BooleanField()
    moderated = serializers.BooleanField(help_text="Re-keyed or given further keys by moderation.")
    role = serializers.ChoiceField(choices=calibration_service.ROLES)
    note = serializers.CharField(help_text="Why an item was left out: person_marked, few_responses, no_variance.")
    bank = BankParametersOutput(allow_null=True, help_text="The version's parameters in the bank when read.")
    responses = serializers.IntegerField()
    p_value = serializers.FloatField(allow_null=True, help_text="Share of full marks.")
    a = serializers.FloatField(allow_null=True, required=False)
    b = serializers.FloatField(allow_null=True, required=False)
    c = serializers.FloatField(allow_null=True, required=False)
    se_a = serializers.FloatField(allow_null=True, required=False)
    se_b = serializers.FloatField(allow_null=True, required=False)
    se_c = serializers.FloatField(allow_null=True, required=False)
    infit = serializers.FloatField(allow_null=True, required=False)
    outfit = serializers.FloatField(allow_null=True, required=False)
    flags = serializers.ListField(child=serializers.CharField(), required=False)
    writable = serializers.BooleanField()


class CalibrationWrittenOutput(serializers.Serializer):
    version = serializers.IntegerField()
    position = serializers.IntegerField()
    before = BankParametersOutput(allow_null=True)


class CalibrationOutput(serializers.Serializer):
    """``results.selectors.calibration_data``."""

    id = serializers.IntegerField()
    sitting = serializers.IntegerField()
    model = serializers.ChoiceField(choices=Calibration.Model.choices)
    status = serializers.ChoiceField(choices=Calibration.Status.choices)
    job = JobOutput(allow_null=True)
    created_by = serializers.CharField()
    created_at = serializers.CharField()
    finished_at = serializers.CharField(allow_null=True)
    persons = serializers.IntegerField()
    anchors = serializers.IntegerField(help_text="0: the sitting's own scale (too few items with bank parameters).")
    converged = serializers.BooleanField()
    iterations = serializers.IntegerField()
    latent_mean = serializers.FloatField(allow_null=True)
    latent_sd = serializers.FloatField(allow_null=True)
    seconds = serializers.FloatField(allow_null=True)
    error = serializers.CharField()
    applied_by = serializers.CharField(allow_null=True)
    applied_at = serializers.CharField(allow_null=True)
    written = CalibrationWrittenOutput(many=True)
    items = CalibrationItemOutput(many=True)


class CalibrationsOutput(serializers.Serializer):
    results = CalibrationOutput(many=True)


def _calibrations(request: Request):
    return Calibration.objects.filter(sitting__in=sittings_run_by(request.user)).select_related(
        "job", "created_by", "applied_by"
    )


@extend_schema(methods=["GET"], responses={200: CalibrationsOutput}, operation_id="sitting_calibrations_list")
@extend_schema(methods=["POST"], request=CalibrationInput, responses={202: CalibrationOutput})
@api_view(["GET", "POST"])
@permission_classes([IsAssessor])
def sitting_calibrations(request: Request, sitting_id: int) -> Response:
    """The sitting's calibrations, newest first; POST starts one (a job: follow it here)."""
    sitting = sittings_run_by(request.user).get(pk=sitting_id)
    if request.method == "POST":
        data = _valid(CalibrationInput, request.data)
        calibration = calibration_service.calibration_start(by=request.user, sitting_id=sitting.pk, **data)
        calibration = _calibrations(request).get(pk=calibration.pk)
        return Response(selectors.calibration_data(calibration), status=status.HTTP_202_ACCEPTED)
    found = _calibrations(request).filter(sitting=sitting)[:10]
    return Response({"results": [selectors.calibration_data(calibration) for calibration in found]})


@extend_schema(responses={200: CalibrationOutput})
@api_view(["GET"])
@permission_classes([IsAssessor])
def calibration_detail(request: Request, calibration_id: int) -> Response:
    return Response(selectors.calibration_data(_calibrations(request).get(pk=calibration_id)))


@extend_schema(request=CalibrationApplyInput, responses={200: CalibrationOutput})
@api_view(["POST"])
@permission_classes([IsAssessor])
def calibration_apply(request: Request, calibration_id: int) -> Response:
    """Write the chosen new items' parameters into the bank, with their provenance."""
    calibration = _calibrations(request).get(pk=calibration_id)
    data = _valid(CalibrationApplyInput, request.data)
    calibration_service.calibration_apply(by=request.user, calibration_id=calibration.pk, versions=data["versions"])
    return Response(selectors.calibration_data(_calibrations(request).get(pk=calibration.pk)))


# --- charts -----------------------------------------------------------------------------------
# The figures behind the board's charts (results.chart_data; the pictures are the pages':
# /board/sittings/<id>/charts/...). Final scores only: scored or published, every mark given.


class ChartDistributionBinOutput(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:  # "from" is a Python keyword
        return {"from": serializers.FloatField(), **super().get_fields()}

    to = serializers.FloatField(help_text="The last bin includes 10.")
    count = serializers.IntegerField()


class ChartDistributionOutput(serializers.Serializer):
    """``results.chart_data.distribution``."""

    sitting = serializers.IntegerField()
    results = serializers.IntegerField(help_text="Results of scored or published attempts.")
    pending = serializers.IntegerField(help_text="Of those, awaiting a marker: left out.")
    n = serializers.IntegerField(help_text="Final scores counted.")
    mean = serializers.FloatField(allow_null=True)
    median = serializers.FloatField(allow_null=True)
    sd = serializers.FloatField(allow_null=True, help_text="Sample standard deviation (n - 1).")
    min = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)
    share_from_5 = serializers.FloatField(allow_null=True, help_text="Share of scores at or above 5, 0 to 1.")
    bin_width = serializers.FloatField()
    bins = ChartDistributionBinOutput(many=True)


class ChartGroupOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The class's or the school's id.")
    name = serializers.CharField()
    school = serializers.CharField(allow_null=True, help_text="A class's school; null for a school.")
    n = serializers.IntegerField()
    mean = serializers.FloatField()
    sd = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True, help_text="95% confidence interval of the mean (Student's t).")
    ci_high = serializers.FloatField(allow_null=True)
    min = serializers.FloatField()
    q1 = serializers.FloatField()
    median = serializers.FloatField()
    q3 = serializers.FloatField()
    max = serializers.FloatField()


class ChartGroupsOutput(serializers.Serializer):
    """``results.chart_data.class_comparison`` and ``school_comparison``."""

    sitting = serializers.IntegerField()
    by = serializers.CharField(help_text="class or school")
    n = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    without_group = serializers.IntegerField(help_text="Final scores of students in no class (no school).")
    groups = ChartGroupOutput(many=True, help_text="The groups with results, the highest mean first.")


class ChartItemCurveOutput(serializers.Serializer):
    position = serializers.IntegerField(help_text="On the master form.")
    title = serializers.CharField(allow_blank=True)
    item_type = serializers.CharField()
    a = serializers.FloatField()
    b = serializers.FloatField()
    c = serializers.FloatField()
    counted = serializers.BooleanField(help_text="Neither trial nor dropped: in the test information.")
    trial = serializers.BooleanField()
    dropped = serializers.BooleanField()
    probability = serializers.ListField(child=serializers.FloatField(), help_text="P(θ) at each θ of `theta`.")
    information = serializers.ListField(child=serializers.FloatField())


class ChartInformationPointOutput(serializers.Serializer):
    theta = serializers.FloatField()
    information = serializers.FloatField(allow_null=True)
    standard_error = serializers.FloatField(allow_null=True)


class ChartEmpiricalOutput(serializers.Serializer):
    theta = serializers.FloatField(help_text="The ability group's mean θ.")
    proportion = serializers.FloatField(help_text="Share of the group with full marks on the item.")
    n = serializers.IntegerField()
    expected = serializers.FloatField(help_text="The item's P(θ) at that θ.")


class ChartItemCurvesOutput(serializers.Serializer):
    """``results.chart_data.item_curves``."""

    sitting = serializers.IntegerField()
    theta = serializers.ListField(child=serializers.FloatField())
    items = ChartItemCurveOutput(many=True, help_text="The master form's items with IRT parameters.")
    uncalibrated = serializers.ListField(child=serializers.IntegerField())
    test_information = serializers.ListField(child=serializers.FloatField(allow_null=True))
    standard_error = serializers.ListField(
        child=serializers.FloatField(allow_null=True), help_text="1/√(test information); null where it is 0."
    )
    test_information_at = ChartInformationPointOutput(many=True)
    selected = serializers.IntegerField(allow_null=True)
    empirical = ChartEmpiricalOutput(many=True, help_text="For the selected item: by ability group.")


class ChartItemCurvesQuery(serializers.Serializer):
    item = serializers.IntegerField(
        min_value=1, max_value=100000, required=False, help_text="A calibrated item's position on the master form."
    )


class ChartCandidateResultOutput(serializers.Serializer):
    score_10 = serializers.CharField()
    raw_score = serializers.CharField()
    max_score = serializers.CharField()
    number_correct = serializers.IntegerField()
    item_count = serializers.IntegerField()
    pending_items = serializers.IntegerField()
    theta = serializers.FloatField(allow_null=True)
    theta_se = serializers.FloatField(allow_null=True)


class ChartCandidateItemOutput(serializers.Serializer):
    position = serializers.IntegerField(help_text="On the candidate's form.")
    master_position = serializers.IntegerField()
    item_type = serializers.CharField()
    points = serializers.CharField()
    answer = serializers.CharField(allow_blank=True, help_text="In the labels of the candidate's test code.")
    key = serializers.CharField(allow_blank=True)
    accepted_keys = serializers.IntegerField(help_text="Further keys accepted by moderation.")
    score = serializers.CharField(allow_null=True)
    status = serializers.CharField(
        allow_null=True, help_text="correct, partial, wrong, unanswered, pending (a marker's); null before scoring."
    )
    flagged = serializers.BooleanField()
    dropped = serializers.BooleanField()
    trial = serializers.BooleanField()


class ChartCandidateEventOutput(serializers.Serializer):
    seq = serializers.IntegerField()
    position = serializers.IntegerField()
    kind = serializers.CharField(help_text="answer or flag")
    text = serializers.CharField(
        allow_blank=True, help_text="An answer as the candidate's labels write it; '' cleared."
    )
    flagged = serializers.BooleanField(allow_null=True, help_text="A flag event's new state.")
    at = serializers.CharField()
    clock = serializers.CharField()
    minutes = serializers.FloatField(help_text="Since the attempt started.")


class ChartPauseOutput(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:  # "from" is a Python keyword
        return {"from": serializers.FloatField(), **super().get_fields()}

    to = serializers.FloatField()


class ChartCandidateOutput(serializers.Serializer):
    """``results.chart_data.candidate``: the events in the order of their sequence numbers."""

    sitting = serializers.IntegerField()
    attempt = serializers.IntegerField()
    number = serializers.IntegerField()
    student = serializers.CharField()
    name = serializers.CharField()
    learner_id = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    form = serializers.CharField()
    started_at = serializers.CharField(allow_null=True)
    submitted_at = serializers.CharField(allow_null=True)
    submit_reason = serializers.CharField(allow_null=True)
    submitted_minutes = serializers.FloatField(allow_null=True)
    result = ChartCandidateResultOutput(allow_null=True)
    items = ChartCandidateItemOutput(many=True)
    events = ChartCandidateEventOutput(many=True)
    pauses = ChartPauseOutput(many=True)


@extend_schema(responses={200: ChartDistributionOutput})
@api_view(["GET"])
@permission_classes([IsAssessor])
def chart_distribution(request: Request, sitting_id: int) -> Response:
    """The final scores of the sitting in half-point bins, with their summary."""
    return Response(chart_data.distribution(sittings_run_by(request.user).get(pk=sitting_id)))


@extend_schema(responses={200: ChartGroupsOutput})
@api_view(["GET"])
@permission_classes([IsAssessor])
def chart_classes(request: Request, sitting_id: int) -> Response:
    """The final scores per class of the assessment's school year, the highest mean first."""
    return Response(chart_data.class_comparison(sittings_run_by(request.user).get(pk=sitting_id)))


@extend_schema(responses={200: ChartGroupsOutput})
@api_view(["GET"])
@permission_classes([IsAssessor])
def chart_schools(request: Request, sitting_id: int) -> Response:
    """The final scores per school of the candidates, the highest mean first."""
    return Response(chart_data.school_comparison(sittings_run_by(request.user).get(pk=sitting_id)))


@extend_schema(parameters=[ChartItemCurvesQuery], responses={200: ChartItemCurvesOutput})
@api_view(["GET"])
@permission_classes([IsAssessor])
def chart_items(request: Request, sitting_id: int) -> Response:
    """The curves of the items with IRT parameters; ``?item=`` adds one item's observed shares."""
    sitting = sittings_run_by(request.user).get(pk=sitting_id)
    position = _valid(ChartItemCurvesQuery, request.query_params).get("item")
    try:
        return Response(chart_data.item_curves(sitting, position))
    except chart_data.UnknownItem:
        raise serializers.ValidationError(
            {
                "item": [
                    _("The sitting's form has no item with IRT parameters at position %(item)d.") % {"item": position}
                ]
            }
        ) from None


@extend_schema(responses={200: ChartCandidateOutput})
@api_view(["GET"])
@permission_classes([IsAssessor])
def chart_candidate(request: Request, sitting_id: int, attempt_id: int) -> Response:
    """One candidate's result, answers and keys, and every change of their answers."""
    return Response(chart_data.candidate(sittings_run_by(request.user).get(pk=sitting_id), attempt_id))


# --- results as a file ---------------------------------------------------------------------------


class ResultsExportInput(serializers.Serializer):
    output = serializers.ChoiceField(choices=results_exports.FORMATS, default="xlsx")


class ResultsExportJobOutput(serializers.Serializer):
    job = JobOutput(help_text="Follow it at GET /api/jobs/<id>/; its result holds the file to download.")


@extend_schema(request=ResultsExportInput, responses={202: ResultsExportJobOutput})
@api_view(["POST"])
@permission_classes([IsAssessor])
def results_export(request: Request, sitting_id: int) -> Response:
    """The sitting's results, a row a candidate, as XLSX or CSV (a job: follow it, then download)."""
    sitting = sittings_run_by(request.user).get(pk=sitting_id)
    data = _valid(ResultsExportInput, request.data)
    job = job_start(by=request.user, kind="results_export", params={"sitting": sitting.pk, "output": data["output"]})
    return Response({"job": job_data(job)}, status=status.HTTP_202_ACCEPTED)


# --- differential item functioning -------------------------------------------------------------------


class DifParams(serializers.Serializer):
    by = serializers.ChoiceField(choices=dif.BY)
    focal = IdField(
        required=False, allow_null=True, default=None, help_text="The school compared with the others (by=school)."
    )


class DifItemOutput(serializers.Serializer):
    position = serializers.IntegerField()
    item = serializers.IntegerField()
    delta = serializers.FloatField(allow_null=True, help_text="MH D-DIF; negative: harder for the focal group.")
    se_delta = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)
    ets_class = serializers.CharField(help_text="A negligible, B moderate, C large; empty where undefined.")
    n_focal = serializers.IntegerField()
    n_reference = serializers.IntegerField()
    note = serializers.CharField()


class DifOutput(serializers.Serializer):
    by = serializers.ChoiceField(choices=dif.BY)
    focal = serializers.CharField()
    reference = serializers.CharField()
    n_focal = serializers.IntegerField()
    n_reference = serializers.IntegerField()
    items = DifItemOutput(many=True)


@extend_schema(parameters=[DifParams], responses={200: DifOutput})
@api_view(["GET"])
@permission_classes([IsAssessor])
def sitting_dif(request: Request, sitting_id: int) -> Response:
    """Mantel-Haenszel DIF of every item: girls against boys, or one school against the others."""
    sitting = sittings_run_by(request.user).get(pk=sitting_id)
    params = _valid(DifParams, request.query_params)
    return Response(dif.sitting_dif(sitting, by=params["by"], focal_school=params["focal"]))
