"""The CLV section of the HTML report: the p-alive matrix, the expected-orders heat map, cohort and tracking curves."""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_clv_evaluate import make_transactions

from nomagic import report
from nomagic.report import charts
from nomagic.usecases.clv import evaluate

pytestmark = pytest.mark.skipif(not charts.available(), reason="the report extra (altair, vl-convert) is missing")


@pytest.fixture(scope="module")
def rec():
    tx = make_transactions(n=1000, seed=2)
    return evaluate(tx, "customer", "ordered", "amount", "2023-08-31", "2024-02-25", n_boot=50).record


def test_chart_data_is_the_records(rec):
    m = rec["curves"]["matrix"]
    for what in ("p_alive", "expected"):
        ch = charts.clv_matrix_chart(rec, what)
        df = ch.data
        assert len(df) == len(m["frequency"]) * len(m["recency"])
        got = df.pivot(index="frequency", columns="recency", values="value").to_numpy()
        np.testing.assert_allclose(got, np.array(m[what]))
    ch = charts.clv_cohort_chart(rec)
    df = ch.layer[0].data
    co = rec["curves"]["cohorts"]
    for c in co["cohorts"]:
        mine = df[df["cohort"].str.startswith(c["cohort"] + " ")]
        for who in ("actual", "model"):
            vals = mine.loc[mine["who"] == who, "per_customer"].to_numpy()
            np.testing.assert_allclose(vals, [v for v in c[who] if v is not None])
    # the cohorts' actual curves add up to the tracking curve (all customers)
    last = df[df["who"] == "actual"].groupby("cohort").tail(1)
    assert (last["per_customer"] * last["customers"]).sum() == pytest.approx(
        rec["curves"]["tracking"]["actual"][-1], abs=0.05
    )


def test_report_has_the_clv_charts_offline(rec, tmp_path):
    html = report.write(tmp_path / "r.html", [rec]).read_text()
    assert html.count("<svg") == 4
    for title in ("Probability alive", "Expected orders in the next", "Cohort curves", "Tracking"):
        assert title in html, title
    assert "How to read the lifetime-value charts" in html
    assert rec["model_choice"]["reason"].split(".")[0] in html
    assert "<script" not in html and not re.search(r"(src|href)=['\"]https?://", html)


def test_cli_evaluate_clv_html(tmp_path):
    import nomagic.cli.clv  # noqa: F401
    from nomagic.cli import main

    data = tmp_path / "orders.csv"
    make_transactions(n=800, seed=4).to_csv(data, index=False)
    out = tmp_path / "clv.html"
    main(["evaluate-clv", "--data", str(data), "--id", "customer", "--time", "ordered", "--value", "amount",
          "--calibration-end", "2023-08-31", "--n-boot", "50", "--html", str(out), "--model", "bgnbd"])  # fmt: skip
    html = out.read_text()
    assert html.count("<svg") == 4 and "orders.csv" in html and "BG/NBD" in html
