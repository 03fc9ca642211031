import itertools
import math
import warnings

import numpy as np
import pytest

from scoring.fit import _lord_wingersky, item_fit, person_fit, s_x2
from scoring.irt import ItemParams, probability


def simulate(rng: np.random.Generator, theta: np.ndarray, items: ItemParams) -> np.ndarray:
    return (rng.random((theta.size, items.n_items)) < probability(theta, items)).astype(float)


def make_items(rng: np.random.Generator, n_items: int, guessing: bool = False) -> ItemParams:
    return ItemParams(
        a=rng.uniform(0.8, 2.0, n_items),
        b=rng.uniform(-1.5, 1.5, n_items),
        c=rng.uniform(0.05, 0.25, n_items) if guessing else None,
    )


# --- infit / outfit: hand-computed ----------------------------------------------------------


def test_item_fit_hand_computed_two_persons_one_item():
    items = ItemParams(a=[1.0], b=[0.0])
    theta = np.array([0.0, math.log(3.0)])  # P = .5 and .75
    responses = np.array([[1.0], [0.0]])
    fit = item_fit(responses, items, theta)
    # Person 0: P = .5, W = .25, C = W (1 - 3W) = .0625; x = 1: y^2 = .25, z^2 = 1.
    # Person 1: P = .75, W = .1875, C = .1875 * .4375 = .08203125; x = 0: y^2 = .5625, z^2 = 3.
    outfit = (1 + 3) / 2
    infit = (0.25 + 0.5625) / (0.25 + 0.1875)  # = 13/7
    q_outfit = math.sqrt((0.0625 / 0.25**2 + 0.08203125 / 0.1875**2) / 2**2 - 1 / 2)  # sqrt(1/3)
    q_infit = math.sqrt((0.0625 - 0.25**2 + 0.08203125 - 0.1875**2) / (0.25 + 0.1875) ** 2)
    assert fit.outfit[0] == pytest.approx(outfit)
    assert fit.infit[0] == pytest.approx(infit)
    assert q_outfit == pytest.approx(math.sqrt(1 / 3))
    assert fit.outfit_t[0] == pytest.approx((outfit ** (1 / 3) - 1) * 3 / q_outfit + q_outfit / 3)  # 1.543
    assert fit.infit_t[0] == pytest.approx((infit ** (1 / 3) - 1) * 3 / q_infit + q_infit / 3)
    np.testing.assert_array_equal(fit.n_responses, [2])


def test_lz_hand_computed_single_item():
    items = ItemParams(a=[1.0], b=[0.0])
    theta = np.array([math.log(3.0), 0.0])
    fit = person_fit(np.array([[0.0], [1.0]]), items, theta)
    # Person 0: P = .75, x = 0: l0 = ln .25; E = .75 ln .75 + .25 ln .25;
    # Var = .75 * .25 * (ln 3)^2; lz = (l0 - E) / sqrt(Var) = -sqrt(3).
    l0 = math.log(0.25)
    expected = 0.75 * math.log(0.75) + 0.25 * math.log(0.25)
    variance = 0.75 * 0.25 * math.log(3.0) ** 2
    assert fit.log_likelihood[0] == pytest.approx(l0)
    assert fit.lz[0] == pytest.approx((l0 - expected) / math.sqrt(variance))
    assert fit.lz[0] == pytest.approx(-math.sqrt(3.0))
    # Person 1: P = .5 makes ln(P/Q) = 0, so Var(l0) = 0 and lz is undefined (NaN, with a reason).
    assert np.isnan(fit.lz[1])
    assert "person 1" in fit.reasons[1] and "zero variance" in fit.reasons[1]


def test_lz_hand_computed_two_items_3pl():
    items = ItemParams(a=[1.5, 0.8], b=[-0.5, 1.0], c=[0.2, 0.0])
    theta = np.array([0.3])
    p = probability(theta, items)[0]
    q = 1 - p
    x = np.array([0.0, 1.0])
    l0 = np.sum(x * np.log(p) + (1 - x) * np.log(q))
    expected = np.sum(p * np.log(p) + q * np.log(q))
    variance = np.sum(p * q * np.log(p / q) ** 2)
    fit = person_fit(x[np.newaxis, :], items, theta)
    assert fit.lz[0] == pytest.approx((l0 - expected) / math.sqrt(variance), rel=1e-12)


# --- simulated data ------------------------------------------------------------------------


def test_infit_outfit_near_one_on_model_data_with_true_thetas():
    rng = np.random.default_rng(20240501)
    items = make_items(rng, 20)
    theta = rng.normal(size=5000)
    responses = simulate(rng, theta, items)
    fit = item_fit(responses, items, theta)
    np.testing.assert_allclose(fit.outfit, 1.0, atol=0.1)
    np.testing.assert_allclose(fit.infit, 1.0, atol=0.05)
    assert abs(fit.infit_t.mean()) < 0.6 and 0.5 < fit.infit_t.std() < 1.5
    assert np.all(np.abs(fit.infit_t) < 3.5)


def test_misfitting_item_has_large_mean_squares():
    rng = np.random.default_rng(3)
    true = ItemParams(a=[1.2] * 9 + [0.3], b=np.linspace(-1, 1, 10))
    claimed = ItemParams(a=[1.2] * 9 + [2.5], b=np.linspace(-1, 1, 10))  # item 9 is far flatter than claimed
    theta = rng.normal(size=3000)
    fit = item_fit(simulate(rng, theta, true), claimed, theta)
    assert fit.outfit[9] > 1.5 and fit.infit[9] > 1.3
    assert fit.outfit_t[9] > 5 and fit.infit_t[9] > 5
    assert np.all(np.abs(fit.infit[:9] - 1) < 0.1)


def test_lz_is_standard_normal_on_model_data():
    rng = np.random.default_rng(7)
    items = make_items(rng, 60, guessing=True)
    theta = rng.normal(size=4000)
    fit = person_fit(simulate(rng, theta, items), items, theta)
    assert abs(fit.lz.mean()) < 0.06
    assert abs(fit.lz.std() - 1.0) < 0.06
    assert fit.infit.mean() == pytest.approx(1.0, abs=0.02)


def test_lz_strongly_negative_for_aberrant_patterns():
    rng = np.random.default_rng(8)
    items = ItemParams(a=np.full(30, 1.5), b=np.linspace(-2.5, 2.5, 30))
    theta = np.zeros(3)
    guttman = (items.b < 0).astype(float)  # easy right, hard wrong: the most likely pattern
    reversed_guttman = 1.0 - guttman  # easy wrong, hard right
    random_guessing = rng.integers(0, 2, 30).astype(float)
    fit = person_fit(np.vstack([guttman, reversed_guttman, random_guessing]), items, theta)
    assert fit.lz[0] > 1.5  # too good to be true, but positive
    assert fit.lz[1] < -8
    assert fit.lz[2] < fit.lz[0]
    assert fit.outfit[1] > 5


def test_person_with_no_responses_and_missing_cells():
    items = ItemParams(a=[1.0, 1.2, 0.9], b=[-0.5, 0.0, 0.5])
    responses = np.array([[1.0, np.nan, 0.0], [np.nan, np.nan, np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = person_fit(responses, items, [0.2, 0.0])
        ifit = item_fit(responses, items, [0.2, 0.0])
    # The missing cell is left out: the same as scoring the two answered items alone.
    reduced = person_fit(responses[:1, [0, 2]], ItemParams(a=[1.0, 0.9], b=[-0.5, 0.5]), [0.2])
    assert fit.lz[0] == pytest.approx(reduced.lz[0])
    assert np.isnan(fit.lz[1]) and fit.reasons[1] == "person 1: no responses"
    np.testing.assert_array_equal(fit.n_responses, [2, 0])
    np.testing.assert_array_equal(ifit.n_responses, [1, 0, 1])
    assert np.isnan(ifit.outfit[1]) and "item 1: nobody answered" in ifit.reasons[1]


def test_results_do_not_depend_on_chunk_size():
    rng = np.random.default_rng(9)
    items = make_items(rng, 12, guessing=True)
    theta = rng.normal(size=1000)
    responses = simulate(rng, theta, items)
    responses[rng.random(responses.shape) < 0.1] = np.nan
    whole_items, whole_persons = item_fit(responses, items, theta), person_fit(responses, items, theta)
    blocks_items = item_fit(responses, items, theta, chunk_size=97)
    blocks_persons = person_fit(responses, items, theta, chunk_size=97)
    np.testing.assert_allclose(blocks_items.infit_t, whole_items.infit_t, rtol=1e-10)
    np.testing.assert_allclose(blocks_items.outfit, whole_items.outfit, rtol=1e-10)
    np.testing.assert_allclose(blocks_persons.lz, whole_persons.lz, rtol=1e-12)
    with pytest.raises(ValueError, match="chunk_size"):
        item_fit(responses, items, theta, chunk_size=0)
    # A bad value in a later block is reported with its row in the whole matrix.
    responses[500, 3] = 7
    with pytest.raises(ValueError, match=r"person row 500, item column 3"):
        person_fit(responses, items, theta, chunk_size=97)


# --- S-X2 -----------------------------------------------------------------------------------


def test_lord_wingersky_matches_enumeration_of_patterns():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.05, 0.95, size=(3, 5))  # 3 theta points, 5 items
    brute = np.zeros((3, 6))
    for pattern in itertools.product([0, 1], repeat=5):
        x = np.array(pattern)
        brute[:, x.sum()] += np.prod(np.where(x == 1, p, 1 - p), axis=1)
    np.testing.assert_allclose(_lord_wingersky(p), brute, rtol=1e-12)
    # Two items by hand: f(0) = Q1 Q2, f(1) = P1 Q2 + Q1 P2, f(2) = P1 P2.
    two = np.array([[0.3, 0.6]])
    np.testing.assert_allclose(_lord_wingersky(two), [[0.7 * 0.4, 0.3 * 0.4 + 0.7 * 0.6, 0.3 * 0.6]])


def test_expected_proportions_in_a_score_group_sum_to_the_score():
    # Identity behind S-X2: sum_j Pr(x_j = 1 | total = k) = k.
    rng = np.random.default_rng(2)
    items = make_items(rng, 6, guessing=True)
    grid = np.linspace(-6, 6, 61)
    weights = np.exp(-0.5 * grid**2)
    p = probability(grid, items)
    full = weights @ _lord_wingersky(p)
    expected = np.array(
        [(weights * p[:, j]) @ _lord_wingersky(np.delete(p, j, axis=1)) for j in range(6)]
    )  # (items, k - 1 = 0..5)
    for k in range(1, 6):
        assert expected[:, k - 1].sum() / full[k] == pytest.approx(k, rel=1e-10)


def test_s_x2_on_model_data_and_on_a_misfitting_item():
    rng = np.random.default_rng(11)
    items = make_items(rng, 20)
    theta = rng.normal(size=3000)
    fit = s_x2(simulate(rng, theta, items), items)
    assert (fit.p_value < 0.01).sum() <= 1
    assert np.all(fit.df == fit.n_groups - 2)
    assert np.all(fit.df >= 10)
    # The same items, but item 0 truly far less discriminating than claimed.
    true = ItemParams(a=np.r_[0.2, items.a[1:]], b=items.b)
    misfit = s_x2(simulate(rng, theta, true), items)
    assert misfit.p_value[0] < 1e-6
    assert misfit.statistic[0] > 3 * misfit.df[0]


def test_s_x2_parameter_count_and_collapsing():
    rng = np.random.default_rng(12)
    items = make_items(rng, 6)
    responses = simulate(rng, rng.normal(size=40), items)
    default = s_x2(responses, items)
    rasch_count = s_x2(responses, items, n_parameters=1)
    np.testing.assert_array_equal(rasch_count.df, default.df + 1)
    assert np.all(default.n_groups <= 5)  # scores 1..5 at most, fewer after collapsing
    strict = s_x2(responses, items, min_expected=5.0)
    assert np.all(strict.n_groups <= default.n_groups)
    # With very strict collapsing no degrees of freedom remain: NaN with a reason, no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        none_left = s_x2(responses, items, min_expected=30.0)
    assert np.isnan(none_left.statistic).all()
    assert "no degrees of freedom" in none_left.reasons[0]


# --- bad input ------------------------------------------------------------------------------

ITEMS = ItemParams(a=[1.0, 1.0, 1.0], b=[-1.0, 0.0, 1.0])


@pytest.mark.parametrize("function", [item_fit, person_fit])
@pytest.mark.parametrize(
    ("responses", "theta", "match"),
    [
        (np.zeros((2, 2)), [0.0, 0.0], "2 item columns but items has 3"),
        (np.zeros(3), [0.0], "2-D"),
        (np.array([[0, 1, 2.0], [0, 0, 0]]), [0.0, 0.0], r"person row 0, item column 2\): expected 0, 1 or NaN"),
        (np.zeros((2, 3)), [0.0], r"theta must have shape \(2,\)"),
        (np.zeros((2, 3)), [0.0, np.nan], "person 1: theta = nan is not finite"),
        (np.zeros((2, 3)), [np.inf, 0.0], "person 0: theta = inf"),
    ],
)
def test_fit_bad_input(function, responses, theta, match):
    with pytest.raises(ValueError, match=match):
        function(responses, ITEMS, theta)


def test_fit_rejects_non_item_params():
    with pytest.raises(TypeError, match="ItemParams"):
        item_fit(np.zeros((1, 3)), {"a": [1, 1, 1]}, [0.0])


def test_s_x2_bad_input():
    with pytest.raises(ValueError, match=r"responses\[1, 2\] is NaN \(person row 1, item column 2\)"):
        s_x2(np.array([[0, 1, 0], [1, 0, np.nan]]), ITEMS)
    with pytest.raises(ValueError, match="at least 2 items"):
        s_x2(np.array([[0.0], [1.0]]), ItemParams(a=[1.0], b=[0.0]))
    with pytest.raises(ValueError, match="min_expected"):
        s_x2(np.zeros((2, 3)), ITEMS, min_expected=0)
    with pytest.raises(ValueError, match="quadrature_points"):
        s_x2(np.zeros((2, 3)), ITEMS, quadrature_points=1)


@pytest.mark.skipif(not hasattr(ItemParams, "polytomous"), reason="ItemParams has no polytomous items yet")
def test_fit_rejects_polytomous_items():
    items = ItemParams(a=[1.0, 1.0], b=[0.0, np.nan], thresholds=[None, [-1.0, 1.0]], model=["2pl", "grm"])
    with pytest.raises(ValueError, match="item 1: model 'grm' is polytomous"):
        item_fit(np.zeros((1, 2)), items, [0.0])
