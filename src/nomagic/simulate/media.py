"""Paid media and daily KPIs: spend with carry-over and diminishing returns driving sales.

Daily revenue (the whole business: shop, marketplaces and stores, of which the ``orders`` table
is the part of identified customers) is

    revenue_t = base + trend_t + season_t + weekday_t + holiday_t + price_t
                + sum_c beta_c * hill_c(adstock_c(spend_c))_t + noise_t

with geometric adstock ``a_t = (1 - alpha) spend_t + alpha a_{t-1}`` (started 90 days before the
period, so the first days carry earlier spend) and Hill saturation. Every component of every day
is in ``truth_kpis``; the transformed spend and contribution of every channel and day in
``truth_media_daily``; the curve parameters and true ROI per channel in ``truth_media``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from nomagic.simulate.common import Clock, canonical, rng_for, table
from nomagic.simulate.config import MediaChannel, WorldParams

WARMUP = 90
WEEKDAY = np.array([0.02, 0.0, 0.0, 0.02, -0.02, -0.08, 0.06])  # Monday .. Sunday, share of base
HOLIDAY_LIFT = {
    "New Year": -0.2,
    "Good Friday": -0.1,
    "Easter Monday": 0.1,
    "Black Friday": 0.6,
    "Cyber Monday": 0.35,
    "Christmas Eve": -0.3,
    "Christmas Day": -0.25,
    "Boxing Day": 0.1,
    "New Year's Eve": -0.15,
}


def easter(year: int) -> date:
    """Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def holidays(years: range) -> dict[date, str]:
    out: dict[date, str] = {}
    for y in years:
        e = easter(y)
        thanksgiving = date(y, 11, 1) + timedelta(days=(3 - date(y, 11, 1).weekday()) % 7 + 21)
        out.update(
            {
                date(y, 1, 1): "New Year",
                e - timedelta(days=2): "Good Friday",
                e + timedelta(days=1): "Easter Monday",
                thanksgiving + timedelta(days=1): "Black Friday",
                thanksgiving + timedelta(days=4): "Cyber Monday",
                date(y, 12, 24): "Christmas Eve",
                date(y, 12, 25): "Christmas Day",
                date(y, 12, 26): "Boxing Day",
                date(y, 12, 31): "New Year's Eve",
            }
        )
    return out


def adstock(spend: np.ndarray, alpha: float) -> np.ndarray:
    out = np.empty_like(spend)
    carry = spend[0]
    for t, x in enumerate(spend):
        carry = (1.0 - alpha) * x + alpha * carry
        out[t] = carry
    return out


def hill(a: np.ndarray, half_sat: float, shape: float) -> np.ndarray:
    return a**shape / (a**shape + half_sat**shape)


def _spend_path(rng: np.random.Generator, ch: MediaChannel, n: int, season: np.ndarray, dow: np.ndarray) -> np.ndarray:
    """A day-by-day spend pattern (mean 1 over the period) for one channel."""
    noise = np.empty(n)
    x = 0.0
    for t in range(n):
        x = 0.8 * x + rng.normal(0.0, 0.25)
        noise[t] = x
    level = np.exp(noise) * (1.0 + 0.5 * season)
    if ch.flighted:
        on = np.zeros(n, dtype=bool)
        t = int(rng.integers(0, 30))
        while t < n:
            length = int(rng.integers(14, 29))
            on[t : t + length] = True
            t += length + int(rng.integers(14, 43))
        if not on[WARMUP:].any():  # a short period between two flights: give it one
            first = WARMUP + int(rng.integers(0, max(1, n - WARMUP - 14)))
            on[first : first + 14] = True
        level = level * on * np.exp(rng.normal(0.0, 0.3))
    else:
        months = np.arange(n) // 30
        level = level * np.exp(rng.normal(0.0, 0.35, months.max() + 1))[months]
        if ch.name == "search":
            level = level * np.where(dow >= 5, 0.8, 1.05)
    return level


@dataclass
class MediaWorld:
    media_spend: pa.Table
    kpis: pa.Table
    campaigns: dict[str, list]
    truth_media: pa.Table
    truth_media_daily: pa.Table
    truth_kpis: pa.Table


def make_media(seed: int, clock: Clock, customers: int, params: WorldParams) -> MediaWorld:
    rng = rng_for(seed, "media")
    days, n = clock.days, clock.days + WARMUP
    first = clock.start.date() - timedelta(days=WARMUP)
    dates = [first + timedelta(days=i) for i in range(n)]
    doy = np.array([d.timetuple().tm_yday for d in dates], dtype=np.float64)
    dow = np.array([d.weekday() for d in dates])
    season = np.cos(2 * np.pi * (doy - 335) / 365.25)
    base = params.base_revenue_per_1k * customers / 1000.0
    budget = base * params.media_share
    rec = slice(WARMUP, n)

    spend, ad, sat, contrib, rows = {}, {}, {}, {}, []
    for ch in params.channels:
        path = _spend_path(rng, ch, n, season, dow)
        s = np.round(path / path[rec].mean() * budget * ch.spend_share, 2)
        a = adstock(s, ch.alpha)
        k = ch.half_sat * a[rec].mean()
        h = hill(a, k, ch.shape)
        beta = ch.roi * s[rec].sum() / h[rec].sum()
        bumped = hill(adstock(s * 1.01, ch.alpha), k, ch.shape)
        mroi = beta * (bumped[rec].sum() - h[rec].sum()) / (0.01 * s[rec].sum())
        spend[ch.name], ad[ch.name], sat[ch.name], contrib[ch.name] = s, a, h, beta * h
        rows.append(
            {
                "channel": ch.name,
                "beta": beta,
                "adstock_alpha": ch.alpha,
                "hill_half_sat": k,
                "hill_shape": ch.shape,
                "total_spend": s[rec].sum(),
                "total_contribution": (beta * h)[rec].sum(),
                "roi": (beta * h)[rec].sum() / s[rec].sum(),
                "mroi": mroi,
            }
        )

    hol = holidays(range(dates[0].year, dates[-1].year + 1))
    names = [hol.get(d) for d in dates]
    lift = np.array([HOLIDAY_LIFT.get(h, 0.0) if h else 0.0 for h in names])
    pi = np.empty(n)
    x = 0.0
    for t in range(n):
        x = 0.97 * x + rng.normal(0.0, 0.004)
        pi[t] = x
    sale = np.isin(np.array(names, dtype=object), ["Black Friday", "Cyber Monday"]) | (rng.random(n) < 0.03)
    price_index = np.round(1.0 + pi - 0.08 * sale, 4)

    t_years = (np.arange(n) - WARMUP) / 365.0
    comp = {
        "base": np.full(n, base),
        "trend": base * params.trend_per_year * t_years,
        "season": base * params.season_amplitude * season,
        "weekday": base * WEEKDAY[dow],
        "holiday": base * lift,
        "price": base * params.price_elasticity * (price_index - 1.0),
        "media": sum(contrib.values()),
        "noise": rng.normal(0.0, params.kpi_noise * base, n),
    }
    revenue = np.maximum(sum(comp.values()), 0.0)
    orders = np.round(revenue / (params.aov * np.exp(rng.normal(0.0, 0.03, n))))

    day_idx = np.arange(days)
    date_col = clock.dates(day_idx)
    kpis = canonical(
        "kpis",
        {
            "date": date_col,
            "revenue": np.round(revenue[rec], 2),
            "orders": orders[rec],
            "price_index": price_index[rec],
            "holiday": np.array([h is not None for h in names])[rec],
            "holiday_name": pa.array(names[WARMUP:], pa.string()),
        },
    )
    chans = [ch.name for ch in params.channels]
    n_ch = len(chans)
    ch_col = pa.array(np.repeat(np.array(chans), days))
    dates_long = pa.concat_arrays([date_col] * n_ch)
    s_long = np.concatenate([spend[c][rec] for c in chans])
    cpm = np.repeat([ch.cpm for ch in params.channels], days)
    ctr = np.repeat([ch.ctr for ch in params.channels], days)
    impressions = np.round(s_long / cpm * 1000 * np.exp(rng.normal(0.0, 0.1, len(s_long))))
    clicks = np.round(impressions * ctr * np.exp(rng.normal(0.0, 0.15, len(s_long))))
    media_spend = canonical(
        "media_spend",
        {
            "date": dates_long,
            "channel": ch_col,
            "spend": s_long,
            "impressions": impressions,
            "clicks": pa.array(clicks, mask=ctr == 0),
        },
    )
    daily = table(
        {
            "date": dates_long,
            "channel": ch_col,
            "spend": s_long,
            "adstocked": np.concatenate([ad[c][rec] for c in chans]),
            "saturated": np.concatenate([sat[c][rec] for c in chans]),
            "contribution": np.concatenate([contrib[c][rec] for c in chans]),
        }
    )
    truth_kpis = table({"date": date_col, **{k: v[rec] for k, v in comp.items()}})
    campaigns = _paid_campaigns(clock, params, {c: spend[c][rec] for c in chans})
    return MediaWorld(
        media_spend, kpis, campaigns, table({k: [r[k] for r in rows] for k in rows[0]}), daily, truth_kpis
    )


def _paid_campaigns(clock: Clock, params: WorldParams, spend: dict[str, np.ndarray]) -> dict[str, list]:
    """One campaign per flight (flighted channels) or per month of always-on spend."""
    rows: dict[str, list] = {k: [] for k in ("channel", "name", "started", "ended", "budget")}
    for ch in params.channels:
        s = spend[ch.name]
        if ch.flighted:
            on = s > 0
            edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(np.int8), [0]])))
            spans = list(zip(edges[::2], edges[1::2], strict=True))
        else:
            month = np.array([(clock.start + timedelta(days=int(d))).strftime("%Y-%m") for d in range(len(s))])
            cut = np.flatnonzero(np.concatenate([[True], month[1:] != month[:-1], [True]]))
            spans = list(zip(cut[:-1], cut[1:], strict=True))
        for i, (a, b) in enumerate(spans, start=1):
            begin = clock.start + timedelta(days=int(a))
            rows["channel"].append(ch.name)
            label = f"{begin:%Y-%m}" if not ch.flighted else f"flight {i} ({begin:%Y-%m-%d})"
            rows["name"].append(f"{ch.name.title()} {label}")
            rows["started"].append(float(a))
            rows["ended"].append(float(b) - 1e-6)
            rows["budget"].append(round(float(s[a:b].sum()), 2))
    return rows


@dataclass(frozen=True)
class TrueMedia:
    """The true media curves of a simulated world, to judge a fitted model against (never to fit one).

    The simulator owns what its truth means (a daily Hill curve on geometrically adstocked spend);
    a reader asks only for what a model claims: the steady-state response to a spend per period,
    and each channel's ROI over a window.
    """

    curves: dict  # channel -> {"beta", "half_sat", "shape", "alpha"} (daily, on adstocked spend)
    roi: dict  # channel -> true contribution / spend over the window asked for

    def response(self, channel: str, spend, period_days: float = 7.0) -> np.ndarray:
        """True media revenue per period when ``channel`` spends ``spend`` in every period of ``period_days``.

        A steady spend has adstock equal to the daily spend (the adstock weights sum to 1), so the
        response is ``period_days * beta * hill(spend / period_days)``.
        """
        c = self.curves[channel]
        daily = np.maximum(np.asarray(spend, float), 0.0) / period_days
        return period_days * c["beta"] * hill(daily, c["half_sat"], c["shape"])


def true_media(wh, start=None, end=None) -> TrueMedia | None:
    """The true curves and ROIs of a simulated warehouse (ROI over ``start``..``end``, inclusive), or None."""
    if not (wh.has("truth_media") and wh.has("truth_media_daily")):
        return None
    tm = wh.table("truth_media").execute()
    daily = wh.table("truth_media_daily")
    if start is not None:
        daily = daily.filter(daily.date >= start)
    if end is not None:
        daily = daily.filter(daily.date <= end)
    tot = daily.group_by("channel").aggregate(spend=daily.spend.sum(), contribution=daily.contribution.sum()).execute()
    roi = {str(r.channel): float(r.contribution / r.spend) for r in tot.itertuples() if r.spend > 0}
    curves = {
        str(r.channel): {
            "beta": float(r.beta),
            "half_sat": float(r.hill_half_sat),
            "shape": float(r.hill_shape),
            "alpha": float(r.adstock_alpha),
        }
        for r in tm.itertuples()
    }
    return TrueMedia(curves=curves, roi=roi)
