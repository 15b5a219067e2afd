"""Drift injected into the demo world, with the truth of when and what moved (``truth_drift``).

A world is stationary by default. ``simulate(wh, ..., drift=[competitor(300)])`` changes it from
a given day on, so that a monitor can be checked: does it alert when the change happens, and stay
quiet when nothing changes? Each scenario acts on the latent process, never on a table after the
fact, so every table stays coherent (a customer poached by a competitor stops ordering, browsing
and opening e-mails alike):

* :func:`competitor` -- customers of some countries leave for a competitor (churn rises there);
* :func:`price_change` -- prices move: order values scale, fewer (or more) orders by the elasticity;
* :func:`new_channel` -- a new sign-up channel brings customers who drop out sooner;
* :func:`seasonal_shift` -- purchases follow a (new) yearly season;
* :func:`targeting` -- acquisition targets another age band, whose customers buy less often.

Only :mod:`nomagic.simulate` calls the hooks (:func:`adjust_customers`, :func:`adjust_purchases`,
:func:`adjust_order_values`); nothing outside the simulator and the tests reads ``truth_drift``.
``truth_customers.churn_prob`` stays the BG/NBD probability of the undisturbed world (the
scenarios are recorded in ``truth_drift`` instead).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from nomagic.errors import InputError
from nomagic.simulate.common import Clock, table
from nomagic.simulate.config import AGE_BANDS, COUNTRIES, SIGNUP_CHANNELS, WorldParams
from nomagic.words import say

KINDS = ("competitor", "price", "channel", "season", "targeting")


@dataclass(frozen=True)
class Scenario:
    """One change of the world from ``start_day`` (days since the start of the period) on.

    ``segment`` names who is hit (countries for a competitor, the channel's name for a new channel,
    the age band for targeting); ``strength`` how hard (a share of customers, or a price change).
    Build one with the functions of this module rather than by hand.
    """

    kind: str
    start_day: int
    segment: tuple[str, ...] = ()
    strength: float = 0.5
    factor: float = 1.0  # a second knob: dropout factor (channel), purchase-rate factor (targeting)
    ramp_days: float = 14.0  # competitor: mean days until a poached customer is gone

    def __post_init__(self):
        if self.kind not in KINDS:
            raise InputError(
                say(
                    "unknown drift scenario {k!r}; use one of: {ok}",
                    "unbekanntes Drift-Szenario {k!r}; eines davon angeben: {ok}",
                    k=self.kind,
                    ok=", ".join(KINDS),
                )
            )
        if self.start_day < 0:
            raise InputError(
                say(
                    "drift scenario {k}: start day {d} lies before the period",
                    "Drift-Szenario {k}: Starttag {d} liegt vor dem Zeitraum",
                    k=self.kind,
                    d=self.start_day,
                )
            )

    def describe(self):
        """What moved, in words (English and German)."""
        seg = ", ".join(self.segment)
        if self.kind == "competitor":
            return say(
                "a competitor poaches {s:.0%} of the customers in {seg} (gone after {r:.0f} days on average): "
                "their churn rises",
                "ein Wettbewerber wirbt {s:.0%} der Kunden in {seg} ab (im Mittel nach {r:.0f} Tagen weg): "
                "ihre Abwanderung steigt",
                s=self.strength,
                seg=seg,
                r=self.ramp_days,
            )
        if self.kind == "price":
            return say(
                "prices change by {s:+.0%}: order values scale, order frequency follows the price elasticity",
                "die Preise ändern sich um {s:+.0%}: Bestellwerte skalieren, die Bestellhäufigkeit folgt der "
                "Preiselastizität",
                s=self.strength,
            )
        if self.kind == "channel":
            return say(
                "a new sign-up channel '{seg}' brings {s:.0%} of new customers, who drop out {f:.1f}x as readily",
                "ein neuer Anmeldekanal '{seg}' bringt {s:.0%} der Neukunden, die {f:.1f}-mal so leicht abspringen",
                seg=seg,
                s=self.strength,
                f=self.factor,
            )
        if self.kind == "season":
            return say(
                "purchases follow a yearly season: up to {s:.0%} fewer orders away from the peak",
                "Käufe folgen einer Jahreszeit: abseits des Höhepunkts bis zu {s:.0%} weniger Bestellungen",
                s=self.strength,
            )
        return say(
            "acquisition targets age band {seg}: {s:.0%} of new customers come from it and buy {f:.1f}x as often",
            "die Neukundengewinnung zielt auf die Altersgruppe {seg}: {s:.0%} der Neukunden kommen daher und kaufen "
            "{f:.1f}-mal so oft",
            seg=seg,
            s=self.strength,
            f=self.factor,
        )


def competitor(start_day: int, countries=("FR", "GB", "US"), share: float = 0.6, ramp_days: float = 14.0):
    """From ``start_day``, each customer of ``countries`` still buying leaves with probability ``share``."""
    known = {c[0] for c in COUNTRIES}
    bad = [c for c in countries if c not in known]
    if bad:
        raise InputError(
            say(
                "competitor: unknown countries {b}; the world has {ok}",
                "competitor: unbekannte Länder {b}; die Welt kennt {ok}",
                b=", ".join(bad),
                ok=", ".join(sorted(known)),
            )
        )
    return Scenario("competitor", int(start_day), tuple(countries), _share(share), ramp_days=float(ramp_days))


def price_change(start_day: int, change: float = 0.15):
    """From ``start_day``, prices change by ``change`` (0.15 = +15 %)."""
    if not -0.9 < change < 5:
        raise InputError(
            say("price change {c:+.0%} is out of range", "Preisänderung {c:+.0%} ist unzulässig", c=change)
        )
    return Scenario("price", int(start_day), (), float(change))


def new_channel(start_day: int, name: str = "video-app", share: float = 0.4, dropout_factor: float = 2.0):
    """From ``start_day``, ``share`` of new customers sign up through channel ``name`` and drop out sooner."""
    if dropout_factor < 1:
        raise InputError(
            say(
                "new channel: dropout factor {f} must be 1 or more",
                "neuer Kanal: Abwanderungsfaktor {f} muss 1 oder größer sein",
                f=dropout_factor,
            )
        )
    return Scenario("channel", int(start_day), (name,), _share(share), factor=float(dropout_factor))


def seasonal_shift(start_day: int, amplitude: float = 0.5):
    """From ``start_day``, orders are thinned by up to ``amplitude`` away from a mid-year peak."""
    return Scenario("season", int(start_day), (), _share(amplitude))


def targeting(start_day: int, age_band: str = "18-24", share: float = 0.5, rate_factor: float = 0.6):
    """From ``start_day``, ``share`` of new customers come from ``age_band`` and buy ``rate_factor`` as often."""
    if age_band not in [a[0] for a in AGE_BANDS]:
        raise InputError(
            say(
                "targeting: unknown age band {a!r}; use one of {ok}",
                "targeting: unbekannte Altersgruppe {a!r}; eine davon angeben: {ok}",
                a=age_band,
                ok=", ".join(a[0] for a in AGE_BANDS),
            )
        )
    if not 0 < rate_factor <= 1:
        raise InputError(
            say(
                "targeting: rate factor {f} must lie in (0, 1]",
                "targeting: Ratenfaktor {f} muss in (0, 1] liegen",
                f=rate_factor,
            )
        )
    return Scenario("targeting", int(start_day), (age_band,), _share(share), factor=float(rate_factor))


def _share(x: float) -> float:
    if not 0.0 <= x <= 1.0:
        raise InputError(say("share {x} must lie in 0..1", "Anteil {x} muss zwischen 0 und 1 liegen", x=x))
    return float(x)


def _of(scenarios, kind: str):
    return [s for s in scenarios if s.kind == kind]


# ----------------------------------------------------------------------------------- hooks


def channel_names(scenarios) -> list[str]:
    """The sign-up channels of the world: the configured ones plus each new channel's name."""
    names = [s[0] for s in SIGNUP_CHANNELS]
    for s in _of(scenarios, "channel"):
        if s.segment[0] not in names:
            names.append(s.segment[0])
    return names


def _count(counts, scenarios, s, hit) -> None:
    if counts is not None:
        i = list(scenarios).index(s)
        counts[i] = counts.get(i, 0) + int(np.sum(hit))


def adjust_customers(rng: np.random.Generator, c, scenarios, counts: dict | None = None):
    """New customers after a channel or targeting change get the new channel or age band.

    Returns ``(customers, marked)``: ``marked`` maps a scenario's index to the customers it hit, whose
    purchases :func:`adjust_purchases` then changes. Nothing latent changes here: the purchase process
    draws what it drew without drift (so nothing before the start day moves) and is changed after it.
    ``counts`` (scenario index -> customers hit) is added to, for ``truth_drift``."""
    names = channel_names(scenarios)
    channel, age = c.channel.copy(), c.age.copy()
    marked = {}
    for i, s in enumerate(scenarios):
        if s.kind not in ("channel", "targeting"):
            continue
        hit = (c.t0 >= s.start_day) & (rng.random(len(c)) < s.strength)
        if s.kind == "channel":
            channel[hit] = names.index(s.segment[0])
        else:
            age[hit] = [a[0] for a in AGE_BANDS].index(s.segment[0])
        marked[i] = hit
        _count(counts, scenarios, s, hit)
    return replace(c, channel=channel, age=age), marked


def adjust_purchases(
    rng: np.random.Generator,
    c,
    pur,
    scenarios,
    params: WorldParams,
    days: int,
    counts: dict | None = None,
    marked: dict | None = None,
):
    """Organic orders after the changes: new-channel customers drop out sooner, targeted ones buy less,
    poached customers leave, prices and seasons thin the orders."""
    from nomagic.simulate.orders import Purchases

    n = len(c)
    first = np.concatenate([[True], pur.cust[1:] != pur.cust[:-1]]) if len(pur.t) else np.zeros(0, dtype=bool)
    starts = np.searchsorted(pur.cust, np.arange(n))
    pos = np.arange(len(pur.t)) - starts[pur.cust]  # 0: the sign-up order, k: the k-th repeat purchase
    keep = np.ones(len(pur.t), dtype=bool)
    dropout = pur.dropout.copy()
    marked = marked or {}
    for i, s in enumerate(scenarios):
        hit = marked.get(i)
        if hit is None:
            continue
        if s.kind == "channel" and s.factor > 1:
            # dropping out after each purchase with p' = 1 - (1 - p)^factor: a second, independent chance
            # q = 1 - (1 - p)^(factor - 1) of leaving after each repeat purchase, the first one that fires wins
            q = 1 - (1 - c.p) ** (s.factor - 1)
            j = rng.geometric(np.clip(q, 1e-9, 1.0))
            cut = hit & (j < pur.repeats)
            keep &= ~(cut[pur.cust] & (pos > j[pur.cust]))
            last = cut[pur.cust] & (pos == j[pur.cust])
            dropout[pur.cust[last]] = pur.t[last]
        if s.kind == "targeting" and s.factor < 1:
            # a Poisson process thinned with probability `factor` is one with `factor` times the rate
            keep &= ~(hit[pur.cust] & (rng.random(len(pur.t)) >= s.factor))
    for s in _of(scenarios, "competitor"):
        seg = np.isin(c.country, [i for i, x in enumerate(COUNTRIES) if x[0] in s.segment])
        leave = np.maximum(c.t0, s.start_day) + rng.exponential(s.ramp_days, n)
        alive = np.isnan(dropout) | (dropout > leave)
        hit = seg & ~c.lead & alive & (leave < days) & (rng.random(n) < s.strength)
        leave = np.where(hit, leave, np.inf)
        keep &= pur.t < leave[pur.cust]
        dropout[hit] = leave[hit]  # gone from that moment: no browsing, no opened e-mails after it
        _count(counts, scenarios, s, hit)
    for s in _of(scenarios, "price"):
        # fewer orders at higher prices (constant elasticity), more at lower ones only up to the world's own rate
        rate = min(1.0, (1 + s.strength) ** params.price_elasticity)
        keep &= (pur.t < s.start_day) | (rng.random(len(pur.t)) < rate)
    for s in _of(scenarios, "season"):
        # a yearly cycle peaking mid-year (day 182 of each 365): orders off the peak are thinned
        phase = np.cos(2 * np.pi * (pur.t - 182.0) / 365.0)
        rate = 1 - s.strength * (1 - phase) / 2
        keep &= (pur.t < s.start_day) | (rng.random(len(pur.t)) < rate)
    keep |= first  # the sign-up order is never taken away
    cust, t = pur.cust[keep], pur.t[keep]
    repeats = np.maximum(np.bincount(cust, minlength=n) - 1, 0) * ~c.lead
    return Purchases(cust, t, repeats.astype(np.int64), dropout)


def adjust_order_values(target: np.ndarray, t: np.ndarray, scenarios) -> np.ndarray:
    """Order values after a price change: scaled by the change."""
    out = target
    for s in _of(scenarios, "price"):
        out = np.where(t >= s.start_day, out * (1 + s.strength), out)
    return out


def truth_table(clock: Clock, scenarios, affected: dict[int, int] | None = None) -> pa.Table:
    """``truth_drift``: one row per scenario -- what, from when, who, how hard, in words."""
    rows = list(scenarios)
    affected = affected or {}
    return table(
        {
            "scenario": pa.array([i + 1 for i in range(len(rows))], pa.int64()),
            "kind": pa.array([s.kind for s in rows], pa.string()),
            "start_day": pa.array([s.start_day for s in rows], pa.int64()),
            "start": clock.timestamps(np.array([float(s.start_day) for s in rows])),
            "segment": pa.array([", ".join(s.segment) for s in rows], pa.string()),
            "strength": pa.array([s.strength for s in rows], pa.float64()),
            "factor": pa.array([s.factor for s in rows], pa.float64()),
            "moved": pa.array([str(s.describe()) for s in rows], pa.string()),
            "moved_de": pa.array([s.describe().de for s in rows], pa.string()),
            "customers_affected": pa.array([int(affected.get(i, 0)) for i in range(len(rows))], pa.int64()),
        }
    )


__all__ = [
    "KINDS",
    "Scenario",
    "competitor",
    "new_channel",
    "price_change",
    "seasonal_shift",
    "targeting",
]
