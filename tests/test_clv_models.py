"""BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma: recovery on data simulated from each model, exact
compression, gradients, the Pareto/NBD integral, predictions and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from nomagic.errors import InputError, NomagicError, NotReadyError
from nomagic.usecases.clv import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    customer_lifetime_value,
)
from nomagic.usecases.clv.models import _check_rfm, _compress

# --------------------------------------------------------------------------- generators (independent of the package)


def gen_bgnbd(n, r, alpha, a, b, T, seed, modified=False):
    """BG/NBD (or MBG/NBD: may also drop out right after the first purchase), in continuous time."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    x = np.zeros(n)
    tx = np.zeros(n)
    for i in range(n):
        if modified and rng.random() < p[i]:
            continue
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > T[i]:
                break
            x[i] += 1
            tx[i] = t
            if rng.random() < p[i]:
                break
    return x, tx, T


def gen_pareto(n, r, alpha, s, beta, T, seed):
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1 / alpha, n)
    mu = rng.gamma(s, 1 / beta, n)
    life = rng.exponential(1 / mu)
    x = np.zeros(n)
    tx = np.zeros(n)
    for i in range(n):
        end = min(life[i], T[i])
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > end:
                break
            x[i] += 1
            tx[i] = t
    return x, tx, T


def gen_spend(n, p, q, v, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 12, n).astype(float)
    nu = rng.gamma(q, 1 / v, n)
    m = np.array([rng.gamma(p, 1 / nu[i], int(x[i])).mean() for i in range(n)])
    return x, m


def _T(n, seed=0):
    return np.random.default_rng(seed).uniform(20, 60, n)


@pytest.fixture(scope="module")
def bg_data():
    return gen_bgnbd(6000, 0.5, 6.0, 0.7, 2.5, _T(6000), seed=1)


def _within(m, truth, k=4.0):
    """Every parameter within k standard errors of the truth (the standard errors come from the fit)."""
    for name, true in truth.items():
        est, se = m.params_[name], m.standard_errors_[name]
        assert np.isfinite(se) and se > 0, name
        assert abs(est - true) < k * se, f"{name}: {est:.4g} vs {true} (se {se:.3g})"


# --------------------------------------------------------------------------- recovery


def test_bgnbd_recovers_its_parameters(bg_data):
    m = BetaGeoModel().fit(*bg_data)
    assert m.converged_
    _within(m, {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 2.5})
    assert set(m.summary().columns) == {"estimate", "standard_error", "lower_95", "upper_95"}


def test_mbgnbd_recovers_its_parameters():
    x, tx, T = gen_bgnbd(6000, 0.5, 6.0, 0.7, 2.5, _T(6000, 1), seed=2, modified=True)
    m = ModifiedBetaGeoModel().fit(x, tx, T)
    _within(m, {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 2.5})


def test_pareto_nbd_recovers_its_parameters():
    x, tx, T = gen_pareto(6000, 0.6, 8.0, 0.8, 10.0, _T(6000, 2), seed=3)
    m = ParetoNBDModel().fit(x, tx, T)
    assert m.converged_
    _within(m, {"r": 0.6, "alpha": 8.0, "s": 0.8, "beta": 10.0})


def test_gamma_gamma_recovers_its_parameters():
    x, mv = gen_spend(3000, 6.0, 4.0, 15.0, seed=4)
    g = GammaGammaModel().fit(x, mv)
    _within(g, {"p": 6.0, "q": 4.0, "v": 15.0})
    assert g.population_mean_spend_ == pytest.approx(g.params_["p"] * g.params_["v"] / (g.params_["q"] - 1))


# --------------------------------------------------------------------------- likelihood mechanics


def test_compression_is_exact(bg_data):
    x, tx, T = bg_data
    x, tx, T = np.r_[x, x[:500]], np.r_[tx, tx[:500]], np.r_[T, T[:500]]  # duplicates
    x2, tx2, T2, w = _check_rfm(x, tx, T)
    data = _compress(x2, tx2, T2, w)
    assert data.x.size < x.size and data.w.sum() == x.size
    for M, theta in (
        (BetaGeoModel, [0.4, 5.0, 0.8, 2.0]),
        (ModifiedBetaGeoModel, [0.4, 5.0, 0.8, 2.0]),
        (ParetoNBDModel, [0.5, 7.0, 0.7, 9.0]),
    ):
        m = M()
        params = dict(zip(M._names, theta, strict=True))
        per_customer = m.log_likelihood_per_customer(x, tx, T, params=params).sum()
        assert m.log_likelihood(x, tx, T, params=params) == pytest.approx(per_customer, rel=1e-12)
    # weights are the same as repeated rows
    half = np.arange(x.size) < 3000
    m1 = BetaGeoModel().fit(np.r_[x[half], x[half]], np.r_[tx[half], tx[half]], np.r_[T[half], T[half]])
    m2 = BetaGeoModel().fit(x[half], tx[half], T[half], weights=np.full(half.sum(), 2.0))
    for k in m1.params_:
        assert m1.params_[k] == pytest.approx(m2.params_[k], rel=1e-6)


@pytest.mark.parametrize(
    "M, theta",
    [
        (BetaGeoModel, [0.3, 5.0, 0.8, 2.0]),
        (ModifiedBetaGeoModel, [0.3, 5.0, 0.8, 2.0]),
        (ParetoNBDModel, [0.5, 10.0, 0.6, 12.0]),
        (ParetoNBDModel, [0.5, 100.0, 3.0, 0.1]),
        (ParetoNBDModel, [2.5, 0.1, 0.3, 50.0]),
    ],
)
def test_analytic_gradient_matches_finite_differences(bg_data, M, theta):
    x, tx, T, w = _check_rfm(*bg_data)
    data = _compress(x[:2000], tx[:2000], T[:2000], w[:2000])
    m = M()
    th = np.array(theta)
    _, g = m._loglik(th, data, True)
    for i in range(th.size):
        h = 1e-6 * th[i]
        up, dn = th.copy(), th.copy()
        up[i] += h
        dn[i] -= h
        num = (m._loglik(up, data, False)[0] - m._loglik(dn, data, False)[0]) / (2 * h)
        assert g[i] == pytest.approx(num, rel=1e-5, abs=1e-4)


def test_pareto_integral_matches_adaptive_quadrature():
    rng = np.random.default_rng(7)
    m = ParetoNBDModel()
    for _ in range(60):
        r, alpha, s, beta = np.exp(rng.uniform(np.log(0.05), np.log(200), 4))
        x = float(rng.choice([0, 1, 3, 20, 150]))
        T = rng.uniform(1, 80)
        tx = 0.0 if x == 0 else rng.uniform(0, T)
        logI, _ = m._integral(np.array([r, alpha, s, beta]), np.array([x]), np.array([tx]), np.array([T]), False)
        shift = -(r + x) * np.log(alpha + tx) - (s + 1) * np.log(beta + tx)
        f = lambda y: np.exp(-(r + x) * np.log(alpha + y) - (s + 1) * np.log(beta + y) - shift)  # noqa: B023
        val, _ = quad(f, tx, T, epsabs=0, epsrel=1e-12, limit=400)
        assert logI[0] == pytest.approx(np.log(val) + shift, abs=1e-6)


# --------------------------------------------------------------------------- predictions


@pytest.mark.parametrize("M", [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel])
def test_predictions_are_consistent(bg_data, M):
    m = M().fit(*bg_data)
    t = np.array([1.0, 10.0, 52.0])
    # a customer just acquired (x = 0, T = 0) is the unconditional expectation
    cond = m.conditional_expected_purchases(t, np.zeros(3), np.zeros(3), np.zeros(3))
    np.testing.assert_allclose(cond, m.expected_purchases(t), rtol=1e-8)
    # more recent purchases -> more likely alive and more expected purchases
    pa = m.probability_alive([3, 3], [10.0, 35.0], [40.0, 40.0])
    assert 0 < pa[0] < pa[1] <= 1
    e = m.conditional_expected_purchases(20.0, [3, 3], [10.0, 35.0], [40.0, 40.0])
    assert e[0] < e[1]
    assert np.all(np.diff(m.expected_purchases(np.linspace(0, 100, 11))) > 0)
    mat = m.probability_alive_matrix(max_frequency=5, T=40.0)
    assert mat.shape == (6, 21) and mat.to_numpy().max() <= 1.0


def test_bgnbd_unconditional_expectation_matches_simulation():
    n = 20000
    x, tx, T = gen_bgnbd(n, 0.5, 6.0, 0.7, 2.5, np.full(n, 30.0), seed=11)
    m = BetaGeoModel()
    m.params_ = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 2.5}
    assert x.mean() == pytest.approx(float(m.expected_purchases(30.0)), rel=0.05)


def test_bgnbd_published_conditional_expectation():
    """Fader, Hardie & Lee (2005): a customer with x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in 39 weeks."""
    m = BetaGeoModel()
    m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert float(m.conditional_expected_purchases(39, [2], [30.43], [38.86])[0]) == pytest.approx(1.226, abs=1e-3)


def test_clv_interval_and_discounting(bg_data):
    x, tx, T = bg_data
    x, tx, T = x[:400], tx[:400], T[:400]
    m = BetaGeoModel().fit(*bg_data)
    xs, mv = gen_spend(400, 6.0, 4.0, 15.0, seed=5)
    mv = np.where(x > 0, mv, 0.0)
    g = GammaGammaModel().fit(np.where(x > 0, xs, 0), mv)
    out = customer_lifetime_value(m, g, x, tx, T, mv, np.where(x > 0, xs, 0), n_draws=40)
    assert (out["clv_low"] <= out["clv"] * 1.0001).all() and (out["clv"] <= out["clv_high"] * 1.0001).all()
    cheap = customer_lifetime_value(m, g, x, tx, T, mv, np.where(x > 0, xs, 0), n_draws=0, discount_rate=0.0)
    dear = customer_lifetime_value(m, g, x, tx, T, mv, np.where(x > 0, xs, 0), n_draws=0, discount_rate=0.05)
    assert (dear["clv"] < cheap["clv"]).all()
    undiscounted = m.conditional_expected_purchases(12 * 365.25 / 12 / 7, x, tx, T)
    np.testing.assert_allclose(cheap["discounted_purchases"], undiscounted, rtol=1e-9)


def test_penalty_shrinks_and_roundtrip(bg_data):
    m0 = BetaGeoModel().fit(*bg_data)
    m1 = BetaGeoModel(penalizer=0.01).fit(*bg_data)
    assert sum(v**2 for v in m1.params_.values()) < sum(v**2 for v in m0.params_.values())
    back = BetaGeoModel.from_dict(m0.to_dict())
    assert back.params_ == m0.params_
    np.testing.assert_allclose(back.probability_alive([1], [5.0], [30.0]), m0.probability_alive([1], [5.0], [30.0]))


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "args, match",
    [
        (([1, 2], [1.0], [3.0, 4.0]), "differ in length"),
        (([1, -1], [1.0, 0.0], [3.0, 4.0]), "negative"),
        (([1.5, 1], [1.0, 1.0], [3.0, 4.0]), "whole numbers"),
        (([1, 1], [5.0, 1.0], [3.0, 4.0]), "recency is larger than T"),
        (([0, 1], [2.0, 1.0], [3.0, 4.0]), "recency must be 0"),
        (([1, np.nan], [1.0, 1.0], [3.0, 4.0]), "blank"),
    ],
)
def test_bad_input_is_a_clear_error(args, match):
    with pytest.raises(InputError, match=match):
        BetaGeoModel().fit(*args)


def test_too_few_repeat_buyers_and_unfitted():
    with pytest.raises(NotReadyError, match="repeat buyers"):
        BetaGeoModel().fit([0, 0, 0, 1], [0, 0, 0, 1.0], [5.0, 5, 5, 5])
    with pytest.raises(NomagicError, match="not fitted"):
        ParetoNBDModel().probability_alive([1], [1.0], [2.0])
    with pytest.raises(NotReadyError, match="at least 10"):
        GammaGammaModel().fit([1, 2, 0], [10.0, 20.0, 0.0])
    with pytest.raises(InputError, match="negative"):
        GammaGammaModel().fit([1, 2], [10.0, -5.0])
