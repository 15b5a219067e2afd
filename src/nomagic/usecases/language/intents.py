"""Intents with out-of-scope rejection.

:class:`IntentClassifier` learns the intents in your labelled texts (a
:class:`~.textclf.TextClassifier`) and rejects a text as ``out_of_scope`` when its confidence is
below a threshold. The confidence is the highest class probability after softening the
probabilities by a ``temperature`` (``p ** (1 / T)``, renormalised): a text of an unknown intent
tends to resemble several known ones, and softening lets the second and third choice pull its
confidence down (the temperature trick of ODIN, Liang et al. 2018). The threshold is calibrated on
*held-out in-scope* texts only -- the out-of-fold predictions of the inner cross-validation -- as
the ``reject_rate`` quantile of their confidence; no out-of-scope example is ever needed for
training or calibration.

The model in use is refit on all rows and is surer than the cross-validation's models, so in use
*fewer* known-intent texts fall below the threshold than ``reject_rate`` says (on Banking77 about
6 % at the default 10 %; ``bench/language.py`` reports the share).

:func:`evaluate_intent` compares it with the bag-of-words model (TF-IDF n-grams + logistic
regression with the same threshold rule) on the same test rows; test rows whose label never occurs
in the training data are out of scope. Metrics: ``accuracy`` (out-of-scope rows count as right
when rejected), ``in_scope_accuracy``, ``oos_recall`` and ``macro_f1``; the gate decides on
``accuracy``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from nomagic.errors import InputError
from nomagic.privacy.pii import mask_pii
from nomagic.usecases.language.evaluate import OOS
from nomagic.usecases.language.textclf import TextClassifier
from nomagic.words import Text, say

Progress = Callable[[float, str], None]


def soften(proba: np.ndarray, temperature: float) -> np.ndarray:
    """Each row's probabilities raised to ``1 / temperature`` and renormalised (softmax of log p / T)."""
    if temperature == 1:
        return proba
    z = np.log(np.clip(proba, 1e-12, 1.0)) / temperature
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class IntentClassifier:
    """Intent classifier with a confidence threshold for out-of-scope texts.

    Parameters
    ----------
    features, embedder, seed, cv : see :class:`~.textclf.TextClassifier`.
    reject_rate : share of held-out in-scope texts whose confidence falls below the threshold;
        higher rejects more unknown texts and more known ones. ``0`` turns rejection off.
    temperature : softening of the probabilities before the confidence is read; ``1`` reads them as
        they are. The default 1.5 was chosen on Banking77's *training* rows, with 10 further intents
        held out as pseudo-unknown (four draws): it raised the out-of-scope recall at equal in-scope
        accuracy by about 0.02 over 1 (``bench/language.py --only oos_temperature``).
    """

    def __init__(
        self,
        *,
        features: str = "auto",
        embedder=None,
        reject_rate: float = 0.1,
        temperature: float = 1.5,
        cv: int = 3,
        seed: int = 0,
    ):
        if not 0 <= reject_rate < 1:
            raise InputError(say("reject_rate must be in [0, 1)", "reject_rate muss in [0, 1) liegen"))
        if not temperature > 0:
            raise InputError(say("temperature must be above 0", "temperature muss größer als 0 sein"))
        self.features = features
        self.embedder = embedder
        self.reject_rate = reject_rate
        self.temperature = temperature
        self.cv = cv
        self.seed = seed

    def fit(self, texts: Sequence[str], y: Sequence, *, progress: Progress | None = None) -> IntentClassifier:
        self.clf_ = TextClassifier(
            features=self.features, embedder=self.embedder, cv=self.cv, seed=self.seed, oof=True
        ).fit(texts, y, progress=progress)
        self.classes_ = self.clf_.classes_
        proba = getattr(self.clf_, "oof_proba_", None)
        if proba is None or self.reject_rate == 0:
            self.threshold_ = 0.0
            self.heldout_accuracy_ = None
        else:
            conf = soften(proba, self.temperature).max(axis=1)
            self.threshold_ = float(np.quantile(conf, self.reject_rate))
            y = np.asarray(y, dtype=object).astype(str)
            self.heldout_accuracy_ = float(((self.classes_[proba.argmax(1)] == y) & (conf >= self.threshold_)).mean())
        return self

    def confidence(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(predicted intent, confidence) per text, before rejection."""
        p = self.clf_.predict_proba(texts)
        return self.classes_[p.argmax(1)], soften(p, self.temperature).max(axis=1)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        pred, conf = self.confidence(texts)
        return np.where(conf >= self.threshold_, pred, OOS).astype(object)

    def describe(self) -> Text:
        soft = (
            say(" at temperature {t:g}", " bei Temperatur {t:g}", t=self.temperature) if self.temperature != 1 else ""
        )
        rej = (
            say(
                "; texts with confidence{soft} below {thr:.3f} are out of scope (the {q:.0%} quantile of the "
                "confidence on held-out in-scope training texts)",
                "; Texte mit einer Konfidenz{soft} unter {thr:.3f} gelten als unbekannt (das {q:.0%}-Quantil der "
                "Konfidenz auf zurückgehaltenen bekannten Trainingstexten)",
                soft=soft,
                thr=self.threshold_,
                q=self.reject_rate,
            )
            if self.threshold_ > 0
            else say("; no rejection", "; keine Zurückweisung")
        )
        return self.clf_.describe() + rej


def _texts(values) -> list[str]:
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else mask_pii(str(v)) for v in values]


def evaluate_intent(
    texts,
    labels,
    *,
    test_texts=None,
    test_labels=None,
    test_share: float = 0.2,
    seed: int = 0,
    n_boot: int = 1000,
    reject_rate: float = 0.1,
    features: str = "auto",
    embedder=None,
    data: dict | None = None,
    progress: Progress | None = None,
) -> dict:
    """The intent classifier vs the bag-of-words model on a test set; returns an evaluation record.

    Without ``test_texts`` a stratified ``test_share`` of the labelled texts is held out (seed
    ``seed``); then there are no out-of-scope rows and ``oos_recall`` is not reported.
    """
    from nomagic.lifecycle.gate import NOT_READY, gate
    from nomagic.lifecycle.record import make_record
    from nomagic.usecases.language import evaluate as ev

    t0 = time.time()
    tick = progress or (lambda f, m: None)
    X = np.asarray(_texts(texts), dtype=object)
    y = np.asarray([str(v) for v in labels], dtype=object)
    keep = np.array([bool(t.strip()) for t in X]) & np.array([v not in ("", "nan", "None") for v in y])
    X, y = X[keep], y[keep]
    warnings = (
        [
            say(
                "{n:,} training rows without text or label were left out",
                "{n:,} Trainingszeilen ohne Text oder Label wurden ausgelassen",
                n=int((~keep).sum()),
            )
        ]
        if (~keep).sum()
        else []
    )
    data = dict(data or {})
    data.setdefault("rows", int(len(X)))
    vals, counts = np.unique(y, return_counts=True)
    if test_texts is None:
        if vals.size < 2 or counts.min() < 3:
            return make_record(
                use_case="intent",
                data=data,
                split={"kind": "none"},
                primary_metric="accuracy",
                metrics={},
                verdict=NOT_READY,
                explanation=say(
                    "Not ready: {n:,} labelled texts in {k} intent(s), the smallest with {small:,}; an intent model "
                    "needs two intents and at least three texts of each.",
                    "Nicht bereit: {n:,} gelabelte Texte in {k} Anliegen, das kleinste mit {small:,}; ein "
                    "Anliegen-Modell braucht zwei Anliegen und mindestens drei Texte je Anliegen.",
                    n=len(X),
                    k=int(vals.size),
                    small=int(counts.min()) if counts.size else 0,
                ),
            )
        from sklearn.model_selection import train_test_split

        X, Xt, y, yt = train_test_split(X, y, test_size=test_share, stratify=y, random_state=seed)
        split = {"kind": "stratified-holdout", "test_share": test_share, "seed": seed, "test_rows": int(len(Xt))}
    else:
        Xt = np.asarray(_texts(test_texts), dtype=object)
        yt = np.asarray([str(v) for v in test_labels], dtype=object)
        split = {"kind": "given-test", "test_rows": int(len(Xt))}
    known = set(y)
    truth = np.where(np.isin(yt, list(known)), yt, OOS).astype(object)
    n_oos = int((truth == OOS).sum())
    split["out_of_scope_rows"] = n_oos
    if n_oos:
        unseen = sorted(set(yt[truth == OOS]))
        warnings.append(
            say(
                "{n:,} test rows of {k} intent(s) never seen in training count as out of scope: {names}",
                "{n:,} Testzeilen von {k} im Training nie gesehenen Anliegen gelten als unbekannt: {names}",
                n=n_oos,
                k=len(unseen),
                names=", ".join(unseen[:10]) + (" ..." if len(unseen) > 10 else ""),
            )
        )
    model = IntentClassifier(features=features, embedder=embedder, reject_rate=reject_rate, seed=seed)
    model.fit(X, y, progress=lambda f, m: tick(0.6 * f, m))
    tick(0.6, say("fitting the bag-of-words baseline", "passe die Bag-of-Words-Baseline an"))
    base = IntentClassifier(features="tfidf", reject_rate=reject_rate, seed=seed).fit(
        X, y, progress=lambda f, m: tick(0.6 + 0.25 * f, say("baseline: {m}", "Baseline: {m}", m=m))
    )
    tick(0.88, say("predicting the test texts", "sage die Testtexte vorher"))
    pred, pbase = model.predict(Xt), base.predict(Xt)
    names = ev.INTENT_METRICS if n_oos else tuple(m for m in ev.INTENT_METRICS if m != "oos_recall")
    metrics = ev.bootstrap(truth, pred, pbase, metrics=names, n_boot=n_boot, seed=seed)
    g = gate(
        metrics,
        "accuracy",
        model_words=say("the intent model", "das Anliegen-Modell"),
        baseline_words=say("the bag-of-words model", "das Bag-of-Words-Modell"),
        compared_on=(
            say(
                "{n:,} test texts ({k:,} out of scope)",
                "{n:,} Testtexten ({k:,} davon unbekannt)",
                n=len(truth),
                k=n_oos,
            )
            if n_oos
            else say("{n:,} test texts", "{n:,} Testtexten", n=len(truth))
        ),
    )
    return make_record(
        use_case="intent",
        data=data,
        split=split,
        primary_metric="accuracy",
        metrics=metrics,
        verdict=g.verdict,
        explanation=g.explanation,
        question=say(
            "Which intent does a customer's message have, and is it one we know?",
            "Welches Anliegen hat die Nachricht eines Kunden, und kennen wir es?",
        ),
        model={"description": [model.describe()], "kind": model.clf_.kind_, "threshold": model.threshold_},
        baseline={
            "description": [say("bag of words: ", "Bag of Words: ") + base.describe()],
            "threshold": base.threshold_,
        },
        scorer="model" if g.promoted else "baseline",
        classes={"model": ev.per_class(truth, pred), "baseline": ev.per_class(truth, pbase)},
        warnings=warnings,
        seconds=round(time.time() - t0, 1),
    )


__all__ = ["IntentClassifier", "evaluate_intent"]
