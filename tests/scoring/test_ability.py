"""Ability estimation for every model: EAP, MAP, MLE, WLE, and the summed-score EAP table."""

import itertools

import numpy as np
import pytest
from scipy import optimize

from scoring.irt import (
    STATUS_AT_BOUND,
    STATUS_EXTREME_HIGH,
    STATUS_EXTREME_LOW,
    STATUS_NO_RESPONSES,
    STATUS_OK,
    ItemParams,
    category_probabilities,
    estimate_ability,
    information,
    log_likelihood,
    sum_score_eap_table,
)
from scoring.simulate import random_items, simulate

METHODS = ["eap", "map", "mle", "wle"]
MIXED_MODELS = ["2pl"] * 8 + ["3pl"] * 6 + ["grm"] * 8 + ["gpcm"] * 8


@pytest.fixture(scope="module")
def mixed_items() -> ItemParams:
    return random_items(len(MIXED_MODELS), MIXED_MODELS, np.random.default_rng(300), n_categories=4)


def loglik_at(pattern: np.ndarray, items: ItemParams, theta: float) -> float:
    return float(log_likelihood(pattern[np.newaxis, :], items, [theta])[0, 0])


def derivative(f, x: float, h: float = 1e-4) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


# --- recovery -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("model", ["2pl", "3pl", "grm", "gpcm", "mixed"])
def test_every_method_recovers_simulated_abilities(method, model, mixed_items):
    rng = np.random.default_rng(301)
    items = mixed_items if model == "mixed" else random_items(30, model, rng)
    responses, true_theta = simulate(items, 1_500, rng, missing=0.1)
    result = estimate_ability(responses, items, method)
    ok = result.status == STATUS_OK
    assert ok.mean() > 0.97
    assert np.corrcoef(result.theta[ok], true_theta[ok])[0, 1] > 0.85
    rmse = np.sqrt(np.mean((result.theta[ok] - true_theta[ok]) ** 2))
    # Reported SEs are calibrated: RMSE ~= root mean squared SE.
    assert rmse == pytest.approx(np.sqrt(np.mean(result.se[ok] ** 2)), rel=0.2)
    assert np.all(np.isfinite(result.se[ok])) and np.all(result.se[ok] > 0)


def test_wle_is_less_biased_than_mle_at_the_extremes():
    rng = np.random.default_rng(302)
    # Long enough that extreme patterns (infinite MLE) are rare and their exclusion does not
    # bias the comparison; the MLE's outward bias is then about J / (2 I^2) (Lord, 1983).
    items = ItemParams(a=np.ones(30), b=np.linspace(-1.0, 1.0, 30))
    for true in (-2.0, 2.0):
        responses, _ = simulate(items, np.full(6_000, true), rng)
        mle = estimate_ability(responses, items, "mle")
        wle = estimate_ability(responses, items, "wle")
        interior = mle.status == STATUS_OK
        assert interior.mean() > 0.98
        bias_mle = np.mean(mle.theta[interior]) - true
        bias_wle = np.mean(wle.theta[interior]) - true
        assert np.sign(bias_mle) == np.sign(true)  # the MLE is biased outwards
        assert abs(bias_wle) < 0.5 * abs(bias_mle)


# --- the estimating equations hold at the estimates ---------------------------------------


def sample_patterns(items: ItemParams, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    responses, _ = simulate(items, np.array([-1.5, -0.3, 0.4, 1.2, 2.0]), rng, missing=0.2)
    return responses


def test_mle_is_a_stationary_point_of_the_log_likelihood(mixed_items):
    patterns = sample_patterns(mixed_items, 303)
    result = estimate_ability(patterns, mixed_items, "mle")
    for person, pattern in enumerate(patterns):
        if result.status[person] != STATUS_OK:
            continue
        slope = derivative(lambda t, p=pattern: loglik_at(p, mixed_items, t), result.theta[person])
        assert slope == pytest.approx(0.0, abs=1e-5)
        keep = ~np.isnan(pattern)
        test_info = information(result.theta[person], mixed_items)[keep].sum()
        assert result.se[person] == pytest.approx(1 / np.sqrt(test_info), rel=1e-9)


def test_map_maximises_the_posterior_and_its_se_is_the_observed_curvature(mixed_items):
    patterns = sample_patterns(mixed_items, 304)
    prior_mean, prior_sd = 0.3, 1.2
    result = estimate_ability(patterns, mixed_items, "map", prior_mean=prior_mean, prior_sd=prior_sd)

    for person, pattern in enumerate(patterns):

        def log_post(t, p=pattern):
            return loglik_at(p, mixed_items, t) - 0.5 * ((t - prior_mean) / prior_sd) ** 2

        best = optimize.minimize_scalar(
            lambda t, f=log_post: -f(t), bounds=(-6, 6), method="bounded", options={"xatol": 1e-10}
        )
        assert result.theta[person] == pytest.approx(best.x, abs=1e-5)
        t, h = result.theta[person], 1e-4
        curvature = -(log_post(t + h) - 2 * log_post(t) + log_post(t - h)) / h**2
        assert result.se[person] == pytest.approx(1 / np.sqrt(curvature), rel=1e-4)


def test_wle_solves_warms_equation(mixed_items):
    # Brute force: S(theta) + J / (2 I) = 0 with every derivative by finite differences.
    patterns = sample_patterns(mixed_items, 305)
    result = estimate_ability(patterns, mixed_items, "wle")
    h = 1e-4
    for person, pattern in enumerate(patterns):
        keep = ~np.isnan(pattern)
        sub = mixed_items.take(keep)

        def warm(t, p=pattern[keep], sub=sub):
            probs = category_probabilities(np.array([t - h, t, t + h]), sub)
            d1 = (probs[2] - probs[0]) / (2 * h)
            d2 = (probs[2] - 2 * probs[1] + probs[0]) / h**2
            mid = np.where(probs[1] > 0, probs[1], 1.0)
            fisher = np.sum(d1**2 / mid)
            j_term = np.sum(d1 * d2 / mid)
            score = derivative(lambda x: loglik_at(p[np.newaxis, :][0], sub, x), t)
            return score + j_term / (2 * fisher)

        assert warm(result.theta[person]) == pytest.approx(0.0, abs=1e-4)


# --- extreme and empty patterns -----------------------------------------------------------


def extreme_patterns(items: ItemParams) -> np.ndarray:
    top = (items.n_categories - 1).astype(float)
    partly = np.where(np.arange(items.n_items) % 3 == 0, np.nan, top)
    return np.array([np.zeros(items.n_items), top, partly, np.full(items.n_items, np.nan)])


@pytest.mark.parametrize("model", ["2pl", "3pl", "grm", "gpcm", "mixed"])
def test_mle_reports_extreme_patterns_at_the_bounds_with_infinite_se(model, mixed_items):
    items = mixed_items if model == "mixed" else random_items(12, model, np.random.default_rng(306))
    result = estimate_ability(extreme_patterns(items), items, "mle")
    np.testing.assert_array_equal(result.theta[:3], [-6.0, 6.0, 6.0])
    np.testing.assert_array_equal(result.se[:3], np.inf)
    np.testing.assert_array_equal(
        result.status, [STATUS_EXTREME_LOW, STATUS_EXTREME_HIGH, STATUS_EXTREME_HIGH, STATUS_NO_RESPONSES]
    )
    assert np.isnan(result.theta[3]) and np.isnan(result.se[3])
    assert "no responses" in result.reason(3)
    narrow = estimate_ability(extreme_patterns(items), items, "mle", bounds=(-4.0, 5.0))
    np.testing.assert_array_equal(narrow.theta[:3], [-4.0, 5.0, 5.0])


@pytest.mark.parametrize("model", ["rasch", "2pl", "3pl", "grm", "gpcm", "mixed"])
def test_wle_and_map_are_finite_for_extreme_patterns(model, mixed_items):
    items = mixed_items if model == "mixed" else random_items(12, model, np.random.default_rng(307))
    for method in ("wle", "map"):
        # Wide bounds: a hard GRM test can put the WLE of an all-top pattern beyond 6.
        result = estimate_ability(extreme_patterns(items), items, method, bounds=(-12.0, 12.0))
        assert np.all(np.isfinite(result.theta[:3])) and np.all(np.isfinite(result.se[:3]))
        assert -12 < result.theta[0] < result.theta[1] < 12
        assert result.status[3] == STATUS_NO_RESPONSES
        assert STATUS_AT_BOUND not in result.status
    wle = estimate_ability(extreme_patterns(items), items, "wle")
    assert np.isnan(wle.theta[3]) and np.isnan(wle.se[3])


def test_map_and_eap_of_an_empty_row_are_the_prior(mixed_items):
    empty = np.full((2, mixed_items.n_items), np.nan)
    for method in ("map", "eap"):
        theta, se = estimate_ability(empty, mixed_items, method, prior_mean=0.4, prior_sd=0.7)
        np.testing.assert_array_equal(theta, 0.4)
        np.testing.assert_array_equal(se, 0.7)


def test_3pl_pattern_whose_likelihood_peaks_at_minus_infinity_is_reported_at_the_bound():
    # Correct only on a high-guessing hard item, wrong on easy ones: L(theta) -> c (1 - c)...
    # as theta -> -inf exceeds every interior value.
    items = ItemParams(a=[2.0, 2.0, 2.0], b=[-1.0, -0.5, 3.0], c=[0.0, 0.0, 0.45])
    result = estimate_ability(np.array([[0.0, 0.0, 1.0]]), items, "mle")
    assert result.theta[0] == -6.0
    assert result.se[0] == np.inf
    assert result.status[0] == STATUS_AT_BOUND


# --- EAP for polytomous items and the summed-score table ------------------------------------


def test_polytomous_eap_matches_a_direct_posterior(mixed_items):
    patterns = sample_patterns(mixed_items, 308)
    theta, se = estimate_ability(patterns, mixed_items, "eap", quadrature_points=81)
    grid = np.linspace(-6, 6, 81)
    post = np.exp(log_likelihood(patterns, mixed_items, grid) - 0.5 * grid**2)
    post /= post.sum(axis=1, keepdims=True)
    mean = post @ grid
    np.testing.assert_allclose(theta, mean, atol=1e-12)
    np.testing.assert_allclose(se, np.sqrt(post @ grid**2 - mean**2), atol=1e-12)


def test_sum_score_table_matches_enumeration_of_all_patterns():
    items = ItemParams(
        a=[1.1, 0.7, 1.6, 1.0, 1.3, 0.9],
        b=[-0.5, 0.4, 1.0, np.nan, np.nan, np.nan],
        c=[0.0, 0.2, 0.1, 0.0, 0.0, 0.0],
        thresholds=[None, None, None, [-1.0, 0.5], [-0.4, 0.9], [0.3, -0.8, 1.2]],
        model=["3pl", "3pl", "3pl", "grm", "grm", "gpcm"],
    )
    table = sum_score_eap_table(items, quadrature_points=41, prior_mean=0.2, prior_sd=1.1)
    ranges = [range(k) for k in items.n_categories]
    patterns = np.array(list(itertools.product(*ranges)), dtype=float)  # 2*2*2*3*3*4 = 288
    grid = 0.2 + 1.1 * np.linspace(-6, 6, 41)
    weights = np.exp(-0.5 * np.linspace(-6, 6, 41) ** 2)
    weights /= weights.sum()
    joint = np.exp(log_likelihood(patterns, items, grid)) * weights
    sums = patterns.sum(axis=1).astype(int)
    assert table.score.tolist() == list(range(sums.max() + 1))
    for s in table.score:
        by_score = joint[sums == s].sum(axis=0)
        mean = by_score @ grid / by_score.sum()
        assert table.theta[s] == pytest.approx(mean, abs=1e-12)
        assert table.se[s] == pytest.approx(np.sqrt(by_score @ (grid - mean) ** 2 / by_score.sum()), abs=1e-12)
        assert table.probability[s] == pytest.approx(by_score.sum(), rel=1e-12)
    assert table.probability.sum() == pytest.approx(1.0, rel=1e-12)
    assert np.all(np.diff(table.theta) > 0)


# --- chunking and bad input ----------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_chunked_and_unchunked_agree_for_every_method(method, mixed_items):
    rng = np.random.default_rng(309)
    responses, _ = simulate(mixed_items, 300, rng, missing=0.15)
    responses[::37] = np.nan
    whole = estimate_ability(responses, mixed_items, method, chunk_size=300)
    for chunk_size in (1, 17, 128):
        chunked = estimate_ability(responses, mixed_items, method, chunk_size=chunk_size)
        np.testing.assert_allclose(chunked.theta, whole.theta, rtol=0, atol=1e-10)
        np.testing.assert_allclose(chunked.se, whole.se, rtol=0, atol=1e-10)
        np.testing.assert_array_equal(chunked.status, whole.status)


@pytest.mark.parametrize("method", METHODS)
def test_a_response_outside_the_categories_names_person_and_item(method, mixed_items):
    responses = np.zeros((5, mixed_items.n_items))
    responses[3, 20] = 4.0  # a 4-category GRM item
    with pytest.raises(ValueError, match=r"person row 3, item column 20\): expected a category 0\.\.3 or NaN"):
        estimate_ability(responses, mixed_items, method, chunk_size=2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bounds": (1.0, -1.0)}, "bounds"),
        ({"bounds": (-np.inf, 1.0)}, "bounds"),
        ({"max_iterations": 0}, "max_iterations"),
        ({"tolerance": 0.0}, "tolerance"),
    ],
)
def test_out_of_range_newton_options_are_rejected(kwargs, match, mixed_items):
    with pytest.raises(ValueError, match=match):
        estimate_ability(np.zeros((1, mixed_items.n_items)), mixed_items, "mle", **kwargs)
