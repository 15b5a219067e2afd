"""Customer lifetime value: who will buy again, how often, for how much, and what that is worth.

* :mod:`.models`: BG/NBD, MBG/NBD, Pareto/NBD (purchases) and Gamma-Gamma (spend) estimators;
* :mod:`.data`: per-customer frequency / recency / T / spend from a transaction table;
* :mod:`.value`: discounted CLV with a parameter-uncertainty interval;
* :mod:`.choice`: ``model="auto"``, the choice among the three by a validation inside the calibration period;
* :mod:`.curves`: the p-alive / expected-orders matrix over frequency x recency and the cohort curves;
* :mod:`.evaluate`: calibration / holdout evaluation against the past-rate baseline, the record;
* :mod:`.usecase`: the use case on the warehouse (``clv_scores``).
"""

from nomagic.usecases.clv.choice import choose_model
from nomagic.usecases.clv.curves import cohort_curves, frequency_recency_matrix
from nomagic.usecases.clv.data import read_transactions, summary_data
from nomagic.usecases.clv.evaluate import ClvEvaluation, PastRateBaseline, evaluate, evaluate_summary
from nomagic.usecases.clv.models import (
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    simulate_bgnbd,
)
from nomagic.usecases.clv.value import customer_lifetime_value, discounted_purchases

__all__ = [
    "BetaGeoModel",
    "ClvEvaluation",
    "GammaGammaModel",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "PastRateBaseline",
    "choose_model",
    "cohort_curves",
    "customer_lifetime_value",
    "discounted_purchases",
    "evaluate",
    "evaluate_summary",
    "frequency_recency_matrix",
    "read_transactions",
    "simulate_bgnbd",
    "summary_data",
]
