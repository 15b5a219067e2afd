"""The OpenRTB 2.6 objects the bidder reads and answers (a subset), its state's schema, and the words
for a request that does not validate (EN/DE)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from nomagic.words import Text, say


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


# ------------------------------------------------------------------------------- validation problems in words


def field_path(loc) -> str:
    out = ""
    for p in loc[1:] if loc and loc[0] in ("body", "query") else loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "body"


def problem(e: dict) -> Text:
    where, kind, ctx = field_path(e.get("loc", ())), e.get("type", ""), e.get("ctx") or {}
    if kind == "missing":
        return say("{w} is missing", "{w} fehlt", w=where)
    if where == "imp" and kind == "too_short":
        return say("imp is empty: there is nothing to bid on", "imp ist leer: es gibt nichts zu bieten")
    if kind == "greater_than_equal":
        ge = ctx.get("ge")
        if isinstance(ge, int | float):
            return say("{w} must be at least {v:g}", "{w} muss mindestens {v:g} sein", w=where, v=ge)
    return say("{w}: {m}", "{w}: {m}", w=where, m=e.get("msg", ""))  # pydantic's own words stay English
