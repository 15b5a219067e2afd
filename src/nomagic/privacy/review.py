"""Human review of significant automated decisions (Art. 22 GDPR): a queue a person works through.

Which decisions are *significant* (a legal or similarly significant effect, e.g. excluding a customer
from an offer) is the user's call, written in ``.nomagic/config.toml`` next to the registry::

    [review]
    decisions = ["exclude from offer", "uplift: not targeted"]   # actions, or "use case: action"
    use_cases = ["uplift"]                                         # every decision of these use cases

A significant decision is not acted on: the place that produces it (the uplift target list, an online
bandit decision) calls :func:`route` / :func:`enqueue`, which append it to the warehouse table
``review_queue`` as *pending*, and says "held for human review". A person approves it (the proposed
action is taken) or overrides it (it is not) with :func:`decide`; the audit log gets ``review.approve``
or ``review.override`` naming the person by pseudonym only.

The queue is append-only: a decision is a new row with the same ``review_id`` and the new status, so the
history of every item stays readable; :func:`current` gives the latest row per item. Ids are kept in the
warehouse (a reviewer must know whom a decision is about; erasure removes them, ``unit_id`` being a
person column), never in the audit log.

Examples
--------
>>> from nomagic.warehouse import connect
>>> cfg = ReviewConfig(decisions=frozenset({"uplift: not targeted"}))
>>> needs_review("uplift", "not targeted", cfg), needs_review("uplift", "targeted", cfg)
(True, False)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from nomagic.errors import InputError, NomagicError
from nomagic.privacy import audit, config, pii
from nomagic.words import Text, say

TABLE = "review_queue"
PENDING, APPROVED, OVERRIDDEN = "pending", "approved", "overridden"
STATUSES = (PENDING, APPROVED, OVERRIDDEN)
COLUMNS = (
    "review_id",
    "recorded_at",
    "created_at",
    "use_case",
    "unit_id",
    "action",
    "reasons",
    "reasons_de",
    "model_version",
    "status",
    "decided_by",
    "decided_at",
    "note",
)
_TIME_COLUMNS = ("recorded_at", "created_at", "decided_at")
MAX_NOTE = 2000

HELD = say("held for human review", "zur menschlichen Prüfung zurückgehalten")
#: a status in words (the codes stay English in the table and the API)
STATUS_WORDS = {
    PENDING: say("pending", "offen"),
    APPROVED: say("approved", "freigegeben"),
    OVERRIDDEN: say("overridden", "verworfen"),
}


class ReviewError(NomagicError):
    """A review item that does not exist, or one that was decided already."""


# ------------------------------------------------------------------------------------------- config


@dataclass(frozen=True)
class ReviewConfig:
    """The ``[review]`` table: significant ``decisions`` (actions or ``"use case: action"``) and whole
    ``use_cases`` (``"bandit"`` covers every ``bandit:<experiment>``). Empty: nothing needs a person."""

    decisions: frozenset[str] = frozenset()
    use_cases: frozenset[str] = frozenset()
    path: Path | None = field(default=None, compare=False)

    def __bool__(self) -> bool:
        return bool(self.decisions or self.use_cases)


def config_path(url: str | None = None) -> Path:
    """``.nomagic/config.toml`` next to the warehouse (and the registry)."""
    return audit.state_folder(url) / "config.toml"


def _names(doc: dict, key: str, path: Path) -> frozenset[str]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(
            say(
                '{path}: review.{key} must be a list of names, e.g. {key} = ["{example}"]; got {got!r}',
                '{path}: review.{key} muss eine Liste von Namen sein, z. B. {key} = ["{example}"]; erhalten: {got!r}',
                path=str(path),
                key=key,
                example="uplift: not targeted" if key == "decisions" else "uplift",
                got=value,
            )
        )
    return frozenset(_norm(v) for v in value)


def load_config(path: str | Path | None = None, *, url: str | None = None) -> ReviewConfig:
    """The ``[review]`` table of ``path`` (default: :func:`config_path` of ``url``); empty without a file.

    A file that is not TOML, a ``[review]`` that is not a table, an unknown key or a value that is not a
    list of names is an :class:`~nomagic.errors.InputError` naming the file and the key."""
    path = Path(path) if path is not None else config_path(url)
    if not path.exists():
        return ReviewConfig(path=path)
    doc = config.read(path)
    table = doc.get("review", {})
    if not isinstance(table, dict):
        raise InputError(
            say("{path}: [review] must be a table", "{path}: [review] muss eine Tabelle sein", path=str(path))
        )
    unknown = sorted(set(table) - {"decisions", "use_cases"})
    if unknown:  # a typo ("decision") would silently let significant decisions through
        raise InputError(
            say(
                "{path}: review.{key} is not a known key; use review.decisions and review.use_cases",
                "{path}: review.{key} ist kein bekannter Schlüssel; review.decisions und review.use_cases verwenden",
                path=str(path),
                key=unknown[0],
            )
        )
    return ReviewConfig(_names(table, "decisions", path), _names(table, "use_cases", path), path)


def _norm(name: str) -> str:
    """Compare names without case and with one space after a colon: "Uplift:not targeted" = "uplift: not targeted"."""
    head, sep, tail = str(name).strip().lower().partition(":")
    return f"{head.strip()}: {tail.strip()}" if sep else head.strip()


def needs_review(use_case: str, action: str, config: ReviewConfig) -> bool:
    """True when a person must approve ``action`` of ``use_case`` before it is acted on."""
    if not config:
        return False
    uc, act = _norm(use_case), _norm(action)
    family = uc.split(":", 1)[0].strip()  # "bandit: promo" -> "bandit"
    return bool({uc, family} & config.use_cases) or bool({act, f"{uc}: {act}", f"{family}: {act}"} & config.decisions)


# ------------------------------------------------------------------------------------------- queue


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The queue's column types, the same on every append (strings may be empty, times are microseconds)."""
    out = frame.reindex(columns=list(COLUMNS))
    for c in COLUMNS:
        if c in _TIME_COLUMNS:
            out[c] = pd.to_datetime(out[c]).astype("datetime64[us]")
        else:
            out[c] = out[c].astype("string")  # a typed column even when all null (nobody decided yet)
    return out


def _reasons(reasons) -> tuple[str, str]:
    """(English, German) of a Text, a string or a list of them (joined with "; ")."""
    items = [reasons] if isinstance(reasons, str) or reasons is None else list(reasons)
    items = [r for r in items if r]
    en = "; ".join(str(r) for r in items)
    de = "; ".join(r.de if isinstance(r, Text) else str(r) for r in items)
    return en, de


def item_rows(
    use_case: str,
    unit_ids: Iterable,
    actions: Iterable,
    reasons: Iterable,
    model_version: str | None,
    *,
    review_ids: Iterable[str] | None = None,
    at: datetime | None = None,
) -> pd.DataFrame:
    """New pending rows of the queue (not yet written): for callers that buffer (the server's decision log)."""
    at = at or _now()
    units = [str(u) for u in unit_ids]
    acts = [str(a) for a in actions]
    words = [_reasons(r) for r in reasons]
    ids = list(review_ids) if review_ids is not None else [uuid.uuid4().hex for _ in units]
    return _typed(
        pd.DataFrame(
            {
                "review_id": ids,
                "recorded_at": at,
                "created_at": at,
                "use_case": str(use_case),
                "unit_id": units,
                "action": acts,
                "reasons": [w[0] for w in words],
                "reasons_de": [w[1] for w in words],
                "model_version": None if model_version is None else str(model_version),
                "status": PENDING,
            }
        )
    )


def frame(rows: list[dict]) -> pd.DataFrame:
    """Rows of the queue (dicts, e.g. buffered rows of :func:`item_rows`) as a frame to append."""
    return _typed(pd.DataFrame(rows))


def enqueue(wh, use_case: str, unit_id, action: str, reasons, model_version: str | None) -> str:
    """Append one pending decision to ``review_queue``; returns its ``review_id``."""
    rows = item_rows(use_case, [unit_id], [action], [reasons], model_version)
    wh.append(TABLE, rows)
    return str(rows["review_id"].iloc[0])


def current(wh) -> pd.DataFrame:
    """The latest row of every item of the queue (all statuses), oldest item first."""
    if not wh.has(TABLE):
        return _typed(pd.DataFrame(columns=list(COLUMNS)))
    df = wh.table(TABLE).execute()
    if df.empty:
        return _typed(df)
    # the newest row per item wins; at the same instant a decision wins over "pending"
    df = df.assign(_decided=(df["status"] != PENDING).astype(int))
    df = df.sort_values(["recorded_at", "_decided"], kind="stable").drop_duplicates("review_id", keep="last")
    return _typed(df.drop(columns="_decided").sort_values("created_at", kind="stable").reset_index(drop=True))


def pending(wh) -> pd.DataFrame:
    """The items still waiting for a person (oldest first)."""
    df = current(wh)
    return df[df["status"] == PENDING].reset_index(drop=True)


def get(wh, review_id: str) -> dict:
    """The latest state of one item; :class:`ReviewError` when there is none."""
    df = current(wh)
    hit = df[df["review_id"] == str(review_id)]
    if hit.empty:
        raise ReviewError(
            say(
                "no review item {id!r} in {t}: see the pending ones on the dashboard's Review page or "
                "GET /api/v1/review",
                "kein Prüfeintrag {id!r} in {t}: die offenen stehen auf der Seite Prüfung des Dashboards oder unter "
                "GET /api/v1/review",
                id=str(review_id)[:64],
                t=TABLE,
            )
        )
    return hit.iloc[0].to_dict()


def decide(wh, review_id: str, approve: bool, by: str | None = None, note: str | None = None) -> dict:
    """Approve (the proposed action is taken) or override (it is not) a pending item; logged in the audit log.

    Returns the item's new state. :class:`ReviewError` for an unknown item or one decided already (a
    decision is final: a change of mind is a new automated decision, reviewed again)."""
    item = get(wh, review_id)
    if item["status"] != PENDING:
        raise ReviewError(
            say(
                "review item {id} was {status} already by {by} on {at}; a decision is final",
                "Prüfeintrag {id} wurde bereits am {at} von {by} {status}; eine Entscheidung ist endgültig",
                id=str(review_id),
                status=STATUS_WORDS.get(item["status"], item["status"]),
                by=item.get("decided_by") or "-",
                at=pd.Timestamp(item["decided_at"]) if pd.notna(item.get("decided_at")) else "-",
            )
        )
    by = by or audit.os_user()
    note = pii.mask_note(note, MAX_NOTE)
    at = _now()
    row = {**item, "recorded_at": at, "status": APPROVED if approve else OVERRIDDEN}
    row.update(decided_by=by, decided_at=at, note=note)
    wh.append(TABLE, _typed(pd.DataFrame([row])))
    audit.record(
        wh,
        "review.approve" if approve else "review.override",
        target=audit.pseudonym(item["unit_id"], audit.load_salt(wh.url)),
        # the note stays in the queue (it may name the person); the log links to it by review_id
        details={
            "review_id": str(review_id),
            "use_case": item["use_case"],
            "action": item["action"],
            "model_version": item.get("model_version"),
            "note": note is not None,
        },
        actor=by,
    )
    return {**item, **row}


# ------------------------------------------------------------------------------------------- routing


def route(
    wh, use_case: str, frame: pd.DataFrame, *, config: ReviewConfig, id_col: str = "customer_id"
) -> tuple[pd.Series, pd.Series]:
    """Send the significant decisions of ``frame`` (columns ``id_col``, ``action``, ``reasons`` and
    ``reasons_de``, optional ``model_version``) to the queue; returns per row its review status (``None``: not significant, acted on;
    ``pending``: held; ``approved`` / ``overridden``: a person decided) and its ``review_id``.

    A decision already in the queue (same use case, person, action and model version) is not queued twice:
    its current status counts (so an approval made yesterday lets today's list act on it)."""
    status = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    ids = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    if not config or frame.empty:
        return status, ids
    sig = frame["action"].map(lambda a: needs_review(use_case, a, config)).astype(bool)
    if not sig.any():
        return status, ids
    raw = frame["model_version"] if "model_version" in frame.columns else pd.Series(None, index=frame.index)
    versions = pd.Series([None if pd.isna(v) else str(v) for v in raw], index=frame.index, dtype=object)
    key = pd.Series(
        list(zip(frame[id_col].astype(str), frame["action"].astype(str), versions.astype(str), strict=True)),
        index=frame.index,
    )
    known = current(wh)
    known = known[known["use_case"] == use_case]
    seen = {
        (u, a, str(v)): (s, r)
        for u, a, v, s, r in zip(
            known["unit_id"], known["action"], known["model_version"], known["status"], known["review_id"], strict=True
        )
    }
    new = []
    for i in frame.index[sig.to_numpy()]:
        hit = seen.get(key[i])
        if hit is None:
            new.append(i)
        else:
            status[i], ids[i] = hit
    if new:
        part = frame.loc[new]
        rows = item_rows(
            use_case,
            part[id_col],
            part["action"],
            _frame_reasons(part),
            None,
        )
        rows["model_version"] = versions.loc[new].to_numpy()
        wh.append(TABLE, _typed(rows))
        status[new] = PENDING
        ids[new] = rows["review_id"].to_numpy()
    return status, ids


def _frame_reasons(part: pd.DataFrame) -> list:
    """The ``reasons`` column as Texts: a frame keeps plain strings, so the German comes as ``reasons_de``."""
    if "reasons" not in part.columns:
        return [None] * len(part)
    de = part["reasons_de"] if "reasons_de" in part.columns else part["reasons"]
    return [
        None if pd.isna(e) else Text(str(e), None if pd.isna(d) else str(d))
        for e, d in zip(part["reasons"], de, strict=True)
    ]


def held_words(n: int) -> Text:
    """ "12 decisions held for human review" (EN/DE)."""
    if n == 1:
        return say("1 decision held for human review", "1 Entscheidung zur menschlichen Prüfung zurückgehalten")
    return say(
        "{n:,} decisions held for human review", "{n:,} Entscheidungen zur menschlichen Prüfung zurückgehalten", n=n
    )


__all__ = [
    "APPROVED",
    "COLUMNS",
    "HELD",
    "OVERRIDDEN",
    "PENDING",
    "STATUSES",
    "TABLE",
    "ReviewConfig",
    "ReviewError",
    "config_path",
    "current",
    "decide",
    "enqueue",
    "frame",
    "get",
    "held_words",
    "item_rows",
    "load_config",
    "needs_review",
    "pending",
    "route",
]
