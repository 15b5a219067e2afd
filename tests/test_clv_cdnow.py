"""The published CDNOW fits (Fader, Hardie & Lee), to 3 significant digits, and the master-file split."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import shared_data

from nomagic.usecases.clv import (
    BetaGeoModel,
    GammaGammaModel,
    ParetoNBDModel,
    evaluate,
    read_transactions,
    summary_data,
)

pytestmark = pytest.mark.realdata


def _sig3(x: float) -> str:
    return f"{x:.3g}"


def _sample() -> pd.DataFrame:
    path = shared_data("cdnow", "CDNOW_sample.txt")
    return pd.read_csv(path, sep=r"\s+", header=None, names=["master_id", "id", "date", "cds", "value"])


def test_sample_summary_equals_the_published_summary():
    summary = pd.read_csv(shared_data("cdnow", "cdnow_customers_summary.csv")).set_index("ID")
    ours = summary_data(_sample(), "id", "date", "value", "1997-09-30")
    ours = ours.reindex(summary.index)
    assert (ours["frequency"] == summary["frequency"]).all()
    assert (ours["recency"].round(2) == summary["recency"]).all()
    assert (ours["T"].round(2) == summary["T"]).all()


def test_published_bgnbd_and_pareto_nbd_fits():
    s = pd.read_csv(shared_data("cdnow", "cdnow_customers_summary.csv"))
    bg = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    for k, v in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert _sig3(bg.params_[k]) == _sig3(v), k
    assert bg.log_likelihood_ == pytest.approx(-9582.4, abs=0.1)
    pn = ParetoNBDModel().fit(s["frequency"], s["recency"], s["T"])
    for k, v in {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}.items():
        assert _sig3(pn.params_[k]) == _sig3(v), k
    assert pn.log_likelihood_ == pytest.approx(-9595.0, abs=0.1)


def test_published_gamma_gamma_fit():
    s = summary_data(_sample(), "id", "date", "value", "1997-09-30")
    assert (s["spend_days"] > 0).sum() == 946  # the 946 repeat buyers of the note
    gg = GammaGammaModel().fit(s["spend_days"], s["monetary_value"])
    for k, v in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert _sig3(gg.params_[k]) == _sig3(v), k


def test_master_split_beats_the_baseline():
    """The issue's figure: the default (auto) choice, made inside the calibration period, and BG/NBD (= lifetimes)."""
    path = shared_data("cdnow", "CDNOW_master.txt")
    df = read_transactions(path, ["customer_id", "date", "dollar_value"])
    ev = evaluate(df, "customer_id", "date", "dollar_value", "1997-09-30", "1998-06-30", n_boot=200)
    rec = ev.record
    m = rec["metrics"]
    assert ev.verdict == "promoted"
    choice = rec["model_choice"]
    assert choice["method"] == "validation inside the calibration period" and choice["requested"] == "auto"
    assert all(f["predict_until"] == "1997-09-30" for f in choice["folds"])  # the holdout was never read
    assert choice["chosen"] == rec["model"]["name"] == "pareto_nbd"
    assert {"r", "alpha", "s", "beta", "p", "q", "v"} <= set(rec["params"])
    assert m["model"]["holdout_corr"]["value"] >= 0.67 and m["model"]["holdout_mae"]["value"] <= 0.82
    assert m["improvement"]["holdout_mae"]["ci"][0] > 0
    # BG/NBD, as lifetimes has it (bench/clv.py compares the two)
    bg = rec["alternatives"]["bgnbd"]
    assert bg["holdout_mae"] == pytest.approx(0.819, abs=0.002)
    assert bg["holdout_corr"] == pytest.approx(0.669, abs=0.002)
    assert rec["params"]["bgnbd"]["r"] == pytest.approx(0.2516, abs=1e-3)
    assert rec["split"]["customers"] == 23570
    assert rec["data_notes"]["zero_value_orders"] == 80
    assert rec["data_notes"]["n_orders"] - rec["data_notes"]["n_days"] == 2068  # repeated customer-days
    # the cohort curves add up to the actual repeat purchase days
    co = rec["curves"]["cohorts"]
    assert co["period"] == "month" and [c["cohort"] for c in co["cohorts"]] == ["1997-01", "1997-02", "1997-03"]
    total = sum(c["actual"][-1] * c["customers"] for c in co["cohorts"])
    c = ev.customers
    assert total == pytest.approx(c["frequency"].sum() + c["frequency_holdout"].sum(), abs=1.0)
