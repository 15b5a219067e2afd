"""The demo world: reproducible, complete, within its contracts, and its truth kept apart."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from nomagic import connect
from nomagic.cli import main
from nomagic.errors import InputError
from nomagic.simulate import TRUTH_TABLES, default_start, simulate
from nomagic.warehouse import CANONICAL, validate

SRC = Path(__file__).resolve().parents[1] / "src" / "nomagic"


@pytest.fixture(scope="module")
def world():
    """A small world ending yesterday (the default period)."""
    wh = connect("duckdb://:memory:")
    sim = simulate(wh, customers=3_000, days=365, seed=11)
    yield wh, sim
    wh.close()


def _frame(wh, name: str) -> pd.DataFrame:
    t = wh.table(name)
    key = list(CANONICAL[name].key) if name in CANONICAL else [t.columns[0]]
    if name == "truth_email_variants":
        key = ["campaign_id", "variant"]
    if name in ("truth_media_daily", "truth_ctr"):
        key = list(t.columns[:3])
    return t.order_by(key).execute().reset_index(drop=True)


def test_same_seed_gives_identical_data():
    start = date.today() - timedelta(days=200)
    a, b, c = (connect("duckdb://:memory:") for _ in range(3))
    simulate(a, customers=1_500, days=120, seed=3, start=start)
    simulate(b, customers=1_500, days=120, seed=3, start=start)
    simulate(c, customers=1_500, days=120, seed=4, start=start)
    names = [*CANONICAL, *TRUTH_TABLES]
    assert sorted(a.tables()) == sorted(b.tables()) == sorted(names)
    for name in names:
        pd.testing.assert_frame_equal(_frame(a, name), _frame(b, name), obj=name)
    assert not _frame(a, "orders").equals(_frame(c, "orders"))


@pytest.mark.parametrize("name", list(CANONICAL))
def test_every_canonical_table_passes_its_contract(world, name):
    wh, _ = world
    assert wh.table(name).count().execute() > 0, f"{name} is empty"
    assert validate(wh, name) == []


@pytest.mark.parametrize("name", list(CANONICAL))
def test_columns_have_the_canonical_types(world, name):
    wh, _ = world
    schema = wh.table(name).schema()
    for col in CANONICAL[name].columns:
        assert col.name in schema, f"{name}.{col.name} missing"
        got = schema[col.name]
        want = {"timestamp": "timestamp", "date": "date"}.get(col.dtype, col.dtype)
        assert str(got).startswith(want), f"{name}.{col.name}: {got}, schema says {col.dtype}"


def test_default_period_ends_yesterday(world):
    wh, sim = world
    midnight = datetime.combine(datetime.now(UTC).date(), datetime.min.time())
    assert sim.end == midnight and sim.start == default_start(365)
    for name, table in CANONICAL.items():
        for col in table.columns:
            if col.dtype in ("timestamp", "date") and col.name in wh.table(name).columns:
                latest = wh.table(name)[col.name].max().execute()
                if latest is not None and not pd.isna(latest):
                    assert pd.Timestamp(latest) < pd.Timestamp(midnight), f"{name}.{col.name} = {latest}"
    assert pd.Timestamp(wh.table("kpis").date.max().execute()) == pd.Timestamp(midnight - timedelta(days=1))


def test_truth_tables_are_written(world):
    wh, sim = world
    for name in TRUTH_TABLES:
        assert wh.table(name).count().execute() > 0, name
    assert wh.table("truth_customers").count().execute() == sim.customers
    assert wh.table("truth_uplift").count().execute() == wh.table("messages").count().execute()
    assert wh.table("truth_documents").count().execute() == wh.table("documents").count().execute()
    params = wh.table("truth_params").execute().set_index("name")
    assert {"r", "alpha", "a", "b", "gg_p", "gg_q", "gg_gamma", "churn_days", "end"} <= set(params.index)


def test_churn_label_follows_its_definition(world):
    """churned = at least one order by the cutoff and none in the 90 days after it."""
    wh, sim = world
    cutoff = pd.Timestamp(sim.churn_cutoff)
    orders = wh.table("orders").execute()
    before = set(orders.customer_id[orders.ordered_at <= cutoff])
    after = set(orders.customer_id[orders.ordered_at > cutoff])
    truth = wh.table("truth_customers").execute()
    eligible = truth[truth.churn_eligible]
    assert set(eligible.customer_id) == before
    expected = ~eligible.customer_id.isin(after)
    assert (eligible.churned.astype(bool).to_numpy() == expected.to_numpy()).all()
    assert truth.churned[~truth.churn_eligible].isna().all()


def test_no_code_outside_the_simulator_reads_the_truth():
    """Only nomagic.simulate (and tests) may name a truth_* table."""
    own = {
        SRC / "cli" / "simulate.py",  # the simulator's own command
        SRC / "demo_monitoring.py",  # tells the user where the injected change is recorded; reads nothing
        SRC / "privacy" / "subject.py",  # erasure covers every table that holds a person, truth_* included
    }
    offenders = []
    for path in SRC.rglob("*.py"):
        if "simulate" in path.relative_to(SRC).parts[:1] or path in own:
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r"truth_", line):
                offenders.append(f"{path.relative_to(SRC)}:{i}: {line.strip()}")
    assert not offenders, "truth tables read outside nomagic.simulate:\n" + "\n".join(offenders)


def test_replaces_canonical_and_truth_tables_only(tmp_path):
    wh = connect(str(tmp_path / "w.duckdb"))
    wh.write("my_notes", pd.DataFrame({"x": [1, 2]}))
    wh.write("truth_old", pd.DataFrame({"x": [1]}))
    simulate(wh, customers=400, days=60, seed=1)
    sim = simulate(wh, customers=200, days=45, seed=2)
    assert wh.table("customers").count().execute() == 200 == sim.rows["customers"]
    assert wh.table("orders").count().execute() == sim.rows["orders"]
    assert wh.table("kpis").count().execute() == 45
    assert wh.has("my_notes") and not wh.has("truth_old")
    wh.close()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"customers": 0},
        {"customers": 2.5},
        {"days": 10},
        {"days": 5000},
        {"seed": -1},
        {"start": "2999-01-01"},
        {"start": "yesterday-ish"},
        {"start": datetime.now(UTC).date() - timedelta(days=10)},  # 30 days from there end after today
    ],
)
def test_bad_arguments_are_input_errors(kwargs):
    args = {"customers": 100, "days": 30, "seed": 0} | kwargs
    with pytest.raises(InputError):
        simulate(connect("duckdb://:memory:"), **args)


def test_cli_simulate(tmp_path, capsys):
    path = tmp_path / "demo.duckdb"
    main(["simulate", "--customers", "300", "--days", "60", "--seed", "5", "--warehouse", str(path)])
    out = " ".join(capsys.readouterr().out.split())
    assert "300 customers" in out and "truth_customers" in out
    wh = connect(str(path), read_only=True)
    assert wh.table("customers").count().execute() == 300
    wh.close()


def test_cli_bad_arguments_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        main(["simulate", "--customers", "0", "--warehouse", str(tmp_path / "x.duckdb")])
    assert done.value.code == 2
    assert "customers must be" in capsys.readouterr().err
