"""The sentiment check set: shipped, balanced, kept apart from the simulator, and judged in the record (en/de)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from nomagic.usecases.language import checkset


def test_check_set_is_balanced_and_well_formed():
    cs = checkset.load()
    assert len(cs) == 180 and cs["id"].is_unique and cs["text"].is_unique
    counts = cs.groupby(["lang", "label"]).size()
    assert set(counts) == {30}, counts
    assert set(cs["phenomenon"]) == set(checkset.PHENOMENA)
    assert set(cs["topic"]) == {"delivery", "price", "quality", "service"}
    # the hard cases are there in both languages
    for lang in ("de", "en"):
        sub = cs[cs["lang"] == lang]
        for ph in ("negation", "question", "irony", "mixed"):
            assert (sub["phenomenon"] == ph).sum() >= 7
    assert {"Die Lieferung kam nie an, ich bin sauer.", "Gibt es die Jacke auch in Größe M?"} <= set(cs["text"])


def _pools() -> dict[str, set[str]]:
    from nomagic.simulate import opinions, texts

    out = {}
    for lg in ("en", "de"):
        pool = set(texts._OPENERS[lg])
        for aspect in opinions._CLAUSES[lg].values():
            for phrases in aspect.values():
                pool |= set(phrases)
        for phrases in opinions._VERDICTS[lg].values():
            pool |= set(phrases)
        for phrases in texts._SOCIAL[lg].values():
            pool |= set(phrases)
        out[lg] = pool
    return out


def test_simulator_phrases_are_not_check_sentences():
    """The check set judges wording the demo's model never saw: no sentence of it is (nearly) a simulator phrase."""
    cs = checkset.load()
    pools = _pools()

    def words(t):
        return set(re.findall(r"\w+", t.lower()))

    for lang, text in zip(cs["lang"], cs["text"], strict=True):
        w = words(text)
        for phrase in pools[lang]:
            assert text.lower() not in phrase.lower()
            p = words(phrase)
            assert len(w & p) / len(w | p) < 0.6, (text, phrase)


def test_simulated_reviews_say_things_in_every_way():
    from nomagic.simulate import texts

    rng = np.random.default_rng(0)
    n = 6000
    sent = rng.choice(3, n, p=[0.6, 0.2, 0.2])
    lang = np.where(rng.random(n) < 0.5, "de", "en")
    state = rng.bit_generator.state
    out = np.array(texts.reviews(rng, sent, lang), dtype=object)
    assert rng.bit_generator.state == state  # the wording never shifts the rest of the simulated world
    assert out.tolist() == texts.reviews(np.random.default_rng(0), sent, lang)  # same seed, same texts

    def share(pattern, cls):
        m = sent == cls
        return float(np.mean([re.search(pattern, t, re.IGNORECASE) is not None for t in out[m]]))

    negation = r"\b(not|never|no|nobody|nicht|nie|kein\w*|nichts|niemand)\b"
    praise = r"\b(great|wonderful|fantastic|brilliant|lovely|perfect|toll|super|klasse|wunderbar|prima|herrlich)\b"
    for cls in (0, 1, 2):  # negation words are in every class: alone they do not tell the label
        assert share(negation, cls) > 0.1
    assert share(r"\?", 1) > 0.15 and share(r"\?", 2) > 0.03  # plain questions, and complaints as questions
    assert share(praise, 2) > 0.05  # praise words in negative reviews: sarcasm, mixed opinions
    assert share(r"\b(but|aber|only downside|einziges manko)\b", 0) > 0.05  # mixed, yet positive overall
    assert any("nie angekommen" in t for t in out[sent == 2])  # "nie angekommen": negative by negation


class _Fixed:
    def __init__(self, wrong: float, seed: int = 0):
        self.wrong, self.seed = wrong, seed

    def __call__(self, texts):
        cs = checkset.load().set_index("text")
        truth = cs.loc[list(texts), "label"].to_numpy()
        rng = np.random.default_rng(self.seed)
        flip = rng.random(len(truth)) < self.wrong
        wrong = {"positive": "negative", "neutral": "positive", "negative": "neutral"}
        return np.where(flip, [wrong[t] for t in truth], truth)


def test_judge_gives_intervals_per_language_and_german_words():
    pytest.importorskip("vaderSentiment")
    pytest.importorskip("textblob_de")
    good = checkset.judge(_Fixed(0.1), holdout_macro_f1=0.95, n_boot=200)
    for block in [good["metrics"], *(v["metrics"] for v in good["languages"].values())]:
        for who in ("model", "baseline", "improvement"):
            for m in ("macro_f1", "accuracy"):
                lo, hi = block[who][m]["ci"]
                assert lo <= block[who][m]["value"] <= hi
    assert good["languages"]["de"]["rows"] == good["languages"]["en"]["rows"] == 90
    assert set(good["phenomena"]) == set(checkset.PHENOMENA)
    assert "never used for training" in good["use"]
    words = good["explanation"]
    assert "too, the model is better than the lexicon" in words
    assert "Auch auf diesen Sätzen ist das Modell besser als das Lexikon" in words.de
    # German numbers: 0,9.. and "95-%-KI"
    assert re.search(r"Makro-F1 von 0,\d{3} \(95-%-KI 0,\d{3}–0,\d{3}\)", words.de)
    bad = checkset.judge(_Fixed(0.9), holdout_macro_f1=0.9, n_boot=200)
    assert "worse than the lexicon" in bad["explanation"]
    assert "schlechter als das Lexikon" in bad["explanation"].de
    assert "unter dem im Testzeitraum" in bad["explanation"].de  # the gap to the holdout is said


def test_polarity_and_coverage():
    assert checkset.polarity(["Positiv", "NEG", "neutral", "meh"]).tolist() == [
        "positive",
        "negative",
        "neutral",
        "other",
    ]
    assert checkset.covers(["pos", "neu", "neg"]) and not checkset.covers(["delivery", "return"])


def test_demo_style_model_reads_the_issue_sentences(wh):
    """Issue #17: the demo's champion called "Die Lieferung kam nie an, ich bin sauer." positive and a neutral
    question negative. Trained the demo's way (simulated world, the Sentiment use case), small so it is fast.

    The question was chosen when the check set was written, before any model was trained. Note: the
    simulator's German delivery complaints include "kam nie an", so the first sentence is not independent
    evidence; the check set's numbers in the record are.
    """
    pytest.importorskip("vaderSentiment")
    pytest.importorskip("textblob_de")
    from nomagic.lifecycle.record import dumps, validate
    from nomagic.simulate import simulate
    from nomagic.usecases.language.usecase import Sentiment

    simulate(wh, customers=2500, days=400, seed=3)
    rec, final = Sentiment(n_boot=200).evaluate(wh)
    validate(rec)
    assert final.predict(["Die Lieferung kam nie an, ich bin sauer."])[0] == "negative"
    assert final.predict(["Gibt es die Jacke auch in Größe M?"])[0] == "neutral"
    section = rec["check_set"]
    assert set(section["languages"]) == {"de", "en"}
    for who in ("model", "baseline", "improvement"):
        assert None not in section["metrics"][who]["macro_f1"]["ci"]
    out = json.loads(dumps(rec))  # both languages travel with the record
    assert "check set" in out["explanation"] and "Prüfset" in out["explanation_de"]
    assert out["check_set"]["explanation_de"].startswith("Auf dem handgeschriebenen Prüfset")
    assert rec["verdict"] in ("promoted", "not better than baseline")  # the check set never decides the verdict
