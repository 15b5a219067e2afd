"""Customer features at a cutoff, written once as Ibis expressions (one expression, many engines).

Every feature reads only rows strictly before the cutoff ``as_of``: orders, events and documents
by their own timestamp, messages by ``sent_at`` and their opens and clicks only when
``opened_at`` / ``clicked_at`` is before the cutoff too. Customers who signed up on or after the
cutoff do not exist yet. ``tests/test_churn.py`` proves it by adding future rows and checking that
no feature changes.

Families (the marketing idea behind each feature; used to name drivers):

=====================  =========================================================================
recency                days since the last order; how overdue the customer is against their gap
frequency              orders in the last 30/90/365 days and ever, the usual gap, the order rate
declining_frequency    orders in the last 90 days minus the 90 days before
tenure                 days since sign-up
monetary               revenue in the last 365 days, average order value
site_visits            visits, product views and carts (events), days since the last visit
email_engagement       e-mails received, opened and clicked in the last 90 days, open rate
support_tickets        support tickets in the last 90/365 days (documents with a customer_id)
negative_reviews       negative reviews in the last 365 days
category_mix           share of the last year's spend per top category
country / attributes   the customer's country and other attributes of the customers table
=====================  =========================================================================

Optional tables (events, messages, documents, order_lines + products) add their families when
present; orders and customers are required.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import ibis
from ibis import _

from nomagic.lifecycle.explain import FeatureText
from nomagic.privacy import consent as consent_policy
from nomagic.warehouse.schema import CANONICAL
from nomagic.words import Text, say

UNIT = "unit_id"
DAY = 86400.0
MAX_CATEGORIES = 6
PRIOR_GAP_DAYS = 90.0
NEGATIVE_LABELS = ("negative", "neg", "negativ")
#: an e-mail "opened" this soon after sending was opened by a scanner or a privacy proxy, not a person
MACHINE_OPEN_SECONDS = 180.0


@dataclass(frozen=True)
class Feature:
    name: str
    family: str
    text: FeatureText


def _f(name: str, family: str, label: tuple[str, str], template: tuple[str, str], blank=None) -> Feature:
    """A feature and how to say it, each phrase as (English, German); templates fill ``{value}`` later."""
    return Feature(
        name,
        family,
        FeatureText(
            label=say(*label),
            template=template[0],
            blank=say(*blank) if blank else None,
            template_de=template[1],
        ),
    )


#: Every fixed feature, its family and how to say it (in English and German, side by side).
FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        _f(
            "tenure_days",
            "tenure",
            ("days since sign-up", "Tage seit der Anmeldung"),
            ("customer for {value:,.0f} days", "seit {value:,.0f} Tagen Kunde"),
        ),
        _f(
            "recency_days",
            "recency",
            ("days since the last order", "Tage seit der letzten Bestellung"),
            ("no order for {value:,.0f} days", "seit {value:,.0f} Tagen keine Bestellung"),
            ("never ordered", "noch nie bestellt"),
        ),
        _f(
            "overdue_ratio",
            "recency",
            ("time since the last order / usual gap", "Zeit seit der letzten Bestellung / üblicher Abstand"),
            (
                "{value:.1f}x the usual gap since the last order",
                "seit der letzten Bestellung das {value:.1f}-Fache des üblichen Abstands",
            ),
            ("no usual gap yet", "noch kein üblicher Abstand"),
        ),
        _f(
            "orders_30d",
            "frequency",
            ("orders in the last 30 days", "Bestellungen in den letzten 30 Tagen"),
            ("{value:.0f} order(s) in the last 30 days", "{value:.0f} Bestellung(en) in den letzten 30 Tagen"),
        ),
        _f(
            "orders_90d",
            "frequency",
            ("orders in the last 90 days", "Bestellungen in den letzten 90 Tagen"),
            ("{value:.0f} order(s) in the last 90 days", "{value:.0f} Bestellung(en) in den letzten 90 Tagen"),
        ),
        _f(
            "orders_365d",
            "frequency",
            ("orders in the last year", "Bestellungen im letzten Jahr"),
            ("{value:.0f} order(s) in the last year", "{value:.0f} Bestellung(en) im letzten Jahr"),
        ),
        _f(
            "orders_total",
            "frequency",
            ("orders ever", "Bestellungen insgesamt"),
            ("{value:.0f} order(s) in total", "{value:.0f} Bestellung(en) insgesamt"),
        ),
        _f(
            "mean_gap_days",
            "frequency",
            ("usual days between orders", "übliche Tage zwischen zwei Bestellungen"),
            ("orders every {value:,.0f} days on average", "bestellt im Schnitt alle {value:,.0f} Tage"),
            ("fewer than two orders", "weniger als zwei Bestellungen"),
        ),
        _f(
            "order_rate_30d",
            "frequency",
            ("orders per 30 days since sign-up", "Bestellungen je 30 Tage seit der Anmeldung"),
            ("{value:.2f} orders per month so far", "bisher {value:.2f} Bestellungen pro Monat"),
        ),
        _f(
            "order_trend_90d",
            "declining_frequency",
            (
                "orders in the last 90 days minus the 90 days before",
                "Bestellungen der letzten 90 Tage minus der 90 Tage davor",
            ),
            ("{value:+.0f} orders vs the previous 90 days", "{value:+.0f} Bestellungen gegenüber den 90 Tagen davor"),
        ),
        _f(
            "revenue_365d",
            "monetary",
            ("revenue in the last year", "Umsatz im letzten Jahr"),
            ("spent {value:,.0f} in the last year", "{value:,.0f} Umsatz im letzten Jahr"),
        ),
        _f(
            "avg_order_value",
            "monetary",
            ("average order value", "durchschnittlicher Bestellwert"),
            ("average order {value:,.0f}", "Bestellwert im Schnitt {value:,.0f}"),
            ("no orders", "keine Bestellungen"),
        ),
        _f(
            "visits_30d",
            "site_visits",
            ("visits in the last 30 days", "Besuche in den letzten 30 Tagen"),
            ("{value:.0f} visit(s) in the last 30 days", "{value:.0f} Besuch(e) in den letzten 30 Tagen"),
        ),
        _f(
            "visits_90d",
            "site_visits",
            ("visits in the last 90 days", "Besuche in den letzten 90 Tagen"),
            ("{value:.0f} visit(s) in the last 90 days", "{value:.0f} Besuch(e) in den letzten 90 Tagen"),
        ),
        _f(
            "views_90d",
            "site_visits",
            ("product views in the last 90 days", "Produktansichten in den letzten 90 Tagen"),
            ("{value:.0f} product view(s) in 90 days", "{value:.0f} Produktansicht(en) in 90 Tagen"),
        ),
        _f(
            "carts_90d",
            "site_visits",
            ("carts in the last 90 days", "Warenkörbe in den letzten 90 Tagen"),
            ("{value:.0f} cart(s) in the last 90 days", "{value:.0f}-mal Warenkorb in den letzten 90 Tagen"),
        ),
        _f(
            "days_since_visit",
            "site_visits",
            ("days since the last visit", "Tage seit dem letzten Besuch"),
            ("no visit for {value:,.0f} days", "seit {value:,.0f} Tagen kein Besuch"),
            ("never visited", "noch nie besucht"),
        ),
        _f(
            "emails_90d",
            "email_engagement",
            ("e-mails received in 90 days", "erhaltene E-Mails in 90 Tagen"),
            ("{value:.0f} e-mail(s) in 90 days", "{value:.0f} E-Mail(s) in 90 Tagen"),
        ),
        _f(
            "opens_90d",
            "email_engagement",
            ("e-mails opened in 90 days", "geöffnete E-Mails in 90 Tagen"),
            ("opened {value:.0f} e-mail(s) in 90 days", "{value:.0f} E-Mail(s) in 90 Tagen geöffnet"),
        ),
        _f(
            "clicks_90d",
            "email_engagement",
            ("e-mail clicks in 90 days", "E-Mail-Klicks in 90 Tagen"),
            ("clicked {value:.0f} e-mail(s) in 90 days", "{value:.0f} E-Mail(s) in 90 Tagen angeklickt"),
        ),
        _f(
            "open_rate_90d",
            "email_engagement",
            ("e-mail open rate (90 days)", "E-Mail-Öffnungsrate (90 Tage)"),
            ("opened {value:.0%} of e-mails", "{value:.0%} der E-Mails geöffnet"),
            ("no e-mails received", "keine E-Mails erhalten"),
        ),
        _f(
            "tickets_90d",
            "support_tickets",
            ("support tickets in 90 days", "Support-Tickets in 90 Tagen"),
            ("{value:.0f} support ticket(s) in 90 days", "{value:.0f} Support-Ticket(s) in 90 Tagen"),
        ),
        _f(
            "tickets_365d",
            "support_tickets",
            ("support tickets in the last year", "Support-Tickets im letzten Jahr"),
            ("{value:.0f} support ticket(s) in the last year", "{value:.0f} Support-Ticket(s) im letzten Jahr"),
        ),
        _f(
            "negative_reviews_365d",
            "negative_reviews",
            ("negative reviews in the last year", "negative Bewertungen im letzten Jahr"),
            (
                "{value:.0f} negative review(s) in the last year",
                "{value:.0f} negative Bewertung(en) im letzten Jahr",
            ),
        ),
        _f("country", "country", ("country", "Land"), ("country {value}", "Land {value}")),
    )
}


def feature_family(name: str) -> str:
    """The family of a feature column (category shares and customer attributes included)."""
    if name in FEATURES:
        return FEATURES[name].family
    if name.startswith("share_"):
        return "category_mix"
    return name  # a customer attribute is its own family


def _braces(text: str) -> str:
    """A name inside a template: its braces doubled, so that ``{value}`` stays the only field."""
    return text.replace("{", "{{").replace("}", "}}")


def feature_texts(columns) -> dict[str, FeatureText]:
    """How to say each of ``columns`` (English and German)."""
    out = {}
    for c in columns:
        if c in FEATURES:
            out[c] = FEATURES[c].text
        elif c.startswith("share_"):
            cat = c[len("share_") :].replace("_", " ")
            out[c] = FeatureText(
                label=say("share of spend on {cat}", "Anteil der Ausgaben für {cat}", cat=cat),
                template=f"{{value:.0%}} of last year's spend on {_braces(cat)}",
                template_de=f"{{value:.0%}} der Ausgaben des letzten Jahres für {_braces(cat)}",
            )
        else:  # a customer attribute: its column name is the best word we have, in both languages
            name = c.replace("_", " ")
            out[c] = FeatureText(label=Text(name, name), template=f"{_braces(name)}: {{value}}")
    return out


def _lit(as_of: datetime):
    return ibis.literal(as_of, type="timestamp")


def _age_days(col, as_of: datetime):
    """Days from the timestamp column to the cutoff (positive for the past)."""
    return (_lit(as_of).epoch_seconds() - col.epoch_seconds()) / DAY


def _has(wh, table: str, *cols: str) -> bool:
    return wh.has(table) and all(c in wh.table(table).columns for c in cols)


def customers_at(wh, as_of: datetime, *, consent: bool = True):
    """The customers who exist at the cutoff (and, by default, may be profiled: the privacy policy decides)."""
    c = consent_policy.allowed_customers(wh, consent_policy.PROFILING) if consent else wh.table("customers")
    return c.filter(c.created_at < _lit(as_of))


def attribute_columns(wh) -> list[str]:
    """Extra columns of ``customers`` usable as attributes (not ids, timestamps or consent flags)."""
    c = wh.table("customers")
    canonical = set(CANONICAL["customers"].column_names)
    out = []
    for name, dtype in c.schema().items():
        if name in canonical or name.endswith("_id") or name in ("id", "email", "name", "phone"):
            continue
        if dtype.is_string() or dtype.is_numeric() or dtype.is_boolean():
            out.append(name)
    return out


def customer_features(wh, as_of: datetime, *, sensitive: tuple[str, ...] = ()):
    """One row per customer existing at ``as_of`` (with profiling consent): ``unit_id`` and features.

    Sensitive attributes are *not* included here; see :func:`customer_attributes`.
    """
    cust = customers_at(wh, as_of)
    attrs = [a for a in attribute_columns(wh) if a not in sensitive]
    base = cust.select(
        unit_id=cust.customer_id,
        tenure_days=_age_days(cust.created_at, as_of),
        country=cust.country,
        **{a: cust[a] for a in attrs},
    )

    o = wh.table("orders")
    o = o.filter(o.ordered_at < _lit(as_of)).mutate(age=_age_days(o.ordered_at, as_of))
    orders = o.group_by(unit_id=o.customer_id).aggregate(
        recency_days=_.age.min(),
        first_age=_.age.max(),
        orders_30d=_.count(where=_.age <= 30),
        orders_90d=_.count(where=_.age <= 90),
        orders_prev_90d=_.count(where=(_.age > 90) & (_.age <= 180)),
        orders_365d=_.count(where=_.age <= 365),
        orders_total=_.count(),
        revenue_365d=_.revenue.sum(where=_.age <= 365),
        revenue_total=_.revenue.sum(),
    )
    t = base.left_join(orders, UNIT).drop(f"{UNIT}_right")
    n = t.orders_total.fill_null(0)
    gap = ibis.ifelse(n >= 2, (t.first_age - t.recency_days) / (n - 1).cast("float64"), ibis.null("float64"))
    t = t.mutate(
        orders_30d=t.orders_30d.fill_null(0),
        orders_90d=t.orders_90d.fill_null(0),
        orders_365d=t.orders_365d.fill_null(0),
        orders_total=n,
        mean_gap_days=gap,
        # against the customer's gap, shrunk towards PRIOR_GAP_DAYS by one pseudo-gap (so that one-time
        # buyers get a ratio too: days since their only order over the prior)
        overdue_ratio=t.recency_days
        / ibis.greatest(((t.first_age - t.recency_days) + PRIOR_GAP_DAYS) / n.cast("float64"), 1.0),
        order_rate_30d=n.cast("float64") * 30.0 / ibis.greatest(t.tenure_days, 30.0),
        order_trend_90d=t.orders_90d.fill_null(0) - t.orders_prev_90d.fill_null(0),
        revenue_365d=t.revenue_365d.fill_null(0.0),
        avg_order_value=ibis.ifelse(n > 0, t.revenue_total / n.cast("float64"), ibis.null("float64")),
    ).drop("first_age", "orders_prev_90d", "revenue_total")

    if _has(wh, "events", "customer_id", "occurred_at", "type"):
        e = wh.table("events")
        e = e.filter(e.occurred_at < _lit(as_of)).mutate(age=_age_days(e.occurred_at, as_of))
        ev = e.group_by(unit_id=e.customer_id).aggregate(
            visits_30d=_.count(where=(_.type == "visit") & (_.age <= 30)),
            visits_90d=_.count(where=(_.type == "visit") & (_.age <= 90)),
            views_90d=_.count(where=(_.type == "view") & (_.age <= 90)),
            carts_90d=_.count(where=(_.type == "cart") & (_.age <= 90)),
            days_since_visit=_.age.min(),
        )
        t = t.left_join(ev, UNIT).drop(f"{UNIT}_right")
        t = t.mutate(**{c: t[c].fill_null(0) for c in ("visits_30d", "visits_90d", "views_90d", "carts_90d")})

    if _has(wh, "messages", "customer_id", "sent_at", "opened_at", "clicked_at", "in_control"):
        m = wh.table("messages")
        m = m.filter((m.sent_at < _lit(as_of)) & ~m.in_control.fill_null(False))
        m = m.mutate(age=_age_days(m.sent_at, as_of))
        m = m.filter(m.age <= 90)
        opened = m.opened_at.notnull() & (m.opened_at < _lit(as_of))
        clicked = m.clicked_at.notnull() & (m.clicked_at < _lit(as_of))
        m = m.mutate(opened=opened.cast("int64"), clicked=clicked.cast("int64"))
        em = m.group_by(unit_id=m.customer_id).aggregate(
            emails_90d=_.count(), opens_90d=_.opened.sum(), clicks_90d=_.clicked.sum()
        )
        t = t.left_join(em, UNIT).drop(f"{UNIT}_right")
        sent = t.emails_90d.fill_null(0)
        t = t.mutate(
            emails_90d=sent,
            opens_90d=t.opens_90d.fill_null(0),
            clicks_90d=t.clicks_90d.fill_null(0),
            open_rate_90d=ibis.ifelse(sent > 0, t.opens_90d.fill_null(0).cast("float64") / sent, ibis.null("float64")),
        )

    if _has(wh, "documents", "customer_id", "created_at", "source"):
        d = wh.table("documents")
        d = d.filter(d.customer_id.notnull() & (d.created_at < _lit(as_of))).mutate(age=_age_days(d.created_at, as_of))
        negative = ibis.literal(False)
        if "label" in d.columns:
            negative = (d.source == "review") & d.label.lower().isin(NEGATIVE_LABELS).fill_null(False)
        if "rating" in d.columns:
            negative = negative | ((d.source == "review") & (d.rating.fill_null(5) <= 2))
        d = d.mutate(negative=negative)
        docs = d.group_by(unit_id=d.customer_id).aggregate(
            tickets_90d=_.count(where=(_.source == "ticket") & (_.age <= 90)),
            tickets_365d=_.count(where=(_.source == "ticket") & (_.age <= 365)),
            negative_reviews_365d=_.count(where=_.negative & (_.age <= 365)),
        )
        t = t.left_join(docs, UNIT).drop(f"{UNIT}_right")
        t = t.mutate(**{c: t[c].fill_null(0) for c in ("tickets_90d", "tickets_365d", "negative_reviews_365d")})

    cats = top_categories(wh)
    if cats:
        ol, pr = wh.table("order_lines"), wh.table("products")
        o2 = wh.table("orders")
        o2 = o2.filter((o2.ordered_at < _lit(as_of)) & (_age_days(o2.ordered_at, as_of) <= 365))
        lines = ol.join(o2, "order_id").join(pr.select("product_id", "category"), "product_id")
        lines = lines.mutate(spend=lines.quantity.cast("float64") * lines.price)
        mix = lines.group_by(unit_id=lines.customer_id).aggregate(
            _spend=lines.spend.sum(),
            **{_share_name(c): lines.spend.sum(where=lines.category == c) for c in cats},
        )
        mix = mix.mutate(
            **{
                _share_name(c): ibis.ifelse(mix._spend > 0, mix[_share_name(c)].fill_null(0.0) / mix._spend, 0.0)
                for c in cats
            }
        ).drop("_spend")
        t = t.left_join(mix, UNIT).drop(f"{UNIT}_right")
        t = t.mutate(**{_share_name(c): t[_share_name(c)].fill_null(0.0) for c in cats})
    return t


def _share_name(category: str) -> str:
    clean = "".join(ch if ch.isalnum() else "_" for ch in str(category).lower()).strip("_")
    return f"share_{clean or 'unnamed'}"


def top_categories(wh, k: int = MAX_CATEGORIES) -> list[str]:
    """The ``k`` categories with the most products (the catalogue is not time-dependent)."""
    if not (
        _has(wh, "order_lines", "order_id", "product_id", "quantity", "price") and _has(wh, "products", "category")
    ):
        return []
    p = wh.table("products")
    counts = (
        p.filter(p.category.notnull())
        .group_by("category")
        .aggregate(n=_.count())
        .order_by([ibis.desc("n"), "category"])
    )
    return [str(c) for c in counts.limit(k).execute()["category"].tolist()]


def customer_attributes(wh, as_of: datetime, names: tuple[str, ...]):
    """``unit_id`` and the named customer attributes that exist (for fairness audits), or None."""
    c = customers_at(wh, as_of)
    have = [n for n in names if n in c.columns]
    if not have:
        return None
    return c.select(unit_id=c.customer_id, **{n: c[n] for n in have})


def data_range(wh) -> tuple:
    """First and last order time (the span the customer use cases learn from)."""
    o = wh.table("orders")
    row = o.aggregate(a=o.ordered_at.min(), b=o.ordered_at.max()).execute().iloc[0]
    return row["a"], row["b"]
