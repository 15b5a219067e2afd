"""Ad logs in: impression logs (the iPinYou shape) and bid logs with censoring (the simulator's ``ad_requests``).

An **impression log** has one row per impression bought: ``imp_id``, ``timestamp``, feature columns,
``market_price`` (what was paid: the second price) and ``click`` (optionally ``conversion``). A **bid
log** adds ``bid`` and ``won``: a lost auction shows no price (only that it was at least the bid), no
click and no conversion. Both become a :class:`BidLog`; every column that is not the id, the time or
an outcome is a feature. See docs/bidding-data.md.

Bad files are refused with an :class:`~nomagic.errors.InputError` naming the file, the data row
(1 = the first row after the header) and the column, in English and German.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nomagic.errors import InputError
from nomagic.words import say

ID, TIME = "imp_id", "timestamp"
PRICE, CLICK, CONVERSION, BID, WON = "market_price", "click", "conversion", "bid", "won"
OUTCOMES = (PRICE, CLICK, CONVERSION, BID, WON)
#: the warehouse's / simulator's ``ad_requests`` names for the same columns
AD_REQUESTS = {
    "request_id": ID,
    "occurred_at": TIME,
    "price": PRICE,
    "clicked": CLICK,
    "converted": CONVERSION,
}
_TRUE = {"1", "1.0", "true", "t", "yes", "y", "ja", "wahr"}
_FALSE = {"0", "0.0", "false", "f", "no", "n", "nein", "falsch"}


@dataclass
class BidLog:
    """An ad log, sorted by time.

    Attributes
    ----------
    frame : ``imp_id`` (str), ``timestamp`` (datetime64[ns]), the features, ``market_price`` (float; NaN
        where the auction was lost), ``click`` (0/1; NaN where lost), ``conversion`` when known, and for
        bid logs ``bid`` (float) and ``won`` (bool).
    features : the feature columns.
    censored : True for a bid log with lost auctions (their price is only known to be at least the bid).
    source : where it came from (a file name or ``"ad_requests"``), for messages.
    """

    frame: pd.DataFrame
    features: list[str]
    censored: bool
    source: str = "log"

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def won(self) -> np.ndarray:
        """Rows with an observed price and outcome (every row of an impression log)."""
        if WON in self.frame:
            return self.frame[WON].to_numpy(dtype=bool)
        return np.ones(len(self.frame), dtype=bool)

    def select(self, mask) -> BidLog:
        """The rows where ``mask`` is true (e.g. a time range), as a log of the same shape."""
        frame = self.frame[np.asarray(mask, dtype=bool)].reset_index(drop=True)
        censored = bool(WON in frame and (~frame[WON].to_numpy(dtype=bool)).any())
        return BidLog(frame, list(self.features), censored, self.source)


def read_log(path) -> BidLog:
    """A CSV or Parquet ad log: an impression log, a bid log (``bid``, ``won``) or an ``ad_requests`` export.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> _ = open(p, "w").write("imp_id,timestamp,site,market_price,click\\na,2024-03-01 10:00,news,0.8,0\\n")
    >>> log = read_log(p)
    >>> log.features, log.censored
    (['site'], False)
    """
    df = _read(path)
    if ID not in df.columns and "request_id" in df.columns:
        df = df.rename(columns=AD_REQUESTS)
    return _build(df, str(path))


def from_ad_requests(df) -> BidLog:
    """The warehouse's (or the simulator's) ``ad_requests`` table as a bid log.

    ``request_id`` becomes ``imp_id``, ``occurred_at`` ``timestamp``, ``price`` ``market_price``,
    ``clicked`` ``click`` and ``converted`` ``conversion``; ``bid`` and ``won`` stay.
    """
    if not isinstance(df, pd.DataFrame):  # a pyarrow Table
        df = df.to_pandas()
    return _build(df.rename(columns=AD_REQUESTS), "ad_requests")


def read_requests(path, features: list[str]) -> pd.DataFrame:
    """Bid requests to price: ``imp_id``, ``timestamp`` when present, and the log's ``features``, in file order."""
    df = _read(path)
    if ID not in df.columns and "request_id" in df.columns:
        df = df.rename(columns=AD_REQUESTS)
    source = str(path)
    _require(df, [ID, *features], source, what=say("the requests", "die Anfragen"))
    out = pd.DataFrame({ID: _ids(df[ID], source)})
    if TIME in df.columns:
        out[TIME] = parse_time(df[TIME], source)
    for col in features:
        out[col] = df[col].to_numpy()
    return out


def later_days(times, share: float = 0.3) -> tuple[np.ndarray, dict]:
    """The honest split of a log: a mask of its last whole days, holding about ``share`` of the rows (within a
    one-day log, its later hours), and a description of the split. ``times`` must be sorted."""
    t = np.asarray(times, dtype="datetime64[ns]")
    days = t.astype("datetime64[D]")
    unique = np.unique(days)
    if len(unique) >= 2:
        # the first day whose start leaves about `share` of the rows after it, keeping at least one day each side
        starts = np.searchsorted(days, unique)  # rows are sorted by time
        after = 1.0 - starts / len(t)
        k = int(np.clip(np.argmin(np.abs(after - share)), 1, len(unique) - 1))
        cut = unique[k].astype("datetime64[ns]")
        kind = "later days"
    else:
        cut = np.quantile(t.astype("int64"), 1.0 - share).astype("datetime64[ns]")
        kind = "later hours of the one day"
    valid = t >= cut
    if valid.all() or not valid.any():
        valid = np.arange(len(t)) >= int(len(t) * (1 - share))
        cut = t[valid][0]
    return valid, {
        "kind": kind,
        "train_from": str(pd.Timestamp(t[0])),
        "validation_from": str(pd.Timestamp(cut)),
        "validation_until": str(pd.Timestamp(t[-1])),
        "validation_days": int(len(np.unique(days[valid]))),
    }


# --------------------------------------------------------------------------- reading


def _read(path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise InputError(say("{p}: no such file", "{p}: Datei nicht gefunden", p=str(path)))
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            # ids stay text ("007" is not 7); the C reader with a sniffed delimiter (python's is 20x slower)
            df = pd.read_csv(path, sep=_delimiter(path), dtype={ID: str, "request_id": str}, low_memory=False)
    except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file
        raise InputError(
            say(
                "{p}: cannot be read as a CSV or Parquet table ({e})",
                "{p}: kann nicht als CSV- oder Parquet-Tabelle gelesen werden ({e})",
                p=str(path),
                e=str(exc),
            )
        ) from exc
    if df.empty:
        raise InputError(say("{p}: has no rows", "{p}: hat keine Zeilen", p=str(path)))
    return df


def _delimiter(path: Path) -> str:
    with path.open(encoding="utf-8", errors="replace") as fh:
        head = fh.readline()
    return max((",", ";", "\t", "|"), key=head.count)


def _build(df: pd.DataFrame, source: str) -> BidLog:
    is_bid_log = WON in df.columns
    required = [ID, TIME, PRICE, CLICK] + ([BID, WON] if is_bid_log else [])
    _require(df, required, source, what=say("a bid log", "ein Gebotslog") if is_bid_log else _IMPRESSION_LOG)
    out = pd.DataFrame({ID: _ids(df[ID], source), TIME: parse_time(df[TIME], source)})
    won = _binary(df[WON], WON, source, blank_ok=False).astype(bool) if is_bid_log else np.ones(len(df), bool)
    price = _numbers(df[PRICE], PRICE, source)
    _need_on_won(price, won, PRICE, source)
    if (price < 0).any():
        _bad_row(source, PRICE, np.flatnonzero(price < 0)[0], df[PRICE], _NOT_NEGATIVE)
    click = _binary(df[CLICK], CLICK, source)
    _need_on_won(click, won, CLICK, source)
    conversion = _binary(df[CONVERSION], CONVERSION, source) if CONVERSION in df.columns else None
    if is_bid_log:
        bid = _numbers(df[BID], BID, source)  # blank: unknown (a lost auction then says nothing about the price)
        if (bid < 0).any():
            _bad_row(source, BID, np.flatnonzero(bid < 0)[0], df[BID], _NOT_NEGATIVE)
        out[BID] = bid
        out[WON] = won
    features = [c for c in df.columns if c not in (ID, TIME, *OUTCOMES)]
    for col in features:
        out[col] = df[col].to_numpy()
    # a lost auction has no price, click or conversion: what a log shows there is not an outcome
    out[PRICE] = np.where(won, price, np.nan)
    out[CLICK] = np.where(won, click, np.nan)
    if conversion is not None:
        out[CONVERSION] = np.where(won, conversion, np.nan)
    out = out.sort_values(TIME, kind="stable").reset_index(drop=True)
    return BidLog(out, features, bool(is_bid_log and not won.all()), source)


_IMPRESSION_LOG = say("an impression log", "ein Impressionslog")
_NOT_NEGATIVE = say("a price cannot be negative", "ein Preis kann nicht negativ sein")


def _require(df: pd.DataFrame, columns: list[str], source: str, *, what) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            say(
                "{s}: no column {m}, which {what} needs; the columns are: {have} (see docs/bidding-data.md)",
                "{s}: keine Spalte {m}, die {what} braucht; die Spalten sind: {have} (siehe docs/bidding-data.md)",
                s=source,
                m=", ".join(repr(c) for c in missing),
                what=what,
                have=", ".join(map(str, df.columns)),
            )
        )


def _bad_row(source: str, column: str, i: int, raw: pd.Series, why) -> None:
    raise InputError(
        say(
            "{s}: data row {row}, column '{c}': {v} — {why}",
            "{s}: Datenzeile {row}, Spalte '{c}': {v} — {why}",
            s=source,
            row=int(i) + 1,
            c=column,
            v=repr(raw.iloc[int(i)]) if not pd.isna(raw.iloc[int(i)]) else say("blank", "leer"),
            why=why,
        )
    )


def _ids(s: pd.Series, source: str) -> np.ndarray:
    if s.isna().any():
        _bad_row(
            source,
            ID,
            np.flatnonzero(s.isna().to_numpy())[0],
            s,
            say("every row needs an id", "jede Zeile braucht eine ID"),
        )
    if pd.api.types.is_float_dtype(s) and (s % 1 == 0).all():
        s = s.astype(np.int64)  # 17.0 → "17"
    return s.astype(str).to_numpy(dtype=object)


def _text(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip().replace("", pd.NA)


def _numbers(s: pd.Series, column: str, source: str) -> np.ndarray:
    """Floats (blank = NaN); a value that is not a number is an error naming its row."""
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        x = s.astype(float).to_numpy()
    else:
        text = _text(s)
        x = pd.to_numeric(text, errors="coerce").astype(float).to_numpy()
        bad = np.isnan(x) & text.notna().to_numpy()
        if bad.any():
            _bad_row(source, column, np.flatnonzero(bad)[0], s, say("not a number", "keine Zahl"))
    if np.isinf(x).any():
        _bad_row(source, column, np.flatnonzero(np.isinf(x))[0], s, say("not a finite number", "keine endliche Zahl"))
    return x


def _binary(s: pd.Series, column: str, source: str, *, blank_ok: bool = True) -> np.ndarray:
    """0/1 as floats (blank = NaN): booleans, 0/1 numbers, or words like true/false, yes/no."""
    why = say("must be 0 or 1", "muss 0 oder 1 sein")
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        x = s.astype(float).to_numpy()
        bad = ~np.isnan(x) & (x != 0) & (x != 1)
    else:
        text = _text(s).str.lower()
        x = np.where(text.isin(_TRUE), 1.0, np.where(text.isin(_FALSE), 0.0, np.nan))
        bad = text.notna().to_numpy() & np.isnan(x)
    if bad.any():
        _bad_row(source, column, np.flatnonzero(bad)[0], s, why)
    if not blank_ok and np.isnan(x).any():
        _bad_row(source, column, np.flatnonzero(np.isnan(x))[0], s, why)
    return x


def _need_on_won(x: np.ndarray, won: np.ndarray, column: str, source: str) -> None:
    blank = np.isnan(x) & won
    if blank.any():
        raise InputError(
            say(
                "{s}: data row {row}, column '{c}': blank on a won impression; every won impression needs it",
                "{s}: Datenzeile {row}, Spalte '{c}': leer bei einer gewonnenen Impression; "
                "jede gewonnene Impression braucht den Wert",
                s=source,
                row=int(np.flatnonzero(blank)[0]) + 1,
                c=column,
            )
        )


# iPinYou writes times as digits: 20130606000104828 (to the millisecond), or 20130606 for a day
_DIGIT_FORMATS = {17: "%Y%m%d%H%M%S%f", 14: "%Y%m%d%H%M%S", 12: "%Y%m%d%H%M", 10: "%Y%m%d%H", 8: "%Y%m%d"}


def parse_time(s: pd.Series, source: str, column: str = TIME) -> np.ndarray:
    """Times as naive UTC datetime64[ns]: datetimes, ISO text, iPinYou digits or Unix seconds/milliseconds."""
    if pd.api.types.is_datetime64_any_dtype(s):
        out = pd.Series(s)
    elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        x = s.astype(float)
        whole = pd.api.types.is_integer_dtype(s) or bool((x.dropna() % 1 == 0).all())
        # 17 digits do not fit a float's 53 bits: integers go to text as they are
        digits = s.astype("Int64") if not pd.api.types.is_integer_dtype(s) else s
        out = _digit_time(digits.astype("string")) if whole else None
        if out is None:
            unit = "ms" if x.abs().max() > 1e11 else "s"  # Unix time; seconds until the year 5138
            out = pd.to_datetime(x, unit=unit, errors="coerce")
    else:
        text = _text(s)
        out = _digit_time(text)
        if out is None:
            out = pd.to_datetime(text, errors="coerce", format="ISO8601")
            if out.isna().sum() > text.isna().sum():  # "06/06/2013 10:00" and other spellings
                out = out.fillna(pd.to_datetime(text.where(out.isna()), errors="coerce", format="mixed"))
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    bad = out.isna().to_numpy()
    if bad.any():
        _bad_row(
            source,
            column,
            np.flatnonzero(bad)[0],
            s,
            say(
                "not a time; write e.g. 2024-03-01 10:15:00 or 20240301101500",
                "keine Zeitangabe; z. B. 2024-03-01 10:15:00 oder 20240301101500 schreiben",
            ),
        )
    return out.astype("datetime64[ns]").to_numpy()


def _digit_time(text: pd.Series) -> pd.Series | None:
    """iPinYou's digit times when every value is one (same length, all parse), else None."""
    filled = text.dropna()
    if filled.empty or not filled.str.fullmatch(r"\d+").all():
        return None
    lengths = filled.str.len().unique()
    if len(lengths) != 1 or int(lengths[0]) not in _DIGIT_FORMATS:
        return None
    out = pd.to_datetime(text, format=_DIGIT_FORMATS[int(lengths[0])], errors="coerce")
    return out if out.notna().sum() == len(filled) else None
