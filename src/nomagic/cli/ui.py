"""Small pieces the command modules share: verdict colours, a progress bar, an interval as text."""

from __future__ import annotations

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from nomagic.cli import console

VERDICT_STYLE = {"promoted": "bold green", "not better than baseline": "bold yellow", "not ready": "bold red"}


def progress() -> Progress:
    """A transient Rich progress bar on the CLI's console."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def format_ci(m: dict, pct: bool = False) -> str:
    """``{"value": v, "ci": [lo, hi]}`` as ``v [lo, hi]``: 3 decimals, or signed percentages."""
    fmt = "{:+.1%}" if pct else "{:.3f}"
    v = "n/a" if m["value"] is None else fmt.format(m["value"])
    lo, hi = m["ci"]
    return v if lo is None else f"{v} [{fmt.format(lo)}, {fmt.format(hi)}]"
