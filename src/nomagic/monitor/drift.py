"""Has a chunk moved away from the reference — in the columns the model uses, in its scores, in its rate?

Three statistics per chunk, each against a *reference* (rows of known outcome the champion did not
learn from, with its scores on them):

* **input drift**, weighted by importance: for every feature, how far the distribution of its
  contribution to the model's log-odds moved (the Wasserstein-1 distance, in log-odds), summed
  over the features. A column's weight is thus the model's own use of it: a calendar column the
  model ignores can move as it likes (its contributions stay near zero) and pages nobody, and a
  column's move counts by how much it moves the scores. Each column's population stability
  index (PSI on the reference's deciles or levels, as :func:`nomagic.lifecycle.shift.psi`) is
  reported next to it as evidence, with its importance (mean absolute contribution, as a share).
* **prediction drift**: the PSI of the model's scores (log-odds) on the reference's deciles.
* **prior shift**: how far the positive rate read off the scores (adjusted classify and count)
  lies from the reference's rate.

Two more statistics measure what the label-free *performance* estimates can say (they decide
whether drift pages anyone, :mod:`nomagic.monitor.alerts`):

* **auc**: how far the label-free ROC-AUC of the chunk (:func:`~nomagic.monitor.estimate.expected_auc`)
  lies below the reference's own (a drop; negative when it rose);
* **fit**: how far the chunk's scores lie from a mixture of the reference positives' and
  negatives' scores (:func:`~nomagic.monitor.estimate.misfit`): within its noise, a rate read off
  the scores can be trusted (a pure prior shift); beyond it, the scores moved for another reason.

No fixed cut-offs (the usual "PSI above 0.1"): the noise level of each statistic is measured on
the reference itself, by the bootstrap (a resampled reference against a resampled chunk of the
same size, :data:`N_NULL` times). A chunk *exceeds* when a statistic lies above the
:data:`EXCEED_Q` quantile of that noise; it is *severe* beyond :data:`SEVERE_FACTOR` times the
95 % quantile. What turns exceedances into an alert is :mod:`nomagic.monitor.alerts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nomagic.lifecycle.tabular import TabularPreprocessor
from nomagic.monitor.estimate import RateReference, expected_auc, misfit

#: bootstrap draws of the noise of each statistic
N_NULL = 200
#: a statistic above this quantile of its noise "exceeds" (2 of 3 consecutive such chunks alert); not
#: lower: consecutive chunks share one reference, whose own sampling error makes their exceedances correlated
EXCEED_Q = 0.99
#: a statistic beyond this many times its noise's 95 % quantile is severe on its own (about 1 in
#: 10,000 chunks under the noise for a chi-square-like PSI or a normal mean)
SEVERE_FACTOR = 2.0
STATS = ("input", "prediction", "prior")
#: the statistics of the label-free performance estimates (not drift: they are what drift may cost)
PERFORMANCE = ("auc", "fit")


def _psi(ca: np.ndarray, cb: np.ndarray) -> np.ndarray:
    """PSI of bin counts (last axis), smoothed by half a row per bin as in lifecycle.shift.psi."""
    pa = (ca + 0.5) / (ca.sum(axis=-1, keepdims=True) + 0.5 * ca.shape[-1])
    pb = (cb + 0.5) / (cb.sum(axis=-1, keepdims=True) + 0.5 * cb.shape[-1])
    return np.sum((pb - pa) * np.log(pb / pa), axis=-1)


def _edges(v: np.ndarray) -> np.ndarray:
    ok = v[np.isfinite(v)]
    return np.unique(np.quantile(ok, np.linspace(0, 1, 11)[1:-1])) if ok.size else np.array([])


def _bins(v: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(v), np.searchsorted(edges, v, side="right"), edges.size + 1)


def _logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


#: quantile levels at which two contribution distributions are compared (Wasserstein-1 on a grid)
_GRID = (np.arange(50) + 0.5) / 50


def _w1(Ca: np.ndarray, Cb: np.ndarray) -> np.ndarray:
    """Per column, the Wasserstein-1 distance of two samples (rows x columns), on a quantile grid."""
    return np.mean(np.abs(np.quantile(Ca, _GRID, axis=0) - np.quantile(Cb, _GRID, axis=0)), axis=0)


@dataclass
class DriftReference:
    """The reference rows of one champion, binned, and the noise level of each statistic on them.

    Build it with :func:`build_reference`; :meth:`stats` measures a chunk against it.
    """

    pre: TabularPreprocessor
    contributions: object  # X -> (rows x features) contributions to the log-odds, in the preprocessor's order
    importance: np.ndarray  # per feature: share of the mean absolute contribution on the reference
    rate: RateReference
    T: np.ndarray  # the reference rows' values (numbers) and level codes (categories)
    C: np.ndarray  # the reference rows' contributions
    z: np.ndarray  # the reference rows' scores as log-odds
    chunk_rows: int
    noise: dict = field(default_factory=dict)  # stat -> {"noise": q, "severe": s}
    psi_noise: np.ndarray | None = None  # per feature: the EXCEED_Q quantile of its PSI's noise
    w1_noise: np.ndarray | None = None  # per feature: the same for its contribution's distance
    auc_level: float | None = None  # the label-free ROC-AUC of the reference rows themselves

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.pre.plans_]

    def _psi(self, T: np.ndarray, ref_T: np.ndarray) -> np.ndarray:
        """Per feature, the PSI of ``T`` against ``ref_T`` on the latter's deciles or levels."""
        out = np.empty(len(self.pre.plans_))
        for j, plan in enumerate(self.pre.plans_):
            if plan.kind == "numeric":
                e = _edges(ref_T[:, j])
                k = e.size + 2
                ca = np.bincount(_bins(ref_T[:, j], e), minlength=k)
                cb = np.bincount(_bins(T[:, j], e), minlength=k)
            else:
                k = len(plan.levels) + 1
                ca = np.bincount(ref_T[:, j].astype(int), minlength=k)
                cb = np.bincount(T[:, j].astype(int), minlength=k)
            out[j] = _psi(ca, cb)
        return out

    def _measure(self, T, C, z, ref_T, ref_C, ref_z, ref_p_mean) -> tuple[dict, np.ndarray, np.ndarray]:
        w1 = _w1(C, ref_C)
        e = _edges(ref_z)
        sa = np.bincount(_bins(ref_z, e), minlength=e.size + 2)
        sb = np.bincount(_bins(z, e), minlength=e.size + 2)
        y = self.rate.y.astype(bool)
        m1, m0 = self.rate.p[y].mean(), self.rate.p[~y].mean()
        p_mean = float(np.mean(1 / (1 + np.exp(-z))))
        prior = abs(p_mean - ref_p_mean) / max(m1 - m0, 1e-6)
        values = {"input": float(w1.sum()), "prediction": float(_psi(sa, sb)), "prior": float(prior)}
        return values, w1, self._psi(T, ref_T)

    def _fit_value(self, z, ref_z, ref_y) -> float:
        """:func:`misfit` of scores ``z`` against the reference rows ``ref_z`` (outcomes ``ref_y``), at
        the rate adjusted classify and count reads off them."""
        y = ref_y.astype(bool)
        p = 1 / (1 + np.exp(-z))
        pr = 1 / (1 + np.exp(-ref_z))
        m1, m0 = pr[y].mean(), pr[~y].mean()
        rate = (p.mean() - m0) / (m1 - m0) if m1 > m0 else None
        return misfit(z, ref_z[y], ref_z[~y], rate)

    def stats(self, X: pd.DataFrame, p, auc: float | None = None) -> dict:
        """The chunk's statistics with their noise levels, and every feature's drift and importance.

        ``auc``: the chunk's label-free ROC-AUC as reported (None where it was withheld); its drop
        below the reference's own is the ``auc`` statistic (value None where there is none)."""
        T = self.pre.tree_matrix(X[self.names])
        C = np.asarray(self.contributions(X[self.names]), dtype=float)
        z = _logit(p)
        values, w1, psi = self._measure(T, C, z, self.T, self.C, self.z, float(np.mean(self.rate.p)))
        out = {s: {"value": round(values[s], 6), **self.noise[s]} for s in STATS}
        drop = None if auc is None or self.auc_level is None else round(self.auc_level - auc, 6)
        out["auc"] = {"value": drop, "level": self.auc_level, **self.noise["auc"]}
        fit = self._fit_value(z, self.z, self.rate.y)
        out["fit"] = {"value": round(fit, 6) if np.isfinite(fit) else None, **self.noise["fit"]}
        out["features"] = [
            {
                "column": name,
                "shift": round(float(w1[j]), 4),
                "shift_noise": round(float(self.w1_noise[j]), 4),
                "psi": round(float(psi[j]), 4),
                "psi_noise": round(float(self.psi_noise[j]), 4),
                "importance": round(float(self.importance[j]), 4),
            }
            for j, name in enumerate(self.names)
        ]
        return out


def build_reference(
    X: pd.DataFrame, rate: RateReference, contributions, *, chunk_rows: int, seed: int = 0
) -> DriftReference:
    """Bin the reference rows and measure each statistic's noise for chunks of ``chunk_rows`` rows.

    ``rate`` holds the reference rows' outcomes and the champion's out-of-sample probabilities on
    them; ``contributions(X)`` gives the champion's per-column contributions to its log-odds
    (a frame with the columns of ``X``)."""
    pre = TabularPreprocessor(curves=False).fit(X)
    names = [p.name for p in pre.plans_]

    def contrib(Z: pd.DataFrame) -> np.ndarray:
        frame = contributions(Z)
        return np.column_stack([frame[n].to_numpy(dtype=float) if n in frame else np.zeros(len(Z)) for n in names])

    C = contrib(X)
    mean_abs = np.abs(C).mean(axis=0)
    importance = mean_abs / mean_abs.sum() if mean_abs.sum() > 0 else np.full(len(names), 1 / max(len(names), 1))
    T = pre.tree_matrix(X)
    ref = DriftReference(pre, contrib, importance, rate, T, C, _logit(rate.p), chunk_rows)
    rng = np.random.default_rng(seed)
    n = len(X)
    draws = {s: [] for s in STATS + PERFORMANCE}
    w1_draws, psi_draws = [], []
    cal = rate.calibrate(rate.p)
    ref.auc_level = expected_auc(cal)
    for _ in range(N_NULL):
        # the bootstrap world: a reference and a chunk, both drawn afresh from the reference rows
        a = rng.integers(0, n, n)
        b = rng.integers(0, n, chunk_rows)
        values, w1, psi = ref._measure(T[b], C[b], ref.z[b], T[a], C[a], ref.z[a], float(np.mean(rate.p[a])))
        for s in STATS:
            draws[s].append(values[s])
        w1_draws.append(w1)
        psi_draws.append(psi)
        level, got = expected_auc(cal[a]), expected_auc(cal[b])
        if level is not None and got is not None:
            draws["auc"].append(level - got)
        if min(rate.y[a].sum(), (1 - rate.y[a]).sum()) > 0:
            draws["fit"].append(ref._fit_value(ref.z[b], ref.z[a], rate.y[a]))
    for s in STATS + PERFORMANCE:
        d = np.asarray(draws[s], dtype=float)
        d = d[np.isfinite(d)]
        if d.size == 0:  # no draw could measure it (a model that does not separate the outcomes): never exceeded
            ref.noise[s] = {"noise": None, "severe": None}
            continue
        ref.noise[s] = {
            "noise": round(float(np.quantile(d, EXCEED_Q)), 6),
            "severe": round(float(SEVERE_FACTOR * np.quantile(d, 0.95)), 6),
        }
    ref.w1_noise = np.quantile(np.asarray(w1_draws), EXCEED_Q, axis=0)
    ref.psi_noise = np.quantile(np.asarray(psi_draws), EXCEED_Q, axis=0)
    return ref
