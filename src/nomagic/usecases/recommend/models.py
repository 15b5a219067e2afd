"""Recommenders on a users x items matrix: popularity (the baseline), item-kNN and EASE.

All share one shape: ``fit(X)`` with ``X`` a users x items CSR matrix of (possibly time-decayed)
interaction weights, then ``scores(X_rows)`` gives a dense score per item for the given history rows.
Ranking is done by :func:`top_n`, which excludes the items in the history when asked.

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

__all__ = ["EASE", "ItemKNN", "Popularity", "top_n"]

#: above this many items the dense item x item models refuse (memory: 8 * items**2 bytes)
MAX_DENSE_ITEMS = 30_000


def _check_size(n: int, what: str) -> None:
    if n > MAX_DENSE_ITEMS:
        from nomagic.errors import InputError

        raise InputError(
            f"{what} keeps a dense {n:,} x {n:,} item matrix; keep to items with interactions "
            f"(at most {MAX_DENSE_ITEMS:,}) or use the popularity model"
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
        return "popularity"


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
        return f"item-kNN (k = {self.k}, shrinkage = {self.shrink:g})"


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
        return f"EASE (lambda = {self.lam:g})"


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
