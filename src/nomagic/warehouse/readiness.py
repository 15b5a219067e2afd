"""Readiness: is the data good enough for the task, and if not, why not — before anything trains.

Three checks, each ending in a plain verdict (``ready``, ``ready with warnings``, ``not ready``) with
its reasons in plain words, English and German (see :mod:`.findings`):

* :func:`check_tables` (:mod:`.table_checks`) — per canonical table in the warehouse: rows, time
  coverage, freshness, missing values, duplicate keys, broken references, contract breaks and the
  rows the loads quarantined.
* :func:`check_use_case` (:mod:`.usecase_readiness`) — per use case, from the :class:`Requirements`
  it declares: tables and columns, history, units, labels, class balance and leakage suspects.
* :func:`check_file` (:mod:`.file_readiness`) — the same questions for a user's plain labelled table;
  :mod:`.file_typing` reads and types it.

:func:`check_warehouse` (here) weighs the tables and, optionally, one use case into one verdict.
``result.to_dict()`` is JSON-ready with both languages; ``nomagic.report.readiness.render_html``
draws a page. The names above stay importable from this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from nomagic.warehouse.file_readiness import (
    FEW_ROWS,
    MIN_MINORITY,
    MIN_ROWS,
    MOSTLY_EMPTY,
    RARE_SHARE,
    FileColumn,
    FileReadiness,
    TimeCoverage,
    check_file,
)
from nomagic.warehouse.file_typing import read_table, type_columns
from nomagic.warehouse.findings import (
    LEVELS,
    NOT_READY,
    READY,
    SCHEMA_VERSION,
    WARNINGS,
    Finding,
    Result,
    by_level,
    naive_utc,
    verdict_of,
)
from nomagic.warehouse.label_checks import LabelStats, label_stats
from nomagic.warehouse.table_checks import (
    ACTIVITY_TABLES,
    ColumnStats,
    Reference,
    RuleCount,
    TableReport,
    check_table,
    check_tables,
)
from nomagic.warehouse.usecase_readiness import LabelFn, Requirements, UseCaseReadiness, check_use_case
from nomagic.words import say

__all__ = [
    "ACTIVITY_TABLES",
    "FEW_ROWS",
    "LEVELS",
    "MIN_MINORITY",
    "MIN_ROWS",
    "MOSTLY_EMPTY",
    "NOT_READY",
    "RARE_SHARE",
    "READY",
    "SCHEMA_VERSION",
    "WARNINGS",
    "ColumnStats",
    "FileColumn",
    "FileReadiness",
    "Finding",
    "LabelFn",
    "LabelStats",
    "Reference",
    "Requirements",
    "Result",
    "RuleCount",
    "TableReport",
    "TimeCoverage",
    "UseCaseReadiness",
    "WarehouseReadiness",
    "by_level",
    "check_file",
    "check_table",
    "check_tables",
    "check_use_case",
    "check_warehouse",
    "label_stats",
    "read_table",
    "type_columns",
    "verdict_of",
]


@dataclass
class WarehouseReadiness(Result):
    """Readiness of a warehouse: its tables and, optionally, one use case."""

    warehouse: str
    checked_at: str
    tables: list[TableReport] = field(default_factory=list)
    use_case: UseCaseReadiness | None = None
    findings: list[Finding] = field(default_factory=list)
    schema: int = SCHEMA_VERSION
    kind: str = "warehouse"


def check_warehouse(
    wh,
    req: Requirements | None = None,
    *,
    use_case: str | None = None,
    as_of: datetime | None = None,
    now: datetime | None = None,
    stale_days: float | None = 30.0,
) -> WarehouseReadiness:
    """Readiness of the warehouse, and of one use case when its requirements are given.

    The verdict weighs every table's findings, or — for a use case — the use case's own findings and
    those of the tables it needs (a broken table it does not read does not hold it back).

    Examples
    --------
    >>> from nomagic import connect
    >>> check_warehouse(connect("duckdb://:memory:")).verdict
    'not ready'
    """
    from nomagic.warehouse.connection import _redact

    now_ = naive_utc(now)
    tables = check_tables(wh, now=now_, stale_days=stale_days)
    result = WarehouseReadiness(warehouse=_redact(wh.url), checked_at=now_.isoformat(timespec="seconds"), tables=tables)
    if not tables:
        result.findings.append(
            Finding(
                "blocker",
                say("warehouse", "Warehouse"),
                say(
                    "holds no canonical tables yet: load your data with `nomagic load TABLE FILE` "
                    "(or fill a demo world with `nomagic simulate`)",
                    "enthält noch keine kanonischen Tabellen: die eigenen Daten mit `nomagic load TABLE FILE` laden "
                    "(oder eine Demo-Welt mit `nomagic simulate` füllen)",
                ),
            )
        )
    if req is not None:
        result.use_case = check_use_case(wh, req, name=use_case or "use case", as_of=as_of, now=now_)
        result.findings.extend(result.use_case.findings)
        needed = set(req.tables)
        for t in tables:
            if t.name in needed:
                result.findings.extend(t.findings)
    else:
        for t in tables:
            result.findings.extend(t.findings)
    return result
