"""``nomagic audit list|verify``: read the audit trail and check that nobody changed it.

::

    nomagic audit list [--since DATE] [--until DATE] [--action A] [--actor X] [--limit N] [--json OUT]
    nomagic audit verify [--expect SEQ:HASH]

``list`` reads (and never writes) the warehouse's ``audit_log`` (see :mod:`nomagic.privacy.audit`).
``verify`` exits 0 with "chain intact: N entries", 1 naming the first edited, deleted or moved entry,
2 on bad input.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.grammar import OPERATE, NomagicGroup
from nomagic.cli.ui import lang, show, word
from nomagic.errors import InputError, writable
from nomagic.words import date_text, number, say

audit_app = typer.Typer(
    cls=NomagicGroup,
    help="The audit trail: who loaded, trained, promoted, exported, erased or changed keys, and when "
    "(append-only, hash-chained).",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(
    audit_app, name="audit", rich_help_panel=OPERATE, short_help="The audit trail: list it, verify its hash chain."
)


def _when(at, lg: str) -> str:
    """``2026-12-07 10:30:05`` (UTC); German ``07.12.2026 10:30:05``."""
    day = date_text(at, lg)
    return f"{day} {at:%H:%M:%S}"


def _details(text: str | None, lg: str) -> str:
    """``rows=1,200 · status=champion`` from the stored JSON (numbers in the language's format)."""
    if not text:
        return ""
    try:
        data = json.loads(text)
    except ValueError:  # not JSON any more: show it as it is (verify names the entry)
        return text
    parts = []
    for k, v in data.items():
        if isinstance(v, bool) or v is None:
            shown = json.dumps(v)
        elif isinstance(v, int):
            shown = number(v, ",", lg)
        elif isinstance(v, float):
            shown = number(v, ",.4g", lg)
        elif isinstance(v, (list, dict)):
            shown = json.dumps(v, ensure_ascii=False)
        else:
            shown = str(v)
        parts.append(f"{k}={shown}")
    return " · ".join(parts)


def _entry(row) -> dict:
    """One entry as JSON: details parsed, the time in ISO with its zone."""
    try:
        details = json.loads(row["details"]) if row["details"] else {}
    except ValueError:
        details = row["details"]
    return {
        "seq": int(row["seq"]),
        "at": row["at"].isoformat(timespec="microseconds") + "Z",
        "actor": row["actor"],
        "action": row["action"],
        "target": row["target"],
        "details": details,
        "prev_hash": row["prev_hash"],
        "hash": row["hash"],
    }


@audit_app.command("list")
def audit_list(
    since: str = typer.Option(None, "--since", help="From this date or time (UTC), e.g. 2026-12-01."),
    until: str = typer.Option(None, "--until", help="Up to this date (the whole day) or time (UTC)."),
    action: str = typer.Option(
        None, "--action", help="Only this action (data.load, model.train, key.revoke, ...) or area (model, key)."
    ),
    actor: str = typer.Option(None, "--actor", help="Only entries by this OS user (os:ada or ada) or API key id."),
    limit: int = typer.Option(100, "--limit", "-n", help="The latest N matching entries (0: all)."),
    json_out: Path = typer.Option(None, "--json", help="Also write the entries (JSON, details parsed) here."),
    warehouse: str = WarehouseOption,
) -> None:
    """The audit log, oldest first: who did what, when, on what. Reading it is not logged."""
    from nomagic.privacy import audit
    from nomagic.warehouse import connect

    if limit < 0:
        raise InputError(say("--limit {n}: give 0 (all) or more", "--limit {n}: 0 (alle) oder mehr angeben", n=limit))
    if json_out:
        writable(json_out)
    lg = lang()
    with connect(warehouse, read_only=True) as wh:
        rows = audit.read(wh, since=since, until=until, action=action, actor=actor, limit=limit or None)
        total = int(wh.table(audit.TABLE).count().execute()) if wh.has(audit.TABLE) else 0
    if rows.empty:
        show(
            say("no audit entries match", "keine passenden Audit-Einträge")
            if total
            else say(
                "the audit log is empty: nothing was loaded, trained or changed here yet",
                "das Audit-Protokoll ist leer: hier wurde noch nichts geladen, trainiert oder geändert",
            )
        )
    else:
        t = Table(
            title=say(
                "Audit log: {n:,} of {total:,} entries (times in UTC)",
                "Audit-Protokoll: {n:,} von {total:,} Einträgen (Zeiten in UTC)",
                n=len(rows),
                total=total,
            ).lang(lg),
            header_style="bold",
        )
        t.add_column("#", justify="right")
        for en, de in (("when", "wann"), ("who", "wer"), ("action", "Aktion"), ("on", "woran")):
            t.add_column(word(en, de), no_wrap=en in ("when", "action"))
        t.add_column(word("details", "Details"), overflow="fold")
        for _, r in rows.iterrows():
            t.add_row(
                str(r["seq"]),
                _when(r["at"], lg),
                r["actor"] or "",
                r["action"] or "",
                r["target"] or "",
                _details(r["details"], lg),
            )
        console.print(t)
    if json_out:
        entries = [_entry(r) for _, r in rows.iterrows()]
        json_out.write_text(json.dumps(entries, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        show(
            say(
                "{n} written to {path}",
                "{n} nach {path} geschrieben",
                n=audit.entries(len(entries)),
                path=json_out,
            )
        )


def _expected(text: str) -> tuple[int, str]:
    seq, _, digest = text.strip().partition(":")
    if not (seq.isdigit() and int(seq) > 0 and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)):
        raise InputError(
            say(
                "--expect {v!r}: give an entry and its hash as SEQ:HASH (64 hex digits), as `nomagic audit verify` "
                "prints them",
                "--expect {v!r}: einen Eintrag und seinen Hash als SEQ:HASH (64 Hexziffern) angeben, wie "
                "`nomagic audit verify` sie ausgibt",
                v=text,
            )
        )
    return int(seq), digest


@audit_app.command("verify")
def audit_verify(
    expect: str = typer.Option(
        None, "--expect", metavar="SEQ:HASH", help="An entry and its hash noted earlier (a former verify printed it)."
    ),
    warehouse: str = WarehouseOption,
) -> None:
    """Check the hash chain: exit 0 when intact, 1 naming the first edited, deleted or moved entry."""
    from nomagic.privacy import audit
    from nomagic.warehouse import connect

    with connect(warehouse, read_only=True) as wh:
        report = audit.verify(wh, expect=_expected(expect) if expect else None)
    if report.intact:
        show(report.message, "bold green")
        if report.last_hash:
            show(say("last entry and its hash:", "letzter Eintrag und sein Hash:"))
            show(f"{report.entries}:{report.last_hash}", indent=2)
            show(
                say(
                    "note it elsewhere now and then: `nomagic audit verify --expect` with it also catches a log "
                    "rewritten as a whole",
                    "ihn ab und zu anderswo notieren: `nomagic audit verify --expect` damit erkennt auch ein "
                    "vollständig neu geschriebenes Protokoll",
                ),
                "dim",
            )
        return
    show(report.message, label=word("tampered:", "manipuliert:"), label_style="bold red")
    show(
        say(
            "{n} read; the chain is checked up to the first break",
            "{n} gelesen; die Kette ist bis zur ersten Bruchstelle geprüft",
            n=audit.entries(report.entries),
        )
    )
    raise typer.Exit(1)
