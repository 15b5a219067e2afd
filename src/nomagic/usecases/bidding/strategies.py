"""Bidding strategies under a budget, and how their parameters are chosen without looking at the test.

Each strategy turns the *value* of an impression (the predicted click probability, or click times
conversion probability for the conversions KPI) into a bid in the log's price unit:

``constant``   b = s, the same bid everywhere (the baseline a marketer would set).
``random``     b ~ Uniform(0, 2 s) (the literature's random baseline; seeded).
``linear``     b = s · value / mean value (Perlich et al., 2012: bid in proportion to the value).
``ortb``       b = sqrt(c/λ · value + c²) − c (Zhang et al., 2014, ORTB1): concave, so it buys more
               cheap impressions of middling value; c is fitted to the training log's win curve
               w(b) = b / (c + b), and c/λ is set so that the bid at the mean value equals s.
``lagrangian`` b = value / λ: the bid that maximises expected value subject to expected spend ≤
               budget in a second-price auction (the Lagrangian's derivative v·f(b) − λ·b·f(b) is zero
               at b = v/λ). λ is found by bisection so that the price model's expected spend over the
               whole request file equals the budget.

The scale ``s`` of the first four is chosen by replaying the *training* log (never the requests'
own outcomes) at the same budget fraction: the training budget is the request budget times
training cost / request cost, and ``s`` is the one that buys the most clicks (or conversions) there,
by a log-spaced grid and two rounds of refinement around the best point.

Examples
--------
>>> import numpy as np
>>> from nomagic.usecases.bidding.strategies import TrainingLog, plan_bids
>>> rng = np.random.default_rng(0)
>>> p = rng.uniform(0.01, 0.05, 2000); price = rng.lognormal(1.0, 0.5, 2000)
>>> train = TrainingLog(value=p, market_price=price, outcome=(rng.random(2000) < p).astype(float))
>>> plan = plan_bids("linear", value=p[:500], budget=price[:500].sum() / 4, train=train, request_cost=price[:500].sum())
>>> plan.bids.shape, plan.params["scale"] > 0
((500,), True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from nomagic.errors import InputError, NotReadyError
from nomagic.usecases.bidding.replay import Replay, replay
from nomagic.words import Text, say

STRATEGIES = ("constant", "random", "linear", "ortb", "lagrangian")
TUNED = ("constant", "random", "linear", "ortb")  # chosen by replaying the training log


class PriceLike(Protocol):
    """What the Lagrangian needs of a market price model (see ``price.py``)."""

    def win_prob(self, frame, bids: np.ndarray) -> np.ndarray: ...

    def expected_cost(self, frame, bids: np.ndarray) -> np.ndarray: ...


@dataclass
class TrainingLog:
    """The training log as arrays, in log order.

    ``value`` is the model's value per row (pCTR, or pCTR · pCVR): predictions made *out of sample*
    (out of fold or on a later slice), else the replay trusts the model more than it deserves.
    ``market_price`` NaN (a lost auction of a bid log) is never won in the replay; ``outcome`` is the
    observed click (or conversion), NaN counting as none.
    """

    value: np.ndarray
    market_price: np.ndarray
    outcome: np.ndarray

    def __post_init__(self):
        self.value = np.asarray(self.value, dtype=np.float64)
        self.market_price = np.asarray(self.market_price, dtype=np.float64)
        self.outcome = np.asarray(self.outcome, dtype=np.float64)
        if not (len(self.value) == len(self.market_price) == len(self.outcome)):
            raise InputError(
                say(
                    "training log: value, market_price and outcome differ in length ({a:,}, {b:,}, {c:,})",
                    "Trainingslog: value, market_price und outcome sind unterschiedlich lang ({a:,}, {b:,}, {c:,})",
                    a=len(self.value),
                    b=len(self.market_price),
                    c=len(self.outcome),
                )
            )
        known = self.market_price[np.isfinite(self.market_price)]
        if len(known) < 10 or not (known > 0).any():
            raise NotReadyError(
                say(
                    "the training log has {k:,} known market prices; at least 10 are needed to tune the bids",
                    "das Trainingslog hat {k:,} bekannte Marktpreise; mindestens 10 sind nötig, um die Gebote "
                    "abzustimmen",
                    k=len(known),
                )
            )

    @property
    def cost(self) -> float:
        """What buying every row with a known price costs."""
        return float(np.nansum(self.market_price))


@dataclass
class BidPlan:
    """Bids for the requests, with the chosen parameters and how they were chosen."""

    strategy: str
    bids: np.ndarray
    params: dict = field(default_factory=dict)
    budget: float = 0.0
    budget_fraction: float | None = None  # budget / cost of the requests (tuned strategies)
    train_replay: Replay | None = field(default=None, repr=False)  # the chosen scale on the training log
    expected_spend: float | None = None  # lagrangian: the price model's expected spend of the bids
    explanation: Text = field(default_factory=lambda: Text(""))


# -- the bid functions ------------------------------------------------------------------------------


def constant_bids(n: int, bid: float) -> np.ndarray:
    return np.full(n, float(bid))


def random_bids(n: int, upper: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.0, float(upper), n)


def linear_bids(value: np.ndarray, base: float, mean_value: float) -> np.ndarray:
    """b = base · value / mean_value: ``base`` is the bid for an impression of average value."""
    return float(base) * np.asarray(value, dtype=np.float64) / mean_value


def ortb_bids(value: np.ndarray, c: float, lam: float) -> np.ndarray:
    """ORTB1 (Zhang et al., 2014): b = sqrt(c/λ · value + c²) − c."""
    value = np.asarray(value, dtype=np.float64)
    return np.sqrt(c / lam * value + c * c) - c


def lagrangian_bids(value: np.ndarray, lam: float) -> np.ndarray:
    return np.asarray(value, dtype=np.float64) / lam


def fit_win_curve(prices) -> float:
    """ORTB's c: the win curve w(b) = b / (c + b) fitted to the empirical one by least squares.

    Fitted in log c over the prices' quantiles (the curve is then judged where the bids live).
    """
    from scipy.optimize import minimize_scalar

    p = np.asarray(prices, dtype=np.float64)
    p = np.sort(p[np.isfinite(p) & (p >= 0)])
    b = np.quantile(p, np.linspace(0.02, 0.98, 49))
    b = b[b > 0]
    if not len(b):
        return 1.0
    emp = np.searchsorted(p, b, side="left") / len(p)  # P(price < b): a win needs bid > price

    def loss(logc):
        return float(np.sum((emp - b / (np.exp(logc) + b)) ** 2))

    med = float(np.median(b))
    res = minimize_scalar(loss, bounds=(np.log(med) - 8, np.log(med) + 8), method="bounded")
    return float(np.exp(res.x))


# -- the Lagrangian: λ by bisection -----------------------------------------------------------------


def solve_lambda(
    value,
    price_model: PriceLike,
    frame,
    budget: float,
    *,
    max_bid: float | None = None,
    rtol: float = 1e-4,
    max_iter: int = 200,
) -> tuple[float, float]:
    """λ such that Σ expected_cost(frame, min(value/λ, max_bid)) = budget; returns (λ, expected spend).

    Expected spend falls as λ rises (lower bids), so λ is bracketed by doubling and then bisected in
    log λ until the spend is within ``rtol`` of the budget. Where even bidding (almost) everything
    costs less than the budget, the budget does not bind: λ is set to spend 99.9 % of that maximum,
    the cheapest bids that still win practically all that can be won.
    """
    value = np.asarray(value, dtype=np.float64)
    if budget <= 0 or not (value > 0).any():
        return float("inf"), 0.0

    def spend(lam: float) -> float:
        bids = lagrangian_bids(value, lam)
        if max_bid is not None:
            bids = np.minimum(bids, max_bid)
        return float(np.sum(price_model.expected_cost(frame, bids)))

    # Start where the mean value bids 1 unit, then bracket by factors of 4: spend(lo) >= target >= spend(hi).
    target = float(budget)
    lo = hi = float(np.mean(value))
    s_lo = s_hi = spend(lo)
    if s_hi > target:
        while s_hi > target:
            lo, s_lo = hi, s_hi
            hi *= 4.0
            s_hi = spend(hi)
    else:
        for _ in range(40):
            if s_lo >= target:
                break
            hi, s_hi = lo, s_lo
            lo /= 4.0
            s_lo = spend(lo)
            if s_lo <= s_hi * (1 + 1e-4):  # higher bids no longer buy more: the budget does not bind
                break
        if s_lo < target:
            target = 0.999 * s_lo
            while s_hi > target:  # re-bracket below the lowered target
                lo, s_lo = hi, s_hi
                hi *= 4.0
                s_hi = spend(hi)
    if abs(s_hi - target) <= rtol * target:
        return hi, s_hi
    for _ in range(max_iter):
        mid = float(np.sqrt(lo * hi))
        s = spend(mid)
        if abs(s - target) <= rtol * target:
            return mid, s
        if s > target:
            lo = mid
        else:
            hi = mid
    return hi, spend(hi)  # the side that stays within the budget


# -- tuning by replaying the training log -------------------------------------------------------------


def tune_scale(
    bid_fn, train: TrainingLog, train_budget: float, *, grid: int = 25, refine: int = 2
) -> tuple[float, Replay]:
    """The scale whose bids buy the most outcome in the training replay at ``train_budget``.

    ``bid_fn(scale)`` gives the training log's bids. The grid spans the training prices (from a
    tenth of their 0.1 % quantile to ten times their maximum, log-spaced); each refinement puts a
    finer grid between the best point's neighbours. Ties go to the lower spend (same clicks, less
    money). Returns the scale and its replay.
    """
    known = train.market_price[np.isfinite(train.market_price) & (train.market_price > 0)]
    lo = float(np.quantile(known, 0.001)) / 10.0
    hi = float(known.max()) * 10.0
    points = np.geomspace(lo, hi, grid)
    best: tuple[float, float, float, Replay] | None = None  # (outcome, -spend, scale, replay)
    for _ in range(refine + 1):
        for s in points:
            r = replay(bid_fn(float(s)), train.market_price, train.outcome, train_budget)
            if best is None or (r.clicks, -r.spend) > best[:2]:
                best = (r.clicks, -r.spend, float(s), r)
        i = int(np.argmin(np.abs(np.log(points) - np.log(best[2]))))
        points = np.geomspace(points[max(i - 1, 0)], points[min(i + 1, len(points) - 1)], 11)
    assert best is not None
    return best[2], best[3]


# -- the plan -----------------------------------------------------------------------------------------


def plan_bids(
    strategy: str,
    value,
    budget: float,
    *,
    train: TrainingLog | None = None,
    price_model: PriceLike | None = None,
    frame=None,
    request_cost: float | None = None,
    max_bid: float | None = None,
    seed: int = 0,
) -> BidPlan:
    """Bids for the requests with predicted ``value`` under ``budget`` (the log's price unit).

    Parameters
    ----------
    strategy : one of :data:`STRATEGIES`.
    value : the value per request (pCTR, or pCTR · pCVR for conversions), in request order.
    budget : what the bids may spend over the whole request file.
    train : the training log (values, prices, outcomes): needed by the tuned strategies.
    price_model, frame : the market price model and the requests' features: needed by ``lagrangian``.
    request_cost : what buying every request would cost, to set the budget fraction. Unknown for a
        request file (no prices), it is estimated as the number of requests times the training log's
        mean price.
    max_bid : an optional cap on every bid.
    seed : for ``random``.
    """
    if strategy not in STRATEGIES:
        raise InputError(
            say(
                "unknown bidding strategy {s}; use one of {known}",
                "unbekannte Gebotsstrategie {s}; erlaubt sind {known}",
                s=strategy,
                known=", ".join(STRATEGIES),
            )
        )
    value = np.asarray(value, dtype=np.float64)
    if not np.isfinite(value).all() or (value < 0).any():
        row = int(np.flatnonzero(~np.isfinite(value) | (value < 0))[0])
        raise InputError(
            say(
                "request {row:,}: the predicted value must be a number of at least 0",
                "Anfrage {row:,}: der vorhergesagte Wert muss eine Zahl von mindestens 0 sein",
                row=row + 1,
            )
        )
    budget = float(budget)
    if not np.isfinite(budget) or budget < 0:
        raise InputError(
            say(
                "the budget must be a number of at least 0, not {b}",
                "das Budget muss eine Zahl von mindestens 0 sein, nicht {b}",
                b=str(budget),
            )
        )
    cap = (lambda b: b) if max_bid is None else (lambda b: np.minimum(b, max_bid))

    if strategy == "lagrangian":
        if price_model is None:
            raise InputError(
                say(
                    "the lagrangian strategy needs a market price model",
                    "die Strategie lagrangian braucht ein Marktpreismodell",
                )
            )
        lam, spend = solve_lambda(value, price_model, frame, budget, max_bid=max_bid)
        bids = np.zeros_like(value) if not np.isfinite(lam) else cap(lagrangian_bids(value, lam))
        return BidPlan(
            strategy,
            bids,
            params={"lambda": lam},
            budget=budget,
            expected_spend=spend,
            explanation=say(
                "bid = value / λ with λ = {lam:.4g}, set so that the price model expects to spend {s:,.2f} of the "
                "budget of {b:,.2f} over the {n:,} requests",
                "Gebot = Wert / λ mit λ = {lam:.4g}, so gewählt, dass das Preismodell {s:,.2f} des Budgets von "
                "{b:,.2f} über die {n:,} Anfragen erwartet",
                lam=lam,
                s=spend,
                b=budget,
                n=len(value),
            ),
        )

    if train is None:
        raise InputError(
            say(
                "the {s} strategy is tuned on a training log; give one",
                "die Strategie {s} wird auf einem Trainingslog abgestimmt; bitte eines angeben",
                s=strategy,
            )
        )
    if request_cost is None:
        request_cost = _estimated_cost(len(value), train)
    fraction = budget / request_cost if request_cost > 0 else 1.0
    train_budget = fraction * train.cost
    n_train = len(train.value)
    mean_train = float(np.mean(train.value)) or 1.0
    params: dict = {}

    if strategy == "constant":
        fn_train = lambda s: cap(constant_bids(n_train, s))
        fn_req = lambda s: cap(constant_bids(len(value), s))
    elif strategy == "random":
        fn_train = lambda s: cap(random_bids(n_train, 2 * s, seed))
        fn_req = lambda s: cap(random_bids(len(value), 2 * s, seed + 1))
    elif strategy == "linear":
        fn_train = lambda s: cap(linear_bids(train.value, s, mean_train))
        fn_req = lambda s: cap(linear_bids(value, s, mean_train))
        params["mean_value"] = mean_train
    else:  # ortb: c from the training win curve; c/λ so that the bid at the mean value is s
        c = fit_win_curve(train.market_price)
        lam_of = lambda s: c * mean_train / ((s + c) ** 2 - c * c)
        fn_train = lambda s: cap(ortb_bids(train.value, c, lam_of(s)))
        fn_req = lambda s: cap(ortb_bids(value, c, lam_of(s)))
        params["c"] = c

    scale, rep = tune_scale(fn_train, train, train_budget)
    params["scale"] = scale
    if strategy == "ortb":
        params["lambda"] = lam_of(scale)
    return BidPlan(
        strategy,
        fn_req(scale),
        params=params,
        budget=budget,
        budget_fraction=fraction,
        train_replay=rep,
        explanation=say(
            "{s} bids with scale {x:,.4g}, chosen by replaying the training log at the same budget fraction "
            "({f:.2%} of its cost), where it bought {c:,.0f} outcomes for {sp:,.2f}",
            "{s}-Gebote mit Skala {x:,.4g}, gewählt durch Replay des Trainingslogs beim selben Budgetanteil "
            "({f:.2%} seiner Kosten), wo sie {c:,.0f} Ergebnisse für {sp:,.2f} kauften",
            s=strategy,
            x=scale,
            f=fraction,
            c=rep.clicks,
            sp=rep.spend,
        ),
    )


def _estimated_cost(n: int, train: TrainingLog) -> float:
    """What buying all ``n`` requests would cost, at the training log's mean price.

    The same estimator prices the training log, so the two budget fractions agree by construction.
    """
    return n * float(np.nanmean(train.market_price))
