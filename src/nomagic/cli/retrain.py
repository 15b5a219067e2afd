"""Champion / challenger on the command line: ``retrain`` and ``rollback``.

::

    nomagic retrain churn                 # challenger on the latest data, judged against the champion
    nomagic retrain churn --shadow        # ... changing nothing served; scores into scores_churn_shadow
    nomagic retrain churn --if-due        # only when .nomagic/config.toml's retrain policy asks for it
    nomagic rollback churn [--to v0002]   # the previous champion (or VERSION) serves again

Exit 0 when the command ran (whatever it decided), 2 on bad input (unknown use case, no champion,
no recent labelled window).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.grammar import NomagicCommand
from nomagic.cli.ui import lang, progress_bar, show, word
from nomagic.errors import InputError
from nomagic.privacy import audit
from nomagic.words import Text, in_lang, number, say

#: the decision codes as people read them (the codes stay English in records)
ACTION_WORDS = {
    "keep champion": ("keep the champion", "Champion behalten"),
    "promote challenger": ("promote the challenger", "Herausforderer übernehmen"),
    "fall back to baseline": ("fall back to the baseline", "auf die Baseline zurückfallen"),
}


def _binary_use_case(name: str):
    from nomagic.cli.lifecycle import use_case_class
    from nomagic.lifecycle.usecase import UseCase

    cls = use_case_class(name)
    if not (isinstance(cls, type) and issubclass(cls, UseCase)):
        raise InputError(
            say(
                "`nomagic retrain` judges the yes/no use cases (churn, propensity); {uc!r} is retrained with "
                "`nomagic train {uc}`",
                "`nomagic retrain` beurteilt die Ja/Nein-Anwendungsfälle (churn, propensity); {uc!r} wird mit "
                "`nomagic train {uc}` neu trainiert",
                uc=name,
            )
        )
    return cls


def _cell(m: dict, metric: str, lg: str, signed: bool = False, ci: bool = True) -> str:
    from nomagic.lifecycle.card import fmt

    d = m[metric]
    if d["value"] is None:
        return "-"
    value = number(d["value"], "+.3f", lg) if signed else fmt(d["value"], metric, lg)
    lo, hi = d["ci"]
    if lo is None or not ci:
        return value
    sep = "; " if lg == "de" else ", "
    ci = (
        f"{number(lo, '+.3f', lg)}{sep}{number(hi, '+.3f', lg)}"
        if signed
        else f"{fmt(lo, metric, lg)}{sep}{fmt(hi, metric, lg)}"
    )
    return f"{value} [{ci}]"


def _evidence_table(ev: dict) -> Table:
    from nomagic.lifecycle.gate import metric_name

    lg = lang()
    m = ev["primary_metric"]
    wide = console.width >= 110  # at 80 columns (a log) the values' own intervals are left out, the differences' kept
    t = Table(box=None, padding=(0, 2, 0, 0), pad_edge=False, title_justify="left")
    t.title = f"{metric_name(m, lg)} · " + word("95% CI in brackets", "95-%-KI in Klammern")
    for col in (
        word("who", "wer"),
        word("value", "Wert"),
        word("vs champion", "gg. Champion"),
        word("vs baseline", "gg. Baseline"),
    ):
        t.add_column(col, no_wrap=True)
    t.add_row(
        word("champion", "Champion") + f" {ev['champion']['version']}",
        _cell(ev["metrics"]["champion"], m, lg, ci=wide),
        "",
        _cell(ev["champion_vs_baseline"], m, lg, True),
    )
    t.add_row(
        word("challenger", "Herausforderer"),
        _cell(ev["metrics"]["challenger"], m, lg, ci=wide),
        _cell(ev["challenger_vs_champion"], m, lg, True),
        _cell(ev["challenger_vs_baseline"], m, lg, True),
    )
    t.add_row(word("baseline", "Baseline"), _cell(ev["metrics"]["baseline"], m, lg, ci=wide), "", "")
    return t


@app.command("retrain", cls=NomagicCommand)
def retrain_command(
    use_case: str = typer.Argument(..., metavar="USE_CASE", help="churn or propensity."),
    shadow: bool = typer.Option(
        False, "--shadow", help="Change nothing served: register the challenger, score it into scores_<uc>_shadow."
    ),
    if_due: bool = typer.Option(
        False, "--if-due", help="Only when the retrain policy in .nomagic/config.toml asks for it (alert, schedule)."
    ),
    n_boot: int = typer.Option(None, "--bootstrap", help="Bootstrap resamples (default: the champion's)."),
    json_out: Path = typer.Option(None, "--json", help="Also write the challenger's evaluation record (JSON) here."),
    warehouse: str = WarehouseOption,
) -> None:
    """Train a challenger on the latest data; judge it against the champion on the same recent window.

    The window: the latest cutoffs whose outcomes have arrived and that the champion never learnt from.
    Paired bootstrap 95% intervals of the difference in the primary metric decide: the challenger is
    promoted only when it surely wins; the champion stays otherwise; when neither beats the naive baseline,
    the baseline serves. `nomagic rollback USE_CASE` undoes a promotion."""
    from nomagic.lifecycle import record as rec
    from nomagic.lifecycle import retrain as rt
    from nomagic.lifecycle.registry import Registry
    from nomagic.warehouse import connect

    cls = _binary_use_case(use_case)
    lg = lang()
    with connect(warehouse) as wh:
        registry = Registry.for_warehouse(wh.url)
        champ = rt.champion_of(registry, cls.name)
        if if_due:
            policy = rt.load_policy(rt.config_path(registry), cls.name)
            due, why = rt.is_due(policy, wh, registry, cls.name)
            show(why, label=word("policy:", "Richtlinie:") + " " + in_lang(policy.describe(), lg))
            if not due:
                show(say("{uc}: not due; nothing retrained", "{uc}: nicht fällig; nichts neu trainiert", uc=cls.name))
                return
        uc = rt.use_case_like(cls, champ, n_boot=n_boot)
        with progress_bar(say("retraining {uc}", "{uc} wird neu trainiert", uc=cls.name)) as update:
            out = rt.retrain(uc, wh, registry, shadow=shadow, progress=update, source=wh.url)
        shadow_where = None
        if shadow:
            with console.status(word("shadow scoring ...", "Schattenbewertung ...")):
                scores = rt.shadow_scores(uc, wh, registry, out.champion, out.challenger)
                shadow_where = rt.write_shadow(wh, scores, cls.name)
        # the governance log: what was decided and which version serves now
        audit.record(
            wh,
            "model.retrain",
            target=f"{cls.name} {out.challenger.version}",
            details={
                "use_case": cls.name,
                "decision": out.action,
                "applied": out.applied,
                "shadow": shadow,
                "champion_before": out.champion.version,
                "challenger": out.challenger.version,
                "challenger_status": out.challenger.status,
                "serving": out.serving.version,
            },
        )
    ev = out.evidence
    console.print(_evidence_table(ev))
    show(out.explanation, "bold")
    action = in_lang(Text(*ACTION_WORDS[out.action]), lg)
    if out.applied:
        show(
            say(
                "{uc}: {action}; {new} is the champion now ({old} retired, `nomagic rollback {uc}` restores it). "
                "Run `nomagic score {uc}` to rescore.",
                "{uc}: {action}; {new} ist jetzt der Champion ({old} abgelöst, `nomagic rollback {uc}` stellt ihn "
                "wieder her). `nomagic score {uc}` ausführen, um neu zu bewerten.",
                uc=cls.name,
                action=action,
                new=out.serving.version,
                old=out.champion.version,
            ),
            label=word("decision:", "Entscheidung:"),
            label_style="cyan",
        )
    else:
        kept = say(
            "the champion {old} keeps serving, {new} is registered as a challenger",
            "der Champion {old} bewertet weiter, {new} ist als Challenger registriert",
            old=out.champion.version,
            new=out.challenger.version,
        )
        show(
            say(
                "{uc}: the evidence says: {action}. Shadow run: {kept}.",
                "{uc}: die Auswertung sagt: {action}. Schattenlauf: {kept}.",
                uc=cls.name,
                action=action,
                kept=kept,
            )
            if shadow
            else say("{uc}: {action}; {kept}", "{uc}: {action}; {kept}", uc=cls.name, action=action, kept=kept),
            label=word("decision:", "Entscheidung:"),
            label_style="cyan",
        )
    if shadow_where:
        show(
            say(
                "champion and challenger scores side by side: warehouse table {t}",
                "Scores von Champion und Herausforderer nebeneinander: Warehouse-Tabelle {t}",
                t=shadow_where,
            )
        )
    if json_out:
        rec.write(out.challenger.record(), json_out)
        show(say("evaluation record: {path}", "Evaluationsprotokoll: {path}", path=json_out))


@app.command("rollback", cls=NomagicCommand)
def rollback_command(
    use_case: str = typer.Argument(..., metavar="USE_CASE", help="churn, propensity, or any registered use case."),
    to: str = typer.Option(None, "--to", help="The version to restore (default: the previous champion)."),
    warehouse: str = WarehouseOption,
) -> None:
    """Restore the previous champion (or --to VERSION); the replaced one is retired, the history kept."""
    from nomagic.cli.lifecycle import use_case_class
    from nomagic.lifecycle.registry import Registry
    from nomagic.warehouse.connection import resolve_url

    name = use_case_class(use_case).name
    registry = Registry.for_warehouse(resolve_url(warehouse))
    if not registry.versions(name):
        raise InputError(
            say(
                "{uc} has no trained version in {root}; nothing to roll back",
                "{uc} hat keine trainierte Version in {root}; nichts zurückzusetzen",
                uc=name,
                root=str(registry.root),
            )
        )
    old, new = registry.rollback(name, to, why=f"nomagic rollback {name}" + (f" --to {to}" if to else ""))
    audit.record_to(
        warehouse,
        "model.rollback",
        target=f"{name} {new.version}",
        details={"use_case": name, "restored": new.version, "retired": old.version if old else None, "to": to},
    )
    show(
        say(
            "{uc}: {new} is the champion again (scores with the {scorer}){was}. Run `nomagic score {uc}` to rescore.",
            "{uc}: {new} ist wieder der Champion (bewertet mit {scorer}){was}. `nomagic score {uc}` ausführen, um "
            "neu zu bewerten.",
            uc=name,
            new=new.version,
            scorer=say("model", "dem Modell") if new.scorer == "model" else say("baseline", "der Baseline"),
            was=say("; {v} is retired", "; {v} ist abgelöst", v=old.version) if old is not None else "",
        )
    )
