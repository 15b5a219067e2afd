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
from nomagic.privacy import groups
from nomagic.words import Text, say

__all__ = ["SEGMENTS", "Segment", "customer_features", "rfm_scores", "rfm_segment", "segment_summary"]


@dataclass(frozen=True)
class Segment:
    """A named RFM segment: who they are, in plain words, and what to do (``profile``, ``action`` and
    ``title`` know their German: ``SEGMENTS["lost"].action.de``); ``name`` is the code kept in tables."""

    name: str
    profile: Text
    action: Text
    title: Text


def _segment(name: str, title_de: str, profile: tuple[str, str], action: tuple[str, str]) -> Segment:
    return Segment(name, say(*profile), say(*action), Text(name, title_de))


SEGMENTS: dict[str, Segment] = {
    s.name: s
    for s in (
        _segment(
            "champions",
            "Champions",
            (
                "bought very recently, buy often and spend the most",
                "haben vor Kurzem gekauft, kaufen oft und geben am meisten aus",
            ),
            (
                "reward them: early access, loyalty perks, ask for reviews and referrals; no discounts needed",
                "belohnen: früher Zugang, Treuevorteile, um Bewertungen und Empfehlungen bitten; keine Rabatte nötig",
            ),
        ),
        _segment(
            "loyal",
            "Treue Kunden",
            ("buy often and fairly recently", "kaufen oft und recht kürzlich"),
            (
                "keep them close: recommendations, loyalty programme, upsell to higher value",
                "an sich binden: Empfehlungen, Treueprogramm, Upselling zu höherwertigen Produkten",
            ),
        ),
        _segment(
            "potential loyalists",
            "Potenzielle Stammkunden",
            ("recent customers with a few purchases", "neuere Kunden mit einigen Käufen"),
            (
                "help them form a habit: membership, personalised recommendations, a reason to come back",
                "helfen, eine Gewohnheit zu bilden: Mitgliedschaft, persönliche Empfehlungen, ein Grund wiederzukommen",
            ),
        ),
        _segment(
            "new",
            "Neukunden",
            ("bought for the first time very recently", "haben vor Kurzem zum ersten Mal gekauft"),
            (
                "welcome them: onboarding series, make the second purchase easy",
                "willkommen heißen: Onboarding-Serie, den zweiten Kauf leicht machen",
            ),
        ),
        _segment(
            "promising",
            "Vielversprechend",
            ("bought once, fairly recently", "haben einmal gekauft, recht kürzlich"),
            (
                "build awareness: show the range, a light incentive for the second purchase",
                "Bekanntheit aufbauen: das Sortiment zeigen, ein kleiner Anreiz für den zweiten Kauf",
            ),
        ),
        _segment(
            "need attention",
            "Brauchen Aufmerksamkeit",
            ("average recency and frequency", "durchschnittlich in Aktualität und Häufigkeit"),
            (
                "re-engage with limited-time offers and recommendations based on past purchases",
                "mit befristeten Angeboten und Empfehlungen auf Basis früherer Käufe wieder ansprechen",
            ),
        ),
        _segment(
            "about to sleep",
            "Drohen einzuschlafen",
            ("bought once or twice, a while ago", "haben ein- oder zweimal gekauft, vor einer Weile"),
            (
                "remind them: popular products, a modest incentive before they drift away",
                "erinnern: beliebte Produkte, ein maßvoller Anreiz, bevor sie abwandern",
            ),
        ),
        _segment(
            "at risk",
            "Gefährdet",
            (
                "used to buy often but not for a long time",
                "haben früher oft gekauft, aber schon lange nicht mehr",
            ),
            (
                "win them back with personal messages and a relevant offer; ask what went wrong",
                "mit persönlichen Nachrichten und einem passenden Angebot zurückgewinnen; fragen, was schiefgelaufen "
                "ist",
            ),
        ),
        _segment(
            "can't lose them",
            "Dürfen wir nicht verlieren",
            (
                "were among the most frequent buyers but have not bought for a long time",
                "gehörten zu den häufigsten Käufern, haben aber lange nicht mehr gekauft",
            ),
            (
                "contact them personally, with your best offer; find out why they stopped",
                "persönlich ansprechen, mit Ihrem besten Angebot; herausfinden, warum sie aufgehört haben",
            ),
        ),
        _segment(
            "hibernating",
            "Im Winterschlaf",
            ("bought rarely and long ago", "haben selten und vor langer Zeit gekauft"),
            (
                "low-cost reactivation only (newsletter, seasonal offers); do not overspend",
                "nur günstige Reaktivierung (Newsletter, saisonale Angebote); nicht zu viel ausgeben",
            ),
        ),
        _segment(
            "lost",
            "Verloren",
            ("bought once or twice, very long ago", "haben ein- oder zweimal gekauft, vor sehr langer Zeit"),
            (
                "leave them out of paid campaigns; at most an occasional low-cost reminder",
                "aus bezahlten Kampagnen herausnehmen; höchstens gelegentlich eine günstige Erinnerung",
            ),
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
    roles = (
        (say("customer id", "Kunden-ID"), id),
        (say("time", "Zeit"), time),
        (say("value", "Wert"), value),
    )
    for role, col in roles:
        if col is not None and col not in transactions.columns:
            raise InputError(
                say(
                    "{where}no {role} column {col!r}; the columns are: {found}",
                    "{where}keine Spalte {col!r} für {role}; die Spalten sind: {found}",
                    where=where,
                    role=role,
                    col=col,
                    found=", ".join(map(str, transactions.columns[:20])),
                )
            )
    day = _dates(transactions[time], time, where).dt.normalize()
    if value is not None:
        v = pd.to_numeric(transactions[value], errors="coerce")
        bad = v.isna() & transactions[value].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                say(
                    "{where}column {col!r} has {n:,} value(s) that are not numbers (first: {first!r})",
                    "{where}Spalte {col!r} hat {n:,} Wert(e), die keine Zahlen sind (erster: {first!r})",
                    where=where,
                    col=value,
                    n=int(bad.sum()),
                    first=transactions[value].iloc[i],
                )
            )
        v = v.fillna(0.0).clip(lower=0.0)
    else:
        v = pd.Series(0.0, index=transactions.index)
    df = pd.DataFrame({"id": transactions[id].to_numpy(), "day": day.to_numpy(), "v": v.to_numpy(float)})
    df = df.dropna(subset=["id", "day"])
    if df.empty:
        raise NotReadyError(say("{where}there are no orders", "{where}es gibt keine Bestellungen", where=where))
    today = pd.Timestamp(datetime.now(UTC).replace(tzinfo=None)).normalize()
    if (df["day"] > today).any():
        raise InputError(
            say(
                "{where}{n:,} order(s) lie in the future; check column {col!r}",
                "{where}{n:,} Bestellung(en) liegen in der Zukunft; Spalte {col!r} prüfen",
                where=where,
                n=int((df["day"] > today).sum()),
                col=time,
            )
        )
    as_of = pd.Timestamp(as_of).normalize() if as_of is not None else df["day"].max()
    df = df[df["day"] <= as_of]
    if df.empty:
        raise NotReadyError(
            say(
                "{where}no orders on or before {day}",
                "{where}keine Bestellungen am oder vor dem {day}",
                where=where,
                day=as_of,
            )
        )
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
                say(
                    "{where}column {col!r} has {n:,} value(s) that are not dates (first: {first!r})",
                    "{where}Spalte {col!r} hat {n:,} Wert(e), die keine Datumsangaben sind (erster: {first!r})",
                    where=where,
                    col=column,
                    n=int(bad.sum()),
                    first=s.iloc[i],
                )
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
    """``r_score``, ``f_score``, ``m_score`` (1-5), ``rfm`` (e.g. "545"), ``segment`` (the code), and in English
    and German ``segment_de``, ``profile``, ``profile_de``, ``action``, ``action_de``."""
    for col in ("recency_days", "frequency", "monetary"):
        if col not in features.columns:
            raise InputError(
                say(
                    "RFM scores need the column {col!r} (see customer_features)",
                    "RFM-Scores brauchen die Spalte {col!r} (siehe customer_features)",
                    col=col,
                )
            )
    if features.empty:
        raise NotReadyError(say("no customers to score", "keine Kunden zu bewerten"))
    out = pd.DataFrame(index=features.index)
    out["r_score"] = _score(features["recency_days"], higher_is_better=False, q=q)
    out["f_score"] = _score(features["frequency"], higher_is_better=True, q=q)
    out["m_score"] = _score(features["monetary"], higher_is_better=True, q=q)
    out["rfm"] = out["r_score"].astype(str) + out["f_score"].astype(str) + out["m_score"].astype(str)
    out["segment"] = rfm_segment(out["r_score"], out["f_score"])
    _words(out, out["segment"])
    return out


def _words(out: pd.DataFrame, segment: pd.Series) -> None:
    """The segment's name, profile and action in German and English, next to its code (the dashboard and
    the segments table read both; a table column holds plain text, so German has its own ``_de`` column)."""
    out["segment_de"] = [SEGMENTS[s].title.de for s in segment]
    for col in ("profile", "action"):  # an object column keeps the Texts; the _de column holds the German as text
        out[col] = pd.Series([getattr(SEGMENTS[s], col) for s in segment], index=out.index, dtype=object)
        out[f"{col}_de"] = [getattr(SEGMENTS[s], col).de for s in segment]


def rfm_segment(r_score, f_score) -> np.ndarray:
    """The segment name for each (R, F) score pair (see the grid in the module docstring)."""
    r = np.clip(np.asarray(r_score, dtype=int), 1, 5)
    f = np.clip(np.asarray(f_score, dtype=int), 1, 5)
    names = np.empty(r.shape, dtype=object)
    for rv, row in _GRID.items():
        for fv, name in enumerate(row, start=1):
            names[(r == rv) & (f == fv)] = name
    return names


#: per-segment figures a small segment does not show (k-anonymity: nomagic.privacy.groups)
SEGMENT_FIGURES = ("median_recency_days", "median_frequency", "median_monetary", "median_avg_value", "revenue_share")


def segment_summary(features: pd.DataFrame, scores: pd.DataFrame, *, k: int | None = None) -> pd.DataFrame:
    """Per segment: customers, share, medians of recency / frequency / spend, revenue share, profile and action.

    A segment of fewer than ``k`` customers (``[privacy] k_anonymity``, default 10) keeps its size but not its
    figures: they are missing, ``suppressed`` is true and ``shown_as`` / ``shown_as_de`` say "fewer than 10"."""
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
    out = groups.suppress(out.loc[order], SEGMENT_FIGURES, k=groups.threshold() if k is None else k)
    _words(out, out.index.to_series())
    return out
