"""Bidding on the warehouse: the ``ad_requests`` bid log (bid, won, price only when won, click, conversion,
context columns), evaluated on its later days (:mod:`.evaluate`) and kept in the registry for the live
OpenRTB bidder (:func:`.model.load_bidder`).

On a simulated world the truth of every request (true click rate and market price, read through the
simulator) is read after the fits, only to judge them; nothing is fitted or tuned on it.

Examples
--------
>>> Bidding.name, Bidding.primary_metric
('bidding', 'clicks')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pandas as pd

from nomagic.errors import InputError, NotReadyError
from nomagic.usecases.bidding.evaluate import QUESTION, BiddingEvaluation, evaluate_log, not_ready_record
from nomagic.usecases.bidding.logs import from_ad_requests
from nomagic.warehouse.readiness import Requirements
from nomagic.words import say

Progress = Callable[[float, str], None]
TABLE = "ad_requests"


class Bidding:
    """Click prediction, market price and bidding under a budget on the logged auctions.

    Parameters
    ----------
    kpi : ``clicks`` or ``conversions``.
    judge_on_truth : on a simulated world, judge on the true click rates and prices (default).
    n_boot, seed : bootstrap resamples (over days) and seed.
    """

    name: ClassVar[str] = "bidding"
    title: ClassVar[str] = say("Programmatic bidding", "Programmatisches Bieten")
    question: ClassVar[str] = QUESTION
    primary_metric: ClassVar[str] = "clicks"
    requires: ClassVar[Requirements] = Requirements(
        tables={TABLE: ["request_id", "occurred_at", "bid", "won", "price", "clicked"]},
        min_history_days=14,
        history_tables=(TABLE,),
        description=say(
            "a bid log (ad_requests) of at least 14 days with bids, wins, prices and clicks",
            "ein Gebotslog (ad_requests) von mindestens 14 Tagen mit Geboten, Zuschlägen, Preisen und Klicks",
        ),
    )

    def __init__(self, *, kpi: str = "clicks", judge_on_truth: bool = True, n_boot: int = 1000, seed: int = 0):
        self.kpi, self.judge_on_truth, self.n_boot, self.seed = kpi, judge_on_truth, n_boot, seed

    def config(self) -> dict:
        return {"kpi": self.kpi, "judge_on_truth": self.judge_on_truth, "n_boot": self.n_boot, "seed": self.seed}

    def dataset(self, wh) -> pd.DataFrame:
        if not wh.has(TABLE):
            raise NotReadyError(
                say(
                    "no table {t}: load a bid log with `nomagic load {t} FILE`",
                    "keine Tabelle {t}: ein Gebotslog mit `nomagic load {t} FILE` laden",
                    t=TABLE,
                )
            )
        return wh.table(TABLE).execute()

    def _truth(self, wh) -> pd.DataFrame | None:
        """The simulator's truth of every request, or None on real data (the simulator owns what it means)."""
        if not self.judge_on_truth:
            return None
        from nomagic.simulate.auctions import true_requests

        return true_requests(wh)

    def evaluate(self, wh, *, progress: Progress | None = None, source: str | None = None) -> BiddingEvaluation:
        data = {"source": source or f"{getattr(wh, 'url', 'warehouse')}#{TABLE}", "tables": [TABLE]}
        try:
            log = from_ad_requests(self.dataset(wh))
            return evaluate_log(
                log,
                kpi=self.kpi,
                truth=self._truth(wh),
                n_boot=self.n_boot,
                seed=self.seed,
                data=data,
                progress=progress,
            )
        except (NotReadyError, InputError) as exc:
            return BiddingEvaluation(record=not_ready_record(exc.args[0] if exc.args else str(exc), data))

    def train(self, wh, *, progress: Progress | None = None, source: str | None = None) -> Any:
        """Evaluate, then fit on the whole log for the live bidder; returns a lifecycle ``TrainResult``."""
        from nomagic.lifecycle.usecase import TrainResult
        from nomagic.usecases.bidding import model as bid_model

        tick = progress or (lambda f, m: None)
        ev = self.evaluate(wh, progress=lambda f, m: tick(0.7 * f, m), source=source)
        final = None
        if ev.verdict != "not ready":
            log = from_ad_requests(self.dataset(wh))
            final = bid_model.fit(log, kpi=self.kpi, seed=self.seed, progress=lambda f, m: tick(0.7 + 0.3 * f, m))
        return TrainResult(
            record=ev.record,
            model=final,
            baseline=None,
            plan=None,
            config=self.config(),
            fingerprint=ev.record["data"].get("fingerprint") or "",
        )


__all__ = ["Bidding"]
