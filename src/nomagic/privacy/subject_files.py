"""Files and caches that hold a person, found and rewritten by value: for :mod:`nomagic.privacy.subject`.

Scanned: everything under ``.nomagic/`` and the files right next to a DuckDB warehouse. CSV, Parquet and
JSON lines are read as records (a record is theirs when a field holds their id, or a key of their rows
in the field of that name) and rewritten without them; JSON is pruned; other text is searched for the id
as a whole word and, when found, named (it cannot be rewritten safely). Sentence-embedding caches
(SQLite, keyed by the text's sha256) lose the vectors of the texts they wrote.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import mmap
import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from nomagic.privacy.subject_store import Found, mentions, records, state_folder, warehouse_file
from nomagic.warehouse.connection import Warehouse

ERASURES_FILE = "erasures.json"
#: files in .nomagic that are not data about anyone (or are rewritten only through their own code)
_SKIP_FILES = {"salt", "audit.lock", "audit_head.json", ERASURES_FILE}
_WORD = r"(?<![\w-]){}(?![\w-])"


@dataclass
class FileHit:
    """A file that mentions the person: its ``records`` about them (tabular and JSON-lines files), or only the
    number of ``mentions`` (other text). ``rewritable``: :func:`erase` can take them out of it."""

    path: Path
    format: str
    count: int
    records: list | None = None
    rewritable: bool = True

    def to_dict(self) -> dict:
        out = {"path": str(self.path), "format": self.format, "count": self.count, "rewritable": self.rewritable}
        if self.records is not None:
            out["records"] = self.records
        return out


def _has_any(path: Path, needles: list[str]) -> bool:
    """Whether the file's bytes hold any of ``needles`` (a cheap test before parsing it)."""
    if path.stat().st_size == 0:
        return False
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return any(mm.find(n.encode()) >= 0 for n in needles)


def files_to_scan(wh: Warehouse) -> list[Path]:
    """Everything under .nomagic/, and the files right next to a DuckDB warehouse (not its own file)."""
    out = []
    folder = state_folder(wh)
    if folder.is_dir():
        out += [p for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in _SKIP_FILES]
    db = warehouse_file(wh)
    if db is not None and db.parent.is_dir():
        own = {db.name, db.name + ".wal"}
        for p in sorted(db.parent.iterdir()):
            if p.is_file() and p.name not in own and not p.name.startswith(".") and not _is_database(p):
                out.append(p)
    return [p for p in dict.fromkeys(out) if not p.is_symlink()]


def _is_database(path: Path) -> bool:
    """Another warehouse (not ours to rewrite) or an embeddings cache (handled by :func:`cache_hits`)."""
    return path.suffix.lower() in (".duckdb", ".db", ".sqlite", ".sqlite3", ".wal")


def file_format(path: Path) -> str:
    """``csv``, ``parquet``, ``jsonl``, ``json`` or ``text``, by the file's name."""
    name = path.name.lower()
    for suffix, kind in (
        (".parquet", "parquet"),
        (".pq", "parquet"),
        (".csv", "csv"),
        (".tsv", "csv"),
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".json", "json"),
    ):
        if name.endswith(suffix):
            return kind
    return "text"


def scan_file(path: Path, cid: str, linked: dict[str, set[str]]) -> FileHit | None:
    """What ``path`` holds about the person (``linked``: key column -> the keys of their rows), or None."""
    kind = file_format(path)
    if kind == "parquet":
        return _scan_parquet(path, cid, linked)
    needles = [cid] + ([v for vals in linked.values() for v in vals] if kind in ("csv", "jsonl") else [])
    if not _has_any(path, needles):
        return None
    if kind == "csv":
        return _scan_csv(path, cid, linked)
    if kind == "jsonl":
        return _scan_jsonl(path, cid, linked)
    if kind == "json":
        return _scan_json(path, cid)
    return scan_text(path, cid)


def _row_holds(row: dict, cid: str, linked: dict[str, set[str]]) -> bool:
    """A record about the person: the id in any field, or a key of their rows in the field of that name."""
    for k, v in row.items():
        if v is None or (isinstance(v, float) and v != v):
            continue
        text = str(int(v) if isinstance(v, float) and v.is_integer() else v).strip()
        if text == cid or text in linked.get(k, ()):
            return True
    return False


def _float_text(v) -> str | None:
    return None if v != v else (str(int(v)) if float(v).is_integer() else str(v))


def _frame_mask(frame: pd.DataFrame, cid: str, linked: dict[str, set[str]]) -> pd.Series:
    """:func:`_row_holds` for every row of a frame, by column (fast on big score exports)."""
    mask = pd.Series(False, index=frame.index)
    for col in frame.columns:
        s = frame[col]
        if s.dtype.kind == "f":  # 42.0 is the id 42
            text = pd.Series([_float_text(v) for v in s], index=s.index, dtype="string")
        elif s.dtype.kind in "iuOSU" or str(s.dtype) == "string":
            text = s.astype("string").str.strip()
        else:  # times, booleans: never an id
            continue
        hit = text.eq(cid)
        if str(col) in linked:
            hit = hit | text.isin(linked[str(col)])
        mask |= hit.fillna(False).astype(bool)
    return mask


def _scan_parquet(path: Path, cid: str, linked) -> FileHit | None:
    try:
        frame = pq.read_table(path).to_pandas()
    except Exception:  # not Parquet after all: a whole-word search
        return scan_text(path, cid)
    mask = _frame_mask(frame, cid, linked)
    if not mask.any():
        return None
    return FileHit(path, "parquet", int(mask.sum()), records(frame[mask]))


def _read_csv(path: Path) -> tuple[list[str], list[list[str]], csv.Dialect | type[csv.Dialect], str]:
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    newline = "\r\n" if "\r\n" in text[:65536] else "\n"
    try:
        dialect = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(text.splitlines(), dialect))
    return (rows[0] if rows else []), rows[1:], dialect, newline


def _scan_csv(path: Path, cid: str, linked) -> FileHit | None:
    header, rows, _, _ = _read_csv(path)
    hits = [
        dict(zip(header, r, strict=False)) for r in rows if _row_holds(dict(zip(header, r, strict=False)), cid, linked)
    ]
    if not hits:
        return scan_text(path, cid)  # the id inside a longer field: shown, but not a row of theirs
    return FileHit(path, "csv", len(hits), hits)


def _scan_jsonl(path: Path, cid: str, linked) -> FileHit | None:
    """Lines that are records about them (top-level value), plus lines that hold them deeper (pruned)."""
    hits, deeper, broken = [], 0, 0
    for line in path.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            broken += bool(re.search(_WORD.format(re.escape(cid)), line))
            continue
        if isinstance(obj, dict) and _row_holds(obj, cid, linked):
            hits.append(obj)
        elif mentions(obj, {cid}):
            deeper += 1
    if not hits and not deeper and not broken:
        return scan_text(path, cid)
    return FileHit(path, "jsonl", len(hits) + deeper + broken, hits, rewritable=not broken)


def _is_id(value, cid: str) -> bool:
    return not isinstance(value, (dict, list)) and mentions(value, {cid})


def _about(value, cid: str) -> bool:
    """A JSON value that is the id, or a record (a dict) with the id as one of its own values."""
    return _is_id(value, cid) or (isinstance(value, dict) and any(_is_id(v, cid) for v in value.values()))


def _prune(value, cid: str):
    """A JSON value without the person: list items that are about them, dict entries keyed by or equal to
    their id; containers that only hold them deeper (a segment's member list) stay, without them."""
    if isinstance(value, dict):
        return {k: _prune(v, cid) for k, v in value.items() if k != cid and not _is_id(v, cid)}
    if isinstance(value, list):
        return [_prune(v, cid) for v in value if not _about(v, cid)]
    return value


def _scan_json(path: Path, cid: str) -> FileHit | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return scan_text(path, cid)
    pruned = _prune(doc, cid)
    left = re.findall(_WORD.format(re.escape(cid)), json.dumps(pruned, ensure_ascii=False))
    whole = re.findall(_WORD.format(re.escape(cid)), json.dumps(doc, ensure_ascii=False))
    if not whole:
        return None
    return FileHit(path, "json", len(whole), None, rewritable=not left)


def scan_text(path: Path, cid: str) -> FileHit | None:
    data = path.read_bytes()
    if b"\0" in data[:8192]:  # binary (a model, an image): nomagic writes no ids into those
        return None
    n = len(re.findall(_WORD.format(re.escape(cid)).encode(), data))
    return FileHit(path, "text", n, None, rewritable=False) if n else None


def rewrite(hit: FileHit, cid: str, linked) -> Path:
    """The file without the person, written next to it under a temporary name (swapped in after the commit)."""
    fd, tmp = tempfile.mkstemp(dir=hit.path.parent, prefix=f".{hit.path.name}.erase-")
    os.close(fd)
    tmp = Path(tmp)
    try:
        if hit.format == "parquet":
            table = pq.read_table(hit.path)
            keep = ~_frame_mask(table.to_pandas(), cid, linked)
            pq.write_table(table.filter(pa.array(keep.to_numpy(dtype=bool))), tmp)
        elif hit.format == "csv":
            header, rows, dialect, newline = _read_csv(hit.path)
            with open(tmp, "w", encoding="utf-8", errors="surrogateescape", newline="") as fh:
                w = csv.writer(fh, dialect, lineterminator=newline)
                w.writerow(header)
                w.writerows(r for r in rows if not _row_holds(dict(zip(header, r, strict=False)), cid, linked))
        elif hit.format == "jsonl":
            lines = hit.path.read_text(encoding="utf-8", errors="surrogateescape").splitlines(keepends=True)
            with open(tmp, "w", encoding="utf-8", errors="surrogateescape", newline="") as fh:
                for line in lines:
                    obj = json.loads(line) if line.strip() else None
                    if obj is None or not mentions(obj, {cid} | set().union(*linked.values(), set())):
                        fh.write(line)
                    elif not (isinstance(obj, dict) and _row_holds(obj, cid, linked)):
                        fh.write(json.dumps(_prune(obj, cid), ensure_ascii=False) + "\n")
        else:  # json
            doc = json.loads(hit.path.read_text(encoding="utf-8"))
            tmp.write_text(json.dumps(_prune(doc, cid), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.chmod(tmp, hit.path.stat().st_mode & 0o777)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _cache_files(wh: Warehouse) -> list[Path]:
    """The sentence-embedding caches: the default one (``$NOMAGIC_CACHE/embeddings``, as
    ``nomagic.usecases.language.embeddings`` keeps it) and any under .nomagic/."""
    base = os.environ.get("NOMAGIC_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "nomagic")
    paths = [Path(base) / "embeddings" / "embeddings.sqlite"]
    folder = state_folder(wh)
    if folder.is_dir():
        paths += sorted(folder.rglob("*.sqlite"))
    return [p for p in dict.fromkeys(paths) if p.is_file()]


def _texts(found: Found) -> set[str]:
    """The texts the person wrote (a ``text`` column of their rows: reviews, tickets)."""
    out = set()
    for rows in found.rows.values():
        if "text" in rows.columns:
            out |= {str(t) for t in rows["text"].dropna()}
    return out


def cache_hits(wh: Warehouse, found: Found) -> list[dict]:
    keys = sorted({hashlib.sha256(t.encode("utf-8")).hexdigest() for t in _texts(found)})
    if not keys:
        return []
    out = []
    for path in _cache_files(wh):
        with contextlib.closing(sqlite3.connect(path, timeout=60)) as db:
            try:
                n = sum(
                    db.execute(
                        f"SELECT count(*) FROM vectors WHERE key IN ({','.join('?' * len(part))})", part
                    ).fetchone()[0]
                    for part in (keys[i : i + 900] for i in range(0, len(keys), 900))
                )
            except sqlite3.DatabaseError:  # not an embeddings cache
                continue
        if n:
            out.append({"path": str(path), "entries": int(n), "keys": keys})
    return out


def drop_cached(hits: list[dict]) -> int:
    dropped = 0
    for hit in hits:
        keys = hit["keys"]
        with contextlib.closing(sqlite3.connect(hit["path"], timeout=60)) as db:
            db.execute("PRAGMA secure_delete = ON")  # overwrite the freed pages, not only unlink them
            for i in range(0, len(keys), 900):
                part = keys[i : i + 900]
                dropped += db.execute(f"DELETE FROM vectors WHERE key IN ({','.join('?' * len(part))})", part).rowcount
            db.commit()
    return dropped
