"""Drift by feature, kept per period: the warehouse table ``monitor_features``.

Each monitored period of :func:`nomagic.monitor.models.monitor_models` carries, for every column of
the champion, how far the column's contribution to the log-odds moved against the reference
(``shift``, Wasserstein-1 in log-odds), the reference's bootstrap noise of that move
(``shift_noise``), the column's PSI with its noise, and its importance (share of the model's use
of it). :func:`log_features` keeps them, one row per (use case, version, period, column), so the
Monitoring page and ``GET /api/v1/monitor/features`` can show *which* columns moved, next to the
period figures of ``monitor_periods``.
"""

from __future__ import annotations

import pandas as pd

from nomagic.errors import InputError
from nomagic.words import say

FEATURES_TABLE = "monitor_features"

#: the table's columns and their types (typed, so that every write has the same schema)
SCHEMA = {
    "use_case": "string",
    "version": "string",
    "period": "string",
    "column": "string",
    "importance": "float64",
    "shift": "float64",
    "shift_noise": "float64",
    "psi": "float64",
    "psi_noise": "float64",
    "beyond_noise": "bool",
}
_KEY = ["use_case", "version", "period"]
_NUMBERS = ("importance", "shift", "shift_noise", "psi", "psi_noise")


def _docs(doc: dict) -> list[dict]:
    return doc["use_cases"] if "use_cases" in doc else [doc]


def _typed(rows: pd.DataFrame) -> pd.DataFrame:
    out = rows.reindex(columns=list(SCHEMA))
    for c in _NUMBERS:
        out[c] = pd.to_numeric(out[c], errors="coerce")
    # a column above its noise: what the page marks (a missing value counts as not above)
    out["beyond_noise"] = (out["shift"] > out["shift_noise"]).fillna(False)
    return out.astype(SCHEMA)


def feature_rows(doc: dict) -> pd.DataFrame:
    """One row per use case, version, period and column of a :func:`monitor_models` (or
    :func:`monitor_champion`) document; periods too small to monitor (no ``input_drift``) have none."""
    rows = []
    for d in _docs(doc):
        for p in d.get("periods", []):
            for f in (p.get("input_drift") or {}).get("features") or []:
                if not f.get("column"):
                    raise InputError(
                        say(
                            "{uc} {v}, period to {t}: a feature of input_drift has no column name",
                            "{uc} {v}, Zeitraum bis {t}: ein Merkmal in input_drift hat keinen Spaltennamen",
                            uc=d["use_case"],
                            v=d["version"],
                            t=pd.Timestamp(p["as_of"][:10]),
                        )
                    )
                rows.append(
                    {
                        "use_case": d["use_case"],
                        "version": d["version"],
                        "period": p["as_of"][:10],
                        "column": str(f["column"]),
                        **{k: f.get(k) for k in _NUMBERS},
                    }
                )
    return _typed(pd.DataFrame(rows, columns=list(SCHEMA)))


def _monitored(doc: dict) -> pd.DataFrame:
    """(use case, version, period) of every period the document monitored, with or without features."""
    keys = [(d["use_case"], d["version"], p["as_of"][:10]) for d in _docs(doc) for p in d.get("periods", [])]
    return pd.DataFrame(keys, columns=_KEY).drop_duplicates()


def log_features(wh, doc: dict) -> int:
    """Keep the document's drift by feature in ``monitor_features``; returns how many rows it wrote.

    A period monitored again replaces all its rows (also with none, when it became too small to
    monitor); the table is rewritten in one write, so a reader never sees half of it."""
    new = feature_rows(doc)
    n = len(new)
    done = _monitored(doc)
    if not len(done):
        return 0
    if wh.has(FEATURES_TABLE):
        old = wh.table(FEATURES_TABLE).execute()
        if len(old):
            old = _typed(old)
            keep = old.merge(done, on=_KEY, how="left", indicator=True)["_merge"] == "left_only"
            if not len(new) and keep.all():
                return 0  # nothing to add and nothing to replace
            new = pd.concat([old[keep.to_numpy()], new], ignore_index=True)
    elif not len(new):
        return 0
    out = new.sort_values([*_KEY, "importance"], ascending=[True, True, True, False], kind="stable")
    wh.write(FEATURES_TABLE, _typed(out.reset_index(drop=True)))
    return int(n)
