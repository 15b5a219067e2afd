"""Bandit experiments over the API: decide (logged with propensity), reward (posterior + decisions table), restart."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from nomagic.serve import ServeConfig, create_app  # noqa: E402
from nomagic.serve.keys import KeyStore  # noqa: E402
from nomagic.serve.routes_bandits import EXPLORATION  # noqa: E402
from nomagic.simulate import simulate  # noqa: E402
from nomagic.warehouse import connect  # noqa: E402


@pytest.fixture
def api(tmp_path, monkeypatch):
    monkeypatch.setenv("NOMAGIC_REGISTRY", str(tmp_path / ".nomagic" / "registry"))
    url = str(tmp_path / "w.duckdb")
    with connect(url) as wh:
        simulate(wh, customers=300, days=120, seed=1)
    keys = tmp_path / "keys.json"
    store = KeyStore(keys, recheck_seconds=0)
    made = {role: store.create(role, name=f"t-{role}")[0] for role in ("viewer", "analyst")}

    def start():
        app = create_app(ServeConfig(warehouse=url, keys=keys, fit_recommender=False, flush_seconds=3600))
        return app, TestClient(app)

    return start, made, url


def test_decide_reward_and_the_decisions_table(api):
    start, keys, url = api
    app, client = start()
    h = {"X-API-Key": keys["analyst"]}
    arms = ["A", "B", "C"]
    with client:
        seen = []
        for i in range(60):
            r = client.post("/api/v1/bandits/subject-test/decide", json={"unit_id": f"u{i}", "arms": arms}, headers=h)
            assert r.status_code == 200, r.text
            d = r.json()
            assert d["action"] in arms and EXPLORATION / 3 - 1e-9 <= d["propensity"] <= 1
            seen.append(d)
            ok = client.post(
                "/api/v1/bandits/subject-test/reward",
                json={"decision_id": d["decision_id"], "reward": 1.0 if d["action"] == "B" else 0.0},
                headers=h,
            )
            assert ok.status_code == 200, ok.text
        body = ok.json()
        assert sum(body["trials"].values()) == 60 and body["successes"]["B"] == body["trials"]["B"]
        assert body["stopping"]["message"]
        # a reward twice, an unknown decision, other arms, a viewer: 4xx with a reason
        again = client.post(
            "/api/v1/bandits/subject-test/reward", json={"decision_id": d["decision_id"], "reward": 1}, headers=h
        )
        assert again.status_code == 404 and "already rewarded" in again.text
        other = client.post("/api/v1/bandits/subject-test/decide", json={"unit_id": "x", "arms": ["A", "B"]}, headers=h)
        assert other.status_code == 409
        bad = client.post("/api/v1/bandits/subject-test/reward", json={"decision_id": "x", "reward": 2}, headers=h)
        assert bad.status_code == 422
        viewer = client.post(
            "/api/v1/bandits/subject-test/decide",
            json={"unit_id": "x", "arms": arms},
            headers={"X-API-Key": keys["viewer"]},
        )
        assert viewer.status_code == 403
        assert app.state.decisions.flush() >= 60
    with connect(url) as wh:
        dec = wh.table("decisions").execute()
    mine = dec[dec["decision_id"].isin([s["decision_id"] for s in seen])].set_index("decision_id")
    assert len(mine) == 60 and set(mine["use_case"]) == {"bandit:subject-test"}
    for s in seen:
        assert mine.loc[s["decision_id"], "propensity"] == pytest.approx(s["propensity"], abs=1e-6)
        assert mine.loc[s["decision_id"], "reward"] == (1.0 if s["action"] == "B" else 0.0)


def test_rewards_of_written_decisions_update_the_warehouse_and_state_survives_a_restart(api):
    start, keys, url = api
    h = {"X-API-Key": keys["analyst"]}
    app, client = start()
    with client:
        d = client.post("/api/v1/bandits/exp1/decide", json={"unit_id": "u1", "arms": ["x", "y"]}, headers=h).json()
        assert app.state.decisions.flush() == 1  # written without a reward
        assert (
            client.post(
                "/api/v1/bandits/exp1/reward", json={"decision_id": d["decision_id"], "reward": 1}, headers=h
            ).status_code
            == 200
        )
        app.state.decisions.flush()  # the reward is set on the written row
    with connect(url) as wh:
        dec = wh.table("decisions").execute().set_index("decision_id")
    assert dec.loc[d["decision_id"], "reward"] == 1.0
    app2, client2 = start()
    with client2:
        d2 = client2.post("/api/v1/bandits/exp1/decide", json={"unit_id": "u2", "arms": ["x", "y"]}, headers=h)
        assert d2.status_code == 200
        r = client2.post(
            "/api/v1/bandits/exp1/reward", json={"decision_id": d2.json()["decision_id"], "reward": 0}, headers=h
        )
        assert sum(r.json()["trials"].values()) == 2  # the first reward was kept on disk


def test_the_dashboard_shows_the_experiments(api):
    start, keys, url = api
    app, client = start()
    h = {"X-API-Key": keys["analyst"]}
    with client:
        page = client.get("/dashboard/experiments")
        assert page.status_code in (200, 303) and "/login" in str(page.url)  # a login first
        for i in range(40):
            d = client.post(
                "/api/v1/bandits/hero-image/decide", json={"unit_id": f"u{i}", "arms": ["red", "blue"]}, headers=h
            ).json()
            client.post(
                "/api/v1/bandits/hero-image/reward",
                json={"decision_id": d["decision_id"], "reward": float(d["action"] == "blue")},
                headers=h,
            )
        form = client.get("/login").text
        import re

        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        client.post("/login", data={"api_key": keys["viewer"], "csrf": csrf, "next": "/dashboard/experiments"})
        html = client.get("/dashboard/experiments").text
    assert "hero-image" in html and "blue" in html and "red" in html
    assert "chance to be best" in html and "%" in html
