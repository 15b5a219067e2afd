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
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, datetime

import pandas as pd

from nomagic.privacy import consent
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
    ):
        self.url = url
        self.flush_seconds = flush_seconds
        self.max_pending = max_pending
        self.consent_seconds = consent_seconds
        # no warehouse (tests): nobody is known, so nobody is refused
        self.consent = consent.ConsentView() if url is None else consent.ConsentView.unavailable()
        self._consent_at = 0.0
        self.refresh_consent()
        self._rows: list[tuple] = []
        self._rewards: dict[str, float] = {}
        self._lock = threading.Lock()
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
        try:
            from nomagic.warehouse import connect

            with connect(self.url) as wh:  # as flush() does: one configuration per process
                self.consent = consent.ConsentView.load(wh)
        except Exception as exc:  # busy or unreachable: try again on the next round
            log.warning("decisions: consent could not be read (%s)", type(exc).__name__)
            return False
        self._consent_at = time.monotonic()
        return True

    def refusal(self, use_case: str, unit_id) -> Text | None:
        """Why no decision of ``use_case`` may be made about ``unit_id`` (in words), or ``None`` when it may."""
        return self.consent.why_not(unit_id, consent.decision_purposes(use_case))

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
            if not rows and not rewards:
                return 0
            frame = pd.DataFrame(rows, columns=list(COLUMNS))
            frame["reward"] = frame["decision_id"].map(rewards).astype("float64")  # rewarded before written
            waiting = set(frame["decision_id"])
            later = {k: v for k, v in rewards.items() if k not in waiting}
            try:
                from nomagic.warehouse import connect

                with connect(self.url) as wh:
                    if rows:
                        wh.append(TABLE, frame)
                    if later:
                        self._write_rewards(wh, later)
            except Exception as exc:  # busy or unreachable: keep the rows for the next try
                with self._lock:
                    self._rows[:0] = rows
                    self._rewards = {**rewards, **self._rewards}
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
