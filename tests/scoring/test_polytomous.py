"""Item models beyond the 3PL: GRM, GPCM, mixed tests, and the ItemParams that holds them."""

import numpy as np
import pytest

from scoring.irt import (
    ItemParams,
    category_probabilities,
    expected_score,
    expected_total,
    information,
    log_likelihood,
    probability,
)
from scoring.simulate import random_items

THETA = np.linspace(-5.0, 5.0, 101)


@pytest.fixture
def mixed() -> ItemParams:
    return ItemParams(
        a=[1.2, 0.8, 1.5, 1.0, 2.0],
        b=[0.3, np.nan, np.nan, -0.5, np.nan],
        c=[0.2, 0.0, 0.0, 0.0, 0.0],
        thresholds=[None, [-1.0, 0.0, 1.5], [0.5, -0.5], None, [0.2]],
        model=["3pl", "grm", "gpcm", "2pl", "grm"],
    )


# --- ItemParams ------------------------------------------------------------------------


def test_mixed_items_carry_models_categories_and_mean_threshold_locations(mixed):
    np.testing.assert_array_equal(mixed.n_categories, [2, 4, 3, 2, 2])
    assert mixed.max_categories == 4
    assert mixed.thresholds.shape == (5, 3)
    assert np.isnan(mixed.thresholds[[0, 3]]).all()
    np.testing.assert_allclose(mixed.b, [0.3, 1 / 6, 0.0, -0.5, 0.2])
    np.testing.assert_array_equal(mixed.c, [0.2, 0, 0, 0, 0])
    np.testing.assert_array_equal(mixed.is_polytomous, [False, True, True, False, True])
    assert list(mixed.model) == ["3pl", "grm", "gpcm", "2pl", "grm"]
    for array in (mixed.a, mixed.b, mixed.c, mixed.thresholds, mixed.model):
        assert not array.flags.writeable


def test_old_style_construction_picks_2pl_or_3pl_for_the_whole_test():
    assert list(ItemParams(a=[1, 1], b=[0, 0]).model) == ["2pl", "2pl"]
    assert list(ItemParams(a=[1, 1], b=[0, 0], c=[0.0, 0.1]).model) == ["3pl", "3pl"]
    items = ItemParams(a=[1, 1], b=[0, 0])
    assert items.thresholds.shape == (2, 1) and np.isnan(items.thresholds).all()
    np.testing.assert_array_equal(items.n_categories, [2, 2])


def test_polytomous_constructor_accepts_padded_and_ragged_thresholds():
    ragged = ItemParams.polytomous([1.0, 1.5], [[-1.0, 1.0], [-2.0, 0.0, 2.0]], "gpcm")
    padded = ItemParams.polytomous([1.0, 1.5], np.array([[-1.0, 1.0, np.nan], [-2.0, 0.0, 2.0]]), "gpcm")
    np.testing.assert_array_equal(ragged.thresholds, padded.thresholds)
    np.testing.assert_array_equal(ragged.n_categories, [3, 4])
    assert list(ragged.model) == ["gpcm", "gpcm"]


def test_take_and_concat_round_trip(mixed):
    first, rest = mixed.take([0, 1]), mixed.take(np.array([False, False, True, True, True]))
    joined = ItemParams.concat(first, rest)
    for name in ("a", "b", "c", "thresholds"):
        np.testing.assert_array_equal(getattr(joined, name), getattr(mixed, name))
    np.testing.assert_array_equal(joined.model, mixed.model)
    assert ItemParams.concat([rest]).n_items == 3
    assert mixed.take([3]).thresholds.shape == (1, 1)  # narrowed to the items kept
    assert mixed.take([-1]).model[0] == "grm"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"a": [1.0, 1.0], "thresholds": [[0.0], [1.0, 0.5]], "model": "grm"},
            "item 1: grm thresholds must be strictly",
        ),
        ({"a": [1.0, 1.0], "thresholds": [[0.0], [1.0, 1.0]], "model": "grm"}, "item 1: grm thresholds"),
        ({"a": [1.0, 1.0], "thresholds": [[0.0], []], "model": "gpcm"}, "item 1: a 'gpcm' item needs at least one"),
        ({"a": [1.0], "thresholds": [[0.0, np.inf]], "model": "gpcm"}, r"item 0: thresholds\[1\] = inf"),
        ({"a": [1.0], "thresholds": [[np.nan, 1.0]], "model": "gpcm"}, "item 0: thresholds must be finite values"),
        ({"a": [1.0, -1.0], "thresholds": [[0.0], [1.0]], "model": "grm"}, "item 1: a = -1.0"),
        ({"a": [1.0], "thresholds": [[0.0]], "model": "graded"}, "item 0: unknown model 'graded'"),
        ({"a": [1.0], "thresholds": [[0.0]]}, "model is required"),
        ({"a": [1.0], "thresholds": [[0.0], [1.0]], "model": "grm"}, "2 rows but there are 1 items"),
        ({"a": [1.0, 1.0], "model": ["grm"]}, "model has 1 entries"),
        ({"a": [1.0], "b": [0.0], "thresholds": [[0.5]], "model": "2pl"}, "item 0: a '2pl' item takes no thresholds"),
        ({"a": [1.0, 1.0], "b": [0.0, np.nan], "model": "2pl"}, "item 1: b = nan is not finite"),
        ({"a": [1.0], "b": [0.0], "c": [0.2], "model": "2pl"}, "item 0: c = 0.2 > 0 needs model '3pl'"),
        ({"a": [1.0], "c": [0.2], "thresholds": [[0.0]], "model": "grm"}, "item 0: c = 0.2 must be 0"),
        ({"a": [1.0], "b": [3.0], "thresholds": [[0.0, 1.0]], "model": "grm"}, "item 0: b = 3.0 differs"),
    ],
)
def test_bad_polytomous_parameters_name_the_item(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ItemParams(**kwargs)


def test_take_rejects_out_of_range_indices(mixed):
    with pytest.raises(ValueError, match="item index 5 is out of range"):
        mixed.take([0, 5])
    with pytest.raises(ValueError, match="boolean mask"):
        mixed.take([True, False])


# --- response functions ---------------------------------------------------------------------


def test_category_probabilities_sum_to_one_and_vanish_beyond_the_categories(mixed):
    p = category_probabilities(THETA, mixed)
    assert p.shape == (THETA.size, 5, 4)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-14)
    assert np.all(p >= 0)
    assert np.all(p[:, [0, 3, 4], 2:] == 0) and np.all(p[:, 2, 3] == 0)
    np.testing.assert_allclose(p[:, [0, 3], 1], probability(THETA, mixed.take([0, 3])), rtol=1e-14)
    assert category_probabilities(np.zeros((2, 3)), mixed).shape == (2, 3, 5, 4)


def test_category_probabilities_match_the_textbook_formulas():
    theta = np.array([-1.3, 0.0, 0.7, 2.2])
    grm = ItemParams.polytomous([0.9], [[-1.0, 0.4, 1.1]], "grm")
    star = np.column_stack([np.ones(4), 1 / (1 + np.exp(-0.9 * (theta[:, None] - [-1.0, 0.4, 1.1]))), np.zeros(4)])
    np.testing.assert_allclose(category_probabilities(theta, grm)[:, 0], star[:, :-1] - star[:, 1:], rtol=1e-12)
    gpcm = ItemParams.polytomous([1.4], [[0.5, -0.3, 1.0]], "gpcm")
    z = np.cumsum(np.column_stack([np.zeros(4), 1.4 * (theta[:, None] - [0.5, -0.3, 1.0])]), axis=1)
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(category_probabilities(theta, gpcm)[:, 0], expected, rtol=1e-12)


@pytest.mark.parametrize("model", ["grm", "gpcm"])
def test_one_threshold_polytomous_item_is_a_2pl_item(model):
    a, b = np.array([0.7, 1.9]), np.array([-0.4, 1.2])
    poly = ItemParams.polytomous(a, b[:, None], model)
    two_pl = ItemParams(a=a, b=b)
    np.testing.assert_allclose(category_probabilities(THETA, poly), category_probabilities(THETA, two_pl), rtol=1e-12)
    np.testing.assert_allclose(expected_score(THETA, poly), probability(THETA, two_pl), rtol=1e-12)
    np.testing.assert_allclose(information(THETA, poly), information(THETA, two_pl), rtol=1e-10, atol=1e-300)


def test_small_probabilities_keep_relative_precision_in_the_tails():
    # Log-space evaluation: P(lowest category) at theta = 40 is exp(-a(40 - b_1)), not 0 or noise.
    grm = ItemParams.polytomous([1.0], [[-1.0, 0.0, 1.0]], "grm")
    p = category_probabilities([40.0], grm)[0, 0]
    assert p[0] == pytest.approx(np.exp(-41.0), rel=1e-12)
    assert p[1] == pytest.approx(np.exp(-40.0) * (1 - np.exp(-1.0)), rel=1e-12)


def test_expected_score_and_total_increase_with_theta(mixed):
    e = expected_score(THETA, mixed)
    assert e.shape == (THETA.size, 5)
    assert np.all(np.diff(e, axis=0) > 0)
    assert np.all(e >= 0) and np.all(e <= mixed.n_categories - 1)
    np.testing.assert_allclose(expected_total(THETA, mixed), e.sum(axis=1))
    assert np.all(np.diff(expected_total(THETA, mixed)) > 0)


def test_information_equals_sum_of_squared_slopes_over_probabilities():
    # I_j = sum_k P_jk'^2 / P_jk with P' from central finite differences.
    items = ItemParams.concat(
        random_items(6, "grm", np.random.default_rng(1), n_categories=[2, 3, 4, 5, 4, 3]),
        random_items(6, "gpcm", np.random.default_rng(2), n_categories=[2, 3, 4, 5, 4, 3]),
        random_items(3, "3pl", np.random.default_rng(3)),
    )
    theta = np.linspace(-3.0, 3.0, 31)
    step = 1e-5
    slope = (category_probabilities(theta + step, items) - category_probabilities(theta - step, items)) / (2 * step)
    p = category_probabilities(theta, items)
    expected = np.divide(slope**2, p, out=np.zeros_like(p), where=p > 0).sum(axis=-1)
    np.testing.assert_allclose(information(theta, items), expected, rtol=1e-6)


def test_extreme_theta_gives_limits_without_warnings(mixed):
    with np.errstate(all="raise"):
        p = category_probabilities([-np.inf, np.inf, -1e6, 1e6], mixed)
        info = information([-np.inf, np.inf, -1e6, 1e6], mixed)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_array_equal(p[1, [1, 2], [3, 2]], [1.0, 1.0])  # top category at +inf
    np.testing.assert_array_equal(p[0, 1:, 0], 1.0)  # lowest at -inf (item 0 has c = 0.2)
    np.testing.assert_array_equal(info, 0.0)


def test_probability_refuses_polytomous_items_by_name(mixed):
    with pytest.raises(ValueError, match="item 1 is a 'grm' item: .*category_probabilities"):
        probability(0.0, mixed)


def test_log_likelihood_sums_log_category_probabilities(mixed):
    responses = np.array([[1, 3, 2, 0, 1], [0, np.nan, 1, np.nan, 0], [np.nan] * 5])
    grid = np.array([-1.0, 0.0, 2.5])
    ll = log_likelihood(responses, mixed, grid)
    p = category_probabilities(grid, mixed)
    for person, row in enumerate(responses):
        expected = sum(np.log(p[:, j, int(x)]) for j, x in enumerate(row) if not np.isnan(x))
        np.testing.assert_allclose(ll[person], expected + np.zeros(3), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("value", [4.0, 1.5, -1.0, np.inf])
def test_responses_outside_an_items_categories_name_person_and_item(mixed, value):
    responses = np.zeros((3, 5))
    responses[2, 1] = value
    with pytest.raises(ValueError, match=r"person row 2, item column 1\): expected a category 0\.\.3 or NaN"):
        log_likelihood(responses, mixed, [0.0])
    responses[2, 1] = 0.0
    responses[1, 4] = 2.0  # a 2-category GRM item
    with pytest.raises(ValueError, match=r"person row 1, item column 4\): expected a category 0\.\.1"):
        log_likelihood(responses, mixed, [0.0])
    responses[1, 4] = 0.0
    responses[0, 3] = 2.0  # a dichotomous item in a mixed test
    with pytest.raises(ValueError, match=r"person row 0, item column 3\): expected 0, 1 or NaN"):
        log_likelihood(responses, mixed, [0.0])


def test_log_likelihood_rejects_a_bad_grid(mixed):
    with pytest.raises(ValueError, match="theta_grid must be finite"):
        log_likelihood(np.zeros((1, 5)), mixed, [0.0, np.inf])
    with pytest.raises(ValueError, match="1-D"):
        log_likelihood(np.zeros((1, 5)), mixed, [[0.0]])
