"""Reporting scales: from ability theta to the score a candidate is told, and back.

Two conversions, both monotone non-decreasing in theta:

* :class:`LinearScale`: ``score = slope * theta + intercept`` (built directly or
  from two anchor points with :func:`linear_scale_from`);
* :class:`TccScale` (built with :func:`tcc_scale`): the test characteristic
  curve turns theta into the expected number of points on the test,
  ``tau(theta) = sum_j w_j E_j(theta)``, then its proportion of the maximum
  ``tau_max = sum_j w_j max_j`` onto the reporting range,
  ``score = minimum + (maximum - minimum) tau(theta) / tau_max``.

Both then round onto the reporting grid ``minimum + k * step`` (``k``
integer) by a rule, and clip to ``[minimum, maximum]``. Typical grids: the
national graduation exam's 0-10 in steps of 0.25, VNU's HSA 0-150 in steps of
1, VNU-HCM's V-ACT 0-1200 in steps of 1.

Rounding exactly at ties
------------------------
A score that is mathematically on a tie (``7.125`` on a 0.25 grid) must round
by the rule, not by the accident of its binary representation. So
:func:`round_to_step` works in *step units*: ``u = (x - origin) * (1 / step)``,
where ``1 / step`` is snapped to the nearest integer when it is one to 1e-9
relative (``0.25 -> 4``, ``0.1 -> 10``: multiplying by an integer, rather than
dividing by an inexact ``0.1``, keeps decimal values as close as floats can).
Any ``u`` within :data:`TIE_TOLERANCE` (1e-9 step units) of a grid point or of
a half-way point is treated as exactly on it. The result is ``origin + k /
(1 / step)`` (a correctly rounded decimal such as ``7.3``, not
``7.300000000000001``). The tolerance is far above float error for scales up
to about 1e6 steps and far below any meaningful score difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from scoring import irt
from scoring.linking import _expected, _thresholds

__all__ = [
    "ROUNDING_RULES",
    "TIE_TOLERANCE",
    "LinearScale",
    "TccScale",
    "linear_scale_from",
    "round_to_step",
    "tcc_scale",
]

FloatArray = NDArray[np.float64]

#: Rounding rules: ``"half_up"`` (ties toward +inf), ``"half_even"`` (ties to
#: the even multiple of the step), ``"floor"``, ``"ceil"``.
ROUNDING_RULES = ("half_up", "half_even", "floor", "ceil")

#: Distance, in step units, within which a value counts as exactly on a grid
#: point or exactly half-way between two (see the module docstring).
TIE_TOLERANCE = 1e-9


def _finite_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number


def _check_rounding(rounding: str) -> str:
    if rounding not in ROUNDING_RULES:
        raise ValueError(f"unknown rounding rule {rounding!r}; choose one of {', '.join(ROUNDING_RULES)}")
    return rounding


def _check_step(step: object) -> float:
    value = _finite_number("step", step)
    if value <= 0:
        raise ValueError(f"step must be > 0, got {step!r}")
    return value


def _inverse_step(step: float) -> tuple[float, bool]:
    """``1 / step``, snapped to an integer when it is one to 1e-9 relative; and whether it was."""
    inverse = 1.0 / step
    whole = round(inverse)
    if whole >= 1 and abs(inverse - whole) <= 1e-9 * inverse:
        return float(whole), True
    return inverse, False


def round_to_step(values: ArrayLike, step: float, rounding: str = "half_up", *, origin: float = 0.0) -> FloatArray:
    """Round values onto the grid ``origin + k * step``, exactly at ties.

    Parameters
    ----------
    values : array_like
        Finite values, any shape.
    step : float
        Grid spacing, ``> 0``.
    rounding : {"half_up", "half_even", "floor", "ceil"}
        ``"half_up"`` sends a tie toward +inf (``7.125 -> 7.25`` at step
        0.25), ``"half_even"`` to the even multiple of ``step`` counted from
        ``origin`` (``7.125 -> 7.0``, ``7.375 -> 7.5``), ``"floor"`` and
        ``"ceil"`` down and up (a value on the grid stays put).
    origin : float, optional
        A grid point; the grid is ``origin + k * step``.

    Returns
    -------
    ndarray, shape of ``values``
        Rounded values. Values within :data:`TIE_TOLERANCE` step units of a
        grid or half-way point are treated as exactly on it (module docstring).

    Raises
    ------
    ValueError
        If ``step <= 0``, a value is not finite (the index is named), or the
        rule is unknown.
    """
    rule = _check_rounding(rounding)
    size = _check_step(step)
    start = _finite_number("origin", origin)
    x = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(x)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"value at index {index} is {float(x[index])!r}, not finite")
    inverse, whole = _inverse_step(size)
    units = (x - start) * inverse
    nearest = np.rint(units)
    units = np.where(np.abs(units - nearest) <= TIE_TOLERANCE, nearest, units)
    lower = np.floor(units)
    tie = np.abs(units - lower - 0.5) <= TIE_TOLERANCE
    if rule == "half_up":
        k = np.where(tie, lower + 1.0, np.floor(units + 0.5))
    elif rule == "half_even":
        k = np.where(tie, lower + np.mod(lower, 2.0), np.rint(units))
    elif rule == "floor":
        k = lower
    else:
        k = np.ceil(units)
    result: FloatArray = start + (k / inverse if whole else k * size)
    return result


def _as_theta(theta: ArrayLike) -> FloatArray:
    try:
        t = np.asarray(theta, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"theta must be numeric: {exc}") from None
    bad = ~np.isfinite(t)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"theta at index {index} is {float(t[index])!r}, not finite")
    return t


@dataclass(frozen=True)
class _Grid:
    """The reporting grid shared by the scales: range, step, rounding, clipping."""

    minimum: float
    maximum: float
    step: float | None
    rounding: str
    clip: bool

    def __post_init__(self) -> None:
        minimum = _finite_number("minimum", self.minimum)
        maximum = _finite_number("maximum", self.maximum)
        if minimum >= maximum:
            raise ValueError(f"minimum must be < maximum, got minimum {self.minimum!r}, maximum {self.maximum!r}")
        _check_rounding(self.rounding)
        if self.step is not None:
            step = _check_step(self.step)
            inverse, _ = _inverse_step(step)
            steps = (maximum - minimum) * inverse
            if abs(steps - round(steps)) > TIE_TOLERANCE * max(1.0, steps):
                raise ValueError(
                    f"maximum - minimum = {maximum - minimum!r} must be a whole number of steps of {step!r}"
                )

    def finish(self, raw: FloatArray, rounded: bool) -> FloatArray:
        """Round (unless ``rounded`` is false or there is no step) and clip (or check) ``raw``."""
        if not self.clip:
            outside = (raw < self.minimum - 1e-9 * (self.maximum - self.minimum)) | (
                raw > self.maximum + 1e-9 * (self.maximum - self.minimum)
            )
            if outside.any():
                index = tuple(int(i) for i in np.argwhere(outside)[0])
                raise ValueError(
                    f"score at index {index} is {float(raw[index])!r}, outside "
                    f"[{self.minimum!r}, {self.maximum!r}] (clip=False)"
                )
        score = raw
        if rounded and self.step is not None:
            score = round_to_step(raw, self.step, self.rounding, origin=self.minimum)
        result: FloatArray = np.clip(score, self.minimum, self.maximum)
        return result

    def check_scores(self, score: ArrayLike) -> FloatArray:
        s = np.asarray(score, dtype=np.float64)
        bad = ~np.isfinite(s) | (s < self.minimum) | (s > self.maximum)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"score at index {index} is {float(s[index])!r}, not a finite value in "
                f"[{self.minimum!r}, {self.maximum!r}]"
            )
        return s


@dataclass(frozen=True)
class LinearScale:
    """A linear reporting scale, ``score = round(slope * theta + intercept)`` clipped to the range.

    Parameters
    ----------
    slope : float
        Score points per unit of theta, finite and ``> 0``.
    intercept : float
        Score at ``theta = 0``, finite.
    minimum, maximum : float
        Reporting range, ``minimum < maximum``; ``maximum - minimum`` a whole
        number of steps.
    step : float or None
        Reporting grid spacing (``minimum + k step``), ``> 0``; ``None`` for
        unrounded scores.
    rounding : {"half_up", "half_even", "floor", "ceil"}
        Rounding rule, see :func:`round_to_step`.
    clip : bool
        ``True`` clips scores outside the range to its ends; ``False`` makes
        such a score a ``ValueError`` naming the person index.

    Raises
    ------
    ValueError
        On a non-finite or out-of-range parameter (``step <= 0``,
        ``minimum >= maximum``, ``slope <= 0``, an unknown rule).
    """

    slope: float
    intercept: float
    minimum: float
    maximum: float
    step: float | None = None
    rounding: str = "half_up"
    clip: bool = True

    def __post_init__(self) -> None:
        slope = _finite_number("slope", self.slope)
        _finite_number("intercept", self.intercept)
        if slope <= 0:
            raise ValueError(f"slope must be > 0 (scores rise with ability), got {self.slope!r}")
        _Grid(self.minimum, self.maximum, self.step, self.rounding, self.clip)

    @property
    def _grid(self) -> _Grid:
        return _Grid(self.minimum, self.maximum, self.step, self.rounding, self.clip)

    def to_scale(self, theta: ArrayLike, *, rounded: bool = True) -> FloatArray:
        """Reported scores for abilities ``theta`` (any shape, finite), same shape.

        ``rounded=False`` gives the clipped, unrounded score.
        """
        t = _as_theta(theta)
        return self._grid.finish(self.slope * t + self.intercept, rounded)

    def to_theta(self, score: ArrayLike) -> FloatArray:
        """The ability whose unrounded score is ``score``: ``(score - intercept) / slope``.

        ``score`` must be finite and within ``[minimum, maximum]`` (else
        ``ValueError``); the ends map to the abilities where clipping starts.
        """
        s = self._grid.check_scores(score)
        result: FloatArray = (s - self.intercept) / self.slope
        return result


def linear_scale_from(
    theta_points: ArrayLike,
    score_points: ArrayLike,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    step: float | None = None,
    rounding: str = "half_up",
    clip: bool = True,
) -> LinearScale:
    """The linear scale through two (theta, score) anchor points.

    ``linear_scale_from((-3, 3), (0, 10), step=0.25)`` maps theta -3 to 0,
    theta 3 to 10 and theta 0 to 5.

    Parameters
    ----------
    theta_points : (float, float)
        Two distinct finite abilities.
    score_points : (float, float)
        The scores they map to, increasing with theta.
    minimum, maximum : float, optional
        Reporting range; default the smaller and larger score point.
    step, rounding, clip
        As for :class:`LinearScale`.

    Raises
    ------
    ValueError
        If there are not exactly two points of each, they are not finite, the
        thetas coincide, or the scores do not increase with theta.
    """
    thetas = np.asarray(theta_points, dtype=np.float64)
    scores = np.asarray(score_points, dtype=np.float64)
    if thetas.shape != (2,) or scores.shape != (2,):
        raise ValueError(
            f"give exactly two theta points and two score points, got shapes {thetas.shape} and {scores.shape}"
        )
    if not (np.isfinite(thetas).all() and np.isfinite(scores).all()):
        raise ValueError(f"anchor points must be finite, got theta {thetas.tolist()}, score {scores.tolist()}")
    if thetas[0] == thetas[1]:
        raise ValueError(f"the two theta points must differ, got {thetas.tolist()}")
    slope = float((scores[1] - scores[0]) / (thetas[1] - thetas[0]))
    if not slope > 0:
        raise ValueError(f"scores must increase with theta; got theta {thetas.tolist()} -> score {scores.tolist()}")
    intercept = float(scores[0] - slope * thetas[0])
    return LinearScale(
        slope=slope,
        intercept=intercept,
        minimum=float(scores.min()) if minimum is None else minimum,
        maximum=float(scores.max()) if maximum is None else maximum,
        step=step,
        rounding=rounding,
        clip=clip,
    )


def _max_item_scores(items: Any) -> FloatArray:
    """Highest score of each item: the number of finite thresholds of a polytomous item, else 1."""
    thresholds = _thresholds(items)
    result = np.ones(items.n_items)
    if thresholds is not None:
        counts = np.isfinite(thresholds).sum(axis=1)
        result = np.where(counts > 0, counts, 1).astype(np.float64)
    return result


@dataclass(frozen=True, eq=False)
class TccScale:
    """A reporting scale through the test characteristic curve; build it with :func:`tcc_scale`.

    ``score = minimum + (maximum - minimum) * tau(theta) / tau_max`` with
    ``tau(theta) = sum_j w_j E_j(theta)``, then rounded and clipped.

    Attributes
    ----------
    items : ItemParams
        The test's items.
    item_points : ndarray, shape (n_items,)
        Points ``w_j`` each item's score is worth (read-only).
    minimum, maximum, step, rounding, clip
        The reporting grid, as for :class:`LinearScale`.
    theta_range : (float, float)
        Abilities searched by :meth:`to_theta`.
    """

    items: irt.ItemParams
    item_points: FloatArray
    minimum: float
    maximum: float
    step: float | None
    rounding: str
    clip: bool
    theta_range: tuple[float, float]

    @property
    def _grid(self) -> _Grid:
        return _Grid(self.minimum, self.maximum, self.step, self.rounding, self.clip)

    @property
    def max_points(self) -> float:
        """``tau_max``: the points of a perfect paper."""
        return float(self.item_points @ _max_item_scores(self.items))

    def expected_points(self, theta: ArrayLike) -> FloatArray:
        """``tau(theta)``, the expected points (number correct when all weights are 1); shape of ``theta``."""
        t = _as_theta(theta)
        return self._points(t)

    def _points(self, t: FloatArray) -> FloatArray:
        # A row-wise reduction, not a BLAS product: equal abilities then give
        # bit-identical scores wherever they sit in the array.
        result: FloatArray = (_expected(t, self.items) * self.item_points).sum(axis=-1)
        return result

    def _unrounded(self, t: FloatArray) -> FloatArray:
        proportion = self._points(t) / self.max_points
        result: FloatArray = self.minimum + (self.maximum - self.minimum) * proportion
        return result

    def to_scale(self, theta: ArrayLike, *, rounded: bool = True) -> FloatArray:
        """Reported scores for abilities ``theta`` (any shape, finite), same shape.

        ``rounded=False`` gives the clipped, unrounded score.
        """
        t = _as_theta(theta)
        return self._grid.finish(self._unrounded(t), rounded)

    def to_theta(self, score: ArrayLike, *, xtol: float = 1e-10) -> FloatArray:
        """The ability whose unrounded score is ``score``, by vectorised bisection on the TCC.

        Parameters
        ----------
        score : array_like
            Scores, any shape, finite, within ``[minimum, maximum]``.
        xtol : float, optional
            Width of the final bracket in theta, ``> 0``.

        Returns
        -------
        ndarray, shape of ``score``
            Abilities in ``theta_range``. A score at or below the curve's
            value at the lower end of ``theta_range`` (with guessing, the TCC
            never falls below ``sum_j w_j c_j``) gives ``theta_range[0]``; one
            at or above its value at the upper end (a perfect score is only
            reached at +inf) gives ``theta_range[1]``. Both are documented
            results of a score that no finite ability in the range produces.

        Raises
        ------
        ValueError
            For a non-finite score or one outside ``[minimum, maximum]``.
        """
        s = self._grid.check_scores(score)
        if not (math.isfinite(xtol) and xtol > 0):
            raise ValueError(f"xtol must be finite and > 0, got {xtol!r}")
        low_theta, high_theta = self.theta_range
        low = np.full(s.shape, low_theta)
        high = np.full(s.shape, high_theta)
        flat_target = s.reshape(-1)
        lo = low.reshape(-1)
        hi = high.reshape(-1)
        ends = self._unrounded(np.array([low_theta, high_theta]))
        below = flat_target <= ends[0]
        above = flat_target >= ends[1]
        iterations = math.ceil(math.log2((high_theta - low_theta) / xtol)) + 1
        for _ in range(iterations):
            middle = 0.5 * (lo + hi)
            rising = self._unrounded(middle) < flat_target
            lo = np.where(rising, middle, lo)
            hi = np.where(rising, hi, middle)
        theta = 0.5 * (lo + hi)
        theta = np.where(below, low_theta, np.where(above, high_theta, theta))
        result: FloatArray = theta.reshape(s.shape)
        return result


def tcc_scale(
    items: irt.ItemParams,
    maximum_score: float,
    *,
    minimum_score: float = 0.0,
    step: float | None = None,
    rounding: str = "half_up",
    clip: bool = True,
    item_points: ArrayLike | None = None,
    theta_range: tuple[float, float] = (-8.0, 8.0),
) -> TccScale:
    """A scale from theta to reported score through the test characteristic curve.

    ``score = minimum_score + (maximum_score - minimum_score) tau(theta) / tau_max``,
    ``tau(theta) = sum_j w_j E_j(theta)``, ``tau_max = sum_j w_j max_j``, where
    ``E_j`` is item ``j``'s expected score (probability correct for 0/1 items;
    :func:`scoring.irt.expected_score` for polytomous items when available) and
    ``max_j`` its highest score (1, or the number of thresholds). With all
    ``w_j = 1`` this is the expected proportion correct on the reporting range:
    ``maximum_score=10, step=0.25`` gives the national exam's scale,
    ``maximum_score=150, step=1`` VNU's HSA, ``maximum_score=1200, step=1`` V-ACT.
    The curve increases strictly with theta (every ``a > 0``), and rounding and
    clipping keep the reported score non-decreasing.

    Parameters
    ----------
    items : ItemParams
        The test's items.
    maximum_score : float
        Top of the reporting range (a perfect paper).
    minimum_score : float, optional
        Bottom of the range; ``< maximum_score``.
    step : float, optional
        Reporting grid spacing, ``> 0``; ``None`` for unrounded scores.
    rounding : {"half_up", "half_even", "floor", "ceil"}
        Rounding rule, see :func:`round_to_step`.
    clip : bool, optional
        Clip to the range (the TCC stays inside it, so only rounding could
        step outside, and it cannot: the ends are grid points).
    item_points : array_like, shape (n_items,), optional
        Points each item is worth (e.g. 0.25 for a single-choice item), finite
        and ``>= 0``, not all zero. Default 1 each.
    theta_range : (float, float), optional
        Bracket for :meth:`TccScale.to_theta`, finite, increasing.

    Returns
    -------
    TccScale

    Raises
    ------
    ValueError
        For ``step <= 0``, ``minimum_score >= maximum_score``, a range that is
        not a whole number of steps, bad ``item_points`` (the item is named)
        or ``theta_range``; ``TypeError`` if ``items`` is not ItemParams.
    """
    if not isinstance(items, irt.ItemParams):
        raise TypeError(f"items must be ItemParams, got {type(items).__name__}")
    grid = _Grid(minimum_score, maximum_score, step, rounding, clip)
    if item_points is None:
        weights = np.ones(items.n_items)
    else:
        weights = np.array(item_points, dtype=np.float64)
        if weights.shape != (items.n_items,):
            raise ValueError(f"item_points must have one value per item ({items.n_items}), got shape {weights.shape}")
        bad = np.flatnonzero(~np.isfinite(weights) | (weights < 0))
        if bad.size:
            raise ValueError(f"item {int(bad[0])}: item_points = {float(weights[bad[0]])!r} must be finite and >= 0")
        if not weights.sum() > 0:
            raise ValueError("item_points must not all be zero")
    weights.setflags(write=False)
    try:
        low, high = (float(v) for v in theta_range)
    except (TypeError, ValueError):
        raise ValueError(f"theta_range must be a pair of numbers, got {theta_range!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"theta_range must be finite and increasing, got {theta_range!r}")
    return TccScale(
        items=items,
        item_points=weights,
        minimum=float(grid.minimum),
        maximum=float(grid.maximum),
        step=None if step is None else float(step),
        rounding=rounding,
        clip=clip,
        theta_range=(low, high),
    )
