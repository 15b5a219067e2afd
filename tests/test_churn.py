"""Churn on the warehouse: point in time, labels, population, backtest, CLI, and the simulated truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nomagic.cli import main
from nomagic.lifecycle import record as rec
from nomagic.lifecycle.registry import Registry
from nomagic.lifecycle.scoring import score
from nomagic.usecases import REGISTRY, Churn, Propensity
from nomagic.usecases.features import feature_family

T0 = pd.Timestamp("2024-01-01")


def _ts(s: pd.Series) -> pd.Series:
    return pd.Series(pd.to_datetime(s)).dt.floor("s").astype("datetime64[us]")


def toy_world(wh, n: int = 600, days: int = 420, seed: int = 0):
    """A small hand-made shop: Poisson orders until a random dropout, visits while alive, e-mails."""
    rng = np.random.default_rng(seed)
    ids = [f"C{i:05d}" for i in range(n)]
    signup = rng.uniform(0, days * 0.5, n)
    country = rng.choice(["DE", "AT", "US"], n, p=[0.6, 0.2, 0.2])
    lam = rng.gamma(1.5, 1 / 40, n) * np.where(country == "US", 0.7, 1.0)
    drop = signup + rng.exponential(250, n)
    wh.write(
        "customers",
        pd.DataFrame(
            {
                "customer_id": ids,
                "created_at": _ts(T0 + pd.to_timedelta(signup, unit="D")),
                "country": country,
                "consent_email": rng.random(n) < 0.8,
                "consent_profiling": rng.random(n) < 0.95,
                "gender": rng.choice(["female", "male"], n),
                "age_band": rng.choice(["18-34", "35-54", "55+"], n),
            }
        ),
    )
    orders, visits = [], []
    for i in range(n):
        end = min(drop[i], days)
        t = signup[i]
        while (t := t + rng.exponential(1 / lam[i])) < end:
            orders.append((f"O{len(orders):07d}", ids[i], T0 + pd.Timedelta(days=t), float(rng.gamma(3, 20))))
        for t in rng.uniform(signup[i], end, rng.poisson(max(end - signup[i], 0) * lam[i] * 3)):
            visits.append((f"E{len(visits):08d}", ids[i], T0 + pd.Timedelta(days=t), "visit"))
    o = pd.DataFrame(orders, columns=["order_id", "customer_id", "ordered_at", "revenue"])
    o["ordered_at"] = _ts(o["ordered_at"])
    e = pd.DataFrame(visits, columns=["event_id", "customer_id", "occurred_at", "type"])
    e["occurred_at"] = _ts(e["occurred_at"])
    e["product_id"] = pd.Series([None] * len(e), dtype="string")
    e["campaign_id"] = pd.Series([None] * len(e), dtype="string")
    wh.write("orders", o)
    wh.write("events", e)
    return wh


# -- point in time ---------------------------------------------------------------------------------

AS_OF = pd.Timestamp("2024-06-01")


def _tiny(wh):
    """Three customers and every kind of row, all before AS_OF."""
    wh.write(
        "customers",
        pd.DataFrame(
            {
                "customer_id": ["A", "B", "C", "D", "E"],
                "created_at": _ts(pd.Series(["2023-01-01", "2023-02-01", "2023-03-01", "2022-01-01", "2023-01-01"])),
                "country": ["DE", "AT", "DE", "DE", "US"],
                "consent_email": [True] * 5,
                "consent_profiling": [True, True, True, True, False],
                "gender": ["female", "male", "female", "male", "female"],
            }
        ),
    )
    o = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
            "customer_id": ["A", "A", "B", "C", "D", "E"],
            "ordered_at": _ts(
                pd.Series(["2024-01-10", "2024-05-01", "2024-03-01", "2024-05-20", "2022-06-01", "2024-05-01"])
            ),
            "revenue": [50.0, 70.0, 20.0, 35.0, 10.0, 5.0],
        }
    )
    wh.write("orders", o)
    wh.write(
        "products",
        pd.DataFrame(
            {
                "product_id": ["p1", "p2"],
                "name": ["x", "y"],
                "category": ["shoes", "bags"],
                "price": [10.0, 20.0],
                "in_stock": [True, True],
            }
        ),
    )
    wh.write(
        "order_lines",
        pd.DataFrame(
            {
                "order_id": ["o1", "o2", "o3", "o4"],
                "product_id": ["p1", "p2", "p1", "p2"],
                "quantity": [1, 2, 1, 1],
                "price": [10.0, 20.0, 10.0, 20.0],
            }
        ),
    )
    wh.write(
        "events",
        pd.DataFrame(
            {
                "event_id": ["e1", "e2", "e3"],
                "customer_id": ["A", "B", "C"],
                "occurred_at": _ts(pd.Series(["2024-05-30", "2024-04-01", "2024-05-25"])),
                "type": ["visit", "view", "cart"],
                "product_id": pd.Series([None, "p1", "p2"], dtype="string"),
                "campaign_id": pd.Series([None] * 3, dtype="string"),
            }
        ),
    )
    wh.write(
        "messages",
        pd.DataFrame(
            {
                "message_id": ["m1", "m2"],
                "campaign_id": ["k1", "k1"],
                "customer_id": ["A", "B"],
                "sent_at": _ts(pd.Series(["2024-05-10", "2024-05-28"])),
                "in_control": [False, False],
                "opened_at": _ts(pd.Series(["2024-05-11", None])),
                "clicked_at": _ts(pd.Series([None, None])),
            }
        ),
    )
    wh.write(
        "documents",
        pd.DataFrame(
            {
                "document_id": ["d1"],
                "source": ["ticket"],
                "created_at": _ts(pd.Series(["2024-05-02"])),
                "text": ["where is my parcel"],
                "label": ["delivery"],
                "customer_id": ["B"],
            }
        ),
    )


def _future(wh):
    """Rows on or after AS_OF in every table, and a message sent before it but opened after it."""
    ts = lambda *v: _ts(pd.Series(list(v)))  # noqa: E731
    wh.append(
        "customers",
        pd.DataFrame(
            {
                "customer_id": ["F"],
                "created_at": ts("2024-06-01"),
                "country": ["DE"],
                "consent_email": [True],
                "consent_profiling": [True],
                "gender": ["male"],
            }
        ),
    )
    wh.append(
        "orders",
        pd.DataFrame(
            {
                "order_id": ["f1", "f2", "f3"],
                "customer_id": ["A", "B", "F"],
                "ordered_at": ts("2024-06-01", "2024-07-15", "2024-06-02"),
                "revenue": [999.0, 5.0, 1.0],
            }
        ),
    )
    wh.append("order_lines", pd.DataFrame({"order_id": ["f1"], "product_id": ["p1"], "quantity": [9], "price": [10.0]}))
    wh.append(
        "events",
        pd.DataFrame(
            {
                "event_id": ["f1", "f2"],
                "customer_id": ["A", "C"],
                "occurred_at": ts("2024-06-01", "2024-06-03"),
                "type": ["visit", "cart"],
                "product_id": pd.Series([None, None], dtype="string"),
                "campaign_id": pd.Series([None, None], dtype="string"),
            }
        ),
    )
    wh.append(
        "messages",
        pd.DataFrame(
            {
                "message_id": ["f1", "f2"],
                "campaign_id": ["k1", "k1"],
                "customer_id": ["B", "A"],
                "sent_at": ts("2024-06-01", "2024-06-05"),
                "in_control": [False, False],
                "opened_at": ts("2024-06-02", "2024-06-05"),
                "clicked_at": ts("2024-06-03", None),
            }
        ),
    )
    # the open and click of m2 (sent before the cutoff) happen after it
    wh.con.raw_sql(
        "UPDATE messages SET opened_at = TIMESTAMP '2024-06-04', clicked_at = TIMESTAMP '2024-06-04' "
        "WHERE message_id = 'm2'"
    )
    wh.append(
        "documents",
        pd.DataFrame(
            {
                "document_id": ["f1"],
                "source": ["ticket"],
                "created_at": ts("2024-06-01"),
                "text": ["cancel"],
                "label": ["cancel"],
                "customer_id": ["C"],
            }
        ),
    )


@pytest.mark.parametrize("cls", [Churn, Propensity])
def test_no_feature_reads_past_the_cutoff(wh, cls):
    _tiny(wh)
    uc = cls()
    before = uc.dataset(wh, AS_OF, label=False)
    _future(wh)
    after = uc.dataset(wh, AS_OF, label=False)
    pd.testing.assert_frame_equal(before, after)
    assert "F" not in set(after["unit_id"])  # signed up at the cutoff: does not exist yet
    assert "E" not in set(after["unit_id"])  # no profiling consent
    feats = set(before.columns)
    for name in ("recency_days", "visits_90d", "opens_90d", "tickets_365d", "share_shoes", "country"):
        assert name in feats, name
    assert "gender" in feats and "gender" not in uc.feature_columns(before)  # audited, not a feature


def test_features_by_hand(wh):
    _tiny(wh)
    d = Churn().dataset(wh, AS_OF).set_index("unit_id")
    assert sorted(d.index) == ["A", "B", "C"]  # D: last order 2022, not active in the last year
    a = d.loc["A"]
    assert a.recency_days == pytest.approx(31.0) and a.orders_total == 2 and a.orders_90d == 1
    assert a.mean_gap_days == pytest.approx(112.0)
    assert a.overdue_ratio == pytest.approx(31 / ((112 + 90) / 2))  # the gap shrunk towards 90 days by one pseudo-gap
    assert d.loc["B"].overdue_ratio == pytest.approx(d.loc["B"].recency_days / 90)  # one order: against the prior
    assert a.opens_90d == 1 and a.emails_90d == 1 and a.open_rate_90d == 1.0
    assert a.share_bags == pytest.approx(40 / 50) and a.share_shoes == pytest.approx(10 / 50)
    assert d.loc["B"].tickets_90d == 1 and d.loc["B"].views_90d == 1
    assert np.isnan(d.loc["B"].mean_gap_days)


def test_labels_look_only_at_the_window(wh):
    _tiny(wh)
    _future(wh)
    churn = Churn().dataset(wh, AS_OF).set_index("unit_id")["label"]
    # A ordered on the cutoff day: not churned; B only 44 days later (inside 90): not churned; C never: churned
    assert churn.to_dict() == {"A": 0, "B": 0, "C": 1}
    prop = Propensity().dataset(wh, AS_OF).set_index("unit_id")["label"]
    # within 30 days: A yes (day 0), B no (day 44), C no; D (inactive but a customer) no
    assert prop.to_dict() == {"A": 1, "B": 0, "C": 0, "D": 0}


def test_requirements_and_registry_entry():
    assert set(REGISTRY) >= {"churn", "propensity"}
    req = Churn.requires
    assert req.horizon_days == 90 and "orders" in req.tables and req.label is not None
    assert feature_family("recency_days") == "recency" and feature_family("share_shoes") == "category_mix"


# -- the whole lifecycle on a toy shop -------------------------------------------------------------


def test_train_backtest_and_score(wh):
    toy_world(wh)
    uc = Churn(n_boot=200)
    result = uc.train(wh)
    r = rec.validate(result.record)
    assert r["split"]["kind"] == "rolling-time-cutoffs" and len(r["backtest"]) == 3
    assert r["metrics"]["model"]["roc_auc"]["value"] > 0.75
    assert r["verdict"] in ("promoted", "not better than baseline")
    assert r["scorer"] == ("model" if r["verdict"] == "promoted" else "baseline")
    for b in r["backtest"]:
        c = pd.Timestamp(b["cutoff"])
        assert all(pd.Timestamp(t) + pd.Timedelta(days=90) <= c for t in r["split"]["train_cutoffs"][b["cutoff"]])
    # predictions of one customer at several cutoffs: the CIs resample customers
    assert result.predictions["unit_id"].duplicated().any()
    assert {d["feature"] for d in r["drivers"][:5]} & {
        "recency_days",
        "days_since_visit",
        "overdue_ratio",
        "visits_30d",
        "visits_90d",
    }
    reg = Registry(wh.url.replace("duckdb://", "") + ".registry")
    v = reg.register(result)
    scores = score(uc, wh, reg)
    assert len(scores) == len(uc.dataset(wh, result.plan.score_as_of, label=False))
    assert scores["score"].between(0, 1).all() and set(scores["decile"]) <= set(range(1, 11))
    assert scores["model_version"].eq(v.version).all()
    assert scores["reason_1"].dropna().str.match(r"^risk (up|down): ").all()


def test_baseline_scores_when_the_gate_says_no(wh, tmp_path):
    toy_world(wh, n=400)
    uc = Churn(n_boot=100)
    result = uc.train(wh)
    result.record["verdict"] = "not better than baseline"
    result.record["scorer"] = "baseline"
    reg = Registry(tmp_path / "reg")
    reg.register(result)
    scores = score(uc, wh, reg)
    assert (scores["scorer"] == "baseline").all()
    assert scores["reason_1"].dropna().str.contains("no order for").all()
    assert scores["reason_2"].isna().all()


def test_cli_train_score_report(tmp_path, capsys, monkeypatch):
    from nomagic.warehouse import connect

    monkeypatch.delenv("NOMAGIC_REGISTRY", raising=False)
    path = str(tmp_path / "shop.duckdb")
    with connect(path) as w:
        toy_world(w, n=500)
    try:
        main(["train", "churn", "-w", path, "--json", str(tmp_path / "r.json")])
    except SystemExit as exc:
        assert exc.code in (0, None)
    out = capsys.readouterr().out
    assert "Reality check" in out and "registered churn v0001" in out
    assert (tmp_path / ".nomagic" / "registry" / "churn" / "v0001" / "card.html").exists()
    main(["score", "churn", "-w", path])
    assert "scores_churn" in capsys.readouterr().out
    with connect(path) as w:
        t = w.table("scores_churn").execute()
    assert {"customer_id", "score", "decile", "reason_1", "reason_2", "reason_3", "model_version"} <= set(t.columns)
    main(["score", "churn", "-w", path, "--out", str(tmp_path / "s.parquet")])
    assert len(pd.read_parquet(tmp_path / "s.parquet")) == len(t)
    main(["report", "-w", path, "--out", str(tmp_path / "report.html")])
    html = (tmp_path / "report.html").read_text()
    assert "Reality check" in html and "<svg" in html and "<script" not in html
    main(["models", "-w", path])
    assert "champion" in capsys.readouterr().out


def test_train_not_ready_exits_1(tmp_path, capsys):
    from nomagic.warehouse import connect

    path = str(tmp_path / "empty.duckdb")
    with connect(path) as w:
        _tiny(w)  # five customers over a few months: not enough
    with pytest.raises(SystemExit) as exc:
        main(["train", "churn", "-w", path])
    assert exc.value.code == 1
    assert "not ready" in capsys.readouterr().out


# -- the simulated world: its recorded churn drivers are what the model finds ----------------------


def test_true_churn_drivers_are_the_models_top_drivers(wh):
    from nomagic.simulate import simulate

    simulate(wh, customers=3000, days=730, seed=1)
    truth = wh.table("truth_churn_drivers").execute()  # tests may read the truth; models never do
    real = set(truth.loc[truth["effect"].isna() | (truth["effect"] != 0), "driver"])
    none = set(truth.loc[truth["effect"] == 0, "driver"])
    result = Churn(n_boot=100).train(wh)
    top5 = [d["feature"] for d in result.record["drivers"][:5]]
    families = {feature_family(f) for f in top5}
    assert families <= real, f"top-5 drivers {top5} include non-drivers {families - real}"
    assert not families & none
    assert len(families) >= 3  # several different true drivers, not one family five times
