"""The CLI's tables stay readable in a log: one line per row at 80 columns, nothing cut."""

from __future__ import annotations

import io

from rich.console import Console

import nomagic.cli
from nomagic.cli.lifecycle import reality_table
from nomagic.lifecycle.metrics import METRICS


def _record(use_case: str, metric: str, verdict: str, lo: float) -> dict:
    m = {"value": 0.437, "ci": [0.401, 0.474]}
    return {
        "use_case": use_case,
        "primary_metric": metric,
        "verdict": verdict,
        "metrics": {
            "model": {metric: m},
            "baseline": {metric: {"value": 0.428, "ci": [0.4, 0.45]}},
            "improvement": {metric: {"value": -0.002, "ci": [lo, -0.0001]}},
        },
    }


def test_the_reality_check_keeps_one_line_per_use_case_in_a_pipe(monkeypatch):
    out = io.StringIO()
    narrow = Console(file=out, width=80, force_terminal=False, color_system=None)
    monkeypatch.setattr(nomagic.cli.lifecycle, "console", narrow)
    # the longest names there are: every metric, the longest use case, the longest verdict, negative intervals
    records = [
        _record(f"uc_{i:02d}_subject_lines"[:13], name, "not better than baseline", -0.101)
        for i, name in enumerate(METRICS)
    ]
    narrow.print(reality_table(records))
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    for r in records:
        (line,) = [x for x in lines if x.startswith(r["use_case"])]  # exactly one line per use case
        assert "not better" in line and "-0.002 [" in line and "…" not in line
    assert any("not better than the baseline" in x for x in lines)  # the short word is explained


def test_progress_in_a_log_is_a_line_every_few_seconds(monkeypatch, capsys):
    from nomagic.cli import ui

    clock = iter([0.0, 1.0, 2.0, 6.5, 7.0, 13.0])
    monkeypatch.setattr(ui.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(ui, "err_console", Console(file=io.StringIO(), width=80))
    bar = ui.LogProgress(every=5.0)
    task = bar.add_task("scoring", total=100)  # t=0: said
    for done in (10, 20, 60, 70, 100):  # at t = 1, 2, 6.5, 7 and 13 s
        bar.update(task, completed=done)
    said = ui.err_console.file.getvalue().splitlines()
    assert said == ["scoring: 0%", "scoring: 60%", "scoring: 100%"]
    assert capsys.readouterr().out == ""  # stdout stays free for data
    assert isinstance(ui.progress(), ui.LogProgress)  # tests run without a terminal
