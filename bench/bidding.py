"""Bidding under a budget (issue #20): nomagic next to the literature's strategies, two logs, one run.

Data sets (truth known in both, so strategies are judged on **expected clicks**: the sum of the true
click probability over the impressions won, far less noisy than the realised clicks):

``simulator``
    The simulator's ``ad_requests`` (a bid log with censoring: the logging bidder bids at random
    around 2.5 EUR CPM; lost auctions show no price and no outcome) and ``truth_ad_requests`` (the true
    CTR, CVR and market price of *every* request). Made by ``nomagic.simulate.auctions`` exactly as
    ``simulate(customers=3_000_000, days=30)`` makes them (the rest of that world is not needed). Models
    learn from the censored log; the test replay runs over **all** test requests at their true prices
    (realised clicks: the logged click where the logger won, else a seeded draw from the true CTR).
``ipinyou_like``
    ``bench/bidding_data.py``: an iPinYou-shaped impression log (1,000,000 rows, 10 days, 5,000 sites
    with Zipf-like frequencies; see its docstring for the design and its sources), read back through
    ``logs.read_log`` as a user's Parquet file. The replay runs over the test days' logged impressions
    (the iPinYou protocol).

Protocol (per data set): the last whole days holding about 30 % of the rows are the test (``logs.later_days``);
everything is fitted and tuned on the earlier days only. Budgets: 1/4 and 1/16 of what buying every test
impression costs. Replay: ``replay.replay`` (log order; a win needs bid > price and the price must fit
what is left of the budget; a win pays the price).

Strategies (value = predicted click probability):

* ``constant``, ``linear_lr``, ``ortb_lr``: the references, on the one-hot logistic regression
  (``ctr.fit_baseline``); their scale is tuned by ``strategies.plan_bids`` replaying the training log at
  the same budget fraction. The tuning replay runs over the training log's own later days (the click
  model's validation days), where its predictions are out of sample: on the days it learnt from, a
  model looks better than it is and the tuned scale would trust it too much. On a censored log (the
  simulator) "the same budget fraction" cannot be a share of the training log's cost, which is only
  known where the logger won (the cheap impressions): the tuning budget there is the test's budget per
  request times the tuning rows (the plain share of the known cost underspends; its result for
  ``linear_lr`` is recorded as ``if_budget_were_share_of_known_cost``).
* ``nomagic``: what ``nomagic bid plan`` does (``model.plan``): the chosen click model
  (``ctr.fit_click_model``) and the market-price model (``price.fit_price_model``) with the
  Lagrangian bid value / λ, λ set so that the price model expects to spend the budget over the test.
* ``linear_nomagic`` (nomagic's click model, linear rule) and ``lagrangian_lr`` (the logistic
  regression, nomagic's rule): the two halves of the 2 x 2, so the model's and the rule's shares of any
  difference can be told apart.
* ``linear_true_ctr``: linear bidding on the *true* CTR, tuned like the others: what a perfect click
  model would give under the linear rule (a reference, not a contender).
* ``oracle``: true CTR and true price of every impression known: the impressions by true CTR / price,
  greedily, while the budget lasts (a knapsack; its LP bound is reported too and is within one
  impression of it). Every strategy's share of the oracle's expected clicks is reported.

Reported: expected and realised clicks, conversions, spend, eCPC (on realised and on expected clicks),
CPA; nomagic / linear_lr on expected (and realised) clicks with a paired bootstrap 95 % CI over test days
(``replay.difference_ci``); the click models' ROC-AUC on the test days (observed clicks; paired row
bootstrap CIs) and against the truth (each row counted as a click with weight p and as none with
1 - p); the time of every fit. The issue's bar: nomagic >= 1.15 x linear_lr at both budgets on expected
clicks, and a better AUC than the logistic regression on the later days.

    python bench/bidding.py [--rows 1000000] [--seed 0] [--cases simulator,ipinyou_like]  -> bench/results/bidding.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
OUT = HERE / "results" / "bidding.json"
FRACTIONS = {"1/4": 0.25, "1/16": 1 / 16}
TEST_SHARE = 0.3
BAR = 1.15
ORDER = (
    "constant",
    "linear_lr",
    "ortb_lr",
    "lagrangian_lr",
    "linear_nomagic",
    "nomagic",
    "linear_true_ctr",
    "oracle",
)

import bidding_data  # noqa: E402


def log_line(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------- data


def simulator_case(seed: int, customers: int, days: int):
    """The simulator's ad_requests as a bid log, and the truth of every request in the log's order."""
    from nomagic.simulate import auctions
    from nomagic.simulate.common import Clock
    from nomagic.simulate.config import DEFAULT
    from nomagic.usecases.bidding.logs import from_ad_requests

    clock = Clock(datetime(2026, 1, 5), days)
    reqs, truths = [], []
    for block, first, size in auctions.blocks(customers, days, DEFAULT.ad_requests_per_customer_year):
        r, t = auctions.make_requests(seed, block, first, size, clock)
        reqs.append(r.to_pandas())
        truths.append(t.to_pandas())
    log = from_ad_requests(pd.concat(reqs, ignore_index=True))
    truth = pd.concat(truths, ignore_index=True).set_index("request_id").reindex(log.frame["imp_id"].to_numpy())
    truth = truth.rename(columns={"ctr": "true_ctr", "cvr": "true_cvr", "market_price": "true_price"})
    about = {
        "source": f"nomagic.simulate.auctions as simulate(customers={customers:,}, days={days}, seed={seed}) makes them",
        "requests": len(log),
        "won_by_logger": int(log.won.sum()),
        "logged_clicks": int(np.nansum(log.frame["click"].to_numpy(float))),
        "true_ctr_mean": round(float(truth["true_ctr"].mean()), 6),
        "true_price_mean": round(float(truth["true_price"].mean()), 4),
        "features": log.features,
    }
    return log, truth.reset_index(drop=True), about


def ipinyou_case(rows: int, seed: int, folder: Path):
    """The generated log, written as Parquet and read back as a user's file would be."""
    from nomagic.usecases.bidding.logs import read_log

    t0 = time.perf_counter()
    frame, truth = bidding_data.generate(rows, seed=seed)
    stats = bidding_data.describe(frame, truth)
    path = folder / "ipinyou_like.parquet"
    frame.to_parquet(path, index=False)
    seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    log = read_log(path)
    stats["seconds_generate"] = round(seconds, 1)
    stats["seconds_read_log"] = round(time.perf_counter() - t0, 1)
    truth = truth.set_index("imp_id").reindex(log.frame["imp_id"].to_numpy()).reset_index(drop=True)
    truth["true_price"] = log.frame["market_price"].to_numpy(float)  # every logged row shows its price
    stats["source"] = f"bench/bidding_data.py --rows {rows} --seed {seed}"
    stats["features"] = log.features
    return log, truth, stats


# ------------------------------------------------------------------------------------------- pieces


def oracle(ctr: np.ndarray, price: np.ndarray, budget: float) -> tuple[np.ndarray, float]:
    """The greedy knapsack by true CTR per unit of price (skipping what no longer fits), and the LP bound."""
    ratio = np.where(price > 0, ctr / np.where(price > 0, price, 1.0), np.inf)
    order = np.argsort(-ratio, kind="stable")
    cost = np.cumsum(price[order])
    k = int(np.searchsorted(cost, budget, side="right"))  # the first k fit
    chosen = np.zeros(len(price), dtype=bool)
    chosen[order[:k]] = True
    bound = float(ctr[order[:k]].sum())
    left = budget - (cost[k - 1] if k else 0.0)
    if k < len(order):
        bound += left * float(ratio[order[k]]) if np.isfinite(ratio[order[k]]) else float(ctr[order[k]])
        for i in order[k:].tolist():  # the rest, in order, where it still fits
            if price[i] <= left:
                chosen[i] = True
                left -= price[i]
    return chosen, bound


def weighted_auc(p_true: np.ndarray, score: np.ndarray) -> float:
    """ROC-AUC against the truth: each row a click with weight p_true and a non-click with weight 1 - p_true."""
    from nomagic.lifecycle.metrics import roc_auc

    y = np.r_[np.ones(len(score)), np.zeros(len(score))]
    return float(roc_auc(y, np.r_[score, score], weights=np.r_[p_true, 1 - p_true]))


def _budget_out(r, prices: np.ndarray, times: np.ndarray, budget: float) -> str | None:
    """When the replay's spend reached 99 % of the budget (None: it never did)."""
    spent = np.cumsum(np.where(r.won, prices, 0.0))
    hit = np.flatnonzero(spent >= 0.99 * budget)
    return str(pd.Timestamp(times[hit[0]])) if len(hit) else None


def _r(x, digits=6):
    if x is None:
        return None
    x = float(x)
    return round(x, digits) if np.isfinite(x) else None


# ------------------------------------------------------------------------------------------- one case


def run_case(name: str, log, truth: pd.DataFrame, about: dict, *, seed: int, n_boot: int, replay_all: bool) -> dict:
    from nomagic.lifecycle.metrics import bootstrap
    from nomagic.lifecycle.models import single_blas
    from nomagic.usecases.bidding import ctr, price, strategies
    from nomagic.usecases.bidding import model as bid_model
    from nomagic.usecases.bidding.logs import later_days
    from nomagic.usecases.bidding.replay import difference_ci, replay

    frame = log.frame
    test, split = later_days(frame["timestamp"], TEST_SHARE)
    train = log.select(~test)
    tf = frame[test].reset_index(drop=True)
    tt = truth[test].reset_index(drop=True)
    log_line(f"{name}: {len(train):,} training rows, {len(tf):,} test rows ({split['validation_from']} on)")

    fits = {}
    t0 = time.perf_counter()
    lr = ctr.fit_baseline(train, seed=seed)
    fits["click_lr"] = {"seconds": round(time.perf_counter() - t0, 1), "validation": lr.report["candidates"]}
    log_line(f"{name}: logistic regression in {fits['click_lr']['seconds']} s")
    t0 = time.perf_counter()
    nm = ctr.fit_click_model(train, seed=seed)
    fits["click_nomagic"] = {
        "seconds": round(time.perf_counter() - t0, 1),
        "chosen": nm.name,
        "validation": nm.report["candidates"],
        "explanation": str(nm.report.get("explanation", "")),
    }
    log_line(f"{name}: nomagic's click model ({nm.name}) in {fits['click_nomagic']['seconds']} s")
    t0 = time.perf_counter()
    pm = price.fit_price_model(train)
    fits["price"] = {
        "seconds": round(time.perf_counter() - t0, 1),
        "model": pm.name,
        "sigma": pm.report["sigma"],
        "validation": pm.report["validation"],
    }
    log_line(f"{name}: price model ({pm.name}) in {fits['price']['seconds']} s")

    # the tuning replay: the training log's later days, where the click models' predictions are out of sample
    tune_from = np.datetime64(pd.Timestamp(lr.report["split"]["validation_from"]))
    tune = train.frame[train.frame["timestamp"].to_numpy() >= tune_from].reset_index(drop=True)
    tune_truth = truth[~test].reset_index(drop=True)[train.frame["timestamp"].to_numpy() >= tune_from]
    tune_price = tune["market_price"].to_numpy(float)
    tune_click = tune["click"].to_numpy(float)
    values = {
        "lr": (lr.predict(tf), lr.predict(tune)),
        "nomagic": (nm.predict(tf), nm.predict(tune)),
        "true_ctr": (tt["true_ctr"].to_numpy(), tune_truth["true_ctr"].to_numpy()),
    }
    training = {k: strategies.TrainingLog(v[1], tune_price, tune_click) for k, v in values.items()}
    # The tuned strategies get the training budget at the same budget fraction: plan_bids takes it as the share of
    # the training log's cost. A censored log shows only the prices the logger paid (the cheap ones), so that share
    # of *its* cost is a far smaller budget per request than the test's, and tuned bids underspend. There the
    # training budget is the test's budget per request instead (what a fraction of the unseen full cost means):
    # request_cost is set so that plan_bids' training budget is budget x tuning rows / test rows.
    tune_cost = training["lr"].cost
    censored_rule = bool(train.censored)

    # what the test replay sees
    p_true = tt["true_ctr"].to_numpy()
    prices = tt["true_price"].to_numpy(float) if replay_all else tf["market_price"].to_numpy(float)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 20, 7]))
    if replay_all:  # all requests: the logged outcome where the logger won, else a draw from the truth
        won = tf["won"].to_numpy(bool)
        drawn = rng.random(len(tf)) < p_true
        clicks = np.where(won, np.nan_to_num(tf["click"].to_numpy(float)), drawn.astype(float))
        conv_drawn = drawn & (rng.random(len(tf)) < tt["true_cvr"].to_numpy())
        conversions = np.where(won, np.nan_to_num(tf["conversion"].to_numpy(float)), conv_drawn.astype(float))
    else:
        clicks = tf["click"].to_numpy(float)
        conversions = tf["conversion"].to_numpy(float) if "conversion" in tf else None
    times = tf["timestamp"].to_numpy()
    test_cost = float(prices.sum())

    request_cost = tune_cost * len(tf) / len(tune) if censored_rule else test_cost

    def run(bids, budget):
        return replay(bids, prices, clicks, budget, conversions, expected_clicks=p_true, timestamps=times)

    budgets = {}
    for label, fraction in FRACTIONS.items():
        budget = fraction * test_cost
        results, extra = {}, {}
        t0 = time.perf_counter()
        chosen, bound = oracle(p_true, prices, budget)
        results["oracle"] = run(np.where(chosen, np.inf, 0.0), budget)
        extra["oracle"] = {"lp_bound_expected_clicks": _r(bound, 3), "seconds": round(time.perf_counter() - t0, 2)}
        plans = {
            "constant": ("constant", "lr"),
            "linear_lr": ("linear", "lr"),
            "ortb_lr": ("ortb", "lr"),
            "linear_nomagic": ("linear", "nomagic"),
            "linear_true_ctr": ("linear", "true_ctr"),
        }
        for sname, (strategy, model_key) in plans.items():
            t0 = time.perf_counter()
            plan = strategies.plan_bids(
                strategy, values[model_key][0], budget, train=training[model_key], request_cost=request_cost, seed=seed
            )
            results[sname] = run(plan.bids, budget)
            extra[sname] = {
                "params": {k: _r(v, 8) for k, v in plan.params.items()},
                "train_replay_spend_share": _r(plan.train_replay.spend / plan.train_replay.budget, 4)
                if plan.train_replay and plan.train_replay.budget
                else None,
                "seconds": round(time.perf_counter() - t0, 2),
            }
        if censored_rule:  # what the plain rule (a share of the known prices' cost) would have given linear_lr
            plan = strategies.plan_bids("linear", values["lr"][0], budget, train=training["lr"], request_cost=test_cost)
            r = run(plan.bids, budget)
            extra["linear_lr"]["if_budget_were_share_of_known_cost"] = {
                "expected_clicks": _r(r.expected_clicks, 3),
                "spend_share_of_budget": _r(r.spend / budget, 4),
            }
        t0 = time.perf_counter()
        with single_blas():
            plan = strategies.plan_bids("lagrangian", values["lr"][0], budget, price_model=pm, frame=tf)
        results["lagrangian_lr"] = run(plan.bids, budget)
        extra["lagrangian_lr"] = {
            "params": {"lambda": _r(plan.params["lambda"], 10)},
            "expected_spend_share": _r(plan.expected_spend / budget, 4),
            "seconds": round(time.perf_counter() - t0, 2),
        }
        t0 = time.perf_counter()
        bm = bid_model.BidModel(click=nm, price=pm, features=list(log.features))
        with single_blas():
            bids_frame, plan = bid_model.plan(bm, tf, budget)
        results["nomagic"] = run(bids_frame["bid"].to_numpy(), budget)
        extra["nomagic"] = {
            "params": {"lambda": _r(plan.params["lambda"], 10)},
            "expected_spend_share": _r(plan.expected_spend / budget, 4),
            "seconds": round(time.perf_counter() - t0, 2),
        }
        best = results["oracle"].expected_clicks
        rows = {}
        for sname in ORDER:
            r = results[sname]
            k = r.kpis()
            rows[sname] = {
                "expected_clicks": _r(k["expected_clicks"], 3),
                "share_of_oracle": _r(k["expected_clicks"] / best, 4) if best else None,
                "clicks": _r(k["clicks"], 1),
                "conversions": _r(k["conversions"], 1),
                "wins": k["wins"],
                "spend": _r(k["spend"], 2),
                "spend_share_of_budget": _r(k["spend"] / budget, 4),
                "ecpc": _r(k["ecpc"], 3),
                "ecpc_expected": _r(k["spend"] / k["expected_clicks"], 3) if k["expected_clicks"] else None,
                "cpa": _r(k["cpa"], 3),
                "budget_out_at": _budget_out(r, prices, times, budget),
                **extra.get(sname, {}),
            }
            if sname not in ("oracle",):
                share = difference_ci(r.days, results["oracle"].days, "expected_clicks", relative=True, seed=seed)
                rows[sname]["share_of_oracle_ci"] = [_r(1 + x, 4) if x is not None else None for x in share["ci"]]
        ratio = {}
        for kpi in ("expected_clicks", "clicks"):
            d = difference_ci(results["nomagic"].days, results["linear_lr"].days, kpi, relative=True, seed=seed)
            ratio[kpi] = {
                "value": _r(1 + d["value"], 4),
                "ci": [_r(1 + x, 4) if x is not None else None for x in d["ci"]],
                "days": d["days"],
            }
        per_day = (results["nomagic"].days["expected_clicks"] / results["linear_lr"].days["expected_clicks"]).round(4)
        ratio["expected_clicks"]["per_day"] = {str(k.date()): _r(v, 4) for k, v in per_day.items()}
        model_ratio = difference_ci(
            results["linear_nomagic"].days, results["linear_lr"].days, "expected_clicks", relative=True, seed=seed
        )
        rule_ratio = difference_ci(
            results["lagrangian_lr"].days, results["linear_lr"].days, "expected_clicks", relative=True, seed=seed
        )
        headroom = difference_ci(
            results["linear_true_ctr"].days, results["linear_lr"].days, "expected_clicks", relative=True, seed=seed
        )
        # a strategy whose budget ran out well before the end (the last tenth of the test period) leaves days
        # without wins: their ratios are 0 or undefined, and the bootstrap over days swings with them
        late = pd.Timestamp(times[0]) + 0.9 * (pd.Timestamp(times[-1]) - pd.Timestamp(times[0]))
        early = [
            f"{s} spent its budget by {rows[s]['budget_out_at']}"
            for s in ("nomagic", "linear_lr")
            if rows[s]["budget_out_at"] and pd.Timestamp(rows[s]["budget_out_at"]) < late
        ]
        if early:
            ratio["expected_clicks"]["ci_note"] = (
                "; ".join(early) + ": the rest of the test period holds no wins for it, so the days differ wildly in "
                "their ratio and the bootstrap over days is wide; the total over the test period is the figure to read"
            )
        budgets[label] = {
            "budget": _r(budget, 2),
            "test_cost": _r(test_cost, 2),
            "strategies": rows,
            "nomagic_over_linear_lr": ratio,
            "model_only_linear_nomagic_over_linear_lr": {
                "value": _r(1 + model_ratio["value"], 4),
                "ci": [_r(1 + x, 4) if x is not None else None for x in model_ratio["ci"]],
            },
            "rule_only_lagrangian_lr_over_linear_lr": {
                "value": _r(1 + rule_ratio["value"], 4),
                "ci": [_r(1 + x, 4) if x is not None else None for x in rule_ratio["ci"]],
            },
            "perfect_click_model_linear_true_ctr_over_linear_lr": {
                "value": _r(1 + headroom["value"], 4),
                "ci": [_r(1 + x, 4) if x is not None else None for x in headroom["ci"]],
            },
            "bar_met": bool(ratio["expected_clicks"]["value"] >= BAR),
        }
        log_line(f"{name} at {label}: nomagic / linear_lr = {ratio['expected_clicks']['value']}")

    # the click models on the test days: observed clicks (where outcomes exist) and against the truth
    seen = ~np.isnan(tf["click"].to_numpy(float))
    y = tf["click"].to_numpy(float)[seen]
    p_nm, p_lr = values["nomagic"][0], values["lr"][0]
    with single_blas():
        boot = bootstrap(y, p_nm[seen], p_lr[seen], metrics=("roc_auc",), n_boot=n_boot, seed=seed)
    auc = {
        "rows": int(seen.sum()),
        "clicks": int(y.sum()),
        "observed": {k: boot[k]["roc_auc"] for k in ("model", "baseline", "improvement")},
        "against_truth": {
            "nomagic": _r(weighted_auc(p_true, p_nm), 5),
            "lr": _r(weighted_auc(p_true, p_lr), 5),
            "true_ctr": _r(weighted_auc(p_true, p_true), 5),
            "rows": len(p_true),
        },
        "mean_predicted": {"nomagic": _r(p_nm.mean(), 6), "lr": _r(p_lr.mean(), 6), "true": _r(p_true.mean(), 6)},
        "nomagic_model": nm.name,
    }
    auc["bar_met"] = bool((auc["observed"]["improvement"]["ci"][0] or 0) > 0)
    return {
        "data": about,
        "split": {
            **split,
            "train_rows": int(len(train)),
            "test_rows": int(len(tf)),
            "tuning_replay_from": str(tune_from),
        },
        "replay_over": "all test requests at their true prices" if replay_all else "the test days' logged impressions",
        "tuning_budget": "the test's budget per request (censored log)"
        if censored_rule
        else "the same share of the tuning replay's cost",
        "fits": fits,
        "auc_test": auc,
        "budgets": budgets,
    }


# ------------------------------------------------------------------------------------------- output


def table(name: str, case: dict) -> str:
    lines = [f"\n== {name}: {case['split']['test_rows']:,} test rows from {case['split']['validation_from']}"]
    a = case["auc_test"]
    o = a["observed"]
    lines.append(
        f"   AUC on test days ({a['clicks']:,} clicks): nomagic[{a['nomagic_model']}] {o['model']['value']:.4f} "
        f"vs LR {o['baseline']['value']:.4f}, diff {o['improvement']['value']:+.4f} "
        f"[{o['improvement']['ci'][0]:+.4f}, {o['improvement']['ci'][1]:+.4f}];  against truth: "
        f"nomagic {a['against_truth']['nomagic']:.4f}, LR {a['against_truth']['lr']:.4f}, "
        f"true CTR {a['against_truth']['true_ctr']:.4f}"
    )
    f = case["fits"]
    lines.append(
        f"   fits: LR {f['click_lr']['seconds']} s, nomagic click {f['click_nomagic']['seconds']} s, "
        f"price {f['price']['seconds']} s"
    )
    lines.append("   (money in the log's price unit; CPM prices: divide by 1,000)")
    head = f"   {'strategy':16} {'exp.clicks':>10} {'of oracle':>9} {'clicks':>7} {'conv':>6} {'spend/bud':>9} {'eCPC':>8} {'eCPC(exp)':>9} {'CPA':>9}"
    for label, b in case["budgets"].items():
        lines.append(f"  budget {label} of test cost ({b['budget']:,.0f})")
        lines.append(head)
        for s, r in b["strategies"].items():
            cpa = r["cpa"]
            lines.append(
                f"   {s:16} {r['expected_clicks']:>10.1f} {r['share_of_oracle']:>9.1%} {r['clicks']:>7.0f} "
                f"{(r['conversions'] or 0):>6.0f} {r['spend_share_of_budget']:>9.1%} "
                f"{(r['ecpc'] or float('nan')):>8.2f} {(r['ecpc_expected'] or float('nan')):>9.2f} "
                f"{(cpa if cpa is not None else float('nan')):>9.1f}"
            )
        q = b["nomagic_over_linear_lr"]["expected_clicks"]
        lines.append(
            f"   nomagic / linear_lr (expected clicks): {q['value']:.3f} [{q['ci'][0]:.3f}, {q['ci'][1]:.3f}] "
            f"over {q['days']} days; model only {b['model_only_linear_nomagic_over_linear_lr']['value']:.3f}, "
            f"rule only {b['rule_only_lagrangian_lr_over_linear_lr']['value']:.3f}; bar {BAR} met: {b['bar_met']}"
        )
        known = b["strategies"]["linear_lr"].get("if_budget_were_share_of_known_cost")
        if known:
            lines.append(
                f"   linear_lr tuned at a share of the known prices' cost instead: {known['expected_clicks']:.1f} "
                f"expected clicks, {known['spend_share_of_budget']:.1%} of the budget spent"
            )
        lines.append(
            f"   a perfect click model (linear_true_ctr / linear_lr): "
            f"{b['perfect_click_model_linear_true_ctr_over_linear_lr']['value']:.3f}"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows of the iPinYou-like log")
    ap.add_argument("--customers", type=int, default=3_000_000, help="the simulated world's customers")
    ap.add_argument("--days", type=int, default=30, help="the simulated world's days")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--boot", type=int, default=300, help="bootstrap resamples of the AUC")
    ap.add_argument("--cases", default="simulator,ipinyou_like")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    started = time.perf_counter()
    import lightgbm
    import sklearn

    res = {
        "command": " ".join(["python", "bench/bidding.py", *(sys.argv[1:] if argv is None else argv)]),
        "created_at": datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "scikit_learn": sklearn.__version__,
            "lightgbm": lightgbm.__version__,
            "nomagic_threads": os.environ.get("NOMAGIC_THREADS", "1 (default)"),
        },
        "seed": args.seed,
        "protocol": {
            "test": f"the last whole days holding about {TEST_SHARE:.0%} of the rows",
            "budgets": {k: f"{v:.4f} of the test impressions' total cost" for k, v in FRACTIONS.items()},
            "bar": f"nomagic >= {BAR} x linear_lr on expected clicks at both budgets; nomagic's click AUC > LR's",
            "training_rows": "not subsampled here; the click models keep every click and a share of the "
            "non-clicks (weighted up) to at most 300,000 training rows (ctr.fit_click_model's default)",
        },
        "cases": {},
    }
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        for name in cases:
            t0 = time.perf_counter()
            if name == "simulator":
                log, truth, about = simulator_case(args.seed, args.customers, args.days)
                case = run_case(name, log, truth, about, seed=args.seed, n_boot=args.boot, replay_all=True)
            elif name == "ipinyou_like":
                log, truth, about = ipinyou_case(args.rows, args.seed, Path(tmp))
                case = run_case(name, log, truth, about, seed=args.seed, n_boot=args.boot, replay_all=False)
            else:
                raise SystemExit(f"unknown case {name}; use simulator, ipinyou_like")
            case["seconds"] = round(time.perf_counter() - t0, 1)
            res["cases"][name] = case
            print(table(name, case), flush=True)
    res["summary"] = {
        name: {
            "nomagic_over_linear_lr": {
                b: c["budgets"][b]["nomagic_over_linear_lr"]["expected_clicks"] for b in FRACTIONS
            },
            "nomagic_share_of_oracle": {
                b: c["budgets"][b]["strategies"]["nomagic"]["share_of_oracle"] for b in FRACTIONS
            },
            "auc_improvement": c["auc_test"]["observed"]["improvement"],
            "bar_met": all(c["budgets"][b]["bar_met"] for b in FRACTIONS) and c["auc_test"]["bar_met"],
        }
        for name, c in res["cases"].items()
    }
    res["seconds"] = round(time.perf_counter() - started, 1)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=1, default=str) + "\n")
    print(f"\nwrote {args.out} in {res['seconds']} s", flush=True)


if __name__ == "__main__":
    main()
