"""Where a person's rows are in the warehouse, and how they go: for :mod:`nomagic.privacy.subject`.

:func:`find` selects them in every table (by person-id column, then by the keys their rows own, to a fixed
point, and in the quarantine); :func:`statements` and :func:`transaction` delete them in one transaction
that checks each DELETE hits exactly the rows read; :func:`compact` rewrites a DuckDB file so no bytes of
deleted rows stay in it. SQL is built with sqlglot for the warehouse's own dialect.
"""

from __future__ import annotations

import contextlib
import json
import os
import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import ibis
import pandas as pd
import sqlglot
from sqlglot import exp

from nomagic.errors import InputError, NomagicError, WarehouseError
from nomagic.privacy import audit
from nomagic.warehouse import ingest
from nomagic.warehouse.connection import Warehouse, _duckdb_path, resolve_url
from nomagic.warehouse.schema import CANONICAL, LOADS, QUARANTINE
from nomagic.words import Text, say

SUPPRESSED = ingest.SUPPRESSED
PERSON = ingest.PERSON
#: columns that name a person in any table (``[privacy] id_columns`` in .nomagic/config.toml adds more)
ID_COLUMNS = ("customer_id", "unit_id")
#: tables that never hold a person's rows: the audit log names them by pseudonym, the list by hash
_NOT_PERSONAL = {audit.TABLE, SUPPRESSED, LOADS}
_INTERNAL = ("_nm_", "ibis_")


def now() -> datetime:
    """UTC without zone (what the warehouse's timestamps keep)."""
    return datetime.now(UTC).replace(tzinfo=None)


def state_folder(wh: Warehouse) -> Path:
    """``.nomagic`` next to the warehouse (see :func:`nomagic.privacy.audit.state_folder`)."""
    return audit.state_folder(wh.url)


def warehouse_file(wh: Warehouse) -> Path | None:
    """The warehouse's DuckDB file, or None (in memory, or a server)."""
    path = _duckdb_path(resolve_url(wh.url))
    return None if path in (None, ":memory:") else Path(path).expanduser().resolve()


def id_columns(wh: Warehouse) -> tuple[str, ...]:
    """The columns that name a person: :data:`ID_COLUMNS` and ``[privacy] id_columns`` of .nomagic/config.toml."""
    path = state_folder(wh) / "config.toml"
    extra: list = []
    if path.exists():
        try:
            extra = tomllib.loads(path.read_text()).get("privacy", {}).get("id_columns", [])
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, AttributeError) as exc:
            raise InputError(
                say("{path} is not valid TOML: {e}", "{path} ist kein gültiges TOML: {e}", path=str(path), e=str(exc))
            ) from exc
        if not isinstance(extra, list) or not all(isinstance(c, str) and c for c in extra):
            raise InputError(
                say(
                    '{path}: [privacy] id_columns must be a list of column names, e.g. ["customer_id", "member_no"]',
                    '{path}: [privacy] id_columns muss eine Liste von Spaltennamen sein, z. B. ["customer_id", '
                    '"member_no"]',
                    path=str(path),
                )
            )
    return tuple(dict.fromkeys([*ID_COLUMNS, *extra]))


def _dialect(wh: Warehouse):
    return getattr(wh.con, "dialect", None) or "duckdb"


def _sql(wh: Warehouse, expression: exp.Expression) -> str:
    return expression.sql(dialect=_dialect(wh))


def _text(col: str) -> exp.Expression:
    return exp.cast(exp.column(col, quoted=True), "text")


def _eq(col: str, value: str) -> exp.Expression:
    return exp.EQ(this=_text(col), expression=exp.Literal.string(value))


def _isin(col: str, values) -> exp.Expression:
    return _text(col).isin(*[exp.Literal.string(v) for v in sorted(values)])


def _table(name: str) -> exp.Table:
    return exp.table_(name, quoted=True)


def _base_tables(wh: Warehouse) -> dict[str, ibis.Schema]:
    """Every base table of the warehouse (no views, no temporary or internal tables) and its schema."""
    names = set(wh.tables())
    with contextlib.suppress(Exception):  # a backend without information_schema: every listed name
        info = wh.con.sql("SELECT table_name, table_type FROM information_schema.tables").execute()
        base = set(info.loc[info["table_type"].str.upper() == "BASE TABLE", "table_name"])
        names &= base
    return {n: wh.con.table(n).schema() for n in sorted(names) if not n.startswith(_INTERNAL)}


def _own_key(name: str, ids: tuple[str, ...]) -> str | None:
    """The one-column key of a canonical table, which the person's rows own (their orders' order ids)."""
    table = CANONICAL.get(name)
    if table is None or len(table.key) != 1 or table.key[0] in ids:
        return None
    return table.key[0]


def mentions(value, needles: set[str]) -> bool:
    """Whether a parsed JSON value holds one of ``needles`` as a whole value (at any depth)."""
    if isinstance(value, dict):
        return any(mentions(v, needles) for v in value.values())
    if isinstance(value, list):
        return any(mentions(v, needles) for v in value)
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() in needles


@dataclass
class Found:
    """The person's rows in the warehouse: per table the condition that selects them and the rows."""

    where: dict[str, exp.Expression] = field(default_factory=dict)
    rows: dict[str, pd.DataFrame] = field(default_factory=dict)
    linked: dict[str, set[str]] = field(default_factory=dict)  # key column -> the person's values

    def counts(self) -> dict[str, int]:
        return {t: len(f) for t, f in self.rows.items()}


def find(wh: Warehouse, cid: str) -> Found:
    """Select the person's rows in every table: by id column, then by the keys their rows own, to a fixed point."""
    ids = id_columns(wh)
    tables = {n: s for n, s in _base_tables(wh).items() if n not in _NOT_PERSONAL}
    found = Found()
    for _ in range(len(tables) + 1):  # every round adds keys; it stops when none are new
        for name, schema in tables.items():
            if name == QUARANTINE:
                continue
            conds = [_eq(c, cid) for c in schema.names if c in ids]
            conds += [_isin(k, vals) for k, vals in found.linked.items() if k in schema.names and vals]
            if conds:
                where = exp.or_(*conds)
                rows = wh.con.sql(_sql(wh, exp.select("*").from_(_table(name)).where(where))).execute()
                if len(rows):
                    found.where[name], found.rows[name] = where, rows
        new = False
        for name, rows in found.rows.items():
            key = _own_key(name, ids)
            if key and key in rows.columns:
                values = {str(v).strip() for v in rows[key].dropna()}
                if not values <= found.linked.get(key, set()):
                    found.linked.setdefault(key, set()).update(values)
                    new = True
        if not new:
            break
    if QUARANTINE in tables:
        _find_quarantined(wh, cid, tables[QUARANTINE], found)
    return found


def _find_quarantined(wh: Warehouse, cid: str, schema: ibis.Schema, found: Found) -> None:
    """Quarantined rows whose broken value or raw record holds the id or one of the keys of their rows."""
    if "record" not in schema.names or "load_id" not in schema.names or "row_number" not in schema.names:
        return
    needles = {cid} | set().union(*found.linked.values())
    q = wh.con.table(QUARANTINE)
    # a cheap text filter in the warehouse, then an exact check of the parsed record here
    hit = ibis.or_(*[q.record.contains(n) for n in sorted(needles)])
    if "value" in schema.names:
        hit = hit | q.value.cast("string").isin(sorted(needles))
    rows = q.filter(hit).execute()
    if rows.empty:
        return

    def holds(row) -> bool:
        if str(row.get("value", "") or "").strip() in needles:
            return True
        try:
            return mentions(json.loads(row["record"]), needles)
        except (TypeError, ValueError):
            return False

    rows = rows[rows.apply(holds, axis=1)]
    if rows.empty:
        return
    pairs = sorted({(str(a), int(b)) for a, b in zip(rows["load_id"], rows["row_number"], strict=True)})
    found.where[QUARANTINE] = exp.or_(
        *[
            exp.and_(
                _eq("load_id", a), exp.EQ(this=exp.column("row_number", quoted=True), expression=exp.Literal.number(b))
            )
            for a, b in pairs
        ]
    )
    found.rows[QUARANTINE] = rows.reset_index(drop=True)


def still_in_tables(wh: Warehouse, cid: str) -> dict[str, int]:
    """Rows of any table where any text column equals the id (what an erasure must leave at zero)."""
    out = {}
    for name, schema in _base_tables(wh).items():
        cols = [c for c, t in schema.items() if t.is_string()]
        if not cols:
            continue
        sql = _sql(wh, exp.select("count(*)").from_(_table(name)).where(exp.or_(*[_eq(c, cid) for c in cols])))
        n = int(wh.con.sql(sql).execute().iloc[0, 0])
        if n:
            out[name] = n
    return out


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: times in ISO 8601, missing values as null."""
    if frame.empty:
        return []
    return json.loads(frame.to_json(orient="records", date_format="iso", date_unit="us", force_ascii=False))


def statements(wh: Warehouse, found: Found, hashes: list[tuple[str, str]], reason: str | None, at: datetime):
    """(table, SQL, rows it must delete or None) in the order they run in one transaction."""
    out = [
        (name, _sql(wh, exp.delete(_table(name), where=where)), len(found.rows[name]))
        for name, where in found.where.items()
    ]
    create = (
        f'CREATE TABLE IF NOT EXISTS "{SUPPRESSED}" ("hash" TEXT, "erased_at" TIMESTAMP, "reason" TEXT, "kind" TEXT)'
    )
    out.append((SUPPRESSED, _to(wh, create), None))
    new = hashes
    if wh.has(SUPPRESSED):
        t = wh.table(SUPPRESSED)
        have = set(
            t.select(h=t.hash, k=t.kind if "kind" in t.columns else ibis.literal(PERSON))
            .execute()
            .itertuples(index=False, name=None)
        )
        new = [h for h in hashes if h not in have]
    if new:
        stamp = at.isoformat(sep=" ", timespec="microseconds")
        values = exp.values(
            [
                (
                    exp.Literal.string(h),
                    exp.cast(exp.Literal.string(stamp), "timestamp"),
                    exp.Literal.string(reason) if reason else exp.null(),
                    exp.Literal.string(k),
                )
                for h, k in new
            ]
        )
        columns = [exp.to_identifier(c, quoted=True) for c in ("hash", "erased_at", "reason", "kind")]
        insert = exp.insert(values, _table(SUPPRESSED), columns=columns)
        out.append((SUPPRESSED, _sql(wh, insert), None))
    return out


def _to(wh: Warehouse, duckdb_sql: str) -> str:
    return sqlglot.transpile(duckdb_sql, read="duckdb", write=_dialect(wh))[0]


def _failed(table: str, exc: Exception) -> WarehouseError:
    why = exc.lang("en") if isinstance(exc, NomagicError) else (str(exc).splitlines() or [type(exc).__name__])[0]
    return WarehouseError(
        say(
            "the erasure stopped at table {t}: {why}; nothing was removed",
            "die Löschung brach bei Tabelle {t} ab: {why}; nichts wurde entfernt",
            t=table,
            why=why,
        )
    )


def _changed(table: str, n: int, expected: int) -> WarehouseError:
    return WarehouseError(
        say(
            "table {t} changed while erasing ({n:,} rows matched instead of {e:,}); nothing was removed: run it again",
            "Tabelle {t} hat sich während der Löschung geändert ({n:,} statt {e:,} Zeilen); nichts wurde entfernt: "
            "erneut ausführen",
            t=table,
            n=n,
            e=expected,
        )
    )


def transaction(wh: Warehouse, statements) -> None:
    """All statements or none; a DELETE must hit exactly the rows that were read."""
    raw = getattr(wh.con, "con", None)
    if wh.backend == "duckdb":
        raw.execute("BEGIN TRANSACTION")
        try:
            for table, sql, expected in statements:
                try:
                    res = raw.execute(sql)
                    n = res.fetchone()[0] if expected is not None else None
                except Exception as exc:
                    raise _failed(table, exc) from exc
                if expected is not None and n != expected:
                    raise _changed(table, n, expected)
            raw.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                raw.execute("ROLLBACK")
            raise
        return
    if raw is None or not hasattr(raw, "cursor"):
        raise WarehouseError(
            say(
                "erasure needs a warehouse with transactions (DuckDB or PostgreSQL); {b} is not supported",
                "die Löschung braucht ein Warehouse mit Transaktionen (DuckDB oder PostgreSQL); {b} wird nicht "
                "unterstützt",
                b=wh.backend,
            )
        )
    ctx = raw.transaction() if hasattr(raw, "transaction") else contextlib.nullcontext()
    with ctx, contextlib.closing(raw.cursor()) as cur:
        if not hasattr(raw, "transaction"):
            cur.execute("BEGIN")
        try:
            for table, sql, expected in statements:
                try:
                    cur.execute(sql)
                except Exception as exc:
                    raise _failed(table, exc) from exc
                if expected is not None and cur.rowcount != expected:
                    raise _changed(table, cur.rowcount, expected)
            if not hasattr(raw, "transaction"):
                cur.execute("COMMIT")
        except BaseException:
            if not hasattr(raw, "transaction"):
                with contextlib.suppress(Exception):
                    cur.execute("ROLLBACK")
            raise


def compact(wh: Warehouse) -> Text | None:
    """Rewrite a DuckDB file so that no bytes of deleted rows stay in its free blocks; None when done.

    DuckDB marks deleted rows and reuses their blocks later, but does not wipe them, so the id would still be
    readable in the file. A copy holds only live rows: it replaces the file when this process held the only
    connection to it (a marker table proves the reopened file is the copy); otherwise the old file stays."""
    path = warehouse_file(wh)
    if path is None or wh.backend != "duckdb":
        return None
    duck = wh.con.con
    tag = uuid.uuid4().hex[:10]
    tmp, backup = path.with_name(f".{path.name}.compact-{tag}"), path.with_name(f".{path.name}.old-{tag}")
    marker = f"_nm_compacted_{tag}"
    try:
        duck.execute("CHECKPOINT")
        db = duck.execute("SELECT current_database()").fetchone()[0]
        duck.execute(f"ATTACH '{str(tmp).replace(chr(39), chr(39) * 2)}' AS _nm_compact")
        try:
            duck.execute(f'COPY FROM DATABASE "{db}" TO _nm_compact')
            duck.execute(f"CREATE TABLE _nm_compact.{marker} (x INTEGER)")
        finally:
            duck.execute("DETACH _nm_compact")
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.link(path, backup)
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        return _not_compacted(path, exc)
    wh.close()
    os.replace(tmp, path)
    con = ibis.duckdb.connect(str(path))
    if marker in con.list_tables():
        con.con.execute(f"DROP TABLE {marker}")
        con.con.execute("CHECKPOINT")
        backup.unlink(missing_ok=True)
        wh.con = con
        return None
    # another connection of this process keeps the old file open: put it back, untouched
    con.disconnect()
    os.replace(backup, path)
    wh.con = ibis.duckdb.connect(str(path))
    return _not_compacted(path, RuntimeError("another connection of this process holds the warehouse"))


def _not_compacted(path: Path, exc: Exception) -> Text:
    return say(
        "{p} was not compacted ({why}): the erased rows are deleted, but their bytes may stay in the file's free "
        "blocks until DuckDB reuses them; run the erasure again with no other process on the warehouse",
        "{p} wurde nicht verdichtet ({why}): die gelöschten Zeilen sind entfernt, ihre Bytes können aber in freien "
        "Blöcken der Datei bleiben, bis DuckDB sie wiederverwendet; die Löschung ohne anderen Prozess am Warehouse "
        "erneut ausführen",
        p=str(path),
        why=(str(exc).splitlines() or [type(exc).__name__])[0],
    )
