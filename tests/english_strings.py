"""The English sentences nomagic can show, read from its source: every ``say(english, german)`` call, the
dashboard's word table, the glossary and the card's limitations. A German page that contains one of them
was not translated. Helpers for the tests, not part of the package."""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "nomagic"

#: a literal piece of a template is a sentence when it has this many words
MIN_WORDS = 4


def _pieces(template: str) -> list[str]:
    """The literal parts of a ``str.format`` template (between ``{fields}``)."""
    return [p.strip(" .,;:()[]-–→'\"") for p in re.split(r"\{[^{}]*\}", template)]


def _said_pairs() -> list[tuple[str, str]]:
    pairs = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in ("say", "_t", "t", "Text"):
                continue
            en, de = node.args[:2] if name != "_t" else node.args[1:3] if len(node.args) >= 3 else (None, None)
            if isinstance(en, ast.Constant) and isinstance(de, ast.Constant) and isinstance(en.value, str):
                pairs.append((en.value, str(de.value)))
    return pairs


def _table_pairs() -> list[tuple[str, str]]:
    from nomagic.lifecycle.card import LIMITS
    from nomagic.report.glossary import TERMS
    from nomagic.serve.i18n import MESSAGES

    pairs = [(MESSAGES["en"][k], MESSAGES["de"].get(k, "")) for k in MESSAGES["en"]]
    pairs += [(v[2], v[3]) for v in TERMS.values()]
    pairs += [p for lines in LIMITS.values() for p in lines]
    return pairs


@lru_cache(maxsize=1)
def english_sentences() -> tuple[str, ...]:
    """Sentence pieces (four words or more) that exist only in English: a German page must not show them."""
    out = set()
    for en, de in _said_pairs() + _table_pairs():
        for piece in _pieces(en):
            if len(piece.split()) >= MIN_WORDS and piece not in de and "`" not in piece:
                out.add(piece)
    return tuple(sorted(out))


def untranslated(text: str) -> list[str]:
    """The English sentence pieces found in ``text`` (whitespace normalised)."""
    flat = " ".join(text.split())
    return [s for s in english_sentences() if s in flat]


_DATE = re.compile(r"\b\d{1,2}\.\d{1,2}\.\d{4}\b")
_VERSION = re.compile(r"\b(v\d+|nomagic \d+\.\d+\.\d+|\d+\.\d+\.\d+)\b")
#: a decimal point English-style: 0.817, 12.5, 0.4366 (a German thousands separator, 6.794, is followed by exactly
#: three digits and never follows a lone 0; 1.234 alone cannot be told apart and is let through)
_ENGLISH_DECIMAL = re.compile(r"(?<![\w=.,/:-])(?:0\.\d+|\d+\.\d{1,2}|\d+\.\d{4,})(?![\w.])")


def english_numbers(text: str) -> list[str]:
    """Numbers written with a decimal point (``0.817``) in text that should use German formats (``0,817``);
    German dates (07.12.2026), thousands (6.794) and version numbers are not such numbers."""
    flat = _VERSION.sub(" ", _DATE.sub(" ", " ".join(text.split())))
    return _ENGLISH_DECIMAL.findall(flat)
