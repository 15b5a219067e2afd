"""``nomagic privacy export|erase|object``: the rights of the person the data is about.

::

    nomagic privacy export --customer ID --out FILE.json    # Art. 15 / 20: everything held, as JSON
    nomagic privacy erase --customer ID [--reason TEXT] [--yes]   # Art. 17: gone, and kept out
    nomagic privacy object --customer ID                    # Art. 21: no more profiling or direct marketing

Each is written to the audit log under the person's pseudonym (see :mod:`nomagic.privacy.subject`).
Exit status: 0 done (an export of an unknown or erased id too: it says "no data held"); 1 an erasure
that was not confirmed, or that left something it could not rewrite (named); 2 bad input.
"""

from __future__ import annotations

from pathlib import Path

import typer

from nomagic.cli import WarehouseOption, app
from nomagic.cli.grammar import OPERATE, NomagicCommand, NomagicGroup
from nomagic.cli.ui import lang, show, word
from nomagic.errors import InputError, writable
from nomagic.words import pick, say

privacy_app = typer.Typer(
    cls=NomagicGroup,
    help="A person's rights (GDPR): export everything held about them, erase them for good, record an objection.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(
    privacy_app,
    name="privacy",
    rich_help_panel=OPERATE,
    short_help="A person's data: export, erase, object.",
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
