import math

import numpy as np
import pytest
from scipy import integrate

from scoring import Ability, ItemParams, estimate_ability, information, probability

THETA_GRID = np.linspace(-4.0, 4.0, 81)


def make_items(rng: np.random.Generator, n_items: int, guessing: bool = True) -> ItemParams:
    return ItemParams(
        a=rng.uniform(0.6, 2.2, n_items),
        b=rng.normal(0.0, 1.0, n_items),
        c=rng.uniform(0.0, 0.3, n_items) if guessing else None,
    )


def simulate(rng: np.random.Generator, theta: np.ndarray, items: ItemParams) -> np.ndarray:
    return (rng.random((theta.size, items.n_items)) < probability(theta, items)).astype(float)


# --- ItemParams ---------------------------------------------------------------------


def test_item_params_default_c_is_zero_and_arrays_are_read_only():
    items = ItemParams(a=[1.0, 2.0], b=[0.0, 1.0])
    np.testing.assert_array_equal(items.c, [0.0, 0.0])
    assert items.n_items == 2
    assert items.a.dtype == np.float64
    with pytest.raises(ValueError):
        items.a[0] = 5.0


def test_item_params_copies_its_input():
    a = np.array([1.0, 2.0])
    items = ItemParams(a=a, b=[0.0, 0.0])
    a[0] = -1.0
    assert items.a[0] == 1.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"a": [1.0, 1.0], "b": [0.0]}, "same length"),
        ({"a": [1.0], "b": [0.0], "c": [0.1, 0.2]}, "same length"),
        ({"a": [[1.0]], "b": [[0.0]]}, "1-D"),
        ({"a": [], "b": []}, "at least one item"),
        ({"a": [1.0, 0.0, 1.0], "b": [0, 0, 0]}, "item 1: a = 0.0 must be > 0"),
        ({"a": [1.0, 1.0, -0.5], "b": [0, 0, 0]}, "item 2: a = -0.5 must be > 0"),
        ({"a": [1.0, np.nan], "b": [0, 0]}, "item 1: a = nan is not finite"),
        ({"a": [1.0, 1.0], "b": [np.inf, 0]}, "item 0: b = inf is not finite"),
        (
            {"a": [1.0, 1.0], "b": [0, 0], "c": [0.2, np.nan]},
            "item 1: c = nan is not finite",
        ),
        ({"a": [1.0, 1.0], "b": [0, 0], "c": [0.2, -0.1]}, "item 1: c = -0.1"),
        ({"a": [1.0, 1.0], "b": [0, 0], "c": [1.0, 0.1]}, "item 0: c = 1.0"),
        ({"a": ["x"], "b": [0.0]}, "a must be numeric"),
    ],
)
def test_item_params_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ItemParams(**kwargs)


# --- probability ---------------------------------------------------------------------


def test_probability_lies_between_c_and_one_and_increases_with_theta():
    items = make_items(np.random.default_rng(11), 25)
    p = probability(THETA_GRID, items)
    assert p.shape == (THETA_GRID.size, 25)
    assert np.all(p > items.c)
    assert np.all(p < 1.0)
    assert np.all(np.diff(p, axis=0) > 0)


def test_probability_at_difficulty_is_halfway_between_c_and_one():
    items = ItemParams(a=[0.5, 1.0, 2.5], b=[-1.0, 0.0, 1.5], c=[0.0, 0.2, 0.25])
    p = probability(items.b, items)
    np.testing.assert_allclose(np.diag(p), items.c + (1 - items.c) / 2, rtol=1e-15)


def test_probability_matches_the_formula_and_keeps_the_shape_of_theta():
    items = ItemParams(a=[1.3, 0.7], b=[0.4, -1.0], c=[0.1, 0.0])
    expected = 0.1 + 0.9 / (1 + math.exp(-1.3 * (0.9 - 0.4)))
    assert probability(0.9, items).shape == (2,)
    assert probability(0.9, items)[0] == pytest.approx(expected, rel=1e-14)
    assert probability(np.zeros((3, 4)), items).shape == (3, 4, 2)


def test_probability_and_information_are_stable_at_extreme_theta():
    items = ItemParams(a=[1.0, 3.0], b=[0.0, 0.0], c=[0.0, 0.2])
    theta = np.array([-np.inf, -1e6, -800.0, 800.0, 1e6, np.inf])
    with np.errstate(all="raise"):
        p = probability(theta, items)
        info = information(theta, items)
    np.testing.assert_array_equal(p[0], items.c)
    np.testing.assert_array_equal(p[-1], [1.0, 1.0])
    assert np.all(np.isfinite(info))
    np.testing.assert_array_equal(info, 0.0)


def test_probability_rejects_nan_theta():
    items = ItemParams(a=[1.0], b=[0.0])
    with pytest.raises(ValueError, match=r"theta is NaN at index \(2,\)"):
        probability([0.0, 1.0, np.nan], items)
    with pytest.raises(ValueError, match="theta is NaN"):
        information([np.nan], items)


def test_probability_requires_item_params():
    with pytest.raises(TypeError, match="ItemParams"):
        probability(0.0, {"a": [1.0], "b": [0.0]})


# --- information ----------------------------------------------------------------------


def test_information_equals_squared_slope_over_binomial_variance():
    # I = P'^2 / (P (1 - P)), with P' from central finite differences.
    items = make_items(np.random.default_rng(12), 15)
    step = 1e-5
    slope = (probability(THETA_GRID + step, items) - probability(THETA_GRID - step, items)) / (2 * step)
    p = probability(THETA_GRID, items)
    np.testing.assert_allclose(information(THETA_GRID, items), slope**2 / (p * (1 - p)), rtol=1e-6)


def test_information_of_2pl_is_a_squared_p_q_with_maximum_at_b():
    items = ItemParams(a=[0.8, 1.7], b=[-0.3, 1.1])
    p = probability(THETA_GRID, items)
    info = information(THETA_GRID, items)
    np.testing.assert_allclose(info, items.a**2 * p * (1 - p), rtol=1e-12)
    np.testing.assert_allclose(np.diag(information(items.b, items)), items.a**2 / 4, rtol=1e-15)
    assert np.all(info <= items.a**2 / 4)


# --- estimate_ability: properties ------------------------------------------------------------


def test_ability_unpacks_into_theta_and_se():
    items = make_items(np.random.default_rng(13), 5)
    result = estimate_ability(np.ones((3, 5)), items)
    assert isinstance(result, Ability)
    assert result.method == "eap"
    theta, se = result
    assert theta is result.theta
    assert se is result.se
    assert theta.shape == se.shape == (3,)


def test_all_correct_scores_above_all_wrong():
    items = make_items(np.random.default_rng(14), 20)
    theta, se = estimate_ability(np.array([np.ones(20), np.zeros(20)]), items)
    assert theta[0] > 1.0 > -1.0 > theta[1]
    assert np.all((se > 0) & (se < 1))


def test_eap_increases_with_number_correct_on_a_rasch_test():
    items = ItemParams(a=np.ones(10), b=np.linspace(-2, 2, 10))
    responses = np.tril(np.ones((11, 10)), k=-1)  # row k answers the k easiest items
    theta, _ = estimate_ability(responses, items)
    assert np.all(np.diff(theta) > 0)


def test_eap_recovers_simulated_abilities():
    rng = np.random.default_rng(20240601)
    items = make_items(rng, 40)
    true_theta = rng.standard_normal(2_000)
    theta, se = estimate_ability(simulate(rng, true_theta, items), items)
    assert np.corrcoef(theta, true_theta)[0, 1] > 0.9
    # With the prior matching the generating distribution the posterior SD is
    # calibrated: mean squared error ~= mean posterior variance.
    mse = np.mean((theta - true_theta) ** 2)
    assert mse == pytest.approx(np.mean(se**2), rel=0.15)


def test_missing_responses_are_ignored():
    rng = np.random.default_rng(15)
    items = make_items(rng, 12)
    responses = simulate(rng, rng.standard_normal(30), items)
    responses[rng.random(responses.shape) < 0.3] = np.nan
    responses[0, :] = np.nan
    responses[0, 4] = 1.0  # a person with a single presented item
    theta, se = estimate_ability(responses, items)
    for person in range(responses.shape[0]):
        keep = ~np.isnan(responses[person])
        subset = ItemParams(a=items.a[keep], b=items.b[keep], c=items.c[keep])
        alone = estimate_ability(responses[person : person + 1, keep], subset)
        np.testing.assert_allclose(theta[person], alone.theta[0], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(se[person], alone.se[0], rtol=1e-12, atol=1e-12)


def test_missing_column_equals_removed_column():
    rng = np.random.default_rng(16)
    items = make_items(rng, 8)
    responses = simulate(rng, rng.standard_normal(50), items)
    responses[:, 3] = np.nan
    keep = np.arange(8) != 3
    subset = ItemParams(a=items.a[keep], b=items.b[keep], c=items.c[keep])
    with_nan = estimate_ability(responses, items)
    removed = estimate_ability(responses[:, keep], subset)
    np.testing.assert_allclose(with_nan.theta, removed.theta, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(with_nan.se, removed.se, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("prior_mean", "prior_sd"), [(0.0, 1.0), (0.5, 1.3), (-1.2, 0.4)])
def test_person_with_no_responses_gets_the_prior(prior_mean, prior_sd):
    items = make_items(np.random.default_rng(17), 6)
    responses = np.array([[1, 0, 1, np.nan, 0, 1], [np.nan] * 6, [0, 0, 0, 1, 1, 0]])
    theta, se = estimate_ability(responses, items, prior_mean=prior_mean, prior_sd=prior_sd)
    assert theta[1] == prior_mean
    assert se[1] == prior_sd
    assert theta[0] != prior_mean


def test_prior_pulls_estimates_towards_its_mean():
    items = make_items(np.random.default_rng(18), 10)
    responses = np.tile([1.0, 0.0], 5)[np.newaxis, :]
    low, _ = estimate_ability(responses, items, prior_mean=-1.0)
    high, _ = estimate_ability(responses, items, prior_mean=1.0)
    assert low[0] < high[0]


def test_chunked_and_unchunked_results_agree():
    rng = np.random.default_rng(19)
    items = make_items(rng, 30)
    responses = simulate(rng, rng.standard_normal(1_000), items)
    responses[rng.random(responses.shape) < 0.1] = np.nan
    responses[::97] = np.nan  # some unanswered rows, spread over chunks
    whole = estimate_ability(responses, items, chunk_size=responses.shape[0])
    for chunk_size in (1, 7, 64, 999, 5_000):
        chunked = estimate_ability(responses, items, chunk_size=chunk_size)
        np.testing.assert_allclose(chunked.theta, whole.theta, rtol=0, atol=1e-12)
        np.testing.assert_allclose(chunked.se, whole.se, rtol=0, atol=1e-12)


def test_integer_boolean_and_fortran_ordered_inputs_give_the_same_result():
    rng = np.random.default_rng(21)
    items = make_items(rng, 9)
    responses = simulate(rng, rng.standard_normal(40), items)
    expected = estimate_ability(responses, items)
    for variant in (
        responses.astype(np.int8),
        responses.astype(bool),
        np.asfortranarray(responses),
        responses.tolist(),
    ):
        result = estimate_ability(variant, items, chunk_size=16)
        np.testing.assert_allclose(result.theta, expected.theta, rtol=0, atol=1e-12)


def test_no_persons_gives_empty_arrays():
    items = make_items(np.random.default_rng(22), 4)
    theta, se = estimate_ability(np.empty((0, 4)), items)
    assert theta.shape == se.shape == (0,)


# --- estimate_ability: reference values ----------------------------------------------


def eap_by_quad(pattern, items, prior_mean, prior_sd):
    """Posterior mean and SD by adaptive integration over the whole real line."""

    def likelihood(t):
        p = probability(t, items)
        presented = ~np.isnan(pattern)
        x = pattern[presented]
        return float(np.prod(np.where(x == 1, p[presented], 1 - p[presented])))

    def density(t):
        z = (t - prior_mean) / prior_sd
        return likelihood(t) * math.exp(-0.5 * z * z)

    mass = integrate.quad(density, -np.inf, np.inf, epsabs=0, epsrel=1e-12)[0]
    mean = integrate.quad(lambda t: t * density(t), -np.inf, np.inf, epsabs=0, epsrel=1e-12)[0]
    mean /= mass
    var = integrate.quad(lambda t: (t - mean) ** 2 * density(t), -np.inf, np.inf, epsabs=0, epsrel=1e-12)[0]
    return mean, math.sqrt(var / mass)


@pytest.mark.parametrize(("prior_mean", "prior_sd"), [(0.0, 1.0), (0.3, 0.8)])
def test_eap_matches_brute_force_integration(prior_mean, prior_sd):
    items = ItemParams(a=[1.2, 0.8, 2.0, 1.5], b=[-1.0, 0.0, 0.5, 1.8], c=[0.2, 0.0, 0.15, 0.25])
    patterns = np.array(
        [
            [1, 0, 1, 0],
            [1, 1, 1, 1],
            [0, 0, 0, 0],
            [np.nan, 1, 0, np.nan],
            [0, 1, np.nan, 1],
        ]
    )
    theta, se = estimate_ability(patterns, items, prior_mean=prior_mean, prior_sd=prior_sd)
    for person, pattern in enumerate(patterns):
        expected_theta, expected_se = eap_by_quad(pattern, items, prior_mean, prior_sd)
        assert theta[person] == pytest.approx(expected_theta, abs=1e-3)
        assert se[person] == pytest.approx(expected_se, abs=1e-3)


def test_eap_quadrature_grid_is_fine_enough_to_be_converged():
    # Doubling the grid density must not move the estimates: the default is converged.
    rng = np.random.default_rng(23)
    items = make_items(rng, 20)
    responses = simulate(rng, rng.standard_normal(200), items)
    default = estimate_ability(responses, items)
    fine = estimate_ability(responses, items, quadrature_points=241)
    np.testing.assert_allclose(default.theta, fine.theta, atol=1e-4)
    np.testing.assert_allclose(default.se, fine.se, atol=1e-4)


# --- estimate_ability: bad input ---------------------------------------------------------


@pytest.fixture
def three_items() -> ItemParams:
    return ItemParams(a=[1.0, 1.0, 1.0], b=[-1.0, 0.0, 1.0])


@pytest.mark.parametrize("method", ["ML", "bayes", "EAP", "", "wle "])
def test_unsupported_method_is_rejected(three_items, method):
    with pytest.raises(ValueError, match=r"unsupported method .*supported: eap, map, mle, wle"):
        estimate_ability(np.ones((2, 3)), three_items, method=method)


@pytest.mark.parametrize(
    ("responses", "match"),
    [
        (np.ones(3), r"2-D .*shape \(3,\)"),
        (np.ones((2, 3, 1)), "2-D"),
        (np.ones((2, 4)), "4 item columns but items has 3 items"),
        (np.ones((2, 2)), "2 item columns but items has 3 items"),
        (np.array([["1", "0", "1"]]), "numeric"),
        (np.ones((2, 3), dtype=complex), "numeric"),
    ],
)
def test_badly_shaped_responses_are_rejected(three_items, responses, match):
    with pytest.raises(ValueError, match=match):
        estimate_ability(responses, three_items)


@pytest.mark.parametrize("value", [2.0, -1.0, 0.5, np.inf, -np.inf])
def test_response_values_other_than_0_1_nan_name_the_person_and_item(three_items, value):
    responses = np.ones((6, 3))
    responses[1, 0] = np.nan
    responses[4, 2] = value
    with pytest.raises(ValueError, match=r"person row 4, item column 2\): expected 0, 1 or NaN"):
        estimate_ability(responses, three_items, chunk_size=2)  # the bad row is in a later chunk


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"quadrature_points": 1}, "quadrature_points"),
        ({"quadrature_points": 2.5}, "quadrature_points"),
        ({"quadrature_points": True}, "quadrature_points"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"chunk_size": -5}, "chunk_size"),
        ({"prior_sd": 0.0}, "prior_sd"),
        ({"prior_sd": -1.0}, "prior_sd"),
        ({"prior_sd": np.nan}, "prior_sd"),
        ({"prior_mean": np.inf}, "prior_mean"),
        ({"prior_mean": np.nan}, "prior_mean"),
    ],
)
def test_out_of_range_options_are_rejected(three_items, kwargs, match):
    with pytest.raises(ValueError, match=match):
        estimate_ability(np.ones((2, 3)), three_items, **kwargs)


def test_items_must_be_item_params():
    with pytest.raises(TypeError, match="ItemParams"):
        estimate_ability(np.ones((2, 3)), [1.0, 1.0, 1.0])


def test_eap_survives_a_posterior_mass_that_would_underflow():
    # A long 3PL test with a contradictory pattern: log L < -745 at every grid point, so
    # exp(log posterior) underflows unless the row maximum is subtracted first.
    n_items = 800
    items = ItemParams(a=np.full(n_items, 3.0), b=np.tile([-2.0, 2.0], n_items // 2), c=np.full(n_items, 0.01))
    contradictory = np.tile([0.0, 1.0], n_items // 2)  # misses the easy items, solves the hard ones
    responses = np.array([contradictory, np.ones(n_items)])
    theta, se = estimate_ability(responses, items)
    assert np.all(np.isfinite(theta)) and np.all(np.isfinite(se))
    grid = np.linspace(-6, 6, 61)
    log_p = np.log(probability(grid, items))
    log_q = np.log1p(-probability(grid, items))
    log_post = contradictory @ log_p.T + (1 - contradictory) @ log_q.T - 0.5 * grid**2
    assert log_post.max() < -745
    post = np.exp(log_post - log_post.max())
    assert theta[0] == pytest.approx(post @ grid / post.sum(), abs=1e-12)


def test_ability_built_the_old_way_has_ok_status():
    result = Ability(theta=np.zeros(3), se=np.ones(3), method="eap")
    np.testing.assert_array_equal(result.status, 0)
    assert result.reason(0) == "ok"
