"""Ad auctions: bid requests with context, market prices and outcomes from known models.

For each request, the true click-through rate is ``sigmoid(ctr_terms)``, the conversion rate
given a click ``sigmoid(cvr_terms)``, and the market price (the best competing bid, CPM in EUR)
``exp(price_terms + N(0, 0.45))``; the terms are in ``truth_ctr``. The logged bidder bids at
random around 2.5 EUR CPM (an exploring policy), wins when its bid beats the market price and
then pays the market price (second price). Lost auctions show no price (censored), no click and
no conversion, as in real logs; ``truth_ad_requests`` keeps the true values of every request.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from nomagic.simulate.common import Clock, canonical, choice_index, ids, rng_for, sigmoid, table, take
from nomagic.simulate.config import COUNTRIES
from nomagic.simulate.customers import HOUR_WEIGHTS

BLOCK = 250_000

SITES = ("news", "sports", "fashion", "tech", "food", "travel", "entertainment")
DEVICES = ("mobile", "desktop", "tablet")
FORMATS = ("banner", "native", "video")
SEGMENTS = ("new", "returning", "loyal", "unknown")

SHARES = {
    "site": np.array([0.22, 0.14, 0.16, 0.12, 0.1, 0.1, 0.16]),
    "device": np.array([0.62, 0.31, 0.07]),
    "format": np.array([0.55, 0.3, 0.15]),
    "segment": np.array([0.35, 0.25, 0.1, 0.3]),
}
CTR = {
    "intercept": -4.3,
    "site": np.array([0.0, 0.15, 0.7, 0.2, 0.35, 0.45, 0.1]),
    "device": np.array([0.0, -0.25, 0.1]),
    "format": np.array([0.0, 0.55, 0.9]),
    "segment": np.array([0.0, 0.35, 0.6, -0.3]),
    "above_fold": 0.4,
    "hour_cos": 0.25,  # times cos(2 pi (hour - 20) / 24): evenings click more
    "mobile_x_video": 0.35,
}
CVR = {
    "intercept": -2.6,
    "site": np.array([0.0, -0.1, 0.6, 0.1, 0.2, 0.3, -0.2]),
    "segment": np.array([0.0, 0.5, 1.0, -0.4]),
}
PRICE = {
    "intercept": np.log(2.0),
    "site": np.array([0.0, 0.05, 0.3, 0.25, 0.0, 0.2, -0.05]),
    "device": np.array([0.0, 0.2, 0.1]),
    "format": np.array([0.0, 0.3, 0.8]),
    "ctr_logit": 0.4,  # times (CTR logit - intercept): competitors pay for expected clicks
    "noise_sd": 0.45,
}
BID_BASE = 2.5
BID_SD = 0.5


def blocks(customers: int, days: int, rate: float) -> Iterator[tuple[int, int, int]]:
    """(block number, first request number, size) of the requests to simulate."""
    total = int(round(customers * days / 365.0 * rate))
    for b, first in enumerate(range(0, total, BLOCK)):
        yield b, first, min(BLOCK, total - first)


def make_requests(seed: int, block: int, first: int, n: int, clock: Clock) -> tuple[pa.Table, pa.Table]:
    rng = rng_for(seed, "auctions", block)
    site = choice_index(rng, n, SHARES["site"])
    device = choice_index(rng, n, SHARES["device"])
    fmt = choice_index(rng, n, SHARES["format"])
    segment = choice_index(rng, n, SHARES["segment"])
    country = choice_index(rng, n, np.array([c[2] for c in COUNTRIES]))
    hour = choice_index(rng, n, HOUR_WEIGHTS)
    above = rng.random(n) < 0.4
    t = rng.integers(0, clock.days, n) + (hour + rng.random(n)) / 24.0

    ctr_logit = (
        CTR["intercept"]
        + CTR["site"][site]
        + CTR["device"][device]
        + CTR["format"][fmt]
        + CTR["segment"][segment]
        + CTR["above_fold"] * above
        + CTR["hour_cos"] * np.cos(2 * np.pi * (hour - 20) / 24)
        + CTR["mobile_x_video"] * ((device == 0) & (fmt == 2))
    )
    ctr = sigmoid(ctr_logit)
    cvr = sigmoid(CVR["intercept"] + CVR["site"][site] + CVR["segment"][segment])
    market = np.exp(
        PRICE["intercept"]
        + PRICE["site"][site]
        + PRICE["device"][device]
        + PRICE["format"][fmt]
        + PRICE["ctr_logit"] * (ctr_logit - CTR["intercept"])
        + rng.normal(0.0, PRICE["noise_sd"], n)
    )
    bid = np.round(BID_BASE * np.exp(rng.normal(0.0, BID_SD, n)), 4)
    won = bid > market
    clicked = won & (rng.random(n) < ctr)
    converted = clicked & (rng.random(n) < cvr)

    request_id = ids("R", np.arange(first + 1, first + n + 1), width=10)
    order = np.argsort(t, kind="stable")
    requests = canonical(
        "ad_requests",
        {
            "request_id": request_id,
            "occurred_at": clock.timestamps(t[order]),
            "bid": bid[order],
            "won": won[order],
            "price": pa.array(np.round(market, 4)[order], mask=~won[order]),
            "clicked": pa.array(clicked[order], mask=~won[order]),
            "converted": pa.array(converted[order], mask=~won[order]),
            "site_category": take(pa.array(SITES), site[order]),
            "device": take(pa.array(DEVICES), device[order]),
            "ad_format": take(pa.array(FORMATS), fmt[order]),
            "user_segment": take(pa.array(SEGMENTS), segment[order]),
            "country": take(pa.array([c[0] for c in COUNTRIES]), country[order]),
            "hour": hour[order].astype(np.int64),
            "above_fold": above[order],
        },
    )
    truth = table({"request_id": request_id, "ctr": ctr[order], "cvr": cvr[order], "market_price": market[order]})
    return requests, truth


def true_requests(wh):
    """The true click rate and market price of every simulated request (``imp_id``, ``ctr``, ``cvr``,
    ``market_price``) as a pandas frame, or None on a warehouse that the simulator did not fill."""
    if not wh.has("truth_ad_requests"):
        return None
    t = wh.table("truth_ad_requests").execute()
    return t.rename(columns={"request_id": "imp_id"}).assign(imp_id=lambda f: f["imp_id"].astype(str))


def ctr_truth() -> pa.Table:
    """The true models as rows (model, term, level, coefficient)."""
    rows: list[tuple[str, str, str, float]] = []
    levels = {"site": SITES, "device": DEVICES, "format": FORMATS, "segment": SEGMENTS}
    for model, spec in (("ctr", CTR), ("cvr", CVR), ("market_price", PRICE)):
        for term, value in spec.items():
            if isinstance(value, np.ndarray):
                rows.extend((model, term, lvl, float(v)) for lvl, v in zip(levels[term], value, strict=True))
            else:
                rows.append((model, term, "", float(value)))
    rows.append(("bid_policy", "base_cpm", "", BID_BASE))
    rows.append(("bid_policy", "log_sd", "", BID_SD))
    return table(
        {
            "model": [r[0] for r in rows],
            "term": [r[1] for r in rows],
            "level": [r[2] for r in rows],
            "coefficient": [r[3] for r in rows],
        }
    )
