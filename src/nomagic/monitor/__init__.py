"""Keep every promoted model honest after it goes live: label-free estimates, drift that matters,
alerts that mean something, and a replay of a retraining policy on history (``monitor backtest``).

* :mod:`~nomagic.monitor.estimate` — the positive rate and the ROC-AUC of a chunk without its labels;
* :mod:`~nomagic.monitor.drift` — importance-weighted input drift, prediction drift, prior shift,
  each against the reference's own bootstrap noise;
* :mod:`~nomagic.monitor.alerts` — the sequential rule and the label checks, worded for people;
* :mod:`~nomagic.monitor.backtest` — the replay (champion, challenger, baseline, late labels).
"""

from nomagic.monitor.backtest import ACTIONS, Policy, backtest

__all__ = ["ACTIONS", "Policy", "backtest"]
