"""Recommendations: metrics on hand examples, the split without leakage, models, rules, cold start."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from nomagic.usecases.recommend import (
    EASE,
    Interactions,
    ItemKNN,
    Popularity,
    Recommender,
    build_recommender,
    content_similarity,
    coverage_at_k,
    evaluate,
    ndcg_at_k,
    novelty_at_k,
    recall_at_k,
    temporal_split,
    top_n,
    tune,
)
from nomagic.usecases.recommend.evaluate import VALIDATION_QUANTILES, fit_model, make_model
from nomagic.usecases.recommend.metrics import bootstrap
from nomagic.usecases.recommend.models import RecencyBlend, blend_scores

SMALL_GRID = {
    "ease": [{"lam": 10.0, "half_life": None}, {"lam": 100.0, "half_life": 0.2}],
    "item_knn": [{"k": 20, "shrink": 10.0, "half_life": None}],
}


# --- metrics on hand examples -------------------------------------------------------------------


def test_ndcg_recall_hand_example():
    test = sp.csr_matrix(np.array([[0, 0, 1, 1, 0], [1, 0, 0, 0, 0], [0, 1, 1, 1, 1]]))
    rec = np.array([[2, 0, 1], [4, 3, 0], [0, 1, -1]])
    nd = ndcg_at_k(rec, test, 3)
    # user 0: hit at rank 1 of 2 relevant -> 1 / (1 + 1/log2 3)
    assert nd[0] == pytest.approx(1 / (1 + 1 / np.log2(3)))
    # user 1: hit at rank 3, one relevant -> (1/log2 4) / 1
    assert nd[1] == pytest.approx(0.5)
    # user 2: hit at rank 2 of 4 relevant, ideal over min(4, 3) = 3 positions; the empty slot is no hit
    assert nd[2] == pytest.approx((1 / np.log2(3)) / (1 + 1 / np.log2(3) + 0.5))
    rc = recall_at_k(rec, test, 3)
    assert rc.tolist() == pytest.approx([0.5, 1.0, 0.25])
    assert ndcg_at_k(rec, test, 1).tolist() == pytest.approx([1.0, 0.0, 0.0])


def test_perfect_ranking_scores_one():
    test = sp.csr_matrix(np.array([[1, 1, 0, 0]]))
    assert ndcg_at_k(np.array([[1, 0, 2]]), test, 3)[0] == pytest.approx(1.0)
    assert recall_at_k(np.array([[1, 0, 2]]), test, 3)[0] == pytest.approx(1.0)


def test_coverage_and_novelty():
    rec = np.array([[0, 1], [1, 2], [1, -1]])
    assert coverage_at_k(rec, 10, 2) == pytest.approx(0.3)
    assert coverage_at_k(rec, 10, 1) == pytest.approx(0.2)
    share = np.array([0.5, 0.25, 1.0])
    assert novelty_at_k(rec, share, 2).tolist() == pytest.approx([1.5, 1.0, 2.0])


def test_bootstrap_intervals_paired_and_contain_value():
    rng = np.random.default_rng(0)
    m = {"ndcg@10": rng.random(300) + 0.1}
    b = {"ndcg@10": m["ndcg@10"] - 0.1}
    rec = rng.integers(0, 50, (300, 10))
    out = bootstrap(m, b, rec, rec, 50, (10,), n_boot=200)
    imp = out["improvement"]["ndcg@10"]
    assert imp["value"] == pytest.approx(0.1)
    assert imp["ci"][0] == pytest.approx(0.1) and imp["ci"][1] == pytest.approx(0.1)  # paired: no spread
    for part in ("model", "baseline"):
        for name, v in out[part].items():
            assert v["ci"][0] <= v["value"] + 1e-9 <= v["ci"][1] + 2e-9, name


# --- ranking and models -----------------------------------------------------------------------------


def test_top_n_excludes_and_pads():
    s = np.array([[0.9, 0.8, 0.1, 0.5]])
    items, _ = top_n(s, 3, sp.csr_matrix(np.array([[1, 0, 0, 1]])))
    assert items.tolist() == [[1, 2, -1]]


def test_item_knn_shrinkage_by_hand():
    X = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [1, 0, 1], [0, 0, 1]], float))
    S = ItemKNN(k=5, shrink=1.0).fit(X).similarity_
    # items 0 and 1: co-occur twice, norms sqrt(3), sqrt(2)
    assert S[0, 1] == pytest.approx(2 / (np.sqrt(6) + 1), rel=1e-6)
    assert S[0, 0] == 0
    S1 = ItemKNN(k=1, shrink=0.0).fit(X).similarity_
    assert (np.count_nonzero(S1, axis=0) <= 1).all()


def test_ease_matches_closed_form():
    rng = np.random.default_rng(1)
    X = sp.csr_matrix((rng.random((60, 8)) < 0.3).astype(float))
    lam = 5.0
    B = EASE(lam).fit(X).weights_
    G = X.T @ X + lam * np.eye(8)
    # each column solves min |X_j - X b|^2 + lam |b|^2 with b_j = 0
    for j in range(8):
        idx = [i for i in range(8) if i != j]
        Gj = np.asarray(G)[np.ix_(idx, idx)]
        b = np.linalg.solve(Gj, np.asarray((X.T @ X).toarray())[idx, j])
        assert B[idx, j] == pytest.approx(b, abs=1e-4)
    assert np.allclose(np.diag(B), 0)


def test_popularity_counts_users():
    X = sp.csr_matrix(np.array([[1, 0, 1], [1, 0, 0]], float))
    assert Popularity().fit(X).popularity_.tolist() == [2, 0, 1]


# --- split: no leakage --------------------------------------------------------------------------------


def _frame(rng, users=80, items=30, n=1500):
    u = rng.integers(0, users, n)
    i = (u % 5) * 6 + rng.integers(0, 6, n)  # 5 taste groups of 6 items
    i = np.where(rng.random(n) < 0.2, rng.integers(0, items, n), i)
    return pd.DataFrame({"user": u.astype(str), "item": i.astype(str), "time": rng.integers(0, 10_000, n)})


def test_temporal_split_has_no_leakage():
    df = _frame(np.random.default_rng(0))
    x = Interactions.from_frame(df, "user", "item", "time")
    s = temporal_split(x, 0.8)
    assert s.train.times.max() <= s.cutoff
    X = s.train.matrix()
    assert s.test.multiply(X).nnz == 0  # no train item is a test item
    train_users = set(np.unique(s.train.users))
    assert set(s.test_users) <= train_users  # only users known in train are tested
    later = x.subset(x.times > s.cutoff)
    got = set(zip(*s.test.nonzero(), strict=True))
    want = {(u, i) for u, i in zip(later.users, later.items, strict=True) if u in train_users and X[u, i] == 0}
    assert got == want


def test_validation_is_carved_from_train_only():
    df = _frame(np.random.default_rng(0))
    x = Interactions.from_frame(df, "user", "item", "time")
    s = temporal_split(x, 0.8)
    t = tune(s.train, grid=SMALL_GRID)
    folds = t["validation"]["folds"]
    assert [f["quantile"] for f in folds] == list(VALIDATION_QUANTILES)
    for f in folds:
        assert f["cutoff"] <= s.cutoff
        assert f["cutoff"] == pytest.approx(np.quantile(s.train.times, f["quantile"]))
    # changing the test period changes nothing in the tuning
    df2 = df.copy()
    late = df2["time"] > s.cutoff
    df2.loc[late, "item"] = "0"
    ev1 = evaluate(df, "user", "item", "time", n_boot=50, grid=SMALL_GRID)
    ev2 = evaluate(df2, "user", "item", "time", n_boot=50, grid=SMALL_GRID)
    strip = lambda t: {k: v for k, v in t.items() if k != "standard_error"}
    assert strip(ev1.record["tuning"]["ease"]) == strip(ev2.record["tuning"]["ease"])


def test_evaluate_record_and_train_items_excluded():
    df = _frame(np.random.default_rng(2))
    ev = evaluate(df, "user", "item", "time", n_boot=100, grid=SMALL_GRID)
    r = ev.record
    assert r["use_case"] == "recommend" and r["primary_metric"] == "ndcg@10"
    from nomagic.lifecycle.record import validate

    validate(r)  # saved recommendation records load again: their metric names are registered
    for k in ("ndcg@10", "recall@10", "coverage@10", "novelty@10"):
        for part in ("model", "baseline", "improvement"):
            assert set(r["metrics"][part][k]) == {"value", "ci"}
    imp = r["metrics"]["improvement"]["ndcg@10"]
    assert r["verdict"] == ("promoted" if imp["ci"][0] > 0 else "not better than baseline")
    assert r["verdict"] == "promoted"  # taste groups are learnable; popularity is not


def test_evaluate_with_given_test_table():
    df = _frame(np.random.default_rng(3))
    cut = df["time"].quantile(0.8)
    tr, te = df[df["time"] <= cut], df[df["time"] > cut]
    a = evaluate(df, "user", "item", "time", n_boot=50, grid=SMALL_GRID).record
    b = evaluate(tr, "user", "item", "time", te, n_boot=50, grid=SMALL_GRID).record
    assert a["split"]["test_interactions"] == b["split"]["test_interactions"]
    assert a["metrics"]["model"]["ndcg@10"]["value"] == pytest.approx(b["metrics"]["model"]["ndcg@10"]["value"])


def test_not_ready_with_too_few_users():
    df = pd.DataFrame({"u": ["a", "a", "b"], "i": ["x", "y", "x"], "t": [1, 2, 3]})
    assert evaluate(df, "u", "i", "t", n_boot=10).verdict == "not ready"


# --- recency blend and validation at several cutoffs ---------------------------------------------


def test_blend_scores_by_hand():
    S = np.array([[2.0, -4.0, 1.0], [0.0, 0.0, 0.0]])
    recent = np.array([0.0, 0.5, 1.0])
    got = blend_scores(S, recent, 0.25)
    want = np.array([[0.75 * 0.5, 0.75 * -1.0 + 0.125, 0.75 * 0.25 + 0.25], [0.0, 0.125, 0.25]])
    assert got == pytest.approx(want)
    assert blend_scores(S, recent, 0.0) == pytest.approx(S)  # weight 0: the item model alone


def test_recency_blend_extremes_and_reasons():
    X = sp.csr_matrix(np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 1]], float))
    R = sp.csr_matrix(np.array([[0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 1, 0], [0, 0, 0, 0]], float))
    ease = EASE(1.0).fit(X)
    alone = RecencyBlend(EASE(1.0), 0.0).fit(X, R)
    assert alone.scores(X) == pytest.approx(ease.scores(X))
    trend = RecencyBlend(EASE(1.0), 1.0).fit(X, R)
    assert trend.recent_ == pytest.approx([0, 0, 0.5, 1.0])
    assert (trend.scores(X).argmax(axis=1) == 3).all()  # weight 1: what is popular right now, for everybody
    assert trend.weights_ is trend.model.weights_  # reasons ("because you bought") come from the item model
    with pytest.raises(Exception, match="between 0 and 1"):
        RecencyBlend(EASE(1.0), 1.5).fit(X, R)
    assert isinstance(make_model("ease", {"lam": 1.0, "recent": 0.5}), RecencyBlend)
    assert isinstance(make_model("ease", {"lam": 1.0, "recent": 0.0}), EASE)


def _trend_frame(rng, n_users=300, n_items=60, n=9000):
    """Taste groups plus a trend: later in time, interactions move to ever newer items (new releases)."""
    t = np.sort(rng.integers(0, 100_000, n))
    u = rng.integers(0, n_users, n)
    taste = (u % 5) * 6 + rng.integers(0, 6, n)
    release = 30 + (t * 30 // 100_000)  # item 30 + j is "released" at time j / 30 of the span
    newest = np.maximum(30, release - rng.integers(0, 2, n))
    i = np.where(rng.random(n) < 0.5, newest, taste)
    return pd.DataFrame({"user": u.astype(str), "item": i.astype(str), "time": t})


def test_blend_with_recent_popularity_is_chosen_when_new_items_dominate():
    df = _trend_frame(np.random.default_rng(0))
    grid = {"ease": [{"lam": 10.0, "half_life": None, "recent": w, "recent_half_life": 0.02} for w in (0.0, 0.5)]}
    ev = evaluate(df, "user", "item", "time", kinds=("ease",), n_boot=50, grid=grid)
    assert ev.record["params"]["recent"] == 0.5, ev.record["tuning"]
    assert isinstance(ev.model, RecencyBlend)
    plain = evaluate(df, "user", "item", "time", kinds=("ease",), n_boot=50, grid={"ease": grid["ease"][:1]})
    assert ev.record["metrics"]["model"]["ndcg@10"]["value"] > plain.record["metrics"]["model"]["ndcg@10"]["value"]
    assert "recent popularity" in ev.record["model"]["words"]


def test_tune_averages_over_cutoffs_and_half_lives_are_seconds():
    df = _trend_frame(np.random.default_rng(1))
    x = Interactions.from_frame(df, "user", "item", "time")
    s = temporal_split(x, 0.8)
    grid = {"ease": [{"lam": 10.0, "half_life": 0.1}, {"lam": 10.0, "half_life": None}]}
    one = tune(s.train, ("ease",), quantiles=0.8, grid=grid)
    many = tune(s.train, ("ease",), grid=grid)
    assert len(one["validation"]["folds"]) == 1 and len(many["validation"]["folds"]) == len(VALIDATION_QUANTILES)
    assert many["ease"]["validation_ndcg@10"] == pytest.approx(np.mean(many["ease"]["folds"]))
    assert many["popularity"]["validation_ndcg@10"] == pytest.approx(np.mean(many["popularity"]["folds"]))
    # one cutoff at 0.8 gives the same value as the 0.8 fold of the several
    k = list(VALIDATION_QUANTILES).index(0.8)
    if one["ease"]["params"] == many["ease"]["params"]:
        assert one["ease"]["validation_ndcg@10"] == pytest.approx(many["ease"]["folds"][k])
    # a half-life is a share of the span passed in (the whole training period), not of each fold's span
    fold = temporal_split(s.train, 0.7)
    span = float(s.train.times.max() - s.train.times.min())
    a = fit_model("ease", {"lam": 10.0, "half_life": 0.1}, fold.train, span=span)
    b = EASE(10.0).fit(fold.train.matrix(half_life=0.1 * span))
    assert a.weights_ == pytest.approx(b.weights_)


# --- online rules ---------------------------------------------------------------------------------


def _rec(**kw):
    items = ["p0", "p1", "p2", "p3", "p4"]
    top = np.array([[0, 1, 2, 3, 4], [4, 3, 2, 1, 0]])
    sc = np.array([[5, 4, 3, 2, 1], [5, 4, 3, 2, 1]], float)
    return Recommender(
        ["a", "b"],
        top,
        sc,
        items,
        popular=np.array([2, 0, 1, 3, 4]),
        segment_popular={"DE": np.array([4, 3, 2, 1, 0])},
        segment_of={"new_de": "DE"},
        segment_label="country",
        categories=["x", "x", "x", "y", "y"],
        **kw,
    )


def ids(out):
    return [o["product_id"] for o in out]


def test_rules_stock_blocked_boost_diversity_consent():
    assert ids(_rec().recommend("a", 3)) == ["p0", "p1", "p2"]
    assert ids(_rec(in_stock=np.array([0, 1, 1, 1, 1], bool)).recommend("a", 2)) == ["p1", "p2"]
    assert ids(_rec(blocked=["p1"]).recommend("a", 2)) == ["p0", "p2"]
    assert ids(_rec(boosted={"p4": 10.0}).recommend("a", 2)) == ["p4", "p0"]
    assert ids(_rec(max_per_category=1).recommend("a", 3)) == ["p0", "p3"]  # two categories: two items
    assert ids(_rec(max_per_category=1).recommend("a", 2)) == ["p0", "p3"]
    assert _rec(no_consent=["a"]).recommend("a", 3) == []
    r = _rec()
    r.set_stock("p0", False)
    assert "p0" not in ids(r.recommend("a", 5))


def test_cold_start_customers_get_popular_in_segment():
    out = _rec().recommend("new_de", 2)
    assert ids(out) == ["p4", "p3"] and out[0]["reason"] == "popular in country DE"
    out = _rec().recommend("stranger", 2)
    assert ids(out) == ["p2", "p0"] and out[0]["reason"] == "popular overall"
    assert _rec(no_consent=["new_de"]).recommend("new_de", 2) == []


def test_build_recommender_reasons_and_new_products_by_content():
    df = pd.DataFrame(
        {
            "c": ["u1", "u1", "u2", "u2", "u3", "u3", "u4"],
            "p": ["tea_green", "tea_black", "tea_green", "tea_black", "mug", "spoon", "tea_green"],
            "t": range(7),
        }
    )
    products = pd.DataFrame(
        {
            "product_id": ["tea_green", "tea_black", "mug", "spoon", "tea_white"],
            "name": ["green tea", "black tea", "coffee mug", "tea spoon", "white tea"],
            "description": ["loose leaf tea", "loose leaf tea", "ceramic mug", "steel spoon", "loose leaf tea"],
            "category": ["tea", "tea", "kitchen", "kitchen", "tea"],
            "in_stock": [True, True, True, False, True],
        }
    )
    customers = pd.DataFrame(
        {"customer_id": ["u1", "u2", "u3", "u4", "u5"], "consent_profiling": [True, True, True, True, False]}
    )
    x = Interactions.from_frame(df, "c", "p", "t", item_ids=products["product_id"])
    model = EASE(1.0).fit(x.matrix())
    rec = build_recommender(x, model, n=5, products=products, customers=customers)
    out = rec.recommend("u4", 3)
    assert "tea_green" not in ids(out)  # already bought
    assert "spoon" not in ids(out)  # out of stock
    # reasons name the product by its name (the catalogue has no German names here: the same name)
    assert ids(out)[0] == "tea_black" and out[0]["reason"] == "because you bought green tea"
    assert out[0]["reason"].de == "passend zu Ihrem Kauf: green tea"
    new = [o for o in out if o["product_id"] == "tea_white"]
    assert new and new[0]["reason"] == "similar to green tea you bought"  # a new product, by content
    assert rec.recommend("u5", 3) == []  # no consent
    C = content_similarity(products).toarray()
    assert C[4, 0] > C[4, 2]  # white tea is closer to green tea than to the mug
