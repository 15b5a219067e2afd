"""Click (and conversion) probability per impression: sparse candidates, chosen on the later days, calibrated.

The honest split is in time: candidates learn on the earlier days of the log; the later days
choose among them (ROC-AUC: the simplest within one standard error of the best), set their few
knobs (regularisation, number of trees) and calibrate the winner. Never random rows: a site's
clicks on Tuesday would teach the model about Tuesday's validation rows.

Candidates, all built for sparse logs with thousands of rare sites:

* ``baseline`` — one-hot logistic regression on main effects, rare levels pooled (what a careful
  analyst fits first, and the reference every other candidate must beat);
* ``poly2`` — the same plus every pairwise cross of the columns, hashed into 2^18 columns, crosses
  penalised harder than main effects (a degree-2 polynomial model, Chang et al. 2010);
* ``lightgbm`` — gradient boosting on numeric columns, native categorical splits for columns with
  few levels, and out-of-fold target statistics for the many-level ones;
* ``blend`` — the mean of poly2's and LightGBM's calibrated log-odds.

Training rows are capped by negative downsampling: every click is kept, a random share of the
non-clicks is kept and weighted up by its inverse (He et al. 2014), so a log of ten million rows
trains in the time of one of 300,000 without biasing the weighted fit.

Calibration is Platt scaling (a logistic curve on the model's log-odds) rather than isotonic
regression: clicks are rare (0.1-2 %), so the later days hold a few hundred to a few thousand
positives, too few for isotonic regression's free steps; and a bidder multiplies the probability
into its bid, where isotonic's flat steps would give whole groups of impressions the same bid.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nomagic.errors import InputError
from nomagic.lifecycle.metrics import delong, roc_auc
from nomagic.lifecycle.models import sigmoid, single_blas

# Platt scaling and its threshold live in ctr_report: the report cross-fits them too
from nomagic.usecases.bidding.ctr_report import MIN_CALIBRATION, TARGET_WORDS, fit_platt, validation_report
from nomagic.usecases.bidding.features import (
    CATEGORICAL,
    Encoder,
    TargetStats,
    as_text,
    column_kind,
    need_columns,
    poly2_matrix,
)
from nomagic.usecases.bidding.logs import CLICK, CONVERSION, TIME, BidLog, later_days
from nomagic.words import say

#: below this many positives in the whole log, only the baseline is fitted (and the report says so)
MIN_POSITIVES = 50
#: a categorical column with more distinct levels than this gets target statistics in LightGBM
MANY_LEVELS = 64
#: 2^18 hashed cross columns: a log of a few thousand sites has ~10^5 distinct pairs; 2^20 was no better and slower
HASH_BITS = 18
#: rows scored at once
CHUNK = 200_000
#: L-BFGS steps per penalty of the poly2 model
CROSS_STEPS = 40
CANDIDATES = ("poly2", "lightgbm", "blend")


@dataclass
class ClickModel:
    """A fitted, calibrated probability of a click (or conversion) per impression.

    Attributes
    ----------
    name : the chosen candidate: ``"baseline"``, ``"poly2"``, ``"lightgbm"``, ``"blend"``, or
        ``"rate"`` (a constant, when the log has too few positives for any model).
    target : ``"click"`` or ``"conversion"``.
    report : validation figures of the model and the baseline (see :func:`fit_click_model`).
    """

    name: str
    target: str
    report: dict
    scorer: object = field(repr=False)
    calibration: tuple[float, float] = (1.0, 0.0)
    features: list[str] = field(default_factory=list)

    def logit(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated log-odds."""
        need_columns(frame, self.features)
        a, b = self.calibration
        if len(frame) <= CHUNK:
            return a * self.scorer.decision(frame) + b
        # in chunks: a million rows of hashed crosses at once is half a gigabyte
        parts = [self.scorer.decision(frame.iloc[i : i + CHUNK]) for i in range(0, len(frame), CHUNK)]
        return a * np.concatenate(parts) + b

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities, one per row of ``frame`` (which needs the log's feature columns)."""
        return sigmoid(self.logit(frame))

    def predict_row(self, row: dict) -> float | None:
        """The calibrated probability of one row (a mapping of column to value), or None where the chosen model
        has no one-row path (then use :meth:`predict`)."""
        fast = getattr(self.scorer, "decision_row", None)
        if fast is None:
            return None
        a, b = self.calibration
        return float(sigmoid(np.array([a * fast(row) + b]))[0])


def fit_click_model(
    log: BidLog,
    target: str = CLICK,
    *,
    candidates=CANDIDATES,
    validation_share: float = 0.3,
    max_train_rows: int = 300_000,
    min_count: int = 20,
    n_boot: int = 200,
    seed: int = 0,
) -> ClickModel:
    """The best of the candidates on the log's later days, calibrated there, with its report.

    Trains on won rows only (outcomes exist only there). ``.report`` holds, on the validation days,
    ROC-AUC, log-loss and Brier score of the chosen model and the baseline with paired bootstrap 95%
    CIs of the differences, a calibration table by deciles of the prediction, every candidate's
    figures, the split and the downsampling. The calibrated figures are cross-fitted (each half of
    the validation days calibrated on the other half), so they do not flatter the calibration.

    Examples
    --------
    >>> from nomagic.simulate.auctions import make_requests
    >>> from nomagic.simulate.common import Clock
    >>> from nomagic.usecases.bidding.logs import from_ad_requests
    >>> from datetime import datetime
    >>> requests, _ = make_requests(0, 0, 0, 20_000, Clock(datetime(2026, 1, 1), 10))
    >>> model = fit_click_model(from_ad_requests(requests), candidates=(), n_boot=50)
    >>> model.name, model.predict(requests.to_pandas().head(3)).shape
    ('baseline', (3,))
    """
    started = time.perf_counter()
    unknown = set(candidates) - set(CANDIDATES)
    if unknown:
        raise InputError(
            say(
                "unknown candidate(s) {u}; known: {k}",
                "unbekannte Kandidaten {u}; bekannt: {k}",
                u=", ".join(sorted(unknown)),
                k=", ".join(CANDIDATES),
            )
        )
    frame, y = _labelled(log, target)
    valid, split = later_days(frame[TIME], validation_share)
    words = TARGET_WORDS.get(target, (target, target))
    positives = int(y.sum())
    fallback = None
    if positives < MIN_POSITIVES:
        fallback = say(
            "only {n:,} {w} in the log (fewer than {m}): the baseline alone was fitted; a richer model would "
            "learn noise",
            "nur {n:,} {wd} im Log (weniger als {m}): nur die Baseline wurde angepasst; ein reicheres Modell "
            "würde Rauschen lernen",
            n=positives,
            w=words[0],
            wd=words[1],
            m=MIN_POSITIVES,
        )
        candidates = ()
    if len(np.unique(y[~valid])) < 2 or not log.features:
        return _constant(y, target, split, started, no_features=not log.features)

    rows, weights, kept = _downsample(y[~valid], max_train_rows, seed)
    train = frame[~valid].iloc[rows].reset_index(drop=True)
    y_tr = y[~valid][rows]
    val = frame[valid].reset_index(drop=True)
    y_va = y[valid]
    kinds = {f: column_kind(frame[f], f) for f in log.features}
    scorers, params = {}, {}
    encoder = Encoder(min_count=min_count).fit(train, log.features, kinds)
    codes_tr, codes_va = encoder.codes(train), encoder.codes(val)
    with single_blas():
        scorers["baseline"], params["baseline"] = _fit_linear(encoder, codes_tr, y_tr, weights, codes_va, y_va)
        if "poly2" in candidates:
            scorers["poly2"], params["poly2"] = _fit_linear(
                encoder, codes_tr, y_tr, weights, codes_va, y_va, start=scorers["baseline"]
            )
    if "lightgbm" in candidates:
        scorers["lightgbm"], params["lightgbm"] = _fit_trees(
            train, y_tr, weights, val, y_va, log.features, kinds, min_count, seed
        )
    z = {name: s.decision(val) for name, s in scorers.items()}
    can_calibrate = 0 < y_va.sum() < len(y_va)
    platt = {name: fit_platt(z[name], y_va) for name in z}
    if "blend" in candidates and {"poly2", "lightgbm"} <= set(scorers):
        parts = [(scorers[n], *platt[n]) for n in ("poly2", "lightgbm")]
        scorers["blend"] = _Blend(parts)
        z["blend"] = scorers["blend"].decision(val)
        platt["blend"] = fit_platt(z["blend"], y_va)
        params["blend"] = {"of": ["poly2", "lightgbm"], "weights": [0.5, 0.5]}
    aucs, chosen = _choose(z, y_va) if can_calibrate else ({n: float("nan") for n in z}, "baseline")
    report = validation_report(
        target=target,
        chosen=chosen,
        y=y_va,
        z=z,
        platt=platt,
        aucs=aucs,
        params=params,
        split={**split, "train_rows": int((~valid).sum()), "validation_rows": int(valid.sum())},
        counts={
            "train_positives": int(y[~valid].sum()),
            "validation_positives": int(y_va.sum()),
            "train_rows_used": len(rows),
            "negatives_kept": kept,
        },
        fallback=fallback,
        n_boot=n_boot,
        seed=seed,
    )
    report["seconds"] = round(time.perf_counter() - started, 2)
    return ClickModel(chosen, target, report, scorers[chosen], platt[chosen], list(log.features))


def _choose(z: dict, y: np.ndarray) -> tuple[dict, str]:
    """Validation ROC-AUCs and the choice: the simplest candidate within one standard error of the best.

    The error is that of the paired AUC difference to the best (DeLong), so a richer model is taken
    only where the later days show it ranks better beyond their noise (the one-standard-error rule).
    """
    names = list(z)  # in order of complexity: baseline, poly2, lightgbm, blend
    try:
        values, cov = delong(y, np.vstack([z[n] for n in names]))
    except InputError:  # fewer than two positives or negatives: no noise to speak of
        values, cov = np.array([roc_auc(y, z[n]) for n in names]), np.zeros((len(names), len(names)))
    best = int(np.argmax(values))
    se = np.sqrt(np.clip(np.diag(cov) + cov[best, best] - 2 * cov[:, best], 0, None))
    chosen = next(n for i, n in enumerate(names) if values[i] >= values[best] - se[i])
    return {n: float(v) for n, v in zip(names, values, strict=True)}, chosen


def fit_baseline(log: BidLog, target: str = CLICK, **kwargs) -> ClickModel:
    """The baseline alone: one-hot logistic regression on main effects, calibrated on the later days."""
    return fit_click_model(log, target, candidates=(), **kwargs)


# --------------------------------------------------------------------------- data


def _labelled(log: BidLog, target: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Won rows with a known outcome, and the outcome as 0/1."""
    if target not in log.frame.columns:
        raise InputError(
            say(
                "{s}: has no column '{t}' to predict; its columns are: {cols}",
                "{s}: hat keine Spalte '{t}' zum Vorhersagen; ihre Spalten sind: {cols}",
                s=log.source,
                t=target,
                cols=", ".join(map(str, log.frame.columns)),
            )
        )
    y = log.frame[target].to_numpy(dtype=float)
    keep = log.won & ~np.isnan(y)
    if keep.sum() < 20:
        raise InputError(
            say(
                "{s}: only {n:,} won impressions with a known '{t}'; at least 20 are needed to learn anything",
                "{s}: nur {n:,} gewonnene Impressionen mit bekanntem '{t}'; mindestens 20 sind zum Lernen nötig",
                s=log.source,
                n=int(keep.sum()),
                t=target,
            )
        )
    return log.frame[keep].reset_index(drop=True), y[keep]


def _downsample(y: np.ndarray, cap: int, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Row numbers to train on and their weights: all positives, a share of the negatives weighted up."""
    n = len(y)
    if n <= cap:
        return np.arange(n), np.ones(n), 1.0
    pos = y == 1
    rate = float(np.clip((cap - pos.sum()) / max((~pos).sum(), 1), 0.01, 1.0))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 20, 1]))
    keep = pos | (rng.random(n) < rate)
    rows = np.flatnonzero(keep)
    return rows, np.where(pos[rows], 1.0, 1.0 / rate), rate


# --------------------------------------------------------------------------- candidates


class _Linear:
    """Logistic regression on one-hot codes, optionally with hashed crosses whose value is ``cross``."""

    def __init__(self, encoder: Encoder, model, cross: float | None):
        self.encoder, self.model, self.cross = encoder, model, cross

    def matrix(self, codes: np.ndarray):
        if self.cross is None:
            return self.encoder.onehot(codes=codes)
        X = poly2_matrix(self.encoder, codes, HASH_BITS)
        _set_cross(X, codes.shape[1], self.cross)
        return X

    def decision(self, frame: pd.DataFrame) -> np.ndarray:
        return self.model.decision_function(self.matrix(self.encoder.codes(frame)))

    def decision_row(self, row: dict) -> float:
        """The same for one row given as a mapping: a sparse dot product, without pandas or sklearn's checks
        (the real-time bidder answers within milliseconds)."""
        X = self.matrix(self.encoder.codes_of_row(row))
        return float((X @ self.model.coef_.ravel())[0] + self.model.intercept_[0])


def _set_cross(X, n_main: int, value: float) -> None:
    """Give the cross columns of a poly2 matrix the value ``value`` < 1: the same L2 penalty then costs a
    cross 1/value² more than a main effect, so crosses need more evidence (one knob instead of two Cs)."""
    X.data.reshape(X.shape[0], -1)[:, n_main:] = value


def _fit_linear(encoder: Encoder, codes_tr, y, w, codes_va, y_va, *, start: _Linear | None = None):
    """The one-hot logistic regression (or, from ``start``'s solution, the poly2 one) whose penalty does best
    on the validation days.

    The penalties are tried from strong to weak, each fit starting from the previous solution. The
    baseline is solved to convergence (it is the reference); poly2 starts from the baseline's main
    effects with its crosses at zero and gets a fixed budget of L-BFGS steps per penalty (a million
    hashed columns: each step costs a pass over the rows, and most of the gain comes early).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    crosses = start is not None
    scorer = _Linear(encoder, None, 1.0 if crosses else None)
    X_tr, X_va = scorer.matrix(codes_tr), scorer.matrix(codes_va)
    n_main = codes_tr.shape[1]
    if crosses:
        lr = LogisticRegression(C=1.0, max_iter=CROSS_STEPS, tol=1e-10, warm_start=True)
        lr.coef_ = np.zeros((1, X_tr.shape[1]))
        lr.coef_[0, : encoder.width_] = start.model.coef_[0]
        lr.intercept_ = start.model.intercept_.copy()
        grid = (0.03, 0.1, 0.3)  # the crosses' value, C = 1
    else:
        lr = LogisticRegression(C=1.0, max_iter=500, tol=1e-6, warm_start=True)
        grid = (0.1, 1.0)  # C of the main effects
    best, previous = None, None
    for knob in grid:
        if crosses:
            _set_cross(X_tr, n_main, knob)
            _set_cross(X_va, n_main, knob)
            if previous is not None:  # the same solution in the new scale
                lr.coef_[0, encoder.width_ :] *= previous / knob
        else:
            lr.C = knob
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            lr.fit(X_tr, y, sample_weight=w)
        auc = roc_auc(y_va, lr.decision_function(X_va)) if 0 < y_va.sum() < len(y_va) else 0.0
        if best is not None and auc < best[0]:
            break  # weaker penalties only overfit more
        best = (auc, knob, lr.coef_.copy(), lr.intercept_.copy())
        previous = knob
    _, knob, lr.coef_, lr.intercept_ = best
    scorer.model = lr
    if crosses:
        scorer.cross = knob
    params = {
        ("cross_scale" if crosses else "C"): knob,
        "columns": encoder.width_ + ((1 << HASH_BITS) if crosses else 0),
        "min_count": encoder.min_count,
    }
    return scorer, params


class _Trees:
    """LightGBM on numeric columns, codes of few-level columns and target statistics of many-level ones."""

    def __init__(self, numeric, few, stats, booster, n_trees):
        self.numeric, self.few, self.stats, self.booster, self.n_trees = numeric, few, stats, booster, n_trees

    def matrix(self, frame: pd.DataFrame, stats: np.ndarray | None = None) -> np.ndarray:
        parts = [pd.to_numeric(frame[c], errors="coerce").astype(float).to_numpy()[:, None] for c in self.numeric]
        if self.few.columns_:
            parts.append(self.few.codes(frame).astype(float))
        parts.append(self.stats.transform(frame) if stats is None else stats)
        return np.hstack(parts) if parts else np.zeros((len(frame), 0))

    def decision(self, frame: pd.DataFrame) -> np.ndarray:
        return self.booster.predict(self.matrix(frame), num_iteration=self.n_trees, raw_score=True)


def _fit_trees(train, y, w, val, y_va, features, kinds, min_count, seed):
    import lightgbm as lgb

    numeric = [f for f in features if kinds[f] != CATEGORICAL]
    cats = [f for f in features if kinds[f] == CATEGORICAL]
    levels = {c: pd.Series(as_text(train[c])).nunique(dropna=False) for c in cats}
    many = [c for c in cats if levels[c] > MANY_LEVELS]
    few = Encoder(min_count=min_count).fit(train, [c for c in cats if c not in many], kinds)
    stats = TargetStats(many)
    scorer = _Trees(numeric, few, stats, None, 0)
    X_tr = scorer.matrix(train, stats.fit_transform(train, y, w))
    X_va = scorer.matrix(val)
    cat_idx = list(range(len(numeric), len(numeric) + len(few.columns_)))
    params = {
        "objective": "binary",
        "learning_rate": 0.05,
        "num_leaves": 31,
        "min_child_samples": 100,
        "min_sum_hessian_in_leaf": 1e-3,
        "lambda_l2": 10.0,
        "cat_smooth": 50.0,
        "cat_l2": 10.0,
        "feature_fraction": 0.9,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "max_bin": 63,
        "num_threads": _threads(),
        "seed": seed,
        "deterministic": True,
        "verbose": -1,
    }
    names = [*numeric, *[c.name for c in few.columns_], *stats.names()]
    data = lgb.Dataset(X_tr, y, weight=w, feature_name=names, categorical_feature=cat_idx, free_raw_data=True)
    rounds, callbacks, sets = 300, [], []
    if 0 < y_va.sum() < len(y_va):  # the later days set the number of trees
        sets = [lgb.Dataset(X_va, y_va, reference=data, categorical_feature=cat_idx)]
        callbacks = [lgb.early_stopping(30, verbose=False)]
        rounds = 600
    booster = lgb.train(params, data, rounds, valid_sets=sets, callbacks=callbacks)
    scorer.booster = booster
    scorer.n_trees = booster.best_iteration or booster.current_iteration()
    return scorer, {"trees": scorer.n_trees, "target_statistics": many, "native_categorical": few.features}


class _Blend:
    """The mean of calibrated log-odds of several scorers."""

    def __init__(self, parts):
        self.parts = parts

    def decision(self, frame: pd.DataFrame) -> np.ndarray:
        return np.mean([a * s.decision(frame) + b for s, a, b in self.parts], axis=0)


class _Rate:
    """A constant probability: the log's rate, shrunk by half a positive (never exactly 0)."""

    def __init__(self, p: float):
        self.z = float(np.log(p / (1 - p)))

    def decision(self, frame: pd.DataFrame) -> np.ndarray:
        return np.full(len(frame), self.z)


def _threads() -> int:
    """LightGBM threads: $NOMAGIC_THREADS, else one.

    Measured on a 2-core machine shared with other work: 100 trees on 300,000 rows took 2.3 s on one
    thread and 57 s on two (OpenMP threads spin while they wait for a busy core).
    """
    return int(os.environ.get("NOMAGIC_THREADS", 0) or 0) or 1


def _constant(y, target, split, started, *, no_features: bool = False) -> ClickModel:
    p = (y.sum() + 0.5) / (len(y) + 1.0)
    why = (
        say(
            "the log has no feature columns, so every impression gets the log's rate ({p:.3%})",
            "das Log hat keine Merkmalsspalten, also bekommt jede Impression die Rate des Logs ({p:.3%})",
            p=p,
        )
        if no_features
        else say(
            "the earlier days hold only one outcome, so no model can be fitted; the log's rate ({p:.3%}) is used",
            "die früheren Tage enthalten nur einen Ausgang, also lässt sich kein Modell anpassen; die Rate des "
            "Logs ({p:.3%}) wird verwendet",
            p=p,
        )
    )
    report = {
        "target": target,
        "chosen": "rate",
        "split": split,
        "fallback": why,
        "explanation": why,
        "seconds": round(time.perf_counter() - started, 2),
    }
    return ClickModel("rate", target, report, _Rate(p), (1.0, 0.0), [])


__all__ = [
    "CANDIDATES",
    "CHUNK",
    "CLICK",
    "CONVERSION",
    "CROSS_STEPS",
    "HASH_BITS",
    "MANY_LEVELS",
    "MIN_CALIBRATION",
    "MIN_POSITIVES",
    "ClickModel",
    "fit_baseline",
    "fit_click_model",
]
