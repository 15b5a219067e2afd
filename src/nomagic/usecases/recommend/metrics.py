"""Top-k ranking metrics per user, catalogue coverage, novelty and bootstrap intervals over users.

* ``recall@k``: hits in the top k / number of held-out items;
* ``ndcg@k``: binary relevance, ``1 / log2(rank + 1)`` discount (rank from 1), divided by the ideal DCG
  over ``min(|held-out items|, k)`` positions;
* ``coverage@k``: share of the catalogue that appears in at least one user's top k;
* ``novelty@k``: mean self-information ``-log2(share of train users with the item)`` of recommended items.

Intervals: paired percentile bootstrap over users. Coverage is a set metric that shrinks when users are
drawn with repetition, so its interval is re-centred on the observed value (spread from the bootstrap).

Examples
--------
>>> import numpy as np, scipy.sparse as sp
>>> rec = np.array([[2, 0, 1]])
>>> test = sp.csr_matrix(np.array([[0, 0, 1, 1]]))
>>> float(ndcg_at_k(rec, test, 3)[0])
0.6131471927654584
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["bootstrap", "coverage_at_k", "ndcg_at_k", "novelty_at_k", "recall_at_k", "user_metrics"]


def _hits(rec: np.ndarray, test: sp.csr_matrix, k: int) -> np.ndarray:
    """0/1 matrix (users x k): is the item at each rank held out for that user."""
    r = rec[:, :k]
    rows = np.repeat(np.arange(len(r)), r.shape[1])
    cols = r.ravel()
    ok = cols >= 0
    h = np.zeros(r.size, bool)
    h[ok] = np.asarray(test[rows[ok], cols[ok]]).ravel() > 0
    return h.reshape(r.shape)


def recall_at_k(rec: np.ndarray, test: sp.csr_matrix, k: int) -> np.ndarray:
    n = np.diff(test.indptr)
    return _hits(rec, test, k).sum(axis=1) / np.maximum(n, 1)


def ndcg_at_k(rec: np.ndarray, test: sp.csr_matrix, k: int) -> np.ndarray:
    h = _hits(rec, test, k)
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (h * disc[: h.shape[1]]).sum(axis=1)
    ideal = np.concatenate([[0.0], np.cumsum(disc)])[np.minimum(np.diff(test.indptr), k)]
    return np.where(ideal > 0, dcg / np.where(ideal > 0, ideal, 1.0), 0.0)


def coverage_at_k(rec: np.ndarray, n_items: int, k: int) -> float:
    r = rec[:, :k]
    return float(np.unique(r[r >= 0]).size / n_items)


def novelty_at_k(rec: np.ndarray, item_share: np.ndarray, k: int) -> np.ndarray:
    """Per user: mean ``-log2(share)`` of the recommended items (shares of 0 count as 1 / (users + 1))."""
    r = rec[:, :k]
    info = -np.log2(np.clip(item_share, 1e-12, 1.0))
    v = np.where(r >= 0, info[np.maximum(r, 0)], np.nan)
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(np.nanmean(v, axis=1))


def user_metrics(rec: np.ndarray, test: sp.csr_matrix, item_share: np.ndarray, ks=(10,)) -> dict[str, np.ndarray]:
    """Per-user arrays for ``recall@k``, ``ndcg@k``, ``novelty@k`` (rows of ``rec`` and ``test`` aligned)."""
    out = {}
    for k in ks:
        out[f"ndcg@{k}"] = ndcg_at_k(rec, test, k)
        out[f"recall@{k}"] = recall_at_k(rec, test, k)
        out[f"novelty@{k}"] = novelty_at_k(rec, item_share, k)
    return out


def _coverage_boot(rec: np.ndarray, n_items: int, k: int, W: np.ndarray) -> np.ndarray:
    r = rec[:, :k]
    rows, cols = np.nonzero(r >= 0)
    R = sp.csr_matrix((np.ones(rows.size), (rows, r[rows, cols])), shape=(len(r), n_items))
    return np.asarray((sp.csr_matrix(W) @ R).toarray() > 0).mean(axis=1)


def bootstrap(
    model: dict[str, np.ndarray],
    baseline: dict[str, np.ndarray],
    rec_model: np.ndarray,
    rec_base: np.ndarray,
    n_items: int,
    ks=(10,),
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict:
    """Point values and paired percentile-bootstrap intervals (users resampled) for model, baseline and the
    improvement (model minus baseline; every metric here is higher-is-better)."""
    n = len(rec_model)
    rng = np.random.default_rng(seed)
    W = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float32) if n else np.zeros((n_boot, 0))
    a = (1 - level) / 2
    out: dict = {"model": {}, "baseline": {}, "improvement": {}}

    def summ(value, sample, centre: bool = False):
        lo, hi = np.quantile(sample, [a, 1 - a]) if n else (np.nan, np.nan)
        if centre and n:  # a set metric shrinks under resampling (repeated users): centre the interval on it
            lo, hi = lo + value - sample.mean(), hi + value - sample.mean()
        f = lambda x: None if not np.isfinite(x) else float(x)
        return {"value": f(value), "ci": [f(lo), f(hi)]}

    for name in model:
        m, b = model[name], baseline[name]
        sm = W @ m / n if n else np.zeros(n_boot)
        sb = W @ b / n if n else np.zeros(n_boot)
        out["model"][name] = summ(m.mean() if n else np.nan, sm)
        out["baseline"][name] = summ(b.mean() if n else np.nan, sb)
        out["improvement"][name] = summ((m - b).mean() if n else np.nan, sm - sb)
    for k in ks:
        name = f"coverage@{k}"
        cm, cb = coverage_at_k(rec_model, n_items, k), coverage_at_k(rec_base, n_items, k)
        bm, bb = (_coverage_boot(rec_model, n_items, k, W), _coverage_boot(rec_base, n_items, k, W)) if n else (0, 0)
        out["model"][name] = summ(cm, bm, True)
        out["baseline"][name] = summ(cb, bb, True)
        out["improvement"][name] = summ(cm - cb, bm - bb, True)
    return out
