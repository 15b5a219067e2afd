"""Read a user's source into a DuckDB staging table of text columns, row numbers kept.

Sources: CSV (any common delimiter; UTF-8 with or without BOM, UTF-16, cp1252/latin-1),
Parquet, JSON lines, and a table of another database URL. DuckDB does the parsing because it
streams with bounded memory and is far faster than anything we could write in Python; we only
sniff the header and the encoding ourselves, because DuckDB's sniffer silently reads a ragged or
badly quoted file as one wide column instead of refusing it.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from nomagic.errors import InputError
from nomagic.words import Text, say

SAMPLE_BYTES = 1 << 20
_DELIMITERS = (",", ";", "\t", "|")


@dataclass
class CsvDialect:
    delimiter: str
    encoding: str  # python codec name of the original file
    columns: list[str]
    header_line: str


def source_kind(source: str) -> str:
    """'csv', 'parquet', 'jsonl' or 'database' from the source's name."""
    if "://" in source and not source.startswith("file://"):
        return "database"
    low = source.lower()
    for suffix, kind in (
        (".parquet", "parquet"),
        (".pq", "parquet"),
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".json", "jsonl"),
        (".csv", "csv"),
        (".tsv", "csv"),
        (".txt", "csv"),
        (".csv.gz", "csv"),
    ):
        if low.endswith(suffix):
            return kind
    return "csv"


def detect_encoding(path: Path, declared: str | None = None) -> str:
    """The file's encoding: the declared one, else UTF-8 (BOM or not), UTF-16 by BOM, else cp1252."""
    if declared:
        try:
            return codecs.lookup(declared).name
        except LookupError:
            raise InputError(
                say(
                    "{path}: unknown encoding {enc!r}",
                    "{path}: unbekannte Zeichenkodierung {enc!r}",
                    path=path,
                    enc=declared,
                )
            ) from None
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a character cut by the sample's end
            return "utf-8"
        return "cp1252"  # a superset of latin-1 for text; what German Excel writes


def sniff_csv(path: Path, encoding: str, delimiter: str | None = None) -> CsvDialect:
    """Read the header line and choose the delimiter."""
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        first = fh.readline()
    line = first.rstrip("\r\n").lstrip("\ufeff")
    if not line.strip():
        raise InputError(
            say(
                "{path}: the file is empty (no header line); nothing was loaded",
                "{path}: die Datei ist leer (keine Kopfzeile); nichts wurde geladen",
                path=path,
            )
        )
    if delimiter is None:
        counts = {d: line.count(d) for d in _DELIMITERS}
        delimiter = max(counts, key=counts.get)
        if counts[delimiter] == 0:
            delimiter = ","
    columns = next(csv.reader(io.StringIO(line), delimiter=delimiter))
    columns = [c.strip() for c in columns]
    for i, name in enumerate(columns, 1):
        if not name:
            raise InputError(
                say(
                    "{path}: line 1 (header), column {i} has no name; name every column",
                    "{path}: Zeile 1 (Kopfzeile), Spalte {i} hat keinen Namen; jede Spalte benennen",
                    path=path,
                    i=i,
                )
            )
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise InputError(
            say(
                "{path}: line 1 (header) names these columns twice: {dupes}",
                "{path}: Zeile 1 (Kopfzeile) nennt diese Spalten doppelt: {dupes}",
                path=path,
                dupes=", ".join(dupes),
            )
        )
    return CsvDialect(delimiter, encoding, columns, line)


def _transcode_to_utf8(path: Path, encoding: str) -> Path:
    """Stream a non-UTF-8 file into a UTF-8 temp file (DuckDB reads only UTF-8/16 and latin-1)."""
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="nomagic-")
    with open(path, encoding=encoding, newline="") as src, os.fdopen(fd, "w", encoding="utf-8", newline="") as dst:
        line_no = 0
        try:
            for line_no, line in enumerate(src, 1):  # noqa: B007 - kept for the error message
                dst.write(line)
        except UnicodeDecodeError as exc:
            os.unlink(tmp)
            raise InputError(
                say(
                    "{path}: line {line} is not valid {enc} ({why}); set the right encoding with --encoding or in "
                    "the mapping file's [csv] section",
                    "{path}: Zeile {line} ist kein gültiges {enc} ({why}); die richtige Kodierung mit --encoding oder "
                    "im Abschnitt [csv] der Mapping-Datei angeben",
                    path=path,
                    line=line_no + 1,
                    enc=encoding,
                    why=exc.reason,
                )
            ) from None
    return Path(tmp)


_LINE = re.compile(r"Line: (\d+)")


def csv_error(path: Path, exc: Exception) -> InputError:
    """Turn DuckDB's CSV error into one plain message with file and line."""
    text = str(exc)
    m = _LINE.search(text)
    where = say("line {n}", "Zeile {n}", n=int(m.group(1))) if m else say("somewhere", "irgendwo")
    lines = [ln.strip() for ln in text.splitlines()]
    reason = next(
        (
            ln
            for ln in lines
            if ln.startswith(("Expected Number", "Value with unterminated", "Invalid unicode", "Maximum line size"))
        ),
        lines[0] if lines else type(exc).__name__,
    )
    if reason.startswith("Invalid unicode"):
        reason = say(
            "bytes that are not valid UTF-8; set the right encoding with --encoding",
            "Bytes, die kein gültiges UTF-8 sind; die richtige Kodierung mit --encoding angeben",
        )
    else:
        reason = Text(reason)  # DuckDB's own words stay English
    return InputError(
        say(
            "{path}: {where}: malformed CSV: {reason}. Nothing was loaded.",
            "{path}: {where}: fehlerhaftes CSV: {reason}. Nichts wurde geladen.",
            path=path,
            where=where,
            reason=reason,
        )
    )


def csv_reader(path: Path, *, encoding: str | None = None, delimiter: str | None = None):
    """DuckDB's ``read_csv(...)`` call for a file (all columns text), its columns, and a temp file to remove."""
    _check_path(path)  # the bulk load path comes here first: a clear error, not a traceback
    enc = detect_encoding(path, encoding)
    dialect = sniff_csv(path, enc, delimiter)
    read_path, cleanup = path, None
    duck_enc = "utf-8"
    if enc == "utf-16":
        duck_enc = "utf-16"
    elif enc not in ("utf-8", "utf-8-sig", "ascii"):
        read_path = cleanup = _transcode_to_utf8(path, enc)
    cols = "{" + ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in dialect.columns) + "}"
    reader = (
        f"read_csv({_sql_str(str(read_path))}, columns={cols}, delim={_sql_str(dialect.delimiter)}, quote='\"', "
        f"escape='\"', header=true, auto_detect=false, strict_mode=true, encoding='{duck_enc}', null_padding=false)"
    )
    return reader, dialect.columns, cleanup


def stage_csv(
    duck, path: Path, stage: str, *, encoding: str | None = None, delimiter: str | None = None, run=None
) -> list[str]:
    """Create temp table ``stage`` (all VARCHAR, in file order) from a CSV file; return its columns."""
    reader, columns, cleanup = csv_reader(path, encoding=encoding, delimiter=delimiter)
    try:
        (run or duck.execute)(f"CREATE TEMP TABLE {stage} AS SELECT * FROM {reader}")
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        raise csv_error(path, exc) from None
    finally:
        if cleanup:
            os.unlink(cleanup)
    return columns


def stage_file(
    duck, source: str, stage: str, *, encoding: str | None = None, delimiter: str | None = None, run=None
) -> list[str]:
    """Stage a CSV, Parquet or JSON-lines file; the staging table keeps file order.

    ``run`` executes the statement that reads the whole file (the CLI passes one that shows progress).
    """
    kind = source_kind(source)
    path = Path(source.removeprefix("file://"))
    _check_path(path)
    if path.stat().st_size == 0:
        raise InputError(
            say(
                "{path}: the file is empty; nothing was loaded",
                "{path}: die Datei ist leer; nichts wurde geladen",
                path=path,
            )
        )
    if kind == "csv":
        return stage_csv(duck, path, stage, encoding=encoding, delimiter=delimiter, run=run)
    reader = "read_parquet" if kind == "parquet" else "read_json"
    extra = ", format='newline_delimited'" if kind == "jsonl" else ""
    try:
        (run or duck.execute)(f"CREATE TEMP TABLE {stage} AS SELECT * FROM {reader}({_sql_str(str(path))}{extra})")
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        first = str(exc).splitlines()[0]
        raise InputError(
            say(
                "{path}: cannot read as {kind}: {why}. Nothing was loaded.",
                "{path}: lässt sich nicht als {kind} lesen: {why}. Nichts wurde geladen.",
                path=path,
                kind=kind,
                why=first,
            )
        ) from None
    return [r[0] for r in duck.execute(f"DESCRIBE {stage}").fetchall()]


def stage_database(duck, url: str, table: str, stage: str) -> list[str]:
    """Stage a table of another database, streamed in Arrow batches."""
    import ibis

    try:
        other = ibis.connect(url)
        batches = other.table(table).to_pyarrow_batches(chunk_size=100_000)
    except Exception as exc:
        raise InputError(
            say(
                "cannot read table {table!r} from {host}: {why}",
                "Tabelle {table!r} lässt sich nicht aus {host} lesen: {why}",
                table=table,
                host=url.split("@")[-1],
                why=str(exc),
            )
        ) from None
    duck.register("_nomagic_incoming", batches)
    try:
        duck.execute(f"CREATE TEMP TABLE {stage} AS SELECT * FROM _nomagic_incoming")
    finally:
        duck.unregister("_nomagic_incoming")
    return [r[0] for r in duck.execute(f"DESCRIBE {stage}").fetchall()]


def _check_path(path: Path) -> None:
    if not path.exists():
        raise InputError(_no_file(path))
    if path.is_dir():
        raise InputError(say("{path}: is a folder, not a file", "{path}: ist ein Ordner, keine Datei", path=path))


def _no_file(path: Path) -> Text:
    return say("{path}: no such file", "{path}: Datei nicht gefunden", path=path)


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_frame(path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a small table into pandas: CSV (comma, semicolon, tab, pipe) or whitespace-separated text
    (CDNOW, MovieLens) with every column as text, or Parquet with its own types.

    For the use cases that read a user's file into memory (CLV transactions, interactions). ``columns``
    are checked to exist and the error names the file, the missing column and those found. All-digit
    ``columns`` mean a file without a header whose columns are named ``0``, ``1``, ... Id-like columns
    stay text, so leading zeros survive.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(_no_file(path))
    try:
        if path.name.lower().endswith((".parquet", ".pq")):
            df = pd.read_parquet(path)
        else:
            with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
                head = fh.readline()
            sep = next((s for s in (",", ";", "\t", "|") if s in head), None)
            headerless = bool(columns) and all(str(c).isdigit() for c in columns)
            df = pd.read_csv(
                path,
                sep=sep if sep else r"\s+",
                dtype=str,
                encoding="utf-8-sig",
                encoding_errors="replace",
                header=None if headerless else 0,
                skipinitialspace=True,
            )
            df.columns = [str(c).strip() for c in df.columns]
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(
            say(
                "{path}: cannot read it as a table: {why}",
                "{path}: lässt sich nicht als Tabelle lesen: {why}",
                path=path,
                why=str(exc).splitlines()[0],
            )
        ) from None
    for col in columns or ():
        if col not in df.columns:
            found = ", ".join(map(str, df.columns[:20]))
            raise InputError(
                say(
                    "{path}: no column {col!r}; the file has: {found}",
                    "{path}: keine Spalte {col!r}; die Datei hat: {found}",
                    path=path,
                    col=col,
                    found=found,
                )
            )
    return df
