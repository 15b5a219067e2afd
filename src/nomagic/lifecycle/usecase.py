"""The use-case shape and the lifecycle runner that every use case goes through.

A use case (churn, propensity, ...) says only what is its own: which units, which features and
label at a cutoff (point in time), which naive baseline, and how to word its reasons. The runner
here owns what is the same for all: the rolling time cutoffs, training and scoring the baseline and
the model at each cutoff, bootstrap intervals, the no-magic gate, explanations, fairness, the
evaluation record and the final fit.

Rolling cutoffs
---------------
For a label horizon ``h`` (90 days for churn, 30 for propensity) and the end ``E`` of the data, the
latest cutoff with a complete label window is ``L = E - h``. The backtest judges the cutoffs ``L``,
``L - step``, ... (``n_test`` of them); the model for a test cutoff ``c`` learns from the cutoffs
``c - h``, ``c - h - step``, ... whose label windows closed by ``c`` — it never sees a label from
after its own cutoff. Never a random split of time-ordered data. The final model learns from the
cutoffs ``L``, ``L - step``, ... and scores at ``E``.
"""

from __future__ import annotations

import copy
import time as _time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from nomagic.errors import NotReadyError
from nomagic.lifecycle import explain as ex
from nomagic.lifecycle import fairness as fair
from nomagic.lifecycle.gate import NOT_READY, gate
from nomagic.lifecycle.metrics import DEFAULT_METRICS, ProfitParams, bootstrap, compute, lift_curve, reliability_curve
from nomagic.lifecycle.models import AutoClassifier, ScoreBaseline, sigmoid
from nomagic.lifecycle.record import fingerprint_frame, make_record
from nomagic.privacy import groups
from nomagic.words import join, say

Progress = Callable[[float, str], None]
UNIT = "unit_id"
LABEL = "label"
CUTOFF = "as_of"


def _naive(ts) -> pd.Timestamp:
    ts = pd.Timestamp(ts)
    return ts.tz_convert(None) if ts.tzinfo else ts


def _day(ts) -> pd.Timestamp:
    return _naive(ts).floor("D")


@dataclass
class BacktestPlan:
    """The cutoffs of a backtest: test cutoffs, the training cutoffs of each, and the final fit."""

    start: pd.Timestamp
    end: pd.Timestamp
    horizon_days: int
    step_days: int
    tests: list[pd.Timestamp]
    train: dict[pd.Timestamp, list[pd.Timestamp]]
    final_train: list[pd.Timestamp]
    score_as_of: pd.Timestamp

    def describe(self) -> str:
        t = ", ".join(f"{c:%Y-%m-%d}" for c in self.tests)
        return (
            f"rolling time cutoffs {t} (label window {self.horizon_days} days); each judged by a model trained on "
            f"up to {max(len(v) for v in self.train.values())} earlier cutoffs {self.step_days} days apart whose "
            "label windows had closed"
        )

    def to_dict(self) -> dict:
        return {
            "kind": "rolling-time-cutoffs",
            "horizon_days": self.horizon_days,
            "step_days": self.step_days,
            "test_cutoffs": [c.isoformat() for c in self.tests],
            "train_cutoffs": {c.isoformat(): [t.isoformat() for t in v] for c, v in self.train.items()},
            "final_train_cutoffs": [c.isoformat() for c in self.final_train],
            "score_as_of": self.score_as_of.isoformat(),
            "data_start": self.start.isoformat(),
            "data_end": self.end.isoformat(),
        }


def plan_backtest(
    start, end, horizon_days: int, *, step_days: int = 30, n_test: int = 3, n_train: int = 6, warmup_days: int = 90
) -> BacktestPlan:
    """The rolling cutoffs for data from ``start`` to ``end`` (see the module docstring).

    Raises :class:`~nomagic.errors.NotReadyError` when the history is too short for one test
    cutoff with at least one training cutoff.
    """
    start, end = _day(start), _naive(end).ceil("D")
    h = pd.Timedelta(days=horizon_days)
    step = pd.Timedelta(days=step_days)
    first_ok = start + pd.Timedelta(days=warmup_days)
    last = end - h
    tests = [last - i * step for i in range(n_test)]
    tests = sorted(c for c in tests if c - h >= first_ok)
    train = {}
    for c in tests:
        cuts = [c - h - j * step for j in range(n_train)]
        train[c] = sorted(t for t in cuts if t >= first_ok)
    tests = [c for c in tests if train[c]]
    train = {c: train[c] for c in tests}
    if not tests:
        need = warmup_days + 2 * horizon_days
        raise NotReadyError(
            f"the data covers {(end - start).days} days ({start:%Y-%m-%d} to {end:%Y-%m-%d}); a backtest with a "
            f"{horizon_days}-day label window needs at least {need} days"
        )
    final = sorted(t for t in (last - j * step for j in range(n_train)) if t >= first_ok)
    return BacktestPlan(start, end, horizon_days, step_days, tests, train, final, end)


@dataclass
class TrainResult:
    """What one training run produced: the record, the fitted model and baseline, and the frames."""

    record: dict
    model: AutoClassifier | None
    baseline: Any
    plan: BacktestPlan | None
    predictions: pd.DataFrame = field(default_factory=pd.DataFrame)
    config: dict = field(default_factory=dict)
    fingerprint: str = ""

    @property
    def verdict(self) -> str:
        return self.record["verdict"]


class UseCase:
    """Base class of the binary, customer-level use cases (churn, propensity, ...).

    Subclasses set the class attributes and implement :meth:`features`, :meth:`labels` and
    :meth:`baseline`; the rest is shared. ``dataset(wh, as_of)`` is the point-in-time frame: one
    row per unit with features computed only from data before ``as_of`` and (optionally) the
    label observed in the ``horizon_days`` after it.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    question: ClassVar[str] = ""
    horizon_days: ClassVar[int] = 30
    primary_metric: ClassVar[str] = "roc_auc"
    words: ClassVar[ex.Words] = ex.Words()
    requires: ClassVar[Any] = None
    #: customer attributes audited for fairness and kept out of the features
    sensitive: ClassVar[tuple[str, ...]] = ("gender", "age_band")

    def __init__(
        self,
        *,
        step_days: int = 30,
        n_test: int = 3,
        n_train: int = 6,
        warmup_days: int = 90,
        sensitive: tuple[str, ...] | None = None,
        profit: ProfitParams | None = None,
        model_params: dict | None = None,
        n_boot: int = 1000,
        seed: int = 0,
        until=None,
    ):
        # learn only from the data up to `until`: the model as it would have gone live then
        self.until = None if until is None else pd.Timestamp(until)
        if self.until is not None and self.until.tzinfo is not None:
            self.until = self.until.tz_convert(None)
        self.step_days = step_days
        self.n_test = n_test
        self.n_train = n_train
        self.warmup_days = warmup_days
        self.sensitive_attributes = tuple(self.sensitive if sensitive is None else sensitive)
        self.profit = profit or ProfitParams()
        self.model_params = model_params or {}
        self.n_boot = n_boot
        self.seed = seed

    # -------------------------------------------------------------- what a use case defines
    def features(self, wh, as_of: datetime):  # -> ibis.Table with unit_id and features
        raise NotImplementedError

    def labels(self, wh, as_of: datetime):  # -> ibis.Table with unit_id and label (0/1)
        raise NotImplementedError

    def attributes(self, wh, as_of: datetime):  # -> ibis.Table with unit_id and the sensitive attributes
        return None

    def early_labels(self, wh, as_of, days: int) -> pd.Series:
        """The label as it stands ``days`` (< the horizon) after the cutoff, by unit_id.

        An outcome decided early shows (for churn and propensity: an order); the rest reads as if the
        window had ended. The monitor compares these with what the champion's scores expect, so that a
        change shows before the full labels arrive. It relies on :meth:`labels` reading its window
        from ``self.horizon_days``."""
        early = copy.copy(self)
        early.horizon_days = int(days)
        df = early.labels(wh, pd.Timestamp(as_of).to_pydatetime()).execute()
        return df.set_index(UNIT)[LABEL].fillna(0).astype(int)

    def so_far(self, days: int):
        """Label 1 as :meth:`early_labels` sees it, in words ("have not ordered in the 30 days since")."""
        return say("show the outcome within {d} days", "zeigen das Ergebnis innerhalb von {d} Tagen", d=int(days))

    def baseline(self) -> ScoreBaseline:
        raise NotImplementedError

    def model(self) -> AutoClassifier:
        params = {"time_gap": f"{self.horizon_days}D", "random_state": self.seed}
        params.update(self.model_params)
        return AutoClassifier(**params)

    def feature_texts(self, columns) -> dict[str, ex.FeatureText]:
        """How to say each feature column in a reason."""
        return {}

    def tables_used(self, wh) -> list[str]:
        """The warehouse tables this use case reads (for the record)."""
        return sorted(getattr(self.requires, "tables", {}) or {})

    def feature_families(self, columns) -> dict[str, str]:
        """Column -> family (the marketing idea behind it); reasons name each family at most once."""
        return {}

    def time_range(self, wh) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last moment of the data the use case learns from."""
        raise NotImplementedError

    def config(self) -> dict:
        return {
            "use_case": self.name,
            "horizon_days": self.horizon_days,
            "step_days": self.step_days,
            "n_test": self.n_test,
            "n_train": self.n_train,
            "warmup_days": self.warmup_days,
            "sensitive": list(self.sensitive_attributes),
            "profit": {
                "cost_per_contact": self.profit.cost_per_contact,
                "value_per_success": self.profit.value_per_success,
            },
            "model_params": self.model_params,
            "n_boot": self.n_boot,
            "seed": self.seed,
            "until": None if self.until is None else self.until.isoformat(),
        }

    # -------------------------------------------------------------- shared
    def dataset(self, wh, as_of, *, label: bool = True) -> pd.DataFrame:
        """The point-in-time frame at ``as_of``: unit_id, as_of, features, sensitive attributes, label."""
        as_of = pd.Timestamp(as_of).to_pydatetime()
        feats = self.features(wh, as_of)
        if label:
            feats = feats.left_join(self.labels(wh, as_of), UNIT).drop(f"{UNIT}_right")
        attrs = self.attributes(wh, as_of)
        if attrs is not None:
            feats = feats.left_join(attrs, UNIT).drop(f"{UNIT}_right")
        df = feats.execute()
        df = df.sort_values(UNIT, kind="mergesort").reset_index(drop=True)
        df.insert(1, CUTOFF, pd.Timestamp(as_of))
        if label:
            df[LABEL] = df[LABEL].fillna(0).astype(int)
        return df

    def feature_columns(self, frame: pd.DataFrame) -> list[str]:
        skip = {UNIT, CUTOFF, LABEL, *self.sensitive_attributes}
        return [c for c in frame.columns if c not in skip]

    def plan(self, wh) -> BacktestPlan:
        start, end = self.time_range(wh)
        return plan_backtest(
            start,
            end,
            self.horizon_days,
            step_days=self.step_days,
            n_test=self.n_test,
            n_train=self.n_train,
            warmup_days=self.warmup_days,
        )

    def train(self, wh, *, progress: Progress | None = None, source: str | None = None) -> TrainResult:
        """Backtest on rolling cutoffs, judge by the gate, explain, audit and fit the final model."""
        return run(self, wh, progress=progress, source=source)


# --------------------------------------------------------------------------- the runner


def _frames(uc: UseCase, wh, cutoffs, tick, lo: float, hi: float) -> dict[pd.Timestamp, pd.DataFrame]:
    out = {}
    for i, c in enumerate(cutoffs):
        tick(
            lo + (hi - lo) * i / max(len(cutoffs), 1),
            say("{u}: dataset at {c}", "{u}: Datensatz zum {c}", u=uc.name, c=c),
        )
        out[c] = uc.dataset(wh, c)
    return out


def _stack(frames: dict, cutoffs) -> pd.DataFrame:
    parts = [frames[c] for c in cutoffs if len(frames[c])]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _fit_pair(uc: UseCase, train: pd.DataFrame, cols: list[str], tick=None):
    y = train[LABEL].to_numpy()
    if np.unique(y).size < 2:
        raise NotReadyError(
            say(
                "{u}: every training row has the label {y}; nothing to learn",
                "{u}: jede Trainingszeile hat das Ziel {y}; nichts zu lernen",
                u=uc.name,
                y=int(y[0]),
            )
        )
    base = uc.baseline().fit(train[cols], y)
    model = uc.model().fit(train[cols], y, time=train[CUTOFF].to_numpy(), groups=train[UNIT].to_numpy(), progress=tick)
    return model, base


def run(uc: UseCase, wh, *, progress: Progress | None = None, source: str | None = None) -> TrainResult:
    """The lifecycle for one use case on a warehouse (see the module docstring)."""
    tick = progress or (lambda f, m: None)
    t0 = _time.perf_counter()
    plan = uc.plan(wh)
    cutoffs = sorted({*plan.tests, *plan.final_train, *(c for v in plan.train.values() for c in v)})
    frames = _frames(uc, wh, cutoffs, tick, 0.0, 0.25)
    cols = uc.feature_columns(next(iter(frames.values())))
    texts = uc.feature_texts(cols)
    data_info = {
        "source": source or "warehouse",
        "tables": uc.tables_used(wh),
        "rows": int(sum(len(f) for f in frames.values())),
        "units": int(pd.concat([f[UNIT] for f in frames.values()]).nunique()),
        "start": plan.start.isoformat(),
        "end": plan.end.isoformat(),
    }
    fingerprint = fingerprint_frame(_stack(frames, cutoffs))
    data_info["fingerprint"] = fingerprint

    # -- backtest
    preds, backtest, choices = [], [], []
    n = len(plan.tests)
    for i, c in enumerate(plan.tests):
        train = _stack(frames, plan.train[c])
        test = frames[c]
        lo = 0.25 + 0.5 * i / n

        def sub(f, lo=lo, c=c):
            tick(lo + 0.5 / n * f, say("{u}: backtest at {c}", "{u}: Backtest zum {c}", u=uc.name, c=c))

        sub(0.0)
        if len(test) == 0 or np.unique(test[LABEL]).size < 2:
            continue
        model, base = _fit_pair(uc, train, cols, sub)
        pm = model.predict_proba(test[cols])[:, 1]
        pb = base.predict_proba(test[cols])[:, 1]
        choices.append(model.choice_.describe())
        part = pd.DataFrame({UNIT: test[UNIT], CUTOFF: c, LABEL: test[LABEL], "score": pm, "baseline_score": pb})
        for a in uc.sensitive_attributes:
            if a in test.columns:
                part[a] = test[a].to_numpy()
        preds.append(part)
        row = {
            "cutoff": c.isoformat(),
            "train_rows": int(len(train)),
            "test_rows": int(len(test)),
            "positive_rate": round(float(test[LABEL].mean()), 4),
            "model_choice": model.choice_.kind,
        }
        for who, p in (("model", pm), ("baseline", pb)):
            row[who] = {
                k: round(v, 5) for k, v in compute(test[LABEL], p, ("roc_auc", "pr_auc", "brier", "ece")).items()
            }
        backtest.append(row)
    if not preds:
        raise NotReadyError(
            say(
                "{u}: no test cutoff has both outcomes; the data cannot judge a model",
                "{u}: kein Test-Stichtag hat beide Ausgänge; die Daten können kein Modell beurteilen",
                u=uc.name,
            )
        )
    P = pd.concat(preds, ignore_index=True)
    y = P[LABEL].to_numpy()
    tick(0.76, say("{u}: confidence intervals", "{u}: Konfidenzintervalle", u=uc.name))
    metrics = bootstrap(
        y,
        P["score"].to_numpy(),
        P["baseline_score"].to_numpy(),
        metrics=DEFAULT_METRICS,
        n_boot=uc.n_boot,
        seed=uc.seed,
        clusters=P[UNIT].to_numpy(),
        profit=uc.profit,
    )
    compared = say(
        "{n:,} {uc} predictions at {k} rolling time cutoffs",
        "{n:,} Vorhersagen ({uc}) zu {k} rollierenden Stichtagen",
        n=len(P),
        uc=uc.name,
        k=len(backtest),
    )
    base_words = uc.baseline().describe()
    result = gate(
        metrics,
        uc.primary_metric,
        baseline_words=say("the baseline ({b})", "die Baseline ({b})", b=base_words),
        compared_on=compared,
    )

    # -- final fit on the latest labelled cutoffs, explained on the scoring frame
    tick(0.8, say("{u}: final model", "{u}: endgültiges Modell", u=uc.name))
    final_train = _stack(frames, plan.final_train)
    model, base = _fit_pair(
        uc,
        final_train,
        cols,
        lambda f: tick(0.8 + 0.12 * f, say("{u}: final model", "{u}: endgültiges Modell", u=uc.name)),
    )
    tick(0.93, say("{u}: explanations", "{u}: Erklärungen", u=uc.name))
    now_frame = uc.dataset(wh, plan.score_as_of, label=False)
    drivers = []
    if len(now_frame):
        sample = now_frame.sample(min(len(now_frame), 20_000), random_state=0) if len(now_frame) > 20_000 else now_frame
        C, _ = model.contributions(sample[cols])
        drivers = ex.global_drivers(C, model.preprocessor_.display_values(sample[cols]), texts, uc.words, top=10)
    attrs = {a: P[a].to_numpy() for a in uc.sensitive_attributes if a in P.columns}
    fairness = fair.audit(y, P["score"].to_numpy(), attrs, k=groups.threshold(wh.url)) if attrs else None
    record = make_record(
        use_case=uc.name,
        data=data_info,
        split=plan.to_dict(),
        primary_metric=uc.primary_metric,
        metrics=metrics,
        verdict=result.verdict,
        explanation=result.explanation,
        params={},
        question=uc.question,
        model={
            "description": model.choice_.describe(),
            "kind": model.choice_.kind,
            "backtest_choices": choices,
            "features": cols,
            "validation": model.choice_.validation,
        },
        baseline={"description": base_words, "column": base.column},
        scorer="model" if result.promoted else "baseline",
        curves={
            "model": {"reliability": reliability_curve(y, P["score"]), "lift": lift_curve(y, P["score"])},
            "baseline": {
                "reliability": reliability_curve(y, P["baseline_score"]),
                "lift": lift_curve(y, P["baseline_score"]),
            },
        },
        backtest=backtest,
        drivers=drivers,
        fairness=fairness,
        profit={"cost_per_contact": uc.profit.cost_per_contact, "value_per_success": uc.profit.value_per_success},
        warnings=fair.flags(fairness) if fairness else [],
        limitations=list(getattr(uc, "limitations", ())) or None,
        seconds=round(_time.perf_counter() - t0, 2),
    )
    tick(1.0, say("{u}: done", "{u}: fertig", u=uc.name))
    return TrainResult(record, model, base, plan, P, uc.config(), fingerprint)


def not_ready_record(uc: UseCase, reasons: list[str], source: str | None = None) -> dict:
    """The record of a use case whose data is not ready: nothing trained, the reasons in words."""
    return make_record(
        use_case=uc.name,
        data={"source": source or "warehouse", "fingerprint": None, "rows": 0},
        split={"kind": "none"},
        primary_metric=uc.primary_metric,
        metrics={},
        verdict=NOT_READY,
        explanation=say(
            "The data is not ready, so nothing was trained: {r}",
            "Die Daten sind nicht bereit, deshalb wurde nichts trainiert: {r}",
            r=join(reasons, "; "),
        ),
        question=uc.question,
    )


def score_frame(
    model: AutoClassifier,
    frame: pd.DataFrame,
    cols: list[str],
    texts=None,
    words=ex.Words(),
    k: int = 3,
    families: dict[str, str] | None = None,
):
    """Probabilities and the top-``k`` reasons for every row, from one pass of contributions."""
    C, bias = model.contributions(frame[cols])
    p = sigmoid(C.to_numpy().sum(axis=1) + bias)
    values = model.preprocessor_.display_values(frame[cols])
    return p, ex.reasons(C, values, texts, words, k=k, families=families)
