"""Guardrails: every candidate passes or fails, with the reasons in plain words.

Rules, each on every field of a candidate (a subject line; an ad's headline and description):

* **length** -- at most ``max_length[field]`` characters (defaults in :data:`~.lexicon.LIMITS`);
* **spam-trigger words** -- the German and English phrases of :mod:`.lexicon`, plus spam *style*: a
  run of ``!!``/``??``, ``$$``/``€€``, or more than one word of 4+ letters in CAPITALS;
* **banned claims** -- your list plus (unless switched off) the default claims that need proof
  ("guaranteed", "100 % free", "garantiert", "klimaneutral", ...);
* **required terms** -- each must appear somewhere in the candidate (any field, any case);
* **duplicates** -- the same text as an earlier candidate once case, spacing and punctuation are
  ignored.

Words match whole (``winner`` does not match ``winners``' stem inside another word), case-insensitively,
with ``100 %`` and ``100%`` counted alike.

Examples
--------
>>> from nomagic.usecases.copy.brief import Candidate
>>> g = Guardrails(required=["Acme"])
>>> cs = [Candidate({"subject": s}, source="template") for s in
...       ["Acme: new in", "Garantiert günstig bei Acme", "CLICK HERE NOW!!", "acme:  NEW in"]]
>>> for c in g.check(cs):
...     print(c.passed, c.reasons)
True []
False ["banned claim 'garantiert'"]
False ["spam trigger 'click here'", "spam style: '!!'", 'spam style: 2 words in capitals', "missing required term 'Acme'"]
False ['duplicate of candidate 1']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from nomagic.errors import InputError
from nomagic.usecases.copy.brief import Candidate
from nomagic.usecases.copy.lexicon import BANNED_CLAIMS, LIMITS, SPAM_WORDS_DE, SPAM_WORDS_EN
from nomagic.words import Text, say

_FIELD_WORDS = {
    "subject": Text("subject line", "Betreffzeile"),
    "headline": Text("headline", "Überschrift"),
    "description": Text("description", "Beschreibung"),
}


def normalise(text: str) -> str:
    """Lower case, NFKC, one space, ``100 %`` written ``100%``, typographic apostrophes plain."""
    t = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    t = re.sub(r"\s+", " ", t).strip()
    return re.sub(r"(\d)\s+%", r"\1%", t)


def _pattern(phrases: Iterable[str]) -> re.Pattern | None:
    words = sorted({normalise(p) for p in phrases if p and p.strip()}, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in words))


def _key(text: str) -> str:
    """Text for duplicate detection: letters and digits only."""
    return " ".join(re.findall(r"\w+", normalise(text)))


class Guardrails:
    """Check candidates against length, spam, banned claims, required terms and duplicates.

    Parameters
    ----------
    max_length : characters per field, e.g. ``{"subject": 50}``; fields not named keep :data:`LIMITS`.
    banned : claims to refuse, in addition to the defaults.
    default_banned : include :data:`~.lexicon.BANNED_CLAIMS` (the default).
    required : terms every candidate must contain (e.g. the brand).
    spam : check the spam-trigger words and spam style (the default).
    """

    def __init__(
        self,
        *,
        max_length: dict[str, int] | None = None,
        banned: Sequence[str] = (),
        default_banned: bool = True,
        required: Sequence[str] = (),
        spam: bool = True,
    ):
        self.max_length = {**LIMITS, **(max_length or {})}
        for f, v in self.max_length.items():
            if not isinstance(v, int) or v < 5:
                raise InputError(
                    say(
                        "the maximum length of a {field} must be 5 characters or more, not {v}",
                        "die Höchstlänge einer {field} muss mindestens 5 Zeichen betragen, nicht {v}",
                        field=_FIELD_WORDS.get(f, f),
                        v=v,
                    )
                )
        self.banned = tuple(b for b in banned if b and b.strip())
        self.default_banned = default_banned
        self.required = tuple(r.strip() for r in required if r and r.strip())
        self.spam = spam
        self._banned = _pattern((*BANNED_CLAIMS, *self.banned) if default_banned else self.banned)
        self._spam = _pattern((*SPAM_WORDS_EN, *SPAM_WORDS_DE)) if spam else None

    def describe(self) -> dict:
        """The rules as they were applied (for the report)."""
        return {
            "max_length": dict(self.max_length),
            "banned": list(self.banned),
            "default_banned": self.default_banned,
            "default_banned_claims": len(BANNED_CLAIMS) if self.default_banned else 0,
            "required": list(self.required),
            "spam_check": self.spam,
            "spam_words": len(SPAM_WORDS_EN) + len(SPAM_WORDS_DE) if self.spam else 0,
        }

    def reasons(self, fields: dict[str, str]) -> list[Text]:
        """Why these fields fail (empty when they pass), without the duplicate rule; each in English and German."""
        out: list[Text] = []
        for name, text in fields.items():
            limit = self.max_length.get(name)
            field = _FIELD_WORDS.get(name, name)
            if not text.strip():
                out.append(say("empty {field}", "leere {field}", field=field))
            elif limit is not None and len(text) > limit:
                out.append(
                    say(
                        "{field} has {n} characters; the limit is {limit}",
                        "{field} hat {n} Zeichen; erlaubt sind {limit}",
                        field=field,
                        n=len(text),
                        limit=limit,
                    )
                )
        whole = normalise(" \n ".join(fields.values()))
        if self._banned is not None:
            out += [
                say("banned claim {m!r}", "verbotene Aussage {m!r}", m=m)
                for m in dict.fromkeys(self._banned.findall(whole))
            ]
        if self._spam is not None:
            out += [
                say("spam trigger {m!r}", "Spam-Auslöser {m!r}", m=m) for m in dict.fromkeys(self._spam.findall(whole))
            ]
            raw = " ".join(fields.values())
            for run in dict.fromkeys(re.findall(r"([!?$€£])\1+", raw)):
                out.append(say("spam style: {r!r}", "Spam-Stil: {r!r}", r=run * 2))
            caps = [w for w in re.findall(r"[^\W\d_]{4,}", raw) if w.isupper()]
            if len(caps) > 1:
                out.append(
                    say("spam style: {n} words in capitals", "Spam-Stil: {n} Wörter in Großbuchstaben", n=len(caps))
                )
        for term in self.required:
            if normalise(term) not in whole:
                out.append(say("missing required term {t!r}", "fehlender Pflichtbegriff {t!r}", t=term))
        return out

    def check(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        """Set ``passed`` and ``reasons`` on every candidate (in place) and return them."""
        seen: dict[str, int] = {}
        for i, c in enumerate(candidates, 1):
            c.reasons = self.reasons(c.fields)
            key = _key(c.text)
            if key in seen:
                c.reasons.append(say("duplicate of candidate {i}", "Duplikat von Kandidat {i}", i=seen[key]))
            else:
                seen[key] = i
            c.passed = not c.reasons
        return list(candidates)


__all__ = ["Guardrails", "normalise"]
