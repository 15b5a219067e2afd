"""The lifecycle every use case goes through (DESIGN.md): honest splits, baseline vs model with
bootstrap CIs, the no-magic gate, explanations, fairness, the evaluation record and the registry.

The small public API is re-exported here; the modules hold the rest.
"""

from nomagic.lifecycle.explain import FeatureText, Words, global_drivers, reasons
from nomagic.lifecycle.fairness import audit
from nomagic.lifecycle.gate import GateResult, gate
from nomagic.lifecycle.metrics import METRICS, ProfitParams, bootstrap, compute
from nomagic.lifecycle.models import AutoClassifier, BestColumnBaseline, ScoreBaseline
from nomagic.lifecycle.plain import evaluate_table
from nomagic.lifecycle.registry import Registry
from nomagic.lifecycle.usecase import BacktestPlan, TrainResult, UseCase, plan_backtest

__all__ = [
    "METRICS",
    "AutoClassifier",
    "BacktestPlan",
    "BestColumnBaseline",
    "FeatureText",
    "GateResult",
    "ProfitParams",
    "Registry",
    "ScoreBaseline",
    "TrainResult",
    "UseCase",
    "Words",
    "audit",
    "bootstrap",
    "compute",
    "evaluate_table",
    "gate",
    "global_drivers",
    "plan_backtest",
    "reasons",
]
