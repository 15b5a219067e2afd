"""Is the test file from the same world as the training data? Prior shift, a domain classifier and
per-column shift, measured before anything is judged on it — and what they mean.

* **Prior shift**: the positive rate in each file, with Wilson intervals, and their difference.
* **Domain classifier**: LightGBM learns to tell the test rows from the training rows (out of fold).
  Its ROC-AUC says how different the two worlds are (0.5: indistinguishable, 1.0: always told
  apart), its gain per column which columns make the difference, and its out-of-fold probability
  per training row how much that row looks like the test file (used to validate on the training
  rows most like the test).
* **Per-column shift**: the population stability index (PSI) of each column, on the training
  file's deciles (numbers) or levels (categories), with the usual reading: below 0.1 stable,
  0.1-0.25 moderate, above 0.25 large.
* **Order**: the same classifier between the first and the last third of one file's rows; when it
  separates them well, the row order is probably time (``--ordered``).
* **Prior correction**: probabilities calibrated to the training rate, moved to a new rate
  (given, or estimated from the unlabelled test rows: probabilistic adjusted classify and count).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nomagic.lifecycle.metrics import delong
from nomagic.lifecycle.tabular import BLANK, OTHER, TabularPreprocessor
from nomagic.words import Text, say

#: a domain classifier at or above this ROC-AUC: "a different world" (a warning, and validation on
#: the training rows most like the test file)
DOMAIN_AUC_LARGE = 0.75
#: first vs last third of a file's rows at or above this ROC-AUC: the row order is probably time
ORDER_AUC = 0.75
#: PSI at or above this: the column moved a lot
PSI_LARGE = 0.25
#: at least this share of a column's test values beyond its training range: nothing was learned there
OUTSIDE_RANGE = 0.2
#: the test file's positive rate differs by at least this factor (and surely): prior shift
PRIOR_RATIO = 1.25

_DOMAIN_LGBM = {
    "objective": "binary",
    "learning_rate": 0.1,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "lambda_l2": 5.0,
    "max_cat_to_onehot": 8,
    "verbosity": -1,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
}


def wilson(k: float, n: float, z: float = 1.96) -> list[float]:
    """The Wilson 95 % interval of a rate k / n."""
    if n <= 0:
        return [0.0, 1.0]
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [round(float(max(0.0, c - h)), 6), round(float(min(1.0, c + h)), 6)]


def prior_shift(y_train, y_test) -> dict:
    """Positive rates of both files with Wilson intervals, and the difference (Newcombe's interval)."""
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    a, b = float(y_train.mean()), float(y_test.mean())
    ca, cb = wilson(y_train.sum(), y_train.size), wilson(y_test.sum(), y_test.size)
    lo = b - a - np.sqrt((b - cb[0]) ** 2 + (ca[1] - a) ** 2)
    hi = b - a + np.sqrt((cb[1] - b) ** 2 + (a - ca[0]) ** 2)
    ratio = b / a if a > 0 else float("inf")
    sure = lo > 0 or hi < 0
    return {
        "train_rate": {"value": round(a, 6), "ci": ca},
        "test_rate": {"value": round(b, 6), "ci": cb},
        "difference": {"value": round(b - a, 6), "ci": [round(float(lo), 6), round(float(hi), 6)]},
        "ratio": round(ratio, 4) if np.isfinite(ratio) else None,
        "shifted": bool(sure and (ratio >= PRIOR_RATIO or ratio <= 1 / PRIOR_RATIO)),
    }


def domain_classifier(A: pd.DataFrame, B: pd.DataFrame, *, n_folds: int = 3, rounds: int = 150, seed: int = 0) -> dict:
    """How well a classifier tells rows of ``B`` from rows of ``A`` (out of fold), and by which columns.

    Returns ``{"roc_auc": {"value", "ci"}, "columns": [{"column", "share"}...], "p_a": array}``,
    where ``p_a`` is each row of ``A``'s out-of-fold probability of belonging to ``B``.
    """
    import lightgbm as lgb
    from sklearn.model_selection import StratifiedKFold

    X = pd.concat([A, B], ignore_index=True)
    d = np.r_[np.zeros(len(A), int), np.ones(len(B), int)]
    pre = TabularPreprocessor(curves=False).fit(X)
    T = pre.tree_matrix(X)
    cat = pre.categorical_indices_
    oof = np.zeros(len(X))
    gain = np.zeros(T.shape[1])
    folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed).split(T, d)
    for tr, va in folds:
        ds = lgb.Dataset(T[tr], label=d[tr], categorical_feature=cat or "auto", free_raw_data=True)
        booster = lgb.train({**_DOMAIN_LGBM, "seed": seed}, ds, num_boost_round=rounds)
        oof[va] = booster.predict(T[va])
        gain += booster.feature_importance("gain")
    (auc,), cov = delong(d, oof[None, :])
    se = float(np.sqrt(cov[0, 0]))
    share = gain / gain.sum() if gain.sum() > 0 else gain
    order = np.argsort(-share)
    columns = [{"column": pre.feature_names_in_[j], "share": round(float(share[j]), 4)} for j in order if share[j] > 0]
    return {
        "roc_auc": {
            "value": round(float(auc), 6),
            "ci": [round(max(0.0, auc - 1.96 * se), 6), round(min(1.0, auc + 1.96 * se), 6)],
        },
        "columns": columns,
        "p_a": oof[: len(A)],
    }


def psi(a: pd.Series, b: pd.Series, plan) -> float:
    """Population stability index of one column between two samples, on ``a``'s deciles or levels."""
    pre = TabularPreprocessor()
    if plan.kind == "numeric":
        va = pre.numeric_values(a.to_frame(), plan)
        vb = pre.numeric_values(b.to_frame(), plan)
        ok = np.isfinite(va)
        edges = np.unique(np.quantile(va[ok], np.linspace(0, 1, 11)[1:-1])) if ok.any() else np.array([])

        def bins(v):
            return np.where(np.isfinite(v), np.searchsorted(edges, v, side="right"), edges.size + 1)

        k = edges.size + 2
        ca, cb = np.bincount(bins(va), minlength=k), np.bincount(bins(vb), minlength=k)
    else:
        ca = np.bincount(pre.category_codes(a.to_frame(), plan), minlength=len(plan.levels) + 1)
        cb = np.bincount(pre.category_codes(b.to_frame(), plan), minlength=len(plan.levels) + 1)
    pa = (ca + 0.5) / (ca.sum() + 0.5 * ca.size)
    pb = (cb + 0.5) / (cb.sum() + 0.5 * cb.size)
    return float(np.sum((pb - pa) * np.log(pb / pa)))


def _typical(s: pd.Series, plan) -> Text:
    """A column's typical value in plain words: the median of numbers, the most common level."""
    pre = TabularPreprocessor()
    if plan.kind == "numeric":
        v = pre.numeric_values(s.to_frame(), plan)
        v = v[np.isfinite(v)]
        if not v.size:
            return say("all blank", "alle leer")
        return say("median {m:,.4g}", "Median {m:,.4g}", m=float(np.median(v)))
    names = np.array([*plan.levels, OTHER], dtype=object)
    codes = pre.category_codes(s.to_frame(), plan)
    top = np.bincount(codes, minlength=names.size)
    j = int(top.argmax())
    level = BLANK if names[j] == BLANK else f"{names[j]!r}"
    return say("{l} {p:.0%}", "{l} {p:.0%}", l=level, p=top[j] / max(len(s), 1))


def column_shift(A: pd.DataFrame, B: pd.DataFrame) -> list[dict]:
    """Per column: its PSI and its typical value in each file, the largest shift first."""
    pre = TabularPreprocessor(curves=False).fit(A)
    out = []
    for plan in pre.plans_:
        a, b = A[plan.name], B[plan.name]
        c = {
            "column": plan.name,
            "kind": plan.kind,
            "psi": round(psi(a, b, plan), 4),
            "train": _typical(a, plan),
            "test": _typical(b, plan),
        }
        if plan.kind == "numeric" and np.isfinite(plan.low):
            v = pre.numeric_values(b.to_frame(), plan)
            v = v[np.isfinite(v)]
            c["train_range"] = [plan.low, plan.high]
            c["outside_range"] = round(float(np.mean((v < plan.low) | (v > plan.high))) if v.size else 0.0, 4)
        out.append(c)
    return sorted(out, key=lambda c: -c["psi"])


def compare(X_train: pd.DataFrame, y_train, X_test: pd.DataFrame, y_test, *, seed: int = 0) -> dict:
    """The training file against the test file: prior shift, domain classifier, per-column shift.

    Returns a JSON-ready dict (the record's ``shift`` section) plus ``p_train`` (not JSON: each
    training row's out-of-fold probability of looking like the test file).
    """
    dom = domain_classifier(X_train, X_test, seed=seed)
    cols = column_shift(X_train, X_test)
    prior = prior_shift(y_train, y_test)
    auc = dom["roc_auc"]["value"]
    return {
        "prior": prior,
        "domain_classifier": {"roc_auc": dom["roc_auc"], "columns": dom["columns"][:10]},
        "columns": cols,
        "large": bool(auc >= DOMAIN_AUC_LARGE),
        "p_train": dom["p_a"],
    }


def order_signal(X: pd.DataFrame, *, part: float = 1 / 3, seed: int = 0, max_rows: int = 30_000) -> dict:
    """How well a classifier tells the first ``part`` of the rows from the last (the row order as time)."""
    n = len(X)
    k = int(n * part)
    first, last = X.iloc[:k], X.iloc[n - k :]
    if k > max_rows:  # a sample of each part is enough to see the difference
        rng = np.random.default_rng(seed)
        first = first.iloc[np.sort(rng.choice(k, max_rows, replace=False))]
        last = last.iloc[np.sort(rng.choice(k, max_rows, replace=False))]
    dom = domain_classifier(first, last, seed=seed, rounds=100)
    return {
        "roc_auc": dom["roc_auc"],
        "columns": dom["columns"][:5],
        "ordered": bool(dom["roc_auc"]["value"] >= ORDER_AUC),
    }


# --------------------------------------------------------------------------- prior correction


def move_prior(p, train_rate: float, new_rate: float) -> np.ndarray:
    """Probabilities calibrated to ``train_rate``, re-weighted by Bayes' rule to ``new_rate``."""
    p = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
    a = new_rate / train_rate
    b = (1 - new_rate) / (1 - train_rate)
    return a * p / (a * p + b * (1 - p))


def estimate_rate(p_test, y_valid, p_valid) -> float | None:
    """The positive rate of unlabelled rows from the model's probabilities on them, adjusted by how
    the model scores rows of known outcome it did not learn from (probabilistic adjusted classify
    and count, Bella et al. 2010).

    ``mean(p_test) = rate * m1 + (1 - rate) * m0``, with ``m1`` / ``m0`` the mean validation
    probability of positives / negatives, solved for the rate. It assumes only the rate moved (each
    outcome's customers look as before); the EM alternative (Saerens et al. 2002) shares that
    assumption but runs off to 0 or 1 when it fails; here a failure shows as a rate outside 0..1,
    and the answer is None: the test rows score unlike either outcome's rows did in training (the
    customers changed, not only the rate), so no rate can be read off the scores.
    """
    y_valid = np.asarray(y_valid).astype(bool)
    p_valid = np.asarray(p_valid, dtype=float)
    m1, m0 = p_valid[y_valid].mean(), p_valid[~y_valid].mean()
    if not m1 > m0:
        return None  # a model that does not separate the outcomes cannot tell their mix
    rate = (np.mean(p_test) - m0) / (m1 - m0)
    return float(rate) if 0.0 < rate < 1.0 else None
