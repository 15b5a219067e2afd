"""Charts of a budget record (Altair -> inline SVG, offline) and a small standalone HTML report.

Response curves with their 90 % bands and today's spend, the proposed shift, ROI per channel with
intervals, contributions over time, carry-over profiles and the holdout. Each ``*_chart`` returns the
Altair chart (its data can be checked); :func:`svgs` renders them; :func:`write_html` writes a page
with no script and no CDN, saying which evidence decided the verdict. Everything takes ``lang``
(``"en"`` / ``"de"``): titles, axes, legends and sentences in that language, numbers in its format
(the charts' data keep their English series names; the legends translate them). Without the
``report`` extra the page shows tables only.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from nomagic.report.advice import not_advice
from nomagic.report.charts import _svg, available
from nomagic.usecases.budget.evidence import evidence_words
from nomagic.usecases.budget.model import fit_verdict
from nomagic.words import pick, say, verdict

W, H = 260, 170

#: series names in the charts' data (English: tests read them) as a German legend shows them
_SERIES_DE = {
    "today": "heute",
    "proposed": "Vorschlag",
    "roi": "ROI",
    "marginal_roi": "Grenz-ROI",
    "base": "Basis",
    "actual": "tatsächlich",
    "model": "Modell",
    "baseline": "Baseline",
}
_SERIES_EN = {"roi": "ROI", "marginal_roi": "marginal ROI"}


def _t(lang: str, en: str, de: str, **values) -> str:
    return say(en, de, **values).lang(lang)


def _legend(lang: str, title=None):
    """A legend that names the series in ``lang`` (the data keep their English names)."""
    import altair as alt

    names = _SERIES_DE if lang == "de" else _SERIES_EN
    expr = " : ".join(f"datum.label == '{k}' ? '{v}'" for k, v in names.items()) + " : datum.label"
    return alt.Legend(title=title, labelExpr=expr)


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


def response_chart(record: dict, lang: str = "en"):
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
    x_title = _t(lang, "spend per period", "Ausgaben je Periode")
    y_title = _t(lang, "response per period", "Wirkung je Periode")

    def draw(part: pd.DataFrame, channel: str):
        base = alt.Chart(part.sort_values("spend")).encode(x=alt.X("spend:Q", title=x_title))
        band = base.mark_area(opacity=0.25).encode(y=alt.Y("low:Q", title=y_title), y2="high:Q")
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
                        legend=_legend(lang),
                        scale=alt.Scale(domain=["today", "proposed"], range=["#9aa3b2", "#d83a3a"]),
                    ),
                )
            )
        return alt.layer(*layers)

    title = _t(
        lang,
        "Response curves (steady state, 90% band); dashed: today and proposed",
        "Reaktionskurven (Dauerzustand, 90-%-Band); gestrichelt: heute und Vorschlag",
    )
    return _per_channel(df, draw, title)


def shift_chart(record: dict, lang: str = "en"):
    import altair as alt

    a = record["allocation"]
    rows = [
        {"channel": c, "split": w, "spend": s}
        for w, key in (("today", "current"), ("proposed", "proposed"))
        for c, s in zip(a["channels"], a[key], strict=True)
    ]
    title = _t(lang, "Proposed shift of the budget", "Vorgeschlagene Verschiebung des Budgets")
    if record.get("verdict") != "promoted":
        title += _t(lang, " (model not promoted: not advice)", " (Modell nicht übernommen: keine Empfehlung)")
    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar()
        .encode(
            y=alt.Y("channel:N", title=None),
            x=alt.X("spend:Q", title=_t(lang, "spend per period", "Ausgaben je Periode")),
            yOffset="split:N",
            color=alt.Color(
                "split:N",
                legend=_legend(lang),
                scale=alt.Scale(domain=["proposed", "today"], range=["#d83a3a", "#9aa3b2"]),
            ),
        )
        .properties(width=420, height=40 * len(a["channels"]), title=title)
    )


def roi_chart(record: dict, lang: str = "en"):
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
    base = alt.Chart(df).encode(
        y=alt.Y("channel:N", title=None), yOffset="what:N", color=alt.Color("what:N", legend=_legend(lang))
    )
    x_title = _t(lang, "return per unit of spend (90% interval)", "Ertrag je ausgegebener Einheit (90-%-Intervall)")
    return (
        base.mark_rule().encode(x=alt.X("low:Q", title=x_title), x2="high:Q")
        + base.mark_point(filled=True).encode(x="value:Q")
    ).properties(
        width=420, height=40 * len(record["params"]), title=_t(lang, "ROI and marginal ROI", "ROI und Grenz-ROI")
    )


def contributions_chart(record: dict, lang: str = "en"):
    import altair as alt

    c = pd.DataFrame(record["curves"]["contributions"])
    date = c.columns[0]
    chans = list(record["params"])
    long = c.melt(id_vars=[date], value_vars=["base", *chans], var_name="part", value_name="value")
    return (
        alt.Chart(long)
        .mark_area()
        .encode(
            x=alt.X(f"{date}:T", title=None),
            y=alt.Y("value:Q", stack="zero", title=_t(lang, "target per period", "Zielgröße je Periode")),
            color=alt.Color("part:N", legend=_legend(lang)),
        )
        .properties(
            width=560,
            height=220,
            title=_t(lang, "Contributions over time (posterior mean)", "Beiträge im Zeitverlauf (Posterior-Mittel)"),
        )
    )


def carryover_chart(record: dict, lang: str = "en"):
    import altair as alt

    x_title = _t(lang, "periods later", "Perioden später")
    y_title = _t(lang, "share of the effect", "Anteil der Wirkung")

    def draw(part: pd.DataFrame, channel: str):
        base = alt.Chart(part).encode(x=alt.X("lag:O", title=x_title))
        return alt.layer(
            base.mark_bar().encode(y=alt.Y("weight:Q", title=y_title)),
            base.mark_rule().encode(y="low:Q", y2="high:Q"),
        )

    title = _t(lang, "Carry-over profiles (90% band)", "Übertragungsprofile (90-%-Band)")
    return _per_channel(pd.DataFrame(record["curves"]["carryover"]), draw, title)


def holdout_chart(record: dict, lang: str = "en"):
    import altair as alt

    h = record["holdout"]
    df = pd.DataFrame({"date": h["dates"], "actual": h["actual"], "model": h["model"], "baseline": h["baseline"]})
    long = df.melt(id_vars="date", var_name="series", value_name="value")
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y(
                "value:Q",
                title=_t(lang, "target per period", "Zielgröße je Periode"),
                scale=alt.Scale(zero=False),
            ),
            color=alt.Color("series:N", legend=_legend(lang)),
        )
        .properties(
            width=560,
            height=200,
            title=_t(
                lang,
                "Held-out periods: actual, model, baseline (no media)",
                "Testzeitraum: tatsächlich, Modell, Baseline (ohne Medien)",
            ),
        )
    )


CHARTS = (
    ("response", response_chart),
    ("shift", shift_chart),
    ("roi", roi_chart),
    ("contributions", contributions_chart),
    ("carryover", carryover_chart),
    ("holdout", holdout_chart),
)


def svgs(record: dict, lang: str = "en") -> list[tuple[str, str]]:
    """``(name, svg)`` of every chart the record has data for, in ``lang``; empty without the ``report`` extra."""
    if not available() or record.get("verdict") == "not ready":
        return []
    out = []
    for name, fn in CHARTS:
        if (name == "shift" and not record.get("allocation")) or (name == "holdout" and not record.get("holdout")):
            continue
        out.append((name, _svg(fn(record, lang=lang), lang)))
    return out


def _num(v, spec: str, lang: str) -> str:
    return say("{v:" + spec + "}", "{v:" + spec + "}", v=float(v)).lang(lang)


def _interval(v: dict, lang: str) -> str:
    """``value [low, high]``; German ``value [low; high]`` (its decimal commas would blur a comma)."""
    lo, hi = v["interval_90"]
    sep = "; " if lang == "de" else ", "
    return f"{_num(v['value'], '.2f', lang)} [{_num(lo, '.2f', lang)}{sep}{_num(hi, '.2f', lang)}]"


def _table(record: dict, lang: str = "en") -> str:
    rows = []
    for c, p in record["params"].items():
        cells = [
            html.escape(c),
            _num(p["spend"], ",.0f", lang),
            _interval(p["roi"], lang),
            _interval(p["marginal_roi"], lang),
        ]
        rows.append("<tr>" + "".join(f"<td>{x}</td>" for x in cells) + "</tr>")
    head = [
        _t(lang, "channel", "Kanal"),
        _t(lang, "spend", "Ausgaben"),
        _t(lang, "ROI (90%)", "ROI (90 %)"),
        _t(lang, "marginal ROI (90%)", "Grenz-ROI (90 %)"),
    ]
    return "<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>" + "".join(rows) + "</table>"


def evidence_html(record: dict, lang: str = "en") -> str:
    """Which evidence decided, and what it showed (``record["evidence"]``, ``record["roi_check"]``)."""
    kind = record.get("evidence")
    if not kind:
        return ""
    check = record.get("roi_check") or {}
    words = pick(check, "words", lang)
    label = _t(lang, "Evidence", "Beleg")
    head = evidence_words(kind).lang(lang)
    return (
        f"<p id=evidence><b>{html.escape(label)}: {html.escape(head)}</b>"
        + (f" - {html.escape(str(words))}" if words else "")
        + "</p>"
    )


def render(record: dict, title: str | None = None, lang: str = "en") -> str:
    """A standalone page of a budget record (or an ``optimise-budget`` result) in ``lang``."""
    title = title or _t(lang, "nomagic: budget allocation", "nomagic: Budgetaufteilung")
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p><b>{html.escape(verdict(record['verdict'], lang))}</b>: "
        f"{html.escape(str(pick(record, 'explanation', lang)))}</p>",
    ]
    if record.get("verdict") != "not ready":
        if warning := not_advice(record, lang):
            parts.append(f"<p class=warn id=not-advice><b>{html.escape(warning)}</b></p>")
        parts.append(evidence_html(record, lang))
        parts.append(_table(record, lang))
        if record.get("allocation"):
            parts.append(f"<p>{html.escape(str(pick(record['allocation'], 'words', lang)))}</p>")
        d = record.get("diagnostics") or {}
        if d.get("verdict"):
            fit = _t(lang, "fit", "Anpassung")
            parts.append(
                f"<p id=fit><b>{html.escape(fit)}: {html.escape(fit_verdict(d['verdict'], lang))}</b> - "
                f"{html.escape(str(pick(d, 'words', lang)))}</p>"
            )
        warn = _t(lang, "warning", "Warnung")
        for w in pick(record, "warnings", lang) or []:
            parts.append(f"<p class=warn>{html.escape(warn)}: {html.escape(str(w))}</p>")
        for _, svg in svgs(record, lang):
            parts.append(f"<div class=chart>{svg}</div>")
    style = (
        "body{font-family:sans-serif;max-width:1000px;margin:2em auto}td,th{padding:2px 8px;text-align:right}"
        ".warn{color:#a60}"
    )
    return (
        f"<!doctype html><html lang={lang}><head><meta charset=utf-8><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>{''.join(parts)}</body></html>"
    )


def write_html(path, record: dict, title: str | None = None, lang: str = "en") -> Path:
    path = Path(path)
    path.write_text(render(record, title, lang))
    return path


__all__ = ["CHARTS", "available", "evidence_html", "render", "svgs", "write_html"]
