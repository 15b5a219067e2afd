"""A real-time bidder: OpenRTB 2.6 bid requests in, a paced bid (or 204 no bid) out, win notices back.

``POST /api/v1/rtb/bid`` takes an OpenRTB 2.6 BidRequest and answers a BidResponse with one bid per
impression worth buying, or ``204 No Content`` (no bid) with the reason in the ``X-Nomagic-Reason``
header. The price is the promoted ``bidding`` model's bid (CPM in the log's currency) times the pacer's
multiplier (:class:`~nomagic.usecases.bidding.pacing.Pacer`: it lowers or refuses bids to spread the
budget, and reserves every bid so that spend never passes the budget). ``imp[].bidfloor`` is respected,
``tmax`` is honoured (no answer is better than a late one), and the price is in a currency the request
accepts (``cur``; other currencies than the model's through ``[bidding.rtb_rates]``).
``GET /api/v1/rtb/win?token=...&price=${AUCTION_PRICE}`` (the bid's ``nurl``) books what a won auction
cost; ``GET /api/v1/rtb/loss?token=...`` (``lurl``) frees the reservation of a lost one;
``GET /api/v1/rtb/state`` shows spend, budget and no bids by reason. See docs/rtb.md.

The parts: :mod:`~nomagic.serve.rtb_openrtb` (the OpenRTB objects), :mod:`~nomagic.serve.rtb_mapping`
(request → feature row), :mod:`~nomagic.serve.rtb_settings` (``[bidding]``, the ledger),
:mod:`~nomagic.serve.rtb_state` (model, pacer, counters, tokens), :mod:`~nomagic.serve.rtb_auction` (a
request's answer); this module holds the routes and :func:`install`.
"""

from __future__ import annotations

import gc
import logging
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from nomagic.errors import InputError, NomagicError
from nomagic.serve.rtb_auction import respond
from nomagic.serve.rtb_mapping import DEFAULT_MAPPING, DEFAULT_VALUES, ISO3_TO_ISO2, Mapping, compile_source
from nomagic.serve.rtb_openrtb import BidRequest, BidResponse, RtbStatus
from nomagic.serve.rtb_openrtb import field_path as _where
from nomagic.serve.rtb_openrtb import problem as _problem
from nomagic.serve.rtb_settings import Ledger, Settings, read_settings
from nomagic.serve.rtb_state import MICRO, REASONS, Batcher, Bidder, RtbState
from nomagic.serve.schemas import errors
from nomagic.serve.security import require
from nomagic.words import Text, in_lang, say

# what callers (tests, bench/rtb.py) read from here, wherever it now lives
__all__ = [
    "DEFAULT_MAPPING",
    "DEFAULT_VALUES",
    "ISO3_TO_ISO2",
    "REASONS",
    "BidRequest",
    "BidResponse",
    "Bidder",
    "Ledger",
    "Mapping",
    "RtbState",
    "RtbStatus",
    "Settings",
    "compile_source",
    "install",
    "read_settings",
    "router",
]

log = logging.getLogger("nomagic.serve.rtb")


def _config_path(url: str | None) -> Path:
    from nomagic.privacy.audit import state_folder

    return state_folder(url) / "config.toml"


def _load_bidder(url: str | None):
    """The promoted bidding champion, or None (no model module yet, nothing promoted)."""
    try:
        from nomagic.usecases.bidding.model import load_bidder
    except ImportError:
        return None
    return load_bidder(url)


def install(
    app, bidder: Bidder | None = ..., *, config: str | Path | None = None, clock=None, freeze: bool | None = None
) -> RtbState:
    """Build (or rebuild) the app's bidder state: ``bidder`` (default: the registry's champion), the settings
    in ``config`` (default: ``.nomagic/config.toml`` next to the warehouse), ``clock`` (``now()`` for the pacer).
    ``freeze`` (default: when the champion is loaded here) takes what is loaded out of the garbage collector's
    full passes; tests that build many apps in one process leave it off."""
    freeze = bidder is ... if freeze is None else freeze
    url = getattr(app.state, "url", None)
    path = Path(config) if config is not None else _config_path(url)
    problem = None
    try:
        settings = read_settings(path)
    except NomagicError as exc:
        settings, problem = Settings(path), Text(exc.lang("en"), exc.lang("de"))
    if bidder is ...:
        try:
            bidder = _load_bidder(url)
        except Exception as exc:  # noqa: BLE001 -- a broken model: no bids, and the reason says why
            log.warning("bid model not loaded: %s", type(exc).__name__)
            bidder, problem = (
                None,
                problem
                or say(
                    "the bid model could not be loaded: {e}",
                    "das Gebotsmodell konnte nicht geladen werden: {e}",
                    e=str(exc),
                ),
            )
    st = RtbState(bidder, settings, problem=problem, clock=clock, nm=getattr(app.state, "nm", None))
    if st.problem is not None and st.problem[0] == "config":
        log.warning("real-time bidding is off: %s", st.problem[1])
    app.state.rtb = st
    if freeze and st.pacer is not None:
        # The model and the libraries are loaded for good: take them out of the cyclic collector's full
        # passes, which otherwise stop the process for ~100 ms (pandas, scikit-learn) every few seconds.
        gc.collect()
        gc.freeze()
    return st


def _state(request: Request) -> RtbState:
    st = getattr(request.app.state, "rtb", None)
    if st is None:
        st = install(request.app)
    elif st.nm is not None and st.nm is not getattr(request.app.state, "nm", None):
        # /admin/reload read the registry again: take the (new) champion; keep the pacer and its spend
        if st.pacer is None:
            return install(request.app)  # nothing was bid yet: start afresh (settings read again too)
        st.nm = request.app.state.nm
        try:
            fresh = _load_bidder(request.app.state.url)
            if fresh is not None:
                mapping = Mapping(fresh.features, st.settings.mapping, st.settings.values)
                st.bidder, st.mapping, st.currency = fresh, mapping, str(fresh.currency).upper()
                st.cache = {} if st.cache is not None else None
                st.fast = getattr(fresh, "bid_row", None)
                st.batcher = None if st.fast else Batcher(fresh, fresh.features, st.model_time)
        except Exception as exc:  # noqa: BLE001 -- keep bidding with the model already loaded
            log.warning("new bid model not loaded, keeping %s: %s", getattr(st.bidder, "version", "?"), exc)
    return st


# ------------------------------------------------------------------------------- routes


_ANALYST = require("analyst")


class _RtbRoute(APIRoute):
    """Notes the arrival time (for tmax), checks the API key of the bid route, and answers invalid requests
    with 400 and a reason (EN/DE). The key is checked here rather than by ``Depends``: the same check
    (:func:`~nomagic.serve.security.require`), also before the body, at a tenth of the bid route's cost."""

    def get_route_handler(self):
        handler = super().get_route_handler()
        keyed = bool((self.openapi_extra or {}).get("security"))

        async def route(request: Request) -> Response:
            request.scope["nomagic.rtb_t0"] = time.perf_counter()
            if keyed:
                await _ANALYST(request, request.headers.get("x-api-key"))
            try:
                return await handler(request)
            except RequestValidationError as exc:
                from nomagic.serve.api import client_lang

                errs = exc.errors()
                st = getattr(request.app.state, "rtb", None)
                if st is not None:
                    st.counts["invalid_requests"] += 1
                if any(e.get("type") == "json_invalid" for e in errs):
                    words = say("malformed JSON: the body is not valid JSON", "fehlerhaftes JSON: kein gültiges JSON")
                else:
                    words = say(
                        "invalid bid request: {p}",
                        "ungültige Gebotsanfrage: {p}",
                        p=Text("; ".join(_problem(e) for e in errs[:5]), "; ".join(_problem(e).de for e in errs[:5])),
                    )
                problems = [{"where": _where(e.get("loc", ())), "problem": e.get("msg", "")} for e in errs[:20]]
                return JSONResponse(
                    {"error": "bad_request", "detail": words.lang(client_lang(request)), "problems": problems},
                    status_code=400,
                )

        return route


router = APIRouter(tags=["rtb"], route_class=_RtbRoute)

_NO_BID = {
    "description": "No bid (OpenRTB): the reason is in the header",
    "headers": {"X-Nomagic-Reason": {"description": "Why no bid, in English.", "schema": {"type": "string"}}},
}
_ERRORS = errors(400, 401, 403, 413, words={400: "Malformed JSON or an invalid bid request: the reason says which"})


@router.post(
    "/rtb/bid",
    response_model=BidResponse,
    responses={204: _NO_BID, **_ERRORS},
    summary="OpenRTB 2.6: a bid for each impression worth buying, or 204 no bid",
    openapi_extra={"security": [{"APIKeyHeader": []}]},  # an analyst's key, checked by _RtbRoute
)
async def bid(body: BidRequest, request: Request):
    """The champion's bid per impression, times the pacer's multiplier, in a currency the exchange accepts.

    No bid (204, reason in ``X-Nomagic-Reason``) without a promoted model or a budget, when no accepted
    currency can be bid in, below the floor, when the pacer refuses, or when the answer would miss ``tmax``.
    Send the key of an analyst in ``X-API-Key`` (exchanges let a bidder set a header)."""
    t0 = request.scope.get("nomagic.rtb_t0") or time.perf_counter()
    st = _state(request)
    c = st.counts
    c["requests"] += 1
    c["imps"] += len(body.imp)
    answer = respond(st, body, request, t0)
    if isinstance(answer, Response):
        return answer
    return await answer


_NOTICE = {204: {"description": "Booked (or an unknown, forged or used token: counted, nothing booked)"}}


@router.get(
    "/rtb/win",
    status_code=204,
    responses={**_NOTICE, **errors(400, words={400: "A price above the bid (counted), or not a number"})},
    summary="Win notice (the bid's nurl): books the price paid; no API key (the token is signed)",
)
async def win(
    request: Request,
    token: str = Query(..., min_length=1, max_length=200, description="The token of the bid's nurl."),
    price: float = Query(..., ge=0, allow_inf_nan=False, description="The price paid, CPM in the bid's currency."),
):
    st = _state(request)
    got = st.read_token(token)
    if got is None or st.pacer is None:
        st.counts["unknown_notices"] += 1
        return Response(status_code=204)
    ptoken, cur, bid_price, local = got
    if ptoken.startswith("t"):
        st.counts["test_wins"] += 1
        return Response(status_code=204)
    rate = st.rate(cur) or 1.0
    over = math.ceil(price * MICRO - 1e-6) > bid_price  # as the pacer rounds a charge
    charge = price / rate if over else min(price / rate, local / MICRO)  # conversion rounding never overcharges
    before = st.pacer.counts["unknown_notices"]
    try:
        st.pacer.win(ptoken, charge, st.clock())
    except InputError:
        pass  # the pacer booked it and counted the overcharge; the exchange hears of it below
    if st.pacer.counts["unknown_notices"] > before:  # a second notice for the same bid
        st.counts["unknown_notices"] += 1
        return Response(status_code=204)
    st.counts["wins"] += 1
    if over:
        st.counts["overcharges"] += 1
        raise _http(
            400,
            say(
                "win notice: the price {p} {c} is above the bid {b} {c}: booked, and counted as an overcharge",
                "Gewinnmeldung: der Preis {p} {c} liegt über dem Gebot {b} {c}: verbucht und als Überzahlung gezählt",
                p=price,
                b=bid_price / MICRO,
                c=cur,
            ),
        )
    return Response(status_code=204)


def _http(code: int, words: Text):
    from fastapi import HTTPException

    return HTTPException(code, words)


@router.get(
    "/rtb/loss",
    status_code=204,
    responses={**_NOTICE, **errors(400)},
    summary="Loss notice (the bid's lurl): frees the bid's reservation of the budget; no API key",
)
async def loss(
    request: Request, token: str = Query(..., min_length=1, max_length=200, description="The token of the bid's lurl.")
):
    st = _state(request)
    got = st.read_token(token)
    if got is None or st.pacer is None or got[0].startswith("t"):
        st.counts["unknown_notices"] += got is None or st.pacer is None
        return Response(status_code=204)
    before = st.pacer.counts["unknown_notices"]
    st.pacer.loss(got[0])
    if st.pacer.counts["unknown_notices"] > before:
        st.counts["unknown_notices"] += 1
    else:
        st.counts["losses"] += 1
    return Response(status_code=204)


@router.get(
    "/rtb/state",
    response_model=RtbStatus,
    responses=errors(401, 403),
    summary="The bidder: spend against budget, bids, wins, no bids by reason, the pacer's multiplier",
)
async def state(request: Request, key=Depends(require("analyst"))) -> RtbStatus:
    from nomagic.serve.api import client_lang

    lang = client_lang(request)
    st = _state(request)
    lat = st.latency[~np.isnan(st.latency)]
    out: dict[str, Any] = {
        **st.counts,
        "ready": st.problem is None,
        "reason": None if st.problem is None else in_lang(st.problem[1], lang),
        "model_version": getattr(st.bidder, "version", None),
        "currency": getattr(st, "currency", None),
        "no_bids": dict(st.no_bids),
        "no_bid_reasons": {k: in_lang(v, lang) for k, v in REASONS.items()},
        "latency_ms": {
            "p50": round(float(np.percentile(lat, 50)), 3) if len(lat) else None,
            "p99": round(float(np.percentile(lat, 99)), 3) if len(lat) else None,
        },
        "unmapped_features": list(st.mapping.unmapped) if st.mapping is not None else [],
    }
    if st.pacer is not None:
        p = st.pacer.state()
        out.update({k: p[k] for k in ("budget", "spent", "reserved", "remaining", "multiplier", "target")})
        out.update(start=st.pacer.start.isoformat(), end=st.pacer.end.isoformat())
    return RtbStatus(**out)
