"""An iPinYou-like impression log with known truth, for the bidding benchmark (``bench/bidding.py``).

One row per impression *bought* by a logging bidder that bid 300 everywhere (the shape of the
iPinYou logs: every row won, ``market_price`` is what was paid, the second price, in CPM units),
over ``days`` days in time order, with the true click and conversion probability of every row
written apart (``truth``), never as a feature.

    python bench/bidding_data.py --rows 1000000 --out /tmp/ipy.parquet   # + /tmp/ipy.truth.parquet

What is published, and what the design takes from it
----------------------------------------------------
* **Log shape and fields** (Zhang, Yuan, Wang, Shen 2014, "Real-Time Bidding Benchmarking with
  iPinYou Dataset", arXiv:1407.7073; the field list of wnzhang/make-ipinyou-data's ``schema.txt``):
  time, ad exchange (4), domain (site; tens of thousands, a few dominant, most seen rarely), ~35
  regions, user agent (OS and browser), slot width x height, slot visibility (FirstView, SecondView,
  OtherView, Na), slot floor price (``slotprice``: 0 on many slots, else a round number), creative,
  user tags (a comma-separated list of profile segments), paid price. Hour and weekday are derived
  from the time, as the benchmark's feature set does. A content category per site is added, as
  OpenRTB bid requests carry one (``site.cat``).
* **Click rate.** iPinYou's campaigns have CTRs of 0.03 %-0.44 %, about 0.075 % over all training
  impressions (Table 2 of the paper); here the mean CTR is set to ``ctr`` (0.1 %). Logistic
  regression reaches ROC-AUCs from 0.61 to 0.99 per campaign there (the high ones on campaigns with
  near-leaky fields); the truth here has a logit standard deviation of about 1, which puts the AUC of
  the true CTR itself near 0.75-0.8, the range of the best published models on Criteo and Avazu.
* **Structure of the click logit.** Main effects per column; site effects hierarchical (site within
  category, as publishers within a hierarchy in Agarwal et al. 2010, "Estimating rates of rare events
  with multiple hierarchies through scalable log-linear models", KDD) and heavy-tailed (Student t
  with 3 degrees of freedom: a few sites click far more or less than their category); site
  frequencies Zipf-like (feature frequencies in display logs follow power laws, Chapelle, Manavoglu,
  Rosales 2014, "Simple and scalable response prediction for display advertising", TIST). A few
  interactions of the kind every CTR paper reports: slot size x device, category x hour (each
  category its own daily curve), user tag x category (in-market tags click on their own category).
  A small unpredictable day effect (sd 0.05) stands for the day-to-day drift of real logs.
* **Conversions.** iPinYou logs conversions for a few campaigns only; conversion given click is set
  at ``cvr`` (3 %) on average, by category, a few tags and device.
* **Market price.** Log-normal given the features (Cui et al. 2011, "Bid landscape forecasting in
  online ad exchange marketplace", KDD: winning bids per slot are well described by log-normals;
  the censored-regression work on iPinYou, Wu, Yeh, Chen 2015, KDD, models the log price linearly),
  with site, exchange, slot size, visibility, device, region and hour effects, plus 0.3 x the click
  logit's deviation (competitors value clicks too, but see them through their own noisy models) and
  noise (sd 0.55). The price paid is the second price with the floor as a reserve: max(round(best
  competing bid), floor). Rows priced at or above the logger's bid (300) are not in the log (it lost
  them), as in iPinYou, where no paid price exceeds the bid. The level is set so that the mean paid
  price is ``mean_price`` (80; the iPinYou campaigns' CPMs are 63-93, about 80 overall).

Measured on ``--rows 1000000 --seed 0`` (``describe()``, printed by the CLI): 946 clicks (0.095 %),
31 conversions (3.3 % of clicks), ROC-AUC of the true CTR on the realised clicks 0.740 (logit sd 0.89);
paid price mean 80.0, median 66, 90th percentile 157, 9 % of rows paid the floor, 37 % of rows have a
floor of 0; correlation of log price and click logit 0.25; 5,000 sites, 1,371 of them with fewer than
20 rows, the top 10 holding 43 % of the rows; 45,438 distinct user-tag sets. Made in about 5 seconds.
Nothing here is tuned to make any method win: the effect sizes above were fixed before any model was
fitted to the data, and the benchmark reports whatever they give.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

START = np.datetime64("2013-06-06T00:00:00")  # iPinYou's second season starts on 6 June 2013
LOGGER_BID = 300.0  # the logging bidder's bid: no logged price reaches it

EXCHANGES = ("adx1", "adx2", "adx3", "adx4")
EXCHANGE_SHARES = (0.35, 0.30, 0.25, 0.10)
CATEGORIES = (
    "news portal finance auto games video shopping travel education health tech entertainment "
    "real_estate jobs women parenting food fashion sports literature music forum mail military"
).split()
DEVICES = ("desktop", "mobile", "tablet")
DEVICE_SHARES = (0.82, 0.13, 0.05)
# slot sizes by device, (size, share); the price effect grows with the slot's area
SIZES = {
    "desktop": (
        ("300x250", 0.2),
        ("728x90", 0.15),
        ("950x90", 0.11),
        ("1000x90", 0.1),
        ("160x600", 0.09),
        ("336x280", 0.08),
        ("960x90", 0.07),
        ("250x250", 0.05),
        ("468x60", 0.05),
        ("360x300", 0.04),
        ("120x600", 0.03),
        ("200x200", 0.03),
    ),
    "mobile": (("320x50", 0.6), ("300x250", 0.3), ("360x300", 0.1)),
    "tablet": (("728x90", 0.4), ("300x250", 0.4), ("320x50", 0.2)),
}
VISIBILITY = ("FirstView", "SecondView", "OtherView", "Na")
VISIBILITY_SHARES = (0.35, 0.2, 0.3, 0.15)
VISIBILITY_CTR = np.array([0.35, 0.0, -0.25, -0.1])  # above the fold is seen and clicked more
VISIBILITY_PRICE = np.array([0.2, 0.0, -0.15, -0.05])
DEVICE_CTR = np.array([0.0, 0.25, 0.1])  # mobile: more (partly accidental) clicks
DEVICE_PRICE = np.array([0.0, -0.3, -0.1])
DEVICE_CVR = np.array([0.0, -0.4, -0.2])
OS = {
    "desktop": (("windows", 0.88), ("mac", 0.08), ("linux", 0.04)),
    "mobile": (("android", 0.6), ("ios", 0.38), ("other", 0.02)),
    "tablet": (("ios", 0.6), ("android", 0.4)),
}
BROWSERS = {
    "windows": (("ie", 0.45), ("chrome", 0.2), ("sogou", 0.1), ("maxthon", 0.08), ("theworld", 0.07), ("firefox", 0.1)),
    "mac": (("safari", 0.6), ("chrome", 0.3), ("firefox", 0.1)),
    "linux": (("chrome", 0.5), ("firefox", 0.5)),
    "android": (("chrome", 0.4), ("uc", 0.4), ("other", 0.2)),
    "ios": (("safari", 0.85), ("chrome", 0.15)),
    "other": (("other", 1.0),),
}
REGIONS = 35
TAGS = 40
# share of impressions with 0, 1, 2, ... user tags (a third of users are unknown to the DMP)
TAG_COUNT_SHARES = (0.3, 0.3, 0.2, 0.12, 0.05, 0.03)
HOURS = np.array(  # traffic by hour: low at night, a plateau by day, the peak in the evening
    [
        2.0,
        1.2,
        0.8,
        0.6,
        0.5,
        0.6,
        1.2,
        2.4,
        3.6,
        4.4,
        4.8,
        4.8,
        4.6,
        4.6,
        4.7,
        4.7,
        4.6,
        4.5,
        4.6,
        5.0,
        5.5,
        5.6,
        4.8,
        3.4,
    ]
)
FLOORS = (5, 10, 20, 30, 50, 70, 100)
FLOOR_SHARES = (0.15, 0.2, 0.15, 0.1, 0.2, 0.1, 0.1)


def _draw(rng: np.random.Generator, n: int, shares) -> np.ndarray:
    p = np.asarray(shares, dtype=float)
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(n), side="right").clip(0, len(p) - 1)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _intercept_for(mean: float, z: np.ndarray, weights: np.ndarray | None = None) -> float:
    """The shift ``b`` with ``average(sigmoid(b + z), weights) == mean`` (Newton on one number)."""
    w = np.ones_like(z) if weights is None else weights
    b = float(np.log(mean / (1 - mean)) - np.average(z, weights=w))
    for _ in range(50):
        p = _sigmoid(b + z)
        f = np.average(p, weights=w) - mean
        step = f / np.average(p * (1 - p), weights=w)
        b -= step
        if abs(step) < 1e-10:
            break
    return b


class Design:
    """The world's fixed parameters (drawn once from ``seed``), independent of the rows drawn."""

    def __init__(self, seed: int, n_sites: int, zipf: float):
        rng = np.random.default_rng(np.random.SeedSequence([seed, 20, 100]))
        self.n_sites = n_sites
        # sites: Zipf-like frequency, a category each, heavy-tailed CTR effect within the category
        rank = np.arange(1, n_sites + 1)
        self.site_share = rank ** (-zipf) / np.sum(rank ** (-zipf))
        cat_share = rng.dirichlet(np.full(len(CATEGORIES), 2.0))
        self.site_cat = _draw(rng, n_sites, cat_share)
        self.cat_ctr = rng.normal(0.0, 0.35, len(CATEGORIES))
        self.site_ctr = np.clip(0.35 * rng.standard_t(3, n_sites), -2.5, 2.5)
        self.site_price = rng.normal(0.0, 0.35, n_sites)  # publisher premium, apart from its clicks
        self.site_name = np.array([f"{v:06x}" for v in rng.choice(16**6, n_sites, replace=False)], dtype=object)
        floor_of = np.array(FLOORS)[_draw(rng, n_sites, FLOOR_SHARES)]
        self.site_floor = np.where(rng.random(n_sites) < 0.4, 0, floor_of)
        # category x hour: each category its own daily curve
        self.cat_hour_amp = rng.uniform(0.0, 0.35, len(CATEGORIES))
        self.cat_hour_phase = rng.uniform(0.0, 24.0, len(CATEGORIES))
        self.cat_cvr = rng.normal(0.0, 0.4, len(CATEGORIES))
        self.exchange_ctr = rng.normal(0.0, 0.15, len(EXCHANGES))
        self.exchange_price = rng.normal(0.0, 0.15, len(EXCHANGES))
        self.region_share = np.sort(rng.dirichlet(np.full(REGIONS, 2.0)))[::-1]
        self.region_id = np.sort(rng.choice(400, REGIONS, replace=False))  # iPinYou-like numeric ids
        self.region_ctr = rng.normal(0.0, 0.15, REGIONS)
        self.region_price = rng.normal(0.0, 0.15, REGIONS)
        # slot sizes (all devices' sizes in one list), their CTR effect, and size x device
        self.sizes = sorted({s for v in SIZES.values() for s, _ in v})
        self.size_ctr = rng.normal(0.0, 0.3, len(self.sizes))
        area = np.array([np.prod([int(x) for x in s.split("x")]) for s in self.sizes], dtype=float)
        self.size_price = 0.25 * np.log(area / np.median(area))
        self.size_device_ctr = rng.normal(0.0, 0.25, (len(self.sizes), len(DEVICES)))
        # creatives: 1-3 per slot size
        self.creatives = [[f"cr{i:02d}{k}" for k in "abc"[: rng.integers(1, 4)]] for i in range(len(self.sizes))]
        self.creative_ctr = [rng.normal(0.0, 0.2, len(c)) for c in self.creatives]
        self.os_names = sorted({o for v in OS.values() for o, _ in v})
        self.os_ctr = rng.normal(0.0, 0.1, len(self.os_names))
        self.browser_names = sorted({b for v in BROWSERS.values() for b, _ in v})
        self.browser_ctr = rng.normal(0.0, 0.1, len(self.browser_names))
        self.weekday_ctr = rng.normal(0.0, 0.05, 7)
        # user tags: Zipf-like popularity, a CTR and CVR effect each; a third of them "in-market" for one
        # category, where they click and convert more
        self.tag_name = np.array([str(10000 + 50 * i + int(rng.integers(0, 50))) for i in range(TAGS)], dtype=object)
        self.tag_share = 1.0 / np.arange(1, TAGS + 1) ** 0.8
        self.tag_ctr = rng.normal(0.0, 0.15, TAGS)
        self.tag_cvr = rng.normal(0.0, 0.2, TAGS)
        self.tag_market = np.where(rng.random(TAGS) < 1 / 3, rng.integers(0, len(CATEGORIES), TAGS), -1)
        self.tag_market_ctr = rng.uniform(0.4, 0.9, TAGS)


def generate(
    rows: int = 1_000_000,
    *,
    seed: int = 0,
    days: int = 10,
    n_sites: int = 5000,
    zipf: float = 1.1,
    ctr: float = 0.001,
    cvr: float = 0.03,
    mean_price: float = 80.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(log, truth)``: the impression log (sorted by time) and ``imp_id, true_ctr, true_cvr``.

    Examples
    --------
    >>> log, truth = generate(20_000, n_sites=300)
    >>> len(log), bool((log["market_price"] < 300).all()), list(truth.columns)
    (20000, True, ['imp_id', 'true_ctr', 'true_cvr'])
    """
    d = Design(seed, n_sites, zipf)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 20, 101]))
    n = int(rows * 1.15) + 1000  # the logger loses a few per cent (price >= its bid); drawn over and cut

    # -- when: day (weekends a little quieter, each day its own volume) and hour
    day_weight = rng.normal(1.0, 0.08, days) * np.where(((np.arange(days) + 3) % 7) >= 5, 0.9, 1.0)
    day = _draw(rng, n, day_weight)
    hour = _draw(rng, n, HOURS)
    seconds = rng.integers(0, 3600, n)
    ts = START + (day * 86400 + hour * 3600 + seconds).astype("timedelta64[s]")
    weekday = ((day + 3) % 7).astype(np.int64)  # 2013-06-06 was a Thursday (Monday = 0)

    # -- where and what
    site = _draw(rng, n, d.site_share)
    cat = d.site_cat[site]
    exchange = _draw(rng, n, EXCHANGE_SHARES)
    region = _draw(rng, n, d.region_share)
    device = _draw(rng, n, DEVICE_SHARES)
    size = np.empty(n, dtype=np.int64)
    os_ = np.empty(n, dtype=np.int64)
    for k, name in enumerate(DEVICES):
        rows_k = np.flatnonzero(device == k)
        names, shares = zip(*SIZES[name], strict=True)
        size[rows_k] = np.array([d.sizes.index(s) for s in names])[_draw(rng, len(rows_k), shares)]
        names, shares = zip(*OS[name], strict=True)
        os_[rows_k] = np.array([d.os_names.index(o) for o in names])[_draw(rng, len(rows_k), shares)]
    browser = np.empty(n, dtype=np.int64)
    for k, name in enumerate(d.os_names):
        rows_k = np.flatnonzero(os_ == k)
        names, shares = zip(*BROWSERS[name], strict=True)
        browser[rows_k] = np.array([d.browser_names.index(b) for b in names])[_draw(rng, len(rows_k), shares)]
    visibility = _draw(rng, n, VISIBILITY_SHARES)
    creative_k = np.floor(rng.random(n) * np.array([len(c) for c in d.creatives])[size]).astype(np.int64)

    # -- user tags as a bit mask per row (then one text per distinct set): up to 5 draws by popularity,
    # with replacement (a repeated draw adds nothing), so the sets are a little smaller than the counts
    n_tags = _draw(rng, n, TAG_COUNT_SHARES)
    mask = np.zeros(n, dtype=np.uint64)
    for j in range(len(TAG_COUNT_SHARES) - 1):
        take = n_tags > j
        mask[take] |= np.left_shift(np.uint64(1), _draw(rng, int(take.sum()), d.tag_share).astype(np.uint64))
    tag_ctr = np.zeros(n)
    tag_cvr = np.zeros(n)
    in_market = np.zeros(n, dtype=bool)
    for i in range(TAGS):  # one tag at a time: a rows x tags matrix of floats would be a third of a gigabyte
        has = ((mask >> np.uint64(i)) & np.uint64(1)).astype(bool)
        tag_ctr[has] += d.tag_ctr[i]
        tag_cvr[has] += d.tag_cvr[i]
        if d.tag_market[i] >= 0:
            hit = has & (cat == d.tag_market[i])
            tag_ctr[hit] += d.tag_market_ctr[i]
            in_market |= hit

    # -- the true click logit (before its intercept)
    z = (
        d.cat_ctr[cat]
        + d.site_ctr[site]
        + d.exchange_ctr[exchange]
        + d.region_ctr[region]
        + d.size_ctr[size]
        + d.size_device_ctr[size, device]
        + VISIBILITY_CTR[visibility]
        + DEVICE_CTR[device]
        + d.os_ctr[os_]
        + d.browser_ctr[browser]
        + 0.15 * np.cos(2 * np.pi * (hour - 21) / 24)
        + d.cat_hour_amp[cat] * np.cos(2 * np.pi * (hour - d.cat_hour_phase[cat]) / 24)
        + d.weekday_ctr[weekday]
        + rng.normal(0.0, 0.05, days)[day]
        + tag_ctr
    )
    for i, effects in enumerate(d.creative_ctr):
        here = size == i
        z[here] += effects[creative_k[here]]
    cvr_z = d.cat_cvr[cat] + DEVICE_CVR[device] + tag_cvr + 0.5 * in_market

    # -- the market price: log-normal, correlated with the clicks, floored by the reserve, below the logger's bid
    floor = np.round(d.site_floor[site] * np.where(visibility == 0, 1.2, 1.0)).astype(float)
    log_price = (
        d.site_price[site]
        + 0.3 * (z - z.mean())
        + d.exchange_price[exchange]
        + d.region_price[region]
        + d.size_price[size]
        + VISIBILITY_PRICE[visibility]
        + DEVICE_PRICE[device]
        + 0.1 * np.cos(2 * np.pi * (hour - 20) / 24)
        + rng.normal(0.0, 0.55, n)
    )
    level = np.log(mean_price)
    for _ in range(30):  # the level whose logged (paid, below the bid) prices average `mean_price`
        price = np.maximum(np.round(np.exp(level + log_price)), floor)
        kept = price < LOGGER_BID
        step = np.log(mean_price) - np.log(price[kept].mean())
        level += step
        if abs(step) < 1e-4:
            break
    price = np.maximum(np.round(np.exp(level + log_price)), floor)
    kept = np.flatnonzero(price < LOGGER_BID)
    if len(kept) < rows:
        raise RuntimeError(f"only {len(kept):,} of {n:,} drawn impressions are below the logger's bid")
    keep = np.sort(rng.choice(kept, rows, replace=False))
    keep = keep[np.argsort(ts[keep], kind="stable")]

    # intercepts on the logged rows: the log's mean CTR is `ctr`, its mean CVR given a click is `cvr`
    z, cvr_z = z[keep], cvr_z[keep]
    true_ctr = _sigmoid(_intercept_for(ctr, z) + z)
    true_cvr = _sigmoid(_intercept_for(cvr, cvr_z, weights=true_ctr) + cvr_z)
    click = rng.random(rows) < true_ctr
    conversion = click & (rng.random(rows) < true_cvr)

    tag_text = _tag_text(mask[keep], d.tag_name)
    creative_names = np.array([c for cs in d.creatives for c in cs], dtype=object)
    creative_index = np.r_[0, np.cumsum([len(c) for c in d.creatives])[:-1]][size[keep]] + creative_k[keep]
    imp_id = pd.Series(np.arange(1, rows + 1)).map("{:09d}".format).radd("i").to_numpy(dtype=object)

    def cat_col(names, codes):
        return pd.Categorical.from_codes(codes, categories=list(names))

    log = pd.DataFrame(
        {
            "imp_id": imp_id,
            "timestamp": ts[keep].astype("datetime64[ns]"),
            "exchange": cat_col(EXCHANGES, exchange[keep]),
            "site": cat_col(d.site_name, site[keep]),
            "site_category": cat_col(CATEGORIES, cat[keep]),
            "slot_size": cat_col(d.sizes, size[keep]),
            "slot_visibility": cat_col(VISIBILITY, visibility[keep]),
            "device": cat_col(DEVICES, device[keep]),
            "os": cat_col(d.os_names, os_[keep]),
            "browser": cat_col(d.browser_names, browser[keep]),
            "region_id": d.region_id[region[keep]].astype(np.int64),
            "hour": hour[keep].astype(np.int64),
            "weekday": weekday[keep],
            "user_tags": tag_text,
            "creative": cat_col(creative_names, creative_index),
            "floor_price": floor[keep],
            "market_price": price[keep],
            "click": click.astype(np.int8),
            "conversion": conversion.astype(np.int8),
        }
    )
    truth = pd.DataFrame({"imp_id": imp_id, "true_ctr": true_ctr, "true_cvr": true_cvr})
    return log, truth


def _tag_text(mask: np.ndarray, names: np.ndarray) -> pd.Categorical:
    """iPinYou's ``usertag``: the row's tags, comma-separated (blank for an unknown user)."""
    unique, codes = np.unique(mask, return_inverse=True)
    texts = []
    for m in unique.tolist():
        texts.append(",".join(sorted(names[i] for i in range(len(names)) if (m >> i) & 1)))
    # "" would be read back as a missing value from CSV: write the unknown user as iPinYou's "null"
    texts = [t or "null" for t in texts]
    return pd.Categorical.from_codes(codes.ravel(), categories=texts)


def describe(log: pd.DataFrame, truth: pd.DataFrame) -> dict:
    """Summary statistics of a generated log, to compare with the published ones."""
    from sklearn.metrics import roc_auc_score

    p = truth["true_ctr"].to_numpy()
    y = log["click"].to_numpy()
    price = log["market_price"].to_numpy()
    logit = np.log(p / (1 - p))
    sites = log["site"].value_counts()
    days = log["timestamp"].dt.floor("D")
    return {
        "rows": len(log),
        "days": int(days.nunique()),
        "clicks": int(y.sum()),
        "ctr": round(float(y.mean()), 6),
        "true_ctr_mean": round(float(p.mean()), 6),
        "true_logit_sd": round(float(logit.std()), 3),
        "auc_of_true_ctr": round(float(roc_auc_score(y, p)), 4) if 0 < y.sum() < len(y) else None,
        "conversions": int(log["conversion"].sum()),
        "cvr_given_click": round(float(log["conversion"].sum() / max(y.sum(), 1)), 4),
        "market_price": {
            "mean": round(float(price.mean()), 2),
            "median": float(np.median(price)),
            "p90": float(np.quantile(price, 0.9)),
            "max": float(price.max()),
            "at_floor": round(float((price == log["floor_price"].to_numpy()).mean()), 4),
        },
        "corr_log_price_ctr_logit": round(float(np.corrcoef(np.log(np.maximum(price, 1)), logit)[0, 1]), 3),
        "sites": int(len(sites)),
        "sites_under_20_rows": int((sites < 20).sum()),
        "rows_in_top_10_sites": round(float(sites.iloc[:10].sum() / len(log)), 4),
        "user_tag_sets": int(log["user_tags"].nunique()),
        "floor_zero_share": round(float((log["floor_price"] == 0).mean()), 4),
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--out", default="/tmp/ipy.parquet", help="the log (.parquet or .csv); truth next to it")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--sites", type=int, default=5000)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    log, truth = generate(args.rows, seed=args.seed, days=args.days, n_sites=args.sites)
    t_gen = time.perf_counter() - t0
    out = Path(args.out)
    truth_path = out.with_name(out.name.split(".")[0] + ".truth.parquet")
    if out.suffix.lower() == ".csv":
        log.to_csv(out, index=False)
    else:
        log.to_parquet(out, index=False)
    truth.to_parquet(truth_path, index=False)
    stats = describe(log, truth)
    stats["seconds_generate"] = round(t_gen, 1)
    stats["seconds_total"] = round(time.perf_counter() - t0, 1)
    print(json.dumps({"log": str(out), "truth": str(truth_path), "stats": stats}, indent=1))


if __name__ == "__main__":
    main()
