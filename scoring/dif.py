"""Differential item functioning: the Mantel-Haenszel procedure with ETS A/B/C classes.

For each dichotomous item, examinees of a reference and a focal group are
matched on a criterion (by default the total test score, studied item
included) and, in each matching stratum *k*, cross-classified:

==============  =============  ===============  ===========
group           right (1)      wrong (0)        total
==============  =============  ===============  ===========
reference       :math:`A_k`    :math:`B_k`      :math:`n_{Rk}`
focal           :math:`C_k`    :math:`D_k`      :math:`n_{Fk}`
total           :math:`m_{1k}` :math:`m_{0k}`   :math:`T_k`
==============  =============  ===============  ===========

References
----------
Mantel, N., & Haenszel, W. (1959). Statistical aspects of the analysis of data
    from retrospective studies of disease. *JNCI*, 22, 719-748.
Holland, P. W., & Thayer, D. T. (1988). Differential item performance and the
    Mantel-Haenszel procedure. In H. Wainer & H. I. Braun (Eds.), *Test
    Validity* (pp. 129-145). Hillsdale, NJ: Erlbaum.
Robins, J., Breslow, N., & Greenland, S. (1986). Estimators of the
    Mantel-Haenszel variance consistent in both sparse data and large-strata
    limiting models. *Biometrics*, 42, 311-323.
Phillips, A., & Holland, P. W. (1987). Estimators of the variance of the
    Mantel-Haenszel log-odds-ratio estimate. *Biometrics*, 43, 425-431.
Dorans, N. J., & Holland, P. W. (1993). DIF detection and description:
    Mantel-Haenszel and standardization. In P. W. Holland & H. Wainer (Eds.),
    *Differential Item Functioning* (pp. 35-66). Hillsdale, NJ: Erlbaum.
Zieky, M. (1993). Practical questions in the use of DIF statistics in test
    development. In P. W. Holland & H. Wainer (Eds.), *Differential Item
    Functioning* (pp. 337-347). Hillsdale, NJ: Erlbaum.
Zwick, R. (2012). *A review of ETS differential item functioning assessment
    procedures: Flagging rules, minimum sample size requirements, and
    criterion refinement* (ETS RR-12-08).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = ["DELTA_SCALE", "MantelHaenszelDIF", "mantel_haenszel_dif"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: ETS delta metric: MH D-DIF = DELTA_SCALE * ln(alpha_MH), DELTA_SCALE = -2.35 (= -4/1.7).
DELTA_SCALE = -2.35


@dataclass(frozen=True, eq=False)
class MantelHaenszelDIF:
    """Mantel-Haenszel DIF statistics, one entry per item.

    Attributes
    ----------
    alpha_mh : ndarray, shape (n_items,)
        Common odds ratio, ``> 0``; above 1 favours the reference group.
    delta : ndarray, shape (n_items,)
        MH D-DIF ``= -2.35 ln(alpha_mh)``; negative means the item is harder
        for the focal group than for matched reference examinees.
    se_delta : ndarray, shape (n_items,)
        Standard error of ``delta`` (Robins-Breslow-Greenland variance).
    chi_square : ndarray, shape (n_items,)
        MH chi-square (1 df), with or without continuity correction.
    p_value : ndarray, shape (n_items,)
        Upper-tail chi-square(1) probability of ``chi_square``.
    ets_class : tuple of str, length n_items
        ``"A"``, ``"B"`` or ``"C"``; ``""`` where the statistics are undefined.
    n_reference, n_focal : ndarray of int, shape (n_items,)
        Examinees of each group used for the item (in retained strata).
    n_strata : ndarray of int, shape (n_items,)
        Strata retained (both groups present).
    reasons : Mapping[int, str]
        For each item with NaN statistics, why.
    """

    alpha_mh: FloatArray
    delta: FloatArray
    se_delta: FloatArray
    chi_square: FloatArray
    p_value: FloatArray
    ets_class: tuple[str, ...]
    n_reference: IntArray
    n_focal: IntArray
    n_strata: IntArray
    reasons: Mapping[int, str]


def _is_missing_label(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return False


def _responses(responses: ArrayLike) -> tuple[FloatArray, NDArray[np.bool_]]:
    matrix = np.asarray(responses)
    if matrix.ndim != 2:
        raise ValueError(f"responses must be 2-D (persons x items), got shape {matrix.shape}")
    if matrix.dtype.kind not in "biuf":
        raise ValueError(f"responses must be a numeric array of 0, 1 and NaN, got dtype {matrix.dtype}")
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise ValueError(f"responses must have at least one person and one item, got shape {matrix.shape}")
    scores = matrix.astype(np.float64)
    presented = ~np.isnan(scores)
    x = np.where(presented, scores, 0.0)
    invalid = (x != 0.0) & (x != 1.0)
    if invalid.any():
        row, column = (int(i) for i in np.argwhere(invalid)[0])
        raise ValueError(
            f"responses[{row}, {column}] = {float(scores[row, column])!r} (person row {row}, item column {column}): "
            "expected 0, 1 or NaN (Mantel-Haenszel DIF here is for dichotomous items)"
        )
    return x, presented


def mantel_haenszel_dif(
    responses: ArrayLike,
    group: ArrayLike,
    *,
    focal: Hashable,
    reference: Hashable,
    matching: ArrayLike | None = None,
    significance: float = 0.05,
    continuity_correction: bool = True,
) -> MantelHaenszelDIF:
    """Mantel-Haenszel DIF for every item, with the ETS A/B/C classification.

    Over the retained strata *k* (see the table in the module docstring):

    .. math::

        \\hat\\alpha_{MH} &= \\frac{\\sum_k A_k D_k / T_k}{\\sum_k B_k C_k / T_k},
        \\qquad \\text{MH D-DIF} = -2.35 \\ln \\hat\\alpha_{MH} \\\\
        \\widehat{\\operatorname{Var}}(\\ln\\hat\\alpha_{MH}) &=
            \\frac{\\sum_k P_k R_k}{2 R^2} + \\frac{\\sum_k (P_k S_k + Q_k R_k)}{2 R S}
            + \\frac{\\sum_k Q_k S_k}{2 S^2}

    with :math:`R_k = A_k D_k / T_k`, :math:`S_k = B_k C_k / T_k`,
    :math:`P_k = (A_k + D_k) / T_k`, :math:`Q_k = (B_k + C_k) / T_k`,
    :math:`R = \\sum R_k`, :math:`S = \\sum S_k` (Robins, Breslow & Greenland,
    1986; the Phillips-Holland form), so
    :math:`SE(\\text{D-DIF}) = 2.35 \\sqrt{\\widehat{\\operatorname{Var}}}`. The test
    of no DIF is

    .. math::

        \\chi^2_{MH} = \\frac{\\left(\\left|\\sum_k A_k - \\sum_k E(A_k)\\right| - \\tfrac12\\right)^2}
                           {\\sum_k \\operatorname{Var}(A_k)}, \\quad
        E(A_k) = \\frac{n_{Rk} m_{1k}}{T_k}, \\quad
        \\operatorname{Var}(A_k) = \\frac{n_{Rk} n_{Fk} m_{1k} m_{0k}}{T_k^2 (T_k - 1)}

    referred to chi-square with 1 df. The continuity correction subtracts
    :math:`\\min(\\tfrac12, |\\sum A_k - \\sum E(A_k)|)` (as R's
    ``mantelhaen.test``), so it never increases the statistic; a stratum with
    :math:`T_k = 1` has variance 0.

    ETS classification (Zieky, 1993; Dorans & Holland, 1993; the rules as
    reviewed by Zwick, 2012), with :math:`D` = MH D-DIF and ``significance``
    :math:`= .05`:

    - **A** (negligible): :math:`|D| < 1`, *or* :math:`D` is not significantly
      different from 0 (:math:`\\chi^2_{MH}` p-value ``>= significance``);
    - **C** (large): :math:`|D| \\ge 1.5` *and* :math:`|D|` is significantly
      greater than 1, i.e. :math:`(|D| - 1) / SE(D) > z_{1 - \\text{significance}}`
      (one-sided; 1.645 at .05);
    - **B** (moderate): every other item (significant, :math:`|D| \\ge 1`,
      and not C).

    The sign of ``delta`` tells the direction ("C-" favours the reference
    group, "C+" the focal group, in ETS reports).

    Parameters
    ----------
    responses : array_like, shape (n_persons, n_items)
        0, 1 or NaN (not presented). A person is left out of an item's tables
        when the item was not presented to them.
    group : array_like, shape (n_persons,)
        Group label of each person. Labels other than ``focal`` and
        ``reference`` are left out of the analysis; a missing label (None,
        ``''`` or NaN) is an error.
    focal, reference : hashable
        The labels of the focal and the reference group; both must occur.
    matching : array_like, shape (n_persons,), optional
        Matching criterion (stratum value per person, finite numbers, e.g. a
        score on an anchor test or a rounded ability). Default: the total
        score over the items each person was presented, studied item
        included (Holland & Thayer, 1988: including it makes the MH procedure
        agree with the Rasch model's no-DIF hypothesis). Each distinct value
        is one stratum.
    significance : float, optional
        Level of the tests used by the classification, in ``(0, 0.5)``.
    continuity_correction : bool, optional
        Apply the 1/2 continuity correction to the chi-square (ETS practice).

    Returns
    -------
    MantelHaenszelDIF
        Strata without any focal or without any reference examinee for the
        item carry no information about the odds ratio and are dropped. An
        item's statistics are NaN (class ``""``), with the reason, when no
        stratum remains, or when :math:`\\sum S_k = 0` or :math:`\\sum R_k = 0`
        (the odds ratio is infinite or zero, e.g. an item everyone answered
        correctly or only one group ever failed).

    Raises
    ------
    ValueError
        If ``responses`` is not 2-D or holds a value other than 0, 1, NaN
        (naming person and item); ``group`` or ``matching`` does not have one
        entry per person or has a missing / non-finite entry (naming the
        person); ``focal`` equals ``reference`` or either label does not
        occur; ``significance`` is out of range.

    Notes
    -----
    With NaN in ``responses`` the default total covers different items for
    different persons; under such designs pass an explicit ``matching``
    (for example a rounded ability estimate).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 1], [1, 0], [0, 1], [1, 1], [0, 0], [1, 0]], float)
    >>> dif = mantel_haenszel_dif(x, ["R", "R", "R", "F", "F", "F"], focal="F", reference="R")
    """
    x, presented = _responses(responses)
    n_persons, n_items = x.shape
    labels = np.asarray(group, dtype=object)
    if labels.shape != (n_persons,):
        raise ValueError(f"group must have one label per person: expected ({n_persons},), got {labels.shape}")
    for i, value in enumerate(labels):
        if _is_missing_label(value):
            raise ValueError(f"person {i}: group label is missing ({value!r})")
    if focal == reference:
        raise ValueError(f"focal and reference must differ, both are {focal!r}")
    is_focal = np.asarray(labels == focal, dtype=bool)
    is_reference = np.asarray(labels == reference, dtype=bool)
    for name, label, mask in (("focal", focal, is_focal), ("reference", reference, is_reference)):
        if not mask.any():
            raise ValueError(f"{name} group label {label!r} does not occur in group")
    if not (isinstance(significance, (int, float)) and 0.0 < float(significance) < 0.5):
        raise ValueError(f"significance must be in (0, 0.5), got {significance!r}")

    if matching is None:
        criterion = x.sum(axis=1)
    else:
        try:
            criterion = np.asarray(matching, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"matching must be numeric: {exc}") from None
        if criterion.shape != (n_persons,):
            raise ValueError(f"matching must have one value per person: expected ({n_persons},), got {criterion.shape}")
        bad = np.flatnonzero(~np.isfinite(criterion))
        if bad.size:
            person = int(bad[0])
            raise ValueError(f"person {person}: matching = {float(criterion[person])!r} is not finite")

    # One column per (stratum, group): counts of presented and of right answers for all items at once.
    in_study = is_focal | is_reference
    _, stratum = np.unique(criterion, return_inverse=True)
    n_strata_all = int(stratum.max()) + 1
    cell = stratum * 2 + is_focal.astype(np.int64)  # 0: reference, 1: focal
    rows = np.flatnonzero(in_study)
    order = rows[np.argsort(cell[rows], kind="stable")]
    sorted_cells = cell[order]
    starts = np.flatnonzero(np.r_[True, sorted_cells[1:] != sorted_cells[:-1]])
    right = np.zeros((2 * n_strata_all, n_items))
    seen = np.zeros((2 * n_strata_all, n_items))
    # Sum the rows of each (stratum, group) cell: memory stays O(n_persons x n_items).
    right[sorted_cells[starts]] = np.add.reduceat(x[order], starts, axis=0)
    seen[sorted_cells[starts]] = np.add.reduceat(presented[order].astype(np.float64), starts, axis=0)
    right_cells = right.reshape(n_strata_all, 2, n_items)
    seen_cells = seen.reshape(n_strata_all, 2, n_items)
    a_k, c_k = right_cells[:, 0, :], right_cells[:, 1, :]
    n_ref, n_foc = seen_cells[:, 0, :], seen_cells[:, 1, :]
    b_k, d_k = n_ref - a_k, n_foc - c_k
    keep = (n_ref > 0) & (n_foc > 0)  # strata x items
    total = np.where(keep, n_ref + n_foc, 1.0)  # 1 avoids 0/0 in dropped strata; masked below
    m1, m0 = a_k + c_k, b_k + d_k

    weight = keep.astype(np.float64)
    r_k = weight * a_k * d_k / total
    s_k = weight * b_k * c_k / total
    p_k = (a_k + d_k) / total
    q_k = (b_k + c_k) / total
    r_sum, s_sum = r_k.sum(axis=0), s_k.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha_mh = r_sum / s_sum
        var_log = (
            (p_k * r_k).sum(axis=0) / (2.0 * r_sum**2)
            + (p_k * s_k + q_k * r_k).sum(axis=0) / (2.0 * r_sum * s_sum)
            + (q_k * s_k).sum(axis=0) / (2.0 * s_sum**2)
        )
        delta = DELTA_SCALE * np.log(alpha_mh)
        se_delta = abs(DELTA_SCALE) * np.sqrt(var_log)
        expected_a = weight * n_ref * m1 / total
        var_a = np.where(keep & (total > 1), n_ref * n_foc * m1 * m0 / (total**2 * (total - 1.0)), 0.0)
        difference = np.abs((weight * a_k).sum(axis=0) - expected_a.sum(axis=0))
        correction = np.minimum(0.5, difference) if continuity_correction else 0.0
        chi_square = (difference - correction) ** 2 / var_a.sum(axis=0)
    p_value = stats.chi2.sf(chi_square, 1)

    n_strata = keep.sum(axis=0).astype(np.int64)
    reasons: dict[int, str] = {}
    for j in range(n_items):
        if n_strata[j] == 0:
            reasons[j] = f"item {j}: no matching stratum holds both focal and reference examinees"
        elif r_sum[j] == 0 and s_sum[j] == 0:
            reasons[j] = f"item {j}: within every stratum one of the groups was all right or all wrong; alpha_MH is 0/0"
        elif s_sum[j] == 0:
            reasons[j] = (
                f"item {j}: sum of B_k C_k / T_k is 0 (no wrong reference with right focal); alpha_MH is infinite"
            )
        elif r_sum[j] == 0:
            reasons[j] = f"item {j}: sum of A_k D_k / T_k is 0 (no right reference with wrong focal); alpha_MH is 0"
    undefined = np.zeros(n_items, dtype=bool)
    undefined[list(reasons)] = True
    alpha_mh = np.where(undefined, np.nan, alpha_mh)
    delta = np.where(undefined, np.nan, delta)
    se_delta = np.where(undefined, np.nan, se_delta)
    no_variance = ~(var_a.sum(axis=0) > 0)
    for flat_j in np.flatnonzero(no_variance & ~undefined):
        reasons[int(flat_j)] = f"item {int(flat_j)}: the MH chi-square has zero variance (every stratum has T_k = 1)"
    chi_square = np.where(undefined | no_variance, np.nan, chi_square)
    p_value = np.where(undefined | no_variance, np.nan, p_value)

    z_critical = float(stats.norm.ppf(1.0 - float(significance)))
    size = np.abs(delta)
    significant_vs_zero = p_value < significance
    with np.errstate(invalid="ignore", divide="ignore"):
        greater_than_one = (size - 1.0) / se_delta > z_critical
    classes = []
    for j in range(n_items):
        if undefined[j] or np.isnan(p_value[j]) or np.isnan(se_delta[j]):
            classes.append("")
        elif size[j] < 1.0 or not significant_vs_zero[j]:
            classes.append("A")
        elif size[j] >= 1.5 and greater_than_one[j]:
            classes.append("C")
        else:
            classes.append("B")

    n_reference = (np.where(keep, n_ref, 0.0)).sum(axis=0).round().astype(np.int64)
    n_focal = (np.where(keep, n_foc, 0.0)).sum(axis=0).round().astype(np.int64)
    for array in (alpha_mh, delta, se_delta, chi_square, p_value, n_reference, n_focal, n_strata):
        array.setflags(write=False)
    return MantelHaenszelDIF(
        alpha_mh=alpha_mh,
        delta=delta,
        se_delta=se_delta,
        chi_square=chi_square,
        p_value=p_value,
        ets_class=tuple(classes),
        n_reference=n_reference,
        n_focal=n_focal,
        n_strata=n_strata,
        reasons=MappingProxyType(reasons),
    )
