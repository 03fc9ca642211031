"""The simulator and the random item bank generator."""

import numpy as np
import pytest

from scoring.irt import ItemParams, category_probabilities
from scoring.simulate import SimulatedResponses, random_items, simulate

MODELS = ["rasch", "1pl", "2pl", "3pl", "grm", "gpcm"]


@pytest.mark.parametrize("model", MODELS)
def test_random_items_are_valid_for_each_model(model):
    items = random_items(25, model, np.random.default_rng(1), n_categories=5)
    assert items.n_items == 25
    assert set(items.model) == {model}
    if model == "rasch":
        np.testing.assert_array_equal(items.a, 1.0)
    if model == "1pl":
        assert np.unique(items.a).size == 1
    if model == "3pl":
        assert np.all((items.c > 0) & (items.c < 0.31))
    else:
        np.testing.assert_array_equal(items.c, 0.0)
    expected_categories = 5 if model in ("grm", "gpcm") else 2
    np.testing.assert_array_equal(items.n_categories, expected_categories)


def test_same_seed_same_data_and_different_seed_different_data():
    items = random_items(10, ["2pl"] * 5 + ["gpcm"] * 5, np.random.default_rng(2))
    first = simulate(items, 200, np.random.default_rng(3), missing=0.2)
    again = simulate(items, 200, np.random.default_rng(3), missing=0.2)
    other = simulate(items, 200, np.random.default_rng(4), missing=0.2)
    np.testing.assert_array_equal(first.responses, again.responses)
    np.testing.assert_array_equal(first.theta, again.theta)
    assert not np.array_equal(first.theta, other.theta)


def test_simulated_categories_follow_the_model_probabilities():
    items = ItemParams(
        a=[1.0, 1.3, 0.8],
        b=[0.5, np.nan, np.nan],
        c=[0.2, 0.0, 0.0],
        thresholds=[None, [-1.0, 0.0, 1.0], [0.4, -0.6]],
        model=["3pl", "grm", "gpcm"],
    )
    theta = np.full(40_000, 0.3)
    responses, true_theta = simulate(items, theta, np.random.default_rng(5))
    np.testing.assert_array_equal(true_theta, theta)
    expected = category_probabilities(0.3, items)
    for item in range(3):
        counts = np.bincount(responses[:, item].astype(int), minlength=items.max_categories) / theta.size
        np.testing.assert_allclose(counts, expected[item], atol=0.01)  # binomial SD <= 0.0025


def test_missing_fraction_and_value_range():
    items = random_items(12, ["3pl"] * 4 + ["grm"] * 8, np.random.default_rng(6), n_categories=[4, 3] * 6)
    result = simulate(items, 5_000, np.random.default_rng(7), missing=0.3)
    assert isinstance(result, SimulatedResponses)
    responses, theta = result
    assert responses.shape == (5_000, 12) and theta.shape == (5_000,)
    assert np.isnan(responses).mean() == pytest.approx(0.3, abs=0.01)
    present = ~np.isnan(responses)
    assert np.all(responses[present] == np.round(responses[present]))
    assert np.all((responses >= 0) | ~present)
    assert np.all((responses <= items.n_categories - 1) | ~present)
    assert theta.mean() == pytest.approx(0.0, abs=0.05) and theta.std() == pytest.approx(1.0, abs=0.05)


def test_more_able_persons_score_higher():
    items = random_items(20, "gpcm", np.random.default_rng(8))
    responses, _ = simulate(items, np.repeat([-1.0, 0.0, 1.0], 500), np.random.default_rng(9))
    means = responses.sum(axis=1).reshape(3, 500).mean(axis=1)
    assert np.all(np.diff(means) > 0)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((5, "not a generator"), {}, TypeError, "Generator"),
        ((-1, np.random.default_rng(0)), {}, ValueError, "number of persons"),
        (([[0.0]], np.random.default_rng(0)), {}, ValueError, "1-D"),
        (([0.0, np.inf], np.random.default_rng(0)), {}, ValueError, "not finite at index 1"),
        ((5, np.random.default_rng(0)), {"missing": 1.0}, ValueError, "missing"),
        ((5, np.random.default_rng(0)), {"theta_sd": 0.0}, ValueError, "theta_sd"),
    ],
)
def test_simulate_rejects_bad_arguments(args, kwargs, error, match):
    items = ItemParams(a=[1.0], b=[0.0])
    with pytest.raises(error, match=match):
        simulate(items, *args, **kwargs)


def test_random_items_rejects_bad_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="item 1: unknown model 'nrm'"):
        random_items(2, ["2pl", "nrm"], rng)
    with pytest.raises(ValueError, match="n_items"):
        random_items(0, "2pl", rng)
    with pytest.raises(ValueError, match="n_categories"):
        random_items(2, "grm", rng, n_categories=1)
    with pytest.raises(TypeError, match="Generator"):
        random_items(2, "grm", np.random.RandomState(0))
