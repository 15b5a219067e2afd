"""Send logs for send-time optimisation: reading them, checking them, and filtering machine opens.

A send log has one row per message: who (``customer_id``), when it was sent (``sent_at``), when it was
opened (``opened_at``, blank if never) and, optionally, clicked (``clicked_at``). A user's file may
also give the open as a yes/no flag instead of a time; then machine opens cannot be told apart by
their delay and the record says so.

Machine opens
-------------
Mail-privacy proxies (Apple Mail Privacy Protection) and security scanners "open" a message seconds
after it arrives, whatever the hour. Such opens say nothing about when a person reads mail and
would teach the model that every hour is good. Two filters:

* an open within ``machine_seconds`` (default 180 s) of the send is not counted as an open;
* a customer whose opens are mostly that fast (share >= ``machine_share``, default 0.5, with at
  least ``machine_min_opens`` opens) is a *machine opener*: none of their opens count; only their
  clicks (a click needs a person) do.

A click always counts as a (human) open: :func:`engagement` returns ``opened_human = clicked or
(opened late enough and the customer is not a machine opener)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nomagic.errors import InputError
from nomagic.lifecycle.tabular import parse_times
from nomagic.usecases.features import MACHINE_OPEN_SECONDS
from nomagic.words import say

COLUMNS = ("customer_id", "sent_at", "opened_at", "clicked_at")
_TRUE = {"1", "1.0", "true", "yes", "y", "t", "ja", "wahr", "x"}
_FALSE = {"0", "0.0", "false", "no", "n", "f", "nein", "falsch", ""}


def _where(source: str | None) -> str:
    return f"{source}: " if source else ""


def is_flag(s: pd.Series) -> bool:
    """True when a column holds yes/no values (0/1, true/false, yes/no, ja/nein) rather than times."""
    if pd.api.types.is_bool_dtype(s):
        return True
    if pd.api.types.is_numeric_dtype(s):
        return bool(pd.Series(s).dropna().isin([0, 1]).all())
    if pd.api.types.is_datetime64_any_dtype(s):
        return False
    vals = pd.Series(s).dropna().astype(str).str.strip().str.lower()
    return bool(len(vals)) and bool(vals.isin(_TRUE | _FALSE).all())


def parse_flag(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return pd.Series(s).fillna(0).astype(float).to_numpy() > 0
    return pd.Series(s).fillna("").astype(str).str.strip().str.lower().isin(_TRUE).to_numpy()


def send_log(
    df: pd.DataFrame,
    id: str,
    sent: str,
    opened: str,
    clicked: str | None = None,
    segment: str | None = None,
    *,
    source: str | None = None,
) -> pd.DataFrame:
    """A user's table as a canonical send log (``customer_id, sent_at, opened_at, clicked_at, opened, clicked``
    and ``segment``), checked row by row.

    ``opened`` / ``clicked`` may be times (blank = not opened) or yes/no flags. With flags,
    ``opened_at`` is blank and ``attrs["open_times"]`` is False (no machine-open filter by delay).
    """
    for col in (id, sent, opened, clicked, segment):
        if col is not None and col not in df.columns:
            raise InputError(
                say(
                    "{where}no column {col!r}; the table has: {cols}",
                    "{where}keine Spalte {col!r}; die Tabelle hat: {cols}",
                    where=_where(source),
                    col=col,
                    cols=", ".join(map(str, df.columns[:20])),
                )
            )
    ids = df[id]
    blank = ids.isna() | (ids.astype("string").str.strip() == "")
    if blank.any():
        i = int(np.flatnonzero(blank.to_numpy())[0])
        raise InputError(
            say(
                "{where}column {col!r}, data row {row}: the customer id is blank",
                "{where}Spalte {col!r}, Datenzeile {row}: Die Kunden-ID ist leer",
                where=_where(source),
                col=id,
                row=i + 1,
            )
        )
    out = pd.DataFrame({"customer_id": ids.astype(str).str.strip().to_numpy()})
    out["sent_at"] = parse_times(df[sent], sent, source, blank_ok=False).to_numpy()
    out.attrs["open_times"] = True
    for role, col in (("opened", opened), ("clicked", clicked)):
        if col is None:
            out[f"{role}_at"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
            out[role] = False
            continue
        if is_flag(df[col]):
            out[f"{role}_at"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
            out[role] = parse_flag(df[col])
            if role == "opened":
                out.attrs["open_times"] = False
        else:
            t = parse_times(df[col], col, source).to_numpy()
            out[f"{role}_at"] = t
            out[role] = ~pd.isna(t)
            early = out[role].to_numpy() & (out[f"{role}_at"].to_numpy() < out["sent_at"].to_numpy())
            if early.any():
                i = int(np.flatnonzero(early)[0])
                raise InputError(
                    say(
                        "{where}column {col!r}, data row {row}: {value!r} is before the send ({sent_value!r} in "
                        "{sent!r}); check the columns",
                        "{where}Spalte {col!r}, Datenzeile {row}: {value!r} liegt vor dem Versand ({sent_value!r} in "
                        "{sent!r}); die Spalten prüfen",
                        where=_where(source),
                        col=col,
                        row=i + 1,
                        value=df[col].iloc[i],
                        sent_value=df[sent].iloc[i],
                        sent=sent,
                    )
                )
    if clicked is not None:  # a click without an open: the open was not tracked (images off); count it
        out["opened"] = out["opened"] | out["clicked"]
    out["segment"] = df[segment].astype(str).to_numpy() if segment else "all"
    if out.empty:
        raise InputError(
            say("{where}the table has no rows", "{where}Die Tabelle hat keine Zeilen", where=_where(source))
        )
    return out


@dataclass(frozen=True)
class MachineFilter:
    """Which opens count as a person's (see the module docstring).

    Parameters
    ----------
    machine_seconds : an open this soon after the send (seconds) is a machine's; 0 turns the filter off.
    machine_share : a customer with at least this share of machine-fast opens is a machine opener.
    machine_min_opens : ... judged only once they have this many opens.
    """

    machine_seconds: float = MACHINE_OPEN_SECONDS
    machine_share: float = 0.5
    machine_min_opens: int = 2

    def machine_customers(self, log: pd.DataFrame) -> pd.Index:
        """Customers whose opens are mostly instant (their opens do not count)."""
        if not log.attrs.get("open_times", True) or self.machine_seconds <= 0 or log.empty:
            return pd.Index([], dtype=object)
        fast = _fast(log, self.machine_seconds)
        g = pd.DataFrame({"c": log["customer_id"].to_numpy(), "o": log["opened"].to_numpy(), "f": fast})
        per = g.groupby("c", sort=False).agg(opens=("o", "sum"), fast=("f", "sum"))
        flag = (per["opens"] >= self.machine_min_opens) & (per["fast"] >= self.machine_share * per["opens"])
        return per.index[flag.to_numpy()]

    def engagement(self, log: pd.DataFrame, machines: pd.Index | None = None) -> pd.DataFrame:
        """``log`` with ``opened_human`` (bool), ``machine_open`` (bool) and ``machine_customer`` (bool)."""
        out = log.copy()
        fast = _fast(log, self.machine_seconds) if log.attrs.get("open_times", True) else np.zeros(len(log), bool)
        if machines is None:
            machines = self.machine_customers(log)
        mc = out["customer_id"].isin(machines).to_numpy()
        clicked = out["clicked"].to_numpy(bool)
        out["machine_open"] = fast & ~clicked
        out["machine_customer"] = mc
        out["opened_human"] = clicked | (out["opened"].to_numpy(bool) & ~fast & ~mc)
        return out


def _fast(log: pd.DataFrame, seconds: float) -> np.ndarray:
    if seconds <= 0:
        return np.zeros(len(log), bool)
    delay = (log["opened_at"] - log["sent_at"]).dt.total_seconds().to_numpy()
    return log["opened"].to_numpy(bool) & np.isfinite(delay) & (delay <= seconds)


def warehouse_log(wh, segment: str | None = "country") -> pd.DataFrame:
    """The send log from the warehouse's ``messages`` (treated messages only: control rows got no e-mail),
    with the customer's ``segment`` column from ``customers`` where it exists. One Ibis expression."""
    m = wh.table("messages")
    cols = set(m.columns)
    m = m.filter(m.customer_id.notnull() & m.sent_at.notnull())
    if "in_control" in cols:
        m = m.filter(m.in_control.fill_null(False) == False)  # noqa: E712  (Ibis expression)
    expr = m.select(m.customer_id, m.sent_at, m.opened_at, m.clicked_at)
    seg_ok = segment and wh.has("customers") and segment in wh.table("customers").columns
    if seg_ok:
        c = wh.table("customers").select("customer_id", segment)
        expr = expr.left_join(c, expr.customer_id == c.customer_id).select(
            expr.customer_id, expr.sent_at, expr.opened_at, expr.clicked_at, c[segment].name("segment")
        )
    df = expr.execute()
    df["customer_id"] = df["customer_id"].astype(str)
    for col in ("sent_at", "opened_at", "clicked_at"):
        s = pd.to_datetime(df[col])
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        df[col] = s.astype("datetime64[us]")
    df["opened"] = df["opened_at"].notna() | df["clicked_at"].notna()
    df["clicked"] = df["clicked_at"].notna()
    df["segment"] = df["segment"].fillna("unknown").astype(str) if seg_ok else "all"
    df = df.sort_values("sent_at", kind="mergesort").reset_index(drop=True)
    df.attrs["open_times"] = True
    return df
