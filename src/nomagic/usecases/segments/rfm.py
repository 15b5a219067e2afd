"""RFM: recency, frequency and monetary value per customer, scored 1-5, and named segments.

Per customer, at a date ``as_of`` (orders summed per customer-day first, so several orders on one day
count as one purchase):

* ``recency_days``: days since the last purchase; ``frequency``: purchase days; ``monetary``: total
  spend; plus ``tenure_days``, ``avg_value`` (spend per purchase day), ``days_between`` (mean gap
  between purchase days) and ``recent_share`` (share of purchase days in the last 90 days), which the
  behavioural clusters use.
* Scores 1-5 by quintile: a customer's score is 1 + how many fifths of all customers are *strictly
  worse* (less recent, fewer purchases, less spend). Ties share a score, so the many customers who
  bought once all get F = 1.
* Segments from the R and F scores (the usual grid; M is shown in the profile):

  ====  =================  =================  ===================  ===================  ============
  R\\F  1                  2                  3                    4                    5
  ====  =================  =================  ===================  ===================  ============
  5     new                potential loyal.   potential loyal.     champions            champions
  4     promising          potential loyal.   potential loyal.     loyal                loyal
  3     about to sleep     about to sleep     need attention       loyal                loyal
  2     hibernating        hibernating        at risk              at risk              can't lose them
  1     lost               lost               at risk              at risk              can't lose them
  ====  =================  =================  ===================  ===================  ============
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from nomagic.errors import InputError, NotReadyError

__all__ = ["SEGMENTS", "Segment", "customer_features", "rfm_scores", "rfm_segment", "segment_summary"]


@dataclass(frozen=True)
class Segment:
    """A named RFM segment: who they are, in plain words, and what to do."""

    name: str
    profile: str
    action: str


SEGMENTS: dict[str, Segment] = {
    s.name: s
    for s in (
        Segment(
            "champions",
            "bought very recently, buy often and spend the most",
            "reward them: early access, loyalty perks, ask for reviews and referrals; no discounts needed",
        ),
        Segment(
            "loyal",
            "buy often and fairly recently",
            "keep them close: recommendations, loyalty programme, upsell to higher value",
        ),
        Segment(
            "potential loyalists",
            "recent customers with a few purchases",
            "help them form a habit: membership, personalised recommendations, a reason to come back",
        ),
        Segment(
            "new",
            "bought for the first time very recently",
            "welcome them: onboarding series, make the second purchase easy",
        ),
        Segment(
            "promising",
            "bought once, fairly recently",
            "build awareness: show the range, a light incentive for the second purchase",
        ),
        Segment(
            "need attention",
            "average recency and frequency",
            "re-engage with limited-time offers and recommendations based on past purchases",
        ),
        Segment(
            "about to sleep",
            "bought once or twice, a while ago",
            "remind them: popular products, a modest incentive before they drift away",
        ),
        Segment(
            "at risk",
            "used to buy often but not for a long time",
            "win them back with personal messages and a relevant offer; ask what went wrong",
        ),
        Segment(
            "can't lose them",
            "were among the most frequent buyers but have not bought for a long time",
            "contact them personally, with your best offer; find out why they stopped",
        ),
        Segment(
            "hibernating",
            "bought rarely and long ago",
            "low-cost reactivation only (newsletter, seasonal offers); do not overspend",
        ),
        Segment(
            "lost",
            "bought once or twice, very long ago",
            "leave them out of paid campaigns; at most an occasional low-cost reminder",
        ),
    )
}

_GRID = {
    5: ("new", "potential loyalists", "potential loyalists", "champions", "champions"),
    4: ("promising", "potential loyalists", "potential loyalists", "loyal", "loyal"),
    3: ("about to sleep", "about to sleep", "need attention", "loyal", "loyal"),
    2: ("hibernating", "hibernating", "at risk", "at risk", "can't lose them"),
    1: ("lost", "lost", "at risk", "at risk", "can't lose them"),
}

FEATURES = ("recency_days", "frequency", "monetary", "tenure_days", "avg_value", "days_between", "recent_share")


def customer_features(
    transactions: pd.DataFrame,
    id: str,
    time: str,
    value: str | None = None,
    as_of=None,
    *,
    source: str | None = None,
    recent_days: int = 90,
) -> pd.DataFrame:
    """The per-customer RFM and behaviour features at ``as_of`` (default: the last order day), index = customer id.

    Orders after ``as_of`` are ignored; orders on ``as_of`` count.
    """
    where = f"{source}: " if source else ""
    for role, col in (("customer id", id), ("time", time), ("value", value)):
        if col is not None and col not in transactions.columns:
            found = ", ".join(map(str, transactions.columns[:20]))
            raise InputError(f"{where}no {role} column {col!r}; the columns are: {found}")
    day = _dates(transactions[time], time, where).dt.normalize()
    if value is not None:
        v = pd.to_numeric(transactions[value], errors="coerce")
        bad = v.isna() & transactions[value].notna()
        if bad.any():
            raise InputError(f"{where}column {value!r} has {int(bad.sum())} value(s) that are not numbers")
        v = v.fillna(0.0).clip(lower=0.0)
    else:
        v = pd.Series(0.0, index=transactions.index)
    df = pd.DataFrame({"id": transactions[id].to_numpy(), "day": day.to_numpy(), "v": v.to_numpy(float)})
    df = df.dropna(subset=["id", "day"])
    if df.empty:
        raise NotReadyError(f"{where}there are no orders")
    today = pd.Timestamp(datetime.now(UTC).replace(tzinfo=None)).normalize()
    if (df["day"] > today).any():
        raise InputError(f"{where}{int((df['day'] > today).sum())} order(s) lie in the future; check column {time!r}")
    as_of = pd.Timestamp(as_of).normalize() if as_of is not None else df["day"].max()
    df = df[df["day"] <= as_of]
    if df.empty:
        raise NotReadyError(f"{where}no orders on or before {as_of:%Y-%m-%d}")
    days = df.groupby(["id", "day"], sort=False)["v"].sum().reset_index()
    g = days.groupby("id", sort=True)
    first, last, n = g["day"].min(), g["day"].max(), g.size()
    out = pd.DataFrame(index=first.index)
    out.index.name = id
    out["recency_days"] = (as_of - last).dt.days.astype(float)
    out["frequency"] = n.astype(int)
    out["monetary"] = g["v"].sum()
    out["tenure_days"] = (as_of - first).dt.days.astype(float)
    out["avg_value"] = out["monetary"] / out["frequency"]
    span = (last - first).dt.days.astype(float)
    out["days_between"] = np.where(out["frequency"] > 1, span / (out["frequency"] - 1).clip(lower=1), np.nan)
    recent = days[days["day"] > as_of - pd.Timedelta(days=recent_days)].groupby("id").size()
    out["recent_share"] = recent.reindex(out.index).fillna(0) / out["frequency"]
    out.attrs["as_of"] = as_of.date().isoformat()
    return out


def _dates(s: pd.Series, column: str, where: str) -> pd.Series:
    """Dates from datetimes, ``YYYYMMDD`` numbers or text; naive (UTC where zoned)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s
    else:
        text = s.astype("string").str.strip()
        fmt = "%Y%m%d" if text.str.fullmatch(r"\d{8}").fillna(False).all() else None
        out = pd.to_datetime(text, format=fmt, errors="coerce")
        bad = out.isna() & s.notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{where}column {column!r} has {int(bad.sum())} value(s) that are not dates (first: {s.iloc[i]!r})"
            )
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def _score(values: pd.Series, higher_is_better: bool, q: int = 5) -> pd.Series:
    v = values.astype(float).fillna(values.min() if higher_is_better else values.max())
    key = v if higher_is_better else -v
    worse = key.rank(method="min") - 1  # customers strictly worse
    return (1 + np.floor(q * worse / len(key))).clip(1, q).astype(int)


def rfm_scores(features: pd.DataFrame, q: int = 5) -> pd.DataFrame:
    """``r_score``, ``f_score``, ``m_score`` (1-5), ``rfm`` (e.g. "545"), ``segment``, ``profile`` and ``action``."""
    for col in ("recency_days", "frequency", "monetary"):
        if col not in features.columns:
            raise InputError(f"RFM scores need the column {col!r} (see customer_features)")
    if features.empty:
        raise NotReadyError("no customers to score")
    out = pd.DataFrame(index=features.index)
    out["r_score"] = _score(features["recency_days"], higher_is_better=False, q=q)
    out["f_score"] = _score(features["frequency"], higher_is_better=True, q=q)
    out["m_score"] = _score(features["monetary"], higher_is_better=True, q=q)
    out["rfm"] = out["r_score"].astype(str) + out["f_score"].astype(str) + out["m_score"].astype(str)
    out["segment"] = rfm_segment(out["r_score"], out["f_score"])
    out["profile"] = out["segment"].map(lambda s: SEGMENTS[s].profile)
    out["action"] = out["segment"].map(lambda s: SEGMENTS[s].action)
    return out


def rfm_segment(r_score, f_score) -> np.ndarray:
    """The segment name for each (R, F) score pair (see the grid in the module docstring)."""
    r = np.clip(np.asarray(r_score, dtype=int), 1, 5)
    f = np.clip(np.asarray(f_score, dtype=int), 1, 5)
    names = np.empty(r.shape, dtype=object)
    for rv, row in _GRID.items():
        for fv, name in enumerate(row, start=1):
            names[(r == rv) & (f == fv)] = name
    return names


def segment_summary(features: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Per segment: customers, share, medians of recency / frequency / spend, revenue share, profile and action."""
    df = features.join(scores[["segment"]])
    g = df.groupby("segment")
    total = float(df["monetary"].sum()) or 1.0
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "share": g.size() / len(df),
            "median_recency_days": g["recency_days"].median(),
            "median_frequency": g["frequency"].median(),
            "median_monetary": g["monetary"].median(),
            "revenue_share": g["monetary"].sum() / total,
        }
    )
    order = [s for s in SEGMENTS if s in out.index]
    out = out.loc[order]
    out["profile"] = [SEGMENTS[s].profile for s in out.index]
    out["action"] = [SEGMENTS[s].action for s in out.index]
    return out
