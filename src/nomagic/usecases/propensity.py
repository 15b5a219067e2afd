"""Purchase propensity: the probability that a customer orders in the next 30 days.

* **Population at a cutoff**: every customer who signed up before it and allows profiling
  (including those who never ordered).
* **Label**: 1 when the customer places at least one order in the 30 days from the cutoff.
* **Baseline**: the customer's own past order rate (orders per 30 days since sign-up).
* **Model**: :class:`~nomagic.lifecycle.models.AutoClassifier` on the shared customer features.

Examples
--------
>>> from nomagic.usecases import REGISTRY
>>> REGISTRY["propensity"].horizon_days
30
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

HORIZON = 30


class Propensity(CustomerUseCase):
    """Probability to order in the next 30 days, for every customer."""

    name: ClassVar[str] = "propensity"
    title: ClassVar[str] = say("Purchase propensity", "Kaufwahrscheinlichkeit")
    question: ClassVar[str] = say(
        "Which customers will order in the next 30 days?", "Welche Kunden werden in den nächsten 30 Tagen bestellen?"
    )
    horizon_days: ClassVar[int] = HORIZON
    words: ClassVar[Words] = Words(
        say("more likely to buy", "Kauf wahrscheinlicher"), say("less likely to buy", "Kauf unwahrscheinlicher")
    )
    requires: ClassVar[Requirements] = customer_requirements(
        lambda: Propensity(),
        HORIZON,
        say(
            "purchase propensity: at least one order in the 30 days after the cutoff",
            "Kaufwahrscheinlichkeit: mindestens eine Bestellung in den 30 Tagen nach dem Stichtag",
        ),
    )

    limitations: ClassVar[tuple[str, ...]] = (
        say(
            "A high propensity says who is likely to order anyway, not who orders because of a contact: use uplift "
            "to choose whom to contact.",
            "Eine hohe Kaufwahrscheinlichkeit sagt, wer ohnehin bestellen dürfte, nicht, wer wegen eines Kontakts "
            "bestellt: für die Auswahl der Kontakte Uplift verwenden.",
        ),
        *LIMITATIONS,
    )

    def labels(self, wh, as_of: datetime):
        """1 = at least one order in [as_of, as_of + 30 days), for the population at ``as_of``."""
        pop = self.population(wh, as_of).select(F.UNIT)
        o = wh.table("orders")
        end = ibis.literal(as_of, type="timestamp") + ibis.interval(days=self.horizon_days)
        future = o.filter((o.ordered_at >= ibis.literal(as_of, type="timestamp")) & (o.ordered_at < end))
        buyers = future.select(unit_id=future.customer_id, _bought=ibis.literal(1)).distinct()
        t = pop.left_join(buyers, F.UNIT).drop(f"{F.UNIT}_right")
        return t.select(F.UNIT, label=t._bought.notnull().cast("int64"))

    def so_far(self, days: int):
        return say("have ordered in the {d} days since", "haben in den {d} Tagen seither bestellt", d=int(days))

    def baseline(self) -> ScoreBaseline:
        return ScoreBaseline(
            "order_rate_30d",
            increasing=True,
            label=say("the customer's own past order rate", "die bisherige Bestellrate des Kunden"),
        )
