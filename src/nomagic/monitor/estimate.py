"""What a chunk of scored, unlabelled rows says about itself: its positive rate and the model's ROC-AUC.

* **Positive rate** (prior shift): probabilistic adjusted classify and count
  (:func:`nomagic.lifecycle.shift.estimate_rate`, Bella et al. 2010) and EM prior adjustment
  (Saerens et al. 2002) on the champion's calibrated probabilities, each with a bootstrap interval
  (the chunk's rows and the reference rows resampled). Both assume that only the rate moved.
* **Which rate is reported** is decided on the labelled history, never assumed: each method's
  past estimates are compared with the rates the labels later showed, next to the naive answer
  "the positive rate of the last labelled chunk"; a method is used only while it beats that answer
  (:func:`choose_rate`).
* **ROC-AUC without labels** (CBPE-like, Sakai/NannyML): the probabilities, moved to the estimated
  rate, taken as calibrated, give the expected share of (positive, negative) pairs ranked right.
  It is finite by construction (no ratio of two near-zero sums is taken without a guard) and it is
  withheld, with the reason, where it cannot be trusted: scores outside the reference's range, or
  no rate readable off the scores.
* **Can a rate read off the scores be trusted?** Both rate methods assume a pure prior shift: the
  chunk's scores are then a mixture of the reference positives' and negatives' scores, in the
  proportion of the new rate. :func:`misfit` measures how far they lie from that mixture (the
  Wasserstein-1 distance in log-odds); its noise comes from the reference (see
  :mod:`nomagic.monitor.drift`). Scores that moved unlike a mixture (inputs that trend, a cohort
  that ages) say that something moved, not that the rate did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nomagic.lifecycle import shift as sh
from nomagic.words import Text, say

#: bootstrap resamples of a rate estimate's interval (means only: cheap)
N_BOOT = 200
#: a rate method is trusted only after this many labelled chunks validated it (fewer: a standard error
#: of three differences is itself noise, and one lucky run let a wild estimate through on the bench)
MIN_VALIDATION = 5
#: more than this share of a chunk's scores outside the reference's 0.5-99.5 % range: no AUC estimate
OUTSIDE_SCORES = 0.2


@dataclass
class RateReference:
    """What a rate estimate needs of the reference: out-of-sample probabilities and their outcomes."""

    y: np.ndarray  # 0/1 outcomes of the reference rows
    p: np.ndarray  # the champion's out-of-sample probabilities on them

    def __post_init__(self):
        # EM and the ROC-AUC estimate need calibrated probabilities: Platt scaling on the reference
        # rows (the champion's own calibration was learnt on other rows, in another world perhaps)
        from sklearn.linear_model import LogisticRegression

        z = _logit(self.p)[:, None]
        fit = LogisticRegression(C=1e4).fit(z, self.y)
        self._platt = (float(fit.coef_[0, 0]), float(fit.intercept_[0]))

    def calibrate(self, p) -> np.ndarray:
        """``p`` calibrated on the reference rows (their positive rate is what the result assumes)."""
        a, b = self._platt
        return 1 / (1 + np.exp(-(a * _logit(p) + b)))

    @property
    def rate(self) -> float:
        return float(np.mean(self.y))

    @property
    def score_range(self) -> tuple[float, float]:
        lo, hi = np.quantile(self.p, [0.005, 0.995])
        return float(lo), float(hi)


def _logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def acc_raw(p_chunk, ref: RateReference) -> float | None:
    """Adjusted classify and count, unclipped (a rate outside 0..1 says the scores moved unlike a
    pure prior shift); None when the model does not separate the outcomes on the reference."""
    y = ref.y.astype(bool)
    m1, m0 = ref.p[y].mean(), ref.p[~y].mean()
    if not m1 > m0:
        return None
    return float((np.mean(p_chunk) - m0) / (m1 - m0))


def outside_share(p_chunk, ref: RateReference) -> float:
    """The share of a chunk's scores outside the reference's 0.5-99.5 % range."""
    p_chunk = np.asarray(p_chunk, dtype=float)
    lo, hi = ref.score_range
    return float(np.mean((p_chunk < lo) | (p_chunk > hi)))


def misfit(z_chunk, z_pos, z_neg, rate: float | None) -> float:
    """How far a chunk's scores (log-odds) lie from the mixture ``rate`` x positives' + (1 - rate) x
    negatives' scores of the reference: the Wasserstein-1 distance of the two distributions (exact:
    the integral of the absolute difference of their step CDFs). Infinite when no rate was read."""
    if rate is None:
        return float("inf")
    rate = min(max(float(rate), 0.0), 1.0)
    z_chunk, z_pos, z_neg = (np.sort(np.asarray(v, dtype=float)) for v in (z_chunk, z_pos, z_neg))
    grid = np.sort(np.concatenate([z_chunk, z_pos, z_neg]))

    def cdf(v):
        return np.searchsorted(v, grid, side="right") / v.size

    gap = np.abs(cdf(z_chunk) - rate * cdf(z_pos) - (1 - rate) * cdf(z_neg))
    return float(np.sum(gap[:-1] * np.diff(grid)))


def em_rate(p_chunk, train_rate: float, *, max_iter: int = 200, tol: float = 1e-6) -> float:
    """EM prior adjustment (Saerens et al. 2002): the rate at which the moved probabilities' mean is the rate."""
    rate = float(np.mean(p_chunk))
    for _ in range(max_iter):
        new = float(np.mean(sh.move_prior(p_chunk, train_rate, min(max(rate, 1e-6), 1 - 1e-6))))
        if abs(new - rate) < tol:
            return new
        rate = new
    return rate


def rate_estimates(p_chunk, ref: RateReference, *, seed: int = 0) -> dict:
    """Both label-free estimates of a chunk's positive rate with 95 % bootstrap intervals.

    ``{"acc": {"value", "ci"} | None, "em": {"value", "ci"}, "acc_raw": float | None}``: ``acc``
    is None when no rate in 0..1 explains the scores (see :func:`nomagic.lifecycle.shift.estimate_rate`).
    """
    p_chunk = np.asarray(p_chunk, dtype=float)
    raw = acc_raw(p_chunk, ref)
    rng = np.random.default_rng(seed)
    n = p_chunk.size
    pos, neg = ref.p[ref.y == 1], ref.p[ref.y == 0]
    means = p_chunk[rng.integers(0, n, (N_BOOT, n))].mean(axis=1)
    m1 = pos[rng.integers(0, pos.size, (N_BOOT, pos.size))].mean(axis=1)
    m0 = neg[rng.integers(0, neg.size, (N_BOOT, neg.size))].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        draws = np.clip((means - m0) / (m1 - m0), 0.0, 1.0)
    out: dict = {"acc_raw": None if raw is None else round(raw, 6)}
    if raw is not None and 0.0 < raw < 1.0:
        lo, hi = np.nanquantile(draws, [0.025, 0.975])
        out["acc"] = {"value": round(raw, 6), "ci": [round(float(lo), 6), round(float(hi), 6)]}
    else:
        out["acc"] = None
    cal = ref.calibrate(p_chunk)
    em = em_rate(cal, ref.rate)
    # the EM interval: the chunk's rows resampled (the reference rate is taken as known)
    em_draws = [em_rate(cal[rng.integers(0, n, n)], ref.rate, max_iter=50, tol=1e-4) for _ in range(40)]
    lo, hi = np.quantile(em_draws, [0.025, 0.975])
    out["em"] = {"value": round(em, 6), "ci": [round(float(lo), 6), round(float(hi), 6)]}
    return out


METHODS = {
    "acc": ("adjusted classify and count", "angepasstes Klassifizieren und Zählen"),
    "em": ("EM prior adjustment", "EM-Anpassung der Priori-Quote"),
    "last_labelled": (
        "the positive rate of the last labelled chunk",
        "die Positivquote des letzten beschrifteten Blocks",
    ),
}


def method_words(method: str) -> Text:
    return say(*METHODS[method])


def choose_rate(history: list[dict], candidates: dict) -> tuple[str, float, list | None, Text, dict]:
    """Which rate to report for this chunk, by validation on the labelled history.

    ``history``: one dict per earlier chunk whose labels are known now, with ``realized`` and the
    value each method gave then (``acc``, ``em``, ``last_labelled``; ``None`` where a method gave
    none, which then counts as the naive answer). ``candidates``: this chunk's ``{method: {"value",
    "ci"} | None}``. Returns ``(method, value, ci, why, mae)`` where ``mae`` holds each method's
    validation error. The naive answer is kept unless a method was better on at least
    :data:`MIN_VALIDATION` chunks, by more than one standard error of the paired difference of the
    absolute errors.
    """
    base = candidates["last_labelled"]
    mae, gain = {}, {}
    if len(history) >= MIN_VALIDATION:
        truth = np.array([h["realized"] for h in history])
        naive = np.array([h["last_labelled"] for h in history])
        mae["last_labelled"] = float(np.mean(np.abs(naive - truth)))
        for m in ("acc", "em"):
            got = np.array([naive[i] if h.get(m) is None else h[m] for i, h in enumerate(history)])
            mae[m] = float(np.mean(np.abs(got - truth)))
            # one-standard-error rule, as in the model choice: a method must beat the naive rate by
            # more than the noise of the paired difference of their errors, not by luck on a few chunks
            d = np.abs(naive - truth) - np.abs(got - truth)
            gain[m] = float(d.mean() - d.std(ddof=1) / np.sqrt(d.size))
    if not mae:
        why = say(
            "{n} labelled chunk(s) so far, fewer than the {k} needed to validate a label-free estimate: the positive "
            "rate of the last labelled chunk is used",
            "bisher {n} beschriftete(r) Block/Blöcke, weniger als die {k}, die eine Schätzung ohne Labels zur "
            "Validierung braucht: die Positivquote des letzten beschrifteten Blocks wird verwendet",
            n=len(history),
            k=MIN_VALIDATION,
        )
        return "last_labelled", base["value"], None, why, mae
    best = max(("acc", "em"), key=lambda m: gain[m])
    if gain[best] > 0 and candidates.get(best) is not None:
        why = say(
            "{m}: on {n} labelled chunks its mean absolute error was {e:.3f} against {b:.3f} for the last labelled "
            "chunk's rate, lower by more than one standard error",
            "{m}: auf {n} beschrifteten Blöcken betrug ihr mittlerer absoluter Fehler {e:.3f} gegenüber {b:.3f} für "
            "die Quote des letzten beschrifteten Blocks, um mehr als einen Standardfehler niedriger",
            m=method_words(best),
            n=len(history),
            e=mae[best],
            b=mae["last_labelled"],
        )
        c = candidates[best]
        return best, c["value"], c["ci"], why, mae
    if gain[best] > 0:
        why = say(
            "{m} validated better ({e:.3f} against {b:.3f}) but reads no rate off this chunk's scores (they look "
            "unlike either outcome's reference rows): the last labelled chunk's rate is used",
            "{m} war in der Validierung besser ({e:.3f} gegenüber {b:.3f}), liest aber aus den Werten dieses Blocks "
            "keine Quote ab (sie gleichen keinem der beiden Ausgänge der Referenz): die Quote des letzten "
            "beschrifteten Blocks wird verwendet",
            m=method_words(best),
            e=mae[best],
            b=mae["last_labelled"],
        )
    else:
        why = say(
            "the label-free estimates did not beat the last labelled chunk's rate by more than one standard error on "
            "{n} labelled chunks (mean absolute error {e:.3f} for {m} against {b:.3f}): that rate is used",
            "die Schätzungen ohne Labels waren auf {n} beschrifteten Blöcken nicht um mehr als einen Standardfehler "
            "besser als die Quote des letzten beschrifteten Blocks (mittlerer absoluter Fehler {e:.3f} für {m} "
            "gegenüber {b:.3f}): diese Quote wird verwendet",
            n=len(history),
            e=mae[best],
            m=method_words(best),
            b=mae["last_labelled"],
        )
    return "last_labelled", base["value"], None, why, mae


#: an estimator is refuted by the labelled history from this many chunks on (refuting only stops a page, so
#: fewer chunks than :data:`MIN_VALIDATION` do)
MIN_REFUTE = 3
#: and by this many standard errors (about 97.5 % one-sided)
Z_REFUTE = 2.0


def refuted(history: list[dict], method: str = "acc") -> bool:
    """Has the labelled history shown ``method``'s rate surely worse than the last labelled chunk's rate:
    by more than :data:`Z_REFUTE` standard errors of the paired difference of their absolute errors?
    Where it has, a rate read off the scores is not believed even when the scores look like a pure
    prior shift. (Stricter than :func:`choose_rate`'s one standard error: on a stationary stream the two
    are about as good, and one standard error would refute the estimator there one time in six.)"""
    if len(history) < MIN_REFUTE:
        return False
    truth = np.array([h["realized"] for h in history])
    naive = np.array([h["last_labelled"] for h in history])
    got = np.array([naive[i] if h.get(method) is None else h[method] for i, h in enumerate(history)])
    d = np.abs(naive - truth) - np.abs(got - truth)
    return bool(d.mean() + Z_REFUTE * d.std(ddof=1) / np.sqrt(d.size) < 0)


def expected_auc(p) -> float | None:
    """The ROC-AUC expected when ``p`` are calibrated probabilities of the rows' outcomes.

    Each pair (i, j), i != j, counts as (positive, negative) with weight p_i (1 - p_j), ranked right
    when p_i > p_j (ties: half). None when the expected numbers of positives or negatives are too
    small for a pair to exist."""
    p = np.asarray(p, dtype=float)
    u, inv = np.unique(p, return_inverse=True)
    P = np.bincount(inv, weights=p, minlength=u.size)
    Q = np.bincount(inv, weights=1 - p, minlength=u.size)
    R = np.bincount(inv, weights=p * (1 - p), minlength=u.size)
    below = np.concatenate([[0.0], np.cumsum(Q)[:-1]])
    num = float(np.sum(P * below) + 0.5 * np.sum(P * Q - R))
    den = float(P.sum() * Q.sum() - R.sum())
    if den < 1.0:  # fewer than about one expected (positive, negative) pair
        return None
    return min(1.0, max(0.0, num / den))


def auc_estimate(p_chunk, ref: RateReference, rate: float | None) -> tuple[float | None, Text | None]:
    """The label-free ROC-AUC of a chunk, or None with the reason it cannot be trusted."""
    p_chunk = np.asarray(p_chunk, dtype=float)
    lo, hi = ref.score_range
    outside = outside_share(p_chunk, ref)
    if outside > OUTSIDE_SCORES:
        return None, say(
            "{s:.0%} of the chunk's scores lie outside the reference's range ({lo:.3f} to {hi:.3f}): nothing says how "
            "well such scores rank, so no ROC-AUC is estimated",
            "{s:.0%} der Werte des Blocks liegen außerhalb des Bereichs der Referenz ({lo:.3f} bis {hi:.3f}): nichts "
            "sagt, wie gut solche Werte reihen, deshalb wird keine ROC-AUC geschätzt",
            s=outside,
            lo=lo,
            hi=hi,
        )
    if rate is None:
        return None, say(
            "no positive rate can be read off the chunk's scores (they look unlike either outcome's reference rows), "
            "so the probabilities cannot be corrected and no ROC-AUC is estimated",
            "aus den Werten des Blocks lässt sich keine Positivquote ablesen (sie gleichen keinem der beiden Ausgänge "
            "der Referenz), deshalb können die Wahrscheinlichkeiten nicht korrigiert werden und es wird keine ROC-AUC "
            "geschätzt",
        )
    auc = expected_auc(sh.move_prior(ref.calibrate(p_chunk), ref.rate, min(max(rate, 1e-4), 1 - 1e-4)))
    if auc is None:
        return None, say(
            "the chunk holds too few expected positives or negatives for a ROC-AUC",
            "der Block enthält zu wenige erwartete Positive oder Negative für eine ROC-AUC",
        )
    return round(auc, 6), None
