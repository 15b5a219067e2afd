"""The report's customer-value section: the clv_scores figures in the shop's currency, in both languages."""

from __future__ import annotations

import pandas as pd

from nomagic.report.value import clv_value_html


def test_customer_value_in_the_shops_currency():
    scores = pd.DataFrame({"customer_id": list("abcdefghij"), "clv": [1000.0] + [10.0] * 9})
    en = clv_value_html(scores, "en", "EUR")
    assert "€1,090" in en and "€109.00" in en and "€10.00" in en and "92%" in en  # total, mean, median, top tenth
    de = clv_value_html(scores, "de", "EUR")
    assert "1.090 €" in de and "109,00 €" in de and "92 %" in de and "Kundenwert" in de
    assert "$1,090" in clv_value_html(scores, "en", "USD")
    assert clv_value_html(pd.DataFrame({"customer_id": ["a"]}), "en") == ""
