"""The sentiment use case on the warehouse: labelled reviews in the ``documents`` table.

* **Data**: ``documents`` rows with ``source = 'review'`` and a label (positive / neutral /
  negative), read with one Ibis expression; e-mail addresses, phone numbers and IBANs are masked.
* **Split**: by time -- the model learns from the earliest 70 % of reviews (by ``created_at``) and
  is judged on the latest 30 %, never a random split of time-ordered data.
* **Model vs baseline**: a :class:`~.textclf.TextClassifier` (TF-IDF n-grams by default, fast enough
  for the demo; ``features="auto"`` adds sentence embeddings and chooses by inner cross-validation)
  against the sentiment lexicon (VADER / textblob-de); ``macro_f1`` and ``accuracy`` with paired
  bootstrap intervals; the gate decides on ``macro_f1``.
* **Check set**: the final model and the lexicon are also judged on nomagic's hand-written German and
  English check set (:mod:`.checkset`), other wording than the reviews: ``record["check_set"]``, and a
  sentence in the explanation. It judges only; the gate decides on the holdout.

Examples
--------
>>> Sentiment.name, Sentiment.primary_metric
('sentiment', 'macro_f1')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pandas as pd

from nomagic.errors import NotReadyError
from nomagic.warehouse.readiness import Requirements
from nomagic.words import join, say

Progress = Callable[[float, str], None]


class _SavedClassifier:
    """What the registry stores: the fitted classifier as JSON + npz."""

    def __init__(self, clf):
        self.clf = clf

    def save(self, folder) -> list:
        from nomagic.usecases.language.textclf import save_classifier

        return save_classifier(self.clf, folder)


class _LexiconBaseline:
    def to_dict(self) -> dict:
        return {
            "kind": "sentiment lexicon",
            "english": say("VADER compound score, +-0.05", "VADER-Compound-Score, +-0,05"),
            "german": say(
                "textblob-de polarity, > 0 positive, < 0 negative", "textblob-de-Polarität, > 0 positiv, < 0 negativ"
            ),
        }


class Sentiment:
    """Sentiment of customer reviews: trained classifier vs sentiment lexicon, split by time.

    Parameters
    ----------
    sources : document sources used (default reviews only).
    test_share : the latest share of documents (by time) that judges the model.
    features, embedder : see :class:`~.textclf.TextClassifier`.
    max_rows : at most this many documents (the latest), to keep the demo quick.
    n_boot, seed : bootstrap resamples and seed.
    check_set : also judge the final model on the shipped check set (:mod:`.checkset`).
    """

    name: ClassVar[str] = "sentiment"
    title: ClassVar[str] = say("Review sentiment", "Stimmung in Bewertungen")
    question: ClassVar[str] = say(
        "Is a customer's review positive, neutral or negative?",
        "Ist die Bewertung eines Kunden positiv, neutral oder negativ?",
    )
    primary_metric: ClassVar[str] = "macro_f1"
    requires: ClassVar[Requirements] = Requirements(
        tables={"documents": ["document_id", "source", "created_at", "lang", "text", "label"]},
        min_units=50,
        units="documents.document_id",
        history_tables=(),
        description=say(
            "at least 50 labelled reviews in the documents table",
            "mindestens 50 gelabelte Bewertungen in der Tabelle documents",
        ),
    )

    def __init__(
        self,
        *,
        sources: tuple[str, ...] = ("review",),
        test_share: float = 0.3,
        features: str = "tfidf",
        embedder=None,
        max_rows: int = 20_000,
        n_boot: int = 1000,
        seed: int = 0,
        check_set: bool = True,
    ):
        self.sources = tuple(sources)
        self.test_share = test_share
        self.features = features
        self.embedder = embedder
        self.max_rows = max_rows
        self.n_boot = n_boot
        self.seed = seed
        self.check_set = check_set

    def config(self) -> dict:
        return {
            "use_case": self.name,
            "sources": list(self.sources),
            "test_share": self.test_share,
            "features": self.features,
            "embedder": self.embedder if isinstance(self.embedder, str) or self.embedder is None else "custom",
            "max_rows": self.max_rows,
            "n_boot": self.n_boot,
            "seed": self.seed,
            "check_set": self.check_set,
        }

    def dataset(self, wh, as_of=None) -> pd.DataFrame:
        """Labelled documents of the chosen sources (created before ``as_of``), oldest first, PII masked."""
        from nomagic.privacy.pii import mask_series

        t = wh.table("documents")
        t = t.filter(t.source.isin(list(self.sources)) & t.label.notnull() & t.text.notnull())
        if as_of is not None:
            t = t.filter(t.created_at < pd.Timestamp(as_of).to_pydatetime())
        t = t.order_by(t.created_at.desc()).limit(self.max_rows)
        df = t.select("document_id", "created_at", "lang", "text", "label").execute()
        df = df.sort_values(["created_at", "document_id"], kind="mergesort").reset_index(drop=True)
        df["text"] = mask_series(df["text"].astype(str))
        df["label"] = df["label"].astype(str)
        return df

    def baseline(self):
        from nomagic.usecases.language.sentiment import LexiconSentiment

        return LexiconSentiment()

    def model(self):
        from nomagic.usecases.language.sentiment import SentimentClassifier

        return SentimentClassifier(features=self.features, embedder=self.embedder, seed=self.seed)

    def evaluate(self, wh, *, progress: Progress | None = None, source: str | None = None) -> tuple[dict, Any]:
        """The evaluation record and the model fitted on all documents."""
        import time

        from nomagic.lifecycle.gate import gate
        from nomagic.lifecycle.record import fingerprint_frame, make_record
        from nomagic.usecases.language import evaluate as ev

        t0 = time.time()
        tick = progress or (lambda f, m: None)
        tick(0.02, say("reading the labelled reviews", "lese die gelabelten Bewertungen"))
        df = self.dataset(wh)
        if len(df) < self.requires.min_units:
            raise NotReadyError(
                say(
                    "{n} labelled documents ({sources}); sentiment needs at least {need}",
                    "{n} gelabelte Dokumente ({sources}); die Stimmungsanalyse braucht mindestens {need}",
                    n=len(df),
                    sources=", ".join(self.sources),
                    need=self.requires.min_units,
                )
            )
        counts = df["label"].value_counts()
        n_test = int(round(len(df) * self.test_share))
        train, test = df.iloc[: len(df) - n_test], df.iloc[len(df) - n_test :]
        if train["label"].nunique() < 2 or train["label"].value_counts().min() < 3:
            raise NotReadyError(
                say(
                    "the training reviews have too few labels per class (at least 3 each are needed): {counts}",
                    "die Trainingsbewertungen haben zu wenige Labels je Klasse (mindestens 3 je Klasse nötig): {counts}",
                    counts=", ".join(f"{k} {v}" for k, v in counts.items()),
                )
            )
        data = {
            "source": source or f"{getattr(wh, 'url', 'warehouse')}#documents",
            "fingerprint": fingerprint_frame(df[["document_id", "text", "label"]]),
            "rows": int(len(df)),
            "tables": ["documents"],
            "start": str(df["created_at"].min()),
            "end": str(df["created_at"].max()),
            "label": "label",
        }
        tick(0.1, say("training the classifier", "trainiere den Klassifikator"))
        clf = self.model().fit(
            train["text"].tolist(), train["label"].to_numpy(), progress=lambda f, m: tick(0.1 + 0.5 * f, m)
        )
        tick(0.6, say("judging on the latest reviews", "beurteile an den neuesten Bewertungen"))
        pred = clf.predict(test["text"].tolist())
        lex = self.baseline().fit(None, train["label"].to_numpy())
        base = lex.predict(test["text"].tolist(), langs=test["lang"].tolist())
        truth = test["label"].to_numpy()
        tick(0.75, say("bootstrap intervals", "Bootstrap-Intervalle"))
        metrics = ev.bootstrap(truth, pred, base, metrics=ev.CLASS_METRICS, n_boot=self.n_boot, seed=self.seed)
        cut = test["created_at"].min()
        g = gate(
            metrics,
            "macro_f1",
            model_words=say("the trained classifier", "der trainierte Klassifikator"),
            baseline_words=say("the sentiment lexicon", "das Stimmungslexikon"),
            compared_on=say(
                "the latest {n:,} reviews (from {cut}; trained on {k:,} earlier ones)",
                "den neuesten {n:,} Bewertungen (ab {cut}; trainiert an {k:,} früheren)",
                n=len(test),
                cut=cut,
                k=len(train),
            ),
        )
        by_lang = {}
        for lang in sorted(test["lang"].dropna().unique()):
            m = (test["lang"] == lang).to_numpy()
            by_lang[lang] = {
                "rows": int(m.sum()),
                "model": ev.point(truth[m], pred[m]),
                "baseline": ev.point(truth[m], base[m]),
            }
        record = make_record(
            use_case=self.name,
            data=data,
            split={
                "kind": "time-holdout",
                "time_column": "created_at",
                "test_share": self.test_share,
                "test_start": str(cut),
                "train_rows": int(len(train)),
                "test_rows": int(len(test)),
            },
            primary_metric=self.primary_metric,
            metrics=metrics,
            verdict=g.verdict,
            explanation=g.explanation,
            question=self.question,
            model={"description": [clf.describe()], "kind": clf.kind_},
            baseline={"description": [lex.describe()]},
            scorer="model" if g.promoted else "baseline",
            classes={"model": ev.per_class(truth, pred), "baseline": ev.per_class(truth, base)},
            languages=by_lang,
            seconds=None,
        )
        tick(0.8, say("fitting the final model on all reviews", "passe das endgültige Modell an alle Bewertungen an"))
        final = self.model().fit(df["text"].tolist(), df["label"].to_numpy())
        if self.check_set:
            tick(0.95, say("judging on the check set", "beurteile am Prüfset"))
            self._judge_on_check_set(record, final)
        record["seconds"] = round(time.time() - t0, 1)
        tick(1.0, say("done", "fertig"))
        return record, final

    def _judge_on_check_set(self, record: dict, final) -> None:
        """Add the check set's section to the record and its sentence to the explanation (the verdict stays)."""
        from nomagic.usecases.language import checkset

        if not checkset.covers(final.classes_):
            return  # labels that are not positive / neutral / negative: the check set cannot judge them
        # the model's labels as the check set writes them: "Positiv" -> positive
        section = checkset.judge(
            lambda texts: checkset.polarity(final.predict(texts)),
            holdout_macro_f1=record["metrics"]["model"]["macro_f1"]["value"],
            n_boot=self.n_boot,
            seed=self.seed,
        )
        record["check_set"] = section
        record["explanation"] = join([record["explanation"], section["explanation"]])

    def train(self, wh, *, progress: Progress | None = None, source: str | None = None) -> Any:
        """Evaluate and fit the final model; returns a lifecycle ``TrainResult``."""
        from nomagic.errors import InputError
        from nomagic.lifecycle.usecase import TrainResult
        from nomagic.usecases.language._deps import HINT

        try:
            record, final = self.evaluate(wh, progress=progress, source=source)
        except InputError as exc:  # the nlp extra is missing: not ready here, not an error of the demo
            if HINT in str(exc):
                raise NotReadyError(exc.args[0] if exc.args else str(exc)) from exc
            raise
        return TrainResult(
            record=record,
            model=_SavedClassifier(final),
            baseline=_LexiconBaseline(),
            plan=None,
            config=self.config(),
        )


__all__ = ["Sentiment"]
