"""The monitoring chart: per period, what the monitor estimated without labels next to what really happened
once the labels arrived (positive rate with its interval, and ROC-AUC), from the ``monitor_periods`` table."""

from __future__ import annotations

import pandas as pd

from nomagic.report.charts import MODEL_COLOR, _svg, _t, available

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
