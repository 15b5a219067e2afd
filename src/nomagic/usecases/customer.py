"""What the customer-level binary use cases (churn, propensity) share: features, attributes, time range.

Each use case module (:mod:`.churn`, :mod:`.propensity`) only says who is in the population at a
cutoff, what the label is and which naive rule is its baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pandas as pd

from nomagic.lifecycle.explain import FeatureText
from nomagic.lifecycle.usecase import UseCase
from nomagic.usecases import features as F
from nomagic.warehouse.readiness import Requirements


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

            raise NotReadyError(f"{self.name}: the orders table is empty")
        return pd.Timestamp(a), pd.Timestamp(b)

    def tables_used(self, wh) -> list[str]:
        optional = ("events", "messages", "documents", "order_lines", "products")
        return ["customers", "orders", *(t for t in optional if wh.has(t))]

    def feature_texts(self, columns) -> dict[str, FeatureText]:
        return F.feature_texts(columns)

    def feature_families(self, columns) -> dict[str, str]:
        return {c: F.feature_family(c) for c in columns}
