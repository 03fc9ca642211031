"""Item response theory: dichotomous item models and ability estimation.

Conventions (the project's scoring contract): logistic metric
with scaling constant D = 1; ability ``theta`` is on the N(0, 1) scale unless
anchors say otherwise; response matrices are float arrays of shape
``(n_persons, n_items)`` holding 0, 1, or NaN for "not presented".

:class:`ItemParams` holds dichotomous (1PL/2PL/3PL) parameters. Polytomous
models (graded response, generalized partial credit) will get their own
parameter type carrying per-item threshold arrays; :func:`probability`,
:func:`information` and :func:`estimate_ability` will dispatch on the type of
their ``items`` argument, so the dichotomous signatures below stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, log_expit

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "Ability",
    "ItemParams",
    "estimate_ability",
    "information",
    "probability",
]

FloatArray = NDArray[np.float64]

#: Persons scored per block by :func:`estimate_ability`. With 60 items and 61
#: quadrature points a block needs about 25 MB of temporaries, whatever the
#: total number of persons.
DEFAULT_CHUNK_SIZE = 16_384

_SUPPORTED_METHODS = ("eap",)
_GRID_HALF_WIDTH = 6.0  # quadrature grid spans prior_mean +/- 6 prior_sd


def _item_vector(name: str, values: ArrayLike) -> FloatArray:
    try:
        array = np.array(values, dtype=np.float64)  # always a private copy
    except (TypeError, ValueError) as exc:
        raise ValueError(f"item parameter {name} must be numeric: {exc}") from None
    if array.ndim != 1:
        raise ValueError(f"item parameter {name} must be 1-D (one value per item), got shape {array.shape}")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        item = int(bad[0])
        raise ValueError(f"item {item}: {name} = {float(array[item])!r} is not finite")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False, init=False)
class ItemParams:
    """Dichotomous item parameters for the 3PL family (2PL when ``c`` is 0).

    Parameters
    ----------
    a : array_like, shape (n_items,)
        Discriminations, finite and ``> 0``.
    b : array_like, shape (n_items,)
        Difficulties (locations), finite.
    c : array_like, shape (n_items,), optional
        Lower asymptotes ("guessing"), ``0 <= c < 1``. Defaults to zeros.

    Raises
    ------
    ValueError
        If the arrays are not 1-D, differ in length, are empty, or hold a value
        outside its range; the message names the offending item index.

    Notes
    -----
    The arrays are stored as read-only float64 copies. Instances compare by
    identity (``eq=False``): compare the arrays themselves to test equality.
    """

    a: FloatArray
    b: FloatArray
    c: FloatArray

    def __init__(self, a: ArrayLike, b: ArrayLike, c: ArrayLike | None = None) -> None:
        a_arr = _item_vector("a", a)
        b_arr = _item_vector("b", b)
        c_arr = _item_vector("c", np.zeros(a_arr.shape) if c is None else c)
        if not a_arr.shape == b_arr.shape == c_arr.shape:
            raise ValueError(
                "item parameters a, b and c must have the same length; got "
                f"a: {a_arr.size}, b: {b_arr.size}, c: {c_arr.size}"
            )
        if a_arr.size == 0:
            raise ValueError("item parameters must describe at least one item")
        bad = np.flatnonzero(a_arr <= 0)
        if bad.size:
            item = int(bad[0])
            raise ValueError(f"item {item}: a = {float(a_arr[item])!r} must be > 0")
        bad = np.flatnonzero((c_arr < 0) | (c_arr >= 1))
        if bad.size:
            item = int(bad[0])
            raise ValueError(f"item {item}: c = {float(c_arr[item])!r} must satisfy 0 <= c < 1")
        object.__setattr__(self, "a", a_arr)
        object.__setattr__(self, "b", b_arr)
        object.__setattr__(self, "c", c_arr)

    @property
    def n_items(self) -> int:
        """Number of items."""
        return int(self.a.size)


def _as_theta(theta: ArrayLike) -> FloatArray:
    try:
        array = np.asarray(theta, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"theta must be numeric: {exc}") from None
    if np.isnan(array).any():
        index = tuple(int(i) for i in np.argwhere(np.isnan(array))[0])
        raise ValueError(f"theta is NaN at index {index}")
    return array


def _check_items(items: object) -> ItemParams:
    if not isinstance(items, ItemParams):
        raise TypeError(f"items must be ItemParams, got {type(items).__name__}")
    return items


def probability(theta: ArrayLike, items: ItemParams) -> FloatArray:
    """Probability of a correct response under the 3PL model (D = 1).

    .. math::

        P_j(\\theta) = c_j + \\frac{1 - c_j}{1 + \\exp(-a_j(\\theta - b_j))}

    computed with :func:`scipy.special.expit`, so it neither overflows nor
    warns for any finite or infinite ``theta``.

    Parameters
    ----------
    theta : array_like
        Abilities (persons or quadrature points), any shape, no NaN;
        ``+-inf`` gives the limits ``1`` and ``c``.
    items : ItemParams
        Item parameters for ``n_items`` items.

    Returns
    -------
    ndarray, shape ``theta.shape + (n_items,)``
        ``P[..., j]`` in ``(c_j, 1)``; a 1-D ``theta`` of ``n`` values gives an
        ``(n, n_items)`` matrix. In floating point the bounds are reached once
        ``|a_j (theta - b_j)|`` exceeds about 37.

    Raises
    ------
    ValueError
        If ``theta`` contains NaN.
    """
    items = _check_items(items)
    t = _as_theta(theta)
    z = items.a * (t[..., np.newaxis] - items.b)
    result: FloatArray = items.c + (1.0 - items.c) * expit(z)
    return result


def information(theta: ArrayLike, items: ItemParams) -> FloatArray:
    """Fisher information of each item under the 3PL model (D = 1).

    .. math::

        I_j(\\theta) = \\frac{P_j'(\\theta)^2}{P_j(\\theta)(1 - P_j(\\theta))}
                     = a_j^2 \\, \\frac{1 - P_j}{P_j}
                       \\left(\\frac{P_j - c_j}{1 - c_j}\\right)^2

    which reduces to :math:`a_j^2 P_j (1 - P_j)` for the 2PL (``c_j = 0``).
    Test information is the sum over the last axis; the standard error of a
    maximum-likelihood ability is ``1 / sqrt(test information)``.

    Parameters
    ----------
    theta : array_like
        Abilities, any shape, no NaN.
    items : ItemParams
        Item parameters for ``n_items`` items.

    Returns
    -------
    ndarray, shape ``theta.shape + (n_items,)``
        Item information, ``>= 0``; at most ``a_j^2 / 4`` (reached by the 2PL
        at ``theta = b_j``); tends to 0 as ``theta -> +-inf``.

    Raises
    ------
    ValueError
        If ``theta`` contains NaN.
    """
    items = _check_items(items)
    t = _as_theta(theta)
    z = items.a * (t[..., np.newaxis] - items.b)
    logistic = expit(z)
    logistic_complement = expit(-z)  # 1 - logistic without cancellation
    p = items.c + (1.0 - items.c) * logistic
    # logistic / P -> 1 when both underflow to 0 (only possible with c = 0).
    ratio = np.divide(logistic, p, out=np.ones_like(p), where=p > 0)
    result: FloatArray = items.a**2 * (1.0 - items.c) * logistic * logistic_complement * ratio
    return result


def _log_probabilities(theta: FloatArray, items: ItemParams) -> tuple[FloatArray, FloatArray]:
    """Return ``(log P, log(1 - P))``, each ``theta.shape + (n_items,)``, without underflow."""
    z = items.a * (theta[..., np.newaxis] - items.b)
    log_c = np.full(items.c.shape, -np.inf)
    np.log(items.c, out=log_c, where=items.c > 0)
    # log P = log(c + (1 - c) expit(z)); logaddexp(-inf, x) == x exactly for c = 0.
    log_p = np.logaddexp(log_c, np.log1p(-items.c) + log_expit(z))
    log_q = np.log1p(-items.c) + log_expit(-z)
    return log_p, log_q


@dataclass(frozen=True, eq=False)
class Ability:
    """Ability estimates with their standard errors.

    Unpacks as ``theta, se = ability``.

    Attributes
    ----------
    theta : ndarray, shape (n_persons,)
        Point estimates on the theta scale.
    se : ndarray, shape (n_persons,)
        Standard errors, ``> 0`` (for EAP: the posterior standard deviation).
    method : str
        The estimator that produced them, e.g. ``"eap"``.
    """

    theta: FloatArray
    se: FloatArray
    method: str

    def __post_init__(self) -> None:
        if self.theta.ndim != 1 or self.theta.shape != self.se.shape:
            raise ValueError(
                f"theta and se must be 1-D arrays of the same length; got shapes {self.theta.shape} and {self.se.shape}"
            )

    def __iter__(self) -> Iterator[FloatArray]:
        yield self.theta
        yield self.se


def _positive_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and value >= minimum:
        return int(value)
    raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _as_response_matrix(responses: ArrayLike, n_items: int) -> NDArray[np.generic]:
    matrix = np.asarray(responses)
    if matrix.ndim != 2:
        raise ValueError(f"responses must be 2-D (persons x items), got shape {matrix.shape}")
    if matrix.shape[1] != n_items:
        raise ValueError(f"responses has {matrix.shape[1]} item columns but items has {n_items} items")
    kind = matrix.dtype.kind
    if kind not in "biuf":
        raise ValueError(f"responses must be a numeric array of 0, 1 and NaN, got dtype {matrix.dtype}")
    return matrix


def estimate_ability(
    responses: ArrayLike,
    items: ItemParams,
    method: str = "eap",
    *,
    quadrature_points: int = 61,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Ability:
    """Estimate each person's ability and its standard error.

    Method ``"eap"`` (expected a posteriori) returns the posterior mean and the
    posterior standard deviation under a normal prior N(``prior_mean``,
    ``prior_sd``\\ :sup:`2`), integrated on a fixed grid of equally spaced
    points (a rectangle rule, as BILOG-style scoring does):

    .. math::

        \\theta_q &= \\mu + \\sigma t_q, \\quad
            t_q \\text{ equally spaced on } [-6, 6], \\quad
            w_q \\propto \\exp(-t_q^2 / 2), \\ \\textstyle\\sum_q w_q = 1 \\\\
        \\log L_i(\\theta) &= \\sum_{j \\text{ presented to } i}
            x_{ij} \\log P_j(\\theta) + (1 - x_{ij}) \\log(1 - P_j(\\theta)) \\\\
        \\hat\\theta_i &= \\frac{\\sum_q \\theta_q L_i(\\theta_q) w_q}
                               {\\sum_q L_i(\\theta_q) w_q}, \\qquad
        SE_i = \\sqrt{\\frac{\\sum_q (\\theta_q - \\hat\\theta_i)^2 L_i(\\theta_q) w_q}
                              {\\sum_q L_i(\\theta_q) w_q}}

    The log-likelihood of a block of persons at all grid points is two matrix
    products, ``X @ (log P - log(1-P)).T + presented @ log(1-P).T``, so the
    work is vectorised over persons and the memory is bounded by
    ``chunk_size``, not by ``n_persons``.

    Parameters
    ----------
    responses : array_like, shape (n_persons, n_items)
        Scored responses: 1 correct, 0 incorrect, NaN not presented. Integer
        and boolean arrays are accepted (they cannot mark "not presented").
    items : ItemParams
        Parameters of the ``n_items`` items, in column order.
    method : {"eap"}
        Estimator. Maximum a posteriori, maximum likelihood and weighted
        likelihood estimators are planned; any other value raises.
    quadrature_points : int, optional
        Number of grid points, ``>= 2``. The default 61 gives a spacing of
        0.2 prior standard deviations.
    prior_mean : float, optional
        Mean of the normal prior, finite.
    prior_sd : float, optional
        Standard deviation of the normal prior, finite and ``> 0``.
    chunk_size : int, optional
        Persons processed per block, ``>= 1``. Results do not depend on it
        beyond floating-point rounding.

    Returns
    -------
    Ability
        ``theta`` and ``se`` of shape ``(n_persons,)``, ``method="eap"``.
        ``theta`` lies within ``prior_mean +- 6 prior_sd``; ``se >= 0``.
        A person with no presented item (an all-NaN row) gets exactly
        ``theta = prior_mean`` and ``se = prior_sd``: with no data the
        posterior is the prior.

    Raises
    ------
    ValueError
        If ``method`` is not supported; if ``responses`` is not 2-D, has a
        column count different from ``items.n_items``, or holds a value other
        than 0, 1 or NaN (the message names the person row and item column);
        or if a keyword argument is out of range.
    TypeError
        If ``items`` is not an :class:`ItemParams`.

    Notes
    -----
    The rectangle rule is accurate while the posterior SD is well above the
    grid spacing (``12 prior_sd / (quadrature_points - 1)``, 0.2 by default).
    Measured against 401 points on 60-item 2PL tests: all discriminations
    1.5 (median SE 0.21) agree to 1e-7; all 3.5 (median SE 0.13) to about
    1e-3. Use more points for long, highly discriminating tests.

    Examples
    --------
    >>> items = ItemParams(a=[1.0, 1.2, 0.8], b=[-0.5, 0.0, 0.7])
    >>> theta, se = estimate_ability([[1, 1, 0], [0, float("nan"), 0]], items)
    """
    if method not in _SUPPORTED_METHODS:
        raise ValueError(f"unsupported method {method!r}; supported: {', '.join(_SUPPORTED_METHODS)}")
    items = _check_items(items)
    n_points = _positive_int("quadrature_points", quadrature_points, 2)
    block_size = _positive_int("chunk_size", chunk_size, 1)
    if not np.isfinite(prior_mean):
        raise ValueError(f"prior_mean must be finite, got {prior_mean!r}")
    if not (np.isfinite(prior_sd) and prior_sd > 0):
        raise ValueError(f"prior_sd must be finite and > 0, got {prior_sd!r}")
    matrix = _as_response_matrix(responses, items.n_items)

    # Standardised grid t; theta_q = prior_mean + prior_sd * t_q.
    grid = np.linspace(-_GRID_HALF_WIDTH, _GRID_HALF_WIDTH, n_points)
    log_prior = -0.5 * grid**2  # normalising constants cancel in the posterior
    log_p, log_q = _log_probabilities(prior_mean + prior_sd * grid, items)
    # (n_items, n_points), C-contiguous: a block (rows x n_items) @ these is the
    # fast shape for this BLAS (see FIELD-NOTES on transposed tall operands).
    weight_correct = np.ascontiguousarray((log_p - log_q).T)
    weight_presented = np.ascontiguousarray(log_q.T)
    log_q_total = log_q.sum(axis=1)
    # Columns: 1, t, t^2 -> posterior mass and first two moments in one product.
    moments_basis = np.ascontiguousarray(np.stack([np.ones_like(grid), grid, grid**2], axis=1))

    n_persons = matrix.shape[0]
    theta = np.empty(n_persons)
    se = np.empty(n_persons)
    for start in range(0, n_persons, block_size):
        stop = min(start + block_size, n_persons)
        block = matrix[start:stop].astype(np.float64, copy=False)
        missing = np.isnan(block)
        correct = np.where(missing, 0.0, block)
        invalid = (correct != 0.0) & (correct != 1.0)
        if invalid.any():
            row, column = (int(i) for i in np.argwhere(invalid)[0])
            raise ValueError(
                f"responses[{start + row}, {column}] = {float(block[row, column])!r} "
                f"(person row {start + row}, item column {column}): "
                "expected 0, 1 or NaN"
            )
        log_posterior = correct @ weight_correct
        if missing.any():
            presented = (~missing).astype(np.float64)
            log_posterior += presented @ weight_presented
        else:
            log_posterior += log_q_total
        log_posterior += log_prior
        log_posterior -= log_posterior.max(axis=1, keepdims=True)
        posterior = np.exp(log_posterior, out=log_posterior)
        moments = posterior @ moments_basis
        mean_t = moments[:, 1] / moments[:, 0]
        var_t = np.maximum(moments[:, 2] / moments[:, 0] - mean_t**2, 0.0)
        theta[start:stop] = prior_mean + prior_sd * mean_t
        se[start:stop] = prior_sd * np.sqrt(var_t)
        if missing.any():
            # No data: the posterior is the prior, exactly, not its grid approximation.
            unanswered = missing.all(axis=1)
            theta[start:stop][unanswered] = prior_mean
            se[start:stop][unanswered] = prior_sd
    theta.setflags(write=False)
    se.setflags(write=False)
    return Ability(theta=theta, se=se, method=method)
