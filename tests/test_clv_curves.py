"""The CLV pictures' data: the frequency x recency matrices follow the theory, the cohort curves add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_clv_evaluate import make_transactions

from nomagic.usecases.clv import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel, summary_data
from nomagic.usecases.clv.curves import cohort_curves, cohort_period, frequency_recency_matrix

CAL, OBS = "2023-08-31", "2024-02-25"


@pytest.fixture(scope="module")
def tx():
    return make_transactions(n=1200, seed=1)


@pytest.fixture(scope="module")
def summary(tx):
    return summary_data(tx, "customer", "ordered", "amount", CAL, OBS)


@pytest.mark.parametrize("Model", [BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel])
def test_matrix_follows_the_theory(summary, Model):
    x, r, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    m = Model().fit(x, r, T)
    mat = frequency_recency_matrix(m, x, T, horizon=26.0)
    pa, ex = np.array(mat["p_alive"]), np.array(mat["expected"])
    assert pa.shape == ex.shape == (len(mat["frequency"]), len(mat["recency"]))
    assert (
        mat["frequency"][0] == 0 and mat["recency"][0] == 0 and mat["recency"][-1] == pytest.approx(T.max(), abs=1e-3)
    )
    assert ((pa >= 0) & (pa <= 1)).all() and (ex >= 0).all()
    # no repeat purchase: recency is 0 by definition, the row is constant
    assert np.ptp(pa[0]) == 0 and np.ptp(ex[0]) == 0
    # a later last purchase: more likely alive, more orders expected (every frequency >= 1)
    assert (np.diff(pa[1:], axis=1) >= -1e-9).all()
    assert (np.diff(ex[1:], axis=1) >= -1e-9).all()
    # bought at the very end: the more often, the more likely alive and the more orders
    assert (np.diff(pa[1:, -1]) >= -1e-9).all()
    assert (np.diff(ex[1:, -1]) > 0).all()
    # the matrix is the model's own prediction at each cell
    i, j = 3, 7
    want = m.probability_alive([mat["frequency"][i]], [mat["recency"][j]], [mat["T"]])[0]
    assert pa[i, j] == pytest.approx(want, abs=1e-4)


def test_cohort_period_is_as_fine_as_possible():
    months = pd.Series(pd.date_range("2023-01-01", periods=6, freq="MS"))
    assert cohort_period(months) == "M"
    assert cohort_period(pd.Series(pd.date_range("2023-01-01", periods=14, freq="MS"))) == "Q"
    assert cohort_period(pd.Series(pd.date_range("2010-01-01", periods=40, freq="QS"))) == "Y"


def test_cohort_curves_add_up(tx, summary):
    x, r, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    m = BetaGeoModel().fit(x, r, T)
    cc = cohort_curves(tx, "customer", "ordered", summary, m)
    assert cc["period"] == "month"  # first orders within 90 days: 3-4 months
    assert sum(c["customers"] for c in cc["cohorts"]) == len(summary)
    dates = pd.to_datetime(cc["dates"])
    at_cal = int(np.flatnonzero(dates == pd.Timestamp(CAL))[0])
    # per customer x customers, over the cohorts: every repeat purchase day of these customers
    total_end = sum(c["actual"][-1] * c["customers"] for c in cc["cohorts"])
    total_cal = sum(c["actual"][at_cal] * c["customers"] for c in cc["cohorts"])
    assert total_end == pytest.approx(summary["frequency"].sum() + summary["frequency_holdout"].sum(), abs=0.01)
    assert total_cal == pytest.approx(summary["frequency"].sum(), abs=0.01)
    for c in cc["cohorts"]:
        start = pd.Period(c["cohort"], "M").start_time
        a = np.array([v for v in c["actual"] if v is not None])
        e = np.array([v for v in c["model"] if v is not None])
        assert (np.diff(a) >= 0).all() and (np.diff(e) >= 0).all()
        assert all(v is None for v, d in zip(c["actual"], dates, strict=True) if d < start)
        # the model's expectation: each member's expected repeat purchases since their first purchase
        members = summary["first_purchase"].dt.to_period("M").astype(str) == c["cohort"]
        age = (dates[-1] - summary.loc[members, "first_purchase"]).dt.days.to_numpy() / 7.0
        assert c["model"][-1] == pytest.approx(float(np.mean(m.expected_purchases(age))), abs=1e-4)
    # a simulated BG/NBD world: the model's forecast for the whole base is near the truth
    exp_end = sum(c["model"][-1] * c["customers"] for c in cc["cohorts"])
    assert exp_end == pytest.approx(total_end, rel=0.2)
