"""Metrics of text classifiers with paired bootstrap intervals, and the evaluation records.

Metric names (registered in :data:`nomagic.lifecycle.metrics.METRICS`, higher is better for all):

* ``macro_f1`` -- F1 per class, averaged with equal weight per class (classes in the truth or the
  predictions, as scikit-learn's ``f1_score(average="macro")``);
* ``accuracy`` -- share of rows whose predicted class is right (for intents an out-of-scope row is
  right when it is rejected);
* ``in_scope_accuracy`` -- among rows whose intent was known in training: share predicted right
  (a rejection counts as wrong);
* ``oos_recall`` -- among rows whose intent was never seen in training: share rejected.

Intervals: 1,000 resamples of the test rows (seed 0), percentile intervals; the model and the
baseline are scored on the same resamples, so the interval of the improvement is paired.

Examples
--------
>>> y = np.array(["a", "b", "a", "c"]); p = np.array(["a", "b", "b", "c"])
>>> round(point(y, p)["macro_f1"], 3), point(y, p)["accuracy"]
(0.778, 0.75)
"""

from __future__ import annotations

import numpy as np

OOS = "out_of_scope"

CLASS_METRICS = ("macro_f1", "accuracy")
INTENT_METRICS = ("accuracy", "in_scope_accuracy", "oos_recall", "macro_f1")


def _compute(W: np.ndarray, y: np.ndarray, pred: np.ndarray, labels: np.ndarray, names) -> dict[str, np.ndarray]:
    """Each metric for each row of the weight matrix ``W`` (resamples x rows)."""
    out: dict[str, np.ndarray] = {}
    correct = (y == pred).astype(float)
    total = W.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        if "accuracy" in names:
            out["accuracy"] = W @ correct / total
        if "macro_f1" in names:
            Yt = (y[:, None] == labels[None, :]).astype(float)
            Yp = (pred[:, None] == labels[None, :]).astype(float)
            tp = W @ (Yt * correct[:, None])
            denom = W @ Yt + W @ Yp
            f1 = np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), 0.0)
            out["macro_f1"] = f1.mean(axis=1)
        if "in_scope_accuracy" in names:
            ins = (y != OOS).astype(float)
            out["in_scope_accuracy"] = W @ (ins * correct) / (W @ ins)
        if "oos_recall" in names:
            oos = (y == OOS).astype(float)
            out["oos_recall"] = W @ (oos * (pred == OOS)) / (W @ oos)
    return out


def point(y, pred, metrics=CLASS_METRICS) -> dict[str, float]:
    """The named metrics of predicted classes ``pred`` against the truth ``y``."""
    y, pred = np.asarray(y, dtype=object).astype(str), np.asarray(pred, dtype=object).astype(str)
    labels = np.array(sorted(set(y) | set(pred)))
    res = _compute(np.ones((1, y.size)), y, pred, labels, set(metrics))
    return {m: float(res[m][0]) for m in metrics}


def _num(x) -> float | None:
    x = float(x)
    return round(x, 6) if np.isfinite(x) else None


def bootstrap(y, model, baseline, *, metrics=CLASS_METRICS, n_boot: int = 1000, seed: int = 0, level: float = 0.95):
    """``{"model", "baseline", "improvement"}`` -> metric -> ``{"value", "ci"}`` for predicted classes."""
    y = np.asarray(y, dtype=object).astype(str)
    preds = {
        "model": np.asarray(model, dtype=object).astype(str),
        "baseline": np.asarray(baseline, dtype=object).astype(str),
    }
    labels = np.array(sorted(set(y) | set(preds["model"]) | set(preds["baseline"])))
    names = set(metrics)
    n = y.size
    point_ = {k: _compute(np.ones((1, n)), y, p, labels, names) for k, p in preds.items()}
    rng = np.random.default_rng(seed)
    draws: dict[str, dict[str, list]] = {k: {m: [] for m in metrics} for k in preds}
    chunk = max(1, min(n_boot, int(2e6 // max(n, 1))))
    done = 0
    while done < n_boot:
        size = min(chunk, n_boot - done)
        W = rng.multinomial(n, np.full(n, 1.0 / n), size=size).astype(float)
        for k, p in preds.items():
            res = _compute(W, y, p, labels, names)
            for m in metrics:
                draws[k][m].append(res[m])
        done += size
    alpha = (1 - level) / 2

    def summary(value, sample):
        sample = sample[np.isfinite(sample)]
        if sample.size == 0 or not np.isfinite(value):
            return {"value": _num(value), "ci": [None, None]}
        lo, hi = np.quantile(sample, [alpha, 1 - alpha])
        return {"value": _num(value), "ci": [_num(lo), _num(hi)]}

    arrays = {k: {m: np.concatenate(v[m]) for m in metrics} for k, v in draws.items()}
    out = {k: {m: summary(point_[k][m][0], arrays[k][m]) for m in metrics} for k in preds}
    out["improvement"] = {
        m: summary(point_["model"][m][0] - point_["baseline"][m][0], arrays["model"][m] - arrays["baseline"][m])
        for m in metrics
    }
    return out


def per_class(y, pred) -> dict[str, dict]:
    """Precision, recall, F1 and support per true class."""
    y, pred = np.asarray(y, dtype=object).astype(str), np.asarray(pred, dtype=object).astype(str)
    out = {}
    for c in sorted(set(y)):
        tp = float(((y == c) & (pred == c)).sum())
        npred, ntrue = float((pred == c).sum()), float((y == c).sum())
        p = tp / npred if npred else 0.0
        r = tp / ntrue if ntrue else 0.0
        out[c] = {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "support": int(ntrue),
        }
    return out


__all__ = ["CLASS_METRICS", "INTENT_METRICS", "OOS", "bootstrap", "per_class", "point"]
