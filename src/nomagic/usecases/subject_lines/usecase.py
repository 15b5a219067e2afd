"""The subject-line use case on the warehouse (one row in the demo).

Reads each treated message's subject line (``campaigns.subjects`` by variant, or ``messages.subject``)
and whether it was opened; evaluates :class:`~.model.SubjectLineModel` on a time split against the
historical average open rate (see :mod:`.model`).

Examples
--------
>>> SubjectLines.name, SubjectLines.primary_metric
('subject_lines', 'brier')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from nomagic.usecases.subject_lines.model import QUESTION, SubjectLineModel, evaluate_subjects, warehouse_history
from nomagic.warehouse.readiness import Requirements
from nomagic.words import say

Progress = Callable[[float, str], None]


class SubjectLines:
    """Predicted open rate of subject lines from their text, judged against the historical average."""

    name: ClassVar[str] = "subject_lines"
    title: ClassVar[str] = say("Subject lines", "Betreffzeilen")
    question: ClassVar[str] = QUESTION
    primary_metric: ClassVar[str] = "brier"
    requires: ClassVar[Requirements] = Requirements(
        tables={"messages": ["campaign_id", "sent_at", "variant", "opened_at"], "campaigns": ["campaign_id"]},
        min_history_days=60,
        min_units=100,
        units="messages.customer_id",
        history_tables=("messages",),
        description=say(
            "e-mails with their subject lines (campaigns.subjects per variant) and opens",
            "E-Mails mit ihren Betreffzeilen (campaigns.subjects je Variante) und Öffnungen",
        ),
    )

    def __init__(self, *, test_share: float = 0.25, n_boot: int = 1000, seed: int = 0):
        self.test_share = test_share
        self.n_boot = n_boot
        self.seed = seed

    def config(self) -> dict:
        return {"use_case": self.name, "test_share": self.test_share, "n_boot": self.n_boot, "seed": self.seed}

    def train(self, wh, *, progress: Progress | None = None, source: str | None = None) -> Any:
        """Evaluate (the record) and fit on all the history; returns a lifecycle ``TrainResult``."""
        from nomagic.lifecycle.usecase import TrainResult

        hist = warehouse_history(wh)
        ev = evaluate_subjects(
            hist,
            test_share=self.test_share,
            n_boot=self.n_boot,
            seed=self.seed,
            source=source or f"{getattr(wh, 'url', 'warehouse')}#messages",
            progress=progress,
        )
        ev.record["data"]["tables"] = ["messages", "campaigns"]
        final = SubjectLineModel().fit(hist["subject"], hist["opened"]) if ev.verdict != "not ready" else None
        return TrainResult(record=ev.record, model=final, baseline=None, plan=None, config=self.config())


__all__ = ["SubjectLines"]
