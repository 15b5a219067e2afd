"""A text classifier that chooses its features by cross-validation inside the training data.

Candidates (all logistic regression with balanced class weights, so rare classes count):

* ``tfidf`` -- sparse TF-IDF of word 1-2 grams and character 2-5 grams (within word boundaries);
* ``embed`` -- sentence embeddings (see :mod:`.embeddings`);
* ``stack`` -- a blend: the weighted geometric mean of the probabilities of the models above, the
  weights chosen on their out-of-fold predictions (a grid over the simplex, step 0.1): usually
  better than either, because the n-grams know the domain's words and the embeddings know
  paraphrases. With several embedders (a list) each is one more model in the blend.

``fit`` runs a stratified k-fold inside the training data once for each base model (and each
``C_embed``); the out-of-fold probabilities give each candidate's validation score (macro-F1) and
choose the blend's weights. The best candidate is refit on all the training data. Nothing from the
test data is used.

Examples
--------
>>> texts = ["great, love it", "awful, broke", "love it, great", "it broke, awful"] * 10
>>> y = ["pos", "neg", "pos", "neg"] * 10
>>> clf = TextClassifier(features="tfidf", cv=2).fit(texts, y)
>>> clf.predict(["love it"])[0]
'pos'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nomagic.errors import InputError
from nomagic.words import Text, join, say

Progress = Callable[[float, str], None]
FEATURES = ("auto", "tfidf", "embed", "stack")


def tfidf_features(*, min_df: int = 2, max_features: int | None = 300_000):
    """Word 1-2 grams + character 2-5 grams (``char_wb``), sublinear TF-IDF, each block L2-normalised."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion(
        [
            (
                "word",
                TfidfVectorizer(
                    ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True, max_features=max_features
                ),
            ),
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=min_df, max_features=max_features
                ),
            ),
        ]
    )


def _lr(C: float, seed: int):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight="balanced", max_iter=2000, random_state=seed)


def _macro_f1(y, pred) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, pred, average="macro"))


class TextClassifier:
    """Texts -> classes: TF-IDF, embeddings or a blend of both, chosen by inner cross-validation.

    Parameters
    ----------
    features : ``"auto"`` (choose among ``tfidf``, ``embed``, ``stack`` by inner CV), or one of them.
    embedder : an embedder name or object (see :func:`.embeddings.get_embedder`), or a list of them
        (each becomes one base model of the blend); ``None`` for ``use``.
    C_tfidf : inverse regularisation of the TF-IDF model.
    C_embed : the inverse regularisations tried for each embedding model (chosen by inner CV). Unit-length
        sentence embeddings have small coordinates, so many-class problems want a weak penalty: on
        Banking77 the inner CV of a split inside the training data kept improving up to C = 128.
    cv : folds of the inner cross-validation.
    seed : random seed of the folds.
    oof : also keep out-of-fold probabilities (``oof_proba_``) when ``features`` is fixed; with
        ``"auto"`` and ``"stack"`` they are always kept.
    """

    def __init__(
        self,
        *,
        features: str = "auto",
        embedder=None,
        C_tfidf: float = 10.0,
        C_embed: tuple[float, ...] = (0.5, 2.0, 8.0, 32.0, 128.0),
        cv: int = 3,
        seed: int = 0,
        oof: bool = False,
    ):
        if features not in FEATURES:
            raise InputError(
                say(
                    "features must be one of {options}, not {features!r}",
                    "features muss eines von {options} sein, nicht {features!r}",
                    options=", ".join(FEATURES),
                    features=features,
                )
            )
        self.features = features
        self.embedder = embedder
        self.C_tfidf = C_tfidf
        self.C_embed = C_embed
        self.cv = cv
        self.seed = seed
        self.oof = oof

    # ------------------------------------------------------------------ pieces
    def _embedders(self) -> list:
        from nomagic.usecases.language.embeddings import get_embedder

        if not hasattr(self, "_embs"):
            specs = self.embedder if isinstance(self.embedder, (list, tuple)) else [self.embedder]
            self._embs = [e if hasattr(e, "embed") else get_embedder(e) for e in specs]
        return self._embs

    def set_embedders(self, embedders: list) -> None:
        """Embed texts from now on with these: the same models in another wrapper (e.g. without the disk
        cache for single questions); a different model would not match the fitted weights."""
        if len(embedders) != len(self._embedders()):
            raise InputError(
                say(
                    "{n} embedders given; the classifier was fitted with {k}",
                    "{n} Embedder angegeben; der Klassifikator wurde mit {k} angepasst",
                    n=len(embedders),
                    k=len(self._embs),
                )
            )
        self._embs = list(embedders)

    def _embedder(self):
        return self._embedders()[0]

    def _embed(self, texts, progress: Progress | None = None, i: int = 0) -> np.ndarray:
        from nomagic.usecases.language.embeddings import CachedEmbedder

        emb = self._embedders()[i]
        if isinstance(emb, CachedEmbedder):
            return emb.embed(list(texts), progress=progress)
        return emb.embed(list(texts))

    def _base(self, kind: str, C: float | None = None):
        from sklearn.pipeline import make_pipeline

        if kind == "tfidf":
            return make_pipeline(tfidf_features(), _lr(self.C_tfidf, self.seed))
        return _lr(C if C is not None else self.C_embed[0], self.seed)

    @staticmethod
    def _stack_x(probas: list[np.ndarray]) -> np.ndarray:
        return np.hstack([np.log(np.clip(p, 1e-6, 1.0)) for p in probas])

    @staticmethod
    def blend(probas: list[np.ndarray], weights) -> np.ndarray:
        """Weighted geometric mean of the models' probabilities, renormalised."""
        z = sum(w * np.log(np.clip(p, 1e-6, 1.0)) for w, p in zip(weights, probas, strict=True))
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    @staticmethod
    def _simplex(k: int, step: float = 0.1) -> list[tuple[float, ...]]:
        n = int(round(1 / step))

        def rec(left, parts):
            if parts == 1:
                return [(left,)]
            return [(i, *rest) for i in range(left + 1) for rest in rec(left - i, parts - 1)]

        return [tuple(x / n for x in c) for c in rec(n, k)]

    # ------------------------------------------------------------------ fit / predict
    def fit(self, texts: Sequence[str], y: Sequence, *, progress: Progress | None = None) -> TextClassifier:
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        tick = progress or (lambda f, m: None)
        texts = np.asarray([str(t) for t in texts], dtype=object)
        y = np.asarray(y, dtype=object).astype(str)
        if texts.size != y.size:
            raise InputError(
                say("{n:,} texts but {k:,} labels", "{n:,} Texte, aber {k:,} Labels", n=int(texts.size), k=int(y.size))
            )
        self.classes_ = np.unique(y).astype(object)
        if self.classes_.size < 2:
            raise InputError(
                say(
                    "the labels have one class only; a classifier needs at least two",
                    "die Labels haben nur eine Klasse; ein Klassifikator braucht mindestens zwei",
                )
            )
        counts = np.unique(y, return_counts=True)[1]
        folds = int(min(self.cv, counts.min()))
        use_tfidf = self.features in ("auto", "stack", "tfidf")
        use_embed = self.features in ("auto", "stack", "embed")
        kinds = (["tfidf"] if use_tfidf else []) + (
            [f"embed{i}" for i in range(len(self._embedders()))] if use_embed else []
        )
        X: dict[str, object] = {}
        for kind in kinds:
            if kind == "tfidf":
                X[kind] = texts
            else:
                j = int(kind[5:])
                tick(0.0, say("embedding the texts", "bette die Texte ein"))
                X[kind] = self._embed(texts, progress=lambda f, m: tick(0.4 * f, m), i=j)
        self.validation_: dict[str, float] = {}
        self.C_: dict[str, float] = {k: self.C_tfidf if k == "tfidf" else self.C_embed[0] for k in kinds}
        oof: dict[str, np.ndarray] = {}
        need_cv = self.features in ("auto", "stack") or self.oof
        if folds >= 2 and need_cv:
            skf = StratifiedKFold(folds, shuffle=True, random_state=self.seed)
            for i, kind in enumerate(kinds):
                tick(
                    0.4 + 0.4 * i / len(kinds),
                    say(
                        "inner {k}-fold cross-validation: {kind}",
                        "innere {k}-fache Kreuzvalidierung: {kind}",
                        k=folds,
                        kind=kind,
                    ),
                )
                grid = [self.C_tfidf] if kind == "tfidf" else list(self.C_embed)
                best = None
                for C in grid:
                    p = cross_val_predict(self._base(kind, C), X[kind], y, cv=skf, method="predict_proba")
                    score = _macro_f1(y, self.classes_[p.argmax(1)])
                    if best is None or score > best[0]:
                        best = (score, C, p)
                self.validation_[kind], self.C_[kind], oof[kind] = best
            if len(kinds) >= 2:
                tried = []
                for w in self._simplex(len(kinds)):
                    p = self.blend([oof[k] for k in kinds], w)
                    tried.append((_macro_f1(y, self.classes_[p.argmax(1)]), w))
                score, w = max(tried, key=lambda t: t[0])
                self.validation_["stack"] = score
                self.weights_ = dict(zip(kinds, w, strict=True))
                oof["stack"] = self.blend([oof[k] for k in kinds], w)
        if self.features == "auto" and self.validation_:
            singles = {k: v for k, v in self.validation_.items() if k != "stack"}
            emb = {k: v for k, v in singles.items() if k.startswith("embed")}
            cand = {"tfidf": singles.get("tfidf", -1.0), "stack": self.validation_.get("stack", -1.0)}
            if emb:
                cand["embed"] = max(emb.values())
            self.kind_ = max(cand, key=cand.get)
        elif self.features == "stack" and "stack" not in self.validation_:
            self.kind_ = "tfidf"  # too few rows per class for the inner folds a blend needs
        elif self.features == "auto":
            self.kind_ = "tfidf"
        else:
            self.kind_ = self.features
        if self.kind_ == "stack":
            self.parts_ = [k for k in kinds if self.weights_.get(k, 0) > 0]
        elif self.kind_ == "embed":
            emb = {k: v for k, v in self.validation_.items() if k.startswith("embed")}
            self.parts_ = [max(emb, key=emb.get)] if emb else [k for k in kinds if k.startswith("embed")][:1]
        else:
            self.parts_ = ["tfidf"]
        if self.kind_ != "stack":
            self.weights_ = {self.parts_[0]: 1.0}
        key = "stack" if self.kind_ == "stack" else self.parts_[0]
        if key in oof:
            self.oof_proba_ = oof[key]
        tick(
            0.85,
            say(
                "fitting the chosen model ({kind}) on all training rows",
                "passe das gewählte Modell ({kind}) an alle Trainingszeilen an",
                kind=self.kind_,
            ),
        )
        self.models_ = {k: self._base(k, self.C_[k]).fit(X[k], y) for k in self.parts_}
        tick(1.0, say("fitted", "angepasst"))
        return self

    def _part_proba(self, kind: str, texts) -> np.ndarray:
        if kind == "tfidf":
            return self.models_[kind].predict_proba(texts)
        return self.models_[kind].predict_proba(self._embed(texts, i=int(kind[5:])))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = np.asarray([str(t) for t in texts], dtype=object)
        probas = [self._part_proba(k, texts) for k in self.parts_]
        if len(probas) == 1:
            return probas[0]
        return self.blend(probas, [self.weights_[k] for k in self.parts_])

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(1)]

    def describe(self) -> Text:
        """The model in plain words (English and German)."""
        names = [e.name for e in self._embedders()] if any(k.startswith("embed") for k in self.parts_) else []

        def part(k):
            if k == "tfidf":
                return say("TF-IDF n-grams", "TF-IDF-N-Gramme")
            return say("embeddings {name}", "Embeddings {name}", name=self._embedders()[int(k[5:])].name)

        if self.kind_ == "stack":
            parts = [
                say("{part} (weight {w:.1f})", "{part} (Gewicht {w:.1f})", part=part(k), w=self.weights_[k])
                for k in self.parts_
            ]
            words = say(
                "a blend (weighted geometric mean of probabilities) of logistic regressions on {parts}",
                "eine Mischung (gewichtetes geometrisches Mittel der Wahrscheinlichkeiten) logistischer Regressionen "
                "auf {parts}",
                parts=join(parts, ", "),
            )
        elif self.kind_ == "embed":
            words = say(
                "logistic regression on sentence embeddings ({names})",
                "logistische Regression auf Satz-Embeddings ({names})",
                names=", ".join(names),
            )
        else:
            words = say(
                "logistic regression on TF-IDF word 1-2 and character 2-5 grams",
                "logistische Regression auf TF-IDF-Wort-1-2- und Zeichen-2-5-Grammen",
            )
        if self.validation_:
            scores = join([say("{k} {v:.3f}", "{k} {v:.3f}", k=k, v=v) for k, v in self.validation_.items()], ", ")
            return say(
                "{words}; chosen by macro-F1 in an inner cross-validation on the training rows ({scores})",
                "{words}; gewählt nach Makro-F1 in einer inneren Kreuzvalidierung auf den Trainingszeilen ({scores})",
                words=words,
                scores=scores,
            )
        return words


# ---------------------------------------------------------------------- safe artifacts (JSON + npz)
_VEC_PARAMS = ("analyzer", "ngram_range", "sublinear_tf", "lowercase", "min_df", "max_features")


def _softmax_proba(Z: np.ndarray) -> np.ndarray:
    if Z.shape[1] == 1:  # binary logistic regression
        p = 1.0 / (1.0 + np.exp(-Z[:, 0]))
        return np.column_stack([1 - p, p])
    Z = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


class _Linear:
    """A fitted logistic regression as plain arrays."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray):
        self.coef_, self.intercept_ = coef, intercept

    def predict_proba(self, X) -> np.ndarray:
        return _softmax_proba(np.asarray(X @ self.coef_.T) + self.intercept_)


class _TfidfLinear:
    """TF-IDF blocks + a linear model, rebuilt from arrays."""

    def __init__(self, vectorizers: list, linear: _Linear):
        self.vectorizers, self.linear = vectorizers, linear

    def predict_proba(self, texts) -> np.ndarray:
        import scipy.sparse as sp

        return self.linear.predict_proba(sp.hstack([v.transform(texts) for v in self.vectorizers]).tocsr())


def save_classifier(clf: TextClassifier, folder) -> list:
    """Write a fitted classifier as ``text_model.json`` + ``text_model.npz`` (no pickle); returns the paths."""
    from pathlib import Path

    folder = Path(folder)
    arrays: dict[str, np.ndarray] = {}
    specs = clf.embedder if isinstance(clf.embedder, (list, tuple)) else [clf.embedder]
    meta: dict = {
        "kind": clf.kind_,
        "classes": [str(c) for c in clf.classes_],
        "parts": list(clf.parts_),
        "weights": {k: float(v) for k, v in clf.weights_.items()},
        "embedders": {
            k: {
                "name": clf._embedders()[int(k[5:])].name,
                "spec": specs[int(k[5:])] if isinstance(specs[int(k[5:])], str) or specs[int(k[5:])] is None else None,
            }
            for k in clf.parts_
            if k.startswith("embed")
        },
        "validation": getattr(clf, "validation_", {}),
        "blocks": {},
    }
    for kind, m in clf.models_.items():
        if kind == "tfidf":
            union, lr = m.steps[0][1], m.steps[-1][1]
            vecs = []
            for name, vec in union.transformer_list:
                vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
                vecs.append(
                    {"name": name, "params": {p: vec.get_params()[p] for p in _VEC_PARAMS}, "vocabulary": vocab}
                )
                arrays[f"tfidf_{name}_idf"] = vec.idf_
            meta["blocks"]["tfidf"] = vecs
        else:
            lr = m
        arrays[f"{kind}_coef"] = lr.coef_
        arrays[f"{kind}_intercept"] = lr.intercept_
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "text_model.json").write_text(json_dumps(meta))
    np.savez_compressed(folder / "text_model.npz", **arrays)
    return [folder / "text_model.json", folder / "text_model.npz"]


def json_dumps(obj) -> str:
    import json

    return json.dumps(obj, default=lambda o: list(o) if isinstance(o, tuple) else str(o))


class LoadedClassifier:
    """A classifier read back by :func:`load_classifier`: ``predict_proba`` and ``predict``."""

    def __init__(self, meta: dict, models: dict, embedders: dict | None = None):
        self.meta, self.models_ = meta, models
        self.kind_ = meta["kind"]
        self.parts_ = meta["parts"]
        self.weights_ = meta["weights"]
        self.classes_ = np.asarray(meta["classes"], dtype=object)
        self._embs = dict(embedders or {})

    def _emb(self, kind):
        if kind not in self._embs:
            from nomagic.usecases.language.embeddings import get_embedder

            self._embs[kind] = get_embedder(self.meta["embedders"][kind]["spec"])
        return self._embs[kind]

    def predict_proba(self, texts) -> np.ndarray:
        texts = [str(t) for t in texts]
        probas = [
            self.models_[k].predict_proba(texts if k == "tfidf" else self._emb(k).embed(texts)) for k in self.parts_
        ]
        if len(probas) == 1:
            return probas[0]
        return TextClassifier.blend(probas, [self.weights_[k] for k in self.parts_])

    def predict(self, texts) -> np.ndarray:
        return self.classes_[self.predict_proba(texts).argmax(1)]


def load_classifier(folder, embedders: dict | None = None) -> LoadedClassifier:
    """Read ``text_model.json`` + ``text_model.npz`` (``allow_pickle=False``).

    ``embedders`` maps a part (``embed0``, ...) to an embedder object; by default the embedder is
    made again from its saved name (``use``, ``e5``, ...).
    """
    import json
    from pathlib import Path

    from sklearn.feature_extraction.text import TfidfVectorizer

    folder = Path(folder)
    try:
        meta = json.loads((folder / "text_model.json").read_text())
        arrays = np.load(folder / "text_model.npz", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(
            say(
                "cannot read the text model in {folder}: {exc}",
                "das Textmodell in {folder} ist nicht lesbar: {exc}",
                folder=folder,
                exc=exc,
            )
        ) from exc
    models: dict = {}
    for kind in meta["parts"]:
        lin = _Linear(arrays[f"{kind}_coef"], arrays[f"{kind}_intercept"])
        if kind == "tfidf":
            vecs = []
            for b in meta["blocks"]["tfidf"]:
                params = dict(b["params"])
                params["ngram_range"] = tuple(params["ngram_range"])
                v = TfidfVectorizer(**params, vocabulary={t: i for i, t in enumerate(b["vocabulary"])})
                v.idf_ = arrays[f"tfidf_{b['name']}_idf"]
                vecs.append(v)
            models[kind] = _TfidfLinear(vecs, lin)
        else:
            models[kind] = lin
    return LoadedClassifier(meta, models, embedders)
