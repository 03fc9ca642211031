import math
import warnings

import numpy as np
import pytest

from scoring.classical import (
    alpha_if_item_deleted,
    cronbach_alpha,
    distractor_analysis,
    item_statistics,
    standard_error_of_measurement,
)

# Four persons forming a Guttman pattern on three items: totals 3, 2, 1, 0.
GUTTMAN = np.array(
    [
        [1, 1, 1],
        [1, 1, 0],
        [1, 0, 0],
        [0, 0, 0],
    ],
    dtype=float,
)


def random_dichotomous(seed: int, n_persons: int = 300, n_items: int = 8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=(n_persons, 1))
    b = rng.normal(size=n_items)
    return (rng.random((n_persons, n_items)) < 1 / (1 + np.exp(-(theta - b)))).astype(float)


# --- item statistics: hand-computed -----------------------------------------------------------


def test_item_statistics_hand_computed_guttman_example():
    stats = item_statistics(GUTTMAN)
    # p = column means: 3/4, 2/4, 1/4.
    np.testing.assert_allclose(stats.p_value, [0.75, 0.5, 0.25])
    np.testing.assert_array_equal(stats.n_responses, [4, 4, 4])
    # T = (3, 2, 1, 0): mean 1.5, population variance (2.25 + .25 + .25 + 2.25) / 4 = 1.25.
    # Item 0, x = (1, 1, 1, 0): var .1875, cov(x, T) = (3 + 2 + 1) / 4 - .75 * 1.5 = .375,
    #   r = .375 / sqrt(.1875 * 1.25) = sqrt(.6).
    # Item 1, x = (1, 1, 0, 0): var .25, cov = (3 + 2) / 4 - .5 * 1.5 = .5, r = .5 / sqrt(.25 * 1.25) = sqrt(.8).
    # Item 2 mirrors item 0.
    np.testing.assert_allclose(stats.point_biserial, [math.sqrt(0.6), math.sqrt(0.8), math.sqrt(0.6)])
    # Corrected, item 0: rest R = (2, 1, 0, 0), mean .75, var 2.75 / 4 = .6875,
    #   cov(x, R) = (2 + 1) / 4 - .75 * .75 = .1875, r = .1875 / sqrt(.1875 * .6875) = sqrt(3 / 11).
    # Item 1: R = (2, 1, 1, 0), mean 1, var .5, cov = (2 + 1) / 4 - .5 = .25, r = .25 / sqrt(.25 * .5) = sqrt(.5).
    np.testing.assert_allclose(stats.corrected_item_total, [math.sqrt(3 / 11), math.sqrt(0.5), math.sqrt(3 / 11)])
    assert dict(stats.reasons) == {}


def test_cronbach_alpha_and_deleted_and_sem_hand_computed():
    # Item variances (population) .1875 + .25 + .1875 = .625; total variance 1.25;
    # alpha = 3/2 * (1 - .625 / 1.25) = .75 (ddof cancels in the ratio).
    assert cronbach_alpha(GUTTMAN) == pytest.approx(0.75)
    # Without item 0: items (1,1,0,0), (1,0,0,0): variances .25 + .1875 = .4375, totals (2,1,0,0)
    #   variance .6875, alpha = 2 * (1 - .4375 / .6875) = 8 / 11.
    # Without item 1: items (1,1,1,0), (1,0,0,0): .1875 + .1875 = .375, totals (2,1,1,0) variance .5,
    #   alpha = 2 * (1 - .375 / .5) = .5.
    np.testing.assert_allclose(alpha_if_item_deleted(GUTTMAN), [8 / 11, 0.5, 8 / 11])
    # SEM = s_T (ddof 1) * sqrt(1 - alpha) = sqrt(1.25 * 4 / 3) * sqrt(.25).
    assert standard_error_of_measurement(GUTTMAN) == pytest.approx(math.sqrt(5 / 3) * 0.5)
    assert standard_error_of_measurement(GUTTMAN, reliability=0.91) == pytest.approx(math.sqrt(5 / 3) * 0.3)


# --- published reference values ------------------------------------------------------------


def test_kr20_reproduces_wuensch_worked_example():
    """Wuensch, K. L., "The Kuder-Richardson 20", East Carolina University StatHelp,
    https://core.ecu.edu/wuenschk/StatHelp/KR20.txt: ten students, ten-item quiz.

    The page tabulates p = .7 .7 .6 .7 .6 .8 .7 .7 .5 .6, pq summing to 2.18 and
    a total-score variance of 5.84 (divisor N), so
    KR-20 = (10 / 9) (1 - 2.18 / 5.84).
    """
    data = np.array(
        [
            [1, 1, 1, 1, 1, 1, 0, 1, 1, 0],  # A, total 8
            [1, 0, 1, 1, 0, 1, 1, 1, 0, 1],  # B, 7
            [1, 1, 1, 1, 0, 1, 1, 0, 0, 1],  # C, 7
            [0, 0, 1, 0, 0, 0, 1, 0, 0, 0],  # D, 2
            [0, 0, 0, 0, 0, 1, 0, 0, 1, 0],  # E, 2
            [1, 1, 1, 0, 1, 1, 1, 1, 1, 1],  # F, 9
            [1, 1, 0, 1, 1, 1, 0, 1, 1, 1],  # G, 8
            [1, 1, 1, 1, 1, 1, 1, 1, 0, 1],  # H, 9
            [0, 1, 0, 1, 1, 1, 1, 1, 0, 1],  # I, 7
            [1, 1, 0, 1, 1, 0, 1, 1, 1, 0],  # J, 7
        ],
        dtype=float,
    )
    np.testing.assert_array_equal(data.sum(axis=1), [8, 7, 7, 2, 2, 9, 8, 9, 7, 7])
    stats = item_statistics(data)
    np.testing.assert_allclose(stats.p_value, [0.7, 0.7, 0.6, 0.7, 0.6, 0.8, 0.7, 0.7, 0.5, 0.6])
    assert float(np.sum(stats.p_value * (1 - stats.p_value))) == pytest.approx(2.18)
    assert float(np.var(data.sum(axis=1))) == pytest.approx(5.84)
    assert cronbach_alpha(data) == pytest.approx(10 / 9 * (1 - 2.18 / 5.84), abs=1e-12)  # 0.6963...


def test_alpha_reproduces_easystats_performance_mtcars_example():
    """easystats ``performance::cronbachs_alpha`` reference page
    (https://easystats.github.io/performance/reference/cronbachs_alpha.html):
    ``cronbachs_alpha(mtcars[, c("cyl", "gear", "carb", "hp")])`` prints 0.09463206.
    Columns cyl, gear, carb, hp of R's mtcars (Henderson & Velleman, 1981)."""
    cyl_gear_carb_hp = [
        (6, 4, 4, 110), (6, 4, 4, 110), (4, 4, 1, 93), (6, 3, 1, 110), (8, 3, 2, 175),
        (6, 3, 1, 105), (8, 3, 4, 245), (4, 4, 2, 62), (4, 4, 2, 95), (6, 4, 4, 123),
        (6, 4, 4, 123), (8, 3, 3, 180), (8, 3, 3, 180), (8, 3, 3, 180), (8, 3, 4, 205),
        (8, 3, 4, 215), (8, 3, 4, 230), (4, 4, 1, 66), (4, 4, 2, 52), (4, 4, 1, 65),
        (4, 3, 1, 97), (8, 3, 2, 150), (8, 3, 2, 150), (8, 3, 4, 245), (8, 3, 2, 175),
        (4, 4, 1, 66), (4, 5, 2, 91), (4, 5, 2, 113), (8, 5, 4, 264), (6, 5, 6, 175),
        (8, 5, 8, 335), (4, 4, 2, 109),
    ]  # fmt: skip
    data = np.array(cyl_gear_carb_hp, dtype=float)
    np.testing.assert_array_equal(data.sum(axis=0), [198, 118, 90, 4694])  # mtcars column sums
    assert cronbach_alpha(data) == pytest.approx(0.09463206, abs=5e-9)


# --- identities ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_alpha_equals_kr20_for_dichotomous_data(seed):
    data = random_dichotomous(seed)
    k = data.shape[1]
    p = data.mean(axis=0)
    kr20 = k / (k - 1) * (1 - np.sum(p * (1 - p)) / np.var(data.sum(axis=1)))
    assert cronbach_alpha(data) == pytest.approx(kr20, rel=1e-12)


@pytest.mark.parametrize("seed", [4, 5])
def test_alpha_if_item_deleted_equals_alpha_of_reduced_matrix(seed):
    data = random_dichotomous(seed)
    expected = [cronbach_alpha(np.delete(data, j, axis=1)) for j in range(data.shape[1])]
    np.testing.assert_allclose(alpha_if_item_deleted(data), expected, rtol=1e-12)


@pytest.mark.parametrize("seed", [6, 7])
def test_correlations_equal_numpy_correlations_with_total_and_rest(seed):
    data = random_dichotomous(seed)
    total = data.sum(axis=1)
    stats = item_statistics(data)
    for j in range(data.shape[1]):
        assert stats.point_biserial[j] == pytest.approx(np.corrcoef(data[:, j], total)[0, 1], rel=1e-10)
        assert stats.corrected_item_total[j] == pytest.approx(
            np.corrcoef(data[:, j], total - data[:, j])[0, 1], rel=1e-10
        )


def test_polytomous_p_value_is_mean_over_max_and_alpha_matches_formula():
    rng = np.random.default_rng(11)
    data = rng.integers(0, 4, size=(200, 5)).astype(float)  # categories 0..3
    data[:, 4] = np.minimum(data[:, 4], 2)  # nobody reached 3 on item 4 ...
    stats = item_statistics(data, max_score=3)  # ... but its maximum is still 3
    np.testing.assert_allclose(stats.p_value, data.mean(axis=0) / 3)
    np.testing.assert_array_equal(stats.max_score, [3, 3, 3, 3, 3])
    k = 5
    expected = k / (k - 1) * (1 - data.var(axis=0, ddof=1).sum() / data.sum(axis=1).var(ddof=1))
    assert cronbach_alpha(data) == pytest.approx(expected, rel=1e-12)
    assert item_statistics(data).max_score[4] == 2  # inferred from the data when not given


# --- missing data ----------------------------------------------------------------------------


def test_alpha_complete_cases_uses_only_rows_without_missing():
    data = random_dichotomous(8)
    holes = data.copy()
    holes[[0, 5, 9], [1, 2, 2]] = np.nan
    complete_rows = np.delete(data, [0, 5, 9], axis=0)
    assert cronbach_alpha(holes) == pytest.approx(cronbach_alpha(complete_rows), rel=1e-12)
    np.testing.assert_allclose(alpha_if_item_deleted(holes), alpha_if_item_deleted(complete_rows))


def test_alpha_pairwise_uses_pairwise_covariances():
    data = random_dichotomous(9, n_items=4)
    rng = np.random.default_rng(0)
    data[rng.random(data.shape) < 0.15] = np.nan
    k = data.shape[1]
    cov = np.empty((k, k))
    for j in range(k):
        for m in range(k):
            both = ~np.isnan(data[:, j]) & ~np.isnan(data[:, m])
            cov[j, m] = np.cov(data[both, j], data[both, m])[0, 1]
    expected = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
    assert cronbach_alpha(data, missing="pairwise") == pytest.approx(expected, rel=1e-10)
    # On complete data both policies agree.
    full = random_dichotomous(10)
    assert cronbach_alpha(full, missing="pairwise") == pytest.approx(cronbach_alpha(full), rel=1e-12)


def test_item_statistics_use_available_cases_and_ignore_empty_persons():
    data = random_dichotomous(12)
    with_empty = np.vstack([data, np.full(data.shape[1], np.nan)])
    a, b = item_statistics(data), item_statistics(with_empty)
    np.testing.assert_allclose(a.point_biserial, b.point_biserial, rtol=1e-12)
    np.testing.assert_allclose(a.corrected_item_total, b.corrected_item_total, rtol=1e-12)
    np.testing.assert_array_equal(a.n_responses, b.n_responses)
    # Available cases: item 0 hidden for person 0 -> 299 responses; person 0's total is over 7 items.
    holes = data.copy()
    holes[0, 0] = np.nan
    stats = item_statistics(holes)
    assert stats.n_responses[0] == data.shape[0] - 1
    rows = slice(1, None)
    total = np.nansum(holes, axis=1)
    assert stats.point_biserial[0] == pytest.approx(np.corrcoef(holes[rows, 0], total[rows])[0, 1], rel=1e-10)
    assert stats.point_biserial[1] == pytest.approx(np.corrcoef(holes[:, 1], total)[0, 1], rel=1e-10)


# --- defined behaviour at the edges ----------------------------------------------------------


def test_item_everyone_got_right_gives_nan_with_reason_and_no_warning():
    data = random_dichotomous(13)
    data[:, 3] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stats = item_statistics(data)
        alpha = cronbach_alpha(data)
    assert np.isnan(stats.point_biserial[3]) and np.isnan(stats.corrected_item_total[3])
    assert "item 3" in stats.reasons[3] and "no variance" in stats.reasons[3]
    assert stats.p_value[3] == 1.0
    assert np.isfinite(np.delete(stats.point_biserial, 3)).all()
    assert np.isfinite(alpha)


def test_single_item_and_two_item_tests():
    one = GUTTMAN[:, :1]
    stats = item_statistics(one)
    assert stats.point_biserial[0] == pytest.approx(1.0)
    assert np.isnan(stats.corrected_item_total[0])
    assert "only item" in stats.reasons[0]
    for function in (cronbach_alpha, alpha_if_item_deleted, standard_error_of_measurement):
        with pytest.raises(ValueError, match="at least 2 items"):
            function(one)
    # Two items: alpha defined, alpha-if-deleted would be the alpha of one item: NaN.
    assert np.isnan(alpha_if_item_deleted(GUTTMAN[:, :2])).all()


def test_zero_total_variance_gives_nan_alpha_without_warning():
    constant = np.ones((5, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(cronbach_alpha(constant))
        assert np.isnan(standard_error_of_measurement(constant))
        stats = item_statistics(constant)
    assert np.isnan(stats.point_biserial).all()


def test_sem_refuses_negative_reliability():
    data = np.array([[1, 0], [0, 1], [1, 0], [0, 1], [1, 1]], dtype=float)  # negatively related items
    assert cronbach_alpha(data) < 0
    with pytest.raises(ValueError, match="alpha = .* outside"):
        standard_error_of_measurement(data)
    with pytest.raises(ValueError, match="outside"):
        standard_error_of_measurement(GUTTMAN, reliability=1.2)


def test_too_few_complete_cases():
    data = GUTTMAN.copy()
    data[:3, 0] = np.nan
    with pytest.raises(ValueError, match="1 person"):
        cronbach_alpha(data)


@pytest.mark.parametrize(
    ("responses", "match"),
    [
        (np.zeros(4), "2-D"),
        (np.zeros((0, 3)), "at least one person"),
        (np.array([[0, 1], [2.5, 0]]), r"responses\[1, 0\] = 2.5 \(person row 1, item column 0\)"),
        (np.array([[0, -1], [1, 0]]), r"person row 0, item column 1"),
        (np.array([[0, np.inf], [1, 0]]), r"person row 0, item column 1"),
        (np.array([["a", "b"]]), "numeric"),
    ],
)
def test_bad_responses_are_rejected(responses, match):
    with pytest.raises(ValueError, match=match):
        item_statistics(responses)


def test_score_above_max_score_names_person_and_item():
    with pytest.raises(ValueError, match=r"person row 2, item column 1\): outside the item's categories 0..1"):
        item_statistics(np.array([[0, 1], [1, 0], [1, 2]], dtype=float), max_score=1)
    with pytest.raises(ValueError, match="item 1: max_score"):
        item_statistics(GUTTMAN, max_score=[1, 0, 1])


def test_missing_policy_is_checked():
    with pytest.raises(ValueError, match="missing must be"):
        cronbach_alpha(GUTTMAN, missing="listwise")


# --- distractor analysis --------------------------------------------------------------------

CHOICES = np.array(
    [
        ["A", "B"],  # total 2
        ["A", "B"],  # 2
        ["A", "C"],  # 1
        ["B", "B"],  # 1
        ["C", "C"],  # 0
        ["", "D"],  # 0 (item 0 omitted)
    ],
    dtype=object,
)


def test_distractor_analysis_hand_computed():
    result = distractor_analysis(CHOICES, ["A", "B"], n_groups=3)
    # Totals (2, 2, 1, 1, 0, 0). Mid-ranks: score 0 -> 0 + 2/2 = 1, score 1 -> 2 + 1 = 3, score 2 -> 5;
    # group = floor(3 m / 6): 0, 1, 2.
    np.testing.assert_array_equal(result.total_score, [2, 2, 1, 1, 0, 0])
    np.testing.assert_array_equal(result.group, [2, 2, 1, 1, 0, 0])
    np.testing.assert_array_equal(result.group_sizes, [2, 2, 2])
    item0 = result.items[0]
    assert item0.options == ("A", "B", "C", None)
    np.testing.assert_array_equal(item0.counts, [[0, 1, 2], [0, 1, 0], [1, 0, 0], [1, 0, 0]])
    np.testing.assert_allclose(item0.proportions, item0.counts / 2)
    # Key A, indicator (1,1,1,0,0,0) vs T: cov = 5/6 - .5 * 1 = 1/3, var .25 and 2/3 -> r = sqrt(6) / 3.
    # B, (0,0,0,1,0,0): cov = 1/6 - 1/6 = 0. C and omit, one person with T = 0:
    # cov = -1/6, var 5/36 -> r = -(1/6) / sqrt(5/36 * 2/3) = -sqrt(.3).
    np.testing.assert_allclose(item0.point_biserial, [math.sqrt(6) / 3, 0.0, -math.sqrt(0.3), -math.sqrt(0.3)])
    assert item0.discrimination == pytest.approx(1.0)  # 2/2 in the top group - 0/2 in the bottom
    item1 = result.items[1]
    assert item1.options == ("B", "C", "D")
    np.testing.assert_array_equal(item1.counts, [[0, 1, 2], [1, 1, 0], [1, 0, 0]])


def test_distractor_analysis_upper_lower_27_percent():
    result = distractor_analysis(CHOICES, ["A", "B"], extreme_fraction=0.27)
    # cut = .27 * 6 = 1.62: lower if m < 1.62 (score 0, m = 1), upper if 6 - m < 1.62 (score 2, m = 5).
    assert result.group_labels == ("lower", "upper")
    np.testing.assert_array_equal(result.group, [1, 1, -1, -1, 0, 0])
    np.testing.assert_array_equal(result.items[0].counts, [[0, 2], [0, 0], [1, 0], [1, 0]])


def test_distractor_analysis_key_nobody_chose_and_everyone_tied():
    result = distractor_analysis(CHOICES, ["E", "B"])
    item0 = result.items[0]
    assert item0.options == ("A", "B", "C", "E", None)
    assert np.isnan(item0.point_biserial[3])
    assert "chosen by nobody" in item0.reasons["E"]
    # Everyone tied (all correct): the groups are empty except the middle, correlations undefined.
    tied = distractor_analysis([["A"], ["A"], ["A"]], ["A"], extreme_fraction=0.27)
    np.testing.assert_array_equal(tied.group_sizes, [0, 0])
    assert np.isnan(tied.items[0].discrimination)
    assert "chosen by everybody" in tied.items[0].reasons["A"]


def test_distractor_analysis_integer_option_ids_and_person_with_no_responses():
    choices = [[1, 2], [1, 1], [2, 2], [None, None]]
    result = distractor_analysis(choices, [1, 2], n_groups=2)
    np.testing.assert_array_equal(result.total_score, [2, 1, 1, 0])
    assert result.items[0].options == (1, 2, None)


@pytest.mark.parametrize(
    ("choices", "key", "kwargs", "match"),
    [
        (CHOICES, ["A"], {}, "key must have one entry per item: expected 2"),
        (CHOICES, ["A", "B", "C"], {}, "expected 2"),
        (CHOICES, ["A", None], {}, "item 1: key is None"),
        (CHOICES, ["A", ""], {}, "item 1: key"),
        (["A", "B"], ["A", "B"], {}, "2-D"),
        (CHOICES, ["A", "B"], {"n_groups": 1}, "n_groups"),
        (CHOICES, ["A", "B"], {"extreme_fraction": 0.6}, "extreme_fraction"),
    ],
)
def test_distractor_analysis_bad_input(choices, key, kwargs, match):
    with pytest.raises(ValueError, match=match):
        distractor_analysis(choices, key, **kwargs)
