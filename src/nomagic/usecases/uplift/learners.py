"""Uplift learners (S, T, X, transformed outcome) over LightGBM or logistic regression, and the
automatic choice between them.

All learners estimate the conditional average treatment effect ``tau(x) = P(y | x, treated) -
P(y | x, control)`` from randomised (or propensity-logged) data:

* **S-learner**: one response model on the features plus the treatment flag (and, for the linear
  base, feature x treatment interactions); ``tau = f(x, 1) - f(x, 0)``.
* **T-learner**: one response model per group; ``tau = f1(x) - f0(x)``.
* **X-learner** (Kuenzel et al. 2019): T-learner responses, then regressions of the imputed effects
  ``y - f0(x)`` on the treated and ``f1(x) - y`` on the controls, weighted by the treatment share.
* **Transformed outcome**: ``z = y * (t - e) / (e (1 - e))`` has expectation ``tau(x)``, so one
  regression of ``z`` on ``x`` estimates it directly.
* **Class transformation** (Jaskowski & Jaroszewicz 2012): ``z = 1`` for treated responders and
  control non-responders; with the groups weighted to equal size, ``P(z = 1 | x) = (1 + tau(x)) / 2``,
  so one classifier of ``z`` estimates it (``tau = 2 P(z = 1 | x) - 1``).

Which one wins depends on the data (effect size, number of rows, how the effect varies), so
:class:`AutoUplift` picks one by repeated cross-validated Qini inside the training rows; the test
rows are never seen. The base models are deliberately conservative (shallow trees, strong regularisation):
effects are a few percentage points, and a response model tuned for accuracy overfits the noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nomagic.errors import InputError, NotReadyError
from nomagic.lifecycle.models import _threads, sigmoid, single_blas
from nomagic.lifecycle.tabular import TabularPreprocessor
from nomagic.usecases.uplift.metrics import qini_auc
from nomagic.words import Text, join, say

LEARNERS = ("s", "s_additive", "t", "x", "transformed", "class")
BASES = ("logistic", "lightgbm")
LEARNER_WORDS = {
    "s": say("S-learner", "S-Learner"),
    "s_additive": say("S-learner without interactions", "S-Learner ohne Wechselwirkungen"),
    "t": say("T-learner (two models)", "T-Learner (zwei Modelle)"),
    "x": say("X-learner", "X-Learner"),
    "transformed": say("transformed-outcome model", "Modell mit transformiertem Ergebnis"),
    "class": say("class-transformation model", "Klassentransformations-Modell"),
}
BASE_WORDS = {"logistic": say("logistic regression", "logistischer Regression"), "lightgbm": Text("LightGBM")}

_LGBM = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 8,
    "min_data_in_leaf": 200,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 10.0,
    "verbosity": -1,
}
_ROUNDS = 150
#: the logistic base's inverse regularisation strength, and the strong variant's
DEFAULT_C, STRONG_C = 0.1, 0.01


class _Component:
    """One fitted base model: ``predict(M)`` gives a probability (classifier) or a value (regressor).

    Kept as plain numbers (coefficients) or LightGBM's own text format, so that a saved uplift
    model is JSON and text, never pickle."""

    def __init__(self, kind: str, *, coef=None, intercept=0.0, booster=None, constant=None):
        self.kind, self.coef, self.intercept, self.booster, self.constant = kind, coef, intercept, booster, constant

    def predict(self, M: np.ndarray) -> np.ndarray:
        if self.constant is not None:
            return np.full(len(M), self.constant)
        if self.booster is not None:
            return self.booster.predict(M)
        z = M @ self.coef + self.intercept
        return sigmoid(z) if self.kind == "classifier" else z

    def to_dict(self) -> dict:
        if self.constant is not None:
            return {"kind": self.kind, "constant": self.constant}
        if self.booster is not None:
            return {"kind": self.kind, "lightgbm": self.booster.model_to_string()}
        return {"kind": self.kind, "coef": np.asarray(self.coef).tolist(), "intercept": float(self.intercept)}


def _classifier(
    base: str, M: np.ndarray, y: np.ndarray, cat: list[int], seed: int, C: float = DEFAULT_C, weight=None
) -> _Component:
    if y.min() == y.max():  # a group with one outcome only: its rate is the best guess
        return _Component("classifier", constant=float(y[0]))
    if base == "logistic":
        from sklearn.linear_model import LogisticRegression

        with single_blas():
            m = LogisticRegression(C=C, max_iter=2000).fit(M, y, sample_weight=weight)
        return _Component("classifier", coef=m.coef_[0], intercept=float(m.intercept_[0]))
    import lightgbm as lgb

    params = dict(_LGBM, seed=seed, num_threads=_threads(len(y)), deterministic=True, force_row_wise=True)
    data = lgb.Dataset(M, label=y, weight=weight, categorical_feature=cat or "auto")
    return _Component("classifier", booster=lgb.train(params, data, num_boost_round=_ROUNDS))


def _regressor(base: str, M: np.ndarray, z: np.ndarray, cat: list[int], seed: int) -> _Component:
    if base == "logistic":  # the linear family's regressor: ridge
        from sklearn.linear_model import Ridge

        with single_blas():
            m = Ridge(alpha=10.0).fit(M, z)
        return _Component("regressor", coef=m.coef_, intercept=float(m.intercept_))
    import lightgbm as lgb

    params = dict(
        _LGBM, objective="regression", seed=seed, num_threads=_threads(len(z)), deterministic=True, force_row_wise=True
    )
    data = lgb.Dataset(M, label=z, categorical_feature=cat or "auto")
    return _Component("regressor", booster=lgb.train(params, data, num_boost_round=_ROUNDS))


@dataclass
class UpliftModel:
    """One learner over one base model. ``fit(X, t, y)``, then ``predict_uplift(X)``.

    Parameters
    ----------
    learner : ``"s"``, ``"s_additive"`` (linear base only: the treatment shifts every row's log-odds
        by the same amount, so the effect is largest where the response is near 50 % -- the
        "response model" view), ``"t"``, ``"x"``, ``"transformed"`` or ``"class"``.
    base : ``"logistic"`` or ``"lightgbm"``.
    C : the logistic base's inverse regularisation strength (``0.1``; :data:`STRONG_C` for the
        strongly regularised variants, which suit the many interaction terms of the S-learner).

    Examples
    --------
    >>> rng = np.random.default_rng(0); n = 4000
    >>> X = pd.DataFrame({"a": rng.random(n)}); t = rng.integers(0, 2, n)
    >>> y = (rng.random(n) < 0.1 + 0.2 * t * X["a"]).astype(int)
    >>> m = UpliftModel("t", "logistic").fit(X, t, y)
    >>> u = m.predict_uplift(X); bool(np.corrcoef(u, X["a"])[0, 1] > 0.9)
    True
    """

    learner: str = "t"
    base: str = "logistic"
    seed: int = 0
    C: float = DEFAULT_C

    def __post_init__(self):
        if self.learner not in LEARNERS:
            raise InputError(
                say(
                    "unknown uplift learner {x!r}; choose one of {c}",
                    "Unbekanntes Uplift-Verfahren {x!r}; eines von {c} wählen",
                    x=self.learner,
                    c=", ".join(LEARNERS),
                )
            )
        if self.base not in BASES:
            raise InputError(
                say(
                    "unknown base model {x!r}; choose one of {c}",
                    "Unbekanntes Basismodell {x!r}; eines von {c} wählen",
                    x=self.base,
                    c=", ".join(BASES),
                )
            )
        if self.learner == "s_additive" and self.base != "logistic":
            raise InputError(
                say(
                    "the additive S-learner needs the logistic base (trees find interactions anyway)",
                    "Der additive S-Learner braucht die logistische Basis (Bäume finden Wechselwirkungen ohnehin)",
                )
            )

    @property
    def words(self) -> Text:
        strong = self.base == "logistic" and self.C < DEFAULT_C
        if strong:
            return say(
                "{learner} over {base}, strongly regularised",
                "{learner} auf {base}, stark regularisiert",
                learner=LEARNER_WORDS[self.learner],
                base=BASE_WORDS[self.base],
            )
        return say(
            "{learner} over {base}",
            "{learner} auf {base}",
            learner=LEARNER_WORDS[self.learner],
            base=BASE_WORDS[self.base],
        )

    @property
    def name(self) -> str:
        """Short key: ``learner/base``, with ``-strong`` for the strongly regularised logistic variants."""
        return candidate_name((self.learner, self.base, self.C))

    def _matrix(self, X: pd.DataFrame) -> np.ndarray:
        return self.pre_.linear_matrix(X) if self.base == "logistic" else self.pre_.tree_matrix(X)

    def fit(self, X: pd.DataFrame, treatment, y, *, pre: TabularPreprocessor | None = None) -> UpliftModel:
        t = np.asarray(treatment, dtype=int)
        y = np.asarray(y, dtype=int)
        if t.min() == t.max():
            raise NotReadyError(
                say(
                    "uplift needs both treated and control rows in the training data",
                    "Uplift braucht in den Trainingsdaten sowohl Zeilen mit Treatment als auch Kontrollzeilen",
                )
            )
        self.pre_ = pre or TabularPreprocessor().fit(X)
        M = self._matrix(X)
        cat = [] if self.base == "logistic" else self.pre_.categorical_indices_
        self.treated_share_ = e = float(t.mean())
        k, s, C = self.base, self.seed, self.C
        parts: dict[str, _Component] = {}
        if self.learner in ("s", "s_additive"):
            parts["s"] = _classifier(k, self._with_treatment(M, t), y, cat, s, C=C)
        elif self.learner in ("t", "x"):
            parts["f1"] = _classifier(k, M[t == 1], y[t == 1], cat, s, C=C)
            parts["f0"] = _classifier(k, M[t == 0], y[t == 0], cat, s, C=C)
            if self.learner == "x":
                d1 = y[t == 1] - parts["f0"].predict(M[t == 1])
                d0 = parts["f1"].predict(M[t == 0]) - y[t == 0]
                parts["g1"] = _regressor(k, M[t == 1], d1, cat, s)
                parts["g0"] = _regressor(k, M[t == 0], d0, cat, s)
        elif self.learner == "class":
            # treated and control weighted to equal total size (mean weight 1), so P(z=1|x) = (1 + tau) / 2
            w = np.where(t == 1, 0.5 / e, 0.5 / (1 - e))
            parts["c"] = _classifier(k, M, (y == t).astype(int), cat, s, C=C, weight=w)
        else:
            parts["g"] = _regressor(k, M, y * (t - e) / (e * (1 - e)), cat, s)
        self.parts_ = parts
        return self

    def _with_treatment(self, M: np.ndarray, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)[:, None]
        if self.learner == "s" and self.base == "logistic":
            return np.hstack([M, t, M * t])  # interactions: the effect may vary by row
        return np.hstack([M, t])

    def predict_uplift(self, X: pd.DataFrame) -> np.ndarray:
        """Estimated effect of treating each row, in probability points (negative: better left alone)."""
        M = self._matrix(X)
        n, p = len(M), self.parts_
        if "s" in p:
            return p["s"].predict(self._with_treatment(M, np.ones(n))) - p["s"].predict(
                self._with_treatment(M, np.zeros(n))
            )
        if self.learner == "t":
            return p["f1"].predict(M) - p["f0"].predict(M)
        if self.learner == "x":
            e = self.treated_share_
            return e * p["g0"].predict(M) + (1 - e) * p["g1"].predict(M)
        if self.learner == "class":
            return 2.0 * p["c"].predict(M) - 1.0
        return p["g"].predict(M)

    def save(self, folder) -> list:
        """Write ``uplift_model.json`` (preprocessing, learner, coefficients or LightGBM text); no pickle."""
        import json
        from pathlib import Path

        path = Path(folder) / "uplift_model.json"
        path.write_text(json.dumps(self.to_doc()))
        return [path]

    def to_doc(self) -> dict:
        return {
            "learner": self.learner,
            "base": self.base,
            "C": self.C,
            "treated_share": self.treated_share_,
            "preprocessor": self.pre_.to_dict(),
            "parts": {k: v.to_dict() for k, v in self.parts_.items()},
        }

    @classmethod
    def load(cls, folder) -> UpliftModel:
        import json
        from pathlib import Path

        return cls.from_doc(json.loads((Path(folder) / "uplift_model.json").read_text()))

    @classmethod
    def from_doc(cls, doc: dict) -> UpliftModel:
        import lightgbm as lgb

        m = cls(doc["learner"], doc["base"], C=doc.get("C", DEFAULT_C))
        m.treated_share_ = doc["treated_share"]
        m.pre_ = TabularPreprocessor.from_dict(doc["preprocessor"])
        m.parts_ = {}
        for k, d in doc["parts"].items():
            if "lightgbm" in d:
                m.parts_[k] = _Component(d["kind"], booster=lgb.Booster(model_str=d["lightgbm"]))
            elif "constant" in d:
                m.parts_[k] = _Component(d["kind"], constant=d["constant"])
            else:
                m.parts_[k] = _Component(d["kind"], coef=np.array(d["coef"]), intercept=d["intercept"])
        return m


def stratified_folds(t, y, n_folds: int, seed: int) -> np.ndarray:
    """A fold number per row, balanced over the treatment x outcome cells."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(t), dtype=int)
    cell = np.asarray(t, dtype=int) * 2 + np.asarray(y, dtype=int)
    for c in np.unique(cell):
        idx = rng.permutation(np.flatnonzero(cell == c))
        fold[idx] = np.arange(idx.size) % n_folds
    return fold


@dataclass
class UpliftBlend:
    """The mean of several fitted :class:`UpliftModel`'s effect estimates (still in probability points).

    Averaging the few best candidates of a noisy cross-validation keeps most of the winner's
    strength and much less of its luck: with a dozen candidates whose out-of-fold Qini differs by
    less than its spread, the single best is partly the one whose folds happened to suit it.
    """

    members: list

    learner: str = "blend"

    @property
    def base(self) -> str:
        bases = sorted({m.base for m in self.members})
        return bases[0] if len(bases) == 1 else "+".join(bases)

    @property
    def name(self) -> str:
        return " + ".join(m.name for m in self.members)

    @property
    def words(self) -> Text:
        if len(self.members) == 1:
            return self.members[0].words
        members = join([m.words for m in self.members], "; ")
        return say("the mean effect of {m}", "der mittlere Effekt aus {m}", m=members)

    def predict_uplift(self, X: pd.DataFrame) -> np.ndarray:
        return np.mean([m.predict_uplift(X) for m in self.members], axis=0)

    def save(self, folder) -> list:
        """Write ``uplift_model.json`` with every member (as :meth:`UpliftModel.save`); no pickle."""
        import json
        from pathlib import Path

        path = Path(folder) / "uplift_model.json"
        path.write_text(json.dumps({"blend": [m.to_doc() for m in self.members]}))
        return [path]


def load_uplift_model(folder) -> UpliftModel | UpliftBlend:
    """Read what :meth:`UpliftModel.save` or :meth:`UpliftBlend.save` wrote."""
    import json
    from pathlib import Path

    doc = json.loads((Path(folder) / "uplift_model.json").read_text())
    if "blend" in doc:
        return UpliftBlend([UpliftModel.from_doc(d) for d in doc["blend"]])
    return UpliftModel.from_doc(doc)


def candidate_name(c: tuple[str, str, float]) -> str:
    learner, base, C = c
    return f"{learner}/{base}" + ("-strong" if base == "logistic" and C < DEFAULT_C else "")


def candidates(learners=LEARNERS, bases=BASES, strong: bool = True) -> list[tuple[str, str, float]]:
    """Every learner over every base; the logistic classifiers also strongly regularised."""
    out = []
    for b in bases:
        for lr in learners:
            if b == "lightgbm" and lr == "s_additive":
                continue
            out.append((lr, b, DEFAULT_C))
            if strong and b == "logistic" and lr != "transformed":  # the transformed outcome's ridge has no C
                out.append((lr, b, STRONG_C))
    return out


@dataclass
class AutoUplift:
    """Choose the learner and base model by cross-validated Qini inside the training rows, then refit.

    Parameters
    ----------
    learners, bases : the candidates (every learner over every base; the logistic classifiers also
        with strong regularisation, see :func:`candidates`).
    n_folds, repeats : the inner cross-validation: ``n_folds`` folds stratified by treatment x
        outcome, repeated ``repeats`` times with different fold assignments. A candidate's score is
        its out-of-fold Qini AUC averaged over the repeats: one 3-fold split is noisy enough to
        reorder candidates whose true Qini differs by less than its spread.
    blend : how many of the best candidates are refit on all rows and averaged (an
        :class:`UpliftBlend`; 1 = the single best). A fixed rule, not itself chosen by the
        cross-validation; in nested cross-validation inside the training rows of Hillstrom and of
        the simulated world, the mean of the top 3 beat the single best on all four data sets.

    Attributes after ``fit``: ``chosen_`` (an :class:`UpliftBlend` refit on all rows), ``scores_``
    (candidate name -> mean out-of-fold Qini AUC), ``score_sd_`` (its spread over the repeats),
    ``choice_words_``.
    """

    learners: tuple[str, ...] = LEARNERS
    bases: tuple[str, ...] = BASES
    n_folds: int = 3
    repeats: int = 2
    strong: bool = True
    blend: int = 3
    seed: int = 0

    def fit(self, X: pd.DataFrame, treatment, y, progress=None) -> AutoUplift:
        t = np.asarray(treatment, dtype=int)
        y = np.asarray(y, dtype=int)
        if len(y) < 200 or min(t.sum(), (1 - t).sum()) < 50:
            raise NotReadyError(
                say(
                    "too few rows to learn uplift: {n:,} rows, {t:,} treated, {c:,} control; at least 200 rows and 50 "
                    "in each group are needed",
                    "Zu wenige Zeilen, um Uplift zu lernen: {n:,} Zeilen, {t:,} mit Treatment, {c:,} Kontrolle; nötig "
                    "sind mindestens 200 Zeilen und 50 in jeder Gruppe",
                    n=len(y),
                    t=int(t.sum()),
                    c=int((1 - t).sum()),
                )
            )
        pre = TabularPreprocessor().fit(X)
        cands = candidates(self.learners, self.bases, self.strong)
        per = {c: [] for c in cands}
        steps, done = len(cands) * self.n_folds * self.repeats, 0
        for r in range(self.repeats):
            fold = stratified_folds(t, y, self.n_folds, self.seed + r)
            oof = {c: np.zeros(len(y)) for c in cands}
            for k in range(self.n_folds):
                tr, va = fold != k, fold == k
                Xtr, Xva = X.iloc[np.flatnonzero(tr)], X.iloc[np.flatnonzero(va)]
                for c in cands:
                    m = UpliftModel(c[0], c[1], seed=self.seed, C=c[2]).fit(Xtr, t[tr], y[tr], pre=pre)
                    oof[c][va] = m.predict_uplift(Xva)
                    done += 1
                    if progress:
                        progress(done / (steps + 1))
            # rank-normalise within each fold so that folds with different scales pool fairly
            for c in cands:
                per[c].append(qini_auc(y, _fold_ranks(oof[c], fold), t))
        mean = {c: float(np.mean(v)) for c, v in per.items()}
        order = sorted(cands, key=lambda c: -mean[c])
        top = order[: max(1, self.blend)]
        self.scores_ = {candidate_name(c): v for c, v in mean.items()}
        self.score_sd_ = {candidate_name(c): float(np.std(v)) for c, v in per.items()}
        self.chosen_ = UpliftBlend([UpliftModel(c[0], c[1], seed=self.seed, C=c[2]).fit(X, t, y, pre=pre) for c in top])
        self.choice_words_ = self._choice_words(mean, order, top, len(cands))
        if progress:
            progress(1.0)
        return self

    def predict_uplift(self, X: pd.DataFrame) -> np.ndarray:
        return self.chosen_.predict_uplift(X)

    def _choice_words(self, mean: dict, order: list, top: list, n_cands: int) -> Text:
        """What was chosen and how, English and German."""
        if self.repeats > 1:
            how = say(
                "{k}-fold cross-validated Qini (mean of {r} repeats)",
                "{k}-fach kreuzvalidiertem Qini (Mittel aus {r} Wiederholungen)",
                k=self.n_folds,
                r=self.repeats,
            )
        else:
            how = say("{k}-fold cross-validated Qini", "{k}-fach kreuzvalidiertem Qini", k=self.n_folds)
        scores = join([say("{v:.3f}", "{v:.3f}", v=mean[c]) for c in top], "; ")
        if len(order) > len(top):
            scores += say("; next best {v:.3f}", "; nächstbester {v:.3f}", v=mean[order[len(top)]])
        if len(top) > 1:
            return say(
                "{words}: the best {k} of {n} candidates by {how} inside the training data ({scores})",
                "{words}: die besten {k} von {n} Kandidaten nach {how} innerhalb der Trainingsdaten ({scores})",
                words=self.chosen_.words,
                k=len(top),
                n=n_cands,
                how=how,
                scores=scores,
            )
        return say(
            "{words}, chosen by {how} inside the training data ({scores})",
            "{words}, gewählt nach {how} innerhalb der Trainingsdaten ({scores})",
            words=self.chosen_.words,
            how=how,
            scores=scores,
        )


def _fold_ranks(score: np.ndarray, fold: np.ndarray) -> np.ndarray:
    out = np.empty_like(score, dtype=float)
    for k in np.unique(fold):
        idx = np.flatnonzero(fold == k)
        out[idx] = pd.Series(score[idx]).rank(pct=True).to_numpy()
    return out
