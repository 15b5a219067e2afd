"""Small groups (k-anonymity): the rule, its setting in .nomagic/config.toml, and the per-group tables that
obey it (fairness groups, RFM segment summary, behavioural clusters), in English and German."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nomagic.errors import InputError
from nomagic.lifecycle import fairness
from nomagic.privacy import groups
from nomagic.usecases.segments import BehaviourClusters, rfm_scores, segment_summary


@pytest.fixture(autouse=True)
def _own_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for var in ("NOMAGIC_REGISTRY", "NOMAGIC_WAREHOUSE"):
        monkeypatch.delenv(var, raising=False)


def _config(tmp_path, text: str) -> None:
    (tmp_path / ".nomagic").mkdir(exist_ok=True)
    (tmp_path / ".nomagic" / "config.toml").write_text(text)
    (tmp_path / "wh.duckdb").touch()


def test_the_rule():
    assert groups.small_group(9) and not groups.small_group(10)
    assert groups.small_group(4, k=5) and not groups.small_group(4, k=1)
    assert groups.small_group(None) and groups.small_group(float("nan"))
    assert str(groups.fewer_than(10)) == "fewer than 10" and groups.fewer_than(10).de == "weniger als 10"
    assert groups.fewer_than(1000).de == "weniger als 1.000"


def test_threshold_from_config(tmp_path):
    url = f"duckdb://{tmp_path / 'wh.duckdb'}"
    assert groups.threshold(url) == 10
    _config(tmp_path, "[privacy]\nk_anonymity = 25\n")
    assert groups.threshold(url) == 25
    _config(tmp_path, '[privacy]\nk_anonymity = "ten"\n')
    with pytest.raises(InputError) as err:
        groups.threshold(url)
    assert "config.toml" in str(err.value) and "privacy.k_anonymity" in str(err.value)
    assert "eine ganze Zahl von Kunden" in err.value.lang("de")


def test_suppress_keeps_size_and_hides_figures():
    frame = pd.DataFrame({"customers": [3, 50], "revenue_share": [0.1, 0.9]}, index=["tiny", "big"])
    out = groups.suppress(frame, ["revenue_share", "not_there"], k=10)
    assert list(out["customers"]) == [3, 50] and np.isnan(out.loc["tiny", "revenue_share"])
    assert out.loc["big", "revenue_share"] == 0.9
    assert list(out["suppressed"]) == [True, False]
    assert out.loc["tiny", "shown_as"] == "fewer than 10" and out.loc["tiny", "shown_as_de"] == "weniger als 10"
    assert frame.loc["tiny", "revenue_share"] == 0.1  # the input is untouched


def test_fairness_groups_below_k_show_no_figures():
    rng = np.random.default_rng(0)
    n = 600
    y, p = rng.integers(0, 2, n), rng.random(n)
    g = np.array(["a"] * 300 + ["b"] * 295 + ["c"] * 5)
    res = fairness.audit(y, p, {"gender": g}, engine="numpy", k=10)
    by = {x["group"]: x for x in res["attributes"]["gender"]["groups"]}
    assert res["k_anonymity"] == 10
    assert by["c"]["suppressed"] and by["c"]["selection_rate"] is None and by["c"]["positives"] is None
    assert by["c"]["shown_as"] == "fewer than 10" and by["c"]["shown_as_de"] == "weniger als 10"
    assert by["c"]["count"] == 5 and "suppressed" not in by["a"] and by["a"]["selection_rate"] is not None
    assert not any("c" in str(f).split(":")[1] for f in res["attributes"]["gender"]["flags"])
    everyone = fairness.audit(y, p, {"gender": g}, engine="numpy", k=1)
    assert {x["group"]: x for x in everyone["attributes"]["gender"]["groups"]}["c"]["selection_rate"] is not None


def _features(n_big: int = 60, n_tiny: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for i in range(n_big):
        rows.append(("low", i, rng.integers(200, 400), 1, rng.uniform(10, 30)))
        rows.append(("mid", i, rng.integers(20, 60), rng.integers(3, 5), rng.uniform(100, 150)))
    for i in range(n_tiny):
        rows.append(("vip", i, rng.integers(1, 5), 40, rng.uniform(20_000, 30_000)))
    f = pd.DataFrame(rows, columns=["kind", "i", "recency_days", "frequency", "monetary"])
    f.index = f["kind"] + f["i"].astype(str)
    f = f.drop(columns=["kind", "i"]).astype(float)
    f["avg_value"] = f["monetary"] / f["frequency"]
    f["tenure_days"] = 400.0
    f["days_between"] = np.where(f["frequency"] > 1, 30.0, np.nan)
    f["recent_share"] = 0.5
    return f


def test_segment_summary_suppresses_small_segments():
    f = _features()
    s = rfm_scores(f)
    table = segment_summary(f, s, k=10)
    small = table[table["customers"] < 10]
    big = table[table["customers"] >= 10]
    assert len(big) and small["median_monetary"].isna().all() and small["revenue_share"].isna().all()
    assert big["median_monetary"].notna().all() and not big["suppressed"].any()
    assert table["customers"].sum() == len(f)


def test_a_tiny_cluster_says_fewer_than_k():
    f = _features()
    cl = BehaviourClusters(k_range=(3, 3), random_state=0, k_anonymity=10).fit(f)
    p = cl.profiles_
    tiny = p[p["customers"] < 10]
    assert len(tiny) == 1
    row = tiny.iloc[0]
    assert str(row["profile"]) == "fewer than 10 customers: no figures shown (k-anonymity)"
    assert row["profile_de"] == "weniger als 10 Kunden: keine Kennzahlen gezeigt (k-Anonymität)"
    assert np.isnan(row["median_monetary"]) and row["suppressed"]
    assert "30,000" not in " ".join(map(str, p["profile"]))  # the VIPs' spend is nowhere in words
    assert p.loc[p["customers"] >= 10, "median_monetary"].notna().all()


def test_segments_read_the_threshold_of_their_own_warehouse_not_the_current_folder(tmp_path):
    from nomagic.usecases.segments.usecase import Segments
    from nomagic.warehouse import connect

    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / ".nomagic").mkdir()
    (other / ".nomagic" / "config.toml").write_text("[privacy]\nk_anonymity = 100000\n")
    rng = np.random.default_rng(1)
    n = 300
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "created_at": pd.Timestamp("2024-01-01"),
            "country": "DE",
            "consent_email": True,
            "consent_profiling": True,
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(3 * n)],
            "customer_id": [f"c{i % n}" for i in range(3 * n)],
            "ordered_at": pd.Timestamp("2024-02-01") + pd.to_timedelta(rng.integers(0, 300, 3 * n), unit="D"),
            "revenue": rng.gamma(2.0, 30.0, 3 * n),
        }
    )
    with connect(f"duckdb://{other / 'wh.duckdb'}") as wh:
        wh.write("customers", customers)
        wh.write("orders", orders)
        _, cl, _ = Segments(check_stability=False).score(wh)
    # the cwd (tmp_path) has no config (k = 10); the warehouse's own says 100,000: every cluster is "small"
    assert cl.profiles_["suppressed"].all()
    assert (cl.profiles_["shown_as"] == "fewer than 100,000").all()
