"""E-mail campaigns: randomised sends, opens, clicks and conversions with heterogeneous effects.

Every ``email_every_days`` a campaign (newsletter or promotion) goes to a random share of the
customers who consent to e-mail. Each recipient is randomised: held out as control (with the
campaign's control share) or sent one of 2-3 subject-line variants; the hour of sending is also
random (06-21), so send-time effects are identifiable. ``propensity`` is the probability of the
arm the customer got.

Treatment effects are heterogeneous: for each message the customer is a *sure thing* (converts
either way), *persuadable* (converts only if sent), *sleeping dog* (converts only if not sent) or
*lost cause*, with probabilities that depend on the customer (purchase rate, e-mail affinity,
dropout score) and the campaign type. The true effect of a message is
``p_persuadable - p_sleeping_dog``; both potential outcomes are recorded in ``truth_uplift``.
Customers who have dropped out (or never ordered) are lost causes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pyarrow as pa
from scipy import special

from nomagic.simulate.common import MINUTE, Clock, canonical, ids, rng_for, sigmoid, table, take
from nomagic.simulate.config import WorldParams
from nomagic.simulate.customers import Customers
from nomagic.simulate.orders import Purchases

VARIANTS = ("A", "B", "C")
UPLIFT_TYPES = ("sure_thing", "persuadable", "sleeping_dog", "lost_cause")
SUBJECTS = {
    "newsletter": (
        "New in: the {season} collection",
        "Our favourites for {season}",
        "{season} is here - see what's new",
    ),
    "promo": ("-20% on everything this weekend", "Your voucher: 20% off, only until Sunday", "Last chance: 20% off"),
}
SEASONS = (
    "winter",
    "spring",
    "spring",
    "spring",
    "summer",
    "summer",
    "summer",
    "autumn",
    "autumn",
    "autumn",
    "winter",
    "winter",
)
MODEL_VERSION = "random-assignment-v1"
DELAY_SHAPE, DELAY_SCALE = 1.5, 0.8  # Gamma of the days from send to conversion (capped by the window)


@dataclass
class EmailPlan:
    """The e-mail campaigns of the period (global, drawn once)."""

    day: np.ndarray
    promo: np.ndarray
    variants: np.ndarray
    effect: np.ndarray  # (campaigns, 3) open log-odds of each subject line
    control: np.ndarray
    audience: np.ndarray
    sent: np.ndarray  # messages per campaign, filled while simulating

    @property
    def campaign_id(self) -> pa.Array:
        return ids("EM", np.arange(1, len(self.day) + 1), width=4)

    def __len__(self) -> int:
        return len(self.day)


def plan_emails(seed: int, days: int, params: WorldParams) -> EmailPlan:
    rng = rng_for(seed, "email-plan")
    day = np.arange(3, days, params.email_every_days, dtype=np.int64)
    n = len(day)
    effect = rng.normal(0.0, 0.25, (n, 3))
    return EmailPlan(
        day=day,
        promo=rng.random(n) < 0.35,
        variants=rng.integers(2, 4, n),
        effect=effect,
        control=rng.choice(np.array([0.1, 0.15, 0.2, 0.25]), n),
        audience=rng.uniform(0.4, 0.8, n),
        sent=np.zeros(n, dtype=np.int64),
    )


@dataclass
class Messages:
    cust: np.ndarray
    camp: np.ndarray
    sent: np.ndarray
    control: np.ndarray
    variant: np.ndarray
    propensity: np.ndarray
    opened: np.ndarray  # time or NaN
    clicked: np.ndarray
    converted: np.ndarray  # observed conversion time or NaN
    active: np.ndarray
    p_sure: np.ndarray
    p_pers: np.ndarray
    p_sd: np.ndarray
    kind: np.ndarray
    y0: np.ndarray
    y1: np.ndarray
    q_active: np.ndarray

    def __len__(self) -> int:
        return len(self.cust)


def send(
    rng: np.random.Generator, c: Customers, pur: Purchases, plan: EmailPlan, days: int, params: WorldParams
) -> Messages:
    """All messages of the chunk's customers."""
    custs, camps = [], []
    for k in range(len(plan)):
        chosen = c.consent_email & (c.t0 < plan.day[k]) & (rng.random(len(c)) < plan.audience[k])
        rows = np.flatnonzero(chosen)
        custs.append(rows)
        camps.append(np.full(len(rows), k))
        plan.sent[k] += len(rows)
    cust = np.concatenate(custs) if custs else np.zeros(0, dtype=np.int64)
    camp = np.concatenate(camps) if camps else np.zeros(0, dtype=np.int64)
    m = len(cust)

    hour = rng.integers(6, 22, m)
    sent = plan.day[camp] + (hour + rng.random(m)) / 24.0
    control = rng.random(m) < plan.control[camp]
    variant = np.floor(rng.random(m) * plan.variants[camp]).astype(np.int64)
    propensity = np.where(control, plan.control[camp], (1.0 - plan.control[camp]) / plan.variants[camp])
    dropout = pur.dropout[cust]
    lead = c.lead[cust]
    active = ~lead & (np.isnan(dropout) | (dropout > sent))
    dead = ~lead & ~active

    diff = np.abs(hour - c.preferred_hour[cust])
    diff = np.minimum(diff, 24 - diff)
    match = np.exp(-(diff**2) / (2 * 1.5**2))
    aff = c.email_affinity[cust]
    aff_std = (aff - params.email_affinity_base) / np.hypot(params.email_affinity_z, params.email_affinity_sd)
    logit = aff + plan.effect[camp, variant] + params.open_hour_effect * match - params.dead_open_penalty * dead
    human_open = rng.random(m) < sigmoid(logit)
    machine = c.machine_opener[cust]
    open_delay = np.where(machine, rng.uniform(1, 120, m) / 86400.0, rng.exponential(0.12, m) + 10 / 86400.0)
    click = human_open & (rng.random(m) < sigmoid(params.click_base + 0.35 * aff_std))
    click_delay = rng.exponential(5 * MINUTE, m) + 10 / 86400.0

    s_lam = np.log(c.lam[cust] / params.mean_lambda)
    p_sure = sigmoid(params.sure_base + params.sure_lambda * s_lam)
    p_pers = sigmoid(params.pers_base + params.pers_affinity * aff_std + params.pers_promo * plan.promo[camp])
    p_sd = sigmoid(params.sd_base + params.sd_z * c.z[cust])
    q_active = p_sure + np.where(control, p_sd, p_pers)  # conversion probability of the arm, were the customer active
    p_sure, p_pers, p_sd = p_sure * active, p_pers * active, p_sd * active
    u = rng.random(m)
    kind = np.select([u < p_sure, u < p_sure + p_pers, u < p_sure + p_pers + p_sd], [0, 1, 2], 3)
    y1 = kind <= 1
    y0 = (kind == 0) | (kind == 2)
    treated = ~control
    conv = np.where(treated, y1, y0)
    window = params.conversion_window_days
    delay = np.minimum(rng.gamma(DELAY_SHAPE, DELAY_SCALE, m), window - 0.02) + 10 * MINUTE
    tc = sent + delay

    opened = np.where(treated & (human_open | machine), sent + open_delay, np.nan)
    clicked = np.where(treated & click, opened + click_delay, np.nan)
    tconv = treated & conv
    fast = sent + rng.uniform(0.0, 0.4, m) * delay
    opened = np.where(tconv, np.where(machine, opened, fast), opened)
    clicked = np.where(tconv, opened + rng.uniform(0.1, 0.5, m) * (tc - opened), clicked)
    converted = np.where(conv, tc, np.nan)
    for t in (opened, clicked, converted):
        t[t >= days] = np.nan
    return Messages(
        cust,
        camp,
        sent,
        control,
        variant,
        propensity,
        opened,
        clicked,
        converted,
        active,
        p_sure,
        p_pers,
        p_sd,
        kind,
        y0,
        y1,
        q_active,
    )


def conversion_seen(wait: np.ndarray, window: float) -> np.ndarray:
    """P(a conversion happens within ``wait`` days of the send), i.e. before the end of the period."""
    x = wait - 10 * MINUTE
    cdf = special.gammainc(DELAY_SHAPE, np.maximum(x, 0.0) / DELAY_SCALE)
    return np.where(x >= window - 0.02, 1.0, cdf)


def messages_table(
    clock: Clock, msg: Messages, customer_id: pa.Array, plan: EmailPlan, revenue: np.ndarray, first: int
):
    message_id = ids("M", np.arange(first + 1, first + len(msg) + 1), width=10)
    return message_id, canonical(
        "messages",
        {
            "message_id": message_id,
            "campaign_id": take(plan.campaign_id, msg.camp),
            "customer_id": take(customer_id, msg.cust),
            "sent_at": clock.timestamps(msg.sent),
            "variant": pa.array(np.array(VARIANTS)[msg.variant], mask=msg.control),
            "in_control": msg.control,
            "opened_at": clock.timestamps(msg.opened),
            "clicked_at": clock.timestamps(msg.clicked),
            "converted_at": clock.timestamps(msg.converted),
            "revenue": revenue,
            "propensity": msg.propensity,
        },
    )


def decisions_table(rng, clock: Clock, msg: Messages, message_id, customer_id, revenue, days, params, first: int):
    """The logged assignment policy: one decision per message, with its propensity and reward."""
    complete = msg.sent + params.conversion_window_days < days
    action = pa.array(np.where(msg.control, "control", np.array(VARIANTS)[msg.variant]))
    return canonical(
        "decisions",
        {
            "decision_id": ids("D", np.arange(first + 1, first + len(msg) + 1), width=10),
            "occurred_at": clock.timestamps(msg.sent - rng.uniform(1, 30, len(msg)) * MINUTE),
            "use_case": pa.array(["email_campaign"] * len(msg)) if len(msg) else pa.array([], pa.string()),
            "unit_id": take(customer_id, msg.cust),
            "action": action,
            "propensity": msg.propensity,
            "model_version": pa.array([MODEL_VERSION] * len(msg), pa.string()),
            "reward": pa.array(revenue, mask=~complete),
            "message_id": message_id,
        },
    )


def uplift_truth(msg: Messages, message_id, customer_id, plan: EmailPlan) -> pa.Table:
    return table(
        {
            "message_id": message_id,
            "customer_id": take(customer_id, msg.cust),
            "campaign_id": take(plan.campaign_id, msg.camp),
            "active": msg.active,
            "uplift_type": take(pa.array(UPLIFT_TYPES), msg.kind),
            "p_sure_thing": msg.p_sure,
            "p_persuadable": msg.p_pers,
            "p_sleeping_dog": msg.p_sd,
            "tau": msg.p_pers - msg.p_sd,
            "y0": msg.y0,
            "y1": msg.y1,
        }
    )


def email_campaigns_rows(clock: Clock, plan: EmailPlan, days: int, params: WorldParams) -> dict[str, list]:
    """Rows of the campaigns table for the e-mail campaigns (budget: 0.2 cents per message)."""
    rows: dict[str, list] = {k: [] for k in ("name", "type", "started", "ended", "budget", "subjects", "control_share")}
    for k in range(len(plan)):
        kind = "promo" if plan.promo[k] else "newsletter"
        when = clock.start + timedelta(days=int(plan.day[k]))
        season = SEASONS[when.month - 1]
        subjects = SUBJECTS[kind][: plan.variants[k]]
        rows["name"].append(f"{'Promotion' if plan.promo[k] else 'Newsletter'} {when:%Y-%m-%d}")
        rows["type"].append(kind)
        rows["started"].append(float(plan.day[k]) + 6 / 24)
        rows["ended"].append(min(float(plan.day[k]) + params.conversion_window_days, days - 1e-6))
        rows["budget"].append(round(plan.sent[k] * 0.002, 2))
        rows["subjects"].append(" | ".join(f"{VARIANTS[i]}: {s.format(season=season)}" for i, s in enumerate(subjects)))
        rows["control_share"].append(float(plan.control[k]))
    return rows
