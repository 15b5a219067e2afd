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

from nomagic.cli import WarehouseOption, app, console
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

_STYLE = {READY: "bold green", WARNINGS: "bold yellow", NOT_READY: "bold red"}
_LEVEL = {"blocker": "[red]blocker[/]", "warning": "[yellow]warning[/]", "info": "[blue]info[/]"}


def requirements_for(name: str) -> Requirements:
    """The :class:`Requirements` the use case ``name`` declares in ``nomagic.usecases.REGISTRY``."""
    try:
        usecases = importlib.import_module("nomagic.usecases")
    except ModuleNotFoundError as exc:
        if exc.name not in ("nomagic.usecases",):
            raise
        raise InputError(
            f"unknown use case {name!r}: no use cases are installed yet; run `nomagic check` without --use-case "
            "to check the tables"
        ) from None
    registry = getattr(usecases, "REGISTRY", {}) or {}
    if name not in registry:
        known = ", ".join(sorted(registry)) or "(none yet)"
        raise InputError(f"unknown use case {name!r}; the known use cases are: {known}")
    req = getattr(registry[name], "requires", None)
    if req is None:
        raise InputError(f"use case {name!r} declares no requirements (class attribute `requires`)")
    return req


def _write(result, json_out: Path | None, html_out: Path | None) -> None:
    outputs = [(json_out, result.to_json), (html_out, result.to_html)]
    for path, render in outputs:
        if path is None:
            continue
        try:
            Path(path).write_text(render() + "\n", encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
        console.print(f"wrote {path}", highlight=False)


def _findings_table(findings: list[Finding]) -> Table:
    table = Table(show_header=True, header_style="bold", expand=False, title="why")
    table.add_column("level", no_wrap=True)
    table.add_column("about", overflow="fold")
    table.add_column("finding", overflow="fold")
    order = {"blocker": 0, "warning": 1, "info": 2}
    for f in sorted(findings, key=lambda f: order[f.level]):
        table.add_row(_LEVEL[f.level], f.subject, f.message)
    return table


def _leakage_table(report, limit: int = 10) -> Table | None:
    if report is None or not report.signals:
        return None
    suspects = {s.column for s in report.suspects}
    table = Table(
        title=f"how well each column alone predicts {report.label} (single-column ROC-AUC)", header_style="bold"
    )
    table.add_column("column")
    table.add_column("kind")
    table.add_column("AUC", justify="right")
    table.add_column("")
    shown = [s for i, s in enumerate(report.signals) if i < limit or s.column in suspects]
    for s in shown:
        flag = "[red]leakage suspect[/]" if s.column in suspects else ""
        table.add_row(s.column, s.kind, f"{s.auc:.3f}", flag)
    if len(report.signals) > len(shown):
        table.caption = f"{len(report.signals) - len(shown)} weaker column(s) not shown; see --json"
    return table


def _verdict_panel(title: str, verdict: str) -> Panel:
    return Panel.fit(f"[{_STYLE[verdict]}]{verdict}[/]", title=title, border_style=_STYLE[verdict].split()[-1])


def _show_file(r: FileReadiness) -> None:
    console.print(_verdict_panel(f"{Path(r.source).name}: {r.rows:,} rows, label {r.label_column}", r.verdict))
    console.print(_findings_table(r.findings))
    leak = _leakage_table(r.leakage)
    if leak is not None:
        console.print(leak)


def _show_warehouse(r: WarehouseReadiness) -> None:
    if r.tables:
        table = Table(title=f"tables in {r.warehouse}", header_style="bold")
        for name, just in (
            ("table", "left"),
            ("rows", "right"),
            ("from", "left"),
            ("to", "left"),
            ("age (days)", "right"),
            ("most missing", "left"),
            ("dup. keys", "right"),
            ("broken refs", "right"),
            ("quarantined", "right"),
            ("verdict", "left"),
        ):
            table.add_column(name, justify=just)
        for t in r.tables:
            worst = max(t.columns, key=lambda c: c.missing_share, default=None)
            most = f"{worst.name} {worst.missing_share:.0%}" if worst is not None and worst.missing else "none"
            broken = sum(ref.broken or 0 for ref in t.references)
            table.add_row(
                t.name,
                f"{t.rows:,}",
                (t.first or "")[:10],
                (t.last or "")[:10],
                "" if t.freshness_days is None else f"{t.freshness_days:,.0f}",
                most,
                f"{t.duplicate_keys:,}",
                f"{broken:,}",
                f"{t.quarantined:,}",
                f"[{_STYLE[t.verdict]}]{t.verdict}[/]",
            )
        console.print(table)
    title = "warehouse" if r.use_case is None else f"use case {r.use_case.name}"
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
                f"there is no warehouse at {path}: load data first with `nomagic load TABLE FILE` "
                "(or name another one with --warehouse)"
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
                raise InputError(f"{flag} goes with --data FILE (the check of a plain file)")
        if as_of is not None and not use_case:
            raise InputError("--as-of sets the label cutoff of a use case: give it with --use-case NAME")
        req = requirements_for(use_case) if use_case else None
        with _warehouse(warehouse) as wh:
            result = check_warehouse(wh, req, use_case=use_case, as_of=as_of, stale_days=stale_days or None)
        _show_warehouse(result)
    else:
        if use_case:
            raise InputError("--use-case checks the warehouse; --data checks a file: use one or the other")
        if not label:
            raise InputError(f"{data}: name the column to predict with --label COLUMN")
        with console.status(f"checking {data.name} ..."):
            result = check_file(data, label, time, drop=drop or (), encoding=encoding, delimiter=delimiter)
        _show_file(result)
    _write(result, json_out, html_out)
    if result.verdict == NOT_READY or (strict and result.verdict == WARNINGS):
        # SystemExit, not typer.Exit: `nomagic.cli.main` runs typer with standalone_mode=False, where
        # typer turns Exit into a return value that main does not pass on.
        raise SystemExit(1)
