"""PII masking: e-mail addresses, phone numbers and IBANs are masked; ordinary numbers are kept."""

from __future__ import annotations

import pandas as pd
import pytest

from nomagic.usecases.language.pii import mask_pii, mask_series


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail me at max.muster@example.de please", "Mail me at [EMAIL] please"),
        ("a.b+tag@sub.example.co.uk.", "[EMAIL]."),
        ("Ruf an: +49 30 1234567", "Ruf an: [PHONE]"),
        ("Handy 0171/1234567, Büro (030) 123 45 67", "Handy [PHONE], Büro [PHONE]"),
        ("call +1 (555) 123-4567 now", "call [PHONE] now"),
        ("IBAN DE89 3704 0044 0532 0130 00 bitte", "IBAN [IBAN] bitte"),
        ("IBAN DE89370400440532013000", "IBAN [IBAN]"),
        ("GB82WEST12345698765432", "[IBAN]"),
    ],
)
def test_masks(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Order 12345678 cost 49.99 EUR",
        "Lieferung am 01.03.2024 um 10:30",
        "@united flight 1234 delayed 3 hours",
        "Bestellung 0123 angekommen",
        "price 0.99 or 10,000",
        "Size 38, colour navy, 2 items",
    ],
)
def test_keeps_ordinary_numbers(text):
    assert mask_pii(text) == text


def test_none_and_series():
    assert mask_pii(None) is None
    s = pd.Series(["x@y.de", "nothing"])
    assert mask_series(s).tolist() == ["[EMAIL]", "nothing"]
    assert mask_series(["x@y.de"]) == ["[EMAIL]"]


def test_sentiment_evaluation_masks_before_training():
    from nomagic.usecases.language.sentiment import _texts

    assert _texts(["write to a@b.de", None]) == ["write to [EMAIL]", ""]
