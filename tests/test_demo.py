"""``nomagic demo`` end to end at a small size: the reality-check table and the report."""

from __future__ import annotations

import re

from nomagic.cli import main


def test_demo_end_to_end(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NOMAGIC_REGISTRY", raising=False)
    import nomagic.cli

    monkeypatch.setattr(nomagic.cli.console, "width", 160)  # created at import, before any COLUMNS here
    wh = tmp_path / "demo.duckdb"
    out = tmp_path / "report.html"
    try:
        main(["demo", "--customers", "1500", "--days", "500", "--seed", "3", "-w", str(wh), "-o", str(out)])
    except SystemExit as exc:
        assert exc.code in (0, None)
    text = capsys.readouterr().out
    # the reality-check table: one row per use case with metric, baseline, model, improvement and verdict
    assert "Reality check" in text
    for name in ("churn", "propensity"):
        row = next(line for line in text.splitlines() if line.startswith(f"│ {name} "))
        assert "ROC-AUC" in row
        assert re.search(r"0\.\d{3} +│ +0\.\d{3} +│ +[+-]0\.\d{3} \[-?0\.\d{3}, -?0\.\d{3}\]", row), row
        assert re.search(r"promoted|not better than baseline", row), row
    # the report: one offline file with the table and the charts
    html = out.read_text()
    assert "Reality check" in html
    assert html.count("<svg") >= 6  # lift, calibration and drivers for each use case (+ fairness)
    assert "Lift by decile" in html and "Calibration" in html and "Drivers" in html and "Fairness" in html
    assert "<script" not in html and not re.search(r"(src|href)=['\"]https?://", html)
    # brand monitoring of the shop's social posts: a section with the volume chart, or why it was skipped
    section = html[html.index("id='brand-monitoring'") :]
    assert "Mentions by sentiment" in section or "Skipped" in section
    assert "brand monitoring" in text
    # every use case is registered, with its model card
    for name in ("churn", "propensity"):
        assert (tmp_path / ".nomagic" / "registry" / name / "v0001" / "card.md").exists()
    # and scored: the dashboard and the API find what they serve
    from nomagic.warehouse import connect

    with connect(str(wh)) as w:
        tables = set(w.con.list_tables())
        assert {"scores_churn", "scores_propensity", "segments"} <= tables
        n = w.con.table("customers").count().execute()
        assert w.con.table("scores_churn").count().execute() > 0.5 * n
        assert ("clv_scores" in tables) == ("clv: not scored" not in text)
    assert "5. score every customer" in text
    # the monitoring row: the injected change, churn gone live before it, each period, the decision
    row = text[text.index("4. monitor and retrain") : text.index("5. score every customer")]
    assert "the world changed on" in row and "a competitor poaches 60%" in row and "truth_drift" in row
    assert re.search(r"churn v0001 went live on \d{4}-\d{2}-\d{2}, trained on the data up to then", row), row
    periods = re.findall(r"period to \d{4}-\d{2}-\d{2}: ", row)
    assert len(periods) >= 3
    alerted = "ALERT (" in row
    assert alerted == ("retraining after the alert of" in row)
    assert alerted != ("no alert, so no retraining" in row)
    report_row = html[html.index("id='monitoring'") : html.index("id='brand-monitoring'")]
    assert "Monitoring: churn after going live" in report_row and "truth_drift" in report_row
    with connect(str(wh)) as w:
        logged = w.table("monitor_periods").execute()
        assert len(logged) == len(periods) and set(logged["use_case"]) == {"churn"}
        assert w.has("monitor_features") and w.has("truth_drift")
        assert (w.has("monitor_alerts") and len(w.table("monitor_alerts").execute()) > 0) == alerted
    churn_versions = sorted(p.name for p in (tmp_path / ".nomagic" / "registry" / "churn").glob("v*"))
    assert churn_versions == (["v0001", "v0002"] if alerted else ["v0001"])
    # it says where the report is and how to open the dashboard
    assert str(out.resolve()) in text.replace("\n", "") and "http://127.0.0.1:8000/dashboard" in text


def test_demo_refuses_a_warehouse_with_real_data(tmp_path, capsys):
    import pandas as pd

    from nomagic.warehouse import connect

    path = tmp_path / "mine.duckdb"
    with connect(str(path)) as w:
        w.write("customers", pd.DataFrame({"customer_id": ["a"]}))
    try:
        main(["demo", "--customers", "100", "-w", str(path)])
    except SystemExit as exc:
        assert exc.code == 2
    assert "--force" in capsys.readouterr().err
