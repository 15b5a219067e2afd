"""Is the warehouse ready for a use case? Tables, columns, history, units, labels and leakage.

A use case declares what it needs as :class:`Requirements` (its class attribute ``requires``);
:func:`check_use_case` measures the warehouse against them before anything trains.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from nomagic.errors import NomagicError
from nomagic.warehouse.findings import Finding, Result, days, naive_utc, timestamp
from nomagic.warehouse.label_checks import LabelStats, balance_findings, label_stats, leak_findings
from nomagic.warehouse.leakage import LeakageReport, leakage_suspects
from nomagic.warehouse.schema import CANONICAL
from nomagic.words import Text, say

LabelFn = Callable[[Any, datetime], Any]


@dataclass(frozen=True)
class Requirements:
    """What a use case needs from the warehouse; declared as its class attribute ``requires``.

    Parameters
    ----------
    tables : the tables it reads and, per table, the columns it needs. A plain list of names (or
        an empty column list) means the table's required canonical columns.
    min_history_days : each table in ``history_tables`` must span at least this many days.
    min_units : at least this many distinct units (customers, products, ...) in ``units``.
    units : ``"table.column"`` that identifies a unit; default the key of the first table.
    label : ``label(wh, as_of) -> ibis.Table`` (or pandas frame) with columns ``unit_id`` and
        ``label``: the outcome observed after ``as_of``. None for tasks without labels.
    horizon_days : how long after ``as_of`` the label is observed; the check's ``as_of`` defaults to
        the latest record minus this, so the label window is complete.
    min_labels : at least this many labelled units.
    min_minority : at least this many units in the rarest class (classification labels).
    warn_minority_share : a rarest class below this share is a warning (wide CIs; prefer PR-AUC).
    features : optional ``features(wh, as_of) -> ibis.Table`` (or pandas) with ``unit_id`` and the
        features the model would see; with a ``label`` they are searched for leakage, and any
        timestamp later than ``as_of`` is flagged.
    history_tables : the tables whose time span counts as history; default every required table
        that has a time column.
    description : one line shown in the report.

    Examples
    --------
    >>> req = Requirements(
    ...     tables={"customers": ["customer_id"], "orders": ["customer_id", "ordered_at", "revenue"]},
    ...     min_history_days=180,
    ...     min_units=100,
    ...     history_tables=("orders",),
    ... )
    >>> sorted(req.tables)
    ['customers', 'orders']
    """

    tables: Mapping[str, Sequence[str]] | Sequence[str] = field(default_factory=dict)
    min_history_days: float = 0.0
    min_units: int = 0
    units: str | None = None
    label: LabelFn | None = None
    horizon_days: float = 0.0
    min_labels: int = 100
    min_minority: int = 20
    warn_minority_share: float = 0.05
    features: LabelFn | None = None
    history_tables: tuple[str, ...] | None = None
    description: str = ""

    def __post_init__(self) -> None:
        tables = self.tables
        if isinstance(tables, str):
            tables = [tables]
        if not isinstance(tables, Mapping):
            tables = {name: () for name in tables}
        normalised = {}
        for name, cols in tables.items():
            cols = tuple(cols or ())
            if not cols and name in CANONICAL:
                cols = CANONICAL[name].required_names
            normalised[name] = cols
        object.__setattr__(self, "tables", normalised)
        if self.history_tables is not None:
            object.__setattr__(self, "history_tables", tuple(self.history_tables))


# -- the check ------------------------------------------------------------------------------------


@dataclass
class UseCaseReadiness(Result):
    """Readiness of one use case: its tables, history, units, labels and leakage."""

    name: str
    description: str = ""
    as_of: str | None = None
    history_days: float | None = None
    units: int | None = None
    label: LabelStats | None = None
    leakage: LeakageReport | None = None
    findings: list[Finding] = field(default_factory=list)


def _frame(result) -> pd.DataFrame:
    if isinstance(result, pd.DataFrame):
        return result
    if hasattr(result, "to_pandas"):
        return result.to_pandas()
    return pd.DataFrame(result)


def _table_span(wh, name: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    spec = CANONICAL.get(name)
    if spec is None or not spec.time_column or not wh.has(name):
        return None, None
    t = wh.table(name)
    if spec.time_column not in t.columns:
        return None, None
    row = t.aggregate(a=t[spec.time_column].min(), b=t[spec.time_column].max()).execute().iloc[0]
    return timestamp(row["a"]), timestamp(row["b"])


def check_use_case(
    wh,
    req: Requirements,
    *,
    name: str = "use case",
    as_of: datetime | None = None,
    now: datetime | None = None,
) -> UseCaseReadiness:
    """Is the warehouse ready for a use case that declares ``req``?

    Checks that the required tables and columns exist and are not empty, that the history is long
    enough, that there are enough units, and — when ``req.label`` is given — that there are enough
    labels, how the classes balance and whether ``req.features`` leak the label.

    Parameters
    ----------
    wh : the warehouse.
    req : the use case's :class:`Requirements`.
    name : the use case's name, for the messages.
    as_of : the cutoff for the label; default the latest record minus ``req.horizon_days``.
    now : the moment of the check (default now).

    Examples
    --------
    >>> from nomagic import connect
    >>> r = check_use_case(connect("duckdb://:memory:"), Requirements(tables=["orders"]), name="demo")
    >>> r.verdict
    'not ready'
    """
    result = UseCaseReadiness(name=name, description=req.description)
    out = result.findings
    subject = say("use case {name}", "Anwendungsfall {name}", name=name)
    add = lambda level, msg, subj=subject: out.append(Finding(level, subj, msg))  # noqa: E731

    usable = []
    for table, cols in req.tables.items():
        if not wh.has(table):
            add(
                "blocker",
                say(
                    "needs table {table}, which is not loaded: `nomagic load {table} FILE`",
                    "braucht die Tabelle {table}, die nicht geladen ist: `nomagic load {table} FILE`",
                    table=table,
                ),
            )
            continue
        have = wh.table(table).columns
        lacking = [c for c in cols if c not in have]
        if lacking:
            add(
                "blocker",
                say(
                    "needs column(s) {cols} of {table}, which it lacks",
                    "braucht die Spalte(n) {cols} von {table}, die dort fehlen",
                    cols=", ".join(lacking),
                    table=table,
                ),
            )
            continue
        n = int(wh.table(table).count().execute())
        if n == 0:
            add(
                "blocker",
                say("needs rows in {table}, which is empty", "braucht Zeilen in {table}, die leer ist", table=table),
            )
            continue
        usable.append(table)

    spans = {t: _table_span(wh, t) for t in usable}
    history = req.history_tables or tuple(t for t in usable if spans[t][0] is not None)
    covered = []
    for t in history:
        first, last = spans.get(t, (None, None)) if t in spans else _table_span(wh, t)
        if first is None or last is None:
            continue
        d = days(last - first)
        covered.append(d)
        if req.min_history_days and d < req.min_history_days:
            add(
                "blocker",
                say(
                    "{table} covers {days:,.0f} days ({first} to {last}); {name} needs at least {need:,.0f} days "
                    "of history",
                    "{table} umfasst {days:,.0f} Tage ({first} bis {last}); {name} braucht mindestens {need:,.0f} "
                    "Tage Historie",
                    table=t,
                    days=d,
                    first=first.date(),
                    last=last.date(),
                    name=name,
                    need=req.min_history_days,
                ),
            )
    if covered:
        result.history_days = min(covered)
        if req.min_history_days and result.history_days >= req.min_history_days:
            add(
                "info",
                say(
                    "history: {days:,.0f} days (needs {need:,.0f})",
                    "Historie: {days:,.0f} Tage (nötig: {need:,.0f})",
                    days=result.history_days,
                    need=req.min_history_days,
                ),
            )
    elif req.min_history_days and history:
        add(
            "blocker",
            say(
                "no time column found in {tables} to measure the history",
                "keine Zeitspalte in {tables}, an der sich die Historie messen ließe",
                tables=", ".join(history),
            ),
        )

    unit_table, unit_col = _unit_column(req)
    if unit_table and unit_table in usable and unit_col in wh.table(unit_table).columns:
        t = wh.table(unit_table)
        result.units = int(t[unit_col].nunique().execute())
        where = f"{unit_table}.{unit_col}"
        if req.min_units and result.units < req.min_units:
            add(
                "blocker",
                say(
                    "only {n:,} units in {where}; {name} needs {need:,}",
                    "nur {n:,} Einheiten in {where}; {name} braucht {need:,}",
                    n=result.units,
                    where=where,
                    name=name,
                    need=req.min_units,
                ),
            )
        elif req.min_units:
            add(
                "info",
                say(
                    "{n:,} units in {where} (needs {need:,})",
                    "{n:,} Einheiten in {where} (nötig: {need:,})",
                    n=result.units,
                    where=where,
                    need=req.min_units,
                ),
            )

    blocked = any(f.level == "blocker" for f in out)
    if as_of is None:
        lasts = [spans[t][1] for t in usable if spans[t][1] is not None]
        as_of = (max(lasts) - pd.Timedelta(days=req.horizon_days)).to_pydatetime() if lasts else naive_utc(now)
    result.as_of = naive_utc(as_of).isoformat()

    if req.label is not None and not blocked:
        try:
            labels = _frame(req.label(wh, as_of))
        except NomagicError as exc:
            add(
                "blocker",
                say("its label cannot be built: {why}", "sein Label lässt sich nicht bilden: {why}", why=_said(exc)),
            )
            labels = None
        if labels is not None:
            if "label" not in labels.columns:
                raise TypeError(f"the label function of {name} must return a column 'label'")
            result.label = label_stats(labels["label"])
            out.extend(
                balance_findings(
                    result.label,
                    say(
                        "use case {name} (labels as of {as_of})",
                        "Anwendungsfall {name} (Labels zum {as_of})",
                        name=name,
                        as_of=as_of,
                    ),
                    min_labels=req.min_labels,
                    min_minority=req.min_minority,
                    warn_share=req.warn_minority_share,
                )
            )
            if req.features is not None and result.label.rows and "unit_id" in labels.columns:
                feats = _frame(req.features(wh, as_of)).drop(columns=["label"], errors="ignore")
                frame = feats.merge(labels[["unit_id", "label"]], on="unit_id", how="inner")
                result.leakage = leakage_suspects(frame, "label", exclude=("unit_id",), cutoff=naive_utc(as_of))
                out.extend(leak_findings(result.leakage, subject))
    return result


def _said(exc: NomagicError) -> str:
    """An error's message with its German where it has one."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], Text) else str(exc)


def _unit_column(req: Requirements) -> tuple[str | None, str | None]:
    if req.units:
        table, _, col = req.units.partition(".")
        return table, col
    for table in req.tables:
        spec = CANONICAL.get(table)
        if spec is not None and len(spec.key) == 1:
            return table, spec.key[0]
    return None, None
