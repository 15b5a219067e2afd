"""Schemathesis against the OpenAPI document: generated requests (valid and invalid) never get a 5xx, and
every answer matches the documented status codes, content types and schemas."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import checks  # noqa: E402

from nomagic.serve import ServeConfig, create_app  # noqa: E402
from nomagic.serve.demo import copy_world, shared_world  # noqa: E402
from nomagic.serve.keys import KeyStore  # noqa: E402

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve-schema")
    wh = copy_world(shared_world(tmp_path_factory), folder)
    key, _ = KeyStore(folder / "keys.json").create("admin", name="schemathesis")
    app = create_app(ServeConfig(warehouse=wh, keys=folder / "keys.json", fit_recommender=False, flush_seconds=3600))
    return app, key


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_api_conforms_to_its_openapi_document(served, mode):
    """Every operation, valid (positive) and invalid (negative) generated requests, with an admin key.

    (Driven through hypothesis directly: schemathesis' own pytest plugin does not run on pytest 9.)"""
    from hypothesis import given
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    app, key = served
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [op.ok() for op in schema.get_all_operations()]
    assert len(operations) >= 8
    failures = []
    for op in operations:

        @given(case=op.as_strategy(GenerationMode(mode)))
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            case.call_and_validate(headers={"X-API-Key": key}, checks=CHECKS)

        try:
            run()
        except Unsatisfiable:  # negative mode: an operation without parameters has no invalid request
            continue
        except Exception as exc:  # collect all operations' failures, then report them together
            failures.append(f"{op.method.upper()} {op.path}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_customers_known_to_the_server_are_scored_by_the_documented_schema(served):
    """Random ids are mostly unknown (404); check the 200 answers against the schema too."""
    from fastapi.testclient import TestClient

    app, key = served
    client = TestClient(app)
    spec = client.get("/openapi.json").json()
    assert "/api/v1/score/{use_case}" in spec["paths"]
    comp = spec["components"]["schemas"]

    for uc in ("churn", "propensity"):
        cid = sorted(app.state.nm.scores[uc].rows)[0]
        r = client.post(f"/api/v1/score/{uc}", json={"customer_id": cid}, headers={"X-API-Key": key})
        assert r.status_code == 200
        _check(r.json(), comp["Score"], comp)
    cid = next(iter(app.state.nm.clv))
    r = client.post("/api/v1/clv", json={"customer_id": cid}, headers={"X-API-Key": key})
    _check(r.json(), comp["Clv"], comp)
    r = client.post("/api/v1/recommendations", json={"customer_id": cid}, headers={"X-API-Key": key})
    _check(r.json(), comp["Recommendations"], comp)
    _check(client.get("/api/v1/records", headers={"X-API-Key": key}).json(), comp["Records"], comp)
    _check(client.get("/api/v1/ready").json(), comp["Readiness"], comp)


def _check(body: dict, schema: dict, components: dict) -> None:
    import jsonschema

    def fix(s):  # OpenAPI refs point at #/components/schemas/...
        if isinstance(s, dict):
            return {
                k: (v.replace("#/components/schemas/", "#/$defs/") if k == "$ref" else fix(v)) for k, v in s.items()
            }
        if isinstance(s, list):
            return [fix(x) for x in s]
        return s

    jsonschema.validate(body, {**fix(schema), "$defs": fix(components)}, cls=jsonschema.Draft202012Validator)
