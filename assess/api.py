"""REST API of delivery and results (thin: authorise, read or call a service, shape)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role, User
from accounts.permissions import IsAuthor, IsStudent, scope_of
from config.api import Instant
from itembank.api import StudentItemOutput
from itembank.selectors import items_visible_to

from . import dashboard, selectors, statuses
from .models import Assessment, RecordEntry, RecordEntryType, Sitting

# --- what the calls answer (the dicts of assess.selectors and assess.dashboard, described) -----


class AttemptSittingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    opens_at = Instant()
    closes_at = Instant()
    open = serializers.BooleanField(help_text="Whether the window holds the server's now: an attempt starts only then.")


class AttemptAssessmentOutput(serializers.Serializer):
    title = serializers.CharField()
    subject = serializers.CharField()
    kind = serializers.ChoiceField(choices=Assessment.Kind.choices)
    duration_seconds = serializers.IntegerField()


class AttemptOutput(serializers.Serializer):
    """``assess.selectors.attempt_summary`` (docs/protocol.md, section 4)."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=statuses.ALL)
    sitting = AttemptSittingOutput()
    assessment = AttemptAssessmentOutput()
    deadline = Instant(allow_null=True)
    remaining_ms = serializers.IntegerField(allow_null=True)
    ws_path = serializers.CharField()


class AttemptsOutput(serializers.Serializer):
    results = AttemptOutput(many=True)


class DashboardSittingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=Sitting.Kind.choices)
    subject = serializers.CharField()
    assessment = serializers.CharField()
    opens_at = Instant()
    closes_at = Instant()
    latest_start = Instant(allow_null=True)
    duration_minutes = serializers.IntegerField()
    needs_access_code = serializers.BooleanField()
    practice = serializers.BooleanField()


class ShownResultOutput(serializers.Serializer):
    attempt = serializers.IntegerField()
    number = serializers.IntegerField()
    score_10 = serializers.CharField()
    raw_score = serializers.CharField()
    max_score = serializers.CharField()
    reviewable = serializers.BooleanField()


class DashboardRowOutput(serializers.Serializer):
    sitting = DashboardSittingOutput()
    state = serializers.ChoiceField(choices=dashboard.SECTIONS)
    attempt = serializers.IntegerField()
    attempts_used = serializers.IntegerField()
    max_attempts = serializers.IntegerField()
    can_try_again = serializers.BooleanField()
    remaining_ms = serializers.IntegerField(allow_null=True)
    closes_in_ms = serializers.IntegerField(allow_null=True)
    results = ShownResultOutput(many=True)
    feedback_detail = serializers.ChoiceField(choices=Sitting.FeedbackDetail.choices, allow_null=True)
    awaiting_marking = serializers.BooleanField(help_text="Handed in with responses a marker has still to mark.")


class DashboardOutput(serializers.Serializer):
    """``assess.dashboard.student_dashboard``."""

    server_time = Instant()
    sections = inline_serializer(
        "DashboardSectionsOutput", {name: DashboardRowOutput(many=True) for name in dashboard.SECTIONS}
    )


class ReviewItemOutput(StudentItemOutput):
    response = serializers.JSONField(allow_null=True, help_text="The student's answer, in the shown ids.")
    score = serializers.CharField(allow_null=True)
    correct = serializers.JSONField(
        required=False, allow_null=True, help_text="With feedback answers or explanations: a full-marks response."
    )
    explanation_html = serializers.CharField(required=False)


class AttemptReviewOutput(serializers.Serializer):
    """``assess.dashboard.attempt_review``."""

    attempt = serializers.IntegerField()
    sitting = serializers.IntegerField()
    title = serializers.CharField()
    feedback_detail = serializers.ChoiceField(choices=Sitting.FeedbackDetail.choices)
    score_10 = serializers.CharField()
    raw_score = serializers.CharField()
    max_score = serializers.CharField()
    items = ReviewItemOutput(many=True)


class RecordStudentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    learner_id = serializers.CharField(allow_null=True)


class RecordEntryOutput(serializers.Serializer):
    subject = serializers.CharField(source="subject.name")
    school_year = serializers.CharField()
    term = serializers.IntegerField()
    entry_type = serializers.ChoiceField(choices=RecordEntryType.choices)
    score = serializers.CharField(allow_null=True, help_text='On 10 points, one decimal: "8.5"; null for a comment.')
    comment_result = serializers.CharField(help_text="Đạt or Chưa đạt for a subject assessed by comment; else empty.")
    source = serializers.ChoiceField(choices=RecordEntry.Source.choices)
    attempt = serializers.IntegerField(source="attempt_id", allow_null=True, help_text="Null: entered by the teacher.")
    created_at = Instant()


class RecordOutput(serializers.Serializer):
    student = RecordStudentOutput()
    entries = RecordEntryOutput(many=True)


class ItemUsageOutput(serializers.Serializer):
    """``assess.selectors.item_usage``, for one item."""

    item = serializers.IntegerField()
    forms = serializers.IntegerField()
    sittings = serializers.IntegerField()
    exposures = serializers.IntegerField(help_text="Attempts started on a form holding it.")
    last_used = Instant(allow_null=True)


@extend_schema(responses={200: AttemptsOutput})
@api_view(["GET"])
@permission_classes([IsStudent])
def my_attempts(request: Request) -> Response:
    """The student's attempts, newest sitting first, with the websocket path of each."""
    return Response({"results": [selectors.attempt_summary(a) for a in selectors.attempts_of_student(request.user)]})


@extend_schema(responses={200: DashboardOutput})
@api_view(["GET"])
@permission_classes([IsStudent])
def my_dashboard(request: Request) -> Response:
    """The student's sittings by state (upcoming, open, in progress, done, missed, cancelled)."""
    return Response(dashboard.student_dashboard(request.user))


@extend_schema(responses={200: AttemptReviewOutput})
@api_view(["GET"])
@permission_classes([IsStudent])
def attempt_review(request: Request, attempt_id: int) -> Response:
    """A published attempt of the student's own with what its feedback policy shows."""
    return Response(dashboard.attempt_review(request.user, attempt_id))


@extend_schema(responses={200: AttemptOutput})
@api_view(["GET"])
@permission_classes([IsStudent])
def attempt_detail(request: Request, attempt_id: int) -> Response:
    attempt = selectors.attempts_of_student(request.user).get(pk=attempt_id)  # 404 unless the student's own
    return Response(selectors.attempt_summary(attempt))


@extend_schema(responses={200: RecordOutput})
@api_view(["GET"])
def student_record(request: Request, student_id: int) -> Response:
    """A student's record entries: the student's own once published, or any the board oversees."""
    scope = scope_of(request.user)
    student = User.objects.get(pk=student_id, role=Role.STUDENT)
    own = scope.user_id == student.pk
    if not own and not (scope.has_role(*selectors.RECORD_READERS) and scope.oversees(student.organisation_id)):
        raise PermissionDenied(_("You may not see this record."))
    entries = selectors.record_of_student(student.pk, published_only=own)
    return Response(RecordOutput({"student": student, "entries": entries}).data)


@extend_schema(responses={200: ItemUsageOutput})
@api_view(["GET"])
@permission_classes([IsAuthor])
def item_usage(request: Request, item_id: int) -> Response:
    """How often an item of the bank was used: forms, sittings, exposures, last use."""
    item = items_visible_to(request.user).get(pk=item_id)  # 404 unless shared with the user
    return Response({"item": item.pk, **selectors.item_usage([item.pk])[item.pk]})
