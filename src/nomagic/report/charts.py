"""Charts of an evaluation record, as inline SVG (Altair + vl-convert; no browser, no CDN).

Every function returns an SVG string, or ``None`` when the ``report`` extra is not installed
(``pip install 'nomagic[report]'``); the report then falls back to plain HTML bars.
"""

from __future__ import annotations

import pandas as pd

MODEL_COLOR = "#3a6fd8"
BASELINE_COLOR = "#9aa3b2"


def available() -> bool:
    try:
        import altair  # noqa: F401
        import vl_convert  # noqa: F401
    except ImportError:
        return False
    return True


def _svg(chart) -> str:
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(chart.to_json())
    return svg.replace('<?xml version="1.0" encoding="utf-8"?>', "")


def _who_scale():
    import altair as alt

    return alt.Scale(domain=["model", "baseline"], range=[MODEL_COLOR, BASELINE_COLOR])


def lift(record: dict) -> str | None:
    """Lift per score decile (1 = highest scores), model next to baseline."""
    if not available() or not record.get("curves"):
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
            x=alt.X("decile:O", title="score decile (1 = highest scores)"),
            xOffset=alt.XOffset("who:N", sort=["model", "baseline"]),
            y=alt.Y("lift:Q", title="lift (positive rate / overall rate)"),
            color=alt.Color("who:N", scale=_who_scale(), title=None),
            tooltip=["who", "decile", "lift"],
        )
    )
    rule = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(strokeDash=[4, 4], color="#444").encode(y="y:Q")
    return _svg((bars + rule).properties(width=380, height=220, title="Lift by decile"))


def calibration(record: dict) -> str | None:
    """Reliability curve: mean predicted probability vs observed rate per bin, with the diagonal."""
    if not available() or not record.get("curves"):
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
            x=alt.X("predicted:Q", title="predicted probability", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("observed:Q", title="observed rate", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("who:N", scale=_who_scale(), title=None),
            tooltip=["who", "predicted", "observed", "count"],
        )
    )
    return _svg((diag + lines).properties(width=260, height=220, title="Calibration"))


def drivers(record: dict, top: int = 10) -> str | None:
    """The model's strongest drivers: share of influence."""
    if not available() or not record.get("drivers"):
        return None
    import altair as alt

    df = pd.DataFrame(record["drivers"][:top])
    df["name"] = df["label"]
    chart = (
        alt.Chart(df)
        .mark_bar(color=MODEL_COLOR)
        .encode(
            x=alt.X("share:Q", title="share of influence", axis=alt.Axis(format="%")),
            y=alt.Y("name:N", sort="-x", title=None),
            tooltip=["label", "summary", alt.Tooltip("share:Q", format=".1%")],
        )
    )
    return _svg(chart.properties(width=300, height=18 * len(df), title="Drivers"))


def fairness(record: dict) -> list[tuple[str, str]]:
    """One chart per sensitive attribute: selection rate and true-positive rate per group."""
    fair = record.get("fairness")
    if not available() or not fair:
        return []
    import altair as alt

    out = []
    for name, a in fair["attributes"].items():
        rows = []
        for g in a["groups"]:
            for metric in ("selection_rate", "true_positive_rate"):
                if g[metric] is not None:
                    rows.append({"group": g["group"], "metric": metric.replace("_", " "), "value": g[metric]})
        if not rows:
            continue
        df = pd.DataFrame(rows)
        chart = (
            alt.Chart(df)
            .mark_bar()
            .encode(
                x=alt.X("group:N", title=name),
                xOffset="metric:N",
                y=alt.Y("value:Q", title="rate", axis=alt.Axis(format="%")),
                color=alt.Color("metric:N", title=None, scale=alt.Scale(range=[MODEL_COLOR, "#e0a100"])),
                tooltip=["group", "metric", alt.Tooltip("value:Q", format=".1%")],
            )
        )
        out.append((name, _svg(chart.properties(width=260, height=180, title=f"Fairness: {name}"))))
    return out
