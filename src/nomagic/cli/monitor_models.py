"""Monitoring of scoring models: ``nomagic monitor backtest``.

::

    nomagic monitor backtest churn --data FILE --label COL [--time COL] --initial-rows N --chunk-rows M
                             --label-delay K [--retrain on-alert|schedule|both|never] [--every R] [--json OUT]

Replays a time-ordered table (row order without ``--time``): the champion learns on the first N rows,
then every chunk of M rows is scored, monitored without its labels (estimated positive rate and
ROC-AUC, importance-weighted drift shown as information, alerts only where the model's usefulness or
calibration is at risk) and the retraining policy acts; labels arrive K chunks late. The JSON has one entry per chunk in ``chunks``. Exit 0 with a report, 2 on bad input.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from nomagic.cli import app, console
from nomagic.cli.ui import cell, lang, progress_bar, show, word
from nomagic.errors import InputError, writable
from nomagic.words import pick, say

#: use cases whose table has one binary outcome per row (the backtest's models are classifiers)
BINARY_USE_CASES = ("churn", "propensity")
_ACTION_DE = {
    "keep": "behalten",
    "retrain": "neu trainiert, Champion bleibt",
    "promote challenger": "Herausforderer übernommen",
    "fall back to baseline": "auf Baseline zurückgefallen",
}


def _show(doc: dict) -> None:
    lg = lang()
    t = Table(title=word("Monitoring backtest", "Backtest der Überwachung"))
    for en, de, right in (
        ("chunk", "Block", True),
        ("est. rate", "gesch. Quote", True),
        ("real rate", "echte Quote", True),
        ("est. ROC-AUC", "gesch. ROC-AUC", True),
        ("real ROC-AUC", "echte ROC-AUC", True),
        ("alert", "Warnung", False),
        ("action", "Aktion", False),
    ):
        t.add_column(word(en, de), justify="right" if right else "left", overflow="fold")
    for c in doc["chunks"]:
        kinds = ", ".join(a["kind"] for a in c["alert_reasons"])
        action = _ACTION_DE.get(c["action"], c["action"]) if lg == "de" else c["action"]
        t.add_row(
            str(c["index"]),
            cell(c["estimated_positive_rate"], ".1%", lg),
            cell(c["realized_positive_rate"], ".1%", lg),
            cell(c["estimated_roc_auc"], ".3f", lg),
            cell(c["realized_roc_auc"], ".3f", lg),
            kinds,
            action,
        )
    console.print(t)
    for c in doc["chunks"]:
        for a in c["alert_reasons"]:
            show(
                say("chunk {k}, {s}: ", "Block {k}, {s}: ", k=c["index"], s=a["severity"]).lang(lg)
                + pick(a, "evidence", lg),
                label=word("alert:", "Warnung:"),
            )
            show(pick(a, "meaning", lg), indent=2)
            show(pick(a, "what_to_do", lg), indent=2)
        if not c["alert_reasons"] and c.get("drift_info"):
            # what changed without putting the model at risk: shown, never paged
            show(
                say("chunk {k}: ", "Block {k}: ", k=c["index"]).lang(lg) + pick(c, "page_why", lg),
                label=word("drift:", "Drift:"),
                label_style="dim",
            )
        if c.get("decision") and c["decision"].get("why"):
            show(pick(c["decision"], "why", lg), label=word("decision:", "Entscheidung:"), label_style="cyan", indent=2)
    show(pick(doc, "explanation", lg))
    for w in pick(doc, "warnings", lg) or []:
        show(w, label=word("note:", "Hinweis:"))


def monitor_backtest(
    use_case: str = typer.Argument(..., help="churn or propensity (a table with a binary outcome per row)."),
    data: Path = typer.Option(..., "--data", help="The table: CSV, Parquet or JSON lines, in time order."),
    label: str = typer.Option(..., "--label", help="The outcome column (Yes/No, 1/0, true/false, ...)."),
    time: str = typer.Option(None, "--time", help="Time column; without it the rows are taken in file order."),
    initial_rows: int = typer.Option(..., "--initial-rows", help="The first champion learns on the first N rows."),
    chunk_rows: int = typer.Option(..., "--chunk-rows", help="Rows per monitored chunk."),
    label_delay: int = typer.Option(
        1, "--label-delay", help="Labels arrive this many chunks late (1: the previous chunk's are known)."
    ),
    retrain: str = typer.Option("on-alert", "--retrain", help="on-alert, schedule, both or never."),
    every: int = typer.Option(None, "--every", help="With --retrain schedule/both: retrain every R chunks."),
    positive: str = typer.Option(None, "--positive", help="The label value that counts as positive."),
    drop: list[str] = typer.Option([], "--drop", help="Columns to leave out (repeatable)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (models, bootstrap)."),
    json_out: Path = typer.Option(None, "--json", help="Write the backtest as JSON (one entry per chunk)."),
) -> None:
    """Replay monitoring and retraining on history: would monitoring have warned, how often to retrain?"""
    from nomagic.lifecycle.plain import read_table
    from nomagic.lifecycle.record import write
    from nomagic.monitor import Policy, backtest

    if use_case not in BINARY_USE_CASES:
        raise InputError(
            say(
                "monitor backtest replays classifiers of one binary outcome per row ({ok}); {u!r} is not one of them",
                "monitor backtest spielt Klassifikatoren eines binären Ergebnisses je Zeile ab ({ok}); {u!r} gehört "
                "nicht dazu",
                ok=", ".join(BINARY_USE_CASES),
                u=use_case,
            )
        )
    modes = {"on-alert": (True, False), "schedule": (False, True), "both": (True, True), "never": (False, False)}
    if retrain not in modes:
        raise InputError(
            say(
                "--retrain {r!r}: use on-alert, schedule, both or never",
                "--retrain {r!r}: on-alert, schedule, both oder never angeben",
                r=retrain,
            )
        )
    on_alert, scheduled = modes[retrain]
    if scheduled and not every:
        raise InputError(
            say(
                "--retrain {r} needs --every R (retrain every R chunks)",
                "--retrain {r} braucht --every R (alle R Blöcke neu trainieren)",
                r=retrain,
            )
        )
    if every is not None and every < 1:
        raise InputError(say("--every must be 1 or more", "--every muss 1 oder größer sein"))
    if json_out is not None:
        writable(json_out)
    df = read_table(data)
    policy = Policy(on_alert=on_alert, every=every if scheduled else None)
    with progress_bar(say("replaying", "Abspielen")) as tick:
        doc = backtest(
            df,
            label=label,
            use_case=use_case,
            time=time,
            initial_rows=initial_rows,
            chunk_rows=chunk_rows,
            label_delay=label_delay,
            policy=policy,
            positive=positive,
            drop=tuple(drop),
            seed=seed,
            source=data.name,
            progress=tick,
        )
    _show(doc)
    if json_out is not None:
        write(doc, json_out)
        show(say("wrote {path}", "geschrieben: {path}", path=json_out))


app.command("monitor-backtest")(monitor_backtest)
