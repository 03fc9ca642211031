"""Descriptive statistics of scores: per-group summaries and empirical item curves.

Pure numpy/scipy, for the exam board's charts (``results.chart_data``): a sitting's scores
by class or school, and the proportion of candidates answering an item right by ability
group (the points an item characteristic curve is checked against).

References
----------
Hyndman, R. J., & Fan, Y. (1996). Sample quantiles in statistical packages. *The American
    Statistician*, 50, 361-365 (numpy's default ``linear`` method is their type 7).
Hambleton, R. K., Swaminathan, H., & Rogers, H. J. (1991). *Fundamentals of Item Response
    Theory*, chapter 4 (observed proportions correct by ability group against the ICC).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = ["AbilityGroups", "GroupSummary", "ability_groups", "group_summary"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class GroupSummary:
    """Summaries of the scores of each group, one entry per group ``0 .. n_groups - 1``.

    Attributes
    ----------
    n : ndarray of int, shape (n_groups,)
        Scores in the group (0 for a group without any: its figures are NaN).
    mean, sd : ndarray, shape (n_groups,)
        Mean and sample standard deviation (``ddof=1``; NaN for fewer than 2 scores).
    ci_low, ci_high : ndarray, shape (n_groups,)
        The ``level`` confidence interval of the mean, :math:`\\bar x \\pm t_{1-\\alpha/2,
        n-1} s / \\sqrt n` (Student's t; NaN for fewer than 2 scores).
    minimum, q1, median, q3, maximum : ndarray, shape (n_groups,)
        The five-number summary; quartiles by linear interpolation (Hyndman & Fan type 7).
    """

    n: IntArray
    mean: FloatArray
    sd: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    minimum: FloatArray
    q1: FloatArray
    median: FloatArray
    q3: FloatArray
    maximum: FloatArray


def group_summary(scores: ArrayLike, groups: ArrayLike, n_groups: int, *, level: float = 0.95) -> GroupSummary:
    """Count, mean, standard deviation, confidence interval of the mean and quartiles per group.

    Parameters
    ----------
    scores : array_like, shape (n,)
        Finite scores.
    groups : array_like of int, shape (n,)
        The group of each score, ``0 <= groups < n_groups``.
    n_groups : int
        How many groups there are (``>= 0``); a group without scores gets ``n = 0`` and NaN.
    level : float
        Confidence level of the interval, ``0 < level < 1``.

    Returns
    -------
    GroupSummary

    Raises
    ------
    ValueError
        If the arrays are not 1-D of the same length, a score is not finite, a group is out of
        range, or ``level`` is not in ``(0, 1)``.

    Notes
    -----
    One sort of all the scores by (group, score), then each group's slice: ``O(n log n)`` for
    any number of groups, no Python loop over the scores.
    """
    x = np.asarray(scores, dtype=np.float64)
    g = np.asarray(groups)
    if x.ndim != 1 or g.ndim != 1 or x.shape != g.shape:
        raise ValueError(f"scores and groups must be 1-D arrays of one length; got {x.shape} and {g.shape}")
    if not np.isfinite(x).all():
        raise ValueError("scores must be finite")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1; got {level!r}")
    if n_groups < 0:
        raise ValueError(f"n_groups must be >= 0; got {n_groups}")
    if g.size and (not np.issubdtype(g.dtype, np.integer) or g.min() < 0 or g.max() >= n_groups):
        raise ValueError(f"groups must be integers from 0 to {n_groups - 1}")
    g = g.astype(np.int64)
    n = np.bincount(g, minlength=n_groups).astype(np.int64)
    nan = np.full(n_groups, np.nan)
    mean, sd, ci_low, ci_high = nan.copy(), nan.copy(), nan.copy(), nan.copy()
    quantiles = {name: nan.copy() for name in ("minimum", "q1", "median", "q3", "maximum")}
    present = n > 0
    if x.size:
        sums = np.bincount(g, weights=x, minlength=n_groups)
        mean[present] = sums[present] / n[present]
        deviations = x - mean[g]
        squares = np.bincount(g, weights=deviations * deviations, minlength=n_groups)
        several = n > 1
        sd[several] = np.sqrt(squares[several] / (n[several] - 1))
        t = stats.t.ppf(0.5 + level / 2, n[several] - 1)
        half = t * sd[several] / np.sqrt(n[several])
        ci_low[several] = mean[several] - half
        ci_high[several] = mean[several] + half
        order = np.lexsort((x, g))
        ordered = x[order]
        starts = np.concatenate(([0], np.cumsum(n)[:-1]))
        for name, q in (("minimum", 0.0), ("q1", 0.25), ("median", 0.5), ("q3", 0.75), ("maximum", 1.0)):
            # type 7: position q (n - 1) within the group's sorted slice, interpolated
            position = q * (n[present] - 1)
            low = np.floor(position).astype(np.int64)
            high = np.minimum(low + 1, n[present] - 1)
            fraction = position - low
            base = starts[present]
            quantiles[name][present] = ordered[base + low] + (ordered[base + high] - ordered[base + low]) * fraction
    return GroupSummary(n=n, mean=mean, sd=sd, ci_low=ci_low, ci_high=ci_high, **quantiles)


@dataclass(frozen=True, eq=False)
class AbilityGroups:
    """Candidates grouped by ability, with the share who answered an item right.

    Attributes
    ----------
    theta : ndarray, shape (n_groups,)
        The mean ability of each group, increasing.
    proportion : ndarray, shape (n_groups,)
        The share of the group with a correct response, in ``[0, 1]``.
    n : ndarray of int, shape (n_groups,)
        Candidates in each group (sizes differ by at most one).
    """

    theta: FloatArray
    proportion: FloatArray
    n: IntArray


def ability_groups(theta: ArrayLike, correct: ArrayLike, *, groups: int = 10, min_size: int = 5) -> AbilityGroups:
    """The observed proportion correct by ability group, to set against an item's ICC.

    Candidates are sorted by ability and cut into ``k = min(groups, n // min_size)`` groups of
    equal size (at least one group when there is any candidate): each gives a point
    (mean theta, proportion correct) on the scale of :func:`scoring.irt.probability`.

    Parameters
    ----------
    theta : array_like, shape (n,)
        Finite abilities.
    correct : array_like, shape (n,)
        1 (or True) for a correct response, 0 otherwise.
    groups : int
        The most groups, ``>= 1``.
    min_size : int
        The fewest candidates a group should hold, ``>= 1``.

    Returns
    -------
    AbilityGroups
        Empty arrays when ``n == 0``.

    Raises
    ------
    ValueError
        If the arrays differ in shape or are not 1-D, an ability is not finite, a response is
        not 0 or 1, or ``groups`` or ``min_size`` is below 1.
    """
    t = np.asarray(theta, dtype=np.float64)
    y = np.asarray(correct, dtype=np.float64)
    if t.ndim != 1 or y.ndim != 1 or t.shape != y.shape:
        raise ValueError(f"theta and correct must be 1-D arrays of one length; got {t.shape} and {y.shape}")
    if not np.isfinite(t).all():
        raise ValueError("theta must be finite")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("correct must hold 0 or 1")
    if groups < 1 or min_size < 1:
        raise ValueError(f"groups and min_size must be >= 1; got {groups} and {min_size}")
    if t.size == 0:
        return AbilityGroups(theta=np.empty(0), proportion=np.empty(0), n=np.empty(0, dtype=np.int64))
    k = max(1, min(groups, t.size // min_size))
    order = np.argsort(t, kind="stable")
    parts = np.array_split(order, k)
    return AbilityGroups(
        theta=np.array([t[part].mean() for part in parts]),
        proportion=np.array([y[part].mean() for part in parts]),
        n=np.array([part.size for part in parts], dtype=np.int64),
    )
