"""The no-magic gate: a model is promoted only if it is surely better than its naive baseline.

"Surely" means the lower bound of the 95 % bootstrap interval of the improvement in the primary
metric is above zero. Otherwise the verdict is ``"not better than baseline"``, the words say so
plainly, and the baseline is what scores.
"""

from __future__ import annotations

from dataclasses import dataclass

from nomagic.lifecycle.metrics import METRICS

PROMOTED = "promoted"
NOT_BETTER = "not better than baseline"
NOT_READY = "not ready"

_NAMES = {
    "roc_auc": "ROC-AUC",
    "pr_auc": "PR-AUC",
    "brier": "Brier score",
    "ece": "calibration error",
    "lift_at_10": "lift in the top 10%",
    "gain_at_10": "gain in the top 10%",
    "lift_at_20": "lift in the top 20%",
    "gain_at_20": "gain in the top 20%",
    "profit_at_10": "profit per 1,000 customers",
    "holdout_mae": "MAE",
    "holdout_corr": "correlation",
    "ndcg@10": "NDCG@10",
    "recall@10": "Recall@10",
    "open_rate": "open rate",
    "click_rate": "click rate",
    "qini_auc": "Qini AUC",
    "uplift_auc": "uplift AUC",
    "value_dr": "policy value (doubly robust)",
    "holdout_mape": "MAPE",
    "holdout_r2": "holdout R²",
    "macro_f1": "macro-F1",
    "accuracy": "accuracy",
    "in_scope_accuracy": "in-scope accuracy",
    "oos_recall": "out-of-scope recall",
}


def metric_name(metric: str) -> str:
    """The metric as people call it."""
    return _NAMES.get(metric, metric)


@dataclass(frozen=True)
class GateResult:
    verdict: str
    explanation: str

    @property
    def promoted(self) -> bool:
        return self.verdict == PROMOTED


def _f(x, metric: str) -> str:
    if x is None:
        return "n/a"
    if metric == "profit_at_10":
        return f"{x:,.0f}"
    return f"{x:.3f}"


def gate(
    metrics: dict,
    primary: str,
    *,
    model_words: str = "the model",
    baseline_words: str = "the baseline",
    compared_on: str = "",
) -> GateResult:
    """Verdict and plain explanation from ``{"model", "baseline", "improvement"}`` metrics.

    Examples
    --------
    >>> m = {"model": {"roc_auc": {"value": .85, "ci": [.84, .86]}},
    ...      "baseline": {"roc_auc": {"value": .74, "ci": [.73, .75]}},
    ...      "improvement": {"roc_auc": {"value": .11, "ci": [.10, .12]}}}
    >>> gate(m, "roc_auc").verdict
    'promoted'
    """
    mod = metrics["model"][primary]
    base = metrics["baseline"][primary]
    imp = metrics["improvement"][primary]
    lo, hi = imp["ci"]
    name = metric_name(primary)
    better = "higher" if METRICS[primary].higher_is_better else "lower"
    where = f" on {compared_on}" if compared_on else ""
    head = (
        f"Compared{where}: {model_words} reaches {name} {_f(mod['value'], primary)} "
        f"(95% CI {_f(mod['ci'][0], primary)}-{_f(mod['ci'][1], primary)}), {baseline_words} "
        f"{_f(base['value'], primary)} (95% CI {_f(base['ci'][0], primary)}-{_f(base['ci'][1], primary)}; "
        f"{better} is better)."
    )
    if lo is not None and lo > 0:
        return GateResult(
            PROMOTED,
            f"{head} The model is better by {_f(imp['value'], primary)} "
            f"(95% CI {_f(lo, primary)} to {_f(hi, primary)}), so it is promoted.",
        )
    if hi is not None and hi < 0:
        tail = (
            f"The model is worse than the baseline by {_f(-imp['value'], primary)} "
            f"(95% CI {_f(-hi, primary)} to {_f(-lo, primary)}). Use the baseline; the model is not promoted."
        )
    else:
        tail = (
            f"The model is not clearly better: its improvement of {_f(imp['value'], primary)} could be "
            f"zero or less (95% CI {_f(lo, primary)} to {_f(hi, primary)}). The simple baseline is as good "
            "as far as this data can tell, so the baseline scores; the model is not promoted."
        )
    return GateResult(NOT_BETTER, f"{head} {tail}")
