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
from nomagic.words import Text, say

COLLINEAR = 0.95  # |correlation| of two channels' spend above which they cannot be told apart


def read_table(path, columns: list[str]) -> pd.DataFrame:
    """CSV or Parquet, only ``columns``; InputError naming the file when it or a column is missing."""
    path = Path(path)
    if not path.exists():
        raise InputError(say("{path}: no such file", "{path}: Datei nicht gefunden", path=str(path)))
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, sep=None, engine="python")
    except Exception as exc:  # noqa: BLE001 - any reader failure is the user's file
        raise InputError(
            say(
                "{path}: cannot be read as a table ({exc})",
                "{path}: kann nicht als Tabelle gelesen werden ({exc})",
                path=str(path),
                exc=str(exc),
            )
        ) from exc
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            say(
                "{path}: no column {missing}; the columns are {have}",
                "{path}: keine Spalte {missing}; die Spalten sind {have}",
                path=str(path),
                missing=", ".join(repr(c) for c in missing),
                have=", ".join(map(str, df.columns)),
            )
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
        raise InputError(
            say(
                "name at least one spend column with --channels", "mindestens eine Ausgabenspalte mit --channels nennen"
            )
        )
    dup = [c for c in channels if channels.count(c) > 1]
    if dup:
        raise InputError(
            say("channel {c!r} is named twice in --channels", "Kanal {c!r} steht zweimal in --channels", c=dup[0])
        )
    overlap = set(channels) & set(controls)
    if overlap:
        raise InputError(
            say(
                "column {c!r} is both a channel and a control",
                "Spalte {c!r} ist zugleich Kanal und Kontrollvariable",
                c=sorted(overlap)[0],
            )
        )
    if target in channels or target in controls:
        raise InputError(
            say(
                "the target {t!r} cannot also be a channel or a control",
                "die Zielgröße {t!r} kann nicht zugleich Kanal oder Kontrollvariable sein",
                t=target,
            )
        )
    out = pd.DataFrame()
    dates = pd.to_datetime(df[date], errors="coerce")
    bad = dates.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            say(
                "{source}, row {row}, column {col!r}: {v!r} is not a date",
                "{source}, Zeile {row}, Spalte {col!r}: {v!r} ist kein Datum",
                source=source,
                row=i + 2,
                col=date,
                v=df[date].iloc[i],
            )
        )
    out[date] = dates
    for c in [target, *channels, *controls]:
        v = pd.to_numeric(df[c].astype(object).where(df[c].notna(), None), errors="coerce")
        if df[c].dtype == bool:
            v = df[c].astype(float)
        bad = v.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raw = df[c].iloc[i]
            what = (
                Text("is blank", "ist leer")
                if pd.isna(raw)
                else say("{v!r} is not a number", "{v!r} ist keine Zahl", v=raw)
            )
            raise InputError(
                say(
                    "{source}, row {row}, column {col!r}: {what}",
                    "{source}, Zeile {row}, Spalte {col!r}: {what}",
                    source=source,
                    row=i + 2,
                    col=c,
                    what=what,
                )
            )
        out[c] = v.astype(float).to_numpy()
    for c in channels:
        neg = out[c] < 0
        if neg.any():
            i = int(np.flatnonzero(neg.to_numpy())[0])
            raise InputError(
                say(
                    "{source}, row {row}, column {col!r}: negative spend ({v:g}); spend must be 0 or more",
                    "{source}, Zeile {row}, Spalte {col!r}: negative Ausgaben ({v:g}); Ausgaben müssen 0 oder mehr sein",
                    source=source,
                    row=i + 2,
                    col=c,
                    v=float(out[c].iloc[i]),
                )
            )
    d = out[date]
    if d.duplicated().any():
        i = int(np.flatnonzero(d.duplicated().to_numpy())[0])
        raise InputError(
            say(
                "{source}, row {row}, column {col!r}: the date {d} appears twice",
                "{source}, Zeile {row}, Spalte {col!r}: das Datum {d} kommt zweimal vor",
                source=source,
                row=i + 2,
                col=date,
                d=d.iloc[i],
            )
        )
    out = out.sort_values(date).reset_index(drop=True)
    warnings = []
    for c in channels:
        if (out[c] == 0).all():
            raise InputError(
                say(
                    "{source}, column {col!r}: the channel never spends (all {n} rows are 0); its effect cannot be "
                    "learned: leave it out of --channels",
                    "{source}, Spalte {col!r}: der Kanal gibt nie etwas aus (alle {n} Zeilen sind 0); seine Wirkung "
                    "lässt sich nicht lernen: ihn aus --channels weglassen",
                    source=source,
                    col=c,
                    n=len(out),
                )
            )
        nz = int((out[c] > 0).sum())
        if nz < 4:
            warnings.append(
                say(
                    "channel {c!r} spends in only {k} of {n} periods: its curve comes mostly from the priors",
                    "Kanal {c!r} gibt nur in {k} von {n} Perioden aus: seine Kurve stammt vor allem aus den Priors",
                    c=c,
                    k=nz,
                    n=len(out),
                )
            )
        elif out[c].std() < 0.05 * max(out[c].mean(), 1e-12):
            warnings.append(
                say(
                    "channel {c!r} hardly varies: its effect is hard to tell from the base",
                    "Kanal {c!r} schwankt kaum: seine Wirkung ist schwer von der Basis zu unterscheiden",
                    c=c,
                )
            )
    for i, a in enumerate(channels):
        for b in channels[i + 1 :]:
            r = np.corrcoef(out[a], out[b])[0, 1] if out[a].std() > 0 and out[b].std() > 0 else 0.0
            if abs(r) > COLLINEAR:
                warnings.append(
                    say(
                        "channels {a!r} and {b!r} move together (correlation {r:.2f}): the data cannot tell them "
                        "apart, so their split comes from the priors; combine them or vary one alone",
                        "die Kanäle {a!r} und {b!r} bewegen sich gemeinsam (Korrelation {r:.2f}): die Daten können "
                        "sie nicht trennen, ihre Aufteilung stammt also aus den Priors; sie zusammenfassen oder einen "
                        "allein variieren",
                        a=a,
                        b=b,
                        r=float(r),
                    )
                )
    gaps = out[date].diff().dropna().dt.days
    if len(gaps) and gaps.nunique() > 1:
        warnings.append(
            say(
                "the periods are not evenly spaced (gaps of {lo} to {hi} days): carry-over assumes equal steps",
                "die Perioden sind nicht gleichmäßig verteilt (Abstände von {lo} bis {hi} Tagen): die Übertragung "
                "setzt gleiche Schritte voraus",
                lo=int(gaps.min()),
                hi=int(gaps.max()),
            )
        )
    return out, warnings


def period_days(dates: pd.Series) -> int:
    gaps = pd.to_datetime(dates).diff().dropna().dt.days
    return int(gaps.median()) if len(gaps) else 7


def check_size(n_periods: int, n_params: int, source: str = "data") -> list[str]:
    """InputError when there are not more periods than parameters; a warning below three per parameter."""
    if n_periods <= n_params + 5:
        raise InputError(
            say(
                "{source}: {n} periods to fit {p} parameters: too few. Give more history (at least {need} periods), "
                "fewer channels or controls, or --yearly-seasonality 0",
                "{source}: {n} Perioden für {p} Parameter: zu wenige. Mehr Historie (mindestens {need} Perioden), "
                "weniger Kanäle oder Kontrollvariablen oder --yearly-seasonality 0 angeben",
                source=source,
                n=n_periods,
                p=n_params,
                need=3 * n_params,
            )
        )
    if n_periods < 3 * n_params:
        return [
            say(
                "only {n} periods for {p} parameters: the priors weigh heavily; intervals are wide for a reason",
                "nur {n} Perioden für {p} Parameter: die Priors wiegen schwer; die Intervalle sind zu Recht breit",
                n=n_periods,
                p=n_params,
            )
        ]
    return []


__all__ = ["COLLINEAR", "check_size", "clean", "period_days", "read_table"]
