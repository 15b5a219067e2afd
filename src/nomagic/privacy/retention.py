"""Storage limitation (Art. 5(1)(e) GDPR): rows older than a table's retention period are deleted.

The periods live in ``.nomagic/config.toml`` next to the registry::

    [retention]
    events = "365d"                                          # days, weeks, months or years: 365d, 52w, 24m, 2y
    messages = "730d"
    documents = "2y"
    scores_churn = { keep = "90d", column = "scored_at" }    # a table outside the canonical schema names its column

A canonical table's age is its time column (:data:`nomagic.warehouse.schema.CANONICAL`); rows whose time is
unknown (null) are kept, because their age cannot be judged. Rows of a table without a time column of its
own that belong to a deleted row go with it (``order_lines`` of a deleted order), so no orphan is left.
``customers`` cannot be given a period: their sign-up date says nothing about whether they are still
customers; a person leaves with ``nomagic privacy erase``.

:func:`plan` counts what would go; :func:`apply` deletes it in one transaction (the erasure's, which also
checks each DELETE hits exactly the rows counted), compacts a DuckDB file so no deleted bytes stay on disk,
and writes ``privacy.retention`` to the audit log with the counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlglot import exp

from nomagic.errors import InputError
from nomagic.privacy import audit, config
from nomagic.privacy import subject_store as store
from nomagic.warehouse.connection import Warehouse
from nomagic.warehouse.schema import CANONICAL
from nomagic.words import Text, say

SECTION = "retention"
#: tables that never take a period (see the module docstring); the audit log is kept by its own rules
_REFUSED = {
    "customers": say(
        "customers cannot have a retention period: a sign-up date says nothing about whether someone is still a "
        "customer; erase a person with `nomagic privacy erase`",
        "customers kann keine Aufbewahrungsfrist haben: das Anmeldedatum sagt nichts darüber, ob jemand noch Kunde "
        "ist; eine Person mit `nomagic privacy erase` löschen",
    ),
    audit.TABLE: say(
        "the audit log is append-only and hash-chained: deleting old entries would break its chain",
        "das Audit-Protokoll ist nur erweiterbar und verkettet: alte Einträge zu löschen bräche die Kette",
    ),
}
_PERIOD = re.compile(r"\s*(\d+)\s*([dwmy]?)\s*")
_UNITS = {"": "days", "d": "days", "w": "weeks", "m": "months", "y": "years"}


def config_path(wh: Warehouse) -> Path:
    """``.nomagic/config.toml`` next to the warehouse (and the registry)."""
    return audit.state_folder(wh.url) / "config.toml"


@dataclass(frozen=True)
class Rule:
    """One table's retention: keep rows whose ``column`` is within ``period`` (``"365d"``) of now."""

    table: str
    period: str
    column: str
    offset: pd.DateOffset = field(compare=False)

    def cutoff(self, now: datetime) -> pd.Timestamp:
        return pd.Timestamp(now) - self.offset


@dataclass
class Step:
    """What one table loses: ``rows`` older than ``cutoff`` (by ``column``), or linked to such rows (``via``)."""

    table: str
    rows: int
    cutoff: pd.Timestamp
    column: str
    period: str
    via: str | None = None  # the table whose deleted rows these belong to
    sql: str = ""

    def words(self) -> Text:
        if self.via:
            return say(
                "{t}: {n:,} rows belonging to deleted rows of {via}",
                "{t}: {n:,} Zeilen, die zu gelöschten Zeilen von {via} gehören",
                t=self.table,
                n=self.rows,
                via=self.via,
            )
        return say(
            "{t}: {n:,} rows with {c} before {at} (kept {p})",
            "{t}: {n:,} Zeilen mit {c} vor dem {at} (Frist {p})",
            t=self.table,
            n=self.rows,
            c=self.column,
            at=self.cutoff,
            p=self.period,
        )


def _bad(path: Path, key: str, value, why: Text) -> InputError:
    return InputError(
        say(
            "{path}: retention.{key} = {value!r}: {why}",
            "{path}: retention.{key} = {value!r}: {why}",
            path=str(path),
            key=key,
            value=value,
            why=why,
        )
    )


def _period(path: Path, key: str, value) -> tuple[str, pd.DateOffset]:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return f"{value}d", pd.DateOffset(days=value)
    m = _PERIOD.fullmatch(str(value)) if isinstance(value, str) else None
    if not m or int(m.group(1)) <= 0:
        raise _bad(
            path,
            key,
            value,
            say(
                'not a period; write days, weeks, months or years, e.g. "365d", "52w", "24m" or "2y"',
                'kein Zeitraum; Tage, Wochen, Monate oder Jahre angeben, z. B. "365d", "52w", "24m" oder "2y"',
            ),
        )
    n, unit = int(m.group(1)), m.group(2)
    return f"{n}{unit or 'd'}", pd.DateOffset(**{_UNITS[unit]: n})


def load_rules(path: Path) -> list[Rule]:
    """The ``[retention]`` table of ``path`` as rules; none without a file or section. Raises InputError
    naming the file and the key for a value that is not a period, a table without a time column, or a
    table that cannot take a period."""
    path = Path(path)
    if not path.exists():
        return []
    doc = config.read(path)
    section = doc.get(SECTION, {})
    if not isinstance(section, dict):
        raise InputError(
            say(
                '{path}: [retention] must be a table of periods, e.g. events = "365d"',
                '{path}: [retention] muss eine Tabelle von Fristen sein, z. B. events = "365d"',
                path=str(path),
            )
        )
    rules = []
    for table, value in section.items():
        if table in _REFUSED:
            raise _bad(path, table, value, _REFUSED[table])
        column = CANONICAL[table].time_column if table in CANONICAL else None
        if isinstance(value, dict):
            unknown = sorted(set(value) - {"keep", "column"})
            if unknown or "keep" not in value:
                raise _bad(
                    path,
                    table,
                    value,
                    say(
                        'write {{ keep = "90d", column = "scored_at" }} (unknown or missing: {k})',
                        '{{ keep = "90d", column = "scored_at" }} schreiben (unbekannt oder fehlend: {k})',
                        k=", ".join(unknown) or "keep",
                    ),
                )
            column = value.get("column", column)
            value = value["keep"]
        if not isinstance(column, str) or not column:
            raise _bad(
                path,
                table,
                value,
                say(
                    '{t} has no time column in the canonical schema; name it: {t} = {{ keep = "90d", column = "..." }}',
                    "{t} hat im kanonischen Schema keine Zeitspalte; sie angeben: "
                    '{t} = {{ keep = "90d", column = "..." }}',
                    t=table,
                ),
            )
        label, offset = _period(path, table, value)
        rules.append(Rule(table, label, column, offset))
    return rules


def _cutoff_literal(at: pd.Timestamp, dtype) -> exp.Expression:
    if dtype.is_date():
        return exp.cast(exp.Literal.string(at.date().isoformat()), "date")
    return exp.cast(exp.Literal.string(at.isoformat(sep=" ")), "timestamp")


def _count(wh: Warehouse, table: str, where: exp.Expression) -> int:
    sql = store._sql(wh, exp.select("count(*)").from_(store._table(table)).where(where))
    return int(wh.con.sql(sql).execute().iloc[0, 0])


def _children(wh: Warehouse, parent: str, where: exp.Expression) -> list[tuple[str, exp.Expression]]:
    """Tables without a time column of their own whose rows belong to ``parent``'s rows under ``where``
    (through the parent's one-column key): ``order_lines`` of ``orders``."""
    table = CANONICAL.get(parent)
    if table is None or len(table.key) != 1:
        return []
    key = table.key[0]
    out = []
    for name in wh.tables():
        child = CANONICAL.get(name)
        if name == parent or child is None or child.time_column or key not in child.key:
            continue
        if key in wh.con.table(name).schema().names:
            sub = exp.select(exp.column(key, quoted=True)).from_(store._table(parent)).where(where)
            out.append((name, exp.column(key, quoted=True).isin(query=sub)))
    return out


def plan(wh: Warehouse, rules: list[Rule] | None = None, *, now: datetime | None = None) -> list[Step]:
    """What retention would delete now, per table (children first, in the order they must run); tables
    the warehouse does not have are skipped. Raises InputError when a rule names a column the table lacks."""
    rules = load_rules(config_path(wh)) if rules is None else rules
    now = now or store.now()
    steps: list[Step] = []
    for rule in rules:
        if not wh.has(rule.table):
            continue
        schema = wh.con.table(rule.table).schema()
        if rule.column not in schema.names:
            raise InputError(
                say(
                    "{path}: retention.{t}: the table has no column {c}; name its time column: "
                    '{t} = {{ keep = "{p}", column = "..." }}',
                    "{path}: retention.{t}: die Tabelle hat keine Spalte {c}; ihre Zeitspalte angeben: "
                    '{t} = {{ keep = "{p}", column = "..." }}',
                    path=str(config_path(wh)),
                    t=rule.table,
                    c=rule.column,
                    p=rule.period,
                )
            )
        dtype = schema[rule.column]
        if not (dtype.is_timestamp() or dtype.is_date()):
            raise InputError(
                say(
                    "{path}: retention.{t}: column {c} is {d}, not a time",
                    "{path}: retention.{t}: Spalte {c} ist {d}, keine Zeit",
                    path=str(config_path(wh)),
                    t=rule.table,
                    c=rule.column,
                    d=str(dtype),
                )
            )
        cutoff = rule.cutoff(now)
        where = exp.LT(this=exp.column(rule.column, quoted=True), expression=_cutoff_literal(cutoff, dtype))
        for child, cond in _children(wh, rule.table, where):
            n = _count(wh, child, cond)
            if n:
                sql = store._sql(wh, exp.delete(store._table(child), where=cond))
                steps.append(Step(child, n, cutoff, rule.column, rule.period, via=rule.table, sql=sql))
        n = _count(wh, rule.table, where)
        if n:
            sql = store._sql(wh, exp.delete(store._table(rule.table), where=where))
            steps.append(Step(rule.table, n, cutoff, rule.column, rule.period, sql=sql))
    return steps


@dataclass
class Applied:
    """What :func:`apply` did: the steps run, the audit entry, and a warning when the file was not compacted."""

    steps: list[Step]
    entry: dict | None
    warning: Text | None = None

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.steps)

    def words(self) -> Text:
        if not self.steps:
            return say("nothing is past its retention period", "nichts hat seine Aufbewahrungsfrist überschritten")
        return say(
            "{n:,} rows past their retention period deleted from {t:,} tables",
            "{n:,} Zeilen nach Ablauf ihrer Aufbewahrungsfrist aus {t:,} Tabellen gelöscht",
            n=self.rows,
            t=len({s.table for s in self.steps}),
        )


def apply(
    wh: Warehouse,
    rules: list[Rule] | None = None,
    *,
    now: datetime | None = None,
    actor: str | None = None,
    compact: bool = True,
) -> Applied:
    """Delete what :func:`plan` finds, all tables in one transaction (nothing is deleted when one statement
    fails, and the error names the table), then write ``privacy.retention`` to the audit log with the counts."""
    steps = plan(wh, rules, now=now)
    if not steps:
        return Applied([], None)
    store.transaction(wh, [(s.table, s.sql, s.rows) for s in steps])
    warning = store.compact(wh) if compact else None
    details = {
        "deleted": {s.table: sum(x.rows for x in steps if x.table == s.table) for s in steps},
        "cutoffs": {s.table: s.cutoff.isoformat() for s in steps if not s.via},
        "periods": {s.table: s.period for s in steps if not s.via},
    }
    entry = audit.record(wh, "privacy.retention", details=details, actor=actor)
    return Applied(steps, entry, warning)
