"""``nomagic monitor models``: the registry's churn champion monitored on a simulated warehouse.

Two worlds of 1,500 customers over 500 days, alike but for a competitor who poaches customers of
four countries (three quarters of the shop) from day 400: a change far beyond the noise of so small a
world, so that the test checks the mechanism (``bench/monitor_models.py`` measures the delay of a
smaller change in a larger world). The champion learns on the first 370 days (as if it went live then)
and is monitored in 30-day periods ending on days 400, 430, 460 and 490. The stationary world must
stay quiet; in the competitor world the monitor must alert within two periods after day 400 and not
before.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from nomagic.errors import InputError
from nomagic.lifecycle.registry import Registry
from nomagic.monitor.models import ALERTS_TABLE, log_alerts, monitor_champion, monitor_models, period_days
from nomagic.simulate import drift as dr
from nomagic.simulate import simulate
from nomagic.usecases.churn import Churn
from nomagic.warehouse import connect

START = pd.Timestamp("2024-01-01")
LIVE_DAY, CHANGE_DAY, DAYS, PERIOD = 370, 400, 500, 30
COMPETITOR = dr.competitor(CHANGE_DAY, countries=("DE", "FR", "GB", "US"), share=0.8)


class ChurnUntil(Churn):
    """Churn trained on the data up to LIVE_DAY only: the champion of a model that went live then."""

    def time_range(self, wh):
        a, b = super().time_range(wh)
        return a, min(b, START + pd.Timedelta(days=LIVE_DAY))


@pytest.fixture(scope="module")
def worlds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("monitor")
    quiet = connect(str(folder / "quiet.duckdb"))
    simulate(quiet, customers=1500, days=DAYS, seed=3, start=START)
    moved = connect("duckdb://:memory:")
    simulate(moved, customers=1500, days=DAYS, seed=3, start=START, drift=[COMPETITOR])
    # one champion for both worlds: they share the purchase process up to day 400 (the drift draws from
    # a random stream of its own), so a model of the one is a model of the other before the change
    result = ChurnUntil(model_params={"candidates": ("logistic",)}, n_boot=200, n_test=2, n_train=3).train(quiet)
    assert result.verdict == "promoted"
    reg_quiet = Registry.for_warehouse(quiet.url)
    reg_quiet.register(result)
    reg_moved = Registry(folder / "moved-registry")
    reg_moved.register(result)
    docs = {
        "quiet": monitor_champion(quiet, reg_quiet, "churn", period=PERIOD, uc=Churn()),
        "moved": monitor_champion(moved, reg_moved, "churn", period=PERIOD, uc=Churn()),
    }
    yield {"quiet": quiet, "moved": moved, "docs": docs, "registry": reg_quiet, "folder": folder}
    quiet.close()
    moved.close()


def _day(p) -> int:
    return (pd.Timestamp(p["as_of"]) - START).days


def test_the_periods_follow_the_training_end(worlds):
    doc = worlds["docs"]["quiet"]
    assert [_day(p) for p in doc["periods"]] == [400, 430, 460, 490]
    assert doc["trained_through"].startswith("2025-01-05")  # day 370
    for p in doc["periods"]:
        assert p["reference"]["out_of_sample"]  # one horizon back lies after the last training cutoff
        assert p["rows"] > 500


def test_a_stationary_world_stays_quiet(worlds):
    doc = worlds["docs"]["quiet"]
    assert doc["alerts"] == 0, [(p["as_of"], [a["kind"] for a in p["alerts"]]) for p in doc["periods"]]
    assert all(p["gate"]["verdict"] in ("holds", "unsure") for p in doc["periods"])


def test_the_competitor_is_alerted_within_two_periods_and_not_before(worlds):
    doc = worlds["docs"]["moved"]
    truth = worlds["moved"].table("truth_drift").execute()
    assert truth["kind"].tolist() == ["competitor"] and int(truth["start_day"][0]) == CHANGE_DAY
    before = [p for p in doc["periods"] if _day(p) <= CHANGE_DAY]
    after = [p for p in doc["periods"] if _day(p) > CHANGE_DAY][:2]
    assert before and not any(p["alerts"] for p in before)
    assert any(p["alerts"] for p in after), [(p["as_of"], p["alerts"]) for p in doc["periods"]]
    # the change shows in the champion's own scores: they rise against the world one horizon earlier
    assert after[-1]["mean_score"] > before[-1]["mean_score"]


def test_each_period_carries_estimates_gate_and_realized_performance(worlds):
    doc = worlds["docs"]["quiet"]
    for p in doc["periods"]:
        assert 0 <= p["estimated_positive_rate"] <= 1 and p["rate_method"] in ("acc", "em", "last_labelled")
        assert p["estimated_roc_auc"] is not None or p["estimated_roc_auc_reason"]
        assert {"value", "noise", "severe"} <= set(p["prediction_drift"]) and p["input_drift"]["features"]
        assert p["gate"]["difference"]["ci"][0] <= p["gate"]["difference"]["value"] <= p["gate"]["difference"]["ci"][1]
    first, last = doc["periods"][0], doc["periods"][-1]
    # day 400 + 90 <= 500: its labels arrived; day 490's arrive after the data ends
    lo, hi = first["realized"]["roc_auc"]["ci"]
    assert lo < first["realized"]["roc_auc"]["value"] < hi and first["realized"]["rows"] == first["rows"]
    assert last["realized"] is None
    assert "treffen am" in last["realized_reason"].de and "2025" in last["realized_reason"].de
    assert ".2025" in last["realized_reason"].de  # German date


def test_alerts_are_logged_once(worlds):
    wh, doc = worlds["moved"], worlds["docs"]["moved"]
    n = log_alerts(wh, doc)
    assert n == sum(len(p["alerts"]) for p in doc["periods"]) > 0
    assert log_alerts(wh, doc) == 0  # idempotent per (use case, version, period, kind)
    table = wh.table(ALERTS_TABLE).execute()
    assert len(table) == n
    assert set(table.columns) >= {"use_case", "version", "period", "severity", "kind", "evidence", "meaning_de"}
    row = table.iloc[0]
    assert row["use_case"] == "churn" and row["severity"] in ("warning", "critical")
    evidence = json.loads(row["evidence"])
    assert evidence["text"] and evidence["text_de"] != evidence["text"]
    assert row["action_de"] != row["action"]
    # an empty log still creates the table, typed
    assert log_alerts(worlds["quiet"], worlds["docs"]["quiet"]) == 0
    assert worlds["quiet"].has(ALERTS_TABLE)


def test_other_use_cases_are_listed_as_not_monitored(worlds):
    doc = monitor_models(worlds["quiet"], worlds["registry"], ["clv", "propensity"], period="month")
    reasons = {s["use_case"]: s["reason"] for s in doc["not_monitored"]}
    assert set(reasons) == {"clv", "propensity"}
    assert "not a yes/no score" in reasons["clv"] and "Ja/Nein" in reasons["clv"].de
    assert "nomagic train propensity" in reasons["propensity"].de


def test_period_words():
    assert (period_days("week"), period_days("day"), period_days("month"), period_days("14d")) == (7, 1, 30, 14)
    with pytest.raises(InputError) as exc:
        period_days("fortnight")
    assert "day, week, month" in str(exc.value) and "Zahl von Tagen" in exc.value.lang("de")


def test_cli_monitors_in_german(worlds, capsys):
    import nomagic.cli.monitor_live  # noqa: F401  (registers monitor-models)
    from nomagic.cli import main

    out = worlds["folder"] / "monitor.json"
    since = str((START + pd.Timedelta(days=460)).date())
    main(
        [
            "--lang",
            "de",
            "monitor-models",
            "churn",
            "--period",
            "month",
            "--since",
            since,
            "--warehouse",
            worlds["quiet"].url,
            "--json",
            str(out),
        ]
    )
    doc = json.loads(out.read_text())
    assert [p["as_of"][:10] for p in doc["use_cases"][0]["periods"]] == ["2025-05-05"]
    assert "Zeitraum" in doc["use_cases"][0]["explanation_de"]
    assert "überwacht" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["monitor-models", "--period", "fortnight", "--warehouse", worlds["quiet"].url])
    assert exc.value.code == 2
