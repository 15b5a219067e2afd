"""What the customer-level binary use cases (churn, propensity) share: features, attributes, time range.

Each use case module (:mod:`.churn`, :mod:`.propensity`) only says who is in the population at a
cutoff, what the label is and which naive rule is its baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

import pandas as pd

from nomagic.lifecycle.explain import FeatureText
from nomagic.lifecycle.usecase import UseCase
from nomagic.usecases import features as F
from nomagic.warehouse.readiness import Requirements
from nomagic.words import say

#: what every customer score (churn, propensity) cannot tell; each use case adds its own
LIMITATIONS = (
    say(
        "Scores are probabilities for groups of customers, not certainties about one person.",
        "Scores sind Wahrscheinlichkeiten für Gruppen von Kunden, keine Gewissheiten über eine Person.",
    ),
    say(
        "Only customers who allow profiling are scored or used for training.",
        "Nur Kunden, die Profiling erlauben, werden bewertet oder zum Training verwendet.",
    ),
    say(
        "Sensitive attributes (as configured) are audited for fairness and are not used as features.",
        "Sensible Merkmale (wie konfiguriert) werden auf Fairness geprüft und nicht als Merkmale verwendet.",
    ),
    say(
        "The model learned from past behaviour; a change in the business (prices, assortment, channels) can make it "
        "wrong. Monitor it and retrain it on fresh data.",
        "Das Modell lernte aus vergangenem Verhalten; eine Änderung im Geschäft (Preise, Sortiment, Kanäle) kann es "
        "falsch machen. Es überwachen und auf frischen Daten neu trainieren.",
    ),
    say(
        "A recommendation to contact a customer passes the guardrails (consent, frequency caps, budget) before "
        "anything is sent.",
        "Eine Empfehlung, einen Kunden zu kontaktieren, durchläuft die Schutzregeln (Einwilligung, Kontaktgrenzen, "
        "Budget), bevor etwas versendet wird.",
    ),
)


def customer_requirements(make: Callable[[], UseCase], horizon: int, description: str) -> Requirements:
    """What a customer-level yes/no use case needs: customers and orders, history for a backtest.

    ``make`` builds the use case (called late, so a class can pass ``lambda: Itself()``); its
    labels and features are what the readiness check counts and searches for leakage.
    """
    return Requirements(
        tables={
            "customers": ["customer_id", "created_at"],
            "orders": ["order_id", "customer_id", "ordered_at", "revenue"],
        },
        min_history_days=90 + 2 * horizon,
        min_units=200,
        units="customers.customer_id",
        label=lambda wh, as_of: make().labels(wh, as_of),
        horizon_days=horizon,
        min_labels=200,
        min_minority=30,
        features=lambda wh, as_of: make().features(wh, as_of),
        history_tables=("orders",),
        description=description,
    )


class CustomerUseCase(UseCase):
    """A binary outcome per customer in the ``horizon_days`` after a cutoff."""

    #: what the scores cannot tell, in plain words (the card and the pages show them with the verdict)
    limitations: ClassVar[tuple[str, ...]] = LIMITATIONS

    def population(self, wh, as_of: datetime):
        """The customers scored at the cutoff, with their features (an Ibis table)."""
        return F.customer_features(wh, as_of, sensitive=self.sensitive_attributes)

    def features(self, wh, as_of: datetime):
        return self.population(wh, as_of)

    def attributes(self, wh, as_of: datetime):
        return F.customer_attributes(wh, as_of, self.sensitive_attributes)

    def time_range(self, wh) -> tuple[pd.Timestamp, pd.Timestamp]:
        a, b = F.data_range(wh)
        if a is None or pd.isna(a):
            from nomagic.errors import NotReadyError

            raise NotReadyError(
                say("{uc}: the orders table is empty", "{uc}: die Tabelle orders ist leer", uc=self.name)
            )
        b = pd.Timestamp(b) if self.until is None else min(pd.Timestamp(b), self.until)
        return pd.Timestamp(a), b

    def tables_used(self, wh) -> list[str]:
        optional = ("events", "messages", "documents", "order_lines", "products")
        return ["customers", "orders", *(t for t in optional if wh.has(t))]

    def feature_texts(self, columns) -> dict[str, FeatureText]:
        return F.feature_texts(columns)

    def feature_families(self, columns) -> dict[str, str]:
        return {c: F.feature_family(c) for c in columns}
