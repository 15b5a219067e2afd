"""Drift injected into the simulated world: recorded in truth_drift, visible where it should be, nowhere else."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nomagic.errors import InputError
from nomagic.simulate import drift as dr
from nomagic.simulate import simulate
from nomagic.warehouse import connect

START = pd.Timestamp("2024-01-01")
DAY = 250
SEGMENT = ("FR", "GB", "US")


@pytest.fixture(scope="module")
def pair():
    still, moved = connect("duckdb://:memory:"), connect("duckdb://:memory:")
    simulate(still, customers=2500, days=400, seed=11, start=START)
    scenarios = [
        dr.competitor(DAY, SEGMENT, share=0.8),
        dr.price_change(DAY, 0.20),
        dr.new_channel(DAY, "video-app", share=0.5, dropout_factor=2.0),
        dr.targeting(DAY, "18-24", share=0.5, rate_factor=0.6),
        dr.seasonal_shift(DAY, 0.3),
    ]
    simulate(moved, customers=2500, days=400, seed=11, start=START, drift=scenarios)
    yield still, moved
    still.close()
    moved.close()


def _orders(wh) -> pd.DataFrame:
    o = wh.table("orders").execute()
    c = wh.table("customers").execute()[["customer_id", "country", "created_at", "signup_channel", "age_band"]]
    o = o.merge(c, on="customer_id")
    o["day"] = (o["ordered_at"] - START).dt.total_seconds() / 86400
    return o


def test_the_truth_records_each_scenario(pair):
    still, moved = pair
    assert not still.has("truth_drift")
    truth = moved.table("truth_drift").execute()
    assert truth["kind"].tolist() == ["competitor", "price", "channel", "targeting", "season"]
    assert (truth["start_day"] == DAY).all() and (truth["start"] == START + pd.Timedelta(days=DAY)).all()
    comp = truth.iloc[0]
    assert comp["segment"] == "FR, GB, US" and comp["customers_affected"] > 50
    assert "poaches 80%" in comp["moved"] and "wirbt 80 % der Kunden" in comp["moved_de"]


def test_nothing_moves_before_the_start_day(pair):
    still, moved = pair
    a, b = _orders(still), _orders(moved)
    key = ["customer_id", "ordered_at"]
    organic = lambda o: o[(o["day"] < DAY) & o["message_id"].isna()][key].sort_values(key).reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(organic(a), organic(b))


def test_the_competitor_raises_churn_in_its_segment_only(pair):
    still, moved = pair
    # customers who bought before the start day: the share still ordering in the 90 days after it
    share = {}
    for name, wh in (("still", still), ("moved", moved)):
        o = _orders(wh)
        before = set(o.loc[(o["day"] < DAY) & (o["day"] >= DAY - 180), "customer_id"])
        after = set(o.loc[(o["day"] >= DAY + 10) & (o["day"] < DAY + 100), "customer_id"])
        c = o.drop_duplicates("customer_id").set_index("customer_id")
        for seg in (True, False):
            ids = [i for i in before if (c.at[i, "country"] in SEGMENT) == seg]
            share[name, seg] = np.mean([i in after for i in ids])
    # in the segment, far fewer keep buying; elsewhere only the price change and the season thin orders
    assert share["moved", True] < 0.6 * share["still", True]
    assert share["moved", False] > 0.6 * share["still", False]


def test_price_new_channel_and_targeting_show_in_the_tables(pair):
    still, moved = pair
    a, b = _orders(still), _orders(moved)
    late = lambda o: o[o["day"] >= DAY + 1]  # noqa: E731
    assert late(b)["revenue"].mean() > 1.1 * late(a)["revenue"].mean()  # +20 % prices
    assert len(late(b)) < 0.9 * len(late(a))  # elasticity, season, competitor
    cust = moved.table("customers").execute()
    new = cust["created_at"] >= START + pd.Timedelta(days=DAY)
    assert (cust.loc[new, "signup_channel"] == "video-app").mean() > 0.3
    assert not (cust.loc[~new, "signup_channel"] == "video-app").any()
    before = still.table("customers").execute()
    before = before[before["created_at"] >= START + pd.Timedelta(days=DAY)]
    assert (cust.loc[new, "age_band"] == "18-24").mean() > (before["age_band"] == "18-24").mean() + 0.2


def test_a_world_without_drift_is_the_default_world():
    a, b = connect("duckdb://:memory:"), connect("duckdb://:memory:")
    simulate(a, customers=300, days=120, seed=5, start=START)
    simulate(b, customers=300, days=120, seed=5, start=START, drift=[])
    for t in ("orders", "events", "customers", "messages", "truth_customers"):
        pd.testing.assert_frame_equal(a.table(t).execute(), b.table(t).execute())
    assert not b.has("truth_drift")


def test_bad_scenarios_are_refused_in_both_languages():
    with pytest.raises(InputError) as exc:
        dr.competitor(10, ("XX",))
    assert "unknown countries XX" in str(exc.value) and "unbekannte Länder" in exc.value.lang("de")
    with pytest.raises(InputError):
        dr.new_channel(10, share=1.5)
    with pytest.raises(InputError) as exc:
        dr.Scenario("meteor", 10)
    assert "competitor" in str(exc.value)
    with pytest.raises(InputError):
        simulate(connect("duckdb://:memory:"), customers=10, days=40, start=START, drift=["competitor"])
    assert dr.price_change(5, 0.1).describe().de.startswith("die Preise ändern sich um +10 %")


def test_cli_simulate_with_drift_records_it_and_refuses_a_bad_spec(tmp_path, monkeypatch):
    from nomagic.cli import main
    from nomagic.warehouse import connect

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as bad:
        main(["simulate", "-n", "120", "-d", "90", "--drift", "meteor@10"])
    assert bad.value.code == 2 and not (tmp_path / "nomagic.duckdb").exists()  # refused before anything is written
    main(["simulate", "-n", "120", "-d", "90", "--drift", "competitor@60"])  # success returns, exit status 0
    with connect(str(tmp_path / "nomagic.duckdb")) as wh:
        truth = wh.table("truth_drift").execute()
    assert truth["kind"].tolist() == ["competitor"] and truth["start_day"].tolist() == [60]
