"""Send-time optimisation: each customer's best hour (and weekday) to get e-mail, judged on later sends.

Public API: :class:`SendTime` (the use case on the warehouse), :class:`SendTimeModel`,
:class:`MachineFilter`, :func:`send_log` (a user's table), :func:`evaluate_log`.
"""

from __future__ import annotations

from nomagic.usecases.sendtime.data import MachineFilter, send_log, warehouse_log
from nomagic.usecases.sendtime.evaluate import SendTimeEvaluation, evaluate_log
from nomagic.usecases.sendtime.model import SendTimeModel
from nomagic.usecases.sendtime.usecase import SCORES_TABLE, SendTime

__all__ = [
    "SCORES_TABLE",
    "MachineFilter",
    "SendTime",
    "SendTimeEvaluation",
    "SendTimeModel",
    "evaluate_log",
    "send_log",
    "warehouse_log",
]
