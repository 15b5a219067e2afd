"""Bidding judged honestly: fit on the earlier days of a log, replay the later days at fixed budgets.

* **Split**: the last whole days holding about 30 % of the rows are the test; every model and every
  parameter is fitted on the days before (the click model picks and calibrates its candidate on the
  later days *of the training part*).
* **Strategies**, all at the same budget (1/4 and 1/16 of the test days' cost): the best constant bid,
  linear and ORTB bidding on a one-hot logistic regression (the literature's reference), and nomagic
  (the chosen click model, the price model and the Lagrangian bid). The constant and the reference
  strategies take their scale from replaying the training days at the same budget fraction; nomagic's
  λ comes from the price model's expected spend over the test requests (it sees their features, never
  their prices or outcomes).
* **Replay**: the iPinYou protocol over the test days' auctions with a known price (for a censored bid
  log, those the logging bidder won: the price model is then asked for the price *given that it was
  below the logged bid*, which is what those rows are). KPIs with 95 % CIs over days (bootstrap, days
  paired between strategies).
* **Gate**: nomagic against the best constant bid on the KPI at 1/4 of the cost: promoted only when the
  CI of the difference lies above zero.
* **Truth** (the simulator only): the true click probability and market price of *every* test request
  are known, so the bids are also replayed over all of them with their true prices and judged on
  expected clicks, next to the oracle that knows both (greedy by click probability per price: an upper
  bound); nothing is fitted on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nomagic.errors import NotReadyError
from nomagic.lifecycle.gate import NOT_READY, gate
from nomagic.lifecycle.record import fingerprint_frame, make_record
from nomagic.usecases.bidding import ctr, price, strategies
from nomagic.usecases.bidding import model as bid_model
from nomagic.usecases.bidding import replay as rp
from nomagic.usecases.bidding.logs import BID, CLICK, CONVERSION, PRICE, TIME, BidLog, later_days
from nomagic.words import Text, say

USE_CASE = "bidding"
SHARES = (1 / 4, 1 / 16)
REFERENCE = ("constant", "linear_lr", "ortb_lr")
QUESTION = say(
    "Which impressions should we buy, and at what bid, to get the most clicks for the budget?",
    "Welche Impressionen sollen wir zu welchem Gebot kaufen, um mit dem Budget die meisten Klicks zu bekommen?",
)
NAMES = {
    "nomagic": Text(
        "nomagic (click and price models, Lagrangian bid)", "nomagic (Klick- und Preismodell, Lagrange-Gebot)"
    ),
    "constant": Text("best constant bid", "bestes konstantes Gebot"),
    "linear_lr": Text("linear bid on logistic regression", "lineares Gebot auf logistischer Regression"),
    "ortb_lr": Text("ORTB bid on logistic regression", "ORTB-Gebot auf logistischer Regression"),
    "oracle": Text("oracle (true click rate and price known)", "Orakel (wahre Klickrate und Preis bekannt)"),
}


@dataclass
class BiddingEvaluation:
    record: dict
    model: bid_model.BidModel | None = None

    @property
    def verdict(self) -> str:
        return self.record["verdict"]


class _BelowLoggedBid:
    """The price model for rows of a bid log that the logging bidder won: their price is known to be below the
    logged bid, so ask for ``E[P · 1{P < b} | P < logged]`` and ``P(P < b | P < logged)``."""

    def __init__(self, model: price.PriceModel, logged: np.ndarray):
        self.model, self.logged = model, np.asarray(logged, dtype=float)

    def _parts(self, frame, bids):
        mu, sigma = self.model.params(frame)
        cap = np.minimum(np.asarray(bids, dtype=float), self.logged)
        below = np.maximum(price.lognormal_win_prob(mu, sigma, self.logged), 1e-12)
        return mu, sigma, cap, below

    def win_prob(self, frame, bids) -> np.ndarray:
        mu, sigma, cap, below = self._parts(frame, bids)
        return price.lognormal_win_prob(mu, sigma, cap) / below

    def expected_cost(self, frame, bids) -> np.ndarray:
        mu, sigma, cap, below = self._parts(frame, bids)
        return price.lognormal_expected_cost(mu, sigma, cap) / below


def not_ready_record(reason, data: dict) -> dict:
    return make_record(
        use_case=USE_CASE,
        data=data,
        split={"kind": "none"},
        primary_metric="clicks",
        metrics={},
        verdict=NOT_READY,
        explanation=reason,
    )


def evaluate_log(
    log: BidLog,
    *,
    kpi: str = "clicks",
    shares=SHARES,
    test_share: float = 0.3,
    truth: pd.DataFrame | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    data: dict | None = None,
    progress=None,
) -> BiddingEvaluation:
    """The record of one evaluation (see the module docstring); ``truth`` (simulator): ``imp_id, ctr,
    market_price`` for every request."""
    tick = progress or (lambda f, m: None)
    data = {"source": log.source, "rows": len(log), **(data or {})}
    data.setdefault("fingerprint", fingerprint_frame(log.frame))
    bid_model.check_kpi(kpi, log)
    test_mask, split = later_days(log.frame[TIME], test_share)
    train, test = log.select(~test_mask), log.select(test_mask)
    outcome = CLICK if kpi == "clicks" else CONVERSION
    known = np.isfinite(test.frame[PRICE].to_numpy(float))
    if known.sum() < 100 or not np.nansum(test.frame.loc[known, outcome].to_numpy(float)):
        raise NotReadyError(
            say(
                "the test days hold {n:,} auctions with a known price and no {kpi}; more log is needed",
                "die Testtage enthalten {n:,} Auktionen mit bekanntem Preis und keine {kpi}; mehr Log ist nötig",
                n=int(known.sum()),
                kpi=kpi,
            )
        )
    tick(
        0.05,
        say(
            "fitting the click and price models on the training days",
            "Klick- und Preismodell auf den Trainingstagen anpassen",
        ),
    )
    nm = bid_model.fit(train, kpi=kpi, seed=seed, progress=lambda f, m: tick(0.05 + 0.5 * f, m))
    tick(0.55, say("the reference: logistic regression", "die Referenz: logistische Regression"))
    lr_click = ctr.fit_baseline(train, CLICK)
    lr_conv = ctr.fit_baseline(train, CONVERSION) if kpi == "conversions" else None

    def lr_value(frame):
        v = lr_click.predict(frame)
        return v * lr_conv.predict(frame) if lr_conv is not None else v

    tr_known = np.isfinite(train.frame[PRICE].to_numpy(float))
    tr = train.frame[tr_known]
    train_log = strategies.TrainingLog(lr_value(tr), tr[PRICE].to_numpy(float), tr[outcome].to_numpy(float))
    rows = test.frame[known].reset_index(drop=True)
    prices = rows[PRICE].to_numpy(float)
    cost = float(prices.sum())
    price_given = _BelowLoggedBid(nm.price, rows[BID].to_numpy(float)) if BID in rows and log.censored else nm.price
    values = {"nomagic": nm.value(rows)[0], "lr": lr_value(rows)}
    expected = _true_ctr(rows, truth)

    budgets, days = [], {}
    for i, share in enumerate(shares):
        tick(
            0.6 + 0.3 * i / len(shares),
            say("replaying at {s:.2%} of the cost", "Replay bei {s:.2%} der Kosten", s=share),
        )
        budget = share * cost
        bids = {
            "nomagic": strategies.plan_bids(
                "lagrangian", values["nomagic"], budget, price_model=price_given, frame=rows
            ).bids,
            **{
                name: strategies.plan_bids(kind, values["lr"], budget, train=train_log, request_cost=cost).bids
                for name, kind in (("constant", "constant"), ("linear_lr", "linear"), ("ortb_lr", "ortb"))
            },
        }
        runs = {
            name: rp.replay(
                b,
                prices,
                rows[CLICK].to_numpy(float),
                budget,
                conversions=rows[CONVERSION].to_numpy(float) if CONVERSION in rows else None,
                expected_clicks=expected,
                timestamps=rows[TIME],
            )
            for name, b in bids.items()
        }
        days[share] = {name: r.days for name, r in runs.items()}
        budgets.append(
            {
                "share": share,
                "budget": budget,
                "strategies": {
                    name: {
                        **{k: _num(v) for k, v in r.kpis().items()},
                        f"{kpi}_ci": rp.kpi_ci(r.days, kpi, n_boot=n_boot, seed=seed),
                    }
                    for name, r in runs.items()
                },
                "vs": {
                    ref: rp.difference_ci(
                        runs["nomagic"].days, runs[ref].days, kpi, relative=True, n_boot=n_boot, seed=seed
                    )
                    for ref in REFERENCE
                },
            }
        )
    tick(0.92, say("judging against the truth", "Abgleich mit der Wahrheit"))
    judged = _judge_on_truth(test.frame, truth, nm, lr_value, train, shares, n_boot=n_boot, seed=seed)
    if judged is not None:  # the simulator: judged on expected clicks over every request, a far sharper yardstick
        primary, d = "expected_clicks", judged.pop("days")
        on = say(
            "the true click rates and prices of all {n:,} test requests at {s:.0%} of their cost",
            "den wahren Klickraten und Preisen aller {n:,} Testanfragen bei {s:.0%} ihrer Kosten",
            n=judged["auctions"],
            s=shares[0],
        )
    else:
        primary, d = kpi, days[shares[0]]
        on = say(
            "the replay of {n:,} test auctions at {s:.0%} of their cost",
            "dem Replay von {n:,} Testauktionen bei {s:.0%} ihrer Kosten",
            n=len(rows),
            s=shares[0],
        )
    metrics = {
        "model": {primary: rp.kpi_ci(d["nomagic"], primary, n_boot=n_boot, seed=seed)},
        "baseline": {primary: rp.kpi_ci(d["constant"], primary, n_boot=n_boot, seed=seed)},
        "improvement": {primary: rp.difference_ci(d["nomagic"], d["constant"], primary, n_boot=n_boot, seed=seed)},
    }
    result = gate(metrics, primary, model_words=NAMES["nomagic"], baseline_words=NAMES["constant"], compared_on=on)
    explanation = result.explanation
    if judged is not None:  # how close to the best possible: the oracle that knows every click rate and price
        top = judged["budgets"][0]
        explanation = (
            explanation
            + " "
            + say(
                "Of the clicks an oracle would buy with the same budget (knowing every true click rate and price), "
                "nomagic buys {nm:.0%}, the best constant bid {c:.0%}, linear bidding on a logistic regression {lin:.0%}.",
                "Von den Klicks, die ein Orakel mit demselben Budget kaufen würde (es kennt jede wahre Klickrate und jeden "
                "Preis), kauft nomagic {nm:.0%}, das beste konstante Gebot {c:.0%}, lineares Bieten auf logistischer "
                "Regression {lin:.0%}.",
                nm=top["strategies"]["nomagic"]["oracle_share"] or 0.0,
                c=top["strategies"]["constant"]["oracle_share"] or 0.0,
                lin=top["strategies"]["linear_lr"]["oracle_share"] or 0.0,
            )
        )
    pacing = {
        "share": shares[0],
        "budget": float((judged or {}).get("budgets", [{}])[0].get("budget") or budgets[0]["budget"]),
        "days": [str(pd.Timestamp(x).date()) for x in d["nomagic"].index],
        "spend": {name: [float(v) for v in frame["spend"].cumsum()] for name, frame in d.items()},
    }
    record = make_record(
        use_case=USE_CASE,
        data=data,
        split={**split, "test_auctions_with_price": len(rows), "test_cost": cost},
        primary_metric=primary,
        metrics=metrics,
        verdict=result.verdict,
        explanation=explanation,
        params={"kpi": kpi, "shares": list(shares), "live_lambda": nm.lam},
        scorer="model" if result.promoted else "baseline",
        model={"kind": nm.click.name, "features": list(log.features), "price_model": nm.price.name},
        question=QUESTION,
        budgets=budgets,
        click_model=nm.click.report,
        price_model=nm.price.report,
        truth=judged,
        pacing=pacing,
        landscape=_landscape(nm, rows, truth if judged is not None else None, test.frame),
    )
    tick(1.0, say("done", "fertig"))
    return BiddingEvaluation(record=record, model=nm)


def _landscape(nm, rows: pd.DataFrame, truth, test: pd.DataFrame, points: int = 25) -> dict:
    """The bid landscape: the share of auctions a bid wins, as the price model sees it and as observed (the true
    prices of every test request on the simulator; else the test auctions with a known price), and where
    nomagic's bids fall."""
    frame = test if truth is not None else rows
    if truth is not None:
        observed = frame["imp_id"].map(truth.set_index("imp_id")["market_price"]).to_numpy(float)
    else:
        observed = rows[PRICE].to_numpy(float)
    observed = observed[np.isfinite(observed)]
    if not len(observed):
        return {}
    hi = float(np.quantile(observed, 0.99)) * 1.2
    grid = np.linspace(hi / points, hi, points)
    sample = frame.sample(min(len(frame), 20_000), random_state=0) if len(frame) > 20_000 else frame
    bids, _ = nm.bid_frame(sample)
    return {
        "bid": [round(float(b), 6) for b in grid],
        "win_rate_model": [float(nm.price.win_prob(sample, np.full(len(sample), b)).mean()) for b in grid],
        "win_rate_observed": [float((observed < b).mean()) for b in grid],
        "observed_from": "truth" if truth is not None else "known prices",
        "nomagic_bid_quantiles": {q: float(np.quantile(bids, float(q))) for q in ("0.1", "0.5", "0.9")}
        if len(bids)
        else {},
    }


def _num(v):
    if v is None:
        return None
    v = float(v)
    return v if np.isfinite(v) else None


def _true_ctr(rows: pd.DataFrame, truth: pd.DataFrame | None) -> np.ndarray | None:
    if truth is None:
        return None
    return rows["imp_id"].map(truth.set_index("imp_id")["ctr"]).to_numpy(float)


def oracle_wins(ctr_true: np.ndarray, prices: np.ndarray, budget: float) -> np.ndarray:
    """The impressions an oracle buys: best click probability per price first, while the budget lasts."""
    order = np.argsort(-(ctr_true / np.maximum(prices, 1e-12)), kind="stable")
    take = np.cumsum(prices[order]) <= budget
    won = np.zeros(len(prices), dtype=bool)
    won[order[take]] = True
    return won


def _judge_on_truth(test: pd.DataFrame, truth, nm, lr_value, train: BidLog, shares, *, n_boot, seed) -> dict | None:
    """Every test request with its true price and click probability (simulator): each strategy's expected
    clicks, with their share of the oracle's, at each budget. The reference strategies are tuned on the
    training days' *true* prices and click rates (as if that log were uncensored: generous to them);
    nomagic keeps what it learnt from the censored log."""
    if truth is None or not {"imp_id", "ctr", "market_price"} <= set(truth.columns):
        return None
    t = truth.set_index("imp_id")
    true_price = test["imp_id"].map(t["market_price"]).to_numpy(float)
    true_ctr = test["imp_id"].map(t["ctr"]).to_numpy(float)
    tr = train.frame
    tuned_on = strategies.TrainingLog(
        lr_value(tr), tr["imp_id"].map(t["market_price"]).to_numpy(float), tr["imp_id"].map(t["ctr"]).to_numpy(float)
    )
    if not (np.isfinite(true_price).all() and np.isfinite(tuned_on.market_price).all()):
        return None
    cost = float(true_price.sum())
    nm_value, lr = nm.value(test)[0], lr_value(test)
    out, first_days = [], None
    for share in shares:
        budget = share * cost
        bids = {
            "nomagic": strategies.plan_bids("lagrangian", nm_value, budget, price_model=nm.price, frame=test).bids,
            **{
                name: strategies.plan_bids(kind, lr, budget, train=tuned_on, request_cost=cost).bids
                for name, kind in (("constant", "constant"), ("linear_lr", "linear"), ("ortb_lr", "ortb"))
            },
        }
        oracle = float(true_ctr[oracle_wins(true_ctr, true_price, budget)].sum())
        row = {"share": share, "budget": budget, "oracle_expected_clicks": oracle, "strategies": {}}
        runs = {
            name: rp.replay(b, true_price, np.zeros(len(b)), budget, expected_clicks=true_ctr, timestamps=test[TIME])
            for name, b in bids.items()
        }
        for name, r in runs.items():
            row["strategies"][name] = {
                "expected_clicks": rp.kpi_ci(r.days, "expected_clicks", n_boot=n_boot, seed=seed),
                "oracle_share": r.expected_clicks / oracle if oracle else None,
                "spend": r.spend,
            }
        row["vs"] = {
            ref: rp.difference_ci(
                runs["nomagic"].days, runs[ref].days, "expected_clicks", relative=True, n_boot=n_boot, seed=seed
            )
            for ref in REFERENCE
        }
        first_days = first_days or {name: r.days for name, r in runs.items()}
        out.append(row)
    return {"auctions": len(test), "cost": cost, "budgets": out, "days": first_days}


__all__ = ["NAMES", "QUESTION", "SHARES", "BiddingEvaluation", "evaluate_log", "not_ready_record", "oracle_wins"]
