"""Recommenders on a users x items matrix: popularity (the baseline), item-kNN, EASE and the recency blend.

All share one shape: ``fit(X)`` with ``X`` a users x items CSR matrix of (possibly time-decayed)
interaction weights, then ``scores(X_rows)`` gives a dense score per item for the given history rows.
Ranking is done by :func:`top_n`, which excludes the items in the history when asked.

:class:`RecencyBlend` wraps an item model and mixes its scores with *recent* popularity (interaction
counts with a short half-life): in a later period, what is watched or bought right now (new releases,
seasonal products) is a strong signal that an item-to-item model alone does not see.

Examples
--------
>>> import scipy.sparse as sp
>>> X = sp.csr_matrix([[1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 0]], dtype=float)
>>> EASE(lam=1.0).fit(X).scores(X[:1]).shape
(1, 3)
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from nomagic.words import Text, number, say

__all__ = ["EASE", "ItemKNN", "Popularity", "RecencyBlend", "blend_scores", "top_n"]

#: above this many items the dense item x item models refuse (memory: 8 * items**2 bytes)
MAX_DENSE_ITEMS = 30_000


def _check_size(n: int, what: str) -> None:
    if n > MAX_DENSE_ITEMS:
        from nomagic.errors import InputError

        raise InputError(
            say(
                "{what} keeps a dense {n:,} x {n:,} item matrix; keep to items with interactions (at most {most:,}) "
                "or use the popularity model",
                "{what} hält eine dichte Artikelmatrix mit {n:,} x {n:,} Einträgen; auf Artikel mit Interaktionen "
                "beschränken (höchstens {most:,}) oder das Popularitätsmodell verwenden",
                what=what,
                n=n,
                most=MAX_DENSE_ITEMS,
            )
        )


class Popularity:
    """Every user gets the items with the most users (the naive rule a shop would use)."""

    kind = "popularity"

    def fit(self, X: sp.csr_matrix) -> Popularity:
        self.popularity_ = np.asarray((X > 0).sum(axis=0), dtype=float).ravel()
        self.n_items_ = X.shape[1]
        return self

    def scores(self, rows: sp.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self.popularity_, (rows.shape[0], self.n_items_)).astype(np.float32)

    def describe(self) -> str:
        return say("popularity", "Popularität")


class ItemKNN:
    """Item-based k nearest neighbours: cosine similarity with shrinkage ``sim = x_i.x_j / (|x_i||x_j| + shrink)``,
    each item keeping its ``k`` most similar items; a user's score is the sum of similarities to their items."""

    kind = "item_knn"

    def __init__(self, k: int = 100, shrink: float = 10.0):
        self.k = k
        self.shrink = shrink

    def fit(self, X: sp.csr_matrix) -> ItemKNN:
        n = X.shape[1]
        _check_size(n, "item-kNN")
        X = sp.csr_matrix(X, dtype=np.float64)
        G = (X.T @ X).toarray()
        norm = np.sqrt(np.diag(G))
        S = G / (np.outer(norm, norm) + self.shrink + 1e-12)
        np.fill_diagonal(S, 0.0)
        if self.k < n - 1:
            drop = np.argpartition(-S, self.k, axis=0)[self.k :, :]
            np.put_along_axis(S, drop, 0.0, axis=0)
        self.similarity_ = S.astype(np.float32)
        return self

    def scores(self, rows: sp.csr_matrix) -> np.ndarray:
        return np.asarray(rows @ self.similarity_, dtype=np.float32)

    @property
    def weights_(self) -> np.ndarray:
        return self.similarity_

    def describe(self) -> str:
        return say(
            "item-kNN (k = {k}, shrinkage = {s:g})", "Item-kNN (k = {k}, Shrinkage = {s:g})", k=self.k, s=self.shrink
        )


class EASE:
    """Embarrassingly shallow autoencoder (Steck 2019): ``B = I - P diag(1 / diag(P))``, ``P = (X'X + lam I)^-1``,
    zero diagonal; a user's score is ``x_u B``. Closed form, one item x item inverse."""

    kind = "ease"

    def __init__(self, lam: float = 500.0):
        self.lam = lam

    def fit(self, X: sp.csr_matrix) -> EASE:
        n = X.shape[1]
        _check_size(n, "EASE")
        X = sp.csr_matrix(X, dtype=np.float64)
        G = (X.T @ X).toarray()
        G[np.diag_indices(n)] += self.lam
        P = np.linalg.inv(G)
        B = P / (-np.diag(P))
        np.fill_diagonal(B, 0.0)
        self.weights_ = B.astype(np.float32)
        return self

    def scores(self, rows: sp.csr_matrix) -> np.ndarray:
        return np.asarray(rows @ self.weights_, dtype=np.float32)

    def describe(self) -> str:
        return Text(f"EASE (lambda = {number(self.lam, 'g')})", f"EASE (lambda = {number(self.lam, 'g', 'de')})")


def blend_scores(S: np.ndarray, recent: np.ndarray, weight: float) -> np.ndarray:
    """``(1 - weight) * S / max|S| (per row) + weight * recent`` (``recent`` already scaled to a maximum of 1).

    Each user's item-model scores are scaled to a largest absolute value of 1 so that one weight suits users with
    long and short histories; a user without history (a row of zeros) gets the recent popularity."""
    S = np.asarray(S, dtype=np.float32)
    if weight <= 0:
        return S
    m = np.abs(S).max(axis=1, keepdims=True)
    S = S / np.where(m > 0, m, 1.0)
    return ((1.0 - weight) * S + weight * np.asarray(recent, dtype=np.float32)[None, :]).astype(np.float32)


class RecencyBlend:
    """An item model blended with recent popularity: ``(1 - weight) * scores / max|scores| + weight * recent``.

    ``recent`` is each item's sum of time-decayed interaction weights (see
    :meth:`~nomagic.usecases.recommend.data.Interactions.matrix` with a short half-life), divided by its maximum.
    With ``weight = 0`` it is the item model alone; with ``weight = 1`` it is "what is popular right now".

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> X = sp.csr_matrix([[1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 0]], dtype=float)
    >>> R = sp.csr_matrix([[0, 0, 0], [0, 0, 1], [0, 0, 1], [0, 0, 0]], dtype=float)  # item 2 is recent
    >>> int(RecencyBlend(EASE(1.0), weight=0.9).fit(X, R).scores(X[:1]).argmax())
    2
    """

    def __init__(self, model, weight: float = 0.5):
        self.model = model
        self.weight = weight

    @property
    def kind(self) -> str:
        return self.model.kind

    def fit(self, X: sp.csr_matrix, recent: sp.spmatrix | np.ndarray | None = None) -> RecencyBlend:
        """Fit the item model on ``X``; ``recent`` is a (time-decayed) users x items matrix or per-item counts
        (default: ``X``)."""
        if not 0.0 <= self.weight <= 1.0:
            from nomagic.errors import InputError

            raise InputError(
                say(
                    "the recency weight must be between 0 and 1, not {w}",
                    "das Gewicht der Aktualität muss zwischen 0 und 1 liegen, nicht {w}",
                    w=self.weight,
                )
            )
        self.model.fit(X)
        R = X if recent is None else recent
        pop = np.asarray(R.sum(axis=0), dtype=float).ravel() if sp.issparse(R) else np.asarray(R, float).ravel()
        self.recent_ = (pop / pop.max() if pop.size and pop.max() > 0 else np.zeros(X.shape[1])).astype(np.float32)
        return self

    def scores(self, rows: sp.csr_matrix) -> np.ndarray:
        return blend_scores(self.model.scores(rows), self.recent_, self.weight)

    @property
    def weights_(self) -> np.ndarray:
        return self.model.weights_

    def describe(self) -> str:
        return say(
            "{m} blended with recent popularity (weight {w:g})",
            "{m}, gemischt mit aktueller Popularität (Gewicht {w:g})",
            m=self.model.describe(),
            w=self.weight,
        )


def top_n(scores: np.ndarray, n: int, exclude: sp.csr_matrix | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` best items per row (best first) and their scores; items in ``exclude`` (same rows) are never
    returned (their slots are -1 when too few items remain)."""
    s = np.array(scores, dtype=np.float32, copy=True)
    if exclude is not None and exclude.nnz:
        ex = exclude.tocoo()
        s[ex.row, ex.col] = -np.inf
    n = min(n, s.shape[1])
    part = np.argpartition(-s, n - 1, axis=1)[:, :n] if n < s.shape[1] else np.tile(np.arange(s.shape[1]), (len(s), 1))
    ps = np.take_along_axis(s, part, axis=1)
    order = np.argsort(-ps, axis=1, kind="stable")
    items = np.take_along_axis(part, order, axis=1)
    sc = np.take_along_axis(ps, order, axis=1)
    items = np.where(np.isneginf(sc), -1, items)
    return items, sc
