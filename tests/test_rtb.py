"""The OpenRTB 2.6 bidder of `nomagic serve`: bid and no bid, floors, currencies, tmax, win notices, the budget,
bad requests (EN/DE), no model, the settings, the OpenAPI document. A small fake model stands in for the champion."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from nomagic.serve import ServeConfig, create_app  # noqa: E402
from nomagic.serve import routes_rtb as rtb  # noqa: E402
from nomagic.serve.keys import KeyStore  # noqa: E402

FEATURES = ["site_category", "device", "ad_format", "country", "hour", "above_fold", "user_segment"]
START = datetime(2026, 12, 7)
CONFIG = '[bidding]\nbudget = {budget}\nstart = "2026-12-07T00:00"\nend = "2026-12-09T00:00"\n'


class FakeBidder:
    """2 EUR CPM, 4 on fashion sites, 0 on travel; records the rows it was asked about."""

    version = "bidding v0001"
    currency = "EUR"
    features = FEATURES

    def __init__(self, delay: float = 0.0):
        self.rows: list[dict] = []
        self.delay = delay

    def _bid(self, row: dict) -> float:
        return {"fashion": 4.0, "travel": 0.0}.get(row["site_category"], 2.0)

    def bid_frame(self, frame):
        import time

        time.sleep(self.delay)
        self.rows.extend(frame.to_dict("records"))
        bids = np.array([self._bid(r) for r in frame.to_dict("records")])
        return bids, np.full(len(frame), 0.01)


class FastBidder(FakeBidder):
    def bid_row(self, row: dict) -> tuple[float, float]:
        self.rows.append(row)
        return self._bid(row), 0.01


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rtb")
    store = KeyStore(folder / "keys.json")
    keys = {role: store.create(role)[0] for role in ("viewer", "analyst")}
    app = create_app(
        ServeConfig(
            warehouse=str(folder / "w.duckdb"), keys=folder / "keys.json", fit_recommender=False, flush_seconds=3600
        )
    )
    return app, keys, folder


@pytest.fixture
def bidder(served, tmp_path):
    """(client, headers, set-up): ``setup(bidder, config text)`` installs a fresh bidder state."""
    app, keys, _ = served
    client = TestClient(app)
    clock = Clock(START + timedelta(hours=12))

    def setup(model=None, config: str = CONFIG.format(budget=1000), *, restart: bool = False, **kw):
        """A new server state; ``restart``: the same campaign goes on from its ledger (else a fresh campaign)."""
        path = tmp_path / "config.toml"
        path.write_text(config)
        if not restart:
            (tmp_path / "rtb_ledger.json").unlink(missing_ok=True)
        return rtb.install(app, FastBidder() if model is None else model, config=path, clock=clock, **kw)

    yield client, {"X-API-Key": keys["analyst"]}, setup, clock
    if hasattr(app.state, "rtb"):
        del app.state.rtb


def request(n_imps: int = 1, **over) -> dict:
    imp = {"id": "1", "banner": {"w": 300, "h": 250, "pos": 1}, "bidfloor": 0.5, "bidfloorcur": "EUR"}
    body = {
        "id": "req-1",
        "imp": [{**imp, "id": str(i + 1)} for i in range(n_imps)],
        "site": {"id": "s1", "domain": "mode.example", "cat": ["IAB18-3"], "publisher": {"id": "p1"}},
        "device": {"devicetype": 4, "os": "iOS", "geo": {"country": "DEU", "region": "BE"}},
        "user": {"id": "u1", "ext": {"segment": "loyal"}},
        "tmax": 1000,  # generous: a cold first request on a loaded machine must not time out (see test_tmax)
        "cur": ["EUR"],
        "at": 2,
        "regs": {"gdpr": 1},  # fields nomagic does not read are allowed
    }
    body.update(over)
    return body


def notice(url: str, price: float | None = None) -> str:
    u = urlparse(url)
    q = u.query.replace("${AUCTION_PRICE}", str(price)) if price is not None else u.query
    return f"{u.path}?{q}"


# ----------------------------------------------------------------------------------------- bids


def test_a_bid_its_features_and_the_win_notice_round_trip(bidder):
    client, h, setup, _ = bidder
    st = setup()
    r = client.post("/api/v1/rtb/bid", json=request(), headers=h)
    assert r.status_code == 200, r.headers.get("X-Nomagic-Reason")
    body = r.json()
    assert body["id"] == "req-1" and body["cur"] == "EUR"
    [bid] = body["seatbid"][0]["bid"]
    assert bid["impid"] == "1" and 0.5 <= bid["price"] <= 4.0 * 3.0  # the pacer's multiplier is at most 3
    assert "${AUCTION_PRICE}" in bid["nurl"] and bid["nurl"].startswith("http")
    # the documented default mapping: IAB18 -> fashion, devicetype 4 -> mobile, pos 1 -> above the fold, DEU -> DE
    row = st.bidder.rows[-1]
    assert row == {
        "site_category": "fashion",
        "device": "mobile",
        "ad_format": "banner",
        "country": "DE",
        "hour": 12,
        "above_fold": True,
        "user_segment": None,  # nothing maps to it by default: unknown
    }
    assert st.pacer.reserved == pytest.approx(bid["price"])
    won = client.get(notice(bid["nurl"], round(bid["price"] * 0.6, 6)))
    assert won.status_code == 204
    state = client.get("/api/v1/rtb/state", headers=h).json()
    assert state["spent"] == pytest.approx(round(bid["price"] * 0.6, 6)) and state["reserved"] == 0
    assert state["wins"] == 1 and state["bids"] == 1 and state["ready"] and state["model_version"] == "bidding v0001"
    # the same notice again, and a forged one: booked once, counted
    assert client.get(notice(bid["nurl"], 0.1)).status_code == 204
    forged = bid["nurl"].replace("token=", "token=9")
    assert client.get(notice(forged, 0.1)).status_code == 204
    state = client.get("/api/v1/rtb/state", headers=h).json()
    assert state["wins"] == 1 and state["unknown_notices"] == 2 and state["spent"] == pytest.approx(bid["price"] * 0.6)


def test_the_frame_path_batches_and_bids_the_same(bidder):
    client, h, setup, _ = bidder
    st = setup(FakeBidder())
    assert st.batcher is not None
    r = client.post("/api/v1/rtb/bid", json=request(n_imps=3), headers=h)
    assert r.status_code == 200
    assert [b["impid"] for b in r.json()["seatbid"][0]["bid"]] == ["1", "2", "3"]
    assert len(st.bidder.rows) == 3 and st.bidder.rows[0]["site_category"] == "fashion"


def test_repeated_feature_rows_are_priced_from_the_cache(bidder):
    client, h, setup, _ = bidder
    st = setup()
    for _ in range(3):
        assert client.post("/api/v1/rtb/bid", json=request(), headers=h).status_code == 200
    assert len(st.bidder.rows) == 1 and st.counts["cache_hits"] == 2
    st = setup(config=CONFIG.format(budget=1000) + "rtb_cache = 0\n")
    for _ in range(3):
        client.post("/api/v1/rtb/bid", json=request(), headers=h)
    assert len(st.bidder.rows) == 3 and st.counts["cache_hits"] == 0


def test_floor_is_respected(bidder):
    client, h, setup, _ = bidder
    setup()
    # nothing spent at noon of a 2-day campaign: behind plan, the pacer bids 3x the model's 4 EUR
    high = request(imp=[{"id": "1", "banner": {"w": 1, "h": 1}, "bidfloor": 12.5, "bidfloorcur": "EUR"}])
    r = client.post("/api/v1/rtb/bid", json=high, headers=h)
    assert r.status_code == 204 and r.content == b""
    assert r.headers["X-Nomagic-Reason"] == "the bid is below the floor (bidfloor)"
    lifted = request(imp=[{"id": "1", "banner": {"w": 1, "h": 1}, "bidfloor": 5.0, "bidfloorcur": "EUR"}])
    price = client.post("/api/v1/rtb/bid", json=lifted, headers=h).json()["seatbid"][0]["bid"][0]["price"]
    assert 5.0 <= price <= 12.0
    # two impressions, one under its floor: a bid on the other only
    two = request(n_imps=2)
    two["imp"][1]["bidfloor"] = 50.0
    bids = client.post("/api/v1/rtb/bid", json=two, headers=h).json()["seatbid"][0]["bid"]
    assert [b["impid"] for b in bids] == ["1"]


def test_currencies(bidder):
    client, h, setup, _ = bidder
    setup()
    r = client.post("/api/v1/rtb/bid", json=request(cur=["USD"]), headers=h)
    assert r.status_code == 204 and "accepted currencies" in r.headers["X-Nomagic-Reason"]
    # a zero floor in any currency is no floor; a floor in a currency without a rate is unusable
    assert client.post("/api/v1/rtb/bid", json=request(imp=[{"id": "1", "banner": {}}]), headers=h).status_code == 200
    usd_floor = request(imp=[{"id": "1", "banner": {}, "bidfloor": 1.0, "bidfloorcur": "USD"}])
    r = client.post("/api/v1/rtb/bid", json=usd_floor, headers=h)
    assert r.status_code == 204 and "bidfloorcur" in r.headers["X-Nomagic-Reason"]
    # with a rate (1 EUR = 1.25 USD) the bid is made in USD, and the win notice's USD price is booked in EUR
    st = setup(config=CONFIG.format(budget=1000) + "\n[bidding.rtb_rates]\nUSD = 1.25\n")
    r = client.post("/api/v1/rtb/bid", json=request(cur=["USD"]), headers=h)
    assert r.status_code == 200 and r.json()["cur"] == "USD"
    bid = r.json()["seatbid"][0]["bid"][0]
    assert bid["price"] == pytest.approx(st.pacer.reserved * 1.25, abs=2e-6)
    assert client.get(notice(bid["nurl"], 2.5)).status_code == 204
    assert st.pacer.spent == pytest.approx(2.0)
    # a USD floor of 4.9 is 3.92 EUR: under the fashion bid of 4 EUR
    r = client.post("/api/v1/rtb/bid", json={**usd_floor, "imp": [{"id": "1", "bidfloor": 4.9}]}, headers=h)
    assert r.status_code == 200 and r.json()["cur"] == "EUR"


def test_tmax_is_honoured(bidder):
    client, h, setup, _ = bidder
    setup()
    r = client.post("/api/v1/rtb/bid", json=request(tmax=15), headers=h)  # within the 20 ms safety margin
    assert r.status_code == 204 and "tmax" in r.headers["X-Nomagic-Reason"]
    st = setup(FakeBidder(delay=0.06))  # a model slower than tmax allows
    r = client.post("/api/v1/rtb/bid", json=request(tmax=70), headers=h)
    assert r.status_code == 204 and "tmax" in r.headers["X-Nomagic-Reason"]
    assert st.pacer.reserved == 0 and st.no_bids == {"tmax": 1}
    assert client.post("/api/v1/rtb/bid", json=request(tmax=400), headers=h).status_code == 200


def test_budget_is_never_overspent_with_random_win_notices(bidder):
    client, h, setup, clock = bidder
    st = setup(config=CONFIG.format(budget=60))
    at = START + timedelta(hours=47)  # the last hour: the plan wants the whole budget spent
    rng = random.Random(7)
    sites = ["IAB18", "IAB12", "IAB17", "IAB20"]
    urls = []
    for i in range(300):
        clock.now = at + timedelta(seconds=10 * i)
        body = request(n_imps=rng.randint(1, 3), site={"cat": [rng.choice(sites)]})
        body["imp"][0]["bidfloor"] = rng.choice([0.0, 1.0, 3.0])
        r = client.post("/api/v1/rtb/bid", json=body, headers=h)
        assert r.status_code in (200, 204)
        if r.status_code == 200:
            for b in r.json()["seatbid"][0]["bid"]:
                assert b["price"] >= body["imp"][int(b["impid"]) - 1]["bidfloor"]
                urls.append((b["nurl"], b["price"], b["lurl"]))
        # notices arrive late, out of order, some twice, some as losses
        while urls and rng.random() < 0.7:
            url, price, lurl = urls.pop(rng.randrange(len(urls)))
            if rng.random() < 0.6:
                assert client.get(notice(url, round(rng.uniform(0, price), 6))).status_code == 204
                if rng.random() < 0.2:
                    client.get(notice(url, price))  # a duplicate nurl call
            else:
                assert client.get(notice(lurl)).status_code == 204
        assert st.pacer.spent + st.pacer.reserved <= 60 + 1e-9
    state = client.get("/api/v1/rtb/state", headers=h).json()
    assert state["spent"] <= 60 and state["wins"] > 5 and state["no_bids"].get("budget", 0) > 0
    assert state["overcharges"] == 0 and state["unknown_notices"] > 0


def test_a_price_above_the_bid_is_refused_and_counted(bidder):
    client, h, setup, _ = bidder
    setup()
    bid = client.post("/api/v1/rtb/bid", json=request(), headers=h).json()["seatbid"][0]["bid"][0]
    r = client.get(notice(bid["nurl"], 99.5), headers={"Accept-Language": "de"})
    assert r.status_code == 400
    assert "99,5 EUR" in r.json()["detail"] and "Überzahlung" in r.json()["detail"]
    state = client.get("/api/v1/rtb/state", headers=h).json()
    assert state["overcharges"] == 1 and state["spent"] == pytest.approx(99.5)  # the money is gone: booked


def test_test_auctions_use_no_budget(bidder):
    client, h, setup, _ = bidder
    st = setup()
    r = client.post("/api/v1/rtb/bid", json=request(test=1), headers=h)
    assert r.status_code == 200 and st.pacer.reserved == 0
    assert client.get(notice(r.json()["seatbid"][0]["bid"][0]["nurl"], 1.0)).status_code == 204
    assert st.pacer.spent == 0 and st.counts["test_wins"] == 1


def test_the_mapping_and_value_tables_can_be_configured(bidder):
    client, h, setup, _ = bidder
    conf = CONFIG.format(budget=1000) + (
        '\n[bidding.rtb_mapping]\nuser_segment = "user.ext.segment"\nhour = "imp.ext.hour|@hour"\n'
        "\n[bidding.rtb_values]\nsite_category = {}\n"
    )
    st = setup(config=conf)
    body = request()
    body["imp"][0]["ext"] = {"hour": 3}
    assert client.post("/api/v1/rtb/bid", json=body, headers=h).status_code == 200
    row = st.bidder.rows[-1]
    assert row["user_segment"] == "loyal" and row["site_category"] == "IAB18-3" and row["hour"] == 3


# ------------------------------------------------------------------------------------ no bid, bad input


def test_no_model_means_no_bid_with_a_reason(bidder):
    client, h, _, _ = bidder
    rtb.install(client.app, None)  # no model (and the settings next to the warehouse: none)
    r = client.post("/api/v1/rtb/bid", json=request(), headers=h)
    assert r.status_code == 204 and r.headers["X-Nomagic-Reason"] == "no promoted bid model"
    state = client.get("/api/v1/rtb/state?lang=de", headers=h).json()
    assert state["ready"] is False and state["reason"] == "kein übernommenes Gebotsmodell"
    assert state["no_bids"] == {"no_model": 1}


def test_without_a_budget_no_bid(bidder):
    client, h, setup, _ = bidder
    setup(config="[bidding]\n")
    r = client.post("/api/v1/rtb/bid", json=request(), headers=h)
    assert r.status_code == 204 and r.headers["X-Nomagic-Reason"] == "no budget configured"


@pytest.mark.parametrize(
    "config, key",
    [
        ('[bidding]\nbudget = 10\nstart = "2026-12-07"\nend = "2026-12-01"\n', "[bidding] end"),
        ('[bidding]\nbudget = -1\nstart = "2026-12-07"\nend = "2026-12-08"\n', "[bidding] budget"),
        ('[bidding]\nbudget = 10\nend = "2026-12-08"\n', "[bidding] start"),
        ('[bidding]\nbudget = 10\nstart = "soon"\nend = "2026-12-08"\n', "[bidding] start"),
        ('[bidding.rtb_mapping]\ndevice = "device..type"\n', "[bidding.rtb_mapping] device"),
        ("[bidding.rtb_rates]\nUSD = 0\n", "[bidding] rtb_rates.USD"),
        ("[bidding\n", "not valid TOML"),
    ],
)
def test_invalid_settings_name_the_file_and_key(bidder, config, key):
    client, h, setup, _ = bidder
    setup(config=config)
    r = client.post("/api/v1/rtb/bid", json=request(), headers=h)
    assert (
        r.status_code == 204 and key in r.headers["X-Nomagic-Reason"] and "config.toml" in r.headers["X-Nomagic-Reason"]
    )
    state = client.get("/api/v1/rtb/state", headers=h).json()
    assert state["ready"] is False and key in state["reason"]


def test_settings_errors_in_german(tmp_path):
    from nomagic.errors import InputError

    path = tmp_path / "config.toml"
    path.write_text('[bidding]\nbudget = 10\nstart = "2026-12-07"\nend = "morgen"\n')
    with pytest.raises(InputError) as exc:
        rtb.read_settings(path)
    assert "muss ein Zeitpunkt" in exc.value.lang("de") and "[bidding] end" in exc.value.lang("de")


@pytest.mark.parametrize(
    "body, en, de",
    [
        ("{not json", "malformed JSON", "fehlerhaftes JSON"),
        ({"id": "r", "imp": []}, "imp is empty: there is nothing to bid on", "imp ist leer"),
        ({"id": "r", "imp": [{"id": "1", "bidfloor": -1}]}, "imp[0].bidfloor must be at least 0", "mindestens 0 sein"),
        ({"id": "r", "imp": [{"bidfloor": 1}]}, "imp[0].id is missing", "imp[0].id fehlt"),
        ({"imp": [{"id": "1"}]}, "id is missing", "id fehlt"),
    ],
)
def test_bad_requests_get_400_with_a_reason_in_english_and_german(bidder, body, en, de):
    client, h, setup, _ = bidder
    setup()
    send = (
        {"content": body, "headers": {**h, "Content-Type": "application/json"}}
        if isinstance(body, str)
        else {
            "json": body,
            "headers": h,
        }
    )
    r = client.post("/api/v1/rtb/bid", **send)
    assert r.status_code == 400 and r.json()["error"] == "bad_request" and en in r.json()["detail"]
    send["headers"] = {**send["headers"], "Accept-Language": "de"}
    r = client.post("/api/v1/rtb/bid", **send)
    assert r.status_code == 400 and de in r.json()["detail"]


def test_keys_and_notices_are_checked(bidder):
    client, h, setup, _ = bidder
    setup()
    assert client.post("/api/v1/rtb/bid", json=request()).status_code == 401
    assert client.get("/api/v1/rtb/win?token=x&price=-1").status_code == 400
    assert client.get("/api/v1/rtb/win?token=x&price=${AUCTION_PRICE}").status_code == 400
    assert client.get("/api/v1/rtb/win?token=x&price=1").status_code == 204


def test_the_key_is_checked_before_the_body(bidder):
    client, _, setup, _ = bidder
    setup()
    r = client.post("/api/v1/rtb/bid", content="{", headers={"Content-Type": "application/json"})
    assert r.status_code == 401 and "X-API-Key" in r.json()["detail"]


def test_a_viewer_may_not_bid(served, bidder):
    _, keys, _ = served
    client, _, setup, _ = bidder
    setup()
    r = client.post("/api/v1/rtb/bid", json=request(), headers={"X-API-Key": keys["viewer"]})
    assert r.status_code == 403


def test_the_routes_are_in_the_openapi_document(bidder):
    client, *_ = bidder
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/api/v1/rtb/bid"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/BidRequest")
    assert {"200", "204", "400", "401"} <= set(op["responses"])
    assert "X-Nomagic-Reason" in op["responses"]["204"]["headers"]
    assert {"/api/v1/rtb/win", "/api/v1/rtb/loss", "/api/v1/rtb/state"} <= set(spec["paths"])
    assert "BidResponse" in spec["components"]["schemas"]


def test_reasons_read_in_german():
    assert rtb.REASONS["budget"].de == "das Budget ist ausgegeben oder durch offene Gebote gebunden"
    assert rtb.REASONS["tmax"].de == "die Antwort wäre nicht innerhalb von tmax fertig"
    # a query parameter's problem (the win notice) in German
    assert rtb._problem({"loc": ("query", "price"), "type": "greater_than_equal", "ctx": {"ge": 0}}).de == (
        "price muss mindestens 0 sein"
    )


def test_win_tokens_are_signed():
    settings = rtb.Settings(path=__import__("pathlib").Path("x"))
    st = rtb.RtbState(None, settings)
    token = st.token("17", "EUR", 2_500_000, 2_500_000)
    assert st.read_token(token) == ("17", "EUR", 2_500_000, 2_500_000)
    assert st.read_token(token.replace("2500000-2500000", "9500000-2500000")) is None
    assert st.read_token("17-EUR-1-1") is None
    assert parse_qs("token=" + token)["token"] == [token]  # safe in a URL as it is


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_schemathesis_with_a_model_and_a_budget(bidder, mode):
    """The suite's schemathesis run has no bid model (every bid is a 204); here the 200 answers are checked too."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode, checks

    client, h, setup, _ = bidder
    setup(config=CONFIG.format(budget=1e6) + "\n[bidding.rtb_rates]\nUSD = 1.1\n")
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    ops = [op.ok() for op in schema.get_all_operations() if "/rtb/" in op.ok().path]
    assert len(ops) == 4
    for op in ops:

        @given(case=op.as_strategy(GenerationMode(mode)))
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            case.call_and_validate(
                headers=h,
                checks=[
                    checks.not_a_server_error,
                    checks.status_code_conformance,
                    checks.content_type_conformance,
                    checks.response_schema_conformance,
                ],
            )

        try:
            run()
        except Unsatisfiable:
            continue
    if mode == "positive":
        assert client.app.state.rtb.counts["bid_responses"] > 0, client.app.state.rtb.no_bids


def test_a_reload_takes_the_new_champion_and_keeps_the_spend(bidder, monkeypatch):
    client, h, setup, _ = bidder
    st = setup()
    bid = client.post("/api/v1/rtb/bid", json=request(), headers=h).json()["seatbid"][0]["bid"][0]
    client.get(notice(bid["nurl"], 1.5))

    class Newer(FastBidder):
        version = "bidding v0002"

        def _bid(self, row: dict) -> float:
            return 1.0

    monkeypatch.setattr(rtb, "_load_bidder", lambda url: Newer())
    monkeypatch.setattr(client.app.state, "nm", object())  # what POST /api/v1/admin/reload does
    client.post("/api/v1/rtb/bid", json=request(), headers=h)
    state = client.get("/api/v1/rtb/state", headers=h).json()
    assert state["model_version"] == "bidding v0002" and state["spent"] == pytest.approx(1.5)
    assert client.app.state.rtb is st and st.cache == {tuple(st.bidder.rows[-1].values()): 1.0}


def test_a_restarted_server_continues_from_the_ledger(bidder, tmp_path):
    client, h, setup, clock = bidder
    st = setup(config=CONFIG.format(budget=60))
    clock.now = START + timedelta(hours=47)
    urls = []
    for _ in range(40):
        r = client.post("/api/v1/rtb/bid", json=request(), headers=h)
        if r.status_code == 200:
            urls.append(r.json()["seatbid"][0]["bid"][0])
    for b in urls[: len(urls) // 2]:
        client.get(notice(b["nurl"], b["price"] / 2))
    before = st.pacer.spent + st.pacer.reserved  # the other half stays open: the process "crashes" here
    ledger = json.loads((tmp_path / "rtb_ledger.json").read_text())
    assert ledger["committed"] >= before - 1e-9 and ledger["campaign"]["budget"] == 60
    again = setup(config=CONFIG.format(budget=60), restart=True)  # a new process: nothing in memory, same ledger
    assert again.pacer.spent == pytest.approx(ledger["committed"])  # the open bids count as won
    for _ in range(200):
        client.post("/api/v1/rtb/bid", json=request(), headers=h)
    assert again.pacer.spent + again.pacer.reserved <= 60 + 1e-9
    (tmp_path / "rtb_ledger.json").write_text("{not json")
    broken = setup(config=CONFIG.format(budget=60), restart=True)
    r = client.post("/api/v1/rtb/bid", json=request(), headers=h)
    assert r.status_code == 204 and "rtb_ledger.json" in r.headers["X-Nomagic-Reason"]
    assert broken.pacer is None
