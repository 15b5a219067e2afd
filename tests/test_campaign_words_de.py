"""Campaign use cases speak German: uplift, send time, subject lines, bandits (records, errors, CLI, API)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import nomagic.cli.bandits  # noqa: F401  (registers the commands)
from nomagic.cli import main
from nomagic.errors import InputError, NomagicError
from nomagic.lifecycle.record import dumps
from nomagic.usecases.bandits import Columns, check_logs, off_policy_value, stopping_rule
from nomagic.usecases.sendtime import evaluate_log, send_log
from nomagic.usecases.subject_lines import evaluate_subjects
from nomagic.words import Text


def test_stopping_rule_says_it_in_german():
    stop = stopping_rule([300, 100], [10_000, 10_000], arms=["A", "B"])
    assert stop.message.startswith("Stop: send variant A") and "3.00%" in stop.message
    assert stop.message.de.startswith("Test beenden: Variante A senden")
    assert "3,00 %" in stop.message.de and "Mit 95 % Sicherheit" in stop.message.de
    keep = stopping_rule([30, 29], [1000, 1000], relative=False)
    assert keep.message.de.startswith("Weiter testen") and "Prozentpunkte" in keep.message.de
    with pytest.raises(InputError) as err:
        stopping_rule([1], [10])
    assert "mindestens zwei Varianten" in err.value.lang("de")


def test_off_policy_sentence_in_german():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2, 3398)
    r = rng.random(3398) < np.where(a == 1, 0.3, 0.1)
    res = off_policy_value(a, np.full(3398, 0.5), r, {1: 1.0}, n_boot=100)
    text = res.explanation()
    assert str(text).startswith("Judged on 3,398 logged decisions without running it: the new policy would earn 0.")
    assert "95% CI" in text
    de = text.de
    assert de.startswith("Bewertet an 3.398 protokollierten Entscheidungen, ohne sie auszuführen: die neue Strategie")
    assert "95-%-KI" in de and "doppelt robust" in de and "Andere Schätzer: IPS 0," in de
    assert "0." not in de.replace("0.0", "")  # decimals with a comma
    assert "Die neue Strategie ist besser als die protokollierte, mit 95 % Sicherheit." in de


def test_log_errors_name_the_line_and_column_in_german():
    cols = Columns(source="logs.csv", propensity="p", row_offset=2, row_word="line")
    with pytest.raises(InputError) as err:
        check_logs(["A", "B", "A"], [0.5, 0.5, 0.0], [1, 0, 1], columns=cols)
    assert "logs.csv, line 4, column 'p'" in str(err.value)
    assert "logs.csv, Zeile 4, Spalte 'p': Die Propensity ist 0" in err.value.lang("de")


def test_uplift_record_in_german():
    from nomagic.usecases.uplift.evaluate import evaluate_frames, not_ready_record

    rng = np.random.default_rng(0)
    n = 3000
    X = pd.DataFrame({"a": rng.random(n), "noise": rng.normal(size=n)})
    t = rng.integers(0, 2, n)
    y = (rng.random(n) < 0.1 + t * (0.3 * X["a"].to_numpy() - 0.1)).astype(int)
    ev = evaluate_frames(
        X[:1500], t[:1500], y[:1500], X[1500:], t[1500:], y[1500:], data={"source": "toy"}, split={}, n_boot=50
    )
    record = json.loads(dumps(ev.record))
    assert "Das Uplift-Verfahren:" in record["explanation_de"] and "kreuzvalidiertem Qini" in record["explanation_de"]
    assert "The learner:" in record["explanation"]
    assert "innerhalb der Trainingsdaten" in record["model"]["description_de"]
    dogs = [w for w in record["warnings_de"] if "Sleeping Dogs" in w]
    assert dogs and "von 1.500 Testzeilen" in dogs[0] and " %)" in dogs[0]
    with pytest.raises(NomagicError) as err:
        evaluate_frames(X[:80], t[:80], y[:80], X, t, y, data={}, split={})
    rec = not_ready_record(err.value.args[0], {})
    assert (
        rec["explanation"].de.startswith("Nicht bereit: Trainingszeilen:") and "Kontrollzeilen" in rec["explanation"].de
    )


def test_uplift_file_errors_in_german():
    from nomagic.usecases.uplift.data import prepare

    df = pd.DataFrame({"arm": ["T", "C"] * 5, "y": [1, 0] * 5, "x": range(10)})
    with pytest.raises(InputError) as err:
        prepare(df, treatment="arm=T", control="C", label="nope", source="exp.csv")
    assert err.value.lang("de").startswith("exp.csv: hat keine Spalte 'nope' (angegeben als --label)")


def _sends(n_cust=400, days=120, sends=30, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_cust):
        day = np.sort(rng.choice(days, sends, replace=False))
        hour = rng.integers(8, 20, sends)
        sent = pd.Timestamp("2026-01-05") + pd.to_timedelta(day, "D") + pd.to_timedelta(hour, "h")
        opened = pd.Series(sent + pd.Timedelta(hours=1)).where(rng.random(sends) < 0.3)
        rows.append(pd.DataFrame({"cust": f"c{c}", "sent": sent, "opened": opened}))
    return pd.concat(rows, ignore_index=True)


def test_sendtime_record_in_german():
    log = send_log(_sends(), "cust", "sent", "opened")
    ev = evaluate_log(log, n_boot=50, tolerance_hours=1)
    assert ev.verdict in ("promoted", "not better than baseline"), ev.record["explanation"]
    record = json.loads(dumps(ev.record))
    assert "Lieblingsstunden-Modell" in record["model"]["description_de"][0]
    assert record["baseline"]["description_de"][0].startswith("alle zur global besten Stunde")
    assert record["question_de"] == "Zu welcher Stunde soll jeder Kunde unsere E-Mails bekommen?"
    few = evaluate_log(log.iloc[:400], n_boot=10).record["explanation"]
    assert few.de.startswith("Nicht bereit: nur ") and "Sendungen vor dem Stichtag" in few.de
    assert few.de.split("Stichtag ")[1][2] == "."  # the date as 07.12.2026
    with pytest.raises(InputError) as err:
        send_log(pd.DataFrame({"cust": ["a", ""], "sent": ["2026-01-01", "2026-01-02"]}), "cust", "sent", "sent")
    assert "Spalte 'cust', Datenzeile 2: Die Kunden-ID ist leer" in err.value.lang("de")


def test_subject_line_drivers_in_german():
    rng = np.random.default_rng(0)
    lines = ["Nur heute: 20% auf alles!", "Neue Herbstmode", "Letzte Chance, {first_name}", "Unser Newsletter"]
    rate = {lines[0]: 0.35, lines[1]: 0.2, lines[2]: 0.3, lines[3]: 0.15}
    subj = rng.choice(lines + ["News 1", "News 2"], 4000)
    opened = rng.random(4000) < np.array([rate.get(s, 0.15) for s in subj])
    hist = pd.DataFrame({"subject": subj, "opened": opened})
    record = json.loads(dumps(evaluate_subjects(hist, n_boot=50).record))
    drivers = {d["feature"]: d for d in record["drivers"]}
    assert drivers["urgency"]["label_de"] == "Dringlichkeitswörter"
    assert drivers["urgency"]["summary_de"].startswith("Dringlichkeitswörter -> ")
    assert drivers["number"]["label"] == "a number" and drivers["number"]["label_de"] == "eine Zahl"
    assert record["question_de"] == "Welche Betreffzeile öffnen mehr Menschen?"
    tiny = evaluate_subjects(hist.iloc[:100], n_boot=10).record["explanation"]
    assert tiny.de.startswith("Nicht bereit: 75 Sendungen zum Lernen")


def test_bandit_api_stop_message_in_german():
    from nomagic.serve.routes_bandits import _stop
    from nomagic.usecases.bandits import ThompsonSampling

    b = ThompsonSampling(["A", "B"]).fit(["A"] * 40 + ["B"] * 40, [1] * 30 + [0] * 10 + [1] * 10 + [0] * 30)
    stop = _stop(b)
    assert stop.message_de.startswith(("Test beenden", "Weiter testen")) and stop.message_de != stop.message
    fresh = ThompsonSampling(["A", "B"])
    fresh._ensure()
    assert _stop(fresh).message_de == "Weiter testen: noch keine Belohnungen."


def test_cli_speaks_german(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("NOMAGIC_LANG", "de")
    assert _cli(["bandit-stop", "--successes", "500,300", "--trials", "10000,10000", "--arms", "A,B"]) == 0
    out = capsys.readouterr().out
    assert "beenden" in out and "Variante A senden" in out and "5,00 %" in out
    rng = np.random.default_rng(1)
    a = rng.choice(["A", "B"], 2000)
    logs = tmp_path / "logs.csv"
    pd.DataFrame({"act": a, "p": 0.5, "y": (rng.random(2000) < np.where(a == "B", 0.3, 0.1)).astype(int)}).to_csv(
        logs, index=False
    )
    args = ["evaluate-policy", "--logs", str(logs), "--action", "act", "--propensity", "p", "--reward", "y"]
    assert _cli([*args, "--policy", "always:B", "--n-boot", "100"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # Rich wraps lines
    assert "übernommen" in out and "Bewertet an 2.000 protokollierten" in out and "die feste Wahl von 'B'" in out
    assert _cli([*args, "--policy", "mix:A=0.5,B=0.6"]) == 2
    from nomagic.cli.bandits import _parse_mix

    with pytest.raises(InputError) as err:
        _parse_mix("A=0.5,B=0.6", "mix:A=0.5,B=0.6")
    assert "ergeben zusammen 1,1, nicht 1" in err.value.lang("de")


def _cli(argv) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_text_values_survive_pickling_in_records():
    # records travel through joblib / multiprocessing in the lifecycle: the German must come along
    import pickle

    t = stopping_rule([300, 100], [10_000, 10_000]).message
    back = pickle.loads(pickle.dumps(t))
    assert isinstance(back, Text) and back.de == t.de
