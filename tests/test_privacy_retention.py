"""Retention (storage limitation): periods read from .nomagic/config.toml with errors that name file and key,
a plan that counts and an apply that deletes in one transaction (order lines go with their orders, rows of
unknown age stay), the audit entry with the counts, and `nomagic privacy retention [--apply]` in EN/DE."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

import nomagic.cli.privacy  # noqa: F401  (registers `privacy`)
from nomagic import cli
from nomagic.cli import main
from nomagic.errors import InputError
from nomagic.privacy import audit, retention
from nomagic.warehouse import connect

NOW = datetime(2026, 12, 7, 12, 0)


@pytest.fixture(autouse=True)
def _own_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for var in ("NOMAGIC_REGISTRY", "NOMAGIC_SALT", "NOMAGIC_WAREHOUSE", "NOMAGIC_LANG"):
        monkeypatch.delenv(var, raising=False)
    for con in (cli.console, cli.err_console):
        monkeypatch.setattr(con, "width", 400)


def _run(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return exc.code or 0
    return 0


def _said(capsys) -> str:
    out = capsys.readouterr()
    return " ".join((out.out + out.err).split())


def _world(tmp_path, config: str | None = None) -> str:
    """A warehouse file with old and new rows: orders (with lines), events (one of unknown age), kpis (dates)."""
    url = f"duckdb://{tmp_path / 'wh.duckdb'}"
    wh = connect(url)
    days = pd.Timedelta(days=1)
    wh.write(
        "orders",
        pd.DataFrame(
            {
                "order_id": ["o1", "o2", "o3"],
                "customer_id": ["c1", "c1", "c2"],
                "ordered_at": [pd.Timestamp(NOW) - 800 * days, pd.Timestamp(NOW) - 400 * days, pd.Timestamp(NOW)],
                "revenue": [10.0, 20.0, 30.0],
            }
        ),
    )
    wh.write(
        "order_lines",
        pd.DataFrame({"order_id": ["o1", "o1", "o2", "o3"], "product_id": list("abca"), "quantity": [1, 2, 1, 1]}),
    )
    wh.write(
        "events",
        pd.DataFrame(
            {
                "event_id": ["e1", "e2", "e3"],
                "customer_id": ["c1", "c2", "c2"],
                "occurred_at": [pd.Timestamp(NOW) - 500 * days, pd.Timestamp(NOW) - 5 * days, pd.NaT],
                "type": ["view", "click", "view"],
            }
        ),
    )
    wh.write("kpis", pd.DataFrame({"date": pd.to_datetime(["2020-01-01", "2026-12-01"]).date, "revenue": [1.0, 2.0]}))
    wh.close()
    if config is not None:
        folder = tmp_path / ".nomagic"
        folder.mkdir(exist_ok=True)
        (folder / "config.toml").write_text(config)
    return url


CONFIG = '[retention]\norders = "1y"\nevents = "52w"\nkpis = "2y"\n'


def test_periods_in_days_weeks_months_years(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        '[retention]\nevents = "365d"\nmessages = "52w"\ndocuments = "2y"\ncampaigns = 30\n'
        'ad_requests = "18m"\nscores_churn = { keep = "90d", column = "scored_at" }\n'
    )
    rules = {r.table: r for r in retention.load_rules(path)}
    assert rules["events"].column == "occurred_at" and rules["events"].period == "365d"
    assert rules["documents"].cutoff(NOW) == pd.Timestamp("2024-12-07 12:00")
    assert rules["ad_requests"].cutoff(NOW) == pd.Timestamp("2025-06-07 12:00")
    assert rules["messages"].cutoff(NOW) == pd.Timestamp(NOW) - pd.Timedelta(weeks=52)
    assert rules["scores_churn"].column == "scored_at"
    assert retention.load_rules(tmp_path / "absent.toml") == []


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('events = "soon"', "retention.events"),
        ('events = "0d"', "retention.events"),
        ('customers = "2y"', "retention.customers"),
        ('order_lines = "2y"', "retention.order_lines"),
        ('scores_churn = { keep = "9d", col = "x" }', "retention.scores_churn"),
    ],
)
def test_a_bad_period_names_file_and_key(tmp_path, line, needle):
    path = tmp_path / "config.toml"
    path.write_text(f"[retention]\n{line}\n")
    with pytest.raises(InputError) as err:
        retention.load_rules(path)
    assert str(path) in str(err.value) and needle in str(err.value)
    assert str(path) in err.value.lang("de") and needle in err.value.lang("de")


def test_plan_counts_and_apply_deletes_in_one_go(tmp_path):
    url = _world(tmp_path, CONFIG)
    with connect(url) as wh:
        steps = retention.plan(wh, now=NOW)
        counts = {s.table: s.rows for s in steps}
        assert counts == {"order_lines": 3, "orders": 2, "events": 1, "kpis": 1}
        assert [s.table for s in steps][:2] == ["order_lines", "orders"]  # children before their parent
        assert wh.table("orders").count().execute() == 3  # a plan changes nothing
        done = retention.apply(wh, now=NOW)
        assert done.rows == 7
        assert list(wh.table("orders").execute()["order_id"]) == ["o3"]
        assert list(wh.table("order_lines").execute()["order_id"]) == ["o3"]
        assert sorted(wh.table("events").execute()["event_id"]) == ["e2", "e3"]  # unknown age (e3) stays
        assert wh.table("kpis").count().execute() == 1
        log = audit.read(wh)
        row = log[log["action"] == "privacy.retention"].iloc[-1]
        assert '"orders":2' in row["details"].replace(" ", "") and '"order_lines":3' in row["details"].replace(" ", "")
        assert audit.verify(wh).intact
        assert retention.plan(wh, now=NOW) == []
        assert retention.apply(wh, now=NOW).entry is None  # nothing to do: no audit entry


def test_a_failing_statement_deletes_nothing(tmp_path, monkeypatch):
    url = _world(tmp_path, CONFIG)
    with connect(url) as wh:
        steps = retention.plan(wh, now=NOW)
        steps[-1].sql = 'DELETE FROM "no_such_table"'
        monkeypatch.setattr(retention, "plan", lambda *a, **k: steps)
        with pytest.raises(Exception, match="kpis"):
            retention.apply(wh, now=NOW)
        assert wh.table("orders").count().execute() == 3
        assert wh.table("order_lines").count().execute() == 4


def test_a_rule_on_a_missing_column_names_it(tmp_path):
    url = _world(tmp_path, '[retention]\norders = { keep = "30d", column = "booked_at" }\n')
    with connect(url) as wh, pytest.raises(InputError, match="booked_at"):
        retention.plan(wh, now=NOW)


def test_cli_dry_run_then_apply(tmp_path, capsys, monkeypatch):
    url = _world(tmp_path, CONFIG)
    assert _run(["privacy", "retention", "--warehouse", url]) == 0
    out = _said(capsys)
    assert "order_lines" in out and "would go" in out and "--apply" in out
    with connect(url, read_only=True) as wh:
        assert wh.table("orders").count().execute() == 3
    monkeypatch.setenv("NOMAGIC_LANG", "de")
    assert _run(["privacy", "retention", "--warehouse", url, "--apply"]) == 0
    out = _said(capsys)
    assert "Zeilen nach Ablauf ihrer Aufbewahrungsfrist aus" in out and "gelöscht" in out
    with connect(url, read_only=True) as wh:
        assert wh.table("orders").count().execute() == 1
    assert _run(["privacy", "retention", "--warehouse", url]) == 0
    assert "nichts hat seine Aufbewahrungsfrist überschritten" in _said(capsys)


def test_cli_bad_config_exits_2_naming_file_and_key(tmp_path, capsys):
    url = _world(tmp_path, '[retention]\nevents = "a while"\n')
    assert _run(["privacy", "retention", "--warehouse", url]) == 2
    out = _said(capsys)
    assert "config.toml" in out and "retention.events" in out


def test_cli_without_config_says_how(tmp_path, capsys):
    url = _world(tmp_path)
    assert _run(["privacy", "retention", "--warehouse", url]) == 0
    assert "[retention]" in _said(capsys)


def test_german_words_of_a_step():
    step = retention.Step("events", 12345, pd.Timestamp("2025-12-07"), "occurred_at", "365d")
    assert step.words().de == "events: 12.345 Zeilen mit occurred_at vor dem 07.12.2025 (Frist 365d)"
    assert str(step.words()) == "events: 12,345 rows with occurred_at before 2025-12-07 (kept 365d)"
