import math
import warnings

import numpy as np
import pytest

from scoring.dif import mantel_haenszel_dif
from scoring.irt import ItemParams, probability


def persons_from_tables(tables):
    """Expand {(stratum, group): (right, wrong)} into one-item responses, labels and strata."""
    responses, labels, strata = [], [], []
    for (stratum, label), (right, wrong) in tables.items():
        responses += [1.0] * right + [0.0] * wrong
        labels += [label] * (right + wrong)
        strata += [stratum] * (right + wrong)
    return np.array(responses)[:, np.newaxis], labels, np.array(strata, dtype=float)


# --- published reference --------------------------------------------------------------------

# Columbia MSPH P8120 course notes, "Cochran-Mantel-Haenszel test" (https://msph-p8120.github.io/cmh.html):
# stress (low, high) x opinion (favorable, unfavorable), stratified by region (rural, urban).
# R, mantelhaen.test(correct = FALSE), prints: Mantel-Haenszel X-squared = 23.05, p-value = 1.578e-06,
# 95 percent confidence interval 2.066744 6.069367, common odds ratio 3.541726.
# As DIF: reference = low stress, focal = high stress, "right" = favorable, stratum = region.
HEALTH_POLICY = {
    (0, "low"): (55, 135),  # rural
    (0, "high"): (7, 53),
    (1, "low"): (48, 12),  # urban
    (1, "high"): (96, 94),
}


def test_reproduces_r_mantelhaen_test_health_policy_example():
    responses, labels, strata = persons_from_tables(HEALTH_POLICY)
    result = mantel_haenszel_dif(
        responses, labels, focal="high", reference="low", matching=strata, continuity_correction=False
    )
    assert result.alpha_mh[0] == pytest.approx(3.541726, abs=5e-7)
    assert result.chi_square[0] == pytest.approx(23.05, abs=5e-3)
    assert result.p_value[0] == pytest.approx(1.578e-06, rel=1e-3)
    # R's interval is exp(ln alpha +- z_.975 * SE), SE from the Robins-Breslow-Greenland variance.
    se_log = result.se_delta[0] / 2.35
    z = 1.959963984540054
    lower, upper = np.exp(np.log(result.alpha_mh[0]) + np.array([-z, z]) * se_log)
    assert lower == pytest.approx(2.066744, abs=5e-7)
    assert upper == pytest.approx(6.069367, abs=5e-7)
    assert result.delta[0] == pytest.approx(-2.35 * math.log(3.541726), abs=1e-5)
    np.testing.assert_array_equal(result.n_reference, [250])
    np.testing.assert_array_equal(result.n_focal, [250])


def test_health_policy_by_hand_with_continuity_correction():
    responses, labels, strata = persons_from_tables(HEALTH_POLICY)
    result = mantel_haenszel_dif(responses, labels, focal="high", reference="low", matching=strata)
    # alpha = (55*53/250 + 48*94/250) / (135*7/250 + 12*96/250) = 7427 / 2097.
    assert result.alpha_mh[0] == pytest.approx(7427 / 2097)
    # Rural: n_R = 190, n_F = 60, m1 = 62, m0 = 188, T = 250: E(A) = 190*62/250 = 47.12,
    #   Var(A) = 190*60*62*188 / (250^2 * 249).  Urban: n_R = 60, n_F = 190, m1 = 144, m0 = 106:
    #   E(A) = 60*144/250 = 34.56, Var(A) = 60*190*144*106 / (250^2 * 249).
    expected_a = 190 * 62 / 250 + 60 * 144 / 250
    var_a = (190 * 60 * 62 * 188 + 60 * 190 * 144 * 106) / (250**2 * 249)
    difference = abs(55 + 48 - expected_a)  # 21.32
    assert result.chi_square[0] == pytest.approx((difference - 0.5) ** 2 / var_a)  # 21.98
    # RBG variance by hand: R_k = A D / T, S_k = B C / T, P_k = (A + D) / T, Q_k = (B + C) / T.
    r_k = np.array([55 * 53, 48 * 94]) / 250
    s_k = np.array([135 * 7, 12 * 96]) / 250
    p_k = np.array([55 + 53, 48 + 94]) / 250
    q_k = np.array([135 + 7, 12 + 96]) / 250
    r, s = r_k.sum(), s_k.sum()
    variance = (p_k @ r_k) / (2 * r**2) + (p_k @ s_k + q_k @ r_k) / (2 * r * s) + (q_k @ s_k) / (2 * s**2)
    assert result.se_delta[0] == pytest.approx(2.35 * math.sqrt(variance))
    assert result.ets_class == ("C",)  # |D| = 2.97, (2.97 - 1) / 0.646 = 3.05 > 1.645


def test_single_stratum_rbg_variance_is_woolf_variance():
    # With one stratum the RBG variance reduces to 1/A + 1/B + 1/C + 1/D.
    responses, labels, strata = persons_from_tables({(0, "R"): (30, 20), (0, "F"): (15, 35)})
    result = mantel_haenszel_dif(responses, labels, focal="F", reference="R", matching=strata)
    assert result.alpha_mh[0] == pytest.approx(30 * 35 / (20 * 15))
    assert result.se_delta[0] == pytest.approx(2.35 * math.sqrt(1 / 30 + 1 / 20 + 1 / 15 + 1 / 35))


# --- ETS classification ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "focal", "expected"),
    [
        # alpha = 5000*5000/(5000*3000) = 5/3, D = -2.35 ln(5/3) = -1.20, SE ~ 0.07: significant, 1 <= |D| < 1.5.
        ((5000, 5000), (3000, 5000), "B"),
        # alpha = 2.5, D = -2.15, SE = 2.35 sqrt(1/5000 + 1/5000 + 1/2000 + 1/5000) ~ 0.07: C.
        ((5000, 5000), (2000, 5000), "C"),
        # alpha = 2.5, D = -2.15 but SE = 2.35 sqrt(2/40 + 1/20 + 1/50) = 0.81: significant against 0
        # (chi-square p < .05) yet (2.15 - 1) / 0.81 = 1.42 < 1.645: not significantly above 1 -> B.
        ((40, 40), (20, 50), "B"),
        # Same odds ratio, SE = 2.35 sqrt(2/60 + 1/30 + 1/75) = 0.66: (2.15 - 1) / 0.66 = 1.73 -> C.
        ((60, 60), (30, 75), "C"),
        # alpha = 2.5 with tiny groups: not significant -> A despite |D| = 2.15.
        ((6, 6), (4, 10), "A"),
        # alpha = 1.2: |D| = 0.43 < 1 -> A even though highly significant.
        ((60000, 50000), (50000, 50000), "A"),
        # Favouring the focal group (D > 0) is classified by |D| the same way.
        ((2000, 5000), (5000, 5000), "C"),
    ],
)
def test_ets_classification_rules(reference, focal, expected):
    responses, labels, strata = persons_from_tables({(0, "R"): reference, (0, "F"): focal})
    result = mantel_haenszel_dif(responses, labels, focal="F", reference="R", matching=strata)
    assert result.ets_class == (expected,)


def test_classification_thresholds_from_the_rules():
    responses, labels, strata = persons_from_tables({(0, "R"): (40, 40), (0, "F"): (20, 50)})
    result = mantel_haenszel_dif(responses, labels, focal="F", reference="R", matching=strata)
    d, se = abs(result.delta[0]), result.se_delta[0]
    assert d >= 1.5 and result.p_value[0] < 0.05
    assert (d - 1) / se < 1.6448536269514722  # hence B, not C
    loose = mantel_haenszel_dif(responses, labels, focal="F", reference="R", matching=strata, significance=0.1)
    assert (d - 1) / se > 1.2815515655446004 and loose.ets_class == ("C",)


# --- simulated data -------------------------------------------------------------------------


def simulate_groups(seed: int, b_shift: float):
    rng = np.random.default_rng(seed)
    n_items, n_group = 25, 2500
    a = rng.uniform(0.8, 1.8, n_items)
    b = rng.uniform(-1.5, 1.5, n_items)
    reference_items = ItemParams(a=a, b=b)
    focal_items = ItemParams(a=a, b=b + np.r_[b_shift, np.zeros(n_items - 1)])  # item 0 harder for focal
    theta_reference = rng.normal(0.0, 1.0, n_group)
    theta_focal = rng.normal(-0.5, 1.0, n_group)  # impact: a real ability difference, not DIF
    x_reference = rng.random((n_group, n_items)) < probability(theta_reference, reference_items)
    x_focal = rng.random((n_group, n_items)) < probability(theta_focal, focal_items)
    responses = np.vstack([x_reference, x_focal]).astype(float)
    labels = np.array(["ref"] * n_group + ["foc"] * n_group)
    return responses, labels


def test_no_dif_simulated_without_dif_despite_impact():
    responses, labels = simulate_groups(5, b_shift=0.0)
    result = mantel_haenszel_dif(responses, labels, focal="foc", reference="ref")
    assert result.ets_class.count("A") >= 23
    assert "C" not in result.ets_class
    assert np.all(np.abs(result.delta) < 1.0)


def test_flags_c_for_item_with_large_b_shift_in_focal_group():
    responses, labels = simulate_groups(6, b_shift=1.0)
    result = mantel_haenszel_dif(responses, labels, focal="foc", reference="ref")
    assert result.ets_class[0] == "C"
    assert result.delta[0] < -1.5  # harder for the focal group: negative D-DIF
    assert result.ets_class[1:].count("C") == 0


def test_default_matching_is_total_score_including_studied_item():
    responses, labels = simulate_groups(7, b_shift=0.5)
    default = mantel_haenszel_dif(responses, labels, focal="foc", reference="ref")
    explicit = mantel_haenszel_dif(responses, labels, focal="foc", reference="ref", matching=responses.sum(axis=1))
    np.testing.assert_array_equal(default.alpha_mh, explicit.alpha_mh)
    np.testing.assert_array_equal(default.chi_square, explicit.chi_square)


# --- strata, groups and undefined items ------------------------------------------------------


def test_strata_without_both_groups_are_dropped():
    base = dict(HEALTH_POLICY)
    responses, labels, strata = persons_from_tables(base)
    reference = mantel_haenszel_dif(responses, labels, focal="high", reference="low", matching=strata)
    # Add a stratum holding only reference examinees, and examinees of a third group.
    extra = dict(base)
    extra[(2, "low")] = (30, 3)
    extra[(0, "other")] = (10, 10)
    responses2, labels2, strata2 = persons_from_tables(extra)
    result = mantel_haenszel_dif(responses2, labels2, focal="high", reference="low", matching=strata2)
    np.testing.assert_allclose(result.alpha_mh, reference.alpha_mh)
    np.testing.assert_allclose(result.chi_square, reference.chi_square)
    np.testing.assert_array_equal(result.n_strata, [2])
    np.testing.assert_array_equal(result.n_reference, [250])


def test_item_everyone_answered_correctly_is_undefined_with_reason():
    responses, labels = simulate_groups(8, b_shift=0.0)
    responses[:, 3] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = mantel_haenszel_dif(responses, labels, focal="foc", reference="ref")
    assert np.isnan(result.alpha_mh[3]) and np.isnan(result.delta[3]) and np.isnan(result.chi_square[3])
    assert result.ets_class[3] == ""
    assert "item 3" in result.reasons[3]
    assert result.ets_class[4] in ("A", "B")


def test_not_presented_responses_are_left_out_of_the_item_tables():
    responses, labels, strata = persons_from_tables(HEALTH_POLICY)
    both = np.hstack([responses, responses])
    both[:10, 1] = np.nan  # the first ten (rural, low, right) did not see item 1
    result = mantel_haenszel_dif(both, labels, focal="high", reference="low", matching=strata)
    kept = mantel_haenszel_dif(responses[10:], labels[10:], focal="high", reference="low", matching=strata[10:])
    assert result.alpha_mh[1] == pytest.approx(kept.alpha_mh[0])
    np.testing.assert_array_equal(result.n_reference, [250, 240])


# --- bad input ------------------------------------------------------------------------------

X = np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=float)


@pytest.mark.parametrize(
    ("responses", "group", "kwargs", "match"),
    [
        (X, ["R", "R", None, "F"], {}, r"person 2: group label is missing \(None\)"),
        (X, ["R", "R", "", "F"], {}, "person 2: group label is missing"),
        (X, ["R", "R", float("nan"), "F"], {}, "person 2: group label is missing"),
        (X, ["R", "R", "F"], {}, r"group must have one label per person: expected \(4,\)"),
        (X, ["R", "R", "R", "R"], {}, "focal group label 'F' does not occur"),
        (X, ["F", "F", "F", "F"], {}, "reference group label 'R' does not occur"),
        (X, ["R", "R", "F", "F"], {"focal": "R"}, "must differ"),
        (np.array([[1, 0], [2, 1], [1, 1], [0, 0]]), ["R", "R", "F", "F"], {}, r"person row 1, item column 0"),
        (np.zeros(4), ["R", "R", "F", "F"], {}, "2-D"),
        (X, ["R", "R", "F", "F"], {"matching": [1, 2, np.nan, 3]}, "person 2: matching = nan is not finite"),
        (X, ["R", "R", "F", "F"], {"matching": [1, 2]}, "one value per person"),
        (X, ["R", "R", "F", "F"], {"significance": 0.7}, "significance"),
    ],
)
def test_bad_input(responses, group, kwargs, match):
    arguments = {"focal": "F", "reference": "R", **kwargs}
    with pytest.raises(ValueError, match=match):
        mantel_haenszel_dif(responses, group, **arguments)
