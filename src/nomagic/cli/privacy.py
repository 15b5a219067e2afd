"""``nomagic privacy export|erase|object``: the rights of the person the data is about.

::

    nomagic privacy export --customer ID --out FILE.json    # Art. 15 / 20: everything held, as JSON
    nomagic privacy erase --customer ID [--reason TEXT] [--yes]   # Art. 17: gone, and kept out
    nomagic privacy object --customer ID                    # Art. 21: no more profiling or direct marketing
    nomagic privacy retention [--apply]                     # Art. 5(1)(e): delete rows past their retention period
    nomagic privacy records --out FOLDER                    # Art. 30: the record of processing activities, EN/DE
    nomagic privacy review                                  # Art. 22: decisions held for a person, with reasons
    nomagic privacy decide REVIEW_ID --approve|--override [--note TEXT]   # a person decides; audit-logged

Each is written to the audit log under the person's pseudonym (see :mod:`nomagic.privacy.subject`).
Exit status: 0 done (an export of an unknown or erased id too: it says "no data held"); 1 an erasure
that was not confirmed, or that left something it could not rewrite (named); 2 bad input (a retention
period in .nomagic/config.toml that is not one: the file and the key are named).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.grammar import OPERATE, NomagicCommand, NomagicGroup
from nomagic.cli.ui import lang, show, word
from nomagic.errors import InputError, writable
from nomagic.words import pick, say

privacy_app = typer.Typer(
    cls=NomagicGroup,
    help="A person's rights (GDPR): export everything held about them, erase them for good, record an objection; "
    "retention periods and the record of processing activities.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(
    privacy_app,
    name="privacy",
    rich_help_panel=OPERATE,
    short_help="A person's rights, retention, records (GDPR).",
)

CustomerOption = typer.Option(..., "--customer", "-c", help="The person's customer id.")


def _open(warehouse: str | None):
    """The warehouse, writable; a DuckDB file must exist (erasing from a new, empty one would say nothing)."""
    from nomagic.warehouse import connect
    from nomagic.warehouse.connection import _duckdb_path, resolve_url

    url = resolve_url(warehouse)
    path = _duckdb_path(url)
    if path not in (None, ":memory:") and not Path(path).expanduser().exists():
        raise InputError(
            say(
                "no warehouse at {path}: name it with --warehouse (or $NOMAGIC_WAREHOUSE)",
                "kein Warehouse unter {path}: es mit --warehouse (oder $NOMAGIC_WAREHOUSE) angeben",
                path=path,
            )
        )
    return connect(url)


@privacy_app.command("export", cls=NomagicCommand)
def export_command(
    customer: str = CustomerOption,
    out: Path = typer.Option(..., "--out", "-o", help="The JSON file to write (docs/privacy-export.schema.json)."),
    warehouse: str = WarehouseOption,
) -> None:
    """Everything held about one person, as JSON (Art. 15 / 20 GDPR): their rows in every table, scores with
    reasons, segments, decisions, the model versions that processed them, and the files that name them."""
    from nomagic.privacy import subject

    writable(out)
    with _open(warehouse) as wh:
        doc = subject.export(wh, customer, out)
    lg = lang()
    show(pick(doc, "message", lg), "bold" if doc["found"] else "")
    if doc["found"]:
        show(
            say(
                "{s:,} scores, {g:,} segments, {d:,} decisions, {m:,} model versions; written to {path}",
                "{s:,} Bewertungen, {g:,} Segmente, {d:,} Entscheidungen, {m:,} Modellversionen; nach {path} "
                "geschrieben",
                s=len(doc["scores"]),
                g=len(doc["segments"]),
                d=len(doc["decisions"]),
                m=len(doc["models"]),
                path=str(out),
            )
        )
    else:
        show(say("written to {path}", "nach {path} geschrieben", path=str(out)))


def _show_plan(held: dict) -> None:
    """What an erasure will remove: rows per table, files, cached embeddings."""
    show(
        say("held about {ps}:", "zu {ps} gespeichert:", ps=held["pseudonym"]),
        "bold",
    )
    for name, rows in held["tables"].items():
        show(say("table {t}: {n:,} rows", "Tabelle {t}: {n:,} Zeilen", t=name, n=len(rows)), indent=2)
    for hit in held["files"]:
        show(
            say("file {p}: {n:,} records", "Datei {p}: {n:,} Einträge", p=str(hit.path), n=hit.count)
            if hit.rewritable
            else say(
                "file {p}: mentions them {n:,} times (cannot be rewritten)",
                "Datei {p}: nennt die Person {n:,}-mal (lässt sich nicht umschreiben)",
                p=str(hit.path),
                n=hit.count,
            ),
            indent=2,
        )
    for cache in held["caches"]:
        show(
            say(
                "cache {p}: {n:,} embeddings of their texts",
                "Cache {p}: {n:,} Embeddings ihrer Texte",
                p=cache["path"],
                n=cache["entries"],
            ),
            indent=2,
        )
    if not (held["tables"] or held["files"] or held["caches"]):
        show(
            say(
                "nothing: the id will only be put on the suppression list",
                "nichts: die Kennung kommt nur auf die Sperrliste",
            ),
            indent=2,
        )


@privacy_app.command("erase", cls=NomagicCommand)
def erase_command(
    customer: str = CustomerOption,
    reason: str = typer.Option(
        None, "--reason", help="Why (kept in the audit log: no names or ids in it; the id is replaced by a pseudonym)."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    warehouse: str = WarehouseOption,
) -> None:
    """Erase one person for good (Art. 17 GDPR): from every table, file and cache that holds them, in one
    transaction; a re-load of an old file does not bring them back; the model versions that saw them are
    flagged for retraining."""
    from nomagic.privacy import subject

    with _open(warehouse) as wh:
        held = subject.holdings(wh, customer)
        _show_plan(held)
        if not yes and not typer.confirm(
            word(
                "Erase this person for good? This cannot be undone",
                "Diese Person endgültig löschen? Das lässt sich nicht rückgängig machen",
            ),
            default=False,
        ):
            show(say("not erased; nothing was changed", "nicht gelöscht; nichts wurde geändert"))
            raise typer.Exit(1)
        result = subject.erase(wh, customer, reason)
    show(result.words, "bold green")
    if result.versions:
        show(
            say(
                "{n:,} model versions may have been trained on their data and are flagged for retraining: {v}",
                "{n:,} Modellversionen wurden womöglich mit ihren Daten trainiert und sind zum Neutrainieren "
                "markiert: {v}",
                n=len(result.versions),
                v=", ".join(f"{v['use_case']} {v['version']}" for v in result.versions),
            )
        )
    for w in result.warnings:
        show(w, label=word("warning:", "Warnung:"))
    for r in result.remaining:
        show(r, label=word("still there:", "noch vorhanden:"), label_style="bold red")
    if result.remaining:
        raise typer.Exit(1)


@privacy_app.command("object", cls=NomagicCommand)
def object_command(customer: str = CustomerOption, warehouse: str = WarehouseOption) -> None:
    """Record an objection (Art. 21 GDPR): from now on the person is neither profiled nor sent direct marketing."""
    from nomagic.privacy import subject

    with _open(warehouse) as wh:
        out = subject.object_to_processing(wh, customer)
    show(out["message"], "bold" if out["new"] else "")


@privacy_app.command("review", cls=NomagicCommand)
def review_command(warehouse: str = WarehouseOption) -> None:
    """Decisions held for human review (Art. 22), oldest first, with the model's reasons."""
    from nomagic.privacy import review

    lg = lang()
    with _open(warehouse) as wh:
        items = review.pending(wh)
    if items.empty:
        show(say("nothing waits for review", "nichts wartet auf Prüfung"))
        return
    for r in items.to_dict("records"):  # one block per item: ids are long and reasons are sentences
        head = escape(f"{r['review_id']}  {r['use_case']} · {r['unit_id']} · {r['action']}")
        console.print(head, style="bold", soft_wrap=True)
        console.print(f"  {pick(r, 'reasons', lg)}", soft_wrap=True, markup=False)
    show(
        say(
            "{n:,} waiting; decide with `nomagic privacy decide REVIEW_ID --approve` (or --override)",
            "{n:,} warten; mit `nomagic privacy decide REVIEW_ID --approve` (oder --override) entscheiden",
            n=len(items),
        )
    )


@privacy_app.command("decide", cls=NomagicCommand)
def decide_command(
    review_id: str = typer.Argument(..., help="The id from `nomagic privacy review`."),
    approve: bool = typer.Option(None, "--approve/--override", help="Act on the proposal, or do not."),
    note: str = typer.Option(None, "--note", help="Why (kept in the queue, masked; not in the audit log)."),
    warehouse: str = WarehouseOption,
) -> None:
    """Approve or override one held decision (Art. 22); final, and written to the audit log."""
    from nomagic.privacy import review

    if approve is None:
        raise InputError(say("say --approve or --override", "--approve oder --override angeben"))
    with _open(warehouse) as wh:
        out = review.decide(wh, review_id, approve, note=note)
    show(
        say(
            "{id}: {status} by {by}",
            "{id}: {status} von {by}",
            id=review_id,
            status=say("approved", "freigegeben") if approve else say("overridden", "abgelehnt"),
            by=out["decided_by"],
        ),
        "bold",
    )


@privacy_app.command("retention", cls=NomagicCommand)
def retention_command(
    apply: bool = typer.Option(False, "--apply", help="Delete the rows (without it: only show what would go)."),
    warehouse: str = WarehouseOption,
) -> None:
    """Rows past their retention period (``[retention]`` in .nomagic/config.toml, e.g. ``events = "365d"``):
    shown by default, deleted in one transaction with ``--apply`` and written to the audit log."""
    from nomagic.privacy import retention

    with _open(warehouse) as wh:
        path = retention.config_path(wh)
        rules = retention.load_rules(path)
        if not rules:
            show(
                say(
                    'no retention periods set: add a [retention] table to {path}, e.g. events = "365d"',
                    "keine Aufbewahrungsfristen festgelegt: eine Tabelle [retention] in {path} anlegen, "
                    'z. B. events = "365d"',
                    path=str(path),
                )
            )
            return
        steps = retention.plan(wh, rules)
        _retention_table(steps, applied=apply)
        if not apply:
            if steps:
                show(
                    say(
                        "nothing deleted yet: run it again with --apply to delete these rows",
                        "noch nichts gelöscht: mit --apply erneut ausführen, um diese Zeilen zu löschen",
                    )
                )
            else:
                show(say("nothing is past its retention period", "nichts hat seine Aufbewahrungsfrist überschritten"))
            return
        done = retention.apply(wh, rules)
    show(done.words(), "bold green" if done.steps else "")
    if done.warning:
        show(done.warning, label=word("warning:", "Warnung:"))


def _retention_table(steps, *, applied: bool) -> None:
    if not steps:
        return
    lg = lang()
    title = (
        say("Deleting rows past their retention period", "Zeilen nach Ablauf der Aufbewahrungsfrist werden gelöscht")
        if applied
        else say(
            "Rows past their retention period (would go)", "Zeilen nach Ablauf der Aufbewahrungsfrist (würden gelöscht)"
        )
    )
    t = Table(title=title.lang(lg), header_style="bold")
    for en, de in (("table", "Tabelle"), ("rows", "Zeilen"), ("older than", "älter als"), ("why", "warum")):
        t.add_column(word(en, de), justify="right" if en == "rows" else "left")
    for s in steps:
        why = (
            say("belongs to deleted rows of {via}", "gehört zu gelöschten Zeilen von {via}", via=s.via)
            if s.via
            else say("{c}, kept {p}", "{c}, Frist {p}", c=s.column, p=s.period)
        )
        t.add_row(
            s.table, say("{n:,}", "{n:,}", n=s.rows).lang(lg), say("{at}", "{at}", at=s.cutoff).lang(lg), why.lang(lg)
        )
    console.print(t)


def _activities() -> list:
    """The use cases of ``nomagic.usecases.REGISTRY`` as processing activities (imported here: privacy/ sits
    below the use cases)."""
    import sys

    from nomagic.lifecycle.scoring import scores_table
    from nomagic.lifecycle.usecase import UseCase
    from nomagic.privacy.records import Activity
    from nomagic.usecases import REGISTRY
    from nomagic.warehouse.schema import CANONICAL

    out = []
    for name, cls in REGISTRY.items():
        req = getattr(cls, "requires", None)
        tables = getattr(req, "tables", None) or {}
        if not isinstance(tables, dict):  # a list of names: the canonical required columns
            tables = {t: CANONICAL[t].required_names if t in CANONICAL else () for t in tables}
        module = sys.modules[cls.__module__]
        # the tables it writes about people: its own scores table, or the lifecycle's scores_<name>
        outputs = [getattr(module, n) for n in ("SCORES_TABLE", "SEGMENTS_TABLE") if hasattr(module, n)]
        if not outputs and issubclass(cls, UseCase):
            outputs = [scores_table(name)]
        if name == "bandits":  # its decisions are logged per person (usecases/bandits/log.py)
            outputs = ["decisions"]
        out.append(Activity(name, cls.question, {t: tuple(c) for t, c in tables.items()}, tuple(outputs)))
    return out


@privacy_app.command("records", cls=NomagicCommand)
def records_command(
    out: Path = typer.Option(..., "--out", "-o", help="The folder to write records.{en,de}.{md,html} into."),
    warehouse: str = WarehouseOption,
) -> None:
    """The record of processing activities (Art. 30 GDPR): per use case its purpose, the data it reads, the
    consent it needs, what it writes, retention, legal basis (``[records] legal_basis.NAME`` in
    .nomagic/config.toml) and the champion model's card; Markdown and HTML, English and German."""
    from nomagic.privacy import records

    if out.exists() and not out.is_dir():
        raise InputError(
            say("--out {p}: give a folder, not a file", "--out {p}: einen Ordner angeben, keine Datei", p=str(out))
        )
    with _open(warehouse) as wh:
        paths = records.write(wh, _activities(), out)
    show(
        say(
            "record of processing activities written: {files}",
            "Verzeichnis von Verarbeitungstätigkeiten geschrieben: {files}",
            files=", ".join(str(p) for p in paths),
        ),
        "bold",
    )
