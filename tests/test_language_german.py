"""Language use cases in German: explanations, errors, alert wording and the CLI/API, with German numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nomagic.errors import NomagicError


def test_sentiment_and_intent_not_ready_say_it_in_german():
    from nomagic.usecases.language.intents import evaluate_intent
    from nomagic.usecases.language.sentiment import evaluate_sentiment

    rec = evaluate_sentiment(["gut", "schlecht", "ok"], ["pos", "neg", "neu"])
    assert rec["verdict"] == "not ready"
    assert rec["explanation"].startswith("Not ready: 3 labelled texts")
    assert rec["explanation"].de.startswith("Nicht bereit: 3 gelabelte Texte in 3 Klasse(n)")
    rec = evaluate_intent(["a b", "c d"] * 1000, ["x"] * 1999 + ["y"])
    assert rec["explanation"].de.startswith("Nicht bereit: 2.000 gelabelte Texte in 2 Anliegen")  # 2.000, not 2,000


def test_classifier_words_and_errors_in_german():
    from nomagic.usecases.language.textclf import TextClassifier

    texts = ["great, love it", "awful, broke", "love it, great", "it broke, awful"] * 10
    clf = TextClassifier(features="tfidf", cv=2, oof=True).fit(texts, ["pos", "neg", "pos", "neg"] * 10)
    words = clf.describe()
    assert "chosen by macro-F1" in words and "gewählt nach Makro-F1" in words.de
    assert "(tfidf 1,000)" in words.de  # the validation score with a decimal comma
    with pytest.raises(NomagicError) as err:
        TextClassifier(features="magic")
    assert err.value.lang("de") == "features muss eines von auto, tfidf, embed, stack sein, nicht 'magic'"
    with pytest.raises(NomagicError) as err:
        TextClassifier(features="tfidf").fit(["a", "b"], ["x", "x"])
    assert "nur eine Klasse" in err.value.lang("de")


def test_faq_errors_in_german():
    from nomagic.usecases.language.faq import FaqAssistant

    with pytest.raises(NomagicError) as err:
        FaqAssistant([], embedder=None)
    assert err.value.lang("de") == "die FAQ hat keine Einträge"
    faq = [
        {"id": "F1", "question": "Wie lange?", "answer": "2 Tage"},
        {"id": "F2", "question": "Wo?", "answer": "Hier"},
    ]
    with pytest.raises(NomagicError) as err:
        FaqAssistant(faq, embedder=None, examples=[("wann kommt es", "F9")])
    assert err.value.lang("de") == "Beispiel 1 nennt den FAQ-Eintrag 'F9', den die FAQ nicht hat"


def test_monitor_words_in_german():
    from nomagic.usecases.language.monitor import alert_rule, describe_peak, monitor

    peak = describe_peak({"peak": {"count": 1082, "expected": 17.3}})
    assert str(peak) == "1,082 vs 17.3" and peak.de == "1.082 gegenüber 17,3"
    share = describe_peak({"peak": {"share": 0.78, "expected_share": 0.4}})
    assert share.de == "78 % gegenüber 40 %"
    rule = alert_rule("day", 1000, 5.0, 14)
    assert rule.startswith("a day's count is at least 1,000")
    assert rule.de.startswith("ein Tag mit mindestens 1.000 Erwähnungen") and "Wochentags-Muster" in rule.de
    with pytest.raises(NomagicError) as err:
        monitor(pd.DataFrame({"t": ["x"]}), text="text", time_col="t")
    assert err.value.lang("de") == "Spalte 'text' nicht gefunden; die Daten haben: t"
    times = pd.date_range("2026-01-01", periods=30, freq="D").repeat(2)
    rec = monitor(
        pd.DataFrame({"text": ["gut"] * 60, "time": times, "label": ["positiv", "weird"] * 30}),
        text="text",
        time_col="time",
        label_col="label",
        topics=False,
    )
    assert rec["sentiment"]["source"].de == "Labels in Spalte 'label'"
    assert rec["warnings"][0].de.startswith("30 Labels sind weder positiv noch neutral noch negativ")
    assert rec["question"].de.startswith("Was sagen die Leute")


def test_cli_evaluate_sentiment_speaks_german(tmp_path, capsys, monkeypatch):
    pytest.importorskip("vaderSentiment")
    pytest.importorskip("textblob_de")
    import nomagic.cli.language  # noqa: F401  (registers the commands)
    from nomagic.cli import main

    pos = ["Tolle Qualität, sehr zufrieden", "Super Lieferung, gerne wieder", "Passt perfekt, klasse"]
    neg = ["Kam nie an, sehr ärgerlich", "Schlechte Qualität, kaputt", "Nie wieder, furchtbar"]
    rng = np.random.default_rng(0)
    texts, labels = [], []
    for i in range(30):
        for label, pool in (("positiv", pos), ("negativ", neg)):
            texts.append(f"{pool[rng.integers(3)]} #{i}")
            labels.append(label)
    pd.DataFrame({"text": texts, "label": labels}).to_csv(tmp_path / "s.csv", index=False)
    monkeypatch.setenv("NOMAGIC_LANG", "de")
    monkeypatch.setenv("COLUMNS", "200")
    main(["evaluate-sentiment", "--data", str(tmp_path / "s.csv"), "--text", "text", "--label", "label",
          "--features", "tfidf", "--n-boot", "100", "--json", str(tmp_path / "s.json")])  # fmt: skip
    out = " ".join(capsys.readouterr().out.split())
    assert "5-fache stratifizierte Kreuzvalidierung, Seed 0 (95-%-KI)" in out
    assert "Verglichen an 60 Texten" in out and "Makro-F1" in out
    assert "geschrieben" in out
    with pytest.raises(SystemExit) as done:
        main(["evaluate-sentiment", "--data", str(tmp_path / "s.csv"), "--text", "review", "--label", "label"])
    assert done.value.code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "hat keine Spalte 'review' (angegeben als --text)" in err


def test_api_monitor_answers_in_the_clients_language(tmp_path):
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from nomagic.serve import ServeConfig, create_app
    from nomagic.serve.keys import KeyStore
    from nomagic.warehouse import connect

    url = str(tmp_path / "w.duckdb")
    connect(url).close()
    keys = tmp_path / "keys.json"
    key = KeyStore(keys, recheck_seconds=0).create("analyst", name="t")[0]
    app = create_app(ServeConfig(warehouse=url, keys=keys, fit_recommender=False, flush_seconds=3600))
    start = pd.Timestamp("2026-03-01")
    mentions = [
        {"text": f"Acme ok #{i}", "time": (start + pd.Timedelta(hours=i)).isoformat(), "label": "neutral"}
        for i in range(60)
    ]
    with TestClient(app) as client:
        for lang, words in (("de", "Labels in Spalte 'label'"), ("en", "labels in column 'label'")):
            r = client.post(
                "/api/v1/monitor",
                json={"mentions": mentions},
                headers={"X-API-Key": key, "Accept-Language": lang},
            )
            assert r.status_code == 200, r.text
            body = r.json()
            assert body["sentiment"]["source"] == words
            assert body["alert_rule"].startswith("eine Stunde mit mindestens" if lang == "de" else "an hour's count")
