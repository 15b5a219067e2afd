"""``simulate()``: fill a warehouse with one coherent simulated business and its ground truth."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa

from nomagic.errors import InputError
from nomagic.simulate import auctions, campaigns, documents, media, orders, truth
from nomagic.simulate import drift as dr
from nomagic.simulate.common import MINUTE, Clock, canonical, ids, rng_for, take
from nomagic.simulate.config import AGE_BANDS, CHUNK, COUNTRIES, DEFAULT, GENDERS, WorldParams
from nomagic.simulate.customers import make_customers
from nomagic.simulate.products import make_catalogue
from nomagic.warehouse.schema import CANONICAL

#: progress(done, total, what): called after each step; ``done`` counts up to ``total``.
Progress = Callable[[int, int, str], None]

MAX_CUSTOMERS = 100_000_000
MAX_DAYS = 3650
MIN_DAYS = 30
FLUSH_BYTES = 32 * 2**20


@dataclass
class Simulation:
    """What :func:`simulate` wrote: rows per table, the period and how long it took."""

    start: datetime
    end: datetime
    customers: int
    days: int
    seed: int
    churn_cutoff: datetime | None = None
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def default_start(days: int, now: datetime | None = None) -> datetime:
    """The start so that the period ends today at midnight UTC: its last day is yesterday."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    return datetime.combine(today - timedelta(days=days), datetime.min.time())


def _check(customers: int, days: int, seed: int, start, now: datetime) -> datetime:
    if (
        isinstance(customers, bool)
        or not isinstance(customers, int | np.integer)
        or not 1 <= customers <= MAX_CUSTOMERS
    ):
        raise InputError(f"customers must be a whole number from 1 to {MAX_CUSTOMERS:,}, not {customers!r}")
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or not MIN_DAYS <= days <= MAX_DAYS:
        raise InputError(f"days must be a whole number from {MIN_DAYS} to {MAX_DAYS}, not {days!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"seed must be a whole number >= 0, not {seed!r}")
    if start is None:
        return default_start(days, now)
    if isinstance(start, str):
        try:
            start = datetime.fromisoformat(start)
        except ValueError:
            raise InputError(f"start {start!r} is not a date (use YYYY-MM-DD)") from None
    if isinstance(start, date) and not isinstance(start, datetime):
        start = datetime.combine(start, datetime.min.time())
    if not isinstance(start, datetime):
        raise InputError(f"start must be a date, not {start!r}")
    if start.tzinfo is not None:
        start = start.astimezone(UTC).replace(tzinfo=None)
    start = datetime.combine(start.date(), datetime.min.time())
    end = start + timedelta(days=int(days))
    if end > now.astimezone(UTC).replace(tzinfo=None):
        raise InputError(
            f"the period {start:%Y-%m-%d} + {days} days ends {end:%Y-%m-%d}, after now; "
            "simulated data may not lie in the future: choose an earlier start or fewer days"
        )
    return start


def simulate(
    wh,
    customers: int = 20_000,
    days: int = 730,
    seed: int = 0,
    start: date | datetime | str | None = None,
    progress: Progress | None = None,
    params: WorldParams = DEFAULT,
    drift=(),
) -> Simulation:
    """Fill ``wh`` with a simulated business and its ground truth, replacing what was there.

    Every canonical table is written (and passes its contract), and the ``truth_*`` tables hold
    what real data never reveals (true parameters, per-customer probabilities and effects, true
    ROIs). The same ``seed``, ``customers``, ``days`` and ``start`` give identical data.

    Parameters
    ----------
    wh : a :class:`~nomagic.warehouse.Warehouse`; its canonical and ``truth_*`` tables are replaced.
    customers : number of customers (1 to 100 million; generated in chunks of bounded memory).
    days : length of the period (30 to 3650 days).
    seed : random seed.
    start : first day of the period; by default the period ends today at midnight UTC, so that
        its last day is yesterday. The period may not end after now.
    progress : called as ``progress(done, total, what)`` after each step.
    params : the true parameters of the world (:class:`~nomagic.simulate.config.WorldParams`).
    drift : changes of the world from a given day (:mod:`nomagic.simulate.drift` scenarios), recorded
        in ``truth_drift``; none by default (a stationary world, unchanged by this option).

    Examples
    --------
    >>> from nomagic import connect
    >>> from nomagic.simulate import simulate
    >>> sim = simulate(connect("duckdb://:memory:"), customers=500, days=120, seed=1)  # doctest: +SKIP
    >>> sim.rows["customers"]  # doctest: +SKIP
    500
    """
    t_begin = time.perf_counter()
    now = datetime.now(UTC)
    start = _check(customers, days, seed, start, now)
    customers, days, seed = int(customers), int(days), int(seed)
    drift = tuple(drift or ())
    if any(not isinstance(s, dr.Scenario) for s in drift):
        raise InputError("drift must be scenarios made by nomagic.simulate.drift (competitor(...), ...)")
    hits: dict[int, int] = {}
    clock = Clock(start, days)
    horizon = params.churn_days
    cutoff_at = clock.end - timedelta(days=horizon) if days > horizon else None
    result = Simulation(start, clock.end, customers, days, seed, cutoff_at)
    n_chunks = -(-customers // CHUNK)
    total = n_chunks + 4
    done = 0

    def step(what: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, what)

    write = _Writer(wh, result.rows)

    for name in [*CANONICAL, *truth.TRUTH_TABLES, *(t for t in wh.tables() if t.startswith("truth_"))]:
        wh.drop(name)

    cat = make_catalogue(seed, params)
    plan = campaigns.plan_emails(seed, days, params)
    write("products", cat.products)
    write("images", cat.images)
    write("truth_products", cat.truth)
    step("catalogue")

    counters = {"orders": 0, "events": 0, "messages": 0, "documents": 0}
    for k in range(n_chunks):
        first = k * CHUNK
        n = min(CHUNK, customers - first)
        for name, data in _chunk(seed, k, first, n, clock, cat, plan, params, horizon, counters, drift, hits).items():
            write(name, data)
        step(f"customers {first + n:,} of {customers:,}")

    world = media.make_media(seed, clock, customers, params)
    write("campaigns", _campaigns_table(clock, plan, world.campaigns, days, params))
    write("media_spend", world.media_spend)
    write("kpis", world.kpis)
    write("truth_media", world.truth_media)
    write("truth_media_daily", world.truth_media_daily)
    write("truth_kpis", world.truth_kpis)
    write("truth_email_variants", truth.email_variants_truth(plan))
    step("media and KPIs")

    write("truth_ctr", auctions.ctr_truth())
    for block, first_req, size in auctions.blocks(customers, days, params.ad_requests_per_customer_year):
        req, req_truth = auctions.make_requests(seed, block, first_req, size, clock)
        write("ad_requests", req)
        write("truth_ad_requests", req_truth)
    if "ad_requests" not in result.rows:
        req, req_truth = auctions.make_requests(seed, 0, 0, 0, clock)
        write("ad_requests", req)
        write("truth_ad_requests", req_truth)
    step("ad auctions")

    docs, docs_truth = documents.public_documents(
        rng_for(seed, "public-documents"), clock, customers, params, counters["documents"]
    )
    write("documents", docs)
    write("truth_documents", docs_truth)
    cutoff = float(days - horizon) if days > horizon else None
    write("truth_params", truth.params_truth(clock, customers, seed, params, cutoff))
    write("truth_churn_drivers", truth.churn_drivers_truth(params))
    if drift:
        write("truth_drift", dr.truth_table(clock, drift, hits))
    write.flush()
    step("texts and truth")
    result.seconds = time.perf_counter() - t_begin
    return result


def _chunk(seed, k, first, n, clock, cat, plan, params, horizon, counters, drift=(), hits=None) -> dict[str, pa.Table]:
    """Every per-customer table of one chunk."""
    days = clock.days
    rng = rng_for(seed, "customers", k)
    c = make_customers(rng, first, n, days, params)
    if drift:  # its own random stream: a world without drift draws exactly what it drew before
        rng_drift = rng_for(seed, "drift", k)
        c, marked = dr.adjust_customers(rng_drift, c, drift, hits)
    pur = orders.organic_purchases(rng, c, days)
    if drift:
        pur = dr.adjust_purchases(rng_drift, c, pur, drift, params, days, hits, marked)
    cand = orders.consideration_sets(rng, c, cat, params.candidates)
    msg = campaigns.send(rng, c, pur, plan, days, params)

    # all orders: organic plus e-mail conversions, by customer and time
    conv = np.flatnonzero(~np.isnan(msg.converted))
    o_cust = np.concatenate([pur.cust, msg.cust[conv]])
    o_t = np.concatenate([pur.t, msg.converted[conv]])
    o_msg = np.concatenate([np.full(len(pur.t), -1), conv])
    order = np.lexsort((o_t, o_cust))
    o_cust, o_t, o_msg = o_cust[order], o_t[order], o_msg[order]
    n_o = len(o_t)
    target = rng.gamma(params.gg_p, 1.0 / c.nu[o_cust])
    if drift:
        target = dr.adjust_order_values(target, o_t, drift)
    basket = orders.baskets(rng, target, o_cust, cand, cat.price)

    # the session before each order; an e-mail click starts the session of its conversion
    offset = rng.uniform(3.0, 40.0, n_o) * MINUTE
    from_mail = o_msg >= 0
    clicked = _lookup(msg.clicked, o_msg, np.nan)
    via_click = from_mail & ~np.isnan(clicked)
    offset[via_click] = o_t[via_click] - clicked[via_click] - 5 / 86400.0
    o_camp = np.where(via_click, _lookup(msg.camp, o_msg, -1), -1)  # only a sent, clicked e-mail brings the visit
    is_first = np.concatenate([[True], o_cust[1:] != o_cust[:-1]]) if n_o else np.zeros(0, dtype=bool)
    created = c.t0.copy()
    created[o_cust[is_first]] = np.minimum(o_t[is_first] - offset[is_first], c.t0[o_cust[is_first]])

    log = orders.EventLog([])
    orders.order_events(rng, log, o_cust, o_t, o_camp, offset, basket, cand)
    orders.browse_events(rng, log, c, pur, cand, days, params)
    mc = ~np.isnan(msg.clicked)
    log.add(msg.cust[mc], msg.clicked[mc], orders.CLICK, campaign=msg.camp[mc])
    lone = mc & ~np.isin(np.arange(len(msg)), o_msg[from_mail])
    log.add(
        msg.cust[lone], np.minimum(msg.clicked[lone] + 5 / 86400.0, days - 1e-6), orders.VISIT, campaign=msg.camp[lone]
    )
    ev = log.arrays()

    order_id = ids("O", np.arange(counters["orders"] + 1, counters["orders"] + n_o + 1), width=9)
    m_revenue = np.zeros(len(msg))
    m_revenue[o_msg[from_mail]] = basket.revenue[from_mail]
    message_id, messages = campaigns.messages_table(clock, msg, c.customer_id, plan, m_revenue, counters["messages"])
    message_ref = message_id.take(pa.array(o_msg, mask=~from_mail))
    first_line = np.full(n_o, -1)
    if len(basket.line_order):
        starts = np.concatenate([[True], basket.line_order[1:] != basket.line_order[:-1]])
        first_line[basket.line_order[starts]] = basket.line_product[starts]
    doc, doc_truth = documents.customer_documents(
        rng,
        clock,
        c,
        o_cust,
        o_t,
        order_id,
        cat.product_id.take(pa.array(np.maximum(first_line, 0))),
        pur.dropout,
        params,
        counters["documents"],
    )
    churn = truth.churn_truth(c, pur, msg, o_cust, o_t, days, horizon, params.conversion_window_days)

    out = {
        "customers": canonical(
            "customers",
            {
                "customer_id": c.customer_id,
                "created_at": clock.timestamps(created),
                "country": take(pa.array([x[0] for x in COUNTRIES]), c.country),
                "consent_email": c.consent_email,
                "consent_profiling": c.consent_profiling,
                "gender": take(pa.array([g[0] for g in GENDERS]), c.gender),
                "age_band": take(pa.array([a[0] for a in AGE_BANDS]), c.age),
                "language": pa.array(c.lang),
                "signup_channel": take(pa.array(dr.channel_names(drift)), c.channel),
            },
        ),
        "orders": canonical(
            "orders",
            {
                "order_id": order_id,
                "customer_id": take(c.customer_id, o_cust),
                "ordered_at": clock.timestamps(o_t),
                "revenue": basket.revenue,
                "message_id": message_ref,
            },
        ),
        "order_lines": canonical(
            "order_lines",
            {
                "order_id": take(order_id, basket.line_order),
                "product_id": take(cat.product_id, basket.line_product),
                "quantity": basket.line_qty,
                "price": basket.line_price,
            },
        ),
        "events": orders.events_table(clock, ev, c.customer_id, cat, plan.campaign_id, counters["events"]),
        "messages": messages,
        "decisions": campaigns.decisions_table(
            rng, clock, msg, message_id, c.customer_id, m_revenue, days, params, counters["messages"]
        ),
        "documents": doc,
        "truth_customers": truth.customers_truth(clock, c, pur, churn, params),
        "truth_uplift": campaigns.uplift_truth(msg, message_id, c.customer_id, plan),
        "truth_documents": doc_truth,
    }
    counters["orders"] += n_o
    counters["events"] += len(ev[0])
    counters["messages"] += len(msg)
    counters["documents"] += doc.num_rows
    return out


def is_simulated(wh) -> bool:
    """Whether ``wh`` holds a world written by :func:`simulate` (for code that may not read the truth)."""
    return wh.has(truth.TRUTH_TABLES[0])


class _Writer:
    """Collects the chunks of each table and appends them in batches of about ``FLUSH_BYTES``:
    fewer, larger inserts are much faster, and memory stays bounded."""

    def __init__(self, wh, rows: dict[str, int]):
        self.wh, self.rows = wh, rows
        self.pending: dict[str, list[pa.Table]] = {}

    def __call__(self, name: str, data: pa.Table) -> None:
        self.rows[name] = self.rows.get(name, 0) + data.num_rows
        parts = self.pending.setdefault(name, [])
        parts.append(data)
        if sum(p.nbytes for p in parts) >= FLUSH_BYTES:
            self.flush(name)

    def flush(self, name: str | None = None) -> None:
        for key in [name] if name else list(self.pending):
            parts = self.pending.pop(key, [])
            if not parts:
                continue
            data = pa.concat_tables(parts, promote_options="permissive") if len(parts) > 1 else parts[0]
            if data.num_rows or not self.wh.has(key):
                self.wh.append(key, data)


def _lookup(values: np.ndarray, index: np.ndarray, fill) -> np.ndarray:
    """``values[index]`` where ``index >= 0``, else ``fill``."""
    out = np.full(len(index), fill, dtype=np.result_type(values, np.asarray(fill)))
    hit = index >= 0
    out[hit] = values[index[hit]]
    return out


def _campaigns_table(clock: Clock, plan, paid: dict[str, list], days: int, params: WorldParams) -> pa.Table:
    em = campaigns.email_campaigns_rows(clock, plan, days, params)
    n_e, n_p = len(em["name"]), len(paid["name"])
    return canonical(
        "campaigns",
        {
            "campaign_id": pa.concat_arrays([plan.campaign_id, ids("PD", np.arange(1, n_p + 1), width=4)]),
            "channel": ["email"] * n_e + paid["channel"],
            "name": em["name"] + paid["name"],
            "started_at": clock.timestamps(np.array(em["started"] + paid["started"], dtype=np.float64)),
            "ended_at": clock.timestamps(np.array(em["ended"] + paid["ended"], dtype=np.float64)),
            "budget": np.array(em["budget"] + paid["budget"], dtype=np.float64),
            "type": em["type"] + ["paid"] * n_p,
            "subjects": pa.array(em["subjects"] + [None] * n_p, pa.string()),
            "control_share": pa.array(em["control_share"] + [None] * n_p, pa.float64()),
        },
    )


__all__ = ["Simulation", "is_simulated", "simulate"]
