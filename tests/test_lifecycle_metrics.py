"""Metrics and bootstrap intervals: against scikit-learn, by hand, and as invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from nomagic.errors import InputError
from nomagic.lifecycle import metrics as M


def _data(n=2000, seed=0, ties=False):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1)
    if ties:
        p = np.round(p, 1)
    return y, p


@pytest.mark.parametrize("ties", [False, True])
def test_rank_metrics_match_sklearn(ties):
    y, p = _data(ties=ties)
    w = np.random.default_rng(1).integers(0, 4, len(y)).astype(float)
    assert M.roc_auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert M.roc_auc(y, p, w) == pytest.approx(roc_auc_score(y, p, sample_weight=w), abs=1e-12)
    assert M.pr_auc(y, p) == pytest.approx(average_precision_score(y, p), abs=1e-12)
    assert M.pr_auc(y, p, w) == pytest.approx(average_precision_score(y, p, sample_weight=w), abs=1e-12)
    assert M.brier(y, p) == pytest.approx(brier_score_loss(y, p), abs=1e-12)


def test_ece_by_hand():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.05, 0.15, 0.95, 0.55])
    # bins: [0,.1): p .05 y 0 -> .05; [.1,.2): .15 vs 0; [.5,.6): .55 vs 1; [.9,1]: .95 vs 1
    assert M.ece(y, p) == pytest.approx((0.05 + 0.15 + 0.45 + 0.05) / 4)
    # p = 1.0 falls in the last bin, not an 11th
    assert M.ece([1], [1.0]) == 0.0


def test_lift_and_gain_at_10_and_ties():
    y = np.array([1] * 10 + [0] * 90)
    p = np.linspace(1, 0, 100)  # the positives score highest
    assert M.gain_at(y, p, 10) == pytest.approx(1.0)
    assert M.lift_at(y, p, 10) == pytest.approx(10.0)
    assert M.gain_at(y, p, 20) == pytest.approx(1.0)
    flat = np.full(100, 0.5)  # all tied: the top 10% has the average rate
    assert M.lift_at(y, flat, 10) == pytest.approx(1.0)
    with pytest.raises(InputError):
        M.lift_at(y, p, 30)


def test_profit_per_1000():
    y = np.array([1] * 10 + [0] * 90)
    p = np.linspace(1, 0, 100)
    # top 10 contacted, all 10 positives reached: 20 * 10 - 1 * 10 = 190 per 100 customers
    assert M.expected_profit(y, p, cost_per_contact=1, value_per_success=20) == pytest.approx(1900.0)


def test_curves():
    y, p = _data(500)
    rc = M.reliability_curve(y, p)
    assert sum(rc["count"]) == 500 and len(rc["mean_predicted"]) == len(rc["observed_rate"])
    lc = M.lift_curve(y, p)
    assert len(lc) == 10 and lc[0] > lc[-1]


def test_bad_input_is_a_clear_error():
    with pytest.raises(InputError, match="0 or 1"):
        M.roc_auc([0, 2], [0.1, 0.2])
    with pytest.raises(InputError, match="differ in length"):
        M.roc_auc([0, 1], [0.1])
    with pytest.raises(InputError, match="unknown metric"):
        M.compute([0, 1], [0.1, 0.2], ("accuracy",))


def test_bootstrap_paired_and_oriented():
    rng = np.random.default_rng(3)
    n = 3000
    y = rng.integers(0, 2, n)
    good = np.clip(0.4 * y + 0.6 * rng.random(n), 0, 1)
    bad = rng.random(n)
    res = M.bootstrap(y, good, bad, n_boot=300, seed=0)
    assert set(res) == {"model", "baseline", "improvement"}
    for part in res.values():
        assert set(part) == set(M.DEFAULT_METRICS)
    imp = res["improvement"]
    assert imp["roc_auc"]["ci"][0] > 0
    # brier: lower is better, so the improvement of the better model is positive too
    assert imp["brier"]["value"] > 0
    lo, hi = res["model"]["roc_auc"]["ci"]
    assert lo <= res["model"]["roc_auc"]["value"] <= hi
    # same seed, same intervals; the model against itself: improvement exactly 0
    assert M.bootstrap(y, good, bad, n_boot=300, seed=0) == res
    same = M.bootstrap(y, good, good, metrics=("roc_auc",), n_boot=100)
    assert same["improvement"]["roc_auc"] == {"value": 0.0, "ci": [0.0, 0.0]}


def test_cluster_bootstrap_is_wider_for_repeated_units():
    rng = np.random.default_rng(4)
    units = np.repeat(np.arange(300), 5)  # each unit 5 times, same label and score
    y = np.repeat(rng.integers(0, 2, 300), 5)
    p = np.repeat(rng.random(300), 5) * 0.8 + 0.2 * y
    rows = M.bootstrap(y, p, metrics=("roc_auc",), n_boot=300)["model"]["roc_auc"]["ci"]
    clus = M.bootstrap(y, p, metrics=("roc_auc",), n_boot=300, clusters=units)["model"]["roc_auc"]["ci"]
    assert clus[1] - clus[0] > rows[1] - rows[0]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.floats(0, 1)), min_size=4, max_size=60))
def test_metrics_stay_in_range(rows):
    y = np.array([int(a) for a, _ in rows])
    p = np.array([b for _, b in rows])
    res = M.compute(y, p)
    assert 0 <= res["brier"] <= 1 and 0 <= res["ece"] <= 1
    if 0 < y.sum() < len(y):
        assert 0 <= res["roc_auc"] <= 1
        assert 0 <= res["gain_at_10"] <= 1 + 1e-9
        assert res["roc_auc"] == pytest.approx(roc_auc_score(y, p))
