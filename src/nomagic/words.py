"""Every sentence a user reads, in English and German, written side by side where it is said.

A layer that talks to people calls :func:`say` with the English and the German template and the
values; it gets a :class:`Text`: a ``str`` (the English, so logs, tests and old readers keep
working) that also knows its German. Numbers and dates in the values are formatted per language
(``10,000.5`` / ``10.000,5``; ``2026-12-07`` / ``07.12.2026``). Records keep both: :func:`localise`
adds a ``<key>_de`` sibling next to every Text before a record is written, and :func:`pick` reads a
field in the wanted language (English where an old record has no German).

Why not gettext: the records are data written once and read later in either language, so both
languages travel with the value; and a translator reads the German next to the English in the code,
with its context, which a catalogue keyed by message id hides.
"""

from __future__ import annotations

import re
import string
from datetime import date, datetime

LANGS = ("en", "de")


class Text(str):
    """An English sentence (the ``str`` value) that knows its German (``.de``)."""

    de: str

    def __new__(cls, en: str, de: str | None = None) -> Text:
        obj = super().__new__(cls, en)
        obj.de = en if de is None else de
        return obj

    def lang(self, lang: str) -> str:
        """The sentence in ``lang`` (``"en"`` or ``"de"``) as a plain ``str``."""
        return self.de if lang == "de" else str(self)

    def __add__(self, other) -> Text:
        return Text(str(self) + str(other), self.de + in_lang(other, "de"))

    def __radd__(self, other) -> Text:
        return Text(str(other) + str(self), in_lang(other, "de") + self.de)

    def __reduce__(self):  # pickling (joblib, multiprocessing) keeps the German
        return (Text, (str(self), self.de))


def in_lang(value, lang: str) -> str:
    """A Text in ``lang``; anything else as it is (a name, a number already written)."""
    return value.lang(lang) if isinstance(value, Text) else str(value)


class _Formatter(string.Formatter):
    def __init__(self, lang: str):
        self.lang = lang

    def format_field(self, value, spec: str) -> str:
        if isinstance(value, Text):
            return format(value.lang(self.lang), spec)
        if isinstance(value, (datetime, date)) or _is_timestamp(value):
            return date_text(value, self.lang)
        out = format(value, spec)
        if self.lang == "de" and isinstance(value, (int, float)) and not isinstance(value, bool):
            out = german_number(out)
        elif self.lang == "de" and _is_number(value):
            out = german_number(out)
        return out


def _is_timestamp(value) -> bool:
    return type(value).__name__ == "Timestamp"


def _is_number(value) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "dtype") and value.dtype.kind in "iuf"


def german_number(written: str) -> str:
    """``"1,234.5"`` → ``"1.234,5"``; ``"12.5%"`` → ``"12,5 %"`` (a number as English code writes it)."""
    out = written.translate({ord(","): ".", ord("."): ","})
    return re.sub(r"(\d)%", r"\1 %", out)


def number(value, spec: str = "", lang: str = "en") -> str:
    """A number in ``lang``'s format: ``number(10000, ",.0f", "de") == "10.000"``."""
    out = format(value, spec)
    return german_number(out) if lang == "de" else out


_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


def money(value, currency: str = "EUR", lang: str = "en", digits: int = 2) -> str:
    """An amount in a currency as people of ``lang`` write it: €1,234.56 / 1.234,56 €."""
    sign = _SYMBOLS.get(currency, currency)
    amount = number(float(value), f",.{digits}f", lang)
    if lang == "de":
        return f"{amount} {sign}"
    return f"{sign}{amount}" if len(sign) == 1 else f"{sign} {amount}"


def date_text(value, lang: str = "en") -> str:
    """A date as people of ``lang`` write it: 2026-12-07 / 07.12.2026."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value[:10])
    return value.strftime("%d.%m.%Y") if lang == "de" else value.strftime("%Y-%m-%d")


def say(en: str, de: str, /, **values) -> Text:
    """The sentence in both languages; ``values`` fill ``{name:spec}`` fields in each template.

    >>> t = say("{n:,} customers, {share:.1%} active", "{n:,} Kunden, {share:.1%} aktiv", n=10000, share=0.4291)
    >>> str(t), t.de
    ('10,000 customers, 42.9% active', '10.000 Kunden, 42,9 % aktiv')
    """
    return Text(_Formatter("en").vformat(en, (), values), _Formatter("de").vformat(de, (), values))


def join(parts, sep: str = " ") -> Text:
    """Texts (or plain strings) joined in both languages."""
    parts = [p for p in parts if p]
    return Text(sep.join(str(p) for p in parts), sep.join(in_lang(p, "de") for p in parts))


def pick(obj: dict, key: str, lang: str = "en", default=""):
    """``obj[key]`` in ``lang``: the ``<key>_de`` sibling for German, else the value itself (English)."""
    value = obj.get(key, default)
    if lang == "de":
        if f"{key}_de" in obj:
            return obj[f"{key}_de"]
        if isinstance(value, Text):
            return value.de
        if isinstance(value, list):
            return [in_lang(v, "de") for v in value]
    return value


def localise(obj):
    """A copy of a record in which every Text (or list of Texts) has its ``<key>_de`` sibling.

    Plain strings and numbers stay as they are; nested dicts and lists are walked.
    """
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            out[k] = localise(v)
            if isinstance(k, str) and not k.endswith("_de") and f"{k}_de" not in obj:
                if isinstance(v, Text):
                    out[f"{k}_de"] = v.de
                elif isinstance(v, list) and v and any(isinstance(x, Text) for x in v):
                    out[f"{k}_de"] = [in_lang(x, "de") for x in v]
        return out
    if isinstance(obj, list):
        return [localise(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(localise(v) for v in obj)
    return obj


def chosen_lang() -> str:
    """The language of the command line: ``NOMAGIC_LANG=de`` (or ``--lang de``, which sets it); English by default."""
    import os

    return "de" if os.environ.get("NOMAGIC_LANG", "").lower().startswith("de") else "en"


# -- words every layer shares --------------------------------------------------------------------

VERDICTS = {
    "promoted": ("promoted", "übernommen"),
    "not better than baseline": ("not better than baseline", "nicht besser als die Baseline"),
    "not ready": ("not ready", "nicht bereit"),
    "not judged": ("not judged", "nicht beurteilt"),
}


def verdict(code: str, lang: str = "en") -> str:
    """The verdict as people of ``lang`` say it (the code stays English in records and the API)."""
    en, de = VERDICTS.get(code, (code, code))
    return de if lang == "de" else en
