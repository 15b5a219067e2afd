"""Bidding (#20) items 1-3: reading ad logs, the click model, the market-price model; in English and German."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from nomagic.errors import InputError
from nomagic.lifecycle.metrics import roc_auc
from nomagic.lifecycle.record import dumps
from nomagic.simulate.auctions import make_requests
from nomagic.simulate.common import Clock
from nomagic.usecases.bidding.ctr import MIN_POSITIVES, fit_baseline, fit_click_model
from nomagic.usecases.bidding.features import Encoder, TargetStats, hashed_crosses
from nomagic.usecases.bidding.logs import BidLog, from_ad_requests, later_days, read_log, read_requests
from nomagic.usecases.bidding.price import fit_price_model

CLOCK = Clock(datetime(2026, 1, 1), 14)


def impressions(n: int, seed: int, days: int = 6) -> tuple[pd.DataFrame, np.ndarray]:
    """An iPinYou-shaped impression log with known click rates: 400 sites (most rare), two strong
    interactions (video on mobile; loyal users on news sites) that main effects cannot express."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2020]))
    site_p = 1.0 / np.arange(1, 401) ** 0.9
    site = rng.choice(400, n, p=site_p / site_p.sum())
    site_effect = np.random.default_rng(7).normal(0, 0.5, 400)  # the same sites in every sample
    news = site % 4 == 0
    device = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    fmt = rng.choice(3, n, p=[0.5, 0.3, 0.2])
    segment = rng.choice(4, n)
    hour = rng.integers(0, 24, n)
    floor = np.round(rng.gamma(2.0, 15.0, n))
    z = (
        -3.6
        + site_effect[site]
        + 0.3 * (segment == 2)
        + 0.2 * np.cos(2 * np.pi * (hour - 20) / 24)
        + 1.6 * ((device == 0) & (fmt == 2))
        + 1.2 * ((segment == 3) & news)
        - 0.6 * ((segment == 3) & ~news)
    )
    ctr = 1 / (1 + np.exp(-z))
    t = np.sort(rng.random(n) * days)
    frame = pd.DataFrame(
        {
            "imp_id": [f"{seed}-{i:07d}" for i in range(n)],
            "timestamp": pd.Timestamp("2013-06-06") + pd.to_timedelta(t, unit="D"),
            "site_id": np.char.add("site", site.astype(str)),
            "device": np.array(["mobile", "desktop", "tablet"])[device],
            "ad_format": np.array(["banner", "native", "video"])[fmt],
            "segment": np.array(["new", "returning", "loyal", "news_fan"])[segment],
            "hour": hour,
            "floor_price": floor,
            "market_price": np.round(np.exp(np.log(50) + 0.3 * site_effect[site] + rng.normal(0, 0.5, n))),
            "click": (rng.random(n) < ctr).astype(int),
        }
    )
    return frame, ctr


def as_log(frame: pd.DataFrame) -> BidLog:
    features = [c for c in frame.columns if c not in ("imp_id", "timestamp", "market_price", "click", "conversion")]
    return BidLog(frame.reset_index(drop=True), features, False, "synthetic")


@pytest.fixture(scope="module")
def click_model():
    frame, _ = impressions(60_000, seed=1)
    return fit_click_model(as_log(frame), n_boot=100)


@pytest.fixture(scope="module")
def auctions():
    """A censored bid log from the simulator (the logged bidder wins about 30 %), and held-out requests."""
    train, _ = make_requests(3, 0, 0, 30_000, CLOCK)
    test, truth = make_requests(3, 1, 30_000, 20_000, CLOCK)
    return from_ad_requests(train), test.to_pandas(), truth.to_pandas()


# --------------------------------------------------------------------------- reading logs


def test_impression_log_csv_with_ipinyou_times(tmp_path):
    path = tmp_path / "imps.csv"
    path.write_text(
        "imp_id,timestamp,region,site_id,floor_price,market_price,click,conversion\n"
        "007,20130606101500123,80,s1,5,78,0,\n"
        "008,20130606091500000,80,s2,0,12,1,1\n"
    )
    log = read_log(path)
    assert not log.censored
    assert log.features == ["region", "site_id", "floor_price"]
    assert log.frame["imp_id"].tolist() == ["008", "007"]  # sorted by time, ids kept as written
    assert log.frame["timestamp"].iloc[1] == pd.Timestamp("2013-06-06 10:15:00.123")
    assert log.frame["market_price"].tolist() == [12.0, 78.0]
    assert log.frame["click"].tolist() == [1.0, 0.0]
    assert np.isnan(log.frame["conversion"].iloc[1])  # unknown stays unknown
    assert log.won.all()


def test_bid_log_from_simulator_file_and_table_agree(tmp_path):
    requests, _ = make_requests(0, 0, 0, 2_000, CLOCK)
    path = tmp_path / "ad_requests.parquet"
    requests.to_pandas().to_parquet(path)
    from_file, from_table = read_log(path), from_ad_requests(requests)
    assert from_file.censored and from_table.censored
    assert (
        from_file.features
        == from_table.features
        == [
            "site_category",
            "device",
            "ad_format",
            "user_segment",
            "country",
            "hour",
            "above_fold",
        ]
    )
    f = from_table.frame
    lost = ~f["won"]
    assert f.loc[lost, ["market_price", "click"]].isna().all().all()
    assert f.loc[~lost, "market_price"].notna().all()
    assert (f.loc[~lost, "market_price"] < f.loc[~lost, "bid"]).all()  # second price: won means bid > price
    pd.testing.assert_frame_equal(from_file.frame, f, check_dtype=False)


def test_bid_log_csv_with_log_names_and_unix_seconds(tmp_path):
    path = tmp_path / "bids.csv"
    path.write_text(
        "imp_id;timestamp;site;bid;won;market_price;click\n"
        "a;1717200000;news;3.0;true;1.2;0\n"
        "b;1717200060;sport;1.0;false;;\n"
    )
    log = read_log(path)
    assert log.censored and log.features == ["site"]
    assert log.frame["timestamp"].iloc[0] == pd.Timestamp("2024-06-01 00:00:00")
    assert log.won.tolist() == [True, False]


@pytest.mark.parametrize(
    ("content", "column", "row", "german"),
    [
        ("imp_id,timestamp,site,click\na,2024-01-01,x,0\n", "market_price", None, "keine Spalte"),
        (
            "imp_id,timestamp,market_price,click\na,2024-01-01,1.5,0\nb,2024-01-01,zwei,0\n",
            "market_price",
            2,
            "keine Zahl",
        ),
        (
            "imp_id,timestamp,market_price,click\na,2024-01-01,1.5,0\nb,2024-01-01,2,2\n",
            "click",
            2,
            "muss 0 oder 1 sein",
        ),
        ("imp_id,timestamp,market_price,click\na,yesterday,1.5,0\n", "timestamp", 1, "keine Zeitangabe"),
        ("imp_id,timestamp,market_price,click\na,2024-01-01,-1,0\n", "market_price", 1, "nicht negativ"),
        ("imp_id,timestamp,market_price,click\na,2024-01-01,,0\n", "market_price", 1, "gewonnenen Impression"),
    ],
)
def test_bad_logs_name_file_row_and_column_in_both_languages(tmp_path, content, column, row, german):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(InputError) as e:
        read_log(path)
    en, de = e.value.lang("en"), e.value.lang("de")
    assert str(path) in en and column in en and str(path) in de and column in de
    assert german in de
    if row is not None:
        assert f"data row {row}," in en and f"Datenzeile {row}," in de


def test_requests_keep_file_order_and_refuse_missing_features(tmp_path):
    path = tmp_path / "requests.csv"
    path.write_text("imp_id,site,hour\nz,news,23\na,sport,1\n")
    requests = read_requests(path, ["site", "hour"])
    assert requests["imp_id"].tolist() == ["z", "a"] and list(requests.columns) == ["imp_id", "site", "hour"]
    with pytest.raises(InputError) as e:
        read_requests(path, ["site", "device"])
    assert "'device'" in str(e.value) and str(path) in str(e.value)
    assert "keine Spalte 'device'" in e.value.lang("de")


def test_later_days_hold_the_last_days():
    times = pd.Series(pd.date_range("2024-01-01", periods=10 * 24, freq="h"))
    valid, split = later_days(times, 0.3)
    assert valid.sum() == 3 * 24 and valid[-1] and not valid[0]
    assert split["validation_from"] == "2024-01-08 00:00:00" and split["validation_days"] == 3


# --------------------------------------------------------------------------- features


def test_encoder_pools_rare_levels_and_bins_numbers():
    df = pd.DataFrame({"site": ["a"] * 5 + ["b", None], "floor": [1.0, 2, 3, 4, 5, 6, np.nan], "id": [1.0] * 7})
    enc = Encoder(min_count=2).fit(df, ["site", "floor", "id"])
    codes = enc.codes(df)
    assert codes[:, 0].tolist() == [0] * 5 + [1, 2]  # kept, other, blank
    assert codes[6, 1] == enc.columns_[1].size - 1  # blank number
    assert enc.columns_[2].kind == "categorical"  # a number named like an id is a code
    unseen = enc.codes(pd.DataFrame({"site": ["zzz"], "floor": [99.0], "id": ["1"]}))
    assert unseen[0, 0] == 1 and unseen[0, 2] == 0  # unseen site = other; "1" and 1.0 are one level


def test_hashed_crosses_spread_evenly_and_repeat():
    a, b = np.meshgrid(np.arange(300), np.arange(300))
    codes = np.column_stack([a.ravel(), b.ravel()]).astype(np.int32)
    h = hashed_crosses(codes, 18)[:, 0]
    expected = 2**18 * (1 - np.exp(-len(codes) / 2**18))
    assert abs(len(np.unique(h)) - expected) < 0.02 * expected  # as good as random buckets
    assert (hashed_crosses(codes, 18)[:, 0] == h).all()


def test_target_statistics_never_see_their_own_row():
    df = pd.DataFrame({"site": ["only_here"] + ["common"] * 99})
    y = np.r_[1.0, np.zeros(99)]
    stats = TargetStats(["site"], folds=5, prior=10.0)
    out = stats.fit_transform(df, y, np.ones(100))
    assert out[0, 0] == pytest.approx(stats.rate_)  # its one click is not in its own statistic: the prior
    assert stats.transform(pd.DataFrame({"site": ["only_here"]}))[0, 0] > stats.rate_  # later rows learn from it


# --------------------------------------------------------------------------- click model


def test_click_model_beats_the_baseline_on_a_log_with_interactions(click_model):
    r = click_model.report
    assert click_model.name in ("poly2", "lightgbm", "blend")
    assert r["split"]["kind"] == "later days" and r["split"]["validation_days"] == 2
    better = r["metrics"]["improvement"]["roc_auc"]
    assert better["value"] > 0.01 and better["ci"][0] > 0
    assert set(r["candidates"]) == {"baseline", "poly2", "lightgbm", "blend"}
    assert r["candidates"]["lightgbm"]["params"]["target_statistics"] == ["site_id"]
    # on new rows (another sample of the same world) it ranks better than the baseline too
    test, ctr = impressions(20_000, seed=2)
    baseline = fit_baseline(as_log(impressions(60_000, seed=1)[0]), n_boot=20)
    y = test["click"].to_numpy()
    assert roc_auc(y, click_model.predict(test)) > roc_auc(y, baseline.predict(test)) + 0.01
    assert roc_auc(y, click_model.predict(test)) < roc_auc(y, ctr)  # no better than the truth


def test_click_model_is_calibrated(click_model):
    test, ctr = impressions(20_000, seed=3)
    p = click_model.predict(test)
    assert p.mean() == pytest.approx(ctr.mean(), rel=0.1)
    order = np.argsort(p)
    for part in np.array_split(order, 5):  # by fifths of the prediction, against the true rates
        assert p[part].mean() == pytest.approx(ctr[part].mean(), rel=0.25)
    table = click_model.report["calibration_table"]["model"]
    assert len(table) == 10 and sum(row["count"] for row in table) == click_model.report["split"]["validation_rows"]


def test_click_report_is_a_record_in_both_languages(click_model):
    r = click_model.report
    text = r["explanation"]
    assert "ROC-AUC" in text and "95% CI" in text
    assert "95-%-KI" in text.de and "Klicks" in text.de
    auc = r["metrics"]["model"]["roc_auc"]["value"]
    assert f"{auc:.3f}".replace(".", ",") in text.de  # German decimals
    assert "Impressionen" in text.de and "." in text.de.split("Impressionen")[0][-8:]  # 18.xxx thousands
    record = json.loads(dumps(r))
    assert record["explanation_de"] == text.de
    assert record["calibration"]["why_de"].startswith("Platt-Skalierung")


def test_one_request_scores_as_in_a_batch_and_missing_columns_are_named(click_model, auctions):
    test, _ = impressions(50, seed=6)
    batch = click_model.predict(test)
    single = [click_model.predict(test.iloc[[i]])[0] for i in range(len(test))]  # the real-time path
    assert np.allclose(batch, single)
    with pytest.raises(InputError) as e:
        click_model.predict(test.drop(columns=["device"]))
    assert "'device'" in str(e.value) and "fehlt die Spalte 'device'" in e.value.lang("de")
    log, requests, _ = auctions
    prices = fit_price_model(log)
    mu, _ = prices.params(requests.head(20))
    assert np.allclose(mu, [prices.params(requests.iloc[[i]])[0][0] for i in range(20)])
    with pytest.raises(InputError):
        prices.win_prob(requests.drop(columns=["ad_format"]), 2.0)


def test_rare_conversions_fall_back_to_the_baseline():
    frame, _ = impressions(6_000, seed=4)
    rng = np.random.default_rng(0)
    frame["conversion"] = (frame["click"] == 1) & (rng.random(len(frame)) < 0.08)
    assert frame["conversion"].sum() < MIN_POSITIVES
    model = fit_click_model(as_log(frame), target="conversion", n_boot=20)
    assert model.name == "baseline" and list(model.report["candidates"]) == ["baseline"]
    assert "fewer than 50" in model.report["fallback"]
    assert "weniger als 50" in model.report["fallback"].de and "Konversionen" in model.report["fallback"].de
    p = model.predict(frame.head(100))
    assert ((p > 0) & (p < 0.2)).all()


def test_a_log_without_a_click_or_features_gets_the_rate():
    frame, _ = impressions(500, seed=5)
    frame["click"] = 0
    model = fit_click_model(as_log(frame))
    assert model.name == "rate" and model.predict(frame.head(3)).tolist() == [pytest.approx(1 / 1002)] * 3
    assert "0,100 %" in model.report["explanation"].de  # (0 + 0.5) / 501, in German
    bare = fit_click_model(as_log(impressions(500, seed=5)[0][["imp_id", "timestamp", "market_price", "click"]]))
    assert bare.name == "rate" and "no feature columns" in bare.report["explanation"]


def test_unknown_target_is_an_input_error():
    with pytest.raises(InputError) as e:
        fit_click_model(as_log(impressions(500, seed=5)[0]), target="conversion")
    assert "'conversion'" in str(e.value) and "keine Spalte 'conversion'" in e.value.lang("de")


# --------------------------------------------------------------------------- market price


def test_censored_fit_recovers_the_price_that_won_rows_alone_underestimate(auctions):
    log, test, truth = auctions
    tobit, naive = fit_price_model(log), fit_price_model(log, use_lost=False)
    assert tobit.name == "censored lognormal (Tobit)" and naive.name == "lognormal"
    assert log.won.mean() < 0.4  # most prices are censored
    true_log = np.log(truth["market_price"].to_numpy())
    error = {m.name: m.params(test)[0] - true_log for m in (tobit, naive)}
    assert abs(error[tobit.name].mean()) < 0.05
    assert error[naive.name].mean() < -0.25  # won rows are the cheap ones
    assert np.sqrt((error[tobit.name] ** 2).mean()) < np.sqrt((error[naive.name] ** 2).mean()) - 0.1
    assert tobit.params(test)[1][0] == pytest.approx(0.45, abs=0.03)  # the simulator's noise


def test_win_prob_is_monotone_and_consistent(auctions):
    log, test, _ = auctions
    model = fit_price_model(log)
    rows = test.head(200)
    bids = np.linspace(0.0, 20.0, 41)
    win = np.column_stack([model.win_prob(rows, np.full(len(rows), b)) for b in bids])
    cost = np.column_stack([model.expected_cost(rows, b) for b in bids])
    assert (np.diff(win, axis=1) >= 0).all() and (np.diff(cost, axis=1) >= 0).all()
    assert (win[:, 0] == 0).all() and (win[:, -1] <= 1).all()
    assert (cost <= bids * win + 1e-12).all()  # never pays more than the bid
    median = model.quantile(rows, 0.5)
    assert model.win_prob(rows, median) == pytest.approx(np.full(len(rows), 0.5))
    with pytest.raises(InputError):
        model.quantile(rows, 1.0)


def test_win_prob_matches_win_rates_on_held_out_requests(auctions):
    log, test, truth = auctions
    model = fit_price_model(log)
    market = truth["market_price"].to_numpy()
    p = model.win_prob(test, test["bid"].to_numpy())
    won = test["won"].to_numpy()
    assert p.mean() == pytest.approx(won.mean(), abs=0.02)
    order = np.argsort(p)
    for part in np.array_split(order, 5):
        assert p[part].mean() == pytest.approx(won[part].mean(), abs=0.04)
    for bid in (1.5, 3.0, 6.0):  # a constant bid's win rate and spend against the true prices
        assert model.win_prob(test, bid).mean() == pytest.approx((market < bid).mean(), abs=0.02)
        true_cost = np.where(market < bid, market, 0).mean()
        assert model.expected_cost(test, bid).mean() == pytest.approx(true_cost, rel=0.05)


def test_price_report_in_both_languages(auctions):
    log, _, _ = auctions
    model = fit_price_model(log, sigma_by="ad_format")
    r = model.report
    assert r["rows"]["censored"] > r["rows"]["observed"] > 0
    assert r["sigma"]["by"] == "ad_format" and set(r["sigma"]) >= {"banner", "native", "video"}
    v = r["validation"]
    assert v["log_likelihood"]["model"] > v["log_likelihood"]["constant"]
    assert v["win_rate"]["predicted"] == pytest.approx(v["win_rate"]["observed"], abs=0.03)
    text = r["explanation"]
    assert "censored maximum likelihood" in text and "zensierter Maximum-Likelihood" in text.de
    assert f"{v['win_rate']['observed']:.1%}".replace(".", ",").replace("%", " %") in text.de
    with pytest.raises(InputError) as e:
        fit_price_model(log, sigma_by="colour")
    assert "kein Merkmal" in e.value.lang("de")
