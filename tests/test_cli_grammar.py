"""One grammar: every `nomagic ...` line in README.md and docs/*.md runs, in the spelling the help shows;
the help is grouped by use case and its markup survives (``[serve]``, no ``<bool>`` on flags)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.main import get_command

from nomagic.cli import app, main
from nomagic.cli.grammar import COMMANDS, old_spelling

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
OPERATORS = {"&&", "||", "|", ";"}


def _code_lines(text: str) -> list[str]:
    """Lines of fenced code blocks (continuations joined) and inline code spans."""
    lines, fenced, buf = [], False, ""
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            buf += line.rstrip()
            if buf.endswith("\\"):
                buf = buf[:-1] + " "
                continue
            lines.append(buf)
            buf = ""
        else:
            lines += re.findall(r"`(nomagic [^`]+)`", line)
    return lines


def _command_lines(text: str) -> list[list[str]]:
    """Each `nomagic ...` command in ``text`` as tokens after `nomagic` (shell operators split them)."""
    found = []
    for line in _code_lines(text):
        line = re.sub(r"^\s*\$\s+", "", line)
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:  # an unbalanced quote in prose-like code: not a command line
            continue
        command, at_start = None, True  # a command starts a line or follows an operator
        for tok in [*tokens, "&&"]:
            if tok in OPERATORS:
                if command is not None:
                    found.append(command)
                command, at_start = None, True
            elif command is not None:
                command.append(tok)
            elif at_start and tok == "nomagic":
                command = []
            elif not re.match(r"^[A-Z_]+=", tok):  # NOMAGIC_LANG=de nomagic ...: still the start
                at_start = False
    return found


def _documented() -> dict[tuple[str, ...], str]:
    """Every documented command line: its words up to the first option -> where it is written."""
    out = {}
    for doc in DOCS:
        for tokens in _command_lines(doc.read_text(encoding="utf-8")):
            while tokens[:1] == ["--lang"]:  # the global option before the command
                tokens = tokens[2:]
            words = []
            for tok in tokens:
                if tok.startswith(("-", "[", "<", ".")) or tok in ("...", "…") or tok.isupper():  # options, FILE
                    break
                words.append(tok)
            if words:
                out.setdefault(tuple(words), doc.name)
    return out


def _resolve(words: tuple[str, ...]):
    """(the leaf command, its path, the positional words left for its arguments); fails as the CLI would."""
    cmd = get_command(app)
    ctx = cmd.make_context("nomagic", [], resilient_parsing=True)
    path, rest = ["nomagic"], list(words)
    while hasattr(cmd, "resolve_command") and rest:
        ctx.resilient_parsing = False  # an unknown command fails here as it does for a user
        name, sub, rest = cmd.resolve_command(ctx, rest)
        path.append(name)
        ctx = sub.make_context(name, [], parent=ctx, resilient_parsing=True)
        cmd = sub
    return cmd, path, rest


def test_the_extractor_finds_the_documented_commands():
    found = _documented()
    assert len(found) > 40
    assert ("evaluate", "clv") in found and ("train", "churn") in found and ("keys", "create") in found
    assert ("score",) in found or ("score", "churn") in found


@pytest.mark.parametrize("words", sorted(_documented()), ids=" ".join)
def test_every_documented_command_resolves_in_the_shown_spelling(words, capsys):
    cmd, path, rest = _resolve(words)
    where = _documented()[words]
    assert not cmd.hidden, f"{where}: `nomagic {' '.join(words)}` uses the old spelling of `{' '.join(path)}`"
    arguments = [p for p in cmd.params if p.param_type_name == "argument"]
    assert len(rest) <= len(arguments), f"{where}: `nomagic {' '.join(words)}`: {rest} is no command"
    for param, value in zip(arguments, rest, strict=False):
        if param.name == "use_case" and not value.isupper():  # USE_CASE-like placeholders pass
            from nomagic.usecases import REGISTRY

            assert value.replace("-", "_") in REGISTRY, f"{where}: unknown use case {value!r}"
    assert _run([*path[1:], *rest, "--help"]) == 0, capsys.readouterr()


def _run(args: list[str]) -> int:
    """The exit status of `nomagic ARGS` (main returns normally on success)."""
    try:
        main(args)
    except SystemExit as exc:
        return exc.code or 0
    return 0


def _help(args: list[str], capsys, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", "200")  # one line per option: nothing wraps inside a word
    assert _run([*args, "--help"]) == 0
    return capsys.readouterr().out


def test_the_top_level_help_groups_commands_by_use_case(capsys, monkeypatch):
    text = _help([], capsys, monkeypatch)
    for panel in ("Data", "Customer scoring", "Lifetime value", "Recommendations", "Campaigns", "Budget"):
        assert f"─ {panel}" in text
    assert "evaluate clv" in text and "optimise budget" in text and "monitor brand" in text
    assert "evaluate-clv" not in text and "bandit-stop" not in text  # the old spellings are hidden aliases
    assert "--lang" in text and "[en|de]" in text.replace("<en|de>", "[en|de]")
    # panels in the order of the table, each command once
    shown = [spelling for spelling, *_ in COMMANDS if re.search(rf"│ {re.escape(spelling)}  ", text)]
    assert shown == [spelling for spelling, *_ in COMMANDS]
    monkeypatch.setenv("COLUMNS", "80")  # a terminal of 80 columns: one line per command
    assert _run(["--help"]) == 0
    panels = capsys.readouterr().out.split("─ Data")[1]
    assert not re.search(r"^│ {10,}\S", panels, re.M), panels


def test_old_spellings_still_run_the_same_command(capsys, monkeypatch):
    new = _help(["evaluate", "clv"], capsys, monkeypatch)
    old = _help(["evaluate-clv"], capsys, monkeypatch)
    assert "--calibration-end" in new and "--calibration-end" in old
    assert "Usage: nomagic evaluate clv" in new
    assert old_spelling(["score", "segments", "-w", "x"]) == ["score-segments", "-w", "x"]
    assert old_spelling(["evaluate", "churn"]) == ["evaluate", "churn"]
    # `evaluate churn` stays the generic command with its argument
    cmd, path, rest = _resolve(("evaluate", "churn"))
    assert path == ["nomagic", "evaluate"] and rest == ["churn"]


def test_help_markup_keeps_brackets_and_shows_no_bool_on_flags(capsys, monkeypatch):
    serve = _help(["serve"], capsys, monkeypatch)
    assert "pip install 'nomagic[serve]'" in serve
    assert "--secure-cookies" in serve and "<bool>" not in serve
    group = get_command(app)
    ctx = group.make_context("nomagic", [], resilient_parsing=True)
    for name in group.list_commands(ctx):
        sub = group.get_command(ctx, name)
        if sub.hidden:
            continue
        text = _help(name.split(), capsys, monkeypatch)
        assert "<bool>" not in text, name
        assert "Usage: nomagic " + name in text
    assert "<bool>" not in _help(["keys", "create"], capsys, monkeypatch)
    assert "<bool>" not in _help([], capsys, monkeypatch)


def test_flags_still_work_without_their_type_in_the_help(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _run(["check", "--strict", "-w", str(tmp_path / "none.duckdb")]) == 2
    assert "no warehouse" in capsys.readouterr().err
