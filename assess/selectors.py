"""Reads of assessment delivery, shaped for the client and the exam board."""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.permissions import BOARD
from itembank import content
from itembank.preview import student_preview

from . import sections, statuses
from .models import Answer, Attempt, FormItem, RecordEntry, Sitting

logger = logging.getLogger(__name__)


def attempts_of_student(user: User) -> QuerySet[Attempt]:
    return (
        Attempt.objects.filter(student=user)
        .select_related("sitting__assessment__subject")
        .order_by("-sitting__opens_at")
    )


def attempt_summary(attempt: Attempt, now=None) -> dict:
    """What a student's attempt list shows: no content, no keys."""
    now = now or timezone.now()
    sitting = attempt.sitting
    assessment = sitting.assessment
    return {
        "id": attempt.pk,
        "status": attempt.status,
        "sitting": {
            "id": sitting.pk,
            "title": sitting.title,
            "opens_at": sitting.opens_at.isoformat(),
            "closes_at": sitting.closes_at.isoformat(),
            "open": sitting.is_open(now),
            "check_items": sitting.feedback_timing == Sitting.FeedbackTiming.AFTER_ITEM,
        },
        "assessment": {
            "title": assessment.title,
            "subject": assessment.subject.name,
            "kind": assessment.kind,
            "duration_seconds": int(assessment.duration.total_seconds()),
        },
        "deadline": attempt.deadline.isoformat() if attempt.deadline else None,
        "remaining_ms": attempt.remaining_ms(now) if attempt.status in statuses.OPEN else None,
        "ws_path": f"/ws/attempts/{attempt.pk}/",
    }


def form_view(form_id: int) -> tuple[dict, ...]:
    """The form as the student sees it (``itembank.preview.student_preview``), never a key.

    Every id in it is the form item's shown id (``FormItem.response_ids``), never the
    version's; a test code's options come in its order (``FormItem.arrangement``).
    """
    form_items = (
        FormItem.objects.filter(form_id=form_id)
        .select_related("item_version__item", "item_version__stimulus__media")
        .order_by("position")
    )
    return tuple(
        student_preview(
            fi.item_version, position=fi.position, points=fi.points, ids=fi.response_ids, arrangement=fi.arrangement
        )
        for fi in form_items
    )


@functools.lru_cache(maxsize=512)
def form_content(form_id: int) -> tuple[dict, ...]:
    """:func:`form_view`, cached per process for delivery: a form that a sitting delivers is
    frozen (``assess.authoring.form_is_frozen``), and rendering the mathematics of a whole
    form on every (re)connect is the costly part. Previews before that use ``form_view``.
    """
    return form_view(form_id)


@dataclass(frozen=True)
class FormSlot:
    """One position of a form: what an answer to it may be, and its ids both ways."""

    form_item_id: int
    item_type: str
    rule: tuple  # itembank.content.response_rule over the shown ids
    ids: Mapping[str, Mapping[str, str]]  # the version's id -> the shown id, per group
    lookup: Mapping[str, str]  # the shown id -> the version's id

    def accept(self, value: object) -> object:
        """The answer in the version's ids, once it passed the item's rules (None clears).

        Raises ValueError, with a message quoting only shown ids, for an answer that is not
        a valid answer to this item.
        """
        if value is None:
            return None
        content.check_response(self.item_type, self.rule, value)
        return content.response_from_shown(self.item_type, self.lookup, value)

    def shown(self, value: object) -> object:
        """A stored answer (the version's ids) in the ids this form shows."""
        return content.response_to_shown(self.item_type, self.ids, value)


@functools.lru_cache(maxsize=512)
def form_index(form_id: int) -> dict[int, FormSlot]:
    """Position on the form -> the form item, its answer rule and ids (cached; forms are immutable)."""
    slots = {}
    for fi in FormItem.objects.filter(form_id=form_id).select_related("item_version__item"):
        item_type = fi.item_version.item.item_type
        slots[fi.position] = FormSlot(
            fi.pk,
            item_type,
            content.response_rule(item_type, fi.item_version.content, ids=fi.response_ids),
            fi.response_ids,
            content.shown_id_lookup(fi.response_ids),
        )
    return slots


def checked_feedback(attempt: Attempt, positions: list[int]) -> dict[int, dict]:
    """The feedback of the checked items ``positions`` of ``attempt`` (feedback after each
    item): each item's score by its rule and what the sitting's detail shows."""
    from . import dashboard  # the student's pages' reads; they import this module
    from .services import item_score

    if not positions:
        return {}
    form_items = FormItem.objects.filter(form_id=attempt.form_id, position__in=positions).select_related(
        "item_version__item"
    )
    answers = dict(
        Answer.objects.filter(attempt_id=attempt.pk, form_item__position__in=positions).values_list(
            "form_item_id", "value"
        )
    )
    feedback = {}
    for fi in form_items:
        score = item_score(fi, answers.get(fi.pk))
        entry = dashboard.item_feedback(fi, answers.get(fi.pk), score.points, attempt.sitting.feedback_detail)
        entry["type"] = "feedback"
        entry["max_points"] = str(fi.points)
        entry["status"] = "pending" if score.pending else str(score.detail.get("status", ""))
        feedback[fi.position] = entry
    return feedback


def attempt_state(attempt_id: int, now=None) -> dict:
    """The whole state a (re)connecting client needs: status, time, form, answers, flags.

    Answers are given in the ids the form shows (they are stored in the version's).
    """
    now = now or timezone.now()
    attempt = Attempt.objects.select_related("sitting__assessment__subject").get(pk=attempt_id)
    state = {
        "type": "state",
        "attempt": attempt_summary(attempt, now),
        "status": attempt.status,
        "submit_reason": attempt.submit_reason or None,
        "server_time": now.isoformat(),
        "deadline": attempt.deadline.isoformat() if attempt.deadline else None,
        "remaining_ms": attempt.remaining_ms(now) if attempt.status in statuses.OPEN else None,
        "last_seq": attempt.last_seq,
        # By sections (``assess.sections``): which, where, their clocks; the large text start.
        **sections.progress(attempt, now),
        "items": [],
        "answers": {},
        "flags": [],
        "checked": {},
    }
    if attempt.status in statuses.OPEN:
        state["items"] = list(form_content(attempt.form_id))
        if state["sections"]:  # by sections: only the items of the sections open now (none on a break)
            shown = {
                p for section in state["sections"] if section["state"] in ("current", "open") for p in section["items"]
            }
            shown = set() if state["on_break"] else shown
            state["items"] = [item for item in state["items"] if item["item"] in shown]
        slots = form_index(attempt.form_id)
        rows = Answer.objects.filter(attempt_id=attempt_id).values_list("form_item__position", "value", "flagged")
        for position, value, flagged in rows:
            if value is not None:
                try:
                    state["answers"][str(position)] = slots[position].shown(value)
                except (KeyError, ValueError):  # never stored so (answers are checked first): leave it out
                    logger.error("attempt %s: the answer to item %s has no shown ids", attempt_id, position)
            if flagged:
                state["flags"].append(position)
        state["flags"].sort()
        if attempt.checked_items:  # feedback after each item: what was checked stays shown
            feedback = checked_feedback(attempt, list(attempt.checked_items))
            state["checked"] = {str(position): entry for position, entry in feedback.items()}
    return state


def attempt_progress(attempt: Attempt, now=None) -> dict:
    """Where a (locked, just changed) attempt is in its sections, with its status and time:
    the ``progress`` message (``assess.sections.progress``)."""
    now = now or timezone.now()
    return {
        "status": attempt.status,
        "deadline": attempt.deadline.isoformat() if attempt.deadline else None,
        "remaining_ms": attempt.remaining_ms(now) if attempt.status in statuses.OPEN else None,
        **sections.progress(attempt, now),
    }


# --- exam board ---------------------------------------------------------------------------------


def sitting_results(sitting: Sitting) -> dict:
    """Every candidate with status and result, the counts per status, and the distribution.

    A result whose responses still await a marker shows how many (``pending_items``) and stays
    out of the distribution and the mean: its score is not final."""
    attempts = list(sitting.attempts.select_related("student", "result").order_by("student__username"))
    rows = []
    scores: list[Decimal] = []
    for attempt in attempts:
        result = getattr(attempt, "result", None)
        if result is not None and not result.pending_items:
            scores.append(result.score_10)
        rows.append(
            {
                "attempt": attempt.pk,
                "student": attempt.student.username,
                "name": attempt.student.get_full_name() or attempt.student.username,
                "learner_id": attempt.student.learner_id,
                "status": attempt.status,
                "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
                "submit_reason": attempt.submit_reason or None,
                "raw_score": str(result.raw_score) if result else None,
                "max_score": str(result.max_score) if result else None,
                "number_correct": result.number_correct if result else None,
                "score_10": sitting.assessment.score_text(result.score_10) if result else None,
                "pending_items": result.pending_items if result else 0,
                "theta": round(result.theta, 3) if result and result.theta is not None else None,
                "theta_se": round(result.theta_se, 3) if result and result.theta_se is not None else None,
            }
        )
    return {
        "sitting": {
            "id": sitting.pk,
            "title": sitting.title,
            "assessment_id": sitting.assessment_id,
            "assessment": sitting.assessment.title,
            "subject": sitting.assessment.subject.name,
            "opens_at": sitting.opens_at.isoformat(),
            "closes_at": sitting.closes_at.isoformat(),
        },
        "counts": dict(Counter(attempt.status for attempt in attempts)),
        "awaiting_marking": sum(1 for row in rows if row["pending_items"]),
        "candidates": rows,
        "distribution": score_distribution(scores),
        "mean": str(round(sum(scores) / len(scores), 2)) if scores else None,
    }


def score_distribution(scores: list[Decimal]) -> list[dict]:
    """Counts of 10-point scores in the bins [0,1), [1,2), ..., [9,10]."""
    bins = [0] * 10
    for score in scores:
        bins[min(int(score), 9)] += 1
    return [{"from": low, "to": low + 1, "count": count} for low, count in enumerate(bins)]


# Who reads the records of the students they oversee (besides the students themselves).
RECORD_READERS = BOARD


def record_of_student(student_id: int, *, published_only: bool) -> QuerySet[RecordEntry]:
    """A student's record entries; ``published_only`` for what the student may see: nothing of a
    result reaches a student before the board publishes it (the attempt is ``published``); what
    a teacher entered (a paper test) is theirs at once."""
    entries = RecordEntry.objects.filter(student_id=student_id).select_related("subject")
    if not published_only:
        return entries
    return entries.filter(Q(attempt__isnull=True) | Q(attempt__status=statuses.PUBLISHED))


# --- item usage, for the bank ------------------------------------------------------------------


def item_usage(item_ids: list[int]) -> dict[int, dict]:
    """How much each item has been used: forms and sittings holding one of its versions, and
    exposures (attempts started on those forms, i.e. candidates who saw it), with the last use.

    Computed on read from the delivery tables (three grouped queries for any number of
    items), so nothing on the exam's hot path has to count.
    """
    usage = {item_id: {"forms": 0, "sittings": 0, "exposures": 0, "last_used": None} for item_id in item_ids}
    form_items = FormItem.objects.filter(item_version__item_id__in=item_ids)
    for row in form_items.values("item_version__item_id").annotate(forms=Count("form_id", distinct=True)):
        usage[row["item_version__item_id"]]["forms"] = row["forms"]
    sittings = (
        Sitting.objects.filter(form__form_items__item_version__item_id__in=item_ids)
        .values("form__form_items__item_version__item_id")
        .annotate(n=Count("id", distinct=True), last=Max("opens_at"))
    )
    for row in sittings:
        entry = usage[row["form__form_items__item_version__item_id"]]
        entry["sittings"], entry["last_used"] = row["n"], row["last"].isoformat() if row["last"] else None
    exposures = (
        Attempt.objects.filter(form__form_items__item_version__item_id__in=item_ids, started_at__isnull=False)
        .values("form__form_items__item_version__item_id")
        .annotate(n=Count("id", distinct=True))
    )
    for row in exposures:
        usage[row["form__form_items__item_version__item_id"]]["exposures"] = row["n"]
    return usage
