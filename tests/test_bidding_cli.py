"""`nomagic bid plan|replay`, `nomagic evaluate bidding` and the bidding use case on a simulated auction log."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from nomagic import cli
from nomagic.cli import main
from nomagic.simulate.auctions import make_requests
from nomagic.simulate.common import Clock

CLOCK = Clock(datetime(2026, 3, 1), 21)


@pytest.fixture(autouse=True)
def _wide(monkeypatch):
    for con in (cli.console, cli.err_console):
        monkeypatch.setattr(con, "width", 200)
    monkeypatch.delenv("NOMAGIC_LANG", raising=False)


def _impressions(n: int, block: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An impression log (iPinYou shape: only what was bought) and the truth of its rows."""
    req, truth = make_requests(5, block, block * n, n, CLOCK)
    df = req.to_pandas()
    won = df[df["won"]].reset_index(drop=True)
    log = won.rename(
        columns={"request_id": "imp_id", "occurred_at": "timestamp", "price": "market_price", "clicked": "click"}
    ).drop(columns=["bid", "won", "converted"])
    log["click"] = log["click"].astype(int)
    return log, truth.to_pandas()


def _run(args) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return exc.code or 0
    return 0


def test_plan_then_replay_never_spends_more_than_the_budget(tmp_path, capsys):
    train, _ = _impressions(60_000, 0)
    test, _ = _impressions(20_000, 1)
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_parquet(tmp_path / "test.parquet", index=False)
    test.drop(columns=["market_price", "click"]).to_csv(tmp_path / "requests.csv", index=False)
    budget = float(test["market_price"].sum() / 4)
    out = tmp_path / "bids.csv"
    args = ["--log", str(tmp_path / "train.csv"), "--requests", str(tmp_path / "requests.csv")]
    assert _run(["bid", "plan", *args, "--budget", str(budget), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"{len(test):,} bids written" in said and "λ" in said
    assert said.index("Not judged yet") < said.index("bids written")  # no unjudged advice without saying so first
    de_out = tmp_path / "bids_de.csv"
    assert _run(["--lang", "de", "bid", "plan", *args, "--budget", str(budget), "--out", str(de_out)]) == 0
    said_de = " ".join(capsys.readouterr().out.split())
    assert said_de.index("Noch nicht beurteilt") < said_de.index("Gebote nach")
    bids = pd.read_csv(out, dtype={"imp_id": str})
    assert list(bids.columns) == ["imp_id", "bid", "p_click"] and len(bids) == len(test)
    assert (bids["bid"] >= 0).all() and bids["p_click"].between(0, 1).all()
    assert list(bids["imp_id"]) == list(test["imp_id"].astype(str))  # request order

    replay = ["bid", "replay", "--log", str(tmp_path / "test.parquet"), "--bids", str(out), "--budget", str(budget)]
    assert _run(replay) == 0
    said = " ".join(capsys.readouterr().out.split())
    spent = float(said.split("spend ")[1].split(" of a budget")[0].replace(",", ""))
    assert 0 < spent <= budget and "clicks" in said and "95% CI over" in said
    assert _run(["--lang", "de", *replay]) == 0
    assert "Impressionen gewonnen" in capsys.readouterr().out


def test_bad_input_names_the_file_row_and_column(tmp_path, capsys):
    test, _ = _impressions(5_000, 2)
    test.to_csv(tmp_path / "test.csv", index=False)
    pd.DataFrame({"imp_id": test["imp_id"].iloc[:10], "bid": 1.0}).to_csv(tmp_path / "few.csv", index=False)
    base = ["bid", "replay", "--log", str(tmp_path / "test.csv"), "--budget", "100"]
    assert _run([*base, "--bids", str(tmp_path / "few.csv")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "few.csv" in err and "have no bid" in err
    pd.DataFrame({"imp_id": test["imp_id"], "bid": ["x"] + [1.0] * (len(test) - 1)}).to_csv(
        tmp_path / "bad.csv", index=False
    )
    assert _run([*base, "--bids", str(tmp_path / "bad.csv")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "bad.csv: row 2, column bid" in err
    assert _run(["--lang", "de", *base, "--bids", str(tmp_path / "bad.csv")]) == 2
    assert "Zeile 2, Spalte bid" in " ".join(capsys.readouterr().err.split())
    bad_budget = ["bid", "replay", "--log", str(tmp_path / "test.csv"), "--bids", str(tmp_path / "few.csv")]
    assert _run([*bad_budget, "--budget", "-5"]) == 2
    assert "--budget must be a positive number" in capsys.readouterr().err


def test_evaluate_bidding_on_a_log_writes_the_record(tmp_path, capsys):
    log, _ = _impressions(80_000, 3)
    log.to_parquet(tmp_path / "log.parquet", index=False)
    out = tmp_path / "record.json"
    code = _run(["evaluate", "bidding", "--log", str(tmp_path / "log.parquet"), "--n-boot", "200", "--json", str(out)])
    assert code == 0
    said = capsys.readouterr().out
    assert "best constant" in said and "linear on LR" in said and "1/16" in said
    record = json.loads(out.read_text())
    assert record["use_case"] == "bidding" and record["primary_metric"] == "clicks"
    assert record["verdict"] in ("promoted", "not better than baseline")
    for b in record["budgets"]:
        for s in b["strategies"].values():
            assert s["spend"] <= b["budget"] + 1e-6  # never more than the budget


def test_the_use_case_on_a_simulated_warehouse_judges_on_the_truth(tmp_path):
    from nomagic.lifecycle.registry import Registry
    from nomagic.usecases.bidding.model import load_bidder
    from nomagic.usecases.bidding.usecase import Bidding
    from nomagic.warehouse import connect

    req, truth = make_requests(7, 0, 0, 40_000, CLOCK)
    url = str(tmp_path / "w.duckdb")
    with connect(url) as wh:
        wh.write("ad_requests", req.to_pandas())
        wh.write("truth_ad_requests", truth.to_pandas())
        result = Bidding(n_boot=200).train(wh)
    record = result.record
    assert record["primary_metric"] == "expected_clicks"
    shares = {b["share"]: b for b in record["truth"]["budgets"]}
    nomagic = shares[0.25]["strategies"]["nomagic"]
    assert 0.5 < nomagic["oracle_share"] <= 1.0
    assert nomagic["spend"] <= shares[0.25]["budget"] + 1e-6
    registry = Registry.for_warehouse(url)
    version = registry.register(result)
    bidder = load_bidder(url)
    if record["verdict"] == "promoted":
        assert bidder is not None and bidder.version == f"bidding {version.version}"
        bids, p = bidder.bid_frame(req.to_pandas().rename(columns={"request_id": "imp_id"}).head(50))
        assert (bids > 0).all() and np.all((p > 0) & (p < 1))
    else:  # the live bidder never bids with a model the gate did not promote
        assert bidder is None


def test_one_request_at_a_time_bids_the_same_as_a_batch():
    from nomagic.usecases.bidding import model as bid_model
    from nomagic.usecases.bidding.logs import from_ad_requests

    req, _ = make_requests(9, 0, 0, 30_000, CLOCK)
    frame = req.to_pandas()
    fitted = bid_model.fit(from_ad_requests(frame))
    rows = frame.rename(columns={"request_id": "imp_id"}).head(40)
    bids, p = fitted.bid_frame(rows)
    for i, row in enumerate(rows.to_dict("records")):
        b1, p1 = fitted.bid_row(row)
        assert b1 == pytest.approx(bids[i], rel=1e-9) and p1 == pytest.approx(p[i], rel=1e-9)
    row = rows.iloc[0].to_dict()
    row["site_category"] = "never-seen"  # an unseen level is "other", a missing column blank: still a bid
    del row["device"]
    b, p_click = fitted.bid_row(row)
    assert b > 0 and 0 < p_click < 1
