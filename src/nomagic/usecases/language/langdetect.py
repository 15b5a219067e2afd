"""Language detection for German and English texts (others are reported as they are detected).

With ``py3langid`` installed (the ``nlp`` extra) its model decides, restricted to ``languages``;
without it a stop-word count decides between German and English, which is good enough for the
lexicon baseline's choice.

Examples
--------
>>> detect("Die Lieferung kam leider viel zu spät und der Artikel war beschädigt.")
'de'
>>> detect("The delivery was late and the item arrived damaged.")
'en'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

DEFAULT_LANGUAGES = ("de", "en")
_STOP = {
    "de": set(
        "der die das und ist nicht ich ein eine zu mit auf für von den dem sich es im wie auch noch "
        "aber sehr bei war wird nur mein meine kein keine ist hat haben wurde schon nach über ganz "
        "leider gut wieder bitte danke sie wir".split()
    ),
    "en": set(
        "the and is not i a an to with on for of it in how also still but very at was will only my no "
        "has have had been already after about quite again please thanks you we this that are be".split()
    ),
}
_WORD = re.compile(r"[a-zäöüß]+")
_identifier = None


def _langid(languages: Sequence[str]):
    global _identifier
    if _identifier is None:
        try:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier
        except ImportError:
            _identifier = False
            return None
        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        ident.set_languages(list(languages))
        _identifier = (tuple(languages), ident)
    if _identifier is False:
        return None
    if _identifier[0] != tuple(languages):
        _identifier[1].set_languages(list(languages))
        _identifier = (tuple(languages), _identifier[1])
    return _identifier[1]


def _stopwords(text: str) -> str:
    words = _WORD.findall(text.lower())
    de = sum(w in _STOP["de"] for w in words) + 2 * sum(ch in "äöüß" for ch in text.lower())
    en = sum(w in _STOP["en"] for w in words)
    return "de" if de > en else "en"


def detect(text: str, languages: Sequence[str] = DEFAULT_LANGUAGES) -> str:
    """The most likely language code of ``text`` among ``languages``."""
    text = str(text or "")
    ident = _langid(languages)
    if ident is None:
        return _stopwords(text)
    return ident.classify(text)[0]


def detect_many(texts: Sequence[str], languages: Sequence[str] = DEFAULT_LANGUAGES) -> list[str]:
    return [detect(t, languages) for t in texts]


__all__ = ["DEFAULT_LANGUAGES", "detect", "detect_many"]
