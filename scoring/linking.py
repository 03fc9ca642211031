"""Linking two IRT calibrations through common items onto one (base) scale.

Two forms calibrated separately put their parameters on two arbitrary scales:
each calibration fixes its own group's ability distribution at N(0, 1). Items
both forms share (the common or anchor items) tell how the scales relate. On
the logistic metric the relation is linear,

.. math::

    \\theta_{base} = A \\, \\theta_{new} + B,

and the item parameters of the new calibration move to the base scale as

.. math::

    a_{base} = a / A, \\qquad b_{base} = A b + B, \\qquad c_{base} = c,

with polytomous thresholds (locations on the theta scale) transformed like
``b``. The four methods here are those of Kolen & Brennan (2014), *Test
Equating, Scaling, and Linking* (3rd ed.), section 6.3 (2nd ed. 2004: the
same numbering):

``"mean-mean"`` (Loyd & Hoover, 1980)
    ``A = mean(a_new) / mean(a_base)``, ``B = mean(b_base) - A mean(b_new)``.
``"mean-sigma"`` (Marco, 1977)
    ``A = sd(b_base) / sd(b_new)``, ``B = mean(b_base) - A mean(b_new)``.
``"haebara"`` (Haebara, 1980): item characteristic curve criterion
    minimises, over a quadrature grid ``theta_q`` with weights ``w_q``
    (normalised to sum to 1), the mean over the ``m`` common items of the
    weighted squared differences between each item's expected score on the
    base calibration and on the new calibration moved to the base scale:
    ``Hcrit = sum_q w_q sum_j (E_j^base(theta_q) - E_j^new*(theta_q))^2 / m``.
``"stocking-lord"`` (Stocking & Lord, 1983): test characteristic curve criterion
    minimises the weighted squared difference of the common items' summed
    expected scores: ``SLcrit = sum_q w_q (sum_j E_j^base - sum_j E_j^new*)^2``.

The characteristic-curve criteria never build transformed parameters while
searching: moving the new items to the base scale is the same as evaluating
them at the new-scale ability, ``E_j^new*(theta) = E_j^new((theta - B) / A)``,
which holds for every model whose locations transform like ``b`` (3PL, graded
response, generalized partial credit). Expected item scores come from
:func:`scoring.irt.expected_score` when the installed :mod:`scoring.irt`
provides it (polytomous models), otherwise from :func:`scoring.irt.probability`
(dichotomous items, where the expected score is the probability correct).

The ``direction`` of a characteristic-curve criterion chooses the scale the
curves are compared on (Kim & Kolen, 2007): ``"base"`` (the classic
definitions above, on the base group's quadrature), ``"new"`` (the base items
moved to the new scale, ``E_j^base(A theta + B)``, compared with the new items
on the new group's quadrature), or ``"symmetric"`` (the sum of both). With
criteria standardised this way and ``direction="symmetric"`` the results agree
with Kolen's STUIRT program (see ``tests/scoring/test_linking.py``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

from scoring import irt

__all__ = [
    "LINKING_DIRECTIONS",
    "LINKING_METHODS",
    "Linking",
    "Quadrature",
    "link",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Method names accepted by :func:`link`.
LINKING_METHODS = ("mean-mean", "mean-sigma", "haebara", "stocking-lord")
#: Scales on which the characteristic-curve criteria compare curves.
LINKING_DIRECTIONS = ("base", "new", "symmetric")

_MOMENT_METHODS = ("mean-mean", "mean-sigma")


def _expected(theta: ArrayLike, items: Any) -> FloatArray:
    """Expected score of each item, shape ``theta.shape + (n_items,)``.

    Uses :func:`scoring.irt.expected_score` when the installed :mod:`scoring.irt`
    has it (all item models), else :func:`scoring.irt.probability` (dichotomous
    items: the expected score of a 0/1 item is its probability correct).
    """
    expected_score: Callable[[ArrayLike, Any], FloatArray] | None = getattr(irt, "expected_score", None)
    if expected_score is None:
        return irt.probability(theta, items)
    t = np.asarray(theta, dtype=np.float64)
    result = np.asarray(expected_score(t, items), dtype=np.float64)
    if result.shape != t.shape + (items.n_items,):
        raise TypeError(
            "scoring.irt.expected_score must return one expected score per item, shape "
            f"theta.shape + (n_items,) = {t.shape + (items.n_items,)}; got {result.shape}"
        )
    return result


def _thresholds(items: Any) -> FloatArray | None:
    """The items' polytomous thresholds (n_items x K-1, NaN-padded), if the type has them."""
    thresholds = getattr(items, "thresholds", None)
    if thresholds is None:
        return None
    return np.asarray(thresholds, dtype=np.float64)


# --- quadrature -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False, init=False)
class Quadrature:
    """Points and weights of an ability distribution, for the characteristic-curve criteria.

    Parameters
    ----------
    points : array_like, shape (n_points,)
        Ability values, finite, on the scale of the group they describe.
    weights : array_like, shape (n_points,)
        Non-negative, finite, not all zero; stored normalised to sum to 1, so a
        density evaluated at the points, or a calibration's estimated latent
        distribution, can be passed as it is.

    Raises
    ------
    ValueError
        If the arrays are not 1-D of equal non-zero length, hold a non-finite
        value, a negative weight, or only zero weights.
    """

    points: FloatArray
    weights: FloatArray

    def __init__(self, points: ArrayLike, weights: ArrayLike) -> None:
        p = np.array(points, dtype=np.float64)
        w = np.array(weights, dtype=np.float64)
        if p.ndim != 1 or p.shape != w.shape or p.size == 0:
            raise ValueError(
                f"quadrature points and weights must be 1-D of the same non-zero length; got {p.shape} and {w.shape}"
            )
        for name, values in (("points", p), ("weights", w)):
            bad = np.flatnonzero(~np.isfinite(values))
            if bad.size:
                raise ValueError(f"quadrature {name}[{int(bad[0])}] = {float(values[bad[0]])!r} is not finite")
        bad = np.flatnonzero(w < 0)
        if bad.size:
            raise ValueError(f"quadrature weights[{int(bad[0])}] = {float(w[bad[0]])!r} is negative")
        total = w.sum()
        if not total > 0:
            raise ValueError("quadrature weights must not all be zero")
        w = w / total
        p.setflags(write=False)
        w.setflags(write=False)
        object.__setattr__(self, "points", p)
        object.__setattr__(self, "weights", w)

    @classmethod
    def normal(cls, n_points: int = 41, mean: float = 0.0, sd: float = 1.0, half_width: float = 4.0) -> Quadrature:
        """Equally spaced points on ``mean +- half_width sd`` weighted by the N(mean, sd^2) density.

        The default, 41 points on [-4, 4] (spacing 0.2), is the one :func:`link` uses.
        """
        if isinstance(n_points, bool) or not isinstance(n_points, (int, np.integer)) or n_points < 2:
            raise ValueError(f"n_points must be an integer >= 2, got {n_points!r}")
        if not (math.isfinite(mean) and math.isfinite(sd) and sd > 0):
            raise ValueError(f"mean must be finite and sd finite and > 0; got mean {mean!r}, sd {sd!r}")
        if not (math.isfinite(half_width) and half_width > 0):
            raise ValueError(f"half_width must be finite and > 0, got {half_width!r}")
        t = np.linspace(-half_width, half_width, int(n_points))
        return cls(mean + sd * t, np.exp(-0.5 * t**2))


DEFAULT_QUADRATURE = Quadrature.normal()


# --- result ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Linking:
    """A linear transformation from a new calibration's scale to the base scale.

    ``theta_base = A * theta_new + B``.

    Attributes
    ----------
    A : float
        Slope, ``> 0``.
    B : float
        Intercept.
    method : str
        The method that produced the constants, one of :data:`LINKING_METHODS`
        (or ``"inverse of <method>"`` for :meth:`inverse`).
    criterion : float or None
        The minimised criterion at ``(A, B)`` for ``"haebara"`` and
        ``"stocking-lord"`` (standardised as in the module docstring);
        ``None`` for the moment methods.
    n_common : int
        Number of common items used.
    """

    A: float
    B: float
    method: str
    criterion: float | None = None
    n_common: int = 0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.A) and self.A > 0 and math.isfinite(self.B)):
            raise ValueError(f"linking constants must be finite with A > 0; got A = {self.A!r}, B = {self.B!r}")

    def transform_items(self, items: Any) -> Any:
        """Move item parameters from the new scale to the base scale.

        ``a / A``, ``A b + B``, ``c`` unchanged, and, when the parameter type
        has ``thresholds`` (polytomous items), ``A t + B`` (NaN padding stays
        NaN). Every other field is copied.

        Parameters
        ----------
        items : ItemParams
            Parameters on the new scale (any number of items, not only common ones).

        Returns
        -------
        ItemParams
            A new object of the same type, built through its constructor (so
            validated again).
        """
        if not (dataclasses.is_dataclass(items) and not isinstance(items, type)):
            raise TypeError(f"items must be an ItemParams, got {type(items).__name__}")
        params: Any = items  # any ItemParams-shaped dataclass: a, b and maybe thresholds
        changes: dict[str, Any] = {
            "a": np.asarray(params.a, dtype=np.float64) / self.A,
            "b": self.A * np.asarray(params.b, dtype=np.float64) + self.B,
        }
        thresholds = _thresholds(items)
        if thresholds is not None:
            changes["thresholds"] = self.A * thresholds + self.B  # NaN stays NaN
        return dataclasses.replace(items, **changes)

    @overload
    def transform_theta(self, theta: ArrayLike, se: None = None) -> FloatArray: ...

    @overload
    def transform_theta(self, theta: ArrayLike, se: ArrayLike) -> tuple[FloatArray, FloatArray]: ...

    def transform_theta(
        self, theta: ArrayLike, se: ArrayLike | None = None
    ) -> FloatArray | tuple[FloatArray, FloatArray]:
        """Move abilities (and their standard errors) from the new scale to the base scale.

        ``theta_base = A theta + B``; ``se_base = A se``.

        Parameters
        ----------
        theta : array_like
            Abilities on the new scale, any shape (``+-inf`` and NaN pass through).
        se : array_like, optional
            Their standard errors, same shape.

        Returns
        -------
        ndarray or (ndarray, ndarray)
            ``theta_base`` alone, or ``(theta_base, se_base)`` when ``se`` is given.
        """
        t = np.asarray(theta, dtype=np.float64)
        theta_base: FloatArray = self.A * t + self.B
        if se is None:
            return theta_base
        s = np.asarray(se, dtype=np.float64)
        if s.shape != t.shape:
            raise ValueError(f"se must have the shape of theta {t.shape}, got {s.shape}")
        se_base: FloatArray = self.A * s
        return theta_base, se_base

    def inverse(self) -> Linking:
        """The transformation back, base scale to new scale: ``A' = 1 / A``, ``B' = -B / A``."""
        return Linking(
            A=1.0 / self.A,
            B=-self.B / self.A,
            method=f"inverse of {self.method}",
            criterion=self.criterion,
            n_common=self.n_common,
        )


# --- input checks ---------------------------------------------------------------------


def _check_items(role: str, items: object) -> Any:
    if not isinstance(items, irt.ItemParams):
        raise TypeError(f"{role}_items must be ItemParams, got {type(items).__name__}")
    return items


def _index_vector(role: str, values: ArrayLike, n_items: int) -> IntArray:
    array = np.asarray(values)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise ValueError(f"common {role} indices must be a 1-D sequence of integers, got {values!r}")
    array = array.astype(np.intp)
    bad = np.flatnonzero((array < 0) | (array >= n_items))
    if bad.size:
        raise ValueError(
            f"common {role} index {int(array[bad[0]])} is out of range for {n_items} {role} items (indices are 0-based)"
        )
    unique, counts = np.unique(array, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"{role} item {int(unique[counts > 1][0])} is listed twice among the common items")
    return array


def _common_indices(base: Any, new: Any, common: tuple[ArrayLike, ArrayLike] | None) -> tuple[IntArray, IntArray]:
    if common is None:
        if base.n_items != new.n_items:
            raise ValueError(
                f"different numbers of common items: base has {base.n_items} items, new has {new.n_items}; "
                "pass common=(base_indices, new_indices) when the forms also have unique items"
            )
        index = np.arange(base.n_items, dtype=np.intp)
        return index, index.copy()
    try:
        base_spec, new_spec = common
    except (TypeError, ValueError):
        raise ValueError("common must be None or a pair (base_indices, new_indices)") from None
    base_index = _index_vector("base", base_spec, base.n_items)
    new_index = _index_vector("new", new_spec, new.n_items)
    if base_index.size != new_index.size:
        raise ValueError(
            f"different numbers of common items: {base_index.size} base indices, {new_index.size} new indices"
        )
    if base_index.size == 0:
        raise ValueError("linking needs at least one common item, got none")
    return base_index, new_index


def _check_finite(role: str, items: Any, index: IntArray) -> None:
    thresholds = _thresholds(items)
    # A polytomous item's location is its thresholds (checked with them); ``b`` matters otherwise.
    dichotomous = index if thresholds is None else index[~np.isfinite(thresholds[index]).any(axis=1)]
    for name in ("a", "b", "c"):
        listed = dichotomous if name == "b" else index
        values = np.asarray(getattr(items, name), dtype=np.float64)[listed]
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            item = int(listed[bad[0]])
            raise ValueError(f"{role} item {item}: {name} = {float(values[bad[0]])!r} is not finite")


def _locations(role: str, items: Any, index: IntArray) -> list[FloatArray]:
    """Location parameters of each listed item: its finite thresholds if it has any, else ``[b]``."""
    b = np.asarray(items.b, dtype=np.float64)
    thresholds = _thresholds(items)
    result = []
    for item in index:
        row = thresholds[item] if thresholds is not None else None
        if row is not None and np.isfinite(row).any():
            if np.isinf(row).any():
                raise ValueError(f"{role} item {int(item)}: thresholds {row.tolist()} hold an infinite value")
            result.append(row[np.isfinite(row)])
        else:
            if not math.isfinite(b[item]):
                raise ValueError(f"{role} item {int(item)}: b = {float(b[item])!r} is not finite")
            result.append(b[item : item + 1])
    return result


def _paired_locations(base: Any, new: Any, base_index: IntArray, new_index: IntArray) -> tuple[FloatArray, FloatArray]:
    base_locations = _locations("base", base, base_index)
    new_locations = _locations("new", new, new_index)
    for i, (lb, ln) in enumerate(zip(base_locations, new_locations, strict=True)):
        if lb.size != ln.size:
            raise ValueError(
                f"common pair {i} (base item {int(base_index[i])}, new item {int(new_index[i])}) has "
                f"{lb.size} location parameter(s) on the base form and {ln.size} on the new form"
            )
    return np.concatenate(base_locations), np.concatenate(new_locations)


def _check_quadrature(name: str, value: object) -> Quadrature:
    if value is None:
        return DEFAULT_QUADRATURE
    if isinstance(value, Quadrature):
        return value
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise ValueError(f"{name} must be a Quadrature or a pair (points, weights)")
    return Quadrature(value[0], value[1])


def _subset(items: Any, index: IntArray) -> Any:
    """The listed items only, as the same parameter type (every per-item field indexed)."""
    n = items.n_items
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(items):
        if not field.init:
            continue
        value = getattr(items, field.name)
        if isinstance(value, np.ndarray) and value.ndim >= 1 and value.shape[0] == n:
            changes[field.name] = value[index]
        elif isinstance(value, (list, tuple)) and len(value) == n:
            changes[field.name] = type(value)(value[int(i)] for i in index)
    return dataclasses.replace(items, **changes)


# --- the methods ----------------------------------------------------------------------


def _moment_constants(
    method: str, base: Any, new: Any, base_index: IntArray, new_index: IntArray, slope: float | None
) -> tuple[float, float]:
    loc_base, loc_new = _paired_locations(base, new, base_index, new_index)
    if slope is not None:
        A = slope
    elif method == "mean-mean":
        A = float(np.mean(np.asarray(new.a)[new_index]) / np.mean(np.asarray(base.a)[base_index]))
    else:
        if base_index.size < 2:
            raise ValueError(
                f"mean-sigma needs at least 2 common items, got {base_index.size} "
                f"(base item {int(base_index[0])}, new item {int(new_index[0])})"
            )
        for role, values, index in (("new", loc_new, new_index), ("base", loc_base, base_index)):
            spread = float(np.std(values))
            if spread <= 1e-12 * max(1.0, float(np.max(np.abs(values)))):
                raise ValueError(
                    f"mean-sigma: the b (location) values of the common {role} items "
                    f"{', '.join(str(int(i)) for i in index)} all equal {float(values[0])!r} (SD 0), "
                    "so the slope A is undefined; use mean-mean, haebara or stocking-lord"
                )
        # Population SDs; the ratio is the same with sample SDs.
        A = float(np.std(loc_base) / np.std(loc_new))
    B = float(np.mean(loc_base) - A * np.mean(loc_new))
    return A, B


def _curve_criterion(
    method: str,
    base: Any,
    new: Any,
    quadrature: Quadrature,
    new_quadrature: Quadrature,
    direction: str,
) -> Callable[[float, float], float]:
    """The criterion as a function of ``(A, B)``; ``base`` and ``new`` hold the common items only, paired."""
    n_common = base.n_items
    terms: list[tuple[FloatArray, FloatArray, Callable[[float, float], FloatArray]]] = []
    if direction in ("base", "symmetric"):
        q = quadrature
        target = _expected(q.points, base)

        def new_on_base(A: float, B: float, q: Quadrature = q) -> FloatArray:
            return _expected((q.points - B) / A, new)

        terms.append((q.weights, target, new_on_base))
    if direction in ("new", "symmetric"):
        q = new_quadrature
        target = _expected(q.points, new)

        def base_on_new(A: float, B: float, q: Quadrature = q) -> FloatArray:
            return _expected(A * q.points + B, base)

        terms.append((q.weights, target, base_on_new))

    def criterion(A: float, B: float) -> float:
        total = 0.0
        for weights, target, moved in terms:
            difference = target - moved(A, B)  # (n_points, n_common)
            if method == "haebara":
                total += float(weights @ np.einsum("qj,qj->q", difference, difference)) / n_common
            else:
                total += float(weights @ difference.sum(axis=1) ** 2)
        return total

    return criterion


def _minimise(
    criterion: Callable[[float, float], float], start: tuple[float, float], slope: float | None
) -> tuple[float, float, float]:
    if slope is not None:
        fixed = slope

        def objective_b(x: FloatArray) -> float:
            return criterion(fixed, float(x[0]))

        x0 = np.array([start[1]])
        result = optimize.minimize(
            objective_b, x0, method="Nelder-Mead", options={"xatol": 1e-11, "fatol": 1e-16, "maxiter": 4000}
        )
        if not result.success:
            raise RuntimeError(f"linking criterion minimisation did not converge: {result.message}")
        return fixed, float(result.x[0]), float(result.fun)

    def objective(x: FloatArray) -> float:
        A = float(x[0])
        if not A > 0:
            return math.inf
        return criterion(A, float(x[1]))

    x = np.array(start, dtype=np.float64)
    # Nelder-Mead is robust to the criterion's shape; a restart from the first
    # optimum rebuilds the simplex and removes the rare premature collapse.
    for _ in range(2):
        result = optimize.minimize(
            objective, x, method="Nelder-Mead", options={"xatol": 1e-11, "fatol": 1e-16, "maxiter": 4000}
        )
        if not result.success:
            raise RuntimeError(f"linking criterion minimisation did not converge: {result.message}")
        x = result.x
    return float(x[0]), float(x[1]), float(result.fun)


def link(
    base_items: irt.ItemParams,
    new_items: irt.ItemParams,
    method: str = "stocking-lord",
    *,
    common: tuple[ArrayLike, ArrayLike] | None = None,
    quadrature: Quadrature | tuple[ArrayLike, ArrayLike] | None = None,
    new_quadrature: Quadrature | tuple[ArrayLike, ArrayLike] | None = None,
    direction: str = "base",
    slope: float | None = None,
) -> Linking:
    """Find ``A, B`` with ``theta_base = A theta_new + B`` from common items.

    See the module docstring for the four methods and their formulas.

    Parameters
    ----------
    base_items : ItemParams
        Parameters calibrated on the base (bank, old form) scale.
    new_items : ItemParams
        Parameters calibrated on the new scale.
    method : {"stocking-lord", "haebara", "mean-sigma", "mean-mean"}
        Linking method.
    common : (sequence of int, sequence of int), optional
        ``(base_indices, new_indices)``: 0-based positions of the common items
        in each calibration, pair by pair. ``None`` means the two objects hold
        the same items in the same order (all of them common).
    quadrature : Quadrature or (points, weights), optional
        The base group's ability distribution on the base scale, where the
        characteristic-curve criteria compare curves for ``direction`` ``"base"``
        and ``"symmetric"``. Default: :meth:`Quadrature.normal` (41 points on
        [-4, 4] with N(0, 1) weights). Pass a calibration's estimated latent
        distribution to weight by the base group.
    new_quadrature : Quadrature or (points, weights), optional
        The new group's distribution on the new scale, used for ``direction``
        ``"new"`` and ``"symmetric"``. Same default.
    direction : {"base", "new", "symmetric"}
        Scale(s) on which the characteristic curves are compared (ignored by
        the moment methods).
    slope : float, optional
        Fix ``A`` at this value and estimate ``B`` only (``slope=1`` for Rasch
        calibrations, whose discriminations carry no scale information).

    Returns
    -------
    Linking
        ``A``, ``B``, the method, the criterion value (characteristic-curve
        methods), and the number of common items. The characteristic-curve
        methods start from mean-sigma (mean-mean when mean-sigma is undefined)
        and minimise with Nelder-Mead to about 1e-10 in ``A`` and ``B``.

    Raises
    ------
    ValueError
        For an unknown method or direction; common index lists of different
        lengths, out of range, repeated or empty; ``common=None`` with
        different item counts; a non-finite parameter of a common item (named);
        mean-sigma with fewer than 2 common items or with all common ``b``
        equal (the items are named); a common pair whose items have different
        numbers of thresholds; an invalid quadrature or slope.
    TypeError
        If either item set is not an :class:`~scoring.irt.ItemParams`.

    Examples
    --------
    >>> base = ItemParams(a=[1.0, 1.2, 0.8], b=[-0.5, 0.0, 0.7])
    >>> new = Linking(A=1.25, B=0.1, method="given").inverse().transform_items(base)
    >>> linking = link(base, new, "stocking-lord")   # A = 1.25, B = 0.1
    >>> on_base = linking.transform_items(new)
    """
    if method not in LINKING_METHODS:
        raise ValueError(f"unknown linking method {method!r}; choose one of {', '.join(LINKING_METHODS)}")
    if direction not in LINKING_DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}; choose one of {', '.join(LINKING_DIRECTIONS)}")
    base = _check_items("base", base_items)
    new = _check_items("new", new_items)
    if slope is not None and not (isinstance(slope, (int, float)) and math.isfinite(slope) and slope > 0):
        raise ValueError(f"slope must be finite and > 0, got {slope!r}")
    fixed_slope = None if slope is None else float(slope)
    base_index, new_index = _common_indices(base, new, common)
    _check_finite("base", base, base_index)
    _check_finite("new", new, new_index)

    if method in _MOMENT_METHODS:
        A, B = _moment_constants(method, base, new, base_index, new_index, fixed_slope)
        return Linking(A=A, B=B, method=method, criterion=None, n_common=int(base_index.size))

    q_base = _check_quadrature("quadrature", quadrature)
    q_new = _check_quadrature("new_quadrature", new_quadrature)
    try:
        start = _moment_constants("mean-sigma", base, new, base_index, new_index, fixed_slope)
    except ValueError:
        start = _moment_constants("mean-mean", base, new, base_index, new_index, fixed_slope)
    criterion = _curve_criterion(method, _subset(base, base_index), _subset(new, new_index), q_base, q_new, direction)
    A, B, value = _minimise(criterion, start, fixed_slope)
    return Linking(A=A, B=B, method=method, criterion=value, n_common=int(base_index.size))
