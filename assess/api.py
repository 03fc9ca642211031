"""REST API of delivery and results (thin: authorise, read or call a service, shape)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role, User
from accounts.selectors import user_can_oversee
from itembank.selectors import items_visible_to

from . import selectors
from .models import Attempt


@api_view(["GET"])
def my_attempts(request: Request) -> Response:
    """The student's attempts, newest sitting first, with the websocket path of each."""
    if request.user.role != Role.STUDENT:
        raise PermissionDenied("Only students have attempts.")
    return Response({"results": [selectors.attempt_summary(a) for a in selectors.attempts_of_student(request.user)]})


@api_view(["GET"])
def attempt_detail(request: Request, attempt_id: int) -> Response:
    attempt = Attempt.objects.select_related("sitting__assessment__subject").get(pk=attempt_id)
    if attempt.student_id != request.user.pk:
        raise PermissionDenied("This attempt is not yours.")
    return Response(selectors.attempt_summary(attempt))


@api_view(["GET"])
def sittings(request: Request) -> Response:
    if not request.user.has_role(Role.BOARD, Role.ADMIN):
        raise PermissionDenied("Only the exam board sees sittings.")
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
def sitting_results(request: Request, sitting_id: int) -> Response:
    if not request.user.has_role(Role.BOARD, Role.ADMIN):
        raise PermissionDenied("Only the exam board sees results.")
    sitting = selectors.sittings_overseen_by(request.user).get(pk=sitting_id)
    return Response(selectors.sitting_results(sitting))


@api_view(["GET"])
def student_record(request: Request, student_id: int) -> Response:
    """A student's record entries: the student's own, or any the board oversees."""
    student = User.objects.get(pk=student_id, role=Role.STUDENT)
    own = request.user.pk == student.pk
    board = request.user.has_role(Role.BOARD, Role.ADMIN) and user_can_oversee(request.user, student.organisation_id)
    if not (own or board):
        raise PermissionDenied("You may not see this record.")
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
                for entry in selectors.record_of_student(student.pk)
            ],
        }
    )


@api_view(["GET"])
def item_usage(request: Request, item_id: int) -> Response:
    """How often an item of the bank was used: forms, sittings, exposures, last use."""
    if not request.user.has_role(Role.TEACHER, Role.BOARD, Role.ADMIN):
        raise PermissionDenied("Only authors and the exam board read the bank.")
    item = items_visible_to(request.user).get(pk=item_id)  # 404 unless shared with the user
    return Response({"item": item.pk, **selectors.item_usage([item.pk])[item.pk]})
