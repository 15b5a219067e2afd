"""The ``nomagic`` command line: ``nomagic VERB [USE CASE] [OPTIONS]`` (see :mod:`nomagic.cli.grammar`).

Each area keeps its commands in its own module here and registers them on :data:`app`; the top-level
help files them under panels by use case. A :class:`~nomagic.errors.NomagicError` is printed without a
traceback, in the chosen language (``--lang de`` or ``NOMAGIC_LANG=de``), and exits with status 2.
"""

from __future__ import annotations

import os
import sys
from typing import Literal

import typer
from rich.console import Console
from rich.text import Text as RichText

from nomagic import __version__
from nomagic.cli.grammar import NomagicGroup, arrange, old_spelling
from nomagic.errors import NomagicError
from nomagic.words import chosen_lang, say

app = typer.Typer(
    name="nomagic",
    cls=NomagicGroup,
    help=(
        "Marketing AI without the magic: load, check, model and prove it against a naive baseline.\n\n"
        "Commands read `nomagic VERB [USE CASE]`, e.g. `nomagic evaluate clv --help`. "
        "German output: `nomagic --lang de ...` (or `NOMAGIC_LANG=de`)."
    ),
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
    lang: Literal["en", "de"] = typer.Option(
        None, "--lang", case_sensitive=False, help="Language of the output (default: $NOMAGIC_LANG, else en)."
    ),
) -> None:
    """Marketing AI without the magic."""
    if lang:  # every command reads the language from the environment (words.chosen_lang)
        os.environ["NOMAGIC_LANG"] = lang.lower()


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
        "bid",
        "language",
        "monitor",
        "monitor_models",
        "monitor_live",
        "retrain",
        "audit",
        "privacy",
        "serve",
        "demo",
    ):
        try:
            __import__(f"nomagic.cli.{module}")
        except ModuleNotFoundError as exc:  # an area not built yet
            if exc.name != f"nomagic.cli.{module}":
                raise


_register()
arrange(app)


def _resolve_aliases(argv: list[str]) -> list[str]:
    """The old one-word spelling of a two-word command line (both run the same command)."""
    return old_spelling(argv)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning nomagic errors into a message and exit status 2.

    ``--lang`` holds for this call only: the language it set is put back afterwards (tests call
    ``main`` many times in one process)."""
    before = os.environ.get("NOMAGIC_LANG")
    try:
        _main(list(sys.argv[1:] if argv is None else argv))
    finally:
        if before is None:
            os.environ.pop("NOMAGIC_LANG", None)
        else:
            os.environ["NOMAGIC_LANG"] = before


def _main(argv: list[str]) -> None:
    try:
        # without standalone mode, typer.Exit(n) comes back as n; the name is ours, not python -m or pytest
        rc = app(args=argv, prog_name="nomagic", standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except NomagicError as exc:
        lang = chosen_lang()
        label = say("error:", "Fehler:").lang(lang)
        err_console.print(RichText.assemble((label, "bold red"), " ", exc.lang(lang)), highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print(
            say("interrupted; nothing was changed", "abgebrochen; nichts wurde geändert").lang(chosen_lang())
        )
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
