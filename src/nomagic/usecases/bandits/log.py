"""Log bandit decisions into the warehouse's canonical ``decisions`` table.

Every decision the system makes is kept with the probability it had (its propensity), so that any
future policy can be judged on it off-policy (see :mod:`.ope`). Rewards arrive later; log them as
``None`` and fill them in when the outcome is known.

No decision about a customer who may not be profiled (or, for an e-mail decision, e-mailed) is logged:
:func:`log_decisions` asks :mod:`nomagic.privacy.consent` and leaves such rows out (units that are not
known customers, e.g. sessions, are kept); ``attrs["left_out"]`` of the returned rows says how many.

Examples
--------
>>> from nomagic.warehouse import connect
>>> from nomagic.usecases.bandits import ThompsonSampling
>>> wh = connect("duckdb://:memory:")
>>> ts = ThompsonSampling(["A", "B"], seed=0)
>>> frame = log_decisions(wh, [ts.decide() for _ in range(3)], use_case="subject_lines",
...                       model_version="ts-v1", unit_ids=["c1", "c2", "c3"])
>>> wh.table("decisions").count().execute()
3
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from nomagic.errors import InputError
from nomagic.privacy import consent
from nomagic.usecases.bandits.policies import Decision
from nomagic.words import say

COLUMNS = ("decision_id", "occurred_at", "use_case", "unit_id", "action", "propensity", "model_version", "reward")


def decisions_frame(
    decisions,
    *,
    use_case: str,
    model_version: str,
    unit_ids=None,
    occurred_at=None,
    rewards=None,
    decision_ids=None,
) -> pd.DataFrame:
    """The rows for the ``decisions`` table (canonical columns, in order).

    ``decisions`` is a list of :class:`~.policies.Decision` or a frame with ``action`` and
    ``propensity`` columns. ``occurred_at`` defaults to now (UTC, stored without zone as the other
    tables), ``decision_ids`` to random UUIDs, ``rewards`` to missing (not known yet).
    """
    if isinstance(decisions, pd.DataFrame):
        missing = {"action", "propensity"} - set(decisions.columns)
        if missing:
            raise InputError(
                say(
                    "the decisions lack the column(s) {cols}",
                    "Den Entscheidungen fehlt/fehlen die Spalte(n) {cols}",
                    cols=", ".join(sorted(missing)),
                )
            )
        actions = decisions["action"].tolist()
        props = decisions["propensity"].to_numpy(float)
    else:
        decisions = list(decisions)
        if not all(isinstance(d, Decision) for d in decisions):
            raise InputError(
                say(
                    "give a list of Decision objects (from a policy's decide()) or a frame",
                    "Eine Liste von Decision-Objekten (aus decide() einer Strategie) oder einen DataFrame angeben",
                )
            )
        actions = [d.action for d in decisions]
        props = np.array([d.propensity for d in decisions], dtype=float)
    n = len(actions)
    if n and (np.isnan(props).any() or (props <= 0).any() or (props > 1).any()):
        i = int(np.flatnonzero(np.isnan(props) | (props <= 0) | (props > 1))[0])
        raise InputError(
            say(
                "decision {i} has propensity {p}; every logged decision needs a probability in (0, 1]",
                "Entscheidung {i} hat die Propensity {p}; jede protokollierte Entscheidung braucht eine "
                "Wahrscheinlichkeit in (0, 1]",
                i=i + 1,
                p=float(props[i]),
            )
        )
    now = pd.Timestamp(datetime.now(UTC).replace(tzinfo=None))
    when = pd.to_datetime(pd.Series([now] * n if occurred_at is None else list(np.broadcast_to(occurred_at, n))))
    if getattr(when.dt, "tz", None) is not None:
        when = when.dt.tz_convert("UTC").dt.tz_localize(None)
    units = [None] * n if unit_ids is None else [None if u is None else str(u) for u in unit_ids]
    if len(units) != n:
        raise InputError(
            say("{k} unit ids for {n} decisions", "{k} Einheiten-IDs für {n} Entscheidungen", k=len(units), n=n)
        )
    r = np.full(n, np.nan) if rewards is None else np.asarray(rewards, dtype=float).ravel()
    if r.size != n:
        raise InputError(say("{k} rewards for {n} decisions", "{k} Belohnungen für {n} Entscheidungen", k=r.size, n=n))
    ids = [f"D-{uuid.uuid4().hex}" for _ in range(n)] if decision_ids is None else [str(x) for x in decision_ids]
    return pd.DataFrame(
        {
            "decision_id": pd.Series(ids, dtype=object),
            "occurred_at": when.astype("datetime64[us]"),
            "use_case": pd.Series([use_case] * n, dtype=object),
            "unit_id": pd.Series(units, dtype=object),
            "action": pd.Series([str(a) for a in actions], dtype=object),
            "propensity": props,
            "model_version": pd.Series([model_version] * n, dtype=object),
            "reward": r,
        }
    )


def log_decisions(wh, decisions, *, use_case: str, model_version: str, table: str = "decisions", **kw) -> pd.DataFrame:
    """Append decisions to the warehouse's ``decisions`` table (created on first use); returns the rows written.

    Columns the table has beyond the canonical ones (e.g. the simulator's ``message_id``) are
    filled with blanks. Keyword arguments go to :func:`decisions_frame`. Decisions about customers the
    privacy policy does not allow for this use case are left out (``attrs["left_out"]`` says how many).
    """
    df = decisions_frame(decisions, use_case=use_case, model_version=model_version, **kw)
    if df["unit_id"].notna().any():
        df, _ = consent.keep_allowed(wh, df, consent.decision_purposes(use_case), id_col="unit_id", unknown=True)
        if df.empty:  # every decision was about someone who may not be profiled: nothing to log
            return df
    if wh.has(table):
        schema = wh.table(table).schema()
        for name in schema.names:
            if name not in df.columns:
                df[name] = pd.Series([None] * len(df), dtype=object)
        extra = [c for c in df.columns if c not in schema.names]
        if extra:
            raise InputError(
                say(
                    "the table {t!r} lacks the column(s) {cols}",
                    "Der Tabelle {t!r} fehlt/fehlen die Spalte(n) {cols}",
                    t=table,
                    cols=", ".join(extra),
                )
            )
        import ibis

        df = df[list(schema.names)]
        expr = ibis.memtable(df).cast(schema)
        wh.append(table, expr)
    else:
        wh.append(table, df)
    return df


__all__ = ["COLUMNS", "decisions_frame", "log_decisions"]
