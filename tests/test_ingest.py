"""Loading sources into canonical tables: contracts, quarantine, atomicity, idempotency, bad input."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from nomagic.errors import ContractError, InputError, WarehouseError
from nomagic.warehouse import Mapping, connect, load, validate

CUSTOMERS = """customer_id,created_at,country,consent_email,consent_profiling,age_band
c1,2024-01-01,DE,yes,true,18-24
c2,2024-02-01 10:30:00,AT,no,false,25-34
c3,2024-03-01,CH,ja,nein,35-44
"""
ORDERS = """order_id,customer_id,ordered_at,revenue
o1,c1,2024-03-01 10:00:00,10.5
o2,c2,2024-03-02,20
o3,c3,2024-03-03,0
"""


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def snapshot(wh) -> dict[str, list[tuple]]:
    """Every table's full content, for 'nothing changed' assertions."""
    out = {}
    for name in sorted(wh.tables()):
        df = wh.con.table(name).execute()
        out[name] = sorted(map(tuple, df.astype(str).values.tolist()))
    return out


@pytest.fixture
def loaded(wh, tmp_path):
    load(wh, "customers", str(write(tmp_path, "customers.csv", CUSTOMERS)))
    load(wh, "orders", str(write(tmp_path, "orders.csv", ORDERS)))
    return wh


def test_load_types_and_attributes(loaded):
    c = loaded.table("customers").order_by("customer_id").execute()
    assert list(c.customer_id) == ["c1", "c2", "c3"]
    assert list(c.consent_email) == [True, False, True]  # yes / no / ja
    assert list(c.consent_profiling) == [True, False, False]
    assert str(c.created_at.dtype).startswith("datetime64")
    assert list(c.age_band) == ["18-24", "25-34", "35-44"]  # unmapped column kept as attribute
    o = loaded.table("orders").execute()
    assert o.revenue.sum() == pytest.approx(30.5)
    assert validate(loaded, "customers") == [] and validate(loaded, "orders") == []


def test_same_source_twice_adds_nothing_and_changed_rows_update(loaded, tmp_path):
    before = snapshot(loaded)
    r = load(loaded, "orders", str(tmp_path / "orders.csv"))
    assert (r.inserted, r.updated, r.unchanged) == (0, 0, 3)
    after = snapshot(loaded)
    assert {k: v for k, v in after.items() if k != "_nomagic_loads"} == {
        k: v for k, v in before.items() if k != "_nomagic_loads"
    }
    changed = ORDERS.replace("o2,c2,2024-03-02,20", "o2,c2,2024-03-02,25") + "o4,c1,2024-03-05,5\n"
    r = load(loaded, "orders", str(write(tmp_path, "orders2.csv", changed)))
    assert (r.inserted, r.updated, r.unchanged) == (1, 1, 2)
    o = loaded.table("orders").execute().set_index("order_id")
    assert o.loc["o2", "revenue"] == 25 and len(o) == 4


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("o9,c1,2024-03-01,-5", "revenue", "below the minimum 0"),
        ("o9,c1,2099-01-01,5", "ordered_at", "lies in the future"),
        ("o9,c1,2024-03-01,zehn", "revenue", "not a number"),
        ("o9,c1,yesterday,5", "ordered_at", "not a date/time"),
        ("o9,c404,2024-03-01,5", "customer_id", "not found in customers.customer_id"),
        ("o1,c1,2024-03-01,5", "order_id", "duplicate key"),
        ("o9,,2024-03-01,5", "customer_id", "missing value"),
    ],
)
def test_broken_rows_go_to_quarantine_with_row_column_and_reason(loaded, tmp_path, row, column, reason):
    path = write(tmp_path, "bad.csv", "order_id,customer_id,ordered_at,revenue\n" + row + "\n")
    if column == "order_id":  # a key repeated within the source
        path = write(
            tmp_path,
            "bad.csv",
            "order_id,customer_id,ordered_at,revenue\no7,c1,2024-03-01,5\n" + row + "\no1,c2,2024-03-01,6\n",
        )
    before = loaded.table("orders").count().execute()
    r = load(loaded, "orders", str(path))
    assert r.quarantined >= 1
    issue = next(i for i in r.issues if i.column == column)
    assert reason in issue.reason
    assert issue.row >= 1
    message = "\n".join(r.describe_issues())
    assert "bad.csv" in message and f"column {column}" in message and f"row {issue.row}" in message
    q = loaded.table("quarantine").execute()
    assert ((q.column_name == column) & (q.source == str(path))).any()
    assert q.record.str.contains(column if column != "order_id" else "o1").any()  # raw record kept
    assert loaded.table("orders").count().execute() == before + r.inserted


def test_strict_refuses_everything_and_changes_nothing(loaded, tmp_path):
    before = snapshot(loaded)
    path = write(
        tmp_path, "bad.csv", "order_id,customer_id,ordered_at,revenue\no8,c1,2024-03-01,5\no9,c1,2024-03-01,-1\n"
    )
    with pytest.raises(ContractError) as err:
        load(loaded, "orders", str(path), strict=True)
    assert "bad.csv, row 2, column revenue" in str(err.value)
    assert snapshot(loaded) == before


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("order_id,customer_id,ordered_at,revenue\no8,c1,2024-03-01,5\no9,c1,2024-03-01,5,7\n", "line 3"),
        ('order_id,customer_id,ordered_at,revenue\no8,"c1,2024-03-01,5\no9,c1,2024-03-01,5\n', "unterminated quote"),
    ],
    ids=["ragged", "unbalanced-quotes"],
)
def test_malformed_csv_is_refused_with_file_and_line(loaded, tmp_path, content, needle):
    before = snapshot(loaded)
    path = write(tmp_path, "broken.csv", content)
    with pytest.raises(InputError) as err:
        load(loaded, "orders", str(path))
    assert "broken.csv" in str(err.value) and needle in str(err.value)
    assert snapshot(loaded) == before


def test_encodings_utf8_bom_and_cp1252_with_umlauts(wh, tmp_path):
    text = "customer_id;created_at;country;consent_email;consent_profiling;Stadt\nk1;2024-01-01;DE;ja;ja;München\nk2;2024-01-02;DE;nein;ja;Köln €\n"
    load(wh, "customers", str(write(tmp_path, "bom.csv", "\ufeff" + text)))
    load(wh, "customers", str(write(tmp_path, "cp.csv", text.replace("k1", "k3").replace("k2", "k4"), "cp1252")))
    got = wh.table("customers").order_by("customer_id").execute()
    assert list(got.customer_id) == ["k1", "k2", "k3", "k4"]
    assert list(got.Stadt) == ["München", "Köln €"] * 2


def test_wrong_declared_encoding_names_file_and_line(wh, tmp_path):
    text = "customer_id,created_at,country,consent_email,consent_profiling\nk1,2024-01-01,DE,ja,ja\nk2,2024-01-02,Österreich,ja,ja\n"
    path = write(tmp_path, "latin.csv", text, "cp1252")
    with pytest.raises(InputError) as err:
        load(wh, "customers", str(path), encoding="utf-8")
    assert "latin.csv" in str(err.value) and "line" in str(err.value) and "encoding" in str(err.value)
    assert not wh.has("customers")


def test_missing_required_column_names_it(wh, tmp_path):
    path = write(tmp_path, "c.csv", "customer_id,country\nc1,DE\n")
    with pytest.raises(InputError) as err:
        load(wh, "customers", str(path))
    msg = str(err.value)
    assert "c.csv" in msg and "created_at" in msg and "consent_email" in msg and "--mapping" in msg
    assert wh.tables() == []


@pytest.mark.parametrize("content", ["", "customer_id,created_at,country,consent_email,consent_profiling\n"])
def test_empty_file(wh, tmp_path, content):
    path = write(tmp_path, "empty.csv", content)
    with pytest.raises(InputError, match="empty.csv"):
        load(wh, "customers", str(path))
    assert wh.tables() == []


def test_unknown_table(wh, tmp_path):
    with pytest.raises(InputError, match="unknown table 'customer'.*customers"):
        load(wh, "customer", str(write(tmp_path, "c.csv", CUSTOMERS)))


def test_mapping_values_formats_decimal_comma_and_cp1252(loaded, tmp_path):
    src = "Bestellnummer;Kundennummer;Bestelldatum;Umsatz;Kanal\nB-1;c1;03.04.2024;1.234,56;Filiale\nB-2;c2;04.04.2024;9,90;Web\n"
    path = write(tmp_path, "bestellungen.csv", src, "cp1252")
    mapping = Path(__file__).resolve().parents[1] / "examples" / "mappings" / "orders_de.toml"
    r = load(loaded, "orders", str(path), mapping=mapping)
    assert r.inserted == 2 and r.quarantined == 0
    o = loaded.table("orders").execute().set_index("order_id")
    assert o.loc["B-1", "revenue"] == pytest.approx(1234.56)
    assert str(o.loc["B-2", "ordered_at"]).startswith("2024-04-04")
    assert o.loc["B-1", "Kanal"] == "Filiale"


def test_mapping_value_codes(wh, tmp_path):
    mapping = write(
        tmp_path,
        "m.toml",
        textwrap.dedent(
            """
            [columns]
            customer_id = "id"
            consent_email = "Newsletter"
            [values.consent_email]
            "Abonniert" = true
            "Abgemeldet" = false
            [defaults]
            created_at = "2024-01-01"
            country = "DE"
            consent_profiling = false
            """
        ),
    )
    path = write(tmp_path, "k.csv", "id,Newsletter\n1,Abonniert\n2,Abgemeldet\n3,vielleicht\n")
    r = load(wh, "customers", str(path), mapping=mapping)
    assert (r.inserted, r.quarantined) == (2, 1)
    assert r.issues[0].row == 3 and r.issues[0].column == "consent_email" and r.issues[0].value == "vielleicht"


def test_mapping_naming_absent_column(wh, tmp_path):
    mapping = write(tmp_path, "m.toml", '[columns]\ncustomer_id = "kunde"\n')
    path = write(tmp_path, "k.csv", "id,created_at\n1,2024-01-01\n")
    with pytest.raises(InputError) as err:
        load(wh, "customers", str(path), mapping=mapping)
    assert "m.toml" in str(err.value) and "'kunde'" in str(err.value) and "k.csv" in str(err.value)
    assert wh.tables() == []


def test_mapping_naming_unknown_canonical_column(wh, tmp_path):
    mapping = Mapping(columns={"customer_no": "id"}, origin="m.toml")
    path = write(tmp_path, "k.csv", "id,created_at\n1,2024-01-01\n")
    with pytest.raises(InputError, match="m.toml.*customer_no.*not a column of customers"):
        load(wh, "customers", str(path), mapping=mapping)


def test_parquet_and_json_lines(wh, tmp_path):
    df = pd.DataFrame(
        {
            "customer_id": ["p1", "p2"],
            "created_at": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "country": ["DE", "FR"],
            "consent_email": [True, False],
            "consent_profiling": [True, True],
            "score": [0.5, 0.7],
        }
    )
    df.to_parquet(tmp_path / "c.parquet")
    df.assign(customer_id=["j1", "j2"], created_at=["2024-01-01", "2099-01-01"]).to_json(
        tmp_path / "c.jsonl", orient="records", lines=True
    )
    assert load(wh, "customers", str(tmp_path / "c.parquet")).inserted == 2
    r = load(wh, "customers", str(tmp_path / "c.jsonl"))
    assert (r.inserted, r.quarantined) == (1, 1) and r.issues[0].row == 2
    assert wh.table("customers").score.sum().execute() == pytest.approx(1.7)


def test_table_of_another_database(wh, tmp_path):
    other = connect(str(tmp_path / "other.duckdb"))
    other.write("crm_customers", pd.read_csv(pd.io.common.StringIO(CUSTOMERS)))
    url = other.url
    other.close()
    r = load(wh, "customers", url, source_table="crm_customers")
    assert r.inserted == 3


def _interrupted_load(wh, tmp_path) -> None:
    """Start loading 20,000 orders and press Ctrl-C at the first progress report."""
    rows = "\n".join(f"x{i},c1,2024-03-01,{i}" for i in range(20000))
    path = write(tmp_path, "big.csv", "order_id,customer_id,ordered_at,revenue\n" + rows + "\n")

    def interrupt(pct):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        load(wh, "orders", str(path), on_progress=interrupt)


def test_interrupt_mid_load_leaves_warehouse_unchanged(loaded, tmp_path):
    before = snapshot(loaded)
    _interrupted_load(loaded, tmp_path)
    assert snapshot(loaded) == before


def test_failure_during_merge_rolls_back(loaded, tmp_path, monkeypatch):
    from nomagic.warehouse import ingest

    before = snapshot(loaded)
    real = ingest._merge_statements
    monkeypatch.setattr(ingest, "_merge_statements", lambda *a: real(*a) + ["SELECT * FROM no_such_table"])
    path = write(
        tmp_path, "o.csv", "order_id,customer_id,ordered_at,revenue\no5,c1,2024-03-01,5\no1,c1,2024-03-01,99\n"
    )
    with pytest.raises(WarehouseError, match="nothing was changed"):
        load(loaded, "orders", str(path))
    assert snapshot(loaded) == before


def test_read_only_warehouse(tmp_path):
    path = tmp_path / "ro.duckdb"
    connect(str(path)).close()
    wh = connect(str(path), read_only=True)
    with pytest.raises(WarehouseError, match="read-only"):
        load(wh, "customers", str(write(tmp_path, "c.csv", CUSTOMERS)))
    wh.close()
    assert connect(str(path)).tables() == []


def test_locked_warehouse_file(tmp_path):
    path = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,sys,time; c=duckdb.connect({str(path)!r}); print('ok', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(WarehouseError) as err:
            connect(str(path))
        assert "locked.duckdb" in str(err.value) and "Another process" in str(err.value)
    finally:
        holder.kill()
        holder.wait()


def test_cli_prints_error_without_traceback_and_exits_2(tmp_path):
    path = write(tmp_path, "c.csv", "customer_id,country\nc1,DE\n")
    proc = subprocess.run(
        [sys.executable, "-m", "nomagic", "load", "customers", str(path), "-w", str(tmp_path / "w.duckdb")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "c.csv" in proc.stderr and "created_at" in proc.stderr


def test_cli_load_reports_counts(tmp_path):
    path = write(tmp_path, "c.csv", CUSTOMERS)
    proc = subprocess.run(
        [sys.executable, "-m", "nomagic", "load", "customers", str(path), "-w", str(tmp_path / "w.duckdb")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "loaded 3" in proc.stdout and "quarantined 0" in proc.stdout


def test_telco_loads_through_mapping(wh):
    from conftest import shared_data

    csv = shared_data("telco_churn", "Telco-Customer-Churn_IBM.csv")
    mapping = Path(__file__).resolve().parents[1] / "examples" / "mappings" / "telco_customers.toml"
    r = load(wh, "customers", str(csv), mapping=mapping)
    assert (r.rows_read, r.inserted, r.quarantined) == (7043, 7043, 0)
    t = wh.table("customers")
    assert {"tenure", "Churn", "MonthlyCharges", "TotalCharges"} <= set(t.columns)
    assert t.TotalCharges.type().is_floating()  # text column with blanks inferred as a number
    assert validate(wh, "customers") == []


def test_interrupt_during_a_first_bulk_load_leaves_no_table(wh, tmp_path):
    load(wh, "customers", str(write(tmp_path, "customers.csv", CUSTOMERS)))
    before = snapshot(wh)
    _interrupted_load(wh, tmp_path)
    assert snapshot(wh) == before and not wh.has("orders")


def test_cli_aliases_route_use_case_verbs():
    from nomagic.cli import _resolve_aliases

    assert _resolve_aliases(["evaluate", "clv", "--data", "x"]) == ["evaluate-clv", "--data", "x"]
    assert _resolve_aliases(["score", "segments"]) == ["score-segments"]
    assert _resolve_aliases(["evaluate", "churn", "--data", "x"]) == ["evaluate", "churn", "--data", "x"]
    proc = subprocess.run(
        [sys.executable, "-m", "nomagic", "evaluate", "clv", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and "--calibration-end" in proc.stdout
