"""The budget use case on the warehouse: weekly media spend and revenue -> MMM -> proposed split.

* **Data**: ``media_spend`` (date, channel, spend) and ``kpis`` (date, revenue, extra columns as
  controls), summed per ISO week (Monday to Sunday) with Ibis expressions; weeks with fewer than
  7 days at either end are dropped. Controls: numeric ``kpis`` columns other than revenue and
  orders (averaged per week, e.g. a price index) and one 0/1 column per named holiday in
  ``holiday_name`` (weeks that hold it); holidays that always fall in the same week share a column.
* **Evaluation**: the last weeks are held out (see :mod:`.evaluate`); the parameters, ROIs and
  the proposed allocation come from a fit on all weeks. On a simulated warehouse the gate judges
  the fit against the simulator's true curves (:func:`nomagic.simulate.media.true_media`), read
  after fitting and only to judge.

Examples
--------
>>> Budget.name, Budget.requires.tables["media_spend"]
('budget', ('date', 'channel', 'spend'))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from nomagic.errors import InputError, NotReadyError
from nomagic.lifecycle.record import fingerprint_frame
from nomagic.usecases.budget.data import clean
from nomagic.usecases.budget.evaluate import (
    PRIMARY,
    QUESTION,
    BudgetEvaluation,
    NoMediaBaseline,
    evaluate_frame,
    not_ready_record,
)
from nomagic.usecases.budget.model import MMM
from nomagic.warehouse.readiness import Requirements
from nomagic.words import Text, say

Progress = Callable[[float, str], None]
NOT_CONTROLS = {"date", "revenue", "orders", "holiday", "holiday_name"}


def _bucket(col, period: str):
    return col.cast("date").truncate("W") if period == "week" else col.cast("date")


def weekly(wh, period: str = "week") -> tuple[pd.DataFrame, list[str], list[str]]:
    """Weekly (or daily) frame (``week``, ``revenue``, one column per channel, controls), channel and control names.

    With ``period="day"`` the ``week`` column holds the day and six weekday columns join the controls.
    """
    if period not in ("week", "day"):
        raise InputError(
            say("period must be week or day, not {p!r}", "period muss week oder day sein, nicht {p!r}", p=period)
        )
    ms = wh.table("media_spend")
    ms = ms.filter(ms.date.notnull() & ms.channel.notnull())
    ms = ms.mutate(week=_bucket(ms.date, period), spend=ms.spend.fill_null(0.0))
    spend = ms.group_by([ms.week, ms.channel]).aggregate(spend=ms.spend.sum()).execute()
    k = wh.table("kpis")
    k = k.filter(k.date.notnull()).mutate(week=_bucket(k.date, period))
    extra = [
        c for c, t in k.schema().items() if c not in NOT_CONTROLS and c != "week" and (t.is_numeric() or t.is_boolean())
    ]
    aggs = {"revenue": k.revenue.fill_null(0.0).sum(), "days": k.date.nunique()}
    for c in extra:
        aggs[c] = k[c].cast("float64").mean()
    kp = k.group_by(k.week).aggregate(**aggs).execute()
    if kp.empty or spend.empty:
        raise NotReadyError(
            say(
                "the media_spend and kpis tables need rows to fit a marketing-mix model",
                "die Tabellen media_spend und kpis brauchen Zeilen, um ein Marketing-Mix-Modell anzupassen",
            )
        )
    hol = pd.DataFrame(columns=["week", "holiday_name"])
    if "holiday_name" in k.columns:
        h = k.filter(k.holiday_name.notnull())
        hol = h.group_by([h.week, h.holiday_name]).aggregate(n=h.count()).execute()
    wide = spend.pivot_table(index="week", columns="channel", values="spend", aggfunc="sum").fillna(0.0)
    wide.columns = [str(c) for c in wide.columns]
    channels = sorted(wide.columns)
    df = kp.merge(wide.reset_index(), on="week", how="left").fillna({c: 0.0 for c in channels})
    df["week"] = pd.to_datetime(df["week"])
    df = df.sort_values("week").reset_index(drop=True)
    full = df["days"] >= (7 if period == "week" else 1)
    if full.any():  # drop incomplete weeks at either end
        first, last = np.flatnonzero(full.to_numpy())[[0, -1]]
        df = df.iloc[first : last + 1].reset_index(drop=True)
    controls = [c for c in extra if df[c].std() > 0]
    if len(hol):
        hol["week"] = pd.to_datetime(hol["week"])
        cols: dict[tuple, str] = {}
        for name in sorted(hol["holiday_name"].unique()):
            weeks = set(hol.loc[hol.holiday_name == name, "week"])
            ind = df["week"].isin(weeks).astype(float)
            if ind.sum() == 0:
                continue
            key = tuple(ind)
            if key in cols:  # same weeks as an earlier holiday: one column for both
                old = cols[key]
                new = f"{old}+{name}"
                df = df.rename(columns={old: new})
                controls[controls.index(old)] = new
                cols[key] = new
                continue
            col = f"holiday:{name}"
            df[col] = ind
            cols[key] = col
            controls.append(col)
    df = df.drop(columns=["days"])
    if period == "day":
        dow = df["week"].dt.dayofweek
        for k, name in enumerate(("tue", "wed", "thu", "fri", "sat", "sun"), start=1):
            df[f"weekday:{name}"] = (dow == k).astype(float)
            controls.append(f"weekday:{name}")
    return df, channels, controls


class Budget:
    """Budget allocation: a Bayesian marketing-mix model on weekly spend and revenue, and a proposed split.

    Parameters
    ----------
    adstock, saturation, l_max, yearly_seasonality : the model form (see :class:`.model.MMM`).
    holdout_weeks : held-out last weeks (default an eighth of the history, 8 to 26).
    n_boot, n_draws, seed : bootstrap resamples, posterior draws, seed.
    judge_on_truth : on a simulated warehouse, judge the fit against the simulator's true curves (the
        gate's evidence is then ``"truth"``); on real data there is none and this does nothing.
    lift_tests : :class:`.model.LiftTest` results (spend per period): held out to judge the model when
        there is no truth, then used as calibration.
    """

    name: ClassVar[str] = "budget"
    title: ClassVar[str] = say("Budget allocation (marketing-mix model)", "Budgetaufteilung (Marketing-Mix-Modell)")
    question: ClassVar[str] = QUESTION
    primary_metric: ClassVar[str] = PRIMARY
    requires: ClassVar[Requirements] = Requirements(
        tables={"media_spend": ["date", "channel", "spend"], "kpis": ["date", "revenue"]},
        min_history_days=364,
        history_tables=("media_spend", "kpis"),
        description=say(
            "daily (or weekly) media spend per channel and revenue over at least a year",
            "tägliche (oder wöchentliche) Medienausgaben je Kanal und Umsatz über mindestens ein Jahr",
        ),
    )

    def __init__(
        self,
        *,
        adstock: str = "geometric",
        saturation: str = "hill",
        l_max: int = 6,
        yearly_seasonality: int = 2,
        holdout_weeks: int | None = None,
        n_boot: int = 1000,
        n_draws: int = 1000,
        n_starts: int = 3,
        seed: int = 0,
        period: str = "week",
        judge_on_truth: bool = True,
        lift_tests=(),
    ):
        self.period = period
        self.judge_on_truth = judge_on_truth
        self.lift_tests = list(lift_tests)
        self.adstock = adstock
        self.saturation = saturation
        self.l_max = l_max
        self.yearly_seasonality = yearly_seasonality
        self.holdout_weeks = holdout_weeks
        self.n_boot = n_boot
        self.n_draws = n_draws
        self.n_starts = n_starts
        self.seed = seed

    def config(self) -> dict:
        return {
            "use_case": self.name,
            "adstock": self.adstock,
            "saturation": self.saturation,
            "l_max": self.l_max,
            "yearly_seasonality": self.yearly_seasonality,
            "holdout_weeks": self.holdout_weeks,
            "n_boot": self.n_boot,
            "n_draws": self.n_draws,
            "seed": self.seed,
            "period": self.period,
            "judge_on_truth": self.judge_on_truth,
            "lift_tests": len(self.lift_tests),
        }

    def dataset(self, wh, as_of=None) -> pd.DataFrame:
        """The weekly frame up to ``as_of`` (inclusive; default all); ``attrs`` name channels and controls."""
        df, channels, controls = weekly(wh, self.period)
        if as_of is not None:
            df = df[df["week"] <= pd.Timestamp(as_of)].reset_index(drop=True)
        channels = [c for c in channels if (df[c] > 0).any()]
        df.attrs.update(channels=channels, controls=controls)
        return df

    def model(self, channels, controls) -> MMM:
        return MMM(
            channels,
            date="week",
            target="revenue",
            controls=controls,
            adstock=self.adstock,
            saturation=self.saturation,
            l_max=self.l_max,
            yearly_seasonality=self.yearly_seasonality,
            n_draws=self.n_draws,
            n_starts=self.n_starts,
            seed=self.seed,
            lift_tests=[t for t in self.lift_tests if t.channel in channels],
        )

    def baseline(self):
        return NoMediaBaseline

    def evaluate(self, wh, *, progress: Progress | None = None, source: str | None = None) -> BudgetEvaluation:
        data = {"source": source or f"{getattr(wh, 'url', 'warehouse')}#media_spend+kpis", "fingerprint": None}
        try:
            df = self.dataset(wh)
            channels, controls = df.attrs["channels"], df.attrs["controls"]
            data.update(rows=int(len(df)), fingerprint=fingerprint_frame(df), tables=["media_spend", "kpis"])
            need = 52 if self.period == "week" else 364
            if len(df) < need:
                raise NotReadyError(
                    say(
                        "{n} full {unit} of media spend and revenue; the model needs at least {need}",
                        "{n} volle {unit} mit Medienausgaben und Umsatz; das Modell braucht mindestens {need}",
                        n=len(df),
                        unit=Text("weeks", "Wochen") if self.period == "week" else Text("days", "Tage"),
                        need=need,
                    )
                )
            clean_df, warns = clean(
                df, date="week", target="revenue", channels=channels, controls=controls, source="weekly media_spend"
            )
            return evaluate_frame(
                clean_df,
                lambda: self.model(channels, controls),
                holdout=self.holdout_weeks,
                n_boot=self.n_boot,
                seed=self.seed,
                data=data,
                warnings=warns,
                progress=progress,
                truth=self._truth(wh, clean_df) if self.judge_on_truth else None,
            )
        except (NotReadyError, InputError) as exc:
            return BudgetEvaluation(record=not_ready_record(exc.args[0] if exc.args else str(exc), data))

    def _truth(self, wh, df: pd.DataFrame):
        """The simulator's true curves over the periods of ``df``, or None on real data.

        Read through the simulator (which owns what its truth means), after the fits and only to judge
        them: nothing is fitted or tuned on it.
        """
        from nomagic.simulate.media import true_media

        days = 7 if self.period == "week" else 1
        start = pd.Timestamp(df["week"].min()).date()
        end = (pd.Timestamp(df["week"].max()) + pd.Timedelta(days=days - 1)).date()
        return true_media(wh, start, end)

    def train(self, wh, *, progress: Progress | None = None, source: str | None = None) -> Any:
        """Evaluate and fit on all weeks; returns a lifecycle ``TrainResult`` (model = the fitted MMM)."""
        from nomagic.lifecycle.usecase import TrainResult

        ev = self.evaluate(wh, progress=progress, source=source)
        return TrainResult(
            record=ev.record,
            model=ev.model,
            baseline=self.baseline(),
            plan=None,
            config=self.config(),
            fingerprint=ev.record["data"].get("fingerprint") or "",
        )


__all__ = ["Budget", "weekly"]
