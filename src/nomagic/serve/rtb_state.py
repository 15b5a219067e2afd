"""One server's bidder state: the model, the pacer, the mapping, the counters, the signed win-notice tokens,
and how a feature row gets its bid.

Why the hot path looks the way it does: at 1,000 requests/s one process has about a millisecond per
request for everything, so a request is never turned into a pandas frame of its own. The feature row is a
dict built by precompiled getters; its bid comes from a cache of recent rows (a bid depends on the row
only; the pacer comes after), else from the model's ``bid_row(dict)`` when it has one, else from
``bid_frame`` on the rows that arrived meanwhile, in a worker thread (dynamic batching), so the event loop
never waits on pandas. Win-notice tokens are signed, not stored, so memory does not grow with the bids.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from datetime import datetime
from typing import Protocol

import numpy as np

from nomagic.errors import NomagicError
from nomagic.serve.rtb_mapping import Mapping
from nomagic.serve.rtb_settings import Ledger, Settings
from nomagic.words import Text, say

MICRO = 1_000_000  # prices in integer millionths, as the pacer counts them
LATENCIES = 4096  # recent bid requests kept for the state's percentiles


class Bidder(Protocol):
    """What the route needs of a bid model (``nomagic.usecases.bidding.model``'s champion, or a test's fake).

    Optionally ``bid_row(row: dict) -> (bid, p_click)`` for one row (the fast path), and ``traffic_shape``
    (24 hourly weights) for the pacer.
    """

    version: str
    currency: str
    features: list[str]

    def bid_frame(self, frame) -> tuple[np.ndarray, np.ndarray]: ...


REASONS: dict[str, Text] = {
    "no_model": say("no promoted bid model", "kein übernommenes Gebotsmodell"),
    "no_budget": say("no budget configured", "kein Budget konfiguriert"),
    "config": say("the bidding settings are invalid", "die Gebotseinstellungen sind ungültig"),
    "currency": say(
        "none of the accepted currencies (cur) can be bid in",
        "in keiner der akzeptierten Währungen (cur) kann geboten werden",
    ),
    "floor_currency": say(
        "the floor's currency (bidfloorcur) has no configured rate",
        "für die Währung des Mindestpreises (bidfloorcur) ist kein Kurs konfiguriert",
    ),
    "below_floor": say("the bid is below the floor (bidfloor)", "das Gebot liegt unter dem Mindestpreis (bidfloor)"),
    "no_value": say("the model does not bid on this impression", "das Modell bietet nicht auf diese Impression"),
    "paced": say("the pacer lowered the bid below the floor", "der Pacer hat das Gebot unter den Mindestpreis gesenkt"),
    "budget": say(
        "the budget is spent or held by open bids", "das Budget ist ausgegeben oder durch offene Gebote gebunden"
    ),
    "window": say("outside the campaign window", "außerhalb des Kampagnenzeitraums"),
    "tmax": say("the answer would not be ready within tmax", "die Antwort wäre nicht innerhalb von tmax fertig"),
    "model_error": say("the bid model failed on this request", "das Gebotsmodell ist bei dieser Anfrage gescheitert"),
}


class Batcher:
    """Prices rows with ``bid_frame``, one batch at a time in a worker thread: the rows that arrive while a
    batch is computed form the next one, so the batch grows with the load (dynamic batching), and the
    event loop keeps answering (cache hits, win notices) meanwhile instead of waiting on pandas."""

    def __init__(self, bidder, features: list[str], timed=None):
        from concurrent.futures import ThreadPoolExecutor

        self.bidder, self.features, self.timed = bidder, list(features), timed
        self.pending: list[tuple[list[dict], asyncio.Future]] = []
        self.busy = False
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="nomagic-rtb-model")  # bid_frame is never concurrent

    async def price(self, rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self.pending.append((rows, fut))
        if not self.busy:  # after the requests already waiting on the loop have joined
            self.busy = True
            loop.call_soon(self._start, loop)
        return await fut

    def _start(self, loop) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            self.busy = False
            return
        work = loop.run_in_executor(self.pool, self._compute, [r for rs, _ in batch for r in rs])
        work.add_done_callback(lambda done: self._done(loop, batch, done))

    def _compute(self, rows: list[dict]):
        import pandas as pd

        t = time.perf_counter()
        frame = pd.DataFrame.from_records(rows, columns=self.features)
        bids, p = self.bidder.bid_frame(frame)
        bids, p = np.asarray(bids, dtype=float), np.asarray(p, dtype=float)
        if bids.shape != (len(rows),) or p.shape != (len(rows),):
            raise ValueError(f"bid_frame gave {bids.shape} bids for {len(rows)} rows")
        return bids, p, 1000 * (time.perf_counter() - t)

    def _done(self, loop, batch, done) -> None:
        exc = asyncio.CancelledError() if done.cancelled() else done.exception()
        if exc is None:
            bids, p, ms = done.result()
            if self.timed is not None:
                self.timed(ms)
        i = 0
        for rs, fut in batch:
            if not fut.done():
                if exc is not None:  # every waiting request answers "model error" (204)
                    fut.set_exception(exc)
                else:
                    fut.set_result((bids[i : i + len(rs)], p[i : i + len(rs)]))
            i += len(rs)
        self._start(loop)  # the rows that came meanwhile (or idle)


class RtbState:
    """One server's bidder: the model, the pacer, the mapping, the counters (``app.state.rtb``)."""

    def __init__(self, bidder: Bidder | None, settings: Settings, *, problem: Text | None = None, clock=None, nm=None):
        from nomagic.usecases.bidding.pacing import Pacer

        self.settings, self.nm = settings, nm
        self.bidder, self.pacer, self.mapping = bidder, None, None
        self.currency, self.fast, self.batcher = None, None, None
        self.cache: dict | None = {} if settings.rtb_cache > 0 else None
        self.problem: tuple[str, Text] | None = ("config", problem) if problem is not None else None
        self.secret = secrets.token_bytes(32)
        self.counts = dict.fromkeys(
            ("requests", "bid_responses", "no_bid_responses", "imps", "bids", "wins", "losses", "unknown_notices",
             "overcharges", "test_wins", "invalid_requests", "cache_hits"), 0,
        )  # fmt: skip
        self.no_bids: dict[str, int] = {}
        self.latency = np.full(LATENCIES, np.nan)
        self._lat_i = 0
        self.model_ms = 0.0  # a moving average of the model's own time (not the queue's), for tmax
        tz = settings.start.tzinfo if settings.start is not None else None
        self.clock = clock or (lambda: datetime.now(tz))
        if self.problem is not None:
            return
        if bidder is None:
            self.problem = ("no_model", REASONS["no_model"])
            return
        try:
            self.mapping = Mapping(bidder.features, settings.mapping, settings.values, f"{settings.path}: ")
            self.currency = str(bidder.currency).upper()
            self.fast = getattr(bidder, "bid_row", None)
            self.batcher = None if self.fast else Batcher(bidder, bidder.features, self.model_time)
            if settings.budget is None:
                self.problem = ("no_budget", REASONS["no_budget"])
                return
            from datetime import timedelta

            shape = settings.traffic_shape or getattr(bidder, "traffic_shape", None)
            ledger = Ledger(settings)
            self.pacer = Pacer(
                settings.budget,
                settings.start,
                settings.end,
                shape,
                timeout=timedelta(seconds=settings.notice_timeout_s),
                spent=ledger.committed(),  # a restart continues from what the last process may have spent
                ledger=ledger.write,
            )
        except NomagicError as exc:
            self.problem = ("config", Text(exc.lang("en"), exc.lang("de")))

    # -- tokens: the win notice carries what the bid was, signed, so nothing is stored per bid

    def token(self, ptoken: str, cur: str, price: int, local: int) -> str:
        body = f"{ptoken}-{cur}-{price}-{local}"
        return f"{body}-{self._sign(body)}"

    def _sign(self, body: str) -> str:
        return hashlib.blake2b(body.encode(), key=self.secret, digest_size=12).hexdigest()

    def read_token(self, token: str) -> tuple[str, str, int, int] | None:
        parts = token.split("-")
        if len(parts) != 5 or not (parts[2].isdigit() and parts[3].isdigit()):
            return None
        body = "-".join(parts[:4])
        if not hmac.compare_digest(parts[4], self._sign(body)):
            return None
        return parts[0], parts[1], int(parts[2]), int(parts[3])

    def rate(self, cur: str) -> float | None:
        """Units of ``cur`` per unit of the model's currency (1 for the model's own)."""
        return 1.0 if cur == self.currency else self.settings.rates.get(cur)

    async def price(self, rows: list[dict]) -> list[float]:
        """The model's bid per row: from the cache of recent rows, else ``bid_row``, else ``bid_frame``
        (batched). A bid is a function of the row alone (the pacer comes after), so caching it is exact."""
        cache = self.cache
        keys = [tuple(row.values()) for row in rows] if cache is not None else None
        out = [cache.get(k) for k in keys] if cache is not None else [None] * len(rows)
        todo = [i for i, v in enumerate(out) if v is None]
        self.counts["cache_hits"] += len(rows) - len(todo)
        if not todo:
            return out
        if self.fast is not None:
            t = time.perf_counter()
            for i in todo:
                out[i] = float(self.fast(rows[i])[0])
            self.model_time(1000 * (time.perf_counter() - t))
        else:
            bids, _ = await self.batcher.price([rows[i] for i in todo])
            for i, b in zip(todo, bids, strict=True):
                out[i] = float(b)
        if cache is not None:
            if len(cache) >= self.settings.rtb_cache:
                cache.clear()  # a new generation: cheaper than keeping an LRU order on the hot path
            for i in todo:
                cache[keys[i]] = out[i]
        return out

    def model_time(self, ms: float) -> None:
        self.model_ms += 0.05 * (ms - self.model_ms)

    def no_bid(self, reason: str, n: int = 1) -> None:
        self.no_bids[reason] = self.no_bids.get(reason, 0) + n

    def took(self, ms: float) -> None:
        self.latency[self._lat_i % LATENCIES] = ms
        self._lat_i += 1
