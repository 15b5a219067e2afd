"""Churn risk: the probability that an active customer places no order in the next 90 days.

* **Population at a cutoff**: customers who signed up before it, allow profiling, and ordered at
  least once in the year before it (active customers; long-gone ones are not "at risk").
* **Label**: 1 when the customer places no order in the 90 days from the cutoff (the simulator's
  definition too).
* **Baseline**: days since the last order — the rule every marketer uses first.
* **Model**: :class:`~nomagic.lifecycle.models.AutoClassifier` on the shared customer features.

Examples
--------
>>> from nomagic.usecases import REGISTRY
>>> REGISTRY["churn"].horizon_days
90
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import ibis

from nomagic.lifecycle.explain import Words
from nomagic.lifecycle.models import ScoreBaseline
from nomagic.usecases import features as F
from nomagic.usecases.customer import LIMITATIONS, CustomerUseCase, customer_requirements
from nomagic.warehouse.readiness import Requirements
from nomagic.words import say

HORIZON = 90
ACTIVE_DAYS = 365


class Churn(CustomerUseCase):
    """Churn risk over the next 90 days, for customers active in the last year."""

    name: ClassVar[str] = "churn"
    title: ClassVar[str] = say("Churn risk", "Abwanderungsrisiko")
    question: ClassVar[str] = say(
        "Which active customers will place no order in the next 90 days?",
        "Welche aktiven Kunden werden in den nächsten 90 Tagen nicht bestellen?",
    )
    horizon_days: ClassVar[int] = HORIZON
    words: ClassVar[Words] = Words(say("risk up", "Risiko höher"), say("risk down", "Risiko niedriger"))
    requires: ClassVar[Requirements] = customer_requirements(
        lambda: Churn(),
        HORIZON,
        say(
            "churn risk: no order in the 90 days after the cutoff, among customers active in the last year",
            "Abwanderungsrisiko: keine Bestellung in den 90 Tagen nach dem Stichtag, unter den im letzten Jahr "
            "aktiven Kunden",
        ),
    )

    limitations: ClassVar[tuple[str, ...]] = (
        say(
            "Churn here means no order in the next 90 days: a customer who buys rarely (say once a year) can look at "
            "risk without having left.",
            "Abwanderung heißt hier: keine Bestellung in den nächsten 90 Tagen. Ein Kunde, der selten kauft (etwa "
            "einmal im Jahr), kann gefährdet wirken, ohne gegangen zu sein.",
        ),
        say(
            "A high risk says who may leave, not who a contact would keep: use uplift to choose whom to contact.",
            "Ein hohes Risiko sagt, wer gehen könnte, nicht, wen ein Kontakt halten würde: für die Auswahl der "
            "Kontakte Uplift verwenden.",
        ),
        *LIMITATIONS,
    )

    def __init__(self, *, active_days: int = ACTIVE_DAYS, **kw):
        super().__init__(**kw)
        self.active_days = active_days

    def population(self, wh, as_of: datetime):
        t = F.customer_features(wh, as_of, sensitive=self.sensitive_attributes)
        return t.filter((t.orders_total >= 1) & (t.recency_days <= self.active_days))

    def labels(self, wh, as_of: datetime):
        """1 = no order in [as_of, as_of + 90 days), for the population at ``as_of``."""
        pop = self.population(wh, as_of).select(F.UNIT)
        o = wh.table("orders")
        end = ibis.literal(as_of, type="timestamp") + ibis.interval(days=self.horizon_days)
        future = o.filter((o.ordered_at >= ibis.literal(as_of, type="timestamp")) & (o.ordered_at < end))
        buyers = future.select(unit_id=future.customer_id, _bought=ibis.literal(1)).distinct()
        t = pop.left_join(buyers, F.UNIT).drop(f"{F.UNIT}_right")
        return t.select(F.UNIT, label=t._bought.isnull().cast("int64"))

    def so_far(self, days: int):
        return say(
            "have not ordered in the {d} days since", "haben in den {d} Tagen seither nicht bestellt", d=int(days)
        )

    def baseline(self) -> ScoreBaseline:
        return ScoreBaseline("recency_days", increasing=True, label=F.FEATURES["recency_days"].text.label)

    def config(self) -> dict:
        return super().config() | {"active_days": self.active_days}
