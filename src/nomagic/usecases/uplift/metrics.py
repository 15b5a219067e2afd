"""Uplift metrics: Qini and uplift curves, their normalised areas, uplift at k, with bootstrap CIs.

Definitions follow scikit-uplift's (the reference the issue names), written here from the
definitions so that every metric can be computed for many bootstrap resamples at once (rows are
sorted once per score; a resample is a vector of row weights):

* **Qini curve** at the top ``n`` rows by predicted uplift: ``Y_t(n) - Y_c(n) * N_t(n) / N_c(n)``,
  the treated responders minus the control responders scaled to the treated group's size.
* **Uplift curve**: ``(Y_t(n) / N_t(n) - Y_c(n) / N_c(n)) * n``.
* **qini_auc / uplift_auc**: the area between the curve and the random line from (0, 0) to the
  curve's end point, divided by the same area of the perfect ranking. 1 is perfect, 0 random;
  negative is worse than random. The perfect Qini ranking puts treated responders first and
  control responders last (negative effects allowed); the perfect uplift ranking is scikit-uplift's.
* **uplift_at_30**: among the top 30 % of all rows by predicted uplift, the response rate of the
  treated minus that of the control rows.

Curve points are taken at distinct score values only, so tied scores count as one block.

Examples
--------
>>> import numpy as np
>>> y = np.array([1, 0, 0, 1, 0, 1, 0, 0]); t = np.array([1, 1, 0, 0, 1, 1, 0, 0])
>>> good = np.array([.9, .1, .2, .0, .3, .8, .4, .5])
>>> round(qini_auc(y, good, t), 3) > 0, round(qini_auc(y, -good, t), 3) < 0
(True, True)
"""

from __future__ import annotations

import numpy as np

from nomagic.errors import InputError
from nomagic.words import say

UPLIFT_METRICS = ("qini_auc", "uplift_auc", "uplift_at_30", "uplift_at_10")


def check_inputs(y, score, treatment) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    s = np.asarray(score, dtype=float)
    t = np.asarray(treatment, dtype=float)
    if not (y.shape == s.shape == t.shape) or y.ndim != 1:
        raise InputError(
            say(
                "labels, scores and treatment flags must be 1-d and of the same length",
                "Labels, Scores und Treatment-Kennzeichen müssen eindimensional und gleich lang sein",
            )
        )
    if not np.isin(y, (0.0, 1.0)).all() or not np.isin(t, (0.0, 1.0)).all():
        raise InputError(
            say("labels and treatment flags must be 0/1", "Labels und Treatment-Kennzeichen müssen 0/1 sein")
        )
    if not np.isfinite(s).all():
        raise InputError(say("uplift scores must be finite numbers", "Uplift-Scores müssen endliche Zahlen sein"))
    if t.min() == t.max():
        raise InputError(
            say(
                "uplift needs both treated and control rows",
                "Uplift braucht sowohl Zeilen mit Treatment als auch Kontrollzeilen",
            )
        )
    return y, s, t


class _Ranked:
    """Rows sorted once by a score; cumulative sums at the end of each block of tied scores."""

    def __init__(self, y: np.ndarray, score: np.ndarray, t: np.ndarray):
        order = np.argsort(-score, kind="mergesort")
        self.y, self.t = y[order], t[order]
        s = score[order]
        self.ends = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]  # last row of each tie block
        self.order = order

    def _cums(self, W: np.ndarray):
        W = W[:, self.order]
        yt, yc = self.y * self.t, self.y * (1 - self.t)
        n = np.cumsum(W, axis=1)[:, self.ends]
        nt = np.cumsum(W * self.t, axis=1)[:, self.ends]
        ct = np.cumsum(W * yt, axis=1)[:, self.ends]
        cc = np.cumsum(W * yc, axis=1)[:, self.ends]
        return n, nt, n - nt, ct, cc

    def qini_points(self, W):
        n, nt, nc, ct, cc = self._cums(W)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = ct - np.where(nc > 0, cc * nt / nc, 0.0)
        return n, v

    def uplift_points(self, W):
        n, nt, nc, ct, cc = self._cums(W)
        with np.errstate(divide="ignore", invalid="ignore"):
            rt = np.where(nt > 0, ct / nt, 0.0)
            rc = np.where(nc > 0, cc / nc, 0.0)
        return n, (rt - rc) * n

    def at_k(self, W, k: float):
        n, nt, nc, ct, cc = self._cums(W)
        total = n[:, -1:]
        # the first block boundary that reaches k of all (weighted) rows
        idx = np.argmax(n >= k * total - 1e-9, axis=1)
        r = np.arange(n.shape[0])
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(
                (nt[r, idx] > 0) & (nc[r, idx] > 0), ct[r, idx] / nt[r, idx] - cc[r, idx] / nc[r, idx], np.nan
            )


def _area(x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Trapezoid area from (0, 0) through the points, minus the random line to the last point."""
    x0 = np.concatenate([np.zeros((x.shape[0], 1)), x], axis=1)
    v0 = np.concatenate([np.zeros((v.shape[0], 1)), v], axis=1)
    area = np.sum((x0[:, 1:] - x0[:, :-1]) * (v0[:, 1:] + v0[:, :-1]) / 2.0, axis=1)
    return area - x0[:, -1] * v0[:, -1] / 2.0


def _perfect_qini_score(y, t):
    return y * t - y * (1 - t)


def _perfect_uplift_score(y, t):
    control_responders = np.sum((y == 1) & (t == 0))
    treated_non_responders = np.sum((y == 0) & (t == 1))
    summand = y if control_responders > treated_non_responders else t
    return 2.0 * (y == t) + summand


class UpliftScorer:
    """All uplift metrics of one score for many resamples (``W``: resamples x rows weights)."""

    def __init__(self, y, score, treatment):
        y, s, t = check_inputs(y, score, treatment)
        self.model = _Ranked(y, s, t)
        self.perfect_qini = _Ranked(y, _perfect_qini_score(y, t), t)
        self.perfect_uplift = _Ranked(y, _perfect_uplift_score(y, t), t)
        self.n = y.size

    def compute(self, W: np.ndarray, names=UPLIFT_METRICS) -> dict[str, np.ndarray]:
        out = {}
        with np.errstate(divide="ignore", invalid="ignore"):
            if "qini_auc" in names:
                out["qini_auc"] = _area(*self.model.qini_points(W)) / _area(*self.perfect_qini.qini_points(W))
            if "uplift_auc" in names:
                out["uplift_auc"] = _area(*self.model.uplift_points(W)) / _area(*self.perfect_uplift.uplift_points(W))
        for name in names:
            if name.startswith("uplift_at_"):
                out[name] = self.model.at_k(W, int(name.rsplit("_", 1)[1]) / 100.0)
        return out


def qini_auc(y, score, treatment) -> float:
    """Normalised area under the Qini curve (scikit-uplift's ``qini_auc_score``, negative effects allowed)."""
    s = UpliftScorer(y, score, treatment)
    return float(s.compute(np.ones((1, s.n)), ("qini_auc",))["qini_auc"][0])


def uplift_auc(y, score, treatment) -> float:
    """Normalised area under the uplift curve (scikit-uplift's ``uplift_auc_score``)."""
    s = UpliftScorer(y, score, treatment)
    return float(s.compute(np.ones((1, s.n)), ("uplift_auc",))["uplift_auc"][0])


def uplift_at(y, score, treatment, k: float = 0.3) -> float:
    """Treated minus control response rate among the top ``k`` share of all rows by score."""
    s = UpliftScorer(y, score, treatment)
    return float(s.model.at_k(np.ones((1, s.n)), k)[0])


def qini_curve(y, score, treatment, points: int = 101) -> dict[str, list]:
    """The Qini curve at ``points`` shares of the population (for charts), with the random line."""
    y, s, t = check_inputs(y, score, treatment)
    r = _Ranked(y, s, t)
    n, v = r.qini_points(np.ones((1, y.size)))
    share = np.linspace(0, 1, points)
    x = np.r_[0.0, n[0]] / y.size
    q = np.interp(share, x, np.r_[0.0, v[0]])
    return {
        "share": share.round(4).tolist(),
        "qini": q.round(3).tolist(),
        "random": (share * v[0, -1]).round(3).tolist(),
    }


def bootstrap_uplift(
    y,
    treatment,
    scores: dict[str, np.ndarray],
    *,
    metrics=UPLIFT_METRICS,
    n_boot: int = 500,
    seed: int = 0,
    level: float = 0.95,
    pair: tuple[str, str] | None = ("model", "baseline"),
) -> dict[str, dict[str, dict]]:
    """Point values and percentile CIs for every score, and for ``pair[0]`` minus ``pair[1]`` (paired).

    Resamples are stratified by treatment group, so that each resample keeps the experiment's design.
    """
    y = np.asarray(y, dtype=float)
    t = np.asarray(treatment, dtype=float)
    scorers = {k: UpliftScorer(y, s, t) for k, s in scores.items()}
    n = y.size
    point = {k: {m: float(v[0]) for m, v in sc.compute(np.ones((1, n)), metrics).items()} for k, sc in scorers.items()}
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(t == g) for g in (0.0, 1.0)]
    draws: dict[str, dict[str, list]] = {k: {m: [] for m in metrics} for k in scorers}
    chunk = max(1, min(n_boot, int(2e6 // max(n, 1))))
    done = 0
    while done < n_boot:
        size = min(chunk, n_boot - done)
        W = np.zeros((size, n))
        for idx in groups:
            W[:, idx] = rng.multinomial(idx.size, np.full(idx.size, 1.0 / idx.size), size=size)
        for k, sc in scorers.items():
            for m, v in sc.compute(W, metrics).items():
                draws[k][m].append(v)
        done += size
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2

    def summary(value, sample):
        sample = sample[np.isfinite(sample)]
        if not np.isfinite(value) or sample.size == 0:
            return {"value": None, "ci": [None, None]}
        lo, hi = np.quantile(sample, [lo_q, hi_q])
        return {"value": round(float(value), 6), "ci": [round(float(lo), 6), round(float(hi), 6)]}

    arrays = {k: {m: np.concatenate(v[m]) for m in metrics} for k, v in draws.items()}
    out = {k: {m: summary(point[k][m], arrays[k][m]) for m in metrics} for k in scorers}
    if pair and pair[0] in scorers and pair[1] in scorers:
        a, b = pair
        out["improvement"] = {m: summary(point[a][m] - point[b][m], arrays[a][m] - arrays[b][m]) for m in metrics}
    return out
