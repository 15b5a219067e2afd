"""The ground truth: true parameters, per-customer latent values and the true churn.

Churn: a customer who has placed at least one order on or before the cutoff (``churn_days``
before the end of the period) is *churned* if they place no order in the ``churn_days`` after it.
``churn_prob`` is the true probability of that, given the customer's true ``lam`` and ``p`` and
their organic order history up to the cutoff (BG/NBD):

    P(alive | x, t_x, T) = 1 / (1 + p / (1 - p) * exp(lam (T - t_x)))   (1 when x = 0)
    churn_prob = 1 - P(alive) + P(alive) * exp(-lam * churn_days) * prod_m (1 - q_m F_m)

where the product runs over the e-mails sent to the customer after the cutoff, ``q_m`` is the
conversion probability of the message's arm for an active customer and ``F_m`` the chance that a
conversion falls before the end of the period. (A customer alive at the cutoff who places no
organic order stays alive, so this is exact.) ``churned`` is the observed label, from all orders.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pyarrow as pa

from nomagic.simulate.campaigns import VARIANTS, EmailPlan, conversion_seen
from nomagic.simulate.common import Clock, table
from nomagic.simulate.config import COUNTRIES, WorldParams
from nomagic.simulate.customers import Customers
from nomagic.simulate.orders import Purchases

#: Every table the simulator writes besides the canonical ones. Only :mod:`nomagic.simulate` and
#: tests may read them.
TRUTH_TABLES = (
    "truth_params",
    "truth_customers",
    "truth_churn_drivers",
    "truth_products",
    "truth_uplift",
    "truth_email_variants",
    "truth_media",
    "truth_media_daily",
    "truth_kpis",
    "truth_ctr",
    "truth_ad_requests",
    "truth_documents",
)


def churn_truth(
    c: Customers, pur: Purchases, msg, all_cust: np.ndarray, all_t: np.ndarray, days: int, horizon: int, window: float
):
    """Per customer: eligible, alive at cutoff, P(alive), churn_prob and the observed churn label."""
    n = len(c)
    cutoff = days - horizon
    if cutoff <= 0:
        nan = np.full(n, np.nan)
        return np.zeros(n, dtype=bool), nan, nan, nan, np.zeros(n, dtype=bool)
    eligible = ~c.lead & (c.t0 <= cutoff)
    before = pur.t <= cutoff
    x = np.bincount(pur.cust[before], minlength=n) - eligible.astype(np.int64)  # repeats, first excluded
    last = np.full(n, -np.inf)
    np.maximum.at(last, pur.cust[before], pur.t[before])
    big_t = cutoff - c.t0
    t_x = last - c.t0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        odds = c.p / (1.0 - c.p) * np.exp(np.minimum(c.lam * (big_t - t_x), 700.0))
        p_alive = np.where(x > 0, 1.0 / (1.0 + odds), 1.0)
    after = msg.sent > cutoff
    q = msg.q_active[after] * conversion_seen(days - msg.sent[after], window)
    log_keep = np.bincount(msg.cust[after], weights=np.log1p(-np.minimum(q, 1.0 - 1e-12)), minlength=n)
    churn_prob = 1.0 - p_alive + p_alive * np.exp(-c.lam * horizon + log_keep)
    alive = np.isnan(pur.dropout) | (pur.dropout > cutoff)
    window = (all_t > cutoff) & (all_t <= days)
    ordered = np.bincount(all_cust[window], minlength=n) > 0
    churned = ~ordered
    mask = ~eligible
    p_alive = np.where(mask, np.nan, p_alive)
    churn_prob = np.where(mask, np.nan, churn_prob)
    return eligible, np.where(mask, np.nan, alive.astype(float)), p_alive, churn_prob, churned


def customers_truth(clock: Clock, c: Customers, pur: Purchases, churn, params: WorldParams) -> pa.Table:
    eligible, alive_cut, p_alive, churn_prob, churned = churn
    k = c.taste.shape[1]
    return table(
        {
            "customer_id": c.customer_id,
            "lead": c.lead,
            "lam": c.lam,
            "p": c.p,
            "dropout_score": c.z,
            "nu": c.nu,
            "spend_mean": c.spend_mean,
            "repeat_purchases": pur.repeats,
            "dropout_at": clock.timestamps(pur.dropout),
            "alive_at_end": ~c.lead & np.isnan(pur.dropout),
            "email_affinity": c.email_affinity,
            "machine_opener": c.machine_opener,
            "preferred_hour": c.preferred_hour,
            "ticket_rate": c.ticket_rate,
            **{f"taste_{d}": c.taste[:, d] for d in range(k)},
            "churn_eligible": eligible,
            "alive_at_cutoff": pa.array(alive_cut == 1.0, mask=np.isnan(alive_cut)),
            "p_alive_at_cutoff": pa.array(p_alive, mask=np.isnan(p_alive)),
            "churn_prob": pa.array(churn_prob, mask=np.isnan(churn_prob)),
            "churned": pa.array(churned, mask=~eligible),
        }
    )


_DESCRIPTIONS = {
    "r": "BG/NBD: shape of the Gamma distribution of the daily purchase rate lambda",
    "alpha": "BG/NBD: rate of that Gamma (days); mean lambda = r / alpha",
    "a": "BG/NBD: Beta(a, b) of the dropout probability after each repeat purchase",
    "b": "BG/NBD: Beta(a, b) of the dropout probability after each repeat purchase",
    "gg_p": "gamma-gamma: shape of the order value given the customer",
    "gg_q": "gamma-gamma: shape of the customer's spend parameter nu",
    "gg_gamma": "gamma-gamma: rate of the customer's spend parameter nu",
    "churn_days": "churn: no order in this many days after the cutoff",
}


def params_truth(clock: Clock, customers: int, seed: int, params: WorldParams, cutoff_day: float | None) -> pa.Table:
    rows: list[tuple[str, float | None, str | None, str]] = [
        ("seed", float(seed), None, "random seed"),
        ("customers", float(customers), None, "number of customers"),
        ("days", float(clock.days), None, "length of the period in days"),
        ("start", None, clock.start.isoformat(sep=" "), "start of the period (UTC, inclusive); time 0 of every model"),
        ("end", None, clock.end.isoformat(sep=" "), "end of the period (UTC, exclusive): the observation time"),
    ]
    if cutoff_day is not None:
        cut = clock.start + (clock.end - clock.start) * (cutoff_day / clock.days)
        rows.append(("churn_cutoff", cutoff_day, cut.isoformat(sep=" "), "churn cutoff (day since start, and time)"))
    for name, value in asdict(params).items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            rows.append((name, float(value), None, _DESCRIPTIONS.get(name, "see nomagic.simulate.config.WorldParams")))
    rows.append(("mean_lambda", params.mean_lambda, None, "mean daily purchase rate r / alpha"))
    return table(
        {
            "name": [r[0] for r in rows],
            "value": pa.array([r[1] for r in rows], pa.float64()),
            "text": pa.array([r[2] for r in rows], pa.string()),
            "description": [r[3] for r in rows],
        }
    )


def churn_drivers_truth(params: WorldParams) -> pa.Table:
    """What drives churn, where a model can see it, and how strongly (effects on the dropout score z)."""
    country = ", ".join(f"{c[0]} {c[3]:+.2f}" for c in COUNTRIES)
    rows = [
        ("recency", "orders.ordered_at", None, "customers who dropped out stop ordering (BG/NBD): long recency"),
        ("frequency", "orders", None, "higher purchase rate lambda: more orders, fewer long gaps"),
        ("declining_frequency", "orders", None, "orders stop at dropout: fewer orders recently than before"),
        ("tenure", "customers.created_at", None, "long tenure with few repeat orders suggests dropout"),
        (
            "email_engagement",
            "messages.opened_at, messages.clicked_at",
            params.email_affinity_z,
            f"open log-odds per unit of z; after dropout opens fall by {params.dead_open_penalty} log-odds",
        ),
        ("support_tickets", "documents (source = ticket)", params.ticket_rate_z, "log ticket rate per unit of z"),
        (
            "exit_complaint",
            "documents (source = ticket)",
            params.exit_complaint,
            "share of leavers who write a ticket 1-14 days after their last order",
        ),
        (
            "negative_reviews",
            "documents (source = review)",
            params.negative_review_z,
            "log-odds of a negative review per unit of z",
        ),
        ("country", "customers.country", None, f"country choice log-odds per unit of z: {country}"),
        (
            "site_visits",
            "events (type = visit)",
            None,
            f"sessions {params.browse_alive} x lambda while alive, {params.browse_dead} x after",
        ),
        ("monetary", "orders.revenue", 0.0, "no effect: spend is independent of the purchase process (gamma-gamma)"),
        ("age_band", "customers.age_band", 0.0, "no effect on dropout (older customers buy slightly more often)"),
        ("gender", "customers.gender", 0.0, "no effect on dropout, purchase rate or uplift (taste only)"),
        ("consent", "customers.consent_email", 0.0, "no effect on dropout"),
    ]
    return table(
        {
            "driver": [r[0] for r in rows],
            "visible_in": [r[1] for r in rows],
            "effect": pa.array([r[2] for r in rows], pa.float64()),
            "description": [r[3] for r in rows],
        }
    )


def email_variants_truth(plan: EmailPlan) -> pa.Table:
    k = np.repeat(np.arange(len(plan)), plan.variants)
    v = np.concatenate([np.arange(n) for n in plan.variants]) if len(plan) else np.zeros(0, dtype=np.int64)
    return table(
        {
            "campaign_id": plan.campaign_id.take(pa.array(k)),
            "variant": pa.array(np.array(VARIANTS)[v].tolist(), pa.string()),
            "open_effect": plan.effect[k, v] if len(plan) else np.zeros(0),
            "promo": plan.promo[k],
            "control_share": plan.control[k],
            "messages": plan.sent[k],
        }
    )
