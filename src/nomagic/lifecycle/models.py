"""The contenders and the naive baselines, all scikit-learn style and all saved without pickle.

* :class:`AutoClassifier` — the model. Inside the training data it validates a regularised
  logistic regression (one-hot, standardisation, imputation), LightGBM with early stopping and
  blends of the two (in log-odds), picks the best by validation, calibrates the chosen blend
  (Platt scaling on the validation predictions) and refits on all training rows. Blending in
  log-odds keeps everything additive, so every probability splits exactly into per-column
  contributions (linear SHAP for the regression, TreeSHAP via LightGBM's ``pred_contrib``).
* :class:`ScoreBaseline` — the naive rule a marketer would use: sort by one column (days since the
  last order, past order rate) and read the rate off a monotone (isotonic) curve fitted on the
  training rows.
* :class:`BestColumnBaseline` — for a user's plain table, where no such rule is known: the single
  column that best ranks the label by validation inside the training data.

Artifacts are JSON plus LightGBM's own text format (:meth:`AutoClassifier.save`).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nomagic.errors import InputError, NotReadyError
from nomagic.lifecycle.metrics import delong, roc_auc
from nomagic.lifecycle.tabular import TabularPreprocessor, text_numbers
from nomagic.words import Text, say

MODEL_FILE = "model.json"
TREES_FILE = "model_lightgbm.txt"


def single_blas():
    """BLAS on one thread: the matrices here are small, and on a shared machine extra BLAS threads
    make logistic regression ten times slower, not faster."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def _threads(rows: int = 0) -> int:
    """LightGBM threads: $NOMAGIC_THREADS, else one below 100k rows (threads only add overhead there, and on a busy machine much more), else up to 4."""
    env = int(os.environ.get("NOMAGIC_THREADS", 0))
    if env:
        return env
    return 1 if rows < 100_000 else min(4, os.cpu_count() or 1)


def _as_frame(X) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    return pd.DataFrame(np.asarray(X), columns=[f"x{i}" for i in range(np.asarray(X).shape[1])])


def _check_y(y) -> np.ndarray:
    y = np.asarray(y).astype(float).ravel()
    if not np.isin(y, (0.0, 1.0)).all():
        raise InputError("the label must be 0/1")
    if y.min() == y.max():
        raise NotReadyError(f"every training row has the label {int(y[0])}; a model needs both outcomes")
    return y.astype(int)


# --------------------------------------------------------------------------- validation folds


def inner_folds(y, *, time=None, groups=None, n_folds: int = 3, gap=None, seed: int = 0, min_rows: int = 50):
    """Validation folds inside the training data, as ``[(train_idx, valid_idx), ...]``.

    * with ``time`` (one timestamp or cutoff per row, or a number: the row's place in time, as
      ``--ordered`` gives it) and at least two distinct times: the latest
      ``n_folds`` times are validated in turn, each on a model trained on rows at least ``gap``
      earlier (so that no training label looks into the validation period) — the honest choice
      under drift;
    * else with ``groups``: stratified group folds (one customer never in both parts);
    * else stratified k-fold with ``seed``.
    """
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    y = np.asarray(y)
    if time is not None:
        t = _as_order(time)
        distinct = np.unique(t)
        if gap is None:
            delta = np.zeros((), t.dtype) if t.dtype.kind == "f" else np.timedelta64(0, "ns")
        elif t.dtype.kind == "f":
            raise InputError("a gap needs real times; with a row order (--ordered) there is none to give")
        else:
            delta = np.timedelta64(pd.Timedelta(gap))
        if distinct.size <= 4 * n_folds:  # a few cutoffs: validate on each of the latest in turn
            blocks = [(v, v) for v in distinct[::-1][:n_folds]][::-1]
        else:  # continuous time: the latest 10 % blocks (by rows) in turn
            edges = np.quantile(t.astype("int64"), np.linspace(1 - 0.1 * n_folds, 1, n_folds + 1)).astype("int64")
            edges = edges.astype(t.dtype)
            blocks = [(edges[i], edges[i + 1]) for i in range(n_folds)]
        folds = []
        for i, (lo, hi) in enumerate(blocks):
            va = np.flatnonzero((t >= lo) & ((t <= hi) if i == len(blocks) - 1 or lo == hi else (t < hi)))
            tr = np.flatnonzero(t <= lo - delta) if gap is not None else np.flatnonzero(t < lo)
            if tr.size >= min_rows and va.size and np.unique(y[tr]).size == 2 and np.unique(y[va]).size == 2:
                folds.append((tr, va))
        if folds:
            return folds
    k = int(max(2, min(n_folds, np.bincount(y.astype(int)).min())))
    if groups is not None:
        splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(len(y)), y, groups))
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y))


def _as_order(time) -> np.ndarray:
    """Times as datetime64, or numbers (a row's place in time) as floats."""
    t = np.asarray(time)
    if t.dtype.kind in "iuf":
        return t.astype(float)
    return pd.to_datetime(pd.Series(t)).to_numpy()


# --------------------------------------------------------------------------- the model


_LGBM_DEFAULTS = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "max_depth": 6,  # shallow trees: as good here, and TreeSHAP (reasons) costs grow with depth squared
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 5.0,
    "cat_smooth": 20.0,
    "min_data_per_group": 50,
    "max_cat_to_onehot": 8,
    "verbosity": -1,
}


@dataclass
class Choice:
    """What validation inside the training data chose, and why."""

    kind: str  # "logistic", "lightgbm" or "blend"
    weight: float  # weight of LightGBM in the log-odds blend
    C: float
    n_trees: int
    calibration: tuple[float, float]
    validation: dict  # candidate -> validation ROC-AUC
    folds: int
    fold_kind: str
    best: str = ""  # the candidate with the best validation ROC-AUC (may differ from the chosen one)
    noise: float = 0.0  # the standard error the rule allowed the chosen candidate (DeLong)
    noise_kind: str = "paired"  # "paired": of its difference to the best; "best": of the best's own score

    def what(self) -> Text:
        """The chosen model in a few words."""
        return {
            "logistic": say(
                "regularised logistic regression (C={C:g})", "regularisierte logistische Regression (C={C:g})", C=self.C
            ),
            "lightgbm": say(
                "LightGBM ({n} trees, early stopping)", "LightGBM ({n} Bäume, frühes Stoppen)", n=self.n_trees
            ),
            "blend": say(
                "a blend of LightGBM ({w:.0%}) and logistic regression ({r:.0%})",
                "eine Mischung aus LightGBM ({w:.0%}) und logistischer Regression ({r:.0%})",
                w=self.weight,
                r=1 - self.weight,
            ),
        }[self.kind]

    def describe(self) -> Text:
        val = self.validation.get(self.kind_key(), float("nan"))
        text = say(
            "{what}, chosen by {k} {kind} validation fold(s) (validation ROC-AUC {val:.3f})",
            "{what}, gewählt über {k} Validierungsfalte(n) ({kind}; Validierungs-ROC-AUC {val:.3f})",
            what=self.what(),
            k=self.folds,
            kind=self.fold_kind,
            val=val,
        )
        if self.best and self.best != self.kind_key():
            paired = self.noise_kind == "paired"
            text += say(
                "; the simplest candidate within one standard error of the best ({best}, {bv:.3f}, standard error "
                + ("of the difference " if paired else "")
                + "{se:.4f})",
                "; der einfachste Kandidat innerhalb eines Standardfehlers vom besten ({best}, {bv:.3f}, Standardfehler "
                + ("der Differenz " if paired else "")
                + "{se:.4f})",
                best=self.best,
                bv=self.validation[self.best],
                se=self.noise,
            )
        return text

    def kind_key(self) -> str:
        return f"w={self.weight:.1f}"


class AutoClassifier:
    """Logistic regression, LightGBM or a blend — chosen by validation, calibrated, explainable.

    Parameters
    ----------
    candidates : which families may be chosen: any of ``"logistic"``, ``"lightgbm"``, ``"blend"``.
    inner_folds : number of validation folds inside the training data.
    Cs : inverse regularisation strengths tried for the logistic regression.
    max_trees, early_stopping : LightGBM's ceiling and patience (rounds without improvement).
    lgbm_params : overrides of the LightGBM parameters.
    time_gap : with ``time`` given to :meth:`fit`, training rows for a validation time must be at
        least this much older (the label horizon), e.g. ``"90D"``.
    random_state : seed for folds and LightGBM.
    noise : which standard error decides "within the noise of the best" (the one-standard-error
        rule): ``"paired"``, of each candidate's difference to the best on the same validation rows
        (narrow: a steady world, where more structure that validates keeps paying), or ``"best"``,
        of the best candidate's own score (the classic rule of Breiman et al. 1984: wider, so a
        simpler model wins more often; for a world that moves, see bench/shift.py).

    Attributes
    ----------
    choice_ : :class:`Choice` — the validated decision.
    preprocessor_ : :class:`~nomagic.lifecycle.tabular.TabularPreprocessor`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.choice(["x", "y"], 400)})
    >>> y = (X.a + (X.b == "x") + rng.normal(size=400) > 0.5).astype(int)
    >>> clf = AutoClassifier(candidates=("logistic",)).fit(X, y)
    >>> clf.predict_proba(X).shape
    (400, 2)
    """

    def __init__(
        self,
        candidates=("logistic", "lightgbm", "blend"),
        inner_folds: int = 3,
        Cs=(0.03, 0.1, 0.3, 1.0),
        max_trees: int = 2000,
        early_stopping: int = 100,
        lgbm_params: dict | None = None,
        time_gap=None,
        random_state: int = 0,
        categorical: tuple[str, ...] = (),
        noise: str = "paired",
    ):
        self.candidates = tuple(candidates)
        self.inner_folds = inner_folds
        self.Cs = tuple(Cs)
        self.max_trees = max_trees
        self.early_stopping = early_stopping
        self.lgbm_params = lgbm_params
        self.time_gap = time_gap
        self.random_state = random_state
        self.categorical = tuple(categorical)
        self.noise = noise

    # -------------------------------------------------------------- pieces
    def _lgbm_params(self, rows: int = 0) -> dict:
        params = dict(_LGBM_DEFAULTS)
        params.update(seed=self.random_state, num_threads=_threads(rows), deterministic=True, force_row_wise=True)
        params.update(self.lgbm_params or {})
        return params

    def _train_trees(self, T, y, cat, valid=None, rounds=None):
        import lightgbm as lgb

        train = lgb.Dataset(T, label=y, categorical_feature=cat or "auto", free_raw_data=True)
        kwargs = {}
        if valid is not None:
            Tv, yv = valid
            kwargs["valid_sets"] = [lgb.Dataset(Tv, label=yv, reference=train, categorical_feature=cat or "auto")]
            kwargs["callbacks"] = [lgb.early_stopping(self.early_stopping, verbose=False)]
        return lgb.train(self._lgbm_params(len(y)), train, num_boost_round=rounds or self.max_trees, **kwargs)

    @staticmethod
    def _train_linear(L, y, C):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=C, max_iter=2000).fit(L, y)

    # -------------------------------------------------------------- fit
    def fit(self, X, y, *, time=None, groups=None, folds=None, fold_kind=None, progress=None) -> AutoClassifier:
        """Validate the candidates inside (X, y), calibrate the winner and refit it on all rows.

        ``time`` (a cutoff per row, or a number: the row's place in time) switches to forward
        validation; ``groups`` (a unit id per row) keeps one unit out of both sides of a
        validation split; ``folds`` (``[(train_idx, valid_idx), ...]``, named by ``fold_kind``)
        replaces both, e.g. validation on the training rows most like a test file.
        ``progress(fraction)`` is called as the work advances.

        Among the candidates, the simplest (the most linear) whose validation ROC-AUC is within one
        standard error of the best wins (DeLong; which standard error: ``noise``): a more complex
        model has to be better by more than the noise.
        """
        with single_blas():
            return self._fit(X, y, time=time, groups=groups, folds=folds, fold_kind=fold_kind, progress=progress)

    def _fit(self, X, y, *, time=None, groups=None, folds=None, fold_kind=None, progress=None) -> AutoClassifier:
        X = _as_frame(X)
        y = _check_y(y)
        bad = [c for c in self.candidates if c not in ("logistic", "lightgbm", "blend")]
        if bad or not self.candidates:
            raise InputError(f"unknown model candidates {bad}; use logistic, lightgbm and/or blend")
        tick = progress or (lambda f: None)
        pre = TabularPreprocessor(categorical=self.categorical).fit(X)
        use_lin = "logistic" in self.candidates or "blend" in self.candidates
        use_gbm = "lightgbm" in self.candidates or "blend" in self.candidates
        L = pre.linear_matrix(X) if use_lin else None
        T = pre.tree_matrix(X) if use_gbm else None
        cat = pre.categorical_indices_
        if folds is None:
            folds = inner_folds(
                y, time=time, groups=groups, n_folds=self.inner_folds, gap=self.time_gap, seed=self.random_state
            )
            fold_kind = "time-ordered" if time is not None and _is_time_folds(folds, len(y)) else "k-fold"
        fold_kind = fold_kind or "given"
        self.validation_folds_ = folds
        val_idx = np.concatenate([va for _, va in folds])
        z_lin = {C: np.full(len(y), np.nan) for C in self.Cs} if use_lin else {}
        z_gbm = np.full(len(y), np.nan)
        best_iters = []
        steps = len(folds) + 1
        for i, (tr, va) in enumerate(folds):
            for C in z_lin:
                # the same penalty per row as the refit on all rows: sklearn's penalty does not grow
                # with the rows, so the same C would shrink these smaller fits more, and the
                # calibration learnt from them would over-stretch the refit's log-odds
                z_lin[C][va] = self._train_linear(L[tr], y[tr], C * len(y) / len(tr)).decision_function(L[va])
            if use_gbm:
                booster = self._train_trees(T[tr], y[tr], cat, valid=(T[va], y[va]))
                best_iters.append(max(1, booster.best_iteration or booster.current_iteration()))
                z_gbm[va] = booster.predict(T[va], raw_score=True, num_iteration=best_iters[-1])
            tick((i + 1) / steps * 0.9)
        yv = y[val_idx]
        validation: dict[str, float] = {}
        best_C = self.Cs[0]
        if use_lin:
            auc_C = {C: roc_auc(yv, z_lin[C][val_idx]) for C in self.Cs}
            best_C = max(self.Cs, key=lambda C: (round(auc_C[C], 4), -C))
            zl = z_lin[best_C][val_idx]
        zg = z_gbm[val_idx]
        weights = []
        if "logistic" in self.candidates:
            weights.append(0.0)
        if "blend" in self.candidates:
            weights += [w / 10 for w in range(1, 10)]
        if "lightgbm" in self.candidates:
            weights.append(1.0)
        Z = np.vstack([(w * zg if w > 0 else 0) + ((1 - w) * zl if w < 1 else 0) for w in weights])
        aucs, noise = _validation_noise(yv, Z, self.noise)
        for w, a in zip(weights, aucs, strict=True):
            validation[f"w={w:.1f}"] = round(float(a), 5)
        # one-standard-error rule: the simplest (most linear) candidate within the noise of the best
        top = int(np.argmax(aucs))
        j = min(i for i in range(len(weights)) if aucs[i] >= aucs[top] - max(noise[i], 0.001))
        weight = weights[j]
        z = Z[j]
        a, b = _platt(z, yv)
        # out-of-sample probabilities of the validation rows: what the model does on rows it did not learn from
        self.validation_scores_ = (yv, sigmoid(a * z + b))
        kind = "logistic" if weight == 0 else "lightgbm" if weight == 1 else "blend"
        n_trees = int(round(np.mean(best_iters) * 1.1)) if best_iters else 0
        # refit on all rows
        self.linear_ = self._train_linear(L, y, best_C) if weight < 1 else None
        self.booster_ = self._train_trees(T, y, cat, rounds=max(n_trees, 1)) if weight > 0 else None
        if self.linear_ is not None:
            self.linear_mean_ = L.mean(axis=0)
        self.preprocessor_ = pre
        best = f"w={weights[top]:.1f}"
        self.choice_ = Choice(
            kind,
            weight,
            best_C,
            n_trees,
            (a, b),
            validation,
            len(folds),
            fold_kind,
            best,
            round(float(noise[j]), 5),
            self.noise,
        )
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = list(pre.feature_names_in_)
        tick(1.0)
        return self

    # -------------------------------------------------------------- predict / explain
    def _check_fitted(self):
        if not hasattr(self, "choice_"):
            raise InputError("the model is not fitted yet; call fit first")

    def decision_function(self, X) -> np.ndarray:
        """Calibrated log-odds."""
        self._check_fitted()
        X = _as_frame(X)
        w = self.choice_.weight
        z = np.zeros(len(X))
        if w < 1:
            z += (1 - w) * self.linear_.decision_function(self.preprocessor_.linear_matrix(X))
        if w > 0:
            z += w * self.booster_.predict(
                self.preprocessor_.tree_matrix(X), raw_score=True, num_threads=_threads(len(X))
            )
        a, b = self.choice_.calibration
        return a * z + b

    def predict_proba(self, X) -> np.ndarray:
        p = sigmoid(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def contributions(self, X) -> tuple[pd.DataFrame, np.ndarray]:
        """Per-row, per-column contributions to the calibrated log-odds, and the per-row bias.

        ``contributions.sum(axis=1) + bias`` equals :meth:`decision_function` (up to rounding):
        TreeSHAP values from LightGBM's ``pred_contrib`` and exact linear SHAP values
        (coefficient x (value - training mean)) for the regression, blended and calibrated alike.
        """
        self._check_fitted()
        X = _as_frame(X)
        pre = self.preprocessor_
        names = pre.feature_names_in_
        w = self.choice_.weight
        a, b = self.choice_.calibration
        contrib = np.zeros((len(X), len(names)))
        bias = np.zeros(len(X))
        if w < 1:
            L = pre.linear_matrix(X)
            coef = self.linear_.coef_.ravel()
            lin = (L - self.linear_mean_) * coef
            idx = {n: j for j, n in enumerate(names)}
            cols = np.array([idx[s] for s in pre.linear_sources_])
            agg = np.zeros((len(X), len(names)))
            _add_columns(agg, lin, cols)
            contrib += (1 - w) * agg
            bias += (1 - w) * (self.linear_.intercept_[0] + float(self.linear_mean_ @ coef))
        if w > 0:
            sh = self.booster_.predict(pre.tree_matrix(X), pred_contrib=True, num_threads=_threads(len(X)))
            contrib += w * sh[:, :-1]
            bias += w * sh[:, -1]
        return pd.DataFrame(a * contrib, columns=names, index=X.index), a * bias + b

    # -------------------------------------------------------------- persistence
    def to_dict(self) -> dict:
        self._check_fitted()
        c = self.choice_
        d = {
            "kind": "AutoClassifier",
            "format": 1,
            "params": {
                "candidates": list(self.candidates),
                "inner_folds": self.inner_folds,
                "Cs": list(self.Cs),
                "max_trees": self.max_trees,
                "early_stopping": self.early_stopping,
                "lgbm_params": self.lgbm_params,
                "time_gap": None if self.time_gap is None else str(self.time_gap),
                "random_state": self.random_state,
                "categorical": list(self.categorical),
                "noise": self.noise,
            },
            "choice": {
                "kind": c.kind,
                "weight": c.weight,
                "C": c.C,
                "n_trees": c.n_trees,
                "calibration": list(c.calibration),
                "validation": c.validation,
                "folds": c.folds,
                "fold_kind": c.fold_kind,
                "best": c.best,
                "noise": c.noise,
                "noise_kind": c.noise_kind,
            },
            "preprocessor": self.preprocessor_.to_dict(),
        }
        if self.linear_ is not None:
            d["linear"] = {
                "coef": self.linear_.coef_.ravel().tolist(),
                "intercept": float(self.linear_.intercept_[0]),
                "mean": self.linear_mean_.tolist(),
                "columns": list(self.preprocessor_.linear_names_),
            }
        return d

    def save(self, folder) -> list[Path]:
        """Write ``model.json`` (and ``model_lightgbm.txt`` when trees are used) into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / MODEL_FILE]
        paths[0].write_text(json.dumps(self.to_dict(), indent=1))
        if self.booster_ is not None:
            paths.append(folder / TREES_FILE)
            self.booster_.save_model(str(paths[1]))
        return paths

    @classmethod
    def load(cls, folder) -> AutoClassifier:
        """Read a model written by :meth:`save` (JSON and LightGBM text; nothing is unpickled)."""
        folder = Path(folder)
        d = json.loads((folder / MODEL_FILE).read_text())
        if d.get("kind") != "AutoClassifier":
            raise InputError(f"{folder / MODEL_FILE} is not a nomagic model file")
        p = d["params"]
        self = cls(
            candidates=p["candidates"],
            inner_folds=p["inner_folds"],
            Cs=p["Cs"],
            max_trees=p["max_trees"],
            early_stopping=p["early_stopping"],
            lgbm_params=p["lgbm_params"],
            time_gap=p["time_gap"],
            random_state=p["random_state"],
            categorical=tuple(p.get("categorical", ())),
            noise=p.get("noise", "paired"),
        )
        c = d["choice"]
        self.choice_ = Choice(
            c["kind"],
            c["weight"],
            c["C"],
            c["n_trees"],
            tuple(c["calibration"]),
            c["validation"],
            c["folds"],
            c["fold_kind"],
            c.get("best", ""),
            c.get("noise", 0.0),
            c.get("noise_kind", "paired"),
        )
        self.preprocessor_ = TabularPreprocessor.from_dict(d["preprocessor"])
        self.feature_names_in_ = list(self.preprocessor_.feature_names_in_)
        self.n_features_in_ = len(self.feature_names_in_)
        self.linear_ = None
        self.booster_ = None
        if "linear" in d:
            self.linear_ = _LinearFromJSON(np.array(d["linear"]["coef"]), d["linear"]["intercept"])
            self.linear_mean_ = np.array(d["linear"]["mean"])
        if c["weight"] > 0:
            import lightgbm as lgb

            self.booster_ = lgb.Booster(model_file=str(folder / TREES_FILE))
        return self


def _add_columns(agg, lin, cols):
    for j in np.unique(cols):
        agg[:, j] = lin[:, cols == j].sum(axis=1)


def _is_time_folds(folds, n) -> bool:
    covered = sum(len(va) for _, va in folds)
    return covered < n or any(len(tr) + len(va) < n for tr, va in folds)


class _LinearFromJSON:
    """The two attributes of a fitted logistic regression that prediction needs."""

    def __init__(self, coef: np.ndarray, intercept: float):
        self.coef_ = coef.reshape(1, -1)
        self.intercept_ = np.array([intercept])

    def decision_function(self, L):
        return L @ self.coef_.ravel() + self.intercept_[0]


def _validation_noise(y, Z, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Validation ROC-AUC of each candidate (rows of ``Z``) and the standard error each may fall
    short of the best (DeLong): of its paired difference to the best (``"paired"``) or of the best
    one's own score (``"best"``); without both outcomes twice, no noise.

    On tables whose world moved (bench/shift.py, ``choice_rules``), the narrow paired error let
    blends win that lost up to 0.026 ROC-AUC on later data, the classic one at most 0.004; on the
    steady simulated shop of ``nomagic demo`` the paired rule ranks a little better.
    """
    if kind not in ("paired", "best"):
        raise InputError(f"noise must be 'paired' or 'best', not {kind!r}")
    try:
        aucs, cov = delong(y, Z)
    except InputError:
        return np.array([roc_auc(y, z) for z in Z]), np.zeros(len(Z))
    b = int(np.argmax(aucs))
    if kind == "best":
        return aucs, np.full(len(Z), np.sqrt(max(cov[b, b], 0.0)))
    return aucs, np.sqrt(np.clip(np.diag(cov) + cov[b, b] - 2 * cov[:, b], 0, None))


def _platt(z, y) -> tuple[float, float]:
    """Logistic calibration ``sigmoid(a*z + b)`` fitted on validation predictions."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e6, max_iter=1000).fit(np.asarray(z).reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


# --------------------------------------------------------------------------- baselines


class ScoreBaseline:
    """The naive rule: one column, read through a monotone curve fitted on the training rows.

    Parameters
    ----------
    column : the column the rule sorts by (e.g. ``days_since_last_order``).
    increasing : a higher value means a higher probability.
    label : how to name the rule for people.

    Examples
    --------
    >>> X = pd.DataFrame({"recency": [1, 5, 30, 90, 200, 400]})
    >>> b = ScoreBaseline("recency").fit(X, [0, 0, 0, 1, 1, 1])
    >>> bool(b.predict_proba(X)[5, 1] > b.predict_proba(X)[0, 1])
    True
    """

    def __init__(self, column: str, increasing: bool = True, label: str | None = None):
        self.column = column
        self.increasing = increasing
        self.label = label or column

    def _values(self, X) -> np.ndarray:
        X = _as_frame(X)
        if self.column not in X.columns:
            raise InputError(f"the baseline needs the column {self.column!r}")
        v = text_numbers(X[self.column], min_share=0.0)
        return np.full(len(X), np.nan) if v is None else v.to_numpy(dtype=float)

    def fit(self, X, y) -> ScoreBaseline:
        from sklearn.isotonic import IsotonicRegression

        y = _check_y(y)
        v = self._values(X)
        ok = np.isfinite(v)
        self.fill_ = float(np.median(v[ok])) if ok.any() else 0.0
        v = np.where(ok, v, self.fill_)
        iso = IsotonicRegression(increasing=self.increasing, out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(v, y)
        self.x_ = np.asarray(iso.X_thresholds_, dtype=float)
        self.p_ = np.asarray(iso.y_thresholds_, dtype=float)
        self.center_ = float(np.median(v))
        self.scale_ = float(np.subtract(*np.quantile(v, [0.75, 0.25]))) or float(v.std()) or 1.0
        return self

    def predict_proba(self, X) -> np.ndarray:
        v = self._values(X)
        v = np.where(np.isfinite(v), v, self.fill_)
        p = np.interp(v, self.x_, self.p_) if self.x_.size > 1 else np.full(len(v), self.p_[0])
        # a strictly monotone tie-breaker far below any rounding: the rule's own order is kept
        sign = 1.0 if self.increasing else -1.0
        tie = 0.5 + np.arctan(sign * (v - self.center_) / self.scale_) / np.pi
        p = np.clip(p, 1e-4, 1 - 1e-4) * (1 - 1e-6) + 1e-6 * tie
        return np.column_stack([1 - p, p])

    def describe(self) -> Text:
        return say("sort by {l}", "sortiert nach: {l}", l=self.label)

    def to_dict(self) -> dict:
        return {
            "kind": "ScoreBaseline",
            "column": self.column,
            "increasing": self.increasing,
            "label": self.label,
            "fill": self.fill_,
            "x": self.x_.tolist(),
            "p": self.p_.tolist(),
            "center": self.center_,
            "scale": self.scale_,
        }

    @classmethod
    def from_dict(cls, d: dict) -> ScoreBaseline:
        self = cls(d["column"], d["increasing"], d["label"])
        self.fill_, self.center_, self.scale_ = d["fill"], d["center"], d["scale"]
        self.x_, self.p_ = np.array(d["x"]), np.array(d["p"])
        return self


class RateBaseline:
    """A categorical column's rule: the label rate of each level in the training rows (smoothed)."""

    def __init__(self, column: str, smoothing: float = 10.0):
        self.column = column
        self.smoothing = smoothing
        self.label = column

    def fit(self, X, y) -> RateBaseline:
        y = _check_y(y)
        pre = TabularPreprocessor(min_count=1, categorical=(self.column,)).fit(_as_frame(X)[[self.column]])
        codes = pre.category_codes(_as_frame(X), pre.plans_[0])
        k = len(pre.plans_[0].levels) + 1
        prior = y.mean()
        pos = np.bincount(codes, weights=y, minlength=k)
        cnt = np.bincount(codes, minlength=k)
        self.rates_ = (pos + self.smoothing * prior) / (cnt + self.smoothing)
        self.preprocessor_ = pre
        return self

    def predict_proba(self, X) -> np.ndarray:
        codes = self.preprocessor_.category_codes(_as_frame(X), self.preprocessor_.plans_[0])
        p = self.rates_[codes]
        return np.column_stack([1 - p, p])

    def describe(self) -> Text:
        return say("the rate of each {c} group", "die Quote jeder {c}-Gruppe", c=self.column)

    def to_dict(self) -> dict:
        return {
            "kind": "RateBaseline",
            "column": self.column,
            "smoothing": self.smoothing,
            "rates": self.rates_.tolist(),
            "preprocessor": self.preprocessor_.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> RateBaseline:
        self = cls(d["column"], d["smoothing"])
        self.rates_ = np.array(d["rates"])
        self.preprocessor_ = TabularPreprocessor.from_dict(d["preprocessor"])
        return self


class BestColumnBaseline:
    """The single column that best ranks the label, chosen by validation inside the training rows.

    Numbers become a :class:`ScoreBaseline` (in the direction the training rows show), categories
    a :class:`RateBaseline`. This is the honest naive rule for a table whose meaning nomagic does
    not know: "sort by the one column that best separates the outcome".

    Parameters
    ----------
    column : force this column instead of choosing.
    """

    def __init__(self, column: str | None = None, n_folds: int = 3, random_state: int = 0):
        self.column = column
        self.n_folds = n_folds
        self.random_state = random_state

    def _candidate(self, X: pd.DataFrame, name: str, y):
        num = text_numbers(X[name])
        if num is not None and num.nunique() > 2:
            v = num.to_numpy(dtype=float)
            ok = np.isfinite(v)
            increasing = True
            if ok.sum() > 2 and np.unique(v[ok]).size > 1:
                increasing = bool(np.corrcoef(pd.Series(v[ok]).rank(), y[ok])[0, 1] >= 0)
            return ScoreBaseline(name, increasing)
        return RateBaseline(name)

    def fit(self, X, y, *, time=None, folds=None) -> BestColumnBaseline:
        """Choose the column by validation inside (X, y): on ``folds`` when given, forward in
        ``time`` (a time or place in time per row) when given, else stratified k-fold."""
        X = _as_frame(X)
        y = _check_y(y)
        if self.column is not None:
            if self.column not in X.columns:
                raise InputError(f"the baseline column {self.column!r} is not in the data")
            names = [self.column]
        else:
            names = list(X.columns)
        self.validation_ = {}
        if len(names) > 1:
            if folds is None:
                folds = inner_folds(y, time=time, n_folds=self.n_folds, seed=self.random_state)
            for name in names:
                oof = np.full(len(y), np.nan)
                for tr, va in folds:
                    rule = self._candidate(X.iloc[tr], name, y[tr]).fit(X.iloc[tr], y[tr])
                    oof[va] = rule.predict_proba(X.iloc[va])[:, 1]
                ok = np.isfinite(oof)
                self.validation_[name] = roc_auc(y[ok], oof[ok])
            best = max(names, key=lambda n: self.validation_[n])
        else:
            best = names[0]
        self.rule_ = self._candidate(X, best, y).fit(X, y)
        self.column_ = best
        return self

    def predict_proba(self, X) -> np.ndarray:
        return self.rule_.predict_proba(_as_frame(X))

    def describe(self) -> Text:
        if self.validation_:
            how = say("chosen by validation inside the training data", "gewählt per Validierung in den Trainingsdaten")
        else:
            how = say("given", "vorgegeben")
        if isinstance(self.rule_, ScoreBaseline):
            return say("sort by '{c}' alone ({how})", "allein nach '{c}' sortiert ({how})", c=self.column_, how=how)
        return say(
            "the label rate of each '{c}' group ({how})",
            "die Zielquote jeder '{c}'-Gruppe ({how})",
            c=self.column_,
            how=how,
        )

    def to_dict(self) -> dict:
        return {"kind": "BestColumnBaseline", "column": self.column_, "rule": self.rule_.to_dict()}


class PlainLogistic:
    """The second reference besides the rule: a logistic regression on all columns, with nothing
    chosen (one-hot levels, standardised numbers, blanks imputed, ``C=1``).

    A single-column rule can break when the world changes; this one rarely fails badly, so a model
    judged against the stronger of the two never looks good only because the rule broke.

    Examples
    --------
    >>> X = pd.DataFrame({"a": np.arange(200) % 7, "b": ["x", "y"] * 100})
    >>> PlainLogistic().fit(X, (X.a > 3).astype(int)).predict_proba(X).shape
    (200, 2)
    """

    def __init__(self, C: float = 1.0):
        self.C = C

    def fit(self, X, y) -> PlainLogistic:
        from sklearn.linear_model import LogisticRegression

        X = _as_frame(X)
        y = _check_y(y)
        self.preprocessor_ = TabularPreprocessor(curves=False).fit(X)
        with single_blas():
            self.linear_ = LogisticRegression(C=self.C, max_iter=2000).fit(self.preprocessor_.linear_matrix(X), y)
        return self

    def predict_proba(self, X) -> np.ndarray:
        with single_blas():
            p = self.linear_.predict_proba(self.preprocessor_.linear_matrix(_as_frame(X)))[:, 1]
        return np.column_stack([1 - p, p])

    def describe(self) -> Text:
        return say(
            "a plain logistic regression on all columns (one-hot, standardised, C={C:g}, nothing tuned)",
            "eine einfache logistische Regression auf allen Spalten (One-Hot, standardisiert, C={C:g}, nichts "
            "abgestimmt)",
            C=self.C,
        )


def baseline_from_dict(d: dict):
    """A baseline saved with ``to_dict`` (JSON only)."""
    kinds = {"ScoreBaseline": ScoreBaseline, "RateBaseline": RateBaseline}
    if d.get("kind") == "BestColumnBaseline":
        self = BestColumnBaseline(d["column"])
        self.rule_ = baseline_from_dict(d["rule"])
        self.column_ = d["column"]
        self.validation_ = {}
        return self
    if d.get("kind") not in kinds:
        raise InputError(f"unknown baseline kind {d.get('kind')!r}")
    return kinds[d["kind"]].from_dict(d)


def is_finite(x) -> bool:
    return x is not None and math.isfinite(x)
