"""Pareto-smoothed importance sampling (PSIS; Vehtari, Simpson, Gelman, Yao & Gabry 2024).

Draws from an approximation ``q`` (here the Laplace Gaussian) are reweighted by ``p / q`` to
stand for the exact posterior ``p``. The largest raw weights are noisy; PSIS fits a generalised
Pareto distribution to them and replaces them by its expected order statistics. The fitted shape
``k`` is the diagnostic: below 0.7 the reweighted draws are reliable (and the smaller ``k``, the
closer ``q`` was to ``p``); above 0.7 the importance sampling estimates may be far off.

The fit is Zhang & Stephens' (2009) empirical Bayes estimate with the weakly informative prior of
the ``loo`` R package, written in numpy.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(0.0, 1.0, 4000)             # q = Normal(0, 1), p = Normal(0.2, 1)
>>> lw, k = psis(-0.5 * (x - 0.2) ** 2 + 0.5 * x**2)
>>> bool(k < 0.5), round(float(np.sum(np.exp(lw) * x)), 1)
(True, 0.2)
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

K_RELIABLE = 0.7  # above it, importance sampling is not to be trusted


def _gpd_fit(x: np.ndarray) -> tuple[float, float]:
    """Shape ``k`` and scale ``sigma`` of a generalised Pareto fitted to sorted exceedances ``x`` (> 0)."""
    n = len(x)
    m = 30 + int(np.sqrt(n))
    b = 1 - np.sqrt(m / (np.arange(1, m + 1, dtype=float) - 0.5))
    b = b / (3 * x[int(n / 4 + 0.5) - 1]) + 1 / x[-1]
    k = np.log1p(-b[:, None] * x).mean(axis=1)
    ll = n * (np.log(-(b / k)) - k - 1)
    w = 1 / np.exp(ll - ll[:, None]).sum(axis=1)
    keep = w >= 10 * np.finfo(float).eps
    w, b = w[keep] / w[keep].sum(), b[keep]
    b_post = float(np.sum(b * w))
    k_post = float(np.log1p(-b_post * x).mean())
    sigma = -k_post / b_post
    k_post = (n * k_post + 10 * 0.5) / (n + 10)  # prior: k shrunk towards 0.5 with weight 10
    return k_post, sigma


def psis(log_ratio: np.ndarray) -> tuple[np.ndarray, float]:
    """Normalised, Pareto-smoothed log weights and the Pareto ``k`` of ``log p - log q`` per draw."""
    lw = np.asarray(log_ratio, float).copy()
    n = len(lw)
    lw[~np.isfinite(lw)] = -np.inf
    lw -= np.max(lw)
    tail = int(np.ceil(min(0.2 * n, 3 * np.sqrt(n))))
    order = np.argsort(lw)
    cut = max(lw[order[-tail - 1]], np.log(np.finfo(float).tiny))
    idx = np.flatnonzero(lw > cut)
    k = np.inf
    if len(idx) > 4:
        idx = idx[np.argsort(lw[idx])]
        exc = np.exp(lw[idx]) - np.exp(cut)
        k, sigma = _gpd_fit(exc)
        if np.isfinite(k):
            p = (np.arange(len(idx)) + 0.5) / len(idx)
            q = sigma * np.expm1(-k * np.log1p(-p)) / k if abs(k) > 1e-12 else -sigma * np.log1p(-p)
            lw[idx] = np.minimum(np.log(q + np.exp(cut)), 0.0)
    return lw - logsumexp(lw), float(k)


def resample(log_weights: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``size`` draws taken with probability ``exp(log_weights)`` (systematic resampling)."""
    w = np.exp(log_weights - logsumexp(log_weights))
    cum = np.cumsum(w)
    cum[-1] = 1.0
    pos = (rng.random() + np.arange(size)) / size
    out = np.searchsorted(cum, pos, side="right")
    return rng.permutation(np.minimum(out, len(w) - 1))


def ess(log_weights: np.ndarray) -> float:
    """Effective sample size of normalised importance weights: ``1 / sum(w^2)``."""
    w = np.exp(log_weights - logsumexp(log_weights))
    return float(1.0 / np.sum(w**2))


__all__ = ["K_RELIABLE", "ess", "psis", "resample"]
