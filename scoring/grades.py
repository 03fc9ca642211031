"""Secondary school records by Circular 22/2021: subject averages, result levels, retakes.

Pure functions on exact decimals: no numpy, no Django, never a binary float. A score is a
:class:`~decimal.Decimal`, an ``int`` or a decimal string (``"7.5"``; a decimal comma, as
Vietnamese writes it, is read too), on the 10-point scale, an integer or one decimal place
(Circular 22, article 6: "số nguyên hoặc số thập phân được lấy đến chữ số thập phân thứ nhất").
A ``float`` is refused: ``0.1 + 0.2`` is not ``0.3`` in binary, and a record must not depend on
it.

Formulas (Circular 22, articles 9 and 10):

.. math::

    \\text{ĐTBmhk} = \\frac{\\sum \\text{ĐĐGtx} + 2\\,\\text{ĐĐGgk} + 3\\,\\text{ĐĐGck}}
                          {n_\\text{tx} + 5},
    \\qquad
    \\text{ĐTBmcn} = \\frac{\\text{ĐTBmhkI} + 2\\,\\text{ĐTBmhkII}}{3},

each rounded to one decimal, halves up (``8.25`` is ``8.3``, where Python's ``round`` on a
float gives ``8.2``).

Result levels of a semester or a year (article 9): with ``k`` the policy's count (6),

- **Tốt**: every comment subject Đạt; every scored subject at least 6.5, ``k`` of them at
  least 8.0;
- **Khá**: every comment subject Đạt; every scored subject at least 5.0, ``k`` of them at
  least 6.5;
- **Đạt**: at most one comment subject Chưa đạt; ``k`` scored subjects at least 5.0; none
  below 3.5;
- **Chưa đạt**: otherwise.

The thresholds are a :class:`Policy` (its values come from the site's settings through the
records service); :data:`CIRCULAR_22` holds the circular's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "CIRCULAR_22",
    "CIRCULAR_27",
    "PrimaryPolicy",
    "primary_year_level",
    "COMMENT_RESULTS",
    "CONTINUOUS_COUNTS",
    "comment_subject_result",
    "continuous_count",
    "FAILED",
    "LEVELS",
    "PASSED",
    "Policy",
    "Score",
    "mean_score",
    "record_score",
    "result_level",
    "retake_subjects",
    "score",
    "semester_average",
    "year_average",
]

Score = Decimal | int | str

PASSED = "Đạt"
FAILED = "Chưa đạt"
COMMENT_RESULTS = (PASSED, FAILED)
EXCELLENT = "Tốt"
GOOD = "Khá"
LEVELS = (EXCELLENT, GOOD, PASSED, FAILED)

_TENTH = Decimal("0.1")
_ZERO = Decimal(0)
_TEN = Decimal(10)


def _exact(value: Score, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"{name} must be a Decimal, an int or a decimal string, not {type(value).__name__}")
    try:
        number = Decimal(value.strip().replace(",", ".")) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{name} is not a number: {value!r}") from None
    if not number.is_finite() or not _ZERO <= number <= _TEN:
        raise ValueError(f"{name} must be between 0 and 10, got {value!r}")
    return number


@dataclass(frozen=True)
class Policy:
    """The thresholds of the result levels (Circular 22, article 9, by default)."""

    excellent_floor: Decimal = Decimal("6.5")  # Tốt: every scored subject at least this
    excellent_high: Decimal = Decimal("8.0")  # ... and ``subjects_needed`` at least this
    good_floor: Decimal = Decimal("5.0")  # Khá
    good_high: Decimal = Decimal("6.5")
    pass_mark: Decimal = Decimal("5.0")  # Đạt: ``subjects_needed`` at least this
    pass_floor: Decimal = Decimal("3.5")  # ... and none below this
    subjects_needed: int = 6
    comment_failures_allowed: int = 1  # Đạt: at most this many comment subjects Chưa đạt
    retake_below: Decimal = Decimal("5.0")  # a scored subject's year average below: a retake

    def __post_init__(self) -> None:
        for name in (
            "excellent_floor",
            "excellent_high",
            "good_floor",
            "good_high",
            "pass_mark",
            "pass_floor",
            "retake_below",
        ):
            object.__setattr__(self, name, score(getattr(self, name), name=name))
        for name in ("subjects_needed", "comment_failures_allowed"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a whole number of at least 0, got {value!r}")


def score(value: Score, *, name: str = "score") -> Decimal:
    """``value`` as an exact decimal on the 10-point scale with at most one decimal place.

    Raises
    ------
    TypeError
        For a float (or anything not a Decimal, int or string).
    ValueError
        For text that is not a number, a value outside 0-10, or more than one decimal place.
    """
    number = _exact(value, name)
    if number != number.quantize(_TENTH):
        raise ValueError(f"{name} has more than one decimal place: {value!r} (round it first)")
    return number


CIRCULAR_22 = Policy()


def record_score(value: Score) -> Decimal:
    """A 10-point score as the record holds it: one decimal, halves up.

    A test counted in quarters (the national exam's 7.25) enters a school record as 7.3; a score
    already in tenths or whole marks is unchanged.
    """
    return _exact(value, "score").quantize(_TENTH, rounding=ROUND_HALF_UP)


def mean_score(values: Iterable[Score]) -> Decimal:
    """The mean of several 10-point scores (an assignment's attempts counted by their mean),
    one decimal, halves up. Raises ValueError for no scores."""
    scores = [_exact(value, f"values[{k}]") for k, value in enumerate(values)]
    if not scores:
        raise ValueError("mean_score needs at least one score")
    return _one_decimal(sum(scores, _ZERO), len(scores))


def _one_decimal(total: Decimal, count: int) -> Decimal:
    return (total / Decimal(count)).quantize(_TENTH, rounding=ROUND_HALF_UP)


def semester_average(continuous: Iterable[Score], midterm: Score, endterm: Score) -> Decimal:
    """A subject's semester average ĐTBmhk: continuous scores weigh 1, the mid-term 2, the
    end-of-term 3; one decimal, halves up.

    How many continuous scores a subject needs (2, 3 or 4 by its periods a year) is the
    records service's rule; any number, none included, is computed here.
    """
    scores = [score(value, name=f"continuous[{k}]") for k, value in enumerate(continuous)]
    total = sum(scores, _ZERO) + 2 * score(midterm, name="midterm") + 3 * score(endterm, name="endterm")
    return _one_decimal(total, len(scores) + 5)


def year_average(first: Score, second: Score) -> Decimal:
    """A subject's year average ĐTBmcn: the second semester weighs 2; one decimal, halves up."""
    return _one_decimal(score(first, name="first") + 2 * score(second, name="second"), 3)


def _comments(comment_results: Iterable[str]) -> list[str]:
    results = list(comment_results)
    for k, result in enumerate(results):
        if result not in COMMENT_RESULTS:
            raise ValueError(f"comment_results[{k}] must be {PASSED!r} or {FAILED!r}, got {result!r}")
    return results


def result_level(scored_averages: Iterable[Score], comment_results: Iterable[str], policy: Policy = CIRCULAR_22) -> str:
    """The learning result of a semester or a year: ``"Tốt"``, ``"Khá"``, ``"Đạt"`` or
    ``"Chưa đạt"``, from the averages of the scored subjects and the results of the comment
    subjects of that period."""
    averages = [score(value, name=f"scored_averages[{k}]") for k, value in enumerate(scored_averages)]
    failures = _comments(comment_results).count(FAILED)
    needed = policy.subjects_needed

    def at_least(mark: Decimal) -> int:
        return sum(1 for average in averages if average >= mark)

    if (
        failures == 0
        and at_least(policy.excellent_floor) == len(averages)
        and at_least(policy.excellent_high) >= needed
    ):
        return EXCELLENT
    if failures == 0 and at_least(policy.good_floor) == len(averages) and at_least(policy.good_high) >= needed:
        return GOOD
    if (
        failures <= policy.comment_failures_allowed
        and at_least(policy.pass_mark) >= needed
        and at_least(policy.pass_floor) == len(averages)
    ):
        return PASSED
    return FAILED


def retake_subjects(
    year_averages: Mapping[str, Score], comment_results: Mapping[str, str], policy: Policy = CIRCULAR_22
) -> list[str]:
    """The subjects a student may retake (Circular 22, article 12): scored subjects whose year
    average is below 5.0 and comment subjects Chưa đạt, in the order given (scored first).

    Who may retake at all (a year result Chưa đạt with conduct at least Đạt) is the records
    service's rule.
    """
    scored = [name for name, value in year_averages.items() if score(value, name=name) < policy.retake_below]
    comments = dict(zip(comment_results, _comments(comment_results.values()), strict=True))
    return scored + [name for name, result in comments.items() if result == FAILED]


# Continuous assessments a semester by a subject's periods a year (Circular 22, article 7):
# up to 35 periods 2, up to 70 periods 3, more 4. *Unconfirmed*: the records service takes the
# thresholds from the site's settings (``RECORDS_CONTINUOUS_COUNTS``).
CONTINUOUS_COUNTS: tuple[tuple[int | None, int], ...] = ((35, 2), (70, 3), (None, 4))


def continuous_count(periods: int, counts: Iterable[tuple[int | None, int]] = CONTINUOUS_COUNTS) -> int:
    """How many continuous assessments (ĐĐGtx) a subject of ``periods`` periods a year takes a
    semester: the count of the first threshold ``periods`` does not exceed (``None``: any)."""
    if not isinstance(periods, int) or isinstance(periods, bool) or periods < 1:
        raise ValueError(f"periods must be a whole number of at least 1, got {periods!r}")
    for most, count in counts:
        if most is None or periods <= most:
            return count
    raise ValueError("the thresholds end without a catch-all (None) step")


def comment_subject_result(results: Iterable[str], required: int) -> str | None:
    """A comment-only subject's semester result (Circular 22, article 9.1.a): Đạt when it has
    every assessment required and all are Đạt; Chưa đạt as soon as one is not; ``None`` while
    assessments are missing and none failed (the result is not known yet)."""
    given = _comments(results)
    if FAILED in given:
        return FAILED
    return PASSED if len(given) >= required else None


# --- primary school (Circular 27/2020) --------------------------------------------------------

# A subject's level, and a quality's or a competence's, as the teacher judges them.
SUBJECT_EXCELLENT = "Hoàn thành tốt"
SUBJECT_DONE = "Hoàn thành"
SUBJECT_NOT_DONE = "Chưa hoàn thành"
SUBJECT_LEVELS = (SUBJECT_EXCELLENT, SUBJECT_DONE, SUBJECT_NOT_DONE)
QUALITY_GOOD = "Tốt"
QUALITY_PASSED = "Đạt"
QUALITY_NEEDS_EFFORT = "Cần cố gắng"
QUALITY_LEVELS = (QUALITY_GOOD, QUALITY_PASSED, QUALITY_NEEDS_EFFORT)
# A pupil's result of the school year.
YEAR_OUTSTANDING = "Hoàn thành xuất sắc"
YEAR_LEVELS = (YEAR_OUTSTANDING, SUBJECT_EXCELLENT, SUBJECT_DONE, SUBJECT_NOT_DONE)


@dataclass(frozen=True)
class PrimaryPolicy:
    """The end-of-year result of a primary pupil (Circular 27/2020, article 14, as summarised in
    DOMAIN.md; the thresholds are settings): the lowest end-of-year test mark needed for each
    level. Periodic tests are marked in whole numbers."""

    outstanding_from: int = 9  # Hoàn thành xuất sắc: every subject Hoàn thành tốt, every quality Tốt
    excellent_from: int = 7  # Hoàn thành tốt: the same levels, a lower mark
    done_from: int = 5  # Hoàn thành: subjects at least Hoàn thành, qualities at least Đạt

    def __post_init__(self) -> None:
        if not 0 <= self.done_from <= self.excellent_from <= self.outstanding_from <= 10:
            raise ValueError("primary policy marks must satisfy 0 <= done <= excellent <= outstanding <= 10")


CIRCULAR_27 = PrimaryPolicy()


def _whole_mark(value: Score, name: str) -> int:
    number = _exact(value, name)
    if number != number.to_integral_value():
        raise ValueError(f"{name} must be a whole mark (Circular 27), got {value!r}")
    return int(number)


def primary_year_level(
    subject_levels: Iterable[str],
    quality_levels: Iterable[str],
    endterm_marks: Iterable[Score],
    policy: PrimaryPolicy = CIRCULAR_27,
) -> str:
    """A primary pupil's result of the year: ``"Hoàn thành xuất sắc"``, ``"Hoàn thành tốt"``,
    ``"Hoàn thành"`` or ``"Chưa hoàn thành"``, from the subjects' levels, the qualities' and
    competences' levels and the end-of-year test marks (whole numbers) of the tested subjects.
    """
    subjects = list(subject_levels)
    qualities = list(quality_levels)
    for k, level in enumerate(subjects):
        if level not in SUBJECT_LEVELS:
            raise ValueError(f"subject_levels[{k}] must be one of {SUBJECT_LEVELS}, got {level!r}")
    for k, level in enumerate(qualities):
        if level not in QUALITY_LEVELS:
            raise ValueError(f"quality_levels[{k}] must be one of {QUALITY_LEVELS}, got {level!r}")
    marks = [_whole_mark(value, f"endterm_marks[{k}]") for k, value in enumerate(endterm_marks)]
    lowest = min(marks, default=10)
    all_excellent = all(level == SUBJECT_EXCELLENT for level in subjects)
    all_good = all(level == QUALITY_GOOD for level in qualities)
    if all_excellent and all_good and lowest >= policy.outstanding_from:
        return YEAR_OUTSTANDING
    if all_excellent and all_good and lowest >= policy.excellent_from:
        return SUBJECT_EXCELLENT
    if SUBJECT_NOT_DONE not in subjects and QUALITY_NEEDS_EFFORT not in qualities and lowest >= policy.done_from:
        return SUBJECT_DONE
    return SUBJECT_NOT_DONE
