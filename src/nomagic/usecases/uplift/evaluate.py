"""Evaluate uplift targeting on a train / test split: the chosen learner against response targeting.

* **Model**: :class:`~nomagic.usecases.uplift.learners.AutoUplift`, chosen and fitted on the
  training rows only.
* **Baseline**: what most teams do -- rank customers by their *response propensity*, a logistic
  regression of the outcome on the treated rows (who will buy when contacted), not by the effect of
  contacting them.
* **Metrics** on the test rows (``qini_auc``, ``uplift_auc``, ``uplift_at_30``, ``uplift_at_10``)
  with paired bootstrap 95 % CIs, resampled within the treatment and control groups; the gate
  promotes the model when the lower bound of its Qini improvement is above zero.
* **Policy**: contact the top share by predicted uplift; the expected incremental conversions
  (and revenue, given a value per conversion) are measured on the test rows as
  ``contacts x (treated rate - control rate)`` in that top share, next to the same for the
  baseline's ranking and for contacting everyone. Rows with a predicted negative effect
  (sleeping dogs) are counted and left out of the policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nomagic.errors import NotReadyError
from nomagic.lifecycle.gate import NOT_READY, gate
from nomagic.lifecycle.models import single_blas
from nomagic.lifecycle.record import make_record
from nomagic.lifecycle.tabular import TabularPreprocessor
from nomagic.usecases.uplift.learners import AutoUplift
from nomagic.usecases.uplift.metrics import UPLIFT_METRICS, bootstrap_uplift, qini_curve, uplift_at
from nomagic.words import say

PRIMARY = "qini_auc"
MODEL_WORDS = say("uplift targeting", "das Uplift-Targeting")
BASELINE_WORDS = say("targeting by response propensity", "das Targeting nach Reaktionswahrscheinlichkeit")


class ResponseBaseline:
    """Logistic regression of the outcome on the treated rows: P(respond | contacted)."""

    def fit(self, X: pd.DataFrame, treatment, y) -> ResponseBaseline:
        t = np.asarray(treatment, dtype=int)
        y = np.asarray(y, dtype=int)
        self.pre_ = TabularPreprocessor().fit(X)
        yt = y[t == 1]
        if yt.min() == yt.max():
            self.coef_, self.intercept_ = None, float(yt[0])
            return self
        from sklearn.linear_model import LogisticRegression

        with single_blas():
            m = LogisticRegression(C=0.1, max_iter=2000).fit(self.pre_.linear_matrix(X[t == 1]), yt)
        self.coef_, self.intercept_ = m.coef_[0], float(m.intercept_[0])
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        if self.coef_ is None:
            return np.full(len(X), self.intercept_)
        z = self.pre_.linear_matrix(X) @ self.coef_ + self.intercept_
        return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))

    def to_dict(self) -> dict:
        return {
            "kind": "response_propensity",
            "description": BASELINE_WORDS,
            "coef": None if self.coef_ is None else self.coef_.tolist(),
            "intercept": self.intercept_,
        }


@dataclass
class UpliftEvaluation:
    record: dict
    model: AutoUplift | None = None
    baseline: ResponseBaseline | None = None
    test: pd.DataFrame = field(default_factory=pd.DataFrame)


def check_design(t: np.ndarray, y: np.ndarray, where) -> None:
    """``where`` names the rows (a Text, e.g. "training rows")."""
    n_t, n_c = int(t.sum()), int((1 - t).sum())
    if n_t < 50 or n_c < 50:
        raise NotReadyError(
            say(
                "{where}: {t:,} treated and {c:,} control rows; uplift needs at least 50 of each",
                "{where}: {t:,} Zeilen mit Treatment und {c:,} Kontrollzeilen; Uplift braucht von beiden mindestens 50",
                where=where,
                t=n_t,
                c=n_c,
            )
        )
    if y[t == 1].sum() + y[t == 0].sum() < 20:
        raise NotReadyError(
            say(
                "{where}: only {k:,} positive outcomes; uplift needs at least 20",
                "{where}: nur {k:,} positive Ergebnisse; Uplift braucht mindestens 20",
                where=where,
                k=int(y.sum()),
            )
        )


def policy_table(
    y, t, score, shares=(0.1, 0.2, 0.3, 0.5, 1.0), value_per_conversion: float | None = None
) -> list[dict]:
    """Incremental conversions (and revenue) on the test rows when the top ``share`` by ``score`` is contacted."""
    rows = []
    n = len(y)
    for share in shares:
        effect = uplift_at(y, score, t, share) if share < 1 else float(y[t == 1].mean() - y[t == 0].mean())
        contacts = int(round(share * n))
        inc = contacts * effect if np.isfinite(effect) else None
        row = {"share": share, "contacts": contacts, "uplift": _r(effect), "incremental_conversions": _r(inc, 1)}
        if value_per_conversion is not None and inc is not None:
            row["incremental_revenue"] = _r(inc * value_per_conversion, 2)
        rows.append(row)
    return rows


def _r(x, d: int = 6):
    return None if x is None or not np.isfinite(x) else round(float(x), d)


def evaluate_frames(
    Xtr: pd.DataFrame,
    ttr,
    ytr,
    Xte: pd.DataFrame,
    tte,
    yte,
    *,
    data: dict,
    split: dict,
    n_boot: int = 500,
    seed: int = 0,
    budget_share: float = 0.3,
    value_per_conversion: float | None = None,
    progress=None,
) -> UpliftEvaluation:
    """Fit on the training rows, judge on the test rows; returns the record and the fitted models."""
    ttr, ytr = np.asarray(ttr, dtype=int), np.asarray(ytr, dtype=int)
    tte, yte = np.asarray(tte, dtype=int), np.asarray(yte, dtype=int)
    check_design(ttr, ytr, say("training rows", "Trainingszeilen"))
    check_design(tte, yte, say("test rows", "Testzeilen"))
    tick = progress or (lambda f, m: None)
    choosing = say("choosing the uplift learner", "Uplift-Verfahren wählen")
    auto = AutoUplift(seed=seed).fit(Xtr, ttr, ytr, progress=lambda f: tick(0.8 * f, choosing))
    base = ResponseBaseline().fit(Xtr, ttr, ytr)
    u_model = auto.predict_uplift(Xte)
    u_base = base.predict(Xte)
    tick(0.85, say("bootstrapping the test metrics", "Bootstrap der Testmetriken"))
    metrics = bootstrap_uplift(yte, tte, {"model": u_model, "baseline": u_base}, n_boot=n_boot, seed=seed)
    g = gate(
        metrics,
        PRIMARY,
        model_words=MODEL_WORDS,
        baseline_words=BASELINE_WORDS,
        compared_on=say("{n:,} test rows", "{n:,} Testzeilen", n=len(yte)),
    )
    sleeping = int((u_model < 0).sum())
    policy = {
        "budget_share": budget_share,
        "model": policy_table(yte, tte, u_model, value_per_conversion=value_per_conversion),
        "baseline": policy_table(yte, tte, u_base, value_per_conversion=value_per_conversion),
        "sleeping_dogs": sleeping,
        "sleeping_dogs_share": round(sleeping / len(u_model), 4),
    }
    warnings = []
    if sleeping:
        warnings.append(
            say(
                "{k:,} of {n:,} test rows ({share:.0%}) have a negative predicted effect (sleeping dogs): contacting "
                "them is expected to cost conversions; the policy leaves them out",
                "{k:,} von {n:,} Testzeilen ({share:.0%}) haben einen negativen vorhergesagten Effekt (Sleeping Dogs): "
                "Sie zu kontaktieren kostet voraussichtlich Conversions; die Strategie lässt sie aus",
                k=sleeping,
                n=len(u_model),
                share=sleeping / len(u_model),
            )
        )
    record = make_record(
        use_case="uplift",
        data=data,
        split=split,
        primary_metric=PRIMARY,
        metrics=metrics,
        verdict=g.verdict,
        explanation=g.explanation + say(" The learner: {w}.", " Das Uplift-Verfahren: {w}.", w=auto.choice_words_),
        model={
            "name": auto.chosen_.learner,
            "base": auto.chosen_.base,
            "description": auto.choice_words_,
            "candidates": {name: round(v, 6) for name, v in auto.scores_.items()},
            "candidate_sd": {name: round(v, 6) for name, v in auto.score_sd_.items()},
        },
        baseline={
            "name": "response_propensity",
            "description": say("targeting by response propensity", "Targeting nach Reaktionswahrscheinlichkeit"),
        },
        scorer="model" if g.promoted else "baseline",
        policy=policy,
        curves={"qini": {"model": qini_curve(yte, u_model, tte), "baseline": qini_curve(yte, u_base, tte)}},
        warnings=warnings or None,
    )
    tick(1.0, say("done", "fertig"))
    test = pd.DataFrame({"treatment": tte, "label": yte, "uplift": u_model, "response": u_base}, index=Xte.index)
    return UpliftEvaluation(record=record, model=auto, baseline=base, test=test)


def not_ready_record(reason, data: dict, split: dict | None = None) -> dict:
    """``reason``: a Text (e.g. a NotReadyError's ``args[0]``), or a plain English string."""
    return make_record(
        use_case="uplift",
        data=data,
        split=split or {},
        primary_metric=PRIMARY,
        metrics={},
        verdict=NOT_READY,
        explanation=say("Not ready: {r}.", "Nicht bereit: {r}.", r=reason),
    )


__all__ = ["UPLIFT_METRICS", "UpliftEvaluation", "evaluate_frames", "not_ready_record", "policy_table"]
