"""``nomagic simulate``: fill the warehouse with the demo world."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from nomagic.cli import WarehouseOption, app, console, err_console
from nomagic.simulate import TRUTH_TABLES, simulate
from nomagic.warehouse import connect


@app.command("simulate")
def simulate_command(
    customers: int = typer.Option(20_000, "--customers", "-n", help="Number of customers (1 to 100 million)."),
    days: int = typer.Option(730, "--days", "-d", help="Length of the simulated period in days (30 to 3650)."),
    seed: int = typer.Option(0, "--seed", "-s", help="Random seed: the same seed gives identical data."),
    start: str = typer.Option(
        None, "--start", help="First day (YYYY-MM-DD). Default: the period ends yesterday. It may not end after today."
    ),
    warehouse: str = WarehouseOption,
) -> None:
    """Fill the warehouse with a simulated business and its recorded ground truth.

    Writes every canonical table (customers, products, orders, order_lines, events, campaigns, messages, media_spend, kpis, documents, images, ad_requests, decisions) and the truth_* tables that hold what real data never reveals. It REPLACES those tables in the warehouse; other tables are left alone.

    Models never read the truth tables; use them to check a model against the truth (see docs/simulate.md).
    """
    with (
        connect(warehouse) as wh,
        Progress(
            TextColumn("[bold]simulating[/] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("", total=None)

        def on_progress(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, description=what)

        try:
            sim = simulate(wh, customers=customers, days=days, seed=seed, start=start, progress=on_progress)
        except KeyboardInterrupt:
            err_console.print("interrupted: the demo world is incomplete; run `nomagic simulate` again")
            raise typer.Exit(130) from None
        url = wh.url
    cutoff = f"; churn cutoff {sim.churn_cutoff:%Y-%m-%d}" if sim.churn_cutoff else ""
    console.print(
        f"[bold]demo world[/] in {url}: {sim.customers:,} customers, {sim.start:%Y-%m-%d} to "
        f"{sim.end:%Y-%m-%d} (exclusive){cutoff}, seed {sim.seed}, {sim.seconds:.1f}s",
        highlight=False,
    )
    rows = Table("table", "rows", "", box=None, pad_edge=False)
    for name, n in sorted(sim.rows.items(), key=lambda kv: kv[0] in TRUTH_TABLES):
        rows.add_row(name, f"{n:,}", "ground truth: no model reads it" if name in TRUTH_TABLES else "")
    console.print(rows)
