"""The iPinYou-like log generator of the bidding benchmark (bench/bidding_data.py): shape, truth, published levels."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from nomagic.usecases.bidding.logs import read_log

_PATH = Path(__file__).resolve().parents[1] / "bench" / "bidding_data.py"


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("bidding_data", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def made(gen):
    return gen.generate(30_000, seed=3, n_sites=400, days=5)


def test_shape_order_and_units(made):
    log, truth = made
    assert len(log) == len(truth) == 30_000
    assert log["imp_id"].is_unique and (log["imp_id"].to_numpy() == truth["imp_id"].to_numpy()).all()
    assert log["timestamp"].is_monotonic_increasing
    assert log["timestamp"].dt.floor("D").nunique() == 5
    price = log["market_price"].to_numpy()
    assert (price < 300).all()  # the logger (bid 300) lost every auction priced at or above its bid
    assert (price >= log["floor_price"].to_numpy()).all()  # the floor is a reserve price
    assert set(log["click"].unique()) <= {0, 1}
    assert (log["conversion"] <= log["click"]).all()  # a conversion follows a click


def test_truth_is_apart_and_at_the_published_levels(made):
    log, truth = made
    assert not {"true_ctr", "true_cvr"} & set(log.columns)
    assert truth["true_ctr"].mean() == pytest.approx(0.001, rel=1e-6)  # calibrated on the logged rows
    assert np.average(truth["true_cvr"], weights=truth["true_ctr"]) == pytest.approx(0.03, rel=1e-6)
    assert 70 < log["market_price"].mean() < 90  # iPinYou's campaigns: CPM 63-93, about 80 overall
    p = truth["true_ctr"].to_numpy()
    assert 0.6 < np.log(p / (1 - p)).std() < 1.3  # an AUC of the truth itself near 0.75
    sites = log["site"].value_counts()
    assert sites.iloc[0] > 20 * sites.median()  # a few dominant sites, most of them rare


def test_same_seed_same_log_and_another_seed_another(gen, made):
    log, truth = made
    again, truth_again = gen.generate(30_000, seed=3, n_sites=400, days=5)
    assert log.equals(again) and truth.equals(truth_again)
    other, _ = gen.generate(30_000, seed=4, n_sites=400, days=5)
    assert not np.array_equal(other["market_price"].to_numpy(), log["market_price"].to_numpy())


def test_read_back_as_an_impression_log(gen, made, tmp_path):
    log, _ = made
    path = tmp_path / "ipy.parquet"
    log.to_parquet(path, index=False)
    back = read_log(path)
    assert not back.censored and len(back) == len(log)
    assert "user_tags" in back.features and "site" in back.features and "imp_id" not in back.features
    assert not {"market_price", "click", "conversion", "timestamp"} & set(back.features)


def test_cli_writes_log_and_truth(gen, tmp_path, capsys):
    out = tmp_path / "small.parquet"
    gen.main(["--rows", "5000", "--out", str(out), "--sites", "200", "--days", "3"])
    assert out.exists() and (tmp_path / "small.truth.parquet").exists()
    assert '"rows": 5000' in capsys.readouterr().out
