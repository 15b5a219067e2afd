"""RFM scores and named segments, behavioural clusters (k, profiles, stability) and score-segments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import nomagic.cli.clv  # noqa: F401  (registers the commands)
from nomagic.cli import main
from nomagic.errors import InputError, NotReadyError
from nomagic.usecases.segments import (
    SEGMENTS,
    BehaviourClusters,
    Segments,
    customer_features,
    rfm_scores,
    rfm_segment,
    segment_summary,
)

AS_OF = pd.Timestamp("2024-06-30")


def make_orders(seed=0) -> pd.DataFrame:
    """Three kinds of customers: frequent recent big spenders, lapsed regulars, one-time buyers long ago."""
    rng = np.random.default_rng(seed)
    rows = []
    kinds = [
        ("vip", 150, (8, 15), (0, 30), (80, 150)),
        ("lapsed", 250, (3, 6), (150, 250), (30, 60)),
        ("once", 600, (1, 1), (200, 360), (10, 30)),
    ]
    for kind, n, (fmin, fmax), (rmin, rmax), (vmin, vmax) in kinds:
        for i in range(n):
            k = int(rng.integers(fmin, fmax + 1))
            last = AS_OF - pd.Timedelta(days=int(rng.integers(rmin, rmax + 1)))
            gaps = rng.integers(7, 30, k - 1) if k > 1 else []
            days = [last]
            for g in gaps:
                days.append(days[-1] - pd.Timedelta(days=int(g)))
            for d in days:
                rows.append((f"{kind}{i}", d, float(rng.uniform(vmin, vmax))))
    return pd.DataFrame(rows, columns=["customer_id", "ordered_at", "revenue"])


@pytest.fixture(scope="module")
def features():
    return customer_features(make_orders(), "customer_id", "ordered_at", "revenue", AS_OF)


def test_features_and_scores(features):
    f = features
    assert f.loc["vip0", "recency_days"] <= 30 and f.loc["once0", "frequency"] == 1
    assert np.isnan(f.loc["once0", "days_between"]) and f.loc["vip0", "days_between"] > 0
    s = rfm_scores(f)
    assert s[["r_score", "f_score", "m_score"]].isin(range(1, 6)).all().all()
    assert (s.loc[f.index.str.startswith("once"), "f_score"] == 1).all()  # ties share the lowest score
    assert (s.loc[f.index.str.startswith("vip"), "segment"] == "champions").mean() > 0.8
    assert (
        s.loc[f.index.str.startswith("once"), "segment"]
        .isin(["lost", "hibernating", "about to sleep", "promising", "new"])
        .all()
    )
    table = segment_summary(f, s)
    assert table["customers"].sum() == len(f) and table["share"].sum() == pytest.approx(1.0)
    assert table["action"].str.len().gt(10).all()


def test_segment_grid_is_complete():
    r, f = np.meshgrid(np.arange(1, 6), np.arange(1, 6))
    names = rfm_segment(r.ravel(), f.ravel())
    assert set(names) <= set(SEGMENTS) and None not in names
    assert set(names) == set(SEGMENTS)
    assert rfm_segment([5], [5])[0] == "champions" and rfm_segment([1], [5])[0] == "can't lose them"
    assert rfm_segment([5], [1])[0] == "new" and rfm_segment([1], [1])[0] == "lost"


def test_clusters_find_the_groups_and_are_stable(features):
    cl = BehaviourClusters(k_range=(2, 6), random_state=0).fit(features)
    assert cl.k_ == 3, cl.scores_
    kinds = features.index.str.extract(r"^([a-z]+)")[0].to_numpy()
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(kinds, cl.labels_) > 0.9
    top = cl.profiles_.iloc[0]
    assert top["rfm_segment"] == "champions" and "recent" in top["name"] and "high spend" in top["name"]
    assert cl.profiles_["action"].str.len().gt(10).all()
    st = cl.stability(features, seeds=(1, 2, 3))
    assert st["stable"] and st["min_adjusted_rand"] >= 0.9
    np.testing.assert_array_equal(cl.predict(features), cl.labels_)


def test_gmm_by_bic(features):
    cl = BehaviourClusters(k_range=(2, 5), method="gmm", random_state=0).fit(features)
    assert cl.k_ >= 2 and cl.scores_[cl.k_] == min(cl.scores_.values())


def test_bad_input():
    with pytest.raises(InputError, match="no value column 'spend'"):
        customer_features(make_orders(), "customer_id", "ordered_at", "spend")
    with pytest.raises(InputError, match="k_range"):
        BehaviourClusters(k_range=(1, 3)).fit(customer_features(make_orders(), "customer_id", "ordered_at", "revenue"))
    small = make_orders().groupby("customer_id").head(1).head(12)
    with pytest.raises(NotReadyError, match="at least"):
        BehaviourClusters().fit(customer_features(small, "customer_id", "ordered_at", "revenue"))


def test_score_segments_writes_the_table(tmp_path, capsys):
    from nomagic.warehouse import connect

    orders = make_orders()
    orders.insert(0, "order_id", [f"o{i}" for i in range(len(orders))])
    path = tmp_path / "w.duckdb"
    with connect(str(path)) as wh:
        wh.write("orders", orders)
        # segments need recorded profiling consent (nomagic.privacy.consent): everyone here gave it
        ids = pd.Series(orders["customer_id"].unique())
        wh.write("customers", pd.DataFrame({"customer_id": ids, "consent_profiling": True}))
        out, cl, info = Segments(k_range=(2, 5)).score(wh)
    assert out["customer_id"].is_unique and len(out) == orders["customer_id"].nunique()
    assert {"segment", "action", "cluster", "cluster_name", "r_score"} <= set(out.columns)
    assert info["stability"]["stable"]
    main(["score-segments", "--warehouse", str(path)])
    assert "behavioural clusters" in capsys.readouterr().out
    with connect(str(path)) as wh:
        assert len(wh.table("segments").execute()) == len(out)
