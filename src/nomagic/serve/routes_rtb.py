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

Why the hot path looks the way it does: at 1,000 requests/s one process has about a millisecond per
request for everything, so a request is never turned into a pandas frame of its own. The feature row is a
dict built by precompiled getters; its bid comes from a cache of recent rows (a bid depends on the row
only; the pacer comes after), else from the model's ``bid_row(dict)`` when it has one, else from
``bid_frame`` on the rows that arrived meanwhile, in a worker thread (dynamic batching), so the event loop
never waits on pandas. Win-notice tokens are signed, not stored, so memory does not grow with the bids.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import json
import logging
import math
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from nomagic.errors import InputError, NomagicError
from nomagic.serve.schemas import errors
from nomagic.serve.security import require
from nomagic.words import Text, in_lang, say

log = logging.getLogger("nomagic.serve.rtb")

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


# ------------------------------------------------------------------------------- OpenRTB 2.6 (a subset)


class _Open(BaseModel):
    """OpenRTB objects: fields nomagic does not read are allowed and kept (the spec requires it)."""

    model_config = ConfigDict(extra="allow")


class Publisher(_Open):
    id: str | None = None


class Geo(_Open):
    country: str | None = Field(None, description="ISO-3166-1 alpha-3 (as OpenRTB says; alpha-2 is accepted too).")
    region: str | None = None
    city: str | None = None


class Banner(_Open):
    w: int | None = None
    h: int | None = None
    pos: int | None = Field(None, description="Ad position: 1 above the fold, 3 below, 4 header, 5 footer, 7 full.")


class Video(_Open):
    w: int | None = None
    h: int | None = None
    pos: int | None = None


class Native(_Open):
    request: str | None = None


class Imp(_Open):
    id: str = Field(..., min_length=1, max_length=64, description="The impression's id within the request.")
    bidfloor: float = Field(0.0, ge=0, allow_inf_nan=False, description="The floor price, CPM, in bidfloorcur.")
    bidfloorcur: str = Field("USD", pattern=r"^[A-Za-z]{3}$", description="The floor's currency (ISO-4217).")
    banner: Banner | None = None
    video: Video | None = None
    native: Native | None = None
    tagid: str | None = None


class Site(_Open):
    id: str | None = None
    domain: str | None = None
    cat: list[str] | None = Field(None, description="IAB content categories.")
    page: str | None = None
    publisher: Publisher | None = None


class App(_Open):
    id: str | None = None
    bundle: str | None = None
    cat: list[str] | None = None
    publisher: Publisher | None = None


class Device(_Open):
    devicetype: int | None = Field(None, description="1 mobile/tablet, 2 PC, 3 TV, 4 phone, 5 tablet, 6, 7.")
    os: str | None = None
    ua: str | None = None
    geo: Geo | None = None


class User(_Open):
    id: str | None = None
    geo: Geo | None = None


class BidRequest(_Open):
    """An OpenRTB 2.6 BidRequest (the fields nomagic reads; any other field is allowed)."""

    id: str = Field(..., min_length=1, max_length=128)
    imp: list[Imp] = Field(..., min_length=1, max_length=100)
    site: Site | None = None
    app: App | None = None
    device: Device | None = None
    user: User | None = None
    tmax: int | None = Field(None, ge=0, description="Milliseconds the exchange waits for the answer.")
    cur: list[str] | None = Field(None, max_length=50, description="Currencies the exchange accepts (ISO-4217).")
    at: int = Field(2, description="Auction type: 1 first price, 2 second price.")
    test: int = Field(0, ge=0, le=1, description="1: a test auction, not billable (no budget is used).")


class Bid(BaseModel):
    id: str
    impid: str
    price: float = Field(..., description="CPM in the response's cur.")
    nurl: str = Field(..., description="Win notice; the exchange replaces ${AUCTION_PRICE} with the price paid.")
    lurl: str | None = Field(None, description="Loss notice: frees the bid's reservation of the budget.")
    adomain: list[str] | None = None
    crid: str | None = None
    adm: str | None = None


class SeatBid(BaseModel):
    bid: list[Bid]
    seat: str | None = None


class BidResponse(BaseModel):
    id: str
    seatbid: list[SeatBid]
    cur: str


class RtbStatus(BaseModel):
    """The bidder's state, for the dashboard."""

    ready: bool = Field(..., description="True when a model and a budget are there and bids can be made.")
    reason: str | None = Field(None, description="Why not ready, in the language asked for.")
    model_version: str | None = None
    currency: str | None = None
    budget: float | None = None
    spent: float | None = None
    reserved: float | None = Field(None, description="Held by bids whose outcome is not known yet.")
    remaining: float | None = None
    multiplier: float | None = Field(None, description="The pacer's bid multiplier (1 = on plan).")
    target: float | None = Field(None, description="The spend the plan expects by now.")
    start: str | None = None
    end: str | None = None
    requests: int = 0
    bid_responses: int = 0
    no_bid_responses: int = 0
    imps: int = 0
    bids: int = 0
    wins: int = 0
    losses: int = 0
    unknown_notices: int = Field(0, description="Win or loss notices with an unknown, forged or used token.")
    overcharges: int = Field(0, description="Win notices with a price above the bid (refused with 400).")
    test_wins: int = 0
    invalid_requests: int = 0
    cache_hits: int = Field(0, description="Impressions priced from the cache of recent feature rows.")
    no_bids: dict[str, int] = Field(default_factory=dict, description="Impressions not bid on, by reason code.")
    no_bid_reasons: dict[str, str] = Field(default_factory=dict, description="The reason codes in words.")
    latency_ms: dict[str, float | None] = Field(default_factory=dict, description="p50/p99 of recent bid requests.")
    unmapped_features: list[str] = Field(default_factory=list, description="Model features no request field feeds.")


# ------------------------------------------------------------------------------- reasons

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


# ------------------------------------------------------------------------------- the feature mapping

#: OpenRTB field → the log's feature column; ``a|b``: the first present; ``@...``: derived (see docs/rtb.md)
DEFAULT_MAPPING: dict[str, str] = {
    "site_category": "site.cat[0]|app.cat[0]",
    "category": "site.cat[0]|app.cat[0]",
    "domain": "site.domain|app.bundle",
    "site": "site.domain|app.bundle",
    "site_id": "site.id|app.id",
    "app_id": "app.id",
    "publisher": "site.publisher.id|app.publisher.id",
    "device": "device.devicetype",
    "os": "device.os",
    "ad_format": "@format",
    "above_fold": "imp.banner.pos|imp.video.pos",
    "slot_width": "imp.banner.w|imp.video.w",
    "slot_height": "imp.banner.h|imp.video.h",
    "slot_id": "imp.tagid",
    "tagid": "imp.tagid",
    "floor_price": "imp.bidfloor",
    "country": "device.geo.country|user.geo.country",
    "region": "device.geo.region|user.geo.region",
    "city": "device.geo.city|user.geo.city",
    "hour": "@hour",
    "weekday": "@weekday",
}

# ISO-3166-1 alpha-3 → alpha-2 (countries and the territories ad traffic often names)
_ISO3 = (
    "ABWAW AFGAF AGOAO AIAAI ALAAX ALBAL ANDAD AREAE ARGAR ARMAM ASMAS ATGAG AUSAU AUTAT AZEAZ BDIBI BELBE BENBJ "
    "BFABF BGDBD BGRBG BHRBH BHSBS BIHBA BLRBY BLZBZ BMUBM BOLBO BRABR BRBBB BRNBN BTNBT BWABW CAFCF CANCA CHECH "
    "CHLCL CHNCN CIVCI CMRCM CODCD COGCG COLCO COMKM CPVCV CRICR CUBCU CUWCW CYMKY CYPCY CZECZ DEUDE DJIDJ DMADM "
    "DNKDK DOMDO DZADZ ECUEC EGYEG ERIER ESPES ESTEE ETHET FINFI FJIFJ FRAFR FROFO FSMFM GABGA GBRGB GEOGE GGYGG "
    "GHAGH GIBGI GINGN GLPGP GMBGM GNBGW GNQGQ GRCGR GRDGD GRLGL GTMGT GUFGF GUMGU GUYGY HKGHK HNDHN HRVHR HTIHT "
    "HUNHU IDNID IMNIM INDIN IRLIE IRNIR IRQIQ ISLIS ISRIL ITAIT JAMJM JEYJE JORJO JPNJP KAZKZ KENKE KGZKG KHMKH "
    "KIRKI KNAKN KORKR KWTKW LAOLA LBNLB LBRLR LBYLY LCALC LIELI LKALK LSOLS LTULT LUXLU LVALV MACMO MARMA MCOMC "
    "MDAMD MDGMG MDVMV MEXMX MHLMH MKDMK MLIML MLTMT MMRMM MNEME MNGMN MOZMZ MRTMR MTQMQ MUSMU MWIMW MYSMY MYTYT "
    "NAMNA NCLNC NERNE NGANG NICNI NLDNL NORNO NPLNP NRUNR NZLNZ OMNOM PAKPK PANPA PERPE PHLPH PLWPW PNGPG POLPL "
    "PRIPR PRKKP PRTPT PRYPY PSEPS PYFPF QATQA REURE ROURO RUSRU RWARW SAUSA SDNSD SENSN SGPSG SLBSB SLESL SLVSV "
    "SMRSM SOMSO SRBRS SSDSS STPST SURSR SVKSK SVNSI SWESE SWZSZ SYCSC SYRSY TCDTD TGOTG THATH TJKTJ TKMTM TLSTL "
    "TONTO TTOTT TUNTN TURTR TUVTV TWNTW TZATZ UGAUG UKRUA URYUY USAUS UZBUZ VATVA VCTVC VENVE VGBVG VNMVN VUTVU "
    "WSMWS XKXXK YEMYE ZAFZA ZMBZM ZWEZW"
)
ISO3_TO_ISO2 = {pair[:3]: pair[3:] for pair in _ISO3.split()}

_IAB = {"IAB1": "entertainment", "IAB8": "food", "IAB12": "news", "IAB17": "sports", "IAB18": "fashion",
        "IAB19": "tech", "IAB20": "travel"}  # fmt: skip

#: values as the request writes them → as the log does (the simulator's words); ``*``: any other value,
#: ``""``: unknown. Replace a feature's table with ``[bidding.rtb_values.<feature>]`` (``{}``: none).
DEFAULT_VALUES: dict[str, dict[str, Any]] = {
    "device": {"1": "mobile", "4": "mobile", "2": "desktop", "5": "tablet", "3": "tv", "6": "connected device",
               "7": "set top box", "*": ""},
    "above_fold": {"1": True, "4": True, "7": True, "3": False, "5": False, "*": ""},
    # IAB tier-1 content categories (IAB12-3 is read as IAB12)
    "site_category": _IAB,
    "category": _IAB,
    "country": ISO3_TO_ISO2,
}  # fmt: skip

_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\[\d+\])?(\.[A-Za-z][A-Za-z0-9_]*(\[\d+\])?)*$")
_STEP = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)(?:\[(\d+)\])?$")
_FORMATS = ("banner", "native", "video", "audio")  # a multi-format imp is read as its first
DERIVED = ("@format", "@hour", "@weekday")


def _format(req, imp, now):
    for name in _FORMATS:
        if getattr(imp, name, None) is not None:
            return name
    return None


_DERIVED = {"@format": _format, "@hour": lambda req, imp, now: now.hour, "@weekday": lambda r, i, now: now.weekday()}


def _getter(path: str):
    """A function (request, imp, now) → the value at ``path`` (``imp.*`` from the impression), or None."""
    steps = [_STEP.match(part).groups() for part in path.split(".")]
    steps = [(name, None if idx is None else int(idx)) for name, idx in steps]
    from_imp = steps[0][0] == "imp"
    if from_imp:
        steps = steps[1:]

    def get(req, imp, now):
        obj = imp if from_imp else req
        for name, idx in steps:
            if obj is None:
                return None
            obj = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
            if idx is not None:
                obj = obj[idx] if isinstance(obj, list) and len(obj) > idx else None
        return obj

    return get


def compile_source(source: str, where: str):
    """``"a.b[0]|c.d|@hour"`` → a getter trying each in turn; an InputError naming ``where`` when malformed."""
    getters = []
    for alt in (s.strip() for s in str(source).split("|")):
        if alt in _DERIVED:
            getters.append(_DERIVED[alt])
        elif _PATH.match(alt) and not (alt == "imp"):
            getters.append(_getter(alt))
        else:
            raise InputError(
                say(
                    '{where} = {v!r}: not an OpenRTB field path (e.g. "site.cat[0]|app.cat[0]") or one of {d}',
                    '{where} = {v!r}: kein OpenRTB-Feldpfad (z. B. "site.cat[0]|app.cat[0]") und keiner von {d}',
                    where=where,
                    v=str(source),
                    d=", ".join(DERIVED),
                )
            )
    if len(getters) == 1:
        return getters[0]

    def first(req, imp, now):
        for g in getters:
            v = _scalar(g(req, imp, now))
            if v is not None:
                return v
        return None

    return first


def _scalar(v):
    """A usable feature value, or None (missing, blank, NaN, or not a scalar)."""
    if isinstance(v, str):
        v = v.strip()
        return v or None
    if isinstance(v, bool | int):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    return None


def _translate(v, table: dict | None):
    if v is None or not table:
        return v
    key = v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
    if key in table:
        out = table[key]
    elif isinstance(v, str) and "-" in key and key.split("-", 1)[0] in table:  # a sub-category: its tier 1
        out = table[key.split("-", 1)[0]]
    elif "*" in table:
        out = table["*"]
    else:
        return v
    return None if out == "" else out


class Mapping:
    """The model's features from a request and an impression: ``row(request, imp, now) -> dict``."""

    def __init__(self, features: list[str], mapping: dict[str, str], values: dict[str, dict], where: str = ""):
        self.features = list(features)
        self.unmapped = [f for f in self.features if f not in mapping]
        self._parts = []
        for f in self.features:
            if f in mapping:
                get = compile_source(mapping[f], f"{where}{f}")
                self._parts.append((f, get, values.get(f)))

    def row(self, req, imp, now) -> dict:
        row = dict.fromkeys(self.unmapped)  # what no field feeds is unknown
        for f, get, table in self._parts:
            row[f] = _translate(_scalar(get(req, imp, now)), table)
        return row


# ------------------------------------------------------------------------------- settings


@dataclass
class Settings:
    """``[bidding]`` of ``.nomagic/config.toml`` (see docs/rtb.md)."""

    path: Path
    budget: float | None = None
    start: datetime | None = None
    end: datetime | None = None
    traffic_shape: list[float] | None = None
    notice_timeout_s: float = 600.0
    tmax_margin_ms: float = 20.0
    rtb_cache: int = 100_000
    notice_url: str | None = None
    adomain: list[str] | None = None
    crid: str | None = None
    seat: str | None = None
    adm: str | None = None
    rates: dict[str, float] = field(default_factory=dict)
    mapping: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MAPPING))
    values: dict[str, dict] = field(default_factory=lambda: dict(DEFAULT_VALUES))


def _bad(path: Path, key: str, want_en: str, want_de: str, got) -> InputError:
    return InputError(
        say(
            "{path}: [bidding] {key} must be {w}; got {got!r}",
            "{path}: [bidding] {key} muss {wd} sein; erhalten: {got!r}",
            path=str(path),
            key=key,
            w=want_en,
            wd=want_de,
            got=got,
        )
    )


def _when(doc: dict, key: str, path: Path) -> datetime | None:
    v = doc.get(key)
    if v is None:
        return None
    if isinstance(v, datetime):
        return v
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    if isinstance(v, str):
        try:
            return datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            pass
    raise _bad(path, key, 'a date-time, e.g. "2026-12-01T00:00"', 'ein Zeitpunkt, z. B. "2026-12-01T00:00"', v)


def read_settings(path: Path) -> Settings:
    """The bidding settings in ``path`` (defaults without a file); an InputError naming the file and key."""
    from nomagic.privacy.config import read

    doc = read(path).get("bidding", {})
    s = Settings(Path(path))
    if not isinstance(doc, dict):
        raise _bad(path, "", "a table", "eine Tabelle", doc)
    budget = doc.get("budget")
    if budget is not None:
        if isinstance(budget, bool) or not isinstance(budget, int | float) or not math.isfinite(budget) or budget < 0:
            raise _bad(path, "budget", "a number of at least 0", "eine Zahl von mindestens 0", budget)
        s.budget = float(budget)
        s.start, s.end = _when(doc, "start", path), _when(doc, "end", path)
        for key in ("start", "end"):
            if getattr(s, key) is None:
                raise _bad(path, key, "set with the budget (the campaign's window)", "mit dem Budget gesetzt", None)
        if (s.start.tzinfo is None) != (s.end.tzinfo is None) or not s.end > s.start:
            raise _bad(path, "end", "after start (both with or both without a time zone)", "nach start", doc["end"])
    shape = doc.get("traffic_shape")
    if shape is not None:
        ok = isinstance(shape, list) and len(shape) == 24
        if not ok or not all(isinstance(w, int | float) and not isinstance(w, bool) and w >= 0 for w in shape):
            raise _bad(path, "traffic_shape", "24 weights of at least 0", "24 Gewichte von mindestens 0", shape)
        s.traffic_shape = [float(w) for w in shape]
    for key in ("notice_timeout_s", "tmax_margin_ms", "rtb_cache"):
        if key in doc:
            v = doc[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not (0 <= v < 1e7):
                raise _bad(path, key, "a number of at least 0", "eine Zahl von mindestens 0", v)
            setattr(s, key, int(v) if key == "rtb_cache" else float(v))
    for key in ("notice_url", "crid", "seat", "adm"):
        if key in doc:
            if not isinstance(doc[key], str) or not doc[key]:
                raise _bad(path, key, "a text", "ein Text", doc[key])
            setattr(s, key, doc[key])
    if s.notice_url is not None and not re.match(r"^https?://[^\s?#]+$", s.notice_url):
        raise _bad(
            path,
            "notice_url",
            'the server\'s public URL, e.g. "https://bid.example.com"',
            "eine URL",
            doc["notice_url"],
        )
    if "adomain" in doc:
        v = doc["adomain"]
        if not isinstance(v, list) or not all(isinstance(d, str) and d for d in v):
            raise _bad(path, "adomain", 'a list of domains, e.g. ["shop.example"]', "eine Liste von Domains", v)
        s.adomain = list(v)
    rates = doc.get("rtb_rates", {})
    if not isinstance(rates, dict):
        raise _bad(path, "rtb_rates", "a table, e.g. USD = 1.08", "eine Tabelle", rates)
    for cur, rate in rates.items():
        if not re.match(r"^[A-Za-z]{3}$", cur) or isinstance(rate, bool) or not isinstance(rate, int | float):
            raise _bad(path, f"rtb_rates.{cur}", "a number per ISO currency", "eine Zahl je ISO-Währung", rate)
        if not (math.isfinite(rate) and rate > 0):
            raise _bad(path, f"rtb_rates.{cur}", "above 0", "größer als 0", rate)
        s.rates[cur.upper()] = float(rate)
    mapping = doc.get("rtb_mapping", {})
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise _bad(path, "rtb_mapping", 'field paths, e.g. user_segment = "user.ext.segment"', "Feldpfade", mapping)
    s.mapping.update(mapping)
    for f, src in s.mapping.items():
        compile_source(src, f"{path}: [bidding.rtb_mapping] {f}")  # fail now, not on the first request
    values = doc.get("rtb_values", {})
    for f, table in values.items() if isinstance(values, dict) else [("", values)]:
        if not isinstance(table, dict) or not all(isinstance(v, str | bool | int | float) for v in table.values()):
            raise _bad(path, f"rtb_values.{f}", 'a table, e.g. IAB3 = "business"', "eine Tabelle", table)
        s.values[f] = {str(k): v for k, v in table.items()}
    return s


# ------------------------------------------------------------------------------- the state


class _Batcher:
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


class Ledger:
    """``.nomagic/rtb_ledger.json``: the pacer's lease for this campaign (budget, start, end), written durably
    before money below it is committed, so a restarted server never spends what the last one may have."""

    def __init__(self, settings: Settings):
        self.path = Path(settings.path).parent / "rtb_ledger.json"
        self.campaign = {"budget": settings.budget, "start": str(settings.start), "end": str(settings.end)}

    def committed(self) -> float:
        """The last lease written for this campaign; 0 for a new campaign. An unreadable ledger stops bidding
        (InputError naming the file): guessing 0 could spend the budget twice."""
        if not self.path.exists():
            return 0.0
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            same = doc.get("campaign") == self.campaign
            return float(doc["committed"]) if same else 0.0
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(
                say(
                    "{p} is not a readable ledger ({e}); delete it only if no bid of this campaign was made",
                    "{p} ist kein lesbares Kassenbuch ({e}); nur löschen, wenn in dieser Kampagne nicht geboten wurde",
                    p=str(self.path),
                    e=str(exc),
                )
            ) from exc

    def write(self, committed: float) -> None:
        import os
        import tempfile

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".rtb_ledger.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"campaign": self.campaign, "committed": committed}, fh)
            fh.flush()
            os.fsync(fh.fileno())  # durable before the money below it is committed
        os.replace(tmp, self.path)


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
            self.batcher = None if self.fast else _Batcher(bidder, bidder.features, self.model_time)
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
                st.batcher = None if st.fast else _Batcher(fresh, fresh.features, st.model_time)
        except Exception as exc:  # noqa: BLE001 -- keep bidding with the model already loaded
            log.warning("new bid model not loaded, keeping %s: %s", getattr(st.bidder, "version", "?"), exc)
    return st


# ------------------------------------------------------------------------------- routes


def _where(loc) -> str:
    out = ""
    for p in loc[1:] if loc and loc[0] in ("body", "query") else loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "body"


def _problem(e: dict) -> Text:
    where, kind, ctx = _where(e.get("loc", ())), e.get("type", ""), e.get("ctx") or {}
    if kind == "missing":
        return say("{w} is missing", "{w} fehlt", w=where)
    if where == "imp" and kind == "too_short":
        return say("imp is empty: there is nothing to bid on", "imp ist leer: es gibt nichts zu bieten")
    if kind == "greater_than_equal":
        ge = ctx.get("ge")
        if isinstance(ge, int | float):
            return say("{w} must be at least {v:g}", "{w} muss mindestens {v:g} sein", w=where, v=ge)
    return say("{w}: {m}", "{w}: {m}", w=where, m=e.get("msg", ""))  # pydantic's own words stay English


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


def _nobid(reason: Text | str) -> Response:
    text = " ".join(str(reason).split()).encode("latin-1", "replace").decode("latin-1")[:300]
    return Response(status_code=204, headers={"X-Nomagic-Reason": text})


def _micros_down(x: float) -> int:
    return math.floor(x * MICRO + 1e-6)


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
    answer = _bid(st, body, request, t0)
    if isinstance(answer, Response):
        return answer
    return await answer


def _refuse(st: RtbState, reason: str, n: int, t0: float, words: Text | None = None) -> Response:
    st.counts["no_bid_responses"] += 1
    st.no_bid(reason, n)
    st.took(1000 * (time.perf_counter() - t0))
    return _nobid(words or REASONS[reason])


def _bid(st: RtbState, body: BidRequest, request: Request, t0: float):
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
