"""`nomagic serve`: the REST API and the dashboard through FastAPI's TestClient, on a small simulated world."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from nomagic.serve import ServeConfig, create_app  # noqa: E402
from nomagic.serve.demo import copy_world, shared_world  # noqa: E402
from nomagic.serve.keys import KeyStore  # noqa: E402


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    wh = shared_world(tmp_path_factory)
    return copy_world(wh, tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def served(world):
    from pathlib import Path

    keys = Path(world).parent / "keys.json"
    store = KeyStore(keys, recheck_seconds=0)
    made = {role: store.create(role, name=f"test-{role}")[0] for role in ("viewer", "analyst", "admin")}
    app = create_app(ServeConfig(warehouse=world, keys=keys, fit_recommender=False, flush_seconds=3600))
    app.state.keys.recheck_seconds = 0
    with TestClient(app) as client:
        yield app, client, made, store


@pytest.fixture
def client(served):
    return served[1]


def hdr(served, role="analyst"):
    return {"X-API-Key": served[2][role]}


def customer(served, use_case="churn"):
    return sorted(served[0].state.nm.scores[use_case].rows)[0]


# ------------------------------------------------------------------------------------ API


def test_health_and_readiness_need_no_key(client):
    assert client.get("/api/v1/health").json()["status"] == "ok"
    r = client.get("/api/v1/ready").json()
    assert r["ready"] is True
    status = {c["name"]: c["status"] for c in r["components"]}
    assert status == {"churn": "ready", "propensity": "ready", "clv": "ready", "recommend": "ready"}


@pytest.mark.parametrize("use_case", ["churn", "propensity"])
def test_score_with_reasons_matches_batch_scoring(served, use_case):
    from nomagic.lifecycle.registry import Registry
    from nomagic.lifecycle.scoring import score
    from nomagic.usecases import REGISTRY
    from nomagic.warehouse import connect

    app, client, *_ = served
    cid = customer(served, use_case)
    r = client.post(f"/api/v1/score/{use_case}", json={"customer_id": cid}, headers=hdr(served))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["customer_id"] == cid and body["use_case"] == use_case
    assert 0 <= body["score"] <= 1 and 1 <= body["decile"] <= 10
    assert body["reasons"] and all(isinstance(x, str) and x for x in body["reasons"])
    assert body["scorer"] in ("model", "baseline") and body["model_version"] == "v0001"
    with connect(app.state.url) as wh:
        batch = score(REGISTRY[use_case](), wh, Registry.for_warehouse(app.state.url))
    row = batch.set_index("customer_id").loc[cid]
    assert body["score"] == pytest.approx(float(row["score"]))
    assert body["reasons"][0] == row["reason_1"]


def test_clv_from_the_scores_table(served):
    cid = next(iter(served[0].state.nm.clv))
    r = served[1].post("/api/v1/clv", json={"customer_id": cid}, headers=hdr(served))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["clv_low"] <= body["clv"] <= body["clv_high"] and 0 <= body["p_alive"] <= 1


def test_recommendations_are_logged_as_decisions(served):
    from nomagic.warehouse import connect

    app, client, *_ = served
    rec = app.state.nm.recommender
    cid = next(c for c in sorted(rec.rows) if len(rec.rows[c]) >= 3)
    r = client.post("/api/v1/recommendations", json={"customer_id": cid, "n": 3}, headers=hdr(served))
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["items"]) == 3 and body["propensity"] == 1.0 and body["model_version"].startswith("table-")
    assert all(i["reason"] for i in body["items"])
    # product names, not only ids: English and German from the products table
    names = app.state.nm.product_names
    assert all(i["name"] == names[i["product_id"]]["en"] and i["name_de"] for i in body["items"])
    assert any(i["name"] != i["name_de"] for i in body["items"])
    assert app.state.decisions.flush() >= 3
    with connect(app.state.url) as wh:
        d = wh.table("decisions").execute()
    mine = d[d["decision_id"].isin([i["decision_id"] for i in body["items"]])]
    assert len(mine) == 3
    assert set(mine["use_case"]) == {"recommend"} and set(mine["unit_id"]) == {cid}
    assert list(mine.sort_values("decision_id")["action"]) == [
        i["product_id"] for i in sorted(body["items"], key=lambda i: i["decision_id"])
    ]
    assert (mine["propensity"] == 1.0).all() and set(mine["model_version"]) == {body["model_version"]}
    with TestClient(app) as c:  # the dashboard's preview names the products in the page's language
        login(c, served[2]["analyst"])
        de = c.get(f"/dashboard/recommendations?customer_id={cid}&lang=de").text
    assert body["items"][0]["name_de"] in de.replace("&#39;", "'").replace("&amp;", "&")


def test_recommendations_for_a_customer_without_any(served):
    app, client, *_ = served
    rec = app.state.nm.recommender
    cid = next(c for c in sorted(app.state.nm.customers) if c not in rec.rows)
    r = client.post("/api/v1/recommendations", json={"customer_id": cid}, headers=hdr(served))
    # every customer who may be profiled has rows, so this one did not consent: refused with the reason
    assert r.status_code == 403 and "not consented to profiling" in r.json()["detail"]
    assert app.state.decisions.refusal("recommend", cid) is not None


def test_online_recommender_is_served_with_cold_start(served):
    import numpy as np

    from nomagic.usecases.recommend.online import Recommender

    app, client, *_ = served
    st = app.state.nm
    known, new = sorted(st.customers)[:2]
    old = st.recommender, st.recommender_version
    try:
        st.recommender = Recommender(
            [known], np.array([[1, 0]]), np.array([[2.0, 1.0]]), ["p0", "p1"], popular=np.array([0, 1])
        )
        st.recommender_version = "ease-test"
        a = client.post("/api/v1/recommendations", json={"customer_id": known, "n": 2}, headers=hdr(served)).json()
        b = client.post("/api/v1/recommendations", json={"customer_id": new, "n": 1}, headers=hdr(served)).json()
    finally:
        st.recommender, st.recommender_version = old
    assert [i["product_id"] for i in a["items"]] == ["p1", "p0"] and a["model_version"] == "ease-test"
    assert b["items"][0]["reason"] == "popular overall"


def test_records_are_the_registry_champions(served):
    client = served[1]
    r = client.get("/api/v1/records", headers=hdr(served, "viewer"))
    assert r.status_code == 200
    names = {x["use_case"]: x for x in r.json()["records"]}
    assert {"churn", "propensity", "clv"} <= set(names)
    assert names["churn"]["verdict"] in ("promoted", "not better than baseline")
    detail = client.get("/api/v1/records/churn", headers=hdr(served, "viewer")).json()
    assert detail["record"]["use_case"] == "churn" and detail["version"] == "v0001"
    r = client.get("/api/v1/records/nothing", headers=hdr(served, "viewer"))
    assert r.status_code == 404 and "trained" in r.json()["detail"]


# ------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "kwargs, status, words",
    [
        ({"content": b'{"customer_id": ', "headers": {"content-type": "application/json"}}, 400, "malformed JSON"),
        ({"json": {"customer_id": 17}}, 422, "customer_id"),
        ({"json": {"customer_id": ["a"]}}, 422, "customer_id"),
        ({"json": {}}, 422, "customer_id"),
        ({"json": {"customer_id": "C1", "extra": 1}}, 422, "extra"),
        ({"json": {"customer_id": ""}}, 422, "customer_id"),
        ({"json": [1, 2]}, 422, "invalid"),
        ({"content": b"customer_id=C1", "headers": {"content-type": "text/plain"}}, 422, "invalid"),
        ({"json": {"customer_id": "nobody-like-this"}}, 404, "unknown customer"),
    ],
)
def test_bad_input_gets_a_4xx_with_a_reason(served, kwargs, status, words):
    headers = {**hdr(served), **kwargs.pop("headers", {})}
    r = served[1].post("/api/v1/score/churn", headers=headers, **kwargs)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] and words in body["detail"]


def test_bad_paths_and_methods(served):
    client = served[1]
    r = client.post("/api/v1/score/unknown", json={"customer_id": "x"}, headers=hdr(served))
    assert r.status_code == 422 and "use_case" in r.json()["detail"]
    assert client.get("/api/v1/score/churn", headers=hdr(served)).status_code == 405
    assert client.get("/api/v1/nothing").status_code == 404
    r = client.post("/api/v1/recommendations", json={"customer_id": "x", "n": 500}, headers=hdr(served))
    assert r.status_code == 422 and "n" in r.json()["detail"]


def test_oversized_bodies_are_refused(served):
    client = served[1]
    big = {"customer_id": "x" * 100_000}
    r = client.post("/api/v1/score/churn", json=big, headers=hdr(served))
    assert r.status_code == 413 and "larger than" in r.json()["detail"]

    def chunks():  # no Content-Length: counted while streaming
        for _ in range(100):
            yield b"x" * 1024

    r = client.post(
        "/api/v1/score/churn", content=chunks(), headers={**hdr(served), "content-type": "application/json"}
    )
    assert r.status_code == 413
    assert client.get("/api/v1/health").status_code == 200  # still up


def test_keys_and_roles(served):
    app, client, made, store = served
    cid = customer(served)
    body = {"customer_id": cid}
    r = client.post("/api/v1/score/churn", json=body)
    assert r.status_code == 401 and "X-API-Key" in r.json()["detail"]
    assert client.post("/api/v1/score/churn", json=body, headers={"X-API-Key": "nm_00000000_wrong"}).status_code == 401
    assert client.post("/api/v1/score/churn", json=body, headers={"X-API-Key": made["viewer"] + "x"}).status_code == 401
    r = client.post("/api/v1/score/churn", json=body, headers=hdr(served, "viewer"))
    assert r.status_code == 403 and "analyst" in r.json()["detail"]
    assert client.post("/api/v1/score/churn", json=body, headers=hdr(served, "admin")).status_code == 200
    assert client.post("/api/v1/admin/reload", headers=hdr(served, "analyst")).status_code == 403
    assert client.get("/api/v1/whoami", headers=hdr(served, "viewer")).json()["role"] == "viewer"
    # a revoked key stops working at once
    key, info = store.create("analyst", name="short-lived")
    assert client.post("/api/v1/score/churn", json=body, headers={"X-API-Key": key}).status_code == 200
    store.revoke(info.key_id)
    assert client.post("/api/v1/score/churn", json=body, headers={"X-API-Key": key}).status_code == 401


def test_keys_are_stored_hashed(served):
    store, made = served[3], served[2]
    text = store.path.read_text()
    for key in made.values():
        secret = key.split("_", 2)[2]  # nm_<key id>_<secret>; the secret itself may contain "_"
        assert key not in text and secret not in text
    assert (store.path.stat().st_mode & 0o777) == 0o600


def test_admin_reload(served):
    r = served[1].post("/api/v1/admin/reload", headers=hdr(served, "admin"))
    assert r.status_code == 200 and "churn" in r.json()["use_cases"]


def test_cors_is_closed_by_default(served):
    r = served[1].options(
        "/api/v1/score/churn",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in r.headers
    r = served[1].get("/api/v1/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    assert (
        r.headers["x-content-type-options"] == "nosniff" and "script-src 'none'" in r.headers["content-security-policy"]
    )


def test_cors_can_be_opened_for_named_origins(world, tmp_path):
    app = create_app(
        ServeConfig(
            warehouse=world,
            keys=tmp_path / "k.json",
            fit_recommender=False,
            health=False,
            cors_origins=["https://crm.example"],
        )
    )
    client = TestClient(app)
    r = client.get("/api/v1/health", headers={"Origin": "https://crm.example"})
    assert r.headers["access-control-allow-origin"] == "https://crm.example"
    r = client.get("/api/v1/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_no_personal_data_in_the_logs(served, caplog):
    client = served[1]
    cid = customer(served)
    with caplog.at_level(logging.DEBUG):
        client.post("/api/v1/score/churn", json={"customer_id": cid}, headers=hdr(served))
        client.post("/api/v1/recommendations", json={"customer_id": cid}, headers=hdr(served))
        client.post("/api/v1/score/churn", json={"customer_id": "nobody@example.com"}, headers=hdr(served))
        client.get(f"/dashboard/clv?customer_id={cid}")
    # what the server logs (the test client's own httpx log is not the server's)
    text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(("nomagic", "uvicorn")))
    assert "POST /api/v1/score/{use_case} 200" in text
    assert cid not in text and "nobody@example.com" not in text
    assert all(k not in text for k in served[2].values())


def test_the_server_survives_garbage(served):
    client = served[1]
    junk = [b"\xff\xfe\x00", b"null", b'{"customer_id": {"$gt": ""}}', b"[" * 5000, b'"' + b"a" * 1000]
    for body in junk:
        r = client.post(
            "/api/v1/score/churn", content=body, headers={**hdr(served), "content-type": "application/json"}
        )
        assert 400 <= r.status_code < 500, (body[:20], r.status_code)
    assert client.get("/api/v1/health").status_code == 200


def test_api_reference_is_offline(client):
    r = client.get("/docs")
    assert r.status_code == 200 and "/api/v1/score/{use_case}" in r.text
    assert "http://" not in r.text and "https://" not in r.text
    spec = client.get("/openapi.json").json()
    assert "X-API-Key" in str(spec["components"]["securitySchemes"])


# ------------------------------------------------------------------------------------ dashboard


def login(client, key):
    page = client.get("/login")
    import re

    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"api_key": key, "csrf": csrf, "next": "/dashboard"}, follow_redirects=False)


def test_dashboard_login_session_and_csrf(served, world):
    app, _, made, _ = served
    with TestClient(app) as c:
        r = c.get("/dashboard", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        c.get("/login")
        r = c.post("/login", data={"api_key": made["viewer"], "csrf": "forged"}, follow_redirects=False)
        assert r.status_code == 403
        r = login(c, "nm_00000000_wrong")
        assert r.status_code == 401
        r = login(c, made["viewer"])
        assert r.status_code == 303 and "nm_session" in r.headers["set-cookie"]
        assert "httponly" in r.headers["set-cookie"].lower() and "samesite=strict" in r.headers["set-cookie"].lower()
        page = c.get("/dashboard")
        assert page.status_code == 200 and "Reality check" in page.text and "churn" in page.text
        assert "Realitätscheck" in c.get("/dashboard?lang=de").text
        assert "Realitätscheck" in c.get("/dashboard").text  # the cookie keeps the language
        assert c.get("/dashboard/clv").status_code == 403  # a viewer sees no per-customer pages
        assert c.post("/logout", data={"csrf": "forged"}).status_code == 403
        import re

        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        r = c.post("/logout", data={"csrf": csrf}, follow_redirects=False)
        assert r.status_code == 303
        assert c.get("/dashboard", follow_redirects=False).status_code == 303


def test_dashboard_login_refuses_open_redirects(served):
    app, _, made, _ = served
    with TestClient(app) as c:
        page = c.get("/login")
        import re

        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        r = c.post(
            "/login", data={"api_key": made["viewer"], "csrf": csrf, "next": "//evil.example/"}, follow_redirects=False
        )
        assert r.headers["location"] == "/dashboard"


# ------------------------------------------------------------------------------------ CLI


def test_keys_cli(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `keys` logs to the audit trail of the default warehouse, here
    import nomagic.cli.serve  # noqa: F401  (registers `keys` and `serve`)
    from nomagic.cli import main

    path = str(tmp_path / "keys.json")
    main(["keys", "create", "--role", "analyst", "--name", "crm", "--keys", path])
    out = capsys.readouterr().out
    key = next(line for line in out.splitlines() if line.startswith("nm_"))
    store = KeyStore(path, recheck_seconds=0)
    info = store.verify(key)
    assert info is not None and info.role == "analyst" and info.name == "crm"
    main(["keys", "list", "--keys", path])
    listing = capsys.readouterr().out
    assert info.key_id in listing and key not in listing
    main(["keys", "revoke", info.key_id, "--keys", path])
    assert store.verify(key) is None
    with pytest.raises(SystemExit) as exc:
        main(["keys", "create", "--role", "root", "--keys", path])
    assert exc.value.code == 2 and "viewer" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["keys", "revoke", "ffffffff", "--keys", path])
    assert exc.value.code == 2


def test_the_budget_page_never_shows_a_split_of_a_model_not_promoted_as_advice(served, monkeypatch):
    app, _, made, _ = served
    records = app.state.nm.records
    assert records["budget"].get("allocation"), "the served world's budget record proposes a split"
    monkeypatch.setitem(records, "budget", {**records["budget"], "verdict": "not better than baseline"})
    with TestClient(app) as c:
        login(c, made["viewer"])
        en = c.get("/dashboard/budget?lang=en").text
        assert 'id="not-advice"' in en and en.index("Not advice") < en.index('class="charts"')
        assert "Keine Empfehlung" in c.get("/dashboard/budget?lang=de").text
    monkeypatch.setitem(records, "budget", {**records["budget"], "verdict": "promoted"})
    with TestClient(app) as c:
        login(c, made["viewer"])
        assert 'id="not-advice"' not in c.get("/dashboard/budget?lang=en").text


def test_the_use_case_page_says_what_to_do_in_both_languages(served, monkeypatch):
    app, _, made, _ = served
    records = app.state.nm.records
    with TestClient(app) as c:
        login(c, made["viewer"])
        en = c.get("/dashboard/use-case/churn?lang=en").text
        de = c.get("/dashboard/use-case/churn?lang=de").text
    head = "How to use it" if records["churn"]["verdict"] == "promoted" else "What to use instead"
    assert 'id="advice"' in en and head in en and en.index('id="explanation"') < en.index(head)
    assert ("So nutzen Sie es" if head == "How to use it" else "Was stattdessen") in de
    monkeypatch.setitem(records, "budget", {**records["budget"], "verdict": "not better than baseline"})
    app.state.nm.charts.pop("budget", None)
    with TestClient(app) as c:
        login(c, made["viewer"])
        page = c.get("/dashboard/use-case/budget?lang=en").text
    assert 'id="not-advice"' in page and page.index("Not advice") < page.index("chart-shift")


def test_german_pages_show_german_numbers_and_money_in_the_shops_currency(served):
    import re

    app, _, made, _ = served
    info = app.state.nm.clv_info
    assert info, "the served world has CLV scores"
    with TestClient(app) as c:
        login(c, made["analyst"])
        de = c.get("/dashboard/clv?lang=de").text
        en = c.get("/dashboard/clv?lang=en").text
    mean_de = re.search(r"<th>Mittelwert</th><td class=\"num\">([^<]+)</td>", de).group(1)
    mean_en = re.search(r"<th>mean</th><td class=\"num\">([^<]+)</td>", en).group(1)
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*,\d{2} €", mean_de), mean_de  # 1.234,56 €
    assert re.fullmatch(r"€\d{1,3}(,\d{3})*\.\d{2}", mean_en), mean_en  # €1,234.56
    assert mean_de.replace(".", "").replace(",", ".").rstrip(" €") == mean_en.lstrip("€").replace(",", "")
    app.state.config.currency = "CHF"
    try:
        with TestClient(app) as c:
            login(c, made["analyst"])
            assert "CHF " in c.get("/dashboard/clv?lang=en").text
    finally:
        app.state.config.currency = "EUR"


def test_the_segments_page_shows_no_figures_of_a_segment_below_k(served, monkeypatch):
    from nomagic.serve.state import _segment_summary

    app, _, made, _ = served
    rows = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(40)],
            "segment": ["Champions"] * 36 + ["At risk"] * 4,
            "recency_days": [10.0] * 36 + [123.0] * 4,
            "frequency": [5.0] * 36 + [2.0] * 4,
            "monetary": [500.0] * 36 + [98765.0] * 4,
        }
    )
    summary = _segment_summary(rows, k=10)
    tiny = summary.set_index("segment").loc["At risk"]
    assert tiny["customers"] == 4 and tiny["suppressed"] and np.isnan(tiny["monetary"])
    monkeypatch.setattr(app.state.nm, "segments", summary)
    with TestClient(app) as c:
        login(c, made["viewer"])
        en, de = (c.get(f"/dashboard/segments?lang={lang}").text for lang in ("en", "de"))
    assert "fewer than 10" in en and "weniger als 10" in de
    assert "98,765" not in en and "98.765" not in de and "123" not in en  # the small group's figures stay hidden
    assert "500" in en  # the large one's are shown
