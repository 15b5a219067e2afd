"""The rights of the person the data is about: access and portability (Art. 15 / 20 GDPR), erasure
(Art. 17) and objection (Art. 21).

What is *held about a person* (:func:`holdings`), found generically rather than from a list, so that a
table or file added later is covered too:

* **tables**: every warehouse table with a person-id column (``customer_id``, ``unit_id``, plus
  ``[privacy] id_columns`` of ``.nomagic/config.toml``) -> the rows with their id, the simulator's
  ``truth_*`` tables included (they are data about the person as well); then, to a fixed point, rows
  linked to those through a key the person's rows own (a canonical table's one-column key:
  ``orders.order_id`` -> ``order_lines``, ``documents.order_id``; ``messages.message_id`` ->
  ``decisions``; ``documents.document_id`` -> ``truth_documents``); and the ``quarantine`` rows of
  ``nomagic load`` whose raw record holds their id or one of those keys;
* **files** nomagic keeps: everything under ``.nomagic/`` (the registry, e.g. a send-time model's
  ``sendtime_customers.parquet``, bandit state, key files) and the files right next to a DuckDB
  warehouse (score exports, reports): CSV, Parquet, JSON and JSON lines by value, other text by a
  whole-word search;
* **caches**: sentence embeddings of the texts they wrote (kept by sha256 of the text).

:func:`export` writes all of it as one JSON document (schema: ``docs/privacy-export.schema.json``),
with their scores and reasons in plain words (English and German where stored), segments, decisions
and the model versions that processed them. :func:`erase` removes it: every table in one transaction
(nothing is removed when one statement fails, and the error names the table), files rewritten without
their rows and swapped in after the commit, cached embeddings dropped, a DuckDB file compacted so no
deleted bytes stay on disk; the salted hash of the id (and of the keys of their rows) goes into
``privacy_suppressed`` so that a re-load of an old file does not bring them back
(:mod:`nomagic.warehouse.ingest` drops such rows), the erasure into the audit log under a pseudonym,
and the registry versions that saw them into ``.nomagic/erasures.json`` (:func:`versions_with_erased`)
for ``nomagic retrain`` to flag. :func:`object_to_processing` records an objection in
``privacy_objections``, which :mod:`.consent` reads.

Finding and deleting rows lives in :mod:`.subject_store`, files and caches in :mod:`.subject_files`.
These modules import only the warehouse, words, errors and their sibling privacy modules.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from nomagic.errors import InputError, WarehouseError, writable
from nomagic.privacy import audit, pii, subject_files
from nomagic.privacy import subject_store as store
from nomagic.privacy.consent import OBJECTIONS_TABLE
from nomagic.privacy.subject_files import ERASURES_FILE, FileHit
from nomagic.privacy.subject_store import ID_COLUMNS, PERSON, SUPPRESSED, id_columns
from nomagic.warehouse import ingest
from nomagic.warehouse.connection import Warehouse, _redact
from nomagic.warehouse.schema import CANONICAL
from nomagic.words import Text, join, localise, say

EXPORT_SCHEMA = 1
_REASON = re.compile(r"^reasons?(_\d+)?$")  # reason, reason_1, reason_2, ...

# the ingest layer cannot know the salt: install the salted hash it checks loads against
ingest.set_suppression_hasher(lambda wh: functools.partial(audit.pseudonym, salt=audit.load_salt(wh.url)))


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds") + "Z"


def _clean_id(customer_id) -> str:
    if isinstance(customer_id, float) and customer_id.is_integer():
        customer_id = int(customer_id)
    text = "" if customer_id is None else str(customer_id).strip()
    if not text:
        raise InputError(
            say(
                "give the person's id with --customer (it is empty)",
                "die Kennung der Person mit --customer angeben (sie ist leer)",
            )
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):  # no id holds control characters; SQL cannot take NUL
        raise InputError(
            say(
                "the person's id {id!r} holds control characters: no customer id does",
                "die Kennung {id!r} enthält Steuerzeichen: keine Kundenkennung tut das",
                id=text,
            )
        )
    return text


def registry_root(url: str | None) -> Path:
    """The registry folder of the warehouse at ``url`` (as :mod:`nomagic.lifecycle.registry` places it)."""
    env = os.environ.get("NOMAGIC_REGISTRY")
    return Path(env) if env else audit.state_folder(url) / "registry"


def _salt(wh: Warehouse) -> str:
    return audit.load_salt(wh.url)


def _erased_at(wh: Warehouse, ps: str) -> datetime | None:
    if not wh.has(SUPPRESSED):
        return None
    t = wh.table(SUPPRESSED)
    hit = t.filter(t.hash == ps)
    if "kind" in t.columns:
        hit = hit.filter(t.kind.isnull() | (t.kind == PERSON))
    at = hit.erased_at.min().execute() if "erased_at" in t.columns else None
    if at is None or pd.isna(at):
        return None if hit.count().execute() == 0 else store.now()
    return pd.Timestamp(at).to_pydatetime()


def holdings(wh: Warehouse, customer_id) -> dict:
    """Everything held about one person: ``{"customer_id", "pseudonym", "tables": {table: DataFrame},
    "files": [FileHit], "caches": [{"path", "entries"}], "erased_at"}`` (see the module docstring); only
    tables and files that hold them are listed."""
    return _holdings(wh, _clean_id(customer_id))[0]


def _holdings(wh: Warehouse, cid: str) -> tuple[dict, store.Found]:
    found = store.find(wh, cid)
    files = []
    for path in subject_files.files_to_scan(wh):
        try:
            hit = subject_files.scan_file(path, cid, found.linked)
        except (OSError, ValueError):  # unreadable (a file being written): named, never skipped silently
            hit = FileHit(path, subject_files.file_format(path), 0, None, rewritable=False)
        if hit is not None:
            files.append(hit)
    ps = audit.pseudonym(cid, _salt(wh))
    held = {
        "customer_id": cid,
        "pseudonym": ps,
        "tables": dict(found.rows),
        "files": files,
        "caches": [{k: v for k, v in c.items() if k != "keys"} for c in subject_files.cache_hits(wh, found)],
        "erased_at": _erased_at(wh, ps),
    }
    return held, found


def _held(held: dict) -> bool:
    return bool(held["tables"] or held["files"] or held["caches"])


def _registry_versions(url: str | None) -> list[dict]:
    """Every registered version with what its record says about its data (read-only, no lifecycle import)."""
    root = registry_root(url)
    out = []
    if not root.is_dir():
        return out
    for index in sorted(root.glob("*/index.json")):
        try:
            rows = json.loads(index.read_text())["versions"]
        except (ValueError, KeyError, OSError):
            continue
        for row in rows:
            folder = index.parent / row["version"]
            try:
                record = json.loads((folder / "record.json").read_text())
            except (OSError, ValueError):
                record = {}
            data, split = record.get("data") or {}, record.get("split") or {}
            end = data.get("end") or split.get("data_end") or split.get("observation_end") or split.get("holdout_end")
            out.append(
                {
                    "use_case": index.parent.name,
                    "version": row["version"],
                    "status": row.get("status"),
                    "created_at": row.get("created_at"),
                    "tables": data.get("tables"),
                    "data_end": end,
                }
            )
    return out


def _naive(value) -> pd.Timestamp | None:
    """A time as a UTC timestamp without zone, or None (unknown)."""
    at = pd.to_datetime(value, errors="coerce", utc=True)
    return None if at is None or pd.isna(at) else at.tz_convert(None)


def _first_seen(found: store.Found) -> pd.Timestamp | None:
    """When the person's data begins: the earliest time column of their rows in canonical tables."""
    times = []
    for name, rows in found.rows.items():
        table = CANONICAL.get(name)
        if table is not None and table.time_column in rows.columns:
            times.append(_naive(pd.to_datetime(rows[table.time_column], errors="coerce").min()))
    times = [t for t in times if t is not None]
    return min(times) if times else None


def _trained_on(found: store.Found, url: str | None, before: datetime) -> list[dict]:
    """Versions whose training data could include the person: registered before ``before``, on data from
    tables that hold them (or tables not recorded), ending after their data began."""
    held, first = set(found.rows), _first_seen(found)
    out = []
    for v in _registry_versions(url):
        created = _naive(v["created_at"])
        if created is not None and created > pd.Timestamp(before):
            continue
        if v["tables"] is not None and not (set(v["tables"]) & held):
            continue  # aggregates only (a marketing-mix model on spend and KPIs)
        end = _naive(v["data_end"])
        if first is not None and end is not None and first > end:
            continue  # their data began after this version's data ended
        out.append(v)
    return out


def _scored_by(found: store.Found) -> list[dict]:
    """(use case, version) pairs that scored the person (a ``model_version`` in their scores) or decided about
    them (their ``decisions``), with the tables that say so."""
    out = {}
    for name, rows in found.rows.items():
        if "model_version" not in rows.columns:
            continue
        if "use_case" in rows.columns:
            pairs = zip(rows["use_case"], rows["model_version"], strict=True)
        else:
            pairs = ((_use_case_of(name), v) for v in rows["model_version"])
        for uc, v in pairs:
            if v is not None and not pd.isna(v):
                out.setdefault((str(uc), str(v)), set()).add(name)
    return [{"use_case": uc, "version": v, "tables": sorted(t)} for (uc, v), t in sorted(out.items())]


def _use_case_of(table: str) -> str:
    name = table.removeprefix("scores_").removesuffix("_scores").removesuffix("_shadow")
    return "recommend" if name == "recommendations" else name


def _score_entries(found: store.Found) -> list[dict]:
    """Scores (``scores_*``, ``*_scores``, recommendations) with their reasons in plain words, EN and DE."""
    out = []
    for name, rows in sorted(found.rows.items()):
        if not (name.startswith("scores_") or name.endswith("_scores") or name == "recommendations"):
            continue
        reason_cols = [c for c in rows.columns if _REASON.match(c)]
        values = [
            c for c in rows.columns if c not in reason_cols and not (c.endswith("_de") and c[:-3] in rows.columns)
        ]
        for rec, full in zip(store.records(rows[values]), store.records(rows), strict=True):
            out.append(
                {
                    "table": name,
                    "use_case": _use_case_of(name),
                    "values": rec,
                    "reasons": [full[c] for c in reason_cols if full.get(c)],
                    "reasons_de": [full.get(f"{c}_de") or full[c] for c in reason_cols if full.get(c)],
                }
            )
    return out


def _consent(found: store.Found) -> dict:
    out = {}
    customers = found.rows.get("customers")
    if customers is not None and len(customers):
        row = store.records(customers.head(1))[0]
        out = {k: row.get(k) for k in ("consent_email", "consent_profiling") if k in row}
    objections = found.rows.get(OBJECTIONS_TABLE)
    if objections is not None and len(objections):
        out["objected_at"] = store.records(objections.head(1))[0].get("objected_at")
    return out


def export_document(wh: Warehouse, customer_id) -> dict:
    """The Art. 15 / 20 document about one person (what :func:`export` writes), without writing or logging it."""
    cid = _clean_id(customer_id)
    held, found = _holdings(wh, cid)
    now = store.now()
    doc = {
        "schema": EXPORT_SCHEMA,
        "kind": "nomagic.subject-export",
        "created_at": _iso(now),
        "warehouse": _redact(wh.url),
        "customer_id": cid,
        "found": _held(held),
    }
    if not doc["found"]:
        erased = held["erased_at"]
        doc["erased_at"] = _iso(erased) if erased else None
        doc["message"] = (
            say(
                "no data held about this person: {id} was erased on {d}",
                "keine Daten zu dieser Person gespeichert: {id} wurde am {d} gelöscht",
                id=cid,
                d=erased,
            )
            if erased
            else say(
                "no data held about this person: {id} is in no table and no file",
                "keine Daten zu dieser Person gespeichert: {id} steht in keiner Tabelle und keiner Datei",
                id=cid,
            )
        )
        return localise(doc)
    tables = {
        name: {"columns": [str(c) for c in rows.columns], "rows": store.records(rows)}
        for name, rows in held["tables"].items()
    }
    trained = {(v["use_case"], v["version"]): v for v in _trained_on(found, wh.url, now)}
    scored = {(s["use_case"], s["version"]): s for s in _scored_by(found)}
    models = []
    for key in sorted(set(trained) | set(scored)):
        v = trained.get(key, {})
        used = scored.get(key, {}).get("tables", [])
        how = ["trained"] if key in trained else []
        how += ["scored"] if any(t != "decisions" for t in used) else []
        how += ["decided"] if "decisions" in used else []
        models.append(
            {
                "use_case": key[0],
                "version": key[1],
                "status": v.get("status"),
                "created_at": v.get("created_at"),
                "how": how,
            }
        )
    decisions = found.rows.get("decisions")
    segments = found.rows.get("segments")
    n_rows = sum(len(r) for r in held["tables"].values())
    doc.update(
        {
            "message": say(
                "{n:,} rows in {t:,} tables and {f:,} files hold data about {id}",
                "{n:,} Zeilen in {t:,} Tabellen und {f:,} Dateien enthalten Daten zu {id}",
                n=n_rows,
                t=len(tables),
                f=len(held["files"]),
                id=cid,
            ),
            "consent": _consent(found),
            "tables": tables,
            "scores": _score_entries(found),
            "segments": store.records(segments) if segments is not None else [],
            "decisions": store.records(decisions) if decisions is not None else [],
            "models": models,
            "files": [h.to_dict() for h in held["files"]],
            "caches": held["caches"],
        }
    )
    return localise(doc)


def export(wh: Warehouse, customer_id, out_path, *, actor: str | None = None) -> dict:
    """Write everything held about one person to ``out_path`` as JSON (Art. 15 / 20 GDPR) and log the export.

    An unknown or erased id gives a document with ``"found": false`` and the message "no data held about
    this person". Returns the document. Schema: ``docs/privacy-export.schema.json``.
    """
    out_path = writable(out_path)
    doc = export_document(wh, customer_id)
    fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    os.replace(tmp, out_path)
    log_export(wh, doc, actor=actor)
    return doc


def log_export(wh: Warehouse, doc: dict, *, actor: str | None = None) -> None:
    """Record in the audit log that ``doc`` (an :func:`export_document`) was handed out: pseudonym and counts."""
    details = {
        "found": doc["found"],
        "tables": {t: len(v["rows"]) for t, v in doc.get("tables", {}).items()},
        "files": len(doc.get("files", [])),
    }
    audit.record(
        wh, "privacy.export", target=audit.pseudonym(doc["customer_id"], _salt(wh)), details=details, actor=actor
    )


@dataclass
class Erasure:
    """What :func:`erase` did."""

    pseudonym: str
    tables: dict[str, int]
    files: list[dict]
    caches: int
    versions: list[dict]
    remaining: list[Text] = field(default_factory=list)
    warnings: list[Text] = field(default_factory=list)
    compacted: bool = False

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    @property
    def words(self) -> Text:
        """One sentence: what was removed, in English and German."""
        if not self.rows and not self.files and not self.caches:
            return say(
                "no data was held about {ps}; it is on the suppression list, so no load brings it in",
                "zu {ps} waren keine Daten gespeichert; die Person steht auf der Sperrliste, kein Laden bringt sie "
                "herein",
                ps=self.pseudonym,
            )
        return say(
            "erased {ps}: {n:,} rows from {t:,} tables, {f:,} files rewritten, {c:,} cached embeddings dropped; "
            "on the suppression list, so no load brings them back",
            "{ps} gelöscht: {n:,} Zeilen aus {t:,} Tabellen, {f:,} Dateien neu geschrieben, {c:,} zwischengespeicherte "
            "Embeddings entfernt; auf der Sperrliste, kein Laden bringt die Person zurück",
            ps=self.pseudonym,
            n=self.rows,
            t=len(self.tables),
            f=len(self.files),
            c=self.caches,
        )

    def to_dict(self) -> dict:
        return localise(
            {
                "pseudonym": self.pseudonym,
                "tables": self.tables,
                "files": self.files,
                "caches": self.caches,
                "versions": self.versions,
                "remaining": self.remaining,
                "warnings": self.warnings,
                "compacted": self.compacted,
                "message": self.words,
            }
        )


def _erasures_path(root: Path) -> Path:
    return Path(root).parent / ERASURES_FILE


def _read_erasures(path: Path) -> list[dict]:
    try:
        return json.loads(path.read_text())["erasures"]
    except FileNotFoundError:
        return []
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(
            say(
                "{path} is not a nomagic erasures file ({e}); restore it from a backup",
                "{path} ist keine nomagic-Löschdatei ({e}); sie aus einer Sicherung wiederherstellen",
                path=str(path),
                e=str(exc),
            )
        ) from exc


def _note_erasure(root: Path, ps: str, at: datetime, versions: list[dict]) -> None:
    path = _erasures_path(root)
    entries = _read_erasures(path)
    entries.append(
        {
            "hash": ps,
            "erased_at": _iso(at),
            "versions": [{"use_case": v["use_case"], "version": v["version"]} for v in versions],
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{ERASURES_FILE}.")
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps({"schema": 1, "erasures": entries}, indent=1) + "\n")
    os.replace(tmp, path)


def versions_with_erased(registry_root) -> list[dict]:
    """The registry versions whose training data may hold people erased since: ``[{"use_case", "version",
    "erased": n, "last_erased_at"}]``, for ``nomagic retrain`` to flag (read from ``.nomagic/erasures.json``
    next to the registry; no ids, only hashes, are kept there).

    >>> import tempfile
    >>> versions_with_erased(Path(tempfile.mkdtemp()) / "registry")
    []
    """
    seen: dict[tuple[str, str], dict] = {}
    for entry in _read_erasures(_erasures_path(Path(registry_root))):
        for v in entry.get("versions", []):
            row = seen.setdefault((v["use_case"], v["version"]), {**v, "erased": 0, "last_erased_at": None})
            row["erased"] += 1
            row["last_erased_at"] = max(filter(None, [row["last_erased_at"], entry.get("erased_at")]))
    return [seen[k] for k in sorted(seen)]


def _clean_reason(reason: str | None, cid: str, ps: str) -> str | None:
    """The reason as stored: never with the id or other personal data in clear (it goes into the audit log)."""
    reason = pii.mask_note(reason)
    return None if reason is None else reason.replace(cid, ps)


def erase(
    wh: Warehouse,
    customer_id,
    reason: str | None = None,
    *,
    actor: str | None = None,
    compact: bool = True,
) -> Erasure:
    """Erase one person (Art. 17 GDPR) from every table, file and cache that holds them; see the module docstring.

    The tables change in one transaction (on failure nothing is removed and the error names the table);
    rewritten files are prepared first and swapped in after the commit. The salted hash of the id goes into
    ``privacy_suppressed`` (so no load brings them back), the erasure into the audit log (pseudonym and
    counts, never the id), the registry versions that saw them into ``.nomagic/erasures.json``. ``compact``
    rewrites a DuckDB file afterwards so no bytes of the deleted rows remain (this process must hold the only
    connection to it; ``wh.con`` is reopened). An unknown id is put on the suppression list all the same.
    """
    cid = _clean_id(customer_id)
    salt = _salt(wh)
    ps = audit.pseudonym(cid, salt)
    reason = _clean_reason(reason, cid, ps)
    held, found = _holdings(wh, cid)
    at = store.now()
    versions = _trained_on(found, wh.url, at) if found.rows else []
    hashes = [(ps, PERSON)] + [
        (audit.pseudonym(v, salt), k) for k, vals in sorted(found.linked.items()) for v in sorted(vals)
    ]
    remaining = [h for h in held["files"] if not h.rewritable]
    prepared: list[tuple[Path, FileHit]] = []
    try:
        for hit in held["files"]:
            if hit.rewritable:
                tmp = subject_files.rewrite(hit, cid, found.linked)
                prepared.append((tmp, hit))
                left = None if hit.format == "parquet" else subject_files.scan_text(tmp, cid)
                if left is not None:  # the id inside longer text (a comment field): named, not guessed at
                    remaining.append(FileHit(hit.path, hit.format, left.count, None, rewritable=False))
        store.transaction(wh, store.statements(wh, found, hashes, reason, at))
    except BaseException:
        for tmp, _ in prepared:
            tmp.unlink(missing_ok=True)
        raise
    files = []
    for tmp, hit in prepared:
        os.replace(tmp, hit.path)
        files.append({"path": str(hit.path), "rows": hit.count})
    caches = subject_files.drop_cached([c for c in subject_files.cache_hits(wh, found)])
    _note_erasure(registry_root(wh.url), ps, at, versions)
    details = {
        "tables": found.counts(),
        "files": len(files),
        "caches": caches,
        "versions": len(versions),
        "reason": reason,
    }
    audit.record(wh, "privacy.erase", target=ps, details=details, actor=actor)
    result = Erasure(ps, found.counts(), files, caches, [{k: v[k] for k in ("use_case", "version")} for v in versions])
    if compact:
        warning = store.compact(wh)
        result.compacted = warning is None and store.warehouse_file(wh) is not None
        if warning is not None:
            result.warnings.append(warning)
    result.remaining = _left(wh, cid, remaining)
    return result


def _left(wh: Warehouse, cid: str, files: list[FileHit]) -> list[Text]:
    """What still names the person after an erasure, each with what to do about it."""
    out = []
    for name, n in store.still_in_tables(wh, cid).items():
        out.append(
            say(
                "table {t}: {n:,} rows still hold the id in a column nomagic does not treat as a person id; add it to "
                "[privacy] id_columns in .nomagic/config.toml and erase again",
                "Tabelle {t}: {n:,} Zeilen enthalten die Kennung noch in einer Spalte, die nomagic nicht als "
                "Personenkennung behandelt; sie in .nomagic/config.toml unter [privacy] id_columns eintragen und "
                "erneut löschen",
                t=name,
                n=n,
            )
        )
    for hit in files:
        out.append(
            say(
                "{p} mentions the person ({n:,} times) in a form nomagic cannot rewrite; regenerate or delete it",
                "{p} nennt die Person ({n:,}-mal) in einer Form, die nomagic nicht umschreiben kann; die Datei neu "
                "erzeugen oder löschen",
                p=str(hit.path),
                n=hit.count,
            )
        )
    return out


def object_to_processing(wh: Warehouse, customer_id, *, actor: str | None = None) -> dict:
    """Record an objection (Art. 21 GDPR) in ``privacy_objections(customer_id, objected_at)`` and log it.

    From then on :mod:`.consent` leaves the person out of every profiling and e-mail output. Returns
    ``{"pseudonym", "objected_at", "new", "known", "message"}``; objecting twice keeps the first date.
    """
    cid = _clean_id(customer_id)
    ps = audit.pseudonym(cid, _salt(wh))
    known = False
    if wh.has("customers") and "customer_id" in wh.table("customers").columns:
        c = wh.table("customers")
        known = bool(c.filter(c.customer_id.cast("string") == cid).count().execute())
    before = None
    if wh.has(OBJECTIONS_TABLE):
        o = wh.table(OBJECTIONS_TABLE)
        if "customer_id" not in o.columns or "objected_at" not in o.columns:
            raise WarehouseError(
                say(
                    "the table {t} needs the columns customer_id and objected_at (it has: {cols}); fix it first",
                    "die Tabelle {t} braucht die Spalten customer_id und objected_at (sie hat: {cols}); sie zuerst "
                    "reparieren",
                    t=OBJECTIONS_TABLE,
                    cols=", ".join(o.columns),
                )
            )
        at = o.filter(o.customer_id.cast("string") == cid).objected_at.min().execute()
        before = None if at is None or pd.isna(at) else pd.Timestamp(at).to_pydatetime()
    at = before or store.now()
    if before is None:
        wh.append(
            OBJECTIONS_TABLE,
            pd.DataFrame({"customer_id": [cid], "objected_at": [pd.Timestamp(at)]}).astype(
                {"objected_at": "datetime64[us]"}
            ),
        )
        audit.record(wh, "privacy.object", target=ps, details={"known": known}, actor=actor)
    parts = [
        say(
            "objection of {ps} recorded on {d}: no more profiling or direct marketing",
            "Widerspruch von {ps} am {d} erfasst: kein Profiling und keine Direktwerbung mehr",
            ps=ps,
            d=at,
        )
        if before is None
        else say(
            "{ps} objected already on {d}; nothing changed",
            "{ps} hat bereits am {d} widersprochen; nichts geändert",
            ps=ps,
            d=at,
        )
    ]
    if not known:
        parts.append(
            say(
                "(not in the customers table yet: the objection holds when they are loaded)",
                "(noch nicht in der Tabelle customers: der Widerspruch gilt, sobald die Person geladen wird)",
            )
        )
    return {"pseudonym": ps, "objected_at": at, "new": before is None, "known": known, "message": join(parts)}


__all__ = [
    "Erasure",
    "FileHit",
    "ID_COLUMNS",
    "erase",
    "export",
    "export_document",
    "holdings",
    "id_columns",
    "object_to_processing",
    "registry_root",
    "versions_with_erased",
]
