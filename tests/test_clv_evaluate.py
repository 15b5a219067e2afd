"""The CLV evaluation record, the CLI commands and the warehouse scores, on simulated transactions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import nomagic.cli.clv  # noqa: F401  (registers the commands)
from nomagic.cli import main
from nomagic.usecases.clv import evaluate
from nomagic.usecases.clv.evaluate import PastRateBaseline, bootstrap_metrics, spend_frequency_correlation
from nomagic.usecases.clv.usecase import SCORE_COLUMNS, Clv

START = pd.Timestamp("2023-01-02")


def make_transactions(n=1500, seed=0, r=0.8, alpha=20.0, a=0.5, b=4.0, days=420) -> pd.DataFrame:
    """Orders of customers acquired in the first 90 days, buying by BG/NBD (rates per day), spend gamma-gamma."""
    rng = np.random.default_rng(seed)
    rows = []
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    nu = rng.gamma(4.0, 1 / 15.0, n)
    for i in range(n):
        t = float(rng.integers(0, 90))
        rows.append((f"c{i:05d}", t, rng.gamma(6.0, 1 / nu[i])))
        while True:
            t += rng.exponential(1 / lam[i])
            if t > days:
                break
            rows.append((f"c{i:05d}", t, rng.gamma(6.0, 1 / nu[i])))
            if rng.random() < p[i]:
                break
    df = pd.DataFrame(rows, columns=["customer", "t", "amount"])
    df["ordered"] = START + pd.to_timedelta(np.floor(df["t"]), unit="D")
    return df.drop(columns="t")


@pytest.fixture(scope="module")
def tx():
    return make_transactions()


def test_record_shape_and_verdict(tx):
    ev = evaluate(tx, "customer", "ordered", "amount", "2023-08-31", "2024-02-25", n_boot=200)
    rec = ev.record
    from nomagic.lifecycle.record import validate

    validate(rec)  # every required key, known metric names, a known verdict
    assert rec["use_case"] == "clv" and rec["primary_metric"] == "holdout_mae"
    for part in ("model", "baseline", "improvement"):
        for name in ("holdout_mae", "holdout_corr", "holdout_total_error"):
            m = rec["metrics"][part][name]
            assert set(m) == {"value", "ci"} and m["ci"][0] <= m["value"] <= m["ci"][1]
    p = rec["params"]
    chosen = rec["model"]["name"]
    assert rec["model_choice"]["chosen"] == chosen and rec["model_choice"]["requested"] == "auto"
    own = {"r", "alpha", "s", "beta"} if chosen == "pareto_nbd" else {"r", "alpha", "a", "b"}
    assert own | {"p", "q", "v"} <= set(p)
    others = {"bgnbd", "mbgnbd", "pareto_nbd"} - {chosen}
    assert others <= set(p) and chosen not in p
    if "pareto_nbd" in others:
        assert set(p["pareto_nbd"]) == {"r", "alpha", "s", "beta"}
    assert rec["model_choice"]["reason"] in rec["explanation"]
    assert rec["verdict"] == "promoted", rec["explanation"]
    assert "promoted" in rec["explanation"] and "past-rate baseline" in rec["explanation"]
    assert list(ev.by_frequency.index)[:2] == ["0", "1"]
    assert abs(rec["spend"]["spend_frequency_corr"]) < 0.3  # simulated spend is independent of frequency
    assert len(ev.customers) == rec["split"]["customers"]
    track = rec["curves"]["tracking"]
    assert len(track["date"]) == len(track["actual"]) == len(track["model"])
    assert track["actual"] == sorted(track["actual"])
    assert track["model"][-1] == pytest.approx(track["actual"][-1], rel=0.25)
    json.dumps(rec)  # JSON-ready


def test_bootstrap_is_paired_and_oriented():
    rng = np.random.default_rng(0)
    y = rng.poisson(2.0, 3000).astype(float)
    good = y + rng.normal(0, 0.5, y.size)
    bad = y + rng.normal(0, 2.0, y.size)
    res = bootstrap_metrics(y, good, bad, n_boot=200)
    assert res["improvement"]["holdout_mae"]["ci"][0] > 0 and res["improvement"]["holdout_corr"]["ci"][0] > 0
    worse = bootstrap_metrics(y, bad, good, n_boot=200)
    assert worse["improvement"]["holdout_mae"]["ci"][1] < 0


def test_baseline_and_gamma_gamma_check():
    base = PastRateBaseline().fit()
    np.testing.assert_allclose(
        base.conditional_expected_purchases(10.0, [2, 0, 3], [5, 0, 1], [20.0, 10.0, 0.0]), [1.0, 0.0, 0.0]
    )
    x = np.arange(1, 101, dtype=float)
    assert spend_frequency_correlation(x, 10 + 2 * x) > 0.9


def test_dependent_spend_is_warned(tx):
    tx = tx.copy()
    counts = tx.groupby("customer")["amount"].transform("size")
    tx["amount"] = 5.0 * counts**1.5 + tx["amount"] * 0.01
    ev = evaluate(tx, "customer", "ordered", "amount", "2023-08-31", "2024-02-25", n_boot=50, alternatives=False)
    assert any("Gamma-Gamma model assumes" in w for w in ev.record["warnings"])


def test_not_ready_record(tx):
    ev = evaluate(tx[tx["customer"] < "c00010"], "customer", "ordered", "amount", "2023-08-31", n_boot=50)
    assert ev.verdict == "not ready" and "repeat buyers" in ev.record["explanation"]


def test_cli_evaluate_clv(tmp_path, tx, capsys):
    data = tmp_path / "orders.csv"
    tx.to_csv(data, index=False)
    out = tmp_path / "rec.json"
    main(
        ["evaluate-clv", "--data", str(data), "--id", "customer", "--time", "ordered", "--value", "amount",
         "--calibration-end", "2023-08-31", "--json", str(out), "--n-boot", "100"]
    )  # fmt: skip
    rec = json.loads(out.read_text())
    assert rec["use_case"] == "clv" and rec["data"]["source"] == "orders.csv"
    assert rec["data"]["fingerprint"].startswith("sha256:")
    shown = capsys.readouterr().out
    assert "promoted" in shown and "holdout_mae" in shown and "Gamma" in shown
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "evaluate-clv",
                "--data",
                str(data),
                "--id",
                "customer",
                "--time",
                "when",
                "--calibration-end",
                "2023-08-31",
            ]
        )
    assert exc.value.code == 2
    assert "no column 'when'" in capsys.readouterr().err
    few = tmp_path / "few.csv"
    tx[tx["customer"] < "c00010"].to_csv(few, index=False)
    with pytest.raises(SystemExit) as exc:
        main(["evaluate-clv", "--data", str(few), "--id", "customer", "--time", "ordered", "--calibration-end", "2023-08-31",
              "--json", str(out)])  # fmt: skip
    assert exc.value.code == 1 and json.loads(out.read_text())["verdict"] == "not ready"


def _load_orders(wh, tx):
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(tx))],
            "customer_id": tx["customer"].to_numpy(),
            "ordered_at": tx["ordered"].to_numpy(),
            "revenue": tx["amount"].to_numpy(float),
        }
    )
    wh.write("orders", orders)
    # scores need recorded consent (nomagic.privacy.consent): every customer of this data set allows profiling
    ids = pd.Series(tx["customer"].unique())
    wh.write("customers", pd.DataFrame({"customer_id": ids, "consent_profiling": True, "consent_email": True}))


def test_score_clv_writes_the_table(wh, tx):
    _load_orders(wh, tx)
    df = Clv(n_draws=20).write_scores(wh)
    back = wh.table("clv_scores").execute()
    assert tuple(back.columns) == SCORE_COLUMNS
    assert len(back) == tx["customer"].nunique() and back["customer_id"].is_unique
    assert back["p_alive"].between(0, 1).all()
    assert (back["expected_orders_365d"] >= back["expected_orders_90d"]).all()
    assert (back["clv_low"] <= back["clv"] + 1e-9).all() and (back["clv"] <= back["clv_high"] + 1e-9).all()
    assert df["as_of"].iloc[0] == tx["ordered"].max()


def test_usecase_evaluate_on_warehouse(wh, tx):
    _load_orders(wh, tx)
    res = Clv(n_boot=100).train(wh)
    assert res.record["use_case"] == "clv" and res.record["verdict"] in ("promoted", "not better than baseline")
    assert res.record["split"]["kind"] == "calibration-holdout"


def test_cli_score_clv(tmp_path, tx, capsys):
    from nomagic.warehouse import connect

    path = tmp_path / "w.duckdb"
    with connect(str(path)) as wh:
        _load_orders(wh, tx)
    main(["score-clv", "--warehouse", str(path)])
    assert "clv_scores" in capsys.readouterr().out
    with connect(str(path)) as wh:
        assert wh.has("clv_scores")
