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
from nomagic.words import say

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


def _day(value, what) -> pd.Timestamp:
    """``value`` as a day; ``what`` (a Text) names it in the error."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InputError(
            say(
                "{what} {value!r} is not a date (use YYYY-MM-DD)",
                "{what} {value!r} ist kein Datum (JJJJ-MM-TT verwenden)",
                what=what,
                value=str(value),
            )
        ) from None
    if ts is pd.NaT:
        raise InputError(say("{what} is missing", "{what} fehlt", what=what))
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
        raise InputError(bad_time_unit(time_unit))
    unit = TIME_UNITS[time_unit]
    where = _where(source)
    roles = (
        (say("customer id", "Kunden-ID"), id),
        (say("time", "Zeit"), time),
        (say("value", "Wert"), value),
    )
    for role, col in roles:
        if col is not None and col not in transactions.columns:
            found = ", ".join(map(str, transactions.columns[:20]))
            raise InputError(
                say(
                    "{where}no {role} column {col!r}; the columns are: {found}",
                    "{where}keine Spalte {col!r} für {role}; die Spalten sind: {found}",
                    where=where,
                    role=role,
                    col=str(col),
                    found=found,
                )
            )
    notes: list[str] = []
    df = pd.DataFrame({"id": transactions[id], "t": parse_times(transactions[time], time, source)})
    blank_id = df["id"].isna() | (df["id"].astype("string").str.strip() == "").fillna(True)
    if blank_id.any():
        raise InputError(
            say(
                "{where}column {col!r} is blank in {n:,} row(s) (first in data row {row}); every order needs its customer",
                "{where}Spalte {col!r} ist in {n:,} Zeile(n) leer (zuerst in Datenzeile {row}); jede Bestellung braucht "
                "ihren Kunden",
                where=where,
                col=str(id),
                n=int(blank_id.sum()),
                row=int(np.argmax(blank_id.to_numpy())) + 1,
            )
        )
    if df["t"].isna().any():
        blank_t = df["t"].isna().to_numpy()
        raise InputError(
            say(
                "{where}column {col!r} is blank in {n:,} row(s) (first in data row {row}); every order needs a time",
                "{where}Spalte {col!r} ist in {n:,} Zeile(n) leer (zuerst in Datenzeile {row}); jede Bestellung braucht "
                "eine Zeit",
                where=where,
                col=str(time),
                n=int(blank_t.sum()),
                row=int(np.argmax(blank_t)) + 1,
            )
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
                say(
                    "{where}column {col!r} has {n:,} value(s) that are not numbers (first in data row {row}: {bad!r})",
                    "{where}Spalte {col!r} hat {n:,} Wert(e), die keine Zahlen sind (zuerst in Datenzeile {row}: {bad!r})",
                    where=where,
                    col=str(value),
                    n=int(bad.sum()),
                    row=i + 1,
                    bad=str(transactions[value].iloc[i]),
                )
            )
        df["v"] = v.fillna(0.0).to_numpy()
        neg = df["v"] < 0
        if neg.any():
            notes.append(
                say(
                    "{n:,} order(s) have a negative value (returns?); they count as purchases but not as spend",
                    "{n:,} Bestellung(en) haben einen negativen Wert (Retouren?); sie zählen als Käufe, aber nicht als "
                    "Ausgaben",
                    n=int(neg.sum()),
                )
            )
    else:
        df["v"] = np.nan
    if df.empty:
        raise NotReadyError(say("{where}there are no orders", "{where}es gibt keine Bestellungen", where=where))
    today = today if today is not None else datetime.now(UTC).replace(tzinfo=None)
    now = _day(today, say("today", "heute")) + pd.Timedelta(days=1)
    future = df["t"] >= now
    if future.any():
        i = int(np.argmax(future.to_numpy()))
        raise InputError(
            say(
                "{where}{n:,} order(s) lie in the future (first in data row {row}: {when}); check column {col!r} "
                "(day/month order? time zone?)",
                "{where}{n:,} Bestellung(en) liegen in der Zukunft (zuerst in Datenzeile {row}: {when}); Spalte {col!r} "
                "prüfen (Reihenfolge Tag/Monat? Zeitzone?)",
                where=where,
                n=int(future.sum()),
                row=i + 1,
                when=df["t"].iloc[i],
                col=str(time),
            )
        )
    df["day"] = df["t"].dt.normalize()
    first_day, last_day = df["day"].min(), df["day"].max()
    cal_end = (
        _day(calibration_end, say("calibration end", "Kalibrierungsende")) if calibration_end is not None else last_day
    )
    obs_end = _day(observation_end, say("observation end", "Beobachtungsende")) if observation_end is not None else None
    if cal_end < first_day:
        raise InputError(
            say(
                "{where}the calibration end {cal} is before the first order ({first})",
                "{where}das Kalibrierungsende {cal} liegt vor der ersten Bestellung ({first})",
                where=where,
                cal=cal_end,
                first=first_day,
            )
        )
    if obs_end is not None:
        if obs_end <= cal_end:
            raise InputError(
                say(
                    "the observation end {obs} must come after the calibration end {cal}",
                    "das Beobachtungsende {obs} muss nach dem Kalibrierungsende {cal} liegen",
                    obs=obs_end,
                    cal=cal_end,
                )
            )
        if cal_end >= last_day:
            raise NotReadyError(
                say(
                    "{where}no orders after the calibration end {cal} (the last is on {last}): nothing to check the "
                    "predictions against; choose an earlier calibration end",
                    "{where}keine Bestellungen nach dem Kalibrierungsende {cal} (die letzte am {last}): nichts, woran "
                    "sich die Vorhersagen prüfen lassen; ein früheres Kalibrierungsende wählen",
                    where=where,
                    cal=cal_end,
                    last=last_day,
                )
            )
        if obs_end > last_day:
            notes.append(
                say(
                    "the holdout runs to {obs} but the last order is on {last}: if the data stops early, the holdout "
                    "counts are too low",
                    "der Testzeitraum reicht bis {obs}, die letzte Bestellung ist aber vom {last}: enden die Daten "
                    "zu früh, sind die Zahlen im Testzeitraum zu niedrig",
                    obs=obs_end,
                    last=last_day,
                )
            )
    zero_orders = int((df["v"] == 0).sum()) if value is not None else 0
    if zero_orders:
        notes.append(
            say(
                "{n:,} order(s) have a value of 0; they count as purchases but not as spend in the spend model",
                "{n:,} Bestellung(en) haben den Wert 0; sie zählen als Käufe, im Ausgabenmodell aber nicht als Ausgaben",
                n=zero_orders,
            )
        )
    # one row per customer-day
    days = df.groupby(["id", "day"], sort=True, observed=True).agg(v=("v", "sum"), n=("v", "size")).reset_index()
    if value is None:
        days["v"] = np.nan
    repeated = int((days["n"] > 1).sum())
    if repeated:
        notes.append(
            say(
                "{n:,} customer-day(s) hold several orders; each day counts as one purchase (values summed)",
                "{n:,} Kundentag(e) enthalten mehrere Bestellungen; jeder Tag zählt als ein Kauf (Werte addiert)",
                n=repeated,
            )
        )
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
                say(
                    "{n:,} customer(s) first bought in the holdout period; the models predict only customers known at "
                    "the calibration end, so they are left out",
                    "{n:,} Kunde(n) kauften erstmals im Testzeitraum; die Modelle sagen nur Kunden vorher, die am "
                    "Kalibrierungsende bekannt sind, daher bleiben sie außen vor",
                    n=new_in_holdout,
                )
            )
    repeaters = int((out["frequency"] > 0).sum())
    if repeaters < min_repeat_buyers:
        raise NotReadyError(
            say(
                "{where}only {n:,} customer(s) bought again within the calibration period (to {cal}); the models need "
                "at least {need} repeat buyers: use a later calibration end or more history",
                "{where}nur {n:,} Kunde(n) kauften im Kalibrierungszeitraum (bis {cal}) erneut; die Modelle brauchen "
                "mindestens {need} Wiederkäufer: ein späteres Kalibrierungsende oder mehr Historie verwenden",
                where=where,
                n=repeaters,
                cal=cal_end,
                need=min_repeat_buyers,
            )
        )
    singles = int((out["frequency"] == 0).sum())
    if singles == len(out):
        notes.append(say("no customer bought twice", "kein Kunde hat zweimal gekauft"))
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


def bad_time_unit(time_unit) -> str:
    """The error for a time unit that is neither days nor weeks."""
    return say(
        "time unit {unit!r} is not one of {units}",
        "Zeiteinheit {unit!r} ist keine von {units}",
        unit=str(time_unit),
        units=", ".join(TIME_UNITS),
    )


def warn_all(summary: pd.DataFrame) -> None:
    """Issue the summary's notes as Python warnings (for library users who do not read ``attrs``)."""
    for note in summary.attrs.get("warnings", []):
        warnings.warn(str(note), UserWarning, stacklevel=2)
