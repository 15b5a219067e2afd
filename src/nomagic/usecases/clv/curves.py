"""The per-customer pictures of a fitted purchase model, as plain data for the record and the report.

* :func:`frequency_recency_matrix`: over a grid of frequency (repeat purchase days) x recency (time
  of the last purchase since the first), for a customer observed for ``T`` (by default the longest
  observation in the data): the **probability alive** and the **expected purchase days in the next
  period** (``horizon``). Theory: for a fixed frequency both grow with recency (a recent last
  purchase means the customer is more likely still buying), and a customer who bought at the very
  end (recency = T) is more likely alive the more often they bought.
* :func:`cohort_curves`: customers grouped by when they first bought (month, quarter or year:
  :func:`cohort_period`), the **cumulative repeat purchase days per customer** over time, actual
  and expected by the model (each customer's unconditional expectation since their first purchase),
  through the calibration period and the holdout.

Both return dicts of lists (JSON-ready); :mod:`nomagic.report.charts` draws them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nomagic.usecases.clv.data import TIME_UNITS
from nomagic.words import say

__all__ = ["cohort_curves", "cohort_period", "frequency_recency_matrix"]

#: at most this many cohorts; coarser periods are used beyond it
MAX_COHORTS = 8


def frequency_recency_matrix(
    model,
    frequency,
    T,
    *,
    horizon: float,
    max_frequency: int | None = None,
    n_recency: int = 20,
    T_ref: float | None = None,
) -> dict:
    """P(alive) and expected purchases in the next ``horizon`` over frequency x recency, at one ``T``.

    ``frequency`` and ``T`` are the customers' (to size the grid): frequencies run from 0 to
    ``max_frequency`` (default the 99th percentile of the customers', at least 5, at most 30),
    recency from 0 to ``T_ref`` (default the longest ``T``) in ``n_recency`` steps. Customers without a
    repeat purchase have recency 0 by definition; their row is repeated along recency.
    """
    x = np.asarray(frequency, dtype=float)
    TT = np.asarray(T, dtype=float)
    T_ref = float(T_ref if T_ref is not None else (TT.max() if TT.size else 1.0))
    T_ref = max(T_ref, 1e-9)
    if max_frequency is None:
        q = float(np.quantile(x, 0.99)) if x.size else 5.0
        max_frequency = int(min(max(np.ceil(q), 5), 30))
    freqs = np.arange(0, max_frequency + 1, dtype=float)
    recs = np.linspace(0.0, T_ref, n_recency + 1)
    F, R = np.meshgrid(freqs, recs, indexing="ij")
    R = np.where(F == 0, 0.0, R)  # no repeat purchase: recency is 0
    f, r = F.ravel(), R.ravel()
    Tv = np.full(f.shape, T_ref)
    p_alive = np.asarray(model.probability_alive(f, r, Tv), dtype=float).reshape(F.shape)
    expected = np.asarray(model.conditional_expected_purchases(horizon, f, r, Tv), dtype=float).reshape(F.shape)
    return {
        "frequency": [int(v) for v in freqs],
        "recency": [round(float(v), 4) for v in recs],
        "T": round(T_ref, 4),
        "horizon": round(float(horizon), 4),
        "p_alive": np.round(p_alive, 5).tolist(),
        "expected": np.round(expected, 5).tolist(),
        "what": say(
            "for a customer first seen T time units before the calibration end: probability of being alive and "
            "expected purchase days in the next `horizon`, by repeat purchase days (rows) and recency (columns)",
            "für einen Kunden, der T Zeiteinheiten vor dem Kalibrierungsende zuerst kaufte: Wahrscheinlichkeit, noch "
            "aktiv zu sein, und erwartete Kauftage im nächsten `horizon`, nach Wiederkaufstagen (Zeilen) und "
            "recency (Spalten)",
        ),
    }


def cohort_period(first: pd.Series, max_cohorts: int = MAX_COHORTS) -> str:
    """``"M"`` (month), ``"Q"`` (quarter) or ``"Y"`` (year): the finest with at most ``max_cohorts`` cohorts."""
    first = pd.to_datetime(first)
    for p in ("M", "Q"):
        if first.dt.to_period(p).nunique() <= max_cohorts:
            return p
    return "Y"


def cohort_curves(
    days: pd.DataFrame,
    id: str,
    day: str,
    summary: pd.DataFrame,
    model,
    *,
    period: str | None = None,
    step_days: int = 7,
) -> dict:
    """Cumulative repeat purchase days per customer of each acquisition cohort, actual and expected.

    ``days``: one row per purchase (several on a day count once), with ``id`` and ``day``;
    ``summary``: the :func:`~nomagic.usecases.clv.data.summary_data` frame (its customers, first purchase
    days, time unit, calibration and observation ends). Each cohort's curve starts at the start of its
    period and is sampled every ``step_days`` up to the observation end (or the calibration end).

    Returns ``{"period", "calibration_end", "dates", "cohorts": [{"cohort", "customers", "actual",
    "model"}...]}``; ``actual`` and ``model`` are per customer of the cohort, ``None`` before the cohort
    starts. ``actual`` at the last date times ``customers``, summed over the cohorts, is every repeat
    purchase day of these customers up to the last date.
    """
    unit = TIME_UNITS[summary.attrs["time_unit"]]
    cal_end = pd.Timestamp(summary.attrs["calibration_end"])
    end = pd.Timestamp(summary.attrs.get("observation_end") or cal_end)
    first = pd.to_datetime(summary["first_purchase"])
    period = period or cohort_period(first)
    cohort = first.dt.to_period(period)
    start = cohort.min().start_time
    grid = pd.date_range(start + pd.Timedelta(days=step_days), end, freq=f"{step_days}D")
    if len(grid) == 0 or grid[-1] != end:
        grid = grid.append(pd.DatetimeIndex([end]))
    if cal_end not in grid and cal_end < end:
        grid = grid.append(pd.DatetimeIndex([cal_end])).sort_values()
    d = pd.DataFrame({"id": days[id].to_numpy(), "day": pd.to_datetime(days[day]).dt.normalize().to_numpy()})
    d = d[d["id"].isin(summary.index)].drop_duplicates()
    d = d[(d["day"] > d["id"].map(first)) & (d["day"] <= end)]  # repeat purchase days only
    d["cohort"] = d["id"].map(cohort)
    out = []
    gv = grid.to_numpy()
    for c in sorted(cohort.unique()):
        members = cohort == c
        n = int(members.sum())
        c_start = c.start_time
        rep = np.sort(d.loc[d["cohort"] == c, "day"].to_numpy())
        actual = np.searchsorted(rep, gv, side="right") / n
        counts = first[members].value_counts()
        f_days, f_n = pd.DatetimeIndex(counts.index), counts.to_numpy(float)
        expected = []
        for g in grid:
            age = np.asarray((g - f_days).days, dtype=float) / unit
            ok = age > 0
            expected.append(float(np.dot(f_n[ok], model.expected_purchases(age[ok]))) / n if ok.any() else 0.0)
        before = grid < c_start
        out.append(
            {
                "cohort": str(c),
                "customers": n,
                "actual": [None if b else round(float(a), 5) for a, b in zip(actual, before, strict=True)],
                "model": [None if b else round(e, 5) for e, b in zip(expected, before, strict=True)],
            }
        )
    return {
        "period": {"M": "month", "Q": "quarter", "Y": "year"}[period],
        "calibration_end": cal_end.date().isoformat(),
        "dates": [g.date().isoformat() for g in grid],
        "cohorts": out,
        "what": say(
            "cumulative repeat purchase days per customer of each cohort (by first purchase), actual and expected",
            "kumulierte Wiederkaufstage pro Kunde jeder Kohorte (nach Erstkauf), tatsächlich und erwartet",
        ),
    }
