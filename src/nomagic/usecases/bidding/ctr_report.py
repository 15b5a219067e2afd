"""The click model's validation report: cross-fitted figures, bootstrap CIs, calibration deciles, the explanation.

Split from :mod:`nomagic.usecases.bidding.ctr`, which imports this module (never the other way).
Platt scaling lives here because the report cross-fits it as well as the fit calibrating with it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nomagic.lifecycle.metrics import bootstrap
from nomagic.lifecycle.models import sigmoid, single_blas
from nomagic.usecases.bidding.logs import CLICK, CONVERSION
from nomagic.words import Text, say

#: fewer positives than this on the later days: no calibration curve (it would be noise)
MIN_CALIBRATION = 20
#: the target in words, English and German
TARGET_WORDS = {CLICK: ("clicks", "Klicks"), CONVERSION: ("conversions", "Konversionen")}


def fit_platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """``sigmoid(a·z + b)`` fitted by maximum likelihood (Newton's method: two parameters, many rows).

    With fewer than :data:`MIN_CALIBRATION` positives (or negatives) the curve would be noise, and a
    slope of zero or less would flatten or turn the ranking around: then the model's own log-odds
    stay as they are (its weighted fit is calibrated on the training days).
    """
    z = np.asarray(z, dtype=float)
    if min(y.sum(), len(y) - y.sum()) < MIN_CALIBRATION:
        return 1.0, 0.0
    X = np.column_stack([z, np.ones_like(z)])
    theta = np.array([1.0, 0.0])
    for _ in range(50):
        p = sigmoid(X @ theta)
        grad = X.T @ (y - p)
        hess = (X * (p * (1 - p))[:, None]).T @ X + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        theta += step
        if np.abs(step).max() < 1e-8:
            break
    if not np.isfinite(theta).all() or theta[0] <= 0:
        return 1.0, 0.0
    return float(theta[0]), float(theta[1])


def validation_report(*, target, chosen, y, z, platt, aucs, params, split, counts, fallback, n_boot, seed) -> dict:
    """``ClickModel.report``: every candidate's figures, the chosen model against the baseline with paired
    bootstrap 95% CIs, calibration deciles and the explanation (see ``ctr.fit_click_model``)."""
    both = 0 < y.sum() < len(y)
    p = {name: _cross_fitted(zz, y) if both else sigmoid(zz) for name, zz in z.items()}
    candidates = {
        name: {
            "roc_auc": _round(aucs[name]),
            "log_loss": _round(_log_loss(y, p[name])),
            "params": params.get(name, {}),
        }
        for name in z
    }
    out = {
        "target": target,
        "chosen": chosen,
        "split": split,
        "rows": counts,
        "candidates": candidates,
        "choice_rule": say(
            "the simplest candidate whose validation ROC-AUC is within one standard error (DeLong) of the best",
            "der einfachste Kandidat, dessen Validierungs-ROC-AUC höchstens einen Standardfehler (DeLong) unter dem "
            "besten liegt",
        ),
        "calibration": {
            "method": "platt",
            "a": round(platt[chosen][0], 6),
            "b": round(platt[chosen][1], 6),
            "why": say(
                "Platt scaling, not isotonic regression: the later days hold few positives, and a bid multiplies "
                "the probability, so it must change smoothly",
                "Platt-Skalierung statt isotonischer Regression: die späteren Tage enthalten wenige Positive, und "
                "ein Gebot multipliziert die Wahrscheinlichkeit, sie muss sich also stetig ändern",
            ),
        },
        "fallback": fallback,
    }
    if not both:
        out["metrics"] = {}
        out["explanation"] = say(
            "the later days hold only one outcome: the model could not be judged on them",
            "die späteren Tage enthalten nur einen Ausgang: das Modell ließ sich dort nicht beurteilen",
        )
        return out
    with single_blas():
        boot = bootstrap(y, p[chosen], p["baseline"], metrics=("roc_auc", "brier"), n_boot=n_boot, seed=seed)
    for side, value in _log_loss_ci(y, p[chosen], p["baseline"], n_boot, seed).items():
        boot[side]["log_loss"] = value
    out["metrics"] = boot
    out["calibration_table"] = {"model": _deciles(y, p[chosen]), "baseline": _deciles(y, p["baseline"])}
    out["explanation"] = _explain(target, chosen, boot, split, counts, fallback)
    return out


def _cross_fitted(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Calibrated probabilities where each half of the validation rows (in time) is calibrated on the other."""
    half = np.arange(len(y)) >= len(y) // 2
    out = np.empty(len(y))
    for part in (half, ~half):
        a, b = fit_platt(z[~part], y[~part])
        out[part] = sigmoid(a * z[part] + b)
    return out


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _log_loss_ci(y, p_model, p_base, n_boot: int, seed: int) -> dict:
    """Log-loss of model and baseline with paired bootstrap 95% CIs (lifecycle.metrics has no log-loss).

    Poisson(1) weights per row: the same paired resamples as a multinomial bootstrap, cheaper to draw.
    """
    losses = {}
    for name, p in (("model", p_model), ("baseline", p_base)):
        q = np.clip(p, 1e-12, 1 - 1e-12)
        losses[name] = -(y * np.log(q) + (1 - y) * np.log(1 - q))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 20, 2]))
    draws = {"model": [], "baseline": []}
    chunk = max(1, int(4e6 // len(y)))
    for start in range(0, n_boot, chunk):
        W = rng.poisson(1.0, size=(min(chunk, n_boot - start), len(y))).astype(float)
        total = W.sum(axis=1)
        for name in draws:
            draws[name].append(W @ losses[name] / total)
    sample = {k: np.concatenate(v) for k, v in draws.items()}
    sample["improvement"] = sample["baseline"] - sample["model"]  # positive: the model is better
    point = {k: float(v.mean()) for k, v in losses.items()}
    point["improvement"] = point["baseline"] - point["model"]
    return {
        k: {"value": round(point[k], 6), "ci": [round(float(x), 6) for x in np.quantile(sample[k], [0.025, 0.975])]}
        for k in point
    }


def _deciles(y: np.ndarray, p: np.ndarray, groups: int = 10) -> list[dict]:
    """Calibration by deciles of the prediction (equal-width bins put every rare click rate in the first)."""
    order = np.argsort(p, kind="stable")
    rows = []
    for part in np.array_split(order, groups):
        if len(part):
            rows.append(
                {
                    "mean_predicted": round(float(p[part].mean()), 6),
                    "observed_rate": round(float(y[part].mean()), 6),
                    "count": len(part),
                    "positives": int(y[part].sum()),
                }
            )
    return rows


def _explain(target, chosen, boot, split, counts, fallback) -> Text:
    en_w, de_w = TARGET_WORDS.get(target, (target, target))
    auc = boot["model"]["roc_auc"]
    diff = boot["improvement"]["roc_auc"]
    base = boot["baseline"]["roc_auc"]["value"]
    head = say(
        "{name} chosen on the later days (from {start}, {n:,} impressions, {pos:,} {w}): ROC-AUC {auc:.3f} "
        "against the baseline's {base:.3f}",
        "{name} auf den späteren Tagen gewählt (ab {start}, {n:,} Impressionen, {pos:,} {wd}): ROC-AUC {auc:.3f} "
        "gegenüber {base:.3f} der Baseline",
        name=chosen,
        start=pd.Timestamp(split["validation_from"]),
        n=split["validation_rows"],
        pos=counts["validation_positives"],
        w=en_w,
        wd=de_w,
        auc=auc["value"],
        base=base,
    )
    if chosen != "baseline" and diff["ci"][0] is not None:
        head = head + say(
            " (difference {d:+.3f}, 95% CI {lo:+.3f} to {hi:+.3f})",
            " (Differenz {d:+.3f}, 95-%-KI {lo:+.3f} bis {hi:+.3f})",
            d=diff["value"],
            lo=diff["ci"][0],
            hi=diff["ci"][1],
        )
    head = head + say(
        "; probabilities calibrated on those days by Platt scaling. Those days also chose the model, so its "
        "figures there are slightly optimistic.",
        "; Wahrscheinlichkeiten auf diesen Tagen mit Platt-Skalierung kalibriert. Dieselben Tage haben auch das "
        "Modell gewählt, seine Werte dort sind also leicht optimistisch.",
    )
    return head + " " + fallback if fallback else head


def _round(x: float) -> float | None:
    return round(float(x), 6) if np.isfinite(x) else None


__all__ = ["MIN_CALIBRATION", "TARGET_WORDS", "fit_platt", "validation_report"]
