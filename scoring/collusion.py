"""Answer similarity between pairs of candidates: the generalized binomial test.

For a suspected copier ``j``, a source ``s`` and the items both were presented and
answered, let :math:`P_{ik}(\\theta)` be the probability that a person of ability
:math:`\\theta` chooses option :math:`k` of item :math:`i`, and :math:`u_{si}` the option
``s`` chose. Working independently, ``j`` chooses the same option with probability

.. math::

    \\pi_i = P_{i u_{si}}(\\theta_j),

and the number :math:`M` of identical choices (right or wrong) is a sum of independent
Bernoulli(:math:`\\pi_i`) variables: a generalized (Poisson) binomial. Its distribution is
computed exactly by the recursion

.. math::

    f_0(0) = 1, \\qquad f_i(x) = f_{i-1}(x)\\,(1 - \\pi_i) + f_{i-1}(x - 1)\\,\\pi_i,

and the p-value of an observed :math:`m` is the upper tail :math:`P(M \\ge m)` (van der
Linden & Sotaridona, 2006, "Detecting answer copying when the regular response process
follows a known response model", *Journal of Educational and Behavioral Statistics* 31(3),
283-304: their generalized binomial test, GBT, the source's answers taken as given). With
nobody presumed the copier, both directions are tested and the smaller p-value is doubled. A small p-value says that the pair's
answers agree more than two independent candidates of their abilities would; it is
evidence for a person to weigh with the seat map, the addresses and the timing, never a
verdict. The index reported beside it is the standardized excess of matches,
:math:`z = (m - \\sum_i \\pi_i) / \\sqrt{\\sum_i \\pi_i (1 - \\pi_i)}`.

The option probabilities. The right option: :math:`P_i(\\theta)` of the 2PL (the bank's
parameters when given, else :func:`scoring.calibrate` on the right/wrong matrix, abilities by
EAP). A wrong option :math:`k`: :math:`(1 - P_i(\\theta))\\,\\rho_{ik}(g)`, where
:math:`\\rho_{ik}(g)` is the share of option :math:`k` among the wrong answers to item
:math:`i` of the persons in the same ability group :math:`g` (quantiles of
:math:`\\theta`), each count increased by 0.5: an empirical stand-in for the distractor
curves of the nominal response model the paper uses, which needs no extra calibration and
follows how the attractiveness of a distractor changes with ability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from scoring.calibration import calibrate
from scoring.irt import ItemParams, estimate_ability, probability

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

SMOOTHING = 0.5  # added to each distractor count of an ability group
PAIR_CHUNK = 20_000  # pairs whose option probabilities are held at once


@dataclass(frozen=True)
class Similarity:
    """The generalized binomial test of each pair (rows in the order of ``pairs``).

    Attributes
    ----------
    index : ndarray, shape (m,)
        :math:`(m - E M) / SD(M)`; NaN where the pair shares no item with any uncertainty.
    pvalue : ndarray, shape (m,)
        :math:`P(M \\ge m)` under independent work (1 where nothing was shared).
    matches : ndarray of int, shape (m,)
        Items both answered with the same option.
    expected : ndarray, shape (m,)
        :math:`E M = \\sum_i \\pi_i`.
    shared : ndarray of int, shape (m,)
        Items both answered.
    theta : ndarray, shape (n_persons,)
        The abilities used.
    items : ItemParams
        The 2PL parameters used for the right options.
    """

    index: FloatArray
    pvalue: FloatArray
    matches: IntArray
    expected: FloatArray
    shared: IntArray
    theta: FloatArray
    items: ItemParams


def similarity(
    choices: ArrayLike,
    keys: ArrayLike,
    pairs: ArrayLike,
    *,
    items: ItemParams | None = None,
    theta: ArrayLike | None = None,
    n_options: int | ArrayLike | None = None,
    ability_groups: int = 5,
    directional: bool = False,
) -> Similarity:
    """How much more alike each pair's answers are than their abilities explain.

    Parameters
    ----------
    choices : array_like, shape (n_persons, n_items)
        The index of the chosen option (0-based) as a float; NaN where the item was not
        presented or not answered.
    keys : array_like of int, shape (n_items,)
        The index of each item's right option.
    pairs : array_like of int, shape (m, 2)
        Rows of ``choices``, two different persons per pair.
    items : ItemParams, optional
        2PL (or 1PL/3PL) parameters of the items on the ability scale of ``theta``; by
        default calibrated from the right/wrong matrix (2PL).
    theta : array_like, shape (n_persons,), optional
        Abilities; by default EAP estimates from the right/wrong matrix and ``items``.
    n_options : int or array_like of int, optional
        Options per item; by default one more than the highest option chosen or keyed.
    ability_groups : int
        Quantile groups of ability within which distractor shares are counted.
    directional : bool
        ``True``: the first person of each pair is the suspected copier, the second the
        source, whose answers are taken as given. ``False`` (default, nobody is presumed
        the copier): both directions are tested; the index is the larger, the p-value the
        smaller doubled (Bonferroni), and ``expected`` is the first direction's.

    Returns
    -------
    Similarity

    Raises
    ------
    ValueError
        For a malformed argument, naming it.
    """
    x = _check_choices(choices)
    n_persons, n_items = x.shape
    key = _check_keys(keys, n_items)
    pair = _check_pairs(pairs, n_persons)
    n_opt = _option_counts(n_options, x, key)
    if not isinstance(ability_groups, int) or ability_groups < 1:
        raise ValueError("ability_groups must be a whole number of at least 1")
    answered = ~np.isnan(x)
    right = np.where(answered, (x == key[None, :]).astype(np.float64), np.nan)
    if items is None:
        items = calibrate(right, "2pl", se_method="none").items
    elif len(items.a) != n_items:
        raise ValueError(f"items has {len(items.a)} items; choices has {n_items}")
    if theta is None:
        abilities = np.asarray(estimate_ability(right, items).theta, dtype=np.float64)
    else:
        abilities = np.asarray(theta, dtype=np.float64)
        if abilities.shape != (n_persons,) or not np.all(np.isfinite(abilities)):
            raise ValueError(f"theta must hold {n_persons} finite abilities")
    options = option_probabilities(x, key, n_opt, np.asarray(probability(abilities, items)), abilities, ability_groups)

    m = len(pair)
    index = np.full(m, np.nan)
    pvalue = np.ones(m)
    matches = np.zeros(m, dtype=np.int64)
    expected = np.zeros(m)
    shared = np.zeros(m, dtype=np.int64)
    chosen = np.where(answered, x, 0).astype(np.int64)
    for start in range(0, m, PAIR_CHUNK):
        rows = slice(start, start + PAIR_CHUNK)
        j, s = pair[rows, 0], pair[rows, 1]
        both = answered[j] & answered[s]
        same = both & (x[j] == x[s])
        matches[rows] = same.sum(axis=1)
        shared[rows] = both.sum(axis=1)
        tests = [_directed(options, chosen, both, same, j, s)]
        if not directional:
            tests.append(_directed(options, chosen, both, same, s, j))
        # Both directions: the larger index, and the smaller p-value doubled (Bonferroni).
        expected[rows] = tests[0][0]
        index[rows] = np.fmax.reduce([t[1] for t in tests])
        pvalue[rows] = np.minimum(1.0, len(tests) * np.minimum.reduce([t[2] for t in tests]))
    return Similarity(index, pvalue, matches, expected, shared, abilities, items)


def _directed(
    options: FloatArray,
    chosen: IntArray,
    both: NDArray[np.bool_],
    same: NDArray[np.bool_],
    copier: IntArray,
    source: IntArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Expected matches, index and p-value of ``copier`` matching ``source``'s choices."""
    items = np.arange(chosen.shape[1])[None, :]
    pi = np.where(both, options[copier[:, None], items, chosen[source]], 0.0)
    expected = pi.sum(axis=1)
    variance = (pi * (1.0 - pi)).sum(axis=1)
    observed = same.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = np.where(variance > 0, (observed - expected) / np.sqrt(variance), np.nan)
    return expected, index, upper_tail(pi, observed)


def most_similar_pairs(
    choices: ArrayLike,
    keys: ArrayLike,
    count: int = 1000,
    *,
    screen: int | None = None,
    block: int = 1000,
    **options: object,
) -> tuple[IntArray, Similarity]:
    """The ``count`` pairs of the whole sitting whose answers are the most alike, by p-value.

    Testing all :math:`n(n-1)/2` pairs of a large sitting (50 million for 10,000
    candidates) is not needed. Every pair is screened first by its rarity-weighted number of
    identical answers, :math:`\\sum_{i: u_{ji} = u_{si} = k} -\\log \\hat p_{ik}` with
    :math:`\\hat p_{ik}` the share of candidates choosing option :math:`k` of item
    :math:`i` (a shared rare distractor weighs much, a shared right answer to an easy item
    little), computed as one product of weighted one-hot answers, ``block`` persons at a time
    (float32, ``block`` x ``n`` at once). The ``screen`` pairs that score highest (default
    ``20 * count``) are tested by :func:`similarity` (``options`` are passed on). Returns the
    pairs (``i < j``), most alike first (smallest p-value, then largest index), and their
    :class:`Similarity`.
    """
    x = _check_choices(choices)
    n_persons, n_items = x.shape
    key = _check_keys(keys, n_items)
    if not isinstance(count, int) or count < 1:
        raise ValueError("count must be a whole number of at least 1")
    screen = 20 * count if screen is None else screen
    if not isinstance(screen, int) or screen < count:
        raise ValueError("screen must be a whole number of at least count")
    width = max(int(np.nanmax(np.where(np.isnan(x), -1, x), initial=0)), int(key.max())) + 1
    answered = ~np.isnan(x)
    code = np.where(answered, np.arange(n_items)[None, :] * width + np.where(answered, x, 0), -1).astype(np.int64)
    rows, cols = np.nonzero(answered)
    chosen = code[rows, cols]
    # An identical answer weighs -log of the share of candidates giving it: a shared rare
    # distractor counts for much, a shared right answer to an easy item for little.
    share = np.bincount(chosen, minlength=n_items * width) / np.maximum(answered.sum(axis=0).repeat(width), 1)
    weight = np.sqrt(-np.log(np.clip(share, 1e-12, 1.0)))
    onehot = np.zeros((n_persons, n_items * width), dtype=np.float32)
    onehot[rows, chosen] = weight[chosen]
    best_score = np.empty(0, dtype=np.float32)
    best_pairs = np.empty((0, 2), dtype=np.int64)
    for start in range(0, n_persons, block):
        stop = min(start + block, n_persons)
        shared = onehot[start:stop] @ onehot[start:].T  # (block, persons from start)
        columns = shared.shape[1]
        shared[np.arange(columns)[None, :] <= np.arange(stop - start)[:, None]] = -1.0  # each pair once
        flat = shared.ravel()
        top = np.argpartition(-flat, screen - 1)[:screen] if flat.size > screen else np.arange(flat.size)
        top = top[flat[top] >= 0]
        i, j = np.divmod(top, columns)
        scores = flat[top]
        best_score = np.concatenate([best_score, scores])
        best_pairs = np.concatenate([best_pairs, np.stack([i + start, j + start], axis=1)])
        if len(best_score) > screen:
            keep = np.argpartition(-best_score, screen - 1)[:screen]
            best_score, best_pairs = best_score[keep], best_pairs[keep]
    result = similarity(x, key, best_pairs, **options)  # type: ignore[arg-type]
    order = np.lexsort((-result.index, result.pvalue))[:count]
    picked = Similarity(
        result.index[order],
        result.pvalue[order],
        result.matches[order],
        result.expected[order],
        result.shared[order],
        result.theta,
        result.items,
    )
    return best_pairs[order], picked


def option_probabilities(
    choices: FloatArray,
    keys: IntArray,
    n_options: IntArray,
    p_right: FloatArray,
    theta: FloatArray,
    ability_groups: int,
) -> FloatArray:
    """:math:`P_{ik}(\\theta_p)` for every person, item and option: shape (n_persons,
    n_items, max options); 0 for options an item does not have.

    ``p_right`` is :math:`P_i(\\theta_p)`; distractor shares are counted per ability group
    (see the module's docstring)."""
    n_persons, n_items = choices.shape
    width = int(n_options.max())
    edges = np.quantile(theta, np.linspace(0, 1, ability_groups + 1)[1:-1]) if ability_groups > 1 else np.array([])
    group = np.searchsorted(edges, theta, side="right")
    exists = np.arange(width)[None, :] < n_options[:, None]  # (items, options)
    distractor = exists & (np.arange(width)[None, :] != keys[:, None])
    wrong = ~np.isnan(choices) & (choices != keys[None, :])
    shares = np.zeros((ability_groups, n_items, width))
    for g in range(ability_groups):
        rows = wrong[group == g]  # (persons in g, items)
        chosen = choices[group == g]
        counts = np.zeros((n_items, width))
        for k in range(width):
            counts[:, k] = (rows & (chosen == k)).sum(axis=0)
        counts = np.where(distractor, counts + SMOOTHING, 0.0)
        shares[g] = counts / counts.sum(axis=1, keepdims=True)
    probs = (1.0 - p_right)[:, :, None] * shares[group]
    probs[:, np.arange(n_items), keys] = p_right
    return probs


def upper_tail(pi: ArrayLike, observed: ArrayLike) -> FloatArray:
    """:math:`P(M \\ge m)` of generalized binomials: row ``r`` of ``pi`` (shape (m, n)) holds
    the success probabilities, ``observed[r]`` the count ``m`` (the recursion of the module's
    docstring, over all rows at once)."""
    p = np.clip(np.asarray(pi, dtype=np.float64), 0.0, 1.0)
    count = np.asarray(observed, dtype=np.int64)
    if p.ndim != 2 or count.shape != (p.shape[0],):
        raise ValueError("pi must be (m, n) and observed (m,)")
    rows, n = p.shape
    f = np.zeros((rows, n + 1))
    f[:, 0] = 1.0
    for i in range(n):
        q = p[:, i : i + 1]
        f[:, 1:] = f[:, 1:] * (1.0 - q) + f[:, :-1] * q
        f[:, 0] *= 1.0 - q[:, 0]
    tail = np.cumsum(f[:, ::-1], axis=1)[:, ::-1]
    tail = np.concatenate([tail, np.zeros((rows, 1))], axis=1)  # P(M >= n + 1) = 0
    result: FloatArray = np.clip(tail[np.arange(rows), np.clip(count, 0, n + 1)], 0.0, 1.0)
    return result


def _check_choices(choices: ArrayLike) -> FloatArray:
    x = np.asarray(choices, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValueError("choices must be a (persons, items) array with at least two persons")
    given = x[~np.isnan(x)]
    if np.any(np.isinf(given)) or np.any(given < 0) or np.any(given != np.round(given)):
        raise ValueError("choices must hold option indices (whole numbers from 0) or NaN")
    return x


def _check_keys(keys: ArrayLike, n_items: int) -> IntArray:
    k = np.asarray(keys)
    if k.shape != (n_items,) or not np.all(np.isfinite(k)) or np.any(k < 0) or np.any(k != np.round(k)):
        raise ValueError(f"keys must hold {n_items} option indices (whole numbers from 0)")
    return k.astype(np.int64)


def _check_pairs(pairs: ArrayLike, n_persons: int) -> IntArray:
    p = np.asarray(pairs)
    if p.ndim != 2 or p.shape[1] != 2 or (p.size and (np.any(p != np.round(p)) or p.min() < 0 or p.max() >= n_persons)):
        raise ValueError(f"pairs must be an (m, 2) array of person rows from 0 to {n_persons - 1}")
    p = p.astype(np.int64)
    if np.any(p[:, 0] == p[:, 1]):
        raise ValueError("a pair must be two different persons")
    return p


def _option_counts(n_options: int | ArrayLike | None, choices: FloatArray, keys: IntArray) -> IntArray:
    n_items = choices.shape[1]
    highest = np.fmax(np.nanmax(np.where(np.isnan(choices), -1, choices), axis=0), keys).astype(np.int64)
    if n_options is None:
        least: IntArray = np.maximum(highest + 1, 2)
        return least
    counts = np.broadcast_to(np.asarray(n_options), (n_items,))
    if np.any(counts != np.round(counts)) or np.any(counts < 2):
        raise ValueError("n_options must be whole numbers of at least 2")
    counts = counts.astype(np.int64)
    if np.any(highest >= counts):
        raise ValueError("an option index or key is beyond n_options")
    return counts
