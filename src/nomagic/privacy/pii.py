"""Mask personal data in free text before it is stored: e-mail addresses, phone numbers, IBANs.

One policy for every free text nomagic keeps or reads: a column marked ``free_text`` in the canonical schema
(``documents.text``) is masked at load (installed into :mod:`nomagic.warehouse.ingest` below, so the table and
the quarantine never hold it), the language use cases mask what they read (texts loaded before this rule)
and every text sent to the API, and the notes a reviewer writes and the reason given for an erasure are
masked before they reach the review queue and the audit log.

Masking is deliberately eager: a number that looks like a phone number (it starts with ``+`` or
``0`` or a bracketed area code and has 7 to 15 digits) is masked even if it is not one. Order
numbers, prices, dates and years are left alone.

Examples
--------
>>> mask_pii("Mail max.muster@example.de or call +49 30 1234567, IBAN DE89 3704 0044 0532 0130 00.")
'Mail [EMAIL] or call [PHONE], IBAN [IBAN].'
"""

from __future__ import annotations

import re

from nomagic.warehouse import ingest

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
# an IBAN: two letters, two check digits, 11 to 30 letters/digits, optionally grouped by single spaces
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
# a phone number: +CC or 0 or (area), then digits with spaces, dashes, slashes, dots or brackets
PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}|00\d{1,3}|\(0?\d{1,5}\)|0)[\d\s\-/.()]{5,22}\d(?!\w)")
DATE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
TAGS = {"email": "[EMAIL]", "phone": "[PHONE]", "iban": "[IBAN]"}


def _phone(m: re.Match) -> str:
    s = m.group(0)
    digits = sum(ch.isdigit() for ch in s)
    if not 7 <= digits <= 15 or DATE.fullmatch(s.strip()):
        return m.group(0)
    return TAGS["phone"]


def mask_pii(text: str | None) -> str | None:
    """The text with e-mail addresses, IBANs and phone numbers replaced by ``[EMAIL]``, ``[IBAN]``, ``[PHONE]``."""
    if text is None or not isinstance(text, str):
        return text
    text = EMAIL.sub(TAGS["email"], text)
    text = IBAN.sub(TAGS["iban"], text)
    return PHONE.sub(_phone, text)


def mask_series(values):
    """:func:`mask_pii` over a list or pandas Series (same type back)."""
    try:
        import pandas as pd

        if isinstance(values, pd.Series):
            return values.map(mask_pii)
    except ImportError:  # pragma: no cover
        pass
    return [mask_pii(v) for v in values]


def mask_note(text: str | None, limit: int | None = None) -> str | None:
    """A note people typed for nomagic to keep (a review note, an erasure reason): stripped, masked, cut to
    ``limit`` characters; None when empty."""
    if text is None or not str(text).strip():
        return None
    masked = mask_pii(str(text).strip())
    return masked[:limit] if limit else masked


ingest.set_text_masker(mask_pii)

__all__ = ["mask_note", "mask_pii", "mask_series"]
