"""The pieces of the monitor: label-free rate and ROC-AUC, the choice of the reported rate, drift noise, the rule."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nomagic.lifecycle.metrics import roc_auc
from nomagic.monitor import alerts as al
from nomagic.monitor import estimate as est
from nomagic.monitor.drift import build_reference


def _reference(n=4000, rate=0.25, seed=0):
    """Scores of a calibrated model on rows whose outcome is known (one feature, outcome first)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < rate).astype(int)
    x = rng.normal(size=n) + 1.2 * y
    odds = np.exp(1.2 * x - 0.72) * 0.25 / 0.75  # the model learnt at a rate of 0.25
    return y, x, odds / (1 + odds)


def test_expected_auc_matches_what_calibrated_labels_give():
    rng = np.random.default_rng(1)
    p = rng.beta(2, 5, 20000)
    y = (rng.random(p.size) < p).astype(int)
    assert abs(est.expected_auc(p) - roc_auc(y, p)) < 0.01
    assert est.expected_auc(np.full(10, 1e-9)) is None  # no expected positive: no pair to rank


def test_adjusted_classify_and_count_follows_a_prior_shift():
    y, _, p = _reference()
    ref = est.RateReference(y, p)
    y2, _, p2 = _reference(n=3000, rate=0.45, seed=12)
    r = est.rate_estimates(p2, ref)
    assert abs(r["acc"]["value"] - y2.mean()) < 0.06
    assert r["acc"]["ci"][0] < y2.mean() < r["acc"]["ci"][1]
    assert abs(r["em"]["value"] - y2.mean()) < 0.06
    auc, why = est.auc_estimate(p2, ref, r["acc"]["value"])
    assert why is None and abs(auc - roc_auc(y2, p2)) < 0.04


def test_auc_is_withheld_with_a_reason_when_scores_leave_the_reference_range():
    y, _, p = _reference()
    ref = est.RateReference(y, p)
    auc, why = est.auc_estimate(np.full(500, 0.9999), ref, 0.3)
    assert auc is None and "outside the reference's range" in why and "außerhalb" in why.de
    auc, why = est.auc_estimate(p[:500], ref, None)
    assert auc is None and "no positive rate" in why


def test_the_naive_rate_is_kept_until_an_estimator_beats_it_beyond_the_noise():
    cands = {
        "acc": {"value": 0.4, "ci": [0.3, 0.5]},
        "em": {"value": 0.41, "ci": [0.3, 0.5]},
        "last_labelled": {"value": 0.2, "ci": [0.15, 0.25]},
    }
    method, value, _, why, _ = est.choose_rate([], cands)
    assert (method, value) == ("last_labelled", 0.2) and "validate" in why and "Validierung" in why.de
    # a rate that climbs: the naive answer is always a step behind, the estimator close
    hist = [
        {
            "realized": 0.1 + 0.05 * i,
            "last_labelled": 0.05 + 0.05 * i,
            "acc": 0.1 + 0.05 * i + 0.005 * (-1) ** i,
            "em": None,
        }
        for i in range(6)
    ]
    method, value, ci, why, mae = est.choose_rate(hist, cands)
    assert method == "acc" and value == 0.4 and ci == [0.3, 0.5]
    assert mae["acc"] < mae["last_labelled"]
    assert "0,005" in why.de and "0,050" in why.de  # German numbers
    # noisy estimator, steady world: the naive rate stays
    noisy = [
        {"realized": 0.2, "last_labelled": 0.2 + 0.01 * (-1) ** i, "acc": 0.2 + 0.1 * (-1) ** i, "em": None}
        for i in range(6)
    ]
    assert est.choose_rate(noisy, cands)[0] == "last_labelled"


def test_drift_weighs_columns_by_their_use_and_noise_comes_from_the_reference():
    rng = np.random.default_rng(3)
    n = 1500
    X = pd.DataFrame({"used": rng.normal(size=n), "ignored": rng.normal(size=n)})
    p = 1 / (1 + np.exp(-1.5 * X["used"]))
    y = (rng.random(n) < p).astype(int)
    ref = build_reference(
        X,
        est.RateReference(y, p.to_numpy()),
        lambda Z: pd.DataFrame({"used": 1.5 * Z["used"], "ignored": 0.0 * Z["ignored"]}),
        chunk_rows=300,
    )
    same = X.sample(300, random_state=0)
    moved_ignored = same.assign(ignored=same["ignored"] + 3)
    moved_used = same.assign(used=same["used"] + 1)
    p_of = lambda Z: (1 / (1 + np.exp(-1.5 * Z["used"]))).to_numpy()  # noqa: E731
    quiet = ref.stats(moved_ignored, p_of(moved_ignored))
    assert quiet["input"]["value"] < quiet["input"]["noise"]
    ignored = next(f for f in quiet["features"] if f["column"] == "ignored")
    assert ignored["psi"] > ignored["psi_noise"] and ignored["importance"] < 0.01
    loud = ref.stats(moved_used, p_of(moved_used))
    assert loud["input"]["value"] > loud["input"]["severe"]
    assert loud["prediction"]["value"] > loud["prediction"]["noise"]


def test_sequential_rule_needs_two_of_three_or_one_severe():
    rule = al.Sequential()

    def stats(v):
        return {s: {"value": v, "noise": 1.0, "severe": 3.0} for s in ("input", "prediction", "prior")}

    assert rule.update(stats(1.5)) == {}  # one chunk above the noise: chance
    assert rule.update(stats(0.5)) == {}
    assert rule.update(stats(1.5)) == {s: "sustained" for s in ("input", "prediction", "prior")}
    rule.reset()
    assert rule.update(stats(4.0))["input"] == "severe"


def test_label_alerts_word_the_evidence_in_both_languages():
    rng = np.random.default_rng(4)
    y = (rng.random(600) < 0.5).astype(int)
    good = y + rng.normal(0, 0.5, 600)
    bad = rng.normal(size=600)
    found = al.label_alerts(y, bad, good, (0.85, 0.01), np.zeros(600, int) + (rng.random(600) < 0.2), 7)
    kinds = {a["kind"] for a in found}
    assert kinds == {"rate moved", "performance decay", "gate lost"}
    gate = next(a for a in found if a["kind"] == "gate lost")
    assert gate["severity"] == "critical" and "Block 7" in gate["evidence"].de
    assert "0,5" in next(a for a in found if a["kind"] == "performance decay")["evidence"].de
