"""What a student sees of their assessments: the dashboard and, once allowed, a review.

The dashboard groups a student's attempts by sitting and says where each stands: upcoming,
open (ready to start or to try again), in progress, done, missed or cancelled, with the time
left and the attempts used. Results show only where ``assess.sittings.results_visible`` says
so *and* the attempt is published; nothing of a key is ever part of it.

The review of one attempt (:func:`attempt_review`) shows the form as the student saw it, their
own responses, their score per item and, as the sitting's feedback policy allows, the correct
responses and the explanations, in the ids the student was shown. It exists only for a
published attempt of the student's own.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from itembank import content
from itembank.rendering import render_html

from . import selectors, statuses
from .models import Answer, Attempt, FormItem, Sitting
from .sittings import results_visible

UPCOMING, OPEN, IN_PROGRESS, DONE, MISSED, CANCELLED = "upcoming", "open", "in_progress", "done", "missed", "cancelled"
SECTIONS = (IN_PROGRESS, OPEN, UPCOMING, DONE, MISSED, CANCELLED)
PAST_LIMIT = 500
CENT = Decimal("0.01")


def _state(sitting: Sitting, attempts: list[Attempt], now: datetime) -> str:
    last = attempts[-1]
    if sitting.status == Sitting.Status.CANCELLED:
        return CANCELLED
    if last.status in statuses.OPEN:
        return IN_PROGRESS
    if now < sitting.opens_at:
        return UPCOMING
    started = any(a.started_at is not None for a in attempts)
    if sitting.is_open(now):
        if last.status in statuses.NOT_STARTED:
            if sitting.latest_start is not None and now > sitting.latest_start:
                return MISSED
            return OPEN
        if last.status != statuses.VOIDED and len(attempts) < sitting.max_attempts:
            return OPEN
    return DONE if started else MISSED


def student_dashboard(user: User, now: datetime | None = None) -> dict[str, Any]:
    """Every sitting the student is enrolled in, by state, in one query."""
    now = now or timezone.now()
    attempts = list(
        Attempt.objects.filter(student_id=user.pk)
        .select_related("sitting__assessment__subject", "result")
        .order_by("-sitting__opens_at", "sitting_id", "number")[: PAST_LIMIT * 3]
    )
    by_sitting: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_sitting[attempt.sitting_id].append(attempt)
    sections: dict[str, list[dict[str, Any]]] = {name: [] for name in SECTIONS}
    for tries in by_sitting.values():
        sitting = tries[0].sitting
        state = _state(sitting, tries, now)
        visible = results_visible(sitting, now)
        last = tries[-1]
        shown = [a for a in tries if a.status == statuses.PUBLISHED and visible and hasattr(a, "result")]
        row = {
            "sitting": {
                "id": sitting.pk,
                "title": sitting.title,
                "kind": sitting.kind,
                "subject": sitting.assessment.subject.name,
                "assessment": sitting.assessment.title,
                "opens_at": sitting.opens_at.isoformat(),
                "closes_at": sitting.closes_at.isoformat(),
                "latest_start": sitting.latest_start.isoformat() if sitting.latest_start else None,
                "duration_minutes": int(sitting.assessment.duration.total_seconds() // 60),
                "needs_access_code": bool(sitting.access_code),
                "practice": sitting.practice,
            },
            "state": state,
            "attempt": last.pk,
            "attempts_used": sum(1 for a in tries if a.started_at is not None),
            "max_attempts": sitting.max_attempts,
            "can_try_again": state == OPEN and last.status in statuses.FINISHED,
            "remaining_ms": last.remaining_ms(now) if last.status in statuses.OPEN else None,
            "closes_in_ms": max(0, int((sitting.closes_at - now).total_seconds() * 1000))
            if state in (OPEN, IN_PROGRESS)
            else None,
            "results": [
                {
                    "attempt": a.pk,
                    "number": a.number,
                    "score_10": sitting.assessment.score_text(a.result.score_10),
                    "raw_score": str(a.result.raw_score),
                    "max_score": str(a.result.max_score),
                    "reviewable": True,
                }
                for a in shown
            ],
            "feedback_detail": sitting.feedback_detail if shown else None,
            # handed in, with responses (an essay) a marker has still to mark: no score yet
            "awaiting_marking": any(
                a.status == statuses.SCORED and hasattr(a, "result") and a.result.pending_items for a in tries
            ),
        }
        sections[state].append(row)
    for name in (UPCOMING, OPEN):
        sections[name].sort(key=lambda row: row["sitting"]["opens_at"])
    return {"server_time": now.isoformat(), "sections": sections}


def item_feedback(form_item: FormItem, answer: object, score, detail: str) -> dict[str, Any]:
    """What a student may learn of one item of theirs: its score and, as ``detail`` allows
    (``Sitting.FeedbackDetail``), the correct response in the ids they were shown and the
    explanation. ``answer`` is in the version's ids; ``score`` a ``scoring`` Score or None."""
    version = form_item.item_version
    item_type = version.item.item_type
    entry: dict[str, Any] = {
        "item": form_item.position,
        "response": content.response_to_shown(item_type, form_item.response_ids, answer),
        "score": None if score is None else str(Decimal(str(score)).quantize(CENT)),
    }
    if detail in (Sitting.FeedbackDetail.ANSWERS, Sitting.FeedbackDetail.EXPLANATIONS):
        correct = content.correct_response(item_type, version.content)
        entry["correct"] = (
            None if correct is None else content.response_to_shown(item_type, form_item.response_ids, correct)
        )
    if detail == Sitting.FeedbackDetail.EXPLANATIONS and version.content.get(content.EXPLANATION):
        entry["explanation_html"] = str(render_html(version.content[content.EXPLANATION]))
    return entry


def attempt_review(user: User, attempt_id: int) -> dict[str, Any]:
    """One published attempt of the student's own, with what its sitting's policy shows."""
    attempt = Attempt.objects.select_related("sitting__assessment", "result").get(pk=attempt_id, student_id=user.pk)
    sitting = attempt.sitting
    if attempt.status != statuses.PUBLISHED or not results_visible(sitting):
        raise PermissionDenied(_("The results of this attempt are not released yet."))
    view = {item["item"]: item for item in selectors.form_view(attempt.form_id)}
    answers = {a.form_item_id: a.value for a in Answer.objects.filter(attempt=attempt)}
    form_items = (
        FormItem.objects.filter(form_id=attempt.form_id).select_related("item_version__item").order_by("position")
    )
    scores = attempt.result.item_scores
    items = []
    for fi in form_items:
        index = (fi.master_position or fi.position) - 1
        score = None if index >= len(scores) or scores[index] is None else scores[index]
        items.append({**view[fi.position], **item_feedback(fi, answers.get(fi.pk), score, sitting.feedback_detail)})
    result = attempt.result
    return {
        "attempt": attempt.pk,
        "sitting": sitting.pk,
        "title": sitting.title,
        "feedback_detail": sitting.feedback_detail,
        "score_10": sitting.assessment.score_text(result.score_10),
        "raw_score": str(result.raw_score),
        "max_score": str(result.max_score),
        "items": items,
    }
