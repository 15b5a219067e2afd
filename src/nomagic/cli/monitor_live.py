"""Monitoring of the registry's champions on the warehouse: ``nomagic monitor models``.

::

    nomagic monitor models [USE_CASE ...] [--period week|day|month|N] [--since DATE] [--json OUT] [--no-log]

For each champion (churn and propensity; other use cases are listed as not monitored, with the
reason) and each period after its training data: drift against the world one horizon earlier,
label-free positive rate and ROC-AUC, the gate against its baseline on the latest labels, realized
performance once the period's labels arrived. Alerts go to the warehouse table ``monitor_alerts``
(once per use case, version, period and kind), the periods to ``monitor_periods`` and each period's
drift by feature to ``monitor_features`` (a period monitored again replaces its rows there); the
Monitoring page and the API read them. Exit 0 with a report, 2 on bad input.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.ui import cell, lang, progress_bar, show, word
from nomagic.errors import InputError, writable
from nomagic.words import date_text, number, pick, say

_GATE = {"holds": ("holds", "hält"), "lost": ("lost", "verloren"), "unsure": ("unsure", "unsicher")}


def _show(doc: dict) -> None:
    lg = lang()
    for d in doc["use_cases"]:
        t = Table(title=f"{d['use_case']} {d['version']}")
        for en, de, right in (
            ("period to", "Zeitraum bis", False),
            ("rows", "Zeilen", True),
            ("est. rate", "gesch. Quote", True),
            ("real rate", "echte Quote", True),
            ("est. ROC-AUC", "gesch. ROC-AUC", True),
            ("real ROC-AUC", "echte ROC-AUC", True),
            ("gate", "Schranke", False),
            ("alerts", "Warnungen", False),
        ):
            t.add_column(word(en, de), justify="right" if right else "left", overflow="fold")
        for p in d["periods"]:
            real = p.get("realized") or {}
            gate = (p.get("gate") or {}).get("verdict")
            t.add_row(
                date_text(p["as_of"][:10], lg),
                number(p["rows"], ",", lg),
                cell(p.get("estimated_positive_rate"), ".1%", lg),
                cell(real.get("positive_rate"), ".1%", lg),
                cell(p.get("estimated_roc_auc"), ".3f", lg),
                cell((real.get("roc_auc") or {}).get("value"), ".3f", lg),
                "–" if gate is None else word(*_GATE[gate]),
                ", ".join(a["kind"] for a in p["alerts"]),
            )
        console.print(t)
        for p in d["periods"]:
            for a in p["alerts"]:
                show(
                    say("{t}, {s}: ", "{t}, {s}: ", t=p["as_of"][:10], s=a["severity"]).lang(lg)
                    + pick(a, "evidence", lg),
                    label=word("alert:", "Warnung:"),
                )
                show(pick(a, "meaning", lg), indent=2)
                show(pick(a, "what_to_do", lg), indent=2)
        show(pick(d, "explanation", lg))
        for w in pick(d, "warnings", lg) or []:
            show(w, label=word("note:", "Hinweis:"))
    for s in doc["not_monitored"]:
        show(
            say("{uc}: {r}", "{uc}: {r}", uc=s["use_case"], r=s["reason"]).lang(lg),
            label=word("not monitored yet:", "noch nicht überwacht:"),
        )


def monitor_models_command(
    use_cases: list[str] = typer.Argument(None, metavar="[USE_CASE]...", help="Default: every champion."),
    period: str = typer.Option("week", "--period", help="day, week, month or a number of days."),
    since: str = typer.Option(None, "--since", help="First period starts here (default: end of training data)."),
    json_out: Path = typer.Option(None, "--json", help="Write the monitoring document as JSON."),
    no_log: bool = typer.Option(
        False,
        "--no-log",
        help="Do not log to the warehouse (monitor_alerts, monitor_periods, monitor_features).",
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed (bootstrap noise levels)."),
    warehouse: str = WarehouseOption,
) -> None:
    """Monitor every champion on the warehouse: drift, label-free estimates, the gate again, alerts."""
    import pandas as pd

    from nomagic.lifecycle.record import write
    from nomagic.lifecycle.registry import Registry
    from nomagic.monitor.feature_log import log_features
    from nomagic.monitor.models import ALERTS_TABLE, log_alerts, log_periods, monitor_models, period_days
    from nomagic.warehouse import connect

    period_days(period)  # a bad --period fails before any work
    if since is not None:
        try:
            pd.Timestamp(since)
        except ValueError:
            raise InputError(
                say(
                    "--since {s!r} is not a date (use YYYY-MM-DD)",
                    "--since {s!r} ist kein Datum (JJJJ-MM-TT angeben)",
                    s=since,
                )
            ) from None
    if json_out is not None:
        writable(json_out)
    with connect(warehouse) as wh:
        registry = Registry.for_warehouse(wh.url)
        with progress_bar(say("monitoring", "Überwachung")) as tick:
            doc = monitor_models(wh, registry, use_cases or None, period=period, since=since, seed=seed, progress=tick)
        logged = 0 if no_log else log_alerts(wh, doc)
        if not no_log:
            log_periods(wh, doc)  # the Monitoring page draws estimated against realized from it
            log_features(wh, doc)  # ... and drift by feature
    _show(doc)
    if not doc["use_cases"] and not doc["not_monitored"]:
        show(
            say(
                "no champion in the registry; train one with `nomagic train churn`",
                "kein Champion im Register; einen mit `nomagic train churn` trainieren",
            )
        )
    if not no_log:
        show(
            say("{n} new alert(s) logged in {t}", "{n} neue Warnung(en) in {t} protokolliert", n=logged, t=ALERTS_TABLE)
        )
    if json_out is not None:
        write(doc, json_out)
        show(say("wrote {path}", "geschrieben: {path}", path=json_out))


app.command("monitor-models")(monitor_models_command)
