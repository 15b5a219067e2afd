"""Evaluate a marketing-mix model on what it is used for, with the holdout fit as a sanity check.

The model is fitted on all periods but the last ``holdout`` ones and predicts those from their
spend and controls (carry-over from the fitting periods included). The naive baseline is what a
marketer without a media model would forecast: the same intercept, trend, yearly season and controls,
without any media (a Bayesian ridge with the model's priors). Metrics on the held-out periods:
``holdout_mape`` (primary, lower is better) and ``holdout_r2``, each with a 95 % paired bootstrap
interval over the held-out periods. The parameters, ROIs and the proposed split come from a second
fit on all periods.

A forecast is not what the model is for, so the holdout only checks sanity: it can block promotion
(a model surely worse than the base without media) but never promote alone. What decides is the
evidence about the ROIs and curves (:mod:`.evidence`): the known truth of a simulated world, or lift
tests the judged fit has not seen; without either the record says ``evidence: "holdout fit only"``,
the ROIs are not verified and the model is not promoted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nomagic.lifecycle.gate import NOT_READY
from nomagic.lifecycle.record import fingerprint_frame, make_record
from nomagic.usecases.budget.data import check_size, period_days
from nomagic.usecases.budget.evidence import FIT_ONLY, decide, explain, judge_lift_tests, judge_truth, sanity
from nomagic.usecases.budget.model import LEVEL, MMM, PRIOR_WORDS
from nomagic.words import Text, join, say

USE_CASE = "budget"
PRIMARY = "holdout_mape"


def default_holdout(n: int) -> int:
    """Held-out periods: an eighth of the history, at least 8 and at most 26."""
    return int(min(26, max(8, n // 8)))


class NoMediaBaseline:
    """Intercept, trend, yearly season and controls, no media: the model's base alone (Bayesian ridge)."""

    @staticmethod
    def to_dict() -> dict:
        return {
            "kind": "no_media",
            "description": say(
                "the same trend, seasonality and controls without any media",
                "derselbe Trend, dieselbe Saison und dieselben Kontrollvariablen ohne Medien",
            ),
        }

    def __init__(self, mmm: MMM):
        self.mmm = mmm

    def fit(self, df: pd.DataFrame) -> NoMediaBaseline:
        m = self.mmm
        d = m._design(df)
        sd = m._lin_prior_sd()
        X, y = d.lin, d.y
        sigma2 = 1.0
        for _ in range(20):  # empirical Bayes for the noise
            A = X.T @ X / sigma2 + np.diag(1 / sd**2)
            w = np.linalg.solve(A, X.T @ y / sigma2)
            sigma2 = max(float(np.mean((y - X @ w) ** 2)), 1e-10)
        self.coef_ = w
        return self

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        d = self.mmm._design(df)
        return (d.lin @ self.coef_) * self.mmm.y_scale_


def _mape(y, p, w):
    return np.sum(w * np.abs(y - p) / np.maximum(np.abs(y), 1e-12), axis=-1) / np.sum(w, axis=-1)


def _r2(y, p, w):
    sw = np.sum(w, axis=-1)
    ybar = np.sum(w * y, axis=-1) / sw
    sse = np.sum(w * (y - p) ** 2, axis=-1)
    sst = np.sum(w * (y - ybar[..., None]) ** 2, axis=-1)
    return 1 - sse / np.maximum(sst, 1e-12)


def holdout_metrics(y, pm, pb, *, n_boot: int = 1000, seed: int = 0) -> dict:
    """Model, baseline and improvement (baseline - model for MAPE) with 95 % paired bootstrap intervals."""
    y, pm, pb = (np.asarray(a, float) for a in (y, pm, pb))
    rng = np.random.default_rng(seed)
    n = len(y)
    W = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(n_boot)]).astype(float)
    one = np.ones(n)
    out: dict = {"model": {}, "baseline": {}, "improvement": {}}
    for name, fn, higher in (("holdout_mape", _mape, False), ("holdout_r2", _r2, True)):
        vm, vb = float(fn(y, pm, one)), float(fn(y, pb, one))
        bm, bb = fn(y, pm, W), fn(y, pb, W)
        imp = (bm - bb) if higher else (bb - bm)
        out["model"][name] = {"value": vm, "ci": [float(np.quantile(bm, 0.025)), float(np.quantile(bm, 0.975))]}
        out["baseline"][name] = {"value": vb, "ci": [float(np.quantile(bb, 0.025)), float(np.quantile(bb, 0.975))]}
        out["improvement"][name] = {
            "value": (vm - vb) if higher else (vb - vm),
            "ci": [float(np.quantile(imp, 0.025)), float(np.quantile(imp, 0.975))],
        }
    return out


@dataclass
class BudgetEvaluation:
    record: dict
    model: MMM | None = None
    holdout_model: MMM | None = None
    warnings: list = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return self.record["verdict"]


def model_config(m: MMM) -> dict:
    return {
        "adstock": m.adstock,
        "saturation": m.saturation,
        "l_max": m.l_max,
        "yearly_seasonality": m.yearly_seasonality,
        "trend": m.trend,
        "controls": m.controls,
        "inference": m.inference,
        "n_draws": m.n_draws,
        "seed": m.seed,
        "lift_tests": len(m.lift_tests),
    }


def not_ready_record(reason, data: dict) -> dict:
    return make_record(
        use_case=USE_CASE,
        data=data,
        split={"kind": "none"},
        primary_metric=PRIMARY,
        metrics={},
        verdict=NOT_READY,
        explanation=say("Not ready: {reason}", "Nicht bereit: {reason}", reason=reason),
    )


def holdout_words(metrics: dict, split: dict) -> Text:
    """The holdout comparison in plain words (MAPE in percent, the improvement in percentage points)."""
    m, b, i = (metrics[k][PRIMARY] for k in ("model", "baseline", "improvement"))
    s = sanity(metrics)
    how = (
        Text("the model forecasts better than the base", "das Modell sagt besser vorher als die Basis")
        if s["better"]
        else Text("the model forecasts worse than the base", "das Modell sagt schlechter vorher als die Basis")
        if s["blocks"]
        else Text("the difference could be zero", "der Unterschied könnte null sein")
    )
    return say(
        "on the last {k} periods ({start} to {end}), fitted on the {n} before, the model's MAPE is {mm:.1%} "
        "(95% CI {mlo:.1%} to {mhi:.1%}) against {bm:.1%} for the same base without media (trend, season, "
        "controls); improvement {pp:+.1f} percentage points (95% CI {lo:+.1f} to {hi:+.1f}): {how}.",
        "in den letzten {k} Perioden ({start} bis {end}), angepasst an die {n} davor, hat das Modell einen MAPE von "
        "{mm:.1%} (95-%-KI {mlo:.1%} bis {mhi:.1%}) gegenüber {bm:.1%} für dieselbe Basis ohne Medien (Trend, "
        "Saison, Kontrollvariablen); Verbesserung {pp:+.1f} Prozentpunkte (95-%-KI {lo:+.1f} bis {hi:+.1f}): {how}.",
        k=split["holdout_periods"],
        start=pd.Timestamp(split["holdout_start"]),
        end=pd.Timestamp(split["holdout_end"]),
        n=split["train_periods"],
        mm=m["value"],
        mlo=m["ci"][0],
        mhi=m["ci"][1],
        bm=b["value"],
        pp=100 * i["value"],
        lo=100 * i["ci"][0],
        hi=100 * i["ci"][1],
        how=how,
    )


def evaluate_frame(
    df: pd.DataFrame,
    make_model,
    *,
    holdout: int | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    data: dict | None = None,
    warnings: list | None = None,
    progress=None,
    allocation: bool = True,
    truth=None,
) -> BudgetEvaluation:
    """Holdout evaluation + final fit on a clean frame (see :func:`.data.clean`); ``make_model()`` gives a fresh MMM.

    The gate weighs the strongest evidence about the ROIs there is (see :mod:`.evidence`): ``truth``
    (the simulator's :class:`~nomagic.simulate.media.TrueMedia`, read after the fits, never by them),
    else the model's lift tests, held out from a fit made to predict them; else only the fit was checked.
    """
    t0 = time.perf_counter()
    tick = progress or (lambda f, m: None)
    warnings = list(warnings or [])
    probe = make_model()
    date = probe.date
    df = df.sort_values(date).reset_index(drop=True)
    n = len(df)
    k = holdout or default_holdout(n)
    data = dict(data or {})
    data.setdefault("rows", n)
    data.setdefault("fingerprint", fingerprint_frame(df))
    data.update(
        start=f"{df[date].min():%Y-%m-%d}",
        end=f"{df[date].max():%Y-%m-%d}",
        channels=probe.channels,
        target=probe.target,
        period_days=period_days(df[date]),
    )
    warnings += check_size(n - k, probe.n_params, data.get("source", "data"))
    train, test = df.iloc[: n - k], df.iloc[n - k :]
    for c in probe.channels:
        if (train[c] == 0).all():
            warnings.append(
                say(
                    "channel {c!r} does not spend before the held-out periods: the holdout cannot judge it",
                    "Kanal {c!r} gibt vor dem Testzeitraum nichts aus: der Testzeitraum kann ihn nicht beurteilen",
                    c=c,
                )
            )
    tick(0.05, say("fitting on the periods before the holdout", "Anpassung an die Perioden vor dem Testzeitraum"))
    hm = make_model().fit(train)
    pm = hm.predict(df)[n - k :]
    base = NoMediaBaseline(hm).fit(train)
    pb = base.predict(df)[n - k :]
    y = test[probe.target].to_numpy(float)
    metrics = holdout_metrics(y, pm, pb, n_boot=n_boot, seed=seed)
    tick(0.4, say("fitting on all periods", "Anpassung an alle Perioden"))
    m = make_model().fit(df)
    split = {
        "kind": "time-holdout",
        "holdout_periods": int(k),
        "train_periods": int(n - k),
        "train_start": f"{train[date].min():%Y-%m-%d}",
        "train_end": f"{train[date].max():%Y-%m-%d}",
        "holdout_start": f"{test[date].min():%Y-%m-%d}",
        "holdout_end": f"{test[date].max():%Y-%m-%d}",
        "n_boot": n_boot,
        "seed": seed,
    }
    alloc = None
    if allocation:
        from nomagic.usecases.budget.optimise import optimise

        try:
            alloc = optimise(m).to_dict()
        except Exception as exc:  # noqa: BLE001 - an allocation that cannot be made is reported, not fatal
            warnings.append(say("no allocation proposed: {e}", "keine Aufteilung vorgeschlagen: {e}", e=_said(exc)))
    # the purpose check: the strongest evidence about the ROIs there is, never used to fit or tune
    check = None
    if truth is not None:
        tick(0.75, say("judging against the known truth", "Abgleich mit der bekannten Wahrheit"))
        check = judge_truth(m, truth, data["period_days"], alloc) or None
    if check is None and probe.lift_tests:
        tick(
            0.75,
            say(
                "fitting without the lift tests to predict them", "Anpassung ohne die Lift-Tests, um sie vorherzusagen"
            ),
        )
        blind = make_model()
        blind.lift_tests = []  # held out: the tests judge a fit that has not seen them
        check = judge_lift_tests(blind.fit(df), probe.lift_tests) or None
    sane = sanity(metrics)
    verdict, evidence, verified = decide(check, sane)
    tick(0.9, say("summarising", "Zusammenfassung"))
    diag = m.diagnostics_
    explanation = join(
        [
            explain(verdict, evidence, check, sane, holdout_words(metrics, split)),
            say("Fit diagnostics: {words}", "Diagnose der Anpassung: {words}", words=diag["words"]),
        ]
    )
    if check is None:
        check = {
            "evidence": FIT_ONLY,
            "passed": None,
            "words": say(
                "The ROIs, curves and proposed split are not verified: no lift tests and no known truth; only the "
                "fit was checked.",
                "ROIs, Kurven und vorgeschlagene Aufteilung sind nicht geprüft: keine Lift-Tests und keine bekannte "
                "Wahrheit; geprüft wurde nur die Anpassung.",
            ),
        }
    record = make_record(
        use_case=USE_CASE,
        data=data,
        split=split,
        primary_metric=PRIMARY,
        metrics=metrics,
        verdict=verdict,
        explanation=explanation,
        params=m.params_,
        question=QUESTION,
        evidence=evidence,
        roi_verified=verified,
        roi_check={**check, "sanity": sane},
        model={
            "kind": say(
                "Bayesian marketing-mix model ({adstock} adstock, {saturation} saturation)",
                "Bayessches Marketing-Mix-Modell ({adstock}-Adstock, {saturation}-Sättigung)",
                adstock=m.adstock,
                saturation=m.saturation,
            ),
            "description": [
                say(
                    "{inference} inference; {level:.0%} intervals from {draws} posterior draws; fitted on {n} "
                    "periods in {secs:.2f} s",
                    "{inference}-Inferenz; {level:.0%}-Intervalle aus {draws} Posterior-Ziehungen; angepasst an {n} "
                    "Perioden in {secs:.2f} s",
                    inference=m.inference,
                    level=LEVEL,
                    draws=m.n_draws,
                    n=n,
                    secs=m.seconds_,
                ),
            ],
            "config": model_config(m),
            "priors": {
                **PRIOR_WORDS,
                "adstock": dict(zip(m._ad.names, m._ad.prior_words, strict=True)),
                "saturation": dict(zip(m._sat.names, m._sat.prior_words, strict=True)),
            },
            "base": m.base_,
            "sigma": m.sigma_,
            "units": UNITS,
        },
        baseline={
            "description": [
                say(
                    "intercept, trend, yearly season and controls without media (Bayesian ridge)",
                    "Achsenabschnitt, Trend, Jahressaison und Kontrollvariablen ohne Medien (Bayessche Ridge-Regression)",
                )
            ]
        },
        diagnostics=diag,
        holdout={
            "dates": [f"{d:%Y-%m-%d}" for d in test[date]],
            "actual": y.tolist(),
            "model": pm.tolist(),
            "baseline": pb.tolist(),
            "holdout_fit_diagnostics": hm.diagnostics_["verdict"],
        },
        curves=curves(m),
        warnings=warnings,
        allocation=alloc,
        seconds=None,
    )
    record["seconds"] = round(time.perf_counter() - t0, 2)
    tick(1.0, say("done", "fertig"))
    return BudgetEvaluation(record=record, model=m, holdout_model=hm, warnings=warnings)


def _said(exc: Exception):
    """An exception's message, keeping its German when it was raised with a Text."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], Text) else str(exc)


QUESTION = say(
    "Which channels earn their money, and how should the budget be split?",
    "Welche Kanäle verdienen ihr Geld, und wie soll das Budget aufgeteilt werden?",
)
UNITS = say(
    "saturation parameters are on spend divided by params.<channel>.spend_scale (its maximum); roi = contribution / "
    "spend over the fitted periods; marginal_roi = extra return of 1 more unit of money spread like the past spend",
    "Sättigungsparameter beziehen sich auf die Ausgaben geteilt durch params.<channel>.spend_scale (ihr Maximum); "
    "roi = Beitrag / Ausgaben über die angepassten Perioden; marginal_roi = zusätzlicher Ertrag einer weiteren "
    "Geldeinheit, verteilt wie die bisherigen Ausgaben",
)


def curves(m: MMM) -> dict:
    """What the charts draw: response curves, carry-over profiles, contributions over time."""
    contrib = m.contributions()
    contrib[m.date] = contrib[m.date].dt.strftime("%Y-%m-%d")
    return {
        "response": m.response_curves().round(6).to_dict(orient="records"),
        "carryover": m.carryover().round(6).to_dict(orient="records"),
        "contributions": contrib.round(4).to_dict(orient="list"),
    }


__all__ = [
    "PRIMARY",
    "BudgetEvaluation",
    "NoMediaBaseline",
    "default_holdout",
    "evaluate_frame",
    "holdout_metrics",
    "not_ready_record",
]
