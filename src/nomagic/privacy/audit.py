"""The audit trail: who did what, when, in an append-only, hash-chained warehouse table.

Every action that changes data, models or access (a load, a training, a promotion, a retraining, a
rollback, an API key created or revoked, an export, an erasure, an override) appends one row to the
warehouse table ``audit_log``::

    seq        1, 2, 3, ... (no gaps)
    at         when, UTC (timestamp without zone, microseconds)
    actor      who: ``os:<user>`` on the command line, ``key:<id> (<name>)`` for an API key
    action     what, a dotted code: data.load, model.train, model.retrain, model.rollback, key.create, ...
    target     on what: a table, ``churn v0003``, a key id, a pseudonym -- never a person's id in clear
    details    JSON with the rest (rows loaded, status, decision, ...)
    prev_hash  the hash of the entry before (64 zeros for the first)
    hash       sha256(prev_hash + canonical JSON of seq, at, actor, action, target, details)

Tamper evidence: :func:`verify` walks the chain and names the first entry that was edited (its hash no
longer matches its contents), deleted (a gap in ``seq``), duplicated, or moved (a broken link). A copy
of the newest ``seq`` and ``hash`` (the *head*) is kept in ``.nomagic/audit_head.json`` next to the
warehouse, so rows deleted from the end, or a chain rewritten from the start, are caught too -- unless
that file was rewritten as well: for strong evidence, note the head hash ``nomagic audit verify``
prints somewhere else (a ticket, a signed mail) from time to time.

This module only appends: it has no update and no delete. Personal data never goes into the log in
clear: name a person by :func:`pseudonym` (salted SHA-256 with a secret salt kept in
``.nomagic/salt``, created with mode 0600 on first use).

Concurrency: appending reads the chain's last entry and inserts the next one under a lock held by
this process (threads) and a file lock in ``.nomagic/`` (other nomagic processes on this machine);
a DuckDB file admits one writing process at a time anyway. The Warehouse API has no transactions,
so two *machines* appending to one server warehouse (PostgreSQL) at the same instant could still
fork the chain; :func:`verify` then reports the duplicated ``seq``.

Examples
--------
>>> from nomagic.warehouse import connect
>>> wh = connect("duckdb://:memory:")
>>> entry = record(wh, "data.load", target="orders", details={"rows": 10}, actor="os:ada")
>>> entry["seq"], verify(wh).intact
(1, True)
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import ibis
import pandas as pd

from nomagic.errors import InputError, NomagicError, WarehouseError
from nomagic.warehouse.connection import Warehouse, _duckdb_path, _redact, connect, resolve_url
from nomagic.words import Text, say

TABLE = "audit_log"
GENESIS = "0" * 64
SCHEMA = ibis.schema(
    {
        "seq": "int64",
        "at": "timestamp(6)",
        "actor": "string",
        "action": "string",
        "target": "string",
        "details": "string",
        "prev_hash": "string",
        "hash": "string",
    }
)
FOLDER = ".nomagic"
HEAD_FILE = "audit_head.json"

#: the action codes nomagic writes (others may be added; keep them dotted: area.verb)
ACTIONS = (
    "data.load",
    "model.train",
    "model.retrain",
    "model.rollback",
    "key.create",
    "key.revoke",
    "privacy.export",
    "privacy.erase",
    "review.override",
)

#: keys that would put a person into the log in clear (use pseudonym() and `target`)
_PERSONAL = {"customer_id", "email", "e_mail", "phone"}


class AuditError(WarehouseError):
    """The audit log cannot be written (the action it records has been done; the command fails)."""


# --------------------------------------------------------------------------- where and who


def state_folder(url: str | None = None) -> Path:
    """``.nomagic`` next to the warehouse's DuckDB file (the current folder's for a server or in-memory
    warehouse): where the registry and the API keys live too (``$NOMAGIC_REGISTRY``'s parent if set)."""
    env = os.environ.get("NOMAGIC_REGISTRY")
    if env:
        return Path(env).parent
    path = _duckdb_path(resolve_url(url))
    if path and path != ":memory:":
        return Path(path).expanduser().resolve().parent / FOLDER
    return Path.cwd() / FOLDER


def os_user() -> str:
    """``os:<user>``: the logged-in user, robust where there is no password entry (containers)."""
    try:
        name = getpass.getuser()
    except Exception:  # no USER/LOGNAME and no passwd entry for the uid
        name = ""
    if not name:
        name = f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return f"os:{name}"


def key_actor(key_id: str, name: str = "") -> str:
    """The actor of a call made with an API key: ``key:<id>`` or ``key:<id> (<name>)``."""
    return f"key:{key_id} ({name})" if name else f"key:{key_id}"


def source_label(source: str) -> str:
    """A loaded source as the log names it: a file by its name, a database URL without its password."""
    if "://" in source and not source.startswith("file://"):
        return _redact(source)
    return Path(source.removeprefix("file://")).name or source


# --------------------------------------------------------------------------- pseudonyms


def salt_path(url: str | None = None) -> Path:
    """The salt file: ``$NOMAGIC_SALT``, else ``.nomagic/salt`` next to the warehouse."""
    env = os.environ.get("NOMAGIC_SALT")
    return Path(env) if env else state_folder(url) / "salt"


def load_salt(url: str | Warehouse | None = None) -> str:
    """The secret salt of the warehouse at ``url``, created (64 hex digits, mode 0600) on first use.

    Keep it secret and keep it: whoever holds it can test whether a given id is behind a pseudonym,
    and a new salt gives every person a new pseudonym (old log entries no longer match)."""
    url = url.url if isinstance(url, Warehouse) else url
    path = salt_path(url)
    if not path.exists():
        _create_salt(path)
    text = path.read_text().strip()
    if not re.fullmatch(r"[0-9a-f]{32,}", text):
        raise InputError(
            say(
                "{path} is not a nomagic salt file (expected hex digits); restore it from a backup "
                "(a new salt gives everyone new pseudonyms)",
                "{path} ist keine nomagic-Salt-Datei (Hexziffern erwartet); sie aus einer Sicherung "
                "wiederherstellen (ein neues Salt gibt allen neue Pseudonyme)",
                path=str(path),
            )
        )
    return text


def _create_salt(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".salt.")  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        try:  # a hard link appears whole or not at all, and never replaces a salt another process made
            os.link(tmp, path)
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def pseudonym(customer_id, salt: str) -> str:
    """A stable stand-in for a person's id: ``ps_`` + 32 hex digits of HMAC-SHA256(salt, id).

    The same id and salt give the same pseudonym (``42``, ``"42"`` and ``42.0`` alike); the id cannot be
    read from it, nor found without the salt.

    >>> p = pseudonym("C-1042", "ab" * 32)
    >>> p == pseudonym("C-1042", "ab" * 32), "1042" in p, len(p)
    (True, False, 35)
    """
    if not salt:
        raise ValueError("pseudonym() needs the salt (load_salt(url))")
    if isinstance(customer_id, float) and customer_id.is_integer():
        customer_id = int(customer_id)
    value = str(customer_id).strip()
    return "ps_" + hmac.new(salt.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


# --------------------------------------------------------------------------- the chain


def _jsonable(obj):
    if hasattr(obj, "item"):  # numpy numbers
        return obj.item()
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    return str(obj)  # paths, Texts in containers, ...


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable)


def _at_text(at) -> str:
    if isinstance(at, pd.Timestamp):
        at = at.to_pydatetime()
    return at.isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, seq: int, at, actor, action, target, details: str) -> str:
    """sha256 of the previous hash and the entry's canonical JSON (``details`` as the stored JSON text)."""
    content = _canonical(
        {"seq": int(seq), "at": _at_text(at), "actor": actor, "action": action, "target": target, "details": details}
    )
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


_THREAD_LOCK = threading.Lock()
_LOCKS: dict[str, threading.Lock] = {}


def _identity(url: str) -> str | None:
    """Which log this is, for locks and the head file (None: an in-memory warehouse, gone at exit)."""
    path = _duckdb_path(url)
    if path == ":memory:":
        return None
    return str(Path(path).expanduser().resolve()) if path else _redact(url)


@contextlib.contextmanager
def _appending(wh: Warehouse) -> Iterator[None]:
    """One appender at a time: threads of this process, and nomagic processes of this machine."""
    ident = _identity(wh.url)
    with _THREAD_LOCK:
        lock = _LOCKS.setdefault(ident or f"memory:{id(wh.con)}", threading.Lock())
    with lock:
        if ident is None:
            yield
            return
        folder = state_folder(wh.url)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "audit.lock", "a") as fh:
            try:
                import fcntl
            except ImportError:  # Windows: the process lock only (see the module docstring)
                yield
                return
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _tail(wh: Warehouse) -> tuple[int, str]:
    """The last entry's seq and hash; (0, GENESIS) for an empty or absent log."""
    if not wh.has(TABLE):
        wh.con.create_table(TABLE, schema=SCHEMA)
        return 0, GENESIS
    t = wh.table(TABLE)
    last = t.order_by(ibis.desc("seq")).select("seq", "hash").limit(1).execute()
    if last.empty:
        return 0, GENESIS
    return int(last["seq"].iloc[0]), str(last["hash"].iloc[0])


def _now() -> datetime:
    """UTC, without zone, at the microsecond (what DuckDB and PostgreSQL timestamps keep exactly)."""
    return datetime.now(UTC).replace(tzinfo=None)


def record(
    wh: Warehouse,
    action: str,
    *,
    target: str | None = None,
    details: dict | None = None,
    actor: str | None = None,
) -> dict:
    """Append one entry to the audit log and return it (``details`` as a dict).

    Call it after the action succeeded; reads are not logged. ``actor`` defaults to the OS user
    (:func:`os_user`); a server passes :func:`key_actor`. Raises :class:`AuditError` when the log cannot
    be written: the caller's command fails, because an action missing from a governance log is worse
    than a failed command.
    """
    if not action or not isinstance(action, str):
        raise ValueError("record() needs an action code such as 'data.load'")
    details = dict(details or {})
    personal = _PERSONAL & {str(k).lower() for k in details}
    if personal:  # a programming error: the log must not hold a person in clear
        raise ValueError(f"audit details must not hold {sorted(personal)}; pass pseudonym(id, salt) as target")
    actor = actor or os_user()
    details_json = _canonical(details)
    try:
        with _appending(wh):
            seq, prev = _tail(wh)
            seq += 1
            at = _now()
            digest = entry_hash(prev, seq, at, actor, action, target, details_json)
            row = {
                "seq": seq,
                "at": at,
                "actor": actor,
                "action": action,
                "target": target,
                "details": details_json,
                "prev_hash": prev,
                "hash": digest,
            }
            wh.append(TABLE, pd.DataFrame([row]).astype({"target": "object"}))
            _write_head(wh.url, seq, digest, at)
    except Exception as exc:
        raise AuditError(_write_failed(wh.url, action, exc)) from exc
    return {**row, "at": _at_text(at) + "Z", "details": details}


def _write_failed(url: str, action: str, exc: Exception) -> Text:
    if isinstance(exc, NomagicError):
        why = Text(exc.lang("en"), exc.lang("de"))
    else:  # the driver's words stay English
        why = (str(exc).splitlines() or [type(exc).__name__])[0]
    return say(
        "{action} was done, but the audit log of {url} could not record it: {why}. The audit log is a governance "
        "record, so this command fails; fix the warehouse, then check the log with `nomagic audit verify`.",
        "{action} wurde ausgeführt, aber das Audit-Protokoll von {url} konnte es nicht festhalten: {why}. Das "
        "Audit-Protokoll ist ein Governance-Nachweis, daher schlägt dieser Befehl fehl; das Warehouse reparieren "
        "und das Protokoll dann mit `nomagic audit verify` prüfen.",
        action=action,
        url=_redact(url),
        why=why,
    )


def record_to(url: str | None, action: str, **kw) -> dict:
    """:func:`record` into the warehouse at ``url``, opened for this entry only (for commands that do not
    hold the warehouse, e.g. ``nomagic keys``); waits up to ~10 s while another process holds a DuckDB
    file (a running ``nomagic serve`` opens it briefly now and then)."""
    import time

    deadline = time.monotonic() + 10
    while True:
        try:
            wh = connect(url)
            break
        except WarehouseError as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise AuditError(_write_failed(resolve_url(url), action, exc)) from exc
            time.sleep(0.2)
    with wh:
        return record(wh, action, **kw)


# --------------------------------------------------------------------------- the head file


def _head_path(url: str) -> Path:
    return state_folder(url) / HEAD_FILE


def _read_heads(path: Path) -> dict:
    try:
        return json.loads(path.read_text()).get("logs", {})
    except FileNotFoundError:
        return {}
    except (ValueError, AttributeError) as exc:
        raise InputError(
            say(
                "{path} is not a nomagic audit head file ({err}); it may have been tampered with",
                "{path} ist keine nomagic-Audit-Kopfdatei ({err}); sie wurde womöglich manipuliert",
                path=str(path),
                err=str(exc),
            )
        ) from exc


def _write_head(url: str, seq: int, digest: str, at: datetime) -> None:
    ident = _identity(url)
    if ident is None:
        return
    path = _head_path(url)
    heads = _read_heads(path)
    heads[ident] = {"seq": seq, "hash": digest, "at": _at_text(at) + "Z"}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{HEAD_FILE}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps({"schema": 1, "logs": heads}, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def head(url: str) -> dict | None:
    """What the head file recorded for this warehouse's log: ``{"seq", "hash", "at"}``, or None."""
    ident = _identity(url)
    return None if ident is None else _read_heads(_head_path(url)).get(ident)


# --------------------------------------------------------------------------- verify


@dataclass
class ChainReport:
    """What :func:`verify` found: ``intact``, the number of entries, and the first broken entry."""

    entries: int
    intact: bool
    message: Text
    seq: int | None = None  # the first broken entry
    problem: str | None = None  # edited, missing, duplicate, link, truncated, rewritten, gone
    last_hash: str | None = None

    def to_dict(self) -> dict:
        return {
            "entries": self.entries,
            "intact": self.intact,
            "seq": self.seq,
            "problem": self.problem,
            "message": str(self.message),
            "message_de": self.message.de,
            "last_hash": self.last_hash,
        }


def _broken(entries: int, seq: int | None, problem: str, message: Text) -> ChainReport:
    return ChainReport(entries, False, message, seq, problem)


def _none_if_null(v):
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else v


def verify(wh: Warehouse, expect: tuple[int, str] | None = None) -> ChainReport:
    """Walk the chain from the first entry; report the first one that was edited, deleted, duplicated or moved.

    The newest entry is also compared with the head file (``.nomagic/audit_head.json``) and ``expect``, a
    ``(seq, hash)`` noted earlier (``nomagic audit verify`` prints it): entries cut off the end, or a chain
    rewritten as a whole, show there.

    >>> from nomagic.warehouse import connect
    >>> wh = connect("duckdb://:memory:")
    >>> _ = [record(wh, "data.load", target=t, actor="os:ada") for t in ("orders", "customers")]
    >>> str(verify(wh).message)
    'chain intact: 2 entries'
    """
    anchor = head(wh.url)
    if not wh.has(TABLE):
        if anchor or expect:
            return _broken(
                0,
                None,
                "gone",
                say(
                    "the table {t} is gone, but {file} records {n} written to it",
                    "die Tabelle {t} fehlt, aber {file} verzeichnet {n}, in sie geschrieben",
                    t=TABLE,
                    file=str(_head_path(wh.url)) if anchor else "--expect",
                    n=entries(anchor["seq"] if anchor else int(expect[0])),
                ),
            )
        return ChainReport(0, True, say("no audit log yet: 0 entries", "noch kein Audit-Protokoll: 0 Einträge"))
    rows = wh.table(TABLE).order_by(["seq", "hash"]).execute()
    n = len(rows)
    expected, prev_hash, hashes = 1, GENESIS, {}
    for row in rows.itertuples(index=False):
        seq = int(row.seq) if not pd.isna(row.seq) else None
        if seq is None or seq < expected:
            return _broken(
                n,
                seq,
                "duplicate",
                say(
                    "entry {seq} appears twice: the chain forked (two writers at once) or an entry was copied",
                    "Eintrag {seq} kommt doppelt vor: die Kette hat sich verzweigt (zwei Schreiber zugleich) oder "
                    "ein Eintrag wurde kopiert",
                    seq=str(seq),
                ),
            )
        if seq > expected:
            return _broken(n, expected, "missing", _missing(expected, seq))
        details = _none_if_null(row.details)
        digest = entry_hash(
            str(_none_if_null(row.prev_hash)),
            seq,
            row.at,
            _none_if_null(row.actor),
            _none_if_null(row.action),
            _none_if_null(row.target),
            details,
        )
        if digest != row.hash:
            return _broken(
                n,
                seq,
                "edited",
                say(
                    "entry {seq} ({action}, {at} UTC) was changed after it was written: its contents no longer "
                    "match its hash",
                    "Eintrag {seq} ({action}, {at} UTC) wurde nach dem Schreiben verändert: sein Inhalt passt nicht "
                    "mehr zu seinem Hash",
                    seq=seq,
                    action=str(_none_if_null(row.action)),
                    at=_at_text(row.at)[:19].replace("T", " "),
                ),
            )
        if row.prev_hash != prev_hash:
            return _broken(
                n,
                seq,
                "link",
                say(
                    "entry 1 does not start a chain: its prev_hash is not 64 zeros; the log's beginning was replaced",
                    "Eintrag 1 beginnt keine Kette: sein prev_hash ist nicht 64-mal die Null; der Anfang des "
                    "Protokolls wurde ersetzt",
                )
                if seq == 1
                else say(
                    "entry {seq} does not follow entry {p}: its link (prev_hash) does not match; entry {p} was "
                    "rewritten or entry {seq} was moved here",
                    "Eintrag {seq} folgt nicht auf Eintrag {p}: seine Verknüpfung (prev_hash) passt nicht; "
                    "Eintrag {p} wurde neu geschrieben oder Eintrag {seq} hierher verschoben",
                    seq=seq,
                    p=seq - 1,
                ),
            )
        hashes[seq], prev_hash, expected = row.hash, row.hash, expected + 1
    last = expected - 1
    anchors = []
    if anchor:  # what this machine wrote last, then what the caller noted elsewhere
        file = str(_head_path(wh.url))
        anchors.append((anchor, file, say("the one kept in {file}", "dem in {file}", file=file)))
    if expect:
        anchors.append(
            ({"seq": int(expect[0]), "hash": expect[1]}, "--expect", say("the one you noted", "dem notierten"))
        )
    for mark, source, other in anchors:
        broken = _against(mark, source, other, n, last, hashes)
        if broken:
            return broken
    return ChainReport(
        n,
        True,
        say("chain intact: {n}", "Kette intakt: {n}", n=entries(n)),
        last_hash=prev_hash if n else None,
    )


def _against(mark: dict, source: str, other: Text, n: int, last: int, hashes: dict) -> ChainReport | None:
    """The chain against a hash kept elsewhere: entries cut off the end, or a chain rewritten up to there."""
    if mark["seq"] > last:
        return _broken(
            n,
            last + 1,
            "truncated",
            say(
                "{what} missing from the end: the log stops at {last}, but {source} records that entry {b} was written",
                "{what} am Ende: das Protokoll endet bei {last}, aber {source} verzeichnet, dass Eintrag {b} "
                "geschrieben wurde",
                what=say("entry {b} is", "Eintrag {b} fehlt", b=last + 1)
                if mark["seq"] == last + 1
                else say("entries {a} to {b} are", "Einträge {a} bis {b} fehlen", a=last + 1, b=mark["seq"]),
                b=mark["seq"],
                last=last,
                source=source,
            ),
        )
    if hashes.get(mark["seq"]) != mark["hash"]:
        return _broken(
            n,
            mark["seq"],
            "rewritten",
            say(
                "entry {seq} is not the one written: its hash differs from {other}; the chain was rewritten up to "
                "there",
                "Eintrag {seq} ist nicht der geschriebene: sein Hash weicht von {other} ab; die Kette wurde bis "
                "dorthin neu geschrieben",
                seq=mark["seq"],
                other=other,
            ),
        )
    return None


def entries(n: int) -> Text:
    """``1 entry`` / ``1,200 entries`` (German ``1 Eintrag`` / ``1.200 Einträge``)."""
    return say("{n:,} entry", "{n:,} Eintrag", n=n) if n == 1 else say("{n:,} entries", "{n:,} Einträge", n=n)


def _missing(first: int, found: int) -> Text:
    if first == 1 and found == 2:
        return say(
            "entry 1 is missing: the log starts at entry 2; it was deleted",
            "Eintrag 1 fehlt: das Protokoll beginnt bei Eintrag 2; er wurde gelöscht",
        )
    if first == 1:
        return say(
            "entries 1 to {b} are missing: the log starts at entry {found}; they were deleted",
            "Einträge 1 bis {b} fehlen: das Protokoll beginnt bei Eintrag {found}; sie wurden gelöscht",
            b=found - 1,
            found=found,
        )
    if found - first == 1:
        return say(
            "entry {seq} is missing: the log jumps from {p} to {found}; it was deleted",
            "Eintrag {seq} fehlt: das Protokoll springt von {p} auf {found}; er wurde gelöscht",
            seq=first,
            p=first - 1,
            found=found,
        )
    return say(
        "entries {a} to {b} are missing: the log jumps from {p} to {found}; they were deleted",
        "Einträge {a} bis {b} fehlen: das Protokoll springt von {p} auf {found}; sie wurden gelöscht",
        a=first,
        b=found - 1,
        p=first - 1,
        found=found,
    )


# --------------------------------------------------------------------------- read


def _moment(value, name: str, *, end: bool = False) -> datetime:
    """A bound as a UTC datetime without zone; a bare date as ``until`` includes that whole day."""
    whole_day = isinstance(value, date) and not isinstance(value, datetime)
    if isinstance(value, str):
        text = value.strip()
        whole_day = len(text) == 10
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                say(
                    "{name} {value!r}: give a date (2026-12-01) or a time (2026-12-01T14:30)",
                    "{name} {value!r}: ein Datum (2026-12-01) oder eine Zeit (2026-12-01T14:30) angeben",
                    name=name,
                    value=text,
                )
            ) from None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value + timedelta(days=1) if end and whole_day else value


def read(
    wh: Warehouse,
    since=None,
    until=None,
    action: str | None = None,
    actor: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The entries, oldest first: from ``since`` (inclusive) to ``until`` (a date includes its day),
    of ``action`` (a code like ``model.train`` or its area ``model``), by ``actor`` (``os:ada``, ``ada``,
    or a key's id), the latest ``limit`` of them. An absent log reads as no entries."""
    columns = list(SCHEMA.names)
    if not wh.has(TABLE):
        return pd.DataFrame(columns=columns)
    t = wh.table(TABLE)
    if since is not None:
        t = t.filter(t.at >= _moment(since, "--since"))
    if until is not None:
        t = t.filter(t.at < _moment(until, "--until", end=True))
    if action:
        t = t.filter((t.action == action) | t.action.startswith(action + "."))
    if actor:
        a = t.actor
        t = t.filter((a == actor) | (a == f"os:{actor}") | (a == f"key:{actor}") | a.startswith(f"key:{actor} ("))
    t = t.order_by(ibis.desc("seq"))
    if limit is not None:
        t = t.limit(max(int(limit), 0))
    out = t.execute().sort_values("seq").reset_index(drop=True)
    for col in ("actor", "action", "target", "details"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out[columns]
