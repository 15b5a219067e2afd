"""The online recommender: precomputed top-N per user (numpy arrays) and business rules at lookup.

``Recommender.recommend(customer_id, n)`` is a dict lookup plus rule filtering over at most ``N`` precomputed
candidates: no model runs at request time. Rules:

* **consent**: customers without profiling consent get nothing (``[]``);
* **exclude already bought** (default; off for consumables): the customer's items are left out at precompute;
* **in stock only**, **blocked** items dropped, **boosted** items moved up (``score + boost``);
* **category diversity**: at most ``max_per_category`` items of one category;
* **cold start**: unknown customers get the items popular in their segment (e.g. country), else overall;
  products without interactions get content similarity (TF-IDF of name, description, category) to the
  customer's items.

Every item comes with a reason in English and German (a :class:`~nomagic.words.Text`): "because you bought X",
"popular in Y", "similar to X you bought", with the product's name where the catalogue has one.

Examples
--------
>>> import numpy as np
>>> r = Recommender(["a"], np.array([[1, 0]]), np.array([[2.0, 1.0]]), ["p0", "p1"], popular=np.array([0, 1]))
>>> [x["product_id"] for x in r.recommend("a", 2)], [x["product_id"] for x in r.recommend("new", 1)]
(['p1', 'p0'], ['p0'])
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from nomagic.words import Text, say

__all__ = ["Recommender", "content_similarity"]


def content_similarity(products: pd.DataFrame, columns=("name", "description", "category")) -> sp.csr_matrix:
    """Cosine similarity of products' TF-IDF vectors (word 1-2 grams of the given text columns)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    cols = [c for c in columns if c in products.columns]
    text = products[cols].fillna("").astype(str).agg(" ".join, axis=1) if cols else pd.Series([""] * len(products))
    if cols and "category" in cols:  # the category counts as a word of its own, twice
        cat = products["category"].fillna("").astype(str).str.replace(r"\W+", "_", regex=True)
        text = text + " cat_" + cat + " cat_" + cat
    V = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True).fit_transform(
        text.where(text.str.strip() != "", "empty")
    )
    return sp.csr_matrix(V @ V.T)


class Recommender:
    """Precomputed top-N per customer with business rules applied at lookup.

    Parameters
    ----------
    user_ids : customer id per row of ``top_items``.
    top_items : (users, N) item positions, best first, -1 where empty.
    top_scores : (users, N) scores.
    item_ids : product id per item position.
    reasons : optional (users, N) item position of the customer's item that explains each recommendation
        ("because you bought X"), -1 for none.
    popular : item positions by overall popularity (cold start).
    segment_popular : segment -> item positions by popularity in that segment.
    segment_of : customer id -> segment (for customers without a precomputed row).
    categories : category per item position (for diversity).
    in_stock : bool per item position.
    no_consent : customer ids that must not be profiled.
    names : product id -> its name (a Text with the German name, or a plain name), used in the reasons;
        products without a name are named by their id.
    """

    def __init__(
        self,
        user_ids: Iterable,
        top_items: np.ndarray,
        top_scores: np.ndarray,
        item_ids: Iterable,
        *,
        reasons: np.ndarray | None = None,
        reason_kinds: np.ndarray | None = None,
        popular: np.ndarray | None = None,
        segment_popular: dict | None = None,
        segment_of: dict | None = None,
        segment_label: str = "segment",
        categories: Iterable | None = None,
        in_stock: np.ndarray | None = None,
        no_consent: Iterable = (),
        max_per_category: int | None = None,
        blocked: Iterable = (),
        boosted: dict | None = None,
        names: dict | None = None,
    ):
        self.names = dict(names or {})
        self._said: dict = {}  # reason Texts, made once per (kind, product): a table of millions reuses them
        self.item_ids = np.asarray(list(item_ids), dtype=object)
        self.index_ = {u: i for i, u in enumerate(user_ids)}
        self.top_items = np.asarray(top_items, dtype=np.int32)
        self.top_scores = np.asarray(top_scores, dtype=np.float32)
        self.reasons = None if reasons is None else np.asarray(reasons, dtype=np.int32)
        self.reason_kinds = reason_kinds  # per (user, slot): 0 model, 1 content similarity
        self.popular = np.asarray(popular if popular is not None else [], dtype=np.int32)
        self.segment_popular = {k: np.asarray(v, dtype=np.int32) for k, v in (segment_popular or {}).items()}
        self.segment_of = dict(segment_of or {})
        self.segment_label = segment_label
        self.categories = None if categories is None else np.asarray(list(categories), dtype=object)
        n = len(self.item_ids)
        self.in_stock = np.ones(n, bool) if in_stock is None else np.asarray(in_stock, bool)
        self.no_consent = set(no_consent)
        self.max_per_category = max_per_category
        self._pos = {p: i for i, p in enumerate(self.item_ids)}
        self.allowed = self.in_stock.copy()
        self.block(blocked)
        self.boost_ = np.zeros(n, np.float32)
        for p, b in (boosted or {}).items():
            if p in self._pos:
                self.boost_[self._pos[p]] = b

    def block(self, product_ids: Iterable) -> None:
        for p in product_ids:
            if p in self._pos:
                self.allowed[self._pos[p]] = False

    def set_stock(self, product_id, in_stock: bool) -> None:
        i = self._pos[product_id]
        self.in_stock[i] = in_stock
        self.allowed[i] = in_stock

    def _pick(self, items: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
        """Positions (into ``items``) of the first ``n`` that pass the rules, after boosting."""
        ok = items >= 0
        ok[ok] = self.allowed[items[ok]]
        idx = np.flatnonzero(ok)
        if self.boost_.any() and idx.size:
            s = scores[idx] + self.boost_[items[idx]]
            idx = idx[np.argsort(-s, kind="stable")]
        if self.max_per_category is None or self.categories is None:
            return idx[:n]
        out, counts = [], {}
        for j in idx:
            c = self.categories[items[j]]
            if counts.get(c, 0) < self.max_per_category:
                counts[c] = counts.get(c, 0) + 1
                out.append(j)
                if len(out) == n:
                    break
        return np.asarray(out, dtype=np.int64)

    def recommend(self, customer_id, n: int = 10) -> list[dict]:
        """Up to ``n`` recommendations: ``[{"product_id", "score", "reason"}, ...]``, best first.

        Known customers get only items of their precomputed list (which never holds items they bought when
        those are excluded), so fewer than ``n`` come back when the rules remove too many; precompute more."""
        if customer_id in self.no_consent:
            return []
        row = self.index_.get(customer_id)
        if row is None:
            return self._cold(customer_id, n)
        items, scores = self.top_items[row], self.top_scores[row]
        sel = self._pick(items, scores, n)
        out = []
        for j in sel:
            out.append(
                {
                    "product_id": self.item_ids[items[j]],
                    "score": float(scores[j] + self.boost_[items[j]]),
                    "reason": self._reason(row, j),
                }
            )
        return out

    def _reason(self, row: int, j: int) -> Text:
        if self.reasons is None or self.reasons[row, j] < 0:
            return say("recommended for you", "für Sie empfohlen")
        other = self.item_ids[self.reasons[row, j]]
        similar = self.reason_kinds is not None and self.reason_kinds[row, j] == 1
        key = (similar, other)
        if key not in self._said:
            name = self.names.get(other) or other
            if similar:
                self._said[key] = say("similar to {p} you bought", "ähnlich wie Ihr Kauf: {p}", p=name)
            else:
                self._said[key] = say("because you bought {p}", "passend zu Ihrem Kauf: {p}", p=name)
        return self._said[key]

    def _where(self, seg) -> Text:
        if seg is None:
            return say("popular overall", "insgesamt beliebt")
        if self.segment_label == "country":
            return say("popular in country {seg}", "beliebt bei Kunden aus {seg}", seg=seg)
        return say("popular in {label} {seg}", "beliebt bei {label} {seg}", label=self.segment_label, seg=seg)

    def _cold(self, customer_id, n: int) -> list[dict]:
        seg = self.segment_of.get(customer_id)
        lst = self.segment_popular.get(seg) if seg is not None else None
        where = self._where(seg if lst is not None else None)
        lst = self.popular if lst is None else lst
        sel = self._pick(lst, -np.arange(len(lst), dtype=np.float32), n)
        return [{"product_id": self.item_ids[lst[j]], "score": float(-j), "reason": where} for j in sel]
