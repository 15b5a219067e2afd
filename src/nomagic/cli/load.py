"""``nomagic load``: a source into a canonical table."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.ui import LogProgress, lang, show, word
from nomagic.privacy import audit
from nomagic.warehouse import connect, load
from nomagic.warehouse.sources import source_kind
from nomagic.words import number, say


def _bytes_per_row(source: str) -> float:
    """Average line length of the file's first 256 KiB, to turn bytes read into rows for the progress bar."""
    with open(source, "rb") as fh:
        head = fh.read(1 << 18)
    lines = head.count(b"\n")
    return len(head) / lines if lines > 1 else 0.0


def _bar():
    """A progress bar with the reading speed; in a log, a line every few seconds."""
    if not console.is_terminal:
        return LogProgress()
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[speed]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@app.command("load")
def load_command(
    table: str = typer.Argument(
        ..., metavar="TABLE", help="Canonical table: customers, orders, order_lines, products, events, ..."
    ),
    source: str = typer.Argument(
        ..., metavar="SOURCE", help="CSV, Parquet or JSON-lines file, or a database URL (with --source-table)."
    ),
    mapping: Path = typer.Option(None, "--mapping", "-m", help="TOML file mapping your columns and codes."),
    source_table: str = typer.Option(None, "--source-table", help="Table to read when SOURCE is a database URL."),
    encoding: str = typer.Option(None, "--encoding", help="File encoding (default: detected; utf-8, cp1252, ...)."),
    delimiter: str = typer.Option(None, "--delimiter", help="CSV delimiter (default: detected)."),
    strict: bool = typer.Option(False, "--strict", help="Refuse the whole load if any row breaks the contract."),
    warehouse: str = WarehouseOption,
) -> None:
    """Load SOURCE into TABLE: contract-checked, broken rows quarantined, atomic and idempotent."""
    lg = lang()
    size = Path(source).stat().st_size if source_kind(source) != "database" and Path(source).exists() else 0
    bytes_per_row = _bytes_per_row(source) if size and source_kind(source) == "csv" else 0
    what = say("reading {name}", "{name} wird gelesen", name=Path(source).name)
    with connect(warehouse) as wh, _bar() as bar:
        task = bar.add_task(what.lang(lg), total=100, speed="")
        t0 = time.perf_counter()

        def on_progress(pct: float) -> None:
            elapsed = max(time.perf_counter() - t0, 1e-6)
            done = size * pct / 100
            speed = number(done / elapsed / 1e6, ".1f", lg) + " MB/s" if size else ""
            if bytes_per_row:
                rate = done / bytes_per_row / elapsed
                speed = say("~{r:,.0f} rows/s · {mb}", "~{r:,.0f} Zeilen/s · {mb}", r=rate, mb=speed).lang(lg)
            bar.update(task, completed=pct, speed=speed)

        result = load(
            wh,
            table,
            source,
            mapping=mapping,
            source_table=source_table,
            encoding=encoding,
            delimiter=delimiter,
            strict=strict,
            on_progress=on_progress,
        )
        # the governance log: after the load succeeded; if it cannot be written, the command fails
        audit.record(
            wh,
            "data.load",
            target=result.table,
            details={
                "table": result.table,
                "source": audit.source_label(source) + (f" ({source_table})" if source_table else ""),
                "rows_read": result.rows_read,
                "inserted": result.inserted,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "quarantined": result.quarantined,
                "load_id": result.load_id,
            },
        )
    show(
        say(
            "{table} ← {source}: {read:,} rows read in {s:.1f}s ({speed:,.0f} rows/s)\n"
            "  loaded {inserted:,} · updated {updated:,} · unchanged {unchanged:,} · quarantined {quarantined:,}",
            "{table} ← {source}: {read:,} Zeilen gelesen in {s:.1f} s ({speed:,.0f} Zeilen/s)\n"
            "  geladen {inserted:,} · aktualisiert {updated:,} · unverändert {unchanged:,} · in Quarantäne "
            "{quarantined:,}",
            table=table,
            source=source,
            read=result.rows_read,
            s=result.seconds,
            speed=result.rows_per_second,
            inserted=result.inserted,
            updated=result.updated,
            unchanged=result.unchanged,
            quarantined=result.quarantined,
        )
    )
    for w in result.warnings:
        show(w, label=word("warning:", "Warnung:"), indent=2)
    if result.quarantined:
        show(
            word("quarantined rows", "Zeilen in Quarantäne")
            + word(" (see table `quarantine`):", " (siehe Tabelle `quarantine`):"),
            "yellow",
            indent=2,
        )
        for line in result.describe_issues():
            show(line, indent=4)
