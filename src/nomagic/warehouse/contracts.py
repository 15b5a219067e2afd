"""Contracts of the canonical tables as Ibis expressions.

A contract is derived from the column rules in :mod:`.schema`: missing values, types, ranges,
no future timestamps, allowed values, time order within a row, unique keys and present foreign
keys. Each rule becomes a :class:`Rule`: a boolean Ibis expression that is true on a *broken* row,
with the column and a plain reason. Because they are Ibis expressions, the same contract checks a
load being staged in DuckDB and a finished table on PostgreSQL alike.

Why not pandera: its Ibis backend says *whether* a table passes and samples failure cases, but the
quarantine needs every broken row with its row number, column and reason, in one pass over ten
million rows; a list of boolean expressions evaluated together gives exactly that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import ibis
import ibis.expr.types as ir

from nomagic.warehouse.schema import Column, Table
from nomagic.words import Text, german_number

RAW_PREFIX = "_raw_"
_TYPE_WORDS = {
    "string": "text",
    "int64": "a whole number",
    "float64": 'a number (use a dot as decimal separator, or decimal = "," in the mapping\'s [csv])',
    "boolean": "a yes/no value",
    "timestamp": "a date/time (YYYY-MM-DD[ HH:MM:SS], or set its format in the mapping's [formats])",
    "date": "a date (YYYY-MM-DD, or set its format in the mapping's [formats])",
}

#: Every reason a rule gives, English → German. The quarantine table stores the English reason (data,
#: read by scripts); :func:`reason_text` gives it back with its German wherever a person reads it.
_REASONS = {
    "not text": "kein Text",
    "not a whole number": "keine ganze Zahl",
    'not a number (use a dot as decimal separator, or decimal = "," in the mapping\'s [csv])': (
        'keine Zahl (Punkt als Dezimaltrennzeichen verwenden oder decimal = "," im Abschnitt [csv] des Mappings)'
    ),
    "not a yes/no value": "kein Ja/Nein-Wert",
    "not a date/time (YYYY-MM-DD[ HH:MM:SS], or set its format in the mapping's [formats])": (
        "kein Zeitpunkt (YYYY-MM-DD[ HH:MM:SS], oder das Format im Abschnitt [formats] des Mappings angeben)"
    ),
    "not a date (YYYY-MM-DD, or set its format in the mapping's [formats])": (
        "kein Datum (YYYY-MM-DD, oder das Format im Abschnitt [formats] des Mappings angeben)"
    ),
    "missing value": "fehlender Wert",
    "lies in the future": "liegt in der Zukunft",
    "duplicate key": "doppelter Schlüssel",
    "required column absent": "Pflichtspalte fehlt",
}
_REASON_PATTERNS = (  # reasons with a value in them; a number gets its German decimal comma
    (re.compile(r"below the minimum (\S+)"), "unter dem Minimum {}", True),
    (re.compile(r"above the maximum (\S+)"), "über dem Maximum {}", True),
    (re.compile(r"not one of (.+)"), "keiner der Werte {}", False),
    (re.compile(r"earlier than (.+)"), "früher als {}", False),
    (re.compile(r"not found in (.+)"), "nicht gefunden in {}", False),
)


def reason_text(reason: str) -> Text:
    """A rule's reason (English, as the quarantine table stores it) with its German.

    >>> reason_text("below the minimum 0.5").de
    'unter dem Minimum 0,5'
    """
    if isinstance(reason, Text):
        return reason
    reason = str(reason)
    if reason in _REASONS:
        return Text(reason, _REASONS[reason])
    for pattern, de, is_number in _REASON_PATTERNS:
        m = pattern.fullmatch(reason)
        if m:
            return Text(reason, de.format(german_number(m[1]) if is_number else m[1]))
    return Text(reason)  # a reason from an older version: English only


@dataclass(frozen=True)
class Rule:
    column: str
    reason: str  # English, as stored in the quarantine table
    broken: ir.BooleanValue

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", reason_text(self.reason))  # and its German, for people


def _raw(t: ir.Table, col: str) -> ir.Value | None:
    name = RAW_PREFIX + col
    return t[name] if name in t.columns else None


def column_rules(t: ir.Table, col: Column, now: datetime) -> list[Rule]:
    """Rules that look at one row of one column."""
    if col.name not in t.columns:
        return []
    v = t[col.name]
    raw = _raw(t, col.name)
    rules: list[Rule] = []
    if raw is not None:
        rules.append(Rule(col.name, f"not {_TYPE_WORDS[col.dtype]}", v.isnull() & raw.notnull()))
        missing = v.isnull() & raw.isnull()
    else:
        missing = v.isnull()
    if not col.nullable:
        rules.append(Rule(col.name, "missing value", missing))
    if col.min is not None:
        rules.append(Rule(col.name, f"below the minimum {col.min:g}", v < col.min))
    if col.max is not None:
        rules.append(Rule(col.name, f"above the maximum {col.max:g}", v > col.max))
    if col.not_future:
        stamp = ibis.literal(now.replace(tzinfo=None))
        limit = stamp.date() if col.dtype == "date" else stamp
        rules.append(Rule(col.name, "lies in the future", v > limit))
    if col.allowed:
        rules.append(Rule(col.name, f"not one of {', '.join(col.allowed)}", v.notin(list(col.allowed))))
    if col.after and col.after in t.columns:
        rules.append(Rule(col.name, f"earlier than {col.after}", v < t[col.after]))
    return rules


def key_expr(t: ir.Table, key: tuple[str, ...]) -> ir.Value:
    """One value per key: the column itself, or the columns joined into one string."""
    if len(key) == 1:
        return t[key[0]]
    # a unit separator between parts; NULL as the empty string (a NUL byte would end the SQL string)
    parts = [t[k].cast("string").fill_null("") for k in key]
    out = parts[0]
    for p in parts[1:]:
        out = out.concat("\x1f", p)
    return out


def key_rule(t: ir.Table, table: Table) -> Rule:
    """Rows whose key appears more than once (all of them: which one is right is unknown)."""
    k = key_expr(t, table.key)
    counted = t.select(_k=k).group_by("_k").aggregate(_n=ibis._.count())
    dupes = counted.filter(counted._n > 1)._k
    return Rule(",".join(table.key), "duplicate key", k.isin(dupes))


def reference_rules(t: ir.Table, table: Table, refs: dict[str, ir.Table]) -> list[Rule]:
    """Foreign keys: each non-null value must exist in the referenced table, where it is loaded."""
    rules = []
    for col in table.columns:
        if not col.references or col.name not in t.columns:
            continue
        ref_table, ref_col = col.references.split(".")
        ref = refs.get(ref_table)
        if ref is None:
            continue
        v = t[col.name]
        rules.append(Rule(col.name, f"not found in {col.references}", v.notnull() & v.notin(ref[ref_col])))
    return rules


def rules_for(
    t: ir.Table, table: Table, *, refs: dict[str, ir.Table] | None = None, now: datetime | None = None
) -> list[Rule]:
    """Every rule of ``table``'s contract that can be checked on ``t``."""
    now = now or datetime.now(UTC)
    rules = [r for col in table.columns for r in column_rules(t, col, now)]
    if table.key and all(k in t.columns for k in table.key):
        rules.append(key_rule(t, table))
    rules.extend(reference_rules(t, table, refs or {}))
    return rules


@dataclass
class Violation:
    column: str
    reason: str
    rows: int

    def __post_init__(self) -> None:
        self.reason = reason_text(self.reason)


def validate(wh, name: str, *, now: datetime | None = None) -> list[Violation]:
    """Check a warehouse table against its contract; an empty list means it passes.

    Examples
    --------
    >>> from nomagic import connect
    >>> validate(connect("duckdb://:memory:"), "orders")  # doctest: +SKIP
    []
    """
    from nomagic.warehouse.schema import canonical_table

    table = canonical_table(name)
    t = wh.table(name)
    missing = [c for c in table.required_names if c not in t.columns]
    out = [Violation(c, "required column absent", -1) for c in missing]
    refs = {}
    for col in table.columns:
        if col.references:
            ref_table = col.references.split(".")[0]
            if wh.has(ref_table):
                refs[ref_table] = wh.table(ref_table)
    rules = rules_for(t, table, refs=refs, now=now)
    if not rules:
        return out
    counts = t.aggregate(**{f"r{i}": r.broken.fill_null(False).ifelse(1, 0).sum() for i, r in enumerate(rules)})
    row = counts.execute().iloc[0]
    for i, r in enumerate(rules):
        n = int(row[f"r{i}"] or 0)
        if n:
            out.append(Violation(r.column, r.reason, n))
    return out
