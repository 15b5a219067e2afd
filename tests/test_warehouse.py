"""Connecting to the warehouse, and the load-twice-is-load-once property."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nomagic.warehouse import connect, load
from nomagic.warehouse.connection import DEFAULT_PATH, resolve_url


def test_default_and_env_url(monkeypatch, tmp_path):
    monkeypatch.delenv("NOMAGIC_WAREHOUSE", raising=False)
    assert resolve_url() == f"duckdb://{DEFAULT_PATH}"
    monkeypatch.setenv("NOMAGIC_WAREHOUSE", str(tmp_path / "env.duckdb"))
    assert resolve_url() == f"duckdb://{tmp_path / 'env.duckdb'}"
    assert resolve_url("postgres://u@h/db") == "postgres://u@h/db"  # an explicit URL wins
    wh = connect()
    assert wh.backend == "duckdb" and (tmp_path / "env.duckdb").exists()
    wh.close()


def test_missing_folder_is_a_clear_error(tmp_path):
    import pytest

    from nomagic.errors import WarehouseError

    with pytest.raises(WarehouseError, match="does not exist"):
        connect(str(tmp_path / "no" / "such" / "w.duckdb"))


def test_password_never_in_messages():
    import pytest

    from nomagic.errors import WarehouseError

    with pytest.raises(WarehouseError) as err:
        connect("postgres://alice:s3cret@127.0.0.1:1/db")
    assert "s3cret" not in str(err.value) and "alice:***@" in str(err.value)


rows = st.lists(
    st.tuples(
        st.sampled_from([f"o{i}" for i in range(8)]),
        st.floats(min_value=-5, max_value=100, allow_nan=False).map(lambda x: round(x, 2)),
        st.sampled_from(["2024-01-01", "2024-02-30", "2023-12-31 23:59:59", "2099-01-01", ""]),
    ),
    min_size=1,
    max_size=12,
)


def _content(wh) -> dict:
    out = {}
    for t in ("orders", "quarantine"):
        if wh.has(t):
            df = wh.con.table(t).execute().drop(columns=["load_id", "quarantined_at"], errors="ignore")
            out[t] = sorted(map(tuple, df.astype(str).values.tolist()))
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows)
def test_loading_twice_is_loading_once(tmp_path, rows):
    wh = connect("duckdb://:memory:")
    pd.DataFrame(
        {
            "customer_id": ["c1"],
            "created_at": ["2024-01-01"],
            "country": ["DE"],
            "consent_email": [True],
            "consent_profiling": [True],
        }
    ).to_csv(tmp_path / "c.csv", index=False)
    load(wh, "customers", str(tmp_path / "c.csv"))
    df = pd.DataFrame(rows, columns=["order_id", "revenue", "ordered_at"]).assign(customer_id="c1")
    df.to_csv(tmp_path / "o.csv", index=False)
    first = load(wh, "orders", str(tmp_path / "o.csv"))
    snap = _content(wh)
    second = load(wh, "orders", str(tmp_path / "o.csv"))
    assert second.inserted == 0 and second.updated == 0
    assert second.unchanged == first.inserted and second.quarantined == first.quarantined
    again = _content(wh)
    assert again == snap
    # every row is either loaded or quarantined, never both, never lost
    loaded_ids = set(wh.table("orders").order_id.execute()) if wh.has("orders") else set()
    assert first.inserted + first.quarantined == len(rows)
    assert len(loaded_ids) == first.inserted
    wh.close()
