"""From a transaction table to the per-customer numbers the CLV models read.

:func:`summary_data` turns orders (customer, time, value) into one row per customer:

* orders are first summed per **customer-day**: several orders on one day count as one purchase
  (the models describe purchase occasions; CDNOW repeats 2,068 customer-days);
* ``frequency``: repeat purchase days in the calibration period (the first day is not counted);
* ``recency``: time from the first to the last purchase day; ``T``: from the first purchase day to
  the end of the calibration period (both in ``time_unit``, days or weeks);
* ``monetary_value``: mean value of the repeat purchase days with a value above zero (the first
  purchase is left out, as in the Gamma-Gamma literature), ``spend_days`` how many there were;
  days of zero value still count as purchases but not as spend (they are flagged);
* with an ``observation_end``: ``frequency_holdout`` and ``monetary_value_holdout`` between the
  calibration end and it, for customers whose first purchase was in the calibration period.

:func:`read_transactions` reads CSV, whitespace-separated text (with or without CRLF) and Parquet.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from nomagic.errors import InputError, NotReadyError
from nomagic.lifecycle.tabular import parse_times
from nomagic.warehouse.sources import read_frame

__all__ = ["TIME_UNITS", "read_transactions", "summary_data"]

#: length of one time unit in days
TIME_UNITS = {"days": 1.0, "weeks": 7.0}
MIN_REPEAT_BUYERS = 20


def _where(source: str | None) -> str:
    return f"{source}: " if source else ""


def read_transactions(path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a transaction file (see :func:`nomagic.warehouse.sources.read_frame`): CSV, whitespace-separated
    text (with or without CRLF) or Parquet; id-like columns stay text so that leading zeros survive."""
    return read_frame(path, columns)


def _day(value, what: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InputError(f"{what} {value!r} is not a date (use YYYY-MM-DD)") from None
    if ts is pd.NaT:
        raise InputError(f"{what} is missing")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.normalize()


def summary_data(
    transactions: pd.DataFrame,
    id: str,
    time: str,
    value: str | None = None,
    calibration_end=None,
    observation_end=None,
    time_unit: str = "weeks",
    *,
    source: str | None = None,
    min_repeat_buyers: int = MIN_REPEAT_BUYERS,
    today=None,
) -> pd.DataFrame:
    """One row per customer (index: the customer id) with frequency, recency, T and spend.

    Parameters
    ----------
    transactions : one row per order.
    id, time, value : the columns with the customer, the order time and the order value (optional).
    calibration_end : last day of the calibration period (inclusive); default the last order day.
    observation_end : last day of the holdout period (inclusive); adds the holdout columns.
    time_unit : ``"weeks"`` (the literature's choice) or ``"days"``.
    source : the file name, for messages.
    min_repeat_buyers : fewer customers with a repeat purchase in the calibration period is an error.
    today : the date after which order times count as "in the future" (default: now).

    Returns
    -------
    DataFrame with ``frequency, recency, T, monetary_value, spend_days, first_purchase`` (and
    ``frequency_holdout, monetary_value_holdout`` with an observation end). ``df.attrs`` holds
    ``time_unit``, ``calibration_end``, ``observation_end``, ``holdout_length``, ``n_orders``,
    ``n_days``, ``zero_value_orders``, ``new_in_holdout`` and ``warnings`` (plain sentences).

    Examples
    --------
    >>> tx = pd.DataFrame({"c": ["a", "a", "a", "b"], "t": ["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-08"],
    ...                    "v": [10.0, 5.0, 20.0, 7.0]})
    >>> s = summary_data(tx, "c", "t", "v", "2024-01-29", min_repeat_buyers=1)
    >>> s[["frequency", "recency", "T", "monetary_value"]].round(2).to_dict("index")["a"]
    {'frequency': 1, 'recency': 2.0, 'T': 4.0, 'monetary_value': 20.0}
    """
    if time_unit not in TIME_UNITS:
        raise InputError(f"time unit {time_unit!r} is not one of {', '.join(TIME_UNITS)}")
    unit = TIME_UNITS[time_unit]
    where = _where(source)
    for role, col in (("customer id", id), ("time", time), ("value", value)):
        if col is not None and col not in transactions.columns:
            found = ", ".join(map(str, transactions.columns[:20]))
            raise InputError(f"{where}no {role} column {col!r}; the columns are: {found}")
    notes: list[str] = []
    df = pd.DataFrame({"id": transactions[id], "t": parse_times(transactions[time], time, source)})
    blank_id = df["id"].isna() | (df["id"].astype("string").str.strip() == "").fillna(True)
    if blank_id.any():
        raise InputError(
            f"{where}column {id!r} is blank in {int(blank_id.sum())} row(s) (first in data row "
            f"{int(np.argmax(blank_id.to_numpy())) + 1}); every order needs its customer"
        )
    if df["t"].isna().any():
        raise InputError(
            f"{where}column {time!r} is blank in {int(df['t'].isna().sum())} row(s); every order needs a time"
        )
    if value is not None:
        v = (
            pd.to_numeric(
                transactions[value].astype("string").str.strip().str.replace(",", ".", regex=False), errors="coerce"
            )
            if not pd.api.types.is_numeric_dtype(transactions[value])
            else transactions[value].astype(float)
        )
        bad = v.isna() & transactions[value].notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{where}column {value!r} has {int(bad.sum())} value(s) that are not numbers "
                f"(first in data row {i + 1}: {transactions[value].iloc[i]!r})"
            )
        df["v"] = v.fillna(0.0).to_numpy()
        neg = df["v"] < 0
        if neg.any():
            notes.append(
                f"{int(neg.sum())} order(s) have a negative value (returns?); they count as purchases but not as spend"
            )
    else:
        df["v"] = np.nan
    if df.empty:
        raise NotReadyError(f"{where}there are no orders")
    now = _day(today if today is not None else datetime.now(UTC).replace(tzinfo=None), "today") + pd.Timedelta(days=1)
    future = df["t"] >= now
    if future.any():
        i = int(np.argmax(future.to_numpy()))
        raise InputError(
            f"{where}{int(future.sum())} order(s) lie in the future (first in data row {i + 1}: {df['t'].iloc[i]}); "
            f"check column {time!r} (day/month order? time zone?)"
        )
    df["day"] = df["t"].dt.normalize()
    first_day, last_day = df["day"].min(), df["day"].max()
    cal_end = _day(calibration_end, "calibration end") if calibration_end is not None else last_day
    obs_end = _day(observation_end, "observation end") if observation_end is not None else None
    if cal_end < first_day:
        raise InputError(
            f"{where}the calibration end {cal_end:%Y-%m-%d} is before the first order ({first_day:%Y-%m-%d})"
        )
    if obs_end is not None:
        if obs_end <= cal_end:
            raise InputError(
                f"the observation end {obs_end:%Y-%m-%d} must come after the calibration end {cal_end:%Y-%m-%d}"
            )
        if cal_end >= last_day:
            raise NotReadyError(
                f"{where}no orders after the calibration end {cal_end:%Y-%m-%d} (the last is on {last_day:%Y-%m-%d}): "
                "nothing to check the predictions against; choose an earlier calibration end"
            )
        if obs_end > last_day:
            notes.append(
                f"the holdout runs to {obs_end:%Y-%m-%d} but the last order is on {last_day:%Y-%m-%d}: if the data "
                "stops early, the holdout counts are too low"
            )
    zero_orders = int((df["v"] == 0).sum()) if value is not None else 0
    if zero_orders:
        notes.append(
            f"{zero_orders} order(s) have a value of 0; they count as purchases but not as spend in the spend model"
        )
    # one row per customer-day
    days = df.groupby(["id", "day"], sort=True, observed=True).agg(v=("v", "sum"), n=("v", "size")).reset_index()
    if value is None:
        days["v"] = np.nan
    repeated = int((days["n"] > 1).sum())
    if repeated:
        notes.append(f"{repeated} customer-day(s) hold several orders; each day counts as one purchase (values summed)")
    cal = days[days["day"] <= cal_end]
    first = cal.groupby("id", sort=True)["day"].min()
    g = cal.groupby("id", sort=True)
    last = g["day"].max()
    n_days = g.size()
    out = pd.DataFrame(index=first.index)
    out.index.name = id
    out["frequency"] = (n_days - 1).astype(int)
    out["recency"] = (last - first).dt.days / unit
    out["T"] = (cal_end - first).dt.days / unit
    cal_first = cal["id"].map(first)
    rep = cal[(cal["day"] > cal_first) & (cal["v"] > 0)]
    spend = rep.groupby("id")["v"].agg(["mean", "size"])
    out["monetary_value"] = spend["mean"].reindex(out.index).fillna(0.0)
    out["spend_days"] = spend["size"].reindex(out.index).fillna(0).astype(int)
    out["first_purchase"] = first
    new_in_holdout = 0
    holdout_length = None
    if obs_end is not None:
        hold = days[(days["day"] > cal_end) & (days["day"] <= obs_end)]
        hg = hold.groupby("id")
        out["frequency_holdout"] = hg.size().reindex(out.index).fillna(0).astype(int)
        pos = hold[hold["v"] > 0].groupby("id")["v"].mean()
        out["monetary_value_holdout"] = pos.reindex(out.index).fillna(0.0)
        new_in_holdout = int(hold.loc[~hold["id"].isin(out.index), "id"].nunique())
        holdout_length = (obs_end - cal_end).days / unit
        if new_in_holdout:
            notes.append(
                f"{new_in_holdout} customer(s) first bought in the holdout period; the models predict only customers known at "
                "the calibration end, so they are left out"
            )
    repeaters = int((out["frequency"] > 0).sum())
    if repeaters < min_repeat_buyers:
        raise NotReadyError(
            f"{where}only {repeaters} customer(s) bought again within the calibration period (to "
            f"{cal_end:%Y-%m-%d}); the models need at least {min_repeat_buyers} repeat buyers: use a later calibration end "
            "or more history"
        )
    singles = int((out["frequency"] == 0).sum())
    if singles == len(out):
        notes.append("no customer bought twice")
    out.attrs.update(
        {
            "time_unit": time_unit,
            "calibration_end": cal_end.date().isoformat(),
            "observation_end": obs_end.date().isoformat() if obs_end is not None else None,
            "holdout_length": holdout_length,
            "n_orders": int(len(df)),
            "n_days": int(len(days)),
            "zero_value_orders": zero_orders,
            "repeated_customer_days": repeated,
            "new_in_holdout": new_in_holdout,
            "single_purchase_customers": singles,
            "repeat_buyers": repeaters,
            "first_order": first_day.date().isoformat(),
            "last_order": last_day.date().isoformat(),
            "warnings": notes,
        }
    )
    return out


def warn_all(summary: pd.DataFrame) -> None:
    """Issue the summary's notes as Python warnings (for library users who do not read ``attrs``)."""
    for note in summary.attrs.get("warnings", []):
        warnings.warn(note, UserWarning, stacklevel=2)
