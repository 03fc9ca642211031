"""Tests for scoring.calibration: recovery, EM properties, standard errors, anchors, a published table, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from scoring.calibration import calibrate, quadrature_grid
from scoring.irt import ItemParams


def _simulate(
    rng: np.random.Generator,
    n_persons: int,
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray | None = None,
    *,
    mean: float = 0.0,
    sd: float = 1.0,
    missing: float = 0.0,
) -> np.ndarray:
    """3PL responses (D = 1) for abilities drawn from N(mean, sd^2); NaN marks 'not presented'."""
    c = np.zeros_like(a) if c is None else c
    theta = rng.normal(mean, sd, n_persons)
    p = c + (1.0 - c) / (1.0 + np.exp(-a * (theta[:, None] - b)))
    x = (rng.random(p.shape) < p).astype(float)
    if missing:
        x[rng.random(x.shape) < missing] = np.nan
    return x


def _rmse(estimate: np.ndarray, truth: np.ndarray) -> float:
    return float(np.sqrt(np.mean((estimate - truth) ** 2)))


# --------------------------------------------------------------------------- recovery


def test_2pl_recovers_parameters_with_missing_data() -> None:
    rng = np.random.default_rng(20261128)
    a = rng.lognormal(0.0, 0.3, 20)
    b = rng.normal(0.0, 1.0, 20)
    x = _simulate(rng, 5000, a, b, missing=0.1)
    result = calibrate(x, "2pl")
    assert result.converged
    assert _rmse(result.items.a, a) < 0.1
    assert _rmse(result.items.b, b) < 0.1
    assert np.all(result.items.c == 0)
    assert np.all(np.isnan(result.se.c))
    assert np.all((result.se.a > 0.01) & (result.se.a < 0.2))
    assert (result.latent_mean, result.latent_sd) == (0.0, 1.0)
    assert np.isnan(result.latent_mean_se) and np.isnan(result.latent_sd_se)


def test_3pl_with_beta_prior_on_c_recovers_parameters() -> None:
    rng = np.random.default_rng(7)
    a = rng.lognormal(0.2, 0.25, 30)
    b = rng.normal(0.0, 1.0, 30)
    c = rng.uniform(0.1, 0.3, 30)
    x = _simulate(rng, 8000, a, b, c)
    result = calibrate(x, "3pl", c_prior=(5.0, 17.0))
    assert result.converged
    assert _rmse(result.items.b, b) < 0.15
    assert _rmse(result.items.c, c) < 0.06
    assert _rmse(result.items.a, a) < 0.2
    assert np.all((result.se.c > 0) & (result.se.c < 0.1))
    # The prior enters the log posterior, not the reported log-likelihood.
    assert result.log_posterior != result.loglik


def test_rasch_estimates_the_latent_sd() -> None:
    rng = np.random.default_rng(11)
    b = rng.normal(0.0, 1.0, 20)
    x = _simulate(rng, 5000, np.ones(20), b, sd=1.5)
    result = calibrate(x, "rasch")
    assert abs(result.latent_sd - 1.5) < 0.06
    assert 0 < result.latent_sd_se < 0.05
    assert np.all(result.items.a == 1.0)
    assert np.all(np.isnan(result.se.a))
    assert _rmse(result.items.b, b) < 0.08


def test_1pl_estimates_one_common_discrimination() -> None:
    rng = np.random.default_rng(12)
    b = rng.normal(0.0, 1.0, 20)
    x = _simulate(rng, 5000, np.full(20, 1.3), b)
    result = calibrate(x, "1pl")
    assert np.ptp(result.items.a) == 0
    assert abs(result.items.a[0] - 1.3) < 0.06
    assert np.ptp(result.se.a) == 0 and result.se.a[0] > 0
    assert _rmse(result.items.b, b) < 0.08
    assert result.latent_sd == 1.0


# --------------------------------------------------------------------------- EM properties


def test_loglik_never_decreases_over_plain_em_iterations() -> None:
    rng = np.random.default_rng(3)
    a = rng.lognormal(0.0, 0.3, 15)
    b = rng.normal(0.0, 1.0, 15)
    x = _simulate(rng, 2000, a, b, missing=0.2)
    result = calibrate(x, "2pl", acceleration="none", tol=1e-6)
    trace = result.loglik_trace
    assert trace.size == result.iterations > 5
    assert np.all(np.diff(trace) >= -1e-8)
    assert result.loglik >= trace[-1] - 1e-8


def test_squarem_reaches_the_plain_em_optimum_in_fewer_steps() -> None:
    rng = np.random.default_rng(4)
    a = rng.lognormal(0.0, 0.3, 15)
    b = rng.normal(0.0, 1.0, 15)
    x = _simulate(rng, 3000, a, b)
    plain = calibrate(x, "2pl", acceleration="none", tol=1e-6, se_method="none")
    fast = calibrate(x, "2pl", acceleration="squarem", tol=1e-6, se_method="none")
    assert fast.iterations < plain.iterations
    np.testing.assert_allclose(fast.items.a, plain.items.a, atol=1e-4)
    np.testing.assert_allclose(fast.items.b, plain.items.b, atol=1e-4)
    assert abs(fast.loglik - plain.loglik) < 1e-4


def test_results_do_not_depend_on_the_chunk_size() -> None:
    rng = np.random.default_rng(5)
    x = _simulate(rng, 1000, rng.lognormal(0, 0.3, 8), rng.normal(0, 1, 8), missing=0.1)
    whole = calibrate(x, "2pl")
    chunked = calibrate(x, "2pl", chunk_size=97)
    np.testing.assert_allclose(chunked.items.b, whole.items.b, atol=1e-10)
    np.testing.assert_allclose(chunked.se.a, whole.se.a, atol=1e-10)
    # Anchored Rasch: the latent moments and the new items' SEs too.
    anchors = (np.arange(4), ItemParams(np.ones(4), np.linspace(-1.0, 1.0, 4)))
    whole = calibrate(x, "rasch", anchors=anchors)
    chunked = calibrate(x, "rasch", anchors=anchors, chunk_size=97)
    np.testing.assert_allclose(chunked.items.b, whole.items.b, atol=1e-10)
    np.testing.assert_allclose(chunked.se.b, whole.se.b, atol=1e-10)
    assert abs(chunked.latent_sd - whole.latent_sd) < 1e-10 and abs(chunked.latent_sd_se - whole.latent_sd_se) < 1e-10


def test_quadrature_grids_are_normalised() -> None:
    for kind, points in (("rectangle", 41), ("gauss-hermite", 21)):
        nodes, weights = quadrature_grid(kind, points)
        assert nodes.shape == weights.shape == (points,)
        assert abs(weights.sum() - 1.0) < 1e-12
        assert abs(weights @ nodes**2 - 1.0) < 1e-6  # variance of N(0, 1)
    with pytest.raises(ValueError, match="unknown quadrature"):
        quadrature_grid("simpson", 41)


# --------------------------------------------------------------------------- standard errors


def test_xpd_standard_errors_agree_with_the_numerical_hessian_and_with_replications() -> None:
    rng = np.random.default_rng(8)
    a = np.array([0.8, 1.0, 1.2, 1.5, 0.9, 1.1, 1.3, 0.7])
    b = np.array([-1.5, -1.0, -0.5, 0.0, 0.3, 0.7, 1.0, 1.5])
    estimates_a, estimates_b, se_a, se_b = [], [], [], []
    for replication in range(20):
        x = _simulate(rng, 1000, a, b)
        result = calibrate(x, "2pl", se_method="xpd")
        estimates_a.append(result.items.a)
        estimates_b.append(result.items.b)
        se_a.append(result.se.a)
        se_b.append(result.se.b)
        if replication == 0:
            hessian = calibrate(x, "2pl", se_method="hessian")
            np.testing.assert_allclose(result.se.a, hessian.se.a, rtol=0.15)
            np.testing.assert_allclose(result.se.b, hessian.se.b, rtol=0.15)
    ratio_a = np.std(estimates_a, axis=0, ddof=1) / np.mean(se_a, axis=0)
    ratio_b = np.std(estimates_b, axis=0, ddof=1) / np.mean(se_b, axis=0)
    # 20 replications: the SD of an SD estimate is about 16%; compare medians over items.
    assert 0.75 < np.median(ratio_a) < 1.3
    assert 0.75 < np.median(ratio_b) < 1.3


# --------------------------------------------------------------------------- published reference

# LSAT section 6 (Bock & Lieberman 1970, Psychometrika 35, 179-197): 1000 examinees, 5 items.
# Response-pattern frequencies as printed in the OpenBUGS "LSAT: item response" example
# (cumulative counts `culm`) and in the Obs column of R ltm's factor.scores(ltm(LSAT ~ z1));
# the two agree. Patterns are in binary order 00000, 00001, ..., 11111.
LSAT6_FREQUENCIES = [3, 6, 2, 11, 1, 1, 3, 4, 1, 8, 0, 16, 0, 3, 2, 15,
                     10, 29, 14, 81, 3, 28, 15, 80, 16, 56, 21, 173, 11, 61, 28, 298]  # fmt: skip

# R package ltm, summary(ltm(LSAT ~ z1)) (Rizopoulos 2006, J. Stat. Softw. 17(5); output
# reproduced e.g. in the ltm LSAT tutorials): log.Lik -2466.653, Gauss-Hermite 21 points,
# standard errors from the Hessian of the marginal log-likelihood.
LTM_2PL_B = [-3.3597, -1.3696, -0.2799, -1.8659, -3.1236]
LTM_2PL_B_SE = [0.8669, 0.3073, 0.0997, 0.4341, 0.8700]
LTM_2PL_A = [0.8254, 0.7229, 0.8905, 0.6886, 0.6575]
LTM_2PL_A_SE = [0.2581, 0.1867, 0.2326, 0.1852, 0.2100]
LTM_2PL_LOGLIK = -2466.653


def _lsat6() -> np.ndarray:
    patterns = np.array([[(k >> shift) & 1 for shift in range(4, -1, -1)] for k in range(32)], dtype=float)
    data = np.repeat(patterns, LSAT6_FREQUENCIES, axis=0)
    assert data.shape == (1000, 5)
    return data


@pytest.mark.parametrize(("quadrature", "points"), [("rectangle", 41), ("gauss-hermite", 21)])
def test_lsat6_2pl_reproduces_ltm(quadrature: str, points: int) -> None:
    result = calibrate(_lsat6(), "2pl", quadrature=quadrature, quadrature_points=points, tol=1e-6, se_method="hessian")
    np.testing.assert_allclose(result.items.b, LTM_2PL_B, atol=0.01)
    np.testing.assert_allclose(result.items.a, LTM_2PL_A, atol=0.01)
    assert abs(result.loglik - LTM_2PL_LOGLIK) < 0.01
    np.testing.assert_allclose(result.se.b, LTM_2PL_B_SE, rtol=0.02)
    np.testing.assert_allclose(result.se.a, LTM_2PL_A_SE, rtol=0.02)


def test_lsat6_xpd_standard_errors_are_close_to_ltm() -> None:
    result = calibrate(_lsat6(), "2pl", tol=1e-6)
    np.testing.assert_allclose(result.se.b, LTM_2PL_B_SE, rtol=0.06)
    np.testing.assert_allclose(result.se.a, LTM_2PL_A_SE, rtol=0.06)


def test_lsat6_rasch_is_the_1pl_rescaled() -> None:
    # Rasch (a = 1, SD free) and 1PL (common a, SD 1) are one model: same likelihood,
    # latent SD = common a, b_rasch = a * b_1pl.
    data = _lsat6()
    one = calibrate(data, "1pl", tol=1e-7)
    rasch = calibrate(data, "rasch", tol=1e-7)
    assert abs(one.loglik - rasch.loglik) < 1e-6
    assert abs(rasch.latent_sd - one.items.a[0]) < 1e-4
    np.testing.assert_allclose(rasch.items.b, one.items.a[0] * one.items.b, atol=1e-3)
    assert one.loglik < calibrate(data, "2pl", tol=1e-7).loglik  # nested in the 2PL


# --------------------------------------------------------------------------- anchors


def test_anchored_items_land_on_the_bank_scale() -> None:
    rng = np.random.default_rng(21)
    a = rng.lognormal(0.0, 0.3, 30)
    b = rng.normal(0.0, 1.0, 30)
    # The new sample is abler and more spread than the bank's reference group.
    x = _simulate(rng, 6000, a, b, mean=0.5, sd=1.3)
    anchor_index = np.arange(15)
    bank = ItemParams(a[anchor_index], b[anchor_index])
    result = calibrate(x, "2pl", anchors=(anchor_index, bank))
    new = slice(15, 30)
    assert result.converged
    assert abs(result.latent_mean - 0.5) < 0.08
    assert abs(result.latent_sd - 1.3) < 0.08
    assert result.latent_mean_se > 0 and result.latent_sd_se > 0
    assert _rmse(result.items.b[new], b[new]) < 0.1
    assert _rmse(result.items.a[new], a[new]) < 0.1
    np.testing.assert_array_equal(result.items.a[anchor_index], bank.a)
    np.testing.assert_array_equal(result.items.b[anchor_index], bank.b)
    assert np.all(np.isnan(result.se.b[anchor_index])) and np.all(result.se.b[new] > 0)
    # Without anchors the same items sit on this sample's N(0, 1) scale: shifted and shrunk.
    free = calibrate(x, "2pl")
    assert _rmse(free.items.b[new], b[new]) > 0.3


def test_anchors_may_be_3pl_items_in_a_2pl_calibration() -> None:
    rng = np.random.default_rng(22)
    a = rng.lognormal(0.0, 0.3, 20)
    b = rng.normal(0.0, 1.0, 20)
    c = np.where(np.arange(20) < 10, 0.2, 0.0)
    x = _simulate(rng, 5000, a, b, c, mean=-0.4)
    index = np.arange(10)
    result = calibrate(x, "2pl", anchors=(index, ItemParams(a[index], b[index], c[index])))
    assert abs(result.latent_mean + 0.4) < 0.1
    assert _rmse(result.items.b[10:], b[10:]) < 0.12
    np.testing.assert_array_equal(result.items.c, c)


@pytest.mark.parametrize(("model", "slope"), [("rasch", 1.0), ("1pl", 1.4)])
def test_rasch_and_1pl_anchors_put_new_items_on_the_bank_scale(model: str, slope: float) -> None:
    rng = np.random.default_rng(31 if model == "rasch" else 32)
    a = np.full(30, slope)
    b = rng.normal(0.0, 1.0, 30)
    # A Rasch (or common-slope) bank; the new sample is abler and more spread: N(0.5, 1.3^2).
    x = _simulate(rng, 6000, a, b, mean=0.5, sd=1.3, missing=0.05)
    anchor_index = np.arange(15)
    bank = ItemParams(a[anchor_index], b[anchor_index])
    result = calibrate(x, model, anchors=(anchor_index, bank))
    new = slice(15, 30)
    assert result.converged
    assert result.model == model
    assert abs(result.latent_mean - 0.5) < 0.1
    assert abs(result.latent_sd - 1.3) < 0.1
    assert 0 < result.latent_mean_se < 0.05 and 0 < result.latent_sd_se < 0.05
    # The new items take the anchors' common slope; their b land on the bank's scale.
    assert np.all(result.items.a == slope)
    assert _rmse(result.items.b[new], b[new]) < 0.1
    np.testing.assert_array_equal(result.items.b[anchor_index], bank.b)
    # SEs: b of new items estimated; a (fixed by the anchors) and all anchor parameters are not.
    assert np.all((result.se.b[new] > 0) & (result.se.b[new] < 0.1))
    assert np.all(np.isnan(result.se.a)) and np.all(np.isnan(result.se.c))
    assert np.all(np.isnan(result.se.b[anchor_index]))
    # The XPD standard errors agree with the numerical Hessian's.
    hessian = calibrate(x, model, anchors=(anchor_index, bank), se_method="hessian")
    np.testing.assert_allclose(hessian.se.b[new], result.se.b[new], rtol=0.1)
    np.testing.assert_allclose(
        [hessian.latent_mean_se, hessian.latent_sd_se], [result.latent_mean_se, result.latent_sd_se], rtol=0.1
    )
    # Without anchors the same items sit on this sample's own scale: shifted (and, for 1pl, shrunk).
    unanchored = calibrate(x, model)
    assert _rmse(unanchored.items.b[new], b[new]) > 0.3


def test_rasch_anchored_plain_em_never_decreases_the_loglik_and_matches_squarem() -> None:
    rng = np.random.default_rng(33)
    b = rng.normal(0.0, 1.0, 12)
    x = _simulate(rng, 2000, np.ones(12), b, mean=-0.3, sd=0.8)
    anchors = (np.arange(6), ItemParams(np.ones(6), b[:6]))
    plain = calibrate(x, "rasch", anchors=anchors, acceleration="none", tol=1e-7, max_iter=2000)
    assert np.all(np.diff(plain.loglik_trace) > -1e-8)
    squarem = calibrate(x, "rasch", anchors=anchors, tol=1e-7)
    assert squarem.iterations < plain.iterations
    np.testing.assert_allclose(squarem.items.b, plain.items.b, atol=1e-4)
    assert abs(squarem.latent_sd - plain.latent_sd) < 1e-4


# --------------------------------------------------------------------------- bad input


def _small(rng_seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(rng_seed)
    return _simulate(rng, 400, np.ones(5), np.linspace(-1, 1, 5))


@pytest.mark.parametrize(
    ("responses", "message"),
    [
        (np.zeros(10), "must be 2-D"),
        (np.zeros((10, 1)), "at least 2 items"),
        (np.array([["1", "0"], ["0", "1"]]), "numeric array"),
    ],
)
def test_malformed_responses_are_rejected(responses: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calibrate(responses, "2pl")


def test_a_value_other_than_0_1_nan_names_the_cell() -> None:
    x = _small()
    x[7, 3] = 2.0
    with pytest.raises(ValueError, match=r"responses\[7, 3\] = 2.0 \(person row 7, item column 3\)"):
        calibrate(x, "2pl")


def test_an_item_nobody_was_presented_is_named() -> None:
    x = _small()
    x[:, 2] = np.nan
    with pytest.raises(ValueError, match="item 2: no person was presented"):
        calibrate(x, "2pl")


@pytest.mark.parametrize(("value", "outcome"), [(1.0, "right"), (0.0, "wrong")])
def test_an_item_everybody_got_right_or_wrong_is_named(value: float, outcome: str) -> None:
    x = _small()
    x[:, 4] = value
    x[::3, 4] = np.nan  # missing entries do not rescue it
    with pytest.raises(ValueError, match=f"item 4: all 266 presented responses are {outcome}"):
        calibrate(x, "2pl")


def test_persons_without_responses_are_dropped_and_reported() -> None:
    x = _small()
    reference = calibrate(x, "2pl")
    padded = np.vstack([np.full((2, 5), np.nan), x])
    result = calibrate(padded, "2pl")
    np.testing.assert_array_equal(result.dropped_persons, [0, 1])
    assert result.n_persons == 400
    np.testing.assert_allclose(result.items.b, reference.items.b, atol=1e-12)
    assert result.loglik == pytest.approx(reference.loglik)


def test_too_few_persons_with_responses() -> None:
    x = np.full((5, 3), np.nan)
    x[0] = [1, 0, 1]
    with pytest.raises(ValueError, match="at least 2 persons"):
        calibrate(x, "2pl")


def test_model_names_and_lists() -> None:
    with pytest.raises(ValueError, match="unknown model"):
        calibrate(_small(), "4pl")
    with pytest.raises(ValueError, match="5 items"):
        calibrate(_small(), ["2pl"] * 4)
    same = calibrate(_small(), ["2pl"] * 5)
    np.testing.assert_allclose(same.items.b, calibrate(_small(), "2pl").items.b)
    # A list of different dichotomous models goes through the general (mixed) path.
    mixed = calibrate(_small(), ["2pl", "3pl", "2pl", "2pl", "2pl"])
    assert mixed.model == "mixed"
    assert list(mixed.items.model) == ["2pl", "3pl", "2pl", "2pl", "2pl"]


@pytest.mark.parametrize(
    ("anchors", "message"),
    [
        ([0, 1], "must be a tuple"),
        ((np.array([0, 9]), ItemParams([1, 1], [0, 0])), "out of range"),
        ((np.array([0, 1]), ItemParams([1], [0])), "2 anchor indices"),
        ((np.array([1, 1]), ItemParams([1, 1], [0, 0])), "unique"),
        ((np.array([0.5]), ItemParams([1], [0])), "integers"),
    ],
)
def test_bad_anchors(anchors: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calibrate(_small(), "2pl", anchors=anchors)  # type: ignore[arg-type]


@pytest.mark.parametrize("model", ["rasch", "1pl"])
def test_anchors_of_a_rasch_or_1pl_calibration_must_share_one_slope(model: str) -> None:
    anchors = (np.array([0, 2, 3]), ItemParams([1.0, 1.0, 1.2], [0.0, 0.5, -0.5]))
    with pytest.raises(ValueError, match=f"item 3: anchor slope a = 1.2 differs .* a {model!r} calibration"):
        calibrate(_small(), model, anchors=anchors)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tol": 0}, "tol"),
        ({"max_iter": 0}, "max_iter"),
        ({"newton_steps": 0}, "newton_steps"),
        ({"acceleration": "ramsay"}, "acceleration"),
        ({"se_method": "bootstrap"}, "se_method"),
        ({"c_prior": (0.5, 2.0)}, "c_prior"),
        ({"a_prior": (0.0, -1.0)}, "a_prior"),
        ({"quadrature_points": 3}, "quadrature_points"),
    ],
)
def test_bad_options(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calibrate(_small(), "3pl", **options)  # type: ignore[arg-type]


def test_non_convergence_is_reported_not_hidden() -> None:
    # 3PL without a prior on c on five easy items: c runs to the boundary, EM crawls.
    with pytest.warns(RuntimeWarning, match="did not converge in 7 steps"):
        result = calibrate(_lsat6(), "3pl", c_prior=None, max_iter=7)
    assert not result.converged
    assert result.iterations <= 7
    assert np.all(np.isfinite(result.items.b))


def test_lognormal_prior_on_a_pulls_weak_items_towards_its_median() -> None:
    rng = np.random.default_rng(30)
    x = _simulate(rng, 300, np.full(10, 2.5), np.linspace(-1, 1, 10))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        free = calibrate(x, "2pl")
        shrunk = calibrate(x, "2pl", a_prior=(0.0, 0.2))
    assert np.all(shrunk.items.a < free.items.a)
    assert np.all(np.abs(np.log(shrunk.items.a)) < np.abs(np.log(free.items.a)))
