"""Buy-till-you-die models: BG/NBD, MBG/NBD and Pareto/NBD for transactions, Gamma-Gamma for spend.

Each model is a scikit-learn style estimator: hyperparameters in ``__init__``, ``fit`` returns the
estimator, and what it learned ends in ``_`` (``params_``, ``standard_errors_``, ``covariance_``,
``log_likelihood_``, ...). The data of a transaction model are three numbers per customer, in one
time unit (weeks in the literature):

* ``frequency`` (x): the number of *repeat* purchase days in the calibration period;
* ``recency`` (t_x): the time from the first purchase to the last one (0 when x = 0);
* ``T``: the time from the first purchase to the end of the calibration period.

How the fit works
-----------------
Maximum likelihood with L-BFGS-B on the logarithms of the parameters (so they stay positive), with
analytic gradients, then a few Newton steps with a Hessian from finite differences of the analytic
gradient; that Hessian also gives the standard errors and the covariance used for intervals.
Customers with the same (x, t_x, T) are fitted once with a weight (``n_rows_`` vs
``n_distinct_``), which is exact: the log-likelihood is a weighted sum.

All terms are computed in log space (``gammaln``, ``betaln``, ``logaddexp``). The Pareto/NBD
likelihood contains a difference of two Gauss hypergeometric functions that overflows or loses all
its digits for some parameter values; here it is computed instead as the integral it comes from,

    L = C * [ (alpha+T)^-(r+x) (beta+T)^-s  +  s * Int_{t_x}^{T} (alpha+y)^-(r+x) (beta+y)^-(s+1) dy ],

a sum of positive terms, by Gauss-Legendre quadrature in u = log(min(alpha, beta) + y), split where
the integrand bends and cut where it has fallen by e^-40, summed with log-sum-exp.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x, tx, T = simulate_bgnbd(5000, 0.25, 4.0, 0.8, 2.5, T=39.0, seed=1)
>>> m = BetaGeoModel().fit(x, tx, T)
>>> sorted(m.params_)
['a', 'alpha', 'b', 'r']
>>> bool(0.15 < m.params_["r"] < 0.35)
True
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from nomagic.errors import InputError, NotReadyError
from nomagic.words import join, say

__all__ = [
    "BetaGeoModel",
    "GammaGammaModel",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "simulate_bgnbd",
]

_LOG_BOUNDS = (math.log(1e-8), math.log(1e8))


def _dot(a, b) -> float:
    """Inner product without BLAS: BLAS threads fight for busy cores and made fits several times slower."""
    return np.einsum("i,i->", np.asarray(a, dtype=float), np.asarray(b, dtype=float))


# --------------------------------------------------------------------------- data


@dataclass
class _Data:
    """Distinct (x, t_x, T) rows with weights, plus what the likelihoods reuse."""

    x: np.ndarray
    tx: np.ndarray
    T: np.ndarray
    w: np.ndarray
    inverse: np.ndarray  # original row -> distinct row
    ux: np.ndarray  # distinct frequencies
    x_idx: np.ndarray  # distinct row -> index into ux
    wx: np.ndarray  # total weight per distinct frequency

    @property
    def n_rows(self) -> int:
        return int(self.inverse.size)


def _as_float(name: str, v) -> np.ndarray:
    if isinstance(v, pd.Series | pd.DataFrame):
        v = v.to_numpy()
    try:
        arr = np.asarray(v, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(say("{name} must be numbers", "{name} muss aus Zahlen bestehen", name=name)) from None
    return arr


def _check_rfm(frequency, recency, T, weights=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x = _as_float("frequency", frequency)
    tx = _as_float("recency", recency)
    TT = _as_float("T", T)
    if not (x.size == tx.size == TT.size):
        raise InputError(
            say(
                "frequency ({a}), recency ({b}) and T ({c}) differ in length",
                "frequency ({a}), recency ({b}) und T ({c}) sind unterschiedlich lang",
                a=x.size,
                b=tx.size,
                c=TT.size,
            )
        )
    if x.size == 0:
        raise NotReadyError(say("no customers to fit", "keine Kunden zum Anpassen"))
    w = np.ones_like(x) if weights is None else _as_float("weights", weights)
    if w.size != x.size:
        raise InputError(_lengths("weights", w.size, "frequency", x.size))
    for name, arr in (("frequency", x), ("recency", tx), ("T", TT), ("weights", w)):
        bad = ~np.isfinite(arr)
        if bad.any():
            raise InputError(
                say(
                    "{name} is blank or infinite in {n:,} customer(s) (first at position {i})",
                    "{name} ist bei {n:,} Kunde(n) leer oder unendlich (zuerst an Position {i})",
                    name=name,
                    n=int(bad.sum()),
                    i=int(np.argmax(bad)),
                )
            )
        neg = arr < 0
        if neg.any():
            raise InputError(
                say(
                    "{name} is negative in {n:,} customer(s) (first at position {i})",
                    "{name} ist bei {n:,} Kunde(n) negativ (zuerst an Position {i})",
                    name=name,
                    n=int(neg.sum()),
                    i=int(np.argmax(neg)),
                )
            )
    if np.any(x != np.round(x)):
        raise InputError(
            say(
                "frequency must be whole numbers (the count of repeat purchase days)",
                "frequency muss ganzzahlig sein (die Anzahl der Wiederkaufstage)",
            )
        )
    late = tx > TT * (1 + 1e-9) + 1e-12
    if late.any():
        i = int(np.argmax(late))
        raise InputError(
            say(
                "recency is larger than T for {n:,} customer(s) (first at position {i}: recency {tx:g}, T {T:g}); "
                "recency is the time from the first to the last purchase, T from the first purchase to the end of the "
                "calibration period",
                "recency ist bei {n:,} Kunde(n) größer als T (zuerst an Position {i}: recency {tx:g}, T {T:g}); "
                "recency ist die Zeit vom ersten bis zum letzten Kauf, T die vom ersten Kauf bis zum Ende des "
                "Kalibrierungszeitraums",
                n=int(late.sum()),
                i=i,
                tx=float(tx[i]),
                T=float(TT[i]),
            )
        )
    odd = (x == 0) & (tx > 0)
    if odd.any():
        raise InputError(
            say(
                "{n:,} customer(s) have no repeat purchase (frequency 0) but a recency above 0 (first at position {i}); "
                "recency must be 0 for them",
                "{n:,} Kunde(n) ohne Wiederkauf (frequency 0) haben eine recency über 0 (zuerst an Position {i}); "
                "recency muss für sie 0 sein",
                n=int(odd.sum()),
                i=int(np.argmax(odd)),
            )
        )
    return x, np.minimum(tx, TT), TT, w


def _lengths(a: str, na: int, b: str, nb: int) -> str:
    return say(
        "{a} ({na}) and {b} ({nb}) differ in length",
        "{a} ({na}) und {b} ({nb}) sind unterschiedlich lang",
        a=a,
        na=na,
        b=b,
        nb=nb,
    )


def _compress(x, tx, T, w) -> _Data:
    """Merge identical (x, t_x, T) rows; weights add up."""
    codes = []
    sizes = []
    for arr in (x, tx, T):
        c, u = pd.factorize(arr, sort=False)
        codes.append(c.astype(np.int64))
        sizes.append(max(len(u), 1))
    key = (codes[0] * sizes[1] + codes[1]) * sizes[2] + codes[2]
    inverse, uniq = pd.factorize(key, sort=False)
    first = np.zeros(len(uniq), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(key) - 1, -1, -1)  # first occurrence of each distinct row
    wsum = np.bincount(inverse, weights=w, minlength=len(uniq))
    ux_codes, ux = pd.factorize(x[first], sort=True)
    ux = np.asarray(ux, dtype=float)
    wx = np.bincount(ux_codes, weights=wsum, minlength=len(ux))
    return _Data(x[first], tx[first], T[first], wsum, inverse, ux, ux_codes, wx)


# --------------------------------------------------------------------------- base


def _positive_param(name: str, value) -> float:
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise InputError(
            say(
                "parameter {name} must be a positive number, not {value!r}",
                "Parameter {name} muss eine positive Zahl sein, nicht {value!r}",
                name=name,
                value=str(value),
            )
        )
    return v


class _BaseModel:
    """Shared fitting machinery: log-parameter L-BFGS-B, Newton polish, Hessian standard errors."""

    _names: tuple[str, ...] = ()

    def __init__(
        self, penalizer: float = 0.0, tol: float = 1e-10, max_iter: int = 500, initial_params: dict | None = None
    ):
        self.penalizer = penalizer
        self.tol = tol
        self.max_iter = max_iter
        self.initial_params = initial_params

    # sklearn-like helpers
    def get_params(self, deep: bool = True) -> dict:
        return {
            "penalizer": self.penalizer,
            "tol": self.tol,
            "max_iter": self.max_iter,
            "initial_params": self.initial_params,
        }

    def set_params(self, **params) -> _BaseModel:
        for k, v in params.items():
            if k not in self.get_params():
                raise InputError(
                    say(
                        "unknown hyperparameter {k!r} of {m}",
                        "unbekannter Hyperparameter {k!r} von {m}",
                        k=str(k),
                        m=type(self).__name__,
                    )
                )
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        if hasattr(self, "params_"):
            inner = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
            return f"{type(self).__name__}({inner})"
        return f"{type(self).__name__}(penalizer={self.penalizer})"

    # subclasses implement
    def _loglik(self, theta: np.ndarray, data, grad: bool) -> tuple[float, np.ndarray | None]:
        """Weighted sum of the log-likelihood and its gradient in the natural parameters."""
        raise NotImplementedError

    def _init(self, data) -> np.ndarray:
        raise NotImplementedError

    # shared
    def _objective(self, logtheta: np.ndarray, data, n: float) -> tuple[float, np.ndarray]:
        theta = np.exp(logtheta)
        ll, g = self._loglik(theta, data, True)
        pen = self.penalizer * float(np.sum(theta**2))
        f = -ll / n + pen
        gl = (-g / n + 2 * self.penalizer * theta) * theta
        if not np.isfinite(f) or not np.all(np.isfinite(gl)):
            return 1e100, np.zeros_like(logtheta)
        return f, gl

    def _hessian(self, theta: np.ndarray, data) -> np.ndarray:
        """Hessian of the penalised total log-likelihood in the natural parameters (central differences)."""
        k = theta.size
        H = np.empty((k, k))
        for i in range(k):
            h = 1e-5 * theta[i]
            tp, tm = theta.copy(), theta.copy()
            tp[i] += h
            tm[i] -= h
            gp = self._loglik(tp, data, True)[1] - 2 * self.penalizer * self._n * tp
            gm = self._loglik(tm, data, True)[1] - 2 * self.penalizer * self._n * tm
            H[:, i] = (gp - gm) / (2 * h)
        return 0.5 * (H + H.T)

    def _fit(self, data) -> _BaseModel:
        n = float(np.sum(data.w))
        self._n = n
        if self.initial_params is not None:
            x0 = np.log([_positive_param(k, self.initial_params[k]) for k in self._names])
        else:
            x0 = np.log(self._init(data))
        bounds = [_LOG_BOUNDS] * len(self._names)
        res = optimize.minimize(
            self._objective,
            x0,
            args=(data, n),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": self.max_iter, "ftol": self.tol * 1e-3, "gtol": self.tol, "maxcor": 10},
        )
        logtheta = np.clip(res.x, *_LOG_BOUNDS)
        n_iter = int(res.nit)
        # Newton polish in log space; the Hessian is needed for the standard errors anyway
        theta = np.exp(logtheta)
        H = self._hessian(theta, data)
        for _ in range(4):
            f0, g0 = self._objective(logtheta, data, n)
            if np.max(np.abs(g0)) < 1e-12:
                break
            # Hessian of the objective in log space: J (-H / n) J + diag(gradient)
            Hl = (-H / n) * np.outer(theta, theta) + np.diag(g0)
            try:
                step = -np.linalg.solve(Hl, g0)
            except np.linalg.LinAlgError:
                break
            if not np.all(np.isfinite(step)) or np.max(np.abs(step)) > 1.0:
                break
            cand = np.clip(logtheta + step, *_LOG_BOUNDS)
            f1, _ = self._objective(cand, data, n)
            if not f1 <= f0 + 1e-15 * abs(f0):
                break
            logtheta = cand
            theta = np.exp(logtheta)
            if np.max(np.abs(step)) < 1e-6:
                break  # the Hessian barely moves over such a step
            H = self._hessian(theta, data)
        ll, g = self._loglik(theta, data, True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                cov = np.linalg.inv(-H)
                if not np.all(np.isfinite(cov)) or np.any(np.diag(cov) <= 0):
                    raise np.linalg.LinAlgError
            except np.linalg.LinAlgError:
                cov = np.full((theta.size, theta.size), np.nan)
        at_bound = np.any(np.isclose(logtheta, _LOG_BOUNDS[0])) or np.any(np.isclose(logtheta, _LOG_BOUNDS[1]))
        self.params_ = {k: float(v) for k, v in zip(self._names, theta, strict=True)}
        self.covariance_ = pd.DataFrame(cov, index=list(self._names), columns=list(self._names))
        self.standard_errors_ = {k: float(np.sqrt(cov[i, i])) for i, k in enumerate(self._names)}
        self.log_likelihood_ = float(ll)
        self.n_iter_ = n_iter
        gnorm = float(np.max(np.abs((-g / n + 2 * self.penalizer * theta) * theta)))
        finite_cov = bool(np.all(np.isfinite(cov)))
        self.converged_ = bool((res.success or gnorm < 1e-6) and not at_bound and finite_cov)
        self.n_rows_ = int(round(n))
        self.n_distinct_ = int(len(data.w))
        if not self.converged_:
            why = []
            if at_bound:
                why.append(
                    say(
                        "a parameter reached its limit (1e-8 or 1e8), so the data cannot pin it down",
                        "ein Parameter erreichte seine Grenze (1e-8 oder 1e8), die Daten legen ihn also nicht fest",
                    )
                )
            if not finite_cov:
                why.append(
                    say(
                        "the curvature is flat in some direction, so the standard errors are unknown",
                        "die Krümmung ist in einer Richtung flach, die Standardfehler sind also unbekannt",
                    )
                )
            if not (res.success or gnorm < 1e-6):
                why.append(
                    say(
                        "the optimiser stopped early (gradient {g:.2g})",
                        "der Optimierer hielt zu früh an (Gradient {g:.2g})",
                        g=gnorm,
                    )
                )
            # the warning's message is a Text: callers that catch it keep the German (w.message.args[0])
            warnings.warn(
                RuntimeWarning(
                    say(
                        "{m} did not converge cleanly: {why}. Treat its parameters with care (more customers or a "
                        "longer calibration period help; a small penalizer stabilises the fit)",
                        "{m} konvergierte nicht sauber: {why}. Seine Parameter mit Vorsicht behandeln (mehr Kunden "
                        "oder ein längerer Kalibrierungszeitraum helfen; ein kleiner penalizer stabilisiert die "
                        "Anpassung)",
                        m=type(self).__name__,
                        why=join(why, "; "),
                    )
                ),
                stacklevel=3,
            )
        return self

    def _theta(self, params: dict | None = None) -> np.ndarray:
        if params is None:
            if not hasattr(self, "params_"):
                raise InputError(
                    say(
                        "{m} is not fitted yet: call fit(...) first",
                        "{m} ist noch nicht angepasst: zuerst fit(...) aufrufen",
                        m=type(self).__name__,
                    )
                )
            params = self.params_
        return np.array([params[k] for k in self._names], dtype=float)

    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors and 95% Wald intervals (on the log scale, so they stay positive)."""
        theta = self._theta()
        se = np.array([self.standard_errors_[k] for k in self._names])
        sl = se / theta
        return pd.DataFrame(
            {
                "estimate": theta,
                "standard_error": se,
                "lower_95": theta * np.exp(-1.959964 * sl),
                "upper_95": theta * np.exp(1.959964 * sl),
            },
            index=list(self._names),
        )

    def sample_params(self, n: int, seed: int = 0) -> list[dict]:
        """``n`` parameter draws from the fit's asymptotic normal distribution on the log scale."""
        theta = self._theta()
        cov = self.covariance_.to_numpy()
        if not np.all(np.isfinite(cov)):
            return [dict(self.params_) for _ in range(n)]
        cov_log = cov / np.outer(theta, theta)
        rng = np.random.default_rng(seed)
        draws = rng.multivariate_normal(np.log(theta), cov_log, size=n, method="eigh")
        return [dict(zip(self._names, np.exp(d), strict=True)) for d in draws]

    def save(self, folder) -> list:
        """Write the fitted model as JSON (a safe format) into ``folder``; the registry calls this."""
        from pathlib import Path

        path = Path(folder) / "model.json"
        path.write_text(json.dumps(self.to_dict(), indent=1, default=float))
        return [path]

    def to_dict(self) -> dict:
        """Plain JSON: kind, parameters, standard errors, fit facts."""
        return {
            "kind": type(self).__name__,
            "params": dict(self.params_),
            "standard_errors": dict(self.standard_errors_),
            "covariance": self.covariance_.to_numpy().tolist(),
            "log_likelihood": self.log_likelihood_,
            "n_rows": self.n_rows_,
            "converged": self.converged_,
            "penalizer": self.penalizer,
        }

    @classmethod
    def from_dict(cls, d: dict):
        m = cls(penalizer=d.get("penalizer", 0.0))
        m.params_ = {k: float(d["params"][k]) for k in cls._names}
        m.standard_errors_ = {k: float(d.get("standard_errors", {}).get(k, np.nan)) for k in cls._names}
        cov = np.asarray(d.get("covariance", np.full((len(cls._names),) * 2, np.nan)), dtype=float)
        m.covariance_ = pd.DataFrame(cov, index=list(cls._names), columns=list(cls._names))
        m.log_likelihood_ = float(d.get("log_likelihood", np.nan))
        m.n_rows_ = int(d.get("n_rows", 0))
        m.converged_ = bool(d.get("converged", True))
        return m


# --------------------------------------------------------------------------- transaction models


class _TransactionModel(_BaseModel):
    def fit(self, frequency, recency, T, weights=None):
        """Fit by maximum likelihood.

        Parameters
        ----------
        frequency, recency, T : per customer, in one time unit (see the module docstring).
        weights : optional number of customers each row stands for.

        Returns
        -------
        self
        """
        x, tx, TT, w = _check_rfm(frequency, recency, T, weights)
        keep = w > 0
        if not keep.any():
            raise NotReadyError(
                say("all weights are zero: no customers to fit", "alle Gewichte sind 0: keine Kunden zum Anpassen")
            )
        x, tx, TT, w = x[keep], tx[keep], TT[keep], w[keep]
        repeat = float(w[x > 0].sum())
        if repeat < 2:
            raise NotReadyError(
                say(
                    "only {n:g} customer(s) bought more than once: a transaction model needs repeat buyers (use a "
                    "longer calibration period or more customers)",
                    "nur {n:g} Kunde(n) kauften mehr als einmal: ein Kaufmodell braucht Wiederkäufer (einen längeren "
                    "Kalibrierungszeitraum oder mehr Kunden verwenden)",
                    n=repeat,
                )
            )
        if not np.any(TT > 0):
            raise NotReadyError(
                say(
                    "every customer's T is 0: the calibration period must end after the first purchases",
                    "T ist bei jedem Kunden 0: der Kalibrierungszeitraum muss nach den ersten Käufen enden",
                )
            )
        data = _compress(x, tx, TT, w)
        return self._fit(data)

    def log_likelihood(self, frequency, recency, T, weights=None, params: dict | None = None) -> float:
        """The (weighted) total log-likelihood at the fitted or given parameters."""
        x, tx, TT, w = _check_rfm(frequency, recency, T, weights)
        data = _compress(x, tx, TT, w)
        return float(self._loglik(self._theta(params), data, False)[0])

    def log_likelihood_per_customer(self, frequency, recency, T, params: dict | None = None) -> np.ndarray:
        """Each customer's log-likelihood (no compression, no weights)."""
        x, tx, TT, w = _check_rfm(frequency, recency, T)
        n = x.size
        data = _Data(x, tx, TT, w, np.arange(n), *_x_index(x, w))
        return self._loglik_rows(self._theta(params), data)

    def _init(self, data) -> np.ndarray:
        raise NotImplementedError

    def _loglik_rows(self, theta, data) -> np.ndarray:
        raise NotImplementedError

    def _loglik(self, theta, data, grad):
        raise NotImplementedError

    # predictions shared by the interface
    def expected_purchases(self, t, params: dict | None = None) -> np.ndarray:
        """Expected number of purchases of a new customer in the ``t`` time units after the first one."""
        raise NotImplementedError

    def conditional_expected_purchases(self, t, frequency, recency, T, params: dict | None = None) -> np.ndarray:
        """Expected number of purchases in the next ``t`` time units, given each customer's history."""
        raise NotImplementedError

    def probability_alive(self, frequency, recency, T, params: dict | None = None) -> np.ndarray:
        """Probability that each customer is still active at the end of the calibration period."""
        raise NotImplementedError

    def predict(self, t, frequency, recency, T) -> np.ndarray:
        """Alias of :meth:`conditional_expected_purchases`."""
        return self.conditional_expected_purchases(t, frequency, recency, T)

    def probability_alive_matrix(
        self, max_frequency: int | None = None, max_recency: float | None = None, T: float | None = None
    ) -> pd.DataFrame:
        """P(alive) for a customer observed for ``T`` (default: the longest), by frequency (rows) and recency (columns)."""
        T = float(T if T is not None else getattr(self, "_T_max", 52.0))
        max_frequency = int(max_frequency if max_frequency is not None else getattr(self, "_x_q99", 20))
        rec = np.linspace(0, T if max_recency is None else min(max_recency, T), 21)
        xs = np.arange(0, max_frequency + 1)
        X, R = np.meshgrid(xs, rec, indexing="ij")
        R = np.where(X == 0, 0.0, R)
        p = self.probability_alive(X.ravel(), R.ravel(), np.full(X.size, T)).reshape(X.shape)
        return pd.DataFrame(p, index=pd.Index(xs, name="frequency"), columns=pd.Index(np.round(rec, 2), name="recency"))

    def _fit(self, data):
        super()._fit(data)
        self._T_max = float(np.max(data.T))
        self._x_q99 = int(max(1, np.quantile(data.x, 0.99)))
        return self


def _x_index(x: np.ndarray, w: np.ndarray):
    codes, ux = pd.factorize(x, sort=True)
    ux = np.asarray(ux, dtype=float)
    return ux, codes, np.bincount(codes, weights=w, minlength=len(ux))


def _expm1_ratio(k: np.ndarray | float, ell: np.ndarray | float) -> np.ndarray:
    """(1 - exp(k * ell)) / k, continuous at k = 0 (where it is -ell)."""
    k = np.asarray(k, dtype=float)
    ell = np.asarray(ell, dtype=float)
    small = np.abs(k) < 1e-10
    ks = np.where(small, 1.0, k)
    return np.where(small, -ell, -np.expm1(k * ell) / ks)


class BetaGeoModel(_TransactionModel):
    """BG/NBD (Fader, Hardie & Lee 2005): purchases at a gamma-distributed rate (r, alpha); after each
    purchase a customer drops out with a beta-distributed probability (a, b).

    Parameters
    ----------
    penalizer : L2 penalty on the parameters (added to the mean negative log-likelihood), 0 for none.
    tol : gradient tolerance of the optimiser.
    max_iter : iteration limit of the optimiser.
    initial_params : optional starting values ``{"r", "alpha", "a", "b"}``.

    Attributes
    ----------
    params_ : ``{"r", "alpha", "a", "b"}``.
    standard_errors_, covariance_ : from the Hessian at the optimum.
    log_likelihood_ : total log-likelihood at the optimum.

    Examples
    --------
    >>> x, tx, T = simulate_bgnbd(2000, 0.25, 4.0, 0.8, 2.5, T=39.0, seed=0)
    >>> m = BetaGeoModel().fit(x, tx, T)
    >>> float(m.probability_alive([0], [0], [39.0])[0])
    1.0
    """

    _names = ("r", "alpha", "a", "b")
    _shift = 0  # MBG/NBD: 1

    def _init(self, data) -> np.ndarray:
        rate = max(float(np.sum(data.w * data.x) / np.sum(data.w * np.maximum(data.T, 1e-9))), 1e-6)
        return np.array([1.0, 1.0 / rate, 1.0, 1.0 + 2 * self._shift])

    def _terms(self, theta, data):
        """Per distinct row: l1 = log of the 'still alive' term, d = log(second term) - l1 (-inf where
        the second term is absent), and the logs reused by the gradient."""
        r, alpha, a, b = theta
        k = self._shift
        x = data.x
        ux = data.ux
        la_T = np.log(alpha + data.T)
        la_tx = np.log(alpha + data.tx)
        rx = r + x
        if k == 0:
            den_u = np.where(ux > 0, b + ux - 1.0, 1.0)
            logmask_u = np.where(ux > 0, 0.0, -np.inf)
        else:
            den_u = b + ux
            logmask_u = np.zeros_like(ux)
        lead_u = math.log(a) - np.log(den_u) + logmask_u
        d = lead_u[data.x_idx] + rx * (la_T - la_tx)
        l1 = -rx * la_T
        return l1, d, la_T, la_tx, rx, den_u

    def _xterms(self, theta, ux):
        r, alpha, a, b = theta
        k = self._shift
        return gammaln(r + ux) - gammaln(r) + r * math.log(alpha) + betaln(a, b + ux + k) - betaln(a, b)

    @staticmethod
    def _softplus(d):
        """log(1 + exp(d)) and expit(d), sharing one exp (both exact for d = -inf)."""
        e = np.exp(-np.abs(d))
        s = 1.0 / (1.0 + e)
        return np.maximum(d, 0.0) + np.log1p(e), np.where(d >= 0, s, e * s)

    def _loglik_rows(self, theta, data) -> np.ndarray:
        l1, d, *_ = self._terms(theta, data)
        return self._xterms(theta, data.ux)[data.x_idx] + l1 + self._softplus(d)[0]

    def _loglik(self, theta, data, grad):
        r, alpha, a, b = theta
        k = self._shift
        l1, d, la_T, la_tx, rx, den_u = self._terms(theta, data)
        sp, w2 = self._softplus(d)
        w = data.w
        ux, wx = data.ux, data.wx
        ll = float(_dot(wx, self._xterms(theta, ux)) + _dot(w, l1) + _dot(w, sp))
        if not grad:
            return ll, None
        ww2 = w * w2
        w1 = w - ww2
        W = float(np.sum(wx))
        dr_x = _dot(wx, digamma(r + ux) - digamma(r)) + W * math.log(alpha)
        dr_row = -_dot(w1, la_T) - _dot(ww2, la_tx)
        dalpha = W * r / alpha - _dot(w1 * rx, 1.0 / (alpha + data.T)) - _dot(ww2 * rx, 1.0 / (alpha + data.tx))
        w2x = np.bincount(data.x_idx, weights=ww2, minlength=ux.size)  # second-term weight per frequency
        dab = digamma(a + b)
        da = _dot(wx, dab - digamma(a + b + ux + k)) + np.sum(w2x) / a
        db = _dot(wx, digamma(b + ux + k) - digamma(a + b + ux + k) - digamma(b) + dab) - _dot(w2x, 1.0 / den_u)
        return ll, np.array([dr_x + dr_row, dalpha, da, db])

    # ---- predictions
    def _bg_bracket(self, t, x, T, params):
        """(1 - q^(a-1) 2F1(A, a-1; C; 1-q)) / (a-1) with q = (alpha+T)/(alpha+T+t) (Euler-transformed form)."""
        r, alpha, a, b = (params[k] for k in self._names)
        k = self._shift
        t = np.asarray(t, dtype=float)
        q = (alpha + T) / (alpha + T + t)
        A = a + b + k - 1 - r
        C = a + b + x + k - 1
        am1 = a - 1.0
        if abs(am1) < 1e-7:
            am1 = 1e-7 if am1 >= 0 else -1e-7
            a = 1.0 + am1
        F = hyp2f1(A, am1, C, 1.0 - q)
        return (1.0 - np.exp(am1 * np.log(q)) * F) / am1, C

    def expected_purchases(self, t, params: dict | None = None) -> np.ndarray:
        p = dict(zip(self._names, self._theta(params), strict=True))
        t = np.asarray(t, dtype=float)
        zero = np.zeros_like(t)
        return self._conditional(t, zero, zero, zero, p)

    def _conditional(self, t, x, tx, T, p):
        r, alpha, a, b = (p[k] for k in self._names)
        k = self._shift
        br, C = self._bg_bracket(t, x, T, p)
        mask = x > 0 if k == 0 else np.ones(np.shape(x), dtype=bool)
        denom = np.where(mask, b + x + k - 1, 1.0)
        ratio = np.where(mask, np.log(a) - np.log(denom) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)), -np.inf)
        # E = C * bracket / (1 + exp(ratio)), computed as C * bracket * expit(-ratio)
        return C * br * expit(-ratio)

    def conditional_expected_purchases(self, t, frequency, recency, T, params: dict | None = None) -> np.ndarray:
        p = dict(zip(self._names, self._theta(params), strict=True))
        x, tx, TT, _ = _check_rfm(frequency, recency, T)
        return self._conditional(np.broadcast_to(np.asarray(t, dtype=float), x.shape), x, tx, TT, p)

    def probability_alive(self, frequency, recency, T, params: dict | None = None) -> np.ndarray:
        r, alpha, a, b = self._theta(params)
        k = self._shift
        x, tx, TT, _ = _check_rfm(frequency, recency, T)
        mask = x > 0 if k == 0 else np.ones(x.shape, dtype=bool)
        denom = np.where(mask, b + x + k - 1, 1.0)
        ratio = np.where(mask, np.log(a) - np.log(denom) + (r + x) * (np.log(alpha + TT) - np.log(alpha + tx)), -np.inf)
        return expit(-ratio)


class ModifiedBetaGeoModel(BetaGeoModel):
    """MBG/NBD (Batislam, Denizel & Filiztekin 2007): as BG/NBD, but a customer may also drop out right
    after the first purchase, so customers without repeat purchases are not assumed alive.

    Same parameters and interface as :class:`BetaGeoModel`.
    """

    _shift = 1


class ParetoNBDModel(_TransactionModel):
    """Pareto/NBD (Schmittlein, Morrison & Colombo 1987): purchases at a gamma-distributed rate (r, alpha)
    while alive; lifetimes are exponential with a gamma-distributed dropout rate (s, beta).

    Parameters
    ----------
    penalizer, tol, max_iter, initial_params : as for :class:`BetaGeoModel`.
    n_nodes : Gauss-Legendre nodes per panel of the likelihood's integral (two panels).

    Attributes
    ----------
    params_ : ``{"r", "alpha", "s", "beta"}``; see :class:`BetaGeoModel` for the others.
    """

    _names = ("r", "alpha", "s", "beta")

    def __init__(
        self,
        penalizer: float = 0.0,
        tol: float = 1e-10,
        max_iter: int = 500,
        initial_params: dict | None = None,
        n_nodes: int = 24,
    ):
        super().__init__(penalizer=penalizer, tol=tol, max_iter=max_iter, initial_params=initial_params)
        self.n_nodes = n_nodes

    def get_params(self, deep: bool = True) -> dict:
        return {**super().get_params(deep), "n_nodes": self.n_nodes}

    def _init(self, data) -> np.ndarray:
        rate = max(float(np.sum(data.w * data.x) / np.sum(data.w * np.maximum(data.T, 1e-9))), 1e-6)
        meanT = float(np.sum(data.w * data.T) / np.sum(data.w))
        return np.array([1.0, 1.0 / rate, 1.0, max(meanT, 1e-3)])

    def _integral(self, theta, x, tx, T, with_grad: bool):
        """log of Int_{t_x}^{T} (alpha+y)^-(r+x) (beta+y)^-(s+1) dy per row, and the integrand-weighted
        means of d log f / d(r, alpha, s, beta)."""
        r, alpha, s, beta = theta
        n = x.size
        logI = np.full(n, -np.inf)
        means = np.zeros((4, n)) if with_grad else None
        live = T > tx
        if not live.any():
            return logI, means
        xl, txl, Tl = x[live], tx[live], T[live]
        m = r + xl
        c = min(alpha, beta)
        da, db = alpha - c, beta - c
        u0 = np.log(c + txl)
        u1 = np.log(c + Tl)
        # the bend: where exp(u) reaches the gap between alpha and beta
        d = abs(alpha - beta)
        uk = math.log(d) if d > 0 else -np.inf

        def slope(u):  # d/du of the log integrand in u (including the Jacobian exp(u)), decreasing in u
            eu = np.exp(u)
            return 1.0 - m * eu / (eu + da) - (s + 1.0) * eu / (eu + db)

        # cut where the integrand has surely fallen by e^-40 below its maximum: h is concave, so after a
        # point where it falls at rate kappa > 0 it falls at least that fast
        ue = u1
        for uref in (u0, np.maximum(u0, uk)):
            kappa = -slope(uref)
            ue = np.minimum(ue, np.where(kappa > 0, uref + 40.0 / np.where(kappa > 0, kappa, 1.0), np.inf))
        um = np.clip(uk, u0, ue)
        nodes, wts = _gauss_legendre(self.n_nodes)
        # two panels: [u0, um] and [um, ue]
        lo = np.concatenate([u0[:, None], um[:, None]], axis=1)  # (k, 2)
        hi = np.concatenate([um[:, None], ue[:, None]], axis=1)
        half = 0.5 * (hi - lo)
        mid = 0.5 * (hi + lo)
        U = mid[:, :, None] + half[:, :, None] * nodes[None, None, :]  # (k, 2, n_nodes)
        with np.errstate(divide="ignore"):
            LW = np.log(half)[:, :, None] + np.log(wts)[None, None, :]
        U = U.reshape(U.shape[0], -1)
        LW = LW.reshape(LW.shape[0], -1)
        eu = np.exp(U)
        lay = np.log(eu + da)  # log(alpha + y)
        lby = np.log(eu + db)  # log(beta + y)
        h = U - m[:, None] * lay - (s + 1.0) * lby + LW
        hmax = np.max(h, axis=1)
        e = np.exp(h - hmax[:, None])
        tot = e.sum(axis=1)
        logI[live] = hmax + np.log(tot)
        if with_grad:
            p = e / tot[:, None]
            means[0, live] = -(p * lay).sum(axis=1)
            means[1, live] = -m * (p * np.exp(-lay)).sum(axis=1)
            means[2, live] = -(p * lby).sum(axis=1)
            means[3, live] = -(s + 1.0) * (p * np.exp(-lby)).sum(axis=1)
        return logI, means

    def _parts(self, theta, data, with_grad):
        r, alpha, s, beta = theta
        x, tx, TT = data.x, data.tx, data.T
        laT = np.log(alpha + TT)
        lbT = np.log(beta + TT)
        le1 = -(r + x) * laT - s * lbT
        logI, means = self._integral(theta, x, tx, TT, with_grad)
        li = math.log(s) + logI
        z = np.logaddexp(le1, li)
        return le1, li, z, laT, lbT, means

    def _loglik_rows(self, theta, data) -> np.ndarray:
        r, alpha, s, beta = theta
        le1, li, z, *_ = self._parts(theta, data, False)
        ux = data.ux
        xt = gammaln(r + ux) - gammaln(r) + r * math.log(alpha) + s * math.log(beta)
        return xt[data.x_idx] + z

    def _loglik(self, theta, data, grad):
        r, alpha, s, beta = theta
        le1, li, z, laT, lbT, means = self._parts(theta, data, grad)
        ux, wx, w = data.ux, data.wx, data.w
        W = float(np.sum(wx))
        ll = float(_dot(wx, gammaln(r + ux) - gammaln(r)) + W * (r * math.log(alpha) + s * math.log(beta)) + _dot(w, z))
        if not grad:
            return ll, None
        v2 = np.exp(li - z)
        v1 = 1.0 - v2
        rx = r + data.x
        dr = _dot(wx, digamma(r + ux) - digamma(r)) + W * math.log(alpha) + _dot(w, -v1 * laT + v2 * means[0])
        dalpha = W * r / alpha + _dot(w, -v1 * rx / (alpha + data.T) + v2 * means[1])
        ds = W * math.log(beta) + _dot(w, -v1 * lbT + v2 * (1.0 / s + means[2]))
        dbeta = W * s / beta + _dot(w, -v1 * s / (beta + data.T) + v2 * means[3])
        return ll, np.array([dr, dalpha, ds, dbeta])

    # ---- predictions
    def probability_alive(self, frequency, recency, T, params: dict | None = None) -> np.ndarray:
        theta = self._theta(params)
        x, tx, TT, w = _check_rfm(frequency, recency, T)
        data = _Data(x, tx, TT, w, np.arange(x.size), *_x_index(x, w))
        le1, li, z, *_ = self._parts(theta, data, False)
        return np.exp(le1 - z)

    def expected_purchases(self, t, params: dict | None = None) -> np.ndarray:
        r, alpha, s, beta = self._theta(params)
        t = np.asarray(t, dtype=float)
        return r * beta / alpha * _expm1_ratio(s - 1.0, np.log(beta / (beta + t)))

    def conditional_expected_purchases(self, t, frequency, recency, T, params: dict | None = None) -> np.ndarray:
        r, alpha, s, beta = self._theta(params)
        x, tx, TT, _ = _check_rfm(frequency, recency, T)
        t = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
        palive = self.probability_alive(x, tx, TT, params)
        g = _expm1_ratio(s - 1.0, np.log((beta + TT) / (beta + TT + t)))
        return (r + x) * (beta + TT) / (alpha + TT) * g * palive


_GL_CACHE: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    if n not in _GL_CACHE:
        _GL_CACHE[n] = np.polynomial.legendre.leggauss(n)
    return _GL_CACHE[n]


# --------------------------------------------------------------------------- spend


@dataclass
class _SpendData:
    x: np.ndarray
    m: np.ndarray
    w: np.ndarray


class GammaGammaModel(_BaseModel):
    """Gamma-Gamma spend model (Fader, Hardie & Lee 2005): each purchase's value is gamma(p, nu) with a
    customer-level nu ~ gamma(q, v); fitted on repeat buyers' mean spend per purchase.

    It assumes that how much a customer spends does not depend on how often they buy; check the
    correlation of ``frequency`` and ``monetary_value`` (:func:`spend_frequency_correlation`).

    Attributes
    ----------
    params_ : ``{"p", "q", "v"}``; the population mean spend per purchase is ``p * v / (q - 1)``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(1, 8, 300); nu = rng.gamma(4.0, 1 / 15.0, 300)
    >>> g = GammaGammaModel().fit(x, [rng.gamma(6.0, 1 / n, k).mean() for n, k in zip(nu, x)])
    >>> float(g.conditional_expected_spend([0], [0])[0]) == g.population_mean_spend_
    True
    """

    _names = ("p", "q", "v")

    def fit(self, frequency, monetary_value, weights=None):
        """Fit on customers with at least one repeat purchase and a positive mean spend.

        Rows with frequency 0 or spend <= 0 are left out (counted in ``n_excluded_``).
        """
        x = _as_float("frequency", frequency)
        mv = _as_float("monetary_value", monetary_value)
        if x.size != mv.size:
            raise InputError(_lengths("frequency", x.size, "monetary_value", mv.size))
        w = np.ones_like(x) if weights is None else _as_float("weights", weights)
        if w.size != x.size:
            raise InputError(_lengths("weights", w.size, "frequency", x.size))
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(w))):
            raise InputError(
                say("frequency and weights must not be blank", "frequency und weights dürfen nicht leer sein")
            )
        if np.any(mv < 0):
            raise InputError(
                say(
                    "monetary_value is negative for {n:,} customer(s): spend must be >= 0 (leave returns out)",
                    "monetary_value ist bei {n:,} Kunde(n) negativ: Ausgaben müssen >= 0 sein (Retouren weglassen)",
                    n=int((mv < 0).sum()),
                )
            )
        keep = (x > 0) & np.isfinite(mv) & (mv > 0) & (w > 0)
        self.n_excluded_ = int((~keep).sum())
        if keep.sum() < 10:
            raise NotReadyError(
                say(
                    "only {n:,} customer(s) with a repeat purchase of positive value: the spend model needs at least 10 "
                    "(better hundreds)",
                    "nur {n:,} Kunde(n) mit einem Wiederkauf von positivem Wert: das Ausgabenmodell braucht mindestens 10 "
                    "(besser Hunderte)",
                    n=int(keep.sum()),
                )
            )
        data = _SpendData(x[keep], mv[keep], w[keep])
        super()._fit(data)
        p, q, v = self._theta()
        self.population_mean_spend_ = float(p * v / (q - 1)) if q > 1 else float("inf")
        if q <= 1:
            warnings.warn(
                RuntimeWarning(
                    say(
                        "the Gamma-Gamma fit has q <= 1, so the mean spend is undefined: spend is too heavy-tailed "
                        "for this model",
                        "die Gamma-Gamma-Anpassung hat q <= 1, die mittleren Ausgaben sind also undefiniert: die "
                        "Ausgaben sind für dieses Modell zu schwer verteilt",
                    )
                ),
                stacklevel=2,
            )
        return self

    def _init(self, data) -> np.ndarray:
        mean = float(np.average(data.m, weights=data.w))
        return np.array([1.0, 2.0, max(mean, 1e-6)])

    def _loglik(self, theta, data, grad):
        p, q, v = theta
        x, mv, w = data.x, data.m, data.w
        px = p * x
        lvm = np.log(v + mv * x)
        ll_rows = (
            gammaln(px + q)
            - gammaln(px)
            - gammaln(q)
            + q * math.log(v)
            + (px - 1) * np.log(mv)
            + px * np.log(x)
            - (px + q) * lvm
        )
        ll = float(_dot(w, ll_rows))
        if not grad:
            return ll, None
        dpq = digamma(px + q)
        dp = _dot(w, x * (dpq - digamma(px) + np.log(mv) + np.log(x) - lvm))
        dq = _dot(w, dpq - digamma(q) + math.log(v) - lvm)
        dv = _dot(w, q / v - (px + q) / (v + mv * x))
        return ll, np.array([dp, dq, dv])

    def conditional_expected_spend(self, frequency, monetary_value, params: dict | None = None) -> np.ndarray:
        """Expected spend per purchase given a customer's repeat purchases and their mean value.

        A weighted mean of the population mean ``p v / (q - 1)`` and the customer's own mean; customers
        without repeat purchases (or without positive spend) get the population mean.
        """
        p, q, v = self._theta(params)
        x = _as_float("frequency", frequency)
        mv = np.nan_to_num(_as_float("monetary_value", monetary_value), nan=0.0)
        x = np.where(mv > 0, x, 0.0)
        return p * (v + x * mv) / (p * x + q - 1)

    def expected_spend(self, params: dict | None = None) -> float:
        """Population mean spend per purchase."""
        p, q, v = self._theta(params)
        return float(p * v / (q - 1))


# --------------------------------------------------------------------------- simulation


def simulate_bgnbd(n: int, r: float, alpha: float, a: float, b: float, T, seed: int = 0, *, day: float | None = None):
    """Customers simulated from the BG/NBD model: ``(frequency, recency, T)`` arrays.

    ``T`` is a number or an array of observation lengths. With ``day`` (the length of a day in the
    time unit, e.g. ``1/7`` for weeks) purchases are recorded as real data is: on whole days counted
    from the first purchase's day (which starts at a random time of day), several purchases on one day
    counting as one.
    """
    rng = np.random.default_rng(seed)
    T = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    offset = rng.random(n) * (day or 0.0)  # time of day of the first purchase
    x = np.zeros(n)
    tx = np.zeros(n)
    t = np.zeros(n)
    idx = np.arange(n)
    while idx.size:
        t_next = t[idx] + rng.exponential(1.0, idx.size) / np.maximum(lam[idx], 1e-300)
        t[idx] = t_next
        if day:
            rec = np.floor((offset[idx] + t_next) / day + 1e-9) * day
            ok = rec <= T[idx] + 1e-9
            new_day = rec > tx[idx] + 1e-9
        else:
            rec = t_next
            ok = t_next <= T[idx]
            new_day = np.ones(idx.size, dtype=bool)
        idx, rec, new_day = idx[ok], rec[ok], new_day[ok]
        x[idx[new_day]] += 1
        tx[idx[new_day]] = rec[new_day]
        die = rng.random(idx.size) < p[idx]
        idx = idx[~die]
    return x, tx, T
