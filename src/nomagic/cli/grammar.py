"""One grammar for the command line: ``nomagic VERB [USE CASE] [OPTIONS]``.

``nomagic evaluate clv``, ``nomagic score segments``, ``nomagic suggest copy``: a verb, then what it
acts on, as two words. The command modules register their commands under their old one-word names
(``evaluate-clv``); :func:`arrange` renames them to the two-word spelling, files each under a panel
of the top-level help (by use case) and keeps the old name as a hidden alias, so scripts keep working.
:class:`NomagicGroup` routes two words to one command. This module imports nothing from
``nomagic.cli`` (the app is built with its group class).
"""

from __future__ import annotations

import copy
from difflib import get_close_matches

from typer.core import TyperCommand, TyperGroup, TyperOption

DATA, SCORING, CLV, RECOMMEND, CAMPAIGNS, BUDGET, ADVERTISING, LANGUAGE, OPERATE = (
    "Data",
    "Customer scoring (churn, propensity)",
    "Lifetime value and segments",
    "Recommendations",
    "Campaigns",
    "Budget",
    "Advertising",
    "Language",
    "Operate",
)

#: (the spelling, the name a module registers, its panel, a one-line summary for the top-level help);
#: the order here is the order of the help.
COMMANDS: list[tuple[str, str, str, str]] = [
    ("load", "load", DATA, "Load a file or database table, contract-checked."),
    ("check", "check", DATA, "Is the data ready, and for what? And why."),
    ("simulate", "simulate", DATA, "Fill the warehouse with a simulated shop."),
    ("evaluate", "evaluate", SCORING, "Churn or propensity on your own table."),
    ("train", "train", SCORING, "Backtest, gate, explain, register (any use case)."),
    ("score", "score", SCORING, "Churn or propensity score per customer, reasons."),
    ("evaluate clv", "evaluate-clv", CLV, "Lifetime-value models on your transactions."),
    ("score clv", "score-clv", CLV, "Expected orders and CLV per customer."),
    ("score segments", "score-segments", CLV, "RFM segments and clusters with an action each."),
    ("evaluate recommend", "evaluate-recommend", RECOMMEND, "Recommenders on your interactions."),
    ("score recommend", "score-recommend", RECOMMEND, "Top-N products per customer."),
    ("evaluate uplift", "evaluate-uplift", CAMPAIGNS, "Uplift targeting on your own experiment."),
    ("score uplift", "score-uplift", CAMPAIGNS, "The effect of an e-mail per customer."),
    ("evaluate sendtime", "evaluate-sendtime", CAMPAIGNS, "Each customer's best send hour."),
    ("score sendtime", "score-sendtime", CAMPAIGNS, "Best hour and weekday per customer."),
    ("evaluate subject-lines", "evaluate-subject-lines", CAMPAIGNS, "Open rate of subject lines from their text."),
    ("suggest subject", "suggest-subject", CAMPAIGNS, "Rank subject lines by predicted open rate."),
    ("suggest copy", "suggest-copy", CAMPAIGNS, "Subject-line or ad candidates with guardrails."),
    ("evaluate policy", "evaluate-policy", CAMPAIGNS, "A new policy judged on logged decisions."),
    ("evaluate stopping", "bandit-stop", CAMPAIGNS, "Can this A/B/n test stop?"),
    ("evaluate budget", "evaluate-budget", BUDGET, "Marketing-mix model: ROI, curves, a split."),
    ("optimise budget", "optimise-budget", BUDGET, "Propose the budget split per period."),
    ("evaluate bidding", "evaluate-bidding", ADVERTISING, "Click model and bids under a budget, replayed."),
    ("evaluate sentiment", "evaluate-sentiment", LANGUAGE, "Sentiment of your labelled texts."),
    ("evaluate intent", "evaluate-intent", LANGUAGE, "Intents with out-of-scope rejection."),
    ("ask", "ask", LANGUAGE, "Answer from the FAQ, or hand over to a person."),
    ("monitor brand", "monitor-brand", LANGUAGE, "Brand mentions: volume, sentiment, alerts."),
    ("monitor models", "monitor-models", OPERATE, "Every champion per period: drift, estimates, alerts."),
    ("monitor backtest", "monitor-backtest", OPERATE, "Replay monitoring and retraining on history."),
    ("retrain", "retrain", OPERATE, "Challenger on recent data; promoted if it wins."),
    ("rollback", "rollback", OPERATE, "Restore the previous champion (history kept)."),
    ("demo", "demo", OPERATE, "Simulate, check, train, score, report: all of it."),
    ("report", "report", OPERATE, "One offline HTML report of every trained model."),
    ("models", "models", OPERATE, "The registry: every trained version."),
    ("serve", "serve", OPERATE, "The REST API and the web dashboard."),
]

#: more hidden spellings that people type (the use case's registry name has an underscore)
EXTRA_ALIASES = {"evaluate subject_lines": "evaluate subject-lines"}


def _no_type_on_flags(params) -> list:
    """A flag takes no value, so its help shows no type (Typer shows ``<bool>`` unless a metavar is set)."""
    for p in params:
        if isinstance(p, TyperOption) and p.is_flag and p.metavar is None:
            p.metavar = ""
    return params


class NomagicCommand(TyperCommand):
    """A Typer command whose flags show no ``<bool>`` in the help."""

    def get_params(self, ctx):
        return _no_type_on_flags(super().get_params(ctx))


class NomagicGroup(TyperGroup):
    """A group that takes ``VERB WHAT`` as one command when such a two-word command exists."""

    def get_params(self, ctx):
        return _no_type_on_flags(super().get_params(ctx))

    def resolve_command(self, ctx, args):
        if len(args) >= 2 and not args[1].startswith("-"):
            name = f"{args[0]} {args[1]}"
            cmd = self.get_command(ctx, name)
            if cmd is not None:
                return name, cmd, args[2:]
        try:
            return self._click_resolve_command(ctx, args)
        except Exception as exc:  # a usage error: suggest the verbs the help shows, not the hidden aliases
            if getattr(exc, "message", None) is None or not args:
                raise
            shown = sorted({n.split()[0] for n, c in self.commands.items() if not c.hidden})
            matches = get_close_matches(args[0], shown)
            if matches:
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {', '.join(map(repr, matches))}?"
            raise


def arrange(app) -> None:
    """Give the registered commands their spelling, panel and summary; keep old names as hidden aliases.

    Idempotent; a command missing here (an area not built) is skipped, one not listed keeps its place."""
    by_name = {info.name: info for info in app.registered_commands}
    if any(" " in (name or "") for name in by_name):
        return  # arranged already
    ordered, aliases = [], []
    for spelling, registered, panel, summary in COMMANDS:
        info = by_name.pop(registered, None)
        if info is None:
            continue
        info.name, info.rich_help_panel, info.short_help = spelling, panel, info.short_help or summary
        info.cls = _ours(info.cls)
        ordered.append(info)
        if registered != spelling:
            aliases.append(_alias(info, registered))
        aliases += [_alias(info, old) for old, new in EXTRA_ALIASES.items() if new == spelling]
    for info in by_name.values():  # registered but not in the table: shown, in the default panel
        info.cls = _ours(info.cls)
        ordered.append(info)
    app.registered_commands[:] = ordered + aliases
    for group in app.registered_groups:  # `keys create` ...: their flags too
        for info in group.typer_instance.registered_commands:
            info.cls = _ours(info.cls)


def _ours(cls):
    """Typer's default command class becomes ours (a module's own subclass stays)."""
    return NomagicCommand if cls in (None, TyperCommand) else cls


def _alias(info, name: str):
    alias = copy.copy(info)
    alias.name, alias.hidden = name, True
    return alias


def old_spelling(argv: list[str]) -> list[str]:
    """``["evaluate", "clv", ...]`` -> ``["evaluate-clv", ...]``: the one-word name of a two-word command
    (both run the same command; for callers that build argument lists the old way)."""
    old = {spelling: registered for spelling, registered, *_ in COMMANDS if " " in spelling}
    old.update({alias: old[new] for alias, new in EXTRA_ALIASES.items() if new in old})
    if len(argv) >= 2 and f"{argv[0]} {argv[1]}" in old:
        return [old[f"{argv[0]} {argv[1]}"], *argv[2:]]
    return argv
