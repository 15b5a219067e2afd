"""Small pieces the command modules share: the chosen language, sentences and verdicts on the console,
a progress bar (a line every few seconds in a log), an interval as text, the metrics table.

Every sentence is a :class:`nomagic.words.Text` (English and German); these helpers print it in the
language of the command line (``--lang de`` / ``NOMAGIC_LANG=de``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text as RichText

from nomagic.cli import console, err_console
from nomagic.words import chosen_lang, in_lang, pick, say, verdict

VERDICT_STYLE = {"promoted": "bold green", "not better than baseline": "bold yellow", "not ready": "bold red"}


def lang() -> str:
    """The language of this command line: ``"en"`` or ``"de"``."""
    return chosen_lang()


def cell(x, spec: str, lg: str) -> str:
    """A table cell: the number in the language's format, or a dash where there is none."""
    from nomagic.words import number

    return "–" if x is None else number(x, spec, lg)


def word(en: str, de: str) -> str:
    """A word or header in the chosen language (a table header, a label)."""
    return say(en, de).lang(chosen_lang())


def show(text, style: str = "", *, label=None, label_style: str = "yellow", indent: int = 0, file=None) -> None:
    """Print a sentence (a Text or a plain str) in the chosen language, after an optional coloured label.

    No Rich markup is read from the sentence: values in it may hold brackets (``[0.40, 0.47]``, ``nomagic[serve]``)."""
    lg = chosen_lang()
    parts = [" " * indent] if indent else []
    if label:
        parts += [(in_lang(label, lg), label_style), " "]
    parts.append((in_lang(text, lg), style))
    (file or console).print(RichText.assemble(*parts), highlight=False)


def verdict_text(code: str) -> RichText:
    """The verdict in the chosen language and its colour (the code stays English in records)."""
    return RichText(verdict(code, chosen_lang()), style=VERDICT_STYLE.get(code, ""))


def show_verdict(record: dict) -> bool:
    """Print the record's verdict in its colour; when the data was not ready, also why, and return False."""
    console.print(verdict_text(record["verdict"]))
    if record["verdict"] == "not ready":
        show(pick(record, "explanation", chosen_lang()))
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

    def add_task(self, description, total: float | None = 100, **_) -> int:
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
        line = say("{what}: {share:.0%}", "{what}: {share:.0%}", what=t["description"], share=share)
        # on stderr: stdout may carry data (`ask --json`), and a log collects both
        err_console.print(line.lang(chosen_lang()), highlight=False, markup=False)


class _Progress(Progress):
    """A Rich progress bar that writes Text descriptions in the chosen language."""

    def add_task(self, description, *args, **kw):
        return super().add_task(in_lang(description, chosen_lang()), *args, **kw)

    def update(self, task_id, *, description=None, **kw) -> None:
        text = None if description is None else in_lang(description, chosen_lang())
        super().update(task_id, description=text, **kw)


def progress() -> Progress | LogProgress:
    """A transient Rich progress bar on the CLI's console; in a log, a line every few seconds."""
    if not console.is_terminal:
        return LogProgress()
    return _Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@contextmanager
def progress_bar(what="working") -> Iterator:
    """One task on :func:`progress`; yields ``update(fraction, message)`` (``what``, ``message``: Text or str)."""
    with progress() as bar:
        task = bar.add_task(what, total=100)

        def update(fraction: float, message="") -> None:
            bar.update(task, completed=max(0.0, min(1.0, fraction)) * 100, description=message or what)

        yield update


def format_ci(m: dict, pct: bool = False):
    """``{"value": v, "ci": [lo, hi]}`` as ``v [lo, hi]`` (German ``v [lo; hi]``, decimal commas):
    3 decimals, or signed percentages. A Text: ``str()`` is the English."""
    spec = "+.1%" if pct else ".3f"
    v = say("n/a", "k. A.") if m["value"] is None else say(f"{{v:{spec}}}", f"{{v:{spec}}}", v=m["value"])
    lo, hi = m["ci"]
    if lo is None:
        return v
    return say(f"{{v}} [{{lo:{spec}}}, {{hi:{spec}}}]", f"{{v}} [{{lo:{spec}}}; {{hi:{spec}}}]", v=v, lo=lo, hi=hi)


def metrics_table(record: dict, *, model: str, baseline: str, title=None, names=None, metric=None):
    """One row per metric: model, baseline and improvement, each ``value [95% CI]``, in the chosen language."""
    from rich.table import Table

    lg = chosen_lang()
    m = record["metrics"]
    t = Table(title=in_lang(title, lg), header_style="bold") if title else Table(box=None)
    t.add_column(in_lang(metric, lg) if metric else word("metric", "Metrik"))
    for col in (model, baseline, say("improvement", "Verbesserung")):
        t.add_column(in_lang(col, lg), justify="right")
    for name in names or m["model"]:
        if name in m["model"]:
            t.add_row(name, *(format_ci(m[part][name]).lang(lg) for part in ("model", "baseline", "improvement")))
    return t
