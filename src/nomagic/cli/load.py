"""``nomagic load``: a source into a canonical table."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from nomagic.cli import WarehouseOption, app, console
from nomagic.warehouse import connect, load
from nomagic.warehouse.sources import source_kind


def _bytes_per_row(source: str) -> float:
    """Average line length of the file's first 256 KiB, to turn bytes read into rows for the progress bar."""
    with open(source, "rb") as fh:
        head = fh.read(1 << 18)
    lines = head.count(b"\n")
    return len(head) / lines if lines > 1 else 0.0


@app.command("load")
def load_command(
    table: str = typer.Argument(..., help="Canonical table: customers, orders, order_lines, products, events, ..."),
    source: str = typer.Argument(..., help="CSV, Parquet or JSON-lines file, or a database URL (with --source-table)."),
    mapping: Path = typer.Option(None, "--mapping", "-m", help="TOML file mapping your columns and codes."),
    source_table: str = typer.Option(None, "--source-table", help="Table to read when SOURCE is a database URL."),
    encoding: str = typer.Option(None, "--encoding", help="File encoding (default: detected; utf-8, cp1252, ...)."),
    delimiter: str = typer.Option(None, "--delimiter", help="CSV delimiter (default: detected)."),
    strict: bool = typer.Option(False, "--strict", help="Refuse the whole load if any row breaks the contract."),
    warehouse: str = WarehouseOption,
) -> None:
    """Load SOURCE into TABLE: contract-checked, broken rows quarantined, atomic and idempotent."""
    size = Path(source).stat().st_size if source_kind(source) != "database" and Path(source).exists() else 0
    bytes_per_row = _bytes_per_row(source) if size and source_kind(source) == "csv" else 0
    with (
        connect(warehouse) as wh,
        Progress(
            TextColumn("[bold]reading[/] {task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TextColumn("{task.fields[speed]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task(Path(source).name, total=100, speed="")
        t0 = time.perf_counter()

        def on_progress(pct: float) -> None:
            elapsed = max(time.perf_counter() - t0, 1e-6)
            done = size * pct / 100
            speed = f"{done / elapsed / 1e6:.1f} MB/s" if size else ""
            if bytes_per_row:
                speed = f"~{done / bytes_per_row / elapsed:,.0f} rows/s · {speed}"
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
    console.print(
        f"[bold]{table}[/] ← {source}: {result.rows_read:,} rows read in {result.seconds:.1f}s "
        f"({result.rows_per_second:,.0f} rows/s)\n"
        f"  loaded {result.inserted:,} · updated {result.updated:,} · unchanged {result.unchanged:,} · "
        f"quarantined {result.quarantined:,}",
        highlight=False,
    )
    for w in result.warnings:
        console.print(f"  [yellow]warning:[/] {w}", highlight=False)
    if result.quarantined:
        console.print("  [yellow]quarantined rows[/] (see table `quarantine`):", highlight=False)
        for line in result.describe_issues():
            console.print(f"    {line}", highlight=False)
