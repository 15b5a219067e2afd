"""A hand-written German/English sentiment check set shipped with nomagic, and how a model does on it.

``data/sentiment_check.csv``: 180 sentences (90 German, 90 English; 30 per class and language)
about a shop's delivery, prices, quality and service, written by hand for nomagic. Besides plain
ones it holds the cases a bag of words gets wrong: negation ("nicht schlecht", "never arrived"),
questions (neutral, or complaints put as questions), irony and mixed opinions. A mixed sentence is
labelled by its overall verdict; one that weighs praise and complaint equally is neutral. Columns:
``id, lang, label, phenomenon, topic, text``.

Why: a model trained on one shop's reviews -- or the demo's simulated ones -- is judged on its own
holdout, which cannot tell whether it learned sentiment or the phrases of its data. The check set is
other wording: a macro-F1 far below the holdout's means the model knows its data's phrases more
than sentiment, and will do worse on texts unlike them.

Never tune on it: no model, threshold or simulator phrase is chosen by its score here (a test keeps
the simulator's phrases apart from its sentences). It only judges. It is small, so its 95 %
intervals are wide (about +-0.07 macro-F1).

Examples
--------
>>> cs = load()
>>> len(cs), sorted(cs["lang"].unique()), sorted(cs["label"].unique())
(180, ['de', 'en'], ['negative', 'neutral', 'positive'])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import resources

import numpy as np
import pandas as pd

from nomagic.usecases.language import evaluate as ev
from nomagic.usecases.language.sentiment import POLARITIES
from nomagic.words import Text, join, say

FILE = "sentiment_check.csv"
VERSION = 1
PHENOMENA = ("plain", "negation", "question", "irony", "mixed")


def load() -> pd.DataFrame:
    """The check set as a frame (``id, lang, label, phenomenon, topic, text``)."""
    with resources.files("nomagic.usecases.language").joinpath("data", FILE).open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str)


def polarity(labels: Sequence) -> np.ndarray:
    """Labels -> positive / neutral / negative by their first three letters (``positiv``, ``NEG``, ...), else other."""
    out = []
    for v in labels:
        s = str(v).strip().lower()
        out.append(next((p for p in POLARITIES if s.startswith(p[:3])), "other"))
    return np.asarray(out, dtype=object)


def covers(classes: Sequence) -> bool:
    """Whether a model's classes name all three polarities (only then can the check set judge it)."""
    return set(POLARITIES) <= set(polarity(classes))


def _f1(block: dict, who: str) -> dict:
    return block[who]["macro_f1"]


def judge(
    predict: Callable[[list[str]], Sequence],
    *,
    holdout_macro_f1: float | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    lexicon=None,
) -> dict:
    """The ``check_set`` section of a sentiment record: the model (``predict``: texts -> labels) and the
    lexicon on the check set, macro-F1 and accuracy with paired 95 % bootstrap intervals, overall and per
    language, accuracy per phenomenon, and a plain explanation in English and German.

    ``holdout_macro_f1``: the model's macro-F1 on its own holdout, so the explanation can say how much
    of it carries over to other wording.
    """
    from nomagic.usecases.language.sentiment import LexiconSentiment

    cs = load()
    texts, truth = cs["text"].tolist(), cs["label"].to_numpy(dtype=object)
    model = polarity(predict(texts))
    base = polarity((lexicon or LexiconSentiment().fit()).predict(texts, langs=cs["lang"].tolist()))
    metrics = ev.bootstrap(truth, model, base, metrics=ev.CLASS_METRICS, n_boot=n_boot, seed=seed)
    languages = {}
    for lang in ("de", "en"):
        m = (cs["lang"] == lang).to_numpy()
        languages[lang] = {
            "rows": int(m.sum()),
            "metrics": ev.bootstrap(truth[m], model[m], base[m], metrics=ev.CLASS_METRICS, n_boot=n_boot, seed=seed),
        }
    phenomena = {}
    for ph in PHENOMENA:
        m = (cs["phenomenon"] == ph).to_numpy()
        phenomena[ph] = {
            "rows": int(m.sum()),
            "model_accuracy": round(float((model[m] == truth[m]).mean()), 4),
            "baseline_accuracy": round(float((base[m] == truth[m]).mean()), 4),
        }
    return {
        "name": "nomagic sentiment check set",
        "version": VERSION,
        "rows": int(len(cs)),
        "use": "judging only: never used for training, model choice or tuning",
        "primary_metric": "macro_f1",
        "metrics": metrics,
        "languages": languages,
        "phenomena": phenomena,
        "explanation": explain(metrics, languages, len(cs), holdout_macro_f1),
    }


def explain(metrics: dict, languages: dict, rows: int, holdout_macro_f1: float | None = None) -> Text:
    """The check set's result in plain words (English and German)."""
    m, b, d = _f1(metrics, "model"), _f1(metrics, "baseline"), _f1(metrics, "improvement")
    values = {
        "rows": rows,
        "m": m["value"],
        "m_lo": m["ci"][0],
        "m_hi": m["ci"][1],
        "b": b["value"],
        "b_lo": b["ci"][0],
        "b_hi": b["ci"][1],
        "m_de": _f1(languages["de"]["metrics"], "model")["value"],
        "b_de": _f1(languages["de"]["metrics"], "baseline")["value"],
        "m_en": _f1(languages["en"]["metrics"], "model")["value"],
        "b_en": _f1(languages["en"]["metrics"], "baseline")["value"],
    }
    head = say(
        "On nomagic's hand-written check set ({rows} German and English sentences with negation, questions, irony "
        "and mixed opinions; never used for training or tuning) the model reaches macro-F1 {m:.3f} (95% CI "
        "{m_lo:.3f}-{m_hi:.3f}), the lexicon {b:.3f} (95% CI {b_lo:.3f}-{b_hi:.3f}); German {m_de:.3f} against "
        "{b_de:.3f}, English {m_en:.3f} against {b_en:.3f}.",
        "Auf dem handgeschriebenen Prüfset von nomagic ({rows} deutsche und englische Sätze mit Verneinung, Fragen, "
        "Ironie und gemischten Urteilen; nie für Training oder Abstimmung genutzt) erreicht das Modell einen "
        "Makro-F1 von {m:.3f} (95-%-KI {m_lo:.3f}–{m_hi:.3f}), das Lexikon {b:.3f} (95-%-KI {b_lo:.3f}–{b_hi:.3f}); "
        "Deutsch {m_de:.3f} gegenüber {b_de:.3f}, Englisch {m_en:.3f} gegenüber {b_en:.3f}.",
        **values,
    )
    lo, hi = d["ci"]
    if lo is not None and lo > 0:
        verdict = say(
            "On these sentences, too, the model is better than the lexicon.",
            "Auch auf diesen Sätzen ist das Modell besser als das Lexikon.",
        )
    elif hi is not None and hi < 0:
        verdict = say(
            "On these sentences the model is worse than the lexicon: what it learned from its training texts does "
            "not carry over to other wording.",
            "Auf diesen Sätzen ist das Modell schlechter als das Lexikon: Was es aus seinen Trainingstexten gelernt "
            "hat, überträgt sich nicht auf andere Formulierungen.",
        )
    else:
        verdict = say(
            "On these sentences the model is not clearly better than the lexicon: it may have learned the wording "
            "of its training texts more than sentiment.",
            "Auf diesen Sätzen ist das Modell nicht klar besser als das Lexikon: Es hat womöglich eher die "
            "Formulierungen seiner Trainingstexte gelernt als die Stimmung.",
        )
    parts = [head, verdict]
    if holdout_macro_f1 is not None and m["value"] is not None and holdout_macro_f1 - m["value"] >= 0.1:
        parts.append(
            say(
                "Its macro-F1 here is {gap:.2f} below the one on its holdout ({h:.3f}): expect less on texts that "
                "sound unlike the training reviews.",
                "Sein Makro-F1 liegt hier {gap:.2f} unter dem im Testzeitraum ({h:.3f}): Bei Texten, die anders "
                "klingen als die Trainingsbewertungen, ist weniger zu erwarten.",
                gap=holdout_macro_f1 - m["value"],
                h=holdout_macro_f1,
            )
        )
    return join(parts)


__all__ = ["FILE", "PHENOMENA", "VERSION", "covers", "explain", "judge", "load", "polarity"]
