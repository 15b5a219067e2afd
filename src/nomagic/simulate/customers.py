"""Customers: who they are (observable) and what drives them (latent, recorded in truth).

Each customer has a purchase rate ``lam ~ Gamma(r, alpha)`` and a dropout probability
``p ~ Beta(a, b)`` (BG/NBD), a spend parameter ``nu ~ Gamma(q, gamma)`` (gamma-gamma), taste
factors, an e-mail affinity, a preferred hour and a support-ticket rate. Observable traits are
drawn *given* the latent ones through their quantiles (a Gaussian copula), so the latent laws stay
exactly as stated while country, age band, e-mail engagement and tickets carry real signal:

* ``z = Phi^-1(BetaCDF(p))`` -- the dropout score -- shifts country, e-mail affinity, ticket rate
  and the chance of negative reviews (the churn drivers);
* ``Phi^-1(GammaCDF(lam))`` shifts the age band (older customers buy a little more often).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from scipy import special

from nomagic.simulate.common import choice_index, gumbel_argmax, ids
from nomagic.simulate.config import AGE_BANDS, COUNTRIES, GENDERS, SIGNUP_CHANNELS, WorldParams

#: Shopping activity by hour of day (relative weights).
HOUR_WEIGHTS = np.array(
    [
        0.5,
        0.3,
        0.2,
        0.15,
        0.15,
        0.25,
        0.6,
        1.2,
        1.8,
        2.0,
        2.2,
        2.5,
        3.0,
        2.8,
        2.3,
        2.2,
        2.3,
        2.6,
        3.0,
        3.6,
        4.0,
        3.8,
        2.8,
        1.4,
    ]
)


@dataclass
class Customers:
    """One chunk of customers: numpy arrays, one row per customer."""

    index: np.ndarray  # global number, 0-based
    customer_id: pa.Array
    t0: np.ndarray  # signup = first purchase, days since start
    lead: np.ndarray  # signed up, never orders
    lam: np.ndarray
    p: np.ndarray
    z: np.ndarray  # dropout score, N(0, 1)
    nu: np.ndarray
    spend_mean: np.ndarray  # mean order value gg_p / nu
    country: np.ndarray
    age: np.ndarray
    gender: np.ndarray
    channel: np.ndarray
    consent_email: np.ndarray
    consent_profiling: np.ndarray
    email_affinity: np.ndarray  # open log-odds
    machine_opener: np.ndarray
    preferred_hour: np.ndarray
    ticket_rate: np.ndarray  # tickets per active year
    taste: np.ndarray  # (n, taste_dims)

    def __len__(self) -> int:
        return len(self.index)

    @property
    def lang(self) -> np.ndarray:
        return np.array([c[1] for c in COUNTRIES])[self.country]


def day_time(rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """A time within each given day, following the daily shopping rhythm."""
    hour = choice_index(rng, len(day), HOUR_WEIGHTS) + rng.random(len(day))
    return np.floor(day) + hour / 24.0


def make_customers(rng: np.random.Generator, first: int, n: int, days: int, params: WorldParams) -> Customers:
    index = np.arange(first, first + n, dtype=np.int64)
    lam = rng.gamma(params.r, 1.0 / params.alpha, n)
    p = rng.beta(params.a, params.b, n)
    z = special.ndtri(np.clip(special.betainc(params.a, params.b, p), 1e-9, 1 - 1e-9))
    zl = special.ndtri(np.clip(special.gammainc(params.r, lam * params.alpha), 1e-9, 1 - 1e-9))
    nu = rng.gamma(params.gg_q, 1.0 / params.gg_gamma, n)

    g = params.signup_growth
    u = rng.random(n)
    x = (np.sqrt(1.0 + 2.0 * g * u * (1.0 + g / 2.0)) - 1.0) / g if g > 0 else u
    t0 = np.minimum(day_time(rng, np.floor(x * days)), days - 1e-6)

    shares = np.log([c[2] for c in COUNTRIES])
    slopes = np.array([c[3] for c in COUNTRIES])
    country = gumbel_argmax(rng, shares[None, :] + z[:, None] * slopes[None, :])
    age = gumbel_argmax(
        rng, np.log([a[1] for a in AGE_BANDS])[None, :] + zl[:, None] * np.array([a[2] for a in AGE_BANDS])[None, :]
    )
    gender = choice_index(rng, n, np.array([g[1] for g in GENDERS]))
    channel = choice_index(rng, n, np.array([c[1] for c in SIGNUP_CHANNELS]))

    affinity = params.email_affinity_base + params.email_affinity_z * z + rng.normal(0.0, params.email_affinity_sd, n)
    peak = choice_index(rng, n, np.array([0.3, 0.25, 0.45]))
    hour = np.array([7.5, 12.5, 20.0])[peak] + rng.normal(0.0, np.array([1.0, 0.8, 1.5])[peak])
    taste = rng.normal(0.0, 1.0, (n, params.taste_dims))
    taste[:, 0] += np.array([0.6, -0.6, 0.0])[gender]

    return Customers(
        index=index,
        customer_id=ids("C", index + 1),
        t0=t0,
        lead=rng.random(n) < params.lead_share,
        lam=lam,
        p=p,
        z=z,
        nu=nu,
        spend_mean=params.gg_p / nu,
        country=country,
        age=age,
        gender=gender,
        channel=channel,
        consent_email=rng.random(n) < params.consent_email,
        consent_profiling=rng.random(n) < params.consent_profiling,
        email_affinity=affinity,
        machine_opener=rng.random(n) < params.machine_opener_share,
        preferred_hour=np.mod(np.round(hour), 24).astype(np.int64),
        ticket_rate=np.exp(params.ticket_rate_base + params.ticket_rate_z * z + rng.normal(0.0, 0.3, n)),
        taste=taste,
    )
