"""A user's plain file read and typed: blanks, numbers and dates stored as text, ids.

CSV columns arrive as text; :func:`type_columns` decides what each holds (numbers, German decimals,
dates) and notes what it did, so the readiness check and ``nomagic evaluate`` read the file alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from nomagic.errors import InputError
from nomagic.words import Text, join, say

_NULLS = {"", "na", "n/a", "nan", "null", "none", "#n/a", "-"}


def read_table(path: str | Path, *, encoding: str | None = None, delimiter: str | None = None) -> pd.DataFrame:
    """Read a CSV (encoding and delimiter detected), Parquet or JSON-lines file into pandas.

    CSV columns stay text here; :func:`type_columns` decides what they hold.
    """
    import duckdb

    from nomagic.warehouse.sources import source_kind, stage_file

    path = Path(path)
    if source_kind(str(path)) == "database":
        raise InputError(
            say(
                "{path}: `check --data` reads files (CSV, Parquet, JSON lines); load a database table first",
                "{path}: `check --data` liest Dateien (CSV, Parquet, JSON Lines); eine Datenbanktabelle zuerst laden",
                path=path,
            )
        )
    duck = duckdb.connect()
    try:
        stage_file(duck, str(path), "_nm_check", encoding=encoding, delimiter=delimiter)
        df = duck.execute("SELECT * FROM _nm_check").df()
    finally:
        duck.close()
    if df.empty:
        raise InputError(
            say(
                "{path}: has a header but no rows; there is nothing to check",
                "{path}: hat eine Kopfzeile, aber keine Zeilen; es gibt nichts zu prüfen",
                path=path,
            )
        )
    return df


def blank_to_na(s: pd.Series) -> pd.Series:
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


def to_datetime(text: pd.Series) -> pd.Series:
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
    parsed = to_datetime(sample)
    return parsed.notna().mean() >= 0.95


def type_columns(df: pd.DataFrame, *, keep_text: Sequence[str] = ()) -> tuple[pd.DataFrame, dict[str, str]]:
    """Blanks to missing; numbers and dates stored as text to numbers and dates. Returns notes per column."""
    out = {}
    notes: dict[str, str] = {}
    for col in df.columns:
        s = blank_to_na(df[col])
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
                parts.append(_blanks(blanks))
            if len(bad):
                parts.append(
                    say(
                        "{n:,} values are not numbers (e.g. {examples}) and were read as missing",
                        "{n:,} Werte sind keine Zahlen (z. B. {examples}) und wurden als fehlend gelesen",
                        n=len(bad),
                        examples=", ".join(repr(v) for v in bad.unique()[:3]),
                    )
                )
            if parts and _was_text(df[col]):
                notes[col] = say(
                    "numbers stored as text: {parts}", "Zahlen als Text gespeichert: {parts}", parts=join(parts, "; ")
                )
            continue
        if _looks_like_dates(s):
            out[col] = to_datetime(s)
            continue
        out[col] = s
        if blanks:
            notes[col] = _blanks(blanks)
    return pd.DataFrame(out, index=df.index), notes


def _blanks(n: int) -> Text:
    return say("{n:,} blank values read as missing", "{n:,} leere Werte als fehlend gelesen", n=n)


def _was_text(s: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)


def fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def is_id(s: pd.Series, rows: int) -> bool:
    """Unique per row and text or whole numbers: an identifier, not a feature."""
    if rows < 20 or pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        return False
    known = s.dropna()
    if len(known) < 0.95 * rows or known.nunique() != len(known):
        return False
    if pd.api.types.is_numeric_dtype(known):
        return bool((known % 1 == 0).all())
    return True
