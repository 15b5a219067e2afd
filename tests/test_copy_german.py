"""Copy in German: guardrail reasons, scoring caveats, notes, errors and the CLI."""

from __future__ import annotations

import json

import pytest

from nomagic.errors import NomagicError
from nomagic.usecases.copy import Brief, Guardrails, suggest_copy
from nomagic.usecases.copy.brief import Candidate


def test_guardrail_reasons_in_german():
    g = Guardrails(required=["Acme"])
    cs = [Candidate({"subject": s}, source="template") for s in
          ["Acme: new in", "Garantiert günstig bei Acme " + "x" * 40, "CLICK HERE NOW!!", "acme:  NEW in"]]  # fmt: skip
    g.check(cs)
    assert [r.de for r in cs[1].reasons] == [
        "Betreffzeile hat 68 Zeichen; erlaubt sind 60",
        "verbotene Aussage 'garantiert'",
    ]
    assert [r.de for r in cs[2].reasons] == [
        "Spam-Auslöser 'click here'",
        "Spam-Stil: '!!'",
        "Spam-Stil: 2 Wörter in Großbuchstaben",
        "fehlender Pflichtbegriff 'Acme'",
    ]
    assert cs[3].reasons[0].de == "Duplikat von Kandidat 1"
    assert str(cs[3].reasons[0]) == "duplicate of candidate 1"  # the English stays what it was


def test_report_carries_german_next_to_english():
    r = suggest_copy(Brief(product="Laufschuhe", language="de"), n=50)
    d = r.to_dict()
    assert d["notes_de"][0].startswith("50 angefordert; nur ")
    assert d["scoring"]["caveat_de"].startswith("nicht bewertet: kein Betreffzeilen-Modell")
    assert d["source"]["label_de"] == "Vorlage (offline, aus dem Briefing gefüllt; kein Sprachmodell)"
    json.dumps(d)  # plain JSON


def test_caveat_follows_the_verdict_in_german():
    from nomagic.usecases.copy.scoring import caveat

    rec = {"verdict": "not better than baseline", "explanation": "No.", "explanation_de": "Nein."}
    words = caveat(rec)
    assert "did NOT beat" in words and words.endswith("Evaluation: No.")
    assert "NICHT" in words.de and words.de.endswith("Evaluation: Nein.")
    assert caveat({"verdict": "not ready", "explanation": "few"}).de.startswith(
        "das Betreffzeilen-Modell konnte nicht beurteilt werden (nicht bereit)"
    )


def test_copy_errors_in_german(tmp_path):
    from nomagic.usecases.copy import write_experiment

    with pytest.raises(NomagicError) as err:
        Brief(product="x", tone="rude")
    assert err.value.lang("de") == "der Ton muss einer von friendly, formal, urgent, playful sein, nicht 'rude'"
    with pytest.raises(NomagicError) as err:
        suggest_copy(Brief(product="x"), n=0)
    assert err.value.lang("de") == "1 bis 50 Kandidaten anfordern, nicht 0"
    ok = [Candidate({"subject": "a"}, source="template", passed=True)]
    with pytest.raises(NomagicError) as err:
        write_experiment(tmp_path / "bandits", "one", ok)
    assert err.value.lang("de").startswith("ein Bandit-Experiment braucht 2 bis 20 Varianten; 1 Kandidat(en)")


def test_cli_suggest_copy_in_german(tmp_path, capsys, monkeypatch):
    import nomagic.cli.copy  # noqa: F401  (registers the command)
    from nomagic.cli import main

    monkeypatch.setenv("NOMAGIC_LANG", "de")
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as done:  # no candidate passed: exit 1
        main(["suggest-copy", "--product", "Laufschuhe", "--language", "de", "--n", "3",
              "--candidate", "Garantiert die besten Laufschuhe", "--json", str(tmp_path / "c.json")])  # fmt: skip
    assert done.value.code == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "Quelle: von Ihnen geschrieben (kein Generator)" in out
    assert "verbotene" in out  # the reason's cell may wrap at the console's width; the JSON holds it whole
    assert "Bewertung: nicht bewertet" in out and "kein Kandidat hat die Leitplanken bestanden" in out
    report = json.loads((tmp_path / "c.json").read_text())
    assert report["candidates"][0]["reasons_de"] == ["verbotene Aussage 'garantiert'"]
