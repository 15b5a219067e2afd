"""``nomagic serve`` (REST API + web dashboard) and ``nomagic keys create|revoke|list``.

::

    nomagic keys create --role analyst --name crm     # prints the key once; stored hashed
    nomagic keys list
    nomagic keys revoke KEY_ID
    nomagic serve [--host 127.0.0.1] [--port 8000] [--warehouse URL]
"""

from __future__ import annotations

import typer
from rich.table import Table

from nomagic.cli import WarehouseOption, app, console
from nomagic.cli.grammar import OPERATE, NomagicGroup
from nomagic.cli.ui import lang, show, word
from nomagic.errors import InputError
from nomagic.words import date_text, say

keys_app = typer.Typer(
    cls=NomagicGroup,
    help="API keys for `nomagic serve`: create, list, revoke (stored hashed).",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(
    keys_app, name="keys", rich_help_panel=OPERATE, short_help="API keys for the server: create, list, revoke."
)


def _store(warehouse: str | None, keys: str | None):
    from nomagic.serve.keys import KeyStore, keys_path
    from nomagic.warehouse.connection import resolve_url

    return KeyStore(keys or keys_path(resolve_url(warehouse)))


def _audit(warehouse: str | None, action: str, info) -> None:
    """A key change into the warehouse's audit log (never the secret); the command fails if it cannot be written."""
    from nomagic.privacy import audit

    details = {"key_id": info.key_id, "role": info.role, "name": info.name, "revoked_at": info.revoked_at}
    audit.record_to(warehouse, action, target=f"key:{info.key_id}", details=details)


KeysOption = typer.Option(None, "--keys", help="Key file (default: .nomagic/keys.json next to the registry).")


@keys_app.command("create")
def keys_create(
    role: str = typer.Option(..., "--role", help="viewer, analyst or admin."),
    name: str = typer.Option("", "--name", help="What the key is for (shown in listings)."),
    keys: str = KeysOption,
    warehouse: str = WarehouseOption,
) -> None:
    """Create a key; it is printed once and stored only as a salted hash."""
    store = _store(warehouse, keys)
    key, info = store.create(role, name=name)
    try:
        _audit(warehouse, "key.create", info)
    except Exception:
        store.revoke(info.key_id)  # a key the audit log does not know must not work
        show(
            say(
                "key {id} was revoked again at once: the audit log could not record it",
                "Schlüssel {id} wurde sofort wieder widerrufen: das Audit-Protokoll konnte ihn nicht festhalten",
                id=info.key_id,
            ),
            label=word("note:", "Hinweis:"),
        )
        raise
    show(
        say(
            "created key {id} (role {role}) in {path}",
            "Schlüssel {id} (Rolle {role}) angelegt in {path}",
            id=info.key_id,
            role=info.role,
            path=store.path,
        )
    )
    show(say("the key (shown once; keep it secret):", "der Schlüssel (nur einmal gezeigt; geheim halten):"))
    print(key)


@keys_app.command("revoke")
def keys_revoke(
    key_id: str = typer.Argument(..., metavar="KEY_ID", help="The key's id (see `nomagic keys list`)."),
    keys: str = KeysOption,
    warehouse: str = WarehouseOption,
) -> None:
    """Revoke a key: the API refuses it and its dashboard sessions end, within a second."""
    info = _store(warehouse, keys).revoke(key_id)
    _audit(warehouse, "key.revoke", info)
    show(
        say(
            "revoked key {id} (role {role}) at {at}",
            "Schlüssel {id} (Rolle {role}) widerrufen am {at}",
            id=info.key_id,
            role=info.role,
            at=info.revoked_at,
        )
    )


@keys_app.command("list")
def keys_list(keys: str = KeysOption, warehouse: str = WarehouseOption) -> None:
    """The keys: id, role, name, created, revoked (never the secrets)."""
    store = _store(warehouse, keys)
    lg = lang()
    t = Table(
        "id",
        word("role", "Rolle"),
        word("name", "Name"),
        word("created", "angelegt"),
        word("revoked", "widerrufen"),
        box=None,
    )
    for k in store.list():
        t.add_row(k.key_id, k.role, k.name, _when(k.created_at, lg), _when(k.revoked_at, lg) or "-")
    console.print(t)
    show(say("keys: {path}", "Schlüssel: {path}", path=store.path))


def _when(iso: str | None, lg: str) -> str:
    """A key's timestamp as stored (ISO), or ``07.12.2026 10:30`` in German."""
    if not iso or lg != "de":
        return iso or ""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return f"{date_text(moment, 'de')} {moment:%H:%M}"


@app.command("serve")
def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface)."),
    port: int = typer.Option(8000, "--port", "-p", help="Port to listen on."),
    cors_origin: list[str] = typer.Option(None, "--cors-origin", help="Allow this browser origin (repeatable)."),
    max_body: int = typer.Option(64 * 1024, "--max-body", help="Largest request body in bytes (413 above)."),
    secure_cookies: bool = typer.Option(False, "--secure-cookies", help="Session cookies only over HTTPS."),
    no_recommender: bool = typer.Option(
        False, "--no-recommender", help="Do not fit the recommender; serve the recommendations table if present."
    ),
    keys: str = KeysOption,
    currency: str = typer.Option(
        None, "--currency", help="The shop's currency for money on the dashboard (ISO code; default EUR)."
    ),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning or error."),
    warehouse: str = WarehouseOption,
) -> None:
    """The REST API (/api/v1, reference at /docs) and the web dashboard (/dashboard) on the warehouse and
    registry the other commands use. Needs the `serve` extra: pip install 'nomagic[serve]'."""
    try:
        from nomagic.serve import ServeConfig, run
    except ModuleNotFoundError as exc:
        raise InputError(
            say(
                "`nomagic serve` needs {name}: pip install 'nomagic[serve]' (in a checkout: pip install '.[serve]')",
                "`nomagic serve` braucht {name}: pip install 'nomagic[serve]' (in einem Checkout: "
                "pip install '.[serve]')",
                name=exc.name,
            )
        ) from None
    if not 0 < port < 65536:
        raise InputError(
            say(
                "--port {port}: use a port between 1 and 65535",
                "--port {port}: einen Port zwischen 1 und 65535 angeben",
                port=str(port),
            )
        )
    if currency is not None and not (len(currency.strip()) == 3 and currency.strip().isalpha()):
        raise InputError(
            say(
                "--currency {c!r}: give a three-letter ISO code such as EUR, CHF or USD",
                "--currency {c!r}: einen dreibuchstabigen ISO-Code wie EUR, CHF oder USD angeben",
                c=currency,
            )
        )
    cfg = ServeConfig(
        warehouse=warehouse,
        keys=keys,
        max_body=max_body,
        cors_origins=list(cors_origin or ()),
        secure_cookies=secure_cookies,
        fit_recommender=not no_recommender,
        **({"currency": currency.strip().upper()} if currency else {}),
    )
    show(
        say(
            "nomagic serve on http://{host}:{port} (dashboard /dashboard, API /api/v1, reference /docs)",
            "nomagic serve auf http://{host}:{port} (Dashboard /dashboard, API /api/v1, Referenz /docs)",
            host=host,
            port=str(port),
        )
    )
    run(cfg, host=host, port=port, log_level=log_level)
