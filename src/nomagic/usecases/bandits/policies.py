"""Bandit policies for subject lines, creatives and offers, each decision with its propensity.

Four small classes in the scikit-learn manner (hyperparameters in ``__init__``, learned state in
attributes ending in ``_``, ``fit`` returns ``self``):

* :class:`ThompsonSampling` — Beta-Bernoulli Thompson sampling (yes/no rewards: open, click, buy);
* :class:`UCB1` — upper confidence bounds (Auer et al. 2002);
* :class:`EpsilonGreedy` — the comparison every marketer has already used: mostly the best so far,
  sometimes at random;
* :class:`LinearThompsonSampling` and :class:`LinUCB` — contextual: one Bayesian linear model of the
  reward per arm, so the choice can differ by customer.

Every policy mixes its own choice with a uniform share ``exploration``: each arm keeps a propensity
of at least ``exploration / n_arms`` (the *floor*), so that every logged decision can later be
re-weighted by off-policy evaluation (a propensity of zero makes that impossible).
:meth:`decide` returns the action **and** the probability with which it was drawn; for Thompson
sampling that probability (the chance that each arm wins a posterior draw) is estimated from
``n_draws`` Monte Carlo draws and the action is drawn from exactly that estimated distribution, so
the logged propensity is the one that was used.

Examples
--------
>>> ts = ThompsonSampling(["A", "B", "C"], seed=0).fit(["A", "B", "C", "B"], [0, 1, 0, 1])
>>> d = ts.decide()
>>> d.action in ("A", "B", "C") and 0 < d.propensity <= 1
True
>>> p = ts.probabilities()
>>> bool(abs(p.sum() - 1) < 1e-9 and p.min() >= ts.floor_)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nomagic.errors import InputError
from nomagic.words import say

#: the default uniform exploration share of Thompson sampling, UCB1, LinUCB and linear Thompson sampling
#: (every arm's propensity stays at or above ``DEFAULT_EXPLORATION / n_arms``); see docs/bandits.md
#: for how it was chosen (regret against off-policy evaluation quality)
DEFAULT_EXPLORATION = 0.02


@dataclass(frozen=True)
class Decision:
    """One decision: the action taken, the probability it had, and the whole distribution."""

    action: object
    propensity: float
    probabilities: dict


def _arms(arms) -> list:
    if isinstance(arms, (int, np.integer)):
        if arms < 2:
            raise InputError(_too_few(arms))
        return list(range(int(arms)))
    arms = list(arms)
    if len(arms) < 2:
        raise InputError(_too_few(arms))
    if len(set(arms)) != len(arms):
        raise InputError(
            say("the arms must be distinct, got {a}", "Die Arme müssen verschieden sein, nicht {a}", a=str(arms))
        )
    return arms


def _too_few(arms):
    return say(
        "a bandit needs at least 2 arms, got {a}", "Ein Bandit braucht mindestens 2 Arme, nicht {a}", a=str(arms)
    )


class _Bandit:
    """Shared machinery: arm names, the exploration floor, drawing an action with its propensity."""

    contextual = False

    def __init__(self, arms, *, exploration: float = DEFAULT_EXPLORATION, seed=None):
        self.arms = arms
        self.exploration = exploration
        self.seed = seed

    # -- set-up ---------------------------------------------------------------------------
    def _setup(self) -> None:
        self.arms_ = _arms(self.arms)
        if not 0.0 < self.exploration <= 1.0:
            raise InputError(
                say(
                    "exploration must be in (0, 1], got {e}: a share of 0 lets propensities reach zero, and decisions "
                    "with propensity zero cannot be evaluated afterwards",
                    "Die Exploration muss in (0, 1] liegen, nicht {e}: Bei einem Anteil von 0 können Propensities null "
                    "werden, und Entscheidungen mit Propensity null lassen sich danach nicht bewerten",
                    e=self.exploration,
                )
            )
        self.index_ = {a: i for i, a in enumerate(self.arms_)}
        self.rng_ = np.random.default_rng(self.seed)
        self.t_ = 0
        self._reset()

    def _reset(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _ensure(self) -> None:
        if not hasattr(self, "arms_"):
            self._setup()

    @property
    def n_arms(self) -> int:
        self._ensure()
        return len(self.arms_)

    @property
    def floor_(self) -> float:
        """The smallest propensity any arm can have: ``exploration / n_arms``."""
        return self.exploration / self.n_arms

    def _idx(self, action) -> int:
        try:
            return self.index_[action]
        except (KeyError, TypeError):
            raise InputError(
                say(
                    "unknown arm {a!r}; the arms are {arms}",
                    "Unbekannter Arm {a!r}; die Arme sind {arms}",
                    a=action,
                    arms=str(self.arms_),
                )
            ) from None

    # -- learning -------------------------------------------------------------------------
    def fit(self, actions, rewards, contexts=None):
        """Forget everything, then learn from logged ``actions`` and ``rewards`` (and ``contexts``)."""
        self._setup()
        return self.partial_fit(actions, rewards, contexts)

    def partial_fit(self, actions, rewards, contexts=None):
        """Learn from more decisions without forgetting."""
        self._ensure()
        actions = list(actions)
        rewards = np.asarray(rewards, dtype=float).ravel()
        if len(actions) != rewards.size:
            raise InputError(
                say("{a} actions but {r} rewards", "{a} Aktionen, aber {r} Belohnungen", a=len(actions), r=rewards.size)
            )
        if np.isnan(rewards).any():
            raise InputError(
                say(
                    "reward missing in row {i}",
                    "Belohnung fehlt in Zeile {i}",
                    i=int(np.flatnonzero(np.isnan(rewards))[0]) + 1,
                )
            )
        idx = np.array([self._idx(a) for a in actions], dtype=np.int64)
        X = self._contexts(contexts, len(actions)) if self.contextual else None
        self._learn(idx, rewards, X)
        self.t_ += len(actions)
        return self

    def update(self, action, reward: float, context=None):
        """Learn from one decision."""
        return self.partial_fit([action], [reward], None if context is None else [context])

    def _learn(self, idx, rewards, X) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _contexts(self, contexts, n: int | None = None) -> np.ndarray:
        return np.zeros((n or 1, 0))

    # -- deciding -------------------------------------------------------------------------
    def _raw(self, X) -> np.ndarray:  # (n, K) choice probabilities before the floor
        raise NotImplementedError  # pragma: no cover

    def predict_proba(self, contexts=None, n: int | None = None) -> np.ndarray:
        """Probability of each arm (columns in the order of ``arms_``), one row per context.

        For context-free policies pass ``n`` (rows wanted) or nothing (one row).
        """
        self._ensure()
        X = self._contexts(contexts, n)
        raw = self._raw(X)
        K = self.n_arms
        p = (1.0 - self.exploration) * raw + self.exploration / K
        return p / p.sum(axis=1, keepdims=True)

    def probabilities(self, context=None) -> np.ndarray:
        """The propensity of each arm for one decision (sums to 1, each at least :attr:`floor_`)."""
        return self.predict_proba(None if context is None else [context])[0]

    def decide(self, context=None) -> Decision:
        """Draw one action; returns it with its propensity (the probability it was drawn with)."""
        p = self.probabilities(context)
        i = int(self.rng_.choice(len(p), p=p))
        return Decision(self.arms_[i], float(p[i]), dict(zip(self.arms_, map(float, p), strict=True)))

    def _sample(self, x=None) -> int:
        """Draw an action index from the same distribution as :meth:`decide`, fast (simulations)."""
        if self.rng_.random() < self.exploration:
            return int(self.rng_.integers(self.n_arms))
        return self._sample_raw(x)

    def _sample_raw(self, x=None) -> int:
        p = self._raw(self._contexts(None if x is None else [x], None))[0]
        return int(self.rng_.choice(len(p), p=p))


def _argmax_ties(values: np.ndarray) -> np.ndarray:
    """One-hot rows of the arg-max, ties shared equally."""
    best = values == values.max(axis=-1, keepdims=True)
    return best / best.sum(axis=-1, keepdims=True)


class ThompsonSampling(_Bandit):
    """Beta-Bernoulli Thompson sampling.

    Each arm's success rate has a Beta(``prior_alpha`` + successes, ``prior_beta`` + failures)
    posterior; an arm is chosen with the probability that it is the best (one posterior draw per
    arm, highest wins), mixed with the uniform share ``exploration``.

    Parameters
    ----------
    arms : arm names (or their number).
    prior_alpha, prior_beta : the Beta prior (1, 1 = uniform).
    exploration : share of decisions spread uniformly (the propensity floor is ``exploration / n_arms``).
    n_draws : posterior draws used to compute the propensities.
    seed : random seed.

    Attributes
    ----------
    successes_, failures_ : per arm.
    """

    def __init__(
        self,
        arms,
        *,
        prior_alpha: float = 1.0,
        prior_beta: float = 1.0,
        exploration: float = DEFAULT_EXPLORATION,
        n_draws: int = 4000,
        seed=None,
    ):
        super().__init__(arms, exploration=exploration, seed=seed)
        self.prior_alpha = prior_alpha
        self.prior_beta = prior_beta
        self.n_draws = n_draws

    def _reset(self) -> None:
        K = len(self.arms_)
        self.successes_ = np.zeros(K)
        self.failures_ = np.zeros(K)

    def _learn(self, idx, rewards, X) -> None:
        if ((rewards < 0) | (rewards > 1)).any():
            raise InputError(
                say(
                    "Beta-Bernoulli Thompson sampling needs rewards between 0 and 1 (yes/no)",
                    "Beta-Bernoulli-Thompson-Sampling braucht Belohnungen zwischen 0 und 1 (ja/nein)",
                )
            )
        K = len(self.arms_)
        self.successes_ += np.bincount(idx, weights=rewards, minlength=K)
        self.failures_ += np.bincount(idx, weights=1.0 - rewards, minlength=K)

    @property
    def alpha_(self) -> np.ndarray:
        return self.prior_alpha + self.successes_

    @property
    def beta_(self) -> np.ndarray:
        return self.prior_beta + self.failures_

    def posterior_draws(self, n: int | None = None, rng=None) -> np.ndarray:
        """``n`` draws (rows) of every arm's success rate (columns)."""
        self._ensure()
        rng = rng or self.rng_
        return rng.beta(self.alpha_, self.beta_, size=(n or self.n_draws, self.n_arms))

    def prob_best(self, n: int | None = None) -> np.ndarray:
        """The posterior probability that each arm has the highest success rate (Monte Carlo)."""
        draws = self.posterior_draws(n)
        return _argmax_ties(draws).mean(axis=0)

    def _raw(self, X) -> np.ndarray:
        return np.repeat(self.prob_best()[None, :], X.shape[0], axis=0)

    def _sample_raw(self, x=None) -> int:
        return int(np.argmax(self.rng_.beta(self.alpha_, self.beta_)))

    def mean_(self) -> np.ndarray:
        return self.alpha_ / (self.alpha_ + self.beta_)


class _Counting(_Bandit):
    """A bandit that keeps only each arm's number of decisions and sum of rewards."""

    def _reset(self) -> None:
        K = len(self.arms_)
        self.counts_ = np.zeros(K)
        self.sums_ = np.zeros(K)

    def _learn(self, idx, rewards, X) -> None:
        K = len(self.arms_)
        self.counts_ += np.bincount(idx, minlength=K)
        self.sums_ += np.bincount(idx, weights=rewards, minlength=K)

    def _score(self) -> np.ndarray:  # the arms' scores; the policy plays the best (ties at random)
        raise NotImplementedError

    def _raw(self, X) -> np.ndarray:
        return np.repeat(_argmax_ties(self._score())[None, :], X.shape[0], axis=0)

    def _sample_raw(self, x=None) -> int:
        m = self._score()
        best = np.flatnonzero(m == m.max())
        return int(best[0] if best.size == 1 else self.rng_.choice(best))


class EpsilonGreedy(_Counting):
    """The arm with the best observed mean, except a share ``epsilon`` of decisions at random.

    Arms never tried count as best (ties are shared). ``epsilon`` is the exploration share, so each
    arm's propensity is at least ``epsilon / n_arms``.
    """

    def __init__(self, arms, *, epsilon: float = 0.1, seed=None):
        super().__init__(arms, exploration=epsilon, seed=seed)
        self.epsilon = epsilon

    def _score(self) -> np.ndarray:  # the mean reward; untried arms first
        return np.where(self.counts_ > 0, self.sums_ / np.maximum(self.counts_, 1), np.inf)


class UCB1(_Counting):
    """Upper confidence bound: the arm with the highest ``mean + c * sqrt(2 ln t / n)``.

    Untried arms come first. The choice is deterministic, so a uniform share ``exploration`` keeps
    every propensity above zero.
    """

    def __init__(self, arms, *, c: float = 1.0, exploration: float = DEFAULT_EXPLORATION, seed=None):
        super().__init__(arms, exploration=exploration, seed=seed)
        self.c = c

    def _score(self) -> np.ndarray:  # the upper confidence bound; untried arms first
        n = self.counts_
        t = max(n.sum(), 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            u = self.sums_ / n + self.c * np.sqrt(2.0 * np.log(t) / n)
        return np.where(n > 0, u, np.inf)


class _Linear(_Bandit):
    """One ridge / Bayesian linear model of the reward per arm (disjoint models)."""

    contextual = True

    def __init__(
        self,
        arms,
        *,
        alpha: float = 1.0,
        fit_intercept: bool = True,
        exploration: float = DEFAULT_EXPLORATION,
        seed=None,
    ):
        super().__init__(arms, exploration=exploration, seed=seed)
        self.alpha = alpha
        self.fit_intercept = fit_intercept

    def _reset(self) -> None:
        self.n_features_ = None

    def _contexts(self, contexts, n: int | None = None) -> np.ndarray:
        if contexts is None:
            raise InputError(
                say(
                    "{p} is contextual: give the context (features) of each decision",
                    "{p} ist kontextabhängig: den Kontext (die Merkmale) jeder Entscheidung angeben",
                    p=type(self).__name__,
                )
            )
        X = np.asarray(contexts, dtype=float)
        if X.ndim == 1:
            X = X[None, :]
        if np.isnan(X).any():
            raise InputError(say("the contexts contain blanks (NaN)", "Die Kontexte enthalten Lücken (NaN)"))
        if self.fit_intercept:
            X = np.hstack([np.ones((X.shape[0], 1)), X])
        if self.n_features_ is None:
            d = X.shape[1]
            self.n_features_ = d
            K = len(self.arms_)
            self.A_ = np.repeat(np.eye(d)[None] * self.alpha, K, axis=0)
            self.b_ = np.zeros((K, d))
        elif X.shape[1] != self.n_features_:
            raise InputError(
                say(
                    "expected {e} context features, got {g}",
                    "{e} Kontextmerkmale erwartet, {g} erhalten",
                    e=self.n_features_ - self.fit_intercept,
                    g=X.shape[1] - self.fit_intercept,
                )
            )
        return X

    def _learn(self, idx, rewards, X) -> None:
        for k in np.unique(idx):
            Xk = X[idx == k]
            self.A_[k] += Xk.T @ Xk
            self.b_[k] += Xk.T @ rewards[idx == k]

    @property
    def coef_(self) -> np.ndarray:
        """Posterior mean coefficients, one row per arm (intercept first if ``fit_intercept``)."""
        return np.linalg.solve(self.A_, self.b_[..., None])[..., 0]


class LinearThompsonSampling(_Linear):
    """Contextual Thompson sampling with one Bayesian linear model per arm (Agrawal & Goyal 2013).

    The posterior of arm ``a``'s coefficients is Normal(A⁻¹b, ``v``² A⁻¹) with A = ``alpha`` I + XᵀX.
    The propensities (the chance that each arm has the highest sampled reward for this context) are
    estimated from ``n_draws`` draws and mixed with the uniform share ``exploration``.
    """

    def __init__(
        self,
        arms,
        *,
        alpha: float = 1.0,
        v: float = 0.25,
        fit_intercept: bool = True,
        exploration: float = DEFAULT_EXPLORATION,
        n_draws: int = 1000,
        seed=None,
    ):
        super().__init__(arms, alpha=alpha, fit_intercept=fit_intercept, exploration=exploration, seed=seed)
        self.v = v
        self.n_draws = n_draws

    def _chol(self):
        cov = np.linalg.inv(self.A_)
        return self.coef_, np.linalg.cholesky(cov + 1e-12 * np.eye(cov.shape[-1])) * self.v

    def _raw(self, X) -> np.ndarray:
        mean, L = self._chol()  # (K, d), (K, d, d)
        K, d = mean.shape
        z = self.rng_.standard_normal((self.n_draws, K, d))
        theta = mean[None] + np.einsum("kij,skj->ski", L, z)  # (S, K, d)
        scores = np.einsum("nd,skd->nsk", X, theta)  # (n, S, K)
        return _argmax_ties(scores).mean(axis=1)

    def _sample_raw(self, x=None) -> int:
        X = self._contexts([x])
        mean, L = self._chol()
        theta = mean + np.einsum("kij,kj->ki", L, self.rng_.standard_normal(mean.shape))
        return int(np.argmax(theta @ X[0]))


class LinUCB(_Linear):
    """LinUCB (Li et al. 2010): the arm with the highest ``x·θ + c·sqrt(xᵀA⁻¹x)``, plus the uniform floor."""

    def __init__(
        self,
        arms,
        *,
        alpha: float = 1.0,
        c: float = 1.0,
        fit_intercept: bool = True,
        exploration: float = DEFAULT_EXPLORATION,
        seed=None,
    ):
        super().__init__(arms, alpha=alpha, fit_intercept=fit_intercept, exploration=exploration, seed=seed)
        self.c = c

    def _ucb(self, X) -> np.ndarray:
        Ainv = np.linalg.inv(self.A_)
        mean = X @ self.coef_.T  # (n, K)
        width = np.sqrt(np.einsum("nd,kde,ne->nk", X, Ainv, X))
        return mean + self.c * width

    def _raw(self, X) -> np.ndarray:
        return _argmax_ties(self._ucb(X))


POLICIES = {
    "thompson": ThompsonSampling,
    "ucb1": UCB1,
    "epsilon_greedy": EpsilonGreedy,
    "linear_thompson": LinearThompsonSampling,
    "linucb": LinUCB,
}


__all__ = [
    "DEFAULT_EXPLORATION",
    "POLICIES",
    "Decision",
    "EpsilonGreedy",
    "LinUCB",
    "LinearThompsonSampling",
    "ThompsonSampling",
    "UCB1",
]
