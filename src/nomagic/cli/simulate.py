"""``nomagic simulate``: fill the warehouse with the demo world."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from nomagic.cli import WarehouseOption, app, console, err_console
from nomagic.cli.ui import LogProgress, lang, show, word
from nomagic.simulate import TRUTH_TABLES, simulate
from nomagic.warehouse import connect
from nomagic.words import number, say


def _bar():
    """A progress bar that counts the tables written; in a log, a line every few seconds."""
    if not console.is_terminal:
        return LogProgress()
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def drift_scenarios(specs: list[str], days: int) -> tuple:
    """``kind@day`` specifications as the simulator's drift scenarios (default settings of each kind)."""
    from nomagic.errors import InputError
    from nomagic.simulate import drift as dr

    kinds = {
        "competitor": dr.competitor,
        "price_change": dr.price_change,
        "new_channel": dr.new_channel,
        "seasonal_shift": dr.seasonal_shift,
        "targeting": dr.targeting,
    }
    out = []
    for spec in specs:
        kind, _, day = spec.partition("@")
        if kind not in kinds or not day.isdigit() or not 0 < int(day) < days:
            raise InputError(
                say(
                    "--drift {s}: write KIND@DAY with KIND one of {k} and DAY between 1 and {d}",
                    "--drift {s}: ART@TAG angeben, ART eine von {k}, TAG zwischen 1 und {d}",
                    s=spec,
                    k=", ".join(kinds),
                    d=days - 1,
                )
            )
        out.append(kinds[kind](int(day)))
    return tuple(out)


@app.command("simulate")
def simulate_command(
    customers: int = typer.Option(20_000, "--customers", "-n", help="Number of customers (1 to 100 million)."),
    days: int = typer.Option(730, "--days", "-d", help="Length of the simulated period in days (30 to 3650)."),
    seed: int = typer.Option(0, "--seed", "-s", help="Random seed: the same seed gives identical data."),
    start: str = typer.Option(
        None, "--start", help="First day (YYYY-MM-DD). Default: the period ends yesterday. It may not end after today."
    ),
    drift: list[str] = typer.Option(
        None,
        "--drift",
        help="Inject a change from a day on, e.g. `competitor@400` (repeatable): competitor, price_change, "
        "new_channel, seasonal_shift, targeting. Recorded in truth_drift.",
    ),
    warehouse: str = WarehouseOption,
) -> None:
    """Fill the warehouse with a simulated business and its recorded ground truth.

    Writes every canonical table (customers, products, orders, order_lines, events, campaigns, messages, media_spend, kpis, documents, images, ad_requests, decisions) and the truth_* tables that hold what real data never reveals. It REPLACES those tables in the warehouse; other tables are left alone.

    Models never read the truth tables; use them to check a model against the truth (see docs/simulate.md).
    """
    lg = lang()
    scenarios = drift_scenarios(drift or [], days)  # a bad --drift is refused before the warehouse is touched
    with connect(warehouse) as wh, _bar() as bar:
        task = bar.add_task(word("simulating", "Simulation"), total=None)

        def on_progress(done: int, total: int, what: str) -> None:
            said = say("simulating {what}", "Simulation: {what}", what=what).lang(lg)
            bar.update(task, completed=done, total=total, description=said)

        try:
            sim = simulate(
                wh,
                customers=customers,
                days=days,
                seed=seed,
                start=start,
                progress=on_progress,
                drift=scenarios,
            )
        except KeyboardInterrupt:
            show(
                say(
                    "interrupted: the demo world is incomplete; run `nomagic simulate` again",
                    "abgebrochen: die Demo-Welt ist unvollständig; `nomagic simulate` erneut ausführen",
                ),
                file=err_console,
            )
            raise typer.Exit(130) from None
        url = wh.url
    cutoff = ""
    if sim.churn_cutoff:
        cutoff = say("; churn cutoff {d}", "; Stichtag Abwanderung {d}", d=sim.churn_cutoff)
    show(
        say(
            "demo world in {url}: {n:,} customers, {start} to {end} (exclusive){cutoff}, seed {seed}, {s:.1f}s",
            "Demo-Welt in {url}: {n:,} Kunden, {start} bis {end} (ausschließlich){cutoff}, Seed {seed}, {s:.1f} s",
            url=url,
            n=sim.customers,
            start=sim.start,
            end=sim.end,
            cutoff=cutoff,
            seed=sim.seed,
            s=sim.seconds,
        )
    )
    rows = Table(word("table", "Tabelle"), word("rows", "Zeilen"), "", box=None, pad_edge=False)
    truth = word("ground truth: no model reads it", "Wahrheit: kein Modell liest sie")
    for name, n in sorted(sim.rows.items(), key=lambda kv: kv[0] in TRUTH_TABLES):
        rows.add_row(name, number(n, ",", lg), truth if name in TRUTH_TABLES else "")
    console.print(rows)
