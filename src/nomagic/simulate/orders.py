"""Orders, order lines and events of one chunk of customers.

Organic purchases follow the BG/NBD process exactly: the first order at signup, then repeat
orders at Poisson times with rate ``lam``; after each repeat order the customer drops out with
probability ``p``. (Times are moved within their day to the daily shopping rhythm, which changes
no count and no order.) E-mail conversions (:mod:`.campaigns`) add orders on top; they carry
their ``message_id``. Order values follow the gamma-gamma model; the basket is drawn from the
customer's consideration set (taste x product factors + popularity + price fit), so
recommendation has real signal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from nomagic.simulate.common import MINUTE, Clock, canonical, ids, take
from nomagic.simulate.customers import Customers, day_time
from nomagic.simulate.products import Catalogue

EVENT_TYPES = ("view", "click", "cart", "search", "visit")
VIEW, CLICK, CART, SEARCH, VISIT = range(5)


@dataclass
class Purchases:
    """Organic purchases of a chunk (first orders included), sorted by customer and time."""

    cust: np.ndarray
    t: np.ndarray
    repeats: np.ndarray  # repeat purchases per customer
    dropout: np.ndarray  # day of dropout, NaN while alive at the end


def organic_purchases(rng: np.random.Generator, c: Customers, days: int) -> Purchases:
    n_c = len(c)
    buyer = ~c.lead
    span = days - c.t0
    n = rng.poisson(c.lam * span) * buyer
    j = rng.geometric(c.p)  # the repeat purchase after which the customer drops out
    died = buyer & (n >= j)
    m = np.where(died, j, n)

    grp = np.repeat(np.arange(n_c), n)
    u = np.sort(grp + rng.random(len(grp))) - grp  # uniform, sorted within each customer
    starts = np.cumsum(n) - n
    keep = (np.arange(len(grp)) - starts[grp]) < m[grp]
    grp, u = grp[keep], u[keep]
    t = c.t0[grp] + u * span[grp]
    later = np.floor(t) > np.floor(c.t0[grp])
    t[later] = np.minimum(day_time(rng, np.floor(t[later])), days - 1e-6)
    t = np.maximum(t, c.t0[grp])

    dropout = np.full(n_c, np.nan)
    if len(grp):
        last = np.full(n_c, -np.inf)
        np.maximum.at(last, grp, t)
        dropout[died] = last[died]

    first = np.flatnonzero(buyer)
    cust = np.concatenate([first, grp])
    tt = np.concatenate([c.t0[first], t])
    order = np.lexsort((tt, cust))
    return Purchases(cust[order], tt[order], m.astype(np.int64), dropout)


def consideration_sets(rng: np.random.Generator, c: Customers, cat: Catalogue, size: int) -> np.ndarray:
    """For each customer the ``size`` products they consider, best first."""
    score = (c.taste.astype(np.float32) @ cat.factors.T.astype(np.float32)) * np.float32(0.8)
    score += cat.popularity.astype(np.float32)[None, :]
    fit = np.log(cat.price)[None, :].astype(np.float32) - np.log(c.spend_mean / 1.5)[:, None].astype(np.float32)
    score -= np.float32(0.6) * fit * fit
    score -= np.log(-np.log(np.maximum(rng.random(score.shape, dtype=np.float32), np.float32(1e-30))))
    top = np.argpartition(-score, size, axis=1)[:, :size]
    best = np.take_along_axis(score, top, axis=1)
    return np.take_along_axis(top, np.argsort(-best, axis=1), axis=1)


@dataclass
class Baskets:
    revenue: np.ndarray  # per order
    line_order: np.ndarray  # order row of each line
    line_product: np.ndarray
    line_qty: np.ndarray
    line_price: np.ndarray


def baskets(
    rng: np.random.Generator, target: np.ndarray, cust: np.ndarray, cand: np.ndarray, price: np.ndarray
) -> Baskets:
    """Fill each order with products of the customer's consideration set so it is worth ``target``."""
    n_o, size = len(target), cand.shape[1]
    width = min(5, size)
    options = cand[cust]
    fit = np.log(price[options] / target[:, None])
    keys = -np.log(-np.log(np.maximum(rng.random((n_o, size)), 1e-300))) - 0.1 * np.arange(size)[None, :]
    keys -= 0.5 * np.maximum(fit, -0.5 * fit) ** 2  # too dear for this order weighs more than too cheap
    pick = np.argsort(-keys, axis=1)[:, :width]
    prod = np.take_along_axis(options, pick, axis=1)
    prices = price[prod]
    lines_max = np.minimum(1 + rng.poisson(0.9, n_o), width)
    pos = np.arange(width)[None, :]
    keep = (pos < lines_max[:, None]) & ((np.cumsum(prices, axis=1) <= 1.25 * target[:, None]) | (pos == 0))
    listed = (prices * keep).sum(axis=1)
    qty = np.clip(np.round(target / listed), 1, 5)
    factor = target / (qty * listed)
    unit = np.maximum(np.round(prices * factor[:, None], 2), 0.01)
    rows, cols = np.nonzero(keep)
    line_qty = qty[rows].astype(np.int64)
    line_price = unit[rows, cols]
    revenue = np.zeros(n_o)
    np.add.at(revenue, rows, line_qty * line_price)
    return Baskets(np.round(revenue, 2), rows, prod[rows, cols], line_qty, line_price)


@dataclass
class EventLog:
    """Events being collected for a chunk (customer row, time, type, product, campaign index)."""

    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]

    def add(self, cust, t, kind, product=None, campaign=None) -> None:
        n = len(cust)
        if not n:
            return
        kind = np.full(n, kind) if np.isscalar(kind) else kind
        product = np.full(n, -1) if product is None else product
        campaign = np.full(n, -1) if campaign is None else campaign
        self.parts.append((cust, t, kind, product, campaign))

    def arrays(self):
        if not self.parts:
            e = np.zeros(0, dtype=np.int64)
            return e, np.zeros(0), e, e, e
        cols = [np.concatenate([p[i] for p in self.parts]) for i in range(5)]
        order = np.lexsort((cols[1], cols[0]))
        return tuple(col[order] for col in cols)


def order_events(rng, log: EventLog, cust, t, campaign, first_visit, basket: Baskets, cand) -> None:
    """The session that led to each order: visit, maybe a search, views, carts."""
    n_o = len(t)
    visit = t - first_visit
    log.add(cust, visit, VISIT, campaign=campaign)
    s = rng.random(n_o) < 0.35
    log.add(cust[s], np.minimum(visit[s] + rng.random(s.sum()) * MINUTE, t[s]), SEARCH)
    lo = basket.line_order
    seen = visit[lo] + (t[lo] - visit[lo]) * rng.uniform(0.05, 0.6, len(lo))
    log.add(cust[lo], seen, VIEW, product=basket.line_product)
    log.add(cust[lo], seen + (t[lo] - seen) * rng.uniform(0.1, 0.9, len(lo)), CART, product=basket.line_product)
    extra = rng.poisson(1.2, n_o)
    er = np.repeat(np.arange(n_o), extra)
    ep = cand[cust[er], rng.integers(cand.shape[1], size=len(er))]
    log.add(cust[er], visit[er] + (t[er] - visit[er]) * rng.random(len(er)), VIEW, product=ep)


def browse_events(rng, log: EventLog, c: Customers, pur: Purchases, cand, days, params) -> None:
    """Sessions without an order: while alive at a rate tied to the purchase rate, rarely after dropout."""
    end_alive = np.where(np.isnan(pur.dropout), days, pur.dropout)
    start = c.t0
    alive_rate = np.where(c.lead, 0.0, params.browse_alive * c.lam)
    n_alive = rng.poisson(alive_rate * (end_alive - start))
    n_dead = rng.poisson(params.browse_dead * c.lam * (days - end_alive))
    n_lead = np.where(c.lead, rng.poisson(1.0, len(c)), 0)
    g_a = np.repeat(np.arange(len(c)), n_alive)
    g_d = np.repeat(np.arange(len(c)), n_dead)
    g_l = np.repeat(np.arange(len(c)), n_lead)
    t = np.concatenate(
        [
            start[g_a] + rng.random(len(g_a)) * (end_alive - start)[g_a],
            end_alive[g_d] + rng.random(len(g_d)) * (days - end_alive)[g_d],
            start[g_l] + rng.random(len(g_l)) * np.minimum(30.0, days - start[g_l]),
        ]
    )
    g = np.concatenate([g_a, g_d, g_l])
    last = days - 1e-6
    t = np.minimum(np.maximum(day_time(rng, np.floor(t)), start[g] + MINUTE), last)
    n_s = len(g)
    log.add(g, t, VISIT)
    s = rng.random(n_s) < 0.3
    log.add(g[s], np.minimum(t[s] + rng.random(s.sum()) * MINUTE, last), SEARCH)
    views = 1 + rng.poisson(1.3, n_s)
    vr = np.repeat(np.arange(n_s), views)
    vp = cand[g[vr], np.minimum(rng.geometric(0.1, len(vr)) - 1, cand.shape[1] - 1)]
    vt = np.minimum(t[vr] + rng.random(len(vr)) * 20 * MINUTE, last)
    log.add(g[vr], vt, VIEW, product=vp)
    first = np.cumsum(views) - views
    cart = rng.random(n_s) < 0.12
    ci = first[cart]
    log.add(g[vr[ci]], np.minimum(vt[ci] + MINUTE, last), CART, product=vp[ci])


def events_table(clock: Clock, arrays, customer_id: pa.Array, cat: Catalogue, campaign_ids: pa.Array, first: int):
    cust, t, kind, product, campaign = arrays
    n = len(cust)
    return canonical(
        "events",
        {
            "event_id": ids("E", np.arange(first + 1, first + n + 1), width=10),
            "customer_id": take(customer_id, cust),
            "occurred_at": clock.timestamps(t),
            "type": take(pa.array(EVENT_TYPES), kind),
            "product_id": cat.product_id.take(pa.array(product, mask=product < 0)),
            "campaign_id": campaign_ids.take(pa.array(campaign, mask=campaign < 0)),
        },
    )
