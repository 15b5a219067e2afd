"""Metrics for binary scores, with paired bootstrap confidence intervals.

Every metric has a stable, plain name (``roc_auc``, ``pr_auc``, ``brier``, ``ece``, ``lift_at_10``,
``gain_at_10``, ``lift_at_20``, ``gain_at_20``, ``profit_at_10``) and a direction: for ``brier`` and
``ece`` lower is better, for the others higher. The *improvement* of a model over its baseline is
always oriented so that a positive number means "the model is better" (baseline minus model for
the lower-is-better metrics).

All metrics accept per-row weights, which is how the bootstrap works: a resample is a vector of
counts (how often each row, or each cluster of rows, was drawn), and every metric is computed for
many resamples at once as a weighted metric. The rows are sorted once per score.

Examples
--------
>>> import numpy as np
>>> y = np.array([0, 0, 1, 1]); p = np.array([0.1, 0.4, 0.35, 0.8])
>>> round(roc_auc(y, p), 2)
0.75
>>> round(ece(y, p), 3)
0.337
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nomagic.errors import InputError

N_BINS = 10


@dataclass(frozen=True)
class Metric:
    """A metric's stable name, direction and one line for people."""

    name: str
    higher_is_better: bool
    description: str


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("roc_auc", True, "ROC-AUC: chance that a random positive is ranked above a random negative"),
        Metric("pr_auc", True, "PR-AUC (average precision): precision averaged over recall levels"),
        Metric("brier", False, "Brier score: mean squared error of the probabilities"),
        Metric("ece", False, "expected calibration error, 10 equal-width bins"),
        Metric("lift_at_10", True, "positive rate in the top 10% of scores divided by the overall rate"),
        Metric("gain_at_10", True, "share of all positives found in the top 10% of scores"),
        Metric("lift_at_20", True, "positive rate in the top 20% of scores divided by the overall rate"),
        Metric("gain_at_20", True, "share of all positives found in the top 20% of scores"),
        Metric(
            "profit_at_10",
            True,
            "expected profit per 1,000 customers when the top 10% are contacted "
            "(value per success x positives reached - cost per contact x contacts)",
        ),
    )
}
#: the yes/no use cases' metrics; the others below belong to use cases with their own evaluation
DEFAULT_METRICS = tuple(METRICS)

METRICS.update(
    {
        m.name: m
        for m in (
            # customer value (clv): predicted vs actual orders per customer in the holdout period
            Metric("holdout_corr", True, "correlation of predicted and actual holdout orders per customer"),
            Metric("holdout_mae", False, "mean absolute error of holdout orders per customer"),
            Metric("holdout_rmse", False, "root mean squared error of holdout orders per customer"),
            Metric("holdout_total_error", False, "relative error of the summed holdout orders (absolute value)"),
            # recommendations: full-catalogue ranking of the later interactions
            *(
                Metric(f"{name}@{k}", True, f"{text} in the top {k}")
                for k in (5, 10, 20)
                for name, text in (
                    ("ndcg", "normalised discounted cumulative gain (binary relevance)"),
                    ("recall", "share of a user's later items found"),
                    ("precision", "share of recommended items the user later took"),
                    ("coverage", "share of the catalogue recommended to anyone"),
                    ("novelty", "mean self-information of the recommended items (less popular = more novel)"),
                    ("hit_rate", "share of users with at least one later item"),
                )
            ),
            # uplift targeting: ranking by the effect of a contact (scikit-uplift's definitions)
            Metric("qini_auc", True, "area under the Qini curve above random, relative to the perfect ranking"),
            Metric("uplift_auc", True, "area under the uplift curve above random, relative to the perfect ranking"),
            Metric("uplift_at_30", True, "treated minus control response rate among the top 30% by predicted uplift"),
            Metric("uplift_at_10", True, "treated minus control response rate among the top 10% by predicted uplift"),
            # send time: what a policy would get, from sends whose randomised hour matched its choice
            Metric("open_rate", True, "human open rate the send-time policy would get (IPS on randomised send hours)"),
            Metric("click_rate", True, "click rate the send-time policy would get (IPS on randomised send hours)"),
            # budget allocation (marketing-mix model): the target in the held-out last periods
            Metric("holdout_mape", False, "mean absolute percentage error of the target in the held-out last periods"),
            Metric(
                "holdout_r2", True, "R² of the target in the held-out last periods (1 - SSE / SS around their mean)"
            ),
            # language: classes of texts (sentiment, intents) and out-of-scope rejection
            Metric("macro_f1", True, "F1 per class averaged with equal weight per class"),
            Metric("accuracy", True, "share of rows whose predicted class is right"),
            Metric(
                "in_scope_accuracy",
                True,
                "among rows of intents known in training: share predicted right (rejected = wrong)",
            ),
            Metric("oos_recall", True, "among rows of intents never seen in training: share rejected as out of scope"),
            # bidding under a budget: what the bids buy in the replay of the later days of the log
            Metric("clicks", True, "clicks the bids buy in the replay of the test days at the budget"),
            Metric("conversions", True, "conversions the bids buy in the replay of the test days at the budget"),
            Metric("expected_clicks", True, "sum of the true click probability over the impressions won (simulator)"),
            # off-policy evaluation: a policy's mean reward per decision, estimated from logged decisions
            *(
                Metric(f"value_{k}", True, f"estimated mean reward per decision of the policy, {text}")
                for k, text in (
                    ("ips", "inverse propensity scoring (IPS)"),
                    ("snips", "self-normalised IPS"),
                    ("dm", "direct method (reward model)"),
                    ("dr", "doubly robust"),
                )
            ),
        )
    }
)


@dataclass(frozen=True)
class ProfitParams:
    """Money assumptions for ``profit_at_10``.

    Parameters
    ----------
    cost_per_contact : what one contact costs (a voucher, a call, an e-mail's share of a campaign).
    value_per_success : what one positive reached is worth: for churn, the value of a retained
        customer times the share of contacted churners you expect to keep; for propensity, the
        margin of an order you would otherwise not have had.
    """

    cost_per_contact: float = 1.0
    value_per_success: float = 20.0


def _check(y, p) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float).ravel()
    p = np.asarray(p, dtype=float).ravel()
    if y.shape != p.shape:
        raise InputError(f"labels ({y.size}) and scores ({p.size}) differ in length")
    if y.size == 0:
        raise InputError("no rows to evaluate")
    if not np.isin(y, (0.0, 1.0)).all():
        raise InputError("labels must be 0 or 1")
    if np.isnan(p).any():
        raise InputError("scores contain blanks (NaN)")
    return y, p


class _Sorted:
    """A score sorted once, with its tie groups, reused for every weight matrix."""

    def __init__(self, y: np.ndarray, p: np.ndarray):
        order = np.argsort(p, kind="mergesort")
        self.y = y[order]
        self.p = p[order]
        self.order = order
        self.starts = np.flatnonzero(np.r_[True, self.p[1:] != self.p[:-1]])
        bins = np.clip(np.floor(p * N_BINS).astype(int), 0, N_BINS - 1)
        self.bins_onehot = np.zeros((p.size, N_BINS))
        self.bins_onehot[np.arange(p.size), bins] = 1.0
        self.p_raw = p
        self.y_raw = y

    def compute(self, W: np.ndarray, names, profit: ProfitParams) -> dict[str, np.ndarray]:
        """Each metric for each row of the weight matrix ``W`` (resamples x rows, original order)."""
        out: dict[str, np.ndarray] = {}
        total = W.sum(axis=1)
        Ws = W[:, self.order]
        pos = Ws * self.y
        neg = Ws - pos
        P_g = np.add.reduceat(pos, self.starts, axis=1)  # ascending score groups
        N_g = np.add.reduceat(neg, self.starts, axis=1)
        P = P_g.sum(axis=1)
        N = N_g.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            if "roc_auc" in names:
                below = np.cumsum(N_g, axis=1) - N_g
                out["roc_auc"] = (P_g * (below + 0.5 * N_g)).sum(axis=1) / (P * N)
            if "pr_auc" in names:
                Pd, Nd = P_g[:, ::-1], N_g[:, ::-1]
                tp, fp = np.cumsum(Pd, axis=1), np.cumsum(Nd, axis=1)
                prec = np.where(tp + fp > 0, tp / np.where(tp + fp > 0, tp + fp, 1), 0.0)
                out["pr_auc"] = (Pd * prec).sum(axis=1) / P
            if "brier" in names:
                out["brier"] = W @ ((self.p_raw - self.y_raw) ** 2) / total
            if "ece" in names:
                wp = W @ (self.bins_onehot * self.p_raw[:, None])
                wy = W @ (self.bins_onehot * self.y_raw[:, None])
                out["ece"] = np.abs(wp - wy).sum(axis=1) / total
            G_w = (P_g + N_g)[:, ::-1]  # descending score groups
            G_rate = np.where(G_w > 0, P_g[:, ::-1] / np.where(G_w > 0, G_w, 1), 0.0)
            prev = np.cumsum(G_w, axis=1) - G_w
            for q in (10, 20):
                lift, gain = f"lift_at_{q}", f"gain_at_{q}"
                if lift in names or gain in names or (q == 10 and "profit_at_10" in names):
                    target = (q / 100) * total
                    incl = np.clip(target[:, None] - prev, 0.0, G_w)
                    top_pos = (incl * G_rate).sum(axis=1)
                    g = top_pos / P
                    if gain in names:
                        out[gain] = g
                    if lift in names:
                        out[lift] = g / (q / 100)
                    if q == 10 and "profit_at_10" in names:
                        gain_money = profit.value_per_success * top_pos - profit.cost_per_contact * target
                        out["profit_at_10"] = 1000.0 * gain_money / total
        return out


def compute(y, p, metrics=DEFAULT_METRICS, *, weights=None, profit: ProfitParams | None = None) -> dict[str, float]:
    """The named metrics for labels ``y`` (0/1) and probabilities ``p``, optionally weighted."""
    y, p = _check(y, p)
    unknown = set(metrics) - set(DEFAULT_METRICS)  # the other use cases' metrics are computed where they live
    if unknown:
        raise InputError(f"unknown metric(s) {sorted(unknown)} for yes/no scores; known: {', '.join(DEFAULT_METRICS)}")
    W = np.ones((1, y.size)) if weights is None else np.asarray(weights, dtype=float).reshape(1, -1)
    res = _Sorted(y, p).compute(W, set(metrics), profit or ProfitParams())
    return {m: float(res[m][0]) for m in metrics}


def roc_auc(y, p, weights=None) -> float:
    """Area under the ROC curve (ties count one half)."""
    return compute(y, p, ("roc_auc",), weights=weights)["roc_auc"]


def pr_auc(y, p, weights=None) -> float:
    """Average precision, as scikit-learn's ``average_precision_score`` computes it."""
    return compute(y, p, ("pr_auc",), weights=weights)["pr_auc"]


def brier(y, p, weights=None) -> float:
    """Mean squared difference between probability and outcome."""
    return compute(y, p, ("brier",), weights=weights)["brier"]


def ece(y, p, weights=None) -> float:
    """Expected calibration error over 10 equal-width probability bins."""
    return compute(y, p, ("ece",), weights=weights)["ece"]


def lift_at(y, p, q: int = 10, weights=None) -> float:
    """Positive rate in the top ``q`` % of scores over the overall rate (ties shared pro rata)."""
    if q not in (10, 20):
        raise InputError("lift is computed at the top 10% or 20%")
    return compute(y, p, (f"lift_at_{q}",), weights=weights)[f"lift_at_{q}"]


def gain_at(y, p, q: int = 10, weights=None) -> float:
    """Share of all positives in the top ``q`` % of scores."""
    if q not in (10, 20):
        raise InputError("gain is computed at the top 10% or 20%")
    return compute(y, p, (f"gain_at_{q}",), weights=weights)[f"gain_at_{q}"]


def expected_profit(y, p, *, cost_per_contact=1.0, value_per_success=20.0, weights=None) -> float:
    """Profit per 1,000 customers of contacting the top 10% (see :class:`ProfitParams`)."""
    params = ProfitParams(cost_per_contact, value_per_success)
    return compute(y, p, ("profit_at_10",), weights=weights, profit=params)["profit_at_10"]


def reliability_curve(y, p, n_bins: int = N_BINS) -> dict[str, list]:
    """Per equal-width bin: mean predicted probability, observed rate and count (empty bins left out)."""
    y, p = _check(y, p)
    bins = np.clip(np.floor(p * n_bins).astype(int), 0, n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    sp = np.bincount(bins, weights=p, minlength=n_bins)
    sy = np.bincount(bins, weights=y, minlength=n_bins)
    keep = count > 0
    return {
        "bin_lower": [round(b / n_bins, 4) for b in np.flatnonzero(keep)],
        "mean_predicted": (sp[keep] / count[keep]).round(5).tolist(),
        "observed_rate": (sy[keep] / count[keep]).round(5).tolist(),
        "count": count[keep].astype(int).tolist(),
    }


def lift_curve(y, p, n: int = 10) -> list[float]:
    """Lift of each of ``n`` score groups (highest scores first): group positive rate / overall rate."""
    y, p = _check(y, p)
    order = np.argsort(-p, kind="mergesort")
    groups = np.array_split(y[order], n)
    base = y.mean()
    return [round(float(g.mean() / base), 4) if base > 0 and g.size else float("nan") for g in groups]


# --------------------------------------------------------------------------- bootstrap


def _resample_weights(rng, n_rows: int, codes: np.ndarray | None, n_clusters: int, size: int) -> np.ndarray:
    if codes is None:
        return rng.multinomial(n_rows, np.full(n_rows, 1.0 / n_rows), size=size).astype(float)
    counts = rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=size).astype(float)
    return counts[:, codes]


def bootstrap(
    y,
    model,
    baseline=None,
    *,
    metrics=DEFAULT_METRICS,
    n_boot: int = 1000,
    seed: int = 0,
    clusters=None,
    profit: ProfitParams | None = None,
    level: float = 0.95,
) -> dict[str, dict[str, dict]]:
    """Point estimates and percentile bootstrap CIs for a model, its baseline and their difference.

    The resamples are *paired*: the model and the baseline are scored on the same resampled rows, so
    the interval of the difference is much narrower than the two intervals suggest.

    Parameters
    ----------
    y : 0/1 labels.
    model, baseline : probabilities of the model and (optionally) of the baseline, same rows.
    metrics : metric names (see :data:`METRICS`).
    n_boot : number of resamples.
    seed : random seed of the resampling.
    clusters : optional cluster id per row (e.g. the customer when one customer appears at several
        cutoffs); whole clusters are resampled.
    profit : money assumptions for ``profit_at_10``.
    level : coverage of the intervals.

    Returns
    -------
    ``{"model": {metric: {"value": v, "ci": [lo, hi]}}, "baseline": {...}, "improvement": {...}}``.
    The improvement is positive when the model is better (for ``brier`` and ``ece``: baseline minus
    model).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 500); good = np.clip(y * 0.5 + rng.random(500) * 0.5, 0, 1)
    >>> res = bootstrap(y, good, rng.random(500), metrics=("roc_auc",), n_boot=200)
    >>> res["improvement"]["roc_auc"]["ci"][0] > 0
    True
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _bootstrap(y, model, baseline, metrics, n_boot, seed, clusters, profit, level)


def _bootstrap(y, model, baseline, metrics, n_boot, seed, clusters, profit, level):
    y, pm = _check(y, model)
    metrics = tuple(metrics)
    profit = profit or ProfitParams()
    names = set(metrics)
    scores = {"model": _Sorted(y, pm)}
    if baseline is not None:
        _, pb = _check(y, baseline)
        scores["baseline"] = _Sorted(y, pb)
    codes, n_clusters = None, 0
    if clusters is not None:
        _, codes = np.unique(np.asarray(clusters), return_inverse=True)
        n_clusters = int(codes.max()) + 1
    n = y.size
    point = {k: s.compute(np.ones((1, n)), names, profit) for k, s in scores.items()}
    draws: dict[str, dict[str, list]] = {k: {m: [] for m in metrics} for k in scores}
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_boot, int(4e6 // max(n, 1))))
    done = 0
    while done < n_boot:
        size = min(chunk, n_boot - done)
        W = _resample_weights(rng, n, codes, n_clusters, size)
        for k, s in scores.items():
            res = s.compute(W, names, profit)
            for m in metrics:
                draws[k][m].append(res[m])
        done += size
    alpha = (1 - level) / 2
    out: dict[str, dict[str, dict]] = {}
    arrays = {k: {m: np.concatenate(v[m]) for m in metrics} for k, v in draws.items()}

    def summary(value: float, sample: np.ndarray) -> dict:
        sample = sample[np.isfinite(sample)]
        if sample.size == 0 or not np.isfinite(value):
            return {"value": _num(value), "ci": [None, None]}
        lo, hi = np.quantile(sample, [alpha, 1 - alpha])
        return {"value": _num(value), "ci": [_num(lo), _num(hi)]}

    for k in scores:
        out[k] = {m: summary(float(point[k][m][0]), arrays[k][m]) for m in metrics}
    if baseline is not None:
        out["improvement"] = {}
        for m in metrics:
            sign = 1.0 if METRICS[m].higher_is_better else -1.0
            diff = sign * (arrays["model"][m] - arrays["baseline"][m])
            value = sign * (float(point["model"][m][0]) - float(point["baseline"][m][0]))
            out["improvement"][m] = summary(value, diff)
    return out


def _num(x) -> float | None:
    x = float(x)
    return round(x, 6) if np.isfinite(x) else None


# --------------------------------------------------------------------------- DeLong


def delong(y, scores) -> tuple[np.ndarray, np.ndarray]:
    """ROC-AUCs of several scores on the same rows and their covariance (DeLong et al. 1988).

    Written here because neither scikit-learn nor SciPy has it: the fast form of Sun & Xu (2014)
    costs a few rank computations, where a bootstrap of a dozen candidates would cost thousands.
    ``scores`` is (k, n); returns ``(aucs, cov)`` with ``cov`` k x k, so that the standard error of
    the difference of two AUCs is ``sqrt(cov[i, i] + cov[j, j] - 2 cov[i, j])``.

    Examples
    --------
    >>> y = np.array([0, 0, 1, 1, 0, 1]); s = np.array([[.1, .4, .35, .8, .2, .7], [.2, .1, .3, .9, .5, .6]])
    >>> aucs, cov = delong(y, s)
    >>> [round(a, 3) for a in aucs]
    [0.889, 0.889]
    """
    from scipy.stats import rankdata

    y = np.asarray(y).astype(bool).ravel()
    S = np.atleast_2d(np.asarray(scores, dtype=float))
    pos, neg = S[:, y], S[:, ~y]
    m, n = pos.shape[1], neg.shape[1]
    if m < 2 or n < 2:
        raise InputError("DeLong's AUC variance needs at least two positive and two negative rows")
    tx = rankdata(pos, axis=1)
    ty = rankdata(neg, axis=1)
    tz = rankdata(np.hstack([pos, neg]), axis=1)
    aucs = tz[:, :m].sum(axis=1) / (m * n) - (m + 1.0) / (2.0 * n)
    v01 = (tz[:, :m] - tx) / n  # per positive: share of negatives below it
    v10 = 1.0 - (tz[:, m:] - ty) / m  # per negative: share of positives above it
    cov = np.atleast_2d(np.cov(v01)) / m + np.atleast_2d(np.cov(v10)) / n
    return aucs, cov
