"""Customer lifetime value: expected purchases x expected spend, discounted per month, with an interval.

``clv = sum over months i = 1..M of (E[purchases by month i] - E[purchases by month i-1]) * spend / (1 + d)^i``

where the purchases come from a fitted transaction model (BG/NBD, MBG/NBD or Pareto/NBD) given each
customer's history, the spend per purchase from the Gamma-Gamma model, and ``d`` is the monthly
discount rate. A month is 365.25 / 12 days.

The interval (``clv_low``, ``clv_high``) reflects what we do not know about the *population
parameters*: the parameters of both models are drawn from their fitted (Hessian) distributions,
the CLV recomputed per draw, and the percentiles taken. It is not the range of what one customer
will actually spend, which is much wider (one customer's purchases are close to a coin toss).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nomagic.errors import InputError
from nomagic.usecases.clv.data import TIME_UNITS, bad_time_unit
from nomagic.usecases.clv.models import GammaGammaModel, _check_rfm, _compress
from nomagic.words import say

__all__ = ["DAYS_PER_MONTH", "customer_lifetime_value", "discounted_purchases"]

DAYS_PER_MONTH = 365.25 / 12


def discounted_purchases(
    model,
    frequency,
    recency,
    T,
    *,
    months: int = 12,
    discount_rate: float = 0.01,
    time_unit: str = "weeks",
    params: dict | None = None,
) -> np.ndarray:
    """Expected purchases in each of the next ``months`` months, discounted, summed per customer."""
    if time_unit not in TIME_UNITS:
        raise InputError(bad_time_unit(time_unit))
    if months < 1:
        raise InputError(say("months must be at least 1", "months muss mindestens 1 sein"))
    if discount_rate < 0:
        raise InputError(
            say(
                "the discount rate must be >= 0 (e.g. 0.01 for 1% a month)",
                "der Diskontsatz muss >= 0 sein (z. B. 0,01 für 1 % im Monat)",
            )
        )
    x, tx, TT, w = _check_rfm(frequency, recency, T)
    data = _compress(x, tx, TT, w)
    month = DAYS_PER_MONTH / TIME_UNITS[time_unit]
    total = np.zeros(data.x.size)
    prev = np.zeros(data.x.size)
    for i in range(1, months + 1):
        cum = model.conditional_expected_purchases(i * month, data.x, data.tx, data.T, params=params)
        total += (cum - prev) / (1.0 + discount_rate) ** i
        prev = cum
    return total[data.inverse]


def customer_lifetime_value(
    transaction_model,
    spend_model: GammaGammaModel,
    frequency,
    recency,
    T,
    monetary_value,
    spend_frequency=None,
    *,
    months: int = 12,
    discount_rate: float = 0.01,
    time_unit: str = "weeks",
    n_draws: int = 100,
    level: float = 0.9,
    seed: int = 0,
    chunk: int = 20_000,
) -> pd.DataFrame:
    """Discounted CLV per customer with a parameter-uncertainty interval.

    Parameters
    ----------
    transaction_model : a fitted BG/NBD, MBG/NBD or Pareto/NBD model.
    spend_model : a fitted :class:`GammaGammaModel`.
    frequency, recency, T : as for the transaction model.
    monetary_value : mean value of the repeat purchases (0 where there are none).
    spend_frequency : the number of purchases behind ``monetary_value`` (default: ``frequency``).
    months, discount_rate : horizon and monthly discount rate.
    n_draws : parameter draws for the interval (0: no interval).
    level : coverage of the interval.

    Returns
    -------
    DataFrame with ``discounted_purchases``, ``expected_spend``, ``clv``, ``clv_low``, ``clv_high``
    in the order of the input.
    """
    x, tx, TT, _ = _check_rfm(frequency, recency, T)
    mv = np.nan_to_num(np.asarray(monetary_value, dtype=float).ravel(), nan=0.0)
    xs = x if spend_frequency is None else np.asarray(spend_frequency, dtype=float).ravel()
    if not (mv.size == xs.size == x.size):
        raise InputError(
            say(
                "monetary_value and spend_frequency must have one value per customer",
                "monetary_value und spend_frequency brauchen je einen Wert pro Kunde",
            )
        )
    kw = {"months": months, "discount_rate": discount_rate, "time_unit": time_unit}
    dp = discounted_purchases(transaction_model, x, tx, TT, **kw)
    spend = spend_model.conditional_expected_spend(xs, mv)
    out = pd.DataFrame({"discounted_purchases": dp, "expected_spend": spend, "clv": dp * spend})
    if n_draws <= 0:
        out["clv_low"] = out["clv_high"] = np.nan
        return out
    data = _compress(x, tx, TT, np.ones_like(x))
    tdraws = transaction_model.sample_params(n_draws, seed=seed)
    sdraws = spend_model.sample_params(n_draws, seed=seed + 1)
    month = DAYS_PER_MONTH / TIME_UNITS[time_unit]
    # discounted purchases per distinct history and draw
    D = np.zeros((data.x.size, n_draws))
    for j, p in enumerate(tdraws):
        prev = np.zeros(data.x.size)
        for i in range(1, months + 1):
            cum = transaction_model.conditional_expected_purchases(i * month, data.x, data.tx, data.T, params=p)
            D[:, j] += (cum - prev) / (1.0 + discount_rate) ** i
            prev = cum
    P = np.array([[d["p"], d["q"], d["v"]] for d in sdraws])  # (draws, 3)
    xs_eff = np.where(mv > 0, xs, 0.0)
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    low = np.empty(x.size)
    high = np.empty(x.size)
    for s in range(0, x.size, chunk):
        sl = slice(s, s + chunk)
        xe, me = xs_eff[sl, None], mv[sl, None]
        sp = P[None, :, 0] * (P[None, :, 2] + xe * me) / (P[None, :, 0] * xe + P[None, :, 1] - 1.0)
        sp = np.where(P[None, :, 1] > 1.0, sp, np.nan)
        vals = D[data.inverse[sl]] * sp
        low[sl], high[sl] = np.nanquantile(vals, [lo_q, hi_q], axis=1)
    out["clv_low"] = low
    out["clv_high"] = high
    return out
