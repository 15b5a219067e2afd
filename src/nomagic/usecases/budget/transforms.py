"""Media transformations: carry-over (adstock) and diminishing returns (saturation).

Small composable classes, each testable alone (the PyMC-Marketing convention). Every function is
written against an array namespace ``xp`` (``numpy`` by default, ``jax.numpy`` for the optional NUTS
sampler), so one definition serves both. Parameters live on the *unconstrained* real line inside
the model; each class says how to map them back (``constrain``), what its prior is (``log_prior``,
including the log-Jacobian of that map) and where to start (``init``).

Units: spend enters already divided by the channel's largest value in the fitting window
(``x / max(x)``), as PyMC-Marketing does, so the saturation parameters are comparable with its
``lam``. The adstock weights are normalised to sum to 1: a steady weekly spend ``x`` has adstock ``x``.

Batches: ``u`` may carry leading axes (draws x parameters); the parameters are read from its last axis
(``u[..., j]``), weights come back as ``(draws, l_max)`` and a saturation applied to an ``(n, draws)``
adstock broadcasts over the draws, so the importance weights of the Laplace draws are one pass.

Examples
--------
>>> import numpy as np
>>> GeometricAdstock(l_max=3).weights_from(0.5)
array([0.57142857, 0.28571429, 0.14285714])
>>> round(float(LogisticSaturation().apply(np.array([1.0]), np.array([4.0]))[0]), 4)
0.964
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from nomagic.words import say


def lag_matrix(x: np.ndarray, l_max: int) -> np.ndarray:
    """``(n, l_max)`` matrix whose column ``l`` is ``x`` shifted down by ``l`` periods (zeros before the start)."""
    n = len(x)
    out = np.zeros((n, l_max))
    for lag in range(l_max):
        out[lag:, lag] = x[: n - lag]
    return out


def _sigmoid(u, xp=np):
    return 1.0 / (1.0 + xp.exp(-u))


# ---------------------------------------------------------------- priors (on the constrained value)
# each returns log density + log |d value / d u| for the map value = f(u)


def _lp_beta_logit(u, a, b, xp=np):
    """value = sigmoid(u) ~ Beta(a, b); with the Jacobian, a * log s + b * log(1 - s)."""
    return a * (-xp.logaddexp(0.0, -u)) + b * (-xp.logaddexp(0.0, u))


def _lp_gamma_log(u, a, rate, xp=np):
    """value = exp(u) ~ Gamma(a, rate); with the Jacobian, a * u - rate * exp(u)."""
    return a * u - rate * xp.exp(u)


def _lp_lognormal_log(u, mu, sd, xp=np):
    """value = exp(u) ~ LogNormal(mu, sd); with the Jacobian, Normal(u; mu, sd)."""
    return -0.5 * ((u - mu) / sd) ** 2


@dataclass(frozen=True)
class GeometricAdstock:
    """Geometric carry-over: weight ``alpha**l`` on the spend ``l`` periods ago, normalised to sum 1.

    Prior: ``alpha ~ Beta(1, 3)`` (mean 0.25: most effect in the first periods), as PyMC-Marketing.
    """

    l_max: int = 8
    kind = "geometric"
    names = ("adstock_alpha",)
    prior_words = ("Beta(1, 3)",)

    def constrain(self, u, xp=np):
        return (_sigmoid(u[..., 0], xp),)

    def weights(self, u, xp=np):
        alpha = _sigmoid(u[..., 0], xp)[..., None]
        lags = xp.arange(self.l_max)
        w = alpha**lags
        return w / xp.sum(w, axis=-1, keepdims=True)

    def weights_from(self, alpha: float) -> np.ndarray:
        w = float(alpha) ** np.arange(self.l_max)
        return w / w.sum()

    def log_prior(self, u, xp=np):
        return _lp_beta_logit(u[..., 0], 1.0, 3.0, xp)

    def init(self) -> np.ndarray:
        return np.array([special.logit(0.3)])

    def unconstrain(self, values) -> np.ndarray:
        return np.array([special.logit(np.clip(values[0], 1e-6, 1 - 1e-6))])

    def mean_lag(self, values) -> float:
        w = self.weights_from(values[0])
        return float(np.sum(np.arange(self.l_max) * w))


@dataclass(frozen=True)
class WeibullAdstock:
    """Weibull carry-over: weight on lag ``l`` is the Weibull survival ``exp(-(l / scale) ** shape)``
    (``cdf`` form, the Robyn convention) or its density at ``l + 1`` (``pdf`` form: a delayed peak
    when ``shape > 1``); normalised to sum 1.

    Priors: ``scale ~ Gamma(2, 1)`` periods, ``shape ~ LogNormal(0, 0.5)``.
    """

    l_max: int = 8
    form: str = "cdf"
    kind = "weibull"
    names = ("adstock_scale", "adstock_shape")
    prior_words = (say("Gamma(2, 1) periods", "Gamma(2, 1) Perioden"), "LogNormal(0, 0.5)")

    def constrain(self, u, xp=np):
        return (xp.exp(u[..., 0]), xp.exp(u[..., 1]))

    def _w(self, scale, shape, xp=np):
        lags = xp.arange(self.l_max) * 1.0
        if self.form == "pdf":
            t = (lags + 1.0) / scale
            w = t ** (shape - 1.0) * xp.exp(-(t**shape))
        else:
            w = xp.exp(-((lags / scale) ** shape))
        return w / xp.sum(w, axis=-1, keepdims=True)

    def weights(self, u, xp=np):
        return self._w(xp.exp(u[..., 0])[..., None], xp.exp(u[..., 1])[..., None], xp)

    def weights_from(self, scale: float, shape: float) -> np.ndarray:
        return np.asarray(self._w(float(scale), float(shape)))

    def log_prior(self, u, xp=np):
        return _lp_gamma_log(u[..., 0], 2.0, 1.0, xp) + _lp_lognormal_log(u[..., 1], 0.0, 0.5, xp)

    def init(self) -> np.ndarray:
        return np.array([np.log(1.5), 0.0])

    def unconstrain(self, values) -> np.ndarray:
        return np.log(np.maximum(np.asarray(values, float), 1e-9))

    def mean_lag(self, values) -> float:
        w = self.weights_from(*values)
        return float(np.sum(np.arange(self.l_max) * w))


@dataclass(frozen=True)
class LogisticSaturation:
    """``(1 - exp(-lam x)) / (1 + exp(-lam x))``: concave from 0 to 1, as PyMC-Marketing.

    Prior: ``lam ~ Gamma(3, 1)`` (PyMC-Marketing's default), on spend divided by its maximum.
    """

    kind = "logistic"
    names = ("saturation_lam",)
    prior_words = ("Gamma(3, 1)",)

    def constrain(self, u, xp=np):
        return (xp.exp(u[..., 0]),)

    def apply(self, a, values, xp=np):
        z = values[0] * a
        return xp.tanh(0.5 * z)  # == (1 - e^-z) / (1 + e^-z)

    def apply_u(self, a, u, xp=np):
        return self.apply(a, (xp.exp(u[..., 0]),), xp)

    def log_prior(self, u, xp=np):
        return _lp_gamma_log(u[..., 0], 3.0, 1.0, xp)

    def init(self) -> np.ndarray:
        return np.array([np.log(2.0)])

    def unconstrain(self, values) -> np.ndarray:
        return np.log(np.maximum(np.asarray(values, float), 1e-9))


@dataclass(frozen=True)
class HillSaturation:
    """``a**shape / (a**shape + half**shape)``: half the ceiling at ``half``; S-shaped when ``shape > 1``.

    Priors: ``half ~ LogNormal(log 0.5, 1)`` (on spend divided by its maximum), ``shape ~ LogNormal(0, 0.5)``.
    """

    kind = "hill"
    names = ("saturation_half", "saturation_shape")
    prior_words = ("LogNormal(log 0.5, 1)", "LogNormal(0, 0.5)")

    def constrain(self, u, xp=np):
        return (xp.exp(u[..., 0]), xp.exp(u[..., 1]))

    def apply(self, a, values, xp=np):
        half, shape = values
        pos = a > 0
        safe = xp.where(pos, a, 1.0)
        h = 1.0 / (1.0 + xp.exp(shape * (xp.log(half) - xp.log(safe))))
        return xp.where(pos, h, 0.0)

    def apply_u(self, a, u, xp=np):
        return self.apply(a, (xp.exp(u[..., 0]), xp.exp(u[..., 1])), xp)

    def log_prior(self, u, xp=np):
        return _lp_lognormal_log(u[..., 0], np.log(0.5), 1.0, xp) + _lp_lognormal_log(u[..., 1], 0.0, 0.5, xp)

    def init(self) -> np.ndarray:
        return np.array([np.log(0.5), 0.0])

    def unconstrain(self, values) -> np.ndarray:
        return np.log(np.maximum(np.asarray(values, float), 1e-9))


ADSTOCKS = {"geometric": GeometricAdstock, "weibull": WeibullAdstock, "weibull_pdf": WeibullAdstock}
SATURATIONS = {"logistic": LogisticSaturation, "hill": HillSaturation}


def make_adstock(kind: str, l_max: int):
    if kind == "geometric":
        return GeometricAdstock(l_max=l_max)
    if kind == "weibull":
        return WeibullAdstock(l_max=l_max, form="cdf")
    if kind == "weibull_pdf":
        return WeibullAdstock(l_max=l_max, form="pdf")
    raise ValueError(
        say(
            "unknown adstock {kind!r}; choose geometric, weibull or weibull_pdf",
            "unbekannter Adstock {kind!r}; geometric, weibull oder weibull_pdf wählen",
            kind=kind,
        )
    )


def make_saturation(kind: str):
    if kind not in SATURATIONS:
        raise ValueError(
            say(
                "unknown saturation {kind!r}; choose logistic or hill",
                "unbekannte Sättigung {kind!r}; logistic oder hill wählen",
                kind=kind,
            )
        )
    return SATURATIONS[kind]()


__all__ = [
    "ADSTOCKS",
    "SATURATIONS",
    "GeometricAdstock",
    "HillSaturation",
    "LogisticSaturation",
    "WeibullAdstock",
    "lag_matrix",
    "make_adstock",
    "make_saturation",
]
