"""Reading and checking a weekly marketing table: one row per period, spend per channel, the target.

Bad input is refused with an :class:`~nomagic.errors.InputError` that names the file, the row (as
a spreadsheet shows it: the header is row 1) and the column; doubtful input (channels that move
together, a channel that hardly varies, few periods for the number of parameters) becomes a warning.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nomagic.errors import InputError

COLLINEAR = 0.95  # |correlation| of two channels' spend above which they cannot be told apart


def read_table(path, columns: list[str]) -> pd.DataFrame:
    """CSV or Parquet, only ``columns``; InputError naming the file when it or a column is missing."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, sep=None, engine="python")
    except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file
        raise InputError(f"{path}: cannot be read as a table ({exc})") from exc
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"{path}: no column {', '.join(repr(c) for c in missing)}; the columns are {', '.join(map(str, df.columns))}"
        )
    return df[list(dict.fromkeys(columns))].copy()


def clean(df: pd.DataFrame, *, date: str, target: str, channels: list[str], controls: list[str], source: str = "data"):
    """Typed, sorted frame and a list of warnings; InputError for what cannot be modelled.

    Examples
    --------
    >>> df = pd.DataFrame({"d": ["2024-01-01", "2024-01-08"], "y": [1, 2], "tv": [1, -3]})
    >>> clean(df, date="d", target="y", channels=["tv"], controls=[])
    Traceback (most recent call last):
    ...
    nomagic.errors.InputError: data, row 3, column 'tv': negative spend (-3); spend must be 0 or more
    """
    if not channels:
        raise InputError("name at least one spend column with --channels")
    dup = [c for c in channels if channels.count(c) > 1]
    if dup:
        raise InputError(f"channel {dup[0]!r} is named twice in --channels")
    overlap = set(channels) & set(controls)
    if overlap:
        raise InputError(f"column {sorted(overlap)[0]!r} is both a channel and a control")
    if target in channels or target in controls:
        raise InputError(f"the target {target!r} cannot also be a channel or a control")
    out = pd.DataFrame()
    dates = pd.to_datetime(df[date], errors="coerce")
    bad = dates.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{source}, row {i + 2}, column {date!r}: {df[date].iloc[i]!r} is not a date")
    out[date] = dates
    for c in [target, *channels, *controls]:
        v = pd.to_numeric(df[c].astype(object).where(df[c].notna(), None), errors="coerce")
        if df[c].dtype == bool:
            v = df[c].astype(float)
        bad = v.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raw = df[c].iloc[i]
            what = "is blank" if pd.isna(raw) else f"{raw!r} is not a number"
            raise InputError(f"{source}, row {i + 2}, column {c!r}: {what}")
        out[c] = v.astype(float).to_numpy()
    for c in channels:
        neg = out[c] < 0
        if neg.any():
            i = int(np.flatnonzero(neg.to_numpy())[0])
            raise InputError(
                f"{source}, row {i + 2}, column {c!r}: negative spend ({out[c].iloc[i]:g}); spend must be 0 or more"
            )
    d = out[date]
    if d.duplicated().any():
        i = int(np.flatnonzero(d.duplicated().to_numpy())[0])
        raise InputError(f"{source}, row {i + 2}, column {date!r}: the date {d.iloc[i]:%Y-%m-%d} appears twice")
    out = out.sort_values(date).reset_index(drop=True)
    warnings = []
    for c in channels:
        if (out[c] == 0).all():
            raise InputError(
                f"{source}, column {c!r}: the channel never spends (all {len(out)} rows are 0); its effect cannot "
                "be learned: leave it out of --channels"
            )
        nz = int((out[c] > 0).sum())
        if nz < 4:
            warnings.append(
                f"channel {c!r} spends in only {nz} of {len(out)} periods: its curve comes mostly from the priors"
            )
        elif out[c].std() < 0.05 * max(out[c].mean(), 1e-12):
            warnings.append(f"channel {c!r} hardly varies: its effect is hard to tell from the base")
    for i, a in enumerate(channels):
        for b in channels[i + 1 :]:
            r = np.corrcoef(out[a], out[b])[0, 1] if out[a].std() > 0 and out[b].std() > 0 else 0.0
            if abs(r) > COLLINEAR:
                warnings.append(
                    f"channels {a!r} and {b!r} move together (correlation {r:.2f}): the data cannot tell them "
                    "apart, so their split comes from the priors; combine them or vary one alone"
                )
    gaps = out[date].diff().dropna().dt.days
    if len(gaps) and gaps.nunique() > 1:
        warnings.append(
            f"the periods are not evenly spaced (gaps of {int(gaps.min())} to {int(gaps.max())} days): "
            "carry-over assumes equal steps"
        )
    return out, warnings


def period_days(dates: pd.Series) -> int:
    gaps = pd.to_datetime(dates).diff().dropna().dt.days
    return int(gaps.median()) if len(gaps) else 7


def check_size(n_periods: int, n_params: int, source: str = "data") -> list[str]:
    """InputError when there are not more periods than parameters; a warning below three per parameter."""
    if n_periods <= n_params + 5:
        raise InputError(
            f"{source}: {n_periods} periods to fit {n_params} parameters: too few. Give more history (at least "
            f"{3 * n_params} periods), fewer channels or controls, or --yearly-seasonality 0"
        )
    if n_periods < 3 * n_params:
        return [
            f"only {n_periods} periods for {n_params} parameters: the priors weigh heavily; intervals are wide "
            "for a reason"
        ]
    return []


__all__ = ["COLLINEAR", "check_size", "clean", "period_days", "read_table"]
