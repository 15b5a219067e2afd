"""The documents table: reviews and tickets of customers, social posts and the FAQ.

Reviews follow orders; they turn negative more often for customers with a high dropout score.
Support tickets arrive at a rate that rises with the dropout score, and a share of the customers
who drop out write a complaint after their last order -- both are churn signals a model can see.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from nomagic.simulate import texts
from nomagic.simulate.common import Clock, canonical, choice_index, ids, sigmoid, table, take
from nomagic.simulate.config import WorldParams
from nomagic.simulate.customers import Customers

TICKET_SHARES = np.array([0.28, 0.25, 0.15, 0.12, 0.12, 0.08])
EXIT_SHARES = np.array([0.3, 0.3, 0.0, 0.0, 0.0, 0.4])
LABEL_NOISE = {"review": 0.04, "ticket": 0.03, "social": 0.05}


def _frame(clock: Clock, first: int, rows: dict[str, object]) -> tuple[pa.Table, pa.Table]:
    n = len(rows["text"])
    doc_id = ids("DOC", np.arange(first + 1, first + n + 1), width=9)
    docs = canonical(
        "documents",
        {
            "document_id": doc_id,
            "source": pa.array(rows["source"], pa.string()),
            "created_at": clock.timestamps(rows["t"]),
            "lang": pa.array(rows["lang"], pa.string()),
            "text": pa.array(rows["text"], pa.string()),
            "label": pa.array(rows["label"], pa.string()),
            "customer_id": pa.array(rows.get("customer_id", [None] * n), pa.string()),
            "product_id": pa.array(rows.get("product_id", [None] * n), pa.string()),
            "order_id": pa.array(rows.get("order_id", [None] * n), pa.string()),
            "rating": pa.array(rows.get("rating", [None] * n), pa.int64()),
        },
    )
    truth = table(
        {
            "document_id": doc_id,
            "true_label": pa.array(rows["true_label"], pa.string()),
            "label_wrong": pa.array(
                np.asarray(rows["label"], dtype=object) != np.asarray(rows["true_label"], dtype=object)
            ),
        }
    )
    return docs, truth


def customer_documents(
    rng: np.random.Generator,
    clock: Clock,
    c: Customers,
    order_cust: np.ndarray,
    order_t: np.ndarray,
    order_id: pa.Array,
    order_product: pa.Array,
    dropout: np.ndarray,
    params: WorldParams,
    first: int,
) -> tuple[pa.Table, pa.Table]:
    days = clock.days
    lang = c.lang
    # reviews of orders
    r = np.flatnonzero(rng.random(len(order_t)) < params.review_share)
    rt = order_t[r] + rng.uniform(2.0, 20.0, len(r))
    r, rt = r[rt < days], rt[rt < days]
    rc = order_cust[r]
    p_neg = sigmoid(params.negative_review_base + params.negative_review_z * c.z[rc])
    u = rng.random(len(r))
    sent = np.where(u < p_neg, 2, np.where(u < p_neg + 0.2 * (1 - p_neg), 1, 0))
    rating = np.select([sent == 0, sent == 1], [4 + (rng.random(len(r)) < 0.7), 3], 1 + (rng.random(len(r)) < 0.4))
    r_label = texts.noisy_labels(rng, sent, 3, LABEL_NOISE["review"])

    # tickets: a base rate over the active life, and complaints after the last order of those who leave
    end_alive = np.where(np.isnan(dropout), days, dropout)
    life = np.where(c.lead, np.minimum(30.0, days - c.t0), end_alive - c.t0)
    n_t = rng.poisson(c.ticket_rate * life / 365.0)
    tc = np.repeat(np.arange(len(c)), n_t)
    tt = c.t0[tc] + rng.random(len(tc)) * life[tc]
    intent = choice_index(rng, len(tc), TICKET_SHARES)
    leaver = np.flatnonzero(~np.isnan(dropout) & (rng.random(len(c)) < params.exit_complaint))
    et = dropout[leaver] + rng.uniform(1.0, 14.0, len(leaver))
    leaver, et = leaver[et < days], et[et < days]
    tc = np.concatenate([tc, leaver])
    tt = np.concatenate([tt, et])
    intent = np.concatenate([intent, choice_index(rng, len(leaver), EXIT_SHARES)])
    t_label = texts.noisy_labels(rng, intent, len(texts.INTENTS), LABEL_NOISE["ticket"])

    sentiments, intents = np.array(texts.SENTIMENTS), np.array(texts.INTENTS)
    n_r, n_t = len(r), len(tc)
    rows = {
        "source": ["review"] * n_r + ["ticket"] * n_t,
        "t": np.concatenate([rt, tt]),
        "lang": np.concatenate([lang[rc], lang[tc]]).tolist(),
        "text": texts.reviews(rng, sent, lang[rc]) + texts.tickets(rng, intent, lang[tc]),
        "label": np.concatenate([sentiments[r_label], intents[t_label]]).tolist(),
        "true_label": np.concatenate([sentiments[sent], intents[intent]]).tolist(),
        "customer_id": take(c.customer_id, np.concatenate([rc, tc])),
        "product_id": pa.concat_arrays([take(order_product, r), pa.nulls(n_t, pa.string())]),
        "order_id": pa.concat_arrays([take(order_id, r), pa.nulls(n_t, pa.string())]),
        "rating": pa.array(np.concatenate([rating, np.zeros(n_t, dtype=np.int64)]), mask=np.arange(n_r + n_t) >= n_r),
    }
    return _frame(clock, first, rows)


def public_documents(rng: np.random.Generator, clock: Clock, customers: int, params: WorldParams, first: int):
    """Social posts about the brand and the FAQ (German and English)."""
    n = int(min(round(customers * clock.days / 365.0 * params.social_per_customer_year), params.max_social_posts))
    sent = choice_index(rng, n, np.array([0.45, 0.3, 0.25]))
    lang = np.where(rng.random(n) < 0.5, "de", "en")
    t = rng.random(n) * clock.days
    label = texts.noisy_labels(rng, sent, 3, LABEL_NOISE["social"])
    faq = [(lg, *entry) for lg in ("en", "de") for entry in texts.FAQ[lg]]
    sentiments = np.array(texts.SENTIMENTS)
    rows = {
        "source": ["social"] * n + ["faq"] * len(faq),
        "t": np.concatenate([t, np.full(len(faq), 1 / 24)]),
        "lang": lang.tolist() + [f[0] for f in faq],
        "text": texts.social(rng, sent, lang) + [f"{f[2]} {f[3]}" for f in faq],
        "label": sentiments[label].tolist() + [f[1] for f in faq],
        "true_label": sentiments[sent].tolist() + [f[1] for f in faq],
    }
    return _frame(clock, first, rows)
