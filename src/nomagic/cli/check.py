"""``nomagic check``: is the data ready? A plain verdict, and why.

Two forms::

    nomagic check [--use-case NAME] [--warehouse URL] [--json FILE] [--html FILE]
    nomagic check --data FILE --label COLUMN [--time COLUMN] [--drop COLUMN ...] [--json FILE] [--html FILE]

Exit status: 0 when the verdict is *ready* or *ready with warnings* (with ``--strict`` only *ready*),
1 when it is *not ready* (the JSON and HTML are still written, so a script can gate on the status
and read why), 2 when the check itself could not run (unknown file, column or use case, ...).
"""

from __future__ import annotations

import importlib
from datetime import datetime
from pathlib import Path

import typer
from rich.panel import Panel
from rich.table import Table
from rich.text import Text as RichText

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.ui import lang, show, word
from nomagic.errors import InputError, NotReadyError
from nomagic.warehouse.readiness import (
    NOT_READY,
    READY,
    WARNINGS,
    FileReadiness,
    Finding,
    Requirements,
    WarehouseReadiness,
    check_file,
    check_warehouse,
)
from nomagic.words import date_text, in_lang, number, say

_STYLE = {READY: "bold green", WARNINGS: "bold yellow", NOT_READY: "bold red"}
_LEVEL_STYLE = {"blocker": "red", "warning": "yellow", "info": "blue"}
_KINDS = {"numeric": "numerisch", "categorical": "kategorial", "datetime": "Datum/Zeit", "boolean": "ja/nein"}


def _verdict_word(code: str) -> str:
    from nomagic.report.readiness import verdict_word

    return verdict_word(code, lang())


def _level_word(level: str) -> str:
    from nomagic.report.readiness import level_word

    return level_word(level, lang())


def requirements_for(name: str) -> Requirements:
    """The :class:`Requirements` the use case ``name`` declares in ``nomagic.usecases.REGISTRY``."""
    try:
        usecases = importlib.import_module("nomagic.usecases")
    except ModuleNotFoundError as exc:
        if exc.name not in ("nomagic.usecases",):
            raise
        raise InputError(
            say(
                "unknown use case {name!r}: no use cases are installed yet; run `nomagic check` without --use-case "
                "to check the tables",
                "unbekannter Anwendungsfall {name!r}: noch keine Anwendungsfälle installiert; `nomagic check` ohne "
                "--use-case ausführen, um die Tabellen zu prüfen",
                name=name,
            )
        ) from None
    registry = getattr(usecases, "REGISTRY", {}) or {}
    key = name.replace("-", "_")
    if key not in registry:
        raise InputError(
            say(
                "unknown use case {name!r}; the known use cases are: {known}",
                "unbekannter Anwendungsfall {name!r}; bekannt sind: {known}",
                name=name,
                known=", ".join(sorted(registry)) or "-",
            )
        )
    req = getattr(registry[key], "requires", None)
    if req is None:
        raise InputError(
            say(
                "use case {name!r} declares no requirements (class attribute `requires`)",
                "Anwendungsfall {name!r} nennt keine Anforderungen (Klassenattribut `requires`)",
                name=name,
            )
        )
    return req


def _write(result, json_out: Path | None, html_out: Path | None) -> None:
    from nomagic.report.readiness import render_html

    outputs = [(json_out, result.to_json), (html_out, lambda: render_html(result, lang=lang()))]
    for path, render in outputs:
        if path is None:
            continue
        try:
            Path(path).write_text(render() + "\n", encoding="utf-8")
        except OSError as exc:
            raise InputError(
                say(
                    "cannot write {path}: {why}",
                    "{path} kann nicht geschrieben werden: {why}",
                    path=path,
                    why=exc.strerror or exc,
                )
            ) from None
        show(say("wrote {path}", "geschrieben: {path}", path=path))


def _findings_table(findings: list[Finding]) -> Table:
    lg = lang()
    table = Table(show_header=True, header_style="bold", expand=False, title=word("why", "warum"))
    table.add_column(word("level", "Stufe"), no_wrap=True)
    table.add_column(word("about", "betrifft"), overflow="fold")
    table.add_column(word("finding", "Befund"), overflow="fold")
    order = {"blocker": 0, "warning": 1, "info": 2}
    for f in sorted(findings, key=lambda f: order[f.level]):
        level = RichText(_level_word(f.level), style=_LEVEL_STYLE[f.level])
        table.add_row(level, in_lang(f.subject, lg), in_lang(f.message, lg))
    return table


def _leakage_table(report, limit: int = 10) -> Table | None:
    if report is None or not report.signals:
        return None
    lg = lang()
    suspects = {s.column for s in report.suspects}
    title = say(
        "how well each column alone predicts {label} (single-column ROC-AUC)",
        "wie gut jede Spalte allein {label} vorhersagt (ROC-AUC einer Spalte)",
        label=report.label,
    )
    table = Table(title=title.lang(lg), header_style="bold")
    table.add_column(word("column", "Spalte"))
    table.add_column(word("kind", "Art"))
    table.add_column("AUC", justify="right")
    table.add_column("")
    shown = [s for i, s in enumerate(report.signals) if i < limit or s.column in suspects]
    for s in shown:
        flag = RichText(word("leakage suspect", "Verdacht auf Datenleck"), style="red") if s.column in suspects else ""
        table.add_row(s.column, word(s.kind, _KINDS.get(s.kind, s.kind)), number(s.auc, ".3f", lg), flag)
    if len(report.signals) > len(shown):
        table.caption = say(
            "{n} weaker column(s) not shown; see --json",
            "{n} schwächere Spalte(n) nicht gezeigt; siehe --json",
            n=len(report.signals) - len(shown),
        ).lang(lg)
    return table


def _verdict_panel(title: str, verdict: str) -> Panel:
    body = RichText(_verdict_word(verdict), style=_STYLE[verdict])
    return Panel.fit(body, title=title, border_style=_STYLE[verdict].split()[-1])


def _show_file(r: FileReadiness) -> None:
    title = say(
        "{name}: {rows:,} rows, label {label}",
        "{name}: {rows:,} Zeilen, Label {label}",
        name=Path(r.source).name,
        rows=r.rows,
        label=r.label_column,
    )
    console.print(_verdict_panel(title.lang(lang()), r.verdict))
    console.print(_findings_table(r.findings))
    leak = _leakage_table(r.leakage)
    if leak is not None:
        console.print(leak)


def _show_warehouse(r: WarehouseReadiness) -> None:
    lg = lang()
    if r.tables:
        title = say("tables in {wh}", "Tabellen in {wh}", wh=r.warehouse).lang(lg)
        table = Table(title=title, header_style="bold")
        for en, de, just in (
            ("table", "Tabelle", "left"),
            ("rows", "Zeilen", "right"),
            ("from", "von", "left"),
            ("to", "bis", "left"),
            ("age (days)", "Alter (Tage)", "right"),
            ("most missing", "am meisten fehlend", "left"),
            ("dup. keys", "dopp. Schlüssel", "right"),
            ("broken refs", "defekte Verweise", "right"),
            ("quarantined", "in Quarantäne", "right"),
            ("verdict", "Urteil", "left"),
        ):
            table.add_column(word(en, de), justify=just)
        for t in r.tables:
            worst = max(t.columns, key=lambda c: c.missing_share, default=None)
            if worst is not None and worst.missing:
                most = f"{worst.name} {number(worst.missing_share, '.0%', lg)}"
            else:
                most = word("none", "keine")
            broken = sum(ref.broken or 0 for ref in t.references)
            table.add_row(
                t.name,
                number(t.rows, ",", lg),
                date_text(t.first, lg) if t.first else "",
                date_text(t.last, lg) if t.last else "",
                "" if t.freshness_days is None else number(t.freshness_days, ",.0f", lg),
                most,
                number(t.duplicate_keys, ",", lg),
                number(broken, ",", lg),
                number(t.quarantined, ",", lg),
                RichText(_verdict_word(t.verdict), style=_STYLE[t.verdict]),
            )
        console.print(table)
    if r.use_case is None:
        title = word("warehouse", "Warehouse")
    else:
        title = say("use case {name}", "Anwendungsfall {name}", name=r.use_case.name).lang(lg)
    console.print(_verdict_panel(title, r.verdict))
    console.print(_findings_table(r.findings))
    if r.use_case is not None:
        leak = _leakage_table(r.use_case.leakage)
        if leak is not None:
            console.print(leak)


def _warehouse(url: str | None):
    from nomagic.warehouse.connection import _duckdb_path, connect, resolve_url

    resolved = resolve_url(url)
    path = _duckdb_path(resolved)
    if path is not None and path != ":memory:":
        if not Path(path).expanduser().exists():
            raise NotReadyError(
                say(
                    "there is no warehouse at {path}: load data first with `nomagic load TABLE FILE` "
                    "(or name another one with --warehouse)",
                    "unter {path} gibt es kein Warehouse: zuerst Daten mit `nomagic load TABELLE DATEI` laden "
                    "(oder mit --warehouse ein anderes nennen)",
                    path=path,
                )
            )
        return connect(resolved, read_only=True)
    return connect(resolved)


@app.command("check")
def check_command(
    use_case: str = typer.Option(None, "--use-case", "-u", help="Also check what this use case needs (e.g. churn)."),
    data: Path = typer.Option(None, "--data", help="Check a plain labelled file (CSV, Parquet, JSON lines) instead."),
    label: str = typer.Option(None, "--label", help="With --data: the column to predict."),
    time: str = typer.Option(None, "--time", help="With --data: when each row's prediction is made (snapshot time)."),
    drop: list[str] = typer.Option(None, "--drop", help="With --data: a column to leave out (repeatable)."),
    as_of: datetime = typer.Option(None, "--as-of", help="With --use-case: the label cutoff (default: latest data)."),
    json_out: Path = typer.Option(None, "--json", help="Write the full result as JSON."),
    html_out: Path = typer.Option(None, "--html", help="Write a self-contained HTML report."),
    stale_days: float = typer.Option(
        30.0, "--stale-days", help="Warn when a table's latest record is older (0: never)."
    ),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 on warnings too, not only when not ready."),
    encoding: str = typer.Option(None, "--encoding", help="With --data: file encoding (default: detected)."),
    delimiter: str = typer.Option(None, "--delimiter", help="With --data: CSV delimiter (default: detected)."),
    warehouse: str = WarehouseOption,
) -> None:
    """Is the data ready? Per table, per use case or for one labelled file: ready / ready with warnings /
    not ready, and why. Exits 0 when ready (with or without warnings), 1 when not ready, 2 on errors."""
    if data is None:
        for flag, value in (("--label", label), ("--time", time), ("--drop", drop)):
            if value:
                raise InputError(
                    say(
                        "{flag} goes with --data FILE (the check of a plain file)",
                        "{flag} gehört zu --data DATEI (die Prüfung einer einfachen Datei)",
                        flag=flag,
                    )
                )
        if as_of is not None and not use_case:
            raise InputError(
                say(
                    "--as-of sets the label cutoff of a use case: give it with --use-case NAME",
                    "--as-of setzt den Label-Stichtag eines Anwendungsfalls: zusammen mit --use-case NAME angeben",
                )
            )
        req = requirements_for(use_case) if use_case else None
        with _warehouse(warehouse) as wh:
            result = check_warehouse(wh, req, use_case=use_case, as_of=as_of, stale_days=stale_days or None)
        _show_warehouse(result)
    else:
        if use_case:
            raise InputError(
                say(
                    "--use-case checks the warehouse; --data checks a file: use one or the other",
                    "--use-case prüft das Warehouse, --data eine Datei: nur eines von beiden angeben",
                )
            )
        if not label:
            raise InputError(
                say(
                    "{data}: name the column to predict with --label COLUMN",
                    "{data}: die vorherzusagende Spalte mit --label SPALTE angeben",
                    data=data,
                )
            )
        with console.status(say("checking {name} ...", "{name} wird geprüft ...", name=data.name).lang(lang())):
            result = check_file(data, label, time, drop=drop or (), encoding=encoding, delimiter=delimiter)
        _show_file(result)
    _write(result, json_out, html_out)
    if result.verdict == NOT_READY or (strict and result.verdict == WARNINGS):
        # SystemExit, not typer.Exit: `nomagic.cli.main` runs typer with standalone_mode=False, where
        # typer turns Exit into a return value that main does not pass on.
        raise SystemExit(1)
