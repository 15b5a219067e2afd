"""The Monitoring page and API: the monitor's logged alerts and each champion's registry history, in both languages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from nomagic.monitor.feature_log import log_features  # noqa: E402
from nomagic.serve import ServeConfig, create_app  # noqa: E402
from nomagic.serve.demo import copy_world, shared_world  # noqa: E402
from nomagic.serve.keys import KeyStore  # noqa: E402


def _feature(column, shift, noise, importance, psi):
    return {
        "column": column,
        "shift": shift,
        "shift_noise": noise,
        "psi": psi,
        "psi_noise": 0.05,
        "importance": importance,
    }


def _features_doc() -> dict:
    """Drift by feature of two churn periods, as `nomagic monitor models` logs it; the latest one moved."""
    calm = [_feature("tenure_days", 0.02, 0.05, 0.5, 0.01), _feature("orders_90d", 0.01, 0.04, 0.5, 0.02)]
    moved = [_feature("tenure_days", 0.1234, 0.05, 0.55, 0.3126), _feature("orders_90d", 0.01, 0.04, 0.45, 0.02)]
    periods = [
        {"as_of": "2026-09-30T00:00:00", "input_drift": {"features": calm}},
        {"as_of": "2026-10-31T00:00:00", "input_drift": {"features": moved}},
    ]
    return {"use_cases": [{"use_case": "churn", "version": "v0001", "periods": periods}]}


def _forget_the_demo_monitor(wh) -> None:
    """The shared world's demo logged a real monitoring row: these tests read hand-made logs instead."""
    for table in ("monitor_alerts", "monitor_periods", "monitor_features"):
        if wh.has(table):
            wh.drop(table)


def test_monitoring_page_and_api_show_alerts_and_history(tmp_path_factory):
    from nomagic.warehouse import connect

    world = copy_world(shared_world(tmp_path_factory), tmp_path_factory.mktemp("monitoring"))
    alert = {
        "use_case": "churn",
        "version": "v0001",
        "period": "2026-10-31",
        "severity": "critical",
        "kind": "prior shift",
        "evidence": '{"shift": 0.19, "noise": 0.14}',
        "meaning": "More customers leave than the model expects.",
        "meaning_de": "Mehr Kunden gehen, als das Modell erwartet.",
        "action": "Retrain on recent data.",
        "action_de": "Auf jüngeren Daten neu trainieren.",
        "created_at": pd.Timestamp("2026-11-01 08:00"),
    }
    periods = pd.DataFrame(
        {
            "use_case": "churn",
            "version": "v0001",
            "period": ["2026-09-30", "2026-10-31"],
            "rows": [500, 480],
            "estimated_positive_rate": [0.2, 0.3],
            "estimated_positive_rate_low": [0.18, 0.27],
            "estimated_positive_rate_high": [0.22, 0.33],
            "realized_positive_rate": [0.21, None],
            "estimated_roc_auc": [0.8, 0.78],
            "realized_roc_auc": [0.81, None],
            "alerts": [0, 1],
        }
    )
    with connect(world) as wh:
        _forget_the_demo_monitor(wh)
        wh.write("monitor_alerts", pd.DataFrame([alert]))
        wh.write("monitor_periods", periods)
        log_features(wh, _features_doc())
    keys = Path(world).parent / "keys.json"
    key = KeyStore(keys).create("analyst", name="t")[0]
    app = create_app(ServeConfig(warehouse=world, keys=keys, fit_recommender=False, health=False, background=False))
    with TestClient(app) as c:
        api = c.get("/api/v1/monitor/alerts", headers={"X-API-Key": key, "Accept-Language": "de"}).json()
        assert api["alerts"][0]["meaning"] == "Mehr Kunden gehen, als das Modell erwartet."
        assert api["alerts"][0]["severity"] == "critical" and "churn" in api["history"]
        page = c.get("/login")
        csrf = page.cookies.get("nm_login_csrf") or c.cookies.get("nm_login_csrf")
        c.post("/login", data={"api_key": key, "csrf": csrf, "next": "/dashboard"}, follow_redirects=False)
        en = c.get("/dashboard/monitoring?lang=en").text
        assert "More customers leave than the model expects." in en and "Retrain on recent data." in en
        de = c.get("/dashboard/monitoring?lang=de").text
        assert "Mehr Kunden gehen" in de and "kritisch" in de and "31.10.2026" in de and "Überwachung" in de
        assert "champion" in c.get("/dashboard/monitoring?lang=en").text  # the registry history of each champion
        from nomagic.report import charts

        if charts.available():  # estimated against realized, drawn per period
            assert "chart-monitoring-rate" in en and "Positivquote: ohne Labels geschätzt" in de
        # drift by feature with importance: the latest period's columns, in words, in a table and a chart
        assert "Drift by feature" in en and "Drift nach Merkmal" in de
        assert "1 of the 2 most important columns moved beyond their noise: tenure_days (importance 55%" in en
        assert "on its own it pages no one" in en
        assert "1 der 2 wichtigsten Spalten über ihr Rauschen hinaus verschoben: tenure_days (Wichtigkeit 55 %" in de
        assert (
            "allein löst sie keinen Alarm aus" in de
            and '<td class="num">0,123</td>' in de
            and "0,313</td>" in de
            and "über dem Rauschen" in de
        )
        assert 'class="moved"><td>tenure_days</td>' in en and "0.123" in en
        if charts.available():
            assert "chart-monitoring-drift" in en and "Drift nach Merkmal, Zeitraum bis 31.10.2026" in de


def test_monitoring_api_serves_the_periods_and_the_drift_by_feature(tmp_path_factory):
    from nomagic.warehouse import connect

    world = copy_world(shared_world(tmp_path_factory), tmp_path_factory.mktemp("monitoring-api"))
    with connect(world) as wh:
        _forget_the_demo_monitor(wh)
        log_features(wh, _features_doc())
        wh.write(
            "monitor_periods",
            pd.DataFrame(
                {
                    "use_case": "churn",
                    "version": "v0001",
                    "period": ["2026-10-31", "2026-09-30"],
                    "rows": [480, 500],
                    "estimated_positive_rate": [0.3, 0.2],
                    "realized_positive_rate": [None, 0.21],
                    "alerts": [1, 0],
                }
            ),
        )
    keys = Path(world).parent / "keys.json"
    h = {"X-API-Key": KeyStore(keys).create("viewer", name="t")[0]}
    app = create_app(ServeConfig(warehouse=world, keys=keys, fit_recommender=False, health=False, background=False))
    with TestClient(app) as c:
        periods = c.get("/api/v1/monitor/periods?use_case=churn", headers=h).json()["periods"]
        assert [p["period"] for p in periods] == ["2026-09-30", "2026-10-31"]  # in time order
        assert periods[1]["estimated_positive_rate"] == 0.3 and periods[1]["realized_positive_rate"] is None
        assert c.get("/api/v1/monitor/periods?use_case=propensity", headers=h).json() == {"periods": []}
        features = c.get("/api/v1/monitor/features", headers=h).json()["features"]
        assert len(features) == 4
        latest = c.get("/api/v1/monitor/features?use_case=churn&period=latest", headers=h).json()["features"]
        assert [f["column"] for f in latest] == ["tenure_days", "orders_90d"]  # most important first
        first = latest[0]
        assert (first["period"], first["shift"], first["shift_noise"], first["psi"]) == (
            "2026-10-31",
            0.1234,
            0.05,
            0.3126,
        )
        assert first["importance"] == 0.55 and first["beyond_noise"] is True and latest[1]["beyond_noise"] is False
        sept = c.get("/api/v1/monitor/features?period=2026-09-30", headers=h).json()["features"]
        assert {f["period"] for f in sept} == {"2026-09-30"} and not any(f["beyond_noise"] for f in sept)
        assert c.get("/api/v1/monitor/features?period=2026-01-01", headers=h).json() == {"features": []}
        bad = c.get("/api/v1/monitor/features?period=last-week", headers={**h, "Accept-Language": "de"})
        assert bad.status_code == 400 and "ist kein Datum" in bad.json()["detail"]
        for route in ("periods", "features"):
            r = c.get(f"/api/v1/monitor/{route}?use_case=nosuch", headers={**h, "Accept-Language": "de"})
            assert r.status_code == 404 and "unbekannter Anwendungsfall 'nosuch'" in r.json()["detail"]
            r = c.get(f"/api/v1/monitor/{route}?use_case=nosuch", headers=h)
            assert r.status_code == 404 and "unknown use case 'nosuch'" in r.json()["detail"]
            assert c.get(f"/api/v1/monitor/{route}").status_code == 401
        app.state.nm.periods = app.state.nm.features = None  # nothing logged yet: empty lists
        assert c.get("/api/v1/monitor/periods", headers=h).json() == {"periods": []}
        assert c.get("/api/v1/monitor/features?use_case=churn", headers=h).json() == {"features": []}
