"""Bandits for subject lines, creatives and offers, and off-policy evaluation of new policies.

* :mod:`.policies` — Thompson sampling, UCB1, epsilon-greedy, linear Thompson sampling, LinUCB;
  every decision with its propensity, never below an exploration floor;
* :mod:`.stopping` — "95 % sure that no variant is more than 1 % better";
* :mod:`.ope` — IPS, self-normalised IPS, direct method and doubly robust estimates with bootstrap
  intervals;
* :mod:`.log` — decisions into the warehouse's ``decisions`` table;
* :mod:`.usecase` — the demo's use case: the e-mail subject lines a bandit would have sent.
"""

from nomagic.usecases.bandits.ope import ESTIMATORS, Columns, OPEResult, check_logs, off_policy_value, policy_matrix
from nomagic.usecases.bandits.policies import (
    POLICIES,
    UCB1,
    Decision,
    EpsilonGreedy,
    LinearThompsonSampling,
    LinUCB,
    ThompsonSampling,
)
from nomagic.usecases.bandits.stopping import StopDecision, stopping_rule

__all__ = [
    "ESTIMATORS",
    "POLICIES",
    "UCB1",
    "Columns",
    "Decision",
    "EpsilonGreedy",
    "LinUCB",
    "LinearThompsonSampling",
    "OPEResult",
    "StopDecision",
    "ThompsonSampling",
    "check_logs",
    "off_policy_value",
    "policy_matrix",
    "stopping_rule",
]
