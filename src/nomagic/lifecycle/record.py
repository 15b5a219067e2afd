"""The evaluation record: one JSON document per evaluation, read by the CLI, report, registry and dashboard.

The schema is documented in docs/evaluation-record.md; :data:`SCHEMA` is its version. Required
keys are those of DESIGN.md; nomagic adds optional sections (``curves``, ``drivers``, ``fairness``,
``backtest``, ``model``, ``baseline``, ``warnings``) that readers may ignore.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from nomagic.errors import InputError, writable
from nomagic.lifecycle.metrics import METRICS
from nomagic.words import localise, say

SCHEMA = 1
VERDICTS = ("promoted", "not better than baseline", "not ready")
REQUIRED = (
    "schema",
    "use_case",
    "nomagic_version",
    "created_at",
    "data",
    "split",
    "primary_metric",
    "metrics",
    "params",
    "verdict",
    "explanation",
)


def _version() -> str:
    from nomagic import __version__

    return __version__


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def fingerprint_file(path) -> str:
    """``sha256:<hex>`` of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return f"sha256:{h.hexdigest()}"


def fingerprint_frame(df: pd.DataFrame) -> str:
    """``sha256:<hex>`` of a frame's content (values, column names and order; not the index)."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, df.columns)).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return f"sha256:{h.hexdigest()}"


def make_record(
    *,
    use_case: str,
    data: dict,
    split: dict,
    primary_metric: str,
    metrics: dict,
    verdict: str,
    explanation: str,
    params: dict | None = None,
    **extra,
) -> dict:
    """Assemble a record; ``extra`` holds the optional sections."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}")
    rec = {
        "schema": SCHEMA,
        "use_case": use_case,
        "nomagic_version": _version(),
        "created_at": now_iso(),
        "data": data,
        "split": split,
        "primary_metric": primary_metric,
        "metrics": metrics,
        "params": params or {},
        "verdict": verdict,
        "explanation": explanation,
    }
    rec.update({k: v for k, v in extra.items() if v is not None})
    return rec


def validate(record: dict) -> dict:
    """Check a record against the schema; returns it, or raises InputError saying what is wrong."""
    missing = [k for k in REQUIRED if k not in record]
    if missing:
        raise InputError(f"evaluation record lacks {', '.join(missing)}")
    if record["schema"] != SCHEMA:
        raise InputError(f"evaluation record schema {record['schema']} is not {SCHEMA}")
    if record["verdict"] not in VERDICTS:
        raise InputError(f"unknown verdict {record['verdict']!r}")
    for part in ("model", "baseline", "improvement"):
        if record["verdict"] != "not ready" and part not in record["metrics"]:
            raise InputError(f"evaluation record has no metrics.{part}")
        for name, m in record["metrics"].get(part, {}).items():
            if name not in METRICS:
                raise InputError(f"unknown metric name {name!r} in metrics.{part}")
            if set(m) != {"value", "ci"} or len(m["ci"]) != 2:
                raise InputError(f"metrics.{part}.{name} must be {{value, ci: [lo, hi]}}")
    return record


def write(record: dict, path) -> Path:
    path = Path(path)
    writable(path)
    path.write_text(dumps(record) + "\n")
    return path


def read(path) -> dict:
    try:
        return validate(json.loads(Path(path).read_text()))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(
            say(
                "cannot read evaluation record {p}: {e}",
                "Auswertungsbericht {p} kann nicht gelesen werden: {e}",
                p=str(path),
                e=str(exc),
            )
        ) from exc


def _json_default(o):
    import numpy as np

    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, (np.ndarray,)):
        return o.tolist()
    if isinstance(o, (datetime, pd.Timestamp)):
        return o.isoformat()
    return str(o)


def dumps(record: dict) -> str:
    """The record as JSON, every sentence in English with its German ``<key>_de`` sibling."""
    return json.dumps(localise(record), indent=2, default=_json_default)
