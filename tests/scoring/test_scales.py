import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import irt
from scoring.irt import ItemParams, probability
from scoring.scales import (
    ROUNDING_RULES,
    LinearScale,
    linear_scale_from,
    round_to_step,
    tcc_scale,
)


def make_items(seed: int = 1, n_items: int = 40) -> ItemParams:
    rng = np.random.default_rng(seed)
    return ItemParams(
        a=rng.uniform(0.6, 2.0, n_items), b=rng.normal(0.0, 1.0, n_items), c=rng.uniform(0.0, 0.25, n_items)
    )


ITEMS = make_items()
finite_theta = st.floats(min_value=-10.0, max_value=10.0, allow_nan=False, allow_infinity=False)


# --- rounding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "rounding", "expected"),
    [
        (7.125, "half_up", 7.25),
        (7.125, "half_even", 7.0),  # 28.5 steps -> 28 (even)
        (7.375, "half_even", 7.5),  # 29.5 steps -> 30 (even)
        (7.375, "half_up", 7.5),
        (7.125, "floor", 7.0),
        (7.125, "ceil", 7.25),
        (7.25, "floor", 7.25),  # on the grid: stays
        (7.25, "ceil", 7.25),
        (7.12, "half_up", 7.0),
        (7.13, "half_up", 7.25),
        (7.13, "half_even", 7.25),
    ],
)
def test_quarter_point_rounding_at_and_near_ties(value, rounding, expected):
    assert round_to_step(value, 0.25, rounding) == expected


def test_ties_that_floats_miss_still_round_by_the_rule():
    # 1.005 is 1.00499999999999989... and 2.675 is 2.67499999999999982... in binary,
    # so Python's round() gives 1.0 and 2.67; in decimal both are ties and round by the rule.
    assert round(1.005, 2) == 1.0 and round(2.675, 2) == 2.67
    assert round_to_step(1.005, 0.01, "half_up") == 1.01
    assert round_to_step(2.675, 0.01, "half_up") == 2.68
    assert round_to_step(2.675, 0.01, "half_even") == 2.68
    assert round_to_step(2.665, 0.01, "half_even") == 2.66
    assert round_to_step(0.35, 0.1, "half_up") == 0.4
    assert round_to_step(0.35, 0.1, "half_even") == 0.4
    assert round_to_step(0.25, 0.1, "half_even") == 0.2
    assert round_to_step(0.1 + 0.2, 0.1, "floor") == 0.3  # 0.30000000000000004 is on the grid
    assert round_to_step(0.7, 0.1, "ceil") == 0.7
    # Not a tie: a genuine difference far above the tolerance is respected.
    assert round_to_step(0.35 - 1e-7, 0.1, "half_up") == 0.3


def test_rounding_is_vectorised_and_keeps_the_shape():
    values = np.array([[0.0, 0.125, 0.375], [9.875, 10.0, 5.5]])
    np.testing.assert_array_equal(round_to_step(values, 0.25, "half_even"), [[0.0, 0.0, 0.5], [10.0, 10.0, 5.5]])


def test_rounding_with_an_origin_counts_steps_from_it():
    assert round_to_step(205.0, 10.0, "half_up", origin=200.0) == 210.0
    assert round_to_step(205.0, 10.0, "half_even", origin=200.0) == 200.0
    assert round_to_step(203.0, 10.0, "half_up", origin=1.0) == 201.0


@given(st.floats(min_value=-1000, max_value=1000, allow_nan=False), st.sampled_from(ROUNDING_RULES))
def test_rounding_lands_on_the_grid_within_one_step(value, rounding):
    rounded = float(round_to_step(value, 0.25, rounding))
    assert abs(rounded - value) <= 0.25 + 1e-9
    assert rounded * 4 == round(rounded * 4)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"values": 1.0, "step": 0.0}, "step must be > 0"),
        ({"values": 1.0, "step": -0.25}, "step must be > 0"),
        ({"values": 1.0, "step": float("nan")}, "step must be finite"),
        ({"values": [1.0, float("inf")], "step": 0.25}, r"index \(1,\) is inf"),
        ({"values": 1.0, "step": 0.25, "rounding": "bankers"}, "unknown rounding rule"),
    ],
)
def test_bad_rounding_input_is_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        round_to_step(**kwargs)


# --- linear scales ----------------------------------------------------------------------


def test_theta_minus_3_to_3_onto_0_to_10_in_quarter_points():
    scale = linear_scale_from((-3.0, 3.0), (0.0, 10.0), step=0.25)
    assert scale.slope == pytest.approx(10 / 6)
    assert scale.intercept == 5.0
    np.testing.assert_array_equal(
        scale.to_scale([-5.0, -3.0, 0.0, 0.075, 1.0, 3.0, 4.0]),
        [0.0, 0.0, 5.0, 5.25, 6.75, 10.0, 10.0],  # 0.075 -> 5.125 exactly: a tie, half up
    )
    assert scale.to_scale(0.075, rounded=False) == pytest.approx(5.125)
    np.testing.assert_allclose(scale.to_theta([0.0, 5.0, 10.0]), [-3.0, 0.0, 3.0])


def test_linear_scale_rounding_rules_at_a_tie():
    theta_tie = (7.125 - 5.0) * 6 / 10  # score 7.125
    results = {
        rule: float(linear_scale_from((-3, 3), (0, 10), step=0.25, rounding=rule).to_scale(theta_tie))
        for rule in ROUNDING_RULES
    }
    assert results == {"half_up": 7.25, "half_even": 7.0, "floor": 7.0, "ceil": 7.25}


def test_linear_scale_vnu_150_and_v_act_1200():
    vnu = LinearScale(slope=20.0, intercept=75.0, minimum=0, maximum=150, step=1)
    np.testing.assert_array_equal(vnu.to_scale([-4.0, -0.025, 0.0, 0.025, 1.5, 4.0]), [0, 75, 75, 76, 105, 150])
    v_act = LinearScale(slope=150.0, intercept=600.0, minimum=0, maximum=1200, step=1, rounding="half_even")
    # 1/300 -> 600.5 and 0.01 -> 601.5 (601.5000000000001 in floats): ties, to even.
    np.testing.assert_array_equal(v_act.to_scale([-5.0, 0.001, 1 / 300, 0.01, 2.0, 5.0]), [0, 600, 600, 602, 900, 1200])


def test_without_clipping_an_out_of_range_score_is_an_error_naming_the_person():
    scale = LinearScale(slope=20.0, intercept=75.0, minimum=0, maximum=150, step=1, clip=False)
    assert scale.to_scale(3.75) == 150
    with pytest.raises(ValueError, match=r"score at index \(2,\) is 155.0, outside \[0, 150\]"):
        scale.to_scale([0.0, 1.0, 4.0])


def test_unrounded_linear_scale_and_inverse_round_trip():
    scale = LinearScale(slope=150.0, intercept=600.0, minimum=0, maximum=1200)
    theta = np.linspace(-3.9, 3.9, 27)
    np.testing.assert_allclose(scale.to_theta(scale.to_scale(theta)), theta, atol=1e-12)


@settings(max_examples=50)
@given(st.lists(finite_theta, min_size=2, max_size=30), st.sampled_from(ROUNDING_RULES))
def test_linear_scale_is_monotone(thetas, rounding):
    scale = linear_scale_from((-3, 3), (0, 10), step=0.25, rounding=rounding)
    ordered = np.sort(np.array(thetas))
    scores = scale.to_scale(ordered)
    assert (np.diff(scores) >= 0).all()
    assert ((scores >= 0) & (scores <= 10)).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"slope": 1.0, "intercept": 0.0, "minimum": 0, "maximum": 10, "step": 0}, "step must be > 0"),
        ({"slope": 1.0, "intercept": 0.0, "minimum": 0, "maximum": 10, "step": -1}, "step must be > 0"),
        ({"slope": 1.0, "intercept": 0.0, "minimum": 10, "maximum": 10}, "minimum must be < maximum"),
        ({"slope": 1.0, "intercept": 0.0, "minimum": 10, "maximum": 0}, "minimum must be < maximum"),
        ({"slope": 0.0, "intercept": 0.0, "minimum": 0, "maximum": 10}, "slope must be > 0"),
        ({"slope": 1.0, "intercept": np.inf, "minimum": 0, "maximum": 10}, "intercept must be finite"),
        ({"slope": 1.0, "intercept": 0.0, "minimum": 0, "maximum": 10, "step": 0.3}, "whole number of steps"),
        ({"slope": 1.0, "intercept": 0.0, "minimum": 0, "maximum": 10, "rounding": "up"}, "unknown rounding"),
    ],
)
def test_bad_linear_scales_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LinearScale(**kwargs)


def test_bad_anchor_points_and_theta_are_refused():
    with pytest.raises(ValueError, match="exactly two"):
        linear_scale_from((-3, 0, 3), (0, 5, 10))
    with pytest.raises(ValueError, match="must differ"):
        linear_scale_from((1, 1), (0, 10))
    with pytest.raises(ValueError, match="increase with theta"):
        linear_scale_from((-3, 3), (10, 0))
    scale = linear_scale_from((-3, 3), (0, 10), step=0.25)
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match=r"theta at index \(1,\) is"):
            scale.to_scale([0.0, bad])
    with pytest.raises(ValueError, match=r"score at index \(0,\) is 11.0"):
        scale.to_theta([11.0])


# --- test characteristic curve scales ---------------------------------------------------


def test_tcc_scale_is_the_expected_proportion_correct_on_the_range():
    scale = tcc_scale(ITEMS, 10.0)
    theta = np.array([-2.0, 0.0, 1.5])
    proportion = probability(theta, ITEMS).mean(axis=1)
    np.testing.assert_allclose(scale.to_scale(theta), 10.0 * proportion, rtol=1e-14)
    np.testing.assert_allclose(scale.expected_points(theta), 40 * proportion, rtol=1e-14)
    assert scale.max_points == 40.0


def test_tcc_scale_national_exam_quarter_points():
    # 40 single-choice items at 0.25 points each: the expected points are the score.
    scale = tcc_scale(ITEMS, 10.0, step=0.25, item_points=np.full(40, 0.25))
    theta = np.linspace(-3, 3, 25)
    scores = scale.to_scale(theta)
    expected = 0.25 * probability(theta, ITEMS).sum(axis=1)
    np.testing.assert_array_equal(scores * 4, np.round(scores * 4))
    assert np.abs(scores - expected).max() <= 0.125 + 1e-12
    assert (np.diff(scores) >= 0).all()


@pytest.mark.parametrize(("maximum", "step"), [(150.0, 1.0), (1200.0, 1.0), (10.0, 0.25)])
def test_tcc_scale_examples_on_the_reporting_scales(maximum, step):
    scale = tcc_scale(ITEMS, maximum, step=step)
    theta = np.array([-8.0, -1.0, 0.0, 1.0, 8.0])
    unrounded = maximum * probability(theta, ITEMS).mean(axis=1)
    np.testing.assert_allclose(scale.to_scale(theta), round_to_step(unrounded, step), rtol=0, atol=1e-12)
    assert scale.to_scale(-8.0) == round_to_step(maximum * ITEMS.c.mean(), step)  # guessing floor
    assert scale.to_scale(8.0) <= maximum


def test_item_points_weight_the_curve():
    items = ItemParams(a=[1.0, 1.0], b=[-1.0, 1.0])
    scale = tcc_scale(items, 10.0, item_points=[3.0, 1.0])
    p = probability(0.5, items)
    assert scale.to_scale(0.5) == pytest.approx(10.0 * (3.0 * p[0] + p[1]) / 4.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(finite_theta, min_size=2, max_size=30), st.sampled_from(ROUNDING_RULES))
def test_tcc_scale_is_monotone(thetas, rounding):
    scale = tcc_scale(ITEMS, 150.0, step=1.0, rounding=rounding)
    ordered = np.sort(np.array(thetas))
    assert (np.diff(scale.to_scale(ordered)) >= 0).all()
    assert (np.diff(scale.to_scale(ordered, rounded=False)) >= -1e-12).all()
    # Equal abilities get bit-identical scores wherever they sit in the array.
    np.testing.assert_array_equal(
        scale.to_scale(np.full(7, ordered[0]), rounded=False), scale.to_scale(ordered[0], rounded=False)
    )


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=-4.0, max_value=4.0))
def test_tcc_inverse_round_trips(theta):
    scale = tcc_scale(ITEMS, 1200.0, step=1.0)
    score = scale.to_scale(theta, rounded=False)
    assert float(scale.to_theta(score)) == pytest.approx(theta, abs=1e-8)


def test_tcc_score_to_theta_table_is_increasing_and_documented_at_the_ends():
    scale = tcc_scale(ITEMS, 10.0, step=0.25, theta_range=(-6.0, 6.0))
    scores = np.arange(0.0, 10.001, 0.25)
    thetas = scale.to_theta(scores)
    floor_score = float(scale.to_scale(-6.0, rounded=False))
    reachable = (scores > floor_score) & (scores < float(scale.to_scale(6.0, rounded=False)))
    assert (np.diff(thetas[reachable]) > 0).all()
    np.testing.assert_allclose(scale.to_scale(thetas[reachable], rounded=False), scores[reachable], atol=1e-8)
    # Below the guessing floor and at a perfect score: the ends of theta_range.
    assert (thetas[scores <= floor_score] == -6.0).all()
    assert thetas[-1] == 6.0
    assert scale.to_theta(np.array([[5.0, 6.0]])).shape == (1, 2)


def test_bad_tcc_scale_input_is_refused():
    with pytest.raises(ValueError, match="step must be > 0"):
        tcc_scale(ITEMS, 10.0, step=0.0)
    with pytest.raises(ValueError, match="minimum must be < maximum"):
        tcc_scale(ITEMS, 0.0)
    with pytest.raises(ValueError, match=r"item 2: item_points = -1.0"):
        tcc_scale(ItemParams(a=[1, 1, 1], b=[0, 0, 0]), 10.0, item_points=[1.0, 1.0, -1.0])
    with pytest.raises(ValueError, match="one value per item"):
        tcc_scale(ITEMS, 10.0, item_points=[1.0])
    with pytest.raises(ValueError, match="theta_range"):
        tcc_scale(ITEMS, 10.0, theta_range=(2.0, -2.0))
    with pytest.raises(TypeError, match="ItemParams"):
        tcc_scale({"a": [1.0]}, 10.0)
    scale = tcc_scale(ITEMS, 10.0, step=0.25)
    with pytest.raises(ValueError, match=r"theta at index \(0,\) is nan"):
        scale.to_scale([np.nan])
    with pytest.raises(ValueError, match=r"score at index \(0,\) is -0.5"):
        scale.to_theta([-0.5])


@pytest.mark.skipif(
    not (hasattr(irt, "expected_score") and "thresholds" in {f.name for f in dataclasses.fields(ItemParams)}),
    reason="scoring.irt has no polytomous items yet",
)
def test_tcc_scale_counts_the_categories_of_polytomous_items():
    items = ItemParams(
        a=[1.0, 1.2, 0.9],
        b=[0.0, np.nan, np.nan],
        thresholds=[None, [-1.0, 0.0, 1.0], [-0.5, 0.5]],
        model=["2pl", "grm", "gpcm"],
    )
    scale = tcc_scale(items, 150.0, step=1.0)
    assert scale.max_points == 1 + 3 + 2
    theta = np.array([-1.0, 0.0, 2.0])
    expected = irt.expected_score(theta, items).sum(axis=1)
    np.testing.assert_allclose(scale.to_scale(theta, rounded=False), 150.0 * expected / 6.0)
    np.testing.assert_allclose(scale.to_theta(scale.to_scale(theta, rounded=False)), theta, atol=1e-8)
