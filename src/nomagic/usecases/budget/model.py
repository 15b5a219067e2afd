"""A Bayesian marketing-mix model fitted by MAP + Laplace approximation (numpy / scipy only).

The model, for each period ``t`` (a week by default)::

    y_t = intercept + trend * t + fourier_t . gamma + controls_t . delta
          + sum_c beta_c * saturation_c(adstock_c(x_c / max x_c))_t + noise_t,   noise ~ Normal(0, sigma)

on the target divided by its largest absolute value (PyMC-Marketing's scaling, so its priors and
ours mean the same thing). Priors (see :mod:`.transforms` for the media ones)::

    beta_c ~ HalfNormal(2)          intercept ~ Normal(0, 2)        trend ~ Normal(0, 1)
    gamma (Fourier) ~ Normal(0, 0.5)     delta (controls, standardised) ~ Normal(0, 1)
    sigma ~ HalfNormal(1)

Lift tests enter as extra observations: a test that moved channel ``c``'s spend per period from
``x0`` to ``x1`` and measured ``delta +- se`` adds ``Normal(delta; beta_c (sat(x1) - sat(x0)), se)``
(the steady-state response, as PyMC-Marketing's ``add_lift_test_measurements``).

**Inference.** The posterior mode (MAP) on the unconstrained scale is found by BFGS from several
starts, with an analytic gradient (central differences only inside each channel's 2-4 media
parameters). The Laplace approximation is the Gaussian with the inverse Hessian (finite differences
of the gradient) as covariance. Its draws are then importance-weighted towards the exact posterior
(Pareto-smoothed importance sampling, two rounds: the Laplace Gaussian, then a Gaussian with the
weighted moments of the first round; see :mod:`.psis`) and resampled; when the Pareto ``k`` is 0.7 or
more the weights are not trusted and the plain Laplace draws are kept (the diagnostics note it). Point
values are posterior medians of the draws (means alongside, the mode as ``mode``): for a skewed
posterior the mode mapped through ``exp`` / ``sigmoid`` is neither. Diagnostics say whether the fit is
trustworthy: did the optimiser converge, do the starts agree, is the Hessian positive definite, do
90 % of the observed periods fall inside the 90 % posterior predictive band.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> n = 104
>>> df = pd.DataFrame({"week": pd.date_range("2022-01-03", periods=n, freq="W-MON"),
...                    "tv": rng.uniform(0, 1, n), "search": rng.uniform(0, 1, n)})
>>> df["sales"] = 10 + 3 * np.tanh(df.tv) + 2 * np.tanh(df.search) + rng.normal(0, 0.2, n)
>>> m = MMM(["tv", "search"], date="week", target="sales", yearly_seasonality=0).fit(df)
>>> m.diagnostics_["verdict"] in ("reliable", "use with care")
True
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import logsumexp

from nomagic.usecases.budget.psis import K_RELIABLE, psis, resample
from nomagic.usecases.budget.psis import ess as psis_ess
from nomagic.usecases.budget.transforms import lag_matrix, make_adstock, make_saturation
from nomagic.words import Text, join, say

PRIOR_WORDS = {
    "beta": say(
        "HalfNormal(2) on the target divided by its maximum",
        "HalfNormal(2) auf der Zielgröße geteilt durch ihr Maximum",
    ),
    "intercept": "Normal(0, 2)",
    "trend": say("Normal(0, 1) per length of the fitting window", "Normal(0, 1) je Länge des Anpassungsfensters"),
    "fourier": "Normal(0, 0.5)",
    "controls": say(
        "Normal(0, 1) per standard deviation of the control (0/1 columns as they are)",
        "Normal(0, 1) je Standardabweichung der Kontrollvariable (0/1-Spalten unverändert)",
    ),
    "sigma": "HalfNormal(1)",
}
FIT_VERDICTS = {"reliable": ("reliable", "verlässlich"), "use with care": ("use with care", "mit Vorsicht verwenden")}
LEVEL = 0.90  # the intervals of the outputs


@dataclass
class LiftTest:
    """One lift test: spend per period moved from ``x0`` to ``x1`` and the target moved by ``delta +- se``."""

    channel: str
    x0: float
    x1: float
    delta: float
    se: float


@dataclass
class _Design:
    y: np.ndarray  # scaled target
    lags: list[np.ndarray]  # per channel (n, l_max), scaled spend
    lin: np.ndarray  # (n, p_lin)
    n: int


@dataclass
class Fit:
    u: np.ndarray
    logp: float
    converged: bool
    message: str
    grad_norm: float
    starts: list[float] = field(default_factory=list)


def _q(a, axis=0):
    lo, hi = (1 - LEVEL) / 2, 1 - (1 - LEVEL) / 2
    return np.quantile(a, lo, axis=axis), np.quantile(a, hi, axis=axis)


class MMM:
    """Bayesian marketing-mix model.

    Parameters
    ----------
    channels : spend columns (money per period).
    date, target : the period column and the outcome (revenue per period).
    controls : other columns that move the target (price, events, holidays, competitors).
    adstock : ``geometric`` (default), ``weibull`` (survival weights) or ``weibull_pdf`` (delayed peak).
    saturation : ``logistic`` (default, as PyMC-Marketing) or ``hill``.
    l_max : longest carry-over in periods.
    yearly_seasonality : number of Fourier pairs of the yearly cycle (0: none).
    trend : a linear trend.
    lift_tests : :class:`LiftTest` results used as calibration.
    n_draws, n_starts, seed : posterior draws kept, optimiser starts, seed.
    importance_draws : Gaussian draws weighed by importance sampling (0: plain Laplace draws).
    inference : ``laplace`` (core) or ``nuts`` (needs ``nomagic[bayes]``: numpyro + jax).
    """

    def __init__(
        self,
        channels,
        *,
        date: str = "date",
        target: str = "revenue",
        controls=(),
        adstock: str = "geometric",
        saturation: str = "logistic",
        l_max: int = 8,
        yearly_seasonality: int = 2,
        trend: bool = True,
        lift_tests=(),
        n_draws: int = 1000,
        importance_draws: int = 4000,
        n_starts: int = 4,
        seed: int = 0,
        inference: str = "laplace",
        nuts_options: dict | None = None,
    ):
        self.channels = list(channels)
        self.date = date
        self.target = target
        self.controls = list(controls)
        self.adstock = adstock
        self.saturation = saturation
        self.l_max = int(l_max)
        self.yearly_seasonality = int(yearly_seasonality)
        self.trend = bool(trend)
        self.lift_tests = list(lift_tests)
        self.n_draws = int(n_draws)
        self.importance_draws = int(importance_draws)
        self.n_starts = int(n_starts)
        self.seed = seed
        self.inference = inference
        self.nuts_options = nuts_options or {}
        self._ad = make_adstock(adstock, self.l_max)
        self._sat = make_saturation(saturation)

    # ------------------------------------------------------------------ layout
    @property
    def _ka(self) -> int:
        return len(self._ad.names)

    @property
    def _ks(self) -> int:
        return len(self._sat.names)

    @property
    def _kc(self) -> int:
        return self._ka + self._ks + 1

    def _lin_names(self) -> list[str]:
        names = ["intercept"]
        if self.trend:
            names.append("trend")
        for k in range(1, self.yearly_seasonality + 1):
            names += [f"sin{k}", f"cos{k}"]
        return names + [f"control:{c}" for c in self.controls]

    def _lin_prior_sd(self) -> np.ndarray:
        sd = []
        for name in self._lin_names():
            if name == "intercept":
                sd.append(2.0)
            elif name == "trend":
                sd.append(1.0)
            elif name.startswith(("sin", "cos")):
                sd.append(0.5)
            else:
                sd.append(1.0)
        return np.array(sd)

    @property
    def n_params(self) -> int:
        return len(self.channels) * self._kc + len(self._lin_names()) + 1

    # ------------------------------------------------------------------ design
    def _prepare_scalers(self, df: pd.DataFrame) -> None:
        dates = pd.to_datetime(df[self.date])
        self.start_ = dates.min()
        span = (dates.max() - dates.min()).days
        self.span_days_ = max(span, 1)
        y = df[self.target].to_numpy(float)
        self.y_scale_ = float(np.max(np.abs(y))) or 1.0
        self.x_scale_ = {c: float(df[c].max()) or 1.0 for c in self.channels}
        self.c_center_, self.c_scale_ = {}, {}
        for c in self.controls:
            v = df[c].to_numpy(float)
            binary = np.isin(v, (0.0, 1.0)).all()
            self.c_center_[c] = 0.0 if binary else float(v.mean())
            sd = float(v.std())
            self.c_scale_[c] = 1.0 if binary or sd == 0 else sd

    def _design(self, df: pd.DataFrame) -> _Design:
        dates = pd.to_datetime(df[self.date])
        cols = [np.ones(len(df))]
        if self.trend:
            cols.append(((dates - self.start_).dt.days / self.span_days_).to_numpy(float))
        doy = ((dates - pd.Timestamp("2000-01-01")).dt.days.to_numpy(float) / 365.25) * 2 * np.pi
        for k in range(1, self.yearly_seasonality + 1):
            cols += [np.sin(k * doy), np.cos(k * doy)]
        for c in self.controls:
            cols.append((df[c].to_numpy(float) - self.c_center_[c]) / self.c_scale_[c])
        lags = [lag_matrix(df[c].to_numpy(float) / self.x_scale_[c], self.l_max) for c in self.channels]
        y = df[self.target].to_numpy(float) / self.y_scale_ if self.target in df else np.full(len(df), np.nan)
        return _Design(y=y, lags=lags, lin=np.column_stack(cols), n=len(df))

    # ------------------------------------------------------------------ pieces of u
    def _split(self, u):
        C, kc = len(self.channels), self._kc
        ch = u[: C * kc].reshape(C, kc) if C else np.zeros((0, kc))
        p_lin = len(self._lin_names())
        w = u[C * kc : C * kc + p_lin]
        return ch, w, u[-1]

    def _S(self, lag: np.ndarray, uc: np.ndarray, xp=np):
        a = lag @ self._ad.weights(uc[: self._ka], xp)
        return self._sat.apply_u(a, uc[self._ka : self._ka + self._ks], xp)

    def _lift_S(self, tests: list, uc: np.ndarray, scale: float, xp=np):
        if not tests:
            return np.zeros(0)
        x0 = np.array([t.x0 for t in tests]) / scale
        x1 = np.array([t.x1 for t in tests]) / scale
        us = uc[self._ka : self._ka + self._ks]
        return self._sat.apply_u(x1, us, xp) - self._sat.apply_u(x0, us, xp)

    def _lifts_by_channel(self) -> list[list[LiftTest]]:
        return [[t for t in self.lift_tests if t.channel == c] for c in self.channels]

    def _log_prior_channel(self, uc):
        beta = np.exp(uc[-1])
        lp = self._ad.log_prior(uc[: self._ka]) + self._sat.log_prior(uc[self._ka : self._ka + self._ks])
        return lp - beta**2 / 8.0 + uc[-1]  # HalfNormal(2) + Jacobian

    # ------------------------------------------------------------------ log posterior and gradient
    def _logp_grad(self, u: np.ndarray, d: _Design, h: float = 1e-5):
        ch, w, ls = self._split(u)
        sigma = np.exp(ls)
        lifts = self._lifts_by_channel()
        mu = d.lin @ w
        S, L = [], []
        for i in range(len(self.channels)):
            S.append(self._S(d.lags[i], ch[i]))
            L.append(self._lift_S(lifts[i], ch[i], self.x_scale_[self.channels[i]]))
            mu = mu + np.exp(ch[i, -1]) * S[-1]
        r = d.y - mu
        logp = -d.n * ls - 0.5 * float(r @ r) / sigma**2
        g = np.zeros_like(u)
        C, kc = len(self.channels), self._kc
        rs = r / sigma**2
        sd = self._lin_prior_sd()
        logp += -0.5 * float(np.sum((w / sd) ** 2))
        g[C * kc : C * kc + len(w)] = d.lin.T @ rs - w / sd**2
        logp += -(sigma**2) / 2.0 + ls  # HalfNormal(1) + Jacobian
        g[-1] = -d.n + float(r @ r) / sigma**2 - sigma**2 + 1.0
        for i in range(C):
            uc = ch[i]
            beta = np.exp(uc[-1])
            c = self.channels[i]
            # lift tests: Normal(delta / y_scale; beta * L, se / y_scale)
            lt = lifts[i]
            if lt:
                obs = np.array([t.delta for t in lt]) / self.y_scale_
                se = np.array([t.se for t in lt]) / self.y_scale_
                rl = (obs - beta * L[i]) / se**2
                logp += -0.5 * float(np.sum((obs - beta * L[i]) ** 2 / se**2))
            lp = self._log_prior_channel(uc)
            logp += lp
            base = C * 0 + i * kc
            g[base + kc - 1] = beta * float(S[i] @ rs) + (-(beta**2) / 4.0 + 1.0)
            if lt:
                g[base + kc - 1] += beta * float(L[i] @ rl)
            for j in range(kc - 1):
                up, dn = uc.copy(), uc.copy()
                up[j] += h
                dn[j] -= h
                dS = (self._S(d.lags[i], up) - self._S(d.lags[i], dn)) / (2 * h)
                dlp = (self._log_prior_channel(up) - self._log_prior_channel(dn)) / (2 * h)
                gj = beta * float(dS @ rs) + dlp
                if lt:
                    scale = self.x_scale_[c]
                    dL = (self._lift_S(lt, up, scale) - self._lift_S(lt, dn, scale)) / (2 * h)
                    gj += beta * float(dL @ rl)
                g[base + j] = gj
        return logp, g

    def _logp_xp(self, u, d: _Design, xp=np):
        """The log posterior alone, written against the array namespace ``xp`` (for jax / NUTS).

        ``u`` is one point ``(p,)`` or a batch ``(draws, p)``; the answer is a scalar or ``(draws,)``
        (the batch form prices all the Laplace draws at once, for their importance weights).
        """
        C, kc, ka, ks = len(self.channels), self._kc, self._ka, self._ks
        p_lin = len(self._lin_names())
        extra = (1,) * (u.ndim - 1)  # (n,) -> (n, 1) for a batch: periods down, draws across

        def col(v):
            return v.reshape(v.shape[0], *extra)

        w = u[..., C * kc : C * kc + p_lin]
        ls = u[..., -1]
        sigma = xp.exp(ls)
        mu = d.lin @ w.T
        lp = 0.0
        lifts = self._lifts_by_channel()
        for i in range(C):
            uc = u[..., i * kc : (i + 1) * kc]
            beta = xp.exp(uc[..., -1])
            mu = mu + beta * self._sat.apply_u(
                d.lags[i] @ self._ad.weights(uc[..., :ka], xp).T, uc[..., ka : ka + ks], xp
            )
            lp = lp + self._ad.log_prior(uc[..., :ka], xp) + self._sat.log_prior(uc[..., ka : ka + ks], xp)
            lp = lp - beta**2 / 8.0 + uc[..., -1]
            if lifts[i]:
                obs = col(np.array([t.delta for t in lifts[i]]) / self.y_scale_)
                se = col(np.array([t.se for t in lifts[i]]) / self.y_scale_)
                scale = self.x_scale_[self.channels[i]]
                us = uc[..., ka : ka + ks]
                x0 = col(np.array([t.x0 for t in lifts[i]]) / scale)
                x1 = col(np.array([t.x1 for t in lifts[i]]) / scale)
                L = self._sat.apply_u(x1, us, xp) - self._sat.apply_u(x0, us, xp)
                lp = lp - 0.5 * xp.sum((obs - beta * L) ** 2 / se**2, axis=0)
        r = col(d.y) - mu
        lp = lp - d.n * ls - 0.5 * xp.sum(r * r, axis=0) / sigma**2
        lp = lp - 0.5 * xp.sum((w / self._lin_prior_sd()) ** 2, axis=-1)
        return lp - sigma**2 / 2.0 + ls

    def _hessian(self, u: np.ndarray, d: _Design, h: float = 1e-4) -> np.ndarray:
        p = len(u)
        H = np.zeros((p, p))
        for j in range(p):
            up, dn = u.copy(), u.copy()
            up[j] += h
            dn[j] -= h
            H[:, j] = (self._logp_grad(up, d)[1] - self._logp_grad(dn, d)[1]) / (2 * h)
        return -(H + H.T) / 2.0  # Hessian of the negative log posterior

    # ------------------------------------------------------------------ starts
    def _init(self, d: _Design, rng: np.random.Generator | None) -> np.ndarray:
        C, kc = len(self.channels), self._kc
        ch = np.zeros((C, kc))
        for i in range(C):
            ch[i, : self._ka] = self._ad.init()
            ch[i, self._ka : self._ka + self._ks] = self._sat.init()
            if rng is not None:
                ch[i, : kc - 1] += rng.normal(0, 0.7, kc - 1)
        # linear least squares for the rest, media at their initial curves
        S = np.column_stack([self._S(d.lags[i], ch[i]) for i in range(C)]) if C else np.zeros((d.n, 0))
        X = np.column_stack([S, d.lin])
        sd = np.concatenate([np.full(C, 2.0), self._lin_prior_sd()])
        sigma2 = max(np.var(d.y) * 0.1, 1e-6)
        A = X.T @ X + sigma2 * np.diag(1 / sd**2)
        coef = np.linalg.solve(A, X.T @ d.y)
        betas = np.maximum(coef[:C], 1e-3)
        if rng is not None:
            betas = betas * np.exp(rng.normal(0, 0.5, C))
        ch[:, -1] = np.log(betas)
        w = coef[C:]
        r = d.y - X @ np.concatenate([betas, w])
        ls = np.log(max(float(np.std(r)), 1e-4))
        return np.concatenate([ch.ravel(), w, [ls]])

    def _optimise(self, u0, d: _Design) -> Fit:
        def f(u):
            lp, g = self._logp_grad(u, d)
            if not np.isfinite(lp):
                return 1e10, np.zeros_like(u)
            return -lp, -g

        res = optimize.minimize(f, u0, jac=True, method="BFGS", options={"maxiter": 2000, "gtol": 1e-6})
        lp, g = self._logp_grad(res.x, d)
        return Fit(res.x, float(lp), bool(res.success), str(res.message), float(np.max(np.abs(g))))

    # ------------------------------------------------------------------ fit
    def fit(self, df: pd.DataFrame) -> MMM:
        """Fit on ``df`` (one row per period, sorted by date); returns ``self``."""
        t0 = time.perf_counter()
        df = df.sort_values(self.date).reset_index(drop=True)
        self._prepare_scalers(df)
        d = self._design(df)
        self.data_ = df
        self.design_ = d
        if self.inference == "nuts":
            from nomagic.usecases.budget.nuts import fit_nuts

            fit_nuts(self, d)
        else:
            self._fit_laplace(d)
        self._summarise(d)
        self.seconds_ = time.perf_counter() - t0
        return self

    def _fit_laplace(self, d: _Design, importance: bool = True) -> None:
        rng = np.random.default_rng(self.seed)
        fits = [self._optimise(self._init(d, None), d)]
        for _ in range(max(self.n_starts - 1, 0)):
            fits.append(self._optimise(self._init(d, rng), d))
        best = max(fits, key=lambda f: f.logp)
        best.starts = [f.logp for f in fits]
        # polish the best with a second run (L-BFGS may stop early on flat ridges)
        again = self._optimise(best.u, d)
        if again.logp >= best.logp - 1e-9:
            again.starts = best.starts
            best = again
        self.map_ = best
        self._starts_u = [f.u for f in fits]
        H = self._hessian(best.u, d)
        eig = np.linalg.eigvalsh(H)
        self.hessian_min_eig_ = float(eig.min())
        if eig.min() > 0:
            cov = np.linalg.inv(H)
            self.hessian_pd_ = True
        else:  # clip: the approximation is then only a rough guide, the diagnostics say so
            vals, vecs = np.linalg.eigh(H)
            vals = np.maximum(vals, max(1e-6, 1e-6 * vals.max()))
            cov = (vecs / vals) @ vecs.T
            self.hessian_pd_ = False
        cov = (cov + cov.T) / 2
        self.cov_ = cov
        if not importance or self.importance_draws <= 0:
            self.draws_u_ = rng.multivariate_normal(best.u, cov, size=self.n_draws, method="cholesky")
            return
        # importance sampling: Gaussian draws reweighted towards the exact posterior (PSIS), in two
        # rounds: the Laplace Gaussian, then a Gaussian with the weighted mean and covariance of the
        # first round; all draws are weighted against the equal mixture of both (multiple importance
        # sampling), so neither round's tails can blow the weights up on their own
        half = max(int(self.importance_draws) // 2, self.n_draws // 2)
        comps = [(best.u, cov)]
        rounds = []
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for _ in range(2):
                rounds.append(rng.multivariate_normal(*comps[-1], size=half, method="cholesky"))
                draws = np.concatenate(rounds)
                log_q = logsumexp(np.stack([_log_gauss(draws, mc, cc) for mc, cc in comps]), axis=0)
                log_p = np.asarray(self._logp_xp(draws, d), float)
                lw, k = psis(log_p - log_q)
                w = np.exp(lw)
                mean = w @ draws
                c2 = (draws - mean).T @ ((draws - mean) * w[:, None])
                c2 = (c2 + c2.T) / 2 + 1e-12 * np.eye(len(mean))
                if not (np.isfinite(c2).all() and np.linalg.eigvalsh(c2).min() > 0):
                    break
                comps.append((mean, c2))
        self.importance_ = {"proposals": len(draws), "pareto_k": k, "ess": psis_ess(lw)}
        if k < K_RELIABLE:
            self.importance_["used"] = True
            self.draws_u_ = draws[resample(lw, self.n_draws, rng)]
        else:  # the weights cannot be trusted: keep the plain Laplace Gaussian, the diagnostics say so
            self.importance_["used"] = False
            self.draws_u_ = rounds[0][: self.n_draws]

    # ------------------------------------------------------------------ outputs
    def _constrained(self, u) -> dict:
        ch, w, ls = self._split(u)
        out = {}
        for i, c in enumerate(self.channels):
            uc = ch[i]
            vals = list(self._ad.constrain(uc[: self._ka])) + list(self._sat.constrain(uc[self._ka : -1]))
            names = list(self._ad.names) + list(self._sat.names)
            out[c] = {k: float(v) for k, v in zip(names, vals, strict=True)}
            out[c]["beta"] = float(np.exp(uc[-1]))
        out["_lin"] = dict(zip(self._lin_names(), map(float, w), strict=True))
        out["_sigma"] = float(np.exp(ls))
        return out

    def _contrib(self, u, d: _Design) -> np.ndarray:
        """(channels, n) contributions in target units."""
        ch, _, _ = self._split(u)
        return np.array([np.exp(ch[i, -1]) * self._S(d.lags[i], ch[i]) for i in range(len(self.channels))]) * (
            self.y_scale_
        )

    def _mu(self, u, d: _Design) -> np.ndarray:
        _, w, _ = self._split(u)
        return (d.lin @ w) * self.y_scale_ + self._contrib(u, d).sum(axis=0)

    def _summarise(self, d: _Design) -> None:
        rng = np.random.default_rng(self.seed + 1)
        U = self.draws_u_
        u_hat = self.map_.u
        spend = {c: self.data_[c].to_numpy(float) for c in self.channels}
        contrib = np.stack([self._contrib(u, d) for u in U])  # (draws, C, n)
        self.contrib_draws_ = contrib
        # spend +1 %: for marginal ROI
        d_up = _Design(d.y, [lg * 1.01 for lg in d.lags], d.lin, d.n)
        contrib_up = np.stack([self._contrib(u, d_up) for u in U])
        mu = np.stack([self._mu(u, d) for u in U])
        sig = np.exp(U[:, -1]) * self.y_scale_
        pred = mu + rng.normal(size=mu.shape) * sig[:, None]
        y = d.y * self.y_scale_
        lo, hi = _q(pred)
        self.ppc_coverage_ = float(np.mean((y >= lo) & (y <= hi)))
        self.fitted_ = self._mu(u_hat, d)
        self.fitted_mean_ = mu.mean(axis=0)
        resid = y - self.fitted_mean_
        self.r2_ = float(1 - np.sum(resid**2) / np.sum((y - y.mean()) ** 2))
        self.resid_autocorr_ = float(np.corrcoef(resid[:-1], resid[1:])[0, 1]) if len(resid) > 3 else 0.0
        # point values: posterior medians of the draws (Laplace + importance weights, or NUTS); the
        # mode (the MAP, ``map_``) is kept apart: for a skewed posterior it is neither median nor mean
        draws_c = [self._constrained(u) for u in U]
        const = {c: {k: float(np.median([dc[c][k] for dc in draws_c])) for k in draws_c[0][c]} for c in self.channels}
        const["_lin"] = {k: float(np.median([dc["_lin"][k] for dc in draws_c])) for k in draws_c[0]["_lin"]}
        const["_sigma"] = float(np.median([dc["_sigma"] for dc in draws_c]))
        self.mode_params_ = self._constrained(u_hat)
        params: dict = {}
        for i, c in enumerate(self.channels):
            total = spend[c].sum()
            roi = contrib[:, i].sum(axis=1) / total if total > 0 else np.full(len(U), np.nan)
            mroi = (
                (contrib_up[:, i].sum(axis=1) - contrib[:, i].sum(axis=1)) / (0.01 * total)
                if total > 0
                else np.full(len(U), np.nan)
            )
            p: dict = {}
            for k, v in const[c].items():
                vd = np.array([dc[c][k] for dc in draws_c])
                p[k] = {**_val(v, vd), "mode": self.mode_params_[c][k]}
            share = contrib[:, i].sum(axis=1) / np.maximum(y.sum(), 1e-12)
            p["roi"] = _val(float(np.median(roi)), roi)
            p["marginal_roi"] = _val(float(np.median(mroi)), mroi)
            p["contribution"] = _val(float(np.median(contrib[:, i].sum(axis=1))), contrib[:, i].sum(axis=1))
            p["contribution_share"] = _val(float(np.median(share)), share)
            p["spend"] = float(total)
            p["spend_scale"] = self.x_scale_[c]
            p["mean_lag"] = float(self._ad.mean_lag([const[c][k] for k in self._ad.names]))
            params[c] = p
        self.params_ = params
        self.base_ = const["_lin"]
        self.sigma_ = const["_sigma"] * self.y_scale_
        self.diagnostics_ = self._diagnostics()

    def _diagnostics(self) -> dict:
        out: dict = {"inference": self.inference, "parameters": self.n_params, "periods": int(self.design_.n)}
        problems = []
        if self.inference == "laplace":
            starts = np.array(self.map_.starts)
            agree = int(np.sum(starts >= starts.max() - 1.0))
            out.update(
                optimiser_converged=bool(self.map_.converged or self.map_.grad_norm < 1e-2),
                optimiser_message=self.map_.message,
                gradient_max=self.map_.grad_norm,
                starts=len(starts),
                starts_at_best=agree,
                hessian_positive_definite=bool(self.hessian_pd_),
                hessian_min_eigenvalue=self.hessian_min_eig_,
            )
            imp = getattr(self, "importance_", None)
            if imp is not None:
                out.update(
                    importance_pareto_k=imp["pareto_k"],
                    importance_ess=imp["ess"],
                    importance_proposals=imp["proposals"],
                    importance_used=imp["used"],
                )
                if not imp["used"]:  # a note, not a failed check: the Laplace checks above still hold
                    out["note"] = say(
                        "importance weights not used (Pareto k {k:.2f} >= {limit}): the values and intervals are "
                        "the plain Laplace ones; --inference nuts is the reference",
                        "Importance-Gewichte nicht genutzt (Pareto-k {k:.2f} ≥ {limit}): Werte und Intervalle sind "
                        "die der einfachen Laplace-Näherung; --inference nuts ist die Referenz",
                        k=imp["pareto_k"],
                        limit=K_RELIABLE,
                    )
            if not out["optimiser_converged"]:
                problems.append(
                    say(
                        "the optimiser did not converge ({msg})",
                        "der Optimierer ist nicht konvergiert ({msg})",
                        msg=self.map_.message,
                    )
                )
            if not self.hessian_pd_:
                problems.append(
                    say(
                        "the Hessian at the mode is not positive definite: intervals are rough",
                        "die Hesse-Matrix am Modus ist nicht positiv definit: die Intervalle sind grob",
                    )
                )
            if agree < max(2, (len(starts) + 1) // 2) and len(starts) > 1:
                problems.append(
                    say(
                        "only {a} of {n} optimiser starts reached the best mode: the posterior may have several modes",
                        "nur {a} von {n} Optimierer-Starts erreichten den besten Modus: die Posterior-Verteilung hat "
                        "womöglich mehrere Modi",
                        a=agree,
                        n=len(starts),
                    )
                )
        else:
            nuts = getattr(self, "nuts_diag_", {})
            out.update(nuts)
            if nuts.get("r_hat_max", 1.0) >= 1.01:
                problems.append(
                    say(
                        "R-hat {r:.3f} >= {limit}: the chains disagree",
                        "R-hat {r:.3f} ≥ {limit}: die Ketten stimmen nicht überein",
                        r=nuts.get("r_hat_max"),
                        limit=1.01,
                    )
                )
            if nuts.get("divergences", 0) > 0:
                problems.append(
                    say("{n} divergent transitions", "{n} divergente Übergänge", n=int(nuts["divergences"]))
                )
            if nuts.get("ess_bulk_min", 1e9) < 400:
                problems.append(
                    say(
                        "smallest effective sample size {e:.0f} < 400",
                        "kleinste effektive Stichprobengröße {e:.0f} < 400",
                        e=nuts.get("ess_bulk_min"),
                    )
                )
        out["ppc_coverage_90"] = self.ppc_coverage_
        out["r2"] = self.r2_
        out["residual_autocorrelation"] = self.resid_autocorr_
        if self.ppc_coverage_ < 0.75:
            problems.append(
                say(
                    "only {c:.0%} of the periods fall inside the 90% posterior predictive band",
                    "nur {c:.0%} der Perioden liegen im 90-%-Band der posterioren Vorhersage",
                    c=self.ppc_coverage_,
                )
            )
        if abs(self.resid_autocorr_) > 0.5:
            problems.append(
                say(
                    "the residuals are autocorrelated ({a:.2f}): something that moves slowly (a trend, a season, a "
                    "control) is missing",
                    "die Residuen sind autokorreliert ({a:.2f}): etwas, das sich langsam bewegt (ein Trend, eine "
                    "Saison, eine Kontrollvariable), fehlt",
                    a=self.resid_autocorr_,
                )
            )
        out["problems"] = problems
        out["verdict"] = "reliable" if not problems else "use with care"
        if problems:
            out["words"] = say("Use with care: {p}.", "Mit Vorsicht verwenden: {p}.", p=join(problems, "; "))
        else:
            checks = (
                Text(
                    "the optimiser converged, the starts agree, the Hessian is positive definite",
                    "der Optimierer ist konvergiert, die Starts stimmen überein, die Hesse-Matrix ist positiv definit",
                )
                if self.inference == "laplace"
                else say(
                    "R-hat < {limit}, no divergences, enough effective samples",
                    "R-hat < {limit}, keine Divergenzen, genug effektive Stichproben",
                    limit=1.01,
                )
            )
            out["words"] = say(
                "The fit passed every check: {checks}, and {c:.0%} of the periods lie in the 90% predictive band.",
                "Die Anpassung hat jede Prüfung bestanden: {checks}, und {c:.0%} der Perioden liegen im "
                "90-%-Vorhersageband.",
                checks=checks,
                c=self.ppc_coverage_,
            )
        return out

    # ------------------------------------------------------------------ public helpers
    def save(self, folder) -> list:
        """Write ``mmm.json``: the settings, the scalers, the MAP point and the fitted parameters (no pickle)."""
        import json
        from pathlib import Path

        def plain(x):
            if isinstance(x, np.ndarray):
                return x.tolist()
            if isinstance(x, (np.floating, np.integer)):
                return x.item()
            if isinstance(x, (pd.Timestamp, np.datetime64)):
                return str(x)
            raise TypeError(type(x).__name__)

        doc = {
            "settings": {
                k: getattr(self, k)
                for k in (
                    "channels",
                    "date",
                    "target",
                    "controls",
                    "adstock",
                    "saturation",
                    "l_max",
                    "yearly_seasonality",
                    "trend",
                    "n_draws",
                    "seed",
                    "inference",
                )
            },
            "scalers": {
                "start": str(self.start_),
                "span_days": self.span_days_,
                "y_scale": self.y_scale_,
                "x_scale": self.x_scale_,
                "c_center": self.c_center_,
                "c_scale": self.c_scale_,
            },
            "map": getattr(getattr(self, "map_", None), "u", None),
            "params": self.params_,
            "diagnostics": self.diagnostics_,
        }
        path = Path(folder) / "mmm.json"
        path.write_text(json.dumps(doc, default=plain))
        return [path]

    def predict(self, df: pd.DataFrame, *, draws: bool = False):
        """Predicted target for ``df`` (which may include the fitting periods before it, for carry-over)."""
        df = df.sort_values(self.date).reset_index(drop=True)
        d = self._design(df)
        if draws:
            return np.stack([self._mu(u, d) for u in self.draws_u_])
        return np.mean([self._mu(u, d) for u in self.draws_u_], axis=0)

    def contributions(self) -> pd.DataFrame:
        """Per period: mean contribution of each channel and of the base (intercept, trend, season, controls)."""
        mean = self.contrib_draws_.mean(axis=0)
        out = pd.DataFrame({self.date: pd.to_datetime(self.data_[self.date])})
        for i, c in enumerate(self.channels):
            out[c] = mean[i]
        out["base"] = self.fitted_mean_ - mean.sum(axis=0)
        out[self.target] = self.data_[self.target].to_numpy(float)
        return out

    def response(self, channel: str, spend, u=None) -> np.ndarray:
        """Steady-state target per period when ``channel`` spends ``spend`` every period (draws x grid)."""
        i = self.channels.index(channel)
        spend = np.atleast_1d(np.asarray(spend, float))
        U = self.draws_u_ if u is None else np.atleast_2d(u)
        ch = U[:, : len(self.channels) * self._kc].reshape(len(U), len(self.channels), self._kc)[:, i]
        x = spend / self.x_scale_[channel]
        out = np.stack([np.exp(c[-1]) * self._sat.apply_u(x, c[self._ka : -1]) for c in ch])
        return out * self.y_scale_

    def response_curves(self, n: int = 41, upto: float = 1.5) -> pd.DataFrame:
        """Steady-state response of each channel over a grid of spend per period, with 90% bands."""
        rows = []
        for c in self.channels:
            hist = float(self.data_[c].mean())
            grid = np.linspace(0, upto * float(self.data_[c].max()), n)
            r = self.response(c, grid)
            lo, hi = _q(r)
            med = np.median(r, axis=0)
            for k, g in enumerate(grid):
                rows.append(
                    {
                        "channel": c,
                        "spend": float(g),
                        "response": float(med[k]),
                        "low": float(lo[k]),
                        "high": float(hi[k]),
                        "current_spend": hist,
                    }
                )
        return pd.DataFrame(rows)

    def carryover(self) -> pd.DataFrame:
        """Share of a period's effect that lands ``lag`` periods later, per channel (median and 90% band)."""
        rows = []
        C, kc = len(self.channels), self._kc
        U = self.draws_u_[:, : C * kc].reshape(len(self.draws_u_), C, kc)
        for i, c in enumerate(self.channels):
            w = np.stack([np.asarray(self._ad.weights(u[: self._ka])) for u in U[:, i]])
            lo, hi = _q(w)
            med = np.median(w, axis=0)
            for lag in range(self.l_max):
                rows.append(
                    {"channel": c, "lag": lag, "weight": float(med[lag]), "low": float(lo[lag]), "high": float(hi[lag])}
                )
        return pd.DataFrame(rows)


def _log_gauss(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Log density of Normal(mean, cov) at the rows of ``x`` (up to the shared 2 pi constant)."""
    chol = np.linalg.cholesky(cov)
    z = np.linalg.solve(chol, (x - mean).T)
    return -0.5 * np.sum(z * z, axis=0) - np.sum(np.log(np.diag(chol)))


def _val(point: float, draws: np.ndarray) -> dict:
    draws = np.asarray(draws, float)
    if not np.isfinite(draws).all():
        return {"value": float(point), "interval_90": [None, None], "sd": None, "mean": None}
    lo, hi = _q(draws)
    return {
        "value": float(point),
        "interval_90": [float(lo), float(hi)],
        "sd": float(np.std(draws)),
        "mean": float(np.mean(draws)),
    }


def fit_verdict(code: str, lang: str = "en") -> str:
    """The fit diagnostics' verdict (``reliable`` / ``use with care``, codes in the record) as people of ``lang`` say it."""
    en, de = FIT_VERDICTS.get(code, (code, code))
    return de if lang == "de" else en


__all__ = ["FIT_VERDICTS", "LEVEL", "MMM", "PRIOR_WORDS", "LiftTest", "fit_verdict"]
