"""The use cases: each answers one marketing question in the same shape (see DESIGN.md).

:data:`REGISTRY` maps a use case's name to its class; the CLI (``nomagic train NAME``,
``nomagic check --use-case NAME``), the report and the demo find use cases there.
"""

from __future__ import annotations

from nomagic.usecases.bandits.usecase import Bandits
from nomagic.usecases.bidding.usecase import Bidding
from nomagic.usecases.budget.usecase import Budget
from nomagic.usecases.churn import Churn
from nomagic.usecases.clv.usecase import Clv
from nomagic.usecases.language.usecase import Sentiment
from nomagic.usecases.propensity import Propensity
from nomagic.usecases.sendtime import SendTime
from nomagic.usecases.subject_lines import SubjectLines
from nomagic.usecases.uplift.usecase import Uplift

#: name -> use-case class
REGISTRY: dict[str, type] = {
    cls.name: cls
    for cls in (Churn, Propensity, Clv, Uplift, SendTime, SubjectLines, Bandits, Budget, Sentiment, Bidding)
}

__all__ = [
    "REGISTRY",
    "Bandits",
    "Bidding",
    "Budget",
    "Churn",
    "Clv",
    "Propensity",
    "SendTime",
    "Sentiment",
    "SubjectLines",
    "Uplift",
]
