"""The ``nomagic`` command line.

Each area keeps its commands in its own module here and registers them on :data:`app`.
A :class:`~nomagic.errors.NomagicError` is printed without a traceback and exits with status 2.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from nomagic import __version__
from nomagic.errors import NomagicError

app = typer.Typer(
    name="nomagic",
    help="Marketing AI without the magic: load, check, model and prove it against a naive baseline.",
    no_args_is_help=True,
    # Markdown, not Rich markup: `pip install 'nomagic[serve]'` keeps its [serve], `code` shows as code
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

WarehouseOption = typer.Option(
    None, "--warehouse", "-w", help="Warehouse URL or DuckDB path (default: $NOMAGIC_WAREHOUSE or ./nomagic.duckdb)."
)


def _version(value: bool) -> None:
    if value:
        console.print(f"nomagic {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Marketing AI without the magic."""


def _register() -> None:
    """Import the command modules; each registers its commands on ``app``."""
    for module in (
        "load",
        "check",
        "simulate",
        "lifecycle",
        "clv",
        "recommend",
        "uplift",
        "bandits",
        "sendtime",
        "copy",
        "budget",
        "language",
        "monitor",
        "serve",
        "demo",
    ):
        try:
            __import__(f"nomagic.cli.{module}")
        except ModuleNotFoundError as exc:  # an area not built yet
            if exc.name != f"nomagic.cli.{module}":
                raise


_register()


#: ``nomagic evaluate clv ...`` runs ``nomagic evaluate-clv ...``: use cases whose evaluation takes
#: other options than the yes/no ones (churn, propensity) keep their own command under the common verb.
ALIASES = {
    ("evaluate", "clv"): "evaluate-clv",
    ("evaluate", "recommend"): "evaluate-recommend",
    ("score", "clv"): "score-clv",
    ("score", "segments"): "score-segments",
    ("score", "recommend"): "score-recommend",
    ("evaluate", "uplift"): "evaluate-uplift",
    ("score", "uplift"): "score-uplift",
    ("evaluate", "policy"): "evaluate-policy",
    ("evaluate", "budget"): "evaluate-budget",
    ("evaluate", "sentiment"): "evaluate-sentiment",
    ("evaluate", "intent"): "evaluate-intent",
    ("monitor", "brand"): "monitor-brand",
    ("optimise", "budget"): "optimise-budget",
    ("evaluate", "sendtime"): "evaluate-sendtime",
    ("score", "sendtime"): "score-sendtime",
    ("evaluate", "subject-lines"): "evaluate-subject-lines",
    ("evaluate", "subject_lines"): "evaluate-subject-lines",
}


def _resolve_aliases(argv: list[str]) -> list[str]:
    if len(argv) >= 2 and (argv[0], argv[1]) in ALIASES:
        return [ALIASES[argv[0], argv[1]], *argv[2:]]
    return argv


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning nomagic errors into a message and exit status 2."""
    argv = _resolve_aliases(list(sys.argv[1:] if argv is None else argv))
    try:
        rc = app(args=argv, standalone_mode=False)  # without standalone mode, typer.Exit(n) comes back as n
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except NomagicError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted; nothing was changed")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # usage errors of the CLI framework: shown as it shows them
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        raise
