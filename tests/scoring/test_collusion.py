"""The generalized binomial test of answer similarity (``scoring.collusion``): its tail
against enumeration and scipy's binomial, a hand-worked pair, its false-positive rate on
simulated independent work, its detection of copied answers, and bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from scoring.collusion import most_similar_pairs, similarity, upper_tail
from scoring.irt import ItemParams
from scoring.simulate import random_items, simulate_choices


def enumerated_tail(pi: np.ndarray, m: int) -> float:
    """P(M >= m) by listing every outcome (an independent implementation)."""
    total = 0.0
    for outcome in itertools.product((0, 1), repeat=len(pi)):
        if sum(outcome) >= m:
            total += float(np.prod([p if o else 1 - p for p, o in zip(pi, outcome, strict=True)]))
    return total


def test_the_tail_equals_enumeration_and_the_binomial():
    rng = np.random.default_rng(3)
    pi = rng.uniform(0.05, 0.95, size=(4, 10))
    for m in range(12):
        got = upper_tail(pi, np.full(4, m))
        assert np.allclose(got, [enumerated_tail(row, m) for row in pi], atol=1e-12)
    equal = np.full((1, 40), 0.3)
    for m in (0, 5, 12, 20, 40, 41):
        assert upper_tail(equal, [m])[0] == pytest.approx(stats.binom.sf(m - 1, 40, 0.3), abs=1e-12)


def test_a_hand_worked_pair():
    """Two options an item: choosing the key has probability P_i(theta), the other 1 - P_i."""
    items = ItemParams(a=[1.0, 1.0, 1.0], b=[0.0, 1.0, -1.0])
    theta = np.array([0.0, 0.5])
    keys = [0, 0, 1]
    choices = np.array([[0, 1, 1], [0, 1, 0]], dtype=float)
    result = similarity(choices, keys, [[0, 1]], items=items, theta=theta, n_options=2, directional=True)
    p_copier = 1 / (1 + np.exp(-(0.0 - np.array([0.0, 1.0, -1.0]))))  # P_i(0): person 0 right
    # The source (person 1) chose 0, 1, 0: the key of item 1, the other option of items 2 and 3;
    # the copier (person 0) matches with P_1, 1 - P_2 and 1 - P_3, and matched items 1 and 2.
    pi = np.array([p_copier[0], 1 - p_copier[1], 1 - p_copier[2]])
    assert result.matches.tolist() == [2] and result.shared.tolist() == [3]
    assert result.expected[0] == pytest.approx(pi.sum())
    assert result.pvalue[0] == pytest.approx(enumerated_tail(pi, 2))
    assert result.index[0] == pytest.approx((2 - pi.sum()) / np.sqrt((pi * (1 - pi)).sum()))


def _independent(n_persons: int, n_items: int, seed: int):
    rng = np.random.default_rng(seed)
    choices, keys = simulate_choices(random_items(n_items, "2pl", rng), n_persons, rng)
    return rng, choices, keys


def test_independent_work_is_flagged_no_more_often_than_the_level():
    rng, choices, keys = _independent(3000, 40, seed=11)
    pairs = rng.choice(3000, size=(8000, 2))
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    result = similarity(choices, keys, pairs)
    n = len(pairs)
    for alpha in (0.05, 0.01, 0.001):
        rate = float(np.mean(result.pvalue < alpha))
        assert rate <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / n), (alpha, rate)
    assert abs(float(np.nanmean(result.index))) < 0.25  # centred near 0


def test_copied_answers_are_found():
    rng, choices, keys = _independent(3000, 40, seed=12)
    pairs = np.array([(2 * k, 2 * k + 1) for k in range(300)])  # copier, source
    copied = choices.copy()
    for copier, source in pairs:
        items = rng.choice(40, 12, replace=False)  # 30% of the test
        copied[copier, items] = copied[source, items]
    honest = similarity(choices, keys, pairs, directional=True)
    caught = similarity(copied, keys, pairs, directional=True)
    assert np.median(caught.pvalue) < 0.05 < np.median(honest.pvalue)
    assert np.mean(caught.pvalue < 0.01) > 10 * max(np.mean(honest.pvalue < 0.01), 0.01)
    assert np.all(caught.matches >= honest.matches)


def _detected(n_items: int, share: float, seed: int) -> float:
    """Share of 300 copiers of ``share`` of the items found at 0.01, in a sitting of 2,000."""
    rng, choices, keys = _independent(2000, n_items, seed)
    pairs = rng.permutation(2000)[:600].reshape(300, 2)  # copier, source
    copied = choices.copy()
    for copier, source in pairs:
        items = rng.choice(n_items, round(share * n_items), replace=False)
        copied[copier, items] = copied[source, items]
    return float(np.mean(similarity(copied, keys, pairs, directional=True).pvalue < 0.01))


def test_detection_grows_with_the_share_copied_and_the_test_length_as_published():
    """The published studies' patterns (bench/RESULTS.md): more copied and longer tests, more found."""
    by_share = [_detected(40, share, seed=21) for share in (0.1, 0.3, 0.5)]
    assert by_share[0] < 0.1 < by_share[1] < by_share[2], by_share
    assert by_share[2] - by_share[1] > 0.15, by_share
    assert _detected(80, 0.3, seed=21) > by_share[1] + 0.1


@pytest.mark.parametrize(
    "choices, keys, pairs, message",
    [
        ([[0, 1]], [0, 1], [[0, 0]], "at least two persons"),
        ([[0, 1.5], [1, 0]], [0, 1], [[0, 1]], "option indices"),
        ([[0, -1], [1, 0]], [0, 1], [[0, 1]], "option indices"),
        ([[0, 1], [1, 0]], [0], [[0, 1]], "keys must hold 2"),
        ([[0, 1], [1, 0]], [0, 1], [[0, 2]], "pairs must be"),
        ([[0, 1], [1, 0]], [0, 1], [[1, 1]], "two different persons"),
        ([[0, 1], [1, 0]], [0, 1], [0, 1], "pairs must be"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(choices, keys, pairs, message):
    with pytest.raises(ValueError, match=message):
        similarity(choices, keys, pairs)


def test_options_beyond_n_options_and_a_wrong_theta_are_refused():
    choices = np.array([[0, 3], [1, 0], [2, 1]], dtype=float)
    with pytest.raises(ValueError, match="beyond n_options"):
        similarity(choices, [0, 1], [[0, 1]], n_options=3)
    items = ItemParams(a=[1.0, 1.0], b=[0.0, 0.0])
    with pytest.raises(ValueError, match="theta must hold 3"):
        similarity(choices, [0, 1], [[0, 1]], items=items, theta=[0.0, 1.0])


def test_the_most_similar_pairs_of_a_sitting_include_the_copiers():
    rng, choices, keys = _independent(2000, 40, seed=13)
    planted = [(k, k + 1000) for k in range(0, 100, 20)]
    for copier, source in planted:
        items = rng.choice(40, 24, replace=False)  # 60%: strong enough to stand out of 2 million pairs
        choices[copier, items] = choices[source, items]
    pairs, result = most_similar_pairs(choices, keys, 10, block=300)
    assert len(pairs) == 10 and np.all(pairs[:, 0] < pairs[:, 1])
    assert len({tuple(p) for p in pairs.tolist()}) == 10
    assert np.all(np.diff(result.pvalue) >= 0)  # most alike first
    own = similarity(choices, keys, np.array(planted))
    strong = [pair for pair, p in zip(planted, own.pvalue, strict=True) if p < 1e-7]
    assert strong and set(strong) <= {tuple(p) for p in pairs.tolist()}
    # The same pairs, tested again, give the same p-values (the screen only chooses them).
    again = similarity(choices, keys, pairs)
    assert np.allclose(np.sort(again.pvalue), result.pvalue)


def test_the_screen_needs_sensible_counts():
    choices = np.array([[0, 1], [1, 0], [0, 0]], dtype=float)
    with pytest.raises(ValueError, match="count must be"):
        most_similar_pairs(choices, [0, 1], 0)
    with pytest.raises(ValueError, match="screen must be"):
        most_similar_pairs(choices, [0, 1], 2, screen=1)
    pairs, result = most_similar_pairs(choices, [0, 1], 5)  # fewer pairs than asked: all three
    assert sorted(map(tuple, pairs.tolist())) == [(0, 1), (0, 2), (1, 2)] and len(result.pvalue) == 3


def test_simulated_choices_follow_the_keys_and_refuse_bad_settings():
    rng = np.random.default_rng(4)
    items = random_items(30, "2pl", rng)
    choices, keys = simulate_choices(items, 500, rng, n_options=5)
    assert choices.shape == (500, 30) and keys.shape == (30,) and set(np.unique(choices)) <= set(range(5))
    right = choices == keys[None, :]
    assert 0.2 < right.mean() < 0.8  # about half right on average items
    first = simulate_choices(items, 100, np.random.default_rng(9))
    second = simulate_choices(items, 100, np.random.default_rng(9))
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])  # the seed fixes it
    with pytest.raises(ValueError, match="n_options"):
        simulate_choices(items, 10, rng, n_options=1)
    with pytest.raises(ValueError, match="concentration"):
        simulate_choices(items, 10, rng, concentration=0)
