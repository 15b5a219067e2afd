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
from nomagic.words import Text, say


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
    message: Text  # English as str, German in .de
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
        raise InputError(
            say(
                "give successes and trials for at least two variants, in the same order",
                "Erfolge und Versuche für mindestens zwei Varianten angeben, in derselben Reihenfolge",
            )
        )
    if (s < 0).any() or (n < s).any() or np.isnan(s).any() or np.isnan(n).any():
        raise InputError(
            say(
                "successes must be between 0 and the number of trials for every variant",
                "Die Erfolge müssen für jede Variante zwischen 0 und der Zahl der Versuche liegen",
            )
        )
    if not 0 < confidence < 1:
        raise InputError(
            say(
                "confidence must be between 0 and 1, got {c}",
                "Die Sicherheit (confidence) muss zwischen 0 und 1 liegen, nicht {c}",
                c=confidence,
            )
        )
    if threshold < 0:
        raise InputError(
            say(
                "threshold must be at least 0, got {t}",
                "Die Schwelle (threshold) muss mindestens 0 sein, nicht {t}",
                t=threshold,
            )
        )
    names = list(arms) if arms is not None else list(range(s.size))
    if len(names) != s.size:
        raise InputError(
            say("{k} variant names for {n} variants", "{k} Variantennamen für {n} Varianten", k=len(names), n=s.size)
        )
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
    name = names[lead]
    msg = _message(
        stop=stop,
        enough=enough,
        name=name,
        rate=float(s[lead] / max(n[lead], 1)),
        prob=float(prob_best[lead]),
        remaining=remaining,
        threshold=threshold,
        confidence=confidence,
        relative=relative,
        min_trials=min_trials,
        fewest=int(n.min()),
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


def _amount(x: float, relative: bool) -> Text:
    """A gap between rates: relative (1.0 %) or in percentage points."""
    if relative:
        return say("{x:.1%}", "{x:.1%}", x=x)
    return say("{x:.2f} percentage points", "{x:.2f} Prozentpunkte", x=x * 100)


def _message(*, stop, enough, name, rate, prob, remaining, threshold, confidence, relative, min_trials, fewest) -> Text:
    """The decision in plain words, English and German."""
    thr, rem = _amount(threshold, relative), _amount(max(remaining, 0.0), relative)
    if stop:
        return say(
            "Stop: send variant {name} (observed rate {rate:.2%}). We are {conf:.0%} sure that no other variant is "
            "more than {thr} better (at most {rem} better, {conf:.0%} sure); {name} is the best with probability "
            "{prob:.0%}.",
            "Test beenden: Variante {name} senden (beobachtete Rate {rate:.2%}). Mit {conf:.0%} Sicherheit ist keine "
            "andere Variante um mehr als {thr} besser (höchstens {rem}); {name} ist mit {prob:.0%} Wahrscheinlichkeit "
            "die beste.",
            name=name,
            rate=rate,
            conf=confidence,
            thr=thr,
            rem=rem,
            prob=prob,
        )
    if not enough:
        return say(
            "Keep testing: every variant needs at least {m:,} trials before the test may stop "
            "(the fewest so far: {f:,}).",
            "Weiter testen: Jede Variante braucht mindestens {m:,} Versuche, bevor der Test enden darf "
            "(die Variante mit den wenigsten hat bisher {f:,}).",
            m=min_trials,
            f=fewest,
        )
    return say(
        "Keep testing: variant {name} leads (observed rate {rate:.2%}, best with probability {prob:.0%}), but another "
        "variant could still be up to {rem} better ({conf:.0%} sure); we stop when that is at most {thr}.",
        "Weiter testen: Variante {name} führt (beobachtete Rate {rate:.2%}, mit {prob:.0%} Wahrscheinlichkeit die "
        "beste), aber eine andere Variante könnte noch bis zu {rem} besser sein (mit {conf:.0%} Sicherheit); der Test "
        "endet, sobald es höchstens {thr} sind.",
        name=name,
        rate=rate,
        prob=prob,
        rem=_amount(remaining, relative),
        conf=confidence,
        thr=thr,
    )


__all__ = ["StopDecision", "stopping_rule"]
