"""Is a user's labelled table ready for a first honest model? (``nomagic check --data``)

The questions of the warehouse check, asked of one plain file (CSV, Parquet, JSON lines): label
balance, missing values, duplicates, constant and id-like columns, leakage, and — with a time
column — how the rows span time, so that the model is judged on a time-based holdout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from nomagic.errors import InputError
from nomagic.warehouse.file_typing import blank_to_na, fingerprint, is_id, read_table, to_datetime, type_columns
from nomagic.warehouse.findings import SCHEMA_VERSION, Finding, Result, days, naive_utc, rows_text
from nomagic.warehouse.label_checks import LabelStats, balance_findings, label_stats, leak_findings
from nomagic.warehouse.leakage import LeakageReport, column_kind, leakage_suspects
from nomagic.words import join, say

#: Defaults of the plain-file check.
MIN_ROWS = 50
FEW_ROWS = 500
MIN_MINORITY = 20
RARE_SHARE = 0.05
MOSTLY_EMPTY = 0.5

#: Subjects of the findings that are not a column.
_ROWS = say("rows", "Zeilen")
_SPLIT = say("split", "Aufteilung")
_MISSING = say("missing values", "fehlende Werte")
_DUPLICATES = say("duplicates", "Duplikate")
_LEAKAGE = say("leakage", "Leakage")


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
class FileReadiness(Result):
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


def _missing_column(path: Path, what: str, name: str, columns: Sequence[str]) -> InputError:
    return InputError(
        say(
            "{path}: has no column {name!r} (given as {what}); its columns are: {columns}",
            "{path}: hat keine Spalte {name!r} (angegeben mit {what}); ihre Spalten: {columns}",
            path=path,
            name=name,
            what=what,
            columns=", ".join(columns),
        )
    )


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
            raise InputError(
                say(
                    "{path}: --drop {d} would remove the label column",
                    "{path}: --drop {d} würde die Label-Spalte entfernen",
                    path=path,
                    d=d,
                )
                if d == label
                else say(
                    "{path}: --drop {d} would remove the time column",
                    "{path}: --drop {d} würde die Zeitspalte entfernen",
                    path=path,
                    d=d,
                )
            )

    df, notes = type_columns(raw, keep_text=(label,))
    rows = len(df)
    now_ = naive_utc(now)
    y = df[label]
    if pd.api.types.is_string_dtype(y) or pd.api.types.is_object_dtype(y):
        num = pd.to_numeric(y, errors="coerce")
        if num.notna().sum() == y.notna().sum():  # a 0/1 or numeric label stored as text
            df[label] = y = num
    stats = label_stats(y, label)
    stats.column = label

    result = FileReadiness(
        source=str(path),
        fingerprint=fingerprint(path),
        rows=rows,
        label_column=label,
        label=stats,
        dropped_columns=list(drop),
        checked_at=now_.isoformat(timespec="seconds"),
    )
    out = result.findings
    add = lambda level, subject, msg: out.append(Finding(level, subject, msg))  # noqa: E731

    if time is not None:
        _check_time(result, df, raw, time, path, add)
    else:
        add(
            "info",
            _SPLIT,
            say(
                "no time column: a stratified split (or cross-validation) with a fixed seed is the honest choice",
                "keine Zeitspalte: eine geschichtete Aufteilung (oder Kreuzvalidierung) mit festem Seed ist die "
                "ehrliche Wahl",
            ),
        )

    # rows and label
    if rows < MIN_ROWS:
        add(
            "blocker",
            _ROWS,
            say(
                "only {n:,} rows: too few to learn from or to measure a model",
                "nur {n:,} Zeilen: zu wenige, um daraus zu lernen oder ein Modell zu messen",
                n=rows,
            ),
        )
    elif rows < FEW_ROWS:
        add(
            "warning",
            _ROWS,
            say(
                "only {n:,} rows: any measured difference will have a wide confidence interval",
                "nur {n:,} Zeilen: jeder gemessene Unterschied hat ein breites Konfidenzintervall",
                n=rows,
            ),
        )
    out.extend(
        balance_findings(
            stats,
            say("label {label}", "Label {label}", label=label),
            min_labels=MIN_ROWS,
            min_minority=MIN_MINORITY,
            warn_share=RARE_SHARE,
        )
    )

    features = [c for c in df.columns if c not in (label, time) and c not in drop]
    _check_columns(result, df, features, notes, time, add)
    _check_duplicates(result, raw, add)

    # leakage
    if stats.rows and stats.kind != "empty" and (stats.kind == "numeric" or len(stats.classes) >= 2):
        frame = df.drop(columns=list(drop) + result.id_columns)
        result.leakage = leakage_suspects(frame, label, exclude=(time,) if time else (), cutoff=time)
        out.extend(leak_findings(result.leakage, _LEAKAGE))
    return result


def _check_time(result: FileReadiness, df: pd.DataFrame, raw: pd.DataFrame, time: str, path: Path, add) -> None:
    """The time column: parsed, its span, and the split it calls for."""
    parsed = df[time] if pd.api.types.is_datetime64_any_dtype(df[time]) else to_datetime(blank_to_na(raw[time]))
    unparsed = int(parsed.isna().sum() - blank_to_na(raw[time]).isna().sum())
    if parsed.notna().sum() == 0:
        raise InputError(
            say(
                "{path}: column {time!r} (given as --time) holds no dates (e.g. {example!r})",
                "{path}: Spalte {time!r} (angegeben mit --time) enthält keine Datumswerte (z. B. {example!r})",
                path=path,
                time=time,
                example=raw[time].iloc[0],
            )
        )
    df[time] = parsed
    first, last = parsed.min(), parsed.max()
    result.time = TimeCoverage(time, first.isoformat(), last.isoformat(), days(last - first), unparsed)
    add(
        "info",
        time,
        say(
            "rows span {first} to {last} ({days:,.0f} days): judge models on a time-based holdout (train on the "
            "past, test on the later rows)",
            "die Zeilen reichen vom {first} bis {last} ({days:,.0f} Tage): Modelle auf einem zeitbasierten "
            "Testzeitraum beurteilen (auf der Vergangenheit trainieren, auf den späteren Zeilen testen)",
            first=first.date(),
            last=last.date(),
            days=days(last - first),
        ),
    )
    if unparsed:
        add(
            "warning",
            time,
            say(
                "{n:,} values are not dates and were read as missing",
                "{n:,} Werte sind keine Datumswerte und wurden als fehlend gelesen",
                n=unparsed,
            ),
        )


def _check_columns(result: FileReadiness, df: pd.DataFrame, features: list[str], notes: dict, time, add) -> None:
    """Ids, empty, constant and mostly blank columns, and what typing the text did."""
    label, rows = result.label_column, result.rows
    for c in features:
        if is_id(df[c], rows):
            result.id_columns.append(c)
    for c in result.id_columns:
        add(
            "info",
            c,
            say(
                "is an id (unique per row): left out of the check; name it with --id when evaluating",
                "ist eine ID (eindeutig je Zeile): bei der Prüfung ausgelassen; beim Evaluieren mit --id angeben",
            ),
        )
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
            add("warning", c, say("is empty: drop it", "ist leer: weglassen"))
        elif distinct <= 1 and not missing:  # one value and blanks is a yes/no flag, not a constant
            result.constant_columns.append(c)
            add(
                "warning",
                c,
                say(
                    "holds a single value ({value!r}): it carries no information; drop it",
                    "enthält nur einen Wert ({value!r}): keine Information; weglassen",
                    value=s.dropna().iloc[0],
                ),
            )
        elif missing / rows > MOSTLY_EMPTY:
            add(
                "warning",
                c,
                say(
                    "is mostly blank ({share:.0%} of rows): check how it was recorded",
                    "ist größtenteils leer ({share:.0%} der Zeilen): prüfen, wie sie erfasst wurde",
                    share=missing / rows,
                ),
            )
        if c in notes:
            level = "warning" if "not numbers" in notes[c] else "info"
            add(level, c, notes[c])
    partly = [c for c in result.columns if c.kind not in ("label",) and 0 < c.missing_share <= MOSTLY_EMPTY]
    if partly:
        listed = join(
            [
                say(
                    "{name} {n:,} ({share:.1%})",
                    "{name} {n:,} ({share:.1%})",
                    name=c.name,
                    n=c.missing,
                    share=c.missing_share,
                )
                for c in partly[:6]
            ],
            ", ",
        )
        more = len(partly) - 6
        add(
            "info",
            _MISSING,
            say("blanks in {n} column(s): {listed}", "Lücken in {n} Spalte(n): {listed}", n=len(partly), listed=listed)
            + (say(" and {more} more", " und {more} weitere", more=more) if more > 0 else ""),
        )
    elif not any(c.missing for c in result.columns):
        add("info", _MISSING, say("no blanks in any column", "in keiner Spalte fehlen Werte"))


def _check_duplicates(result: FileReadiness, raw: pd.DataFrame, add) -> None:
    """Exact copies, and rows equal but for their id."""
    result.duplicate_rows = n = int(raw.duplicated().sum())
    if n:
        add(
            "warning",
            _DUPLICATES,
            say(
                "{rows} " + ("is an exact copy" if n == 1 else "are exact copies") + " of another: remove them "
                "before splitting, or the test set repeats the training set",
                "{rows} " + ("ist eine exakte Kopie" if n == 1 else "sind exakte Kopien") + " einer anderen: vor "
                "dem Aufteilen entfernen, sonst wiederholt die Testmenge die Trainingsmenge",
                rows=rows_text(n),
            ),
        )
    if not result.id_columns:
        return
    result.duplicates_ignoring_ids = n = int(raw.drop(columns=result.id_columns).duplicated().sum())
    if not n:
        return
    share = n / result.rows
    why = (
        say(
            "the same unit entered twice? de-duplicate before splitting",
            "dieselbe Einheit doppelt erfasst? vor dem Aufteilen Duplikate entfernen",
        )
        if share >= 0.01
        else say(
            "few enough to be look-alike units rather than copies",
            "so wenige, dass es eher ähnliche Einheiten als Kopien sind",
        )
    )
    add(
        "warning" if share >= 0.01 else "info",
        _DUPLICATES,
        say(
            "{rows} ({share:.1%}) equal another row in everything but their id ({ids}): {why}",
            "{rows} ({share:.1%}) gleichen einer anderen Zeile in allem außer der ID ({ids}): {why}",
            rows=rows_text(n),
            share=share,
            ids=", ".join(result.id_columns),
            why=why,
        ),
    )
