"""Consent and purpose: THE place that decides whether a customer may be profiled or e-mailed.

Every output path asks this module before it writes or answers anything about a person, so that one
rule holds everywhere (scores, reasons, segments, CLV, recommendations, uplift lists, send-time slots,
bandit and API decisions, exports):

* **profiling** -- any score, segment, CLV, recommendation, uplift target, send-time slot, reason or
  decision about a person. Allowed only when ``customers.consent_profiling`` is true.
* **email** -- being put on an e-mail list (uplift and e-mail target lists, send-time slots, subject-line
  and e-mail bandit decisions). Allowed only when ``customers.consent_email`` is true; a list built from a
  profile (uplift, send time) needs both purposes, and :data:`OUTPUTS` says so.
* **objection** (Art. 21 GDPR): a customer listed in the table ``privacy_objections(customer_id,
  objected_at)`` is neither profiled nor e-mailed, whatever the consent columns say, from the moment the
  row exists (objection stops profiling and direct marketing at once).

**No recorded consent is no consent.** A null in a consent column, a customers table without the consent
column, a customer id that is not in the customers table, or a warehouse without a customers table all
mean *no*: the person is left out. The consent columns are boolean (a mapping file's ``[values]`` turns a
source's ``"Yes"``/``"No"`` into true/false, see ``docs/privacy.md``); a numeric column counts 1 as yes.

Writers leave such people out and say how many (:func:`keep_allowed` returns a :class:`LeftOut`, an
``int`` that also has the words); they never fail because someone has not consented. Online answers
ask a :class:`ConsentView` (a snapshot of the denials, cheap to ask per request) and refuse with its
reason.

Examples
--------
>>> import pandas as pd
>>> from nomagic.warehouse import connect
>>> wh = connect("duckdb://:memory:")
>>> wh.write("customers", pd.DataFrame({"customer_id": ["a", "b", "c"],
...                                     "consent_profiling": [True, False, None],
...                                     "consent_email": [True, True, True]}))
>>> sorted(allowed_ids(wh, PROFILING))
['a']
>>> kept, left = keep_allowed(wh, pd.DataFrame({"customer_id": ["a", "b", "c"], "score": [.1, .2, .3]}), PROFILING)
>>> list(kept["customer_id"]), int(left), str(left.words)
(['a'], 2, '2 customers left out: no profiling consent')
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field

import ibis
import pandas as pd

from nomagic.errors import NomagicError, NotReadyError
from nomagic.privacy import audit
from nomagic.warehouse import ingest
from nomagic.words import Text, join, say

PROFILING = "profiling"
EMAIL = "email"
#: purpose -> the customers column that records the consent to it
CONSENT_COLUMNS: dict[str, str] = {PROFILING: "consent_profiling", EMAIL: "consent_email"}
PURPOSES = tuple(CONSENT_COLUMNS)
OBJECTIONS_TABLE = "privacy_objections"
#: the columns that name a person in an output table
ID_COLUMNS = ("customer_id", "unit_id")

#: every output table nomagic writes about people, and the purposes it needs (``*`` matches any text).
#: ``decisions`` is decided row by row: see :func:`decision_purposes`.
OUTPUTS: dict[str, tuple[str, ...]] = {
    "scores_*_shadow": (PROFILING,),  # a challenger's shadow scores (lifecycle.retrain)
    "scores_*": (PROFILING,),  # churn, propensity and every other lifecycle use case (lifecycle.scoring)
    "clv_scores": (PROFILING,),
    "segments": (PROFILING,),
    "recommendations": (PROFILING,),
    "sendtime_scores": (PROFILING, EMAIL),  # a profile (the customer's hours) used to time e-mails
    "uplift_scores": (PROFILING, EMAIL),  # an e-mail target list built from a profile
    "decisions": (PROFILING,),  # per row: decision_purposes(use_case)
}

Purpose = str | Iterable[str]


class ConsentError(NomagicError):
    """An output would hold people who did not consent to its purpose, or the consent data is unusable."""


# ------------------------------------------------------------------------------------------- words

_REASONS: dict[str, Text] = {
    "no_table": say(
        "the warehouse has no customers table (no consent recorded)",
        "das Warehouse hat keine Tabelle customers (keine Einwilligung erfasst)",
    ),
    "unknown": say(
        "not in the customers table (no consent recorded)",
        "nicht in der Tabelle customers (keine Einwilligung erfasst)",
    ),
    "objected": say("objected (Art. 21 GDPR)", "Widerspruch eingelegt (Art. 21 DSGVO)"),
    PROFILING: say("without profiling consent", "ohne Einwilligung ins Profiling"),
    EMAIL: say("without e-mail consent", "ohne Einwilligung in E-Mails"),
}
_SHORT: dict[str, Text] = {
    "no_table": _REASONS["no_table"],
    "unknown": _REASONS["unknown"],
    "objected": _REASONS["objected"],
    PROFILING: say("no profiling consent", "keine Einwilligung ins Profiling"),
    EMAIL: say("no e-mail consent", "keine Einwilligung in E-Mails"),
}
#: the reason a single answer is refused, in words (API, CLI)
_REFUSALS: dict[str, Text] = {
    "objected": say(
        "the customer objected to profiling and direct marketing (Art. 21 GDPR)",
        "der Kunde hat Profiling und Direktwerbung widersprochen (Art. 21 DSGVO)",
    ),
    "erased": say(
        "the person's data was erased (Art. 17 GDPR); nothing about them is processed again",
        "die Daten der Person wurden gelöscht (Art. 17 DSGVO); zu ihr wird nichts mehr verarbeitet",
    ),
    PROFILING: say("the customer has not consented to profiling", "der Kunde hat nicht in Profiling eingewilligt"),
    EMAIL: say("the customer has not consented to e-mail", "der Kunde hat nicht in E-Mails eingewilligt"),
}


def purposes(purpose: Purpose) -> tuple[str, ...]:
    """``"profiling"`` or ``("profiling", "email")`` as a checked tuple."""
    ps = (purpose,) if isinstance(purpose, str) else tuple(purpose)
    unknown = [p for p in ps if p not in CONSENT_COLUMNS]
    if unknown or not ps:
        raise ValueError(f"unknown purpose(s) {unknown or ps}; known: {', '.join(PURPOSES)}")
    return ps


class LeftOut(int):
    """How many people an output left out (an ``int``), with ``reasons`` (code -> count) and ``words``."""

    reasons: dict[str, int]

    def __new__(cls, reasons: dict[str, int] | None = None) -> LeftOut:
        reasons = {k: int(v) for k, v in (reasons or {}).items() if v}
        obj = super().__new__(cls, sum(reasons.values()))
        obj.reasons = reasons
        return obj

    @property
    def words(self) -> Text:
        """``"412 customers left out: 400 without profiling consent, 12 objected (Art. 21 GDPR)"``; empty when 0."""
        if not self:
            return Text("")
        if len(self.reasons) == 1:  # one reason: "12 customers left out: no profiling consent"
            why = _SHORT[next(iter(self.reasons))]
        else:
            why = join([say("{n:,} {why}", "{n:,} {why}", n=n, why=_REASONS[k]) for k, n in self.reasons.items()], ", ")
        if self == 1:
            return say("1 customer left out: {why}", "1 Kunde ausgelassen: {why}", why=why)
        return say("{n:,} customers left out: {why}", "{n:,} Kunden ausgelassen: {why}", n=int(self), why=why)

    def __reduce__(self):
        return (LeftOut, (self.reasons,))


# ------------------------------------------------------------------------------------------- rules


def _flag(c: ibis.Table, purpose: str):
    """The boolean expression "this customer consented to ``purpose``" (null or missing column: false)."""
    col = CONSENT_COLUMNS[purpose]
    if col not in c.columns:
        return ibis.literal(False)
    x = c[col]
    if x.type().is_boolean():
        return x.fill_null(False)
    if x.type().is_numeric():  # 1 / 0 (a float column where the source had blanks)
        return (x == 1).fill_null(False)
    raise ConsentError(
        say(
            "customers.{col} is {t}, not true/false: map the source's values in the mapping file "
            '([values.{col}] "Yes" = true, "No" = false) and load the customers again',
            "customers.{col} ist {t}, nicht wahr/falsch: die Werte der Quelle in der Mapping-Datei abbilden "
            '([values.{col}] "Yes" = true, "No" = false) und die Kunden neu laden',
            col=col,
            t=str(x.type()),
        )
    )


def _objections(wh) -> ibis.Table | None:
    """The objection table's ``customer_id`` (as string), or ``None`` when the warehouse has none."""
    if not wh.has(OBJECTIONS_TABLE):
        return None
    o = wh.table(OBJECTIONS_TABLE)
    if "customer_id" not in o.columns:
        raise ConsentError(
            say(
                "the table {t} has no column customer_id (its columns: {cols}); nobody can be profiled until it is "
                "fixed, because objections cannot be read",
                "die Tabelle {t} hat keine Spalte customer_id (ihre Spalten: {cols}); niemand kann profiliert werden, "
                "bis das behoben ist, weil Widersprüche nicht lesbar sind",
                t=OBJECTIONS_TABLE,
                cols=", ".join(o.columns),
            )
        )
    return o.select(objected_id=o.customer_id.cast("string")).distinct()


def allowed_customers(wh, purpose: Purpose = PROFILING) -> ibis.Table:
    """The rows of ``customers`` allowed for every one of ``purpose`` (an Ibis expression; all columns).

    Raises :class:`~nomagic.errors.WarehouseError` when the warehouse has no customers table (callers that
    must not fail use :func:`allowed_ids`, which is then empty)."""
    c = wh.table("customers")
    for p in purposes(purpose):
        c = c.filter(_flag(c, p))
    o = _objections(wh)
    if o is not None:
        c = c.anti_join(o, c.customer_id.cast("string") == o.objected_id)
    return c


def allowed_ids(wh, purpose: Purpose = PROFILING) -> set[str]:
    """The customer ids (as strings) allowed for every one of ``purpose``; empty without a customers table."""
    if not wh.has("customers"):
        return set()
    c = allowed_customers(wh, purpose)
    return set(c.select(i=c.customer_id.cast("string")).execute()["i"].dropna())


def denied_ids(wh, purpose: Purpose = PROFILING) -> set[str]:
    """The *known* customers (ids as strings) not allowed for ``purpose``: no consent, or an objection."""
    t = consent_table(wh)
    ok = t[list(purposes(purpose))].all(axis=1) & ~t["objected"]
    return set(t.loc[~ok, "customer_id"])


def denied_in(customers: pd.DataFrame, purpose: Purpose = PROFILING) -> list[str]:
    """The ids of a customers *frame* not allowed for ``purpose`` (the same rule, for code that holds a frame and
    no warehouse; objections are in the warehouse, so prefer :func:`denied_ids`)."""
    if "customer_id" not in customers.columns or customers.empty:
        return []
    keep = [c for c in ("customer_id", *CONSENT_COLUMNS.values()) if c in customers.columns]
    t = _consent_frame(ibis.memtable(customers[keep]), None)
    ok = t[list(purposes(purpose))].all(axis=1)
    return t.loc[~ok, "customer_id"].tolist()


def consent_table(wh) -> pd.DataFrame:
    """One row per known customer: ``customer_id`` (string), one boolean column per purpose, ``objected``."""
    if not wh.has("customers"):
        cols = ["customer_id", *PURPOSES, "objected"]
        return pd.DataFrame({c: pd.Series(dtype=object if c == "customer_id" else bool) for c in cols})
    return _consent_frame(wh.table("customers"), _objections(wh))


def _consent_frame(c: ibis.Table, o: ibis.Table | None) -> pd.DataFrame:
    cols = ["customer_id", *PURPOSES, "objected"]
    t = c.select(customer_id=c.customer_id.cast("string"), **{p: _flag(c, p) for p in PURPOSES})
    if o is not None:
        t = t.left_join(o, t.customer_id == o.objected_id)
        t = t.select(*[t[k] for k in ("customer_id", *PURPOSES)], objected=t.objected_id.notnull())
    else:
        t = t.mutate(objected=ibis.literal(False))
    df = t.execute()
    df = df[df["customer_id"].notna()].drop_duplicates("customer_id")
    for k in (*PURPOSES, "objected"):
        df[k] = df[k].fillna(False).astype(bool)
    return df[cols].reset_index(drop=True)


def _reasons(table: pd.DataFrame, ids: pd.Series, ps: tuple[str, ...]) -> pd.Series:
    """Per id: ``None`` when allowed, else the first reason it is not (unknown, objected, then a purpose)."""
    t = table.set_index("customer_id")
    known = ids.isin(t.index)
    row = t.reindex(ids.where(known, None))
    why = pd.Series([None] * len(ids), index=ids.index, dtype=object)
    for p in reversed(ps):  # the first purpose missing wins: assign in reverse, overwrite
        why = why.mask(~row[p].fillna(False).astype(bool).to_numpy(), p)
    why = why.mask(row["objected"].fillna(False).astype(bool).to_numpy(), "objected")
    return why.mask(~known.to_numpy(), "unknown")


# ------------------------------------------------------------------------------------------- frames


def keep_allowed(
    wh, frame: pd.DataFrame, purpose: Purpose = PROFILING, *, id_col: str = "customer_id", unknown: bool = False
) -> tuple[pd.DataFrame, LeftOut]:
    """The rows of ``frame`` about people allowed for ``purpose``, and how many people were left out (with why).

    ``unknown=True`` keeps ids that are not in the customers table (units that are not known customers:
    sessions, anonymous visitors, rows without an id); by default they are left out (no consent recorded).
    The frame's ``attrs`` are kept and ``attrs["left_out"]`` counts the people left out per
    reason (added to any count an earlier check left there)."""
    if id_col not in frame.columns:
        raise ConsentError(
            say(
                "cannot check consent: the output has no column {c}",
                "Einwilligung nicht prüfbar: der Ausgabe fehlt die Spalte {c}",
                c=id_col,
            )
        )
    ps = purposes(purpose)
    ids = frame[id_col].astype("string").astype(object).where(frame[id_col].notna(), None)
    why = _reasons(consent_table(wh), ids, ps)
    if unknown:
        why = why.mask(why == "unknown", None)
    bad = why.notna().to_numpy()
    # people, not rows: a customer with ten recommendations is one customer left out
    counts = pd.DataFrame({"id": ids[bad], "why": why[bad]}).drop_duplicates("id")["why"].value_counts()
    order = ["unknown", "objected", *ps]
    left = LeftOut({k: int(counts.get(k, 0)) for k in order})
    if left and not wh.has("customers"):  # say the cause once, not "not in the customers table" per person
        left = LeftOut({"no_table": int(left)})
    if not left:
        out = frame.copy(deep=False)  # the caller's frame (and its attrs) stays as it was
    else:
        out = frame.loc[~bad].reset_index(drop=True)
        out.attrs = dict(frame.attrs)
    before = dict(frame.attrs.get("left_out") or {})  # an earlier check's count adds up with this one's
    out.attrs["left_out"] = {k: before.get(k, 0) + left.reasons.get(k, 0) for k in {**before, **left.reasons}}
    return out, left


def check_frame(
    wh,
    frame: pd.DataFrame,
    purpose: Purpose = PROFILING,
    *,
    id_col: str = "customer_id",
    what: str = "output",
    unknown: bool = False,
) -> None:
    """Raise :class:`ConsentError` when ``frame`` holds anyone not allowed for ``purpose`` (no ids in the words)."""
    _, left = keep_allowed(wh, frame, purpose, id_col=id_col, unknown=unknown)
    if left:
        raise ConsentError(
            say(
                "{what} holds rows about people it may not: {why}",
                "{what} enthält Zeilen über Personen, die es nicht darf: {why}",
                what=what,
                why=left.words,
            )
        )


# ------------------------------------------------------------------------------------------- outputs


def purposes_for(table: str) -> tuple[str, ...] | None:
    """The purposes an output table needs (see :data:`OUTPUTS`); ``None`` for a table that is not an output."""
    for pattern, ps in OUTPUTS.items():
        if fnmatch.fnmatchcase(table, pattern):
            return ps
    return None


def decision_purposes(use_case: str | None) -> tuple[str, ...]:
    """What a logged decision needs: e-mail decisions (an e-mail campaign's or subject line's variant, a bandit
    whose experiment is about e-mail) need e-mail consent; every other decision about a person is profiling."""
    name = (use_case or "").lower()
    if any(k in name for k in ("email", "e-mail", "mail_", "subject")):
        return (EMAIL,)
    return (PROFILING,)


def violations(wh) -> dict[str, int]:
    """Rows about people not allowed, per output table present in the warehouse (all zero when the rule holds).

    The ``decisions`` table is a log, not a current state: it counts only known customers (its units may be
    sessions), each row by its own use case's purposes, and a decision made before the customer objected
    stays a record of the past (an objection counts from ``objected_at`` on)."""
    out: dict[str, int] = {}
    table = consent_table(wh)
    for name in sorted(wh.tables()):
        ps = purposes_for(name)
        if ps is None:
            continue
        t = wh.table(name)
        id_col = next((c for c in ID_COLUMNS if c in t.columns), None)
        if id_col is None:
            continue
        if name == "decisions":
            out[name] = _decision_violations(wh, t, id_col, table)
        else:
            ids = t.select(id_col).execute()[id_col]
            why = _reasons(table, ids.astype("string").astype(object).where(ids.notna(), None), ps)
            out[name] = int(why.notna().sum())
    return out


def _decision_violations(wh, t: ibis.Table, id_col: str, table: pd.DataFrame) -> int:
    cols = [c for c in (id_col, "use_case", "occurred_at") if c in t.columns]
    df = t.select(*cols).execute()
    since = pd.Series(dtype="datetime64[us]")
    o = wh.table(OBJECTIONS_TABLE) if wh.has(OBJECTIONS_TABLE) else None
    if o is not None and "objected_at" in o.columns and "occurred_at" in df.columns:
        ob = o.select(i=o.customer_id.cast("string"), at=o.objected_at).execute()
        since = ob.groupby("i")["at"].min()
    use_case = df["use_case"].fillna("") if "use_case" in df.columns else pd.Series([""] * len(df), index=df.index)
    n = 0
    for uc, part in df.groupby(use_case):
        ids = part[id_col].astype("string").astype(object).where(part[id_col].notna(), None)
        why = _reasons(table, ids, decision_purposes(uc))
        bad = why.notna() & (why != "unknown")
        if len(since):  # made before the objection: a record of the past, not a violation
            at = pd.to_datetime(ids.map(since))
            before = (why == "objected") & at.notna() & (pd.to_datetime(part["occurred_at"]) < at)
            bad &= ~before
        n += int(bad.sum())
    return n


# ------------------------------------------------------------------------------------------- online


def _erased_hashes(wh) -> frozenset[str]:
    """The salted hashes of erased people on the suppression list (empty when nobody was erased)."""
    if not wh.has(ingest.SUPPRESSED):
        return frozenset()
    t = wh.table(ingest.SUPPRESSED)
    if "kind" in t.columns:
        t = t.filter(t.kind.isnull() | (t.kind == ingest.PERSON))
    return frozenset(t.select("hash").execute()["hash"].dropna().astype(str))


@dataclass(frozen=True)
class ConsentView:
    """A snapshot of who may not be profiled or e-mailed, for answers one at a time (API, bandits).

    Only *known* customers can be refused here: an id that is not in the customers table (a session, an
    anonymous visitor) is not a known person of the warehouse and is allowed; batch outputs, which are
    about customers, leave such ids out instead (:func:`keep_allowed`). ``loaded`` is false for a view that
    could not read the warehouse: it refuses everyone (fail closed)."""

    denied: dict[str, frozenset[str]] = field(default_factory=dict)
    objected: frozenset[str] = frozenset()
    loaded: bool = True
    #: salted hashes of erased people (``privacy_suppressed``): no longer in the customers table, they would
    #: otherwise pass as unknown visitors and be logged again
    erased: frozenset[str] = frozenset()
    salt: str = field(default="", repr=False)

    @classmethod
    def load(cls, wh) -> ConsentView:
        t = consent_table(wh)
        erased = _erased_hashes(wh)
        return cls(
            denied={p: frozenset(t.loc[~t[p], "customer_id"]) for p in PURPOSES},
            objected=frozenset(t.loc[t["objected"], "customer_id"]),
            erased=erased,
            salt=audit.load_salt(wh.url) if erased else "",
        )

    @classmethod
    def unavailable(cls) -> ConsentView:
        """A view for when consent cannot be read: nobody is allowed."""
        return cls(loaded=False)

    def why_not(self, customer_id, purpose: Purpose = PROFILING) -> Text | None:
        """``None`` when ``customer_id`` may be served for ``purpose``, else the reason in words."""
        if not self.loaded:
            return say(
                "consent cannot be checked right now (the warehouse could not be read); retry shortly",
                "die Einwilligung ist gerade nicht prüfbar (das Warehouse war nicht lesbar); gleich erneut versuchen",
            )
        cid = str(customer_id)
        if self.erased and audit.pseudonym(cid, self.salt) in self.erased:
            return _REFUSALS["erased"]
        if cid in self.objected:
            return _REFUSALS["objected"]
        for p in purposes(purpose):
            if cid in self.denied.get(p, ()):
                return _REFUSALS[p]
        return None

    def allows(self, customer_id, purpose: Purpose = PROFILING) -> bool:
        return self.why_not(customer_id, purpose) is None


__all__ = [
    "CONSENT_COLUMNS",
    "EMAIL",
    "ID_COLUMNS",
    "OBJECTIONS_TABLE",
    "OUTPUTS",
    "PROFILING",
    "PURPOSES",
    "ConsentError",
    "ConsentView",
    "LeftOut",
    "allowed_customers",
    "allowed_ids",
    "check_frame",
    "consent_table",
    "decision_purposes",
    "denied_ids",
    "denied_in",
    "keep_allowed",
    "nobody_profilable",
    "purposes",
    "purposes_for",
    "violations",
]


def nobody_profilable(left: LeftOut, what: Text) -> NotReadyError:
    """The error of a use case left without anyone to profile (``left`` from :func:`keep_allowed`)."""
    return NotReadyError(
        say(
            "no customer with orders may be profiled ({why}); only customers with consent_profiling = true in the "
            "customers table count for {what} (see docs/privacy.md)",
            "kein Kunde mit Bestellungen darf profiliert werden ({why}); für {what} zählen nur Kunden mit "
            "consent_profiling = true in der Tabelle customers (siehe docs/privacy.md)",
            why=left.words,
            what=what,
        )
    )
