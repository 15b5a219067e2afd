"""Sentiment (positive / neutral / negative) of texts in German and English.

* :class:`LexiconSentiment` -- the naive baseline: VADER for English, the textblob-de lexicon for
  German; language detection decides per text. It learns nothing from your labels.
* :class:`SentimentClassifier` -- a :class:`~.textclf.TextClassifier` trained on your labelled
  texts (TF-IDF n-grams, sentence embeddings or both stacked, chosen by inner cross-validation).
* :func:`evaluate_sentiment` -- both on the same rows, ``macro_f1`` and ``accuracy`` with paired
  bootstrap intervals, the no-magic gate on ``macro_f1``, one evaluation record.

Your labels may be called anything: names starting with ``pos``, ``neg``, ``neu`` (any case; German
``positiv``, ``negativ``, ``neutral`` too) are matched to the lexicon's three classes; a lexicon
class with no matching label goes to your most frequent label.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from nomagic.privacy.pii import mask_pii
from nomagic.usecases.language._deps import need
from nomagic.usecases.language.langdetect import detect
from nomagic.usecases.language.textclf import TextClassifier
from nomagic.words import Text, say

Progress = Callable[[float, str], None]
POLARITIES = ("positive", "neutral", "negative")


def match_labels(classes: Sequence[str], majority: str | None = None) -> dict[str, str]:
    """Map the lexicon's ``positive``/``neutral``/``negative`` onto the user's label names."""
    out: dict[str, str] = {}
    for pol in POLARITIES:
        for c in classes:
            if str(c).strip().lower().startswith(pol[:3]):
                out[pol] = str(c)
                break
    fallback = majority if majority is not None else (str(classes[0]) if len(classes) else "neutral")
    return {pol: out.get(pol, fallback) for pol in POLARITIES}


class LexiconSentiment:
    """VADER (English) or textblob-de (German) polarity, cut at +-``threshold`` into three classes.

    ``fit(texts, y)`` only learns how your labels are named (and the majority label).
    """

    def __init__(self, threshold_en: float = 0.05, threshold_de: float = 0.0):
        self.threshold_en = threshold_en
        self.threshold_de = threshold_de
        self._vader = None
        self._de = None

    def fit(self, texts=None, y=None) -> LexiconSentiment:
        if y is not None:
            vals, counts = np.unique(np.asarray(y, dtype=object).astype(str), return_counts=True)
            self.labels_ = match_labels(list(vals), str(vals[counts.argmax()]))
        else:
            self.labels_ = {p: p for p in POLARITIES}
        return self

    def polarity(self, text: str, lang: str | None = None) -> tuple[float, str]:
        """(score in -1..1, language used)."""
        lang = lang or detect(text)
        if lang == "de":
            if self._de is None:
                need(
                    "textblob_de",
                    say("the German sentiment lexicon (textblob-de)", "das deutsche Stimmungslexikon (textblob-de)"),
                )
                from textblob_de.sentiments import PatternAnalyzer
                from textblob_de.tokenizers import PatternTokenizer

                self._de = PatternAnalyzer(tokenizer=PatternTokenizer())
            return float(self._de.analyze(text).polarity), "de"
        if self._vader is None:
            vs = need(
                "vaderSentiment.vaderSentiment",
                say(
                    "the English sentiment lexicon (vaderSentiment)", "das englische Stimmungslexikon (vaderSentiment)"
                ),
            )
            self._vader = vs.SentimentIntensityAnalyzer()
        return float(self._vader.polarity_scores(text)["compound"]), "en"

    def predict(self, texts: Sequence[str], langs: Sequence[str] | None = None) -> np.ndarray:
        if not hasattr(self, "labels_"):
            self.fit()
        out = []
        for i, t in enumerate(texts):
            score, lang = self.polarity(str(t), None if langs is None else langs[i])
            thr = self.threshold_de if lang == "de" else self.threshold_en
            pol = "positive" if score > thr else "negative" if score < -thr else "neutral"
            out.append(self.labels_[pol])
        return np.asarray(out, dtype=object)

    def describe(self) -> Text:
        return say(
            "a sentiment lexicon (VADER for English, textblob-de for German, chosen by language detection); "
            "it learns nothing from the labels",
            "ein Stimmungslexikon (VADER für Englisch, textblob-de für Deutsch, gewählt per Spracherkennung); "
            "es lernt nichts aus den Labels",
        )


class SentimentClassifier(TextClassifier):
    """A :class:`~.textclf.TextClassifier` for sentiment labels (any names, any number of classes)."""


def _texts(values) -> list[str]:
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else mask_pii(str(v)) for v in values]


def evaluate_sentiment(
    texts,
    labels,
    *,
    test_texts=None,
    test_labels=None,
    folds: int = 5,
    seed: int = 0,
    n_boot: int = 1000,
    features: str = "auto",
    embedder=None,
    data: dict | None = None,
    progress: Progress | None = None,
    use_case: str = "sentiment",
    question: str | None = None,
) -> dict:
    """Classifier vs the lexicon baseline on the user's labelled texts; returns an evaluation record.

    With ``test_texts``/``test_labels`` the model learns from the first set and is judged on the
    second; otherwise out-of-fold predictions of a stratified ``folds``-fold cross-validation
    (seed ``seed``) are judged.
    """
    from nomagic.lifecycle.gate import gate
    from nomagic.lifecycle.record import make_record
    from nomagic.usecases.language import evaluate as ev

    t0 = time.time()
    tick = progress or (lambda f, m: None)
    X = _texts(texts)
    y = np.asarray([str(v) for v in labels], dtype=object)
    keep = np.array([bool(t.strip()) for t in X]) & np.array([v not in ("", "nan", "None") for v in y])
    X, y = [t for t, k in zip(X, keep, strict=True) if k], y[keep]
    warnings = []
    if (~keep).sum():
        warnings.append(
            say(
                "{n:,} rows without text or label were left out",
                "{n:,} Zeilen ohne Text oder Label wurden ausgelassen",
                n=int((~keep).sum()),
            )
        )
    data = dict(data or {})
    data.setdefault("rows", int(len(X)))
    vals, counts = np.unique(y, return_counts=True)
    if vals.size < 2 or counts.min() < 2 or len(X) < 20:
        from nomagic.lifecycle.gate import NOT_READY

        why = say(
            "Not ready: {n:,} labelled texts in {k} class(es) (smallest {small:,}); a sentiment model needs at least "
            "20 texts, two classes and two texts per class.",
            "Nicht bereit: {n:,} gelabelte Texte in {k} Klasse(n) (die kleinste mit {small:,}); ein Stimmungsmodell "
            "braucht mindestens 20 Texte, zwei Klassen und zwei Texte je Klasse.",
            n=len(X),
            k=int(vals.size),
            small=int(counts.min()) if counts.size else 0,
        )
        return make_record(
            use_case=use_case,
            data=data,
            split={"kind": "none"},
            primary_metric="macro_f1",
            metrics={},
            verdict=NOT_READY,
            explanation=why,
            question=question,
        )
    descriptions = []
    if test_texts is not None:
        Xt = _texts(test_texts)
        yt = np.asarray([str(v) for v in test_labels], dtype=object)
        clf = SentimentClassifier(features=features, embedder=embedder, seed=seed).fit(
            X, y, progress=lambda f, m: tick(0.8 * f, m)
        )
        tick(0.85, say("predicting the test texts", "sage die Testtexte vorher"))
        pred = clf.predict(Xt)
        base = LexiconSentiment().fit(X, y).predict(Xt)
        descriptions.append(clf.describe())
        split = {"kind": "given-test", "test_rows": int(len(Xt))}
        truth = yt
        kinds = [clf.kind_]
    else:
        from sklearn.model_selection import StratifiedKFold

        k = int(min(folds, counts.min()))
        skf = StratifiedKFold(k, shuffle=True, random_state=seed)
        pred = np.empty(len(X), dtype=object)
        base = np.empty(len(X), dtype=object)
        Xa = np.asarray(X, dtype=object)
        lex = LexiconSentiment()
        kinds = []
        for i, (tr, te) in enumerate(skf.split(Xa, y)):
            step = 0.9 / k

            def sub(f, m, i=i, step=step):
                tick(i * step + f * step, say("fold {i}/{k}: {m}", "Fold {i}/{k}: {m}", i=i + 1, k=k, m=m))

            clf = SentimentClassifier(features=features, embedder=embedder, seed=seed).fit(Xa[tr], y[tr], progress=sub)
            pred[te] = clf.predict(Xa[te])
            base[te] = lex.fit(Xa[tr], y[tr]).predict(Xa[te])
            descriptions.append(say("fold {i}: {d}", "Fold {i}: {d}", i=i + 1, d=clf.describe()))
            kinds.append(clf.kind_)
        split = {"kind": "stratified-kfold", "folds": k, "seed": seed}
        truth = y
    tick(0.92, say("bootstrap intervals", "Bootstrap-Intervalle"))
    metrics = ev.bootstrap(truth, pred, base, metrics=ev.CLASS_METRICS, n_boot=n_boot, seed=seed)
    where = (
        say("{n:,} held-out texts", "{n:,} zurückgehaltenen Texten", n=len(truth))
        if split["kind"] == "given-test"
        else say(
            "{n:,} texts ({k}-fold stratified cross-validation, seed {seed})",
            "{n:,} Texten ({k}-fache stratifizierte Kreuzvalidierung, Seed {seed})",
            n=len(truth),
            k=split["folds"],
            seed=seed,
        )
    )
    g = gate(
        metrics,
        "macro_f1",
        model_words=say("the trained classifier", "der trainierte Klassifikator"),
        baseline_words=say("the sentiment lexicon", "das Stimmungslexikon"),
        compared_on=where,
    )
    rec = make_record(
        use_case=use_case,
        data=data,
        split=split,
        primary_metric="macro_f1",
        metrics=metrics,
        verdict=g.verdict,
        explanation=g.explanation,
        question=question
        or say("Is a text positive, neutral or negative?", "Ist ein Text positiv, neutral oder negativ?"),
        model={"description": descriptions, "kind": max(set(kinds), key=kinds.count)},
        baseline={"description": [LexiconSentiment().describe()]},
        scorer="model" if g.promoted else "baseline",
        classes={"model": ev.per_class(truth, pred), "baseline": ev.per_class(truth, base)},
        warnings=warnings,
        seconds=round(time.time() - t0, 1),
    )
    tick(1.0, say("done", "fertig"))
    return rec


__all__ = ["LexiconSentiment", "SentimentClassifier", "evaluate_sentiment", "match_labels"]
