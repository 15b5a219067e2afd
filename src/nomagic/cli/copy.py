"""Copy command: subject-line and ad candidates, checked by guardrails, scored where a model earned it.

::

    nomagic suggest-copy --product TEXT [--offer TEXT] [--audience TEXT] [--brand NAME] [--brief TEXT]
                         [--kind subject|ad] [--language de|en] [--tone friendly|formal|urgent|playful]
                         [--personalise TOKEN] [--n 10] [--seed 0]
                         [--generator templates|openai] [--url URL] [--model NAME] [--key-env VAR]
                         [--timeout 60] [--fallback] [--candidate "your own line" ...]
                         [--history FILE [--subject COL] [--opened COL] [--time COL] | --subject-model PATH|champion]
                         [--banned TEXT ...] [--no-default-banned] [--require TERM ...] [--no-spam-check]
                         [--max-length 60] [--max-headline 30] [--max-description 90]
                         [--to-bandit NAME [--arms 5] [--replace] [--bandit-folder DIR]] [--json FILE]

Exit 0 when at least one candidate passed the guardrails, 1 when none did, 2 on bad input or a failing
endpoint (without ``--fallback``).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.ui import lang, progress_bar, show, word
from nomagic.errors import InputError, writable
from nomagic.words import in_lang, number, pick, say


def _generator(name: str, url, model, key_env, timeout, fallback, seed, lines):
    from nomagic.usecases.copy import FallbackGenerator, GivenCandidates, OpenAICompatibleGenerator, TemplateGenerator

    if lines:
        if name != "templates" or url or model:
            raise InputError(
                say(
                    "--candidate checks your own lines; leave out --generator, --url and --model",
                    "--candidate prüft Ihre eigenen Zeilen; --generator, --url und --model weglassen",
                )
            )
        return GivenCandidates(lines)
    if name == "templates":
        if url or model:
            raise InputError(
                say(
                    "--url and --model are for --generator openai; the templates need no endpoint",
                    "--url und --model gehören zu --generator openai; die Vorlagen brauchen keinen Endpunkt",
                )
            )
        return TemplateGenerator(seed=seed)
    if name == "openai":
        gen = OpenAICompatibleGenerator(url, model, key_env=key_env, timeout=timeout, seed=seed)
        return FallbackGenerator(gen, TemplateGenerator(seed=seed)) if fallback else gen
    raise InputError(
        say(
            "--generator must be 'templates' or 'openai', not {name!r}",
            "--generator muss 'templates' oder 'openai' sein, nicht {name!r}",
            name=name,
        )
    )


def _scorer(kind, history, subject, opened, time, subject_model, n_boot, seed, warehouse):
    from nomagic.usecases.copy import SubjectScorer

    if history is not None and subject_model is not None:
        raise InputError(
            say(
                "give either --history (a send log to learn from) or --subject-model, not both",
                "entweder --history (ein Versandprotokoll zum Lernen) oder --subject-model angeben, nicht beides",
            )
        )
    if history is None and subject_model is None:
        return None
    if kind == "ad":
        return SubjectScorer(None, None, "", note="")  # the report explains that ads are not scored
    if subject_model is not None:
        if subject_model == "champion":
            return SubjectScorer.from_registry(warehouse)
        return SubjectScorer.from_saved(subject_model)
    from nomagic.usecases.subject_lines import read_history
    from nomagic.warehouse.sources import read_frame

    with progress_bar(
        say(
            "judging the subject-line model on {name}",
            "beurteile das Betreffzeilen-Modell an {name}",
            name=history.name,
        )
    ) as tick:
        df = read_frame(history, [c for c in (subject, opened, time) if c])
        hist = read_history(df, subject, opened, time, source=str(history))
        return SubjectScorer.from_history(hist, source=history.name, n_boot=n_boot, seed=seed, progress=tick)


_FIELDS = {
    "subject": ("subject", "Betreff"),
    "headline": ("headline", "Überschrift"),
    "description": ("description", "Beschreibung"),
}
_SOURCES = {"template": ("template", "Vorlage"), "written by you": ("yours", "Ihre")}


def _show(report) -> None:
    from rich.text import Text as RichText

    lg = lang()
    d = report.to_dict()
    show(pick(d["source"], "label", lg), label=say("source:", "Quelle:"), label_style="bold")
    scored = d["scoring"]["scored"]
    title = (
        say(
            "{n} subject lines, {k} passed", "{n} Betreffzeilen, {k} bestanden", n=len(report.candidates), k=d["passed"]
        )
        if report.kind == "subject"
        else say("{n} ads, {k} passed", "{n} Anzeigen, {k} bestanden", n=len(report.candidates), k=d["passed"])
    )
    t = Table(title=title.lang(lg), header_style="bold", show_lines=report.kind == "ad")
    t.add_column("#", justify="right")
    for f in report.candidates[0].fields if report.candidates else ():
        t.add_column(word(*_FIELDS.get(f, (f, f))), overflow="fold", min_width=24)
    t.add_column(word("chars", "Zeichen"), justify="right")
    if scored:
        t.add_column(word("open rate (pred.)", "Öffnungsrate (Vorh.)"), justify="right")
    t.add_column(word("guardrails", "Leitplanken"), overflow="fold")
    t.add_column(word("source", "Quelle"), overflow="fold")
    for i, c in enumerate(report.candidates, 1):
        if c.passed:
            check = RichText(word("pass", "bestanden"), style="green")
        else:
            check = RichText.assemble(
                (word("fail", "nicht bestanden"), "red"), ": " + "; ".join(in_lang(r, lg) for r in c.reasons)
            )
        row = [str(i), *c.fields.values(), "/".join(str(len(v)) for v in c.fields.values())]
        if scored:
            row.append("" if c.predicted_open_rate is None else number(c.predicted_open_rate, ".3f", lg))
        source = word(*_SOURCES.get(c.source, ("generated", "erzeugt")))
        t.add_row(*row, check, source)
    console.print(t)
    style = "yellow" if not d["scoring"]["ranked_by_model"] else "green"
    show(pick(d["scoring"], "caveat", lg), label=say("scoring:", "Bewertung:"), label_style=style)
    if d["source"].get("fallback_reason"):
        show(pick(d["source"], "fallback_reason", lg), label=say("fallback:", "Ersatz:"))
    for note in pick(d, "notes", lg, []):
        show(note, label=say("note:", "Hinweis:"))


def suggest_copy(
    brief: str = typer.Option(
        None,
        "--brief",
        help="Free text about the campaign (read by a language model; "
        "the templates use it as the product when it is short and --product is missing).",
    ),
    product: str = typer.Option(None, "--product", help="Product or topic as it should appear, without article."),
    offer: str = typer.Option(None, "--offer", help="The offer, e.g. '20 % Rabatt' or 'free shipping'."),
    audience: str = typer.Option(None, "--audience", help="Who it is for, e.g. 'Läuferinnen', 'new customers'."),
    brand: str = typer.Option(None, "--brand", help="Brand name the copy may name."),
    kind: str = typer.Option(
        "subject", "--kind", help="subject (e-mail subject lines) or ad (headline + description)."
    ),
    language: str = typer.Option("en", "--language", help="de or en."),
    tone: str = typer.Option("friendly", "--tone", help="friendly (de: du), formal (de: Sie), urgent or playful."),
    personalise: str = typer.Option(
        None, "--personalise", help="Personalisation token of your e-mail tool, e.g. '{first_name}' (used as is)."
    ),
    n: int = typer.Option(10, "--n", help="How many candidates (1-50)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the template choice (and sent to the endpoint)."),
    generator: str = typer.Option(
        "templates",
        "--generator",
        help="templates (offline) or openai (an OpenAI-compatible chat-completions endpoint).",
    ),
    url: str = typer.Option(
        None, "--url", help="Endpoint URL (default $NOMAGIC_COPY_URL), e.g. http://localhost:8080/v1."
    ),
    model: str = typer.Option(None, "--model", help="Model name at the endpoint (default $NOMAGIC_COPY_MODEL)."),
    key_env: str = typer.Option("NOMAGIC_COPY_KEY", "--key-env", help="Environment variable holding the API key."),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for the endpoint."),
    fallback: bool = typer.Option(
        False,
        "--fallback",
        help="When the endpoint fails, use the templates (labelled as such) instead of stopping with an error.",
    ),
    candidate: list[str] = typer.Option(
        None,
        "--candidate",
        help="Check and score a line you wrote instead of generating (repeatable; an ad as 'headline | description').",
    ),
    history: Path = typer.Option(None, "--history", help="Send log to score subject lines with (CSV or Parquet)."),
    subject: str = typer.Option("subject", "--subject", help="Column of --history with the subject line."),
    opened: str = typer.Option("opened", "--opened", help="Column of --history with the open time or a 0/1 flag."),
    time: str = typer.Option(None, "--time", help="Column of --history with the send time (for the time split)."),
    subject_model: str = typer.Option(
        None,
        "--subject-model",
        help="A saved subject-line model (registry version "
        "folder or its JSON), or 'champion' for the warehouse registry's champion.",
    ),
    n_boot: int = typer.Option(1000, "--n-boot", help="Bootstrap resamples when judging the --history model."),
    banned: list[str] = typer.Option(None, "--banned", help="A claim to refuse (repeatable), besides the defaults."),
    no_default_banned: bool = typer.Option(False, "--no-default-banned", help="Do not refuse the default claims."),
    require: list[str] = typer.Option(None, "--require", help="A term every candidate must contain (repeatable)."),
    no_spam_check: bool = typer.Option(False, "--no-spam-check", help="Skip the spam-trigger words and style."),
    max_length: int = typer.Option(None, "--max-length", help="Longest subject line in characters (default 60)."),
    max_headline: int = typer.Option(None, "--max-headline", help="Longest ad headline (default 30)."),
    max_description: int = typer.Option(None, "--max-description", help="Longest ad description (default 90)."),
    to_bandit: str = typer.Option(
        None,
        "--to-bandit",
        help="Create this bandit experiment of `nomagic serve` with the passing candidates as variants.",
    ),
    arms: int = typer.Option(5, "--arms", help="Most variants handed to the bandit (2-20)."),
    replace: bool = typer.Option(False, "--replace", help="Replace an existing bandit experiment of that name."),
    bandit_folder: Path = typer.Option(
        None, "--bandit-folder", help="Experiments folder (default: the API's, .nomagic/bandits next to the registry)."
    ),
    json_out: Path = typer.Option(None, "--json", help="Write the report (JSON) here."),
    warehouse: str = WarehouseOption,
) -> None:
    """Subject-line or ad candidates from templates or an OpenAI-compatible endpoint, checked by guardrails
    (length, spam words, banned claims, required terms, duplicates), scored by your subject-line model where
    one is given, and optionally handed to a bandit experiment."""
    from nomagic.usecases.copy import Brief, Guardrails, experiments_folder, hand_to_bandit
    from nomagic.usecases.copy import suggest_copy as run

    if json_out is not None:
        writable(json_out)
    if history is not None and not history.exists():
        raise InputError(say("--history {path}: no such file", "--history {path}: keine solche Datei", path=history))
    b = Brief(
        product=product or "",
        offer=offer or "",
        audience=audience or "",
        tone=tone,
        language=language,
        brand=brand or "",
        required=tuple(require or ()),
        personal_token=personalise or "",
        notes=brief or "",
    )
    limits = {k: v for k, v in (("subject", max_length), ("headline", max_headline),
                                ("description", max_description)) if v is not None}  # fmt: skip
    rails = Guardrails(
        max_length=limits,
        banned=tuple(banned or ()),
        default_banned=not no_default_banned,
        required=b.required,
        spam=not no_spam_check,
    )
    gen = _generator(generator, url, model, key_env, timeout, fallback, seed, candidate)
    scorer = _scorer(kind, history, subject, opened, time, subject_model, n_boot, seed, warehouse)
    report = run(b, kind=kind, n=n, generator=gen, guardrails=rails, scorer=scorer)
    _show(report)
    try:
        if to_bandit is not None:
            folder = bandit_folder or experiments_folder(warehouse)
            info = hand_to_bandit(report, folder, to_bandit, max_arms=arms, replace=replace)
            left = (
                say(
                    "; {n} passing candidates left out (--arms {arms})",
                    "; {n} bestandene Kandidaten ausgelassen (--arms {arms})",
                    n=info["left_out"],
                    arms=arms,
                )
                if info["left_out"]
                else ""
            )
            show(
                say(
                    "bandit experiment {name} created with {n} variants ({path}){left}. Ask for a variant with "
                    "POST /api/v1/bandits/{name}/decide (nomagic serve).",
                    "Bandit-Experiment {name} mit {n} Varianten angelegt ({path}){left}. Eine Variante erfragen mit "
                    "POST /api/v1/bandits/{name}/decide (nomagic serve).",
                    name=to_bandit,
                    n=len(info["arms"]),
                    path=str(info["path"]),
                    left=left,
                )
            )
    finally:  # the report is written even when the bandit refuses the candidates
        if json_out is not None:
            Path(json_out).write_text(json.dumps(report.to_dict(), indent=1, ensure_ascii=False) + "\n")
            show(say("wrote {path}", "{path} geschrieben", path=str(json_out)))
    if not report.passing:
        show(say("no candidate passed the guardrails", "kein Kandidat hat die Leitplanken bestanden"), "red")
        raise SystemExit(1)


app.command("suggest-copy")(suggest_copy)
