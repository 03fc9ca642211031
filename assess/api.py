"""REST API of delivery and results (thin: authorise, read or call a service, shape)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role, User
from accounts.permissions import IsAuthor, IsBoard, IsStudent, scope_of
from itembank.selectors import items_visible_to

from . import selectors


@api_view(["GET"])
@permission_classes([IsStudent])
def my_attempts(request: Request) -> Response:
    """The student's attempts, newest sitting first, with the websocket path of each."""
    return Response({"results": [selectors.attempt_summary(a) for a in selectors.attempts_of_student(request.user)]})


@api_view(["GET"])
@permission_classes([IsStudent])
def attempt_detail(request: Request, attempt_id: int) -> Response:
    attempt = selectors.attempts_of_student(request.user).get(pk=attempt_id)  # 404 unless the student's own
    return Response(selectors.attempt_summary(attempt))


@api_view(["GET"])
@permission_classes([IsBoard])
def sittings(request: Request) -> Response:
    return Response(
        {
            "results": [
                {
                    "id": s.pk,
                    "title": s.title,
                    "assessment": s.assessment.title,
                    "subject": s.assessment.subject.name,
                    "organisation": s.organisation.name,
                    "opens_at": s.opens_at.isoformat(),
                    "closes_at": s.closes_at.isoformat(),
                }
                for s in selectors.sittings_overseen_by(request.user)
            ]
        }
    )


@api_view(["GET"])
@permission_classes([IsBoard])
def sitting_results(request: Request, sitting_id: int) -> Response:
    sitting = selectors.sittings_overseen_by(request.user).get(pk=sitting_id)
    return Response(selectors.sitting_results(sitting))


@api_view(["GET"])
def student_record(request: Request, student_id: int) -> Response:
    """A student's record entries: the student's own once published, or any the board oversees."""
    scope = scope_of(request.user)
    student = User.objects.get(pk=student_id, role=Role.STUDENT)
    own = scope.user_id == student.pk
    if not own and not (scope.has_role(*selectors.RECORD_READERS) and scope.oversees(student.organisation_id)):
        raise PermissionDenied(_("You may not see this record."))
    entries = selectors.record_of_student(student.pk, published_only=own)
    return Response(
        {
            "student": {"id": student.pk, "username": student.username, "learner_id": student.learner_id},
            "entries": [
                {
                    "subject": entry.subject.name,
                    "school_year": entry.school_year,
                    "term": entry.term,
                    "entry_type": entry.entry_type,
                    "score": str(entry.score),
                    "attempt": entry.attempt_id,
                    "created_at": entry.created_at.isoformat(),
                }
                for entry in entries
            ],
        }
    )


@api_view(["GET"])
@permission_classes([IsAuthor])
def item_usage(request: Request, item_id: int) -> Response:
    """How often an item of the bank was used: forms, sittings, exposures, last use."""
    item = items_visible_to(request.user).get(pk=item_id)  # 404 unless shared with the user
    return Response({"item": item.pk, **selectors.item_usage([item.pk])[item.pk]})
