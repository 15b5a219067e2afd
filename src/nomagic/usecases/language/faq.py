"""An FAQ assistant: hybrid retrieval (BM25 + sentence embeddings), a citation, or an honest handoff.

Every answer names its source (the FAQ entry's document id). When the best match is not similar
enough -- its combined score is below ``threshold`` -- the assistant says it does not know and hands
the question to a person, in the question's language (German or English).

Scoring: for a question ``q`` and an entry ``d`` (its question and answer text),
``score = w * cos(e(q), e(d)) + (1 - w) * bm25(q, d) / (bm25(q, d) + k)``: the cosine of the
embeddings (multilingual, so a German question can match an English entry) and the BM25 score
squashed into 0..1. When the best entry is in another language than the question, its translation
in the FAQ (the entry whose question embeds closest to it, ``sibling_similarity``) answers instead,
or the best entry in the question's language if it is close (``language_margin``), so the answer comes in the language of the question when the FAQ has both.

Intents: given *examples* -- past customer questions, each labelled with the FAQ entry that answered it
-- the assistant also learns an intent classifier (:class:`~.intents.IntentClassifier`, one intent per
entry; the entry's own question counts as one more example). It asks the classifier first: when the
classifier is sure enough (its out-of-scope threshold, calibrated on held-out examples only), its
entry answers. When it is not, the question is handed off if retrieval's best entry is one the
classifier knows (it had examples of it and was still unsure); retrieval answers only for entries
without examples, with its own ``threshold``. Examples teach the assistant the customers' own words, which retrieval alone misses
(``bench/language.py --only faq_intents``). ``Answer.method`` says which one answered.

Examples
--------
>>> faq = FaqAssistant.from_records([
...     {"id": "F1", "question": "How long does delivery take?", "answer": "2-4 working days.", "lang": "en"},
...     {"id": "F2", "question": "How do I reset my password?", "answer": "Use 'forgot password'.", "lang": "en"},
... ], embedder=None)
>>> faq.ask("how long does the delivery take").source
'F1'
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from nomagic.errors import InputError
from nomagic.usecases.language.langdetect import detect
from nomagic.words import say

HANDOFF = {
    "en": "I don't know that for sure, so I am passing your question to our service team; a person will answer you.",
    "de": "Das weiß ich leider nicht sicher. Ich gebe Ihre Frage an unser Service-Team weiter; ein Mensch antwortet Ihnen.",
}
_TOKEN = re.compile(r"[0-9a-zäöüß]+")
_SUFFIXES = ("ungen", "ung", "en", "er", "es", "e", "n", "s")
_STOP = set(
    "a an the is are do does i my me you your to of in on for and or can how what when which where who "
    "der die das ein eine ist sind ich mein meine mir sie ihr ihre zu von im in auf für und oder kann wie was "
    "wann welche wo wer es mich uns wir".split()
)


def tokens(text: str) -> list[str]:
    """Lower-cased word stems (a crude suffix cut that serves German and English alike), no stop words."""
    out = []
    for w in _TOKEN.findall(str(text).lower()):
        if w in _STOP:
            continue
        for suf in _SUFFIXES:
            if len(w) > len(suf) + 3 and w.endswith(suf):
                w = w[: -len(suf)]
                break
        out.append(w)
    return out


class BM25:
    """Okapi BM25 over a small collection (``k1``, ``b`` as usual)."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75):
        self.k1, self.b = k1, b
        self.tf = [Counter(d) for d in docs]
        self.len = np.array([len(d) for d in docs], dtype=float)
        self.avg = float(self.len.mean()) if len(docs) else 0.0
        df = Counter(t for d in docs for t in set(d))
        n = len(docs)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}

    def scores(self, query: Sequence[str]) -> np.ndarray:
        out = np.zeros(len(self.tf))
        norm = self.k1 * (1 - self.b + self.b * self.len / max(self.avg, 1e-9))
        for t in set(query):
            idf = self.idf.get(t)
            if idf is None:
                continue
            f = np.array([tf.get(t, 0) for tf in self.tf], dtype=float)
            out += idf * f * (self.k1 + 1) / (f + norm)
        return out


class _LastQuestion:
    """An embedder that remembers the last single text it embedded: retrieval and the intent classifier
    both embed the question being answered, and the model then runs once."""

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self._last: tuple[str | None, np.ndarray | None] = (None, None)

    def embed(self, texts) -> np.ndarray:
        texts = list(texts)
        text, vec = self._last  # one read: another thread may replace it meanwhile
        if len(texts) == 1 and texts[0] == text:
            return vec
        out = self.inner.embed(texts)
        if len(texts) == 1:
            self._last = (texts[0], out)
        return out


@dataclass
class Answer:
    """What the assistant says: the answer and its source, or a handoff."""

    question: str
    lang: str
    answer: str
    source: str | None
    matched_question: str | None
    confidence: float
    handoff: bool
    alternatives: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    method: str = "retrieval"

    def to_dict(self) -> dict:
        return asdict(self)


class FaqAssistant:
    """Answers questions from FAQ entries (``id``, ``question``, ``answer``, ``lang``).

    Parameters
    ----------
    entries : dicts with ``id``, ``question``, ``answer`` and optionally ``lang``.
    embedder : embedder name or object (default ``use``); ``None`` uses BM25 alone.
    threshold : the least combined score for an answer; below it the assistant hands off.
    weight : weight of the embedding cosine in the combined score (the rest is BM25).
    language_margin : an entry in the question's language is preferred when its score is at most this
        much below the best entry's (and passes the threshold).
    examples : past questions as ``(text, entry id)`` pairs; they train the intent classifier that is
        asked before retrieval. Entries without examples are reached by retrieval alone.
    reject_rate : the intent classifier's ``reject_rate`` (share of held-out examples it would not trust).
    progress : called with (fraction done, words) while the intent classifier learns.
    """

    language_margin = 0.05
    sibling_similarity = 0.6

    def __init__(
        self,
        entries: Iterable[dict],
        *,
        embedder="use",
        threshold: float = 0.4,
        weight: float = 0.7,
        examples: Iterable[tuple[str, str]] | None = None,
        reject_rate: float = 0.1,
        progress=None,
    ):
        self.entries = [dict(e) for e in entries]
        if not self.entries:
            raise InputError(say("the FAQ has no entries", "die FAQ hat keine Einträge"))
        for i, e in enumerate(self.entries):
            if not str(e.get("answer") or "").strip():
                raise InputError(
                    say(
                        "FAQ entry {i} ({id}) has no answer",
                        "FAQ-Eintrag {i} ({id}) hat keine Antwort",
                        i=i + 1,
                        id=e.get("id"),
                    )
                )
            e.setdefault("id", f"FAQ{i + 1}")
            e["id"] = str(e["id"])
            e["question"] = str(e.get("question") or "")
            e["lang"] = str(e.get("lang") or detect(e["question"] + " " + e["answer"]))
        self.threshold = threshold
        self.weight = weight if embedder is not None else 0.0
        self.bm25 = BM25([tokens(e["question"] + " " + e["answer"]) for e in self.entries])
        self.embedder = None
        if embedder is not None:
            from nomagic.usecases.language.embeddings import get_embedder

            self.embedder = embedder if hasattr(embedder, "embed") else get_embedder(embedder)
            q = self.embedder.embed([e["question"] for e in self.entries])
            qa = self.embedder.embed([e["question"] + " " + e["answer"] for e in self.entries])
            self._E = np.stack([q, qa])  # match the question alone or with its answer, whichever is closer
            # questions are embedded without the disk cache: a lookup and a write cost more than the model
            self._query_embedder = _LastQuestion(getattr(self.embedder, "inner", self.embedder))
            self._query_embedder.embed(["warm up"])  # load the model now, not on the first question
        detect("warm up")
        if embedder is None and threshold == 0.4:
            self.threshold = 0.3  # BM25 alone is on another scale
        self._index = {e["id"]: i for i, e in enumerate(self.entries)}
        self.intents = None if examples is None else self._learn(examples, reject_rate, progress)
        self._taught = set() if self.intents is None else set(self.intents.classes_)

    def _learn(self, examples: Iterable[tuple[str, str]], reject_rate: float, progress=None):
        """The intent classifier over the entries that have examples (each with its own question too)."""
        from nomagic.usecases.language.intents import IntentClassifier

        ids = self._index
        texts, labels = [], []
        for row, (text, entry) in enumerate(examples, start=1):
            entry = str(entry)
            if entry not in ids:
                raise InputError(
                    say(
                        "example {row} names FAQ entry {entry!r}, which the FAQ does not have",
                        "Beispiel {row} nennt den FAQ-Eintrag {entry!r}, den die FAQ nicht hat",
                        row=row,
                        entry=entry,
                    )
                )
            if str(text or "").strip():
                texts.append(str(text))
                labels.append(entry)
        taught = sorted(set(labels))
        if len(taught) < 2:
            raise InputError(
                say(
                    "the examples cover {n} FAQ entr{y}; an intent classifier needs examples of at least two",
                    "die Beispiele decken {n} FAQ-Eintr{y_de} ab; ein Anliegen-Klassifikator braucht Beispiele für "
                    "mindestens zwei",
                    n=len(taught),
                    y="y" if len(taught) == 1 else "ies",
                    y_de="ag" if len(taught) == 1 else "äge",
                )
            )
        for entry in taught:
            own = self.entries[ids[entry]]["question"]
            if own.strip():
                texts.append(own)
                labels.append(entry)
        features = "tfidf" if self.embedder is None else "auto"
        clf = IntentClassifier(features=features, embedder=self.embedder, reject_rate=reject_rate)
        clf.fit(texts, labels, progress=progress)
        if self.embedder is not None:
            clf.clf_.set_embedders([self._query_embedder])  # each question embedded once, for both
        return clf

    # ---------------------------------------------------------------- constructors
    @classmethod
    def from_records(cls, records: Iterable[dict], **kw) -> FaqAssistant:
        return cls(records, **kw)

    @staticmethod
    def _split(text: str) -> tuple[str, str]:
        """'Question? Answer.' -> (question, answer)."""
        text = str(text).strip()
        i = text.find("?")
        if 0 < i < len(text) - 1:
            return text[: i + 1].strip(), text[i + 1 :].strip()
        return "", text

    @classmethod
    def from_frame(cls, df, *, id_col=None, question_col=None, answer_col=None, text_col=None, lang_col=None, **kw):
        """From a table: ``question`` + ``answer`` columns, or one ``text`` column holding 'Question? Answer.'."""
        cols = {c.lower(): c for c in df.columns}
        q = question_col or cols.get("question")
        a = answer_col or cols.get("answer")
        t = text_col or cols.get("text")
        ident = id_col or cols.get("document_id") or cols.get("id")
        lang = lang_col or cols.get("lang")
        if not (q and a) and not t:
            raise InputError(
                say(
                    "the FAQ needs 'question' and 'answer' columns or a 'text' column; it has {cols}",
                    "die FAQ braucht die Spalten 'question' und 'answer' oder eine Spalte 'text'; sie hat {cols}",
                    cols=", ".join(map(str, df.columns)),
                )
            )
        records = []
        for i, row in enumerate(df.to_dict("records")):
            if q and a:
                qq, aa = str(row[q] or ""), str(row[a] or "")
            else:
                qq, aa = cls._split(row[t])
            records.append(
                {
                    "id": str(row[ident]) if ident else f"FAQ{i + 1}",
                    "question": qq,
                    "answer": aa,
                    "lang": row[lang] if lang else None,
                }
            )
        return cls(records, **kw)

    @classmethod
    def from_file(cls, path, **kw) -> FaqAssistant:
        """A CSV, Parquet or JSON-lines file (see :meth:`from_frame`)."""
        import pandas as pd

        path = str(path)
        try:
            if path.endswith(".parquet"):
                df = pd.read_parquet(path)
            elif path.endswith((".jsonl", ".ndjson")):
                df = pd.read_json(path, lines=True)
            else:
                df = pd.read_csv(path)
        except (OSError, ValueError) as exc:
            raise InputError(
                say(
                    "cannot read the FAQ file {path}: {exc}",
                    "die FAQ-Datei {path} ist nicht lesbar: {exc}",
                    path=path,
                    exc=exc,
                )
            ) from exc
        return cls.from_frame(df, **kw)

    @classmethod
    def from_warehouse(cls, wh, **kw) -> FaqAssistant:
        """The ``documents`` rows with ``source = 'faq'``."""
        t = wh.table("documents")
        df = t.filter(t.source == "faq").select("document_id", "lang", "text").execute()
        if df.empty:
            raise InputError(
                say(
                    "the warehouse's documents table has no FAQ rows (source = 'faq')",
                    "die Tabelle documents im Warehouse hat keine FAQ-Zeilen (source = 'faq')",
                )
            )
        return cls.from_frame(df, id_col="document_id", text_col="text", lang_col="lang", **kw)

    # ---------------------------------------------------------------- asking
    def _in_language(self, best: int, s: np.ndarray, lang: str) -> int:
        """The same entry in the question's language: its translation (embeddings of the two FAQ questions
        closer than ``sibling_similarity``), else the best entry in that language within ``language_margin``."""
        same = [i for i in range(len(self.entries)) if self.entries[i]["lang"] == lang]
        if not same:
            return best
        if self.embedder is not None:
            sim = self._E[0][same] @ self._E[0][best]
            j = int(np.argmax(sim))
            if sim[j] >= self.sibling_similarity:
                return same[j]
        j = max(same, key=lambda i: s[i])
        return j if s[j] >= max(self.threshold, s[best] - self.language_margin) else best

    def scores(self, question: str, lang: str) -> np.ndarray:
        bm = self.bm25.scores(tokens(question))
        s = (1 - self.weight) * bm / (bm + 3.0)
        if self.embedder is not None:
            e = self._query_embedder.embed([question])[0]
            s = s + self.weight * (self._E @ e).max(axis=0)
        return s

    def ask(self, question: str, *, k: int = 3) -> Answer:
        """The best entry's answer with its source, or a handoff when the best score is below the threshold."""
        t0 = time.perf_counter()
        question = str(question or "").strip()
        lang = detect(question) if question else "en"
        if not question:
            return Answer(question, lang, HANDOFF.get(lang, HANDOFF["en"]), None, None, 0.0, True)
        s = self.scores(question, lang)
        order = np.argsort(-s)[:k]
        best = int(order[0])
        conf = float(s[best])
        method = "retrieval"
        passed = conf >= self.threshold
        if self.intents is not None:
            pred, sure = self.intents.confidence([question])
            if sure[0] >= self.intents.threshold_:
                best = self._index[pred[0]]
                conf, method, passed = float(sure[0]), "intent", True
            elif self.entries[best]["id"] in self._taught:
                # the classifier knows this entry from examples and was not sure: its word is the better one
                conf, method, passed = float(sure[0]), "intent", False
        if self.entries[best]["lang"] != lang and passed:
            best = self._in_language(best, s, lang)  # the confidence stays that of the best match
        alts = [
            {"source": self.entries[i]["id"], "question": self.entries[i]["question"], "score": round(float(s[i]), 4)}
            for i in order
        ]
        if not passed:
            ans = Answer(question, lang, HANDOFF.get(lang, HANDOFF["en"]), None, None, conf, True, alts)
        else:
            e = self.entries[best]
            ans = Answer(question, lang, e["answer"], e["id"], e["question"], conf, False, alts)
        ans.seconds = time.perf_counter() - t0
        ans.method = method
        return ans


__all__ = ["HANDOFF", "BM25", "Answer", "FaqAssistant", "tokens"]
