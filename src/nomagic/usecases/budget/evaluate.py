"""Evaluate a marketing-mix model honestly: the last periods are held out and predicted.

The model is fitted on all periods but the last ``holdout`` ones and predicts those from their
spend and controls (carry-over from the fitting periods included). The naive baseline is what a
marketer without a media model would forecast: the same intercept, trend, yearly season and controls,
without any media (a Bayesian ridge with the model's priors). Metrics on the held-out periods:
``holdout_mape`` (primary, lower is better) and ``holdout_r2``, each with a 95 % paired bootstrap
interval over the held-out periods. The parameters in the record come from a second fit on all
periods.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nomagic.lifecycle.gate import NOT_READY, gate
from nomagic.lifecycle.record import fingerprint_frame, make_record
from nomagic.usecases.budget.data import check_size, period_days
from nomagic.usecases.budget.model import LEVEL, MMM, PRIOR_WORDS

USE_CASE = "budget"
PRIMARY = "holdout_mape"


def default_holdout(n: int) -> int:
    """Held-out periods: an eighth of the history, at least 8 and at most 26."""
    return int(min(26, max(8, n // 8)))


class NoMediaBaseline:
    """Intercept, trend, yearly season and controls, no media: the model's base alone (Bayesian ridge)."""

    @staticmethod
    def to_dict() -> dict:
        return {"kind": "no_media", "description": "the same trend, seasonality and controls without any media"}

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
    warnings: list[str] = field(default_factory=list)

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


def not_ready_record(reason: str, data: dict) -> dict:
    return make_record(
        use_case=USE_CASE,
        data=data,
        split={"kind": "none"},
        primary_metric=PRIMARY,
        metrics={},
        verdict=NOT_READY,
        explanation=f"Not ready: {reason}",
    )


def evaluate_frame(
    df: pd.DataFrame,
    make_model,
    *,
    holdout: int | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    data: dict | None = None,
    warnings: list[str] | None = None,
    progress=None,
    allocation: bool = True,
) -> BudgetEvaluation:
    """Holdout evaluation + final fit on a clean frame (see :func:`.data.clean`); ``make_model()`` gives a fresh MMM."""
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
            warnings.append(f"channel {c!r} does not spend before the held-out periods: the holdout cannot judge it")
    tick(0.05, "fitting on the periods before the holdout")
    hm = make_model().fit(train)
    pm = hm.predict(df)[n - k :]
    base = NoMediaBaseline(hm).fit(train)
    pb = base.predict(df)[n - k :]
    y = test[probe.target].to_numpy(float)
    metrics = holdout_metrics(y, pm, pb, n_boot=n_boot, seed=seed)
    tick(0.5, "fitting on all periods")
    m = make_model().fit(df)
    tick(0.9, "summarising")
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
    g = gate(
        metrics,
        PRIMARY,
        model_words="the marketing-mix model",
        baseline_words="the same base without media (trend, season, controls)",
        compared_on=f"the last {k} periods ({split['holdout_start']} to {split['holdout_end']}), fitted on the "
        f"{n - k} before",
    )
    diag = m.diagnostics_
    explanation = g.explanation + f" Fit diagnostics: {diag['words']}"
    record = make_record(
        use_case=USE_CASE,
        data=data,
        split=split,
        primary_metric=PRIMARY,
        metrics=metrics,
        verdict=g.verdict,
        explanation=explanation,
        params=m.params_,
        question="Which channels earn their money, and how should the budget be split?",
        model={
            "kind": f"Bayesian marketing-mix model ({m.adstock} adstock, {m.saturation} saturation)",
            "description": [
                f"{m.inference} inference; {LEVEL:.0%} intervals from {m.n_draws} posterior draws; "
                f"fitted on {n} periods in {m.seconds_:.2f} s",
            ],
            "config": model_config(m),
            "priors": {
                **PRIOR_WORDS,
                "adstock": dict(zip(m._ad.names, m._ad.prior_words, strict=True)),
                "saturation": dict(zip(m._sat.names, m._sat.prior_words, strict=True)),
            },
            "base": m.base_,
            "sigma": m.sigma_,
            "units": "saturation parameters are on spend divided by params.<channel>.spend_scale (its maximum); "
            "roi = contribution / spend over the fitted periods; marginal_roi = extra return of 1 more unit of "
            "money spread like the past spend",
        },
        baseline={"description": ["intercept, trend, yearly season and controls without media (Bayesian ridge)"]},
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
        seconds=None,
    )
    if allocation:
        from nomagic.usecases.budget.optimise import optimise

        try:
            record["allocation"] = optimise(m).to_dict()
        except Exception as exc:  # noqa: BLE001 - an allocation that cannot be made is reported, not fatal
            record["warnings"].append(f"no allocation proposed: {exc}")
    record["seconds"] = round(time.perf_counter() - t0, 2)
    tick(1.0, "done")
    return BudgetEvaluation(record=record, model=m, holdout_model=hm, warnings=warnings)


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
