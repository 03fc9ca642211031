"""Reads behind the exam board's charts: a sitting's score distribution, its classes and
schools compared, its items' curves, and one candidate's answers replayed in time.

Built for a sitting of 100,000 results: scores are read as columns (``values_list``), never
as model objects, and aggregated with numpy; each function makes a fixed, small number of
queries (pinned by ``tests/results/test_charts.py``). The figures are JSON-ready dicts: the
REST API (``results.api``) returns them as they are, the pages (``frontend.chart_views``)
draw them with ``results.charts``. The statistics are ``scoring``'s: the IRT curves are
``scoring.irt.probability`` and ``information``, the per-group summaries
``scoring.descriptive``.

Which results count: those of attempts scored or published whose marks are complete
(``Result.pending_items == 0``); a result still awaiting a marker has no final score, as on the
sitting's page (``assess.selectors.sitting_results``). Every attempt counts, an assignment's
second try too, as in the sitting's table of candidates.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import QuerySet
from django.utils import formats, timezone

from accounts.models import ClassMembership, Organisation, SchoolClass
from assess import scoring_runs, statuses
from assess.models import Answer, AnswerEvent, Attempt, AttemptTransition, FormItem, Result, Sitting
from itembank import content
from scoring import irt
from scoring.descriptive import ability_groups, group_summary

# The histogram's bins: half a point wide, [0, 0.5), [0.5, 1), ..., [9.5, 10].
BIN_WIDTH = 0.5
EDGES = np.linspace(0.0, 10.0, int(10 / BIN_WIDTH) + 1)
# The ability grid of the item curves: -4 to 4 in steps of 0.1.
THETA = np.round(np.linspace(-4.0, 4.0, 81), 10)
# Ability points the page's table gives the test information at.
TABLE_THETA = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
PASS_MARK = 5.0  # "trên trung bình": the share of scores at or above it


class UnknownItem(ValueError):
    """``?item=`` names no calibrated item of the sitting's form."""


def _number(value: float | np.floating | None, places: int = 3) -> float | None:
    if value is None:
        return None
    value = float(value)
    return round(value, places) if math.isfinite(value) else None


def _final_results(sitting: Sitting) -> QuerySet[Result]:
    """Results of the sitting's attempts scored or published (pending marks or not)."""
    return Result.objects.filter(attempt__sitting_id=sitting.pk, attempt__status__in=scoring_runs.SCORED)


def _scores(values: Sequence[Decimal | float]) -> np.ndarray:
    return np.fromiter((float(value) for value in values), dtype=np.float64, count=len(values))


# --- the score distribution -------------------------------------------------------------------


def distribution(sitting: Sitting) -> dict[str, Any]:
    """The 10-point scores of the sitting's final results in bins of :data:`BIN_WIDTH`, with
    their count, mean, median, standard deviation, range and the share at or above 5.

    One query: the scores and the pending counts of every scored result."""
    rows = list(_final_results(sitting).values_list("score_10", "pending_items"))
    pending = sum(1 for _score, waiting in rows if waiting)
    scores = _scores([score for score, waiting in rows if not waiting])
    counts, _edges = np.histogram(scores, bins=EDGES)
    n = int(scores.size)
    return {
        "sitting": sitting.pk,
        "results": len(rows),
        "pending": pending,
        "n": n,
        "mean": _number(scores.mean(), 2) if n else None,
        "median": _number(np.median(scores), 2) if n else None,
        "sd": _number(scores.std(ddof=1), 2) if n > 1 else None,
        "min": _number(scores.min(), 2) if n else None,
        "max": _number(scores.max(), 2) if n else None,
        "share_from_5": _number((scores >= PASS_MARK).mean(), 4) if n else None,
        "bin_width": BIN_WIDTH,
        "bins": [
            {"from": float(low), "to": float(high), "count": int(count)}
            for low, high, count in zip(EDGES[:-1], EDGES[1:], counts, strict=True)
        ],
    }


# --- classes and schools compared -------------------------------------------------------------


def _summaries(
    scores: np.ndarray, group_index: np.ndarray, ids: list[int], names: dict[int, tuple[str, str | None]]
) -> list[dict[str, Any]]:
    """One row per group with results, the highest mean first (then by name)."""
    summary = group_summary(scores, group_index, len(ids))
    rows = []
    for index, group_id in enumerate(ids):
        if not summary.n[index]:
            continue
        name, school = names.get(group_id, (str(group_id), None))
        rows.append(
            {
                "id": group_id,
                "name": name,
                "school": school,
                "n": int(summary.n[index]),
                "mean": _number(summary.mean[index], 2),
                "sd": _number(summary.sd[index], 2),
                "ci_low": _number(summary.ci_low[index], 2),
                "ci_high": _number(summary.ci_high[index], 2),
                "min": _number(summary.minimum[index], 2),
                "q1": _number(summary.q1[index], 2),
                "median": _number(summary.median[index], 2),
                "q3": _number(summary.q3[index], 2),
                "max": _number(summary.maximum[index], 2),
            }
        )
    rows.sort(key=lambda row: (-(row["mean"] or 0), row["name"], row["id"]))
    return rows


def _grouped(sitting: Sitting, by: str, scores: np.ndarray, keys: list[int | None], names) -> dict[str, Any]:
    ids = sorted({key for key in keys if key is not None})
    position = {group_id: index for index, group_id in enumerate(ids)}
    index = np.fromiter((position.get(key, -1) if key is not None else -1 for key in keys), dtype=np.int64)
    grouped = index >= 0
    return {
        "sitting": sitting.pk,
        "by": by,
        "n": int(scores.size),
        "mean": _number(scores.mean(), 2) if scores.size else None,
        "without_group": int((~grouped).sum()),
        "groups": _summaries(scores[grouped], index[grouped], ids, names),
    }


def class_of_students(sitting: Sitting) -> dict[int, int]:
    """Each candidate's class in the sitting's school year: the one they belonged to when the
    sitting opened; for a student who joined later or had left by then, their latest of that
    year. One query."""
    memberships = (
        ClassMembership.objects.filter(
            school_year=sitting.assessment.school_year,
            student_id__in=Attempt.objects.filter(sitting_id=sitting.pk).values("student_id"),
        )
        .order_by("student_id", "joined_at", "pk")
        .values_list("student_id", "school_class_id", "joined_at", "left_at")
    )
    at = sitting.opens_at
    classes: dict[int, int] = {}
    settled: set[int] = set()
    for student_id, class_id, joined_at, left_at in memberships.iterator(chunk_size=5000):
        if student_id in settled:
            continue
        classes[student_id] = class_id  # the latest so far
        if joined_at <= at and (left_at is None or left_at > at):
            settled.add(student_id)  # in this class when the sitting opened
    return classes


def class_comparison(sitting: Sitting) -> dict[str, Any]:
    """The final scores per class (``ClassMembership`` in the assessment's school year): count,
    mean with its 95% confidence interval, standard deviation and quartiles, the highest mean
    first; ``without_group`` counts scores of students in no class that year. Three queries."""
    rows = list(_final_results(sitting).filter(pending_items=0).values_list("score_10", "attempt__student_id"))
    classes = class_of_students(sitting)
    keys = [classes.get(student_id) for _score, student_id in rows]
    used = {key for key in keys if key is not None}
    names = {
        pk: (name, school)
        for pk, name, school in SchoolClass.objects.filter(pk__in=used).values_list("pk", "name", "school__name")
    }
    return _grouped(sitting, "class", _scores([score for score, _student in rows]), keys, names)


def school_comparison(sitting: Sitting) -> dict[str, Any]:
    """The final scores per school (the candidate's ``User.organisation``), as
    :func:`class_comparison`. Two queries."""
    rows = list(
        _final_results(sitting).filter(pending_items=0).values_list("score_10", "attempt__student__organisation_id")
    )
    keys = [organisation_id for _score, organisation_id in rows]
    used = {key for key in keys if key is not None}
    names = {pk: (name, None) for pk, name in Organisation.objects.filter(pk__in=used).values_list("pk", "name")}
    return _grouped(sitting, "school", _scores([score for score, _organisation in rows]), keys, names)


# --- item curves -----------------------------------------------------------------------------


def _master_items(sitting: Sitting) -> list[FormItem]:
    return list(
        FormItem.objects.filter(form_id=sitting.form_id).select_related("item_version__item").order_by("position")
    )


def _parameters(items: Sequence[FormItem]) -> irt.ItemParams:
    versions = [fi.item_version for fi in items]
    return irt.ItemParams(
        a=[v.irt_a for v in versions],
        b=[v.irt_b for v in versions],
        c=[v.irt_c or 0.0 for v in versions],
        model=["3pl" if v.irt_c else "2pl" for v in versions],
    )


def item_curves(sitting: Sitting, position: int | None = None) -> dict[str, Any]:
    """The curves of the sitting's items that have IRT parameters (``ItemVersion.irt_a``,
    ``irt_b``, ``irt_c``), over :data:`THETA`: each item's characteristic curve P(θ)
    (``scoring.irt.probability``) and information (``scoring.irt.information``), the test
    information of the counted ones (neither trial nor dropped: those the ability estimate
    uses) and its standard error 1/√I.

    With ``position`` (a calibrated item's on the master form): the proportion of candidates
    with full marks on it by ability group (``scoring.descriptive.ability_groups``, over the
    final results that have θ and a score for it), with the curve's value at each group's
    mean θ. Raises :class:`UnknownItem` for a position that is no calibrated item.

    One query, two with ``position``.
    """
    items = _master_items(sitting)
    calibrated = [fi for fi in items if fi.item_version.irt_a is not None and fi.item_version.irt_b is not None]
    if position is not None and position not in {fi.position for fi in calibrated}:
        raise UnknownItem(position)
    rows: list[dict[str, Any]] = []
    information = np.zeros_like(THETA)
    counted_any = False
    if calibrated:
        parameters = _parameters(calibrated)
        probability = irt.probability(THETA, parameters)
        item_information = irt.information(THETA, parameters)
        for j, fi in enumerate(calibrated):
            version = fi.item_version
            counted = not (fi.trial or fi.dropped)
            if counted:
                information += item_information[:, j]
                counted_any = True
            rows.append(
                {
                    "position": fi.position,
                    "title": version.item.title,
                    "item_type": version.item.item_type,
                    "a": _number(version.irt_a),
                    "b": _number(version.irt_b),
                    "c": _number(version.irt_c or 0.0),
                    "counted": counted,
                    "trial": fi.trial,
                    "dropped": fi.dropped,
                    "probability": [_number(p, 4) for p in probability[:, j]],
                    "information": [_number(i, 4) for i in item_information[:, j]],
                }
            )
    with np.errstate(divide="ignore"):
        standard_error = np.where(information > 0, 1.0 / np.sqrt(information), np.inf)
    at = [int(np.argmin(np.abs(THETA - value))) for value in TABLE_THETA]
    empirical: list[dict[str, Any]] = []
    if position is not None:
        j = next(j for j, fi in enumerate(calibrated) if fi.position == position)
        empirical = _empirical(sitting, calibrated[j], _parameters([calibrated[j]]))
    return {
        "sitting": sitting.pk,
        "theta": [float(value) for value in THETA],
        "items": rows,
        "uncalibrated": [fi.position for fi in items if fi not in calibrated],
        "test_information": [_number(value, 4) for value in information] if counted_any else [],
        "standard_error": [_number(value, 4) for value in standard_error] if counted_any else [],
        "test_information_at": [
            {"theta": value, "information": _number(information[k], 3), "standard_error": _number(standard_error[k], 3)}
            for value, k in zip(TABLE_THETA, at, strict=True)
        ]
        if counted_any
        else [],
        "selected": position,
        "empirical": empirical,
    }


def _empirical(sitting: Sitting, form_item: FormItem, parameters: irt.ItemParams) -> list[dict[str, Any]]:
    """The proportion with full marks on ``form_item`` by ability group, with the model's
    P(θ) at each group's mean θ. One query: θ and the item's score of each result
    (``item_scores`` is in the master form's order; a score awaiting a marker is None)."""
    index = form_item.position - 1
    rows = (
        _final_results(sitting)
        .filter(theta__isnull=False)
        .values_list("theta", f"item_scores__{index}")
        .iterator(chunk_size=5000)
    )
    points = float(form_item.points)
    theta, correct = [], []
    for value, score in rows:
        if score is None or not isinstance(score, int | float) or not math.isfinite(value):
            continue
        theta.append(value)
        correct.append(1.0 if float(score) >= points - 1e-9 else 0.0)
    groups = ability_groups(np.array(theta), np.array(correct))
    expected = irt.probability(groups.theta, parameters)[:, 0] if groups.n.size else np.empty(0)
    return [
        {
            "theta": _number(groups.theta[k]),
            "proportion": _number(groups.proportion[k], 4),
            "n": int(groups.n[k]),
            "expected": _number(expected[k], 4),
        }
        for k in range(groups.n.size)
    ]


# --- one candidate ----------------------------------------------------------------------------


def _minutes(at: datetime, start: datetime) -> float:
    return round((at - start).total_seconds() / 60.0, 3)


def _clock(at: datetime) -> str:
    return formats.time_format(timezone.localtime(at), "H:i:s")


def _item_status(score: float | None, points: Decimal, answered: bool, scored: bool) -> str | None:
    """How a response fared: correct, partial, wrong, unanswered, pending (a marker's), or None unscored."""
    if not scored:
        return None
    if score is None:
        return "pending"
    if not answered:
        return "unanswered"
    if score >= float(points) - 1e-9:
        return "correct"
    return "partial" if score > 0 else "wrong"


def candidate(sitting: Sitting, attempt_id: int) -> dict[str, Any]:
    """One attempt of the sitting as the board reviews it: the candidate, the result, each item
    of their form (in their order) with their answer and the key in the labels of their test
    code (``itembank.content.arranged_response``, ``arranged_key``; moderation's re-key
    included) and the score, and every change of their answers in the order of its sequence
    number (``AnswerEvent.seq``: the order the replay follows, as the latest sequence wins),
    with the instants the server received them, and the spans the attempt was paused.

    Raises ``Attempt.DoesNotExist`` for an attempt of another sitting. Five queries.
    """
    attempt = (
        Attempt.objects.select_related("student", "form", "result").filter(sitting_id=sitting.pk).get(pk=attempt_id)
    )
    result = getattr(attempt, "result", None) if attempt.status in scoring_runs.SCORED else None
    form_items = list(
        FormItem.objects.filter(form_id=attempt.form_id).select_related("item_version__item").order_by("position")
    )
    answers = {
        form_item_id: (value, flagged)
        for form_item_id, value, flagged in Answer.objects.filter(attempt_id=attempt.pk).values_list(
            "form_item_id", "value", "flagged"
        )
    }
    events = list(
        AnswerEvent.objects.filter(attempt_id=attempt.pk)
        .order_by("seq")
        .values_list("seq", "form_item_id", "kind", "value", "received_at")
    )
    transitions = list(
        AttemptTransition.objects.filter(attempt_id=attempt.pk)
        .order_by("at", "pk")
        .values_list("from_status", "to_status", "at")
    )
    by_id = {fi.pk: fi for fi in form_items}
    shown: dict[tuple[int, str], str] = {}

    def text_of(fi: FormItem, value: object) -> str:
        """The response as the candidate's labels write it, remembered per distinct value."""
        key = (fi.pk, json.dumps(value, sort_keys=True, ensure_ascii=False))
        if key not in shown:
            version = fi.item_version
            shown[key] = content.arranged_response(
                version.item.item_type, version.content, fi.arrangement, value, seed=version.pk
            )
        return shown[key]

    scores = list(result.item_scores or []) if result is not None else []
    items = []
    for fi in form_items:
        version = fi.item_version
        item_type = version.item.item_type
        value, flagged = answers.get(fi.pk, (None, False))
        master = fi.master_position or fi.position
        score = scores[master - 1] if 0 < master <= len(scores) else None
        keyed = {**version.content, **(fi.key_override or {})}
        try:
            key = content.arranged_key(item_type, keyed, fi.arrangement, seed=version.pk)
        except (KeyError, ValueError, IndexError):
            key = content.key_summary(item_type, keyed)
        items.append(
            {
                "position": fi.position,
                "master_position": master,
                "item_type": item_type,
                "points": str(fi.points),
                "answer": text_of(fi, value),
                "key": key,
                "accepted_keys": len(fi.accepted_keys or []),
                "score": None if score is None else str(Decimal(str(score)).quantize(Decimal("0.01"))),
                "status": _item_status(score, fi.points, value not in (None, "", [], {}), result is not None),
                "flagged": bool(flagged),
                "dropped": fi.dropped,
                "trial": fi.trial,
            }
        )
    start = attempt.started_at or (events[0][4] if events else None) or timezone.now()
    replay = []
    for seq, form_item_id, kind, value, received_at in events:
        fi = by_id.get(form_item_id)
        if fi is None:  # never so: an event's item is on the attempt's form
            continue
        flag = kind == AnswerEvent.Kind.FLAG
        replay.append(
            {
                "seq": seq,
                "position": fi.position,
                "kind": kind,
                "text": "" if flag else text_of(fi, value),
                "flagged": bool(value) if flag else None,
                "at": received_at.isoformat(),
                "clock": _clock(received_at),
                "minutes": _minutes(received_at, start),
            }
        )
    pauses: list[dict[str, float]] = []
    paused_at = None
    for from_status, to_status, at in transitions:
        if to_status == statuses.PAUSED and paused_at is None:
            paused_at = at
        elif from_status == statuses.PAUSED and paused_at is not None:
            pauses.append({"from": _minutes(paused_at, start), "to": _minutes(at, start)})
            paused_at = None
    if paused_at is not None and attempt.status == statuses.PAUSED:
        pauses.append({"from": _minutes(paused_at, start), "to": _minutes(timezone.now(), start)})
    student = attempt.student
    return {
        "sitting": sitting.pk,
        "attempt": attempt.pk,
        "number": attempt.number,
        "student": student.username,
        "name": student.get_full_name() or student.username,
        "learner_id": student.learner_id,
        "status": attempt.status,
        "form": attempt.form.code,
        "started_at": attempt.started_at.isoformat() if attempt.started_at else None,
        "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
        "submit_reason": attempt.submit_reason or None,
        "submitted_minutes": _minutes(attempt.submitted_at, start) if attempt.submitted_at else None,
        "result": None
        if result is None
        else {
            "score_10": sitting.assessment.score_text(result.score_10),
            "raw_score": str(result.raw_score),
            "max_score": str(result.max_score),
            "number_correct": result.number_correct,
            "item_count": result.item_count,
            "pending_items": result.pending_items,
            "theta": _number(result.theta),
            "theta_se": _number(result.theta_se),
        },
        "items": items,
        "events": replay,
        "pauses": pauses,
    }
