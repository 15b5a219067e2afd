"""Drift by feature: kept per period in ``monitor_features``, drawn and said in words for the Monitoring page."""

from __future__ import annotations

import pandas as pd
import pytest

from nomagic.errors import InputError
from nomagic.monitor.feature_log import FEATURES_TABLE, feature_rows, log_features
from nomagic.report import charts
from nomagic.report.monitoring import drift_chart, drift_frame, drift_words
from nomagic.warehouse import connect


def _feature(column, shift, noise, importance, psi=0.02, psi_noise=0.05):
    return {
        "column": column,
        "shift": shift,
        "shift_noise": noise,
        "psi": psi,
        "psi_noise": psi_noise,
        "importance": importance,
    }


FEATURES = [  # sorted by shift, as the monitor writes them
    _feature("tenure_days", 0.12, 0.05, 0.40, psi=0.31, psi_noise=0.08),
    _feature("orders_90d", 0.03, 0.04, 0.35),
    _feature("weekday", 0.002, 0.001, 0.05),
    _feature("email_opens", 0.001, 0.02, 0.20),
]


def _period(as_of, features=FEATURES):
    p = {"as_of": f"{as_of}T00:00:00", "rows": 500, "alerts": []}
    if features is not None:  # a period too small to monitor has no input_drift
        p["input_drift"] = {"value": 0.15, "noise": 0.1, "features": features}
    return p


def _doc(*periods, use_case="churn", version="v0001"):
    return {"use_cases": [{"use_case": use_case, "version": version, "periods": list(periods)}]}


def test_feature_rows_one_typed_row_per_period_and_column():
    rows = feature_rows(_doc(_period("2026-10-24"), _period("2026-10-31"), _period("2026-11-07", None)))
    assert len(rows) == 8 and set(rows["period"]) == {"2026-10-24", "2026-10-31"}  # the small period has none
    assert str(rows["importance"].dtype) == "float64" and rows["beyond_noise"].dtype == bool
    t = rows[(rows["period"] == "2026-10-31") & (rows["column"] == "tenure_days")].iloc[0]
    assert (t["use_case"], t["version"], t["shift"], t["shift_noise"]) == ("churn", "v0001", 0.12, 0.05)
    assert t["psi"] == 0.31 and t["psi_noise"] == 0.08 and t["importance"] == 0.40 and t["beyond_noise"]
    beyond = set(rows.loc[rows["beyond_noise"], "column"])
    assert beyond == {"tenure_days", "weekday"}  # shift above its noise; orders_90d and email_opens are not
    assert feature_rows({"use_cases": []}).empty  # nothing monitored: an empty, typed frame
    assert list(feature_rows({"use_cases": []}).columns) == list(rows.columns)


def test_a_feature_without_a_name_is_a_clear_error_in_both_languages():
    with pytest.raises(InputError) as err:
        feature_rows(_doc(_period("2026-10-31", [{"shift": 0.1}])))
    assert "churn v0001, period to 2026-10-31" in str(err.value)
    assert "Zeitraum bis 31.10.2026" in err.value.lang("de")


def test_log_features_replaces_a_monitored_period_and_keeps_the_others(tmp_path):
    with connect(str(tmp_path / "w.duckdb")) as wh:
        assert log_features(wh, _doc(_period("2026-10-24"), _period("2026-10-31"))) == 8
        assert log_features(wh, _doc(_period("2026-10-31"), use_case="propensity")) == 4
        moved = [_feature("tenure_days", 0.5, 0.05, 0.6), _feature("orders_90d", 0.01, 0.04, 0.4)]
        assert log_features(wh, _doc(_period("2026-10-31", moved))) == 2  # monitored again: its rows replaced
        table = wh.table(FEATURES_TABLE).execute()
        churn = table[table["use_case"] == "churn"]
        assert len(table) == 4 + 2 + 4 and len(churn[churn["period"] == "2026-10-24"]) == 4
        last = churn[churn["period"] == "2026-10-31"].set_index("column")
        assert set(last.index) == {"tenure_days", "orders_90d"} and last.loc["tenure_days", "shift"] == 0.5
        assert len(table[table["use_case"] == "propensity"]) == 4  # another use case's rows stay
        # a period monitored again that became too small: its old rows go, nothing new comes
        assert log_features(wh, _doc(_period("2026-10-24", None))) == 0
        table = wh.table(FEATURES_TABLE).execute()
        assert "2026-10-24" not in set(table.loc[table["use_case"] == "churn", "period"]) and len(table) == 6
        assert log_features(wh, {"use_cases": []}) == 0  # nothing monitored: the table stays
        assert len(wh.table(FEATURES_TABLE).execute()) == 6
    with connect(str(tmp_path / "empty.duckdb")) as wh:
        assert log_features(wh, _doc(_period("2026-10-31", None))) == 0 and not wh.has(FEATURES_TABLE)


def _logged():
    rows = feature_rows(_doc(_period("2026-10-24", [_feature("tenure_days", 0.9, 0.05, 0.9)]), _period("2026-10-31")))
    # the champion before, monitored over the same period
    older = feature_rows(_doc(_period("2026-10-31", [_feature("tenure_days", 0.2, 0.05, 0.7)]), version="v0000"))
    other = feature_rows(_doc(_period("2026-11-30"), use_case="propensity"))
    return pd.concat([rows, older, other], ignore_index=True)


def test_drift_frame_holds_the_latest_period_most_important_first():
    f = _logged()
    df = drift_frame(f, "churn", top=3)
    assert set(df["period"]) == {"2026-10-31"} and set(df["version"]) == {"v0001"}
    assert list(df["column"]) == ["tenure_days", "orders_90d", "email_opens"]  # by importance, top 3
    assert list(df["shift"]) == [0.12, 0.03, 0.001] and list(df["shift_noise"]) == [0.05, 0.04, 0.02]
    assert list(df["beyond"]) == [True, False, False] and df.loc[0, "state"] == "beyond noise"
    older = drift_frame(f, "churn", period="2026-10-24")
    assert list(older["column"]) == ["tenure_days"] and older.loc[0, "shift"] == 0.9
    # the newest version monitored on a period wins (above: v0001 over v0000)
    assert drift_frame(f.replace({"version": {"v0000": "v0002"}}), "churn").loc[0, "shift"] == 0.2
    assert drift_frame(f, "clv").empty and drift_frame(None).empty


@pytest.mark.skipif(not charts.available(), reason="needs the report extra")
def test_drift_chart_panels_hold_importance_and_shift_against_noise():
    chart = drift_chart(_logged(), "churn", lang="de")
    left, right = chart.hconcat
    assert list(left.data["column"]) == ["tenure_days", "orders_90d", "email_opens", "weekday"]
    assert list(left.data["importance"]) == [0.40, 0.35, 0.20, 0.05]
    shifts = right.data.set_index("column")
    assert shifts.loc["tenure_days", "shift"] == 0.12 and shifts.loc["tenure_days", "shift_noise"] == 0.05
    assert shifts.loc["weekday", "state"] == "beyond noise" and shifts.loc["email_opens", "state"] == "within noise"
    assert "Drift nach Merkmal, Zeitraum bis 31.10.2026" in str(chart.to_dict()["title"])
    assert "Drift by feature, period to 2026-10-31" in str(drift_chart(_logged(), "churn").to_dict()["title"])
    assert drift_chart(_logged(), "clv") is None


def test_drift_words_name_the_important_columns_that_moved_and_that_drift_pages_no_one():
    words = drift_words(_logged(), "churn", top=2)
    en, de = str(words), words.de
    assert "In the period to 2026-10-31, 1 of the 2 most important columns moved beyond their noise" in en
    assert "tenure_days (importance 40%, shift 0.120 against noise 0.050)" in en
    assert "1 less important column(s) moved beyond their noise too (weekday)" in en  # outside the top 2
    assert "By chance alone" not in en  # 4 columns: less than 0.1 expected by chance
    assert "on its own it pages no one" in en
    assert "Im Zeitraum bis 31.10.2026 haben sich 1 der 2 wichtigsten Spalten" in de
    assert "tenure_days (Wichtigkeit 40 %, Verschiebung 0,120 bei Rauschen 0,050)" in de
    assert "allein löst sie keinen Alarm aus" in de
    calm = feature_rows(_doc(_period("2026-10-31", [_feature("x", 0.01, 0.02, 1.0)])))
    assert "none of the 1 most important columns moved" in str(drift_words(calm))
    assert "keine der 1 wichtigsten Spalten" in drift_words(calm).de
    many = [_feature(f"c{i:02d}", 0.05 if i > 10 else 0.0, 0.01, 1 / (i + 1)) for i in range(40)]
    words = drift_words(feature_rows(_doc(_period("2026-10-31", many))))
    assert "none of the 10 most important columns moved" in str(words)
    assert "Of the less important columns, 29 moved beyond their noise (c11, c12, c13, c14, c15, …)" in str(words)
    assert "about 0.4 of the 40 columns" in str(words) and "etwa 0,4 der 40 Spalten" in words.de
    assert drift_words(None) is None
