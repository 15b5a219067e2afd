"""The bid model: a click model, an optional conversion model and a market-price model, and the rule that
turns them into a bid; what ``nomagic bid plan`` uses and what the registry keeps for the live bidder.

The rule is the Lagrangian optimum of :mod:`.strategies`: in a second-price auction the bid that maximises
expected clicks (or conversions) for an expected spend is ``value / λ``, where ``value`` is the predicted
click probability (times the conversion probability for the conversions KPI). For a plan, λ is set so that
the price model expects the bids to spend the budget over the whole request file; the live bidder keeps
the λ of its training log at :data:`LIVE_BUDGET_SHARE` of that log's cost and lets the pacer
(:mod:`.pacing`) move the bids from there.

Kept with :mod:`joblib` (``bidder.joblib``): the models are this package's own objects, read back only from
the registry folder that nomagic wrote; never load a bidder file from someone else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from nomagic.errors import InputError, NotReadyError
from nomagic.usecases.bidding import ctr, price, strategies
from nomagic.usecases.bidding.logs import PRICE, BidLog
from nomagic.words import say

KPIS = ("clicks", "conversions")
#: the live bidder's λ: the one that would spend this share of the training log's cost over it
LIVE_BUDGET_SHARE = 0.25
FILE = "bidder.joblib"


@dataclass
class BidModel:
    """What a bid is made of; ``bid_frame`` is the one call the planner and the live bidder make."""

    click: ctr.ClickModel
    price: price.PriceModel
    features: list[str]
    kpi: str = "clicks"
    conversion: ctr.ClickModel | None = None
    lam: float = float("nan")
    currency: str = "EUR"
    version: str = ""
    report: dict = field(default_factory=dict, repr=False)

    def value(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(value per row, click probability per row): the value is the click probability, times the
        conversion probability for the conversions KPI."""
        p_click = self.click.predict(frame)
        if self.kpi == "conversions" and self.conversion is not None:
            return p_click * self.conversion.predict(frame), p_click
        return p_click, p_click

    def bid_frame(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(bid, click probability) per row at the model's λ, in the log's price unit."""
        value, p_click = self.value(frame)
        if not np.isfinite(self.lam) or self.lam <= 0:
            return np.zeros(len(frame)), p_click
        return strategies.lagrangian_bids(value, self.lam), p_click

    def bid_row(self, row: dict) -> tuple[float, float]:
        """(bid, click probability) of one request given as a mapping of column to value: the real-time path,
        a few dozen microseconds where the click model is linear; the same numbers as :meth:`bid_frame`."""
        p_click = self.click.predict_row(row)
        value = p_click
        if p_click is not None and self.kpi == "conversions" and self.conversion is not None:
            p_conv = self.conversion.predict_row(row)
            value = None if p_conv is None else p_click * p_conv
        if value is None:  # a model without a one-row path (trees, blends)
            bids, p = self.bid_frame(pd.DataFrame([row]))
            return float(bids[0]), float(p[0])
        if not np.isfinite(self.lam) or self.lam <= 0:
            return 0.0, p_click
        return float(strategies.lagrangian_bids(np.array([value]), self.lam)[0]), p_click

    def save(self, folder) -> list[Path]:
        import joblib

        path = Path(folder) / FILE
        joblib.dump(self, path, compress=3)
        return [path]

    @classmethod
    def load(cls, folder) -> BidModel:
        import joblib

        return joblib.load(Path(folder) / FILE)


def check_kpi(kpi: str, log: BidLog) -> None:
    if kpi not in KPIS:
        raise InputError(
            say(
                "--kpi must be clicks or conversions, not {k}",
                "--kpi muss clicks oder conversions sein, nicht {k}",
                k=kpi,
            )
        )
    if kpi == "conversions" and ctr.CONVERSION not in log.frame.columns:
        raise InputError(
            say(
                "{src}: the conversions KPI needs a conversion column in the log",
                "{src}: der KPI conversions braucht eine Spalte conversion im Log",
                src=log.source,
            )
        )


def fit(log: BidLog, *, kpi: str = "clicks", progress=None, seed: int = 0) -> BidModel:
    """Fit the click (and conversion) model and the price model on ``log``; λ for the live bidder."""
    tick = progress or (lambda f, m: None)
    check_kpi(kpi, log)
    if not log.won.any():
        raise NotReadyError(
            say(
                "{src}: no won impression, so no click or price was observed",
                "{src}: keine gewonnene Impression, also kein Klick und kein Preis beobachtet",
                src=log.source,
            )
        )
    tick(0.05, say("click model", "Klickmodell"))
    click = ctr.fit_click_model(log, ctr.CLICK, seed=seed)
    conversion = None
    if kpi == "conversions":
        tick(0.45, say("conversion model", "Konversionsmodell"))
        conversion = ctr.fit_click_model(log, ctr.CONVERSION, seed=seed)
    tick(0.6, say("market price model", "Marktpreismodell"))
    prices = price.fit_price_model(log)
    model = BidModel(click, prices, list(log.features), kpi=kpi, conversion=conversion)
    tick(0.85, say("bid level for the live bidder", "Gebotsniveau für den Live-Bieter"))
    replayable = log.frame[np.isfinite(log.frame[PRICE].to_numpy(float))]
    if len(replayable):
        value, _ = model.value(replayable)
        budget = LIVE_BUDGET_SHARE * float(replayable[PRICE].sum())
        model.lam, _ = strategies.solve_lambda(value, prices, replayable, budget)
    model.report = {"click": click.report, "price": prices.report}
    if conversion is not None:
        model.report["conversion"] = conversion.report
    tick(1.0, say("done", "fertig"))
    return model


def plan(model: BidModel, requests: pd.DataFrame, budget: float) -> tuple[pd.DataFrame, strategies.BidPlan]:
    """Bids for ``requests`` that the price model expects to spend ``budget`` over the whole file:
    a frame ``imp_id, bid, p_click`` in request order, and the plan (λ, expected spend, its words)."""
    value, p_click = model.value(requests)
    bid_plan = strategies.plan_bids("lagrangian", value, budget, price_model=model.price, frame=requests)
    out = pd.DataFrame({"imp_id": requests["imp_id"].astype(str).to_numpy(), "bid": bid_plan.bids, "p_click": p_click})
    return out, bid_plan


def load_bidder(url: str | None):
    """The ``bidding`` champion of the registry next to the warehouse at ``url`` if the gate promoted it, else
    None: the live bidder never bids with a model that did not beat the constant bid."""
    from nomagic.lifecycle.registry import Registry

    champion = Registry.for_warehouse(url).champion("bidding")
    if champion is None or champion.meta.get("verdict") != "promoted" or not (champion.folder / FILE).exists():
        return None
    model = BidModel.load(champion.folder)
    model.version = f"bidding {champion.version}"
    return model


__all__ = ["KPIS", "LIVE_BUDGET_SHARE", "BidModel", "fit", "load_bidder", "plan"]
