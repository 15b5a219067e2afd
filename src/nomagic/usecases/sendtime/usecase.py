"""The send-time use case on the warehouse: evaluate on later sends, then score every customer.

* **Data**: the ``messages`` table (treated messages: ``customer_id, sent_at, opened_at, clicked_at``),
  with the customer's ``country`` from ``customers`` as the segment; read with one Ibis expression.
* **Evaluation**: the model learns from the sends before a cutoff and is judged on the later ones,
  whose send hour was random, against "everyone at the global best hour" (see :mod:`.evaluate`).
* **Scores** (table ``sendtime_scores``): per customer, the best hour and weekday, the confidence, the
  expected open rate at that hour and at the global best hour.
* **Consent**: a customer's hours are a profile used to time e-mails, so only customers who may be profiled
  *and* e-mailed are learned from and scored (:mod:`nomagic.privacy.consent` decides, in :meth:`SendTime.dataset`);
  ``attrs["left_out"]`` says how many were left out.

Examples
--------
>>> SendTime.name, SendTime.primary_metric
('sendtime', 'open_rate')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from nomagic.errors import NotReadyError
from nomagic.privacy import consent
from nomagic.usecases.features import MACHINE_OPEN_SECONDS
from nomagic.usecases.sendtime.data import MachineFilter, warehouse_log
from nomagic.usecases.sendtime.evaluate import QUESTION, SendTimeEvaluation, evaluate_log, not_ready_record
from nomagic.usecases.sendtime.model import WEEKDAY_NAMES, SendTimeModel
from nomagic.warehouse.readiness import Requirements
from nomagic.words import say

Progress = Callable[[float, str], None]
SCORES_TABLE = "sendtime_scores"
#: what a send-time slot needs: a profile of the customer's hours, used for e-mail
PURPOSES = consent.purposes_for(SCORES_TABLE)
SCORE_COLUMNS = (
    "customer_id",
    "as_of",
    "best_hour",
    "best_weekday",
    "confidence",
    "sends_seen",
    "expected_open_rate",
    "global_hour_open_rate",
    "machine_opener",
    "segment",
)


class SendTime:
    """Send-time optimisation: each customer's best hour (and weekday) from their past human opens.

    Parameters
    ----------
    test_share : share of the period held out (the latest sends).
    tolerance_hours : 0 = judge on held-out sends at exactly the chosen hour; 1 = within an hour.
    machine_seconds, machine_share : the machine-open filter (see :class:`~.data.MachineFilter`).
    segment : the ``customers`` column used as segment (``None`` for none).
    n_boot, seed : bootstrap resamples and seed.
    """

    name: ClassVar[str] = "sendtime"
    title: ClassVar[str] = say("Send-time optimisation", "Versandzeit-Optimierung")
    question: ClassVar[str] = QUESTION
    primary_metric: ClassVar[str] = "open_rate"
    requires: ClassVar[Requirements] = Requirements(
        tables={"messages": ["customer_id", "sent_at", "opened_at", "clicked_at"]},
        min_history_days=60,
        min_units=100,
        units="messages.customer_id",
        history_tables=("messages",),
        description=say(
            "e-mails of at least 100 customers over at least 60 days, sent at varying hours",
            "E-Mails an mindestens 100 Kunden über mindestens 60 Tage, zu wechselnden Stunden versandt",
        ),
    )

    def __init__(
        self,
        *,
        test_share: float = 0.25,
        tolerance_hours: int = 0,
        machine_seconds: float = MACHINE_OPEN_SECONDS,
        machine_share: float = 0.5,
        segment: str | None = "country",
        n_boot: int = 1000,
        seed: int = 0,
    ):
        self.test_share = test_share
        self.tolerance_hours = tolerance_hours
        self.machine_seconds = machine_seconds
        self.machine_share = machine_share
        self.segment = segment
        self.n_boot = n_boot
        self.seed = seed

    def config(self) -> dict:
        return {
            "use_case": self.name,
            "test_share": self.test_share,
            "tolerance_hours": self.tolerance_hours,
            "machine_seconds": self.machine_seconds,
            "machine_share": self.machine_share,
            "segment": self.segment,
            "n_boot": self.n_boot,
            "seed": self.seed,
        }

    def machine(self) -> MachineFilter:
        return MachineFilter(machine_seconds=self.machine_seconds, machine_share=self.machine_share)

    def model(self) -> SendTimeModel:
        return SendTimeModel()

    def dataset(self, wh, as_of=None) -> pd.DataFrame:
        """The send log up to ``as_of`` (exclusive), machine opens marked; only customers who may be profiled and
        e-mailed (``attrs["left_out"]``: how many were left out, and why)."""
        log, left = consent.keep_allowed(wh, warehouse_log(wh, self.segment), PURPOSES)
        if log.empty and left:
            raise NotReadyError(
                say(
                    "no customer with sent e-mails may be profiled and e-mailed ({why}); send times need customers "
                    "with consent_profiling and consent_email = true (see docs/privacy.md)",
                    "kein Kunde mit versandten E-Mails darf profiliert und angeschrieben werden ({why}); Sendezeiten "
                    "brauchen Kunden mit consent_profiling und consent_email = true (siehe docs/privacy.md)",
                    why=left.words,
                )
            )
        if as_of is not None:
            log = log[log["sent_at"] < pd.Timestamp(as_of)]
        if log.empty:
            if as_of is not None:
                raise NotReadyError(
                    say(
                        "the messages table has no sent e-mails before {d}",
                        "Die Tabelle messages hat keine vor dem {d} versandten E-Mails",
                        d=pd.Timestamp(as_of),
                    )
                )
            raise NotReadyError(
                say("the messages table has no sent e-mails", "Die Tabelle messages hat keine versandten E-Mails")
            )
        return log

    def evaluate(self, wh, *, progress: Progress | None = None, source: str | None = None) -> SendTimeEvaluation:
        src = source or f"{getattr(wh, 'url', 'warehouse')}#messages"
        try:
            log = self.dataset(wh)
        except NotReadyError as exc:
            reason = exc.args[0] if exc.args else str(exc)
            return SendTimeEvaluation(not_ready_record(reason, {"source": src, "fingerprint": None, "rows": 0}))
        ev = evaluate_log(
            log,
            test_share=self.test_share,
            tolerance_hours=self.tolerance_hours,
            machine=self.machine(),
            model=self.model(),
            n_boot=self.n_boot,
            seed=self.seed,
            source=src,
            progress=progress,
        )
        ev.record["data"]["tables"] = ["messages"] + (["customers"] if self.segment else [])
        return ev

    def train(self, wh, *, progress: Progress | None = None, source: str | None = None) -> Any:
        """Evaluate (the record) and fit the final model on all sends; returns a lifecycle ``TrainResult``."""
        from nomagic.lifecycle.usecase import TrainResult

        ev = self.evaluate(wh, progress=progress, source=source)
        final = None
        if ev.verdict != "not ready":
            log = self.dataset(wh)
            final = self.model().fit(self.machine().engagement(log))
        return TrainResult(record=ev.record, model=final, baseline=None, plan=None, config=self.config())

    def score(self, wh, as_of=None, *, progress: Progress | None = None) -> pd.DataFrame:
        """Best hour / weekday and confidence for every customer with sends before ``as_of``; see
        :data:`SCORE_COLUMNS`. When the model was not promoted, ``best_hour`` is still the model's choice and
        the record says whether to trust it; ``global_best_hour`` is in ``attrs``."""
        tick = progress or (lambda f, m: None)
        tick(0.0, say("reading messages", "Nachrichten lesen"))
        log = self.dataset(wh, as_of)
        mf = self.machine()
        machines = mf.machine_customers(log)
        eng = mf.engagement(log, machines)
        tick(0.3, say("learning each customer's hours", "die Stunden jedes Kunden lernen"))
        model = self.model().fit(eng)
        cust = model.customers_
        tick(0.7, say("scoring", "bewerten"))
        hour = model.best_hour(cust)
        conf, own = model.confidence(cust)
        R = model.rates(cust)
        out = pd.DataFrame({"customer_id": cust.astype(str)})
        out["as_of"] = pd.Timestamp(as_of) if as_of is not None else log["sent_at"].max().ceil("D")
        out["best_hour"] = hour.astype(int)
        wd = model.best_weekday(cust)
        out["best_weekday"] = pd.Series(
            np.array(WEEKDAY_NAMES)[wd] if model.weekday_learnable_ else [None] * len(cust), dtype="string"
        )
        out["confidence"] = conf.round(4)
        out["sends_seen"] = own.astype(int)
        out["expected_open_rate"] = R[np.arange(len(cust)), hour].round(5)
        out["global_hour_open_rate"] = R[:, model.global_best_hour_].round(5)
        out["machine_opener"] = out["customer_id"].isin(machines)
        out["segment"] = model.segments_[model.customer_segment_]
        out.attrs["params"] = model.params()
        out.attrs["left_out"] = dict(log.attrs.get("left_out") or {})
        tick(1.0, say("done", "fertig"))
        return out

    def write_scores(self, wh, as_of=None, *, table: str = SCORES_TABLE, progress: Progress | None = None):
        """Score and write ``table`` (replaced); the policy is asked again before writing, and ``progress``
        hears how many customers were left out."""
        df = self.score(wh, as_of, progress=progress)
        df, _ = consent.keep_allowed(wh, df, PURPOSES)
        left = consent.LeftOut(df.attrs["left_out"])
        if progress and left:
            progress(1.0, left.words)
        wh.write(table, df)
        return df


__all__ = ["SCORES_TABLE", "SCORE_COLUMNS", "SendTime"]
