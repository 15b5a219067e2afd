"""The readiness page: one self-contained HTML file (inline CSS, no scripts, no CDN) in English or German.

Draws any result of :mod:`nomagic.warehouse.readiness` — a plain file, the warehouse (with or
without a use case), one use case or one table: the verdict, why (the findings, blockers first),
the label balance, the leakage signals per column and the per-table figures.

    >>> from nomagic.warehouse.readiness import check_file  # doctest: +SKIP
    >>> page = render_html(check_file("telco.csv", "Churn"), lang="de")  # doctest: +SKIP
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from nomagic.warehouse.findings import NOT_READY, READY, WARNINGS, Finding, Result, by_level, day
from nomagic.warehouse.label_checks import LabelStats
from nomagic.warehouse.leakage import LeakageReport
from nomagic.warehouse.readiness import FileReadiness, TableReport, UseCaseReadiness, WarehouseReadiness
from nomagic.words import Text, date_text, in_lang, say

__all__ = ["level_word", "render_html", "verdict_word"]

#: The verdicts and levels are English codes in records; these are the words people read.
VERDICT_WORDS = {
    READY: say("ready", "bereit"),
    WARNINGS: say("ready with warnings", "bereit mit Warnungen"),
    NOT_READY: say("not ready", "nicht bereit"),
}
LEVEL_WORDS = {
    "blocker": say("blocker", "Blocker"),
    "warning": say("warning", "Warnung"),
    "info": say("info", "Info"),
}
_KIND_WORDS = {  # a column's kind and a label's kind, as the checks name them
    "numeric": say("numeric", "numerisch"),
    "categorical": say("categorical", "kategorial"),
    "datetime": say("datetime", "Datum/Zeit"),
    "boolean": say("boolean", "ja/nein"),
    "id": say("id", "ID"),
    "label": say("label", "Label"),
    "time": say("time", "Zeit"),
    "binary": say("binary", "binär"),
    "multiclass": say("multiclass", "mehrklassig"),
    "numeric (split at its median)": say("numeric (split at its median)", "numerisch (am Median geteilt)"),
}

_DASH = Text("–")  # a figure not known

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2433;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.15rem;margin:1.8rem 0 .5rem;border-bottom:1px solid #d8dde6;padding-bottom:.2rem}
.meta{color:#5b6578;font-size:.9rem}.verdict{display:inline-block;padding:.35rem .8rem;border-radius:.4rem;font-weight:600;font-size:1.05rem;margin:.6rem 0}
.ready{background:#dff3e4;color:#11612b}.ready-with-warnings{background:#fff1cc;color:#7a5200}.not-ready{background:#fbdcdc;color:#8f1414}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eceff4;vertical-align:top}
th{background:#f5f7fa;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.lvl{font-weight:600;font-size:.8rem;text-transform:uppercase;border-radius:.25rem;padding:.05rem .35rem}
.blocker{background:#fbdcdc;color:#8f1414}.warning{background:#fff1cc;color:#7a5200}.info{background:#e6eefb;color:#1f4b99}
.bar{background:#eceff4;border-radius:2px;height:.7rem;width:140px;display:inline-block;vertical-align:middle;margin-right:.4rem}
.bar span{display:block;height:100%;border-radius:2px;background:#e0a100}.bar.auc span{background:#3a6fd8}.bar.auc span.hot{background:#c62828}
small{color:#5b6578}
"""


def verdict_word(code: str, lang: str = "en") -> str:
    """A readiness verdict (``ready``, ``ready with warnings``, ``not ready``) in ``lang``."""
    return in_lang(VERDICT_WORDS.get(code, code), lang)


def level_word(level: str, lang: str = "en") -> str:
    """A finding's level (``blocker``, ``warning``, ``info``) in ``lang``."""
    return in_lang(LEVEL_WORDS.get(level, level), lang)


def _kind(kind: str, lang: str) -> str:
    return in_lang(_KIND_WORDS.get(kind, kind), lang)


def _e(value: Any, lang: str = "en") -> str:
    """Escaped text in ``lang`` (a Text in its language, anything else as it is)."""
    return html.escape("" if value is None else in_lang(value, lang))


def _s(lang: str, en: str, de: str, /, **values) -> str:
    """A sentence said in both languages, escaped, in ``lang``."""
    return _e(say(en, de, **values), lang)


def _bar(share: float | None, *, cls: str = "", hot: bool = False) -> str:
    share = 0.0 if share is None or not math.isfinite(share) else max(0.0, min(1.0, share))
    inner = (
        f'<span class="hot" style="width:{share * 100:.1f}%"></span>'
        if hot
        else f'<span style="width:{share * 100:.1f}%"></span>'
    )
    return f'<span class="bar {cls}">{inner}</span>'


def _verdict_tag(code: str, lang: str, style: str = "") -> str:
    css = f" style='{style}'" if style else ""
    return f"<span class='verdict {code.replace(' ', '-')}'{css}>{_e(verdict_word(code, lang))}</span>"


def _findings_html(findings: Sequence[Finding], lang: str) -> str:
    rows = "".join(
        f'<tr><td><span class="lvl {f.level}">{_e(level_word(f.level, lang))}</span></td>'
        f"<td>{_e(f.subject, lang)}</td><td>{_e(f.message, lang)}</td></tr>"
        for f in by_level(findings)
    )
    head = _s(lang, "level", "Stufe"), _s(lang, "about", "betrifft"), _s(lang, "finding", "Befund")
    return f"<table><tr><th>{head[0]}</th><th>{head[1]}</th><th>{head[2]}</th></tr>{rows}</table>"


def _leakage_html(report: LeakageReport | None, lang: str) -> str:
    if report is None:
        return ""
    suspects = {s.column for s in report.suspects}
    tag = f' <span class="lvl blocker">{_s(lang, "suspect", "Verdacht")}</span>'
    rows = "".join(
        f"<tr><td>{_e(s.column)}{tag if s.column in suspects else ''}</td>"
        f"<td>{_e(_kind(s.kind, lang))}</td><td class='num'>{_s(lang, '{a:.3f}', '{a:.3f}', a=s.auc)}</td>"
        f"<td>{_bar((s.auc - 0.5) / 0.5, cls='auc', hot=s.column in suspects)}</td>"
        f"<td><small>{_e(s.evidence, lang)}</small></td></tr>"
        for s in report.signals
    )
    timed = "".join(
        f"<li><b>{_e(s.column)}</b>: {_e(s.evidence, lang)}</li>"
        for s in report.suspects
        if s.share_after_cutoff is not None
    )
    note = f"<p><small>{_e(report.note, lang)}</small></p>" if report.note else ""
    heading = _s(
        lang,
        "Leakage: how well each column alone predicts {label}",
        "Leakage: wie gut jede Spalte allein {label} vorhersagt",
        label=report.label,
    )
    explain = _s(
        lang,
        "single-column ROC-AUC ({kind} label, {rows:,} rows): {no:.1f} is no signal, {perfect:.1f} a perfect "
        "predictor; suspects: AUC ≥ {threshold:g}, or far above every other column.",
        "Einzelspalten-ROC-AUC (Label {kind}, {rows:,} Zeilen): {no:.1f} heißt kein Signal, {perfect:.1f} perfekte "
        "Vorhersage; Verdacht: AUC ≥ {threshold:g} oder weit über jeder anderen Spalte.",
        kind=_KIND_WORDS.get(report.label_kind, report.label_kind),
        rows=report.rows,
        no=0.5,
        perfect=1.0,
        threshold=report.threshold,
    )
    head = [_s(lang, "column", "Spalte"), _s(lang, "kind", "Art"), "AUC", "", _s(lang, "evidence", "Beleg")]
    after = _s(lang, "Recorded after the cutoff:", "Nach dem Stichtag erfasst:")
    return (
        f"<h2>{heading}</h2><p><small>{explain}</small></p>{note}"
        f"<table><tr>{''.join(f'<th>{h}</th>' for h in head)}</tr>{rows}</table>"
        + (f"<p>{after}</p><ul>{timed}</ul>" if timed else "")
    )


def _label_html(stats: LabelStats | None, lang: str) -> str:
    if stats is None:
        return ""
    if stats.kind == "numeric":
        body = (
            "<p>"
            + _s(
                lang,
                "numeric: mean {mean:,.4g}, standard deviation {std:,.4g}, {rows:,} rows",
                "numerisch: Mittelwert {mean:,.4g}, Standardabweichung {std:,.4g}, {rows:,} Zeilen",
                mean=stats.mean,
                std=stats.std,
                rows=stats.rows,
            )
            + "</p>"
        )
    else:
        rows = "".join(
            f"<tr><td>{_e(k)}</td><td class='num'>{_s(lang, '{v:,}', '{v:,}', v=v)}</td>"
            f"<td>{_bar(v / stats.rows if stats.rows else 0)} "
            f"{_s(lang, '{share:.1%}', '{share:.1%}', share=v / stats.rows if stats.rows else 0.0)}</td></tr>"
            for k, v in stats.classes.items()
        )
        head = _s(lang, "class", "Klasse"), _s(lang, "rows", "Zeilen"), _s(lang, "share", "Anteil")
        body = f"<table><tr><th>{head[0]}</th><th>{head[1]}</th><th>{head[2]}</th></tr>{rows}</table>"
    missing = (
        f"<p><small>{_s(lang, '{n:,} rows without a label', '{n:,} Zeilen ohne Label', n=stats.missing)}</small></p>"
        if stats.missing
        else ""
    )
    return f"<h2>{_s(lang, 'Label {col}', 'Label {col}', col=stats.column)}</h2>{body}{missing}"


def _table_html(t: TableReport, lang: str) -> str:
    refs = ", ".join(
        f"{_e(r.column)}&rarr;{_e(r.references)}: "
        + (
            _s(lang, "not checked", "nicht geprüft")
            if r.broken is None
            else _s(lang, "{n:,} broken", "{n:,} fehlerhaft", n=r.broken)
        )
        for r in t.references
    )
    cols = "".join(
        f"<tr><td>{_e(c.name)}</td><td>{_e(c.dtype)}</td><td class='num'>{_s(lang, '{n:,}', '{n:,}', n=c.missing)}</td>"
        f"<td>{_bar(c.missing_share)} {_s(lang, '{s:.1%}', '{s:.1%}', s=c.missing_share)}</td></tr>"
        for c in t.columns
    )
    span = (
        f"{_e(date_text(day(t.first), lang))} &ndash; {_e(date_text(day(t.last), lang))}"
        if t.first and t.last
        else _s(lang, "no time column", "keine Zeitspalte")
    )
    fresh = _DASH if t.freshness_days is None else say("{d:,.0f} days", "{d:,.0f} Tage", d=t.freshness_days)
    line = [
        _s(lang, "{n:,} rows", "{n:,} Zeilen", n=t.rows),
        span,
        _s(lang, "latest record {fresh} old", "jüngster Datensatz {fresh} alt", fresh=fresh),
        _s(lang, "duplicate keys {n:,}", "doppelte Schlüssel {n:,}", n=t.duplicate_keys),
        _s(lang, "quarantined {n:,}", "in Quarantäne {n:,}", n=t.quarantined),
    ] + ([refs] if refs else [])
    head = [_s(lang, *w) for w in (("column", "Spalte"), ("type", "Typ"), ("missing", "fehlend"), ("share", "Anteil"))]
    return (
        f"<h2>{_e(t.name)} {_verdict_tag(t.verdict, lang, 'font-size:.8rem')}</h2>"
        f"<p>{' &middot; '.join(line)}</p>"
        f"<details><summary>{_s(lang, 'missing values per column', 'fehlende Werte je Spalte')}</summary>"
        f"<table><tr>{''.join(f'<th>{h}</th>' for h in head)}</tr>{cols}</table></details>"
    )


def _file_html(r: FileReadiness, lang: str) -> list[str]:
    cols = "".join(
        f"<tr><td>{_e(c.name)}</td><td>{_e(_kind(c.kind, lang))}</td>"
        f"<td class='num'>{_s(lang, '{n:,}', '{n:,}', n=c.distinct)}</td>"
        f"<td class='num'>{_s(lang, '{n:,}', '{n:,}', n=c.missing)}</td>"
        f"<td>{_bar(c.missing_share)} {_s(lang, '{s:.1%}', '{s:.1%}', s=c.missing_share)}</td>"
        f"<td><small>{_e(c.note, lang)}</small></td></tr>"
        for c in r.columns
    )
    head = [
        _s(lang, *w)
        for w in (
            ("column", "Spalte"),
            ("kind", "Art"),
            ("distinct", "verschieden"),
            ("missing", "fehlend"),
            ("share missing", "Anteil fehlend"),
            ("note", "Hinweis"),
        )
    ]
    dupes = _s(
        lang,
        "exact duplicate rows: {n:,}; equal but for the id: {m:,}",
        "exakt doppelte Zeilen: {n:,}; gleich bis auf die ID: {m:,}",
        n=r.duplicate_rows,
        m=r.duplicates_ignoring_ids,
    )
    return [
        _label_html(r.label, lang),
        f"<h2>{_s(lang, 'Columns', 'Spalten')}</h2><table><tr>{''.join(f'<th>{h}</th>' for h in head)}</tr>{cols}"
        f"</table><p><small>{dupes}</small></p>",
        _leakage_html(r.leakage, lang),
    ]


def _use_case_html(uc: UseCaseReadiness, lang: str) -> list[str]:
    as_of = day(uc.as_of)
    history = _DASH if uc.history_days is None else say("{d:,.0f} days", "{d:,.0f} Tage", d=uc.history_days)
    units = _DASH if uc.units is None else say("{n:,}", "{n:,}", n=uc.units)
    facts = [
        _s(lang, "as of {d}", "Stand {d}", d=as_of or ""),
        _s(lang, "history {h}", "Historie {h}", h=history),
        _s(lang, "units {n}", "Einheiten {n}", n=units),
    ]
    return [
        f"<h2>{_s(lang, 'Use case {name}', 'Anwendungsfall {name}', name=uc.name)} "
        f"{_verdict_tag(uc.verdict, lang, 'font-size:.8rem')}</h2>"
        f"<p>{_e(uc.description, lang)}</p><p>{' &middot; '.join(facts)}</p>",
        _label_html(uc.label, lang),
        _leakage_html(uc.leakage, lang),
    ]


def _moment(iso: str, lang: str) -> str:
    """A check's timestamp: as stored in English, ``07.12.2026 10:30`` in German."""
    if lang != "de" or not iso:
        return iso
    moment = datetime.fromisoformat(iso)
    return f"{date_text(moment, 'de')} {moment:%H:%M}"


def render_html(result: Result, *, lang: str = "en", title: str | None = None) -> str:
    """A small self-contained HTML page (inline CSS, no scripts, no CDN) for any readiness result.

    ``lang``: ``"en"`` or ``"de"``; headings, verdicts, findings and numbers follow it.
    """
    lang = "de" if lang == "de" else "en"
    body: list[str] = []
    if isinstance(result, FileReadiness):
        name = Path(result.source).name
        title = title or say("Readiness of {name}", "Datenprüfung: {name}", name=name).lang(lang)
        meta = " &middot; ".join(
            [
                _e(result.source),
                _s(lang, "{n:,} rows", "{n:,} Zeilen", n=result.rows),
                _s(lang, "label {col}", "Label {col}", col=result.label_column),
                f"{_e(result.fingerprint[:19])}&hellip;",
            ]
        )
        body.extend(_file_html(result, lang))
    elif isinstance(result, WarehouseReadiness):
        title = title or say("Warehouse readiness", "Datenprüfung des Warehouse").lang(lang)
        checked = _s(lang, "checked {at}", "geprüft {at}", at=_moment(result.checked_at, lang))
        meta = f"{_e(result.warehouse)} &middot; {checked}"
        if result.use_case is not None:
            body.extend(_use_case_html(result.use_case, lang))
        body.extend(_table_html(t, lang) for t in result.tables)
    elif isinstance(result, UseCaseReadiness):
        title = title or say("Readiness of use case {name}", "Datenprüfung für Anwendungsfall {name}", name=result.name)
        title = in_lang(title, lang)
        meta = _s(lang, "as of {at}", "Stand {at}", at=_moment(result.as_of or "", lang))
        body.append(_label_html(result.label, lang))
        body.append(_leakage_html(result.leakage, lang))
    elif isinstance(result, TableReport):
        title = title or say("Readiness of table {name}", "Datenprüfung der Tabelle {name}", name=result.name)
        title = in_lang(title, lang)
        meta = ""
        body.append(_table_html(result, lang))
    else:  # pragma: no cover - every result is one of the above
        raise TypeError(type(result).__name__)
    verdict = result.verdict
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'><title>{_e(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1><p class='meta'>{meta}</p>"
        f"<div class='verdict {verdict.replace(' ', '-')}'>{_e(verdict_word(verdict, lang))}</div>"
        f"<h2>{_s(lang, 'Why', 'Warum')}</h2>{_findings_html(result.findings, lang)}{''.join(body)}"
        f"<p class='meta'>{_s(lang, 'made by nomagic check', 'erstellt mit nomagic check')}</p></body></html>"
    )
