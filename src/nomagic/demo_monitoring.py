"""The demo's monitoring row: a change in the simulated world, the monitor's alert, the retraining decision.

The demo world gets a competitor (:func:`nomagic.simulate.drift.competitor`) :data:`CHANGE_BEFORE_END`
days before its end. The churn model goes live :data:`LIVE_BEFORE_CHANGE` days before that (trained
on the data up to then only, ``until``), so that its monitor (:func:`nomagic.monitor.models.
monitor_champion`, 30-day periods) sees the world change after it went live. Alerts and periods are
logged in the warehouse like ``nomagic monitor models`` does. The retrain policy is *on alert*: after
an alert, :func:`nomagic.lifecycle.retrain.retrain` trains a challenger on all the data and judges
both on the recent labelled window; without an alert nothing is retrained, and the row says so.

Everything the row says comes from those calls: nothing about the simulated truth is read back,
except the sentence that names the injected change (the ``truth_drift`` table records it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from nomagic.monitor.alerts import kind_words, severity_words
from nomagic.words import LANGS, Text, say

#: the competitor enters this many days before the end of the simulated history
CHANGE_BEFORE_END = 120
#: the churn model goes live this many days before the competitor enters
LIVE_BEFORE_CHANGE = 30
#: the least days of history for the row: churn's backtest up to the go-live day needs about 330
MIN_DAYS = 480
PERIOD_DAYS = 30


def change_day(days: int) -> int | None:
    """The day of the injected change for a history of ``days`` days, or None when it is too short."""
    return days - CHANGE_BEFORE_END if days >= MIN_DAYS else None


def scenario(days: int):
    """The demo's drift: a competitor in FR, GB and US (None for a history too short for the row)."""
    from nomagic.simulate.drift import competitor

    day = change_day(days)
    return None if day is None else competitor(day)


def live_date(start, days: int) -> pd.Timestamp:
    """The day the churn model went live: :data:`LIVE_BEFORE_CHANGE` days before the change."""
    return pd.Timestamp(start) + pd.Timedelta(days=change_day(days) - LIVE_BEFORE_CHANGE)


@dataclass
class Row:
    """What the monitoring row found: lines for people, the monitor's document, the retrain outcome."""

    lines: list[Text] = field(default_factory=list)
    doc: dict | None = None
    retrained: object = None  # a RetrainOutcome, or None when nothing was retrained
    html: dict = field(default_factory=dict)  # language -> the report section


def run_row(wh, registry, scene, start, voice) -> Row:
    """Monitor the churn champion after the change, retrain on alert; say each step to ``voice``."""
    from nomagic.lifecycle.retrain import retrain, use_case_like
    from nomagic.monitor.feature_log import log_features
    from nomagic.monitor.models import log_alerts, log_periods, monitor_champion
    from nomagic.usecases.churn import Churn

    row = Row()

    def tell(text: Text) -> None:
        row.lines.append(text)
        voice.line(text)

    when = pd.Timestamp(start) + pd.Timedelta(days=scene.start_day)
    tell(
        say(
            "the world changed on {d}: {what} (simulated; recorded in the table truth_drift)",
            "die Welt hat sich am {d} geändert: {what} (simuliert; festgehalten in der Tabelle truth_drift)",
            d=when,
            what=scene.describe(),
        )
    )
    champ = registry.champion("churn")
    if champ is None:
        tell(say("churn has no champion: nothing to monitor", "Abwanderung hat keinen Champion: nichts zu überwachen"))
        return row
    tell(
        say(
            "churn {v} went live on {d}, trained on the data up to then; monitored in {p}-day periods since",
            "Abwanderung {v} ging am {d} live, trainiert auf den Daten bis dahin; seither in Zeiträumen von {p} Tagen "
            "überwacht",
            v=champ.version,
            d=pd.Timestamp(champ.record()["data"]["end"]),
            p=PERIOD_DAYS,
        )
    )
    with voice.progress(say("monitoring churn", "Abwanderung wird überwacht")) as update:
        row.doc = monitor_champion(wh, registry, "churn", period=PERIOD_DAYS, progress=update)
    log_alerts(wh, row.doc)
    log_periods(wh, row.doc)
    log_features(wh, row.doc)
    for p in row.doc["periods"]:
        tell(_period_line(p))
    alerted = [p for p in row.doc["periods"] if _pages(p)]
    if not alerted:
        tell(
            say(
                "no alert, so no retraining (policy: retrain on alert); the champion stays",
                "keine Warnung, also kein neues Training (Regel: bei Warnung neu trainieren); der Champion bleibt",
            )
        )
        return _done(row)
    with voice.progress(say("retraining churn", "Abwanderung wird neu trainiert")) as update:
        row.retrained = retrain(use_case_like(Churn, champ), wh, registry, progress=update, source=wh.url)
    tell(
        say(
            "retraining after the alert of {d}: {why}",
            "neues Training nach der Warnung vom {d}: {why}",
            d=pd.Timestamp(alerted[0]["as_of"]),
            why=row.retrained.explanation,
        )
    )
    return _done(row)


def _done(row: Row) -> Row:
    row.html = {lg: _html(row, lg) for lg in LANGS}
    return row


def _pages(period: dict) -> list[dict]:
    return [a for a in period.get("alerts", []) if a.get("severity") != "info"]


def _period_line(p: dict) -> Text:
    pages = _pages(p)
    rate = p.get("estimated_positive_rate")
    est = (
        say("no estimate ({why})", "keine Schätzung ({why})", why=p["note"])
        if rate is None
        else say("estimated churn rate {r:.1%}", "geschätzte Abwanderungsquote {r:.1%}", r=rate)
    )
    if not pages:
        return say(
            "   period to {d}: {est}; no alert",
            "   Zeitraum bis {d}: {est}; keine Warnung",
            d=pd.Timestamp(p["as_of"]),
            est=est,
        )
    first = pages[0]
    return say(
        "   period to {d}: {est}; ALERT ({k}, {s}): {e}",
        "   Zeitraum bis {d}: {est}; WARNUNG ({k}, {s}): {e}",
        d=pd.Timestamp(p["as_of"]),
        est=est,
        k=kind_words(first["kind"]),
        s=severity_words(first["severity"]),
        e=first["evidence"],
    )


def _html(row: Row, lang: str) -> str:
    """The report's section: the lines, and the estimated-against-realized charts."""
    import html

    from nomagic.monitor.models import period_rows
    from nomagic.report.monitoring import monitoring_svgs

    head = say("Monitoring: churn after going live", "Überwachung: Abwanderung nach dem Livegang").lang(lang)
    items = "".join(f"<li>{html.escape(t.lang(lang).strip())}</li>" for t in row.lines)
    charts = ""
    if row.doc is not None:
        try:
            charts = "".join(svg for _, svg in monitoring_svgs(period_rows(row.doc), lang))
        except Exception:  # the report extra is missing: the words still stand
            charts = ""
    return f"<h2 id='monitoring'>{html.escape(head)}</h2><ul class='monitoring'>{items}</ul>{charts}"


def skipped(days: int) -> Text:
    """Why a short history has no monitoring row."""
    return say(
        "monitoring row skipped: it needs at least {n} days of history (this one has {d})",
        "Überwachungszeile übersprungen: sie braucht mindestens {n} Tage Historie (hier {d})",
        n=MIN_DAYS,
        d=days,
    )
