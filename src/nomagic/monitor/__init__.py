"""Keep every promoted model honest after it goes live: label-free estimates, drift that matters,
alerts that mean something, and a replay of a retraining policy on history (``monitor backtest``).

* :mod:`~nomagic.monitor.estimate` — the positive rate and the ROC-AUC of a chunk without its labels;
* :mod:`~nomagic.monitor.drift` — importance-weighted input drift, prediction drift, prior shift,
  each against the reference's own bootstrap noise;
* :mod:`~nomagic.monitor.alerts` — what pages someone: drift is shown as information, a chunk pages only
  when the model is at risk (a trusted rate estimate or the label-free ROC-AUC moved beyond noise, scores
  left the reference's range, or the late labels confirm a change); sequential, worded for people;
* :mod:`~nomagic.monitor.backtest` — the replay (champion, challenger, baseline, late labels);
* :mod:`~nomagic.monitor.models` — the registry's champions on the warehouse, period by period, alerts logged
  in ``monitor_alerts``.
"""

from nomagic.monitor.backtest import ACTIONS, Policy, backtest

__all__ = ["ACTIONS", "Policy", "backtest"]
