"""Choosing the purchase model (BG/NBD, MBG/NBD or Pareto/NBD) without looking at the holdout.

``--model auto`` (the default) runs a **validation inside the calibration period**:

* the calibration period (first order to calibration end) is cut at a fraction of its length; the
  three models learn from the orders before the cut and predict, for every customer known at the
  cut, the purchase days from the cut to the calibration end;
* two cuts, at **1/2** and **2/3** of the calibration period (rolling origin): the later half
  tests the long-horizon extrapolation where the three models differ most (how customers drop
  out), the later third matches the share of history the use case keeps as its own holdout;
* the model with the lowest **mean absolute error** (the use case's primary metric), averaged over
  the cuts, is chosen, and then refitted on the whole calibration period.

Nothing after the calibration end is read: the transactions are cut there before anything else.
When the calibration period is too short or too thin for a cut (fewer than
:data:`MIN_VALIDATION_DAYS` days to predict, or too few repeat buyers before the cut) the choice
falls back to the **likelihood**: the model with the highest log-likelihood on the calibration data
(all three have four parameters, so this is also the choice by AIC and BIC).

The result is a plain dict for the evaluation record (``model_choice``): the chosen model, the
method, the reason in words and the numbers behind it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from nomagic.errors import InputError, NotReadyError
from nomagic.usecases.clv.data import MIN_REPEAT_BUYERS, TIME_UNITS, parse_times, summary_data
from nomagic.usecases.clv.models import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel

__all__ = ["AUTO", "CANDIDATES", "FOLDS", "MIN_VALIDATION_DAYS", "choose_by_likelihood", "choose_model"]

AUTO = "auto"
CANDIDATES = {"bgnbd": BetaGeoModel, "mbgnbd": ModifiedBetaGeoModel, "pareto_nbd": ParetoNBDModel}
WORDS = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "pareto_nbd": "Pareto/NBD"}
#: where the calibration period is cut, as fractions of its length
FOLDS = (1 / 2, 2 / 3)
#: a cut needs at least this many days after it to predict
MIN_VALIDATION_DAYS = 28

Progress = Callable[[float, str], None]


def _mae(actual: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean(np.abs(pred - actual)))


def _corr(actual: np.ndarray, pred: np.ndarray) -> float | None:
    if np.std(actual) == 0 or np.std(pred) == 0:
        return None
    return float(np.corrcoef(actual, pred)[0, 1])


def choose_by_likelihood(fits: dict, why: str = "") -> dict:
    """The fitted model with the highest log-likelihood (all candidates have four parameters)."""
    ll = {k: m.log_likelihood_ for k, m in fits.items() if np.isfinite(getattr(m, "log_likelihood_", np.nan))}
    if not ll:
        raise NotReadyError("no purchase model could be fitted")
    chosen = max(ll, key=ll.get)
    order = sorted(ll, key=ll.get, reverse=True)
    words = ", ".join(f"{WORDS[k]} {ll[k]:,.1f}" for k in order)
    reason = (
        (why + " " if why else "")
        + f"{WORDS[chosen]} was chosen because it explains the calibration data best: highest log-likelihood "
        f"({words}; all three have four parameters, so AIC and BIC agree)."
    )
    return {
        "chosen": chosen,
        "method": "likelihood",
        "reason": reason,
        "log_likelihood": {k: round(float(v), 3) for k, v in ll.items()},
    }


def choose_model(
    transactions: pd.DataFrame,
    id: str,
    time: str,
    calibration_end,
    time_unit: str = "weeks",
    *,
    folds: tuple[float, ...] = FOLDS,
    penalizer: float = 0.0,
    candidates: tuple[str, ...] = tuple(CANDIDATES),
    min_repeat_buyers: int = MIN_REPEAT_BUYERS,
    fits: dict | None = None,
    source: str | None = None,
    today=None,
    progress: Progress | None = None,
) -> dict:
    """Choose the purchase model by a validation inside the calibration period (see the module docstring).

    ``transactions`` may hold orders after ``calibration_end``: they are dropped first. ``fits`` are
    the candidates already fitted on the whole calibration period, used only for the likelihood
    fallback (they are fitted here when missing and needed).

    Returns ``{"chosen", "method", "reason", ...}``: with the validation also ``"folds"`` (per cut:
    its dates, customers and each model's MAE and correlation) and ``"mean_mae"`` per model.
    """
    tick = progress or (lambda f, m: None)
    unknown = [c for c in candidates if c not in CANDIDATES]
    if unknown:
        raise InputError(f"unknown model(s) {', '.join(unknown)}; choose among {', '.join(CANDIDATES)}")
    if time_unit not in TIME_UNITS:
        raise InputError(f"time unit {time_unit!r} is not one of {', '.join(TIME_UNITS)}")
    cal_end = pd.Timestamp(calibration_end).normalize()
    when = parse_times(transactions[time], time, source).dt.normalize()
    keep = (when <= cal_end).to_numpy()
    cal = pd.DataFrame({"id": transactions[id].to_numpy()[keep], "day": when.to_numpy()[keep]})
    notes: list[str] = []
    results: list[dict] = []
    if len(cal):
        first = cal["day"].min()
        span = (cal_end - first).days
        for f in folds:
            cut = first + pd.Timedelta(days=int(span * f))
            if (cal_end - cut).days < MIN_VALIDATION_DAYS:
                notes.append(f"a cut at {cut:%Y-%m-%d} leaves fewer than {MIN_VALIDATION_DAYS} days to predict")
                continue
            try:
                s = summary_data(
                    cal, "id", "day", None, cut, cal_end, time_unit, min_repeat_buyers=min_repeat_buyers, today=today
                )
            except NotReadyError as exc:
                notes.append(f"no validation cut at {cut:%Y-%m-%d}: {exc}")
                continue
            x, tx, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
            actual = s["frequency_holdout"].to_numpy(float)
            length = float(s.attrs["holdout_length"])
            row = {
                "fit_until": cut.date().isoformat(),
                "predict_from": (cut + pd.Timedelta(days=1)).date().isoformat(),
                "predict_until": cal_end.date().isoformat(),
                "customers": int(len(s)),
                "mae": {},
                "corr": {},
            }
            for i, name in enumerate(candidates):
                tick((len(results) + i / len(candidates)) / max(len(folds), 1), f"validating {WORDS[name]}")
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        m = CANDIDATES[name](penalizer=penalizer).fit(x, tx, T)
                        pred = m.conditional_expected_purchases(length, x, tx, T)
                except (NotReadyError, InputError, FloatingPointError, np.linalg.LinAlgError):
                    continue
                if np.all(np.isfinite(pred)):
                    row["mae"][name] = round(_mae(actual, pred), 6)
                    c = _corr(actual, pred)
                    row["corr"][name] = None if c is None else round(c, 6)
            if len(row["mae"]) == len(candidates):
                results.append(row)
            else:
                notes.append(f"not every model could be fitted before the cut at {cut:%Y-%m-%d}")
    tick(1.0, "model chosen")
    if not results:
        if fits is None:
            raise NotReadyError("the calibration period is too short to choose a model: " + "; ".join(notes))
        why = "The calibration period is too short or thin for a validation cut (" + "; ".join(notes) + "), so"
        out = choose_by_likelihood(fits, why)
        out["notes"] = notes
        return out
    mean = {name: float(np.mean([r["mae"][name] for r in results])) for name in candidates}
    order = sorted(candidates, key=lambda k: mean[k])
    chosen = order[0]
    cuts = " and ".join(r["fit_until"] for r in results)
    ranking = ", ".join(f"{WORDS[k]} {mean[k]:.3f}" for k in order)
    several = len(results) > 1
    reason = (
        f"{WORDS[chosen]} was chosen without looking at the holdout. The calibration period was cut "
        f"{'at ' + cuts if several else 'once, at ' + cuts}; each time the models learned from the orders up to "
        f"the cut and predicted the purchase days from the cut to {results[0]['predict_until']} of the customers "
        f"known then. Mean absolute error per customer{', averaged over the cuts' if several else ''} (lower is "
        f"better): {ranking}. {WORDS[chosen]} was then refitted on the whole calibration period."
    )
    if len(order) > 1:
        gap = (mean[order[1]] - mean[chosen]) / max(mean[order[1]], 1e-12)
        if gap < 0.01:
            reason += (
                f" The margin over {WORDS[order[1]]} is small ({gap:.1%}), so the two would predict much the same."
            )
    out = {
        "chosen": chosen,
        "method": "validation inside the calibration period",
        "reason": reason,
        "folds": results,
        "mean_mae": {k: round(v, 6) for k, v in mean.items()},
        "criterion": "mean absolute error of purchase days per customer, averaged over the cuts (lower is better)",
    }
    if notes:
        out["notes"] = notes
    return out
