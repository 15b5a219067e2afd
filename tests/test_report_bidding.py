"""The bidding record's charts hold the record's own figures (read from each panel's data), in both languages."""

from __future__ import annotations

from datetime import datetime

import pytest

pytest.importorskip("altair")

from nomagic.report import bidding  # noqa: E402
from nomagic.simulate.auctions import make_requests  # noqa: E402
from nomagic.simulate.common import Clock  # noqa: E402
from nomagic.usecases.bidding.evaluate import evaluate_log  # noqa: E402
from nomagic.usecases.bidding.logs import from_ad_requests  # noqa: E402


@pytest.fixture(scope="module")
def record():
    req, truth = make_requests(11, 0, 0, 30_000, Clock(datetime(2026, 2, 1), 21))
    t = truth.to_pandas().rename(columns={"request_id": "imp_id"})
    return evaluate_log(from_ad_requests(req.to_pandas()), truth=t, n_boot=100).record


def _data(chart) -> list[list[dict]]:
    spec = chart.to_dict()
    named = spec.get("datasets", {})
    layers = spec.get("layer") or spec.get("spec", {}).get("layer") or [spec]
    out = []
    for layer in layers:
        name = (layer.get("data") or spec.get("data") or {}).get("name")
        out.append(named.get(name, []))
    return out


def test_spend_panel_holds_each_strategys_cumulative_spend_and_the_budget(record):
    (rows,) = _data(bidding.spend_chart(record))
    pacing = record["pacing"]
    last = {r["who"]: r["spend"] for r in rows if r["day"] == pacing["days"][-1]}
    assert last["nomagic"] == pytest.approx(pacing["spend"]["nomagic"][-1])
    assert last["budget"] == pytest.approx(pacing["budget"])
    assert all(v <= pacing["budget"] + 1e-6 for k, v in last.items())  # never above the budget
    de = bidding.spend_chart(record, lang="de").to_dict()
    assert "Ausgaben gegen das Budget" in str(de["title"]) and "bestes konstantes" in str(de)


def test_clicks_panel_holds_the_truth_judged_figures(record):
    bars, _ = _data(bidding.clicks_chart(record))
    top = record["truth"]["budgets"][0]
    got = {r["who"]: r["value"] for r in bars if r["budget"] == "1/4"}
    assert got["nomagic"] == pytest.approx(top["strategies"]["nomagic"]["expected_clicks"]["value"])
    assert got["best constant"] == pytest.approx(top["strategies"]["constant"]["expected_clicks"]["value"])
    assert {r["budget"] for r in bars} == {"1/4", "1/16"}


def test_landscape_panel_holds_model_and_observed_win_rates(record):
    lines, median = _data(bidding.landscape_chart(record))
    land = record["landscape"]
    model = [r["win_rate"] for r in lines if r["who"] == "price model"]
    observed = [r["win_rate"] for r in lines if r["who"] == "observed"]
    assert model == pytest.approx(land["win_rate_model"]) and observed == pytest.approx(land["win_rate_observed"])
    assert model == sorted(model)  # a higher bid never wins less
    # the price model learnt from a censored log still matches the true prices' win curve
    assert max(abs(a - b) for a, b in zip(model, observed, strict=True)) < 0.08
    assert median[0]["bid"] == pytest.approx(land["nomagic_bid_quantiles"]["0.5"])
