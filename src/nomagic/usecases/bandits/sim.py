"""Small simulated worlds for bandits and off-policy evaluation, with known truth (tests, benchmarks).

* :class:`BernoulliWorld` — K yes/no arms with fixed rates (subject lines, creatives);
* :class:`ContextualWorld` — yes/no rewards whose rate depends on the customer (logistic in a few
  features), so the best arm differs by customer;
* :func:`run_bandit` — play a policy for a horizon; the cumulative (expected) regret; rewards from a
  :func:`reward_tape`, so policies compared on one seed share their random rewards;
* :func:`run_logged` — the same in waves, every decision logged with its propensity (for OPE);
* :func:`log_decisions_sim` — decisions of a known logging policy, for off-policy evaluation.

Examples
--------
>>> from nomagic.usecases.bandits import ThompsonSampling
>>> world = BernoulliWorld([0.02, 0.05, 0.04])
>>> out = run_bandit(ThompsonSampling(3, seed=0), world, horizon=2000, seed=0)
>>> bool(out["regret"][-1] < 0.03 * 2000)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class BernoulliWorld:
    """Arms with fixed success rates ``means``."""

    means: np.ndarray

    def __post_init__(self):
        self.means = np.asarray(self.means, dtype=float)

    @property
    def n_arms(self) -> int:
        return self.means.size

    @classmethod
    def random(cls, n_arms: int = 5, low: float = 0.02, high: float = 0.10, seed: int = 0) -> BernoulliWorld:
        return cls(np.random.default_rng(seed).uniform(low, high, n_arms))


@dataclass
class ContextualWorld:
    """``P(reward | x, a) = sigmoid(coef[a, 0] + coef[a, 1:] · x)`` with standard normal features ``x``."""

    coef: np.ndarray

    @property
    def n_arms(self) -> int:
        return self.coef.shape[0]

    @property
    def n_features(self) -> int:
        return self.coef.shape[1] - 1

    @classmethod
    def random(cls, n_arms: int = 4, n_features: int = 3, base: float = -2.0, seed: int = 0) -> ContextualWorld:
        rng = np.random.default_rng(seed)
        coef = np.column_stack([base + rng.normal(0, 0.3, n_arms), rng.normal(0, 0.6, (n_arms, n_features))])
        return cls(coef)

    def contexts(self, n: int, rng) -> np.ndarray:
        return rng.standard_normal((n, self.n_features))

    def rates(self, X: np.ndarray) -> np.ndarray:
        """(n, K) true success rates."""
        z = self.coef[:, 0][None, :] + X @ self.coef[:, 1:].T
        return 1.0 / (1.0 + np.exp(-z))


def softmax_policy(scores: np.ndarray, temperature: float = 1.0, floor: float = 0.02) -> np.ndarray:
    """Softmax of ``scores`` (n, K) mixed with a uniform floor share: a stochastic logging policy."""
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return (1 - floor) * p + floor / scores.shape[1]


def log_decisions_sim(world: ContextualWorld, n: int, policy_proba, seed: int = 0) -> dict:
    """``n`` decisions of a logging policy (``policy_proba(X) -> (n, K)``): contexts, actions, propensities, rewards."""
    rng = np.random.default_rng(seed)
    X = world.contexts(n, rng)
    P = policy_proba(X)
    u = rng.random(n)[:, None]
    a = (u > np.cumsum(P, axis=1)).sum(axis=1)
    a = np.minimum(a, world.n_arms - 1)
    mu = world.rates(X)[np.arange(n), a]
    r = (rng.random(n) < mu).astype(float)
    return {"contexts": X, "actions": a, "propensities": P[np.arange(n), a], "rewards": r}


def policy_value(world: ContextualWorld, policy_proba, n: int = 200_000, seed: int = 12345) -> float:
    """The true value of a policy: its expected reward per decision (Monte Carlo over ``n`` contexts, exact rates)."""
    X = world.contexts(n, np.random.default_rng(seed))
    return float((policy_proba(X) * world.rates(X)).sum(axis=1).mean())


def reward_tape(world: BernoulliWorld, horizon: int, seed: int = 0) -> np.ndarray:
    """A (n_arms, horizon) yes/no table: the reward of the ``n``-th pull of arm ``k`` is ``tape[k, n]``.

    Every policy played on the same world and seed meets the same rewards, pull for pull (common random
    numbers): two policies that pull arm ``k`` equally often see exactly the same successes there, so a
    difference in regret comes from the choices, not from luckier draws.
    """
    u = np.random.default_rng(seed).random((world.n_arms, horizon))
    return (u < world.means[:, None]).astype(float)


def run_bandit(policy, world: BernoulliWorld, horizon: int = 10_000, seed: int = 0, batch: int = 1) -> dict:
    """Play ``policy`` against ``world`` for ``horizon`` decisions, learning after every ``batch``.

    Rewards come from :func:`reward_tape` (``seed``), so policies compared on the same world and seed
    share their random rewards. Returns ``actions``, ``rewards``, ``regret`` (cumulative expected
    regret: the best rate minus the chosen arm's rate, summed) and ``pulls``.
    """
    tape = reward_tape(world, horizon, seed)
    policy.fit([], [])
    K = world.n_arms
    actions = np.zeros(horizon, dtype=np.int64)
    rewards = np.zeros(horizon)
    used = np.zeros(K, dtype=np.int64)
    pend_a: list = []
    pend_r: list = []
    for t in range(horizon):
        k = policy._sample()
        actions[t] = k
        rewards[t] = tape[k, used[k]]
        used[k] += 1
        pend_a.append(k)
        pend_r.append(rewards[t])
        if len(pend_a) >= batch:
            policy._learn(np.array(pend_a, dtype=np.int64), np.array(pend_r), None)
            policy.t_ += len(pend_a)
            pend_a, pend_r = [], []
    regret = np.cumsum(world.means.max() - world.means[actions])
    return {"actions": actions, "rewards": rewards, "regret": regret, "pulls": np.bincount(actions, minlength=K)}


def run_logged(policy, world: BernoulliWorld, horizon: int = 10_000, seed: int = 0, wave: int = 100) -> dict:
    """Play ``policy`` in waves of ``wave`` decisions, logging every decision's propensity.

    Before each wave the policy's probabilities are computed once (:meth:`predict_proba`, with its
    exploration floor; Monte Carlo for Thompson sampling) and every decision of the wave is drawn from
    exactly them, so the logged propensity is the probability the action really had. The policy learns
    after each wave (as e-mails go out in batches). Rewards come from :func:`reward_tape`.
    Returns ``actions``, ``propensities``, ``rewards``, ``regret`` (cumulative expected) and ``pulls``.
    """
    tape = reward_tape(world, horizon, seed)
    rng = np.random.default_rng([seed, 7])
    policy.fit([], [])
    K = world.n_arms
    actions = np.zeros(horizon, dtype=np.int64)
    props = np.zeros(horizon)
    rewards = np.zeros(horizon)
    used = np.zeros(K, dtype=np.int64)
    for start in range(0, horizon, wave):
        stop = min(start + wave, horizon)
        p = policy.predict_proba(n=1)[0]
        a = np.minimum((rng.random(stop - start)[:, None] > np.cumsum(p)[None, :]).sum(axis=1), K - 1)
        r = np.empty(a.size)
        for i, k in enumerate(a):
            r[i] = tape[k, used[k]]
            used[k] += 1
        actions[start:stop], props[start:stop], rewards[start:stop] = a, p[a], r
        policy._learn(a.astype(np.int64), r, None)
        policy.t_ += a.size
    regret = np.cumsum(world.means.max() - world.means[actions])
    return {
        "actions": actions,
        "propensities": props,
        "rewards": rewards,
        "regret": regret,
        "pulls": np.bincount(actions, minlength=K),
    }


__all__ = [
    "BernoulliWorld",
    "ContextualWorld",
    "log_decisions_sim",
    "policy_value",
    "reward_tape",
    "run_bandit",
    "run_logged",
    "softmax_policy",
]
