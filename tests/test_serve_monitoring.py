"""The Monitoring page and API: the monitor's logged alerts and each champion's registry history, in both languages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from nomagic.serve import ServeConfig, create_app  # noqa: E402
from nomagic.serve.demo import copy_world, shared_world  # noqa: E402
from nomagic.serve.keys import KeyStore  # noqa: E402


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
        wh.write("monitor_alerts", pd.DataFrame([alert]))
        wh.write("monitor_periods", periods)
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
