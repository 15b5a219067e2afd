"""Data-subject rights over the API: export, erase and object for an admin key; the server forgets at once."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from nomagic.privacy import audit  # noqa: E402
from nomagic.serve import ServeConfig, create_app  # noqa: E402
from nomagic.serve.demo import copy_world, shared_world  # noqa: E402
from nomagic.serve.keys import KeyStore  # noqa: E402
from nomagic.warehouse import connect  # noqa: E402


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    world = copy_world(shared_world(tmp_path_factory), tmp_path_factory.mktemp("privacy-api"))
    from pathlib import Path

    keys = Path(world).parent / "keys.json"
    store = KeyStore(keys, recheck_seconds=0)
    created = {role: store.create(role, name=f"dpo-{role}") for role in ("analyst", "admin")}
    made = {role: key for role, (key, _) in created.items()}
    made["admin_actor"] = audit.key_actor(created["admin"][1].key_id, created["admin"][1].name)
    app = create_app(ServeConfig(warehouse=world, keys=keys, fit_recommender=False, flush_seconds=3600))
    with TestClient(app) as client:
        yield world, app, client, made


def _scored(app) -> list[str]:
    return sorted(app.state.nm.scores["churn"].rows)


def test_export_erase_and_the_server_forgets_at_once(served):
    world, app, client, made = served
    admin, analyst = {"X-API-Key": made["admin"]}, {"X-API-Key": made["analyst"]}
    cid = _scored(app)[0]
    assert client.post("/api/v1/score/churn", json={"customer_id": cid}, headers=analyst).status_code == 200

    # only an admin may hand out or erase a person's data
    assert client.post("/api/v1/privacy/export", json={"customer_id": cid}, headers=analyst).status_code == 403
    doc = client.post("/api/v1/privacy/export", json={"customer_id": cid}, headers=admin).json()
    assert doc["found"] is True and doc["customer_id"] == cid
    assert doc["tables"]["orders"]["rows"], "the export holds the person's orders"

    r = client.post(
        "/api/v1/privacy/erase",
        json={"customer_id": cid, "reason": f"ticket 17, mail from {cid} at jo@example.com"},
        headers={**admin, "Accept-Language": "de"},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["rows"] > 0 and out["tables"]["orders"] > 0 and "gelöscht" in out["message"]
    assert cid not in r.text

    # from this answer on, no route names the person: the loaded scores are gone and decisions are refused
    assert cid not in _scored(app)
    assert client.post("/api/v1/score/churn", json={"customer_id": cid}, headers=analyst).status_code in (403, 404)
    r = client.post("/api/v1/bandits/homepage/decide", json={"unit_id": cid, "arms": ["A", "B"]}, headers=analyst)
    assert r.status_code == 403 and "erased" in r.json()["detail"]
    again = client.post("/api/v1/privacy/export", json={"customer_id": cid}, headers=admin).json()
    assert again["found"] is False and "no data held" in again["message"]

    with connect(world) as wh:
        log = wh.table(audit.TABLE).execute()
        assert audit.verify(wh).intact
    mine = log[log["action"].isin(["privacy.export", "privacy.erase"])]
    assert list(mine["action"]) == ["privacy.export", "privacy.erase", "privacy.export"]
    assert set(mine["actor"]) == {made["admin_actor"]}
    text = log.astype(str).to_csv()
    assert cid not in text and "jo@example.com" not in text  # pseudonym and a masked reason only


def test_an_objection_over_the_api_stops_answers_at_once(served):
    _, app, client, made = served
    admin, analyst = {"X-API-Key": made["admin"]}, {"X-API-Key": made["analyst"]}
    cid = _scored(app)[1]
    assert client.post("/api/v1/score/churn", json={"customer_id": cid}, headers=analyst).status_code == 200
    out = client.post("/api/v1/privacy/object", json={"customer_id": cid}, headers=admin).json()
    assert out["new"] is True and out["known"] is True and cid not in out["pseudonym"]
    r = client.post("/api/v1/score/churn", json={"customer_id": cid}, headers=analyst)
    assert r.status_code == 403 and "objected" in r.json()["detail"]


def test_bad_requests_get_a_reason(served):
    _, _, client, made = served
    admin = {"X-API-Key": made["admin"]}
    r = client.post("/api/v1/privacy/erase", json={"customer": "x"}, headers=admin)
    assert r.status_code == 422 and "customer_id" in r.json()["detail"]
    r = client.post("/api/v1/privacy/export", json={"customer_id": ""}, headers=admin)
    assert r.status_code == 422
    assert client.post("/api/v1/privacy/export", json={"customer_id": "x"}).status_code == 401


def test_an_id_with_control_characters_is_a_400_not_a_crash(served):
    _, _, client, made = served
    r = client.post("/api/v1/privacy/object", json={"customer_id": "\u0000"}, headers={"X-API-Key": made["admin"]})
    assert r.status_code == 400 and "control characters" in r.json()["detail"]
