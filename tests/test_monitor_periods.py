"""The monitor keeps its periods in the warehouse: a period monitored again replaces its row."""

from __future__ import annotations

from nomagic.monitor.models import PERIODS_TABLE, log_periods, period_rows
from nomagic.warehouse import connect


def _doc(realized):
    period = {
        "as_of": "2026-10-31T00:00:00",
        "rows": 500,
        "estimated_positive_rate": 0.3,
        "estimated_positive_rate_ci": [0.27, 0.33],
        "estimated_roc_auc": 0.78,
        "realized": realized,
        "alerts": [{"severity": "info"}, {"severity": "critical"}],
    }
    return {"use_cases": [{"use_case": "churn", "version": "v0001", "periods": [period]}]}


def test_periods_are_kept_and_replaced_when_labels_arrive(tmp_path):
    rows = period_rows(_doc(None))
    assert rows.loc[0, "alerts"] == 1 and rows["realized_positive_rate"].isna().all()  # info is not an alarm
    with connect(str(tmp_path / "w.duckdb")) as wh:
        assert log_periods(wh, _doc(None)) == 1
        later = {"positive_rate": 0.32, "roc_auc": {"value": 0.76, "ci": [0.7, 0.8]}}
        log_periods(wh, _doc(later))  # the same period, its labels now known
        table = wh.table(PERIODS_TABLE).execute()
    assert (
        len(table) == 1 and table.loc[0, "realized_positive_rate"] == 0.32 and table.loc[0, "realized_roc_auc"] == 0.76
    )
