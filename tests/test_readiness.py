"""Readiness: per-table checks, per-use-case checks, leakage suspects, plain files, the CLI."""

from __future__ import annotations

import json
import sys
import types
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nomagic.cli import main
from nomagic.errors import InputError
from nomagic.report.readiness import render_html
from nomagic.warehouse import load
from nomagic.warehouse.leakage import after_cutoff, leakage_suspects, single_column_auc
from nomagic.warehouse.readiness import (
    NOT_READY,
    READY,
    WARNINGS,
    Finding,
    Requirements,
    check_file,
    check_tables,
    check_use_case,
    check_warehouse,
    verdict_of,
)

NOW = datetime(2024, 7, 15)


# -- synthetic data ---------------------------------------------------------------------------------


def churn_frame(n: int = 1500, seed: int = 0, *, leak: bool = False) -> pd.DataFrame:
    """A plain churn table: honest signals of moderate strength, optionally one planted leak."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 72, n)
    contract = rng.choice(["monthly", "one year", "two year"], n, p=[0.5, 0.3, 0.2])
    charges = rng.normal(60, 20, n).round(2)
    logit = -0.5 - 0.03 * tenure + np.where(contract == "monthly", 1.0, -0.5) + 0.01 * (charges - 60)
    churn = rng.random(n) < 1 / (1 + np.exp(-logit))
    df = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "tenure": tenure,
            "contract": contract,
            "charges": charges,
            "region": rng.choice(["north", "south", "east", "west"], n),
            "churn": np.where(churn, "Yes", "No"),
        }
    )
    if leak:  # a status column filled in when the customer left
        status = np.where(churn, "cancelled", "active")
        flip = rng.random(n) < 0.01
        df["status"] = np.where(flip, np.where(churn, "active", "cancelled"), status)
    return df


def write_csv(tmp_path: Path, name: str, df: pd.DataFrame) -> Path:
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


def build_world(tmp_path: Path, *, customers: int = 200, days: int = 540, seed: int = 1) -> tuple[Path, Path]:
    """customers.csv and orders.csv of a small shop: signups in 2023, orders until mid-2024."""
    rng = np.random.default_rng(seed)
    start = datetime(2023, 1, 1)
    cust = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(customers)],
            "created_at": [start + timedelta(days=int(d)) for d in rng.integers(0, 60, customers)],
            "country": rng.choice(["DE", "AT", "CH"], customers),
            "consent_email": rng.choice(["yes", "no"], customers),
            "consent_profiling": "yes",
        }
    )
    rows = []
    for i in range(customers):
        active_until = days if rng.random() < 0.6 else int(rng.integers(60, days))  # the others stop: churners
        first = (cust.created_at[i] - start).days
        for d in sorted(rng.integers(first, max(first + 1, active_until), int(rng.integers(2, 12)))):
            rows.append(
                (f"c{i}", start + timedelta(days=int(d), hours=int(rng.integers(0, 23))), float(rng.gamma(2, 30)))
            )
    orders = pd.DataFrame(rows, columns=["customer_id", "ordered_at", "revenue"])
    orders.insert(0, "order_id", [f"o{i}" for i in range(len(orders))])
    return write_csv(tmp_path, "customers.csv", cust), write_csv(tmp_path, "orders.csv", orders)


def churn_label(wh, as_of: datetime):
    """Customers who ordered before ``as_of``: label True when they do not order in the 90 days after."""
    o = wh.table("orders")
    before = o.filter(o.ordered_at < as_of).select(unit_id=o.customer_id).distinct()
    window = (o.ordered_at >= as_of) & (o.ordered_at < as_of + timedelta(days=90))
    after = o.filter(window).select(buyer=o.customer_id).distinct()
    joined = before.left_join(after, before.unit_id == after.buyer)
    return joined.select(unit_id=joined.unit_id, label=joined.buyer.isnull())


def honest_features(wh, as_of: datetime):
    o = wh.table("orders")
    past = o.filter(o.ordered_at < as_of)
    return past.group_by(unit_id=past.customer_id).aggregate(
        orders=past.count(), revenue=past.revenue.sum(), last_order_at=past.ordered_at.max()
    )


def leaky_features(wh, as_of: datetime):
    """Features computed over *all* orders: the last order date lies after the cutoff for the loyal ones."""
    o = wh.table("orders")
    return o.group_by(unit_id=o.customer_id).aggregate(orders=o.count(), last_order_at=o.ordered_at.max())


CHURN = Requirements(
    tables={"customers": ["customer_id", "created_at"], "orders": ["customer_id", "ordered_at", "revenue"]},
    min_history_days=180,
    min_units=50,
    units="customers.customer_id",
    label=churn_label,
    horizon_days=90,
    min_labels=50,
    history_tables=("orders",),
    description="who stops buying in the next 90 days",
)


@pytest.fixture
def world(wh, tmp_path):
    customers, orders = build_world(tmp_path)
    load(wh, "customers", str(customers), now=NOW)
    load(wh, "orders", str(orders), now=NOW)
    return wh


# -- verdicts --------------------------------------------------------------------------------------


def test_verdict_of_levels():
    assert verdict_of([]) == READY
    assert verdict_of([Finding("info", "x", "fine")]) == READY
    assert verdict_of([Finding("info", "x", "a"), Finding("warning", "y", "b")]) == WARNINGS
    assert verdict_of([Finding("warning", "y", "b"), Finding("blocker", "z", "c")]) == NOT_READY
    with pytest.raises(ValueError):
        Finding("fatal", "x", "no such level")


def test_requirements_normalise_tables():
    req = Requirements(tables=["customers", "orders"])
    assert req.tables["orders"] == ("order_id", "customer_id", "ordered_at", "revenue")
    assert Requirements(tables={"orders": ["revenue"]}).tables == {"orders": ("revenue",)}


# -- leakage ---------------------------------------------------------------------------------------


def test_single_column_auc_kinds():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000).astype(bool)
    assert single_column_auc(pd.Series(np.where(y, 1.0, 0.0) + rng.normal(0, 0.05, 2000)), y) > 0.99
    assert single_column_auc(pd.Series(rng.normal(size=2000)), y) < 0.56
    assert single_column_auc(pd.Series(np.where(y, "gone", "here")), y) > 0.99
    # a column with many random levels cannot score by memorising them: out-of-fold rates
    many = pd.Series([f"k{v}" for v in rng.integers(0, 800, 2000)])
    assert single_column_auc(many, y) < 0.58
    # blank exactly when the label is negative (a cancellation date) is caught too
    dates = pd.Series(np.where(y, rng.normal(100, 30, 2000), np.nan))
    assert single_column_auc(dates, y) > 0.99


def test_planted_leak_is_flagged_with_its_auc():
    df = churn_frame(leak=True).drop(columns="customer_id")
    report = leakage_suspects(df, "churn")
    assert [s.column for s in report.suspects] == ["status"]
    suspect = report.suspects[0]
    assert suspect.level == "blocker" and suspect.auc >= 0.95
    assert "AUC" in suspect.evidence and "cancelled" in suspect.evidence
    assert report.signals[0].column == "status"


def test_clean_table_is_not_flagged():
    report = leakage_suspects(churn_frame().drop(columns="customer_id"), "churn")
    assert report.suspects == []
    assert 0.6 < report.best.auc < 0.9  # real signals are strong but not magic


def test_far_better_than_the_rest_is_a_warning():
    rng = np.random.default_rng(3)
    n = 3000
    y = rng.integers(0, 2, n)
    df = pd.DataFrame(
        {
            "y": y,
            "weak": y * 0.2 + rng.normal(size=n),
            "strong": y * 2.1 + rng.normal(size=n),
            "noise": rng.normal(size=n),
        }
    )
    report = leakage_suspects(df, "y")
    assert [(s.column, s.level) for s in report.suspects] == [("strong", "warning")]
    assert "next best" in report.suspects[0].evidence


def test_timestamp_after_cutoff_is_flagged():
    df = pd.DataFrame(
        {
            "snapshot": pd.to_datetime(["2024-01-01"] * 4),
            "signup": pd.to_datetime(["2023-01-01", "2023-05-01", "2023-07-01", "2023-09-01"]),
            "cancelled_at": pd.to_datetime(["2024-02-01", None, "2024-03-01", None]),
        }
    )
    found = after_cutoff(df, "snapshot")
    assert [(s.column, s.level, s.share_after_cutoff) for s in found] == [("cancelled_at", "blocker", 1.0)]
    assert after_cutoff(df, datetime(2025, 1, 1)) == []


def test_multiclass_and_numeric_labels():
    rng = np.random.default_rng(5)
    n = 1200
    y = rng.choice(["a", "b", "c"], n)
    df = pd.DataFrame({"y": y, "copy": pd.Series(y).map({"a": 1.0, "b": 2.0, "c": 3.0}), "x": rng.normal(size=n)})
    report = leakage_suspects(df, "y")
    assert report.label_kind == "multiclass" and [s.column for s in report.suspects] == ["copy"]
    spend = rng.gamma(2, 10, n)
    report = leakage_suspects(pd.DataFrame({"spend": spend, "twice": spend * 2, "x": rng.normal(size=n)}), "spend")
    assert report.label_kind.startswith("numeric") and [s.column for s in report.suspects] == ["twice"]


# -- plain files -----------------------------------------------------------------------------------


def test_file_with_planted_leak_is_not_ready(tmp_path):
    path = write_csv(tmp_path, "leaky.csv", churn_frame(leak=True))
    r = check_file(path, "churn")
    assert r.verdict == NOT_READY
    assert r.id_columns == ["customer_id"]
    assert [s.column for s in r.leakage.suspects] == ["status"]
    doc = r.to_dict()
    assert doc["verdict"] == NOT_READY and doc["kind"] == "file" and doc["schema"] == 1
    assert doc["leakage"]["suspects"][0]["auc"] >= 0.95
    assert doc["findings"][0]["level"] == "blocker" and "status" in doc["findings"][0]["message"]
    json.dumps(doc)  # serialisable
    # leaving the column out (the user's decision) makes it ready
    assert check_file(path, "churn", drop=["status"]).verdict == READY


def test_clean_file_is_ready_and_explains_why(tmp_path):
    r = check_file(write_csv(tmp_path, "clean.csv", churn_frame()), "churn")
    assert r.verdict == READY, r.reasons
    assert r.label.kind == "binary" and r.label.positive == "Yes"
    messages = " ".join(f.message for f in r.findings)
    assert "class balance" in messages and "no leakage suspect" in messages and "stratified split" in messages


def test_file_blanks_text_numbers_constants_and_duplicates(tmp_path):
    df = churn_frame(400, seed=2)
    df["charges"] = df.charges.astype(str)
    df.loc[[3, 7, 11], "charges"] = " "  # blank, like Telco's TotalCharges
    df.loc[5, "charges"] = "n/a"
    df["plan"] = "basic"  # constant
    df["notes"] = np.where(np.arange(400) % 10 == 0, "vip", "")  # mostly blank
    df = pd.concat([df, df.iloc[[0, 1]]], ignore_index=True)  # two exact copies
    r = check_file(write_csv(tmp_path, "messy.csv", df), "churn")
    cols = {c.name: c for c in r.columns}
    assert cols["charges"].kind == "numeric" and cols["charges"].missing == 4
    assert "numbers stored as text" in cols["charges"].note
    assert r.constant_columns == ["plan"]
    assert cols["notes"].missing_share > 0.5
    assert r.duplicate_rows == 2
    assert r.verdict == WARNINGS
    subjects = {f.subject for f in r.findings if f.level == "warning"}
    assert {"plan", "notes", "duplicates"} <= subjects


def test_file_time_column_and_date_recorded_after_it(tmp_path):
    df = churn_frame(600, seed=4)
    rng = np.random.default_rng(4)
    snap = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 180, 600), unit="D")
    df["snapshot"] = snap.strftime("%Y-%m-%d")
    left = snap + pd.to_timedelta(rng.integers(1, 60, 600), unit="D")
    df["left_at"] = np.where(df.churn == "Yes", left.strftime("%Y-%m-%d"), "")
    r = check_file(write_csv(tmp_path, "timed.csv", df), "churn", time="snapshot")
    assert r.time.first.startswith("2024-01") and r.time.span_days > 100
    flagged = {(s.column, s.reason) for s in r.leakage.suspects}
    assert ("left_at", "recorded after the cutoff") in flagged
    assert r.verdict == NOT_READY


def test_file_label_problems(tmp_path):
    df = churn_frame(300)
    path = write_csv(tmp_path, "c.csv", df)
    with pytest.raises(InputError) as err:
        check_file(path, "Churn")
    assert "c.csv" in str(err.value) and "customer_id, tenure" in str(err.value)
    with pytest.raises(InputError, match="--time"):
        check_file(path, "churn", time="when")
    one = write_csv(tmp_path, "one.csv", df.assign(churn="No"))
    r = check_file(one, "churn")
    assert r.verdict == NOT_READY and any("nothing to predict" in f.message for f in r.findings)
    rare = df.assign(churn=np.where(np.arange(300) < 5, "Yes", "No"))
    r = check_file(write_csv(tmp_path, "rare.csv", rare), "churn")
    assert r.verdict == NOT_READY and any("rarest class" in f.message for f in r.findings)


def test_file_parquet_and_jsonl(tmp_path):
    df = churn_frame(300)
    df.to_parquet(tmp_path / "c.parquet")
    df.to_json(tmp_path / "c.jsonl", orient="records", lines=True)
    for name in ("c.parquet", "c.jsonl"):
        r = check_file(tmp_path / name, "churn")
        assert r.rows == 300 and r.label.rows == 300 and r.verdict in (READY, WARNINGS)


# -- the warehouse ---------------------------------------------------------------------------------


def test_tables_rows_coverage_freshness_and_quarantine(wh, tmp_path):
    orders = "order_id,customer_id,ordered_at,revenue\no1,c1,2024-01-01,10\no2,c9,2024-03-01,5\no3,c2,2024-02-01,-1\n"
    (tmp_path / "o.csv").write_text(orders)
    load(wh, "orders", str(tmp_path / "o.csv"), now=NOW)  # customers not loaded yet: c9 is accepted
    (tmp_path / "c.csv").write_text(
        "customer_id,created_at,country,consent_email,consent_profiling\n"
        "c1,2023-06-01,DE,yes,yes\nc2,2023-07-01,,no,no\n"
    )
    load(wh, "customers", str(tmp_path / "c.csv"), now=NOW)
    reports = {r.name: r for r in check_tables(wh, now=NOW)}
    assert set(reports) == {"customers", "orders"}
    o = reports["orders"]
    assert o.rows == 2 and o.quarantined == 1  # the negative revenue
    assert o.first.startswith("2024-01-01") and o.last.startswith("2024-03-01") and o.span_days == 60
    assert o.freshness_days == pytest.approx(136)
    assert [(r.column, r.broken) for r in o.references] == [("customer_id", 1)]
    assert o.verdict == WARNINGS
    warn = " ".join(f.message for f in o.findings if f.level == "warning")
    assert "quarantined" in warn and "not found in customers.customer_id" in warn and "days old" in warn
    c = reports["customers"]
    assert {col.name: col.missing for col in c.columns}["country"] == 1
    assert c.duplicate_keys == 0
    assert check_tables(wh, now=NOW, stale_days=None)[0].verdict == READY  # customers: nothing wrong


def test_duplicate_keys_and_missing_columns_block(wh):
    products = pd.DataFrame(
        {"product_id": ["p1", "p1", "p2"], "name": ["a", "b", "c"], "category": ["x"] * 3, "price": [1.0, 2.0, 3.0]}
    )
    wh.write("products", products)  # written directly, past the contract: no in_stock, a duplicate key
    r = check_tables(wh)[0]
    assert r.duplicate_keys == 1 and r.duplicate_key_rows == 2
    assert r.missing_columns == ["in_stock"]
    assert r.verdict == NOT_READY


def test_empty_warehouse_is_not_ready(wh):
    result = check_warehouse(wh)
    assert result.verdict == NOT_READY and "no canonical tables" in result.findings[0].message


def test_use_case_ready(world):
    r = check_use_case(world, CHURN, name="churn", now=NOW)
    assert r.verdict == READY, r.reasons
    assert r.history_days > 400 and r.units == 200
    assert r.as_of.startswith("2024-03")  # latest order minus the 90-day horizon
    assert r.label.kind == "binary" and r.label.rows > 100 and 0 < r.label.minority_share < 0.5


def test_use_case_not_enough_history_or_units(world):
    req = Requirements(tables=["customers", "orders"], min_history_days=1000, min_units=500, history_tables=("orders",))
    r = check_use_case(world, req, name="clv")
    assert r.verdict == NOT_READY
    text = " ".join(f.message for f in r.findings)
    assert "needs at least 1,000 days" in text and "only 200 units" in text


def test_use_case_missing_table_and_column(world):
    r = check_use_case(world, Requirements(tables={"messages": [], "orders": ["coupon"]}), name="uplift")
    msgs = [f.message for f in r.findings if f.level == "blocker"]
    assert any("needs table messages" in m and "nomagic load messages" in m for m in msgs)
    assert any("coupon" in m for m in msgs)


def test_use_case_leaky_features_are_flagged(world):
    honest = check_use_case(world, replace(CHURN, features=honest_features), name="churn")
    assert honest.leakage is not None and honest.leakage.suspects == []
    leaky = check_use_case(world, replace(CHURN, features=leaky_features), name="churn")
    by = {s.column: s for s in leaky.leakage.suspects}
    assert "last_order_at" in by and by["last_order_at"].reason == "recorded after the cutoff"
    assert leaky.verdict == NOT_READY


def test_use_case_verdict_ignores_tables_it_does_not_read(world):
    world.write("products", pd.DataFrame({"product_id": ["p1", "p1"]}))  # broken, but churn does not read it
    r = check_warehouse(world, CHURN, use_case="churn", now=NOW, stale_days=None)
    assert r.verdict == READY, r.reasons
    assert {t.name for t in r.tables} == {"customers", "orders", "products"}
    assert check_warehouse(world, now=NOW, stale_days=None).verdict == NOT_READY


def test_html_is_self_contained(world, tmp_path):
    r = check_warehouse(world, CHURN, use_case="churn", now=NOW)
    page = render_html(r)
    assert page.startswith("<!doctype html>") and "<style>" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert r.verdict in page and "orders" in page
    f = render_html(check_file(write_csv(tmp_path, "x.csv", churn_frame(200, leak=True)), "churn"))
    assert "status" in f and "suspect" in f and 'class="bar' in f


# -- the command line ------------------------------------------------------------------------------


def run_cli(*args: str) -> int:
    try:
        main(["check", *args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_cli_file_ready_and_not_ready(tmp_path, capsys):
    clean = write_csv(tmp_path, "clean.csv", churn_frame(600))
    out = tmp_path / "out.json"
    assert (
        run_cli("--data", str(clean), "--label", "churn", "--json", str(out), "--html", str(tmp_path / "o.html")) == 0
    )
    assert json.loads(out.read_text())["verdict"] == READY
    assert (tmp_path / "o.html").read_text().startswith("<!doctype html>")
    assert "ready" in capsys.readouterr().out

    leaky = write_csv(tmp_path, "leaky.csv", churn_frame(600, leak=True))
    assert run_cli("--data", str(leaky), "--label", "churn", "--json", str(out)) == 1  # not ready: 1
    doc = json.loads(out.read_text())  # ... and the JSON is still written
    assert doc["verdict"] == NOT_READY and doc["leakage"]["suspects"][0]["column"] == "status"
    assert "leakage suspect" in capsys.readouterr().out


def test_cli_errors_exit_2(tmp_path, capsys):
    path = write_csv(tmp_path, "c.csv", churn_frame(100))
    assert run_cli("--data", str(path), "--label", "Churn") == 2
    err = capsys.readouterr().err
    assert "c.csv" in err and "has no column 'Churn'" in err and "churn" in err
    assert run_cli("--data", str(path)) == 2
    assert run_cli("--label", "churn") == 2
    assert run_cli("--data", str(tmp_path / "nope.csv"), "--label", "churn") == 2
    assert "no such file" in capsys.readouterr().err
    assert run_cli("-w", str(tmp_path / "absent.duckdb")) == 2
    assert "no warehouse" in capsys.readouterr().err


def test_cli_warehouse_and_use_case(world, tmp_path, capsys, monkeypatch):
    url = world.url
    world.close()
    out = tmp_path / "wh.json"
    assert run_cli("-w", url, "--json", str(out), "--stale-days", "0") == 0
    doc = json.loads(out.read_text())
    assert doc["kind"] == "warehouse" and {t["name"] for t in doc["tables"]} == {"customers", "orders"}
    assert run_cli("-w", url, "--strict") == 1  # stale data is a warning; --strict fails on warnings

    # a use-case registry, as nomagic.usecases will provide it
    fake = types.ModuleType("nomagic.usecases")
    fake.REGISTRY = {"churn": type("Churn", (), {"requires": CHURN})}
    monkeypatch.setitem(sys.modules, "nomagic.usecases", fake)
    capsys.readouterr()
    assert run_cli("-w", url, "--use-case", "churn", "--json", str(out), "--stale-days", "0") == 0
    doc = json.loads(out.read_text())
    assert doc["use_case"]["name"] == "churn" and doc["use_case"]["label"]["kind"] == "binary"
    assert run_cli("-w", url, "--use-case", "nope") == 2
    assert "known use cases are: churn" in capsys.readouterr().err


def test_cli_unknown_use_case_without_registry(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "nomagic.usecases", None)  # import fails like a missing module
    assert run_cli("-w", "duckdb://:memory:", "--use-case", "churn") == 2
    assert "unknown use case 'churn'" in capsys.readouterr().err


# -- real data -------------------------------------------------------------------------------------


@pytest.mark.realdata
def test_telco_gives_a_verdict_without_false_leakage(tmp_path):
    from conftest import shared_data

    csv = shared_data("telco_churn", "Telco-Customer-Churn_IBM.csv")
    out = tmp_path / "out.json"
    assert run_cli("--data", str(csv), "--label", "Churn", "--json", str(out)) == 0
    doc = json.loads(out.read_text())
    assert doc["verdict"] in (READY, WARNINGS) and doc["rows"] == 7043
    assert doc["leakage"]["suspects"] == []
    auc = {s["column"]: s["auc"] for s in doc["leakage"]["signals"]}
    assert 0.65 < auc["tenure"] < 0.85 and 0.65 < auc["Contract"] < 0.85  # strong but legitimate
    assert max(auc.values()) < 0.85
    assert doc["id_columns"] == ["customerID"] and "customerID" not in auc
    cols = {c["name"]: c for c in doc["columns"]}
    assert cols["TotalCharges"]["kind"] == "numeric" and cols["TotalCharges"]["missing"] == 11
    assert doc["label"]["classes"] == {"No": 5174, "Yes": 1869}


def test_ibis_label_may_be_pandas_too(world):
    def pandas_label(wh, as_of):
        return churn_label(wh, as_of).to_pandas()

    r = check_use_case(world, replace(CHURN, label=pandas_label), name="churn")
    assert r.label.rows > 100


# -- PostgreSQL: the same Ibis checks on another engine ---------------------------------------------


@pytest.mark.postgres
def test_postgres_tables_and_use_case(pg_wh, wh, tmp_path):
    customers, orders = build_world(tmp_path, customers=150)
    load(wh, "customers", str(customers), now=NOW)
    (tmp_path / "more.csv").write_text("order_id,customer_id,ordered_at,revenue\nx1,c1,2024-01-01,-5\n")
    load(wh, "orders", str(orders), now=NOW)
    load(wh, "orders", str(tmp_path / "more.csv"), now=NOW)
    for name in ("customers", "orders", "quarantine"):  # the same tables, copied (loading is tested elsewhere)
        pg_wh.write(name, wh.table(name).to_pyarrow())
    result = check_warehouse(pg_wh, CHURN, use_case="churn", now=NOW, stale_days=None)
    same = check_warehouse(wh, CHURN, use_case="churn", now=NOW, stale_days=None)
    tables = {t.name: t for t in result.tables}
    assert tables["customers"].rows == 150 and tables["orders"].quarantined == 1
    assert tables["orders"].references[0].broken == 0 and tables["orders"].span_days > 400
    assert result.use_case.units == 150 and result.use_case.label.rows > 50
    assert result.verdict == WARNINGS  # the quarantined row
    strip = lambda d: {k: v for k, v in d.items() if k != "warehouse"}  # noqa: E731
    assert strip(result.to_dict()) == strip(same.to_dict())  # DuckDB and PostgreSQL agree
