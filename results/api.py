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
from assess.sittings import sittings_run_by

from . import marking, selectors
from .models import MarkingPlan, Script

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
    status = serializers.ChoiceField(choices=Script.Status.values)
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
