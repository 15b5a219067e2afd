"""The budget optimiser: split a total budget per period across channels to maximise expected revenue.

The response of channel ``c`` to a steady spend ``x_c`` per period is its fitted steady-state curve
``beta_c * saturation_c(x_c / scale_c)`` (with normalised adstock a steady spend has adstock equal to
itself, so carry-over moves *when* the effect lands, not how much). The objective is the posterior
mean of the total response, minus ``risk_aversion`` times its posterior standard deviation
(``risk_aversion = 0``: plain expected revenue). Constraints: the allocations sum to the budget and
each lies within its bounds; the answer is repaired afterwards so that both hold exactly (to the
last rounding error), whatever the optimiser returned.

Default bounds: each channel between half and twice its average spend per period in the data, so
the proposal stays near what the data has seen; pass your own when you know better.

Examples
--------
>>> import numpy as np
>>> f = lambda x: float(np.sum(np.sqrt(x)))           # equal concave curves: the equal split is best
>>> x = allocate(f, 3.0, np.zeros(3), np.full(3, 3.0))
>>> np.round(x, 3).tolist(), float(x.sum())
([1.0, 1.0, 1.0], 3.0)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import optimize

from nomagic.errors import InputError
from nomagic.words import Text, join, number, say

DEFAULT_BOUNDS = (0.5, 2.0)  # x the average spend per period


def repair(x, budget: float, lower, upper) -> np.ndarray:
    """Project ``x`` onto ``{sum = budget, lower <= x <= upper}`` by moving along the free room.

    Examples
    --------
    >>> repair([5.0, 5.0], 4.0, [0.0, 1.0], [3.0, 3.0]).tolist()
    [1.8, 2.2]
    """
    lo, hi = np.asarray(lower, float), np.asarray(upper, float)
    x = np.clip(np.asarray(x, float), lo, hi)
    for _ in range(5):
        gap = budget - float(x.sum())
        if gap == 0:
            break
        room = (hi - x) if gap > 0 else (x - lo)
        total = float(room.sum())
        if total <= 0:
            break
        step = gap * room / total
        x = np.clip(x + step, lo, hi)
    gap = budget - float(x.sum())
    if gap != 0:  # last rounding error: give it to the channel with the most room
        room = (hi - x) if gap > 0 else (x - lo)
        j = int(np.argmax(room))
        x[j] = min(max(x[j] + gap, lo[j]), hi[j])
    return x


def check_bounds(budget: float, lower, upper, names=None) -> None:
    lo, hi = np.asarray(lower, float), np.asarray(upper, float)
    names = names or [str(i) for i in range(len(lo))]
    if not np.isfinite(budget) or budget < 0:
        raise InputError(
            say(
                "the budget must be a number of 0 or more, not {b}",
                "das Budget muss eine Zahl von 0 oder mehr sein, nicht {b}",
                b=budget,
            )
        )
    for i, n in enumerate(names):
        if lo[i] < 0:
            raise InputError(
                say(
                    "the lower bound of {n!r} is negative ({lo:g})",
                    "die Untergrenze von {n!r} ist negativ ({lo:g})",
                    n=n,
                    lo=float(lo[i]),
                )
            )
        if hi[i] < lo[i]:
            raise InputError(
                say(
                    "the bounds of {n!r} are reversed ({lo:g} > {hi:g})",
                    "die Grenzen von {n!r} sind vertauscht ({lo:g} > {hi:g})",
                    n=n,
                    lo=float(lo[i]),
                    hi=float(hi[i]),
                )
            )
    if lo.sum() > budget * (1 + 1e-12):
        raise InputError(
            say(
                "the lower bounds add up to {s:,.2f}, more than the budget {b:,.2f}",
                "die Untergrenzen ergeben zusammen {s:,.2f}, mehr als das Budget {b:,.2f}",
                s=float(lo.sum()),
                b=float(budget),
            )
        )
    if hi.sum() < budget * (1 - 1e-12):
        raise InputError(
            say(
                "the upper bounds add up to {s:,.2f}, less than the budget {b:,.2f}",
                "die Obergrenzen ergeben zusammen {s:,.2f}, weniger als das Budget {b:,.2f}",
                s=float(hi.sum()),
                b=float(budget),
            )
        )


def allocate(objective, budget: float, lower, upper, *, grad=None, starts=None) -> np.ndarray:
    """Maximise ``objective(x)`` subject to ``sum(x) == budget`` and ``lower <= x <= upper``.

    SLSQP from several starts (proportional to the room, the middle of the bounds, and any given),
    the best repaired to satisfy the constraints exactly.
    """
    lo, hi = np.asarray(lower, float), np.asarray(upper, float)
    check_bounds(budget, lo, hi)
    k = len(lo)
    if k == 0:
        return np.zeros(0)
    scale = max(budget, 1e-12)
    cands = [repair(lo + (hi - lo) * 0.5, budget, lo, hi), repair(np.full(k, budget / k), budget, lo, hi)]
    for s in starts or ():
        cands.append(repair(s, budget, lo, hi))

    def f(z):
        return -objective(z * scale) / scale

    def g(z):
        return -np.asarray(grad(z * scale), float)

    best, best_val = None, -np.inf
    for x0 in cands:
        try:
            res = optimize.minimize(
                f,
                x0 / scale,
                jac=g if grad is not None else None,
                method="SLSQP",
                bounds=list(zip(lo / scale, hi / scale, strict=True)),
                constraints=[{"type": "eq", "fun": lambda z: z.sum() - 1.0, "jac": lambda z: np.ones_like(z)}],
                options={"maxiter": 500, "ftol": 1e-12},
            )
            x = repair(res.x * scale, budget, lo, hi)
        except (ValueError, np.linalg.LinAlgError):
            x = x0
        for cand in (x, x0):
            v = objective(cand)
            if v > best_val:
                best, best_val = cand, v
    return repair(best, budget, lo, hi)


@dataclass
class Allocation:
    channels: list[str]
    budget: float
    current: list[float]
    proposed: list[float]
    lower: list[float]
    upper: list[float]
    risk_aversion: float
    expected_current: dict
    expected_proposed: dict
    uplift: dict
    channel_response_current: list[dict]
    channel_response_proposed: list[dict]
    marginal_roi_proposed: list[float]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["per_period"] = True
        d["words"] = self.words()
        return d

    def words(self) -> Text:
        u = self.uplift
        moves = sorted(
            zip(self.channels, self.current, self.proposed, strict=True), key=lambda t: t[2] - t[1], reverse=True
        )
        parts = [
            say("{c} {d} ({p:+.0%})", "{c} {d} ({p:+.0%})", c=c, d=money(p - q, "+"), p=(p / q - 1) if q else 0.0)
            for c, q, p in moves
            if abs(p - q) > 1e-9
        ]
        return say(
            "Spending {budget} per period as proposed ({moves}) is expected to earn {gain} per period against the "
            "current split (90% interval {lo} to {hi}).",
            "Mit {budget} je Periode, aufgeteilt wie vorgeschlagen ({moves}), sind gegenüber der heutigen Aufteilung "
            "{gain} je Periode zu erwarten (90-%-Intervall {lo} bis {hi}).",
            budget=money(self.budget),
            moves=join(parts, "; ") or Text("no change", "keine Änderung"),
            gain=money(u["value"], "+"),
            lo=money(u["interval_90"][0], "+"),
            hi=money(u["interval_90"][1], "+"),
        )


def money(v: float, sign: str = "") -> Text:
    """Money in words, in both languages: no decimals for large amounts, three significant digits for small ones
    (and no exponent: below 0.001 it is written as 0.000)."""
    spec = f"{sign},.0f" if abs(v) >= 100 else f"{sign}.3g" if abs(v) >= 0.001 else f"{sign}.3f"
    return Text(number(float(v), spec, "en"), number(float(v), spec, "de"))


class _Curves:
    """Per-draw steady-state response of each channel, vectorised over draws."""

    def __init__(self, m, n_draws: int | None = None):
        self.m = m
        U = m.draws_u_ if n_draws is None else m.draws_u_[: int(n_draws)]
        C, kc = len(m.channels), m._kc
        ch = U[:, : C * kc].reshape(len(U), C, kc)
        self.beta = np.exp(ch[:, :, -1]) * m.y_scale_  # (D, C)
        self.us = ch[:, :, m._ka : m._ka + m._ks]  # (D, C, ks)
        self.scale = np.array([m.x_scale_[c] for c in m.channels])

    def per_channel(self, x) -> np.ndarray:
        """(D, C) response of each channel at spend ``x`` (C,)."""
        x = np.asarray(x, float) / self.scale
        out = np.empty_like(self.beta)
        for c in range(len(x)):
            out[:, c] = self.beta[:, c] * self.m._sat.apply_u(x[c], self.us[:, c, :])
        return out

    def d_per_channel(self, x, h_rel: float = 1e-4) -> np.ndarray:
        x = np.asarray(x, float)
        h = np.maximum(np.abs(x), self.scale) * h_rel
        up = self.per_channel(x + h)
        dn = self.per_channel(np.maximum(x - h, 0.0))
        return (up - dn) / ((x + h) - np.maximum(x - h, 0.0))


def _summary(a: np.ndarray) -> dict:
    return {
        "value": float(np.mean(a)),
        "interval_90": [float(np.quantile(a, 0.05)), float(np.quantile(a, 0.95))],
    }


def default_bounds(m, current) -> tuple[np.ndarray, np.ndarray]:
    cur = np.asarray(current, float)
    return cur * DEFAULT_BOUNDS[0], cur * DEFAULT_BOUNDS[1]


def optimise(
    m,
    budget: float | None = None,
    bounds: dict | None = None,
    *,
    risk_aversion: float = 0.0,
    current: dict | None = None,
    n_draws: int | None = 400,
) -> Allocation:
    """Propose a split of ``budget`` per period (default: the current average) for a fitted :class:`MMM`.

    ``bounds`` maps a channel to ``(low, high)`` spend per period (missing channels get the default
    half-to-double of their average); ``current`` the split to compare with (default: the average
    spend per period in the data).
    """
    names = list(m.channels)
    cur = np.array([float(current[c]) if current and c in current else float(m.data_[c].mean()) for c in names], float)
    lo, hi = default_bounds(m, cur)
    for c, (a, b) in (bounds or {}).items():
        if c not in names:
            raise InputError(
                say(
                    "--bounds names {c!r}, which is not a channel ({names})",
                    "--bounds nennt {c!r}, das kein Kanal ist ({names})",
                    c=c,
                    names=", ".join(names),
                )
            )
        i = names.index(c)
        lo[i] = lo[i] if a is None else float(a)
        hi[i] = hi[i] if b is None else float(b)
    budget = float(cur.sum()) if budget is None else float(budget)
    check_bounds(budget, lo, hi, names)
    curves = _Curves(m, n_draws)
    lam = float(risk_aversion)

    def objective(x):
        tot = curves.per_channel(x).sum(axis=1)
        return float(tot.mean() - lam * tot.std()) if lam else float(tot.mean())

    def grad(x):
        r = curves.per_channel(x)
        dr = curves.d_per_channel(x)
        g = dr.mean(axis=0)
        if lam:
            tot = r.sum(axis=1)
            sd = tot.std()
            if sd > 0:
                g = g - lam * ((tot - tot.mean())[:, None] * (dr - dr.mean(axis=0))).mean(axis=0) / sd
        return g

    x = allocate(objective, budget, lo, hi, grad=grad, starts=[cur])
    r_cur, r_new = curves.per_channel(repair(cur, float(cur.sum()), cur, cur)), curves.per_channel(x)
    mroi = curves.d_per_channel(x).mean(axis=0)
    return Allocation(
        channels=names,
        budget=budget,
        current=cur.tolist(),
        proposed=x.tolist(),
        lower=lo.tolist(),
        upper=hi.tolist(),
        risk_aversion=lam,
        expected_current=_summary(r_cur.sum(axis=1)),
        expected_proposed=_summary(r_new.sum(axis=1)),
        uplift=_summary(r_new.sum(axis=1) - r_cur.sum(axis=1)),
        channel_response_current=[_summary(r_cur[:, i]) for i in range(len(names))],
        channel_response_proposed=[_summary(r_new[:, i]) for i in range(len(names))],
        marginal_roi_proposed=mroi.tolist(),
    )


def what_if(m, spend: dict, *, n_draws: int | None = 400) -> dict:
    """Expected media response per period (90 % interval) of a given split, against the current one."""
    names = list(m.channels)
    unknown = [c for c in spend if c not in names]
    if unknown:
        raise InputError(
            say(
                "what-if names {c!r}, which is not a channel ({names})",
                "what-if nennt {c!r}, das kein Kanal ist ({names})",
                c=unknown[0],
                names=", ".join(names),
            )
        )
    cur = np.array([float(m.data_[c].mean()) for c in names])
    x = np.array([float(spend.get(c, cur[i])) for i, c in enumerate(names)])
    if (x < 0).any():
        raise InputError(say("what-if spend must be 0 or more", "what-if-Ausgaben müssen 0 oder mehr sein"))
    curves = _Curves(m, n_draws)
    r_cur, r_new = curves.per_channel(cur), curves.per_channel(x)
    return {
        "spend": dict(zip(names, x.tolist(), strict=True)),
        "budget": float(x.sum()),
        "expected": _summary(r_new.sum(axis=1)),
        "versus_current": _summary(r_new.sum(axis=1) - r_cur.sum(axis=1)),
        "per_channel": {c: _summary(r_new[:, i]) for i, c in enumerate(names)},
    }


__all__ = ["DEFAULT_BOUNDS", "Allocation", "allocate", "check_bounds", "optimise", "repair", "what_if"]


def what_if_from_record(record: dict, spend: dict[str, float]) -> dict:
    """A what-if from an evaluation record alone (no refit): each channel's steady-state response read off
    the record's response curves (linear interpolation, with the 90 % band), for ``spend`` per period.

    Returns per channel ``spend``, ``response`` [``low``, ``high``], the same at today's spend, and the totals.
    A spend above the curve's end (1.5x the largest spend seen) is clipped there and flagged, because the
    model has not seen it.
    """
    curves: dict[str, list[dict]] = {}
    for row in (record.get("curves") or {}).get("response") or []:
        curves.setdefault(row["channel"], []).append(row)
    if not curves:
        raise InputError(
            say(
                "the record has no response curves (a budget evaluation that was not ready?)",
                "die Bewertung enthält keine Reaktionskurven (eine Budget-Bewertung, die nicht bereit war?)",
            )
        )
    unknown = [c for c in spend if c not in curves]
    if unknown:
        raise InputError(
            say(
                "unknown channel(s) {unknown}; the model knows {known}",
                "unbekannte(r) Kanal/Kanäle {unknown}; das Modell kennt {known}",
                unknown=", ".join(unknown),
                known=", ".join(curves),
            )
        )
    out, tot = [], {"now": 0.0, "what_if": 0.0, "spend_now": 0.0, "spend_what_if": 0.0}
    for ch, rows in curves.items():
        rows = sorted(rows, key=lambda r: r["spend"])
        x = np.array([r["spend"] for r in rows])
        now = float(rows[0].get("current_spend", 0.0))
        want = float(spend.get(ch, now))
        if not np.isfinite(want) or want < 0:
            raise InputError(
                say(
                    "the spend for {ch} must be a number of at least 0",
                    "die Ausgaben für {ch} müssen eine Zahl von mindestens 0 sein",
                    ch=ch,
                )
            )

        def at(s, key, x=x, rows=rows):
            return float(np.interp(min(s, x[-1]), x, [r[key] for r in rows]))

        out.append(
            {
                "channel": ch,
                "spend_now": now,
                "response_now": at(now, "response"),
                "spend": want,
                "response": at(want, "response"),
                "low": at(want, "low"),
                "high": at(want, "high"),
                "beyond_data": bool(want > x[-1]),
            }
        )
        tot["now"] += out[-1]["response_now"]
        tot["what_if"] += out[-1]["response"]
        tot["spend_now"] += now
        tot["spend_what_if"] += want
    return {"channels": out, "totals": tot}
