"""Charts of a budget record (Altair -> inline SVG, offline) and a small standalone HTML report.

Response curves with their 90 % bands and today's spend, the proposed shift, ROI per channel with
intervals, contributions over time, carry-over profiles and the holdout. Each ``*_chart`` returns the
Altair chart (its data can be checked); :func:`svgs` renders them; :func:`write_html` writes a page
with no script and no CDN. Without the ``report`` extra the page shows tables only.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from nomagic.report.advice import not_advice
from nomagic.report.charts import _svg, available

W, H = 260, 170


def _per_channel(df: pd.DataFrame, draw, title: str):
    """One panel per channel, each holding only its own rows.

    Not a facet: a facet shares one data set among its panels, and a layer that brings its own data
    (the dashed spend rules) is then drawn whole in every panel, so every panel showed every
    channel's curve. Here each panel's data is its channel's, which a test can read.
    """
    import altair as alt

    panels = [
        draw(df[df["channel"] == c], c).properties(width=W, height=H, title=str(c)) for c in df["channel"].unique()
    ]
    return alt.concat(*panels, columns=3).resolve_scale(color="shared").properties(title=title)


def response_chart(record: dict):
    import altair as alt

    df = pd.DataFrame(record["curves"]["response"])
    alloc = record.get("allocation") or {}
    spends = pd.DataFrame(
        [
            {"channel": c, "spend": s, "what": w}
            for w, key in (("today", "current"), ("proposed", "proposed"))
            for c, s in zip(alloc.get("channels", []), alloc.get(key, []), strict=True)
        ],
        columns=["channel", "spend", "what"],
    )

    def draw(part: pd.DataFrame, channel: str):
        base = alt.Chart(part.sort_values("spend")).encode(x=alt.X("spend:Q", title="spend per period"))
        band = base.mark_area(opacity=0.25).encode(y=alt.Y("low:Q", title="response per period"), y2="high:Q")
        layers = [band, base.mark_line().encode(y="response:Q")]
        mine = spends[spends["channel"] == channel]
        if len(mine):
            layers.append(
                alt.Chart(mine)
                .mark_rule(strokeDash=[4, 3])
                .encode(
                    x="spend:Q",
                    color=alt.Color(
                        "what:N",
                        title=None,
                        scale=alt.Scale(domain=["today", "proposed"], range=["#9aa3b2", "#d83a3a"]),
                    ),
                )
            )
        return alt.layer(*layers)

    return _per_channel(df, draw, "Response curves (steady state, 90% band); dashed: today and proposed")


def shift_chart(record: dict):
    import altair as alt

    a = record["allocation"]
    rows = [
        {"channel": c, "split": w, "spend": s}
        for w, key in (("today", "current"), ("proposed", "proposed"))
        for c, s in zip(a["channels"], a[key], strict=True)
    ]
    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar()
        .encode(
            y=alt.Y("channel:N", title=None),
            x=alt.X("spend:Q", title="spend per period"),
            yOffset="split:N",
            color=alt.Color("split:N", scale=alt.Scale(range=["#d83a3a", "#9aa3b2"])),
        )
        .properties(
            width=420,
            height=40 * len(a["channels"]),
            title="Proposed shift of the budget"
            + ("" if record.get("verdict") == "promoted" else " (model not promoted: not advice)"),
        )
    )


def roi_chart(record: dict):
    import altair as alt

    rows = []
    for c, p in record["params"].items():
        for what in ("roi", "marginal_roi"):
            v = p[what]
            rows.append(
                {
                    "channel": c,
                    "what": what,
                    "value": v["value"],
                    "low": v["interval_90"][0],
                    "high": v["interval_90"][1],
                }
            )
    df = pd.DataFrame(rows)
    base = alt.Chart(df).encode(y=alt.Y("channel:N", title=None), yOffset="what:N", color="what:N")
    return (
        base.mark_rule().encode(x=alt.X("low:Q", title="return per unit of spend (90% interval)"), x2="high:Q")
        + base.mark_point(filled=True).encode(x="value:Q")
    ).properties(width=420, height=40 * len(record["params"]), title="ROI and marginal ROI")


def contributions_chart(record: dict):
    import altair as alt

    c = pd.DataFrame(record["curves"]["contributions"])
    date = c.columns[0]
    chans = list(record["params"])
    long = c.melt(id_vars=[date], value_vars=["base", *chans], var_name="part", value_name="value")
    return (
        alt.Chart(long)
        .mark_area()
        .encode(x=alt.X(f"{date}:T", title=None), y=alt.Y("value:Q", stack="zero", title="target"), color="part:N")
        .properties(width=560, height=220, title="Contributions over time (posterior mean)")
    )


def carryover_chart(record: dict):
    import altair as alt

    def draw(part: pd.DataFrame, channel: str):
        base = alt.Chart(part).encode(x=alt.X("lag:O", title="periods later"))
        return alt.layer(
            base.mark_bar().encode(y=alt.Y("weight:Q", title="share of the effect")),
            base.mark_rule().encode(y="low:Q", y2="high:Q"),
        )

    return _per_channel(pd.DataFrame(record["curves"]["carryover"]), draw, "Carry-over profiles (90% band)")


def holdout_chart(record: dict):
    import altair as alt

    h = record["holdout"]
    df = pd.DataFrame({"date": h["dates"], "actual": h["actual"], "model": h["model"], "baseline": h["baseline"]})
    long = df.melt(id_vars="date", var_name="series", value_name="value")
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("value:Q", title="target", scale=alt.Scale(zero=False)),
            color="series:N",
        )
        .properties(width=560, height=200, title="Held-out periods: actual, model, baseline")
    )


CHARTS = (
    ("response", response_chart),
    ("shift", shift_chart),
    ("roi", roi_chart),
    ("contributions", contributions_chart),
    ("carryover", carryover_chart),
    ("holdout", holdout_chart),
)


def svgs(record: dict) -> list[tuple[str, str]]:
    """``(name, svg)`` of every chart the record has data for; empty without the ``report`` extra."""
    if not available() or record.get("verdict") == "not ready":
        return []
    out = []
    for name, fn in CHARTS:
        if (name == "shift" and not record.get("allocation")) or (name == "holdout" and not record.get("holdout")):
            continue
        out.append((name, _svg(fn(record))))
    return out


def _table(record: dict) -> str:
    rows = []
    for c, p in record["params"].items():
        r, m = p["roi"], p["marginal_roi"]
        rows.append(
            f"<tr><td>{html.escape(c)}</td><td>{p['spend']:,.0f}</td><td>{r['value']:.2f} "
            f"[{r['interval_90'][0]:.2f}, {r['interval_90'][1]:.2f}]</td><td>{m['value']:.2f} "
            f"[{m['interval_90'][0]:.2f}, {m['interval_90'][1]:.2f}]</td></tr>"
        )
    return (
        "<table><tr><th>channel</th><th>spend</th><th>ROI (90%)</th><th>marginal ROI (90%)</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def render(record: dict, title: str = "nomagic: budget allocation") -> str:
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p><b>{html.escape(record['verdict'])}</b>: {html.escape(record['explanation'])}</p>",
    ]
    if record.get("verdict") != "not ready":
        if warning := not_advice(record):
            parts.append(f"<p class=warn id=not-advice><b>{html.escape(warning)}</b></p>")
        parts.append(_table(record))
        if record.get("allocation"):
            parts.append(f"<p>{html.escape(record['allocation']['words'])}</p>")
        for w in record.get("warnings") or []:
            parts.append(f"<p class=warn>warning: {html.escape(w)}</p>")
        for _, svg in svgs(record):
            parts.append(f"<div class=chart>{svg}</div>")
    style = "body{font-family:sans-serif;max-width:1000px;margin:2em auto}td,th{padding:2px 8px;text-align:right}.warn{color:#a60}"
    return f"<!doctype html><html><head><meta charset=utf-8><title>{html.escape(title)}</title><style>{style}</style></head><body>{''.join(parts)}</body></html>"


def write_html(path, record: dict, title: str = "nomagic: budget allocation") -> Path:
    path = Path(path)
    path.write_text(render(record, title))
    return path


__all__ = ["CHARTS", "available", "render", "svgs", "write_html"]
