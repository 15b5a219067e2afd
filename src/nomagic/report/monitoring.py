"""The monitoring charts: per period, what the monitor estimated without labels next to what really happened
once the labels arrived (positive rate with its interval, and ROC-AUC), from the ``monitor_periods`` table; and
drift by feature in the latest period (each column's shift against its noise, with its importance), from the
``monitor_features`` table, with a sentence saying which important columns moved."""

from __future__ import annotations

import pandas as pd

from nomagic.report.charts import BASELINE_COLOR, MODEL_COLOR, _svg, _t, available
from nomagic.words import Text, join, say

_WHAT_DE = {"estimated": "geschätzt", "realized": "tatsächlich"}
_MEASURES = {
    "rate": ("estimated_positive_rate", "realized_positive_rate", ("positive rate", "Positivquote")),
    "auc": ("estimated_roc_auc", "realized_roc_auc", ("ROC-AUC", "ROC-AUC")),
}


def monitoring_frame(periods: pd.DataFrame, measure: str = "rate") -> pd.DataFrame:
    """Long frame (period, what = estimated | realized, value, low, high) of one measure."""
    est, real, _ = _MEASURES[measure]
    rows = []
    for _, r in periods.sort_values("period").iterrows():
        for what, col in (("estimated", est), ("realized", real)):
            v = r.get(col)
            if v is None or pd.isna(v):
                continue
            low = r.get("estimated_positive_rate_low") if measure == "rate" and what == "estimated" else None
            high = r.get("estimated_positive_rate_high") if measure == "rate" and what == "estimated" else None
            rows.append({"period": str(r["period"])[:10], "what": what, "value": float(v), "low": low, "high": high})
    return pd.DataFrame(rows, columns=["period", "what", "value", "low", "high"])


def monitoring_chart(periods: pd.DataFrame, measure: str = "rate", lang: str = "en"):
    """Estimated (without labels) against realized, per period; None without data or the report extra."""
    df = monitoring_frame(periods, measure)
    if df.empty or not available():
        return None
    import altair as alt

    name = _MEASURES[measure][2][lang == "de"]
    legend = alt.Legend(title=None)
    if lang == "de":
        legend = alt.Legend(title=None, labelExpr="datum.label == 'estimated' ? 'geschätzt' : 'tatsächlich'")
    scale = alt.Scale(domain=["estimated", "realized"], range=[MODEL_COLOR, "#1d2433"])
    lines = (
        alt.Chart(df)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:T", title=_t(lang, "period end", "Periodenende")),
            y=alt.Y("value:Q", title=name, scale=alt.Scale(zero=False)),
            color=alt.Color("what:N", scale=scale, legend=legend),
            tooltip=["period", "what", alt.Tooltip("value:Q", format=".3f")],
        )
    )
    layers = [lines]
    band = df[df["low"].notna()] if "low" in df else df.iloc[0:0]
    if len(band):
        layers.insert(
            0,
            alt.Chart(band).mark_area(opacity=0.2, color=MODEL_COLOR).encode(x="period:T", y="low:Q", y2="high:Q"),
        )
    title = _t(
        lang,
        "{m}: estimated without labels vs realized",
        "{m}: ohne Labels geschätzt vs tatsächlich",
        m=name,
    )
    return alt.layer(*layers).properties(width=420, height=200, title=title)


def monitoring_svgs(periods: pd.DataFrame, lang: str = "en") -> list[tuple[str, str]]:
    """(measure, SVG) for the rate and the ROC-AUC charts that have data."""
    out = []
    for measure in ("rate", "auc"):
        chart = monitoring_chart(periods, measure, lang)
        if chart is not None:
            out.append((measure, _svg(chart, lang)))
    return out


# ------------------------------------------------------------------------------- drift by feature

#: a column's bar: beyond its noise (what moved) or within it; kept in English in the data, worded by the legend
_BEYOND, _WITHIN = "beyond noise", "within noise"
#: a column whose shift lies beyond its noise (what moved)
_MOVED = "#d8643a"
#: the most columns the sentence names one by one
_NAMED = 5
_DRIFT_COLS = ["use_case", "version", "period", "column", "importance", "shift", "shift_noise", "psi", "psi_noise"]


def _latest(features: pd.DataFrame, period: str | None) -> pd.DataFrame:
    """The rows of one period (the latest by default), of the newest version monitored on it."""
    f = features.assign(period=features["period"].astype(str).str[:10])
    when = str(period)[:10] if period is not None else f["period"].max()
    f = f[f["period"] == when]
    return f[f["version"].astype(str) == f["version"].astype(str).max()] if len(f) else f


def drift_frame(
    features: pd.DataFrame | None, use_case: str | None = None, period: str | None = None, top: int = 10
) -> pd.DataFrame:
    """The ``top`` most important columns of one period (``monitor_features`` rows; the latest period by default):
    column, importance, shift with its noise, PSI with its noise, and whether the shift lies beyond its noise
    (``beyond``, ``state``). Most important first; empty without rows."""
    cols = [*_DRIFT_COLS, "beyond", "state"]
    if features is None or not len(features):
        return pd.DataFrame(columns=cols)
    f = features if use_case is None else features[features["use_case"] == use_case]
    if not len(f):
        return pd.DataFrame(columns=cols)
    f = _latest(f, period)
    out = f.reindex(columns=_DRIFT_COLS).copy()
    for c in _DRIFT_COLS[4:]:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    out["beyond"] = (out["shift"] > out["shift_noise"]).fillna(False).astype(bool)
    out["state"] = out["beyond"].map({True: _BEYOND, False: _WITHIN})
    out = out.sort_values(["importance", "column"], ascending=[False, True], kind="stable").head(top)
    return out.reset_index(drop=True)[cols]


def drift_chart(features: pd.DataFrame | None, use_case: str | None = None, lang: str = "en", top: int = 10):
    """Drift by feature in the latest period: the columns' importance (left) and each column's shift against its
    noise (right: bar = shift, coloured when beyond the noise; tick = noise). None without data or the report extra.

    Each panel holds its own data (``chart.hconcat[0].data``, ``chart.hconcat[1].data``)."""
    df = drift_frame(features, use_case, top=top)
    if df.empty or not available():
        return None
    import altair as alt

    order = list(df["column"])
    height = 20 * len(df)
    importance = (
        alt.Chart(df[["column", "importance"]].copy())
        .mark_bar(color=MODEL_COLOR)
        .encode(
            x=alt.X(
                "importance:Q",
                title=_t(lang, "importance (share of use)", "Wichtigkeit (Anteil)"),
                axis=alt.Axis(format="%", tickCount=3),
            ),
            y=alt.Y("column:N", sort=order, title=None),
            tooltip=["column", alt.Tooltip("importance:Q", format=".1%")],
        )
        .properties(width=130, height=height)
    )
    shifts = df[["column", "shift", "shift_noise", "psi", "psi_noise", "state"]].copy()
    legend = alt.Legend(title=None, orient="bottom")
    if lang == "de":
        legend = alt.Legend(
            title=None, orient="bottom", labelExpr=f"datum.label == '{_BEYOND}' ? 'über dem Rauschen' : 'im Rauschen'"
        )
    x_title = _t(
        lang,
        "shift of its contribution (log-odds); tick: noise",
        "Verschiebung des Beitrags (Log-Odds); Strich: Rauschen",
    )
    y = alt.Y("column:N", sort=order, title=None, axis=alt.Axis(labels=False, ticks=False))
    bars = (
        alt.Chart(shifts)
        .mark_bar()
        .encode(
            x=alt.X("shift:Q", title=x_title),
            y=y,
            color=alt.Color(
                "state:N", scale=alt.Scale(domain=[_BEYOND, _WITHIN], range=[_MOVED, BASELINE_COLOR]), legend=legend
            ),
            tooltip=[
                "column",
                alt.Tooltip("shift:Q", format=".3f"),
                alt.Tooltip("shift_noise:Q", format=".3f"),
                alt.Tooltip("psi:Q", format=".3f"),
                alt.Tooltip("psi_noise:Q", format=".3f"),
            ],
        )
    )
    ticks = (
        alt.Chart(shifts).mark_tick(color="#1d2433", thickness=2).encode(x=alt.X("shift_noise:Q", title=x_title), y=y)
    )
    right = alt.layer(bars, ticks).properties(width=260, height=height)
    title = _t(
        lang,
        "Drift by feature, period to {d}",
        "Drift nach Merkmal, Zeitraum bis {d}",
        d=pd.Timestamp(df["period"].iloc[0]),
    )
    return alt.hconcat(importance, right, spacing=4).properties(title=title)


def drift_svg(features: pd.DataFrame | None, use_case: str | None = None, lang: str = "en") -> str | None:
    """The drift-by-feature chart as SVG (see :func:`drift_chart`), or None."""
    chart = drift_chart(features, use_case, lang)
    return None if chart is None else _svg(chart, lang)


def drift_words(features: pd.DataFrame | None, use_case: str | None = None, top: int = 10) -> Text | None:
    """In words: which of the most important columns moved beyond their noise in the latest period, and that
    drift alone pages no one (:mod:`nomagic.monitor.alerts`). None without rows."""
    df = drift_frame(features, use_case, top=top)
    if df.empty:
        return None
    d = pd.Timestamp(df["period"].iloc[0])
    moved = df[df["beyond"]]
    every = drift_frame(features, use_case, top=10**6)
    others = int(every["beyond"].sum()) - len(moved)
    if len(moved):
        items = [
            say(
                "{c} (importance {i:.0%}, shift {s:.3f} against noise {n:.3f})",
                "{c} (Wichtigkeit {i:.0%}, Verschiebung {s:.3f} bei Rauschen {n:.3f})",
                c=r.column,
                i=r.importance,
                s=r.shift,
                n=r.shift_noise,
            )
            for r in moved.head(_NAMED).itertuples()
        ]
        if len(moved) > _NAMED:
            items.append(say("{k} more", "{k} weitere", k=len(moved) - _NAMED))
        head = say(
            "In the period to {d}, {m} of the {n} most important columns moved beyond their noise: {which}.",
            "Im Zeitraum bis {d} haben sich {m} der {n} wichtigsten Spalten über ihr Rauschen hinaus verschoben: "
            "{which}.",
            d=d,
            m=len(moved),
            n=len(df),
            which=join(items, ", "),
        )
    else:
        head = say(
            "In the period to {d}, none of the {n} most important columns moved beyond its noise.",
            "Im Zeitraum bis {d} hat sich keine der {n} wichtigsten Spalten über ihr Rauschen hinaus verschoben.",
            d=d,
            n=len(df),
        )
    parts = [head]
    if others > 0:
        rest = every[every["beyond"]].iloc[len(moved) :]
        names = join([*rest["column"].head(_NAMED), *(["…"] if others > _NAMED else [])], ", ")
        if len(moved):
            parts.append(
                say(
                    "{k} less important column(s) moved beyond their noise too ({which}).",
                    "Auch {k} weniger wichtige Spalte(n) haben sich über ihr Rauschen hinaus verschoben ({which}).",
                    k=others,
                    which=names,
                )
            )
        else:
            parts.append(
                say(
                    "Of the less important columns, {k} moved beyond their noise ({which}).",
                    "Von den weniger wichtigen Spalten haben sich {k} über ihr Rauschen hinaus verschoben ({which}).",
                    k=others,
                    which=names,
                )
            )
    # each column's noise level is its 99 % quantile: with many columns, a few lie beyond it by chance
    from nomagic.monitor.drift import EXCEED_Q

    if len(every) >= 10:  # fewer: less than 0.1 expected, not worth a sentence
        parts.append(
            say(
                "By chance alone about {e:.1f} of the {n} columns lie beyond their noise in a period.",
                "Allein durch Zufall liegen in einem Zeitraum etwa {e:.1f} der {n} Spalten über ihrem Rauschen.",
                e=(1 - EXCEED_Q) * len(every),
                n=len(every),
            )
        )
    parts.append(
        say(
            "Drift is information: on its own it pages no one. An alert needs evidence that the model's ranking or "
            "calibration is at risk (a trustworthy rate move, a label-free ROC-AUC drop, scores outside the "
            "reference's range, or the labels).",
            "Drift ist eine Information: allein löst sie keinen Alarm aus. Ein Alarm braucht Hinweise, dass Ranking "
            "oder Kalibrierung des Modells gefährdet sind (eine belastbare Verschiebung der Quote, ein Rückgang der "
            "ohne Labels geschätzten ROC-AUC, Scores außerhalb des Bereichs der Referenz oder die Labels).",
        )
    )
    return join(parts)
