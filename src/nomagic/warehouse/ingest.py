"""Load a source into a canonical table: contract check, quarantine, atomic and idempotent.

How a load runs:

1. the source is staged, as text and in file order, in DuckDB (the warehouse itself when it is a
   DuckDB file, an in-memory DuckDB otherwise);
2. the mapping turns the user's columns and codes into the canonical columns, typed;
3. the contract (:mod:`.contracts`) marks broken rows; each (row, column, reason) goes to the
   ``quarantine`` table with the raw record, so nothing is lost;
4. the other rows are merged by key: new keys are inserted, changed rows updated, identical rows
   left alone (so loading the same source twice adds nothing);
5. steps 2-4 and the bookkeeping happen in one transaction: an error or Ctrl-C leaves the
   warehouse exactly as it was.

Erased people stay erased: before the contract check, rows whose person id (``customer_id``,
``unit_id``) or linked key (e.g. the ``order_id`` of an erased order) hashes into ``privacy_suppressed``
are dropped from the staged source, so they reach neither the table nor the quarantine
(``LoadResult.suppressed`` counts them). The hash is salted with a secret of the privacy layer above
this one, which installs it with :func:`set_suppression_hasher`; without it a load into a warehouse
that has erased people fails rather than bring them back.

Free text is masked before it is stored: the staged values of a column marked ``free_text`` (reviews,
tickets) pass through the privacy layer's masker (:func:`set_text_masker`, installed by
:mod:`nomagic.privacy.pii` when nomagic is imported), so e-mail addresses, phone numbers and IBANs in
them reach neither the table nor the quarantine.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
import sqlglot

from nomagic.errors import ContractError, InputError, WarehouseError
from nomagic.warehouse.connection import _redact
from nomagic.warehouse.contracts import RAW_PREFIX, Rule, key_expr, reason_text, rules_for
from nomagic.warehouse.mapping import Mapping
from nomagic.warehouse.schema import LOADS, QUARANTINE, Column, Table, canonical_table
from nomagic.warehouse.sources import quote_ident as q
from nomagic.warehouse.sources import source_kind, stage_database, stage_file
from nomagic.words import Text, join, say

_DUCK_TYPES = {
    "string": "VARCHAR",
    "int64": "BIGINT",
    "float64": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}
_IBIS_OF_DUCK = {v: k for k, v in _DUCK_TYPES.items()}
_TRUE = ("true", "t", "1", "yes", "y", "ja", "j", "wahr", "x")
_FALSE = ("false", "f", "0", "no", "n", "nein", "falsch")

QUARANTINE_COLUMNS = {
    "load_id": "VARCHAR",
    "table_name": "VARCHAR",
    "source": "VARCHAR",
    "row_number": "BIGINT",
    "column_name": "VARCHAR",
    "value": "VARCHAR",
    "reason": "VARCHAR",
    "record": "VARCHAR",
    "quarantined_at": "TIMESTAMP",
}
LOADS_COLUMNS = {
    "load_id": "VARCHAR",
    "table_name": "VARCHAR",
    "source": "VARCHAR",
    "rows_read": "BIGINT",
    "inserted": "BIGINT",
    "updated": "BIGINT",
    "unchanged": "BIGINT",
    "quarantined": "BIGINT",
    "loaded_at": "TIMESTAMP",
}


@dataclass
class Issue:
    row: int
    column: str
    value: str | None
    reason: str


@dataclass
class LoadResult:
    """What a load did; ``issues`` holds the first quarantined problems for the message."""

    table: str
    source: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    issues: list[Issue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    load_id: str = ""
    suppressed: int = 0  # rows of erased people left out (privacy_suppressed)

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0

    def describe_issues(self, limit: int = 5) -> list[Text]:
        """The first problems, each with file, row and column, in English and German."""
        return [
            say(
                "{source}, row {row}, column {column}: {reason}",
                "{source}, Zeile {row}, Spalte {column}: {reason}",
                source=self.source,
                row=i.row,
                column=i.column,
                reason=reason_text(i.reason),
            )
            + (say(" (value {v!r})", " (Wert {v!r})", v=i.value) if i.value is not None else "")
            for i in self.issues[:limit]
        ]


class _Progress:
    """Polls DuckDB's query progress while a long statement runs in a worker thread."""

    def __init__(self, duck, callback: Callable[[float], None] | None):
        self.duck, self.callback = duck, callback

    def run(self, sql: str):
        if self.callback is None:
            return self.duck.execute(sql)
        box: dict = {}

        def work():
            try:
                box["result"] = self.duck.execute(sql)
            except BaseException as exc:  # re-raised in the caller's thread
                box["error"] = exc

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.2)
                try:
                    pct = self.duck.query_progress()
                except Exception:
                    pct = -1
                if pct is not None and pct >= 0:
                    self.callback(min(float(pct), 100.0))
        except KeyboardInterrupt:
            self.duck.interrupt()
            worker.join()
            raise
        if "error" in box:
            raise box["error"]
        self.callback(100.0)
        return box["result"]


def _lit(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "'true'" if value else "'false'"
    return "'" + str(value).replace("'", "''") + "'"


def _typed_sql(col: Column, raw: str, mapping: Mapping) -> str:
    """DuckDB expression turning the text ``raw`` into the column's type (NULL where it cannot)."""
    fmt = mapping.formats.get(col.name)
    if col.dtype == "string":
        return raw
    if col.dtype in ("int64", "float64"):
        num = raw
        if mapping.decimal == ",":
            num = f"replace(replace({raw}, '.', ''), ',', '.')"
        if col.dtype == "int64":
            # DuckDB's cast to BIGINT rounds '29.85' to 30; a whole number must really be whole
            dbl = f"TRY_CAST({num} AS DOUBLE)"
            return f"CASE WHEN {dbl} = floor({dbl}) THEN CAST({dbl} AS BIGINT) END"
        return f"TRY_CAST({num} AS DOUBLE)"
    if col.dtype == "boolean":
        yes = ", ".join(_lit(v) for v in _TRUE)
        no = ", ".join(_lit(v) for v in _FALSE)
        return f"CASE WHEN lower({raw}) IN ({yes}) THEN true WHEN lower({raw}) IN ({no}) THEN false END"
    if col.dtype == "timestamp":
        return f"TRY_STRPTIME({raw}, {_lit(fmt)})" if fmt else f"TRY_CAST({raw} AS TIMESTAMP)"
    if col.dtype == "date":
        return f"CAST(TRY_STRPTIME({raw}, {_lit(fmt)}) AS DATE)" if fmt else f"TRY_CAST({raw} AS DATE)"
    raise AssertionError(col.dtype)


class _Loader:
    def __init__(self, wh, table: Table, source: str, mapping: Mapping, *, now: datetime, on_progress=None):
        self.wh, self.table, self.source, self.mapping = wh, table, source, mapping
        self.now = now
        self.local = wh.backend != "duckdb"
        self.duck = duckdb.connect() if self.local else wh.con.con
        self.tag = uuid.uuid4().hex[:10]
        self.stage = f"_nm_stage_{self.tag}"
        self.typed = f"_nm_typed_{self.tag}"
        self.bad = f"_nm_bad_{self.tag}"
        self.quar = f"_nm_quar_{self.tag}"
        self.progress = _Progress(self.duck, on_progress)
        self.result = LoadResult(table.name, source, load_id=self.tag)
        self.suppression = _suppression_rules(wh)

    # -- 1. stage ------------------------------------------------------------------------------
    def stage_source(self, source_table: str | None, encoding: str | None, delimiter: str | None) -> list[str]:
        if source_kind(self.source) == "database":
            if not source_table:
                raise InputError(
                    say(
                        "{source}: name the table to read with --source-table",
                        "{source}: die zu lesende Tabelle mit --source-table angeben",
                        source=self.source.split("@")[-1],
                    )
                )
            return stage_database(self.duck, self.source, source_table, self.stage)
        enc = encoding or self.mapping.encoding
        delim = delimiter or self.mapping.delimiter
        # the statement that reads the whole file runs under the progress poller
        return stage_file(self.duck, self.source, self.stage, encoding=enc, delimiter=delim, run=self.progress.run)

    # -- 2. type -------------------------------------------------------------------------------
    def existing_types(self) -> dict[str, str]:
        if not self.wh.has(self.table.name):
            return {}
        schema = self.wh.con.table(self.table.name).schema()
        out = {}
        for name, dtype in schema.items():
            out[name] = _DUCK_TYPES.get(_ibis_name(dtype), "VARCHAR")
        return out

    def build_typed(self, source_columns: list[str], *, fast: bool = False) -> tuple[list[Column], list[str]]:
        """The typed projection of the staged source (a view ``self.typed``).

        ``fast``: for the optimistic bulk path. No row numbers and no raw-value columns; one boolean
        ``_nm_cast_failed`` column instead, and attributes stay text (their types are settled later).
        """
        m = self.mapping
        self.cast_failures: list[str] = []
        stage_types = dict(
            self.duck.execute(f"SELECT column_name, column_type FROM (DESCRIBE {self.stage})").fetchall()
        )
        # rowids of a temp table start at an offset; the staging table holds the file in order
        select = []
        if not fast:
            self.row_offset = self.duck.execute(f"SELECT min(rowid) - 1 FROM {self.stage}").fetchone()[0]
            select = [f"CAST(rowid - {self.row_offset} AS BIGINT) AS _row"]
        used: set[str] = set()
        columns: list[Column] = []
        missing = []
        for col in self.table.columns:
            src = m.source_of(col.name, source_columns)
            if src is not None:
                used.add(src)
                raw = f"NULLIF(TRIM(CAST({q(src)} AS VARCHAR)), '')"
                native = stage_types.get(src) == _DUCK_TYPES[col.dtype] and col.name not in m.values
            elif col.name in m.defaults:
                raw, native = _lit(m.defaults[col.name]), False
            elif col.required:
                missing.append(col.name)
                continue
            else:
                continue
            if col.name in m.values:
                whens = " ".join(f"WHEN {_lit(a)} THEN {_lit(b)}" for a, b in m.values[col.name].items())
                raw = f"CASE {raw} {whens} ELSE {raw} END"
            if native:
                select.append(f"{q(src)} AS {q(col.name)}")
            else:
                select.append(f"{_typed_sql(col, raw, m)} AS {q(col.name)}")
                if col.dtype != "string" and fast:
                    self.cast_failures.append(f"({_typed_sql(col, raw, m)} IS NULL AND {raw} IS NOT NULL)")
                elif col.dtype != "string":
                    select.append(f"{raw} AS {q(RAW_PREFIX + col.name)}")
            columns.append(col)
        if missing:
            hint = (
                say(" or map them in {origin}", " oder in {origin} zuordnen", origin=m.origin)
                if m.origin != "(no mapping)"
                else say(" or map them with --mapping FILE.toml", " oder mit --mapping FILE.toml zuordnen")
            )
            raise InputError(
                say(
                    "{source}: required column(s) {cols} of table {table} are missing (the source has: {have}); "
                    "add them{hint}",
                    "{source}: die Pflichtspalte(n) {cols} der Tabelle {table} fehlen (die Quelle hat: {have}); "
                    "sie ergänzen{hint}",
                    source=self.source,
                    cols=", ".join(missing),
                    table=self.table.name,
                    have=", ".join(source_columns),
                    hint=hint,
                )
            )
        extras = [c for c in source_columns if c not in used]
        clash = [c for c in extras if c in self.table.column_names or c.startswith(("_raw_", "_nm_")) or c == "_row"]
        if clash:
            raise InputError(
                say(
                    "{source}: column(s) {cols} would clash with canonical or internal columns of {table}; rename "
                    "them in the mapping's [columns] or in the source",
                    "{source}: die Spalte(n) {cols} kollidieren mit kanonischen oder internen Spalten von {table}; "
                    "im Abschnitt [columns] des Mappings oder in der Quelle umbenennen",
                    source=self.source,
                    cols=", ".join(clash),
                    table=self.table.name,
                )
            )
        existing = self.existing_types()
        if fast:
            select += [f"NULLIF(TRIM({q(e)}), '') AS {q(e)}" for e in extras]
            select.append(f"({' OR '.join(self.cast_failures) or 'false'}) AS _nm_cast_failed")
            columns += [Column(e, "string", required=False, nullable=True) for e in extras]
            self.duck.execute(f"CREATE TEMP VIEW {self.typed} AS SELECT {', '.join(select)} FROM {self.stage}")
            return columns, extras
        extra_types = self.infer_extra_types(extras, stage_types, existing)
        for e in extras:
            dtype = extra_types[e]
            pseudo = Column(e, _IBIS_OF_DUCK.get(dtype, "string"), required=False, nullable=True)
            if stage_types.get(e) == dtype:
                select.append(q(e))
            else:
                raw = f"NULLIF(TRIM(CAST({q(e)} AS VARCHAR)), '')"
                select.append(f"{_typed_sql(pseudo, raw, m)} AS {q(e)}")
                if dtype != "VARCHAR":
                    select.append(f"{raw} AS {q(RAW_PREFIX + e)}")
            columns.append(pseudo)
        # a view: the casts run once while checking and once while inserting, cheaper than materialising
        self.duck.execute(f"CREATE TEMP VIEW {self.typed} AS SELECT {', '.join(select)} FROM {self.stage}")
        return columns, extras

    def infer_extra_types(
        self, extras: list[str], stage_types: dict, existing: dict, table: str | None = None
    ) -> dict[str, str]:
        """Attribute columns keep their type: the warehouse's, the file's, or the narrowest that fits."""
        out, probe = {}, []
        for e in extras:
            if e in existing:
                out[e] = existing[e]
            elif stage_types.get(e, "VARCHAR") != "VARCHAR":
                out[e] = stage_types[e] if stage_types[e] in _IBIS_OF_DUCK else "VARCHAR"
            else:
                probe.append(e)
        if not probe:
            return out
        parts = []
        for i, e in enumerate(probe):
            v = f"NULLIF(TRIM({q(e)}), '')"
            parts += [
                f"count({v}) AS n{i}",
                f"count(CASE WHEN regexp_full_match({v}, '[+-]?[0-9]+') THEN 1 END) AS i{i}",
                f"count(TRY_CAST({v} AS DOUBLE)) AS d{i}",
                f"count(CASE WHEN {v} SIMILAR TO '\\d{{4}}-\\d{{2}}-\\d{{2}}.*' THEN TRY_CAST({v} AS TIMESTAMP) END) AS t{i}",
            ]
        row = self.duck.execute(f"SELECT {', '.join(parts)} FROM {table or self.stage}").fetchone()
        for i, e in enumerate(probe):
            n, ints, dbl, ts = row[4 * i : 4 * i + 4]
            if n and ints == n:
                out[e] = "BIGINT"
            elif n and dbl == n:
                out[e] = "DOUBLE"
            elif n and ts == n:
                out[e] = "TIMESTAMP"
            else:
                out[e] = "VARCHAR"
        return out

    # -- 2a. personal data in free text is masked before it is stored ------------------------------
    def mask_free_text(self, source_columns: list[str]) -> None:
        """Mask the staged source's free-text columns in place (the quarantine's raw record included)."""
        sources = [
            (col.name, src)
            for col in self.table.columns
            if col.free_text and (src := self.mapping.source_of(col.name, source_columns)) is not None
        ]
        if not sources:
            return
        fn = f"_nm_mask_{self.tag}"
        self.duck.create_function(fn, _masker(self.wh), ["VARCHAR"], "VARCHAR", side_effects=False)
        try:
            for name, src in sources:
                expr = f"CAST({q(src)} AS VARCHAR)"
                (n,) = self.duck.execute(
                    f"UPDATE {self.stage} SET {q(src)} = {fn}({expr}) WHERE {fn}({expr}) IS DISTINCT FROM {expr}"
                ).fetchone()
                if n:
                    self.result.warnings.append(
                        say(
                            "{n:,} text(s) in {col}: personal data (e-mail addresses, phone numbers, IBANs) masked "
                            "before storing",
                            "{n:,} Text(e) in {col}: personenbezogene Daten (E-Mail-Adressen, Telefonnummern, IBANs) "
                            "vor dem Speichern maskiert",
                            n=int(n),
                            col=name,
                        )
                    )
        finally:
            self.duck.remove_function(fn)

    # -- 2b. erased people stay erased -------------------------------------------------------------
    def drop_suppressed(self, columns: list[Column]) -> None:
        """Delete the staged rows of erased people (see the module docstring); the row numbers of the
        others stay as in the file (a temp table keeps its rowids after a delete)."""
        names = [c.name for c in columns if c.name in self.suppression]
        if not names:
            return
        hashed = _hasher(self.wh)
        conds = []
        for col in names:
            values = self.duck.execute(
                f"SELECT DISTINCT CAST({q(col)} AS VARCHAR) FROM {self.typed} WHERE {q(col)} IS NOT NULL"
            ).fetchall()
            hits = [v for (v,) in values if hashed(v) in self.suppression[col]]
            if hits:
                conds.append(f"CAST({q(col)} AS VARCHAR) IN ({', '.join(_lit(v) for v in hits)})")
        if not conds:
            return
        erased = f"_nm_erased_{self.tag}"
        self.duck.execute(f"CREATE TEMP TABLE {erased} AS SELECT _row FROM {self.typed} WHERE {' OR '.join(conds)}")
        try:
            n = self.duck.execute(f"SELECT count(*) FROM {erased}").fetchone()[0]
            self.duck.execute(
                f"DELETE FROM {self.stage} WHERE rowid - {self.row_offset} IN (SELECT _row FROM {erased})"
            )
        finally:
            self.duck.execute(f"DROP TABLE IF EXISTS {erased}")
        self.result.suppressed = int(n)
        self.result.warnings.append(
            say(
                "{n:,} row(s) of erased people left out (they are on the suppression list privacy_suppressed)",
                "{n:,} Zeile(n) gelöschter Personen ausgelassen (sie stehen auf der Sperrliste privacy_suppressed)",
                n=int(n),
            )
        )

    # -- 3. check ------------------------------------------------------------------------------
    def typed_expr(self, columns: list[Column]) -> ibis.Table:
        described = self.duck.execute(f"SELECT column_name, column_type FROM (DESCRIBE {self.typed})").fetchall()
        schema = {n: _IBIS_OF_DUCK.get(t, "string") for n, t in described}
        return ibis.table(schema, name=self.typed)

    def reference_tables(self) -> dict[str, ibis.Table]:
        refs = {}
        for col in self.table.columns:
            if not col.references:
                continue
            ref_table, ref_col = col.references.split(".")
            if ref_table == self.table.name:
                continue
            if not self.wh.has(ref_table):
                self.result.warnings.append(
                    say(
                        "{column} refers to {ref}, which is not loaded yet: not checked",
                        "{column} verweist auf {ref}, das noch nicht geladen ist: nicht geprüft",
                        column=f"{self.table.name}.{col.name}",
                        ref=ref_table,
                    )
                )
                continue
            name = ref_table
            if self.local:  # bring the referenced keys next to the staged rows
                name = f"_nm_ref_{ref_table}_{self.tag}"
                keys = self.wh.con.table(ref_table).select(ref_col).distinct().to_pyarrow()
                self.duck.register(f"{name}_arrow", keys)
                self.duck.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
                self.duck.unregister(f"{name}_arrow")
                refs[ref_table] = ibis.table({ref_col: "string"}, name=name)
            else:  # the real table, so that Ibis selects just the key column in the subquery
                refs[ref_table] = self.wh.con.table(ref_table)
        return refs

    def check(self, columns: list[Column]) -> list[Rule]:
        t = self.typed_expr(columns)
        table = Table(self.table.name, self.table.key, tuple(columns), self.table.time_column)
        rules = rules_for(t, table, refs=self.reference_tables(), now=self.now)
        flags = t.select("_row", *[r.broken.fill_null(False).name(f"_b{i}") for i, r in enumerate(rules)])
        any_bad = ibis.or_(*[flags[f"_b{i}"] for i in range(len(rules))]) if rules else ibis.literal(False)
        sql = ibis.to_sql(flags.filter(any_bad), dialect="duckdb")
        self.progress.run(f"CREATE TEMP TABLE {self.bad} AS {sql}")
        return rules

    def quarantine(self, rules: list[Rule]) -> None:
        self.result.quarantined = int(self.duck.execute(f"SELECT count(*) FROM {self.bad}").fetchone()[0])
        typed_cols = {c for (c,) in self.duck.execute(f"SELECT column_name FROM (DESCRIBE {self.typed})").fetchall()}
        parts = []
        for i, r in enumerate(rules):
            first = r.column.split(",")[0]
            raw_col = RAW_PREFIX + first
            value = q(raw_col) if raw_col in typed_cols else f"CAST(t.{q(first)} AS VARCHAR)"
            parts.append(
                f"SELECT b._row, {_lit(r.column)} AS column_name, {value} AS value, {_lit(r.reason)} AS reason "
                f"FROM {self.bad} b JOIN bad_typed t USING (_row) WHERE b._b{i}"
            )
        if not parts or not self.result.quarantined:
            parts = ["SELECT NULL::BIGINT AS _row, NULL AS column_name, NULL AS value, NULL AS reason WHERE false"]
        union = " UNION ALL ".join(parts)
        # only the broken rows are joined back to their typed and raw records
        bad_rows = f"(SELECT _row FROM {self.bad})"
        self.duck.execute(
            f"CREATE TEMP TABLE {self.quar} AS WITH bad_typed AS (SELECT * FROM {self.typed} WHERE _row IN {bad_rows}) "
            f"SELECT {_lit(self.tag)} AS load_id, {_lit(self.table.name)} AS table_name, "
            f"{_lit(self.source)} AS source, CAST(i._row AS BIGINT) AS row_number, CAST(i.column_name AS VARCHAR) AS column_name, "
            f"CAST(i.value AS VARCHAR) AS value, CAST(i.reason AS VARCHAR) AS reason, "
            f"to_json(s)::VARCHAR AS record, {_lit(self.now.replace(tzinfo=None).isoformat(sep=' '))}::TIMESTAMP AS quarantined_at "
            f"FROM ({union}) i JOIN (SELECT rowid - {self.row_offset} AS _row, s FROM {self.stage} s "
            f"WHERE rowid - {self.row_offset} IN {bad_rows}) s USING (_row) ORDER BY row_number, column_name"
        )
        sample = self.duck.execute(
            f"SELECT row_number, column_name, value, reason FROM {self.quar} LIMIT 20"
        ).fetchall()
        self.result.issues = [Issue(int(r), c, v, why) for r, c, v, why in sample]

    def accepted_sql(self, columns: list[Column]) -> str:
        cols = ", ".join(q(c.name) for c in columns)
        if not self.result.quarantined:
            return f"SELECT {cols} FROM {self.typed}"
        return f"SELECT {cols} FROM {self.typed} t WHERE NOT EXISTS (SELECT 1 FROM {self.bad} b WHERE b._row = t._row)"


def _fast_new_table(loader: _Loader, encoding: str | None, delimiter: str | None) -> LoadResult | None:
    """The bulk path for a first load of a CSV into a new DuckDB table, optimistic about the data.

    The file is read, typed and written in one streaming pass (as fast as DuckDB's own read_csv), then
    the contract is checked on the new table inside the still-open transaction. If anything breaks it,
    the transaction is rolled back and ``None`` tells the caller to take the general path, which
    stages the text and quarantines row by row. Returns the result when the data was clean.
    """
    from nomagic.warehouse import sources

    duck, target, res = loader.duck, loader.table, loader.result
    path = Path(loader.source)
    reader, source_columns, cleanup = sources.csv_reader(
        path, encoding=encoding or loader.mapping.encoding, delimiter=delimiter or loader.mapping.delimiter
    )
    name = q(target.name)
    try:
        loader.mapping.check(target, loader.source, source_columns)
        duck.execute(f"CREATE TEMP VIEW {loader.stage} AS SELECT * FROM {reader}")
        columns, extras = loader.build_typed(source_columns, fast=True)
        duck.execute("BEGIN TRANSACTION")
        try:
            try:
                loader.progress.run(f"CREATE TABLE {name} AS SELECT * FROM {loader.typed}")
            except duckdb.Error as exc:
                if isinstance(exc, duckdb.InvalidInputException) and "CSV Error" in str(exc):
                    raise sources.csv_error(path, exc) from None
                raise
            res.rows_read = duck.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            if res.rows_read == 0:
                raise InputError(_no_rows(loader.source))
            t = ibis.table({c.name: c.dtype for c in columns} | {"_nm_cast_failed": "boolean"}, name=target.name)
            keyless = Table(target.name, (), tuple(columns), target.time_column)
            rules = rules_for(t, keyless, refs=loader.reference_tables(), now=loader.now)
            broken = ibis.or_(t._nm_cast_failed, *[r.broken.fill_null(False) for r in rules])
            n_broken = duck.execute(ibis.to_sql(t.filter(broken).count().as_table(), dialect="duckdb")).fetchone()[0]
            key = key_expr(t, target.key)
            # distinct hashes == rows proves the key unique; a hash collision only sends us the exact way
            distinct = duck.execute(
                f"SELECT count(DISTINCT hash(k)) FROM ({ibis.to_sql(t.select(k=key), dialect='duckdb')})"
            ).fetchone()[0]
            if n_broken or distinct != res.rows_read:
                duck.execute("ROLLBACK")
                return None
            types = loader.infer_extra_types(extras, {}, {}, table=name)
            for e in extras:
                if types[e] != "VARCHAR":
                    pseudo = Column(e, _IBIS_OF_DUCK[types[e]], required=False, nullable=True)
                    duck.execute(
                        f"ALTER TABLE {name} ALTER {q(e)} TYPE {types[e]} USING {_typed_sql(pseudo, q(e), loader.mapping)}"
                    )
            duck.execute(f"ALTER TABLE {name} DROP COLUMN _nm_cast_failed")
            for stmt in _bookkeeping_tables(loader.wh.has):
                duck.execute(stmt)
            res.inserted = res.rows_read
            duck.execute(f"INSERT INTO {q(LOADS)} VALUES ({_loads_row(res, loader.now)})")
            duck.execute("COMMIT")
        except BaseException:
            try:
                duck.execute("ROLLBACK")
            except Exception:
                pass
            raise
    finally:
        for view in (loader.typed, loader.stage):
            try:
                duck.execute(f"DROP VIEW IF EXISTS {view}")
            except Exception:
                pass
        if cleanup:
            cleanup.unlink()
    return res


def _ibis_name(dtype) -> str:
    if dtype.is_string():
        return "string"
    if dtype.is_integer():
        return "int64"
    if dtype.is_floating() or dtype.is_decimal():
        return "float64"
    if dtype.is_boolean():
        return "boolean"
    if dtype.is_timestamp():
        return "timestamp"
    if dtype.is_date():
        return "date"
    return "string"


def _column_ddl(columns: list[Column]) -> str:
    return ", ".join(f"{q(c.name)} {_DUCK_TYPES[c.dtype]}" for c in columns)


def _schema_statements(target: Table, columns: list[Column], exists: bool, existing: dict) -> list[str]:
    """Create the target, or add the attribute columns it does not have yet."""
    name = q(target.name)
    if not exists:
        return [f"CREATE TABLE {name} ({_column_ddl(columns)})"]
    return [
        f"ALTER TABLE {name} ADD COLUMN {q(c.name)} {_DUCK_TYPES[c.dtype]}" for c in columns if c.name not in existing
    ]


def _merge_statements(target: Table, columns: list[Column], incoming: str) -> list[str]:
    """DuckDB-dialect statements that merge ``incoming`` into the target by key."""
    name = q(target.name)
    cols = ", ".join(q(c.name) for c in columns)
    on = " AND ".join(f"t.{q(k)} = s.{q(k)}" for k in target.key)
    non_key = [c.name for c in columns if c.name not in target.key]
    differs = " OR ".join(f"t.{q(c)} IS DISTINCT FROM s.{q(c)}" for c in non_key) or "false"
    sets = ", ".join(f"{q(c)} = s.{q(c)}" for c in non_key)
    stmts = []
    if sets:
        stmts.append(f"UPDATE {name} AS t SET {sets} FROM {incoming} AS s WHERE {on} AND ({differs})")
    stmts.append(
        f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {incoming} AS s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {name} AS t WHERE {on})"
    )
    return stmts


def _count_changes(run, target: Table, columns: list[Column], incoming: str, exists: bool) -> tuple[int, int, int]:
    """(inserted, updated, unchanged) that merging ``incoming`` will cause."""
    total = run(f"SELECT count(*) FROM {incoming}")
    if not exists:
        return total, 0, 0
    on = " AND ".join(f"t.{q(k)} = s.{q(k)}" for k in target.key)
    non_key = [c.name for c in columns if c.name not in target.key]
    differs = " OR ".join(f"t.{q(c)} IS DISTINCT FROM s.{q(c)}" for c in non_key) or "false"
    matched = run(f"SELECT count(*) FROM {incoming} AS s JOIN {q(target.name)} AS t ON {on}")
    changed = run(f"SELECT count(*) FROM {incoming} AS s JOIN {q(target.name)} AS t ON {on} WHERE {differs}")
    return total - matched, changed, matched - changed


def _bookkeeping_tables(exists) -> list[str]:
    stmts = []
    for name, cols in ((QUARANTINE, QUARANTINE_COLUMNS), (LOADS, LOADS_COLUMNS)):
        if not exists(name):
            stmts.append(f"CREATE TABLE {q(name)} ({', '.join(f'{q(c)} {t}' for c, t in cols.items())})")
    return stmts


def load(
    wh,
    table: str,
    source: str | Path,
    *,
    mapping: Mapping | str | Path | None = None,
    source_table: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    strict: bool = False,
    on_progress: Callable[[float], None] | None = None,
    now: datetime | None = None,
) -> LoadResult:
    """Load ``source`` into canonical table ``table`` of warehouse ``wh``.

    Parameters
    ----------
    wh : a :class:`~nomagic.warehouse.connection.Warehouse`.
    table : canonical table name (``customers``, ``orders``, ...).
    source : CSV / Parquet / JSON-lines path, or a database URL (with ``source_table``).
    mapping : a :class:`Mapping` or the path of a mapping TOML file.
    strict : refuse the whole load (and change nothing) if any row breaks the contract.
    on_progress : called with the percentage done while the source is read.

    Returns
    -------
    LoadResult with inserted / updated / unchanged / quarantined counts.

    Examples
    --------
    >>> from nomagic import connect
    >>> wh = connect("duckdb://:memory:")
    >>> load(wh, "customers", "customers.csv").inserted  # doctest: +SKIP
    1000
    """
    started = time.perf_counter()
    source = str(source)  # a pathlib.Path works as well as its text
    target = canonical_table(table)
    if mapping is None:
        mapping = Mapping()
    elif not isinstance(mapping, Mapping):
        mapping = Mapping.load(mapping)
    now = now or datetime.now(UTC)
    loader = _Loader(wh, target, source, mapping, now=now, on_progress=on_progress)
    duck = loader.duck
    # the bulk path has no place to leave rows out: with erased people on record, take the general one
    # nor to mask free text in: a table with free text takes the general one too
    fast_ok = not loader.suppression and not any(c.free_text for c in target.columns)
    if not loader.local and source_kind(source) == "csv" and not wh.has(target.name) and fast_ok:
        try:
            fast = _fast_new_table(loader, encoding, delimiter)
        except duckdb.Error as exc:
            raise _duck_error(wh, source, exc) from None
        if fast is not None:
            fast.seconds = time.perf_counter() - started
            return fast
        loader = _Loader(wh, target, source, mapping, now=now, on_progress=on_progress)
    in_txn = False
    try:
        if not loader.local:
            duck.execute("SET preserve_insertion_order = true")
        # staging and checking use temp tables of this connection only; the warehouse's own tables
        # change in the one transaction further down
        source_columns = loader.stage_source(source_table, encoding, delimiter)
        mapping.check(target, source, source_columns)
        loader.mask_free_text(source_columns)
        loader.result.rows_read = duck.execute(f"SELECT count(*) FROM {loader.stage}").fetchone()[0]
        if loader.result.rows_read == 0:
            raise InputError(_no_rows(source))
        columns, _ = loader.build_typed(source_columns)
        loader.drop_suppressed(columns)
        rules = loader.check(columns)
        loader.quarantine(rules)
        if strict and loader.result.quarantined:
            raise ContractError(
                say(
                    "{source}: {n} row(s) break the contract of {table}; with --strict nothing was loaded. "
                    "First problems:\n  {issues}",
                    "{source}: {n} Zeile(n) verletzen den Datenvertrag von {table}; mit --strict wurde nichts "
                    "geladen. Erste Probleme:\n  {issues}",
                    source=source,
                    n=loader.result.quarantined,
                    table=table,
                    issues=join(loader.result.describe_issues(), "\n  "),
                )
            )
        accepted = f"_nm_ok_{loader.tag}"
        duck.execute(f"CREATE TEMP VIEW {accepted} AS {loader.accepted_sql(columns)}")
        if loader.local:
            _merge_remote(wh, loader, target, columns, accepted)
        else:
            duck.execute("BEGIN TRANSACTION")
            in_txn = True
            exists = wh.has(target.name)
            existing = loader.existing_types()
            for stmt in _bookkeeping_tables(wh.has) + _schema_statements(target, columns, exists, existing):
                duck.execute(stmt)
            if exists:
                run1 = lambda sql: duck.execute(sql).fetchone()[0]  # noqa: E731
                ins, upd, same = _count_changes(run1, target, columns, accepted, exists)
                for stmt in _merge_statements(target, columns, accepted):
                    duck.execute(stmt)
            else:  # a new table: every accepted row is new
                ins, upd, same = loader.result.rows_read - loader.result.quarantined - loader.result.suppressed, 0, 0
                cols = ", ".join(q(c.name) for c in columns)
                loader.progress.run(f"INSERT INTO {q(target.name)} ({cols}) SELECT {cols} FROM {accepted}")
            duck.execute(_quarantine_insert(loader.quar))
            loader.result.inserted, loader.result.updated, loader.result.unchanged = ins, upd, same
            duck.execute(f"INSERT INTO {q(LOADS)} VALUES ({_loads_row(loader.result, now)})")
            duck.execute("COMMIT")
            in_txn = False
    except BaseException as exc:
        if in_txn:
            try:
                duck.execute("ROLLBACK")
            except Exception:
                pass
        if isinstance(exc, duckdb.Error) and not isinstance(exc, KeyboardInterrupt):
            raise _duck_error(wh, source, exc) from None
        raise
    finally:
        for obj in ("VIEW", "TABLE"):
            for name in (
                (f"_nm_ok_{loader.tag}", loader.typed) if obj == "VIEW" else (loader.stage, loader.bad, loader.quar)
            ):
                try:
                    duck.execute(f"DROP {obj} IF EXISTS {name}")
                except Exception:
                    pass
        if loader.local:
            duck.close()
    loader.result.seconds = time.perf_counter() - started
    return loader.result


def _quarantine_insert(incoming: str) -> str:
    """Add quarantined rows, skipping those already there (loading a source twice adds nothing)."""
    same = " AND ".join(
        f"q.{q(c)} IS NOT DISTINCT FROM n.{q(c)}"
        for c in ("table_name", "source", "row_number", "column_name", "reason", "record")
    )
    return (
        f"INSERT INTO {q(QUARANTINE)} SELECT * FROM {incoming} AS n "
        f"WHERE NOT EXISTS (SELECT 1 FROM {q(QUARANTINE)} AS q WHERE {same})"
    )


def _loads_row(r: LoadResult, now: datetime) -> str:
    vals = [r.load_id, r.table, r.source, r.rows_read, r.inserted, r.updated, r.unchanged, r.quarantined]
    parts = [_lit(v) if isinstance(v, str) else str(int(v)) for v in vals]
    parts.append(f"{_lit(now.replace(tzinfo=None).isoformat(sep=' '))}::TIMESTAMP")
    return ", ".join(parts)


def _no_rows(source: str) -> Text:
    return say(
        "{source}: has a header but no rows; nothing was loaded",
        "{source}: hat eine Kopfzeile, aber keine Zeilen; nichts wurde geladen",
        source=source,
    )


def _duck_error(wh, source: str, exc: Exception) -> WarehouseError:
    text = str(exc).splitlines()[0]  # DuckDB's own words stay English
    low = text.lower()
    if "read-only" in low or "read only" in low:
        return WarehouseError(
            say(
                "cannot load {source}: the warehouse {url} is read-only; nothing was changed",
                "{source} kann nicht geladen werden: das Warehouse {url} ist schreibgeschützt; nichts wurde geändert",
                source=source,
                url=_redact(wh.url),  # never a password in a message
            )
        )
    if "out of memory" in low:
        return WarehouseError(
            say(
                "cannot load {source}: DuckDB ran out of memory ({text}); nothing was changed",
                "{source} kann nicht geladen werden: DuckDB hat keinen Speicher mehr ({text}); nichts wurde geändert",
                source=source,
                text=text,
            )
        )
    return WarehouseError(
        say(
            "cannot load {source}: {text}; nothing was changed",
            "{source} kann nicht geladen werden: {text}; nichts wurde geändert",
            source=source,
            text=text,
        )
    )


def _merge_remote(wh, loader: _Loader, target: Table, columns: list[Column], accepted: str) -> None:
    """Merge on a non-DuckDB warehouse: upload accepted rows, then one transaction there."""
    duck, result, dialect = loader.duck, loader.result, wh.con.dialect
    incoming = f"_nm_incoming_{loader.tag}"
    quar = f"_nm_quarantine_{loader.tag}"
    _upload(wh, incoming, duck.execute(f"SELECT * FROM {accepted}"))
    _upload(wh, quar, duck.execute(f"SELECT * FROM {loader.quar}"))
    try:
        exists = wh.has(target.name)
        existing = loader.existing_types()
        raw = wh.con.con
        # table creation first, so the counts below can compare against every column; a failed load
        # may leave an empty table or an added empty column behind, never data
        _run_transaction(raw, [_to(dialect, s) for s in _bookkeeping_tables(wh.has)])
        _run_transaction(raw, [_to(dialect, s) for s in _schema_statements(target, columns, exists, existing)])
        stmts = _merge_statements(target, columns, q(incoming))
        stmts.append(_quarantine_insert(q(quar)))

        def run1(sql: str) -> int:
            with raw.cursor() as cur:
                cur.execute(_to(dialect, sql))
                return cur.fetchone()[0]

        ins, upd, same = _count_changes(run1, target, columns, q(incoming), True)
        result.inserted, result.updated, result.unchanged = ins, upd, same
        stmts.append(f"INSERT INTO {q(LOADS)} VALUES ({_loads_row(result, loader.now)})")
        _run_transaction(raw, [_to(dialect, s) for s in stmts])
    finally:
        for name in (incoming, quar):
            wh.con.drop_table(name, force=True)


UPLOAD_BATCH_ROWS = 200_000


def _upload(wh, name: str, result) -> None:
    """Copy a DuckDB result into a new table of the warehouse in batches, with bounded memory."""
    reader = result.to_arrow_reader(UPLOAD_BATCH_ROWS)
    first = True
    for batch in reader:
        wh.write(name, pa.Table.from_batches([batch]), overwrite=first)
        first = False
    if first:  # no rows: still create the (empty) table with the right columns
        wh.write(name, reader.schema.empty_table())


def _to(dialect, sql: str) -> str:
    return sqlglot.transpile(sql, read="duckdb", write=dialect)[0]


def _run_transaction(raw, statements: list[str]) -> None:
    """All statements or none, on a DB-API connection (psycopg's when it has ``transaction``)."""
    if hasattr(raw, "transaction"):
        with raw.transaction():
            with raw.cursor() as cur:
                for s in statements:
                    cur.execute(s)
        return
    cur = raw.cursor()
    try:
        cur.execute("BEGIN")
        for s in statements:
            cur.execute(s)
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise


# -- erased people stay erased (GDPR Art. 17) ----------------------------------------------------

#: salted hashes of erased people and of the keys of their rows; written by nomagic.privacy.subject
SUPPRESSED = "privacy_suppressed"
#: columns whose value names a person: checked against the hashes of kind ``person``
PERSON_COLUMNS = ("customer_id", "unit_id")
PERSON = "person"

_hasher_factory: Callable | None = None


def set_suppression_hasher(factory: Callable) -> None:
    """Install how an id becomes the hash kept in ``privacy_suppressed``: ``factory(wh)`` returns a function
    ``id -> hash``. :mod:`nomagic.privacy.subject` installs it when imported: the hash is salted with a secret
    that the privacy layer keeps, so this layer cannot compute it by itself."""
    global _hasher_factory
    _hasher_factory = factory


def _hasher(wh) -> Callable[[str], str]:
    if _hasher_factory is None:  # fail closed: loading without the check could bring erased people back
        raise WarehouseError(
            say(
                "the warehouse {url} has erased people on its suppression list ({t}), but the privacy layer that "
                "checks it is not loaded; use `nomagic load`, or `import nomagic.privacy.subject` before loading "
                "from Python",
                "das Warehouse {url} führt gelöschte Personen auf seiner Sperrliste ({t}), aber die Datenschutz-"
                "Schicht, die sie prüft, ist nicht geladen; `nomagic load` verwenden oder vor dem Laden aus Python "
                "`import nomagic.privacy.subject` ausführen",
                url=_redact(wh.url),
                t=SUPPRESSED,
            )
        )
    return _hasher_factory(wh)


# -- personal data in free text is masked before it is stored --------------------------------------

_text_masker: Callable[[str], str] | None = None


def set_text_masker(fn: Callable[[str], str]) -> None:
    """Install how a free text is masked before it is stored (:mod:`nomagic.privacy.pii` does, when nomagic is
    imported): the policy is the privacy layer's, this layer only applies it."""
    global _text_masker
    _text_masker = fn


def _masker(wh) -> Callable[[str], str]:
    if _text_masker is None:  # fail closed: storing unmasked text is the thing that must not happen
        raise WarehouseError(
            say(
                "cannot load free text into {url}: the privacy layer that masks personal data in it is not loaded; "
                "import nomagic (or nomagic.privacy.pii) before loading",
                "Freitext kann nicht in {url} geladen werden: die Datenschutz-Schicht, die personenbezogene Daten "
                "darin maskiert, ist nicht geladen; vor dem Laden nomagic (oder nomagic.privacy.pii) importieren",
                url=_redact(wh.url),
            )
        )
    return _text_masker


def _suppression_rules(wh) -> dict[str, set[str]]:
    """Column name -> the hashes its values must not have ({} when nobody was erased)."""
    if not wh.has(SUPPRESSED):
        return {}
    t = wh.con.table(SUPPRESSED)
    if "hash" not in t.columns:  # an unreadable list must not be ignored
        raise WarehouseError(
            say(
                "the table {t} has no column hash; it is nomagic's suppression list of erased people: restore it",
                "die Tabelle {t} hat keine Spalte hash; sie ist die Sperrliste gelöschter Personen von nomagic: "
                "sie wiederherstellen",
                t=SUPPRESSED,
            )
        )
    kind = t.kind if "kind" in t.columns else ibis.literal(PERSON)
    frame = t.select(hash=t.hash, kind=kind).distinct().execute()
    rules: dict[str, set[str]] = {}
    for h, k in zip(frame["hash"], frame["kind"], strict=True):
        for col in PERSON_COLUMNS if (k is None or k == PERSON) else (k,):
            rules.setdefault(col, set()).add(h)
    return rules
