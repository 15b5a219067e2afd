"""Small pieces the command modules share: verdict colours, a progress bar, an interval as text."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from nomagic.cli import console, err_console

VERDICT_STYLE = {"promoted": "bold green", "not better than baseline": "bold yellow", "not ready": "bold red"}


def show_verdict(record: dict) -> bool:
    """Print the record's verdict in its colour; when the data was not ready, also why, and return False."""
    verdict = record["verdict"]
    console.print(f"[{VERDICT_STYLE[verdict]}]{verdict}[/]")
    if verdict == "not ready":
        console.print(record["explanation"], highlight=False)
        return False
    return True


class LogProgress:
    """What a progress bar becomes when the output is a log, not a terminal (Rich draws nothing there
    until the end): a plain line on stderr when a task starts and then at most every ``every`` seconds."""

    def __init__(self, every: float = 5.0):
        self.every = every
        self.tasks: dict[int, dict] = {}

    def __enter__(self) -> LogProgress:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def add_task(self, description: str, total: float | None = 100, **_) -> int:
        task = len(self.tasks)
        self.tasks[task] = {"description": description, "total": total or 1.0, "completed": 0.0, "said": None}
        self._say(task)
        return task

    def update(self, task: int, *, completed=None, advance=None, description=None, total=None, **_) -> None:
        t = self.tasks[task]
        if total:
            t["total"] = total
        if completed is not None:
            t["completed"] = completed
        if advance:
            t["completed"] += advance
        if description:
            t["description"] = description
        self._say(task)

    def advance(self, task: int, advance: float = 1) -> None:
        self.update(task, advance=advance)

    def _say(self, task: int) -> None:
        t = self.tasks[task]
        now = time.monotonic()
        if t["said"] is not None and now - t["said"] < self.every:
            return
        t["said"] = now
        share = max(0.0, min(1.0, t["completed"] / t["total"]))
        # on stderr: stdout may carry data (`ask --json`), and a log collects both
        err_console.print(f"{t['description']}: {share:.0%}", highlight=False, markup=False)


def progress() -> Progress | LogProgress:
    """A transient Rich progress bar on the CLI's console; in a log, a line every few seconds."""
    if not console.is_terminal:
        return LogProgress()
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@contextmanager
def progress_bar(what: str = "working") -> Iterator:
    """One task on :func:`progress`; yields ``update(fraction, message)``."""
    with progress() as bar:
        task = bar.add_task(what, total=100)

        def update(fraction: float, message: str = "") -> None:
            bar.update(task, completed=max(0.0, min(1.0, fraction)) * 100, description=message or what)

        yield update


def format_ci(m: dict, pct: bool = False) -> str:
    """``{"value": v, "ci": [lo, hi]}`` as ``v [lo, hi]``: 3 decimals, or signed percentages."""
    fmt = "{:+.1%}" if pct else "{:.3f}"
    v = "n/a" if m["value"] is None else fmt.format(m["value"])
    lo, hi = m["ci"]
    return v if lo is None else f"{v} [{fmt.format(lo)}, {fmt.format(hi)}]"


def metrics_table(record: dict, *, model: str, baseline: str, title: str | None = None, names=None, metric="metric"):
    """One row per metric: model, baseline and improvement, each ``value [95% CI]``."""
    from rich.table import Table

    m = record["metrics"]
    t = Table(title=title, header_style="bold") if title else Table(box=None)
    t.add_column(metric)
    for col in (model, baseline, "improvement"):
        t.add_column(col, justify="right")
    for name in names or m["model"]:
        if name in m["model"]:
            t.add_row(name, *(format_ci(m[part][name]) for part in ("model", "baseline", "improvement")))
    return t
