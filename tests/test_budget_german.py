"""Budget in German: errors, warnings, explanations, optimiser words, the CLI and the report, with German numbers."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_budget import synthetic

from nomagic.errors import InputError
from nomagic.lifecycle.record import dumps
from nomagic.usecases.budget.data import check_size, clean
from nomagic.usecases.budget.evaluate import evaluate_frame
from nomagic.usecases.budget.model import MMM
from nomagic.usecases.budget.optimise import check_bounds, money


@pytest.fixture(scope="module")
def record() -> dict:
    df, _ = synthetic()
    cl, warns = clean(df, date="week", target="sales", channels=["tv", "search"], controls=["price"])
    make = lambda: MMM(["tv", "search"], date="week", target="sales", controls=["price"])  # noqa: E731
    return evaluate_frame(cl, make, n_boot=200, warnings=warns).record


def test_errors_name_file_row_and_column_in_german():
    df = pd.DataFrame({"d": ["2024-01-01", "2024-01-08"], "y": [1, 2], "tv": [1, -3.5]})
    with pytest.raises(InputError) as e:
        clean(df, date="d", target="y", channels=["tv"], controls=[], source="woche.csv")
    assert e.value.lang("de") == (
        "woche.csv, Zeile 3, Spalte 'tv': negative Ausgaben (-3,5); Ausgaben müssen 0 oder mehr sein"
    )
    assert str(e.value) == "woche.csv, row 3, column 'tv': negative spend (-3.5); spend must be 0 or more"
    df = pd.DataFrame({"d": ["2024-01-01", "2024-01-01"], "y": [1, 2], "tv": [1, 3]})
    with pytest.raises(InputError) as e:
        clean(df, date="d", target="y", channels=["tv"], controls=[])
    assert "das Datum 01.01.2024 kommt zweimal vor" in e.value.lang("de")  # German date
    with pytest.raises(InputError) as e:
        check_bounds(10_000.0, [6_000.0, 5_000.5], [8_000.0, 8_000.0], ["tv", "search"])
    assert "die Untergrenzen ergeben zusammen 11.000,50, mehr als das Budget 10.000,00" in e.value.lang("de")
    assert "15 Perioden für 12 Parameter: zu wenige" in check_size_error(15, 12)


def check_size_error(n, p) -> str:
    with pytest.raises(InputError) as e:
        check_size(n, p, "woche.csv")
    return e.value.lang("de")


def test_money_and_the_optimiser_words_in_german(record):
    assert money(1234567.8).de == "1.234.568" and str(money(1234567.8)) == "1,234,568"
    assert money(-0.0123, "+").de == "-0,0123"
    words = record["allocation"]["words"]
    assert words.de.startswith("Mit ") and "je Periode" in words.de and "90-%-Intervall" in words.de
    assert "tv " in words.de and " %)" in words.de  # the channel's change as "+12 %"


def test_explanation_and_diagnostics_in_german(record):
    de = record["explanation"].de
    assert de.startswith("Geprüft wurde nur die Anpassung") and "nicht übernommen" in de
    assert "Prozentpunkte" in de and "95-%-KI" in de
    mape = record["metrics"]["model"]["holdout_mape"]["value"]
    assert f"MAPE von {100 * mape:.1f} %".replace(".", ",") in de  # decimal comma, a space before %
    assert record["diagnostics"]["words"].de.startswith("Die Anpassung hat jede Prüfung bestanden")
    assert "nicht geprüft" in record["roi_check"]["words"].de
    # written to JSON, every sentence keeps its German next to it
    written = json.loads(dumps(record))
    assert written["explanation_de"] == de and written["allocation"]["words_de"] == record["allocation"]["words"].de
    assert written["roi_check"]["words_de"].startswith("ROIs, Kurven")


def test_the_report_in_german(record):
    pytest.importorskip("altair")
    from nomagic.report.budget import render, response_chart, roi_chart

    page = render({**record, "verdict": "not better than baseline"}, lang="de")
    assert "<html lang=de>" in page and "Keine Empfehlung" in page and "Grenz-ROI" in page
    assert "Beleg: nur die Anpassung im Testzeitraum" in page and "nicht besser als die Baseline" in page
    assert "Only the fit was checked" not in page and "Response curves" not in page
    spec = response_chart(record, lang="de").to_dict()
    assert spec["title"].startswith("Reaktionskurven")
    first = spec["concat"][0]["layer"][0]["encoding"]
    assert first["x"]["title"] == "Ausgaben je Periode" and first["y"]["title"] == "Wirkung je Periode"
    assert "Ertrag je ausgegebener Einheit" in json.dumps(roi_chart(record, lang="de").to_dict())
    en = render(record)  # English stays English
    assert "Evidence: the holdout fit only" in en and "Kanal" not in en


def test_the_command_line_in_german(record, capsys, monkeypatch):
    from nomagic.cli import budget as cli_budget

    monkeypatch.setenv("NOMAGIC_LANG", "de")
    cli_budget._show(record)
    out = " ".join(capsys.readouterr().out.split())  # the console wraps lines
    assert "nicht besser als die Baseline" in out and "Testzeitraum" in out and "je Kanal" in out
    assert "Beleg: nur die Anpassung im Testzeitraum" in out and "Anpassung: verlässlich" in out
    assert "vorgeschlagene Aufteilung von" in out and "Geprüft wurde nur die Anpassung" in out
    assert "held-out periods" not in out and "proposed split of" not in out
