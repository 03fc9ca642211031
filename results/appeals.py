"""Appeals (phúc khảo): a candidate asks for their published script to be reviewed.

A candidate appeals one of their own published results, with a reason, within ``APPEAL_DAYS``
of its publication, once: the review's decision is final. The board that runs the sitting
reviews the script: it may mark the responses a person marks (essays) again, and says what it
decided. A changed mark rescores the attempt (``assess.services.attempt_mark_response``): the
result and the record entry follow and the student sees the new result at once (it stays
published). The appeal keeps the score before and after, the marks changed, who decided, when
and why.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from assess import services as assess_services
from assess import statuses
from assess.models import Answer, Attempt, AttemptTransition, FormItem, ItemMark, Result
from assess.selectors import form_content
from assess.sittings import require_runner

from .marking import typed_points
from .models import Appeal

MAX_TEXT = 1000
# Item types a person marks: the ones an appeal may mark again.
MARKED_TYPES = ("essay",)


def published_at(attempt: Attempt) -> datetime | None:
    """When the attempt's result was (last) published."""
    return (
        AttemptTransition.objects.filter(attempt=attempt, to_status=statuses.PUBLISHED)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


def appeal_deadline(attempt: Attempt) -> datetime | None:
    published = published_at(attempt)
    return published + timedelta(days=settings.APPEAL_DAYS) if published else None


@transaction.atomic
def appeal_file(*, by: User, attempt_id: int, reason: str) -> Appeal:
    """The candidate appeals their published result."""
    attempt = Attempt.objects.select_for_update(of=("self",)).select_related("result").get(pk=attempt_id)
    if attempt.student_id != by.pk:
        raise PermissionDenied(_("This is not your attempt."))
    if attempt.status != statuses.PUBLISHED:
        raise ValidationError({"attempt": [_("Only a published result can be appealed.")]})
    deadline = appeal_deadline(attempt)
    if deadline is None or timezone.now() > deadline:
        when = date_format(timezone.localtime(deadline), "DATETIME_FORMAT") if deadline else ""
        raise ValidationError({"attempt": [_("The time to appeal this result ended on %(date)s.") % {"date": when}]})
    reason = reason.strip()
    if not reason or len(reason) > MAX_TEXT:
        raise ValidationError({"reason": [_("Say why, in at most %(max)d characters.") % {"max": MAX_TEXT}]})
    if Appeal.objects.filter(attempt=attempt, status=Appeal.Status.OPEN).exists():
        raise ValidationError({"attempt": [_("An appeal of this result is open already.")]})
    if Appeal.objects.filter(attempt=attempt).exists():
        raise ValidationError({"attempt": [_("This result was reviewed on appeal already: its decision is final.")]})
    return Appeal.objects.create(attempt=attempt, reason=reason, score_before=attempt.result.score_10)


def _marked_items(attempt: Attempt) -> dict[int, FormItem]:
    """The items of the attempt's form a person marks, by position."""
    return {
        fi.position: fi
        for fi in FormItem.objects.filter(form_id=attempt.form_id, item_version__item__item_type__in=MARKED_TYPES)
    }


@transaction.atomic
def appeal_decide(*, by: User, appeal_id: int, decision: str, marks: dict[int, object] | None = None) -> Appeal:
    """Settle an appeal: the new marks of the script's marked responses (by position on the
    candidate's form), if any, and what was decided."""
    appeal = Appeal.objects.select_for_update().select_related("attempt__sitting").get(pk=appeal_id)
    attempt = appeal.attempt
    require_runner(by, attempt.sitting)
    if appeal.status != Appeal.Status.OPEN:
        raise ValidationError({"appeal": [_("This appeal is decided already.")]})
    decision = decision.strip()
    if not decision or len(decision) > MAX_TEXT:
        raise ValidationError(
            {"decision": [_("Say what was decided, in at most %(max)d characters.") % {"max": MAX_TEXT}]}
        )
    items = _marked_items(attempt)
    current = {m.form_item_id: m.points for m in ItemMark.objects.filter(attempt=attempt)}
    wanted: dict[int, Decimal] = {}  # by position on the candidate's form
    for position, value in (marks or {}).items():
        form_item = items.get(int(position))
        if form_item is None:
            raise ValidationError({"marks": [_("Item %(item)s is not marked by a person.") % {"item": position}]})
        wanted[int(position)] = typed_points(value, form_item, field="marks")
    changes = []
    for position, points in wanted.items():
        form_item_id = items[position].pk
        before = current.get(form_item_id)
        if before is not None and before == points:
            continue
        assess_services.attempt_mark_response(
            attempt_id=attempt.pk, form_item_id=form_item_id, points=points, detail={"appeal": appeal.pk}
        )
        changes.append({"item": position, "before": str(before) if before is not None else None, "after": str(points)})
    appeal.score_after = Result.objects.get(attempt=attempt).score_10
    appeal.status = (
        Appeal.Status.CHANGED if changes and appeal.score_after != appeal.score_before else Appeal.Status.UNCHANGED
    )
    appeal.changes = changes
    appeal.decision, appeal.decided_by, appeal.decided_at = decision, by, timezone.now()
    appeal.save()
    return appeal


def appeal_data(appeal: Appeal, *, for_board: bool = False) -> dict[str, Any]:
    """An appeal as the student (their own) or the board sees it."""
    attempt = appeal.attempt
    assessment = attempt.sitting.assessment
    data: dict[str, Any] = {
        "id": appeal.pk,
        "attempt": attempt.pk,
        "reason": appeal.reason,
        "status": appeal.status,
        "filed_at": appeal.filed_at.isoformat(),
        "score_before": assessment.score_text(appeal.score_before),
        "score_after": assessment.score_text(appeal.score_after) if appeal.score_after is not None else None,
        "decision": appeal.decision,
        "decided_at": appeal.decided_at.isoformat() if appeal.decided_at else None,
        "changes": appeal.changes,
    }
    if for_board:
        student = attempt.student
        view = {entry["item"]: entry for entry in form_content(attempt.form_id)}
        answers = dict(Answer.objects.filter(attempt=attempt).values_list("form_item_id", "value"))
        marks = {m.form_item_id: m.points for m in ItemMark.objects.filter(attempt=attempt)}
        data.update(
            {
                "student": student.username,
                "name": student.get_full_name() or student.username,
                "learner_id": student.learner_id,
                "decided_by": appeal.decided_by.username if appeal.decided_by_id else None,
                "items": [
                    {
                        "item": position,
                        "points": str(fi.points),
                        "stem_html": view.get(position, {}).get("stem_html", ""),
                        "response": answers.get(fi.pk) if isinstance(answers.get(fi.pk), str) else "",
                        "rubric": fi.item_version.scoring_key().get("rubric") or [],
                        "mark": str(marks[fi.pk]) if fi.pk in marks else None,
                    }
                    for position, fi in sorted(_marked_items(attempt).items())
                ],
            }
        )
    return data
