"""``nomagic demo``: the main job, end to end, on a simulated business.

simulate -> readiness check -> train every available use case (backtest, gate, explain, register)
-> monitor and retrain churn after a change in the world -> score -> the reality-check table -> report.html. The work is :func:`nomagic.demo_steps.run`; this
module says each step on the console, in the chosen language.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import typer
from rich.text import Text as RichText

from nomagic import demo_steps
from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.ui import lang, progress_bar, show
from nomagic.demo_steps import DEFAULT_CUSTOMERS, DEFAULT_DAYS
from nomagic.words import pick, say


class ConsoleVoice(demo_steps.Voice):
    """The demo's steps on the CLI's console, in the chosen language."""

    def step(self, text) -> None:
        console.rule(RichText(text.lang(lang()), style="bold"))

    def line(self, text, style: str = "") -> None:
        show(text, style)

    @contextmanager
    def progress(self, what):
        with progress_bar(what) as update:
            yield update

    def status(self, what):
        return console.status(what.lang(lang()))

    def results(self, outcome: demo_steps.Outcome) -> None:
        from nomagic.cli.lifecycle import reality_table

        lg = lang()
        console.print(reality_table(outcome.records))
        for r in outcome.records:
            show(pick(r, "explanation", lg), label=r["use_case"] + ":", label_style="bold")
            if r.get("drivers"):
                drivers = "; ".join(pick(d, "summary", lg) for d in r["drivers"][:5])
                show(drivers, label=say("drivers:", "Treiber:").lang(lg), label_style="", indent=3)
        show(outcome.monitoring, label=say("brand monitoring:", "Markenbeobachtung:").lang(lg), label_style="bold")


def run_demo(
    *,
    customers: int = DEFAULT_CUSTOMERS,
    days: int = DEFAULT_DAYS,
    seed: int = 0,
    out: Path = Path("report.html"),
    warehouse: str | None = None,
    force: bool = False,
    use_cases: list[str] | None = None,
    drift: bool = True,
) -> list[dict]:
    """Run the demo, saying each step; returns the evaluation records (one per use case)."""
    outcome = demo_steps.run(
        customers=customers,
        days=days,
        seed=seed,
        out=out,
        warehouse=warehouse,
        force=force,
        use_cases=use_cases,
        drift=drift,
        voice=ConsoleVoice(),
        lang=lang(),
    )
    show(
        say(
            "report: {path}   ({s:.0f}s in all)",
            "Bericht: {path}   ({s:.0f} s insgesamt)",
            path=str(out.resolve()),
            s=outcome.seconds,
        )
    )
    where = f" -w {warehouse}" if warehouse else ""
    show(
        say(
            "dashboard: nomagic keys create --role analyst{w}  (prints a key), then nomagic serve{w} "
            "and open http://127.0.0.1:8000/dashboard",
            "Dashboard: nomagic keys create --role analyst{w}  (gibt einen Schlüssel aus), dann nomagic serve{w} "
            "und http://127.0.0.1:8000/dashboard öffnen",
            w=where,
        )
    )
    return outcome.records


@app.command("demo")
def demo_command(
    customers: int = typer.Option(DEFAULT_CUSTOMERS, "--customers", "-n", help="Size of the simulated business."),
    days: int = typer.Option(DEFAULT_DAYS, "--days", "-d", help="Days of simulated history."),
    seed: int = typer.Option(0, "--seed", "-s", help="Random seed of the simulated world."),
    out: Path = typer.Option(Path("report.html"), "--out", "-o", help="Where to write the HTML report."),
    use_case: list[str] = typer.Option(None, "--use-case", "-u", help="Only these use cases (repeatable)."),
    force: bool = typer.Option(False, "--force", help="Replace the tables even if the warehouse holds real data."),
    drift: bool = typer.Option(
        True,
        "--drift/--no-drift",
        help="A competitor enters late in the history; churn is monitored, retrained on alert.",
    ),
    warehouse: str = WarehouseOption,
) -> None:
    """The main job on a simulated business: simulate -> check -> train every use case -> score -> reality check -> report."""
    run_demo(
        customers=customers,
        days=days,
        seed=seed,
        out=out,
        warehouse=warehouse,
        force=force,
        use_cases=use_case,
        drift=drift,
    )
