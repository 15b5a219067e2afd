"""The iPinYou replay: what a set of bids would have bought from a logged stream of auctions.

The protocol (Zhang et al., 2014; the iPinYou benchmark): go through the log in its order; a bid wins
the impression when it is strictly above the logged market price (the second price) *and* that price
fits in what is left of the budget; a win pays the market price. Clicks and conversions are those
logged for the impression. Where the truth is known (the simulator), ``expected_clicks`` sums the
true click probability over the wins, which is a far less noisy yardstick than the realised clicks.

Spend is the sum of ``market_price`` over the wins, in the log's unit (iPinYou: CPM, so divide by
1,000 for money), and the budget is in that unit. A row whose price is unknown (a lost auction in a
censored bid log) cannot be won in the replay: nothing says what it would have cost.

Examples
--------
>>> import numpy as np
>>> r = replay(np.array([3.0, 1.0, 5.0, 4.0]), np.array([2.0, 2.0, 4.0, 1.0]), np.array([1, 0, 1, 0]), budget=4.0)
>>> r.wins, r.spend, r.clicks       # row 3 (price 4) does not fit after row 1 (2); row 4 (1) does
(2, 3.0, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nomagic.errors import InputError
from nomagic.words import Text, say

#: KPIs that are sums over the days (the others are ratios of sums).
SUMS = ("impressions", "wins", "spend", "clicks", "conversions", "expected_clicks")
#: Ratio KPIs as (numerator, denominator): eCPC = spend / clicks, CPA = spend / conversions.
RATIOS = {
    "ecpc": ("spend", "clicks"),
    "cpa": ("spend", "conversions"),
    "win_rate": ("wins", "impressions"),
    "cpm": ("spend", "wins"),  # mean price paid per won impression, in the log's unit
}

# After this many vectorised rounds (each one ends at an impression that did not fit the budget),
# the rest is finished by a plain loop, so that no adversarial log makes the replay quadratic.
_MAX_ROUNDS = 64


@dataclass
class Replay:
    """The outcome of one replay; KPIs in the log's unit (eCPC and CPA are ``nan`` without clicks)."""

    budget: float
    impressions: int
    wins: int
    spend: float
    clicks: float
    conversions: float | None
    expected_clicks: float | None
    won: np.ndarray = field(repr=False)
    days: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def ecpc(self) -> float:
        return _ratio(self.spend, self.clicks)

    @property
    def cpa(self) -> float:
        return _ratio(self.spend, self.conversions)

    @property
    def win_rate(self) -> float:
        return _ratio(self.wins, self.impressions)

    @property
    def cpm(self) -> float:
        return _ratio(self.spend, self.wins)

    def kpis(self) -> dict[str, float | int | None]:
        """The KPIs as a plain dict (for records and tables)."""
        return {
            "budget": self.budget,
            "impressions": self.impressions,
            "wins": self.wins,
            "spend": self.spend,
            "clicks": self.clicks,
            "conversions": self.conversions,
            "expected_clicks": self.expected_clicks,
            "ecpc": self.ecpc,
            "cpa": self.cpa,
            "win_rate": self.win_rate,
            "cpm": self.cpm,
        }

    def describe(self) -> Text:
        """One sentence for people, in English and German."""
        one = self.clicks == 1
        text = say(
            "{wins:,} of {n:,} impressions won ({rate:.1%}), {clicks:,.0f} "
            + ("click" if one else "clicks")
            + ", spend {spend:,.2f} of a budget of {budget:,.2f} ({used:.1%})",
            "{wins:,} von {n:,} Impressionen gewonnen ({rate:.1%}), {clicks:,.0f} "
            + ("Klick" if one else "Klicks")
            + ", Ausgaben {spend:,.2f} von einem Budget von {budget:,.2f} ({used:.1%})",
            wins=self.wins,
            n=self.impressions,
            rate=self.win_rate if self.impressions else 0.0,
            clicks=self.clicks,
            spend=self.spend,
            budget=self.budget,
            used=self.spend / self.budget if self.budget > 0 else 0.0,
        )
        if self.clicks > 0:
            text += say("; eCPC {e:,.2f}", "; eCPC {e:,.2f}", e=self.ecpc)
        if self.conversions:
            text += say(
                "; {c:,.0f} conversions, CPA {cpa:,.2f}",
                "; {c:,.0f} Conversions, CPA {cpa:,.2f}",
                c=self.conversions,
                cpa=self.cpa,
            )
        if self.expected_clicks is not None:
            text += say("; {x:,.1f} expected clicks", "; {x:,.1f} erwartete Klicks", x=self.expected_clicks)
        return text + "."


def _ratio(num, den) -> float:
    return float(num) / float(den) if den else float("nan")


def replay(
    bids,
    market_price,
    clicks,
    budget: float,
    conversions=None,
    expected_clicks=None,
    timestamps=None,
) -> Replay:
    """Replay ``bids`` against a logged auction stream (rows in log order) under ``budget``.

    Parameters
    ----------
    bids, market_price, clicks : array-like, one value per logged impression, in log order.
        ``market_price`` may be NaN (unknown: never won); ``clicks`` NaN counts as no click.
    budget : the most that may be spent, in the unit of ``market_price``.
    conversions : optional outcomes per impression (NaN counts as none).
    expected_clicks : optional true click probability per impression (simulator truth).
    timestamps : optional times per impression; gives the per-day series in ``Replay.days``.

    Returns
    -------
    Replay
        KPIs, the boolean ``won`` mask and, with timestamps, a per-day table (one row per calendar day:
        impressions, wins, spend, clicks[, conversions][, expected_clicks]).
    """
    bids = _column(bids, "bids")
    price = _column(market_price, "market_price")
    n = len(price)
    for name, arr in (("bids", bids), ("clicks", clicks), ("conversions", conversions)):
        if arr is not None and len(arr) != n:
            raise InputError(
                say(
                    "replay: {name} has {k:,} rows but the log has {n:,}",
                    "Replay: {name} hat {k:,} Zeilen, das Log aber {n:,}",
                    name=name,
                    k=len(arr),
                    n=n,
                )
            )
    budget = float(budget)
    if not np.isfinite(budget) or budget < 0:
        raise InputError(
            say(
                "replay: the budget must be a number of at least 0, not {b}",
                "Replay: das Budget muss eine Zahl von mindestens 0 sein, nicht {b}",
                b=str(budget),
            )
        )
    won = win_mask(bids, price, budget)
    click = np.nan_to_num(np.asarray(clicks, dtype=np.float64), nan=0.0)
    conv = None if conversions is None else np.nan_to_num(np.asarray(conversions, dtype=np.float64), nan=0.0)
    truth = None if expected_clicks is None else np.asarray(expected_clicks, dtype=np.float64)
    paid = np.where(won, price, 0.0)
    # The spend as the replay accumulated it (sequential, in log order), so that it is exactly the
    # running total that was checked against the budget: a pairwise np.sum could differ in the last bit.
    spend = float(np.cumsum(paid)[-1]) if n else 0.0
    days = None
    if timestamps is not None:
        days = _per_day(timestamps, won, paid, click, conv, truth)
    return Replay(
        budget=budget,
        impressions=n,
        wins=int(won.sum()),
        spend=spend,
        clicks=float(click[won].sum()),
        conversions=None if conv is None else float(conv[won].sum()),
        expected_clicks=None if truth is None else float(truth[won].sum()),
        won=won,
        days=days,
    )


def _column(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise InputError(say("replay: {name} must be one column", "Replay: {name} muss eine Spalte sein", name=name))
    return arr


def win_mask(bids: np.ndarray, price: np.ndarray, budget: float) -> np.ndarray:
    """Which rows the replay wins: in order, ``bid > price`` and ``spent + price <= budget``.

    Method (vectorised, exact). Let the *candidates* be the rows with ``bid > price``. Walking them in
    order, all of them win until the first one whose price no longer fits: a cumulative sum finds that
    row at once. That row is skipped; later rows may still fit, but only those whose price fits the
    budget left now (the budget left only shrinks), so the rest is filtered to them and the cumulative
    sum runs again from the spend so far. Each round ends at one skipped row and the filter usually
    removes nearly everything, so a few rounds finish any real log (1M rows in a few tens of ms).

    The cumulative sum starts from the spend so far (``cumsum([spent, p1, p2, ...])``), so each
    running total is the same floating-point number a row-by-row loop computes; the filter
    ``spent + p <= budget`` is exact too, because rounding is monotone (a larger ``spent`` never makes
    a price fit that did not). The result equals the plain loop :func:`win_mask_loop`, bit for bit.
    """
    n = len(price)
    won = np.zeros(n, dtype=bool)
    with np.errstate(invalid="ignore"):
        cand = np.flatnonzero(bids > price)  # NaN prices compare False: never won
    spent = 0.0
    rounds = 0
    while len(cand):
        p = price[cand]
        fits = spent + p <= budget
        cand, p = cand[fits], p[fits]
        if not len(cand):
            break
        if rounds >= _MAX_ROUNDS:
            _loop(cand, p, spent, budget, won)
            break
        running = np.cumsum(np.concatenate(([spent], p)))[1:]
        over = np.flatnonzero(running > budget)
        stop = over[0] if len(over) else len(cand)
        won[cand[:stop]] = True
        if stop == len(cand):
            break
        spent = running[stop - 1] if stop else spent
        cand = cand[stop + 1 :]
        rounds += 1
    return won


def _loop(rows: np.ndarray, prices: np.ndarray, spent: float, budget: float, won: np.ndarray) -> None:
    for i, p in zip(rows.tolist(), prices.tolist(), strict=True):
        if spent + p <= budget:
            spent += p
            won[i] = True


def win_mask_loop(bids: np.ndarray, price: np.ndarray, budget: float) -> np.ndarray:
    """The protocol row by row (the reference :func:`win_mask` is tested against)."""
    won = np.zeros(len(price), dtype=bool)
    spent = 0.0
    for i, (b, p) in enumerate(zip(np.asarray(bids, float).tolist(), np.asarray(price, float).tolist(), strict=True)):
        if b > p and spent + p <= budget:
            spent += p
            won[i] = True
    return won


def _per_day(timestamps, won, paid, click, conv, truth) -> pd.DataFrame:
    ts = pd.to_datetime(pd.Series(np.asarray(timestamps)), errors="coerce")
    if len(ts) != len(won):
        raise InputError(
            say(
                "replay: timestamps has {k:,} rows but the log has {n:,}",
                "Replay: timestamps hat {k:,} Zeilen, das Log aber {n:,}",
                k=len(ts),
                n=len(won),
            )
        )
    if ts.isna().any():
        row = int(np.flatnonzero(ts.isna().to_numpy())[0])
        raise InputError(
            say(
                "replay: timestamp in row {row:,} is missing or not a time",
                "Replay: Zeitstempel in Zeile {row:,} fehlt oder ist keine Zeit",
                row=row + 1,
            )
        )
    frame = pd.DataFrame(
        {
            "day": ts.dt.floor("D").to_numpy(),
            "impressions": 1,
            "wins": won.astype(np.int64),
            "spend": paid,
            "clicks": np.where(won, click, 0.0),
        }
    )
    if conv is not None:
        frame["conversions"] = np.where(won, conv, 0.0)
    if truth is not None:
        frame["expected_clicks"] = np.where(won, truth, 0.0)
    return frame.groupby("day", sort=True).sum()


# -- confidence intervals over days ---------------------------------------------------------------


def kpi_ci(days: pd.DataFrame, kpi: str, *, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> dict:
    """A KPI over the whole replay with a bootstrap CI over days: ``{"value": v, "ci": [lo, hi]}``.

    Days are resampled with replacement (a day's auctions are correlated, days much less so); a
    sum KPI is the resampled total, a ratio KPI (eCPC, CPA, win rate) the ratio of resampled sums.
    The budget couples the days of one replay, so this interval is a measure of day-to-day noise,
    not of what a different budget path would give.
    """
    return _ci(days, None, kpi, n_boot, level, seed, relative=False)


def difference_ci(
    days_a: pd.DataFrame,
    days_b: pd.DataFrame,
    kpi: str,
    *,
    relative: bool = False,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> dict:
    """A minus B for a KPI (or A / B - 1 with ``relative``), days paired, with a bootstrap CI over days.

    Both replays are of the same log, so the same resampled days are used for both (a paired
    bootstrap), which removes the day-to-day noise they share.
    """
    return _ci(days_a, days_b, kpi, n_boot, level, seed, relative=relative)


def _kpi_parts(kpi: str) -> tuple[str, str | None]:
    if kpi in SUMS:
        return kpi, None
    if kpi in RATIOS:
        return RATIOS[kpi]
    raise InputError(
        say(
            "unknown KPI {k}; use one of {known}",
            "unbekannter KPI {k}; erlaubt sind {known}",
            k=kpi,
            known=", ".join((*SUMS, *RATIOS)),
        )
    )


def _ci(days_a, days_b, kpi, n_boot, level, seed, relative) -> dict:
    num, den = _kpi_parts(kpi)
    index = days_a.index if days_b is None else days_a.index.union(days_b.index)

    def column(days, name):
        if name not in days.columns:
            raise InputError(
                say(
                    "the replay has no {k} (give that outcome to the replay)",
                    "das Replay enthält kein {k} (diese Größe an replay übergeben)",
                    k=name,
                )
            )
        return days[name].reindex(index, fill_value=0).to_numpy(dtype=np.float64)

    rng = np.random.default_rng(seed)
    n = len(index)
    # One row of counts per resample: how often each day was drawn (weights, so all at once).
    w = np.vstack([np.ones(n), rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot)]) if n else np.ones((1, 0))

    def value(days):
        top = w @ column(days, num)
        if den is None:
            return top
        bottom = w @ column(days, den)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(bottom > 0, top / np.where(bottom > 0, bottom, 1.0), np.nan)

    est = value(days_a)
    if days_b is not None:
        other = value(days_b)
        with np.errstate(divide="ignore", invalid="ignore"):
            est = est / other - 1.0 if relative else est - other
    alpha = (1.0 - level) / 2.0
    boot = est[1:][np.isfinite(est[1:])]
    ci = [float(np.quantile(boot, alpha)), float(np.quantile(boot, 1 - alpha))] if len(boot) else [None, None]
    return {"value": float(est[0]), "ci": ci, "days": n}
