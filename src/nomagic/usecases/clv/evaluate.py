"""Judge the CLV models on a calibration / holdout split by time, against a naive baseline.

The split: the models learn from the orders up to the calibration end and predict, for every
customer known by then, the number of purchase days in the holdout period (calibration end to
observation end). The baseline is what a marketer would do without a model: **each customer
repeats their past rate**, ``frequency / T`` purchases per time unit, scaled to the holdout length.

Metrics, per customer (model and baseline, paired bootstrap 95% intervals over customers, and the
improvement, oriented so that positive means "the model is better"):

* ``holdout_mae``: mean absolute difference between predicted and actual holdout purchases (primary);
* ``holdout_corr``: Pearson correlation of predicted and actual holdout purchases;
* ``holdout_rmse``: root mean squared difference;
* ``holdout_total_error``: summed prediction minus the actual total, as a share of the actual total
  (the improvement compares absolute errors).

The verdict follows the no-magic gate: *promoted* only when the lower end of the interval of the
improvement in the primary metric is above zero.

The model: ``model="auto"`` (the default) chooses among BG/NBD, MBG/NBD and Pareto/NBD by a
validation cut **inside** the calibration period (:mod:`.choice`; the holdout is never looked at) and
refits the chosen one on the whole calibration period; ``"bgnbd"``, ``"mbgnbd"`` or ``"pareto_nbd"``
force one. The record says which model was chosen and why (``model_choice``), and ``params`` holds the
chosen model's parameters under their usual names (r, alpha, a, b; or r, alpha, s, beta), the spend
model's (p, q, v), and the other models' under their names.

Also reported: the same numbers by frequency bucket, the other two models as alternatives, the
Gamma-Gamma assumption check (spend must not depend on frequency: a correlation above 0.3 is a
warning) with the spend model's own holdout check, and the curves for the report
(``curves``: the probability-alive / expected-purchases matrix over frequency x recency, the
cohort curves and the tracking curve; see :mod:`.curves`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nomagic.errors import NotReadyError
from nomagic.lifecycle.gate import NOT_BETTER, NOT_READY, PROMOTED
from nomagic.lifecycle.record import fingerprint_frame, make_record
from nomagic.usecases.clv.choice import AUTO, choose_by_likelihood, choose_model
from nomagic.usecases.clv.curves import cohort_curves, frequency_recency_matrix
from nomagic.usecases.clv.data import TIME_UNITS, parse_times, summary_data
from nomagic.usecases.clv.models import BetaGeoModel, GammaGammaModel, ModifiedBetaGeoModel, ParetoNBDModel
from nomagic.words import Text, number, say

__all__ = [
    "METRICS",
    "MODEL_CHOICES",
    "ClvEvaluation",
    "add_curves",
    "PastRateBaseline",
    "bootstrap_metrics",
    "evaluate",
    "evaluate_summary",
    "not_ready_record",
    "spend_frequency_correlation",
    "tracking_curve",
]

Progress = Callable[[float, str], None]

#: name -> (higher is better, plain description)
METRICS: dict[str, tuple[bool, str]] = {
    "holdout_mae": (
        False,
        say(
            "mean absolute error of holdout purchases per customer",
            "mittlerer absoluter Fehler der Käufe im Testzeitraum pro Kunde",
        ),
    ),
    "holdout_corr": (
        True,
        say(
            "correlation of predicted and actual holdout purchases per customer",
            "Korrelation von vorhergesagten und tatsächlichen Käufen im Testzeitraum pro Kunde",
        ),
    ),
    "holdout_rmse": (
        False,
        say(
            "root mean squared error of holdout purchases per customer",
            "Wurzel des mittleren quadratischen Fehlers der Käufe im Testzeitraum pro Kunde",
        ),
    ),
    "holdout_total_error": (
        False,
        say(
            "summed prediction minus actual total, share of the actual total (closer to 0 is better)",
            "Summe der Vorhersagen minus tatsächliche Summe, als Anteil der tatsächlichen Summe (näher an 0 ist besser)",
        ),
    ),
}
PRIMARY = "holdout_mae"
GG_CORR_WARN = 0.3
BUCKETS = (0, 1, 2, 3, 4, 5, 6, 7)
MODELS = {"bgnbd": BetaGeoModel, "mbgnbd": ModifiedBetaGeoModel, "pareto_nbd": ParetoNBDModel}
MODEL_WORDS = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "pareto_nbd": "Pareto/NBD"}
#: what ``model=`` accepts: ``auto`` (choose without the holdout) or one model by name
MODEL_CHOICES = (AUTO, *MODELS)
UNIT_WORDS = {"weeks": say("weeks", "Wochen"), "days": say("days", "Tage")}


def unknown_model(model) -> str:
    """The error for a model name that is not one of :data:`MODEL_CHOICES`."""
    return say(
        "unknown model {m!r}; choose one of {known}",
        "unbekanntes Modell {m!r}; eines von {known} wählen",
        m=str(model),
        known=", ".join(MODEL_CHOICES),
    )


def message(exc: BaseException):
    """An exception's or a warning's message, a Text where it was raised with one (so it keeps its German)."""
    args = getattr(exc, "args", ())
    return args[0] if len(args) == 1 and isinstance(args[0], str) else str(exc)


class PastRateBaseline:
    """The naive rule: each customer keeps buying at their past repeat rate ``frequency / T``.

    Customers observed for no time at all (``T`` = 0) get 0.
    """

    def fit(self, frequency=None, recency=None, T=None, weights=None) -> PastRateBaseline:
        self.fitted_ = True
        return self

    def conditional_expected_purchases(self, t, frequency, recency, T) -> np.ndarray:
        x = np.asarray(frequency, dtype=float)
        TT = np.asarray(T, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(TT > 0, x / np.where(TT > 0, TT, 1.0), 0.0)
        return rate * np.asarray(t, dtype=float)

    def describe(self) -> str:
        return say(
            "each customer repeats their past rate (repeat purchases / time since the first purchase)",
            "jeder Kunde kauft weiter in seiner bisherigen Rate (Wiederkäufe / Zeit seit dem ersten Kauf)",
        )

    def to_dict(self) -> dict:
        """What the registry stores: the rule has no parameters."""
        return {"kind": "past rate", "description": self.describe()}


# --------------------------------------------------------------------------- metrics


def _weighted(y: np.ndarray, p: np.ndarray, W: np.ndarray) -> dict[str, np.ndarray]:
    """Each metric for each row of the weight matrix W (resamples x customers)."""
    ws = W.sum(axis=1)
    err = p - y
    mae = W @ np.abs(err) / ws
    rmse = np.sqrt(W @ (err**2) / ws)
    sy, sp = W @ y, W @ p
    my, mp = sy / ws, sp / ws
    cov = W @ (p * y) / ws - mp * my
    vp = W @ (p * p) / ws - mp**2
    vy = W @ (y * y) / ws - my**2
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.sqrt(np.maximum(vp, 0) * np.maximum(vy, 0))
        total = (sp - sy) / sy
    return {"holdout_mae": mae, "holdout_corr": corr, "holdout_rmse": rmse, "holdout_total_error": total}


def point_metrics(actual, predicted) -> dict[str, float]:
    """The metrics of one prediction (no interval)."""
    y = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)
    res = _weighted(y, p, np.ones((1, y.size)))
    return {k: float(v[0]) for k, v in res.items()}


def _num(x) -> float | None:
    x = float(x)
    return round(x, 6) if np.isfinite(x) else None


def bootstrap_metrics(actual, model, baseline, *, n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> dict:
    """Point values and paired percentile-bootstrap intervals (resampling customers) for the model,
    the baseline and the improvement (positive = model better; for the total error: the reduction of
    its absolute value)."""
    y = np.asarray(actual, dtype=float)
    pm = np.asarray(model, dtype=float)
    pb = np.asarray(baseline, dtype=float)
    n = y.size
    point = {"model": _weighted(y, pm, np.ones((1, n))), "baseline": _weighted(y, pb, np.ones((1, n)))}
    draws: dict[str, dict[str, list]] = {"model": {m: [] for m in METRICS}, "baseline": {m: [] for m in METRICS}}
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_boot, int(2e6 // max(n, 1))))
    done = 0
    while done < n_boot:
        size = min(chunk, n_boot - done)
        W = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(size)]).astype(float)
        for k, p in (("model", pm), ("baseline", pb)):
            res = _weighted(y, p, W)
            for m in METRICS:
                draws[k][m].append(res[m])
        done += size
    a = (1 - level) / 2
    arrays = {k: {m: np.concatenate(v[m]) for m in METRICS} for k, v in draws.items()}

    def summary(value, sample):
        sample = sample[np.isfinite(sample)]
        if sample.size == 0 or not np.isfinite(value):
            return {"value": _num(value), "ci": [None, None]}
        lo, hi = np.quantile(sample, [a, 1 - a])
        return {"value": _num(value), "ci": [_num(lo), _num(hi)]}

    out: dict[str, dict] = {}
    for k in ("model", "baseline"):
        out[k] = {m: summary(point[k][m][0], arrays[k][m]) for m in METRICS}
    out["improvement"] = {}
    for m, (higher, _) in METRICS.items():
        if m == "holdout_total_error":
            diff = np.abs(arrays["baseline"][m]) - np.abs(arrays["model"][m])
            value = abs(point["baseline"][m][0]) - abs(point["model"][m][0])
        else:
            sign = 1.0 if higher else -1.0
            diff = sign * (arrays["model"][m] - arrays["baseline"][m])
            value = sign * (point["model"][m][0] - point["baseline"][m][0])
        out["improvement"][m] = summary(value, diff)
    return out


def by_frequency(frequency, actual, model, baseline) -> pd.DataFrame:
    """Mean actual and predicted holdout purchases and MAE per calibration-frequency bucket (0..6, 7+)."""
    x = np.asarray(frequency, dtype=float)
    bucket = np.minimum(x, BUCKETS[-1]).astype(int)
    df = pd.DataFrame({"bucket": bucket, "actual": actual, "model": model, "baseline": baseline})
    df["model_abs_error"] = (df["model"] - df["actual"]).abs()
    df["baseline_abs_error"] = (df["baseline"] - df["actual"]).abs()
    g = df.groupby("bucket")
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "actual_mean": g["actual"].mean(),
            "model_mean": g["model"].mean(),
            "baseline_mean": g["baseline"].mean(),
            "model_mae": g["model_abs_error"].mean(),
            "baseline_mae": g["baseline_abs_error"].mean(),
        }
    )
    out.index = [f"{b}+" if b == BUCKETS[-1] else str(b) for b in out.index]
    out.index.name = "frequency"
    return out


def spend_frequency_correlation(frequency, monetary_value) -> float:
    """Pearson correlation of repeat frequency and mean spend among customers with repeat spend.

    The Gamma-Gamma model assumes it is about zero; above ~0.3 its spend predictions are biased.
    """
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    keep = (x > 0) & (m > 0) & np.isfinite(m)
    if keep.sum() < 3 or np.std(x[keep]) == 0 or np.std(m[keep]) == 0:
        return float("nan")
    return float(np.corrcoef(x[keep], m[keep])[0, 1])


# --------------------------------------------------------------------------- the evaluation


@dataclass
class ClvEvaluation:
    """The evaluation record plus what produced it."""

    record: dict
    customers: pd.DataFrame = field(default_factory=pd.DataFrame)  # summary + predictions per customer
    by_frequency: pd.DataFrame = field(default_factory=pd.DataFrame)
    models: dict = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return self.record["verdict"]


def _params(models: dict, chosen: str) -> dict:
    """The chosen model's parameters at the top (r, alpha, a, b or r, alpha, s, beta), the spend model's
    (p, q, v), the other purchase models' under their names, and every model's standard errors."""
    out: dict = {k: round(v, 6) for k, v in models[chosen].params_.items()}
    gg = models.get("gamma_gamma")
    if gg is not None:
        out.update({k: round(v, 6) for k, v in gg.params_.items()})
    for name in MODELS:
        m = models.get(name)
        if m is not None and name != chosen:
            out[name] = {k: round(v, 6) for k, v in m.params_.items()}
    out["standard_errors"] = {
        name: {k: _num(v) for k, v in m.standard_errors_.items()} for name, m in models.items() if m is not None
    }
    return out


def _f(x, pct: bool = False) -> Text:
    """A number as the explanation writes it, in both languages ("n/a" for a missing one)."""
    if x is None:
        return say("n/a", "k. A.")
    spec = "+.1%" if pct else ".3f"
    return Text(number(x, spec), number(x, spec, "de"))


def _neg(x):
    return None if x is None else -x


def _explain(metrics: dict, n: int, split: dict, model_words: str, verdict: str) -> Text:
    mod, base, imp = (metrics[k][PRIMARY] for k in ("model", "baseline", "improvement"))
    corr = {k: metrics[k]["holdout_corr"] for k in ("model", "baseline")}
    tot = {k: metrics[k]["holdout_total_error"]["value"] for k in ("model", "baseline")}
    head = say(
        "Compared on {n:,} customers known on {cal}, predicting their purchase days from {start} to {end} "
        "({length:.4g} {unit}): {model} is off by {m} purchases per customer on average (95% CI {mlo}-{mhi}), the "
        "past-rate baseline by {b} (95% CI {blo}-{bhi}; lower is better).",
        "Verglichen an {n:,} Kunden, die am {cal} bekannt waren, mit Vorhersage ihrer Kauftage vom {start} bis {end} "
        "({length:.4g} {unit}): {model} liegt im Mittel um {m} Käufe pro Kunde daneben (95-%-KI {mlo} bis {mhi}), "
        "die Baseline der bisherigen Kaufrate um {b} (95-%-KI {blo} bis {bhi}; niedriger ist besser).",
        n=n,
        cal=pd.Timestamp(split["calibration_end"]),
        start=pd.Timestamp(split["holdout_start"]),
        end=pd.Timestamp(split["observation_end"]),
        length=float(split["holdout_length"]),
        unit=UNIT_WORDS.get(split["time_unit"], split["time_unit"]),
        model=model_words,
        m=_f(mod["value"]),
        mlo=_f(mod["ci"][0]),
        mhi=_f(mod["ci"][1]),
        b=_f(base["value"]),
        blo=_f(base["ci"][0]),
        bhi=_f(base["ci"][1]),
    )
    lo, hi = imp["ci"]
    if verdict == PROMOTED:
        tail = say(
            " The model is better by {imp} purchases per customer (95% CI {lo} to {hi}), so it is promoted.",
            " Das Modell ist um {imp} Käufe pro Kunde besser (95-%-KI {lo} bis {hi}) und wird daher übernommen.",
            imp=_f(imp["value"]),
            lo=_f(lo),
            hi=_f(hi),
        )
    elif hi is not None and hi < 0:
        tail = say(
            " The model is worse than the baseline by {imp} (95% CI {lo} to {hi}); use the baseline, the model is not "
            "promoted.",
            " Das Modell ist um {imp} schlechter als die Baseline (95-%-KI {lo} bis {hi}); die Baseline verwenden, das "
            "Modell wird nicht übernommen.",
            imp=_f(_neg(imp["value"])),
            lo=_f(_neg(hi)),
            hi=_f(_neg(lo)),
        )
    else:
        tail = say(
            " The model is not clearly better: its improvement of {imp} could be zero or less (95% CI {lo} to {hi}), "
            "so it is not promoted.",
            " Das Modell ist nicht eindeutig besser: seine Verbesserung um {imp} könnte null oder kleiner sein "
            "(95-%-KI {lo} bis {hi}), daher wird es nicht übernommen.",
            imp=_f(imp["value"]),
            lo=_f(lo),
            hi=_f(hi),
        )
    extra = say(
        " Correlation with the actual purchases: {cm} for the model, {cb} for the baseline. Summed over all customers "
        "the model predicts {tm} against the actual total, the baseline {tb}.",
        " Korrelation mit den tatsächlichen Käufen: {cm} beim Modell, {cb} bei der Baseline. Über alle Kunden "
        "summiert sagt das Modell {tm} gegenüber der tatsächlichen Summe vorher, die Baseline {tb}.",
        cm=_f(corr["model"]["value"]),
        cb=_f(corr["baseline"]["value"]),
        tm=_f(tot["model"], True),
        tb=_f(tot["baseline"], True),
    )
    return head + tail + extra


def _fitting(model_words: str) -> Text:
    return say("fitting {m}", "{m} wird angepasst", m=model_words)


def asked_for(model_words: str, model: str) -> Text:
    """The model choice's reason when the user named the model."""
    return say(
        "{words} was asked for (model={m!r}).", "{words} wurde verlangt (model={m!r}).", words=model_words, m=model
    )


def evaluate_summary(
    summary: pd.DataFrame,
    *,
    model: str = AUTO,
    alternatives: bool = True,
    choice: dict | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    data: dict | None = None,
    penalizer: float = 0.0,
    progress: Progress | None = None,
) -> ClvEvaluation:
    """Evaluate on a :func:`summary_data` frame that has holdout columns.

    ``model="auto"`` uses ``choice`` (from :func:`~nomagic.usecases.clv.choice.choose_model`, which needs the
    transactions: :func:`evaluate` passes it); without it, the summary alone allows only the likelihood
    choice (all three models fitted on the calibration data, the highest log-likelihood wins).
    """
    tick = progress or (lambda f, m: None)
    if "frequency_holdout" not in summary.columns:
        raise NotReadyError(
            say(
                "the summary has no holdout columns: give an observation end after the calibration end",
                "die Zusammenfassung hat keine Spalten für den Testzeitraum: ein Beobachtungsende nach dem "
                "Kalibrierungsende angeben",
            )
        )
    if model not in MODEL_CHOICES:
        raise NotReadyError(unknown_model(model))
    requested = model
    if model == AUTO and choice is not None:
        model = choice["chosen"]
    elif model == AUTO:
        alternatives = True  # the likelihood choice needs every model fitted
    attrs = summary.attrs
    length = float(attrs["holdout_length"])
    x = summary["frequency"].to_numpy(float)
    tx = summary["recency"].to_numpy(float)
    TT = summary["T"].to_numpy(float)
    actual = summary["frequency_holdout"].to_numpy(float)
    notes = list(attrs.get("warnings", []))
    models: dict = {}
    preds: dict[str, np.ndarray] = {}
    if model == AUTO:
        names = list(MODELS)
    else:
        names = [model] + ([m for m in MODELS if m != model] if alternatives else [])
    for i, name in enumerate(names):
        tick(0.1 + 0.5 * i / len(names), _fitting(MODEL_WORDS[name]))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m = MODELS[name](penalizer=penalizer).fit(x, tx, TT)
        for w in caught:
            notes.append(MODEL_WORDS[name] + ": " + message(w.message))
        models[name] = m
        preds[name] = m.conditional_expected_purchases(length, x, tx, TT)
    if model == AUTO:
        choice = choose_by_likelihood(
            {k: models[k] for k in MODELS},
            say(
                "Only the per-customer summary was given (no transactions to cut a validation period from), so",
                "Nur die Zusammenfassung pro Kunde lag vor (keine Transaktionen, aus denen sich ein "
                "Validierungszeitraum schneiden ließe), daher:",
            ),
        )
        model = choice["chosen"]
        names = [model] + [m for m in names if m != model]
    if choice is None:
        choice = {
            "chosen": model,
            "method": "asked for",
            "reason": asked_for(MODEL_WORDS[model], model),
        }
    choice = {**choice, "requested": requested}
    base = PastRateBaseline().fit(x, tx, TT).conditional_expected_purchases(length, x, tx, TT)
    tick(0.65, say("bootstrap intervals", "Bootstrap-Intervalle"))
    metrics = bootstrap_metrics(actual, preds[model], base, n_boot=n_boot, seed=seed)
    # spend
    gg = None
    spend: dict = {}
    if "monetary_value" in summary.columns and (summary["spend_days"] > 0).sum() >= 10:
        tick(0.85, _fitting("Gamma-Gamma"))
        xs = summary["spend_days"].to_numpy(float)
        mv = summary["monetary_value"].to_numpy(float)
        corr = spend_frequency_correlation(xs, mv)
        spend["spend_frequency_corr"] = _num(corr)
        spend["customers"] = int(((xs > 0) & (mv > 0)).sum())
        if np.isfinite(corr) and abs(corr) > GG_CORR_WARN:
            notes.append(
                say(
                    "spend per purchase and purchase frequency are correlated ({corr:.2f}): the Gamma-Gamma model "
                    "assumes they are independent, so its spend predictions are biased for frequent (or rare) buyers",
                    "Ausgaben pro Kauf und Kaufhäufigkeit sind korreliert ({corr:.2f}): das Gamma-Gamma-Modell nimmt "
                    "an, dass sie unabhängig sind, seine Ausgabenvorhersagen sind also für häufige (oder seltene) "
                    "Käufer verzerrt",
                    corr=corr,
                )
            )
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                gg = GammaGammaModel(penalizer=penalizer).fit(xs, mv)
            for w in caught:
                notes.append("Gamma-Gamma: " + message(w.message))
            models["gamma_gamma"] = gg
            hold_mv = summary["monetary_value_holdout"].to_numpy(float)
            both = (mv > 0) & (hold_mv > 0)
            if both.sum() >= 10:
                pred_spend = gg.conditional_expected_spend(xs, mv)[both]
                spend["holdout_customers"] = int(both.sum())
                spend["model_mae"] = _num(np.mean(np.abs(pred_spend - hold_mv[both])))
                spend["baseline_mae"] = _num(np.mean(np.abs(mv[both] - hold_mv[both])))
                spend["baseline"] = say(
                    "each customer's own mean spend per repeat purchase in the calibration period",
                    "die eigenen mittleren Ausgaben jedes Kunden pro Wiederkauf im Kalibrierungszeitraum",
                )
        except NotReadyError as exc:
            notes.append(say("Gamma-Gamma not fitted: {why}", "Gamma-Gamma nicht angepasst: {why}", why=message(exc)))
    elif "monetary_value" in summary.columns:
        notes.append(
            say(
                "fewer than 10 customers with repeat spend: the spend model was not fitted",
                "weniger als 10 Kunden mit Ausgaben bei Wiederkäufen: das Ausgabenmodell wurde nicht angepasst",
            )
        )
    imp = metrics["improvement"][PRIMARY]
    verdict = PROMOTED if imp["ci"][0] is not None and imp["ci"][0] > 0 else NOT_BETTER
    cal_end = attrs["calibration_end"]
    split = {
        "kind": "calibration-holdout",
        "calibration_end": cal_end,
        "holdout_start": (pd.Timestamp(cal_end) + pd.Timedelta(days=1)).date().isoformat(),
        "observation_end": attrs["observation_end"],
        "time_unit": attrs["time_unit"],
        "holdout_length": length,
        "first_order": attrs.get("first_order"),
        "customers": int(len(summary)),
        "bootstrap": {"resamples": n_boot, "seed": seed, "unit": "customer"},
    }
    table = by_frequency(x, actual, preds[model], base)
    alt = {name: {k: _num(v) for k, v in point_metrics(actual, preds[name]).items()} for name in names if name != model}
    explanation = _explain(metrics, len(summary), split, MODEL_WORDS[model], verdict) + " " + choice["reason"]
    record = make_record(
        use_case="clv",
        data=data
        or {
            "source": None,
            "fingerprint": fingerprint_frame(summary.reset_index()[["frequency", "recency", "T"]]),
            "rows": int(attrs.get("n_orders", len(summary))),
        },
        split=split,
        primary_metric=PRIMARY,
        metrics=metrics,
        verdict=verdict,
        explanation=explanation,
        params=_params(models, model),
        model={"kind": MODEL_WORDS[model], "name": model, "requested": requested, "fit": models[model].to_dict()},
        model_choice=choice,
        baseline={"kind": "past rate", "description": PastRateBaseline().describe()},
        by_frequency=table.reset_index().round(6).to_dict("records"),
        alternatives=alt or None,
        spend=spend or None,
        data_notes={
            k: attrs.get(k)
            for k in (
                "n_orders",
                "n_days",
                "zero_value_orders",
                "repeated_customer_days",
                "new_in_holdout",
                "single_purchase_customers",
                "repeat_buyers",
            )
        },
        warnings=notes or None,
        curves={
            "matrix": frequency_recency_matrix(models[model], x, TT, horizon=length)
            | {"time_unit": attrs["time_unit"], "model": MODEL_WORDS[model]}
        },
    )
    customers = summary.copy()
    customers["predicted_holdout"] = preds[model]
    customers["baseline_holdout"] = base
    customers["p_alive"] = models[model].probability_alive(x, tx, TT)
    tick(1.0, say("done", "fertig"))
    return ClvEvaluation(record=record, customers=customers, by_frequency=table, models=models)


def evaluate(
    transactions: pd.DataFrame,
    id: str,
    time: str,
    value: str | None,
    calibration_end,
    observation_end=None,
    time_unit: str = "weeks",
    *,
    model: str = AUTO,
    alternatives: bool = True,
    n_boot: int = 1000,
    seed: int = 0,
    source: str | None = None,
    fingerprint: str | None = None,
    today=None,
    penalizer: float = 0.0,
    progress: Progress | None = None,
) -> ClvEvaluation:
    """Calibration / holdout evaluation of a transaction table (see the module docstring).

    ``observation_end`` defaults to the last order day. Data too thin to judge gives a record with the
    verdict *not ready* and the reason, rather than an error.
    """
    tick = progress or (lambda f, m: None)
    tick(0.0, say("summarising orders per customer", "Bestellungen pro Kunde werden zusammengefasst"))
    if observation_end is None and len(transactions):
        observation_end = (
            parse_times(transactions[time], time, source).max().normalize() if time in transactions.columns else None
        )
    data = {"source": source, "fingerprint": fingerprint, "rows": int(len(transactions))}
    try:
        summary = summary_data(
            transactions, id, time, value, calibration_end, observation_end, time_unit, source=source, today=today
        )
    except NotReadyError as exc:
        return ClvEvaluation(record=not_ready_record(message(exc), data))
    if data["fingerprint"] is None:
        data["fingerprint"] = fingerprint_frame(summary.reset_index()[["frequency", "recency", "T"]])
    data["customers"] = int(len(summary))
    try:
        choice = None
        if model == AUTO:
            tick(
                0.05,
                say(
                    "choosing the model inside the calibration period",
                    "das Modell wird im Kalibrierungszeitraum gewählt",
                ),
            )
            choice = _choose(transactions, id, time, summary, penalizer, source, today)
        ev = evaluate_summary(
            summary,
            model=model,
            alternatives=alternatives,
            choice=choice,
            n_boot=n_boot,
            seed=seed,
            data=data,
            penalizer=penalizer,
            progress=tick,
        )
    except NotReadyError as exc:
        return ClvEvaluation(record=not_ready_record(message(exc), data))
    add_curves(ev, transactions, id, time, summary)
    return ev


def _choose(transactions, id, time, summary, penalizer, source=None, today=None) -> dict | None:
    """The validation choice, or None (then the likelihood decides) when no cut is possible."""
    try:
        return choose_model(
            transactions,
            id,
            time,
            summary.attrs["calibration_end"],
            summary.attrs["time_unit"],
            penalizer=penalizer,
            source=source,
            today=today,
        )
    except NotReadyError:
        return None


def add_curves(ev: ClvEvaluation, transactions: pd.DataFrame, id: str, time: str, summary: pd.DataFrame) -> None:
    """Add the tracking and cohort curves of the evaluated model to the record (``record["curves"]``)."""
    model = ev.models[ev.record["model"]["name"]]
    curves = ev.record.setdefault("curves", {})
    curves["tracking"] = tracking_curve(transactions, id, time, summary, model)
    days = pd.DataFrame({"id": transactions[id].to_numpy(), "day": parse_times(transactions[time], time)})
    curves["cohorts"] = cohort_curves(days, "id", "day", summary, model) | {"model": ev.record["model"]["kind"]}


def tracking_curve(transactions: pd.DataFrame, id: str, time: str, summary: pd.DataFrame, model) -> dict:
    """Cumulative repeat purchases of the calibration customers, week by week over calibration and holdout:
    actual, and expected by the model (each customer's unconditional expectation since their first purchase).

    The classic tracking plot: the two lines should run together in the calibration period, and the
    gap after the calibration end is the model's forecast error for the whole cohort.
    """
    unit = TIME_UNITS[summary.attrs["time_unit"]]
    cal_end = pd.Timestamp(summary.attrs["calibration_end"])
    end = pd.Timestamp(summary.attrs["observation_end"] or cal_end)
    first = pd.to_datetime(summary["first_purchase"])
    start = first.min()
    grid = pd.date_range(start + pd.Timedelta(days=7), end, freq="7D")
    if len(grid) == 0 or grid[-1] != end:
        grid = grid.append(pd.DatetimeIndex([end]))
    days = pd.DataFrame(
        {"id": transactions[id].to_numpy(), "day": parse_times(transactions[time], time).dt.normalize().to_numpy()}
    )
    days = days[days["id"].isin(summary.index)].drop_duplicates()
    days = days[days["day"] > days["id"].map(first)]  # repeat purchase days only
    actual = np.searchsorted(np.sort(days["day"].to_numpy()), grid.to_numpy(), side="right")
    counts = first.value_counts()
    f_days, f_n = pd.DatetimeIndex(counts.index), counts.to_numpy(float)
    expected = []
    for g in grid:
        age = np.asarray((g - f_days).days, dtype=float) / unit
        ok = age > 0
        expected.append(float(np.dot(f_n[ok], model.expected_purchases(age[ok]))) if ok.any() else 0.0)
    return {
        "date": [d.date().isoformat() for d in grid],
        "actual": [int(a) for a in actual],
        "model": [round(e, 2) for e in expected],
        "calibration_end": cal_end.date().isoformat(),
        "what": say(
            "cumulative repeat purchase days of the customers known at the calibration end",
            "kumulierte Wiederkaufstage der am Kalibrierungsende bekannten Kunden",
        ),
    }


def not_ready_record(reason: str, data: dict | None = None) -> dict:
    """A record with the verdict *not ready* and the reason in plain words (a Text keeps its German)."""
    return make_record(
        use_case="clv",
        data=data or {},
        split={"kind": "calibration-holdout"},
        primary_metric=PRIMARY,
        metrics={},
        verdict=NOT_READY,
        explanation=say("Not evaluated: {why}", "Nicht bewertet: {why}", why=reason),
    )
