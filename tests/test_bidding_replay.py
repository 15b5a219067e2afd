"""The iPinYou replay and the bidding strategies (issue #20, items 4), on simulated auctions with known truth.

The strategies are judged with the simulator's truth (true CTR, the true lognormal market price), not
with the fitted click and price models, so these tests do not depend on them.
"""

from __future__ import annotations

import time
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logit, ndtr

from nomagic.errors import InputError, NotReadyError
from nomagic.simulate import auctions as A
from nomagic.simulate.common import Clock
from nomagic.usecases.bidding import replay as replay_mod
from nomagic.usecases.bidding.replay import difference_ci, kpi_ci, replay, win_mask, win_mask_loop
from nomagic.usecases.bidding.strategies import (
    TrainingLog,
    fit_win_curve,
    ortb_bids,
    plan_bids,
    solve_lambda,
)


class TruePrice:
    """The simulator's market price: lognormal around ``mu`` (the frame is the array of mu per request)."""

    sd = A.PRICE["noise_sd"]

    def win_prob(self, mu, bids):
        b = np.maximum(np.asarray(bids, dtype=float), 1e-300)
        return ndtr((np.log(b) - mu) / self.sd)

    def expected_cost(self, mu, bids):  # E[P 1{P < b}] of a lognormal
        b = np.maximum(np.asarray(bids, dtype=float), 1e-300)
        return np.exp(mu + self.sd**2 / 2) * ndtr((np.log(b) - mu - self.sd**2) / self.sd)


@pytest.fixture(scope="module")
def world():
    """Four weeks of simulated auctions as an impression log: weeks 1-2 train, weeks 3-4 test."""
    n = 160_000
    req, truth = A.make_requests(7, 0, 0, n, Clock(datetime(2026, 3, 2), 28))
    df, tr = req.to_pandas(), truth.to_pandas()

    def code(col, levels):
        return pd.Categorical(df[col], categories=levels).codes

    mu = (
        A.PRICE["intercept"]
        + A.PRICE["site"][code("site_category", A.SITES)]
        + A.PRICE["device"][code("device", A.DEVICES)]
        + A.PRICE["format"][code("ad_format", A.FORMATS)]
        + A.PRICE["ctr_logit"] * (logit(tr["ctr"].to_numpy()) - A.CTR["intercept"])
    )
    rng = np.random.default_rng(11)
    log = pd.DataFrame({"timestamp": df["occurred_at"], "ctr": tr["ctr"], "price": tr["market_price"], "mu": mu})
    log["click"] = (rng.random(n) < log["ctr"]).astype(float)  # every impression bought: outcomes known
    log["noisy_ctr"] = log["ctr"] * np.exp(rng.normal(0.0, 0.6, n))  # a mediocre click model
    later = log["timestamp"] >= pd.Timestamp("2026-03-16")
    return log[~later].reset_index(drop=True), log[later].reset_index(drop=True)


def _replay(plan, test):
    return replay(
        plan.bids, test["price"], test["click"], plan.budget, expected_clicks=test["ctr"], timestamps=test["timestamp"]
    )


# -- the replay -------------------------------------------------------------------------------------


def test_replay_protocol_by_hand():
    bids = np.array([3.0, 1.0, 5.0, 4.0, 2.0, 9.0])
    price = np.array([2.0, 2.0, 4.0, 1.0, 2.0, np.nan])  # row 2 loses (1 < 2); row 5 ties (2 = 2): no win
    clicks = np.array([1, 0, 1, 0, 1, 1])
    r = replay(bids, price, clicks, budget=4.0, conversions=[1, 0, 1, 0, 0, 1])
    # row 1 wins (2); row 3 (4) no longer fits; row 4 (1) fits; row 6 has no known price
    assert r.won.tolist() == [True, False, False, True, False, False]
    assert (r.wins, r.spend, r.clicks, r.conversions) == (2, 3.0, 1.0, 1.0)
    assert r.ecpc == 3.0 and r.cpa == 3.0 and r.win_rate == pytest.approx(2 / 6) and r.cpm == 1.5
    assert np.isnan(replay([0.0], [1.0], [0], 1.0).ecpc)


@pytest.mark.parametrize("rounds", [64, 1])
@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.floats(0, 10, allow_nan=False),
            st.one_of(st.floats(0, 10, allow_nan=False), st.just(float("nan"))),
        ),
        max_size=60,
    ),
    budget=st.floats(0, 60, allow_nan=False),
)
def test_replay_is_the_loop_and_never_overspends(rows, budget, rounds):
    bids = np.array([r[0] for r in rows], dtype=float)
    price = np.array([r[1] for r in rows], dtype=float)
    saved, replay_mod._MAX_ROUNDS = replay_mod._MAX_ROUNDS, rounds  # rounds=1: the plain-loop fallback too
    try:
        won = win_mask(bids, price, budget)
    finally:
        replay_mod._MAX_ROUNDS = saved
    assert won.tolist() == win_mask_loop(bids, price, budget).tolist()
    r = replay(bids, price, np.ones(len(rows)), budget)
    assert r.spend <= budget
    assert (bids[won] > price[won]).all()
    assert r.spend == pytest.approx(float(np.sum(price[won])) if won.any() else 0.0)


def test_replay_per_day_and_cis():
    rng = np.random.default_rng(3)
    n = 20_000
    ts = pd.Timestamp("2026-01-05") + pd.to_timedelta(np.sort(rng.uniform(0, 10, n)), unit="D")
    price = rng.lognormal(1.0, 0.5, n)
    clicks = (rng.random(n) < 0.03).astype(float)
    a = replay(rng.lognormal(1.2, 0.5, n), price, clicks, price.sum() / 4, timestamps=ts)
    b = replay(np.full(n, 2.5), price, clicks, price.sum() / 4, timestamps=ts)
    assert len(a.days) == 10 and a.days["spend"].sum() == pytest.approx(a.spend)
    assert a.days["clicks"].sum() == a.clicks and a.days["wins"].sum() == a.wins
    ci = kpi_ci(a.days, "clicks")
    assert ci["value"] == a.clicks and ci["ci"][0] < a.clicks < ci["ci"][1]
    e = kpi_ci(a.days, "ecpc")
    assert e["value"] == pytest.approx(a.ecpc) and e["ci"][0] < a.ecpc < e["ci"][1]
    same = difference_ci(a.days, a.days, "clicks")
    assert same["value"] == 0 and same["ci"] == [0.0, 0.0]
    d = difference_ci(a.days, b.days, "clicks", relative=True)
    assert d["value"] == pytest.approx(a.clicks / b.clicks - 1)
    with pytest.raises(InputError, match="expected_clicks"):
        kpi_ci(a.days, "expected_clicks")


def test_replay_of_a_million_rows_is_fast():
    rng = np.random.default_rng(0)
    n = 1_000_000
    price, bids, clicks = rng.lognormal(1, 0.6, n), rng.lognormal(1, 0.6, n), (rng.random(n) < 0.01)
    replay(bids[:1000], price[:1000], clicks[:1000], 100.0)  # warm up
    for frac in (0.25, 1 / 16):
        t = time.perf_counter()
        r = replay(bids, price, clicks, price.sum() * frac)
        assert time.perf_counter() - t < 1.0
        assert r.spend <= price.sum() * frac


def test_replay_errors_name_the_problem():
    with pytest.raises(InputError, match="bids has 2 rows but the log has 3") as e:
        replay([1, 2], [1, 2, 3], [0, 0, 0], 10)
    assert "Zeilen" in e.value.lang("de")
    with pytest.raises(InputError, match="budget"):
        replay([1], [1], [0], -1)
    with pytest.raises(InputError, match="row 2"):
        replay([1, 2], [1, 2], [0, 0], 10, timestamps=["2026-01-01", "not a time"])


# -- strategies ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [1 / 4, 1 / 16])
def test_lagrangian_beats_constant_and_noisy_linear(world, fraction):
    train, test = world
    cost = test["price"].sum()
    budget = cost * fraction
    lag = plan_bids("lagrangian", test["ctr"], budget, price_model=TruePrice(), frame=test["mu"].to_numpy())
    const = plan_bids(
        "constant",
        test["ctr"],
        budget,
        train=TrainingLog(train["ctr"], train["price"], train["click"]),
        request_cost=cost,
    )
    noisy = TrainingLog(train["noisy_ctr"], train["price"], train["click"])
    linear = plan_bids("linear", test["noisy_ctr"], budget, train=noisy, request_cost=cost)
    ortb = plan_bids("ortb", test["noisy_ctr"], budget, train=noisy, request_cost=cost)
    got = {name: _replay(p, test) for name, p in [("lag", lag), ("const", const), ("linear", linear), ("ortb", ortb)]}
    for r in got.values():
        assert r.spend <= budget
    assert got["lag"].expected_clicks > 1.1 * got["const"].expected_clicks
    assert got["lag"].expected_clicks > 1.05 * got["linear"].expected_clicks
    assert got["lag"].expected_clicks > got["ortb"].expected_clicks
    assert got["lag"].spend > 0.95 * budget  # the budget is used, not hoarded
    d = difference_ci(got["lag"].days, got["linear"].days, "expected_clicks")
    assert d["ci"][0] > 0


@pytest.mark.parametrize("fraction", [1 / 4, 1 / 16, 1 / 200])
def test_lambda_bisection_meets_the_budget(world, fraction):
    _, test = world
    budget = test["price"].sum() * fraction
    model, mu = TruePrice(), test["mu"].to_numpy()
    lam, spend = solve_lambda(test["ctr"], model, mu, budget)
    assert spend == pytest.approx(budget, rel=0.02)
    assert model.expected_cost(mu, test["ctr"].to_numpy() / lam).sum() == pytest.approx(budget, rel=0.02)


def test_lambda_when_the_budget_does_not_bind():
    mu = np.zeros(1000)
    model = TruePrice()
    everything = model.expected_cost(mu, np.full(1000, 1e9)).sum()
    lam, spend = solve_lambda(np.full(1000, 0.02), model, mu, budget=everything * 5)
    assert 0.99 * everything < spend <= everything  # buys practically all, at the cheapest such bids
    lam, spend = solve_lambda(np.full(1000, 0.02), model, mu, budget=everything * 5, max_bid=1.0)
    assert spend == pytest.approx(model.expected_cost(mu, np.ones(1000)).sum(), rel=0.01)
    assert solve_lambda(np.zeros(10), model, mu[:10], 5.0) == (float("inf"), 0.0)


def test_tuned_strategies_use_the_training_budget_fraction(world):
    train, test = world
    log = TrainingLog(train["ctr"], train["price"], train["click"])
    cost = test["price"].sum()
    for strategy in ("constant", "random", "linear", "ortb"):
        plan = plan_bids(strategy, test["ctr"], cost / 16, train=log, request_cost=cost)
        assert plan.budget_fraction == pytest.approx(1 / 16)
        assert plan.train_replay.budget == pytest.approx(train["price"].sum() / 16)
        assert plan.train_replay.spend <= plan.train_replay.budget
        assert plan.bids.shape == (len(test),) and (plan.bids >= 0).all()
    # without a request cost, the fraction is estimated at the training log's mean price
    plan = plan_bids("constant", test["ctr"], cost / 16, train=log)
    assert plan.budget_fraction == pytest.approx(cost / 16 / (len(test) * train["price"].mean()))


def test_random_strategy_is_seeded(world):
    train, test = world
    log = TrainingLog(train["ctr"], train["price"], train["click"])
    a = plan_bids("random", test["ctr"][:1000], 500.0, train=log, seed=3)
    b = plan_bids("random", test["ctr"][:1000], 500.0, train=log, seed=3)
    assert np.array_equal(a.bids, b.bids) and a.bids.max() <= 2 * a.params["scale"]


def test_ortb_is_concave_and_its_c_fits_the_win_curve():
    rng = np.random.default_rng(0)
    prices = rng.lognormal(1.0, 0.5, 50_000)
    c = fit_win_curve(prices)
    assert 0.7 * np.median(prices) < c < 1.5 * np.median(prices)  # w(c) = 1/2: c near the median price
    v = np.linspace(0.0, 0.1, 11)
    b = ortb_bids(v, c, 1e-3)
    assert b[0] == 0 and (np.diff(b) > 0).all() and (np.diff(b, 2) < 0).all()


def test_max_bid_caps_every_strategy(world):
    train, test = world
    log = TrainingLog(train["ctr"], train["price"], train["click"])
    cost = test["price"].sum()
    for strategy in ("linear", "ortb", "lagrangian"):
        plan = plan_bids(
            strategy,
            test["ctr"],
            cost / 4,
            train=log,
            price_model=TruePrice(),
            frame=test["mu"].to_numpy(),
            request_cost=cost,
            max_bid=3.0,
        )
        assert plan.bids.max() <= 3.0


def test_strategy_errors():
    log = TrainingLog(np.full(20, 0.02), np.linspace(1, 3, 20), np.zeros(20))
    with pytest.raises(InputError, match="unknown bidding strategy magic"):
        plan_bids("magic", [0.1], 1.0, train=log)
    with pytest.raises(InputError, match="needs a market price model"):
        plan_bids("lagrangian", [0.1], 1.0)
    with pytest.raises(InputError, match="tuned on a training log"):
        plan_bids("linear", [0.1], 1.0)
    with pytest.raises(InputError, match="request 2"):
        plan_bids("linear", [0.1, -1], 1.0, train=log)
    with pytest.raises(NotReadyError, match="known market prices"):
        TrainingLog([0.1] * 5, [1.0] * 5, [0] * 5)
    with pytest.raises(InputError, match="differ in length"):
        TrainingLog([0.1] * 20, [1.0] * 19, [0] * 20)


# -- German ---------------------------------------------------------------------------------------------


def test_german_words():
    r = replay([3000.0] * 4, [2000.5, 2.0, 2.5, 1.0], [1, 1, 0, 0], budget=10_000.0)
    assert r.describe().de.startswith("4 von 4 Impressionen gewonnen (100,0 %), 2 Klicks, Ausgaben 2.006,00")
    assert "eCPC 1.003,00" in r.describe().de and str(r.describe()).startswith("4 of 4 impressions won (100.0%)")
    one = replay([3.0], [2.0], [1], budget=10.0).describe()
    assert ", 1 click, " in one and ", 1 Klick, " in one.de
    log = TrainingLog(np.full(200, 0.02), np.linspace(1, 3, 200), np.zeros(200))
    plan = plan_bids("constant", np.full(50, 0.02), 10.0, train=log, request_cost=100.0)
    assert "(10,00 % seiner Kosten)" in plan.explanation.de
    with pytest.raises(InputError) as e:
        replay([1, 2], [1, 2, 3], [0, 0, 0], 10)
    assert e.value.lang("de") == "Replay: bids hat 2 Zeilen, das Log aber 3"
