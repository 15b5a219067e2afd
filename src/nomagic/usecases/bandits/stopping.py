"""When to stop a test: "95 % sure that no variant is more than 1 % better".

From posterior draws of every variant's success rate, the *value remaining* of choosing the
current leader is how much better the best variant of each draw is than the leader
(``max_j θ_j / θ_leader - 1``, relative; or ``max_j θ_j - θ_leader``, absolute). The test stops when
the ``confidence`` quantile of the value remaining is at most ``threshold``: then we are, say, 95 %
sure that no variant beats the leader by more than 1 %. The *expected loss* (mean value remaining)
is reported too. This is the rule of Scott (2015) used in Google Optimize's multi-armed experiments.

Examples
--------
>>> clear = stopping_rule([300, 100], [10_000, 10_000])
>>> clear.stop, clear.best
(True, 0)
>>> stopping_rule([30, 29], [1000, 1000]).stop
False
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nomagic.errors import InputError


@dataclass(frozen=True)
class StopDecision:
    """The outcome of :func:`stopping_rule`."""

    stop: bool
    best: object
    prob_best: dict
    value_remaining: float  # the `confidence` quantile of the value remaining
    expected_loss: float
    threshold: float
    confidence: float
    relative: bool
    message: str
    means: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "stop": self.stop,
            "best": self.best,
            "prob_best": self.prob_best,
            "value_remaining": self.value_remaining,
            "expected_loss": self.expected_loss,
            "threshold": self.threshold,
            "confidence": self.confidence,
            "relative": self.relative,
            "means": self.means,
            "message": self.message,
        }


def stopping_rule(
    successes,
    trials,
    *,
    arms=None,
    threshold: float = 0.01,
    confidence: float = 0.95,
    relative: bool = True,
    prior=(1.0, 1.0),
    n_draws: int = 20_000,
    min_trials: int = 0,
    seed: int = 0,
) -> StopDecision:
    """Decide whether a test of yes/no variants can stop.

    Parameters
    ----------
    successes, trials : per variant (opens and sends, clicks and impressions, ...).
    arms : names of the variants (default 0, 1, ...).
    threshold : the largest improvement we accept to leave on the table (0.01 = 1 %).
    confidence : how sure we want to be (0.95 = 95 %).
    relative : ``threshold`` is relative to the leader's rate (1 % of it) rather than absolute
        (1 percentage point).
    prior : the Beta prior of every variant.
    n_draws : posterior draws.
    min_trials : never stop before every variant has this many trials.
    seed : random seed of the draws.
    """
    s = np.asarray(successes, dtype=float).ravel()
    n = np.asarray(trials, dtype=float).ravel()
    if s.shape != n.shape or s.size < 2:
        raise InputError("give successes and trials for at least two variants, in the same order")
    if (s < 0).any() or (n < s).any() or np.isnan(s).any() or np.isnan(n).any():
        raise InputError("successes must be between 0 and the number of trials for every variant")
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1, got {confidence}")
    if threshold < 0:
        raise InputError(f"threshold must be at least 0, got {threshold}")
    names = list(arms) if arms is not None else list(range(s.size))
    if len(names) != s.size:
        raise InputError(f"{len(names)} variant names for {s.size} variants")
    rng = np.random.default_rng(seed)
    a, b = prior
    draws = rng.beta(a + s, b + n - s, size=(n_draws, s.size))
    wins = draws == draws.max(axis=1, keepdims=True)
    prob_best = wins.mean(axis=0)
    lead = int(np.argmax(prob_best))
    top = draws.max(axis=1)
    gap = top / draws[:, lead] - 1.0 if relative else top - draws[:, lead]
    remaining = float(np.quantile(gap, confidence))
    loss = float(gap.mean())
    enough = bool(n.min() >= min_trials)
    stop = enough and remaining <= threshold
    unit = (lambda x: f"{x:.1%}") if relative else (lambda x: f"{x * 100:.2f} percentage points")
    name = names[lead]
    rates = s / np.maximum(n, 1)
    if stop:
        msg = (
            f"Stop: send variant {name} (observed rate {rates[lead]:.2%}). We are {confidence:.0%} sure that no "
            f"other variant is more than {unit(threshold)} better (at most {unit(max(remaining, 0.0))} better, "
            f"{confidence:.0%} sure); {name} is the best with probability {prob_best[lead]:.0%}."
        )
    elif not enough:
        msg = (
            f"Keep testing: every variant needs at least {min_trials:,} trials before the test may stop "
            f"(the fewest so far: {int(n.min()):,})."
        )
    else:
        msg = (
            f"Keep testing: variant {name} leads (observed rate {rates[lead]:.2%}, best with probability "
            f"{prob_best[lead]:.0%}), but another variant could still be up to {unit(remaining)} better "
            f"({confidence:.0%} sure); we stop when that is at most {unit(threshold)}."
        )
    return StopDecision(
        stop=stop,
        best=name,
        prob_best={k: float(v) for k, v in zip(names, prob_best, strict=True)},
        value_remaining=remaining,
        expected_loss=loss,
        threshold=threshold,
        confidence=confidence,
        relative=relative,
        message=msg,
        means={k: float(v) for k, v in zip(names, (a + s) / (a + b + n), strict=True)},
    )


__all__ = ["StopDecision", "stopping_rule"]
