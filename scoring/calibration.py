"""Item calibration by marginal maximum likelihood (Bock–Aitkin EM).

The model (D = 1): person ``i`` has ability ``theta_i ~ N(mu, sigma^2)`` and
answers item ``j`` correctly with probability

.. math::

    P_j(\\theta) = c_j + (1 - c_j) / (1 + \\exp(-a_j(\\theta - b_j))).

Internally every item is written on the *standardised* ability
``t = (theta - mu) / sigma ~ N(0, 1)`` in slope–intercept form,
``z_j(t) = alpha_j t + delta_j``, so that

.. math::

    a_j = \\alpha_j / \\sigma, \\qquad b_j = \\mu - \\delta_j \\sigma / \\alpha_j .

The quadrature grid in ``t`` and its weights never change; the latent mean and
SD enter only through items whose parameters are fixed on the ``theta`` scale
(anchors). This makes every cycle an exact EM step on a fixed discrete latent
distribution, so the marginal log-likelihood never decreases (tested).

E-step (vectorised over persons, one block of rows at a time):

.. math::

    \\log L_i(t_q) = \\sum_j x_{ij} \\log P_{jq} + m_{ij}(1 - x_{ij}) \\log(1 - P_{jq}),
    \\qquad \\pi_{iq} = \\frac{w_q L_i(t_q)}{\\sum_k w_k L_i(t_k)}

with ``m_ij = 1`` when item ``j`` was presented to person ``i``. Expected counts
``n_jq = sum_i m_ij pi_iq`` (presented) and ``r_jq = sum_i x_ij pi_iq``
(correct) are two matrix products.

Polytomous (GRM, GPCM) and mixed tests go through a general path described at
:class:`_Group`; standard errors there use the same XPD method.

M-step: Fisher scoring per item on
``sum_q r_jq log P_jq + (n_jq - r_jq) log(1 - P_jq) + log prior``, all items
at once (stacked 2x2 or 3x3 systems), with step halving so that the expected
complete-data log-posterior never decreases. Models are dispatched through
:data:`_MSTEP` so that polytomous families can be added per item later.

This module imports numpy and scipy only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit, log_expit, logit, logsumexp, ndtri

from scoring.irt import POLYTOMOUS_MODELS, ItemParams

__all__ = ["Calibration", "ItemStandardErrors", "calibrate", "quadrature_grid"]

FloatArray = NDArray[np.float64]
_S = TypeVar("_S")

SUPPORTED_MODELS = ("rasch", "1pl", "2pl", "3pl")
#: Every model name :func:`calibrate` accepts (polytomous and mixed tests use the general path).
ALL_MODELS = SUPPORTED_MODELS + ("grm", "gpcm")
#: Default prior on the lower asymptote for "3pl": Beta(5, 17), mode 0.2, mean 0.23.
DEFAULT_C_PRIOR = (5.0, 17.0)
#: Rows per E-step block; bounds the (rows x quadrature points) temporaries.
DEFAULT_CHUNK_SIZE = 65_536
_MAX_HALVINGS = 8
_SLOPE_BOUNDS = (1e-3, 50.0)  # alpha is clipped here; an estimate at a bound is reported
_INTERCEPT_BOUND = 60.0


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class ItemStandardErrors:
    """Standard errors of item parameters, shaped like :class:`ItemParams`.

    Attributes
    ----------
    a, b, c : ndarray, shape (n_items,)
        Standard errors of ``a``, ``b`` and ``c``. ``NaN`` where the parameter
        was not estimated: fixed by the model (``a`` under "rasch", ``c``
        except under "3pl"), by the anchors (``a`` of new items under
        anchored "rasch"/"1pl") or held fixed as an anchor. For a polytomous item
        ``b`` is the mean threshold and its SE is that of the mean.
    thresholds : ndarray, shape (n_items, max_categories - 1)
        Standard errors of the polytomous thresholds, NaN-padded exactly like
        ``ItemParams.thresholds`` (all NaN for dichotomous items and anchors).
    """

    a: FloatArray
    b: FloatArray
    c: FloatArray
    thresholds: FloatArray


@dataclass(frozen=True, eq=False)
class Calibration:
    """Result of :func:`calibrate`.

    Attributes
    ----------
    items : ItemParams
        Estimated parameters on the ``theta`` scale (anchors unchanged).
    se : ItemStandardErrors
        Standard errors (see ``se_method``); all NaN when ``se_method="none"``.
    loglik : float
        Marginal log-likelihood at the estimates (quadrature approximation,
        prior terms excluded), summed over the persons used.
    log_posterior : float
        ``loglik`` plus the log prior densities of the item parameters.
    converged : bool
        Whether the largest parameter change fell below ``tol`` before ``max_iter``.
    iterations : int
        EM cycles run (each SQUAREM cycle counts its three EM steps).
    latent_mean, latent_sd : float
        Mean and SD of the ability distribution. Fixed at 0 and 1 except for
        "rasch" (SD estimated) and anchored calibrations (both estimated).
    latent_mean_se, latent_sd_se : float
        Their standard errors, NaN when fixed.
    loglik_trace : ndarray
        Marginal log-likelihood at the start of each EM step.
    model : str
    se_method : str
    n_persons : int
        Persons used (rows with at least one presented item).
    dropped_persons : ndarray of int
        Row indices without any presented item; they carry no information and
        are left out (their likelihood is constant).
    """

    items: ItemParams
    se: ItemStandardErrors
    loglik: float
    log_posterior: float
    converged: bool
    iterations: int
    latent_mean: float
    latent_sd: float
    latent_mean_se: float
    latent_sd_se: float
    loglik_trace: FloatArray
    model: str
    se_method: str
    n_persons: int
    dropped_persons: NDArray[np.intp]


# --------------------------------------------------------------------------- quadrature


def quadrature_grid(kind: str = "rectangle", points: int = 41) -> tuple[FloatArray, FloatArray]:
    """Nodes and weights for integrating over a standard normal ability.

    Parameters
    ----------
    kind : {"rectangle", "gauss-hermite"}
        ``"rectangle"``: ``points`` equally spaced nodes on ``[-6, 6]`` with
        weights proportional to the normal density (the BILOG-style rule, the
        same grid :func:`scoring.estimate_ability` uses). ``"gauss-hermite"``:
        Gauss–Hermite nodes for the weight ``exp(-t^2/2)``.
    points : int
        Number of nodes, ``>= 5``.

    Returns
    -------
    nodes, weights : ndarray, shape (points,)
        Weights are positive and sum to 1.
    """
    if not isinstance(points, (int, np.integer)) or isinstance(points, bool) or points < 5:
        raise ValueError(f"quadrature_points must be an integer >= 5, got {points!r}")
    if kind == "rectangle":
        nodes = np.linspace(-6.0, 6.0, int(points))
        weights = np.exp(-0.5 * nodes**2)
    elif kind == "gauss-hermite":
        nodes, weights = np.polynomial.hermite_e.hermegauss(int(points))
    else:
        raise ValueError(f"unknown quadrature {kind!r}; use 'rectangle' or 'gauss-hermite'")
    return np.asarray(nodes, dtype=np.float64), np.asarray(weights / weights.sum(), dtype=np.float64)


# --------------------------------------------------------------------------- state


@dataclass
class _State:
    """Parameters on the standardised scale; ``c`` is 0 for items without a lower asymptote."""

    alpha: FloatArray  # (J,)
    delta: FloatArray  # (J,)
    c: FloatArray  # (J,)
    mu: float
    sigma: float

    def copy(self) -> _State:
        return _State(self.alpha.copy(), self.delta.copy(), self.c.copy(), self.mu, self.sigma)


@dataclass(frozen=True)
class _Spec:
    """What is free: the model, anchors and priors."""

    model: str
    n_items: int
    free: NDArray[np.bool_]  # items whose parameters are estimated
    anchor_a: FloatArray  # theta-scale parameters of anchors (0 elsewhere)
    anchor_b: FloatArray
    anchor_c: FloatArray
    latent_free: bool  # mu and sigma estimated through anchors
    c_prior: tuple[float, float] | None
    a_prior: tuple[float, float] | None
    nodes: FloatArray
    log_weights: FloatArray
    #: Anchored "rasch"/"1pl": the anchors' common slope, which the new items share
    #: (their ``alpha = common_a * sigma`` follows the latent SD; only intercepts are free).
    common_a: float | None = None

    @property
    def tied(self) -> bool:
        return self.common_a is not None

    @property
    def has_anchors(self) -> bool:
        return bool((~self.free).any())

    @property
    def estimates_c(self) -> bool:
        return self.model == "3pl"


def _apply_anchors(state: _State, spec: _Spec) -> None:
    """Anchors' standardised parameters follow from (mu, sigma): alpha = a sigma, delta = a (mu - b).

    With a common anchor slope ("rasch"/"1pl"), the new items' slopes follow too:
    ``alpha = common_a * sigma``.
    """
    if spec.has_anchors:
        fixed = ~spec.free
        state.alpha[fixed] = spec.anchor_a[fixed] * state.sigma
        state.delta[fixed] = spec.anchor_a[fixed] * (state.mu - spec.anchor_b[fixed])
        state.c[fixed] = spec.anchor_c[fixed]
    if spec.common_a is not None:
        state.alpha[spec.free] = spec.common_a * state.sigma


# --------------------------------------------------------------------------- response function pieces


def _node_terms(alpha: FloatArray, delta: FloatArray, c: FloatArray, nodes: FloatArray) -> dict[str, FloatArray]:
    """Per item and node (J, Q): log P, log(1 - P) and the stable pieces of the derivatives."""
    z = alpha[:, None] * nodes[None, :] + delta[:, None]
    s = expit(z)
    s_bar = expit(-z)  # 1 - s without cancellation
    cc = c[:, None]
    p = cc + (1.0 - cc) * s
    log_q = np.log1p(-cc) + log_expit(-z)
    with np.errstate(divide="ignore"):
        log_c = np.log(cc)
    log_p = np.logaddexp(log_c, np.log1p(-cc) + log_expit(z))
    return {"z": z, "s": s, "s_bar": s_bar, "p": p, "log_p": log_p, "log_q": log_q}


def _expected_loglik(terms: dict[str, FloatArray], r: FloatArray, n: FloatArray) -> FloatArray:
    """Expected complete-data log-likelihood of each item, shape (J,)."""
    result: FloatArray = (r * terms["log_p"] + (n - r) * terms["log_q"]).sum(axis=1)
    return result


def _log_prior_items(alpha: FloatArray, c: FloatArray, spec: _Spec, sigma: float) -> FloatArray:
    """Log prior density of each free item's parameters (constants dropped), shape (J,)."""
    out = np.zeros(alpha.shape)
    if spec.a_prior is not None:
        mean, sd = spec.a_prior
        log_a = np.log(alpha / sigma)
        out -= log_a + 0.5 * ((log_a - mean) / sd) ** 2
    if spec.estimates_c and spec.c_prior is not None:
        pa, pb = spec.c_prior
        out += (pa - 1.0) * np.log(c) + (pb - 1.0) * np.log1p(-c)
    out[~spec.free] = 0.0
    return out


# --------------------------------------------------------------------------- E-step


@dataclass
class _Data:
    correct: FloatArray  # (N, J) 1 where correct, 0 otherwise (also where missing)
    presented: FloatArray | None  # (N, J) 1 where presented; None when nothing is missing
    chunk: int

    @property
    def n_persons(self) -> int:
        return int(self.correct.shape[0])

    def blocks(self) -> Any:
        for start in range(0, self.n_persons, self.chunk):
            stop = min(start + self.chunk, self.n_persons)
            presented = None if self.presented is None else self.presented[start:stop]
            yield self.correct[start:stop], presented


def _posterior_block(
    x: FloatArray, m: FloatArray | None, terms: dict[str, FloatArray], log_weights: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Posterior over nodes (rows x Q) and each row's log marginal likelihood."""
    log_p, log_q = terms["log_p"], terms["log_q"]
    # (J, Q) right operands, C-contiguous: rows @ (J, Q) is the fast product shape here.
    log_like = x @ np.ascontiguousarray(log_p - log_q)
    if m is None:
        log_like += log_q.sum(axis=0) + log_weights
    else:
        log_like += m @ log_q
        log_like += log_weights
    peak = log_like.max(axis=1, keepdims=True)
    np.subtract(log_like, peak, out=log_like)
    post = np.exp(log_like, out=log_like)
    total = post.sum(axis=1, keepdims=True)
    post /= total
    return post, (peak[:, 0] + np.log(total[:, 0]))


def _e_step(state: _State, spec: _Spec, data: _Data) -> tuple[FloatArray, FloatArray, float]:
    """Expected counts r (correct) and n (presented), both (J, Q), and the marginal log-likelihood."""
    terms = _node_terms(state.alpha, state.delta, state.c, spec.nodes)
    n_nodes = spec.nodes.size
    r = np.zeros((spec.n_items, n_nodes))
    n = np.zeros((spec.n_items, n_nodes))
    loglik = 0.0
    for x, m in data.blocks():
        post, log_marginal = _posterior_block(x, m, terms, spec.log_weights)
        loglik += float(log_marginal.sum())
        # (post.T @ x).T rather than x.T @ post: see FIELD-NOTES on tall transposed operands.
        r += (post.T @ x).T
        if m is None:
            n += post.sum(axis=0)[None, :]
        else:
            n += (post.T @ m).T
    return r, n, loglik


# --------------------------------------------------------------------------- M-step


def _item_gradient_fisher(
    terms: dict[str, FloatArray], c: FloatArray, r: FloatArray, n: FloatArray, nodes: FloatArray, with_c: bool
) -> tuple[FloatArray, FloatArray]:
    """Gradient (J, k) and Fisher information (J, k, k) in (alpha, delta[, logit c]).

    With ``P = c + (1 - c) s``, ``s = expit(z)``:
    ``dl/dz = (r - nP) s / P``, ``E[-d2l/dz2] = n (1 - c) s^2 (1 - s) / P``,
    ``dl/dgamma = (r - nP) c / P`` for ``gamma = logit c``, and so on; for
    ``c = 0`` these reduce to the 2PL's ``r - nP`` and ``n s (1 - s)``.
    """
    s, s_bar, p = terms["s"], terms["s_bar"], terms["p"]
    cc = c[:, None]
    resid = r - n * p
    u_z = resid * s / p
    w_zz = n * (1.0 - cc) * s * s * s_bar / p
    t = nodes[None, :]
    grads = [(u_z * t).sum(axis=1), u_z.sum(axis=1)]
    fisher_rows = [
        [(w_zz * t * t).sum(axis=1), (w_zz * t).sum(axis=1)],
        [(w_zz * t).sum(axis=1), w_zz.sum(axis=1)],
    ]
    if with_c:
        g_c = (resid * cc / p).sum(axis=1)
        w_zc = n * s * s_bar * cc * (1.0 - cc) / p
        w_cc = n * s_bar * cc * cc * (1.0 - cc) / p
        grads.append(g_c)
        a_c = (w_zc * t).sum(axis=1)
        d_c = w_zc.sum(axis=1)
        fisher_rows[0].append(a_c)
        fisher_rows[1].append(d_c)
        fisher_rows.append([a_c, d_c, w_cc.sum(axis=1)])
    grad = np.stack(grads, axis=1)
    fisher = np.stack([np.stack(row, axis=1) for row in fisher_rows], axis=1)
    return grad, fisher


def _prior_gradient_fisher(
    alpha: FloatArray, c: FloatArray, spec: _Spec, sigma: float, k: int
) -> tuple[FloatArray, FloatArray]:
    """Gradient and (positive) curvature of the log priors in the same coordinates."""
    grad = np.zeros((alpha.size, k))
    fisher = np.zeros((alpha.size, k, k))
    if spec.a_prior is not None:
        mean, sd = spec.a_prior
        log_a = np.log(alpha / sigma)
        grad[:, 0] += -(1.0 + (log_a - mean) / sd**2) / alpha
        fisher[:, 0, 0] += 1.0 / (sd**2 * alpha**2)
    if k == 3 and spec.c_prior is not None:
        pa, pb = spec.c_prior
        grad[:, 2] += (pa - 1.0) * (1.0 - c) - (pb - 1.0) * c
        fisher[:, 2, 2] += (pa + pb - 2.0) * c * (1.0 - c)
    return grad, fisher


def _clip_state(alpha: FloatArray, delta: FloatArray, c: FloatArray | None = None) -> None:
    np.clip(alpha, *_SLOPE_BOUNDS, out=alpha)
    np.clip(delta, -_INTERCEPT_BOUND, _INTERCEPT_BOUND, out=delta)
    if c is not None:
        np.clip(c, 1e-6, 1.0 - 1e-6, out=c)


def _mstep_free_slopes(state: _State, spec: _Spec, r: FloatArray, n: FloatArray, newton_steps: int) -> None:
    """2PL / 3PL: one independent (alpha, delta[, logit c]) problem per free item."""
    with_c = spec.estimates_c
    k = 3 if with_c else 2
    idx = np.flatnonzero(spec.free)
    if idx.size == 0:
        return
    rr, nn = r[idx], n[idx]
    alpha, delta, c = state.alpha[idx].copy(), state.delta[idx].copy(), state.c[idx].copy()

    def objective(al: FloatArray, de: FloatArray, cc: FloatArray) -> FloatArray:
        terms = _node_terms(al, de, cc, spec.nodes)
        sub = _sub_spec(spec, idx)
        return _expected_loglik(terms, rr, nn) + _log_prior_items(al, cc, sub, state.sigma)

    current = objective(alpha, delta, c)
    for _ in range(newton_steps):
        terms = _node_terms(alpha, delta, c, spec.nodes)
        grad, fisher = _item_gradient_fisher(terms, c, rr, nn, spec.nodes, with_c)
        g_prior, f_prior = _prior_gradient_fisher(alpha, c, _sub_spec(spec, idx), state.sigma, k)
        grad += g_prior
        fisher += f_prior
        fisher += 1e-9 * np.eye(k)  # keeps a singular item (no information) solvable
        step = np.linalg.solve(fisher, grad[:, :, None])[:, :, 0]
        # Cap a step's size: far from the optimum Fisher scoring can overshoot.
        step *= np.minimum(1.0, 2.0 / np.maximum(np.abs(step).max(axis=1), 1e-300))[:, None]
        scale = np.ones(idx.size)
        accepted = np.zeros(idx.size, dtype=bool)
        new_alpha, new_delta, new_c = alpha, delta, c
        for _ in range(_MAX_HALVINGS):
            trial_alpha = alpha + scale * step[:, 0]
            trial_delta = delta + scale * step[:, 1]
            trial_c = expit(logit(c) + scale * step[:, 2]) if with_c else c
            _clip_state(trial_alpha, trial_delta, trial_c if with_c else None)
            value = objective(trial_alpha, trial_delta, trial_c)
            better = (value >= current - 1e-12) & ~accepted
            new_alpha = np.where(better, trial_alpha, new_alpha)
            new_delta = np.where(better, trial_delta, new_delta)
            new_c = np.where(better, trial_c, new_c)
            current = np.where(better, value, current)
            accepted |= better
            if accepted.all():
                break
            scale = np.where(accepted, scale, scale / 2.0)
        converged = (
            np.abs(new_alpha - alpha).max(initial=0.0) < 1e-8 and np.abs(new_delta - delta).max(initial=0.0) < 1e-8
        )
        alpha, delta, c = new_alpha, new_delta, new_c
        if converged:
            break
    state.alpha[idx], state.delta[idx], state.c[idx] = alpha, delta, c


def _mstep_common_slope(state: _State, spec: _Spec, r: FloatArray, n: FloatArray, newton_steps: int) -> None:
    """1PL / Rasch: one common alpha and one delta per item (arrowhead Fisher matrix)."""
    idx = np.flatnonzero(spec.free)
    rr, nn = r[idx], n[idx]
    alpha = float(state.alpha[idx][0])
    delta = state.delta[idx].copy()
    zeros = np.zeros(idx.size)

    def objective(al: float, de: FloatArray) -> float:
        return float(_expected_loglik(_node_terms(np.full(idx.size, al), de, zeros, spec.nodes), rr, nn).sum())

    current = objective(alpha, delta)
    for _ in range(newton_steps):
        terms = _node_terms(np.full(idx.size, alpha), delta, zeros, spec.nodes)
        grad, fisher = _item_gradient_fisher(terms, zeros, rr, nn, spec.nodes, with_c=False)
        g_a = grad[:, 0].sum()
        g_d = grad[:, 1]
        f_aa = fisher[:, 0, 0].sum()
        f_ad = fisher[:, 0, 1]
        f_dd = fisher[:, 1, 1] + 1e-9
        # Schur complement of the diagonal delta block.
        schur = f_aa - (f_ad**2 / f_dd).sum()
        step_a = (g_a - (f_ad * g_d / f_dd).sum()) / schur
        step_d = (g_d - f_ad * step_a) / f_dd
        biggest = max(abs(step_a), float(np.abs(step_d).max()))
        shrink = min(1.0, 2.0 / biggest) if biggest > 0 else 1.0
        scale = shrink
        moved = False
        for _ in range(_MAX_HALVINGS):
            trial_a = float(np.clip(alpha + scale * step_a, *_SLOPE_BOUNDS))
            trial_d = np.clip(delta + scale * step_d, -_INTERCEPT_BOUND, _INTERCEPT_BOUND)
            value = objective(trial_a, trial_d)
            if value >= current - 1e-12:
                moved = abs(trial_a - alpha) > 1e-10 or float(np.abs(trial_d - delta).max()) > 1e-10
                alpha, delta, current = trial_a, trial_d, value
                break
            scale /= 2.0
        if not moved:
            break
    state.alpha[idx] = alpha
    state.delta[idx] = delta


def _mstep_latent(state: _State, spec: _Spec, r: FloatArray, n: FloatArray, newton_steps: int) -> None:
    """Anchored calibration: (mu, log sigma) from the anchors' expected counts.

    Anchor ``j`` has ``z = a_j (mu + sigma t - b_j)``, so ``dz/dmu = a_j`` and
    ``dz/dlog sigma = a_j sigma t``; the same scoring pieces as the items'.

    With a common slope ("rasch"/"1pl" anchors) the new items' slopes depend on sigma
    as well, so they join this step with their current ``b`` held fixed, and their
    intercepts follow afterwards (a conditional maximisation: the expected
    complete-data log-likelihood cannot decrease).
    """
    if spec.common_a is not None:
        idx = np.arange(spec.n_items)
        a = np.where(spec.free, spec.common_a, spec.anchor_a)
        b = np.where(spec.free, state.mu - state.delta / np.where(spec.free, spec.common_a, 1.0), spec.anchor_b)
        c = np.where(spec.free, 0.0, spec.anchor_c)
    else:
        idx = np.flatnonzero(~spec.free)
        a, b, c = spec.anchor_a[idx], spec.anchor_b[idx], spec.anchor_c[idx]
    rr, nn = r[idx], n[idx]

    def pieces(mu: float, sigma: float) -> dict[str, FloatArray]:
        return _node_terms(a * sigma, a * (mu - b), c, spec.nodes)

    mu, sigma = state.mu, state.sigma
    current = float(_expected_loglik(pieces(mu, sigma), rr, nn).sum())
    for _ in range(newton_steps):
        terms = pieces(mu, sigma)
        grad, fisher = _item_gradient_fisher(terms, c, rr, nn, spec.nodes, with_c=False)
        # Chain rule from (alpha_j, delta_j) = (a_j sigma, a_j (mu - b_j)) to (mu, log sigma).
        jac = np.zeros((idx.size, 2, 2))  # d(alpha, delta)/d(mu, log sigma)
        jac[:, 0, 1] = a * sigma
        jac[:, 1, 0] = a
        g = np.einsum("jk,jkl->l", grad, jac)
        f = np.einsum("jkl,jkm,jmn->ln", jac, fisher, jac) + 1e-9 * np.eye(2)
        step = np.linalg.solve(f, g)
        step *= min(1.0, 1.0 / max(float(np.abs(step).max()), 1e-300))
        scale = 1.0
        moved = False
        for _ in range(_MAX_HALVINGS):
            trial_mu = mu + scale * step[0]
            trial_sigma = sigma * float(np.exp(scale * step[1]))
            value = float(_expected_loglik(pieces(trial_mu, trial_sigma), rr, nn).sum())
            if value >= current - 1e-12:
                moved = abs(trial_mu - mu) > 1e-10 or abs(trial_sigma - sigma) > 1e-10
                mu, sigma, current = trial_mu, trial_sigma, value
                break
            scale /= 2.0
        if not moved:
            break
    state.mu, state.sigma = mu, sigma
    if spec.common_a is not None:
        state.delta[spec.free] = (a * (mu - b))[spec.free]
    _apply_anchors(state, spec)


def _mstep_intercepts(state: _State, spec: _Spec, r: FloatArray, n: FloatArray, newton_steps: int) -> None:
    """Anchored "rasch"/"1pl": the slopes are fixed by the anchors, one intercept per new item."""
    idx = np.flatnonzero(spec.free)
    if idx.size == 0:
        return
    rr, nn = r[idx], n[idx]
    alpha, delta, zeros = state.alpha[idx].copy(), state.delta[idx].copy(), np.zeros(idx.size)

    def objective(de: FloatArray) -> FloatArray:
        return _expected_loglik(_node_terms(alpha, de, zeros, spec.nodes), rr, nn)

    current = objective(delta)
    for _ in range(newton_steps):
        terms = _node_terms(alpha, delta, zeros, spec.nodes)
        grad, fisher = _item_gradient_fisher(terms, zeros, rr, nn, spec.nodes, with_c=False)
        step = grad[:, 1] / (fisher[:, 1, 1] + 1e-9)
        step = np.clip(step, -2.0, 2.0)
        scale = np.ones(idx.size)
        accepted = np.zeros(idx.size, dtype=bool)
        new_delta = delta
        for _ in range(_MAX_HALVINGS):
            trial = np.clip(delta + scale * step, -_INTERCEPT_BOUND, _INTERCEPT_BOUND)
            value = objective(trial)
            better = (value >= current - 1e-12) & ~accepted
            new_delta = np.where(better, trial, new_delta)
            current = np.where(better, value, current)
            accepted |= better
            if accepted.all():
                break
            scale = np.where(accepted, scale, scale / 2.0)
        moved = float(np.abs(new_delta - delta).max())
        delta = new_delta
        if moved < 1e-8:
            break
    state.delta[idx] = delta


def _sub_spec(spec: _Spec, idx: NDArray[np.intp]) -> _Spec:
    return _Spec(
        model=spec.model,
        n_items=idx.size,
        free=np.ones(idx.size, dtype=bool),
        anchor_a=spec.anchor_a[idx],
        anchor_b=spec.anchor_b[idx],
        anchor_c=spec.anchor_c[idx],
        latent_free=spec.latent_free,
        c_prior=spec.c_prior,
        a_prior=spec.a_prior,
        nodes=spec.nodes,
        log_weights=spec.log_weights,
        common_a=spec.common_a,
    )


#: M-step per item family. A polytomous family (GRM, GPCM) adds an entry here
#: plus its node terms; items of different families are updated independently.
_MSTEP: dict[str, Callable[[_State, _Spec, FloatArray, FloatArray, int], None]] = {
    "rasch": _mstep_common_slope,
    "1pl": _mstep_common_slope,
    "2pl": _mstep_free_slopes,
    "3pl": _mstep_free_slopes,
}


def _em_step(state: _State, spec: _Spec, data: _Data, newton_steps: int) -> tuple[_State, float]:
    """One EM cycle; returns the new state and the log-likelihood at the *input* state."""
    r, n, loglik = _e_step(state, spec, data)
    new = state.copy()
    if spec.latent_free:
        _mstep_latent(new, spec, r, n, newton_steps)
    mstep = _mstep_intercepts if spec.tied else _MSTEP[spec.model]
    mstep(new, spec, r, n, newton_steps)
    return new, loglik


# --------------------------------------------------------------------------- SQUAREM


def _pack(state: _State, spec: _Spec) -> FloatArray:
    free = spec.free
    parts = [state.delta[free]] if spec.tied else [state.alpha[free], state.delta[free]]
    if spec.estimates_c:
        parts.append(logit(state.c[free]))
    if spec.latent_free:
        parts.append(np.array([state.mu, np.log(state.sigma)]))
    return np.concatenate(parts)


def _unpack(vector: FloatArray, template: _State, spec: _Spec) -> _State:
    state = template.copy()
    free = spec.free
    k = int(free.sum())
    if spec.tied:
        state.delta[free] = vector[:k]
        pos = k
    else:
        state.alpha[free] = vector[:k]
        state.delta[free] = vector[k : 2 * k]
        pos = 2 * k
    if spec.estimates_c:
        state.c[free] = expit(vector[pos : pos + k])
        pos += k
    if spec.latent_free:
        state.mu, state.sigma = float(vector[pos]), float(np.exp(vector[pos + 1]))
    if spec.model in ("rasch", "1pl") and not spec.tied and k:
        state.alpha[free] = float(np.mean(state.alpha[free]))
    _clip_state(state.alpha, state.delta, state.c[free] if spec.estimates_c else None)
    if spec.estimates_c:
        state.c[free] = np.clip(state.c[free], 1e-6, 1.0 - 1e-6)
    _apply_anchors(state, spec)
    return state


def _log_prior_total(state: _State, spec: _Spec) -> float:
    return float(_log_prior_items(state.alpha, state.c, spec, state.sigma).sum())


def _change(old: _State, new: _State) -> float:
    return float(
        max(
            np.abs(new.alpha - old.alpha).max(),
            np.abs(new.delta - old.delta).max(),
            np.abs(new.c - old.c).max(),
            abs(new.mu - old.mu),
            abs(new.sigma - old.sigma),
        )
    )


class _Engine(Protocol[_S]):
    """What :func:`_run_em` needs from a model family: EM steps and a flat parameter vector."""

    def em_step(self, state: _S) -> tuple[_S, float]: ...

    def pack(self, state: _S) -> FloatArray: ...

    def unpack(self, vector: FloatArray, template: _S) -> _S: ...

    def log_prior(self, state: _S) -> float: ...

    def change(self, old: _S, new: _S) -> float: ...


@dataclass(frozen=True)
class _DichotomousEngine:
    """The single-model dichotomous path ("rasch", "1pl", "2pl", "3pl")."""

    spec: _Spec
    data: _Data
    newton_steps: int

    def em_step(self, state: _State) -> tuple[_State, float]:
        return _em_step(state, self.spec, self.data, self.newton_steps)

    def pack(self, state: _State) -> FloatArray:
        return _pack(state, self.spec)

    def unpack(self, vector: FloatArray, template: _State) -> _State:
        return _unpack(vector, template, self.spec)

    def log_prior(self, state: _State) -> float:
        return _log_prior_total(state, self.spec)

    def change(self, old: _State, new: _State) -> float:
        return _change(old, new)


def _run_em(
    state: _S, engine: _Engine[_S], *, tol: float, max_iter: int, acceleration: str
) -> tuple[_S, bool, int, list[float]]:
    trace: list[float] = []
    iterations = 0
    if acceleration == "none":
        while iterations < max_iter:
            new, loglik = engine.em_step(state)
            iterations += 1
            trace.append(loglik)
            change = engine.change(state, new)
            state = new
            if change < tol:
                return state, True, iterations, trace
        return state, False, iterations, trace

    # SQUAREM (Varadhan & Roland 2008, scheme S3) with a monotonicity fallback.
    while iterations < max_iter:
        x0 = engine.pack(state)
        s1, ll0 = engine.em_step(state)
        iterations += 1
        trace.append(ll0)
        if engine.change(state, s1) < tol:
            return s1, True, iterations, trace
        if iterations >= max_iter:
            return s1, False, iterations, trace
        s2, ll1 = engine.em_step(s1)
        iterations += 1
        trace.append(ll1)
        if engine.change(s1, s2) < tol:
            return s2, True, iterations, trace
        x1, x2 = engine.pack(s1), engine.pack(s2)
        r_vec = x1 - x0
        v_vec = x2 - 2.0 * x1 + x0
        v_norm = float(np.sqrt(v_vec @ v_vec))
        steplength = -float(np.sqrt(r_vec @ r_vec)) / v_norm if v_norm > 0 else -1.0
        steplength = min(steplength, -1.0)
        candidate = s2
        if steplength < -1.0 and iterations < max_iter:
            extrapolated = engine.unpack(x0 - 2.0 * steplength * r_vec + steplength**2 * v_vec, state)
            stabilised, ll_extra = engine.em_step(extrapolated)
            iterations += 1
            # Accept only if the extrapolated point beats the plain EM point's start (ll1 + prior).
            if np.isfinite(ll_extra) and ll_extra + engine.log_prior(extrapolated) >= ll1 + engine.log_prior(s1):
                trace.append(ll_extra)
                candidate = stabilised
        change = engine.change(state, candidate)
        state = candidate
        if change < tol:
            return state, True, iterations, trace
    return state, False, iterations, trace


# --------------------------------------------------------------------------- standard errors


def _se_vector(state: _State, spec: _Spec) -> FloatArray:
    """Free parameters in the coordinates the scores are taken in."""
    free = spec.free
    if spec.tied:
        parts = [state.delta[free]]
    elif spec.model in ("rasch", "1pl"):
        parts = [np.array([state.alpha[free][0]]), state.delta[free]]
    else:
        parts = [state.alpha[free], state.delta[free]]
        if spec.estimates_c:
            parts.append(logit(state.c[free]))
    if spec.latent_free:
        parts.append(np.array([state.mu, np.log(state.sigma)]))
    return np.concatenate(parts)


def _state_from_se_vector(vector: FloatArray, template: _State, spec: _Spec) -> _State:
    state = template.copy()
    free = spec.free
    k = int(free.sum())
    if spec.tied:
        state.delta[free] = vector[:k]
        pos = k
    elif spec.model in ("rasch", "1pl"):
        state.alpha[free] = vector[0]
        state.delta[free] = vector[1 : 1 + k]
        pos = 1 + k
    else:
        state.alpha[free] = vector[:k]
        state.delta[free] = vector[k : 2 * k]
        pos = 2 * k
        if spec.estimates_c:
            state.c[free] = expit(vector[pos : pos + k])
            pos += k
    if spec.latent_free:
        state.mu, state.sigma = float(vector[pos]), float(np.exp(vector[pos + 1]))
    _apply_anchors(state, spec)
    return state


def _reported(state: _State, spec: _Spec) -> FloatArray:
    """Reported parameters ``[a (J), b (J), c (J), latent mean, latent sd]``."""
    if spec.model == "rasch" and not spec.tied:
        # z = alpha t + delta with theta = alpha t: a = 1, b = -delta, latent SD = alpha.
        sd = float(state.alpha[spec.free][0])
        return np.concatenate([np.ones(spec.n_items), -state.delta, state.c, [0.0, sd]])
    a = state.alpha / state.sigma
    b = state.mu - state.delta * state.sigma / state.alpha
    fixed = ~spec.free
    a[fixed], b[fixed] = spec.anchor_a[fixed], spec.anchor_b[fixed]  # exactly as given
    if spec.common_a is not None:
        a[spec.free] = spec.common_a
    return np.concatenate([a, b, state.c, [state.mu, state.sigma]])


def _person_scores(state: _State, spec: _Spec, data: _Data, cross: bool) -> tuple[FloatArray, FloatArray | None]:
    """Per-person gradients of log L_i with respect to :func:`_se_vector`, accumulated per block.

    Returns their sum (P,) and, if ``cross``, the sum of their outer products (P, P);
    the (N, P) matrix of scores is never formed.

    For a presented item, ``d log f / dz = x (1-c) s (1-s) / P - (1 - x) s``
    and ``d log f / d logit(c) = x (1-s) c (1-c) / P - (1 - x) c``; each is
    averaged over person ``i``'s posterior at the nodes (Louis 1982: the
    observed-data score is the posterior mean of the complete-data score).
    """
    terms = _node_terms(state.alpha, state.delta, state.c, spec.nodes)
    s, s_bar, p = terms["s"], terms["s_bar"], terms["p"]
    cc = state.c[:, None]
    a_z = (1.0 - cc) * s * s_bar / p
    b_z = s
    t = spec.nodes[None, :]
    free = spec.free
    total: FloatArray | None = None
    product: FloatArray | None = None
    for x, m in data.blocks():
        post, _ = _posterior_block(x, m, terms, spec.log_weights)
        miss = (1.0 - x) if m is None else (m - x)

        def score(
            a_part: FloatArray, b_part: FloatArray, x: FloatArray = x, miss: FloatArray = miss, post: FloatArray = post
        ) -> FloatArray:
            # post (rows, Q) @ (Q, J): posterior means of the per-node factors.
            return x * (post @ np.ascontiguousarray(a_part.T)) - miss * (post @ np.ascontiguousarray(b_part.T))

        s_alpha = score(a_z * t, b_z * t)
        s_delta = score(a_z, b_z)
        cols: list[FloatArray] = []
        if spec.tied:
            cols.append(s_delta[:, free])
        elif spec.model in ("rasch", "1pl"):
            cols += [s_alpha[:, free].sum(axis=1, keepdims=True), s_delta[:, free]]
        else:
            cols += [s_alpha[:, free], s_delta[:, free]]
            if spec.estimates_c:
                cols.append(score(s_bar * cc * (1.0 - cc) / p, np.broadcast_to(cc, p.shape))[:, free])
        if spec.latent_free:
            anchor_a = np.where(free, 0.0, spec.anchor_a)
            cols.append((s_delta @ anchor_a)[:, None])
            # d alpha / d log sigma: anchors' a sigma, and the new items' common a sigma when tied.
            slope = anchor_a if spec.common_a is None else np.where(free, spec.common_a, spec.anchor_a)
            cols.append((s_alpha @ (slope * state.sigma))[:, None])
        scores = np.concatenate(cols, axis=1)
        block_sum = scores.sum(axis=0)
        total = block_sum if total is None else total + block_sum
        if cross:
            block_cross = scores.T @ scores
            product = block_cross if product is None else product + block_cross
    assert total is not None
    return total, product


def _prior_curvature(state: _State, spec: _Spec, size: int) -> tuple[FloatArray, FloatArray]:
    """Gradient and negative Hessian of the log prior in :func:`_se_vector` coordinates."""
    grad = np.zeros(size)
    curv = np.zeros((size, size))
    free = spec.free
    k = int(free.sum())
    if spec.model in ("rasch", "1pl") or k == 0:
        return grad, curv
    alpha, c = state.alpha[free], state.c[free]
    diag = np.arange(k)
    if spec.a_prior is not None:
        mean, sd = spec.a_prior
        log_a = np.log(alpha / state.sigma)
        grad[:k] = -(1.0 + (log_a - mean) / sd**2) / alpha
        # Exact: d2/dalpha2 of -log a - (log a - m)^2 / (2 sd^2).
        curv[diag, diag] = (-(1.0 + (log_a - mean) / sd**2) + 1.0 / sd**2) / alpha**2
    if spec.estimates_c and spec.c_prior is not None:
        pa, pb = spec.c_prior
        grad[2 * k + diag] = (pa - 1.0) * (1.0 - c) - (pb - 1.0) * c
        curv[2 * k + diag, 2 * k + diag] = (pa + pb - 2.0) * c * (1.0 - c)
    return grad, curv


def _information(state: _State, spec: _Spec, data: _Data, method: str) -> FloatArray:
    vector = _se_vector(state, spec)
    _, prior_curv = _prior_curvature(state, spec, vector.size)
    if method == "xpd":
        _, product = _person_scores(state, spec, data, cross=True)
        assert product is not None
        info: FloatArray = product + prior_curv
        return info

    # "hessian": central differences of the analytic observed-data score.
    def total_score(v: FloatArray) -> FloatArray:
        st = _state_from_se_vector(v, state, spec)
        g_prior, _ = _prior_curvature(st, spec, v.size)
        total: FloatArray = _person_scores(st, spec, data, cross=False)[0] + g_prior
        return total

    info = np.empty((vector.size, vector.size))
    for k in range(vector.size):
        h = 1e-5 * max(1.0, abs(vector[k]))
        up, down = vector.copy(), vector.copy()
        up[k] += h
        down[k] -= h
        info[:, k] = -(total_score(up) - total_score(down)) / (2.0 * h)
    return 0.5 * (info + info.T)


def _standard_errors(state: _State, spec: _Spec, data: _Data, method: str) -> FloatArray:
    """Standard errors of :func:`_reported`'s entries; NaN where not estimated."""
    n_out = 3 * spec.n_items + 2
    if method == "none":
        return np.full(n_out, np.nan)
    vector = _se_vector(state, spec)
    info = _information(state, spec, data, method)
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(info)
    # Delta method with a numerical Jacobian of the (cheap, smooth) reparameterisation.
    jac = np.empty((n_out, vector.size))
    for k in range(vector.size):
        h = 1e-6 * max(1.0, abs(vector[k]))
        up, down = vector.copy(), vector.copy()
        up[k] += h
        down[k] -= h
        jac[:, k] = (
            _reported(_state_from_se_vector(up, state, spec), spec)
            - _reported(_state_from_se_vector(down, state, spec), spec)
        ) / (2.0 * h)
    variance = np.einsum("ok,kl,ol->o", jac, cov, jac)
    se: FloatArray = np.sqrt(np.maximum(variance, 0.0))
    se[np.isnan(variance) | (variance < 0)] = np.nan
    # Parameters that do not depend on any free coordinate were not estimated.
    se[np.all(np.abs(jac) < 1e-12, axis=1)] = np.nan
    return se


# --------------------------------------------------------------------------- polytomous and mixed tests
#
# Every item is written on the standardised ability t in slope-intercept form with a
# parameter row per item (standardised scale; theta-scale values in brackets):
#
#   "2pl"  [alpha, delta]            z = alpha t + delta                 (a = alpha/sigma, b = mu - delta sigma/alpha)
#   "3pl"  [alpha, delta, logit c]   P = c + (1 - c) expit(z)
#   "grm"  [alpha, d_1..d_{K-1}]     P(X >= k) = expit(alpha t + d_k), d_1 > ... > d_{K-1}
#   "gpcm" [alpha, d_1..d_{K-1}]     P(X = k) ∝ exp(sum_{v <= k} (alpha t + d_v))
#
# with b_k = mu - d_k sigma / alpha for both polytomous families. Items of one model and
# number of categories form a group and are updated together (stacked Newton systems).

_GENERAL_MODELS = ("2pl", "3pl", "grm", "gpcm")
_SCORE_BLOCK = 8_192  # persons per block when forming per-person score vectors
_START_BLOCK = 4_096  # persons per block for input checks and start values (fixed: no chunk dependence)


@dataclass(frozen=True, eq=False)
class _Group:
    """Items sharing a model and a number of categories, all free or all anchors."""

    model: str
    n_cat: int
    items: NDArray[np.intp]  # response columns, (J,)
    cols: NDArray[np.intp]  # one-hot columns, (J, K)
    free: bool
    anchor: FloatArray | None  # anchors: theta-scale rows [a, b_1..b_{K-1}(, c)], (J, p)

    @property
    def n_params(self) -> int:
        return self.n_cat + (1 if self.model == "3pl" else 0)


@dataclass
class _GeneralState:
    params: list[FloatArray]  # one (J_g, p_g) array per group, standardised scale
    mu: float
    sigma: float

    def copy(self) -> _GeneralState:
        return _GeneralState([p.copy() for p in self.params], self.mu, self.sigma)


def _group_terms(model: str, theta: FloatArray, t: FloatArray, scores: bool) -> tuple[FloatArray, FloatArray | None]:
    """``log P(X = k)`` (J, Q, K) and, if asked, the scores ``d log P / d params`` (J, Q, K, p)."""
    alpha = theta[:, 0:1]  # (J, 1)
    if model in ("2pl", "3pl"):
        z = alpha * t[None, :] + theta[:, 1:2]
        if model == "2pl":
            logp = np.stack([log_expit(-z), log_expit(z)], axis=-1)
            if not scores:
                return logp, None
            s = expit(z)
            base = np.stack([-s, 1.0 - s], axis=-1)  # d log P_k / dz
            out = np.empty(z.shape + (2, 2))
            out[..., 0] = base * t[None, :, None]
            out[..., 1] = base
            return logp, out
        c = expit(theta[:, 2:3])
        log1m_c = np.log1p(-c)
        logp = np.stack([log1m_c + log_expit(-z), np.logaddexp(np.log(c), log1m_c + log_expit(z))], axis=-1)
        if not scores:
            return logp, None
        s, s_bar = expit(z), expit(-z)
        p1 = np.exp(logp[..., 1])
        dz1 = (1.0 - c) * s * s_bar / p1
        out = np.empty(z.shape + (2, 3))
        out[..., 0, 0], out[..., 0, 1], out[..., 0, 2] = -s * t[None, :], -s, np.broadcast_to(-c, z.shape)
        out[..., 1, 0], out[..., 1, 1], out[..., 1, 2] = dz1 * t[None, :], dz1, c * (1.0 - c) * s_bar / p1
        return logp, out
    d = theta[:, 1:]  # (J, K-1)
    n_cat = d.shape[1] + 1
    if model == "grm":
        z = alpha[:, :, None] * t[None, :, None] + d[:, None, :]  # (J, Q, K-1)
        log_s, log_1ms = log_expit(z), log_expit(-z)
        gap = d[:, :-1] - d[:, 1:]  # > 0 when ordered
        with np.errstate(divide="ignore", invalid="ignore"):
            log_gap = np.where(gap > 0, np.log(-np.expm1(-np.maximum(gap, 1e-300))), -np.inf)
        logp = np.empty(z.shape[:2] + (n_cat,))
        logp[..., 0] = log_1ms[..., 0]
        logp[..., 1:-1] = log_s[..., :-1] + log_1ms[..., 1:] + log_gap[:, None, :]
        logp[..., -1] = log_s[..., -1]
        if not scores:
            return logp, None
        log_w = log_s + log_1ms  # log dP*_k/dd_k
        out = np.zeros(logp.shape + (n_cat,))
        k = np.arange(1, n_cat)
        with np.errstate(over="ignore", invalid="ignore"):
            out[..., k, k] = np.exp(log_w - logp[..., 1:])  # category k, parameter d_k
            out[..., k - 1, k] = -np.exp(log_w - logp[..., :-1])  # category k-1, parameter d_k
        out[..., 0] = t[None, :, None] * out[..., 1:].sum(axis=-1)
        return logp, out
    # gpcm
    kk = np.arange(n_cat, dtype=np.float64)
    cum = np.concatenate([np.zeros((d.shape[0], 1)), np.cumsum(d, axis=1)], axis=1)  # (J, K)
    z = (alpha[:, :, None] * t[None, :, None]) * kk + cum[:, None, :]
    logp = z - logsumexp(z, axis=-1, keepdims=True)
    if not scores:
        return logp, None
    p = np.exp(logp)
    out = np.empty(logp.shape + (n_cat,))
    out[..., 0] = t[None, :, None] * (kk - (p * kk).sum(axis=-1, keepdims=True))
    tail = np.cumsum(p[..., ::-1], axis=-1)[..., ::-1][..., 1:]  # P(X >= v), v = 1..K-1
    step = (kk[:, None] >= kk[None, 1:]).astype(np.float64)  # (K, K-1): 1[v <= k]
    out[..., 1:] = step - tail[..., None, :]
    return logp, out


def _group_valid(model: str, theta: FloatArray) -> NDArray[np.bool_]:
    """Items whose parameters define a model (finite; GRM intercepts strictly decreasing)."""
    ok: NDArray[np.bool_] = np.asarray(np.isfinite(theta).all(axis=1))
    if model == "grm" and theta.shape[1] > 2:
        ok = ok & np.asarray((np.diff(theta[:, 1:], axis=1) < 0).all(axis=1))
    return ok


def _clip_group(model: str, theta: FloatArray) -> None:
    np.clip(theta[:, 0], *_SLOPE_BOUNDS, out=theta[:, 0])
    last = theta.shape[1] - (1 if model == "3pl" else 0)
    np.clip(theta[:, 1:last], -_INTERCEPT_BOUND, _INTERCEPT_BOUND, out=theta[:, 1:last])
    if model == "3pl":
        np.clip(theta[:, 2], -13.8, 13.8, out=theta[:, 2])


def _anchor_standardised(group: _Group, mu: float, sigma: float) -> FloatArray:
    """Standardised rows of anchors from their theta-scale rows: alpha = a sigma, d_k = a (mu - b_k)."""
    assert group.anchor is not None
    a = group.anchor[:, 0:1]
    out = np.empty_like(group.anchor)
    out[:, 0] = a[:, 0] * sigma
    last = group.n_cat
    out[:, 1:last] = a * (mu - group.anchor[:, 1:last])
    if group.model == "3pl":
        out[:, 2] = logit(group.anchor[:, 2])
    return out


@dataclass(frozen=True, eq=False)
class _GeneralEngine:
    """EM for any mix of 2PL, 3PL, GRM and GPCM items (free or anchored)."""

    groups: list[_Group]
    #: (N, J) one-hot column of each response (``offset_j + category``); ``n_cols`` (a dummy
    #: column whose log-probability is 0) where not presented. The dense one-hot matrix
    #: is built from this one block of persons at a time, so memory stays bounded.
    codes: NDArray[np.integer[Any]]
    n_items: int
    n_cols: int
    nodes: FloatArray
    log_weights: FloatArray
    latent_free: bool
    a_prior: tuple[float, float] | None
    c_prior: tuple[float, float] | None
    newton_steps: int
    chunk: int

    # -- pieces ---------------------------------------------------------------------------

    def apply_anchors(self, state: _GeneralState) -> None:
        for g, group in enumerate(self.groups):
            if not group.free:
                state.params[g] = _anchor_standardised(group, state.mu, state.sigma)

    def valid(self, state: _GeneralState) -> bool:
        return all(_group_valid(gr.model, p).all() for gr, p in zip(self.groups, state.params, strict=True)) and bool(
            np.isfinite(state.mu) and np.isfinite(state.sigma) and state.sigma > 0
        )

    def log_prob_matrix(self, state: _GeneralState) -> FloatArray:
        """``log P`` for every one-hot column and node, (C + 1, Q); 0 in the dummy (not presented) row."""
        lp = np.zeros((self.n_cols + 1, self.nodes.size))
        for group, theta in zip(self.groups, state.params, strict=True):
            logp, _ = _group_terms(group.model, theta, self.nodes, scores=False)
            lp[group.cols] = logp.transpose(0, 2, 1)
        return lp

    def onehot(self, start: int, stop: int) -> FloatArray:
        """Rows ``start:stop`` of the one-hot matrix, (rows, C + 1); the last column is the dummy."""
        block = self.codes[start:stop]
        y = np.zeros((block.shape[0], self.n_cols + 1))
        np.put_along_axis(y, block.astype(np.intp), 1.0, axis=1)
        return y

    def blocks(self, size: int | None = None) -> Any:
        n = self.codes.shape[0]
        step = self.chunk if size is None else size
        for start in range(0, n, step):
            yield self.onehot(start, min(start + step, n))

    def posterior(self, y: FloatArray, lp: FloatArray) -> tuple[FloatArray, FloatArray]:
        log_like = y @ lp
        log_like += self.log_weights
        peak = log_like.max(axis=1, keepdims=True)
        np.subtract(log_like, peak, out=log_like)
        post = np.exp(log_like, out=log_like)
        total = post.sum(axis=1, keepdims=True)
        post /= total
        return post, peak[:, 0] + np.log(total[:, 0])

    def e_step(self, state: _GeneralState) -> tuple[FloatArray, float]:
        """Expected counts per one-hot column and node (C, Q), and the marginal log-likelihood."""
        lp = np.ascontiguousarray(self.log_prob_matrix(state))
        counts = np.zeros((self.n_cols + 1, self.nodes.size))
        loglik = 0.0
        for y in self.blocks():
            post, log_marginal = self.posterior(y, lp)
            loglik += float(log_marginal.sum())
            counts += (post.T @ y).T  # see FIELD-NOTES on tall transposed operands
        return counts[: self.n_cols], loglik

    def prior(self, group: _Group, theta: FloatArray, sigma: float) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Log prior per item (J,), its gradient (J, p) and a positive curvature (J, p, p)."""
        n, p = theta.shape
        value, grad, curv = np.zeros(n), np.zeros((n, p)), np.zeros((n, p, p))
        if self.a_prior is not None:
            mean, sd = self.a_prior
            alpha = theta[:, 0]
            log_a = np.log(alpha / sigma)
            value -= log_a + 0.5 * ((log_a - mean) / sd) ** 2
            grad[:, 0] = -(1.0 + (log_a - mean) / sd**2) / alpha
            curv[:, 0, 0] = 1.0 / (sd**2 * alpha**2)
        if group.model == "3pl" and self.c_prior is not None:
            pa, pb = self.c_prior
            c = expit(theta[:, 2])
            value += (pa - 1.0) * np.log(c) + (pb - 1.0) * np.log1p(-c)
            grad[:, 2] = (pa - 1.0) * (1.0 - c) - (pb - 1.0) * c
            curv[:, 2, 2] = (pa + pb - 2.0) * c * (1.0 - c)
        return value, grad, curv

    def objective(self, group: _Group, theta: FloatArray, counts: FloatArray, sigma: float) -> FloatArray:
        """Expected complete-data log-posterior of each item (J,); -inf where invalid."""
        ok = _group_valid(group.model, theta)
        safe = np.where(ok[:, None], theta, _fallback_row(group))
        with np.errstate(divide="ignore", invalid="ignore"):
            logp, _ = _group_terms(group.model, safe, self.nodes, scores=False)
            value = (counts * logp).sum(axis=(1, 2)) + self.prior(group, safe, sigma)[0]
        return np.where(ok & np.isfinite(value), value, -np.inf)

    # -- M-step -----------------------------------------------------------------------------

    def mstep_group(self, group: _Group, theta: FloatArray, counts: FloatArray, sigma: float) -> FloatArray:
        """Fisher scoring with step halving on one group; counts (J, Q, K)."""
        n_person = counts.sum(axis=2)  # (J, Q)
        current = self.objective(group, theta, counts, sigma)
        p = theta.shape[1]
        for _ in range(self.newton_steps):
            logp, s = _group_terms(group.model, theta, self.nodes, scores=True)
            assert s is not None
            j = theta.shape[0]
            _, g_prior, c_prior = self.prior(group, theta, sigma)
            grad = np.einsum("jqk,jqkp->jp", counts, s) + g_prior
            weighted = (n_person[:, :, None] * np.exp(logp))[..., None] * s
            fisher = np.matmul(weighted.reshape(j, -1, p).transpose(0, 2, 1), s.reshape(j, -1, p))
            fisher += c_prior + 1e-9 * np.eye(p)
            step = np.linalg.solve(fisher, grad[:, :, None])[:, :, 0]
            step *= np.minimum(1.0, 2.0 / np.maximum(np.abs(step).max(axis=1), 1e-300))[:, None]
            scale = np.ones(j)
            accepted = np.zeros(j, dtype=bool)
            new = theta.copy()
            for _ in range(_MAX_HALVINGS):
                trial = theta + scale[:, None] * step
                _clip_group(group.model, trial)
                value = self.objective(group, trial, counts, sigma)
                better = (value >= current - 1e-12) & ~accepted
                new[better] = trial[better]
                current = np.where(better, value, current)
                accepted |= better
                if accepted.all():
                    break
                scale = np.where(accepted, scale, scale / 2.0)
            moved = float(np.abs(new - theta).max(initial=0.0))
            theta = new
            if moved < 1e-8:
                break
        return theta

    def latent_jacobian(self, group: _Group, sigma: float) -> FloatArray:
        """d(standardised row)/d(mu, log sigma) of anchors, (J, p, 2)."""
        assert group.anchor is not None
        a = group.anchor[:, 0]
        jac = np.zeros((a.size, group.n_params, 2))
        jac[:, 0, 1] = a * sigma
        jac[:, 1 : group.n_cat, 0] = a[:, None]
        return jac

    def mstep_latent(self, state: _GeneralState, counts: FloatArray) -> None:
        anchors = [(g, gr) for g, gr in enumerate(self.groups) if not gr.free]
        group_counts = [counts[gr.cols].transpose(0, 2, 1) for _, gr in anchors]

        def total(mu: float, sigma: float) -> float:
            value = 0.0
            for (_, gr), cnt in zip(anchors, group_counts, strict=True):
                logp, _ = _group_terms(gr.model, _anchor_standardised(gr, mu, sigma), self.nodes, scores=False)
                value += float((cnt * logp).sum())
            return value

        mu, sigma = state.mu, state.sigma
        current = total(mu, sigma)
        for _ in range(self.newton_steps):
            g_total, f_total = np.zeros(2), np.zeros((2, 2))
            for (_, gr), cnt in zip(anchors, group_counts, strict=True):
                theta = _anchor_standardised(gr, mu, sigma)
                logp, s = _group_terms(gr.model, theta, self.nodes, scores=True)
                assert s is not None
                jac = self.latent_jacobian(gr, sigma)
                g_items = np.einsum("jqk,jqkp->jp", cnt, s)
                weighted = (cnt.sum(axis=2)[:, :, None] * np.exp(logp))[..., None] * s
                f_items = np.einsum("jqkp,jqkr->jpr", weighted, s)
                g_total += np.einsum("jp,jpl->l", g_items, jac)
                f_total += np.einsum("jpl,jpr,jrm->lm", jac, f_items, jac)
            step = np.linalg.solve(f_total + 1e-9 * np.eye(2), g_total)
            step *= min(1.0, 1.0 / max(float(np.abs(step).max()), 1e-300))
            scale, moved = 1.0, False
            for _ in range(_MAX_HALVINGS):
                trial_mu, trial_sigma = mu + scale * step[0], sigma * float(np.exp(scale * step[1]))
                value = total(trial_mu, trial_sigma)
                if value >= current - 1e-12:
                    moved = abs(trial_mu - mu) > 1e-10 or abs(trial_sigma - sigma) > 1e-10
                    mu, sigma, current = trial_mu, trial_sigma, value
                    break
                scale /= 2.0
            if not moved:
                break
        state.mu, state.sigma = mu, sigma
        self.apply_anchors(state)

    # -- the _Engine protocol ---------------------------------------------------------------

    def em_step(self, state: _GeneralState) -> tuple[_GeneralState, float]:
        if not self.valid(state):
            return state, -np.inf
        counts, loglik = self.e_step(state)
        new = state.copy()
        if self.latent_free:
            self.mstep_latent(new, counts)
        for g, group in enumerate(self.groups):
            if group.free:
                cnt = counts[group.cols].transpose(0, 2, 1)  # (J, Q, K)
                new.params[g] = self.mstep_group(group, new.params[g], cnt, new.sigma)
        return new, loglik

    def pack(self, state: _GeneralState) -> FloatArray:
        parts = [p.ravel() for gr, p in zip(self.groups, state.params, strict=True) if gr.free]
        if self.latent_free:
            parts.append(np.array([state.mu, np.log(state.sigma)]))
        return np.concatenate(parts)

    def unpack(self, vector: FloatArray, template: _GeneralState, clip: bool = True) -> _GeneralState:
        state = template.copy()
        pos = 0
        for g, group in enumerate(self.groups):
            if group.free:
                size = state.params[g].size
                state.params[g] = vector[pos : pos + size].reshape(state.params[g].shape).copy()
                if clip:
                    _clip_group(group.model, state.params[g])
                pos += size
        if self.latent_free:
            state.mu, state.sigma = float(vector[pos]), float(np.exp(vector[pos + 1]))
        self.apply_anchors(state)
        return state

    def log_prior(self, state: _GeneralState) -> float:
        return float(
            sum(
                self.prior(gr, p, state.sigma)[0].sum()
                for gr, p in zip(self.groups, state.params, strict=True)
                if gr.free
            )
        )

    def change(self, old: _GeneralState, new: _GeneralState) -> float:
        biggest = max(abs(new.mu - old.mu), abs(new.sigma - old.sigma))
        for gr, p_old, p_new in zip(self.groups, old.params, new.params, strict=True):
            if gr.model == "3pl":  # compare c itself, as the dichotomous path does
                p_old, p_new = p_old.copy(), p_new.copy()
                p_old[:, 2], p_new[:, 2] = expit(p_old[:, 2]), expit(p_new[:, 2])
            biggest = max(biggest, float(np.abs(p_new - p_old).max(initial=0.0)))
        return biggest

    # -- standard errors ------------------------------------------------------------------

    def person_scores(self, state: _GeneralState, cross: bool) -> tuple[FloatArray, FloatArray | None]:
        """Per-person observed-data scores with respect to :meth:`pack`'s vector, accumulated.

        Returns their sum (P,) and, if ``cross``, the sum of their outer products (P, P)
        (the XPD information), one block of persons at a time: the (N, P) score matrix
        is never formed.
        """
        lp = np.ascontiguousarray(self.log_prob_matrix(state))
        terms = []
        for group, theta in zip(self.groups, state.params, strict=True):
            _, s = _group_terms(group.model, theta, self.nodes, scores=True)
            assert s is not None
            terms.append(np.ascontiguousarray(s.transpose(1, 0, 2, 3).reshape(self.nodes.size, -1)))
        total: FloatArray | None = None
        product: FloatArray | None = None
        for y in self.blocks(min(self.chunk, _SCORE_BLOCK)):
            post, _ = self.posterior(y, lp)
            cols: list[FloatArray] = []
            latent = np.zeros((y.shape[0], 2))
            for group, s_flat in zip(self.groups, terms, strict=True):
                j, k, p = group.items.size, group.n_cat, group.n_params
                expected = (post @ s_flat).reshape(-1, j, k, p)  # posterior mean score per category
                score = np.einsum("njk,njkp->njp", y[:, group.cols], expected)
                if group.free:
                    cols.append(score.reshape(-1, j * p))
                elif self.latent_free:
                    latent += np.einsum("njp,jpl->nl", score, self.latent_jacobian(group, state.sigma))
            if self.latent_free:
                cols.append(latent)
            scores = np.concatenate(cols, axis=1)
            block_sum = scores.sum(axis=0)
            total = block_sum if total is None else total + block_sum
            if cross:
                block_cross = scores.T @ scores
                product = block_cross if product is None else product + block_cross
        assert total is not None
        return total, product

    def prior_terms(self, state: _GeneralState) -> tuple[FloatArray, FloatArray]:
        """Gradient and positive curvature of the log prior in :meth:`pack` coordinates."""
        grads: list[FloatArray] = []
        blocks: list[FloatArray] = []
        for gr, p in zip(self.groups, state.params, strict=True):
            if not gr.free:
                continue
            _, g, c = self.prior(gr, p, state.sigma)
            if self.a_prior is not None:  # exact second derivative of the lognormal log density
                mean, sd = self.a_prior
                log_a = np.log(p[:, 0] / state.sigma)
                c[:, 0, 0] = (-(1.0 + (log_a - mean) / sd**2) + 1.0 / sd**2) / p[:, 0] ** 2
            grads.append(g.ravel())
            blocks.extend(c)
        if self.latent_free:
            grads.append(np.zeros(2))
            blocks.append(np.zeros((2, 2)))
        size = sum(b.shape[0] for b in blocks)
        curv = np.zeros((size, size))
        pos = 0
        for b in blocks:
            curv[pos : pos + b.shape[0], pos : pos + b.shape[0]] = b
            pos += b.shape[0]
        return np.concatenate(grads), curv

    def reported(self, state: _GeneralState, width: int) -> FloatArray:
        """``[a (J), b (J), c (J), thresholds (J * width), latent mean, latent sd]`` on the theta scale."""
        j = self.n_items
        a, b, c = np.zeros(j), np.zeros(j), np.zeros(j)
        thr = np.full((j, width), np.nan)
        for gr, p in zip(self.groups, state.params, strict=True):
            if not gr.free:
                assert gr.anchor is not None
                a[gr.items] = gr.anchor[:, 0]
                if gr.model in ("2pl", "3pl"):
                    b[gr.items] = gr.anchor[:, 1]
                    c[gr.items] = gr.anchor[:, 2] if gr.model == "3pl" else 0.0
                else:
                    thr[gr.items, : gr.n_cat - 1] = gr.anchor[:, 1:]
                    b[gr.items] = gr.anchor[:, 1:].mean(axis=1)
                continue
            alpha = p[:, 0]
            a[gr.items] = alpha / state.sigma
            locations = state.mu - p[:, 1 : gr.n_cat] * state.sigma / alpha[:, None]
            if gr.model in ("2pl", "3pl"):
                b[gr.items] = locations[:, 0]
                c[gr.items] = expit(p[:, 2]) if gr.model == "3pl" else 0.0
            else:
                thr[gr.items, : gr.n_cat - 1] = locations
                b[gr.items] = locations.mean(axis=1)
        return np.concatenate([a, b, c, thr.ravel(), [state.mu, state.sigma]])

    def standard_errors(self, state: _GeneralState, method: str, width: int) -> FloatArray:
        n_out = (3 + width) * self.n_items + 2
        if method == "none":
            return np.full(n_out, np.nan)
        vector = self.pack(state)
        prior_grad, prior_curv = self.prior_terms(state)
        if method == "xpd":
            _, cross = self.person_scores(state, cross=True)
            assert cross is not None
            info: FloatArray = cross + prior_curv
        else:
            info = np.empty((vector.size, vector.size))
            for k in range(vector.size):
                h = 1e-5 * max(1.0, abs(vector[k]))
                up, down = vector.copy(), vector.copy()
                up[k] += h
                down[k] -= h
                s_up, s_down = self.unpack(up, state, clip=False), self.unpack(down, state, clip=False)
                g_up = self.person_scores(s_up, cross=False)[0] + self.prior_terms(s_up)[0]
                g_down = self.person_scores(s_down, cross=False)[0] + self.prior_terms(s_down)[0]
                info[:, k] = -(g_up - g_down) / (2.0 * h)
            info = 0.5 * (info + info.T)
        del prior_grad
        try:
            cov = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            cov = np.linalg.pinv(info)
        jac = np.empty((n_out, vector.size))
        for k in range(vector.size):
            h = 1e-6 * max(1.0, abs(vector[k]))
            up, down = vector.copy(), vector.copy()
            up[k] += h
            down[k] -= h
            jac[:, k] = (
                self.reported(self.unpack(up, state, clip=False), width)
                - self.reported(self.unpack(down, state, clip=False), width)
            ) / (2.0 * h)
        jac = np.nan_to_num(jac, nan=0.0)
        variance = np.einsum("ok,kl,ol->o", jac, cov, jac)
        se: FloatArray = np.sqrt(np.maximum(variance, 0.0))
        se[np.isnan(variance) | (variance < 0)] = np.nan
        se[np.all(np.abs(jac) < 1e-12, axis=1)] = np.nan
        return se


def _fallback_row(group: _Group) -> FloatArray:
    """A valid parameter row, used only to evaluate (and then discard) invalid items safely."""
    row = np.zeros(group.n_params)
    row[0] = 1.0
    row[1 : group.n_cat] = -np.arange(group.n_cat - 1, dtype=np.float64)
    return row


# --------------------------------------------------------------------------- input checks and start


def _parse_model(model: object) -> str:
    if isinstance(model, str):
        name = model.lower()
    elif isinstance(model, Sequence) and len(model) > 0 and all(isinstance(m, str) for m in model):
        names = {m.lower() for m in model}
        if len(names) != 1:
            raise ValueError(
                f"per-item model lists with different models (mixed formats) are not supported yet; got {sorted(names)}"
            )
        name = names.pop()
    else:
        raise ValueError(f"model must be a string or a list of strings, got {model!r}")
    if name not in SUPPORTED_MODELS:
        raise ValueError(f"unknown model {name!r}; supported: {', '.join(ALL_MODELS)}")
    return name


def _check_responses(responses: ArrayLike) -> FloatArray:
    values = _check_response_matrix(responses)
    bad = ~(np.isnan(values) | (values == 0.0) | (values == 1.0))
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"responses[{row}, {column}] = {float(values[row, column])!r} "
            f"(person row {row}, item column {column}): expected 0, 1 or NaN"
        )
    return values


def _check_response_matrix(responses: ArrayLike) -> FloatArray:
    matrix = np.asarray(responses)
    if matrix.ndim != 2:
        raise ValueError(f"responses must be 2-D (persons x items), got shape {matrix.shape}")
    if matrix.dtype.kind not in "biuf":
        raise ValueError(f"responses must be a numeric array of 0, 1 and NaN, got dtype {matrix.dtype}")
    if matrix.shape[1] < 2:
        raise ValueError(f"calibration needs at least 2 items, got {matrix.shape[1]}")
    values: FloatArray = matrix.astype(np.float64, copy=False)
    if np.isinf(values).any():
        row, column = (int(i) for i in np.argwhere(np.isinf(values))[0])
        raise ValueError(f"responses[{row}, {column}] is infinite (person row {row}, item column {column})")
    return values


def _check_anchors(anchors: object, n_items: int, model: str) -> tuple[NDArray[np.intp], ItemParams] | None:
    if anchors is None:
        return None
    if not (isinstance(anchors, tuple) and len(anchors) == 2 and isinstance(anchors[1], ItemParams)):
        raise ValueError("anchors must be a tuple (item indices, ItemParams for those items)")
    raw = np.asarray(anchors[0])
    if raw.ndim != 1 or raw.dtype.kind not in "iu":
        raise ValueError(f"anchor indices must be a 1-D array of integers, got {anchors[0]!r}")
    index = raw.astype(np.intp)
    params: ItemParams = anchors[1]
    if index.size != params.n_items:
        raise ValueError(f"{index.size} anchor indices but the anchor ItemParams has {params.n_items} items")
    out_of_range = index[(index < 0) | (index >= n_items)]
    if out_of_range.size:
        raise ValueError(f"anchor index {int(out_of_range[0])} is out of range for {n_items} items")
    if np.unique(index).size != index.size:
        raise ValueError("anchor indices must be unique")
    return index, params


def _common_anchor_slope(index: NDArray[np.intp], params: ItemParams, model: str) -> float:
    """The one slope all anchors of a "rasch"/"1pl" calibration share (the new items get it too)."""
    a = np.asarray(params.a, dtype=np.float64)
    differs = np.flatnonzero(~np.isclose(a, a[0], rtol=1e-9, atol=0.0))
    if differs.size:
        k = int(differs[0])
        raise ValueError(
            f"item {int(index[k])}: anchor slope a = {float(a[k])!r} differs from a = {float(a[0])!r} of anchor "
            f"item {int(index[0])}; a {model!r} calibration needs one common a across its anchors "
            "(use '2pl' to keep different anchor slopes)"
        )
    return float(a[0])


def _check_positive_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= minimum:
        return int(value)
    raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _start_values(x: FloatArray, m: FloatArray | None, spec: _Spec) -> _State:
    """Crude but sensible starts from proportions correct and item–rest correlations."""
    presented = np.ones_like(x) if m is None else m
    count = presented.sum(axis=0)
    p = np.clip(x.sum(axis=0) / np.maximum(count, 1.0), 0.01, 0.99)
    # Item-rest correlation with the person's proportion correct on the other presented items.
    total, n_presented = x.sum(axis=1, keepdims=True), presented.sum(axis=1, keepdims=True)
    rest_n = n_presented - presented
    rest = np.divide(total - x, rest_n, out=np.zeros_like(x), where=rest_n > 0)
    w = presented * (rest_n > 0)
    wn = np.maximum(w.sum(axis=0), 1.0)
    mean_x, mean_r = (w * x).sum(axis=0) / wn, (w * rest).sum(axis=0) / wn
    cov = (w * (x - mean_x) * (rest - mean_r)).sum(axis=0) / wn
    var_x = (w * (x - mean_x) ** 2).sum(axis=0) / wn
    var_r = (w * (rest - mean_r) ** 2).sum(axis=0) / wn
    r_pb = np.divide(cov, np.sqrt(var_x * var_r), out=np.full_like(cov, 0.3), where=var_x * var_r > 0)
    # Point-biserial -> biserial -> normal-ogive slope -> logistic slope (x 1.702).
    r_bis = np.clip(r_pb * np.sqrt(p * (1 - p)) / (np.exp(-0.5 * ndtri(p) ** 2) / np.sqrt(2 * np.pi)), 0.05, 0.9)
    slope_normal = r_bis / np.sqrt(1.0 - r_bis**2)
    c = np.zeros(spec.n_items)
    if spec.estimates_c:
        pa, pb = spec.c_prior if spec.c_prior is not None else (2.0, 8.0)
        c[:] = (pa - 1.0) / (pa + pb - 2.0) if pa + pb > 2.0 else 0.1
        p = np.clip((p - c) / (1.0 - c), 0.02, 0.98)
    alpha = np.clip(1.702 * slope_normal, 0.3, 3.0)
    # P(correct) = Phi(delta_n / sqrt(1 + a_n^2)) under a normal ogive with N(0,1) ability.
    delta = 1.702 * ndtri(p) * np.sqrt(1.0 + slope_normal**2)
    if spec.model in ("rasch", "1pl"):
        alpha[:] = spec.common_a if spec.common_a is not None else float(np.mean(alpha[spec.free]))
        delta = logit(p) * np.sqrt(1.0 + (np.pi / 8.0) * alpha**2)
    state = _State(alpha=alpha, delta=delta, c=c, mu=0.0, sigma=1.0)
    _clip_state(state.alpha, state.delta)
    _apply_anchors(state, spec)
    return state


def _make_items(
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    name: str,
    spec: _Spec,
    anchor_info: tuple[NDArray[np.intp], ItemParams] | None,
) -> ItemParams:
    """Result parameters; per-item model names when :class:`ItemParams` carries them."""
    models = np.full(a.size, name, dtype=object)
    if anchor_info is not None:
        index, params = anchor_info
        anchor_models = getattr(params, "model", None)
        models[index] = "3pl" if anchor_models is None else np.asarray(anchor_models, dtype=object)
    return ItemParams(a=a, b=b, c=c, model=[str(m) for m in models])


def _general_names(model: object, n_items: int) -> list[str]:
    """Per-item model names for the general path, validated."""
    if isinstance(model, str):
        names = [model.lower()] * n_items
    elif isinstance(model, Sequence) and all(isinstance(m, str) for m in model):
        names = [m.lower() for m in model]
        if len(names) != n_items:
            raise ValueError(f"model list has {len(names)} entries but responses have {n_items} items")
    else:
        raise ValueError(f"model must be a string or a list of strings, got {model!r}")
    for item, name in enumerate(names):
        if name in ("rasch", "1pl"):
            raise ValueError(
                f"item {item}: model {name!r} cannot be mixed with other models in one calibration "
                "(its common slope or latent SD spans all items); use '2pl', '3pl', 'grm' or 'gpcm'"
            )
        if name not in _GENERAL_MODELS:
            raise ValueError(f"item {item}: unknown model {name!r}; supported: {', '.join(ALL_MODELS)}")
    return names


def _category_counts(n_categories: object, n_items: int) -> NDArray[np.int64] | None:
    if n_categories is None:
        return None
    raw = np.asarray(n_categories)
    if raw.ndim == 0:
        raw = np.full(n_items, raw)
    if raw.shape != (n_items,) or raw.dtype.kind not in "iu" or (raw < 2).any():
        raise ValueError(f"n_categories must be an integer >= 2 or one per item ({n_items}), got {n_categories!r}")
    return raw.astype(np.int64)


def _check_general_responses(values: FloatArray, dichotomous: NDArray[np.bool_], known: NDArray[np.int64]) -> None:
    """Values must be category indices: 0/1 for dichotomous items, below ``known`` (0 = unknown) otherwise."""
    limit = np.where(dichotomous, 2, np.where(known > 0, known, np.iinfo(np.int64).max))
    for start in range(0, values.shape[0], _START_BLOCK):
        block = values[start : start + _START_BLOCK]
        bad = ~np.isnan(block) & ((block < 0) | (block != np.floor(block)) | (block >= limit))
        if bad.any():
            row, column = (int(i) for i in np.argwhere(bad)[0])
            _bad_category(values, start + row, column, dichotomous, known)


def _bad_category(
    values: FloatArray, row: int, column: int, dichotomous: NDArray[np.bool_], known: NDArray[np.int64]
) -> NoReturn:
    """Raise the ValueError naming the cell ``responses[row, column]`` that is not a category."""
    value = float(values[row, column])
    if dichotomous[column]:
        expected = "0, 1 or NaN (a dichotomous item)"
    elif known[column] > 0:
        expected = f"a category 0..{int(known[column]) - 1} or NaN"
    else:
        expected = "a category index 0, 1, 2, ... or NaN"
    raise ValueError(
        f"responses[{row}, {column}] = {value!r} (person row {row}, item column {column}): expected {expected}"
    )


def _general_start(x: FloatArray, engine: _GeneralEngine, n_cat: NDArray[np.int64], c_start: float) -> _GeneralState:
    """Starts from category proportions and item-rest correlations (normal-ogive approximations).

    The moments are accumulated over blocks of :data:`_START_BLOCK` persons (a fixed size, so
    the starts do not depend on ``chunk_size``) to keep the temporaries bounded.
    """
    top = (n_cat - 1).astype(np.float64)
    moments = np.zeros((6, x.shape[1]))  # sums of w, w x, w r, w x r, w x^2, w r^2
    column_counts = np.zeros(engine.n_cols + 1)  # responses per one-hot column (+ the dummy)
    for start in range(0, x.shape[0], _START_BLOCK):
        block = x[start : start + _START_BLOCK]
        presented = ~np.isnan(block)
        scaled = np.where(presented, block, 0.0) / top
        m = presented.astype(np.float64)
        total, n_presented = scaled.sum(axis=1, keepdims=True), m.sum(axis=1, keepdims=True)
        rest_n = n_presented - m
        rest = np.divide(total - scaled, rest_n, out=np.zeros_like(scaled), where=rest_n > 0)
        w = m * (rest_n > 0)
        wx, wr = w * scaled, w * rest
        moments += np.stack(
            [w.sum(axis=0), wx.sum(axis=0), wr.sum(axis=0), (wx * rest).sum(axis=0), (wx * scaled).sum(axis=0)]
            + [(wr * rest).sum(axis=0)]
        )
        codes = engine.codes[start : start + _START_BLOCK].ravel()
        column_counts += np.bincount(codes, minlength=engine.n_cols + 1)
    wn = np.maximum(moments[0], 1.0)
    mean_x, mean_r = moments[1] / wn, moments[2] / wn
    cov = moments[3] / wn - mean_x * mean_r
    var_x = np.maximum(moments[4] / wn - mean_x**2, 0.0)
    var_r = np.maximum(moments[5] / wn - mean_r**2, 0.0)
    r = np.divide(cov, np.sqrt(var_x * var_r), out=np.full_like(cov, 0.3), where=var_x * var_r > 0)
    r = np.clip(r * 1.25, 0.05, 0.9)  # a crude disattenuation of the point-(poly)serial
    alpha_all = np.clip(1.702 * r / np.sqrt(1.0 - r**2), 0.3, 3.0)
    params: list[FloatArray] = []
    for group in engine.groups:
        items = group.items
        alpha = alpha_all[items]
        inflate = np.sqrt(1.0 + (np.pi / 8.0) * alpha**2)[:, None]
        row = np.zeros((items.size, group.n_params))
        row[:, 0] = alpha
        share = column_counts[group.cols]  # (J, K)
        count = share.sum(axis=1)
        share = np.maximum(share / np.maximum(count, 1)[:, None], 1e-3)
        share /= share.sum(axis=1, keepdims=True)
        if group.model in ("2pl", "3pl"):
            p = share[:, 1]
            if group.model == "3pl":
                p = np.clip((p - c_start) / (1.0 - c_start), 0.02, 0.98)
                row[:, 2] = logit(c_start)
            row[:, 1] = logit(p) * inflate[:, 0]
        elif group.model == "grm":
            upper = np.clip(np.cumsum(share[:, ::-1], axis=1)[:, ::-1][:, 1:], 1e-3, 1 - 1e-3)  # P(X >= k)
            row[:, 1:] = logit(upper) * inflate
        else:
            row[:, 1:] = np.log(share[:, 1:] / share[:, :-1]) * inflate
        _clip_group(group.model, row)
        if group.model == "grm":  # keep the intercepts strictly decreasing after clipping
            row[:, 1:] -= 1e-6 * np.arange(group.n_cat - 1)
        params.append(row)
    state = _GeneralState(params=params, mu=0.0, sigma=1.0)
    engine.apply_anchors(state)
    return state


def _calibrate_general(
    values: FloatArray,
    model: object,
    anchor_info: tuple[NDArray[np.intp], ItemParams] | None,
    n_categories: object,
    *,
    nodes: FloatArray,
    weights: FloatArray,
    tol: float,
    max_iter: int,
    newton_steps: int,
    acceleration: str,
    c_prior: tuple[float, float] | None,
    a_prior: tuple[float, float] | None,
    se_method: str,
    chunk: int,
) -> Calibration:
    """GRM, GPCM and mixed tests: see the section comment above :class:`_Group`."""
    n_items = values.shape[1]
    names = _general_names(model, n_items)
    given_names = list(names)
    known = _category_counts(n_categories, n_items)
    known_k = np.zeros(n_items, dtype=np.int64) if known is None else known.copy()
    free = np.ones(n_items, dtype=bool)
    anchor_rows: dict[int, FloatArray] = {}
    if anchor_info is not None:
        index, params = anchor_info
        free[index] = False
        for pos, item in enumerate(index):
            item_model = str(params.model[pos])
            given_names[item] = item_model
            if item_model in POLYTOMOUS_MODELS:
                k = int(params.n_categories[pos])
                names[item] = item_model
                anchor_rows[int(item)] = np.concatenate([[params.a[pos]], params.thresholds[pos, : k - 1]])
            else:
                k = 2
                names[item] = "3pl" if params.c[pos] > 0 else "2pl"
                anchor_rows[int(item)] = np.array([params.a[pos], params.b[pos], params.c[pos]])[
                    : 3 if params.c[pos] > 0 else 2
                ]
            if known is not None and known[item] != k:
                raise ValueError(f"item {item}: n_categories says {known[item]} but the anchor has {k} categories")
            known_k[item] = k
    dichotomous = np.array([n in ("2pl", "3pl") for n in names])
    if known is not None:
        wrong = np.flatnonzero(dichotomous & (known_k != 2))
        if wrong.size:
            raise ValueError(f"item {int(wrong[0])}: a {names[int(wrong[0])]!r} item has 2 categories")
    _check_general_responses(values, dichotomous, known_k)

    missing = np.isnan(values)
    answered = ~missing.all(axis=1)
    dropped = np.flatnonzero(~answered)
    if answered.sum() < 2:
        raise ValueError(f"calibration needs at least 2 persons with responses, got {int(answered.sum())}")
    if dropped.size:
        values, missing = values[answered], missing[answered]
    n_cat = np.where(dichotomous, 2, known_k).astype(np.int64)
    presented_count = (~missing).sum(axis=0)
    for j in range(n_items):
        if not free[j]:
            continue
        if presented_count[j] == 0:
            raise ValueError(f"item {j}: no person was presented this item; it cannot be calibrated")
        column = values[~missing[:, j], j].astype(np.int64)
        if known_k[j] == 0:
            n_cat[j] = int(column.max()) + 1
        used = np.bincount(column, minlength=int(n_cat[j]))
        if dichotomous[j] and used.min() == 0:
            outcome = "right" if used[1] else "wrong"
            raise ValueError(
                f"item {j}: all {int(presented_count[j])} presented responses are {outcome}; its "
                "difficulty is not identified (remove the item or give it as an anchor)"
            )
        if n_cat[j] < 2:
            raise ValueError(
                f"item {j}: all {int(presented_count[j])} presented responses are in category 0; "
                "a polytomous item needs at least 2 categories in use"
            )
        unused = np.flatnonzero(used == 0)
        if unused.size:
            raise ValueError(
                f"item {j}: category {int(unused[0])} of 0..{int(n_cat[j]) - 1} was used by nobody, so its "
                "threshold is not identified; recode the item's categories (collapse the empty one "
                "into a neighbour) before calibrating"
            )

    offsets = np.concatenate([[0], np.cumsum(n_cat)[:-1]]).astype(np.intp)
    n_cols = int(n_cat.sum())
    # One-hot column of each response, n_cols (the dummy) where not presented: 2 or 4 bytes a cell.
    code_type = np.int16 if n_cols < np.iinfo(np.int16).max else np.int32
    codes = np.full(values.shape, n_cols, dtype=code_type)
    for j in range(n_items):
        seen = ~missing[:, j]
        codes[seen, j] = offsets[j] + values[seen, j].astype(code_type)

    groups: list[_Group] = []
    keys = sorted({(names[j], int(n_cat[j]), bool(free[j])) for j in range(n_items)}, key=lambda k: (not k[2], k))
    for name, k, is_free in keys:
        members = np.array(
            [j for j in range(n_items) if names[j] == name and n_cat[j] == k and free[j] == is_free], dtype=np.intp
        )
        cols = offsets[members][:, None] + np.arange(k)
        anchor = None if is_free else np.stack([anchor_rows[int(j)] for j in members])
        groups.append(_Group(model=name, n_cat=k, items=members, cols=cols, free=is_free, anchor=anchor))
    engine = _GeneralEngine(
        groups=groups,
        codes=codes,
        n_items=n_items,
        n_cols=n_cols,
        nodes=nodes,
        log_weights=np.log(weights),
        latent_free=anchor_info is not None,
        a_prior=a_prior,
        c_prior=c_prior,
        newton_steps=newton_steps,
        chunk=chunk,
    )
    pa, pb = c_prior if c_prior is not None else (2.0, 8.0)
    c_start = (pa - 1.0) / (pa + pb - 2.0) if pa + pb > 2.0 else 0.1
    state = _general_start(values, engine, n_cat, c_start)
    state, converged, iterations, trace = _run_em(state, engine, tol=tol, max_iter=max_iter, acceleration=acceleration)
    if not converged:
        import warnings

        warnings.warn(
            f"calibrate: EM did not converge in {iterations} steps (tol={tol}); results are from the last step",
            RuntimeWarning,
            stacklevel=3,
        )
    _, loglik = engine.e_step(state)
    width = max(1, int(n_cat[~dichotomous].max()) - 1) if (~dichotomous).any() else 1
    reported = engine.reported(state, width)
    se = engine.standard_errors(state, se_method, width)
    j = n_items
    a, b, c = reported[:j], reported[j : 2 * j].copy(), reported[2 * j : 3 * j]
    thr = reported[3 * j : 3 * j + j * width].reshape(j, width)
    b[~dichotomous] = np.nan  # ItemParams computes the mean threshold itself
    items = ItemParams(a=a, b=b, c=c, thresholds=thr, model=given_names)
    se_thr = se[3 * j : 3 * j + j * width].reshape(j, width).copy()
    item_se = ItemStandardErrors(a=se[:j].copy(), b=se[j : 2 * j].copy(), c=se[2 * j : 3 * j].copy(), thresholds=se_thr)
    is_3pl = np.array([n == "3pl" for n in names])
    item_se.c[~is_3pl] = np.nan
    item_se.thresholds[np.isnan(items.thresholds)] = np.nan
    for arr in (item_se.a, item_se.b, item_se.c, item_se.thresholds):
        arr[~free] = np.nan
        arr.setflags(write=False)
    trace_arr = np.asarray(trace)
    trace_arr.setflags(write=False)
    dropped.setflags(write=False)
    distinct = sorted(set(given_names))
    return Calibration(
        items=items,
        se=item_se,
        loglik=float(loglik),
        log_posterior=float(loglik + engine.log_prior(state)),
        converged=converged,
        iterations=iterations,
        latent_mean=float(reported[-2]),
        latent_sd=float(reported[-1]),
        latent_mean_se=float(se[-2]),
        latent_sd_se=float(se[-1]),
        loglik_trace=trace_arr,
        model=distinct[0] if len(distinct) == 1 else "mixed",
        se_method=se_method,
        n_persons=int(values.shape[0]),
        dropped_persons=dropped,
    )


def _needs_general_path(model: object, anchors: object, n_categories: object) -> bool:
    if n_categories is not None:
        return True
    if isinstance(model, str):
        if model.lower() in POLYTOMOUS_MODELS:
            return True
    elif isinstance(model, Sequence) and len(model) > 0 and all(isinstance(m, str) for m in model):
        names = {m.lower() for m in model}
        if len(names) > 1 or names & set(POLYTOMOUS_MODELS):
            return True
    if isinstance(anchors, tuple) and len(anchors) == 2 and isinstance(anchors[1], ItemParams):
        return bool(anchors[1].is_polytomous.any())
    return False


# --------------------------------------------------------------------------- public entry point


def calibrate(
    responses: ArrayLike,
    model: str | Sequence[str],
    *,
    anchors: tuple[ArrayLike, ItemParams] | None = None,
    quadrature: str = "rectangle",
    quadrature_points: int = 41,
    tol: float = 1e-4,
    max_iter: int = 500,
    newton_steps: int = 1,
    acceleration: str = "squarem",
    c_prior: tuple[float, float] | None = DEFAULT_C_PRIOR,
    a_prior: tuple[float, float] | None = None,
    se_method: str = "xpd",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    n_categories: int | Sequence[int] | None = None,
) -> Calibration:
    """Calibrate items by marginal maximum likelihood (Bock–Aitkin EM).

    Parameters
    ----------
    responses : array_like, shape (n_persons, n_items)
        Category indices: 1 correct / 0 incorrect for dichotomous items,
        ``0 .. K_j - 1`` for a polytomous item; NaN not presented (missing by
        design, ignorable).
    model : {"rasch", "1pl", "2pl", "3pl", "grm", "gpcm"} or a list with one name per item
        ``"rasch"``: ``a = 1`` for every item, ability ``N(0, sigma^2)`` with
        ``sigma`` estimated (reported as ``latent_sd``). ``"1pl"``: one common
        ``a`` estimated, ability ``N(0, 1)``. ``"2pl"``: ``a`` and ``b`` per
        item. ``"3pl"``: plus ``c`` per item, with the ``c_prior``.
        ``"grm"``: slope and ordered thresholds per item (Samejima);
        ``"gpcm"``: slope and step parameters (Muraki). A list may mix
        ``"2pl"``, ``"3pl"``, ``"grm"`` and ``"gpcm"`` (e.g.
        ``["3pl"] * 30 + ["grm"] * 5 + ["gpcm"] * 5``); ``"rasch"``/``"1pl"``
        cannot be mixed. Items may have different numbers of categories.
        Polytomous and mixed tests use a general path: E-step by one
        product of a one-hot (persons x item-categories) matrix, built one
        block of ``chunk_size`` persons at a time from compact category codes,
        with the per-node category log-probabilities, M-step by Fisher scoring per
        item on ``(alpha, intercepts[, logit c])``, stacked over the items of
        one model and number of categories, with step halving; a GRM step
        that would disorder the thresholds is halved until they stay ordered.
    anchors : (indices, ItemParams), optional
        Items whose parameters are fixed (bank values on the bank's ``theta``
        scale). The other items are estimated on that scale, and the latent
        mean and SD of this sample are estimated (not fixed at 0 and 1).
        Supported with "2pl", "3pl", "grm", "gpcm" and mixed lists; anchors may
        be 3PL, GRM or GPCM items (their own models and categories apply, the
        ``model`` entry for an anchor column is ignored). With "rasch" or
        "1pl" the anchors must share one slope ``a`` (1 for a Rasch bank; a
        ``ValueError`` names the first anchor whose ``a`` differs); the new
        items get that slope, only their ``b`` are estimated (``se.a`` is NaN),
        and the latent mean and SD are both estimated, the scale being fixed by
        the anchors.
    quadrature : {"rectangle", "gauss-hermite"}
        Integration rule over the standardised ability, see :func:`quadrature_grid`.
        Default: 41 equally spaced points on ``[-6, 6]``.
    quadrature_points : int
        Number of nodes.
    tol : float
        Convergence when the largest change of a slope, intercept, ``c``,
        latent mean or SD between EM cycles is below ``tol``.
    max_iter : int
        Upper bound on EM steps; reaching it sets ``converged=False`` and warns.
    newton_steps : int
        Fisher-scoring steps per M-step (a generalised EM; 1 is fastest overall).
    acceleration : {"squarem", "none"}
        SQUAREM extrapolation (Varadhan & Roland 2008, S3 step length), kept only
        when it does not lower the log-posterior; or plain EM.
    c_prior : (alpha, beta) or None
        Beta prior on each ``c`` for "3pl" (maximum a posteriori). ``None``
        gives maximum likelihood, which is often poorly determined.
    a_prior : (mean, sd) or None
        Lognormal prior on ``a`` (``log a ~ N(mean, sd^2)``); with "2pl"/"3pl",
        and in polytomous and mixed calibrations on every estimated slope.
    se_method : {"xpd", "hessian", "none"}
        ``"xpd"``: inverse of the cross-product of per-person observed-data
        score vectors (each the posterior mean of the complete-data score,
        Louis 1982), plus the prior's curvature: an estimate of the observed
        information that costs one extra E-step. ``"hessian"``: the observed
        information by central differences of the analytic observed-data score
        (2 E-steps per free parameter; for checks and small problems). SEs of
        ``b`` and of the latent moments follow by the delta method.
    chunk_size : int
        Persons per E-step block (memory bound).
    n_categories : int or sequence of int, optional
        Categories of each item (``>= 2``; 2 for dichotomous items). By
        default a free polytomous item has ``max response + 1`` categories
        and an anchor has its own. Stating it catches out-of-range values
        and an unused top category.

    Returns
    -------
    Calibration

    Raises
    ------
    ValueError
        Unknown model, or a model list of the wrong length; responses not
        2-D, fewer than 2 items, or a value outside the item's categories
        (not 0/1/NaN for a dichotomous item; negative, non-integer or
        ``>= n_categories`` for a polytomous one: names the row and column);
        a category of an estimated polytomous item that nobody used (names
        the item and category; its threshold is not identified, so collapse
        it into a neighbour first: no silent collapsing); an estimated item that
        nobody was presented, or that every presented person got right (or
        wrong), since its difficulty is not identified (names the item);
        fewer than 2 persons with responses; bad anchors or options.

    Notes
    -----
    Persons with no presented item carry no information and are dropped
    (``Calibration.dropped_persons``). On the LSAT section 6 data this
    reproduces R ltm's published 2PL estimates (see the tests).
    """
    if _needs_general_path(model, anchors, n_categories):
        values = _check_response_matrix(responses)
        anchor_info = _check_anchors(anchors, values.shape[1], "mixed")
        name = "mixed"
    else:
        name = _parse_model(model)
        values = _check_responses(responses)
        anchor_info = None
    n_items = values.shape[1]
    if isinstance(model, Sequence) and not isinstance(model, str) and len(model) != n_items:
        raise ValueError(f"model list has {len(model)} entries but responses have {n_items} items")
    if name != "mixed":
        anchor_info = _check_anchors(anchors, n_items, name)
    if not (isinstance(tol, (int, float)) and np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a finite number > 0, got {tol!r}")
    iterations_cap = _check_positive_int("max_iter", max_iter, 1)
    steps = _check_positive_int("newton_steps", newton_steps, 1)
    chunk = _check_positive_int("chunk_size", chunk_size, 1)
    if acceleration not in ("squarem", "none"):
        raise ValueError(f"acceleration must be 'squarem' or 'none', got {acceleration!r}")
    if se_method not in ("xpd", "hessian", "none"):
        raise ValueError(f"se_method must be 'xpd', 'hessian' or 'none', got {se_method!r}")
    if c_prior is not None:
        if len(c_prior) != 2 or not all(np.isfinite(v) and v >= 1.0 for v in c_prior):
            raise ValueError(f"c_prior must be (alpha, beta) with both >= 1, got {c_prior!r}")
        c_prior = (float(c_prior[0]), float(c_prior[1]))
    if a_prior is not None:
        if name in ("rasch", "1pl"):
            raise ValueError(f"a_prior applies to '2pl' and '3pl', not {name!r}")
        if len(a_prior) != 2 or not (np.isfinite(a_prior[0]) and np.isfinite(a_prior[1]) and a_prior[1] > 0):
            raise ValueError(f"a_prior must be (mean, sd) of log a with sd > 0, got {a_prior!r}")
        a_prior = (float(a_prior[0]), float(a_prior[1]))
    nodes, weights = quadrature_grid(quadrature, quadrature_points)
    if name == "mixed":
        return _calibrate_general(
            values,
            model,
            anchor_info,
            n_categories,
            nodes=nodes,
            weights=weights,
            tol=float(tol),
            max_iter=iterations_cap,
            newton_steps=steps,
            acceleration=acceleration,
            c_prior=c_prior,
            a_prior=a_prior,
            se_method=se_method,
            chunk=chunk,
        )

    free = np.ones(n_items, dtype=bool)
    anchor_a, anchor_b, anchor_c = np.ones(n_items), np.zeros(n_items), np.zeros(n_items)
    common_a: float | None = None
    if anchor_info is not None:
        index, params = anchor_info
        free[index] = False
        anchor_a[index], anchor_b[index], anchor_c[index] = params.a, params.b, params.c
        if name in ("rasch", "1pl"):
            common_a = _common_anchor_slope(index, params, name)

    missing = np.isnan(values)
    answered = ~missing.all(axis=1)
    dropped = np.flatnonzero(~answered)
    if answered.sum() < 2:
        raise ValueError(f"calibration needs at least 2 persons with responses, got {int(answered.sum())}")
    if dropped.size:
        values, missing = values[answered], missing[answered]
    presented_count = (~missing).sum(axis=0)
    correct_count = np.nansum(values, axis=0)
    for j in np.flatnonzero(free):
        if presented_count[j] == 0:
            raise ValueError(f"item {j}: no person was presented this item; it cannot be calibrated")
        if correct_count[j] in (0, presented_count[j]):
            outcome = "right" if correct_count[j] else "wrong"
            raise ValueError(
                f"item {j}: all {int(presented_count[j])} presented responses are {outcome}; its "
                "difficulty is not identified (remove the item or give it as an anchor)"
            )

    x = np.where(missing, 0.0, values)
    m = (~missing).astype(np.float64) if missing.any() else None
    data = _Data(correct=x, presented=m, chunk=chunk)
    spec = _Spec(
        model=name,
        n_items=n_items,
        free=free,
        anchor_a=anchor_a,
        anchor_b=anchor_b,
        anchor_c=anchor_c,
        latent_free=anchor_info is not None,
        c_prior=c_prior if name == "3pl" else None,
        a_prior=a_prior,
        nodes=nodes,
        log_weights=np.log(weights),
        common_a=common_a,
    )
    state = _start_values(x, m, spec)
    state, converged, iterations, trace = _run_em(
        state,
        _DichotomousEngine(spec, data, steps),
        tol=float(tol),
        max_iter=iterations_cap,
        acceleration=acceleration,
    )
    if not converged:
        import warnings

        warnings.warn(
            f"calibrate: EM did not converge in {iterations} steps (tol={tol}); results are from the last step",
            RuntimeWarning,
            stacklevel=2,
        )
    _, _, loglik = _e_step(state, spec, data)
    reported = _reported(state, spec)
    se = _standard_errors(state, spec, data, se_method)
    j = n_items
    item_se = ItemStandardErrors(
        a=se[:j].copy(), b=se[j : 2 * j].copy(), c=se[2 * j : 3 * j].copy(), thresholds=np.full((j, 1), np.nan)
    )
    if name != "3pl":
        item_se.c[free] = np.nan
    for arr in (item_se.a, item_se.b, item_se.c):
        arr[~free] = np.nan
        arr.setflags(write=False)
    items = _make_items(reported[:j], reported[j : 2 * j], reported[2 * j : 3 * j], name, spec, anchor_info)
    trace_arr = np.asarray(trace)
    trace_arr.setflags(write=False)
    dropped.setflags(write=False)
    return Calibration(
        items=items,
        se=item_se,
        loglik=float(loglik),
        log_posterior=float(loglik + _log_prior_total(state, spec)),
        converged=converged,
        iterations=iterations,
        latent_mean=float(reported[-2]),
        latent_sd=float(reported[-1]),
        latent_mean_se=float(se[-2]),
        latent_sd_se=float(se[-1]),
        loglik_trace=trace_arr,
        model=name,
        se_method=se_method,
        n_persons=int(x.shape[0]),
        dropped_persons=dropped,
    )
