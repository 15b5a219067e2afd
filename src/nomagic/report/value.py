"""The customer-value section of a report: what the scored customers are worth, in the shop's currency.

Read from the ``clv_scores`` table (``nomagic score clv``): expected value over the next 12 months per customer,
its total, mean and median, and how concentrated it is (the top tenth's share). The currency comes from
``NOMAGIC_CURRENCY`` (default EUR), as on the dashboard.
"""

from __future__ import annotations

import html
import os

import numpy as np
import pandas as pd

from nomagic.words import money, number, say


def currency() -> str:
    return os.environ.get("NOMAGIC_CURRENCY", "EUR")


def clv_value_html(scores: pd.DataFrame, lang: str = "en", cur: str | None = None) -> str:
    """An HTML section on the customers' expected value; empty when the table has no ``clv`` column."""
    if scores is None or "clv" not in scores or scores["clv"].dropna().empty:
        return ""
    cur = cur or currency()
    v = scores["clv"].dropna().sort_values(ascending=False).to_numpy(dtype=float)
    top = v[: max(1, len(v) // 10)].sum() / max(v.sum(), 1e-12)
    rows = (
        (say("customers", "Kunden"), number(len(v), ",", lang)),
        (say("expected value, all customers", "erwarteter Wert, alle Kunden"), money(v.sum(), cur, lang, 0)),
        (say("mean per customer", "Mittelwert je Kunde"), money(np.mean(v), cur, lang)),
        (say("median per customer", "Median je Kunde"), money(np.median(v), cur, lang)),
        (say("share of the top tenth", "Anteil des obersten Zehntels"), number(top, ".0%", lang)),
    )
    body = "".join(f"<tr><th>{html.escape(k.lang(lang))}</th><td class='num'>{val}</td></tr>" for k, val in rows)
    title = say("Customer value", "Kundenwert").lang(lang)
    note = say(
        "Expected value of each customer's purchases over the next 12 months (BG/NBD with Gamma-Gamma spend, "
        "discounted), in {c}, from the clv_scores table; the intervals per customer are on the dashboard.",
        "Erwarteter Wert der Käufe jedes Kunden in den nächsten 12 Monaten (BG/NBD mit Gamma-Gamma-Umsatz, "
        "abgezinst), in {c}, aus der Tabelle clv_scores; die Intervalle je Kunde stehen im Dashboard.",
        c=cur,
    ).lang(lang)
    return (
        f"<h2 id='customer-value'>{html.escape(title)}</h2><p class='meta'>{html.escape(note)}</p>"
        f"<table id='clv-value'><tbody>{body}</tbody></table>"
    )
