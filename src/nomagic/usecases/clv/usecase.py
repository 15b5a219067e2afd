"""The CLV use case on the warehouse: evaluate on a time split, then score every customer.

* **Data**: the ``orders`` table (customer_id, ordered_at, revenue), summed per customer-day with
  Ibis expressions, so the engine does the heavy lifting.
* **Evaluation**: calibration up to ``holdout_days`` before the last order day, holdout after it
  (see :mod:`.evaluate`), against the past-rate baseline. With ``model="auto"`` (the default) the
  purchase model is chosen by a validation cut inside the calibration period (:mod:`.choice`).
  The record carries the curves the report draws (p-alive matrix, expected-orders heat map,
  cohort curves, tracking curve).
* **Scores** (table ``clv_scores``): per customer known at ``as_of`` — probability alive, expected
  orders in the next 90 and 365 days, expected spend per order, discounted 12-month CLV with a
  parameter-uncertainty interval. With ``model="auto"`` the model is chosen again, by the same
  validation inside the history up to ``as_of``, and named in the ``model`` column. Only customers who
  may be profiled are scored (:mod:`nomagic.privacy.consent` decides; their orders are not even summed);
  ``attrs["left_out"]`` and a warning say how many were left out.

Examples
--------
>>> Clv.name, Clv.requires.tables["orders"]
('clv', ('customer_id', 'ordered_at', 'revenue'))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pandas as pd

from nomagic.errors import NotReadyError
from nomagic.lifecycle.record import fingerprint_frame
from nomagic.privacy import consent
from nomagic.usecases.clv.choice import AUTO, choose_model
from nomagic.usecases.clv.data import TIME_UNITS, summary_data
from nomagic.usecases.clv.evaluate import (
    MODEL_CHOICES,
    MODEL_WORDS,
    MODELS,
    ClvEvaluation,
    PastRateBaseline,
    add_curves,
    asked_for,
    evaluate_summary,
    message,
    not_ready_record,
    unknown_model,
)
from nomagic.usecases.clv.models import GammaGammaModel
from nomagic.usecases.clv.value import customer_lifetime_value
from nomagic.warehouse.readiness import Requirements
from nomagic.words import say

Progress = Callable[[float, str], None]
SCORES_TABLE = "clv_scores"
#: what the CLV scores cannot tell (the card and the report show them next to the verdict)
LIMITATIONS = (
    say(
        "Expected orders and CLV are averages over customers with the same history, not promises about one customer: "
        "one customer's next orders are close to a coin toss.",
        "Erwartete Bestellungen und CLV sind Mittelwerte über Kunden mit derselben Historie, keine Zusagen über einen "
        "Kunden: die nächsten Bestellungen eines einzelnen Kunden sind fast ein Münzwurf.",
    ),
    say(
        "The interval of the CLV reflects the uncertainty of the model's parameters only; what one customer will "
        "actually spend varies much more.",
        "Das Intervall des CLV spiegelt nur die Unsicherheit der Modellparameter; was ein einzelner Kunde wirklich "
        "ausgibt, schwankt viel stärker.",
    ),
    say(
        "The models assume customers buy at a steady rate until they leave for good: seasonality, subscriptions and "
        "campaigns that change buying habits are not in them.",
        "Die Modelle nehmen an, dass Kunden in gleichmäßiger Rate kaufen, bis sie endgültig gehen: Saisonalität, "
        "Abonnements und Kampagnen, die das Kaufverhalten ändern, sind nicht enthalten.",
    ),
    say(
        "CLV is revenue per order as recorded (no margin, returns or costs): multiply by the margin for profit.",
        "CLV ist der erfasste Umsatz pro Bestellung (ohne Marge, Retouren oder Kosten): für den Gewinn mit der Marge "
        "multiplizieren.",
    ),
)
SCORE_COLUMNS = (
    "customer_id",
    "as_of",
    "frequency",
    "recency",
    "T",
    "p_alive",
    "expected_orders_90d",
    "expected_orders_365d",
    "expected_spend",
    "clv",
    "clv_low",
    "clv_high",
    "model",
)


def customer_days(wh, as_of=None) -> pd.DataFrame:
    """Orders summed per customer and day (``customer_id, day, revenue, orders``), up to ``as_of`` inclusive.

    One Ibis expression; only the per-day rows leave the warehouse.
    """
    o = wh.table("orders")
    o = o.filter(o.customer_id.notnull() & o.ordered_at.notnull())
    if as_of is not None:
        end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
        o = o.filter(o.ordered_at < end.to_pydatetime())
    t = o.mutate(day=o.ordered_at.truncate("D"), value=o.revenue.fill_null(0.0))
    days = t.group_by([t.customer_id, t.day]).aggregate(revenue=t.value.sum(), orders=t.count())
    df = days.execute()
    if df.empty:
        if as_of is None:
            raise NotReadyError(say("the orders table has no orders", "die Tabelle orders hat keine Bestellungen"))
        raise NotReadyError(
            say(
                "the orders table has no orders up to {day}",
                "die Tabelle orders hat keine Bestellungen bis {day}",
                day=pd.Timestamp(as_of),
            )
        )
    df["customer_id"] = df["customer_id"].astype(str)
    return df


class Clv:
    """Customer lifetime value: BG/NBD (or MBG/NBD, Pareto/NBD) + Gamma-Gamma.

    Parameters
    ----------
    model : ``"auto"`` (chosen without the holdout, see :mod:`.choice`), ``"bgnbd"``, ``"mbgnbd"`` or
        ``"pareto_nbd"``.
    time_unit : ``"weeks"`` or ``"days"``.
    holdout_days : length of the evaluation's holdout; default a third of the history, at most 365.
    months, discount_rate : CLV horizon and monthly discount rate.
    n_boot : bootstrap resamples of the evaluation; n_draws : parameter draws for the CLV interval.
    """

    name: ClassVar[str] = "clv"
    title: ClassVar[str] = say("Customer lifetime value", "Kundenwert (CLV)")
    question: ClassVar[str] = say(
        "How many more orders will each customer place, are they still with us, and what are they worth?",
        "Wie viele Bestellungen wird jeder Kunde noch aufgeben, ist er noch aktiv, und was ist er wert?",
    )
    limitations: ClassVar[tuple[str, ...]] = LIMITATIONS
    primary_metric: ClassVar[str] = "holdout_mae"
    requires: ClassVar[Requirements] = Requirements(
        tables={"orders": ["customer_id", "ordered_at", "revenue"]},
        min_history_days=180,
        min_units=100,
        units="orders.customer_id",
        history_tables=("orders",),
        description=say(
            "orders of at least 100 customers over at least 180 days, with repeat buyers",
            "Bestellungen von mindestens 100 Kunden über mindestens 180 Tage, mit Wiederkäufern",
        ),
    )

    def __init__(
        self,
        *,
        model: str = AUTO,
        time_unit: str = "weeks",
        holdout_days: int | None = None,
        months: int = 12,
        discount_rate: float = 0.01,
        n_boot: int = 1000,
        n_draws: int = 100,
        seed: int = 0,
        penalizer: float = 0.0,
    ):
        if model not in MODEL_CHOICES:
            raise NotReadyError(unknown_model(model))
        self.model_name = model
        self.time_unit = time_unit
        self.holdout_days = holdout_days
        self.months = months
        self.discount_rate = discount_rate
        self.n_boot = n_boot
        self.n_draws = n_draws
        self.seed = seed
        self.penalizer = penalizer

    def config(self) -> dict:
        return {
            "use_case": self.name,
            "model": self.model_name,
            "time_unit": self.time_unit,
            "holdout_days": self.holdout_days,
            "months": self.months,
            "discount_rate": self.discount_rate,
            "n_boot": self.n_boot,
            "n_draws": self.n_draws,
            "seed": self.seed,
            "penalizer": self.penalizer,
        }

    def baseline(self) -> PastRateBaseline:
        return PastRateBaseline()

    def model(self, name: str | None = None):
        """A fresh purchase model: ``name``, or the configured one (``auto`` needs :meth:`choose` first)."""
        name = name or self.model_name
        if name == AUTO:
            raise NotReadyError(
                say(
                    "model 'auto' is chosen from the data: call choose(...) first",
                    "das Modell 'auto' wird aus den Daten gewählt: zuerst choose(...) aufrufen",
                )
            )
        return MODELS[name](penalizer=self.penalizer)

    def choose(self, days: pd.DataFrame, calibration_end, fits: dict | None = None) -> dict:
        """The model choice on customer-days up to ``calibration_end`` (see :mod:`.choice`); forced when not auto."""
        if self.model_name != AUTO:
            return {
                "chosen": self.model_name,
                "method": "asked for",
                "reason": asked_for(MODEL_WORDS[self.model_name], self.model_name),
            }
        return choose_model(
            days, "customer_id", "day", calibration_end, self.time_unit, penalizer=self.penalizer, fits=fits
        )

    def dataset(self, wh, as_of=None, *, observation_end=None) -> pd.DataFrame:
        """Per-customer summary at ``as_of`` (calibration end), with holdout columns up to ``observation_end``."""
        days = customer_days(wh, observation_end or as_of)
        return summary_data(
            days, "customer_id", "day", "revenue", as_of, observation_end, self.time_unit, source="orders"
        )

    def _split(self, wh) -> tuple[pd.Timestamp, pd.Timestamp]:
        days = customer_days(wh)
        first, last = days["day"].min(), days["day"].max()
        span = (last - first).days
        if span < self.requires.min_history_days:
            raise NotReadyError(
                say(
                    "the orders span {span:,} days ({first} to {last}); CLV needs at least {need:,.0f}",
                    "die Bestellungen umfassen {span:,} Tage ({first} bis {last}); CLV braucht mindestens {need:,.0f}",
                    span=span,
                    first=first,
                    last=last,
                    need=self.requires.min_history_days,
                )
            )
        hold = self.holdout_days or int(min(365, max(28, span // 3)))
        return last - pd.Timedelta(days=hold), last

    def evaluate(self, wh, *, progress: Progress | None = None, source: str | None = None) -> ClvEvaluation:
        """Calibration / holdout evaluation on the warehouse's orders (record with verdict)."""
        data = {"source": source or f"{getattr(wh, 'url', 'warehouse')}#orders", "fingerprint": None, "rows": None}
        try:
            cal_end, obs_end = self._split(wh)
            days = customer_days(wh, obs_end)
            summary = summary_data(
                days, "customer_id", "day", "revenue", cal_end, obs_end, self.time_unit, source="orders"
            )
            data["rows"] = int(summary.attrs.get("n_orders", 0))
            data["fingerprint"] = fingerprint_frame(
                summary.reset_index()[["frequency", "recency", "T", "frequency_holdout"]]
            )
            data["customers"] = int(len(summary))
            choice = None
            if self.model_name == AUTO:
                try:
                    choice = self.choose(days, cal_end)
                except NotReadyError:
                    choice = None  # too short for a validation cut: the likelihood decides
            ev = evaluate_summary(
                summary,
                model=self.model_name,
                choice=choice,
                n_boot=self.n_boot,
                seed=self.seed,
                data=data,
                penalizer=self.penalizer,
                progress=progress,
            )
            add_curves(ev, days, "customer_id", "day", summary)
            return ev
        except NotReadyError as exc:
            return ClvEvaluation(record=not_ready_record(message(exc), data))

    def train(self, wh, *, progress: Progress | None = None, source: str | None = None) -> Any:
        """Evaluate (the record) and fit the final models on all the data; returns a lifecycle ``TrainResult``."""
        from nomagic.lifecycle.usecase import TrainResult

        ev = self.evaluate(wh, progress=progress, source=source)
        return TrainResult(
            record=ev.record,
            model=ev.models.get(ev.record.get("model", {}).get("name", self.model_name)),
            baseline=self.baseline(),
            plan=None,
            config=self.config(),
        )

    def score(self, wh, as_of=None, *, progress: Progress | None = None) -> pd.DataFrame:
        """Scores for every customer known at ``as_of`` (default: the last order day); see :data:`SCORE_COLUMNS`."""
        tick = progress or (lambda f, m: None)
        tick(0.0, say("reading orders", "Bestellungen werden gelesen"))
        days, left = consent.keep_allowed(wh, customer_days(wh, as_of), consent.PROFILING)
        if days.empty:
            raise consent.nobody_profilable(left, say("customer lifetime value", "den Kundenwert"))
        summary = summary_data(days, "customer_id", "day", "revenue", as_of, None, self.time_unit, source="orders")
        as_of_day = pd.Timestamp(summary.attrs["calibration_end"])
        x = summary["frequency"].to_numpy(float)
        tx = summary["recency"].to_numpy(float)
        TT = summary["T"].to_numpy(float)
        tick(0.1, say("choosing the purchase model", "das Kaufmodell wird gewählt"))
        name = self.model_name
        if name == AUTO:
            try:
                name = self.choose(days, as_of_day)["chosen"]
            except NotReadyError:  # too short for a validation cut: the likelihood decides
                fits = {k: self.model(k).fit(x, tx, TT) for k in MODELS}
                name = max(fits, key=lambda k: fits[k].log_likelihood_)
        tick(0.2, say("fitting the purchase model", "das Kaufmodell wird angepasst"))
        model = self.model(name).fit(x, tx, TT)
        tick(0.4, say("fitting the spend model", "das Ausgabenmodell wird angepasst"))
        spend = GammaGammaModel(penalizer=self.penalizer).fit(summary["spend_days"], summary["monetary_value"])
        unit = TIME_UNITS[self.time_unit]
        out = pd.DataFrame({"customer_id": summary.index.astype(str), "as_of": as_of_day})
        out["frequency"] = x.astype(int)
        out["recency"] = tx
        out["T"] = TT
        out["p_alive"] = model.probability_alive(x, tx, TT)
        out["expected_orders_90d"] = model.conditional_expected_purchases(90 / unit, x, tx, TT)
        out["expected_orders_365d"] = model.conditional_expected_purchases(365 / unit, x, tx, TT)
        tick(0.6, say("CLV with intervals", "CLV mit Intervallen"))
        clv = customer_lifetime_value(
            model,
            spend,
            x,
            tx,
            TT,
            summary["monetary_value"].to_numpy(float),
            summary["spend_days"].to_numpy(float),
            months=self.months,
            discount_rate=self.discount_rate,
            time_unit=self.time_unit,
            n_draws=self.n_draws,
            seed=self.seed,
        )
        out["expected_spend"] = clv["expected_spend"].to_numpy()
        for c in ("clv", "clv_low", "clv_high"):
            out[c] = clv[c].to_numpy()
        out["model"] = name
        out.attrs["params"] = {"transactions": model.params_, "spend": spend.params_}
        out.attrs["warnings"] = list(summary.attrs.get("warnings", [])) + ([left.words] if left else [])
        out.attrs["left_out"] = days.attrs["left_out"]
        tick(1.0, say("done", "fertig"))
        return out.reset_index(drop=True)

    def write_scores(
        self, wh, as_of=None, *, table: str = SCORES_TABLE, progress: Progress | None = None
    ) -> pd.DataFrame:
        """Score and write the scores table (replacing it); only customers who may be profiled (asked again here,
        so the table never holds anyone else; ``attrs["left_out"]`` says how many were left out)."""
        df = self.score(wh, as_of, progress=progress)
        df, _ = consent.keep_allowed(wh, df, consent.PROFILING)  # the last gate before the table
        wh.write(table, df)
        return df


__all__ = ["SCORES_TABLE", "SCORE_COLUMNS", "Clv", "customer_days"]
