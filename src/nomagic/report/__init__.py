"""The HTML report: one offline file with the reality check and, per use case, lift, calibration,
drivers and fairness charts (customer lifetime value: the probability-alive matrix, the
expected-orders heat map, cohort and tracking curves), the metrics with their intervals and the
model card.

Charts are inline SVG (Altair + vl-convert, the ``report`` extra); without the extra, simple HTML
bars take their place. Nothing is loaded from the network.
"""

from __future__ import annotations

import html as _html
from datetime import UTC, datetime
from pathlib import Path

from nomagic.errors import InputError, writable
from nomagic.lifecycle.card import fmt, html_body
from nomagic.lifecycle.gate import metric_name
from nomagic.report import charts
from nomagic.report.advice import advice, fairness_note, not_advice
from nomagic.report.glossary import glossary_html, link
from nomagic.words import number, pick, say, verdict

__all__ = ["reality_rows", "render", "write"]

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1150px;margin:2rem auto;padding:0 1rem;color:#1d2433}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.35rem;margin-top:2.4rem;border-bottom:2px solid #dde2ea}
h3{font-size:1.05rem;margin-top:1.4rem}.meta{color:#5b6578}
table{border-collapse:collapse;margin:.5rem 0;width:100%}td,th{border-bottom:1px solid #eceff4;padding:.35rem .55rem;text-align:left;vertical-align:top}
th{background:#f5f7fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.verdict{font-weight:600;padding:.1rem .45rem;border-radius:.3rem;white-space:nowrap}
.promoted{background:#dff3e4;color:#11612b}.not-better-than-baseline{background:#fff1cc;color:#7a5200}.not-ready{background:#fbdcdc;color:#8f1414}
.charts{display:flex;flex-wrap:wrap;gap:1.2rem;align-items:flex-start}.charts figure{margin:0}
.bar{background:#eceff4;height:.8rem;width:220px;display:inline-block;vertical-align:middle}.bar span{display:block;height:100%;background:#3a6fd8}
code{background:#f1f3f6;padding:0 .2rem;border-radius:3px}details{margin:.6rem 0}
.shift{background:#fff1cc;border-left:4px solid #d9a400;padding:.4rem .7rem}
"""


CLV_READING_DE = (
    "So lesen Sie die Kundenwert-Diagramme: die Matrix der Aktiv-Wahrscheinlichkeit und die Heatmap der erwarteten "
    "Bestellungen zeigen für einen Kunden, der zu Beginn des Kalibrierungszeitraums zuerst gesehen wurde, wie das "
    "Modell seine Historie liest: Zeilen sind Tage mit Wiederholungskauf, Spalten der Zeitpunkt des letzten Kaufs; ein "
    "Kunde, der oft, aber vor langer Zeit gekauft hat (links unten in den häufigen Zeilen), ist wahrscheinlich "
    "gegangen. Die Kohortenkurven folgen den Kunden, die in jedem Zeitraum zuerst gekauft haben: kumulierte "
    "Wiederholungskäufe je Kunde, tatsächlich (durchgezogen) und vom Modell erwartet (gestrichelt); nach dem Ende der "
    "Kalibrierung sind die gestrichelten Linien die Prognose. Das Verlaufsdiagramm summiert alle Kunden."
)

CLV_READING = (
    "How to read the lifetime-value charts: the probability-alive matrix and the expected-orders heat map show, "
    "for a customer first seen at the start of the calibration period, how the model reads their history: rows are "
    "repeat purchase days, columns the time of the last purchase; a customer who bought often but long ago "
    "(bottom-left of the frequent rows) has probably left. The cohort curves follow the customers who first bought "
    "in each period: cumulative repeat orders per customer, actual (solid) and expected by the model (dashed); "
    "after the calibration end the dashed lines are the forecast. The tracking chart sums all customers."
)


#: metric names that fit a narrow terminal's reality-check table (12 characters at most)
SHORT_METRIC = {
    "value_dr": "value (DR)",
    "value_ips": "value (IPS)",
    "value_snips": "value(SNIPS)",
    "value_dm": "value (DM)",
    "profit_at_10": "profit@10",
    "lift_at_10": "lift@10",
    "gain_at_10": "gain@10",
    "lift_at_20": "lift@20",
    "gain_at_20": "gain@20",
    "in_scope_accuracy": "in-scope acc",
    "oos_recall": "OOS recall",
    "ece": "calib. err.",
    "holdout_corr": "correlation",
    "holdout_r2": "holdout R²",
    "uplift_auc": "uplift AUC",
    "uplift_at_30": "uplift@30",
}


def reality_rows(records: list[dict], lang: str = "en") -> list[dict]:
    """One row per record for the reality-check table (use case, metric, baseline, model, improvement, verdict);
    the metric's name and the numbers in ``lang`` (the verdict stays a code: word it with ``words.verdict``)."""
    rows = []
    for r in records:
        pm = r.get("primary_metric", "roc_auc")
        m = r.get("metrics", {})
        row = {"use_case": r["use_case"], "metric": metric_name(pm, lang), "verdict": r["verdict"], "metric_key": pm}
        row["metric_short"] = SHORT_METRIC.get(pm, metric_name(pm)[:11])
        if "model" in m and pm in m["model"]:
            imp = m["improvement"][pm]
            row["baseline"] = fmt(m["baseline"][pm]["value"], pm, lang)
            row["model"] = fmt(m["model"][pm]["value"], pm, lang)
            lo, hi = imp["ci"]
            spec = "+,.0f" if pm == "profit_at_10" else "+.3f"
            sep = "; " if lang == "de" else ", "  # a German decimal comma needs a semicolon between the ends
            row["improvement"] = f"{number(imp['value'], spec, lang)} [{fmt(lo, pm, lang)}{sep}{fmt(hi, pm, lang)}]"
        else:
            row["baseline"] = row["model"] = row["improvement"] = "-"
        rows.append(row)
    return rows


def _verdict(v: str, lang: str = "en") -> str:
    return f"<span class='verdict {v.replace(' ', '-')}'>{_html.escape(verdict(v, lang))}</span>"


def _fallback_lift(record: dict, lang: str = "en") -> str:
    rows = []
    for who in ("model", "baseline"):
        lifts = record["curves"][who]["lift"]
        top = max(max(lifts), 1e-9)
        name = {"model": say("model", "Modell"), "baseline": say("baseline", "Baseline")}[who].lang(lang)
        cells = "".join(
            f"<tr><td>{name} {say('decile', 'Dezil').lang(lang)} {i + 1}</td><td><span class='bar'>"
            f"<span style='width:{100 * v / top:.0f}%'></span></span> {number(v, '.2f', lang)}</td></tr>"
            for i, v in enumerate(lifts)
        )
        rows.append(cells)
    return "<table>" + "".join(rows) + "</table>"


def _t(lang: str, en: str, de: str, **values) -> str:
    return say(en, de, **values).lang(lang)


def _section(record: dict, meta: dict | None, lang: str = "en") -> str:
    uc = record["use_case"]
    esc = _html.escape
    parts = [f"<h2 id='{esc(uc)}'>{esc(uc)} {_verdict(record['verdict'], lang)}</h2>"]
    if question := pick(record, "question", lang):
        parts.append(f"<p><strong>{esc(question)}</strong></p>")
    shift = record.get("shift") or {}
    for note in pick(shift, "notes", lang, []):  # the world changed: said before the verdict
        parts.append(f"<p class='shift'><strong>{_t(lang, 'Shift:', 'Verschiebung:')}</strong> {esc(note)}</p>")
    if fair := fairness_note(record, lang):  # next to the verdict, not only in the card
        found, means = fair
        parts.append(
            f"<div class='shift' id='fairness-{esc(uc)}'><strong>Fairness:</strong> "
            + "; ".join(esc(f) for f in found)
            + f". {esc(means)}</div>"
        )
    parts.append(f"<p>{esc(pick(record, 'explanation', lang))}</p>")
    parts.append(f"<p class='advice' id='advice-{esc(uc)}'><strong>{esc(advice(record, lang))}</strong></p>")
    if warning := not_advice(record, lang):  # before the charts that show the proposed action
        parts.append(f"<p class='shift' id='not-advice-{esc(uc)}'><strong>{esc(warning)}</strong></p>")
    shown = charts.use_case_charts(record, lang)
    figs = [svg for _, svg in shown]
    if charts.has_lift(record) and not any(name == "lift" for name, _ in shown):  # no charting extra: a table
        figs.insert(0, _fallback_lift(record, lang))
    if figs:
        parts.append("<div class='charts'>" + "".join(f"<figure>{f}</figure>" for f in figs) + "</div>")
        if (record.get("curves") or {}).get("matrix"):
            parts.append(f"<p class='meta'>{esc(CLV_READING_DE if lang == 'de' else CLV_READING)}</p>")
    parts.append(html_body(record, meta or {"version": ""}, level=3, lang=lang))
    return "\n".join(parts)


def render(
    records: list[dict],
    metas: list[dict | None] | None = None,
    *,
    title: str = "nomagic report",
    extras: list[str] = (),
    lang: str = "en",
) -> str:
    """The report as one HTML string in ``lang`` ("en" or "de"); ``extras`` are further HTML sections (made by
    nomagic, not user text)."""
    if not records:
        raise InputError(
            say(
                "nothing to report: no evaluation records (train a use case first: `nomagic train churn`)",
                "nichts zu berichten: keine Auswertungen (zuerst einen Anwendungsfall trainieren: `nomagic train "
                "churn`)",
            )
        )
    metas = metas or [None] * len(records)
    heads = (
        ("use case", "Anwendungsfall"),
        ("metric", "Metrik"),
        ("baseline", "Baseline"),
        ("model", "Modell"),
        ("improvement [95% CI]", "Verbesserung [95-%-KI]"),
        ("verdict", "Urteil"),
    )
    head = "".join(f"<th>{_t(lang, en, de)}</th>" for en, de in heads)
    body = "".join(
        f"<tr><td><a href='#{_html.escape(r['use_case'])}'>{_html.escape(r['use_case'])}</a></td>"
        f"<td><a href='{link(r['metric_key'])}'>{_html.escape(r['metric'])}</a></td>"
        f"<td class='num'>{r['baseline']}</td><td class='num'>{r['model']}</td>"
        f"<td class='num'>{r['improvement']}</td><td>{_verdict(r['verdict'], lang)}</td></tr>"
        for r in reality_rows(records, lang)
    )
    created = datetime.now(UTC)
    created = created.strftime("%d.%m.%Y %H:%M UTC") if lang == "de" else created.strftime("%Y-%m-%d %H:%M UTC")
    note = (
        ""
        if charts.available()
        else "<p class='meta'>"
        + _t(
            lang,
            "Charts need the report extra: <code>pip install 'nomagic[report]'</code>.",
            "Diagramme brauchen das Extra report: <code>pip install 'nomagic[report]'</code>.",
        )
        + "</p>"
    )
    sections = "\n".join(_section(r, m, lang) for r, m in zip(records, metas, strict=True))
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{_html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_html.escape(title)}</h1><p class='meta'>"
        + _t(
            lang,
            "Created {c}. Every model is compared with the naive rule a marketer would use, on data it did not learn "
            "from; it is promoted only when the lower end of the 95% interval of its improvement is above zero.",
            "Erstellt {c}. Jedes Modell wird mit der naiven Regel verglichen, die ein Marketer nutzen würde, auf Daten, "
            "aus denen es nicht gelernt hat; übernommen wird es nur, wenn das untere Ende des 95-%-Intervalls seiner "
            "Verbesserung über null liegt.",
            c=created,
        )
        + f"</p>{note}<h2>{_t(lang, 'Reality check', 'Realitätscheck')}</h2>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        f"{sections}{''.join(extras)}{glossary_html(lang)}</body></html>\n"
    )


def write(path, records: list[dict], metas: list[dict | None] | None = None, **kw) -> Path:
    path = Path(path)
    writable(path)
    path.write_text(render(records, metas, **kw), encoding="utf-8")
    return path
