"""Readiness of the warehouse's canonical tables, one table at a time.

Per table: rows, time coverage, freshness, missing values per column, duplicate keys, broken
references, contract breaks and the rows the loads quarantined. Every query is an Ibis expression,
so it runs on DuckDB and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import ibis
import pandas as pd

from nomagic.warehouse.contracts import column_rules, key_expr, reason_text
from nomagic.warehouse.findings import Finding, Result, day, days, naive_utc, rows_text, timestamp
from nomagic.warehouse.schema import CANONICAL, QUARANTINE, canonical_table
from nomagic.words import join, say

#: Tables whose latest record says how current the data is (a customer base or a campaign list may
#: legitimately have no recent rows; orders, events and spend should).
ACTIVITY_TABLES = frozenset(
    {"orders", "events", "messages", "media_spend", "kpis", "documents", "ad_requests", "decisions"}
)


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
    reason: str  # a Text: English as stored, with its German
    rows: int


@dataclass
class TableReport(Result):
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
            [RuleCount(str(x.column_name), reason_text(str(x.reason)), int(x.rows)) for x in mine.itertuples()],
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
    spec = canonical_table(name)
    now_ = naive_utc(now)
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
        first, last = timestamp(row["_first"]), timestamp(row["_last"])
        if first is not None and last is not None:
            report.first, report.last = first.isoformat(), last.isoformat()
            report.span_days = days(last - first)
            report.freshness_days = days(pd.Timestamp(now_) - last)

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
            say(
                "lacks the required column(s) {cols}; reload it with a mapping that provides them",
                "es fehlen die Pflichtspalte(n) {cols}; mit einem Mapping neu laden, das sie liefert",
                cols=", ".join(r.missing_columns),
            ),
        )
    if r.rows == 0:
        add("warning", say("is empty", "ist leer"))
        return out
    if r.first and r.last:
        cover = say(
            "{rows} from {first} to {last} ({span:,.0f} days)",
            "{rows} vom {first} bis {last} ({span:,.0f} Tage)",
            rows=rows_text(r.rows),
            first=day(r.first),
            last=day(r.last),
            span=r.span_days,
        )
    else:
        cover = rows_text(r.rows)
    add("info", cover)
    if stale_days and r.name in ACTIVITY_TABLES and r.freshness_days is not None and r.freshness_days > stale_days:
        add(
            "warning",
            say(
                "its latest record ({last}) is {age:,.0f} days old: models would learn a past world; load newer data",
                "der jüngste Datensatz ({last}) ist {age:,.0f} Tage alt: Modelle würden eine vergangene Welt lernen; "
                "neuere Daten laden",
                last=day(r.last),
                age=r.freshness_days,
            ),
        )
    for c in r.columns:
        if c.missing and c.required:
            add(
                "warning",
                say(
                    "{rows} ({share:.1%}) lack {col}, which the contract requires",
                    "{rows} ({share:.1%}) fehlt {col}, obwohl der Datenvertrag die Spalte verlangt",
                    rows=rows_text(c.missing),
                    share=c.missing_share,
                    col=c.name,
                ),
            )
        elif c.missing == r.rows and not c.required:
            add("info", say("column {col} is empty", "Spalte {col} ist leer", col=c.name))
    if r.duplicate_keys:
        add(
            "blocker",
            say(
                "{keys:,} values of its key ({key}) appear more than once ({rows:,} rows): joins would count them "
                "twice; de-duplicate and reload",
                "{keys:,} Werte des Schlüssels ({key}) kommen mehrfach vor ({rows:,} Zeilen): Joins würden sie "
                "doppelt zählen; Duplikate entfernen und neu laden",
                keys=r.duplicate_keys,
                key=", ".join(r.key),
                rows=r.duplicate_key_rows,
            ),
        )
    for ref in r.references:
        if ref.broken is None:
            add(
                "info",
                say(
                    "{col} refers to {ref}, which is not loaded: references not checked",
                    "{col} verweist auf {ref}, das nicht geladen ist: Verweise nicht geprüft",
                    col=ref.column,
                    ref=ref.references,
                ),
            )
        elif ref.broken:
            add(
                "warning",
                say(
                    "{rows} ({share:.1%}) have a {col} not found in {ref}; load the missing {table} or they drop out "
                    "of joins",
                    "{rows} ({share:.1%}) haben einen Wert in {col}, der in {ref} fehlt; die fehlenden {table} laden, "
                    "sonst fallen sie aus Joins heraus",
                    rows=rows_text(ref.broken),
                    share=ref.broken / r.rows,
                    col=ref.column,
                    ref=ref.references,
                    table=ref.references.split(".")[0],
                ),
            )
    for rule in r.contract:
        add(
            "warning",
            say(
                "{rows} break the contract: {col} {reason}",
                "Datenvertrag verletzt in {rows}: {col} {reason}",
                rows=rows_text(rule.rows),
                col=rule.column,
                reason=reason_text(rule.reason),
            ),
        )
    if r.quarantined:
        top = join(
            [
                say(
                    "{col} {reason} ({n:,})",
                    "{col} {reason} ({n:,})",
                    col=q.column,
                    reason=reason_text(q.reason),
                    n=q.rows,
                )
                for q in r.quarantine_reasons[:3]
            ],
            "; ",
        )
        add(
            "warning",
            say(
                "{rows} quarantined at load, so missing here ({top}); see table `{quarantine}`, fix the source and "
                "load it again",
                "{rows} beim Laden in Quarantäne gestellt und fehlen daher hier ({top}); Tabelle `{quarantine}` "
                "ansehen, die Quelle korrigieren und erneut laden",
                rows=rows_text(r.quarantined, "source row"),
                top=top,
                quarantine=QUARANTINE,
            ),
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
