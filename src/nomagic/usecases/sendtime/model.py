"""Each customer's best hour (and weekday) to receive e-mail, from their past human opens.

Why a hierarchical model, and which one
---------------------------------------
A customer has a few dozen sends at most, spread over 16 or more hours: one or two per hour. Taking
the hour with the highest raw open rate picks the hour of a lucky open. So every customer borrows
strength from the others, in three levels:

1. **Global**: the open rate per hour over everyone (smoothed over neighbouring hours); its best hour
   is the baseline.
2. **Segment**: the distribution of *favourite hours* in the customer's segment (e.g. country),
   shrunk towards the global distribution (``segment_strength`` customers' worth of prior), learnt by
   EM. Most people read mail in the morning, at lunch or in the evening; this is where that shows.
3. **Customer**: their overall open rate (Beta-Binomial, shrunk towards the global rate with an
   empirical-Bayes strength, method of moments) times a bump around their favourite hour
   (``1 + amplitude * exp(-d^2 / 2 width^2)``, normalised to mean 1 over the hours tried). Their own
   sends and opens give a posterior over their favourite hour, with their segment's distribution as
   prior; the expected open rate at each hour averages over that posterior. The bump's amplitude and
   width are chosen by the marginal likelihood of all customers (empirical Bayes, type II).

A customer with one or two sends keeps nearly the segment's distribution (and so its best hour); a
customer with many opens at 07:00 gets 07:00. Why this rather than an independent Beta-Binomial per
customer and hour (which we tried first): with one or two sends per hour the per-hour posteriors
barely move, while a favourite hour shares every one of the customer's sends. Why not a logistic
regression with customer effects: the favourite-hour mixture is a few EM steps over a customers x 24 x
24 array, fits 10,000 customers in about a second, every number in it can be read, and an unknown
customer gets a sensible answer (their segment's best hour).

Only hours that were actually tried (enough sends across all customers) can be recommended; weekdays
the same way. When every send went out on the same weekday, the weekday cannot be learnt and the model
says so (``weekday_learnable_`` is False).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> n = 4000
>>> log = pd.DataFrame({"customer_id": rng.integers(0, 200, n).astype(str),
...                     "sent_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 200 * 24, n), "h"),
...                     "segment": "all"})
>>> log["opened_human"] = rng.random(n) < np.where(log.sent_at.dt.hour == 20, 0.5, 0.2)
>>> m = SendTimeModel().fit(log)
>>> int(m.global_best_hour_)
20
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HOURS = 24
WEEKDAYS = 7
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: for sentences: the English names stay the codes in scores and params
WEEKDAY_NAMES_DE = dict(
    zip(WEEKDAY_NAMES, ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"), strict=True)
)


def kernel(bins: int, bandwidth: float) -> np.ndarray:
    """Circular Gaussian smoothing matrix (applied to sends and opens alike)."""
    if bandwidth <= 0:
        return np.eye(bins)
    d = np.abs(np.arange(bins)[:, None] - np.arange(bins)[None, :])
    d = np.minimum(d, bins - d)
    return np.exp(-(d**2) / (2 * bandwidth**2))


def beta_strength(k, n, mu, lo: float = 1.0, hi: float = 1e4) -> float:
    """Empirical-Bayes strength ``a`` of a Beta(a mu, a (1 - mu)) prior, by the method of moments.

    Under the Beta-Binomial, ``E[(k - n mu)^2] = n mu (1 - mu) (1 + (n - 1) / (a + 1))``: the scatter
    beyond binomial noise, set against what it would be with ``a = 0``, estimates ``1 / (a + 1)``.
    No scatter beyond noise gives ``hi`` (the prior mean is all there is to know).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.beta(2, 8, 5000); n = np.full(5000, 30); k = rng.binomial(n, p)
    >>> round(beta_strength(k, n, np.full(5000, k.sum() / n.sum())))  # true a = 2 + 8
    10
    """
    k, n, mu = (np.asarray(x, float).ravel() for x in (k, n, mu))
    ok = n > 1
    if not ok.any():
        return hi
    k, n, mu = k[ok], n[ok], np.clip(mu[ok], 1e-6, 1 - 1e-6)
    v = mu * (1 - mu)
    excess = ((k - n * mu) ** 2 - n * v).sum()
    denom = (n * (n - 1) * v).sum()
    if denom <= 0 or excess <= 0:
        return hi
    return float(np.clip(denom / excess - 1.0, lo, hi))


class SendTimeModel:
    """Hierarchical send-time model: global -> reading-time profiles and segments -> customer (see the module
    docstring).

    Parameters
    ----------
    amplitudes, widths : the grid of favourite-hour bumps; the pair with the best marginal likelihood is used.
    bandwidth : hours of the circular Gaussian kernel that smooths the global hour pattern.
    rate_strength : prior strength (in sends) of each customer's overall rate; ``None`` = empirical Bayes.
    segment_strength : prior strength (in customers) of a segment's favourite-hour distribution towards the
        global one.
    min_hour_share : an hour (weekday) is recommendable when it holds at least this share of all sends.
    n_iter : EM iterations.

    Attributes (after ``fit``)
    --------------------------
    hours_ : the recommendable hours; global_best_hour_ : the hour with the best global open rate;
    global_rate_ : human open rate per hour (NaN where never sent); favourite_share_ : share of customers
    whose favourite hour is each hour; amplitude_, width_ : the chosen bump; segment_best_hour_ : per
    segment; rate_strength_ : the prior strength used; weekday_learnable_ : whether sends varied by weekday.
    """

    def __init__(
        self,
        *,
        amplitudes: tuple[float, ...] = (0.5, 1.0, 2.0),
        widths: tuple[float, ...] = (1.0, 2.0),
        bandwidth: float = 1.0,
        rate_strength: float | None = None,
        segment_strength: float = 50.0,
        min_hour_share: float = 0.005,
        n_iter: int = 20,
    ):
        self.amplitudes = amplitudes
        self.widths = widths
        self.bandwidth = bandwidth
        self.rate_strength = rate_strength
        self.segment_strength = segment_strength
        self.min_hour_share = min_hour_share
        self.n_iter = n_iter

    # ------------------------------------------------------------------ fit

    def fit(self, log: pd.DataFrame) -> SendTimeModel:
        """Learn from an engagement log (``customer_id, sent_at, opened_human`` and optional ``segment``)."""
        if log.empty:
            raise ValueError("no sends to learn from")
        cust = log["customer_id"].astype(str).to_numpy()
        seg = (log["segment"] if "segment" in log else pd.Series("all", index=log.index)).astype(str).to_numpy()
        y = log["opened_human"].to_numpy(bool).astype(float)
        ts = pd.DatetimeIndex(log["sent_at"])
        self.customers_, c_idx = np.unique(cust, return_inverse=True)
        self.segments_, s_idx = np.unique(seg, return_inverse=True)
        first = pd.DataFrame({"c": c_idx, "s": s_idx}).drop_duplicates("c", keep="last").set_index("c")["s"]
        self.customer_segment_ = first.reindex(range(len(self.customers_))).to_numpy(int)
        self.rate_ = float(y.mean())
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):  # small matrices: threads only contend
            self.hour_ = self._fit_bins(c_idx, ts.hour.to_numpy(), y, HOURS, self.bandwidth, "hour")
            self.weekday_ = self._fit_bins(c_idx, ts.day_of_week.to_numpy(), y, WEEKDAYS, 0.0, "weekday")
        self.hours_ = self.hour_["allowed"]
        self.global_rate_ = self.hour_["global_rate"]
        self.global_best_hour_ = self.hour_["global_best"]
        self.favourite_share_ = self.hour_["favourite_share"]
        self.amplitude_ = self.hour_["amplitude"]
        self.width_ = self.hour_["width"]
        self.segment_best_hour_ = dict(zip(self.segments_, self.hour_["segment_best"], strict=True))
        self.rate_strength_ = self.hour_["a0"]
        self.weekday_learnable_ = len(self.weekday_["allowed"]) > 1
        return self

    def _fit_bins(self, c_idx, b, y, bins, bandwidth, what) -> dict:
        nc, ns = len(self.customers_), len(self.segments_)
        n = np.zeros((nc, bins))
        k = np.zeros((nc, bins))
        np.add.at(n, (c_idx, b), 1.0)
        np.add.at(k, (c_idx, b), y)
        Kern = kernel(bins, bandwidth)
        N_h, K_h = n.sum(0), k.sum(0)
        allowed = np.flatnonzero(N_h >= max(1.0, self.min_hour_share * N_h.sum()))
        mask = np.zeros(bins, bool)
        mask[allowed] = True
        rate = min(max(self.rate_, 1e-4), 0.99)
        with np.errstate(invalid="ignore", divide="ignore"):
            g = (K_h @ Kern) / (N_h @ Kern)
        g = np.where(np.isfinite(g), g, rate)
        gbest = int(allowed[np.argmax(g[allowed])]) if allowed.size else int(np.argmax(g))
        # each customer's overall rate, shrunk towards the global rate (empirical Bayes)
        kc, ncs = k.sum(1), n.sum(1)
        a0 = self.rate_strength if self.rate_strength is not None else beta_strength(kc, ncs, np.full(nc, rate))
        r = (kc + a0 * rate) / (ncs + a0)
        seg_of = self.customer_segment_
        seg_onehot = np.zeros((nc, ns))
        seg_onehot[np.arange(nc), seg_of] = 1.0
        d = np.abs(np.arange(bins)[:, None] - np.arange(bins)[None, :])
        d = np.minimum(d, bins - d)  # [favourite, hour]
        best = None
        grid = (
            [(0.0, 1.0)]
            if allowed.size < 2 or not self.amplitudes
            else [(amp, w) for amp in self.amplitudes for w in self.widths]
        )
        logr = np.log(np.clip(r, 1e-4, 0.98))
        for amp, width in grid:
            bump = np.exp(-(d**2) / (2 * width**2))
            m = 1.0 + amp * bump
            m = m / m[:, mask].mean(1, keepdims=True)  # mean multiplier 1 over the hours tried
            fa = allowed  # favourites and hours: only those tried (others are unidentifiable / too rare)
            mf = m[np.ix_(fa, fa)]
            ll = np.full((nc, bins), -np.inf)
            nk = (n - k)[:, fa]
            part = k[:, fa] @ np.log(mf).T + kc[:, None] * logr[:, None]
            for j in range(fa.size):  # one favourite at a time keeps memory at customers x hours
                part[:, j] += (nk * np.log1p(-np.clip(r[:, None] * mf[j][None, :], 1e-4, 0.98))).sum(1)
            ll[:, fa] = part
            pi_g = np.where(mask, 1.0 / max(mask.sum(), 1), 0.0)
            pi_s = np.tile(pi_g, (ns, 1))
            for _ in range(self.n_iter):
                lp = ll + np.log(np.maximum(pi_s[seg_of], 1e-12))
                mx = lp.max(1, keepdims=True)
                post = np.exp(lp - mx)
                tot = post.sum(1, keepdims=True)
                post /= tot
                pi_g = np.where(mask, post.sum(0) + 0.5, 0.0)
                pi_g /= pi_g.sum()
                pi_s = (seg_onehot.T @ post + self.segment_strength * pi_g[None, :]) / (
                    seg_onehot.sum(0)[:, None] + self.segment_strength
                )
            marginal = float((mx[:, 0] + np.log(tot[:, 0])).sum())
            if best is None or marginal > best["marginal"]:
                best = {
                    "marginal": marginal,
                    "amp": amp,
                    "width": width,
                    "m": m,
                    "post": post,
                    "pi_g": pi_g,
                    "pi_s": pi_s,
                }
        m, post = best["m"], best["post"]
        mix = post @ m  # each customer's expected multiplier per hour
        rates = np.clip(r[:, None] * mix, 0.0, 1.0)
        rate_s = (seg_onehot.T @ kc + 100.0 * rate) / (seg_onehot.T @ ncs + 100.0)
        seg_rate = rate_s[:, None] * (best["pi_s"] @ m)
        sbest = allowed[np.argmax(seg_rate[:, allowed], axis=1)] if allowed.size else np.full(ns, gbest)
        return {
            "what": what,
            "allowed": allowed,
            "global_rate": np.where(N_h > 0, g, np.nan),
            "global_best": gbest,
            "amplitude": best["amp"],
            "width": best["width"],
            "favourite_share": best["pi_g"],
            "gamma": post,
            "segment_rate": seg_rate,
            "segment_best": sbest,
            "a0": float(a0),
            "post": rates,
            "own": n,
        }

    # ------------------------------------------------------------------ predict

    def _rows(self, customers, segments=None) -> tuple[np.ndarray, np.ndarray]:
        """Index of each customer in the fit (-1 = unknown) and their segment index (-1 = unknown)."""
        customers = np.asarray(customers, dtype=str)
        if len(self.customers_) == 0:
            return np.full(len(customers), -1), np.full(len(customers), -1)
        pos = np.clip(np.searchsorted(self.customers_, customers), 0, len(self.customers_) - 1)
        known = self.customers_[pos] == customers
        idx = np.where(known, pos, -1)
        seg = np.where(known, self.customer_segment_[pos], -1)
        if segments is not None:
            segments = np.asarray(segments, dtype=str)
            spos = np.clip(np.searchsorted(self.segments_, segments), 0, len(self.segments_) - 1)
            sknown = self.segments_[spos] == segments
            seg = np.where(seg < 0, np.where(sknown, spos, -1), seg)
        return idx, seg

    def rates(self, customers, segments=None, what: str = "hour") -> np.ndarray:
        """Posterior mean open rate per customer and bin (customers x 24 hours, or x 7 weekdays); unknown
        customers get their segment's rates, or the global ones."""
        part = self.hour_ if what == "hour" else self.weekday_
        idx, seg = self._rows(customers, segments)
        global_row = np.nan_to_num(part["global_rate"], nan=0.0)
        out = np.where(seg[:, None] >= 0, part["segment_rate"][np.maximum(seg, 0)], global_row[None, :])
        known = idx >= 0
        out[known] = part["post"][idx[known]]
        return out

    def best_hour(self, customers, segments=None) -> np.ndarray:
        """The recommended hour (0-23) of each customer (unknown customers: their segment's, or the global best)."""
        return self._best(customers, segments, self.hour_)

    def best_weekday(self, customers, segments=None) -> np.ndarray:
        """The recommended weekday (0 = Monday) of each customer."""
        return self._best(customers, segments, self.weekday_)

    def _best(self, customers, segments, part) -> np.ndarray:
        allowed = part["allowed"]
        R = self.rates(customers, segments, part["what"])
        return allowed[np.argmax(R[:, allowed], axis=1)]

    def confidence(self, customers) -> tuple[np.ndarray, np.ndarray]:
        """Per customer: the posterior probability that their favourite hour is within an hour of the
        recommended one, and the number of their own sends the model learnt from (0 for unknown customers,
        who get their segment's favourite-hour distribution)."""
        part = self.hour_
        idx, seg = self._rows(customers)
        chosen = self.best_hour(customers)
        d = np.abs(chosen[:, None] - np.arange(HOURS)[None, :])
        near = np.minimum(d, HOURS - d) <= 1
        gam = np.tile(part["favourite_share"], (len(idx), 1))
        known = idx >= 0
        gam[known] = part["gamma"][idx[known]]
        prob = (gam * near).sum(1)
        own = np.zeros(len(idx))
        own[known] = part["own"][idx[known]].sum(1)
        return prob, own

    def save(self, folder) -> list:
        """Write the model in safe formats (for the registry): ``sendtime_model.json`` (the fitted numbers) and
        ``sendtime_customers.parquet`` (each customer's best hour and confidence). Returns the paths."""
        import json
        from pathlib import Path

        folder = Path(folder)
        p1 = folder / "sendtime_model.json"
        p1.write_text(json.dumps(self.params(), indent=1) + "\n")
        conf, own = self.confidence(self.customers_)
        df = pd.DataFrame(
            {
                "customer_id": self.customers_.astype(str),
                "best_hour": self.best_hour(self.customers_).astype(int),
                "confidence": conf,
                "sends_seen": own.astype(int),
            }
        )
        p2 = folder / "sendtime_customers.parquet"
        df.to_parquet(p2, index=False)
        return [p1, p2]

    def params(self) -> dict:
        """Fitted numbers worth reading (JSON-ready)."""
        h = self.hour_
        return {
            "global_best_hour": int(self.global_best_hour_),
            "hours_tried": [int(x) for x in h["allowed"]],
            "global_open_rate_by_hour": {
                int(i): round(float(v), 5) for i, v in enumerate(self.global_rate_) if np.isfinite(v)
            },
            "favourite_hour_share": {
                int(i): round(float(v), 4) for i, v in enumerate(h["favourite_share"]) if v >= 0.005
            },
            "bump_amplitude": h["amplitude"],
            "bump_width_hours": h["width"],
            "segment_best_hour": {str(s): int(v) for s, v in self.segment_best_hour_.items()},
            "rate_prior_strength": round(h["a0"], 3),
            "segment_prior_strength": self.segment_strength,
            "bandwidth_hours": self.bandwidth,
            "weekdays_tried": [WEEKDAY_NAMES[int(x)] for x in self.weekday_["allowed"]],
            "weekday_learnable": bool(self.weekday_learnable_),
            "customers": int(len(self.customers_)),
            "human_open_rate": round(self.rate_, 5),
        }
