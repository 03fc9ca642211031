"""Simulated responses and random item banks, for tests and benchmarks.

All randomness comes from an explicit :class:`numpy.random.Generator`: the
same generator state gives the same data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from scoring.irt import MODELS, POLYTOMOUS_MODELS, ItemParams, _as_theta, _check_items, category_probabilities

__all__ = ["SimulatedResponses", "random_items", "simulate", "simulate_choices"]

FloatArray = NDArray[np.float64]

_ROWS_PER_BLOCK = 8_192  # fixed, so the output does not depend on memory settings


@dataclass(frozen=True, eq=False)
class SimulatedResponses:
    """Simulated responses with the abilities that generated them.

    Unpacks as ``responses, theta = simulate(...)``.

    Attributes
    ----------
    responses : ndarray, shape (n_persons, n_items)
        Category indices as floats (0/1 for dichotomous items), NaN where the
        item was not presented.
    theta : ndarray, shape (n_persons,)
        The true abilities.
    """

    responses: FloatArray
    theta: FloatArray

    def __iter__(self) -> Iterator[FloatArray]:
        yield self.responses
        yield self.theta


def _check_generator(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def simulate(
    items: ItemParams,
    theta: ArrayLike | int,
    rng: np.random.Generator,
    *,
    missing: float = 0.0,
    theta_mean: float = 0.0,
    theta_sd: float = 1.0,
) -> SimulatedResponses:
    """Draw responses to ``items`` for persons of ability ``theta``, any model mix.

    Each response is drawn from the item's category probabilities
    (:func:`scoring.irt.category_probabilities`): with ``u ~ U(0, 1)`` the
    category is the number of cumulative probabilities
    :math:`\\sum_{h \\le k} P_{jh}(\\theta_i)`, ``k < K_j - 1``, that ``u``
    exceeds. Responses are then deleted (set to NaN) independently with
    probability ``missing`` ("missing completely at random").

    Parameters
    ----------
    items : ItemParams
        Item parameters, any mix of models.
    theta : array_like of shape (n_persons,), or int
        True abilities (finite), or a number of persons whose abilities are
        drawn from N(``theta_mean``, ``theta_sd``:sup:`2`).
    rng : numpy.random.Generator
        The only source of randomness.
    missing : float, optional
        Probability that a response is not presented, ``0 <= missing < 1``.
    theta_mean, theta_sd : float, optional
        Ability distribution when ``theta`` is a count; ``theta_sd > 0``.

    Returns
    -------
    SimulatedResponses
        ``responses`` (float64, ``(n_persons, n_items)``, values
        ``0 .. n_categories[j] - 1`` or NaN) and ``theta`` ``(n_persons,)``.

    Raises
    ------
    ValueError
        If ``theta`` is not 1-D or not finite, or an option is out of range.
    TypeError
        If ``items`` is not :class:`ItemParams` or ``rng`` not a Generator.
    """
    items = _check_items(items)
    rng = _check_generator(rng)
    if not (np.isfinite(missing) and 0.0 <= missing < 1.0):
        raise ValueError(f"missing must satisfy 0 <= missing < 1, got {missing!r}")
    if isinstance(theta, (int, np.integer)) and not isinstance(theta, (bool, np.bool_)):
        if theta < 0:
            raise ValueError(f"the number of persons must be >= 0, got {theta}")
        if not (np.isfinite(theta_mean) and np.isfinite(theta_sd) and theta_sd > 0):
            raise ValueError(f"theta_mean must be finite and theta_sd finite and > 0, got {theta_mean!r}, {theta_sd!r}")
        abilities = rng.normal(theta_mean, theta_sd, int(theta))
    else:
        abilities = np.array(_as_theta(theta), dtype=np.float64)
        if abilities.ndim != 1:
            raise ValueError(f"theta must be 1-D (one value per person), got shape {abilities.shape}")
        if not np.isfinite(abilities).all():
            raise ValueError(f"theta is not finite at index {int(np.flatnonzero(~np.isfinite(abilities))[0])}")
    n_persons = abilities.size
    responses = np.empty((n_persons, items.n_items))
    for start in range(0, n_persons, _ROWS_PER_BLOCK):
        stop = min(start + _ROWS_PER_BLOCK, n_persons)
        p = category_probabilities(abilities[start:stop], items)  # (n, J, K)
        cumulative = np.cumsum(p[..., :-1], axis=-1)
        u = rng.random((stop - start, items.n_items))
        # Beyond an item's categories the cumulative sum is 1 (up to rounding): u < 1 never exceeds it...
        block = (u[..., np.newaxis] >= cumulative).sum(axis=-1)
        # ...except by rounding, so clamp to the item's last category.
        np.minimum(block, items.n_categories - 1, out=block)
        responses[start:stop] = block
        if missing > 0:
            responses[start:stop][rng.random((stop - start, items.n_items)) < missing] = np.nan
    abilities.setflags(write=False)
    return SimulatedResponses(responses=responses, theta=abilities)


def random_items(
    n_items: int,
    model: str | Sequence[str],
    rng: np.random.Generator,
    *,
    n_categories: int | ArrayLike = 4,
) -> ItemParams:
    """Draw plausible item parameters, for simulations and benchmarks.

    Distributions (common in recovery studies):
    ``a ~ lognormal(0, 0.3)`` (``a = 1`` for ``"rasch"``; one shared draw for
    ``"1pl"``), ``b ~ N(0, 1)``, ``c ~ U(0.05, 0.3)`` for ``"3pl"``.
    GRM thresholds: a location ``N(0, 1)`` plus sorted ``U(-2, 2)`` offsets,
    spaced at least 0.3 apart. GPCM steps: a location ``N(0, 1)`` plus
    centred ``N(0, 1)`` deviations (in any order).

    Parameters
    ----------
    n_items : int
        Number of items, ``>= 1``.
    model : str or sequence of str
        One name from :data:`scoring.irt.MODELS`, or one per item.
    rng : numpy.random.Generator
        The only source of randomness.
    n_categories : int or array_like of int, optional
        Categories of each polytomous item, ``>= 2`` (ignored for
        dichotomous items).

    Returns
    -------
    ItemParams
    """
    rng = _check_generator(rng)
    if not isinstance(n_items, (int, np.integer)) or isinstance(n_items, bool) or n_items < 1:
        raise ValueError(f"n_items must be an integer >= 1, got {n_items!r}")
    models = [model] * n_items if isinstance(model, str) else [str(m) for m in model]
    if len(models) != n_items:
        raise ValueError(f"model has {len(models)} entries but n_items is {n_items}")
    for item, name in enumerate(models):
        if name not in MODELS:
            raise ValueError(f"item {item}: unknown model {name!r}; known: {', '.join(MODELS)}")
    categories = np.broadcast_to(np.asarray(n_categories), (n_items,))
    if categories.dtype.kind not in "iu" or (categories < 2).any():
        raise ValueError(f"n_categories must be integers >= 2, got {n_categories!r}")
    a = rng.lognormal(0.0, 0.3, n_items)
    common_a = rng.lognormal(0.0, 0.3)
    b = rng.normal(0.0, 1.0, n_items)
    guess = rng.uniform(0.05, 0.3, n_items)
    c = np.zeros(n_items)
    width = max(1, int(categories.max()) - 1)
    thresholds = np.full((n_items, width), np.nan)
    for item, name in enumerate(models):
        if name == "rasch":
            a[item] = 1.0
        elif name == "1pl":
            a[item] = common_a
        elif name == "3pl":
            c[item] = guess[item]
        if name not in POLYTOMOUS_MODELS:
            continue
        n_thr = int(categories[item]) - 1
        if name == "grm":
            offsets = np.sort(rng.uniform(-2.0, 2.0, n_thr))
            offsets = offsets - offsets.mean()
            # enforce a minimum spacing of 0.3 by spreading sorted offsets
            offsets = offsets + 0.3 * (np.arange(n_thr) - (n_thr - 1) / 2)
        else:
            offsets = rng.normal(0.0, 1.0, n_thr)
            offsets = offsets - offsets.mean()
        thresholds[item, :n_thr] = b[item] + offsets
        b[item] = np.nan
    return ItemParams(a=a, b=b, c=c, thresholds=thresholds, model=models)


def simulate_choices(
    items: ItemParams,
    n_persons: int,
    rng: np.random.Generator,
    *,
    n_options: int = 4,
    concentration: float = 1.5,
) -> tuple[FloatArray, NDArray[np.int64]]:
    """Options chosen by independent candidates on multiple-choice items: ``(choices, keys)``.

    Right or wrong is drawn from the dichotomous ``items`` by :func:`simulate`; each item's
    key is a uniform draw from its ``n_options``; a wrong answer goes to one of the other
    options with that item's own proportions, drawn from a symmetric Dirichlet of
    ``concentration`` (smaller: some distractors much more attractive than others). No
    candidate sees another's answers, which makes it the null model of answer-copying
    statistics (:mod:`scoring.collusion`).

    Returns ``choices`` (persons x items, 0-based option indices as floats) and ``keys``.
    """
    if n_options < 2:
        raise ValueError(f"n_options must be at least 2, got {n_options}")
    if not (np.isfinite(concentration) and concentration > 0):
        raise ValueError(f"concentration must be finite and > 0, got {concentration!r}")
    right, _theta = simulate(items, n_persons, rng)
    keys = rng.integers(0, n_options, items.n_items).astype(np.int64)
    choices = np.empty_like(right)
    for i in range(items.n_items):
        distractors = [k for k in range(n_options) if k != keys[i]]
        shares = rng.dirichlet([concentration] * len(distractors))
        wrong = rng.choice(distractors, size=n_persons, p=shares)
        choices[:, i] = np.where(right[:, i] == 1, keys[i], wrong)
    return choices, keys
