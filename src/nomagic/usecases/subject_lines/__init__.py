"""Subject lines: predicted open rate from text features, trained on your own sends (German and English).

Public API: :func:`features`, :class:`SubjectLineModel`, :func:`predict_open_rate`,
:func:`evaluate_subjects`, :func:`read_history`, :func:`warehouse_history`, and :class:`SubjectLines` (the use case
on the warehouse).
"""

from __future__ import annotations

from nomagic.usecases.subject_lines.features import FEATURES, features, language
from nomagic.usecases.subject_lines.model import (
    SubjectEvaluation,
    SubjectLineModel,
    evaluate_subjects,
    predict_open_rate,
    read_history,
    warehouse_history,
)
from nomagic.usecases.subject_lines.usecase import SubjectLines

__all__ = [
    "FEATURES",
    "SubjectEvaluation",
    "SubjectLineModel",
    "SubjectLines",
    "evaluate_subjects",
    "features",
    "language",
    "predict_open_rate",
    "read_history",
    "warehouse_history",
]
