"""Every decision the API makes goes to the warehouse's ``decisions`` table, with its propensity.

Requests only append to an in-memory buffer (microseconds); a background thread writes the buffer to
the warehouse every ``flush_seconds`` (and at shutdown), opening the warehouse only for that moment, so
that the server never holds an embedded DuckDB file's write lock and the other ``nomagic`` commands keep
working. When the warehouse is busy the rows wait for the next flush; ``pending`` says how many wait.

Consent: no decision about a customer who may not be profiled (or e-mailed, for an e-mail decision) is made
or logged. The log keeps a snapshot of the privacy policy's answer (:class:`~nomagic.privacy.consent.ConsentView`),
read at start and again every ``consent_seconds`` by the background thread, so a withdrawal or an objection
takes effect within that time; routes ask :meth:`DecisionLog.refusal` before deciding and answer 403 with its
reason, and :meth:`DecisionLog.add` refuses (raises :class:`~nomagic.privacy.consent.ConsentError`) as the last
gate. Until the snapshot could be read once, every decision about a person is refused (fail closed).

An objection (``nomagic privacy object``), an erasure or a load of customers counts at once, not after
``consent_seconds``: each of them appends to the audit log, which rewrites ``.nomagic/audit_head.json``; the
log looks at that file's stamp on every decision (a ``stat``, microseconds) and reads the snapshot again as soon
as it changed (retrying every ``retry_seconds`` while the other command still holds the warehouse).

Human review (Art. 22): a decision that ``[review]`` in ``.nomagic/config.toml`` calls significant is not made
but held (:meth:`DecisionLog.hold`): it goes to the warehouse's ``review_queue`` with the next flush, and the
route answers "held for human review" until a person approved it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, datetime

import pandas as pd

from nomagic.privacy import audit, consent, review
from nomagic.words import Text

log = logging.getLogger("nomagic.serve")

COLUMNS = ("decision_id", "occurred_at", "use_case", "unit_id", "action", "propensity", "model_version", "reward")
TABLE = "decisions"


class DecisionLog:
    """A buffered writer of decision rows (see the module docstring).

    Parameters
    ----------
    url : the warehouse URL (``None``: no warehouse, rows are kept in memory only, for tests).
    flush_seconds : how often the background thread writes.
    max_pending : above this many waiting rows new decisions are still served but counted as ``dropped``.
    consent_seconds : how often the consent snapshot is read again.
    """

    def __init__(
        self,
        url: str | None,
        *,
        flush_seconds: float = 2.0,
        max_pending: int = 200_000,
        consent_seconds: float = 60.0,
        retry_seconds: float = 0.2,
    ):
        self.url = url
        self.flush_seconds = flush_seconds
        self.max_pending = max_pending
        self.consent_seconds = consent_seconds
        self.retry_seconds = retry_seconds
        # no warehouse (tests): nobody is known, so nobody is refused
        self.consent = consent.ConsentView() if url is None else consent.ConsentView.unavailable()
        self._consent_at = 0.0
        self._mark = None  # the audit head file's stamp when the snapshot was read
        self._retry_at = 0.0
        # a bad [review] table stops the server at start: significant decisions must not slip through
        self.review_config = review.ReviewConfig() if url is None else review.load_config(url=url)
        self._reviews: dict[tuple, tuple[str, str]] = {}  # (use case, unit, action, version) -> (status, id)
        self._held: list = []  # review rows waiting for the next flush
        self._rows: list[tuple] = []
        self._rewards: dict[str, float] = {}
        self._lock = threading.Lock()
        self.refresh_consent()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.written = 0
        self.dropped = 0
        self.last_error: str | None = None

    @property
    def pending(self) -> int:
        return len(self._rows)

    def refresh_consent(self) -> bool:
        """Read the consent snapshot again (a short look at the warehouse); False when it was busy
        (the old snapshot stays; a log that never read one refuses every known person)."""
        if self.url is None:
            return True
        mark = self._stamp()  # before reading: a change while we read triggers one more read
        try:
            from nomagic.warehouse import connect

            with connect(self.url) as wh:  # as flush() does: one configuration per process
                self.consent = consent.ConsentView.load(wh)
                queue = review.current(wh)
        except Exception as exc:  # busy or unreachable: try again on the next round
            log.warning("decisions: consent could not be read (%s)", type(exc).__name__)
            self._retry_at = time.monotonic() + self.retry_seconds
            return False
        try:
            self.review_config = review.load_config(url=self.url)
        except Exception as exc:  # an edit broke the file: keep the last good table, say so
            log.warning("decisions: [review] could not be read again (%s); the last one stays", type(exc).__name__)
        with self._lock:
            reviews = {
                (r.use_case, r.unit_id, r.action, str(r.model_version)): (r.status, r.review_id)
                for r in queue.itertuples()
            }
            for row in self._held:  # held since, not yet flushed
                reviews.setdefault(
                    (row["use_case"], row["unit_id"], row["action"], str(row["model_version"])),
                    (review.PENDING, row["review_id"]),
                )
            self._reviews = reviews
        self._consent_at = time.monotonic()
        self._mark = mark
        return True

    def _stamp(self):
        """The audit head file's (mtime, size): it changes with every audited action (objection, erasure, load)."""
        try:
            st = (audit.state_folder(self.url) / audit.HEAD_FILE).stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _watch(self) -> None:
        """Read the snapshot again now when the audit log moved since the last read (an objection counts at once)."""
        if self.url is None or self._stamp() == self._mark or time.monotonic() < self._retry_at:
            return
        self.refresh_consent()

    def refusal(self, use_case: str, unit_id) -> Text | None:
        """Why no decision of ``use_case`` may be made about ``unit_id`` (in words), or ``None`` when it may."""
        self._watch()
        return self.consent.why_not(unit_id, consent.decision_purposes(use_case))

    def hold(self, use_case: str, unit_id, action: str, reasons, model_version: str) -> tuple[str | None, str | None]:
        """Whether ``action`` about ``unit_id`` may be acted on: ``(None, None)`` when it needs no person,
        ``(status, review_id)`` when it does -- ``pending`` (queued now or before: do not act), ``approved``
        (act) or ``overridden`` (do not act)."""
        if not review.needs_review(use_case, action, self.review_config):
            return None, None
        key = (use_case, str(unit_id), str(action), str(model_version))
        with self._lock:
            got = self._reviews.get(key)
            if got is None:
                row = review.item_rows(use_case, [unit_id], [action], [reasons], model_version).iloc[0].to_dict()
                self._held.append(row)
                got = self._reviews[key] = (review.PENDING, row["review_id"])
        return got

    def decided(self, review_id: str, status: str) -> None:
        """A person decided a review item (through this server): later decisions see it at once."""
        with self._lock:
            for k, (_, rid) in list(self._reviews.items()):
                if rid == review_id:
                    self._reviews[k] = (status, rid)

    def add(
        self, use_case: str, unit_id: str, actions: list[str], propensities: list[float], model_version: str
    ) -> list[str]:
        """Log one decision per action; returns their ids. Refuses (ConsentError, nothing logged) a decision
        about someone the privacy policy does not allow (ask :meth:`refusal` first to answer politely)."""
        why = self.refusal(use_case, unit_id)
        if why is not None:
            raise consent.ConsentError(why)
        now = datetime.now(UTC).replace(tzinfo=None)
        ids = [uuid.uuid4().hex for _ in actions]
        rows = [
            (i, now, use_case, str(unit_id), str(a), float(p), model_version, None)
            for i, a, p in zip(ids, actions, propensities, strict=True)
        ]
        with self._lock:
            if len(self._rows) + len(rows) > self.max_pending:
                self.dropped += len(rows)
            else:
                self._rows.extend(rows)
        return ids

    def reward(self, decision_id: str, value: float) -> None:
        """Record a decision's reward (O(1) on the request path): the next flush writes it with its waiting
        row, or updates the row already in the warehouse."""
        with self._lock:
            self._rewards[decision_id] = float(value)

    def _write_rewards(self, wh, rewards: dict[str, float]) -> None:
        """One set-based UPDATE ... FROM (DuckDB and PostgreSQL both have it) through a scratch table."""
        scratch = "_nomagic_decision_rewards"
        wh.write(scratch, pd.DataFrame({"decision_id": list(rewards), "reward": list(rewards.values())}))
        try:
            wh.con.raw_sql(
                f"UPDATE {TABLE} SET reward = r.reward FROM {scratch} r WHERE {TABLE}.decision_id = r.decision_id"
            )
        finally:
            wh.drop(scratch)

    def flush(self) -> int:
        """Write what is waiting; returns the number of rows written (0 when the warehouse was busy)."""
        if self.url is None:
            return 0
        with self._flush_lock:
            with self._lock:
                rows, self._rows = self._rows, []
                rewards, self._rewards = self._rewards, {}
                held, self._held = self._held, []
            if not rows and not rewards and not held:
                return 0
            frame = pd.DataFrame(rows, columns=list(COLUMNS))
            frame["reward"] = frame["decision_id"].map(rewards).astype("float64")  # rewarded before written
            waiting = set(frame["decision_id"])
            later = {k: v for k, v in rewards.items() if k not in waiting}
            try:
                from nomagic.warehouse import connect

                with connect(self.url) as wh:
                    if held:
                        wh.append(review.TABLE, review.frame(held))
                    if rows:
                        wh.append(TABLE, frame)
                    if later:
                        self._write_rewards(wh, later)
            except Exception as exc:  # busy or unreachable: keep the rows for the next try
                with self._lock:
                    self._rows[:0] = rows
                    self._rewards = {**rewards, **self._rewards}
                    self._held[:0] = held
                self.last_error = type(exc).__name__
                log.warning("decisions: %d rows wait for the warehouse (%s)", len(rows), type(exc).__name__)
                return 0
            self.written += len(rows)
            self.last_error = None
            return len(rows)

    def _loop(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            self.flush()
            if not self.consent.loaded or time.monotonic() - self._consent_at >= self.consent_seconds:
                self.refresh_consent()

    def start(self) -> None:
        if self.url is not None and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="nomagic-decisions", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()
