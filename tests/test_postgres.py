"""The same loads on PostgreSQL: any Ibis backend URL behaves like the DuckDB file."""

from __future__ import annotations

import pytest
from test_ingest import CUSTOMERS, ORDERS, snapshot, write

from nomagic.errors import ContractError
from nomagic.warehouse import load, validate

pytestmark = pytest.mark.postgres


def test_postgres_load_quarantine_idempotent(pg_wh, tmp_path):
    assert pg_wh.backend == "postgres"
    load(pg_wh, "customers", str(write(tmp_path, "customers.csv", CUSTOMERS)))
    bad = ORDERS + "o9,c404,2024-03-01,5\no10,c1,2024-03-01,-1\n"
    r = load(pg_wh, "orders", str(write(tmp_path, "orders.csv", bad)))
    assert (r.inserted, r.quarantined) == (3, 2)
    reasons = {(i.row, i.column) for i in r.issues}
    assert reasons == {(4, "customer_id"), (5, "revenue")}
    r = load(pg_wh, "orders", str(tmp_path / "orders.csv"))
    assert (r.inserted, r.updated, r.unchanged) == (0, 0, 3)
    assert pg_wh.table("quarantine").count().execute() == 2  # not added twice
    changed = ORDERS.replace("o2,c2,2024-03-02,20", "o2,c2,2024-03-02,25")
    r = load(pg_wh, "orders", str(write(tmp_path, "o2.csv", changed)))
    assert (r.inserted, r.updated, r.unchanged) == (0, 1, 2)
    assert validate(pg_wh, "orders") == [] and validate(pg_wh, "customers") == []


def test_postgres_strict_changes_nothing(pg_wh, tmp_path):
    load(pg_wh, "customers", str(write(tmp_path, "customers.csv", CUSTOMERS)))
    before = snapshot(pg_wh)
    with pytest.raises(ContractError):
        load(pg_wh, "orders", str(write(tmp_path, "o.csv", ORDERS + "o9,c1,2099-01-01,5\n")), strict=True)
    assert snapshot(pg_wh) == before


def test_postgres_clean_loads_twice(pg_wh, tmp_path):
    path = str(write(tmp_path, "customers.csv", CUSTOMERS))
    assert load(pg_wh, "customers", path).inserted == 3
    r = load(pg_wh, "customers", path)
    assert (r.inserted, r.unchanged, r.quarantined) == (0, 3, 0)
    assert pg_wh.table("quarantine").count().execute() == 0


def test_postgres_upload_streams_in_batches(pg_wh, tmp_path, monkeypatch):
    from nomagic.warehouse import ingest

    monkeypatch.setattr(ingest, "UPLOAD_BATCH_ROWS", 7)
    load(pg_wh, "customers", str(write(tmp_path, "customers.csv", CUSTOMERS)))
    rows = "\n".join(f"x{i},c{1 + i % 3},2024-03-01,{i}" for i in range(50))
    r = load(pg_wh, "orders", str(write(tmp_path, "o.csv", "order_id,customer_id,ordered_at,revenue\n" + rows + "\n")))
    assert (r.inserted, r.quarantined) == (50, 0)
    assert pg_wh.table("orders").revenue.sum().execute() == sum(range(50))
