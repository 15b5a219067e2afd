"""The no-magic gate: a model is promoted only if it is surely better than its naive baseline.

"Surely" means the lower bound of the 95 % bootstrap interval of the improvement in the primary
metric is above zero. Otherwise the verdict is ``"not better than baseline"``, the words say so
plainly, and the baseline is what scores.
"""

from __future__ import annotations

from dataclasses import dataclass

from nomagic.lifecycle.metrics import METRICS
from nomagic.words import Text, say

PROMOTED = "promoted"
NOT_BETTER = "not better than baseline"
NOT_READY = "not ready"

#: each metric as people call it, in English and German
_NAMES = {
    "roc_auc": ("ROC-AUC", "ROC-AUC"),
    "pr_auc": ("PR-AUC", "PR-AUC"),
    "brier": ("Brier score", "Brier-Score"),
    "ece": ("calibration error", "Kalibrierungsfehler"),
    "lift_at_10": ("lift in the top 10%", "Lift in den oberen 10 %"),
    "gain_at_10": ("gain in the top 10%", "Gain in den oberen 10 %"),
    "lift_at_20": ("lift in the top 20%", "Lift in den oberen 20 %"),
    "gain_at_20": ("gain in the top 20%", "Gain in den oberen 20 %"),
    "profit_at_10": ("profit per 1,000 customers", "Gewinn je 1.000 Kunden"),
    "holdout_mae": ("MAE", "MAE"),
    "holdout_corr": ("correlation", "Korrelation"),
    "ndcg@10": ("NDCG@10", "NDCG@10"),
    "recall@10": ("Recall@10", "Recall@10"),
    "open_rate": ("open rate", "Öffnungsrate"),
    "click_rate": ("click rate", "Klickrate"),
    "qini_auc": ("Qini AUC", "Qini-AUC"),
    "uplift_auc": ("uplift AUC", "Uplift-AUC"),
    "value_dr": ("policy value (doubly robust)", "Wert der Strategie (doubly robust)"),
    "holdout_mape": ("MAPE", "MAPE"),
    "holdout_r2": ("holdout R²", "R² im Testzeitraum"),
    "macro_f1": ("macro-F1", "Makro-F1"),
    "accuracy": ("accuracy", "Genauigkeit"),
    "in_scope_accuracy": ("in-scope accuracy", "Genauigkeit (im Themenbereich)"),
    "oos_recall": ("out-of-scope recall", "Recall außerhalb des Themenbereichs"),
    "clicks": ("clicks bought", "gekaufte Klicks"),
    "conversions": ("conversions bought", "gekaufte Konversionen"),
    "expected_clicks": ("expected clicks bought", "erwartete gekaufte Klicks"),
}


def metric_name(metric: str, lang: str = "en") -> str:
    """The metric as people call it (in ``lang``)."""
    en, de = _NAMES.get(metric, (metric, metric))
    return de if lang == "de" else en


def metric_text(metric: str) -> Text:
    """The metric's name in both languages."""
    en, de = _NAMES.get(metric, (metric, metric))
    return Text(en, de)


@dataclass(frozen=True)
class GateResult:
    verdict: str
    explanation: Text

    @property
    def promoted(self) -> bool:
        return self.verdict == PROMOTED


_COUNTS = {"clicks", "conversions", "expected_clicks"}  # sums of outcomes: one decimal, not three


class _Value(float):
    """A metric value that writes itself as the metric is written (profit in whole units, others to 3 places)."""

    def __new__(cls, x, metric: str):
        obj = super().__new__(cls, x)
        obj.spec = ",.0f" if metric == "profit_at_10" else ",.1f" if metric in _COUNTS else ".3f"
        return obj

    def __format__(self, spec):
        return format(float(self), spec or self.spec)


def _f(x, metric: str):
    return say("n/a", "k. A.") if x is None else _Value(x, metric)


def gate(
    metrics: dict,
    primary: str,
    *,
    model_words: str = Text("the model", "das Modell"),
    baseline_words: str = Text("the baseline", "die Baseline"),
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
    v = {
        "name": metric_text(primary),
        "model": model_words,
        "baseline": baseline_words,
        "m": _f(mod["value"], primary),
        "m_lo": _f(mod["ci"][0], primary),
        "m_hi": _f(mod["ci"][1], primary),
        "b": _f(base["value"], primary),
        "b_lo": _f(base["ci"][0], primary),
        "b_hi": _f(base["ci"][1], primary),
        "better": say("higher", "höher") if METRICS[primary].higher_is_better else say("lower", "niedriger"),
    }
    if compared_on:
        head = say(
            "Compared on {on}: {model} reaches {name} {m} (95% CI {m_lo}-{m_hi}), {baseline} {b} "
            "(95% CI {b_lo}-{b_hi}; {better} is better).",
            "Verglichen an {on}: {model} erreicht {name} {m} (95-%-KI {m_lo}–{m_hi}), {baseline} {b} "
            "(95-%-KI {b_lo}–{b_hi}; {better} ist besser).",
            on=compared_on,
            **v,
        )
    else:
        head = say(
            "Compared: {model} reaches {name} {m} (95% CI {m_lo}-{m_hi}), {baseline} {b} "
            "(95% CI {b_lo}-{b_hi}; {better} is better).",
            "Verglichen: {model} erreicht {name} {m} (95-%-KI {m_lo}–{m_hi}), {baseline} {b} "
            "(95-%-KI {b_lo}–{b_hi}; {better} ist besser).",
            **v,
        )
    d, d_lo, d_hi = _f(imp["value"], primary), _f(lo, primary), _f(hi, primary)
    if lo is not None and lo > 0:
        tail = say(
            "The model is better by {d} (95% CI {lo} to {hi}), so it is promoted.",
            "Das Modell ist um {d} besser (95-%-KI {lo} bis {hi}) und wird deshalb übernommen.",
            d=d,
            lo=d_lo,
            hi=d_hi,
        )
        return GateResult(PROMOTED, head + " " + tail)
    if hi is not None and hi < 0:
        tail = say(
            "The model is worse than the baseline by {d} (95% CI {lo} to {hi}). Use the baseline; the model is not "
            "promoted.",
            "Das Modell ist um {d} schlechter als die Baseline (95-%-KI {lo} bis {hi}). Nutzen Sie die Baseline; das "
            "Modell wird nicht übernommen.",
            d=_f(-imp["value"], primary),
            lo=_f(-hi, primary),
            hi=_f(-lo, primary),
        )
    else:
        tail = say(
            "The model is not clearly better: its improvement of {d} could be zero or less (95% CI {lo} to {hi}). "
            "The simple baseline is as good as far as this data can tell, so the baseline scores; the model is not "
            "promoted.",
            "Das Modell ist nicht klar besser: seine Verbesserung um {d} könnte null oder kleiner sein (95-%-KI {lo} "
            "bis {hi}). Soweit diese Daten es zeigen, ist die einfache Baseline ebenso gut; deshalb bewertet die "
            "Baseline, und das Modell wird nicht übernommen.",
            d=d,
            lo=d_lo,
            hi=d_hi,
        )
    return GateResult(NOT_BETTER, head + " " + tail)
