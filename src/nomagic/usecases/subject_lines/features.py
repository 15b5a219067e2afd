"""Text features of e-mail subject lines, German and English.

Each line becomes a row of plain numbers a marketer can read: length, word count, personalisation
tokens (``{first_name}``, ``{{name}}``, ``*|FNAME|*``, ``%firstname%``), urgency words, numbers,
percentages, prices, emojis, question and exclamation marks, words in capitals, and the language (de /
en, by counting common stopwords; ``other`` when neither wins).

Examples
--------
>>> f = features(["Hallo {first_name}, nur heute: 20% auf alles! 🎉", "Is this the last chance?"])
>>> f[["personalised", "urgency", "percent", "emoji", "exclamation", "question"]].values.tolist()
[[1, 1, 1, 1, 1, 0], [0, 1, 0, 0, 0, 1]]
>>> f["lang"].tolist()
['de', 'en']
"""

from __future__ import annotations

import re

import pandas as pd

STOP_DE = frozenset(
    "der die das und ist nicht ein eine einen dem den des mit auf für fuer von zu im in ihr ihre dein deine "
    "sie wir jetzt nur noch heute bis alle alles neu neue neues unsere unser hier schon mehr bei aus am zum zur "
    "wie was wer oder auch".split()
)
STOP_EN = frozenset(
    "the and is not a an of to in on for with your you our we it this that now only today all new here more at "
    "from by be are just get what how who or off".split()
)
URGENCY = frozenset(
    "now today tonight last final hurry ends ending expires limited only quick soon deadline urgent "
    "jetzt heute letzte letzter endet nur schnell bald begrenzt eilig sofort gilt schluss".split()
)
URGENCY_PHRASES = ("last chance", "only until", "ends soon", "letzte chance", "nur noch", "nur bis", "nicht verpassen")
PERSONAL = re.compile(r"\{\{?\s*\w+\s*\}?\}|\*\|\w+\|\*|%\w+%|\[\s*\w*name\w*\s*\]", re.IGNORECASE)
EMOJI = re.compile("[\U0001f300-\U0001faff\U00002600-\U000027bf\U0001f000-\U0001f2ff\U00002b50\U00002b55]")
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
FEATURES = (
    "length",
    "words",
    "personalised",
    "urgency",
    "number",
    "percent",
    "price",
    "emoji",
    "question",
    "exclamation",
    "caps_words",
    "lang_de",
    "lang_en",
)


def language(text: str) -> str:
    """``de``, ``en`` or ``other`` from stopword counts (umlauts and ß count for German)."""
    words = [w.lower() for w in WORD.findall(text)]
    de = sum(w in STOP_DE for w in words) + sum(ch in "äöüß" for ch in text.lower())
    en = sum(w in STOP_EN for w in words)
    if de == en:
        return "other"
    return "de" if de > en else "en"


def features(lines) -> pd.DataFrame:
    """One row of features per subject line (see :data:`FEATURES`) plus the ``lang`` column."""
    rows = []
    for raw in lines:
        text = "" if raw is None or (isinstance(raw, float) and raw != raw) else str(raw)
        low = text.lower()
        words = WORD.findall(text)
        lang = language(text)
        rows.append(
            {
                "length": len(text),
                "words": len(text.split()),
                "personalised": int(bool(PERSONAL.search(text))),
                "urgency": int(any(w.lower() in URGENCY for w in words) or any(p in low for p in URGENCY_PHRASES)),
                "number": int(bool(re.search(r"\d", text))),
                "percent": int("%" in PERSONAL.sub("", text) or "prozent" in low or "percent" in low),
                "price": int(bool(re.search(r"[€$£]|\beur\b|\beuro\b", low))),
                "emoji": int(bool(EMOJI.search(text))),
                "question": int("?" in text),
                "exclamation": int("!" in text),
                "caps_words": sum(1 for w in words if len(w) >= 3 and w.isupper()),
                "lang_de": int(lang == "de"),
                "lang_en": int(lang == "en"),
                "lang": lang,
            }
        )
    return pd.DataFrame(rows, columns=[*FEATURES, "lang"])
