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
from nomagic.words import date_text, in_lang, number, pick, say

SENTIMENTS = ("positive", "neutral", "negative")
SENTIMENT_COLORS = ["#3aa05a", "#b7bcc6", "#d8493a"]
_SENTIMENT_DE = {"positive": "positiv", "neutral": "neutral", "negative": "negativ"}
_PERIOD = {"hour": ("hour", "Stunde"), "day": ("day", "Tag"), "week": ("week", "Woche")}
_KIND = {"volume": ("volume", "Volumen"), "negative share": ("negative share", "Negativanteil")}


def _t(lang: str, en: str, de: str, **values) -> str:
    return say(en, de, **values).lang(lang)


def _word(table: dict, key: str, lang: str) -> str:
    return table.get(key, (key, key))[lang == "de"]


def _when(iso: str, lang: str) -> str:
    """An ISO time as people of ``lang`` write it (the time only where it is not midnight)."""
    clock = iso[11:16] if len(iso) > 11 and iso[11:16] != "00:00" else ""
    return (date_text(iso[:10], lang) + (" " + clock if clock else "")).strip()


def volume_chart(record: dict, top: int = 6, lang: str = "en"):
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
            y=alt.Y(
                "mentions:Q",
                stack=True,
                title=_t(
                    lang, "mentions per {p}", "Erwähnungen je {p}", p=_word(_PERIOD, record["data"]["period"], lang)
                ),
            ),
            color=alt.Color(
                "sentiment:N",
                scale=alt.Scale(domain=list(SENTIMENTS), range=SENTIMENT_COLORS),
                legend=_sentiment_legend(lang),
            ),
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
        .properties(
            title=_t(
                lang,
                "Mentions by sentiment; shaded: alert episodes",
                "Erwähnungen nach Stimmung; schattiert: Alarm-Episoden",
            )
        )
    )


def _sentiment_legend(lang: str):
    import altair as alt

    title = _t(lang, "sentiment", "Stimmung")
    if lang != "de":
        return alt.Legend(title=title)
    expr = " : ".join(f"datum.label == '{k}' ? '{v}'" for k, v in _SENTIMENT_DE.items()) + " : datum.label"
    return alt.Legend(title=title, labelExpr=expr)


def topics_chart(record: dict, lang: str = "en"):
    import altair as alt

    df = pd.DataFrame(record["topics"])
    if df.empty:
        return None
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort="-x", title=None),
            x=alt.X("mentions:Q", title=_t(lang, "mentions", "Erwähnungen")),
            color=alt.Color(
                "negative_share:Q",
                scale=alt.Scale(domain=[0, 1], range=["#b7bcc6", "#d8493a"]),
                title=_t(lang, "negative share", "Negativanteil"),
            ),
            tooltip=["label", "mentions", "negative_share"],
        )
        .properties(width=360, title=_t(lang, "Topics of the mentions", "Themen der Erwähnungen"))
    )


def svgs(record: dict, lang: str = "en") -> list[tuple[str, str]]:
    if not available():
        return []
    out = []
    if record.get("series"):
        out.append(("volume", _svg(volume_chart(record, lang=lang), lang)))
    t = topics_chart(record, lang)
    if t is not None:
        out.append(("topics", _svg(t, lang)))
    return out


def _alerts_table(record: dict, lang: str = "en") -> str:
    if not record["alerts"]:
        return (
            "<p>"
            + _t(
                lang,
                "No alerts: no brand's volume or negative share rose beyond what its own past predicted.",
                "Keine Alarme: bei keiner Marke stiegen Volumen oder Negativanteil über das, was ihre eigene Vergangenheit "
                "erwarten ließ.",
            )
            + "</p>"
        )
    rows = []
    for a in record["alerts"]:
        peak = in_lang(describe_peak(a), lang)
        peak += _t(lang, " expected", " erwartet") if "expected" in a["peak"] else ""
        note = _t(lang, " (no earlier history: a new source?)", " (keine frühere Historie: eine neue Quelle?)")
        note = note if a.get("new_source") else ""
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(v))}</td>"
                for v in (
                    a["brand"],
                    _word(_KIND, a["kind"], lang) + note,
                    _when(a["start"], lang),
                    _when(a["end"], lang),
                    peak,
                    number(a["peak"]["z"], ".1f", lang),
                    ", ".join(a["words"]),
                    (a["examples"] or [""])[0][:140],
                )
            )
            + "</tr>"
        )
    heads = (
        ("brand", "Marke"),
        ("alert", "Alarm"),
        ("from", "von"),
        ("to", "bis"),
        ("peak", "Spitze"),
        ("z", "z"),
        ("unusual words", "auffällige Wörter"),
        ("example", "Beispiel"),
    )
    head = "".join(f"<th>{_t(lang, en, de)}</th>" for en, de in heads)
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _topics_table(record: dict, lang: str = "en") -> str:
    if not record["topics"]:
        return ""
    heads = (
        ("topic", "Thema"),
        ("mentions", "Erwähnungen"),
        ("negative", "negativ"),
        ("brands", "Marken"),
        ("example", "Beispiel"),
    )
    head = "".join(f"<th>{_t(lang, en, de)}</th>" for en, de in heads)
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(v))}</td>"
            for v in (
                t["label"],
                number(t["mentions"], ",", lang),
                number(t["negative_share"], ".0%", lang),
                ", ".join(f"{b} {n}" for b, n in list(t["brands"].items())[:3]),
                (t["examples"] or [""])[0][:140],
            )
        )
        + "</tr>"
        for t in record["topics"]
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def fragment(record: dict, heading: str = "h2", lang: str = "en") -> str:
    """The monitoring record as an HTML fragment (summary, alerts, chart, topics) for any page, in ``lang``."""
    sub = "h3" if heading == "h2" else "h2"
    d = record["data"]
    s = record["sentiment"]
    parts = [
        "<p>"
        + _t(
            lang,
            "{n:,} mentions of {b} brand(s), {a} to {z}, per {p}. Sentiment: {s}.",
            "{n:,} Erwähnungen von {b} Marke(n), {a} bis {z}, je {p}. Stimmung: {s}.",
            n=d["mentions"],
            b=len(d["brands"]),
            a=_when(d["start"], lang),
            z=_when(d["end"], lang),
            p=_word(_PERIOD, d["period"], lang),
            s=html.escape(str(pick(s, "source", lang))),
        )
        + "</p>",
    ]
    if s.get("caveat"):
        parts.append(f"<p class=warn>{html.escape(str(pick(s, 'caveat', lang)))}</p>")
    for w in pick(record, "warnings", lang, []) or []:
        parts.append(f"<p class=warn>{_t(lang, 'warning', 'Warnung')}: {html.escape(str(w))}</p>")
    rule = html.escape(str(pick(record, "alert_rule", lang)))
    parts += [
        f"<{sub}>{_t(lang, 'Alerts', 'Alarme')}</{sub}><p>{_t(lang, 'Rule', 'Regel')}: {rule}.</p>",
        _alerts_table(record, lang),
    ]
    charts = dict(svgs(record, lang))
    if "volume" in charts:
        parts.append(f"<div class=chart>{charts['volume']}</div>")
    if record["topics"]:
        features = html.escape(str(pick(record["topic_model"], "features", lang)))
        parts.append(f"<{sub}>{_t(lang, 'Topics', 'Themen')}</{sub}><p>{features}</p>")
        if "topics" in charts:
            parts.append(f"<div class=chart>{charts['topics']}</div>")
        parts.append(_topics_table(record, lang))
    return "".join(parts)


def render(record: dict, title: str = "nomagic: brand monitoring", lang: str = "en") -> str:
    style = "body{font-family:sans-serif;max-width:1100px;margin:2em auto}td,th{padding:2px 8px;text-align:left;vertical-align:top}.warn{color:#a60}"
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1>{fragment(record, lang=lang)}</body></html>"
    )


def write_html(path, record: dict, title: str = "nomagic: brand monitoring", lang: str = "en") -> Path:
    path = Path(path)
    path.write_text(render(record, title, lang), encoding="utf-8")
    return path


__all__ = ["fragment", "render", "svgs", "topics_chart", "volume_chart", "write_html"]
