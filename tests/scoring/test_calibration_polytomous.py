"""Tests for polytomous (GRM, GPCM) and mixed-format calibration in scoring.calibration."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from scoring.calibration import calibrate
from scoring.irt import ItemParams, estimate_ability
from scoring.simulate import random_items, simulate


def _rmse(estimate: np.ndarray, truth: np.ndarray) -> float:
    """RMSE over the entries that are not NaN padding (the same pattern in both)."""
    estimate, truth = np.asarray(estimate), np.asarray(truth)
    np.testing.assert_array_equal(np.isnan(estimate), np.isnan(truth))
    keep = ~np.isnan(truth)
    return float(np.sqrt(np.mean((estimate[keep] - truth[keep]) ** 2)))


# --------------------------------------------------------------------------- recovery


@pytest.mark.parametrize("model", ["grm", "gpcm"])
def test_polytomous_recovery_5000_by_20_with_4_categories(model: str) -> None:
    rng = np.random.default_rng(2026_3 if model == "grm" else 2026_4)
    items = random_items(20, model, rng, n_categories=4)
    x, _ = simulate(items, 5000, rng)
    result = calibrate(x, model)
    assert result.converged
    assert result.model == model
    assert list(result.items.model) == [model] * 20
    assert _rmse(result.items.a, items.a) < 0.1
    assert _rmse(result.items.thresholds, items.thresholds) < 0.15
    np.testing.assert_allclose(result.items.b, np.nanmean(result.items.thresholds, axis=1))
    if model == "grm":
        assert np.all(np.diff(result.items.thresholds, axis=1) > 0)
    # Standard errors: NaN-padded like the thresholds, plausible sizes, c not estimated.
    assert result.se.thresholds.shape == result.items.thresholds.shape
    np.testing.assert_array_equal(np.isnan(result.se.thresholds), np.isnan(result.items.thresholds))
    assert np.all((result.se.a > 0.01) & (result.se.a < 0.15))
    assert np.all(np.isnan(result.se.c))
    assert np.all(result.se.b > 0)
    assert (result.latent_mean, result.latent_sd) == (0.0, 1.0)


def test_mixed_2pl_grm_gpcm_with_different_category_counts_and_missing_data() -> None:
    rng = np.random.default_rng(11)
    models = ["2pl"] * 10 + ["grm"] * 6 + ["gpcm"] * 6
    categories = np.array([2] * 10 + [3, 4, 5, 3, 4, 5] * 2)
    items = random_items(22, models, rng, n_categories=categories)
    x, _ = simulate(items, 5000, rng, missing=0.1)
    result = calibrate(x, models)
    assert result.converged
    assert result.model == "mixed"
    assert list(result.items.model) == models
    np.testing.assert_array_equal(result.items.n_categories, categories)
    assert _rmse(result.items.a, items.a) < 0.1
    assert _rmse(result.items.b[:10], items.b[:10]) < 0.1
    assert _rmse(result.items.thresholds, items.thresholds) < 0.15
    assert np.all(np.isnan(result.se.thresholds[:10]))
    assert np.all(np.isfinite(result.se.b))
    # The result is an ordinary ItemParams: scoring works on it directly.
    theta, se = estimate_ability(x[:50], result.items, "eap")
    assert np.all(np.isfinite(theta)) and np.all(se > 0)


def test_3pl_items_mixed_with_polytomous_items() -> None:
    rng = np.random.default_rng(12)
    models = ["3pl"] * 20 + ["grm"] * 5 + ["gpcm"] * 5
    items = random_items(30, models, rng, n_categories=4)
    x, _ = simulate(items, 6000, rng)
    result = calibrate(x, models)
    assert result.converged
    assert _rmse(result.items.b[:20], items.b[:20]) < 0.2
    assert _rmse(result.items.c[:20], items.c[:20]) < 0.08
    assert _rmse(result.items.thresholds[20:], items.thresholds[20:]) < 0.15
    assert np.all(np.isfinite(result.se.c[:20])) and np.all(np.isnan(result.se.c[20:]))


# --------------------------------------------------------------------------- EM properties and SEs


def _small_mixed(seed: int, n_persons: int = 1500) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    models = ["2pl"] * 3 + ["grm"] * 3 + ["gpcm"] * 3
    items = random_items(9, models, rng, n_categories=np.array([2, 2, 2, 3, 4, 4, 3, 4, 4]))
    x, _ = simulate(items, n_persons, rng, missing=0.15)
    return x, models


def test_loglik_never_decreases_over_plain_em_iterations() -> None:
    x, models = _small_mixed(13)
    result = calibrate(x, models, acceleration="none", tol=1e-6, se_method="none")
    trace = result.loglik_trace
    assert trace.size == result.iterations > 5
    assert np.all(np.diff(trace) >= -1e-8)
    squarem = calibrate(x, models, tol=1e-6, se_method="none")
    assert squarem.iterations < result.iterations
    assert abs(squarem.loglik - result.loglik) < 1e-3
    np.testing.assert_allclose(squarem.items.thresholds, result.items.thresholds, atol=2e-3)


def test_xpd_standard_errors_agree_with_the_numerical_hessian() -> None:
    x, models = _small_mixed(14, 2000)
    xpd = calibrate(x, models, tol=1e-7, se_method="xpd")
    hessian = calibrate(x, models, tol=1e-7, se_method="hessian")
    np.testing.assert_allclose(xpd.items.thresholds, hessian.items.thresholds)
    np.testing.assert_allclose(xpd.se.a, hessian.se.a, rtol=0.15)
    np.testing.assert_allclose(xpd.se.b, hessian.se.b, rtol=0.15)
    np.testing.assert_allclose(xpd.se.thresholds, hessian.se.thresholds, rtol=0.2)


@pytest.mark.parametrize("chunk_size", [1, 97, 599])
def test_results_do_not_depend_on_the_chunk_size(chunk_size: int) -> None:
    # The one-hot matrix is built per block of persons: every block size gives the same results.
    x, models = _small_mixed(15, 600)
    whole = calibrate(x, models)
    chunked = calibrate(x, models, chunk_size=chunk_size)
    assert chunked.iterations == whole.iterations
    assert abs(chunked.loglik - whole.loglik) < 1e-8
    np.testing.assert_allclose(chunked.items.a, whole.items.a, atol=1e-10)
    np.testing.assert_allclose(chunked.items.thresholds, whole.items.thresholds, atol=1e-10)
    np.testing.assert_allclose(chunked.se.a, whole.se.a, atol=1e-10)
    np.testing.assert_allclose(chunked.se.thresholds, whole.se.thresholds, atol=1e-10)


def test_anchored_results_do_not_depend_on_the_chunk_size() -> None:
    rng = np.random.default_rng(18)
    models = ["2pl"] * 3 + ["grm"] * 3 + ["gpcm"] * 3
    items = random_items(9, models, rng, n_categories=np.array([2, 2, 2, 3, 4, 4, 3, 4, 4]))
    x, _ = simulate(items, 800, rng, missing=0.15, theta_mean=0.3, theta_sd=1.2)
    index = np.array([0, 3, 6])
    anchors = (index, items.take(index))
    whole = calibrate(x, models, anchors=anchors)
    chunked = calibrate(x, models, anchors=anchors, chunk_size=123)
    np.testing.assert_allclose(chunked.items.thresholds, whole.items.thresholds, atol=1e-10)
    np.testing.assert_allclose(chunked.se.b, whole.se.b, atol=1e-10)
    assert abs(chunked.latent_mean - whole.latent_mean) < 1e-10 and abs(chunked.latent_sd - whole.latent_sd) < 1e-10
    assert abs(chunked.latent_sd_se - whole.latent_sd_se) < 1e-10


def test_memory_stays_bounded_by_the_chunk_not_the_dense_one_hot_matrix() -> None:
    rng = np.random.default_rng(19)
    models = ["2pl"] * 10 + ["grm"] * 10 + ["gpcm"] * 10
    items = random_items(30, models, rng, n_categories=np.array([2] * 10 + [5] * 20))
    x, _ = simulate(items, 30_000, rng, missing=0.1)
    dense_one_hot = x.shape[0] * int(items.n_categories.sum()) * 8  # bytes of a float64 one-hot matrix
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    try:
        result = calibrate(x, models, chunk_size=2_000)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        if not was_tracing:
            tracemalloc.stop()
    assert result.converged
    # Before building it per block the peak was about 4x the dense one-hot matrix; now about 0.6x.
    assert peak < 0.8 * dense_one_hot


# --------------------------------------------------------------------------- anchors


def test_polytomous_and_dichotomous_anchors_put_new_items_on_the_bank_scale() -> None:
    rng = np.random.default_rng(16)
    models = ["2pl"] * 8 + ["grm"] * 8 + ["gpcm"] * 6
    items = random_items(22, models, rng, n_categories=4)
    # The new sample is abler and more spread than the bank's reference group.
    x, _ = simulate(items, 6000, rng, theta_mean=0.5, theta_sd=1.3)
    anchor_index = np.r_[0:4, 8:13]  # four 2PL and five GRM anchors
    bank = items.take(anchor_index)
    result = calibrate(x, models, anchors=(anchor_index, bank))
    new = np.setdiff1d(np.arange(22), anchor_index)
    assert result.converged
    assert abs(result.latent_mean - 0.5) < 0.08
    assert abs(result.latent_sd - 1.3) < 0.08
    assert result.latent_mean_se > 0 and result.latent_sd_se > 0
    np.testing.assert_array_equal(result.items.a[anchor_index], bank.a)
    np.testing.assert_array_equal(result.items.thresholds[anchor_index], bank.thresholds)
    assert np.all(np.isnan(result.se.a[anchor_index])) and np.all(np.isnan(result.se.thresholds[anchor_index]))
    assert _rmse(result.items.a[new], items.a[new]) < 0.12
    assert _rmse(result.items.thresholds[new], items.thresholds[new]) < 0.15
    # A single-model call with polytomous anchors works too.
    grm_only = calibrate(x[:, 8:16], "grm", anchors=(np.arange(5), items.take(np.arange(8, 13))))
    assert abs(grm_only.latent_mean - 0.5) < 0.12


# --------------------------------------------------------------------------- bad input


def _grm_data(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x, _ = simulate(random_items(5, "grm", rng, n_categories=4), 400, rng)
    return x


def test_a_value_outside_the_items_categories_names_the_cell() -> None:
    x = _grm_data()
    x[7, 3] = 4.0
    with pytest.raises(ValueError, match=r"responses\[7, 3\] = 4.0 .*category 0..3"):
        calibrate(x, "grm", n_categories=4)
    x[7, 3] = 1.5
    with pytest.raises(ValueError, match=r"responses\[7, 3\] = 1.5"):
        calibrate(x, "grm")
    x[7, 3] = -1.0
    with pytest.raises(ValueError, match=r"responses\[7, 3\] = -1.0"):
        calibrate(x, "gpcm")
    y = _grm_data()
    with pytest.raises(ValueError, match=r"item column 0\): expected 0, 1 or NaN \(a dichotomous item\)"):
        calibrate(y, ["2pl", "grm", "grm", "grm", "grm"])


def test_an_unused_category_is_named() -> None:
    x = _grm_data()
    x[x[:, 2] == 1, 2] = 0.0  # nobody left in category 1 of item 2
    with pytest.raises(ValueError, match="item 2: category 1 of 0..3 was used by nobody"):
        calibrate(x, "grm")
    # With n_categories stated, an unused top category is caught as well.
    y = _grm_data()
    y[y[:, 1] == 3, 1] = 2.0
    with pytest.raises(ValueError, match="item 1: category 3 of 0..3 was used by nobody"):
        calibrate(y, "gpcm", n_categories=4)


def test_a_polytomous_item_with_one_category_in_use_is_named() -> None:
    x = _grm_data()
    x[:, 4] = 0.0
    with pytest.raises(ValueError, match="item 4: all 400 presented responses are in category 0"):
        calibrate(x, "grm")


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (["grm"] * 4, "model list has 4 entries but responses have 5 items"),
        (["grm"] * 6, "model list has 6 entries"),
        (["grm", "grm", "nrm", "grm", "grm"], "item 2: unknown model 'nrm'"),
        (["rasch", "grm", "grm", "grm", "grm"], "item 0: model 'rasch' cannot be mixed"),
        ("pcm", "unknown model 'pcm'"),
    ],
)
def test_bad_model_lists(model: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calibrate(_grm_data(), model)  # type: ignore[arg-type]


def test_bad_n_categories_and_options() -> None:
    with pytest.raises(ValueError, match="n_categories must be"):
        calibrate(_grm_data(), "grm", n_categories=1)
    with pytest.raises(ValueError, match="n_categories must be"):
        calibrate(_grm_data(), "grm", n_categories=[4, 4])
    with pytest.raises(ValueError, match="tol"):
        calibrate(_grm_data(), "grm", tol=0)
    x = _grm_data()
    x[:, 1] = np.nan
    with pytest.raises(ValueError, match="item 1: no person was presented"):
        calibrate(x, "gpcm")


def test_anchor_category_count_must_match() -> None:
    anchors = (np.array([0]), ItemParams.polytomous([1.0], [[-1.0, 0.0, 1.0, 2.0]], "grm"))
    x = _grm_data()
    with pytest.raises(ValueError, match="item 0: n_categories says 4 but the anchor has 5 categories"):
        calibrate(x, "grm", anchors=anchors, n_categories=4)
    # Without n_categories the anchor's 5 categories apply; its responses here use 4 of them: fine.
    result = calibrate(x, "grm", anchors=anchors)
    assert result.items.n_categories[0] == 5
