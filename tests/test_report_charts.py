"""Every chart of a churn/propensity record holds the record's own figures: read from the chart's data, not a screenshot."""

from __future__ import annotations

import pytest
from test_evaluate import churn_table

from nomagic.lifecycle.plain import evaluate_table

pytest.importorskip("altair")
from nomagic.report import charts  # noqa: E402


@pytest.fixture(scope="module")
def record() -> dict:
    return evaluate_table(
        churn_table(1200, seed=2), label="Churn", id="customerID", sensitive=("gender",), n_boot=100
    ).record


def _rows(chart) -> list[list[dict]]:
    """The rows each layer of a (layered) chart draws."""
    spec = chart.to_dict()
    layers = spec.get("layer", [spec])
    return [spec["datasets"][(layer.get("data") or spec["data"])["name"]] for layer in layers]


def _encodings(chart) -> list[dict]:
    spec = chart.to_dict()
    return [layer.get("encoding", {}) for layer in spec.get("layer", [spec])]


def test_lift_bars_are_the_records_deciles(record):
    chart = charts.lift_chart(record)
    bars, rule = _rows(chart)
    for who in ("model", "baseline"):
        mine = sorted((r["decile"], r["lift"]) for r in bars if r["who"] == who)
        assert mine == list(enumerate(record["curves"][who]["lift"], start=1))
    assert rule == [{"y": 1.0}]  # the line of a random choice
    enc = _encodings(chart)[0]
    assert enc["x"]["title"].startswith("score decile") and enc["y"]["title"].startswith("lift")
    # a useful model: its top decile lifts more than its bottom one
    model = [r["lift"] for r in sorted((r for r in bars if r["who"] == "model"), key=lambda r: r["decile"])]
    assert model[0] > 1 > model[-1]


def test_calibration_points_are_the_records_bins(record):
    chart = charts.calibration_chart(record)
    diagonal, points = _rows(chart)
    assert diagonal == [{"x": 0, "y": 0}, {"x": 1, "y": 1}]
    for who in ("model", "baseline"):
        rc = record["curves"][who]["reliability"]
        mine = [(r["predicted"], r["observed"], r["count"]) for r in points if r["who"] == who]
        assert mine == list(zip(rc["mean_predicted"], rc["observed_rate"], rc["count"], strict=True))
    enc = _encodings(chart)[1]
    assert enc["x"]["title"] == "predicted probability" and enc["y"]["title"] == "observed rate"
    assert enc["x"]["scale"]["domain"] == [0, 1] == enc["y"]["scale"]["domain"]


def test_driver_bars_are_the_records_shares(record):
    (bars,) = _rows(charts.drivers_chart(record))
    assert [(b["label"], b["share"]) for b in bars] == [(d["label"], d["share"]) for d in record["drivers"][:10]]
    assert _encodings(charts.drivers_chart(record))[0]["x"]["title"] == "share of influence"


def test_one_fairness_chart_per_attribute_with_its_groups(record):
    made = charts.fairness_charts(record)
    assert [name for name, _ in made] == list(record["fairness"]["attributes"])
    for name, chart in made:
        (bars,) = _rows(chart)
        groups = record["fairness"]["attributes"][name]["groups"]
        want = {(g["group"], "selection rate", g["selection_rate"]) for g in groups}
        assert want <= {(b["group"], b["metric"], b["value"]) for b in bars}
        assert _encodings(chart)[0]["x"]["title"] == name


def test_qini_curves_are_the_records():
    share = [0.0, 0.5, 1.0]
    rec = {
        "curves": {
            "qini": {
                "model": {"share": share, "qini": [0, 30, 40], "random": [0, 20, 40]},
                "baseline": {"share": share, "qini": [0, 22, 40], "random": [0, 20, 40]},
            }
        }
    }
    (rows,) = _rows(charts.qini_chart(rec))
    by = {w: [r["incremental"] for r in rows if r["who"] == w] for w in ("model", "baseline", "random")}
    assert by == {"model": [0, 30, 40], "baseline": [0, 22, 40], "random": [0, 20, 40]}
    assert charts.qini_chart({"curves": {}}) is None


def test_the_same_charts_in_german_keep_their_data_and_speak_german(record):
    en, de = charts.lift_chart(record), charts.lift_chart(record, lang="de")
    assert _rows(en) == _rows(de)  # the series keep their names; only the words change
    enc = _encodings(de)[0]
    assert enc["x"]["title"] == "Dezil der Werte (1 = höchste)" and enc["y"]["title"].startswith("Lift (Positivquote")
    assert "Modell" in enc["color"]["legend"]["labelExpr"]
    assert de.to_dict()["title"] == "Lift nach Dezil"
    (bars,) = _rows(charts.drivers_chart(record, lang="de"))
    assert [b["share"] for b in bars] == [d["share"] for d in record["drivers"][:10]]
    if charts.available():
        svg = charts.calibration(record, lang="de")
        assert "Kalibrierung" in svg and "0,5" in svg  # German axis numbers (format locale de-DE)


def _mentions_record():
    import numpy as np
    import pandas as pd

    from nomagic.usecases.language.monitor import monitor

    rng = np.random.default_rng(3)
    start = pd.Timestamp("2026-03-01")
    rows = []
    for brand, rate in (("Acme", 4), ("Globex", 2)):
        for h in range(10 * 24):
            for _ in range(rng.poisson(rate)):
                rows.append((f"good service @{brand}", start + pd.Timedelta(hours=h), brand, "positive"))
    for i in range(50):  # a storm at Acme only
        rows.append((f"@Acme parcel late again {i}", start + pd.Timedelta(days=8, hours=9), "Acme", "negative"))
    df = pd.DataFrame(rows, columns=["text", "created", "brand", "sentiment"])
    return monitor(df, text="text", time_col="created", brand_col="brand", label_col="sentiment", topics=False)


def test_brand_monitoring_chart_gives_each_brand_its_own_panel_and_alerts():
    import pandas as pd

    from nomagic.report.monitor import volume_chart

    rec = _mentions_record()
    chart = volume_chart(rec)
    spec = chart.to_dict()
    assert spec["facet"]["row"]["field"] == "brand"  # one panel per brand: the facet splits the rows by brand
    data = pd.DataFrame(chart.data)
    series, alerts = data[data["layer"] == "series"], data[data["layer"] == "alert"]
    want = pd.DataFrame(rec["series"]).groupby("brand")["mentions"].sum().to_dict()
    assert series.groupby("brand")["mentions"].sum().to_dict() == want
    assert sorted(alerts["brand"]) == sorted(a["brand"] for a in rec["alerts"]) and set(alerts["brand"]) == {"Acme"}
    area = spec["spec"]["layer"][1]
    assert area["encoding"]["y"]["title"] == "mentions per hour"  # the unit is on the axis
    assert area["encoding"]["color"]["scale"]["domain"] == ["positive", "neutral", "negative"]
    de = volume_chart(rec, lang="de").to_dict()
    assert de["spec"]["layer"][1]["encoding"]["y"]["title"] == "Erwähnungen je Stunde"
    assert de["title"] == "Erwähnungen nach Stimmung; schattiert: Alarm-Episoden"


def test_monitoring_chart_holds_each_periods_estimate_and_realized_value():
    import pandas as pd

    from nomagic.report.monitoring import monitoring_chart, monitoring_frame

    periods = pd.DataFrame(
        {
            "use_case": "churn",
            "version": "v0001",
            "period": ["2026-09-30", "2026-10-31", "2026-11-30"],
            "estimated_positive_rate": [0.20, 0.24, 0.31],
            "estimated_positive_rate_low": [0.18, 0.21, 0.27],
            "estimated_positive_rate_high": [0.22, 0.27, 0.35],
            "realized_positive_rate": [0.21, 0.26, None],  # the last period's labels have not arrived
            "estimated_roc_auc": [0.80, 0.79, 0.74],
            "realized_roc_auc": [0.81, 0.77, None],
        }
    )
    long = monitoring_frame(periods, "rate")
    assert long[long["what"] == "estimated"]["value"].tolist() == [0.20, 0.24, 0.31]
    assert long[long["what"] == "realized"]["value"].tolist() == [0.21, 0.26]  # nothing drawn before the labels
    chart = monitoring_chart(periods, "rate")
    band, lines = _rows(chart)
    assert [(r["low"], r["high"]) for r in band] == [(0.18, 0.22), (0.21, 0.27), (0.27, 0.35)]
    assert {r["what"] for r in lines} == {"estimated", "realized"}
    assert _encodings(chart)[1]["y"]["title"] == "positive rate"
    de = monitoring_chart(periods, "auc", lang="de")
    assert de.to_dict()["title"] == "ROC-AUC: ohne Labels geschätzt vs tatsächlich"
    (auc_lines,) = _rows(de)
    assert [r["value"] for r in auc_lines if r["what"] == "realized"] == [0.81, 0.77]
