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
