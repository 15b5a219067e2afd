"""A bid request's answer: the checks before the model (state, tmax, currency), the model's bid per
impression through the pacer and the floor, and the BidResponse (or 204 no bid with the reason)."""

from __future__ import annotations

import json
import logging
import math
import secrets
import time
from typing import Any

from fastapi import Request, Response

from nomagic.serve.rtb_openrtb import BidRequest, Imp
from nomagic.serve.rtb_state import MICRO, REASONS, RtbState
from nomagic.words import Text

log = logging.getLogger("nomagic.serve.rtb")


def _nobid(reason: Text | str) -> Response:
    text = " ".join(str(reason).split()).encode("latin-1", "replace").decode("latin-1")[:300]
    return Response(status_code=204, headers={"X-Nomagic-Reason": text})


def _micros_down(x: float) -> int:
    return math.floor(x * MICRO + 1e-6)


def _refuse(st: RtbState, reason: str, n: int, t0: float, words: Text | None = None) -> Response:
    st.counts["no_bid_responses"] += 1
    st.no_bid(reason, n)
    st.took(1000 * (time.perf_counter() - t0))
    return _nobid(words or REASONS[reason])


def respond(st: RtbState, body: BidRequest, request: Request, t0: float):
    """The checks before the model (a Response when they already say no), else the coroutine that bids."""
    n = len(body.imp)
    if st.problem is not None:
        return _refuse(st, st.problem[0], n, t0, st.problem[1])
    margin = st.settings.tmax_margin_ms
    if body.tmax is not None and body.tmax - margin <= st.model_ms + 1000 * (time.perf_counter() - t0):
        st.model_ms *= 0.98  # so that a model slow once (a cold start) is tried again after a while
        return _refuse(st, "tmax", n, t0)
    cur, rate = st.currency, 1.0
    if body.cur:
        accepted = [c.upper() for c in body.cur]
        if st.currency not in accepted:
            cur = next((c for c in accepted if st.rate(c)), None)
            if cur is None:
                return _refuse(st, "currency", n, t0)
            rate = st.rate(cur)
    return _priced(st, body, request, t0, cur, rate)


async def _priced(st: RtbState, body: BidRequest, request: Request, t0: float, cur: str, rate: float):
    now = st.clock()
    imps, floors, reasons = [], [], []
    for imp in body.imp:
        if imp.bidfloor <= 0:
            floor = 0.0
        else:
            r = st.rate(imp.bidfloorcur.upper())
            if r is None:
                reasons.append("floor_currency")
                continue
            floor = imp.bidfloor / r
        imps.append(imp)
        floors.append(floor)
    if not imps:
        return _finish(st, body, [], reasons, t0)
    rows = [st.mapping.row(body, imp, now) for imp in imps]
    try:
        raw = await st.price(rows)
    except Exception as exc:  # noqa: BLE001 -- the exchange gets a no bid; the log says what failed
        log.warning("bid model failed: %s: %s", type(exc).__name__, exc)
        return _finish(st, body, [], reasons + ["model_error"] * len(imps), t0)
    if body.tmax is not None and 1000 * (time.perf_counter() - t0) > body.tmax - st.settings.tmax_margin_ms:
        return _finish(st, body, [], reasons + ["tmax"] * len(imps), t0)
    bids = []
    for imp, floor, value in zip(imps, floors, raw, strict=True):
        reason = _one(st, body, imp, floor, float(value), now, cur, rate, bids)
        if reason:
            reasons.append(reason)
    return _finish(st, body, bids, reasons, t0, cur, request)


def _one(
    st: RtbState, body, imp: Imp, floor: float, value: float, now, cur: str, rate: float, bids: list
) -> str | None:
    """Bids on one impression (appends to ``bids``), or says why not."""
    if not (value > 0 and math.isfinite(value)):
        return "no_value"
    pacer = st.pacer  # its multiplier may lift a bid over the floor (behind plan) or drop it under
    if body.test:  # not billable: priced as now, nothing reserved
        amount, ptoken = min(value * pacer.multiplier, pacer.available), "t" + secrets.token_hex(4)
        if not (pacer.start <= now < pacer.end) or not (amount > 0 and amount >= floor):
            amount = None
    else:
        amount, ptoken = pacer.bid(now, value, floor)
    if amount is None:
        if not (pacer.start <= now < pacer.end):
            return "window"
        if pacer.available <= max(floor, 1e-6):
            return "budget"
        return "below_floor" if value < floor else "paced"
    local = _micros_down(amount)
    price = local if rate == 1.0 else _micros_down(amount * rate)
    if (imp.bidfloorcur.upper() == cur and price < _micros_down(imp.bidfloor)) or price <= 0:
        if not body.test:  # rounding in the conversion took it under the floor: free the reservation
            pacer.loss(ptoken)
        return "below_floor"
    bids.append((imp.id, ptoken, st.token(ptoken, cur, price, local), price / MICRO))
    return None


def _finish(st: RtbState, body: BidRequest, bids: list, reasons: list, t0: float, cur: str = "", request=None):
    for r in reasons:
        st.no_bid(r)
    if not bids:
        st.counts["no_bid_responses"] += 1
        st.took(1000 * (time.perf_counter() - t0))
        seen = list(dict.fromkeys(reasons))
        return _nobid("; ".join(str(REASONS[r]) for r in seen) or REASONS["no_value"])
    st.counts["bids"] += len(bids)
    st.counts["bid_responses"] += 1
    s = st.settings
    base = (
        s.notice_url.rstrip("/") + "/api/v1/rtb" if s.notice_url else str(request.base_url).rstrip("/") + "/api/v1/rtb"
    )
    extra = {k: v for k, v in (("adomain", s.adomain), ("crid", s.crid), ("adm", s.adm)) if v}
    seat: dict[str, Any] = {
        "bid": [
            {
                "id": ptoken,
                "impid": impid,
                "price": price,
                "nurl": f"{base}/win?token={token}&price=${{AUCTION_PRICE}}",
                "lurl": f"{base}/loss?token={token}",
                **extra,
            }
            for impid, ptoken, token, price in bids
        ]
    }
    if s.seat:
        seat["seat"] = s.seat
    out = json.dumps({"id": body.id, "seatbid": [seat], "cur": cur}, separators=(",", ":"))
    st.took(1000 * (time.perf_counter() - t0))
    return Response(out, media_type="application/json")
