"""The bidding record's charts: spend against the budget over the test days, what each strategy buys, and the
bid landscape (the share of auctions a bid wins). Each builder returns the Altair chart, so a test reads the
data each panel holds; :func:`svgs` draws them for the report and the dashboard."""

from __future__ import annotations

import pandas as pd

from nomagic.report.charts import BASELINE_COLOR, MODEL_COLOR, _svg_of, _t, legend

#: the strategies' names in a chart's legend
_NAMES = {
    "nomagic": ("nomagic", "nomagic"),
    "constant": ("best constant", "bestes konstantes"),
    "linear_lr": ("linear on LR", "linear auf LR"),
    "ortb_lr": ("ORTB on LR", "ORTB auf LR"),
    "budget": ("budget", "Budget"),
}
_COLORS = {
    "nomagic": MODEL_COLOR,
    "constant": BASELINE_COLOR,
    "linear_lr": "#c08a2b",
    "ortb_lr": "#7a5ea8",
    "budget": "#444",
}


def _name(key: str, lang: str) -> str:
    en, de = _NAMES.get(key, (key, key))
    return de if lang == "de" else en


def _scale(keys, lang: str):
    import altair as alt

    return alt.Scale(domain=[_name(k, lang) for k in keys], range=[_COLORS.get(k, "#888") for k in keys])


def spend_chart(record: dict, lang: str = "en"):
    """Cumulative spend of each strategy over the test days at the first budget, and the budget spread evenly."""
    pacing = record.get("pacing") or {}
    if not pacing.get("days"):
        return None
    import altair as alt

    days, budget = pacing["days"], float(pacing["budget"])
    rows = [
        {"day": d, "spend": v, "who": _name(name, lang)}
        for name, series in pacing["spend"].items()
        for d, v in zip(days, series, strict=True)
    ]
    rows += [
        {"day": d, "spend": budget * (i + 1) / len(days), "who": _name("budget", lang)} for i, d in enumerate(days)
    ]
    keys = [*pacing["spend"], "budget"]
    chart = (
        alt.Chart(pd.DataFrame(rows))
        .mark_line(point=len(days) <= 31)
        .encode(
            x=alt.X("day:T", title=_t(lang, "test day", "Testtag")),
            y=alt.Y(
                "spend:Q",
                title=_t(lang, "spend so far (log's price unit)", "bisherige Ausgaben (Preiseinheit des Logs)"),
            ),
            color=alt.Color("who:N", scale=_scale(keys, lang), legend=legend(lang)),
            strokeDash=alt.condition(f"datum.who == '{_name('budget', lang)}'", alt.value([4, 4]), alt.value([1, 0])),
        )
    )
    title = _t(
        lang,
        "Spend against the budget ({s:.0%} of the cost)",
        "Ausgaben gegen das Budget ({s:.0%} der Kosten)",
        s=pacing["share"],
    )
    return chart.properties(width=380, height=220, title=title)


def clicks_chart(record: dict, lang: str = "en"):
    """What each strategy buys at each budget (expected clicks on the simulator, else the KPI), with 95% CIs."""
    truth = record.get("truth")
    rows_in = (truth or {}).get("budgets") or record.get("budgets") or []
    if not rows_in:
        return None
    import altair as alt

    metric = "expected_clicks" if truth else record["params"]["kpi"]
    rows = []
    for b in rows_in:
        for name, s in b["strategies"].items():
            m = s[metric] if truth else s[f"{metric}_ci"]
            rows.append(
                {
                    "budget": f"1/{1 / b['share']:.0f}",
                    "who": _name(name, lang),
                    "value": m["value"],
                    "lo": m["ci"][0],
                    "hi": m["ci"][1],
                }
            )
    frame = pd.DataFrame(rows)
    keys = list(rows_in[0]["strategies"])
    base = alt.Chart(frame).encode(
        x=alt.X("who:N", title=None, sort=[_name(k, lang) for k in keys], axis=alt.Axis(labels=False, ticks=False)),
        color=alt.Color("who:N", scale=_scale(keys, lang), legend=legend(lang)),
    )
    words = {"expected_clicks": ("expected clicks", "erwartete Klicks"), "clicks": ("clicks", "Klicks")}
    en, de = words.get(metric, ("conversions", "Konversionen"))
    bars = base.mark_bar().encode(y=alt.Y("value:Q", title=_t(lang, en, de)))
    ci = base.mark_rule().encode(y="lo:Q", y2="hi:Q", color=alt.value("#222"))
    chart = alt.layer(bars, ci, data=frame).facet(
        column=alt.Column(
            "budget:N",
            sort=list(dict.fromkeys(frame["budget"])),
            title=_t(lang, "budget (share of the cost)", "Budget (Anteil der Kosten)"),
        )
    )
    return chart.properties(title=_t(lang, "What the bids buy", "Was die Gebote kaufen"))


def landscape_chart(record: dict, lang: str = "en"):
    """The share of auctions a bid wins: the price model's view against the observed prices."""
    land = record.get("landscape") or {}
    if not land.get("bid"):
        return None
    import altair as alt

    rows = [
        {"bid": b, "win_rate": w, "who": who}
        for key, who in (
            ("win_rate_model", _t(lang, "price model", "Preismodell")),
            ("win_rate_observed", _t(lang, "observed", "beobachtet")),
        )
        for b, w in zip(land["bid"], land[key], strict=True)
    ]
    frame = pd.DataFrame(rows)
    keys = frame["who"].unique().tolist()
    lines = (
        alt.Chart(frame)
        .mark_line()
        .encode(
            x=alt.X("bid:Q", title=_t(lang, "bid (log's price unit)", "Gebot (Preiseinheit des Logs)")),
            y=alt.Y(
                "win_rate:Q",
                title=_t(lang, "share of auctions won", "Anteil gewonnener Auktionen"),
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color(
                "who:N", scale=alt.Scale(domain=keys, range=[MODEL_COLOR, BASELINE_COLOR]), legend=legend(lang)
            ),
        )
    )
    q = land.get("nomagic_bid_quantiles") or {}
    layers = [lines]
    if q:
        median = pd.DataFrame({"bid": [q["0.5"]], "label": [_t(lang, "median live bid", "Median des Live-Gebots")]})
        layers.append(alt.Chart(median).mark_rule(strokeDash=[4, 4], color="#444").encode(x="bid:Q", tooltip="label:N"))
    title = _t(lang, "Bid landscape", "Gebotslandschaft")
    return alt.layer(*layers).properties(width=380, height=220, title=title)


def svgs(record: dict, lang: str = "en") -> list[tuple[str, str | None]]:
    return [
        ("bid_spend", _svg_of(spend_chart, record, lang=lang)),
        ("bid_clicks", _svg_of(clicks_chart, record, lang=lang)),
        ("bid_landscape", _svg_of(landscape_chart, record, lang=lang)),
    ]
