"""Readiness: is the data good enough for the task, and if not, why not — before anything trains.

Three checks, each ending in a plain verdict (``ready``, ``ready with warnings``, ``not ready``) with
its reasons in plain words:

* :func:`check_tables` — per canonical table in the warehouse: rows, time coverage, freshness,
  missing values per column, duplicate keys, broken references, contract breaks and the rows the
  loads quarantined. Every query is an Ibis expression, so it runs on DuckDB and PostgreSQL alike.
* :func:`check_use_case` — per use case, from the :class:`Requirements` it declares: the tables and
  columns it needs, enough history, enough units, enough labels, class balance, and leakage
  suspects among its features (see :mod:`.leakage`).
* :func:`check_file` — the same questions for a user's plain labelled table (CSV, Parquet, JSON
  lines): label balance, missing values, duplicates, constant and id-like columns, leakage.

Results are dataclasses; ``result.to_dict()`` is JSON-ready and :func:`render_html` draws a small
self-contained page.

Findings have a level: ``blocker`` (the verdict is *not ready*), ``warning`` (*ready with warnings*)
or ``info`` (says why something is fine; does not change the verdict).
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd

from nomagic.errors import InputError, NomagicError
from nomagic.warehouse.leakage import LeakageReport, binary_targets, column_kind, leakage_suspects, positive_class
from nomagic.warehouse.schema import CANONICAL, QUARANTINE, canonical_table

SCHEMA_VERSION = 1
READY, WARNINGS, NOT_READY = "ready", "ready with warnings", "not ready"
LEVELS = ("info", "warning", "blocker")

#: Defaults of the plain-file check.
MIN_ROWS = 50
FEW_ROWS = 500
MIN_MINORITY = 20
RARE_SHARE = 0.05
MOSTLY_EMPTY = 0.5
#: Tables whose latest record says how current the data is (a customer base or a campaign list may
#: legitimately have no recent rows; orders, events and spend should).
ACTIVITY_TABLES = frozenset(
    {"orders", "events", "messages", "media_spend", "kpis", "documents", "ad_requests", "decisions"}
)


# -- findings and verdicts --------------------------------------------------------------------------


@dataclass
class Finding:
    """One reason for the verdict: ``level`` is info, warning or blocker; ``subject`` what it is about."""

    level: str
    subject: str
    message: str

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"unknown level {self.level!r}")


def verdict_of(findings: Sequence[Finding]) -> str:
    """``not ready`` if any blocker, ``ready with warnings`` if any warning, else ``ready``."""
    levels = {f.level for f in findings}
    if "blocker" in levels:
        return NOT_READY
    if "warning" in levels:
        return WARNINGS
    return READY


def _sorted(findings: Sequence[Finding]) -> list[Finding]:
    order = {"blocker": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: order[f.level])


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, _Result):  # the verdict up front, the findings blockers first
            head = {k: out.pop(k) for k in ("schema", "kind") if k in out}
            out = {**head, "verdict": value.verdict, **out, "findings": _jsonable(value.reasons)}
        return out
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if callable(value):
        return getattr(value, "__qualname__", repr(value))
    return value


class _Result:
    """Shared by the three results: a verdict, its reasons, and JSON/HTML output."""

    findings: list[Finding]

    @property
    def verdict(self) -> str:
        return verdict_of(self.findings)

    @property
    def reasons(self) -> list[Finding]:
        """The findings, blockers first."""
        return _sorted(self.findings)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON types; ``verdict`` added, ``findings`` blockers first."""
        return _jsonable(self)

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    def to_html(self) -> str:
        return render_html(self)


# -- requirements (declared by use cases) -------------------------------------------------------


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


# -- per-table check ------------------------------------------------------------------------------


@dataclass
class ColumnStats:
    name: str
    dtype: str
    missing: int
    missing_share: float
    required: bool = False  # a non-nullable column of the canonical contract


@dataclass
class Reference:
    column: str
    references: str
    broken: int | None  # rows whose value is not found; None when the referenced table is absent


@dataclass
class RuleCount:
    column: str
    reason: str
    rows: int


@dataclass
class TableReport(_Result):
    """Readiness of one warehouse table."""

    name: str
    rows: int
    key: list[str]
    time_column: str | None = None
    first: str | None = None
    last: str | None = None
    span_days: float | None = None
    freshness_days: float | None = None
    columns: list[ColumnStats] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    duplicate_keys: int = 0
    duplicate_key_rows: int = 0
    references: list[Reference] = field(default_factory=list)
    contract: list[RuleCount] = field(default_factory=list)
    quarantined: int = 0
    quarantine_reasons: list[RuleCount] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _naive_utc(moment: datetime | None) -> datetime:
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _ts(value) -> pd.Timestamp | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def _days(delta: timedelta | pd.Timedelta) -> float:
    return round(delta.total_seconds() / 86400, 2)


def _rows(n: int, word: str = "row") -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _count_true(cond) -> Any:
    """Rows where ``cond`` holds (NULL counts as false); CASE WHEN, which every engine accepts."""
    return cond.ifelse(1, 0).sum()


def _quarantine_summary(wh) -> dict[str, tuple[int, list[RuleCount]]]:
    """Quarantined source rows per table, with the commonest (column, reason) pairs."""
    if not wh.has(QUARANTINE):
        return {}
    q = wh.table(QUARANTINE)
    needed = {"table_name", "source", "row_number", "column_name", "reason"}
    if not needed <= set(q.columns):
        return {}
    rowkey = q.source.concat(":", q.row_number.cast("string"))
    totals = q.group_by("table_name").aggregate(rows=rowkey.nunique()).execute()
    reasons = (
        q.group_by(["table_name", "column_name", "reason"])
        .aggregate(rows=q.count())
        .order_by([ibis.desc("rows"), "column_name"])
        .execute()
    )
    out: dict[str, tuple[int, list[RuleCount]]] = {}
    for _, r in totals.iterrows():
        mine = reasons[reasons.table_name == r.table_name].head(5)
        out[str(r.table_name)] = (
            int(r.rows),
            [RuleCount(str(x.column_name), str(x.reason), int(x.rows)) for x in mine.itertuples()],
        )
    return out


def check_table(
    wh,
    name: str,
    *,
    now: datetime | None = None,
    stale_days: float | None = 30.0,
    quarantine: dict[str, tuple[int, list[RuleCount]]] | None = None,
) -> TableReport:
    """Readiness of canonical table ``name`` of warehouse ``wh`` (see :func:`check_tables`)."""
    from nomagic.warehouse.contracts import column_rules, key_expr

    spec = canonical_table(name)
    now_ = _naive_utc(now)
    t = wh.table(name)
    cols = list(t.columns)
    schema = t.schema()
    report = TableReport(name=name, rows=0, key=list(spec.key))
    report.missing_columns = [c for c in spec.required_names if c not in cols]
    time_col = spec.time_column if spec.time_column in cols else None
    report.time_column = time_col

    # one pass: row count, time range, missing values per column, contract rules
    rules = [r for c in spec.columns if c.name in cols for r in column_rules(t, c, now_) if r.reason != "missing value"]
    aggs: dict[str, Any] = {"_rows": t.count()}
    if time_col:
        aggs["_first"] = t[time_col].min()
        aggs["_last"] = t[time_col].max()
    for i, c in enumerate(cols):
        aggs[f"_m{i}"] = _count_true(t[c].isnull())
    for i, r in enumerate(rules):
        aggs[f"_r{i}"] = _count_true(r.broken)
    row = t.aggregate(**aggs).execute().iloc[0]
    rows = int(row["_rows"])
    report.rows = rows
    for i, c in enumerate(cols):
        missing = int(row[f"_m{i}"] or 0)
        required = c in spec.column_names and not spec.column(c).nullable
        report.columns.append(
            ColumnStats(c, str(schema[c]), missing, round(missing / rows, 4) if rows else 0.0, required)
        )
    for i, r in enumerate(rules):
        n = int(row[f"_r{i}"] or 0)
        if n:
            report.contract.append(RuleCount(r.column, r.reason, n))

    if time_col:
        first, last = _ts(row["_first"]), _ts(row["_last"])
        if first is not None and last is not None:
            report.first, report.last = first.isoformat(), last.isoformat()
            report.span_days = _days(last - first)
            report.freshness_days = _days(pd.Timestamp(now_) - last)

    if rows and all(k in cols for k in spec.key):
        k = key_expr(t, spec.key)
        counted = t.select(_k=k).group_by("_k").aggregate(_n=ibis._.count())
        dupes = counted.filter(counted._n > 1).aggregate(keys=ibis._.count(), rows=ibis._._n.sum()).execute().iloc[0]
        report.duplicate_keys = int(dupes["keys"] or 0)
        report.duplicate_key_rows = int(dupes["rows"] or 0) if report.duplicate_keys else 0

    for c in spec.columns:
        if not c.references or c.name not in cols:
            continue
        ref_table, ref_col = c.references.split(".")
        if not wh.has(ref_table) or ref_col not in wh.table(ref_table).columns:
            report.references.append(Reference(c.name, c.references, None))
            continue
        ref = wh.table(ref_table).select(_ref=ibis._[ref_col])
        broken = t.filter(t[c.name].notnull()).anti_join(ref, t[c.name] == ref._ref).count().execute()
        report.references.append(Reference(c.name, c.references, int(broken)))

    if quarantine is None:
        quarantine = _quarantine_summary(wh)
    if name in quarantine:
        report.quarantined, report.quarantine_reasons = quarantine[name]

    report.findings = _table_findings(report, stale_days)
    return report


def _table_findings(r: TableReport, stale_days: float | None) -> list[Finding]:
    out: list[Finding] = []
    add = lambda level, msg: out.append(Finding(level, r.name, msg))  # noqa: E731
    if r.missing_columns:
        add(
            "blocker",
            f"lacks the required column(s) {', '.join(r.missing_columns)}; reload it with a mapping that provides them",
        )
    if r.rows == 0:
        add("warning", "is empty")
        return out
    cover = f"{r.rows:,} rows"
    if r.first and r.last:
        cover += f" from {r.first[:10]} to {r.last[:10]} ({r.span_days:,.0f} days)"
    add("info", cover)
    if stale_days and r.name in ACTIVITY_TABLES and r.freshness_days is not None and r.freshness_days > stale_days:
        add(
            "warning",
            f"its latest record ({r.last[:10]}) is {r.freshness_days:,.0f} days old: models would learn "
            "a past world; load newer data",
        )
    for c in r.columns:
        if c.missing and c.required:
            add("warning", f"{_rows(c.missing)} ({c.missing_share:.1%}) lack {c.name}, which the contract requires")
        elif c.missing == r.rows and not c.required:
            add("info", f"column {c.name} is empty")
    if r.duplicate_keys:
        add(
            "blocker",
            f"{r.duplicate_keys:,} values of its key ({', '.join(r.key)}) appear more than once "
            f"({r.duplicate_key_rows:,} rows): joins would count them twice; de-duplicate and reload",
        )
    for ref in r.references:
        if ref.broken is None:
            add("info", f"{ref.column} refers to {ref.references}, which is not loaded: references not checked")
        elif ref.broken:
            share = ref.broken / r.rows
            add(
                "warning",
                f"{_rows(ref.broken)} ({share:.1%}) have a {ref.column} not found in {ref.references}; "
                f"load the missing {ref.references.split('.')[0]} or they drop out of joins",
            )
    for rule in r.contract:
        add("warning", f"{_rows(rule.rows)} break the contract: {rule.column} {rule.reason}")
    if r.quarantined:
        top = "; ".join(f"{q.column} {q.reason} ({q.rows:,})" for q in r.quarantine_reasons[:3])
        add(
            "warning",
            f"{_rows(r.quarantined, 'source row')} quarantined at load, so missing here ({top}); "
            f"see table `{QUARANTINE}`, fix the source and load it again",
        )
    return out


def check_tables(
    wh, *, tables: Sequence[str] | None = None, now: datetime | None = None, stale_days: float | None = 30.0
) -> list[TableReport]:
    """Readiness of each canonical table present in the warehouse (or of ``tables``).

    Examples
    --------
    >>> from nomagic import connect
    >>> check_tables(connect("duckdb://:memory:"))
    []
    """
    present = set(wh.tables())
    names = [n for n in (tables or CANONICAL) if n in present]
    quarantine = _quarantine_summary(wh)
    return [check_table(wh, n, now=now, stale_days=stale_days, quarantine=quarantine) for n in names]


# -- per-use-case check ---------------------------------------------------------------------------


@dataclass
class LabelStats:
    """The label: how many units carry one, and the class balance (or spread, for numbers)."""

    column: str
    kind: str  # binary, multiclass, numeric
    rows: int
    missing: int = 0
    classes: dict[str, int] = field(default_factory=dict)
    positive: str | None = None
    minority: str | None = None
    minority_count: int = 0
    minority_share: float | None = None
    mean: float | None = None
    std: float | None = None


@dataclass
class UseCaseReadiness(_Result):
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


def label_stats(y: pd.Series, column: str = "label") -> LabelStats:
    """Class counts (or mean and spread) of a label column."""
    known = y.dropna()
    stats = LabelStats(column=column, kind="binary", rows=len(known), missing=int(y.isna().sum()))
    if not len(known):
        stats.kind = "empty"
        return stats
    kind, _ = binary_targets(known)
    if kind.startswith("numeric"):
        stats.kind = "numeric"
        stats.mean, stats.std = round(float(known.mean()), 6), round(float(known.std()), 6)
        return stats
    counts = known.value_counts()
    stats.kind = "binary" if len(counts) <= 2 else "multiclass"
    stats.classes = {str(k): int(v) for k, v in counts.items()}
    if stats.kind == "binary":
        stats.positive = str(positive_class(counts))
    stats.minority = str(counts.index[-1])
    stats.minority_count = int(counts.iloc[-1])
    stats.minority_share = round(float(counts.iloc[-1] / len(known)), 4)
    return stats


def _balance_findings(
    stats: LabelStats, subject: str, *, min_labels: int, min_minority: int, warn_share: float
) -> list[Finding]:
    out: list[Finding] = []
    add = lambda level, msg: out.append(Finding(level, subject, msg))  # noqa: E731
    if stats.missing:
        add("warning", f"{stats.missing:,} rows have no label and are left out")
    if stats.rows < min_labels:
        add("blocker", f"only {stats.rows:,} labelled rows; at least {min_labels:,} are needed to learn and to measure")
    if stats.kind == "empty":
        return out
    if stats.kind == "numeric":
        if not stats.std:
            add("blocker", "the label has a single value: there is nothing to predict")
        else:
            add("info", f"numeric label: mean {stats.mean:,.4g}, standard deviation {stats.std:,.4g}")
        return out
    if len(stats.classes) < 2:
        add("blocker", f"every labelled row has the same label ({next(iter(stats.classes))}): nothing to predict")
        return out
    balance = " / ".join(f"{k} {v:,} ({v / stats.rows:.1%})" for k, v in stats.classes.items())
    if stats.minority_count < min_minority:
        add(
            "blocker",
            f"the rarest class {stats.minority!r} has only {stats.minority_count:,} rows (needs {min_minority:,}): "
            f"too few to learn from or to measure ({balance})",
        )
    elif stats.minority_share is not None and stats.minority_share < warn_share:
        add(
            "warning",
            f"the rarest class {stats.minority!r} is {stats.minority_share:.1%} of rows ({balance}): confidence "
            "intervals will be wide; judge by precision-recall rather than accuracy",
        )
    else:
        add("info", f"class balance: {balance}")
    return out


def _leak_findings(report: LeakageReport, subject: str) -> list[Finding]:
    out = [
        Finding(
            s.level,
            f"{subject}: {s.column}",
            f"leakage suspect: {s.column} {s.reason}. Evidence: {s.evidence}. If it is only known after the "
            "outcome, drop it (--drop); if it truly is known at prediction time, keep it and say why",
        )
        for s in report.suspects
    ]
    if not report.suspects and report.best is not None:
        best = report.best
        out.append(
            Finding(
                "info",
                subject,
                f"no leakage suspect: no column predicts {report.label} suspiciously well "
                f"(strongest: {best.column}, single-column AUC {best.auc:.2f})",
            )
        )
    return out


def _table_span(wh, name: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    spec = CANONICAL.get(name)
    if spec is None or not spec.time_column or not wh.has(name):
        return None, None
    t = wh.table(name)
    if spec.time_column not in t.columns:
        return None, None
    row = t.aggregate(a=t[spec.time_column].min(), b=t[spec.time_column].max()).execute().iloc[0]
    return _ts(row["a"]), _ts(row["b"])


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
    subject = f"use case {name}"
    add = lambda level, msg, subj=subject: out.append(Finding(level, subj, msg))  # noqa: E731

    usable = []
    for table, cols in req.tables.items():
        if not wh.has(table):
            add("blocker", f"needs table {table}, which is not loaded: `nomagic load {table} FILE`")
            continue
        have = wh.table(table).columns
        lacking = [c for c in cols if c not in have]
        if lacking:
            add("blocker", f"needs column(s) {', '.join(lacking)} of {table}, which it lacks")
            continue
        n = int(wh.table(table).count().execute())
        if n == 0:
            add("blocker", f"needs rows in {table}, which is empty")
            continue
        usable.append(table)

    spans = {t: _table_span(wh, t) for t in usable}
    history = req.history_tables or tuple(t for t in usable if spans[t][0] is not None)
    days = []
    for t in history:
        first, last = spans.get(t, (None, None)) if t in spans else _table_span(wh, t)
        if first is None or last is None:
            continue
        d = _days(last - first)
        days.append(d)
        if req.min_history_days and d < req.min_history_days:
            add(
                "blocker",
                f"{t} covers {d:,.0f} days ({first.date()} to {last.date()}); {name} needs at least "
                f"{req.min_history_days:,.0f} days of history",
            )
    if days:
        result.history_days = min(days)
        if req.min_history_days and result.history_days >= req.min_history_days:
            add("info", f"history: {result.history_days:,.0f} days (needs {req.min_history_days:,.0f})")
    elif req.min_history_days and history:
        add("blocker", f"no time column found in {', '.join(history)} to measure the history")

    unit_table, unit_col = _unit_column(req)
    if unit_table and unit_table in usable and unit_col in wh.table(unit_table).columns:
        t = wh.table(unit_table)
        result.units = int(t[unit_col].nunique().execute())
        if req.min_units and result.units < req.min_units:
            add("blocker", f"only {result.units:,} units in {unit_table}.{unit_col}; {name} needs {req.min_units:,}")
        elif req.min_units:
            add("info", f"{result.units:,} units in {unit_table}.{unit_col} (needs {req.min_units:,})")

    blocked = any(f.level == "blocker" for f in out)
    if as_of is None:
        lasts = [spans[t][1] for t in usable if spans[t][1] is not None]
        as_of = (max(lasts) - pd.Timedelta(days=req.horizon_days)).to_pydatetime() if lasts else _naive_utc(now)
    result.as_of = _naive_utc(as_of).isoformat()

    if req.label is not None and not blocked:
        try:
            labels = _frame(req.label(wh, as_of))
        except NomagicError as exc:
            add("blocker", f"its label cannot be built: {exc}")
            labels = None
        if labels is not None:
            if "label" not in labels.columns:
                raise TypeError(f"the label function of {name} must return a column 'label'")
            result.label = label_stats(labels["label"])
            out.extend(
                _balance_findings(
                    result.label,
                    f"{subject} (labels as of {as_of:%Y-%m-%d})",
                    min_labels=req.min_labels,
                    min_minority=req.min_minority,
                    warn_share=req.warn_minority_share,
                )
            )
            if req.features is not None and result.label.rows and "unit_id" in labels.columns:
                feats = _frame(req.features(wh, as_of)).drop(columns=["label"], errors="ignore")
                frame = feats.merge(labels[["unit_id", "label"]], on="unit_id", how="inner")
                result.leakage = leakage_suspects(frame, "label", exclude=("unit_id",), cutoff=_naive_utc(as_of))
                out.extend(_leak_findings(result.leakage, subject))
    return result


def _unit_column(req: Requirements) -> tuple[str | None, str | None]:
    if req.units:
        table, _, col = req.units.partition(".")
        return table, col
    for table in req.tables:
        spec = CANONICAL.get(table)
        if spec is not None and len(spec.key) == 1:
            return table, spec.key[0]
    return None, None


# -- the whole warehouse ---------------------------------------------------------------------------


@dataclass
class WarehouseReadiness(_Result):
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

    now_ = _naive_utc(now)
    tables = check_tables(wh, now=now_, stale_days=stale_days)
    result = WarehouseReadiness(warehouse=_redact(wh.url), checked_at=now_.isoformat(timespec="seconds"), tables=tables)
    if not tables:
        result.findings.append(
            Finding(
                "blocker",
                "warehouse",
                "holds no canonical tables yet: load your data with `nomagic load TABLE FILE` "
                "(or fill a demo world with `nomagic simulate`)",
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


# -- a user's plain file --------------------------------------------------------------------------


@dataclass
class FileColumn:
    """One column of a user's file as the check read it."""

    name: str
    kind: str  # numeric, categorical, datetime, boolean, id, label, time
    missing: int
    missing_share: float
    distinct: int
    note: str = ""


@dataclass
class TimeCoverage:
    column: str
    first: str | None
    last: str | None
    span_days: float | None
    unparsed: int = 0


@dataclass
class FileReadiness(_Result):
    """Readiness of a user's labelled table for a first honest model."""

    source: str
    fingerprint: str
    rows: int
    label_column: str
    label: LabelStats
    columns: list[FileColumn] = field(default_factory=list)
    id_columns: list[str] = field(default_factory=list)
    constant_columns: list[str] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    duplicate_rows: int = 0
    duplicates_ignoring_ids: int = 0
    time: TimeCoverage | None = None
    leakage: LeakageReport | None = None
    findings: list[Finding] = field(default_factory=list)
    checked_at: str = ""
    schema: int = SCHEMA_VERSION
    kind: str = "file"


_NULLS = {"", "na", "n/a", "nan", "null", "none", "#n/a", "-"}


def read_table(path: str | Path, *, encoding: str | None = None, delimiter: str | None = None) -> pd.DataFrame:
    """Read a CSV (encoding and delimiter detected), Parquet or JSON-lines file into pandas.

    CSV columns stay text here; :func:`type_columns` decides what they hold.
    """
    import duckdb

    from nomagic.warehouse.sources import source_kind, stage_file

    path = Path(path)
    if source_kind(str(path)) == "database":
        raise InputError(f"{path}: `check --data` reads files (CSV, Parquet, JSON lines); load a database table first")
    duck = duckdb.connect()
    try:
        stage_file(duck, str(path), "_nm_check", encoding=encoding, delimiter=delimiter)
        df = duck.execute("SELECT * FROM _nm_check").df()
    finally:
        duck.close()
    if df.empty:
        raise InputError(f"{path}: has a header but no rows; there is nothing to check")
    return df


def _blank_to_na(s: pd.Series) -> pd.Series:
    if pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
        text = s.astype("string").str.strip()
        return text.mask(text.str.lower().isin(_NULLS))
    return s


def _to_number(text: pd.Series) -> pd.Series:
    num = pd.to_numeric(text, errors="coerce")
    if num.notna().sum() < text.notna().sum():  # German decimals: 1.234,56
        german = text.str.fullmatch(r"-?\d{1,3}(\.\d{3})*(,\d+)?|-?\d+(,\d+)?", na=False)
        if german.any():
            alt = pd.to_numeric(text.where(german).str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
            num = num.fillna(alt)
    return num


def _to_datetime(text: pd.Series) -> pd.Series:
    out = pd.to_datetime(text, errors="coerce", format="ISO8601")
    if out.notna().sum() < text.notna().sum():
        alt = pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=False)
        out = out.fillna(alt)
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def _looks_like_dates(text: pd.Series) -> bool:
    sample = text.dropna().head(200)
    if sample.empty or not sample.str.contains(r"\d", regex=True).all():
        return False
    if not sample.str.contains(r"[-/.:]", regex=True).all() or sample.str.fullmatch(r"-?\d+(\.\d+)?").any():
        return False
    parsed = _to_datetime(sample)
    return parsed.notna().mean() >= 0.95


def type_columns(df: pd.DataFrame, *, keep_text: Sequence[str] = ()) -> tuple[pd.DataFrame, dict[str, str]]:
    """Blanks to missing; numbers and dates stored as text to numbers and dates. Returns notes per column."""
    out = {}
    notes: dict[str, str] = {}
    for col in df.columns:
        s = _blank_to_na(df[col])
        if col in keep_text or not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            out[col] = s
            continue
        present = int(s.notna().sum())
        blanks = int(s.isna().sum() - df[col].isna().sum())
        if present == 0:
            out[col] = s
            continue
        num = _to_number(s)
        ok = int(num.notna().sum())
        if ok >= 0.95 * present and ok > 0:
            bad = s[s.notna() & num.isna()]
            out[col] = num.astype(float)
            parts = []
            if blanks:
                parts.append(f"{blanks:,} blank values read as missing")
            if len(bad):
                examples = ", ".join(repr(v) for v in bad.unique()[:3])
                parts.append(f"{len(bad):,} values are not numbers (e.g. {examples}) and were read as missing")
            if parts and _was_text(df[col]):
                notes[col] = "numbers stored as text: " + "; ".join(parts)
            continue
        if _looks_like_dates(s):
            out[col] = _to_datetime(s)
            continue
        out[col] = s
        if blanks:
            notes[col] = f"{blanks:,} blank values read as missing"
    return pd.DataFrame(out, index=df.index), notes


def _was_text(s: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)


def _fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def _is_id(s: pd.Series, rows: int) -> bool:
    """Unique per row and text or whole numbers: an identifier, not a feature."""
    if rows < 20 or pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        return False
    known = s.dropna()
    if len(known) < 0.95 * rows or known.nunique() != len(known):
        return False
    if pd.api.types.is_numeric_dtype(known):
        return bool((known % 1 == 0).all())
    return True


def _missing_column(path: Path, what: str, name: str, columns: Sequence[str]) -> InputError:
    return InputError(f"{path}: has no column {name!r} (given as {what}); its columns are: {', '.join(columns)}")


def check_file(
    path: str | Path,
    label: str,
    time: str | None = None,
    *,
    drop: Sequence[str] = (),
    encoding: str | None = None,
    delimiter: str | None = None,
    now: datetime | None = None,
) -> FileReadiness:
    """Is a user's labelled table ready for a first honest model?

    Parameters
    ----------
    path : CSV (any common delimiter and encoding), Parquet or JSON-lines file; one row per unit.
    label : the column to predict.
    time : optional column with the moment each row's prediction is made (its snapshot); any other
        date later than it is a leakage suspect, and the report recommends a time-based split.
    drop : columns to leave out (e.g. one you know is recorded after the outcome).

    Returns
    -------
    FileReadiness: verdict, reasons, columns, label balance, duplicates and leakage.

    Examples
    --------
    >>> r = check_file("telco.csv", label="Churn")  # doctest: +SKIP
    >>> r.verdict, [s.column for s in r.leakage.suspects]  # doctest: +SKIP
    ('ready', [])
    """
    path = Path(path)
    raw = read_table(path, encoding=encoding, delimiter=delimiter)
    columns = list(raw.columns)
    if label not in columns:
        raise _missing_column(path, "--label", label, columns)
    if time is not None and time not in columns:
        raise _missing_column(path, "--time", time, columns)
    for d in drop:
        if d not in columns:
            raise _missing_column(path, "--drop", d, columns)
        if d in (label, time):
            raise InputError(f"{path}: --drop {d} would remove the {'label' if d == label else 'time'} column")

    df, notes = type_columns(raw, keep_text=(label,))
    rows = len(df)
    now_ = _naive_utc(now)
    y = df[label]
    if pd.api.types.is_string_dtype(y) or pd.api.types.is_object_dtype(y):
        num = pd.to_numeric(y, errors="coerce")
        if num.notna().sum() == y.notna().sum():  # a 0/1 or numeric label stored as text
            df[label] = y = num
    stats = label_stats(y, label)
    stats.column = label

    result = FileReadiness(
        source=str(path),
        fingerprint=_fingerprint(path),
        rows=rows,
        label_column=label,
        label=stats,
        dropped_columns=list(drop),
        checked_at=now_.isoformat(timespec="seconds"),
    )
    out = result.findings
    add = lambda level, subject, msg: out.append(Finding(level, subject, msg))  # noqa: E731

    if time is not None:
        parsed = df[time] if pd.api.types.is_datetime64_any_dtype(df[time]) else _to_datetime(_blank_to_na(raw[time]))
        unparsed = int(parsed.isna().sum() - _blank_to_na(raw[time]).isna().sum())
        if parsed.notna().sum() == 0:
            raise InputError(f"{path}: column {time!r} (given as --time) holds no dates (e.g. {raw[time].iloc[0]!r})")
        df[time] = parsed
        first, last = parsed.min(), parsed.max()
        result.time = TimeCoverage(time, first.isoformat(), last.isoformat(), _days(last - first), unparsed)
        add(
            "info",
            time,
            f"rows span {first.date()} to {last.date()} ({_days(last - first):,.0f} days): judge models on a "
            "time-based holdout (train on the past, test on the later rows)",
        )
        if unparsed:
            add("warning", time, f"{unparsed:,} values are not dates and were read as missing")
    else:
        add(
            "info",
            "split",
            "no time column: a stratified split (or cross-validation) with a fixed seed is the honest choice",
        )

    # rows and label
    if rows < MIN_ROWS:
        add("blocker", "rows", f"only {rows:,} rows: too few to learn from or to measure a model")
    elif rows < FEW_ROWS:
        add("warning", "rows", f"only {rows:,} rows: any measured difference will have a wide confidence interval")
    out.extend(
        _balance_findings(
            stats, f"label {label}", min_labels=MIN_ROWS, min_minority=MIN_MINORITY, warn_share=RARE_SHARE
        )
    )

    # columns
    features = [c for c in df.columns if c not in (label, time) and c not in drop]
    for c in features:
        if _is_id(df[c], rows):
            result.id_columns.append(c)
    for c in result.id_columns:
        add("info", c, "is an id (unique per row): left out of the check; name it with --id when evaluating")
    for c in df.columns:
        s = df[c]
        missing = int(s.isna().sum())
        distinct = int(s.nunique(dropna=True))
        if c == label:
            kind = "label"
        elif c == time:
            kind = "time"
        elif c in result.id_columns:
            kind = "id"
        else:
            kind = column_kind(s)
        result.columns.append(
            FileColumn(c, kind, missing, round(missing / rows, 4) if rows else 0.0, distinct, notes.get(c, ""))
        )
        if c not in features or c in result.id_columns:
            continue
        if missing == rows:
            add("warning", c, "is empty: drop it")
        elif distinct <= 1 and not missing:  # one value and blanks is a yes/no flag, not a constant
            result.constant_columns.append(c)
            add("warning", c, f"holds a single value ({s.dropna().iloc[0]!r}): it carries no information; drop it")
        elif missing / rows > MOSTLY_EMPTY:
            add("warning", c, f"is mostly blank ({missing / rows:.0%} of rows): check how it was recorded")
        if c in notes:
            level = "warning" if "not numbers" in notes[c] else "info"
            add(level, c, notes[c])
    partly = [c for c in result.columns if c.kind not in ("label",) and 0 < c.missing_share <= MOSTLY_EMPTY]
    if partly:
        listed = ", ".join(f"{c.name} {c.missing:,} ({c.missing_share:.1%})" for c in partly[:6])
        more = f" and {len(partly) - 6} more" if len(partly) > 6 else ""
        add("info", "missing values", f"blanks in {len(partly)} column(s): {listed}{more}")
    elif not any(c.missing for c in result.columns):
        add("info", "missing values", "no blanks in any column")

    # duplicates
    result.duplicate_rows = int(raw.duplicated().sum())
    if result.duplicate_rows:
        add(
            "warning",
            "duplicates",
            f"{_rows(result.duplicate_rows)} {'is an exact copy' if result.duplicate_rows == 1 else 'are exact copies'} "
            "of another: remove them before splitting, "
            "or the test set repeats the training set",
        )
    if result.id_columns:
        result.duplicates_ignoring_ids = int(raw.drop(columns=result.id_columns).duplicated().sum())
        n = result.duplicates_ignoring_ids
        if n:
            share = n / rows
            add(
                "warning" if share >= 0.01 else "info",
                "duplicates",
                f"{_rows(n)} ({share:.1%}) equal another row in everything but their id "
                f"({', '.join(result.id_columns)}): "
                + (
                    "the same unit entered twice? de-duplicate before splitting"
                    if share >= 0.01
                    else "few enough to be look-alike units rather than copies"
                ),
            )

    # leakage
    if stats.rows and stats.kind != "empty" and (stats.kind == "numeric" or len(stats.classes) >= 2):
        frame = df.drop(columns=list(drop) + result.id_columns)
        result.leakage = leakage_suspects(frame, label, exclude=(time,) if time else (), cutoff=time)
        out.extend(_leak_findings(result.leakage, "leakage"))
    return result


# -- HTML ------------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2433;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.15rem;margin:1.8rem 0 .5rem;border-bottom:1px solid #d8dde6;padding-bottom:.2rem}
.meta{color:#5b6578;font-size:.9rem}.verdict{display:inline-block;padding:.35rem .8rem;border-radius:.4rem;font-weight:600;font-size:1.05rem;margin:.6rem 0}
.ready{background:#dff3e4;color:#11612b}.ready-with-warnings{background:#fff1cc;color:#7a5200}.not-ready{background:#fbdcdc;color:#8f1414}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eceff4;vertical-align:top}
th{background:#f5f7fa;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.lvl{font-weight:600;font-size:.8rem;text-transform:uppercase;border-radius:.25rem;padding:.05rem .35rem}
.blocker{background:#fbdcdc;color:#8f1414}.warning{background:#fff1cc;color:#7a5200}.info{background:#e6eefb;color:#1f4b99}
.bar{background:#eceff4;border-radius:2px;height:.7rem;width:140px;display:inline-block;vertical-align:middle;margin-right:.4rem}
.bar span{display:block;height:100%;border-radius:2px;background:#e0a100}.bar.auc span{background:#3a6fd8}.bar.auc span.hot{background:#c62828}
small{color:#5b6578}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _bar(share: float | None, *, cls: str = "", hot: bool = False) -> str:
    share = 0.0 if share is None or not math.isfinite(share) else max(0.0, min(1.0, share))
    inner = (
        f'<span class="hot" style="width:{share * 100:.1f}%"></span>'
        if hot
        else f'<span style="width:{share * 100:.1f}%"></span>'
    )
    return f'<span class="bar {cls}">{inner}</span>'


def _findings_html(findings: Sequence[Finding]) -> str:
    rows = "".join(
        f'<tr><td><span class="lvl {f.level}">{_e(f.level)}</span></td><td>{_e(f.subject)}</td><td>{_e(f.message)}</td></tr>'
        for f in _sorted(findings)
    )
    return f"<table><tr><th>level</th><th>about</th><th>finding</th></tr>{rows}</table>"


def _leakage_html(report: LeakageReport | None) -> str:
    if report is None:
        return ""
    suspects = {s.column for s in report.suspects}
    tag = ' <span class="lvl blocker">suspect</span>'
    rows = "".join(
        f"<tr><td>{_e(s.column)}{tag if s.column in suspects else ''}</td>"
        f"<td>{_e(s.kind)}</td><td class='num'>{s.auc:.3f}</td>"
        f"<td>{_bar((s.auc - 0.5) / 0.5, cls='auc', hot=s.column in suspects)}</td><td><small>{_e(s.evidence)}</small></td></tr>"
        for s in report.signals
    )
    timed = "".join(
        f"<li><b>{_e(s.column)}</b>: {_e(s.evidence)}</li>" for s in report.suspects if s.share_after_cutoff is not None
    )
    note = f"<p><small>{_e(report.note)}</small></p>" if report.note else ""
    return (
        f"<h2>Leakage: how well each column alone predicts {_e(report.label)}</h2>"
        f"<p><small>single-column ROC-AUC ({_e(report.label_kind)} label, {report.rows:,} rows): 0.5 is no signal, "
        f"1.0 a perfect predictor; suspects: AUC &ge; {report.threshold:g}, or far above every other column.</small></p>"
        f"{note}<table><tr><th>column</th><th>kind</th><th>AUC</th><th></th><th>evidence</th></tr>{rows}</table>"
        + (f"<p>Recorded after the cutoff:</p><ul>{timed}</ul>" if timed else "")
    )


def _label_html(stats: LabelStats | None) -> str:
    if stats is None:
        return ""
    if stats.kind == "numeric":
        body = f"<p>numeric: mean {stats.mean:,.4g}, standard deviation {stats.std:,.4g}, {stats.rows:,} rows</p>"
    else:
        rows = "".join(
            f"<tr><td>{_e(k)}</td><td class='num'>{v:,}</td><td>{_bar(v / stats.rows if stats.rows else 0)} {v / stats.rows:.1%}</td></tr>"
            for k, v in stats.classes.items()
        )
        body = f"<table><tr><th>class</th><th>rows</th><th>share</th></tr>{rows}</table>"
    missing = f"<p><small>{stats.missing:,} rows without a label</small></p>" if stats.missing else ""
    return f"<h2>Label {_e(stats.column)}</h2>{body}{missing}"


def _table_html(t: TableReport) -> str:
    refs = ", ".join(
        f"{r.column}&rarr;{_e(r.references)}: " + ("not checked" if r.broken is None else f"{r.broken:,} broken")
        for r in t.references
    )
    cols = "".join(
        f"<tr><td>{_e(c.name)}</td><td>{_e(c.dtype)}</td><td class='num'>{c.missing:,}</td>"
        f"<td>{_bar(c.missing_share)} {c.missing_share:.1%}</td></tr>"
        for c in t.columns
    )
    span = f"{_e((t.first or '')[:10])} &ndash; {_e((t.last or '')[:10])}" if t.first else "no time column"
    fresh = f"{t.freshness_days:,.0f} days" if t.freshness_days is not None else "&ndash;"
    return (
        f"<h2>{_e(t.name)} <span class='verdict {t.verdict.replace(' ', '-')}' style='font-size:.8rem'>{_e(t.verdict)}</span></h2>"
        f"<p>{t.rows:,} rows &middot; {span} &middot; latest record {fresh} old &middot; duplicate keys {t.duplicate_keys:,}"
        f" &middot; quarantined {t.quarantined:,}{' &middot; ' + refs if refs else ''}</p>"
        f"<details><summary>missing values per column</summary><table><tr><th>column</th><th>type</th><th>missing</th>"
        f"<th>share</th></tr>{cols}</table></details>"
    )


def render_html(result: _Result, *, title: str | None = None) -> str:
    """A small self-contained HTML page (inline CSS, no scripts, no CDN) for any readiness result."""
    verdict = result.verdict
    body = []
    if isinstance(result, FileReadiness):
        title = title or f"Readiness of {Path(result.source).name}"
        meta = f"{_e(result.source)} &middot; {result.rows:,} rows &middot; label {_e(result.label_column)} &middot; {_e(result.fingerprint[:19])}&hellip;"
        body.append(_label_html(result.label))
        cols = "".join(
            f"<tr><td>{_e(c.name)}</td><td>{_e(c.kind)}</td><td class='num'>{c.distinct:,}</td><td class='num'>{c.missing:,}</td>"
            f"<td>{_bar(c.missing_share)} {c.missing_share:.1%}</td><td><small>{_e(c.note)}</small></td></tr>"
            for c in result.columns
        )
        body.append(
            "<h2>Columns</h2><table><tr><th>column</th><th>kind</th><th>distinct</th><th>missing</th><th>share missing</th>"
            f"<th>note</th></tr>{cols}</table>"
            f"<p><small>exact duplicate rows: {result.duplicate_rows:,}; equal but for the id: {result.duplicates_ignoring_ids:,}</small></p>"
        )
        body.append(_leakage_html(result.leakage))
    elif isinstance(result, WarehouseReadiness):
        title = title or "Warehouse readiness"
        meta = f"{_e(result.warehouse)} &middot; checked {_e(result.checked_at)}"
        uc = result.use_case
        if uc is not None:
            body.append(
                f"<h2>Use case {_e(uc.name)} <span class='verdict {uc.verdict.replace(' ', '-')}' style='font-size:.8rem'>{_e(uc.verdict)}</span></h2>"
                f"<p>{_e(uc.description)}</p><p>as of {_e((uc.as_of or '')[:10])} &middot; history "
                f"{'&ndash;' if uc.history_days is None else f'{uc.history_days:,.0f} days'} &middot; units "
                f"{'&ndash;' if uc.units is None else f'{uc.units:,}'}</p>"
            )
            body.append(_label_html(uc.label))
            body.append(_leakage_html(uc.leakage))
        body.extend(_table_html(t) for t in result.tables)
    elif isinstance(result, UseCaseReadiness):
        title = title or f"Readiness of use case {result.name}"
        meta = f"as of {_e(result.as_of)}"
        body.append(_label_html(result.label))
        body.append(_leakage_html(result.leakage))
    elif isinstance(result, TableReport):
        title = title or f"Readiness of table {result.name}"
        meta = ""
        body.append(_table_html(result))
    else:  # pragma: no cover - every result is one of the above
        raise TypeError(type(result).__name__)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{_e(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1><p class='meta'>{meta}</p>"
        f"<div class='verdict {verdict.replace(' ', '-')}'>{_e(verdict)}</div>"
        f"<h2>Why</h2>{_findings_html(result.findings)}{''.join(body)}"
        "<p class='meta'>made by nomagic check</p></body></html>"
    )
