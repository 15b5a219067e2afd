"""The words layer: both languages, German number and date formats, records that keep both, and a dashboard
whose every word exists in English and German."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from nomagic.words import Text, join, localise, money, pick, say, verdict


def test_say_formats_numbers_and_dates_per_language():
    t = say(
        "{n:,} customers, {p:.1%} active since {d}",
        "{n:,} Kunden, {p:.1%} aktiv seit {d}",
        n=10000,
        p=0.4291,
        d=date(2026, 12, 7),
    )
    assert str(t) == "10,000 customers, 42.9% active since 2026-12-07"
    assert t.de == "10.000 Kunden, 42,9 % aktiv seit 07.12.2026"
    nested = say("Verdict: {t}.", "Urteil: {t}.", t=t)  # a Text inside a Text speaks the outer language
    assert nested.de == "Urteil: 10.000 Kunden, 42,9 % aktiv seit 07.12.2026."
    both = join([say("a", "b"), "c"])
    assert (str(both), both.de) == ("a c", "b c") and isinstance(t + "!", Text) and (t + "!").de.endswith("!")


def test_records_keep_both_languages_and_readers_pick_one():
    from nomagic.lifecycle.record import dumps

    rec = {"explanation": say("It is better.", "Es ist besser."), "drivers": [{"label": say("orders", "Bestellungen")}]}
    stored = json.loads(dumps(rec))
    assert stored["explanation"] == "It is better." and stored["explanation_de"] == "Es ist besser."
    assert pick(stored["drivers"][0], "label", "de") == "Bestellungen"
    assert pick({"explanation": "old record"}, "explanation", "de") == "old record"  # no German: the English
    assert localise({"x": [say("a", "b"), "c"]})["x_de"] == ["b", "c"]


def test_money_and_verdict_words():
    assert money(1234.5, "EUR", "en") == "€1,234.50" and money(1234.5, "EUR", "de") == "1.234,50 €"
    assert (
        verdict("promoted", "de") == "übernommen" and verdict("not better than baseline") == "not better than baseline"
    )


def test_every_dashboard_word_exists_in_both_languages():
    from nomagic.serve.i18n import MESSAGES

    assert set(MESSAGES["en"]) == set(MESSAGES["de"])
    templates = Path(__file__).resolve().parents[1] / "src" / "nomagic" / "serve" / "templates"
    used = {k for f in templates.glob("*.html") for k in re.findall(r"""\bt\(["']([^"']+)["']\)""", f.read_text())}
    assert used and not used - set(MESSAGES["en"]), (
        f"words the templates use but the table lacks: {used - set(MESSAGES['en'])}"
    )
