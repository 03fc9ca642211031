"""The board's collusion report of a finished sitting: which pairs of candidates answered more
alike than their abilities explain, with the seat map, the addresses and the timing beside them.

The statistic is ``scoring.similarity`` (van der Linden & Sotaridona's generalized binomial
test, both directions, conditioned on ability); here the sitting is read and shaped for it,
and the evidence a person weighs beside it is gathered. Nothing here changes an attempt: the
report is evidence for the board's review, never a penalty (docs/collusion.md).

What is compared. Every single-choice item of the sitting is one column, whatever test code a
candidate had: an item is its ``ItemVersion`` (a code holds the master's versions, shuffled),
and an answer is stored in the version's option ids (``assess.models.FormItem.response_ids``),
so the chosen option is its place among the version's authored options, the same on every
code. Candidates are the attempts handed in (submitted, scored or published; not voided): on
an assignment allowing several attempts, each candidate's last.

Which pairs. Every pair within a room (``Attempt.room``); candidates without a room, every
pair within the same class; and, across the whole sitting, the ``ACROSS_PAIRS`` most alike
pairs found by ``scoring.most_similar_pairs``. Two families, each with its own multiple-
comparison count (Bonferroni): a room or class pair is one of the ``m`` pairs tested within
rooms and classes; a pair found only across the sitting is one of all ``n (n - 1) / 2`` pairs
the search looked through. A pair is *flagged* when its p-value times its family's count is at
most the board's level alpha: under independent work the chance that any pair of the family is
flagged is then at most alpha.

The evidence beside it: the two seats (neighbours side by side or front and back, or
diagonal, in the same room), the addresses both connected from (the presence store's last
connection, kept a day; refused starts; and, where ``proctoring.integrity`` records them, each
attempt's last address and every new one), the identical wrong answers, and how many identical answers were
saved within ``TIMING_SECONDS`` of each other. Per candidate: ability, person fit
(``scoring.person_fit``'s l_z; low values are unlikely patterns) and working time against the
sitting's (a robust z of its logarithm).

The report is built by a job (``jobs``; ``proctoring.jobs.collusion_report``) and kept as the
job's result: reading it again computes nothing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

import scoring
from accounts.models import ClassMembership, User
from accounts.permissions import BOARD, scope_of
from assess import presence, statuses
from assess.models import Answer, AnswerEvent, Attempt, FormItem, Sitting
from itembank.models import ItemVersion

from . import placement
from .models import Refusal

KIND = "collusion_report"  # the job's kind (jobs.services.KINDS)
DEFAULT_ALPHA = 0.001
MIN_ALPHA, MAX_ALPHA = 1e-9, 0.05
ACROSS_PAIRS = 200  # the most alike pairs across the whole sitting, beside every room's pairs
STORED_PVALUE = 0.05  # pairs kept in the report: p-value at most this, or flagged ...
STORED_PAIRS = 5000  # ... and at most this many, the most alike first
SHOWN_PAIRS = 50  # kept whatever their p-values
TIMING_SECONDS = 10  # identical answers saved this close together count as timing evidence
PERSON_FIT_LIMIT = -2.33  # l_z at most this: an unlikely pattern (lower 1% of N(0, 1))
SPEED_LIMIT = -3.0  # working time's robust z at most this: far faster than the sitting
ANALYSED = (statuses.SUBMITTED, statuses.SCORED, statuses.PUBLISHED)
FAMILY_ROOM, FAMILY_CLASS, FAMILY_SITTING = "room", "class", "sitting"
ORTHOGONAL, DIAGONAL = "orthogonal", "diagonal"

Progress = Callable[[int, int, str], None]


# --- who may, and when ----------------------------------------------------------------------


def may_analyse(user: User, sitting: Sitting) -> bool:
    """The exam board overseeing the sitting's organisation (administrators too)."""
    scope = scope_of(user)
    return scope.has_role(*BOARD) and scope.oversees(sitting.organisation_id)


def sitting_for_board(*, user: User, sitting_id: int) -> Sitting:
    """The sitting, if ``user`` is its board; ``Sitting.DoesNotExist`` for anyone else (as a 404:
    another organisation does not learn it exists)."""
    sitting = Sitting.objects.select_related("organisation", "assessment").get(pk=sitting_id)
    if not may_analyse(user, sitting):
        raise Sitting.DoesNotExist
    return sitting


def check_finished(sitting: Sitting, *, now: datetime | None = None) -> None:
    """Refuse a sitting still running: no attempt may be in progress or paused, and either its
    window has closed or every attempt is finished."""
    now = now or timezone.now()
    states = set(Attempt.objects.filter(sitting=sitting).values_list("status", flat=True).distinct())
    running = states & statuses.OPEN
    waiting = states & statuses.NOT_STARTED
    if running or (waiting and sitting.closes_at > now):
        raise ValidationError(
            {
                "sitting": [
                    _(
                        "The sitting is not finished: analyse it once every candidate has handed in "
                        "or its window has closed."
                    )
                ]
            },
            code="not_finished",
        )


def check_alpha(alpha: float) -> float:
    if not (isinstance(alpha, (int, float)) and MIN_ALPHA <= alpha <= MAX_ALPHA):
        raise ValidationError(
            {"alpha": [_("Choose a level from %(min)s to %(max)s.") % {"min": MIN_ALPHA, "max": MAX_ALPHA}]}
        )
    return float(alpha)


# --- reading the sitting ----------------------------------------------------------------------


@dataclass
class SittingData:
    """A finished sitting as ``scoring`` takes it, with what the evidence needs (one row per
    candidate, one column per single-choice item)."""

    candidates: list[dict[str, Any]]  # attempt, name, learner_id, room, room_id, seat, row, column, code, class
    choices: np.ndarray  # (n, items) option index as float, NaN unanswered
    keys: np.ndarray  # (items,)
    n_options: np.ndarray  # (items,)
    saved_at: np.ndarray  # (n, items) seconds since the epoch of the answer's last save, NaN none
    bank: tuple[np.ndarray, np.ndarray, np.ndarray] | None  # the bank's a, b, c when every item has them
    addresses: list[set[str]] = field(default_factory=list)
    durations: np.ndarray = field(default_factory=lambda: np.empty(0))  # seconds started -> handed in


def _last_attempts(sitting: Sitting) -> list[Attempt]:
    attempts = (
        Attempt.objects.filter(sitting=sitting, status__in=ANALYSED)
        .select_related("student", "seat", "room__room", "form")
        .only(
            "student_id",
            "number",
            "form_id",
            "form__code",
            "room_id",
            "room__room__name",
            "seat__row",
            "seat__column",
            "seat__spare",
            "started_at",
            "submitted_at",
            "student__username",
            "student__first_name",
            "student__last_name",
            "student__learner_id",
        )
        .order_by("student_id", "number")
    )
    last: dict[int, Attempt] = {}
    for attempt in attempts:
        last[attempt.student_id] = attempt
    return sorted(last.values(), key=lambda a: a.pk)


def _integrity_addresses(sitting: Sitting) -> list[tuple[int, str]]:
    """(attempt, address) of the integrity records (``proctoring.integrity``): each attempt's last
    connection and every new address it connected from. Read only where those models exist: they
    are being added beside this report, and it must not fail without them."""
    from . import models

    found: list[tuple[int, str]] = []
    summary = getattr(models, "AttemptIntegrity", None)
    events = getattr(models, "IntegrityEvent", None)
    if summary is not None:
        found += summary.objects.filter(attempt__sitting=sitting, last_address__isnull=False).values_list(
            "attempt_id", "last_address"
        )
    if events is not None:
        found += (
            events.objects.filter(attempt__sitting=sitting, address__isnull=False)
            .values_list("attempt_id", "address")
            .distinct()
        )
    return found


def load(sitting: Sitting) -> SittingData:
    """The sitting's answers as a choice matrix, in a handful of queries whatever its size."""
    attempts = _last_attempts(sitting)
    form_ids = {attempt.form_id for attempt in attempts}
    form_items = list(
        FormItem.objects.filter(form_id__in=form_ids).values_list(
            "pk", "item_version_id", "position", "master_position"
        )
    )
    versions = {
        row["pk"]: row
        for row in ItemVersion.objects.filter(pk__in={version for _pk, version, _p, _m in form_items})
        .filter(item__item_type="single_choice")
        .values("pk", "content", "irt_a", "irt_b", "irt_c")
    }
    # One column per single-choice version, in the master form's order.
    order: dict[int, int] = {}
    for _pk, version, _position, _master in sorted(form_items, key=lambda r: (r[3] or r[2], r[1])):
        if version in versions and version not in order:
            order[version] = len(order)
    column_of = {pk: order[version] for pk, version, _p, _m in form_items if version in order}
    option_index: list[dict[str, int]] = [{} for _ in order]
    keys = np.zeros(len(order), dtype=np.int64)
    n_options = np.zeros(len(order), dtype=np.int64)
    for version, column in order.items():
        options = [option["id"] for option in versions[version]["content"].get("options", [])]
        option_index[column] = {option_id: index for index, option_id in enumerate(options)}
        keys[column] = option_index[column].get(versions[version]["content"].get("key"), 0)
        n_options[column] = max(len(options), 2)

    row_of = {attempt.pk: row for row, attempt in enumerate(attempts)}
    choices = np.full((len(attempts), len(order)), np.nan)
    saved_at = np.full((len(attempts), len(order)), np.nan)
    # The time of each answer's last save: the history's event of the answer's sequence number.
    last_save = AnswerEvent.objects.filter(attempt_id=OuterRef("attempt_id"), seq=OuterRef("value_seq")).values(
        "received_at"
    )[:1]
    answers = Answer.objects.filter(attempt__sitting=sitting, value__isnull=False)
    for attempt_id, form_item_id, value, saved in answers.annotate(saved=Subquery(last_save)).values_list(
        "attempt_id", "form_item_id", "value", "saved"
    ):
        row = row_of.get(attempt_id)
        column = column_of.get(form_item_id)
        if row is None or column is None or not isinstance(value, str):
            continue
        index = option_index[column].get(value)
        if index is None:
            continue
        choices[row, column] = index
        if saved is not None:
            saved_at[row, column] = saved.timestamp()

    classes: dict[int, str] = {}
    unplaced = [attempt.student_id for attempt in attempts if attempt.room_id is None]
    if unplaced:
        classes = dict(
            ClassMembership.objects.filter(
                student_id__in=unplaced, left_at__isnull=True, school_year=sitting.assessment.school_year
            ).values_list("student_id", "school_class_id")
        )
    addresses: list[set[str]] = [set() for _ in attempts]
    for attempt_id, address in Refusal.objects.filter(attempt__sitting=sitting, address__isnull=False).values_list(
        "attempt_id", "address"
    ):
        if attempt_id in row_of:
            addresses[row_of[attempt_id]].add(str(address))
    for attempt_id, connection in presence.of(list(row_of)).items():
        if connection and connection.get("ip"):
            addresses[row_of[attempt_id]].add(str(connection["ip"]))
    for attempt_id, address in _integrity_addresses(sitting):
        if attempt_id in row_of:
            addresses[row_of[attempt_id]].add(str(address))

    candidates = []
    durations = np.full(len(attempts), np.nan)
    for row, attempt in enumerate(attempts):
        student = attempt.student
        seat = attempt.seat
        candidates.append(
            {
                "attempt": attempt.pk,
                "name": student.get_full_name() or student.username,
                "learner_id": student.learner_id or "",
                "room_id": attempt.room_id,
                "room": attempt.room.room.name if attempt.room_id else None,
                "seat": placement.seat_label(seat.cell) if seat is not None else None,
                "row": seat.row if seat is not None else None,
                "column": seat.column if seat is not None else None,
                "code": attempt.form.code,
                "class": classes.get(attempt.student_id),
            }
        )
        if attempt.started_at and attempt.submitted_at:
            durations[row] = (attempt.submitted_at - attempt.started_at).total_seconds()

    bank = None
    if order and all(versions[v]["irt_a"] is not None and versions[v]["irt_b"] is not None for v in order):
        bank = (
            np.array([versions[v]["irt_a"] for v in order], dtype=np.float64),
            np.array([versions[v]["irt_b"] for v in order], dtype=np.float64),
            np.array([versions[v]["irt_c"] or 0.0 for v in order], dtype=np.float64),
        )
    return SittingData(candidates, choices, keys, n_options, saved_at, bank, addresses, durations)


# --- the analysis -------------------------------------------------------------------------------


def _within_pairs(candidates: list[dict[str, Any]], rows: list[int]) -> tuple[list[tuple[int, int]], list[str]]:
    """Every pair of ``rows`` (matrix rows) in the same room, else in the same class."""
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for matrix_row, row in enumerate(rows):
        candidate = candidates[row]
        if candidate["room_id"] is not None:
            groups[(FAMILY_ROOM, candidate["room_id"])].append(matrix_row)
        elif candidate["class"] is not None:
            groups[(FAMILY_CLASS, candidate["class"])].append(matrix_row)
    pairs: list[tuple[int, int]] = []
    families: list[str] = []
    for (family, _group), members in groups.items():
        for i, first in enumerate(members):
            for second in members[i + 1 :]:
                pairs.append((first, second))
                families.append(family)
    return pairs, families


def adjacency(first: dict[str, Any], second: dict[str, Any]) -> str | None:
    """How two seats of the same room touch: side by side or front and back, corner to corner."""
    if (
        first["room_id"] is None
        or first["room_id"] != second["room_id"]
        or first["row"] is None
        or second["row"] is None
    ):
        return None
    rows, columns = abs(first["row"] - second["row"]), abs(first["column"] - second["column"])
    if rows + columns == 1:
        return ORTHOGONAL
    if rows == 1 and columns == 1:
        return DIAGONAL
    return None


def robust_z(values: np.ndarray) -> np.ndarray:
    """(log v - median) / (1.4826 MAD) of the finite positive values; NaN elsewhere or when the
    spread is nil (the MAD scaled to estimate a normal standard deviation)."""
    logs = np.where(np.isfinite(values) & (values > 0), np.log(np.where(values > 0, values, 1.0)), np.nan)
    known = logs[np.isfinite(logs)]
    if len(known) < 3:
        return np.full(len(values), np.nan)
    median = np.median(known)
    spread = 1.4826 * np.median(np.abs(known - median))
    if spread <= 0:
        return np.full(len(values), np.nan)
    z: np.ndarray = (logs - median) / spread
    return z


def _number(value: float, digits: int) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def _pvalue(value: float) -> float:
    """A p-value to three significant figures (tiny ones stay readable as 1.23e-12)."""
    return float(f"{float(value):.3g}")


def analyse(data: SittingData, *, alpha: float, progress: Progress | None = None) -> dict[str, Any]:
    """The report of ``data`` (no database): ranked pairs with their evidence, and outliers."""
    report = progress or (lambda done, total, message: None)
    answered = ~np.isnan(data.choices)
    rows = [row for row in range(len(data.candidates)) if answered[row].any()]
    columns = np.flatnonzero(answered.any(axis=0))
    if len(rows) < 2 or len(columns) == 0:
        raise ValidationError(
            {"sitting": [_("There is nothing to compare: fewer than two candidates answered single-choice items.")]},
            code="too_few",
        )
    choices = data.choices[np.ix_(rows, columns)]
    keys = data.keys[columns]
    n_options = data.n_options[columns]
    options: dict[str, Any] = {"n_options": n_options}
    if data.bank is not None:
        a, b, c = (values[columns] for values in data.bank)
        options["items"] = scoring.ItemParams(a=a, b=b, c=c)
    n = len(rows)
    within, families = _within_pairs(data.candidates, rows)
    report(1, 4, _("Estimating abilities"))
    try:
        result = scoring.similarity(choices, keys, np.array(within, dtype=np.int64).reshape(-1, 2), **options)
    except ValueError as error:
        raise ValidationError(
            {
                "sitting": [
                    _(
                        "The items could not be calibrated from this sitting's answers (%(reason)s). "
                        "Record the items' IRT parameters in the bank, or analyse a larger sitting."
                    )
                    % {"reason": error}
                ]
            },
            code="not_calibrated",
        ) from None
    report(2, 4, _("Searching the whole sitting for alike pairs"))
    everyone = n * (n - 1) // 2
    across, across_result = scoring.most_similar_pairs(
        choices,
        keys,
        min(ACROSS_PAIRS, everyone),
        items=result.items,
        theta=result.theta,
        n_options=n_options,
    )
    report(3, 4, _("Gathering the evidence"))
    seen = {pair: i for i, pair in enumerate(within)}
    pairs = list(within)
    family = list(families)
    pvalue = list(result.pvalue)
    index = list(result.index)
    matches = list(result.matches)
    expected = list(result.expected)
    shared = list(result.shared)
    for k, (first, second) in enumerate(across.tolist()):
        if (first, second) in seen:
            continue
        seen[(first, second)] = len(pairs)
        pairs.append((first, second))
        family.append(FAMILY_SITTING)
        pvalue.append(across_result.pvalue[k])
        index.append(across_result.index[k])
        matches.append(across_result.matches[k])
        expected.append(across_result.expected[k])
        shared.append(across_result.shared[k])
    counts = {FAMILY_ROOM: len(within), FAMILY_CLASS: len(within), FAMILY_SITTING: everyone}
    p = np.array(pvalue, dtype=np.float64)
    z = np.array(index, dtype=np.float64)
    adjusted = np.minimum(1.0, p * np.array([counts[f] for f in family], dtype=np.float64))
    flagged = adjusted <= alpha
    # Most alike first. Kept: every pair at p <= STORED_PVALUE (a flagged pair always is, as
    # alpha <= STORED_PVALUE), at least the first SHOWN_PAIRS (a clean sitting still shows its
    # most alike pairs), at most STORED_PAIRS.
    order = [int(k) for k in np.lexsort((-np.nan_to_num(z, nan=-np.inf), p))]
    keep = order[: min(STORED_PAIRS, max(SHOWN_PAIRS, int((p <= STORED_PVALUE).sum())))]

    # Evidence of the kept pairs: identical wrong answers, identical answers saved close together.
    kept = np.array([pairs[k] for k in keep], dtype=np.int64).reshape(-1, 2)
    first, second = kept[:, 0], kept[:, 1]
    both = ~np.isnan(choices[first]) & ~np.isnan(choices[second])
    same = both & (choices[first] == choices[second])
    wrong = same & (choices[first] != keys[None, :])
    saved = data.saved_at[np.ix_(rows, columns)]
    close = same & (np.abs(saved[first] - saved[second]) <= TIMING_SECONDS)

    right = np.where(~np.isnan(choices), (choices == keys[None, :]).astype(np.float64), np.nan)
    fit = scoring.person_fit(right, result.items, result.theta)
    speed = robust_z(data.durations[rows])
    outliers = [
        r
        for r in range(n)
        if (math.isfinite(fit.lz[r]) and fit.lz[r] <= PERSON_FIT_LIMIT)
        or (math.isfinite(speed[r]) and speed[r] <= SPEED_LIMIT)
    ]
    outliers.sort(
        key=lambda r: (fit.lz[r] if math.isfinite(fit.lz[r]) else 0.0, speed[r] if math.isfinite(speed[r]) else 0.0)
    )
    addresses = [data.addresses[row] for row in rows] if data.addresses else [set() for _ in rows]

    def person(r: int) -> dict[str, Any]:
        candidate = data.candidates[rows[r]]
        return {
            **{key: value for key, value in candidate.items() if key != "class"},
            "theta": _number(result.theta[r], 2),
            "person_fit": _number(fit.lz[r], 2),
            "minutes": _number(data.durations[rows[r]] / 60, 1),
            "speed": _number(speed[r], 2),
            "answered": int((~np.isnan(choices[r])).sum()),
        }

    people: dict[str, dict[str, Any]] = {}
    out_pairs = []
    for rank, (k, f, s) in enumerate(zip(keep, first.tolist(), second.tolist(), strict=True)):
        for r in (f, s):
            people.setdefault(str(data.candidates[rows[r]]["attempt"]), person(r))
        a, b = data.candidates[rows[f]], data.candidates[rows[s]]
        out_pairs.append(
            {
                "rank": rank + 1,
                "first": a["attempt"],
                "second": b["attempt"],
                "family": family[k],
                "same_room": a["room_id"] is not None and a["room_id"] == b["room_id"],
                "adjacency": adjacency(a, b),
                "same_code": a["code"] == b["code"],
                "shared_addresses": sorted(addresses[f] & addresses[s]),
                "index": _number(z[k], 2),
                "pvalue": _pvalue(p[k]),
                "adjusted_pvalue": _pvalue(adjusted[k]),
                "flagged": bool(flagged[k]),
                "matches": int(matches[k]),
                "expected": _number(expected[k], 1),
                "shared_items": int(shared[k]),
                "identical_wrong": int(wrong[rank].sum()),
                "close_in_time": int(close[rank].sum()),
            }
        )
    for r in outliers:
        people.setdefault(str(data.candidates[rows[r]]["attempt"]), person(r))
    rooms = sorted(
        {(c["room_id"], c["room"]) for c in data.candidates if c["room_id"] is not None}, key=lambda x: str(x[1])
    )
    report(4, 4, "")
    return {
        "alpha": alpha,
        "correction": "bonferroni",
        "candidates_analysed": n,
        "items": len(columns),
        "item_parameters": "bank" if data.bank is not None else "calibrated",
        "pairs_within": len(within),
        "pairs_across_tested": int(len(across)),
        "pairs_across_family": everyone,
        "pairs_stored": len(out_pairs),
        "flagged": int(flagged.sum()),
        "addresses_known": sum(1 for found in addresses if found),
        "timing_seconds": TIMING_SECONDS,
        "person_fit_limit": PERSON_FIT_LIMIT,
        "speed_limit": SPEED_LIMIT,
        "rooms": [{"id": room_id, "name": name} for room_id, name in rooms],
        "candidates": people,
        "pairs": out_pairs,
        "outliers": [data.candidates[rows[r]]["attempt"] for r in outliers],
    }


# --- the job, starting it, reading it -------------------------------------------------------------


def collusion_report_build(
    *, by: User, sitting_id: int, alpha: float, progress: Progress | None = None
) -> dict[str, Any]:
    """The report of a finished sitting for its board (what the job keeps as its result)."""
    sitting = sitting_for_board(user=by, sitting_id=sitting_id)
    check_finished(sitting)
    if progress:
        progress(0, 4, _("Reading the answers"))
    report = analyse(load(sitting), alpha=check_alpha(alpha), progress=progress)
    return {"sitting": sitting.pk, "computed_at": timezone.now().isoformat(), **report}


def collusion_report_start(*, by: User, sitting_id: int, alpha: float = DEFAULT_ALPHA):
    """Start the report's job (a report already being made is returned instead of a second)."""
    from jobs.models import Job
    from jobs.services import job_start

    sitting = sitting_for_board(user=by, sitting_id=sitting_id)
    check_alpha(alpha)
    check_finished(sitting)
    running = (
        Job.objects.defer("payload")
        .filter(kind=KIND, params__sitting=sitting.pk, status__in=(Job.Status.QUEUED, Job.Status.RUNNING))
        .first()
    )
    if running is not None:
        return running
    return job_start(by=by, kind=KIND, params={"sitting": sitting.pk, "alpha": float(alpha)})


def latest_job(*, user: User, sitting_id: int):
    """The sitting's latest report job (whoever of the board started it), or None."""
    from jobs.models import Job

    sitting = sitting_for_board(user=user, sitting_id=sitting_id)
    return Job.objects.defer("payload").filter(kind=KIND, params__sitting=sitting.pk).order_by("-created_at").first()
