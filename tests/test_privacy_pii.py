"""PII masking: e-mail addresses, phone numbers and IBANs are masked; ordinary numbers are kept."""

from __future__ import annotations

import pandas as pd
import pytest

from nomagic.privacy.pii import mask_pii, mask_series


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


# ------------------------------------------------------------------ one policy: every free text nomagic keeps


def test_free_text_is_masked_at_load_in_the_table_and_the_quarantine(tmp_path):
    from nomagic.warehouse import connect, load

    src = tmp_path / "docs.csv"
    pd.DataFrame(
        {
            "document_id": ["d1", "d2", "d3"],
            "source": ["review", "ticket", "nonsense"],  # d3 breaks the contract: it goes to the quarantine
            "created_at": ["2026-01-02", "2026-01-03", "2026-01-04"],
            "text": [
                "Great shoes, write me at max.muster@example.de",
                "Ruf mich an: +49 30 1234567, IBAN DE89 3704 0044 0532 0130 00",
                "quarantined but mine: erika@example.com",
            ],
        }
    ).to_csv(src, index=False)
    with connect(str(tmp_path / "w.duckdb")) as wh:
        res = load(wh, "documents", src)
        texts = wh.table("documents").execute().set_index("document_id")["text"]
        quarantine = wh.table("quarantine").execute().astype(str).to_csv()
    assert texts["d1"] == "Great shoes, write me at [EMAIL]"
    assert texts["d2"] == "Ruf mich an: [PHONE], IBAN [IBAN]"
    assert "erika@example.com" not in quarantine and "[EMAIL]" in quarantine
    words = [w for w in res.warnings if "masked" in str(w)]
    assert words and "3 text(s) in text" in str(words[0])
    assert "3 Text(e) in text: personenbezogene Daten" in words[0].de


def test_a_load_without_the_masker_fails_closed(tmp_path, monkeypatch):
    from nomagic.errors import WarehouseError
    from nomagic.warehouse import connect, ingest, load

    monkeypatch.setattr(ingest, "_text_masker", None)
    src = tmp_path / "docs.csv"
    src.write_text("document_id,source,created_at,text\nd1,review,2026-01-02,hi\n")
    with connect(str(tmp_path / "w.duckdb")) as wh:
        with pytest.raises(WarehouseError, match="masks personal data"):
            load(wh, "documents", src)
        assert not wh.has("documents")  # nothing stored


def test_notes_and_reasons_are_masked_before_they_are_kept():
    from nomagic.privacy.pii import mask_note

    assert mask_note("  call +49 30 1234567 first ", 12) == "call [PHONE]"
    assert mask_note("   ") is None and mask_note(None) is None
