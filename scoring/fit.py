"""Item and person fit for dichotomous IRT models.

Three statistics, all for 0/1 items under :class:`scoring.irt.ItemParams`
(1PL/2PL/3PL, D = 1), with :math:`P_{ij} = P_j(\\theta_i)` from
:func:`scoring.irt.probability`:

- :func:`item_fit`: infit and outfit mean squares of Wright & Masters (1982)
  with their Wilson-Hilferty *t* transforms, given person abilities;
- :func:`s_x2`: Orlando & Thissen's (2000) summed-score item fit S-X\\ :sup:`2`,
  which needs no ability estimates (it integrates over a normal population);
- :func:`person_fit`: the standardized log-likelihood :math:`l_z` of Drasgow,
  Levine & Williams (1985), plus person infit and outfit.

Responses are float arrays ``(n_persons, n_items)`` of 0, 1 and NaN (not
presented); a NaN cell is left out of every sum.

References
----------
Wright, B. D., & Masters, G. N. (1982). *Rating Scale Analysis*, ch. 5.
    Chicago: MESA Press.
Wright, B. D., & Linacre, J. M. (1994). Reasonable mean-square fit values.
    *Rasch Measurement Transactions*, 8(3), 370.
Drasgow, F., Levine, M. V., & Williams, E. A. (1985). Appropriateness
    measurement with polychotomous item response models and standardized
    indices. *British Journal of Mathematical and Statistical Psychology*,
    38, 67-86.
Orlando, M., & Thissen, D. (2000). Likelihood-based item-fit indices for
    dichotomous item response theory models. *Applied Psychological
    Measurement*, 24, 50-64.
Lord, F. M., & Wingersky, M. S. (1984). Comparison of IRT true-score and
    equipercentile observed-score "equatings". *Applied Psychological
    Measurement*, 8, 453-461.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats
from scipy.special import log_expit

from scoring.irt import ItemParams, probability

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ItemFit",
    "PersonFit",
    "SX2",
    "item_fit",
    "person_fit",
    "s_x2",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


# --- validation ----------------------------------------------------------------------------


_DICHOTOMOUS = ("rasch", "1pl", "2pl", "3pl")


def _check_items(items: object) -> ItemParams:
    if not isinstance(items, ItemParams):
        raise TypeError(f"items must be dichotomous ItemParams, got {type(items).__name__}")
    models = getattr(items, "model", None)  # per-item model names, where ItemParams carries them
    if models is not None:
        polytomous = np.flatnonzero(~np.isin(np.asarray(models), _DICHOTOMOUS))
        if polytomous.size:
            item = int(polytomous[0])
            raise ValueError(
                f"item {item}: model {str(np.asarray(models)[item])!r} is polytomous; "
                "these fit statistics are for dichotomous items"
            )
    return items


def _default_n_parameters(items: ItemParams) -> IntArray:
    """Estimated parameters per item: from the model name when known, else 3 if c > 0 else 2."""
    models = getattr(items, "model", None)
    if models is None:
        return np.where(items.c > 0, 3, 2).astype(np.int64)
    names = np.asarray(models)
    return np.select([np.isin(names, ("rasch", "1pl")), names == "3pl"], [1, 3], default=2).astype(np.int64)


def _response_matrix(responses: ArrayLike, n_items: int) -> NDArray[np.generic]:
    matrix = np.asarray(responses)
    if matrix.ndim != 2:
        raise ValueError(f"responses must be 2-D (persons x items), got shape {matrix.shape}")
    if matrix.shape[1] != n_items:
        raise ValueError(f"responses has {matrix.shape[1]} item columns but items has {n_items} items")
    if matrix.dtype.kind not in "biuf":
        raise ValueError(f"responses must be a numeric array of 0, 1 and NaN, got dtype {matrix.dtype}")
    return matrix


def _dichotomous_block(block: NDArray[np.generic], first_row: int) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Return ``(x, presented)`` for rows ``first_row ...``: x with NaN as 0, and the presented mask."""
    scores = block.astype(np.float64, copy=False)
    presented = ~np.isnan(scores)
    x = np.where(presented, scores, 0.0)
    invalid = (x != 0.0) & (x != 1.0)
    if invalid.any():
        row, column = (int(i) for i in np.argwhere(invalid)[0])
        row += first_row
        raise ValueError(
            f"responses[{row}, {column}] = {float(scores[row - first_row, column])!r} "
            f"(person row {row}, item column {column}): expected 0, 1 or NaN"
        )
    return x, presented


def _dichotomous(responses: ArrayLike, n_items: int) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Validate a whole matrix: ``(x, presented)``."""
    return _dichotomous_block(_response_matrix(responses, n_items), 0)


def _theta_vector(theta: ArrayLike, n_persons: int) -> FloatArray:
    try:
        values = np.asarray(theta, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"theta must be numeric: {exc}") from None
    if values.shape != (n_persons,):
        raise ValueError(f"theta must have shape ({n_persons},) (one ability per person), got {values.shape}")
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        person = int(bad[0])
        raise ValueError(f"person {person}: theta = {float(values[person])!r} is not finite")
    return values


# --- infit / outfit ------------------------------------------------------------------------


#: Persons processed per block by :func:`item_fit` and :func:`person_fit`; memory is
#: bounded by ``chunk_size x n_items``, not by ``n_persons``.
DEFAULT_CHUNK_SIZE = 16_384


def _residual_sums(
    x: FloatArray, p: FloatArray, presented: NDArray[np.bool_], axis: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Sums over ``axis`` of: count, z^2, y^2, W, C / W^2 and C - W^2 (missing cells excluded)."""
    mask = presented.astype(np.float64)
    variance = p * (1.0 - p)  # W = P Q
    kurtosis = variance * (1.0 - 3.0 * variance)  # C = E(x - P)^4 = P Q (P^3 + Q^3)
    residual2 = (x - p) ** 2 * mask
    with np.errstate(invalid="ignore", divide="ignore"):
        z2 = np.where(presented, residual2 / variance, 0.0)
        ratio = np.where(presented, kurtosis / variance**2, 0.0)
    return (
        mask.sum(axis=axis),
        z2.sum(axis=axis),
        residual2.sum(axis=axis),
        (variance * mask).sum(axis=axis),
        ratio.sum(axis=axis),
        ((kurtosis - variance**2) * mask).sum(axis=axis),
    )


def _mean_squares(
    n: FloatArray,
    sum_z2: FloatArray,
    sum_y2: FloatArray,
    sum_w: FloatArray,
    sum_ratio: FloatArray,
    sum_c_w2: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Outfit, infit and their Wilson-Hilferty t statistics from the residual sums."""
    with np.errstate(invalid="ignore", divide="ignore"):
        outfit = sum_z2 / n
        infit = sum_y2 / sum_w
        q_outfit = np.sqrt(np.maximum(sum_ratio / n**2 - 1.0 / n, 0.0))
        q_infit = np.sqrt(np.maximum(sum_c_w2 / sum_w**2, 0.0))
        outfit_t = (np.cbrt(outfit) - 1.0) * (3.0 / q_outfit) + q_outfit / 3.0
        infit_t = (np.cbrt(infit) - 1.0) * (3.0 / q_infit) + q_infit / 3.0
    return outfit, infit, outfit_t, infit_t


def _block_size(chunk_size: object) -> int:
    if isinstance(chunk_size, (int, np.integer)) and not isinstance(chunk_size, bool) and chunk_size >= 1:
        return int(chunk_size)
    raise ValueError(f"chunk_size must be an integer >= 1, got {chunk_size!r}")


def _freeze(*arrays: NDArray[np.generic]) -> None:
    for array in arrays:
        array.setflags(write=False)


@dataclass(frozen=True, eq=False)
class ItemFit:
    """Rasch-style residual item fit, one entry per item.

    Attributes
    ----------
    outfit : ndarray, shape (n_items,)
        Unweighted (outlier-sensitive) mean square, ``>= 0``, expected 1.
    infit : ndarray, shape (n_items,)
        Information-weighted mean square, ``>= 0``, expected 1.
    outfit_t, infit_t : ndarray, shape (n_items,)
        Wilson-Hilferty standardizations, approximately N(0, 1) under the model.
    n_responses : ndarray of int, shape (n_items,)
        Persons who answered the item.
    reasons : Mapping[int, str]
        For each item with NaN statistics, why.
    """

    outfit: FloatArray
    infit: FloatArray
    outfit_t: FloatArray
    infit_t: FloatArray
    n_responses: IntArray
    reasons: Mapping[int, str]


def item_fit(
    responses: ArrayLike, items: ItemParams, theta: ArrayLike, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> ItemFit:
    """Infit and outfit mean squares with their *t* statistics (Wright & Masters, 1982).

    With :math:`E_{ij} = P_j(\\theta_i)`, :math:`W_{ij} = P_{ij}(1 - P_{ij})`,
    :math:`C_{ij} = W_{ij}(1 - 3W_{ij})` (the fourth central moment of a 0/1
    score) and :math:`z_{ij} = (x_{ij} - E_{ij}) / \\sqrt{W_{ij}}`, summing over
    the :math:`N_j` persons who answered item *j*:

    .. math::

        u_j &= \\frac{1}{N_j}\\sum_i z_{ij}^2 \\quad\\text{(outfit)}, &
        q_{u_j}^2 &= \\frac{1}{N_j^2}\\sum_i \\frac{C_{ij}}{W_{ij}^2} - \\frac{1}{N_j} \\\\
        v_j &= \\frac{\\sum_i W_{ij} z_{ij}^2}{\\sum_i W_{ij}} \\quad\\text{(infit)}, &
        q_{v_j}^2 &= \\frac{\\sum_i (C_{ij} - W_{ij}^2)}{\\left(\\sum_i W_{ij}\\right)^2} \\\\
        t &= \\left(m^{1/3} - 1\\right)\\frac{3}{q} + \\frac{q}{3}
          \\quad\\text{(Wilson-Hilferty, for } m = u, v)

    Mean squares near 1 indicate fit; above 1, noise (unexpected responses);
    below 1, overfit (too predictable). :math:`|t| > 2` is the usual flag.

    Parameters
    ----------
    responses : array_like, shape (n_persons, n_items)
        0, 1 or NaN (not presented).
    items : ItemParams
        Item parameters, in column order.
    theta : array_like, shape (n_persons,)
        Finite ability of each person (for example EAP, WLE, or the true
        values in a simulation).
    chunk_size : int, optional
        Persons processed per block, ``>= 1``; results do not depend on it
        beyond rounding.

    Returns
    -------
    ItemFit
        NaN entries, with a reason, for an item nobody answered.

    Raises
    ------
    ValueError
        If ``responses`` is not 2-D with ``items.n_items`` columns, or holds
        a value other than 0, 1, NaN (naming person and item); if ``theta``
        has the wrong shape or a non-finite entry (naming the person).
    TypeError
        If ``items`` is not :class:`~scoring.irt.ItemParams`; ValueError if it
        holds a polytomous item (naming it).

    Notes
    -----
    The statistics treat ``theta`` as known. With estimated abilities, and
    especially with short tests, the mean squares are biased slightly below
    1 (the estimates absorb part of the residual); the *t* values are then
    conservative.
    """
    items = _check_items(items)
    matrix = _response_matrix(responses, items.n_items)
    t = _theta_vector(theta, matrix.shape[0])
    block = _block_size(chunk_size)
    sums = [np.zeros(items.n_items) for _ in range(6)]
    for start in range(0, matrix.shape[0], block):
        stop = min(start + block, matrix.shape[0])
        x, presented = _dichotomous_block(matrix[start:stop], start)
        for total, part in zip(sums, _residual_sums(x, probability(t[start:stop], items), presented, 0), strict=True):
            total += part
    n = sums[0]
    outfit, infit, outfit_t, infit_t = _mean_squares(*sums)
    reasons = {int(j): f"item {int(j)}: nobody answered the item" for j in np.flatnonzero(n == 0)}
    counts = n.astype(np.int64)
    _freeze(outfit, infit, outfit_t, infit_t, counts)
    return ItemFit(outfit, infit, outfit_t, infit_t, counts, MappingProxyType(reasons))


# --- person fit: lz ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PersonFit:
    """Person fit, one entry per person.

    Attributes
    ----------
    lz : ndarray, shape (n_persons,)
        Standardized log-likelihood; approximately N(0, 1) under the model,
        large negative values flag aberrant (unlikely) response patterns.
    log_likelihood : ndarray, shape (n_persons,)
        :math:`l_0`, the log-likelihood of the observed pattern at ``theta``.
    outfit, infit : ndarray, shape (n_persons,)
        Person outfit and infit mean squares (as in :func:`item_fit`, summed
        over the person's items).
    n_responses : ndarray of int, shape (n_persons,)
        Items the person answered.
    reasons : Mapping[int, str]
        For each person with NaN statistics, why.
    """

    lz: FloatArray
    log_likelihood: FloatArray
    outfit: FloatArray
    infit: FloatArray
    n_responses: IntArray
    reasons: Mapping[int, str]


def person_fit(
    responses: ArrayLike, items: ItemParams, theta: ArrayLike, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> PersonFit:
    """Standardized log-likelihood person fit :math:`l_z` (Drasgow, Levine & Williams, 1985).

    Over the items person *i* answered, with :math:`P_{ij} = P_j(\\theta_i)`,
    :math:`Q_{ij} = 1 - P_{ij}`:

    .. math::

        l_0 &= \\sum_j x_{ij}\\ln P_{ij} + (1 - x_{ij})\\ln Q_{ij} \\\\
        E(l_0) &= \\sum_j P_{ij}\\ln P_{ij} + Q_{ij}\\ln Q_{ij} \\\\
        \\operatorname{Var}(l_0) &= \\sum_j P_{ij} Q_{ij}\\left[\\ln\\frac{P_{ij}}{Q_{ij}}\\right]^2 \\\\
        l_z &= \\frac{l_0 - E(l_0)}{\\sqrt{\\operatorname{Var}(l_0)}}

    Logarithms are taken from the logit :math:`z = a(\\theta - b)` with
    :func:`scipy.special.log_expit` (:math:`\\ln Q = \\ln(1 - c) + \\ln\\sigma(-z)`),
    so extreme abilities neither overflow nor lose the tail; :math:`P` itself
    is :func:`scoring.irt.probability`.

    Parameters
    ----------
    responses : array_like, shape (n_persons, n_items)
        0, 1 or NaN (not presented).
    items : ItemParams
        Item parameters, in column order.
    theta : array_like, shape (n_persons,)
        Finite ability of each person.
    chunk_size : int, optional
        Persons processed per block, ``>= 1``.

    Returns
    -------
    PersonFit
        ``lz`` is NaN, with the reason recorded, for a person with no
        responses. It is computed for every other person, including perfect
        scores; note that with *estimated* abilities :math:`l_z` is not
        exactly standard normal (Snijders, 2001, gives a correction).

    Raises
    ------
    ValueError
        As :func:`item_fit`.
    TypeError
        If ``items`` is not :class:`~scoring.irt.ItemParams`; ValueError if it
        holds a polytomous item (naming it).
    """
    items = _check_items(items)
    matrix = _response_matrix(responses, items.n_items)
    n_persons = matrix.shape[0]
    t = _theta_vector(theta, n_persons)
    block = _block_size(chunk_size)
    log_c = np.full(items.c.shape, -np.inf)
    np.log(items.c, out=log_c, where=items.c > 0)
    log_1mc = np.log1p(-items.c)
    log_likelihood, expected, variance, n, outfit, infit = (np.empty(n_persons) for _ in range(6))
    for start in range(0, n_persons, block):
        rows = slice(start, min(start + block, n_persons))
        x, presented = _dichotomous_block(matrix[rows], start)
        p = probability(t[rows], items)
        logit = items.a * (t[rows, np.newaxis] - items.b)
        log_q = log_1mc + log_expit(-logit)
        log_p = np.logaddexp(log_c, log_1mc + log_expit(logit))
        q = np.exp(log_q)
        mask = presented.astype(np.float64)
        log_likelihood[rows] = (np.where(presented, x * log_p + (1.0 - x) * log_q, 0.0)).sum(axis=1)
        expected[rows] = (mask * (p * log_p + q * log_q)).sum(axis=1)
        variance[rows] = (mask * p * q * (log_p - log_q) ** 2).sum(axis=1)
        sums = _residual_sums(x, p, presented, axis=1)
        n[rows] = sums[0]
        outfit[rows], infit[rows], _, _ = _mean_squares(*sums)
    with np.errstate(invalid="ignore", divide="ignore"):
        lz = (log_likelihood - expected) / np.sqrt(variance)
    reasons: dict[int, str] = {}
    for i in np.flatnonzero(n == 0):
        reasons[int(i)] = f"person {int(i)}: no responses"
    for i in np.flatnonzero((n > 0) & ~(variance > 0)):
        reasons[int(i)] = (
            f"person {int(i)}: the log-likelihood has zero variance at theta: every answered item has P = 0.5 (or P at 0 or 1)"
        )
    lz = np.where(variance > 0, lz, np.nan)
    log_likelihood = np.where(n > 0, log_likelihood, np.nan)
    counts = n.astype(np.int64)
    _freeze(lz, log_likelihood, outfit, infit, counts)
    return PersonFit(lz, log_likelihood, outfit, infit, counts, MappingProxyType(reasons))


# --- S-X2 ----------------------------------------------------------------------------------


def _lord_wingersky(p: FloatArray) -> FloatArray:
    """Summed-score distribution given theta, for dichotomous items.

    ``p`` has shape ``(n_points, n_items)``; returns ``(n_points, n_items + 1)``
    with ``f[q, s] = Pr(sum of scores = s | theta_q)``, built one item at a time:
    :math:`f_{j}(s) = f_{j-1}(s) Q_j + f_{j-1}(s - 1) P_j`.
    """
    n_points, n_items = p.shape
    f = np.zeros((n_points, n_items + 1))
    f[:, 0] = 1.0
    for j in range(n_items):
        pj = p[:, j : j + 1]
        shifted = f[:, : j + 1] * pj
        f[:, : j + 1] *= 1.0 - pj
        f[:, 1 : j + 2] += shifted
    return f


@dataclass(frozen=True, eq=False)
class SX2:
    """Orlando-Thissen S-X2 item fit, one entry per item.

    Attributes
    ----------
    statistic : ndarray, shape (n_items,)
        S-X2, ``>= 0``.
    df : ndarray of int, shape (n_items,)
        Degrees of freedom: score groups after collapsing minus the number of
        item parameters.
    p_value : ndarray, shape (n_items,)
        Upper-tail chi-square probability.
    n_groups : ndarray of int, shape (n_items,)
        Score groups after collapsing.
    reasons : Mapping[int, str]
        For each item with NaN statistics, why.
    """

    statistic: FloatArray
    df: IntArray
    p_value: FloatArray
    n_groups: IntArray
    reasons: Mapping[int, str]


def s_x2(
    responses: ArrayLike,
    items: ItemParams,
    *,
    n_parameters: ArrayLike | None = None,
    min_expected: float = 1.0,
    quadrature_points: int = 61,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
) -> SX2:
    """Orlando & Thissen's (2000) summed-score item fit statistic S-X\\ :sup:`2`.

    Persons are grouped by summed score :math:`k = 1, \\dots, n - 1` (0 and *n*
    carry no information about an item). For item *j* the model-implied
    proportion correct in group *k* is

    .. math::

        E_{jk} = \\frac{\\int P_j(\\theta)\\, f_{-j}(k - 1 \\mid \\theta)\\, \\phi(\\theta)\\, d\\theta}
                      {\\int f(k \\mid \\theta)\\, \\phi(\\theta)\\, d\\theta}

    where :math:`f(k \\mid \\theta)` is the summed-score distribution of all
    items and :math:`f_{-j}` that without item *j*, both from the
    Lord-Wingersky (1984) recursion (implemented here, privately), and
    :math:`\\phi` the N(``prior_mean``, ``prior_sd``\\ :sup:`2`) density on a grid of
    ``quadrature_points`` equally spaced points over ``+-6`` SD. With
    :math:`N_k` persons in group *k* and :math:`O_{jk}` their observed
    proportion correct,

    .. math::

        S\\text{-}X^2_j = \\sum_k N_k \\frac{(O_{jk} - E_{jk})^2}{E_{jk}(1 - E_{jk})}
        \\sim \\chi^2_{G_j - m_j}

    Adjacent groups are merged from the low end up (the remainder joining the
    last group) until each has expected counts :math:`N E \\ge` ``min_expected``
    and :math:`N (1 - E) \\ge` ``min_expected``; merged groups pool
    :math:`N`, observed and expected counts.

    Parameters
    ----------
    responses : array_like, shape (n_persons, n_items)
        0/1, complete (S-X2 is defined on summed scores; NaN is rejected).
    items : ItemParams
        Item parameters, in column order; at least 2 items.
    n_parameters : array_like of int, shape (n_items,) or scalar, optional
        Estimated parameters per item, :math:`m_j`. Default: from the item's
        model name where :class:`~scoring.irt.ItemParams` records one
        (``"rasch"``/``"1pl"``: 1 -- the common slope is not counted per item --,
        ``"2pl"``: 2, ``"3pl"``: 3), otherwise 3 where ``c > 0`` and 2 elsewhere.
    min_expected : float, optional
        Minimum expected count per cell, ``> 0`` (Orlando & Thissen used 1).
    quadrature_points : int, optional
        Grid points, ``>= 2``.
    prior_mean, prior_sd : float, optional
        Population distribution of theta.

    Returns
    -------
    SX2
        NaN statistic and p-value, with the reason, when fewer than
        :math:`m_j + 1` groups remain (df would be ``<= 0``).

    Raises
    ------
    ValueError
        On invalid or incomplete ``responses`` (naming the person and item),
        fewer than 2 items, or out-of-range options.
    TypeError
        If ``items`` is not :class:`~scoring.irt.ItemParams`; ValueError if it
        holds a polytomous item (naming it).
    """
    items = _check_items(items)
    x, presented = _dichotomous(responses, items.n_items)
    if not presented.all():
        row, column = (int(i) for i in np.argwhere(~presented)[0])
        raise ValueError(
            f"responses[{row}, {column}] is NaN (person row {row}, item column {column}): "
            "S-X2 needs complete response patterns"
        )
    n_items = items.n_items
    if n_items < 2:
        raise ValueError(f"S-X2 needs at least 2 items, got {n_items}")
    if isinstance(quadrature_points, bool) or not isinstance(quadrature_points, (int, np.integer)):
        raise ValueError(f"quadrature_points must be an integer >= 2, got {quadrature_points!r}")
    if quadrature_points < 2:
        raise ValueError(f"quadrature_points must be an integer >= 2, got {quadrature_points!r}")
    if not (np.isfinite(min_expected) and min_expected > 0):
        raise ValueError(f"min_expected must be finite and > 0, got {min_expected!r}")
    if not np.isfinite(prior_mean):
        raise ValueError(f"prior_mean must be finite, got {prior_mean!r}")
    if not (np.isfinite(prior_sd) and prior_sd > 0):
        raise ValueError(f"prior_sd must be finite and > 0, got {prior_sd!r}")
    if n_parameters is None:
        m = _default_n_parameters(items)
    else:
        m_raw = np.broadcast_to(np.asarray(n_parameters), (n_items,))
        if m_raw.dtype.kind not in "iu" or (m_raw < 0).any():
            raise ValueError(f"n_parameters must be non-negative integers, got {n_parameters!r}")
        m = m_raw.astype(np.int64)

    grid = np.linspace(-6.0, 6.0, int(quadrature_points))
    weights = np.exp(-0.5 * grid**2)
    weights /= weights.sum()
    p = probability(prior_mean + prior_sd * grid, items)  # (Q, n)
    full = _lord_wingersky(p) * weights[:, np.newaxis]  # joint Pr(score, theta_q)
    score_probability = full.sum(axis=0)  # (n + 1,)

    total = x.sum(axis=1).astype(np.int64)
    n_at = np.bincount(total, minlength=n_items + 1).astype(np.float64)
    correct_at = np.zeros((n_items + 1, n_items))
    np.add.at(correct_at, total, x)

    statistic = np.full(n_items, np.nan)
    df = np.zeros(n_items, dtype=np.int64)
    groups_out = np.zeros(n_items, dtype=np.int64)
    reasons: dict[int, str] = {}
    inner = slice(1, n_items)  # summed scores 1 .. n-1
    for j in range(n_items):
        rest = _lord_wingersky(np.delete(p, j, axis=1))  # (Q, n)
        # Pr(item j correct and total k) = sum_q w_q P_j(theta_q) f_{-j}(k-1 | theta_q).
        joint = ((weights * p[:, j]) @ rest)[: n_items - 1]  # k = 1 .. n-1
        expected = joint / score_probability[inner]
        n_k = n_at[inner]
        observed = correct_at[inner, j]
        groups = _collapse(n_k, observed, n_k * expected, min_expected)
        n_g, o_g, e_g = groups
        groups_out[j] = n_g.size
        df[j] = n_g.size - m[j]
        if df[j] <= 0:
            reasons[j] = (
                f"item {j}: {n_g.size} score group(s) after collapsing for {int(m[j])} parameters; "
                "S-X2 has no degrees of freedom"
            )
            df[j] = 0
            continue
        e_prop = e_g / n_g
        statistic[j] = float(np.sum((o_g - e_g) ** 2 / (n_g * e_prop * (1.0 - e_prop))))
    p_value = np.where(df > 0, stats.chi2.sf(statistic, np.maximum(df, 1)), np.nan)
    _freeze(statistic, df, p_value, groups_out)
    return SX2(statistic, df, p_value, groups_out, MappingProxyType(reasons))


def _collapse(
    n_k: FloatArray, observed: FloatArray, expected: FloatArray, min_expected: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Merge adjacent score groups until expected correct and incorrect counts reach the minimum.

    Returns pooled ``(N, observed correct, expected correct)`` per group.
    Empty score groups (N = 0) are dropped first.
    """
    keep = n_k > 0
    n_k, observed, expected = n_k[keep], observed[keep], expected[keep]
    pooled: list[list[float]] = []
    current = [0.0, 0.0, 0.0]
    for n, o, e in zip(n_k, observed, expected, strict=True):
        current = [current[0] + n, current[1] + o, current[2] + e]
        if current[2] >= min_expected and current[0] - current[2] >= min_expected:
            pooled.append(current)
            current = [0.0, 0.0, 0.0]
    if current[0] > 0:
        if pooled:
            pooled[-1] = [a + b for a, b in zip(pooled[-1], current, strict=True)]
        else:
            pooled.append(current)
    if not pooled:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    array = np.array(pooled)
    return array[:, 0], array[:, 1], array[:, 2]
