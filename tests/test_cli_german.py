"""The command line in German: `--lang de` (or NOMAGIC_LANG=de) on errors, tables, verdicts and progress,
with German numbers (0,437; 10.000; 12 %) and dates (07.12.2026)."""

from __future__ import annotations

import io
import os
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from nomagic.cli import main


def run(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


@pytest.fixture
def english(monkeypatch):
    """Start in English whatever the shell says; the test sets German itself."""
    monkeypatch.delenv("NOMAGIC_LANG", raising=False)


@pytest.fixture
def narrow(monkeypatch):
    """The CLI's console as a pipe at 80 columns, captured."""
    console = Console(file=io.StringIO(), width=80, force_terminal=False, color_system=None)
    for module in ("nomagic.cli.lifecycle", "nomagic.cli.ui", "nomagic.cli.check", "nomagic.cli.demo"):
        monkeypatch.setattr(f"{module}.console", console)
    return console


def test_lang_de_gives_a_german_error_and_holds_for_one_call(english, tmp_path, capsys):
    assert run(["--lang", "de", "check", "-w", str(tmp_path / "none.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Fehler:") and "gibt es kein Warehouse" in err and "nomagic load TABELLE DATEI" in err
    assert "NOMAGIC_LANG" not in os.environ  # --lang does not outlive its call
    assert run(["check", "-w", str(tmp_path / "none.duckdb")]) == 2
    assert capsys.readouterr().err.startswith("error: there is no warehouse")


def test_the_environment_chooses_german_too(english, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NOMAGIC_LANG", "de")
    assert run(["evaluate", "churn", "--data", str(tmp_path / "missing.csv"), "--label", "Churn"]) == 2
    assert "Fehler: die Datei" in capsys.readouterr().err
    assert run(["evaluate", "bandits", "--data", "x.csv"]) == 2
    assert "Ja/Nein-Anwendungsfälle" in capsys.readouterr().err
    assert os.environ["NOMAGIC_LANG"] == "de"  # what the shell set stays


def test_lang_takes_only_en_or_de(english, capsys):
    assert run(["--lang", "fr", "models"]) == 2
    assert "--lang" in capsys.readouterr().err


def _record(use_case: str, metric: str, verdict: str, lo: float) -> dict:
    m = {"value": 0.437, "ci": [0.401, 0.474]}
    return {
        "use_case": use_case,
        "primary_metric": metric,
        "verdict": verdict,
        "metrics": {
            "model": {metric: m},
            "baseline": {metric: {"value": 0.428, "ci": [0.4, 0.45]}},
            "improvement": {metric: {"value": -0.002, "ci": [lo, -0.0001]}},
        },
    }


def test_the_reality_check_in_german_keeps_one_line_per_use_case_in_a_pipe(english, narrow, monkeypatch):
    from nomagic.cli.lifecycle import reality_table
    from nomagic.lifecycle.metrics import METRICS

    monkeypatch.setenv("NOMAGIC_LANG", "de")
    records = [
        _record(f"uc_{i:02d}_subject_lines"[:13], name, "not better than baseline", -0.101)
        for i, name in enumerate(METRICS)
    ]
    records.append(_record("churn", "roc_auc", "promoted", 0.01))
    narrow.print(reality_table(records))
    lines = narrow.file.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert lines[0].startswith("Realitätscheck") and "Verbesserung [95-%-KI]" in lines[1] and "Urteil" in lines[1]
    for r in records[:-1]:
        (line,) = [x for x in lines if x.startswith(r["use_case"])]
        assert "nicht besser" in line and "-0,002 [" in line and "…" not in line
    (churn,) = [x for x in lines if x.startswith("churn")]
    assert "0,428" in churn and "0,437" in churn and "[0,010; -0,000]" in churn and "übernommen" in churn
    assert any("nicht besser als die Baseline" in x for x in lines)


class _Registry:
    """Two versions of churn, as the registry lists them."""

    root = "/tmp/reg"

    def use_cases(self):
        return ["churn"]

    def versions(self, name):
        meta = {"created_at": "2026-12-07T10:30:00Z", "scorer": "model", "model_value": 0.8123, "baseline_value": 0.75}
        return [
            SimpleNamespace(version="v0001", status="retired", meta={**meta, "verdict": "not better than baseline"}),
            SimpleNamespace(version="v0002", status="champion", meta={**meta, "verdict": "promoted"}),
        ]


def test_models_in_german(english, narrow, monkeypatch):
    from nomagic.lifecycle.registry import Registry

    monkeypatch.setattr(Registry, "for_warehouse", classmethod(lambda cls, url: _Registry()))
    assert run(["--lang", "de", "models"]) == 0
    text = narrow.file.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text
    for word in ("Anwendungsfall", "erstellt", "Urteil", "Modell", "abgelöst", "Champion", "übernommen"):
        assert word in text, word
    assert "nicht besser" in text and "07.12.2026" in text and "0,812" in text and "0,750" in text
    assert "Modellregister: /tmp/reg" in text
    narrow.file.seek(0)
    narrow.file.truncate()
    assert run(["models"]) == 0
    text = narrow.file.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80 and "…" not in text
    assert "verdict" in text and "promoted" in text and "2026-12-07" in text and "0.812" in text


def test_check_of_a_file_in_german(english, narrow, tmp_path):
    rng = np.random.default_rng(0)
    n = 600
    tenure = rng.integers(1, 72, n)
    df = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "tenure": tenure,
            "region": rng.choice(["north", "south"], n),
            "churn": np.where(rng.random(n) < 1 / (1 + np.exp(0.5 + 0.03 * tenure)), "Yes", "No"),
        }
    )
    df["status"] = np.where(df["churn"] == "Yes", "cancelled", "active")  # a leak: known only afterwards
    path = tmp_path / "telco.csv"
    df.to_csv(path, index=False)
    assert run(["--lang", "de", "check", "--data", str(path), "--label", "churn"]) == 1  # not ready
    text = narrow.file.getvalue()
    assert "telco.csv: 600 Zeilen, Label churn" in text and "nicht bereit" in text
    assert "Stufe" in text and "Befund" in text and "Blocker" in text
    assert "Verdacht auf Datenleck" in text and "wie gut jede Spalte allein churn vorhersagt" in text
    assert "1,000" in text  # the leak's single-column ROC-AUC, German decimals


def test_verdict_progress_and_intervals_in_german(english, monkeypatch):
    from nomagic.cli import ui

    monkeypatch.setenv("NOMAGIC_LANG", "de")
    assert ui.format_ci({"value": 0.4291, "ci": [0.401, 0.474]}).de == "0,429 [0,401; 0,474]"
    assert str(ui.format_ci({"value": 0.4291, "ci": [0.401, 0.474]})) == "0.429 [0.401, 0.474]"
    assert ui.format_ci({"value": 0.12, "ci": [None, None]}, pct=True).de == "+12,0 %"
    out = Console(file=io.StringIO(), width=80, color_system=None)
    monkeypatch.setattr(ui, "console", out)
    record = {"verdict": "not ready", "explanation": "The data is not ready.", "explanation_de": "Nicht bereit."}
    assert ui.show_verdict(record) is False
    assert out.file.getvalue().splitlines() == ["nicht bereit", "Nicht bereit."]
    err = Console(file=io.StringIO(), width=80)
    monkeypatch.setattr(ui, "err_console", err)
    from nomagic.words import say

    bar = ui.LogProgress(every=0.0)
    task = bar.add_task(say("training churn", "churn wird trainiert"), total=100)
    bar.update(task, completed=12.5)
    assert err.file.getvalue().splitlines() == ["churn wird trainiert: 0 %", "churn wird trainiert: 12 %"]


def test_the_demo_says_its_steps_in_german(english, narrow, tmp_path):
    """A tiny world: churn is not ready there, which the demo says in German, and it still writes the report."""
    out = tmp_path / "report.html"
    world = ["--customers", "150", "--days", "90", "-u", "churn", "-w", str(tmp_path / "w.duckdb")]
    assert run(["--lang", "de", "demo", *world, "-o", str(out)]) == 0
    text = narrow.file.getvalue()
    for line in ("1. Ein Unternehmen simulieren", "2. Die Daten prüfen", "6. Realitätscheck", "7. Bericht"):
        assert line in text
    assert "150 Kunden" in text and "churn: nicht bereit" in text and "Realitätscheck" in text
    # too short a history for the monitoring row: it says so
    assert "Überwachungszeile übersprungen: sie braucht mindestens 480 Tage Historie (hier 90)" in " ".join(
        text.split()
    )
    assert "Bericht:" in text and "insgesamt" in text and "http://127.0.0.1:8000/dashboard öffnen" in text
    assert out.exists()
