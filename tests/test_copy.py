"""Copy: templates (de/en), guardrails, the OpenAI-compatible generator against a local fake server, scoring with
the subject-line model, handing candidates to a bandit experiment, and the CLI."""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from test_subject_lines import history  # the same simulated send history

import nomagic.cli.copy  # noqa: F401  (registers the command)
from nomagic.cli import main
from nomagic.errors import InputError
from nomagic.usecases.copy import (
    Brief,
    Candidate,
    FallbackGenerator,
    GeneratorError,
    GivenCandidates,
    Guardrails,
    OpenAICompatibleGenerator,
    SubjectScorer,
    TemplateGenerator,
    experiments_folder,
    hand_to_bandit,
    suggest_copy,
)
from nomagic.usecases.copy.endpoint import parse_candidates
from nomagic.usecases.subject_lines import SubjectLineModel

DE = Brief(product="Laufschuhe", offer="20 % Rabatt", audience="Läuferinnen", brand="Acme", language="de")
EN = Brief(product="trail shoes", offer="20% off", audience="runners", brand="Acme", language="en")


def subjects(cands):
    return [c.fields["subject"] for c in cands]


def words(s):
    return set(re.findall(r"\w+", s.lower()))


# --- templates -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("brief", [DE, EN], ids=["de", "en"])
def test_templates_are_varied_and_labelled(brief):
    out = TemplateGenerator(seed=0).generate(brief, 10)
    assert len(out) == 10 and {c.source for c in out} == {"template"}
    assert len({c.angle for c in out}) == 9  # all nine angles the brief allows (no token: no "personal")
    lines = subjects(out)
    assert len({s.lower() for s in lines}) == 10
    firsts = {s.split()[0] for s in lines}
    assert len(firsts) >= 7
    for i, a in enumerate(lines):  # no near-copies: word overlap (Jaccard) well below 1
        for b in lines[i + 1 :]:
            assert len(words(a) & words(b)) / len(words(a) | words(b)) < 0.75, (a, b)
    assert all("laufschuhe" in s.lower() or "trail shoes" in s.lower() or "20" in s for s in lines)
    assert all("{" not in s for s in lines)  # every slot filled


def test_templates_deterministic_and_seeded():
    a = subjects(TemplateGenerator(seed=3).generate(DE, 8))
    assert a == subjects(TemplateGenerator(seed=3).generate(DE, 8))
    assert a != subjects(TemplateGenerator(seed=4).generate(DE, 8))


def test_templates_german_register_and_language():
    du = " ".join(subjects(TemplateGenerator().generate(DE, 19)))
    sie = " ".join(subjects(TemplateGenerator().generate(Brief(**{**DE.as_dict(), "tone": "formal"}), 19)))
    assert "dich" in du and "Sie" not in du
    assert "Sie" in sie and "dich" not in sie and "✨" not in sie  # formal: no playful angle
    en = " ".join(subjects(TemplateGenerator().generate(EN, 19)))
    assert "für" not in en and "trail shoes" in en
    urgent = TemplateGenerator().generate(Brief(**{**EN.as_dict(), "tone": "urgent"}), 2)
    assert urgent[0].angle == "urgency"


def test_templates_use_only_what_the_brief_has():
    bare = TemplateGenerator().generate(Brief(product="Herbstmode", language="de"), 50)
    assert 4 <= len(bare) < 19  # only templates without offer, audience, brand or token
    text = " ".join(subjects(bare))
    assert "{" not in text and "Rabatt" not in text
    token = TemplateGenerator().generate(Brief(product="Herbstmode", language="de", personal_token="{first_name}"), 50)
    assert any(s.startswith("{first_name},") for s in subjects(token))
    with pytest.raises(InputError, match="short phrase"):
        TemplateGenerator().generate(
            Brief(notes="A long description of an autumn campaign for runners", language="en"), 3
        )


def test_templates_ads_and_required_terms():
    ads = TemplateGenerator().generate(EN, 12, kind="ad")
    assert len(ads) == 12 and all(set(c.fields) == {"headline", "description"} for c in ads)
    assert len({(c.fields["headline"], c.fields["description"]) for c in ads}) == 12
    assert len({c.fields["headline"] for c in ads[:8]}) == 8  # every headline once before any twice
    req = Brief(product="Laufschuhe", language="de", required=("Acme",))
    out = TemplateGenerator().generate(req, 6)
    assert all("Acme" in s for s in subjects(out))
    assert Guardrails(required=["Acme"]).check(out) and all(c.passed for c in out)


# --- guardrails ------------------------------------------------------------------------------------------------


def cands(*lines):
    return [Candidate({"subject": s}, source="template") for s in lines]


def test_guardrail_length_per_channel():
    g = Guardrails(max_length={"subject": 30})
    [ok, long] = g.check(cands("Neu: Laufschuhe", "Neu: Laufschuhe für alle Läuferinnen"))
    assert ok.passed and not long.passed and long.reasons == ["subject line has 36 characters; the limit is 30"]
    [ad] = Guardrails().check(
        [Candidate({"headline": "A headline that is much too long", "description": "Fine."}, "t")]
    )
    assert ad.reasons == ["headline has 32 characters; the limit is 30"]
    with pytest.raises(InputError):
        Guardrails(max_length={"subject": 0})


def test_guardrail_spam_words_and_style():
    out = Guardrails().check(
        cands("Hier klicken und Geld verdienen", "Click here, you have won", "SUPER SALE TODAY", "Sale!!", "Winners")
    )
    assert out[0].reasons == ["spam trigger 'hier klicken'", "spam trigger 'geld verdienen'"]
    assert "spam trigger 'click here'" in out[1].reasons and "spam trigger 'you have won'" in out[1].reasons
    assert out[2].reasons == ["spam style: 3 words in capitals"]
    assert out[3].reasons == ["spam style: '!!'"]
    assert out[4].passed  # whole words only: 'winner' is not in 'Winners'
    assert Guardrails(spam=False).check(cands("Click here!!"))[0].passed


def test_guardrail_banned_claims():
    g = Guardrails(banned=["Bestpreis"])
    out = g.check(
        cands("Garantiert günstig", "100 % free shipping", "Unser Bestpreis", "Klimaneutral geliefert", "Neu")
    )
    assert out[0].reasons == ["banned claim 'garantiert'"]
    assert out[1].reasons == ["banned claim '100% free'"]  # '100 %' counts as '100%'
    assert out[2].reasons == ["banned claim 'bestpreis'"]
    assert out[3].reasons == ["banned claim 'klimaneutral'"]
    assert out[4].passed
    assert Guardrails(default_banned=False).check(cands("Garantiert günstig"))[0].passed


def test_guardrail_required_terms_and_duplicates():
    out = Guardrails(required=["Acme", "Herbst-Sale"]).check(
        cands("Acme: Herbst-Sale", "acme herbst-sale!", "Acme: neu", "ACME:  HERBST-SALE")
    )
    assert out[0].passed
    assert out[1].reasons == ["duplicate of candidate 1"]  # case and punctuation ignored
    assert out[2].reasons == ["missing required term 'Herbst-Sale'"]
    assert "duplicate of candidate 1" in out[3].reasons


# --- the OpenAI-compatible generator against a local fake server -----------------------------------------------


class FakeServer:
    """A chat-completions endpoint on 127.0.0.1 that answers what the test tells it to."""

    def __init__(self):
        self.status, self.body, self.delay, self.requests = 200, b"{}", 0.0, []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                fake.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": json.loads(self.rfile.read(n))}
                )
                time.sleep(fake.delay)
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(fake.body)))
                self.end_headers()
                self.wfile.write(fake.body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def reply(self, content, model="fake-llm-1"):
        self.status = 200
        self.body = json.dumps(
            {"model": model, "choices": [{"message": {"role": "assistant", "content": content}}]}
        ).encode()


@pytest.fixture
def server():
    s = FakeServer()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def test_endpoint_happy_path(server, monkeypatch):
    monkeypatch.setenv("MY_COPY_KEY", "sk-test")
    server.reply('```json\n["Neu: Laufschuhe für dich", "1. Dein Lauf, dein Tempo", "\\"Schon gesehen?\\""]\n```')
    g = OpenAICompatibleGenerator(server.url + "/v1", model="asked-model", key_env="MY_COPY_KEY", timeout=5)
    out = g.generate(DE, 3)
    assert subjects(out) == ["Neu: Laufschuhe für dich", "Dein Lauf, dein Tempo", "Schon gesehen?"]
    assert {c.source for c in out} == {f"generated by fake-llm-1 at {server.url}/v1/chat/completions"}
    [req] = server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer sk-test"
    assert req["body"]["model"] == "asked-model" and req["body"]["seed"] == 0
    prompt = req["body"]["messages"][-1]["content"]
    assert "German" in prompt and "Laufschuhe" in prompt and "20 % Rabatt" in prompt and "'du'" in prompt
    server.reply(json.dumps({"ads": [{"Headline": "Neu: Laufschuhe", "description": "Jetzt ansehen."}]}))
    [ad] = g.generate(DE, 5, kind="ad")
    assert ad.fields == {"headline": "Neu: Laufschuhe", "description": "Jetzt ansehen."}


def test_endpoint_errors(server, monkeypatch):
    monkeypatch.delenv("NOMAGIC_COPY_KEY", raising=False)
    g = OpenAICompatibleGenerator(server.url, timeout=5)
    server.status, server.body = 500, b'{"error": "model overloaded"}'
    with pytest.raises(GeneratorError, match="HTTP 500.*model overloaded"):
        g.generate(EN, 3)
    server.status = 401
    with pytest.raises(GeneratorError, match=r"HTTP 401.*NOMAGIC_COPY_KEY"):
        g.generate(EN, 3)
    server.status, server.body = 200, b"<html>not json</html>"
    with pytest.raises(GeneratorError, match="did not answer with JSON"):
        g.generate(EN, 3)
    server.body = b'{"data": []}'
    with pytest.raises(GeneratorError, match=r"choices\[0\].message.content"):
        g.generate(EN, 3)
    server.reply("Here are some ideas: great shoes, new shoes")
    with pytest.raises(GeneratorError, match="not the JSON list"):
        g.generate(EN, 3)
    server.reply('{"headline": 3}')
    with pytest.raises(GeneratorError, match="not the JSON list"):
        g.generate(EN, 3, kind="ad")
    server.reply('["late"]')
    server.delay = 1.0
    with pytest.raises(GeneratorError, match="did not answer within 0.2 s"):
        OpenAICompatibleGenerator(server.url, timeout=0.2).generate(EN, 3)
    with pytest.raises(InputError, match="http"):
        OpenAICompatibleGenerator("localhost:8080")


def test_endpoint_fallback_is_labelled(server):
    server.status, server.body = 503, b"busy"
    fb = FallbackGenerator(OpenAICompatibleGenerator(server.url, timeout=5), TemplateGenerator())
    r = suggest_copy(EN, n=4, generator=fb)
    assert {c.source for c in r.candidates} == {"template"}
    assert r.source["kind"] == "template" and "HTTP 503" in r.source["fallback_reason"]
    assert r.source["label"].startswith("template") and "fallback" in r.source["label"]
    server.reply('["Fresh: trail shoes", "Trail shoes, made for runners"]')
    r = suggest_copy(EN, n=4, generator=fb)
    assert r.source == {"kind": "generated", "label": f"generated by fake-llm-1 at {server.url}/v1/chat/completions"}
    assert "the endpoint gave 2" in r.notes[0]


def test_parse_candidates_shapes():
    assert parse_candidates('{"subject_lines": ["A", "B"]}', "subject") == [{"subject": "A"}, {"subject": "B"}]
    assert parse_candidates('Sure! ["A"] Hope it helps.', "subject") == [{"subject": "A"}]
    with pytest.raises(ValueError):
        parse_candidates('{"a": [1], "b": [2]}', "subject")


# --- scoring with the subject-line model ----------------------------------------------------------------------


PERSONAL = Brief(product="Herbstmode", offer="20 % Rabatt", language="de", personal_token="{first_name}")


def test_scoring_with_a_model_that_beat_its_baseline():
    scorer = SubjectScorer.from_history(history(), n_boot=100)
    assert scorer.record["verdict"] == "promoted" and scorer.trusted
    r = suggest_copy(PERSONAL, n=8, scorer=scorer)
    assert r.scoring["scored"] and r.scoring["ranked_by_model"] and "beat the historical average" in r.scoring["caveat"]
    rates = [c.predicted_open_rate for c in r.candidates]
    assert all(0 < p < 1 for p in rates) and rates == sorted(rates, reverse=True)
    assert r.candidates[0].fields["subject"].startswith("{first_name}")  # personalised lines open more here


def test_scoring_without_signal_says_chance_and_keeps_order(tmp_path):
    scorer = SubjectScorer.from_history(history(signal=False), n_boot=100)
    r = suggest_copy(PERSONAL, n=8, scorer=scorer)
    plain = suggest_copy(PERSONAL, n=8)
    assert r.scoring["scored"] and not r.scoring["ranked_by_model"]
    assert "not better than chance" in r.scoring["caveat"]
    assert subjects(r.candidates) == subjects(plain.candidates)  # generator order, not the untrusted ranking
    assert all(c.predicted_open_rate is not None for c in r.candidates)
    assert not plain.scoring["scored"] and "unscored" in plain.scoring["caveat"]
    # a saved model reads its verdict from the record next to it
    folder = tmp_path / "v1"
    folder.mkdir()
    SubjectLineModel().fit(history()["subject"], history()["opened"]).save(folder)
    (folder / "record.json").write_text(json.dumps(scorer.record))
    saved = SubjectScorer.from_saved(folder)
    assert not saved.trusted and "not better than chance" in saved.caveat
    (folder / "record.json").unlink()
    assert "no evaluation record" in SubjectScorer.from_saved(folder).caveat
    # too little history: unscored, with the reason
    tiny = SubjectScorer.from_history(history(n=200), n_boot=50)
    r = suggest_copy(PERSONAL, n=3, scorer=tiny)
    assert not r.scoring["scored"] and "Not ready" in r.scoring["caveat"]
    assert all(c.predicted_open_rate is None for c in r.candidates)
    ads = suggest_copy(PERSONAL, n=3, kind="ad", scorer=scorer)
    assert not ads.scoring["scored"] and "not ad clicks" in ads.scoring["caveat"]


def test_scoring_with_the_registry_champion(tmp_path, monkeypatch, capsys):
    from nomagic.lifecycle.registry import Registry
    from nomagic.lifecycle.usecase import TrainResult
    from nomagic.usecases.subject_lines import evaluate_subjects

    monkeypatch.setenv("NOMAGIC_REGISTRY", str(tmp_path / "registry"))
    with pytest.raises(InputError, match="no subject_lines champion"):
        SubjectScorer.from_registry(None)
    hist = history()
    ev = evaluate_subjects(hist, n_boot=100)
    model = SubjectLineModel().fit(hist["subject"], hist["opened"])
    Registry(tmp_path / "registry").register(TrainResult(record=ev.record, model=model, baseline=None, plan=None))
    scorer = SubjectScorer.from_registry(None)
    assert scorer.trusted and scorer.record["verdict"] == "promoted"
    main(["suggest-copy", "--product", "Herbstmode", "--language", "de", "--personalise", "{first_name}",
          "--n", "3", "--subject-model", "champion"])  # fmt: skip
    assert "beat the historical average" in " ".join(capsys.readouterr().out.split())


def test_saved_model_round_trip(tmp_path):
    m = SubjectLineModel().fit(history()["subject"], history()["opened"])
    m.save(tmp_path)
    lines = ["Hallo {first_name}!", "Newsletter"]
    np.testing.assert_allclose(SubjectLineModel.load(tmp_path).predict_open_rate(lines), m.predict_open_rate(lines))
    (tmp_path / "subject_lines_model.json").write_text('{"features": ["other"]}')
    with pytest.raises(InputError, match="not a subject-line model"):
        SubjectLineModel.load(tmp_path)


# --- handing to the bandit -------------------------------------------------------------------------------------


def test_hand_to_bandit_creates_an_api_experiment(tmp_path):
    folder = tmp_path / ".nomagic" / "bandits"
    r = suggest_copy(EN, n=8, guardrails=Guardrails(max_length={"subject": 30}))
    assert not all(c.passed for c in r.candidates)
    info = hand_to_bandit(r, folder, "trail-autumn", max_arms=4)
    state = json.loads((folder / "trail-autumn.json").read_text())
    assert state == {"arms": subjects(r.passing[:4]), "successes": [0.0] * 4, "failures": [0.0] * 4}
    assert info["left_out"] == len(r.passing) - 4
    prov = json.loads((tmp_path / ".nomagic" / "copy" / "trail-autumn.json").read_text())
    assert prov["source"]["kind"] == "template" and [a["source"] for a in prov["arms"]] == ["template"] * 4
    assert r.to_dict()["bandit"]["experiment"] == "trail-autumn"
    with pytest.raises(InputError, match="exists already"):
        hand_to_bandit(r, folder, "trail-autumn")
    hand_to_bandit(r, folder, "trail-autumn", max_arms=2, replace=True)
    with pytest.raises(InputError, match="name"):
        hand_to_bandit(r, folder, "no spaces please")
    with pytest.raises(InputError, match="2 to 20"):
        hand_to_bandit(r, folder, "x", max_arms=1)
    one = suggest_copy(EN, n=3, guardrails=Guardrails(max_length={"subject": 12}))
    with pytest.raises(InputError, match="passed the guardrails"):
        hand_to_bandit(one, folder, "too-few")

    pytest.importorskip("fastapi")
    from nomagic.serve.routes_bandits import Experiments

    bandit = Experiments(folder).get("trail-autumn", None)  # the API serves the candidates as variants
    assert list(bandit.arms_) == subjects(r.passing[:2])
    assert bandit.decide().action in subjects(r.passing[:2])


def test_experiments_folder_is_the_api_one(tmp_path, monkeypatch):
    pytest.importorskip("fastapi")
    from nomagic.serve.keys import keys_path

    monkeypatch.delenv("NOMAGIC_KEYS", raising=False)
    monkeypatch.delenv("NOMAGIC_REGISTRY", raising=False)
    url = str(tmp_path / "w.duckdb")
    assert experiments_folder(url) == keys_path(url).parent / "bandits"
    monkeypatch.setenv("NOMAGIC_KEYS", str(tmp_path / "k" / "keys.json"))
    assert experiments_folder(url) == keys_path(url).parent / "bandits" == tmp_path / "k" / "bandits"


# --- the command line ------------------------------------------------------------------------------------------


def test_cli_suggest_copy(tmp_path, capsys, server):
    out = tmp_path / "copy.json"
    main(["suggest-copy", "--product", "Laufschuhe", "--offer", "20 % Rabatt", "--language", "de", "--n", "6",
          "--require", "Acme", "--json", str(out), "--to-bandit", "schuhe", "--arms", "3",
          "--bandit-folder", str(tmp_path / "bandits")])  # fmt: skip
    text = capsys.readouterr().out
    assert "source: template (offline" in text and "unscored" in text and "schuhe" in text
    doc = json.loads(out.read_text())
    assert doc["use_case"] == "copy" and doc["passed"] == 6 and doc["source"]["kind"] == "template"
    assert all("Acme" in c["text"] for c in doc["candidates"]) and len(doc["bandit"]["arms"]) == 3
    assert json.loads((tmp_path / "bandits" / "schuhe.json").read_text())["arms"] == doc["bandit"]["arms"]

    h = tmp_path / "sends.csv"
    history().to_csv(h, index=False)
    main(["suggest-copy", "--product", "Herbstmode", "--language", "de", "--personalise", "{first_name}", "--n", "5",
          "--history", str(h), "--time", "time", "--n-boot", "100"])  # fmt: skip
    text = " ".join(capsys.readouterr().out.split())
    assert "open rate" in text and "beat the historical average" in text
    assert text.index("{first_name}") < text.index("Kennst")  # ranked: the personalised line first

    server.reply('["New: trail shoes", "Trail shoes for runners"]', model="fake-llm-2")
    main(["suggest-copy", "--product", "trail shoes", "--generator", "openai", "--url", server.url, "--n", "2"])
    assert "generated by fake-llm-2 at" in capsys.readouterr().out

    with pytest.raises(SystemExit) as exc:  # nothing passes: exit 1
        main(["suggest-copy", "--product", "trail shoes", "--max-length", "8"])
    assert exc.value.code == 1


@pytest.mark.parametrize(
    "args, message",
    [
        (["--product", "x", "--language", "fr"], "language must be one of de, en"),
        (["--product", "x", "--kind", "banner"], "kind must be one of subject, ad"),
        (["--product", "x", "--tone", "angry"], "tone must be one of"),
        (["--product", "x", "--n", "0"], "ask for 1 to 50"),
        ([], "needs a product or topic"),
        (["--product", "x", "--history", "nope.csv"], "no such file"),
        (["--product", "x", "--generator", "gpt"], "--generator must be"),
        (["--product", "x", "--generator", "openai", "--url", "ftp://x"], "must start with http"),
        (["--product", "x", "--to-bandit", "bad name!"], "bandit experiment name"),
        (["--product", "x", "--max-length", "2"], "5 characters or more"),
    ],
)
def test_cli_bad_input_exits_2(args, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["suggest-copy", "--bandit-folder", str(tmp_path), *args])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err.replace("\n", " ")


def test_cli_endpoint_failure(server, capsys):
    server.status, server.body = 500, b"oops"
    with pytest.raises(SystemExit) as exc:
        main(["suggest-copy", "--product", "trail shoes", "--generator", "openai", "--url", server.url])
    assert exc.value.code == 2 and "HTTP 500" in capsys.readouterr().err
    main(["suggest-copy", "--product", "trail shoes", "--generator", "openai", "--url", server.url, "--fallback"])
    text = capsys.readouterr().out
    assert "fallback" in text and "HTTP 500" in text.replace("\n", " ")


def test_your_own_lines_go_through_the_same_checks(capsys, tmp_path):
    out = tmp_path / "mine.json"
    main(["suggest-copy", "--candidate", "Hallo {first_name}, neu für dich", "--candidate", "GARANTIERT GRATIS!!",
          "--language", "de", "--json", str(out)])  # fmt: skip
    assert "written by you" in capsys.readouterr().out
    doc = json.loads(out.read_text())
    assert doc["source"]["kind"] == "yours" and [c["passed"] for c in doc["candidates"]] == [True, False]
    assert "banned claim 'garantiert'" in doc["candidates"][1]["reasons"]
    ads = suggest_copy(EN, kind="ad", generator=GivenCandidates(
        ["Trail shoes | Made for runners.", "New: trail shoes — Discover them online."]))  # fmt: skip
    assert ads.source["kind"] == "yours" and ads.candidates[1].fields["headline"] == "New: trail shoes"
    with pytest.raises(InputError, match="headline"):
        suggest_copy(EN, kind="ad", generator=GivenCandidates(["x"]))
