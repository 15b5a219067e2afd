"""Budget pacing for a live bidder: spend spread over the campaign, and never more than the budget.

Two mechanisms, for two different promises:

* **Follow a target curve (soft).** The target spend at time t is the budget times the share of the
  campaign's traffic seen by t, from hourly weights (the traffic's daily shape) and optional
  weekday weights, so a quiet night gets a small slice and the evening peak a large one. A PI
  controller compares the spend with the target and scales the bids by a multiplier (clipped to a
  range): behind the target it bids up, ahead it bids down. The error is measured in *hours of
  average spend* (budget / campaign hours), so the same gains suit a 2-day and a 60-day campaign;
  the controller works on the log of the multiplier, because bids act multiplicatively on spend.

* **Never overspend (hard).** Every bid reserves its amount at bid time (in a second-price or
  first-price auction the price is at most the bid); a bid is never above the budget left minus the
  reservations of the outstanding bids, so however many auctions are open at once, the spend plus
  the reservations stays within the budget. A win notice turns the reservation into the price paid
  and frees the rest; a loss or a timeout frees it all. Money is counted in integer millionths of
  the unit (as exchanges count micros), so the sums are exact: floating-point totals drift.

The guarantee assumes prices at most the bid, and win notices that arrive before ``timeout``: a reservation freed by
:meth:`Pacer.expire` is money the pacer may bid again. A win that arrives later is still counted
(the money is spent) and reported as ``late_wins``; choose the timeout from the exchange's notice
delay. A win notice for an unknown or already settled token (a duplicate nurl call) is ignored
and counted as ``unknown_notices``.

* **Survive a restart (a ledger).** With ``ledger`` (a function that durably writes a number), the pacer
  only ever commits money below a *lease* it has written first: before a bid would take spend plus
  reservations above the lease, the lease grows by ``lease_step`` of the budget and is written. After a
  crash, a new pacer starts with ``spent`` = the last lease written: it may be more than what was spent
  (the open bids of the old process count as won; at most one step is lost to caution), never less, so
  two processes one after the other never spend more than the budget together.

Thread-safe: the RTB server calls one pacer from many threads; one lock guards the state.

Examples
--------
>>> from datetime import datetime, timedelta
>>> p = Pacer(budget=100.0, start=datetime(2026, 5, 1), end=datetime(2026, 5, 3))
>>> bid, token = p.bid(datetime(2026, 5, 1, 12), raw_bid=2.5)
>>> p.win(token, price=1.75, now=datetime(2026, 5, 1, 12))
>>> p.spent, p.remaining
(1.75, 98.25)
"""

from __future__ import annotations

import itertools
import math
import threading
from collections import OrderedDict
from datetime import datetime, timedelta

import numpy as np

from nomagic.errors import InputError
from nomagic.words import say

MICRO = 1_000_000  # money is kept in integer millionths of the unit
_HOUR = timedelta(hours=1)


def _to_micros_down(amount: float) -> int:
    return math.floor(amount * MICRO)


class Pacer:
    """Paces bids over a campaign from ``start`` to ``end`` and never lets spend exceed ``budget``.

    Parameters
    ----------
    budget : the most the campaign may spend, in the price unit of the bids.
    start, end : the campaign (naive or aware datetimes, used consistently).
    traffic_shape : 24 weights, the traffic by hour of day (uniform when not given).
    weekday_shape : 7 weights, Monday first (uniform when not given).
    kp, ki : the controller's gains on the lag in hours of average spend (ki per hour).
    min_multiplier, max_multiplier : the range of the bid multiplier.
    timeout : how long an unanswered bid keeps its reservation (see :meth:`expire`).
    max_lag_hours : the lag the controller reacts to at most, so one burst cannot swing it wildly.
    spent : what the campaign has already committed (after a restart: the last lease its ledger wrote).
    ledger, lease_step : see "Survive a restart" above; without a ledger nothing is written.
    """

    def __init__(
        self,
        budget: float,
        start: datetime,
        end: datetime,
        traffic_shape=None,
        weekday_shape=None,
        *,
        kp: float = 1.0,
        ki: float = 0.5,
        min_multiplier: float = 0.02,
        max_multiplier: float = 3.0,
        timeout: timedelta = timedelta(minutes=10),
        max_lag_hours: float = 6.0,
        spent: float = 0.0,
        ledger=None,
        lease_step: float = 0.01,
    ):
        if not (isinstance(budget, int | float) and math.isfinite(budget) and budget >= 0):
            raise InputError(
                say(
                    "pacer: the budget must be a number of at least 0, not {b}",
                    "Pacer: das Budget muss eine Zahl von mindestens 0 sein, nicht {b}",
                    b=str(budget),
                )
            )
        if not end > start:
            raise InputError(
                say(
                    "pacer: the campaign must end after it starts ({s} to {e})",
                    "Pacer: die Kampagne muss nach ihrem Beginn enden ({s} bis {e})",
                    s=str(start),
                    e=str(end),
                )
            )
        if not 0 < min_multiplier <= 1 <= max_multiplier:
            raise InputError(
                say(
                    "pacer: the multiplier range must hold 1 and be above 0, not {a} to {b}",
                    "Pacer: der Multiplikatorbereich muss 1 enthalten und über 0 liegen, nicht {a} bis {b}",
                    a=str(min_multiplier),
                    b=str(max_multiplier),
                )
            )
        self.budget = float(budget)
        self.start, self.end = start, end
        self.kp, self.ki = float(kp), float(ki)
        self.min_multiplier, self.max_multiplier = float(min_multiplier), float(max_multiplier)
        self.timeout = timeout
        self.max_lag_hours = float(max_lag_hours)
        self._budget = _to_micros_down(self.budget)
        self._spent = min(max(math.ceil(float(spent) * MICRO - 1e-6), 0), self._budget)
        self._reserved = 0
        self._ledger = ledger
        self._lease = self._spent  # committed money may not pass it before the ledger has the next one
        self._lease_step = max(_to_micros_down(self.budget * float(lease_step)), 1)
        self._outstanding: OrderedDict[str, tuple[int, datetime]] = OrderedDict()  # token -> (bid, time), by time
        self._expired: OrderedDict[str, tuple[int, datetime]] = OrderedDict()  # recently timed out, for late wins
        self._tokens = itertools.count(1)
        self._lock = threading.Lock()
        self._integral = 0.0  # the controller's integral term, in log multiplier
        self._log_m = 0.0
        self._last: datetime | None = None
        self._target = 0.0
        self.counts = dict.fromkeys(
            (
                "bids",
                "no_bids",
                "wins",
                "losses",
                "expired",
                "late_wins",
                "unknown_notices",
                "overcharges",
                "ledger_errors",
            ),
            0,
        )
        self._curve_times, self._curve_share = _traffic_curve(start, end, traffic_shape, weekday_shape)
        hours = (end - start) / _HOUR
        self._hourly = self.budget / hours  # average spend per hour: the unit of the lag

    # -- the target ---------------------------------------------------------------------------------

    def target(self, now: datetime) -> float:
        """The spend the campaign should have reached by ``now``: budget × traffic share so far."""
        return self.budget * self._share(now)

    def _share(self, now: datetime) -> float:
        if now <= self.start:
            return 0.0
        if now >= self.end:
            return 1.0
        t = (now - self.start) / _HOUR
        return float(np.interp(t, self._curve_times, self._curve_share))

    # -- bidding ------------------------------------------------------------------------------------

    def bid(self, now: datetime, raw_bid: float, floor: float = 0.0) -> tuple[float | None, str | None]:
        """The paced bid for one auction and its token, or ``(None, None)`` for no bid.

        The bid is ``raw_bid`` times the multiplier, rounded down to a millionth, and at most what is
        left of the budget after the reservations of the outstanding bids; it is reserved until
        :meth:`win`, :meth:`loss` or :meth:`expire`. Below ``floor`` (the auction's floor price),
        outside the campaign or with nothing left, the pacer does not bid.
        """
        with self._lock:
            self._expire(now)
            self._control(now)
            if not (self.start <= now < self.end) or not (raw_bid > 0):  # NaN and negative bids too
                self.counts["no_bids"] += 1
                return None, None
            paced = _to_micros_down(float(raw_bid) * math.exp(self._log_m))
            amount = min(paced, self._budget - self._spent - self._reserved)
            if amount <= 0 or amount < floor * MICRO:
                self.counts["no_bids"] += 1
                return None, None
            if not self._leased(self._spent + self._reserved + amount):
                self.counts["no_bids"] += 1
                return None, None
            token = str(next(self._tokens))
            self._outstanding[token] = (amount, now)
            self._reserved += amount
            self.counts["bids"] += 1
            return amount / MICRO, token

    def win(self, token: str, price: float, now: datetime | None = None) -> None:
        """A win notice: ``price`` was paid for the bid ``token`` (at most the bid in a second-price auction).

        The price is charged rounded up to a millionth (never above the reserved bid when it is at
        most the bid). A price above the bid breaks the auction's rule (a wrong unit or currency in the
        notice?): it is still charged in full, since the money is gone, counted as ``overcharges``,
        and raises an InputError so that the caller hears of it; only then can spend pass the budget.
        """
        price = float(price)
        if not (math.isfinite(price) and price >= 0):
            raise InputError(
                say(
                    "win notice {t}: the price must be a number of at least 0, not {p}",
                    "Gewinnmeldung {t}: der Preis muss eine Zahl von mindestens 0 sein, nicht {p}",
                    t=str(token),
                    p=str(price),
                )
            )
        with self._lock:
            entry = self._outstanding.pop(token, None)
            late = entry is None
            if late:
                entry = self._expired.pop(token, None)
                if entry is None:
                    self.counts["unknown_notices"] += 1
                    return
                self.counts["late_wins"] += 1
            else:
                self._reserved -= entry[0]
            amount = entry[0]
            charge = max(math.ceil(price * MICRO - 1e-6), 0)  # the 1e-6 absorbs x.0000000001 from float maths
            over = charge > amount
            self._spent += charge
            if self._spent + self._reserved > self._lease:  # a late win or an overcharge: write it down too
                self._leased(self._spent + self._reserved)
            self.counts["wins"] += 1
            self.counts["overcharges"] += over
            if now is not None:
                self._control(now)
            if over:
                raise InputError(
                    say(
                        "win notice {t}: price {p} is above the bid {b} (wrong unit or currency?); charged anyway",
                        "Gewinnmeldung {t}: Preis {p} liegt über dem Gebot {b} (falsche Einheit oder Währung?); "
                        "trotzdem verbucht",
                        t=str(token),
                        p=str(price),
                        b=str(amount / MICRO),
                    )
                )

    def loss(self, token: str) -> None:
        """A loss notice (or no response): the reservation of ``token`` is freed."""
        with self._lock:
            entry = self._outstanding.pop(token, None)
            if entry is None:
                self._expired.pop(token, None)
                self.counts["unknown_notices"] += 1
                return
            self._reserved -= entry[0]
            self.counts["losses"] += 1

    def expire(self, now: datetime) -> int:
        """Frees the reservations of bids older than ``timeout``; returns how many were freed."""
        with self._lock:
            return self._expire(now)

    def _expire(self, now: datetime) -> int:
        freed = 0
        cutoff = now - self.timeout
        while self._outstanding:
            token, (amount, at) = next(iter(self._outstanding.items()))
            if at > cutoff:
                break  # tokens are in bid order, so the rest are younger (up to clock jitter between threads)
            del self._outstanding[token]
            self._reserved -= amount
            self._expired[token] = (amount, at)
            freed += 1
        self.counts["expired"] += freed
        # Keep expired tokens for nine more timeouts, to recognise a late win (and not a duplicate).
        old = now - 10 * self.timeout
        while self._expired and next(iter(self._expired.values()))[1] <= old:
            self._expired.popitem(last=False)
        return freed

    def _leased(self, committed: int) -> bool:
        """Whether ``committed`` (micros) lies within a lease the ledger has written; grows and writes it when not.
        A ledger that cannot write stops the bidding (fail closed): money not written down could be spent twice."""
        if self._ledger is None or committed <= self._lease:
            return True
        lease = max(min(self._budget, self._lease + self._lease_step), committed)
        try:
            self._ledger(lease / MICRO)
        except Exception:
            self.counts["ledger_errors"] += 1
            return False
        self._lease = lease
        return True

    # -- the controller -------------------------------------------------------------------------------

    def _control(self, now: datetime) -> None:
        """One PI step: lag = (target − spent) in hours of average spend; log m = kp·lag + ∫ ki·lag dt.

        Anti-windup: the integral stops growing in a direction where the multiplier is already clipped.
        """
        if self._last is None:
            self._last = now
        dt = max((now - self._last) / _HOUR, 0.0)  # concurrent callers may arrive slightly out of order
        self._last = max(self._last, now)
        self._target = self.target(now)
        if self._hourly <= 0:
            return
        lag = (self._target - self._spent / MICRO) / self._hourly
        lag = min(max(lag, -self.max_lag_hours), self.max_lag_hours)
        lo, hi = math.log(self.min_multiplier), math.log(self.max_multiplier)
        step = self.ki * lag * dt
        if not ((self._log_m >= hi and step > 0) or (self._log_m <= lo and step < 0)):
            self._integral = min(
                max(self._integral + step, lo - self.kp * self.max_lag_hours), hi + self.kp * self.max_lag_hours
            )
        self._log_m = min(max(self._integral + self.kp * lag, lo), hi)

    # -- what it knows ------------------------------------------------------------------------------

    @property
    def spent(self) -> float:
        """What the won auctions cost so far."""
        return self._spent / MICRO

    @property
    def reserved(self) -> float:
        """What the outstanding bids hold."""
        return self._reserved / MICRO

    @property
    def remaining(self) -> float:
        """The budget not yet spent (the outstanding reservations are part of it)."""
        return (self._budget - self._spent) / MICRO

    @property
    def available(self) -> float:
        """What a new bid may use: the budget left minus the reservations."""
        return (self._budget - self._spent - self._reserved) / MICRO

    @property
    def multiplier(self) -> float:
        return math.exp(self._log_m)

    def state(self) -> dict:
        """A snapshot for the API and the dashboard."""
        with self._lock:
            return {
                "budget": self.budget,
                "spent": self._spent / MICRO,
                "reserved": self._reserved / MICRO,
                "remaining": (self._budget - self._spent) / MICRO,
                "available": (self._budget - self._spent - self._reserved) / MICRO,
                "outstanding": len(self._outstanding),
                "lease": self._lease / MICRO if self._ledger is not None else None,
                "multiplier": math.exp(self._log_m),
                "target": self._target,
                "at": self._last.isoformat() if self._last else None,
                **self.counts,
            }


def _traffic_curve(start: datetime, end: datetime, hourly, weekday) -> tuple[np.ndarray, np.ndarray]:
    """The cumulative traffic share at each hour boundary of the campaign (hours since start).

    Within an hour traffic is flat, so the share between boundaries is linear: ``np.interp``.
    """
    hourly = _weights(hourly, 24, "traffic_shape")
    weekday = _weights(weekday, 7, "weekday_shape")
    top = start.replace(minute=0, second=0, microsecond=0)
    first = top + _HOUR if top < start else top
    edges = [start]
    t = first
    while t < end:
        edges.append(t)
        t += _HOUR
    edges.append(end)
    edges = sorted(set(edges))
    weights = np.array(
        [hourly[a.hour] * weekday[a.weekday()] * ((b - a) / _HOUR) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    )
    total = weights.sum()
    if total <= 0:  # no traffic expected at all: fall back to even spending
        weights = np.array([(b - a) / _HOUR for a, b in zip(edges[:-1], edges[1:], strict=True)])
        total = weights.sum()
    share = np.concatenate(([0.0], np.cumsum(weights) / total))
    times = np.array([(e - start) / _HOUR for e in edges])
    return times, share


def _weights(values, n: int, name: str) -> np.ndarray:
    if values is None:
        return np.ones(n)
    w = np.asarray(values, dtype=np.float64)
    if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any():
        raise InputError(
            say(
                "pacer: {name} must be {n} weights of at least 0",
                "Pacer: {name} muss aus {n} Gewichten von mindestens 0 bestehen",
                name=name,
                n=n,
            )
        )
    return w
