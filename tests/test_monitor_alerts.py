"""What pages someone and what is only shown: drift is evidence, a page needs a risk to the model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nomagic.monitor import alerts as al
from nomagic.monitor import backtest
from nomagic.monitor import estimate as est

FAST = {"candidates": ("logistic",)}


def _stats(*, input=0.0, prediction=0.0, prior=0.0, auc=None, fit=0.01) -> dict:
    def s(v):
        return {"value": v, "noise": 1.0, "severe": 3.0}

    feature = {"column": "tenure", "shift": 0.4, "shift_noise": 0.1, "psi": 0.8, "psi_noise": 0.05, "importance": 0.6}
    return {
        "input": s(input),
        "prediction": s(prediction),
        "prior": s(prior),
        "auc": {"value": auc, "level": 0.8, "noise": 0.01, "severe": 0.03},
        "fit": {"value": fit, "noise": 0.05, "severe": 0.1},
        "features": [feature],
    }


RATE = {"acc_raw": 0.45, "acc": {"value": 0.45, "ci": [0.4, 0.5]}, "em": {"value": 0.44, "ci": [0.4, 0.5]}}


def _assess(stats, outside=0.0, **kw):
    states = al.Sequential().update(stats)
    return al.assess(states, stats, RATE, 0.25, "last_labelled", outside, **kw)


def test_drift_alone_is_shown_not_paged_and_says_why():
    pages, info, why = _assess(_stats(input=5.0, prediction=5.0))
    assert pages == []
    assert {a["kind"] for a in info} == {"input drift", "prediction drift"}
    assert all(a["severity"] == "info" and a["why_not_paged"].de for a in info)
    assert "reference's range" in why and "Eingangsdrift" in why.de and "Bereich der Referenz" in why.de


def test_input_drift_pages_when_the_scores_leave_the_reference_range():
    pages, info, _ = _assess(_stats(input=5.0), outside=0.4)
    assert [a["kind"] for a in pages] == ["input drift"] and pages[0]["severity"] == "critical"
    assert "40%" in pages[0]["evidence"] and "40 %" in pages[0]["evidence"].de


def test_a_rate_read_off_the_scores_pages_only_when_it_can_be_trusted():
    pages, _, _ = _assess(_stats(prior=5.0))  # the scores fit a pure prior shift
    assert [a["kind"] for a in pages] == ["prior shift"]
    assert "only the rate moved" in pages[0]["evidence"] and "nur die Quote" in pages[0]["evidence"].de
    pages, info, _ = _assess(_stats(prior=5.0, fit=0.2))  # the scores moved unlike a mixture
    assert pages == [] and "not trusted" in info[0]["why_not_paged"]
    pages, info, _ = _assess(_stats(prior=5.0), refuted=True)  # the labelled history refuted the estimate
    assert pages == [] and "not believed" in info[0]["why_not_paged"]
    pages, info, _ = _assess(_stats(prior=5.0), needed={"rate": 0.3, "auc": 0.0})  # too small for labels to see
    assert pages == [] and "30,0 %" in info[0]["why_not_paged"].de


def test_a_drop_of_the_label_free_auc_pages_when_labels_could_confirm_it():
    pages, _, _ = _assess(_stats(auc=0.05), needed={"rate": 0.0, "auc": 0.02})
    assert [a["kind"] for a in pages] == ["estimated decay"] and pages[0]["severity"] == "critical"
    assert "0,750" in pages[0]["evidence"].de  # 0.8 - 0.05, German decimals
    pages, info, _ = _assess(_stats(auc=0.05), needed={"rate": 0.0, "auc": 0.1})
    assert pages == [] and info[0]["kind"] == "estimated decay"
    # a withheld estimate never pages, nor counts as an exceedance
    assert _assess(_stats(auc=None))[0] == []


def test_confirmable_moves_follow_the_sampling_noise():
    small = al.confirmable(0.2, 0.01, reference_rows=1000, chunk_rows=250)
    big = al.confirmable(0.2, 0.01, reference_rows=1000, chunk_rows=4000)
    assert small["rate"] > big["rate"] > 0 and small["auc"] > big["auc"] > 0
    assert abs(big["rate"] - al.Z_RATE * np.sqrt(0.16 * (1 / 4000 + 1 / 1000))) < 1e-12


def test_misfit_tells_a_prior_shift_from_scores_that_moved_otherwise():
    rng = np.random.default_rng(0)
    pos, neg = rng.normal(1.0, 1.0, 3000), rng.normal(-1.0, 1.0, 3000)
    y = rng.random(1000) < 0.45
    mixture = np.where(y, rng.normal(1.0, 1.0, 1000), rng.normal(-1.0, 1.0, 1000))
    assert est.misfit(mixture, pos, neg, 0.45) < 0.1
    squeezed = rng.normal(0.0, 0.4, 1000)  # same mean as a 50 % mixture, unlike any mixture
    assert est.misfit(squeezed, pos, neg, 0.5) > 0.3
    assert est.misfit(mixture, pos, neg, None) == float("inf")


def test_refuted_needs_three_labelled_chunks_and_a_sure_loss():
    bad = [{"realized": 0.2, "last_labelled": 0.21, "acc": 0.3 + 0.01 * i} for i in range(3)]
    assert est.refuted(bad) and not est.refuted(bad[:2])
    good = [{"realized": 0.2, "last_labelled": 0.25, "acc": 0.2 + 0.01 * (-1) ** i} for i in range(4)]
    assert not est.refuted(good)


def test_columns_that_trend_without_moving_the_scores_page_nobody():
    """Two columns the model leans on trend together, but their effects cancel: the inputs drift,
    the scores, the rate and the ranking do not."""
    rng = np.random.default_rng(7)
    n = 1500 + 8 * 300
    trend = np.linspace(0, 2.5, n)
    a, b = rng.normal(size=n) + trend, rng.normal(size=n) + trend
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * a - 1.5 * b - 1.0)))).astype(int)
    df = pd.DataFrame({"a": a, "b": b, "churned": y})
    doc = backtest(df, label="churned", initial_rows=1500, chunk_rows=300, model_params=FAST, seed=7)
    chunks = doc["chunks"]
    assert doc["summary"]["alerts"] <= 1
    shown = [c for c in chunks if any(i["kind"] == "input drift" for i in c["drift_info"])]
    assert shown, "the trend is shown as drift"
    for c in shown:
        if not c["alert"]:
            assert str(c["page_why"]).startswith("no page") and c["page_why"].de.startswith("keine Meldung")
    for c in chunks:
        assert "realized_change" in c and {"auc", "fit", "states"} <= set(c["drift"])
    judged = doc["summary"]["against_realized"]
    assert {"precision", "recall", "changed_share_alarmed", "changed_share_quiet", "label_free"} <= set(judged)
