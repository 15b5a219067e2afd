"""Uplift learners (S, T, X, transformed outcome) over LightGBM or logistic regression, and the
automatic choice between them.

All learners estimate the conditional average treatment effect ``tau(x) = P(y | x, treated) -
P(y | x, control)`` from randomised (or propensity-logged) data:

* **S-learner**: one response model on the features plus the treatment flag (and, for the linear
  base, feature x treatment interactions); ``tau = f(x, 1) - f(x, 0)``.
* **T-learner**: one response model per group; ``tau = f1(x) - f0(x)``.
* **X-learner** (Kuenzel et al. 2019): T-learner responses, then regressions of the imputed effects
  ``y - f0(x)`` on the treated and ``f1(x) - y`` on the controls, weighted by the treatment share.
* **Transformed outcome** (class transformation): ``z = y * (t - e) / (e (1 - e))`` has expectation
  ``tau(x)``, so one regression of ``z`` on ``x`` estimates it directly.

Which one wins depends on the data (effect size, number of rows, how the effect varies), so
:class:`AutoUplift` picks one by cross-validated Qini inside the training rows; the test rows are
never seen. The base models are deliberately conservative (shallow trees, strong regularisation):
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

LEARNERS = ("s", "s_additive", "t", "x", "transformed")
BASES = ("logistic", "lightgbm")
LEARNER_WORDS = {
    "s": "S-learner",
    "s_additive": "S-learner without interactions",
    "t": "T-learner (two models)",
    "x": "X-learner",
    "transformed": "transformed-outcome model",
}
BASE_WORDS = {"logistic": "logistic regression", "lightgbm": "LightGBM"}

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


def _classifier(base: str, M: np.ndarray, y: np.ndarray, cat: list[int], seed: int, C: float = 0.1) -> _Component:
    if y.min() == y.max():  # a group with one outcome only: its rate is the best guess
        return _Component("classifier", constant=float(y[0]))
    if base == "logistic":
        from sklearn.linear_model import LogisticRegression

        with single_blas():
            m = LogisticRegression(C=C, max_iter=2000).fit(M, y)
        return _Component("classifier", coef=m.coef_[0], intercept=float(m.intercept_[0]))
    import lightgbm as lgb

    params = dict(_LGBM, seed=seed, num_threads=_threads(len(y)), deterministic=True, force_row_wise=True)
    data = lgb.Dataset(M, label=y, categorical_feature=cat or "auto")
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
        "response model" view), ``"t"``, ``"x"`` or ``"transformed"``.
    base : ``"logistic"`` or ``"lightgbm"``.

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

    def __post_init__(self):
        if self.learner not in LEARNERS:
            raise InputError(f"unknown uplift learner {self.learner!r}; choose one of {', '.join(LEARNERS)}")
        if self.base not in BASES:
            raise InputError(f"unknown base model {self.base!r}; choose one of {', '.join(BASES)}")
        if self.learner == "s_additive" and self.base != "logistic":
            raise InputError("the additive S-learner needs the logistic base (trees find interactions anyway)")

    @property
    def words(self) -> str:
        return f"{LEARNER_WORDS[self.learner]} over {BASE_WORDS[self.base]}"

    def _matrix(self, X: pd.DataFrame) -> np.ndarray:
        return self.pre_.linear_matrix(X) if self.base == "logistic" else self.pre_.tree_matrix(X)

    def fit(self, X: pd.DataFrame, treatment, y, *, pre: TabularPreprocessor | None = None) -> UpliftModel:
        t = np.asarray(treatment, dtype=int)
        y = np.asarray(y, dtype=int)
        if t.min() == t.max():
            raise NotReadyError("uplift needs both treated and control rows in the training data")
        self.pre_ = pre or TabularPreprocessor().fit(X)
        M = self._matrix(X)
        cat = [] if self.base == "logistic" else self.pre_.categorical_indices_
        self.treated_share_ = e = float(t.mean())
        k, s = self.base, self.seed
        parts: dict[str, _Component] = {}
        if self.learner in ("s", "s_additive"):
            parts["s"] = _classifier(k, self._with_treatment(M, t), y, cat, s)
        elif self.learner in ("t", "x"):
            parts["f1"] = _classifier(k, M[t == 1], y[t == 1], cat, s)
            parts["f0"] = _classifier(k, M[t == 0], y[t == 0], cat, s)
            if self.learner == "x":
                d1 = y[t == 1] - parts["f0"].predict(M[t == 1])
                d0 = parts["f1"].predict(M[t == 0]) - y[t == 0]
                parts["g1"] = _regressor(k, M[t == 1], d1, cat, s)
                parts["g0"] = _regressor(k, M[t == 0], d0, cat, s)
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
        return p["g"].predict(M)

    def save(self, folder) -> list:
        """Write ``uplift_model.json`` (preprocessing, learner, coefficients or LightGBM text); no pickle."""
        import json
        from pathlib import Path

        path = Path(folder) / "uplift_model.json"
        doc = {
            "learner": self.learner,
            "base": self.base,
            "treated_share": self.treated_share_,
            "preprocessor": self.pre_.to_dict(),
            "parts": {k: v.to_dict() for k, v in self.parts_.items()},
        }
        path.write_text(json.dumps(doc))
        return [path]

    @classmethod
    def load(cls, folder) -> UpliftModel:
        import json
        from pathlib import Path

        import lightgbm as lgb

        doc = json.loads((Path(folder) / "uplift_model.json").read_text())
        m = cls(doc["learner"], doc["base"])
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
class AutoUplift:
    """Choose the learner and base model by cross-validated Qini inside the training rows, then refit.

    Parameters
    ----------
    learners, bases : the candidates (every learner over every base).
    n_folds : folds of the inner cross-validation (stratified by treatment x outcome).

    Attributes after ``fit``: ``chosen_`` (an :class:`UpliftModel` refit on all rows), ``scores_``
    (candidate -> out-of-fold Qini AUC), ``choice_words_``.
    """

    learners: tuple[str, ...] = LEARNERS
    bases: tuple[str, ...] = BASES
    n_folds: int = 3
    seed: int = 0

    def fit(self, X: pd.DataFrame, treatment, y, progress=None) -> AutoUplift:
        t = np.asarray(treatment, dtype=int)
        y = np.asarray(y, dtype=int)
        if len(y) < 200 or min(t.sum(), (1 - t).sum()) < 50:
            raise NotReadyError(
                f"too few rows to learn uplift: {len(y)} rows, {int(t.sum())} treated, {int((1 - t).sum())} "
                "control; at least 200 rows and 50 in each group are needed"
            )
        pre = TabularPreprocessor().fit(X)
        fold = stratified_folds(t, y, self.n_folds, self.seed)
        candidates = [(lr, b) for b in self.bases for lr in self.learners if b == "logistic" or lr != "s_additive"]
        oof = {c: np.zeros(len(y)) for c in candidates}
        steps, done = len(candidates) * self.n_folds, 0
        for k in range(self.n_folds):
            tr, va = fold != k, fold == k
            Xtr, Xva = X.iloc[np.flatnonzero(tr)], X.iloc[np.flatnonzero(va)]
            for c in candidates:
                m = UpliftModel(*c, seed=self.seed).fit(Xtr, t[tr], y[tr], pre=pre)
                oof[c][va] = m.predict_uplift(Xva)
                done += 1
                if progress:
                    progress(done / (steps + 1))
        # rank-normalise within each fold so that folds with different scales pool fairly
        self.scores_ = {c: qini_auc(y, _fold_ranks(oof[c], fold), t) for c in candidates}
        best = max(candidates, key=lambda c: self.scores_[c])
        self.chosen_ = UpliftModel(*best, seed=self.seed).fit(X, t, y, pre=pre)
        runner = sorted(self.scores_.values(), reverse=True)
        self.choice_words_ = (
            f"{self.chosen_.words}, chosen by {self.n_folds}-fold cross-validated Qini inside the training data "
            f"({self.scores_[best]:.3f}; next best {runner[1]:.3f})"
            if len(runner) > 1
            else self.chosen_.words
        )
        if progress:
            progress(1.0)
        return self

    def predict_uplift(self, X: pd.DataFrame) -> np.ndarray:
        return self.chosen_.predict_uplift(X)


def _fold_ranks(score: np.ndarray, fold: np.ndarray) -> np.ndarray:
    out = np.empty_like(score, dtype=float)
    for k in np.unique(fold):
        idx = np.flatnonzero(fold == k)
        out[idx] = pd.Series(score[idx]).rank(pct=True).to_numpy()
    return out
