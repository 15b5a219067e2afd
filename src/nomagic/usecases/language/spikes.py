"""Alerts on unusual spikes in a count series (mention volume, negative mentions).

Each period's count is compared with what the *past alone* predicted -- the alert you would have
had at the time, not one found with hindsight:

* **level**: the median count per period over the trailing ``window`` periods;
* **season**: the share of volume that falls on this hour of the day (hourly data) or day of the week
  (daily data), estimated from the whole cycles of the past and shrunk towards "no pattern" by one
  cycle's worth of flat pseudo-data (two weeks of days hold two Mondays: that is noise, not a pattern);
* **noise**: counts of mentions are over-dispersed (news, retweets), so the Poisson variance is
  scaled by a dispersion factor estimated robustly from the squared Pearson residuals of the past
  periods (their median / 0.455, at least 1).

No period is judged before two full cycles of history (two days of hours, two weeks of days; three
weeks of weekly data): a collection that starts mid-morning must not "spike" at noon. A period is a
spike when its count is at least ``min_count``, at least ``min_ratio`` times the
expectation, and ``z = (count - expected) / sqrt(dispersion * expected)`` is at least ``z``.
Shares (e.g. the negative share of mentions) use the binomial counterpart: negative mentions
against ``mentions x trailing negative share``.

Written here rather than taken from a forecasting library: the rule is a dozen lines of numpy,
explainable in one sentence to the person who gets the alert, and needs no model fit per series.

Examples
--------
>>> import numpy as np
>>> counts = np.r_[np.full(30, 20), 90, np.full(5, 20)]
>>> [a["index"] for a in count_spikes(counts)]
[30]
>>> [(e["first"], e["last"]) for e in episodes([{"index": i, "count": 50, "z": 5.0} for i in (3, 4, 6, 12)])]
[(3, 6), (12, 12)]
"""

from __future__ import annotations

import numpy as np

SEASON = {"hour": 24, "day": 7}


def _season_factor(counts: np.ndarray, t: int, cycle: int | None) -> float:
    """This period's share of a cycle's volume relative to an even share (1 = average), from the past."""
    if not cycle or t < 2 * cycle:
        return 1.0
    past = counts[:t]
    full = past[len(past) % cycle :].reshape(-1, cycle)  # whole cycles ending at t-1
    totals = full.sum(axis=0)
    flat = totals.mean() / full.shape[0] + 0.5  # one cycle of flat pseudo-data (+0.5: empty is not "never")
    pos = (t - len(past) % cycle) % cycle  # position of period t within the cycles above
    return float((totals[pos] + flat) / (totals.mean() + flat))


def expected_counts(counts, *, window: int = 14, cycle: int | None = None) -> tuple[np.ndarray, float]:
    """Past-only expectation per period (NaN while fewer than 3 past periods) and the dispersion."""
    c = np.asarray(counts, dtype=float)
    exp = np.full(c.size, np.nan)
    deseason = np.ones(c.size)
    for t in range(c.size):
        deseason[t] = _season_factor(c, t, cycle)
    level_series = c / deseason
    for t in range(3, c.size):
        past = level_series[max(0, t - window) : t]
        exp[t] = max(float(np.median(past)), 0.5) * deseason[t]
    ok = ~np.isnan(exp)
    resid = (c[ok] - exp[ok]) ** 2 / exp[ok]
    # the median of a chi-square(1) is 0.455 of its mean: a robust estimate that spikes do not inflate
    dispersion = max(1.0, float(np.median(resid)) / 0.455) if resid.size else 1.0
    return exp, dispersion


def count_spikes(
    counts,
    *,
    window: int = 14,
    cycle: int | None = None,
    z: float = 5.0,
    min_count: int = 10,
    min_ratio: float = 1.5,
) -> list[dict]:
    """Periods whose count is unusually high given the past: ``[{index, count, expected, z}]``."""
    c = np.asarray(counts, dtype=float)
    exp, disp = expected_counts(c, window=window, cycle=cycle)
    out = []
    for t in np.flatnonzero(~np.isnan(exp)):
        if t < (2 * cycle if cycle else 3):
            continue
        score = (c[t] - exp[t]) / np.sqrt(disp * exp[t])
        if c[t] >= min_count and c[t] >= min_ratio * exp[t] and score >= z:
            out.append(
                {"index": int(t), "count": int(c[t]), "expected": round(float(exp[t]), 1), "z": round(float(score), 1)}
            )
    return out


def share_spikes(
    hits,
    totals,
    *,
    window: int = 14,
    z: float = 5.0,
    min_count: int = 10,
    min_ratio: float = 1.5,
    cycle: int | None = None,
) -> list[dict]:
    """Periods whose share ``hits / totals`` is unusually high given the trailing share."""
    h = np.asarray(hits, dtype=float)
    n = np.asarray(totals, dtype=float)
    out = []
    for t in range(2 * cycle if cycle else 3, h.size):
        lo = max(0, t - window)
        past_n = n[lo:t].sum()
        if past_n < min_count or n[t] == 0:
            continue
        p0 = (h[lo:t].sum() + 0.5) / (past_n + 1.0)
        exp = n[t] * p0
        score = (h[t] - exp) / np.sqrt(max(exp * (1 - p0), 1e-9))
        if h[t] >= min_count and h[t] >= min_ratio * exp and score >= z:
            out.append(
                {
                    "index": int(t),
                    "count": int(h[t]),
                    "total": int(n[t]),
                    "share": round(float(h[t] / n[t]), 3),
                    "expected_share": round(float(p0), 3),
                    "z": round(float(score), 1),
                }
            )
    return out


def episodes(spikes: list[dict], gap: int = 1) -> list[dict]:
    """Consecutive flagged periods (at most ``gap`` quiet periods apart) as one episode.

    A storm that lasts a day is one alert with its start, end and peak, not 24 alerts.
    """
    out: list[dict] = []
    for s in sorted(spikes, key=lambda a: a["index"]):
        if out and s["index"] - out[-1]["last"] <= gap + 1:
            e = out[-1]
            e["last"] = s["index"]
            e["periods"] += 1
            e["count"] += s["count"]
            if s["z"] > e["peak"]["z"]:
                e["peak"] = s
        else:
            out.append({"first": s["index"], "last": s["index"], "periods": 1, "count": s["count"], "peak": s})
    return out


__all__ = ["SEASON", "count_spikes", "episodes", "expected_counts", "share_spikes"]
