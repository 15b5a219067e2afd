"""Findings and verdicts: what every readiness check returns.

A check ends in a plain verdict (``ready``, ``ready with warnings``, ``not ready``) with its reasons.
Each reason is a :class:`Finding` with a level: ``blocker`` (the verdict is *not ready*), ``warning``
(*ready with warnings*) or ``info`` (says why something is fine; does not change the verdict). Its
message is a :class:`~nomagic.words.Text`, so it reads in English and German; the verdict and the
level stay English codes in records.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nomagic.words import Text, localise, say

SCHEMA_VERSION = 1
READY, WARNINGS, NOT_READY = "ready", "ready with warnings", "not ready"
LEVELS = ("info", "warning", "blocker")


@dataclass
class Finding:
    """One reason for the verdict: ``level`` is info, warning or blocker; ``subject`` what it is about.

    ``subject`` is a table or column name (kept as it is) or a Text; ``message`` a Text.
    """

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


def by_level(findings: Sequence[Finding]) -> list[Finding]:
    """The findings, blockers first, then warnings, then infos (stable within a level)."""
    order = {"blocker": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: order[f.level])


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, Result):  # the verdict up front, the findings blockers first
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
    return value  # a Text stays a Text here, so that localise can add its German


class Result:
    """Shared by the readiness results: a verdict, its reasons, and JSON output (HTML: report.readiness)."""

    findings: list[Finding]

    @property
    def verdict(self) -> str:
        return verdict_of(self.findings)

    @property
    def reasons(self) -> list[Finding]:
        """The findings, blockers first."""
        return by_level(self.findings)

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON types; ``verdict`` added, ``findings`` blockers first.

        Every sentence keeps both languages: a ``message`` has its ``message_de`` next to it.
        """
        return localise(_jsonable(self))

    def to_json(self, path: str | Path | None = None) -> str:
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text


# -- small helpers the checks share ------------------------------------------------------------------


def naive_utc(moment: datetime | None) -> datetime:
    """``moment`` (default now) in UTC without a time zone, as the warehouse stores times."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def timestamp(value) -> pd.Timestamp | None:
    """A naive UTC timestamp, or None for a missing value."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def days(delta: timedelta | pd.Timedelta) -> float:
    return round(delta.total_seconds() / 86400, 2)


def day(iso: str | None) -> date | None:
    """The date of an ISO timestamp string (so that ``say`` writes it per language)."""
    return None if not iso else date.fromisoformat(iso[:10])


def rows_text(n: int, kind: str = "row") -> Text:
    """``"1 row"`` / ``"1,234 rows"`` in both languages; ``kind`` is ``row`` or ``source row``."""
    words = {
        "row": ("row", "rows", "Zeile", "Zeilen"),
        "source row": ("source row", "source rows", "Quellzeile", "Quellzeilen"),
    }[kind]
    en, de = (words[0], words[2]) if n == 1 else (words[1], words[3])
    return say("{n:,} " + en, "{n:,} " + de, n=n)
