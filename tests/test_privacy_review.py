"""Human review of significant automated decisions (Art. 22) and objection taking effect at once (Art. 21)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nomagic.errors import InputError
from nomagic.privacy import audit, review
from nomagic.warehouse import connect
from nomagic.words import say


@pytest.fixture(autouse=True)
def _own_state(monkeypatch):
    """Each test's .nomagic folder is next to its own warehouse."""
    monkeypatch.delenv("NOMAGIC_REGISTRY", raising=False)
    monkeypatch.delenv("NOMAGIC_SALT", raising=False)


def _config(folder: Path, text: str) -> Path:
    path = folder / ".nomagic" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ------------------------------------------------------------------------------------------- config


def test_config_reads_decisions_and_use_cases(tmp_path):
    path = _config(
        tmp_path,
        '[retrain]\npolicy = "on-alert"\n\n[review]\ndecisions = ["Exclude from offer", "uplift:not targeted"]\n'
        'use_cases = ["bandit"]\n',
    )
    cfg = review.load_config(path)
    assert cfg and cfg.decisions == {"exclude from offer", "uplift: not targeted"}
    assert review.needs_review("uplift", "not targeted", cfg)
    assert not review.needs_review("uplift", "targeted", cfg)
    assert review.needs_review("churn", "exclude from offer", cfg)
    assert review.needs_review("bandit:promo", "B", cfg)  # a whole family of use cases
    assert not review.load_config(tmp_path / "missing.toml")  # no file: nothing needs a person
    assert review.load_config(url=str(tmp_path / "w.duckdb")).path == path  # next to the warehouse


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[review\n", "is not valid TOML"),
        ('review = "uplift"\n', "[review] must be a table"),
        ('[review]\ndecisions = "not targeted"\n', "review.decisions must be a list of names"),
        ("[review]\nuse_cases = [1]\n", "review.use_cases must be a list of names"),
        ('[review]\ndecision = ["not targeted"]\n', "review.decision is not a known key"),
    ],
)
def test_bad_config_names_the_file_and_the_key(tmp_path, text, words):
    path = _config(tmp_path, text)
    with pytest.raises(InputError) as err:
        review.load_config(path)
    assert str(path) in str(err.value) and words in str(err.value)
    assert str(path) in err.value.lang("de")


def test_bad_config_in_german():
    path = Path("/x/.nomagic/config.toml")
    with pytest.raises(InputError) as err:
        review._names({"decisions": "x"}, "decisions", path)
    assert "review.decisions muss eine Liste von Namen sein" in err.value.lang("de")


# ------------------------------------------------------------------------------------------- queue


def test_enqueue_decide_pending_and_the_audit_log_holds_no_id(tmp_path):
    with connect(str(tmp_path / "w.duckdb")) as wh:
        why = say("predicted effect {u:+.1%}", "vorhergesagter Effekt {u:+.1%}", u=-0.0123)
        a = review.enqueue(wh, "uplift", "CUST-4711", "not targeted", why, "x-learner")
        b = review.enqueue(wh, "uplift", "CUST-4712", "not targeted", [why, "rank 9"], None)
        p = review.pending(wh)
        assert list(p["review_id"]) == [a, b] and set(p["status"]) == {"pending"}
        assert p["reasons"].iloc[0] == "predicted effect -1.2%"
        assert p["reasons_de"].iloc[0] == "vorhergesagter Effekt -1,2 %"
        assert p["reasons"].iloc[1] == "predicted effect -1.2%; rank 9"

        out = review.decide(wh, a, True, by="os:dpo", note="checked with CUST-4711's adviser")
        assert out["status"] == "approved" and out["decided_by"] == "os:dpo"
        review.decide(wh, b, False, by="key:k1 (ops)")
        assert review.pending(wh).empty
        assert review.get(wh, b)["status"] == "overridden"
        assert len(wh.table(review.TABLE).execute()) == 4  # append-only: the history stays

        with pytest.raises(review.ReviewError) as err:  # a decision is final
            review.decide(wh, a, False)
        assert "was approved already by os:dpo" in str(err.value)
        assert "freigegeben; eine Entscheidung ist endgültig" in err.value.lang("de")
        with pytest.raises(review.ReviewError, match="no review item"):
            review.decide(wh, "nope", True)

        log = wh.table(audit.TABLE).execute()
        assert list(log["action"]) == ["review.approve", "review.override"]
        assert list(log["actor"]) == ["os:dpo", "key:k1 (ops)"]
        salt = audit.load_salt(wh.url)
        assert log["target"].iloc[0] == audit.pseudonym("CUST-4711", salt)
        text = log.astype(str).to_csv()
        assert "4711" not in text and "4712" not in text and "adviser" not in text  # no id, no note
        assert audit.verify(wh).intact


def _uplift_list() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "as_of": pd.Timestamp("2026-11-30"),
            "uplift": [0.05, 0.02, 0.01, -0.03],
            "rank": [1, 2, 3, 4],
            "contact": [True, True, False, False],
            "sleeping_dog": [False, False, False, True],
            "model": "X-learner",
        }
    )


def test_the_uplift_list_holds_significant_decisions(tmp_path):
    from nomagic.cli.uplift import _hold_for_review

    _config(tmp_path, '[review]\ndecisions = ["uplift: not targeted"]\n')
    with connect(str(tmp_path / "w.duckdb")) as wh:
        df, held = _hold_for_review(wh, _uplift_list(), 0.5)
        assert held == 2
        assert list(df["review"].fillna("")) == ["", "", "pending", "pending"]
        assert list(df["contact"]) == [True, True, False, False]
        q = review.pending(wh).set_index("unit_id")
        assert set(q.index) == {"c", "d"} and set(q["action"]) == {"not targeted"}
        assert (
            q.loc["c", "reasons"]
            == "predicted effect of an e-mail on conversion +1.00%; rank 3 of 4; outside the budget (top 50% only)"
        )
        assert "keine positiven Effekt" not in q.loc["d", "reasons_de"]
        assert q.loc["d", "reasons_de"].endswith("Rang 4 von 4; kein positiver Effekt erwartet")

        # scored again: nothing queued twice; a person's decisions count
        review.decide(wh, q.loc["c", "review_id"], False, by="os:dpo")  # overridden: contact c after all
        review.decide(wh, q.loc["d", "review_id"], True, by="os:dpo")  # approved: leave d out
        df, held = _hold_for_review(wh, _uplift_list(), 0.5)
        assert held == 0 and len(review.current(wh)) == 2
        assert list(df["contact"]) == [True, True, True, False]
        assert list(df["review"].fillna("")) == ["", "", "overridden", "approved"]


def test_targeted_decisions_held_are_not_contacted(tmp_path):
    from nomagic.cli.uplift import _hold_for_review

    _config(tmp_path, '[review]\nuse_cases = ["uplift"]\n')
    with connect(str(tmp_path / "w.duckdb")) as wh:
        df, held = _hold_for_review(wh, _uplift_list(), 0.5)
        assert held == 4 and not df["contact"].any()  # nothing acted on until a person approves
    _config(tmp_path, "[review]\n")
    with connect(str(tmp_path / "w.duckdb")) as wh:
        df, held = _hold_for_review(wh, _uplift_list(), 0.5)
        assert held == 0 and "review" not in df.columns  # review off: the list as before


def test_held_words_in_both_languages():
    assert str(review.held_words(1234)) == "1,234 decisions held for human review"
    assert review.held_words(1234).de == "1.234 Entscheidungen zur menschlichen Prüfung zurückgehalten"


# ------------------------------------------------------------------------------------------- the server


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    pytest.importorskip("fastapi")
    from nomagic.serve.demo import copy_world, shared_world

    return copy_world(shared_world(tmp_path_factory), tmp_path_factory.mktemp("review"))


def _client(world: str, role: str = "analyst"):
    from fastapi.testclient import TestClient

    from nomagic.serve import ServeConfig, create_app
    from nomagic.serve.keys import KeyStore

    keys = Path(world).parent / "keys.json"
    key = KeyStore(keys).create(role, name="t")[0]
    app = create_app(ServeConfig(warehouse=world, keys=keys, fit_recommender=False, health=False, background=False))
    return TestClient(app), key


def _login(c, key: str) -> None:
    page = c.get("/login")
    csrf = page.cookies.get("nm_login_csrf") or c.cookies.get("nm_login_csrf")
    c.post("/login", data={"api_key": key, "csrf": csrf, "next": "/dashboard"}, follow_redirects=False)


def _customers(world: str, n: int) -> list[str]:
    from nomagic.privacy import consent

    with connect(world) as wh:
        return sorted(consent.allowed_ids(wh, (consent.PROFILING, consent.EMAIL)))[:n]


def test_review_page_and_api_round_trip(served, monkeypatch):
    monkeypatch.setenv("NOMAGIC_REGISTRY", str(Path(served).parent / ".nomagic" / "registry"))
    _config(Path(served).parent, '[review]\ndecisions = ["uplift: not targeted"]\n')
    cid, other = _customers(served, 2)
    why = say("predicted effect {u:+.1%}", "vorhergesagter Effekt {u:+.1%}", u=-0.0123)
    with connect(served) as wh:
        for t in ("review_queue", "audit_log"):
            if wh.has(t):
                wh.drop(t)
        a = review.enqueue(wh, "uplift", cid, "not targeted", why, "x-learner")
        b = review.enqueue(wh, "uplift", other, "not targeted", why, "x-learner")
    c, key = _client(served)
    with c:
        h = {"X-API-Key": key}
        got = c.get("/api/v1/review", headers=h).json()["items"]
        assert [i["review_id"] for i in got] == [a, b] and got[0]["reasons"] == "predicted effect -1.2%"
        de = c.get("/api/v1/review", headers={**h, "Accept-Language": "de"}).json()["items"]
        assert de[0]["reasons"] == "vorhergesagter Effekt -1,2 %"

        r = c.post(f"/api/v1/review/{a}", headers=h, json={"decision": "approve", "note": "fine"})
        assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["decided_by"].startswith("key:")
        again = c.post(f"/api/v1/review/{a}", headers={**h, "Accept-Language": "de"}, json={"decision": "override"})
        assert again.status_code == 409 and "eine Entscheidung ist endgültig" in again.json()["detail"]
        missing = c.post("/api/v1/review/nope", headers=h, json={"decision": "approve"})
        assert missing.status_code == 404 and "no review item" in missing.json()["detail"]
        assert c.post(f"/api/v1/review/{b}", headers=h, json={"decision": "maybe"}).status_code == 422
        assert [i["review_id"] for i in c.get("/api/v1/review", headers=h).json()["items"]] == [b]

        _login(c, key)
        en = c.get("/dashboard/review?lang=en").text
        assert "Review" in en and "Approve" in en and "Override" in en and "predicted effect -1.2%" in en
        assert 'href="/dashboard/review"' in en and f"review-{b}" in en and f"review-{a}" not in en
        de_page = c.get("/dashboard/review?lang=de").text
        assert "Prüfung" in de_page and "Freigeben" in de_page and "Verwerfen" in de_page
        assert "vorhergesagter Effekt -1,2 %" in de_page and "Art. 22 DSGVO" in de_page
        bad = c.post(f"/dashboard/review/{b}", data={"csrf": "forged", "decision": "override"})
        assert bad.status_code == 403
        import re

        csrf = re.search(r'name="csrf" value="([^"]+)"', de_page).group(1)
        done = c.post(f"/dashboard/review/{b}", data={"csrf": csrf, "decision": "override"}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/dashboard/review?done=overridden"
        after = c.get("/dashboard/review?done=overridden&lang=de").text
        assert "Verworfen: die Entscheidung wird nicht umgesetzt." in after and "Nichts wartet auf Prüfung." in after

    with connect(served) as wh:
        log = wh.table(audit.TABLE).execute()
        assert list(log["action"]) == ["review.approve", "review.override"]
        assert cid not in log.astype(str).to_csv() and other not in log.astype(str).to_csv()
    viewer, vkey = _client(served, "viewer")
    with viewer:
        assert viewer.get("/api/v1/review", headers={"X-API-Key": vkey}).status_code == 403
        _login(viewer, vkey)
        assert 'href="/dashboard/review"' not in viewer.get("/dashboard").text


def test_online_decisions_are_held_and_objection_counts_at_once(served, monkeypatch):
    from typer.testing import CliRunner

    from nomagic.cli import app as cli
    from nomagic.privacy import consent

    monkeypatch.setenv("NOMAGIC_REGISTRY", str(Path(served).parent / ".nomagic" / "registry"))
    _config(Path(served).parent, '[review]\nuse_cases = ["bandit:offer"]\n')
    free, objector = _customers(served, 2)
    c, key = _client(served)
    with c:
        h = {"X-API-Key": key}
        body = {"unit_id": free, "arms": ["A", "B"]}
        plain = c.post("/api/v1/bandits/promo/decide", headers=h, json=body)  # not significant: decided
        assert plain.status_code == 200 and plain.json()["action"] in ("A", "B")
        held = c.post("/api/v1/bandits/offer/decide", headers={**h, "Accept-Language": "de"}, json=body)
        assert held.status_code == 202, held.text
        j = held.json()
        assert j["action"] is None and j["review"] == "pending" and j["proposed_action"] in ("A", "B")
        assert j["message"] == "held for human review" and j["message_de"] == "zur menschlichen Prüfung zurückgehalten"
        items = c.get("/api/v1/review", headers=h).json()["items"]
        assert [i["review_id"] for i in items] == [j["review_id"]]
        assert "Thompson sampling chose the variant" in items[0]["reasons"]
        assert c.post(f"/api/v1/review/{j['review_id']}", headers=h, json={"decision": "approve"}).status_code == 200
        for _ in range(40):  # the approved variant is acted on when the bandit draws it again
            r = c.post("/api/v1/bandits/offer/decide", headers=h, json=body)
            if r.json().get("proposed_action") in (None, j["proposed_action"]) and r.status_code == 200:
                break
        assert r.status_code == 200 and r.json()["action"] == j["proposed_action"] and r.json()["review"] == "approved"

        # Art. 21: `nomagic privacy object` while the server runs stops its decisions at once (not after 60 s)
        ok = c.post("/api/v1/bandits/promo/decide", headers=h, json={"unit_id": objector, "arms": ["A", "B"]})
        assert ok.status_code == 200
        res = CliRunner().invoke(cli, ["privacy", "object", "--customer", objector, "--warehouse", served])
        assert res.exit_code == 0, res.output
        no = c.post("/api/v1/bandits/promo/decide", headers=h, json={"unit_id": objector, "arms": ["A", "B"]})
        assert no.status_code == 403 and "objected" in no.json()["detail"]
        assert c.post("/api/v1/bandits/promo/decide", headers=h, json=body).status_code == 200  # others go on

    with connect(served) as wh:  # and in e-mail lists: the uplift list leaves the objector out
        lst = pd.DataFrame({"customer_id": [free, objector], "uplift": [0.1, 0.2]})
        kept, left = consent.keep_allowed(wh, lst, consent.purposes_for("uplift_scores"))
        assert list(kept["customer_id"]) == [free] and left.reasons == {"objected": 1}
        assert consent.violations(wh).get("decisions", 0) == 0


def test_a_reviewers_note_is_kept_without_personal_data(tmp_path):
    with connect(str(tmp_path / "w.duckdb")) as wh:
        a = review.enqueue(wh, "uplift", "CUST-1", "not targeted", "rank 9", None)
        out = review.decide(wh, a, True, by="os:dpo", note="asked her at erika@example.com, +49 171 2345678")
        assert out["note"] == "asked her at [EMAIL], [PHONE]"
        assert "erika" not in wh.table(review.TABLE).execute().astype(str).to_csv()


def test_the_review_cli_lists_and_decides_in_both_languages(tmp_path, capsys):
    from nomagic.cli import main

    url = str(tmp_path / "w.duckdb")
    with connect(url) as wh:
        why = say("predicted effect {u:+.1%}", "vorhergesagter Effekt {u:+.1%}", u=-0.0123)
        a = review.enqueue(wh, "uplift", "CUST-7", "not targeted", why, "x-learner")
    main(["privacy", "review", "--warehouse", url])
    out = capsys.readouterr().out
    assert a in out and "CUST-7" in out and "predicted effect -1.2%" in out and "1 waiting" in out
    main(["--lang", "de", "privacy", "review", "--warehouse", url])
    assert "vorhergesagter Effekt -1,2 %" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:  # neither --approve nor --override
        main(["privacy", "decide", a, "--warehouse", url])
    assert exc.value.code == 2
    main(["privacy", "decide", a, "--override", "--note", "call 0171 2345678 first", "--warehouse", url])
    assert "overridden by os:" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:  # a decision is final
        main(["privacy", "decide", a, "--approve", "--warehouse", url])
    assert exc.value.code == 2 and "was overridden already" in capsys.readouterr().err
    main(["privacy", "review", "--warehouse", url])
    assert "nothing waits for review" in capsys.readouterr().out
    with connect(url) as wh:
        assert review.get(wh, a)["note"] == "call [PHONE] first"
