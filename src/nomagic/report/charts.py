"""Charts of an evaluation record, as inline SVG (Altair + vl-convert; no browser, no CDN).

Yes/no use cases: lift, calibration, drivers, fairness. Customer lifetime value (:func:`clv`): the
probability-alive matrix and the expected-orders heat map over frequency x recency, the cohort
curves (actual vs model) and the tracking curve, from the record's ``curves``
(:mod:`nomagic.usecases.clv.curves`). The ``clv_*_chart`` functions return the Altair chart itself
(its data can be checked), the others SVG.

Every function returns an SVG string, or ``None`` when the ``report`` extra is not installed
(``pip install 'nomagic[report]'``); the report then falls back to plain HTML bars.
"""

from __future__ import annotations

import pandas as pd

from nomagic.words import say

MODEL_COLOR = "#3a6fd8"
BASELINE_COLOR = "#9aa3b2"


def available() -> bool:
    try:
        import altair  # noqa: F401
        import vl_convert  # noqa: F401
    except ImportError:
        return False
    return True


_LOCALE = {"en": "en-US", "de": "de-DE"}


def _svg(chart, lang: str = "en") -> str:
    """The chart as SVG; numbers and dates on its axes in ``lang``'s format (10.000; 0,5; Dez 2026)."""
    import vl_convert as vlc

    loc = _LOCALE.get(lang, "en-US")
    svg = vlc.vegalite_to_svg(chart.to_json(), format_locale=loc, time_format_locale=loc)
    return svg.replace('<?xml version="1.0" encoding="utf-8"?>', "")


def _svg_of(build, record: dict, *args, lang: str = "en") -> str | None:
    """SVG of the chart ``build(record, lang=lang)`` makes, or None without the report extra or the data.

    Every chart has a builder that returns the Altair chart, so a test can read the data each panel
    holds; the report and the dashboard draw its SVG."""
    if not available():
        return None
    chart = build(record, *args, lang=lang)
    return None if chart is None else _svg(chart, lang)


def _t(lang: str, en: str, de: str, **values) -> str:
    return say(en, de, **values).lang(lang)


#: the series names of the charts' data (kept in English: tests and tooltips read them) as a legend shows them
_SERIES_DE = {"model": "Modell", "baseline": "Baseline", "random": "Zufall", "actual": "tatsächlich"}


def legend(lang: str = "en", title=None):
    """A legend that shows the series names in ``lang`` (the data keep the English names)."""
    import altair as alt

    if lang != "de":
        return alt.Legend(title=title)
    expr = " : ".join(f"datum.label == '{k}' ? '{v}'" for k, v in _SERIES_DE.items()) + " : datum.label"
    return alt.Legend(title=title, labelExpr=expr)


def _who_scale():
    import altair as alt

    return alt.Scale(domain=["model", "baseline"], range=[MODEL_COLOR, BASELINE_COLOR])


def has_lift(record: dict) -> bool:
    curves = record.get("curves") or {}
    return all(isinstance(curves.get(w), dict) and "lift" in curves[w] for w in ("model", "baseline"))


def lift(record: dict, lang: str = "en") -> str | None:
    """Lift per score decile as SVG (see :func:`lift_chart`)."""
    return _svg_of(lift_chart, record, lang=lang)


def lift_chart(record: dict, lang: str = "en"):
    """Lift per score decile (1 = highest scores), model next to baseline."""
    if not has_lift(record):
        return None
    import altair as alt

    rows = []
    for who in ("model", "baseline"):
        for i, v in enumerate(record["curves"][who]["lift"]):
            rows.append({"decile": i + 1, "lift": v, "who": who})
    df = pd.DataFrame(rows)
    bars = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("decile:O", title=_t(lang, "score decile (1 = highest scores)", "Dezil der Werte (1 = höchste)")),
            xOffset=alt.XOffset("who:N", sort=["model", "baseline"]),
            y=alt.Y(
                "lift:Q", title=_t(lang, "lift (positive rate / overall rate)", "Lift (Positivquote / Gesamtquote)")
            ),
            color=alt.Color("who:N", scale=_who_scale(), legend=legend(lang)),
            tooltip=["who", "decile", "lift"],
        )
    )
    rule = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(strokeDash=[4, 4], color="#444").encode(y="y:Q")
    return (bars + rule).properties(width=380, height=220, title=_t(lang, "Lift by decile", "Lift nach Dezil"))


def calibration(record: dict, lang: str = "en") -> str | None:
    """The reliability curve as SVG (see :func:`calibration_chart`)."""
    return _svg_of(calibration_chart, record, lang=lang)


def calibration_chart(record: dict, lang: str = "en"):
    """Reliability curve: mean predicted probability vs observed rate per bin, with the diagonal."""
    if not has_lift(record) or "reliability" not in record["curves"]["model"]:
        return None
    import altair as alt

    rows = []
    for who in ("model", "baseline"):
        rc = record["curves"][who]["reliability"]
        for mp, ob, n in zip(rc["mean_predicted"], rc["observed_rate"], rc["count"], strict=True):
            rows.append({"predicted": mp, "observed": ob, "count": n, "who": who})
    df = pd.DataFrame(rows)
    diag = alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]})).mark_line(color="#444", strokeDash=[4, 4])
    diag = diag.encode(x="x:Q", y="y:Q")
    lines = (
        alt.Chart(df)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "predicted:Q",
                title=_t(lang, "predicted probability", "vorhergesagte Wahrscheinlichkeit"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            y=alt.Y("observed:Q", title=_t(lang, "observed rate", "beobachtete Quote"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("who:N", scale=_who_scale(), legend=legend(lang)),
            tooltip=["who", "predicted", "observed", "count"],
        )
    )
    return (diag + lines).properties(width=260, height=220, title=_t(lang, "Calibration", "Kalibrierung"))


def drivers(record: dict, top: int = 10, lang: str = "en") -> str | None:
    """The drivers as SVG (see :func:`drivers_chart`)."""
    return _svg_of(drivers_chart, record, top, lang=lang)


def drivers_chart(record: dict, top: int = 10, lang: str = "en"):
    """The model's strongest drivers: share of influence (names and directions in ``lang``)."""
    if not record.get("drivers"):
        return None
    import altair as alt

    from nomagic.words import pick

    drivers = record["drivers"][:top]
    df = pd.DataFrame(
        {
            "label": [pick(d, "label", lang) for d in drivers],
            "summary": [pick(d, "summary", lang) for d in drivers],
            "share": [d["share"] for d in drivers],
        }
    )
    df["name"] = df["label"]
    chart = (
        alt.Chart(df)
        .mark_bar(color=MODEL_COLOR)
        .encode(
            x=alt.X("share:Q", title=_t(lang, "share of influence", "Anteil am Einfluss"), axis=alt.Axis(format="%")),
            y=alt.Y("name:N", sort="-x", title=None),
            tooltip=["label", "summary", alt.Tooltip("share:Q", format=".1%")],
        )
    )
    return chart.properties(width=300, height=18 * len(df), title=_t(lang, "Drivers", "Treiber"))


def fairness(record: dict, lang: str = "en") -> list[tuple[str, str]]:
    """The fairness charts as (attribute, SVG) (see :func:`fairness_charts`)."""
    if not available():
        return []
    return [(name, _svg(chart, lang)) for name, chart in fairness_charts(record, lang)]


def fairness_charts(record: dict, lang: str = "en") -> list[tuple[str, object]]:
    """One chart per sensitive attribute: selection rate and true-positive rate per group."""
    fair = record.get("fairness")
    if not fair:
        return []
    import altair as alt

    out = []
    for name, a in fair["attributes"].items():
        rows = []
        for g in a["groups"]:
            for metric in ("selection_rate", "true_positive_rate"):
                if g[metric] is not None:
                    rows.append({"group": g["group"], "metric": _RATES[metric][lang == "de"], "value": g[metric]})
        if not rows:
            continue
        df = pd.DataFrame(rows)
        chart = (
            alt.Chart(df)
            .mark_bar()
            .encode(
                x=alt.X("group:N", title=name),
                xOffset="metric:N",
                y=alt.Y("value:Q", title=_t(lang, "rate", "Quote"), axis=alt.Axis(format="%")),
                color=alt.Color("metric:N", title=None, scale=alt.Scale(range=[MODEL_COLOR, "#e0a100"])),
                tooltip=["group", "metric", alt.Tooltip("value:Q", format=".1%")],
            )
        )
        out.append((name, chart.properties(width=260, height=180, title=f"Fairness: {name}")))
    return out


_RATES = {
    "selection_rate": ("selection rate", "Auswahlquote"),
    "true_positive_rate": ("true positive rate", "Trefferquote"),
}


# --------------------------------------------------------------------------- customer lifetime value


def _clv_matrix_frame(record: dict, what: str) -> pd.DataFrame | None:
    """Long frame (frequency, recency, value) of the record's frequency x recency matrix (``p_alive`` or
    ``expected``); recency labels rounded for the axis."""
    m = (record.get("curves") or {}).get("matrix")
    if not m or what not in m:
        return None
    rows = []
    for i, f in enumerate(m["frequency"]):
        for j, r in enumerate(m["recency"]):
            rows.append({"frequency": f, "recency": round(r, 1), "value": m[what][i][j]})
    return pd.DataFrame(rows)


def clv_matrix_chart(record: dict, what: str = "p_alive", lang: str = "en"):
    """The Altair heat map (not yet SVG) of ``what`` over frequency x recency, or None without the data."""
    df = _clv_matrix_frame(record, what)
    if df is None or not available():
        return None
    import altair as alt

    m = record["curves"]["matrix"]
    unit = _UNITS.get(m.get("time_unit", "weeks"), (m.get("time_unit", "weeks"),) * 2)[lang == "de"]
    if what == "p_alive":
        title = _t(
            lang,
            "Probability alive (customer first seen {T:.3g} {u} ago)",
            "Wahrscheinlichkeit aktiv (Kunde zuerst vor {T:.3g} {u} gesehen)",
            T=m["T"],
            u=unit,
        )
        color = alt.Color("value:Q", title="P(alive)", scale=alt.Scale(domain=[0, 1], scheme="blues"))
        fmt = ".0%"
    else:
        title = _t(
            lang,
            "Expected orders in the next {h:.3g} {u}",
            "Erwartete Bestellungen in den nächsten {h:.3g} {u}",
            h=m["horizon"],
            u=unit,
        )
        color = alt.Color("value:Q", title=_t(lang, "orders", "Bestellungen"), scale=alt.Scale(scheme="oranges"))
        fmt = ".2f"
    chart = (
        alt.Chart(df)
        .mark_rect()
        .encode(
            x=alt.X(
                "recency:O",
                # ordinal labels are the data's own text (2.4): the German decimal comma is put in here
                axis=alt.Axis(labelExpr="replace(datum.label, '.', ',')") if lang == "de" else alt.Axis(),
                title=_t(
                    lang,
                    "recency: time of the last purchase since the first ({u})",
                    "Recency: Zeit vom ersten bis zum letzten Kauf ({u})",
                    u=unit,
                ),
            ),
            y=alt.Y(
                "frequency:O",
                title=_t(lang, "repeat purchase days (frequency)", "Tage mit Wiederholungskauf (Frequenz)"),
                sort="descending",
            ),
            color=color,
            tooltip=["frequency", "recency", alt.Tooltip("value:Q", format=fmt)],
        )
    )
    return chart.properties(width=420, height=14 * df["frequency"].nunique(), title=title)


_UNITS = {"weeks": ("weeks", "Wochen"), "days": ("days", "Tagen"), "months": ("months", "Monaten")}


def _clv_cohort_frame(record: dict) -> pd.DataFrame | None:
    """Long frame (date, cohort, who = actual | model, per_customer, customers) of the cohort curves."""
    c = (record.get("curves") or {}).get("cohorts")
    if not c or not c.get("cohorts"):
        return None
    rows = []
    for co in c["cohorts"]:
        label = f"{co['cohort']} ({co['customers']:,})"
        for who in ("actual", "model"):
            for d, v in zip(c["dates"], co[who], strict=True):
                if v is not None:
                    rows.append(
                        {
                            "date": d,
                            "cohort": label,
                            "who": who,
                            "per_customer": v,
                            "customers": co["customers"],
                        }
                    )
    return pd.DataFrame(rows)


def clv_cohort_chart(record: dict, lang: str = "en"):
    """The Altair chart (not yet SVG) of the cohort curves: actual (solid) vs model (dashed), or None."""
    df = _clv_cohort_frame(record)
    if df is None or not available():
        return None
    import altair as alt

    c = record["curves"]["cohorts"]
    lines = (
        alt.Chart(df)
        .mark_line()
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y(
                "per_customer:Q",
                title=_t(lang, "cumulative repeat orders per customer", "kumulierte Wiederholungskäufe je Kunde"),
            ),
            color=alt.Color(
                "cohort:N",
                title=_t(lang, "first {p} (customers)", "erste(r) {p} (Kunden)", p=_period(c["period"], lang)),
            ),
            strokeDash=alt.StrokeDash(
                "who:N",
                legend=legend(lang),
                scale=alt.Scale(domain=["actual", "model"], range=[[1, 0], [5, 3]]),
            ),
            tooltip=["cohort", "who", "date:T", alt.Tooltip("per_customer:Q", format=".2f")],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"date": [c["calibration_end"]]}))
        .mark_rule(color="#444", strokeDash=[2, 2])
        .encode(x="date:T")
    )
    title = _t(
        lang,
        "Cohort curves: actual vs {m} (dotted line: calibration end)",
        "Kohortenkurven: tatsächlich vs {m} (gepunktete Linie: Ende der Kalibrierung)",
        m=c.get("model", "model"),
    )
    return (lines + rule).properties(width=420, height=240, title=title)


def _period(period: str, lang: str) -> str:
    de = {"week": "Woche", "month": "Monat", "quarter": "Quartal", "year": "Jahr"}
    return de.get(period, period) if lang == "de" else period


def clv_tracking_chart(record: dict, lang: str = "en"):
    """The Altair chart of the tracking curve: all customers' cumulative repeat orders, actual vs model."""
    t = (record.get("curves") or {}).get("tracking")
    if not t or not available():
        return None
    import altair as alt

    rows = [
        {"date": d, "who": who, "orders": v}
        for who in ("actual", "model")
        for d, v in zip(t["date"], t[who], strict=True)
    ]
    lines = (
        alt.Chart(pd.DataFrame(rows))
        .mark_line()
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("orders:Q", title=_t(lang, "cumulative repeat orders", "kumulierte Wiederholungskäufe")),
            color=alt.Color(
                "who:N",
                legend=legend(lang),
                scale=alt.Scale(domain=["model", "actual"], range=[MODEL_COLOR, "#1d2433"]),
            ),
            tooltip=["who", "date:T", "orders"],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"date": [t["calibration_end"]]}))
        .mark_rule(color="#444", strokeDash=[2, 2])
        .encode(x="date:T")
    )
    return (lines + rule).properties(
        width=380, height=220, title=_t(lang, "Tracking: all customers", "Verlauf: alle Kunden")
    )


def clv(record: dict, lang: str = "en") -> list[tuple[str, str]]:
    """The CLV charts of a record as (name, SVG): p-alive matrix, expected-orders heat map, cohort curves,
    tracking curve (those the record has data for)."""
    if not available():
        return []
    out = []
    for name, chart in (
        ("p_alive", clv_matrix_chart(record, "p_alive", lang)),
        ("expected", clv_matrix_chart(record, "expected", lang)),
        ("cohorts", clv_cohort_chart(record, lang)),
        ("tracking", clv_tracking_chart(record, lang)),
    ):
        if chart is not None:
            out.append((name, _svg(chart, lang)))
    return out


def qini(record: dict, lang: str = "en") -> str | None:
    """The Qini curves as SVG (see :func:`qini_chart`)."""
    return _svg_of(qini_chart, record, lang=lang)


def qini_chart(record: dict, lang: str = "en"):
    """The Qini curves of an uplift record: model and baseline against the random line."""
    curves = (record.get("curves") or {}).get("qini") or {}
    if not all(w in curves for w in ("model", "baseline")):
        return None
    import altair as alt

    rows = []
    for who in ("model", "baseline"):
        c = curves[who]
        rows += [{"share": s, "incremental": q, "who": who} for s, q in zip(c["share"], c["qini"], strict=True)]
    c = curves["model"]
    rows += [{"share": s, "incremental": r, "who": "random"} for s, r in zip(c["share"], c["random"], strict=True)]
    scale = alt.Scale(domain=["model", "baseline", "random"], range=[MODEL_COLOR, BASELINE_COLOR, "#444"])
    chart = (
        alt.Chart(pd.DataFrame(rows))
        .mark_line()
        .encode(
            x=alt.X(
                "share:Q",
                title=_t(
                    lang,
                    "share contacted (highest predicted effect first)",
                    "Anteil kontaktiert (höchste vorhergesagte Wirkung zuerst)",
                ),
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y("incremental:Q", title=_t(lang, "incremental responders (Qini)", "zusätzliche Reagierer (Qini)")),
            color=alt.Color("who:N", scale=scale, legend=legend(lang)),
            strokeDash=alt.condition("datum.who == 'random'", alt.value([4, 4]), alt.value([1, 0])),
        )
    )
    return chart.properties(width=380, height=220, title=_t(lang, "Qini curve", "Qini-Kurve"))


def use_case_charts(record: dict, lang: str = "en") -> list[tuple[str, str]]:
    """Every chart the record has data for, as (name, SVG), in the order the report and dashboard show them."""
    out: list[tuple[str, str | None]] = []
    if has_lift(record):
        out += [("lift", lift(record, lang)), ("calibration", calibration(record, lang))]
    out.append(("qini", qini(record, lang)))
    out += clv(record, lang)
    if record.get("use_case") == "budget":  # response curves, the proposed shift, ROI, contributions, carry-over
        from nomagic.report.budget import svgs

        out += svgs(record, lang=lang)
    if record.get("use_case") == "bidding":  # spend against the budget, what the bids buy, the bid landscape
        from nomagic.report.bidding import svgs as bidding_svgs

        out += bidding_svgs(record, lang=lang)
    if record.get("drivers"):
        out.append(("drivers", drivers(record, lang=lang)))
    out += fairness(record, lang)
    return [(name, svg) for name, svg in out if svg]
