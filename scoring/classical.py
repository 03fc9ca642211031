"""Classical test theory: item statistics, reliability and distractor analysis.

Conventions (the project's scoring contract): ``responses`` is a float array of
shape ``(n_persons, n_items)`` holding item scores, NaN for "not presented".
Scores are 0/1 for dichotomous items or integers ``0 .. K_j - 1`` for
polytomous (partial-credit, Likert) items; every function here accepts both.

Undefined quantities (a correlation with a variable that does not vary, an
alpha from a test whose total score does not vary) are NaN, never a warning:
:class:`ItemStatistics` records the reason for each NaN it reports.

References
----------
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16, 297-334.
Kuder, G. F., & Richardson, M. W. (1937). The theory of the estimation of test
    reliability. *Psychometrika*, 2, 151-160.
Crocker, L., & Algina, J. (1986). *Introduction to Classical and Modern Test
    Theory*, chapters 7 (reliability) and 14 (item analysis).
Kelley, T. L. (1939). The selection of upper and lower groups for the
    validation of test items. *Journal of Educational Psychology*, 30, 17-24.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DistractorAnalysis",
    "ItemOptions",
    "ItemStatistics",
    "alpha_if_item_deleted",
    "cronbach_alpha",
    "distractor_analysis",
    "item_statistics",
    "standard_error_of_measurement",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
MissingPolicy = Literal["complete", "pairwise"]


# --- validation ----------------------------------------------------------------------------


def _as_score_matrix(responses: ArrayLike, *, name: str = "responses") -> FloatArray:
    """Return ``responses`` as a read-only float64 2-D array after checking its values.

    Every non-NaN entry must be a finite integer ``>= 0``; the message names
    the person row and item column of the first offending entry.
    """
    matrix = np.asarray(responses)
    if matrix.ndim != 2:
        raise ValueError(f"{name} must be 2-D (persons x items), got shape {matrix.shape}")
    if matrix.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a numeric array of item scores and NaN, got dtype {matrix.dtype}")
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise ValueError(f"{name} must have at least one person and one item, got shape {matrix.shape}")
    scores = np.array(matrix, dtype=np.float64)
    observed = ~np.isnan(scores)
    filled = np.where(observed, scores, 0.0)
    invalid = observed & ~(np.isfinite(filled) & (filled >= 0) & (filled == np.floor(filled)))
    if invalid.any():
        row, column = (int(i) for i in np.argwhere(invalid)[0])
        raise ValueError(
            f"{name}[{row}, {column}] = {float(scores[row, column])!r} (person row {row}, item column {column}): "
            "expected a non-negative integer score or NaN"
        )
    scores.setflags(write=False)
    return scores


def _max_scores(scores: FloatArray, max_score: ArrayLike | None) -> FloatArray:
    """Per-item maximum score ``K_j - 1``: given, or the observed maximum (at least 1)."""
    n_items = scores.shape[1]
    observed_max = np.nanmax(np.where(np.isnan(scores), -np.inf, scores), axis=0)
    if max_score is None:
        result: FloatArray = np.maximum(observed_max, 1.0)
    else:
        result = np.broadcast_to(np.asarray(max_score, dtype=np.float64), (n_items,)).copy()
        bad = np.flatnonzero(~np.isfinite(result) | (result < 1) | (result != np.floor(result)))
        if bad.size:
            item = int(bad[0])
            raise ValueError(f"item {item}: max_score = {float(result[item])!r} must be an integer >= 1")
        above = np.flatnonzero(observed_max > result)
        if above.size:
            item = int(above[0])
            row = int(np.flatnonzero(scores[:, item] > result[item])[0])
            raise ValueError(
                f"responses[{row}, {item}] = {float(scores[row, item])!r} (person row {row}, item column {item}): "
                f"outside the item's categories 0..{int(result[item])}"
            )
    result.setflags(write=False)
    return result


def _check_missing_policy(missing: str) -> MissingPolicy:
    if missing not in ("complete", "pairwise"):
        raise ValueError(f"missing must be 'complete' or 'pairwise', got {missing!r}")
    return missing  # type: ignore[return-value]


# --- item statistics -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ItemStatistics:
    """Classical item statistics, one entry per item.

    Attributes
    ----------
    n_responses : ndarray of int, shape (n_items,)
        Persons who were presented the item (non-NaN scores).
    mean_score : ndarray, shape (n_items,)
        Mean item score over those persons.
    max_score : ndarray, shape (n_items,)
        Maximum possible score ``K_j - 1`` (1 for dichotomous items).
    p_value : ndarray, shape (n_items,)
        Classical difficulty ``mean_score / max_score`` in ``[0, 1]``: the
        proportion correct for 0/1 items.
    point_biserial : ndarray, shape (n_items,)
        Pearson correlation of the item score with the total score (item
        included), in ``[-1, 1]``; for 0/1 items this is the point-biserial.
    corrected_item_total : ndarray, shape (n_items,)
        Correlation of the item score with the rest score (total minus the
        item), in ``[-1, 1]``.
    reasons : Mapping[int, str]
        For each item with a NaN statistic, why it is undefined.
    """

    n_responses: IntArray
    mean_score: FloatArray
    max_score: FloatArray
    p_value: FloatArray
    point_biserial: FloatArray
    corrected_item_total: FloatArray
    reasons: Mapping[int, str]

    @property
    def n_items(self) -> int:
        """Number of items."""
        return int(self.n_responses.size)


def item_statistics(responses: ArrayLike, *, max_score: ArrayLike | None = None) -> ItemStatistics:
    """Proportion correct, point-biserial and corrected item-total correlation per item.

    With :math:`x_{ij}` the score of person *i* on item *j*, :math:`T_i = \\sum_j x_{ij}`
    the total over the items person *i* was presented, and :math:`R_{ij} = T_i - x_{ij}`
    the rest score, over the :math:`n_j` persons presented item *j*:

    .. math::

        p_j = \\frac{\\bar x_j}{K_j - 1}, \\qquad
        r_{jT} = \\frac{\\operatorname{cov}(x_j, T)}{s_{x_j} s_T}, \\qquad
        r_{jR} = \\frac{\\operatorname{cov}(x_j, T) - s_{x_j}^2}
                      {s_{x_j} \\sqrt{s_T^2 - 2 \\operatorname{cov}(x_j, T) + s_{x_j}^2}}

    The last form is the correlation with :math:`T - x_j` written with the
    moments already computed, so all items are handled in a few matrix products.

    Parameters
    ----------
    responses : array_like, shape (n_persons, n_items)
        Item scores: non-negative integers (0/1 or ``0 .. K_j - 1``), NaN for
        not presented.
    max_score : array_like, shape (n_items,) or scalar, optional
        Maximum score ``K_j - 1`` of each item, an integer ``>= 1``. Defaults to
        the largest observed score of the item (at least 1); give it for
        polytomous items whose top category nobody reached.

    Returns
    -------
    ItemStatistics
        Arrays of shape ``(n_items,)``. A statistic is NaN, with the reason in
        ``reasons``, when fewer than two persons saw the item, when the item or
        the total (or rest) score does not vary among them (for example an item
        everyone answered correctly), or, for the corrected correlation, when
        there is only one item.

    Raises
    ------
    ValueError
        If ``responses`` is not a non-empty 2-D numeric array, holds a value
        that is not a non-negative integer (the message names the person row
        and item column), or exceeds ``max_score``.

    Notes
    -----
    Missing data: each item's statistics use the persons presented that item,
    and a person's total is the sum over the items that person was presented
    (NaN counts as absent, not as 0). A person with no responses contributes
    nothing. Under a design with missing data the totals cover different
    items; fill omitted items with 0 first if omissions should count as wrong.
    """
    scores = _as_score_matrix(responses)
    n_items = scores.shape[1]
    maximum = _max_scores(scores, max_score)
    presented = ~np.isnan(scores)
    mask = presented.astype(np.float64)
    x = np.where(presented, scores, 0.0)
    total = x.sum(axis=1)
    total -= total[presented.any(axis=1)].mean() if presented.any() else 0.0  # centre for accuracy

    n = mask.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_x = x.sum(axis=0) / n
        mean_t = (total @ mask) / n
        # Per-item moments over the persons presented item j, centred on the item's subsample means.
        var_x = (x**2).sum(axis=0) / n - mean_x**2
        var_t = ((total**2) @ mask) / n - mean_t**2
        cov_xt = (total @ x) / n - mean_x * mean_t
        var_x = np.maximum(var_x, 0.0)
        var_t = np.maximum(var_t, 0.0)
        var_r = np.maximum(var_t - 2.0 * cov_xt + var_x, 0.0)
        point_biserial = cov_xt / np.sqrt(var_x * var_t)
        corrected = (cov_xt - var_x) / np.sqrt(var_x * var_r)

    # Rounding can leave a "zero" variance at 1e-17; treat relative noise as zero.
    tiny = 1e-12
    scale_x = np.maximum(maximum**2, 1.0)
    no_var_x = var_x <= tiny * scale_x
    scale_t = np.maximum(np.nanmax(np.abs(total)) ** 2 if total.size else 1.0, 1.0)
    no_var_t = var_t <= tiny * scale_t
    no_var_r = var_r <= tiny * scale_t

    reasons: dict[int, str] = {}
    for j in range(n_items):
        count = int(n[j])
        if count < 2:
            reasons[j] = f"item {j}: {count} respondent(s); correlations need at least 2"
        elif no_var_x[j]:
            reasons[j] = f"item {j}: every respondent scored {float(mean_x[j]):g}; the item has no variance"
        elif no_var_t[j]:
            reasons[j] = f"item {j}: the total score does not vary among its respondents"
        elif n_items == 1:
            reasons[j] = f"item {j}: the only item; the rest score is empty"
        elif no_var_r[j]:
            reasons[j] = f"item {j}: the rest score (total minus item) does not vary among its respondents"
    undefined_pb = (n < 2) | no_var_x | no_var_t
    undefined_corrected = undefined_pb | no_var_r | (n_items == 1)
    point_biserial = np.where(undefined_pb, np.nan, np.clip(point_biserial, -1.0, 1.0))
    corrected = np.where(undefined_corrected, np.nan, np.clip(corrected, -1.0, 1.0))
    mean_x = np.where(n > 0, mean_x, np.nan)
    for unseen in np.flatnonzero(n == 0):
        reasons[int(unseen)] = f"item {int(unseen)}: nobody was presented the item"
    arrays = {
        "n_responses": n.astype(np.int64),
        "mean_score": mean_x,
        "max_score": np.array(maximum),
        "p_value": mean_x / maximum,
        "point_biserial": point_biserial,
        "corrected_item_total": corrected,
    }
    for array in arrays.values():
        array.setflags(write=False)
    return ItemStatistics(**arrays, reasons=MappingProxyType(reasons))


# --- reliability ---------------------------------------------------------------------------


def _covariance(scores: FloatArray, missing: MissingPolicy) -> tuple[FloatArray, int]:
    """Item covariance matrix (ddof = 1) and the number of persons behind it.

    ``"complete"``: persons with every item presented. ``"pairwise"``: each
    covariance over the persons presented both items; the count returned is
    the smallest pairwise count.
    """
    presented = ~np.isnan(scores)
    if missing == "complete":
        complete = presented.all(axis=1)
        data = scores[complete]
        count = int(data.shape[0])
        if count < 2:
            raise ValueError(
                f"only {count} person(s) answered every item; alpha needs at least 2 complete cases "
                "(use missing='pairwise' for incomplete designs)"
            )
        centred = data - data.mean(axis=0)
        return (centred.T @ centred) / (count - 1), count
    mask = presented.astype(np.float64)
    counts = mask.sum(axis=0)
    raw = np.where(presented, scores, 0.0)
    # Centre each item on its available-case mean (for accuracy; covariances do not depend on it).
    centre = np.divide(raw.sum(axis=0), counts, out=np.zeros(scores.shape[1]), where=counts > 0)
    x = np.where(presented, raw - centre, 0.0)
    pair_n = mask.T @ mask
    sums = x.T @ mask  # sums[j, l] = sum of x_j over persons presented both j and l
    cross = x.T @ x
    small = np.argwhere(pair_n < 2)
    if small.size:
        j, k = (int(i) for i in small[0])
        raise ValueError(
            f"items {j} and {k} were presented together to {int(pair_n[j, k])} person(s); "
            "pairwise covariances need at least 2"
        )
    cov = (cross - sums * sums.T / pair_n) / (pair_n - 1)
    return cov, int(pair_n.min())


def _alpha_from_covariance(cov: FloatArray) -> float:
    k = cov.shape[0]
    total_variance = float(cov.sum())
    if not total_variance > 1e-12 * max(float(np.trace(cov)), 1.0):
        return float("nan")
    return float(k / (k - 1) * (1.0 - float(np.trace(cov)) / total_variance))


def _checked_scores_for_alpha(responses: ArrayLike) -> FloatArray:
    scores = _as_score_matrix(responses)
    if scores.shape[1] < 2:
        raise ValueError(f"reliability needs at least 2 items, got {scores.shape[1]}")
    return scores


def cronbach_alpha(responses: ArrayLike, *, missing: MissingPolicy = "complete") -> float:
    """Cronbach's coefficient alpha (KR-20 for 0/1 items).

    .. math::

        \\alpha = \\frac{k}{k - 1}\\left(1 - \\frac{\\sum_j s_j^2}{s_T^2}\\right),
        \\qquad s_T^2 = \\sum_j \\sum_l s_{jl}

    with :math:`s_{jl}` the item covariances (ddof = 1; the ddof cancels in the
    ratio). For 0/1 items :math:`s_j^2 \\propto p_j q_j`, so alpha *is* KR-20.

    Parameters
    ----------
    responses : array_like, shape (n_persons, n_items)
        Item scores (non-negative integers), NaN for not presented; at least
        2 items.
    missing : {"complete", "pairwise"}, optional
        ``"complete"`` (default): listwise deletion, only persons presented
        every item are used. ``"pairwise"``: each item variance and covariance
        over the persons presented both items, and :math:`s_T^2` their sum
        (the covariance-matrix form; psych::alpha's default). On complete
        data both give the same value.

    Returns
    -------
    float
        Alpha, ``<= 1`` (negative when items covary negatively on average).
        NaN when the total score has no variance (alpha is 0/0).

    Raises
    ------
    ValueError
        On invalid ``responses`` (naming the person and item), fewer than 2
        items, fewer than 2 complete cases under ``"complete"``, or a pair of
        items seen together by fewer than 2 persons under ``"pairwise"``.
    """
    scores = _checked_scores_for_alpha(responses)
    cov, _ = _covariance(scores, _check_missing_policy(missing))
    return _alpha_from_covariance(cov)


def alpha_if_item_deleted(responses: ArrayLike, *, missing: MissingPolicy = "complete") -> FloatArray:
    """Cronbach's alpha of the test with each item left out in turn.

    From the covariance matrix :math:`S` of all *k* items, without refitting:

    .. math::

        \\alpha_{(-j)} = \\frac{k - 1}{k - 2}\\left(1 -
            \\frac{\\operatorname{tr} S - s_{jj}}
                  {\\mathbf 1^\\top S \\mathbf 1 - 2 \\sum_l s_{jl} + s_{jj}}\\right)

    Parameters
    ----------
    responses : array_like, shape (n_persons, n_items)
        Item scores, NaN for not presented; at least 2 items.
    missing : {"complete", "pairwise"}, optional
        As in :func:`cronbach_alpha`. Under ``"complete"`` the complete cases
        are those of the *full* test, so every entry uses the same persons as
        :func:`cronbach_alpha` (and equals the alpha of the reduced matrix
        whenever the data are complete).

    Returns
    -------
    ndarray, shape (n_items,)
        Alpha without item *j*. NaN when the remaining total has no variance,
        and for every entry of a 2-item test (one item left: alpha undefined).

    Raises
    ------
    ValueError
        As :func:`cronbach_alpha`.
    """
    scores = _checked_scores_for_alpha(responses)
    cov, _ = _covariance(scores, _check_missing_policy(missing))
    k = cov.shape[0]
    result = np.full(k, np.nan)
    if k > 2:
        diag = np.diag(cov)
        total_variance = cov.sum() - 2.0 * cov.sum(axis=1) + diag
        item_variance = np.trace(cov) - diag
        with np.errstate(invalid="ignore", divide="ignore"):
            alpha = (k - 1) / (k - 2) * (1.0 - item_variance / total_variance)
        defined = total_variance > 1e-12 * np.maximum(item_variance, 1.0)
        result = np.where(defined, alpha, np.nan)
    result.setflags(write=False)
    return result


def standard_error_of_measurement(
    responses: ArrayLike, *, reliability: float | None = None, missing: MissingPolicy = "complete"
) -> float:
    """Standard error of measurement of the total score.

    .. math::

        SEM = s_T \\sqrt{1 - \\rho_{XX'}}

    with :math:`s_T` the standard deviation (ddof = 1) of the total score and
    :math:`\\rho_{XX'}` the reliability, by default Cronbach's alpha of the
    same data.

    Parameters
    ----------
    responses : array_like, shape (n_persons, n_items)
        Item scores, NaN for not presented; at least 2 items.
    reliability : float, optional
        A reliability in ``[0, 1]`` to use instead of alpha (for example from
        a parallel-forms study).
    missing : {"complete", "pairwise"}, optional
        As in :func:`cronbach_alpha`; :math:`s_T^2` is the sum of the item
        covariance matrix under the same policy (under ``"complete"``, the
        variance of the complete cases' totals).

    Returns
    -------
    float
        SEM in total-score units, ``>= 0``; NaN when alpha is undefined
        (total score without variance).

    Raises
    ------
    ValueError
        As :func:`cronbach_alpha`, or if the reliability (given or computed) is
        outside ``[0, 1]``: a negative alpha means the items do not measure a
        common trait and an SEM from it would be meaningless.
    """
    scores = _checked_scores_for_alpha(responses)
    cov, _ = _covariance(scores, _check_missing_policy(missing))
    if reliability is None:
        rho = _alpha_from_covariance(cov)
        source = "alpha"
    else:
        rho = float(reliability)
        source = "reliability"
        if np.isnan(rho):
            raise ValueError("reliability is NaN")
    if not np.isnan(rho) and not 0.0 <= rho <= 1.0:
        raise ValueError(f"{source} = {rho!r} is outside [0, 1]; the SEM is undefined")
    total_sd = float(np.sqrt(max(float(cov.sum()), 0.0)))
    return total_sd * float(np.sqrt(1.0 - rho))


# --- distractor analysis -------------------------------------------------------------------


def _is_omitted(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return False


def _option_sort_key(option: object) -> tuple[str, str]:
    return (type(option).__name__, str(option))


@dataclass(frozen=True, eq=False)
class ItemOptions:
    """Option analysis of one item.

    Attributes
    ----------
    item : int
        Item column.
    key : Hashable
        The correct option.
    options : tuple
        The options reported, sorted (by type, then text), always including
        the key; ``None`` (last, only if anyone omitted) stands for omitted.
    counts : ndarray of int, shape (n_options, n_groups)
        Persons in each score group choosing each option.
    proportions : ndarray, shape (n_options, n_groups)
        ``counts`` divided by the group size; each column sums to 1 (NaN for
        an empty group).
    point_biserial : ndarray, shape (n_options,)
        Correlation of "chose this option" (1/0) with the total score over
        all persons. Positive for the key and negative for working
        distractors.
    discrimination : float
        Upper-lower index of the key: proportion choosing the key in the top
        group minus that in the bottom group, in ``[-1, 1]`` (NaN if either
        group is empty).
    reasons : Mapping[Hashable, str]
        For each option with a NaN point-biserial, why.
    """

    item: int
    key: Hashable
    options: tuple[Hashable, ...]
    counts: IntArray
    proportions: FloatArray
    point_biserial: FloatArray
    discrimination: float
    reasons: Mapping[Hashable, str]


@dataclass(frozen=True, eq=False)
class DistractorAnalysis:
    """Distractor (option) analysis by score group.

    Attributes
    ----------
    items : tuple of ItemOptions
        One entry per item, in column order.
    group_labels : tuple of str
        Score groups from lowest to highest total, e.g. ``("lower", "upper")``
        or ``("1", "2", "3")``.
    group_sizes : ndarray of int, shape (n_groups,)
        Persons in each group.
    group : ndarray of int, shape (n_persons,)
        Each person's group index, ``-1`` for persons in no group (the middle
        under the upper/lower rule).
    total_score : ndarray, shape (n_persons,)
        Number-correct score used for grouping (omitted counts as wrong).
    """

    items: tuple[ItemOptions, ...]
    group_labels: tuple[str, ...]
    group_sizes: IntArray
    group: IntArray
    total_score: FloatArray


def _correlation_with(indicator: FloatArray, total: FloatArray) -> float:
    """Pearson correlation over all rows; NaN when either variable is constant."""
    ind = indicator - indicator.mean()
    tot = total - total.mean()
    denominator = float(np.sqrt((ind @ ind) * (tot @ tot)))
    if denominator <= 1e-12 * max(float(tot @ tot), 1.0):
        return float("nan")
    return float(np.clip((ind @ tot) / denominator, -1.0, 1.0))


def distractor_analysis(
    choices: ArrayLike,
    key: ArrayLike,
    *,
    n_groups: int = 3,
    extreme_fraction: float | None = None,
) -> DistractorAnalysis:
    """Proportion choosing each option in each score group, with option point-biserials.

    Persons are scored number-correct (``choice == key``; omitted is wrong),
    then grouped by total score, either

    - into ``n_groups`` groups of (nearly) equal size by mid-rank: with
      :math:`b_i` persons scoring strictly below person *i* and :math:`t_i`
      persons (including *i*) tied with *i*, the mid-rank is
      :math:`m_i = b_i + t_i / 2` and the group
      :math:`\\min(\\lfloor G\\, m_i / N \\rfloor, G - 1)`; or
    - with ``extreme_fraction=f`` (Kelley's upper-lower rule, ``f = 0.27``),
      into a lower group (:math:`m_i < fN`) and an upper group
      (:math:`N - m_i < fN`), the middle left out.

    Tied totals always share a group, so group sizes are only nearly equal
    (and a group may be empty: its proportions are NaN); the upper and lower
    groups can never overlap.

    For option *o* of item *j* the point-biserial is the Pearson correlation of
    :math:`[c_{ij} = o]` with the total score :math:`T_i` (item included).

    Parameters
    ----------
    choices : array_like, shape (n_persons, n_items)
        The option id each person chose (str, int or any hashable); ``None``,
        ``''`` or NaN for omitted.
    key : array_like, shape (n_items,)
        The correct option id of each item; never omitted.
    n_groups : int, optional
        Number of score groups, ``>= 2``; ignored when ``extreme_fraction``
        is given.
    extreme_fraction : float, optional
        Fraction in ``(0, 0.5]`` for upper-lower groups, e.g. ``0.27``.

    Returns
    -------
    DistractorAnalysis

    Raises
    ------
    ValueError
        If ``choices`` is not 2-D, ``key`` does not have one entry per item or
        has an omitted entry (naming the item), or ``n_groups`` or
        ``extreme_fraction`` is out of range.

    Notes
    -----
    A person who omitted everything scores 0 and is counted as omitting each
    item. An option nobody chose, or that everybody chose, has a NaN
    point-biserial with the reason recorded; so does every option when the
    total score does not vary. A single-item test is allowed (the total is
    the item score).
    """
    table = np.asarray(choices, dtype=object)
    if table.ndim != 2:
        raise ValueError(f"choices must be 2-D (persons x items), got shape {table.shape}")
    n_persons, n_items = table.shape
    if n_persons == 0 or n_items == 0:
        raise ValueError(f"choices must have at least one person and one item, got shape {table.shape}")
    keys = np.asarray(key, dtype=object)
    if keys.ndim != 1 or keys.size != n_items:
        raise ValueError(f"key must have one entry per item: expected {n_items}, got shape {keys.shape}")
    for j, value in enumerate(keys):
        if _is_omitted(value):
            raise ValueError(f"item {j}: key is {value!r}; every item needs a correct option")
    if extreme_fraction is None:
        if isinstance(n_groups, bool) or not isinstance(n_groups, (int, np.integer)) or n_groups < 2:
            raise ValueError(f"n_groups must be an integer >= 2, got {n_groups!r}")
    elif not (isinstance(extreme_fraction, (int, float)) and 0.0 < float(extreme_fraction) <= 0.5):
        raise ValueError(f"extreme_fraction must be in (0, 0.5], got {extreme_fraction!r}")

    omitted = np.vectorize(_is_omitted, otypes=[bool])(table)
    correct = (table == keys[np.newaxis, :]) & ~omitted
    correct = np.asarray(correct, dtype=bool)
    total = correct.sum(axis=1).astype(np.float64)

    sorted_total = np.sort(total)
    below = np.searchsorted(sorted_total, total, side="left")
    tied = np.searchsorted(sorted_total, total, side="right") - below
    mid_rank = below + tied / 2.0
    if extreme_fraction is None:
        group = np.minimum(np.floor(int(n_groups) * mid_rank / n_persons), int(n_groups) - 1)
        labels = tuple(str(g + 1) for g in range(int(n_groups)))
    else:
        cut = float(extreme_fraction) * n_persons
        group = np.where(mid_rank < cut, 0, np.where(n_persons - mid_rank < cut, 1, -1))
        labels = ("lower", "upper")
    group = group.astype(np.int64)
    size_of = np.bincount(group[group >= 0], minlength=len(labels)).astype(np.int64)
    one_hot = np.zeros((n_persons, len(labels)))
    in_group = group >= 0
    one_hot[np.flatnonzero(in_group), group[in_group]] = 1.0

    results = []
    for j in range(n_items):
        column = table[:, j]
        seen = {value for value in column[~omitted[:, j]]}
        seen.add(keys[j])
        options: list[Hashable] = sorted(seen, key=_option_sort_key)
        if omitted[:, j].any():
            options.append(None)
        indicators = np.empty((len(options), n_persons))
        for o, option in enumerate(options):
            chose = omitted[:, j] if option is None else (column == option) & ~omitted[:, j]
            indicators[o] = np.asarray(chose, dtype=np.float64)
        counts = (indicators @ one_hot).round().astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            proportions = counts / size_of
        reasons: dict[Hashable, str] = {}
        point_biserial = np.empty(len(options))
        for o, option in enumerate(options):
            label = "omitted" if option is None else f"option {option!r}"
            chosen = int(indicators[o].sum())
            point_biserial[o] = _correlation_with(indicators[o], total)
            if np.isnan(point_biserial[o]):
                if chosen == 0:
                    reasons[option] = f"item {j}: {label} was chosen by nobody"
                elif chosen == n_persons:
                    reasons[option] = f"item {j}: {label} was chosen by everybody"
                else:
                    reasons[option] = f"item {j}: the total score does not vary"
        key_row = options.index(keys[j])
        discrimination = float(proportions[key_row, -1] - proportions[key_row, 0])
        for array in (counts, proportions, point_biserial):
            array.setflags(write=False)
        results.append(
            ItemOptions(
                item=j,
                key=keys[j],
                options=tuple(options),
                counts=counts,
                proportions=proportions,
                point_biserial=point_biserial,
                discrimination=discrimination,
                reasons=MappingProxyType(reasons),
            )
        )
    for array in (size_of, group, total):
        array.setflags(write=False)
    return DistractorAnalysis(
        items=tuple(results), group_labels=labels, group_sizes=size_of, group=group, total_score=total
    )
