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
from nomagic.usecases.clv.data import MIN_REPEAT_BUYERS, TIME_UNITS, bad_time_unit, parse_times, summary_data
from nomagic.usecases.clv.models import BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel
from nomagic.words import Text, date_text, join, number, say

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


def _named(name: str, value: float, spec: str) -> Text:
    """``"BG/NBD 0.123"`` with the number in each language's format."""
    return Text(f"{name} {number(value, spec)}", f"{name} {number(value, spec, 'de')}")


def _and(items: list) -> Text:
    """``a``, ``a and b``, ``a, b and c`` in both languages."""
    if len(items) < 2:
        return join(items)
    return say("{rest} and {last}", "{rest} und {last}", rest=join(items[:-1], ", "), last=items[-1])


def choose_by_likelihood(fits: dict, why: str = "") -> dict:
    """The fitted model with the highest log-likelihood (all candidates have four parameters).

    ``why`` (a Text, or plain English) opens the reason: "... , so"."""
    ll = {k: m.log_likelihood_ for k, m in fits.items() if np.isfinite(getattr(m, "log_likelihood_", np.nan))}
    if not ll:
        raise NotReadyError(say("no purchase model could be fitted", "kein Kaufmodell ließ sich anpassen"))
    chosen = max(ll, key=ll.get)
    order = sorted(ll, key=ll.get, reverse=True)
    words = join([_named(WORDS[k], ll[k], ",.1f") for k in order], ", ")
    reason = join(
        [
            why,
            say(
                "{m} was chosen because it explains the calibration data best: highest log-likelihood ({words}; all "
                "three have four parameters, so AIC and BIC agree).",
                "{m} wurde gewählt, weil es die Kalibrierungsdaten am besten erklärt: höchste Log-Likelihood "
                "({words}; alle drei haben vier Parameter, AIC und BIC stimmen also überein).",
                m=WORDS[chosen],
                words=words,
            ),
        ]
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
        raise InputError(
            say(
                "unknown model(s) {unknown}; choose among {known}",
                "unbekannte(s) Modell(e) {unknown}; zur Wahl stehen {known}",
                unknown=", ".join(unknown),
                known=", ".join(CANDIDATES),
            )
        )
    if time_unit not in TIME_UNITS:
        raise InputError(bad_time_unit(time_unit))
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
                notes.append(
                    say(
                        "a cut at {cut} leaves fewer than {n} days to predict",
                        "ein Schnitt am {cut} lässt weniger als {n} Tage zum Vorhersagen",
                        cut=cut,
                        n=MIN_VALIDATION_DAYS,
                    )
                )
                continue
            try:
                s = summary_data(
                    cal, "id", "day", None, cut, cal_end, time_unit, min_repeat_buyers=min_repeat_buyers, today=today
                )
            except NotReadyError as exc:
                notes.append(
                    say(
                        "no validation cut at {cut}: {why}",
                        "kein Validierungsschnitt am {cut}: {why}",
                        cut=cut,
                        why=exc.args[0] if exc.args else "",
                    )
                )
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
                tick(
                    (len(results) + i / len(candidates)) / max(len(folds), 1),
                    say("validating {m}", "{m} wird validiert", m=WORDS[name]),
                )
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
                notes.append(
                    say(
                        "not every model could be fitted before the cut at {cut}",
                        "nicht jedes Modell ließ sich vor dem Schnitt am {cut} anpassen",
                        cut=cut,
                    )
                )
    tick(1.0, say("model chosen", "Modell gewählt"))
    if not results:
        if fits is None:
            raise NotReadyError(
                say(
                    "the calibration period is too short to choose a model: {notes}",
                    "der Kalibrierungszeitraum ist zu kurz, um ein Modell zu wählen: {notes}",
                    notes=join(notes, "; "),
                )
            )
        why = say(
            "The calibration period is too short or thin for a validation cut ({notes}), so",
            "Der Kalibrierungszeitraum ist zu kurz oder zu dünn für einen Validierungsschnitt ({notes}), daher:",
            notes=join(notes, "; "),
        )
        out = choose_by_likelihood(fits, why)
        out["notes"] = notes
        return out
    mean = {name: float(np.mean([r["mae"][name] for r in results])) for name in candidates}
    order = sorted(candidates, key=lambda k: mean[k])
    chosen = order[0]
    days = [pd.Timestamp(r["fit_until"]) for r in results]
    cuts = _and([Text(date_text(d), date_text(d, "de")) for d in days])
    ranking = join([_named(WORDS[k], mean[k], ".3f") for k in order], ", ")
    several = len(results) > 1
    where = say("at {c}", "am {c}", c=cuts) if several else say("once, at {c}", "einmal, am {c}", c=cuts)
    averaged = say(", averaged over the cuts", ", gemittelt über die Schnitte") if several else ""
    reason = say(
        "{m} was chosen without looking at the holdout. The calibration period was cut {where}; each time the models "
        "learned from the orders up to the cut and predicted the purchase days from the cut to {until} of the "
        "customers known then. Mean absolute error per customer{averaged} (lower is better): {ranking}. {m} was then "
        "refitted on the whole calibration period.",
        "{m} wurde gewählt, ohne den Testzeitraum anzusehen. Der Kalibrierungszeitraum wurde {where} geschnitten; "
        "jedes Mal lernten die Modelle aus den Bestellungen bis zum Schnitt und sagten die Kauftage der dann "
        "bekannten Kunden vom Schnitt bis {until} vorher. Mittlerer absoluter Fehler pro Kunde{averaged} (niedriger "
        "ist besser): {ranking}. {m} wurde dann auf dem ganzen Kalibrierungszeitraum neu angepasst.",
        m=WORDS[chosen],
        where=where,
        until=pd.Timestamp(results[0]["predict_until"]),
        averaged=averaged,
        ranking=ranking,
    )
    if len(order) > 1:
        gap = (mean[order[1]] - mean[chosen]) / max(mean[order[1]], 1e-12)
        if gap < 0.01:
            reason += say(
                " The margin over {m} is small ({gap:.1%}), so the two would predict much the same.",
                " Der Vorsprung vor {m} ist klein ({gap:.1%}), die beiden würden also fast gleich vorhersagen.",
                m=WORDS[order[1]],
                gap=gap,
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
