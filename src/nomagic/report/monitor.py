"""Charts and a standalone HTML page of a brand-monitoring record (Altair -> inline SVG, offline).

Mentions over time per brand, stacked by sentiment, with the alert episodes shaded; the topics by
size and negative share; tables of the alerts (with the words that drove them) and of the topics.
Each ``*_chart`` returns the Altair chart (its data can be checked); without the ``report`` extra the
page shows the tables only.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from nomagic.report.charts import _svg, available
from nomagic.usecases.language.monitor import describe_peak

SENTIMENTS = ("positive", "neutral", "negative")
SENTIMENT_COLORS = ["#3aa05a", "#b7bcc6", "#d8493a"]


def volume_chart(record: dict, top: int = 6):
    import altair as alt

    brands = record["data"]["brands"][:top]
    df = pd.DataFrame(record["series"])
    df = df[df["brand"].isin(brands)].drop(columns="mentions")
    long = df.melt(
        id_vars=["brand", "period"], value_vars=list(SENTIMENTS), var_name="sentiment", value_name="mentions"
    )
    long["start"] = pd.to_datetime(long["period"])
    step = pd.Timedelta(1, unit={"hour": "h", "day": "D", "week": "W"}[record["data"]["period"]])
    alerts = pd.DataFrame(
        [
            {"brand": a["brand"], "start": pd.Timestamp(a["start"]), "end": pd.Timestamp(a["end"]) + step}
            for a in record["alerts"]
            if a["brand"] in brands
        ],
        columns=["brand", "start", "end"],
    )
    # one frame for the faceted layers; each layer filters its own rows
    data = pd.concat([long.assign(layer="series"), alerts.assign(layer="alert")], ignore_index=True)
    data["start"] = pd.to_datetime(data["start"]).dt.strftime("%Y-%m-%dT%H:%M:%S")
    data["end"] = pd.to_datetime(data["end"]).dt.strftime("%Y-%m-%dT%H:%M:%S")
    area = (
        alt.Chart()
        .transform_filter("datum.layer == 'series'")
        .mark_area()
        .encode(
            x=alt.X("start:T", title=None),
            y=alt.Y("mentions:Q", stack=True, title=f"mentions per {record['data']['period']}"),
            color=alt.Color("sentiment:N", scale=alt.Scale(domain=list(SENTIMENTS), range=SENTIMENT_COLORS)),
            order=alt.Order("sentiment:N"),
        )
    )
    shade = (
        alt.Chart()
        .transform_filter("datum.layer == 'alert'")
        .mark_rect(opacity=0.18, color="#d8493a")
        .encode(x="start:T", x2="end:T")
    )
    return (
        alt.layer(shade, area, data=data)
        .properties(width=420, height=110)
        .facet(row=alt.Row("brand:N", title=None, sort=brands))
        .resolve_scale(y="independent")
        .properties(title="Mentions by sentiment; shaded: alert episodes")
    )


def topics_chart(record: dict):
    import altair as alt

    df = pd.DataFrame(record["topics"])
    if df.empty:
        return None
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort="-x", title=None),
            x=alt.X("mentions:Q"),
            color=alt.Color(
                "negative_share:Q", scale=alt.Scale(domain=[0, 1], range=["#b7bcc6", "#d8493a"]), title="negative share"
            ),
            tooltip=["label", "mentions", "negative_share"],
        )
        .properties(width=360, title="Topics of the mentions")
    )


def svgs(record: dict) -> list[tuple[str, str]]:
    if not available():
        return []
    out = []
    if record.get("series"):
        out.append(("volume", _svg(volume_chart(record))))
    t = topics_chart(record)
    if t is not None:
        out.append(("topics", _svg(t)))
    return out


def _alerts_table(record: dict) -> str:
    if not record["alerts"]:
        return "<p>No alerts: no brand's volume or negative share rose beyond what its own past predicted.</p>"
    rows = []
    for a in record["alerts"]:
        peak = describe_peak(a) + (" expected" if "expected" in a["peak"] else "")
        note = " (no earlier history: a new source?)" if a.get("new_source") else ""
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(v))}</td>"
                for v in (
                    a["brand"],
                    a["kind"] + note,
                    a["start"],
                    a["end"],
                    peak,
                    a["peak"]["z"],
                    ", ".join(a["words"]),
                    (a["examples"] or [""])[0][:140],
                )
            )
            + "</tr>"
        )
    head = "".join(f"<th>{h}</th>" for h in ("brand", "alert", "from", "to", "peak", "z", "unusual words", "example"))
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _topics_table(record: dict) -> str:
    if not record["topics"]:
        return ""
    head = "".join(f"<th>{h}</th>" for h in ("topic", "mentions", "negative", "brands", "example"))
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(v))}</td>"
            for v in (
                t["label"],
                t["mentions"],
                f"{t['negative_share']:.0%}",
                ", ".join(f"{b} {n}" for b, n in list(t["brands"].items())[:3]),
                (t["examples"] or [""])[0][:140],
            )
        )
        + "</tr>"
        for t in record["topics"]
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def fragment(record: dict, heading: str = "h2") -> str:
    """The monitoring record as an HTML fragment (summary, alerts, chart, topics) for any page."""
    sub = "h3" if heading == "h2" else "h2"
    d = record["data"]
    s = record["sentiment"]
    parts = [
        f"<p>{d['mentions']:,} mentions of {len(d['brands'])} brand(s), {d['start'][:16]} to {d['end'][:16]}, "
        f"per {d['period']}. Sentiment: {html.escape(s['source'])}.</p>",
    ]
    if s.get("caveat"):
        parts.append(f"<p class=warn>{html.escape(s['caveat'])}</p>")
    for w in record.get("warnings") or []:
        parts.append(f"<p class=warn>warning: {html.escape(w)}</p>")
    parts += [f"<{sub}>Alerts</{sub}><p>Rule: {html.escape(record['alert_rule'])}.</p>", _alerts_table(record)]
    charts = dict(svgs(record))
    if "volume" in charts:
        parts.append(f"<div class=chart>{charts['volume']}</div>")
    if record["topics"]:
        parts.append(f"<{sub}>Topics</{sub}><p>{html.escape(record['topic_model'].get('features', ''))}</p>")
        if "topics" in charts:
            parts.append(f"<div class=chart>{charts['topics']}</div>")
        parts.append(_topics_table(record))
    return "".join(parts)


def render(record: dict, title: str = "nomagic: brand monitoring") -> str:
    style = "body{font-family:sans-serif;max-width:1100px;margin:2em auto}td,th{padding:2px 8px;text-align:left;vertical-align:top}.warn{color:#a60}"
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title><style>{style}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>{fragment(record)}</body></html>"
    )


def write_html(path, record: dict, title: str = "nomagic: brand monitoring") -> Path:
    path = Path(path)
    path.write_text(render(record, title), encoding="utf-8")
    return path


__all__ = ["fragment", "render", "svgs", "topics_chart", "volume_chart", "write_html"]
